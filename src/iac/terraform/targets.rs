//! Terraform resources → targets: every `aws_iam_role` that trusts OpenAI's principal (or the one
//! `--role`/`--role-arn` names), with the `aws_kms_key`(s) its policies allow Encrypt or Decrypt
//! on, each as the [`Inputs`] a live check of the applied configuration would read.
//!
//! The same for a configuration and a plan: they differ in how they know values, not in what
//! the values mean. An open attribute makes the part that holds it `Error`, so exactly the rules
//! that need it are `unknown`.

use super::{Attr, Options, Resource};
use crate::iac::managed_policies;
use crate::iac::{Analysis, Target};
use crate::inputs::{Doc, Inputs, KeyMeta, Part, RoleInfo};
use crate::json::{Node, Value};
use crate::policy::PolicyKind;

/// OpenAI's AWS account.
const OPENAI_ACCOUNT: &str = "790389265272";

struct Set<'r> {
    all: &'r [Resource],
    /// `terraform DIR` or `terraform-plan FILE`: for messages.
    label: &'r str,
}

impl<'r> Set<'r> {
    fn of_type(&self, ty: &'r str) -> impl Iterator<Item = &'r Resource> + 'r {
        self.all.iter().filter(move |r| r.ty == ty && !r.data)
    }
}

/// Does `attr` refer to `r` (by configuration reference)?
fn refers_to(attr: &Attr, r: &Resource) -> bool {
    let base = r.base_address();
    attr.refs.iter().any(|x| *x == base || *x == r.address)
}

/// Does the attribute name the role: its name (or ARN) as a value, or a reference to it?
fn names_role(attr: &Attr, role: &Resource) -> bool {
    if refers_to(attr, role) {
        return true;
    }
    let Ok(v) = &attr.value else { return false };
    let name = role.str("name").ok().flatten();
    let arn = role.str("arn").ok().flatten();
    let hit = |s: &str| Some(s) == name.as_deref() || Some(s) == arn.as_deref();
    match &v.value {
        Value::String(s) => hit(s),
        Value::Array(items) => items.iter().any(|i| i.as_str().is_some_and(hit)),
        _ => false,
    }
}

/// Read the targets of a configuration's or plan's resources.
pub fn analyze(all: &[Resource], label: &str, opts: &Options) -> Result<Analysis, String> {
    let set = Set { all, label };
    let roles: Vec<&Resource> = set.of_type("aws_iam_role").collect();
    let names: Vec<&str> = roles.iter().map(|r| r.address.as_str()).collect();
    let chosen: Vec<&Resource> = if let Some(want) = &opts.role {
        let hit: Vec<&Resource> = roles
            .iter()
            .copied()
            .filter(|r| r.address == *want || r.base_address() == *want)
            .collect();
        if hit.is_empty() {
            return Err(format!(
                "--role {want}: {label} has no aws_iam_role {want} (its roles: {})",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            ));
        }
        hit
    } else {
        let by_arn: Vec<&Resource> = match &opts.role_arn {
            Some(arn) => {
                let name = arn.rsplit('/').next().unwrap_or(arn);
                roles
                    .iter()
                    .copied()
                    .filter(|r| {
                        r.str("arn").ok().flatten().as_deref() == Some(arn.as_str())
                            || r.str("name").ok().flatten().as_deref() == Some(name)
                    })
                    .collect()
            }
            None => Vec::new(),
        };
        if by_arn.is_empty() {
            roles.iter().copied().filter(|r| trusts_openai(r)).collect()
        } else {
            by_arn
        }
    };
    let mut targets = Vec::new();
    for role in chosen {
        targets.extend(targets_of(&set, role, opts));
    }
    Ok(Analysis {
        targets,
        path: label.to_string(),
        roles: names.iter().map(|n| n.to_string()).collect(),
        role_type: "aws_iam_role",
        role_flag: "--role ADDRESS",
        caveat: None,
    })
}

fn trusts_openai(role: &Resource) -> bool {
    let Some(a) = role.attr("assume_role_policy") else {
        return false;
    };
    match document(role, "assume_role_policy", a) {
        Ok((n, _, _)) => crate::aws::scan::trusts_openai(&n.to_serde()),
        // An open trust policy: a target when its text names OpenAI's account.
        Err(_) => a
            .source
            .as_deref()
            .is_some_and(|s| s.contains(OPENAI_ACCOUNT)),
    }
}

