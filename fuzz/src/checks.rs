//! What each fuzz target feeds to ekm-check and what it asserts besides "no panic".
//!
//! Shared by the cargo-fuzz targets (`fuzz/fuzz_targets/*.rs`) and by the main crate's
//! `tests/fuzz_regressions.rs`, which includes this file with `#[path]`: keep it free of anything
//! but `ekm_check`, `serde_json` and `std`.

#![allow(dead_code)]

use std::fmt::Debug;

use ekm_check::eval::request::{PolicyCache, RequestDoc};
use ekm_check::eval::{self, Context, Evaluation, Request, Tri};
use ekm_check::json::{self, Node, Pos, Value};
use ekm_check::policy::{Policy, PolicyKind};
use ekm_check::{rules, snapshot};

/// Every kind of policy document.
pub const KINDS: [PolicyKind; 5] = [
    PolicyKind::Identity,
    PolicyKind::Resource,
    PolicyKind::Trust,
    PolicyKind::Boundary,
    PolicyKind::Scp,
];

/// A target's body.
pub type Target = fn(&[u8]);

/// The targets by name, for the regression test (`<target>-<name>.bin`).
pub const TARGETS: [(&str, Target); 4] = [
    ("json_parse", json_parse),
    ("policy_parse", policy_parse),
    ("eval_request", eval_request),
    ("snapshot_rules", snapshot_rules),
];

/// The 1-based line and column (in characters) of a byte offset, counted independently of
/// `json::position_of`. With a leading BOM, both the column that counts the BOM and the one
/// that does not are accepted on line 1.
fn expected_line_col(text: &str, offset: usize) -> (u32, u32, Option<u32>) {
    let before = &text[..offset];
    let line = before.matches('\n').count() as u32 + 1;
    let start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let col = before[start..].chars().count() as u32 + 1;
    let alt = (line == 1 && text.starts_with('\u{feff}') && col > 1).then(|| col - 1);
    (line, col, alt)
}

/// A position reported for `text` must be inside it, on a character boundary, and its line and
/// column must be those of its byte offset.
pub fn check_pos(text: &str, pos: Pos, what: &dyn Debug) {
    assert!(
        pos.offset <= text.len(),
        "position {pos:?} is past the end of the text ({} bytes): {what:?}",
        text.len()
    );
    assert!(
        text.is_char_boundary(pos.offset),
        "position {pos:?} is inside a character: {what:?}"
    );
    assert!(
        pos.line >= 1 && pos.col >= 1,
        "position {pos:?} has line or column 0: {what:?}"
    );
    let (line, col, alt) = expected_line_col(text, pos.offset);
    assert!(
        pos.line == line && (pos.col == col || Some(pos.col) == alt),
        "position {pos:?} should be line {line}, column {col}: {what:?}"
    );
}

/// Every value and member name of a parsed tree is where its position says.
fn check_tree(text: &str, n: &Node) {
    check_pos(text, n.pos, &"value");
    let first = text.as_bytes().get(n.pos.offset).copied();
    let ok = match &n.value {
        Value::Null => first == Some(b'n'),
        Value::Bool(b) => first == Some(if *b { b't' } else { b'f' }),
        Value::Number(s) => text[n.pos.offset..].starts_with(s.as_str()),
        Value::String(_) => first == Some(b'"'),
        Value::Array(_) => first == Some(b'['),
        Value::Object(_) => first == Some(b'{'),
    };
    assert!(
        ok,
        "the position of {} ({}) does not point at it: {:?}",
        n.type_name(),
        n.pos,
        &text[n.pos.offset..(n.pos.offset + 20).min(text.len())]
    );
    match &n.value {
        Value::Array(items) => items.iter().for_each(|i| check_tree(text, i)),
        Value::Object(members) => {
            for m in members {
                check_pos(text, m.key_pos, &m.key);
                assert_eq!(
                    text.as_bytes().get(m.key_pos.offset),
                    Some(&b'"'),
                    "the position of member \"{}\" ({}) does not point at its name",
                    m.key,
                    m.key_pos
                );
                check_tree(text, &m.value);
            }
        }
        _ => {}
    }
}

