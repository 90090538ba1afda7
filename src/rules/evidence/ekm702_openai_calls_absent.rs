//! EKM702 `openai-calls-absent`: no call by OpenAI on the role or the key within the window, as
//! CloudTrail recorded it (`--evidence`), with OpenAI's last success if any. Without evidence:
//! skipped.

use super::ekm701_openai_calls_failing::missing;
use super::support::{self, Call};
use crate::rules::{Cx, Evidence, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM702",
    slug: "openai-calls-absent",
    severity: Severity::Info,
    family: Family::Evidence,
    summary: "no AssumeRole, Encrypt or Decrypt by OpenAI within the window (CloudTrail)",
    doc: include_str!("../../../rules/EKM702-openai-calls-absent.md"),
};

pub fn check(cx: &Cx<'_>) -> Outcome {
    if let Some(o) = missing(cx) {
        return o;
    }
    let Some(ev) = cx.inputs.evidence.get() else {
        return Outcome::unknown("internal: evidence present but not readable");
    };
    let Some(role) = cx.role_arn() else {
        return Outcome::unknown(
            "no role_arn is registered, so OpenAI's sessions cannot be told among the events",
        );
    };
    let calls = support::openai_calls(ev, role, &support::key_arns(cx));
    if let Some(last) = calls.last() {
        let all: Vec<&Call> = calls.iter().collect();
        let kms = calls.iter().any(|c| c.name != "AssumeRole");
        let how = match &last.error_code {
            Some(e) => format!("failed with {e}; see EKM701"),
            None => "succeeded".to_string(),
        };
        let mut m = format!(
            "OpenAI called {} times since {} ({}); the last, {} at {}, {how}",
            calls.len(),
            ev.since,
            support::counts(&all),
            last.name,
            last.time
        );
        if !kms {
            m.push_str(
                "; no Encrypt or Decrypt on the key was seen (the key's events may be excluded from CloudTrail, or in another region)",
            );
        }
        return Outcome::pass(m).evidence(Evidence::new(
            "evidence",
            &format!("/evidence/events/{}", last.index),
            None,
        ));
    }
    if !ev.complete {
        return Outcome::unknown(format!(
            "no call by OpenAI among the events read since {}, but the lookups stopped at their bound before the window's start (use a shorter --since or a larger --evidence-max-events)",
            ev.since
        ));
    }
    let last = match &ev.last_success {
        Some(r) => format!(
            "OpenAI's last success: {} at {}",
            r["eventName"].as_str().unwrap_or_default(),
            r["eventTime"].as_str().unwrap_or_default()
        ),
        None => "no success by OpenAI in the event history looked at".to_string(),
    };
    let looked: Vec<String> = ev
        .lookups
        .iter()
        .filter_map(|l| {
            Some(format!(
                "{} in {}",
                l.get("resource")?.as_str()?,
                l.get("region")?.as_str()?
            ))
        })
        .collect();
    let mut m = format!(
        "no AssumeRole, Encrypt or Decrypt by OpenAI since {} ({} events read{}): the key is not registered yet, no project uses it, or CloudTrail does not record the key's events; {last}",
        ev.since,
        ev.events.len(),
        if looked.is_empty() {
            String::new()
        } else {
            format!(" for {}", looked.join(", "))
        }
    );
    if m.ends_with('.') {
        m.pop();
    }
    Outcome::fail(m).fix(
        "if the key is registered and a project uses it, make a request in that project (OpenAI calls the key when it encrypts or decrypts data) and check again; register with `ekm-check register`; a trail that excludes KMS events (`ExcludeManagementEventSources`) hides Encrypt and Decrypt from a trail, not from event history",
    )
}
