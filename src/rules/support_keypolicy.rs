//! Helpers shared by the key-policy rules (EKM201–EKM204) and the role-permission rules that
//! read the role's documents directly (EKM304–EKM307).
//!
//! - [`crypto_paths`]: OpenAI's Encrypt and Decrypt as the role's session, decided from the shared
//!   paths when they are decidable, else from the key policy (and boundary) alone, so that a rule
//!   about the key policy still answers when, say, the role's identity policies were not given.
//! - [`why_not`], [`condition_text`], [`key_note`]: words for why a statement does or does not
//!   apply to OpenAI's request.
//! - [`identity_docs`], [`allows_action`], [`reaches_kms`]: the role's identity policies, read as
//!   documents (for the rules about what the role may do beyond OpenAI's two calls).

use serde_json::Value as J;

use super::paths::{self, Cx, PathResult};
use super::{Evidence, Outcome};
use crate::eval::{
    self, CallerSide, Context, Evaluation, Layer, Lookup, PolicySet, Reason, Request,
    StatementResult, Tri,
};
use crate::inputs::{Doc, Part};
use crate::policy::condition::{Condition, SetOp};
use crate::policy::pattern::arn_parts;
use crate::policy::principal::Principal;
use crate::policy::{Effect, Policy, PolicyKind, Statement};

/// OpenAI's two calls with the key.
pub const CRYPTO_ACTIONS: [&str; 2] = ["kms:Encrypt", "kms:Decrypt"];

/// One of OpenAI's calls, decided.
pub struct Crypto<'a> {
    pub action: &'static str,
    pub request: Request,
    pub eval: Evaluation<'a>,
    /// Does a grant allow the call (`False` when there are none)?
    pub grant: Tri,
    /// Decided from the key policy and boundary alone: the role's identity policies were not
    /// usable (not given, unreadable or not JSON). Only the key-policy and boundary layers of
    /// `eval` mean anything then.
    pub standalone: bool,
}

impl<'a> Crypto<'a> {
    /// The statements of one layer and effect.
    pub fn layer(
        &self,
        layer: Layer,
        effect: Effect,
    ) -> impl Iterator<Item = &StatementResult<'a>> {
        self.eval
            .statements
            .iter()
            .filter(move |r| r.layer == layer && r.statement.effect == effect)
    }
}

/// Encrypt and Decrypt as the role's session. `needs_key_policy`: return the key policy's
/// `skipped`/`unknown` outcome when it is not there (the key-policy rules); else a missing key
/// policy only empties the key-policy layer (EKM307 reads the boundary alone).
pub fn crypto_paths<'a>(cx: &Cx<'a>, needs_key_policy: bool) -> Result<Vec<Crypto<'a>>, Outcome> {
    let i = cx.inputs;
    let key_policy: Option<&'a Policy> = match &i.key_policy {
        Part::Present(d) => match d.policy() {
            Some(p) => Some(p),
            None if needs_key_policy => {
                return Err(Outcome::unknown(format!(
                    "{} is not valid JSON (see EKM004)",
                    d.source
                )));
            }
            None => None,
        },
        other if needs_key_policy => {
            return Err(Outcome::for_missing(other, "the key policy").expect("missing"));
        }
        _ => None,
    };
    // The request of each call (and whether a grant allows it): from the shared paths when both
    // are decided; otherwise the same request, built by the shared path over inputs whose role
    // documents are emptied (the request does not depend on them), to be evaluated against the
    // key policy and the boundary alone.
    let shared: Vec<(&'static str, Request, Tri)> = cx
        .crypto()
        .into_iter()
        .filter_map(|(action, path)| match path {
            PathResult::Decided(d) => Some((action, d.request.clone(), d.grant)),
            PathResult::Undecidable(_) => None,
        })
        .collect();
    let standalone = shared.len() != 2;
    let calls = if standalone {
        let mut sub = i.clone();
        sub.inline_policies = Part::Present(Vec::new());
        sub.attached_policies = Part::Present(Vec::new());
        sub.boundary = Part::Present(None);
        if key_policy.is_none() {
            sub.key_policy = Part::Present(Doc::from_text(
                r#"{"Version": "2012-10-17", "Statement": []}"#,
                PolicyKind::Resource,
                "(no key policy)",
            ));
        }
        let inner = Cx::new(&sub);
        let mut calls = Vec::new();
        for (action, path) in inner.crypto() {
            match path {
                PathResult::Decided(d) => calls.push((action, d.request.clone(), d.grant)),
                PathResult::Undecidable(o) => return Err(o.clone()),
            }
        }
        calls
    } else {
        shared
    };
    let identity: Vec<&'a Policy> = if standalone {
        Vec::new()
    } else {
        let inline = i.inline_policies.get().into_iter().flatten();
        let attached = i.attached_policies.get().into_iter().flatten();
        inline.chain(attached).filter_map(Doc::policy).collect()
    };
    let boundary: Option<&'a Policy> = i
        .boundary
        .get()
        .and_then(|b| b.as_ref())
        .and_then(Doc::policy);
    let mut out = Vec::new();
    for (action, mut request, grant) in calls {
        complete_context(&mut request);
        let set = PolicySet {
            identity: identity.clone(),
            resource: key_policy,
            boundaries: boundary.into_iter().collect(),
            scps: Vec::new(),
            rcps: Vec::new(),
            org: Default::default(),
            caller: CallerSide::Policies,
        };
        let eval = eval::evaluate(&request, &set);
        out.push(Crypto {
            action,
            request,
            eval,
            grant,
            standalone,
        });
    }
    Ok(out)
}