/// serde_json rejects these for reasons that are not about JSON syntax.
fn serde_limit(e: &serde_json::Error) -> bool {
    let m = e.to_string();
    m.contains("recursion limit exceeded") || m.contains("number out of range")
}

/// `json_parse`: bytes -> `json::parse_bytes`. Positions (of values, member names and syntax
/// errors) must be right; what the reader accepts must be what serde_json accepts (except a BOM,
/// which only ours skips, and serde_json's depth and float-range limits), and the values equal.
pub fn json_parse(data: &[u8]) {
    let ours = json::parse_bytes(data);
    let text = match std::str::from_utf8(data) {
        Ok(t) => t,
        Err(e) => {
            let err = ours.expect_err("parse_bytes accepted invalid UTF-8");
            // The error is located in the valid prefix.
            let good = std::str::from_utf8(&data[..e.valid_up_to()]).unwrap();
            assert_eq!(err.pos.offset, e.valid_up_to(), "UTF-8 error offset");
            check_pos(good, err.pos, &err);
            return;
        }
    };
    match &ours {
        Ok(node) => check_tree(text, node),
        Err(e) => {
            check_pos(text, e.pos, e);
            let _ = e.to_string();
        }
    }
    let theirs = serde_json::from_str::<serde_json::Value>(text);
    match (&ours, &theirs) {
        (Ok(node), Ok(v)) => assert_eq!(
            &node.to_serde(),
            v,
            "to_serde differs from serde_json's parse"
        ),
        (Ok(_), Err(e)) => assert!(
            text.starts_with('\u{feff}') || serde_limit(e),
            "json::parse accepts text that serde_json rejects ({e})"
        ),
        (Err(e), Ok(_)) => panic!("json::parse rejects text that serde_json accepts: {e}"),
        (Err(_), Err(_)) => {}
    }
}

/// `policy_parse`: bytes -> `Policy::from_text` for every kind. Syntax errors, diagnostics,
/// statements, principals and conditions must be located inside the text (at the right line
/// and column), pointers must be JSON pointers, and the messages must render.
pub fn policy_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for kind in KINDS {
        let p = match Policy::from_text(text, kind, "fuzz.json") {
            Ok(p) => p,
            Err(e) => {
                check_pos(text, e.error.pos, &e);
                let _ = e.to_string();
                continue;
            }
        };
        for d in &p.diagnostics {
            check_pos(text, d.pos, d);
            assert!(
                d.pointer.is_empty() || d.pointer.starts_with('/'),
                "diagnostic pointer {:?} is not a JSON pointer: {d:?}",
                d.pointer
            );
            assert!(!d.message.is_empty(), "empty diagnostic message: {d:?}");
            let _ = d.to_string();
        }
        let _ = p.has_errors();
        for st in &p.statements {
            check_pos(text, st.pos, &st.pointer);
            assert!(
                p.statement(st.index).is_some(),
                "statement({}) is None",
                st.index
            );
            let _ = st.label();
            let _ = eval::locate(&p, st);
            if let Some(pr) = &st.principal {
                for e in &pr.entries {
                    check_pos(text, e.pos, &e.pointer);
                }
            }
            for c in &st.conditions {
                check_pos(text, c.pos, &c.pointer);
            }
        }
    }
}

/// The context keys a request's decision can hinge on: condition keys and variables in
/// resources.
fn keys_of(doc: &RequestDoc) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    let policies = doc
        .identity
        .iter()
        .chain(doc.resource.iter())
        .chain(doc.boundaries.iter())
        .chain(doc.scps.iter().flatten());
    for p in policies {
        for st in &p.statements {
            for c in &st.conditions {
                keys.push(c.key_lc.clone());
            }
            if let Some(m) = &st.resource {
                for pat in &m.patterns {
                    keys.extend(pat.vars().map(str::to_string));
                }
            }
        }
    }
    keys.sort();
    keys.dedup();
    keys.truncate(8);
    keys
}

