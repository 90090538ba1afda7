//! Helpers shared by the inputs rules (EKM001–EKM006), the key rules (EKM101–EKM107), EKM301
//! and the live rules: registration values, ARN and ExternalId grammar, template placeholders,
//! and where a piece of text sits in a document.

use serde_json::json;

use super::{Cx, Evidence, Outcome};
use crate::inputs::{Doc, KeyMeta, Part};
use crate::json::{self, Node, Pos, Value};
use crate::policy::Policy;

/// The partitions an ARN may name.
pub const PARTITIONS: &[&str] = &["aws", "aws-cn", "aws-us-gov"];

/// The message of the live rules when `--live` was not given.
pub const LIVE_SKIPPED: &str =
    "live checks run only with --live (they assume the role and encrypt and decrypt as it)";

// ---------------------------------------------------------------------------------------------
// Registration values

/// One of the three values registered with OpenAI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    KmsArn,
    RoleArn,
    ExternalId,
}

impl Field {
    pub fn name(self) -> &'static str {
        match self {
            Field::KmsArn => "kms_arn",
            Field::RoleArn => "role_arn",
            Field::ExternalId => "external_id",
        }
    }
    pub fn flag(self) -> &'static str {
        match self {
            Field::KmsArn => "--kms-arn",
            Field::RoleArn => "--role-arn",
            Field::ExternalId => "--external-id",
        }
    }
    pub fn env(self) -> &'static str {
        match self {
            Field::KmsArn => "EKM_KMS_ARN",
            Field::RoleArn => "EKM_ROLE_ARN",
            Field::ExternalId => "EKM_EXTERNAL_ID",
        }
    }
    pub fn pointer(self) -> String {
        format!("/{}", self.name())
    }
    pub fn value<'a>(self, cx: &Cx<'a>) -> Option<&'a str> {
        let r = &cx.inputs.registration;
        match self {
            Field::KmsArn => r.kms_arn.as_deref(),
            Field::RoleArn => r.role_arn.as_deref(),
            Field::ExternalId => r.external_id.as_deref(),
        }
    }
    /// Where the value comes from and what it is, for "not given" messages.
    fn what(self) -> &'static str {
        match self {
            Field::KmsArn => "the ARN of the KMS key OpenAI encrypts with",
            Field::RoleArn => "the ARN of the IAM role OpenAI assumes",
            Field::ExternalId => {
                "your OpenAI organization id (org-…) or project id (proj_…), which OpenAI passes as ExternalId"
            }
        }
    }
}

/// Evidence for a registration value.
pub fn reg_evidence(field: Field, value: Option<&str>) -> Evidence {
    Evidence::new("registration", &field.pointer(), value.map(|v| json!(v)))
}

/// The registration value, or the outcome when it is not given: `skipped` for `lint` (which
/// runs on files before anything is registered), `fail` otherwise.
pub fn required<'a>(cx: &Cx<'a>, field: Field) -> Result<&'a str, Outcome> {
    if let Some(v) = field.value(cx) {
        return Ok(v);
    }
    let name = field.name();
    let flag = field.flag();
    if cx.inputs.lint {
        return Err(Outcome::skipped(format!(
            "{name} is not given: lint checks it when you pass {flag}"
        )));
    }
    // The value the inputs themselves show, when they do.
    let seen = match field {
        Field::KmsArn => cx.inputs.key.get().and_then(|m| m.str("Arn")),
        Field::RoleArn => cx.inputs.role.get().and_then(|r| r.arn.as_deref()),
        Field::ExternalId => None,
    };
    let fix = match seen {
        Some(s) => format!(
            "{flag} {s} (the {} in the snapshot), if that is what you register with OpenAI",
            if field == Field::KmsArn {
                "key"
            } else {
                "role"
            }
        ),
        None => format!("{flag} {}", lookup(field)),
    };
    Err(Outcome::fail(format!(
        "{name} is not given: it is {}; pass {flag}, set {}, or set {name} in ekm-check.toml's [registration]",
        field.what(),
        field.env()
    ))
    .evidence(reg_evidence(field, None))
    .fix(fix))
}

/// How to find a value, for fixes.
fn lookup(field: Field) -> &'static str {
    match field {
        Field::KmsArn => {
            "KEY-ARN, as `aws kms describe-key --key-id alias/NAME --query KeyMetadata.Arn --output text` prints it"
        }
        Field::RoleArn => {
            "ROLE-ARN, as `aws iam get-role --role-name NAME --query Role.Arn --output text` prints it"
        }
        Field::ExternalId => {
            "org-… (your OpenAI organization id, shown in the organization's settings) or proj_…"
        }
    }
}

/// An example value, for fixes.
pub fn example(field: Field) -> &'static str {
    match field {
        Field::KmsArn => {
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        }
        Field::RoleArn => "arn:aws:iam::111122223333:role/openai-ekm",
        Field::ExternalId => "org-AbCdEf0123456789GhIjKlMn",
    }
}

/// A problem with a value: the message and, when there is one, the exact fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    pub fix: Option<String>,
}

fn problem(message: impl Into<String>, fix: Option<String>) -> Problem {
    Problem {
        message: message.into(),
        fix,
    }
}

// ---------------------------------------------------------------------------------------------
// Character classes

fn is_hex_lower(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A UUID, 8-4-4-4-12 hex digits (`lower`: lower-case only).
pub fn is_uuid(s: &str, lower: bool) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| {
            g.len() == n
                && if lower {
                    is_hex_lower(g)
                } else {
                    g.bytes().all(|b| b.is_ascii_hexdigit())
                }
        })
}

/// A multi-Region key id, `mrk-` + 32 hex digits (`lower`: lower-case only).
pub fn is_mrk_id(s: &str, lower: bool) -> bool {
    s.strip_prefix("mrk-").is_some_and(|h| {
        h.len() == 32
            && if lower {
                is_hex_lower(h)
            } else {
                h.bytes().all(|b| b.is_ascii_hexdigit())
            }
    })
}

pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// A region name such as `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`.
pub fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// IAM's `\w+=,.@-` (with `\w` = `[A-Za-z0-9_]`).
fn is_iam_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

pub fn is_role_name(s: &str) -> bool {
    (1..=64).contains(&s.len()) && s.chars().all(is_iam_name_char)
}

fn is_alias_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "/_-".contains(c)
}

/// A common mistake in every value: whitespace or a template placeholder.
fn common_problem(field: Field, v: &str) -> Option<Problem> {
    let name = field.name();
    if v.is_empty() {
        return Some(problem(
            format!("{name} is empty"),
            Some(format!("{} {}", field.flag(), example(field))),
        ));
    }
    if v.trim() != v {
        let fix = (!v.trim().is_empty()).then(|| {
            format!(
                "register it without the surrounding whitespace: {}",
                v.trim()
            )
        });
        return Some(problem(
            format!(
                "{name} \"{v}\" has leading or trailing whitespace, which OpenAI does not strip"
            ),
            fix,
        ));
    }
    if v.chars().any(char::is_whitespace) {
        return Some(problem(format!("{name} \"{v}\" contains whitespace"), None));
    }
    if let Some(p) = find_placeholders(v).first() {
        return Some(problem(
            format!(
                "{name} \"{v}\" still holds the template placeholder {}: replace it with {}{}",
                p.text,
                placeholder_meaning(&p.text),
                if placeholder_kind(&p.text) == PlaceholderKind::Region {
                    ", such as us-east-1"
                } else {
                    ""
                }
            ),
            None,
        ));
    }
    None
}

// ---------------------------------------------------------------------------------------------
// KMS ARNs

