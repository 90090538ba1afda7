//! `scan`: every role that trusts OpenAI, every key it uses, across accounts; one report each.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;

use super::check::{
    Format, OutputArgs, external_id_from_trust_note, now_utc, today, write_reports,
};
use super::exit;
use crate::aws::scan::{ALL_REGIONS, ScanOptions, Target};
use crate::config;
use crate::error::{Error, Result};
use crate::report::accounts::{AccountEntry, AccountStatus};
use crate::report::gate;
use crate::report::{FailOn, Report};
use crate::rules::{self, Status};
use crate::snapshot;

#[derive(Debug, Args)]
#[command(after_help = "\
Writes a table (default), or with --format json the ekm-check.scan/v1 format: one \
ekm-check.report/v1 report per (role, key) target, plus what discovery saw in each account.

Finds every IAM role whose trust policy lets OpenAI's account (790389265272) assume it, and every \
KMS key those roles' policies allow Encrypt/Decrypt on, and checks each (role, key) pair with the \
full catalogue. Only read calls; GetAccountAuthorizationDetails reads the roles in a few pages.

Examples (variables keep each line short enough to paste from any terminal):
  ekm-check scan --regions us-east-1,eu-west-1 \\
    --format json --output scan.json
  ekm-check scan --profile prod --profile staging \\
    --baseline yesterday.json
  a=arn:aws:iam::111122223333:role/ekm-check-readonly
  b=arn:aws:iam::444455556666:role/ekm-check-readonly
  ekm-check scan --assume-role \"$a\" --assume-role \"$b\"
  ekm-check scan --organization \\
    --member-role ekm-check-readonly --ou ou-ab12-11111111 \\
    --format jsonl --output scan.jsonl
  ekm-check scan --evidence --since 1d \\
    --baseline yesterday.json

--evidence reads CloudTrail's event history (cloudtrail:LookupEvents) for OpenAI's calls on \
each target's role and key: EKM701 fails when they failed in the window, EKM702 notes when \
there were none.

--organization (with the management account's or a delegated administrator's credentials) \
lists the organization's active accounts and enters each as --member-role; every account \
appears in the report, scanned, unreadable (with the role tried and AWS's error) or skipped by \
a filter. Split a large organization across jobs with --ou or --account and join the JSON \
reports with `ekm-check merge-reports`.

Exit codes: 0 every target ready, 1 a target not ready or an account could not be (fully) read, \
2 usage error or no AWS access at all.")]
pub struct ScanArgs {
    /// An AWS profile to scan (repeatable: one account each) [default: the default chain]
    #[arg(long, value_name = "NAME")]
    pub profile: Vec<String>,
    /// A read-only role to assume in each account to scan (repeatable)
    #[arg(long, value_name = "ARN", conflicts_with = "organization")]
    pub assume_role: Vec<String>,
    /// Scan every active account of the AWS Organization, entering each through --member-role
    /// (run with the management account's or a delegated administrator's credentials)
    #[arg(long)]
    pub organization: bool,
    /// The read-only role assumed in each member account: its name, with its path if it has one
    #[arg(long, value_name = "NAME", requires = "organization")]
    pub member_role: Option<String>,
    /// Only the accounts under this OU (or root), at any depth (repeatable)
    #[arg(long = "ou", value_name = "ID", requires = "organization")]
    pub ou: Vec<String>,
    /// Only this account (repeatable)
    #[arg(long = "account", value_name = "ID", requires = "organization")]
    pub account: Vec<String>,
    /// Never this account (repeatable)
    #[arg(long, value_name = "ID", requires = "organization")]
    pub exclude_account: Vec<String>,
    /// Regions whose keys are listed for wildcard resources: comma-separated, or `all`
    /// [default: the profile's region]
    #[arg(long, value_delimiter = ',', value_name = "REGION,…")]
    pub regions: Vec<String>,
    /// Accounts scanned at once, and AWS reads in flight at once within each account
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub concurrency: usize,
    /// The expected ExternalId [default: each role's trust policy's own values]
    #[arg(
        long,
        visible_alias = "org-id",
        env = "EKM_EXTERNAL_ID",
        value_name = "ID"
    )]
    pub external_id: Option<String>,
    /// A previous scan's report (--format json or jsonl, or merge-reports'): findings are marked
    /// new or unchanged, and fixed ones listed
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// The region for IAM and STS calls [default: the profile's]
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Read the organization's SCPs and RCPs with this profile: the management account's or a
    /// delegated administrator's [default: each scanned account's own credentials; with
    /// --organization, the credentials that list the accounts]
    #[arg(long, value_name = "NAME", conflicts_with = "org_role_arn")]
    pub org_profile: Option<String>,
    /// Read the organization's SCPs and RCPs by assuming this role (in the management account or
    /// a delegated administrator) with the scanned account's credentials
    #[arg(long, value_name = "ARN")]
    pub org_role_arn: Option<String>,
    #[command(flatten)]
    pub evidence: super::check::EvidenceArgs,
    #[command(flatten)]
    pub conn: super::check::ConnArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// A baseline: (role, key, rule) -> status.
