//! EKM106 `key-rotation-off`.

use super::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM106",
    slug: "key-rotation-off",
    severity: Severity::Info,
    family: Family::Key,
    summary: "automatic key rotation is off",
    doc: include_str!("../../rules/EKM106-key-rotation-off.md"),
};

pub fn check(_cx: &Cx<'_>) -> Outcome {
    Outcome::skipped("not implemented yet")
}
