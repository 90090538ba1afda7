//! `scan --organization` on moto: an organization of four OUs (one nested) and 24 member
//! accounts, an ordinary role in every account, EKM roles in some (correct and broken), and one
//! account whose member role is refused (injected through the proxy: moto lets any role be
//! assumed). Each test starts its own moto (`own_moto`): moto keeps an organization across
//! resets.
//!
//! `organization_scan_figures` (ignored by default) measures the scan through a proxy that
//! delays every call: `cargo test --test org_scan -- --ignored --nocapture`.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_organizations::types::PolicyType;
use serde_json::{Value as J, json};
use support::*;

const MEMBER_ROLE: &str = "ekm-audit";

/// What each member account holds.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Holds {
    Nothing,
    /// A key and a correct EKM role.
    Correct,
    /// A trust policy that requires no ExternalId (EKM403).
    NoExternalId,
    /// A permissions policy on the key's alias (EKM304).
    AliasResource,
}

struct Org {
    root: String,
    ous: BTreeMap<&'static str, String>,
    /// Account id -> (OU name, what it holds).
    accounts: BTreeMap<String, (&'static str, Holds)>,
    /// The EKM role of each account that has one -> what it holds.
    ekm_roles: BTreeMap<String, Holds>,
}

/// Build what one member account holds, with its own credentials.
async fn populate(url: &str, account: &str, holds: Holds) -> Option<String> {
    let creds = member_creds(url, account).await;
    let cfg = sdk_as(url, &creds).await;
    let iam = aws_sdk_iam::Client::new(&cfg);
    iam.create_role()
        .role_name("app-server")
        .assume_role_policy_document(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    if holds == Holds::Nothing {
        return None;
    }
    let kms = aws_sdk_kms::Client::new(&cfg);
    let meta = kms.create_key().send().await.unwrap();
    let meta = meta.key_metadata().unwrap();
    let key = meta.arn().unwrap().to_string();
    assert!(key.contains(account), "moto switched accounts: {key}");
    kms.create_alias()
        .alias_name("alias/openai-ekm")
        .target_key_id(meta.key_id())
        .send()
        .await
        .unwrap();
    let trust_doc = match holds {
        Holds::NoExternalId => json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": OPENAI}, "Action": "sts:AssumeRole"}]})
        .to_string(),
        _ => trust(XID),
    };
    let role = iam
        .create_role()
        .role_name("openai-ekm")
        .assume_role_policy_document(trust_doc)
        .send()
        .await
        .unwrap()
        .role()
        .unwrap()
        .arn()
        .to_string();
    let resource = match holds {
        Holds::AliasResource => format!("arn:aws:kms:us-east-1:{account}:alias/openai-ekm"),
        _ => key,
    };
    iam.put_role_policy()
        .role_name("openai-ekm")
        .policy_name("kms")
        .policy_document(kms_policy(&resource))
        .send()
        .await
        .unwrap();
    Some(role)
}

/// The organization: Prod (8 accounts) with Prod-EU (6) under it, Dev (6), Sandbox (4).
async fn organization(url: &str) -> Org {
    let mgmt = sdk(url).await;
    let orgs = aws_sdk_organizations::Client::new(&mgmt);
    let (_, root) = create_organization(&orgs).await;
    let mut ous = BTreeMap::new();
    ous.insert("Prod", create_ou(&orgs, &root, "Prod").await);
    ous.insert("Prod-EU", create_ou(&orgs, &ous["Prod"], "Prod-EU").await);
    ous.insert("Dev", create_ou(&orgs, &root, "Dev").await);
    ous.insert("Sandbox", create_ou(&orgs, &root, "Sandbox").await);
    let layout: [(&str, usize, &[Holds]); 4] = [
        ("Prod", 8, &[Holds::Correct, Holds::NoExternalId]),
        ("Prod-EU", 6, &[Holds::Correct, Holds::AliasResource]),
        ("Dev", 6, &[Holds::Correct]),
        ("Sandbox", 4, &[Holds::Correct]),
    ];
    let mut accounts = BTreeMap::new();
    let mut ekm_roles = BTreeMap::new();
    for (name, n, holds) in layout {
        for i in 0..n {
            let id = create_member(
                &orgs,
                &format!("{}-{i}", name.to_lowercase()),
                &root,
                &ous[name],
            )
            .await;
            let h = holds.get(i).copied().unwrap_or(Holds::Nothing);
            if let Some(role) = populate(url, &id, h).await {
                ekm_roles.insert(role, h);
            }
            accounts.insert(id, (name, h));
        }
    }
    // An SCP at Prod, so that the levels below the root hold policies too.
    attach_new_policy(
        &orgs,
        "DenyLeaveOrg",
        PolicyType::ServiceControlPolicy,
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny",
            "Action": "organizations:LeaveOrganization", "Resource": "*"}]})
        .to_string(),
        &ous["Prod"],
    )
    .await;
    Org {
        root,
        ous,
        accounts,
        ekm_roles,
    }
}

