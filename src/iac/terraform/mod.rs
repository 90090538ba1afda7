//! Terraform: the key and role a configuration or a plan will create, as targets.
//!
//! Both inputs meet the rules through one shape, a list of [`Resource`]s with their attributes
//! known or open:
//! - [`config`] evaluates a configuration directory (HCL, read with `hcl-edit`) as far as it can
//!   be without a provider: variables, locals, `jsonencode`, templates, references between
//!   resources (a new key's ARN is symbolic, built from `--account`/`--region`),
//!   `data.aws_iam_policy_document`, local modules, simple `count`/`for_each`;
//! - [`plan`] reads `terraform show -json` of a plan or a state: planned values, resource
//!   changes, `after_unknown`, configuration references;
//! - [`targets`] turns the resources into targets: every `aws_iam_role` that trusts OpenAI's
//!   principal, with the `aws_kms_key`(s) its policies allow Encrypt or Decrypt on.

pub mod config;
pub mod eval;
pub mod functions;
pub mod plan;
pub mod policy_document;
pub mod targets;

use std::collections::BTreeMap;

use crate::json::Node;

/// One resource or data source instance, as the configuration or the plan describes it.
#[derive(Debug, Clone, Default)]
pub struct Resource {
    /// `aws_iam_role.r`, `module.ekm.aws_kms_key.k[0]`, `data.aws_iam_policy_document.d`.
    pub address: String,
    /// `aws_iam_role`.
    pub ty: String,
    /// A data source (`data.…`).
    pub data: bool,
    /// The file the attributes' positions are in (a `.tf` file, or the plan).
    pub file: String,
    /// The line of the resource block (0 for a plan: Terraform writes one line).
    pub line: u32,
    /// Where the resource's values sit in the plan (JSON pointer), empty for HCL.
    pub pointer: String,
    pub attrs: BTreeMap<String, Attr>,
}

/// An attribute: its value when known, else why not (naming the address and attribute).
#[derive(Debug, Clone)]
pub struct Attr {
    pub value: Result<Node, String>,
    /// The resources its expression refers to (`aws_kms_key.k`, `module.m.aws_iam_role.r`), known
    /// or not: how an attachment whose ARN is open still finds its policy.
    pub refs: Vec<String>,
    /// The expression as written (HCL), for a target search when the value is open.
    pub source: Option<String>,
    /// For a policy string: the structure it was encoded from (`jsonencode`, a policy document),
    /// with the positions of `file`.
    pub document: Option<(Node, String)>,
}

impl Attr {
    pub fn known(value: Node) -> Attr {
        Attr {
            value: Ok(value),
            refs: Vec::new(),
            source: None,
            document: None,
        }
    }

    pub fn open(why: impl Into<String>) -> Attr {
        Attr {
            value: Err(why.into()),
            refs: Vec::new(),
            source: None,
            document: None,
        }
    }
}

impl Resource {
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.get(name)
    }

    /// A string attribute: `Ok(None)` when absent or null.
    pub fn str(&self, name: &str) -> Result<Option<String>, String> {
        match self.attrs.get(name).map(|a| &a.value) {
            None => Ok(None),
            Some(Err(e)) => Err(e.clone()),
            Some(Ok(n)) => Ok(scalar_text(n)),
        }
    }

    /// A boolean attribute (`true`, `"true"`).
    pub fn bool(&self, name: &str) -> Result<Option<bool>, String> {
        Ok(match self.str(name)?.as_deref() {
            None => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(other) => {
                return Err(format!(
                    "{}.{name} {other:?} is not a boolean",
                    self.address
                ));
            }
        })
    }

    /// The resource's address without its module path and instance key, for matching a
    /// configuration reference (`aws_kms_key.k`).
    pub fn base_address(&self) -> String {
        base_address(&self.address)
    }
}

/// `module.a.aws_kms_key.k["x"]` → `module.a.aws_kms_key.k`.
pub fn base_address(address: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    let mut in_str = false;
    for c in address.chars() {
        match c {
            '"' if depth > 0 => in_str = !in_str,
            '[' if !in_str => depth += 1,
            ']' if !in_str => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The text of a scalar (numbers and booleans as Terraform converts them to strings).
pub fn scalar_text(n: &Node) -> Option<String> {
    use crate::json::Value;
    match &n.value {
        Value::String(s) => Some(s.clone()),
        Value::Number(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// What the user gave besides the configuration or plan.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub pseudo: crate::iac::intrinsics::Pseudo,
    /// `--role ADDRESS`.
    pub role: Option<String>,
    /// `--role-arn`.
    pub role_arn: Option<String>,
    /// `--var KEY=VALUE` (in order; the last wins).
    pub vars: Vec<(String, String)>,
    /// `--var-file FILE` (in order).
    pub var_files: Vec<std::path::PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_address_strips_instance_keys() {
        assert_eq!(
            base_address(r#"module.a["x"].aws_kms_key.k[0]"#),
            "module.a.aws_kms_key.k"
        );
        assert_eq!(base_address(r#"aws_iam_role.r["a]b"]"#), "aws_iam_role.r");
    }
}
