//! The loader: everything the rules read, from AWS, into an `ekm-check.snapshot/v1`.
//!
//! Only Describe/Get/List calls. Independent reads run concurrently, in at most three rounds:
//! 1. GetCallerIdentity, DescribeKey, GetRole, ListRolePolicies, ListAttachedRolePolicies (and,
//!    when `kms_arn` is a key ARN, GetKeyPolicy, GetKeyRotationStatus, ListAliases, ListGrants);
//! 2. GetRolePolicy per inline policy, GetPolicy per attached policy and the boundary (and the
//!    key reads, when `kms_arn` is an alias that DescribeKey resolved);
//! 3. GetPolicyVersion for each managed policy's default version.
//!
//! A failed read goes into `errors` with the AWS error code and the permission it needs, so the
//! rules that need it are `unknown`, never `pass`.

use std::collections::BTreeMap;

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

pub(crate) struct Errors(pub(crate) BTreeMap<String, String>);

impl Errors {
    pub(crate) fn add<E, R>(&mut self, part: &str, permission: &str, e: &SdkError<E, R>)
    where
        E: aws_sdk_kms::error::ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        let (code, text) = describe_error(e);
        let needs = match code.as_deref() {
            Some(c) if c.contains("AccessDenied") || c.contains("Unauthorized") => {
                format!(" ({})", denied_by(&text, permission))
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
pub(crate) async fn key_details(
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

pub(crate) fn key_metadata_json(k: &aws_sdk_kms::types::KeyMetadata) -> J {
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

/// Read everything for one registration; the organization part with `org`'s credentials.
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
    let mut errors = Errors(BTreeMap::new());
    let kms_arn = reg.kms_arn.clone().unwrap_or_default();
    let role = reg
        .role_arn
        .as_deref()
        .and_then(role_name)
        .map(str::to_string);
    let key_is_arn = kms_arn.contains(":key/");

    // Round 1.
    let caller = sts.get_caller_identity().send();
    let describe = async {
        if kms_arn.is_empty() {
            None
        } else {
            Some(kms.describe_key().key_id(&kms_arn).send().await)
        }
    };
    let key_early = async {
        let mut m = Map::new();
        let mut e = Errors(BTreeMap::new());
        if key_is_arn {
            key_details(&kms, &kms_arn, &mut m, &mut e).await;
        }
        (m, e)
    };
    let get_role = async {
        match &role {
            Some(r) => Some(iam.get_role().role_name(r).send().await),
            None => None,
        }
    };
    let inline_names = async {
        let Some(r) = &role else {
            return Ok(Vec::new());
        };
        let mut all = Vec::new();
        let mut marker = None;
        loop {
            let out = iam
                .list_role_policies()
                .role_name(r)
                .set_marker(marker.clone())
                .send()
                .await?;
            all.extend(out.policy_names().iter().cloned());
            match (out.is_truncated(), out.marker()) {
                (true, Some(m)) => marker = Some(m.to_string()),
                _ => return Ok::<_, SdkError<_, _>>(all),
            }
        }
    };
    let attached = async {
        let Some(r) = &role else {
            return Ok(Vec::new());
        };
        let mut all = Vec::new();
        let mut marker = None;
        loop {
            let out = iam
                .list_attached_role_policies()
                .role_name(r)
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
                _ => return Ok::<_, SdkError<_, _>>(all),
            }
        }
    };
    // The organization part runs beside everything else: the accounts that matter are the
    // role's and the key's, both in their ARNs.
    let mut org_accounts: Vec<String> = Vec::new();
    for arn in [reg.role_arn.as_deref(), reg.kms_arn.as_deref()]
        .into_iter()
        .flatten()
    {
        if let Some(a) = super::org::account_of(arn) {
            if !org_accounts.iter().any(|x| x == a) {
                org_accounts.push(a.to_string());
            }
        }
    }
    let organization = super::org::read(cfg, org, &org_accounts, org_cache);
    let (
        caller,
        describe,
        (mut key, key_errors),
        get_role,
        inline_names,
        attached,
        (organization, org_errors),
    ) = tokio::join!(
        caller,
        describe,
        key_early,
        get_role,
        inline_names,
        attached,
        organization
    );
    errors.0.extend(key_errors.0);
    errors.0.extend(org_errors);

    let mut no_access = None;
    let caller = match caller {
        Ok(c) => Some((
            c.account().unwrap_or_default().to_string(),
            c.arn().unwrap_or_default().to_string(),
        )),
        Err(e) => {
            let (code, text) = describe_error(&e);
            if code.is_none() || text.contains("credentials") {
                no_access = Some(text.clone());
            }
            errors.0.insert("caller".into(), text);
            None
        }
    };

    // The key's metadata; round 2 for an alias.
    let mut resolved_key: Option<String> = None;
    match describe {
        None => {}
        Some(Ok(d)) => {
            if let Some(k) = d.key_metadata() {
                resolved_key = k.arn().map(str::to_string);
                key.insert("metadata".into(), key_metadata_json(k));
            }
        }
        Some(Err(e)) => {
            if describe_error(&e).0.as_deref() == Some("NotFoundException") {
                // A key that does not exist: one error for the whole key.
                key.clear();
                for k in [
                    "key.policy",
                    "key.rotation_enabled",
                    "key.aliases",
                    "key.grants",
                    "key.tags",
                ] {
                    errors.0.remove(k);
                }
                errors.add("key", "kms:DescribeKey", &e);
            } else {
                errors.add("key.metadata", "kms:DescribeKey", &e);
                if !key_is_arn {
                    // The alias could not be resolved: the key's other parts cannot be read.
                    for k in [
                        "key.policy",
                        "key.rotation_enabled",
                        "key.aliases",
                        "key.grants",
                        "key.tags",
                    ] {
                        errors.0.insert(k.into(), "not read: DescribeKey failed, so the alias could not be resolved to a key".into());
                    }
                }
            }
        }
    }

    // Round 2: inline documents, managed policies' default versions, the boundary, and the
    // key's details when kms_arn is an alias.
    let mut role_obj = Map::new();
    let mut boundary_arn: Option<String> = None;
    match get_role {
        None => {}
        Some(Ok(r)) => {
            if let Some(r) = r.role() {
                role_obj.insert("Arn".into(), J::String(r.arn().to_string()));
                role_obj.insert("RoleId".into(), J::String(r.role_id().to_string()));
                role_obj.insert("RoleName".into(), J::String(r.role_name().to_string()));
                role_obj.insert(
                    "Tags".into(),
                    J::Array(
                        r.tags()
                            .iter()
                            .map(|t| json!({"Key": t.key(), "Value": t.value()}))
                            .collect(),
                    ),
                );
                role_obj.insert(
                    "trust_policy".into(),
                    r.assume_role_policy_document()
                        .map(document)
                        .unwrap_or(J::Null),
                );
                boundary_arn = r
                    .permissions_boundary()
                    .and_then(|b| b.permissions_boundary_arn())
                    .map(str::to_string);
                if boundary_arn.is_none() {
                    role_obj.insert("permissions_boundary".into(), J::Null);
                }
            }
        }
        Some(Err(e)) => errors.add("role", "iam:GetRole", &e),
    }
    let role_found = !role_obj.is_empty();
    let inline_names = match inline_names {
        Ok(n) => Some(n),
        Err(e) => {
            errors.add("role.inline_policies", "iam:ListRolePolicies", &e);
            None
        }
    };
    let attached = match attached {
        Ok(a) => Some(a),
        Err(e) => {
            errors.add("role.attached_policies", "iam:ListAttachedRolePolicies", &e);
            None
        }
    };
    let role_ref = role.clone().unwrap_or_default();
    let inline_docs = join_all(inline_names.iter().flatten().map(|n| {
        let iam = &iam;
        let role_ref = &role_ref;
        async move {
            (
                n.clone(),
                iam.get_role_policy()
                    .role_name(role_ref)
                    .policy_name(n)
                    .send()
                    .await,
            )
        }
    }));
    let mut managed: Vec<(String, String)> = attached.clone().unwrap_or_default();
    if let Some(b) = &boundary_arn {
        managed.push(("(boundary)".into(), b.clone()));
    }
    let versions = join_all(managed.iter().map(|(name, arn)| {
        let iam = &iam;
        async move {
            // Round 2: the default version id; round 3: that version's document.
            let r = default_version_document(iam, arn).await;
            (name.clone(), arn.clone(), r)
        }
    }));
    let key_late = async {
        let mut m = Map::new();
        let mut e = Errors(BTreeMap::new());
        if !key_is_arn {
            if let Some(k) = &resolved_key {
                key_details(&kms, k, &mut m, &mut e).await;
            }
        }
        (m, e)
    };
    let (inline_docs, versions, (key_more, key_more_errors)) =
        tokio::join!(inline_docs, versions, key_late);
    key.extend(key_more);
    errors.0.extend(key_more_errors.0);

    if role_found {
        if inline_names.is_some() {
            let mut list = Vec::new();
            for (name, r) in inline_docs {
                match r {
                    Ok(o) => {
                        list.push(json!({"name": name, "document": document(o.policy_document())}))
                    }
                    Err(e) => errors.add(
                        &format!("role.inline_policies/{name}"),
                        "iam:GetRolePolicy",
                        &e,
                    ),
                }
            }
            role_obj.insert("inline_policies".into(), J::Array(list));
        }
        let mut list = Vec::new();
        for (name, arn, r) in versions {
            match r {
                Ok(doc) => {
                    let doc = doc.unwrap_or(J::Null);
                    if name == "(boundary)" {
                        role_obj.insert(
                            "permissions_boundary".into(),
                            json!({"arn": arn, "document": doc}),
                        );
                    } else {
                        list.push(json!({"arn": arn, "name": name, "document": doc}));
                    }
                }
                Err((perm, (code, text))) => {
                    let part = if name == "(boundary)" {
                        "role.permissions_boundary".to_string()
                    } else {
                        format!("role.attached_policies/{name}")
                    };
                    let needs = if code.as_deref().is_some_and(|c| c.contains("AccessDenied")) {
                        format!(" ({})", denied_by(&text, perm))
                    } else {
                        String::new()
                    };
                    errors.0.insert(part, format!("{text}{needs}"));
                }
            }
        }
        if attached.is_some() {
            role_obj.insert("attached_policies".into(), J::Array(list));
        }
    }

    let mut snap = Map::new();
    snap.insert("format".into(), J::String(FORMAT.into()));
    snap.insert("collected_at".into(), J::String(collected_at.into()));
    snap.insert(
        "registration".into(),
        serde_json::to_value(reg).unwrap_or(J::Null),
    );
    if let Some((acct, arn)) = &caller {
        snap.insert("caller".into(), json!({"Account": acct, "Arn": arn}));
    }
    if !key.is_empty() {
        // The metadata first, as DescribeKey is what a reader looks for first.
        let mut ordered = Map::new();
        if let Some(m) = key.remove("metadata") {
            ordered.insert("metadata".into(), m);
        }
        ordered.extend(key);
        snap.insert("key".into(), J::Object(ordered));
    }
    if role_found {
        snap.insert("role".into(), J::Object(role_obj));
    }
    if let Some(o) = organization {
        snap.insert("organization".into(), o);
    }
    if !errors.0.is_empty() {
        snap.insert("errors".into(), json!(errors.0));
    }
    Loaded {
        snapshot: J::Object(snap),
        caller,
        no_access,
    }
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
