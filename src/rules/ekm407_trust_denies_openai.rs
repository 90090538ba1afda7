//! EKM407 `trust-denies-openai`.

use super::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM407",
    slug: "trust-denies-openai",
    severity: Severity::Error,
    family: Family::Trust,
    summary: "a Deny in the trust policy matches OpenAI's AssumeRole",
    doc: include_str!("../../rules/EKM407-trust-denies-openai.md"),
};

pub fn check(_cx: &Cx<'_>) -> Outcome {
    Outcome::skipped("not implemented yet")
}
