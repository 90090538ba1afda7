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
    assert_eq!(results.len(), 40, "every rule appears exactly once");
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
    assert_eq!(total, 40);
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
    // The blank line is skipped, not counted as a line that was read.
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("2 of 4 lines could not be read (1 blank line skipped)"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[path = "support/batches.rs"]
mod batches;

/// `scripts/gen-batch` and `scripts/gen-batch-distinct` (what the README's hyperfine commands
/// run) write exactly the batches `cargo bench --bench eval` runs (tests/support/batches.rs).
#[test]
fn batch_generators_write_the_benchmarked_batches() {
    for (script, expected) in [
        ("scripts/gen-batch", batches::repeated(300)),
        ("scripts/gen-batch-distinct", batches::distinct(300)),
    ] {
        let out = match std::process::Command::new("python3")
            .args([script, "300"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
        {
            Ok(out) => out,
            Err(e) if std::env::var("CI").as_deref() != Ok("true") => {
                eprintln!("note: python3 cannot run ({e}): {script} not compared");
                continue;
            }
            Err(e) => panic!("python3: {e}"),
        };
        assert!(
            out.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        assert_eq!(text.lines().count(), 300, "{script}");
        for (i, (a, b)) in text.lines().zip(expected.lines()).enumerate() {
            assert_eq!(a, b, "{script}: line {} differs", i + 1);
        }
        assert_eq!(text, expected, "{script}");
    }
}

/// `eval --batch` (blocks on every core, decisions written straight into the output, a policy
/// cache that keeps only repeated texts) answers every line exactly as a straightforward
/// per-line evaluation does: the line alone, through `RequestDoc::from_text` with a fresh
/// cache and `decision()` serialized by serde_json. On both benchmark batches, with blank,
/// broken and non-UTF-8 lines between them and the distinct lines repeated (cache hits).
#[test]
fn batch_answers_every_line_as_a_per_line_evaluation_does() {
    use ekm_check::eval::request::{ErrorOut, PolicyCache, RequestDoc};
    let mut input: Vec<u8> = Vec::new();
    input.extend_from_slice(batches::repeated(500).as_bytes());
    input.extend_from_slice(batches::distinct(1200).as_bytes());
    input.extend_from_slice(b"not json\n\n   \n{\"id\": 7}\n\xff{}\n");
    input.extend_from_slice(batches::distinct(300).as_bytes());
    input.extend_from_slice(b"{\"id\": \"last\", \"principal\": \"*\", \"action\": \"kms:Encrypt\", \"resource\": \"*\"}");
    let unknown = vec!["aws:SourceVpc".to_string()];
    let mut expected = Vec::new();
    let (mut lines, mut failed, mut blank) = (0, 0, 0);
    for line in input.split_inclusive(|&b| b == b'\n') {
        lines += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            blank += 1;
            continue;
        }
        let answer = match std::str::from_utf8(line) {
            Ok(text) => match RequestDoc::from_text(text, &unknown, &mut PolicyCache::default()) {
                Ok(doc) => serde_json::to_string(&doc.decision()).unwrap(),
                Err(e) => {
                    failed += 1;
                    let error = format!("line {lines}: {}", e.message);
                    serde_json::to_string(&ErrorOut {
                        id: &e.id,
                        error: &error,
                    })
                    .unwrap()
                }
            },
            Err(_) => {
                failed += 1;
                let e = ekm_check::json::parse_bytes(line).unwrap_err();
                let error = format!("line {lines}: {e}");
                let id = serde_json::Value::Null;
                serde_json::to_string(&ErrorOut {
                    id: &id,
                    error: &error,
                })
                .unwrap()
            }
        };
        expected.extend_from_slice(answer.as_bytes());
        expected.push(b'\n');
    }
    assert_eq!(failed, 3);
    let dir = std::env::temp_dir().join(format!("ekm-batch-eq-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("batch.jsonl");
    std::fs::write(&path, &input).unwrap();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = ekm_check::cli::run(
        [
            "ekm-check",
            "eval",
            "--batch",
            path.to_str().unwrap(),
            "--unknown",
            "aws:SourceVpc",
        ],
        &mut out,
        &mut err,
    )
    .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, 2);
    assert!(
        String::from_utf8_lossy(&err).contains(&format!(
            "{failed} of {} lines could not be read ({blank} blank lines skipped)",
            lines - blank
        )),
        "{}",
        String::from_utf8_lossy(&err)
    );
    let (got, want) = (
        String::from_utf8(out).unwrap(),
        String::from_utf8(expected).unwrap(),
    );
    assert_eq!(got.lines().count(), want.lines().count());
    for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
        assert_eq!(g, w, "answer {} differs", i + 1);
    }
    assert_eq!(got, want);
}

#[test]
fn rules_and_explain() {
    let out = ekm().arg("rules").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.matches("EKM").count(), 40, "{text}");
    let out = ekm().args(["rules", "--json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 40);
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
        40
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

// Issue 10: each class of proof has a case that must fail and a near neighbour that must pass.

/// The report's verdict line in the table (`verdict: …`), without what follows the verdict.
fn table_verdict(out: &std::process::Output) -> String {
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("verdict: "))
        .unwrap_or_else(|| panic!("no verdict line:\n{text}"));
    line["verdict: ".len()..]
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The table's text with wrapped lines joined again (continuations are indented by two).
fn unwrapped(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).replace("\n  ", " ")
}

#[test]
fn fail_on_never_sets_the_exit_code_only_in_every_format() {
    let run = |snapshot: &str, extra: &[&str]| {
        ekm()
            .args(["check", "--snapshot", snapshot])
            .args(extra)
            .args(["--timestamp", "2026-11-28T20:00:00Z"])
            .output()
            .unwrap()
    };
    for (snapshot, never, want, want_exit) in [
        (ALIAS_FIXTURE, true, "not-ready", 0),
        (ALIAS_FIXTURE, false, "not-ready", 1),
        (BASELINE, true, "ready", 0),
        (BASELINE, false, "ready", 0),
    ] {
        let fail_on: &[&str] = if never { &["--fail-on", "never"] } else { &[] };
        let case = format!("{snapshot} {fail_on:?}");
        let json = run(snapshot, &[fail_on, &["--format", "json"]].concat());
        assert_eq!(json.status.code(), Some(want_exit), "json, {case}");
        assert_eq!(results(&json)["verdict"], want, "json, {case}");
        let table = run(snapshot, &[fail_on, &["--format", "table"]].concat());
        assert_eq!(table.status.code(), Some(want_exit), "table, {case}");
        assert_eq!(table_verdict(&table), want, "table, {case}");
        let junit = run(snapshot, &[fail_on, &["--format", "junit"]].concat());
        assert_eq!(junit.status.code(), Some(want_exit), "junit, {case}");
        let xml = String::from_utf8(junit.stdout).unwrap();
        assert_eq!(junit_property(&xml, "verdict"), [want], "junit, {case}");
        assert!(
            xml.contains(&format!("\nverdict: {want}\n")),
            "junit, {case}: {xml}"
        );
        let sarif = run(snapshot, &[fail_on, &["--format", "sarif"]].concat());
        assert_eq!(sarif.status.code(), Some(want_exit), "sarif, {case}");
        let s = results(&sarif);
        assert_eq!(
            s["runs"][0]["invocations"][0]["properties"]["verdict"], want,
            "sarif, {case}"
        );
    }
}

/// A rule's `<testcase>` element in a JUnit report.
fn junit_case<'a>(xml: &'a str, id: &str) -> &'a str {
    let start = xml
        .find(&format!("<testcase name=\"{id} "))
        .unwrap_or_else(|| panic!("no testcase {id}: {xml}"));
    let rest = &xml[start..];
    let head = rest.find('>').unwrap();
    if rest[..head].ends_with('/') {
        &rest[..=head]
    } else {
        &rest[..rest.find("</testcase>").unwrap() + "</testcase>".len()]
    }
}

/// A suite property's values, one per suite, in order.
fn junit_property(xml: &str, name: &str) -> Vec<String> {
    let tag = format!("<property name=\"{name}\" value=\"");
    xml.match_indices(&tag)
        .map(|(i, _)| {
            let v = &xml[i + tag.len()..];
            v[..v.find('"').unwrap()].to_string()
        })
        .collect()
}

#[test]
fn junit_testcases_mirror_rule_statuses_and_the_suite_holds_the_gate_decision() {
    let junit = |snapshot: &str, extra: &[&str]| {
        let out = ekm()
            .args(["check", "--snapshot", snapshot, "--format", "junit"])
            .args(extra)
            .args(["--timestamp", "2026-11-28T20:00:00Z"])
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8(out.stdout).unwrap(),
        )
    };
    // A failing warning is a failure typed `warning` at every --fail-on; only the gate (the
    // suite's properties, the exit code, the failure's text) follows --fail-on.
    let s3 = "fixtures/warn-ekm306-s3-access/snapshot.json";
    for (fail_on, gate, gating, exit, why) in [
        (
            "error",
            "pass",
            "",
            0,
            "warning, below --fail-on error: does not fail the gate",
        ),
        (
            "warning",
            "fail",
            "EKM306",
            1,
            "warning, at or above --fail-on warning: fails the gate",
        ),
        (
            "never",
            "pass",
            "",
            0,
            "--fail-on never: does not fail the gate",
        ),
    ] {
        let (code, xml) = junit(s3, &["--fail-on", fail_on]);
        assert_eq!(code, exit, "--fail-on {fail_on}");
        let case = junit_case(&xml, "EKM306");
        assert!(
            case.contains(r#"<failure type="warning" message="the role grants"#),
            "--fail-on {fail_on}: {case}"
        );
        assert!(case.contains(why), "--fail-on {fail_on}: {case}");
        assert_eq!(junit_property(&xml, "verdict"), ["ready"]);
        assert_eq!(junit_property(&xml, "fail-on"), [fail_on]);
        assert_eq!(junit_property(&xml, "gate"), [gate]);
        assert_eq!(junit_property(&xml, "gating"), [gating]);
        assert_eq!(junit_property(&xml, "exit-code"), [exit.to_string()]);
        assert!(
            xml.contains(&format!("\ngate: {gate} (--fail-on {fail_on})")),
            "the suite's output says the gate: {xml}"
        );
        assert!(xml.contains(&format!("\nexit code: {exit}]]>")), "{xml}");
        assert!(xml.contains(r#"failures="1""#), "{xml}");
        // A passing rule is a bare testcase; a skipped one says why.
        assert!(junit_case(&xml, "EKM102").ends_with("/>"), "{xml}");
        assert!(
            junit_case(&xml, "EKM501").contains(r#"<skipped type="skipped" message="live checks"#),
            "{xml}"
        );
        assert!(!xml.contains("<error"), "{xml}");
    }
    // An undecided rule is a failure too, said to be undecided, typed by its severity.
    let (code, xml) = junit(
        "fixtures/unknown-ekm101-describe-key-denied/snapshot.json",
        &[],
    );
    assert_eq!(code, 1);
    let case = junit_case(&xml, "EKM101");
    assert!(
        case.contains(r#"<failure type="error" message="could not be decided: "#),
        "{case}"
    );
    let case = junit_case(&xml, "EKM105");
    assert!(
        case.contains(r#"<failure type="warning" message="could not be decided: "#)
            && case.contains("below --fail-on error: does not fail the gate"),
        "{case}"
    );
    assert_eq!(junit_property(&xml, "verdict"), ["not-ready"]);
    assert_eq!(junit_property(&xml, "gate"), ["fail"]);
    assert_eq!(
        junit_property(&xml, "gating"),
        ["EKM101 EKM102 EKM103 EKM104 EKM107"]
    );
    assert_eq!(junit_property(&xml, "exit-code"), ["1"]);
    assert!(!xml.contains("<error"), "{xml}");
    // A suppressed finding is skipped with its reason and gates nothing; the others still do.
    let dir = tempdir();
    let cfg = dir.join("ekm-check.toml");
    std::fs::write(
        &cfg,
        "[[ignore]]\nrule = \"EKM304\"\nreason = \"migrating to the key ARN in TICKET-1\"\n",
    )
    .unwrap();
    let (code, xml) = junit(ALIAS_FIXTURE, &["--config", cfg.to_str().unwrap()]);
    assert_eq!(code, 1);
    let case = junit_case(&xml, "EKM304");
    assert!(
        case.contains(
            r#"<skipped type="suppressed" message="suppressed: migrating to the key ARN in TICKET-1"/>"#
        ),
        "{case}"
    );
    assert!(
        junit_case(&xml, "EKM302").contains(r#"<failure type="error""#),
        "{xml}"
    );
    assert_eq!(junit_property(&xml, "gating"), ["EKM302 EKM303"]);
    assert_eq!(junit_property(&xml, "exit-code"), ["1"]);
}

#[test]
fn check_needs_every_snapshot_part_a_missing_one_is_unknown() {
    let full: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(BASELINE).unwrap()).unwrap();
    let dir = tempdir();
    let trust = ["EKM401", "EKM403", "EKM404", "EKM405", "EKM407"];
    let cases: [(&str, Vec<&str>); 5] = [
        (
            "role",
            [&["EKM301", "EKM302", "EKM303"][..], &trust[..]].concat(),
        ),
        (
            "key.policy",
            vec!["EKM201", "EKM202", "EKM204", "EKM302", "EKM303"],
        ),
        ("role.trust_policy", trust.to_vec()),
        ("role.inline_policies", vec!["EKM302", "EKM303", "EKM304"]),
        ("role.attached_policies", vec!["EKM302", "EKM303", "EKM304"]),
    ];
    for (part, needs) in cases {
        let mut snap = full.clone();
        let (parent, last) = match part.rsplit_once('.') {
            Some((p, l)) => (format!("/{}", p.replace('.', "/")), l),
            None => (String::new(), part),
        };
        snap.pointer_mut(&parent)
            .and_then(|o| o.as_object_mut())
            .and_then(|o| o.remove(last))
            .unwrap_or_else(|| panic!("{part} is in the baseline"));
        let p = dir.join(format!("without-{part}.json"));
        std::fs::write(&p, serde_json::to_string_pretty(&snap).unwrap()).unwrap();
        let out = ekm()
            .args([
                "check",
                "--snapshot",
                p.to_str().unwrap(),
                "--format",
                "json",
            ])
            .output()
            .unwrap();
        let v = results(&out);
        assert_eq!(out.status.code(), Some(1), "without {part}");
        assert_eq!(v["verdict"], "not-ready", "without {part}");
        for rule in needs {
            let r = result(&v, rule);
            assert_eq!(r["status"], "unknown", "without {part}: {rule}: {r}");
            let msg = r["message"].as_str().unwrap();
            assert!(
                msg.contains(part) && msg.contains("missing from the snapshot"),
                "without {part}: {rule} does not name the part: {msg}"
            );
        }
        // A check never skips for want of a part: only the live rules (no --live) and the
        // evidence rules (no --evidence) are skipped.
        for r in v["results"].as_array().unwrap() {
            if r["status"] == "skipped" {
                let id = r["rule"].as_str().unwrap();
                assert!(
                    id.starts_with("EKM5") || id.starts_with("EKM7"),
                    "without {part}: {r}"
                );
            }
        }
    }
    let out = ekm()
        .args(["check", "--snapshot", BASELINE, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(results(&out)["verdict"], "ready");
}

#[test]
fn registration_values_say_where_they_came_from() {
    let dir = tempdir();
    let cfg = dir.join("ekm-check.toml");
    let from_config = "arn:aws:kms:us-east-1:111122223333:alias/openai-ekm";
    std::fs::write(
        &cfg,
        format!("[registration]\nkms_arn = \"{from_config}\"\n"),
    )
    .unwrap();
    let json = |extra: &[&str], env: &[(&str, &str)]| {
        let mut c = ekm();
        c.args(["check", "--snapshot", BASELINE, "--format", "json"])
            .args(extra);
        for (k, v) in env {
            c.env(k, v);
        }
        results(&c.output().unwrap())
    };
    // An empty variable counts as unset: the config file's value is used, and named.
    let v = json(&["--config", cfg.to_str().unwrap()], &[("EKM_KMS_ARN", "")]);
    assert_eq!(v["registration"]["kms_arn"], from_config);
    assert_eq!(
        v["registration_sources"]["kms_arn"],
        format!("config file {}", cfg.display())
    );
    assert_eq!(
        v["registration_sources"]["role_arn"],
        format!("snapshot {BASELINE}")
    );
    // A stale variable beats the snapshot's own registration, and the report says so.
    let stale = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000";
    let v = json(&[], &[("EKM_KMS_ARN", stale)]);
    assert_eq!(v["registration"]["kms_arn"], stale);
    assert_eq!(
        v["registration_sources"]["kms_arn"],
        "environment EKM_KMS_ARN"
    );
    assert_eq!(
        result(&v, "EKM107")["status"],
        "fail",
        "the stale key id differs from the key in the snapshot"
    );
    let table = ekm()
        .args(["check", "--snapshot", BASELINE])
        .env("EKM_KMS_ARN", stale)
        .output()
        .unwrap();
    let text = unwrapped(&table);
    assert!(
        text.lines().any(|l| l.starts_with("registration: ")
            && l.contains("kms_arn from environment EKM_KMS_ARN")
            && l.contains(&format!("role_arn, external_id from snapshot {BASELINE}"))),
        "{text}"
    );
    // It beats the config file too; a flag beats it; an empty flag counts as unset.
    let v = json(
        &["--config", cfg.to_str().unwrap()],
        &[("EKM_KMS_ARN", stale)],
    );
    assert_eq!(
        v["registration_sources"]["kms_arn"],
        "environment EKM_KMS_ARN"
    );
    let v = json(&["--kms-arn", KEY], &[("EKM_KMS_ARN", stale)]);
    assert_eq!(v["registration"]["kms_arn"], KEY);
    assert_eq!(v["registration_sources"]["kms_arn"], "flag --kms-arn");
    assert_eq!(v["verdict"], "ready");
    let v = json(&["--kms-arn", ""], &[("EKM_KMS_ARN", stale)]);
    assert_eq!(v["registration"]["kms_arn"], stale);
    assert_eq!(
        v["registration_sources"]["kms_arn"],
        "environment EKM_KMS_ARN"
    );
}

#[test]
fn endpoint_urls_that_are_not_urls_are_usage_errors() {
    let check = || {
        let mut c = ekm();
        c.args([
            "check",
            "--kms-arn",
            KEY,
            "--role-arn",
            "arn:aws:iam::111122223333:role/openai-ekm",
            "--external-id",
            "org-AbCdEf0123456789GhIjKlMn",
        ])
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_KMS")
        .env_remove("AWS_ENDPOINT_URL_IAM")
        .env_remove("AWS_ENDPOINT_URL_STS")
        // Never the machine's own credentials or instance metadata.
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "not-a-secret")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env_remove("AWS_PROFILE");
        c
    };
    let no_dump = |stderr: &str| {
        for s in ["Debug", "SdkError", "DispatchFailure", "{"] {
            assert!(!stderr.contains(s), "stderr has {s:?}: {stderr}");
        }
    };
    let out = check()
        .args(["--endpoint-url", "not a url"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--endpoint-url") && stderr.contains("\"not a url\""),
        "{stderr}"
    );
    no_dump(&stderr);
    assert!(out.stdout.is_empty());
    let out = check().env("AWS_ENDPOINT_URL", "ftp://x").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("AWS_ENDPOINT_URL") && stderr.contains("ftp://x"),
        "{stderr}"
    );
    no_dump(&stderr);
    // Near neighbour: a valid endpoint passes the argument checks and is tried (nothing listens
    // on port 1, so the run ends with no AWS access, not with a usage message about the URL).
    let out = check()
        .args(["--endpoint-url", "http://127.0.0.1:1"])
        .args(["--max-attempts", "1", "--connect-timeout", "0.2"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("not an endpoint URL"), "{stderr}");
    assert!(stderr.contains("no AWS access"), "{stderr}");
}

#[test]
fn lint_without_the_path_documents_is_incomplete_and_a_failing_lint_is_not_ready() {
    let out = ekm()
        .args([
            "lint",
            "--trust-policy",
            "fixtures/ok-ekm401-lint-trust-only/trust-policy.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(table_verdict(&out), "incomplete");
    let text = unwrapped(&out);
    let not_checked: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("not checked: "))
        .collect();
    for rule in ["EKM101", "EKM201", "EKM302"] {
        assert!(
            not_checked.iter().any(|l| l.contains(rule)),
            "no `not checked:` line names {rule}:\n{text}"
        );
    }
    let json = ekm()
        .args([
            "lint",
            "--trust-policy",
            "fixtures/ok-ekm401-lint-trust-only/trust-policy.json",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let v = results(&json);
    assert_eq!(v["verdict"], "incomplete");
    let ids: Vec<&str> = v["not_checked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["rule"].as_str().unwrap())
        .collect();
    for rule in ["EKM101", "EKM201", "EKM302", "EKM303"] {
        assert!(ids.contains(&rule), "{ids:?}");
    }
    // Near neighbour: the same kind of lint with a document that fails is not ready.
    let dir = "fixtures/fail-ekm303-lint-decrypt-typo";
    let out = ekm()
        .args([
            "lint",
            "--trust-policy",
            &format!("{dir}/trust-policy.json"),
        ])
        .args(["--permissions", &format!("{dir}/permissions-policy.json")])
        .args(["--kms-arn", KEY])
        .args(["--role-arn", "arn:aws:iam::111122223333:role/openai-ekm"])
        .args(["--external-id", "org-AbCdEf0123456789GhIjKlMn"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(table_verdict(&out), "not-ready");
}

#[test]
fn eval_rcp_levels_root_first_with_a_near_neighbour() {
    let dir = tempdir();
    let w = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let trust = w(
        "trust.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::790389265272:role/EnterpriseKeyManagement"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"org-abc"}}}]}"#,
    );
    let full = w(
        "rcp-full.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#,
    );
    let perimeter = |exempt: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"EnforceOrgIdentities","Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","Resource":"*","Condition":{{"StringNotEqualsIfExists":{{"aws:PrincipalOrgID":"o-a1b2c3d4e5"{exempt}}}}}}}]}}"#
        )
    };
    let deny = w("perimeter.json", &perimeter(""));
    let exempt = w(
        "perimeter-exempt.json",
        &perimeter(r#","aws:PrincipalAccount":["790389265272"]"#),
    );
    let run = |levels: &[String]| {
        let mut c = ekm();
        c.args([
            "eval",
            "--principal",
            "arn:aws:iam::790389265272:role/EnterpriseKeyManagement",
            "--action",
            "sts:AssumeRole",
            "--resource",
            "arn:aws:iam::111122223333:role/openai-ekm",
            "--resource-policy",
            &trust,
            "--assume-caller-allowed",
            "--context",
            "sts:ExternalId=org-abc",
        ]);
        for l in levels {
            c.args(["--rcp", l]);
        }
        c.output().unwrap()
    };
    let out = run(&[full.clone(), format!("{full},{deny}")]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("explicit_deny"), "{text}");
    assert!(
        text.contains("resource control policy")
            && text.contains("at level 1")
            && text.contains("EnforceOrgIdentities"),
        "{text}"
    );
    // Near neighbour: OpenAI's account exempted in the same block is allowed.
    let out = run(&[full.clone(), format!("{full},{exempt}")]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // A level with no Allow denies implicitly.
    let out = run(&[full.clone(), exempt.clone()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("implicit_deny"), "{text}");
}

#[test]
fn eval_alias_operation_with_its_target_keys() {
    let dir = tempdir();
    let alias = "arn:aws:kms:us-east-1:111122223333:alias/openai-ekm";
    let id = dir.join("alias-id.json");
    std::fs::write(&id, format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"kms:CreateAlias","Resource":"{alias}"}}]}}"#)).unwrap();
    let admin_kp = dir.join("admin-kp.json");
    std::fs::write(&admin_kp, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::111122223333:assumed-role/openai-ekm/OpenAI-EKM-Service"},"Action":"kms:CreateAlias","Resource":"*"}]}"#).unwrap();
    let base = |action: &str, resource: &str| {
        let mut c = ekm();
        c.args(["eval", "--principal", SESSION, "--action", action])
            .args(["--resource", resource, "--identity-policy"])
            .arg(&id);
        c
    };
    // The alias alone: IAM policies decide, no key policy needed.
    base("kms:CreateAlias", alias)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("alias has no key policy"));
    // With the key: its policy names the session, so both parts allow.
    base("kms:CreateAlias", alias)
        .arg("--target-key")
        .arg(format!("{KEY}={}", admin_kp.display()))
        .assert()
        .code(0)
        .stdout(predicate::str::contains(format!(
            "target key {KEY}: allowed"
        )));
    // A key without its policy allows nothing.
    base("kms:CreateAlias", alias)
        .args(["--target-key", KEY])
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with("implicit_deny"));
    // --target-key belongs to alias operations, and names a key.
    base("kms:Encrypt", KEY)
        .args(["--target-key", KEY])
        .assert()
        .code(2);
    base("kms:CreateAlias", alias)
        .args(["--target-key", alias])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a KMS key ARN"));
}

