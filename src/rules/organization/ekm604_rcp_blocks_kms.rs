//! EKM604 `rcp-blocks-kms`: an RCP on the key's account path denies the session's Encrypt or Decrypt (or does not allow it).

use super::support::{self as org, Check};
use crate::rules::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM604",
    slug: "rcp-blocks-kms",
    severity: Severity::Error,
    family: Family::Organization,
    summary: "an RCP on the key's account path denies the session's Encrypt or Decrypt",
    doc: include_str!("../../../rules/EKM604-rcp-blocks-kms.md"),
};

pub fn check(cx: &Cx<'_>) -> Outcome {
    org::check(cx, Check::RcpCrypto)
}
