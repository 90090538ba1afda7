//! OpenAI's two requests, built from the inputs and decided once for all rules.
//!
//! 1. `sts:AssumeRole` by `arn:aws:iam::790389265272:role/EnterpriseKeyManagement` on the role,
//!    with `sts:ExternalId` = the registered external id, against the trust policy.
//! 2. `kms:Encrypt` and `kms:Decrypt` by the role's session `OpenAI-EKM-Service` on the key,
//!    against the role's identity policies, its boundary, the key policy and the key's grants.
//!
//! Context that OpenAI's calls carry but that nobody outside OpenAI knows (its source IP, its
//! organization, its tags, the encryption context) is marked unknown, so that a condition on it
//! makes the answer "depends", never "allowed".

use std::cell::OnceCell;

use serde_json::Value as J;

use super::{Evidence, Outcome};
use crate::eval::{self, CallerSide, Context, Evaluation, PolicySet, Request, Tri};
use crate::inputs::{Doc, Inputs, Part};
use crate::policy::pattern::arn_parts;
use crate::policy::principal::{Principal, PrincipalPattern};
use crate::policy::{Effect, Policy, Statement};

pub const OPENAI_ROLE: &str = "arn:aws:iam::790389265272:role/EnterpriseKeyManagement";
pub const OPENAI_ACCOUNT: &str = "790389265272";
pub const SESSION_NAME: &str = "OpenAI-EKM-Service";

/// The resource of OpenAI's AssumeRole in `lint` without `--role-arn`.
const LINT_ROLE_PLACEHOLDER: &str = "arn:aws:iam::000000000000:role/role-arn-not-given";

