//! EKM305 `role-kms-overbroad`: OpenAI holds whatever the role may do. The role needs only
//! `kms:Encrypt` and `kms:Decrypt` on this key; other KMS actions, or Encrypt/Decrypt on other
//! keys, are more than it needs (a warning), and actions that destroy or re-permission keys are
//! an error.

use super::support_keypolicy::{self as kp, IdentityDocs};
use super::{Cx, Evidence, Family, Outcome, RuleMeta, Severity, fixes};
use crate::eval::Context;
use crate::policy::actions::KMS_ACTIONS;
use crate::policy::pattern::arn_parts;
use crate::policy::{Effect, Statement};

pub static META: RuleMeta = RuleMeta {
    id: "EKM305",
    slug: "role-kms-overbroad",
    severity: Severity::Warning,
    family: Family::Role,
    summary: "the role may do more with KMS than Encrypt and Decrypt on this key",
    doc: include_str!("../../rules/EKM305-role-kms-overbroad.md"),
};

/// Actions that destroy a key or hand its use to others.
const DESTRUCTIVE: &[&str] = &[
    "ScheduleKeyDeletion",
    "DisableKey",
    "PutKeyPolicy",
    "CreateGrant",
    "DeleteImportedKeyMaterial",
];

/// How many extra actions a message lists before "and N more".
const LIST: usize = 8;

pub fn check(cx: &Cx<'_>) -> Outcome {
    let ids = match kp::identity_docs(cx) {
        Ok(d) => d,
        Err(o) => return o,
    };
    let key = cx.key_arn();
    let role = cx.role_arn().unwrap_or_default();
    let account = kp::role_account(role).map(|(_, a)| a);
    let ctx = variables(role, account.as_deref());
    let probes = probes(key, account.as_deref());
    let all_extra = KMS_ACTIONS.len() - 2;

    let mut parts: Vec<String> = Vec::new();
    let mut evidence: Vec<Evidence> = Vec::new();
    let mut destructive: Vec<&str> = Vec::new();
    for (_, policy) in &ids.docs {
        for st in policy
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Allow)
        {
            if !kp::reaches_kms(st) {
                continue;
            }
            let extra: Vec<&str> = KMS_ACTIONS
                .iter()
                .copied()
                .filter(|a| *a != "Encrypt" && *a != "Decrypt")
                .filter(|a| effective(cx, &ids, st, &format!("kms:{a}")))
                .collect();
            let crypto: Vec<&str> = kp::CRYPTO_ACTIONS
                .into_iter()
                .filter(|a| effective(cx, &ids, st, a))
                .collect();
            let beyond = if crypto.is_empty() {
                Vec::new()
            } else {
                beyond_key(st, key, &probes, &ctx)
            };
            if extra.is_empty() && beyond.is_empty() {
                continue;
            }
            let mut what = Vec::new();
            if !extra.is_empty() {
                let on = resources(st);
                let list = if extra.len() == all_extra {
                    "every KMS action".to_string()
                } else {
                    short_list(&extra)
                };
                let bad: Vec<&str> = extra
                    .iter()
                    .copied()
                    .filter(|a| DESTRUCTIVE.contains(a))
                    .collect();
                what.push(format!("allows {list} on {on}"));
                for b in bad {
                    if !destructive.contains(&b) {
                        destructive.push(b);
                    }
                }
            }
            if !beyond.is_empty() {
                what.push(format!(
                    "allows {} on {}",
                    kp::and_list(&crypto),
                    kp::and_list(&beyond)
                ));
            }
            parts.push(format!(
                "{} {} {}",
                kp::doc_name(policy),
                kp::st_at(st),
                what.join(", and ")
            ));
            evidence.push(cx.evidence(policy, st));
        }
    }
    if parts.is_empty() {
        return ids.clean(
            "the role's identity policies allow no KMS action beyond kms:Encrypt and kms:Decrypt, and those only on this key".to_string(),
        );
    }
    let key_text = key.unwrap_or("arn:aws:kms:REGION:ACCOUNT:key/KEY_ID");
    let mut msg = format!(
        "the role may do more with KMS than Encrypt and Decrypt on this key, and OpenAI holds it too: {}",
        parts.join("; ")
    );
    let mut o = if destructive.is_empty() {
        Outcome::fail(msg)
    } else {
        let names: Vec<String> = destructive.iter().map(|a| format!("kms:{a}")).collect();
        msg.push_str(&format!(
            "; {} let whoever holds the role destroy the key or re-permission it",
            kp::and_list(&names)
        ));
        Outcome::fail(msg).severity(Severity::Error)
    };
    o = o.evidences(evidence).fix(format!(
        "replace these statements with the only one OpenAI needs (give administrators their own role):\n{}",
        fixes::pretty(&fixes::identity_statement(key_text))
    ));
    o
}

