//! What a scan did with each account: scanned, scanned with reads that failed, could not be
//! entered, or left out by a filter. Every reporter shows the accounts that were not fully read,
//! so a scan never hides one.

use serde::{Deserialize, Serialize};

use super::{Report, Verdict};

/// The line format of one account in `--format jsonl`.
pub const ACCOUNT_FORMAT: &str = "ekm-check.scan-account/v1";
/// The last line of `--format jsonl`.
pub const SUMMARY_FORMAT: &str = "ekm-check.scan-summary/v1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountStatus {
    /// Every read succeeded.
    Scanned,
    /// Entered, but some reads failed (named in `errors`): what they would have found is missing.
    Incomplete,
    /// Could not be entered (the role could not be assumed, the credentials were refused) or
    /// its roles could not be listed.
    Unreadable,
    /// Left out by `--ou`, `--account` or `--exclude-account`, or not active.
    Skipped,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Scanned => "scanned",
            AccountStatus::Incomplete => "incomplete",
            AccountStatus::Unreadable => "unreadable",
            AccountStatus::Skipped => "skipped",
        }
    }
    /// Does this account fail the scan (exit 1)?
    pub fn fails(self) -> bool {
        matches!(self, AccountStatus::Incomplete | AccountStatus::Unreadable)
    }
}

/// One account of a scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountEntry {
    /// The account id; `null` only when it could not be learned (a profile whose credentials
    /// were refused).
    pub id: Option<String>,
    /// The account's name in the organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub status: AccountStatus,
    /// How it was entered: `role ARN`, `profile NAME` or `the default credentials`.
    #[serde(default)]
    pub via: String,
    /// The role assumed to enter it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// Why it was skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What could not be read, each naming the call and AWS's error.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    #[serde(default)]
    pub roles_examined: usize,
    #[serde(default)]
    pub ekm_roles: usize,
    #[serde(default)]
    pub keys_examined: usize,
    #[serde(default)]
    pub targets: usize,
}

impl AccountEntry {
    /// An entry with this id and status, and nothing else known yet.
    pub fn new(id: Option<String>, status: AccountStatus) -> AccountEntry {
        AccountEntry {
            id,
            name: None,
            status,
            via: String::new(),
            role_arn: None,
            reason: None,
            errors: Vec::new(),
            roles_examined: 0,
            ekm_roles: 0,
            keys_examined: 0,
            targets: 0,
        }
    }

    /// `111122223333 (prod)`, or how it was entered when the id is unknown.
    pub fn label(&self) -> String {
        match (&self.id, &self.name) {
            (Some(id), Some(n)) if !n.is_empty() => format!("{id} ({n})"),
            (Some(id), _) => id.clone(),
            (None, _) => format!("the account of {}", self.via),
        }
    }
    /// One line: what happened and why.
    pub fn describe(&self) -> String {
        let mut s = format!("{} {}", self.status.as_str(), self.label());
        if let Some(r) = &self.role_arn {
            s.push_str(&format!(" (role tried: {r})"));
        } else if !self.via.is_empty() {
            s.push_str(&format!(" (via {})", self.via));
        }
        if let Some(r) = &self.reason {
            s.push_str(&format!(": {r}"));
        }
        if !self.errors.is_empty() {
            s.push_str(": ");
            s.push_str(&self.errors.join("; "));
        }
        s
    }
}

/// The counts a scan ends with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanSummary {
    pub accounts: usize,
    pub scanned: usize,
    pub incomplete: usize,
    pub unreadable: usize,
    pub skipped: usize,
    pub targets: usize,
    pub ready: usize,
    pub not_ready: usize,
    /// Targets whose verdict is `incomplete`.
    pub targets_incomplete: usize,
    /// Targets that fail the gate (`--fail-on`).
    pub failing: usize,
}

