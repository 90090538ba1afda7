//! EKM301 `role-missing`: the role OpenAI assumes must exist, and be the registered one.

use serde_json::json;

use crate::inputs::Part;
use crate::rules::fixes::{external_id_or_placeholder, pretty, trust_policy};
use crate::rules::support_inputs::{
    Field, aws_error, is_access_denied, is_not_found, parse_role_arn, reg_evidence,
};
use crate::rules::{Cx, Evidence, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM301",
    slug: "role-missing",
    severity: Severity::Error,
    family: Family::Role,
    summary: "the role cannot be found, or is not the registered role",
    doc: include_str!("../../../rules/EKM301-role-missing.md"),
};

pub fn check(cx: &Cx<'_>) -> Outcome {
    let reg = Field::RoleArn.value(cx);
    match &cx.inputs.role {
        Part::Absent(r) => Outcome::skipped(format!("the role was not given ({r})")),
        Part::Error(e) if is_not_found(e) => {
            let parsed = reg.and_then(|v| parse_role_arn(v).ok());
            let (name, path) = parsed
                .as_ref()
                .map(|r| (r.name.as_str(), r.path.as_str()))
                .unwrap_or(("openai-ekm", "/"));
            let path_arg = if path == "/" {
                String::new()
            } else {
                format!(" --path {path}")
            };
            let ext = external_id_or_placeholder(Field::ExternalId.value(cx));
            Outcome::fail(format!(
                "the role {} cannot be found: {}",
                reg.unwrap_or("(role_arn not given)"),
                aws_error(e)
            ))
            .evidence(Evidence::new("role", "", Some(json!(e))))
            .evidence(reg_evidence(Field::RoleArn, reg))
            .fix(format!(
                "create the role with OpenAI's trust policy, then attach the permissions policy of step 2:\n\
                 aws iam create-role --role-name {name}{path_arg} --assume-role-policy-document file://trust-policy.json\n\
                 with trust-policy.json:\n{}",
                pretty(&trust_policy(&ext))
            ))
        }
        Part::Error(e) => {
            let mut o = Outcome::unknown(format!("the role could not be read: {}", aws_error(e)))
                .evidence(Evidence::new("role", "", Some(json!(e))));
            if is_access_denied(e) {
                o = o.fix("let the checking identity call iam:GetRole, iam:ListRolePolicies, iam:GetRolePolicy, iam:ListAttachedRolePolicies and iam:GetPolicyVersion on the role, then collect again");
            }
            o
        }
        Part::Present(role) => {
            let arn_ev = Evidence::new("role", "/Arn", role.arn.as_deref().map(|a| json!(a)));
            match (reg, role.arn.as_deref()) {
                (Some(r), Some(found)) if r != found && parse_role_arn(r).is_err() => Outcome::fail(format!(
                    "the registered role_arn {r} is not a role ARN (see EKM002); the snapshot holds the role {found}"
                ))
                .evidence(reg_evidence(Field::RoleArn, Some(r)))
                .evidence(arn_ev)
                .fix(format!("register the role's ARN, {found}")),
                (Some(r), Some(found)) if r != found => {
                    let why = if r.eq_ignore_ascii_case(found) {
                        " (they differ in upper and lower case only; register the ARN exactly as IAM shows it)"
                    } else {
                        ""
                    };
                    Outcome::fail(format!(
                        "the role in the snapshot, {found}, is not the registered role {r}{why}: the checks ran on another role than the one OpenAI assumes"
                    ))
                    .evidence(reg_evidence(Field::RoleArn, Some(r)))
                    .evidence(arn_ev)
                    .fix(format!(
                        "collect the snapshot for {r}, or register the role that was checked, {found}"
                    ))
                }
                (_, Some(found)) => Outcome::pass(format!("found the role {found}")).evidence(arn_ev),
                (Some(r), None) => Outcome::pass(format!("found the role {r} (the snapshot does not record its Arn)")),
                (None, None) => Outcome::pass("found the role (the snapshot does not record its Arn)"),
            }
        }
    }
}
