//! `ekm-check eval`: decide one request from flags, or a batch of JSON Lines.

use std::io::{Read, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::exit;
use crate::error::{Error, Result};
use crate::eval::batch::{self, BatchError};
use crate::eval::{CallerSide, Context, PolicySet, Request, TargetKey, evaluate_with_targets};
use crate::input;
use crate::policy::principal::Principal;
use crate::policy::{Level, Policy, PolicyKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EvalFormat {
    /// A readable explanation
    Text,
    /// One JSON decision object
    Json,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Examples (variables keep each line short enough to paste from any terminal):
  session=arn:aws:sts::111122223333:assumed-role/openai-ekm/OpenAI-EKM-Service
  kms=arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab
  ekm-check eval --principal \"$session\" \\
    --action kms:Encrypt --resource \"$kms\" \\
    --identity-policy permissions.json \\
    --resource-policy key-policy.json \\
    --unknown aws:SourceIp
  alias=arn:aws:kms:us-east-1:111122223333:alias/openai-ekm
  ekm-check eval --principal \"$session\" \\
    --action kms:CreateAlias --resource \"$alias\" \\
    --identity-policy permissions.json \\
    --target-key \"$kms=key-policy.json\"
  ekm-check eval --batch requests.jsonl > decisions.jsonl

Exit codes: 0 allowed (batch: every line decided), 1 denied or undecided, 2 unreadable \
input (batch: at least one line could not be read; every other line is still answered).")]
pub struct EvalArgs {
    /// The caller: a role, user or assumed-role session ARN, an account id, a service principal
    #[arg(long, required_unless_present = "batch")]
    pub principal: Option<String>,
    /// The action, e.g. kms:Encrypt or sts:AssumeRole
    #[arg(long, required_unless_present = "batch")]
    pub action: Option<String>,
    /// The resource ARN (the key ARN for KMS, the role ARN for sts:AssumeRole)
    #[arg(long, required_unless_present = "batch")]
    pub resource: Option<String>,
    /// An identity policy of the caller (repeatable)
    #[arg(long = "identity-policy", value_name = "FILE")]
    pub identity_policy: Vec<PathBuf>,
    /// The resource's policy: the key policy for kms:*, the trust policy for sts:AssumeRole
    #[arg(long = "resource-policy", value_name = "FILE")]
    pub resource_policy: Option<PathBuf>,
    /// For kms:CreateAlias/UpdateAlias/DeleteAlias on an alias ARN: a key the operation touches,
    /// with its key policy (repeatable: UpdateAlias touches the current and the new key)
    #[arg(long = "target-key", value_name = "KEY_ARN[=KEY_POLICY_FILE]")]
    pub target_key: Vec<String>,
    /// The caller's permissions boundary
    #[arg(long, value_name = "FILE")]
    pub boundary: Vec<PathBuf>,
    /// One organization level of SCPs, root first (repeatable; comma-separate files of one level)
    #[arg(long, value_name = "FILE[,FILE…]")]
    pub scp: Vec<String>,
    /// One organization level of RCPs, root first (repeatable; comma-separate files of one level)
    #[arg(long, value_name = "FILE[,FILE…]")]
    pub rcp: Vec<String>,
    /// A context key and value, e.g. sts:ExternalId=org-… (repeat a key for a multi-valued key)
    #[arg(long, value_name = "KEY=VALUE")]
    pub context: Vec<String>,
    /// A context key whose value is not known (a trailing * makes it a prefix); the answer may
    /// then be "depends"
    #[arg(long, value_name = "KEY")]
    pub unknown: Vec<String>,
    /// Treat the caller's own identity policies as allowing (its account is not yours to read)
    #[arg(long)]
    pub assume_caller_allowed: bool,
    /// Decide every request of a JSON Lines file (`-` for standard input), one decision a line
    #[arg(long, value_name = "FILE", conflicts_with_all = ["principal", "action", "resource", "identity_policy", "resource_policy", "target_key", "boundary", "scp", "rcp", "context", "assume_caller_allowed"])]
    pub batch: Option<PathBuf>,
    /// Output format for a single request
    #[arg(long, value_enum, default_value_t = EvalFormat::Text)]
    pub format: EvalFormat,
}

pub fn run(a: &EvalArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8> {
    if let Some(batch) = &a.batch {
        return run_batch(batch, &a.unknown, out, err);
    }
    let principal_s = a.principal.as_deref().unwrap_or_default();
    let principal =
        Principal::parse(principal_s).map_err(|e| Error::Usage(format!("--principal: {e}")))?;
    let action = a.action.as_deref().unwrap_or_default();
    let resource = a.resource.as_deref().unwrap_or_default();
    let mut ctx = Context::default();
    let mut multi: Vec<(String, Vec<String>)> = Vec::new();
    for kv in &a.context {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| Error::Usage(format!("--context {kv}: expected KEY=VALUE")))?;
        match multi.iter_mut().find(|(mk, _)| mk.eq_ignore_ascii_case(k)) {
            Some((_, vs)) => vs.push(v.to_string()),
            None => multi.push((k.to_string(), vec![v.to_string()])),
        }
    }
    for (k, vs) in multi {
        ctx.set(&k, vs);
    }
    for u in &a.unknown {
        ctx.mark_unknown(u);
    }
    let load = |p: &PathBuf, kind: PolicyKind, err: &mut dyn Write| -> Result<Policy> {
        let policy = input::read_policy(p, kind)?;
        for d in &policy.diagnostics {
            let level = match d.level {
                Level::Error => "error",
                Level::Warning => "warning",
            };
            writeln!(err, "{level}: {}: {d}", p.display())?;
        }
        if policy.has_errors() {
            return Err(Error::Input {
                path: p.display().to_string(),
                message: "not a valid policy document (see above)".into(),
            });
        }
        Ok(policy)
    };
    let identity = a
        .identity_policy
        .iter()
        .map(|p| load(p, PolicyKind::Identity, err))
        .collect::<Result<Vec<_>>>()?;
    let kind = if action.to_ascii_lowercase().starts_with("sts:assumerole") {
        PolicyKind::Trust
    } else {
        PolicyKind::Resource
    };
    let resource_policy = a
        .resource_policy
        .as_ref()
        .map(|p| load(p, kind, err))
        .transpose()?;
    if a.boundary.len() > 1 {
        return Err(Error::Usage(
            "--boundary: a principal has at most one permissions boundary".into(),
        ));
    }
    let boundaries = a
        .boundary
        .iter()
        .map(|p| load(p, PolicyKind::Boundary, err))
        .collect::<Result<Vec<_>>>()?;
    let mut scps = Vec::new();
    for level in &a.scp {
        let docs = level
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|p| load(&PathBuf::from(p), PolicyKind::Scp, err))
            .collect::<Result<Vec<_>>>()?;
        scps.push(docs);
    }
    let mut rcps = Vec::new();
    for level in &a.rcp {
        let docs = level
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|p| load(&PathBuf::from(p), PolicyKind::Rcp, err))
            .collect::<Result<Vec<_>>>()?;
        rcps.push(docs);
    }
    let mut target_keys = Vec::new();
    for t in &a.target_key {
        let (arn, file) = match t.split_once('=') {
            Some((arn, file)) => (arn, Some(PathBuf::from(file))),
            None => (t.as_str(), None),
        };
        if !crate::eval::is_kms_key_arn(arn) {
            return Err(Error::Usage(format!(
                "--target-key {t}: {arn} is not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)"
            )));
        }
        let policy = file
            .map(|f| load(&f, PolicyKind::Resource, err))
            .transpose()?;
        target_keys.push((arn.to_string(), policy));
    }
    let req = Request::new(principal, action, resource, ctx);
    if !target_keys.is_empty() && !crate::eval::is_alias_management(&req) {
        return Err(Error::Usage(
            "--target-key applies only to kms:CreateAlias, kms:UpdateAlias and kms:DeleteAlias on an alias ARN"
                .into(),
        ));
    }
    let targets: Vec<TargetKey<'_>> = target_keys
        .iter()
        .map(|(k, p)| TargetKey {
            resource: k.clone(),
            key_policy: p.as_ref(),
        })
        .collect();
    let set = PolicySet {
        identity: identity.iter().collect(),
        resource: resource_policy.as_ref(),
        boundaries: boundaries.iter().collect(),
        scps: scps.iter().map(|l| l.iter().collect()).collect(),
        rcps: rcps.iter().map(|l| l.iter().collect()).collect(),
        org: Default::default(),
        caller: if a.assume_caller_allowed {
            CallerSide::AssumedAllowed
        } else {
            CallerSide::Policies
        },
    };
    let ev = evaluate_with_targets(&req, &set, &targets);
    let lines = ev.explain(&req);
    match a.format {
        EvalFormat::Json => {
            let v = serde_json::json!({
                "decision": ev.decision_str(),
                "depends_on": ev.depends_on,
                "explanation": lines,
            });
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&v).unwrap_or_default()
            )?;
        }
        EvalFormat::Text => {
            writeln!(
                out,
                "{} {} on {} by {}",
                ev.decision_str(),
                req.action,
                req.resource,
                req.principal
            )?;
            for l in lines {
                writeln!(out, "  {l}")?;
            }
        }
    }
    Ok(if ev.decision == Some(crate::eval::Decision::Allowed) {
        exit::OK
    } else {
        exit::FAIL
    })
}

