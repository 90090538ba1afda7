//! EKM203 `key-policy-conditional`: the role's access through the key policy hangs on
//! conditions OpenAI's calls may not meet: a condition on a value nobody outside OpenAI knows
//! (its source IP, the encryption context, …), or on a key its calls never carry
//! (`kms:ViaService`, `aws:SourceVpce`, …: OpenAI calls KMS directly). Key policy only; identity
//! policy conditions make EKM302/EKM303 `unknown`.

use crate::eval::{Layer, Lookup, Reason, StatementResult, Tri};
use crate::policy::{Effect, Policy, Statement};
use crate::rules::support_keypolicy as kp;
use crate::rules::{Cx, Evidence, Family, Outcome, RuleMeta, Severity, fixes};

pub static META: RuleMeta = RuleMeta {
    id: "EKM203",
    slug: "key-policy-conditional",
    severity: Severity::Warning,
    family: Family::KeyPolicy,
    summary: "the role's access hangs on conditions OpenAI's calls may not meet",
    doc: include_str!("../../../rules/EKM203-key-policy-conditional.md"),
};

/// A key-policy Allow for the role that holds only under conditions OpenAI may not meet.
struct Hit<'p> {
    statement: &'p Statement,
    policy: &'p Policy,
    actions: Vec<&'static str>,
    words: Vec<String>,
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
    let mut hits: Vec<Hit<'_>> = Vec::new();
    let mut open: Vec<String> = Vec::new();
    let mut open_actions: Vec<&'static str> = Vec::new();
    let mut ev_open: Vec<Evidence> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    // Sets beside the lists keep a key policy of thousands of statements linear.
    let mut open_seen = std::collections::HashSet::new();
    for c in &paths {
        let allows: Vec<&StatementResult<'_>> = c.layer(Layer::Resource, Effect::Allow).collect();
        let unconditional: Vec<&&StatementResult<'_>> =
            allows.iter().filter(|r| r.applies.is_true()).collect();
        if !unconditional.is_empty() {
            open_actions.push(c.action);
            for r in unconditional {
                let at = kp::st_at(r.statement);
                if open_seen.insert(at.clone()) {
                    open.push(at);
                }
                kp::push_evidence(cx, &mut ev_open, &mut seen, r.policy, r.statement);
            }
            continue;
        }
        for r in allows.iter().filter(|r| r.principal_match.is_some()) {
            let Some(words) = conditional(r, c) else {
                continue;
            };
            match hits
                .iter_mut()
                .find(|h| std::ptr::eq(h.statement, r.statement))
            {
                Some(h) => h.actions.push(c.action),
                None => hits.push(Hit {
                    statement: r.statement,
                    policy: r.policy,
                    actions: vec![c.action],
                    words,
                }),
            }
        }
    }
    if hits.is_empty() {
        if open_actions.len() == paths.len() {
            return Outcome::pass(format!(
                "{doc} allows the role's {} without conditions OpenAI's calls may not meet ({})",
                kp::and_list(&open_actions),
                kp::and_list(&open)
            ))
            .evidences(ev_open);
        }
        return Outcome::pass(format!(
            "no statement of {doc} that could let the role in hangs on conditions OpenAI's calls may not meet"
        ))
        .evidences(ev_open);
    }
    let parts: Vec<String> = hits
        .iter()
        .map(|h| {
            format!(
                "{} allows the role's {} only if {}",
                kp::st_at(h.statement),
                kp::and_list(&h.actions),
                kp::and_list(&h.words)
            )
        })
        .collect();
    let evidence: Vec<Evidence> = hits
        .iter()
        .map(|h| cx.evidence(h.policy, h.statement))
        .collect();
    let role = cx.role_arn().unwrap_or_default();
    let mut msg = format!(
        "the role's access through {doc} hangs on conditions OpenAI's calls may not meet: {}",
        parts.join("; ")
    );
    if !open_actions.is_empty() {
        msg.push_str(&format!(
            " ({} is allowed without such conditions)",
            kp::and_list(&open_actions)
        ));
    }
    // The keys whose value is not known (the absent ones never hold: nothing to prove).
    let mut unknown_keys: Vec<String> = Vec::new();
    for h in &hits {
        kp::push_unique(
            &mut unknown_keys,
            h.statement
                .conditions
                .iter()
                .filter(|c| kp::is_unknown_key(&c.key_lc) || c.operator.is_none())
                .map(|c| c.key.clone()),
        );
    }
    let prove = if unknown_keys.is_empty() {
        "these conditions never hold for OpenAI's calls, so nothing can prove the statement"
            .to_string()
    } else {
        let s = kp::settle(&unknown_keys);
        s.strip_prefix("or ").map(str::to_string).unwrap_or(s)
    };
    Outcome::fail(msg).evidences(evidence).fix(format!(
        "grant the role without these conditions: drop them from the statement, or add this statement to the key policy:\n{}\n{prove}",
        fixes::pretty(&fixes::key_policy_statement(role))
    ))
}

