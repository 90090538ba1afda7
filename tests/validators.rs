//! The reports against real consumers: the official SARIF validator (`@microsoft/sarif-multitool
//! validate`) and a JUnit reader (`junitparser`), both installed by `scripts/test-all`. Each
//! scenario's golden SARIF and JUnit files are validated, plus a report made of hostile text.
//! A golden SARIF file holds the log without the driver's rules (tests/fixtures.rs compares those
//! once, with `fixtures/sarif-driver-rules.json`): the log validated is the golden with the rules
//! put back, which is what the tool wrote.

use std::path::{Path, PathBuf};
use std::process::Command;

fn tool(var: &str, what: &str) -> Option<PathBuf> {
    match std::env::var(var) {
        Ok(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "{var} is not set: run the tests through scripts/test-all, which installs {what}"
                );
            }
            eprintln!("skipped: {what} is not installed (run scripts/test-all)");
            None
        }
    }
}

fn goldens(name: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path().join("expected").join(name))
        .filter(|p| p.is_file())
        .collect();
    v.sort();
    v
}

/// A snapshot whose texts hold what breaks XML: `]]>`, control characters, an ANSI escape.
fn hostile_report(format: &str) -> String {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/ok-baseline/snapshot.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(base).unwrap()).unwrap();
    v["role"]["trust_policy"]["Statement"][0]["Sid"] = "x]]>y\u{7}\u{1b}[31mred\u{0}".into();
    v["role"]["trust_policy"]["Statement"][0]["Principal"]["AWS"] =
        "arn:aws:iam::444455556666:role/Other]]>".into();
    let dir = std::env::temp_dir().join(format!("ekm-hostile-{}-{format}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("snapshot.json");
    std::fs::write(&f, serde_json::to_string(&v).unwrap()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ekm-check"))
        .args([
            "check",
            "--snapshot",
            f.to_str().unwrap(),
            "--format",
            format,
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A scan of two accounts, one of them unreadable: what the scan reporters add for accounts.
fn scan_report(format: &str) -> String {
    use ekm_check::report::accounts::{AccountEntry, AccountStatus};
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/ok-baseline/snapshot.json");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(base).unwrap()).unwrap();
    let inputs = ekm_check::snapshot::from_aws(&v).unwrap();
    let report = ekm_check::report::Report {
        registration: inputs.registration.clone(),
        source: "AWS account 111122223333".into(),
        findings: ekm_check::rules::run_all(&inputs),
        fail_on: ekm_check::report::FailOn::Error,
        notes: Vec::new(),
        fixed: Vec::new(),
        assumed: Vec::new(),
        origins: Default::default(),
        reads: None,
    };
    let entry = |id: &str, status: AccountStatus, errors: Vec<String>| AccountEntry {
        id: Some(id.into()),
        name: Some("prod]]>\u{7}".into()),
        status,
        via: format!("role arn:aws:iam::{id}:role/ekm-audit"),
        role_arn: Some(format!("arn:aws:iam::{id}:role/ekm-audit")),
        reason: None,
        errors,
        roles_examined: 3,
        ekm_roles: 1,
        keys_examined: 1,
        targets: 1,
    };
    let accounts = vec![
        entry("111122223333", AccountStatus::Scanned, vec![]),
        entry(
            "444455556666",
            AccountStatus::Unreadable,
            vec!["could not enter the account: AccessDenied]]>".into()],
        ),
    ];
    let reports = [report];
    match format {
        "sarif" => ekm_check::report::sarif::render_scan(&reports, &accounts),
        _ => ekm_check::report::junit::render_scan(
            &reports,
            &accounts,
            time::OffsetDateTime::UNIX_EPOCH,
        ),
    }
}

#[test]
fn a_scan_names_its_unreadable_accounts_in_sarif_and_junit() {
    let sarif: serde_json::Value = serde_json::from_str(&scan_report("sarif")).unwrap();
    let inv = &sarif["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false, "{inv:#}");
    let notes = inv["toolExecutionNotifications"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "only the unreadable account: {notes:#?}");
    assert!(
        notes[0]["message"]["text"]
            .as_str()
            .unwrap()
            .contains("444455556666"),
        "{notes:#?}"
    );
    assert_eq!(inv["properties"]["summary"]["unreadable"], 1);
    let junit = scan_report("junit");
    assert!(
        junit.contains(r#"<testsuite id="1" name="ekm-check accounts""#)
            || junit.contains(r#"name="ekm-check accounts""#),
        "{junit}"
    );
    assert!(junit.contains("unreadable"), "{junit}");
}

/// Each scenario's golden SARIF log with the shared driver's rules put back, as the tool wrote
/// it, in a temporary directory.
fn whole_sarif_goldens() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rules: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("fixtures/sarif-driver-rules.json")).unwrap(),
    )
    .unwrap();
    let dir = std::env::temp_dir().join(format!("ekm-sarif-goldens-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut out = Vec::new();
    for golden in goldens("report.sarif") {
        let mut log: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&golden).unwrap()).unwrap();
        for run in log["runs"].as_array_mut().unwrap() {
            let ids = &run["tool"]["driver"]["rules"];
            let want: Vec<&serde_json::Value> =
                rules.as_array().unwrap().iter().map(|r| &r["id"]).collect();
            assert_eq!(
                ids.as_array().unwrap().iter().collect::<Vec<_>>(),
                want,
                "{}: the rule ids differ from the shared rules'",
                golden.display()
            );
            run["tool"]["driver"]["rules"] = rules.clone();
        }
        let scenario = golden
            .parent()
            .unwrap()
            .parent()
            .unwrap()
            .file_name()
            .unwrap();
        let f = dir.join(scenario).with_extension("sarif");
        std::fs::write(&f, serde_json::to_string_pretty(&log).unwrap()).unwrap();
        out.push(f);
    }
    out
}

#[test]
fn sarif_passes_the_official_validator() {
    let Some(multitool) = tool("EKM_TEST_SARIF_MULTITOOL", "the SARIF multitool") else {
        return;
    };
    let mut files = whole_sarif_goldens();
    assert!(files.len() >= 10, "golden SARIF files: {}", files.len());
    let hostile = std::env::temp_dir().join(format!("ekm-hostile-{}.sarif", std::process::id()));
    std::fs::write(&hostile, hostile_report("sarif")).unwrap();
    files.push(hostile);
    let scan = std::env::temp_dir().join(format!("ekm-scan-{}.sarif", std::process::id()));
    std::fs::write(&scan, scan_report("sarif")).unwrap();
    files.push(scan);
    for f in files {
        let out = Command::new(&multitool)
            .args(["validate", f.to_str().unwrap()])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{}: {text}", f.display());
        assert!(
            !text.contains(": error "),
            "{}: the validator reports errors:\n{text}",
            f.display()
        );
    }
}

#[test]
fn junit_is_read_by_junitparser() {
    let Some(python) = tool("EKM_TEST_PYTHON", "the JUnit reader (junitparser)") else {
        return;
    };
    let mut files = goldens("junit.xml");
    assert!(files.len() >= 10, "golden JUnit files: {}", files.len());
    let hostile = std::env::temp_dir().join(format!("ekm-hostile-{}.xml", std::process::id()));
    std::fs::write(&hostile, hostile_report("junit")).unwrap();
    files.push(hostile);
    let scan = std::env::temp_dir().join(format!("ekm-scan-{}.xml", std::process::id()));
    std::fs::write(&scan, scan_report("junit")).unwrap();
    files.push(scan);
    // Parse strictly, and check the counts agree with the test cases.
    let script = r#"
import sys
from junitparser import JUnitXml, Failure, Error, Skipped
for path in sys.argv[1:]:
    xml = JUnitXml.fromfile(path)
    for suite in xml:
        cases = list(suite)
        props = {p.name: p.value for p in suite.properties()}
        assert props.get("exit-code") in ("0", "1"), (path, props)
        if suite.name == "ekm-check accounts":
            fails = [c for c in cases for r in c.result if isinstance(r, Failure)]
            assert len(fails) == 1 and "444455556666" in fails[0].name, (path, [c.name for c in cases])
            assert suite.failures == 1, path
            assert props["gate"] == "fail" and props["exit-code"] == "1", (path, props)
            continue
        assert len(cases) == RULES, (path, len(cases))
        fails = [r for c in cases for r in c.result if isinstance(r, Failure)]
        errors = sum(1 for c in cases for r in c.result if isinstance(r, Error))
        skipped = sum(1 for c in cases for r in c.result if isinstance(r, Skipped))
        assert suite.failures == len(fails) and suite.errors == errors and suite.skipped == skipped, path
        # A failing or undecided rule is a failure typed by its severity, never an error.
        assert errors == 0, path
        assert all(f.type in ("error", "warning", "info") for f in fails), (path, [f.type for f in fails])
        # The gate decision: the gating rules are failures, and the gate fails iff there are any.
        assert props["verdict"] in ("ready", "not-ready", "incomplete"), (path, props)
        assert props["fail-on"] in ("error", "warning", "never"), (path, props)
        gating = props["gating"].split()
        assert props["gate"] == ("fail" if gating else "pass"), (path, props)
        failed = {c.name.split()[0] for c in cases for r in c.result if isinstance(r, Failure)}
        assert set(gating) <= failed, (path, gating, failed)
        if gating:
            assert props["exit-code"] == "1", (path, props)
        for c in cases:
            assert c.name.startswith("EKM") and c.classname.startswith("ekm-check."), (path, c.name)
print("ok", len(sys.argv) - 1)
"#;
    // Every rule of the catalogue is one test case.
    let script = script.replace("RULES", &ekm_check::rules::RULES.len().to_string());
    let out = Command::new(&python)
        .arg("-c")
        .arg(&script)
        .args(files.iter().map(|f| f.to_str().unwrap()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "junitparser rejected a report:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
