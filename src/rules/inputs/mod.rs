//! Inputs: is what was given well formed? The registration values (`kms_arn`, `role_arn`,
//! `external_id`) and every document, before anything is evaluated: ARN and ExternalId
//! grammar, JSON and IAM policy grammar, template placeholders left in.
//!
//! - EKM001 `kms-arn-malformed`
//! - EKM002 `role-arn-malformed`
//! - EKM003 `external-id-unexpected`
//! - EKM004 `policy-json-invalid`
//! - EKM005 `placeholder-left`
//! - EKM006 `policy-grammar`

pub(super) mod ekm001_kms_arn_malformed;
pub(super) mod ekm002_role_arn_malformed;
pub(super) mod ekm003_external_id_unexpected;
pub(super) mod ekm004_policy_json_invalid;
pub(super) mod ekm005_placeholder_left;
pub(super) mod ekm006_policy_grammar;
