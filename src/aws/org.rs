//! The snapshot part `organization`: membership (DescribeOrganization, any member may), then,
//! with credentials of the management account or a delegated administrator, the policy types
//! enabled on the root (ListRoots) and, for each account that matters, its path from the root
//! with the SCPs and RCPs attached at each level (ListParents, ListPoliciesForTarget,
//! DescribePolicy once per distinct policy). Organizations is global: the client is signed in
//! us-east-1 whatever the key's Region, and keeps the endpoint (`--endpoint-url`).
//!
//! Calls per read: 1 DescribeOrganization + 1 ListRoots + (levels - 1) ListParents per account +
//! 2 ListPoliciesForTarget per distinct level (more only when paged) + 1 DescribePolicy per
//! distinct policy not read before (the cache is shared across targets by `scan`). Independent
//! calls run concurrently: ListRoots beside the walks; every ListPoliciesForTarget at once; every
//! DescribePolicy at once. Only Describe/List calls (and AssumeRole for `--org-role-arn`).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_config::identity::IdentityCache;
use aws_config::sts::AssumeRoleProvider;
use aws_config::{Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider, future};
use aws_sdk_kms::error::SdkError;
use aws_sdk_organizations::types::{PolicyType, PolicyTypeSummary};
use aws_sdk_sts::config::http::HttpResponse;
use aws_sdk_sts::operation::assume_role::AssumeRoleError;
use futures_util::future::join_all;
use serde_json::{Map, Value as J, json};

use super::describe_error;

/// Which credentials read the organization's policies.
#[derive(Debug, Clone, Default)]
pub enum OrgCreds {
    /// The checking identity's own (the role's account): works when they are the management
    /// account's or a delegated administrator's.
    #[default]
    Own,
    /// `--org-profile P`: an SDK configuration for that profile.
    Profile(String, Box<SdkConfig>),
    /// `--org-role-arn ARN`: assume this role with the checking identity's credentials.
    Role(String),
    /// `scan --organization`: the credentials that listed the organization's accounts.
    Listing(Box<SdkConfig>),
}

impl OrgCreds {
    fn label(&self) -> Option<String> {
        match self {
            OrgCreds::Own => None,
            OrgCreds::Profile(p, _) => Some(format!("--org-profile {p}")),
            OrgCreds::Role(r) => Some(format!("--org-role-arn {r}")),
            OrgCreds::Listing(_) => {
                Some("the credentials that listed the organization's accounts".into())
            }
        }
    }
}

/// One value read once, however many accounts ask for it at the same time.
type Once<T> = Arc<tokio::sync::OnceCell<T>>;
/// Values read once each, by key.
type Memo<K, T> = Mutex<HashMap<K, Once<T>>>;

/// The cell for `key`, created on first use.
fn once<K: std::hash::Hash + Eq, T>(m: &Memo<K, T>, key: K) -> Once<T> {
    m.lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(key)
        .or_default()
        .clone()
}

/// What the reads found, shared by every target and account of a run (`scan`): each level's
/// parent and attachments, the root's policy types and each policy are read once, even when
/// several accounts ask at the same moment. Only answers are kept: a refused read is tried
/// again by the next account (its credentials may be allowed).
#[derive(Default)]
pub struct OrgCache {
    policies: Memo<String, (String, J)>,
    parents: Memo<String, (String, Option<String>)>,
    attached: Memo<(String, &'static str), Vec<(String, String)>>,
    roots: tokio::sync::OnceCell<RootTypes>,
    /// Organizations clients are cheap, but an assumed role's credentials are not: the
    /// configuration is built once per run, and its provider assumes the role again only when
    /// the credentials near their expiry ([`Refreshing`]).
    assumed: tokio::sync::OnceCell<Result<SdkConfig, String>>,
}

/// A failed call: the permission it needs, the AWS error code and text.
#[derive(Debug, Clone)]
struct Failure {
    permission: &'static str,
    code: Option<String>,
    text: String,
}

fn fail<E, R>(permission: &'static str, e: &SdkError<E, R>) -> Failure
where
    E: aws_sdk_kms::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    let (code, text) = describe_error(e);
    Failure {
        permission,
        code,
        text,
    }
}

/// The accounts of these ARNs, each once, in order (the role's, then the key's when it differs).
pub fn accounts_of<'a>(arns: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for a in arns.into_iter().filter_map(account_of) {
        if !out.iter().any(|x| x == a) {
            out.push(a.to_string());
        }
    }
    out
}