/// What a KMS ARN names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KmsResource {
    /// `key/<uuid>`
    Key(String),
    /// `key/mrk-<32 hex>`
    Mrk(String),
    /// `alias/<name>` (the name without `alias/`)
    Alias(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmsArn {
    pub partition: String,
    pub region: String,
    pub account: String,
    pub resource: KmsResource,
}

impl KmsArn {
    /// The key id (`1234abcd-…` or `mrk-…`), for a key ARN.
    pub fn key_id(&self) -> Option<&str> {
        match &self.resource {
            KmsResource::Key(id) | KmsResource::Mrk(id) => Some(id),
            KmsResource::Alias(_) => None,
        }
    }
    /// `alias/<name>`, for an alias ARN.
    pub fn alias(&self) -> Option<String> {
        match &self.resource {
            KmsResource::Alias(n) => Some(format!("alias/{n}")),
            _ => None,
        }
    }
}

fn describe_key_fix(key_id: &str) -> String {
    format!(
        "look up the key's ARN and register that: `aws kms describe-key --key-id {key_id} --query KeyMetadata.Arn --output text` (add --region when the key is in another region than your default)"
    )
}

/// Parse `kms_arn`: a key ARN, a multi-Region key ARN or an alias ARN.
pub fn parse_kms_arn(v: &str) -> Result<KmsArn, Problem> {
    if let Some(p) = common_problem(Field::KmsArn, v) {
        return Err(p);
    }
    if !v.starts_with("arn:") {
        if v.to_ascii_lowercase().starts_with("arn:") {
            return Err(problem(
                format!("kms_arn \"{v}\" must begin with lower-case \"arn:\""),
                Some(format!("register arn:{}", &v[4..])),
            ));
        }
        if is_uuid(v, false) {
            return Err(problem(
                format!(
                    "kms_arn \"{v}\" is a bare key id, not an ARN: OpenAI needs arn:aws:kms:<region>:<account>:key/{v}"
                ),
                Some(describe_key_fix(v)),
            ));
        }
        if is_mrk_id(v, false) {
            return Err(problem(
                format!(
                    "kms_arn \"{v}\" is a bare multi-Region key id, not an ARN: OpenAI needs arn:aws:kms:<region>:<account>:key/{v}"
                ),
                Some(describe_key_fix(v)),
            ));
        }
        if v.starts_with("alias/") {
            return Err(problem(
                format!(
                    "kms_arn \"{v}\" is an alias name, not an ARN: OpenAI needs the key ARN (or arn:aws:kms:<region>:<account>:{v})"
                ),
                Some(describe_key_fix(v)),
            ));
        }
        return Err(problem(
            format!(
                "kms_arn \"{v}\" is not an ARN: it must look like {}",
                example(Field::KmsArn)
            ),
            None,
        ));
    }
    let parts: Vec<&str> = v.splitn(6, ':').collect();
    if parts.len() < 6 {
        return Err(problem(
            format!(
                "kms_arn \"{v}\" is not a complete ARN: it must have six parts, arn:<partition>:kms:<region>:<account>:key/<key id>"
            ),
            None,
        ));
    }
    let (partition, service, region, account, resource) =
        (parts[1], parts[2], parts[3], parts[4], parts[5]);
    if !PARTITIONS.contains(&partition) {
        return Err(problem(
            format!(
                "kms_arn \"{v}\" names the partition \"{partition}\": it must be aws, aws-cn or aws-us-gov"
            ),
            None,
        ));
    }
    if service != "kms" {
        let why = if service == "iam" || service == "sts" {
            format!(
                "kms_arn \"{v}\" is an {} ARN, not a KMS key: are kms_arn and role_arn swapped?",
                service.to_uppercase()
            )
        } else {
            format!("kms_arn \"{v}\" is an ARN of the service \"{service}\", not of KMS")
        };
        return Err(problem(why, None));
    }
    if region.is_empty() {
        return Err(problem(
            format!(
                "kms_arn \"{v}\" has no region: KMS ARNs name the key's region, e.g. us-east-1"
            ),
            None,
        ));
    }
    if !is_region(region) {
        return Err(problem(
            format!(
                "kms_arn \"{v}\" names the region \"{region}\", which is not an AWS region name such as us-east-1"
            ),
            None,
        ));
    }
    if !is_account_id(account) {
        return Err(problem(
            format!(
                "kms_arn \"{v}\" names the account \"{account}\": an AWS account id is 12 digits{}",
                if account.bytes().all(|b| b.is_ascii_digit()) && !account.is_empty() {
                    format!(" (this one has {}; leading zeros count)", account.len())
                } else {
                    String::new()
                }
            ),
            None,
        ));
    }
    let resource = if let Some(id) = resource.strip_prefix("key/") {
        if id.starts_with("mrk-") {
            if is_mrk_id(id, true) {
                KmsResource::Mrk(id.to_string())
            } else if is_mrk_id(id, false) {
                return Err(problem(
                    format!("kms_arn \"{v}\": the key id \"{id}\" must be lower-case"),
                    Some(format!(
                        "register arn:{partition}:kms:{region}:{account}:key/{}",
                        id.to_ascii_lowercase()
                    )),
                ));
            } else {
                return Err(problem(
                    format!(
                        "kms_arn \"{v}\": the multi-Region key id \"{id}\" is not mrk- followed by 32 hex digits"
                    ),
                    None,
                ));
            }
        } else if is_uuid(id, true) {
            KmsResource::Key(id.to_string())
        } else if is_uuid(id, false) {
            return Err(problem(
                format!("kms_arn \"{v}\": the key id \"{id}\" must be lower-case"),
                Some(format!(
                    "register arn:{partition}:kms:{region}:{account}:key/{}",
                    id.to_ascii_lowercase()
                )),
            ));
        } else {
            return Err(problem(
                format!(
                    "kms_arn \"{v}\": the key id \"{id}\" is not a key id (a UUID such as 1234abcd-12ab-34cd-56ef-1234567890ab, or mrk-…)"
                ),
                None,
            ));
        }
    } else if let Some(name) = resource.strip_prefix("alias/") {
        if name.is_empty() {
            return Err(problem(
                format!("kms_arn \"{v}\" has an empty alias name"),
                None,
            ));
        }
        if name.starts_with("aws/") {
            return Err(problem(
                format!("kms_arn \"{v}\" is an AWS managed key's alias (alias/aws/…): AWS managed keys cannot be used, their key policies cannot be changed"),
                Some("create a customer managed symmetric key (`aws kms create-key`), and register its ARN".into()),
            ));
        }
        if let Some(c) = name.chars().find(|c| !is_alias_name_char(*c)) {
            return Err(problem(
                format!(
                    "kms_arn \"{v}\": the alias name contains \"{c}\"; alias names hold letters, digits, /, _ and - only"
                ),
                None,
            ));
        }
        if resource.len() > 256 {
            return Err(problem(
                format!("kms_arn \"{v}\": the alias name is longer than 256 characters"),
                None,
            ));
        }
        KmsResource::Alias(name.to_string())
    } else if is_uuid(resource, false) || is_mrk_id(resource, false) {
        return Err(problem(
            format!("kms_arn \"{v}\" lacks \"key/\" before the key id"),
            Some(format!(
                "register arn:{partition}:kms:{region}:{account}:key/{resource}"
            )),
        ));
    } else {
        return Err(problem(
            format!(
                "kms_arn \"{v}\" names \"{resource}\": it must be key/<key id>, key/mrk-<id> or alias/<name>"
            ),
            None,
        ));
    };
    Ok(KmsArn {
        partition: partition.to_string(),
        region: region.to_string(),
        account: account.to_string(),
        resource,
    })
}

// ---------------------------------------------------------------------------------------------
// Role ARNs

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleArn {
    pub partition: String,
    pub account: String,
    /// `/` or `/a/b/`
    pub path: String,
    pub name: String,
}

fn get_role_fix(name: &str) -> String {
    format!(
        "look up the role's ARN and register that: `aws iam get-role --role-name {name} --query Role.Arn --output text`"
    )
}

/// Parse `role_arn`: `arn:<partition>:iam::<account>:role/<path/>name`.
pub fn parse_role_arn(v: &str) -> Result<RoleArn, Problem> {
    if let Some(p) = common_problem(Field::RoleArn, v) {
        return Err(p);
    }
    if !v.starts_with("arn:") {
        if v.to_ascii_lowercase().starts_with("arn:") {
            return Err(problem(
                format!("role_arn \"{v}\" must begin with lower-case \"arn:\""),
                Some(format!("register arn:{}", &v[4..])),
            ));
        }
        if is_account_id(v) {
            return Err(problem(
                format!(
                    "role_arn \"{v}\" is an account id, not a role ARN: OpenAI assumes one role, arn:aws:iam::{v}:role/<name>"
                ),
                None,
            ));
        }
        let name = v.strip_prefix("role/").unwrap_or(v);
        if is_role_name(name) {
            return Err(problem(
                format!(
                    "role_arn \"{v}\" is a role name, not an ARN: OpenAI needs arn:aws:iam::<account>:role/{name}"
                ),
                Some(get_role_fix(name)),
            ));
        }
        return Err(problem(
            format!(
                "role_arn \"{v}\" is not an ARN: it must look like {}",
                example(Field::RoleArn)
            ),
            None,
        ));
    }
    let parts: Vec<&str> = v.splitn(6, ':').collect();
    if parts.len() < 6 {
        return Err(problem(
            format!(
                "role_arn \"{v}\" is not a complete ARN: it must have six parts, arn:<partition>:iam::<account>:role/<name> (with an empty region)"
            ),
            None,
        ));
    }
    let (partition, service, region, account, resource) =
        (parts[1], parts[2], parts[3], parts[4], parts[5]);
    if !PARTITIONS.contains(&partition) {
        return Err(problem(
            format!(
                "role_arn \"{v}\" names the partition \"{partition}\": it must be aws, aws-cn or aws-us-gov"
            ),
            None,
        ));
    }
    if service == "sts" {
        if let Some(rest) = resource.strip_prefix("assumed-role/") {
            let name = rest.split('/').next().unwrap_or_default();
            return Err(problem(
                format!(
                    "role_arn \"{v}\" is an assumed-role session (what `aws sts get-caller-identity` prints), not a role: OpenAI needs the role's ARN, arn:{partition}:iam::{account}:role/{name} (with the role's path, if it has one)"
                ),
                Some(get_role_fix(name)),
            ));
        }
        return Err(problem(
            format!("role_arn \"{v}\" is an STS ARN, not an IAM role ARN"),
            None,
        ));
    }
    if service == "kms" {
        return Err(problem(
            format!("role_arn \"{v}\" is a KMS ARN, not a role: are kms_arn and role_arn swapped?"),
            None,
        ));
    }
    if service != "iam" {
        return Err(problem(
            format!("role_arn \"{v}\" is an ARN of the service \"{service}\", not an IAM role"),
            None,
        ));
    }
    if !region.is_empty() {
        return Err(problem(
            format!(
                "role_arn \"{v}\" names the region \"{region}\": IAM is global, its ARNs have an empty region (iam::)"
            ),
            Some(format!(
                "register arn:{partition}:iam::{account}:{resource}"
            )),
        ));
    }
    if !is_account_id(account) {
        return Err(problem(
            format!(
                "role_arn \"{v}\" names the account \"{account}\": an AWS account id is 12 digits"
            ),
            None,
        ));
    }
    if resource.starts_with("user/") {
        return Err(problem(
            format!(
                "role_arn \"{v}\" is an IAM user, not a role: OpenAI assumes a role (create one with the trust policy of step 3)"
            ),
            None,
        ));
    }
    if resource == "root" {
        return Err(problem(
            format!(
                "role_arn \"{v}\" is the account's root principal, not a role: OpenAI assumes one role, arn:{partition}:iam::{account}:role/<name>"
            ),
            None,
        ));
    }
    if let Some(name) = resource.strip_prefix("instance-profile/") {
        return Err(problem(
            format!("role_arn \"{v}\" is an instance profile, not a role"),
            Some(get_role_fix(name.rsplit('/').next().unwrap_or(name))),
        ));
    }
    if resource.starts_with("policy/") || resource.starts_with("group/") {
        let kind = if resource.starts_with("policy/") {
            "a managed policy"
        } else {
            "a group"
        };
        return Err(problem(
            format!("role_arn \"{v}\" is {kind}, not a role"),
            None,
        ));
    }
    let Some(rest) = resource.strip_prefix("role/") else {
        return Err(problem(
            format!(
                "role_arn \"{v}\" names \"{resource}\": it must be role/<name> or role/<path>/<name>"
            ),
            None,
        ));
    };
    let (path, name) = match rest.rsplit_once('/') {
        Some((p, n)) => (format!("/{p}/"), n),
        None => ("/".to_string(), rest),
    };
    if name.is_empty() {
        return Err(problem(
            format!("role_arn \"{v}\" has no role name after \"role/\""),
            None,
        ));
    }
    if name.len() > 64 {
        return Err(problem(
            format!(
                "role_arn \"{v}\": the role name \"{name}\" is {} characters long; IAM allows 64",
                name.len()
            ),
            None,
        ));
    }
    if let Some(c) = name.chars().find(|c| !is_iam_name_char(*c)) {
        return Err(problem(
            format!(
                "role_arn \"{v}\": the role name contains \"{c}\"; role names hold letters, digits and +=,.@_- only"
            ),
            None,
        ));
    }
    if path.len() > 512
        || path.contains("//")
        || !path.chars().all(|c| ('\u{21}'..='\u{7e}').contains(&c))
    {
        return Err(problem(
            format!("role_arn \"{v}\": the role path \"{path}\" is not a valid IAM path"),
            None,
        ));
    }
    Ok(RoleArn {
        partition: partition.to_string(),
        account: account.to_string(),
        path,
        name: name.to_string(),
    })
}

// ---------------------------------------------------------------------------------------------
// ExternalId

/// What an ExternalId is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExternalId {
    /// `org-` + 24 alphanumerics.
    Org,
    /// `proj_` + 24 alphanumerics.
    Project,
    /// STS rejects it (empty, too short or long, characters outside `[\w+=,.@:/-]`).
    Invalid(String),
    /// STS accepts it, but it is not an OpenAI id.
    Unexpected(String),
}

