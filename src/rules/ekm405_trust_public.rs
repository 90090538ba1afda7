//! EKM405 `trust-public`.

use super::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM405",
    slug: "trust-public",
    severity: Severity::Error,
    family: Family::Trust,
    summary: "anyone can assume the role",
    doc: include_str!("../../rules/EKM405-trust-public.md"),
};

pub fn check(_cx: &Cx<'_>) -> Outcome {
    Outcome::skipped("not implemented yet")
}
