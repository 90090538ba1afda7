//! The rule engine and the EKM rule catalogue.
//!
//! A rule is one file: a `META` (id, slug, default severity, family, summary, and its
//! documentation from `rules/EKMnnn-slug.md`) and a `check` function from the shared context
//! to an [`Outcome`]. [`RULES`] lists them in catalogue order. Rules never decide levels or
//! suppressions: those are applied in one place, after every rule ran.
//!
//! Each [`Family`] has its folder, `src/rules/<family>/` (`key-policy` is `key_policy/`), with
//! one file per rule and the helpers only that family uses. The helpers here are shared by
//! several families: [`paths`] (OpenAI's requests, decided once), [`fixes`] (the documents to
//! paste), [`caller`] (conditions that restrict the caller), [`support_inputs`] (registration
//! values and document text) and [`support_keypolicy`] (the key policy and the role's
//! documents, read statement by statement).

pub mod caller;
pub mod fixes;
pub mod paths;
pub mod support_inputs;
pub mod support_keypolicy;

// The rule families, one folder each (`RULES` below keeps the catalogue order).
pub mod evidence;
pub mod inputs;
pub mod key;
pub mod key_policy;
pub mod live;
pub mod organization;
pub mod role;
pub mod trust;

use serde::Serialize;
use serde_json::Value as J;

use crate::inputs::{Doc, Inputs, Part};
use crate::policy::Statement;
pub use paths::Cx;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    Unknown,
    Skipped,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Unknown => "unknown",
            Status::Skipped => "skipped",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    Inputs,
    Key,
    KeyPolicy,
    Role,
    Trust,
    Live,
    Organization,
    Evidence,
}

impl Family {
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Inputs => "inputs",
            Family::Key => "key",
            Family::KeyPolicy => "key-policy",
            Family::Role => "role",
            Family::Trust => "trust",
            Family::Live => "live",
            Family::Organization => "organization",
            Family::Evidence => "evidence",
        }
    }
}

/// What a rule is: the catalogue entry.
#[derive(Debug, PartialEq, Eq)]
pub struct RuleMeta {
    pub id: &'static str,
    pub slug: &'static str,
    pub severity: Severity,
    pub family: Family,
    pub summary: &'static str,
    /// The rule's documentation, `rules/EKMnnn-slug.md`.
    pub doc: &'static str,
}

impl RuleMeta {
    /// Does this rule decide whether OpenAI's path works? Such a rule must be decided for the
    /// verdict to be `ready`: an error-level rule about the key, the key policy, the role, the
    /// trust policy or the organization's guardrails.
    pub fn decides_path(&self) -> bool {
        self.severity == Severity::Error
            && matches!(
                self.family,
                Family::Key
                    | Family::KeyPolicy
                    | Family::Role
                    | Family::Trust
                    | Family::Organization
            )
    }
}

pub struct Rule {
    pub meta: &'static RuleMeta,
    pub check: fn(&Cx<'_>) -> Outcome,
}

/// Where a finding points: the document (AWS source or file), the JSON pointer inside it, and
/// the line when there is a file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    pub source: String,
    pub pointer: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<J>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
}

impl Evidence {
    pub fn new(source: &str, pointer: &str, value: Option<J>) -> Evidence {
        Evidence {
            source: source.to_string(),
            pointer: pointer.to_string(),
            value,
            file: None,
            line: None,
            column: None,
        }
    }

    /// Evidence at a pointer inside a document (the statement, or a part of it).
    pub fn in_doc(doc: &Doc, pointer: &str, pos: crate::json::Pos, value: Option<J>) -> Evidence {
        let located = doc.file.is_some() && pos.line > 0;
        Evidence {
            source: doc.source.clone(),
            pointer: pointer.to_string(),
            value,
            file: doc.file.clone(),
            line: located.then_some(pos.line),
            column: located.then_some(pos.col),
        }
    }

    /// Evidence for a whole statement, with the statement as its value.
    pub fn statement(doc: &Doc, st: &Statement) -> Evidence {
        let value = doc.value_at(&st.pointer);
        Evidence::in_doc(doc, &st.pointer, st.pos, value)
    }

