//! Organization: do the organization's guardrails (SCPs and RCPs on the role's and the key's
//! account paths) let OpenAI's AssumeRole and the session's Encrypt/Decrypt through?
//!
//! - EKM601 `org-policies-unseen`
//! - EKM602 `rcp-blocks-openai`
//! - EKM603 `scp-blocks-role`
//! - EKM604 `rcp-blocks-kms`
//!
//! [`support`] holds the helpers only this family uses.

pub mod support;

pub(super) mod ekm601_org_policies_unseen;
pub(super) mod ekm602_rcp_blocks_openai;
pub(super) mod ekm603_scp_blocks_role;
pub(super) mod ekm604_rcp_blocks_kms;
