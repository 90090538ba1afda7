//! What `init` prints, `lint` passes: for every shape of registration (role with and without a
//! path, key in the role's account or another, key id or multi-Region key, the three partitions,
//! organization or project id), `init --output-dir` writes documents that `lint` accepts with
//! no rule failed or undecided, and a steps.sh that bash can parse.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value as J;

fn ekm() -> Command {
    let mut c = Command::cargo_bin("ekm-check").unwrap();
    c.env_remove("EKM_KMS_ARN")
        .env_remove("EKM_ROLE_ARN")
        .env_remove("EKM_EXTERNAL_ID")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("init-roundtrip-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[derive(Debug, Clone)]
struct Shape {
    partition: &'static str,
    region: &'static str,
    path: &'static str,
    cross: bool,
    mrk: bool,
    xid: &'static str,
}

impl Shape {
    fn role_account(&self) -> &'static str {
        "111122223333"
    }
    fn key_account(&self) -> &'static str {
        if self.cross {
            "444455556666"
        } else {
            self.role_account()
        }
    }
    fn kms_arn(&self) -> String {
        let id = if self.mrk {
            "mrk-1234abcd12ab34cd56ef1234567890ab"
        } else {
            "1234abcd-12ab-34cd-56ef-1234567890ab"
        };
        format!(
            "arn:{}:kms:{}:{}:key/{id}",
            self.partition,
            self.region,
            self.key_account()
        )
    }
    fn role_arn(&self) -> String {
        format!(
            "arn:{}:iam::{}:role{}openai-ekm",
            self.partition,
            self.role_account(),
            self.path
        )
    }
    fn name(&self) -> String {
        format!(
            "{}-{}-{}-{}-{}",
            self.partition,
            if self.path == "/" { "nopath" } else { "path" },
            if self.cross { "cross" } else { "same" },
            if self.mrk { "mrk" } else { "key" },
            &self.xid[..4]
        )
    }
}

fn shapes() -> Vec<Shape> {
    let mut v = Vec::new();
    for (partition, region) in [
        ("aws", "us-east-1"),
        ("aws-cn", "cn-north-1"),
        ("aws-us-gov", "us-gov-west-1"),
    ] {
        for path in ["/", "/team/ekm/"] {
            for cross in [false, true] {
                for mrk in [false, true] {
                    for xid in [
                        "org-AbCdEf0123456789GhIjKlMn",
                        "proj_AbCdEf0123456789GhIjKlMn",
                    ] {
                        v.push(Shape {
                            partition,
                            region,
                            path,
                            cross,
                            mrk,
                            xid,
                        });
                    }
                }
            }
        }
    }
    v
}

fn init(s: &Shape, dir: &Path) -> String {
    let out = ekm()
        .args([
            "init",
            "--kms-arn",
            &s.kms_arn(),
            "--role-arn",
            &s.role_arn(),
        ])
        .args([
            "--external-id",
            s.xid,
            "--output-dir",
            dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}: {}",
        s.name(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn lint(s: &Shape, dir: &Path, key_policy: Option<&Path>) -> Output {
    let mut c = ekm();
    c.args(["lint", "--format", "json"])
        .arg("--trust-policy")
        .arg(dir.join("trust-policy.json"))
        .arg("--permissions")
        .arg(dir.join("permissions-policy.json"));
    if let Some(k) = key_policy {
        c.arg("--key-policy").arg(k);
    }
    c.args(["--kms-arn", &s.kms_arn(), "--role-arn", &s.role_arn()])
        .args(["--external-id", s.xid])
        .output()
        .unwrap()
}

/// The rules that failed or could not be decided.
fn bad_rules(out: &Output) -> Vec<String> {
    let v: J = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "fail" || r["status"] == "unknown")
        .map(|r| {
            format!(
                "{} {}: {}",
                r["rule"].as_str().unwrap(),
                r["status"].as_str().unwrap(),
                r["message"]
            )
        })
        .collect()
}

fn bash_n(script: &Path) -> Output {
    std::process::Command::new("bash")
        .arg("-n")
        .arg(script)
        .output()
        .unwrap()
}

/// Every block from a line `{` to the next line `}` in `text`.
fn json_blocks(text: &str) -> Vec<J> {
    let mut blocks = Vec::new();
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
            let b = cur.take().unwrap();
            blocks.push(serde_json::from_str(&b).unwrap_or_else(|e| panic!("{e}:\n{b}")));
        }
    }
    blocks
}

