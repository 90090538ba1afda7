//! `--format table`: one row a rule, then what failed with its fix, then a one-line verdict.
//! Colour only when asked for: the caller decides (terminal, `NO_COLOR`), comfy-table does not.
//! Everything fits a width: the terminal's on a terminal (`COLUMNS` first, then the terminal's
//! size), a fixed [`DEFAULT_WIDTH`] elsewhere so that CI logs and golden files are stable. Prose
//! wraps with a hanging indent; JSON and shell commands in fixes are never broken (they are
//! pasted), and a word longer than the width (an ARN) overflows rather than breaks.

use comfy_table::{Cell, Color, ContentArrangement, Table, presets};

use super::Report;
use super::wrap;
use crate::rules::{Finding, Status};

/// The width off a terminal (files, pipes, CI logs).
pub const DEFAULT_WIDTH: usize = 100;
/// Narrower than this, the table is laid out for this width anyway.
pub const MIN_WIDTH: usize = 40;
/// The name column shows only when the message column keeps at least this much.
const MIN_MESSAGE_WITH_NAME: usize = 40;

/// The width to lay the table out for. On a terminal: `COLUMNS` when set to a number, else the
/// terminal's size; off a terminal: [`DEFAULT_WIDTH`].
pub fn width_for(to_terminal: bool) -> usize {
    if !to_terminal {
        return DEFAULT_WIDTH;
    }
    let columns = std::env::var("COLUMNS").ok();
    width_from(
        columns.as_deref(),
        terminal_size::terminal_size().map(|(w, _)| usize::from(w.0)),
    )
}

/// [`width_for`] on a terminal, from `COLUMNS` and the terminal's size.
pub fn width_from(columns: Option<&str>, terminal: Option<usize>) -> usize {
    columns
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
        .or(terminal.filter(|&c| c > 0))
        .unwrap_or(DEFAULT_WIDTH)
        .max(MIN_WIDTH)
}

/// The width a table of `n` columns takes beyond its content (borders and one space of padding
/// on each side of a cell).
fn frame(n: usize) -> usize {
    3 * n + 1
}

fn widest<'a>(header: &str, cells: impl Iterator<Item = &'a str>) -> usize {
    cells
        .map(wrap::width)
        .chain([wrap::width(header)])
        .max()
        .unwrap_or(0)
}

fn new_table(header: Vec<&str>, color: bool) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header);
    if color {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    t
}

/// Render the report for `width` columns. `color` adds ANSI colours to statuses.
pub fn render(r: &Report, color: bool, width: usize) -> String {
    let width = width.max(MIN_WIDTH);
    let ids = widest("rule", r.findings.iter().map(|f| f.rule.id));
    let names = widest("name", r.findings.iter().map(|f| f.rule.slug));
    let sevs = widest("severity", r.findings.iter().map(|f| f.severity.as_str()));
    let stats = widest("status", r.findings.iter().map(|f| f.status.as_str()));
    let fixed = ids + sevs + stats;
    let with_name = width.saturating_sub(frame(5) + fixed + names) >= MIN_MESSAGE_WITH_NAME;
    let message_width = if with_name {
        width - frame(5) - fixed - names
    } else {
        width
            .saturating_sub(frame(4) + fixed)
            .max(wrap::width("message"))
    };
    let mut header = vec!["rule", "name", "severity", "status", "message"];
    if !with_name {
        header.remove(1);
    }
    let mut t = new_table(header, color);
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
        let mut row = vec![Cell::new(f.rule.id)];
        if with_name {
            row.push(Cell::new(f.rule.slug));
        }
        row.extend([
            Cell::new(f.severity.as_str()),
            status,
            Cell::new(wrap::cut(
                f.message.lines().next().unwrap_or_default(),
                message_width,
            )),
        ]);
        t.add_row(row);
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
        let head = format!(
            "{} {} [{}] {}{}",
            f.rule.id,
            f.rule.slug,
            f.severity.as_str(),
            f.status.as_str(),
            f.suppressed
                .as_ref()
                .map(|s| format!(" (suppressed: {})", s.reason))
                .unwrap_or_default()
        );
        out.push_str(&wrap::prose(&head, width, "", "    "));
        out.push_str(&wrap::block(&f.message, width, "  ", "    "));
        for e in &f.evidence {
            out.push_str(&wrap::prose(
                &format!("at {}", e.location()),
                width,
                "  ",
                "     ",
            ));
        }
        if let Some(fix) = &f.remediation {
            out.push_str("  fix:\n");
            out.push_str(&wrap::block(fix, width, "    ", "      "));
        }
    }
    for n in &r.notes {
        out.push('\n');
        out.push_str(&wrap::prose(&format!("note: {n}"), width, "", "  "));
    }
    let s = r.summary();
    out.push('\n');
    for line in r.context_lines() {
        out.push_str(&wrap::prose(&line, width, "", "  "));
    }
    out.push_str(&wrap::prose(
        &format!(
            "verdict: {} ({} pass, {} fail, {} unknown, {} skipped; --fail-on {})",
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
        ),
        width,
        "",
        "  ",
    ));
    out
}

/// The reports of IaC targets: each target's whole table (the engineer at the pull request needs
/// every finding with its file, line and fix), then, for several targets, the summary.
pub fn render_targets(reports: &[Report], color: bool, width: usize) -> String {
    let mut out = String::new();
    for (i, r) in reports.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&wrap::prose(
            &format!("target {} of {}: {}", i + 1, reports.len(), r.source),
            width.max(MIN_WIDTH),
            "",
            "  ",
        ));
        out.push_str(&render(r, color, width));
    }
    if reports.len() > 1 {
        out.push('\n');
        out.push_str(&render_scan(reports, &[], color, width));
    }
    out
}

