//! EKM403 `external-id-not-required`: every statement that lets OpenAI's principal assume the
//! role must require the customer's `sts:ExternalId` (the confused-deputy protection). Decided by
//! evaluating OpenAI's AssumeRole without an ExternalId, and with one that is not the customer's:
//! neither may be allowed, or possibly allowed.

use serde_json::json;

use super::support as tr;
use crate::eval::{Reason, StatementResult, Tri};
use crate::policy::condition::{Op, SetOp};
use crate::policy::{Effect, Statement};
use crate::rules::paths::Decided;
use crate::rules::support_keypolicy as kp;
use crate::rules::{Cx, Evidence, Family, Outcome, RuleMeta, Severity, fixes};

pub static META: RuleMeta = RuleMeta {
    id: "EKM403",
    slug: "external-id-not-required",
    severity: Severity::Error,
    family: Family::Trust,
    summary: "a statement trusting OpenAI does not require sts:ExternalId",
    doc: include_str!("../../../rules/EKM403-external-id-not-required.md"),
};

/// An ExternalId that is nobody's: a statement that accepts it accepts other customers' ids.
const FOREIGN_ID: &str = "ekm-check-not-your-external-id";

pub fn check(cx: &Cx<'_>) -> Outcome {
    let t = match tr::trust(cx) {
        Ok(t) => t,
        Err(o) => return o,
    };
    let name = t.name();
    let without = cx.assume_with(None);
    let d0 = match tr::decided(&without) {
        Ok(d) => d,
        Err(o) => return o,
    };
    let trusting: Vec<&StatementResult<'_>> = d0
        .eval
        .statements
        .iter()
        .filter(|r| tr::trusts_openai(r))
        .collect();
    if trusting.is_empty() {
        return Outcome::skipped(format!(
            "no statement of {name} trusts OpenAI's principal for sts:AssumeRole, so none can lack an ExternalId (EKM401 reports why OpenAI is not trusted)"
        ));
    }
    let foreign = cx.assume_with(Some(FOREIGN_ID));
    let d1 = match tr::decided(&foreign) {
        Ok(d) => d,
        Err(o) => return o,
    };

    // Statements that let (or may let) OpenAI's principal in, per request variant.
    // Per statement: (why it lets the request in, the variants it lets in, when).
    type Why = (String, Vec<&'static str>, String);
    let mut bad: Vec<(&Statement, Vec<Why>)> = Vec::new();
    let mut evidence: Vec<Evidence> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut unknown_only = true;
    for (d, variant) in [
        (d0, "without an ExternalId"),
        (d1, "with an ExternalId that is not yours"),
    ] {
        if d.allowed == Tri::False {
            continue;
        }
        for r in d
            .eval
            .statements
            .iter()
            .filter(|r| tr::trusts_openai(r) && r.applies != Tri::False)
        {
            if r.applies.is_true() && d.allowed.is_true() {
                unknown_only = false;
            }
            let (head, tail) = why_optional(r, d, variant);
            let entry = match bad
                .iter_mut()
                .position(|(s, _)| std::ptr::eq(*s, r.statement))
            {
                Some(i) => &mut bad[i].1,
                None => {
                    bad.push((r.statement, Vec::new()));
                    &mut bad.last_mut().expect("pushed").1
                }
            };
            match entry.iter_mut().find(|(h, _, t)| *h == head && *t == tail) {
                Some((_, vs, _)) => vs.push(variant),
                None => entry.push((head, vec![variant], tail)),
            }
            kp::push_evidence(cx, &mut evidence, &mut seen, t.policy, r.statement);
            for c in tr::external_id_conditions(r.statement) {
                evidence.push(t.condition(c));
            }
        }
    }

    if bad.is_empty() {
        let mut how: Vec<String> = trusting
            .iter()
            .map(|r| {
                let conds: Vec<String> = tr::external_id_conditions(r.statement)
                    .iter()
                    .map(|c| kp::condition_text(c))
                    .collect();
                if conds.is_empty() {
                    format!(
                        "{} has no ExternalId condition of its own",
                        tr::st_at(r.statement)
                    )
                } else {
                    format!(
                        "{} requires {}",
                        tr::st_at(r.statement),
                        conds.join(" and ")
                    )
                }
            })
            .collect();
        let guards: Vec<String> = d0
            .eval
            .statements
            .iter()
            .filter(|r| r.statement.effect == Effect::Deny && r.applies.is_true())
            .map(|r| format!("{} denies the request without one", tr::st_at(r.statement)))
            .collect();
        how.extend(guards);
        // Which ExternalId is EKM404's to decide; say here only what is true of every value.
        let lead = match cx.inputs.registration.external_id.as_deref() {
            None => format!(
                "{name} lets OpenAI's principal in only with an ExternalId (EKM404 compares it with external_id, which is not known)"
            ),
            Some(x) => {
                let others = tr::other_ids(cx, &t, x);
                // Does the statement let OpenAI in with the registered id itself?
                let yours = |st: &Statement| match cx.assume() {
                    crate::rules::paths::PathResult::Decided(d) => d
                        .eval
                        .statements
                        .iter()
                        .any(|r| std::ptr::eq(r.statement, st) && r.applies != Tri::False),
                    crate::rules::paths::PathResult::Undecidable(_) => true,
                };
                let mut also = false;
                let admitted: Vec<String> = others
                    .iter()
                    .filter_map(|o| {
                        let id = o
                            .unlisted()
                            .map(str::to_string)
                            .or_else(|| o.listed_ids().into_iter().next())?;
                        Some(if yours(o.statement) {
                            also = true;
                            format!("{} also admits \"{id}\"", tr::st_at(o.statement))
                        } else {
                            format!("{} admits \"{id}\" instead", tr::st_at(o.statement))
                        })
                    })
                    .collect();
                if admitted.is_empty() {
                    format!("{name} lets OpenAI's principal in only with your ExternalId")
                } else {
                    let but = if also {
                        "not only with yours"
                    } else {
                        "not with yours"
                    };
                    format!(
                        "{name} lets OpenAI's principal in only with an ExternalId, but {but} ({}; see EKM404)",
                        admitted.join("; ")
                    )
                }
            }
        };
        return Outcome::pass(format!("{lead}: {}", how.join("; ")))
            .evidences(trusting.iter().map(|r| t.statement(r.statement)));
    }

    let parts: Vec<String> = bad
        .iter()
        .map(|(st, whys)| {
            let w: Vec<String> = whys
                .iter()
                .map(|(head, variants, tail)| format!("{head} {}{tail}", variants.join(" and ")))
                .collect();
            format!("{} {}", tr::st_at(st), w.join("; and "))
        })
        .collect();
    let x = tr::external_id(cx);
    let verb = if unknown_only { "may let" } else { "lets" };
    Outcome::fail(format!(
        "{name} {verb} OpenAI's principal assume the role without your ExternalId, so another OpenAI customer could register your role and key (confused deputy): {}",
        parts.join("; ")
    ))
    .evidences(evidence)
    .fix(format!(
        "give every statement that trusts OpenAI this condition, and remove statements without it:\n{}\nthe whole statement:\n{}\nthen save the trust policy as trust.json and apply it:\n{}\nthen run `ekm-check check` again (EKM503 under `--live` tests only the statement that trusts your checking identity, not the one that trusts OpenAI)",
        fixes::pretty(&json!({"StringEquals": {"sts:ExternalId": x}})),
        fixes::pretty(&fixes::trust_statement(&x)),
        tr::apply_command(cx)
    ))
}

/// Why a statement lets the request variant in: what it has (or lacks) and that it lets it in,
/// and the undecided conditions it hangs on (the variant goes in between).
fn why_optional(r: &StatementResult<'_>, d: &Decided<'_>, variant: &str) -> (String, String) {
    let st = r.statement;
    let maybe = if r.applies == Tri::Unknown {
        format!(" if {}", kp::and_list(&tr::undecided_parts(r)))
    } else {
        String::new()
    };
    let verb = if matches!(r.reason, Reason::ConditionsUndecided(_)) {
        "may let it in"
    } else {
        "lets it in"
    };
    let conds = tr::external_id_conditions(st);
    if conds.is_empty() {
        let misspelt: Vec<String> = st
            .conditions
            .iter()
            .filter_map(tr::misspelt_external_id)
            .collect();
        let what = if !misspelt.is_empty() {
            format!("has no sts:ExternalId condition ({})", misspelt.join("; "))
        } else if st.conditions.is_empty() {
            "has no Condition at all".to_string()
        } else {
            let all: Vec<String> = st.conditions.iter().map(kp::condition_text).collect();
            format!(
                "has conditions ({}) but none on sts:ExternalId",
                all.join(", ")
            )
        };
        return (format!("{what}: it {verb}"), maybe);
    }
    let ctx = &d.request.context;
    let mut why = Vec::new();
    for c in conds {
        if c.eval(ctx) == Tri::False {
            continue;
        }
        let text = kp::condition_text(c);
        let Some(op) = c.operator else {
            why.push(format!("{text} uses an operator IAM does not know"));
            continue;
        };
        let absent = !variant.starts_with("with ");
        let w = if c.eval(ctx) == Tri::Unknown {
            format!("has {text}, whose outcome for that request is not known")
        } else if op.op == Op::Null {
            format!("only tests with {text} that an ExternalId is present, so any value passes")
        } else if absent && op.if_exists {
            format!("uses {text}, which holds when no ExternalId is sent")
        } else if op.negated {
            format!(
                "uses the negated {text}, which holds for a missing ExternalId or any value but the ones listed"
            )
        } else if absent && op.set == SetOp::ForAllValues {
            format!("uses {text}, and ForAllValues holds when the key is missing")
        } else if matches!(op.op, Op::StringLike | Op::Arn) {
            format!("uses {text}, whose wildcard accepts that value too")
        } else {
            format!("has {text}, which holds")
        };
        why.push(w);
    }
    if why.is_empty() {
        // Every ExternalId condition is false: the statement applies through something else
        // (cannot happen: a false condition makes the statement not apply).
        return (verb.to_string(), maybe);
    }
    (format!("{}: it {verb}", why.join(" and ")), maybe)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Status;
    use crate::rules::paths::OPENAI_ROLE;
    use crate::rules::support_keypolicy::{baseline_with, run};

    fn trust(stmts: serde_json::Value) -> crate::inputs::Inputs {
        baseline_with(|v| v["role"]["trust_policy"]["Statement"] = stmts)
    }

    fn openai(cond: serde_json::Value) -> serde_json::Value {
        let mut s = json!({"Effect": "Allow", "Principal": {"AWS": OPENAI_ROLE}, "Action": "sts:AssumeRole"});
        if !cond.is_null() {
            s["Condition"] = cond;
        }
        s
    }

    #[test]
    fn baseline_passes() {
        let o = run(check, &baseline_with(|_| {}));
        assert_eq!(o.status, Status::Pass, "{}", o.message);
    }

    #[test]
    fn a_wildcard_that_admits_other_ids_passes_without_claiming_the_id_is_yours() {
        let o = run(
            check,
            &trust(json!([openai(
                json!({"StringLike": {"sts:ExternalId": "org-*"}})
            )])),
        );
        assert_eq!(o.status, Status::Pass, "{}", o.message);
        assert!(
            !o.message.contains("only with your ExternalId"),
            "{}",
            o.message
        );
        assert!(
            o.message.contains("but not only with yours"),
            "{}",
            o.message
        );
        assert!(o.message.contains("EKM404"), "{}", o.message);
    }

    #[test]
    fn no_condition_fails() {
        let o = run(check, &trust(json!([openai(serde_json::Value::Null)])));
        assert_eq!(o.status, Status::Fail, "{}", o.message);
        assert!(o.message.contains("no Condition at all"), "{}", o.message);
    }

    #[test]
    fn if_exists_fails() {
        let o = run(
            check,
            &trust(json!([openai(
                json!({"StringEqualsIfExists": {"sts:ExternalId": "org-AbCdEf0123456789GhIjKlMn"}})
            )])),
        );
        assert_eq!(o.status, Status::Fail, "{}", o.message);
        assert!(o.message.contains("no ExternalId is sent"), "{}", o.message);
    }

    #[test]
    fn null_false_and_star_fail() {
        for c in [
            json!({"Null": {"sts:ExternalId": "false"}}),
            json!({"StringLike": {"sts:ExternalId": "*"}}),
        ] {
            let o = run(check, &trust(json!([openai(c)])));
            assert_eq!(o.status, Status::Fail, "{}", o.message);
            assert!(o.message.contains("not yours"), "{}", o.message);
        }
    }

    #[test]
    fn a_second_statement_without_the_condition_fails() {
        let o = run(
            check,
            &trust(json!([
                openai(json!({"StringEquals": {"sts:ExternalId": "org-AbCdEf0123456789GhIjKlMn"}})),
                {"Sid": "Legacy", "Effect": "Allow", "Principal": {"AWS": "790389265272"}, "Action": "sts:AssumeRole"}
            ])),
        );
        assert_eq!(o.status, Status::Fail, "{}", o.message);
        assert!(o.message.contains("\"Legacy\""), "{}", o.message);
    }

    #[test]
    fn a_deny_without_external_id_counts() {
        let o = run(
            check,
            &trust(json!([
                openai(serde_json::Value::Null),
                {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole",
                 "Condition": {"StringNotEquals": {"sts:ExternalId": "org-AbCdEf0123456789GhIjKlMn"}}}
            ])),
        );
        assert_eq!(o.status, Status::Pass, "{}", o.message);
    }

    #[test]
    fn no_statement_for_openai_is_skipped() {
        let o = run(
            check,
            &trust(
                json!([{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]),
            ),
        );
        assert_eq!(o.status, Status::Skipped, "{}", o.message);
    }
}
