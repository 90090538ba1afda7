//! Infrastructure as code: the key and role a template will create, read before deployment,
//! as [`Inputs`](crate::inputs::Inputs) for the same rules as a live check or a scan.
//!
//! - [`template`]: JSON and YAML templates (short-form tags) with the line of every value;
//! - [`intrinsics`]: `Ref`, `Fn::GetAtt`, `Fn::Sub`, … over parameters and pseudo parameters;
//!   what stays open until deployment is an [`intrinsics::Open`] value, never guessed;
//! - [`cloudformation`]: resources → targets (each role that trusts OpenAI, with its key);
//! - [`managed_policies`]: the AWS-managed policies a template may attach by ARN.

pub mod cloudformation;
pub mod intrinsics;
pub mod managed_policies;
pub mod template;

/// Why a template could not be read at all (the command ends with exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum IacError {
    /// The file is not JSON or YAML.
    #[error("{path}: {message}")]
    Syntax { path: String, message: String },
    /// The file parses, but is not a CloudFormation template.
    #[error("{path}: {message}")]
    NotATemplate { path: String, message: String },
    /// A `--parameter` is malformed or names no parameter of the template.
    #[error("--parameter {0}")]
    Parameter(String),
    /// `--role` names no role of the template.
    #[error("{0}")]
    Role(String),
}
