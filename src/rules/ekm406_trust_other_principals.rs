//! EKM406 `trust-other-principals`.

use super::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM406",
    slug: "trust-other-principals",
    severity: Severity::Info,
    family: Family::Trust,
    summary: "other principals can assume the role, and with it use the key",
    doc: include_str!("../../rules/EKM406-trust-other-principals.md"),
};

pub fn check(_cx: &Cx<'_>) -> Outcome {
    Outcome::skipped("not implemented yet")
}
