//! EKM405 `trust-public`: a trust-policy Allow for `*` (or `{"AWS": "*"}`, or everyone but some
//! with `NotPrincipal`) without a condition that restricts who the caller is lets any AWS
//! principal assume the role. An ExternalId condition does not restrict the caller: the id is not
//! a secret.

use super::support as tr;
use crate::policy::{Effect, Statement};
use crate::rules::support_keypolicy as kp;
use crate::rules::{Cx, Evidence, Family, Outcome, RuleMeta, Severity, caller, fixes};

pub static META: RuleMeta = RuleMeta {
    id: "EKM405",
    slug: "trust-public",
    severity: Severity::Error,
    family: Family::Trust,
    summary: "anyone can assume the role",
    doc: include_str!("../../../rules/EKM405-trust-public.md"),
};

/// Condition keys that say who the caller is.
pub fn check(cx: &Cx<'_>) -> Outcome {
    let t = match tr::trust(cx) {
        Ok(t) => t,
        Err(o) => return o,
    };
    let name = t.name();
    let mut public: Vec<(&Statement, String)> = Vec::new();
    let mut restricted: Vec<String> = Vec::new();
    for st in t
        .policy
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow && tr::covers_assume(s))
    {
        let Some(who) = caller::anyone(st, None) else {
            continue;
        };
        match st
            .conditions
            .iter()
            .find(|c| caller::restricts_caller(c, caller::TRUST_CALLER_KEYS))
        {
            Some(c) => restricted.push(format!(
                "{} allows {who} but restricts the caller with {}",
                tr::st_at(st),
                kp::condition_text(c)
            )),
            None => public.push((st, who)),
        }
    }
    if public.is_empty() {
        let mut msg = format!("no statement of {name} lets anyone assume the role");
        if !restricted.is_empty() {
            msg.push_str(&format!(": {}", restricted.join("; ")));
        }
        return Outcome::pass(msg);
    }
    let parts: Vec<String> = public
        .iter()
        .map(|(st, who)| {
            let conds = if st.conditions.is_empty() {
                "with no condition".to_string()
            } else {
                let all: Vec<String> = st.conditions.iter().map(kp::condition_text).collect();
                let xid = if st.conditions.iter().any(tr::is_external_id) {
                    "; an ExternalId is not a secret: OpenAI org ids appear in dashboards, URLs, logs and tickets"
                } else {
                    ""
                };
                format!(
                    "with conditions ({}) that do not restrict who the caller is{xid}",
                    all.join(", ")
                )
            };
            format!(
                "{} allows {who} to call {} {conds}",
                tr::st_at(st),
                kp::and_list(&st.action.raw)
            )
        })
        .collect();
    let evidence: Vec<Evidence> = public.iter().map(|(st, _)| t.statement(st)).collect();
    Outcome::fail(format!(
        "{name} lets any AWS principal assume the role, and with it use the key: {}",
        parts.join("; ")
    ))
    .evidences(evidence)
    .fix(format!(
        "replace the statement with one for OpenAI's exact role:\n{}\nthen save the trust policy as trust.json and apply it at once:\n{}\nand review CloudTrail for AssumeRole events on the role from unexpected accounts",
        fixes::pretty(&fixes::trust_statement(&tr::external_id(cx))),
        tr::apply_command(cx)
    ))
}

/// `anyone ("Principal": "*")` when the statement's principal is everyone.
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
    fn star_with_external_id_is_public() {
        let o = run(
            check,
            &trust(json!([{
                "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": "org-AbCdEf0123456789GhIjKlMn"}}
            }])),
        );
        assert_eq!(o.status, Status::Fail, "{}", o.message);
        assert!(o.message.contains("not a secret"), "{}", o.message);
    }

    #[test]
    fn star_restricted_to_openai_passes() {
        let o = run(
            check,
            &trust(json!([{
                "Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": "org-AbCdEf0123456789GhIjKlMn",
                                               "aws:PrincipalArn": "arn:aws:iam::790389265272:role/EnterpriseKeyManagement"}}
            }])),
        );
        assert_eq!(o.status, Status::Pass, "{}", o.message);
    }

    #[test]
    fn not_principal_allow_is_public() {
        let o = run(
            check,
            &trust(json!([{
                "Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:user/bob"},
                "Action": "sts:AssumeRole"
            }])),
        );
        assert_eq!(o.status, Status::Fail, "{}", o.message);
    }
}
