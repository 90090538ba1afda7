//! EKM407 `trust-denies-openai`: a Deny of the trust policy that matches OpenAI's AssumeRole
//! (its role, with the registered ExternalId) overrides every Allow.

use serde_json::json;

use super::support as tr;
use crate::eval::{Layer, StatementResult, Tri};
use crate::policy::Effect;
use crate::rules::paths::OPENAI_ROLE;
use crate::rules::support_keypolicy as kp;
use crate::rules::{Cx, Family, Outcome, RuleMeta, Severity, fixes};

pub static META: RuleMeta = RuleMeta {
    id: "EKM407",
    slug: "trust-denies-openai",
    severity: Severity::Error,
    family: Family::Trust,
    summary: "a Deny in the trust policy matches OpenAI's AssumeRole",
    doc: include_str!("../../../rules/EKM407-trust-denies-openai.md"),
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
    let denies: Vec<&StatementResult<'_>> = d
        .eval
        .statements
        .iter()
        .filter(|r| r.layer == Layer::Resource && r.statement.effect == Effect::Deny)
        .collect();
    let fix = format!(
        "remove the Deny, or exempt OpenAI's role by adding to its Condition:\n{}\nthen save the trust policy as trust.json and apply it:\n{}",
        fixes::pretty(&json!({"ArnNotEquals": {"aws:PrincipalArn": OPENAI_ROLE}})),
        tr::apply_command(cx)
    );
    let applying: Vec<_> = denies.iter().filter(|r| r.applies.is_true()).collect();
    if !applying.is_empty() {
        let parts: Vec<String> = applying
            .iter()
            .map(|r| {
                let how = if r.statement.conditions.is_empty() {
                    "with no condition".to_string()
                } else {
                    let conds: Vec<String> = r
                        .statement
                        .conditions
                        .iter()
                        .map(kp::condition_text)
                        .collect();
                    format!("and its conditions hold for OpenAI ({})", conds.join(", "))
                };
                format!(
                    "{} matches OpenAI's AssumeRole {how}",
                    tr::st_at(r.statement)
                )
            })
            .collect();
        return Outcome::fail(format!(
            "{name} denies OpenAI's principal {OPENAI_ROLE} sts:AssumeRole on {}: {}",
            d.request.resource,
            parts.join("; ")
        ))
        .evidences(applying.iter().map(|r| t.statement(r.statement)))
        .fix(fix);
    }
    let maybe: Vec<_> = denies
        .iter()
        .filter(|r| r.applies == Tri::Unknown)
        .collect();
    if !maybe.is_empty() {
        let parts: Vec<String> = maybe
            .iter()
            .map(|r| {
                format!(
                    "{} denies it if {}",
                    tr::st_at(r.statement),
                    kp::and_list(&tr::undecided_parts(r))
                )
            })
            .collect();
        let mut keys: Vec<String> = Vec::new();
        for r in &maybe {
            kp::push_unique(&mut keys, kp::undecided_keys(r));
        }
        return Outcome::unknown(format!(
            "whether {name} denies OpenAI's AssumeRole depends on {}: {}",
            keys.join(", "),
            parts.join("; ")
        ))
        .evidences(maybe.iter().map(|r| t.statement(r.statement)))
        .fix(fix);
    }
    if denies.is_empty() {
        return Outcome::pass(format!("{name} has no Deny statement"));
    }
    let why: Vec<String> = denies
        .iter()
        .map(|r| {
            format!(
                "{} does not apply: it {}",
                tr::st_at(r.statement),
                tr::why_not(r, &d.request)
            )
        })
        .collect();
    Outcome::pass(format!(
        "no Deny of {name} matches OpenAI's AssumeRole: {}",
        why.join("; ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Status;
    use crate::rules::support_keypolicy::{baseline_with, run};

    fn with_deny(deny: serde_json::Value) -> crate::inputs::Inputs {
        baseline_with(|v| {
            v["role"]["trust_policy"]["Statement"]
                .as_array_mut()
                .unwrap()
                .push(deny)
        })
    }

    #[test]
    fn baseline_passes() {
        let o = run(check, &baseline_with(|_| {}));
        assert_eq!(o.status, Status::Pass, "{}", o.message);
    }

    #[test]
    fn only_our_account_denies_openai() {
        let o = run(
            check,
            &with_deny(
                json!({"Sid": "OnlyOurAccount", "Effect": "Deny", "Principal": {"AWS": "*"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringNotEquals": {"aws:PrincipalAccount": "111122223333"}}}),
            ),
        );
        assert_eq!(o.status, Status::Fail, "{}", o.message);
    }

    #[test]
    fn exempting_openai_passes() {
        let o = run(
            check,
            &with_deny(
                json!({"Sid": "OnlyOurAccount", "Effect": "Deny", "Principal": {"AWS": "*"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringNotEquals": {"aws:PrincipalAccount": "111122223333"},
                              "ArnNotEquals": {"aws:PrincipalArn": OPENAI_ROLE}}}),
            ),
        );
        assert_eq!(o.status, Status::Pass, "{}", o.message);
        let o = run(
            check,
            &with_deny(
                json!({"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole",
                "Condition": {"Null": {"sts:ExternalId": "true"}}}),
            ),
        );
        assert_eq!(o.status, Status::Pass, "{}", o.message);
    }

    #[test]
    fn an_organization_guardrail_is_unknown() {
        let o = run(
            check,
            &with_deny(
                json!({"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole",
                "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123def4"}}}),
            ),
        );
        assert_eq!(o.status, Status::Unknown, "{}", o.message);
        assert!(
            o.message.contains("almost certainly blocks it"),
            "{}",
            o.message
        );
    }
}
