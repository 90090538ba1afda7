//! The evaluator: would AWS allow this request, given these policies?
//!
//! It follows AWS's policy evaluation logic: an explicit Deny anywhere wins; SCPs and a permissions
//! boundary must allow; and whether identity policies, the resource policy, or both are needed
//! depends on the service and on whether the call crosses accounts. KMS key policies gate IAM: an
//! identity policy counts only when the key policy delegates to the account. A role's trust
//! policy must name the caller for `sts:AssumeRole`, even in the same account. An alias
//! operation on an alias ARN is decided by IAM policies alone on the alias, and by each touched
//! key's policy on that key ([`evaluate_with_targets`]). IAM's own refusals (a customer modifying
//! a service-linked or AWS-reserved role, an alias of another account) deny whatever the
//! policies say, and the explanation cites AWS's page.
//!
//! Conditions on context keys marked unknown are undecided, and the result is then "depends on"
//! those keys (Kleene three-valued logic), so that a rule never claims more than it knows.

pub mod batch;
pub mod context;
pub mod request;
pub mod tri;

use std::fmt::Write as _;

use crate::policy::pattern::arn_parts;
use crate::policy::principal::{Principal, PrincipalMatch};
use crate::policy::{Effect, Policy, Statement};
pub use context::{Context, Lookup};
pub use tri::Tri;

/// A request to decide.
#[derive(Debug, Clone)]
pub struct Request {
    pub principal: Principal,
    pub action: String,
    action_lc: String,
    pub resource: String,
    pub context: Context,
}

impl Request {
    /// Build a request and derive the context keys AWS sets from the request itself
    /// (`aws:PrincipalArn`, `aws:PrincipalAccount`, and `kms:CallerAccount` for KMS actions),
    /// unless the context already gives them or marks them unknown.
    pub fn new(
        principal: Principal,
        action: &str,
        resource: &str,
        mut context: Context,
    ) -> Request {
        if let Some(arn) = principal.principal_arn() {
            context.set_default("aws:PrincipalArn", arn);
        }
        if let Some(acct) = principal.account() {
            context.set_default("aws:PrincipalAccount", acct.to_string());
            if action.to_ascii_lowercase().starts_with("kms:") {
                context.set_default("kms:CallerAccount", acct.to_string());
            }
        }
        Request {
            principal,
            action: action.to_string(),
            action_lc: action.to_ascii_lowercase(),
            resource: resource.to_string(),
            context,
        }
    }

    pub fn action_lc(&self) -> &str {
        &self.action_lc
    }

    /// The account in the resource ARN, if it has one.
    pub fn resource_account(&self) -> Option<&str> {
        arn_parts(&self.resource)
            .map(|p| p[4])
            .filter(|a| !a.is_empty())
    }

    /// Does the request cross accounts? A service principal acts for the resource's owner: only
    /// the resource policy decides, as in the same account. So it does for an anonymous caller,
    /// which has no identity policies: a resource policy allowing `*` is public access
    /// (reference_policies_elements_principal, "All principals").
    pub fn is_cross_account(&self) -> bool {
        if matches!(self.principal, Principal::Service(_) | Principal::Anonymous) {
            return false;
        }
        match (self.principal.account(), self.resource_account()) {
            (Some(p), Some(r)) => p != r,
            (None, Some(_)) => true,
            _ => false,
        }
    }
}

/// Whose identity policies decide the caller's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallerSide {
    /// The given identity policies (an empty list allows nothing).
    Policies,
    /// The caller's own account is outside this check (OpenAI's principal): assume it allows.
    AssumedAllowed,
}

/// The documents that apply to a request.
#[derive(Debug, Clone)]
pub struct PolicySet<'a> {
    pub identity: Vec<&'a Policy>,
    /// The key policy for KMS, the trust policy for `sts:AssumeRole*`, else the resource's policy.
    pub resource: Option<&'a Policy>,
    /// At most one in AWS; a list for symmetry with the contract.
    pub boundaries: Vec<&'a Policy>,
    /// Organization levels from the root down to the account; each level a list of documents.
    pub scps: Vec<Vec<&'a Policy>>,
    /// Resource control policies, levels from the root down to the resource's account.
    pub rcps: Vec<Vec<&'a Policy>>,
    /// Who the organization's policies bind (exemptions).
    pub org: OrgScope,
    pub caller: CallerSide,
}

/// What the evaluator needs to know of the organization to apply SCPs and RCPs as AWS does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgScope {
    /// The management account: its principals are exempt from SCPs, its resources from RCPs.
    pub management_account: Option<String>,
    /// The account whose path `scps` describe (`None`: the principal's). SCPs bind only that
    /// account's principals: never a principal of another account (OpenAI's, for one).
    pub scp_account: Option<String>,
    /// The account whose path `rcps` describe (`None`: the resource's).
    pub rcp_account: Option<String>,
    /// The resource is an AWS managed KMS key: RCPs do not restrict it.
    pub resource_aws_managed: bool,
}

/// The services whose resources RCPs restrict (the facts page: 2024-11, 2025-06, 2026-01, 2026-03).
pub const RCP_SERVICES: &[&str] = &[
    "s3",
    "sts",
    "kms",
    "sqs",
    "secretsmanager",
    "ecr",
    "aoss",
    "cognito-idp",
    "cognito-identity",
    "logs",
    "dynamodb",
];

/// Is this principal a service-linked role (or one of its sessions)? They are exempt from both
/// SCPs and RCPs.
pub fn is_service_linked(req: &Request) -> bool {
    if let Principal::Role { path, .. } = &req.principal {
        if path.starts_with("/aws-service-role/") {
            return true;
        }
    }
    match req.context.lookup("aws:principalarn") {
        Lookup::Present(v) => v.iter().any(|a| a.contains(":role/aws-service-role/")),
        _ => false,
    }
}

