//! Trust: does the role's trust policy let OpenAI's principal, and only it, assume the role
//! with the registered ExternalId?
//!
//! - EKM401 `trust-blocks-openai`
//! - EKM402 `trust-principal-broad`
//! - EKM403 `external-id-not-required`
//! - EKM404 `external-id-mismatch`
//! - EKM405 `trust-public`
//! - EKM406 `trust-other-principals`
//! - EKM407 `trust-denies-openai`
//!
//! [`support`] holds the helpers only this family uses.

pub mod support;

pub(super) mod ekm401_trust_blocks_openai;
pub(super) mod ekm402_trust_principal_broad;
pub(super) mod ekm403_external_id_not_required;
pub(super) mod ekm404_external_id_mismatch;
pub(super) mod ekm405_trust_public;
pub(super) mod ekm406_trust_other_principals;
pub(super) mod ekm407_trust_denies_openai;
