//! `--format table`: one row a rule, then what failed with its fix, then a one-line verdict.
//! Colour only when asked for: the caller decides (terminal, `NO_COLOR`), comfy-table does not.

use comfy_table::{Cell, Color, ContentArrangement, Table, presets};

use super::Report;
use crate::rules::{Finding, Status};

/// Render the report. `color` adds ANSI colours to statuses.
pub fn render(r: &Report, color: bool) -> String {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(vec!["rule", "name", "severity", "status", "message"]);
    if color {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    for f in &r.findings {
        let mut status = Cell::new(f.status.as_str());
        if color {
            status = status.fg(match f.status {
                Status::Pass => Color::Green,
                Status::Fail if r.gates(f) => Color::Red,
                Status::Fail => Color::Yellow,
                Status::Unknown => Color::Magenta,
                Status::Skipped => Color::DarkGrey,
            });
        }
        t.add_row(vec![
            Cell::new(f.rule.id),
            Cell::new(f.rule.slug),
            Cell::new(f.severity.as_str()),
            status,
            Cell::new(short(&f.message, 70)),
        ]);
    }
    let mut out = String::new();
    out.push_str(&t.to_string());
    out.push('\n');
    let details: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| matches!(f.status, Status::Fail | Status::Unknown))
        .collect();
    for f in details {
        out.push('\n');
        out.push_str(&format!(
            "{} {} [{}] {}{}\n",
            f.rule.id,
            f.rule.slug,
            f.severity.as_str(),
            f.status.as_str(),
            f.suppressed
                .as_ref()
                .map(|s| format!(" (suppressed: {})", s.reason))
                .unwrap_or_default()
        ));
        out.push_str(&indent(&f.message, "  "));
        for e in &f.evidence {
            out.push_str(&format!("  at {}\n", e.location()));
        }
        if let Some(fix) = &f.remediation {
            out.push_str("  fix:\n");
            out.push_str(&indent(fix, "    "));
        }
    }
    for n in &r.notes {
        out.push_str(&format!("\nnote: {n}\n"));
    }
    let s = r.summary();
    out.push('\n');
    for line in r.context_lines() {
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str(&format!(
        "verdict: {} ({} pass, {} fail, {} unknown, {} skipped; --fail-on {})\n",
        r.verdict(),
        s.pass,
        s.fail,
        s.unknown,
        s.skipped,
        match r.fail_on {
            super::FailOn::Error => "error",
            super::FailOn::Warning => "warning",
            super::FailOn::Never => "never",
        }
    ));
    out
}

fn indent(text: &str, pad: &str) -> String {
    let mut s = String::new();
    for line in text.lines() {
        s.push_str(pad);
        s.push_str(line);
        s.push('\n');
    }
    s
}

/// The first line of `s`, cut at `max` characters.
fn short(s: &str, max: usize) -> String {
    let line = s.lines().next().unwrap_or_default();
    if line.chars().count() <= max {
        line.to_string()
    } else {
        let cut: String = line.chars().take(max - 1).collect();
        format!("{cut}…")
    }
}

/// The scan summary: one row per target, then the notes and a verdict.
pub fn render_scan(reports: &[Report], discovery: &serde_json::Value, color: bool) -> String {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(vec!["account", "role", "key", "verdict", "failing rules"]);
    if color {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    for r in reports {
        let role = r.registration.role_arn.as_deref().unwrap_or("-");
        let account = role.split(':').nth(4).unwrap_or("-").to_string();
        let role_name = role.rsplit('/').next().unwrap_or(role);
        let key = r
            .registration
            .kms_arn
            .as_deref()
            .map(|k| k.rsplit(':').next().unwrap_or(k))
            .unwrap_or("(not determined)");
        let failing: Vec<String> = r
            .gating()
            .map(|f| match f.change {
                Some("new") => format!("{} (new)", f.rule.id),
                _ => f.rule.id.to_string(),
            })
            .collect();
        let mut verdict = Cell::new(r.verdict().as_str());
        if color {
            verdict = verdict.fg(match r.verdict() {
                super::Verdict::Ready => Color::Green,
                super::Verdict::Incomplete => Color::Yellow,
                super::Verdict::NotReady => Color::Red,
            });
        }
        t.add_row(vec![
            Cell::new(account),
            Cell::new(role_name),
            Cell::new(key),
            verdict,
            Cell::new(failing.join(" ")),
        ]);
    }
    let mut out = t.to_string();
    out.push('\n');
    for d in discovery.as_array().into_iter().flatten() {
        out.push_str(&format!(
            "account {}: {} roles examined, {} trust OpenAI, {} keys examined\n",
            d["account"].as_str().unwrap_or("?"),
            d["roles_examined"],
            d["ekm_roles"],
            d["keys_examined"]
        ));
        for e in d["errors"].as_array().into_iter().flatten() {
            out.push_str(&format!("  error: {}\n", e.as_str().unwrap_or_default()));
        }
    }
    let ready = reports.iter().filter(|r| r.ready()).count();
    out.push_str(&format!(
        "verdict: {} ({} of {} targets ready)\n",
        super::Verdict::of_all(reports),
        ready,
        reports.len()
    ));
    out
}
