//! EKM304 `policy-resource-is-alias`.

use super::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM304",
    slug: "policy-resource-is-alias",
    severity: Severity::Error,
    family: Family::Role,
    summary: "an Allow for Encrypt or Decrypt names an alias ARN in Resource, which grants nothing on the key",
    doc: include_str!("../../rules/EKM304-policy-resource-is-alias.md"),
};

pub fn check(_cx: &Cx<'_>) -> Outcome {
    Outcome::skipped("not implemented yet")
}
