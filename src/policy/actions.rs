//! The KMS and STS actions IAM knows, for spotting typos such as `kms:Decript`.

pub const KMS_ACTIONS: &[&str] = &[
    "CancelKeyDeletion",
    "ConnectCustomKeyStore",
    "CreateAlias",
    "CreateCustomKeyStore",
    "CreateGrant",
    "CreateKey",
    "Decrypt",
    "DeleteAlias",
    "DeleteCustomKeyStore",
    "DeleteImportedKeyMaterial",
    "DeriveSharedSecret",
    "DescribeCustomKeyStores",
    "DescribeKey",
    "DisableKey",
    "DisableKeyRotation",
    "DisconnectCustomKeyStore",
    "EnableKey",
    "EnableKeyRotation",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GenerateDataKeyWithoutPlaintext",
    "GenerateMac",
    "GenerateRandom",
    "GetKeyPolicy",
    "GetKeyRotationStatus",
    "GetParametersForImport",
    "GetPublicKey",
    "ImportKeyMaterial",
    "ListAliases",
    "ListGrants",
    "ListKeyPolicies",
    "ListKeyRotations",
    "ListKeys",
    "ListResourceTags",
    "ListRetirableGrants",
    "PutKeyPolicy",
    "ReEncryptFrom",
    "ReEncryptTo",
    "ReplicateKey",
    "RetireGrant",
    "RevokeGrant",
    "RotateKeyOnDemand",
    "ScheduleKeyDeletion",
    "Sign",
    "SynchronizeMultiRegionKey",
    "TagResource",
    "UntagResource",
    "UpdateAlias",
    "UpdateCustomKeyStore",
    "UpdateKeyDescription",
    "UpdatePrimaryRegion",
    "Verify",
    "VerifyMac",
];

pub const STS_ACTIONS: &[&str] = &[
    "AssumeRole",
    "AssumeRoleWithSAML",
    "AssumeRoleWithWebIdentity",
    "AssumeRoot",
    "DecodeAuthorizationMessage",
    "GetAccessKeyInfo",
    "GetCallerIdentity",
    "GetFederationToken",
    "GetServiceBearerToken",
    "GetSessionToken",
    "SetContext",
    "SetSourceIdentity",
    "TagSession",
];

/// ASCII case-insensitive order (the lists above are sorted in it, and in byte order: a test
/// checks).
fn cmp_ignore_case(a: &str, b: &str) -> std::cmp::Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

/// For `service:Name` (no wildcard) in a service we know: `Ok(())` if known, else `Err(suggestion)`.
pub fn check(action: &str) -> Result<(), Option<String>> {
    let Some([svc, name]) = super::pattern::split_n(action, b':') else {
        return Err(None);
    };
    let list = if svc.eq_ignore_ascii_case("kms") {
        KMS_ACTIONS
    } else if svc.eq_ignore_ascii_case("sts") {
        STS_ACTIONS
    } else {
        return Ok(());
    };
    if name.bytes().any(|b| b == b'*' || b == b'?') {
        return Ok(());
    }
    // As written (nearly always), then in any case.
    if list.binary_search(&name).is_ok()
        || list.binary_search_by(|a| cmp_ignore_case(a, name)).is_ok()
    {
        return Ok(());
    }
    // No action name is longer than 64 characters: nothing to suggest (and no quadratic work).
    if name.len() > 64 {
        return Err(None);
    }
    let lower = name.to_ascii_lowercase();
    let best = list
        .iter()
        .map(|a| (distance(&lower, &a.to_ascii_lowercase()), a))
        .min_by_key(|(d, _)| *d);
    Err(best
        .filter(|(d, _)| *d <= 3)
        .map(|(_, a)| format!("{}:{a}", svc.to_ascii_lowercase())))
}

/// Levenshtein distance. Strings are cut at 128 characters: this is for suggestions, and a
/// hostile input must not cost quadratic time.
pub fn distance(a: &str, b: &str) -> usize {
    let a: String = a.chars().take(128).collect();
    let a = a.as_str();
    let b: Vec<char> = b.chars().take(128).collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_lists_are_sorted_case_insensitively_so_every_name_is_found() {
        for list in [super::KMS_ACTIONS, super::STS_ACTIONS] {
            for w in list.windows(2) {
                assert!(w[0] < w[1], "{} before {} in byte order", w[0], w[1]);
                assert_eq!(
                    super::cmp_ignore_case(w[0], w[1]),
                    std::cmp::Ordering::Less,
                    "{} before {}",
                    w[0],
                    w[1]
                );
            }
        }
        for a in super::KMS_ACTIONS {
            assert_eq!(
                super::check(&format!("kms:{}", a.to_ascii_uppercase())),
                Ok(())
            );
            assert_eq!(super::check(&format!("kms:{a}")), Ok(()));
        }
        for a in super::STS_ACTIONS {
            assert_eq!(
                super::check(&format!("sts:{}", a.to_ascii_lowercase())),
                Ok(())
            );
        }
    }

    #[test]
    fn typos_get_suggestions() {
        assert_eq!(super::check("kms:Decrypt"), Ok(()));
        assert_eq!(super::check("KMS:encrypt"), Ok(()));
        assert_eq!(super::check("kms:Decript"), Err(Some("kms:Decrypt".into())));
        assert_eq!(
            super::check("sts:AssumeRol"),
            Err(Some("sts:AssumeRole".into()))
        );
        assert_eq!(super::check("s3:GetObjekt"), Ok(()));
        assert_eq!(super::check("kms:Enc*"), Ok(()));
    }
}
