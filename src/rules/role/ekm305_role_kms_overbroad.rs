//! EKM305 `role-kms-overbroad`: OpenAI holds whatever the role may do. The role needs only
//! `kms:Encrypt` and `kms:Decrypt` on this key; other KMS actions, or Encrypt/Decrypt on other
//! keys, are more than it needs (a warning), and actions that destroy or re-permission keys are
//! an error. Three paths give the role rights: its identity policies (on any key), a key policy
//! statement that names the role or its session (on this key, decided per action by the
//! evaluator with identity policies, boundary and key policy), and grants to the role. A key
//! policy statement for the role's account only delegates to IAM: the identity side decides.

use serde_json::Value as J;

use crate::eval::{Context, Layer, Tri};
use crate::inputs::Part;
use crate::policy::actions::KMS_ACTIONS;
use crate::policy::pattern::arn_parts;
use crate::policy::principal::{PrincipalMatch, PrincipalPattern};
use crate::policy::{Effect, Statement};
use crate::rules::paths::{self, PathResult};
use crate::rules::support_keypolicy::{self as kp, IdentityDocs};
use crate::rules::{Cx, Evidence, Family, Outcome, RuleMeta, Severity, fixes};

pub static META: RuleMeta = RuleMeta {
    id: "EKM305",
    slug: "role-kms-overbroad",
    severity: Severity::Warning,
    family: Family::Role,
    summary: "the role may do more with KMS than Encrypt and Decrypt on this key",
    doc: include_str!("../../../rules/EKM305-role-kms-overbroad.md"),
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

/// What one path (identity policies, key policy, grants) found.
#[derive(Default)]
struct Found {
    parts: Vec<String>,
    evidence: Vec<Evidence>,
    destructive: Vec<String>,
    fixes: Vec<String>,
    /// Parts that could not be read: the result cannot be a clean pass.
    unreadable: Vec<String>,
    /// Parts that were not given: said in the message.
    not_given: Vec<String>,
}

impl Found {
    fn destroy(&mut self, a: &str) {
        let name = format!("kms:{}", a.trim_start_matches("kms:"));
        if !self.destructive.contains(&name) {
            self.destructive.push(name);
        }
    }
}

pub fn check(cx: &Cx<'_>) -> Outcome {
    let mut f = Found::default();
    // 1. The role's identity policies: what it may do with KMS on any key.
    let identity_skipped = match kp::identity_docs(cx) {
        Ok(ids) => {
            identity(cx, &ids, &mut f);
            for (unreadable, why) in &ids.gaps {
                if *unreadable {
                    f.unreadable.push(why.clone());
                } else {
                    f.not_given.push(why.clone());
                }
            }
            ids.gaps.iter().any(|(u, _)| !u)
        }
        Err(o) if o.status == crate::rules::Status::Skipped => {
            f.not_given.push(o.message.clone());
            true
        }
        Err(o) => {
            f.unreadable.push(o.message.clone());
            false
        }
    };
    // 2. Key policy statements that name the role (or its session): rights on this key that no
    // identity policy needs to allow. 3. Grants to the role.
    key_policy(cx, &mut f);
    grants(cx, &mut f);

    let mut gaps = f.unreadable.clone();
    gaps.extend(f.not_given.iter().cloned());
    if f.parts.is_empty() {
        let msg = "the role's identity policies allow no KMS action beyond kms:Encrypt and kms:Decrypt, and those only on this key; no key policy statement that names the role, and no grant to it, allows more".to_string();
        if !f.unreadable.is_empty() {
            return Outcome::unknown(format!("{msg}, but {}", f.unreadable.join("; ")));
        }
        if identity_skipped {
            return Outcome::skipped(format!("{msg}, but {}", f.not_given.join("; ")));
        }
        if !f.not_given.is_empty() {
            return Outcome::pass(format!("{msg} (not looked at: {})", f.not_given.join("; ")));
        }
        return Outcome::pass(msg);
    }
    let mut msg = format!(
        "the role may do more with KMS than Encrypt and Decrypt on this key, and OpenAI holds it too: {}",
        f.parts.join("; ")
    );
    let o = if f.destructive.is_empty() {
        if !gaps.is_empty() {
            msg.push_str(&format!(" (not looked at: {})", gaps.join("; ")));
        }
        Outcome::fail(msg)
    } else {
        let verb = if f.destructive.len() == 1 {
            "lets"
        } else {
            "let"
        };
        msg.push_str(&format!(
            "; {} {verb} whoever holds the role destroy the key or re-permission it",
            kp::and_list(&f.destructive)
        ));
        if !gaps.is_empty() {
            msg.push_str(&format!(" (not looked at: {})", gaps.join("; ")));
        }
        Outcome::fail(msg).severity(Severity::Error)
    };
    o.evidences(f.evidence).fix(f.fixes.join("\n"))
}

/// The role's identity policies: Allow statements that reach KMS with more than Encrypt and
/// Decrypt, or Encrypt and Decrypt on other keys.
fn identity(cx: &Cx<'_>, ids: &IdentityDocs<'_>, f: &mut Found) {
    let key = cx.key_arn();
    let role = cx.role_arn().unwrap_or_default();
    let account = kp::role_account(role).map(|(_, a)| a);
    let ctx = variables(role, account.as_deref());
    let probes = probes(key, account.as_deref());
    let all_extra = KMS_ACTIONS.len() - 2;
    let before = f.parts.len();
    // Whether the boundary and the identity policies' Denies leave each action, decided once
    // (not once per statement: a policy of n statements costs n, not n squared).
    let permitted =
        |action: &str| kp::boundary_permits(cx, action) && !kp::identity_denies(ids, action);
    let extra_actions: Vec<(&str, bool)> = KMS_ACTIONS
        .iter()
        .copied()
        .filter(|a| *a != "Encrypt" && *a != "Decrypt")
        .map(|a| (a, permitted(&format!("kms:{a}"))))
        .collect();
    let extra_names: Vec<String> = extra_actions
        .iter()
        .map(|(a, _)| format!("kms:{a}"))
        .collect();
    let crypto_actions: Vec<(&str, bool)> = kp::CRYPTO_ACTIONS
        .into_iter()
        .map(|a| (a, permitted(a)))
        .collect();
    for (_, policy) in &ids.docs {
        for st in policy
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Allow)
        {
            if !kp::reaches_kms(st) {
                continue;
            }
            // In effect: granted here, not denied everywhere by an identity policy, and within
            // the permissions boundary.
            let extra: Vec<&str> = extra_actions
                .iter()
                .zip(&extra_names)
                .filter(|((_, ok), name)| *ok && kp::allows_action(st, name))
                .map(|((a, _), _)| *a)
                .collect();
            let crypto: Vec<&str> = crypto_actions
                .iter()
                .filter(|(a, ok)| *ok && kp::allows_action(st, a))
                .map(|(a, _)| *a)
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
                what.push(format!("allows {list} on {on}"));
                for b in extra.iter().filter(|a| DESTRUCTIVE.contains(a)) {
                    f.destroy(b);
                }
            }
            if !beyond.is_empty() {
                what.push(format!(
                    "allows {} on {}",
                    kp::and_list(&crypto),
                    kp::and_list(&beyond)
                ));
            }
            f.parts.push(format!(
                "{} {} {}",
                kp::doc_name(policy),
                kp::st_at(st),
                what.join(", and ")
            ));
            f.evidence.push(cx.evidence(policy, st));
        }
    }
    if f.parts.len() > before {
        let key_text = key.unwrap_or("arn:aws:kms:REGION:ACCOUNT:key/KEY_ID");
        f.fixes.push(format!(
            "replace these statements with the only one OpenAI needs (give administrators their own role):\n{}",
            fixes::pretty(&fixes::identity_statement(key_text))
        ));
    }
}

