//! Role: does the role exist, and may its session call `kms:Encrypt` and `kms:Decrypt` on
//! the key (identity policies and permissions boundary), and nothing more than it needs?
//!
//! - EKM301 `role-missing`
//! - EKM302 `role-cannot-encrypt`
//! - EKM303 `role-cannot-decrypt`
//! - EKM304 `policy-resource-is-alias`
//! - EKM305 `role-kms-overbroad`
//! - EKM306 `role-grants-beyond-kms`
//! - EKM307 `boundary-blocks-role`

pub(super) mod ekm301_role_missing;
pub(super) mod ekm302_role_cannot_encrypt;
pub(super) mod ekm303_role_cannot_decrypt;
pub(super) mod ekm304_policy_resource_is_alias;
pub(super) mod ekm305_role_kms_overbroad;
pub(super) mod ekm306_role_grants_beyond_kms;
pub(super) mod ekm307_boundary_blocks_role;
