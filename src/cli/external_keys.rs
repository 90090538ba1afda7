//! `external-keys`: the keys registered with OpenAI (`GET /organization/external_keys`, every
//! page), each validated (`POST …/{id}/validate`) unless `--no-validate`.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use comfy_table::{ContentArrangement, Table, presets};
use serde_json::{Value as J, json};

use super::check::RegistrationArgs;
use super::exit;
use crate::config;
use crate::error::{Error, Result};
use crate::inputs::{Origins, Registration};
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

With this setup's registration (--kms-arn, --role-arn, --external-id, EKM_KMS_ARN / \
EKM_ROLE_ARN / EKM_EXTERNAL_ID, or ekm-check.toml's [registration], as for check), each key \
is compared with it: \"this setup\", \"other\" (naming the fields that differ), or \"?\" \
when OpenAI's answer does not show a field; the last line says whether this setup is \
registered.

Example:
  export OPENAI_ADMIN_KEY
  ekm-check external-keys
  ekm-check external-keys --kms-arn \"$kms\" \\
    --role-arn \"$role\"
  ekm-check external-keys --format json \\
    --no-validate

Exit codes: 0 every key was listed and none failed its validation, 1 a call failed or a \
key's validation status is a failure, 2 usage error (OPENAI_ADMIN_KEY unset). Whether this \
setup is registered does not change the exit code.")]
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
    /// This setup's registration, to find among the keys
    #[command(flatten)]
    pub registration: RegistrationArgs,
    /// The configuration file [default: ./ekm-check.toml when it exists]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// How a registered key compares with this setup's registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalMatch {
    /// Every field this setup gives is the key's.
    This,
    /// Another setup: these fields differ (`type` for a key that is not AWS's).
    Other(Vec<&'static str>),
    /// Nothing differs, but OpenAI's answer does not show these fields: undecided.
    Unknown(Vec<&'static str>),
}

impl LocalMatch {
    fn word(&self) -> &'static str {
        match self {
            LocalMatch::This => "this",
            LocalMatch::Other(_) => "other",
            LocalMatch::Unknown(_) => "unknown",
        }
    }

    fn to_json(&self) -> J {
        match self {
            LocalMatch::This => json!({"match": self.word()}),
            LocalMatch::Other(f) => json!({"match": self.word(), "differs": f}),
            LocalMatch::Unknown(f) => json!({"match": self.word(), "not_shown": f}),
        }
    }

    fn cell(&self) -> String {
        match self {
            LocalMatch::This => "this setup".into(),
            LocalMatch::Other(f) => format!("other: {} differs", f.join(", ")),
            LocalMatch::Unknown(f) => format!("? ({} not shown)", f.join(", ")),
        }
    }
}

/// The registration fields this setup gives, with their values.
fn given(local: &Registration) -> Vec<(&'static str, &str)> {
    local.iter().map(|(n, v)| (n, v.trim())).collect()
}

/// Compare key `k` (OpenAI's object) with this setup's registration; `None` when the setup
/// gives no field. ARNs and ids are compared exactly: an alias ARN is not its key's ARN, and
/// OpenAI keeps the ARN it was given.
pub fn compare(k: &J, local: &Registration) -> Option<LocalMatch> {
    let fields = given(local);
    if fields.is_empty() {
        return None;
    }
    let mut differs = Vec::new();
    if field(k, "type").is_some_and(|t| t != "aws") {
        differs.push("type");
    }
    let mut not_shown = Vec::new();
    for (name, value) in fields {
        match field(k, name) {
            Some(v) if v.trim() == value => {}
            Some(_) => differs.push(name),
            None => not_shown.push(name),
        }
    }
    Some(if !differs.is_empty() {
        LocalMatch::Other(differs)
    } else if !not_shown.is_empty() {
        LocalMatch::Unknown(not_shown)
    } else {
        LocalMatch::This
    })
}

/// The ids of the keys whose comparison is `word` ("this", "other", "unknown").
fn ids<'a>(rows: &'a [J], matches: &[Option<LocalMatch>], word: &str) -> Vec<&'a str> {
    rows.iter()
        .zip(matches)
        .filter(|(_, m)| m.as_ref().is_some_and(|m| m.word() == word))
        .map(|(k, _)| {
            k.get("id")
                .and_then(J::as_str)
                .unwrap_or("(a key without an id)")
        })
        .collect()
}