fn load_baseline(path: &std::path::Path) -> Result<Vec<(String, String, String, String)>> {
    // A previous `--format json` or `jsonl` report (or `merge-reports` output).
    let reports = super::merge::targets_in(path)?;
    let mut out = Vec::new();
    for r in reports {
        let role = r["registration"]["role_arn"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let key = r["registration"]["kms_arn"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        for res in r["results"].as_array().into_iter().flatten() {
            out.push((
                role.clone(),
                key.clone(),
                res["rule"].as_str().unwrap_or_default().to_string(),
                res["status"].as_str().unwrap_or_default().to_string(),
            ));
        }
    }
    Ok(out)
}

fn bad(status: &str) -> bool {
    status == "fail" || status == "unknown"
}

/// One account to scan, and how to enter it.
struct Plan {
    id: Option<String>,
    name: Option<String>,
    profile: Option<String>,
    role_arn: Option<String>,
}

impl Plan {
    fn via(&self) -> String {
        match (&self.role_arn, &self.profile) {
            (Some(r), _) => format!("role {r}"),
            (None, Some(p)) => format!("profile {p}"),
            (None, None) => "the default credentials".into(),
        }
    }
}

/// The SDK configuration for a profile: IAM is global, so without a configured region it is
/// read through us-east-1. Throttling slows the scan down instead of failing it: at least 8
/// attempts with exponential backoff and jitter. (The SDK's adaptive mode was tried: after four
/// throttled answers its client-side rate limiter held one account's scan for over a minute.)
async fn base_config(opts: &crate::aws::AwsOptions) -> aws_config::SdkConfig {
    let mut sdk = crate::aws::sdk_config(opts, None).await;
    if sdk.region().is_none_or(|r| r.as_ref().is_empty()) {
        sdk = crate::aws::sdk_config(opts, Some("us-east-1")).await;
    }
    let attempts = opts
        .max_attempts
        .unwrap_or(crate::aws::DEFAULT_MAX_ATTEMPTS)
        .max(crate::aws::SCAN_MIN_ATTEMPTS);
    sdk.to_builder()
        .retry_config(
            aws_config::retry::RetryConfig::standard()
                .with_max_attempts(attempts)
                .with_initial_backoff(std::time::Duration::from_millis(200)),
        )
        .build()
}

/// The accounts to scan: the organization's (`--organization`), else each profile × role.
async fn plans(
    a: &ScanArgs,
    bases: &BTreeMap<Option<String>, aws_config::SdkConfig>,
) -> Result<(Vec<Plan>, Vec<AccountEntry>)> {
    let mut skipped = Vec::new();
    if !a.organization {
        let profiles: Vec<Option<String>> = if a.profile.is_empty() {
            vec![None]
        } else {
            a.profile.iter().cloned().map(Some).collect()
        };
        let mut plans = Vec::new();
        for p in &profiles {
            if a.assume_role.is_empty() {
                plans.push(Plan {
                    id: None,
                    name: None,
                    profile: p.clone(),
                    role_arn: None,
                });
            }
            for r in &a.assume_role {
                plans.push(Plan {
                    id: crate::aws::org::account_of(r).map(str::to_string),
                    name: None,
                    profile: p.clone(),
                    role_arn: Some(r.clone()),
                });
            }
        }
        return Ok((plans, skipped));
    }
    let profile = a.profile.first().cloned();
    let base = &bases[&profile];
    let who = aws_sdk_sts::Client::new(base)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| {
            Error::NoAccess(format!(
                "sts:GetCallerIdentity: {}",
                crate::aws::describe_error(&e).1
            ))
        })?;
    let partition = who
        .arn()
        .and_then(|a| a.split(':').nth(1))
        .unwrap_or("aws")
        .to_string();
    let sel = crate::aws::accounts::Selection {
        ous: a.ou.clone(),
        accounts: a.account.clone(),
        exclude: a.exclude_account.clone(),
    };
    let found = crate::aws::accounts::enumerate(base, &sel)
        .await
        .map_err(|e| Error::NoAccess(format!("listing the organization's accounts: {e}")))?;
    let role = a.member_role.as_deref().unwrap_or_default();
    let mut plans = Vec::new();
    for m in found.members {
        match m.skipped {
            None => plans.push(Plan {
                role_arn: Some(crate::aws::accounts::member_role_arn(
                    &partition, &m.id, role,
                )),
                id: Some(m.id),
                name: Some(m.name),
                profile: profile.clone(),
            }),
            Some(why) => skipped.push(AccountEntry {
                name: Some(m.name),
                reason: Some(why),
                ..AccountEntry::new(Some(m.id), AccountStatus::Skipped)
            }),
        }
    }
    for id in found.unknown {
        skipped.push(AccountEntry {
            errors: vec![
                "--account names no account of this organization (organizations:ListAccounts)"
                    .into(),
            ],
            ..AccountEntry::new(Some(id), AccountStatus::Unreadable)
        });
    }
    Ok((plans, skipped))
}

/// Where the JSON Lines go while the scan runs.
enum Sink<'a> {
    Out(&'a mut dyn Write),
    File(std::io::BufWriter<std::fs::File>),
}

impl Sink<'_> {
    fn write(&mut self, s: &str) -> Result<()> {
        match self {
            Sink::Out(w) => w.write_all(s.as_bytes())?,
            Sink::File(f) => f.write_all(s.as_bytes())?,
        }
        Ok(())
    }
}

