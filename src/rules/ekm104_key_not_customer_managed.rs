//! EKM104 `key-not-customer-managed`.

use super::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM104",
    slug: "key-not-customer-managed",
    severity: Severity::Error,
    family: Family::Key,
    summary: "the key is not a customer managed key",
    doc: include_str!("../../rules/EKM104-key-not-customer-managed.md"),
};

pub fn check(_cx: &Cx<'_>) -> Outcome {
    Outcome::skipped("not implemented yet")
}