/// The conditions that keep a statement for the role from applying, when they are ones OpenAI's
/// calls may not meet: undecided ones, or ones that are false only because the call never
/// carries their key. `None` when the statement applies, or does not for another reason.
fn conditional(r: &StatementResult<'_>, c: &kp::Crypto<'_>) -> Option<Vec<String>> {
    let ctx = &c.request.context;
    match &r.reason {
        Reason::ConditionsUndecided(idx) => Some(
            idx.iter()
                .map(|&i| kp::undecided_text(&r.statement.conditions[i]))
                .collect(),
        ),
        Reason::ConditionFalse(_) => {
            let mut words = Vec::new();
            let mut never = false;
            for cond in &r.statement.conditions {
                match cond.eval(ctx) {
                    Tri::True => {}
                    Tri::Unknown => words.push(kp::undecided_text(cond)),
                    Tri::False => {
                        if kp::is_absent_key(&cond.key_lc)
                            && ctx.lookup(&cond.key_lc) == Lookup::Absent
                        {
                            never = true;
                            words.push(format!(
                                "{} holds, which it never does for OpenAI: {} is absent because {}",
                                kp::condition_text(cond),
                                cond.key,
                                kp::key_note(&cond.key_lc)
                            ));
                        } else {
                            // False for another reason: not this rule's business (EKM201 says why).
                            return None;
                        }
                    }
                }
            }
            never.then_some(words)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Status;
    use crate::rules::support_keypolicy::{baseline_with, run};
    use serde_json::json;

    /// The key policy names the role only under `condition` (no IAM delegation).
    fn only_conditional(condition: serde_json::Value) -> crate::inputs::Inputs {
        baseline_with(|v| {
            v["key"]["policy"]["Statement"] = json!([{
                "Sid": "RoleWithCondition", "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:role/openai-ekm"},
                "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*",
                "Condition": condition
            }])
        })
    }

    #[test]
    fn encryption_context_is_not_proven_by_live() {
        for c in [
            json!({"StringEquals": {"kms:EncryptionContext:tenant": "openai"}}),
            json!({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
        ] {
            let o = run(check, &only_conditional(c.clone()));
            assert_eq!(o.status, Status::Fail, "{c}: {}", o.message);
            assert!(
                !o.message.contains("only a live test"),
                "{c}: {}",
                o.message
            );
            let fix = o.remediation.unwrap_or_default();
            assert!(
                fix.contains("`ekm-check check --live` cannot prove"),
                "{c}: {fix}"
            );
            assert!(
                fix.contains("CloudTrail") && fix.contains("OpenAI-EKM-Service"),
                "{c}: {fix}"
            );
            assert!(!fix.contains("prove the path with"), "{c}: {fix}");
        }
        // The paths' own fix for EKM302/EKM303 says the same.
        let i =
            only_conditional(json!({"StringEquals": {"kms:EncryptionContext:tenant": "openai"}}));
        let cx = Cx::new(&i);
        let o = crate::rules::paths::crypto_outcome(&cx, "kms:Encrypt", cx.encrypt());
        assert_eq!(o.status, Status::Unknown, "{}", o.message);
        assert!(o.remediation.unwrap().contains("cannot prove"));
    }

    #[test]
    fn a_condition_on_the_role_is_proven_by_live() {
        // The near neighbour: aws:PrincipalTag is the role's, the same for --live's calls.
        let o = run(
            check,
            &only_conditional(json!({"StringEquals": {"aws:PrincipalTag/team": "ekm"}})),
        );
        assert_eq!(o.status, Status::Fail, "{}", o.message);
        let fix = o.remediation.unwrap_or_default();
        assert!(
            fix.contains("prove the path with `ekm-check check --live`"),
            "{fix}"
        );
        assert!(!fix.contains("cannot prove"), "{fix}");
    }

    #[test]
    fn a_conditional_statement_beside_an_unconditional_one_passes() {
        let i =
            baseline_with(|v| {
                v["key"]["policy"]["Statement"].as_array_mut().unwrap().push(json!({
                "Sid": "ViaS3", "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:role/openai-ekm"},
                "Action": "kms:Decrypt", "Resource": "*",
                "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}
            }));
            });
        let o = run(check, &i);
        assert_eq!(o.status, Status::Pass, "{}", o.message);
    }

    #[test]
    fn a_source_ip_condition_warns() {
        let i = baseline_with(|v| {
            v["key"]["policy"]["Statement"][0]["Condition"] =
                json!({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}});
        });
        let o = run(check, &i);
        assert_eq!(o.status, Status::Fail, "{}", o.message);
        assert!(o.message.contains("aws:SourceIp"), "{}", o.message);
    }

    #[test]
    fn a_condition_that_is_false_for_another_reason_is_not_this_rules_business() {
        let i = baseline_with(|v| {
            v["key"]["policy"]["Statement"][0]["Condition"] =
                json!({"StringEquals": {"kms:CallerAccount": "444455556666"}});
        });
        let o = run(check, &i);
        assert_eq!(o.status, Status::Pass, "{}", o.message);
    }
}
