//! EKM107 `key-arn-mismatch`.

use super::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM107",
    slug: "key-arn-mismatch",
    severity: Severity::Error,
    family: Family::Key,
    summary: "the region or account in kms_arn differ from the key found",
    doc: include_str!("../../rules/EKM107-key-arn-mismatch.md"),
};

pub fn check(_cx: &Cx<'_>) -> Outcome {
    Outcome::skipped("not implemented yet")
}
