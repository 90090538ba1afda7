//! `--format json`: `ekm-check.report/v1`, byte-stable for the same input.

use serde::Serialize;

use super::accounts::{
    ACCOUNT_FORMAT, AccountEntry, AccountStatus, SUMMARY_FORMAT, ScanSummary, summarize,
};
use super::{Report, Summary};
use crate::inputs::{Origins, Registration};
use crate::rules::{Evidence, Finding};

pub const FORMAT: &str = "ekm-check.report/v1";

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct ResultOut<'a> {
    rule: &'static str,
    name: &'static str,
    severity: &'static str,
    status: &'static str,
    message: &'a str,
    evidence: &'a [Evidence],
    #[serde(skip_serializing_if = "Option::is_none")]
    remediation: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressed: Option<&'a crate::rules::Suppression>,
    #[serde(skip_serializing_if = "Option::is_none")]
    change: Option<&'static str>,
}

#[derive(Serialize)]
struct ReportOut<'a> {
    format: &'static str,
    tool: Tool,
    registration: &'a Registration,
    #[serde(skip_serializing_if = "Origins::is_empty")]
    registration_sources: &'a Origins,
    source: &'a str,
    verdict: &'static str,
    results: Vec<ResultOut<'a>>,
    summary: Summary,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    notes: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    fixed: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    assumed: &'a [String],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    not_checked: Vec<NotChecked<'a>>,
    /// `scan`: whether the organization part was read, or why not.
    #[serde(skip_serializing_if = "Option::is_none")]
    organization: Option<&'a serde_json::Value>,
    /// `scan`: the reads that failed for this target (`{}`: none).
    #[serde(skip_serializing_if = "Option::is_none")]
    read_errors: Option<&'a std::collections::BTreeMap<String, String>>,
}

/// A rule that decides OpenAI's path and was not decided (verdict `incomplete`).
#[derive(Serialize)]
struct NotChecked<'a> {
    rule: &'static str,
    status: &'static str,
    reason: &'a str,
}

fn result(f: &Finding) -> ResultOut<'_> {
    ResultOut {
        rule: f.rule.id,
        name: f.rule.slug,
        severity: f.severity.as_str(),
        status: f.status.as_str(),
        message: &f.message,
        evidence: &f.evidence,
        remediation: f.remediation.as_deref(),
        suppressed: f.suppressed.as_ref(),
        change: f.change,
    }
}

pub fn value(r: &Report) -> serde_json::Value {
    let out = ReportOut {
        format: FORMAT,
        tool: Tool {
            name: "ekm-check",
            version: env!("CARGO_PKG_VERSION"),
        },
        registration: &r.registration,
        registration_sources: &r.origins,
        source: &r.source,
        verdict: r.verdict().as_str(),
        results: r.findings.iter().map(result).collect(),
        summary: r.summary(),
        notes: &r.notes,
        fixed: &r.fixed,
        assumed: &r.assumed,
        not_checked: r
            .not_checked()
            .map(|f| NotChecked {
                rule: f.rule.id,
                status: f.status.as_str(),
                reason: &f.message,
            })
            .collect(),
        organization: r.reads.as_ref().map(|x| &x.organization),
        read_errors: r.reads.as_ref().map(|x| &x.errors),
    };
    serde_json::to_value(&out).unwrap_or_default()
}

/// The report as pretty JSON with a final newline.
pub fn render(r: &Report) -> String {
    let mut s = serde_json::to_string_pretty(&value(r)).unwrap_or_default();
    s.push('\n');
    s
}

/// `ekm-check.scan/v1`: one report per target, what discovery saw in each account read
/// (`discovery`, kept for older readers), every account with its status (`accounts`), and the
/// counts (`summary`).
pub fn render_scan(reports: &[Report], accounts: &[AccountEntry]) -> String {
    let v = serde_json::json!({
        "format": "ekm-check.scan/v1",
        "targets": reports.iter().map(value).collect::<Vec<_>>(),
        "discovery": discovery(accounts),
        "accounts": accounts,
        "summary": summarize(reports, accounts),
    });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

/// The accounts that were entered, as `discovery` has always listed them.
pub fn discovery(accounts: &[AccountEntry]) -> serde_json::Value {
    accounts
        .iter()
        .filter(|a| a.status != AccountStatus::Skipped)
        .map(|a| {
            serde_json::json!({
                "account": a.id,
                "roles_examined": a.roles_examined,
                "ekm_roles": a.ekm_roles,
                "keys_examined": a.keys_examined,
                "errors": a.errors,
            })
        })
        .collect()
}

/// `--format jsonl`: one compact report on one line.
pub fn line(r: &Report) -> String {
    let mut s = serde_json::to_string(&value(r)).unwrap_or_default();
    s.push('\n');
    s
}

/// `--format jsonl`: one account's line (`ekm-check.scan-account/v1`).
pub fn account_line(a: &AccountEntry) -> String {
    let mut o = serde_json::Map::new();
    o.insert("format".into(), ACCOUNT_FORMAT.into());
    if let serde_json::Value::Object(fields) = serde_json::to_value(a).unwrap_or_default() {
        o.extend(fields);
    }
    let mut s = serde_json::to_string(&o).unwrap_or_default();
    s.push('\n');
    s
}

/// `--format jsonl`: the last line (`ekm-check.scan-summary/v1`).
pub fn summary_line(s: &ScanSummary) -> String {
    let v = serde_json::json!({"format": SUMMARY_FORMAT, "summary": s, "passes": s.passes()});
    let mut t = serde_json::to_string(&v).unwrap_or_default();
    t.push('\n');
    t
}

/// A whole scan as JSON Lines: every target, every account, the summary.
pub fn render_scan_lines(reports: &[Report], accounts: &[AccountEntry]) -> String {
    let mut s = String::new();
    reports.iter().for_each(|r| s.push_str(&line(r)));
    accounts.iter().for_each(|a| s.push_str(&account_line(a)));
    s.push_str(&summary_line(&summarize(reports, accounts)));
    s
}
