//! EKM004 `policy-json-invalid`: every document must be valid JSON and a valid IAM policy, or IAM
//! rejects it when it is saved (and ekm-check cannot evaluate it).

use serde_json::json;

use crate::inputs::Doc;
use crate::json::{self, Pos, SyntaxError};
use crate::policy::Level;
use crate::rules::support_inputs::{TextIs, text_is, unreadable_documents};
use crate::rules::{Cx, Evidence, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM004",
    slug: "policy-json-invalid",
    severity: Severity::Error,
    family: Family::Inputs,
    summary: "a document is not valid JSON or not a valid IAM policy",
    doc: include_str!("../../../rules/EKM004-policy-json-invalid.md"),
};

/// `trust-policy.json line 3, column 5` (a file of its own), or the source and, for a
/// document given as text, the line within it.
fn at(doc: &Doc, pos: Pos) -> String {
    if pos.line == 0 {
        return doc.source.clone();
    }
    match text_is(doc) {
        TextIs::File => format!("{} line {}, column {}", doc.source, pos.line, pos.col),
        TextIs::Rendered => match &doc.file {
            Some(f) => format!("{} ({f} line {}, column {})", doc.source, pos.line, pos.col),
            _ => doc.source.clone(),
        },
        TextIs::Own => format!(
            "{} (line {}, column {} of the document)",
            doc.source, pos.line, pos.col
        ),
    }
}

const NBSP: [char; 3] = ['\u{a0}', '\u{2007}', '\u{202f}'];
const CURLY: [char; 3] = ['\u{201c}', '\u{201d}', '\u{201e}'];

/// Every syntax error of a text, not only the first: after each, repair the text the way its
/// hint says (no-break spaces become spaces, a placeholder is quoted, a trailing comma goes),
/// keeping every line's length in characters so that later positions stay true, and parse again.
/// Each error comes with how many more of the same kind the repair fixed.
fn syntax_errors(text: &str, first: &SyntaxError) -> Vec<(SyntaxError, usize)> {
    let mut out = Vec::new();
    let mut t = text.to_string();
    let mut e = first.clone();
    for _ in 0..20 {
        let at = e.pos.offset.min(t.len());
        if !t.is_char_boundary(at) {
            out.push((e, 0));
            break;
        }
        let rest = &t[at..];
        let c = rest.chars().next().unwrap_or('\0');
        let mut more = 0;
        let repaired: Option<String> = if NBSP.contains(&c) {
            more = t.chars().filter(|c| NBSP.contains(c)).count() - 1;
            Some(
                t.chars()
                    .map(|c| if NBSP.contains(&c) { ' ' } else { c })
                    .collect(),
            )
        } else if CURLY.contains(&c) {
            more = t.chars().filter(|c| CURLY.contains(c)).count() - 1;
            Some(
                t.chars()
                    .map(|c| if CURLY.contains(&c) { '"' } else { c })
                    .collect(),
            )
        } else if e.message.contains("trailing comma")
            || e.hint
                .as_deref()
                .is_some_and(|h| h.contains("trailing comma"))
        {
            t[..at].trim_end().strip_suffix(',').map(|before| {
                let i = before.len();
                format!("{} {}", &t[..i], &t[i + 1..])
            })
        } else if c == '<' {
            rest.find(['>', '\n'])
                .filter(|&j| rest.as_bytes()[j] == b'>')
                .map(|j| format!("{}\"{}\"{}", &t[..at], &rest[1..j], &rest[j + 1..]))
        } else if c.is_alphabetic() || c == '_' {
            let n = rest
                .find(|c: char| c.is_whitespace() || matches!(c, ',' | ']' | '}' | ':'))
                .unwrap_or(rest.len());
            let word = &rest[..n];
            (word.is_ascii() && n >= 2)
                .then(|| format!("{}\"{}\"{}", &t[..at], &word[1..n - 1], &rest[n..]))
        } else {
            None
        };
        out.push((e, more));
        let Some(r) = repaired else { break };
        t = r;
        match json::parse(&t) {
            Ok(_) => break,
            // A repair that did not remove the error: report it once and stop.
            Err(next)
                if out
                    .iter()
                    .any(|(o, _)| o.pos == next.pos && o.message == next.message) =>
            {
                break;
            }
            Err(next) => e = next,
        }
    }
    out
}

