//! The loader: everything the rules read, from AWS, into an `ekm-check.snapshot/v1`.
//!
//! One reader per part, each filling its part and its own `errors` entries: [`read_key`],
//! [`read_role`], the caller (GetCallerIdentity) and the organization (org.rs). [`load`] runs
//! them all at once and [`assemble`]s the snapshot; `scan` uses the key reader, org.rs and
//! `assemble` for its targets. Only Describe/Get/List calls. Rounds (each reader's calls wait
//! only for its own earlier answers, so the slowest reader sets the count, three here):
//! - key: DescribeKey, and beside it for a key ARN GetKeyPolicy, GetKeyRotationStatus,
//!   ListAliases, ListGrants, ListResourceTags (after it, for an alias ARN once resolved);
//! - role: GetRole, ListRolePolicies, ListAttachedRolePolicies; then GetRolePolicy per inline
//!   policy and GetPolicy per managed policy and the boundary; then GetPolicyVersion for each
//!   default version;
//! - caller: GetCallerIdentity; organization: see org.rs (levels + 2 rounds).
//!
//! A failed read goes into `errors` with the AWS error code and the permission it needs, so the
//! rules that need it are `unknown`, never `pass`.

use std::collections::BTreeMap;

use aws_sdk_iam::config::http::HttpResponse;
use aws_sdk_iam::operation::list_attached_role_policies::ListAttachedRolePoliciesError;
use aws_sdk_iam::operation::list_role_policies::ListRolePoliciesError;
use aws_sdk_kms::error::SdkError;
use futures_util::future::join_all;
use serde_json::{Map, Value as J, json};

use super::describe_error;
use crate::inputs::Registration;
use crate::snapshot::{FORMAT, url_decode};

/// What the loader read, and the reads that failed.
pub struct Loaded {
    pub snapshot: J,
    /// The identity the checks ran as: `(account, arn)`.
    pub caller: Option<(String, String)>,
    /// GetCallerIdentity failed: no credentials or no network.
    pub no_access: Option<String>,
}

/// A reader's failed reads: part name -> AWS's error, and what refused it.
#[derive(Debug, Default, Clone)]
pub(crate) struct Errors(pub(crate) BTreeMap<String, String>);

impl Errors {
    pub(crate) fn add<E, R>(&mut self, part: &str, permission: &str, e: &SdkError<E, R>)
    where
        E: aws_sdk_kms::error::ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        let (code, text) = describe_error(e);
        self.add_text(part, permission, code.as_deref(), &text);
    }

    /// An error already described: its AWS code and text.
    pub(crate) fn add_text(
        &mut self,
        part: &str,
        permission: &str,
        code: Option<&str>,
        text: &str,
    ) {
        let needs = match code {
            Some(c) if c.contains("AccessDenied") || c.contains("Unauthorized") => {
                format!(" ({})", denied_by(text, permission))
            }
            _ => String::new(),
        };
        self.0.insert(part.to_string(), format!("{text}{needs}"));
    }
}

/// What refused a read, as far as AWS's AccessDenied message tells: the read was denied, which
/// is not always the checking identity's missing permission (a key policy can deny it too).
pub(crate) fn denied_by(message: &str, permission: &str) -> String {
    let m = message.to_ascii_lowercase();
    if m.contains("explicit deny in a resource-based policy") {
        format!(
            "the read was denied by an explicit Deny in the resource's policy (for a key: its key policy), not for want of {permission} in the checking identity's policies; read it as an identity the key policy does not deny, or ask the key's administrators"
        )
    } else if m.contains("explicit deny in an identity-based policy") {
        format!(
            "the read was denied by an explicit Deny in a policy of the checking identity: it must be allowed {permission}"
        )
    } else if m.contains("service control policy") {
        format!(
            "the read was denied by a service control policy of the organization: {permission} must not be denied to the checking identity"
        )
    } else if m.contains("resource control policy") {
        format!(
            "the read was denied by a resource control policy of the organization on {permission}"
        )
    } else if m.contains("permissions boundary") {
        format!(
            "the read was denied by the checking identity's permissions boundary, which must allow {permission}"
        )
    } else if m.contains("session policy") {
        format!(
            "the read was denied by the session policy of the checking identity's session, which must allow {permission}"
        )
    } else if m.contains("no resource-based policy allows") {
        format!(
            "the read was denied: the resource's policy (for a key: its key policy) allows the checking identity nothing, neither naming it nor delegating to its account; {permission} in its own policies is not enough"
        )
    } else if m.contains("no identity-based policy allows") {
        format!("the checking identity needs {permission}")
    } else {
        format!(
            "the read was denied: the checking identity may need {permission}, or a key policy, a permissions boundary, an SCP or an RCP denies it"
        )
    }
}

