//! Meta-tests: every rule is registered, documented and covered by scenarios, and its file sits
//! in its family's folder; ids are unique; messages share one style.

use std::collections::BTreeMap;
use std::path::Path;

use ekm_check::rules::{Family, RULES};

const SECTIONS: &[&str] = &[
    "## What it checks",
    "## Why it matters",
    "## Failing example",
    "## Passing example",
    "## How to fix",
    "## How to suppress",
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn ids_and_slugs_are_unique_and_in_catalogue_order() {
    let mut ids: Vec<&str> = RULES.iter().map(|r| r.meta.id).collect();
    let sorted = {
        let mut s = ids.clone();
        s.sort();
        s
    };
    assert_eq!(ids, sorted, "RULES must be in catalogue order");
    ids.dedup();
    assert_eq!(ids.len(), RULES.len(), "duplicate rule id");
    let mut slugs: Vec<&str> = RULES.iter().map(|r| r.meta.slug).collect();
    slugs.sort();
    slugs.dedup();
    assert_eq!(slugs.len(), RULES.len(), "duplicate slug");
    assert_eq!(RULES.len(), 40, "the contract's catalogue has 40 rules");
    for r in RULES {
        assert!(
            r.meta.id.len() == 6 && r.meta.id.starts_with("EKM"),
            "{}",
            r.meta.id
        );
        assert!(
            r.meta
                .slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '-'),
            "{}: slugs are kebab-case",
            r.meta.id
        );
    }
}

#[test]
fn every_rule_is_documented_with_the_fixed_sections_and_no_doc_is_orphaned() {
    let mut expected: Vec<String> = RULES
        .iter()
        .map(|r| format!("{}-{}.md", r.meta.id, r.meta.slug))
        .collect();
    expected.sort();
    let mut found: Vec<String> = std::fs::read_dir(root().join("rules"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".md"))
        .collect();
    found.sort();
    assert_eq!(
        found, expected,
        "rules/*.md must match the catalogue one to one"
    );
    for r in RULES {
        let doc = r.meta.doc;
        let first = doc.lines().next().unwrap_or_default();
        assert_eq!(
            first,
            format!("# {} {}", r.meta.id, r.meta.slug),
            "{}: first line",
            r.meta.id
        );
        for s in SECTIONS {
            assert!(
                doc.contains(s),
                "{}: the documentation has no \"{s}\" section",
                r.meta.id
            );
        }
        assert!(
            doc.contains(&format!("**Severity:** {}", r.meta.severity.as_str())),
            "{}: the documented severity differs from the default severity {}",
            r.meta.id,
            r.meta.severity.as_str()
        );
    }
}

/// Every rule's statuses over all golden reports.
fn statuses() -> BTreeMap<String, Vec<(String, String, String)>> {
    let mut out: BTreeMap<String, Vec<(String, String, String)>> = BTreeMap::new();
    for e in std::fs::read_dir(root().join("fixtures")).unwrap() {
        let dir = e.unwrap().path();
        let Ok(text) = std::fs::read_to_string(dir.join("expected/report.json")) else {
            continue;
        };
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let scenario = dir.file_name().unwrap().to_string_lossy().to_string();
        // A multi-target report (IaC): every target's results.
        let targets = match v["targets"].as_array() {
            Some(t) => t.clone(),
            None => vec![v],
        };
        for r in targets
            .iter()
            .flat_map(|t| t["results"].as_array().unwrap())
        {
            out.entry(r["rule"].as_str().unwrap().to_string())
                .or_default()
                .push((
                    scenario.clone(),
                    r["status"].as_str().unwrap().to_string(),
                    r["message"].as_str().unwrap().to_string(),
                ));
        }
    }
    out
}

#[test]
fn every_rule_has_a_passing_and_a_failing_scenario() {
    let all = statuses();
    let mut missing = Vec::new();
    for r in RULES {
        // The live rules need the AWS emulator; their scenarios live in the integration tests.
        if r.meta.family == Family::Live {
            continue;
        }
        let s = all.get(r.meta.id).cloned().unwrap_or_default();
        if !s.iter().any(|(_, st, _)| st == "pass") {
            missing.push(format!("{} has no scenario where it passes", r.meta.id));
        }
        if !s.iter().any(|(_, st, _)| st == "fail") {
            missing.push(format!("{} has no scenario where it fails", r.meta.id));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn messages_start_lower_case_and_end_without_a_period() {
    let mut bad = Vec::new();
    for (rule, v) in statuses() {
        for (scenario, _, m) in v {
            let first = m.chars().next().unwrap_or(' ');
            // A message may start with a name that is written in capitals (an ARN, a field).
            let starts_with_name = m.starts_with("arn:")
                || m.split_whitespace().next().is_some_and(|w| {
                    w.chars()
                        .skip(1)
                        .any(|c| c.is_ascii_uppercase() || c == ':' || c == '_')
                });
            if first.is_uppercase() && !starts_with_name {
                bad.push(format!("{scenario} {rule}: starts with a capital: {m}"));
            }
            if m.trim_end().ends_with('.') {
                bad.push(format!("{scenario} {rule}: ends with a period: {m}"));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// Every rule file, as a path under `src/rules/`: `key_policy/ekm201_key_policy_blocks_role.rs`.
fn rule_files(dir: &Path, under: &str, out: &mut Vec<String>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().to_string();
        let rel = if under.is_empty() {
            name.clone()
        } else {
            format!("{under}/{name}")
        };
        if e.file_type().unwrap().is_dir() {
            rule_files(&e.path(), &rel, out);
        } else if name.starts_with("ekm") && name.ends_with(".rs") {
            out.push(rel);
        }
    }
}

#[test]
fn every_rule_file_sits_in_the_folder_of_its_family() {
    let mut expected: Vec<String> = RULES
        .iter()
        .map(|r| {
            format!(
                "{}/{}_{}.rs",
                r.meta.family.as_str().replace('-', "_"),
                r.meta.id.to_ascii_lowercase(),
                r.meta.slug.replace('-', "_")
            )
        })
        .collect();
    expected.sort();
    let mut found = Vec::new();
    rule_files(&root().join("src/rules"), "", &mut found);
    found.sort();
    assert_eq!(
        found, expected,
        "each rule is src/rules/<family>/ekmnnn_<slug>.rs, its family as in META (key-policy: key_policy)"
    );
}
