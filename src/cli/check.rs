//! `check` and `lint`: build the inputs, run every rule, report, exit by verdict.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::exit;
use crate::config::{self, Config};
use crate::error::{Error, Result};
use crate::inputs::{Doc, Inputs, Origins, Part, Registration};
use crate::policy::PolicyKind;
use crate::report::gate::{self, Level};
use crate::report::{self, FailOn, Report};
use crate::{input, rules, snapshot};

/// The registration values, as OpenAI names them. The environment (`EKM_KMS_ARN`,
/// `EKM_ROLE_ARN`, `EKM_EXTERNAL_ID`) is read here rather than by clap, so that every report can
/// say where each value came from; an empty value (flag or variable) counts as unset.
#[derive(Debug, Clone, Default, Args)]
pub struct RegistrationArgs {
    /// The KMS key ARN registered with OpenAI (key, multi-Region key, or alias ARN)
    /// [env: EKM_KMS_ARN]
    #[arg(long, value_name = "ARN")]
    pub kms_arn: Option<String>,
    /// The IAM role ARN OpenAI assumes [env: EKM_ROLE_ARN]
    #[arg(long, value_name = "ARN")]
    pub role_arn: Option<String>,
    /// The ExternalId OpenAI passes: your OpenAI organization id (org-…) or project id (proj_…)
    /// [env: EKM_EXTERNAL_ID]
    #[arg(long, visible_alias = "org-id", value_name = "ID")]
    pub external_id: Option<String>,
}

/// The registration fields: (field, flag, environment variable).
const FIELDS: [(&str, &str, &str); 3] = [
    ("kms_arn", "--kms-arn", "EKM_KMS_ARN"),
    ("role_arn", "--role-arn", "EKM_ROLE_ARN"),
    ("external_id", "--external-id", "EKM_EXTERNAL_ID"),
];

fn non_empty(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.trim().is_empty())
}

fn field(r: &Registration, name: &str) -> Option<String> {
    match name {
        "kms_arn" => r.kms_arn.clone(),
        "role_arn" => r.role_arn.clone(),
        _ => r.external_id.clone(),
    }
}

fn reg_slot<'a>(r: &'a mut Registration, name: &str) -> &'a mut Option<String> {
    match name {
        "kms_arn" => &mut r.kms_arn,
        "role_arn" => &mut r.role_arn,
        _ => &mut r.external_id,
    }
}

fn origin_slot<'a>(o: &'a mut Origins, name: &str) -> &'a mut Option<String> {
    match name {
        "kms_arn" => &mut o.kms_arn,
        "role_arn" => &mut o.role_arn,
        _ => &mut o.external_id,
    }
}

impl RegistrationArgs {
    /// The values from the flags, then the environment.
    pub fn registration(&self) -> Registration {
        self.resolve(None, None).0
    }

