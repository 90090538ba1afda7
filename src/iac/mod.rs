//! Infrastructure as code: the key and role a template will create, read before deployment,
//! as [`Inputs`](crate::inputs::Inputs) for the same rules as a live check or a scan.
//!
//! - [`template`]: JSON and YAML templates (short-form tags) with the line of every value;
//! - [`intrinsics`]: `Ref`, `Fn::GetAtt`, `Fn::Sub`, … over parameters and pseudo parameters;
//!   what stays open until deployment is an [`intrinsics::Open`] value, never guessed;
//! - [`cloudformation`]: resources → targets (each role that trusts OpenAI, with its key);
//! - [`managed_policies`]: the AWS-managed policies a template may attach by ARN.

pub mod cloudformation;
pub mod intrinsics;
pub mod managed_policies;
pub mod template;
pub mod terraform;

use crate::inputs::{Doc, Inputs, KeyMeta, Part};

/// One role (and key) to check.
#[derive(Debug, Clone)]
pub struct Target {
    pub role: String,
    pub key: Option<String>,
    pub inputs: Inputs,
    /// What was assumed (symbolic ARNs, defaults).
    pub assumed: Vec<String>,
    /// The ExternalIds the trust policy's OpenAI statements require.
    pub trust_external_ids: Vec<String>,
}

/// The targets of an IaC input, and what was searched when there are none.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub targets: Vec<Target>,
    /// The file or directory, as given.
    pub path: String,
    /// The role resources it creates (logical ids or addresses; all searched).
    pub roles: Vec<String>,
    /// Their resource type: `AWS::IAM::Role`, `aws_iam_role`.
    pub role_type: &'static str,
    /// How to name a role: `--role LOGICAL_ID`, `--role ADDRESS`.
    pub role_flag: &'static str,
    /// What may change the roles at deployment (a template's macro), said when none is a target.
    pub caveat: Option<String>,
}

impl Analysis {
    /// Why there is no target, for standard error: what was searched, and what to do.
    pub fn no_target_message(&self) -> String {
        let mut m = self.no_target();
        if let Some(c) = &self.caveat {
            m.push_str("; ");
            m.push_str(c);
        }
        m
    }

    fn no_target(&self) -> String {
        let openai = crate::rules::paths::OPENAI_ROLE;
        if self.roles.is_empty() {
            return format!(
                "no role that trusts OpenAI's principal ({openai}): {} has no {} resource, so nothing was checked (lint the IaC that creates the role OpenAI assumes)",
                self.path, self.role_type
            );
        }
        format!(
            "no role that trusts OpenAI's principal ({openai}) in {}: {} {} resource{} ({}): nothing was checked; name the role with {}",
            self.path,
            self.roles.len(),
            self.role_type,
            if self.roles.len() == 1 { "" } else { "s" },
            self.roles.join(", "),
            self.role_flag
        )
    }
}

/// Why a template could not be read at all (the command ends with exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum IacError {
    /// The file is not JSON or YAML.
    #[error("{path}: {message}")]
    Syntax { path: String, message: String },
    /// The file parses, but is not a CloudFormation template.
    #[error("{path}: {message}")]
    NotATemplate { path: String, message: String },
    /// A `--parameter` or `--var` is malformed or names nothing the IaC declares.
    #[error("{0}")]
    Parameter(String),
    /// `--role` names no role of the template.
    #[error("{0}")]
    Role(String),
}

/// The symbolic key id of a key the IaC creates: a UUID (`mrk-` and 32 hex digits for a
/// multi-Region key) derived from its logical id or address, the same on every run, so that the
/// evaluator matches `Resource` against the key's symbolic ARN.
pub fn symbolic_key_id(name: &str, multi_region: bool) -> String {
    fn fnv(bytes: &[u8], seed: u64) -> u64 {
        bytes.iter().fold(seed, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
        })
    }
    let h1 = fnv(name.as_bytes(), 0xcbf2_9ce4_8422_2325);
    let h2 = fnv(name.as_bytes(), 0x8422_2325_cbf2_9ce4);
    let hex = format!("{h1:016x}{h2:016x}");
    if multi_region {
        return format!("mrk-{hex}");
    }
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// The `Resource` strings of a policy's statements that allow `kms:Encrypt` or `kms:Decrypt`.
pub fn encrypt_decrypt_resources(doc: &serde_json::Value) -> Vec<String> {
    use crate::policy::{Effect, Policy, PolicyKind};
    use serde_json::Value as J;
    let p = Policy::from_value(doc, PolicyKind::Identity, "document");
    let ctx = crate::eval::Context::default();
    let sts: Vec<J> = match doc.get("Statement") {
        Some(J::Array(a)) => a.clone(),
        Some(o @ J::Object(_)) => vec![o.clone()],
        _ => return Vec::new(),
    };
    let mut out = Vec::new();
    for (s, raw) in p.statements.iter().zip(sts.iter()) {
        let hit = |a: &str| {
            s.action
                .patterns
                .iter()
                .any(|x| x.matches(a, &ctx).is_true())
                != s.action.negated
        };
        if s.effect == Effect::Allow && (hit("kms:encrypt") || hit("kms:decrypt")) {
            match raw.get("Resource") {
                Some(J::String(r)) => out.push(r.clone()),
                Some(J::Array(a)) => {
                    out.extend(a.iter().filter_map(|x| x.as_str().map(String::from)))
                }
                _ => {}
            }
        }
    }
    out
}

