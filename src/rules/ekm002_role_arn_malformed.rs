//! EKM002 `role-arn-malformed`.

use super::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM002",
    slug: "role-arn-malformed",
    severity: Severity::Error,
    family: Family::Inputs,
    summary: "role_arn is not an IAM role ARN",
    doc: include_str!("../../rules/EKM002-role-arn-malformed.md"),
};

pub fn check(_cx: &Cx<'_>) -> Outcome {
    Outcome::skipped("not implemented yet")
}