/// Why the SCPs given do not bind this request's principal (`None`: they do).
pub fn scp_exemption(req: &Request, org: &OrgScope) -> Option<String> {
    let acct = req.principal.account();
    match &req.principal {
        Principal::Service(s) => {
            return Some(format!(
                "{s} is a service principal, outside every organization's SCPs"
            ));
        }
        Principal::Anonymous => return Some("an anonymous caller belongs to no account".into()),
        _ => {}
    }
    if is_service_linked(req) {
        return Some("service-linked roles are exempt from SCPs".into());
    }
    if let (Some(m), Some(a)) = (&org.management_account, acct) {
        if m == a {
            return Some(format!(
                "{a} is the management account, whose principals SCPs do not restrict"
            ));
        }
    }
    if let (Some(s), Some(a)) = (&org.scp_account, acct) {
        if s != a {
            return Some(format!(
                "the principal's account {a} is not {s}, the member account these SCPs are attached above: SCPs bind only the principals of their own organization's member accounts"
            ));
        }
    }
    None
}

/// Why the RCPs given do not restrict this request (`None`: they do).
pub fn rcp_exemption(req: &Request, org: &OrgScope) -> Option<String> {
    let service = req.action_lc().split(':').next().unwrap_or("");
    if !RCP_SERVICES.contains(&service) {
        return Some(format!(
            "RCPs do not apply to {service} (they restrict {})",
            RCP_SERVICES.join(", ")
        ));
    }
    if req.action_lc() == "kms:retiregrant" {
        return Some("kms:RetireGrant is not restricted by RCPs".into());
    }
    if is_service_linked(req) {
        return Some("service-linked roles are exempt from RCPs".into());
    }
    if org.resource_aws_managed {
        return Some("AWS managed keys are not restricted by RCPs".into());
    }
    let acct = req.resource_account();
    if let (Some(m), Some(a)) = (&org.management_account, acct) {
        if m == a {
            return Some(format!(
                "{a} is the management account, whose resources RCPs do not restrict"
            ));
        }
    }
    if let (Some(r), Some(a)) = (&org.rcp_account, acct) {
        if r != a {
            return Some(format!(
                "the resource's account {a} is not {r}, the account these RCPs are attached above"
            ));
        }
    }
    None
}

/// AWS's page on who may manage aliases: the alias by IAM policies, each key by its key policy.
pub const ALIAS_ACCESS_DOC: &str =
    "https://docs.aws.amazon.com/kms/latest/developerguide/alias-access.html";

/// The alias operations whose resource can be an alias ARN.
const ALIAS_ACTIONS: &[&str] = &["kms:createalias", "kms:updatealias", "kms:deletealias"];

/// Is this `kms:CreateAlias`, `kms:UpdateAlias` or `kms:DeleteAlias` on an alias ARN
/// (`arn:aws:kms:REGION:ACCOUNT:alias/NAME`)? An alias has no key policy: the caller's IAM
/// policies alone decide the alias part, and each key the operation touches is a request of its
/// own, gated by that key's policy (see [`evaluate_with_targets`]).
pub fn is_alias_management(req: &Request) -> bool {
    ALIAS_ACTIONS.contains(&req.action_lc())
        && arn_parts(&req.resource).is_some_and(|p| p[2] == "kms" && p[5].starts_with("alias/"))
}

/// Is this ARN a KMS key's (`arn:…:kms:REGION:ACCOUNT:key/ID`)?
pub fn is_kms_key_arn(arn: &str) -> bool {
    arn_parts(arn).is_some_and(|p| p[0] == "arn" && p[2] == "kms" && p[5].starts_with("key/"))
}

/// The IAM role operations IAM refuses to customers on a service-linked role
/// (`UnmodifiableEntity`), with their API names. Editing the description (`UpdateRole`,
/// `UpdateRoleDescription`) stays allowed, as do tagging and `iam:PassRole`.
const SERVICE_LINKED_REFUSED: &[&str] = &[
    "DeleteRole",
    "UpdateAssumeRolePolicy",
    "PutRolePolicy",
    "DeleteRolePolicy",
    "AttachRolePolicy",
    "DetachRolePolicy",
    "PutRolePermissionsBoundary",
    "DeleteRolePermissionsBoundary",
];

/// On the other AWS-reserved roles (`/aws-reserved/`, e.g. IAM Identity Center's
/// `AWSReservedSSO_*`), IAM also refuses editing the role itself.
const RESERVED_ALSO_REFUSED: &[&str] = &["UpdateRole", "UpdateRoleDescription"];

