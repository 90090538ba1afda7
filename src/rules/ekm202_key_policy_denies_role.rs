//! EKM202 `key-policy-denies-role`.

use super::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM202",
    slug: "key-policy-denies-role",
    severity: Severity::Error,
    family: Family::KeyPolicy,
    summary: "a Deny in the key policy matches the role's Encrypt or Decrypt",
    doc: include_str!("../../rules/EKM202-key-policy-denies-role.md"),
};

pub fn check(_cx: &Cx<'_>) -> Outcome {
    Outcome::skipped("not implemented yet")
}
