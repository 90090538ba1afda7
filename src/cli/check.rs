//! `check` and `lint`: build the inputs, run every rule, report, exit by verdict.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::exit;
use crate::config::{self, Config};
use crate::error::{Error, Result};
use crate::inputs::{Doc, Inputs, Part, Registration};
use crate::policy::PolicyKind;
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
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report to FILE instead of standard output
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The least severity that fails the run [default: error, or the config file's]
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// The configuration file [default: ./ekm-check.toml when it exists]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Colour in the table
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  ekm-check check --snapshot fixtures/ok-baseline/snapshot.json
  ekm-check check --snapshot snap.json --format json --output report.json --fail-on warning

Registration values come from the flags, then EKM_KMS_ARN / EKM_ROLE_ARN / EKM_EXTERNAL_ID,
then ekm-check.toml's [registration], then the snapshot's own \"registration\".
Exit codes: 0 ready, 1 not ready (a rule at or above --fail-on failed or could not be decided),
2 usage error or unreadable input.")]
pub struct CheckArgs {
    /// Check a saved snapshot (ekm-check.snapshot/v1) instead of reading AWS
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
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

pub fn run_check(a: &CheckArgs, out: &mut dyn Write, _err: &mut dyn Write) -> Result<u8> {
    let (cfg, _) = config::load(a.output.config.as_deref())?;
    let Some(path) = &a.snapshot else {
        return Err(Error::Usage(
            "reading the AWS account directly is not available in this build yet: \
             save a snapshot and pass --snapshot FILE"
                .into(),
        ));
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

fn finish(
    inputs: Inputs,
    source: String,
    o: &OutputArgs,
    cfg: &Config,
    out: &mut dyn Write,
) -> Result<u8> {
    let findings = rules::run_all(&inputs);
    let report = Report {
        registration: inputs.registration.clone(),
        source,
        findings,
        fail_on: o.fail_on.or(cfg.check.fail_on).unwrap_or(FailOn::Error),
    };
    write_report(&report, o, out)?;
    Ok(if report.ready() { exit::OK } else { exit::FAIL })
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

fn write_report(r: &Report, o: &OutputArgs, out: &mut dyn Write) -> Result<()> {
    let to_terminal = o.output.is_none() && std::io::stdout().is_terminal();
    let text = match o.format {
        Format::Json => report::json::render(r),
        Format::Table => report::table::render(r, color_enabled(o.color, to_terminal)),
    };
    match &o.output {
        Some(p) => std::fs::write(p, text).map_err(|source| Error::Read {
            path: p.clone(),
            source,
        })?,
        None => out.write_all(text.as_bytes())?,
    }
    Ok(())
}
