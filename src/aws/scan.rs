//! `scan`: find every role that trusts OpenAI's account and every key it uses, and build one
//! snapshot per (role, key) target, for the same rules as `check`.
//!
//! Discovery reads roles with GetAccountAuthorizationDetails (a few pages for a whole account)
//! and keeps only the roles whose trust policy names OpenAI's account (any principal form) or
//! requires an OpenAI org/project id as ExternalId; other roles are dropped page by page, so memory
//! does not grow with them. Managed policies come from a second pass over the same API, keeping
//! only those attached to EKM roles. Keys come from the roles' policies: exact key ARNs as they
//! are; wildcard resources are matched against the keys listed in the scanned regions, and the
//! evaluator decides which of those the role can use. Each key is read once (the loader's key
//! reader: 6 calls in at most two rounds), whichever targets share it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aws_sdk_kms::error::SdkError;
use futures_util::future::join_all;
use serde_json::{Map, Value as J, json};

use super::describe_error;
use super::loader::{KeyPart, Parts, assemble, default_version_document, document};
use crate::inputs::Registration;
use crate::policy::pattern::{Pattern, Wild};
use crate::policy::principal::{Principal, PrincipalPattern};
use crate::policy::{Effect, Policy, PolicyKind};
use crate::rules::paths::OPENAI_ROLE;

#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Regions whose keys are listed for wildcard resources (the keys named exactly are read in
    /// their own region).
    pub regions: Vec<String>,
    /// Reads in flight at once.
    pub concurrency: usize,
    /// The expected ExternalId; `None`: each target's trust policy's own values.
    pub external_id: Option<String>,
    /// `--evidence`: read CloudTrail's event history for each target (EKM701, EKM702).
    pub evidence: Option<super::evidence::Window>,
}

/// One (role, key) pair to check.
#[derive(Debug, Clone)]
pub struct Target {
    pub account: String,
    pub registration: Registration,
    pub snapshot: J,
    /// The ExternalId was not given: it is the trust policy's own.
    pub external_id_from_trust: bool,
    /// The key was found by a wildcard resource, not named: keep it only if the role can use it.
    pub by_wildcard: bool,
}

impl Target {
    /// What was read for this target, from its snapshot: the organization part's state and the
    /// failed reads.
    pub fn reads(&self) -> crate::report::Reads {
        let errors: BTreeMap<String, String> = self.snapshot["errors"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str().map_or_else(|| v.to_string(), str::to_string),
                )
            })
            .collect();
        let organization = organization_read(self.snapshot.get("organization"), &errors);
        crate::report::Reads {
            organization,
            errors,
        }
    }
}

/// Whether the organization part was read (membership, then the policies), or its error.
fn organization_read(part: Option<&J>, errors: &BTreeMap<String, String>) -> J {
    let mut out = Map::new();
    let error = |k: &str| errors.get(k).map(|e| J::String(e.clone()));
    let Some(o) = part else {
        out.insert("read".into(), J::Bool(false));
        out.extend(error("organization").map(|e| ("error".to_string(), e)));
        return J::Object(out);
    };
    out.insert("read".into(), J::Bool(true));
    let in_org = o["in_organization"].as_bool().unwrap_or(false);
    out.insert("in_organization".into(), J::Bool(in_org));
    if !in_org {
        return J::Object(out);
    }
    if let Some(id) = o.get("id") {
        out.insert("id".into(), id.clone());
    }
    match o.get("accounts").and_then(J::as_object) {
        Some(a) => {
            out.insert("policies_read".into(), J::Bool(true));
            out.insert("accounts".into(), json!(a.keys().collect::<Vec<_>>()));
        }
        None => {
            out.insert("policies_read".into(), J::Bool(false));
            out.extend(error("organization.policies").map(|e| ("error".to_string(), e)));
        }
    }
    J::Object(out)
}

/// What discovery saw.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Discovery {
    pub account: Option<String>,
    pub roles_examined: usize,
    pub ekm_roles: usize,
    pub keys_examined: usize,
    pub errors: Vec<String>,
}

