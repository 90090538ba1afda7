//! EKM301 `role-missing`.

use super::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM301",
    slug: "role-missing",
    severity: Severity::Error,
    family: Family::Role,
    summary: "the role cannot be found",
    doc: include_str!("../../rules/EKM301-role-missing.md"),
};

pub fn check(_cx: &Cx<'_>) -> Outcome {
    Outcome::skipped("not implemented yet")
}
