//! Against a real AWS API surface: moto server, started by `scripts/test-all` on loopback.
//!
//! Setups are built through the AWS API (keys of several specs, aliases, roles, inline and
//! attached policies, boundaries); the CLI reads them as it would a customer's account.
//! moto's gaps (shared facts page): AssumeRole does not check the trust policy or the
//! ExternalId, Encrypt/Decrypt work on disabled keys, DescribeKey may omit KeyUsage. Those paths
//! are tested on snapshots (fixtures/) and with the fault-injecting proxy here, never claimed here.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value as J, json};
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_correct_setup_is_ready_and_its_snapshot_reproduces_the_check() {
    let Some(m) = moto() else { return };
    let s = setup(&m, aws_sdk_kms::types::KeySpec::SymmetricDefault, false).await;
    let (code, v) = check(&m, &s.key, &s.role, &[]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["verdict"], "ready");
    for r in [
        "EKM101", "EKM102", "EKM201", "EKM302", "EKM303", "EKM401", "EKM403", "EKM404",
    ] {
        assert_eq!(status(&v, r), "pass", "{r}: {}", message(&v, r));
    }
    assert!(v["source"].as_str().unwrap().contains(ACCOUNT));
    // snapshot, then check it offline: the same results.
    let dir = std::env::temp_dir().join(unique("snap"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("snapshot.json");
    let (code, _, err) = ekm(
        &m,
        &[
            "snapshot",
            "--kms-arn",
            &s.key,
            "--role-arn",
            &s.role,
            "--external-id",
            XID,
            "--output",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let snap: J = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(snap["format"], "ekm-check.snapshot/v1");
    assert_eq!(snap["role"]["Arn"], s.role.as_str());
    assert!(
        snap["role"]["trust_policy"].is_object(),
        "IAM documents are decoded: {snap:#}"
    );
    assert!(snap.get("errors").is_none(), "{snap:#}");
    // moto's default account is in no organization (organization scenarios run on their own
    // moto servers, tests/org.rs): nothing else is needed.
    assert_eq!(snap["organization"], json!({"in_organization": false}));
    assert_eq!(snap["role"]["Tags"], json!([]));
    assert_eq!(snap["key"]["tags"], json!([]));
    let out = Command::new(env!("CARGO_BIN_EXE_ekm-check"))
        .args([
            "check",
            "--snapshot",
            file.to_str().unwrap(),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let offline: J = serde_json::from_slice(&out.stdout).unwrap();
    let strip = |v: &J| -> Vec<(J, J, J)> {
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["rule"].clone(), r["status"].clone(), r["message"].clone()))
            .collect()
    };
    assert_eq!(
        strip(&offline),
        strip(&v),
        "the snapshot reproduces the live result"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alias_in_the_policy_resource_grants_nothing() {
    let Some(m) = moto() else { return };
    let s = setup(&m, aws_sdk_kms::types::KeySpec::SymmetricDefault, true).await;
    // Registered as the alias, as OpenAI allows: DescribeKey resolves it to the key.
    let (code, v) = check(&m, &s.alias, &s.role, &[]);
    assert_eq!(code, 1);
    assert_eq!(status(&v, "EKM304"), "fail", "{}", message(&v, "EKM304"));
    assert_eq!(status(&v, "EKM302"), "fail");
    assert_eq!(status(&v, "EKM303"), "fail");
    assert_eq!(status(&v, "EKM101"), "pass");
    assert!(
        message(&v, "EKM302").contains(&s.key),
        "the request is on the key the alias names"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_asymmetric_key_fails() {
    let Some(m) = moto() else { return };
    let s = setup(&m, aws_sdk_kms::types::KeySpec::Rsa2048, false).await;
    let (code, v) = check(&m, &s.key, &s.role, &[]);
    assert_eq!(code, 1);
    assert_eq!(status(&v, "EKM102"), "fail", "{}", message(&v, "EKM102"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_and_pending_deletion_keys_fail() {
    let Some(m) = moto() else { return };
    let cfg = sdk(&m).await;
    let kms = aws_sdk_kms::Client::new(&cfg);
    let s = setup(&m, aws_sdk_kms::types::KeySpec::SymmetricDefault, false).await;
    // (moto's DisableKey and ScheduleKeyDeletion take the key id, not the ARN.)
    let id = |arn: &str| arn.rsplit('/').next().unwrap().to_string();
    kms.disable_key().key_id(id(&s.key)).send().await.unwrap();
    let (code, v) = check(&m, &s.key, &s.role, &[]);
    assert_eq!(code, 1);
    assert_eq!(status(&v, "EKM103"), "fail");
    assert!(
        message(&v, "EKM103").contains("Disabled"),
        "{}",
        message(&v, "EKM103")
    );
    let s = setup(&m, aws_sdk_kms::types::KeySpec::SymmetricDefault, false).await;
    kms.schedule_key_deletion()
        .key_id(id(&s.key))
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    let (_, v) = check(&m, &s.key, &s.role, &[]);
    assert_eq!(status(&v, "EKM103"), "fail");
    assert!(
        message(&v, "EKM103").contains("PendingDeletion"),
        "{}",
        message(&v, "EKM103")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_role_and_a_missing_key_fail_their_rules() {
    let Some(m) = moto() else { return };
    let s = setup(&m, aws_sdk_kms::types::KeySpec::SymmetricDefault, false).await;
    let no_role = format!("arn:aws:iam::{ACCOUNT}:role/{}", unique("gone"));
    let (code, v) = check(&m, &s.key, &no_role, &[]);
    assert_eq!(code, 1);
    assert_eq!(status(&v, "EKM301"), "fail", "{}", message(&v, "EKM301"));
    assert_eq!(
        status(&v, "EKM401"),
        "unknown",
        "without the role nothing about its trust is known"
    );
    let no_key =
        format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/00000000-0000-4000-8000-000000000000");
    let (code, v) = check(&m, &no_key, &s.role, &[]);
    assert_eq!(code, 1);
    assert_eq!(status(&v, "EKM101"), "fail", "{}", message(&v, "EKM101"));
    assert_ne!(status(&v, "EKM302"), "pass");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inline_policies_and_a_boundary_are_read() {
    let Some(m) = moto() else { return };
    let cfg = sdk(&m).await;
    let iam = aws_sdk_iam::Client::new(&cfg);
    let s = setup(&m, aws_sdk_kms::types::KeySpec::SymmetricDefault, false).await;
    iam.put_role_policy()
        .role_name(&s.role_name)
        .policy_name("s3-read")
        .policy_document(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}).to_string())
        .send()
        .await
        .unwrap();
    let b = iam
        .create_policy()
        .policy_name(unique("boundary"))
        .policy_document(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}).to_string())
        .send()
        .await
        .unwrap();
    iam.put_role_permissions_boundary()
        .role_name(&s.role_name)
        .permissions_boundary(b.policy().unwrap().arn().unwrap())
        .send()
        .await
        .unwrap();
    let (code, v) = check(&m, &s.key, &s.role, &[]);
    assert_eq!(code, 1);
    assert_eq!(status(&v, "EKM306"), "fail", "{}", message(&v, "EKM306"));
    assert_eq!(status(&v, "EKM307"), "fail", "{}", message(&v, "EKM307"));
    assert_eq!(
        status(&v, "EKM302"),
        "fail",
        "the boundary caps the role: {}",
        message(&v, "EKM302")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_read_makes_exactly_its_rules_unknown_and_names_the_permission() {
    let Some(m) = moto() else { return };
    let s = setup(&m, aws_sdk_kms::types::KeySpec::SymmetricDefault, false).await;
    let p = proxy(
        &m,
        Duration::ZERO,
        vec![Fault::error("GetKeyPolicy", "AccessDeniedException", 400)],
    )
    .await;
    let (code, v) = check(&p.url, &s.key, &s.role, &[]);
    assert_eq!(code, 1, "unknown fails the gate");
    for r in ["EKM201", "EKM202", "EKM302", "EKM303"] {
        assert_eq!(status(&v, r), "unknown", "{r}: {}", message(&v, r));
    }
    assert!(
        message(&v, "EKM201").contains("kms:GetKeyPolicy"),
        "{}",
        message(&v, "EKM201")
    );
    for r in ["EKM101", "EKM102", "EKM401", "EKM403"] {
        assert_eq!(
            status(&v, r),
            "pass",
            "{r} does not need the key policy: {}",
            message(&v, r)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_are_read_only_and_take_three_round_trips() {
    let Some(m) = moto() else { return };
    let s = setup(&m, aws_sdk_kms::types::KeySpec::SymmetricDefault, false).await;
    // Every call delayed 100 ms, so that calls of one round are all in flight together. The
    // proxy records when each call arrived and was answered: a call that arrived after another
    // was answered may have waited for it. The longest such chain is the number of rounds (the
    // wall time is printed, not asserted: speed belongs in benchmarks, not in timed tests).
    let p = proxy(&m, Duration::from_millis(100), vec![]).await;
    let t = Instant::now();
    let (code, v) = check(&p.url, &s.key, &s.role, &[]);
    let wall = t.elapsed();
    assert_eq!(code, 0, "{v:#}");
    let seen = p.seen.lock().unwrap().clone();
    let n = support::rounds(&seen);
    eprintln!(
        "a check: {} calls in {n} rounds, {wall:?} with 100 ms per call",
        seen.len()
    );
    assert!(
        n <= 3,
        "a check took {n} sequential rounds of AWS calls, not 3"
    );
    for c in &seen {
        let op = c.operation.as_str();
        assert!(
            op.starts_with("Describe") || op.starts_with("Get") || op.starts_with("List"),
            "check sent {}:{op}, which is not a read",
            c.service
        );
    }
    eprintln!(
        "check: {} AWS calls, {wall:?} with 100 ms per call",
        seen.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_round_trip_and_the_confused_deputy_probe() {
    let Some(m) = moto() else { return };
    let s = setup(&m, aws_sdk_kms::types::KeySpec::SymmetricDefault, false).await;
    let p = proxy(&m, Duration::ZERO, vec![]).await;
    let (_, v) = check(&p.url, &s.key, &s.role, &["--live"]);
    assert_eq!(status(&v, "EKM501"), "pass", "{}", message(&v, "EKM501"));
    assert_eq!(status(&v, "EKM502"), "pass", "{}", message(&v, "EKM502"));
    assert!(
        message(&v, "EKM502").contains("ms"),
        "latencies are reported"
    );
    // moto does not enforce the trust policy's ExternalId: the probe sees the role accept a
    // missing and a wrong ExternalId, exactly what EKM503 exists to catch on AWS.
    assert_eq!(status(&v, "EKM503"), "fail", "{}", message(&v, "EKM503"));
    let ops: Vec<String> = p
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|c| c.operation.clone())
        .collect();
    for op in &ops {
        assert!(
            op.starts_with("Describe")
                || op.starts_with("Get")
                || op.starts_with("List")
                || ["AssumeRole", "Encrypt", "Decrypt"].contains(&op.as_str()),
            "--live sent {op}"
        );
    }
    assert_eq!(ops.iter().filter(|o| *o == "AssumeRole").count(), 3);
}

#[test]
fn no_aws_access_at_all_exits_2() {
    // Nothing listens on this loopback port: no network.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    let (code, _, err) = ekm(
        &url,
        &[
            "check",
            "--kms-arn",
            "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-4000-8000-000000000000",
            "--role-arn",
            "arn:aws:iam::123456789012:role/x",
            "--external-id",
            XID,
            "--max-attempts",
            "1",
            "--connect-timeout",
            "1",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no AWS access"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_checks_are_skipped_with_the_self_test_statement_when_the_caller_is_not_trusted() {
    let Some(m) = moto() else { return };
    let s = setup(&m, aws_sdk_kms::types::KeySpec::SymmetricDefault, false).await;
    // What AWS answers when only OpenAI is trusted: AccessDenied on AssumeRole.
    let p = proxy(
        &m,
        Duration::ZERO,
        vec![Fault::error("AssumeRole", "AccessDenied", 403)],
    )
    .await;
    let (code, v) = check(&p.url, &s.key, &s.role, &["--live"]);
    assert_eq!(code, 0, "not being trusted is the normal case: {v:#}");
    assert_eq!(status(&v, "EKM501"), "skipped", "{}", message(&v, "EKM501"));
    let r = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "EKM501")
        .unwrap();
    let fix = r["remediation"].as_str().unwrap();
    assert!(fix.contains("sts:ExternalId") && fix.contains(XID), "{fix}");
    assert!(
        fix.contains("arn:aws:sts::123456789012:user/moto") || fix.contains("123456789012"),
        "{fix}"
    );
    assert_eq!(status(&v, "EKM502"), "skipped");
    assert_eq!(status(&v, "EKM503"), "skipped");
    let ops: Vec<String> = p
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|c| c.operation.clone())
        .collect();
    assert!(
        !ops.iter().any(|o| o == "Encrypt" || o == "Decrypt"),
        "{ops:?}"
    );
}

#[test]
fn rounds_count_calls_that_waited_for_an_answer() {
    let t0 = Instant::now();
    let at = |ms: u64| t0 + Duration::from_millis(ms);
    let call = |received: u64, answered: u64| Seen {
        service: "kms".into(),
        operation: "X".into(),
        request: Vec::new(),
        response: Vec::new(),
        received: at(received),
        answered: Some(at(answered)),
    };
    // Two calls in flight together, then one after both: two rounds.
    assert_eq!(rounds(&[call(0, 100), call(5, 105), call(110, 210)]), 2);
    // The same three one after another: three.
    assert_eq!(rounds(&[call(0, 100), call(101, 200), call(201, 300)]), 3);
    assert_eq!(rounds(&[]), 0);
}

/// Issue 10: a `kms_arn` without a region (a bare key id, an alias name, garbage) is EKM001's
/// failure, not "no AWS access: missing signing region": the role is still read (IAM and STS
/// through us-east-1), and the report runs. Near neighbour: the key's ARN is ready.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kms_arn_without_a_region_is_ekm001_and_the_report_still_runs() {
    let Some(m) = moto() else { return };
    let s = setup(&m, aws_sdk_kms::types::KeySpec::SymmetricDefault, false).await;
    let key_id = s.key.rsplit('/').next().unwrap().to_string();
    for bad in [key_id.as_str(), "alias/openai-ekm", "not a key at all"] {
        let (code, v) = check(&m, bad, &s.role, &[]);
        assert_eq!(code, 1, "{bad}: {v:#}");
        assert_eq!(
            status(&v, "EKM001"),
            "fail",
            "{bad}: {}",
            message(&v, "EKM001")
        );
        assert_eq!(
            status(&v, "EKM101"),
            "unknown",
            "{bad}: {}",
            message(&v, "EKM101")
        );
        assert!(
            message(&v, "EKM101").contains("see EKM001"),
            "{}",
            message(&v, "EKM101")
        );
        // The role was read all the same.
        for r in ["EKM301", "EKM401", "EKM403"] {
            assert_eq!(status(&v, r), "pass", "{bad}: {r}: {}", message(&v, r));
        }
        assert_eq!(v["registration"]["kms_arn"], bad);
        assert_eq!(v["verdict"], "not-ready");
    }
    let (code, v) = check(&m, &s.key, &s.role, &[]);
    assert_eq!(code, 0, "{v:#}");
}