/// Keys the shared request leaves absent although AWS sets them on every KMS call:
/// `aws:ResourceAccount` (the key's account), and the key's tags and organization, which
/// ekm-check does not read (unknown, so that a condition on them is never decided wrongly).
fn complete_context(req: &mut Request) {
    if req.context.lookup("aws:resourceaccount") == Lookup::Absent {
        if let Some(acct) = req.resource_account().map(str::to_string) {
            req.context.set("aws:ResourceAccount", vec![acct]);
        }
    }
    for k in [
        "aws:ResourceTag/*",
        "aws:ResourceOrgID",
        "aws:ResourceOrgPaths",
    ] {
        req.context.mark_unknown(k);
    }
}

/// `kms:Encrypt`, `kms:Encrypt and kms:Decrypt`.
pub fn and_list<S: AsRef<str>>(items: &[S]) -> String {
    let v: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
    match v.len() {
        0 => String::new(),
        1 => v[0].to_string(),
        n => format!("{} and {}", v[..n - 1].join(", "), v[n - 1]),
    }
}

/// `statement "Sid" (/Statement/1)`
pub fn st_at(st: &Statement) -> String {
    format!("{} ({})", st.label(), st.pointer)
}

/// `key policy "key.policy"`, `identity policy "role.inline_policies/x"`.
pub fn doc_name(policy: &Policy) -> String {
    let noun = match policy.kind {
        // The only resource policy these rules read is the key's.
        PolicyKind::Resource => "key policy",
        k => k.noun(),
    };
    format!("{noun} \"{}\"", policy.source)
}

/// `StringEquals kms:ViaService ["ec2.us-east-1.amazonaws.com"]`
pub fn condition_text(c: &Condition) -> String {
    let vals: Vec<String> = c.raw_values.iter().map(|v| format!("\"{v}\"")).collect();
    format!("{} {} [{}]", c.operator_name, c.key, vals.join(", "))
}

fn in_list(key_lc: &str, list: &[&str]) -> bool {
    list.iter().any(|k| {
        let k = k.to_ascii_lowercase();
        match k.strip_suffix('*') {
            Some(prefix) => key_lc.starts_with(prefix),
            None => k == key_lc,
        }
    })
}

/// Is the key one that OpenAI's Encrypt and Decrypt never carry?
pub fn is_absent_key(key_lc: &str) -> bool {
    in_list(key_lc, paths::CRYPTO_ABSENT)
}

/// Is the key one whose value in OpenAI's calls nobody outside OpenAI knows?
pub fn is_unknown_key(key_lc: &str) -> bool {
    in_list(key_lc, paths::CRYPTO_UNKNOWN)
}

/// Why a condition key matters for OpenAI's Encrypt and Decrypt.
pub fn key_note(key_lc: &str) -> &'static str {
    if key_lc == "kms:viaservice"
        || key_lc.starts_with("aws:calledvia")
        || key_lc == "kms:grantisforawsresource"
    {
        "OpenAI calls KMS directly, not via an AWS service, so its calls never carry it"
    } else if key_lc.starts_with("aws:sourcevpc") || key_lc == "aws:vpcsourceip" {
        "OpenAI calls KMS from its own network, not through a VPC or VPC endpoint, so its calls never carry it"
    } else if key_lc == "aws:sourcearn" || key_lc == "aws:sourceaccount" {
        "it is set only when an AWS service calls on a resource's behalf, never on OpenAI's direct calls"
    } else if key_lc == "aws:sourceip" {
        "OpenAI does not publish the addresses it calls KMS from, and `--live` calls from your network, so it cannot show it"
    } else if key_lc.starts_with("kms:encryptioncontext") {
        "OpenAI does not document the encryption context it sends, and `--live` sends none, so only OpenAI's own calls show it"
    } else if key_lc.starts_with("aws:principalorg") {
        "ekm-check does not know the role's organization"
    } else if key_lc.starts_with("aws:principaltag/") {
        "ekm-check does not read the role's tags"
    } else {
        "its value in OpenAI's calls is not known"
    }
}

