//! EKM203 `key-policy-conditional`.

use super::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM203",
    slug: "key-policy-conditional",
    severity: Severity::Warning,
    family: Family::KeyPolicy,
    summary: "the role's access hangs on conditions OpenAI's calls may not meet",
    doc: include_str!("../../rules/EKM203-key-policy-conditional.md"),
};

pub fn check(_cx: &Cx<'_>) -> Outcome {
    Outcome::skipped("not implemented yet")
}
