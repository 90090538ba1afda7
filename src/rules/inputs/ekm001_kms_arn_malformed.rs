//! EKM001 `kms-arn-malformed`: `kms_arn` must be `arn:<partition>:kms:<region>:<account>:key/<uuid>`,
//! `key/mrk-<32 hex>` or `alias/<name>` (not an AWS managed `alias/aws/…`).

use crate::rules::support_inputs::{Field, KmsResource, parse_kms_arn, reg_evidence, required};
use crate::rules::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM001",
    slug: "kms-arn-malformed",
    severity: Severity::Error,
    family: Family::Inputs,
    summary: "kms_arn is not a key ARN, a multi-Region key ARN or an alias ARN",
    doc: include_str!("../../../rules/EKM001-kms-arn-malformed.md"),
};

pub fn check(cx: &Cx<'_>) -> Outcome {
    let v = match required(cx, Field::KmsArn) {
        Ok(v) => v,
        Err(o) => return o,
    };
    let ev = reg_evidence(Field::KmsArn, Some(v));
    match parse_kms_arn(v) {
        Ok(a) => {
            let what = match &a.resource {
                KmsResource::Key(id) => format!("a key ARN (key {id})"),
                KmsResource::Mrk(id) => format!("a multi-Region key ARN (key {id})"),
                KmsResource::Alias(n) => {
                    format!("an alias ARN (alias/{n}; OpenAI resolves it to the key it points to)")
                }
            };
            Outcome::pass(format!(
                "kms_arn {v} is {what} in account {} and region {}",
                a.account, a.region
            ))
            .evidence(ev)
        }
        Err(p) => {
            let mut o = Outcome::fail(p.message).evidence(ev);
            if let Some(f) = p.fix {
                o = o.fix(f);
            } else {
                o = o.fix(format!(
                    "register the key's ARN, as the KMS console shows it or `aws kms describe-key --key-id <key id or alias/name> --query KeyMetadata.Arn --output text` prints it, e.g. {}",
                    crate::rules::support_inputs::example(Field::KmsArn)
                ));
            }
            o
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
        i.registration.kms_arn = v.map(str::to_string);
        check(&Cx::new(&i))
    }

    #[test]
    fn statuses() {
        assert_eq!(run(None, true).status, Status::Skipped);
        let o = run(None, false);
        assert_eq!(o.status, Status::Fail);
        assert!(
            o.message.starts_with("kms_arn is not given"),
            "{}",
            o.message
        );
        let o = run(
            Some("arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
            false,
        );
        assert_eq!(o.status, Status::Pass, "{}", o.message);
        assert_eq!(o.evidence[0].pointer, "/kms_arn");
        let o = run(Some("1234abcd-12ab-34cd-56ef-1234567890ab"), false);
        assert_eq!(o.status, Status::Fail);
        assert!(
            o.remediation
                .unwrap()
                .contains("aws kms describe-key --key-id 1234abcd")
        );
        let o = run(
            Some("arn:aws:kms:us-east-1:111122223333:alias/aws/ebs"),
            false,
        );
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.contains("AWS managed"));
    }
}
