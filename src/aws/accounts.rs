//! `scan --organization`: which member accounts to scan, and the credentials to scan each.
//!
//! With the management account's or a delegated administrator's credentials, `ListAccounts`
//! gives every account of the organization; `--ou` keeps those under the given OUs and their
//! descendants (`ListChildren` and `ListAccountsForParent`, walked concurrently), `--account`
//! keeps the named ones, `--exclude-account` drops some. Every account not kept is still
//! accounted for, with the reason: a scan never loses an account silently.

use std::collections::{BTreeMap, BTreeSet};

use aws_config::SdkConfig;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_organizations::types::{AccountStatus, ChildType};
use futures_util::future::join_all;

use super::describe_error;

/// What the user asked to scan.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// OU ids (`ou-…`) or the root (`r-…`): accounts under them, at any depth.
    pub ous: Vec<String>,
    /// Only these account ids.
    pub accounts: Vec<String>,
    /// Never these account ids.
    pub exclude: Vec<String>,
}

/// One account of the organization, and whether it is scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    pub name: String,
    /// Why it is not scanned; `None`: scan it.
    pub skipped: Option<String>,
}

/// Every account of the organization (and every `--account` that is not one), in id order.
#[derive(Debug, Clone, Default)]
pub struct Enumerated {
    pub members: Vec<Member>,
    /// `--account` ids that are no account of the organization: reported as unreadable.
    pub unknown: Vec<String>,
}

fn org_error<E, R>(call: &str, e: &aws_sdk_organizations::error::SdkError<E, R>) -> String
where
    E: aws_sdk_kms::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    let (code, text) = describe_error(e);
    let hint = match code.as_deref() {
        Some("AccessDeniedException") | Some("AWSOrganizationsNotInUseException") => {
            "; --organization needs the management account's or a delegated administrator's \
             credentials (`ekm-check init --org-reader-policy` prints the policy)"
        }
        _ => "",
    };
    format!("organizations:{call}: {text}{hint}")
}

/// `ListAccounts`, every page (the SDK's paginator follows NextToken past empty pages).
async fn list_accounts(
    c: &aws_sdk_organizations::Client,
) -> Result<Vec<aws_sdk_organizations::types::Account>, String> {
    let pages = c
        .list_accounts()
        .into_paginator()
        .send()
        .try_collect()
        .await;
    let pages = pages.map_err(|e| org_error("ListAccounts", &e))?;
    Ok(pages.iter().flat_map(|p| p.accounts()).cloned().collect())
}

/// The accounts under `parent` at any depth: one level of OUs at a time, each level's calls
/// concurrent.
async fn accounts_under(
    c: &aws_sdk_organizations::Client,
    parent: &str,
) -> Result<BTreeSet<String>, String> {
    let mut found = BTreeSet::new();
    let mut level = vec![parent.to_string()];
    while !level.is_empty() {
        let reads = join_all(level.iter().map(|p| async move {
            let accounts = c
                .list_accounts_for_parent()
                .parent_id(p)
                .into_paginator()
                .send()
                .try_collect();
            let children = c
                .list_children()
                .parent_id(p)
                .child_type(ChildType::OrganizationalUnit)
                .into_paginator()
                .send()
                .try_collect();
            let (a, ch) = tokio::join!(accounts, children);
            let a = a.map_err(|e| org_error("ListAccountsForParent", &e))?;
            let ch = ch.map_err(|e| org_error("ListChildren", &e))?;
            let accounts: Vec<String> = (a.iter().flat_map(|p| p.accounts()))
                .filter_map(|x| x.id().map(String::from))
                .collect();
            let ous: Vec<String> = (ch.iter().flat_map(|p| p.children()))
                .filter_map(|x| x.id().map(String::from))
                .collect();
            Ok::<_, String>((accounts, ous))
        }))
        .await;
        let mut next = Vec::new();
        for r in reads {
            let (a, ch) = r?;
            found.extend(a);
            next.extend(ch);
        }
        level = next;
    }
    Ok(found)
}