/// The last line about this setup: registered as which key, perhaps, or not at all.
fn local_summary(rows: &[J], matches: &[Option<LocalMatch>], origins: &Origins) -> String {
    let from: Vec<String> = origins
        .iter()
        .map(|(name, o)| format!("{name} from {o}"))
        .collect();
    let setup = format!("this setup ({})", from.join(", "));
    let (this, unknown) = (ids(rows, matches, "this"), ids(rows, matches, "unknown"));
    if !this.is_empty() {
        format!("{setup} is registered as {}", this.join(", "))
    } else if !unknown.is_empty() {
        format!(
            "{setup} may be registered as {}: OpenAI's answer does not show every field to compare",
            unknown.join(", ")
        )
    } else {
        format!(
            "{setup} is not registered with OpenAI: no key has its values (`ekm-check register` registers it)"
        )
    }
}

/// A field of a key: at the top, or under its provider's object (`aws`).
fn field<'a>(k: &'a J, name: &str) -> Option<&'a str> {
    let text = |v: Option<&'a J>| v.and_then(J::as_str).filter(|s| !s.trim().is_empty());
    text(k.get(name)).or_else(|| text(k.get("aws").and_then(|a| a.get(name))))
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
    let (cfg, cfg_path) = config::load(a.config.as_deref())?;
    let (local, origins) = a
        .registration
        .resolve(Some((&cfg, cfg_path.as_deref())), None);
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
    let mut matches: Vec<Option<LocalMatch>> = Vec::new();
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
        let matched = compare(&k, &local);
        if let Some(obj) = row.as_object_mut() {
            if let Some(v) = validation {
                obj.insert("validation".into(), v);
            }
            if let Some(m) = &matched {
                obj.insert("local".into(), m.to_json());
            }
        }
        rows.push(row);
        matches.push(matched);
    }
    match a.format {
        KeysFormat::Json => {
            let mut v = json!({
                "format": "ekm-check.external-keys/v1",
                "ok": failed == 0,
                "pages": pages,
                "keys": rows,
            });
            if !given(&local).is_empty() {
                v["local"] = json!({
                    "registration": local,
                    "origins": origins,
                    "registered_as": ids(&rows, &matches, "this"),
                    "undecided": ids(&rows, &matches, "unknown"),
                    "summary": local_summary(&rows, &matches, &origins),
                });
            }
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&v).unwrap_or_default()
            )?;
        }
        KeysFormat::Table => {
            write_table(out, &rows, &matches, a.no_validate, failed)?;
            if !given(&local).is_empty() {
                writeln!(out, "{}", local_summary(&rows, &matches, &origins))?;
            }
        }
    }
    Ok(if failed == 0 { exit::OK } else { exit::FAIL })
}

fn write_table(
    out: &mut dyn Write,
    rows: &[J],
    matches: &[Option<LocalMatch>],
    no_validate: bool,
    failed: usize,
) -> Result<()> {
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
    let local = matches.iter().any(Option::is_some);
    if local {
        header.push("this setup?");
    }
    t.set_header(header);
    let mut notes = Vec::new();
    for (k, m) in rows.iter().zip(matches) {
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
        if local {
            row.push(m.as_ref().map(LocalMatch::cell).unwrap_or_default());
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

#[cfg(test)]
mod tests {
    use super::*;

    fn reg(kms: Option<&str>, role: Option<&str>) -> Registration {
        Registration {
            kms_arn: kms.map(str::to_string),
            role_arn: role.map(str::to_string),
            external_id: None,
        }
    }

    #[test]
    fn a_key_is_this_setup_only_when_every_given_field_is_shown_and_equal() {
        let k = json!({"type": "aws", "kms_arn": "K", "aws": {"role_arn": "R"}});
        assert_eq!(compare(&k, &reg(None, None)), None);
        assert_eq!(
            compare(&k, &reg(Some("K"), Some("R"))),
            Some(LocalMatch::This)
        );
        assert_eq!(compare(&k, &reg(Some(" K "), None)), Some(LocalMatch::This));
        assert_eq!(
            compare(&k, &reg(Some("K2"), Some("R"))),
            Some(LocalMatch::Other(vec!["kms_arn"]))
        );
        // A field OpenAI does not show leaves it undecided, unless another differs.
        // A null or empty field is not shown, and the provider's object is read past it.
        let nested =
            json!({"kms_arn": null, "role_arn": "", "aws": {"kms_arn": "K", "role_arn": "R"}});
        assert_eq!(
            compare(&nested, &reg(Some("K"), Some("R"))),
            Some(LocalMatch::This)
        );
        let bare = json!({"type": "aws"});
        assert_eq!(
            compare(&bare, &reg(Some("K"), None)),
            Some(LocalMatch::Unknown(vec!["kms_arn"]))
        );
        let gcp = json!({"type": "gcp"});
        assert_eq!(
            compare(&gcp, &reg(Some("K"), None)),
            Some(LocalMatch::Other(vec!["type"]))
        );
    }
}
