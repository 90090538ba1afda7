//! EKM204 `key-policy-public`: a key policy Allow for `*` (or `{"AWS": "*"}`, or everyone but
//! some with `NotPrincipal`) without a condition that restricts the caller by account, ARN,
//! organization or service lets anyone with AWS credentials use the key.

use serde_json::json;

use crate::inputs::Part;
use crate::policy::pattern::arn_parts;
use crate::policy::{Effect, Statement};
use crate::rules::support_keypolicy as kp;
use crate::rules::{Cx, Evidence, Family, Outcome, RuleMeta, Severity, caller, fixes};

pub static META: RuleMeta = RuleMeta {
    id: "EKM204",
    slug: "key-policy-public",
    severity: Severity::Error,
    family: Family::KeyPolicy,
    summary: "the key policy allows anyone without a condition that restricts the caller",
    doc: include_str!("../../../rules/EKM204-key-policy-public.md"),
};

/// Condition keys that say who the caller is.
pub fn check(cx: &Cx<'_>) -> Outcome {
    let doc = match &cx.inputs.key_policy {
        Part::Present(d) => d,
        other => return Outcome::for_missing(other, "the key policy").expect("missing"),
    };
    let Some(policy) = doc.policy() else {
        return Outcome::unknown(format!("{} is not valid JSON (see EKM004)", doc.source));
    };
    let name = kp::doc_name(policy);
    let mut public: Vec<(&Statement, String)> = Vec::new();
    let mut restricted: Vec<String> = Vec::new();
    for st in policy
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow)
    {
        let Some(who) = caller::anyone(st, Some("AWS")) else {
            continue;
        };
        match st
            .conditions
            .iter()
            .find(|c| caller::restricts_caller(c, caller::KEY_POLICY_CALLER_KEYS))
        {
            Some(c) => restricted.push(format!(
                "{} allows {who} but restricts the caller with {}",
                kp::st_at(st),
                kp::condition_text(c)
            )),
            None => public.push((st, who)),
        }
    }
    if public.is_empty() {
        let mut msg =
            format!("no statement of {name} allows anyone without restricting the caller");
        if !restricted.is_empty() {
            msg.push_str(&format!(": {}", restricted.join("; ")));
        }
        return Outcome::pass(msg);
    }
    let parts: Vec<String> = public
        .iter()
        .map(|(st, who)| {
            let extra = if st.conditions.is_empty() {
                "with no condition".to_string()
            } else {
                let conds: Vec<String> = st.conditions.iter().map(kp::condition_text).collect();
                format!(
                    "with conditions ({}) that do not restrict the caller's account, ARN or organization",
                    conds.join(", ")
                )
            };
            format!(
                "{} allows {who} {} {extra}",
                kp::st_at(st),
                actions_words(st)
            )
        })
        .collect();
    let evidence: Vec<Evidence> = public
        .iter()
        .map(|(st, _)| cx.evidence(policy, st))
        .collect();
    let role = cx.role_arn().unwrap_or_default();
    let account = cx
        .key_arn()
        .and_then(arn_parts)
        .map(|p| p[4].to_string())
        .filter(|a| !a.is_empty())
        .or_else(|| kp::role_account(role).map(|(_, a)| a))
        .unwrap_or_else(|| "111122223333".into());
    Outcome::fail(format!(
        "{name} lets anyone use the key: {}",
        parts.join("; ")
    ))
    .evidences(evidence)
    .fix(format!(
        "replace the statement's Principal with the role (OpenAI needs nothing else):\n{}\nor, if the statement must stay open, restrict the caller, e.g. add to its Condition:\n{}",
        fixes::pretty(&fixes::key_policy_statement(role)),
        fixes::pretty(&json!({"StringEquals": {"kms:CallerAccount": account}}))
    ))
}

/// `anyone ("Principal": "*")` when the statement's principal is everyone.
fn actions_words(st: &Statement) -> String {
    if st.action.negated {
        format!("every action except {}", st.action.raw.join(", "))
    } else {
        st.action.raw.join(", ")
    }
}

#[cfg(test)]
mod rule_tests {
    use super::*;
    use crate::rules::Status;
    use crate::rules::support_keypolicy::{baseline_with, run};

    #[test]
    fn allow_with_not_principal_is_public() {
        let i = baseline_with(|v| {
            v["key"]["policy"]["Statement"]
                .as_array_mut()
                .unwrap()
                .push(json!({
                    "Sid": "AllButBob", "Effect": "Allow",
                    "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:user/bob"},
                    "Action": "kms:Decrypt", "Resource": "*"
                }));
        });
        let o = run(check, &i);
        assert_eq!(o.status, Status::Fail, "{}", o.message);
        assert!(o.message.contains("NotPrincipal"), "{}", o.message);
    }

    #[test]
    fn a_network_condition_does_not_restrict_the_caller() {
        let i = baseline_with(|v| {
            v["key"]["policy"]["Statement"]
                .as_array_mut()
                .unwrap()
                .push(json!({
                    "Sid": "FromVpce", "Effect": "Allow", "Principal": "*",
                    "Action": "kms:Decrypt", "Resource": "*",
                    "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}
                }));
        });
        let o = run(check, &i);
        assert_eq!(o.status, Status::Fail, "{}", o.message);
        assert!(
            o.message.contains("(\"Principal\": \"*\")"),
            "{}",
            o.message
        );
    }
}
