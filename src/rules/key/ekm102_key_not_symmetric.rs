//! EKM102 `key-not-symmetric`: OpenAI encrypts with a symmetric key: `KeySpec` must be
//! `SYMMETRIC_DEFAULT` and `KeyUsage` `ENCRYPT_DECRYPT`.

use serde_json::json;

use crate::rules::{Cx, Evidence, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM102",
    slug: "key-not-symmetric",
    severity: Severity::Error,
    family: Family::Key,
    summary: "the key is not a symmetric encryption key",
    doc: include_str!("../../../rules/EKM102-key-not-symmetric.md"),
};

pub fn check(cx: &Cx<'_>) -> Outcome {
    if let Some(o) = Outcome::for_missing(&cx.inputs.key, "the key's metadata") {
        return o;
    }
    let meta = cx.inputs.key.get().expect("present");
    let spec = meta
        .str("KeySpec")
        .or_else(|| meta.str("CustomerMasterKeySpec"));
    let usage = meta.str("KeyUsage");
    let ev = |field: &str, v: Option<&str>| {
        Evidence::new("key.metadata", &format!("/{field}"), v.map(|v| json!(v)))
    };
    let fix = "create a new key with key type Symmetric and usage Encrypt and decrypt \
               (`aws kms create-key --key-spec SYMMETRIC_DEFAULT --key-usage ENCRYPT_DECRYPT`), \
               then register its ARN; a key's spec and usage cannot be changed";
    match spec {
        Some("SYMMETRIC_DEFAULT") => {}
        Some(other) => {
            return Outcome::fail(format!(
                "the key's KeySpec is {other}: OpenAI needs a symmetric encryption key (SYMMETRIC_DEFAULT)"
            ))
            .evidence(ev("KeySpec", spec))
            .fix(fix);
        }
        None => {
            return Outcome::unknown("the key's metadata has no KeySpec")
                .evidence(ev("KeySpec", None));
        }
    }
    match usage {
        Some("ENCRYPT_DECRYPT") => Outcome::pass("the key is a symmetric encryption key (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT)")
            .evidence(ev("KeySpec", spec))
            .evidence(ev("KeyUsage", usage)),
        Some(other) => Outcome::fail(format!(
            "the key's KeyUsage is {other}: OpenAI needs ENCRYPT_DECRYPT"
        ))
        .evidence(ev("KeyUsage", usage))
        .fix(fix),
        // moto and older SDKs may omit KeyUsage; SYMMETRIC_DEFAULT is always ENCRYPT_DECRYPT.
        None => Outcome::pass("the key is SYMMETRIC_DEFAULT (KeyUsage not reported; a symmetric default key always encrypts and decrypts)")
            .evidence(ev("KeySpec", spec)),
    }
}