/// An EKM role, as discovery keeps it.
struct EkmRole {
    arn: String,
    role_id: String,
    name: String,
    trust: J,
    inline: Vec<(String, J)>,
    attached: Vec<(String, String)>,
    boundary: Option<String>,
    /// `[{"Key", "Value"}]`, as GetRole gives them.
    tags: Vec<J>,
}

/// Does this trust policy concern OpenAI: an Allow naming OpenAI's account in any principal
/// form, or requiring an OpenAI org or project id as ExternalId (a deleted-and-re-created
/// OpenAI principal shows as a unique id)?
pub fn trusts_openai(trust: &J) -> bool {
    let policy = Policy::from_value(trust, PolicyKind::Trust, "trust");
    let openai = Principal::parse(OPENAI_ROLE).expect("constant");
    policy.statements.iter().any(|st| {
        if st.effect != Effect::Allow {
            return false;
        }
        let names = st.principal.as_ref().is_some_and(|p| {
            !p.negated
                && p.entries.iter().any(|e| match &e.pattern {
                    PrincipalPattern::Any => false,
                    other => other.matches(&openai).is_some(),
                })
        });
        let openai_id = st.conditions.iter().any(|c| {
            c.key_lc == "sts:externalid"
                && c.raw_values
                    .iter()
                    .any(|v| v.starts_with("org-") || v.starts_with("proj_"))
        });
        names || openai_id
    })
}

/// The ExternalId values the OpenAI statements of a trust policy require.
pub fn required_external_ids(trust: &J) -> Vec<String> {
    let policy = Policy::from_value(trust, PolicyKind::Trust, "trust");
    let mut out = Vec::new();
    for st in policy
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow)
    {
        for c in &st.conditions {
            if c.key_lc == "sts:externalid" {
                for v in &c.raw_values {
                    if !out.contains(v) {
                        out.push(v.clone());
                    }
                }
            }
        }
    }
    out
}

/// The KMS resources a role's identity policies allow Encrypt or Decrypt on: exact ARNs, and
/// wildcard patterns (compiled).
fn kms_resources(docs: &[&J]) -> (BTreeSet<String>, Vec<Pattern>) {
    let mut exact = BTreeSet::new();
    let mut wild = Vec::new();
    for d in docs {
        let p = Policy::from_value(d, PolicyKind::Identity, "identity");
        for st in p.statements.iter().filter(|s| s.effect == Effect::Allow) {
            let ctx = crate::eval::Context::default();
            let hit = |a: &str| {
                st.action
                    .patterns
                    .iter()
                    .any(|x| x.matches(a, &ctx).is_true())
                    != st.action.negated
            };
            if !hit("kms:encrypt") && !hit("kms:decrypt") {
                continue;
            }
            let Some(r) = &st.resource else { continue };
            if r.negated {
                wild.push(Pattern::new("*", Wild::Yes, false));
                continue;
            }
            for raw in &r.raw {
                if raw.contains('*') || raw.contains('?') || raw.contains("${") {
                    wild.push(Pattern::new(raw, Wild::Yes, p.variables));
                } else if raw.contains(":kms:") {
                    exact.insert(raw.clone());
                }
            }
        }
    }
    (exact, wild)
}

