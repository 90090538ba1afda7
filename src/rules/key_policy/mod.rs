//! Key policy: does the key policy let the role's session call `kms:Encrypt` and
//! `kms:Decrypt`, without a Deny, without conditions OpenAI's calls may not meet, and without
//! opening the key to anyone?
//!
//! - EKM201 `key-policy-blocks-role`
//! - EKM202 `key-policy-denies-role`
//! - EKM203 `key-policy-conditional`
//! - EKM204 `key-policy-public`

pub(super) mod ekm201_key_policy_blocks_role;
pub(super) mod ekm202_key_policy_denies_role;
pub(super) mod ekm203_key_policy_conditional;
pub(super) mod ekm204_key_policy_public;
