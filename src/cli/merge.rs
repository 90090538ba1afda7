//! `merge-reports`: join the JSON reports of scans split across CI jobs (by OU or account list)
//! into one `ekm-check.scan/v1`, with every account and the counts recomputed.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde_json::{Value as J, json};

use super::exit;
use crate::error::{Error, Result};
use crate::report::Verdict;
use crate::report::accounts::ScanSummary;
use crate::report::accounts::{ACCOUNT_FORMAT, AccountEntry, AccountStatus, SUMMARY_FORMAT};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MergeFormat {
    /// ekm-check.scan/v1
    Json,
    /// JSON Lines: every target, every account, the summary
    Jsonl,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Reads scan reports written with --format json (ekm-check.scan/v1) or --format jsonl, and check \
reports (ekm-check.report/v1), and writes one ekm-check.scan/v1 report: every target of every \
input, every account once (an account one job scanned and another skipped by its filter counts \
as scanned), and the summary recomputed.

Example (one job per OU, then one job that merges):
  ekm-check scan --organization \\
    --member-role ekm-check-readonly --ou ou-ab12-11111111 \\
    --format json --output ou1.json
  ekm-check merge-reports ou1.json ou2.json \\
    --output scan.json

Exit codes: 0 every target ready and every account read, 1 otherwise, 2 an input that is no \
ekm-check report.")]
pub struct MergeArgs {
    /// The reports to merge
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The merged report's format
    #[arg(long, value_enum, default_value_t = MergeFormat::Json)]
    pub format: MergeFormat,
    /// Write the merged report here instead of standard output
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// What the inputs hold.
#[derive(Default)]
struct Merged {
    targets: Vec<J>,
    discovery: Vec<J>,
    accounts: Vec<AccountEntry>,
}

fn bad(path: &std::path::Path, message: impl Into<String>) -> Error {
    Error::Input {
        path: path.display().to_string(),
        message: message.into(),
    }
}

fn add_value(m: &mut Merged, v: J, path: &std::path::Path, line: Option<usize>) -> Result<()> {
    let at = |msg: String| match line {
        Some(n) => bad(path, format!("line {n}: {msg}")),
        None => bad(path, msg),
    };
    match v["format"].as_str() {
        Some("ekm-check.scan/v1") => {
            for t in v["targets"].as_array().into_iter().flatten() {
                m.targets.push(t.clone());
            }
            for d in v["discovery"].as_array().into_iter().flatten() {
                m.discovery.push(d.clone());
            }
            if v.get("accounts").is_none() {
                // A report written before `accounts`: its discovery says which were read.
                for d in v["discovery"].as_array().into_iter().flatten() {
                    m.accounts.push(from_discovery(d));
                }
            }
            for a in v["accounts"].as_array().into_iter().flatten() {
                let e: AccountEntry = serde_json::from_value(a.clone())
                    .map_err(|e| at(format!("an account entry: {e}")))?;
                m.accounts.push(e);
            }
        }
        Some(crate::report::json::FORMAT) => m.targets.push(v),
        Some(ACCOUNT_FORMAT) => {
            let e: AccountEntry =
                serde_json::from_value(v).map_err(|e| at(format!("an account entry: {e}")))?;
            m.accounts.push(e);
        }
        Some(SUMMARY_FORMAT) => {}
        other => {
            return Err(at(format!(
                "not an ekm-check report (format {}): give the JSON written by `scan --format json|jsonl` or `check --format json`",
                other
                    .map(|f| format!("{f:?}"))
                    .unwrap_or_else(|| "missing".into())
            )));
        }
    }
    Ok(())
}

/// The target reports in a `json` or `jsonl` report file (for `scan --baseline`).
pub(crate) fn targets_in(path: &std::path::Path) -> Result<Vec<J>> {
    let mut m = Merged::default();
    read(&mut m, path)?;
    Ok(m.targets)
}

/// An account entry from a `discovery` item of an older scan report.
fn from_discovery(d: &J) -> AccountEntry {
    let errors: Vec<String> = d["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e.as_str().map(String::from))
        .collect();
    let id = d["account"].as_str().map(String::from);
    let count = |k: &str| d[k].as_u64().unwrap_or(0) as usize;
    let status = match (&id, errors.is_empty()) {
        (None, _) => AccountStatus::Unreadable,
        (Some(_), true) => AccountStatus::Scanned,
        (Some(_), false) => AccountStatus::Incomplete,
    };
    AccountEntry {
        errors,
        roles_examined: count("roles_examined"),
        ekm_roles: count("ekm_roles"),
        keys_examined: count("keys_examined"),
        ..AccountEntry::new(id, status)
    }
}

fn read(m: &mut Merged, path: &std::path::Path) -> Result<()> {
    let text = std::fs::read_to_string(path).map_err(|e| bad(path, e.to_string()))?;
    // One JSON document, or JSON Lines.
    match serde_json::from_str::<J>(&text) {
        Ok(v) => add_value(m, v, path, None),
        Err(whole) => {
            let mut any = false;
            for (i, l) in text.lines().enumerate() {
                if l.trim().is_empty() {
                    continue;
                }
                let v: J = serde_json::from_str(l).map_err(|e| {
                    if any || i > 0 {
                        bad(path, format!("line {}: {e}", i + 1))
                    } else {
                        bad(path, whole.to_string())
                    }
                })?;
                any = true;
                add_value(m, v, path, Some(i + 1))?;
            }
            if !any {
                return Err(bad(path, "empty: no report in it"));
            }
            Ok(())
        }
    }
}

/// Every account once: a job's scanned (or unreadable) entry beats another job's "skipped by
/// filter" for the same account; two jobs that both read it keep the worse status.
fn dedup_accounts(all: Vec<AccountEntry>) -> Vec<AccountEntry> {
    let mut by_id: BTreeMap<String, AccountEntry> = BTreeMap::new();
    let mut anonymous = Vec::new();
    for a in all {
        let Some(id) = a.id.clone() else {
            anonymous.push(a);
            continue;
        };
        let rank = |s: AccountStatus| match s {
            AccountStatus::Skipped => 0,
            AccountStatus::Scanned => 1,
            AccountStatus::Incomplete => 2,
            AccountStatus::Unreadable => 3,
        };
        match by_id.get(&id) {
            Some(old) if rank(old.status) >= rank(a.status) => {}
            _ => {
                by_id.insert(id, a);
            }
        }
    }
    by_id.into_values().chain(anonymous).collect()
}

pub fn run(a: &MergeArgs, out: &mut dyn Write) -> Result<u8> {
    let mut m = Merged::default();
    for f in &a.files {
        read(&mut m, f)?;
    }
    let accounts = dedup_accounts(m.accounts);
    // The same target from two jobs (overlapping filters) is kept once.
    let mut seen = std::collections::BTreeSet::new();
    let targets: Vec<J> = m
        .targets
        .into_iter()
        .filter(|t| {
            seen.insert((
                t["registration"]["role_arn"].to_string(),
                t["registration"]["kms_arn"].to_string(),
            ))
        })
        .collect();
    let mut summary = ScanSummary::default();
    accounts.iter().for_each(|e| summary.add_account(e));
    for t in &targets {
        let v = match t["verdict"].as_str() {
            Some("ready") => Verdict::Ready,
            Some("incomplete") => Verdict::Incomplete,
            _ => Verdict::NotReady,
        };
        summary.add_verdict(v, v == Verdict::Ready);
    }
    let text = match a.format {
        MergeFormat::Json => {
            let mut s = serde_json::to_string_pretty(&json!({
                "format": "ekm-check.scan/v1",
                "targets": targets,
                "discovery": m.discovery,
                "accounts": accounts,
                "summary": summary,
            }))
            .unwrap_or_default();
            s.push('\n');
            s
        }
        MergeFormat::Jsonl => {
            let mut s = String::new();
            for t in &targets {
                s.push_str(&serde_json::to_string(t).unwrap_or_default());
                s.push('\n');
            }
            accounts
                .iter()
                .for_each(|e| s.push_str(&crate::report::json::account_line(e)));
            s.push_str(&crate::report::json::summary_line(&summary));
            s
        }
    };
    match &a.output {
        Some(p) => super::check::write_file(p, &text)?,
        None => out.write_all(text.as_bytes())?,
    }
    Ok(if summary.passes() {
        exit::OK
    } else {
        exit::FAIL
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, status: AccountStatus) -> AccountEntry {
        AccountEntry::new(Some(id.into()), status)
    }

    #[test]
    fn an_older_report_s_discovery_gives_its_accounts() {
        let ok = from_discovery(&json!({"account": "111111111111", "roles_examined": 3,
            "ekm_roles": 1, "keys_examined": 1, "errors": []}));
        assert_eq!((ok.status, ok.roles_examined), (AccountStatus::Scanned, 3));
        let partial =
            from_discovery(&json!({"account": "111111111111", "errors": ["ListKeys: x"]}));
        assert_eq!(partial.status, AccountStatus::Incomplete);
        let none = from_discovery(&json!({"account": null, "errors": ["GetCallerIdentity: x"]}));
        assert_eq!(none.status, AccountStatus::Unreadable);
    }

    #[test]
    fn a_read_account_beats_a_skipped_one_and_the_worse_read_wins() {
        let merged = dedup_accounts(vec![
            entry("111111111111", AccountStatus::Skipped),
            entry("111111111111", AccountStatus::Scanned),
            entry("222222222222", AccountStatus::Unreadable),
            entry("222222222222", AccountStatus::Scanned),
            entry("333333333333", AccountStatus::Skipped),
        ]);
        let st: Vec<(&str, AccountStatus)> = merged
            .iter()
            .map(|a| (a.id.as_deref().unwrap(), a.status))
            .collect();
        assert_eq!(
            st,
            vec![
                ("111111111111", AccountStatus::Scanned),
                ("222222222222", AccountStatus::Unreadable),
                ("333333333333", AccountStatus::Skipped),
            ]
        );
    }
}
