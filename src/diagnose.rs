//! `diagnose`: from the error text OpenAI returned to its causes. Recognises the errors OpenAI
//! documents (its EKM FAQ: the `sts:AssumeRole` and `kms:Encrypt`/`kms:Decrypt` AccessDenied
//! strings, with its `xxxxx` redactions or real ARNs), names the rules that can cause each, and
//! ranks what a check found: failing rules first (most likely first), then undecided ones, then
//! what no policy seen here can explain.

use serde::Serialize;

use crate::inputs::Registration;
use crate::rules::{Finding, Status};

/// The call OpenAI says was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Call {
    AssumeRole,
    Encrypt,
    Decrypt,
}

impl Call {
    pub fn action(self) -> &'static str {
        match self {
            Call::AssumeRole => "sts:AssumeRole",
            Call::Encrypt => "kms:Encrypt",
            Call::Decrypt => "kms:Decrypt",
        }
    }
}

/// One documented error found in the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reading {
    pub call: Call,
    /// Who was refused, as the text says (`None` when redacted).
    pub caller: Option<String>,
    /// The resource, as the text says (`None` when redacted or absent).
    pub resource: Option<String>,
    /// The text that was recognised.
    pub matched: String,
}

/// A value OpenAI redacted (`xxxxx`, `xxxxxx`, `arn:aws:iam::xxxxx:role/xxxxxx`).
fn redacted(v: &str) -> bool {
    v.is_empty() || v.contains("xxxxx")
}

/// The ARN-like token at the start of `s` (up to whitespace, a quote or a closing bracket).
fn token(s: &str) -> &str {
    let s = s.trim_start();
    let end = s
        .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ')' | ']' | '}' | ','))
        .unwrap_or(s.len());
    s[..end].trim_end_matches(['.', ';'])
}

/// Every documented error in `text`, in order.
pub fn recognise(text: &str) -> Vec<Reading> {
    const PERFORM: &str = "is not authorized to perform: ";
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(PERFORM) {
        let before = &rest[..i];
        let after = &rest[i + PERFORM.len()..];
        let action = token(after);
        let call = match action.to_ascii_lowercase().as_str() {
            "sts:assumerole" => Some(Call::AssumeRole),
            "kms:encrypt" => Some(Call::Encrypt),
            "kms:decrypt" => Some(Call::Decrypt),
            _ => None,
        };
        let caller = before
            .rfind("User: ")
            .map(|u| token(&before[u + 6..]).to_string())
            .filter(|c| !redacted(c));
        let tail = &after[action.len()..];
        let raw = tail
            .trim_start()
            .strip_prefix("on resource")
            .map(|r| token(r.trim_start_matches(':')));
        let resource = raw.map(str::to_string).filter(|r| !redacted(r));
        if let Some(call) = call {
            let start = before.rfind("User: ").unwrap_or(before.len());
            let end = (after.len() - tail.len())
                + match raw {
                    Some(r) if !r.is_empty() => tail.find(r).unwrap_or(0) + r.len(),
                    Some(_) => tail
                        .find("on resource")
                        .map_or(0, |i| i + "on resource".len()),
                    None => 0,
                };
            out.push(Reading {
                call,
                caller,
                resource,
                matched: format!(
                    "{}{PERFORM}{}",
                    &before[start..],
                    &after[..end.min(after.len())]
                ),
            });
        }
        rest = &after[action.len()..];
    }
    out
}

/// The rules that can cause a refused call, most likely first, with why each can.
pub fn suspects(call: Call) -> &'static [(&'static str, &'static str)] {
    match call {
        Call::AssumeRole => &[
            ("EKM002", "the registered role ARN is malformed"),
            (
                "EKM301",
                "the role does not exist (deleted, or re-created under another id)",
            ),
            (
                "EKM404",
                "the trust policy requires another ExternalId than the registered one",
            ),
            (
                "EKM401",
                "the trust policy does not let OpenAI's principal assume the role",
            ),
            ("EKM407", "a Deny in the trust policy refuses OpenAI"),
            (
                "EKM403",
                "the trust policy requires no ExternalId (OpenAI's check of it)",
            ),
            (
                "EKM602",
                "an RCP on the role's account path denies OpenAI's AssumeRole",
            ),
            (
                "EKM601",
                "the organization's SCPs and RCPs could not be read",
            ),
        ],
        Call::Encrypt | Call::Decrypt => &[
            ("EKM001", "the registered key ARN is malformed"),
            (
                "EKM101",
                "the key does not exist (deleted, or in another region or account)",
            ),
            ("EKM103", "the key is disabled or pending deletion"),
            ("EKM102", "the key is not a symmetric encryption key"),
            (
                "EKM107",
                "the registered kms_arn names another key than the role's policy",
            ),
            (
                "EKM304",
                "the role's policy names an alias ARN in Resource, which never matches",
            ),
            (
                "EKM302",
                "the role's policies do not allow kms:Encrypt on the key",
            ),
            (
                "EKM303",
                "the role's policies do not allow kms:Decrypt on the key",
            ),
            (
                "EKM201",
                "the key policy neither names the role nor delegates to IAM",
            ),
            ("EKM202", "a Deny in the key policy refuses the role"),
            (
                "EKM203",
                "a condition of the key policy refuses OpenAI's call",
            ),
            ("EKM307", "the role's permissions boundary refuses the call"),
            (
                "EKM603",
                "an SCP on the role's account path denies the call",
            ),
            ("EKM604", "an RCP on the key's account path denies the call"),
            (
                "EKM601",
                "the organization's SCPs and RCPs could not be read",
            ),
        ],
    }
}