    /// `role.trust_policy /Statement/0 (snapshot.json line 12)`
    pub fn location(&self) -> String {
        let mut s = self.source.clone();
        if !self.pointer.is_empty() {
            s.push(' ');
            s.push_str(&self.pointer);
        }
        if let (Some(f), Some(l)) = (&self.file, self.line) {
            if *f == self.source {
                s = format!("{f}:{l}");
                if !self.pointer.is_empty() {
                    s.push(' ');
                    s.push_str(&self.pointer);
                }
            } else {
                s.push_str(&format!(" ({f}:{l})"));
            }
        }
        s
    }
}

/// What a rule found.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub status: Status,
    /// A finding-specific severity (e.g. EKM305 is an error for `kms:*`); `None`: the default.
    pub severity: Option<Severity>,
    pub message: String,
    pub evidence: Vec<Evidence>,
    /// The exact fix, usually JSON to paste.
    pub remediation: Option<String>,
}

impl Outcome {
    fn new(status: Status, message: impl Into<String>) -> Outcome {
        Outcome {
            status,
            severity: None,
            message: message.into(),
            evidence: Vec::new(),
            remediation: None,
        }
    }
    pub fn pass(m: impl Into<String>) -> Outcome {
        Outcome::new(Status::Pass, m)
    }
    pub fn fail(m: impl Into<String>) -> Outcome {
        Outcome::new(Status::Fail, m)
    }
    pub fn unknown(m: impl Into<String>) -> Outcome {
        Outcome::new(Status::Unknown, m)
    }
    pub fn skipped(m: impl Into<String>) -> Outcome {
        Outcome::new(Status::Skipped, m)
    }
    pub fn evidence(mut self, e: Evidence) -> Outcome {
        self.evidence.push(e);
        self
    }
    pub fn evidences(mut self, e: impl IntoIterator<Item = Evidence>) -> Outcome {
        self.evidence.extend(e);
        self
    }
    pub fn fix(mut self, f: impl Into<String>) -> Outcome {
        self.remediation = Some(f.into());
        self
    }
    pub fn severity(mut self, s: Severity) -> Outcome {
        self.severity = Some(s);
        self
    }

    /// The outcome for a part that is not there: `skipped` when it was not collected,
    /// `unknown` when reading it failed.
    pub fn for_missing<T>(part: &Part<T>, what: &str) -> Option<Outcome> {
        match part {
            Part::Present(_) => None,
            Part::Absent(r) => Some(Outcome::skipped(format!("{what} was not given ({r})"))),
            Part::Error(e) => Some(Outcome::unknown(format!(
                "{what} could not be read: {}",
                e.trim_end().trim_end_matches('.')
            ))),
        }
    }
}

/// One rule's result, after levels were applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub rule: &'static RuleMeta,
    pub status: Status,
    pub severity: Severity,
    pub message: String,
    pub evidence: Vec<Evidence>,
    pub remediation: Option<String>,
    /// Set by an `[[ignore]]` of the configuration: still reported, never gating.
    pub suppressed: Option<Suppression>,
    /// Against a `--baseline`: "new" or "unchanged" for a failing or undecided rule.
    pub change: Option<&'static str>,
}

/// Why a finding is suppressed, as the configuration says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppression {
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

macro_rules! rules {
    ($($f:ident::$m:ident),* $(,)?) => {
        /// Every rule, in catalogue order.
        pub static RULES: &[Rule] = &[$(Rule { meta: &$f::$m::META, check: $f::$m::check }),*];
    };
}