/// Keys OpenAI's AssumeRole may carry whose values are not known.
pub const ASSUME_UNKNOWN: &[&str] = &[
    "aws:SourceIp",
    "aws:ResourceTag/*",
    "aws:ResourceOrgID",
    "aws:ResourceOrgPaths",
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalTag/*",
    "aws:RequestTag/*",
    "aws:TagKeys",
    "sts:TransitiveTagKeys",
    "aws:SourceIdentity",
    "sts:SourceIdentity",
    "aws:CurrentTime",
    "aws:EpochTime",
    "aws:TokenIssueTime",
    "aws:UserAgent",
    "aws:userid",
];

/// Keys OpenAI's Encrypt and Decrypt may carry whose values are not known.
pub const CRYPTO_UNKNOWN: &[&str] = &[
    "aws:SourceIp",
    "aws:ResourceTag/*",
    "aws:ResourceOrgID",
    "aws:ResourceOrgPaths",
    "kms:EncryptionContext:*",
    "kms:EncryptionContextKeys",
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalTag/*",
    "aws:SourceIdentity",
    "aws:CurrentTime",
    "aws:EpochTime",
    "aws:TokenIssueTime",
    "aws:UserAgent",
];

/// Keys that are absent from OpenAI's calls (they come straight from OpenAI's network, not via
/// an AWS service or a VPC endpoint): a condition that requires them excludes OpenAI.
pub const CRYPTO_ABSENT: &[&str] = &[
    "kms:ViaService",
    "aws:SourceVpc",
    "aws:SourceVpce",
    "aws:VpcSourceIp",
    "aws:CalledVia",
    "aws:CalledViaFirst",
    "aws:CalledViaLast",
    "aws:SourceArn",
    "aws:SourceAccount",
    "kms:GrantIsForAWSResource",
];

/// A request path: decided, or why it cannot be.
pub enum PathResult<'a> {
    Decided(Box<Decided<'a>>),
    /// `skipped` (a part was not given) or `unknown` (a part could not be read).
    Undecidable(Outcome),
}

/// A decided request.
pub struct Decided<'a> {
    pub request: Request,
    pub eval: Evaluation<'a>,
    /// For KMS: does a grant allow the action (`False` when there are none)?
    pub grant: Tri,
    /// Allowed in the end: the evaluation, or a grant when nothing denies.
    pub allowed: Tri,
}

/// The shared context of one rule run.
pub struct Cx<'a> {
    pub inputs: &'a Inputs,
    assume: OnceCell<PathResult<'a>>,
    encrypt: OnceCell<PathResult<'a>>,
    decrypt: OnceCell<PathResult<'a>>,
}

impl<'a> Cx<'a> {
    pub fn new(inputs: &'a Inputs) -> Cx<'a> {
        Cx {
            inputs,
            assume: OnceCell::new(),
            encrypt: OnceCell::new(),
            decrypt: OnceCell::new(),
        }
    }

    /// The role ARN: registered, else the one read from AWS.
    pub fn role_arn(&self) -> Option<&'a str> {
        self.inputs
            .registration
            .role_arn
            .as_deref()
            .or_else(|| self.inputs.role.get().and_then(|r| r.arn.as_deref()))
    }

    /// The key's own ARN: from its metadata, else `kms_arn` when that is a key ARN.
    pub fn key_arn(&self) -> Option<&'a str> {
        if let Some(arn) = self.inputs.key.get().and_then(|k| k.str("Arn")) {
            return Some(arn);
        }
        self.inputs
            .registration
            .kms_arn
            .as_deref()
            .filter(|a| a.contains(":key/"))
    }

    /// The document that holds `policy`.
    pub fn doc_of(&self, policy: &Policy) -> Option<&'a Doc> {
        self.inputs
            .documents()
            .into_iter()
            .find(|d| d.policy().is_some_and(|p| std::ptr::eq(p, policy)))
    }

    /// Evidence for a statement of a policy of the inputs.
    pub fn evidence(&self, policy: &Policy, st: &Statement) -> Evidence {
        match self.doc_of(policy) {
            Some(d) => Evidence::statement(d, st),
            None => Evidence::new(&policy.source, &st.pointer, None),
        }
    }

    /// OpenAI's `sts:AssumeRole` on the role, with the registered ExternalId.
    pub fn assume(&self) -> &PathResult<'a> {
        self.assume.get_or_init(|| {
            self.build_assume(self.inputs.registration.external_id.as_deref(), true)
        })
    }

    /// The same request with another ExternalId (`None`: without one), for EKM403/EKM404.
    pub fn assume_with(&self, external_id: Option<&str>) -> PathResult<'a> {
        self.build_assume(external_id, false)
    }

    fn build_assume(&self, external_id: Option<&str>, need_external_id: bool) -> PathResult<'a> {
        // The trust policy first: an unreadable one is `unknown` whatever else is missing.
        let trust = match &self.inputs.trust_policy {
            Part::Present(d) => d,
            other => {
                return PathResult::Undecidable(
                    Outcome::for_missing(other, "the trust policy").expect("missing"),
                );
            }
        };
        let Some(policy) = trust.policy() else {
            return PathResult::Undecidable(Outcome::unknown(format!(
                "{} is not valid JSON (see EKM004)",
                trust.source
            )));
        };
        if need_external_id && external_id.is_none() {
            return undecidable_reg(self.inputs, "external_id");
        }
        // The role ARN is only the request's resource: lint can go without it, as long as no
        // condition asks for the role's account.
        let role_arn = match self.role_arn() {
            Some(r) => r,
            None if self.inputs.lint => LINT_ROLE_PLACEHOLDER,
            None => return undecidable_reg(self.inputs, "role_arn"),
        };
        let mut ctx = Context::default();
        if role_arn == LINT_ROLE_PLACEHOLDER {
            ctx.mark_unknown("aws:ResourceAccount");
        }
        if let Some(x) = external_id {
            ctx.set("sts:ExternalId", vec![x.to_string()]);
        }
        ctx.set("aws:SecureTransport", vec!["true".into()]);
        ctx.set("aws:PrincipalType", vec!["AssumedRole".into()]);
        ctx.set("aws:PrincipalIsAWSService", vec!["false".into()]);
        ctx.set("sts:RoleSessionName", vec![SESSION_NAME.into()]);
        if let Some(parts) = arn_parts(role_arn).filter(|_| role_arn != LINT_ROLE_PLACEHOLDER) {
            ctx.set("aws:ResourceAccount", vec![parts[4].to_string()]);
        }
        for u in ASSUME_UNKNOWN {
            ctx.mark_unknown(u);
        }
        let principal = Principal::parse(OPENAI_ROLE).expect("constant");
        let request = Request::new(principal, "sts:AssumeRole", role_arn, ctx);
        let set = PolicySet {
            identity: Vec::new(),
            resource: Some(policy),
            boundaries: Vec::new(),
            scps: Vec::new(),
            rcps: Vec::new(),
            org: Default::default(),
            caller: CallerSide::AssumedAllowed,
        };
        let ev = eval::evaluate(&request, &set);
        let allowed = ev.allowed;
        PathResult::Decided(Box::new(Decided {
            request,
            eval: ev,
            grant: Tri::False,
            allowed,
        }))
    }

    /// The role session's `kms:Encrypt` on the key.
    pub fn encrypt(&self) -> &PathResult<'a> {
        self.encrypt
            .get_or_init(|| self.build_crypto("kms:Encrypt"))
    }

    /// The role session's `kms:Decrypt` on the key.
    pub fn decrypt(&self) -> &PathResult<'a> {
        self.decrypt
            .get_or_init(|| self.build_crypto("kms:Decrypt"))
    }

    /// Both crypto paths with their action names.
    pub fn crypto(&self) -> [(&'static str, &PathResult<'a>); 2] {
        [
            ("kms:Encrypt", self.encrypt()),
            ("kms:Decrypt", self.decrypt()),
        ]
    }

    /// The role session's request for any KMS action on the key (not cached), decided like
    /// Encrypt and Decrypt: identity policies, boundary, key policy and grants (EKM305).
    pub fn session_kms(&self, action: &str) -> PathResult<'a> {
        self.build_crypto(action)
    }

    fn build_crypto(&self, action: &str) -> PathResult<'a> {
        let i = self.inputs;
        let Some(role_arn) = self.role_arn() else {
            return undecidable_reg(i, "role_arn");
        };
        let Some(key_arn) = self.key_arn() else {
            if let Some(o) =
                Outcome::for_missing(&i.key, "the key's metadata (to resolve the alias)")
            {
                return PathResult::Undecidable(o);
            }
            return undecidable_reg(i, "kms_arn");
        };
        let key_doc = match &i.key_policy {
            Part::Present(d) => d,
            other => {
                return PathResult::Undecidable(
                    Outcome::for_missing(other, "the key policy").expect("missing"),
                );
            }
        };
        for (part, what) in [
            (&i.inline_policies.map(|_| ()), "the role's inline policies"),
            (
                &i.attached_policies.map(|_| ()),
                "the role's attached policies",
            ),
            (&i.boundary.map(|_| ()), "the role's permissions boundary"),
        ] {
            match part {
                Part::Present(()) => {}
                // Lint without permissions files: nothing grants, but say it was not given.
                Part::Absent(_)
                    if i.lint
                        && what != "the role's attached policies"
                        && what != "the role's permissions boundary" =>
                {
                    return PathResult::Undecidable(
                        Outcome::for_missing(part, what).expect("missing"),
                    );
                }
                Part::Absent(_) if i.lint => {}
                other => {
                    return PathResult::Undecidable(
                        Outcome::for_missing(other, what).expect("missing"),
                    );
                }
            }
        }
        let mut docs: Vec<&'a Doc> = Vec::new();
        docs.extend(i.inline_policies.get().into_iter().flatten());
        docs.extend(i.attached_policies.get().into_iter().flatten());
        let boundary: Option<&'a Doc> = i.boundary.get().and_then(|b| b.as_ref());
        let all = docs
            .iter()
            .copied()
            .chain(boundary)
            .chain(std::iter::once(key_doc));
        for d in all {
            if d.policy().is_none() {
                return PathResult::Undecidable(Outcome::unknown(format!(
                    "{} is not valid JSON (see EKM004)",
                    d.source
                )));
            }
        }
        let Ok(role) = Principal::parse(role_arn) else {
            return PathResult::Undecidable(Outcome::unknown(format!(
                "the role ARN {role_arn} is not valid (see EKM002)"
            )));
        };
        let Principal::Role {
            partition,
            account,
            name,
            ..
        } = &role
        else {
            return PathResult::Undecidable(Outcome::unknown(format!(
                "{role_arn} is not a role ARN (see EKM002)"
            )));
        };
        let principal = session_of(partition, account, name);
        let mut ctx = session_crypto_context(role_arn, key_arn);
        if let Some(role_id) = i.role.get().and_then(|r| r.role_id.as_deref()) {
            ctx.set("aws:userid", vec![format!("{role_id}:{SESSION_NAME}")]);
        } else {
            ctx.mark_unknown("aws:userid");
        }
        // OpenAI calls with kms_arn as registered: an alias ARN sets kms:RequestAlias.
        if let Some(alias) = i
            .registration
            .kms_arn
            .as_deref()
            .and_then(|a| a.split_once(":alias/"))
            .map(|(_, n)| format!("alias/{n}"))
        {
            ctx.set("kms:RequestAlias", vec![alias]);
        }
        match &i.aliases {
            Part::Present(a) => ctx.set("kms:ResourceAliases", a.clone()),
            _ => ctx.mark_unknown("kms:ResourceAliases"),
        }
        match i.key.get() {
            Some(m) => {
                for (key, field) in [
                    ("kms:KeyOrigin", "Origin"),
                    ("kms:KeySpec", "KeySpec"),
                    ("kms:KeyUsage", "KeyUsage"),
                ] {
                    match m.str(field) {
                        Some(v) => ctx.set(key, vec![v.to_string()]),
                        None => ctx.mark_unknown(key),
                    }
                }
                match m.bool("MultiRegion") {
                    Some(b) => ctx.set("kms:MultiRegion", vec![b.to_string()]),
                    None => ctx.mark_unknown("kms:MultiRegion"),
                }
            }
            None => {
                for k in [
                    "kms:KeyOrigin",
                    "kms:KeySpec",
                    "kms:KeyUsage",
                    "kms:MultiRegion",
                ] {
                    ctx.mark_unknown(k);
                }
            }
        }
        for u in CRYPTO_UNKNOWN {
            ctx.mark_unknown(u);
        }
        let request = Request::new(principal, action, key_arn, ctx);
        let set = PolicySet {
            identity: docs.iter().filter_map(|d| d.policy()).collect(),
            resource: key_doc.policy(),
            boundaries: boundary.and_then(|b| b.policy()).into_iter().collect(),
            scps: Vec::new(),
            rcps: Vec::new(),
            org: Default::default(),
            caller: CallerSide::Policies,
        };
        let ev = eval::evaluate(&request, &set);
        let grant = match &i.grants {
            Part::Present(g) => grant_allows(g, &request, role_arn),
            // Unreadable grants could allow, never deny: they cannot turn a pass into a fail.
            _ => Tri::False,
        };
        let allowed = ev.allowed | (!ev.denied & grant);
        PathResult::Decided(Box::new(Decided {
            request,
            eval: ev,
            grant,
            allowed,
        }))
    }
}

/// What the role session's Encrypt and Decrypt on the key certainly carry: the role as
/// `aws:PrincipalArn`, HTTPS, no AWS service in between, the key's Region and account. The
/// identity-side path and the organization rules both start from it.
pub fn session_crypto_context(role_arn: &str, key_arn: &str) -> Context {
    let mut ctx = Context::default();
    ctx.set("aws:PrincipalArn", vec![role_arn.to_string()]);
    ctx.set("aws:SecureTransport", vec!["true".into()]);
    ctx.set("aws:PrincipalType", vec!["AssumedRole".into()]);
    ctx.set("aws:PrincipalIsAWSService", vec!["false".into()]);
    ctx.set("aws:ViaAWSService", vec!["false".into()]);
    ctx.set("kms:EncryptionAlgorithm", vec!["SYMMETRIC_DEFAULT".into()]);
    if let Some(parts) = arn_parts(key_arn) {
        ctx.set("aws:RequestedRegion", vec![parts[3].to_string()]);
        ctx.set("aws:ResourceAccount", vec![parts[4].to_string()]);
    }
    ctx
}

fn undecidable_reg(i: &Inputs, field: &str) -> PathResult<'static> {
    let flag = field.replace('_', "-");
    let msg = format!("{field} is not known: give --{flag} (or set it in ekm-check.toml)");
    PathResult::Undecidable(if i.lint {
        Outcome::skipped(msg)
    } else {
        Outcome::unknown(msg)
    })
}

/// OpenAI's session of the role: `arn:…:sts::ACCOUNT:assumed-role/NAME/OpenAI-EKM-Service`.
pub fn session_of(partition: &str, account: &str, name: &str) -> Principal {
    let session = format!("arn:{partition}:sts::{account}:assumed-role/{name}/{SESSION_NAME}");
    Principal::parse(&session).expect("built from a valid role")
}

/// OpenAI's session of the role ARN (`None`: not a role ARN).
pub fn session_principal(role_arn: &str) -> Option<Principal> {
    match Principal::parse(role_arn).ok()? {
        Principal::Role {
            partition,
            account,
            name,
            ..
        } => Some(session_of(&partition, &account, &name)),
        _ => None,
    }
}

/// Is the grant's grantee the role, or its session (not merely its account)?
pub fn grant_names_role(g: &J, session: &Principal, role_arn: &str) -> bool {
    let grantee = g
        .get("GranteePrincipal")
        .and_then(J::as_str)
        .unwrap_or_default();
    grantee == role_arn
        || PrincipalPattern::parse("AWS", grantee)
            .matches(session)
            .is_some_and(|m| m != crate::policy::principal::PrincipalMatch::Account)
}

/// Do the key's grants let the role's session perform the request's action?
fn grant_allows(grants: &[J], req: &Request, role_arn: &str) -> Tri {
    let op = req.action.trim_start_matches("kms:");
    let mut acc = Tri::False;
    for g in grants {
        if !grant_names_role(g, &req.principal, role_arn) {
            continue;
        }
        let ops = g.get("Operations").and_then(J::as_array);
        if !ops.is_some_and(|o| o.iter().any(|x| x.as_str() == Some(op))) {
            continue;
        }
        // Encryption-context constraints depend on the context OpenAI sends, which is unknown.
        let constrained = g
            .get("Constraints")
            .and_then(J::as_object)
            .is_some_and(|c| !c.is_empty());
        acc = acc | if constrained { Tri::Unknown } else { Tri::True };
    }
    acc
}

/// `lint` with permissions files but without a decidable request: when no Allow statement of
/// the permissions policies (nor of a given key policy) matches `action` at all, or a Deny
/// without conditions matches it on every resource, the role can call it on no key.
fn allows_on_no_key(cx: &Cx<'_>, action: &str) -> Option<Outcome> {
    let i = cx.inputs;
    let mut docs: Vec<&Doc> = i.inline_policies.get()?.iter().collect();
    match &i.attached_policies {
        crate::inputs::Part::Present(a) => docs.extend(a),
        crate::inputs::Part::Error(_) => return None,
        crate::inputs::Part::Absent(_) => {}
    }
    let policies: Vec<&Policy> = docs
        .iter()
        .map(|d| d.policy())
        .collect::<Option<Vec<_>>>()?;
    let key_policy = i
        .key_policy
        .get()
        .filter(|_| !i.key_policy_assumed)
        .map(|d| d.policy())
        .unwrap_or(None);
    let ctx = Context::default();
    let lc = action.to_ascii_lowercase();
    let matches = |st: &Statement| {
        st.action
            .patterns
            .iter()
            .any(|p| p.matches(&lc, &ctx).is_true())
            != st.action.negated
    };
    let every_resource = |st: &Statement| match &st.resource {
        Some(m) => !m.negated && m.patterns.iter().any(|p| p.is_match_all()),
        None => false,
    };
    if let Some((p, st)) = policies.iter().find_map(|p| {
        p.statements
            .iter()
            .find(|st| {
                st.effect == Effect::Deny
                    && st.conditions.is_empty()
                    && matches(st)
                    && every_resource(st)
            })
            .map(|st| (*p, st))
    }) {
        return Some(
            Outcome::fail(format!(
                "the role can call {action} on no key: {} denies it on every resource, without a condition",
                eval::locate(p, st)
            ))
            .evidence(cx.evidence(p, st))
            .fix("remove the Deny statement, or narrow it so that it does not match kms:Encrypt and kms:Decrypt on the key"),
        );
    }
    let allows = policies.iter().copied().chain(key_policy).any(|p| {
        p.statements
            .iter()
            .any(|st| st.effect == Effect::Allow && matches(st))
    });
    if allows {
        return None;
    }
    let names: Vec<&str> = docs.iter().map(|d| d.source.as_str()).collect();
    let key = i
        .registration
        .kms_arn
        .as_deref()
        .filter(|a| a.contains(":key/"))
        .unwrap_or("arn:aws:kms:REGION:ACCOUNT:key/KEY_ID");
    let why = if names.is_empty() {
        "the role has no identity policy".to_string()
    } else {
        format!(
            "no Allow statement of {} matches {action} (check the action names; see EKM006)",
            names.join(", ")
        )
    };
    Some(
        Outcome::fail(format!("the role can call {action} on no key: {why}"))
            .evidences(docs.iter().map(|d| {
                let mut e = Evidence::new(&d.source, "", None);
                e.file = Some(d.file.clone().unwrap_or_else(|| d.source.clone()));
                e
            }))
            .fix(format!(
                "add this statement to the role's permissions policy:\n{}",
                super::fixes::pretty(&super::fixes::identity_statement(key))
            )),
    )
}

impl Decided<'_> {
    /// The statements that apply (or may) with the given effect in the given layer.
    pub fn applying(
        &self,
        layer: eval::Layer,
        effect: Effect,
    ) -> impl Iterator<Item = &eval::StatementResult<'_>> {
        self.eval.statements.iter().filter(move |r| {
            r.layer == layer && r.statement.effect == effect && r.applies != Tri::False
        })
    }
}

/// The outcome of "can the role do `action` on the key?" (EKM302, EKM303).
pub fn crypto_outcome(cx: &Cx<'_>, action: &str, path: &PathResult<'_>) -> Outcome {
    let d = match path {
        PathResult::Undecidable(o) => {
            // Lint without the role's or the key's ARN cannot evaluate the exact request, but a
            // permissions policy that allows the action on no key at all fails whatever they are.
            if cx.inputs.lint && o.status == super::Status::Skipped {
                if let Some(f) = allows_on_no_key(cx, action) {
                    return f;
                }
            }
            return o.clone();
        }
        PathResult::Decided(d) => d,
    };
    let key = &d.request.resource;
    let role = cx.role_arn().unwrap_or_default();
    let deciding: Vec<Evidence> = d
        .eval
        .deciding()
        .map(|r| cx.evidence(r.policy, r.statement))
        .collect();
    match d.allowed {
        Tri::True => {
            let how = if d.eval.allowed.is_true() {
                "allowed by its policies".to_string()
            } else {
                "allowed by a grant".to_string()
            };
            Outcome::pass(format!("the role can call {action} on {key}: {how}")).evidences(deciding)
        }
        Tri::Unknown => {
            let on = if d.eval.depends_on.is_empty() && d.grant == Tri::Unknown {
                "a grant's encryption-context constraints".to_string()
            } else {
                d.eval.depends_on.join(", ")
            };
            Outcome::unknown(format!(
                "whether the role can call {action} on {key} depends on {on}, which OpenAI's request may or may not satisfy"
            ))
            .evidences(deciding)
            .fix(if d.eval.depends_on.is_empty() && d.grant == Tri::Unknown {
                format!(
                    "remove the grant's encryption-context constraints; {}",
                    super::support_keypolicy::settle(&["kms:EncryptionContext:*".to_string()])
                )
            } else {
                format!(
                    "remove the condition; {}",
                    super::support_keypolicy::settle(&d.eval.depends_on)
                )
            })
        }
        Tri::False => {
            if d.eval.denied.is_true() {
                let first = d.eval.deciding().next();
                let at = first
                    .map(|r| eval::locate(r.policy, r.statement))
                    .unwrap_or_default();
                return Outcome::fail(format!("the role cannot call {action} on {key}: denied by {at}"))
                    .evidences(deciding)
                    .fix("remove the Deny statement, or narrow it (e.g. with a condition) so that it does not match the role's session");
            }
            let mut why = Vec::new();
            let identity_allows = d
                .applying(eval::Layer::Identity, Effect::Allow)
                .any(|r| r.applies.is_true());
            let key_direct = d.applying(eval::Layer::Resource, Effect::Allow).any(|r| {
                r.applies.is_true()
                    && r.principal_match != Some(crate::policy::principal::PrincipalMatch::Account)
            });
            let key_account = d.applying(eval::Layer::Resource, Effect::Allow).any(|r| {
                r.applies.is_true()
                    && r.principal_match == Some(crate::policy::principal::PrincipalMatch::Account)
            });
            let boundary_blocks = d.eval.layers.boundary == Some(Tri::False);
            let mut fixes = Vec::new();
            // Cross-account, the role's own policies must allow even when the key policy names it.
            if !identity_allows && (!key_direct || d.eval.cross_account) {
                why.push("no identity policy of the role allows it".to_string());
                fixes.push(format!(
                    "add this statement to the role's permissions policy:\n{}",
                    super::fixes::pretty(&super::fixes::identity_statement(key))
                ));
            }
            if !key_direct && !key_account {
                why.push(if d.eval.cross_account {
                    "the key is in another account, and its key policy allows neither the role nor the role's account".to_string()
                } else {
                    "the key policy neither names the role nor delegates to the account".to_string()
                });
                fixes.push(format!(
                    "add this statement to the key policy:\n{}",
                    super::fixes::pretty(&super::fixes::key_policy_statement(role))
                ));
            }
            if boundary_blocks {
                why.push("the permissions boundary does not allow it (see EKM307)".to_string());
            }
            if why.is_empty() {
                why.extend(d.eval.summary());
            }
            // ARNs match case-sensitively: a Resource that differs from the key's ARN only in
            // letter case (an upper-case key id) names no key at all.
            if let Some(r) = d
                .eval
                .statements
                .iter()
                .filter(|r| r.statement.effect == Effect::Allow)
                .filter_map(|r| r.statement.resource.as_ref())
                .flat_map(|m| m.raw.iter())
                .find(|raw| raw.as_str() != key && raw.eq_ignore_ascii_case(key))
            {
                why.push(format!(
                    "Resource \"{r}\" differs from the key's ARN only in letter case, and ARNs match case-sensitively (key ids are lower-case)"
                ));
            }
            // Point at the statements that were closest: Allows for KMS that did not match.
            let near: Vec<Evidence> = d
                .eval
                .statements
                .iter()
                .filter(|r| r.statement.effect == Effect::Allow && r.applies == Tri::False)
                .filter(|r| {
                    !matches!(
                        r.reason,
                        eval::Reason::ActionNotMatched | eval::Reason::PrincipalNotMatched
                    )
                })
                .map(|r| cx.evidence(r.policy, r.statement))
                .collect();
            let mut o = Outcome::fail(format!(
                "the role cannot call {action} on {key}: {}",
                why.join("; ")
            ))
            .evidences(near);
            if !fixes.is_empty() {
                o = o.fix(fixes.join("\n"));
            }
            o
        }
    }
}
