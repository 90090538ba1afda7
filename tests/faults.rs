//! AWS faults, through a loopback proxy in front of moto: throttling, access denied, 5xx, slow
//! responses, truncated bodies, dropped connections. Throttling is retried and the verdict stays
//! right; a denied read makes exactly the rules that need it `unknown` and names the permission;
//! 5xx and timeouts end in bounded time with `unknown`, never `pass`; nothing hangs or panics.
//! Then the read-only guarantee: every operation each command sends, and no credentials or
//! plaintext in any output.

mod support;

use std::time::{Duration, Instant};

use serde_json::Value as J;
use support::*;

fn assert_no_panic(v: &J) {
    assert!(!v.to_string().contains("panicked"), "{v:#}");
}

fn run(url: &str, s: &Setup, extra: &[&str]) -> (i32, J, Duration) {
    let t = Instant::now();
    let (code, v) = check(url, &s.key, &s.role, extra);
    let took = t.elapsed();
    assert_no_panic(&v);
    (code, v, took)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_is_retried_and_the_verdict_stays_right() {
    let Some(m) = moto() else { return };
    let s = setup(&m, aws_sdk_kms::types::KeySpec::SymmetricDefault, false).await;
    let p = proxy(
        &m,
        Duration::ZERO,
        vec![
            Fault::new("GetRole", Action::Throttle { times: 2 }),
            Fault::new("GetKeyPolicy", Action::Throttle { times: 2 }),
            Fault::new("ListAttachedRolePolicies", Action::Throttle { times: 1 }),
        ],
    )
    .await;
    let (code, v, _) = run(&p.url, &s, &[]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["verdict"], "ready");
    let seen = p.seen.lock().unwrap().clone();
    let n = |op: &str| seen.iter().filter(|c| c.operation == op).count();
    assert_eq!(n("GetRole"), 3, "two throttled attempts, then the answer");
    assert_eq!(n("GetKeyPolicy"), 3);
    assert_eq!(n("ListAttachedRolePolicies"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_read_makes_exactly_its_rules_unknown() {
    let Some(m) = moto() else { return };
    let s = setup(&m, aws_sdk_kms::types::KeySpec::SymmetricDefault, false).await;
    // (operation, error code, the permission named, rules that must be unknown, rules that stay pass)
    type Case<'a> = (&'a str, &'a str, &'a str, &'a [&'a str], &'a [&'a str]);
    let table: &[Case<'_>] = &[
        (
            "DescribeKey",
            "AccessDeniedException",
            "kms:DescribeKey",
            &["EKM102", "EKM103", "EKM104", "EKM105"],
            &["EKM401", "EKM403"],
        ),
        (
            "GetKeyPolicy",
            "AccessDeniedException",
            "kms:GetKeyPolicy",
            &["EKM201", "EKM202", "EKM203", "EKM204", "EKM302", "EKM303"],
            &["EKM102", "EKM401"],
        ),
        (
            "GetKeyRotationStatus",
            "AccessDeniedException",
            "kms:GetKeyRotationStatus",
            &["EKM106"],
            &["EKM102", "EKM302", "EKM401"],
        ),
        (
            "GetRole",
            "AccessDenied",
            "iam:GetRole",
            &["EKM401", "EKM403", "EKM407"],
            &["EKM102", "EKM201"],
        ),
        (
            "ListRolePolicies",
            "AccessDenied",
            "iam:ListRolePolicies",
            &["EKM302", "EKM303"],
            &["EKM102", "EKM401"],
        ),
        (
            "ListAttachedRolePolicies",
            "AccessDenied",
            "iam:ListAttachedRolePolicies",
            &["EKM302", "EKM303"],
            &["EKM102", "EKM401"],
        ),
        (
            "GetPolicyVersion",
            "AccessDenied",
            "iam:GetPolicyVersion",
            &["EKM302", "EKM303"],
            &["EKM102", "EKM401"],
        ),
    ];
    for (op, code, perm, unknown, pass) in table {
        let p = proxy(&m, Duration::ZERO, vec![Fault::error(op, code, 400)]).await;
        let (exit, v, _) = run(&p.url, &s, &[]);
        for r in *unknown {
            assert_eq!(
                status(&v, r),
                "unknown",
                "{op} denied: {r}: {}",
                message(&v, r)
            );
        }
        for r in *pass {
            assert_eq!(
                status(&v, r),
                "pass",
                "{op} denied: {r} does not need it: {}",
                message(&v, r)
            );
        }
        let named = v["results"].as_array().unwrap().iter().any(|r| {
            r["status"] == "unknown" && r["message"].as_str().unwrap_or_default().contains(perm)
        });
        assert!(named, "{op} denied: no unknown rule names {perm}: {v:#}");
        let gating = unknown.iter().any(|r| {
            v["results"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["rule"] == *r && x["severity"] == "error")
        });
        assert_eq!(exit, if gating { 1 } else { 0 }, "{op} denied");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_slow_answers_truncated_bodies_and_dropped_connections_end_in_bounded_time() {
    let Some(m) = moto() else { return };
    let s = setup(&m, aws_sdk_kms::types::KeySpec::SymmetricDefault, false).await;
    let limits = [
        "--max-attempts",
        "2",
        "--read-timeout",
        "1",
        "--connect-timeout",
        "1",
    ];
    let cases: Vec<(Fault, &[&str])> = vec![
        (
            Fault::error("GetKeyPolicy", "InternalFailure", 500),
            &["EKM201", "EKM302"],
        ),
        (
            Fault::error("GetRole", "ServiceUnavailable", 503),
            &["EKM401", "EKM301"],
        ),
        (
            Fault::new("GetKeyPolicy", Action::Slow(Duration::from_secs(5))),
            &["EKM201", "EKM302"],
        ),
        (Fault::new("GetRole", Action::Truncate), &["EKM401"]),
        (Fault::new("ListRolePolicies", Action::Drop), &["EKM302"]),
        (Fault::new("DescribeKey", Action::Drop), &["EKM102"]),
    ];
    for (fault, unknown) in cases {
        let label = format!("{} {:?}", fault.operation, fault.action);
        let p = proxy(&m, Duration::ZERO, vec![fault]).await;
        let (exit, v, took) = run(&p.url, &s, &limits);
        assert!(took < Duration::from_secs(12), "{label}: took {took:?}");
        assert_eq!(exit, 1, "{label}: {v:#}");
        for r in unknown {
            assert_eq!(status(&v, r), "unknown", "{label}: {r}: {}", message(&v, r));
        }
        eprintln!("{label}: {took:?}");
    }
}

/// Everything a tag holds in an XML body (`<AccessKeyId>…</AccessKeyId>`).
fn xml_values(body: &[u8], tag: &str) -> Vec<String> {
    let text = String::from_utf8_lossy(body);
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    text.split(&open)
        .skip(1)
        .filter_map(|s| s.split(&close).next().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_only_read_and_never_print_credentials_or_plaintext() {
    let Some(m) = moto() else { return };
    let s = setup(&m, aws_sdk_kms::types::KeySpec::SymmetricDefault, false).await;
    let reads =
        |op: &str| op.starts_with("Describe") || op.starts_with("Get") || op.starts_with("List");
    let dir = std::env::temp_dir().join(unique("readonly"));
    std::fs::create_dir_all(&dir).unwrap();
    let files: Vec<String> = ["r.json", "r.sarif", "r.xml"]
        .iter()
        .map(|f| dir.join(f).to_str().unwrap().to_string())
        .collect();
    let commands: Vec<(&str, Vec<String>)> = vec![
        (
            "check",
            vec![
                "check".into(),
                "--kms-arn".into(),
                s.key.clone(),
                "--role-arn".into(),
                s.role.clone(),
                "--external-id".into(),
                XID.into(),
            ],
        ),
        (
            "snapshot",
            vec![
                "snapshot".into(),
                "--kms-arn".into(),
                s.key.clone(),
                "--role-arn".into(),
                s.role.clone(),
                "--external-id".into(),
                XID.into(),
            ],
        ),
        (
            "scan",
            vec![
                "scan".into(),
                "--region".into(),
                "us-east-1".into(),
                "--regions".into(),
                "us-east-1".into(),
            ],
        ),
        (
            "check --live",
            vec![
                "check".into(),
                "--live".into(),
                "--kms-arn".into(),
                s.key.clone(),
                "--role-arn".into(),
                s.role.clone(),
                "--external-id".into(),
                XID.into(),
                "--format".into(),
                "json".into(),
                "--output".into(),
                files[0].clone(),
                "--format".into(),
                "sarif".into(),
                "--output".into(),
                files[1].clone(),
                "--format".into(),
                "junit".into(),
                "--output".into(),
                files[2].clone(),
                "--format".into(),
                "table".into(),
            ],
        ),
    ];
    for (name, args) in commands {
        let p = proxy(&m, Duration::ZERO, vec![]).await;
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let (_, stdout, stderr) = ekm(&p.url, &argv);
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        let seen = p.seen.lock().unwrap().clone();
        let ops: Vec<&str> = seen.iter().map(|c| c.operation.as_str()).collect();
        assert!(ops.len() >= 3, "{name} read nothing: {stderr}");
        let live = name.contains("--live");
        for op in &ops {
            assert!(
                reads(op) || (live && ["AssumeRole", "Encrypt", "Decrypt"].contains(op)),
                "{name} sent {op}"
            );
        }
        eprintln!("{name}: {ops:?}");
        if name != "scan" {
            // The organization part and the tags perimeter conditions test (Describe/List
            // calls too; the organization walk itself is proven read-only in tests/org.rs).
            for op in ["DescribeOrganization", "ListResourceTags"] {
                assert!(ops.contains(&op), "{name} did not send {op}: {ops:?}");
            }
        }
        if live {
            // The secrets of the round trip: the session's credentials and the plaintext.
            let mut secrets: Vec<String> = Vec::new();
            for c in seen.iter().filter(|c| c.operation == "AssumeRole") {
                for tag in ["AccessKeyId", "SecretAccessKey", "SessionToken"] {
                    secrets.extend(xml_values(&c.response, tag));
                }
            }
            for c in seen
                .iter()
                .filter(|c| c.operation == "Encrypt" || c.operation == "Decrypt")
            {
                let body: J = serde_json::from_slice(if c.operation == "Encrypt" {
                    &c.request
                } else {
                    &c.response
                })
                .unwrap_or(J::Null);
                if let Some(p) = body["Plaintext"].as_str() {
                    secrets.push(p.to_string());
                }
            }
            assert!(
                secrets.len() >= 5,
                "the proxy saw the credentials and the plaintext: {secrets:?}"
            );
            let mut everything = stdout.clone() + &stderr;
            for f in &files {
                everything.push_str(&std::fs::read_to_string(f).unwrap());
            }
            for s in &secrets {
                assert!(
                    !s.is_empty() && !everything.contains(s.as_str()),
                    "{name} printed a secret ({} chars)",
                    s.len()
                );
            }
        }
    }
}
