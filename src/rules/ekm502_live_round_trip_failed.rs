//! EKM502 `live-round-trip-failed`.

use super::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM502",
    slug: "live-round-trip-failed",
    severity: Severity::Error,
    family: Family::Live,
    summary: "Encrypt then Decrypt as the role failed or returned other bytes",
    doc: include_str!("../../rules/EKM502-live-round-trip-failed.md"),
};

pub fn check(_cx: &Cx<'_>) -> Outcome {
    Outcome::skipped("not implemented yet")
}
