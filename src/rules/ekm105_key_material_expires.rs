//! EKM105 `key-material-expires`.

use super::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM105",
    slug: "key-material-expires",
    severity: Severity::Warning,
    family: Family::Key,
    summary: "imported key material expires, or a custom key store can become unavailable",
    doc: include_str!("../../rules/EKM105-key-material-expires.md"),
};

pub fn check(_cx: &Cx<'_>) -> Outcome {
    Outcome::skipped("not implemented yet")
}