/// The account id in an ARN (`arn:PARTITION:SERVICE:REGION:ACCOUNT:…`).
pub fn account_of(arn: &str) -> Option<&str> {
    arn.split(':')
        .nth(4)
        .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
}

/// The Organizations client for a configuration: us-east-1, the configuration's endpoint.
pub fn client(cfg: &SdkConfig) -> aws_sdk_organizations::Client {
    let conf = aws_sdk_organizations::config::Builder::from(cfg)
        .region(Region::from_static("us-east-1"))
        .build();
    aws_sdk_organizations::Client::from_conf(conf)
}

const READER_PERMISSIONS: &str = "organizations:ListRoots, ListParents, ListPoliciesForTarget and DescribePolicy (`ekm-check init --org-reader-policy`)";

/// The errors entry for a failed policy read: the AWS error, the permission, the credentials.
fn policies_error(f: &Failure, creds: &OrgCreds) -> String {
    let denied = f
        .code
        .as_deref()
        .is_some_and(|c| c.contains("AccessDenied"));
    let hint = match (creds.label(), denied) {
        (None, _) => format!(
            "{} is answered only to the organization's management account or a delegated administrator, and the checking identity's credentials were used: give --org-profile or --org-role-arn for credentials of one of them allowed {READER_PERMISSIONS}",
            f.permission
        ),
        (Some(l), true) => format!(
            "the credentials of {l} were refused {}: they must be the management account's or a delegated administrator's and be allowed {READER_PERMISSIONS}",
            f.permission
        ),
        (Some(l), false) => format!("{} with the credentials of {l}", f.permission),
    };
    format!("{} ({hint})", f.text)
}

/// Read the organization part for the accounts that matter. Returns the part (None when even
/// membership could not be read) and the errors (`organization`, `organization.policies`).
pub async fn read(
    base: &SdkConfig,
    creds: &OrgCreds,
    accounts: &[String],
    cache: &OrgCache,
) -> (Option<J>, BTreeMap<String, String>) {
    let mut errors = BTreeMap::new();
    let own = client(base);
    // --org-role-arn's AssumeRole beside DescribeOrganization: one round fewer.
    let assumed = async {
        match creds {
            OrgCreds::Role(arn) => Some(
                cache
                    .assumed
                    .get_or_init(|| async { assume(base, arn).await })
                    .await,
            ),
            _ => None,
        }
    };
    let (org, assumed) = tokio::join!(own.describe_organization().send(), assumed);
    let org = match org {
        Ok(o) => o,
        Err(e) => {
            let f = fail("organizations:DescribeOrganization", &e);
            if f.code.as_deref() == Some("AWSOrganizationsNotInUseException") {
                return (Some(json!({"in_organization": false})), errors);
            }
            let denied = f
                .code
                .as_deref()
                .is_some_and(|c| c.contains("AccessDenied"));
            let text = if denied {
                format!(
                    "{} ({})",
                    f.text,
                    super::loader::denied_by(&f.text, f.permission)
                )
            } else {
                f.text
            };
            errors.insert("organization".into(), text);
            return (None, errors);
        }
    };
    let mut part = Map::new();
    part.insert("in_organization".into(), J::Bool(true));
    let o = org.organization();
    if let Some(id) = o.and_then(|o| o.id()) {
        part.insert("id".into(), J::String(id.into()));
    }
    if let Some(m) = o.and_then(|o| o.master_account_id()) {
        part.insert("management_account_id".into(), J::String(m.into()));
    }
    let reader = match creds {
        OrgCreds::Own => own,
        OrgCreds::Profile(_, cfg) | OrgCreds::Listing(cfg) => client(cfg),
        OrgCreds::Role(arn) => match assumed {
            Some(Ok(cfg)) => client(cfg),
            None => own,
            Some(Err(e)) => {
                errors.insert(
                        "organization.policies".into(),
                        format!(
                            "{e} (sts:AssumeRole on --org-role-arn {arn}: the checking identity must be allowed to assume it, and its trust policy must trust the checking identity)"
                        ),
                    );
                return (Some(J::Object(part)), errors);
            }
        },
    };
    match policies(&reader, accounts, cache).await {
        Ok((types, paths)) => {
            part.insert("policy_types".into(), json!(types.listed));
            if !types.not_enabled.is_empty() {
                part.insert("policy_type_status".into(), json!(types.not_enabled));
            }
            part.insert("accounts".into(), J::Object(paths));
        }
        Err(f) => {
            errors.insert("organization.policies".into(), policies_error(&f, creds));
        }
    }
    (Some(J::Object(part)), errors)
}

