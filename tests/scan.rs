//! `ekm-check scan` against moto: an account with many roles, a few dozen of them trusting
//! OpenAI with various breakages, and keys of several kinds. Every EKM role must be found, no other
//! role reported, and each target get the right verdict; AWS calls stay within the budget.
//!
//! This file resets the emulator first (it needs an account with nothing else in it); cargo runs
//! test files one after another, and the scenario is one test, so nothing else is using it.
//! Scale with EKM_SCAN_ROLES / EKM_SCAN_EKM_ROLES / EKM_SCAN_EXTRA_KEYS (defaults 300 / 20 / 4);
//! the note's figures used 1000 / 40 / 20 (60 keys in the region).

mod support;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value as J, json};
use support::{ACCOUNT, moto, proxy, sdk};

const OPENAI: &str = "arn:aws:iam::790389265272:role/EnterpriseKeyManagement";
const XID: &str = "org-AbCdEf0123456789GhIjKlMn";

fn env_num(k: &str, d: usize) -> usize {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Ready,
    NoExternalId,
    AliasInResource,
    Asymmetric,
    Wildcard,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_finds_every_ekm_role_and_only_those() {
    let Some(m) = moto() else { return };
    let http = reqwest_free_reset(&m);
    assert!(http, "could not reset moto");
    let cfg = sdk(&m).await;
    let iam = aws_sdk_iam::Client::new(&cfg);
    let kms = aws_sdk_kms::Client::new(&cfg);
    let n_roles = env_num("EKM_SCAN_ROLES", 300);
    let n_ekm = env_num("EKM_SCAN_EKM_ROLES", 20);
    // Keys no role names (the wildcard roles can still reach them).
    for _ in 0..env_num("EKM_SCAN_EXTRA_KEYS", 4) {
        kms.create_key().send().await.unwrap();
    }

    // Roles that have nothing to do with OpenAI.
    let other = |i: usize| {
        let trust = if i % 2 == 0 {
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
        } else {
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": "partner-123"}}}]})
        };
        (format!("app-{i}"), trust)
    };
    for chunk in (0..n_roles.saturating_sub(n_ekm))
        .collect::<Vec<_>>()
        .chunks(25)
    {
        futures_util::future::join_all(chunk.iter().map(|&i| {
            let iam = iam.clone();
            async move {
                let (name, trust) = other(i);
                iam.create_role()
                    .role_name(name)
                    .assume_role_policy_document(trust.to_string())
                    .send()
                    .await
                    .unwrap();
            }
        }))
        .await;
    }

    // EKM roles, each with its own key (and the wildcard ones with none named).
    let mut expect: BTreeMap<String, Kind> = BTreeMap::new();
    for i in 0..n_ekm {
        let kind = match i % 10 {
            0 | 5 => Kind::NoExternalId,
            1 | 6 => Kind::AliasInResource,
            2 => Kind::Asymmetric,
            3 if i < 10 => Kind::Wildcard,
            _ => Kind::Ready,
        };
        let (spec, usage) = if kind == Kind::Asymmetric {
            (
                aws_sdk_kms::types::KeySpec::Rsa2048,
                aws_sdk_kms::types::KeyUsageType::SignVerify,
            )
        } else {
            (
                aws_sdk_kms::types::KeySpec::SymmetricDefault,
                aws_sdk_kms::types::KeyUsageType::EncryptDecrypt,
            )
        };
        let key = kms
            .create_key()
            .key_spec(spec)
            .key_usage(usage)
            .send()
            .await
            .unwrap();
        let meta = key.key_metadata().unwrap();
        let alias = format!("alias/ekm-{i}");
        kms.create_alias()
            .alias_name(&alias)
            .target_key_id(meta.key_id())
            .send()
            .await
            .unwrap();
        let resource = match kind {
            Kind::AliasInResource => format!("arn:aws:kms:us-east-1:{ACCOUNT}:{alias}"),
            Kind::Wildcard => format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/*"),
            _ => meta.arn().unwrap().to_string(),
        };
        let mut stmt = json!({"Effect": "Allow", "Principal": {"AWS": OPENAI}, "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": XID}}});
        if kind == Kind::NoExternalId {
            stmt.as_object_mut().unwrap().remove("Condition");
        }
        let name = format!("openai-ekm-{i}");
        let role = iam
            .create_role()
            .role_name(&name)
            .assume_role_policy_document(
                json!({"Version": "2012-10-17", "Statement": [stmt]}).to_string(),
            )
            .send()
            .await
            .unwrap();
        let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": resource}]});
        if i % 2 == 0 {
            iam.put_role_policy()
                .role_name(&name)
                .policy_name("kms")
                .policy_document(policy.to_string())
                .send()
                .await
                .unwrap();
        } else {
            let p = iam
                .create_policy()
                .policy_name(format!("kms-{i}"))
                .policy_document(policy.to_string())
                .send()
                .await
                .unwrap();
            iam.attach_role_policy()
                .role_name(&name)
                .policy_arn(p.policy().unwrap().arn().unwrap())
                .send()
                .await
                .unwrap();
        }
        expect.insert(role.role().unwrap().arn().to_string(), kind);
    }

    let p = proxy(&m, Duration::ZERO, vec![]).await;
    let t = Instant::now();
    // Two accounts: the emulator's own, and (through --assume-role) another, empty one.
    let own = format!("arn:aws:iam::{ACCOUNT}:role/ekm-check-readonly");
    let other_account = "arn:aws:iam::210987654321:role/ekm-check-readonly";
    let out = Command::new(env!("CARGO_BIN_EXE_ekm-check"))
        .args([
            "scan",
            "--endpoint-url",
            &p.url,
            "--regions",
            "us-east-1",
            "--external-id",
            XID,
            "--format",
            "json",
        ])
        .args(["--assume-role", &own, "--assume-role", other_account])
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .unwrap();
    let wall = t.elapsed();
    let v: J = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(v["format"], "ekm-check.scan/v1");
    assert_eq!(
        out.status.code(),
        Some(1),
        "some targets are broken on purpose"
    );
    let d = &v["discovery"][0];
    assert_eq!(
        v["discovery"][1]["account"], "210987654321",
        "the second account was scanned: {:#}",
        v["discovery"]
    );
    assert_eq!(v["discovery"][1]["ekm_roles"], 0);
    assert_eq!(d["roles_examined"], n_roles);
    assert_eq!(d["ekm_roles"], n_ekm);
    assert!(d["errors"].as_array().unwrap().is_empty(), "{d}");

    let targets = v["targets"].as_array().unwrap();
    let mut found: BTreeMap<String, Vec<&J>> = BTreeMap::new();
    for t in targets {
        found
            .entry(t["registration"]["role_arn"].as_str().unwrap().to_string())
            .or_default()
            .push(t);
    }
    let found_roles: Vec<&String> = found.keys().collect();
    let expected_roles: Vec<&String> = expect.keys().collect();
    assert_eq!(
        found_roles, expected_roles,
        "exactly the EKM roles are reported"
    );
    // Each target says what was read for it: the organization part (moto's account is in none)
    // and the reads that failed (none here).
    for t in targets {
        assert_eq!(
            t["organization"],
            json!({"read": true, "in_organization": false}),
            "{t:#}"
        );
        assert_eq!(t["read_errors"], json!({}), "{t:#}");
    }
    let status = |t: &J, rule: &str| -> String {
        t["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == rule)
            .unwrap()["status"]
            .as_str()
            .unwrap()
            .to_string()
    };
    for (role, kind) in &expect {
        let ts = &found[role];
        match kind {
            Kind::Wildcard => {
                // Every symmetric key whose key policy delegates to the account: the role can use them all.
                assert!(
                    ts.len() > 1,
                    "{role}: a wildcard resource reaches several keys"
                );
                assert!(
                    ts.iter().all(|t| status(t, "EKM305") == "fail"),
                    "{role}: EKM305 flags key/*"
                );
            }
            _ => assert_eq!(ts.len(), 1, "{role}: one key"),
        }
        let t = ts[0];
        match kind {
            Kind::Ready => assert_eq!(t["verdict"], "ready", "{role}: {t:#}"),
            Kind::NoExternalId => assert_eq!(status(t, "EKM403"), "fail", "{role}"),
            Kind::AliasInResource => assert_eq!(status(t, "EKM304"), "fail", "{role}"),
            Kind::Asymmetric => assert_eq!(status(t, "EKM102"), "fail", "{role}"),
            Kind::Wildcard => {}
        }
    }
    // Calls: at most 8 per target plus the pages of the role and policy listings.
    let seen = p.seen.lock().unwrap().clone();
    let mut ops: BTreeMap<String, usize> = BTreeMap::new();
    for c in &seen {
        *ops.entry(c.operation.clone()).or_default() += 1;
        let op = c.operation.as_str();
        // Reads only, and AssumeRole into the read-only role of each account (--assume-role).
        assert!(
            op.starts_with("Describe")
                || op.starts_with("Get")
                || op.starts_with("List")
                || op == "AssumeRole",
            "scan sent {op}"
        );
    }
    let per_account = ops.get("AssumeRole").copied().unwrap_or(0)
        + ops.get("GetCallerIdentity").copied().unwrap_or(0);
    let pages = per_account
        + ops
            .get("GetAccountAuthorizationDetails")
            .copied()
            .unwrap_or(0)
        + ops.get("ListKeys").copied().unwrap_or(0);
    assert!(
        seen.len() <= 8 * targets.len() + pages + 1,
        "{} calls for {} targets: {ops:?}",
        seen.len(),
        targets.len()
    );
    eprintln!(
        "scan: {n_roles} roles, {n_ekm} EKM roles, {} keys examined, {} targets: {} AWS calls ({ops:?}), {wall:?}",
        d["keys_examined"],
        targets.len(),
        seen.len()
    );
}

/// POST /moto-api/reset without an HTTP client crate.
fn reqwest_free_reset(url: &str) -> bool {
    use std::io::{Read, Write};
    let addr = url.trim_start_matches("http://");
    let Ok(mut s) = std::net::TcpStream::connect(addr) else {
        return false;
    };
    let req = format!(
        "POST /moto-api/reset HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut buf = String::new();
    let _ = s.read_to_string(&mut buf);
    buf.starts_with("HTTP/1.1 200") || buf.starts_with("HTTP/1.0 200")
}
