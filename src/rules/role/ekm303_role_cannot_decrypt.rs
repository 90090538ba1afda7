//! EKM303 `role-cannot-decrypt`.

use crate::rules::{Cx, Family, Outcome, RuleMeta, Severity, paths};

pub static META: RuleMeta = RuleMeta {
    id: "EKM303",
    slug: "role-cannot-decrypt",
    severity: Severity::Error,
    family: Family::Role,
    summary: "the role cannot call kms:Decrypt on the key",
    doc: include_str!("../../../rules/EKM303-role-cannot-decrypt.md"),
};

pub fn check(cx: &Cx<'_>) -> Outcome {
    paths::crypto_outcome(cx, "kms:Decrypt", cx.decrypt())
}