/// Why IAM refuses this request whatever the policies say, when the resource is a role AWS owns:
/// a service-linked role (path `/aws-service-role/`) or another AWS-reserved role (path
/// `/aws-reserved/`), modified by a customer principal. The owning service (a service principal,
/// or a service-linked role's session) is not refused.
pub fn aws_owned_role_refusal(req: &Request) -> Option<String> {
    let op = req.action_lc().strip_prefix("iam:")?;
    let Ok(Principal::Role { path, name, .. }) = Principal::parse(&req.resource) else {
        return None;
    };
    if matches!(req.principal, Principal::Service(_)) || is_service_linked(req) {
        return None;
    }
    let find = |list: &[&'static str]| list.iter().copied().find(|a| a.eq_ignore_ascii_case(op));
    if path.starts_with("/aws-service-role/") {
        let api = find(SERVICE_LINKED_REFUSED)?;
        let delete = if api == "DeleteRole" {
            " (a service-linked role is deleted with iam:DeleteServiceLinkedRole, once the service no longer uses it)"
        } else {
            ""
        };
        return Some(format!(
            "refused: {name} is a service-linked role (path {path}): IAM rejects iam:{api} from customers with UnmodifiableEntity whatever the policies say; only the linked service modifies it{delete} (https://docs.aws.amazon.com/IAM/latest/APIReference/API_{api}.html, https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html)"
        ));
    }
    if path.starts_with("/aws-reserved/") {
        let api = find(SERVICE_LINKED_REFUSED).or_else(|| find(RESERVED_ALSO_REFUSED))?;
        return Some(format!(
            "refused: {name} is an AWS-reserved role (path {path}), which only its AWS service modifies (IAM Identity Center through its service-linked role, AWSSSOServiceRolePolicy): IAM rejects iam:{api} from customers with UnmodifiableEntity (\"Cannot perform the operation on the protected role\") whatever the policies say; change the permission set instead (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSSSOServiceRolePolicy.html, https://docs.aws.amazon.com/IAM/latest/APIReference/API_{api}.html)"
        ));
    }
    None
}

impl<'a> PolicySet<'a> {
    pub fn new() -> Self {
        PolicySet {
            identity: Vec::new(),
            resource: None,
            boundaries: Vec::new(),
            scps: Vec::new(),
            rcps: Vec::new(),
            org: OrgScope::default(),
            caller: CallerSide::Policies,
        }
    }
}

impl Default for PolicySet<'_> {
    fn default() -> Self {
        Self::new()
    }
}

/// Which layer a statement belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    Identity,
    Resource,
    Boundary,
    Scp { level: usize },
    Rcp { level: usize },
}

impl Layer {
    /// An organization policy's level: "root", or its index from the root.
    pub fn org_level(self) -> Option<usize> {
        match self {
            Layer::Scp { level } | Layer::Rcp { level } => Some(level),
            _ => None,
        }
    }
}

/// Why a statement did not apply, or that it did.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    Applies,
    PrincipalNotMatched,
    ActionNotMatched,
    ResourceNotMatched,
    /// Resource depends on a policy variable whose key is unknown.
    ResourceUndecided,
    /// This condition (index into the statement's conditions) is false.
    ConditionFalse(usize),
    /// These conditions are undecided (unknown keys or unknown operators); the rest hold.
    ConditionsUndecided(Vec<usize>),
}

/// The outcome of one statement.
#[derive(Debug, Clone)]
pub struct StatementResult<'a> {
    pub layer: Layer,
    pub policy: &'a Policy,
    pub statement: &'a Statement,
    pub applies: Tri,
    pub reason: Reason,
    pub principal_match: Option<PrincipalMatch>,
}

/// The three decisions of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    ExplicitDeny,
    ImplicitDeny,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allowed => "allowed",
            Decision::ExplicitDeny => "explicit_deny",
            Decision::ImplicitDeny => "implicit_deny",
        }
    }
}

/// The answer, with everything needed to explain it.
#[derive(Debug, Clone)]
pub struct Evaluation<'a> {
    /// `True`: allowed; `False`: denied; `Unknown`: depends on `depends_on`.
    pub allowed: Tri,
    /// Is there an explicit deny (`Unknown`: one hinges on an unknown key)?
    pub denied: Tri,
    /// `None` when the answer depends on unknown context.
    pub decision: Option<Decision>,
    /// Context keys (as written in the policies) the answer hinges on.
    pub depends_on: Vec<String>,
    pub statements: Vec<StatementResult<'a>>,
    /// How each layer answered.
    pub layers: Layers,
    pub cross_account: bool,
    /// For an alias operation, the keys it touches, each decided on its own (empty otherwise).
    /// When present, `allowed`, `denied`, `decision` and `depends_on` combine every part.
    pub targets: Vec<TargetEvaluation<'a>>,
}

/// How each layer answered, for explanations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layers {
    /// Do the identity policies allow (as given; see `caller`)?
    pub identity: Tri,
    pub caller: CallerSide,
    /// `None`: no permissions boundary.
    pub boundary: Option<Tri>,
    /// `None`: no SCPs given, or they do not bind the request (see `scp_exempt`).
    pub scp: Option<Tri>,
    /// Why the SCPs given do not bind the principal.
    pub scp_exempt: Option<String>,
    /// `None`: no RCPs given, or they do not restrict the request (see `rcp_exempt`).
    pub rcp: Option<Tri>,
    /// Why the RCPs given do not restrict the request.
    pub rcp_exempt: Option<String>,
    /// Does the resource policy allow the principal by its own ARN (or `*`)?
    pub resource_direct: Tri,
    /// Does the resource policy allow the principal's account (delegation)?
    pub resource_account: Tri,
    pub has_resource_policy: bool,
    /// KMS or AssumeRole without a key or trust policy: nothing can allow.
    pub missing_resource_policy: bool,
    pub needs_resource_policy: bool,
    /// "key policy", "trust policy", "resource policy", or "alias" for an alias operation on an
    /// alias ARN.
    pub service_label: &'static str,
    /// kms:CreateAlias/UpdateAlias/DeleteAlias on an alias ARN: IAM policies alone decide.
    pub alias: bool,
    /// A resource policy was given for an alias, which has none: it was not consulted.
    pub ignored_resource_policy: bool,
    /// IAM refuses the request whatever the policies say (an AWS-owned role, an alias of another
    /// account): why, with AWS's documentation.
    pub refusal: Option<String>,
}