async fn paged_roles(iam: &aws_sdk_iam::Client, disc: &mut Discovery) -> Vec<EkmRole> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = iam
            .get_account_authorization_details()
            .filter(aws_sdk_iam::types::EntityType::Role)
            .set_marker(marker.clone())
            .send()
            .await;
        let page = match page {
            Ok(p) => p,
            Err(e) => {
                disc.errors.push(format!(
                    "GetAccountAuthorizationDetails: {}",
                    describe_error(&e).1
                ));
                return out;
            }
        };
        for r in page.role_detail_list() {
            disc.roles_examined += 1;
            let trust = r
                .assume_role_policy_document()
                .map(document)
                .unwrap_or(J::Null);
            if !trusts_openai(&trust) {
                continue;
            }
            out.push(EkmRole {
                arn: r.arn().unwrap_or_default().to_string(),
                role_id: r.role_id().unwrap_or_default().to_string(),
                name: r.role_name().unwrap_or_default().to_string(),
                trust,
                inline: r
                    .role_policy_list()
                    .iter()
                    .map(|p| {
                        (
                            p.policy_name().unwrap_or_default().to_string(),
                            p.policy_document().map(document).unwrap_or(J::Null),
                        )
                    })
                    .collect(),
                attached: r
                    .attached_managed_policies()
                    .iter()
                    .map(|a| {
                        (
                            a.policy_name().unwrap_or_default().to_string(),
                            a.policy_arn().unwrap_or_default().to_string(),
                        )
                    })
                    .collect(),
                boundary: r
                    .permissions_boundary()
                    .and_then(|b| b.permissions_boundary_arn())
                    .map(str::to_string),
                tags: r
                    .tags()
                    .iter()
                    .map(|t| json!({"Key": t.key(), "Value": t.value()}))
                    .collect(),
            });
        }
        match (page.is_truncated(), page.marker()) {
            (true, Some(m)) => marker = Some(m.to_string()),
            _ => return out,
        }
    }
}

/// The default-version documents of the managed policies in `wanted` (by ARN): local ones from
/// GetAccountAuthorizationDetails pages, the others (AWS managed) one by one.
async fn managed_documents(
    iam: &aws_sdk_iam::Client,
    wanted: &BTreeSet<String>,
    disc: &mut Discovery,
) -> HashMap<String, Result<J, String>> {
    let mut found: HashMap<String, Result<J, String>> = HashMap::new();
    if wanted.is_empty() {
        return found;
    }
    let mut marker: Option<String> = None;
    loop {
        let page = iam
            .get_account_authorization_details()
            .filter(aws_sdk_iam::types::EntityType::LocalManagedPolicy)
            .set_marker(marker.clone())
            .send()
            .await;
        let page = match page {
            Ok(p) => p,
            Err(e) => {
                disc.errors.push(format!(
                    "GetAccountAuthorizationDetails (policies): {}",
                    describe_error(&e).1
                ));
                break;
            }
        };
        for p in page.policies() {
            let Some(arn) = p.arn().filter(|a| wanted.contains(*a)) else {
                continue;
            };
            let doc = p
                .policy_version_list()
                .iter()
                .find(|v| v.is_default_version())
                .and_then(|v| v.document())
                .map(document)
                .unwrap_or(J::Null);
            found.insert(arn.to_string(), Ok(doc));
        }
        match (page.is_truncated(), page.marker()) {
            (true, Some(m)) => marker = Some(m.to_string()),
            _ => break,
        }
    }
    let missing: Vec<&String> = wanted.iter().filter(|a| !found.contains_key(*a)).collect();
    let fetched = join_all(missing.iter().map(|arn| async move {
        let r = default_version_document(iam, arn)
            .await
            .map(|d| d.unwrap_or(J::Null))
            .map_err(|(_, (_, text))| text);
        ((*arn).clone(), r)
    }))
    .await;
    found.extend(fetched);
    found
}

/// A key, read once whichever targets share it: the loader's key reader, with a client in the
/// key's own Region.
async fn read_key(cfg: &aws_config::SdkConfig, kms_arn: &str) -> KeyPart {
    let mut b = aws_sdk_kms::config::Builder::from(cfg);
    if let Some(r) = super::region_of(kms_arn) {
        b = b.region(aws_config::Region::new(r.to_string()));
    }
    let kms = aws_sdk_kms::Client::from_conf(b.build());
    super::loader::read_key(&kms, kms_arn).await
}

