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
                // A template's role whose ARN is known only at deployment (no RoleName, or no
                // --account).
                (Some(r), None) if cx.inputs.lint => Outcome::pass(format!(
                    "the template defines the role; its ARN is known only at deployment, so the registered {r} is taken to be it"
                )),
                (None, None) if cx.inputs.lint => Outcome::pass(
                    "the template defines the role; its ARN is known only at deployment (give --role-arn, or --account for a role with a RoleName)",
                ),
                (Some(r), None) => Outcome::pass(format!("found the role {r} (the snapshot does not record its Arn)")),
                (None, None) => Outcome::pass("found the role (the snapshot does not record its Arn)"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::{Inputs, RoleInfo};
    use crate::rules::Status;
    use crate::rules::support_keypolicy::run;

    #[test]
    fn a_template_role_whose_arn_is_open_is_not_described_as_a_snapshot() {
        let mut i = Inputs::empty("t.yaml defines no key");
        i.lint = true;
        i.role = Part::Present(RoleInfo {
            arn: None,
            role_id: None,
        });
        let o = run(check, &i);
        assert_eq!(o.status, Status::Pass, "{}", o.message);
        assert!(
            o.message.contains("known only at deployment"),
            "{}",
            o.message
        );
        assert!(!o.message.contains("snapshot"), "{}", o.message);
        i.registration.role_arn = Some("arn:aws:iam::111122223333:role/r".into());
        let o = run(check, &i);
        assert!(
            o.message
                .contains("the registered arn:aws:iam::111122223333:role/r"),
            "{}",
            o.message
        );
        i.lint = false;
        assert!(
            run(check, &i)
                .message
                .contains("the snapshot does not record its Arn")
        );
    }
}