struct Acc {
    has_boundary: bool,
    deny: Tri,
    identity: Tri,
    res_exact: Tri,
    res_role: Tri,
    res_account: Tri,
    boundary: Tri,
    scp_levels: Vec<Tri>,
    rcp_levels: Vec<Tri>,
}

/// Decide `req` against `set`.
pub fn evaluate<'a>(req: &Request, set: &PolicySet<'a>) -> Evaluation<'a> {
    let mut statements = Vec::with_capacity(16);
    let mut acc = Acc {
        has_boundary: !set.boundaries.is_empty(),
        deny: Tri::False,
        identity: Tri::False,
        res_exact: Tri::False,
        res_role: Tri::False,
        res_account: Tri::False,
        boundary: if set.boundaries.is_empty() {
            Tri::True
        } else {
            Tri::False
        },
        scp_levels: Vec::new(),
        rcp_levels: Vec::new(),
    };
    let scp_exempt = (!set.scps.is_empty())
        .then(|| scp_exemption(req, &set.org))
        .flatten();
    let rcp_exempt = (!set.rcps.is_empty())
        .then(|| rcp_exemption(req, &set.org))
        .flatten();
    if scp_exempt.is_none() {
        acc.scp_levels = vec![Tri::False; set.scps.len()];
    }
    if rcp_exempt.is_none() {
        acc.rcp_levels = vec![Tri::False; set.rcps.len()];
    }
    for p in &set.identity {
        run_policy(req, p, Layer::Identity, &mut acc, &mut statements);
    }
    // An alias has no key policy: a document given as the resource policy is not consulted.
    let alias = is_alias_management(req);
    if let Some(p) = set.resource.filter(|_| !alias) {
        run_policy(req, p, Layer::Resource, &mut acc, &mut statements);
    }
    for p in &set.boundaries {
        run_policy(req, p, Layer::Boundary, &mut acc, &mut statements);
    }
    if scp_exempt.is_none() {
        for (level, docs) in set.scps.iter().enumerate() {
            for p in docs {
                run_policy(req, p, Layer::Scp { level }, &mut acc, &mut statements);
            }
        }
    }
    if rcp_exempt.is_none() {
        for (level, docs) in set.rcps.iter().enumerate() {
            for p in docs {
                run_policy(req, p, Layer::Rcp { level }, &mut acc, &mut statements);
            }
        }
    }

    let cross = req.is_cross_account();
    let identity = match set.caller {
        CallerSide::Policies => acc.identity,
        CallerSide::AssumedAllowed => Tri::True,
    };
    let boundary = acc.boundary;
    let scp = Tri::all(acc.scp_levels.iter().copied());
    let rcp = Tri::all(acc.rcp_levels.iter().copied());
    let action = req.action_lc();
    let (service_label, needs_resource_policy) = if alias {
        ("alias", false)
    } else if action.starts_with("kms:") {
        ("key policy", true)
    } else if action.starts_with("sts:assumerole") {
        ("trust policy", true)
    } else {
        ("resource policy", false)
    };
    let any_resource = acc.res_exact | acc.res_role | acc.res_account;
    let direct = acc.res_exact | (acc.res_role & boundary);
    let missing_resource_policy = needs_resource_policy && set.resource.is_none();
    // IAM's own refusals: a customer modifying a role AWS owns; an alias of another account
    // (CreateAlias, UpdateAlias, DeleteAlias: "Cross-account use: No").
    let refusal = aws_owned_role_refusal(req).or_else(|| {
        (alias && cross).then(|| {
            format!(
                "refused: {} cannot be performed on an alias in another account (KMS: \"Cross-account use: No\"; https://docs.aws.amazon.com/kms/latest/APIReference/API_{}.html)",
                req.action,
                req.action.split(':').nth(1).unwrap_or_default()
            )
        })
    });
    let allow = if missing_resource_policy || refusal.is_some() {
        Tri::False
    } else if cross {
        any_resource & identity & boundary
    } else if needs_resource_policy {
        direct | (acc.res_account & identity & boundary)
    } else {
        direct | (identity & boundary)
    };
    let allowed = !acc.deny & scp & rcp & allow;
    let layers = Layers {
        identity: acc.identity,
        caller: set.caller,
        boundary: (!set.boundaries.is_empty()).then_some(boundary),
        scp: (!acc.scp_levels.is_empty()).then_some(scp),
        scp_exempt,
        rcp: (!acc.rcp_levels.is_empty()).then_some(rcp),
        rcp_exempt,
        resource_direct: acc.res_exact | acc.res_role,
        resource_account: acc.res_account,
        has_resource_policy: set.resource.is_some() && !alias,
        missing_resource_policy,
        needs_resource_policy,
        service_label,
        alias,
        ignored_resource_policy: alias && set.resource.is_some(),
        refusal,
    };

    let decision = if acc.deny.is_true() {
        Some(Decision::ExplicitDeny)
    } else {
        match allowed {
            Tri::True => Some(Decision::Allowed),
            Tri::False => Some(Decision::ImplicitDeny),
            Tri::Unknown => None,
        }
    };
    let mut depends_on: Vec<String> = Vec::new();
    if decision.is_none() {
        for r in &statements {
            if r.applies != Tri::Unknown {
                continue;
            }
            match &r.reason {
                Reason::ConditionsUndecided(idx) => {
                    for &i in idx {
                        let c = &r.statement.conditions[i];
                        let name = if c.operator.is_none() {
                            format!("{} (unsupported operator)", c.operator_name)
                        } else {
                            c.key.clone()
                        };
                        if !depends_on.iter().any(|d| d.eq_ignore_ascii_case(&name)) {
                            depends_on.push(name);
                        }
                    }
                }
                Reason::ResourceUndecided => {
                    if let Some(m) = &r.statement.resource {
                        for p in &m.patterns {
                            for v in p.vars() {
                                if !depends_on.iter().any(|d| d.eq_ignore_ascii_case(v)) {
                                    depends_on.push(v.to_string());
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    Evaluation {
        allowed,
        denied: acc.deny,
        decision,
        depends_on,
        statements,
        layers,
        cross_account: cross,
        targets: Vec::new(),
    }
}

/// A KMS key that an alias operation also touches: the key `kms:CreateAlias` associates, the
/// key `kms:DeleteAlias` detaches, the current and the new key of `kms:UpdateAlias`.
#[derive(Debug, Clone)]
pub struct TargetKey<'a> {
    pub resource: String,
    /// That key's policy (`None`: not given, and then nothing allows on the key).
    pub key_policy: Option<&'a Policy>,
}

/// The decision on one target key, with its request (the alias request, on the key).
#[derive(Debug, Clone)]
pub struct TargetEvaluation<'a> {
    pub request: Request,
    pub evaluation: Evaluation<'a>,
}

/// Decide an alias operation on the alias and on every key it touches: AWS authorizes the
/// operation on each resource, so every part must allow, and a Deny on any part denies
/// (alias-access). The alias part is [`evaluate`]'s; each key part is the same request on the
/// key's ARN with the key's policy as the resource policy (the key-policy gate applies).
/// Without targets this is [`evaluate`].
pub fn evaluate_with_targets<'a>(
    req: &Request,
    set: &PolicySet<'a>,
    targets: &[TargetKey<'a>],
) -> Evaluation<'a> {
    let mut ev = evaluate(req, set);
    if targets.is_empty() {
        return ev;
    }
    for t in targets {
        let mut r = req.clone();
        r.resource = t.resource.clone();
        let mut s = set.clone();
        s.resource = t.key_policy;
        let sub = evaluate(&r, &s);
        ev.targets.push(TargetEvaluation {
            request: r,
            evaluation: sub,
        });
    }
    let parts = || std::iter::once(&ev).chain(ev.targets.iter().map(|t| &t.evaluation));
    let denied = Tri::any(parts().map(|e| e.denied));
    let allowed = Tri::all(parts().map(|e| e.allowed));
    let decision = if denied.is_true() {
        Some(Decision::ExplicitDeny)
    } else {
        match allowed {
            Tri::True => Some(Decision::Allowed),
            Tri::False => Some(Decision::ImplicitDeny),
            Tri::Unknown => None,
        }
    };
    let mut depends_on: Vec<String> = Vec::new();
    if decision.is_none() {
        for k in parts().flat_map(|e| e.depends_on.iter()) {
            if !depends_on.iter().any(|d| d.eq_ignore_ascii_case(k)) {
                depends_on.push(k.clone());
            }
        }
    }
    ev.denied = denied;
    ev.allowed = allowed;
    ev.decision = decision;
    ev.depends_on = depends_on;
    ev
}

impl Evaluation<'_> {
    /// How the layers combined, one line each.
    pub fn summary(&self) -> Vec<String> {
        let mut lines = Vec::new();
        self.summary_each(&mut String::new(), &mut |l: &mut String| {
            lines.push(std::mem::take(l))
        });
        lines
    }

    /// The lines of [`Evaluation::summary`], each built in `s` (after what it already holds)
    /// and handed to `line`, which empties `s` again: no allocation per line in a batch.
    fn summary_each(&self, s: &mut String, line: &mut dyn FnMut(&mut String)) {
        let mut emit = |s: &mut String, parts: &[&str]| {
            for p in parts {
                s.push_str(p);
            }
            line(s);
        };
        let l = &self.layers;
        let label = l.service_label;
        if let Some(why) = &l.refusal {
            emit(s, &[why]);
        }
        if l.alias {
            emit(
                s,
                &[
                    "alias resource: an alias has no key policy, so the caller's identity policies alone decide the alias part (",
                    ALIAS_ACCESS_DOC,
                    ")",
                ],
            );
            if l.ignored_resource_policy {
                emit(
                    s,
                    &[
                        "the resource policy given is not consulted for the alias: a key policy governs its key (give the key under target_keys)",
                    ],
                );
            }
            if self.targets.is_empty() {
                emit(
                    s,
                    &[
                        "the key(s) the operation touches were not given (target_keys): their key policies must allow it too, and are not decided here",
                    ],
                );
            }
        }
        if l.missing_resource_policy {
            let needs = if label == "key policy" {
                "KMS"
            } else {
                "sts:AssumeRole"
            };
            emit(
                s,
                &[
                    "no ",
                    label,
                    " was given: ",
                    needs,
                    " requires one to allow the request",
                ],
            );
        }
        if self.denied != Tri::False {
            emit(
                s,
                &[
                    "an explicit Deny ",
                    if self.denied.is_true() {
                        "applies: it overrides every Allow"
                    } else {
                        "may apply, depending on unknown context"
                    },
                ],
            );
        }
        const EVERY_LEVEL: (&str, &str) = ("every level allows", "a level does not allow");
        if let Some(scp) = l.scp {
            emit(
                s,
                &[
                    "service control policies: ",
                    tri_word(scp, EVERY_LEVEL.0, EVERY_LEVEL.1),
                    tri_tail(scp),
                ],
            );
        }
        if let Some(why) = &l.scp_exempt {
            emit(s, &["service control policies: do not apply (", why, ")"]);
        }
        if let Some(rcp) = l.rcp {
            emit(
                s,
                &[
                    "resource control policies: ",
                    tri_word(rcp, EVERY_LEVEL.0, EVERY_LEVEL.1),
                    tri_tail(rcp),
                ],
            );
        }
        if let Some(why) = &l.rcp_exempt {
            emit(s, &["resource control policies: do not apply (", why, ")"]);
        }
        if let Some(b) = l.boundary {
            let (yes, no) = (
                "allows",
                "does not allow (it caps identity policies and grants to the role ARN)",
            );
            emit(
                s,
                &["permissions boundary: ", tri_word(b, yes, no), tri_tail(b)],
            );
        }
        match l.caller {
            CallerSide::Policies => emit(
                s,
                &[
                    "identity policies: ",
                    tri_word(l.identity, "allow", "do not allow"),
                    tri_tail(l.identity),
                ],
            ),
            CallerSide::AssumedAllowed => emit(
                s,
                &[
                    "identity policies: the caller's own account is outside this check; assumed to allow",
                ],
            ),
        }
        if l.has_resource_policy {
            let how = if l.resource_direct.is_true() {
                "allows the principal directly"
            } else if l.resource_account.is_true() {
                "delegates to the principal's account (identity policies must allow too)"
            } else if (l.resource_direct | l.resource_account) == Tri::Unknown {
                "may allow, depending on unknown context"
            } else {
                "does not allow the principal or its account"
            };
            emit(s, &[label, ": ", how]);
        }
        if self.cross_account && !l.alias {
            emit(
                s,
                &[
                    "cross-account request: the ",
                    label,
                    " and the caller's identity policies must both allow",
                ],
            );
        } else if l.needs_resource_policy {
            emit(
                s,
                &[
                    "same account: the ",
                    label,
                    " must allow the principal directly, or delegate to the account and identity policies allow",
                ],
            );
        }
    }
}

/// `yes` or `no` by `t`; for an unknown `t`, `yes` followed by [`tri_tail`].
fn tri_word<'s>(t: Tri, yes: &'s str, no: &'s str) -> &'s str {
    match t {
        Tri::True | Tri::Unknown => yes,
        Tri::False => no,
    }
}

/// What follows [`tri_word`]'s word.
fn tri_tail(t: Tri) -> &'static str {
    match t {
        Tri::Unknown => " only if unknown context permits",
        _ => "",
    }
}

fn run_policy<'a>(
    req: &Request,
    policy: &'a Policy,
    layer: Layer,
    acc: &mut Acc,
    out: &mut Vec<StatementResult<'a>>,
) {
    for st in &policy.statements {
        let (applies, reason, pm) = eval_statement(req, st, layer, acc.has_boundary);
        if applies != Tri::False {
            match (st.effect, layer) {
                (Effect::Deny, _) => acc.deny = acc.deny | applies,
                (Effect::Allow, Layer::Identity) => acc.identity = acc.identity | applies,
                (Effect::Allow, Layer::Boundary) => acc.boundary = acc.boundary | applies,
                (Effect::Allow, Layer::Scp { level }) => {
                    acc.scp_levels[level] = acc.scp_levels[level] | applies
                }
                (Effect::Allow, Layer::Rcp { level }) => {
                    acc.rcp_levels[level] = acc.rcp_levels[level] | applies
                }
                (Effect::Allow, Layer::Resource) => match pm {
                    Some(PrincipalMatch::Exact) => acc.res_exact = acc.res_exact | applies,
                    Some(PrincipalMatch::Role) => acc.res_role = acc.res_role | applies,
                    Some(PrincipalMatch::Account) => acc.res_account = acc.res_account | applies,
                    None => {}
                },
            }
        }
        out.push(StatementResult {
            layer,
            policy,
            statement: st,
            applies,
            reason,
            principal_match: pm,
        });
    }
}

/// Does one statement apply to the request?
///
/// `has_boundary`: the principal has a permissions boundary (a Deny with `NotPrincipal` then
/// always applies to it, as AWS documents).
pub fn eval_statement(
    req: &Request,
    st: &Statement,
    layer: Layer,
    has_boundary: bool,
) -> (Tri, Reason, Option<PrincipalMatch>) {
    let mut pm = None;
    if layer == Layer::Resource {
        let Some(pr) = &st.principal else {
            return (Tri::False, Reason::PrincipalNotMatched, None);
        };
        if pr.negated {
            // AWS checks the principal's own identity and its account against NotPrincipal.
            // A Deny spares only a principal whose identity and account are both listed (and
            // never one with a permissions boundary); an Allow, to be safe, excludes a principal
            // when either is listed. `*` lists every principal and its account: a Deny with
            // NotPrincipal `*` spares everyone (but a principal with a boundary), an Allow with
            // it matches nobody.
            let entity = pr
                .entries
                .iter()
                .any(|e| e.pattern.lists_entity(&req.principal));
            let account = pr
                .entries
                .iter()
                .any(|e| e.pattern.lists_account(&req.principal));
            let accountless = matches!(
                req.principal,
                Principal::Root { .. } | Principal::Anonymous | Principal::Service(_)
            );
            let excluded = match st.effect {
                Effect::Deny => entity && (account || accountless) && !has_boundary,
                Effect::Allow => entity || account,
            };
            if excluded {
                return (Tri::False, Reason::PrincipalNotMatched, None);
            }
            pm = Some(PrincipalMatch::Exact);
        } else {
            pm = pr
                .entries
                .iter()
                .filter_map(|e| e.pattern.matches(&req.principal))
                .max();
            if pm.is_none() {
                return (Tri::False, Reason::PrincipalNotMatched, None);
            }
        }
    }
    let action_hit = st
        .action
        .patterns
        .iter()
        .any(|p| p.matches(req.action_lc(), &req.context).is_true());
    if action_hit == st.action.negated {
        return (Tri::False, Reason::ActionNotMatched, pm);
    }
    let mut resource_ok = Tri::True;
    if let Some(r) = &st.resource {
        let hit = Tri::any(
            r.patterns
                .iter()
                .map(|p| p.matches_arn(&req.resource, &req.context)),
        );
        resource_ok = if r.negated { !hit } else { hit };
        if resource_ok == Tri::False {
            return (Tri::False, Reason::ResourceNotMatched, pm);
        }
    }
    let mut undecided: Vec<usize> = Vec::new();
    for (i, c) in st.conditions.iter().enumerate() {
        match c.eval(&req.context) {
            Tri::True => {}
            Tri::False => return (Tri::False, Reason::ConditionFalse(i), pm),
            Tri::Unknown => undecided.push(i),
        }
    }
    if !undecided.is_empty() {
        return (Tri::Unknown, Reason::ConditionsUndecided(undecided), pm);
    }
    if resource_ok == Tri::Unknown {
        return (Tri::Unknown, Reason::ResourceUndecided, pm);
    }
    (Tri::True, Reason::Applies, pm)
}

impl Evaluation<'_> {
    /// "allowed", "explicit_deny", "implicit_deny" or "depends".
    pub fn decision_str(&self) -> &'static str {
        match self.decision {
            Some(d) => d.as_str(),
            None => "depends",
        }
    }

    /// The statements that decided the answer: Denies that apply (or may), else the Allows that do.
    pub fn deciding(&self) -> impl Iterator<Item = &StatementResult<'_>> {
        let deny = self.denied != Tri::False;
        self.statements.iter().filter(move |r| {
            r.applies != Tri::False
                && (if deny {
                    r.statement.effect == Effect::Deny
                } else {
                    true
                })
        })
    }

    /// A human explanation: the statements that apply, why the others do not, and the combination.
    pub fn explain(&self, req: &Request) -> Vec<String> {
        let mut lines = Vec::new();
        self.explain_each(req, &mut |l| lines.push(l.to_string()));
        lines
    }

    /// The lines of [`Evaluation::explain`], one at a time, built in one reused buffer (the
    /// batch writes them straight into its output).
    pub fn explain_each(&self, req: &Request, line: &mut dyn FnMut(&str)) {
        let mut s = String::with_capacity(256);
        self.explain_prefixed(req, "", &mut s, line);
    }

    fn explain_prefixed(
        &self,
        req: &Request,
        prefix: &str,
        s: &mut String,
        line: &mut dyn FnMut(&str),
    ) {
        let emit = |s: &mut String, line: &mut dyn FnMut(&str)| {
            line(s);
            s.clear();
            s.push_str(prefix);
        };
        s.clear();
        s.push_str(prefix);
        for r in &self.statements {
            describe_into(s, r, req);
            emit(s, line);
        }
        self.summary_each(s, &mut |s: &mut String| emit(s, line));
        for t in &self.targets {
            let ev = &t.evaluation;
            let _ = write!(
                s,
                "target key {}: {} ({} on the key, which its key policy gates)",
                t.request.resource,
                ev.decision_str(),
                t.request.action
            );
            emit(s, line);
            let inner = format!("{prefix}  ");
            let mut sub = String::with_capacity(256);
            ev.explain_prefixed(&t.request, &inner, &mut sub, line);
        }
        if !self.targets.is_empty() {
            let _ = write!(
                s,
                "{} is authorized on the alias and on each key it touches: every part must allow, and a Deny on any part denies ({ALIAS_ACCESS_DOC})",
                req.action
            );
            emit(s, line);
        }
        if !self.depends_on.is_empty() {
            s.push_str("the answer depends on: ");
            for (i, d) in self.depends_on.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                s.push_str(d);
            }
            emit(s, line);
        }
    }
}

