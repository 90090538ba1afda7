//! Real public IaC samples (`tests/iac-samples/`, sources in its `SOURCES.md`): scanners' test
//! fixtures and vendor templates, kept as found. `lint` must read each without a crash and
//! answer with a report or one clear line on standard error: most samples define no role that
//! trusts OpenAI's principal (exit 1, saying what was searched), a few are unreadable on
//! purpose (exit 2, naming the file).
//!
//! One function per input kind: [`samples`] lists a kind's samples (files for `cloudformation`
//! and `plan`, one directory per configuration for `terraform`), [`lint`] runs the command,
//! [`assert_clear`] holds what every answer must be.

use std::path::{Path, PathBuf};
use std::process::Command;

use ekm_check::iac::cloudformation::{Options, analyze};
use serde_json::Value as J;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/iac-samples")
}

/// The samples of one kind, sorted: the files under `cloudformation/` or `plan/`, or the
/// directories under `terraform/` that hold `.tf` files.
fn samples(kind: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(&root().join(kind), &mut files);
    let mut v: Vec<PathBuf> = if kind == "terraform" {
        files
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "tf"))
            .map(|f| f.parent().unwrap().to_path_buf())
            .collect()
    } else {
        files
    };
    v.sort();
    v.dedup();
    v
}

/// What `ekm-check` answered.
struct Answer {
    code: i32,
    stdout: String,
    stderr: String,
}

