//! EKM201 `key-policy-blocks-role`: for OpenAI's Encrypt and Decrypt, the key policy must allow
//! the role's session, directly (naming the role) or by delegating to the role's account (then
//! IAM policies decide, see EKM302/EKM303). For a cross-account key the delegation must name the
//! role's account, not the key's.

use serde_json::json;

use crate::eval::{Layer, StatementResult, Tri};
use crate::policy::Effect;
use crate::policy::principal::PrincipalMatch;
use crate::rules::support_keypolicy::{self as kp, Crypto};
use crate::rules::{Cx, Evidence, Family, Outcome, RuleMeta, Severity, fixes};

pub static META: RuleMeta = RuleMeta {
    id: "EKM201",
    slug: "key-policy-blocks-role",
    severity: Severity::Error,
    family: Family::KeyPolicy,
    summary: "the key policy neither names the role nor delegates to IAM for Encrypt and Decrypt",
    doc: include_str!("../../../rules/EKM201-key-policy-blocks-role.md"),
};

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
    let account = kp::role_account(role).map(|(_, a)| a).unwrap_or_default();

    let mut allowed: Vec<&'static str> = Vec::new();
    let mut how: Vec<String> = Vec::new();
    let mut by_grant: Vec<&'static str> = Vec::new();
    let mut undecided: Vec<&'static str> = Vec::new();
    let mut depends: Vec<String> = Vec::new();
    let mut blocked: Vec<&'static str> = Vec::new();
    let mut why = kp::Why::default();
    let mut why_undecided = kp::Why::default();
    let mut evidence: Vec<Evidence> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    // Sets beside the lists keep a key policy of thousands of statements linear.
    let mut how_seen = std::collections::HashSet::new();

    for c in &paths {
        let allows: Vec<&StatementResult<'_>> = c.layer(Layer::Resource, Effect::Allow).collect();
        match Tri::any(allows.iter().map(|r| r.applies)) {
            Tri::True => {
                allowed.push(c.action);
                for r in allows.iter().filter(|r| r.applies.is_true()) {
                    let h = grant_words(r, &account, c);
                    if how_seen.insert(h.clone()) {
                        how.push(h);
                    }
                    kp::push_evidence(cx, &mut evidence, &mut seen, r.policy, r.statement);
                }
            }
            Tri::Unknown => {
                undecided.push(c.action);
                for r in allows.iter().filter(|r| r.applies == Tri::Unknown) {
                    kp::push_unique(&mut depends, kp::undecided_keys(r));
                    why_undecided.add(r, &c.request, c.action);
                    kp::push_evidence(cx, &mut evidence, &mut seen, r.policy, r.statement);
                }
            }
            Tri::False if c.grant.is_true() => by_grant.push(c.action),
            Tri::False if c.grant == Tri::Unknown => {
                undecided.push(c.action);
                kp::push_unique(
                    &mut depends,
                    ["a grant's encryption-context constraints".to_string()],
                );
                why_undecided.add_text(
                    String::new(),
                    "no statement allows the role's \u{1}, but a grant with encryption-context constraints may".into(),
                    c.action,
                );
            }
            Tri::False => {
                blocked.push(c.action);
                for r in &allows {
                    why.add(r, &c.request, c.action);
                    kp::push_evidence(cx, &mut evidence, &mut seen, r.policy, r.statement);
                }
            }
        }
    }

    if !blocked.is_empty() {
        let detail = if why.is_empty() {
            "it has no Allow statement".to_string()
        } else {
            why.join()
        };
        let cross = paths.iter().any(|c| c.eval.cross_account);
        let mut msg = format!(
            "{doc} lets neither the role nor its account call {}: {detail}",
            kp::and_list(&blocked)
        );
        if cross {
            msg.push_str(&format!(
                "; the key is in another account, so its key policy must name the role or the role's account {account}"
            ));
        }
        if evidence.is_empty() {
            evidence.push(Evidence::new(&policy.source, "/Statement", None));
        }
        return Outcome::fail(msg).evidences(evidence).fix(fix(role, cross));
    }
    if !undecided.is_empty() {
        return Outcome::unknown(format!(
            "whether {doc} allows the role's {} depends on {}, which OpenAI's calls may or may not satisfy: {}",
            kp::and_list(&undecided),
            kp::and_list(&depends),
            why_undecided.join()
        ))
        .evidences(evidence)
        .fix(format!(
            "grant the role without conditions on values OpenAI's calls may not carry (see EKM203); {}; the statement to add:\n{}",
            kp::settle(&depends),
            fixes::pretty(&fixes::key_policy_statement(role))
        ));
    }
    let mut msg = format!(
        "{doc} allows the role's {}: {}",
        kp::and_list(&allowed),
        how.join("; ")
    );
    if allowed.is_empty() {
        msg = format!(
            "{doc} does not allow the role, but a grant allows its {}",
            kp::and_list(&by_grant)
        );
    } else if !by_grant.is_empty() {
        msg.push_str(&format!(
            "; a grant (not the key policy) allows its {}",
            kp::and_list(&by_grant)
        ));
    }
    Outcome::pass(msg).evidences(evidence)
}

