//! EKM001 `kms-arn-malformed`.

use super::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM001",
    slug: "kms-arn-malformed",
    severity: Severity::Error,
    family: Family::Inputs,
    summary: "kms_arn is not a key ARN, a multi-Region key ARN or an alias ARN",
    doc: include_str!("../../rules/EKM001-kms-arn-malformed.md"),
};

pub fn check(_cx: &Cx<'_>) -> Outcome {
    Outcome::skipped("not implemented yet")
}
