//! Reporters: pure functions from findings to text. No rule logic here.

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

    pub fn ready(&self) -> bool {
        !self.findings.iter().any(|f| self.gates(f))
    }

    pub fn verdict(&self) -> &'static str {
        if self.ready() { "ready" } else { "not-ready" }
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

    /// The findings that fail the gate.
    pub fn gating(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| self.gates(f))
    }
}
