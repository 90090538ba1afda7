//! Reporters: pure functions from findings to text. No rule logic here.

pub mod accounts;
pub mod gate;
pub mod json;
pub mod junit;
pub mod sarif;
pub mod table;
pub mod wrap;

use crate::inputs::Registration;
use crate::rules::{Finding, Severity, Status};

/// The least severity that fails the gate (`--fail-on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    /// Errors fail the gate (default)
    Error,
    /// Errors and warnings fail the gate
    Warning,
    /// Nothing fails the gate (report only)
    Never,
}

impl FailOn {
    /// The flag's value: `error`, `warning` or `never`.
    pub fn as_str(self) -> &'static str {
        match self {
            FailOn::Error => "error",
            FailOn::Warning => "warning",
            FailOn::Never => "never",
        }
    }

    /// Does a finding of this severity and status fail the gate?
    pub fn gates(self, severity: Severity, status: Status) -> bool {
        let bad = matches!(status, Status::Fail | Status::Unknown);
        bad && match self {
            FailOn::Error => severity >= Severity::Error,
            FailOn::Warning => severity >= Severity::Warning,
            FailOn::Never => false,
        }
    }
}

/// The state of OpenAI's path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Every rule that decides the path was decided, and no error-level rule failed.
    Ready,
    /// An error-level rule failed or could not be decided.
    NotReady,
    /// Nothing failed, but rules that decide the path were not checked (their inputs were not given).
    Incomplete,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ready => "ready",
            Verdict::NotReady => "not-ready",
            Verdict::Incomplete => "incomplete",
        }
    }
}

impl Verdict {
    /// The verdict of several targets: the worst of theirs; no target at all is not ready.
    pub fn of_all(reports: &[Report]) -> Verdict {
        let vs: Vec<Verdict> = reports.iter().map(Report::verdict).collect();
        if vs.is_empty() || vs.contains(&Verdict::NotReady) {
            Verdict::NotReady
        } else if vs.contains(&Verdict::Incomplete) {
            Verdict::Incomplete
        } else {
            Verdict::Ready
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One checked target: its registration, where the inputs came from, and the findings.
#[derive(Debug, Clone)]
pub struct Report {
    pub registration: Registration,
    /// Where the inputs came from: `snapshot FILE`, `lint`, or the AWS account.
    pub source: String,
    pub findings: Vec<Finding>,
    pub fail_on: FailOn,
    /// Things the reader should know that are not rules: ignores that matched nothing or lapsed.
    pub notes: Vec<String>,
    /// Against a `--baseline`: the rules that failed there and pass now.
    pub fixed: Vec<String>,
    /// What the check assumed because an input was not given (e.g. `lint` without
    /// `--key-policy` assumes AWS's default key policy).
    pub assumed: Vec<String>,
    /// Where each registration value came from (flag, environment, config file, snapshot).
    pub origins: crate::inputs::Origins,
    /// `scan` only: what could be read for this target (`None`: not reported).
    pub reads: Option<Reads>,
}

/// What was read for one `scan` target, beside its findings (`ekm-check.scan/v1` adds them to
/// each target's report).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reads {
    /// The organization part: `{"read": false, "error"?}` (membership unknown),
    /// `{"read": true, "in_organization": false}`, or `{"read": true, "in_organization": true,
    /// "id", "policies_read": true, "accounts": […]}` / `{…, "policies_read": false, "error"}`.
    pub organization: serde_json::Value,
    /// The reads that failed: the snapshot's `errors` (part -> AWS's error and what refused it).
    pub errors: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Summary {
    pub pass: usize,
    pub fail: usize,
    pub unknown: usize,
    pub skipped: usize,
}

impl Report {
    /// Does this finding fail the gate? (Suppressed findings never do.)
    pub fn gates(&self, f: &Finding) -> bool {
        f.suppressed.is_none() && self.fail_on.gates(f.severity, f.status)
    }

    /// Does the run pass the gate (`--fail-on`)? This decides the exit code, never the verdict.
    pub fn passes(&self) -> bool {
        !self.findings.iter().any(|f| self.gates(f))
    }

    /// The state of OpenAI's path, whatever `--fail-on` says.
    pub fn verdict(&self) -> Verdict {
        let counted = |f: &&Finding| f.suppressed.is_none();
        if self.findings.iter().filter(counted).any(|f| {
            f.severity >= Severity::Error && matches!(f.status, Status::Fail | Status::Unknown)
        }) {
            return Verdict::NotReady;
        }
        if self.not_checked().next().is_some() {
            return Verdict::Incomplete;
        }
        Verdict::Ready
    }

    /// `ready` only: every rule that decides OpenAI's path was decided and passed.
    pub fn ready(&self) -> bool {
        self.verdict() == Verdict::Ready
    }

    /// The rules that decide OpenAI's path and were not decided (skipped, or unknown at a level
    /// that does not fail the verdict).
    pub fn not_checked(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| {
            f.suppressed.is_none()
                && f.rule.decides_path()
                && matches!(f.status, Status::Skipped | Status::Unknown)
        })
    }

    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for f in &self.findings {
            match f.status {
                Status::Pass => s.pass += 1,
                Status::Fail => s.fail += 1,
                Status::Unknown => s.unknown += 1,
                Status::Skipped => s.skipped += 1,
            }
        }
        s
    }

    /// What the reader must know besides the rules, one line each: where the registration
    /// values came from, what was assumed, and what was not checked (grouped by reason).
    pub fn context_lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.origins.is_empty() {
            // Grouped by source: "kms_arn, role_arn from snapshot s.json; external_id from …".
            let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
            for (k, v) in self.origins.iter() {
                match groups.iter_mut().find(|(src, _)| *src == v) {
                    Some((_, ks)) => ks.push(k),
                    None => groups.push((v, vec![k])),
                }
            }
            let parts: Vec<String> = groups
                .iter()
                .map(|(v, ks)| format!("{} from {v}", ks.join(", ")))
                .collect();
            out.push(format!("registration: {}", parts.join("; ")));
        }
        for a in &self.assumed {
            out.push(format!("assumed: {a}"));
        }
        let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
        for f in self.not_checked() {
            match groups.iter_mut().find(|(m, _)| *m == f.message) {
                Some((_, ids)) => ids.push(f.rule.id),
                None => groups.push((&f.message, vec![f.rule.id])),
            }
        }
        for (why, ids) in groups {
            out.push(format!("not checked: {}: {why}", ids.join(", ")));
        }
        out
    }

    /// The findings that fail the gate.
    pub fn gating(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| self.gates(f))
    }
}

/// The exit code a run with these targets and (for `scan`) accounts ends with: 0 when every
/// target passes its gate and no account was read incompletely or not at all, else 1 (the
/// contract's exit codes; `check`, `lint` and `scan` decide theirs the same way, and the
/// fixtures test holds JUnit's `exit-code` property to the process's).
pub fn exit_code(reports: &[Report], accounts: &[accounts::AccountEntry]) -> u8 {
    let passes = reports.iter().all(Report::passes) && !accounts.iter().any(|a| a.status.fails());
    if passes { 0 } else { 1 }
}
