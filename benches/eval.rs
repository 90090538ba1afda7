//! Evaluator benchmarks: `cargo bench --bench eval`.
//!
//! - `evaluate/ekm-encrypt`: OpenAI's role session calling kms:Encrypt, against a key policy and
//!   two identity policies with conditions (target: under 1 µs).
//! - `parse/key-policy`: parsing and compiling a key policy.
//! - `batch/10k`: `ekm-check eval --batch` on 10,000 requests built from the same few policies,
//!   in-process, end to end (target: under 50 ms). The same file for hyperfine:
//!   `scripts/gen-batch 10000 > /tmp/b.jsonl`.
//! - `batch/10k-distinct`: the same on 10,000 requests that each carry their own policies (about
//!   11 MB; target: 40 ms). The same file: `scripts/gen-batch-distinct 10000 > /tmp/d.jsonl`.
//! - `large/lint-permissions/N`, `large/eval/N`: one policy of N statements on one line (10,000:
//!   1.7 MB, 40,000: 6.7 MB) through `lint --permissions` and `eval --identity-policy`; linear:
//!   the 40,000 figure is about four times the 10,000 one.
//!
//! The benchmarks run with the binary's allocator (mimalloc, src/allocator.rs).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ekm_check::eval::{CallerSide, Context, PolicySet, Request, evaluate};
use ekm_check::policy::principal::Principal;
use ekm_check::policy::{Policy, PolicyKind};

#[path = "../tests/support/batches.rs"]
mod batches;

use batches::{KEY, identity, key_policy};

#[global_allocator]
static GLOBAL: ekm_check::allocator::Mimalloc = ekm_check::allocator::Mimalloc;

const ROLE: &str = "arn:aws:iam::111122223333:role/openai-ekm";

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

    // 10,000 requests through the CLI code path, in-process: the same few policies on every line
    // (the policy cache hits), and every request with its own policies.
    let dir = std::env::temp_dir().join(format!("ekm-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut g = c.benchmark_group("batch");
    g.sample_size(20);
    for (name, text) in [
        ("10k", batches::repeated(10_000)),
        ("10k-distinct", batches::distinct(10_000)),
    ] {
        let path = dir.join(format!("{name}.jsonl"));
        std::fs::write(&path, text).unwrap();
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut out = Vec::with_capacity(32 << 20);
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
    }
    g.finish();

    // One large document (10,000 and 40,000 statements on one line, 1.7 and 6.7 MB), linted
    // and decided through the CLI: time and memory grow with its size, not its square.
    let mut g = c.benchmark_group("large");
    g.sample_size(10);
    for n in [10_000, 40_000] {
        let path = dir.join(format!("statements-{n}.json"));
        std::fs::write(&path, batches::many_statements(n, true)).unwrap();
        let file = path.to_str().unwrap();
        let commands: [(&str, Vec<&str>); 2] = [
            (
                "lint-permissions",
                vec!["lint", "--permissions", file, "--format", "json"],
            ),
            (
                "eval",
                vec![
                    "eval",
                    "--principal",
                    "arn:aws:sts::111122223333:assumed-role/openai-ekm/s",
                    "--action",
                    "kms:Encrypt",
                    "--resource",
                    KEY,
                    "--identity-policy",
                    file,
                ],
            ),
        ];
        for (name, args) in commands {
            g.bench_function(format!("{name}/{n}"), |b| {
                b.iter(|| {
                    let mut out = Vec::new();
                    let argv = std::iter::once("ekm-check").chain(args.iter().copied());
                    let code = ekm_check::cli::run(argv, &mut out, &mut std::io::sink()).unwrap();
                    assert!(code <= 1, "{name}: exit {code}");
                    black_box(out.len())
                })
            });
        }
    }
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
