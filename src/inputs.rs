//! What the rules read: the registration values and every part of the key and the role, each
//! present, not collected (rules that need it are `skipped`), or unreadable (`unknown`).
//!
//! Inputs come from a snapshot (`ekm-check.snapshot/v1`, see [`crate::snapshot`]) or, for
//! `lint`, from policy files. Either way every policy keeps the file and line it came from.

use serde_json::Value as J;

use crate::json::{self, Node, SyntaxError};
use crate::policy::{Policy, PolicyKind};

/// The three values registered with OpenAI.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Registration {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub kms_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub role_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub external_id: Option<String>,
}

impl Registration {
    /// Fill the values this one lacks from `other`.
    pub fn or(self, other: &Registration) -> Registration {
        Registration {
            kms_arn: self.kms_arn.or_else(|| other.kms_arn.clone()),
            role_arn: self.role_arn.or_else(|| other.role_arn.clone()),
            external_id: self.external_id.or_else(|| other.external_id.clone()),
        }
    }

    /// `(field, value)` for each known value, as [`Origins::iter`] gives their origins.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("kms_arn", &self.kms_arn),
            ("role_arn", &self.role_arn),
            ("external_id", &self.external_id),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
    }
}

/// Where each registration value came from: `flag --kms-arn`, `environment EKM_KMS_ARN`,
/// `config file ekm-check.toml`, `snapshot snap.json`. `None`: the value is not known.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Origins {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

impl Origins {
    pub fn is_empty(&self) -> bool {
        self.kms_arn.is_none() && self.role_arn.is_none() && self.external_id.is_none()
    }

    /// `(field, origin)` for each known value.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("kms_arn", &self.kms_arn),
            ("role_arn", &self.role_arn),
            ("external_id", &self.external_id),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
    }
}

/// A part of the inputs.
#[derive(Debug, Clone, PartialEq)]
pub enum Part<T> {
    Present(T),
    /// Not collected (e.g. `lint` has no key metadata): the rules that need it are skipped.
    Absent(String),
    /// Collection failed (e.g. AccessDenied): the rules that need it are unknown.
    Error(String),
}

impl<T> Part<T> {
    pub fn get(&self) -> Option<&T> {
        match self {
            Part::Present(t) => Some(t),
            _ => None,
        }
    }
    pub fn map<U>(&self, f: impl FnOnce(&T) -> U) -> Part<U> {
        match self {
            Part::Present(t) => Part::Present(f(t)),
            Part::Absent(r) => Part::Absent(r.clone()),
            Part::Error(e) => Part::Error(e.clone()),
        }
    }
}

/// A policy document with where it came from.
#[derive(Debug, Clone)]
pub struct Doc {
    /// The AWS source (`role.trust_policy`, `key.policy`, `role.inline_policies/openai-kms`) or,
    /// for lint, the file path.
    pub source: String,
    /// The file that holds it, when there is one (lint input or a snapshot file).
    pub file: Option<String>,
    /// Where the document sits inside the file (JSON pointer; empty for a file of its own).
    pub base_pointer: String,
    /// The document's name (inline policy name, managed policy name) and ARN, when known.
    pub name: Option<String>,
    pub arn: Option<String>,
    /// The parsed policy, or why the text is not JSON.
    pub policy: Result<Policy, SyntaxError>,
    /// The document's text, for placeholder scans.
    pub text: String,
    /// The text parsed as JSON, once (evidence quotes statements from it).
    parsed: std::sync::OnceLock<Option<J>>,
}

impl Doc {
    /// From a file's text (lint).
    pub fn from_text(text: &str, kind: PolicyKind, path: &str) -> Doc {
        let policy = json::parse(text).map(|n| Policy::from_node(&n, kind, path));
        Doc {
            source: path.to_string(),
            file: Some(path.to_string()),
            base_pointer: String::new(),
            name: None,
            arn: None,
            policy,
            text: text.to_string(),
            parsed: Default::default(),
        }
    }

    /// From a file's bytes (lint): invalid UTF-8 is a syntax error with its position.
    pub fn from_bytes(bytes: &[u8], kind: PolicyKind, path: &str) -> Doc {
        match std::str::from_utf8(bytes) {
            Ok(text) => Doc::from_text(text, kind, path),
            Err(_) => {
                let mut d = Doc::from_text(&String::from_utf8_lossy(bytes), kind, path);
                if let Err(e) = json::parse_bytes(bytes) {
                    d.policy = Err(e);
                }
                d
            }
        }
    }

