//! EKM403 `external-id-not-required`.

use super::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM403",
    slug: "external-id-not-required",
    severity: Severity::Error,
    family: Family::Trust,
    summary: "a statement trusting OpenAI does not require sts:ExternalId",
    doc: include_str!("../../rules/EKM403-external-id-not-required.md"),
};

pub fn check(_cx: &Cx<'_>) -> Outcome {
    Outcome::skipped("not implemented yet")
}