/// A policy attribute as a document: its node (positions in the returned file) and pointer.
fn document(r: &Resource, name: &str, a: &Attr) -> Result<(Node, String, String), String> {
    let pointer = if r.pointer.is_empty() {
        String::new()
    } else {
        format!("{}/{name}", r.pointer)
    };
    if let Some((n, file)) = &a.document {
        return Ok((n.clone(), file.clone(), pointer));
    }
    let v = a.value.as_ref().map_err(Clone::clone)?;
    match &v.value {
        Value::String(s) => match crate::json::parse(s) {
            Ok(mut n) => {
                n.relocate(v.pos);
                Ok((n, r.file.clone(), pointer))
            }
            Err(e) => Err(format!(
                "{}.{name} is not a JSON policy document ({}{}): {e}",
                r.address,
                r.file,
                line_suffix(v.pos.line)
            )),
        },
        Value::Object(_) => Ok((v.clone(), r.file.clone(), pointer)),
        _ => Err(format!(
            "{}.{name} is a {}, not a policy document",
            r.address,
            v.type_name()
        )),
    }
}

fn line_suffix(line: u32) -> String {
    if line == 0 {
        String::new()
    } else {
        format!(":{line}")
    }
}

fn make_doc(r: &Resource, name: &str, a: &Attr, kind: PolicyKind) -> Result<Doc, String> {
    let (n, file, pointer) = document(r, name, a)?;
    let file = if file.is_empty() { None } else { Some(file) };
    Ok(Doc::from_node(
        &n,
        kind,
        &format!("{}.{name}", r.address),
        file.as_deref(),
        &pointer,
    ))
}

struct RoleDocs {
    inline: Part<Vec<Doc>>,
    attached: Part<Vec<Doc>>,
    /// The policy attributes (to find the keys they name) with their resources.
    attrs: Vec<(Resource, String)>,
}

fn role_docs(set: &Set<'_>, role: &Resource) -> RoleDocs {
    let mut out = RoleDocs {
        inline: Part::Present(Vec::new()),
        attached: Part::Present(Vec::new()),
        attrs: Vec::new(),
    };
    // inline_policy { name, policy } blocks of the role.
    if let Some(a) = role.attr("inline_policy") {
        match &a.value {
            Err(e) => crate::iac::push_doc(&mut out.inline, Err(e.clone())),
            Ok(Node {
                value: Value::Array(items),
                ..
            }) => {
                for (i, item) in items.iter().enumerate() {
                    let Some(p) = item.get("policy") else {
                        continue;
                    };
                    if p.as_str() == Some("") {
                        continue;
                    }
                    let mut sub = Attr::known(p.clone());
                    if let Some(docs) = role.attr(&format!("inline_policy[{i}].policy")) {
                        sub = docs.clone();
                    }
                    let what = format!("inline_policy[{i}].policy");
                    let mut d = make_doc(role, &what, &sub, PolicyKind::Identity);
                    if let Ok(d) = &mut d {
                        d.name = item.get("name").and_then(super::scalar_text);
                    }
                    out.attrs.push((role.clone(), what));
                    crate::iac::push_doc(&mut out.inline, d);
                }
            }
            Ok(_) => {}
        }
    }
    for rp in set.of_type("aws_iam_role_policy") {
        if !rp.attr("role").is_some_and(|a| names_role(a, role)) {
            continue;
        }
        let Some(a) = rp.attr("policy") else { continue };
        let mut d = make_doc(rp, "policy", a, PolicyKind::Identity);
        if let Ok(d) = &mut d {
            d.name = rp.str("name").ok().flatten();
        }
        out.attrs.push((rp.clone(), "policy".into()));
        crate::iac::push_doc(&mut out.inline, d);
    }
    // Attached: managed_policy_arns, role_policy_attachment, policy_attachment.
    if let Some(a) = role.attr("managed_policy_arns") {
        match &a.value {
            Err(e) => crate::iac::push_doc(&mut out.attached, Err(e.clone())),
            Ok(Node {
                value: Value::Array(items),
                ..
            }) => {
                for item in items {
                    let one = Attr {
                        value: Ok(item.clone()),
                        refs: a.refs.clone(),
                        source: None,
                        document: None,
                    };
                    attach(
                        set,
                        role,
                        &one,
                        "managed_policy_arns",
                        &mut out,
                        items.len() == 1,
                    );
                }
            }
            Ok(_) => {}
        }
    }
    for at in set.of_type("aws_iam_role_policy_attachment") {
        if !at.attr("role").is_some_and(|a| names_role(a, role)) {
            continue;
        }
        if let Some(p) = at.attr("policy_arn") {
            let what = format!("{}.policy_arn", at.address);
            attach(set, role, p, &what, &mut out, true);
        }
    }
    for at in set.of_type("aws_iam_policy_attachment") {
        if !at.attr("roles").is_some_and(|a| names_role(a, role)) {
            continue;
        }
        if let Some(p) = at.attr("policy_arn") {
            let what = format!("{}.policy_arn", at.address);
            attach(set, role, p, &what, &mut out, true);
        }
    }
    out
}

