//! EKM404 `external-id-mismatch`: the `sts:ExternalId` values that the statements trusting
//! OpenAI require must include the registered `external_id` exactly (`StringEquals`). A match
//! only through a wildcard, a case-insensitive or set operator, or `…IfExists` is a warning.

use serde_json::json;

use super::support_keypolicy as kp;
use super::support_trust as tr;
use super::{Cx, Evidence, Family, Outcome, RuleMeta, Severity, fixes};
use crate::eval::Tri;
use crate::policy::condition::{Condition, Op, SetOp};
use crate::policy::{Effect, Statement};

pub static META: RuleMeta = RuleMeta {
    id: "EKM404",
    slug: "external-id-mismatch",
    severity: Severity::Error,
    family: Family::Trust,
    summary: "the required ExternalId values do not include external_id exactly",
    doc: include_str!("../../rules/EKM404-external-id-mismatch.md"),
};

pub fn check(cx: &Cx<'_>) -> Outcome {
    let t = match tr::trust(cx) {
        Ok(t) => t,
        Err(o) => return o,
    };
    let name = t.name();
    let Some(x) = cx.inputs.registration.external_id.as_deref() else {
        return not_registered(cx, &t);
    };
    let d = match tr::decided(cx.assume()) {
        Ok(d) => d,
        Err(o) => return o,
    };
    let ctx = &d.request.context;
    let trusting: Vec<&Statement> = d
        .eval
        .statements
        .iter()
        .filter(|r| tr::trusts_openai(r))
        .map(|r| r.statement)
        .collect();
    if trusting.is_empty() {
        return Outcome::skipped(format!(
            "no statement of {name} trusts OpenAI's principal for sts:AssumeRole, so there is no ExternalId to compare (see EKM401)"
        ));
    }
    let mut mismatch: Vec<(&Statement, &Condition)> = Vec::new();
    let mut loose: Vec<(&Statement, &Condition, String)> = Vec::new();
    let mut undecided: Vec<(&Statement, &Condition)> = Vec::new();
    let mut exact: Vec<(&Statement, &Condition)> = Vec::new();
    for st in &trusting {
        for c in tr::external_id_conditions(st) {
            match c.eval(ctx) {
                Tri::False => mismatch.push((st, c)),
                Tri::Unknown => undecided.push((st, c)),
                Tri::True => match loose_reason(c, x) {
                    Some(why) => loose.push((st, c, why)),
                    None => exact.push((st, c)),
                },
            }
        }
    }
    let fix = format!(
        "put the registered value in the condition, copied exactly, with StringEquals:\n{}\nor register the value the policy requires as external_id; then save the trust policy as trust.json and apply it:\n{}",
        fixes::pretty(&json!({"StringEquals": {"sts:ExternalId": x}})),
        tr::apply_command(cx)
    );
    if !mismatch.is_empty() {
        let parts: Vec<String> = mismatch
            .iter()
            .map(|(st, c)| {
                let mut s = format!("{} requires {}", tr::st_at(st), kp::condition_text(c));
                let notes = tr::external_id_notes(&c.raw_values, x);
                if !notes.is_empty() {
                    s.push_str(&format!(" ({})", notes.join("; ")));
                }
                s
            })
            .collect();
        let mut msg = format!(
            "{name} requires an ExternalId other than the registered \"{x}\": {}",
            parts.join("; ")
        );
        if !exact.is_empty() || !loose.is_empty() {
            let ok: Vec<String> = exact
                .iter()
                .map(|(st, _)| tr::st_at(st))
                .chain(loose.iter().map(|(st, _, _)| tr::st_at(st)))
                .collect();
            msg.push_str(&format!(
                "; {} accepts the registered id, but the other values let OpenAI assume the role for whoever has them: remove them",
                kp::and_list(&ok)
            ));
        }
        let evidence: Vec<Evidence> = mismatch.iter().map(|(_, c)| t.condition(c)).collect();
        return Outcome::fail(msg).evidences(evidence).fix(fix);
    }
    if !loose.is_empty() {
        let parts: Vec<String> = loose
            .iter()
            .map(|(st, c, why)| {
                format!(
                    "{} accepts \"{x}\" only through {}: {why}",
                    tr::st_at(st),
                    kp::condition_text(c)
                )
            })
            .collect();
        let mut msg = format!(
            "{name} does not require \"{x}\" exactly: {}",
            parts.join("; ")
        );
        if !undecided.is_empty() {
            msg.push_str(&format!("; {}", undecided_words(&undecided)));
        }
        let evidence: Vec<Evidence> = loose.iter().map(|(_, c, _)| t.condition(c)).collect();
        return Outcome::fail(msg)
            .severity(Severity::Warning)
            .evidences(evidence)
            .fix(fix);
    }
    if !undecided.is_empty() {
        let evidence: Vec<Evidence> = undecided.iter().map(|(_, c)| t.condition(c)).collect();
        return Outcome::unknown(format!(
            "whether {name} accepts the registered ExternalId \"{x}\" is not known: {}",
            undecided_words(&undecided)
        ))
        .evidences(evidence)
        .fix(fix);
    }
    if exact.is_empty() {
        return Outcome::skipped(format!(
            "no statement of {name} that trusts OpenAI has an sts:ExternalId condition to compare with \"{x}\" (EKM403 reports statements that do not require one)"
        ));
    }
    let at: Vec<String> = exact
        .iter()
        .map(|(st, c)| format!("{} ({})", tr::st_at(st), kp::condition_text(c)))
        .collect();
    Outcome::pass(format!(
        "{name} requires the registered ExternalId \"{x}\" exactly: {}",
        at.join("; ")
    ))
    .evidences(exact.iter().map(|(_, c)| t.condition(c)))
}

