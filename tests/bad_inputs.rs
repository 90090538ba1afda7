//! Bad inputs: every document users really produce (or attackers could) gets a clear message
//! naming the file — with line and column where the JSON is malformed — the right exit code, in
//! bounded time and memory, and never a panic (issue 7, part 1).
//!
//! # The corpus
//!
//! `tests/bad-inputs/` holds one small document a file (93 files, 71 KB in all); [`CORPUS`] below lists each
//! with what it is and what every mode must answer. In short:
//!
//! - OpenAI's own page, copied verbatim from the seed instructions: `seed-trust.json` (no-break
//!   spaces, an unquoted `<YOUR_OPENAI_ORGANIZATION_ID>`, a trailing comma) and
//!   `seed-permissions.json` (no-break spaces, an unquoted `<YOUR_KMS_ARN>`).
//! - JSON mistakes: typographic quotes, `//`, `/* */` and `#` comments, single quotes, trailing
//!   text, two objects, a trailing or a missing comma, an unterminated or truncated document, an
//!   unquoted `YOUR_KMS_ARN`, Python's `True`, an account id with a leading zero, a raw tab or an
//!   invalid escape in a string, YAML, a URL-encoded policy (as IAM's API returns it), an HTML
//!   error page, a JSON Lines file, an empty, white-space-only or no-break-space-only file.
//! - Valid JSON that is no policy: `null`, `[]`, `"string"`, `42`, `true`, a list of policies,
//!   `aws iam get-role-policy` output, and wrong types everywhere (`"Action": 5`,
//!   `"Statement": "x"`, `"Effect": true`, `"Principal": 7`, `"Condition": []`, condition values
//!   that are objects, `"Version": 2012`, statements that are `null`/numbers), `Action` with
//!   `NotAction`, `Resource` with `NotResource`, lowercase `"allow"`, an unknown element, a
//!   statement missing Effect, Action or Resource, an empty Statement.
//! - Valid policies with odd bytes (must work): a UTF-8 BOM, CRLF line ends, duplicate keys, a
//!   `\u0000` inside a string, `-0`, `1e999999`, a 5,000-digit integer.
//! - Encodings and binaries: invalid UTF-8, Latin-1, UTF-16 (LE with BOM, BE without), UTF-32, a
//!   NUL byte, 512 random bytes, a PNG, a gzip file; lone, paired-wrong and truncated `\u` escapes.
//! - Snapshots (`snap-*.json`, edits of `fixtures/ok-baseline/snapshot.json`): wrong, numeric or
//!   missing `format`; `key`/`role`/`key.metadata` of the wrong type; `role.inline_policies` an
//!   object; an inline policy without a document; `errors` a list; a policy document that is a
//!   number, or text that is not JSON; `registration` a string or with a number for `kms_arn`;
//!   `rotation_enabled` a string; `aliases` a string; a boundary that is a string; a trailing comma.
//!
//! Generated at test time into a temporary directory (never committed): 100,000 nested arrays and
//! objects, 128 and 129 levels, a 50 MB file, a file of exactly 16 MiB and one byte more, 10,000
//! statements, a 64 KiB and a 2 MiB action name, a 4 MiB one-line policy, a snapshot whose key
//! policy has 10,000 statements, a 50 MB JSON Lines line and 200,000 garbage lines for
//! `eval --batch`; and paths that are not regular files: a directory, a missing path, a symlink
//! loop, an unreadable file (skipped as root), a name with spaces and non-ASCII letters,
//! `/dev/null`, `/dev/zero`, `/dev/urandom`, a FIFO with a writer, and `-` (standard input).
//! A FIFO that nobody ever writes to is not tested: `open(2)` blocks, as it does for `cat`.
//! An endless stream of short lines (`eval --batch /dev/urandom`) is not tested either: batch is
//! a stream by design and answers line after line for ever.
//!
//! # The modes and what each bad input yields
//!
//! Every corpus document runs in four modes (the binary, as users run it):
//!
//! | mode    | command line |
//! | ------- | ------------ |
//! | `trust` | `lint --trust-policy F --external-id org-… --role-arn arn:aws:iam::111122223333:role/openai-ekm --format json` |
//! | `perm`  | `lint --permissions F --format json` |
//! | `snap`  | `check --snapshot F --format json` |
//! | `eval`  | `eval --principal arn:aws:sts::111122223333:assumed-role/r/s --action kms:Encrypt --resource arn:aws:kms:…:key/… --identity-policy F` |
//!
//! | input | `lint` (trust, perm) | `check --snapshot` | `eval --identity-policy` |
//! | ----- | -------------------- | ------------------ | ------------------------ |
//! | malformed JSON, not UTF-8, empty | exit 1: EKM004 fails, `F is not valid JSON: line N, column M: …`, evidence with file, line, column | exit 2: `error: F: line N, column M: …` | exit 2, as `check` |
//! | valid JSON, not a valid IAM policy | exit 1: EKM004 fails, `F line N, column M: …` | exit 2: not a snapshot (`no "format"`, `a snapshot is a JSON object`) | exit 2: `error: F: …` then `not a valid policy document` |
//! | a valid identity policy | EKM004 passes (trust: fails, no Principal) | exit 2: not a snapshot | exit 0/1: the decision |
//! | a snapshot of the wrong shape (`format`, a part of the wrong type) | exit 1: EKM004 (not a policy) | exit 2: `error: F: …` naming the part | exit 2 |
//! | a snapshot holding a bad policy document | exit 1: EKM004 | exit 1: the report, EKM004 fails with the snapshot's line | exit 2 |
//! | directory, missing path, symlink loop, unreadable | exit 2: `error: F: …` | exit 2 | exit 2 |
//! | larger than 16 MiB (`MAX_INPUT_BYTES`), `/dev/zero`, `/dev/urandom` | exit 2: `F: larger than 16 MiB` | exit 2 | exit 2 (batch: `line 1 is longer than the input limit`) |
//! | nested deeper than 128 levels (`json::MAX_DEPTH`) | exit 1: EKM004, `nested more than 128 levels deep` | exit 2 | exit 2 |
//! | `eval --batch` with garbage lines | — | — | exit 2: every line answered, `line N: …` for each bad one |
//!
//! Every run, whatever the input: it ends within [`TIME_LIMIT`] (20 s; killed and failed
//! otherwise), not by a signal, with exit code 0, 1 or 2, and "panicked" appears in neither
//! stdout nor stderr. The big inputs run under `/usr/bin/time -f %M` when it is there, and their
//! peak resident memory must stay under [`MEMORY_LIMIT_KB`] (512 MiB); without it the memory
//! assertion is skipped with a note on stderr. Runs go through a small pool of threads so that the
//! whole file takes well under a minute on two cores (the binary is the debug build).
//!
//! # Known bugs
//!
//! Tests named `bug_…` are `#[ignore]`d: each demonstrates a bug found by this corpus, with the
//! expected behaviour. Run them with `cargo test --test bad_inputs -- --ignored`. Corpus rows
//! for those inputs are [`Exp::Bug`]: only the invariants above are checked for them. When a bug is
//! fixed, remove the `#[ignore]` and give the row its real expectation.
//!
//! # Adding a case
//!
//! 1. Put the document in `tests/bad-inputs/` with a short name saying what is wrong
//!    (`effect-lowercase.json`); anything larger than a few KB is generated in
//!    [`large_generated_inputs_stay_bounded`] instead.
//! 2. Add a row to [`CORPUS`] (the test fails for a file without a row, or a row without a file):
//!    `syntax(file, line, column, what)` for malformed JSON (the position of the first error),
//!    `invalid(…)` for valid JSON that is no IAM policy, `identity_ok(…)` for a policy that must
//!    work, `snapshot(…)` for a snapshot, or a `Case { … }` with an [`Exp`] for each mode.
//! 3. `cargo test --test bad_inputs`.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_ekm-check");
/// A run that takes longer is killed, and fails.
const TIME_LIMIT: Duration = Duration::from_secs(20);
/// Peak resident memory allowed for one run, in KiB.
const MEMORY_LIMIT_KB: u64 = 512 * 1024;
/// `input::MAX_INPUT_BYTES`.
const MAX_INPUT_BYTES: usize = 16 * 1024 * 1024;
/// `json::MAX_DEPTH`.
const MAX_DEPTH: usize = 128;

