//! CloudTrail records, read for OpenAI's calls: which events are OpenAI's, and the trimmed form
//! kept in a snapshot (also used by the loader, `src/aws/evidence.rs`).
//!
//! - `AssumeRole` on the role is OpenAI's when the caller is OpenAI's account (790389265272):
//!   `userIdentity.accountId`, or the account in `userIdentity.arn`.
//! - `Encrypt`/`Decrypt` on the key is OpenAI's when made by a session of the role
//!   (`userIdentity.sessionContext.sessionIssuer.arn`, or the role's name in an
//!   `assumed-role/NAME/SESSION` ARN) whose session name no other caller was issued in the
//!   window (another principal's AssumeRole on the role names it) and that is not ekm-check's
//!   own self-test (`ekm-check-selftest`). The name OpenAI gives its session is not published.

use serde_json::{Map, Value as J};

use crate::inputs::CallEvidence;
use crate::rules::paths::OPENAI_ACCOUNT;

/// The calls the rules look at.
pub const CALLS: &[&str] = &["AssumeRole", "Encrypt", "Decrypt"];

/// The request parameters kept (none can hold key material: CloudTrail never records
/// plaintext, and anything else is dropped).
const PARAMS: &[&str] = &[
    "roleArn",
    "roleSessionName",
    "externalId",
    "durationSeconds",
    "sourceIdentity",
    "keyId",
    "encryptionAlgorithm",
    "encryptionContext",
    "dryRun",
];

/// A CloudTrail record in the form a snapshot keeps: from a record, LookupEvents' entry (its
/// `CloudTrailEvent` string), or that string; `None` when it is none of them.
pub fn record(v: &J) -> Option<J> {
    let parsed;
    let rec = match v {
        J::String(s) => {
            parsed = serde_json::from_str::<J>(s).ok()?;
            &parsed
        }
        J::Object(o) => match o.get("CloudTrailEvent").and_then(J::as_str) {
            Some(s) => {
                parsed = serde_json::from_str::<J>(s).ok()?;
                &parsed
            }
            None => v,
        },
        _ => return None,
    };
    rec.get("eventName").and_then(J::as_str)?;
    rec.get("eventTime").and_then(J::as_str)?;
    Some(trim(rec))
}

/// Keep the fields the rules and a reader need; drop `responseElements` (AssumeRole's answer
/// holds the session's credentials), `additionalEventData` and every request parameter not in
/// [`PARAMS`].
pub fn trim(rec: &J) -> J {
    let mut out = Map::new();
    for k in [
        "eventTime",
        "eventName",
        "eventSource",
        "awsRegion",
        "errorCode",
        "errorMessage",
        "sourceIPAddress",
        "userAgent",
        "eventID",
    ] {
        if let Some(v) = rec.get(k).filter(|v| !v.is_null()) {
            out.insert(k.into(), v.clone());
        }
    }
    if let Some(u) = rec.get("userIdentity").and_then(J::as_object) {
        let mut id = Map::new();
        for k in ["type", "arn", "accountId", "principalId", "invokedBy"] {
            if let Some(v) = u.get(k) {
                id.insert(k.into(), v.clone());
            }
        }
        if let Some(i) = u
            .get("sessionContext")
            .and_then(|s| s.get("sessionIssuer"))
            .and_then(J::as_object)
        {
            let issuer: Map<String, J> = ["type", "arn", "accountId", "userName"]
                .iter()
                .filter_map(|k| i.get(*k).map(|v| (k.to_string(), v.clone())))
                .collect();
            id.insert(
                "sessionContext".into(),
                serde_json::json!({"sessionIssuer": issuer}),
            );
        }
        out.insert("userIdentity".into(), J::Object(id));
    }
    if let Some(p) = rec.get("requestParameters").and_then(J::as_object) {
        let kept: Map<String, J> = p
            .iter()
            .filter(|(k, _)| PARAMS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        out.insert("requestParameters".into(), J::Object(kept));
    }
    if let Some(r) = rec.get("resources").and_then(J::as_array) {
        let kept: Vec<J> = r
            .iter()
            .map(|x| {
                let m: Map<String, J> = ["ARN", "type", "accountId"]
                    .iter()
                    .filter_map(|k| x.get(*k).map(|v| (k.to_string(), v.clone())))
                    .collect();
                J::Object(m)
            })
            .collect();
        out.insert("resources".into(), J::Array(kept));
    }
    J::Object(out)
}

/// One call by OpenAI.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// Its index in `evidence.events`.
    pub index: usize,
    pub name: String,
    pub time: String,
    pub region: String,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    /// The request parameters kept (never plaintext).
    pub params: J,
}