fn undecided_words(u: &[(&Statement, &Condition)]) -> String {
    let parts: Vec<String> = u
        .iter()
        .map(|(st, c)| {
            format!(
                "{} compares it with {}, whose outcome depends on values not known",
                tr::st_at(st),
                kp::condition_text(c)
            )
        })
        .collect();
    parts.join("; ")
}

/// Why a condition that holds for the registered id does not require it exactly (`None`: it does).
fn loose_reason(c: &Condition, x: &str) -> Option<String> {
    let Some(op) = c.operator else {
        return Some(format!("{} is not an operator IAM knows", c.operator_name));
    };
    if op.op == Op::Null {
        return Some("Null only tests that an ExternalId is present, whatever its value".into());
    }
    if op.negated {
        return Some(format!(
            "{} holds for any value but those listed",
            c.operator_name
        ));
    }
    if op.if_exists {
        return Some(format!(
            "{} also holds when no ExternalId is sent (see EKM403)",
            c.operator_name
        ));
    }
    match op.set {
        SetOp::ForAnyValue => {
            return Some(
                "ForAnyValue is a set operator, meant for multivalued keys; with the single-valued sts:ExternalId use plain StringEquals".into(),
            );
        }
        SetOp::ForAllValues => {
            return Some(
                "ForAllValues also holds when no ExternalId is sent (see EKM403); use plain StringEquals".into(),
            );
        }
        SetOp::None => {}
    }
    let literal = c.raw_values.iter().any(|v| v == x);
    match op.op {
        Op::StringEquals if literal => None,
        Op::StringEquals => Some("it matches through a policy variable, not a fixed value".into()),
        Op::StringLike if literal => None,
        Op::StringLike => {
            let wild: Vec<String> = c
                .raw_values
                .iter()
                .filter(|v| v.contains(['*', '?']))
                .map(|v| format!("\"{v}\""))
                .collect();
            Some(format!(
                "the wildcard pattern {} also admits other ids, such as other OpenAI organizations'",
                kp::and_list(&wild)
            ))
        }
        Op::StringEqualsIgnoreCase => Some(
            "StringEqualsIgnoreCase also accepts other spellings of the id; StringEquals is exact"
                .into(),
        ),
        _ => Some(format!("{} is not a string comparison", c.operator_name)),
    }
}