fn role_name(role_arn: &str) -> Option<&str> {
    role_arn
        .split_once(":role/")
        .map(|(_, p)| p.rsplit('/').next().unwrap_or(p))
        .filter(|n| !n.is_empty())
}

/// Key reads that need the key's id (round 1 for a key ARN, round 2 after DescribeKey for an alias).
async fn key_details(
    kms: &aws_sdk_kms::Client,
    key: &str,
    out: &mut Map<String, J>,
    errors: &mut Errors,
) {
    let policy = kms
        .get_key_policy()
        .key_id(key)
        .policy_name("default")
        .send();
    let rotation = kms.get_key_rotation_status().key_id(key).send();
    let aliases = async {
        let mut all = Vec::new();
        let mut marker = None;
        loop {
            let r = kms
                .list_aliases()
                .key_id(key)
                .set_marker(marker.clone())
                .send()
                .await?;
            all.extend(
                r.aliases()
                    .iter()
                    .filter_map(|a| a.alias_name().map(str::to_string)),
            );
            match (r.truncated(), r.next_marker()) {
                (true, Some(m)) => marker = Some(m.to_string()),
                _ => return Ok::<_, SdkError<_, _>>(all),
            }
        }
    };
    let grants = async {
        let mut all = Vec::new();
        let mut marker = None;
        loop {
            let r = kms
                .list_grants()
                .key_id(key)
                .set_marker(marker.clone())
                .send()
                .await?;
            all.extend(r.grants().iter().map(grant_json));
            match (r.truncated(), r.next_marker()) {
                (true, Some(m)) => marker = Some(m.to_string()),
                _ => return Ok::<_, SdkError<_, _>>(all),
            }
        }
    };
    let tags = async {
        let mut all = Vec::new();
        let mut marker = None;
        loop {
            let r = kms
                .list_resource_tags()
                .key_id(key)
                .set_marker(marker.clone())
                .send()
                .await?;
            all.extend(
                r.tags()
                    .iter()
                    .map(|t| json!({"TagKey": t.tag_key(), "TagValue": t.tag_value()})),
            );
            match (r.truncated(), r.next_marker()) {
                (true, Some(m)) => marker = Some(m.to_string()),
                _ => return Ok::<_, SdkError<_, _>>(all),
            }
        }
    };
    let (p, r, a, g, t) = tokio::join!(policy, rotation, aliases, grants, tags);
    match p {
        Ok(p) => {
            out.insert("policy".into(), p.policy().map(document).unwrap_or(J::Null));
        }
        Err(e) => errors.add("key.policy", "kms:GetKeyPolicy", &e),
    }
    match r {
        Ok(r) => {
            out.insert("rotation_enabled".into(), J::Bool(r.key_rotation_enabled()));
        }
        Err(e) => errors.add("key.rotation_enabled", "kms:GetKeyRotationStatus", &e),
    }
    match a {
        Ok(a) => {
            out.insert("aliases".into(), json!(a));
        }
        Err(e) => errors.add("key.aliases", "kms:ListAliases", &e),
    }
    match g {
        Ok(g) => {
            out.insert("grants".into(), J::Array(g));
        }
        Err(e) => errors.add("key.grants", "kms:ListGrants", &e),
    }
    match t {
        Ok(t) => {
            out.insert("tags".into(), J::Array(t));
        }
        Err(e) => errors.add("key.tags", "kms:ListResourceTags", &e),
    }
}