/// How long each `--org-role-arn` session lasts (AssumeRole's minimum).
const SESSION: Duration = Duration::from_secs(900);

/// The configuration for `--org-role-arn`: aws-config's `AssumeRoleProvider` behind
/// [`Refreshing`], assumed once now (beside DescribeOrganization), again whenever the
/// credentials near their expiry.
async fn assume(base: &SdkConfig, arn: &str) -> Result<SdkConfig, String> {
    let role = AssumeRoleProvider::builder(arn)
        .session_name("ekm-check-org-read")
        .session_length(SESSION)
        .configure(base)
        .build()
        .await;
    let provider = Refreshing::new(role);
    provider.get().await.map_err(|e| credentials_error(&e))?;
    Ok(base
        .to_builder()
        .credentials_provider(SharedCredentialsProvider::new(provider))
        // `Refreshing` is the cache: one place decides when to assume again.
        .identity_cache(IdentityCache::no_cache())
        .build())
}

/// AWS's answer inside a credentials error (AssumeRole refused: "AccessDenied: …"), else the
/// chain of causes.
fn credentials_error(e: &CredentialsError) -> String {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    let mut parts = vec![e.to_string()];
    while let Some(err) = cur {
        if let Some(sdk) = err.downcast_ref::<SdkError<AssumeRoleError, HttpResponse>>() {
            return describe_error(sdk).1;
        }
        let s = err.to_string();
        if !s.is_empty() && !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = err.source();
    }
    parts.join(": ")
}

/// Assume again when the credentials have less than this left.
const REFRESH_BEFORE: Duration = Duration::from_secs(300);

/// A credentials provider that keeps `inner`'s credentials until `REFRESH_BEFORE` their expiry,
/// then asks `inner` again (one caller at a time: concurrent requests wait for one AssumeRole).
#[derive(Debug)]
pub(crate) struct Refreshing<P> {
    inner: P,
    cached: tokio::sync::Mutex<Option<Credentials>>,
}

impl<P: ProvideCredentials> Refreshing<P> {
    pub(crate) fn new(inner: P) -> Self {
        Refreshing {
            inner,
            cached: tokio::sync::Mutex::new(None),
        }
    }

    pub(crate) async fn get(&self) -> aws_credential_types::provider::Result {
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref() {
            let left = c
                .expiry()
                .map(|e| e.duration_since(SystemTime::now()).unwrap_or_default());
            if left.is_none_or(|l| l > REFRESH_BEFORE) {
                return Ok(c.clone());
            }
        }
        let c = self.inner.provide_credentials().await?;
        *cached = Some(c.clone());
        Ok(c)
    }
}

impl<P: ProvideCredentials> ProvideCredentials for Refreshing<P> {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(self.get())
    }
}

type Paths = Map<String, J>;

/// The policy types of the roots, as the organization part lists them.
#[derive(Debug, Clone, Default, PartialEq)]
struct RootTypes {
    /// `policy_types`: every type whose policies may be in force.
    listed: Vec<String>,
    /// `policy_type_status`: the listed types whose status is not `ENABLED` (pending, or a
    /// status this version does not know), with that status.
    not_enabled: BTreeMap<String, String>,
}