/// A cause found by a rule.
#[derive(Debug, Clone, Serialize)]
pub struct Cause {
    pub rule: &'static str,
    pub name: &'static str,
    /// `fail`: found; `unknown`: could be, not decided.
    pub status: &'static str,
    pub why: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// What the check says about one reading.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnosis {
    #[serde(flatten)]
    pub reading: Reading,
    pub causes: Vec<Cause>,
    /// What remains when the policies seen here explain nothing (or to compare by hand).
    pub remaining: Vec<String>,
}

/// Rank the check's findings as causes of `reading`.
pub fn diagnose(reading: &Reading, findings: &[Finding], reg: &Registration) -> Diagnosis {
    let list = suspects(reading.call);
    let pick = |status: Status| -> Vec<Cause> {
        list.iter()
            .filter(|(id, _)| {
                // EKM302 decides Encrypt, EKM303 Decrypt: the other is not this call's cause.
                !matches!(
                    (reading.call, *id),
                    (Call::Encrypt, "EKM303") | (Call::Decrypt, "EKM302")
                )
            })
            .filter_map(|(id, why)| {
                let f = findings
                    .iter()
                    .find(|f| f.rule.id == *id && f.status == status)?;
                Some(Cause {
                    rule: f.rule.id,
                    name: f.rule.slug,
                    status: f.status.as_str(),
                    why,
                    message: f.message.clone(),
                    fix: f.remediation.clone(),
                })
            })
            .collect()
    };
    let mut causes = pick(Status::Fail);
    causes.extend(pick(Status::Unknown));
    let mut remaining = Vec::new();
    // The ARN in OpenAI's text against the one checked here: a misspelled registration.
    let checked = match reading.call {
        Call::AssumeRole => reg.role_arn.as_deref(),
        _ => reg.kms_arn.as_deref(),
    };
    if let (Some(said), Some(ours)) = (&reading.resource, checked) {
        if said != ours {
            remaining.insert(
                0,
                format!(
                    "OpenAI's call was on {said}, but this check read {ours}: the registered value differs from the one checked (a misspelled or outdated {}); check what is registered (`ekm-check external-keys`) and re-register with the right one",
                    if reading.call == Call::AssumeRole { "role_arn" } else { "kms_arn" }
                ),
            );
        }
    }
    if causes.iter().all(|c| c.status != "fail") {
        match reading.call {
            Call::AssumeRole => {
                remaining.push("the role ARN registered with OpenAI may be misspelled or name another role: OpenAI then gets this same error (compare it with the role checked here)".into());
                remaining.push("the ExternalId registered may differ from the one checked here: OpenAI sends the org id of the organization being enabled (not a personal org); check with --external-id set to the registered value".into());
                remaining.push("an RCP this check could not see (in an AWS Organization, read them with --org-profile or --org-role-arn)".into());
            }
            Call::Encrypt | Call::Decrypt => {
                remaining.push("a condition OpenAI's call fails that no document here shows as certain: an encryption context, aws:SourceIp or aws:SourceVpc, aws:RequestedRegion (only OpenAI's real calls decide them; their outcome shows in CloudTrail, in the key's Encrypt and Decrypt events by OpenAI's session)".into());
                remaining.push("the kms_arn registered with OpenAI may name another key than the one checked here".into());
                remaining.push("an SCP or RCP this check could not see (read them with --org-profile or --org-role-arn)".into());
                remaining.push("a change since (a key disabled, a policy edited) after the call failed: run the check again now".into());
            }
        }
    }
    Diagnosis {
        reading: reading.clone(),
        causes,
        remaining,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ASSUME: &str = "User: arn:aws:sts::xxxxx:assumed-role/EnterpriseKeyManagement/OpenAI-EKM-Service is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::xxxxx:role/xxxxxx";
    const KMS: &str = "User: xxxxx is not authorized to perform: kms:Encrypt on resource";

    #[test]
    fn the_documented_strings_are_recognised_redacted_and_real() {
        let r = recognise(ASSUME);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].call, Call::AssumeRole);
        assert_eq!(r[0].resource, None, "redacted");
        assert_eq!(r[0].caller, None, "the account is redacted");
        assert_eq!(r[0].matched, ASSUME);
        let real = ASSUME
            .replace("xxxxx:role/xxxxxx", "111122223333:role/openai-ekm")
            .replace("sts::xxxxx", "sts::790389265272");
        let r = recognise(&format!("{{\"error\": {{\"message\": \"{real}\"}}}}"));
        assert_eq!(
            r[0].resource.as_deref(),
            Some("arn:aws:iam::111122223333:role/openai-ekm")
        );
        assert_eq!(
            r[0].caller.as_deref(),
            Some(
                "arn:aws:sts::790389265272:assumed-role/EnterpriseKeyManagement/OpenAI-EKM-Service"
            )
        );
        let r = recognise(KMS);
        assert_eq!((r[0].call, r[0].resource.clone()), (Call::Encrypt, None));
        let r = recognise(
            "User: arn:aws:sts::1:assumed-role/x/y is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:111122223333:key/abc because no identity-based policy allows the kms:Decrypt action",
        );
        assert_eq!(r[0].call, Call::Decrypt);
        assert_eq!(
            r[0].resource.as_deref(),
            Some("arn:aws:kms:us-east-1:111122223333:key/abc")
        );
        // Both in one text, in order; other text is not recognised.
        let both = recognise(&format!("{ASSUME}\n{KMS}"));
        assert_eq!(both.len(), 2);
        assert!(recognise("Internal server error").is_empty());
        assert!(
            recognise("User: x is not authorized to perform: s3:GetObject on resource: y")
                .is_empty()
        );
    }
}