fn lint(args: &[&str]) -> Answer {
    let out = Command::new(env!("CARGO_BIN_EXE_ekm-check"))
        .arg("lint")
        .args(args)
        .env_remove("EKM_KMS_ARN")
        .env_remove("EKM_ROLE_ARN")
        .env_remove("EKM_EXTERNAL_ID")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    Answer {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// Every answer: no panic, exit 0, 1 or 2, and either a report (`ekm-check.scan/v1` with at
/// least one target) or one line on standard error; exit 2 names the sample.
fn assert_clear(a: &Answer, sample: &Path, what: &str) {
    let name = sample.display().to_string();
    assert!(
        !a.stderr.contains("panicked") && matches!(a.code, 0..=2),
        "{what}: exit {} with {}",
        a.code,
        a.stderr
    );
    if a.stdout.trim().is_empty() {
        let lines: Vec<&str> = a.stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        // One line, and indented notes under it (what was not read, for Terraform).
        assert!(
            !lines.is_empty() && lines[1..].iter().all(|l| l.starts_with("  ")),
            "{what}: one clear line: {}",
            a.stderr
        );
        assert!(
            lines[0].contains(&name),
            "{what}: the message names the sample: {}",
            lines[0]
        );
        assert_ne!(a.code, 0, "{what}: no report is never a pass");
        return;
    }
    let v: J = serde_json::from_str(&a.stdout)
        .unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {}", a.stdout));
    assert_eq!(v["format"], "ekm-check.scan/v1", "{what}");
    assert!(
        !v["targets"].as_array().unwrap().is_empty(),
        "{what}: a report has targets"
    );
    assert!(matches!(a.code, 0 | 1), "{what}: exit {}", a.code);
}

/// Each role of a sample, named with `--role`: checked as a target (a failing one, since
/// none of the samples trusts OpenAI), in every output format.
fn each_role_in_every_format(input: &[&str], roles: &[String], sample: &Path) {
    for role in roles {
        for format in ["json", "table", "sarif", "junit"] {
            let args = [input, &["--role", role, "--format", format]].concat();
            let what = format!("lint {}", args.join(" "));
            let a = lint(&args);
            assert!(
                !a.stderr.contains("panicked") && matches!(a.code, 0 | 1),
                "{what}: exit {}: {}",
                a.code,
                a.stderr
            );
            assert!(!a.stdout.trim().is_empty(), "{what}: a report");
            if format == "json" {
                assert_clear(&a, sample, &what);
                let v: J = serde_json::from_str(&a.stdout).unwrap();
                let source = v["targets"][0]["source"].as_str().unwrap();
                assert!(source.contains(&format!("role {role}")), "{what}: {source}");
            }
        }
    }
}

/// The CloudFormation samples no reader could read: scanners' fixtures for parse errors.
const UNREADABLE: &[(&str, &str)] = &[
    ("checkov/parser-fail.json", "it holds `foo`"),
    ("checkov/runner-invalid.json", "it ends inside an object"),
];

#[test]
fn cloudformation_samples_are_read_without_a_crash_and_answered_clearly() {
    let all = samples("cloudformation");
    assert!(all.len() >= 15, "{} samples", all.len());
    for f in &all {
        let file = f.to_str().unwrap();
        let rel = f.strip_prefix(root().join("cloudformation")).unwrap();
        let unreadable = UNREADABLE.iter().any(|(u, _)| Path::new(u) == rel);
        for extra in [
            &[][..],
            &["--account", "123456789012", "--region", "us-east-1"],
        ] {
            let args = [&["--cloudformation", file, "--format", "json"][..], extra].concat();
            let what = format!("lint {}", args.join(" "));
            let a = lint(&args);
            assert_clear(&a, f, &what);
            if unreadable {
                assert_eq!(a.code, 2, "{what}: {}", a.stderr);
                assert!(a.stderr.starts_with("error: "), "{what}: {}", a.stderr);
                continue;
            }
            assert_ne!(a.code, 2, "{what}: a readable template: {}", a.stderr);
            if a.stdout.trim().is_empty() {
                assert!(
                    a.stderr
                        .starts_with("no role that trusts OpenAI's principal (arn:aws:iam::790389265272:role/EnterpriseKeyManagement)"),
                    "{what}: {}",
                    a.stderr
                );
                // --role is the way out only when the template has a role to name.
                if a.stderr.contains("has no AWS::IAM::Role resource") {
                    assert!(!a.stderr.contains("--role"), "{what}: {}", a.stderr);
                }
            }
        }
        if unreadable {
            continue;
        }
        // Each role of the template, named with --role: checked as a target (a failing one,
        // since none of these trusts OpenAI), in every output format.
        let src = std::fs::read_to_string(f).unwrap();
        let roles = analyze(&src, file, &Options::default())
            .unwrap_or_else(|e| panic!("{file}: {e}"))
            .roles;
        each_role_in_every_format(
            &[
                "--cloudformation",
                file,
                "--account",
                "123456789012",
                "--region",
                "us-east-1",
            ],
            &roles,
            f,
        );
    }
}

/// The Terraform samples that are not HCL Terraform 0.12+ reads.
const TF_UNREADABLE: &[(&str, &str)] = &[(
    "checkov/example_AdminPolicyDocument",
    "a block inside an object (Terraform 0.11 syntax)",
)];

#[test]
fn terraform_samples_are_read_without_a_crash_and_answered_clearly() {
    let all = samples("terraform");
    assert!(all.len() >= 10, "{} samples", all.len());
    for d in &all {
        let dir = d.to_str().unwrap();
        for extra in [
            &[][..],
            &["--account", "123456789012", "--region", "us-east-1"],
        ] {
            let args = [&["--terraform", dir, "--format", "json"][..], extra].concat();
            let what = format!("lint {}", args.join(" "));
            let a = lint(&args);
            assert_clear(&a, d, &what);
            let rel = d.strip_prefix(root().join("terraform")).unwrap();
            if TF_UNREADABLE.iter().any(|(u, _)| Path::new(u) == rel) {
                assert_eq!(a.code, 2, "{what}: {}", a.stderr);
                assert!(a.stderr.starts_with("error: "), "{what}: {}", a.stderr);
                assert!(a.stderr.contains("main.tf: line "), "{what}: {}", a.stderr);
                continue;
            }
            assert_ne!(a.code, 2, "{what}: a readable configuration: {}", a.stderr);
        }
        if TF_UNREADABLE.iter().any(|(u, _)| d.ends_with(u)) {
            continue;
        }
        // Each role, named with --role: checked as a target, in every output format.
        let opts = ekm_check::iac::terraform::Options::default();
        let (resources, _) = ekm_check::iac::terraform::config::load(d, &opts).unwrap();
        let roles = ekm_check::iac::terraform::targets::analyze(&resources, dir, &opts)
            .unwrap()
            .roles;
        each_role_in_every_format(&["--terraform", dir], &roles, d);
    }
}

#[test]
fn plan_samples_are_read_without_a_crash_and_answered_clearly() {
    let all = samples("plan");
    assert!(all.len() >= 5, "{} samples", all.len());
    for f in &all {
        let file = f.to_str().unwrap();
        for extra in [
            &[][..],
            &["--account", "123456789012", "--region", "us-east-1"],
        ] {
            let args = [&["--terraform-plan", file, "--format", "json"][..], extra].concat();
            let what = format!("lint {}", args.join(" "));
            let a = lint(&args);
            assert_clear(&a, f, &what);
            assert_ne!(a.code, 2, "{what}: a readable plan: {}", a.stderr);
        }
        // Each role, named with --role: checked as a target, in every output format.
        let opts = ekm_check::iac::terraform::Options::default();
        let bytes = std::fs::read(f).unwrap();
        let (resources, _) = ekm_check::iac::terraform::plan::load(&bytes, file, &opts).unwrap();
        let roles = ekm_check::iac::terraform::targets::analyze(&resources, file, &opts)
            .unwrap()
            .roles;
        each_role_in_every_format(&["--terraform-plan", file], &roles, f);
    }
}

#[test]
fn every_sample_is_listed_in_sources_and_every_listed_sample_exists() {
    let sources = std::fs::read_to_string(root().join("SOURCES.md")).unwrap();
    let mut listed = Vec::new();
    for line in sources.lines().filter(|l| l.starts_with("| `")) {
        let sample = line.trim_start_matches("| `").split('`').next().unwrap();
        assert!(root().join(sample).is_file(), "SOURCES.md lists {sample}");
        listed.push(sample.to_string());
    }
    for kind in ["cloudformation", "terraform", "plan"] {
        let mut files = Vec::new();
        for s in samples(kind) {
            if s.is_dir() {
                for e in std::fs::read_dir(&s).unwrap() {
                    files.push(e.unwrap().path());
                }
            } else {
                files.push(s);
            }
        }
        assert!(!files.is_empty(), "{kind}");
        for f in files {
            let rel = f
                .strip_prefix(root())
                .unwrap()
                .to_str()
                .unwrap()
                .to_string();
            assert!(listed.contains(&rel), "{rel} is not in SOURCES.md");
        }
    }
    for (u, _) in UNREADABLE {
        assert!(
            listed.contains(&format!("cloudformation/{u}")),
            "{u} is a sample"
        );
    }
}
