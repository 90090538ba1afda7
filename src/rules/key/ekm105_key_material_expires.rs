//! EKM105 `key-material-expires`: imported key material that expires (`ValidTo`) is deleted by
//! KMS, and a key in a custom key store (CloudHSM or external) stops working when the store is
//! disconnected.

use crate::rules::support_inputs::{for_missing, key_id_args, meta_evidence, timestamp};
use crate::rules::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM105",
    slug: "key-material-expires",
    severity: Severity::Warning,
    family: Family::Key,
    summary: "imported key material expires, or a custom key store can become unavailable",
    doc: include_str!("../../../rules/EKM105-key-material-expires.md"),
};

pub fn check(cx: &Cx<'_>) -> Outcome {
    if let Some(o) = for_missing(&cx.inputs.key, "the key's metadata") {
        return o;
    }
    let meta = cx.inputs.key.get().expect("present");
    let origin_ev = meta_evidence(meta, "Origin");
    let Some(origin) = meta.str("Origin") else {
        return Outcome::unknown("the key's metadata has no Origin").evidence(origin_ev);
    };
    match origin {
        "AWS_KMS" => Outcome::pass("KMS generated the key material (Origin AWS_KMS): it does not expire").evidence(origin_ev),
        "EXTERNAL" => match meta.str("ExpirationModel") {
            Some("KEY_MATERIAL_EXPIRES") => {
                let when = timestamp(meta, "ValidTo").unwrap_or_else(|| "a date not reported (ValidTo missing)".into());
                Outcome::fail(format!(
                    "the key's imported material expires at {when} (Origin EXTERNAL, ExpirationModel KEY_MATERIAL_EXPIRES): KMS then deletes it, the key becomes PendingImport, and OpenAI can neither encrypt nor decrypt"
                ))
                .evidence(origin_ev)
                .evidence(meta_evidence(meta, "ExpirationModel"))
                .evidence(meta_evidence(meta, "ValidTo"))
                .fix(format!(
                    "re-import the same key material without expiry before ValidTo:\naws kms get-parameters-for-import {args} --wrapping-algorithm RSAES_OAEP_SHA_256 --wrapping-key-spec RSA_4096\naws kms import-key-material {args} --encrypted-key-material fileb://EncryptedKeyMaterial.bin --import-token fileb://ImportToken.bin --expiration-model KEY_MATERIAL_DOES_NOT_EXPIRE",
                    args = key_id_args(cx)
                ))
            }
            Some(m) => Outcome::pass(format!(
                "the key's imported material does not expire (Origin EXTERNAL, ExpirationModel {m}); keep a copy: if it is deleted, only re-importing the same material restores the key"
            ))
            .evidence(origin_ev)
            .evidence(meta_evidence(meta, "ExpirationModel")),
            None => Outcome::unknown("the key's material is imported (Origin EXTERNAL) but its metadata has no ExpirationModel")
                .evidence(origin_ev),
        },
        "AWS_CLOUDHSM" | "EXTERNAL_KEY_STORE" => {
            let store = meta.str("CustomKeyStoreId").unwrap_or("(CustomKeyStoreId not reported)");
            let kind = if origin == "AWS_CLOUDHSM" { "an AWS CloudHSM key store" } else { "an external key store (XKS)" };
            Outcome::fail(format!(
                "the key lives in {kind}, custom key store {store} (Origin {origin}): it can become unavailable (disconnected), and then OpenAI can neither encrypt nor decrypt"
            ))
            .evidence(origin_ev)
            .evidence(meta_evidence(meta, "CustomKeyStoreId"))
            .fix(format!(
                "monitor the key store's connection (`aws kms describe-custom-key-stores --custom-key-store-id {store}`, ConnectionState CONNECTED) and alarm on it, or use a key with Origin AWS_KMS"
            ))
        }
        other => Outcome::unknown(format!("the key's Origin is {other}, which ekm-check does not know")).evidence(origin_ev),
    }
}