const EXTERNAL_ID: &str = "org-AbCdEf0123456789GhIjKlMn";
const ROLE_ARN: &str = "arn:aws:iam::111122223333:role/openai-ekm";
const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/r/s";
const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

/// What `check --snapshot` says of a JSON document that is not a snapshot.
const NOT_SNAPSHOT: &str = "no \"format\"";
/// What `eval` says after listing a policy's errors.
const NOT_POLICY: &str = "not a valid policy document";
const TOO_LARGE: &str = "larger than 16 MiB";

// ---------------------------------------------------------------------------------------------
// The corpus and what each mode must answer
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Trust,
    Perm,
    Snap,
    Eval,
}

const MODES: [Mode; 4] = [Mode::Trust, Mode::Perm, Mode::Snap, Mode::Eval];

impl Mode {
    fn args(self, file: &str) -> Vec<OsString> {
        let v: Vec<&str> = match self {
            Mode::Trust => vec![
                "lint",
                "--trust-policy",
                file,
                "--external-id",
                EXTERNAL_ID,
                "--role-arn",
                ROLE_ARN,
                "--format",
                "json",
            ],
            Mode::Perm => vec!["lint", "--permissions", file, "--format", "json"],
            Mode::Snap => vec!["check", "--snapshot", file, "--format", "json"],
            Mode::Eval => vec![
                "eval",
                "--principal",
                SESSION,
                "--action",
                "kms:Encrypt",
                "--resource",
                KEY,
                "--identity-policy",
                file,
            ],
        };
        v.into_iter().map(OsString::from).collect()
    }
}

