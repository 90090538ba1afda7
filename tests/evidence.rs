//! Evidence of OpenAI's real calls (`check --evidence`, `snapshot --evidence`, `scan
//! --evidence`) against moto behind the loopback proxy. moto has no CloudTrail LookupEvents, so
//! the proxy answers it from a recorded-shape event history built here: LookupEvents' entries
//! with the record as CloudTrail writes it (`CloudTrailEvent` is a JSON string), filtered by the
//! request's ResourceName and window, newest first, two a page with NextToken. The history holds
//! OpenAI's failing and succeeding calls, other principals' calls on the same role and key, the
//! self-test's, and AssumeRole's credentials, which must never be printed.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value as J, json};
use support::*;

const TOKEN: &str = "FQoGZXIvYXdzEXAMPLE-SESSION-TOKEN-FROM-CLOUDTRAIL";

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn iso(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// An event as LookupEvents returns it, with CloudTrail's record as its `CloudTrailEvent`.
struct Ev {
    time: i64,
    resources: Vec<String>,
    entry: J,
}

fn ev(time: i64, rec: J) -> Ev {
    let resources: Vec<String> = rec["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ARN"].as_str().unwrap().to_string())
        .collect();
    let entry = json!({
        "EventId": rec["eventID"], "EventName": rec["eventName"], "ReadOnly": "false",
        "EventTime": time, "EventSource": rec["eventSource"],
        "Username": rec["userIdentity"]["arn"].as_str().map(|a| a.rsplit('/').next().unwrap().to_string()),
        "Resources": resources.iter().map(|r| json!({"ResourceType": "AWS::X", "ResourceName": r})).collect::<Vec<_>>(),
        "CloudTrailEvent": rec.to_string(),
    });
    Ev {
        time,
        resources,
        entry,
    }
}

fn assume(s: &Setup, time: i64, session: &str, openai: bool, error: Option<&str>) -> Ev {
    let who = if openai {
        json!({"type": "AWSAccount", "principalId": "AROAOPENAI:OpenAI-EKM-Service", "accountId": "790389265272"})
    } else {
        json!({"type": "IAMUser", "arn": format!("arn:aws:iam::{ACCOUNT}:user/alice"), "accountId": ACCOUNT})
    };
    let mut rec = json!({
        "eventVersion": "1.08", "userIdentity": who, "eventTime": iso(time),
        "eventSource": "sts.amazonaws.com", "eventName": "AssumeRole", "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.10", "userAgent": "test",
        "requestParameters": {"roleArn": s.role, "roleSessionName": session, "externalId": XID},
        "responseElements": {"credentials": {"accessKeyId": "ASIAEXAMPLE", "sessionToken": TOKEN,
                              "expiration": "Dec 1, 2026"},
                             "assumedRoleUser": {"arn": format!("arn:aws:sts::{ACCOUNT}:assumed-role/{}/{session}", s.role_name)}},
        "eventID": format!("assume-{time}-{session}"), "readOnly": true,
        "resources": [{"accountId": ACCOUNT, "type": "AWS::IAM::Role", "ARN": s.role}],
        "eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": ACCOUNT,
    });
    if let Some(e) = error {
        rec["errorCode"] = json!(e);
        rec["errorMessage"] = json!(format!(
            "User: arn:aws:sts::790389265272:assumed-role/EnterpriseKeyManagement/OpenAI-EKM-Service is not authorized to perform: sts:AssumeRole on resource: {}",
            s.role
        ));
        rec["responseElements"] = J::Null;
    }
    ev(time, rec)
}

fn kms(s: &Setup, time: i64, name: &str, session: &str, error: Option<&str>) -> Ev {
    kms_as(s, time, name, &s.role_name, &s.role, session, error)
}

