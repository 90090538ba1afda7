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
