//! Evaluator benchmarks: `cargo bench --bench eval`.
//!
//! - `evaluate/ekm-encrypt`: OpenAI's role session calling kms:Encrypt, against a key policy and
//!   two identity policies with conditions (target: under 1 µs).
//! - `parse/key-policy`: parsing and compiling a key policy.
//! - `batch/10k`: `ekm-check eval --batch` on 10,000 requests, in-process, end to end
//!   (target: under 50 ms). The same file for hyperfine: `scripts/gen-batch 10000 > /tmp/b.jsonl`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ekm_check::eval::{CallerSide, Context, PolicySet, Request, evaluate};
use ekm_check::policy::principal::Principal;
use ekm_check::policy::{Policy, PolicyKind};
use serde_json::json;

const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const ROLE: &str = "arn:aws:iam::111122223333:role/openai-ekm";

fn key_policy() -> serde_json::Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
         "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "KeyAdmins", "Effect": "Allow",
         "Principal": {"AWS": "arn:aws:iam::111122223333:role/KeyAdmin"},
         "Action": ["kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
                    "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:ScheduleKeyDeletion",
                    "kms:CancelKeyDeletion"], "Resource": "*"},
        {"Sid": "DenyOutsideTls", "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    ]})
}

fn identity() -> Vec<serde_json::Value> {
    vec![
        json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "AllowEncryptDecrypt", "Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"],
             "Resource": KEY, "Condition": {"StringEquals": {"aws:PrincipalAccount": "111122223333"}}}]}),
        json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "DenyOtherRegions", "Effect": "Deny", "NotAction": "kms:*", "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}},
            {"Sid": "ReadLogs", "Effect": "Allow", "Action": ["logs:Get*", "logs:Describe*"],
             "Resource": "arn:aws:logs:*:111122223333:log-group:/ekm/*"}]}),
    ]
}

fn bench(c: &mut Criterion) {
    let kp = Policy::from_value(&key_policy(), PolicyKind::Resource, "key.policy");
    let ids: Vec<Policy> = identity()
        .iter()
        .map(|v| Policy::from_value(v, PolicyKind::Identity, "identity"))
        .collect();
    let mut ctx = Context::default();
    ctx.set("aws:PrincipalArn", vec![ROLE.into()]);
    ctx.set("aws:SecureTransport", vec!["true".into()]);
    ctx.set("aws:RequestedRegion", vec!["us-east-1".into()]);
    ctx.mark_unknown("aws:SourceIp");
    ctx.mark_unknown("kms:EncryptionContext:*");
    let principal =
        Principal::parse("arn:aws:sts::111122223333:assumed-role/openai-ekm/OpenAI-EKM-Service")
            .unwrap();
    let req = Request::new(principal, "kms:Encrypt", KEY, ctx);
    let set = PolicySet {
        identity: ids.iter().collect(),
        resource: Some(&kp),
        boundaries: vec![],
        scps: vec![],
        rcps: Vec::new(),
        org: Default::default(),
        caller: CallerSide::Policies,
    };
    assert_eq!(evaluate(&req, &set).decision_str(), "allowed");
    c.bench_function("evaluate/ekm-encrypt", |b| {
        b.iter(|| black_box(evaluate(black_box(&req), black_box(&set)).allowed))
    });
    let text = serde_json::to_string_pretty(&key_policy()).unwrap();
    c.bench_function("parse/key-policy", |b| {
        b.iter(|| {
            black_box(Policy::from_text(black_box(&text), PolicyKind::Resource, "k").unwrap())
        })
    });

    // 10,000 requests through the CLI code path, in-process.
    let dir = std::env::temp_dir().join(format!("ekm-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("batch.jsonl");
    std::fs::write(&path, batch(10_000)).unwrap();
    let mut g = c.benchmark_group("batch");
    g.sample_size(20);
    g.bench_function("10k", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(16 << 20);
            let code = ekm_check::cli::run(
                ["ekm-check", "eval", "--batch", path.to_str().unwrap()],
                &mut out,
                &mut std::io::sink(),
            )
            .unwrap();
            assert_eq!(code, 0);
            black_box(out.len())
        })
    });
    g.finish();
}

/// `n` requests in the contract's JSON Lines shape: OpenAI's role session calling Encrypt or
/// Decrypt, with the key policy and the role's identity policies.
pub fn batch(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        let action = if i % 2 == 0 {
            "kms:Encrypt"
        } else {
            "kms:Decrypt"
        };
        let line = json!({
            "id": i,
            "principal": "arn:aws:sts::111122223333:assumed-role/openai-ekm/OpenAI-EKM-Service",
            "action": action,
            "resource": KEY,
            "identity_policies": identity(),
            "resource_policy": key_policy(),
            "context": {"aws:SecureTransport": "true", "aws:RequestedRegion": "us-east-1",
                        "aws:SourceIp": format!("203.0.113.{}", i % 250)}
        });
        s.push_str(&line.to_string());
        s.push('\n');
    }
    s
}

criterion_group!(benches, bench);
criterion_main!(benches);
