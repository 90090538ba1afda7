//! EKM005 `placeholder-left`: a document or a registration value still holds a template
//! placeholder (`<YOUR_KMS_ARN>`, `YOUR_…`, `<UUID>`, `<REGION>`, `<your org id or project id>`, …).

use serde_json::json;

use crate::inputs::Doc;
use crate::json::position_of;
use crate::rules::support_inputs::{
    Field, TextIs, find_placeholders, inside_quotes, placeholder_value, pointer_at, policy_pos,
    reg_evidence, reparse, strings_of, text_is, where_in,
};
use crate::rules::{Cx, Evidence, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM005",
    slug: "placeholder-left",
    severity: Severity::Error,
    family: Family::Inputs,
    summary: "a document or value still holds a template placeholder",
    doc: include_str!("../../../rules/EKM005-placeholder-left.md"),
};

/// One placeholder found: where, for the message, and its evidence.
struct Found {
    token: String,
    at: String,
    evidence: Evidence,
    /// Written without quotes where JSON needs a string.
    unquoted: bool,
    /// Every placeholder of a registration value (one finding for the value).
    tokens: Vec<String>,
}

/// The placeholders in a document's text, located in its file when it has one.
fn in_doc(doc: &Doc) -> Vec<Found> {
    let found = find_placeholders(&doc.text);
    if found.is_empty() {
        return Vec::new();
    }
    let strings = reparse(doc).map(|n| strings_of(&n)).unwrap_or_default();
    found
        .into_iter()
        .map(|p| {
            let ptr = pointer_at(&strings, p.offset)
                .map(|s| s.pointer.clone())
                .unwrap_or_default();
            let unquoted = !inside_quotes(&doc.text, p.offset);
            let own = position_of(&doc.text, p.offset);
            let (pos, at) = match text_is(doc) {
                // The text is the file's: the position is the file's.
                TextIs::File => (own, format!("{}:{}:{}", doc.source, own.line, own.col)),
                // Re-rendered from a snapshot: the best position the parsed policy knows.
                TextIs::Rendered => {
                    let pos = doc
                        .policy()
                        .and_then(|p| policy_pos(p, &ptr))
                        .unwrap_or_default();
                    (pos, String::new())
                }
                TextIs::Own => (
                    own,
                    format!(
                        "{} line {}, column {} of the document",
                        doc.source, own.line, own.col
                    ),
                ),
            };
            let evidence = Evidence::in_doc(doc, &ptr, pos, Some(json!(p.text)));
            let at = if at.is_empty() {
                where_in(&evidence)
            } else {
                at
            };
            Found {
                tokens: vec![p.text.clone()],
                token: p.text,
                at,
                evidence,
                unquoted,
            }
        })
        .collect()
}

