//! EKM306 `role-grants-beyond-kms`.

use super::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM306",
    slug: "role-grants-beyond-kms",
    severity: Severity::Warning,
    family: Family::Role,
    summary: "the role grants permissions outside KMS, which OpenAI would hold too",
    doc: include_str!("../../rules/EKM306-role-grants-beyond-kms.md"),
};

pub fn check(_cx: &Cx<'_>) -> Outcome {
    Outcome::skipped("not implemented yet")
}