/// Does the statement grant `action` in effect: not denied everywhere by an identity policy, and
/// within the permissions boundary?
fn effective(cx: &Cx<'_>, ids: &IdentityDocs<'_>, st: &Statement, action: &str) -> bool {
    kp::allows_action(st, action)
        && kp::boundary_permits(cx, action)
        && !kp::identity_denies(ids, action)
}

/// `kms:DescribeKey, kms:GetKeyPolicy and 5 more`, destructive actions first.
fn short_list(extra: &[&str]) -> String {
    let mut sorted: Vec<&str> = extra
        .iter()
        .copied()
        .filter(|a| DESTRUCTIVE.contains(a))
        .collect();
    sorted.extend(extra.iter().copied().filter(|a| !DESTRUCTIVE.contains(a)));
    let mut names: Vec<String> = sorted
        .iter()
        .take(LIST)
        .map(|a| format!("kms:{a}"))
        .collect();
    if sorted.len() > LIST {
        names.push(format!("{} more", sorted.len() - LIST));
    }
    kp::and_list(&names)
}

/// The statement's Resource in words.
fn resources(st: &Statement) -> String {
    match &st.resource {
        None => "every resource".into(),
        Some(m) if m.negated => format!("every resource except {}", m.raw.join(", ")),
        Some(m) => m.raw.join(", "),
    }
}

/// Values for the policy variables a Resource may use.
fn variables(role: &str, account: Option<&str>) -> Context {
    let mut ctx = Context::default();
    if let Some(a) = account {
        ctx.set("aws:PrincipalAccount", vec![a.to_string()]);
        ctx.set("kms:CallerAccount", vec![a.to_string()]);
    }
    if !role.is_empty() {
        ctx.set("aws:PrincipalArn", vec![role.to_string()]);
    }
    ctx
}

/// Key ARNs that are not this key: another key of its account and region, a multi-Region key,
/// the same id in another region and in another account.
fn probes(key: Option<&str>, account: Option<&str>) -> Vec<String> {
    let parts = key.and_then(arn_parts);
    let (partition, region, acct) = match parts {
        Some(p) => (p[1].to_string(), p[3].to_string(), p[4].to_string()),
        None => (
            "aws".to_string(),
            "us-east-1".to_string(),
            account.unwrap_or("111122223333").to_string(),
        ),
    };
    let other_region = if region == "eu-west-3" {
        "us-west-1"
    } else {
        "eu-west-3"
    };
    let other_account = if acct == "999999999999" {
        "888888888888"
    } else {
        "999999999999"
    };
    let id = parts
        .map(|p| p[5].to_string())
        .unwrap_or_else(|| "key/11111111-2222-3333-4444-555555555555".into());
    vec![
        format!("arn:{partition}:kms:{region}:{acct}:key/00000000-0000-0000-0000-000000000000"),
        format!("arn:{partition}:kms:{region}:{acct}:key/mrk-00000000000000000000000000000000"),
        format!("arn:{partition}:kms:{other_region}:{acct}:{id}"),
        format!("arn:{partition}:kms:{region}:{other_account}:{id}"),
    ]
}

