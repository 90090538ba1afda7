//! Key: is the KMS key one OpenAI can use? It exists, is a symmetric encryption key, is
//! enabled and customer managed, its material does not expire, rotation is on, and it is the key
//! `kms_arn` names.
//!
//! - EKM101 `key-missing`
//! - EKM102 `key-not-symmetric`
//! - EKM103 `key-not-enabled`
//! - EKM104 `key-not-customer-managed`
//! - EKM105 `key-material-expires`
//! - EKM106 `key-rotation-off`
//! - EKM107 `key-arn-mismatch`

pub(super) mod ekm101_key_missing;
pub(super) mod ekm102_key_not_symmetric;
pub(super) mod ekm103_key_not_enabled;
pub(super) mod ekm104_key_not_customer_managed;
pub(super) mod ekm105_key_material_expires;
pub(super) mod ekm106_key_rotation_off;
pub(super) mod ekm107_key_arn_mismatch;
