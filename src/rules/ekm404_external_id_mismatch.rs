//! EKM404 `external-id-mismatch`.

use super::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM404",
    slug: "external-id-mismatch",
    severity: Severity::Error,
    family: Family::Trust,
    summary: "the required ExternalId values do not include external_id exactly",
    doc: include_str!("../../rules/EKM404-external-id-mismatch.md"),
};

pub fn check(_cx: &Cx<'_>) -> Outcome {
    Outcome::skipped("not implemented yet")
}
