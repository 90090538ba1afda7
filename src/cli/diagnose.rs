//! `diagnose`: the error OpenAI returned, read, and its causes found by the rules that can
//! cause it, run on the live account or a snapshot.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::check::{AwsArgs, RegistrationArgs, check_inputs};
use super::exit;
use crate::config;
use crate::diagnose::{self, Diagnosis};
use crate::error::{Error, Result};
use crate::report::wrap;
use crate::{input, rules};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiagnoseFormat {
    /// The causes, most likely first, each with its fix
    Text,
    /// One JSON object: the errors recognised, each with its causes
    Json,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Reads the error text OpenAI returned (the argument, --file, or standard input), recognises the \
errors OpenAI documents (sts:AssumeRole and kms:Encrypt/kms:Decrypt AccessDenied, redacted or \
not), runs the rules that can cause each on your account (or --snapshot) and prints the causes \
found, most likely first, with their fixes; where the policies explain nothing, it says what \
remains to look at.

Example (the error in a file, checked against a snapshot):
  ekm-check diagnose --file openai-error.txt \\
    --snapshot snapshot.json

Exit codes: 0 a cause was found, 1 the text is not a documented error or no rule explains it, \
2 usage or input error.")]
pub struct DiagnoseArgs {
    /// The error text OpenAI returned [default: --file, else standard input]
    #[arg(value_name = "TEXT", conflicts_with = "file")]
    pub text: Option<String>,
    /// Read the error text from this file
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Run the rules on a saved snapshot instead of reading AWS
    #[arg(long, value_name = "FILE", conflicts_with_all = ["profile", "endpoint_url", "org_profile", "org_role_arn"])]
    pub snapshot: Option<PathBuf>,
    #[command(flatten)]
    pub aws: AwsArgs,
    #[command(flatten)]
    pub registration: RegistrationArgs,
    /// The configuration file [default: ./ekm-check.toml when it exists]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = DiagnoseFormat::Text)]
    pub format: DiagnoseFormat,
}

fn text_of(a: &DiagnoseArgs) -> Result<String> {
    if let Some(t) = &a.text {
        return Ok(t.clone());
    }
    if let Some(p) = &a.file {
        let b = input::read_bytes(p)?;
        return Ok(String::from_utf8_lossy(&b).into_owned());
    }
    if std::io::stdin().is_terminal() {
        return Err(Error::Usage(
            "give the error text OpenAI returned: as an argument, with --file FILE, or on standard input".into(),
        ));
    }
    let mut s = String::new();
    std::io::stdin()
        .take(1 << 20)
        .read_to_string(&mut s)
        .map_err(Error::Write)?;
    Ok(s)
}

pub fn run(a: &DiagnoseArgs, out: &mut dyn Write) -> Result<u8> {
    let text = text_of(a)?;
    let readings = diagnose::recognise(&text);
    if readings.is_empty() {
        let shown: String = text.trim().chars().take(200).collect();
        writeln!(
            out,
            "unrecognised: {shown:?} is none of the errors OpenAI documents (the sts:AssumeRole and \
             kms:Encrypt/kms:Decrypt AccessDenied messages); run `ekm-check check` for every rule"
        )?;
        return Ok(exit::FAIL);
    }
    let (cfg, cfg_path) = config::load(a.config.as_deref())?;
    let (inputs, _, source) = check_inputs(
        a.snapshot.as_deref(),
        &a.registration,
        &a.aws,
        false,
        None,
        Some((&cfg, cfg_path.as_deref())),
    )?;
    let findings = rules::run_all(&inputs);
    let found: Vec<Diagnosis> = readings
        .iter()
        .map(|r| diagnose::diagnose(r, &findings, &inputs.registration))
        .collect();
    let explained = found
        .iter()
        .all(|d| d.causes.iter().any(|c| c.status == "fail"));
    match a.format {
        DiagnoseFormat::Json => {
            let v = serde_json::json!({
                "format": "ekm-check.diagnosis/v1",
                "source": source,
                "registration": inputs.registration,
                "errors": found,
                "explained": explained,
            });
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&v).unwrap_or_default()
            )?;
        }
        DiagnoseFormat::Text => write_text(&found, &source, out)?,
    }
    Ok(if explained { exit::OK } else { exit::FAIL })
}

pub(crate) fn write_text(found: &[Diagnosis], source: &str, out: &mut dyn Write) -> Result<()> {
    let width = crate::report::table::width_for(std::io::stdout().is_terminal());
    for d in found {
        out.write_all(
            wrap::prose(
                &format!(
                    "OpenAI's {} was refused: {}",
                    d.reading.call.action(),
                    d.reading.matched
                ),
                width,
                "",
                "  ",
            )
            .as_bytes(),
        )?;
        if d.causes.is_empty() {
            writeln!(out, "  no rule that can cause it fails on {source}")?;
        }
        for (i, c) in d.causes.iter().enumerate() {
            let lead = if c.status == "fail" {
                format!("{}. {} {} ({}):", i + 1, c.rule, c.name, c.why)
            } else {
                format!(
                    "{}. could be {} {} (undecided: {}):",
                    i + 1,
                    c.rule,
                    c.name,
                    c.why
                )
            };
            out.write_all(
                wrap::prose(&format!("{lead} {}", c.message), width, "  ", "     ").as_bytes(),
            )?;
            if let Some(f) = &c.fix {
                writeln!(out, "     fix:")?;
                out.write_all(wrap::block(f, width, "       ", "         ").as_bytes())?;
            }
        }
        if !d.remaining.is_empty() {
            writeln!(out, "  beyond the policies seen here:")?;
            for r in &d.remaining {
                out.write_all(wrap::prose(&format!("- {r}"), width, "  ", "    ").as_bytes())?;
            }
        }
    }
    Ok(())
}
