//! `check` and `lint`: build the inputs, run every rule, report, exit by verdict.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::exit;
use crate::config::{self, Config};
use crate::error::{Error, Result};
use crate::inputs::{Doc, Inputs, Part, Registration};
use crate::policy::PolicyKind;
use crate::report::gate::{self, Level};
use crate::report::{self, FailOn, Report};
use crate::{input, rules, snapshot};

/// The registration values, as OpenAI names them.
#[derive(Debug, Clone, Default, Args)]
pub struct RegistrationArgs {
    /// The KMS key ARN registered with OpenAI (key, multi-Region key, or alias ARN)
    #[arg(long, env = "EKM_KMS_ARN", value_name = "ARN")]
    pub kms_arn: Option<String>,
    /// The IAM role ARN OpenAI assumes
    #[arg(long, env = "EKM_ROLE_ARN", value_name = "ARN")]
    pub role_arn: Option<String>,
    /// The ExternalId OpenAI passes: your OpenAI organization id (org-…) or project id (proj_…)
    #[arg(
        long,
        visible_alias = "org-id",
        env = "EKM_EXTERNAL_ID",
        value_name = "ID"
    )]
    pub external_id: Option<String>,
}

impl RegistrationArgs {
    pub fn registration(&self) -> Registration {
        Registration {
            kms_arn: self.kms_arn.clone(),
            role_arn: self.role_arn.clone(),
            external_id: self.external_id.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table, then what failed with its fix (default)
    Table,
    /// ekm-check.report/v1
    Json,
    /// JUnit XML: one testsuite per target, one testcase per rule
    Junit,
    /// SARIF 2.1.0, e.g. for GitHub code scanning
    Sarif,
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

/// How to reach AWS.
#[derive(Debug, Clone, Args)]
pub struct AwsArgs {
    /// The AWS profile to use (else AWS_PROFILE, else the default chain)
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// The region [default: the region in kms_arn, else the profile's]
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
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
            profile: self.profile.clone(),
            region: self.region.clone(),
            endpoint_url: self.endpoint_url.clone(),
            connect_timeout: Some(secs(self.connect_timeout, "--connect-timeout")?),
            read_timeout: Some(secs(self.read_timeout, "--read-timeout")?),
            max_attempts: Some(self.max_attempts),
        })
    }
}

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  ekm-check check --kms-arn arn:aws:kms:us-east-1:111122223333:key/… \\
      --role-arn arn:aws:iam::111122223333:role/openai-ekm --external-id org-… [--live]
  ekm-check check --snapshot fixtures/ok-baseline/snapshot.json
  ekm-check check --snapshot snap.json --format json --output report.json --fail-on warning

