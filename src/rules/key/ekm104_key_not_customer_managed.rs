//! EKM104 `key-not-customer-managed`: OpenAI needs a customer managed key; an AWS managed key's
//! policy cannot be changed, so it can never let the role in.

use crate::rules::support_inputs::{for_missing, meta_evidence};
use crate::rules::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM104",
    slug: "key-not-customer-managed",
    severity: Severity::Error,
    family: Family::Key,
    summary: "the key is not a customer managed key",
    doc: include_str!("../../../rules/EKM104-key-not-customer-managed.md"),
};

pub fn check(cx: &Cx<'_>) -> Outcome {
    if let Some(o) = for_missing(&cx.inputs.key, "the key's metadata") {
        return o;
    }
    let meta = cx.inputs.key.get().expect("present");
    let ev = meta_evidence(meta, "KeyManager");
    match meta.str("KeyManager") {
        Some("CUSTOMER") => Outcome::pass("the key is customer managed (KeyManager CUSTOMER)").evidence(ev),
        Some(other) => Outcome::fail(format!(
            "the key is {} (KeyManager {other}): AWS managed keys cannot be used, their key policies cannot be changed to let the role in",
            if other == "AWS" { "an AWS managed key" } else { "not customer managed" }
        ))
        .evidence(ev)
        .fix(
            "create a customer managed key (`aws kms create-key --key-spec SYMMETRIC_DEFAULT --key-usage ENCRYPT_DECRYPT --description \"OpenAI EKM\"`), \
             give the role access to it, and register its ARN",
        ),
        None => Outcome::unknown("the key's metadata has no KeyManager").evidence(ev),
    }
}