fn grant_json(g: &aws_sdk_kms::types::GrantListEntry) -> J {
    let mut m = Map::new();
    let mut put = |k: &str, v: Option<&str>| {
        if let Some(v) = v {
            m.insert(k.into(), J::String(v.to_string()));
        }
    };
    put("GrantId", g.grant_id());
    put("Name", g.name());
    put("GranteePrincipal", g.grantee_principal());
    put("RetiringPrincipal", g.retiring_principal());
    put("IssuingAccount", g.issuing_account());
    m.insert(
        "Operations".into(),
        json!(
            g.operations()
                .iter()
                .map(|o| o.as_str())
                .collect::<Vec<_>>()
        ),
    );
    if let Some(c) = g.constraints() {
        let mut cm = Map::new();
        if let Some(s) = c.encryption_context_subset() {
            cm.insert("EncryptionContextSubset".into(), json!(s));
        }
        if let Some(s) = c.encryption_context_equals() {
            cm.insert("EncryptionContextEquals".into(), json!(s));
        }
        m.insert("Constraints".into(), J::Object(cm));
    }
    J::Object(m)
}

fn key_metadata_json(k: &aws_sdk_kms::types::KeyMetadata) -> J {
    let mut m = Map::new();
    let mut put = |key: &str, v: Option<String>| {
        if let Some(v) = v {
            m.insert(key.into(), J::String(v));
        }
    };
    let date = |d: Option<&aws_sdk_kms::primitives::DateTime>| {
        d.and_then(|d| {
            d.fmt(aws_sdk_kms::primitives::DateTimeFormat::DateTime)
                .ok()
        })
    };
    put("AWSAccountId", k.aws_account_id().map(str::to_string));
    put("KeyId", Some(k.key_id().to_string()));
    put("Arn", k.arn().map(str::to_string));
    put("CreationDate", date(k.creation_date()));
    put("Description", k.description().map(str::to_string));
    put("KeyUsage", k.key_usage().map(|x| x.as_str().to_string()));
    put("KeyState", k.key_state().map(|x| x.as_str().to_string()));
    put("DeletionDate", date(k.deletion_date()));
    put("ValidTo", date(k.valid_to()));
    put("Origin", k.origin().map(|x| x.as_str().to_string()));
    put(
        "CustomKeyStoreId",
        k.custom_key_store_id().map(str::to_string),
    );
    put(
        "ExpirationModel",
        k.expiration_model().map(|x| x.as_str().to_string()),
    );
    put(
        "KeyManager",
        k.key_manager().map(|x| x.as_str().to_string()),
    );
    put("KeySpec", k.key_spec().map(|x| x.as_str().to_string()));
    m.insert("Enabled".into(), J::Bool(k.enabled()));
    if let Some(mr) = k.multi_region() {
        m.insert("MultiRegion".into(), J::Bool(mr));
    }
    if let Some(c) = k.multi_region_configuration() {
        let mut cm = Map::new();
        if let Some(t) = c.multi_region_key_type() {
            cm.insert("MultiRegionKeyType".into(), J::String(t.as_str().into()));
        }
        if let Some(p) = c.primary_key() {
            cm.insert(
                "PrimaryKey".into(),
                json!({"Arn": p.arn(), "Region": p.region()}),
            );
        }
        m.insert("MultiRegionConfiguration".into(), J::Object(cm));
    }
    m.insert(
        "EncryptionAlgorithms".into(),
        json!(
            k.encryption_algorithms()
                .iter()
                .map(|a| a.as_str())
                .collect::<Vec<_>>()
        ),
    );
    J::Object(m)
}