/// Condition keys whose value in the role session's Encrypt and Decrypt is the same for
/// `ekm-check check --live` as for OpenAI: they describe the role, its account and the key, not
/// the caller's network, client, time or encryption context. `--live` (Encrypt and Decrypt of
/// random bytes as the role, without encryption context, from the checker's network) decides a
/// condition on these for OpenAI too; on any other key it proves nothing about OpenAI's calls.
const LIVE_DECIDES: &[&str] = &[
    "aws:principalarn",
    "aws:principalaccount",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principaltag/*",
    "aws:principaltype",
    "aws:principalisawsservice",
    "aws:resourceaccount",
    "aws:resourcetag/*",
    "aws:resourceorgid",
    "aws:resourceorgpaths",
    "aws:requestedregion",
    "aws:securetransport",
    "kms:calleraccount",
    "kms:encryptionalgorithm",
    "kms:keyorigin",
    "kms:keyspec",
    "kms:keyusage",
    "kms:multiregion",
    "kms:requestalias",
    "kms:resourcealiases",
];

/// Does `ekm-check check --live` decide a condition on this key as it is for OpenAI's calls?
pub fn live_decides(key_lc: &str) -> bool {
    in_list(key_lc, LIVE_DECIDES)
}

/// How to settle conditions on these keys (as written) of the role's Encrypt and Decrypt: with
/// `--live` when it exercises them exactly as OpenAI's calls do, else what does decide them.
pub fn settle(keys: &[String]) -> String {
    let not_live: Vec<&str> = keys
        .iter()
        .map(String::as_str)
        .filter(|k| !live_decides(&k.to_ascii_lowercase()))
        .collect();
    if keys.is_empty() || not_live.is_empty() {
        return "or prove the path with `ekm-check check --live`, which calls Encrypt and Decrypt as the role (these conditions are the same for its calls as for OpenAI's)".to_string();
    }
    let lc: Vec<String> = not_live.iter().map(|k| k.to_ascii_lowercase()).collect();
    let mut why = Vec::new();
    if lc.iter().any(|k| k.starts_with("kms:encryptioncontext")) {
        why.push("it sends no encryption context");
    }
    if lc
        .iter()
        .any(|k| k == "aws:sourceip" || k.starts_with("aws:sourcevpc") || k == "aws:vpcsourceip")
    {
        why.push("it calls from your network, not OpenAI's");
    }
    if why.is_empty() {
        why.push("its calls differ from OpenAI's in these values");
    }
    format!(
        "`ekm-check check --live` cannot prove {}: {}. What decides it is OpenAI's real calls (their outcome shows in CloudTrail as the key's Encrypt and Decrypt events by the role's session {}) or OpenAI's confirmation of the values it sends",
        and_list(&not_live),
        and_list(&why),
        paths::SESSION_NAME
    )
}

/// `ForAllValues:` on an encryption-context key: it also matches a request without any context.
pub fn is_forall_context(c: &Condition) -> bool {
    c.operator.is_some_and(|o| o.set == SetOp::ForAllValues)
        && c.key_lc.starts_with("kms:encryptioncontext")
}

/// What the request carries for a key, in words.
pub fn context_words(ctx: &Context, key_lc: &str) -> String {
    match ctx.lookup(key_lc) {
        Lookup::Present(v) if v.len() == 1 => format!("the request has \"{}\"", v[0]),
        Lookup::Present(v) => format!("the request has {v:?}"),
        Lookup::Absent if is_absent_key(key_lc) => {
            format!("the key is absent: {}", key_note(key_lc))
        }
        Lookup::Absent => "the key is absent from the request".into(),
        Lookup::Unknown => format!("its value is not known: {}", key_note(key_lc)),
    }
}

/// Why a statement does not apply to the request (or that it does), for a message.
pub fn why_not(r: &StatementResult<'_>, req: &Request) -> String {
    let st = r.statement;
    match &r.reason {
        Reason::Applies => "applies".into(),
        Reason::PrincipalNotMatched => {
            let Some(p) = &st.principal else {
                return "has no Principal".into();
            };
            let acct = req.principal.account().unwrap_or("?");
            if p.negated {
                return "excludes the role with NotPrincipal".into();
            }
            let names: Vec<&str> = p.entries.iter().map(|e| e.raw.as_str()).collect();
            format!(
                "names {}, not the role or the role's account {acct}",
                and_list(&names)
            )
        }
        Reason::ActionNotMatched => {
            if st.action.negated {
                format!("excludes {} with NotAction", req.action)
            } else {
                format!(
                    "does not allow {} (Action: {})",
                    req.action,
                    st.action.raw.join(", ")
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
                "has a Resource ({raw}) that does not match the key {}",
                req.resource
            )
        }
        Reason::ResourceUndecided => {
            "has a Resource that depends on policy variables whose values are not known".into()
        }
        Reason::ConditionFalse(i) => {
            let c = &st.conditions[*i];
            format!(
                "has a condition {} that is false for OpenAI's call ({})",
                condition_text(c),
                context_words(&req.context, &c.key_lc)
            )
        }
        Reason::ConditionsUndecided(idx) => {
            let parts: Vec<String> = idx
                .iter()
                .map(|&i| undecided_text(&st.conditions[i]))
                .collect();
            format!("applies only if {}", and_list(&parts))
        }
    }
}

/// Why statements do not apply, one line per statement and reason, with the actions merged
/// (`statement "A" (/Statement/0) does not allow kms:Encrypt and kms:Decrypt (…)`).
#[derive(Default)]
pub struct Why {
    items: Vec<(String, String, Vec<&'static str>)>,
}

impl Why {
    /// Add why `r` does not apply to `req` (whose action is `action`).
    pub fn add(&mut self, r: &StatementResult<'_>, req: &Request, action: &'static str) {
        let text = why_not(r, req).replace(&req.action, "\u{1}");
        self.add_text(st_at(r.statement), text, action);
    }

    /// Add a line of its own about a statement (`\u{1}` stands for the actions).
    pub fn add_text(&mut self, at: String, text: String, action: &'static str) {
        match self
            .items
            .iter_mut()
            .find(|(a, t, _)| *a == at && *t == text)
        {
            Some(item) => {
                if !item.2.contains(&action) {
                    item.2.push(action);
                }
            }
            None => self.items.push((at, text, vec![action])),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn lines(&self) -> Vec<String> {
        self.items
            .iter()
            .map(|(at, t, acts)| {
                let t = t.replace('\u{1}', &and_list(acts));
                if at.is_empty() {
                    t
                } else {
                    format!("{at} {t}")
                }
            })
            .collect()
    }

    pub fn join(&self) -> String {
        self.lines().join("; ")
    }
}

/// `aws:SourceIp matches NotIpAddress [...] (OpenAI does not publish …)`
pub fn undecided_text(c: &Condition) -> String {
    if c.operator.is_none() {
        return format!(
            "{} holds ({} is not an operator IAM knows)",
            condition_text(c),
            c.operator_name
        );
    }
    let mut s = format!("{} holds ({})", condition_text(c), key_note(&c.key_lc));
    if is_forall_context(c) {
        s.push_str(&format!(
            "; note that {} also matches a call with no encryption context at all",
            c.operator_name
        ));
    }
    s
}

/// Condition keys (as written) that a statement result hangs on.
pub fn undecided_keys(r: &StatementResult<'_>) -> Vec<String> {
    match &r.reason {
        Reason::ConditionsUndecided(idx) => idx
            .iter()
            .map(|&i| {
                let c = &r.statement.conditions[i];
                if c.operator.is_none() {
                    format!("{} (unsupported operator)", c.operator_name)
                } else {
                    c.key.clone()
                }
            })
            .collect(),
        Reason::ResourceUndecided => r
            .statement
            .resource
            .iter()
            .flat_map(|m| m.patterns.iter())
            .flat_map(|p| p.vars().map(str::to_string).collect::<Vec<_>>())
            .collect(),
        _ => Vec::new(),
    }
}

/// Push the items of `more` that `v` does not hold yet (case-insensitive).
pub fn push_unique(v: &mut Vec<String>, more: impl IntoIterator<Item = String>) {
    for m in more {
        if !v.iter().any(|x| x.eq_ignore_ascii_case(&m)) {
            v.push(m);
        }
    }
}

/// Evidence, one per statement (the first time it is seen).
pub fn push_evidence(
    cx: &Cx<'_>,
    out: &mut Vec<Evidence>,
    seen: &mut std::collections::HashSet<String>,
    policy: &Policy,
    st: &Statement,
) {
    // A set, not a list: a key policy of thousands of statements must stay linear.
    if seen.insert(format!("{}#{}", policy.source, st.pointer)) {
        out.push(cx.evidence(policy, st));
    }
}

/// The account of the role ARN, and its partition.
pub fn role_account(role_arn: &str) -> Option<(String, String)> {
    match Principal::parse(role_arn).ok()? {
        Principal::Role {
            partition, account, ..
        } => Some((partition, account)),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// The role's identity policies, read as documents.

/// The role's identity policies that could be read, and what could not.
pub struct IdentityDocs<'a> {
    pub docs: Vec<(&'a Doc, &'a Policy)>,
    /// `(unreadable, why)`: unreadable (`unknown`) or not given (`skipped`).
    pub gaps: Vec<(bool, String)>,
}

impl IdentityDocs<'_> {
    /// Nothing was found in the documents read: `pass`, unless some could not be read.
    pub fn clean(&self, msg: String) -> Outcome {
        if let Some((_, why)) = self.gaps.iter().find(|(unreadable, _)| *unreadable) {
            return Outcome::unknown(format!("{msg}, but {why}"));
        }
        if let Some((_, why)) = self.gaps.first() {
            return Outcome::skipped(format!("{msg}, but {why}"));
        }
        Outcome::pass(msg)
    }
}

/// The role's inline and attached policies. `Err` when neither was given or readable.
pub fn identity_docs<'a>(cx: &Cx<'a>) -> Result<IdentityDocs<'a>, Outcome> {
    let i = cx.inputs;
    let parts = [
        (&i.inline_policies, "the role's inline policies"),
        (&i.attached_policies, "the role's attached policies"),
    ];
    if !parts.iter().any(|(p, _)| matches!(p, Part::Present(_))) {
        let error = parts.iter().find_map(|(p, _)| match p {
            Part::Error(e) => Some(e),
            _ => None,
        });
        return Err(match (error, &i.inline_policies) {
            (Some(e), _) => Outcome::unknown(format!(
                "the role's identity policies could not be read: {e}"
            )),
            (None, Part::Absent(r)) => {
                Outcome::skipped(format!("the role's identity policies were not given ({r})"))
            }
            _ => Outcome::skipped("the role's identity policies were not given"),
        });
    }
    let mut out = IdentityDocs {
        docs: Vec::new(),
        gaps: Vec::new(),
    };
    for (p, what) in parts {
        match p {
            Part::Present(docs) => {
                for d in docs {
                    match d.policy() {
                        Some(pol) => out.docs.push((d, pol)),
                        None => out
                            .gaps
                            .push((true, format!("{} is not valid JSON (see EKM004)", d.source))),
                    }
                }
            }
            Part::Error(e) => out
                .gaps
                .push((true, format!("{what} could not be read: {e}"))),
            // lint reads permission files as inline policies; attached ones do not exist there.
            Part::Absent(_) if i.lint => {}
            Part::Absent(r) => out
                .gaps
                .push((false, format!("{what} were not given ({r})"))),
        }
    }
    Ok(out)
}

/// Does the statement's Action (or NotAction) cover `action` (any case)?
pub fn allows_action(st: &Statement, action: &str) -> bool {
    let lc = action.to_ascii_lowercase();
    let ctx = Context::default();
    let hit = st
        .action
        .patterns
        .iter()
        .any(|p| p.matches(&lc, &ctx).is_true());
    hit != st.action.negated
}

/// Can the statement's Resource reach KMS resources at all (`*`, `arn:aws:kms:…`, NotResource)?
pub fn reaches_kms(st: &Statement) -> bool {
    let Some(m) = &st.resource else {
        return true;
    };
    if m.negated {
        return true;
    }
    m.raw.iter().any(|r| {
        if r.chars().all(|c| c == '*') {
            return true;
        }
        match arn_parts(r) {
            Some(p) => {
                crate::policy::pattern::Pattern::new(p[2], crate::policy::pattern::Wild::Yes, false)
                    .matches("kms", &Context::default())
                    .is_true()
            }
            // `arn:aws:*`: a prefix whose star runs over the rest.
            None => r.ends_with('*'),
        }
    })
}

/// An alias ARN (`arn:…:kms:…:alias/…`).
pub fn is_alias_arn(r: &str) -> bool {
    arn_parts(r).is_some_and(|p| p[2].eq_ignore_ascii_case("kms") && p[5].starts_with("alias/"))
}

/// A statement with no condition, on every resource: a Deny like that always applies.
pub fn unconditional_everywhere(st: &Statement) -> bool {
    st.conditions.is_empty()
        && st
            .resource
            .as_ref()
            .is_none_or(|m| !m.negated && m.patterns.iter().any(|p| p.is_match_all()))
}

/// Does the role's permissions boundary (if any) let identity policies grant `action`? Only the
/// actions are compared (resources and conditions would only narrow further): `true` when there
/// is no boundary, or it could not be read (the caller then reports on what it sees).
pub fn boundary_permits(cx: &Cx<'_>, action: &str) -> bool {
    let Some(p) = cx
        .inputs
        .boundary
        .get()
        .and_then(|b| b.as_ref())
        .and_then(Doc::policy)
    else {
        return true;
    };
    let allowed = p
        .statements
        .iter()
        .any(|s| s.effect == Effect::Allow && allows_action(s, action));
    let denied = p.statements.iter().any(|s| {
        s.effect == Effect::Deny && unconditional_everywhere(s) && allows_action(s, action)
    });
    allowed && !denied
}

/// Is `action` denied everywhere by an unconditional Deny in an identity policy?
pub fn identity_denies(ids: &IdentityDocs<'_>, action: &str) -> bool {
    ids.docs.iter().any(|(_, p)| {
        p.statements.iter().any(|s| {
            s.effect == Effect::Deny && unconditional_everywhere(s) && allows_action(s, action)
        })
    })
}

/// The value of `pointer` inside the document (for evidence), when it parsed.
pub fn value_at(doc: &Doc, pointer: &str) -> Option<J> {
    doc.value_at(pointer)
}

/// Test inputs: the baseline scenario (a correct setup), changed by `edit`.
#[cfg(test)]
pub(crate) fn baseline_with(edit: impl FnOnce(&mut J)) -> crate::inputs::Inputs {
    let mut v: J = serde_json::from_str(include_str!("../../fixtures/ok-baseline/snapshot.json"))
        .expect("baseline snapshot");
    edit(&mut v);
    let text = serde_json::to_string_pretty(&v).expect("json");
    let node = crate::json::parse(&text).expect("json");
    crate::snapshot::to_inputs(&node, "snapshot.json").expect("snapshot")
}

/// Run a rule's check over inputs.
#[cfg(test)]
pub(crate) fn run(check: fn(&Cx<'_>) -> Outcome, inputs: &crate::inputs::Inputs) -> Outcome {
    check(&Cx::new(inputs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(json: &str) -> Statement {
        let text = format!(r#"{{"Version": "2012-10-17", "Statement": [{json}]}}"#);
        let p = Policy::from_text(&text, PolicyKind::Identity, "t.json").unwrap();
        p.statements.into_iter().next().unwrap()
    }

    #[test]
    fn actions_respect_not_action_and_case() {
        let s = st(r#"{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}"#);
        assert!(allows_action(&s, "kms:ScheduleKeyDeletion"));
        let s = st(r#"{"Effect": "Allow", "NotAction": "kms:*", "Resource": "*"}"#);
        assert!(!allows_action(&s, "kms:Encrypt"));
        assert!(allows_action(&s, "s3:GetObject"));
        let s = st(r#"{"Effect": "Allow", "Action": "KMS:Encr*", "Resource": "*"}"#);
        assert!(allows_action(&s, "kms:Encrypt"));
    }

    #[test]
    fn kms_reach_and_aliases() {
        let s = st(r#"{"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b/*"}"#);
        assert!(!reaches_kms(&s));
        let s = st(r#"{"Effect": "Allow", "Action": "*", "Resource": "arn:aws:*:*:*:*"}"#);
        assert!(reaches_kms(&s));
        assert!(is_alias_arn(
            "arn:aws:kms:us-east-1:111122223333:alias/openai-ekm"
        ));
        assert!(!is_alias_arn("arn:aws:kms:us-east-1:111122223333:key/abc"));
    }

    #[test]
    fn lists_read_well() {
        assert_eq!(and_list(&["a"]), "a");
        assert_eq!(and_list(&["a", "b", "c"]), "a, b and c");
    }
}
