//! EKM307 `boundary-blocks-role`: a permissions boundary caps the role's identity policies (and
//! key-policy grants to the role's ARN): it must allow OpenAI's Encrypt and Decrypt on the key,
//! and must not deny them.

use crate::eval::{Layer, StatementResult, Tri};
use crate::inputs::Part;
use crate::policy::Effect;
use crate::rules::support_keypolicy as kp;
use crate::rules::{Cx, Evidence, Family, Outcome, RuleMeta, Severity, fixes};

pub static META: RuleMeta = RuleMeta {
    id: "EKM307",
    slug: "boundary-blocks-role",
    severity: Severity::Error,
    family: Family::Role,
    summary: "the permissions boundary does not allow Encrypt and Decrypt",
    doc: include_str!("../../../rules/EKM307-boundary-blocks-role.md"),
};

pub fn check(cx: &Cx<'_>) -> Outcome {
    let doc = match &cx.inputs.boundary {
        Part::Present(None) => return Outcome::pass("the role has no permissions boundary"),
        Part::Present(Some(d)) => d,
        other => {
            return Outcome::for_missing(other, "the role's permissions boundary")
                .expect("missing");
        }
    };
    if doc.policy().is_none() {
        return Outcome::unknown(format!("{} is not valid JSON (see EKM004)", doc.source));
    }
    let paths = match kp::crypto_paths(cx, false) {
        Ok(p) => p,
        Err(o) => return o,
    };
    let name = match &doc.arn {
        Some(a) => format!("the permissions boundary {a}"),
        None => format!("the permissions boundary \"{}\"", doc.source),
    };
    let mut allowed: Vec<&'static str> = Vec::new();
    let mut blocked: Vec<&'static str> = Vec::new();
    let mut undecided: Vec<&'static str> = Vec::new();
    let mut depends: Vec<String> = Vec::new();
    let mut why = kp::Why::default();
    let mut denied = false;
    let mut evidence: Vec<Evidence> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for c in &paths {
        let allows: Vec<&StatementResult<'_>> = c.layer(Layer::Boundary, Effect::Allow).collect();
        let denies: Vec<&StatementResult<'_>> = c
            .layer(Layer::Boundary, Effect::Deny)
            .filter(|r| r.applies != Tri::False)
            .collect();
        let allow = Tri::any(allows.iter().map(|r| r.applies));
        let deny = Tri::any(denies.iter().map(|r| r.applies));
        match allow & !deny {
            Tri::True => {
                allowed.push(c.action);
                for r in allows.iter().filter(|r| r.applies.is_true()) {
                    kp::push_evidence(cx, &mut evidence, &mut seen, r.policy, r.statement);
                }
            }
            Tri::False => {
                blocked.push(c.action);
                if deny.is_true() {
                    for r in denies.iter().filter(|r| r.applies.is_true()) {
                        denied = true;
                        why.add_text(kp::st_at(r.statement), "denies \u{1}".into(), c.action);
                        kp::push_evidence(cx, &mut evidence, &mut seen, r.policy, r.statement);
                    }
                } else {
                    for r in &allows {
                        why.add(r, &c.request, c.action);
                        kp::push_evidence(cx, &mut evidence, &mut seen, r.policy, r.statement);
                    }
                    if allows.is_empty() {
                        why.add_text(String::new(), "it has no Allow statement".into(), c.action);
                    }
                }
            }
            Tri::Unknown => {
                undecided.push(c.action);
                for r in allows
                    .iter()
                    .chain(denies.iter())
                    .filter(|r| r.applies == Tri::Unknown)
                {
                    kp::push_unique(&mut depends, kp::undecided_keys(r));
                    let verb = if r.statement.effect == Effect::Deny {
                        "denies"
                    } else {
                        "allows"
                    };
                    why.add_text(
                        kp::st_at(r.statement),
                        format!("{verb} \u{1} only if {}", undecided_words(r)),
                        c.action,
                    );
                    kp::push_evidence(cx, &mut evidence, &mut seen, r.policy, r.statement);
                }
            }
        }
    }
    let key = paths
        .first()
        .map(|c| c.request.resource.clone())
        .unwrap_or_default();
    if !blocked.is_empty() {
        if evidence.is_empty() {
            evidence.push(Evidence::in_doc(
                doc,
                "/Statement",
                Default::default(),
                None,
            ));
        }
        let fix = if !denied {
            format!(
                "add this statement to the permissions boundary policy{}:\n{}",
                doc.arn
                    .as_deref()
                    .map(|a| format!(" {a}"))
                    .unwrap_or_default(),
                fixes::pretty(&fixes::identity_statement(&key))
            )
        } else {
            "remove the boundary's Deny, or narrow it so that it does not match kms:Encrypt and kms:Decrypt on the key".to_string()
        };
        return Outcome::fail(format!(
            "{name} does not allow the role's {} on {key}: {}",
            kp::and_list(&blocked),
            why.join()
        ))
        .evidences(evidence)
        .fix(fix);
    }
    if !undecided.is_empty() {
        return Outcome::unknown(format!(
            "whether {name} allows the role's {} on {key} depends on {}, which OpenAI's calls may or may not satisfy: {}",
            kp::and_list(&undecided),
            kp::and_list(&depends),
            why.join()
        ))
        .evidences(evidence)
        .fix(format!(
            "remove the condition from the boundary; {}",
            kp::settle(&depends)
        ));
    }
    Outcome::pass(format!(
        "{name} allows the role's {} on {key}",
        kp::and_list(&allowed)
    ))
    .evidences(evidence)
}

fn undecided_words(r: &StatementResult<'_>) -> String {
    match &r.reason {
        crate::eval::Reason::ConditionsUndecided(idx) => {
            let parts: Vec<String> = idx
                .iter()
                .map(|&i| kp::undecided_text(&r.statement.conditions[i]))
                .collect();
            kp::and_list(&parts)
        }
        _ => "its Resource variables resolve to the key".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Status;
    use crate::rules::support_keypolicy::{baseline_with, run};
    use serde_json::json;

    fn boundary(statements: serde_json::Value) -> serde_json::Value {
        json!({"arn": "arn:aws:iam::111122223333:policy/b",
               "document": {"Version": "2012-10-17", "Statement": statements}})
    }

    #[test]
    fn decides_without_the_identity_policies() {
        let i = baseline_with(|v| {
            v["role"]
                .as_object_mut()
                .unwrap()
                .remove("attached_policies");
            v["role"]["permissions_boundary"] = boundary(json!([
                {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}
            ]));
        });
        let o = run(check, &i);
        assert_eq!(o.status, Status::Fail, "{}", o.message);
        assert!(o.message.contains("kms:Encrypt on"), "{}", o.message);
    }

    #[test]
    fn a_boundary_deny_blocks() {
        let i = baseline_with(|v| {
            v["role"]["permissions_boundary"] = boundary(json!([
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Sid": "NoCrypto", "Effect": "Deny", "Action": "kms:Encrypt", "Resource": "*"}
            ]));
        });
        let o = run(check, &i);
        assert_eq!(o.status, Status::Fail, "{}", o.message);
        assert!(o.message.contains("\"NoCrypto\""), "{}", o.message);
    }

    #[test]
    fn a_missing_boundary_in_a_snapshot_is_unknown_as_an_unreadable_one() {
        let i = baseline_with(|v| {
            v["role"]
                .as_object_mut()
                .unwrap()
                .remove("permissions_boundary");
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
            v["errors"] = json!({"role.permissions_boundary": "AccessDenied: iam:GetPolicy"});
        });
        assert_eq!(run(check, &i).status, Status::Unknown);
    }
}
