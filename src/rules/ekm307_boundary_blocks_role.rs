//! EKM307 `boundary-blocks-role`.

use super::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM307",
    slug: "boundary-blocks-role",
    severity: Severity::Error,
    family: Family::Role,
    summary: "the permissions boundary does not allow Encrypt and Decrypt",
    doc: include_str!("../../rules/EKM307-boundary-blocks-role.md"),
};

pub fn check(_cx: &Cx<'_>) -> Outcome {
    Outcome::skipped("not implemented yet")
}
