//! Fuzz regressions: every file in `tests/fuzz-regressions/`, named `<target>-<short-name>.bin`,
//! goes through the same code as its cargo-fuzz target (`fuzz/src/checks.rs`, included below, is
//! the targets' body), and must not panic. A handful of hand-picked nasty inputs go through all
//! four targets. Files that reproduce a bug not fixed yet are listed in `KNOWN_BUGS` and checked
//! by their own `#[ignore]`d test, so that `main` stays green until the fix lands.
//!
//! See CONTRIBUTING.md, "Fuzzing".

#[path = "../fuzz/src/checks.rs"]
mod checks;

use std::any::Any;
use std::panic;
use std::path::{Path, PathBuf};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz-regressions");

/// Regression files that still crash: checked only by their own `#[ignore = "BUG: …"]` test,
/// so that `main` stays green until the fix lands. Remove a file's entry (and the `#[ignore]` of
/// its test) with the fix.
const KNOWN_BUGS: &[&str] = &[];

fn message(e: &(dyn Any + Send)) -> String {
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "(a panic without a message)".into())
}

/// Run `target` on `data`; the panic message when it panics.
fn run(target: checks::Target, data: &[u8]) -> Result<(), String> {
    panic::catch_unwind(|| target(data)).map_err(|e| message(e.as_ref()))
}

/// The target named by a regression file (`<target>-<short-name>.bin`).
fn target_of(path: &Path) -> Result<(&'static str, checks::Target), String> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let prefix = name.split_once('-').map(|(t, _)| t).unwrap_or("");
    checks::TARGETS
        .iter()
        .find(|(t, _)| *t == prefix)
        .copied()
        .ok_or_else(|| format!("{name}: not named <target>-<short-name>.bin"))
}

fn regression_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(DIR) {
        Ok(rd) => rd.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    };
    files.retain(|p| p.extension().is_some_and(|e| e == "bin"));
    files.sort();
    files
}

/// Run one regression file through its target.
fn run_file(name: &str) -> Result<(), String> {
    let path = Path::new(DIR).join(name);
    let data = std::fs::read(&path).map_err(|e| format!("{name}: {e}"))?;
    let (target, f) = target_of(&path)?;
    run(f, &data).map_err(|m| format!("{name} ({target}): {m}"))
}

#[test]
fn every_regression_file_runs_clean() {
    let mut failures = Vec::new();
    for path in regression_files() {
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if KNOWN_BUGS.contains(&name.as_str()) {
            continue;
        }
        if let Err(m) = run_file(&name) {
            failures.push(m);
        }
    }
    assert!(
        failures.is_empty(),
        "fuzz regressions that panic:\n{}",
        failures.join("\n")
    );
}

#[test]
fn known_bugs_are_regression_files() {
    for name in KNOWN_BUGS {
        assert!(
            Path::new(DIR).join(name).is_file(),
            "KNOWN_BUGS names {name}, which is not in tests/fuzz-regressions/"
        );
    }
}

/// Found by all of json_parse, eval_request and snapshot_rules (fixed in src/json.rs since):
/// `json::Parser::unexpected_value` cut an unclosed `<placeholder` at byte 40, which panicked
/// ("byte index 40 is not a char boundary") when byte 40 was inside a multi-byte character.
/// Every reader of JSON text reached it: `lint`, snapshots, and `eval --batch` (through
/// `request::explain_unreadable`).
#[test]
fn placeholder_cut_mid_char() {
    for name in [
        "json_parse-placeholder-cut-mid-char.bin",
        "eval_request-placeholder-cut-mid-char.bin",
        "snapshot_rules-placeholder-cut-mid-char.bin",
    ] {
        run_file(name).unwrap();
    }
}

/// Found by json_parse (fixed in src/json.rs since): `json::Parser::hex4` used
/// `u32::from_str_radix`, which accepts a leading `+`, so `"\u+4ff"` read as U+04FF where JSON
/// (and IAM) reject it.
#[test]
fn signed_unicode_escape() {
    run_file("json_parse-signed-unicode-escape.bin").unwrap();
}

