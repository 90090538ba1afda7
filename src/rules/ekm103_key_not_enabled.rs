//! EKM103 `key-not-enabled`.

use super::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM103",
    slug: "key-not-enabled",
    severity: Severity::Error,
    family: Family::Key,
    summary: "the key is not enabled",
    doc: include_str!("../../rules/EKM103-key-not-enabled.md"),
};

pub fn check(_cx: &Cx<'_>) -> Outcome {
    Outcome::skipped("not implemented yet")
}
