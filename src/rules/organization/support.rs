//! The organization family's shared work: which guardrails apply to which of OpenAI's requests,
//! the requests as the facts page says they arrive, and the findings (policy, level, statement,
//! deciding condition, exact exemption).
//!
//! - OpenAI's AssumeRole meets only the RCPs on the role account's path (never the SCPs: the
//!   caller is outside the organization). Its `aws:PrincipalOrgID` is absent or another
//!   organization's, never yours: both are evaluated, and a difference makes the answer depend on
//!   `aws:PrincipalOrgID`.
//! - The session's Encrypt/Decrypt meets the SCPs on the role account's path and the RCPs on the
//!   key account's path; its `aws:PrincipalOrgID` is your organization's.

use serde_json::{Value as J, json};

use crate::eval::{
    self, CallerSide, Context, Evaluation, OrgScope, PolicySet, Request, StatementResult, Tri,
};
use crate::inputs::{OrgLevel, Organization, Part, RCP_TYPE, SCP_TYPE};
use crate::policy::pattern::arn_parts;
use crate::policy::principal::Principal;
use crate::policy::{Effect, Policy};
use crate::rules::paths::{OPENAI_ACCOUNT, OPENAI_ROLE, SESSION_NAME};
use crate::rules::{Cx, Evidence, Outcome, fixes};

/// A value of `aws:PrincipalOrgID` that is not the customer's organization (OpenAI's, unknown).
const OTHER_ORG: &str = "o-notyourorganization";

/// Which guardrail check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// EKM602: RCPs on the role account's path vs OpenAI's AssumeRole.
    RcpAssume,
    /// EKM603: SCPs on the role account's path vs the session's Encrypt/Decrypt.
    ScpCrypto,
    /// EKM604: RCPs on the key account's path vs the session's Encrypt/Decrypt.
    RcpCrypto,
}

impl Check {
    fn short(self) -> &'static str {
        match self {
            Check::ScpCrypto => "SCP",
            _ => "RCP",
        }
    }
    fn plural(self) -> &'static str {
        match self {
            Check::ScpCrypto => "SCPs",
            _ => "RCPs",
        }
    }
    fn policy_type(self) -> &'static str {
        match self {
            Check::ScpCrypto => SCP_TYPE,
            _ => RCP_TYPE,
        }
    }
}

/// The organization, or the outcome when it cannot be used (`skipped`, `unknown`, or `pass` when
/// the account is in no organization).
pub fn organization<'a>(cx: &Cx<'a>) -> Result<&'a Organization, Outcome> {
    match &cx.inputs.organization {
        Part::Present(o) if !o.in_organization => Err(Outcome::pass(
            "the account is in no AWS Organization: no SCP or RCP applies",
        )),
        Part::Present(o) => Ok(o),
        Part::Absent(r) => Err(Outcome::skipped(format!(
            "the organization's SCPs and RCPs were not looked at ({r}); a guardrail may still block OpenAI"
        ))),
        Part::Error(e) => Err(Outcome::unknown(format!(
            "whether the account is in an organization could not be read: {}; organizations:DescribeOrganization (any member account may call it) would tell",
            e.trim_end().trim_end_matches('.')
        ))),
    }
}

fn account_of(arn: &str) -> Option<String> {
    arn_parts(arn)
        .map(|p| p[4].to_string())
        .filter(|a| a.len() == 12)
}

/// The permission and credentials that read the organization's policies.
pub const READERS: &str = "organizations:ListRoots, ListParents, ListPoliciesForTarget and DescribePolicy, with credentials of the management account or a delegated administrator (--org-profile or --org-role-arn; AWSOrganizationsReadOnlyAccess covers them)";

/// `o-id/r-root/ou-…/` for `aws:PrincipalOrgPaths` / `aws:ResourceOrgPaths`.
fn org_path(org: &Organization, path: &[OrgLevel]) -> Option<String> {
    let id = org.id.as_deref()?;
    let mut s = format!("{id}/");
    for l in path {
        if l.target.starts_with("r-") || l.target.starts_with("ou-") {
            s.push_str(&l.target);
            s.push('/');
        }
    }
    Some(s)
}