/// The one key outside the IaC the role's identity policies allow Encrypt or Decrypt on, by a
/// literal key ARN (a key another stack or configuration created).
pub fn key_outside(inputs: &Inputs) -> Option<String> {
    let mut arns: Vec<String> = Vec::new();
    for part in [&inputs.inline_policies, &inputs.attached_policies] {
        for d in part.get().into_iter().flatten() {
            for r in d
                .value()
                .map(|v| encrypt_decrypt_resources(&v))
                .unwrap_or_default()
            {
                let is_key = r.starts_with("arn:")
                    && r.contains(":kms:")
                    && r.contains(":key/")
                    && !r.contains('*')
                    && !r.contains('?');
                if is_key && !arns.contains(&r) {
                    arns.push(r);
                }
            }
        }
    }
    match arns.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}

/// Add a document (or why it could not be read) to a list part: one open document makes the
/// whole list open, with every reason.
pub fn push_doc(part: &mut Part<Vec<Doc>>, d: Result<Doc, String>) {
    match (part, d) {
        (Part::Present(v), Ok(d)) => v.push(d),
        (p @ Part::Present(_), Err(e)) => *p = Part::Error(e),
        (Part::Error(old), Err(e)) => {
            old.push_str("; ");
            old.push_str(&e);
        }
        _ => {}
    }
}

/// The key parts of a target whose role's policies name no key of the IaC: open when one of
/// its policies is (the key may be the open value), else absent, saying where it was searched
/// (`AWS::KMS::Key of template.yaml`).
pub fn no_key(inputs: &mut Inputs, searched: &str) {
    let open = [&inputs.inline_policies, &inputs.attached_policies]
        .into_iter()
        .find_map(|p| match p {
            Part::Error(e) => Some(e.clone()),
            _ => None,
        });
    fn part<T>(open: &Option<String>, searched: &str) -> Part<T> {
        match open {
            Some(e) => Part::Error(format!("the key the role's policies name is open: {e}")),
            None => Part::Absent(format!(
                "the role's policies name no {searched}: give --kms-arn for a key outside it"
            )),
        }
    }
    inputs.key = part(&open, searched);
    inputs.key_policy = part(&open, searched);
    inputs.rotation = part(&open, searched);
    inputs.aliases = part(&open, searched);
    inputs.grants = part(&open, searched);
    inputs.key_tags = part(&open, searched);
}

/// What the IaC says about a key it creates, with the defaults applied.
pub struct KeySettings {
    pub key_id: String,
    pub spec: String,
    pub usage: String,
    pub enabled: bool,
    pub multi_region: bool,
    pub origin: String,
    pub arn: Option<String>,
    pub account: Option<String>,
    pub description: Option<String>,
}

/// The key's metadata as DescribeKey would return it after creation.
pub fn key_metadata(k: KeySettings) -> KeyMeta {
    use serde_json::json;
    let mut m = json!({
        "KeyId": k.key_id,
        "Enabled": k.enabled,
        "KeyUsage": k.usage,
        "KeyState": if k.enabled { "Enabled" } else { "Disabled" },
        "Origin": k.origin,
        "KeyManager": "CUSTOMER",
        "KeySpec": k.spec,
        "MultiRegion": k.multi_region,
    });
    if k.spec == "SYMMETRIC_DEFAULT" {
        m["EncryptionAlgorithms"] = json!(["SYMMETRIC_DEFAULT"]);
    }
    if let Some(a) = k.arn {
        m["Arn"] = a.into();
    }
    if let Some(acct) = k.account {
        m["AWSAccountId"] = acct.into();
    }
    if k.multi_region {
        m["MultiRegionConfiguration"] = json!({"MultiRegionKeyType": "PRIMARY"});
    }
    if let Some(d) = k.description {
        m["Description"] = d.into();
    }
    KeyMeta(m)
}