/// A managed policy's default version: GetPolicy, then GetPolicyVersion. On failure, the
/// permission the refused call needs, its error code and text.
pub(crate) async fn default_version_document(
    iam: &aws_sdk_iam::Client,
    arn: &str,
) -> Result<Option<J>, (&'static str, (Option<String>, String))> {
    let p = iam
        .get_policy()
        .policy_arn(arn)
        .send()
        .await
        .map_err(|e| ("iam:GetPolicy", describe_error(&e)))?;
    let v = p
        .policy()
        .and_then(|p| p.default_version_id())
        .unwrap_or("v1")
        .to_string();
    iam.get_policy_version()
        .policy_arn(arn)
        .version_id(v)
        .send()
        .await
        .map(|o| o.policy_version().and_then(|v| v.document()).map(document))
        .map_err(|e| ("iam:GetPolicyVersion", describe_error(&e)))
}

/// Read everything for one registration: the key, the role, the caller and the organization
/// (with `org`'s credentials), each by its own reader, all at once.
pub async fn load(
    cfg: &aws_config::SdkConfig,
    reg: &Registration,
    collected_at: &str,
    org: &super::org::OrgCreds,
    org_cache: &super::org::OrgCache,
) -> Loaded {
    let kms = aws_sdk_kms::Client::new(cfg);
    let iam = aws_sdk_iam::Client::new(cfg);
    let sts = aws_sdk_sts::Client::new(cfg);
    let key = async {
        match reg.kms_arn.as_deref().filter(|k| !k.is_empty()) {
            Some(k) => read_key(&kms, k).await,
            None => KeyPart::default(),
        }
    };
    let role = async {
        match reg.role_arn.as_deref().and_then(role_name) {
            Some(name) => read_role(&iam, name).await,
            None => (None, Errors::default()),
        }
    };
    let organization = read_organization(cfg, reg, org, org_cache);
    let ((caller, no_access, caller_errors), key, (role, role_errors), (organization, org_errors)) =
        tokio::join!(read_caller(&sts), key, role, organization);
    let mut errors = caller_errors.0;
    errors.extend(key.errors.0);
    errors.extend(role_errors.0);
    errors.extend(org_errors.0);
    let parts = Parts {
        caller: caller.clone(),
        key: key.part,
        role: role.map(J::Object),
        organization,
        errors,
    };
    Loaded {
        snapshot: assemble(reg, collected_at, parts),
        caller,
        no_access,
    }
}

/// The parts the readers filled, for [`assemble`].
#[derive(Default)]
pub(crate) struct Parts {
    pub caller: Option<(String, String)>,
    /// Empty: nothing of the key was read.
    pub key: Map<String, J>,
    pub role: Option<J>,
    pub organization: Option<J>,
    pub errors: BTreeMap<String, String>,
}

/// An `ekm-check.snapshot/v1` from the parts read (`check`, `snapshot`, and each `scan` target).
pub(crate) fn assemble(reg: &Registration, collected_at: &str, p: Parts) -> J {
    let mut snap = Map::new();
    snap.insert("format".into(), J::String(FORMAT.into()));
    snap.insert("collected_at".into(), J::String(collected_at.into()));
    snap.insert(
        "registration".into(),
        serde_json::to_value(reg).unwrap_or(J::Null),
    );
    if let Some((acct, arn)) = &p.caller {
        snap.insert("caller".into(), json!({"Account": acct, "Arn": arn}));
    }
    if !p.key.is_empty() {
        snap.insert("key".into(), J::Object(p.key));
    }
    if let Some(r) = p.role {
        snap.insert("role".into(), r);
    }
    if let Some(o) = p.organization {
        snap.insert("organization".into(), o);
    }
    if !p.errors.is_empty() {
        snap.insert("errors".into(), json!(p.errors));
    }
    J::Object(snap)
}