/// The account whose member role the proxy refuses: Sandbox's first (it holds an EKM role, so
/// refusing it hides one: the report must say so).
fn refused(o: &Org) -> String {
    o.accounts
        .iter()
        .find(|(_, (ou, h))| *ou == "Sandbox" && *h == Holds::Correct)
        .map(|(id, _)| id.clone())
        .unwrap()
}

fn refusal(o: &Org) -> Fault {
    Fault::error("AssumeRole", "AccessDenied", 403)
        .when(&format!("{}:role/{MEMBER_ROLE}", refused(o)))
}

fn accounts_by_id(v: &J) -> BTreeMap<String, J> {
    v["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["id"].as_str().unwrap().to_string(), a.clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organization_scan_finds_every_ekm_role_and_names_the_account_it_could_not_enter() {
    let Some(m) = own_moto() else { return };
    let o = organization(&m.url).await;
    let p = proxy(&m.url, Duration::ZERO, vec![refusal(&o)]).await;
    let (code, out, err) = ekm(
        &p.url,
        &[
            "scan",
            "--organization",
            "--member-role",
            MEMBER_ROLE,
            "--regions",
            "us-east-1",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 1, "an unreadable account fails the scan: {err}");
    assert!(err.is_empty(), "off a terminal, no progress bar: {err}");
    let v: J = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));

    // Every EKM role of every readable account, with its verdict; no ordinary role.
    let mut found: BTreeMap<String, String> = BTreeMap::new();
    for t in v["targets"].as_array().unwrap() {
        let role = t["registration"]["role_arn"].as_str().unwrap().to_string();
        assert!(role.ends_with(":role/openai-ekm"), "{role}");
        found.insert(role, t["verdict"].as_str().unwrap().to_string());
    }
    let lost = refused(&o);
    for (role, holds) in &o.ekm_roles {
        if role.contains(&lost) {
            assert!(!found.contains_key(role), "{role} was not readable");
            continue;
        }
        let verdict = found
            .get(role)
            .unwrap_or_else(|| panic!("{role} not found: {found:#?}"));
        let want = if *holds == Holds::Correct {
            "ready"
        } else {
            "not-ready"
        };
        assert_eq!(verdict, want, "{role} ({holds:?})");
        let t = v["targets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["registration"]["role_arn"] == role.as_str())
            .unwrap();
        let failing = |rule: &str| {
            t["results"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["rule"] == rule && r["status"] == "fail")
        };
        match holds {
            Holds::NoExternalId => assert!(failing("EKM403"), "{t:#}"),
            Holds::AliasResource => assert!(failing("EKM304"), "{t:#}"),
            _ => {}
        }
    }
    assert_eq!(found.len(), o.ekm_roles.len() - 1);

    // Every account appears: the members and the management account.
    let accounts = accounts_by_id(&v);
    assert_eq!(accounts.len(), o.accounts.len() + 1, "{:#}", v["accounts"]);
    assert_eq!(accounts[ACCOUNT]["status"], "scanned");
    let bad = &accounts[&lost];
    assert_eq!(bad["status"], "unreadable", "{bad:#}");
    assert_eq!(bad["name"], "sandbox-0");
    let tried = format!("arn:aws:iam::{lost}:role/{MEMBER_ROLE}");
    assert_eq!(bad["role_arn"], tried.as_str());
    let why = bad["errors"].to_string();
    assert!(
        why.contains("AccessDenied") && why.contains(&tried),
        "{why}"
    );
    for (id, a) in &accounts {
        if *id != lost {
            assert_eq!(a["status"], "scanned", "{a:#}");
        }
    }
    let s = &v["summary"];
    assert_eq!(s["accounts"], 25);
    assert_eq!(s["scanned"], 24);
    assert_eq!(s["unreadable"], 1);
    assert_eq!(s["skipped"], 0);
    assert_eq!(s["targets"], found.len());

    // The organization's levels are read once and shared by every account below them.
    let seen = p.seen.lock().unwrap().clone();
    let for_target = |target: &str| {
        seen.iter()
            .filter(|c| {
                c.operation == "ListPoliciesForTarget"
                    && String::from_utf8_lossy(&c.request).contains(&format!("\"{target}\""))
            })
            .count()
    };
    assert_eq!(for_target(&o.root), 2, "the root: once per policy type");
    for (name, id) in &o.ous {
        assert_eq!(for_target(id), 2, "OU {name}: once per policy type");
    }
    let describe = seen
        .iter()
        .filter(|c| c.operation == "DescribePolicy")
        .count();
    assert!(describe <= 3, "each distinct policy once: {describe}");

    // Every call is one that `init --member-role-policy` (in the members) or
    // `--org-reader-policy` (the listing credentials) allows: the printed policies suffice.
    let policy_actions = |flag: &str| -> Vec<String> {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ekm-check"))
            .args(["init", flag])
            .output()
            .unwrap();
        let v: J = serde_json::from_slice(&out.stdout).unwrap();
        v["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| match &s["Action"] {
                J::Array(a) => a.iter().map(|x| x.as_str().unwrap().to_string()).collect(),
                x => vec![x.as_str().unwrap().to_string()],
            })
            .collect()
    };
    let member = policy_actions("--member-role-policy");
    let reader = policy_actions("--org-reader-policy");
    for c in &seen {
        let action = format!("{}:{}", c.service, c.operation);
        match c.service.as_str() {
            // AssumeRole is the scanner's own permission; GetCallerIdentity needs none.
            "sts" => assert!(
                ["AssumeRole", "GetCallerIdentity"].contains(&c.operation.as_str()),
                "{action}"
            ),
            "organizations" => assert!(
                member.contains(&action) || reader.contains(&action),
                "{action} is in neither printed policy"
            ),
            _ => assert!(
                member.contains(&action),
                "{action} is not in --member-role-policy"
            ),
        }
    }

    // The table names the refused account and the counts.
    let (code, table, _) = ekm(
        &p.url,
        &[
            "scan",
            "--organization",
            "--member-role",
            MEMBER_ROLE,
            "--regions",
            "us-east-1",
        ],
    );
    assert_eq!(code, 1);
    let flat = table.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains(&format!(
            "unreadable {lost} (sandbox-0) (role tried: {tried})"
        )),
        "{table}"
    );
    assert!(
        flat.contains("25 accounts: 24 scanned, 1 unreadable"),
        "{table}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_jsonl_and_merged_jobs_account_for_every_account() {
    let Some(m) = own_moto() else { return };
    let o = organization(&m.url).await;
    let p = proxy(&m.url, Duration::ZERO, vec![refusal(&o)]).await;
    let dir = std::env::temp_dir().join(unique("org-scan"));
    std::fs::create_dir_all(&dir).unwrap();
    let base = ["scan", "--organization", "--member-role", MEMBER_ROLE];

    // --ou Prod takes Prod-EU with it; everything else is skipped, with why.
    let prod = dir.join("prod.json");
    let mut args = base.to_vec();
    args.extend(["--ou", &o.ous["Prod"], "--format", "json"]);
    args.extend(["--output", prod.to_str().unwrap()]);
    let (code, _, err) = ekm(&p.url, &args);
    assert_eq!(code, 1, "Prod holds broken roles: {err}");
    let v: J = serde_json::from_str(&std::fs::read_to_string(&prod).unwrap()).unwrap();
    let accounts = accounts_by_id(&v);
    for (id, (ou, _)) in &o.accounts {
        let a = &accounts[id];
        if *ou == "Prod" || *ou == "Prod-EU" {
            assert_eq!(a["status"], "scanned", "{a:#}");
        } else {
            assert_eq!(a["status"], "skipped", "{a:#}");
            assert_eq!(
                a["reason"],
                format!("not under --ou {}", o.ous["Prod"]).as_str()
            );
        }
    }
    assert_eq!(v["summary"]["scanned"], 14);
    assert_eq!(
        v["summary"]["skipped"], 11,
        "the 10 others and the management account"
    );

    // The rest, as JSON Lines: one line per target and per account, then the summary.
    let rest = dir.join("rest.jsonl");
    let mut args = base.to_vec();
    for ou in ["Dev", "Sandbox"] {
        args.extend(["--ou", &o.ous[ou]]);
    }
    args.extend(["--format", "jsonl", "--output", rest.to_str().unwrap()]);
    let (code, _, err) = ekm(&p.url, &args);
    assert_eq!(code, 1, "Sandbox's refused account: {err}");
    let text = std::fs::read_to_string(&rest).unwrap();
    let lines: Vec<J> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let last = lines.last().unwrap();
    assert_eq!(last["format"], "ekm-check.scan-summary/v1");
    assert_eq!(last["passes"], false);
    assert_eq!(last["summary"]["unreadable"], 1);
    let kinds = |f: &str| lines.iter().filter(|l| l["format"] == f).count();
    assert_eq!(kinds("ekm-check.scan-account/v1"), o.accounts.len() + 1);
    assert_eq!(
        kinds("ekm-check.report/v1"),
        1,
        "Dev's: Sandbox's is in the refused account"
    );
    assert!(
        lines
            .iter()
            .any(|l| l["format"] == "ekm-check.scan-account/v1"
                && l["id"] == refused(&o).as_str()
                && l["status"] == "unreadable")
    );

    // A report is a baseline (JSON Lines too): the same scan finds nothing new.
    let prod_lines = dir.join("prod.jsonl");
    let mut args = base.to_vec();
    args.extend(["--ou", &o.ous["Prod"], "--format", "jsonl"]);
    args.extend(["--output", prod_lines.to_str().unwrap()]);
    ekm(&p.url, &args);
    let mut args = base.to_vec();
    args.extend(["--ou", &o.ous["Prod"]]);
    args.extend([
        "--baseline",
        prod_lines.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let (_, again, err) = ekm(&p.url, &args);
    let again: J = serde_json::from_str(&again).unwrap_or_else(|e| panic!("{e}: {err}"));
    let changes: Vec<&J> = again["targets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["results"].as_array().unwrap())
        .filter_map(|r| r.get("change"))
        .collect();
    assert!(!changes.is_empty(), "Prod's broken roles fail rules");
    assert!(
        changes.iter().all(|c| *c == "unchanged"),
        "against its own baseline nothing is new: {changes:?}"
    );

    // --account and --exclude-account.
    let (dev0, dev1) = {
        let mut d = o.accounts.iter().filter(|(_, (ou, _))| *ou == "Dev");
        (d.next().unwrap().0.clone(), d.next().unwrap().0.clone())
    };
    let mut args = base.to_vec();
    args.extend([
        "--account",
        &dev0,
        "--account",
        &dev1,
        "--exclude-account",
        &dev1,
    ]);
    args.extend(["--account", "999999999999", "--format", "json"]);
    let (code, out, _) = ekm(&p.url, &args);
    assert_eq!(code, 1, "999999999999 is no account of the organization");
    let v: J = serde_json::from_str(&out).unwrap();
    let a = accounts_by_id(&v);
    assert_eq!(a[&dev0]["status"], "scanned");
    assert_eq!(a[&dev1]["reason"], "excluded by --exclude-account");
    assert_eq!(a["999999999999"]["status"], "unreadable");
    assert_eq!(v["summary"]["scanned"], 1);

    // Throttling slows a scan down, never fails it: four throttled answers in a row (a check's
    // 4 attempts would end on the fourth) and the account is still scanned.
    let slow = proxy(
        &m.url,
        Duration::ZERO,
        vec![Fault::new(
            "GetAccountAuthorizationDetails",
            Action::Throttle { times: 4 },
        )],
    )
    .await;
    let mut args = base.to_vec();
    args.extend(["--account", &dev0, "--format", "json"]);
    let (code, out, err) = ekm(&slow.url, &args);
    let v: J = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
    assert_eq!(accounts_by_id(&v)[&dev0]["status"], "scanned", "{err}");
    assert_eq!(code, 0, "Dev's EKM role is correct: {err}");
    let throttled = slow
        .seen
        .lock()
        .unwrap()
        .iter()
        .filter(|c| c.operation == "GetAccountAuthorizationDetails")
        .count();
    assert!(throttled >= 5, "retried: {throttled}");

    // The two jobs merged equal one scan of the whole organization.
    let merged = std::process::Command::new(env!("CARGO_BIN_EXE_ekm-check"))
        .args([
            "merge-reports",
            prod.to_str().unwrap(),
            rest.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(
        merged.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
    let merged: J = serde_json::from_slice(&merged.stdout).unwrap();
    let (_, whole, _) = ekm(
        &p.url,
        &[
            "scan",
            "--organization",
            "--member-role",
            MEMBER_ROLE,
            "--format",
            "json",
        ],
    );
    let whole: J = serde_json::from_str(&whole).unwrap();
    let status = |v: &J| -> BTreeMap<String, String> {
        accounts_by_id(v)
            .into_iter()
            .map(|(k, a)| (k, a["status"].as_str().unwrap().to_string()))
            .collect()
    };
    let mut want = status(&whole);
    // Neither job scanned the management account (no --ou holds it).
    want.insert(ACCOUNT.into(), "skipped".into());
    assert_eq!(status(&merged), want);
    let verdicts = |v: &J| -> BTreeMap<String, String> {
        v["targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["registration"]["role_arn"].as_str().unwrap().to_string(),
                    t["verdict"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(verdicts(&merged), verdicts(&whole));
    assert_eq!(merged["summary"]["unreadable"], 1);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The figures for the README: wall time against the sum of every call's latency, and the
/// calls per account, through a proxy that delays each call by 50 ms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measures; run with --ignored --nocapture"]
async fn organization_scan_figures() {
    let Some(m) = own_moto() else { return };
    let o = organization(&m.url).await;
    for concurrency in ["1", "8"] {
        let delay = Duration::from_millis(50);
        let p = proxy(&m.url, delay, vec![]).await;
        let start = std::time::Instant::now();
        let (code, _, err) = ekm(
            &p.url,
            &[
                "scan",
                "--organization",
                "--member-role",
                MEMBER_ROLE,
                "--regions",
                "us-east-1",
                "--concurrency",
                concurrency,
                "--format",
                "json",
            ],
        );
        let wall = start.elapsed();
        assert_eq!(code, 1, "{err}");
        let seen = p.seen.lock().unwrap().clone();
        let sum: Duration = seen
            .iter()
            .filter_map(|c| c.answered.map(|a| a - c.received))
            .sum();
        let accounts = o.accounts.len() + 1;
        println!(
            "--concurrency {concurrency}: {accounts} accounts, {} calls ({:.1} per account), \
             wall {:.2} s, sum of call latencies {:.2} s, ratio {:.1}x",
            seen.len(),
            seen.len() as f64 / accounts as f64,
            wall.as_secs_f64(),
            sum.as_secs_f64(),
            sum.as_secs_f64() / wall.as_secs_f64()
        );
    }
}
