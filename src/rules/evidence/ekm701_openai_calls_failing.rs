//! EKM701 `openai-calls-failing`: OpenAI's AssumeRole, Encrypt or Decrypt failed within the
//! window, as CloudTrail recorded it (`--evidence`). Without evidence: skipped.

use serde_json::json;

use super::support::{self, Call};
use crate::inputs::Part;
use crate::rules::{Cx, Evidence, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM701",
    slug: "openai-calls-failing",
    severity: Severity::Error,
    family: Family::Evidence,
    summary: "OpenAI's AssumeRole, Encrypt or Decrypt calls failed within the window (CloudTrail)",
    doc: include_str!("../../../rules/EKM701-openai-calls-failing.md"),
};

/// The outcome for evidence that is absent or unreadable, shared with EKM702.
pub(super) fn missing(cx: &Cx<'_>) -> Option<Outcome> {
    match &cx.inputs.evidence {
        Part::Present(_) => None,
        Part::Absent(r) => Some(Outcome::skipped(r.clone())),
        Part::Error(e) => Some(Outcome::unknown(format!(
            "CloudTrail's event history could not be read, so OpenAI's calls are not known: {}",
            e.trim_end().trim_end_matches('.')
        ))),
    }
}

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
    let failed: Vec<&Call> = calls.iter().filter(|c| c.error_code.is_some()).collect();
    // The last success of each call: which of OpenAI's calls still work.
    let last_ok: Vec<&Call> = support::CALLS
        .iter()
        .filter_map(|n| {
            calls
                .iter()
                .rev()
                .find(|c| c.name == *n && c.error_code.is_none())
        })
        .collect();
    if failed.is_empty() {
        if !ev.complete {
            return Outcome::unknown(format!(
                "none of the {} calls by OpenAI read since {} failed, but the lookups stopped at their bound before the window's start: older failures are not seen (use a shorter --since or a larger --evidence-max-events)",
                calls.len(),
                ev.since
            ));
        }
        return if calls.is_empty() {
            Outcome::pass(format!(
                "no call by OpenAI since {}, so none failed (EKM702 says why there is none)",
                ev.since
            ))
        } else {
            let all: Vec<&Call> = calls.iter().collect();
            Outcome::pass(format!(
                "none of OpenAI's {} calls since {} failed ({})",
                calls.len(),
                ev.since,
                support::counts(&all)
            ))
        };
    }
    // Group by call and error code, the most recent group first.
    let mut groups: Vec<(String, String, Vec<&Call>)> = Vec::new();
    for c in &failed {
        let code = c.error_code.clone().unwrap_or_default();
        match groups
            .iter_mut()
            .find(|(n, e, _)| *n == c.name && *e == code)
        {
            Some(g) => g.2.push(c),
            None => groups.push((c.name.clone(), code, vec![c])),
        }
    }
    groups.sort_by(|a, b| {
        let last = |g: &Vec<&Call>| g.last().map(|c| c.time.clone()).unwrap_or_default();
        last(&b.2).cmp(&last(&a.2))
    });
    let parts: Vec<String> = groups
        .iter()
        .map(|(name, code, cs)| {
            let (first, last) = (cs.first().expect("a call"), cs.last().expect("a call"));
            format!(
                "{name} {code} ×{} (first {}, last {})",
                cs.len(),
                first.time,
                last.time
            )
        })
        .collect();
    let success = match last_ok.as_slice() {
        [] => match &ev.last_success {
            Some(r) => format!(
                "last success: {} at {} (before the window)",
                r["eventName"].as_str().unwrap_or_default(),
                r["eventTime"].as_str().unwrap_or_default()
            ),
            None => "no success by OpenAI in the events read".to_string(),
        },
        ok => format!(
            "last success: {}",
            ok.iter()
                .map(|c| format!("{} at {}", c.name, c.time))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let evidence = groups.iter().map(|(name, code, cs)| {
        let last = cs.last().expect("a call");
        Evidence::new(
            "evidence",
            &format!("/evidence/events/{}", last.index),
            Some(json!({
                "eventName": name,
                "errorCode": code,
                "count": cs.len(),
                "first": cs.first().map(|c| c.time.clone()),
                "last": last.time,
                "awsRegion": last.region,
                "errorMessage": last.error_message,
                "requestParameters": last.params,
            })),
        )
    });
    let mut fix = String::from(
        "read each error with diagnose, which runs the rules that can cause it, then fix what it names and check again:\n",
    );
    let mut seen: Vec<&str> = Vec::new();
    for (_, _, cs) in &groups {
        if let Some(m) = cs.last().and_then(|c| c.error_message.as_deref()) {
            if !seen.contains(&m) {
                seen.push(m);
                fix.push_str(&format!("  ekm-check diagnose {}\n", crate::openai::sq(m)));
            }
        }
    }
    fix.push_str(
        "an error that names no policy: a key disabled or pending deletion (EKM103), an encryption context or aws:SourceIp condition (requestParameters shows what OpenAI sent), an SCP or RCP added since; a failed AssumeRole with another externalId than the registered one: the registration or the trust policy's ExternalId is wrong",
    );
    Outcome::fail(format!(
        "OpenAI's calls failed {} times since {}: {}; {success}",
        failed.len(),
        ev.since,
        parts.join(", ")
    ))
    .evidences(evidence)
    .fix(fix)
}
