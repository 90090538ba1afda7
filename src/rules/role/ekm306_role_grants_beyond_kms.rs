//! EKM306 `role-grants-beyond-kms`: OpenAI holds whatever the role may do. A role made for
//! OpenAI should grant KMS actions only; anything else is a warning, and `*`, `NotAction`,
//! `iam:*` or an AWS administrator policy are an error.

use crate::inputs::Doc;
use crate::policy::{Effect, Policy, Statement};
use crate::rules::support_keypolicy as kp;
use crate::rules::{Cx, Evidence, Family, Outcome, RuleMeta, Severity, fixes};

pub static META: RuleMeta = RuleMeta {
    id: "EKM306",
    slug: "role-grants-beyond-kms",
    severity: Severity::Warning,
    family: Family::Role,
    summary: "the role grants permissions outside KMS, which OpenAI would hold too",
    doc: include_str!("../../../rules/EKM306-role-grants-beyond-kms.md"),
};

/// AWS managed policies that amount to administrator access.
const ADMIN_POLICIES: &[&str] = &["AdministratorAccess", "PowerUserAccess", "IAMFullAccess"];

pub fn check(cx: &Cx<'_>) -> Outcome {
    let ids = match kp::identity_docs(cx) {
        Ok(d) => d,
        Err(o) => return o,
    };
    let mut parts: Vec<String> = Vec::new();
    let mut evidence: Vec<Evidence> = Vec::new();
    let mut admin = false;
    let mut admin_policies: Vec<String> = Vec::new();
    // Managed policies by ARN, even when their document says little.
    for d in cx.inputs.attached_policies.get().into_iter().flatten() {
        if let Some(name) = admin_policy(d) {
            admin = true;
            admin_policies.push(name.to_string());
            parts.push(format!(
                "the AWS managed policy {} is attached ({})",
                d.arn.as_deref().unwrap_or(name),
                if name == "IAMFullAccess" {
                    "full IAM access, which can grant itself anything"
                } else {
                    "administrator access"
                }
            ));
            evidence.push(Evidence::in_doc(
                d,
                "",
                Default::default(),
                d.arn.as_deref().map(|a| serde_json::json!(a)),
            ));
        }
    }
    let capped = boundary_only_kms(cx);
    for (doc, policy) in &ids.docs {
        if admin_policy(doc).is_some() {
            continue;
        }
        for st in policy
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Allow)
        {
            let Some((words, severe)) = beyond_kms(st) else {
                continue;
            };
            admin |= severe;
            parts.push(format!(
                "{} {} allows {words}",
                kp::doc_name(policy),
                kp::st_at(st)
            ));
            evidence.push(cx.evidence(policy, st));
        }
    }
    if parts.is_empty() {
        return ids.clean("the role's identity policies grant KMS actions only".to_string());
    }
    if let Some(b) = capped {
        return Outcome::pass(format!(
            "the role's identity policies grant more than KMS ({}), but the permissions boundary {} allows KMS actions only, so the role cannot use them",
            parts.join("; "),
            b
        ))
        .evidences(evidence);
    }
    let key_text = cx
        .key_arn()
        .unwrap_or("arn:aws:kms:REGION:ACCOUNT:key/KEY_ID");
    let mut fix = String::new();
    if !admin_policies.is_empty() {
        fix.push_str(&format!(
            "detach {} from the role; ",
            kp::and_list(&admin_policies)
        ));
    }
    fix.push_str(&format!(
        "give the role OpenAI assumes only what it needs (move other permissions to another role):\n{}",
        fixes::pretty(&fixes::identity_policy(key_text))
    ));
    let o = Outcome::fail(format!(
        "the role grants permissions outside KMS, and OpenAI holds them too: {}",
        parts.join("; ")
    ))
    .evidences(evidence)
    .fix(fix);
    if admin {
        o.severity(Severity::Error)
    } else {
        o
    }
}

/// The AWS managed administrator policy this document is, by its ARN.
fn admin_policy(d: &Doc) -> Option<&'static str> {
    let arn = d.arn.as_deref()?;
    let (head, name) = arn.rsplit_once('/')?;
    if !(head.starts_with("arn:") && head.contains(":iam::aws:policy")) {
        return None;
    }
    ADMIN_POLICIES.iter().copied().find(|p| *p == name)
}

/// The non-KMS actions a statement allows, in words, and whether they are administrator access.
fn beyond_kms(st: &Statement) -> Option<(String, bool)> {
    if st.action.negated {
        let everywhere = st
            .resource
            .as_ref()
            .is_none_or(|m| m.negated || m.patterns.iter().any(|p| p.is_match_all()));
        return Some((
            format!(
                "every action except {} (NotAction){}",
                st.action.raw.join(", "),
                if everywhere { " on every resource" } else { "" }
            ),
            everywhere,
        ));
    }
    let mut out: Vec<&str> = Vec::new();
    let mut severe = false;
    for raw in &st.action.raw {
        let lc = raw.to_ascii_lowercase();
        let service = lc.split_once(':').map(|(s, _)| s).unwrap_or(lc.as_str());
        if service == "kms" {
            continue;
        }
        if service.chars().all(|c| c == '*' || c == '?') || lc == "iam:*" {
            severe = true;
        }
        out.push(raw);
    }
    if out.is_empty() {
        return None;
    }
    let mut words = kp::and_list(&out);
    if out.contains(&"*") {
        words.push_str(" (every action: administrator access)");
    }
    Some((words, severe))
}

/// The boundary's name when it allows KMS actions only (it then caps everything else).
fn boundary_only_kms(cx: &Cx<'_>) -> Option<String> {
    let d = cx.inputs.boundary.get()?.as_ref()?;
    let p: &Policy = d.policy()?;
    let only_kms = p
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow)
        .all(|s| {
            !s.action.negated
                && s.action
                    .raw
                    .iter()
                    .all(|a| a.to_ascii_lowercase().starts_with("kms:"))
        });
    only_kms.then(|| format!("\"{}\"", d.arn.as_deref().unwrap_or(&d.source)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Status;
    use crate::rules::support_keypolicy::{baseline_with, run};
    use serde_json::json;

    #[test]
    fn not_action_on_everything_is_an_error() {
        let i = baseline_with(|v| {
            v["role"]["inline_policies"] = json!([{"name": "x", "document": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]
            }}]);
        });
        let o = run(check, &i);
        assert_eq!(o.status, Status::Fail);
        assert_eq!(o.severity, Some(Severity::Error));
    }

    #[test]
    fn unreadable_attached_policies_make_a_clean_result_unknown() {
        let i = baseline_with(|v| {
            v["errors"] =
                json!({"role.attached_policies": "AccessDenied: iam:ListAttachedRolePolicies"});
        });
        let o = run(check, &i);
        assert_eq!(o.status, Status::Unknown, "{}", o.message);
    }
}
