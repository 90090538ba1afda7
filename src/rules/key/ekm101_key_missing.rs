//! EKM101 `key-missing`: DescribeKey on `kms_arn` must find the key (for an alias ARN: the alias
//! must point to a key).

use crate::inputs::Part;
use crate::rules::support_inputs::{
    Field, aws_error, is_access_denied, is_not_found, parse_kms_arn, reg_evidence,
};
use crate::rules::{Cx, Evidence, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM101",
    slug: "key-missing",
    severity: Severity::Error,
    family: Family::Key,
    summary: "the key cannot be found, or the alias points nowhere",
    doc: include_str!("../../../rules/EKM101-key-missing.md"),
};

pub fn check(cx: &Cx<'_>) -> Outcome {
    let kms_arn = Field::KmsArn.value(cx);
    let parsed = kms_arn.and_then(|v| parse_kms_arn(v).ok());
    let named = kms_arn.unwrap_or("kms_arn");
    match &cx.inputs.key {
        Part::Absent(r) => Outcome::skipped(format!("the key's metadata was not given ({r})")),
        Part::Present(m) => {
            let arn = m
                .str("Arn")
                .or_else(|| m.str("KeyId"))
                .unwrap_or("(no Arn in the metadata)");
            let via = match parsed.as_ref().and_then(|a| a.alias()) {
                Some(alias) => format!(" ({alias} points to it)"),
                None => String::new(),
            };
            Outcome::pass(format!("found the key {arn}{via}")).evidence(Evidence::new(
                "key.metadata",
                "/Arn",
                m.0.get("Arn").cloned(),
            ))
        }
        Part::Error(e) if is_not_found(e) => {
            let ev = Evidence::new("key.metadata", "", Some(serde_json::json!(e)));
            let region = parsed
                .as_ref()
                .map(|a| format!(" --region {}", a.region))
                .unwrap_or_default();
            match parsed.as_ref().and_then(|a| a.alias().map(|al| (a, al))) {
                Some((a, alias)) => Outcome::fail(format!(
                    "the alias {alias} points to no key in account {} and region {}: {}",
                    a.account,
                    a.region,
                    aws_error(e)
                ))
                .evidence(ev)
                .evidence(reg_evidence(Field::KmsArn, kms_arn))
                .fix(format!(
                    "point the alias at the key (`aws kms create-alias --alias-name {alias} --target-key-id <key id>{region}`, or `aws kms update-alias` when it exists), \
                     or better, register the key's own ARN: OpenAI loses access when an alias is re-pointed"
                )),
                None => Outcome::fail(format!("the key cannot be found: {}", aws_error(e)))
                    .evidence(ev)
                    .evidence(reg_evidence(Field::KmsArn, kms_arn))
                    .fix(format!(
                        "check the region, account and key id in {named}: list the keys with `aws kms list-keys{region}` \
                         and register the ARN that `aws kms describe-key --key-id <key id>{region} --query KeyMetadata.Arn --output text` prints; \
                         a key that was deleted cannot be recovered, create a new one"
                    )),
            }
        }
        Part::Error(e) => {
            let ev = Evidence::new("key.metadata", "", Some(serde_json::json!(e)));
            if is_access_denied(e) {
                return Outcome::unknown(format!(
                    "whether the key exists is unknown: the checking identity may not call kms:DescribeKey on {named} ({})",
                    aws_error(e)
                ))
                .evidence(ev)
                .fix(format!(
                    "let the checking identity call kms:DescribeKey on {named} (and kms:GetKeyPolicy, kms:GetKeyRotationStatus, kms:ListAliases, kms:ListGrants), then collect again"
                ));
            }
            Outcome::unknown(format!(
                "the key's metadata could not be read: {}",
                aws_error(e)
            ))
            .evidence(ev)
        }
    }
}