fn s<'a>(v: &'a J, p: &str) -> Option<&'a str> {
    v.pointer(p).and_then(J::as_str)
}

/// The account in an ARN.
fn account(arn: &str) -> Option<&str> {
    arn.split(':').nth(4).filter(|a| !a.is_empty())
}

/// Is this `AssumeRole` record made by OpenAI's account?
fn by_openai(rec: &J) -> bool {
    s(rec, "/userIdentity/accountId") == Some(OPENAI_ACCOUNT)
        || s(rec, "/userIdentity/arn").and_then(account) == Some(OPENAI_ACCOUNT)
}

/// The session name when `rec` was made by a session of `role_arn`.
fn session_of<'a>(rec: &'a J, role_arn: &str) -> Option<&'a str> {
    let arn = s(rec, "/userIdentity/arn")?;
    let (head, rest) = arn.split_once(":assumed-role/")?;
    let (role_name, session) = rest.rsplit_once('/')?;
    let issuer = s(rec, "/userIdentity/sessionContext/sessionIssuer/arn");
    let ours = match issuer {
        Some(i) => i == role_arn,
        None => {
            let name = role_arn.rsplit('/').next().unwrap_or_default();
            role_name == name && account(head) == account(role_arn) && account(head).is_some()
        }
    };
    ours.then_some(session)
}

/// Does a KMS record name this key (or name no resource at all)?
fn on_key(rec: &J, keys: &[&str]) -> bool {
    match rec.get("resources").and_then(J::as_array) {
        Some(r) if !r.is_empty() && !keys.is_empty() => r
            .iter()
            .filter_map(|x| x.get("ARN").and_then(J::as_str))
            .any(|a| keys.contains(&a)),
        _ => true,
    }
}

/// OpenAI's calls among the records, oldest first.
pub fn openai_calls(ev: &CallEvidence, role_arn: &str, keys: &[&str]) -> Vec<Call> {
    calls_in(&ev.events, role_arn, keys)
}

/// OpenAI's calls among `events`, oldest first.
pub fn calls_in(events: &[J], role_arn: &str, keys: &[&str]) -> Vec<Call> {
    // Session names issued to other callers of the role: their KMS calls are not OpenAI's.
    let mut others: Vec<&str> = vec![crate::aws::live::SESSION_NAME];
    for e in events {
        if s(e, "/eventName") == Some("AssumeRole")
            && !by_openai(e)
            && s(e, "/requestParameters/roleArn") == Some(role_arn)
        {
            if let Some(n) = s(e, "/requestParameters/roleSessionName") {
                others.push(n);
            }
        }
    }
    let mut out: Vec<Call> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| match s(e, "/eventName") {
            Some("AssumeRole") => {
                by_openai(e) && s(e, "/requestParameters/roleArn").is_none_or(|r| r == role_arn)
            }
            Some("Encrypt" | "Decrypt") => {
                on_key(e, keys) && session_of(e, role_arn).is_some_and(|n| !others.contains(&n))
            }
            _ => false,
        })
        .map(|(i, e)| Call {
            index: i,
            name: s(e, "/eventName").unwrap_or_default().to_string(),
            time: s(e, "/eventTime").unwrap_or_default().to_string(),
            region: s(e, "/awsRegion").unwrap_or_default().to_string(),
            error_code: s(e, "/errorCode")
                .filter(|c| !c.is_empty())
                .map(str::to_string),
            error_message: s(e, "/errorMessage").map(str::to_string),
            params: e
                .get("requestParameters")
                .cloned()
                .unwrap_or(J::Object(Map::new())),
        })
        .collect();
    out.sort_by(|a, b| a.time.cmp(&b.time).then(a.index.cmp(&b.index)));
    out
}

