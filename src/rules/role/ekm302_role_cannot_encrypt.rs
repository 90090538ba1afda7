//! EKM302 `role-cannot-encrypt`.

use crate::rules::{Cx, Family, Outcome, RuleMeta, Severity, paths};

pub static META: RuleMeta = RuleMeta {
    id: "EKM302",
    slug: "role-cannot-encrypt",
    severity: Severity::Error,
    family: Family::Role,
    summary: "the role cannot call kms:Encrypt on the key",
    doc: include_str!("../../../rules/EKM302-role-cannot-encrypt.md"),
};

pub fn check(cx: &Cx<'_>) -> Outcome {
    paths::crypto_outcome(cx, "kms:Encrypt", cx.encrypt())
}
