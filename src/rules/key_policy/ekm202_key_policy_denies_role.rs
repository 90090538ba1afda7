//! EKM202 `key-policy-denies-role`: a Deny in the key policy that matches the role's Encrypt or
//! Decrypt overrides every Allow. A Deny that hinges on a value OpenAI's calls may carry (its
//! source IP, the encryption context) may block OpenAI: `unknown`, naming the condition.

use serde_json::json;

use crate::eval::{Layer, Request, Tri};
use crate::policy::{Effect, Statement};
use crate::rules::support_keypolicy as kp;
use crate::rules::{Cx, Evidence, Family, Outcome, RuleMeta, Severity, fixes};

pub static META: RuleMeta = RuleMeta {
    id: "EKM202",
    slug: "key-policy-denies-role",
    severity: Severity::Error,
    family: Family::KeyPolicy,
    summary: "a Deny in the key policy matches the role's Encrypt or Decrypt",
    doc: include_str!("../../../rules/EKM202-key-policy-denies-role.md"),
};

/// One Deny statement that applies (or may) to OpenAI's calls.
struct Hit<'p> {
    statement: &'p Statement,
    policy: &'p crate::policy::Policy,
    denies: Vec<&'static str>,
    may_deny: Vec<&'static str>,
    words: String,
    /// The keys (or variables) it hinges on, when it may deny.
    keys: Vec<String>,
}

pub fn check(cx: &Cx<'_>) -> Outcome {
    let paths = match kp::crypto_paths(cx, true) {
        Ok(p) => p,
        Err(o) => return o,
    };
    let policy = cx
        .inputs
        .key_policy
        .get()
        .and_then(|d| d.policy())
        .expect("checked by crypto_paths");
    let doc = kp::doc_name(policy);
    let role = cx.role_arn().unwrap_or_default();
    let mut hits: Vec<Hit<'_>> = Vec::new();
    for c in &paths {
        for r in c.layer(Layer::Resource, Effect::Deny) {
            if r.applies == Tri::False {
                continue;
            }
            let i = match hits
                .iter()
                .position(|h| std::ptr::eq(h.statement, r.statement))
            {
                Some(i) => i,
                None => {
                    hits.push(Hit {
                        statement: r.statement,
                        policy: r.policy,
                        denies: Vec::new(),
                        may_deny: Vec::new(),
                        words: why_it_applies(r.statement, &c.request),
                        keys: Vec::new(),
                    });
                    hits.len() - 1
                }
            };
            if r.applies.is_true() {
                hits[i].denies.push(c.action);
            } else {
                hits[i].may_deny.push(c.action);
                kp::push_unique(&mut hits[i].keys, kp::undecided_keys(r));
            }
        }
    }
    let denies_count = paths
        .iter()
        .map(|c| c.layer(Layer::Resource, Effect::Deny).count())
        .max()
        .unwrap_or(0);
    if hits.is_empty() {
        return Outcome::pass(if denies_count == 0 {
            format!("{doc} has no Deny statement")
        } else {
            format!(
                "none of the {denies_count} Deny statements of {doc} matches the role's kms:Encrypt or kms:Decrypt"
            )
        });
    }
    let evidence: Vec<Evidence> = hits
        .iter()
        .map(|h| cx.evidence(h.policy, h.statement))
        .collect();
    let fix = format!(
        "remove the Deny, or exempt the role's session from it: a Deny applies only when all its conditions hold, so add this to the statement's Condition (or add the role to an existing aws:PrincipalArn exemption):\n{}",
        fixes::pretty(&json!({"ArnNotEquals": {"aws:PrincipalArn": role}}))
    );
    let sure: Vec<&Hit<'_>> = hits.iter().filter(|h| !h.denies.is_empty()).collect();
    if !sure.is_empty() {
        let parts: Vec<String> = sure
            .iter()
            .map(|h| {
                format!(
                    "{} denies the role's {}: {}",
                    kp::st_at(h.statement),
                    kp::and_list(&h.denies),
                    h.words
                )
            })
            .collect();
        return Outcome::fail(format!("{doc} {}", parts.join("; ")))
            .evidences(evidence)
            .fix(fix);
    }
    let mut keys: Vec<String> = Vec::new();
    let parts: Vec<String> = hits
        .iter()
        .map(|h| {
            kp::push_unique(&mut keys, h.keys.iter().cloned());
            format!(
                "{} may deny the role's {}: {}",
                kp::st_at(h.statement),
                kp::and_list(&h.may_deny),
                h.words
            )
        })
        .collect();
    Outcome::unknown(format!(
        "{doc} {}; whether it blocks OpenAI depends on {}",
        parts.join("; "),
        kp::and_list(&keys)
    ))
    .evidences(evidence)
    .fix(format!("{fix}\n{}", kp::settle(&keys)))
}

/// Why the Deny's conditions hold (or may) for OpenAI's call.
fn why_it_applies(st: &Statement, req: &Request) -> String {
    if st.conditions.is_empty() {
        return "it has no condition".into();
    }
    let parts: Vec<String> = st
        .conditions
        .iter()
        .map(|c| match c.eval(&req.context) {
            Tri::Unknown => kp::undecided_text(c),
            _ => format!(
                "{} holds ({})",
                kp::condition_text(c),
                kp::context_words(&req.context, &c.key_lc)
            ),
        })
        .collect();
    kp::and_list(&parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Status;
    use crate::rules::support_keypolicy::{baseline_with, run};

    fn with_deny(condition: serde_json::Value) -> crate::inputs::Inputs {
        baseline_with(|v| {
            v["key"]["policy"]["Statement"]
                .as_array_mut()
                .unwrap()
                .push(json!({
                    "Sid": "Guard", "Effect": "Deny", "Principal": "*", "Action": "kms:*",
                    "Resource": "*", "Condition": condition
                }));
        })
    }

    #[test]
    fn a_deny_that_exempts_the_role_passes() {
        let i = with_deny(
            json!({"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/openai-ekm"}}),
        );
        let o = run(check, &i);
        assert_eq!(o.status, Status::Pass, "{}", o.message);
    }

    #[test]
    fn a_deny_on_a_key_openai_never_sends_fails() {
        let i = with_deny(
            json!({"StringNotEqualsIfExists": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}),
        );
        let o = run(check, &i);
        assert_eq!(o.status, Status::Fail, "{}", o.message);
        assert!(o.message.contains("\"Guard\""), "{}", o.message);
        assert!(o.remediation.unwrap().contains("ArnNotEquals"));
    }

    #[test]
    fn a_deny_on_the_encryption_context_is_unknown() {
        let i = with_deny(json!({"Null": {"kms:EncryptionContext:tenant": "true"}}));
        let o = run(check, &i);
        assert_eq!(o.status, Status::Unknown, "{}", o.message);
        assert!(
            o.message.contains("kms:EncryptionContext:tenant"),
            "{}",
            o.message
        );
    }
}
