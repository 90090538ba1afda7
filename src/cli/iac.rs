//! `lint --cloudformation`: the roles and keys a template will create, checked as scan targets
//! are (one report per target).

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::check::{LintArgs, build_report, external_id_from_trust_note, write_reports};
use super::exit;
use crate::config;
use crate::error::{Error, Result};
use crate::iac::IacError;
use crate::iac::cloudformation::{self, Options, Target};
use crate::iac::intrinsics::Pseudo;
use crate::input;

/// The IaC flags of `lint`.
#[derive(Debug, Clone, Default, Args)]
pub struct IacArgs {
    /// A CloudFormation template (JSON or YAML; CDK: the synthesized template): every role
    /// that trusts OpenAI's principal is checked, with the key(s) its policies name
    #[arg(long, value_name = "FILE", conflicts_with_all = ["trust_policy", "permissions", "key_policy", "boundary"])]
    pub cloudformation: Option<PathBuf>,
    /// A template parameter's value (repeatable); overrides its Default
    #[arg(long, value_name = "KEY=VALUE")]
    pub parameter: Vec<String>,
    /// The account the stack deploys to (AWS::AccountId); without it ARNs stay unknown
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,
    /// The region the stack deploys to (AWS::Region)
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// The partition (AWS::Partition) [default: the region's, e.g. aws]
    #[arg(long, value_name = "P")]
    pub partition: Option<String>,
    /// The stack's name (AWS::StackName)
    #[arg(long, value_name = "NAME")]
    pub stack_name: Option<String>,
    /// Check only this role: its logical id in the template
    #[arg(long, value_name = "LOGICAL_ID")]
    pub role: Option<String>,
}

impl IacArgs {
    /// The IaC-only flags make no sense without a template.
    pub fn only_with_iac(&self) -> Result<()> {
        let given = [
            ("--parameter", !self.parameter.is_empty()),
            ("--account", self.account.is_some()),
            ("--region", self.region.is_some()),
            ("--partition", self.partition.is_some()),
            ("--stack-name", self.stack_name.is_some()),
            ("--role", self.role.is_some()),
        ];
        match given.iter().find(|(_, g)| *g) {
            Some((flag, _)) => Err(Error::Usage(format!(
                "{flag} needs --cloudformation FILE (it sets what the template leaves to deployment)"
            ))),
            None => Ok(()),
        }
    }

    fn options(&self, role_arn: Option<String>) -> Result<Options> {
        if let Some(a) = &self.account {
            if a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Error::Usage(format!(
                    "--account {a:?} is not an AWS account id (12 digits)"
                )));
            }
        }
        let parameters = self
            .parameter
            .iter()
            .map(|p| match p.split_once('=') {
                Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
                _ => Err(Error::Usage(format!(
                    "--parameter {p:?}: expected KEY=VALUE"
                ))),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Options {
            parameters,
            pseudo: Pseudo {
                account: self.account.clone(),
                region: self.region.clone(),
                partition: self.partition.clone(),
                stack_name: self.stack_name.clone(),
            },
            role: self.role.clone(),
            role_arn,
        })
    }
}

fn iac_error(e: IacError) -> Error {
    match e {
        IacError::Syntax { path, message } | IacError::NotATemplate { path, message } => {
            Error::Input { path, message }
        }
        other => Error::Usage(other.to_string()),
    }
}

pub fn run_cloudformation(a: &LintArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8> {
    let path = a
        .iac
        .cloudformation
        .as_ref()
        .expect("checked by the caller");
    let (cfg, cfg_path) = config::load(a.output.config.as_deref())?;
    let outputs = a.output.targets()?;
    let name = path.display().to_string();
    let bytes = input::read_bytes(path)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| Error::Input {
        path: name.clone(),
        message: "is not UTF-8 text: not a CloudFormation template".into(),
    })?;
    let flags = a.registration.registration();
    let opts = a.iac.options(flags.role_arn.clone())?;
    let analysis = cloudformation::analyze(text, &name, &opts).map_err(iac_error)?;
    if analysis.targets.is_empty() {
        writeln!(err, "{}", analysis.no_target_message())?;
        return Ok(exit::FAIL);
    }
    let mut reports = Vec::new();
    for t in analysis.targets {
        reports.push(target_report(a, t, &name, &cfg, cfg_path.as_deref())?);
    }
    write_reports(&reports, &a.output, &outputs, Some(&[]), out)?;
    Ok(if reports.iter().all(|r| r.passes()) {
        exit::OK
    } else {
        exit::FAIL
    })
}

fn target_report(
    a: &LintArgs,
    t: Target,
    file: &str,
    cfg: &config::Config,
    cfg_path: Option<&std::path::Path>,
) -> Result<crate::report::Report> {
    let label = format!("template {file}");
    let Target {
        role,
        key,
        mut inputs,
        mut assumed,
        trust_external_ids,
    } = t;
    let (mut reg, mut origins) = a
        .registration
        .resolve(Some((cfg, cfg_path)), Some((&inputs.registration, &label)));
    if reg.external_id.is_none() {
        if let Some(x) = trust_external_ids.first() {
            reg.external_id = Some(x.clone());
            origins.external_id = Some(format!("{label} ({role}'s trust policy)"));
            assumed.push(external_id_from_trust_note(Some(x)));
        }
    }
    inputs.registration = reg;
    let source = match &key {
        Some(k) => format!("cloudformation {file} role {role} key {k}"),
        None => format!("cloudformation {file} role {role}"),
    };
    build_report(inputs, origins, assumed, source, &a.output, cfg)
}
