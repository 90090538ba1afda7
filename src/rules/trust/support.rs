//! Helpers shared by the trust rules (EKM401–EKM407).
//!
//! - [`trust`]: the role's trust policy, or the `skipped`/`unknown` outcome when it is not there;
//! - [`decided`], [`targets_openai`], [`trusts_openai`]: OpenAI's AssumeRole as the shared paths
//!   decided it, and the statements whose principal and action match it;
//! - [`why_not`], [`undecided_text`], [`external_id_notes`]: words for why a statement does or
//!   does not let OpenAI in;
//! - [`fix_statement`], [`apply_command`]: the fixes to paste.

use serde_json::json;

use crate::eval::{Context, Layer, Lookup, Reason, Request, StatementResult, Tri};
use crate::inputs::{Doc, Part};
use crate::policy::condition::Condition;
use crate::policy::principal::{Principal, PrincipalMatch, PrincipalPattern};
use crate::policy::{Effect, Policy, PrincipalEntry, Statement};
use crate::rules::paths::{Cx, Decided, OPENAI_ACCOUNT, OPENAI_ROLE, PathResult};
use crate::rules::support_keypolicy as kp;
use crate::rules::{Evidence, Outcome, fixes};

/// The actions that assume a role through its trust policy.
pub const ASSUME_ACTIONS: [&str; 3] = [
    "sts:AssumeRole",
    "sts:AssumeRoleWithSAML",
    "sts:AssumeRoleWithWebIdentity",
];

/// OpenAI's role name, for messages about near misses.
pub const OPENAI_ROLE_NAME: &str = "EnterpriseKeyManagement";

/// The role's trust policy, parsed.
pub struct Trust<'a> {
    pub doc: &'a Doc,
    pub policy: &'a Policy,
}

impl Trust<'_> {
    /// `trust policy "role.trust_policy"`
    pub fn name(&self) -> String {
        format!("trust policy \"{}\"", self.policy.source)
    }

    /// Evidence for a statement.
    pub fn statement(&self, st: &Statement) -> Evidence {
        Evidence::statement(self.doc, st)
    }

    /// Evidence for a condition of a statement (its key and values).
    pub fn condition(&self, c: &Condition) -> Evidence {
        Evidence::in_doc(
            self.doc,
            &c.pointer,
            c.pos,
            kp::value_at(self.doc, &c.pointer),
        )
    }

    /// Evidence for one principal entry.
    pub fn entry(&self, e: &PrincipalEntry) -> Evidence {
        Evidence::in_doc(self.doc, &e.pointer, e.pos, Some(json!(e.raw)))
    }
}

/// The trust policy, or the outcome when it was not given, could not be read or is not JSON.
pub fn trust<'a>(cx: &Cx<'a>) -> Result<Trust<'a>, Outcome> {
    match &cx.inputs.trust_policy {
        Part::Present(doc) => match doc.policy() {
            Some(policy) => Ok(Trust { doc, policy }),
            None => Err(Outcome::unknown(format!(
                "{} is not valid JSON (see EKM004)",
                doc.source
            ))),
        },
        other => Err(Outcome::for_missing(other, "the trust policy").expect("missing")),
    }
}

/// The decided request, or the outcome to return.
pub fn decided<'p, 'a>(path: &'p PathResult<'a>) -> Result<&'p Decided<'a>, Outcome> {
    match path {
        PathResult::Decided(d) => Ok(d),
        PathResult::Undecidable(o) => Err(o.clone()),
    }
}

/// A trust-policy statement whose principal, action and resource match OpenAI's AssumeRole
/// (its conditions may or may not hold).
pub fn targets_openai(r: &StatementResult<'_>) -> bool {
    r.layer == Layer::Resource
        && !matches!(
            r.reason,
            Reason::PrincipalNotMatched | Reason::ActionNotMatched | Reason::ResourceNotMatched
        )
}

/// An Allow of the trust policy that names OpenAI's principal (its role, its account or `*`)
/// for `sts:AssumeRole`.
pub fn trusts_openai(r: &StatementResult<'_>) -> bool {
    targets_openai(r) && r.statement.effect == Effect::Allow
}

/// The statement's conditions on `sts:ExternalId` (key names are case-insensitive).
pub fn external_id_conditions(st: &Statement) -> Vec<&Condition> {
    st.conditions.iter().filter(|c| is_external_id(c)).collect()
}

pub fn is_external_id(c: &Condition) -> bool {
    c.key_lc == "sts:externalid"
}