/// A root's `PolicyTypes`. ListRoots lists only the types enabled or changing: a type is left
/// out (and reads as not enabled) only when it is not there. `ENABLED` is listed; so are
/// `PENDING_ENABLE` and `PENDING_DISABLE` (its policies may be in force while the change runs)
/// and any status this version does not know, which are also kept in `not_enabled` so that the
/// snapshot says so. A type name this version does not know is kept as AWS spells it.
fn root_types(summaries: &[PolicyTypeSummary], out: &mut RootTypes) {
    for t in summaries {
        let Some(ty) = t.r#type().map(|ty| ty.as_str().to_string()) else {
            continue;
        };
        let status = t.status().map(|s| s.as_str()).unwrap_or("(no status)");
        if status != "ENABLED" {
            out.not_enabled.insert(ty.clone(), status.to_string());
        }
        if !out.listed.contains(&ty) {
            out.listed.push(ty);
        }
    }
}

async fn policies(
    c: &aws_sdk_organizations::Client,
    accounts: &[String],
    cache: &OrgCache,
) -> Result<(RootTypes, Paths), Failure> {
    // ListRoots beside the walks up from each account.
    let roots = cache.roots.get_or_try_init(|| async {
        let mut types = RootTypes::default();
        let mut token = None;
        loop {
            let r = c
                .list_roots()
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(|e| fail("organizations:ListRoots", &e))?;
            for root in r.roots() {
                root_types(root.policy_types(), &mut types);
            }
            match r.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok::<_, Failure>(types),
            }
        }
    });
    let walks = join_all(accounts.iter().map(|a| walk(c, a, cache)));
    let (types, walks) = tokio::join!(roots, walks);
    let types = types?.clone();
    let mut paths: Vec<(String, Vec<String>)> = Vec::new();
    for (a, w) in accounts.iter().zip(walks) {
        paths.push((a.clone(), w?));
    }
    // Every distinct level, both types, at once.
    let mut targets: Vec<&str> = Vec::new();
    for (_, p) in &paths {
        for t in p {
            if !targets.contains(&t.as_str()) {
                targets.push(t);
            }
        }
    }
    let kinds = [
        PolicyType::ServiceControlPolicy,
        PolicyType::ResourceControlPolicy,
    ];
    let lists = join_all(
        targets
            .iter()
            .flat_map(|t| kinds.iter().map(move |k| (*t, k.clone())))
            .map(|(t, k)| async move {
                let cell = once(&cache.attached, (t.to_string(), kind_name(&k)));
                let r = cell.get_or_try_init(|| attached(c, t, k.clone())).await;
                ((t, k.clone()), r.cloned())
            }),
    )
    .await;
    let mut attached_at: HashMap<(&str, PolicyType), Vec<(String, String)>> = HashMap::new();
    for (k, r) in lists {
        attached_at.insert(k, r?);
    }
    // Every distinct policy, at once, each read once per run.
    let mut ids: Vec<&str> = Vec::new();
    for list in attached_at.values() {
        for (id, _) in list {
            if !ids.contains(&id.as_str()) {
                ids.push(id);
            }
        }
    }
    let described = join_all(ids.iter().map(|id| async move {
        let cell = once(&cache.policies, id.to_string());
        let r = cell
            .get_or_try_init(|| async {
                let r = c
                    .describe_policy()
                    .policy_id(*id)
                    .send()
                    .await
                    .map_err(|e| fail("organizations:DescribePolicy", &e))?;
                let p = r.policy();
                let name = p
                    .and_then(|p| p.policy_summary())
                    .and_then(|s| s.name())
                    .unwrap_or_default()
                    .to_string();
                let doc = p
                    .and_then(|p| p.content())
                    .map(|t| serde_json::from_str(t).unwrap_or_else(|_| J::String(t.to_string())))
                    .unwrap_or(J::Null);
                Ok::<_, Failure>((name, doc))
            })
            .await;
        r.map(|v| (id.to_string(), v.clone()))
    }))
    .await;
    let mut known: HashMap<String, (String, J)> = HashMap::new();
    for d in described {
        let (id, v) = d?;
        known.insert(id, v);
    }
    let level = |t: &str, k: PolicyType| -> J {
        J::Array(
            attached_at
                .get(&(t, k))
                .into_iter()
                .flatten()
                .map(|(id, listed_name)| {
                    let (name, doc) = known
                        .get(id)
                        .cloned()
                        .unwrap_or((listed_name.clone(), J::Null));
                    let name = if name.is_empty() {
                        listed_name.clone()
                    } else {
                        name
                    };
                    json!({"id": id, "name": name, "document": doc})
                })
                .collect(),
        )
    };
    let mut out = Map::new();
    for (a, p) in &paths {
        let path: Vec<J> = p
            .iter()
            .map(|t| {
                json!({"target": t,
                       "scps": level(t, PolicyType::ServiceControlPolicy),
                       "rcps": level(t, PolicyType::ResourceControlPolicy)})
            })
            .collect();
        out.insert(a.clone(), json!({"path": path}));
    }
    Ok((types, out))
}