/// `identity policy "file.json" statement "Sid" (/Statement/0, line 4)`
pub fn locate(policy: &Policy, st: &Statement) -> String {
    let mut s = String::with_capacity(96);
    locate_into(&mut s, policy, st);
    s
}

/// `service control policy "scp.json" at level 1 statement …`, with the level for SCPs/RCPs.
pub fn locate_in(layer: Layer, policy: &Policy, st: &Statement) -> String {
    let mut s = String::with_capacity(96);
    locate_layer_into(&mut s, layer, policy, st);
    s
}

fn locate_layer_into(s: &mut String, layer: Layer, policy: &Policy, st: &Statement) {
    match layer.org_level() {
        Some(level) => {
            s.push_str(policy.noun);
            s.push_str(" \"");
            s.push_str(&policy.source);
            s.push_str("\" ");
            if level == 0 {
                s.push_str("at the root (level 0) ");
            } else {
                let _ = write!(s, "at level {level} ");
            }
            locate_statement(s, st);
        }
        None => locate_into(s, policy, st),
    }
}

fn locate_into(s: &mut String, policy: &Policy, st: &Statement) {
    s.push_str(policy.noun);
    s.push_str(" \"");
    s.push_str(&policy.source);
    s.push_str("\" ");
    locate_statement(s, st);
}

