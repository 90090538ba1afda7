//! EKM201 `key-policy-blocks-role`.

use super::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM201",
    slug: "key-policy-blocks-role",
    severity: Severity::Error,
    family: Family::KeyPolicy,
    summary: "the key policy neither names the role nor delegates to IAM for Encrypt and Decrypt",
    doc: include_str!("../../rules/EKM201-key-policy-blocks-role.md"),
};

pub fn check(_cx: &Cx<'_>) -> Outcome {
    Outcome::skipped("not implemented yet")
}
