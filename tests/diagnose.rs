//! `diagnose` on OpenAI's documented error strings (redacted and with real ARNs), against the
//! scenario fixtures' snapshots that hold the matching mistakes.

use std::process::Command;

use serde_json::Value as J;

const ASSUME: &str = "User: arn:aws:sts::xxxxx:assumed-role/EnterpriseKeyManagement/OpenAI-EKM-Service is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::xxxxx:role/xxxxxx";
const ENCRYPT: &str = "User: xxxxx is not authorized to perform: kms:Encrypt on resource";

fn diagnose(text: &str, fixture: &str, extra: &[&str]) -> (i32, J) {
    let snap = format!(
        "{}/fixtures/{fixture}/snapshot.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = Command::new(env!("CARGO_BIN_EXE_ekm-check"))
        .args(["diagnose", text, "--snapshot", &snap, "--format", "json"])
        .args(extra)
        .env_remove("EKM_KMS_ARN")
        .env_remove("EKM_ROLE_ARN")
        .env_remove("EKM_EXTERNAL_ID")
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), v)
}

fn causes(v: &J) -> Vec<(String, String)> {
    v["errors"][0]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["rule"].as_str().unwrap().to_string(),
                c["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn each_documented_error_finds_the_mistake_its_snapshot_holds() {
    for (text, fixture, first) in [
        (ASSUME, "fail-ekm404-stringlike-wildcard", "EKM404"),
        (ASSUME, "fail-ekm401-wrong-principal", "EKM401"),
        (ENCRYPT, "fail-ekm304-alias-in-resource", "EKM304"),
        (ENCRYPT, "fail-ekm103-key-disabled", "EKM103"),
        (
            "User: xxxxx is not authorized to perform: kms:Decrypt on resource",
            "fail-ekm103-pending-deletion",
            "EKM103",
        ),
    ] {
        let (code, v) = diagnose(text, fixture, &[]);
        assert_eq!(code, 0, "{fixture}: {v:#}");
        let c = causes(&v);
        assert_eq!(
            c.first().map(|(r, s)| (r.as_str(), s.as_str())),
            Some((first, "fail")),
            "{fixture}: {c:?}"
        );
        assert!(v["explained"].as_bool().unwrap());
        assert!(v["errors"][0]["causes"][0]["fix"].is_string(), "{fixture}");
    }
}

#[test]
fn a_correct_setup_explains_nothing_and_says_what_remains() {
    for text in [ASSUME, ENCRYPT] {
        let (code, v) = diagnose(text, "ok-baseline", &[]);
        assert_eq!(code, 1, "{v:#}");
        assert!(
            causes(&v).iter().all(|(_, s)| s != "fail"),
            "{:?}",
            causes(&v)
        );
        let remaining = v["errors"][0]["remaining"].to_string();
        assert!(remaining.contains("RCP"), "{remaining}");
    }
}

#[test]
fn a_real_arn_that_differs_from_the_checked_one_is_named_first() {
    let text = ASSUME
        .replace("xxxxx:role/xxxxxx", "111122223333:role/openai-ekm-prod")
        .replace("sts::xxxxx", "sts::790389265272");
    let (code, v) = diagnose(&text, "ok-baseline", &[]);
    assert_eq!(code, 1);
    let e = &v["errors"][0];
    assert_eq!(
        e["resource"],
        "arn:aws:iam::111122223333:role/openai-ekm-prod"
    );
    let first = e["remaining"][0].as_str().unwrap();
    assert!(
        first.contains("openai-ekm-prod") && first.contains("role_arn"),
        "{first}"
    );
}

#[test]
fn unrecognised_text_says_so_and_fails() {
    let out = Command::new(env!("CARGO_BIN_EXE_ekm-check"))
        .args(["diagnose", "Internal server error"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("unrecognised:"), "{text}");
}
