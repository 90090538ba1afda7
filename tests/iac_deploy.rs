//! `lint --cloudformation` against the stack the template creates: each template of
//! `tests/data/cfn-deploy/` is created in moto (`CreateStack`, on the moto server that
//! `scripts/test-all` starts on loopback), `ekm-check check` runs live against the stack's key
//! and role (from its outputs), and `ekm-check lint --cloudformation` reads the same template
//! with moto's account and region. The statuses of the key (EKM1xx), key policy (EKM2xx), role
//! (EKM3xx) and trust (EKM4xx) rules must be the same in both reports.
//!
//! The templates stay within what moto 5.2.5 deploys faithfully (shared facts page, "moto
//! CloudFormation"): key policies, role `Policies` and `AWS::IAM::Policy` documents as JSON
//! strings (or objects where moto keeps them: trust policies, `AWS::IAM::ManagedPolicy`,
//! `AWS::IAM::Policy`), `Fn::GetAtt` in its long list form, no `ManagedPolicyArns` and no
//! `AWS::IAM::RolePolicy` (moto ignores both), no `KeySpec`/`KeyUsage`/`Enabled: false` (moto
//! always creates an enabled symmetric key), no `AWS::NoValue` inside a list (moto keeps it as
//! null and fails). Names are built from `AWS::StackName` (`--stack-name` for lint), so that
//! every run's stack is new on the shared server.
//!
//! Where a status could legitimately differ (lint's key ARN is symbolic; the live check reads
//! what moto stored), nothing differs for these templates: no rule is excluded.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as J;
use support::cloudformation::{Stack, create_stack};
use support::*;

/// Which role lint checks.
enum LintRole {
    /// The roles that trust OpenAI (lint's default).
    Trusting,
    /// `--role LOGICAL_ID`: the role does not trust OpenAI's principal.
    Logical(&'static str),
    /// `--role-arn` with the stack's role ARN: CloudFormation generates the role's name.
    StackArn,
}

fn template(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/cfn-deploy")
        .join(file)
}

fn lint(file: &Path, stack: &Stack, role: &LintRole) -> (i32, J, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ekm-check"));
    cmd.args(["lint", "--cloudformation"])
        .arg(file)
        .args(["--account", ACCOUNT, "--region", "us-east-1"])
        .args(["--stack-name", &stack.name, "--external-id", XID])
        .args(["--format", "json"]);
    match role {
        LintRole::Trusting => {}
        LintRole::Logical(r) => {
            cmd.args(["--role", r]);
        }
        LintRole::StackArn => {
            cmd.args(["--role-arn", &stack.outputs["RoleArn"]]);
        }
    }
    let out = cmd
        .env_remove("EKM_KMS_ARN")
        .env_remove("EKM_ROLE_ARN")
        .env_remove("EKM_EXTERNAL_ID")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let v = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("lint {}: {e}: {stdout}\n{stderr}", file.display()));
    (out.status.code().unwrap_or(-1), v, stderr)
}

/// Is this a key, key-policy, role or trust rule (EKM1xx–EKM4xx)?
fn compared(rule: &str) -> bool {
    matches!(rule.as_bytes().get(3), Some(b'1'..=b'4'))
}

