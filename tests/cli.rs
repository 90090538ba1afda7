//! The command line as users and scripts see it: help, exit codes, every command.

use assert_cmd::Command;
use predicates::prelude::*;

fn ekm() -> Command {
    let mut c = Command::cargo_bin("ekm-check").unwrap();
    c.env_remove("EKM_KMS_ARN")
        .env_remove("EKM_ROLE_ARN")
        .env_remove("EKM_EXTERNAL_ID")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

const BASELINE: &str = "fixtures/ok-baseline/snapshot.json";
const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/openai-ekm/OpenAI-EKM-Service";

#[test]
fn help_names_every_command_and_the_exit_codes() {
    let out = ekm()
        .arg("--help")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    for c in ["check", "lint", "eval", "init", "rules", "explain"] {
        assert!(text.contains(c), "--help does not mention {c}");
    }
    assert!(text.contains("Exit codes"));
    ekm()
        .args(["check", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--snapshot"));
    ekm()
        .args(["eval", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--batch"));
}

#[test]
fn usage_errors_exit_2() {
    ekm().arg("frobnicate").assert().code(2);
    ekm()
        .args(["check", "--fail-on", "sometimes"])
        .assert()
        .code(2);
    ekm()
        .args(["check"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--snapshot"));
}

#[test]
fn unreadable_inputs_exit_2_and_name_the_file() {
    ekm()
        .args(["check", "--snapshot", "no/such/file.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no/such/file.json"));
    ekm()
        .args(["check", "--snapshot", "fixtures"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("directory"));
    let dir = tempdir();
    let p = dir.join("policy.json");
    std::fs::write(&p, r#"{"Version": "2012-10-17", "Statement": []}"#).unwrap();
    ekm()
        .args(["check", "--snapshot", p.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("lint"));
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\n  \"format\": \"ekm-check.snapshot/v1\",\n}\n").unwrap();
    ekm()
        .args(["check", "--snapshot", bad.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("line 3").and(predicate::str::contains("trailing comma")));
}

fn tempdir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!(
        "ekm-cli-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn check_json_report_follows_the_contract() {
    let out = ekm()
        .args(["check", "--snapshot", BASELINE, "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["format"], "ekm-check.report/v1");
    assert_eq!(v["tool"]["name"], "ekm-check");
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 34, "every rule appears exactly once");
    let ids: Vec<&str> = results
        .iter()
        .map(|r| r["rule"].as_str().unwrap())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "results are in catalogue order");
    for r in results {
        for k in ["rule", "name", "severity", "status", "message", "evidence"] {
            assert!(r.get(k).is_some(), "result without {k}: {r}");
        }
    }
    let s = &v["summary"];
    let total: u64 = ["pass", "fail", "unknown", "skipped"]
        .iter()
        .map(|k| s[k].as_u64().unwrap())
        .sum();
    assert_eq!(total, 34);
    assert_eq!(
        v["registration"]["external_id"],
        "org-AbCdEf0123456789GhIjKlMn"
    );
    // Byte-stable: the same input gives the same bytes.
    let again = ekm()
        .args(["check", "--snapshot", BASELINE, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.stdout, again.stdout);
}

#[test]
fn flags_and_environment_override_the_snapshot_registration() {
    let out = ekm()
        .args(["check", "--snapshot", BASELINE, "--format", "json"])
        .env("EKM_EXTERNAL_ID", "org-ZZZZZZZZZZZZZZZZZZZZZZZZ")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["registration"]["external_id"],
        "org-ZZZZZZZZZZZZZZZZZZZZZZZZ"
    );
    let out = ekm()
        .args([
            "check",
            "--snapshot",
            BASELINE,
            "--format",
            "json",
            "--org-id",
            "org-YYYYYYYYYYYYYYYYYYYYYYYY",
        ])
        .env("EKM_EXTERNAL_ID", "org-ZZZZZZZZZZZZZZZZZZZZZZZZ")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["registration"]["external_id"],
        "org-YYYYYYYYYYYYYYYYYYYYYYYY"
    );
}

#[test]
fn output_file_and_colour() {
    let dir = tempdir();
    let p = dir.join("r.json");
    ekm()
        .args([
            "check",
            "--snapshot",
            BASELINE,
            "--format",
            "json",
            "--output",
            p.to_str().unwrap(),
        ])
        .assert()
        .stdout(predicate::str::is_empty());
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    assert_eq!(v["format"], "ekm-check.report/v1");
    let plain = ekm()
        .args(["check", "--snapshot", BASELINE])
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&plain.stdout).contains('\u{1b}'),
        "no colour when not a terminal"
    );
    let forced = ekm()
        .args(["check", "--snapshot", BASELINE, "--color", "always"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&forced.stdout).contains('\u{1b}'));
    assert!(String::from_utf8_lossy(&plain.stdout).contains("verdict:"));
}

#[test]
fn eval_single_request_exit_codes_and_json() {
    let dir = tempdir();
    let id = dir.join("id.json");
    std::fs::write(&id, format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"kms:Encrypt","Resource":"{KEY}"}}]}}"#)).unwrap();
    let kp = dir.join("kp.json");
    std::fs::write(&kp, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"}]}"#).unwrap();
    let base = |action: &str| {
        let mut c = ekm();
        c.args([
            "eval",
            "--principal",
            SESSION,
            "--action",
            action,
            "--resource",
            KEY,
        ])
        .args([
            "--identity-policy",
            id.to_str().unwrap(),
            "--resource-policy",
            kp.to_str().unwrap(),
        ]);
        c
    };
    base("kms:Encrypt")
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("allowed"));
    base("kms:Decrypt")
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with("implicit_deny"));
    let out = base("kms:Encrypt")
        .args(["--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["decision"], "allowed");
    assert!(
        v["explanation"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l.as_str().unwrap().contains("id.json"))
    );
}

#[test]
fn eval_batch_streams_in_order_and_reports_bad_lines() {
    let input = format!(
        "{}\nnot json\n\n{}\n{{\"id\": \"x\", \"principal\": \"bob\", \"action\": \"kms:Encrypt\", \"resource\": \"{KEY}\"}}\n",
        serde_json::json!({"id": 1, "principal": SESSION, "action": "kms:Encrypt", "resource": KEY,
            "identity_policies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}],
            "resource_policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "kms:*", "Resource": "*"}]}}),
        serde_json::json!({"id": "two", "principal": SESSION, "action": "kms:Encrypt", "resource": KEY}),
    );
    let out = ekm()
        .args(["eval", "--batch", "-"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["id"], 1);
    assert_eq!(lines[0]["decision"], "allowed");
    assert!(lines[1]["error"].as_str().unwrap().starts_with("line 2"));
    assert_eq!(lines[2]["id"], "two");
    assert_eq!(lines[2]["decision"], "implicit_deny");
    assert_eq!(lines[3]["id"], "x");
    assert!(lines[3]["error"].as_str().unwrap().contains("principal"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("2 of 5 lines"));
}

#[test]
fn rules_and_explain() {
    let out = ekm().arg("rules").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.matches("EKM").count(), 34, "{text}");
    let out = ekm().args(["rules", "--json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 34);
    ekm()
        .args(["explain", "EKM102"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("# EKM102 key-not-symmetric"));
    ekm()
        .args(["explain", "key-not-symetric"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean EKM102"));
}

#[test]
fn init_prints_valid_json_documents() {
    let out = ekm()
        .args([
            "init",
            "--kms-arn",
            KEY,
            "--role-arn",
            "arn:aws:iam::111122223333:role/openai-ekm",
            "--external-id",
            "org-AbCdEf0123456789GhIjKlMn",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    // Every JSON block (from a line "{" to the next line "}") parses.
    let mut blocks = 0;
    let mut cur: Option<String> = None;
    for line in text.lines() {
        if line == "{" {
            cur = Some(String::new());
        }
        if let Some(c) = cur.as_mut() {
            c.push_str(line);
            c.push('\n');
        }
        if line == "}" {
            let doc: serde_json::Value =
                serde_json::from_str(cur.take().unwrap().as_str()).unwrap();
            assert!(doc.is_object());
            blocks += 1;
        }
    }
    assert_eq!(
        blocks, 4,
        "permissions, trust, key statement, registration body:\n{text}"
    );
    assert!(text.contains("\"sts:ExternalId\": \"org-AbCdEf0123456789GhIjKlMn\""));
    assert!(text.contains("aws iam create-role"));
    ekm()
        .args(["init", "--kms-arn", KEY])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--role-arn"));
}

const ALIAS_FIXTURE: &str = "fixtures/fail-ekm304-alias-in-resource/snapshot.json";

fn results(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

fn result<'a>(v: &'a serde_json::Value, rule: &str) -> &'a serde_json::Value {
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == rule)
        .unwrap()
}

#[test]
fn levels_from_flags_change_severity_and_the_gate() {
    let base = ekm()
        .args(["check", "--snapshot", ALIAS_FIXTURE, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(base.status.code(), Some(1));
    // Allowing the failing rules reports them at info severity, and nothing gates.
    let v = results(&base);
    assert_eq!(result(&v, "EKM304")["severity"], "error");
    let allowed = ekm()
        .args(["check", "--snapshot", ALIAS_FIXTURE, "--format", "json"])
        .args([
            "--allow", "EKM302", "--allow", "EKM303", "--allow", "ekm304",
        ])
        .output()
        .unwrap();
    let v = results(&allowed);
    assert_eq!(result(&v, "EKM304")["severity"], "info");
    assert_eq!(
        result(&v, "EKM304")["status"],
        "fail",
        "an allowed rule is still reported"
    );
    assert_eq!(
        allowed.status.code(),
        Some(0),
        "nothing gates any more: {v:#}"
    );
    ekm()
        .args(["check", "--snapshot", ALIAS_FIXTURE, "--deny", "EKM999"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("EKM999"));
}

#[test]
fn ignores_suppress_with_a_reason_and_say_when_unused_or_lapsed() {
    let dir = tempdir();
    let cfg = dir.join("ekm-check.toml");
    std::fs::write(
        &cfg,
        r#"[[ignore]]
rule = "EKM304"
target = "arn:aws:iam::111122223333:role/openai-ekm"
reason = "migrating to the key ARN in TICKET-1"

[[ignore]]
rule = "EKM302"
reason = "tracked in TICKET-1"

[[ignore]]
rule = "EKM303"
reason = "tracked in TICKET-1"
until = "2099-01-01"

[[ignore]]
rule = "EKM102"
reason = "nothing to ignore here"

[[ignore]]
rule = "EKM203"
reason = "old exception"
until = "2020-01-01"
"#,
    )
    .unwrap();
    let out = ekm()
        .args([
            "check",
            "--snapshot",
            ALIAS_FIXTURE,
            "--format",
            "json",
            "--config",
            cfg.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let v = results(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "every gating failure is suppressed: {v:#}"
    );
    let r = result(&v, "EKM304");
    assert_eq!(r["status"], "fail", "suppressed findings stay visible");
    assert_eq!(
        r["suppressed"]["reason"],
        "migrating to the key ARN in TICKET-1"
    );
    assert_eq!(result(&v, "EKM303")["suppressed"]["until"], "2099-01-01");
    let notes: Vec<&str> = v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("EKM102") && n.contains("matched nothing")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("EKM203") && n.contains("lapsed")),
        "{notes:?}"
    );
    // The same in SARIF: suppressions with the justification.
    let sarif = ekm()
        .args([
            "check",
            "--snapshot",
            ALIAS_FIXTURE,
            "--format",
            "sarif",
            "--config",
            cfg.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let s: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let res = s["runs"][0]["results"].as_array().unwrap();
    let r304 = res.iter().find(|r| r["ruleId"] == "EKM304").unwrap();
    assert_eq!(
        r304["suppressions"][0]["justification"],
        "migrating to the key ARN in TICKET-1"
    );
    // A wrong target does not suppress, and says it matched nothing.
    std::fs::write(
        &cfg,
        "[[ignore]]\nrule = \"EKM304\"\ntarget = \"arn:aws:iam::111122223333:role/other\"\nreason = \"x\"\n",
    )
    .unwrap();
    let out = ekm()
        .args([
            "check",
            "--snapshot",
            ALIAS_FIXTURE,
            "--format",
            "json",
            "--config",
            cfg.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let v = results(&out);
    assert!(result(&v, "EKM304").get("suppressed").is_none());
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn config_errors_name_the_line() {
    let dir = tempdir();
    let cfg = dir.join("ekm-check.toml");
    std::fs::write(&cfg, "[rules]\nEKM106 = \"allow\"\nEKM1O6 = \"allow\"\n").unwrap();
    ekm()
        .args([
            "check",
            "--snapshot",
            BASELINE,
            "--config",
            cfg.to_str().unwrap(),
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("line 3").and(predicate::str::contains("EKM1O6")));
}

#[test]
fn several_formats_from_one_check() {
    let dir = tempdir();
    let (j, s, x) = (dir.join("r.json"), dir.join("r.sarif"), dir.join("r.xml"));
    ekm()
        .args(["check", "--snapshot", ALIAS_FIXTURE])
        .args(["--format", "json", "--output", j.to_str().unwrap()])
        .args(["--format", "sarif", "--output", s.to_str().unwrap()])
        .args(["--format", "junit", "--output", x.to_str().unwrap()])
        .assert()
        .code(1);
    let jv: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&j).unwrap()).unwrap();
    assert_eq!(jv["format"], "ekm-check.report/v1");
    let sv: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&s).unwrap()).unwrap();
    assert_eq!(sv["version"], "2.1.0");
    assert_eq!(
        sv["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .len(),
        34
    );
    assert!(
        std::fs::read_to_string(&x)
            .unwrap()
            .contains("<testsuites>")
    );
    ekm()
        .args([
            "check",
            "--snapshot",
            ALIAS_FIXTURE,
            "--format",
            "json",
            "--format",
            "sarif",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("standard output"));
}

#[test]
fn completions_and_man_page() {
    ekm()
        .args(["completions", "bash"])
        .assert()
        .success()
        .stdout(predicate::str::contains("ekm-check"));
    ekm()
        .args(["completions", "zsh"])
        .assert()
        .success()
        .stdout(predicate::str::contains("#compdef"));
    ekm()
        .arg("man")
        .assert()
        .success()
        .stdout(predicate::str::contains(".TH ekm-check"));
}
