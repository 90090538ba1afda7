//! `register`: run the check and, only when it is `ready` (or with `--force`), register the key
//! with OpenAI's Management API, validate it, and with `--project-name` create a project that
//! uses it; OpenAI's refusal is shown verbatim with `diagnose`'s reading of it. `--dry-run`
//! prints the same requests as `curl` commands and sends nothing. See [`crate::openai`].

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde_json::{Value as J, json};

use super::check::{
    AwsArgs, ColorChoice, OutputArgs, RegistrationArgs, build_report, check_inputs,
};
use super::exit;
use crate::config;
use crate::diagnose;
use crate::error::{Error, Result};
use crate::inputs::Registration;
use crate::openai::{self, AdminKey, Api, Exchange, Settings};
use crate::report::{Report, Verdict};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RegisterFormat {
    /// What was done, line by line (default)
    Text,
    /// One JSON object: ekm-check.register/v1
    Json,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Runs the check (the live account, or --snapshot) and only when its verdict is ready \
(or with --force) calls OpenAI's Management API: POST /organization/external_keys \
with {\"type\": \"aws\", \"name\", \"role_arn\", \"kms_arn\", \"external_id\"}, then \
POST /organization/external_keys/ID/validate, then with --project-name POST \
/organization/projects with {\"name\", \"external_key_id\"}. It prints the ids and \
the validation status as OpenAI returns it; a refusal is printed as OpenAI wrote it, \
with what `ekm-check diagnose` reads in it.

The Admin API key comes only from OPENAI_ADMIN_KEY (never a flag, never printed); \
the API from OPENAI_BASE_URL [default: https://api.openai.com/v1]. --connect-timeout, \
--read-timeout and --max-attempts apply to OpenAI's API too: HTTP 429 and 5xx are \
retried, as long as Retry-After says (up to 60 s), else with backoff.

Example (variables keep each line short enough to paste from any terminal):
  kms=arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab
  role=arn:aws:iam::111122223333:role/openai-ekm
  xid=org-AbCdEf0123456789GhIjKlMn
  ekm-check register --name prod-ekm \\
    --kms-arn \"$kms\" --role-arn \"$role\" \\
    --external-id \"$xid\" --dry-run
  export OPENAI_ADMIN_KEY
  ekm-check register --name prod-ekm \\
    --project-name prod-ekm-test \\
    --snapshot snapshot.json

Exit codes: 0 every call succeeded and the validation status is not a failure (with \
--dry-run: the check allows registering), 1 the check is not ready, or OpenAI refused \
or failed a call, 2 usage error (OPENAI_ADMIN_KEY unset), unreadable input or no AWS access.")]
pub struct RegisterArgs {
    /// The name OpenAI shows for the key
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// Also create a project that uses the key (OpenAI switches EKM on per project)
    #[arg(long, value_name = "NAME")]
    pub project_name: Option<String>,
    /// Register even when the check's verdict is not ready
    #[arg(long)]
    pub force: bool,
    /// Print the requests as curl commands, and send nothing to OpenAI
    #[arg(long)]
    pub dry_run: bool,
    /// Run the check on a saved snapshot instead of reading AWS
    #[arg(long, value_name = "FILE", conflicts_with_all = ["profile", "endpoint_url", "org_profile", "org_role_arn"])]
    pub snapshot: Option<PathBuf>,
    #[command(flatten)]
    pub aws: AwsArgs,
    #[command(flatten)]
    pub registration: RegistrationArgs,
    /// The configuration file [default: ./ekm-check.toml when it exists]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = RegisterFormat::Text)]
    pub format: RegisterFormat,
}

/// The output flags `build_report` needs, with the defaults of `check`.
pub(crate) fn default_output(config: Option<PathBuf>) -> OutputArgs {
    OutputArgs {
        format: Vec::new(),
        output: Vec::new(),
        fail_on: None,
        deny: Vec::new(),
        warn: Vec::new(),
        allow: Vec::new(),
        config,
        color: ColorChoice::Never,
        timestamp: None,
    }
}

/// The three values, all needed to register.
fn values(reg: &Registration) -> Result<(String, String, String)> {
    match (&reg.kms_arn, &reg.role_arn, &reg.external_id) {
        (Some(k), Some(r), Some(x)) => Ok((k.clone(), r.clone(), x.clone())),
        _ => {
            let missing: Vec<&str> = [
                ("--kms-arn", reg.kms_arn.is_none()),
                ("--role-arn", reg.role_arn.is_none()),
                ("--external-id", reg.external_id.is_none()),
            ]
            .iter()
            .filter(|(_, m)| *m)
            .map(|(f, _)| *f)
            .collect();
            Err(Error::Usage(format!(
                "registering needs {} (or EKM_KMS_ARN / EKM_ROLE_ARN / EKM_EXTERNAL_ID, ekm-check.toml, or the snapshot's registration)",
                missing.join(", ")
            )))
        }
    }
}

/// What happened, for the JSON output and the exit code.
#[derive(Default)]
struct Outcome {
    calls: Vec<Exchange>,
    external_key_id: Option<String>,
    validation_status: Option<String>,
    project_id: Option<String>,
    /// What failed: OpenAI's message (or ours), verbatim.
    failure: Option<String>,
    diagnoses: Vec<diagnose::Diagnosis>,
}

pub fn run(a: &RegisterArgs, out: &mut dyn Write) -> Result<u8> {
    if a.name.trim().is_empty() {
        return Err(Error::Usage("--name must not be empty".into()));
    }
    if a.project_name
        .as_deref()
        .is_some_and(|p| p.trim().is_empty())
    {
        return Err(Error::Usage("--project-name must not be empty".into()));
    }
    let base = openai::base_url()?;
    // The key is needed before anything is read, so that a missing one costs no AWS calls.
    let key = if a.dry_run {
        None
    } else {
        Some(AdminKey::from_env()?)
    };
    let settings = Settings {
        connect_timeout: secs(a.aws.conn.connect_timeout, "--connect-timeout")?,
        read_timeout: secs(a.aws.conn.read_timeout, "--read-timeout")?,
        max_attempts: a.aws.conn.max_attempts.clamp(1, 20),
    };
    let (cfg, cfg_path) = config::load(a.config.as_deref())?;
    let (inputs, origins, source) = check_inputs(
        a.snapshot.as_deref(),
        &a.registration,
        &a.aws,
        false,
        None,
        Some((&cfg, cfg_path.as_deref())),
    )?;
    let registration = inputs.registration.clone();
    let report = build_report(
        inputs,
        origins,
        Vec::new(),
        source.clone(),
        &default_output(a.config.clone()),
        &cfg,
    )?;
    let verdict = report.verdict();
    let text = a.format == RegisterFormat::Text;
    let go = verdict == Verdict::Ready || a.force;
    if text {
        writeln!(out, "check: {verdict} ({source})")?;
        if verdict != Verdict::Ready {
            let to_terminal = std::io::stdout().is_terminal();
            out.write_all(
                crate::report::table::render(
                    &report,
                    false,
                    crate::report::table::width_for(to_terminal),
                )
                .as_bytes(),
            )?;
        }
    }
    if !go {
        let why = format!(
            "not registered: the check's verdict is {verdict}, and OpenAI would refuse or later lose the key; fix what failed above (or register anyway with --force)"
        );
        if text {
            writeln!(out, "{why}")?;
        } else {
            write_json(
                out,
                a,
                &report,
                &registration,
                &Outcome {
                    failure: Some(why),
                    ..Outcome::default()
                },
            )?;
        }
        return Ok(exit::FAIL);
    }
    if verdict != Verdict::Ready && text {
        writeln!(
            out,
            "--force: registering although the verdict is {verdict}"
        )?;
    }
    let (kms, role, xid) = values(&registration)?;
    let body = openai::register_body(&a.name, &role, &kms, &xid);
    if a.dry_run {
        let cmds = openai::curl_commands(&base, &body, a.project_name.as_deref());
        if text {
            writeln!(
                out,
                "dry run: nothing was sent; these are the requests, with the Admin API key read from $OPENAI_ADMIN_KEY:"
            )?;
            out.write_all(cmds.as_bytes())?;
        } else {
            write_json_with(
                out,
                a,
                &report,
                &registration,
                &Outcome::default(),
                Some(&cmds),
            )?;
        }
        return Ok(exit::OK);
    }
    let key = key.expect("the key was read unless --dry-run");
    let api = Api::new(&base, key, settings)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Write)?;
    let mut o = Outcome::default();
    rt.block_on(async {
        let ex = api.register(&body).await;
        o.calls.push(ex.clone());
        if !ex.ok() {
            o.failure = Some(refusal("registration", &ex));
            return;
        }
        let id = ex
            .field("id")
            .or_else(|| ex.field("external_key_id"))
            .map(str::to_string);
        let Some(id) = id.filter(|i| openai::safe_id(i)) else {
            o.failure = Some(format!(
                "OpenAI accepted the registration but its answer holds no usable \"id\": {}",
                ex.answer.as_ref().map(J::to_string).unwrap_or_default()
            ));
            return;
        };
        o.external_key_id = Some(id.clone());
        let ex = api.validate(&id).await;
        o.calls.push(ex.clone());
        if !ex.ok() {
            o.failure = Some(refusal("validation", &ex));
            return;
        }
        let status = ex.field("status").map(str::to_string);
        o.validation_status = status.clone();
        if openai::status_is_failure(status.as_deref()) {
            let said = ex
                .answer
                .as_ref()
                .and_then(openai::validation_message)
                .unwrap_or_else(|| ex.answer.as_ref().map(J::to_string).unwrap_or_default());
            o.failure = Some(match &status {
                Some(s) => format!("OpenAI's validation of {id} says {s:?}: {said}"),
                None => format!("OpenAI's validation answer of {id} has no status: {said}"),
            });
            return;
        }
        if let Some(p) = &a.project_name {
            let ex = api.create_project(p, &id).await;
            o.calls.push(ex.clone());
            if !ex.ok() {
                o.failure = Some(refusal("project creation", &ex));
                return;
            }
            o.project_id = ex.field("id").map(str::to_string);
            if o.project_id.is_none() {
                o.failure = Some(format!(
                    "OpenAI accepted the project but its answer holds no \"id\": {}",
                    ex.answer.as_ref().map(J::to_string).unwrap_or_default()
                ));
            }
        }
    });
    if let Some(f) = &o.failure {
        o.diagnoses = diagnose::recognise(f)
            .iter()
            .map(|r| diagnose::diagnose(r, &report.findings, &registration))
            .collect();
    }
    if text {
        write_text(out, a, &o, &source)?;
    } else {
        write_json(out, a, &report, &registration, &o)?;
    }
    Ok(if o.failure.is_none() {
        exit::OK
    } else {
        exit::FAIL
    })
}

fn secs(v: f64, flag: &str) -> Result<std::time::Duration> {
    if v.is_finite() && v > 0.0 && v <= 3600.0 {
        Ok(std::time::Duration::from_secs_f64(v))
    } else {
        Err(Error::Usage(format!(
            "{flag} must be between 0 and 3600 seconds"
        )))
    }
}

/// What a failed call says: OpenAI's message verbatim, or why there was no answer, and what its
/// status usually means (OpenAI's Management API page: admin keys, scopes, the feature flag).
fn refusal(what: &str, ex: &Exchange) -> String {
    let said = ex.error.clone().unwrap_or_default();
    let hint = match ex.status {
        Some(401) => {
            " (hint: the Management API takes only an Admin API key, which organization owners create)"
        }
        Some(403) => {
            " (hint: the admin key needs the scope api.external_keys.write to register and api.external_keys.read to validate)"
        }
        Some(404) if what == "registration" => {
            " (hint: EKM may not be enabled for this organization: OpenAI switches it on; GET /organization/projects shows external_key_id when it is)"
        }
        _ => "",
    };
    match ex.status {
        Some(s) => format!("OpenAI refused the {what} (HTTP {s}): {said}{hint}"),
        None => format!("the {what} call got no answer from OpenAI: {said}"),
    }
}

fn write_text(out: &mut dyn Write, a: &RegisterArgs, o: &Outcome, source: &str) -> Result<()> {
    for ex in &o.calls {
        writeln!(out, "{}", ex.describe())?;
    }
    if let Some(id) = &o.external_key_id {
        writeln!(out, "external key: {id} (name {:?})", a.name)?;
    }
    if let Some(s) = &o.validation_status {
        writeln!(out, "validation status: {s}")?;
    }
    if let Some(p) = &o.project_id {
        writeln!(
            out,
            "project: {p} (name {:?}, external_key_id {})",
            a.project_name.as_deref().unwrap_or_default(),
            o.external_key_id.as_deref().unwrap_or_default()
        )?;
    }
    if let Some(f) = &o.failure {
        writeln!(out, "failed: {f}")?;
        if o.diagnoses.is_empty() {
            writeln!(
                out,
                "diagnose: this is none of the errors OpenAI documents (the sts:AssumeRole and kms:Encrypt/kms:Decrypt AccessDenied messages), so no rule is named for it"
            )?;
        } else {
            writeln!(out, "diagnose:")?;
            super::diagnose::write_text(&o.diagnoses, source, out)?;
        }
        if o.external_key_id.is_some() {
            writeln!(
                out,
                "the key stays registered with OpenAI: after a fix, validate it again with `ekm-check external-keys`"
            )?;
        }
    } else {
        writeln!(out, "registered")?;
    }
    Ok(())
}

fn write_json(
    out: &mut dyn Write,
    a: &RegisterArgs,
    report: &Report,
    reg: &Registration,
    o: &Outcome,
) -> Result<()> {
    write_json_with(out, a, report, reg, o, None)
}

fn write_json_with(
    out: &mut dyn Write,
    a: &RegisterArgs,
    report: &Report,
    reg: &Registration,
    o: &Outcome,
    curl: Option<&str>,
) -> Result<()> {
    let mut v = json!({
        "format": "ekm-check.register/v1",
        "verdict": report.verdict().as_str(),
        "source": report.source,
        "registration": reg,
        "name": a.name,
        "dry_run": a.dry_run,
        "calls": o.calls,
        "ok": o.failure.is_none(),
    });
    let m = v.as_object_mut().expect("an object");
    if let Some(p) = &a.project_name {
        m.insert("project_name".into(), json!(p));
    }
    for (k, val) in [
        ("external_key_id", &o.external_key_id),
        ("validation_status", &o.validation_status),
        ("project_id", &o.project_id),
        ("error", &o.failure),
    ] {
        if let Some(x) = val {
            m.insert(k.into(), json!(x));
        }
    }
    if o.failure.is_some() {
        m.insert("diagnosis".into(), json!(o.diagnoses));
    }
    if let Some(c) = curl {
        m.insert("curl".into(), json!(c));
    }
    writeln!(
        out,
        "{}",
        serde_json::to_string_pretty(&v).unwrap_or_default()
    )?;
    Ok(())
}
