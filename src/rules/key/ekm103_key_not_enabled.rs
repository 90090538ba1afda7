//! EKM103 `key-not-enabled`: KMS refuses Encrypt and Decrypt unless `KeyState` is `Enabled`.

use crate::rules::support_inputs::{for_missing, key_id_args, meta_evidence, timestamp};
use crate::rules::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM103",
    slug: "key-not-enabled",
    severity: Severity::Error,
    family: Family::Key,
    summary: "the key is not enabled (disabled, pending deletion or import, unavailable, or a multi-Region key in transition)",
    doc: include_str!("../../../rules/EKM103-key-not-enabled.md"),
};

pub fn check(cx: &Cx<'_>) -> Outcome {
    if let Some(o) = for_missing(&cx.inputs.key, "the key's metadata") {
        return o;
    }
    let meta = cx.inputs.key.get().expect("present");
    let args = key_id_args(cx);
    let state_ev = meta_evidence(meta, "KeyState");
    let Some(state) = meta.str("KeyState") else {
        return match meta.bool("Enabled") {
            Some(false) => Outcome::fail("the key is disabled (Enabled is false; KeyState is not reported): KMS refuses Encrypt and Decrypt")
                .evidence(meta_evidence(meta, "Enabled"))
                .fix(format!("`aws kms enable-key {args}`")),
            Some(true) => Outcome::pass("the key is enabled (Enabled is true; KeyState is not reported)")
                .evidence(meta_evidence(meta, "Enabled")),
            None => Outcome::unknown("the key's metadata has neither KeyState nor Enabled").evidence(state_ev),
        };
    };
    let refuses = "KMS refuses Encrypt and Decrypt, so OpenAI can neither encrypt new data nor read existing data";
    match state {
        "Enabled" => Outcome::pass("the key is enabled (KeyState Enabled)").evidence(state_ev),
        "Disabled" => Outcome::fail(format!("the key is disabled (KeyState Disabled): {refuses}"))
            .evidence(state_ev)
            .fix(format!("`aws kms enable-key {args}`")),
        "PendingDeletion" => {
            let due = timestamp(meta, "DeletionDate")
                .map(|d| format!(" on {d}"))
                .unwrap_or_else(|| " (DeletionDate not reported)".into());
            let window = meta
                .0
                .get("PendingDeletionWindowInDays")
                .and_then(|v| v.as_u64())
                .map(|d| format!(", {d}-day waiting period"))
                .unwrap_or_default();
            Outcome::fail(format!(
                "the key is scheduled for deletion{due}{window} (KeyState PendingDeletion): {refuses}, and after deletion everything encrypted under it is lost for good"
            ))
            .evidence(state_ev)
            .evidence(meta_evidence(meta, "DeletionDate"))
            .fix(format!(
                "cancel the deletion before it is due, then enable the key (cancelling leaves it Disabled):\naws kms cancel-key-deletion {args}\naws kms enable-key {args}"
            ))
        }
        "PendingReplicaDeletion" => {
            let due = timestamp(meta, "DeletionDate").map(|d| format!(" (deletion due {d})")).unwrap_or_default();
            Outcome::fail(format!(
                "the multi-Region primary key is scheduled for deletion and waits for its replicas to be deleted{due} (KeyState PendingReplicaDeletion): {refuses}"
            ))
            .evidence(state_ev)
            .fix(format!(
                "cancel the deletion, then enable the key:\naws kms cancel-key-deletion {args}\naws kms enable-key {args}"
            ))
        }
        "PendingImport" => Outcome::fail(format!(
            "the key has no key material yet (KeyState PendingImport): it was created with Origin EXTERNAL and its material was never imported, or was deleted or expired; {refuses}"
        ))
        .evidence(state_ev)
        .fix(format!(
            "import the key material (the same material as before, if data was encrypted under it):\naws kms get-parameters-for-import {args} --wrapping-algorithm RSAES_OAEP_SHA_256 --wrapping-key-spec RSA_4096\naws kms import-key-material {args} --encrypted-key-material fileb://EncryptedKeyMaterial.bin --import-token fileb://ImportToken.bin --expiration-model KEY_MATERIAL_DOES_NOT_EXPIRE"
        )),
        "Unavailable" => {
            let store = meta.str("CustomKeyStoreId").unwrap_or("the custom key store");
            Outcome::fail(format!(
                "the key is unavailable (KeyState Unavailable): its custom key store {store} is disconnected; {refuses}"
            ))
            .evidence(state_ev)
            .evidence(meta_evidence(meta, "CustomKeyStoreId"))
            .fix(format!("reconnect the custom key store: `aws kms connect-custom-key-store --custom-key-store-id {store}`, then check it with `aws kms describe-custom-key-stores --custom-key-store-id {store}`"))
        }
        "Creating" => Outcome::fail(format!(
            "the multi-Region replica key is still being created (KeyState Creating): {refuses} until it is Enabled"
        ))
        .evidence(state_ev)
        .fix(format!("wait until `aws kms describe-key {args} --query KeyMetadata.KeyState` prints Enabled, then check again")),
        "Updating" => Outcome::fail(format!(
            "the multi-Region key's primary Region is being changed (KeyState Updating): {refuses} until the update completes"
        ))
        .evidence(state_ev)
        .fix(format!("wait until `aws kms describe-key {args} --query KeyMetadata.KeyState` prints Enabled, then check again")),
        other => Outcome::fail(format!("the key's KeyState is {other}, not Enabled: {refuses}"))
            .evidence(state_ev)
            .fix(format!("`aws kms enable-key {args}`")),
    }
}