/// GetCallerIdentity: `(account, arn)`; on failure, whether it means no AWS access at all
/// (no credentials or no network), and `errors["caller"]`.
async fn read_caller(
    sts: &aws_sdk_sts::Client,
) -> (Option<(String, String)>, Option<String>, Errors) {
    let mut errors = Errors::default();
    match sts.get_caller_identity().send().await {
        Ok(c) => (
            Some((
                c.account().unwrap_or_default().to_string(),
                c.arn().unwrap_or_default().to_string(),
            )),
            None,
            errors,
        ),
        Err(e) => {
            let (code, text) = describe_error(&e);
            let no_access = (code.is_none() || text.contains("credentials")).then(|| text.clone());
            errors.0.insert("caller".into(), text);
            (None, no_access, errors)
        }
    }
}

/// The key part as [`read_key`] filled it.
#[derive(Default, Clone)]
pub(crate) struct KeyPart {
    /// The key's ARN as DescribeKey gave it (an alias resolved to its key).
    pub arn: Option<String>,
    /// `metadata` first, then the other reads; empty when nothing was read.
    pub part: Map<String, J>,
    pub errors: Errors,
}

/// The parts of `key` other than `metadata`, each read by its own call.
const KEY_DETAILS: [&str; 5] = [
    "key.policy",
    "key.rotation_enabled",
    "key.aliases",
    "key.grants",
    "key.tags",
];

/// The key part: DescribeKey, and beside it (for a key ARN) or after it (for an alias ARN, once
/// resolved) GetKeyPolicy, GetKeyRotationStatus, ListAliases, ListGrants, ListResourceTags.
/// At most two rounds. A key that does not exist is one error, `errors["key"]`.
pub(crate) async fn read_key(kms: &aws_sdk_kms::Client, kms_arn: &str) -> KeyPart {
    let key_is_arn = kms_arn.contains(":key/");
    let early = async {
        let (mut m, mut e) = (Map::new(), Errors::default());
        if key_is_arn {
            key_details(kms, kms_arn, &mut m, &mut e).await;
        }
        (m, e)
    };
    let (describe, (details, mut errors)) =
        tokio::join!(kms.describe_key().key_id(kms_arn).send(), early);
    let mut part = Map::new();
    let mut arn = None;
    match describe {
        Ok(d) => {
            if let Some(k) = d.key_metadata() {
                arn = k.arn().map(str::to_string);
                part.insert("metadata".into(), key_metadata_json(k));
            }
        }
        Err(e) if describe_error(&e).0.as_deref() == Some("NotFoundException") => {
            // A key that does not exist: one error for the whole key.
            let mut errors = Errors::default();
            errors.add("key", "kms:DescribeKey", &e);
            return KeyPart {
                arn: None,
                part: Map::new(),
                errors,
            };
        }
        Err(e) => {
            errors.add("key.metadata", "kms:DescribeKey", &e);
            if !key_is_arn {
                for k in KEY_DETAILS {
                    errors.0.insert(
                        k.into(),
                        "not read: DescribeKey failed, so the alias could not be resolved to a key"
                            .into(),
                    );
                }
            }
        }
    }
    part.extend(details);
    if let (false, Some(a)) = (key_is_arn, &arn) {
        key_details(kms, a, &mut part, &mut errors).await;
    }
    KeyPart { arn, part, errors }
}