/// The `aws_iam_policy` an ARN attribute names: by value, else by reference (`single`: the
/// attribute names one policy, so a reference identifies it).
fn policy_named<'r>(set: &Set<'r>, a: &Attr, single: bool) -> Option<&'r Resource> {
    let arn = a.value.as_ref().ok().and_then(super::scalar_text);
    let mut hits = set.of_type("aws_iam_policy").filter(|p| {
        let by_value = arn.is_some() && p.str("arn").ok().flatten() == arn;
        by_value || (single && refers_to(a, p))
    });
    hits.next()
}

fn attach(set: &Set<'_>, role: &Resource, a: &Attr, what: &str, out: &mut RoleDocs, single: bool) {
    let d = policy_by_arn(set, role, a, what, PolicyKind::Identity, single);
    if let Some(p) = policy_named(set, a, single) {
        out.attrs.push((p.clone(), "policy".into()));
    }
    crate::iac::push_doc(&mut out.attached, d);
}

/// A managed policy given by ARN: one of the configuration's `aws_iam_policy`, an AWS-managed
/// one whose document is known, else open.
fn policy_by_arn(
    set: &Set<'_>,
    role: &Resource,
    a: &Attr,
    what: &str,
    kind: PolicyKind,
    single: bool,
) -> Result<Doc, String> {
    if let Some(p) = policy_named(set, a, single) {
        let attr = p
            .attr("policy")
            .ok_or_else(|| format!("{} has no policy", p.address))?;
        let mut d = make_doc(p, "policy", attr, kind)?;
        d.name = p.str("name").ok().flatten();
        d.arn = p.str("arn").ok().flatten();
        return Ok(d);
    }
    let arn = match &a.value {
        Ok(v) => {
            super::scalar_text(v).ok_or_else(|| format!("{}.{what} is not an ARN", role.address))?
        }
        Err(e) => return Err(e.clone()),
    };
    let name = managed_policies::aws_managed_name(&arn).ok_or_else(|| {
        format!(
            "{what}: {arn} is not in {}, and its document is not known before apply",
            set.label
        )
    })?;
    let doc = managed_policies::document(name).ok_or_else(|| {
        format!("{what}: the document of the AWS-managed policy {name} is not known to ekm-check")
    })?;
    let mut d = Doc::from_text(doc, kind, &format!("AWS-managed policy {name}"));
    d.file = None;
    d.name = Some(name.to_string());
    d.arn = Some(arn);
    Ok(d)
}

fn boundary(set: &Set<'_>, role: &Resource) -> Part<Option<Doc>> {
    let Some(a) = role.attr("permissions_boundary") else {
        return Part::Present(None);
    };
    if matches!(&a.value, Ok(v) if v.value == Value::Null || v.as_str() == Some("")) {
        return Part::Present(None);
    }
    let what = format!("{}.permissions_boundary", role.address);
    match policy_by_arn(set, role, a, &what, PolicyKind::Boundary, true) {
        Ok(d) => Part::Present(Some(d)),
        Err(e) => Part::Error(e),
    }
}

/// The keys the role's documents allow Encrypt or Decrypt on: by ARN in an allowing statement's
/// `Resource` (the key's, or an alias's of it), else by reference from the document.
fn keys_named<'r>(set: &Set<'r>, docs: &RoleDocs) -> Vec<&'r Resource> {
    let keys: Vec<&Resource> = set.of_type("aws_kms_key").collect();
    let aliases: Vec<&Resource> = set.of_type("aws_kms_alias").collect();
    let mut out: Vec<&Resource> = Vec::new();
    let add = |k: &'r Resource, out: &mut Vec<&'r Resource>| {
        if !out.iter().any(|x| x.address == k.address) {
            out.push(k);
        }
    };
    for (r, name) in &docs.attrs {
        let Some(a) = r.attr(name) else { continue };
        let resources = match document(r, name, a) {
            Ok((n, _, _)) => allowed_resources(&n),
            Err(_) => None,
        };
        for k in &keys {
            let arn = k.str("arn").ok().flatten();
            let by_value = match (&resources, &arn) {
                (Some(res), Some(arn)) => res.iter().any(|x| x == arn),
                _ => false,
            };
            let via_alias = aliases.iter().any(|al| {
                alias_targets(al, k)
                    && (refers_to(a, al)
                        || match (&resources, al.str("arn").ok().flatten()) {
                            (Some(res), Some(aa)) => res.contains(&aa),
                            _ => false,
                        })
            });
            // A reference counts when the document's statements are open, or when they allow
            // Encrypt/Decrypt on something (the reference is then most likely that).
            let by_ref = refers_to(a, k) && resources.as_ref().is_none_or(|r| !r.is_empty());
            if by_value || via_alias || by_ref {
                add(k, &mut out);
            }
        }
    }
    out
}

