//! EKM005 `placeholder-left`.

use super::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM005",
    slug: "placeholder-left",
    severity: Severity::Error,
    family: Family::Inputs,
    summary: "a document or value still holds a template placeholder",
    doc: include_str!("../../rules/EKM005-placeholder-left.md"),
};

pub fn check(_cx: &Cx<'_>) -> Outcome {
    Outcome::skipped("not implemented yet")
}