/// Inputs that have broken parsers before, or that sit on a limit.
fn nasty_inputs() -> Vec<(&'static str, Vec<u8>)> {
    let deep = |open: &str, n: usize| open.repeat(n).into_bytes();
    let snapshot =
        |body: &str| format!("{{\"format\": \"ekm-check.snapshot/v1\", {body}}}").into_bytes();
    let request = |extra: &str| {
        format!(
            "{{\"principal\": \"arn:aws:sts::111122223333:assumed-role/openai-ekm/S\", \
             \"action\": \"kms:Encrypt\", \
             \"resource\": \"arn:aws:kms:us-east-1:111122223333:key/k\"{extra}}}"
        )
        .into_bytes()
    };
    vec![
        ("empty", Vec::new()),
        ("white space", b" \n\t\r ".to_vec()),
        ("BOM only", b"\xef\xbb\xbf".to_vec()),
        ("BOM then object", b"\xef\xbb\xbf{}".to_vec()),
        ("invalid UTF-8", b"{\"a\": \"\xff\xfe\"}".to_vec()),
        ("truncated UTF-8", b"[\"\xe2\x82".to_vec()),
        ("128 arrays", deep("[", 128)),
        ("129 arrays", deep("[", 129)),
        ("deep objects", deep("{\"a\":", 200)),
        ("deep closed", format!("{}{}", "[".repeat(127), "]".repeat(127)).into_bytes()),
        ("lone surrogate", b"[\"\\ud800\", \"\\udc00\"]".to_vec()),
        ("surrogate then text", b"\"\\ud83dx\"".to_vec()),
        ("signed hex escape", b"\"\\u+041\"".to_vec()),
        ("escape at the end", b"\"\\".to_vec()),
        ("numbers at the edge", b"[1e400, -0, -0.0, 18446744073709551616, 1E-400]".to_vec()),
        ("leading zero", b"{\"a\": 0123}".to_vec()),
        ("long unquoted word", "{\"a\": ÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉ}".as_bytes().to_vec()),
        (
            "unclosed placeholder, multibyte",
            "[<ééééééééééééééééééééééééééé".as_bytes().to_vec(),
        ),
        ("typographic quotes", "{\u{201c}a\u{201d}: \u{2018}b\u{2019}}".as_bytes().to_vec()),
        ("no-break space", "{\"a\":\u{a0}1}".as_bytes().to_vec()),
        ("comment", b"{\"a\": 1 /* x */}".to_vec()),
        ("control character", b"[\"a\tb\"]".to_vec()),
        ("duplicate members", b"{\"a\": 1, \"a\": [2], \"a\": {\"a\": 3}}".to_vec()),
        (
            "policy with broken variables",
            br#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "kms:*",
                "Resource": ["${", "${}", "${aws:x, '", "arn:aws:kms:*:${*}:key/?*?", "*:*:*:*:*:*:*"],
                "Condition": {"StringLike": {"aws:PrincipalTag/${aws:username}": "${aws:x,'d'}*"}}}}"#
                .to_vec(),
        ),
        (
            "policy with odd operators",
            br#"{"Statement": [{"Effect": "Deny", "NotAction": [], "NotResource": "*",
                "Condition": {"ForAllValues:NumericLessThanIfExists": {"k": ["1e400", "-", true]},
                "DateGreaterThan": {"aws:CurrentTime": "9999-99-99"}, "IpAddress": {"aws:SourceIp": "::/0"},
                "Null": {"k": "maybe"}, "BinaryEquals": {"k": "=="}, "Bogus": []}}]}"#
                .to_vec(),
        ),
        (
            "policy with odd principals",
            br#"{"Statement": {"Effect": "Allow", "Action": "sts:AssumeRole", "NotPrincipal":
                {"AWS": ["", "*", "arn", "arn:aws:iam::", "AROA", "111122223333", ":::::"],
                 "Service": "", "Federated": [], "CanonicalUser": 1, "Other": "x"}}}"#
                .to_vec(),
        ),
        ("request, minimal", request("")),
        (
            "request, everything unknown",
            request(", \"unknown\": [\"*\", \"\"], \"context\": {\"aws:SourceIp\": []}"),
        ),
        (
            "request, empty documents",
            request(", \"identity_policies\": [{}], \"resource_policy\": {}, \"permission_boundaries\": [], \"scps\": [[], {}]"),
        ),
        ("request, odd principal", b"{\"principal\": \"\", \"action\": \"\", \"resource\": \"\"}".to_vec()),
        ("request, caller assumed", request(", \"caller_identity_assumed\": true, \"resource_policy\": null")),
        ("snapshot, empty", snapshot("\"key\": null")),
        (
            "snapshot, text documents",
            snapshot("\"key\": {\"policy\": \"%\", \"aliases\": [], \"grants\": []}, \"role\": {\"trust_policy\": \"%7B%\", \"inline_policies\": [{\"document\": \"\"}], \"attached_policies\": [], \"permissions_boundary\": null}"),
        ),
        (
            "snapshot, errors everywhere",
            snapshot("\"errors\": {\"key\": 1, \"role\": null, \"key.policy\": [], \"role.inline_policies[0]\": \"x\"}, \"registration\": {\"kms_arn\": \"\", \"role_arn\": \"\", \"external_id\": \"\"}"),
        ),
        (
            "snapshot, odd metadata",
            snapshot("\"key\": {\"metadata\": {\"KeySpec\": 1, \"KeyState\": [], \"ValidTo\": \"x\", \"MultiRegion\": \"yes\", \"Arn\": \"arn:aws:kms:::\"}, \"policy\": {}, \"rotation_enabled\": null, \"aliases\": [{\"AliasName\": 1}, 2], \"grants\": [null]}, \"role\": {\"Arn\": \"\", \"trust_policy\": {}, \"inline_policies\": [], \"attached_policies\": [], \"permissions_boundary\": {\"document\": []}}"),
        ),
    ]
}

#[test]
fn nasty_inputs_through_all_four_paths() {
    let mut failures = Vec::new();
    for (what, data) in nasty_inputs() {
        for (target, f) in checks::TARGETS {
            if let Err(m) = run(f, &data) {
                failures.push(format!("{what} ({target}): {m}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "nasty inputs that panic:\n{}",
        failures.join("\n")
    );
}