fn alias_targets(alias: &Resource, key: &Resource) -> bool {
    alias
        .attr("target_key_id")
        .is_some_and(|t| names_key(t, key))
}

/// The `Resource` strings of the statements that allow Encrypt or Decrypt.
fn allowed_resources(doc: &Node) -> Option<Vec<String>> {
    Some(crate::iac::encrypt_decrypt_resources(&doc.to_serde()))
}

fn targets_of(set: &Set<'_>, role: &Resource, opts: &Options) -> Vec<Target> {
    let docs = role_docs(set, role);
    let mut keys = keys_named(set, &docs);
    let mut assumed = Vec::new();
    let all_keys: Vec<&Resource> = set.of_type("aws_kms_key").collect();
    if keys.is_empty() && all_keys.len() == 1 {
        keys.push(all_keys[0]);
        assumed.push(format!(
            "the role's policies name no key of {}: checking {}, its only aws_kms_key",
            set.label, all_keys[0].address
        ));
    }
    if keys.is_empty() {
        return vec![target(set, role, None, &docs, assumed, opts)];
    }
    keys.iter()
        .map(|k| target(set, role, Some(k), &docs, assumed.clone(), opts))
        .collect()
}

fn target(
    set: &Set<'_>,
    role: &Resource,
    key: Option<&Resource>,
    docs: &RoleDocs,
    mut assumed: Vec<String>,
    opts: &Options,
) -> Target {
    let mut inputs = Inputs::empty(&format!(
        "{} defines no key for role {}",
        set.label, role.address
    ));
    inputs.lint = true;
    inputs.iac = true;
    inputs.role_at = (role.line > 0).then(|| (role.file.clone(), role.line));
    inputs.key_at = key.filter(|k| k.line > 0).map(|k| (k.file.clone(), k.line));
    inputs.organization = Part::Absent(format!(
        "{} holds no organization's SCPs or RCPs",
        set.label
    ));
    let arn = role.str("arn");
    inputs.registration.role_arn = arn.as_ref().ok().cloned().flatten();
    inputs.role = Part::Present(RoleInfo {
        arn: arn.ok().flatten(),
        role_id: role.str("unique_id").ok().flatten(),
    });
    inputs.trust_policy = match role.attr("assume_role_policy") {
        Some(a) => match make_doc(role, "assume_role_policy", a, PolicyKind::Trust) {
            Ok(d) => Part::Present(d),
            Err(e) => Part::Error(e),
        },
        None => Part::Absent(format!("{} has no assume_role_policy", role.address)),
    };
    inputs.inline_policies = docs.inline.clone();
    inputs.attached_policies = docs.attached.clone();
    inputs.boundary = boundary(set, role);
    inputs.role_tags = tags(role);
    let trust_external_ids = match inputs.trust_policy.get().and_then(|d| d.value()) {
        Some(v) => crate::aws::scan::required_external_ids(&v),
        None => Vec::new(),
    };
    match key {
        Some(k) => key_parts(set, k, &mut inputs, &mut assumed, opts),
        None => crate::iac::no_key(&mut inputs, &format!("aws_kms_key of {}", set.label)),
    }
    Target {
        role: role.address.clone(),
        key: key.map(|k| k.address.clone()),
        inputs,
        assumed,
        trust_external_ids,
    }
}

fn tags(r: &Resource) -> Part<Vec<(String, String)>> {
    let a = r
        .attr("tags_all")
        .filter(|a| a.value.is_ok())
        .or(r.attr("tags"));
    match a.map(|a| &a.value) {
        None => Part::Present(Vec::new()),
        Some(Err(e)) => Part::Error(e.clone()),
        Some(Ok(n)) => match &n.value {
            Value::Null => Part::Present(Vec::new()),
            Value::Object(m) => Part::Present(
                m.iter()
                    .map(|m| {
                        (
                            m.key.clone(),
                            super::scalar_text(&m.value).unwrap_or_default(),
                        )
                    })
                    .collect(),
            ),
            _ => Part::Error(format!("{}.tags is not a map", r.address)),
        },
    }
}