/// What one mode must answer for one input.
#[derive(Debug, Clone, Copy)]
enum Exp {
    /// `lint`: exit 1 and EKM004 fails naming the file, with evidence in the file. With a
    /// position: `FILE is not valid JSON: line N, column M:` (the first syntax error).
    Ekm004Fail(Option<(u32, u32)>),
    /// `lint`: EKM004 passes; the exit code (0 or 1) is the verdict of the other rules.
    Ekm004Pass(i32),
    /// Exit 2 and nothing on stdout; stderr has `error: FILE: ` and the text. With a position:
    /// `error: FILE: line N, column M: `.
    Input(&'static str, Option<(u32, u32)>),
    /// `eval`: the request was decided (exit 0 allowed, 1 denied), no error.
    Decided(i32),
    /// `check`: the snapshot was read and checked: exit code, and EKM004's status.
    Checked(i32, &'static str),
    /// Only the invariants (the caller checks the rest, or there is nothing more to say).
    Any,
}

use Exp::*;

#[derive(Debug)]
struct Case {
    file: &'static str,
    what: &'static str,
    trust: Exp,
    perm: Exp,
    snap: Exp,
    eval: Exp,
}

impl Case {
    fn exp(&self, m: Mode) -> Exp {
        match m {
            Mode::Trust => self.trust,
            Mode::Perm => self.perm,
            Mode::Snap => self.snap,
            Mode::Eval => self.eval,
        }
    }
}

/// Malformed JSON (or not UTF-8): the first error is at `line`, `col` in every mode.
const fn syntax(file: &'static str, line: u32, col: u32, what: &'static str) -> Case {
    let at = Some((line, col));
    Case {
        file,
        what,
        trust: Ekm004Fail(at),
        perm: Ekm004Fail(at),
        snap: Input("", at),
        eval: Input("", at),
    }
}

/// Valid JSON that is not a valid IAM policy, as a trust policy or as a permissions policy.
const fn invalid(file: &'static str, what: &'static str) -> Case {
    Case {
        file,
        what,
        trust: Ekm004Fail(None),
        perm: Ekm004Fail(None),
        snap: Input(NOT_SNAPSHOT, None),
        eval: Input(NOT_POLICY, None),
    }
}

/// A JSON value that is not an object at all.
const fn not_object(file: &'static str, what: &'static str, type_name: &'static str) -> Case {
    Case {
        file,
        what,
        trust: Ekm004Fail(None),
        perm: Ekm004Fail(None),
        snap: Input(type_name, None),
        eval: Input(NOT_POLICY, None),
    }
}

/// A valid identity policy (it must work): as a trust policy it lacks a Principal (EKM004);
/// `lint --permissions` passes EKM004 with exit `perm`; eval decides with exit `eval`.
const fn identity_ok(file: &'static str, what: &'static str, perm: i32, eval: i32) -> Case {
    Case {
        file,
        what,
        trust: Ekm004Fail(None),
        perm: Ekm004Pass(perm),
        snap: Input(NOT_SNAPSHOT, None),
        eval: Decided(eval),
    }
}

/// A snapshot (no policy document: EKM004 for `lint`, an invalid policy for `eval`).
const fn snapshot(file: &'static str, what: &'static str, snap: Exp) -> Case {
    Case {
        file,
        what,
        trust: Ekm004Fail(None),
        perm: Ekm004Fail(None),
        snap,
        eval: Input(NOT_POLICY, None),
    }
}

static CORPUS: &[Case] = &[
    // OpenAI's instructions, verbatim.
    syntax(
        "seed-trust.json",
        2,
        1,
        "the seed's trust policy: no-break spaces, <YOUR_OPENAI_ORGANIZATION_ID>, a trailing comma",
    ),
    syntax(
        "seed-permissions.json",
        2,
        1,
        "the seed's permissions policy: no-break spaces, <YOUR_KMS_ARN>",
    ),
    // JSON mistakes.
    syntax(
        "typographic-quotes.json",
        6,
        7,
        "“Effect”: “Allow” from a word processor",
    ),
    syntax("comment-slash.json", 2, 3, "a // comment"),
    syntax("comment-block.json", 2, 3, "a /* */ comment over two lines"),
    syntax("comment-hash.json", 1, 1, "a # comment"),
    syntax("single-quotes.json", 6, 7, "'Effect': 'Allow'"),
    syntax(
        "trailing-garbage.json",
        15,
        1,
        "text after the closing brace",
    ),
    syntax("two-objects.json", 15, 1, "two policies concatenated"),
    syntax(
        "trailing-comma.json",
        10,
        7,
        "a comma after the last action",
    ),
    syntax("missing-comma.json", 7, 7, "no comma between two members"),
    syntax(
        "unterminated-string.json",
        8,
        9,
        "a string without its closing quote",
    ),
    syntax("truncated.json", 8, 9, "the first half of a policy"),
    syntax(
        "unquoted-placeholder.json",
        11,
        19,
        "\"Resource\": YOUR_KMS_ARN",
    ),
    syntax("python-literals.json", 1, 10, "Python's True"),
    syntax(
        "account-number.json",
        7,
        16,
        "\"AWS\": 011122223333, a number with a leading zero",
    ),
    syntax("raw-tab-in-string.json", 8, 14, "a raw tab inside a string"),
    syntax("invalid-escape.json", 8, 15, "\\x inside a string"),
    syntax("yaml.json", 1, 1, "the policy written as YAML"),
    syntax(
        "url-encoded.json",
        1,
        1,
        "a URL-encoded policy, as IAM's API returns it",
    ),
    syntax(
        "html-error-page.json",
        1,
        1,
        "an HTML 403 page saved by curl",
    ),
    syntax(
        "batch-garbage.jsonl",
        3,
        1,
        "an eval --batch file (JSON Lines, one line not UTF-8)",
    ),
    syntax("empty.json", 1, 1, "0 bytes"),
    syntax("whitespace.json", 4, 1, "only white space"),
    syntax("nbsp-only.json", 1, 1, "only no-break spaces"),
    // Valid JSON, not a policy.
    not_object("top-null.json", "null", "not null"),
    not_object("top-array.json", "[]", "not an array"),
    not_object("top-string.json", "\"string\"", "not a string"),
    not_object("top-number.json", "42", "not a number"),
    not_object("top-true.json", "true", "not a boolean"),
    not_object(
        "policy-array.json",
        "[policy]: a list of policies",
        "not an array",
    ),
    invalid(
        "aws-cli-output.json",
        "aws iam get-role-policy output, not the document",
    ),
    invalid("action-number.json", "\"Action\": 5"),
    invalid(
        "action-list-of-lists.json",
        "\"Action\": [[\"kms:Encrypt\"], null, 1.5]",
    ),
    invalid("statement-string.json", "\"Statement\": \"x\""),
    invalid("statement-empty.json", "\"Statement\": []"),
    invalid("statement-null.json", "\"Statement\": [null, 3, \"s\"]"),
    invalid("effect-bool.json", "\"Effect\": true"),
    invalid("effect-lowercase.json", "\"Effect\": \"allow\""),
    invalid("version-number.json", "\"Version\": 2012"),
    invalid("principal-number.json", "\"Principal\": 7"),
    invalid("condition-array.json", "\"Condition\": []"),
    invalid(
        "condition-value-object.json",
        "a condition value that is an object",
    ),
    invalid(
        "condition-operator-string.json",
        "\"StringEquals\": \"sts:ExternalId\"",
    ),
    invalid("action-and-notaction.json", "Action and NotAction"),
    invalid("resource-and-notresource.json", "Resource and NotResource"),
    invalid("unknown-element.json", "\"Actions\" for \"Action\""),
    invalid("missing-effect.json", "a statement without Effect"),
    invalid("missing-action.json", "a statement without Action"),
    invalid("missing-resource.json", "a statement without Resource"),
    Case {
        file: "principal-in-identity.json",
        what: "Principal in a permissions policy (valid in a trust policy, where other rules fail)",
        trust: Ekm004Pass(1),
        perm: Ekm004Fail(None),
        snap: Input(NOT_SNAPSHOT, None),
        eval: Input(NOT_POLICY, None),
    },
    // Valid policies with odd bytes: they must work.
    identity_ok("bom.json", "a UTF-8 byte order mark", 0, 1),
    identity_ok("crlf.json", "CRLF line ends", 0, 1),
    // Documents that allow nothing: linted alone they fail (EKM302/EKM303: no key at all).
    identity_ok(
        "duplicate-keys.json",
        "\"Effect\" twice: the last (Deny) counts, EKM006 warns",
        1,
        1,
    ),
    identity_ok(
        "unknown-action.json",
        "kms:Encrpyt and kms:Decript: allows nothing, EKM006 suggests the names",
        1,
        1,
    ),
    identity_ok("duplicate-statement-key.json", "\"Statement\" twice", 0, 1),
    identity_ok("nul-escape.json", "\\u0000 inside the Sid", 0, 1),
    identity_ok(
        "nul-escape-action.json",
        "\\u0000 at the end of an action: an unknown action, allows nothing",
        1,
        1,
    ),
    identity_ok("negative-zero.json", "NumericEquals -0", 0, 1),
    identity_ok("huge-exponent.json", "NumericLessThan 1e999999", 0, 1),
    identity_ok("huge-integer.json", "a 5,000-digit integer", 0, 1),
    // Encodings and binaries.
    syntax("invalid-utf8.json", 5, 20, "a 0xff byte inside a string"),
    syntax("latin1.json", 5, 17, "Latin-1 é"),
    syntax(
        "utf16le-bom.json",
        1,
        1,
        "UTF-16 LE with a BOM (Windows Notepad's \"Unicode\")",
    ),
    syntax("utf16be.json", 1, 1, "UTF-16 BE without a BOM"),
    syntax("utf32le-bom.json", 1, 1, "UTF-32 LE with a BOM"),
    syntax("nul-byte.json", 2, 3, "a raw NUL byte"),
    syntax("random-bytes.bin", 1, 1, "512 random bytes"),
    syntax("png-header.png", 1, 1, "a 1x1 PNG"),
    syntax("gzip.json.gz", 1, 2, "a gzip file"),
    syntax("lone-surrogate.json", 5, 26, "\\ud800 alone"),
    syntax("lone-low-surrogate.json", 5, 26, "\\udc00 alone"),
    syntax("bad-surrogate-pair.json", 5, 32, "\\ud800\\u0041"),
    syntax("short-unicode-escape.json", 5, 22, "\\u12\""),
    syntax(
        "unicode-escape-at-eof.json",
        1,
        12,
        "\\u12 at the end of the file",
    ),
    // Snapshots.
    snapshot(
        "snap-format-wrong.json",
        "format ekm-check.snapshot/v2",
        Input("format is \"ekm-check.snapshot/v2\"", None),
    ),
    snapshot(
        "snap-format-number.json",
        "\"format\": 1",
        Input(NOT_SNAPSHOT, None),
    ),
    snapshot(
        "snap-format-missing.json",
        "no format",
        Input(NOT_SNAPSHOT, None),
    ),
    snapshot(
        "snap-key-string.json",
        "\"key\": \"arn:…\"",
        Input("must be an object", None),
    ),
    snapshot(
        "snap-key-array.json",
        "\"key\": []",
        Input("must be an object", None),
    ),
    snapshot(
        "snap-role-string.json",
        "\"role\": \"arn:…\"",
        Input("must be an object", None),
    ),
    snapshot(
        "snap-metadata-string.json",
        "\"metadata\": \"SYMMETRIC_DEFAULT\"",
        Input("must be an object", None),
    ),
    snapshot(
        "snap-inline-object.json",
        "role.inline_policies an object",
        Input("role.inline_policies must be a list", None),
    ),
    snapshot(
        "snap-inline-no-document.json",
        "an inline policy without document",
        Input("role.inline_policies[0] has no \"document\"", None),
    ),
    snapshot(
        "snap-errors-list.json",
        "\"errors\": [\"key.policy\"]",
        Input("\"errors\" must be an object", None),
    ),
    snapshot(
        "snap-policy-number.json",
        "\"policy\": 42 (a bad document: EKM004, at the snapshot's line)",
        Checked(1, "fail"),
    ),
    snapshot(
        "snap-policy-bad-text.json",
        "a key policy as text that is not JSON",
        Checked(1, "fail"),
    ),
    snapshot(
        "snap-kms-arn-number.json",
        "\"kms_arn\": 111122223333",
        Input("registration: invalid type: integer", None),
    ),
    snapshot(
        "snap-registration-string.json",
        "\"registration\": \"arn:aws:kms\"",
        Input("registration: invalid type: string", None),
    ),
    snapshot(
        "snap-rotation-string.json",
        "\"rotation_enabled\": \"yes\"",
        Input("key.rotation_enabled must be true or false", None),
    ),
    snapshot(
        "snap-aliases-string.json",
        "\"aliases\": \"alias/openai-ekm\"",
        Input("key.aliases must be a list", None),
    ),
    snapshot(
        "snap-boundary-string.json",
        "\"permissions_boundary\": \"arn:…\"",
        Input("role.permissions_boundary needs a \"document\"", None),
    ),
    syntax(
        "snap-trailing-comma.json",
        47,
        3,
        "a snapshot with a trailing comma",
    ),
];

// ---------------------------------------------------------------------------------------------
// Running the binary: bounded, observed, in parallel
// ---------------------------------------------------------------------------------------------

enum Stdin {
    Null,
    Bytes(Vec<u8>),
}

struct Job {
    label: String,
    args: Vec<OsString>,
    cwd: PathBuf,
    stdin: Stdin,
    /// Run under `/usr/bin/time -f %M` (when available) to measure peak memory.
    memory: bool,
    /// Write these bytes to this FIFO from another thread while the binary runs.
    fifo: Option<(PathBuf, Vec<u8>)>,
    /// No [`TIME_LIMIT`]: the run's answer is what is tested; its speed is a benchmark's.
    untimed: bool,
}

impl Job {
    fn new(label: impl Into<String>, cwd: &Path, args: Vec<OsString>) -> Job {
        Job {
            label: label.into(),
            args,
            cwd: cwd.to_path_buf(),
            stdin: Stdin::Null,
            memory: false,
            fifo: None,
            untimed: false,
        }
    }
    fn mode(cwd: &Path, file: &str, m: Mode) -> Job {
        Job::new(format!("{m:?} {file}"), cwd, m.args(file))
    }
    fn measured(mut self) -> Job {
        self.memory = true;
        self
    }
    fn untimed(mut self) -> Job {
        self.untimed = true;
        self
    }
    fn stdin(mut self, bytes: Vec<u8>) -> Job {
        self.stdin = Stdin::Bytes(bytes);
        self
    }
}

#[derive(Debug)]
struct Out {
    label: String,
    code: Option<i32>,
    signal: Option<i32>,
    timed_out: bool,
    elapsed: Duration,
    /// Peak resident memory in KiB, when measured.
    peak_kb: Option<u64>,
    stdout: String,
    stderr: String,
}

impl Out {
    fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
    fn short(&self) -> String {
        let cut = |s: &str| s.chars().take(600).collect::<String>();
        // A report: its verdict and EKM004 say more than its first lines.
        if let Ok(r) = serde_json::from_str::<Value>(&self.stdout) {
            if let Some(e) = result_of(&r, "EKM004") {
                return format!(
                    "[{}] code {:?} signal {:?} in {:.2?}\n  report: {}, EKM004 {}: {}\n  stderr: {}",
                    self.label,
                    self.code,
                    self.signal,
                    self.elapsed,
                    r["verdict"],
                    e["status"],
                    cut(e["message"].as_str().unwrap_or_default()),
                    cut(&self.stderr)
                );
            }
        }
        format!(
            "[{}] code {:?} signal {:?} in {:.2?}\n  stdout: {}\n  stderr: {}",
            self.label,
            self.code,
            self.signal,
            self.elapsed,
            cut(&self.stdout),
            cut(&self.stderr)
        )
    }
    /// What must hold for every run, whatever the input.
    fn invariants(&self) -> Vec<String> {
        let mut bad = Vec::new();
        if self.timed_out {
            bad.push(format!("killed after {TIME_LIMIT:?}"));
        }
        if let Some(s) = self.signal.filter(|_| !self.timed_out) {
            bad.push(format!("ended by signal {s}"));
        }
        if !matches!(self.code, Some(0..=2)) && !self.timed_out && self.signal.is_none() {
            bad.push(format!("exit code {:?} is not 0, 1 or 2", self.code));
        }
        if self.all().contains("panicked") {
            bad.push("printed \"panicked\"".into());
        }
        if let Some(kb) = self.peak_kb.filter(|&kb| kb >= MEMORY_LIMIT_KB) {
            bad.push(format!("peak memory {} MiB", kb / 1024));
        }
        bad
    }
}

static SCRATCH: OnceLock<PathBuf> = OnceLock::new();
static SEQ: AtomicUsize = AtomicUsize::new(0);

/// A directory of this test process, for outputs and generated inputs.
fn scratch() -> &'static Path {
    SCRATCH.get_or_init(|| {
        let d = std::env::temp_dir().join(format!(
            "ekm-bad-inputs-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&d).unwrap();
        d
    })
}

/// A fresh sub-directory of the scratch directory.
fn tempdir(name: &str) -> PathBuf {
    let d = scratch().join(format!("{name}-{}", SEQ.fetch_add(1, Ordering::Relaxed)));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Removes a directory when dropped (also when the test fails).
struct Cleanup(PathBuf);
impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `/usr/bin/time` when it is GNU time and works here.
fn gnu_time() -> Option<&'static Path> {
    static T: OnceLock<Option<PathBuf>> = OnceLock::new();
    T.get_or_init(|| {
        let t = PathBuf::from("/usr/bin/time");
        let probe = tempdir("time-probe").join("m");
        let ok = Command::new(&t)
            .args(["-f", "%M", "-o"])
            .arg(&probe)
            .arg("true")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
            && peak_from(&probe).is_some();
        let _ = std::fs::remove_file(&probe);
        if !ok {
            eprintln!(
                "note: /usr/bin/time (GNU) is not available: peak memory is not measured, the memory assertions are skipped"
            );
        }
        ok.then_some(t)
    })
    .as_deref()
}

fn peak_from(file: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(file).ok()?;
    text.lines().last()?.trim().parse().ok()
}

fn binary() -> &'static Path {
    Path::new(BIN)
}

/// Run one job: outputs to files (no pipe can fill up), killed after [`TIME_LIMIT`].
fn run(job: &Job) -> Out {
    let dir = scratch().join("runs");
    std::fs::create_dir_all(&dir).unwrap();
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let (out_p, err_p, mem_p) = (
        dir.join(format!("{n}.out")),
        dir.join(format!("{n}.err")),
        dir.join(format!("{n}.mem")),
    );
    let timed = job.memory.then(gnu_time).flatten();
    let mut cmd = match timed {
        Some(t) => {
            let mut c = Command::new(t);
            c.args(["-f", "%M", "-o"]).arg(&mem_p).arg(binary());
            c
        }
        None => Command::new(binary()),
    };
    cmd.args(&job.args)
        .current_dir(&job.cwd)
        .env_remove("EKM_KMS_ARN")
        .env_remove("EKM_ROLE_ARN")
        .env_remove("EKM_EXTERNAL_ID")
        .env_remove("RUST_BACKTRACE")
        .env("NO_COLOR", "1")
        .stdout(File::create(&out_p).unwrap())
        .stderr(File::create(&err_p).unwrap())
        .stdin(match job.stdin {
            Stdin::Null => Stdio::null(),
            Stdin::Bytes(_) => Stdio::piped(),
        })
        .process_group(0);
    let start = Instant::now();
    let mut child = cmd.spawn().expect("start ekm-check");
    let feeder = match (&job.stdin, child.stdin.take()) {
        (Stdin::Bytes(b), Some(mut pipe)) => {
            let b = b.clone();
            Some(std::thread::spawn(move || {
                let _ = pipe.write_all(&b); // the binary may stop reading early
            }))
        }
        _ => None,
    };
    let fifo_writer = job.fifo.as_ref().map(|(p, b)| {
        let (p, b) = (p.clone(), b.clone());
        std::thread::spawn(move || {
            if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(&p) {
                let _ = f.write_all(&b);
            }
        })
    });
    let mut timed_out = false;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if !job.untimed && start.elapsed() > TIME_LIMIT {
            timed_out = true;
            // The whole group: under /usr/bin/time the binary is a grandchild.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    if let Some(f) = feeder {
        let _ = f.join();
    }
    if let (Some(w), Some((p, _))) = (fifo_writer, &job.fifo) {
        // A writer still blocked in open(2) (the binary never opened the FIFO) is released by
        // a reader that does not block.
        if !w.is_finished() {
            use std::os::unix::fs::OpenOptionsExt;
            let _ = std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(0o4000) // O_NONBLOCK on Linux
                .open(p);
        }
        let _ = w.join();
    }
    let read = |p: &Path| {
        let mut v = Vec::new();
        if let Ok(mut f) = File::open(p) {
            let _ = f.read_to_end(&mut v);
        }
        let _ = std::fs::remove_file(p);
        String::from_utf8_lossy(&v).into_owned()
    };
    let (mut code, mut signal) = (status.code(), status.signal());
    let mut peak_kb = None;
    if timed.is_some() {
        let m = std::fs::read_to_string(&mem_p).unwrap_or_default();
        peak_kb = peak_from(&mem_p);
        // GNU time reports its child's end: "Command terminated by signal N".
        if let Some(s) = m
            .lines()
            .find_map(|l| l.strip_prefix("Command terminated by signal "))
        {
            signal = s.trim().parse().ok();
            code = None;
        }
        let _ = std::fs::remove_file(&mem_p);
    }
    Out {
        label: job.label.clone(),
        code,
        signal,
        timed_out,
        elapsed,
        peak_kb,
        stdout: read(&out_p),
        stderr: read(&err_p),
    }
}

/// Run jobs on a few threads; the outputs in the jobs' order.
fn run_all(jobs: &[Job]) -> Vec<Out> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(2, 4);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Out>>> = Mutex::new((0..jobs.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    let out = run(job);
                    results.lock().unwrap()[i] = Some(out);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|o| o.expect("every job ran"))
        .collect()
}

/// Summary line for a set of runs: how many, the slowest, the largest peak memory.
fn summary(what: &str, outs: &[Out]) {
    let slowest = outs.iter().max_by_key(|o| o.elapsed);
    let biggest = outs
        .iter()
        .filter(|o| o.peak_kb.is_some())
        .max_by_key(|o| o.peak_kb);
    println!(
        "{what}: {} runs; slowest {}; largest peak memory {}",
        outs.len(),
        slowest.map_or("-".into(), |o| format!("{:.2?} ({})", o.elapsed, o.label)),
        biggest.map_or("not measured".into(), |o| format!(
            "{} MiB ({})",
            o.peak_kb.unwrap_or(0) / 1024,
            o.label
        )),
    );
}

/// The problems of one run, as one entry of [`report`].
fn one_problem(bad: Vec<String>, out: &Out) -> Vec<String> {
    if bad.is_empty() {
        return bad;
    }
    vec![format!("{}\n{}", bad.join("; "), out.short())]
}

/// Fail with every problem found, each with its run.
fn report(problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{} problem(s):\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Checking an output against its expectation
// ---------------------------------------------------------------------------------------------

fn result_of<'a>(report: &'a Value, rule: &str) -> Option<&'a Value> {
    report["results"]
        .as_array()?
        .iter()
        .find(|r| r["rule"] == rule)
}

/// Problems of `out` against `exp`, for the input named `file` (as given on the command line).
fn check(file: &str, exp: Exp, out: &Out) -> Vec<String> {
    let mut bad = out.invariants();
    macro_rules! need {
        ($cond:expr, $what:expr $(,)?) => {
            if !$cond {
                bad.push($what);
            }
        };
    }
    match exp {
        Ekm004Fail(_) | Ekm004Pass(_) => {
            let at = match exp {
                Ekm004Fail(at) => at,
                _ => None,
            };
            let want_code = match exp {
                Ekm004Pass(c) => c,
                _ => 1,
            };
            need!(
                out.code == Some(want_code),
                format!("exit code {:?}, expected {want_code}", out.code),
            );
            let Ok(report) = serde_json::from_str::<Value>(&out.stdout) else {
                bad.push("stdout is not a JSON report".into());
                return bad;
            };
            let Some(r) = result_of(&report, "EKM004") else {
                bad.push("no EKM004 in the report".into());
                return bad;
            };
            let msg = r["message"].as_str().unwrap_or_default();
            let status = r["status"].as_str().unwrap_or_default();
            let want = if matches!(exp, Ekm004Pass(_)) {
                "pass"
            } else {
                "fail"
            };
            need!(
                status == want,
                format!("EKM004 is {status}, expected {want}")
            );
            need!(
                msg.contains(file),
                format!("EKM004's message does not name {file}"),
            );
            if want == "fail" {
                need!(
                    report["verdict"] == "not-ready",
                    "the verdict is not not-ready".into(),
                );
                let ev = r["evidence"].as_array().cloned().unwrap_or_default();
                need!(
                    ev.iter().any(|e| {
                        e["file"] == file
                            && e["line"].as_u64() >= Some(1)
                            && e["column"].as_u64() >= Some(1)
                    }),
                    format!("no EKM004 evidence with {file}, a line and a column"),
                );
                if let Some((l, c)) = at {
                    let head = format!("{file} is not valid JSON: line {l}, column {c}: ");
                    need!(
                        msg.contains(&head),
                        format!("EKM004's message lacks {head:?}"),
                    );
                    need!(
                        ev.first().is_some_and(|e| {
                            e["line"].as_u64() == Some(l.into())
                                && e["column"].as_u64() == Some(c.into())
                        }),
                        format!("EKM004's first evidence is not at line {l}, column {c}"),
                    );
                }
            }
        }
        Input(text, at) => {
            need!(
                out.code == Some(2),
                format!("exit code {:?}, expected 2", out.code),
            );
            need!(
                out.stdout.is_empty(),
                "an input error, yet something on stdout".into(),
            );
            let head = format!("error: {file}: ");
            need!(out.stderr.contains(&head), format!("stderr lacks {head:?}"),);
            need!(out.stderr.contains(text), format!("stderr lacks {text:?}"));
            if let Some((l, c)) = at {
                let pos = format!("error: {file}: line {l}, column {c}: ");
                need!(out.stderr.contains(&pos), format!("stderr lacks {pos:?}"));
            }
        }
        Decided(code) => {
            need!(
                out.code == Some(code),
                format!("exit code {:?}, expected {code}", out.code),
            );
            need!(
                ["allowed ", "implicit_deny ", "explicit_deny "]
                    .iter()
                    .any(|d| out.stdout.starts_with(d)),
                "stdout does not start with a decision".into(),
            );
            need!(
                out.stdout.contains(file),
                format!("the explanation does not name {file}"),
            );
            need!(!out.stderr.contains("error:"), "an error on stderr".into(),);
        }
        Checked(code, ekm004) => {
            need!(
                out.code == Some(code),
                format!("exit code {:?}, expected {code}", out.code),
            );
            match serde_json::from_str::<Value>(&out.stdout) {
                Ok(report) => {
                    need!(
                        report["source"] == format!("snapshot {file}").as_str(),
                        format!("the report's source is not \"snapshot {file}\""),
                    );
                    let status = result_of(&report, "EKM004")
                        .and_then(|r| r["status"].as_str())
                        .unwrap_or_default();
                    need!(
                        status == ekm004,
                        format!("EKM004 is {status}, expected {ekm004}"),
                    );
                }
                Err(_) => bad.push("stdout is not a JSON report".into()),
            }
        }
        Any => {}
    }
    // Whatever the outcome, a run that fails names what it read.
    if matches!(out.code, Some(1 | 2)) && !matches!(exp, Any) {
        need!(out.all().contains(file), format!("no message names {file}"));
    }
    bad
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-inputs")
}

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

#[test]
fn corpus_every_document_in_every_mode() {
    let dir = corpus_dir();
    // Every file has a row, every row a file, no row twice.
    let files: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let rows: BTreeSet<String> = CORPUS.iter().map(|c| c.file.to_string()).collect();
    assert_eq!(rows.len(), CORPUS.len(), "a file has two rows in CORPUS");
    let no_row: Vec<_> = files.difference(&rows).collect();
    let no_file: Vec<_> = rows.difference(&files).collect();
    assert!(
        no_row.is_empty() && no_file.is_empty(),
        "files without a row in CORPUS: {no_row:?}; rows without a file: {no_file:?}"
    );
    assert!(
        CORPUS.len() >= 45,
        "the corpus has {} documents",
        CORPUS.len()
    );

    let jobs: Vec<Job> = CORPUS
        .iter()
        .flat_map(|c| MODES.map(|m| Job::mode(&dir, c.file, m)))
        .collect();
    let outs = run_all(&jobs);
    let mut problems = Vec::new();
    let mut per_code = [0usize; 3];
    for (i, out) in outs.iter().enumerate() {
        let case = &CORPUS[i / MODES.len()];
        let mode = MODES[i % MODES.len()];
        if let Some(c @ 0..=2) = out.code {
            per_code[c as usize] += 1;
        }
        let bad = check(case.file, case.exp(mode), out);
        if !bad.is_empty() {
            problems.push(format!(
                "{} ({}), {mode:?}: {}\n{}",
                case.file,
                case.what,
                bad.join("; "),
                out.short()
            ));
        }
    }
    summary(
        &format!(
            "corpus: {} documents x {} modes (exit 0: {}, 1: {}, 2: {})",
            CORPUS.len(),
            MODES.len(),
            per_code[0],
            per_code[1],
            per_code[2]
        ),
        &outs,
    );
    report(problems);
}

/// OpenAI's documents as printed: every mistake is reported, each with its line and column.
#[test]
fn seed_documents_report_every_mistake_with_its_line() {
    let dir = corpus_dir();
    let cases: [(&str, &[&str]); 2] = [
        (
            "seed-trust.json",
            &[
                "line 2, column 1: a no-break space is not JSON white space",
                "line 13, column 26: unquoted placeholder <YOUR_OPENAI_ORGANIZATION_ID>",
                "line 14, column 22: trailing comma before ]",
            ],
        ),
        (
            "seed-permissions.json",
            &[
                "line 2, column 1: a no-break space is not JSON white space",
                "line 13, column 25: unquoted placeholder <YOUR_KMS_ARN>",
            ],
        ),
    ];
    let jobs: Vec<Job> = cases
        .iter()
        .map(|(f, _)| Job::mode(&dir, f, Mode::Trust))
        .collect();
    let outs = run_all(&jobs);
    let mut problems = Vec::new();
    for ((file, wanted), out) in cases.iter().zip(&outs) {
        let report: Value = serde_json::from_str(&out.stdout).unwrap_or(Value::Null);
        let ekm004 = result_of(&report, "EKM004").cloned().unwrap_or(Value::Null);
        let msg = ekm004["message"].as_str().unwrap_or_default();
        for w in *wanted {
            if !msg.contains(w) {
                problems.push(format!("{file}: EKM004 lacks {w:?}\n{}", out.short()));
            }
        }
        let lines: Vec<u64> = ekm004["evidence"]
            .as_array()
            .map(|ev| ev.iter().filter_map(|e| e["line"].as_u64()).collect())
            .unwrap_or_default();
        if lines.len() != wanted.len() {
            problems.push(format!("{file}: EKM004 evidence lines {lines:?}"));
        }
        let ekm005 = result_of(&report, "EKM005").cloned().unwrap_or(Value::Null);
        if ekm005["status"] != "fail" {
            problems.push(format!("{file}: EKM005 (placeholder left) does not fail"));
        }
    }
    report(problems);
}

/// Paths that are not regular files, and file names people have.
#[test]
fn paths_that_are_not_plain_files() {
    let dir = tempdir("paths");
    let _cleanup = Cleanup(dir.clone());
    std::os::unix::fs::symlink("loop", dir.join("loop")).unwrap();
    std::fs::create_dir(dir.join("a-directory.json")).unwrap();
    let odd = "my policy (copy) – ü.json";
    std::fs::write(dir.join(odd), "{\n  \"Version\": \"2012-10-17\",\n}\n").unwrap();
    let unreadable = dir.join("unreadable.json");
    std::fs::write(&unreadable, "{}").unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&unreadable, std::fs::Permissions::from_mode(0o000)).unwrap();
    }
    let root_reads_anything = std::fs::read(&unreadable).is_ok();

    // (path, expectation in lint modes, in check and eval modes)
    let mut cases: Vec<(String, Exp, Exp)> = vec![
        (
            "a-directory.json".into(),
            Input("is a directory", None),
            Input("is a directory", None),
        ),
        (
            "no/such/file.json".into(),
            Input("No such file or directory", None),
            Input("No such file or directory", None),
        ),
        (
            "loop".into(),
            Input("Too many levels of symbolic links", None),
            Input("Too many levels of symbolic links", None),
        ),
        (
            odd.into(),
            Ekm004Fail(Some((3, 1))),
            Input("trailing comma", Some((3, 1))),
        ),
        (
            "/dev/null".into(),
            Ekm004Fail(Some((1, 1))),
            Input("the document is empty", Some((1, 1))),
        ),
    ];
    if root_reads_anything {
        eprintln!("note: running as root: an unreadable file cannot be made, that case is skipped");
    } else {
        cases.push((
            "unreadable.json".into(),
            Input("Permission denied", None),
            Input("Permission denied", None),
        ));
    }
    let mut jobs = Vec::new();
    let mut expected = Vec::new();
    for (p, lint, other) in &cases {
        for m in MODES {
            jobs.push(Job::mode(&dir, p, m));
            expected.push((
                p.clone(),
                if matches!(m, Mode::Trust | Mode::Perm) {
                    *lint
                } else {
                    *other
                },
            ));
        }
        jobs.push(Job::new(
            format!("batch {p}"),
            &dir,
            vec!["eval".into(), "--batch".into(), p.into()],
        ));
        expected.push((
            p.clone(),
            match other {
                Input(t, _) if !t.contains("empty") && !t.contains("trailing") => Input(t, None),
                // A batch file is read line by line: an empty one is fine, a bad line is answered.
                _ => Any,
            },
        ));
    }
    // A FIFO with a writer: read like a file, to its end.
    #[cfg(target_os = "linux")]
    {
        for m in [Mode::Perm, Mode::Snap] {
            // One FIFO a run: runs go in parallel.
            let name = format!("fifo-{m:?}.json");
            let fifo = dir.join(&name);
            if !Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .is_ok_and(|s| s.success())
            {
                eprintln!("note: mkfifo is not available: the FIFO case is skipped");
                break;
            }
            let mut j = Job::mode(&dir, &name, m);
            j.fifo = Some((
                fifo,
                b"{\"Version\": \"2012-10-17\",\n  \"Statement\": [],\n}".to_vec(),
            ));
            jobs.push(j);
            let exp = if m == Mode::Perm {
                Ekm004Fail(Some((3, 1)))
            } else {
                Input("trailing comma", Some((3, 1)))
            };
            expected.push((name, exp));
        }
    }
    let outs = run_all(&jobs);
    let mut problems = Vec::new();
    for ((file, exp), out) in expected.iter().zip(&outs) {
        let bad = check(file, *exp, out);
        if !bad.is_empty() {
            problems.push(format!("{file}: {}\n{}", bad.join("; "), out.short()));
        }
    }
    summary("paths", &outs);
    report(problems);
}