/// How an applying statement lets the role in.
fn grant_words(r: &StatementResult<'_>, account: &str, c: &Crypto<'_>) -> String {
    let at = kp::st_at(r.statement);
    match r.principal_match {
        Some(PrincipalMatch::Account) if c.eval.cross_account => format!(
            "{at} delegates to the role's account {account} (its IAM policies must allow the key too)"
        ),
        Some(PrincipalMatch::Account) => {
            format!("{at} delegates to the account {account}, so IAM policies decide")
        }
        Some(PrincipalMatch::Role) => format!("{at} names the role"),
        _ => {
            let any = r
                .statement
                .principal
                .as_ref()
                .is_some_and(|p| p.negated || p.entries.iter().any(|e| e.raw == "*"));
            if any {
                format!("{at} allows any principal (see EKM204)")
            } else {
                format!("{at} names the role's session")
            }
        }
    }
}

fn fix(role: &str, cross: bool) -> String {
    let (partition, account) =
        kp::role_account(role).unwrap_or_else(|| ("aws".into(), "ACCOUNT".into()));
    let root = format!("arn:{partition}:iam::{account}:root");
    let alternative = if cross {
        format!(
            "or delegate to the role's account (the role's IAM policy must then allow the key too):\n{}",
            fixes::pretty(&json!({
                "Sid": "AllowRoleAccountEncryptDecrypt",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": ["kms:Encrypt", "kms:Decrypt"],
                "Resource": "*"
            }))
        )
    } else {
        format!(
            "or keep the default key policy's statement \"Enable IAM User Permissions\", which lets the role's IAM policy decide:\n{}",
            fixes::pretty(&json!({
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": "kms:*",
                "Resource": "*"
            }))
        )
    };
    format!(
        "add this statement to the key policy:\n{}\n{alternative}",
        fixes::pretty(&fixes::key_policy_statement(role))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Status;
    use crate::rules::support_keypolicy::{baseline_with, run};

    const ROLE: &str = "arn:aws:iam::111122223333:role/openai-ekm";

    #[test]
    fn answers_from_the_key_policy_alone_when_identity_policies_are_missing() {
        let i = baseline_with(|v| {
            v["role"]
                .as_object_mut()
                .unwrap()
                .remove("attached_policies");
            v["errors"] = json!({"role.inline_policies": "AccessDenied: iam:ListRolePolicies"});
            v["key"]["policy"]["Statement"] = json!([{
                "Sid": "AllowOpenAIEKMRole", "Effect": "Allow", "Principal": {"AWS": ROLE},
                "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*"
            }]);
        });
        let o = run(check, &i);
        assert_eq!(o.status, Status::Pass, "{}", o.message);
        assert!(o.message.contains("names the role"), "{}", o.message);
    }

    #[test]
    fn a_statement_for_one_action_only_fails_the_other() {
        let i = baseline_with(|v| {
            v["key"]["policy"]["Statement"] = json!([{
                "Sid": "DecryptOnly", "Effect": "Allow", "Principal": {"AWS": ROLE},
                "Action": "kms:Decrypt", "Resource": "*"
            }]);
        });
        let o = run(check, &i);
        assert_eq!(o.status, Status::Fail);
        assert!(
            o.message.contains("call kms:Encrypt: statement \"DecryptOnly\" (/Statement/0) does not allow kms:Encrypt"),
            "{}",
            o.message
        );
        assert!(
            o.remediation
                .unwrap()
                .contains("Enable IAM User Permissions")
        );
    }

    #[test]
    fn a_condition_on_an_unknown_key_is_unknown() {
        let i = baseline_with(|v| {
            v["key"]["policy"]["Statement"][0]["Condition"] =
                json!({"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}});
        });
        let o = run(check, &i);
        assert_eq!(o.status, Status::Unknown, "{}", o.message);
        assert!(o.message.contains("aws:PrincipalOrgID"), "{}", o.message);
    }

    #[test]
    fn a_missing_key_policy_in_a_snapshot_is_unknown_as_an_unreadable_one() {
        let i = baseline_with(|v| {
            v["key"].as_object_mut().unwrap().remove("policy");
        });
        // A check needs the part: missing from a snapshot, it is unknown, as when unreadable.
        let o = run(check, &i);
        assert_eq!(o.status, Status::Unknown, "{}", o.message);
        assert!(
            o.message.contains("missing from the snapshot"),
            "{}",
            o.message
        );
        let i = baseline_with(|v| {
            v["errors"] = json!({"key.policy": "AccessDeniedException: kms:GetKeyPolicy"});
        });
        assert_eq!(run(check, &i).status, Status::Unknown);
    }
}