    /// Flags, then the environment, then the config file's `[registration]`, then what the
    /// inputs carry (a snapshot's own `registration`), with where each value came from.
    pub fn resolve(
        &self,
        cfg: Option<(&Config, Option<&Path>)>,
        inputs: Option<(&Registration, &str)>,
    ) -> (Registration, Origins) {
        let flags = Registration {
            kms_arn: non_empty(self.kms_arn.clone()),
            role_arn: non_empty(self.role_arn.clone()),
            external_id: non_empty(self.external_id.clone()),
        };
        let mut reg = Registration::default();
        let mut origins = Origins::default();
        for (name, flag, var) in FIELDS {
            let mut candidates: Vec<(Option<String>, String)> = vec![
                (field(&flags, name), format!("flag {flag}")),
                (
                    non_empty(std::env::var(var).ok()),
                    format!("environment {var}"),
                ),
            ];
            if let Some((c, path)) = cfg {
                let label = match path {
                    Some(p) => format!("config file {}", p.display()),
                    None => "config file".to_string(),
                };
                candidates.push((non_empty(field(&c.registration(), name)), label));
            }
            if let Some((r, label)) = inputs {
                candidates.push((non_empty(field(r, name)), label.to_string()));
            }
            if let Some((v, from)) = candidates.into_iter().find_map(|(v, l)| v.map(|v| (v, l))) {
                *reg_slot(&mut reg, name) = Some(v);
                *origin_slot(&mut origins, name) = Some(from);
            }
        }
        (reg, origins)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table, then what failed with its fix (default)
    Table,
    /// ekm-check.report/v1 (scan: ekm-check.scan/v1, one report per target)
    Json,
    /// JUnit XML: one testsuite per target, one testcase per rule
    Junit,
    /// SARIF 2.1.0, e.g. for GitHub code scanning
    Sarif,
    /// JSON Lines: each report compact on one line (scan: streamed as each account completes,
    /// then one line per account and a summary line)
    Jsonl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and NO_COLOR is not set
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Output format; repeat with --output to write several reports from one check
    #[arg(long, value_enum)]
    pub format: Vec<Format>,
    /// Write the report to FILE (the n-th --output goes with the n-th --format); the table still
    /// goes to the terminal when standard output is one
    #[arg(long, value_name = "FILE")]
    pub output: Vec<PathBuf>,
    /// The least severity that fails the run [default: error, or the config file's]
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Treat this rule as an error (repeatable; overrides the config file's [rules])
    #[arg(long, value_name = "ID")]
    pub deny: Vec<String>,
    /// Treat this rule as a warning (repeatable)
    #[arg(long, value_name = "ID")]
    pub warn: Vec<String>,
    /// Report this rule, but never fail on it (repeatable)
    #[arg(long, value_name = "ID")]
    pub allow: Vec<String>,
    /// The configuration file [default: ./ekm-check.toml when it exists]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Colour in the table
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// The JUnit timestamp (RFC 3339), for reproducible reports [default: SOURCE_DATE_EPOCH, else now]
    #[arg(long, value_name = "TIME")]
    pub timestamp: Option<String>,
}

impl OutputArgs {
    /// The levels from the configuration, then from the flags (later wins).
    pub(crate) fn levels(&self, cfg: &Config) -> Result<Vec<(String, Level)>> {
        let mut levels = cfg.levels();
        for (ids, level) in [
            (&self.deny, Level::Deny),
            (&self.warn, Level::Warn),
            (&self.allow, Level::Allow),
        ] {
            for id in ids {
                let rule = rules::find(id)
                    .ok_or_else(|| Error::Usage(format!("no rule {id} (see `ekm-check rules`)")))?;
                levels.push((rule.meta.id.to_string(), level));
            }
        }
        Ok(levels)
    }

    /// Pair formats with outputs: `(format, Some(file))`, or `(format, None)` for standard output.
    pub(crate) fn targets(&self) -> Result<Vec<(Format, Option<PathBuf>)>> {
        if self.output.len() > self.format.len().max(1) {
            return Err(Error::Usage(
                "more --output than --format: give each --output its --format".into(),
            ));
        }
        for (i, o) in self.output.iter().enumerate() {
            if self.output[..i].iter().any(|p| same_file(p, o)) {
                return Err(Error::Usage(format!(
                    "--output {} is given twice: each report needs its own file",
                    o.display()
                )));
            }
        }
        let formats = if self.format.is_empty() {
            vec![Format::Table]
        } else {
            self.format.clone()
        };
        let mut v: Vec<(Format, Option<PathBuf>)> = formats
            .iter()
            .enumerate()
            .map(|(i, f)| (*f, self.output.get(i).cloned()))
            .collect();
        if v.iter().filter(|(_, o)| o.is_none()).count() > 1 {
            return Err(Error::Usage(
                "only one --format can go to standard output: give the others an --output FILE"
                    .into(),
            ));
        }
        // Reports all go to files: the terminal still gets the table.
        if v.iter().all(|(_, o)| o.is_some()) && std::io::stdout().is_terminal() {
            v.push((Format::Table, None));
        }
        Ok(v)
    }
}

/// An endpoint must be an absolute http(s) URL with a host: anything else is a usage error
/// naming the value (the SDK would fail later with a dump of its request).
fn check_endpoint(v: Option<&str>, name: &str) -> Result<()> {
    let Some(v) = v else { return Ok(()) };
    let ok = v
        .parse::<http::Uri>()
        .ok()
        .filter(|u| matches!(u.scheme_str(), Some("http" | "https")))
        .is_some_and(|u| u.host().is_some_and(|h| !h.is_empty()));
    if ok {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "{name} {v:?} is not an endpoint URL: expected http(s)://HOST[:PORT], e.g. http://127.0.0.1:5000"
        )))
    }
}

/// Do two paths name the same file (`r.json`, `./r.json`, a symlink to it)?
fn same_file(a: &Path, b: &Path) -> bool {
    if a == b {
        return true;
    }
    let canon = |p: &Path| {
        let parent = p
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::canonicalize(parent)
            .ok()
            .map(|d| d.join(p.file_name().unwrap_or_default()))
            .map(|f| std::fs::canonicalize(&f).unwrap_or(f))
    };
    matches!((canon(a), canon(b)), (Some(x), Some(y)) if x == y)
}