/// A condition key that was probably meant to be `sts:ExternalId` but is another key.
pub fn misspelt_external_id(c: &Condition) -> Option<String> {
    if is_external_id(c) {
        return None;
    }
    let k = c.key_lc.as_str();
    if k.trim() == "sts:externalid" {
        return Some(format!(
            "the key \"{}\" has whitespace around it, so it is another key that no request carries",
            c.key
        ));
    }
    let compact: String = k.chars().filter(|ch| ch.is_ascii_alphanumeric()).collect();
    if compact.contains("externalid") {
        return Some(format!(
            "\"{}\" is not the key STS sets: it is sts:ExternalId",
            c.key
        ));
    }
    None
}

/// Notes on why a required ExternalId differs from the registered one.
pub fn external_id_notes(required: &[String], registered: &str) -> Vec<String> {
    let mut notes = Vec::new();
    for r in required {
        if r == registered {
            continue;
        }
        let note = if r.eq_ignore_ascii_case(registered) {
            format!(
                "\"{r}\" differs from it only in letter case, and StringEquals is case-sensitive"
            )
        } else if r.trim() == registered.trim() {
            format!("\"{r}\" differs from it only in whitespace")
        } else if r.contains('<') || r.to_ascii_uppercase().contains("YOUR_") {
            format!("\"{r}\" is a template placeholder (see EKM005)")
        } else if r.starts_with("proj_") && registered.starts_with("org-") {
            format!(
                "\"{r}\" is a project id, but an organization id was registered: register the project id, or require the organization id"
            )
        } else if r.starts_with("org-") && registered.starts_with("proj_") {
            format!(
                "\"{r}\" is an organization id, but a project id was registered: register the organization id, or require the project id"
            )
        } else {
            continue;
        };
        if !notes.contains(&note) {
            notes.push(note);
        }
    }
    notes
}

/// `["a", "b"]`
pub fn quoted(values: &[String]) -> String {
    let v: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
    format!("[{}]", v.join(", "))
}

/// Why a condition key matters for OpenAI's AssumeRole, when its value is not known.
pub fn key_note(key_lc: &str) -> &'static str {
    if key_lc.starts_with("aws:principalorg") {
        "OpenAI's principal is not in your AWS Organization"
    } else if key_lc == "aws:sourceip" {
        "OpenAI does not publish the addresses its AssumeRole calls come from"
    } else if key_lc.starts_with("aws:principaltag/") {
        "the tags of OpenAI's role are not known"
    } else if key_lc.starts_with("aws:requesttag/")
        || key_lc == "aws:tagkeys"
        || key_lc == "sts:transitivetagkeys"
    {
        "OpenAI does not document session tags on its AssumeRole"
    } else if key_lc.ends_with("sourceidentity") {
        "OpenAI does not document a source identity on its AssumeRole"
    } else if key_lc == "aws:userid" {
        "the unique id of OpenAI's role is not known"
    } else if key_lc == "aws:currenttime"
        || key_lc == "aws:epochtime"
        || key_lc == "aws:tokenissuetime"
    {
        "it depends on when OpenAI calls"
    } else if key_lc.starts_with("aws:resourcetag/") || key_lc.starts_with("aws:resourceorg") {
        "ekm-check does not read the role's tags or organization"
    } else if key_lc == "aws:useragent" {
        "OpenAI's user agent is not known"
    } else {
        "its value in OpenAI's request is not known"
    }
}

/// Would the condition, on an organization key, block OpenAI, assuming (as is certain) that
/// OpenAI's principal is outside the customer's organization? `effect`: the statement's.
fn org_blocks(c: &Condition, effect: Effect) -> bool {
    if !c.key_lc.starts_with("aws:principalorg") {
        return false;
    }
    let mut ctx = Context::default();
    ctx.set("aws:PrincipalOrgID", vec!["o-ekmcheckoutside0".to_string()]);
    ctx.set(
        "aws:PrincipalOrgPaths",
        vec!["o-ekmcheckoutside0/r-ekmc/ou-ekmc-outside0/".to_string()],
    );
    match effect {
        Effect::Allow => c.eval(&ctx) == Tri::False,
        Effect::Deny => c.eval(&ctx) == Tri::True,
    }
}

/// `StringEquals aws:SourceIp ["…"] holds (OpenAI does not publish …)`
pub fn undecided_text(c: &Condition, effect: Effect) -> String {
    if c.operator.is_none() {
        return format!(
            "{} holds ({} is not an operator IAM knows)",
            kp::condition_text(c),
            c.operator_name
        );
    }
    let mut note = key_note(&c.key_lc).to_string();
    if org_blocks(c, effect) {
        note.push_str(", so this condition almost certainly blocks it");
    }
    format!("{} holds ({note})", kp::condition_text(c))
}

