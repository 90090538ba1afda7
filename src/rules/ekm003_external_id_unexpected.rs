//! EKM003 `external-id-unexpected`.

use super::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM003",
    slug: "external-id-unexpected",
    severity: Severity::Warning,
    family: Family::Inputs,
    summary: "external_id is empty, has characters STS rejects, or is neither an org nor a project id",
    doc: include_str!("../../rules/EKM003-external-id-unexpected.md"),
};

pub fn check(_cx: &Cx<'_>) -> Outcome {
    Outcome::skipped("not implemented yet")
}
