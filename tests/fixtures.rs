//! Scenario fixtures: `fixtures/<scenario>/` with `args`, `expect.toml` and golden outputs in
//! `expected/`. Bless after an intended change: `EKM_BLESS=1 cargo test --test fixtures`.
//!
//! The SARIF driver's rules (every rule's descriptions and whole documentation) are the same in
//! every scenario: they are compared once, with `fixtures/sarif-driver-rules.json`, and each
//! scenario's `expected/report.sarif` holds the rest of the log, with the rules replaced by
//! their ids. The tool itself always writes the whole rules (GitHub code scanning needs them).

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("args").is_file())
        .collect();
    v.sort();
    v
}

/// Does this rule decide OpenAI's path? The contract: the error-level rules about the key, the
/// key policy, the role, the trust policy and the organization's guardrails (written here independently of the library's own
/// `RuleMeta::decides_path`, which must agree).
fn decides_path(id: &str) -> bool {
    use ekm_check::rules::{Family, Severity};
    let r = ekm_check::rules::find(id).expect("a rule of the catalogue");
    let by_contract = r.meta.severity == Severity::Error
        && matches!(
            r.meta.family,
            Family::Key | Family::KeyPolicy | Family::Role | Family::Trust | Family::Organization
        );
    assert_eq!(by_contract, r.meta.decides_path(), "{id}");
    by_contract
}