/// The role part: GetRole (with its Tags, trust policy and boundary ARN), ListRolePolicies and
/// ListAttachedRolePolicies at once; then GetRolePolicy per inline policy and GetPolicy per
/// managed policy and the boundary; then GetPolicyVersion for each default version. Three
/// rounds. `None`: GetRole failed (`errors["role"]`).
pub(crate) async fn read_role(
    iam: &aws_sdk_iam::Client,
    role: &str,
) -> (Option<Map<String, J>>, Errors) {
    let mut errors = Errors::default();
    let (got, inline_names, attached) = tokio::join!(
        iam.get_role().role_name(role).send(),
        list_inline(iam, role),
        list_attached(iam, role)
    );
    let (mut obj, boundary) = match got {
        Ok(r) => r.role().map(role_object).unwrap_or_default(),
        Err(e) => {
            errors.add("role", "iam:GetRole", &e);
            Default::default()
        }
    };
    let inline_names = inline_names
        .map_err(|e| errors.add("role.inline_policies", "iam:ListRolePolicies", &e))
        .ok();
    let attached = attached
        .map_err(|e| errors.add("role.attached_policies", "iam:ListAttachedRolePolicies", &e))
        .ok();
    let mut managed = attached.clone().unwrap_or_default();
    managed.extend(boundary.map(|b| ("(boundary)".to_string(), b)));
    let (inline, versions) = tokio::join!(
        inline_documents(iam, role, inline_names.as_deref().unwrap_or_default()),
        join_all(managed.iter().map(|(name, arn)| async move {
            (name, arn, default_version_document(iam, arn).await)
        }))
    );
    if obj.is_empty() {
        return (None, errors);
    }
    if inline_names.is_some() {
        let (docs, inline_errors) = inline;
        obj.insert("inline_policies".into(), J::Array(docs));
        errors.0.extend(inline_errors.0);
    }
    let mut list = Vec::new();
    for (name, arn, r) in versions {
        let boundary = name == "(boundary)";
        match r {
            Ok(doc) => {
                let doc = doc.unwrap_or(J::Null);
                if boundary {
                    let b = json!({"arn": arn, "document": doc});
                    obj.insert("permissions_boundary".into(), b);
                } else {
                    list.push(json!({"arn": arn, "name": name, "document": doc}));
                }
            }
            Err((perm, (code, text))) => {
                let part = match boundary {
                    true => "role.permissions_boundary".to_string(),
                    false => format!("role.attached_policies/{name}"),
                };
                errors.add_text(&part, perm, code.as_deref(), &text);
            }
        }
    }
    if attached.is_some() {
        obj.insert("attached_policies".into(), J::Array(list));
    }
    (Some(obj), errors)
}

/// GetRole's answer as the role part holds it, and the boundary's ARN (`permissions_boundary`
/// is `null` when there is none, else filled once its document is read).
fn role_object(r: &aws_sdk_iam::types::Role) -> (Map<String, J>, Option<String>) {
    let mut obj = Map::new();
    obj.insert("Arn".into(), J::String(r.arn().to_string()));
    obj.insert("RoleId".into(), J::String(r.role_id().to_string()));
    obj.insert("RoleName".into(), J::String(r.role_name().to_string()));
    let tags = r.tags().iter();
    let tags = tags.map(|t| json!({"Key": t.key(), "Value": t.value()}));
    obj.insert("Tags".into(), J::Array(tags.collect()));
    let trust = r.assume_role_policy_document().map(document);
    obj.insert("trust_policy".into(), trust.unwrap_or(J::Null));
    let boundary = r
        .permissions_boundary()
        .and_then(|b| b.permissions_boundary_arn())
        .map(str::to_string);
    if boundary.is_none() {
        obj.insert("permissions_boundary".into(), J::Null);
    }
    (obj, boundary)
}

/// ListRolePolicies, every page.
async fn list_inline(
    iam: &aws_sdk_iam::Client,
    role: &str,
) -> Result<Vec<String>, SdkError<ListRolePoliciesError, HttpResponse>> {
    let mut all = Vec::new();
    let mut marker = None;
    loop {
        let out = iam
            .list_role_policies()
            .role_name(role)
            .set_marker(marker.clone())
            .send()
            .await?;
        all.extend(out.policy_names().iter().cloned());
        match (out.is_truncated(), out.marker()) {
            (true, Some(m)) => marker = Some(m.to_string()),
            _ => return Ok(all),
        }
    }
}