/// The key ARNs of a region (ListKeys, paginated).
async fn list_keys(cfg: &aws_config::SdkConfig, region: &str) -> Result<Vec<String>, String> {
    let kms = aws_sdk_kms::Client::from_conf(
        aws_sdk_kms::config::Builder::from(cfg)
            .region(aws_config::Region::new(region.to_string()))
            .build(),
    );
    let mut out = Vec::new();
    let mut marker = None;
    loop {
        let r = kms
            .list_keys()
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e: SdkError<_, _>| describe_error(&e).1)?;
        out.extend(
            r.keys()
                .iter()
                .filter_map(|k| k.key_arn().map(str::to_string)),
        );
        match (r.truncated(), r.next_marker()) {
            (true, Some(m)) => marker = Some(m.to_string()),
            _ => return Ok(out),
        }
    }
}

/// Scan one account. The organization part is read once for the account (and the accounts of
/// its targets' keys), with `org`'s credentials; policies are cached in `org_cache` across
/// accounts.
pub async fn scan(
    cfg: &aws_config::SdkConfig,
    opts: &ScanOptions,
    collected_at: &str,
    org: &super::org::OrgCreds,
    org_cache: &super::org::OrgCache,
) -> (Vec<Target>, Discovery) {
    let iam = aws_sdk_iam::Client::new(cfg);
    let sts = aws_sdk_sts::Client::new(cfg);
    let mut disc = Discovery::default();
    match sts.get_caller_identity().send().await {
        Ok(c) => disc.account = c.account().map(str::to_string),
        Err(e) => {
            disc.errors
                .push(format!("GetCallerIdentity: {}", describe_error(&e).1));
            return (Vec::new(), disc);
        }
    }
    let account = disc.account.clone().unwrap_or_default();
    let roles = paged_roles(&iam, &mut disc).await;
    disc.ekm_roles = roles.len();
    let wanted: BTreeSet<String> = roles
        .iter()
        .flat_map(|r| {
            r.attached
                .iter()
                .map(|(_, a)| a.clone())
                .chain(r.boundary.clone())
        })
        .collect();
    let managed = managed_documents(&iam, &wanted, &mut disc).await;

    // Which keys does each role use? Exact ARNs, and wildcard patterns to match listed keys.
    let mut per_role: Vec<(BTreeSet<String>, Vec<Pattern>)> = Vec::new();
    let mut any_wild = false;
    for r in &roles {
        let mut docs: Vec<&J> = r.inline.iter().map(|(_, d)| d).collect();
        for (_, arn) in &r.attached {
            if let Some(Ok(d)) = managed.get(arn) {
                docs.push(d);
            }
        }
        let (exact, wild) = kms_resources(&docs);
        any_wild |= !wild.is_empty();
        per_role.push((exact, wild));
    }
    let mut listed: Vec<String> = Vec::new();
    if any_wild {
        let lists = join_all(opts.regions.iter().map(|reg| list_keys(cfg, reg))).await;
        for (reg, l) in opts.regions.iter().zip(lists) {
            match l {
                Ok(keys) => listed.extend(keys),
                Err(e) => disc.errors.push(format!("ListKeys in {reg}: {e}")),
            }
        }
    }
    // Candidate keys per role; every distinct key is read once.
    let ctx = crate::eval::Context::default();
    let mut candidates: Vec<Vec<(String, bool)>> = Vec::new();
    let mut all_keys: BTreeSet<String> = BTreeSet::new();
    for (exact, wild) in &per_role {
        let mut c: Vec<(String, bool)> = exact.iter().map(|k| (k.clone(), false)).collect();
        for k in &listed {
            if !exact.contains(k) && wild.iter().any(|p| p.matches_arn(k, &ctx).is_true()) {
                c.push((k.clone(), true));
            }
        }
        all_keys.extend(c.iter().map(|(k, _)| k.clone()));
        candidates.push(c);
    }
    disc.keys_examined = all_keys.len();
    let mut keys: HashMap<String, KeyPart> = HashMap::new();
    let all: Vec<String> = all_keys.into_iter().collect();
    // The organization part, once for the account and its keys' accounts, beside the key reads.
    let mut org_accounts = vec![account.clone()];
    for a in super::org::accounts_of(all.iter().map(String::as_str)) {
        if !org_accounts.contains(&a) {
            org_accounts.push(a);
        }
    }
    let organization = super::org::read(cfg, org, &org_accounts, org_cache);
    let key_reads = async {
        let mut keys = HashMap::new();
        for chunk in all.chunks(opts.concurrency.max(1)) {
            let reads = join_all(chunk.iter().map(|k| read_key(cfg, k))).await;
            for (k, r) in chunk.iter().zip(reads) {
                keys.insert(k.clone(), r);
            }
        }
        keys
    };
    let ((organization, org_errors), read) = tokio::join!(organization, key_reads);
    keys.extend(read);
    // A target's own part: the accounts of its role and its key.
    let org_part = |kms_arn: Option<&str>| -> Option<J> {
        let mut o = organization.clone()?;
        if let Some(accts) = o.get_mut("accounts").and_then(J::as_object_mut) {
            let key_account = kms_arn.and_then(super::org::account_of);
            accts.retain(|a, _| *a == account || Some(a.as_str()) == key_account);
        }
        Some(o)
    };

    let mut targets = Vec::new();
    for ((r, c), (exact, wild)) in roles.iter().zip(&candidates).zip(&per_role) {
        let role_obj = role_json(r, &managed);
        let (external_id, from_trust) = match &opts.external_id {
            Some(x) => (Some(x.clone()), false),
            None => (required_external_ids(&r.trust).into_iter().next(), true),
        };
        if c.is_empty() {
            // A role whose key cannot be determined is still a target.
            let why = if exact.is_empty() && wild.is_empty() {
                "no policy of the role allows kms:Encrypt or kms:Decrypt on a key"
            } else {
                "no key in the scanned regions matches the role's wildcard resources"
            };
            let registration = Registration {
                kms_arn: None,
                role_arn: Some(r.arn.clone()),
                external_id,
            };
            let mut errors = BTreeMap::from([(
                "key".to_string(),
                format!("the key could not be determined: {why}"),
            )]);
            errors.extend(org_errors.clone());
            let parts = Parts {
                role: Some(role_obj),
                organization: org_part(None),
                errors,
                ..Parts::default()
            };
            targets.push(Target {
                account: account.clone(),
                snapshot: assemble(&registration, collected_at, parts),
                registration,
                external_id_from_trust: from_trust,
                by_wildcard: false,
            });
            continue;
        }
        for (k, by_wildcard) in c {
            let read = &keys[k];
            let registration = Registration {
                kms_arn: Some(read.arn.clone().unwrap_or_else(|| k.clone())),
                role_arn: Some(r.arn.clone()),
                external_id: external_id.clone(),
            };
            let mut errors = read.errors.0.clone();
            errors.extend(org_errors.clone());
            for (_, arn) in &r.attached {
                if let Some(Err(e)) = managed.get(arn) {
                    errors.insert(format!("role.attached_policies/{arn}"), e.clone());
                }
            }
            let parts = Parts {
                key: read.part.clone(),
                role: Some(role_obj.clone()),
                organization: org_part(read.arn.as_deref().or(Some(k.as_str()))),
                errors,
                ..Parts::default()
            };
            targets.push(Target {
                account: account.clone(),
                snapshot: assemble(&registration, collected_at, parts),
                registration,
                external_id_from_trust: from_trust,
                by_wildcard: *by_wildcard,
            });
        }
    }
    if let Some(w) = &opts.evidence {
        // One lookup per role and per key, shared by the targets that name them; the targets
        // are read together, their pages paced to LookupEvents' quota in each Region.
        let cache = super::evidence::Cache::default();
        join_all(
            targets
                .iter_mut()
                .map(|t| super::evidence::attach(cfg, &mut t.snapshot, w, &cache)),
        )
        .await;
    }
    (targets, disc)
}

