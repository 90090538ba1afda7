//! EKM305 `role-kms-overbroad`.

use super::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM305",
    slug: "role-kms-overbroad",
    severity: Severity::Warning,
    family: Family::Role,
    summary: "the role may do more with KMS than Encrypt and Decrypt on this key",
    doc: include_str!("../../rules/EKM305-role-kms-overbroad.md"),
};

pub fn check(_cx: &Cx<'_>) -> Outcome {
    Outcome::skipped("not implemented yet")
}