impl ScanSummary {
    pub fn add_account(&mut self, a: &AccountEntry) {
        self.accounts += 1;
        match a.status {
            AccountStatus::Scanned => self.scanned += 1,
            AccountStatus::Incomplete => self.incomplete += 1,
            AccountStatus::Unreadable => self.unreadable += 1,
            AccountStatus::Skipped => self.skipped += 1,
        }
    }
    pub fn add_target(&mut self, r: &Report) {
        self.add_verdict(r.verdict(), r.passes());
    }
    pub fn add_verdict(&mut self, v: Verdict, passes: bool) {
        self.targets += 1;
        match v {
            Verdict::Ready => self.ready += 1,
            Verdict::NotReady => self.not_ready += 1,
            Verdict::Incomplete => self.targets_incomplete += 1,
        }
        if !passes {
            self.failing += 1;
        }
    }
    /// Does the scan pass: every target passes its gate and every account was fully read?
    pub fn passes(&self) -> bool {
        self.failing == 0 && self.incomplete == 0 && self.unreadable == 0
    }
    /// `24 accounts: 20 scanned, 1 unreadable, 3 skipped by filter; 7 targets: 5 ready, 2 not ready`.
    pub fn line(&self) -> String {
        let mut parts = vec![format!("{} scanned", self.scanned)];
        if self.incomplete > 0 {
            parts.push(format!("{} read incompletely", self.incomplete));
        }
        if self.unreadable > 0 {
            parts.push(format!("{} unreadable", self.unreadable));
        }
        if self.skipped > 0 {
            parts.push(format!("{} skipped by filter", self.skipped));
        }
        let mut t = vec![format!("{} ready", self.ready)];
        if self.not_ready > 0 {
            t.push(format!("{} not ready", self.not_ready));
        }
        if self.targets_incomplete > 0 {
            t.push(format!("{} incomplete", self.targets_incomplete));
        }
        format!(
            "{} account{}: {}; {} target{}: {}",
            self.accounts,
            if self.accounts == 1 { "" } else { "s" },
            parts.join(", "),
            self.targets,
            if self.targets == 1 { "" } else { "s" },
            t.join(", ")
        )
    }
}

/// The summary of a whole scan.
pub fn summarize(reports: &[Report], accounts: &[AccountEntry]) -> ScanSummary {
    let mut s = ScanSummary::default();
    accounts.iter().for_each(|a| s.add_account(a));
    reports.iter().for_each(|r| s.add_target(r));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(status: AccountStatus) -> AccountEntry {
        AccountEntry {
            id: Some("111122223333".into()),
            name: Some("prod".into()),
            status,
            via: "role arn:aws:iam::111122223333:role/ekm-audit".into(),
            role_arn: Some("arn:aws:iam::111122223333:role/ekm-audit".into()),
            reason: None,
            errors: vec!["sts:AssumeRole: AccessDenied".into()],
            roles_examined: 0,
            ekm_roles: 0,
            keys_examined: 0,
            targets: 0,
        }
    }

    #[test]
    fn an_unreadable_account_fails_the_scan_and_is_named() {
        let mut s = ScanSummary::default();
        s.add_account(&entry(AccountStatus::Scanned));
        assert!(s.passes());
        s.add_account(&entry(AccountStatus::Unreadable));
        assert!(!s.passes());
        let mut skipped = entry(AccountStatus::Skipped);
        skipped.errors.clear();
        skipped.reason = Some("not under --ou ou-1".into());
        s.add_account(&skipped);
        assert_eq!(
            s.line(),
            "3 accounts: 1 scanned, 1 unreadable, 1 skipped by filter; 0 targets: 0 ready"
        );
        assert_eq!(
            entry(AccountStatus::Unreadable).describe(),
            "unreadable 111122223333 (prod) (role tried: arn:aws:iam::111122223333:role/ekm-audit): sts:AssumeRole: AccessDenied"
        );
        assert!(!AccountStatus::Skipped.fails() && AccountStatus::Incomplete.fails());
    }

    #[test]
    fn entries_round_trip_through_json() {
        let e = entry(AccountStatus::Incomplete);
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["status"], "incomplete");
        let back: AccountEntry = serde_json::from_value(v).unwrap();
        assert_eq!(back, e);
    }
}