/// How to reach AWS.
#[derive(Debug, Clone, Args)]
pub struct AwsArgs {
    /// The AWS profile to use (else AWS_PROFILE, else the default chain)
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// The region [default: the region in kms_arn, else the profile's]
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Read the organization's SCPs and RCPs with this profile: the management account's or a
    /// delegated administrator's [default: the checking identity's own credentials]
    #[arg(long, value_name = "NAME", conflicts_with = "org_role_arn")]
    pub org_profile: Option<String>,
    /// Read the organization's SCPs and RCPs by assuming this role (in the management account or
    /// a delegated administrator) with the checking identity's credentials
    #[arg(long, value_name = "ARN")]
    pub org_role_arn: Option<String>,
    #[command(flatten)]
    pub conn: ConnArgs,
}

/// The endpoint, timeouts and retries: the same flags and defaults for `check`, `snapshot` and
/// `scan`.
#[derive(Debug, Clone, Args)]
pub struct ConnArgs {
    /// Send AWS calls to this endpoint, e.g. an emulator (else AWS_ENDPOINT_URL)
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Seconds to wait for a connection to AWS
    #[arg(long, value_name = "SECONDS", default_value_t = 3.0)]
    pub connect_timeout: f64,
    /// Seconds to wait for each AWS response
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub read_timeout: f64,
    /// Attempts per AWS call; throttling, 5xx and timeouts are retried with backoff
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub max_attempts: u32,
}

impl AwsArgs {
    pub fn options(&self) -> Result<crate::aws::AwsOptions> {
        self.conn.options(self.profile.clone(), self.region.clone())
    }

    /// The credentials that read the organization's policies.
    pub async fn org_creds(&self) -> Result<crate::aws::org::OrgCreds> {
        org_creds(
            &self.conn,
            self.org_profile.as_deref(),
            self.org_role_arn.as_deref(),
        )
        .await
    }
}

/// The credentials that read the organization's policies: `--org-role-arn`, else
/// `--org-profile`, else the checking identity's own.
pub async fn org_creds(
    conn: &ConnArgs,
    org_profile: Option<&str>,
    org_role_arn: Option<&str>,
) -> Result<crate::aws::org::OrgCreds> {
    use crate::aws::org::OrgCreds;
    if let Some(arn) = org_role_arn.filter(|a| !a.is_empty()) {
        if !arn.starts_with("arn:") || !arn.contains(":role/") {
            return Err(Error::Usage(format!(
                "--org-role-arn {arn:?} is not a role ARN: expected arn:aws:iam::ACCOUNT:role/NAME"
            )));
        }
        return Ok(OrgCreds::Role(arn.to_string()));
    }
    if let Some(p) = org_profile.filter(|p| !p.is_empty()) {
        let opts = conn.options(Some(p.to_string()), None)?;
        let cfg = crate::aws::sdk_config(&opts, Some("us-east-1")).await;
        // The profile's credentials only: the default chain would take AWS_ACCESS_KEY_ID (the
        // checking identity's) before any profile.
        let provider = aws_config::profile::ProfileFileCredentialsProvider::builder()
            .profile_name(p)
            .build();
        let cfg = cfg
            .to_builder()
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(provider),
            )
            .build();
        return Ok(OrgCreds::Profile(p.to_string(), Box::new(cfg)));
    }
    Ok(OrgCreds::Own)
}

impl ConnArgs {
    /// The options for one profile and region, after checking every value.
    pub fn options(
        &self,
        profile: Option<String>,
        region: Option<String>,
    ) -> Result<crate::aws::AwsOptions> {
        check_endpoint(self.endpoint_url.as_deref(), "--endpoint-url")?;
        if self.endpoint_url.is_none() {
            for var in [
                "AWS_ENDPOINT_URL",
                "AWS_ENDPOINT_URL_KMS",
                "AWS_ENDPOINT_URL_IAM",
                "AWS_ENDPOINT_URL_STS",
                "AWS_ENDPOINT_URL_ORGANIZATIONS",
            ] {
                if let Some(v) = std::env::var(var).ok().filter(|v| !v.is_empty()) {
                    check_endpoint(Some(&v), var)?;
                }
            }
        }
        let secs = |v: f64, flag: &str| {
            if v.is_finite() && v > 0.0 && v <= 3600.0 {
                Ok(std::time::Duration::from_secs_f64(v))
            } else {
                Err(Error::Usage(format!(
                    "{flag} must be between 0 and 3600 seconds"
                )))
            }
        };
        if self.max_attempts == 0 || self.max_attempts > 20 {
            return Err(Error::Usage(
                "--max-attempts must be between 1 and 20".into(),
            ));
        }
        Ok(crate::aws::AwsOptions {
            profile,
            region,
            endpoint_url: self.endpoint_url.clone(),
            connect_timeout: Some(secs(self.connect_timeout, "--connect-timeout")?),
            read_timeout: Some(secs(self.read_timeout, "--read-timeout")?),
            max_attempts: Some(self.max_attempts),
        })
    }
}

