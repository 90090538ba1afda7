//! EKM304 `policy-resource-is-alias`: an identity policy Allow for Encrypt or Decrypt whose
//! Resource names an alias ARN applies to the alias resource, not to any key: it grants nothing
//! on the key. OpenAI's template puts `kms_arn` into Resource, so registering an alias ARN and
//! following the template produces exactly this.

use crate::eval::Context;
use crate::inputs::Doc;
use crate::policy::{Effect, Statement};
use crate::rules::support_keypolicy as kp;
use crate::rules::{Cx, Evidence, Family, Outcome, RuleMeta, Severity, fixes};

pub static META: RuleMeta = RuleMeta {
    id: "EKM304",
    slug: "policy-resource-is-alias",
    severity: Severity::Error,
    family: Family::Role,
    summary: "an Allow for Encrypt or Decrypt names an alias ARN in Resource, which grants nothing on the key",
    doc: include_str!("../../../rules/EKM304-policy-resource-is-alias.md"),
};

pub fn check(cx: &Cx<'_>) -> Outcome {
    let ids = match kp::identity_docs(cx) {
        Ok(d) => d,
        Err(o) => return o,
    };
    let key = cx.key_arn();
    let mut failing: Vec<String> = Vec::new();
    let mut harmless: Vec<String> = Vec::new();
    let mut evidence: Vec<Evidence> = Vec::new();
    for (doc, policy) in &ids.docs {
        for st in policy
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Allow)
        {
            let crypto: Vec<&str> = kp::CRYPTO_ACTIONS
                .into_iter()
                .filter(|a| kp::allows_action(st, a))
                .collect();
            if crypto.is_empty() {
                continue;
            }
            let Some(m) = st.resource.as_ref().filter(|m| !m.negated) else {
                continue;
            };
            let aliases: Vec<(usize, &str)> = m
                .raw
                .iter()
                .enumerate()
                .filter(|(_, r)| kp::is_alias_arn(r))
                .map(|(i, r)| (i, r.as_str()))
                .collect();
            if aliases.is_empty() {
                continue;
            }
            // Do the statement's other entries cover the key? Then the alias entry is dead weight.
            let covers_key = key.is_some_and(|k| {
                m.patterns.iter().any(|p| {
                    !kp::is_alias_arn(&p.raw) && p.matches_arn(k, &Context::default()).is_true()
                })
            });
            let names: Vec<String> = aliases.iter().map(|(_, a)| a.to_string()).collect();
            let line = format!(
                "{} {} allows {} on {}",
                kp::doc_name(policy),
                kp::st_at(st),
                kp::and_list(&crypto),
                kp::and_list(&names)
            );
            if covers_key {
                harmless.push(format!("{line}, but also names the key"));
                continue;
            }
            failing.push(line);
            for (i, a) in &aliases {
                evidence.push(resource_evidence(doc, st, *i, a));
            }
        }
    }
    if failing.is_empty() {
        let mut msg = "no identity policy of the role names an alias ARN as the Resource of kms:Encrypt or kms:Decrypt".to_string();
        if !harmless.is_empty() {
            msg.push_str(&format!(
                " on its own ({}; an alias entry grants nothing on the key and can go)",
                harmless.join("; ")
            ));
        }
        return ids.clean(msg);
    }
    let key_text = key.unwrap_or("arn:aws:kms:REGION:ACCOUNT:key/KEY_ID");
    let mut msg = format!(
        "an alias ARN in Resource grants nothing on the key, so these statements do not let the role use it: {}",
        failing.join("; ")
    );
    if let Some(reg) = cx
        .inputs
        .registration
        .kms_arn
        .as_deref()
        .filter(|a| kp::is_alias_arn(a))
    {
        msg.push_str(&format!(
            "; kms_arn is registered as the alias {reg}, and OpenAI's template puts kms_arn into Resource, which reproduces this"
        ));
    }
    Outcome::fail(msg).evidences(evidence).fix(format!(
        "name the key's ARN in Resource (an alias ARN there applies to the alias, not to the key):\n{}\nto keep tying access to an alias, use the key ARN (or a key/* pattern) in Resource with a kms:ResourceAliases or kms:RequestAlias condition; OpenAI also recommends registering the key ARN rather than an alias, since re-pointing an alias revokes access",
        fixes::pretty(&fixes::identity_statement(key_text))
    ))
}

/// Evidence at the Resource entry (`…/Resource` for a single value, `…/Resource/1` in a list).
fn resource_evidence(doc: &Doc, st: &Statement, i: usize, alias: &str) -> Evidence {
    let base = st
        .resource
        .as_ref()
        .map(|m| m.pointer.clone())
        .unwrap_or_else(|| format!("{}/Resource", st.pointer));
    let pointer = match kp::value_at(doc, &base) {
        Some(serde_json::Value::Array(_)) => format!("{base}/{i}"),
        _ => base,
    };
    Evidence::in_doc(doc, &pointer, st.pos, Some(serde_json::json!(alias)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Status;
    use crate::rules::support_keypolicy::{baseline_with, run};
    use serde_json::json;

    const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const ALIAS: &str = "arn:aws:kms:us-east-1:111122223333:alias/openai-ekm";

    #[test]
    fn an_alias_beside_the_key_is_harmless() {
        let i = baseline_with(|v| {
            v["role"]["attached_policies"][0]["document"]["Statement"][0]["Resource"] =
                json!([KEY, ALIAS]);
        });
        let o = run(check, &i);
        assert_eq!(o.status, Status::Pass, "{}", o.message);
        assert!(o.message.contains("also names the key"), "{}", o.message);
    }

    #[test]
    fn evidence_points_at_the_list_item() {
        let i = baseline_with(|v| {
            v["role"]["attached_policies"][0]["document"]["Statement"][0]["Resource"] =
                json!(["arn:aws:kms:us-east-1:111122223333:key/other", ALIAS]);
        });
        let o = run(check, &i);
        assert_eq!(o.status, Status::Fail, "{}", o.message);
        assert_eq!(o.evidence[0].pointer, "/Statement/0/Resource/1");
        assert!(o.remediation.unwrap().contains(KEY));
    }

    #[test]
    fn a_not_action_that_spares_encrypt_and_decrypt_is_not_flagged() {
        let i = baseline_with(|v| {
            v["role"]["inline_policies"] = json!([{"name": "x", "document": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "NotAction": "kms:*crypt", "Resource": ALIAS}]
            }}]);
        });
        assert_eq!(run(check, &i).status, Status::Pass);
    }
}