fn set_tags(
    ctx: &mut Context,
    prefix: &str,
    tags: &Part<Vec<(String, String)>>,
    others_unknown: bool,
) {
    match tags {
        Part::Present(t) => {
            for (k, v) in t {
                ctx.set(&format!("{prefix}{k}"), vec![v.clone()]);
            }
            if others_unknown {
                ctx.mark_unknown(&format!("{prefix}*"));
            }
        }
        _ => ctx.mark_unknown(&format!("{prefix}*")),
    }
}

/// The verdict of the organization's policies alone.
fn org_allowed(ev: &Evaluation<'_>) -> Tri {
    !ev.denied & ev.layers.scp.unwrap_or(Tri::True) & ev.layers.rcp.unwrap_or(Tri::True)
}

/// One decided request against the guardrails.
struct Decided<'p> {
    action: &'static str,
    request: Request,
    ev: Evaluation<'p>,
    allowed: Tri,
}

/// Run `check` for the rule.
pub fn check(cx: &Cx<'_>, which: Check) -> Outcome {
    let org = match organization(cx) {
        Ok(o) => o,
        Err(o) => return o,
    };
    let oid = org.id.as_deref().unwrap_or("(id not known)");
    let Some(role_arn) = cx.role_arn() else {
        let m = "role_arn is not known: give --role-arn (or set it in ekm-check.toml)";
        return if cx.inputs.lint {
            Outcome::skipped(m)
        } else {
            Outcome::unknown(m)
        };
    };
    let Some(role_account) = account_of(role_arn) else {
        return Outcome::unknown(format!("the role ARN {role_arn} is not valid (see EKM002)"));
    };
    let key_arn = cx.key_arn();
    if which != Check::RcpAssume && key_arn.is_none() {
        if let Some(o) =
            Outcome::for_missing(&cx.inputs.key, "the key's metadata (to resolve the alias)")
        {
            return o;
        }
        let m = "kms_arn is not known: give --kms-arn (or set it in ekm-check.toml)";
        return if cx.inputs.lint {
            Outcome::skipped(m)
        } else {
            Outcome::unknown(m)
        };
    }
    let account = match which {
        Check::RcpCrypto => match key_arn.and_then(account_of) {
            Some(a) => a,
            None => return Outcome::unknown("the key ARN names no account (see EKM001)"),
        },
        _ => role_account.clone(),
    };
    let whose = match which {
        Check::RcpCrypto if account != role_account => format!("account {account} (the key's)"),
        Check::RcpCrypto => format!("account {account} (the key's and the role's)"),
        _ => format!("account {account} (the role's)"),
    };
    if !org.enabled(which.policy_type()) && cx.inputs.lint {
        return Outcome::skipped(format!(
            "no --{} was given: the {} were not checked",
            which.short().to_ascii_lowercase(),
            which.plural()
        ));
    }
    if !org.enabled(which.policy_type()) {
        return Outcome::pass(format!(
            "{} are not enabled in organization {oid} ({} is not among its policy types): none applies",
            which.plural(),
            which.policy_type()
        ));
    }
    if org.management_account_id.as_deref() == Some(account.as_str()) {
        return Outcome::pass(format!(
            "{account} is the management account of {oid}: {}",
            match which {
                Check::ScpCrypto => "SCPs do not restrict its principals",
                _ => "RCPs do not restrict its resources",
            }
        ));
    }
    if which == Check::RcpCrypto
        && cx.inputs.key.get().and_then(|k| k.str("KeyManager")) == Some("AWS")
    {
        return Outcome::pass(
            "the key is an AWS managed key: RCPs do not restrict it (see EKM104)",
        );
    }
    let path = match &org.accounts {
        Part::Present(_) => match org.path(&account) {
            Some(p) => p,
            None if cx.inputs.lint => {
                return Outcome::skipped(format!(
                    "the --scp/--rcp levels describe the role's account, and {whose} is another: its {} were not given",
                    which.plural()
                ));
            }
            None => {
                return Outcome::unknown(format!(
                    "the organization's policies for {whose} were not read (no path for it in organization.accounts); {READERS}"
                ));
            }
        },
        Part::Absent(r) => {
            return Outcome::skipped(format!(
                "the {} on the path of {whose} were not looked at ({r})",
                which.plural()
            ));
        }
        Part::Error(e) => {
            return Outcome::unknown(format!(
                "the {} on the path of {whose} could not be read: {}; {READERS}",
                which.plural(),
                e.trim_end().trim_end_matches('.')
            ));
        }
    };
    let levels: Vec<Vec<&Policy>> = path
        .iter()
        .map(|l| {
            let ps = match which {
                Check::ScpCrypto => &l.scps,
                _ => &l.rcps,
            };
            ps.iter().filter_map(|p| p.doc.policy()).collect()
        })
        .collect();
    for l in path {
        for p in match which {
            Check::ScpCrypto => &l.scps,
            _ => &l.rcps,
        } {
            if p.doc.policy().is_none() {
                return Outcome::unknown(format!(
                    "{} is not valid JSON (see EKM004)",
                    p.doc.source
                ));
            }
        }
    }
    let scope = OrgScope {
        management_account: org.management_account_id.clone(),
        scp_account: (which == Check::ScpCrypto).then(|| account.clone()),
        rcp_account: (which != Check::ScpCrypto).then(|| account.clone()),
        resource_aws_managed: false,
    };
    let mut set = PolicySet::new();
    set.caller = CallerSide::AssumedAllowed;
    set.org = scope;
    match which {
        Check::ScpCrypto => set.scps = levels,
        _ => set.rcps = levels,
    }
    let role_path = org.path(&role_account);
    let decided: Vec<Decided<'_>> = match which {
        Check::RcpAssume => {
            let Some(x) = cx.inputs.registration.external_id.as_deref() else {
                let m =
                    "external_id is not known: give --external-id (or set it in ekm-check.toml)";
                return if cx.inputs.lint {
                    Outcome::skipped(m)
                } else {
                    Outcome::unknown(m)
                };
            };
            let base = assume_context(cx, org, path, x);
            // aws:PrincipalOrgID: absent, or another organization's; never yours.
            let mut absent = base.clone();
            absent.unmark_unknown("aws:PrincipalOrgID");
            absent.unmark_unknown("aws:PrincipalOrgPaths");
            let mut other = base;
            other.set("aws:PrincipalOrgID", vec![OTHER_ORG.into()]);
            other.set(
                "aws:PrincipalOrgPaths",
                vec![format!("{OTHER_ORG}/r-notyours/")],
            );
            let principal = Principal::parse(OPENAI_ROLE).expect("constant");
            let ra = Request::new(principal.clone(), "sts:AssumeRole", role_arn, absent);
            let rb = Request::new(principal, "sts:AssumeRole", role_arn, other);
            let ea = eval::evaluate(&ra, &set);
            let eb = eval::evaluate(&rb, &set);
            let (aa, ab) = (org_allowed(&ea), org_allowed(&eb));
            let (request, ev, allowed) = if aa == ab {
                (ra, ea, aa)
            } else if aa == Tri::Unknown {
                (ra, ea, Tri::Unknown)
            } else if ab == Tri::Unknown {
                (rb, eb, Tri::Unknown)
            } else {
                // Decided both ways, differently: it hangs on aws:PrincipalOrgID.
                let mut ev = if aa == Tri::False { ea } else { eb };
                ev.depends_on.push("aws:PrincipalOrgID".into());
                (ra, ev, Tri::Unknown)
            };
            vec![Decided {
                action: "sts:AssumeRole",
                request,
                ev,
                allowed,
            }]
        }
        _ => {
            let key_arn = key_arn.expect("checked");
            let Ok(Principal::Role {
                partition, name, ..
            }) = Principal::parse(role_arn)
            else {
                return Outcome::unknown(format!("{role_arn} is not a role ARN (see EKM002)"));
            };
            let session = crate::rules::paths::session_of(&partition, &role_account, &name);
            ["kms:Encrypt", "kms:Decrypt"]
                .into_iter()
                .map(|action| {
                    let ctx = crypto_context(cx, org, role_arn, role_path, key_arn);
                    let principal = session.clone();
                    let request = Request::new(principal, action, key_arn, ctx);
                    let ev = eval::evaluate(&request, &set);
                    let allowed = org_allowed(&ev);
                    Decided {
                        action,
                        request,
                        ev,
                        allowed,
                    }
                })
                .collect()
        }
    };
    outcome(cx, which, &whose, path, &decided, role_arn, key_arn)
}