/// `--evidence`: read CloudTrail's event history for OpenAI's calls (EKM701, EKM702).
#[derive(Debug, Clone, Args)]
pub struct EvidenceArgs {
    /// Also read CloudTrail's event history (cloudtrail:LookupEvents, read-only) for OpenAI's
    /// AssumeRole on the role and Encrypt/Decrypt on the key (EKM701, EKM702)
    #[arg(long)]
    pub evidence: bool,
    /// The window --evidence reads: a duration back from now (7d, 36h, 90m) or a time
    /// (RFC 3339); at most 90 days, what the event history keeps
    #[arg(long, value_name = "WHEN", default_value = "7d", requires = "evidence")]
    pub since: String,
    /// Events read at most per lookup (newest first); beyond it EKM701/EKM702 say what they
    /// could not see
    #[arg(long, value_name = "N", default_value_t = crate::aws::evidence::DEFAULT_MAX_EVENTS, requires = "evidence")]
    pub evidence_max_events: usize,
}

impl EvidenceArgs {
    /// The window, when `--evidence` was given.
    pub fn window(&self) -> Result<Option<crate::aws::evidence::Window>> {
        if !self.evidence {
            return Ok(None);
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        crate::aws::evidence::Window::parse(&self.since, self.evidence_max_events, now)
            .map(Some)
            .map_err(Error::Usage)
    }
}

#[derive(Debug, Args)]
#[command(after_help = "\
Examples (variables keep each line short enough to paste from any terminal):
  kms=arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab
  role=arn:aws:iam::111122223333:role/openai-ekm
  xid=org-AbCdEf0123456789GhIjKlMn
  ekm-check check --kms-arn \"$kms\" \\
    --role-arn \"$role\" --external-id \"$xid\" --live
  ekm-check check \\
    --snapshot fixtures/ok-baseline/snapshot.json
  ekm-check check --snapshot snap.json \\
    --format json --output report.json \\
    --fail-on warning
  ekm-check check --kms-arn \"$kms\" \\
    --role-arn \"$role\" --external-id \"$xid\" \\
    --evidence --since 7d

Registration values come from the flags, then EKM_KMS_ARN / EKM_ROLE_ARN / \
EKM_EXTERNAL_ID (an empty variable counts as unset), then ekm-check.toml's \
[registration], then the snapshot's own \"registration\"; every report says which.
Verdict: ready, not-ready, or incomplete (rules that decide OpenAI's path were not \
checked). Exit codes: 0 nothing at or above --fail-on failed or was undecided, 1 the \
opposite, 2 usage error or unreadable input. --fail-on sets the exit code, never the \
verdict.")]
pub struct CheckArgs {
    /// Check a saved snapshot (ekm-check.snapshot/v1) instead of reading AWS
    #[arg(long, value_name = "FILE", conflicts_with_all = ["live", "profile", "endpoint_url", "org_profile", "org_role_arn", "evidence"])]
    pub snapshot: Option<PathBuf>,
    #[command(flatten)]
    pub evidence: EvidenceArgs,
    /// Also do what OpenAI does: assume the role with the ExternalId, encrypt and decrypt as it,
    /// and check that the role refuses a missing or wrong ExternalId (EKM501–EKM503)
    #[arg(long)]
    pub live: bool,
    #[command(flatten)]
    pub aws: AwsArgs,
    #[command(flatten)]
    pub registration: RegistrationArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Lint checks policy documents before they exist in AWS. Without --key-policy the \
permissions are evaluated against AWS's default key policy (the key account's root \
may use kms:*), and each finding that depends on it says so. Rules that need the \
key's metadata or the live account are skipped, with the reason, and the verdict is \
then incomplete (exit 0) unless something failed.

Example (variables keep each line short enough to paste from any terminal):
  kms=arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab
  role=arn:aws:iam::111122223333:role/openai-ekm
  xid=org-AbCdEf0123456789GhIjKlMn
  ekm-check lint --trust-policy trust.json \\
    --permissions kms-policy.json \\
    --kms-arn \"$kms\" --role-arn \"$role\" \\
    --external-id \"$xid\"
  ekm-check lint --cloudformation template.yaml \\
    --account 111122223333 --region us-east-1 \\
    --parameter Env=prod --format sarif \\
    --output ekm.sarif
  ekm-check lint --terraform infra/ \\
    --var-file prod.tfvars \\
    --account 111122223333 --region us-east-1
  terraform plan -out=tfplan
  terraform show -json tfplan > plan.json
  ekm-check lint --terraform-plan plan.json \\
    --format sarif --output ekm.sarif

With --cloudformation, --terraform or --terraform-plan, every role of the IaC that \
trusts OpenAI's principal (or the one --role LOGICAL_ID_OR_ADDRESS names) is checked \
with the key its policies name, one report per target (--format json: \
ekm-check.scan/v1). A new key's ARN is symbolic, built from --account and --region \
(a plan's own data.aws_caller_identity and provider region serve too); without them \
it stays unknown. What the IaC leaves to deployment (Fn::ImportValue, a parameter or \
variable without a value, NoEcho and sensitive values, a remote module, a data \
source that needs AWS, a plan's values known only after apply) makes the rules that \
need it unknown, naming the resource, attribute and line. No role that trusts \
OpenAI: exit 1. See docs/iac.md.")]
pub struct LintArgs {
    /// The role's trust policy (step 3 of OpenAI's instructions)
    #[arg(long, value_name = "FILE")]
    pub trust_policy: Option<PathBuf>,
    /// A permissions policy of the role (step 2; repeatable)
    #[arg(long, value_name = "FILE")]
    pub permissions: Vec<PathBuf>,
    /// The key policy
    #[arg(long, value_name = "FILE")]
    pub key_policy: Option<PathBuf>,
    /// The role's permissions boundary
    #[arg(long, value_name = "FILE")]
    pub boundary: Option<PathBuf>,
    /// One organization level of SCPs above the role's account, root first (repeatable;
    /// comma-separate the files attached at one level)
    #[arg(long, value_name = "FILE[,FILE…]")]
    pub scp: Vec<String>,
    /// One organization level of RCPs above the role's account, root first (repeatable;
    /// comma-separate the files attached at one level)
    #[arg(long, value_name = "FILE[,FILE…]")]
    pub rcp: Vec<String>,
    /// The organization's id (o-…), which the role session's aws:PrincipalOrgID carries;
    /// without it, perimeter conditions on it are unknown
    #[arg(long, value_name = "ID")]
    pub organization_id: Option<String>,
    #[command(flatten)]
    pub iac: super::iac::IacArgs,
    #[command(flatten)]
    pub registration: RegistrationArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Reads the key and the role with read-only calls (Describe/Get/List) and writes \
everything the rules read (ekm-check.snapshot/v1, see docs/snapshot.md), so that \
`ekm-check check --snapshot FILE` repeats the check offline.

Example (variables keep each line short enough to paste from any terminal):
  kms=arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab
  role=arn:aws:iam::111122223333:role/openai-ekm
  ekm-check snapshot --kms-arn \"$kms\" \\
    --role-arn \"$role\" \\
    --external-id org-AbCdEf0123456789GhIjKlMn \\
    --output ekm-snapshot.json")]
pub struct SnapshotArgs {
    #[command(flatten)]
    pub registration: RegistrationArgs,
    #[command(flatten)]
    pub evidence: EvidenceArgs,
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Write the snapshot to FILE instead of standard output
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The configuration file [default: ./ekm-check.toml when it exists]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// What was read from the account.
struct AwsRead {
    snapshot: serde_json::Value,
    /// `(account, arn)` of the checking identity.
    caller: Option<(String, String)>,
    live: Option<crate::inputs::Live>,
}

/// Read the account: the snapshot, the caller, and the live results when asked.
fn read_aws(
    reg: &Registration,
    aws: &AwsArgs,
    live: bool,
    evidence: Option<&crate::aws::evidence::Window>,
) -> Result<AwsRead> {
    let missing: Vec<&str> = [
        ("--kms-arn", reg.kms_arn.is_none()),
        ("--role-arn", reg.role_arn.is_none()),
    ]
    .iter()
    .filter(|(_, m)| *m)
    .map(|(f, _)| *f)
    .collect();
    if !missing.is_empty() {
        return Err(Error::Usage(format!(
            "reading AWS needs {} (or EKM_KMS_ARN / EKM_ROLE_ARN, or ekm-check.toml); to check a saved snapshot, give --snapshot FILE",
            missing.join(" and ")
        )));
    }
    let opts = aws.options()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Write)?;
    // A kms_arn that is no KMS ARN (a bare key id, an alias name, garbage) is EKM001's to
    // report: the key is not read, the role still is, and the report runs.
    let bad_kms_arn = reg
        .kms_arn
        .as_deref()
        .filter(|k| crate::rules::support_inputs::parse_kms_arn(k).is_err());
    let mut to_read = reg.clone();
    if bad_kms_arn.is_some() {
        to_read.kms_arn = None;
    }
    rt.block_on(async {
        let region = to_read.kms_arn.as_deref().and_then(crate::aws::region_of);
        let cfg = crate::aws::sdk_config(&opts, region).await;
        let org = aws.org_creds().await?;
        let org_cache = crate::aws::org::OrgCache::default();
        let mut loaded =
            crate::aws::loader::load(&cfg, &to_read, &now_utc(), &org, &org_cache).await;
        if let Some(k) = bad_kms_arn {
            if let Some(snap) = loaded.snapshot.as_object_mut() {
                snap.remove("key");
                let errors = snap
                    .entry("errors")
                    .or_insert_with(|| serde_json::json!({}));
                if let Some(e) = errors.as_object_mut() {
                    e.insert(
                        "key".into(),
                        format!(
                            "not read: kms_arn {k:?} is not a KMS key or alias ARN (see EKM001)"
                        )
                        .into(),
                    );
                }
                if let Some(r) = snap.get_mut("registration").and_then(|r| r.as_object_mut()) {
                    r.insert("kms_arn".into(), k.into());
                }
            }
        }
        if let Some(why) = loaded.no_access {
            return Err(Error::NoAccess(why));
        }
        if let Some(w) = evidence {
            let cache = crate::aws::evidence::Cache::default();
            crate::aws::evidence::attach(&cfg, &mut loaded.snapshot, w, &cache).await;
        }
        let live = if live {
            Some(
                crate::aws::live::run(&cfg, reg, loaded.caller.as_ref().map(|c| c.1.clone())).await,
            )
        } else {
            None
        };
        Ok(AwsRead {
            snapshot: loaded.snapshot,
            caller: loaded.caller,
            live,
        })
    })
}

/// The current time, ISO 8601 UTC.
pub(crate) fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

pub fn run_snapshot(a: &SnapshotArgs, out: &mut dyn Write, _err: &mut dyn Write) -> Result<u8> {
    let (cfg, cfg_path) = config::load(a.config.as_deref())?;
    let (reg, _) = a
        .registration
        .resolve(Some((&cfg, cfg_path.as_deref())), None);
    let read = read_aws(&reg, &a.aws, false, a.evidence.window()?.as_ref())?;
    let mut text = serde_json::to_string_pretty(&read.snapshot).unwrap_or_default();
    text.push('\n');
    match &a.output {
        Some(p) => write_file(p, &text)?,
        None => out.write_all(text.as_bytes())?,
    }
    Ok(exit::OK)
}

/// Write a report or snapshot file; the error names the file once.
pub(crate) fn write_file(p: &Path, text: &str) -> Result<()> {
    std::fs::write(p, text).map_err(|source| Error::WriteFile {
        path: p.to_path_buf(),
        io: source,
    })
}

pub fn run_check(a: &CheckArgs, out: &mut dyn Write, _err: &mut dyn Write) -> Result<u8> {
    let (cfg, cfg_path) = config::load(a.output.config.as_deref())?;
    if a.snapshot.is_none() {
        // Validate the output flags before any AWS call.
        a.output.targets()?;
    }
    let window = a.evidence.window()?;
    let (inputs, origins, source) = check_inputs(
        a.snapshot.as_deref(),
        &a.registration,
        &a.aws,
        a.live,
        window.as_ref(),
        Some((&cfg, cfg_path.as_deref())),
    )?;
    finish(inputs, origins, Vec::new(), source, &a.output, &cfg, out)
}

/// What `check` (and `diagnose`) run the rules on: the snapshot file, else the live account,
/// with the registration resolved and where each value came from, and a label for the source.
pub(crate) fn check_inputs(
    snapshot: Option<&Path>,
    registration: &RegistrationArgs,
    aws: &AwsArgs,
    live: bool,
    evidence: Option<&crate::aws::evidence::Window>,
    cfg_src: Option<(&Config, Option<&Path>)>,
) -> Result<(Inputs, Origins, String)> {
    let Some(path) = snapshot else {
        let (reg, origins) = registration.resolve(cfg_src, None);
        let read = read_aws(&reg, aws, live, evidence)?;
        let mut inputs = snapshot::from_aws(&read.snapshot)?;
        inputs.registration = reg;
        inputs.live = read.live;
        let source = match read.caller {
            Some((account, arn)) => format!("AWS account {account} as {arn}"),
            None => "AWS".to_string(),
        };
        return Ok((inputs, origins, source));
    };
    let node = input::read_json(path)?;
    let name = path.display().to_string();
    let mut inputs = snapshot::to_inputs(&node, &name)?;
    let label = format!("snapshot {name}");
    let (reg, origins) =
        registration.resolve(cfg_src, Some((&inputs.registration, label.as_str())));
    inputs.registration = reg;
    Ok((inputs, origins, label))
}

pub fn run_lint(a: &LintArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8> {
    if a.iac.any() {
        return super::iac::run(a, out, err);
    }
    a.iac.only_with_iac()?;
    let (cfg, cfg_path) = config::load(a.output.config.as_deref())?;
    if a.trust_policy.is_none()
        && a.permissions.is_empty()
        && a.key_policy.is_none()
        && a.boundary.is_none()
        && a.scp.is_empty()
        && a.rcp.is_empty()
    {
        return Err(Error::Usage(
            "lint needs at least one document: --trust-policy, --permissions, --key-policy, --boundary, --scp or --rcp".into(),
        ));
    }
    let mut inputs = Inputs::empty("lint reads policy files only");
    inputs.lint = true;
    let load = |p: &Path, kind: PolicyKind| -> Result<Doc> {
        Ok(Doc::from_bytes(
            &input::read_bytes(p)?,
            kind,
            &p.display().to_string(),
        ))
    };
    if let Some(p) = &a.trust_policy {
        inputs.trust_policy = Part::Present(load(p, PolicyKind::Trust)?);
    }
    if !a.permissions.is_empty() {
        let docs = a
            .permissions
            .iter()
            .map(|p| load(p, PolicyKind::Identity))
            .collect::<Result<Vec<_>>>()?;
        inputs.inline_policies = Part::Present(docs);
    }
    if let Some(p) = &a.key_policy {
        inputs.key_policy = Part::Present(load(p, PolicyKind::Resource)?);
    }
    if let Some(p) = &a.boundary {
        inputs.boundary = Part::Present(Some(load(p, PolicyKind::Boundary)?));
    }
    let (reg, origins) = a
        .registration
        .resolve(Some((&cfg, cfg_path.as_deref())), None);
    inputs.registration = reg;
    let mut assumed = Vec::new();
    // Without --key-policy, the key keeps AWS's default key policy (OpenAI's instructions keep
    // it): evaluate the role's permissions against it, and say so.
    if a.key_policy.is_none() && (!a.permissions.is_empty() || a.boundary.is_some()) {
        if let Some(d) = crate::inputs::default_key_policy(inputs.registration.kms_arn.as_deref()) {
            assumed.push(
                "the key policy is AWS's default key policy (the key account's root may use kms:*, which lets the account's IAM policies grant access); give --key-policy FILE to check yours".to_string(),
            );
            inputs.key_policy = Part::Present(d);
            inputs.key_policy_assumed = true;
        }
    }
    if !a.scp.is_empty() || !a.rcp.is_empty() {
        let levels = |flags: &[String], kind: PolicyKind| -> Result<Vec<Vec<Doc>>> {
            flags
                .iter()
                .map(|level| {
                    let docs = level
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(|p| load(Path::new(p), kind))
                        .collect::<Result<Vec<_>>>()?;
                    if docs.is_empty() {
                        return Err(Error::Usage(format!(
                            "--{}: a level needs at least one policy file",
                            if kind == PolicyKind::Scp {
                                "scp"
                            } else {
                                "rcp"
                            }
                        )));
                    }
                    Ok(docs)
                })
                .collect()
        };
        let scps = levels(&a.scp, PolicyKind::Scp)?;
        let rcps = levels(&a.rcp, PolicyKind::Rcp)?;
        let account = |arn: Option<&str>| {
            arn.and_then(crate::policy::pattern::arn_parts)
                .map(|p| p[4].to_string())
                .filter(|a| a.len() == 12)
        };
        let role_account = account(inputs.registration.role_arn.as_deref());
        let key_account = account(inputs.registration.kms_arn.as_deref());
        let mut accounts: Vec<String> = role_account.iter().cloned().collect();
        if key_account.is_some() && key_account == role_account {
            assumed
                .push("the key is in the role's account, under the same --scp/--rcp levels".into());
        }
        if role_account.is_some() {
            assumed.push(
                "the account is a member account (not the management account) of the organization whose --scp/--rcp levels were given"
                    .into(),
            );
        }
        if accounts.is_empty() {
            accounts.push(String::new());
        }
        inputs.organization = Part::Present(crate::inputs::Organization::from_lint(
            a.organization_id.clone(),
            &accounts,
            scps,
            rcps,
            &mut assumed,
        ));
    }
    if a.boundary.is_none() && !a.permissions.is_empty() {
        inputs.boundary = Part::Present(None);
        assumed.push(
            "the role has no permissions boundary (give --boundary FILE if it will have one)"
                .to_string(),
        );
    }
    finish(
        inputs,
        origins,
        assumed,
        "lint".into(),
        &a.output,
        &cfg,
        out,
    )
}

pub(crate) fn finish(
    inputs: Inputs,
    origins: Origins,
    assumed: Vec<String>,
    source: String,
    o: &OutputArgs,
    cfg: &Config,
    out: &mut dyn Write,
) -> Result<u8> {
    let targets = o.targets()?;
    let report = build_report(inputs, origins, assumed, source, o, cfg)?;
    write_reports(std::slice::from_ref(&report), o, &targets, None, out)?;
    Ok(if report.passes() {
        exit::OK
    } else {
        exit::FAIL
    })
}

/// Run every rule on the inputs and apply the levels and ignores: one target's report.
pub(crate) fn build_report(
    inputs: Inputs,
    origins: Origins,
    assumed: Vec<String>,
    source: String,
    o: &OutputArgs,
    cfg: &Config,
) -> Result<Report> {
    let levels = o.levels(cfg)?;
    let mut findings = rules::run_all(&inputs);
    let ids: Vec<&str> = [
        inputs.registration.role_arn.as_deref(),
        inputs.registration.kms_arn.as_deref(),
        inputs.key.get().and_then(|k| k.str("Arn")),
    ]
    .into_iter()
    .flatten()
    .collect();
    let notes = gate::apply(&mut findings, &levels, &cfg.ignores(), &ids, &today());
    let report = Report {
        registration: inputs.registration.clone(),
        source,
        findings,
        fail_on: o.fail_on.or(cfg.check.fail_on).unwrap_or(FailOn::Error),
        notes,
        fixed: Vec::new(),
        assumed,
        origins,
        reads: None,
    };
    Ok(report)
}

/// What a target says when its ExternalId was taken from its own trust policy (`scan`, IaC
/// targets) because none was given.
pub(crate) fn external_id_from_trust_note(trust_external_id: Option<&str>) -> String {
    match trust_external_id {
        Some(x) => {
            format!("no --external-id given: checked against the trust policy's own ExternalId {x}")
        }
        None => "no --external-id given, and the trust policy requires none".to_string(),
    }
}

/// Today, `YYYY-MM-DD` (UTC).
pub(crate) fn today() -> String {
    now_utc().get(..10).unwrap_or_default().to_string()
}

/// The JUnit timestamp: `--timestamp`, else `SOURCE_DATE_EPOCH`, else now.
fn junit_time(o: &OutputArgs) -> Result<junit_report::OffsetDateTime> {
    use time::format_description::well_known::Rfc3339;
    if let Some(t) = &o.timestamp {
        return junit_report::OffsetDateTime::parse(t, &Rfc3339).map_err(|_| {
            Error::Usage(format!(
                "--timestamp {t}: expected RFC 3339, e.g. 2026-11-28T20:00:00Z"
            ))
        });
    }
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        });
    junit_report::OffsetDateTime::from_unix_timestamp(secs)
        .map_err(|_| Error::Usage("SOURCE_DATE_EPOCH is out of range".into()))
}

/// Write every requested format (one check, many reports).
pub fn write_reports(
    reports: &[Report],
    o: &OutputArgs,
    targets: &[(Format, Option<PathBuf>)],
    scan: Option<&[report::accounts::AccountEntry]>,
    out: &mut dyn Write,
) -> Result<()> {
    for (format, file) in targets {
        let to_terminal = file.is_none() && std::io::stdout().is_terminal();
        let text = match (format, scan) {
            (Format::Json, None) if reports.len() == 1 => report::json::render(&reports[0]),
            (Format::Json, accounts) => {
                report::json::render_scan(reports, accounts.unwrap_or_default())
            }
            (Format::Jsonl, None) => reports.iter().map(report::json::line).collect(),
            (Format::Jsonl, Some(accounts)) => report::json::render_scan_lines(reports, accounts),
            (Format::Table, None) if reports.len() == 1 => report::table::render(
                &reports[0],
                color_enabled(o.color, to_terminal),
                report::table::width_for(to_terminal),
            ),
            (Format::Table, accounts) => report::table::render_scan(
                reports,
                accounts.unwrap_or_default(),
                color_enabled(o.color, to_terminal),
                report::table::width_for(to_terminal),
            ),
            (Format::Junit, accounts) => {
                report::junit::render_scan(reports, accounts.unwrap_or_default(), junit_time(o)?)
            }
            (Format::Sarif, accounts) => {
                report::sarif::render_scan(reports, accounts.unwrap_or_default())
            }
        };
        match file {
            Some(p) => write_file(p, &text)?,
            None => out.write_all(text.as_bytes())?,
        }
    }
    Ok(())
}

/// Is colour wanted on this stream?
pub fn color_enabled(choice: ColorChoice, to_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}