fn run_batch(
    path: &PathBuf,
    unknown: &[String],
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8> {
    let mut input: Box<dyn Read> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        if std::fs::metadata(path).map(|m| m.is_dir()).unwrap_or(false) {
            return Err(Error::Input {
                path: path.display().to_string(),
                message: "is a directory, not a file".into(),
            });
        }
        let f = std::fs::File::open(path).map_err(|source| Error::Read {
            path: path.clone(),
            io: source,
        })?;
        Box::new(f)
    };
    let summary = batch::run(
        &mut *input,
        out,
        unknown,
        input::MAX_INPUT_BYTES as usize,
        batch::default_workers(),
    )
    .map_err(|e| match e {
        BatchError::Read(source) => Error::Read {
            path: path.clone(),
            io: source,
        },
        BatchError::Write(e) => Error::Write(e),
        BatchError::LineTooLong { line } => Error::Input {
            path: path.display().to_string(),
            message: format!("line {line} is longer than the input limit"),
        },
    })?;
    if summary.failed > 0 {
        // Blank lines are skipped, not requests: they are not counted as lines read.
        let skipped = match summary.blank {
            0 => String::new(),
            1 => " (1 blank line skipped)".into(),
            n => format!(" ({n} blank lines skipped)"),
        };
        writeln!(
            err,
            "error: {}: {} of {} lines could not be read{skipped}",
            path.display(),
            summary.failed,
            summary.lines - summary.blank
        )?;
        return Ok(exit::ERROR);
    }
    Ok(exit::OK)
}
