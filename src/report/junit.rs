//! `--format junit`: one `<testsuite>` per checked target (a role and key pair), one
//! `<testcase>` per rule named `EKMnnn slug`, classname by rule family. A failing rule that gates
//! is a `<failure>` (message and fix), an undecided one an `<error>`, a skipped or suppressed one
//! `<skipped>` with the reason.
//!
//! junit-report writes text into CDATA sections and attributes as it is; XML 1.0 cannot hold
//! control characters, and CDATA cannot hold `]]>`: [`xml_safe`] makes every text safe first.

use junit_report::{Duration, OffsetDateTime, ReportBuilder, TestCaseBuilder, TestSuiteBuilder};

use super::Report;
use crate::rules::{Finding, Status};

/// Text that XML 1.0 can carry, inside CDATA too: ANSI escape sequences removed, other control
/// characters (but tab and newlines) replaced by U+FFFD, and `]]>` split so it cannot end a CDATA
/// section.
pub fn xml_safe(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            // ESC [ … final byte: a CSI sequence (colours and cursor moves).
            '\u{1b}' => {
                if chars.peek() == Some(&'[') {
                    chars.next();
                    while let Some(&n) = chars.peek() {
                        chars.next();
                        if ('\u{40}'..='\u{7e}').contains(&n) {
                            break;
                        }
                    }
                }
            }
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{7f}' || c == '\u{fffe}' || c == '\u{ffff}' => {
                out.push('\u{fffd}')
            }
            c => out.push(c),
        }
    }
    out.replace("]]>", "]] >")
}

fn details(f: &Finding) -> String {
    let mut s = f.message.clone();
    for e in &f.evidence {
        s.push_str("\nat ");
        s.push_str(&e.location());
    }
    if let Some(fix) = &f.remediation {
        s.push_str("\nfix:\n");
        s.push_str(fix);
    }
    xml_safe(&s)
}

/// The suite's name: what was checked.
fn suite_name(r: &Report) -> String {
    let role = r.registration.role_arn.as_deref().unwrap_or("(no role)");
    let key = r.registration.kms_arn.as_deref().unwrap_or("(no key)");
    xml_safe(&format!("ekm-check {role} {key}"))
}

/// Render the reports. `timestamp` makes the output reproducible.
pub fn render(reports: &[Report], timestamp: OffsetDateTime) -> String {
    render_scan(reports, &[], timestamp)
}

/// A scan: the targets' suites, then one suite `ekm-check accounts` with a testcase per account
/// (a failure for one read incompletely or not at all, skipped for one left out by a filter).
pub fn render_scan(
    reports: &[Report],
    accounts: &[super::accounts::AccountEntry],
    timestamp: OffsetDateTime,
) -> String {
    let mut builder = ReportBuilder::new();
    for r in reports {
        let mut suite = TestSuiteBuilder::new(&suite_name(r));
        suite.set_timestamp(timestamp);
        suite.set_system_out(&xml_safe(&format!(
            "source: {}\nverdict: {}",
            r.source,
            r.verdict().as_str()
        )));
        for f in &r.findings {
            let name = format!("{} {}", f.rule.id, f.rule.slug);
            let mut tc = match f.status {
                _ if f.suppressed.is_some() => TestCaseBuilder::skipped_with_cause(
                    &name,
                    "suppressed",
                    &xml_safe(&format!(
                        "suppressed: {}",
                        f.suppressed
                            .as_ref()
                            .map(|s| s.reason.as_str())
                            .unwrap_or_default()
                    )),
                ),
                Status::Pass => TestCaseBuilder::success(&name, Duration::ZERO),
                Status::Fail if r.gates(f) => TestCaseBuilder::failure(
                    &name,
                    Duration::ZERO,
                    f.severity.as_str(),
                    &xml_safe(&f.message),
                ),
                // A finding below --fail-on is reported, but does not fail the suite.
                Status::Fail => {
                    let mut b = TestCaseBuilder::success(&name, Duration::ZERO);
                    b.set_system_out(&xml_safe(&format!(
                        "{}: {}",
                        f.severity.as_str(),
                        f.message
                    )));
                    b
                }
                Status::Unknown if r.gates(f) => {
                    TestCaseBuilder::error(&name, Duration::ZERO, "unknown", &xml_safe(&f.message))
                }
                Status::Unknown => {
                    let mut b = TestCaseBuilder::success(&name, Duration::ZERO);
                    b.set_system_out(&xml_safe(&format!("unknown: {}", f.message)));
                    b
                }
                Status::Skipped => {
                    TestCaseBuilder::skipped_with_cause(&name, "skipped", &xml_safe(&f.message))
                }
            };
            tc.set_classname(&format!("ekm-check.{}", f.rule.family.as_str()));
            if matches!(f.status, Status::Fail | Status::Unknown) && f.suppressed.is_none() {
                tc.set_trace(&details(f));
            }
            if let Some(file) = f.evidence.iter().find_map(|e| e.file.as_deref()) {
                tc.set_filepath(&xml_safe(file));
            }
            suite.add_testcase(tc.build());
        }
        builder.add_testsuite(suite.build());
    }
    if !accounts.is_empty() {
        use super::accounts::AccountStatus;
        let mut suite = TestSuiteBuilder::new("ekm-check accounts");
        suite.set_timestamp(timestamp);
        suite.set_system_out(&xml_safe(
            &super::accounts::summarize(reports, accounts).line(),
        ));
        for a in accounts {
            let name = xml_safe(&format!("account {}", a.label()));
            let mut tc = match a.status {
                AccountStatus::Scanned => TestCaseBuilder::success(&name, Duration::ZERO),
                AccountStatus::Skipped => TestCaseBuilder::skipped_with_cause(
                    &name,
                    "skipped",
                    &xml_safe(a.reason.as_deref().unwrap_or("skipped")),
                ),
                AccountStatus::Incomplete | AccountStatus::Unreadable => TestCaseBuilder::failure(
                    &name,
                    Duration::ZERO,
                    a.status.as_str(),
                    &xml_safe(&a.describe()),
                ),
            };
            tc.set_classname("ekm-check.accounts");
            suite.add_testcase(tc.build());
        }
        builder.add_testsuite(suite.build());
    }
    let mut out = Vec::new();
    if builder.build().write_xml(&mut out).is_err() {
        return String::new();
    }
    let mut s = String::from_utf8(out).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::xml_safe;

    #[test]
    fn unsafe_text_is_made_safe() {
        assert_eq!(xml_safe("a]]>b"), "a]] >b");
        assert_eq!(xml_safe("\u{1b}[31mred\u{1b}[0m"), "red");
        assert_eq!(xml_safe("x\u{0}y\u{7}z\tq\n"), "x\u{fffd}y\u{fffd}z\tq\n");
        assert_eq!(xml_safe("é ✓"), "é ✓");
    }
}
