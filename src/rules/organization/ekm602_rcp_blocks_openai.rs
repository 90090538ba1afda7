//! EKM602 `rcp-blocks-openai`: an RCP on the role's account path denies OpenAI's AssumeRole (or does not allow it).

use super::support::{self as org, Check};
use crate::rules::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM602",
    slug: "rcp-blocks-openai",
    severity: Severity::Error,
    family: Family::Organization,
    summary: "an RCP on the role's account path denies OpenAI's AssumeRole",
    doc: include_str!("../../../rules/EKM602-rcp-blocks-openai.md"),
};

pub fn check(cx: &Cx<'_>) -> Outcome {
    org::check(cx, Check::RcpAssume)
}