    /// From a node inside a snapshot.
    pub fn from_node(
        node: &Node,
        kind: PolicyKind,
        source: &str,
        file: Option<&str>,
        base_pointer: &str,
    ) -> Doc {
        let policy = Policy::from_node(node, kind, source);
        Doc {
            source: source.to_string(),
            file: file.map(str::to_string),
            base_pointer: base_pointer.to_string(),
            name: None,
            arn: None,
            policy: Ok(policy),
            text: serde_json::to_string_pretty(&node.to_serde()).unwrap_or_default(),
            parsed: Default::default(),
        }
    }

    pub fn policy(&self) -> Option<&Policy> {
        self.policy.as_ref().ok()
    }

    /// The document as JSON (for evidence and remediation), when it parsed.
    pub fn value(&self) -> Option<J> {
        self.parsed
            .get_or_init(|| serde_json::from_str(&self.text).ok())
            .clone()
    }

    /// A part of the document by JSON pointer, without copying the rest.
    pub fn value_at(&self, pointer: &str) -> Option<J> {
        self.parsed
            .get_or_init(|| serde_json::from_str(&self.text).ok())
            .as_ref()?
            .pointer(pointer)
            .cloned()
    }
}

/// The key's metadata, as DescribeKey returns it (AWS field names).
#[derive(Debug, Clone, PartialEq)]
pub struct KeyMeta(pub J);

impl KeyMeta {
    pub fn str(&self, field: &str) -> Option<&str> {
        self.0.get(field).and_then(J::as_str)
    }
    pub fn bool(&self, field: &str) -> Option<bool> {
        self.0.get(field).and_then(J::as_bool)
    }
}

/// The role, as GetRole returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleInfo {
    pub arn: Option<String>,
    pub role_id: Option<String>,
}

/// A live call that failed: the AWS error code (when AWS answered) and the message.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveError {
    pub code: Option<String>,
    pub message: String,
}

impl LiveError {
    /// AWS refused the caller (as opposed to a network or configuration failure).
    pub fn is_access_denied(&self) -> bool {
        self.code
            .as_deref()
            .is_some_and(|c| c.contains("AccessDenied") || c.contains("Unauthorized"))
    }
}

/// Results of `--live`: OpenAI's path done for real by the checking identity. Latencies in ms.
#[derive(Debug, Clone, PartialEq)]
pub struct Live {
    /// The checking identity's ARN (from GetCallerIdentity).
    pub caller: Option<String>,
    /// AssumeRole with the registered ExternalId.
    pub assume: Result<f64, LiveError>,
    /// Encrypt of 32 random bytes as the role, then Decrypt; `None` when not attempted.
    pub encrypt: Option<Result<f64, LiveError>>,
    pub decrypt: Option<Result<f64, LiveError>>,
    /// Did Decrypt return the bytes that were encrypted?
    pub round_trip_matches: Option<bool>,
    /// AssumeRole without an ExternalId, and with a wrong one: `Ok` means AWS accepted it.
    pub without_external_id: Option<Result<(), LiveError>>,
    pub wrong_external_id: Option<Result<(), LiveError>>,
}

/// The snapshot part `evidence`: CloudTrail's record of the calls on the role and the key in a
/// window (`check --evidence`), from which EKM701 and EKM702 pick OpenAI's.
#[derive(Debug, Clone, PartialEq)]
pub struct CallEvidence {
    /// The window, ISO 8601 UTC.
    pub since: String,
    pub until: Option<String>,
    /// CloudTrail records (`eventName`, `eventTime`, `errorCode`, `userIdentity`,
    /// `requestParameters`, …), trimmed of credentials and anything but the fields the rules read.
    pub events: Vec<J>,
    /// False when the lookups stopped at their bound before the window's start.
    pub complete: bool,
    /// The lookups made: `{"region", "resource", "events", "pages", "complete"}`.
    pub lookups: Vec<J>,
    /// OpenAI's last successful call before `since`, when one was looked for and found.
    pub last_success: Option<J>,
}

/// A policy attached at one level of the organization.
#[derive(Debug, Clone)]
pub struct OrgPolicy {
    pub id: String,
    pub name: String,
    pub doc: Doc,
}

/// One level of an account's path: the root, an OU or the account, with what is attached there.
#[derive(Debug, Clone)]
pub struct OrgLevel {
    /// `r-…`, `ou-…-…` or the account id.
    pub target: String,
    pub scps: Vec<OrgPolicy>,
    pub rcps: Vec<OrgPolicy>,
}

impl OrgLevel {
    /// "the root r-ab12", "OU ou-ab12-11111111", "account 111122223333"; a lint level keeps
    /// its own name ("the root (--scp 1)").
    pub fn describe(&self) -> String {
        if self.target.starts_with("r-") {
            format!("the root {}", self.target)
        } else if self.target.starts_with("ou-") {
            format!("OU {}", self.target)
        } else if self.target.len() == 12 && self.target.bytes().all(|b| b.is_ascii_digit()) {
            format!("account {}", self.target)
        } else {
            self.target.clone()
        }
    }
}

