//! `lint --cloudformation`, `lint --terraform` and `lint --terraform-plan`: the roles and keys
//! the IaC will create, checked as scan targets are (one report per target).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;

use super::check::{LintArgs, build_report, external_id_from_trust_note, write_reports};
use super::exit;
use crate::config;
use crate::error::{Error, Result};
use crate::iac::IacError;
use crate::iac::cloudformation::{self, Options};
use crate::iac::intrinsics::Pseudo;
use crate::iac::terraform;
use crate::iac::{Analysis, Target};
use crate::input;

/// The IaC flags of `lint`.
#[derive(Debug, Clone, Default, Args)]
pub struct IacArgs {
    /// A CloudFormation template (JSON or YAML; CDK: the synthesized template): every role
    /// that trusts OpenAI's principal is checked, with the key(s) its policies name
    #[arg(long, value_name = "FILE", conflicts_with_all = ["trust_policy", "permissions", "key_policy", "boundary", "terraform"])]
    pub cloudformation: Option<PathBuf>,
    /// A Terraform configuration directory (HCL), evaluated without a provider: every
    /// aws_iam_role that trusts OpenAI's principal is checked, with the key(s) its policies name
    #[arg(long, value_name = "DIR", conflicts_with_all = ["trust_policy", "permissions", "key_policy", "boundary"])]
    pub terraform: Option<PathBuf>,
    /// A Terraform plan or state as JSON (terraform show -json PLANFILE > plan.json): every
    /// aws_iam_role that trusts OpenAI's principal is checked, with the key(s) its policies
    /// name; what is known only after apply is unknown
    #[arg(long, value_name = "FILE", conflicts_with_all = ["trust_policy", "permissions", "key_policy", "boundary", "terraform", "cloudformation"])]
    pub terraform_plan: Option<PathBuf>,
    /// A Terraform variable's value (repeatable; with --terraform)
    #[arg(long = "var", value_name = "KEY=VALUE")]
    pub var: Vec<String>,
    /// A Terraform variables file (repeatable; with --terraform; terraform.tfvars and
    /// *.auto.tfvars of the directory are read as Terraform reads them)
    #[arg(long, value_name = "FILE")]
    pub var_file: Vec<PathBuf>,
    /// A template parameter's value (repeatable); overrides its Default
    #[arg(long, value_name = "KEY=VALUE")]
    pub parameter: Vec<String>,
    /// The account the IaC deploys to (CloudFormation's AWS::AccountId; Terraform's
    /// aws_caller_identity); without it ARNs stay unknown
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,
    /// The region the IaC deploys to (AWS::Region; Terraform's aws_region)
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// The partition (AWS::Partition; aws_partition) [default: the region's, e.g. aws]
    #[arg(long, value_name = "P")]
    pub partition: Option<String>,
    /// The stack's name (AWS::StackName)
    #[arg(long, value_name = "NAME")]
    pub stack_name: Option<String>,
    /// Check only this role: its logical id in the template, or its Terraform address
    #[arg(long, value_name = "LOGICAL_ID_OR_ADDRESS")]
    pub role: Option<String>,
}

impl IacArgs {
    /// Is an IaC input given?
    pub fn any(&self) -> bool {
        self.cloudformation.is_some() || self.terraform.is_some() || self.terraform_plan.is_some()
    }

