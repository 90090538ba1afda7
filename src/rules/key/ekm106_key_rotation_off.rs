//! EKM106 `key-rotation-off`: automatic rotation of the key material is good practice (OpenAI
//! keeps working across rotations: KMS keeps the old material for Decrypt).

use serde_json::json;

use crate::rules::support_inputs::{for_missing, key_id_args, meta_evidence};
use crate::rules::{Cx, Evidence, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM106",
    slug: "key-rotation-off",
    severity: Severity::Info,
    family: Family::Key,
    summary: "automatic key rotation is off",
    doc: include_str!("../../../rules/EKM106-key-rotation-off.md"),
};

pub fn check(cx: &Cx<'_>) -> Outcome {
    if let Some(meta) = cx.inputs.key.get() {
        if let Some(o @ ("EXTERNAL" | "AWS_CLOUDHSM" | "EXTERNAL_KEY_STORE")) = meta.str("Origin") {
            let why = if o == "EXTERNAL" {
                "automatic rotation is not supported for imported key material: rotate it by hand"
            } else {
                "automatic rotation is not supported for keys in a custom key store"
            };
            return Outcome::skipped(format!("{why} (Origin {o})"))
                .evidence(meta_evidence(meta, "Origin"));
        }
        if let Some(spec) = meta.str("KeySpec").filter(|s| *s != "SYMMETRIC_DEFAULT") {
            return Outcome::skipped(format!(
                "automatic rotation applies to symmetric encryption keys only (KeySpec {spec}, see EKM102)"
            ))
            .evidence(meta_evidence(meta, "KeySpec"));
        }
    }
    if let Some(o) = for_missing(&cx.inputs.rotation, "the key's rotation status") {
        return o;
    }
    let on = *cx.inputs.rotation.get().expect("present");
    let ev = Evidence::new("key.rotation_enabled", "", Some(json!(on)));
    if on {
        Outcome::pass("automatic key rotation is on").evidence(ev)
    } else {
        Outcome::fail("automatic key rotation is off: the key material is never rotated")
            .evidence(ev)
            .fix(format!(
                "`aws kms enable-key-rotation {}` (add --rotation-period-in-days 90 to 2560 for another period than a year); OpenAI keeps working, KMS keeps older material for Decrypt",
                key_id_args(cx)
            ))
    }
}