/// The targets from the root down to the account: ListParents until a ROOT.
async fn walk(
    c: &aws_sdk_organizations::Client,
    account: &str,
    cache: &OrgCache,
) -> Result<Vec<String>, Failure> {
    let mut up = vec![account.to_string()];
    // The deepest tree Organizations allows is the root and five levels of OUs.
    for _ in 0..8 {
        let cur = up.last().cloned().unwrap_or_default();
        let cell = once(&cache.parents, cur.clone());
        let (id, ty) = cell.get_or_try_init(|| parent_of(c, &cur)).await?.clone();
        up.push(id);
        if ty.as_deref() == Some("ROOT") {
            up.reverse();
            return Ok(up);
        }
    }
    Err(Failure {
        permission: "organizations:ListParents",
        code: None,
        text: format!("no root above {account} after 8 levels"),
    })
}

/// ListParents of one child: its parent's id and type.
async fn parent_of(
    c: &aws_sdk_organizations::Client,
    cur: &str,
) -> Result<(String, Option<String>), Failure> {
    {
        let mut parent = None;
        let mut token = None;
        loop {
            let r = c
                .list_parents()
                .child_id(cur)
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(|e| fail("organizations:ListParents", &e))?;
            if parent.is_none() {
                parent = r.parents().first().map(|p| {
                    (
                        p.id().unwrap_or_default().to_string(),
                        p.r#type().map(|t| t.as_str().to_string()),
                    )
                });
            }
            match r.next_token() {
                Some(t) if !t.is_empty() && parent.is_none() => token = Some(t.to_string()),
                _ => break,
            }
        }
        parent.ok_or_else(|| Failure {
            permission: "organizations:ListParents",
            code: None,
            text: format!("ListParents returned no parent for {cur}"),
        })
    }
}

fn kind_name(k: &PolicyType) -> &'static str {
    match k {
        PolicyType::ServiceControlPolicy => "SERVICE_CONTROL_POLICY",
        PolicyType::ResourceControlPolicy => "RESOURCE_CONTROL_POLICY",
        _ => "OTHER",
    }
}

