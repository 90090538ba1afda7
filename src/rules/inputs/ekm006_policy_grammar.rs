//! EKM006 `policy-grammar`: what IAM accepts but was probably not meant: an old or missing
//! `Version`, an unknown action (with a suggestion for typos such as `kms:Decript`), an unknown
//! condition operator, a duplicate `Sid` or key, a principal that is a deleted role's unique id.

use crate::policy::Level;
use crate::rules::support_inputs::where_in;
use crate::rules::{Cx, Evidence, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM006",
    slug: "policy-grammar",
    severity: Severity::Warning,
    family: Family::Inputs,
    summary: "old or missing Version, unknown action or condition operator, duplicate Sid or key",
    doc: include_str!("../../../rules/EKM006-policy-grammar.md"),
};

pub fn check(cx: &Cx<'_>) -> Outcome {
    let docs = cx.inputs.documents();
    if docs.is_empty() {
        // As EKM004: documents that exist but could not be read leave the grammar undecided.
        let unreadable = crate::rules::support_inputs::unreadable_documents(cx);
        if !unreadable.is_empty() {
            return Outcome::unknown(format!(
                "no policy document could be read: {}",
                unreadable.join("; ")
            ));
        }
        return Outcome::skipped("no policy documents were given");
    }
    let mut items: Vec<String> = Vec::new();
    let mut fixes: Vec<String> = Vec::new();
    let mut evidence: Vec<Evidence> = Vec::new();
    let mut unparsed: Vec<&str> = Vec::new();
    for doc in &docs {
        let Some(p) = doc.policy() else {
            unparsed.push(&doc.source);
            continue;
        };
        for d in p.diagnostics.iter().filter(|d| d.level == Level::Warning) {
            let value = doc.value_at(&d.pointer);
            let ev = Evidence::in_doc(doc, &d.pointer, d.pos, value);
            let at = where_in(&ev);
            items.push(format!("{at}: {}", d.message));
            if let Some(h) = &d.hint {
                fixes.push(format!("{at}: {h}"));
            }
            evidence.push(ev);
        }
    }
    if !items.is_empty() {
        let n = items.len();
        let lead = if n == 1 {
            String::new()
        } else {
            format!("{n} warnings: ")
        };
        let mut o = Outcome::fail(format!("{lead}{}", items.join("; "))).evidences(evidence);
        if !fixes.is_empty() {
            o = o.fix(fixes.join("\n"));
        }
        return o;
    }
    if !unparsed.is_empty() {
        return Outcome::unknown(format!(
            "{} not valid JSON (see EKM004): {} grammar cannot be checked",
            if unparsed.len() == 1 {
                format!("{} is", unparsed[0])
            } else {
                format!("{} are", unparsed.join(", "))
            },
            if unparsed.len() == 1 { "its" } else { "their" }
        ));
    }
    Outcome::pass(format!(
        "no grammar warnings in {} document{}",
        docs.len(),
        if docs.len() == 1 { "" } else { "s" }
    ))
}