/// The snapshot part `organization`.
#[derive(Debug, Clone)]
pub struct Organization {
    pub in_organization: bool,
    pub id: Option<String>,
    pub management_account_id: Option<String>,
    /// The policy types enabled on the root (`SERVICE_CONTROL_POLICY`, `RESOURCE_CONTROL_POLICY`).
    pub policy_types: Vec<String>,
    /// Account id -> its path from the root down to the account. `Error`: the policies could not
    /// be read (`errors["organization.policies"]`); `Absent`: not collected.
    pub accounts: Part<Vec<(String, Vec<OrgLevel>)>>,
}

/// AWS's `FullAWSAccess` SCP and `RCPFullAWSAccess` RCP, for lint levels given for one type only.
pub fn full_access(kind: PolicyKind) -> Doc {
    let (text, name) = if kind == PolicyKind::Rcp {
        (
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}"#,
            "RCPFullAWSAccess (assumed)",
        )
    } else {
        (
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#,
            "FullAWSAccess (assumed)",
        )
    };
    let mut d = Doc::from_text(text, kind, name);
    d.file = None;
    d
}

impl Organization {
    /// The organization part `lint` builds from `--scp`/`--rcp` files: one level per flag, root
    /// first, for `accounts` (the role's account, and the key's when it is the same). A type
    /// without flags is not listed in `policy_types`. The shorter list of levels is padded
    /// with AWS's full-access policy (returned in `assumed`).
    pub fn from_lint(
        id: Option<String>,
        accounts: &[String],
        scps: Vec<Vec<Doc>>,
        rcps: Vec<Vec<Doc>>,
        assumed: &mut Vec<String>,
    ) -> Organization {
        let n = scps.len().max(rcps.len());
        let mut types = Vec::new();
        if !scps.is_empty() {
            types.push(SCP_TYPE.to_string());
        }
        if !rcps.is_empty() {
            types.push(RCP_TYPE.to_string());
        }
        if !scps.is_empty() && scps.len() < n {
            assumed.push(format!(
                "the levels below the {} given with --scp have FullAWSAccess only (AWS attaches it by default)",
                scps.len()
            ));
        }
        if !rcps.is_empty() {
            assumed.push(
                "RCPFullAWSAccess is attached at every level (AWS attaches it everywhere and it cannot be detached)".into(),
            );
        }
        let level_docs =
            |docs: &[Vec<Doc>], i: usize, kind: PolicyKind, short: &str| match docs.get(i) {
                Some(l) => l
                    .iter()
                    .map(|d| OrgPolicy {
                        id: String::new(),
                        name: d.source.clone(),
                        doc: d.clone(),
                    })
                    .collect(),
                None if !docs.is_empty() => vec![OrgPolicy {
                    id: String::new(),
                    name: short.to_string(),
                    doc: full_access(kind),
                }],
                None => Vec::new(),
            };
        let path: Vec<OrgLevel> = (0..n)
            .map(|i| {
                let mut rcp_level = level_docs(&rcps, i, PolicyKind::Rcp, "RCPFullAWSAccess");
                if !rcps.is_empty() && i < rcps.len() {
                    rcp_level.push(OrgPolicy {
                        id: String::new(),
                        name: "RCPFullAWSAccess".into(),
                        doc: full_access(PolicyKind::Rcp),
                    });
                }
                OrgLevel {
                    target: if i == 0 {
                        "the root (level 1 of --scp/--rcp)".to_string()
                    } else {
                        format!("level {} of --scp/--rcp", i + 1)
                    },
                    scps: level_docs(&scps, i, PolicyKind::Scp, "FullAWSAccess"),
                    rcps: rcp_level,
                }
            })
            .collect();
        Organization {
            in_organization: true,
            id,
            management_account_id: None,
            policy_types: types,
            accounts: Part::Present(accounts.iter().map(|a| (a.clone(), path.clone())).collect()),
        }
    }
}

pub const SCP_TYPE: &str = "SERVICE_CONTROL_POLICY";
pub const RCP_TYPE: &str = "RESOURCE_CONTROL_POLICY";

impl Organization {
    pub fn enabled(&self, policy_type: &str) -> bool {
        self.policy_types.iter().any(|t| t == policy_type)
    }
    pub fn path(&self, account: &str) -> Option<&[OrgLevel]> {
        self.accounts
            .get()?
            .iter()
            .find(|(a, _)| a == account)
            .map(|(_, p)| p.as_slice())
    }
}