fn is_sts_external_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@:/-".contains(c)
}

/// Classify an ExternalId.
pub fn classify_external_id(v: &str) -> ExternalId {
    if v.is_empty() {
        return ExternalId::Invalid(
            "external_id is empty: STS requires 2 to 1224 characters".into(),
        );
    }
    if let Some(c) = v.chars().find(|c| !is_sts_external_id_char(*c)) {
        let what = if c.is_whitespace() {
            "whitespace".to_string()
        } else {
            format!("\"{c}\"")
        };
        return ExternalId::Invalid(format!(
            "external_id \"{v}\" contains {what}, which STS rejects (allowed: letters, digits and _+=,.@:/-)"
        ));
    }
    let n = v.chars().count();
    if !(2..=1224).contains(&n) {
        return ExternalId::Invalid(format!(
            "external_id \"{v}\" is {n} characters long: STS requires 2 to 1224"
        ));
    }
    let alnum24 = |s: &str| s.len() == 24 && s.bytes().all(|b| b.is_ascii_alphanumeric());
    if v.strip_prefix("org-").is_some_and(alnum24) {
        return ExternalId::Org;
    }
    if v.strip_prefix("proj_").is_some_and(alnum24) {
        return ExternalId::Project;
    }
    let lower = v.to_ascii_lowercase();
    let why = if let Some(rest) = v.strip_prefix("org-").or_else(|| v.strip_prefix("proj_")) {
        let kind = if v.starts_with("org-") {
            "organization"
        } else {
            "project"
        };
        if rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
            format!(
                "external_id \"{v}\" looks like an OpenAI {kind} id, but has {} characters after the prefix where OpenAI's ids have 24: is it truncated or padded?",
                rest.len()
            )
        } else {
            format!(
                "external_id \"{v}\" looks like an OpenAI {kind} id, but holds characters other than letters and digits after the prefix"
            )
        }
    } else if lower.starts_with("org_") || lower.starts_with("org-") {
        format!(
            "external_id \"{v}\" is not an OpenAI organization id: those are written org- (lower-case, with a hyphen) followed by 24 letters and digits"
        )
    } else if lower.starts_with("proj-") || lower.starts_with("proj_") {
        format!(
            "external_id \"{v}\" is not an OpenAI project id: those are written proj_ (lower-case, with an underscore) followed by 24 letters and digits"
        )
    } else if v.starts_with("extkey_") {
        format!(
            "external_id \"{v}\" is an external key id (returned by the registration), not your organization or project id"
        )
    } else if v.starts_with("user-") {
        format!("external_id \"{v}\" is a user id, not your organization or project id")
    } else if v.starts_with("sk-") {
        format!(
            "external_id \"{v}\" looks like an API key: never put a secret there; OpenAI passes your organization id (org-…) or project id (proj_…)"
        )
    } else {
        format!(
            "external_id \"{v}\" is neither an OpenAI organization id (org-…) nor a project id (proj_…), which OpenAI passes as ExternalId"
        )
    };
    ExternalId::Unexpected(why)
}