fn role_json(r: &EkmRole, managed: &HashMap<String, Result<J, String>>) -> J {
    let attached: Vec<J> = r
        .attached
        .iter()
        .filter_map(|(name, arn)| match managed.get(arn) {
            Some(Ok(d)) => Some(json!({"arn": arn, "name": name, "document": d})),
            _ => None,
        })
        .collect();
    let boundary = match &r.boundary {
        None => J::Null,
        Some(arn) => match managed.get(arn) {
            Some(Ok(d)) => json!({"arn": arn, "document": d}),
            _ => json!({"arn": arn, "document": {}}),
        },
    };
    json!({
        "Arn": r.arn,
        "RoleId": r.role_id,
        "RoleName": r.name,
        "Tags": r.tags,
        "trust_policy": r.trust,
        "inline_policies": r.inline.iter().map(|(n, d)| json!({"name": n, "document": d})).collect::<Vec<_>>(),
        "attached_policies": attached,
        "permissions_boundary": boundary,
    })
}

/// Every commercial region, for `--regions all`.
pub const ALL_REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "af-south-1",
    "ap-east-1",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-south-1",
    "eu-south-2",
    "eu-north-1",
    "il-central-1",
    "me-south-1",
    "me-central-1",
    "mx-central-1",
    "sa-east-1",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_policies_that_concern_openai() {
        let t = |p: J| trusts_openai(&json!({"Version": "2012-10-17", "Statement": [p]}));
        assert!(t(
            json!({"Effect": "Allow", "Principal": {"AWS": OPENAI_ROLE}, "Action": "sts:AssumeRole"})
        ));
        assert!(t(
            json!({"Effect": "Allow", "Principal": {"AWS": "790389265272"}, "Action": "sts:AssumeRole"})
        ));
        assert!(t(
            json!({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::790389265272:root"}, "Action": "sts:AssumeRole"})
        ));
        assert!(t(
            json!({"Effect": "Allow", "Principal": {"AWS": "AROAEXAMPLEDELETED12345"}, "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "org-AbCdEf0123456789GhIjKlMn"}}})
        ));
        assert!(!t(
            json!({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})
        ));
        assert!(!t(
            json!({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"})
        ));
        assert!(!t(
            json!({"Effect": "Deny", "Principal": {"AWS": OPENAI_ROLE}, "Action": "sts:AssumeRole"})
        ));
    }

    #[test]
    fn each_target_says_whether_the_organization_part_was_read() {
        let errors = |k: &str, v: &str| BTreeMap::from([(k.to_string(), v.to_string())]);
        assert_eq!(
            organization_read(None, &errors("organization", "AccessDenied: x")),
            json!({"read": false, "error": "AccessDenied: x"})
        );
        assert_eq!(
            organization_read(Some(&json!({"in_organization": false})), &BTreeMap::new()),
            json!({"read": true, "in_organization": false})
        );
        let part = json!({"in_organization": true, "id": "o-a1", "policy_types": [],
            "accounts": {"111122223333": {"path": []}}});
        assert_eq!(
            organization_read(Some(&part), &BTreeMap::new()),
            json!({"read": true, "in_organization": true, "id": "o-a1", "policies_read": true,
                   "accounts": ["111122223333"]})
        );
        let part = json!({"in_organization": true, "id": "o-a1"});
        assert_eq!(
            organization_read(
                Some(&part),
                &errors("organization.policies", "AccessDenied: ListParents")
            ),
            json!({"read": true, "in_organization": true, "id": "o-a1", "policies_read": false,
                   "error": "AccessDenied: ListParents"})
        );
    }

    #[test]
    fn kms_resources_split_exact_and_wildcards() {
        let d = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": ["arn:aws:kms:us-east-1:1:key/a", "arn:aws:kms:*:1:key/*"]},
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:kms:us-east-1:1:key/b"}
        ]});
        let (exact, wild) = kms_resources(&[&d]);
        assert_eq!(
            exact.into_iter().collect::<Vec<_>>(),
            vec!["arn:aws:kms:us-east-1:1:key/a".to_string()]
        );
        assert_eq!(wild.len(), 1);
    }
}
