//! `--help` teaches, and its examples copy-paste: at any terminal width the example lines are
//! printed whole (clap wraps help text at spaces, so long values sit in one-word variable
//! assignments and command lines stay short), they hold no `…` to fill in, and they are valid
//! shell.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_ekm-check");
const COMMANDS: &[&str] = &[
    "check",
    "lint",
    "snapshot",
    "scan",
    "eval",
    "init",
    "merge-reports",
    "diagnose",
    "register",
    "external-keys",
];

fn help(cmd: &str, columns: usize) -> String {
    let out = Command::new(BIN)
        .args([cmd, "--help"])
        .env("COLUMNS", columns.to_string())
        .output()
        .unwrap();
    assert!(out.status.success(), "{cmd} --help");
    String::from_utf8(out.stdout).unwrap()
}

/// The indented lines of the "Example…" paragraph(s).
fn examples(help: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in help.lines() {
        if line.starts_with("Example") {
            inside = true;
            continue;
        }
        if inside {
            if line.starts_with("  ") {
                out.push(line.trim_start().to_string());
            } else if !out.is_empty() {
                inside = false;
            }
        }
    }
    out
}

#[test]
fn every_example_pastes_at_every_width() {
    for cmd in COMMANDS {
        let wide = examples(&help(cmd, 250));
        assert!(!wide.is_empty(), "{cmd} --help has no example");
        for line in &wide {
            assert!(
                !line.contains('…'),
                "{cmd}: a placeholder to fill in: {line}"
            );
        }
        let script = wide.join("\n");
        let bash = Command::new("bash")
            .args(["-n", "-c", &script])
            .output()
            .unwrap();
        assert!(
            bash.status.success(),
            "{cmd}: the example is not valid shell:\n{script}\n{}",
            String::from_utf8_lossy(&bash.stderr)
        );
        for cols in [60, 80, 100] {
            assert_eq!(
                examples(&help(cmd, cols)),
                wide,
                "{cmd} --help at {cols} columns breaks an example line"
            );
        }
    }
}

#[test]
fn a_wrapped_example_would_be_caught() {
    // The near neighbour: a line clap had to wrap differs from the unwrapped one.
    let wrapped =
        "Example:\n  ekm-check check --kms-arn arn:aws:kms:us-east-1:1:key/x\n  --role-arn r\n";
    let whole =
        "Example:\n  ekm-check check --kms-arn arn:aws:kms:us-east-1:1:key/x --role-arn r\n";
    assert_ne!(examples(wrapped), examples(whole));
}

#[test]
fn scan_help_names_the_format_it_writes() {
    let h = help("scan", 100);
    assert!(h.contains("ekm-check.scan/v1"), "{h}");
    // scan takes the connection flags of check, with the same defaults.
    for flag in [
        "--connect-timeout",
        "--read-timeout",
        "--max-attempts",
        "--endpoint-url",
    ] {
        assert!(h.contains(flag), "scan --help lacks {flag}");
    }
    let check = help("check", 100);
    for default in ["[default: 3]", "[default: 10]", "[default: 4]"] {
        assert!(h.contains(default) && check.contains(default), "{default}");
    }
}