/// The request with `key` no longer given but marked unknown (`*`: every key).
fn with_unknown(req: &Request, key: &str) -> Request {
    let mut ctx = Context::default();
    if key != "*" {
        for (k, v) in req.context.entries() {
            if k != key {
                ctx.set(k, v.to_vec());
            }
        }
    }
    for u in req.context.unknown_keys() {
        ctx.mark_unknown(u);
    }
    ctx.mark_unknown(key);
    Request::new(req.principal.clone(), &req.action, &req.resource, ctx)
}

/// Three-valued soundness: an answer given while `key` is unknown holds for its real value.
fn check_sound(known: &Evaluation<'_>, partial: &Evaluation<'_>, key: &str) {
    for (what, k, p) in [
        ("allowed", known.allowed, partial.allowed),
        ("denied", known.denied, partial.denied),
    ] {
        assert!(
            p == Tri::Unknown || p == k,
            "with {key:?} unknown, {what} is {p:?}, but with the request's context it is {k:?}"
        );
    }
}

/// `eval_request`: bytes -> `RequestDoc::from_text` with a `PolicyCache`, then `evaluate`,
/// `explain` and `decision`. A second read through the warm cache must give the same result, and
/// marking a context key unknown must never change a decided answer (three-valued soundness).
pub fn eval_request(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut cache = PolicyCache::default();
    let first = RequestDoc::from_text(text, &[], &mut cache);
    let again = RequestDoc::from_text(text, &[], &mut cache);
    let doc = match (first, again) {
        (Ok(a), Ok(b)) => {
            let (da, db) = (a.decision(), b.decision());
            assert_eq!(
                da.decision, db.decision,
                "the warm cache changed the decision"
            );
            assert_eq!(
                da.explanation, db.explanation,
                "the warm cache changed the explanation"
            );
            serde_json::to_string(&da).expect("a decision serializes");
            a
        }
        (Err(a), Err(b)) => {
            assert_eq!(a, b, "the warm cache changed the error");
            let _ = a.to_string();
            return;
        }
        (a, b) => panic!(
            "the warm cache changed the outcome: {:?} then {:?}",
            a.map(|d| d.decision().decision),
            b.map(|d| d.decision().decision)
        ),
    };
    let ev = doc.evaluate();
    let lines = ev.explain(&doc.request);
    assert!(!lines.is_empty(), "an empty explanation");
    let _ = ev.summary();
    let _ = ev.deciding().count();
    if ev.decision.is_none() {
        return;
    }
    let set = doc.policy_set();
    let mut keys = keys_of(&doc);
    keys.push("*".to_string());
    for key in keys {
        let req = with_unknown(&doc.request, &key);
        let partial = eval::evaluate(&req, &set);
        let _ = partial.explain(&req);
        check_sound(&ev, &partial, &key);
    }
}

/// `snapshot_rules`: bytes -> `json::parse_bytes` -> `snapshot::to_inputs` -> `rules::run_all`:
/// the whole catalogue on arbitrary snapshots. One finding per rule, with a message, and
/// evidence located inside the snapshot file.
pub fn snapshot_rules(data: &[u8]) {
    let Ok(root) = json::parse_bytes(data) else {
        return;
    };
    let Ok(inputs) = snapshot::to_inputs(&root, "snapshot.json") else {
        return;
    };
    let text = std::str::from_utf8(data).expect("parse_bytes accepted invalid UTF-8");
    let lines = text.split('\n').count() as u32;
    let findings = rules::run_all(&inputs);
    assert_eq!(findings.len(), rules::RULES.len(), "one finding per rule");
    for f in &findings {
        assert!(!f.message.is_empty(), "{}: empty message", f.rule.id);
        for e in &f.evidence {
            let _ = e.location();
            if e.file.as_deref() == Some("snapshot.json") {
                if let Some(l) = e.line {
                    assert!(
                        (1..=lines).contains(&l),
                        "{}: evidence line {l} outside the snapshot ({lines} lines): {e:?}",
                        f.rule.id
                    );
                }
            }
        }
    }
}
