//! `external-keys`: the keys registered with OpenAI (`GET /organization/external_keys`, every
//! page), each validated (`POST …/{id}/validate`) unless `--no-validate`.

use std::io::Write;

use clap::{Args, ValueEnum};
use comfy_table::{ContentArrangement, Table, presets};
use serde_json::{Value as J, json};

use super::exit;
use crate::error::{Error, Result};
use crate::openai::{self, AdminKey, Api, Settings};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeysFormat {
    /// One row per key (default)
    Table,
    /// ekm-check.external-keys/v1: OpenAI's key objects, each with its validation
    Json,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Lists the keys registered with OpenAI (GET /organization/external_keys, every page) \
and validates each (POST /organization/external_keys/ID/validate), printing the status \
as OpenAI returns it. The Admin API key comes only from OPENAI_ADMIN_KEY, the API \
from OPENAI_BASE_URL [default: https://api.openai.com/v1].

Example:
  export OPENAI_ADMIN_KEY
  ekm-check external-keys
  ekm-check external-keys --format json \\
    --no-validate

Exit codes: 0 every key was listed and none failed its validation, 1 a call failed or a \
key's validation status is a failure, 2 usage error (OPENAI_ADMIN_KEY unset).")]
pub struct ExternalKeysArgs {
    /// Only list the keys; do not validate them
    #[arg(long)]
    pub no_validate: bool,
    #[arg(long, value_enum, default_value_t = KeysFormat::Table)]
    pub format: KeysFormat,
    /// Seconds to wait for a connection to OpenAI
    #[arg(long, value_name = "SECONDS", default_value_t = 3.0)]
    pub connect_timeout: f64,
    /// Seconds to wait for each answer
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub read_timeout: f64,
    /// Attempts per call; HTTP 429 and 5xx are retried with backoff (and Retry-After)
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub max_attempts: u32,
}

/// A field of a key: at the top, or under its provider's object (`aws`).
fn field<'a>(k: &'a J, name: &str) -> Option<&'a str> {
    k.get(name)
        .or_else(|| k.get("aws").and_then(|a| a.get(name)))
        .and_then(J::as_str)
}

fn created(k: &J) -> String {
    k.get("created_at")
        .and_then(J::as_i64)
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

pub fn run(a: &ExternalKeysArgs, out: &mut dyn Write) -> Result<u8> {
    let secs = |v: f64, flag: &str| {
        if v.is_finite() && v > 0.0 && v <= 3600.0 {
            Ok(std::time::Duration::from_secs_f64(v))
        } else {
            Err(Error::Usage(format!(
                "{flag} must be between 0 and 3600 seconds"
            )))
        }
    };
    if a.max_attempts == 0 || a.max_attempts > 20 {
        return Err(Error::Usage(
            "--max-attempts must be between 1 and 20".into(),
        ));
    }
    let settings = Settings {
        connect_timeout: secs(a.connect_timeout, "--connect-timeout")?,
        read_timeout: secs(a.read_timeout, "--read-timeout")?,
        max_attempts: a.max_attempts,
    };
    let base = openai::base_url()?;
    let api = Api::new(&base, AdminKey::from_env()?, settings)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Write)?;
    let listed = rt.block_on(api.list_external_keys());
    let (keys, pages) = match listed {
        Ok(k) => k,
        Err(ex) => {
            let msg = format!(
                "listing the keys failed: {}: {}",
                ex.describe(),
                ex.error.as_deref().unwrap_or_default()
            );
            match a.format {
                KeysFormat::Json => writeln!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(&json!({
                        "format": "ekm-check.external-keys/v1",
                        "ok": false,
                        "error": msg,
                        "call": ex,
                    }))
                    .unwrap_or_default()
                )?,
                KeysFormat::Table => writeln!(out, "{msg}")?,
            }
            return Ok(exit::FAIL);
        }
    };
    let mut failed = 0usize;
    let mut rows: Vec<J> = Vec::new();
    for k in keys {
        let id = k
            .get("id")
            .and_then(J::as_str)
            .unwrap_or_default()
            .to_string();
        let validation = if a.no_validate {
            None
        } else if !openai::safe_id(&id) {
            failed += 1;
            Some(
                json!({"error": format!("the key's id {id:?} cannot be put in a URL: not validated")}),
            )
        } else {
            let ex = rt.block_on(api.validate(&id));
            let v = if ex.ok() {
                let status = ex.field("status").map(str::to_string);
                let bad = openai::status_is_failure(status.as_deref());
                if bad {
                    failed += 1;
                }
                let mut v = json!({"status": status, "failure": bad});
                if let Some(m) = ex.answer.as_ref().and_then(openai::validation_message) {
                    v["message"] = json!(m);
                }
                v
            } else {
                failed += 1;
                json!({"error": format!("{}: {}", ex.describe(), ex.error.as_deref().unwrap_or_default())})
            };
            Some(v)
        };
        let mut row = k.clone();
        if let (Some(obj), Some(v)) = (row.as_object_mut(), validation) {
            obj.insert("validation".into(), v);
        }
        rows.push(row);
    }
    match a.format {
        KeysFormat::Json => {
            let v = json!({
                "format": "ekm-check.external-keys/v1",
                "ok": failed == 0,
                "pages": pages,
                "keys": rows,
            });
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&v).unwrap_or_default()
            )?;
        }
        KeysFormat::Table => write_table(out, &rows, a.no_validate, failed)?,
    }
    Ok(if failed == 0 { exit::OK } else { exit::FAIL })
}

fn write_table(out: &mut dyn Write, rows: &[J], no_validate: bool, failed: usize) -> Result<()> {
    if rows.is_empty() {
        writeln!(out, "no key is registered with OpenAI in this organization")?;
        return Ok(());
    }
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .force_no_tty();
    let mut header = vec!["id", "name", "type", "key / role", "projects", "created"];
    if !no_validate {
        header.push("validation");
    }
    t.set_header(header);
    let mut notes = Vec::new();
    for k in rows {
        let id = k.get("id").and_then(J::as_str).unwrap_or_default();
        let what = [field(k, "kms_arn"), field(k, "role_arn")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("\n");
        let projects = k
            .get("api_project_ids")
            .and_then(J::as_array)
            .map(|p| {
                p.iter()
                    .filter_map(J::as_str)
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default();
        let mut row = vec![
            id.to_string(),
            field(k, "name").unwrap_or_default().to_string(),
            field(k, "type").unwrap_or_default().to_string(),
            what,
            projects,
            created(k),
        ];
        if !no_validate {
            let v = &k["validation"];
            let cell = match (v.get("status").and_then(J::as_str), v.get("error")) {
                (_, Some(e)) => format!("call failed: {}", e.as_str().unwrap_or_default()),
                (Some(s), _) => s.to_string(),
                (None, _) => "(no status)".to_string(),
            };
            if let Some(m) = v.get("message").and_then(J::as_str) {
                notes.push(format!("{id}: {m}"));
            }
            row.push(cell);
        }
        t.add_row(row);
    }
    writeln!(out, "{t}")?;
    for n in notes {
        writeln!(out, "{n}")?;
    }
    let n = rows.len();
    if no_validate {
        writeln!(out, "{n} key(s)")?;
    } else if failed == 0 {
        writeln!(out, "{n} key(s), every validation succeeded")?;
    } else {
        writeln!(
            out,
            "{n} key(s), {failed} failed validation: `ekm-check diagnose` reads OpenAI's message, and `ekm-check check` the key and role"
        )?;
    }
    Ok(())
}
