//! EKM401 `trust-blocks-openai`.

use super::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM401",
    slug: "trust-blocks-openai",
    severity: Severity::Error,
    family: Family::Trust,
    summary: "the trust policy does not let OpenAI's principal assume the role with the registered ExternalId",
    doc: include_str!("../../rules/EKM401-trust-blocks-openai.md"),
};

pub fn check(_cx: &Cx<'_>) -> Outcome {
    Outcome::skipped("not implemented yet")
}
