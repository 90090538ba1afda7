//! `--format sarif`: SARIF 2.1.0, for GitHub code scanning and other SARIF consumers.
//!
//! `tool.driver.rules` holds every rule with its descriptions, its documentation from
//! `rules/*.md` as help, its default level and a help URI. There is one result per failing or
//! undecided rule, located in the policy file (line and column) when the input was a file, and
//! otherwise logically (the AWS resource and the JSON pointer). Suppressed findings carry a
//! `suppressions` entry with the configuration's reason.

use serde::Serialize;
use serde_json::{Value as J, json};

use super::Report;
use crate::rules::{Evidence, Finding, RULES, Severity, Status};

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Where a rule's documentation lives: the repository when the package names one, else a URN.
pub fn help_uri(id: &str, slug: &str) -> String {
    let repo = env!("CARGO_PKG_REPOSITORY");
    if repo.is_empty() {
        format!("urn:ekm-check:rule:{id}")
    } else {
        format!(
            "{}/blob/main/rules/{id}-{slug}.md",
            repo.trim_end_matches('/')
        )
    }
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// The rule's documentation without its title line, and its first paragraph (the summary).
fn doc_parts(doc: &str) -> (String, String) {
    let body: String = doc.lines().skip(1).collect::<Vec<_>>().join("\n");
    let first = body
        .split("\n\n")
        .map(str::trim)
        .find(|p| !p.is_empty() && !p.starts_with("**") && !p.starts_with('#'))
        .unwrap_or_default()
        .to_string();
    (body.trim().to_string(), first)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<J>,
}

fn rules_json() -> Vec<J> {
    RULES
        .iter()
        .map(|r| {
            let (help, full) = doc_parts(r.meta.doc);
            json!({
                "id": r.meta.id,
                "name": r.meta.slug,
                "shortDescription": {"text": r.meta.summary},
                "fullDescription": {"text": if full.is_empty() { r.meta.summary.to_string() } else { full }},
                "help": {"text": help, "markdown": help},
                "helpUri": help_uri(r.meta.id, r.meta.slug),
                "defaultConfiguration": {"level": level(r.meta.severity)},
                "properties": {"tags": ["security", r.meta.family.as_str()]}
            })
        })
        .collect()
}

/// The AWS resource a source names: the role for `role.*`, the key for `key.*`.
fn resource_of(r: &Report, source: &str) -> Option<String> {
    if source.starts_with("role") {
        r.registration.role_arn.clone()
    } else if source.starts_with("key") {
        r.registration.kms_arn.clone()
    } else {
        None
    }
}

/// A file path as a URI reference: absolute paths become `file://` URIs, relative ones stay
/// relative (to the directory the check ran in); unsafe characters are percent-encoded.
pub fn file_uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 8);
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for b in path.replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn location(r: &Report, e: &Evidence) -> J {
    if let (Some(file), Some(line)) = (&e.file, e.line) {
        return json!({
            "physicalLocation": {
                "artifactLocation": {"uri": file_uri(file)},
                "region": {"startLine": line, "startColumn": e.column.unwrap_or(1)}
            },
            "logicalLocations": [{"name": e.pointer, "fullyQualifiedName": format!("{}{}", e.source, e.pointer), "kind": "object"}]
        });
    }
    let fq = match resource_of(r, &e.source) {
        Some(arn) => format!("{arn}#{}{}", e.source, e.pointer),
        None => format!("{}{}", e.source, e.pointer),
    };
    json!({
        "logicalLocations": [{
            "name": if e.pointer.is_empty() { e.source.clone() } else { e.pointer.clone() },
            "fullyQualifiedName": fq,
            "kind": "resource"
        }]
    })
}

fn result(r: &Report, f: &Finding, index: usize) -> J {
    let mut text = f.message.clone();
    if f.status == Status::Unknown {
        text = format!("could not be decided: {text}");
    }
    if let Some(fix) = &f.remediation {
        text.push_str("\n\nFix:\n");
        text.push_str(fix);
    }
    let mut locations: Vec<J> = f.evidence.iter().take(10).map(|e| location(r, e)).collect();
    if locations.is_empty() {
        let target = r
            .registration
            .role_arn
            .clone()
            .or_else(|| r.registration.kms_arn.clone())
            .unwrap_or_else(|| "ekm-check".into());
        locations.push(json!({"logicalLocations": [{"name": target, "fullyQualifiedName": target, "kind": "resource"}]}));
    }
    let mut out = json!({
        "ruleId": f.rule.id,
        "ruleIndex": index,
        "level": level(f.severity),
        "kind": if f.status == Status::Unknown { "review" } else { "fail" },
        "message": {"text": text},
        "locations": locations,
        "properties": {"status": f.status.as_str(), "target": r.registration.role_arn, "key": r.registration.kms_arn}
    });
    if let Some(s) = &f.suppressed {
        out["suppressions"] = json!([{"kind": "external", "justification": s.reason}]);
    }
    out
}

/// Render one run with every report's failing and undecided findings.
pub fn render(reports: &[Report]) -> String {
    render_scan(reports, &[])
}

/// A scan: the targets' results, and each account read incompletely or not at all as a tool
/// execution notification (`executionSuccessful` false): code scanning shows the run failed.
pub fn render_scan(reports: &[Report], accounts: &[super::accounts::AccountEntry]) -> String {
    let mut results = Vec::new();
    for r in reports {
        for f in &r.findings {
            if !matches!(f.status, Status::Fail | Status::Unknown) {
                continue;
            }
            let index = RULES
                .iter()
                .position(|x| std::ptr::eq(x.meta, f.rule))
                .unwrap_or(0);
            results.push(result(r, f, index));
        }
    }
    let verdict = super::Verdict::of_all(reports).as_str();
    let mut driver = json!({
        "name": "ekm-check",
        "version": env!("CARGO_PKG_VERSION"),
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "rules": rules_json()
    });
    if !env!("CARGO_PKG_REPOSITORY").is_empty() {
        driver["informationUri"] = J::String(env!("CARGO_PKG_REPOSITORY").into());
    }
    let failed: Vec<J> = accounts
        .iter()
        .filter(|a| a.status.fails())
        .map(|a| {
            json!({
                "level": "error",
                "message": {"text": a.describe()},
                "descriptor": {"id": a.status.as_str()},
                "properties": {"account": a.id, "role_arn": a.role_arn, "errors": a.errors},
            })
        })
        .collect();
    let mut invocation =
        json!({"executionSuccessful": failed.is_empty(), "properties": {"verdict": verdict}});
    if !accounts.is_empty() {
        invocation["properties"]["summary"] =
            serde_json::to_value(super::accounts::summarize(reports, accounts)).unwrap_or_default();
    }
    if !failed.is_empty() {
        invocation["toolExecutionNotifications"] = J::Array(failed);
    }
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: vec![json!({
            "tool": {"driver": driver},
            "invocations": [invocation],
            "results": results
        })],
    };
    let mut s = serde_json::to_string_pretty(&log).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_paths_become_uri_references() {
        assert_eq!(super::file_uri("snapshot.json"), "snapshot.json");
        assert_eq!(
            super::file_uri("/tmp/a b/s.json"),
            "file:///tmp/a%20b/s.json"
        );
        assert_eq!(super::file_uri("dir/é.json"), "dir/%C3%A9.json");
    }
}
