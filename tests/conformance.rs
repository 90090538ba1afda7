//! The conformance corpus: `tests/conformance/*.json`, each an array of cases
//! `{name, doc, request, unknown?, expect, depends_on?, explains?}` pinning one AWS evaluation
//! rule; `explains` lists texts the explanation must contain (e.g. the AWS page a refusal cites).
//! Every case must give the expected decision; the test lists every case that does not.

use std::path::Path;

use ekm_check::eval::request::RequestDoc;
use ekm_check::json;

struct Outcome {
    total: usize,
    failures: Vec<String>,
}

fn run_file(path: &Path, out: &mut Outcome, names: &mut Vec<String>) {
    let text = std::fs::read_to_string(path).unwrap();
    let root = json::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let cases = match &root.value {
        json::Value::Array(items) => items,
        _ => panic!("{}: expected an array of cases", path.display()),
    };
    for case in cases {
        out.total += 1;
        let name = case
            .get("name")
            .and_then(|n| n.as_str())
            .expect("case name")
            .to_string();
        assert!(!names.contains(&name), "duplicate case name {name}");
        names.push(name.clone());
        assert!(
            case.get("doc")
                .and_then(|n| n.as_str())
                .is_some_and(|d| !d.is_empty()),
            "case {name} names no documentation rule"
        );
        let expect = case.get("expect").and_then(|n| n.as_str()).expect("expect");
        let unknown: Vec<String> = match case.get("unknown").map(|n| &n.value) {
            Some(json::Value::Array(items)) => items
                .iter()
                .map(|i| i.as_str().unwrap().to_string())
                .collect(),
            _ => Vec::new(),
        };
        let request = case.get("request").expect("request");
        let doc = match RequestDoc::from_node(request, &unknown) {
            Ok(d) => d,
            Err(e) => {
                out.failures.push(format!(
                    "{}: {name}: request not readable: {e}",
                    path.display()
                ));
                continue;
            }
        };
        let ev = doc.evaluate();
        let got = ev.decision_str();
        if got != expect {
            out.failures.push(format!(
                "{}: {name}: expected {expect}, got {got}\n      {}",
                path.display(),
                ev.explain(&doc.request).join("\n      ")
            ));
            continue;
        }
        if let Some(json::Value::Array(texts)) = case.get("explains").map(|n| &n.value) {
            let lines = ev.explain(&doc.request);
            for t in texts {
                let t = t.as_str().unwrap();
                if !lines.iter().any(|l| l.contains(t)) {
                    out.failures.push(format!(
                        "{}: {name}: expected the explanation to contain {t:?}, got:\n      {}",
                        path.display(),
                        lines.join("\n      ")
                    ));
                }
            }
        }
        if let Some(json::Value::Array(keys)) = case.get("depends_on").map(|n| &n.value) {
            for k in keys {
                let k = k.as_str().unwrap();
                if !ev.depends_on.iter().any(|d| d.eq_ignore_ascii_case(k)) {
                    out.failures.push(format!(
                        "{}: {name}: expected the answer to depend on {k}, got {:?}",
                        path.display(),
                        ev.depends_on
                    ));
                }
            }
        }
    }
}

#[test]
fn conformance_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/conformance exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut out = Outcome {
        total: 0,
        failures: Vec::new(),
    };
    let mut names = Vec::new();
    for f in &files {
        run_file(f, &mut out, &mut names);
    }
    assert!(out.total >= 200, "the corpus has only {} cases", out.total);
    assert!(
        out.failures.is_empty(),
        "{} of {} conformance cases failed:\n{}",
        out.failures.len(),
        out.total,
        out.failures.join("\n")
    );
}