/// The undecided conditions of a statement result, in words.
pub fn undecided_parts(r: &StatementResult<'_>) -> Vec<String> {
    match &r.reason {
        Reason::ConditionsUndecided(idx) => idx
            .iter()
            .map(|&i| undecided_text(&r.statement.conditions[i], r.statement.effect))
            .collect(),
        Reason::ResourceUndecided => {
            vec!["its Resource variables resolve to the role".to_string()]
        }
        _ => Vec::new(),
    }
}

/// What an entry of a Principal is, for someone who expected OpenAI's role.
fn entry_words(e: &PrincipalEntry) -> String {
    match &e.pattern {
        PrincipalPattern::UniqueId(id) => format!(
            "\"{id}\", the unique id of a deleted role or user, which matches nobody until the policy is saved again with the ARN (see EKM402)"
        ),
        PrincipalPattern::Role { account, name, .. } if account == OPENAI_ACCOUNT => format!(
            "\"{}\", a role named {name} in OpenAI's account, but OpenAI's role is {OPENAI_ROLE_NAME}",
            e.raw
        ),
        PrincipalPattern::Role { account, .. } => {
            format!("\"{}\", a role in account {account}", e.raw)
        }
        PrincipalPattern::Account { account, .. } => {
            format!("\"{}\", account {account}", e.raw)
        }
        PrincipalPattern::Session { account, .. } => {
            format!("\"{}\", one session of a role in account {account}", e.raw)
        }
        PrincipalPattern::Arn(a) => format!("\"{a}\""),
        PrincipalPattern::Service(s) => format!("the service \"{s}\""),
        PrincipalPattern::Invalid { text, why } => {
            format!("\"{text}\", which is not a valid principal ({why})")
        }
        PrincipalPattern::Other(o) => format!("the {} principal \"{o}\"", e.kind),
        PrincipalPattern::Any => "\"*\"".to_string(),
    }
}

/// Why a statement of the trust policy does not let OpenAI's request in (or that it does).
pub fn why_not(r: &StatementResult<'_>, req: &Request) -> String {
    let st = r.statement;
    match &r.reason {
        Reason::Applies => "applies".into(),
        Reason::PrincipalNotMatched => {
            let Some(p) = &st.principal else {
                return "has no Principal".into();
            };
            if p.negated {
                return "excludes OpenAI's role or account with NotPrincipal".into();
            }
            let words: Vec<String> = p.entries.iter().map(entry_words).collect();
            format!(
                "names {}, not OpenAI's role {OPENAI_ROLE}",
                kp::and_list(&words)
            )
        }
        Reason::ActionNotMatched => {
            if st.action.negated {
                format!("excludes {} with NotAction", req.action)
            } else {
                format!(
                    "allows {}, not {}",
                    kp::and_list(&st.action.raw),
                    req.action
                )
            }
        }
        Reason::ResourceNotMatched => {
            let raw = st
                .resource
                .as_ref()
                .map(|m| m.raw.join(", "))
                .unwrap_or_default();
            format!(
                "has a Resource ({raw}) that does not match the role {}",
                req.resource
            )
        }
        Reason::ResourceUndecided => {
            "has a Resource that depends on policy variables whose values are not known".into()
        }
        Reason::ConditionFalse(i) => condition_false(&st.conditions[*i], &req.context),
        Reason::ConditionsUndecided(_) => {
            format!("applies only if {}", kp::and_list(&undecided_parts(r)))
        }
    }
}

/// Why a condition is false for OpenAI's request.
pub fn condition_false(c: &Condition, ctx: &Context) -> String {
    if is_external_id(c) {
        return match ctx.lookup(&c.key_lc) {
            Lookup::Present(v) => {
                let registered = v.first().map(String::as_str).unwrap_or_default();
                let mut s = format!(
                    "requires sts:ExternalId {} {}, but the registered external_id is \"{registered}\"",
                    c.operator_name,
                    quoted(&c.raw_values)
                );
                let notes = external_id_notes(&c.raw_values, registered);
                if !notes.is_empty() {
                    s.push_str(&format!(" ({})", notes.join("; ")));
                }
                s
            }
            _ => format!(
                "requires sts:ExternalId ({} {}), and the request has none",
                c.operator_name,
                quoted(&c.raw_values)
            ),
        };
    }
    let mut s = match ctx.lookup(&c.key_lc) {
        Lookup::Absent => format!(
            "has a condition {} on {}, which OpenAI's AssumeRole does not carry, so it is false",
            kp::condition_text(c),
            c.key
        ),
        Lookup::Present(v) if v.len() == 1 => format!(
            "has a condition {} that is false for OpenAI's request (it has \"{}\")",
            kp::condition_text(c),
            v[0]
        ),
        Lookup::Present(v) => format!(
            "has a condition {} that is false for OpenAI's request (it has {v:?})",
            kp::condition_text(c)
        ),
        Lookup::Unknown => format!("has a condition {} that is false", kp::condition_text(c)),
    };
    if let Some(m) = misspelt_external_id(c) {
        s.push_str(&format!(": {m}"));
    }
    s
}