fn assume_context(
    cx: &Cx<'_>,
    org: &Organization,
    path: &[OrgLevel],
    external_id: &str,
) -> Context {
    let mut ctx = Context::default();
    ctx.set("sts:ExternalId", vec![external_id.to_string()]);
    ctx.set("aws:SecureTransport", vec!["true".into()]);
    ctx.set("aws:PrincipalType", vec!["AssumedRole".into()]);
    ctx.set("aws:PrincipalIsAWSService", vec!["false".into()]);
    ctx.set("aws:ViaAWSService", vec!["false".into()]);
    ctx.set("aws:PrincipalAccount", vec![OPENAI_ACCOUNT.into()]);
    ctx.set("sts:RoleSessionName", vec![SESSION_NAME.into()]);
    if let Some(a) = cx.role_arn().and_then(account_of) {
        ctx.set("aws:ResourceAccount", vec![a]);
    }
    match &org.id {
        Some(id) => {
            ctx.set("aws:ResourceOrgID", vec![id.clone()]);
            if let Some(p) = org_path(org, path) {
                ctx.set("aws:ResourceOrgPaths", vec![p]);
            }
        }
        None => {
            ctx.mark_unknown("aws:ResourceOrgID");
            ctx.mark_unknown("aws:ResourceOrgPaths");
        }
    }
    set_tags(&mut ctx, "aws:ResourceTag/", &cx.inputs.role_tags, false);
    for u in [
        "aws:SourceIp",
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalTag/*",
        "aws:RequestTag/*",
        "aws:TagKeys",
        "sts:TransitiveTagKeys",
        "aws:RequestedRegion",
        "aws:SourceIdentity",
        "sts:SourceIdentity",
        "aws:CurrentTime",
        "aws:EpochTime",
        "aws:TokenIssueTime",
        "aws:UserAgent",
        "aws:userid",
    ] {
        ctx.mark_unknown(u);
    }
    ctx
}

fn crypto_context(
    cx: &Cx<'_>,
    org: &Organization,
    role_arn: &str,
    role_path: Option<&[OrgLevel]>,
    key_arn: &str,
) -> Context {
    let mut ctx = crate::rules::paths::session_crypto_context(role_arn, key_arn);
    match &org.id {
        Some(id) => {
            ctx.set("aws:PrincipalOrgID", vec![id.clone()]);
            match role_path.and_then(|p| org_path(org, p)) {
                Some(p) => ctx.set("aws:PrincipalOrgPaths", vec![p]),
                None => ctx.mark_unknown("aws:PrincipalOrgPaths"),
            }
        }
        None => {
            ctx.mark_unknown("aws:PrincipalOrgID");
            ctx.mark_unknown("aws:PrincipalOrgPaths");
        }
    }
    // The key's organization: known when its account's path is in the snapshot (same org).
    let key_account = account_of(key_arn).unwrap_or_default();
    match (&org.id, org.path(&key_account)) {
        (Some(id), Some(p)) => {
            ctx.set("aws:ResourceOrgID", vec![id.clone()]);
            if let Some(s) = org_path(org, p) {
                ctx.set("aws:ResourceOrgPaths", vec![s]);
            }
        }
        _ => {
            ctx.mark_unknown("aws:ResourceOrgID");
            ctx.mark_unknown("aws:ResourceOrgPaths");
        }
    }
    // Session tags exist only when the trust policy lets OpenAI pass them (sts:TagSession).
    let tag_session = cx
        .inputs
        .trust_policy
        .get()
        .is_none_or(|d| d.text.to_ascii_lowercase().contains("sts:tagsession"));
    set_tags(
        &mut ctx,
        "aws:PrincipalTag/",
        &cx.inputs.role_tags,
        tag_session,
    );
    set_tags(&mut ctx, "aws:ResourceTag/", &cx.inputs.key_tags, false);
    for u in [
        "aws:SourceIp",
        "kms:EncryptionContext:*",
        "kms:EncryptionContextKeys",
        "aws:SourceIdentity",
        "aws:CurrentTime",
        "aws:EpochTime",
        "aws:TokenIssueTime",
        "aws:UserAgent",
        "aws:userid",
    ] {
        ctx.mark_unknown(u);
    }
    ctx
}

/// `p-abc "DenyOutside" at the root r-ab12`, from the policy's source label.
fn level_name(path: &[OrgLevel], r: &StatementResult<'_>) -> String {
    r.layer
        .org_level()
        .and_then(|i| path.get(i))
        .map(OrgLevel::describe)
        .unwrap_or_else(|| "an unknown level".into())
}

fn statement_name(r: &StatementResult<'_>) -> String {
    match &r.statement.sid {
        Some(s) if !s.is_empty() => format!("statement \"{s}\""),
        _ => format!("statement #{}", r.statement.index + 1),
    }
}

/// The conditions of a statement, each with how it came out for the request.
fn conditions(r: &StatementResult<'_>, req: &Request) -> String {
    let parts: Vec<String> = r
        .statement
        .conditions
        .iter()
        .map(|c| {
            let t = c.eval(&req.context);
            format!(
                "{} {} {:?} is {}",
                c.operator_name,
                c.key,
                c.raw_values,
                match t {
                    Tri::True => "true",
                    Tri::False => "false",
                    Tri::Unknown => "not known",
                }
            )
        })
        .collect();
    if parts.is_empty() {
        "it has no condition".into()
    } else {
        parts.join(" and ")
    }
}

fn who(which: Check) -> &'static str {
    match which {
        Check::RcpAssume => "OpenAI's",
        _ => "the role session's",
    }
}

/// The exact exemption for a Deny statement: the statement with OpenAI (or the role) left out.
fn exemption(cx: &Cx<'_>, which: Check, r: &StatementResult<'_>, role_arn: &str) -> String {
    let mut st = cx
        .doc_of(r.policy)
        .and_then(|d| d.value_at(&r.statement.pointer))
        .unwrap_or(J::Null);
    let conds = &r.statement.conditions;
    // A block like StringNotEqualsIfExists {aws:PrincipalOrgID, aws:PrincipalAccount}.
    let identity_op = conds
        .iter()
        .find(|c| {
            let k = c.key.to_ascii_lowercase();
            c.operator_name
                .to_ascii_lowercase()
                .starts_with("stringnotequals")
                && (k == "aws:principalorgid"
                    || k == "aws:principalaccount"
                    || k == "aws:principalorgpaths")
        })
        .map(|c| c.operator_name.clone());
    let network = conds.iter().any(|c| {
        let k = c.key.to_ascii_lowercase();
        k == "aws:sourceip" || k.starts_with("aws:sourcevpc") || k.starts_with("aws:vpce")
    });
    let not_action = r.statement.action.negated;
    let push = |v: &mut J, value: &str| {
        let mut vals: Vec<J> = match v.take() {
            J::Array(v) => v,
            J::Null => Vec::new(),
            one => vec![one],
        };
        vals.push(json!(value));
        *v = J::Array(vals);
    };
    let Some(obj) = st.as_object_mut() else {
        return "exempt the request from the Deny".into();
    };
    let how = match (which, identity_op) {
        (Check::RcpAssume, Some(op)) => {
            let cond = obj.entry("Condition").or_insert_with(|| json!({}));
            if let Some(block) = cond.get_mut(&op).and_then(J::as_object_mut) {
                push(
                    block.entry("aws:PrincipalAccount").or_insert(J::Null),
                    OPENAI_ACCOUNT,
                );
            }
            format!(
                "add OpenAI's account {OPENAI_ACCOUNT} to aws:PrincipalAccount in the statement's {op} block (the keys of one block are ANDed, so OpenAI is then left out)"
            )
        }
        (Check::ScpCrypto | Check::RcpCrypto, _) if not_action && !network => {
            let key = obj
                .keys()
                .find(|k| k.eq_ignore_ascii_case("NotAction"))
                .cloned()
                .unwrap_or_else(|| "NotAction".into());
            push(obj.entry(key).or_insert(J::Null), "kms:*");
            format!(
                "add \"kms:*\" to the statement's NotAction, as the AWS SCP examples and Control Tower's Region deny do (or exempt only the role: ArnNotLikeIfExists aws:PrincipalArn {role_arn})"
            )
        }
        _ => {
            let exempt = match which {
                Check::RcpAssume => OPENAI_ROLE,
                _ => role_arn,
            };
            let cond = obj.entry("Condition").or_insert_with(|| json!({}));
            if let Some(c) = cond.as_object_mut() {
                let block = c.entry("ArnNotLikeIfExists").or_insert_with(|| json!({}));
                if let Some(b) = block.as_object_mut() {
                    push(b.entry("aws:PrincipalArn").or_insert(J::Null), exempt);
                }
            }
            match which {
                Check::RcpAssume => format!(
                    "exempt OpenAI's role: ArnNotLikeIfExists aws:PrincipalArn {OPENAI_ROLE}"
                ),
                _ if network => format!(
                    "exempt the role: ArnNotLikeIfExists aws:PrincipalArn {role_arn}, or tag the role dp:exclude:network=true where the perimeter honours that tag (exempting OpenAI's account {OPENAI_ACCOUNT} does not reach these calls: your role's session makes them)"
                ),
                _ => format!(
                    "exempt the role: ArnNotLikeIfExists aws:PrincipalArn {role_arn} (exempting OpenAI's account {OPENAI_ACCOUNT} does not reach these calls: your role's session makes them)"
                ),
            }
        }
    };
    format!(
        "{how}; the statement becomes:\n{}\nthen update the policy: aws organizations update-policy --policy-id {} --content file://policy.json",
        fixes::pretty(&st),
        policy_id(r.policy)
    )
}

fn policy_id(p: &Policy) -> String {
    // The label is `SCP name (p-…) at …`.
    p.source
        .split_once(" (")
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(id, _)| id.to_string())
        .unwrap_or_else(|| "POLICY_ID".into())
}

fn outcome(
    cx: &Cx<'_>,
    which: Check,
    whose: &str,
    path: &[OrgLevel],
    decided: &[Decided<'_>],
    role_arn: &str,
    key_arn: Option<&str>,
) -> Outcome {
    let mut evidence: Vec<Evidence> = Vec::new();
    let mut seen: Vec<(usize, usize)> = Vec::new();
    let mut push_ev = |cx: &Cx<'_>, r: &StatementResult<'_>, ev: &mut Vec<Evidence>| {
        let k = (r.policy as *const Policy as usize, r.statement.index);
        if !seen.contains(&k) {
            seen.push(k);
            ev.push(cx.evidence(r.policy, r.statement));
        }
    };
    let levels_text = path
        .iter()
        .map(OrgLevel::describe)
        .collect::<Vec<_>>()
        .join(", ");
    // Fail first: a Deny that applies, else a level without an Allow.
    for d in decided.iter().filter(|d| d.allowed == Tri::False) {
        if let Some(r) =
            d.ev.statements
                .iter()
                .find(|r| r.statement.effect == Effect::Deny && r.applies == Tri::True)
        {
            push_ev(cx, r, &mut evidence);
            let msg = format!(
                "{} {} at {} {} denies {} {} on {}: {}",
                which.short(),
                r.policy
                    .source
                    .split(" at ")
                    .next()
                    .unwrap_or("")
                    .trim_start_matches("SCP ")
                    .trim_start_matches("RCP "),
                level_name(path, r),
                statement_name(r),
                who(which),
                {
                    // The same statement usually denies both KMS calls: name every one it denies.
                    let same: Vec<&str> = decided
                        .iter()
                        .filter(|o| {
                            o.ev.statements.iter().any(|x| {
                                std::ptr::eq(x.statement, r.statement) && x.applies == Tri::True
                            })
                        })
                        .map(|o| o.action)
                        .collect();
                    same.join(" and ")
                },
                d.request.resource,
                conditions(r, &d.request)
            );
            return Outcome::fail(msg)
                .evidences(evidence)
                .fix(exemption(cx, which, r, role_arn));
        }
        // No Deny: a level allows nothing.
        let allow_levels = level_allows(&d.ev, path.len());
        if let Some(i) = allow_levels.iter().position(|t| *t == Tri::False) {
            let level = &path[i];
            let fix = match which {
                Check::ScpCrypto => format!(
                    "attach FullAWSAccess at {}, or add to an SCP attached there:\n{}",
                    level.describe(),
                    fixes::pretty(
                        &json!({"Sid": "AllowOpenAIEKM", "Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": key_arn.unwrap_or("*")})
                    )
                ),
                _ => format!(
                    "attach RCPFullAWSAccess at {} (AWS attaches it at every level; it cannot be detached in a real organization)",
                    level.describe()
                ),
            };
            return Outcome::fail(format!(
                "no {} attached at {} allows {} {} on {} (every level of the path of {whose}, {levels_text}, must allow)",
                which.short(),
                level.describe(),
                who(which),
                d.action,
                d.request.resource
            ))
            .fix(fix);
        }
    }
    if let Some(d) = decided.iter().find(|d| d.allowed == Tri::Unknown) {
        let undecided: Vec<&StatementResult<'_>> =
            d.ev.statements
                .iter()
                .filter(|r| r.applies == Tri::Unknown)
                .collect();
        let mut stmts = Vec::new();
        for r in &undecided {
            push_ev(cx, r, &mut evidence);
            stmts.push(format!(
                "{} at {} {} ({})",
                r.policy.source.split(" at ").next().unwrap_or(""),
                level_name(path, r),
                statement_name(r),
                conditions(r, &d.request)
            ));
        }
        let mut keys_v: Vec<String> = d.ev.depends_on.clone();
        for r in &undecided {
            for c in &r.statement.conditions {
                if c.eval(&d.request.context) == Tri::Unknown
                    && !keys_v.iter().any(|k| k.eq_ignore_ascii_case(&c.key))
                {
                    keys_v.push(c.key.clone());
                }
            }
        }
        let keys = if keys_v.is_empty() {
            "unknown context".to_string()
        } else {
            keys_v.join(", ")
        };
        let hint = if keys_v
            .iter()
            .any(|k| k.eq_ignore_ascii_case("aws:SourceIp"))
        {
            " (OpenAI calls from its own network: unless the allowed ranges hold OpenAI's egress addresses, the Deny applies)"
        } else if keys_v
            .iter()
            .any(|k| k.eq_ignore_ascii_case("aws:PrincipalOrgID"))
        {
            " (OpenAI's principal is not in your organization: treat it as denied)"
        } else {
            ""
        };
        let mut o = Outcome::unknown(format!(
            "{} {} on {} depends on {keys}, which OpenAI's request carries with a value nobody outside OpenAI knows{hint}: {}",
            who(which),
            d.action,
            d.request.resource,
            stmts.join("; ")
        ))
        .evidences(evidence);
        if let Some(r) = undecided
            .iter()
            .find(|r| r.statement.effect == Effect::Deny)
        {
            o = o.fix(exemption(cx, which, r, role_arn));
        }
        return o;
    }
    let actions: Vec<&str> = decided.iter().map(|d| d.action).collect();
    let n: usize = path
        .iter()
        .map(|l| match which {
            Check::ScpCrypto => l.scps.len(),
            _ => l.rcps.len(),
        })
        .sum();
    Outcome::pass(format!(
        "the {n} {} on the path of {whose} ({levels_text}) allow {} {}",
        which.plural(),
        who(which),
        actions.join(" and ")
    ))
}

/// Does each level have an Allow that applies?
fn level_allows(ev: &Evaluation<'_>, n: usize) -> Vec<Tri> {
    let mut out = vec![Tri::False; n];
    for r in &ev.statements {
        if let (Some(i), Effect::Allow) = (r.layer.org_level(), r.statement.effect) {
            if i < n {
                out[i] = out[i] | r.applies;
            }
        }
    }
    out
}
