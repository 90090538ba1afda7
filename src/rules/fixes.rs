//! The documents a fix pastes. `init` prints the same ones: one source for both.

use serde_json::{Value as J, json};

use super::paths::OPENAI_ROLE;

/// Pretty JSON, as a user pastes it.
pub fn pretty(v: &J) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// The identity-policy statement that lets the role use the key.
pub fn identity_statement(key_arn: &str) -> J {
    json!({
        "Sid": "AllowOpenAIEKMEncryptDecrypt",
        "Effect": "Allow",
        "Action": ["kms:Encrypt", "kms:Decrypt"],
        "Resource": key_arn
    })
}

/// The whole permissions policy of step 2.
pub fn identity_policy(key_arn: &str) -> J {
    json!({"Version": "2012-10-17", "Statement": [identity_statement(key_arn)]})
}

/// The key-policy statement that names the role (works with or without IAM delegation).
pub fn key_policy_statement(role_arn: &str) -> J {
    json!({
        "Sid": "AllowOpenAIEKMRole",
        "Effect": "Allow",
        "Principal": {"AWS": role_arn},
        "Action": ["kms:Encrypt", "kms:Decrypt"],
        "Resource": "*"
    })
}

/// The trust-policy statement of step 3.
pub fn trust_statement(external_id: &str) -> J {
    json!({
        "Sid": "AllowOpenAIEKM",
        "Effect": "Allow",
        "Principal": {"AWS": OPENAI_ROLE},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": external_id}}
    })
}

/// The whole trust policy of step 3.
pub fn trust_policy(external_id: &str) -> J {
    json!({"Version": "2012-10-17", "Statement": [trust_statement(external_id)]})
}

/// `external_id` as registered, or a marked placeholder when unknown.
pub fn external_id_or_placeholder(x: Option<&str>) -> String {
    x.unwrap_or("org-YOUR_OPENAI_ORG_ID").to_string()
}

/// The minimal read-only policy for the identity that runs `ekm-check check` (and `--live`).
/// Scoped to the registered key and role when they are known.
pub fn checker_policy(reg: &crate::inputs::Registration) -> J {
    let key = reg
        .kms_arn
        .as_deref()
        .filter(|a| a.contains(":key/"))
        .unwrap_or("arn:aws:kms:*:*:key/*");
    let role = reg.role_arn.as_deref().unwrap_or("arn:aws:iam::*:role/*");
    let account = reg
        .role_arn
        .as_deref()
        .and_then(|r| r.split(':').nth(4))
        .unwrap_or("*");
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EkmCheckReadKey",
                "Effect": "Allow",
                "Action": ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListGrants", "kms:ListResourceTags"],
                "Resource": key
            },
            {
                "Sid": "EkmCheckListAliases",
                "Effect": "Allow",
                "Action": "kms:ListAliases",
                "Resource": "*"
            },
            {
                "Sid": "EkmCheckReadRole",
                "Effect": "Allow",
                "Action": ["iam:GetRole", "iam:ListRolePolicies", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies"],
                "Resource": role
            },
            {
                "Sid": "EkmCheckReadManagedPolicies",
                "Effect": "Allow",
                "Action": ["iam:GetPolicy", "iam:GetPolicyVersion"],
                "Resource": [format!("arn:aws:iam::{account}:policy/*"), "arn:aws:iam::aws:policy/*".to_string()]
            },
            {
                "Sid": "EkmCheckDescribeOrganization",
                "Effect": "Allow",
                "Action": "organizations:DescribeOrganization",
                "Resource": "*"
            },
            {
                "Sid": "EkmCheckLiveSelfTestOptional",
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": role
            }
        ]
    })
}

/// `policy` with the statement `--evidence` needs: `cloudtrail:LookupEvents` (read-only; it
/// takes no resource-level permission, so `*`).
pub fn with_lookup_events(mut policy: J) -> J {
    if let Some(st) = policy.get_mut("Statement").and_then(J::as_array_mut) {
        st.push(json!({
            "Sid": "EkmCheckReadCloudTrailEventHistory",
            "Effect": "Allow",
            "Action": "cloudtrail:LookupEvents",
            "Resource": "*"
        }));
    }
    policy
}

/// The statement of AWS's default key policy: the key's account may use the key, which
/// delegates to IAM (the account's IAM policies then decide who may).
pub fn default_key_policy_statement(partition: &str, key_account: &str) -> J {
    json!({
        "Sid": "Enable IAM User Permissions",
        "Effect": "Allow",
        "Principal": {"AWS": format!("arn:{partition}:iam::{key_account}:root")},
        "Action": "kms:*",
        "Resource": "*"
    })
}

/// A whole key policy for a key in another account than the role: AWS's default statement,
/// and the statement that names the role.
pub fn cross_account_key_policy(partition: &str, key_account: &str, role_arn: &str) -> J {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            default_key_policy_statement(partition, key_account),
            key_policy_statement(role_arn)
        ]
    })
}