rules!(
    inputs::ekm001_kms_arn_malformed,
    inputs::ekm002_role_arn_malformed,
    inputs::ekm003_external_id_unexpected,
    inputs::ekm004_policy_json_invalid,
    inputs::ekm005_placeholder_left,
    inputs::ekm006_policy_grammar,
    key::ekm101_key_missing,
    key::ekm102_key_not_symmetric,
    key::ekm103_key_not_enabled,
    key::ekm104_key_not_customer_managed,
    key::ekm105_key_material_expires,
    key::ekm106_key_rotation_off,
    key::ekm107_key_arn_mismatch,
    key_policy::ekm201_key_policy_blocks_role,
    key_policy::ekm202_key_policy_denies_role,
    key_policy::ekm203_key_policy_conditional,
    key_policy::ekm204_key_policy_public,
    role::ekm301_role_missing,
    role::ekm302_role_cannot_encrypt,
    role::ekm303_role_cannot_decrypt,
    role::ekm304_policy_resource_is_alias,
    role::ekm305_role_kms_overbroad,
    role::ekm306_role_grants_beyond_kms,
    role::ekm307_boundary_blocks_role,
    trust::ekm401_trust_blocks_openai,
    trust::ekm402_trust_principal_broad,
    trust::ekm403_external_id_not_required,
    trust::ekm404_external_id_mismatch,
    trust::ekm405_trust_public,
    trust::ekm406_trust_other_principals,
    trust::ekm407_trust_denies_openai,
    live::ekm501_live_assume_failed,
    live::ekm502_live_round_trip_failed,
    live::ekm503_live_external_id_not_enforced,
    organization::ekm601_org_policies_unseen,
    organization::ekm602_rcp_blocks_openai,
    organization::ekm603_scp_blocks_role,
    organization::ekm604_rcp_blocks_kms,
    evidence::ekm701_openai_calls_failing,
    evidence::ekm702_openai_calls_absent,
);

/// Find a rule by id (`EKM102`, case-insensitive) or slug.
pub fn find(id: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .find(|r| r.meta.id.eq_ignore_ascii_case(id) || r.meta.slug == id)
}

/// The rules whose result depends on the key policy (and so on an assumed one, in `lint`).
const READ_KEY_POLICY: &[&str] = &[
    "EKM201", "EKM202", "EKM203", "EKM204", "EKM302", "EKM303", "EKM305", "EKM307",
];

/// Run every rule over the inputs, in catalogue order.
pub fn run_all(inputs: &Inputs) -> Vec<Finding> {
    let cx = Cx::new(inputs);
    RULES
        .iter()
        .map(|r| {
            let mut o = (r.check)(&cx);
            let decided = matches!(o.status, Status::Pass | Status::Fail | Status::Unknown);
            // EKM307 reads the key policy only when there is a boundary to check it against.
            let boundary = matches!(inputs.boundary, Part::Present(Some(_)));
            if inputs.key_policy_assumed
                && READ_KEY_POLICY.contains(&r.meta.id)
                && (r.meta.id != "EKM307" || boundary)
                && decided
            {
                o.message
                    .push_str(if inputs.iac && matches!(inputs.key, Part::Absent(_)) {
                        " (assuming AWS's default key policy: the key is not in the IaC)"
                    } else if inputs.iac {
                        " (assuming AWS's default key policy: the key sets none)"
                    } else {
                        " (assuming AWS's default key policy: no --key-policy was given)"
                    });
            }
            // lint with --permissions but no --boundary assumes the role has none (IaC says so).
            if inputs.lint && !inputs.iac && r.meta.id == "EKM307" && !boundary && decided {
                o.message.push_str(" (assumed: no --boundary was given)");
            }
            // IaC: evidence about the key or the role points at where it is declared.
            for e in o.evidence.iter_mut().filter(|e| e.file.is_none()) {
                let at = if e.source.starts_with("key.") {
                    &inputs.key_at
                } else if e.source == "role" || e.source.starts_with("role.") {
                    &inputs.role_at
                } else {
                    &None
                };
                if let Some((file, line)) = at {
                    e.file = Some(file.clone());
                    e.line = Some(*line);
                }
            }
            Finding {
                rule: r.meta,
                status: o.status,
                severity: o.severity.unwrap_or(r.meta.severity),
                message: o.message,
                evidence: o.evidence,
                remediation: o.remediation,
                suppressed: None,
                change: None,
            }
        })
        .collect()
}