pub fn run(a: &ScanArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8> {
    let (cfg, _) = config::load(a.output.config.as_deref())?;
    let levels = a.output.levels(&cfg)?;
    let mut targets_out = a.output.targets()?;
    if a.concurrency == 0 || a.concurrency > 64 {
        return Err(Error::Usage(
            "--concurrency must be between 1 and 64".into(),
        ));
    }
    if a.organization && a.profile.len() > 1 {
        return Err(Error::Usage(
            "--organization takes at most one --profile: the management account's or a delegated administrator's".into(),
        ));
    }
    if a.organization && a.member_role.as_deref().is_none_or(str::is_empty) {
        return Err(Error::Usage(
            "--organization needs --member-role NAME: the read-only role to assume in each member account".into(),
        ));
    }
    for id in a.account.iter().chain(&a.exclude_account) {
        if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::Usage(format!(
                "{id:?} is not an AWS account id (12 digits)"
            )));
        }
    }
    for ou in &a.ou {
        if !(ou.starts_with("ou-") || ou.starts_with("r-")) {
            return Err(Error::Usage(format!(
                "--ou {ou:?} is not an OU id (ou-…) or the root's (r-…)"
            )));
        }
    }
    // Every connection value checked once, before any AWS call.
    a.conn.options(None, a.region.clone())?;
    let opts_for = |profile: &Option<String>| {
        a.conn
            .options(profile.clone(), a.region.clone())
            .expect("checked above")
    };
    let baseline = a.baseline.as_deref().map(load_baseline).transpose()?;
    let external_id = a.external_id.clone().or(cfg.registration().external_id);
    let evidence = a.evidence.window()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Write)?;
    let collected_at = now_utc();
    let mut distinct: Vec<Option<String>> = if a.profile.is_empty() {
        vec![None]
    } else {
        a.profile.iter().cloned().map(Some).collect()
    };
    distinct.dedup();
    let bases: BTreeMap<Option<String>, aws_config::SdkConfig> = rt.block_on(async {
        let mut m = BTreeMap::new();
        for p in distinct {
            let c = base_config(&opts_for(&p)).await;
            m.insert(p, c);
        }
        m
    });
    let (plans, mut accounts) = rt.block_on(plans(a, &bases))?;
    // The organization's policies: with --org-profile/--org-role-arn, else (--organization) the
    // credentials that listed the accounts, else each scanned account's own.
    let org = match rt.block_on(super::check::org_creds(
        &a.conn,
        a.org_profile.as_deref(),
        a.org_role_arn.as_deref(),
    ))? {
        crate::aws::org::OrgCreds::Own if a.organization => {
            crate::aws::org::OrgCreds::Listing(Box::new(bases[&a.profile.first().cloned()].clone()))
        }
        o => o,
    };
    // Policies and levels read once for the whole scan, whichever account's target they apply to.
    let org_cache = crate::aws::org::OrgCache::default();
    let fail_on = a
        .output
        .fail_on
        .or(cfg.check.fail_on)
        .unwrap_or(FailOn::Error);

    // JSON Lines stream as accounts complete; the other formats are written at the end.
    let stream_to = targets_out
        .iter()
        .position(|(f, _)| *f == Format::Jsonl)
        .map(|i| targets_out.remove(i).1);
    let keep = !targets_out.is_empty();
    let mut sink = match &stream_to {
        None => None,
        Some(None) => Some(Sink::Out(&mut *out)),
        Some(Some(p)) => Some(Sink::File(std::io::BufWriter::new(
            std::fs::File::create(p).map_err(|e| Error::Input {
                path: p.display().to_string(),
                message: format!("cannot write: {e}"),
            })?,
        ))),
    };
    let mut summary = crate::report::accounts::ScanSummary::default();
    for e in &accounts {
        summary.add_account(e);
        if let Some(s) = sink.as_mut() {
            s.write(&crate::report::json::account_line(e))?;
        }
    }
    // A bar on stderr when it is a terminal; quiet otherwise.
    let progress = std::io::stderr().is_terminal().then(|| {
        let pb = indicatif::ProgressBar::new(plans.len() as u64);
        pb.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} accounts {pos}/{len} [{bar:30}] {msg} ETA {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        pb.enable_steady_tick(std::time::Duration::from_millis(120));
        pb
    });
    let report_for = |t: Target| -> Result<Option<Report>> {
        let mut inputs = snapshot::from_aws(&t.snapshot)?;
        inputs.registration = t.registration.clone();
        let mut findings = rules::run_all(&inputs);
        let cannot = |id: &str| {
            findings
                .iter()
                .any(|f| f.rule.id == id && f.status == Status::Fail)
        };
        if t.by_wildcard && cannot("EKM302") && cannot("EKM303") {
            // A key that only matched a wildcard, and that the role cannot use: not its key.
            return Ok(None);
        }
        let ids: Vec<&str> = [
            t.registration.role_arn.as_deref(),
            t.registration.kms_arn.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect();
        let mut notes = gate::apply(&mut findings, &levels, &cfg.ignores(), &ids, &today());
        if t.external_id_from_trust {
            notes.push(external_id_from_trust_note(
                t.registration.external_id.as_deref(),
            ));
        }
        let mut fixed = Vec::new();
        if let Some(b) = &baseline {
            let role = t.registration.role_arn.clone().unwrap_or_default();
            let key = t.registration.kms_arn.clone().unwrap_or_default();
            let before = |rule: &str| {
                b.iter()
                    .find(|(r, k, id, _)| *r == role && *k == key && id == rule)
                    .map(|(_, _, _, s)| s.as_str())
            };
            for f in findings.iter_mut() {
                let was_bad = before(f.rule.id).is_some_and(bad);
                if bad(f.status.as_str()) {
                    f.change = Some(if was_bad { "unchanged" } else { "new" });
                } else if was_bad {
                    fixed.push(f.rule.id.to_string());
                }
            }
        }
        let reads = t.reads();
        Ok(Some(Report {
            registration: t.registration,
            source: format!("AWS account {}", t.account),
            findings,
            fail_on,
            notes,
            fixed,
            assumed: Vec::new(),
            origins: Default::default(),
            reads: Some(reads),
        }))
    };

    let regions_for = |sdk: &aws_config::SdkConfig| -> Vec<String> {
        match a.regions.as_slice() {
            [] => sdk
                .region()
                .map(|r| vec![r.to_string()])
                .unwrap_or_else(|| vec!["us-east-1".into()]),
            [all] if all == "all" => ALL_REGIONS.iter().map(|s| s.to_string()).collect(),
            list => list.to_vec(),
        }
    };
    let scan_one = |p: Plan| {
        let (bases, org, org_cache, collected_at, external_id) =
            (&bases, &org, &org_cache, &collected_at, &external_id);
        async move {
            let mut sdk = bases[&p.profile].clone();
            if let Some(role) = &p.role_arn {
                sdk = crate::aws::accounts::assume(&sdk, role, "ekm-check-scan").await;
            }
            let opts = ScanOptions {
                regions: regions_for(&sdk),
                concurrency: a.concurrency,
                external_id: external_id.clone(),
                evidence,
            };
            let (targets, disc) =
                crate::aws::scan::scan(&sdk, &opts, collected_at, org, org_cache).await;
            (p, targets, disc)
        }
    };
    let entered_any = std::cell::Cell::new(plans.is_empty());
    let mut reports: Vec<Report> = Vec::new();
    let mut errors_seen = 0usize;
    rt.block_on(async {
        use futures_util::stream::StreamExt;
        let mut done = futures_util::stream::iter(plans)
            .map(scan_one)
            .buffer_unordered(a.concurrency);
        while let Some((p, targets, disc)) = done.next().await {
            let entered = disc.account.is_some();
            if entered {
                entered_any.set(true);
            }
            let mut entry = AccountEntry {
                id: disc.account.clone().or(p.id.clone()),
                name: p.name.clone(),
                status: match (entered, disc.errors.is_empty()) {
                    (false, _) => AccountStatus::Unreadable,
                    (true, true) => AccountStatus::Scanned,
                    (true, false) => AccountStatus::Incomplete,
                },
                via: p.via(),
                role_arn: p.role_arn.clone(),
                reason: None,
                errors: disc.errors.clone(),
                roles_examined: disc.roles_examined,
                ekm_roles: disc.ekm_roles,
                keys_examined: disc.keys_examined,
                targets: 0,
            };
            if !entered {
                if let Some(r) = &p.role_arn {
                    entry.errors = entry
                        .errors
                        .iter()
                        .map(|e| format!("could not enter the account as {r}: {e}"))
                        .collect();
                }
            }
            for t in targets {
                if let Some(r) = report_for(t)? {
                    entry.targets += 1;
                    summary.add_target(&r);
                    if let Some(s) = sink.as_mut() {
                        s.write(&crate::report::json::line(&r))?;
                    }
                    if keep {
                        reports.push(r);
                    }
                }
            }
            if entry.status.fails() {
                errors_seen += 1;
            }
            summary.add_account(&entry);
            if let Some(s) = sink.as_mut() {
                s.write(&crate::report::json::account_line(&entry))?;
            }
            if let Some(pb) = &progress {
                pb.inc(1);
                pb.set_message(format!(
                    "{} targets, {} errors",
                    summary.targets, errors_seen
                ));
            }
            if keep {
                accounts.push(entry);
            }
        }
        Ok::<_, Error>(())
    })?;
    if let Some(pb) = progress {
        pb.finish_and_clear();
    }
    let _ = err;
    if !a.organization && !entered_any.get() {
        let why = accounts
            .iter()
            .flat_map(|d| d.errors.iter().cloned())
            .collect::<Vec<_>>()
            .join("; ");
        return Err(Error::NoAccess(why));
    }
    if let Some(mut s) = sink {
        s.write(&crate::report::json::summary_line(&summary))?;
        if let Sink::File(f) = &mut s {
            f.flush()?;
        }
    }
    if keep {
        // The same input gives the same report, whichever account answered first.
        accounts.sort_by(|x, y| {
            (x.status == AccountStatus::Skipped, &x.id)
                .cmp(&(y.status == AccountStatus::Skipped, &y.id))
        });
        reports.sort_by(|x, y| {
            (&x.registration.role_arn, &x.registration.kms_arn)
                .cmp(&(&y.registration.role_arn, &y.registration.kms_arn))
        });
        write_reports(&reports, &a.output, &targets_out, Some(&accounts), out)?;
    }
    Ok(if summary.passes() {
        exit::OK
    } else {
        exit::FAIL
    })
}
