//! EKM002 `role-arn-malformed`: `role_arn` must be `arn:<partition>:iam::<account>:role/<path/>name`,
//! not a session (`arn:aws:sts::…:assumed-role/…`), a user or an account.

use crate::rules::support_inputs::{Field, example, parse_role_arn, reg_evidence, required};
use crate::rules::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM002",
    slug: "role-arn-malformed",
    severity: Severity::Error,
    family: Family::Inputs,
    summary: "role_arn is not an IAM role ARN",
    doc: include_str!("../../../rules/EKM002-role-arn-malformed.md"),
};

pub fn check(cx: &Cx<'_>) -> Outcome {
    let v = match required(cx, Field::RoleArn) {
        Ok(v) => v,
        Err(o) => return o,
    };
    let ev = reg_evidence(Field::RoleArn, Some(v));
    match parse_role_arn(v) {
        Ok(r) => {
            let path = if r.path == "/" {
                String::new()
            } else {
                format!(" (path {})", r.path)
            };
            Outcome::pass(format!(
                "role_arn {v} is an IAM role ARN: role {}{path} in account {}",
                r.name, r.account
            ))
            .evidence(ev)
        }
        Err(p) => {
            let fix = p.fix.unwrap_or_else(|| {
                format!(
                    "register the role's ARN, as the IAM console shows it or `aws iam get-role --role-name <name> --query Role.Arn --output text` prints it, e.g. {}",
                    example(Field::RoleArn)
                )
            });
            Outcome::fail(p.message).evidence(ev).fix(fix)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::Inputs;
    use crate::rules::Status;

    fn run(v: Option<&str>, lint: bool) -> Outcome {
        let mut i = Inputs::empty("test");
        i.lint = lint;
        i.registration.role_arn = v.map(str::to_string);
        check(&Cx::new(&i))
    }

    #[test]
    fn statuses() {
        assert_eq!(run(None, true).status, Status::Skipped);
        assert_eq!(run(None, false).status, Status::Fail);
        let o = run(Some("arn:aws:iam::111122223333:role/ekm/openai-ekm"), false);
        assert_eq!(o.status, Status::Pass, "{}", o.message);
        assert!(o.message.contains("path /ekm/"));
        let o = run(
            Some("arn:aws:sts::111122223333:assumed-role/openai-ekm/me"),
            false,
        );
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.contains("not a role"), "{}", o.message);
        assert!(
            o.remediation
                .unwrap()
                .contains("aws iam get-role --role-name openai-ekm")
        );
        assert_eq!(
            run(Some("arn:aws:iam::111122223333:user/alice"), false).status,
            Status::Fail
        );
    }
}