#[test]
fn terraform_plan_flags_and_files_that_are_not_plans() {
    let plan = "fixtures/ok-tf-plan-update/plan.json";
    // A plan holds its variables' values; it is one input kind at a time.
    for (extra, says) in [
        (
            &["--var", "a=b"][..],
            "a plan already holds its variables' values",
        ),
        (
            &["--parameter", "A=b"][..],
            "a plan already holds its variables' values",
        ),
        (&["--terraform", "fixtures"][..], "cannot be used with"),
        (&["--trust-policy", plan][..], "cannot be used with"),
    ] {
        ekm()
            .args(["lint", "--terraform-plan", plan])
            .args(extra)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(says));
    }
    // Not a plan: exit 2, naming the file and what it is.
    let dir = tempdir();
    for (name, bytes, says) in [
        ("notjson.json", &b"terraform plan output"[..], "is not JSON"),
        (
            "v2.json",
            &b"{\"format_version\": \"2.0\", \"planned_values\": {}}"[..],
            "format_version 2.0",
        ),
        ("tfplan", &b"PK\x03\x04"[..], "binary plan file"),
        (
            "template.json",
            &b"{\"Resources\": {}}"[..],
            "--cloudformation",
        ),
    ] {
        let f = dir.join(name);
        std::fs::write(&f, bytes).unwrap();
        ekm()
            .args(["lint", "--terraform-plan"])
            .arg(&f)
            .assert()
            .code(2)
            .stderr(
                predicate::str::contains(f.display().to_string())
                    .and(predicate::str::contains(says)),
            );
    }
    // A plan on standard input.
    ekm()
        .args(["lint", "--terraform-plan", "-", "--format", "json"])
        .write_stdin(std::fs::read(plan).unwrap())
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "terraform-plan - role aws_iam_role.ekm key aws_kms_key.ekm",
        ));
}