/// For each KMS action but Encrypt and Decrypt: the key policy statements that name the role or
/// its session (not its account) and allow the role's session that action on this key, as the
/// evaluator decides it with the identity policies, the boundary and the key policy. Each is
/// `(statement pointer, action, allowed)`. `Err`: the request cannot be decided.
fn direct(cx: &Cx<'_>) -> Result<Vec<(String, &'static str, Tri)>, Outcome> {
    let mut out = Vec::new();
    for a in KMS_ACTIONS
        .iter()
        .copied()
        .filter(|a| *a != "Encrypt" && *a != "Decrypt")
    {
        let d = match cx.session_kms(&format!("kms:{a}")) {
            PathResult::Decided(d) => d,
            PathResult::Undecidable(o) => return Err(o),
        };
        if d.eval.allowed == Tri::False {
            continue;
        }
        for r in d.eval.statements.iter().filter(|r| {
            r.layer == Layer::Resource
                && r.statement.effect == Effect::Allow
                && r.applies != Tri::False
                && r.principal_match
                    .is_some_and(|m| m != PrincipalMatch::Account)
        }) {
            out.push((r.statement.pointer.clone(), a, d.eval.allowed & r.applies));
        }
    }
    Ok(out)
}

/// Key policy statements that give the role more than Encrypt and Decrypt on this key.
fn key_policy(cx: &Cx<'_>, f: &mut Found) {
    let i = cx.inputs;
    let doc = match &i.key_policy {
        Part::Present(d) => d,
        Part::Absent(r) => {
            f.not_given.push(format!(
                "the key policy was not given ({r}), so its statements naming the role were not looked at"
            ));
            return;
        }
        Part::Error(e) => {
            f.unreadable.push(format!(
                "the key policy could not be read ({}), so its statements naming the role were not looked at",
                e.trim_end().trim_end_matches('.')
            ));
            return;
        }
    };
    let Some(policy) = doc.policy() else {
        f.unreadable.push(format!(
            "{} is not valid JSON (see EKM004), so its statements were not looked at",
            doc.source
        ));
        return;
    };
    let found = match direct(cx) {
        Ok(v) => v,
        // The role's own documents are not usable: the key policy (and a readable boundary)
        // alone, which is what grants the role directly in its own account.
        Err(_) => {
            let mut sub = i.clone();
            sub.inline_policies = Part::Present(Vec::new());
            sub.attached_policies = Part::Present(Vec::new());
            if !matches!(sub.boundary, Part::Present(_)) {
                sub.boundary = Part::Present(None);
            }
            match direct(&Cx::new(&sub)) {
                Ok(v) => v,
                Err(o) => {
                    f.unreadable.push(format!(
                        "the key policy's statements naming the role could not be decided: {}",
                        o.message
                    ));
                    return;
                }
            }
        }
    };
    let role = cx.role_arn().unwrap_or_default();
    let key = cx.key_arn().unwrap_or("KEY_ARN");
    let all_extra = KMS_ACTIONS.len() - 2;
    // The statements in the order found, each with its actions (a map, so that a key policy of
    // n statements naming the role costs n, not n squared).
    let mut order: Vec<&str> = Vec::new();
    let mut acts_of: std::collections::HashMap<&str, Vec<(&str, Tri)>> =
        std::collections::HashMap::new();
    for (ptr, a, t) in &found {
        let acts = acts_of.entry(ptr.as_str()).or_default();
        if acts.is_empty() {
            order.push(ptr);
        }
        acts.push((*a, *t));
    }
    let by_pointer: std::collections::HashMap<&str, &Statement> = policy
        .statements
        .iter()
        .map(|s| (s.pointer.as_str(), s))
        .collect();
    for ptr in order {
        let Some(st) = by_pointer.get(ptr).copied() else {
            continue;
        };
        let acts: Vec<(&str, Tri)> = acts_of.remove(ptr).unwrap_or_default();
        let names: Vec<&str> = acts.iter().map(|(a, _)| *a).collect();
        let list = if names.len() == all_extra {
            "every KMS action".to_string()
        } else {
            short_list(&names)
        };
        let maybe = acts.iter().any(|(_, t)| *t == Tri::Unknown);
        let verb = if maybe {
            "may allow (depending on its conditions)"
        } else {
            "allows"
        };
        let anyone = st
            .principal
            .as_ref()
            .is_some_and(|p| p.entries.iter().any(|e| e.pattern == PrincipalPattern::Any));
        let who = if anyone {
            "lets in anyone (Principal \"*\"), the role included, and"
        } else {
            "names the role and"
        };
        f.parts.push(format!(
            "{} {} {who} {verb} it {list} on this key directly, whatever its identity policies say",
            kp::doc_name(policy),
            kp::st_at(st)
        ));
        for a in names.iter().filter(|a| DESTRUCTIVE.contains(a)) {
            f.destroy(a);
        }
        f.evidence.push(cx.evidence(policy, st));
        let only_role = st.principal.as_ref().is_some_and(|p| p.entries.len() == 1);
        let fix = match doc.value_at(&st.pointer) {
            _ if anyone => format!(
                "in the key policy, remove {} or restrict its principal (see EKM204), and give the role a statement of its own:\n{}",
                kp::st_at(st),
                fixes::pretty(&fixes::key_policy_statement(role))
            ),
            Some(mut v) if only_role && v.is_object() => {
                let o = v.as_object_mut().expect("object");
                o.remove("NotAction");
                o.insert("Action".into(), serde_json::json!(kp::CRYPTO_ACTIONS));
                format!(
                    "in the key policy, narrow {} to the two actions OpenAI needs:\n{}",
                    kp::st_at(st),
                    fixes::pretty(&v)
                )
            }
            _ => format!(
                "in the key policy, remove the role from the Principal of {} (it serves other principals too), and give the role a statement of its own:\n{}",
                kp::st_at(st),
                fixes::pretty(&fixes::key_policy_statement(role))
            ),
        };
        f.fixes.push(format!(
            "{fix}\nthen save the key policy as key-policy.json and apply it:\naws kms put-key-policy --key-id {key} --policy-name default --policy file://key-policy.json"
        ));
    }
}