fn kms_as(
    s: &Setup,
    time: i64,
    name: &str,
    role_name: &str,
    role_arn: &str,
    session: &str,
    error: Option<&str>,
) -> Ev {
    let arn = format!("arn:aws:sts::{ACCOUNT}:assumed-role/{role_name}/{session}");
    let mut rec = json!({
        "eventVersion": "1.08",
        "userIdentity": {"type": "AssumedRole", "principalId": format!("AROAX:{session}"), "arn": arn,
                         "accountId": ACCOUNT, "accessKeyId": "ASIAEXAMPLE",
                         "sessionContext": {"sessionIssuer": {"type": "Role", "arn": role_arn, "accountId": ACCOUNT, "userName": role_name},
                                            "attributes": {"creationDate": iso(time), "mfaAuthenticated": "false"}}},
        "eventTime": iso(time), "eventSource": "kms.amazonaws.com", "eventName": name,
        "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.10", "userAgent": "test",
        "requestParameters": {"encryptionAlgorithm": "SYMMETRIC_DEFAULT",
                              "encryptionContext": {"openai:project": "proj_abc"}},
        "responseElements": null,
        "eventID": format!("{name}-{time}-{session}"), "readOnly": true,
        "resources": [{"accountId": ACCOUNT, "type": "AWS::KMS::Key", "ARN": s.key}],
        "eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": ACCOUNT,
    });
    if let Some(e) = error {
        rec["errorCode"] = json!(e);
        rec["errorMessage"] = json!(format!(
            "User: {arn} is not authorized to perform: kms:{name} on resource: {} because no resource-based policy allows the kms:{name} action",
            s.key
        ));
    }
    ev(time, rec)
}

/// One LookupEvents call as the history served it: (region, ResourceName, start, end, token).
type Served = Arc<Mutex<Vec<(String, String, f64, f64, Option<String>)>>>;

/// The proxy fault that answers LookupEvents from `history`, two events a page.
fn lookup_events(history: Vec<Ev>, served: Served) -> Fault {
    let history = Arc::new(history);
    Fault::reply("LookupEvents", move |head, body| {
        let req: J = serde_json::from_slice(body).unwrap();
        let attr = &req["LookupAttributes"][0];
        assert_eq!(attr["AttributeKey"], "ResourceName", "{req}");
        let arn = attr["AttributeValue"].as_str().unwrap().to_string();
        let (start, end) = (
            req["StartTime"].as_f64().unwrap(),
            req["EndTime"].as_f64().unwrap(),
        );
        let token = req["NextToken"].as_str().map(str::to_string);
        served
            .lock()
            .unwrap()
            .push((signed_region(head), arn.clone(), start, end, token.clone()));
        let mut hits: Vec<&Ev> = history
            .iter()
            .filter(|e| e.resources.contains(&arn))
            .filter(|e| (e.time as f64) >= start && (e.time as f64) <= end)
            .collect();
        hits.sort_by_key(|e| std::cmp::Reverse(e.time));
        let from: usize = token.as_deref().map_or(0, |t| t.parse().unwrap());
        let page: Vec<J> = hits
            .iter()
            .skip(from)
            .take(2)
            .map(|e| e.entry.clone())
            .collect();
        let mut out = json!({"Events": page});
        if from + 2 < hits.len() {
            out["NextToken"] = json!((from + 2).to_string());
        }
        (200, out.to_string())
    })
}

fn rule<'a>(v: &'a J, id: &str) -> &'a J {
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == id)
        .unwrap()
}

/// OpenAI's calls failing after passing, among other callers' calls.
fn failing_history(s: &Setup) -> Vec<Ev> {
    let t = now();
    let h = 3600;
    vec![
        assume(s, t - 50 * h, "openai-1", true, None),
        kms(s, t - 50 * h + 1, "Encrypt", "openai-1", None),
        kms(s, t - 50 * h + 2, "Decrypt", "openai-1", None),
        assume(s, t - 20 * h, "openai-2", true, None),
        kms(
            s,
            t - 20 * h + 1,
            "Decrypt",
            "openai-2",
            Some("AccessDeniedException"),
        ),
        kms(
            s,
            t - 19 * h,
            "Decrypt",
            "openai-2",
            Some("AccessDeniedException"),
        ),
        kms(
            s,
            t - 18 * h,
            "Encrypt",
            "openai-2",
            Some("AccessDeniedException"),
        ),
        // Another principal on the same role, its failing call, and the self-test: not OpenAI's.
        assume(s, t - 10 * h, "alice-debug", false, None),
        kms(
            s,
            t - 10 * h + 5,
            "Decrypt",
            "alice-debug",
            Some("AccessDeniedException"),
        ),
        kms(
            s,
            t - 9 * h,
            "Encrypt",
            "ekm-check-selftest",
            Some("AccessDeniedException"),
        ),
        // Another role's session on the key.
        kms_as(
            s,
            t - 8 * h,
            "Decrypt",
            "other-app",
            &format!("arn:aws:iam::{ACCOUNT}:role/other-app"),
            "x",
            Some("AccessDeniedException"),
        ),
        // Before the window: not read.
        kms(
            s,
            t - 10 * 24 * h,
            "Decrypt",
            "openai-0",
            Some("KMSInvalidStateException"),
        ),
    ]
}