#[test]
fn lint_passes_what_init_prints_for_every_shape() {
    let all = shapes();
    assert_eq!(all.len(), 48);
    for s in &all {
        let dir = scratch(&s.name());
        let stdout = init(s, &dir);
        let key_policy = dir.join("key-policy.json");
        assert_eq!(key_policy.exists(), s.cross, "{}", s.name());
        for f in [
            "trust-policy.json",
            "permissions-policy.json",
            "registration.json",
        ] {
            assert!(dir.join(f).exists(), "{}: {f}", s.name());
        }
        // The documents lint reads are the ones stdout shows, byte for byte.
        for f in [
            "trust-policy.json",
            "permissions-policy.json",
            "key-policy.json",
        ] {
            if let Ok(text) = std::fs::read_to_string(dir.join(f)) {
                assert!(
                    stdout.contains(&text),
                    "{}: {f} differs from stdout",
                    s.name()
                );
            }
        }
        let out = lint(s, &dir, s.cross.then_some(key_policy.as_path()));
        let bad = bad_rules(&out);
        assert!(bad.is_empty(), "{}: {bad:#?}", s.name());
        assert_eq!(out.status.code(), Some(0), "{}", s.name());
        let sh = bash_n(&dir.join("steps.sh"));
        assert!(
            sh.status.success(),
            "{}: {}",
            s.name(),
            String::from_utf8_lossy(&sh.stderr)
        );
        // The commands on stdout parse too (the JSON blocks and comments aside).
        let cmds: String = stdout
            .lines()
            .filter(|l| {
                l.starts_with("aws ")
                    || l.starts_with("key_arn=")
                    || l.starts_with("ekm-check ")
                    || l.starts_with("curl ")
            })
            .map(|l| format!("{l}\n"))
            .collect();
        let cmd_file = dir.join("stdout-commands.sh");
        std::fs::write(&cmd_file, &cmds).unwrap();
        assert!(bash_n(&cmd_file).status.success(), "{}:\n{cmds}", s.name());
        shape_specifics(s, &stdout, &dir);
    }
}

/// What each shape must change in the output, and no placeholder for a known value.
fn shape_specifics(s: &Shape, stdout: &str, dir: &Path) {
    let n = s.name();
    if s.path == "/" {
        assert!(!stdout.contains("--path"), "{n}");
    } else {
        assert!(
            stdout.contains(&format!(
                "aws iam create-role --role-name openai-ekm --path {} --assume-role-policy-document",
                s.path
            )),
            "{n}:\n{stdout}"
        );
    }
    assert!(!stdout.contains("--role-name team"), "{n}");
    assert!(
        stdout.contains(&format!(
            "--policy-arn arn:{}:iam::{}:policy/openai-ekm-kms",
            s.partition,
            s.role_account()
        )),
        "{n}"
    );
    assert!(
        stdout.contains(&format!(
            "aws kms create-key --region {} --key-spec SYMMETRIC_DEFAULT --key-usage ENCRYPT_DECRYPT",
            s.region
        )),
        "{n}"
    );
    assert_eq!(stdout.contains("--multi-region"), s.mrk, "{n}");
    let put = format!(
        "aws kms put-key-policy --region {} --key-id {} --policy-name default --policy file://key-policy.json",
        s.region,
        s.kms_arn()
    );
    if s.cross {
        assert!(stdout.contains(&put), "{n}:\n{stdout}");
        assert!(stdout.contains("aws kms get-key-policy"), "{n}");
        let kp: J =
            serde_json::from_str(&std::fs::read_to_string(dir.join("key-policy.json")).unwrap())
                .unwrap();
        let st = &kp["Statement"][1];
        assert_eq!(st["Principal"]["AWS"], s.role_arn().as_str(), "{n}");
        assert_eq!(
            st["Action"],
            serde_json::json!(["kms:Encrypt", "kms:Decrypt"]),
            "{n}"
        );
        assert_eq!(
            kp["Statement"][0]["Principal"]["AWS"],
            format!("arn:{}:iam::{}:root", s.partition, s.key_account()).as_str()
        );
        assert!(!stdout.contains("Keep the key's default key policy"), "{n}");
    } else {
        assert!(
            !stdout
                .lines()
                .any(|l| l.starts_with("aws kms put-key-policy")),
            "{n}"
        );
        assert!(stdout.contains("Keep the key's default key policy"), "{n}");
        assert!(stdout.contains("delegates to IAM"), "{n}");
    }
    // No placeholder for anything init knows.
    for p in ["ACCOUNT", "REGION", "ROLE_NAME", "YOUR_", "<", "KEY_ID"] {
        assert!(!stdout.contains(p), "{n}: {p} in\n{stdout}");
    }
    let reg: J =
        serde_json::from_str(&std::fs::read_to_string(dir.join("registration.json")).unwrap())
            .unwrap();
    assert_eq!(
        reg,
        serde_json::json!({"type": "aws", "name": "AWS EKM Config", "role_arn": s.role_arn(),
            "kms_arn": s.kms_arn(), "external_id": s.xid})
    );
    // Every JSON block on stdout parses: permissions, trust, key policy or the alternative
    // statement, registration.
    assert_eq!(json_blocks(stdout).len(), 4, "{n}");
}

