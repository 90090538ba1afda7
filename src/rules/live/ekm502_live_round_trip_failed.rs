//! EKM502 `live-round-trip-failed`: with `--live`, Encrypt then Decrypt of random bytes as the
//! role, with each call's latency. Without `--live`: skipped.

use crate::rules::{Cx, Evidence, Family, Outcome, RuleMeta, Severity, support_inputs};

pub static META: RuleMeta = RuleMeta {
    id: "EKM502",
    slug: "live-round-trip-failed",
    severity: Severity::Error,
    family: Family::Live,
    summary: "Encrypt then Decrypt as the role failed or returned other bytes",
    doc: include_str!("../../../rules/EKM502-live-round-trip-failed.md"),
};

pub fn check(cx: &Cx<'_>) -> Outcome {
    let Some(live) = &cx.inputs.live else {
        return support_inputs::live_outcome(cx);
    };
    let key = cx
        .inputs
        .registration
        .kms_arn
        .as_deref()
        .unwrap_or_default();
    if live.assume.is_err() {
        return Outcome::skipped(
            "the role could not be assumed (see EKM501), so the round trip was not attempted",
        );
    }
    let ev = |op: &str| Evidence::new("live", &format!("/{op}"), None);
    match (&live.encrypt, &live.decrypt, live.round_trip_matches) {
        (Some(Ok(e)), Some(Ok(d)), Some(true)) => Outcome::pass(format!(
            "as the role, kms:Encrypt of 32 random bytes with {key} took {e} ms and kms:Decrypt returned the same bytes in {d} ms"
        ))
        .evidence(ev("Encrypt"))
        .evidence(ev("Decrypt")),
        (Some(Ok(_)), Some(Ok(_)), _) => Outcome::fail(format!(
            "as the role, kms:Decrypt did not return the bytes kms:Encrypt was given with {key}"
        ))
        .evidence(ev("Decrypt")),
        (Some(Err(e)), _, _) => Outcome::fail(format!(
            "as the role, kms:Encrypt with {key} failed: {}",
            e.message.trim_end_matches('.')
        ))
        .evidence(ev("Encrypt"))
        .fix("see EKM302 for what the policies say; a live failure they do not explain points at an SCP, an RCP or a grant constraint"),
        (Some(Ok(_)), Some(Err(e)), _) => Outcome::fail(format!(
            "as the role, kms:Decrypt with {key} failed: {}",
            e.message.trim_end_matches('.')
        ))
        .evidence(ev("Decrypt"))
        .fix("see EKM303 for what the policies say; a live failure they do not explain points at an SCP, an RCP or a grant constraint"),
        _ => Outcome::unknown("the round trip did not complete"),
    }
}
