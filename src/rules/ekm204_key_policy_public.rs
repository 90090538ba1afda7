//! EKM204 `key-policy-public`.

use super::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM204",
    slug: "key-policy-public",
    severity: Severity::Error,
    family: Family::KeyPolicy,
    summary: "the key policy allows anyone without a condition that restricts the caller",
    doc: include_str!("../../rules/EKM204-key-policy-public.md"),
};

pub fn check(_cx: &Cx<'_>) -> Outcome {
    Outcome::skipped("not implemented yet")
}
