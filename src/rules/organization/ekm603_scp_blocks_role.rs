//! EKM603 `scp-blocks-role`: an SCP on the role's account path denies the session's Encrypt or Decrypt (or does not allow it).

use super::support::{self as org, Check};
use crate::rules::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM603",
    slug: "scp-blocks-role",
    severity: Severity::Error,
    family: Family::Organization,
    summary: "an SCP on the role's account path denies the session's Encrypt or Decrypt",
    doc: include_str!("../../../rules/EKM603-scp-blocks-role.md"),
};

pub fn check(cx: &Cx<'_>) -> Outcome {
    org::check(cx, Check::ScpCrypto)
}