// ---------------------------------------------------------------------------------------------
// Placeholders

/// A template placeholder found in text, at a byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    pub offset: usize,
    pub text: String,
}

/// Template placeholders: `<…>` holding letters, digits, underscores, hyphens or spaces (at
/// least one letter, starting with a letter or underscore), and bare `YOUR_…` tokens.
pub fn find_placeholders(s: &str) -> Vec<Placeholder> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'<' {
            let mut j = i + 1;
            while j < b.len()
                && j - i <= 80
                && (b[j].is_ascii_alphanumeric() || b"_ -".contains(&b[j]))
            {
                j += 1;
            }
            let inner = &s[i + 1..j];
            if j < b.len()
                && b[j] == b'>'
                && inner
                    .bytes()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
                && inner.bytes().any(|c| c.is_ascii_alphabetic())
            {
                out.push(Placeholder {
                    offset: i,
                    text: s[i..=j].to_string(),
                });
                i = j + 1;
                continue;
            }
        } else if b[i..].starts_with(b"YOUR_") && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
            let mut j = i + 5;
            while j < b.len()
                && (b[j].is_ascii_uppercase() || b[j].is_ascii_digit() || b[j] == b'_')
            {
                j += 1;
            }
            if j > i + 5 {
                out.push(Placeholder {
                    offset: i,
                    text: s[i..j].to_string(),
                });
                i = j;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// What kind of value a placeholder stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaceholderKind {
    KeyArn,
    KeyId,
    Alias,
    RoleArn,
    RoleName,
    ExternalId,
    Account,
    Region,
    Other,
}

pub fn placeholder_kind(token: &str) -> PlaceholderKind {
    let u = token.to_ascii_uppercase();
    let has = |w: &str| u.contains(w);
    if has("ALIAS") {
        PlaceholderKind::Alias
    } else if has("UUID") || has("KEY_ID") || has("KEYID") {
        PlaceholderKind::KeyId
    } else if has("KMS") || has("KEY") {
        PlaceholderKind::KeyArn
    } else if has("ROLE") {
        if has("ARN") {
            PlaceholderKind::RoleArn
        } else {
            PlaceholderKind::RoleName
        }
    } else if has("ORG") || has("PROJECT") || has("EXTERNAL") {
        PlaceholderKind::ExternalId
    } else if has("ACCOUNT") {
        PlaceholderKind::Account
    } else if has("REGION") {
        PlaceholderKind::Region
    } else {
        PlaceholderKind::Other
    }
}

/// What goes where a placeholder stands (generic, without the registration's values).
pub fn placeholder_meaning(token: &str) -> &'static str {
    match placeholder_kind(token) {
        PlaceholderKind::KeyArn => "the KMS key's ARN, arn:aws:kms:REGION:ACCOUNT:key/KEY-ID",
        PlaceholderKind::KeyId => "the key's id, the UUID after key/ in its ARN",
        PlaceholderKind::Alias => "the alias name, or better the key's own ARN",
        PlaceholderKind::RoleArn => "the role's ARN, arn:aws:iam::ACCOUNT:role/NAME",
        PlaceholderKind::RoleName => "the role's name",
        PlaceholderKind::ExternalId => "your OpenAI organization id (org-…) or project id (proj_…)",
        PlaceholderKind::Account => "your 12-digit AWS account id",
        PlaceholderKind::Region => "the key's region",
        PlaceholderKind::Other => "the real value",
    }
}

/// What goes where a placeholder stands, with the real value when the inputs know it.
pub fn placeholder_value(cx: &Cx<'_>, token: &str) -> String {
    let key = cx
        .key_arn()
        .and_then(|v| parse_kms_arn(v).ok().map(|a| (v, a)));
    let kms = Field::KmsArn.value(cx).and_then(|v| parse_kms_arn(v).ok());
    let role = Field::RoleArn
        .value(cx)
        .and_then(|v| parse_role_arn(v).ok().map(|a| (v, a)));
    let ext = Field::ExternalId.value(cx).filter(|v| {
        matches!(
            classify_external_id(v),
            ExternalId::Org | ExternalId::Project
        )
    });
    let kind = placeholder_kind(token);
    let known: Option<String> = match kind {
        PlaceholderKind::KeyArn => key.as_ref().map(|(v, _)| v.to_string()),
        PlaceholderKind::KeyId => key
            .as_ref()
            .and_then(|(_, a)| a.key_id().map(str::to_string)),
        PlaceholderKind::Alias => kms.as_ref().and_then(KmsArn::alias),
        PlaceholderKind::RoleArn => role.as_ref().map(|(v, _)| v.to_string()),
        PlaceholderKind::RoleName => role.as_ref().map(|(_, r)| r.name.clone()),
        PlaceholderKind::ExternalId => ext.map(str::to_string),
        PlaceholderKind::Account => role
            .as_ref()
            .map(|(_, r)| r.account.clone())
            .or_else(|| key.as_ref().map(|(_, a)| a.account.clone())),
        PlaceholderKind::Region => key.as_ref().map(|(_, a)| a.region.clone()),
        PlaceholderKind::Other => None,
    };
    let how = match kind {
        PlaceholderKind::KeyArn | PlaceholderKind::KeyId => {
            " (`aws kms describe-key --key-id alias/YOUR-ALIAS --query KeyMetadata.Arn --output text` prints it)"
        }
        PlaceholderKind::RoleArn | PlaceholderKind::RoleName => {
            " (`aws iam get-role --role-name NAME --query Role.Arn --output text` prints it)"
        }
        PlaceholderKind::Account => {
            " (`aws sts get-caller-identity --query Account --output text` prints it)"
        }
        PlaceholderKind::ExternalId => " (shown in OpenAI's organization settings)",
        PlaceholderKind::Region => ", such as us-east-1",
        _ => "",
    };
    match known {
        Some(k) => format!("{k}, {}", placeholder_meaning(token)),
        None => format!("{}{how}", placeholder_meaning(token)),
    }
}