Registration values come from the flags, then EKM_KMS_ARN / EKM_ROLE_ARN / EKM_EXTERNAL_ID,
then ekm-check.toml's [registration], then the snapshot's own \"registration\".
Exit codes: 0 ready, 1 not ready (a rule at or above --fail-on failed or could not be decided),
2 usage error or unreadable input.")]
pub struct CheckArgs {
    /// Check a saved snapshot (ekm-check.snapshot/v1) instead of reading AWS
    #[arg(long, value_name = "FILE", conflicts_with_all = ["live", "profile", "endpoint_url"])]
    pub snapshot: Option<PathBuf>,
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
Lint checks policy documents before they exist in AWS. Rules that need the key's metadata or
the live account are skipped, with the reason.

Example:
  ekm-check lint --trust-policy trust.json --permissions kms-policy.json \\
      --role-arn arn:aws:iam::111122223333:role/openai-ekm --external-id org-… \\
      --kms-arn arn:aws:kms:us-east-1:111122223333:key/…")]
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
    #[command(flatten)]
    pub registration: RegistrationArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Reads the key and the role with read-only calls (Describe/Get/List) and writes everything the
rules read, so that `ekm-check check --snapshot FILE` repeats the check offline.

Example:
  ekm-check snapshot --kms-arn … --role-arn … --external-id org-… --output ekm-snapshot.json")]
pub struct SnapshotArgs {
    #[command(flatten)]
    pub registration: RegistrationArgs,
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
fn read_aws(reg: &Registration, aws: &AwsArgs, live: bool) -> Result<AwsRead> {
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
    rt.block_on(async {
        let region = reg.kms_arn.as_deref().and_then(crate::aws::region_of);
        let cfg = crate::aws::sdk_config(&opts, region).await;
        let loaded = crate::aws::loader::load(&cfg, reg, &now_utc()).await;
        if let Some(why) = loaded.no_access {
            return Err(Error::NoAccess(why));
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
    let (cfg, _) = config::load(a.config.as_deref())?;
    let reg = a.registration.registration().or(&cfg.registration());
    let read = read_aws(&reg, &a.aws, false)?;
    let mut text = serde_json::to_string_pretty(&read.snapshot).unwrap_or_default();
    text.push('\n');
    match &a.output {
        Some(p) => std::fs::write(p, text).map_err(|source| Error::Read {
            path: p.clone(),
            io: source,
        })?,
        None => out.write_all(text.as_bytes())?,
    }
    Ok(exit::OK)
}

pub fn run_check(a: &CheckArgs, out: &mut dyn Write, _err: &mut dyn Write) -> Result<u8> {
    let (cfg, _) = config::load(a.output.config.as_deref())?;
    let Some(path) = &a.snapshot else {
        let reg = a.registration.registration().or(&cfg.registration());
        let read = read_aws(&reg, &a.aws, a.live)?;
        let mut inputs = snapshot::from_aws(&read.snapshot)?;
        inputs.registration = reg;
        inputs.live = read.live;
        let source = match read.caller {
            Some((account, arn)) => format!("AWS account {account} as {arn}"),
            None => "AWS".to_string(),
        };
        return finish(inputs, source, &a.output, &cfg, out);
    };
    let node = input::read_json(path)?;
    let name = path.display().to_string();
    let mut inputs = snapshot::to_inputs(&node, &name)?;
    inputs.registration = registration(&a.registration, &cfg, &inputs.registration);
    finish(inputs, format!("snapshot {name}"), &a.output, &cfg, out)
}

pub fn run_lint(a: &LintArgs, out: &mut dyn Write, _err: &mut dyn Write) -> Result<u8> {
    let (cfg, _) = config::load(a.output.config.as_deref())?;
    if a.trust_policy.is_none()
        && a.permissions.is_empty()
        && a.key_policy.is_none()
        && a.boundary.is_none()
    {
        return Err(Error::Usage(
            "lint needs at least one document: --trust-policy, --permissions, --key-policy or --boundary".into(),
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
    inputs.registration = registration(&a.registration, &cfg, &Registration::default());
    finish(inputs, "lint".into(), &a.output, &cfg, out)
}

/// Flags and environment, then the config file, then what the inputs carry.
fn registration(flags: &RegistrationArgs, cfg: &Config, inputs: &Registration) -> Registration {
    flags.registration().or(&cfg.registration()).or(inputs)
}

pub(crate) fn finish(
    inputs: Inputs,
    source: String,
    o: &OutputArgs,
    cfg: &Config,
    out: &mut dyn Write,
) -> Result<u8> {
    let levels = o.levels(cfg)?;
    let targets = o.targets()?;
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
    };
    write_reports(
        std::slice::from_ref(&report),
        o,
        &targets,
        &serde_json::Value::Null,
        out,
    )?;
    Ok(if report.ready() { exit::OK } else { exit::FAIL })
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
    discovery: &serde_json::Value,
    out: &mut dyn Write,
) -> Result<()> {
    for (format, file) in targets {
        let to_terminal = file.is_none() && std::io::stdout().is_terminal();
        let text = match format {
            Format::Json if discovery.is_null() && reports.len() == 1 => {
                report::json::render(&reports[0])
            }
            Format::Json => report::json::render_scan(reports, discovery),
            Format::Table if discovery.is_null() && reports.len() == 1 => report::table::render(
                &reports[0],
                color_enabled(o.color, to_terminal),
                report::table::width_for(to_terminal),
            ),
            Format::Table => report::table::render_scan(
                reports,
                discovery,
                color_enabled(o.color, to_terminal),
                report::table::width_for(to_terminal),
            ),
            Format::Junit => report::junit::render(reports, junit_time(o)?),
            Format::Sarif => report::sarif::render(reports),
        };
        match file {
            Some(p) => std::fs::write(p, text).map_err(|source| Error::Read {
                path: p.clone(),
                io: source,
            })?,
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