/// The policies of one type attached directly to a target, following NextToken (past empty pages).
async fn attached(
    c: &aws_sdk_organizations::Client,
    target: &str,
    kind: PolicyType,
) -> Result<Vec<(String, String)>, Failure> {
    let mut all = Vec::new();
    let mut token = None;
    loop {
        let r = c
            .list_policies_for_target()
            .target_id(target)
            .filter(kind.clone())
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| fail("organizations:ListPoliciesForTarget", &e))?;
        all.extend(r.policies().iter().map(|p| {
            (
                p.id().unwrap_or_default().to_string(),
                p.name().unwrap_or_default().to_string(),
            )
        }));
        match r.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return Ok(all),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_and_unknown_policy_type_statuses_are_listed_and_named() {
        use aws_sdk_organizations::types::PolicyTypeStatus as S;
        let summary = |ty: &str, status: Option<&str>| {
            PolicyTypeSummary::builder()
                .r#type(PolicyType::from(ty))
                .set_status(status.map(S::from))
                .build()
        };
        let mut out = RootTypes::default();
        root_types(
            &[
                summary("SERVICE_CONTROL_POLICY", Some("ENABLED")),
                summary("RESOURCE_CONTROL_POLICY", Some("PENDING_DISABLE")),
                summary("TAG_POLICY", Some("PENDING_ENABLE")),
                summary("BACKUP_POLICY", Some("SOMETHING_NEW")),
                summary("A_TYPE_FROM_THE_FUTURE", Some("ENABLED")),
                summary("SERVICE_CONTROL_POLICY", Some("ENABLED")),
            ],
            &mut out,
        );
        assert_eq!(
            out.listed,
            [
                "SERVICE_CONTROL_POLICY",
                "RESOURCE_CONTROL_POLICY",
                "TAG_POLICY",
                "BACKUP_POLICY",
                "A_TYPE_FROM_THE_FUTURE"
            ],
            "never read as not enabled while it may be in force"
        );
        assert_eq!(
            out.not_enabled,
            BTreeMap::from([
                ("BACKUP_POLICY".to_string(), "SOMETHING_NEW".to_string()),
                ("RESOURCE_CONTROL_POLICY".into(), "PENDING_DISABLE".into()),
                ("TAG_POLICY".into(), "PENDING_ENABLE".into()),
            ])
        );
    }

    /// Credentials that expire in `secs`, counting how often they were asked for.
    #[derive(Debug)]
    struct Counting(std::sync::atomic::AtomicUsize, u64);

    impl ProvideCredentials for Counting {
        fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            let n = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let expiry = SystemTime::now() + Duration::from_secs(self.1);
            future::ProvideCredentials::ready(Ok(Credentials::new(
                format!("AKIA{n}"),
                "secret",
                Some("token".into()),
                Some(expiry),
                "test",
            )))
        }
    }

    #[tokio::test]
    async fn assumed_credentials_are_kept_until_they_near_expiry_then_assumed_again() {
        use std::sync::atomic::Ordering::SeqCst;
        // Fresh for 15 minutes: assumed once, however often asked.
        let fresh = Refreshing::new(Counting(Default::default(), 900));
        for _ in 0..5 {
            assert_eq!(fresh.get().await.unwrap().access_key_id(), "AKIA0");
        }
        assert_eq!(fresh.inner.0.load(SeqCst), 1);
        // Less than REFRESH_BEFORE left (a scan that outlasted the session): assumed again on
        // every request until the answer is fresh.
        let expiring = Refreshing::new(Counting(Default::default(), 60));
        assert_eq!(expiring.get().await.unwrap().access_key_id(), "AKIA0");
        assert_eq!(expiring.get().await.unwrap().access_key_id(), "AKIA1");
        assert_eq!(expiring.inner.0.load(SeqCst), 2);
        // Through the SDK's trait, as the Organizations client asks.
        let c = fresh.provide_credentials().await.unwrap();
        assert_eq!(c.access_key_id(), "AKIA0");
        assert_eq!(fresh.inner.0.load(SeqCst), 1);
    }

    #[test]
    fn accounts_come_from_arns() {
        assert_eq!(
            accounts_of([
                "arn:aws:iam::111122223333:role/r",
                "arn:aws:kms:us-east-1:111122223333:key/k",
                "arn:aws:kms:us-east-1:444455556666:key/k",
                "alias/x",
            ]),
            ["111122223333", "444455556666"]
        );
        assert_eq!(
            account_of("arn:aws:iam::111122223333:role/x"),
            Some("111122223333")
        );
        assert_eq!(
            account_of("arn:aws:kms:eu-west-1:444455556666:key/abc"),
            Some("444455556666")
        );
        assert_eq!(account_of("alias/x"), None);
    }

    #[test]
    fn a_refused_read_names_the_permission_and_the_credentials() {
        let f = Failure {
            permission: "organizations:ListParents",
            code: Some("AccessDeniedException".into()),
            text: "AccessDeniedException: You don't have permissions to access this resource."
                .into(),
        };
        let own = policies_error(&f, &OrgCreds::Own);
        assert!(own.starts_with("AccessDeniedException"), "{own}");
        assert!(own.contains("organizations:ListParents"), "{own}");
        assert!(
            own.contains("--org-profile") && own.contains("--org-role-arn"),
            "{own}"
        );
        assert!(own.contains("management account"), "{own}");
        let role = policies_error(
            &f,
            &OrgCreds::Role("arn:aws:iam::999988887777:role/r".into()),
        );
        assert!(
            role.contains("--org-role-arn arn:aws:iam::999988887777:role/r"),
            "{role}"
        );
    }
}