pub fn check(cx: &Cx<'_>) -> Outcome {
    let docs = cx.inputs.documents();
    let mut found: Vec<Found> = Vec::new();
    for field in [Field::KmsArn, Field::RoleArn, Field::ExternalId] {
        let Some(v) = field.value(cx) else { continue };
        let tokens: Vec<String> = find_placeholders(v).into_iter().map(|p| p.text).collect();
        if !tokens.is_empty() {
            found.push(Found {
                token: tokens.join(", "),
                at: format!("{} \"{v}\"", field.name()),
                evidence: reg_evidence(field, Some(v)),
                unquoted: false,
                tokens,
            });
        }
    }
    for doc in &docs {
        found.extend(in_doc(doc));
    }
    let regs = [Field::KmsArn, Field::RoleArn, Field::ExternalId]
        .iter()
        .filter(|f| f.value(cx).is_some())
        .count();
    if found.is_empty() {
        if docs.is_empty() && regs == 0 {
            return Outcome::skipped("no policy documents or registration values were given");
        }
        let mut what = Vec::new();
        if !docs.is_empty() {
            what.push(format!(
                "{} document{}",
                docs.len(),
                if docs.len() == 1 { "" } else { "s" }
            ));
        }
        if regs > 0 {
            what.push(format!(
                "{regs} registration value{}",
                if regs == 1 { "" } else { "s" }
            ));
        }
        return Outcome::pass(format!(
            "no template placeholders in {}",
            what.join(" and ")
        ));
    }
    let list: Vec<String> = found
        .iter()
        .map(|f| format!("{} in {}", f.token, f.at))
        .collect();
    let n: usize = found.iter().map(|f| f.tokens.len()).sum();
    let msg = format!(
        "{} template placeholder{} left: {}",
        n,
        if n == 1 { " is" } else { "s are" },
        list.join(", ")
    );
    let mut fixes: Vec<String> = Vec::new();
    for f in &found {
        for t in &f.tokens {
            let line = format!(
                "replace {t} ({}) with {}{}",
                f.at,
                placeholder_value(cx, t),
                if f.unquoted { ", in double quotes" } else { "" }
            );
            if !fixes.contains(&line) {
                fixes.push(line);
            }
        }
    }
    Outcome::fail(msg)
        .evidences(found.into_iter().map(|f| f.evidence))
        .fix(fixes.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::{Inputs, Part};
    use crate::policy::PolicyKind;
    use crate::rules::Status;

    #[test]
    fn positions_in_a_lint_file() {
        let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"kms:Encrypt\",\n    \"Resource\": <YOUR_KMS_ARN>}]\n}\n";
        let mut i = Inputs::empty("test");
        i.lint = true;
        i.registration.kms_arn = Some(
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab".into(),
        );
        i.inline_policies =
            Part::Present(vec![Doc::from_text(text, PolicyKind::Identity, "p.json")]);
        let o = check(&Cx::new(&i));
        assert_eq!(o.status, Status::Fail);
        assert!(
            o.message.contains("<YOUR_KMS_ARN> in p.json:4:17"),
            "{}",
            o.message
        );
        assert_eq!(
            (o.evidence[0].line, o.evidence[0].column),
            (Some(4), Some(17))
        );
        let fix = o.remediation.unwrap();
        assert!(
            fix.contains("arn:aws:kms:us-east-1:111122223333:key/1234abcd"),
            "{fix}"
        );
        assert!(fix.contains("in double quotes"), "{fix}");
    }

    #[test]
    fn pointers_in_valid_json_and_registration() {
        let text = "{\"Version\": \"2012-10-17\",\n \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"kms:Encrypt\",\n \"Resource\": \"arn:aws:kms:<REGION>:111122223333:key/<UUID>\"}]}";
        let mut i = Inputs::empty("test");
        i.registration.external_id = Some("org-YOUR_OPENAI_ORG_ID".into());
        i.inline_policies =
            Part::Present(vec![Doc::from_text(text, PolicyKind::Identity, "p.json")]);
        let o = check(&Cx::new(&i));
        assert_eq!(o.status, Status::Fail);
        assert_eq!(o.evidence.len(), 3);
        assert_eq!(o.evidence[0].source, "registration");
        assert_eq!(o.evidence[0].pointer, "/external_id");
        assert_eq!(o.evidence[1].pointer, "/Statement/0/Resource");
        assert_eq!(
            (o.evidence[1].line, o.evidence[1].column),
            (Some(3), Some(27))
        );
        assert_eq!(o.evidence[2].column, Some(53));
        assert!(!o.remediation.unwrap().contains("double quotes"));
    }

    #[test]
    fn clean_inputs_pass_and_nothing_skips() {
        let i = Inputs::empty("test");
        assert_eq!(check(&Cx::new(&i)).status, Status::Skipped);
        let mut i = Inputs::empty("test");
        i.registration.role_arn = Some("arn:aws:iam::111122223333:role/openai-ekm".into());
        assert_eq!(check(&Cx::new(&i)).status, Status::Pass);
    }
}
