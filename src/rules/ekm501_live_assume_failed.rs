//! EKM501 `live-assume-failed`.

use super::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM501",
    slug: "live-assume-failed",
    severity: Severity::Error,
    family: Family::Live,
    summary: "sts:AssumeRole with the ExternalId failed for the checking identity",
    doc: include_str!("../../rules/EKM501-live-assume-failed.md"),
};

pub fn check(_cx: &Cx<'_>) -> Outcome {
    Outcome::skipped("not implemented yet")
}
