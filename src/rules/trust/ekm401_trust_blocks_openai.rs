//! EKM401 `trust-blocks-openai`: OpenAI's `sts:AssumeRole` (its role, with the registered
//! ExternalId) must be allowed by the role's trust policy.

use serde_json::json;

use super::support as tr;
use crate::eval::{Layer, Reason, Tri};
use crate::policy::Effect;
use crate::rules::paths::OPENAI_ROLE;
use crate::rules::support_keypolicy as kp;
use crate::rules::{Cx, Evidence, Family, Outcome, RuleMeta, Severity, fixes};

pub static META: RuleMeta = RuleMeta {
    id: "EKM401",
    slug: "trust-blocks-openai",
    severity: Severity::Error,
    family: Family::Trust,
    summary: "the trust policy does not let OpenAI's principal assume the role with the registered ExternalId",
    doc: include_str!("../../../rules/EKM401-trust-blocks-openai.md"),
};

pub fn check(cx: &Cx<'_>) -> Outcome {
    let t = match tr::trust(cx) {
        Ok(t) => t,
        Err(o) => return o,
    };
    let d = match tr::decided(cx.assume()) {
        Ok(d) => d,
        Err(o) => return o,
    };
    let name = t.name();
    let role = &d.request.resource;
    let x = tr::external_id(cx);
    let resource = |layer: Layer, effect: Effect| {
        d.eval
            .statements
            .iter()
            .filter(move |r| r.layer == layer && r.statement.effect == effect)
    };
    match d.allowed {
        Tri::True => {
            let allowing: Vec<_> = resource(Layer::Resource, Effect::Allow)
                .filter(|r| r.applies.is_true())
                .collect();
            let at: Vec<String> = allowing.iter().map(|r| tr::st_at(r.statement)).collect();
            Outcome::pass(format!(
                "{name} lets OpenAI's principal {OPENAI_ROLE} assume {role} with ExternalId \"{x}\": {} allows it",
                kp::and_list(&at)
            ))
            .evidences(allowing.iter().map(|r| t.statement(r.statement)))
        }
        Tri::Unknown => {
            let mut parts = Vec::new();
            let mut keys: Vec<String> = Vec::new();
            let mut evidence: Vec<Evidence> = Vec::new();
            let mut fixes_text = Vec::new();
            let maybe_deny: Vec<_> = if d.eval.denied == Tri::Unknown {
                resource(Layer::Resource, Effect::Deny)
                    .filter(|r| r.applies == Tri::Unknown)
                    .collect()
            } else {
                Vec::new()
            };
            for r in &maybe_deny {
                parts.push(format!(
                    "{} denies it if {}",
                    tr::st_at(r.statement),
                    kp::and_list(&tr::undecided_parts(r))
                ));
                kp::push_unique(&mut keys, kp::undecided_keys(r));
                evidence.push(t.statement(r.statement));
            }
            let allowed_anyway =
                resource(Layer::Resource, Effect::Allow).any(|r| r.applies.is_true());
            let maybe_allow: Vec<_> = if allowed_anyway {
                Vec::new()
            } else {
                resource(Layer::Resource, Effect::Allow)
                    .filter(|r| r.applies == Tri::Unknown)
                    .collect()
            };
            for r in &maybe_allow {
                parts.push(format!(
                    "{} lets it in only if {}",
                    tr::st_at(r.statement),
                    kp::and_list(&tr::undecided_parts(r))
                ));
                kp::push_unique(&mut keys, kp::undecided_keys(r));
                evidence.push(t.statement(r.statement));
            }
            if !maybe_allow.is_empty() {
                fixes_text.push(
                    "remove the condition from the Allow for OpenAI: its value in OpenAI's request cannot be known in advance".to_string(),
                );
            }
            if !maybe_deny.is_empty() {
                fixes_text.push(format!(
                    "exempt OpenAI's role from the Deny by adding to its Condition:\n{}",
                    fixes::pretty(&json!({"ArnNotEquals": {"aws:PrincipalArn": OPENAI_ROLE}}))
                ));
            }
            fixes_text.push(format!(
                "then save the trust policy as trust.json and apply it:\n{}",
                tr::apply_command(cx)
            ));
            Outcome::unknown(format!(
                "whether {name} lets OpenAI's principal {OPENAI_ROLE} assume {role} depends on {}: {}",
                keys.join(", "),
                parts.join("; ")
            ))
            .evidences(evidence)
            .fix(fixes_text.join("\n"))
        }
        Tri::False => {
            if d.eval.denied.is_true() {
                let denies: Vec<_> = resource(Layer::Resource, Effect::Deny)
                    .filter(|r| r.applies.is_true())
                    .collect();
                let at: Vec<String> = denies.iter().map(|r| tr::st_at(r.statement)).collect();
                return Outcome::fail(format!(
                    "{name} does not let OpenAI's principal {OPENAI_ROLE} assume {role}: {} denies it (see EKM407)",
                    kp::and_list(&at)
                ))
                .evidences(denies.iter().map(|r| t.statement(r.statement)))
                .fix(format!(
                    "remove the Deny, or exempt OpenAI's role by adding to its Condition:\n{}\nthen apply it:\n{}",
                    fixes::pretty(&json!({"ArnNotEquals": {"aws:PrincipalArn": OPENAI_ROLE}})),
                    tr::apply_command(cx)
                ));
            }
            let allows: Vec<_> = resource(Layer::Resource, Effect::Allow).collect();
            if allows.is_empty() {
                return Outcome::fail(format!(
                    "{name} does not let OpenAI's principal {OPENAI_ROLE} assume {role}: it has no Allow statement"
                ))
                .fix(tr::fix_statement(cx, "add this statement to the role's trust policy"));
            }
            // Statements that name OpenAI first: they are the ones meant for it.
            let mut ordered: Vec<_> = allows.iter().filter(|r| tr::trusts_openai(r)).collect();
            ordered.extend(allows.iter().filter(|r| !tr::trusts_openai(r)));
            let why: Vec<String> = ordered
                .iter()
                .map(|r| format!("{} {}", tr::st_at(r.statement), tr::why_not(r, &d.request)))
                .collect();
            let external_id_only = ordered.iter().any(|r| {
                tr::trusts_openai(r)
                    && matches!(r.reason, Reason::ConditionFalse(i) if tr::is_external_id(&r.statement.conditions[i]))
            });
            let mut evidence: Vec<Evidence> =
                ordered.iter().map(|r| t.statement(r.statement)).collect();
            for r in &ordered {
                if let Reason::ConditionFalse(i) = r.reason {
                    evidence.push(t.condition(&r.statement.conditions[i]));
                }
            }
            let none = if ordered.iter().any(|r| tr::trusts_openai(r)) {
                "no statement that trusts it applies"
            } else {
                "no statement trusts it"
            };
            let mut msg = format!(
                "{name} does not let OpenAI's principal {OPENAI_ROLE} assume {role} with ExternalId \"{x}\": {none}; {}",
                why.join("; ")
            );
            if external_id_only {
                msg.push_str(" (see EKM404)");
            }
            let meant: Vec<String> = ordered
                .iter()
                .filter(|r| tr::trusts_openai(r))
                .map(|r| tr::st_at(r.statement))
                .collect();
            let lead = if meant.is_empty() {
                "add this statement to the role's trust policy".to_string()
            } else {
                format!(
                    "replace {} of the role's trust policy with this statement",
                    kp::and_list(&meant)
                )
            };
            let mut fix = tr::fix_statement(cx, &lead);
            if external_id_only {
                fix.push_str(
                    "\nor, if the policy holds the right id, register that value as external_id instead",
                );
            }
            Outcome::fail(msg).evidences(evidence).fix(fix)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Status;
    use crate::rules::support_keypolicy::{baseline_with, run};
    use serde_json::json;

    fn trust(stmts: serde_json::Value) -> crate::inputs::Inputs {
        baseline_with(|v| v["role"]["trust_policy"]["Statement"] = stmts)
    }

    #[test]
    fn baseline_passes() {
        let o = run(check, &baseline_with(|_| {}));
        assert_eq!(o.status, Status::Pass, "{}", o.message);
    }

    #[test]
    fn a_typo_in_the_role_name_is_named() {
        let i = trust(json!([{
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::790389265272:role/EnterpriseKeyManagment"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "org-AbCdEf0123456789GhIjKlMn"}}
        }]));
        let o = run(check, &i);
        assert_eq!(o.status, Status::Fail, "{}", o.message);
        assert!(
            o.message
                .contains("EnterpriseKeyManagment in OpenAI's account"),
            "{}",
            o.message
        );
        assert!(
            o.remediation
                .unwrap()
                .contains("update-assume-role-policy --role-name openai-ekm")
        );
    }

    #[test]
    fn a_case_difference_in_the_external_id_fails() {
        let i = trust(json!([{
            "Effect": "Allow",
            "Principal": {"AWS": OPENAI_ROLE},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "org-abcdef0123456789ghijklmn"}}
        }]));
        let o = run(check, &i);
        assert_eq!(o.status, Status::Fail, "{}", o.message);
        assert!(o.message.contains("letter case"), "{}", o.message);
    }

    #[test]
    fn an_organization_condition_is_unknown_and_said_to_block() {
        let i = trust(json!([{
            "Effect": "Allow",
            "Principal": {"AWS": OPENAI_ROLE},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"sts:ExternalId": "org-AbCdEf0123456789GhIjKlMn",
                                 "aws:PrincipalOrgID": "o-abc123def4"}
            }
        }]));
        let o = run(check, &i);
        assert_eq!(o.status, Status::Unknown, "{}", o.message);
        assert!(
            o.message.contains("almost certainly blocks it"),
            "{}",
            o.message
        );
    }

    #[test]
    fn a_condition_on_an_absent_key_is_explained() {
        let i = trust(json!([{
            "Effect": "Allow",
            "Principal": {"AWS": OPENAI_ROLE},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"sts:ExternalId": "org-AbCdEf0123456789GhIjKlMn",
                                 "aws:SourceAccount": "111122223333"}
            }
        }]));
        let o = run(check, &i);
        assert_eq!(o.status, Status::Fail, "{}", o.message);
        assert!(o.message.contains("does not carry"), "{}", o.message);
    }
}