/// `statement "Sid" (/Statement/1)`
pub fn st_at(st: &Statement) -> String {
    kp::st_at(st)
}

/// The role's name, for the CLI command of a fix.
pub fn role_name(cx: &Cx<'_>) -> String {
    cx.role_arn()
        .and_then(|a| a.split_once(":role/"))
        .and_then(|(_, p)| p.rsplit('/').next())
        .filter(|n| !n.is_empty())
        .unwrap_or("ROLE_NAME")
        .to_string()
}

/// `aws iam update-assume-role-policy --role-name NAME --policy-document file://trust.json`
pub fn apply_command(cx: &Cx<'_>) -> String {
    format!(
        "aws iam update-assume-role-policy --role-name {} --policy-document file://trust.json",
        role_name(cx)
    )
}

/// The registered ExternalId, or a marked placeholder.
pub fn external_id(cx: &Cx<'_>) -> String {
    fixes::external_id_or_placeholder(cx.inputs.registration.external_id.as_deref())
}

/// "add this statement to the role's trust policy: {json}; then apply it: {command}"
pub fn fix_statement(cx: &Cx<'_>, lead: &str) -> String {
    format!(
        "{lead}:\n{}\nthen save the trust policy as trust.json and apply it:\n{}",
        fixes::pretty(&fixes::trust_statement(&external_id(cx))),
        apply_command(cx)
    )
}

/// OpenAI's principal.
pub fn openai() -> Principal {
    Principal::parse(OPENAI_ROLE).expect("constant")
}

/// Does the entry name OpenAI's principal, and how?
pub fn entry_match(e: &PrincipalEntry) -> Option<PrincipalMatch> {
    e.pattern.matches(&openai())
}

/// Does the statement cover one of the assume actions?
pub fn covers_assume(st: &Statement) -> bool {
    ASSUME_ACTIONS.iter().any(|a| kp::allows_action(st, a))
}

/// Does a condition of the statement, which holds (or may) for OpenAI's request, exclude another
/// role of OpenAI's account? Then the statement is narrowed to OpenAI's role although its
/// principal is the account.
pub fn narrowed_to_openai_role<'s>(st: &'s Statement, ctx: &Context) -> Option<&'s Condition> {
    let other = format!("arn:aws:iam::{OPENAI_ACCOUNT}:role/ekm-check-another-role");
    let mut octx = ctx.clone();
    octx.set("aws:PrincipalArn", vec![other]);
    octx.mark_unknown("aws:userid");
    st.conditions
        .iter()
        .find(|c| c.eval(ctx) != Tri::False && c.eval(&octx) == Tri::False)
}

/// The context of OpenAI's AssumeRole as far as the principal goes (for checks that need no
/// registration value).
pub fn principal_context() -> Context {
    let req = Request::new(openai(), "sts:AssumeRole", "", Context::default());
    req.context
}

/// ExternalIds other than the registered one that a statement trusting OpenAI lets in (or may).
pub struct OtherIds<'a> {
    pub statement: &'a Statement,
    /// `(id, allowed)`: an id the statement admits, and whether the whole trust policy then
    /// lets OpenAI in with it (`False`: a Deny or another statement keeps it out).
    pub ids: Vec<(String, Tri)>,
}

impl OtherIds<'_> {
    /// The first id that gets in (or may) and that the policy does not list literally: one
    /// nobody chose, such as a wildcard's or another spelling's (the confused deputy).
    pub fn unlisted(&self) -> Option<&str> {
        self.ids
            .iter()
            .find(|(id, t)| *t != Tri::False && !self.listed(id))
            .map(|(id, _)| id.as_str())
    }

    /// Ids that get in (or may) because a condition of the statement lists them literally.
    pub fn listed_ids(&self) -> Vec<String> {
        self.ids
            .iter()
            .filter(|(id, t)| *t != Tri::False && self.listed(id))
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// An id the statement admits, but that the whole policy keeps out.
    pub fn kept_out(&self) -> Option<&str> {
        self.ids
            .iter()
            .find(|(_, t)| *t == Tri::False)
            .map(|(id, _)| id.as_str())
    }

    fn listed(&self, id: &str) -> bool {
        external_id_conditions(self.statement).iter().any(|c| {
            c.raw_values
                .iter()
                .any(|v| v == id && !v.contains(['*', '?', '$']))
        })
    }
}