/// The near neighbours: the same documents with one thing wrong fail lint, so the pass above
/// means something.
#[test]
fn lint_fails_when_a_document_init_writes_is_spoiled() {
    let s = Shape {
        partition: "aws",
        region: "eu-west-1",
        path: "/team/",
        cross: true,
        mrk: false,
        xid: "org-AbCdEf0123456789GhIjKlMn",
    };
    let dir = scratch("spoiled");
    init(&s, &dir);
    let key_policy = dir.join("key-policy.json");
    assert!(bad_rules(&lint(&s, &dir, Some(&key_policy))).is_empty());
    // The key policy without the statement for the role: a cross-account key blocks it.
    let mut kp: J = serde_json::from_str(&std::fs::read_to_string(&key_policy).unwrap()).unwrap();
    kp["Statement"].as_array_mut().unwrap().truncate(1);
    let spoiled = dir.join("key-policy-default-only.json");
    std::fs::write(&spoiled, serde_json::to_string_pretty(&kp).unwrap()).unwrap();
    let out = lint(&s, &dir, Some(&spoiled));
    assert_eq!(out.status.code(), Some(1));
    let bad = bad_rules(&out);
    assert!(bad.iter().any(|b| b.starts_with("EKM201 fail")), "{bad:#?}");
    // Another organization's id in the trust policy.
    let trust = dir.join("trust-policy.json");
    let text = std::fs::read_to_string(&trust).unwrap();
    std::fs::write(&trust, text.replace(s.xid, "org-ZzZzZz0123456789GhIjKlMn")).unwrap();
    let bad = bad_rules(&lint(&s, &dir, Some(&key_policy)));
    assert!(bad.iter().any(|b| b.starts_with("EKM401 fail")), "{bad:#?}");
    // A steps.sh with a broken line does not pass bash -n.
    let sh = dir.join("steps.sh");
    let mut text = std::fs::read_to_string(&sh).unwrap();
    text.push_str("if [ \"$x\" = 1 ]; then\n");
    std::fs::write(&sh, text).unwrap();
    assert!(!bash_n(&sh).status.success());
}

