//! EKM503 `live-external-id-not-enforced`: with `--live`, the role must refuse AssumeRole without
//! an ExternalId and with a wrong one. Without `--live`: skipped.

use crate::rules::{Cx, Evidence, Family, Outcome, RuleMeta, Severity, fixes, support_inputs};

pub static META: RuleMeta = RuleMeta {
    id: "EKM503",
    slug: "live-external-id-not-enforced",
    severity: Severity::Error,
    family: Family::Live,
    summary: "the role could also be assumed without, or with a wrong, ExternalId",
    doc: include_str!("../../../rules/EKM503-live-external-id-not-enforced.md"),
};

pub fn check(cx: &Cx<'_>) -> Outcome {
    let Some(live) = &cx.inputs.live else {
        return support_inputs::live_outcome(cx);
    };
    let role = cx.role_arn().unwrap_or_default();
    if live.assume.is_err() {
        return Outcome::skipped(
            "the role could not be assumed with the ExternalId (see EKM501), so the probe without it says nothing",
        );
    }
    let xid = fixes::external_id_or_placeholder(cx.inputs.registration.external_id.as_deref());
    let mut accepted = Vec::new();
    let mut undecided = Vec::new();
    for (what, r) in [
        ("without an ExternalId", &live.without_external_id),
        ("with a wrong ExternalId", &live.wrong_external_id),
    ] {
        match r {
            Some(Ok(())) => accepted.push(what),
            Some(Err(e)) if e.is_access_denied() => {}
            Some(Err(e)) => undecided.push(format!("{what}: {}", e.message.trim_end_matches('.'))),
            None => undecided.push(format!("{what}: not attempted")),
        }
    }
    let ev = Evidence::new("live", "/AssumeRole", None);
    if !accepted.is_empty() {
        return Outcome::fail(format!(
            "{role} could also be assumed {}: the ExternalId does not protect it from the confused deputy",
            accepted.join(" and ")
        ))
        .evidence(ev)
        .fix(format!(
            "require the ExternalId in every statement of the trust policy that allows sts:AssumeRole:\n{}",
            fixes::pretty(&fixes::trust_statement(&xid))
        ));
    }
    if !undecided.is_empty() {
        return Outcome::unknown(format!(
            "the probe could not be decided: {}",
            undecided.join("; ")
        ))
        .evidence(ev);
    }
    Outcome::pass(format!(
        "{role} refused AssumeRole without an ExternalId and with a wrong one"
    ))
    .evidence(ev)
}
