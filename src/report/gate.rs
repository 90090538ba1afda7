//! Levels and suppressions, applied in one place after every rule ran: rules never see them.
//!
//! - Levels: `--deny/--warn/--allow ID` and `[rules] EKMnnn = "deny"|"warn"|"allow"` set a rule's
//!   severity (deny = error, warn = warning, allow = info, which never gates).
//! - Ignores: `[[ignore]] rule = "EKMnnn"`, optional `target` (a role or key ARN), a required
//!   `reason`, an optional `until = "YYYY-MM-DD"` after which it lapses. A suppressed finding stays
//!   in every report, marked, and never gates. An ignore that matched nothing, or lapsed, is said.

use serde::Deserialize;

use crate::rules::{Finding, Severity, Status, Suppression};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Deny,
    Warn,
    Allow,
}

impl Level {
    pub fn severity(self) -> Severity {
        match self {
            Level::Deny => Severity::Error,
            Level::Warn => Severity::Warning,
            Level::Allow => Severity::Info,
        }
    }
}

/// One `[[ignore]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ignore {
    pub rule: String,
    #[serde(default)]
    pub target: Option<String>,
    pub reason: String,
    #[serde(default)]
    pub until: Option<String>,
}

/// Apply levels (later entries win) and ignores to the findings of one target (`targets`: its
/// role and key ARNs). `today` is `YYYY-MM-DD`. Returns the notes to show.
pub fn apply(
    findings: &mut [Finding],
    levels: &[(String, Level)],
    ignores: &[Ignore],
    targets: &[&str],
    today: &str,
) -> Vec<String> {
    for f in findings.iter_mut() {
        if let Some((_, l)) = levels
            .iter()
            .rev()
            .find(|(id, _)| id.eq_ignore_ascii_case(f.rule.id))
        {
            f.severity = l.severity();
        }
    }
    let mut notes = Vec::new();
    for ig in ignores {
        let label = match &ig.target {
            Some(t) => format!("ignore of {} for {t}", ig.rule),
            None => format!("ignore of {}", ig.rule),
        };
        if let Some(until) = &ig.until {
            if until.as_str() < today {
                notes.push(format!(
                    "{label} lapsed on {until}: it no longer applies (reason was: {})",
                    ig.reason
                ));
                continue;
            }
        }
        let mut matched = false;
        let on_target = ig.target.as_deref().is_none_or(|t| targets.contains(&t));
        for f in findings.iter_mut().filter(|_| on_target) {
            if f.rule.id.eq_ignore_ascii_case(&ig.rule)
                && matches!(f.status, Status::Fail | Status::Unknown)
            {
                f.suppressed = Some(Suppression {
                    reason: ig.reason.clone(),
                    until: ig.until.clone(),
                });
                matched = true;
            }
        }
        if !matched {
            notes.push(format!(
                "{label} matched nothing: the rule did not fail; remove the ignore"
            ));
        }
    }
    notes
}