/// An alias ARN: the key id is the one thing init does not know. The permissions policy names
/// the key ARN with a marked `<KEY_ID>` (lint fails EKM005 on it, never EKM304), and steps.sh
/// puts the resolved key ARN in its place, after which lint passes.
#[test]
fn an_alias_needs_the_key_arn_and_steps_fill_it_in() {
    let alias = "arn:aws:kms:us-east-1:111122223333:alias/openai-ekm";
    let role = "arn:aws:iam::111122223333:role/openai-ekm";
    let xid = "org-AbCdEf0123456789GhIjKlMn";
    let dir = scratch("alias");
    let out = ekm()
        .args([
            "init",
            "--kms-arn",
            alias,
            "--role-arn",
            role,
            "--external-id",
            xid,
        ])
        .arg("--output-dir")
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("alias ARN in an IAM policy's Resource grants nothing"),
        "{stderr}"
    );
    let perms = dir.join("permissions-policy.json");
    let p: J = serde_json::from_str(&std::fs::read_to_string(&perms).unwrap()).unwrap();
    assert_eq!(
        p["Statement"][0]["Resource"],
        "arn:aws:kms:us-east-1:111122223333:key/<KEY_ID>"
    );
    let lint = |kms: &str| {
        ekm()
            .args(["lint", "--format", "json", "--trust-policy"])
            .arg(dir.join("trust-policy.json"))
            .arg("--permissions")
            .arg(&perms)
            .args(["--kms-arn", kms, "--role-arn", role, "--external-id", xid])
            .output()
            .unwrap()
    };
    let bad = bad_rules(&lint(alias));
    assert!(bad.iter().any(|b| b.starts_with("EKM005 fail")), "{bad:#?}");
    assert!(!bad.iter().any(|b| b.starts_with("EKM304")), "{bad:#?}");
    // steps.sh's substitution, with the ARN describe-key would print.
    let steps = std::fs::read_to_string(dir.join("steps.sh")).unwrap();
    let sed = steps
        .lines()
        .find(|l| l.starts_with("sed "))
        .expect("steps.sh puts the key ARN in the permissions policy");
    let key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let run = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!("set -eu; key_arn={key}; {sed}"))
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let p: J = serde_json::from_str(&std::fs::read_to_string(&perms).unwrap()).unwrap();
    assert_eq!(p["Statement"][0]["Resource"], key);
    let bad = bad_rules(&lint(key));
    assert!(bad.is_empty(), "{bad:#?}");
    assert!(bash_n(&dir.join("steps.sh")).status.success());
}

/// The example of `init --help` runs as printed, at any terminal width: long values sit in
/// one-word assignments (clap wraps help at spaces, never inside a word) and the command's lines
/// are short, with ` \\` continuations; also when the copy loses the indentation.
#[test]
fn init_help_example_copy_pastes_at_every_width() {
    let bin = assert_cmd::cargo::cargo_bin("ekm-check");
    for cols in ["60", "80", "100", "200"] {
        let out = ekm()
            .args(["init", "--help"])
            .env("COLUMNS", cols)
            .output()
            .unwrap();
        let help = String::from_utf8(out.stdout).unwrap();
        let lines: Vec<&str> = help.lines().collect();
        let start = lines
            .iter()
            .position(|l| l.trim_start().starts_with("kms=arn:"))
            .unwrap_or_else(|| panic!("no example at {cols}:\n{help}"));
        let mut end = start;
        let mut in_command = false;
        for l in &lines[start..] {
            end += 1;
            in_command |= l.trim_start().starts_with("ekm-check init");
            if in_command && !l.ends_with('\\') {
                break;
            }
        }
        let example = &lines[start..end];
        assert_eq!(example.len(), 6, "{cols}:\n{help}");
        // The rest of the help is wrapped at this width, so the example survived wrapping.
        let width: usize = cols.parse().unwrap();
        for (i, l) in lines.iter().enumerate() {
            if !(start..end).contains(&i) || l.trim_start().contains(' ') {
                assert!(l.chars().count() <= width, "{cols}: {l:?}\n{help}");
            }
        }
        let path = format!(
            "{}:{}",
            bin.parent().unwrap().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        for (how, text) in [
            ("as printed", example.join("\n")),
            (
                "without indentation",
                example
                    .iter()
                    .map(|l| l.trim_start())
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
        ] {
            let dir = scratch(&format!("help-{cols}-{}", how.len()));
            let run = std::process::Command::new("bash")
                .arg("-c")
                .arg(&text)
                .env("PATH", &path)
                .env_remove("EKM_KMS_ARN")
                .env_remove("EKM_ROLE_ARN")
                .env_remove("EKM_EXTERNAL_ID")
                .current_dir(&dir)
                .output()
                .unwrap();
            assert!(
                run.status.success(),
                "{cols} {how}: {text}\n{}",
                String::from_utf8_lossy(&run.stderr)
            );
            let steps = std::fs::read_to_string(dir.join("ekm-setup/steps.sh")).unwrap();
            assert!(
                steps.contains("--role-name openai-ekm --path /team/"),
                "{steps}"
            );
        }
    }
}