/// How the scan table shares `width` between its columns: `(account shown, role, key, failing)`.
fn scan_layout(
    width: usize,
    account: usize,
    verdict: usize,
    want: (usize, usize, usize),
) -> (bool, usize, usize, usize) {
    let (role_d, key_d, fail_d) = want;
    // The least each column can do with: a recognisable role name and key id, two rule ids.
    let (role_min, key_min, fail_min) = (role_d.min(12), key_d.min(9), fail_d.min(13));
    let mut avail = width.saturating_sub(frame(5) + account + verdict);
    let mut with_account = true;
    if avail < role_min + key_min + fail_min {
        with_account = false;
        avail += account + 3;
    }
    let mut role = role_min;
    let mut key = key_min;
    let mut fail = fail_min;
    let mut left = avail.saturating_sub(role + key + fail);
    for (col, want) in [(&mut role, role_d), (&mut key, key_d), (&mut fail, fail_d)] {
        let more = want.saturating_sub(*col).min(left);
        *col += more;
        left -= more;
    }
    (with_account, role, key, fail)
}

/// Rule ids packed into lines of at most `max` columns (one id a line when it must).
fn pack(items: &[String], max: usize) -> String {
    let mut lines: Vec<String> = Vec::new();
    for it in items {
        match lines.last_mut() {
            Some(l) if wrap::width(l) + 1 + wrap::width(it) <= max => {
                l.push(' ');
                l.push_str(it);
            }
            _ => lines.push(it.clone()),
        }
    }
    lines.join("\n")
}

/// The scan summary for `width` columns: one row per target, then the notes and a verdict.
pub fn render_scan(
    reports: &[Report],
    accounts: &[super::accounts::AccountEntry],
    color: bool,
    width: usize,
) -> String {
    let width = width.max(MIN_WIDTH);
    struct Row {
        account: String,
        role: String,
        key: String,
        verdict: super::Verdict,
        failing: Vec<String>,
    }
    let rows: Vec<Row> = reports
        .iter()
        .map(|r| {
            let role = r.registration.role_arn.as_deref().unwrap_or("-");
            Row {
                account: role.split(':').nth(4).unwrap_or("-").to_string(),
                role: role.rsplit('/').next().unwrap_or(role).to_string(),
                key: r
                    .registration
                    .kms_arn
                    .as_deref()
                    .map(|k| k.rsplit(':').next().unwrap_or(k))
                    .unwrap_or("(not determined)")
                    .to_string(),
                verdict: r.verdict(),
                failing: r
                    .gating()
                    .map(|f| match f.change {
                        Some("new") => format!("{} (new)", f.rule.id),
                        _ => f.rule.id.to_string(),
                    })
                    .collect(),
            }
        })
        .collect();
    let account_w = widest("account", rows.iter().map(|r| r.account.as_str()));
    let verdict_w = widest("verdict", rows.iter().map(|r| r.verdict.as_str()));
    let joined: Vec<String> = rows.iter().map(|r| r.failing.join(" ")).collect();
    let want = (
        widest("role", rows.iter().map(|r| r.role.as_str())),
        widest("key", rows.iter().map(|r| r.key.as_str())),
        widest("failing rules", joined.iter().map(String::as_str)),
    );
    let (with_account, role_w, key_w, fail_w) = scan_layout(width, account_w, verdict_w, want);
    let mut header = vec!["account", "role", "key", "verdict", "failing rules"];
    if !with_account {
        header.remove(0);
    }
    let mut t = new_table(header, color);
    for r in &rows {
        let mut verdict = Cell::new(r.verdict.as_str());
        if color {
            verdict = verdict.fg(match r.verdict {
                super::Verdict::Ready => Color::Green,
                super::Verdict::Incomplete => Color::Yellow,
                super::Verdict::NotReady => Color::Red,
            });
        }
        let mut row = Vec::new();
        if with_account {
            row.push(Cell::new(&r.account));
        }
        row.extend([
            Cell::new(wrap::cut(&r.role, role_w)),
            Cell::new(wrap::cut(&r.key, key_w)),
            verdict,
            Cell::new(pack(&r.failing, fail_w)),
        ]);
        t.add_row(row);
    }
    let mut out = t.to_string();
    out.push('\n');
    use super::accounts::AccountStatus;
    // Every account that was entered, then every one that could not be: never hidden.
    for a in accounts
        .iter()
        .filter(|a| a.status != AccountStatus::Skipped)
    {
        if a.status == AccountStatus::Unreadable {
            continue;
        }
        out.push_str(&wrap::prose(
            &format!(
                "account {}: {} roles examined, {} trust OpenAI, {} keys examined",
                a.label(),
                a.roles_examined,
                a.ekm_roles,
                a.keys_examined
            ),
            width,
            "",
            "  ",
        ));
        for e in &a.errors {
            out.push_str(&wrap::prose(&format!("error: {e}"), width, "  ", "    "));
        }
    }
    for a in accounts
        .iter()
        .filter(|a| a.status == AccountStatus::Unreadable)
    {
        out.push_str(&wrap::prose(&a.describe(), width, "", "  "));
    }
    let summary = super::accounts::summarize(reports, accounts);
    if accounts.len() > 1 || summary.skipped > 0 || summary.unreadable > 0 {
        out.push_str(&wrap::prose(&summary.line(), width, "", "  "));
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
