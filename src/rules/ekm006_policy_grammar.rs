//! EKM006 `policy-grammar`.

use super::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM006",
    slug: "policy-grammar",
    severity: Severity::Warning,
    family: Family::Inputs,
    summary: "old or missing Version, unknown action or condition operator, duplicate Sid",
    doc: include_str!("../../rules/EKM006-policy-grammar.md"),
};

pub fn check(_cx: &Cx<'_>) -> Outcome {
    Outcome::skipped("not implemented yet")
}