/// ListAttachedRolePolicies, every page: `(name, arn)`.
async fn list_attached(
    iam: &aws_sdk_iam::Client,
    role: &str,
) -> Result<Vec<(String, String)>, SdkError<ListAttachedRolePoliciesError, HttpResponse>> {
    let mut all = Vec::new();
    let mut marker = None;
    loop {
        let out = iam
            .list_attached_role_policies()
            .role_name(role)
            .set_marker(marker.clone())
            .send()
            .await?;
        all.extend(out.attached_policies().iter().map(|p| {
            (
                p.policy_name().unwrap_or_default().to_string(),
                p.policy_arn().unwrap_or_default().to_string(),
            )
        }));
        match (out.is_truncated(), out.marker()) {
            (true, Some(m)) => marker = Some(m.to_string()),
            _ => return Ok(all),
        }
    }
}

/// GetRolePolicy for every inline policy at once: `[{"name", "document"}]` and the refusals.
async fn inline_documents(
    iam: &aws_sdk_iam::Client,
    role: &str,
    names: &[String],
) -> (Vec<J>, Errors) {
    let reads = join_all(names.iter().map(|n| async move {
        let r = iam.get_role_policy().role_name(role).policy_name(n);
        (n, r.send().await)
    }))
    .await;
    let mut errors = Errors::default();
    let mut docs = Vec::new();
    for (name, r) in reads {
        match r {
            Ok(o) => docs.push(json!({"name": name, "document": document(o.policy_document())})),
            Err(e) => {
                let part = format!("role.inline_policies/{name}");
                errors.add(&part, "iam:GetRolePolicy", &e);
            }
        }
    }
    (docs, errors)
}

/// The organization part for the accounts that matter: the role's and the key's, both in their
/// ARNs (org.rs reads it).
async fn read_organization(
    cfg: &aws_config::SdkConfig,
    reg: &Registration,
    creds: &super::org::OrgCreds,
    cache: &super::org::OrgCache,
) -> (Option<J>, Errors) {
    let arns = [reg.role_arn.as_deref(), reg.kms_arn.as_deref()];
    let accounts = super::org::accounts_of(arns.into_iter().flatten());
    let (part, errors) = super::org::read(cfg, creds, &accounts, cache).await;
    (part, Errors(errors))
}

/// Decode and parse an IAM policy document (URL-encoded by the IAM API; plain JSON accepted).
pub(crate) fn document(text: &str) -> J {
    let decoded = if text.trim_start().starts_with('%') {
        url_decode(text)
    } else {
        text.to_string()
    };
    serde_json::from_str(&decoded).unwrap_or(J::String(decoded))
}

#[cfg(test)]
mod tests {
    use super::denied_by;

    #[test]
    fn a_denied_read_names_what_may_have_denied_it() {
        let p = "kms:DescribeKey";
        let key_deny = "AccessDeniedException: User: arn:aws:iam::111122223333:user/audit is not authorized to perform: kms:DescribeKey on resource: arn:aws:kms:us-east-1:111122223333:key/1234 with an explicit deny in a resource-based policy";
        let d = denied_by(key_deny, p);
        assert!(
            d.contains("key policy") && !d.starts_with("the checking identity needs"),
            "{d}"
        );
        let no_allow = "AccessDeniedException: User: arn:aws:iam::111122223333:user/audit is not authorized to perform: kms:DescribeKey on resource: arn:… because no identity-based policy allows the kms:DescribeKey action";
        assert_eq!(
            denied_by(no_allow, p),
            "the checking identity needs kms:DescribeKey"
        );
        let scp = "AccessDenied: … with an explicit deny in a service control policy";
        assert!(denied_by(scp, p).contains("service control policy"));
        let bare = "AccessDeniedException: access denied";
        let d = denied_by(bare, p);
        assert!(
            d.contains("may need kms:DescribeKey") && d.contains("key policy"),
            "{d}"
        );
    }
}