fn no_secret(out: &str) {
    assert!(
        !out.contains(TOKEN),
        "AssumeRole's session token was printed"
    );
    assert!(!out.contains("ASIAEXAMPLE"), "an access key id was printed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openais_failing_calls_are_found_and_the_others_left_out() {
    let Some(m) = moto() else { return };
    let s = setup(&m, aws_sdk_kms::types::KeySpec::SymmetricDefault, false).await;
    let served: Served = Default::default();
    let p = proxy(
        &m,
        Duration::ZERO,
        vec![lookup_events(failing_history(&s), served.clone())],
    )
    .await;
    let (code, out, err) = ekm(
        &p.url,
        &[
            "check",
            "--kms-arn",
            &s.key,
            "--role-arn",
            &s.role,
            "--external-id",
            XID,
            "--evidence",
            "--since",
            "7d",
            "--format",
            "json",
        ],
    );
    no_secret(&out);
    no_secret(&err);
    let v: J = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["verdict"], "not-ready");
    let f = rule(&v, "EKM701");
    assert_eq!(f["status"], "fail", "{f:#}");
    let msg = f["message"].as_str().unwrap();
    assert!(
        msg.contains("failed 3 times"),
        "only OpenAI's three failures: {msg}"
    );
    assert!(msg.contains("Decrypt AccessDeniedException ×2"), "{msg}");
    assert!(msg.contains("Encrypt AccessDeniedException ×1"), "{msg}");
    // Which calls still work: AssumeRole did after the key's calls began to fail.
    assert!(msg.contains("last success: AssumeRole at"), "{msg}");
    assert!(msg.contains(", Decrypt at "), "{msg}");
    assert!(
        !msg.contains("KMSInvalidStateException"),
        "an event before the window: {msg}"
    );
    let e = &f["evidence"][0]["value"];
    assert_eq!(
        e["requestParameters"]["encryptionContext"]["openai:project"],
        "proj_abc"
    );
    assert!(
        f["remediation"]
            .as_str()
            .unwrap()
            .contains("ekm-check diagnose 'User: ")
    );
    assert_eq!(rule(&v, "EKM702")["status"], "pass");
    // Read-only, paginated, in the role's and the key's region, over the window.
    let calls = served.lock().unwrap().clone();
    let n = |arn: &str| calls.iter().filter(|c| c.1 == arn).count();
    assert_eq!(
        n(&s.role),
        2,
        "3 AssumeRole events in the window, 2 a page: {calls:?}"
    );
    assert_eq!(
        n(&s.key),
        4,
        "8 KMS events in the window, 2 a page: {calls:?}"
    );
    for (region, _, start, end, _) in &calls {
        assert_eq!(region, "us-east-1");
        let week = (end - start) as i64;
        assert!((7 * 86400 - 5..=7 * 86400 + 5).contains(&week), "{week}");
    }
    let ops: Vec<String> = p
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|c| c.operation.clone())
        .collect();
    assert!(
        ops.iter().all(|o| o.starts_with("Get")
            || o.starts_with("List")
            || o.starts_with("Describe")
            || o == "LookupEvents"),
        "only reads: {ops:?}"
    );

    // The same, written to a snapshot and decided offline.
    let (code, snap, _) = ekm(
        &p.url,
        &[
            "snapshot",
            "--kms-arn",
            &s.key,
            "--role-arn",
            &s.role,
            "--external-id",
            XID,
            "--evidence",
        ],
    );
    assert_eq!(code, 0);
    no_secret(&snap);
    assert!(
        !snap.contains("responseElements"),
        "AssumeRole's answer is dropped"
    );
    let dir = std::env::temp_dir().join(unique("ekm-evidence"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("snapshot.json");
    std::fs::write(&file, &snap).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ekm-check"))
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
    assert_eq!(rule(&offline, "EKM701")["status"], "fail");
    // The same finding (the window starts when the snapshot was taken).
    let after_since = |m: &J| m.as_str().unwrap().split_once("Z: ").unwrap().1.to_string();
    assert_eq!(
        after_since(&rule(&offline, "EKM701")["message"]),
        after_since(&f["message"])
    );
    assert_eq!(rule(&offline, "EKM702")["status"], "pass");
    let _ = std::fs::remove_dir_all(&dir);

    // The table says it too, and prints no credential.
    let (_, table, _) = ekm(
        &p.url,
        &[
            "check",
            "--kms-arn",
            &s.key,
            "--role-arn",
            &s.role,
            "--external-id",
            XID,
            "--evidence",
        ],
    );
    no_secret(&table);
    assert!(table.contains("EKM701"), "{table}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn succeeding_calls_pass_and_no_calls_say_when_openai_last_succeeded() {
    let Some(m) = moto() else { return };
    let s = setup(&m, aws_sdk_kms::types::KeySpec::SymmetricDefault, false).await;
    let t = now();
    let ok = vec![
        assume(&s, t - 3600, "openai-3", true, None),
        kms(&s, t - 3599, "Encrypt", "openai-3", None),
        kms(&s, t - 3598, "Decrypt", "openai-3", None),
    ];
    let served: Served = Default::default();
    let p = proxy(&m, Duration::ZERO, vec![lookup_events(ok, served.clone())]).await;
    let (code, v) = check(&p.url, &s.key, &s.role, &["--evidence", "--since", "2d"]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["verdict"], "ready");
    assert_eq!(rule(&v, "EKM701")["status"], "pass");
    let m702 = rule(&v, "EKM702")["message"].as_str().unwrap().to_string();
    assert!(m702.contains("OpenAI called 3 times"), "{m702}");

    // Nothing by OpenAI this week (only another principal's calls); its last success was 40
    // days ago: the history is read further back for it.
    let old = vec![
        assume(&s, t - 40 * 86400, "openai-old", true, None),
        kms(&s, t - 40 * 86400 + 1, "Decrypt", "openai-old", None),
        assume(&s, t - 3600, "alice", false, None),
        kms(&s, t - 3500, "Decrypt", "alice", None),
    ];
    let served: Served = Default::default();
    let p = proxy(&m, Duration::ZERO, vec![lookup_events(old, served.clone())]).await;
    let (code, v) = check(&p.url, &s.key, &s.role, &["--evidence"]);
    assert_eq!(code, 0, "EKM702 is informational: {v:#}");
    let r = rule(&v, "EKM702");
    assert_eq!(r["status"], "fail", "{r:#}");
    let msg = r["message"].as_str().unwrap();
    let when = iso(t - 40 * 86400 + 1);
    assert!(
        msg.contains(&format!("OpenAI's last success: Decrypt at {when}")),
        "{msg}"
    );
    assert_eq!(rule(&v, "EKM701")["status"], "pass");
    let calls = served.lock().unwrap().clone();
    assert_eq!(
        calls.len(),
        4,
        "the window, then back to 90 days: {calls:?}"
    );
    assert!(calls.iter().any(|c| (t as f64 - c.2) > 89.0 * 86400.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_lookup_is_unknown_and_throttling_is_retried() {
    let Some(m) = moto() else { return };
    let s = setup(&m, aws_sdk_kms::types::KeySpec::SymmetricDefault, false).await;
    let p = proxy(
        &m,
        Duration::ZERO,
        vec![Fault::error("LookupEvents", "AccessDeniedException", 400)],
    )
    .await;
    let (code, v) = check(&p.url, &s.key, &s.role, &["--evidence"]);
    assert_eq!(code, 1);
    let r = rule(&v, "EKM701");
    assert_eq!(r["status"], "unknown", "{r:#}");
    let msg = r["message"].as_str().unwrap();
    assert!(
        msg.contains("cloudtrail:LookupEvents") && msg.contains("AccessDeniedException"),
        "{msg}"
    );
    assert_eq!(rule(&v, "EKM702")["status"], "unknown");
    // Without --evidence nothing is looked up, and both are skipped.
    let before = p
        .seen
        .lock()
        .unwrap()
        .iter()
        .filter(|c| c.operation == "LookupEvents")
        .count();
    let (code, v) = check(&p.url, &s.key, &s.role, &[]);
    assert_eq!(code, 0);
    assert_eq!(rule(&v, "EKM701")["status"], "skipped");
    assert_eq!(rule(&v, "EKM702")["status"], "skipped");
    let after = p
        .seen
        .lock()
        .unwrap()
        .iter()
        .filter(|c| c.operation == "LookupEvents")
        .count();
    assert_eq!(before, after);

    // Throttled twice (LookupEvents allows 2 calls a second): retried, then decided.
    let served: Served = Default::default();
    let hist = lookup_events(failing_history(&s), served.clone());
    let p = proxy(
        &m,
        Duration::ZERO,
        vec![
            Fault::new("LookupEvents", Action::Throttle { times: 2 }),
            hist,
        ],
    )
    .await;
    let (code, v) = check(&p.url, &s.key, &s.role, &["--evidence"]);
    assert_eq!(code, 1);
    assert_eq!(
        rule(&v, "EKM701")["status"],
        "fail",
        "{:#}",
        rule(&v, "EKM701")
    );

    // A bound below the window's events: the newest read succeeded, but older failures would
    // not be seen, so EKM701 is unknown; OpenAI did call (EKM702 passes).
    let served: Served = Default::default();
    let t = now();
    let many: Vec<Ev> = (0..6)
        .map(|i| kms(&s, t - 3600 - i, "Decrypt", "openai-4", None))
        .collect();
    let p = proxy(
        &m,
        Duration::ZERO,
        vec![lookup_events(many, served.clone())],
    )
    .await;
    let (_, v) = check(
        &p.url,
        &s.key,
        &s.role,
        &["--evidence", "--evidence-max-events", "2"],
    );
    let r = rule(&v, "EKM701");
    assert_eq!(r["status"], "unknown", "{r:#}");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("--evidence-max-events")
    );
    assert_eq!(rule(&v, "EKM702")["status"], "pass");
    assert_eq!(
        served
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.1 == s.key)
            .count(),
        1,
        "stopped at the bound"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_reads_every_targets_evidence_together_at_lookup_events_pace() {
    // A moto of its own: the suite's holds every other test's roles, each one more target.
    let Some(own) = own_moto() else { return };
    let m = own.url.clone();
    let spec = aws_sdk_kms::types::KeySpec::SymmetricDefault;
    let (failing, quiet, fine) = (
        setup(&m, spec.clone(), false).await,
        setup(&m, spec.clone(), false).await,
        setup(&m, spec, false).await,
    );
    // A second role on `failing`'s key: two targets share the key's lookup.
    let iam = aws_sdk_iam::Client::new(&sdk(&m).await);
    let twin_role = iam
        .create_role()
        .role_name("openai-ekm-twin")
        .assume_role_policy_document(trust(XID))
        .send()
        .await
        .unwrap()
        .role()
        .unwrap()
        .arn()
        .to_string();
    iam.put_role_policy()
        .role_name("openai-ekm-twin")
        .policy_name("kms")
        .policy_document(kms_policy(&failing.key))
        .send()
        .await
        .unwrap();
    let t = now();
    let mut history = failing_history(&failing);
    history.extend([
        assume(&fine, t - 3600, "openai-5", true, None),
        kms(&fine, t - 3599, "Decrypt", "openai-5", None),
    ]);
    let served: Served = Default::default();
    // Every call takes 800 ms, longer than LookupEvents' pace (two a second in a Region):
    // lookups read one after another would never overlap.
    let p = proxy(
        &m,
        Duration::from_millis(800),
        vec![lookup_events(history, served.clone())],
    )
    .await;
    let (code, out, err) = ekm(
        &p.url,
        &[
            "scan",
            "--external-id",
            XID,
            "--evidence",
            "--format",
            "json",
        ],
    );
    no_secret(&out);
    assert_eq!(code, 1, "{err}");
    let v: J = serde_json::from_str(&out).unwrap();
    let target = |s: &Setup| -> J {
        v["targets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["registration"]["role_arn"] == s.role.as_str())
            .unwrap_or_else(|| panic!("no target for {}: {v:#}", s.role))
            .clone()
    };
    assert_eq!(rule(&target(&failing), "EKM701")["status"], "fail");
    assert_eq!(rule(&target(&fine), "EKM701")["status"], "pass");
    assert_eq!(rule(&target(&fine), "EKM702")["status"], "pass");
    assert_eq!(rule(&target(&quiet), "EKM702")["status"], "fail");

    // Each role and key looked up once per window: the week's, then back to 90 days for the
    // targets without a success by OpenAI in the week (`quiet`, and the twin, whose role OpenAI
    // never assumed). `failing`'s key is shared by two targets, looked up once all the same.
    let twin = v["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["registration"]["role_arn"] == twin_role.as_str())
        .unwrap_or_else(|| panic!("no target for {twin_role}: {v:#}"));
    assert_eq!(twin["registration"]["kms_arn"], failing.key.as_str());
    let calls = served.lock().unwrap().clone();
    let twin_windows = calls
        .iter()
        .filter(|c| c.1 == twin_role && c.4.is_none())
        .count();
    assert_eq!(twin_windows, 2, "{calls:?}");
    let key_windows: Vec<_> = calls
        .iter()
        .filter(|c| c.1 == failing.key && c.4.is_none())
        .map(|c| c.2)
        .collect();
    // The week for both targets (once), and back to 90 days for the twin only.
    assert_eq!(key_windows.len(), 2, "{key_windows:?}");
    for s in [&failing, &quiet, &fine] {
        let arns = if std::ptr::eq(s, &failing) {
            vec![&s.role]
        } else {
            vec![&s.role, &s.key]
        };
        for arn in arns {
            let first_pages: Vec<_> = calls
                .iter()
                .filter(|c| &c.1 == arn && c.4.is_none())
                .collect();
            let windows = if std::ptr::eq(s, &quiet) { 2 } else { 1 };
            assert_eq!(first_pages.len(), windows, "{arn}: {first_pages:?}");
        }
    }

    // At most two LookupEvents a second in the Region,
    // and lookups in flight together: one was sent before another had been answered.
    assert!(calls.iter().all(|c| c.0 == "us-east-1"), "{calls:?}");
    let mut seen: Vec<(std::time::Instant, Option<std::time::Instant>)> = p
        .seen
        .lock()
        .unwrap()
        .iter()
        .filter(|c| c.operation == "LookupEvents")
        .map(|c| (c.received, c.answered))
        .collect();
    assert_eq!(seen.len(), calls.len());
    // The pace is 550 ms; the margins leave 250 ms for the loopback and a loaded machine.
    seen.sort();
    for w in seen.windows(2) {
        let gap = w[1].0 - w[0].0;
        assert!(
            gap >= Duration::from_millis(300),
            "two LookupEvents {gap:?} apart: the quota is two a second"
        );
    }
    for w in seen.windows(3) {
        let span = w[2].0 - w[0].0;
        assert!(
            span >= Duration::from_millis(850),
            "three LookupEvents within {span:?}: the quota is two a second"
        );
    }
    let overlapped = seen
        .windows(2)
        .any(|w| w[0].1.is_some_and(|done| done > w[1].0));
    assert!(
        overlapped,
        "every lookup waited for the one before: the targets were read one after another"
    );
}

#[test]
fn the_checker_policy_gains_lookup_events_only_with_evidence() {
    let run = |extra: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ekm-check"))
            .args(["init", "--checker-policy"])
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(!run(&[]).contains("cloudtrail:LookupEvents"));
    let p: J = serde_json::from_str(&run(&["--evidence"])).unwrap();
    let st = p["Statement"].as_array().unwrap();
    assert!(
        st.iter()
            .any(|s| s["Action"] == "cloudtrail:LookupEvents" && s["Resource"] == "*")
    );
    // --evidence alone means nothing.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ekm-check"))
        .args(["init", "--evidence"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