    /// The IaC-only flags make no sense without IaC; the CloudFormation and Terraform ones
    /// without their kind.
    pub fn only_with_iac(&self) -> Result<()> {
        if self.cloudformation.is_none() {
            if let Some(f) = [
                ("--parameter", !self.parameter.is_empty()),
                ("--stack-name", self.stack_name.is_some()),
            ]
            .iter()
            .find(|(_, g)| *g)
            {
                if self.terraform_plan.is_some() {
                    return Err(Error::Usage(format!(
                        "{} is a CloudFormation flag (with --cloudformation FILE); a plan already holds its variables' values",
                        f.0
                    )));
                }
                if self.any() {
                    return Err(Error::Usage(format!(
                        "{} is a CloudFormation flag (with --cloudformation FILE); for Terraform use --var KEY=VALUE",
                        f.0
                    )));
                }
            }
        }
        if self.terraform.is_none() {
            if let Some(f) = [
                ("--var", !self.var.is_empty()),
                ("--var-file", !self.var_file.is_empty()),
            ]
            .iter()
            .find(|(_, g)| *g)
            {
                return Err(Error::Usage(format!(
                    "{} needs --terraform DIR (a plan already holds its variables' values)",
                    f.0
                )));
            }
        }
        if self.any() {
            return Ok(());
        }
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
                "{flag} needs --cloudformation FILE, --terraform DIR or --terraform-plan FILE (it sets what the IaC leaves to deployment)"
            ))),
            None => Ok(()),
        }
    }

    fn pseudo(&self) -> Result<Pseudo> {
        if let Some(a) = &self.account {
            if a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Error::Usage(format!(
                    "--account {a:?} is not an AWS account id (12 digits)"
                )));
            }
        }
        Ok(Pseudo {
            account: self.account.clone(),
            region: self.region.clone(),
            partition: self.partition.clone(),
            stack_name: self.stack_name.clone(),
        })
    }

    fn terraform_options(&self, role_arn: Option<String>) -> Result<terraform::Options> {
        let vars = self
            .var
            .iter()
            .map(|p| match p.split_once('=') {
                Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
                _ => Err(Error::Usage(format!("--var {p:?}: expected KEY=VALUE"))),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(terraform::Options {
            pseudo: self.pseudo()?,
            role: self.role.clone(),
            role_arn,
            vars,
            var_files: self.var_file.clone(),
        })
    }

    fn options(&self, role_arn: Option<String>) -> Result<Options> {
        let pseudo = self.pseudo()?;
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
            pseudo,
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

/// The kind of IaC input, for labels and messages.
#[derive(Clone, Copy)]
enum Kind {
    CloudFormation,
    Terraform,
    Plan,
}

impl Kind {
    fn source(self) -> &'static str {
        match self {
            Kind::CloudFormation => "cloudformation",
            Kind::Terraform => "terraform",
            Kind::Plan => "terraform-plan",
        }
    }
}

/// `lint` with an IaC input.
pub fn run(a: &LintArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8> {
    a.iac.only_with_iac()?;
    let (cfg, cfg_path) = config::load(a.output.config.as_deref())?;
    let outputs = a.output.targets()?;
    let flags = a.registration.registration();
    let (kind, name, analysis, notes) = if let Some(path) = &a.iac.cloudformation {
        let name = path.display().to_string();
        let bytes = input::read_bytes(path)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| Error::Input {
            path: name.clone(),
            message: "is not UTF-8 text: not a CloudFormation template".into(),
        })?;
        let opts = a.iac.options(flags.role_arn.clone())?;
        let analysis = cloudformation::analyze(text, &name, &opts).map_err(iac_error)?;
        (Kind::CloudFormation, name, analysis, Vec::new())
    } else if let Some(dir) = &a.iac.terraform {
        let name = dir.display().to_string();
        let opts = a.iac.terraform_options(flags.role_arn.clone())?;
        let (resources, notes) = terraform::config::load(dir, &opts).map_err(iac_error)?;
        let analysis =
            terraform::targets::analyze(&resources, &name, &opts).map_err(Error::Usage)?;
        (Kind::Terraform, name, analysis, notes)
    } else if let Some(path) = &a.iac.terraform_plan {
        let name = path.display().to_string();
        let opts = a.iac.terraform_options(flags.role_arn.clone())?;
        let bytes = input::read_bytes(path)?;
        let (resources, notes) = terraform::plan::load(&bytes, &name, &opts).map_err(iac_error)?;
        let analysis =
            terraform::targets::analyze(&resources, &name, &opts).map_err(Error::Usage)?;
        (Kind::Plan, name, analysis, notes)
    } else {
        unreachable!("any() holds")
    };
    run_targets(
        a,
        kind,
        &name,
        analysis,
        &notes,
        (&cfg, cfg_path.as_deref()),
        &outputs,
        out,
        err,
    )
}

#[allow(clippy::too_many_arguments)]
fn run_targets(
    a: &LintArgs,
    kind: Kind,
    name: &str,
    analysis: Analysis,
    notes: &[String],
    (cfg, cfg_path): (&config::Config, Option<&std::path::Path>),
    outputs: &[(super::check::Format, Option<PathBuf>)],
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8> {
    if analysis.targets.is_empty() {
        writeln!(err, "{}", analysis.no_target_message())?;
        for n in notes {
            writeln!(err, "  not read: {n}")?;
        }
        return Ok(exit::FAIL);
    }
    let mut reports = Vec::new();
    for t in analysis.targets {
        let mut r = target_report(a, kind, t, name, cfg, cfg_path)?;
        r.assumed
            .extend(notes.iter().map(|n| format!("not read: {n}")));
        reports.push(r);
    }
    // A table per target; the other formats as a scan writes them (scan/v1, a JUnit suite per
    // target, SARIF results at the IaC's lines).
    let (tables, others): (Vec<_>, Vec<_>) = outputs
        .iter()
        .cloned()
        .partition(|(f, _)| *f == super::check::Format::Table);
    for (_, file) in &tables {
        let to_terminal = file.is_none() && std::io::stdout().is_terminal();
        let text = crate::report::table::render_targets(
            &reports,
            super::check::color_enabled(a.output.color, to_terminal),
            crate::report::table::width_for(to_terminal),
        );
        match file {
            Some(p) => super::check::write_file(p, &text)?,
            None => out.write_all(text.as_bytes())?,
        }
    }
    write_reports(&reports, &a.output, &others, Some(&[]), out)?;
    Ok(if reports.iter().all(|r| r.passes()) {
        exit::OK
    } else {
        exit::FAIL
    })
}

fn target_report(
    a: &LintArgs,
    kind: Kind,
    t: Target,
    file: &str,
    cfg: &config::Config,
    cfg_path: Option<&std::path::Path>,
) -> Result<crate::report::Report> {
    let label = match kind {
        Kind::CloudFormation => format!("template {file}"),
        Kind::Terraform => format!("configuration {file}"),
        Kind::Plan => format!("plan {file}"),
    };
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
    // A key outside the IaC (created elsewhere): the one the role's policies name by ARN, or
    // --kms-arn. Its policy is AWS's default, as lint assumes without --key-policy; the rest of
    // it is read from AWS by `check`.
    if key.is_none() && matches!(inputs.key, crate::inputs::Part::Absent(_)) {
        if reg.kms_arn.is_none() {
            if let Some(arn) = crate::iac::key_outside(&inputs) {
                origins.kms_arn = Some(format!("{label} ({role}'s policies)"));
                reg.kms_arn = Some(arn);
            }
        }
        if let Some(arn) = reg.kms_arn.clone() {
            if let Some(d) = crate::inputs::default_key_policy(Some(&arn)) {
                let why = format!(
                    "the key {arn} is not in {file}: `ekm-check check` reads it from AWS once the role exists"
                );
                inputs.key_policy = crate::inputs::Part::Present(d);
                inputs.key_policy_assumed = true;
                inputs.key = crate::inputs::Part::Absent(why.clone());
                inputs.rotation = crate::inputs::Part::Absent(why.clone());
                inputs.aliases = crate::inputs::Part::Absent(why.clone());
                inputs.grants = crate::inputs::Part::Absent(why.clone());
                inputs.key_tags = crate::inputs::Part::Absent(why.clone());
                assumed.push(format!(
                    "{arn} is not in {file}: its key policy is assumed to be AWS's default (the account's root may use kms:*)"
                ));
            }
        }
    }
    inputs.registration = reg;
    let source = match &key {
        Some(k) => format!("{} {file} role {role} key {k}", kind.source()),
        None => format!("{} {file} role {role}", kind.source()),
    };
    build_report(inputs, origins, assumed, source, &a.output, cfg)
}
