//! EKM406 `trust-other-principals`: principals other than OpenAI's role (or account, EKM402)
//! that the trust policy lets assume the role; they can use the key through it too. `*` is
//! EKM405's; unique ids and invalid principals match nobody (EKM402, EKM004).

use super::support as tr;
use crate::policy::principal::{PrincipalPattern, is_account_id};
use crate::policy::{Effect, PrincipalEntry, Statement};
use crate::rules::support_keypolicy as kp;
use crate::rules::{Cx, Evidence, Family, Outcome, RuleMeta, Severity, fixes};

pub static META: RuleMeta = RuleMeta {
    id: "EKM406",
    slug: "trust-other-principals",
    severity: Severity::Info,
    family: Family::Trust,
    summary: "other principals can assume the role, and with it use the key",
    doc: include_str!("../../../rules/EKM406-trust-other-principals.md"),
};

pub fn check(cx: &Cx<'_>) -> Outcome {
    let t = match tr::trust(cx) {
        Ok(t) => t,
        Err(o) => return o,
    };
    let name = t.name();
    let own_account = cx.role_arn().and_then(kp::role_account).map(|(_, a)| a);
    let mut others: Vec<(&Statement, &PrincipalEntry)> = Vec::new();
    for st in t
        .policy
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow && tr::covers_assume(s))
    {
        let Some(p) = &st.principal else { continue };
        if p.negated {
            // Everyone but some: EKM405.
            continue;
        }
        for e in &p.entries {
            let counts = match &e.pattern {
                PrincipalPattern::Any
                | PrincipalPattern::UniqueId(_)
                | PrincipalPattern::Invalid { .. } => false,
                _ => tr::entry_match(e).is_none(),
            };
            if counts {
                others.push((st, e));
            }
        }
    }
    if others.is_empty() {
        return Outcome::pass(format!(
            "{name} lets no principal other than OpenAI's assume the role"
        ));
    }
    let parts: Vec<String> = others
        .iter()
        .map(|(st, e)| {
            let mut s = format!(
                "{} ({}) through {} at {}",
                e.raw,
                what(e, own_account.as_deref()),
                tr::st_at(st),
                e.pointer
            );
            if !st.conditions.is_empty() {
                let conds: Vec<String> = st.conditions.iter().map(kp::condition_text).collect();
                s.push_str(&format!(" if {}", conds.join(" and ")));
            }
            s
        })
        .collect();
    let evidence: Vec<Evidence> = others.iter().map(|(_, e)| t.entry(e)).collect();
    let n = others.len();
    Outcome::fail(format!(
        "{name} lets {} other than OpenAI's assume the role, and they can use the key through this role too: {}",
        if n == 1 {
            "1 principal".to_string()
        } else {
            format!("{n} principals")
        },
        parts.join("; ")
    ))
    .evidences(evidence)
    .fix(format!(
        "remove the statements for principals that do not need the key, and give them roles of their own; for OpenAI the trust policy needs only:\n{}\nthen save it as trust.json and apply it:\n{}",
        fixes::pretty(&fixes::trust_policy(&tr::external_id(cx))),
        tr::apply_command(cx)
    ))
}

/// What a principal entry is, in words.
fn what(e: &PrincipalEntry, own: Option<&str>) -> String {
    match &e.pattern {
        PrincipalPattern::Account { account, .. } if Some(account.as_str()) == own => {
            "your own account: every principal in it whose IAM policies allow sts:AssumeRole".into()
        }
        PrincipalPattern::Account { account, .. } => format!(
            "AWS account {account}: every principal in it whose IAM policies allow sts:AssumeRole"
        ),
        PrincipalPattern::Role { account, .. } if Some(account.as_str()) == own => {
            "a role of your account".into()
        }
        PrincipalPattern::Role { account, .. } => format!("a role of account {account}"),
        PrincipalPattern::Session { account, .. } => {
            format!("a role session of account {account}")
        }
        PrincipalPattern::Arn(a) if a.contains(":user/") => "an IAM user".into(),
        PrincipalPattern::Arn(_) => "a principal ARN".into(),
        PrincipalPattern::Service(_) => "an AWS service".into(),
        PrincipalPattern::Other(_) if e.kind == "Federated" => {
            "a federated identity provider".into()
        }
        PrincipalPattern::Other(_) if e.kind == "CanonicalUser" => "a canonical user".into(),
        _ if is_account_id(&e.raw) => format!("AWS account {}", e.raw),
        _ => format!("a {} principal", e.kind),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Status;
    use crate::rules::paths::OPENAI_ROLE;
    use crate::rules::support_keypolicy::{baseline_with, run};
    use serde_json::json;

    #[test]
    fn baseline_passes() {
        let o = run(check, &baseline_with(|_| {}));
        assert_eq!(o.status, Status::Pass, "{}", o.message);
    }

    #[test]
    fn other_principals_are_listed() {
        let i = baseline_with(|v| {
            v["role"]["trust_policy"]["Statement"] = json!([
                {"Effect": "Allow", "Principal": {"AWS": [OPENAI_ROLE, "arn:aws:iam::111122223333:role/Admin"]},
                 "Action": "sts:AssumeRole"},
                {"Sid": "LegacyBatch", "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                 "Action": "sts:AssumeRole"},
                {"Effect": "Allow", "Principal": {"AWS": "790389265272"}, "Action": "sts:AssumeRole"}
            ])
        });
        let o = run(check, &i);
        assert_eq!(o.status, Status::Fail, "{}", o.message);
        assert!(o.message.contains("2 principals"), "{}", o.message);
        assert!(
            o.message.contains("role/Admin (a role of your account)"),
            "{}",
            o.message
        );
        assert!(
            o.message.contains("ec2.amazonaws.com (an AWS service)"),
            "{}",
            o.message
        );
    }
}