fn run(dir: &Path, extra: &[&str]) -> (i32, String, String) {
    let args: Vec<String> = std::fs::read_to_string(dir.join("args"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    let out = Command::new(env!("CARGO_BIN_EXE_ekm-check"))
        .args(&args)
        .args(extra)
        .current_dir(dir)
        .env_remove("EKM_KMS_ARN")
        .env_remove("EKM_ROLE_ARN")
        .env_remove("EKM_EXTERNAL_ID")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Compare with the golden file, or write it when blessing. Returns a failure line.
fn golden(path: &Path, actual: &str) -> Option<String> {
    if std::env::var_os("EKM_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, actual).unwrap();
        return None;
    }
    match std::fs::read_to_string(path) {
        Ok(expected) if expected == actual => None,
        Ok(expected) => {
            let line = expected
                .lines()
                .zip(actual.lines())
                .position(|(a, b)| a != b)
                .map(|i| i + 1)
                .unwrap_or(expected.lines().count().min(actual.lines().count()) + 1);
            Some(format!(
                "{} differs from the output at line {line} (bless with EKM_BLESS=1 if intended)",
                path.display()
            ))
        }
        Err(_) => Some(format!(
            "{} is missing (run EKM_BLESS=1 cargo test --test fixtures)",
            path.display()
        )),
    }
}

/// The shared golden of the SARIF driver's rules.
const SARIF_RULES: &str = "fixtures/sarif-driver-rules.json";

/// A SARIF log split into (the log with each run's `tool.driver.rules` replaced by the rules'
/// ids, the rules), both pretty-printed as the tool prints. Every run must have the same rules,
/// and each result's `ruleIndex` must point at its `ruleId`.
fn split_sarif(sarif: &str) -> Result<(String, String), String> {
    let mut log: serde_json::Value =
        serde_json::from_str(sarif).map_err(|e| format!("SARIF is not JSON: {e}"))?;
    let mut rules: Option<serde_json::Value> = None;
    let runs = log["runs"].as_array_mut().ok_or("SARIF without runs")?;
    for run in runs {
        let these = run["tool"]["driver"]["rules"].take();
        let list = these.as_array().ok_or("a run without tool.driver.rules")?;
        for r in run["results"].as_array().into_iter().flatten() {
            let at = r["ruleIndex"].as_u64().and_then(|i| list.get(i as usize));
            if at.map(|x| &x["id"]) != Some(&r["ruleId"]) {
                return Err(format!(
                    "result {} has ruleIndex {}, which is not its rule",
                    r["ruleId"], r["ruleIndex"]
                ));
            }
        }
        run["tool"]["driver"]["rules"] = list.iter().map(|x| x["id"].clone()).collect();
        match &rules {
            Some(prev) if *prev != these => return Err("the runs' rules differ".into()),
            Some(_) => {}
            None => rules = Some(these),
        }
    }
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap() + "\n";
    Ok((pretty(&log), pretty(&rules.unwrap_or_default())))
}

#[test]
fn scenarios() {
    let mut failures = Vec::new();
    // The SARIF driver's rules of the first scenario with a SARIF report; the others must equal it.
    let mut sarif_rules: Option<String> = None;
    let all = fixtures();
    assert!(!all.is_empty());
    for dir in &all {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let expect: toml::Table = toml::from_str(
            &std::fs::read_to_string(dir.join("expect.toml"))
                .unwrap_or_else(|_| panic!("{name}: no expect.toml")),
        )
        .unwrap_or_else(|e| panic!("{name}/expect.toml: {e}"));
        let (code, json_out, stderr) = run(dir, &["--format", "json"]);
        let want_exit = expect
            .get("exit")
            .and_then(|v| v.as_integer())
            .expect("exit") as i32;
        if code != want_exit {
            failures.push(format!(
                "{name}: exit {code}, expected {want_exit}; stderr: {stderr}"
            ));
        }
        let no_report = expect.get("no_report").and_then(|v| v.as_bool()) == Some(true);
        if code == 2 || no_report {
            // Usage or input error, or nothing to check: the message is the output to compare.
            if no_report && !json_out.is_empty() {
                failures.push(format!("{name}: wrote a report: {json_out}"));
            }
            if let Some(f) = golden(&dir.join("expected/stderr.txt"), &stderr) {
                failures.push(format!("{name}: {f}"));
            }
            continue;
        }
        let report: serde_json::Value = match serde_json::from_str::<serde_json::Value>(&json_out) {
            // A multi-target report (scan, IaC): the scenario is about its first target.
            Ok(v) if v["format"] == "ekm-check.scan/v1" => v["targets"][0].clone(),
            Ok(v) => v,
            Err(e) => {
                failures.push(format!(
                    "{name}: output is not JSON: {e}\n{json_out}\n{stderr}"
                ));
                continue;
            }
        };
        if let Some(v) = expect.get("verdict").and_then(|v| v.as_str()) {
            if report["verdict"] != v {
                failures.push(format!(
                    "{name}: verdict {}, expected {v}",
                    report["verdict"]
                ));
            }
        }
        if let Some(toml::Value::Table(statuses)) = expect.get("status") {
            for (rule, want) in statuses {
                let got = report["results"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|r| r["rule"] == rule.as_str());
                let Some(got) = got else {
                    failures.push(format!("{name}: no result for {rule}"));
                    continue;
                };
                if got["status"] != want.as_str().unwrap() {
                    failures.push(format!(
                        "{name}: {rule} is {} ({}), expected {}",
                        got["status"], got["message"], want
                    ));
                }
            }
        }
        // The verdict is the state of OpenAI's path: never `ready` while a rule that decides it
        // was not decided, and never changed by --fail-on (which sets the exit code only).
        let verdict = report["verdict"].as_str().unwrap_or_default().to_string();
        let undecided: Vec<String> = report["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| {
                decides_path(r["rule"].as_str().unwrap())
                    && r.get("suppressed").is_none()
                    && (r["status"] == "skipped" || r["status"] == "unknown")
            })
            .map(|r| r["rule"].as_str().unwrap().to_string())
            .collect();
        if verdict == "ready" && !undecided.is_empty() {
            failures.push(format!(
                "{name}: verdict ready while {} decide OpenAI's path and were not decided",
                undecided.join(", ")
            ));
        }
        if verdict == "incomplete" && undecided.is_empty() {
            failures.push(format!(
                "{name}: verdict incomplete, but every path rule was decided"
            ));
        }
        for fail_on in ["never", "warning", "error"] {
            let (code, out, _) = run(dir, &["--format", "json", "--fail-on", fail_on]);
            let mut other: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
            if other["format"] == "ekm-check.scan/v1" {
                other = other["targets"][0].clone();
            }
            if other["verdict"] != verdict.as_str() {
                failures.push(format!(
                    "{name}: --fail-on {fail_on} changed the verdict from {verdict} to {}",
                    other["verdict"]
                ));
            }
            if fail_on == "never" && code != 0 {
                failures.push(format!("{name}: --fail-on never exits {code}"));
            }
        }
        if let Some(f) = golden(&dir.join("expected/report.json"), &json_out) {
            failures.push(format!("{name}: {f}"));
        }
        let (_, table_out, _) = run(dir, &["--format", "table"]);
        if let Some(f) = golden(&dir.join("expected/table.txt"), &table_out) {
            failures.push(format!("{name}: {f}"));
        }
        let (junit_code, junit_out, _) = run(
            dir,
            &["--format", "junit", "--timestamp", "2026-11-28T20:00:00Z"],
        );
        // Each suite's properties hold the gate decision: the run's exit code, this target's
        // verdict (the first suite is the first target).
        let property = |prop: &str| -> Vec<String> {
            let tag = format!("<property name=\"{prop}\" value=\"");
            junit_out
                .match_indices(&tag)
                .map(|(i, _)| {
                    let v = &junit_out[i + tag.len()..];
                    v[..v.find('"').unwrap_or(0)].to_string()
                })
                .collect()
        };
        let exits = property("exit-code");
        if exits.is_empty() || exits.iter().any(|e| *e != junit_code.to_string()) {
            failures.push(format!(
                "{name}: JUnit's exit-code properties {exits:?}, but the run exits {junit_code}"
            ));
        }
        if property("verdict").first().map(String::as_str) != Some(verdict.as_str()) {
            failures.push(format!(
                "{name}: JUnit's verdict property {:?}, the report's {verdict}",
                property("verdict")
            ));
        }
        if let Some(f) = golden(&dir.join("expected/junit.xml"), &junit_out) {
            failures.push(format!("{name}: {f}"));
        }
        let (_, sarif_out, _) = run(dir, &["--format", "sarif"]);
        match split_sarif(&sarif_out) {
            Ok((results, rules)) => {
                if let Some(f) = golden(&dir.join("expected/report.sarif"), &results) {
                    failures.push(format!("{name}: {f}"));
                }
                match &sarif_rules {
                    None => {
                        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(SARIF_RULES);
                        if let Some(f) = golden(&path, &rules) {
                            failures.push(format!("{name}: {f}"));
                        }
                        sarif_rules = Some(rules);
                    }
                    Some(first) if *first != rules => failures.push(format!(
                        "{name}: the SARIF driver's rules differ from the other scenarios'"
                    )),
                    Some(_) => {}
                }
            }
            Err(e) => failures.push(format!("{name}: {e}\n{sarif_out}")),
        }
        // A sensitive value (a NoEcho parameter) is in no output.
        if let Some(secret) = expect.get("never_echo").and_then(|v| v.as_str()) {
            for (format, text) in [
                ("json", &json_out),
                ("table", &table_out),
                ("junit", &junit_out),
                ("sarif", &sarif_out),
                ("stderr", &stderr),
            ] {
                if text.contains(secret) {
                    failures.push(format!("{name}: the {format} output echoes {secret:?}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} problems in {} scenarios:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}
