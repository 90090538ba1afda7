//! The table fits the width it is given: rows always, detail lines except what cannot be broken
//! (JSON and shell commands of fixes, a single long word such as an ARN, a backquoted command).
//! And a fix's JSON is printed byte for byte, so that it pastes.

use std::path::Path;

use ekm_check::report::table::{self, DEFAULT_WIDTH, MIN_WIDTH, width_from};
use ekm_check::report::{FailOn, Report, wrap};
use ekm_check::rules::{self, Finding};

/// A report for every fixture checked from a snapshot.
fn reports() -> Vec<(String, Report)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut v = Vec::new();
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    for d in dirs {
        let snap = d.join("snapshot.json");
        if !snap.exists() {
            continue;
        }
        let node = ekm_check::input::read_json(&snap).unwrap();
        let Ok(inputs) = ekm_check::snapshot::to_inputs(&node, "snapshot.json") else {
            continue;
        };
        let findings = rules::run_all(&inputs);
        let name = d.file_name().unwrap().to_string_lossy().to_string();
        v.push((
            name.clone(),
            Report {
                registration: inputs.registration.clone(),
                source: format!("snapshot {name}"),
                findings,
                fail_on: FailOn::Error,
                notes: vec![format!(
                    "a note long enough to need wrapping at sixty columns, about {name}, which it must do at spaces"
                )],
                fixed: Vec::new(),
                assumed: vec![format!(
                    "an assumption long enough to need wrapping at sixty columns, about {name}"
                )],
                origins: Default::default(),
                reads: None,
            },
        ));
    }
    assert!(v.len() > 40, "{} fixtures with a snapshot", v.len());
    v
}

/// The lines a finding's texts hold verbatim (JSON, commands): these may overflow.
fn verbatim(findings: &[Finding]) -> Vec<String> {
    findings
        .iter()
        .flat_map(|f| {
            f.message
                .lines()
                .chain(f.remediation.as_deref().unwrap_or_default().lines())
                .filter(|l| wrap::is_verbatim(l))
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A line that cannot be broken: one word, or one backquoted span.
fn unbreakable(line: &str) -> bool {
    let t = line.trim_start().trim_start_matches('(');
    !t.contains(' ')
        || (t.starts_with('`')
            && t.matches('`').count() == 2
            && t.trim_end_matches([',', '.', ';', ':', ')']).ends_with('`'))
}

/// The lines wider than `width` that should have been wrapped.
fn too_wide(text: &str, width: usize, findings: &[Finding]) -> Vec<String> {
    let ok = verbatim(findings);
    text.lines()
        .filter(|l| wrap::width(l) > width)
        .filter(|l| {
            let is_row = l.starts_with(['│', '┌', '└', '╞', '├']);
            is_row || !(unbreakable(l) || ok.iter().any(|v| l.trim_start() == v.trim_start()))
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn every_report_fits_60_80_and_120_columns() {
    for (name, r) in reports() {
        for width in [60, 80, 120] {
            let text = table::render(&r, false, width);
            let bad = too_wide(&text, width, &r.findings);
            assert!(bad.is_empty(), "{name} at {width}: {bad:#?}");
        }
        // The failing case: laid out for 200 columns, the same report does not fit 60.
        let wide = table::render(&r, false, 200);
        assert!(!too_wide(&wide, 60, &r.findings).is_empty(), "{name}");
    }
}

#[test]
fn the_message_column_follows_the_width_and_the_name_goes_when_narrow() {
    let (_, r) = reports().remove(0);
    let header = |w: usize| {
        table::render(&r, false, w)
            .lines()
            .nth(1)
            .unwrap()
            .to_string()
    };
    assert!(header(120).contains(" name "));
    assert!(!header(100).contains(" name "));
    assert!(!header(60).contains(" name "));
    let row_width = |w: usize| {
        let t = table::render(&r, false, w);
        t.lines().map(wrap::width).next().unwrap()
    };
    assert!(row_width(60) < row_width(80));
    assert!(row_width(80) < row_width(100));
    assert!(row_width(120) <= 120 && row_width(200) > 120);
}

#[test]
fn a_fix_json_block_is_byte_identical_to_the_remediation() {
    let mut checked = 0;
    for (name, r) in reports() {
        for width in [60, DEFAULT_WIDTH] {
            let text = table::render(&r, false, width);
            for f in &r.findings {
                let Some(fix) = &f.remediation else { continue };
                if !matches!(f.status, rules::Status::Fail | rules::Status::Unknown) {
                    continue;
                }
                // Each JSON block of the fix: from a line `{` to the line `}` that closes it.
                let mut block: Option<String> = None;
                for line in fix.lines() {
                    if line == "{" {
                        block = Some(String::new());
                    }
                    if let Some(b) = block.as_mut() {
                        b.push_str(line);
                        b.push('\n');
                    }
                    if line == "}" {
                        let b = block.take().unwrap();
                        serde_json::from_str::<serde_json::Value>(&b).unwrap();
                        let printed: String = b.lines().map(|l| format!("    {l}\n")).collect();
                        assert!(
                            text.contains(&printed),
                            "{name} {} at {width}: the fix's JSON is not printed as is:\n{printed}\n---\n{text}",
                            f.rule.id
                        );
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked > 20, "{checked} JSON blocks");
}

#[test]
fn scan_table_fits_too() {
    let all: Vec<Report> = reports().into_iter().map(|(_, r)| r).collect();
    for width in [60, 80, 120] {
        let text = table::render_scan(&all, &[], false, width);
        for l in text.lines() {
            assert!(wrap::width(l) <= width, "{width}: {l}\n{text}");
        }
        assert_eq!(text.contains(" account "), width >= 80, "{width}:\n{text}");
    }
    // Without the layout, the rows are wider than 60 columns.
    let wide = table::render_scan(&all, &[], false, 300);
    assert!(wide.lines().any(|l| wrap::width(l) > 60));
}

#[test]
fn the_width_comes_from_columns_then_the_terminal() {
    assert_eq!(width_from(Some("132"), Some(80)), 132);
    assert_eq!(width_from(Some(" 90 "), None), 90);
    assert_eq!(width_from(Some("wide"), Some(80)), 80);
    assert_eq!(width_from(Some("0"), Some(80)), 80);
    assert_eq!(width_from(None, Some(80)), 80);
    assert_eq!(width_from(None, None), DEFAULT_WIDTH);
    assert_eq!(width_from(Some("20"), None), MIN_WIDTH);
    // Off a terminal the width is fixed, whatever COLUMNS says.
    assert_eq!(table::width_for(false), DEFAULT_WIDTH);
}
