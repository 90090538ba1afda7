//! ekm-check: decide whether OpenAI's Enterprise Key Management path through an AWS KMS key and
//! IAM role works, and explain exactly why not when it does not.
//!
//! - [`json`]: a JSON reader that keeps positions and explains common mistakes.
//! - [`policy`]: the IAM policy language, parsed once into matchers.
//! - [`eval`]: the evaluator (identity, resource, boundary, SCP; KMS and STS specifics;
//!   three-valued over unknown context).

pub mod allocator;
pub mod aws;
pub mod cli;
pub mod config;
pub mod diagnose;
pub mod error;
pub mod eval;
pub mod iac;
pub mod input;
pub mod inputs;
pub mod json;
pub mod openai;
pub mod policy;
pub mod report;
pub mod rules;
pub mod snapshot;

pub use error::{Error, Result};