fn locate_statement(s: &mut String, st: &Statement) {
    match &st.sid {
        Some(sid) if !sid.is_empty() => {
            s.push_str("statement \"");
            s.push_str(sid);
            s.push('"');
        }
        _ => {
            let _ = write!(s, "statement #{}", st.index + 1);
        }
    }
    s.push_str(" (");
    s.push_str(&st.pointer);
    if st.pos.line > 0 {
        s.push_str(", line ");
        s.push_str(itoa::Buffer::new().format(st.pos.line));
    }
    s.push(')');
}

/// Append the explanation line of one statement's outcome to `s`.
fn describe_into(s: &mut String, r: &StatementResult<'_>, req: &Request) {
    let st = r.statement;
    let verb = match st.effect {
        Effect::Allow => "allows",
        Effect::Deny => "denies",
    };
    // The frequent lines are built with push_str: a batch writes millions of them.
    let list = |s: &mut String, items: &mut dyn Iterator<Item = &str>| {
        s.push('[');
        for (i, x) in items.enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            s.push_str(x);
        }
        s.push(']');
    };
    match &r.reason {
        Reason::Applies => {
            s.push_str(match st.effect {
                Effect::Allow => "ALLOW: ",
                Effect::Deny => "DENY: ",
            });
            locate_layer_into(s, r.layer, r.policy, st);
            s.push(' ');
            s.push_str(verb);
            s.push(' ');
            s.push_str(&req.action);
            s.push_str(match r.principal_match {
                Some(PrincipalMatch::Account) => " (via the principal's account)",
                Some(PrincipalMatch::Role) => " (names the role)",
                Some(PrincipalMatch::Exact) => " (names the principal)",
                None => "",
            });
        }
        Reason::PrincipalNotMatched => {
            s.push_str("no match: ");
            locate_layer_into(s, r.layer, r.policy, st);
            s.push_str(": ");
            req.principal.push_to(s);
            s.push(' ');
            let neg = st.principal.as_ref().is_some_and(|p| p.negated);
            s.push_str(if neg {
                "is excluded by NotPrincipal "
            } else {
                "is not among the principals "
            });
            if let Some(p) = &st.principal {
                list(s, &mut p.entries.iter().map(|e| e.raw.as_str()));
            }
        }
        Reason::ActionNotMatched | Reason::ResourceNotMatched => {
            let (what, m) = match &r.reason {
                Reason::ActionNotMatched => (&req.action, Some(&st.action)),
                _ => (&req.resource, st.resource.as_ref()),
            };
            let neg = m.is_some_and(|m| m.negated);
            s.push_str("no match: ");
            locate_layer_into(s, r.layer, r.policy, st);
            s.push_str(": ");
            s.push_str(what);
            s.push_str(match (neg, matches!(r.reason, Reason::ActionNotMatched)) {
                (false, _) => " is not in ",
                (true, true) => " is in NotAction ",
                (true, false) => " is in NotResource ",
            });
            if let Some(m) = m {
                list(s, &mut m.raw.iter().map(String::as_str));
            }
        }
        Reason::ResourceUndecided => {
            let _ = write!(
                s,
                "undecided: {} {verb} {} only if its Resource variables resolve to {}",
                locate_in(r.layer, r.policy, st),
                req.action,
                req.resource
            );
        }
        Reason::ConditionFalse(i) => {
            let c = &st.conditions[*i];
            s.push_str("no match: ");
            locate_layer_into(s, r.layer, r.policy, st);
            s.push_str(": condition ");
            s.push_str(&c.operator_name);
            s.push(' ');
            s.push_str(&c.key);
            s.push(' ');
            push_debug_list(s, &c.raw_values);
            s.push_str(" is false (");
            match req.context.lookup(&c.key_lc) {
                Lookup::Present(v) if v.len() == 1 => {
                    s.push_str("the request has ");
                    push_debug_str(s, &v[0]);
                }
                Lookup::Present(v) => {
                    s.push_str("the request has ");
                    push_debug_list(s, v);
                }
                Lookup::Absent => s.push_str("the key is absent from the request"),
                Lookup::Unknown => s.push_str("the value is not known"),
            }
            s.push(')');
        }
        Reason::ConditionsUndecided(idx) => {
            let parts: Vec<String> = idx
                .iter()
                .map(|&i| {
                    let c = &st.conditions[i];
                    if c.operator.is_none() {
                        format!("{} is not an operator IAM knows", c.operator_name)
                    } else {
                        format!("{} {} {:?}", c.operator_name, c.key, c.raw_values)
                    }
                })
                .collect();
            let _ = write!(
                s,
                "undecided: {} {verb} {} only if {} (value not known)",
                locate_in(r.layer, r.policy, st),
                req.action,
                parts.join(" and ")
            );
        }
    }
}