/// The Resource entries that reach keys other than this one.
fn beyond_key(st: &Statement, key: Option<&str>, probes: &[String], ctx: &Context) -> Vec<String> {
    let Some(m) = &st.resource else {
        return vec!["every key".into()];
    };
    if m.negated {
        return vec![format!("every resource except {}", m.raw.join(", "))];
    }
    let mut out = Vec::new();
    for p in &m.patterns {
        if kp::is_alias_arn(&p.raw) {
            // An alias resource grants nothing on keys (EKM304).
            continue;
        }
        let wide = probes.iter().any(|k| p.matches_arn(k, ctx).is_true());
        let other_key = key.is_some_and(|k| {
            p.as_literal()
                .is_some_and(|l| l != k && l.contains(":key/") && l.contains(":kms:"))
        });
        if wide {
            let words = if p.is_match_all() {
                "* (every key)".to_string()
            } else {
                format!("{} (other keys too)", p.raw)
            };
            out.push(words);
        } else if other_key {
            out.push(format!("{} (another key)", p.raw));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Policy, PolicyKind};

    fn st(json: &str) -> Statement {
        let text = format!(r#"{{"Version": "2012-10-17", "Statement": [{json}]}}"#);
        Policy::from_text(&text, PolicyKind::Identity, "t.json")
            .unwrap()
            .statements
            .remove(0)
    }

    const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    #[test]
    fn resources_beyond_the_key() {
        let probes = probes(Some(KEY), Some("111122223333"));
        let ctx = variables("arn:aws:iam::111122223333:role/r", Some("111122223333"));
        let only = st(&format!(
            r#"{{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "{KEY}"}}"#
        ));
        assert!(beyond_key(&only, Some(KEY), &probes, &ctx).is_empty());
        let star = st(r#"{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*"}"#);
        assert_eq!(beyond_key(&star, Some(KEY), &probes, &ctx).len(), 1);
        let acct = st(
            r#"{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "arn:aws:kms:*:${aws:PrincipalAccount}:key/*"}"#,
        );
        assert_eq!(beyond_key(&acct, Some(KEY), &probes, &ctx).len(), 1);
        let other = st(
            r#"{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "arn:aws:kms:us-east-1:111122223333:key/ffff"}"#,
        );
        assert_eq!(beyond_key(&other, Some(KEY), &probes, &ctx).len(), 1);
    }

    #[test]
    fn short_lists_put_destructive_actions_first() {
        let s = short_list(&["DescribeKey", "ScheduleKeyDeletion"]);
        assert_eq!(s, "kms:ScheduleKeyDeletion and kms:DescribeKey");
    }
}

#[cfg(test)]
mod rule_tests {
    use super::*;
    use crate::rules::Status;
    use crate::rules::support_keypolicy::{baseline_with, run};
    use serde_json::json;

    #[test]
    fn a_boundary_caps_the_extra_actions() {
        let i = baseline_with(|v| {
            v["role"]["attached_policies"][0]["document"]["Statement"][0]["Action"] =
                json!("kms:*");
            v["role"]["permissions_boundary"] = json!({"arn": "arn:aws:iam::111122223333:policy/b", "document": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*"}]
            }});
        });
        let o = run(check, &i);
        assert_eq!(o.status, Status::Pass, "{}", o.message);
    }

    #[test]
    fn read_only_extras_are_a_warning() {
        let i = baseline_with(|v| {
            v["role"]["attached_policies"][0]["document"]["Statement"][0]["Action"] =
                json!(["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"]);
        });
        let o = run(check, &i);
        assert_eq!(o.status, Status::Fail, "{}", o.message);
        assert_eq!(o.severity, None);
        assert!(o.message.contains("kms:DescribeKey"), "{}", o.message);
    }

    #[test]
    fn create_grant_is_an_error() {
        let i = baseline_with(|v| {
            v["role"]["attached_policies"][0]["document"]["Statement"][0]["Action"] =
                json!(["kms:Encrypt", "kms:Decrypt", "kms:CreateGrant"]);
        });
        let o = run(check, &i);
        assert_eq!(o.severity, Some(Severity::Error), "{}", o.message);
    }
}