/// (rule, status, message) of the compared rules, in report order.
fn statuses(report: &J) -> Vec<(String, String, String)> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| compared(r["rule"].as_str().unwrap()))
        .map(|r| {
            (
                r["rule"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
                r["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Deploy `file`, check the stack live and lint the template: the compared statuses must be
/// equal, and the live report must have `expect`, the statuses the template is written to
/// produce (so that a template that stops deploying what it says is noticed).
fn deployed(file: &str, role: LintRole, expect: &[(&str, &str)]) {
    let Some(m) = moto() else { return };
    let path = template(file);
    let body = std::fs::read_to_string(&path).unwrap();
    let stack = create_stack(&m, &unique("ekm-cfn"), &body);
    let (key, role_arn) = (&stack.outputs["KeyArn"], &stack.outputs["RoleArn"]);
    assert_eq!(
        stack.resources.get("EkmRole").map(String::as_str),
        role_arn.rsplit('/').next(),
        "the role of {file} is the stack's EkmRole"
    );
    let (live_code, live) = check(&m, key, role_arn, &[]);
    let (lint_code, lint, err) = lint(&path, &stack, &role);
    let targets = lint["targets"].as_array().unwrap();
    assert_eq!(
        targets.len(),
        1,
        "{file}: one target expected: {lint:#}\n{err}"
    );
    let (live_s, lint_s) = (statuses(&live), statuses(&targets[0]));
    assert_eq!(
        live_s.iter().map(|s| &s.0).collect::<Vec<_>>(),
        lint_s.iter().map(|s| &s.0).collect::<Vec<_>>(),
        "{file}: the same rules"
    );
    let differ: Vec<String> = live_s
        .iter()
        .zip(&lint_s)
        .filter(|(a, b)| a.1 != b.1)
        .map(|(a, b)| format!("{}: live {} ({}) but lint {} ({})", a.0, a.1, a.2, b.1, b.2))
        .collect();
    assert!(
        differ.is_empty(),
        "{file}: lint --cloudformation and the deployed stack disagree:\n{}",
        differ.join("\n")
    );
    for (rule, want) in expect {
        let got = live_s.iter().find(|s| s.0 == *rule).unwrap();
        assert_eq!(got.1, *want, "{file}: {rule}: {}", got.2);
    }
    // The exit codes follow the same verdict: only the organization rules (not in a template)
    // and the live-only rules differ, and neither fails here.
    assert_eq!(live_code, lint_code, "{file}: exit codes (live {live:#})");
}

const PASS: &str = "pass";
const FAIL: &str = "fail";

#[test]
fn correct_yaml_with_short_forms_find_in_map_and_fn_if() {
    deployed(
        "correct.yaml",
        LintRole::Trusting,
        &[
            ("EKM101", PASS),
            ("EKM106", PASS),
            ("EKM201", PASS),
            ("EKM302", PASS),
            ("EKM303", PASS),
            ("EKM401", PASS),
            ("EKM403", PASS),
            ("EKM404", PASS),
        ],
    );
}

#[test]
fn correct_json_with_join_path_string_trust_and_managed_policy() {
    deployed(
        "correct.json",
        LintRole::Trusting,
        &[
            ("EKM201", PASS),
            ("EKM302", PASS),
            ("EKM303", PASS),
            ("EKM305", PASS),
            ("EKM401", PASS),
            ("EKM404", PASS),
        ],
    );
}

#[test]
fn trust_without_external_id() {
    deployed(
        "no-external-id.yaml",
        LintRole::Trusting,
        &[("EKM401", PASS), ("EKM403", FAIL)],
    );
}

#[test]
fn trust_with_another_external_id() {
    deployed(
        "external-id-mismatch.yaml",
        LintRole::Trusting,
        &[("EKM404", FAIL)],
    );
}

#[test]
fn alias_arn_in_the_role_policy_resource() {
    deployed(
        "alias-in-resource.yaml",
        LintRole::Trusting,
        &[("EKM302", FAIL), ("EKM303", FAIL), ("EKM304", FAIL)],
    );
}

#[test]
fn role_policy_names_another_key() {
    deployed(
        "resource-other-key.yaml",
        LintRole::Trusting,
        &[("EKM302", FAIL), ("EKM303", FAIL)],
    );
}

#[test]
fn key_policy_that_does_not_delegate_to_iam() {
    deployed(
        "key-policy-not-delegating.yaml",
        LintRole::Trusting,
        &[("EKM201", FAIL), ("EKM302", FAIL), ("EKM303", FAIL)],
    );
}

#[test]
fn key_policy_that_denies_the_role() {
    deployed(
        "key-policy-denies-role.yaml",
        LintRole::Trusting,
        &[("EKM202", FAIL), ("EKM302", PASS), ("EKM303", FAIL)],
    );
}

#[test]
fn key_policy_with_a_condition_openai_does_not_meet() {
    deployed(
        "key-policy-conditional.yaml",
        LintRole::Trusting,
        &[("EKM203", FAIL)],
    );
}

#[test]
fn key_policy_open_to_everyone() {
    deployed(
        "key-policy-public.yaml",
        LintRole::Trusting,
        &[("EKM204", FAIL), ("EKM201", PASS)],
    );
}

#[test]
fn key_policy_that_names_the_role_and_a_key_wildcard() {
    deployed(
        "key-policy-names-role.yaml",
        LintRole::Trusting,
        &[("EKM201", PASS), ("EKM302", PASS), ("EKM305", FAIL)],
    );
}

#[test]
fn trust_of_a_wrong_principal() {
    deployed(
        "wrong-principal.yaml",
        LintRole::Logical("EkmRole"),
        &[("EKM401", FAIL)],
    );
}

#[test]
fn trust_of_openai_s_whole_account() {
    deployed(
        "openai-account-root.yaml",
        LintRole::Trusting,
        &[("EKM402", FAIL)],
    );
}

#[test]
fn trust_of_any_principal() {
    deployed("trust-public.yaml", LintRole::Trusting, &[("EKM405", FAIL)]);
}

#[test]
fn trust_of_another_principal_too() {
    deployed(
        "trust-other-principals.yaml",
        LintRole::Trusting,
        &[("EKM406", FAIL)],
    );
}

#[test]
fn trust_that_denies_openai() {
    deployed(
        "trust-denies-openai.yaml",
        LintRole::Trusting,
        &[("EKM401", FAIL), ("EKM407", FAIL)],
    );
}

#[test]
fn role_policy_allowing_every_kms_action() {
    deployed(
        "kms-overbroad.yaml",
        LintRole::Trusting,
        &[("EKM302", PASS), ("EKM305", FAIL)],
    );
}

#[test]
fn role_policy_that_denies_decrypt_and_rotation_off() {
    deployed(
        "role-policy-denies-decrypt.yaml",
        LintRole::Trusting,
        &[("EKM106", FAIL), ("EKM303", FAIL), ("EKM201", PASS)],
    );
}

#[test]
fn permissions_boundary_that_blocks_the_role() {
    deployed(
        "boundary-blocks-role.yaml",
        LintRole::Trusting,
        &[("EKM307", FAIL), ("EKM302", FAIL)],
    );
}

#[test]
fn boundary_removed_with_no_value() {
    deployed(
        "no-value.yaml",
        LintRole::Trusting,
        &[("EKM302", PASS), ("EKM303", PASS), ("EKM307", PASS)],
    );
}

#[test]
fn generated_role_name_given_by_role_arn() {
    deployed(
        "generated-role-name.yaml",
        LintRole::StackArn,
        &[("EKM301", PASS), ("EKM302", PASS)],
    );
}

#[test]
fn two_keys_and_an_iam_policy_resource() {
    deployed(
        "two-keys.json",
        LintRole::Trusting,
        &[("EKM106", PASS), ("EKM201", PASS), ("EKM302", PASS)],
    );
}