/// `x` as `{:?}` writes it; printable ASCII without a quote or backslash (nearly every
/// value) directly.
fn push_debug_str(s: &mut String, x: &str) {
    if x.bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
    {
        s.push('"');
        s.push_str(x);
        s.push('"');
    } else {
        let _ = write!(s, "{x:?}");
    }
}

/// A list of strings as `{:?}` writes it: `["a", "b"]`.
fn push_debug_list(s: &mut String, xs: &[String]) {
    s.push('[');
    for (i, x) in xs.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        push_debug_str(s, x);
    }
    s.push(']');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_strings_are_written_as_the_debug_format_writes_them() {
        let cases = [
            "",
            "true",
            "10.0.0.1",
            "say \"hi\"",
            "back\\slash",
            "tab\there",
            "line\nbreak",
            "\u{7f}",
            "\u{1b}[31m",
            "é and ü",
            "\u{200b}zero width",
            "'single'",
            "{\"json\": 1}",
        ];
        for c in cases {
            let mut s = String::new();
            push_debug_str(&mut s, c);
            assert_eq!(s, format!("{c:?}"), "{c:?}");
        }
        let list: Vec<String> = cases.iter().map(|c| c.to_string()).collect();
        for n in [0, 1, 2, cases.len()] {
            let mut s = String::new();
            push_debug_list(&mut s, &list[..n]);
            assert_eq!(s, format!("{:?}", &list[..n]));
        }
    }
}
