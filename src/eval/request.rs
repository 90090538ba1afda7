//! The eval request of the contract (one JSON object; one a line in `--batch`), and its decision.

use serde::Serialize;

use super::{CallerSide, Context, Evaluation, PolicySet, Request};
use crate::json::{Node, Value};
use crate::policy::principal::Principal;
use crate::policy::{Level, Policy, PolicyKind};

/// A request with the documents it carries, all parsed.
#[derive(Debug, Clone)]
pub struct RequestDoc {
    pub id: serde_json::Value,
    pub request: Request,
    pub identity: Vec<Policy>,
    pub resource: Option<Policy>,
    pub boundaries: Vec<Policy>,
    pub scps: Vec<Vec<Policy>>,
    pub caller: CallerSide,
}

/// A request that could not be read; `id` is echoed when it could be found.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct RequestError {
    pub id: serde_json::Value,
    pub message: String,
}

/// One line of `--batch` output.
#[derive(Debug, Serialize)]
pub struct DecisionOut {
    pub id: serde_json::Value,
    pub decision: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    pub explanation: Vec<String>,
}

/// One error line of `--batch` output.
#[derive(Debug, Serialize)]
pub struct ErrorOut<'a> {
    pub id: &'a serde_json::Value,
    pub error: &'a str,
}

impl RequestDoc {
    /// Read a request object. `unknown` adds context keys that are not known (three-valued).
    pub fn from_node(node: &Node, unknown: &[String]) -> Result<RequestDoc, RequestError> {
        let id = node
            .get("id")
            .map(Node::to_serde)
            .unwrap_or(serde_json::Value::Null);
        let fail = |m: String| RequestError {
            id: id.clone(),
            message: m,
        };
        let Some(members) = node.members() else {
            return Err(fail(format!(
                "a request must be a JSON object, not {}",
                node.type_name()
            )));
        };
        for m in members {
            if !matches!(
                m.key.as_str(),
                "id" | "principal"
                    | "action"
                    | "resource"
                    | "identity_policies"
                    | "resource_policy"
                    | "permission_boundaries"
                    | "scps"
                    | "context"
                    | "unknown"
                    | "caller_identity_assumed"
            ) {
                return Err(fail(format!("unknown field \"{}\" in the request", m.key)));
            }
        }
        let text = |k: &str| -> Result<String, RequestError> {
            match node.get(k) {
                Some(n) => n
                    .as_str()
                    .map(str::to_string)
                    .ok_or_else(|| fail(format!("\"{k}\" must be a string"))),
                None => Err(fail(format!("the request has no \"{k}\""))),
            }
        };
        let principal_s = text("principal")?;
        let principal =
            Principal::parse(&principal_s).map_err(|e| fail(format!("principal: {e}")))?;
        let action = text("action")?;
        let resource = text("resource")?;
        let mut context = Context::default();
        if let Some(c) = node.get("context") {
            let Some(members) = c.members() else {
                return Err(fail("\"context\" must be an object of key: value".into()));
            };
            for m in members {
                let values = match &m.value.value {
                    Value::Array(items) => items
                        .iter()
                        .map(|i| {
                            scalar(i).ok_or_else(|| {
                                fail(format!(
                                    "context \"{}\": values must be strings, numbers or booleans",
                                    m.key
                                ))
                            })
                        })
                        .collect::<Result<Vec<_>, _>>()?,
                    _ => vec![scalar(&m.value).ok_or_else(|| {
                        fail(format!(
                            "context \"{}\": values must be strings, numbers or booleans",
                            m.key
                        ))
                    })?],
                };
                context.set(&m.key, values);
            }
        }
        for u in unknown {
            context.mark_unknown(u);
        }
        if let Some(u) = node.get("unknown") {
            let Value::Array(items) = &u.value else {
                return Err(fail("\"unknown\" must be a list of context keys".into()));
            };
            for i in items {
                context
                    .mark_unknown(i.as_str().ok_or_else(|| {
                        fail("\"unknown\" must be a list of context keys".into())
                    })?);
            }
        }
        let caller = match node.get("caller_identity_assumed") {
            Some(Node {
                value: Value::Bool(true),
                ..
            }) => CallerSide::AssumedAllowed,
            _ => CallerSide::Policies,
        };
        let policy = |n: &Node, kind: PolicyKind, label: String| -> Result<Policy, RequestError> {
            let p = Policy::from_node(n, kind, &label);
            if let Some(d) = p.diagnostics.iter().find(|d| d.level == Level::Error) {
                return Err(fail(format!("{label}: invalid policy: {d}")));
            }
            Ok(p)
        };
        let list = |k: &str| -> Result<Vec<&Node>, RequestError> {
            match node.get(k) {
                None
                | Some(Node {
                    value: Value::Null, ..
                }) => Ok(Vec::new()),
                Some(Node {
                    value: Value::Array(items),
                    ..
                }) => Ok(items.iter().collect()),
                Some(
                    n @ Node {
                        value: Value::Object(_),
                        ..
                    },
                ) => Ok(vec![n]),
                Some(_) => Err(fail(format!("\"{k}\" must be a list of policy documents"))),
            }
        };
        let identity = list("identity_policies")?
            .into_iter()
            .enumerate()
            .map(|(i, n)| policy(n, PolicyKind::Identity, format!("identity_policies[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let action_lc = action.to_ascii_lowercase();
        let resource_kind = if action_lc.starts_with("sts:assumerole") {
            PolicyKind::Trust
        } else {
            PolicyKind::Resource
        };
        let resource_policy = match node.get("resource_policy") {
            None
            | Some(Node {
                value: Value::Null, ..
            }) => None,
            Some(n) => Some(policy(n, resource_kind, "resource_policy".into())?),
        };
        let boundaries = list("permission_boundaries")?
            .into_iter()
            .enumerate()
            .map(|(i, n)| {
                policy(
                    n,
                    PolicyKind::Boundary,
                    format!("permission_boundaries[{i}]"),
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        if boundaries.len() > 1 {
            return Err(fail(
                "a principal has at most one permissions boundary".into(),
            ));
        }
        let mut scps = Vec::new();
        for (level, n) in list("scps")?.into_iter().enumerate() {
            let docs: Vec<&Node> = match &n.value {
                Value::Array(items) => items.iter().collect(),
                _ => vec![n],
            };
            let mut level_docs = Vec::new();
            for (j, d) in docs.into_iter().enumerate() {
                level_docs.push(policy(d, PolicyKind::Scp, format!("scps[{level}][{j}]"))?);
            }
            scps.push(level_docs);
        }
        Ok(RequestDoc {
            id,
            request: Request::new(principal, &action, &resource, context),
            identity,
            resource: resource_policy,
            boundaries,
            scps,
            caller,
        })
    }

    pub fn policy_set(&self) -> PolicySet<'_> {
        PolicySet {
            identity: self.identity.iter().collect(),
            resource: self.resource.as_ref(),
            boundaries: self.boundaries.iter().collect(),
            scps: self.scps.iter().map(|l| l.iter().collect()).collect(),
            caller: self.caller,
        }
    }

    pub fn evaluate(&self) -> Evaluation<'_> {
        super::evaluate(&self.request, &self.policy_set())
    }

    pub fn decision(&self) -> DecisionOut {
        let ev = self.evaluate();
        DecisionOut {
            id: self.id.clone(),
            decision: ev.decision_str(),
            depends_on: ev.depends_on.clone(),
            explanation: ev.explain(&self.request),
        }
    }
}

fn scalar(n: &Node) -> Option<String> {
    match &n.value {
        Value::String(s) => Some(s.clone()),
        Value::Number(x) => Some(x.clone()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}