fn key_parts(
    set: &Set<'_>,
    key: &Resource,
    inputs: &mut Inputs,
    assumed: &mut Vec<String>,
    opts: &Options,
) {
    let arn = key.str("arn");
    match &arn {
        Ok(Some(a)) => {
            if key
                .attr("arn")
                .is_some_and(|x| x.source.as_deref() == Some("symbolic"))
            {
                assumed.push(format!(
                    "{}'s ARN {a} is symbolic: AWS assigns the key id at creation (register the real ARN)",
                    key.address
                ));
            }
            inputs.registration.kms_arn = Some(a.clone());
        }
        Ok(None) => assumed.push(format!("{} has no arn", key.address)),
        Err(e) => assumed.push(e.clone()),
    }
    let arn = arn.ok().flatten();
    inputs.key = key_meta(key, arn.as_deref(), opts);
    inputs.rotation = match key.bool("enable_key_rotation") {
        Ok(v) => Part::Present(v.unwrap_or(false)),
        Err(e) => Part::Error(e),
    };
    inputs.grants = Part::Present(Vec::new());
    inputs.key_tags = tags(key);
    inputs.aliases = Part::Present(
        set.of_type("aws_kms_alias")
            .filter(|al| alias_targets(al, key))
            .filter_map(|al| al.str("name").ok().flatten())
            .collect(),
    );
    // An aws_kms_key_policy of the key replaces the key's own policy attribute.
    let separate = set
        .of_type("aws_kms_key_policy")
        .find(|p| p.attr("key_id").is_some_and(|a| names_key(a, key)));
    let (owner, attr) = match separate {
        Some(p) => (p, p.attr("policy")),
        None => (key, key.attr("policy")),
    };
    let attr = attr
        .filter(|a| !matches!(&a.value, Ok(v) if v.value == Value::Null || v.as_str() == Some("")));
    inputs.key_policy = match attr {
        Some(a) => match make_doc(owner, "policy", a, PolicyKind::Resource) {
            Ok(d) => Part::Present(d),
            Err(e) => Part::Error(e),
        },
        None => match crate::inputs::default_key_policy(arn.as_deref()) {
            Some(d) => {
                assumed.push(format!("{} has no policy: AWS gives it the default key policy (the account's root may use kms:*)", key.address));
                inputs.key_policy_assumed = true;
                Part::Present(d)
            }
            None => Part::Error(format!(
                "{} has no policy: AWS's default key policy needs the account (give --account and --region)",
                key.address
            )),
        },
    };
}

/// Does the attribute name the key: a reference to it, or its key id, id or ARN as a value?
fn names_key(a: &Attr, key: &Resource) -> bool {
    if refers_to(a, key) {
        return true;
    }
    let v = a.value.as_ref().ok().and_then(super::scalar_text);
    v.is_some()
        && (v == key.str("key_id").ok().flatten()
            || v == key.str("id").ok().flatten()
            || v == key.str("arn").ok().flatten())
}

fn key_meta(key: &Resource, arn: Option<&str>, opts: &Options) -> Part<KeyMeta> {
    let read = || -> Result<KeyMeta, String> {
        let origin = if key.str("xks_key_id")?.is_some_and(|s| !s.is_empty()) {
            "EXTERNAL_KEY_STORE"
        } else if key
            .str("custom_key_store_id")?
            .is_some_and(|s| !s.is_empty())
        {
            "AWS_CLOUDHSM"
        } else {
            "AWS_KMS"
        };
        // The account of a known ARN (a key in state), else --account.
        let account = match arn {
            Some(a) => crate::policy::pattern::arn_parts(a).map(|p| p[4].to_string()),
            None => opts.pseudo.account.clone(),
        };
        Ok(crate::iac::key_metadata(crate::iac::KeySettings {
            key_id: key
                .str("key_id")?
                .or(key.str("id").ok().flatten())
                .unwrap_or_default(),
            spec: key
                .str("customer_master_key_spec")?
                .or(key.str("key_spec")?)
                .unwrap_or_else(|| "SYMMETRIC_DEFAULT".into()),
            usage: key
                .str("key_usage")?
                .unwrap_or_else(|| "ENCRYPT_DECRYPT".into()),
            enabled: key.bool("is_enabled")?.unwrap_or(true),
            multi_region: key.bool("multi_region")?.unwrap_or(false),
            origin: origin.into(),
            arn: arn.map(str::to_string),
            account,
            description: key.str("description").ok().flatten(),
        }))
    };
    match read() {
        Ok(m) => Part::Present(m),
        Err(e) => Part::Error(e),
    }
}
