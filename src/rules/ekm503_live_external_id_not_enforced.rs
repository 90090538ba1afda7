//! EKM503 `live-external-id-not-enforced`.

use super::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM503",
    slug: "live-external-id-not-enforced",
    severity: Severity::Error,
    family: Family::Live,
    summary: "the role could also be assumed without, or with a wrong, ExternalId",
    doc: include_str!("../../rules/EKM503-live-external-id-not-enforced.md"),
};

pub fn check(_cx: &Cx<'_>) -> Outcome {
    Outcome::skipped("not implemented yet")
}
