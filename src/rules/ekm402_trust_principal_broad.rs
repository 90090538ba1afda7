//! EKM402 `trust-principal-broad`.

use super::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM402",
    slug: "trust-principal-broad",
    severity: Severity::Warning,
    family: Family::Trust,
    summary: "OpenAI is trusted as a whole account, or through a unique id of a deleted role",
    doc: include_str!("../../rules/EKM402-trust-principal-broad.md"),
};

pub fn check(_cx: &Cx<'_>) -> Outcome {
    Outcome::skipped("not implemented yet")
}
