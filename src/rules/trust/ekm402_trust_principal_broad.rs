//! EKM402 `trust-principal-broad`: the trust policy should name OpenAI's exact role. Trusting
//! OpenAI's whole account is broader than needed (warning); a unique id such as `AROA…` in a
//! principal is what IAM shows once the role it named was deleted, and it matches nobody (error).

use serde_json::json;

use super::support as tr;
use crate::eval::Context;
use crate::policy::principal::{PrincipalMatch, PrincipalPattern};
use crate::policy::{Effect, Statement};
use crate::rules::paths::{OPENAI_ACCOUNT, OPENAI_ROLE};
use crate::rules::support_keypolicy as kp;
use crate::rules::{Cx, Evidence, Family, Outcome, RuleMeta, Severity, fixes};

pub static META: RuleMeta = RuleMeta {
    id: "EKM402",
    slug: "trust-principal-broad",
    severity: Severity::Warning,
    family: Family::Trust,
    summary: "OpenAI is trusted as a whole account, or through a unique id of a deleted role",
    doc: include_str!("../../../rules/EKM402-trust-principal-broad.md"),
};

pub fn check(cx: &Cx<'_>) -> Outcome {
    let t = match tr::trust(cx) {
        Ok(t) => t,
        Err(o) => return o,
    };
    let name = t.name();
    let mut errors: Vec<String> = Vec::new();
    let mut warnings: Vec<String> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let mut evidence: Vec<Evidence> = Vec::new();

    // (a) Principals that match nobody: unique ids of deleted principals, and invalid entries
    // in OpenAI's account (a partial wildcard such as role/*).
    for st in &t.policy.statements {
        let Some(p) = &st.principal else { continue };
        for e in &p.entries {
            match &e.pattern {
                PrincipalPattern::UniqueId(id) => {
                    errors.push(format!(
                        "{} names \"{id}\" ({}), a unique id: IAM shows it in place of the ARN once the role or user it named was deleted, and it matches nobody, not even a role re-created with the same name, until the policy is saved again with the ARN",
                        tr::st_at(st),
                        e.pointer
                    ));
                    evidence.push(t.entry(e));
                }
                PrincipalPattern::Invalid { text, why } if text.contains(OPENAI_ACCOUNT) => {
                    errors.push(format!(
                        "{} names \"{text}\" ({}), which is not a valid principal: {why}",
                        tr::st_at(st),
                        e.pointer
                    ));
                    evidence.push(t.entry(e));
                }
                _ => {}
            }
        }
    }

    // (b) Allows that let OpenAI in through its account. The statements whose principal and
    // action match OpenAI's AssumeRole come from the evaluator when the request can be built
    // (with the registered ExternalId, or without one: principals do not depend on it).
    let with_id = cx.assume();
    let without;
    let decided = match tr::decided(with_id) {
        Ok(d) => Some(d),
        Err(_) => {
            without = cx.assume_with(None);
            tr::decided(&without).ok()
        }
    };
    let broad: Vec<(&Statement, Context)> = match decided {
        Some(d) => d
            .eval
            .statements
            .iter()
            .filter(|r| tr::trusts_openai(r))
            .map(|r| (r.statement, d.request.context.clone()))
            .collect(),
        // No role ARN (lint): the principal and the action decide which statements name OpenAI.
        None => t
            .policy
            .statements
            .iter()
            .filter(|st| st.effect == Effect::Allow && kp::allows_action(st, "sts:AssumeRole"))
            .map(|st| (st, tr::principal_context()))
            .collect(),
    };
    for (st, ctx) in &broad {
        let Some(p) = &st.principal else { continue };
        if p.negated {
            continue;
        }
        let accounts: Vec<_> = p
            .entries
            .iter()
            .filter(|e| tr::entry_match(e) == Some(PrincipalMatch::Account))
            .collect();
        if accounts.is_empty() {
            continue;
        }
        if let Some(c) = tr::narrowed_to_openai_role(st, ctx) {
            notes.push(format!(
                "{} trusts OpenAI's account but its condition {} narrows it to OpenAI's role",
                tr::st_at(st),
                kp::condition_text(c)
            ));
            continue;
        }
        let barrier = if tr::external_id_conditions(st).is_empty() {
            "and the statement does not even require an ExternalId (see EKM403)"
        } else {
            "with the ExternalId as the only barrier"
        };
        for e in accounts {
            warnings.push(format!(
                "{} trusts OpenAI's whole account (\"{}\" at {}) rather than its role {OPENAI_ROLE}: every principal in account {OPENAI_ACCOUNT} whose own policies allow sts:AssumeRole is trusted, {barrier}",
                tr::st_at(st),
                e.raw,
                e.pointer
            ));
            evidence.push(t.entry(e));
        }
    }

    let fix = format!(
        "name OpenAI's exact role in the statement's Principal:\n{}\nfor example:\n{}\nthen save the trust policy as trust.json and apply it (saving re-resolves a role ARN to the current role):\n{}",
        fixes::pretty(&json!({"AWS": OPENAI_ROLE})),
        fixes::pretty(&fixes::trust_statement(&tr::external_id(cx))),
        tr::apply_command(cx)
    );
    if !errors.is_empty() {
        let mut all = errors;
        all.extend(warnings);
        return Outcome::fail(format!("{name}: {}", all.join("; ")))
            .severity(Severity::Error)
            .evidences(evidence)
            .fix(fix);
    }
    if !warnings.is_empty() {
        return Outcome::fail(format!("{name}: {}", warnings.join("; ")))
            .evidences(evidence)
            .fix(fix);
    }
    let mut msg = format!(
        "{name} trusts OpenAI by its exact role, not its whole account, and names no deleted principal"
    );
    if !notes.is_empty() {
        msg.push_str(&format!(": {}", notes.join("; ")));
    }
    Outcome::pass(msg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Status;
    use kp::{baseline_with, run};

    fn trust(stmts: serde_json::Value) -> crate::inputs::Inputs {
        baseline_with(|v| v["role"]["trust_policy"]["Statement"] = stmts)
    }

    #[test]
    fn baseline_passes() {
        let o = run(check, &baseline_with(|_| {}));
        assert_eq!(o.status, Status::Pass, "{}", o.message);
    }

    #[test]
    fn account_root_is_a_warning() {
        let o = run(
            check,
            &trust(json!([{
                "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::790389265272:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": "org-AbCdEf0123456789GhIjKlMn"}}
            }])),
        );
        assert_eq!(o.status, Status::Fail, "{}", o.message);
        assert_eq!(o.severity, None);
    }

    #[test]
    fn account_narrowed_by_principal_arn_passes() {
        let o = run(
            check,
            &trust(json!([{
                "Effect": "Allow", "Principal": {"AWS": "790389265272"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"sts:ExternalId": "org-AbCdEf0123456789GhIjKlMn"},
                    "ArnEquals": {"aws:PrincipalArn": OPENAI_ROLE}
                }
            }])),
        );
        assert_eq!(o.status, Status::Pass, "{}", o.message);
    }

    #[test]
    fn unique_id_is_an_error() {
        let o = run(
            check,
            &trust(json!([{
                "Effect": "Allow", "Principal": {"AWS": "AROA3XFRBF535PLBIFPI4"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": "org-AbCdEf0123456789GhIjKlMn"}}
            }])),
        );
        assert_eq!(o.status, Status::Fail, "{}", o.message);
        assert_eq!(o.severity, Some(Severity::Error));
    }
}
