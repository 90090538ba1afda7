//! `--format junit`: one `<testsuite>` per checked target (a role and key pair), one
//! `<testcase>` per rule named `EKMnnn slug`, classname by rule family. A testcase mirrors its
//! rule's status, as other linters' JUnit reports do: a failing or undecided rule is a
//! `<failure>` whatever its severity, with the severity (`error`, `warning`, `info`) as its
//! `type`; a skipped or suppressed one is `<skipped>` with the reason; a passing one is a bare
//! testcase. Whether a failure fails the gate is in its text; the gate decision (verdict,
//! `--fail-on`, whether the gate passes, the rules that fail it, the run's exit code) is in the
//! suite's `<properties>` and its `system-out`.
//!
//! junit-report writes text into CDATA sections and attributes as it is; XML 1.0 cannot hold
//! control characters, and CDATA cannot hold `]]>`: [`xml_safe`] makes every text safe first.
//! junit-report writes no `<properties>`: [`with_properties`] adds them to its output.

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

/// A failure's text: the message, whether it fails the gate, where, and the fix.
fn details(r: &Report, f: &Finding) -> String {
    let mut s = f.message.clone();
    s.push('\n');
    s.push_str(&gate_line(r, f));
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

/// Does this failing or undecided finding fail the gate, and why (or why not)?
fn gate_line(r: &Report, f: &Finding) -> String {
    let sev = f.severity.as_str();
    let fail_on = r.fail_on.as_str();
    match r.fail_on {
        _ if r.gates(f) => format!("{sev}, at or above --fail-on {fail_on}: fails the gate"),
        crate::report::FailOn::Never => "--fail-on never: does not fail the gate".to_string(),
        _ => format!("{sev}, below --fail-on {fail_on}: does not fail the gate"),
    }
}

/// A failure's `message`: the rule's message, said to be undecided when it is.
fn headline(f: &Finding) -> String {
    match f.status {
        Status::Unknown => xml_safe(&format!("could not be decided: {}", f.message)),
        _ => xml_safe(&f.message),
    }
}

/// The suite's name: what was checked.
fn suite_name(r: &Report) -> String {
    let role = r.registration.role_arn.as_deref().unwrap_or("(no role)");
    let key = r.registration.kms_arn.as_deref().unwrap_or("(no key)");
    xml_safe(&format!("ekm-check {role} {key}"))
}

/// One target's gate decision: `<properties>` (name, value) and the lines of its `system-out`.
fn gate_decision(r: &Report, exit: u8) -> (Vec<(&'static str, String)>, String) {
    let gating: Vec<&str> = r.gating().map(|f| f.rule.id).collect();
    let below: Vec<String> = r
        .findings
        .iter()
        .filter(|f| {
            f.suppressed.is_none()
                && matches!(f.status, Status::Fail | Status::Unknown)
                && !r.gates(f)
        })
        .map(|f| format!("{} ({})", f.rule.id, f.severity.as_str()))
        .collect();
    let fail_on = r.fail_on.as_str();
    let gate = if gating.is_empty() { "pass" } else { "fail" };
    let props = vec![
        ("source", r.source.clone()),
        ("verdict", r.verdict().as_str().to_string()),
        ("fail-on", fail_on.to_string()),
        ("gate", gate.to_string()),
        ("gating", gating.join(" ")),
        ("exit-code", exit.to_string()),
    ];
    let mut gate_text = if gating.is_empty() {
        format!("gate: pass (--fail-on {fail_on})")
    } else {
        format!("gate: fail (--fail-on {fail_on}): {}", gating.join(", "))
    };
    if !below.is_empty() {
        gate_text.push_str(&format!("; reported, not gating: {}", below.join(", ")));
    }
    let out = format!(
        "source: {}\nverdict: {}\n{gate_text}\nexit code: {exit}",
        r.source,
        r.verdict().as_str()
    );
    (props, xml_safe(&out))
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
    let exit = super::exit_code(reports, accounts);
    let mut builder = ReportBuilder::new();
    let mut properties = Vec::new();
    for r in reports {
        let mut suite = TestSuiteBuilder::new(&suite_name(r));
        suite.set_timestamp(timestamp);
        let (props, out) = gate_decision(r, exit);
        properties.push(props);
        suite.set_system_out(&out);
        for f in &r.findings {
            let name = format!("{} {}", f.rule.id, f.rule.slug);
            let mut tc = match (&f.suppressed, f.status) {
                (Some(s), _) => TestCaseBuilder::skipped_with_cause(
                    &name,
                    "suppressed",
                    &xml_safe(&format!("suppressed: {}", s.reason)),
                ),
                (None, Status::Pass) => TestCaseBuilder::success(&name, Duration::ZERO),
                // Every finding is a failure, typed by its severity; the text says whether it
                // fails the gate.
                (None, Status::Fail | Status::Unknown) => {
                    let mut b = TestCaseBuilder::failure(
                        &name,
                        Duration::ZERO,
                        f.severity.as_str(),
                        &headline(f),
                    );
                    b.set_trace(&details(r, f));
                    b
                }
                (None, Status::Skipped) => {
                    TestCaseBuilder::skipped_with_cause(&name, "skipped", &xml_safe(&f.message))
                }
            };
            tc.set_classname(&format!("ekm-check.{}", f.rule.family.as_str()));
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
        let failed: Vec<String> = accounts
            .iter()
            .filter(|a| a.status.fails())
            .map(|a| a.label())
            .collect();
        let gate = if failed.is_empty() { "pass" } else { "fail" };
        properties.push(vec![
            ("gate", gate.to_string()),
            ("exit-code", exit.to_string()),
        ]);
        suite.set_system_out(&xml_safe(&format!(
            "{}\ngate: {gate}{}\nexit code: {exit}",
            super::accounts::summarize(reports, accounts).line(),
            if failed.is_empty() {
                String::new()
            } else {
                format!(": not read completely: {}", failed.join(", "))
            }
        )));
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
    let mut s = with_properties(&String::from_utf8(out).unwrap_or_default(), &properties);
    s.push('\n');
    s
}

/// An attribute value: XML-escaped, and safe for XML 1.0.
fn attr(s: &str) -> String {
    xml_safe(s)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\n', "&#10;")
}

/// junit-report's XML with a `<properties>` element first in each `<testsuite>` (where the
/// JUnit schema puts it): `properties[i]` for the i-th suite, in order. A start tag ends at the
/// first `>` outside a quoted attribute value.
pub fn with_properties(xml: &str, properties: &[Vec<(&str, String)>]) -> String {
    let mut out = String::with_capacity(xml.len() + properties.len() * 256);
    let mut rest = xml;
    for props in properties {
        let Some(start) = rest.find("<testsuite ") else {
            break;
        };
        let mut quoted = false;
        let Some(end) = rest[start..].char_indices().find_map(|(i, c)| match c {
            '"' => {
                quoted = !quoted;
                None
            }
            '>' if !quoted => Some(start + i),
            _ => None,
        }) else {
            break;
        };
        // A suite with no testcase and no output is an empty element: give it a body.
        let empty = rest[..end].ends_with('/');
        let tag_end = if empty { end - 1 } else { end };
        out.push_str(&rest[..tag_end]);
        out.push_str("><properties>");
        for (name, value) in props {
            out.push_str(&format!(
                r#"<property name="{}" value="{}"/>"#,
                attr(name),
                attr(value)
            ));
        }
        out.push_str("</properties>");
        if empty {
            out.push_str("</testsuite>");
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::{with_properties, xml_safe};

    #[test]
    fn unsafe_text_is_made_safe() {
        assert_eq!(xml_safe("a]]>b"), "a]] >b");
        assert_eq!(xml_safe("\u{1b}[31mred\u{1b}[0m"), "red");
        assert_eq!(xml_safe("x\u{0}y\u{7}z\tq\n"), "x\u{fffd}y\u{fffd}z\tq\n");
        assert_eq!(xml_safe("é ✓"), "é ✓");
    }

    #[test]
    fn properties_go_first_in_each_suite() {
        let xml = r#"<testsuites><testsuite id="0" name="a &gt; &quot;b&quot;"><testcase name="x"/></testsuite><testsuite id="1" name="c"/></testsuites>"#;
        let props = [
            vec![("gate", "fail".to_string())],
            vec![
                ("exit-code", "1".to_string()),
                ("odd", "<\"]]>\u{7}\n".to_string()),
            ],
        ];
        assert_eq!(
            with_properties(xml, &props),
            concat!(
                r#"<testsuites><testsuite id="0" name="a &gt; &quot;b&quot;"><properties>"#,
                r#"<property name="gate" value="fail"/></properties><testcase name="x"/></testsuite>"#,
                r#"<testsuite id="1" name="c"><properties><property name="exit-code" value="1"/>"#,
                r#"<property name="odd" value="&lt;&quot;]] &gt;"#,
                "\u{fffd}",
                r#"&#10;"/></properties>"#,
                r#"</testsuite></testsuites>"#
            )
        );
    }
}