/// `external_id` is not registered: say so (skipped under lint, unknown under check), listing
/// the values the statements trusting OpenAI require.
fn not_registered(cx: &Cx<'_>, t: &tr::Trust<'_>) -> Outcome {
    let without = cx.assume_with(None);
    let statements: Vec<&Statement> = match tr::decided(&without) {
        Ok(d) => d
            .eval
            .statements
            .iter()
            .filter(|r| tr::trusts_openai(r))
            .map(|r| r.statement)
            .collect(),
        // No role ARN either: the principal and the action say which statements trust OpenAI.
        Err(_) => t
            .policy
            .statements
            .iter()
            .filter(|st| {
                st.effect == Effect::Allow
                    && kp::allows_action(st, "sts:AssumeRole")
                    && st.principal.as_ref().is_some_and(|p| {
                        !p.negated && p.entries.iter().any(|e| tr::entry_match(e).is_some())
                    })
            })
            .collect(),
    };
    let required: Vec<String> = statements
        .iter()
        .flat_map(|st| {
            tr::external_id_conditions(st)
                .into_iter()
                .map(move |c| format!("{} {}", tr::st_at(st), kp::condition_text(c)))
        })
        .collect();
    let found = if required.is_empty() {
        format!(
            "no statement of {} that trusts OpenAI requires a specific value",
            t.name()
        )
    } else {
        format!(
            "the statements of {} that trust OpenAI require: {}",
            t.name(),
            required.join("; ")
        )
    };
    let msg = format!(
        "external_id is not known: give --external-id (or set it in ekm-check.toml); {found}"
    );
    let evidence: Vec<Evidence> = statements
        .iter()
        .flat_map(|st| tr::external_id_conditions(st))
        .map(|c| t.condition(c))
        .collect();
    let o = if cx.inputs.lint {
        Outcome::skipped(msg)
    } else {
        Outcome::unknown(msg)
    };
    o.evidences(evidence)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Status;
    use crate::rules::paths::OPENAI_ROLE;
    use crate::rules::support_keypolicy::{baseline_with, run};

    fn with_condition(cond: serde_json::Value) -> crate::inputs::Inputs {
        baseline_with(|v| {
            v["role"]["trust_policy"]["Statement"] = json!([{
                "Effect": "Allow", "Principal": {"AWS": OPENAI_ROLE},
                "Action": "sts:AssumeRole", "Condition": cond
            }])
        })
    }

    #[test]
    fn baseline_passes() {
        let o = run(check, &baseline_with(|_| {}));
        assert_eq!(o.status, Status::Pass, "{}", o.message);
    }

    #[test]
    fn case_and_project_mismatches_are_errors() {
        for (v, note) in [
            ("org-abcdef0123456789ghijklmn", "letter case"),
            ("proj_AbCdEf0123456789GhIjKlMn", "project id"),
        ] {
            let o = run(
                check,
                &with_condition(json!({"StringEquals": {"sts:externalid": v}})),
            );
            assert_eq!(o.status, Status::Fail, "{}", o.message);
            assert_eq!(o.severity, None);
            assert!(o.message.contains(note), "{}", o.message);
        }
    }

    #[test]
    fn loose_matches_are_warnings() {
        for c in [
            json!({"StringLike": {"sts:ExternalId": "org-*"}}),
            json!({"StringEqualsIgnoreCase": {"sts:ExternalId": "org-abcdef0123456789ghijklmn"}}),
            json!({"ForAnyValue:StringEquals": {"sts:ExternalId": "org-AbCdEf0123456789GhIjKlMn"}}),
            json!({"StringEqualsIfExists": {"sts:ExternalId": "org-AbCdEf0123456789GhIjKlMn"}}),
        ] {
            let o = run(check, &with_condition(c.clone()));
            assert_eq!(o.status, Status::Fail, "{c}: {}", o.message);
            assert_eq!(o.severity, Some(Severity::Warning), "{c}");
        }
    }

    #[test]
    fn string_like_with_the_exact_value_passes() {
        let o = run(
            check,
            &with_condition(
                json!({"StringLike": {"sts:ExternalId": "org-AbCdEf0123456789GhIjKlMn"}}),
            ),
        );
        assert_eq!(o.status, Status::Pass, "{}", o.message);
    }

    #[test]
    fn not_registered_lists_the_required_values() {
        let i = baseline_with(|v| {
            v["registration"]
                .as_object_mut()
                .unwrap()
                .remove("external_id");
        });
        let o = run(check, &i);
        assert_eq!(o.status, Status::Unknown, "{}", o.message);
        assert!(
            o.message.contains("org-AbCdEf0123456789GhIjKlMn"),
            "{}",
            o.message
        );
    }
}
