//! EKM101 `key-missing`.

use super::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM101",
    slug: "key-missing",
    severity: Severity::Error,
    family: Family::Key,
    summary: "the key cannot be found, or the alias points nowhere",
    doc: include_str!("../../rules/EKM101-key-missing.md"),
};

pub fn check(_cx: &Cx<'_>) -> Outcome {
    Outcome::skipped("not implemented yet")
}
