//! EKM404 `external-id-mismatch`: the `sts:ExternalId` values that the statements trusting
//! OpenAI require must include the registered `external_id` exactly (`StringEquals`), and
//! nothing else that somebody else may hold. Decided by evaluating OpenAI's AssumeRole with ids
//! other than the registered one (other organizations' typical ids, near misses, other
//! spellings, strings the wildcards match): a condition that lets one of them in (a wildcard, a
//! case-insensitive or negated operator, `Null`) is an error, the confused deputy. A match that
//! only the registered id passes, but not through plain `StringEquals` (a `StringLike` without
//! wildcards, a set operator, `…IfExists`), or another id listed literally, is a warning.

use serde_json::json;

use super::support as tr;
use crate::eval::Tri;
use crate::policy::condition::{Condition, Op, SetOp};
use crate::policy::{Effect, Statement};
use crate::rules::support_keypolicy as kp;
use crate::rules::{Cx, Evidence, Family, Outcome, RuleMeta, Severity, fixes};

pub static META: RuleMeta = RuleMeta {
    id: "EKM404",
    slug: "external-id-mismatch",
    severity: Severity::Error,
    family: Family::Trust,
    summary: "the required ExternalId values do not include external_id exactly",
    doc: include_str!("../../../rules/EKM404-external-id-mismatch.md"),
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
    let others = tr::other_ids(cx, &t, x);
    let others_of = |st: &Statement| others.iter().find(|o| std::ptr::eq(o.statement, st));
    let mut mismatch: Vec<(&Statement, &Condition)> = Vec::new();
    // Conditions that let OpenAI in with ids nobody listed: (statement, condition, such an id).
    let mut wide: Vec<(&Statement, &Condition, String)> = Vec::new();
    let mut loose: Vec<(&Statement, &Condition, String)> = Vec::new();
    let mut undecided: Vec<(&Statement, &Condition)> = Vec::new();
    let mut exact: Vec<(&Statement, &Condition)> = Vec::new();
    for st in &trusting {
        let other = others_of(st);
        for c in tr::external_id_conditions(st) {
            match c.eval(ctx) {
                Tri::False => mismatch.push((st, c)),
                Tri::Unknown => undecided.push((st, c)),
                Tri::True => {
                    // Does this condition itself let the other id in (not another one of the
                    // statement)?
                    let admits = |id: &&str| {
                        let mut octx = ctx.clone();
                        octx.set("sts:ExternalId", vec![id.to_string()]);
                        c.eval(&octx) != Tri::False
                    };
                    if let Some(id) = other.and_then(|o| o.unlisted()).filter(|id| admits(id)) {
                        wide.push((st, c, id.to_string()));
                        continue;
                    }
                    let listed: Vec<String> = other
                        .map(|o| o.listed_ids())
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|id| c.raw_values.contains(id))
                        .collect();
                    if !listed.is_empty() {
                        loose.push((
                            st,
                            c,
                            format!(
                                "it also lists {}, which lets whoever holds that id have OpenAI assume the role: keep it only if it is your own organization's or project's id",
                                tr::quoted(&listed)
                            ),
                        ));
                        continue;
                    }
                    let kept_out = other.and_then(|o| o.kept_out()).filter(|id| admits(id));
                    match (loose_reason(c, x), kept_out) {
                        (Some(why), Some(id)) => loose.push((
                            st,
                            c,
                            format!(
                                "{why}; it would also admit other ids, such as \"{id}\", which only another part of the trust policy keeps out"
                            ),
                        )),
                        (Some(why), None) => loose.push((st, c, why)),
                        (None, _) => exact.push((st, c)),
                    }
                }
            }
        }
    }
    let fix = format!(
        "put the registered value in the condition, copied exactly, with StringEquals:\n{}\nor register the value the policy requires as external_id; then save the trust policy as trust.json and apply it:\n{}",
        fixes::pretty(&json!({"StringEquals": {"sts:ExternalId": x}})),
        tr::apply_command(cx)
    );
    let wide_parts: Vec<String> = wide
        .iter()
        .map(|(st, c, id)| {
            format!(
                "{} accepts \"{x}\" through {}, which also admits \"{id}\": {}",
                tr::st_at(st),
                kp::condition_text(c),
                wide_reason(c)
            )
        })
        .collect();
    let wide_fix = format!(
        "require exactly the registered id, with StringEquals (list each id you own if the role serves several; never a pattern):\n{}\nthen save the trust policy as trust.json and apply it:\n{}",
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
        if !exact.is_empty() || !loose.is_empty() || !wide.is_empty() {
            let ok: Vec<String> = exact
                .iter()
                .map(|(st, _)| tr::st_at(st))
                .chain(loose.iter().map(|(st, _, _)| tr::st_at(st)))
                .chain(wide.iter().map(|(st, _, _)| tr::st_at(st)))
                .collect();
            msg.push_str(&format!(
                "; {} accepts the registered id, but the other values let OpenAI assume the role for whoever has them: remove them",
                kp::and_list(&ok)
            ));
        }
        if !wide_parts.is_empty() {
            msg.push_str(&format!(
                "; and it admits ids other than yours: {}",
                wide_parts.join("; ")
            ));
        }
        let evidence: Vec<Evidence> = mismatch
            .iter()
            .map(|(_, c)| t.condition(c))
            .chain(wide.iter().map(|(_, c, _)| t.condition(c)))
            .collect();
        return Outcome::fail(msg).evidences(evidence).fix(fix);
    }
    if !wide.is_empty() {
        let mut msg = format!(
            "{name} admits ExternalIds other than the registered \"{x}\", so another OpenAI organization whose id it admits could register your role and key, and OpenAI would assume the role for it (confused deputy): {}",
            wide_parts.join("; ")
        );
        if !loose.is_empty() {
            let l: Vec<String> = loose
                .iter()
                .map(|(st, c, why)| format!("{} {}: {why}", tr::st_at(st), kp::condition_text(c)))
                .collect();
            msg.push_str(&format!("; also {}", l.join("; ")));
        }
        let evidence: Vec<Evidence> = wide
            .iter()
            .map(|(_, c, _)| t.condition(c))
            .chain(loose.iter().map(|(_, c, _)| t.condition(c)))
            .collect();
        return Outcome::fail(msg).evidences(evidence).fix(wide_fix);
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
        Op::StringLike if c.raw_values.iter().all(|v| !v.contains(['*', '?', '$'])) => Some(
            "StringLike is a pattern operator: with no wildcard in the value it matches only the registered id, but use StringEquals, so that an edit to the value cannot widen it".into(),
        ),
        Op::StringLike => {
            let wild: Vec<String> = c
                .raw_values
                .iter()
                .filter(|v| v.contains(['*', '?']))
                .map(|v| format!("\"{v}\""))
                .collect();
            Some(format!(
                "the wildcard pattern {} matches more than the registered id; use StringEquals",
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

/// Why a condition that admits the registered id also admits others.
fn wide_reason(c: &Condition) -> String {
    let Some(op) = c.operator else {
        return format!("{} is not an operator IAM knows", c.operator_name);
    };
    if op.op == Op::Null {
        return "Null only tests that an ExternalId is present, whatever its value".into();
    }
    if op.negated {
        return format!("{} holds for every value but those listed", c.operator_name);
    }
    match op.op {
        Op::StringLike => {
            let wild: Vec<String> = c
                .raw_values
                .iter()
                .filter(|v| v.contains(['*', '?']))
                .map(|v| format!("\"{v}\""))
                .collect();
            if wild.is_empty() {
                "the pattern matches other ids".into()
            } else {
                format!(
                    "the wildcard pattern {} matches other organizations' ids too",
                    kp::and_list(&wild)
                )
            }
        }
        Op::StringEqualsIgnoreCase => "StringEqualsIgnoreCase accepts the id in any letter case, and ids that differ in case are different ids (OpenAI's ids are case-sensitive)".into(),
        _ => format!("{} holds for other values too", c.operator_name),
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

    const X: &str = "org-AbCdEf0123456789GhIjKlMn";

    #[test]
    fn conditions_that_admit_other_ids_are_errors() {
        for (c, witness) in [
            (json!({"StringLike": {"sts:ExternalId": "org-*"}}), "org-"),
            (json!({"StringLike": {"sts:ExternalId": "*"}}), ""),
            (
                json!({"StringLike": {"sts:ExternalId": "org-AbCdEf0123456789GhIjKlM?"}}),
                "org-AbCdEf0123456789GhIjKlM",
            ),
            (
                json!({"StringLike": {"sts:ExternalId": ["org-AbCdEf0123456789GhIjKlMn", "proj_*"]}}),
                "proj_",
            ),
            (
                json!({"ForAnyValue:StringLike": {"sts:ExternalId": "*"}}),
                "",
            ),
            (
                json!({"StringEqualsIgnoreCase": {"sts:ExternalId": "org-abcdef0123456789ghijklmn"}}),
                "org-aBcDeF",
            ),
            (
                json!({"StringNotEquals": {"sts:ExternalId": "org-SomebodyElse0123456789"}}),
                "",
            ),
            (json!({"Null": {"sts:ExternalId": "false"}}), ""),
        ] {
            let o = run(check, &with_condition(c.clone()));
            assert_eq!(o.status, Status::Fail, "{c}: {}", o.message);
            assert_eq!(o.severity, None, "{c}: must be an error: {}", o.message);
            assert!(
                o.message.contains("admits ExternalIds other than")
                    && o.message.contains("confused deputy"),
                "{c}: {}",
                o.message
            );
            assert!(
                o.message.contains(&format!("also admits \"{witness}")),
                "{c}: {}",
                o.message
            );
            assert!(
                o.remediation
                    .as_deref()
                    .unwrap_or_default()
                    .contains("never a pattern"),
                "{c}"
            );
        }
    }

    #[test]
    fn matches_only_the_registered_id_can_have_are_warnings() {
        for c in [
            json!({"StringLike": {"sts:ExternalId": X}}),
            json!({"ForAnyValue:StringEquals": {"sts:ExternalId": X}}),
            json!({"StringEqualsIfExists": {"sts:ExternalId": X}}),
            // The wildcard is narrowed by an exact condition of the same statement.
            json!({"StringLike": {"sts:ExternalId": "org-*"}, "StringEquals": {"sts:ExternalId": X}}),
            // Another id listed literally: maybe the customer's own project.
            json!({"StringEquals": {"sts:ExternalId": [X, "proj_AbCdEf0123456789GhIjKlMn"]}}),
        ] {
            let o = run(check, &with_condition(c.clone()));
            assert_eq!(o.status, Status::Fail, "{c}: {}", o.message);
            assert_eq!(o.severity, Some(Severity::Warning), "{c}: {}", o.message);
            assert!(o.message.contains("does not require"), "{c}: {}", o.message);
        }
    }

    #[test]
    fn a_wildcard_that_a_deny_narrows_is_a_warning() {
        let i = baseline_with(|v| {
            v["role"]["trust_policy"]["Statement"] = json!([
                {"Effect": "Allow", "Principal": {"AWS": OPENAI_ROLE}, "Action": "sts:AssumeRole",
                 "Condition": {"StringLike": {"sts:ExternalId": "org-*"}}},
                {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole",
                 "Condition": {"StringNotEquals": {"sts:ExternalId": X}}}
            ])
        });
        let o = run(check, &i);
        assert_eq!(o.status, Status::Fail, "{}", o.message);
        assert_eq!(o.severity, Some(Severity::Warning), "{}", o.message);
        assert!(o.message.contains("keeps out"), "{}", o.message);
    }

    #[test]
    fn witnesses_are_decided_by_the_evaluator() {
        let p = crate::policy::Policy::from_text(
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",
                "Condition": {"StringLike": {"sts:ExternalId": "org-AbC?"}}}]}"#,
            crate::policy::PolicyKind::Trust,
            "t.json",
        )
        .unwrap();
        let c = tr::other_id_candidates(&p, "org-AbCd");
        assert!(c.contains(&"org-AbCZ".to_string()), "{c:?}");
        assert!(!c.contains(&"org-AbCd".to_string()), "{c:?}");
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
