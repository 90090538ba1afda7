//! Evidence: what OpenAI's real calls did, as CloudTrail's event history recorded them (only
//! with `--evidence`; otherwise `skipped`). The role's `AssumeRole` events by OpenAI's account,
//! and the key's `Encrypt`/`Decrypt` events by sessions of the role that are OpenAI's, in the
//! window of `--since`. This is what shows a setup that passes every rule but fails for OpenAI
//! (an encryption-context condition, an SCP added later, a key disabled since).
//!
//! - EKM701 `openai-calls-failing`
//! - EKM702 `openai-calls-absent`

pub(super) mod ekm701_openai_calls_failing;
pub(super) mod ekm702_openai_calls_absent;
pub mod support;