/// `-` reads standard input: garbage there is reported like garbage in a file.
#[test]
fn standard_input_with_garbage() {
    let dir = corpus_dir();
    let garbage = std::fs::read(dir.join("batch-garbage.jsonl")).unwrap();
    let jobs = vec![
        Job::new("lint -", &dir, Mode::Perm.args("-"))
            .stdin(b"{\"Version\": \"2012-10-17\",}".to_vec()),
        Job::new("check -", &dir, Mode::Snap.args("-")).stdin(b"\x89PNG\r\n\x1a\n".to_vec()),
        Job::new(
            "eval --batch -",
            &dir,
            vec!["eval".into(), "--batch".into(), "-".into()],
        )
        .stdin(garbage.clone()),
        Job::new(
            "eval --batch FILE",
            &dir,
            vec![
                "eval".into(),
                "--batch".into(),
                "batch-garbage.jsonl".into(),
            ],
        ),
    ];
    let outs = run_all(&jobs);
    let mut problems = Vec::new();
    let mut note = |o: &Out, bad: Vec<String>| {
        if !bad.is_empty() {
            problems.push(format!("{}\n{}", bad.join("; "), o.short()));
        }
    };
    note(&outs[0], check("-", Ekm004Fail(Some((1, 26))), &outs[0]));
    note(
        &outs[1],
        check("-", Input("not valid UTF-8", Some((1, 1))), &outs[1]),
    );
    // Batch: every non-blank line is answered, in order; each bad one says which line it was.
    let lines = garbage
        .split(|&b| b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .count();
    for o in &outs[2..] {
        let mut bad = o.invariants();
        if o.code != Some(2) {
            bad.push(format!("exit code {:?}, expected 2", o.code));
        }
        let answers: Vec<Value> = o
            .stdout
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        if answers.len() != lines || o.stdout.lines().count() != lines {
            bad.push(format!("{} answers for {lines} lines", answers.len()));
        }
        let errors: Vec<&str> = answers.iter().filter_map(|a| a["error"].as_str()).collect();
        if errors.len() != lines - 1
            || answers.iter().filter(|a| a["decision"].is_string()).count() != 1
        {
            bad.push(format!("expected {} errors and 1 decision", lines - 1));
        }
        for (n, e) in [1, 2, 3, 4, 7, 8].iter().zip(&errors) {
            if !e.starts_with(&format!("line {n}: ")) {
                bad.push(format!("error {e:?} does not start with \"line {n}: \""));
            }
        }
        if !o
            .stderr
            .contains("6 of 7 lines could not be read (1 blank line skipped)")
        {
            bad.push("stderr does not count the lines that could not be read".into());
        }
        note(o, bad);
    }
    summary("standard input", &outs);
    report(problems);
}

fn write_file(p: &Path, parts: &[&[u8]]) {
    let mut w = BufWriter::new(File::create(p).unwrap());
    for part in parts {
        w.write_all(part).unwrap();
    }
    w.flush().unwrap();
}

#[path = "support/batches.rs"]
mod batches;
use batches::many_statements;

fn long_action(len: usize) -> String {
    format!(
        "{{\n\"Version\": \"2012-10-17\",\n\"Statement\": [{{\n\"Effect\": \"Allow\",\n\"Action\": \"kms:{}\",\n\"Resource\": \"{KEY}\"\n}}]\n}}\n",
        "E".repeat(len)
    )
}

/// The big inputs, generated here: refused or read within the time and memory bounds.
#[test]
fn large_generated_inputs_stay_bounded() {
    let dir = tempdir("large");
    let _cleanup = Cleanup(dir.clone());
    let w = |name: &str, parts: &[&[u8]]| write_file(&dir.join(name), parts);
    let deep = 100_000;
    w(
        "deep-arrays.json",
        &["[".repeat(deep).as_bytes(), "]".repeat(deep).as_bytes()],
    );
    w(
        "deep-objects.json",
        &[
            "{\"a\":".repeat(deep).as_bytes(),
            b"1",
            "}".repeat(deep).as_bytes(),
        ],
    );
    w(
        "depth-128.json",
        &[
            "[".repeat(MAX_DEPTH).as_bytes(),
            "]".repeat(MAX_DEPTH).as_bytes(),
        ],
    );
    w(
        "depth-129.json",
        &[
            "[".repeat(MAX_DEPTH + 1).as_bytes(),
            "]".repeat(MAX_DEPTH + 1).as_bytes(),
        ],
    );
    let spaces = vec![b' '; 50 * 1024 * 1024];
    w(
        "50mb.json",
        &[
            b"{\"Version\": \"2012-10-17\", \"Statement\": [",
            &spaces,
            b"]}",
        ],
    );
    let policy = long_action(0).replace("\"kms:\"", "\"kms:Encrypt\"");
    let pad = MAX_INPUT_BYTES - policy.len();
    let head = &policy.as_bytes()[..policy.len() - 2]; // without "}\n"
    let newlines = vec![b'\n'; pad];
    w("16mib.json", &[head, &newlines, b"}\n"]);
    w("16mib-plus-1.json", &[head, &newlines, b" }\n"]);
    w(
        "10k-statements.json",
        &[many_statements(10_000, false).as_bytes()],
    );
    w("action-64k.json", &[long_action(64 * 1024).as_bytes()]);
    w("action-2m.json", &[long_action(2 * 1024 * 1024).as_bytes()]);
    w(
        "batch-50mb-line.jsonl",
        &[b"{\"id\": \"", &spaces, b"\"}\n"],
    );
    w(
        "batch-200k-lines.jsonl",
        &["not json\n".repeat(200_000).as_bytes()],
    );
    assert_eq!(
        std::fs::metadata(dir.join("16mib.json")).unwrap().len() as usize,
        MAX_INPUT_BYTES
    );

    let nested = "nested more than 128 levels deep";
    let big = Input(TOO_LARGE, None);
    let all = |t: Exp, p: Exp, s: Exp, e: Exp| [t, p, s, e];
    // (file, [trust, perm, snap, eval]); None: that mode is not run here.
    let cases: Vec<(&str, [Option<Exp>; 4])> = vec![
        (
            "deep-arrays.json",
            all(
                Ekm004Fail(Some((1, 129))),
                Ekm004Fail(Some((1, 129))),
                Input(nested, Some((1, 129))),
                Input(nested, Some((1, 129))),
            )
            .map(Some),
        ),
        (
            "deep-objects.json",
            all(
                Ekm004Fail(Some((1, 641))),
                Ekm004Fail(Some((1, 641))),
                Input(nested, Some((1, 641))),
                Input(nested, Some((1, 641))),
            )
            .map(Some),
        ),
        (
            "depth-128.json",
            all(
                Ekm004Fail(None),
                Ekm004Fail(None),
                Input("a snapshot is a JSON object, not an array", None),
                Input(NOT_POLICY, None),
            )
            .map(Some),
        ),
        (
            "depth-129.json",
            all(
                Ekm004Fail(Some((1, 129))),
                Ekm004Fail(Some((1, 129))),
                Input(nested, Some((1, 129))),
                Input(nested, Some((1, 129))),
            )
            .map(Some),
        ),
        ("50mb.json", [big; 4].map(Some)),
        (
            "16mib.json",
            all(
                Ekm004Fail(None),
                // Allows kms:Encrypt only: linted alone, EKM303 fails.
                Ekm004Pass(1),
                Input(NOT_SNAPSHOT, None),
                Decided(1),
            )
            .map(Some),
        ),
        ("16mib-plus-1.json", [big; 4].map(Some)),
        ("/dev/zero", [big; 4].map(Some)),
        ("/dev/urandom", [big; 4].map(Some)),
        // Linted as a trust policy by documents_of_10000_statements_are_linted_and_checked.
        (
            "10k-statements.json",
            [
                None,
                Some(Ekm004Pass(0)),
                Some(Input(NOT_SNAPSHOT, None)),
                Some(Decided(1)),
            ],
        ),
        (
            "action-64k.json",
            all(
                Ekm004Fail(None),
                Ekm004Pass(1),
                Input(NOT_SNAPSHOT, None),
                Decided(1),
            )
            .map(Some),
        ),
        // Read only: the other modes are bug_long_action_names_take_seconds_per_megabyte.
        (
            "action-2m.json",
            [None, None, Some(Input(NOT_SNAPSHOT, None)), None],
        ),
    ];
    let mut jobs = Vec::new();
    let mut expected = Vec::new();
    for (file, exps) in &cases {
        for (m, exp) in MODES.iter().zip(exps) {
            if let Some(e) = exp {
                jobs.push(Job::mode(&dir, file, *m).measured());
                expected.push((file.to_string(), *e));
            }
        }
    }
    let batch = |f: &str| {
        Job::new(
            format!("batch {f}"),
            &dir,
            vec!["eval".into(), "--batch".into(), f.into()],
        )
        .measured()
    };
    for f in ["/dev/zero", "batch-50mb-line.jsonl"] {
        jobs.push(batch(f));
        expected.push((
            f.to_string(),
            Input("line 1 is longer than the input limit", None),
        ));
    }
    jobs.push(batch("batch-200k-lines.jsonl"));
    expected.push(("batch-200k-lines.jsonl".into(), Any));

    let outs = run_all(&jobs);
    let mut problems = Vec::new();
    for ((file, exp), out) in expected.iter().zip(&outs) {
        let mut bad = check(file, *exp, out);
        if matches!(exp, Any) {
            // 200,000 bad lines: every one answered, exit 2, memory bounded.
            if out.code != Some(2) || out.stdout.lines().count() != 200_000 {
                bad.push(format!(
                    "exit {:?}, {} answers for 200000 lines",
                    out.code,
                    out.stdout.lines().count()
                ));
            }
        }
        if gnu_time().is_some() && out.peak_kb.is_none() && !out.timed_out {
            bad.push("peak memory was not measured".into());
        }
        if !bad.is_empty() {
            problems.push(format!("{file}: {}\n{}", bad.join("; "), out.short()));
        }
    }
    summary("large inputs", &outs);
    report(problems);
}

// ---------------------------------------------------------------------------------------------
// Known bugs: each test shows one, with the behaviour expected. `-- --ignored` runs them.
// ---------------------------------------------------------------------------------------------

/// `"key": "arn:…"`, `"key": []` and `"role": "arn:…"` are read as if the part were absent (its
/// rules `skipped`): `check` says **ready** and exits 0; `"metadata": "…"` gives rules `unknown`
/// ("the key's metadata has no KeySpec"), exit 1. A snapshot part of the wrong type is a
/// malformed snapshot: exit 2 naming the file and the part, as `key.aliases must be a list` does.
#[test]
fn regression_wrong_typed_key_or_role_in_a_snapshot_reads_as_absent() {
    let dir = corpus_dir();
    let cases = [
        ("snap-key-string.json", "key"),
        ("snap-key-array.json", "key"),
        ("snap-role-string.json", "role"),
        ("snap-metadata-string.json", "key.metadata"),
    ];
    let jobs: Vec<Job> = cases
        .iter()
        .map(|(f, _)| Job::mode(&dir, f, Mode::Snap))
        .collect();
    let outs = run_all(&jobs);
    let mut problems = Vec::new();
    for ((file, part), out) in cases.iter().zip(&outs) {
        let bad = check(file, Input(part, None), out);
        if !bad.is_empty() {
            problems.push(format!("{file}: {}\n{}", bad.join("; "), out.short()));
        }
    }
    report(problems);
}

/// Large single documents are read whole, whatever their shape: a policy of 40,000 statements
/// on one line (6.7 MB, minified as `jq -c`, the AWS API and many generators write it) is read
/// and named for what it is. Its time and memory are `cargo bench --bench eval -- large`'s
/// (linear in the size: once `json::Parser::pos()` counted every line from its start, and
/// `check` took 20 minutes on 16 MiB); this test runs without a time limit.
#[test]
fn one_line_documents_of_40000_statements_are_read() {
    let dir = tempdir("one-line");
    let _cleanup = Cleanup(dir.clone());
    let text = many_statements(40_000, true);
    assert!(text.len() > 4 * 1024 * 1024 && !text.trim_end().contains('\n'));
    write_file(&dir.join("one-line.json"), &[text.as_bytes()]);
    let out = run(&Job::mode(&dir, "one-line.json", Mode::Snap).untimed());
    let bad = check("one-line.json", Input(NOT_SNAPSHOT, None), &out);
    report(one_problem(bad, &out));
}

/// A trust policy of 10,000 statements is linted (EKM004: a trust policy cannot allow
/// kms:Encrypt), and a snapshot whose key policy has 10,000 statements is checked and ready.
/// Their time is a benchmark's (`cargo bench --bench eval -- large`; rules once re-parsed the
/// whole document for every piece of evidence, and EKM305 compared every statement with every
/// other); the linear structures are unit-tested where they are (duplicate Sids and members in
/// `policy`). This test runs without a time limit.
#[test]
fn documents_of_10000_statements_are_linted_and_checked() {
    let dir = tempdir("many");
    let _cleanup = Cleanup(dir.clone());
    write_file(
        &dir.join("10k-statements.json"),
        &[many_statements(10_000, false).as_bytes()],
    );
    let base: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/ok-baseline/snapshot.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let mut snap = base.clone();
    let st = base["key"]["policy"]["Statement"][0].clone();
    snap["key"]["policy"]["Statement"] = Value::Array(
        (0..10_000)
            .map(|i| {
                let mut s = st.clone();
                s["Sid"] = format!("K{i}").into();
                s
            })
            .collect(),
    );
    write_file(
        &dir.join("snapshot-10k.json"),
        &[serde_json::to_string_pretty(&snap).unwrap().as_bytes()],
    );
    let jobs = vec![
        Job::mode(&dir, "10k-statements.json", Mode::Trust).untimed(),
        Job::mode(&dir, "snapshot-10k.json", Mode::Snap).untimed(),
    ];
    let outs = run_all(&jobs);
    let mut problems = Vec::new();
    for (out, (file, exp)) in outs.iter().zip([
        ("10k-statements.json", Ekm004Fail(None)),
        ("snapshot-10k.json", Checked(0, "pass")),
    ]) {
        let bad = check(file, exp, out);
        if !bad.is_empty() {
            problems.push(format!("{file}: {}\n{}", bad.join("; "), out.short()));
        }
    }
    report(problems);
}

/// `policy::actions::distance` ("Levenshtein distance (short strings only)") runs on any unknown
/// KMS/STS action, whatever its length, against every known action, allocating a row per
/// character: ~20 s per MB in the debug build, 1.4 s per MB in release. An action longer than
/// the longest known action plus 3 can never be within the suggestion distance.
#[test]
fn regression_long_action_names_take_seconds_per_megabyte() {
    let dir = tempdir("action");
    let _cleanup = Cleanup(dir.clone());
    write_file(
        &dir.join("action-2m.json"),
        &[long_action(2 * 1024 * 1024).as_bytes()],
    );
    let modes = [Mode::Trust, Mode::Perm, Mode::Eval];
    let jobs: Vec<Job> = modes
        .iter()
        .map(|m| Job::mode(&dir, "action-2m.json", *m).measured())
        .collect();
    let outs = run_all(&jobs);
    let mut problems = Vec::new();
    for (m, out) in modes.iter().zip(&outs) {
        let exp = match m {
            Mode::Trust => Ekm004Fail(None),
            // An action no one has: the policy allows nothing, linted alone it fails.
            Mode::Perm => Ekm004Pass(1),
            _ => Decided(1),
        };
        let bad = check("action-2m.json", exp, out);
        if !bad.is_empty() {
            problems.push(format!("{m:?}: {}\n{}", bad.join("; "), out.short()));
        }
    }
    report(problems);
}

/// EKM004 lists every syntax error after repairing the one before; when the repair changes
/// nothing at the error (text after the end, `\udc00`), the same error is listed again, with its
/// hint and its evidence: `line 15, column 1: unexpected text after the end of the document;
/// line 15, column 1: unexpected text after the end of the document`.
#[test]
fn regression_ekm004_lists_the_same_syntax_error_twice() {
    let dir = corpus_dir();
    let files = [
        "trailing-garbage.json",
        "lone-low-surrogate.json",
        "html-error-page.json",
    ];
    let jobs: Vec<Job> = files
        .iter()
        .map(|f| Job::mode(&dir, f, Mode::Perm))
        .collect();
    let outs = run_all(&jobs);
    let mut problems = Vec::new();
    for (file, out) in files.iter().zip(&outs) {
        let report: Value = serde_json::from_str(&out.stdout).unwrap_or(Value::Null);
        let ev = result_of(&report, "EKM004")
            .map(|r| r["evidence"].clone())
            .unwrap_or(Value::Null);
        let places: Vec<(u64, u64)> = ev
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| {
                        (
                            e["line"].as_u64().unwrap_or(0),
                            e["column"].as_u64().unwrap_or(0),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let unique: BTreeSet<_> = places.iter().collect();
        if unique.len() != places.len() {
            problems.push(format!(
                "{file}: EKM004 evidence at {places:?}\n{}",
                out.short()
            ));
        }
    }
    report(problems);
}

/// `eval --batch FILE` answers each line on stdout (`line N: …`, without the file) and ends
/// with `error: 6 of 7 lines could not be read (1 blank line skipped)` on stderr: no message names the file.
#[test]
fn regression_eval_batch_names_no_file() {
    let out = run(&Job::new(
        "eval --batch FILE",
        &corpus_dir(),
        vec![
            "eval".into(),
            "--batch".into(),
            "batch-garbage.jsonl".into(),
        ],
    ));
    let mut bad = out.invariants();
    if !out.stderr.contains("batch-garbage.jsonl") {
        bad.push("stderr does not name batch-garbage.jsonl".into());
    }
    report(one_problem(bad, &out));
}

/// `Error::Read` displays `{path}: {source}` and also returns the io::Error as its `source()`;
/// `main` prints the chain (`{e:#}`), so the OS error appears twice: `error: x.json: No such
/// file or directory (os error 2): No such file or directory (os error 2)`.
#[test]
fn regression_read_errors_repeat_the_os_error() {
    let out = run(&Job::mode(&corpus_dir(), "no-such-file.json", Mode::Snap));
    let mut bad = check(
        "no-such-file.json",
        Input("No such file or directory", None),
        &out,
    );
    if out.stderr.matches("No such file or directory").count() != 1 {
        bad.push("the OS error is printed more than once".into());
    }
    report(one_problem(bad, &out));
}
