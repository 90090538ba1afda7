//! `scan`: every role that trusts OpenAI, every key it uses, across accounts; one report each.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;
use serde_json::Value as J;

use super::check::{OutputArgs, now_utc, today, write_reports};
use super::exit;
use crate::aws::scan::{ALL_REGIONS, Discovery, ScanOptions, Target};
use crate::config;
use crate::error::{Error, Result};
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

Exit codes: 0 every target ready, 1 a target not ready or an account could not be read, \
2 usage error or no AWS access at all.")]
pub struct ScanArgs {
    /// An AWS profile to scan (repeatable: one account each) [default: the default chain]
    #[arg(long, value_name = "NAME")]
    pub profile: Vec<String>,
    /// A read-only role to assume in each account to scan (repeatable)
    #[arg(long, value_name = "ARN")]
    pub assume_role: Vec<String>,
    /// Regions whose keys are listed for wildcard resources: comma-separated, or `all`
    /// [default: the profile's region]
    #[arg(long, value_delimiter = ',', value_name = "REGION,…")]
    pub regions: Vec<String>,
    /// AWS reads in flight at once (per account)
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
    /// A previous scan's JSON report: findings are marked new or unchanged, and fixed ones listed
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// The region for IAM and STS calls [default: the profile's]
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Read the organization's SCPs and RCPs with this profile: the management account's or a
    /// delegated administrator's [default: each scanned account's own credentials]
    #[arg(long, value_name = "NAME", conflicts_with = "org_role_arn")]
    pub org_profile: Option<String>,
    /// Read the organization's SCPs and RCPs by assuming this role (in the management account or
    /// a delegated administrator) with the scanned account's credentials
    #[arg(long, value_name = "ARN")]
    pub org_role_arn: Option<String>,
    #[command(flatten)]
    pub conn: super::check::ConnArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// A baseline: (role, key, rule) -> status.
fn load_baseline(path: &std::path::Path) -> Result<Vec<(String, String, String, String)>> {
    let node = crate::input::read_json(path)?;
    let v = node.to_serde();
    let reports: Vec<&J> = match v["format"].as_str() {
        Some("ekm-check.scan/v1") => v["targets"]
            .as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default(),
        Some("ekm-check.report/v1") => vec![&v],
        _ => {
            return Err(Error::Input {
                path: path.display().to_string(),
                message: "a baseline is a previous `--format json` report (ekm-check.scan/v1)"
                    .into(),
            });
        }
    };
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

pub fn run(a: &ScanArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8> {
    let (cfg, _) = config::load(a.output.config.as_deref())?;
    let levels = a.output.levels(&cfg)?;
    let targets_out = a.output.targets()?;
    if a.concurrency == 0 || a.concurrency > 64 {
        return Err(Error::Usage(
            "--concurrency must be between 1 and 64".into(),
        ));
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
    let profiles: Vec<Option<String>> = if a.profile.is_empty() {
        vec![None]
    } else {
        a.profile.iter().cloned().map(Some).collect()
    };
    let roles: Vec<Option<String>> = if a.assume_role.is_empty() {
        vec![None]
    } else {
        a.assume_role.iter().cloned().map(Some).collect()
    };
    // A spinner on stderr when it is a terminal; quiet otherwise.
    let progress = if std::io::stderr().is_terminal() {
        let pb = indicatif::ProgressBar::new_spinner();
        pb.enable_steady_tick(std::time::Duration::from_millis(120));
        Some(pb)
    } else {
        None
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Write)?;
    let collected_at = now_utc();
    let org = rt.block_on(super::check::org_creds(
        &a.conn,
        a.org_profile.as_deref(),
        a.org_role_arn.as_deref(),
    ))?;
    // Policies read once for the whole scan, whichever account's target they apply to.
    let org_cache = crate::aws::org::OrgCache::default();
    let mut all: Vec<(Target, Discovery)> = Vec::new();
    let mut discoveries: Vec<Discovery> = Vec::new();
    for profile in &profiles {
        for assume in &roles {
            if let Some(pb) = &progress {
                pb.set_message(format!(
                    "scanning {}{}: roles, policies, keys…",
                    profile
                        .as_deref()
                        .map(|p| format!("profile {p}"))
                        .unwrap_or_else(|| "the default account".into()),
                    assume
                        .as_deref()
                        .map(|r| format!(" as {r}"))
                        .unwrap_or_default()
                ));
            }
            let (targets, disc) = rt.block_on(async {
                let opts = opts_for(profile);
                // IAM is global: without a configured region, read it through us-east-1.
                let mut sdk = crate::aws::sdk_config(&opts, None).await;
                if sdk.region().is_none_or(|r| r.as_ref().is_empty()) {
                    sdk = crate::aws::sdk_config(&opts, Some("us-east-1")).await;
                }
                if let Some(role) = assume {
                    let provider = aws_config::sts::AssumeRoleProvider::builder(role)
                        .session_name("ekm-check-scan")
                        .configure(&sdk)
                        .build()
                        .await;
                    sdk = sdk
                        .to_builder()
                        .credentials_provider(
                            aws_credential_types::provider::SharedCredentialsProvider::new(
                                provider,
                            ),
                        )
                        .build();
                }
                let regions: Vec<String> = match a.regions.as_slice() {
                    [] => sdk
                        .region()
                        .map(|r| vec![r.to_string()])
                        .unwrap_or_else(|| vec!["us-east-1".into()]),
                    [all] if all == "all" => ALL_REGIONS.iter().map(|s| s.to_string()).collect(),
                    list => list.to_vec(),
                };
                let opts = ScanOptions {
                    regions,
                    concurrency: a.concurrency,
                    external_id: external_id.clone(),
                };
                crate::aws::scan::scan(&sdk, &opts, &collected_at, &org, &org_cache).await
            });
            for t in targets {
                all.push((t, disc.clone()));
            }
            discoveries.push(disc);
        }
    }
    if let Some(pb) = progress {
        pb.finish_and_clear();
    }
    let _ = err;
    if discoveries.iter().all(|d| d.account.is_none()) {
        let why = discoveries
            .iter()
            .flat_map(|d| d.errors.iter().cloned())
            .collect::<Vec<_>>()
            .join("; ");
        return Err(Error::NoAccess(why));
    }
    let fail_on = a
        .output
        .fail_on
        .or(cfg.check.fail_on)
        .unwrap_or(FailOn::Error);
    let mut reports = Vec::new();
    for (t, _) in all {
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
            continue;
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
            notes.push(match &t.registration.external_id {
                Some(x) => format!(
                    "no --external-id given: checked against the trust policy's own ExternalId {x}"
                ),
                None => "no --external-id given, and the trust policy requires none".to_string(),
            });
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
        reports.push(Report {
            registration: t.registration,
            source: format!("AWS account {}", t.account),
            findings,
            fail_on,
            notes,
            fixed,
            assumed: Vec::new(),
            origins: Default::default(),
            reads: Some(reads),
        });
    }
    let disc_json = serde_json::to_value(&discoveries).unwrap_or(J::Null);
    write_reports(&reports, &a.output, &targets_out, &disc_json, out)?;
    let errors = discoveries.iter().any(|d| !d.errors.is_empty());
    Ok(if reports.iter().all(Report::passes) && !errors {
        exit::OK
    } else {
        exit::FAIL
    })
}