/// The organization's accounts, each kept or skipped by `sel` (suspended and closing accounts
/// are skipped: they cannot be entered).
pub async fn enumerate(cfg: &SdkConfig, sel: &Selection) -> Result<Enumerated, String> {
    let c = super::org::client(cfg);
    let list = list_accounts(&c);
    let under = async {
        let mut ids: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let reads = join_all(sel.ous.iter().map(|ou| accounts_under(&c, ou))).await;
        for (ou, r) in sel.ous.iter().zip(reads) {
            ids.insert(ou.clone(), r?);
        }
        Ok::<_, String>(ids)
    };
    let (list, under) = tokio::join!(list, under);
    let (list, under) = (list?, under?);
    let mut members: Vec<Member> = list
        .iter()
        .filter_map(|a| {
            let id = a.id()?.to_string();
            let name = a.name().unwrap_or_default().to_string();
            let skipped = match a.status() {
                Some(AccountStatus::Active) | None => select(&id, sel, &under),
                Some(s) => Some(format!("its status is {}", s.as_str())),
            };
            Some(Member { id, name, skipped })
        })
        .collect();
    members.sort_by(|a, b| a.id.cmp(&b.id));
    members.dedup_by(|a, b| a.id == b.id);
    let unknown = sel
        .accounts
        .iter()
        .filter(|id| !members.iter().any(|m| &m.id == *id))
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    Ok(Enumerated { members, unknown })
}

/// `None`: scan this active account; otherwise why the filters leave it out.
fn select(id: &str, sel: &Selection, under: &BTreeMap<String, BTreeSet<String>>) -> Option<String> {
    if sel.exclude.iter().any(|x| x == id) {
        return Some("excluded by --exclude-account".into());
    }
    if !sel.accounts.is_empty() && !sel.accounts.iter().any(|x| x == id) {
        return Some("not named by --account".into());
    }
    if !under.is_empty() && !under.values().any(|s| s.contains(id)) {
        let ous: Vec<&str> = under.keys().map(String::as_str).collect();
        return Some(format!("not under --ou {}", ous.join(", ")));
    }
    None
}

/// The member role's ARN in `account`, in the partition of the credentials that list accounts.
pub fn member_role_arn(partition: &str, account: &str, role: &str) -> String {
    let role = role.trim_start_matches('/');
    format!("arn:{partition}:iam::{account}:role/{role}")
}

/// `cfg` with the credentials of `role_arn`, assumed with `cfg`'s own (refreshed before they
/// expire, as the SDK's assume-role provider does).
pub async fn assume(cfg: &SdkConfig, role_arn: &str, session: &str) -> SdkConfig {
    let provider = aws_config::sts::AssumeRoleProvider::builder(role_arn)
        .session_name(session)
        .configure(cfg)
        .build()
        .await;
    cfg.to_builder()
        .credentials_provider(SharedCredentialsProvider::new(provider))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(ous: &[&str], accounts: &[&str], exclude: &[&str]) -> Selection {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect();
        Selection {
            ous: v(ous),
            accounts: v(accounts),
            exclude: v(exclude),
        }
    }

    #[test]
    fn filters_say_why_an_account_is_left_out() {
        let mut under = BTreeMap::new();
        under.insert(
            "ou-ab12-1".to_string(),
            ["111111111111".to_string()].into_iter().collect(),
        );
        let s = sel(&["ou-ab12-1"], &[], &["222222222222"]);
        assert_eq!(select("111111111111", &s, &under), None);
        assert_eq!(
            select("222222222222", &s, &under).as_deref(),
            Some("excluded by --exclude-account")
        );
        assert_eq!(
            select("333333333333", &s, &under).as_deref(),
            Some("not under --ou ou-ab12-1")
        );
        let s = sel(&[], &["111111111111"], &[]);
        assert_eq!(select("111111111111", &s, &BTreeMap::new()), None);
        assert_eq!(
            select("333333333333", &s, &BTreeMap::new()).as_deref(),
            Some("not named by --account")
        );
        // Exclusion wins over inclusion.
        let s = sel(&[], &["111111111111"], &["111111111111"]);
        assert!(select("111111111111", &s, &BTreeMap::new()).is_some());
    }

    #[test]
    fn member_role_arns_follow_the_partition() {
        assert_eq!(
            member_role_arn("aws", "111122223333", "ekm-audit"),
            "arn:aws:iam::111122223333:role/ekm-audit"
        );
        assert_eq!(
            member_role_arn("aws-us-gov", "111122223333", "/audit/ekm-audit"),
            "arn:aws-us-gov:iam::111122223333:role/audit/ekm-audit"
        );
    }
}