/// Everything the rules read.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub registration: Registration,
    pub key: Part<KeyMeta>,
    pub key_policy: Part<Doc>,
    pub rotation: Part<bool>,
    pub aliases: Part<Vec<String>>,
    pub grants: Part<Vec<J>>,
    pub role: Part<RoleInfo>,
    pub trust_policy: Part<Doc>,
    pub inline_policies: Part<Vec<Doc>>,
    pub attached_policies: Part<Vec<Doc>>,
    /// `Present(None)`: the role has no boundary.
    pub boundary: Part<Option<Doc>>,
    pub live: Option<Live>,
    /// The organization's guardrails; `Absent`: not collected (old snapshots, lint without
    /// `--scp`/`--rcp`), `Error`: even membership could not be read.
    pub organization: Part<Organization>,
    /// The role's tags (GetRole's `Tags`), key -> value.
    pub role_tags: Part<Vec<(String, String)>>,
    /// The key's tags (ListResourceTags), key -> value.
    pub key_tags: Part<Vec<(String, String)>>,
    /// OpenAI's calls as CloudTrail recorded them; `Absent`: not collected (no `--evidence`).
    pub evidence: Part<CallEvidence>,
    /// True for `lint`: documents are files not yet in AWS.
    pub lint: bool,
    /// The key policy was not given: it is AWS's default key policy, assumed (`lint`).
    pub key_policy_assumed: bool,
    /// Read from infrastructure as code (the documents are the IaC's, not flags).
    pub iac: bool,
    /// Where the IaC declares the key and the role (file, line): evidence about them that has
    /// no document of its own (the key's metadata, its rotation, the role) points there.
    pub key_at: Option<(String, u32)>,
    pub role_at: Option<(String, u32)>,
}

/// Why EKM701/EKM702 are skipped without `--evidence`.
pub const EVIDENCE_NOT_COLLECTED: &str = "OpenAI's calls were not looked at: run `check --evidence` (or `scan --evidence`) to read CloudTrail's event history";

/// The source name of the assumed default key policy.
pub const DEFAULT_KEY_POLICY_SOURCE: &str = "AWS's default key policy (assumed)";

/// AWS's default key policy for a key created without a policy (its account's root may use
/// `kms:*`, which lets IAM policies of that account grant access), built for the key in
/// `kms_arn`. `None` when `kms_arn` does not name the key's account and partition.
pub fn default_key_policy(kms_arn: Option<&str>) -> Option<Doc> {
    let parts = crate::policy::pattern::arn_parts(kms_arn?)?;
    let (partition, account) = (parts[1], parts[4]);
    if parts[2] != "kms" || account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let text = format!(
        r#"{{
  "Version": "2012-10-17",
  "Id": "key-default-1",
  "Statement": [
    {{
      "Sid": "Enable IAM User Permissions",
      "Effect": "Allow",
      "Principal": {{"AWS": "arn:{partition}:iam::{account}:root"}},
      "Action": "kms:*",
      "Resource": "*"
    }}
  ]
}}
"#
    );
    let mut d = Doc::from_text(&text, PolicyKind::Resource, DEFAULT_KEY_POLICY_SOURCE);
    d.file = None;
    Some(d)
}

impl Inputs {
    pub fn empty(reason: &str) -> Inputs {
        fn a<T>(reason: &str) -> Part<T> {
            Part::Absent(reason.to_string())
        }
        Inputs {
            registration: Registration::default(),
            key: a(reason),
            key_policy: a(reason),
            rotation: a(reason),
            aliases: a(reason),
            grants: a(reason),
            role: a(reason),
            trust_policy: a(reason),
            inline_policies: a(reason),
            attached_policies: a(reason),
            boundary: a(reason),
            live: None,
            organization: a(reason),
            role_tags: a(reason),
            key_tags: a(reason),
            evidence: Part::Absent(EVIDENCE_NOT_COLLECTED.into()),
            lint: false,
            key_policy_assumed: false,
            iac: false,
            key_at: None,
            role_at: None,
        }
    }

    /// Every document, with the kind of part it is.
    pub fn documents(&self) -> Vec<&Doc> {
        let mut out = Vec::new();
        if let Some(d) = self.key_policy.get() {
            out.push(d);
        }
        if let Some(d) = self.trust_policy.get() {
            out.push(d);
        }
        if let Some(ds) = self.inline_policies.get() {
            out.extend(ds.iter());
        }
        if let Some(ds) = self.attached_policies.get() {
            out.extend(ds.iter());
        }
        if let Some(Some(d)) = self.boundary.get() {
            out.push(d);
        }
        if let Some(ps) = self.organization.get().and_then(|o| o.accounts.get()) {
            for (_, path) in ps {
                for l in path {
                    for p in l.scps.iter().chain(&l.rcps) {
                        // The same policy attached above two accounts is one document.
                        if !out.iter().any(|d| d.source == p.doc.source) {
                            out.push(&p.doc);
                        }
                    }
                }
            }
        }
        out
    }
}