/// The key ARNs a KMS record may name: the key's ARN as DescribeKey gives it, and `kms_arn`.
pub fn key_arns<'a>(cx: &crate::rules::Cx<'a>) -> Vec<&'a str> {
    let mut v: Vec<&str> = Vec::new();
    if let Some(a) = cx.inputs.key.get().and_then(|k| k.str("Arn")) {
        v.push(a);
    }
    if let Some(a) = cx.inputs.registration.kms_arn.as_deref() {
        if a.contains(":key/") && !v.contains(&a) {
            v.push(a);
        }
    }
    v
}

/// `AssumeRole ×3, Decrypt ×12`
pub fn counts(calls: &[&Call]) -> String {
    CALLS
        .iter()
        .filter_map(|n| {
            let k = calls.iter().filter(|c| c.name == *n).count();
            (k > 0).then(|| format!("{n} ×{k}"))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ROLE: &str = "arn:aws:iam::111122223333:role/team/openai-ekm";

    fn kms(name: &str, session: &str, error: Option<&str>) -> J {
        let mut r = json!({"eventName": name, "eventTime": "2026-11-27T10:00:00Z", "awsRegion": "us-east-1",
            "userIdentity": {"type": "AssumedRole",
                "arn": format!("arn:aws:sts::111122223333:assumed-role/openai-ekm/{session}"),
                "sessionContext": {"sessionIssuer": {"type": "Role", "arn": ROLE}}},
            "requestParameters": {"encryptionAlgorithm": "SYMMETRIC_DEFAULT", "plaintext": "SECRET"},
            "responseElements": null});
        if let Some(e) = error {
            r["errorCode"] = json!(e);
        }
        r
    }

    #[test]
    fn openai_is_told_from_other_callers() {
        let events = [
            json!({"eventName": "AssumeRole", "eventTime": "2026-11-27T09:00:00Z",
                   "userIdentity": {"type": "AWSAccount", "accountId": "790389265272"},
                   "requestParameters": {"roleArn": ROLE, "roleSessionName": "openai-1", "externalId": "org-x"},
                   "responseElements": {"credentials": {"sessionToken": "TOKEN"}}}),
            json!({"eventName": "AssumeRole", "eventTime": "2026-11-27T09:30:00Z",
                   "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/Admin/me", "accountId": "111122223333"},
                   "requestParameters": {"roleArn": ROLE, "roleSessionName": "admin-debug"}}),
            kms("Decrypt", "openai-1", None),
            kms("Decrypt", "admin-debug", Some("AccessDeniedException")),
            kms("Encrypt", "ekm-check-selftest", None),
            kms("Encrypt", "openai-2", Some("AccessDeniedException")),
        ];
        let trimmed: Vec<J> = events.iter().filter_map(record).collect();
        let text = J::Array(trimmed.clone()).to_string();
        assert!(
            !text.contains("TOKEN") && !text.contains("SECRET"),
            "{text}"
        );
        let calls = calls_in(&trimmed, ROLE, &[]);
        let names: Vec<(&str, Option<&str>)> = calls
            .iter()
            .map(|c| (c.name.as_str(), c.error_code.as_deref()))
            .collect();
        assert_eq!(
            names,
            [
                ("AssumeRole", None),
                ("Decrypt", None),
                ("Encrypt", Some("AccessDeniedException"))
            ]
        );
        // LookupEvents' own entry, with the record as a JSON string.
        let entry = json!({"EventName": "Decrypt", "CloudTrailEvent": kms("Decrypt", "s", None).to_string()});
        assert_eq!(record(&entry).unwrap()["eventName"], "Decrypt");
        assert!(record(&json!({"x": 1})).is_none());
    }
}