/// `org-` or `proj_` and 24 letters and digits: how OpenAI's ids look.
const OTHER_ORG: &str = "org-ZZZZZZZZZZZZZZZZZZZZZZZZ";
const OTHER_PROJECT: &str = "proj_ZZZZZZZZZZZZZZZZZZZZZZZZ";

/// Ids other than `x` to try against the trust policy: typical ids of other organizations,
/// near misses of `x`, the values of the policy's ExternalId conditions themselves, other
/// spellings of them, and strings their wildcards match. Each is then decided by the evaluator.
pub fn other_id_candidates(policy: &Policy, x: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: String| {
        if !s.is_empty() && s != x && !out.contains(&s) {
            out.push(s);
        }
    };
    push(OTHER_ORG.to_string());
    push(OTHER_PROJECT.to_string());
    let mut chars: Vec<char> = x.chars().collect();
    if let Some(last) = chars.last_mut() {
        *last = if *last == 'Z' { 'Y' } else { 'Z' };
        push(chars.iter().collect());
    }
    push(format!("{x}Z"));
    push(swap_case(x));
    for st in &policy.statements {
        for c in external_id_conditions(st) {
            for v in &c.raw_values {
                push(v.clone());
                push(swap_case(v));
                if v.contains(['*', '?']) {
                    for (star, q) in [("", 'Z'), ("Z", 'Y'), ("ZZ", 'X')] {
                        push(expand(v, star, q));
                    }
                }
            }
        }
    }
    out
}

/// Letters after the `org-`/`proj_` prefix in the other case (all of it without letters there).
fn swap_case(s: &str) -> String {
    let swap = |t: &str| -> String {
        t.chars()
            .map(|c| {
                if c.is_ascii_lowercase() {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect()
    };
    for prefix in ["org-", "proj_"] {
        if let Some(rest) = s.strip_prefix(prefix) {
            if rest.chars().any(|c| c.is_ascii_alphabetic()) {
                return format!("{prefix}{}", swap(rest));
            }
        }
    }
    swap(s)
}

/// A string a StringLike pattern matches: `*` as `star`, `?` as `q`.
fn expand(pattern: &str, star: &str, q: char) -> String {
    let mut s = String::new();
    for c in pattern.chars() {
        match c {
            '*' => s.push_str(star),
            '?' => s.push(q),
            c => s.push(c),
        }
    }
    s
}

/// For each statement that trusts OpenAI and has an `sts:ExternalId` condition: the ids other
/// than `x` it admits, decided by evaluating OpenAI's AssumeRole with each candidate id (see
/// [`other_id_candidates`]). Statements that admit none are left out.
pub fn other_ids<'a>(cx: &Cx<'a>, t: &Trust<'a>, x: &str) -> Vec<OtherIds<'a>> {
    let mut out: Vec<OtherIds<'a>> = Vec::new();
    for id in other_id_candidates(t.policy, x) {
        let path = cx.assume_with(Some(&id));
        let PathResult::Decided(d) = &path else {
            return Vec::new();
        };
        for r in d.eval.statements.iter().filter(|r| {
            trusts_openai(r)
                && r.applies != Tri::False
                && !external_id_conditions(r.statement).is_empty()
        }) {
            let entry = match out
                .iter_mut()
                .position(|o| std::ptr::eq(o.statement, r.statement))
            {
                Some(i) => &mut out[i],
                None => {
                    out.push(OtherIds {
                        statement: r.statement,
                        ids: Vec::new(),
                    });
                    out.last_mut().expect("pushed")
                }
            };
            entry.ids.push((id.clone(), d.allowed));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_id_notes_explain_the_usual_mistakes() {
        let reg = "org-AbCdEf0123456789GhIjKlMn";
        let n = external_id_notes(&["org-abcdef0123456789ghijklmn".into()], reg);
        assert!(n[0].contains("letter case"), "{n:?}");
        let n = external_id_notes(&["org-AbCdEf0123456789GhIjKlMn ".into()], reg);
        assert!(n[0].contains("whitespace"), "{n:?}");
        let n = external_id_notes(&["proj_AbCdEf0123456789GhIjKlMn".into()], reg);
        assert!(n[0].contains("project id"), "{n:?}");
        let n = external_id_notes(&["<YOUR_OPENAI_ORGANIZATION_ID>".into()], reg);
        assert!(n[0].contains("placeholder"), "{n:?}");
        assert!(external_id_notes(&[reg.into()], reg).is_empty());
    }
}
