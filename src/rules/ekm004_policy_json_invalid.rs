//! EKM004 `policy-json-invalid`.

use super::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM004",
    slug: "policy-json-invalid",
    severity: Severity::Error,
    family: Family::Inputs,
    summary: "a document is not valid JSON or not a valid IAM policy",
    doc: include_str!("../../rules/EKM004-policy-json-invalid.md"),
};

pub fn check(_cx: &Cx<'_>) -> Outcome {
    Outcome::skipped("not implemented yet")
}
