//! `init`: the correct documents for OpenAI's three setup steps, and the registration payload.

use std::io::Write;

use clap::Args;
use serde_json::json;

use super::check::RegistrationArgs;
use super::exit;
use crate::config;
use crate::error::{Error, Result};
use crate::inputs::Inputs;
use crate::rules::{self, Status, fixes};

#[derive(Debug, Args)]
#[command(after_help = "\
Example:
  ekm-check init --kms-arn arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab \\
      --role-arn arn:aws:iam::111122223333:role/openai-ekm --external-id org-AbCdEf0123456789GhIjKlMn")]
pub struct InitArgs {
    #[command(flatten)]
    pub registration: RegistrationArgs,
    /// The configuration file [default: ./ekm-check.toml when it exists]
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// Print instead the minimal read-only IAM policy for the identity that runs ekm-check
    #[arg(long)]
    pub checker_policy: bool,
}

pub fn run(a: &InitArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8> {
    let (cfg, _) = config::load(a.config.as_deref())?;
    let reg = a.registration.registration().or(&cfg.registration());
    if a.checker_policy {
        writeln!(out, "{}", fixes::pretty(&fixes::checker_policy(&reg)))?;
        return Ok(exit::OK);
    }
    let missing: Vec<&str> = [
        ("--kms-arn", reg.kms_arn.is_none()),
        ("--role-arn", reg.role_arn.is_none()),
        ("--external-id", reg.external_id.is_none()),
    ]
    .iter()
    .filter(|(_, m)| *m)
    .map(|(f, _)| *f)
    .collect();
    if !missing.is_empty() {
        return Err(Error::Usage(format!("init needs {}", missing.join(", "))));
    }
    // The values must be right before we print documents built from them.
    let mut inputs = Inputs::empty("init");
    inputs.registration = reg.clone();
    let bad: Vec<String> = rules::run_all(&inputs)
        .into_iter()
        .filter(|f| {
            f.rule.family == rules::Family::Inputs
                && f.status == Status::Fail
                && f.severity == rules::Severity::Error
        })
        .map(|f| format!("{} {}: {}", f.rule.id, f.rule.slug, f.message))
        .collect();
    if !bad.is_empty() {
        for b in &bad {
            writeln!(err, "error: {b}")?;
        }
        return Err(Error::Usage("fix the values above first".into()));
    }
    let kms = reg.kms_arn.as_deref().unwrap_or_default();
    let role = reg.role_arn.as_deref().unwrap_or_default();
    let xid = reg.external_id.as_deref().unwrap_or_default();
    let role_name = role.rsplit('/').next().unwrap_or_default();
    let key_arn_for_policy = if kms.contains(":alias/") {
        writeln!(
            err,
            "warning: kms_arn is an alias ARN: an alias in an IAM policy's Resource grants nothing on the key (EKM304). \
             The permissions policy below needs the key ARN the alias points to: `aws kms describe-key --key-id {kms}`"
        )?;
        "arn:aws:kms:REGION:ACCOUNT:key/KEY_ID_THE_ALIAS_POINTS_TO".to_string()
    } else {
        kms.to_string()
    };
    let p = |v: &serde_json::Value| fixes::pretty(v);
    writeln!(
        out,
        "# Step 2: the permissions policy (save as ekm-kms-policy.json)"
    )?;
    writeln!(out, "{}\n", p(&fixes::identity_policy(&key_arn_for_policy)))?;
    writeln!(
        out,
        "# Step 3: the role's trust policy (save as ekm-trust-policy.json)"
    )?;
    writeln!(out, "{}\n", p(&fixes::trust_policy(xid)))?;
    writeln!(
        out,
        "# The key policy must let the role use the key: keep the default statement that"
    )?;
    writeln!(
        out,
        "# delegates to the account (\"Enable IAM User Permissions\"), or add this statement:"
    )?;
    writeln!(out, "{}\n", p(&fixes::key_policy_statement(role)))?;
    writeln!(out, "# Apply them with the AWS CLI:")?;
    writeln!(
        out,
        "aws iam create-policy --policy-name {role_name}-kms --policy-document file://ekm-kms-policy.json"
    )?;
    writeln!(
        out,
        "aws iam create-role --role-name {role_name} --assume-role-policy-document file://ekm-trust-policy.json"
    )?;
    let acct = role.split(':').nth(4).unwrap_or("ACCOUNT");
    writeln!(
        out,
        "aws iam attach-role-policy --role-name {role_name} --policy-arn arn:aws:iam::{acct}:policy/{role_name}-kms\n"
    )?;
    writeln!(out, "# Then check before registering:")?;
    writeln!(
        out,
        "ekm-check check --kms-arn {kms} --role-arn {role} --external-id {xid}\n"
    )?;
    writeln!(
        out,
        "# Registration: POST https://api.openai.com/v1/organization/external_keys with this body"
    )?;
    let body = json!({"type": "aws", "name": "AWS EKM Config", "role_arn": role, "kms_arn": kms, "external_id": xid});
    writeln!(out, "{}", p(&body))?;
    Ok(exit::OK)
}