pub fn check(cx: &Cx<'_>) -> Outcome {
    let docs = cx.inputs.documents();
    let unreadable = unreadable_documents(cx);
    if docs.is_empty() {
        if !unreadable.is_empty() {
            return Outcome::unknown(format!(
                "no policy document could be read: {}",
                unreadable.join("; ")
            ));
        }
        return Outcome::skipped("no policy documents were given");
    }
    let mut problems: Vec<String> = Vec::new();
    let mut fixes: Vec<String> = Vec::new();
    let mut evidence: Vec<Evidence> = Vec::new();
    for doc in &docs {
        match &doc.policy {
            Err(e) => {
                let errors = syntax_errors(&doc.text, e);
                let list: Vec<String> = errors
                    .iter()
                    .map(|(e, more)| {
                        let mut m =
                            format!("line {}, column {}: {}", e.pos.line, e.pos.col, e.message);
                        if *more > 0 {
                            m.push_str(&format!(" ({more} more in the document)"));
                        }
                        m
                    })
                    .collect();
                let whose = match text_is(doc) {
                    TextIs::File => doc.source.clone(),
                    _ => format!("{} (as text)", doc.source),
                };
                problems.push(format!("{whose} is not valid JSON: {}", list.join("; ")));
                for (e, _) in &errors {
                    if let Some(h) = &e.hint {
                        fixes.push(format!("{}: {h}", at(doc, e.pos)));
                    }
                    let line = doc
                        .text
                        .lines()
                        .nth(e.pos.line.saturating_sub(1) as usize)
                        .map(|l| json!(l.trim_matches(|c: char| c.is_whitespace())));
                    evidence.push(Evidence::in_doc(doc, "", e.pos, line));
                }
            }
            Ok(p) => {
                for d in p.diagnostics.iter().filter(|d| d.level == Level::Error) {
                    let mut m = format!("{}: {}", at(doc, d.pos), d.message);
                    if !d.pointer.is_empty() {
                        m.push_str(&format!(" (at {})", d.pointer));
                    }
                    if let Some(h) = &d.hint {
                        m.push_str(&format!("; {h}"));
                        fixes.push(format!("{} ({}): {h}", at(doc, d.pos), d.pointer));
                    }
                    problems.push(m);
                    let value = doc.value_at(&d.pointer);
                    evidence.push(Evidence::in_doc(doc, &d.pointer, d.pos, value));
                }
            }
        }
    }
    if problems.is_empty() {
        let names: Vec<&str> = docs.iter().map(|d| d.source.as_str()).collect();
        let mut m = format!(
            "{} valid IAM {}: {}",
            docs.len(),
            if docs.len() == 1 {
                "policy"
            } else {
                "policies"
            },
            names.join(", ")
        );
        if !unreadable.is_empty() {
            m.push_str(&format!(
                " (not checked, could not be read: {})",
                unreadable.join("; ")
            ));
        }
        return Outcome::pass(m);
    }
    let n = problems.len();
    let lead = if n == 1 {
        String::new()
    } else {
        format!("{n} problems: ")
    };
    let fix = if fixes.is_empty() {
        "correct the documents so that IAM accepts them: strings such as ARNs and ids in double quotes, no comma after the last element, Effect \"Allow\" or \"Deny\"".to_string()
    } else {
        format!(
            "correct the documents so that IAM accepts them:\n{}",
            fixes.join("\n")
        )
    };
    Outcome::fail(format!("{lead}{}", problems.join("; ")))
        .evidences(evidence)
        .fix(fix)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::{Inputs, Part};
    use crate::policy::PolicyKind;
    use crate::rules::Status;

    #[test]
    fn every_mistake_of_the_seed_trust_policy_is_reported_with_its_line() {
        let text = "{\n\u{a0} \"Version\": \"2012-10-17\",\n\u{a0} \"Statement\": [{\"Effect\": \"Allow\",\n\
                    \u{a0} \"Principal\": {\"AWS\": \"arn:aws:iam::790389265272:role/EnterpriseKeyManagement\"},\n\
                    \u{a0} \"Action\": \"sts:AssumeRole\",\n\
                    \u{a0} \"Condition\": {\"StringEquals\": {\"sts:ExternalId\": [\n\
                    \u{a0}\u{a0} <YOUR_OPENAI_ORGANIZATION_ID>,\n\
                    \u{a0} ]}}}]\n}\n";
        let mut i = Inputs::empty("test");
        i.lint = true;
        i.trust_policy = Part::Present(Doc::from_text(text, PolicyKind::Trust, "trust.json"));
        let o = check(&Cx::new(&i));
        assert_eq!(o.status, Status::Fail);
        assert!(
            o.message.contains("line 2, column 1: a no-break space"),
            "{}",
            o.message
        );
        assert!(
            o.message
                .contains("line 7, column 4: unquoted placeholder <YOUR_OPENAI_ORGANIZATION_ID>"),
            "{}",
            o.message
        );
        assert!(
            o.message.contains("line 8, column 3: trailing comma"),
            "{}",
            o.message
        );
        let lines: Vec<Option<u32>> = o.evidence.iter().map(|e| e.line).collect();
        assert_eq!(lines, [Some(2), Some(7), Some(8)]);
    }

    #[test]
    fn structural_errors_fail_and_valid_documents_pass() {
        let mut i = Inputs::empty("test");
        assert_eq!(check(&Cx::new(&i)).status, Status::Skipped);
        let bad = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "allow", "Action": "kms:Encrypt", "Resource": "*"}]}"#;
        i.inline_policies =
            Part::Present(vec![Doc::from_text(bad, PolicyKind::Identity, "p.json")]);
        let o = check(&Cx::new(&i));
        assert_eq!(o.status, Status::Fail);
        assert_eq!(o.evidence[0].pointer, "/Statement/0/Effect");
        let good = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*"}]}"#;
        i.inline_policies =
            Part::Present(vec![Doc::from_text(good, PolicyKind::Identity, "p.json")]);
        assert_eq!(check(&Cx::new(&i)).status, Status::Pass);
    }
}