/// Grant operations that need no more than Encrypt and Decrypt.
const GRANT_NEEDED: [&str; 2] = ["Encrypt", "Decrypt"];

/// Grants to the role (or its session) with operations beyond Encrypt and Decrypt.
fn grants(cx: &Cx<'_>, f: &mut Found) {
    let list = match &cx.inputs.grants {
        Part::Present(g) => g,
        Part::Absent(r) => {
            f.not_given.push(format!(
                "the key's grants were not given ({r}), so grants were not looked at"
            ));
            return;
        }
        Part::Error(e) => {
            f.unreadable.push(format!(
                "the key's grants could not be read ({}), so grants to the role were not looked at",
                e.trim_end().trim_end_matches('.')
            ));
            return;
        }
    };
    let Some(role) = cx.role_arn() else {
        if !list.is_empty() {
            f.not_given.push(
                "role_arn is not known, so the key's grants were not compared with the role".into(),
            );
        }
        return;
    };
    let Some(session) = paths::session_principal(role) else {
        return;
    };
    let key = cx.key_arn().unwrap_or("KEY_ARN");
    for (n, g) in list.iter().enumerate() {
        if !paths::grant_names_role(g, &session, role) {
            continue;
        }
        let ops: Vec<&str> = g
            .get("Operations")
            .and_then(J::as_array)
            .map(|o| o.iter().filter_map(J::as_str).collect())
            .unwrap_or_default();
        let extra: Vec<&str> = ops
            .iter()
            .copied()
            .filter(|o| !GRANT_NEEDED.contains(o))
            .collect();
        if extra.is_empty() {
            continue;
        }
        let id = g.get("GrantId").and_then(J::as_str).unwrap_or("GRANT_ID");
        let names: Vec<String> = extra.iter().map(|o| format!("kms:{o}")).collect();
        let constrained = g
            .get("Constraints")
            .and_then(J::as_object)
            .is_some_and(|c| !c.is_empty());
        let mut part = format!(
            "grant {id} (key.grants /{n}) gives the role {} on this key",
            kp::and_list(&names)
        );
        if constrained {
            part.push_str(" (under its encryption-context constraints)");
        }
        if extra.contains(&"CreateGrant") {
            f.destroy("CreateGrant");
        }
        f.parts.push(part);
        f.evidence.push(Evidence::new(
            "key.grants",
            &format!("/{n}"),
            Some(g.clone()),
        ));
        let keep: Vec<&str> = ops
            .iter()
            .copied()
            .filter(|o| GRANT_NEEDED.contains(o))
            .collect();
        let mut fix =
            format!("revoke grant {id}:\naws kms revoke-grant --key-id {key} --grant-id {id}");
        if !keep.is_empty() {
            fix.push_str(&format!(
                "\nand, if the role needs a grant at all (its policies already allow Encrypt and Decrypt when EKM302 and EKM303 pass), create one with only these operations:\naws kms create-grant --key-id {key} --grantee-principal {role} --operations {}",
                keep.join(" ")
            ));
        }
        f.fixes.push(fix);
    }
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

    const ROLE: &str = "arn:aws:iam::111122223333:role/openai-ekm";

    fn with_key_statement(st: serde_json::Value) -> crate::inputs::Inputs {
        baseline_with(|v| {
            v["key"]["policy"]["Statement"]
                .as_array_mut()
                .unwrap()
                .push(st)
        })
    }

    #[test]
    fn a_key_policy_statement_naming_the_role_counts() {
        let o = run(
            check,
            &with_key_statement(
                json!({"Sid": "R", "Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "kms:*", "Resource": "*"}),
            ),
        );
        assert_eq!(o.status, Status::Fail, "{}", o.message);
        assert_eq!(o.severity, Some(Severity::Error), "{}", o.message);
        assert!(
            o.message.contains("\"R\" (/Statement/1) names the role"),
            "{}",
            o.message
        );
        assert_eq!(o.evidence[0].source, "key.policy");
        assert_eq!(o.evidence[0].pointer, "/Statement/1");
        assert!(o.remediation.unwrap().contains("aws kms put-key-policy"));
        // Read-only extras through the key policy are a warning, and the session counts too.
        let session = "arn:aws:sts::111122223333:assumed-role/openai-ekm/OpenAI-EKM-Service";
        let o = run(
            check,
            &with_key_statement(
                json!({"Effect": "Allow", "Principal": {"AWS": session}, "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"], "Resource": "*"}),
            ),
        );
        assert_eq!(o.status, Status::Fail, "{}", o.message);
        assert_eq!(o.severity, None, "{}", o.message);
        assert!(o.message.contains("kms:DescribeKey"), "{}", o.message);
    }

    #[test]
    fn a_conditional_key_policy_statement_may_allow() {
        let o = run(
            check,
            &with_key_statement(
                json!({"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "kms:ScheduleKeyDeletion", "Resource": "*",
                "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}),
            ),
        );
        assert_eq!(o.status, Status::Fail, "{}", o.message);
        assert_eq!(o.severity, Some(Severity::Error), "{}", o.message);
        assert!(o.message.contains("may allow"), "{}", o.message);
    }

    #[test]
    fn the_account_delegation_alone_grants_nothing_more() {
        // The baseline's key policy is AWS's default (root, kms:*) and the role's policy allows
        // only Encrypt and Decrypt on the key.
        let o = run(check, &baseline_with(|_| {}));
        assert_eq!(o.status, Status::Pass, "{}", o.message);
    }

    #[test]
    fn the_key_policy_counts_without_identity_policies() {
        let i = baseline_with(|v| {
            v["key"]["policy"]["Statement"]
                .as_array_mut()
                .unwrap()
                .push(json!({"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "kms:PutKeyPolicy", "Resource": "*"}));
            let role = v["role"].as_object_mut().unwrap();
            role.remove("inline_policies");
            role.remove("attached_policies");
        });
        let o = run(check, &i);
        assert_eq!(o.status, Status::Fail, "{}", o.message);
        assert!(o.message.contains("kms:PutKeyPolicy"), "{}", o.message);
    }

    fn with_grant(grantee: &str, ops: serde_json::Value) -> crate::inputs::Inputs {
        baseline_with(|v| {
            v["key"]["grants"] =
                json!([{"GrantId": "g-1", "GranteePrincipal": grantee, "Operations": ops}])
        })
    }

    #[test]
    fn grants_to_the_role_count() {
        let o = run(
            check,
            &with_grant(ROLE, json!(["Decrypt", "ReEncryptFrom", "RetireGrant"])),
        );
        assert_eq!(o.status, Status::Fail, "{}", o.message);
        assert_eq!(o.severity, None, "{}", o.message);
        assert!(
            o.message.contains("grant g-1 (key.grants /0)"),
            "{}",
            o.message
        );
        assert_eq!(o.evidence[0].pointer, "/0");
        assert!(o.remediation.unwrap().contains("aws kms revoke-grant --key-id arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab --grant-id g-1"));
        let o = run(check, &with_grant(ROLE, json!(["CreateGrant"])));
        assert_eq!(o.severity, Some(Severity::Error), "{}", o.message);
        // Another principal's grant is not the role's.
        let o = run(
            check,
            &with_grant(
                "arn:aws:iam::111122223333:role/other",
                json!(["CreateGrant"]),
            ),
        );
        assert_eq!(o.status, Status::Pass, "{}", o.message);
    }

    #[test]
    fn unreadable_grants_are_not_a_clean_pass() {
        let i = baseline_with(|v| {
            v["key"].as_object_mut().unwrap().remove("grants");
            v["errors"] = json!({"key.grants": "AccessDeniedException: kms:ListGrants"});
        });
        let o = run(check, &i);
        assert_eq!(o.status, Status::Unknown, "{}", o.message);
        assert!(
            o.message.contains("grants to the role were not looked at"),
            "{}",
            o.message
        );
        // Missing from a snapshot: a check needs the part, so it is unknown too.
        let i = baseline_with(|v| {
            v["key"].as_object_mut().unwrap().remove("grants");
        });
        assert_eq!(run(check, &i).status, Status::Unknown);
        // Not collected (lint): a pass that says so.
        let mut i = baseline_with(|_| {});
        i.grants = crate::inputs::Part::Absent("lint reads policy files only".into());
        let o = run(check, &i);
        assert_eq!(o.status, Status::Pass, "{}", o.message);
        assert!(
            o.message
                .contains("not looked at: the key's grants were not given"),
            "{}",
            o.message
        );
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
