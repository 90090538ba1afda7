//! `RequestDoc::from_text` reads a request in one pass into an arena and compiles each policy
//! from its part of that reading (positions given relative to the policy's own text); text that
//! is not valid JSON is split member by member instead. The two readings must give the same
//! request, policies and positions included, and the same error: this compares them on the
//! benchmark batches, the conformance corpus (compact and pretty-printed, so that documents
//! start on other lines and columns) and cases written for the differences that matter.

use ekm_check::eval::request::{PolicyCache, RequestDoc};
use serde_json::{Value, json};

#[path = "support/batches.rs"]
mod batches;

fn both(text: &str) -> (String, String) {
    let unknown = vec!["aws:SourceVpce".to_string()];
    let whole = RequestDoc::from_text(text, &unknown, &mut PolicyCache::default());
    let split = RequestDoc::from_text_split(text, &unknown, &mut PolicyCache::default());
    (format!("{whole:#?}"), format!("{split:#?}"))
}

fn assert_same(text: &str) {
    let (whole, split) = both(text);
    assert_eq!(whole, split, "the two readings differ on {text}");
}

#[test]
fn the_benchmark_batches_read_alike() {
    for line in batches::distinct(400)
        .lines()
        .chain(batches::repeated(60).lines())
    {
        assert_same(line);
    }
}

#[test]
fn the_conformance_requests_read_alike_compact_and_pretty() {
    let mut n = 0;
    for entry in std::fs::read_dir("tests/conformance").unwrap() {
        let path = entry.unwrap().path();
        let cases: Vec<Value> =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for case in cases {
            let request = &case["request"];
            assert_same(&request.to_string());
            assert_same(&serde_json::to_string_pretty(request).unwrap());
            n += 1;
        }
    }
    assert!(n > 100, "only {n} conformance cases");
}

#[test]
fn positions_are_the_documents_own_after_non_ascii_and_on_later_lines() {
    let key = json!({"Version": "2012-10-17", "Statement": [{"Sid": "Schlüssel", "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}]});
    let text = format!(
        "{{\"id\": \"ü-日本\", \"principal\": \"arn:aws:iam::111122223333:role/R\",\n  \"action\": \"kms:Decrypt\", \"resource\": \"arn:aws:kms:us-east-1:111122223333:key/k\",\n    \"resource_policy\": {}}}",
        serde_json::to_string_pretty(&key).unwrap()
    );
    assert_same(&text);
    let (whole, _) = both(&text);
    // The statement is on the document's fourth line, wherever the document starts.
    assert!(whole.contains("line: 4"), "{whole}");
}

#[test]
fn escapes_numbers_duplicates_and_lists_read_alike() {
    let base = r#""principal": "arn:aws:sts::111122223333:assumed-role/R/S", "action": "kms:Decrypt", "resource": "arn:aws:kms:us-east-1:111122223333:key/k""#;
    let id = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}}"#;
    let cases = [
        format!(r#"{{"id": 1.50, {base}}}"#),
        format!(r#"{{"id": {{"a": 1, "a": 2e3}}, {base}}}"#),
        format!(
            r#"{{"id": "x", {base}, "context": {{"aws:SourceIp": "10.0.0.1", "n": 1.0, "b": true, "l": [1, "two", false]}}}}"#
        ),
        format!(r#"{{"id": "x", {base}, "context": {{"k": {{}}, "k": "v"}}}}"#),
        format!(r#"{{"id": "x", {base}, "context": {{"K": "1", "k": "2"}}}}"#),
        format!(r#"{{"id": "x", {base}, "context": {{"k": null}}}}"#),
        format!(r#"{{"id": "x", {base}, "context": []}}"#),
        format!(r#"{{"id": "x", {base}, "unknown": ["aws:PrincipalTag/*"]}}"#),
        format!(r#"{{"id": "x", {base}, "unknown": [1]}}"#),
        format!(r#"{{"id": "x", {base}, "identity_policies": {id}}}"#),
        format!(r#"{{"id": "x", {base}, "identity_policies": [{id}, {id}]}}"#),
        format!(r#"{{"id": "x", {base}, "identity_policies": [{id}, 7]}}"#),
        format!(r#"{{"id": "x", {base}, "identity_policies": "no"}}"#),
        format!(
            r#"{{"id": "x", {base}, "identity_policies": [{id}, {{"Version": "2012-10-17", "Statement": [],}}]}}"#
        ),
        format!(
            r#"{{"id": "x", {base}, "identity_policies": [{id}], "scps": [[{id}], {id}], "rcps": [{id}], "scp_account": "111122223333"}}"#
        ),
        format!(r#"{{"id": "x", {base}, "identity_policies": [{id}], "scps": [[{id}, 3]]}}"#),
        format!(r#"{{"id": "x", {base}, "permission_boundaries": [{id}, {id}]}}"#),
        format!(r#"{{"id": "x", {base}, "management_account": 5}}"#),
        format!(r#"{{"id": "x", {base}, "caller_identity_assumed": true}}"#),
        format!(r#"{{"id": "x", {base}, "caller_identity_assumed": "yes"}}"#),
        r#"{"id": "x", "principal": "arn:aws:sts::111122223333:assumed-role/R/S\u0021", "action": "kms:Decrypt", "resource": "arn:aws:kms:us-east-1:111122223333:key/k\"q"}"#.to_string(),
        format!(r#"{{"id": "x", "\u0069d": "y", {base}}}"#),
        format!(r#"{{"id": "x", {base}, "id": "y"}}"#),
        format!(r#"{{"id": "x", {base}, "extra": 1}}"#),
        r#"{"id": "x", "principal": 3, "action": "kms:Decrypt", "resource": "r"}"#.to_string(),
        format!(
            r#"{{"id": "x", {base}, "resource_policy": {{"Statement": [{{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*", "Sid": "a\u00e9/~"}}]}}}}"#
        ),
        format!(
            r#"{{"id": "x", "principal": "arn:aws:iam::111122223333:role/R", "action": "kms:CreateAlias", "resource": "arn:aws:kms:us-east-1:111122223333:alias/a", "target_keys": [{{"resource": "arn:aws:kms:us-east-1:111122223333:key/k", "resource_policy": {id}}}]}}"#
        ),
        format!("\u{feff}{{\"id\": \"x\", {base}}}"),
        format!(r#"{{"id": "x", {base}, "resource_policy": {{"Statement": [}}}}"#),
        r#"{"id": "x", "principal": tru}"#.to_string(),
        "[1, 2]".to_string(),
        String::new(),
    ];
    for text in &cases {
        assert_same(text);
    }
}