/// Is the byte offset inside a double-quoted string on its line?
pub fn inside_quotes(text: &str, offset: usize) -> bool {
    let start = text[..offset].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let mut quoted = false;
    let mut escaped = false;
    for c in text[start..offset].chars() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = quoted;
        } else if c == '"' {
            quoted = !quoted;
        }
    }
    quoted
}

// ---------------------------------------------------------------------------------------------
// Locating text in documents

/// A string (a value or an object key) of a JSON document: its pointer and position.
#[derive(Debug, Clone)]
pub struct StringAt {
    pub pointer: String,
    pub pos: Pos,
}

/// Every string of a parsed document, keys included, in document order.
pub fn strings_of(node: &Node) -> Vec<StringAt> {
    fn walk(n: &Node, ptr: &str, out: &mut Vec<StringAt>) {
        match &n.value {
            Value::String(_) => out.push(StringAt {
                pointer: ptr.to_string(),
                pos: n.pos,
            }),
            Value::Array(items) => {
                for (i, it) in items.iter().enumerate() {
                    walk(it, &format!("{ptr}/{i}"), out);
                }
            }
            Value::Object(members) => {
                for m in members {
                    let p = format!("{ptr}/{}", crate::policy::escape(&m.key));
                    out.push(StringAt {
                        pointer: p.clone(),
                        pos: m.key_pos,
                    });
                    walk(&m.value, &p, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(node, "", &mut out);
    out.sort_by_key(|s| s.pos.offset);
    out
}

/// The pointer of the string that holds the byte offset (the last string starting before it).
pub fn pointer_at(strings: &[StringAt], offset: usize) -> Option<&StringAt> {
    strings.iter().take_while(|s| s.pos.offset <= offset).last()
}

/// The most precise position the parsed policy knows for a pointer inside it: a principal
/// entry, a condition, or the statement that holds it.
pub fn policy_pos(policy: &Policy, pointer: &str) -> Option<Pos> {
    let within = |p: &str| pointer == p || pointer.starts_with(&format!("{p}/"));
    let mut best: Option<(usize, Pos)> = None;
    let mut consider = |p: &str, pos: Pos| {
        if within(p) && pos.line > 0 && best.is_none_or(|(l, _)| p.len() > l) {
            best = Some((p.len(), pos));
        }
    };
    for st in &policy.statements {
        consider(&st.pointer, st.pos);
        if let Some(pr) = &st.principal {
            for e in &pr.entries {
                consider(&e.pointer, e.pos);
            }
        }
        for c in &st.conditions {
            consider(&c.pointer, c.pos);
        }
    }
    best.map(|(_, p)| p)
}

/// How a document's text relates to its file.
pub enum TextIs {
    /// The text is the whole file (lint): positions in it are the file's.
    File,
    /// The text is re-rendered from a document inside a file (a snapshot): positions in it mean
    /// nothing in the file.
    Rendered,
    /// The text is the document itself, not in any file (a policy given as a string).
    Own,
}

pub fn text_is(doc: &Doc) -> TextIs {
    match (&doc.file, doc.base_pointer.is_empty()) {
        (Some(_), true) => TextIs::File,
        (Some(_), false) => TextIs::Rendered,
        (None, _) => TextIs::Own,
    }
}

/// `trust-policy.json:14:25` or `role.trust_policy /Statement/0/Resource (snapshot.json:30)`.
pub fn where_in(e: &Evidence) -> String {
    match (&e.file, e.line, e.column) {
        (Some(f), Some(l), Some(c)) if *f == e.source => format!("{f}:{l}:{c}"),
        _ => e.location(),
    }
}

// ---------------------------------------------------------------------------------------------
// Key metadata

/// The key's ARN for messages and commands: its metadata `Arn`, else `kms_arn`.
pub fn key_label(cx: &Cx<'_>) -> String {
    cx.inputs
        .key
        .get()
        .and_then(|m| m.str("Arn").or_else(|| m.str("KeyId")))
        .or_else(|| Field::KmsArn.value(cx))
        .unwrap_or("the key")
        .to_string()
}

/// `--key-id ARN --region R` for `aws kms` commands on the key.
pub fn key_id_args(cx: &Cx<'_>) -> String {
    let arn = key_label(cx);
    match crate::policy::pattern::arn_parts(&arn) {
        Some(p) if !p[3].is_empty() => format!("--key-id {arn} --region {}", p[3]),
        _ => format!("--key-id {arn}"),
    }
}

/// Evidence for a metadata field.
pub fn meta_evidence(meta: &KeyMeta, field: &str) -> Evidence {
    Evidence::new(
        "key.metadata",
        &format!("/{field}"),
        meta.0.get(field).cloned(),
    )
}

/// A timestamp from DescribeKey: an ISO string, or epoch seconds (the CLI's and SDKs' forms).
pub fn timestamp(meta: &KeyMeta, field: &str) -> Option<String> {
    match meta.0.get(field)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => {
            let secs = n.as_f64()?;
            chrono::DateTime::from_timestamp(secs as i64, 0)
                .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        }
        _ => None,
    }
}

/// The ExternalId values the trust policy requires (`sts:ExternalId` conditions), in order.
pub fn trust_external_ids(cx: &Cx<'_>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if let Some(p) = cx.inputs.trust_policy.get().and_then(Doc::policy) {
        for st in &p.statements {
            for c in st
                .conditions
                .iter()
                .filter(|c| c.key_lc == "sts:externalid")
            {
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

/// An AWS error message as a part of ours: without its trailing period.
pub fn aws_error(e: &str) -> &str {
    e.trim_end().trim_end_matches('.')
}

/// [`Outcome::for_missing`], with the part's error message in our style (no trailing period).
pub fn for_missing<T>(part: &Part<T>, what: &str) -> Option<Outcome> {
    Outcome::for_missing(part, what).map(|mut o| {
        o.message = aws_error(&o.message).to_string();
        o
    })
}

/// Does an AWS error say that the thing does not exist?
pub fn is_not_found(e: &str) -> bool {
    let l = e.to_ascii_lowercase();
    l.contains("notfoundexception")
        || l.contains("nosuchentity")
        || l.contains("not found")
        || l.contains("does not exist")
        || l.contains("cannot be found")
}

/// Does an AWS error say that the read was denied?
pub fn is_access_denied(e: &str) -> bool {
    let l = e.to_ascii_lowercase();
    l.contains("accessdenied")
        || l.contains("not authorized")
        || l.contains("unauthorizedoperation")
}

/// The live rules' common start: skipped without `--live`.
pub fn live_outcome(cx: &Cx<'_>) -> Outcome {
    match &cx.inputs.live {
        None => Outcome::skipped(LIVE_SKIPPED),
        Some(_) => Outcome::unknown("live results not implemented"),
    }
}

/// Parse a document's text again (for positions of strings).
pub fn reparse(doc: &Doc) -> Option<Node> {
    json::parse(&doc.text).ok()
}

/// Every document part that could not be read, by name.
pub fn unreadable_documents(cx: &Cx<'_>) -> Vec<String> {
    let i = cx.inputs;
    let mut out = Vec::new();
    let parts: [(&str, Option<&String>); 5] = [
        ("key.policy", err(&i.key_policy)),
        ("role.trust_policy", err(&i.trust_policy)),
        ("role.inline_policies", err(&i.inline_policies)),
        ("role.attached_policies", err(&i.attached_policies)),
        ("role.permissions_boundary", err(&i.boundary)),
    ];
    for (name, e) in parts {
        if let Some(e) = e {
            out.push(format!("{name} ({e})"));
        }
    }
    out
}

fn err<T>(p: &Part<T>) -> Option<&String> {
    match p {
        Part::Error(e) => Some(e),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kms_arns() {
        let ok = parse_kms_arn(
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        )
        .unwrap();
        assert_eq!(ok.key_id(), Some("1234abcd-12ab-34cd-56ef-1234567890ab"));
        assert_eq!(ok.region, "us-east-1");
        let mrk = parse_kms_arn("arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab").unwrap();
        assert!(matches!(mrk.resource, KmsResource::Mrk(_)));
        let alias =
            parse_kms_arn("arn:aws-cn:kms:cn-north-1:111122223333:alias/openai/ekm_key-1").unwrap();
        assert_eq!(alias.alias().as_deref(), Some("alias/openai/ekm_key-1"));

        let bad = |v: &str, needle: &str| {
            let e = parse_kms_arn(v).unwrap_err();
            assert!(e.message.contains(needle), "{v}: {}", e.message);
        };
        bad("1234abcd-12ab-34cd-56ef-1234567890ab", "bare key id");
        bad(
            "mrk-1234abcd12ab34cd56ef1234567890ab",
            "bare multi-Region key id",
        );
        bad("alias/openai-ekm", "alias name, not an ARN");
        bad(
            " arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "whitespace",
        );
        bad(
            "arn:aws:kms:<REGION>:<YOUR_AWS_ACCOUNT_NUMBER>:key/<UUID>",
            "placeholder <REGION>",
        );
        bad("YOUR_KMS_ARN", "placeholder YOUR_KMS_ARN");
        bad(
            "arn:aws:kms:us-east-1:111122223333:alias/aws/s3",
            "AWS managed",
        );
        bad(
            "arn:aws:kms:us-east-1:11112222333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "12 digits",
        );
        bad(
            "arn:aws:kms:us-east-1:111122223333:key/1234ABCD-12ab-34cd-56ef-1234567890ab",
            "lower-case",
        );
        bad(
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd",
            "not a key id",
        );
        bad(
            "arn:aws:kms:us-east-1:111122223333:key/mrk-1234",
            "mrk- followed by 32",
        );
        bad(
            "arn:aws:kms::111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "no region",
        );
        bad(
            "arn:aws:kms:useast1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "not an AWS region",
        );
        bad("arn:aws:iam::111122223333:role/openai-ekm", "swapped");
        bad(
            "arn:azure:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "partition",
        );
        bad(
            "arn:aws:kms:us-east-1:111122223333:alias/bad name!",
            "whitespace",
        );
        bad("arn:aws:kms:us-east-1:111122223333:alias/bad!", "\"!\"");
        bad(
            "arn:aws:kms:us-east-1:111122223333:1234abcd-12ab-34cd-56ef-1234567890ab",
            "lacks \"key/\"",
        );
        bad("arn:aws:kms:us-east-1:111122223333", "six parts");
        bad("", "empty");
    }

    #[test]
    fn role_arns() {
        let r = parse_role_arn("arn:aws:iam::111122223333:role/openai-ekm").unwrap();
        assert_eq!((r.path.as_str(), r.name.as_str()), ("/", "openai-ekm"));
        let r = parse_role_arn("arn:aws:iam::111122223333:role/service/ekm/OpenAI+EKM@x").unwrap();
        assert_eq!(
            (r.path.as_str(), r.name.as_str()),
            ("/service/ekm/", "OpenAI+EKM@x")
        );

        let bad = |v: &str, needle: &str| {
            let e = parse_role_arn(v).unwrap_err();
            assert!(e.message.contains(needle), "{v}: {}", e.message);
        };
        bad(
            "arn:aws:sts::111122223333:assumed-role/openai-ekm/session",
            "assumed-role session",
        );
        bad(
            "arn:aws:sts::111122223333:assumed-role/openai-ekm/session",
            "arn:aws:iam::111122223333:role/openai-ekm",
        );
        bad("arn:aws:iam::111122223333:user/alice", "IAM user");
        bad("arn:aws:iam::111122223333:root", "root");
        bad("openai-ekm", "role name, not an ARN");
        bad("111122223333", "account id");
        bad(
            "arn:aws:iam:us-east-1:111122223333:role/openai-ekm",
            "IAM is global",
        );
        bad("arn:aws:iam::1111:role/openai-ekm", "12 digits");
        bad("arn:aws:iam::111122223333:role/", "no role name");
        bad("arn:aws:iam::111122223333:role/bad*name", "\"*\"");
        bad(
            &format!("arn:aws:iam::111122223333:role/{}", "a".repeat(65)),
            "64",
        );
        bad(
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "swapped",
        );
        bad(
            "arn:aws:iam::<YOUR_AWS_ACCOUNT_NUMBER>:role/<YOUR_ROLE>",
            "placeholder",
        );
        bad("arn:aws:iam::111122223333:role/openai-ekm ", "whitespace");
    }

    #[test]
    fn external_ids() {
        assert_eq!(
            classify_external_id("org-AbCdEf0123456789GhIjKlMn"),
            ExternalId::Org
        );
        assert_eq!(
            classify_external_id("proj_AbCdEf0123456789GhIjKlMn"),
            ExternalId::Project
        );
        assert!(matches!(classify_external_id(""), ExternalId::Invalid(_)));
        assert!(
            matches!(classify_external_id("a"), ExternalId::Invalid(m) if m.contains("2 to 1224"))
        );
        assert!(matches!(
            classify_external_id(&"a".repeat(1225)),
            ExternalId::Invalid(_)
        ));
        assert!(
            matches!(classify_external_id("org-abc def"), ExternalId::Invalid(m) if m.contains("whitespace"))
        );
        assert!(
            matches!(classify_external_id("<org id>"), ExternalId::Invalid(m) if m.contains("\"<\""))
        );
        assert!(
            matches!(classify_external_id("org-AbCdEf"), ExternalId::Unexpected(m) if m.contains("has 6 characters"))
        );
        assert!(
            matches!(classify_external_id("proj-AbCdEf0123456789GhIjKlMn"), ExternalId::Unexpected(m) if m.contains("proj_"))
        );
        assert!(matches!(
            classify_external_id("my-external-id"),
            ExternalId::Unexpected(_)
        ));
        assert!(matches!(
            classify_external_id("a:b/c=d,e.f@g+h_i-j"),
            ExternalId::Unexpected(_)
        ));
    }

    #[test]
    fn placeholders() {
        let t = "arn:aws:kms:<REGION>:<YOUR_AWS_ACCOUNT_NUMBER>:key/<UUID> YOUR_KMS_ARN <your org id or project id> a<b && c>d <br/>";
        let found = find_placeholders(t);
        let p: Vec<&str> = found.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(
            p,
            [
                "<REGION>",
                "<YOUR_AWS_ACCOUNT_NUMBER>",
                "<UUID>",
                "YOUR_KMS_ARN",
                "<your org id or project id>"
            ]
        );
        assert_eq!(find_placeholders("org-YOUR_OPENAI_ORG_ID")[0].offset, 4);
        assert!(find_placeholders("MYOUR_X arn:aws:kms:us-east-1:1:key/x YOUR_").is_empty());
        assert_eq!(placeholder_kind("<YOUR_KMS_ARN>"), PlaceholderKind::KeyArn);
        assert_eq!(placeholder_kind("<UUID>"), PlaceholderKind::KeyId);
        assert_eq!(placeholder_kind("<alias_name>"), PlaceholderKind::Alias);
        assert_eq!(placeholder_kind("<YOUR_ROLE>"), PlaceholderKind::RoleName);
        assert_eq!(
            placeholder_kind("<YOUR_OPENAI_ORGANIZATION_ID>"),
            PlaceholderKind::ExternalId
        );
        assert_eq!(
            placeholder_kind("<your org id or project id>"),
            PlaceholderKind::ExternalId
        );
        assert_eq!(
            placeholder_kind("<YOUR_AWS_ACCOUNT_NUMBER>"),
            PlaceholderKind::Account
        );
        assert_eq!(
            placeholder_kind("<account_number>"),
            PlaceholderKind::Account
        );
        assert_eq!(placeholder_kind("<REGION>"), PlaceholderKind::Region);
    }

    #[test]
    fn quotes_and_pointers() {
        let t = "{\n  \"Resource\": <YOUR_KMS_ARN>,\n  \"A\": \"x <B> \\\" <C>\"\n}";
        let o = t.find("<YOUR").unwrap();
        assert!(!inside_quotes(t, o));
        assert!(inside_quotes(t, t.find("<B>").unwrap()));
        assert!(inside_quotes(t, t.find("<C>").unwrap()));
        let doc = "{\"Statement\": [{\"Resource\": \"arn:<REGION>\"}], \"<K>\": 1}";
        let n = json::parse(doc).unwrap();
        let s = strings_of(&n);
        assert_eq!(
            pointer_at(&s, doc.find("<REGION>").unwrap())
                .unwrap()
                .pointer,
            "/Statement/0/Resource"
        );
        assert_eq!(
            pointer_at(&s, doc.find("<K>").unwrap()).unwrap().pointer,
            "/<K>"
        );
    }
}
