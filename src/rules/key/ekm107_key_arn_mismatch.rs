//! EKM107 `key-arn-mismatch`: the key found must be the key `kms_arn` names: same partition,
//! region and account (and key id for a key ARN). Multi-Region keys share their id across
//! regions, but each replica is a key of its own.

use serde_json::json;

use crate::inputs::Part;
use crate::rules::support_inputs::{Field, KmsResource, aws_error, parse_kms_arn, reg_evidence};
use crate::rules::{Cx, Evidence, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM107",
    slug: "key-arn-mismatch",
    severity: Severity::Error,
    family: Family::Key,
    summary: "the region, account or key id in kms_arn differ from the key found (e.g. another multi-Region replica)",
    doc: include_str!("../../../rules/EKM107-key-arn-mismatch.md"),
};

pub fn check(cx: &Cx<'_>) -> Outcome {
    let meta = match &cx.inputs.key {
        Part::Present(m) => m,
        Part::Absent(r) => {
            return Outcome::skipped(format!("the key's metadata was not given ({r})"));
        }
        Part::Error(e) => {
            return Outcome::unknown(format!(
                "the key's metadata could not be read: {}",
                aws_error(e)
            ));
        }
    };
    let Some(v) = Field::KmsArn.value(cx) else {
        return Outcome::skipped("kms_arn is not given: there is nothing to compare the key with");
    };
    let Ok(reg) = parse_kms_arn(v) else {
        return Outcome::skipped(format!("kms_arn {v} is not a valid KMS ARN (see EKM001)"));
    };
    let arn_ev = Evidence::new("key.metadata", "/Arn", meta.0.get("Arn").cloned());
    let Some(found_arn) = meta.str("Arn") else {
        return Outcome::unknown("the key's metadata has no Arn to compare kms_arn with")
            .evidence(arn_ev);
    };
    let Ok(found) = parse_kms_arn(found_arn) else {
        return Outcome::unknown(format!("the key's Arn {found_arn} is not a KMS key ARN"))
            .evidence(arn_ev);
    };
    let evs = || vec![reg_evidence(Field::KmsArn, Some(v)), arn_ev.clone()];
    let register = format!(
        "register the key's ARN, {found_arn}, or collect the snapshot from the key kms_arn names"
    );

    // Multi-Region: same id, other region.
    if let (KmsResource::Mrk(a), KmsResource::Mrk(b)) = (&reg.resource, &found.resource) {
        if a == b && reg.region != found.region {
            return Outcome::fail(format!(
                "kms_arn names the multi-Region key {a} in {}, but the key found is its related key in {}: related multi-Region keys share their id, but each is a key of its own, and key policies, grants, aliases and enabled state are not synchronised between them; OpenAI uses the one in {}",
                reg.region, found.region, reg.region
            ))
            .evidences(evs())
            .fix(format!(
                "check the key in {} (`ekm-check snapshot --region {}`), or register the ARN of the key that was checked, {found_arn}",
                reg.region, reg.region
            ));
        }
    }
    let mut diffs = Vec::new();
    if reg.partition != found.partition {
        diffs.push(format!(
            "partition {} vs {}",
            reg.partition, found.partition
        ));
    }
    if reg.account != found.account {
        diffs.push(format!("account {} vs {}", reg.account, found.account));
    }
    if reg.region != found.region {
        diffs.push(format!("region {} vs {}", reg.region, found.region));
    }
    if let (Some(a), Some(b)) = (reg.key_id(), found.key_id()) {
        if a != b {
            diffs.push(format!("key id {a} vs {b}"));
        }
    }
    if !diffs.is_empty() {
        return Outcome::fail(format!(
            "kms_arn {v} does not name the key found, {found_arn}: {}",
            diffs.join(", ")
        ))
        .evidences(evs())
        .fix(register);
    }
    if let Some(alias) = reg.alias() {
        if let Part::Present(aliases) = &cx.inputs.aliases {
            let names: Vec<&str> = aliases
                .iter()
                .map(|a| a.find("alias/").map_or(a.as_str(), |i| &a[i..]))
                .collect();
            if !names.contains(&alias.as_str()) {
                return Outcome::fail(format!(
                    "kms_arn names {alias}, but the key found, {found_arn}, does not have that alias (its aliases: {}): the alias points to another key, or to none",
                    if names.is_empty() { "none".to_string() } else { names.join(", ") }
                ))
                .evidences(evs())
                .evidence(Evidence::new("key.aliases", "", Some(json!(aliases))))
                .fix(register);
            }
        }
        return Outcome::pass(format!(
            "kms_arn {alias} is in the key's account and region, and resolves to the key {found_arn}"
        ))
        .evidences(evs());
    }
    Outcome::pass(format!("kms_arn names the key found, {found_arn}")).evidences(evs())
}
