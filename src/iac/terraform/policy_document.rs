//! `data "aws_iam_policy_document"` rendered as the AWS provider renders it: `Version`
//! 2012-10-17 unless set, `Id` from `policy_id`, then each `statement` block (dynamic ones too)
//! with `Sid`, `Effect` (default `Allow`), `Action`/`NotAction`, `Resource`/`NotResource`,
//! `Principal`/`NotPrincipal` (`"*"` for type `*` with identifier `*`), `Condition`; a set of one
//! element is written as a string, a longer one in reverse order, as the provider does.
//! `source_policy_documents` come first and `override_policy_documents` last, statements with
//! the same `Sid` replaced. Every value keeps the position of the attribute it came from.
//!
//! One renderer, [`assemble`], for both inputs: [`render`] reads a data source's HCL blocks,
//! [`from_values`] a plan's values of one (`statement[]`, `principals[]`, `condition[]` as the
//! provider's schema nests them), for a document Terraform reads only at apply.

use hcl_edit::structure::Body;

use super::eval::{Res, Scope, node, text_of};
use crate::json::{Member, Node, Pos, Value};

fn member(key: &str, value: Node) -> Member {
    Member {
        key: key.to_string(),
        key_pos: value.pos,
        value,
    }
}

/// A set of strings: one element as a string, more in the provider's (reverse sorted) order.
fn string_set(v: &Node, what: &str) -> Res {
    let mut items: Vec<Node> = match &v.value {
        Value::Array(a) => a.clone(),
        Value::Null => Vec::new(),
        _ => vec![v.clone()],
    };
    for i in &items {
        if text_of(i).is_none() {
            return Err(format!("{what} holds a {}, not a string", i.type_name()));
        }
    }
    items.sort_by_key(|n| std::cmp::Reverse(text_of(n).unwrap_or_default()));
    items.dedup_by(|a, b| text_of(a) == text_of(b));
    Ok(match items.len() {
        1 => {
            let mut one = items.pop().expect("one");
            one.value = Value::String(text_of(&one).unwrap_or_default());
            one
        }
        _ => node(Value::Array(items), v.pos),
    })
}

/// A `principals` or `not_principals` block.
pub struct PrincipalParts {
    pub pos: Pos,
    pub ty: String,
    pub identifiers: Option<Node>,
}

/// A `condition` block.
pub struct ConditionParts {
    pub pos: Pos,
    pub test: String,
    pub variable: String,
    pub values: Option<Node>,
}

/// A `statement` block.
pub struct StatementParts {
    pub pos: Pos,
    pub sid: Option<Node>,
    pub effect: Option<Node>,
    /// `actions`, `not_actions`, `resources`, `not_resources`, as given.
    pub sets: Vec<(&'static str, Node)>,
    pub principals: Vec<PrincipalParts>,
    pub not_principals: Vec<PrincipalParts>,
    pub conditions: Vec<ConditionParts>,
}

/// A policy document data source's arguments, however they were read.
#[derive(Default)]
pub struct DocParts {
    pub pos: Pos,
    pub version: Option<Node>,
    pub policy_id: Option<Node>,
    pub source_policy_documents: Option<Node>,
    pub source_json: Option<Node>,
    pub statements: Vec<StatementParts>,
    pub override_policy_documents: Option<Node>,
    pub override_json: Option<Node>,
}

/// The statement attributes and the JSON keys the provider writes them as.
const SETS: [(&str, &str); 4] = [
    ("actions", "Action"),
    ("not_actions", "NotAction"),
    ("resources", "Resource"),
    ("not_resources", "NotResource"),
];

fn principals(blocks: &[PrincipalParts], block: &str) -> Result<Option<Node>, String> {
    if blocks.is_empty() {
        return Ok(None);
    }
    let mut members: Vec<Member> = Vec::new();
    let mut pos = Pos::default();
    for b in blocks {
        pos = b.pos;
        let ids = b
            .identifiers
            .clone()
            .unwrap_or_else(|| node(Value::Array(Vec::new()), b.pos));
        let ids_list: Vec<Node> = match &ids.value {
            Value::Array(a) => a.clone(),
            Value::Null => Vec::new(),
            _ => vec![ids.clone()],
        };
        match members.iter_mut().find(|m| m.key == b.ty) {
            Some(m) => {
                let mut all = match &m.value.value {
                    Value::Array(a) => a.clone(),
                    _ => vec![m.value.clone()],
                };
                all.extend(ids_list);
                m.value = node(Value::Array(all), m.value.pos);
            }
            None => members.push(Member {
                key: b.ty.clone(),
                key_pos: b.pos,
                value: node(Value::Array(ids_list), ids.pos),
            }),
        }
    }
    if let [m] = members.as_slice() {
        if m.key == "*" {
            if let Value::Array(a) = &m.value.value {
                if a.iter().all(|x| x.as_str() == Some("*")) {
                    return Ok(Some(node(Value::String("*".into()), m.key_pos)));
                }
            }
        }
    }
    for m in &mut members {
        m.value = string_set(&m.value, &format!("{block}.identifiers"))?;
    }
    Ok(Some(node(Value::Object(members), pos)))
}

fn conditions(blocks: &[ConditionParts]) -> Result<Option<Node>, String> {
    if blocks.is_empty() {
        return Ok(None);
    }
    let mut tests: Vec<Member> = Vec::new();
    let mut pos = Pos::default();
    for b in blocks {
        pos = b.pos;
        let values = b
            .values
            .clone()
            .unwrap_or_else(|| node(Value::Array(Vec::new()), b.pos));
        let values = string_set(&values, "condition.values")?;
        let entry = Member {
            key: b.variable.clone(),
            key_pos: b.pos,
            value: values,
        };
        match tests.iter_mut().find(|m| m.key == b.test) {
            Some(Member {
                value:
                    Node {
                        value: Value::Object(vars),
                        ..
                    },
                ..
            }) => {
                vars.retain(|v| v.key != entry.key);
                vars.push(entry);
            }
            _ => tests.push(Member {
                key: b.test.clone(),
                key_pos: b.pos,
                value: node(Value::Object(vec![entry]), b.pos),
            }),
        }
    }
    Ok(Some(node(Value::Object(tests), pos)))
}

fn statement(st: &StatementParts) -> Res {
    let mut m: Vec<Member> = Vec::new();
    if let Some(sid) = &st.sid {
        if text_of(sid).is_some_and(|s| !s.is_empty()) {
            m.push(member("Sid", sid.clone()));
        }
    }
    let effect = st
        .effect
        .clone()
        .filter(|e| e.value != Value::Null)
        .unwrap_or_else(|| node(Value::String("Allow".into()), st.pos));
    m.push(member("Effect", effect));
    for (attr, key) in SETS {
        if let Some((_, v)) = st.sets.iter().find(|(a, _)| *a == attr) {
            let set = string_set(v, attr)?;
            if !matches!(&set.value, Value::Array(a) if a.is_empty()) {
                m.push(member(key, set));
            }
        }
    }
    if let Some(p) = principals(&st.principals, "principals")? {
        m.push(member("Principal", p));
    }
    if let Some(p) = principals(&st.not_principals, "not_principals")? {
        m.push(member("NotPrincipal", p));
    }
    if let Some(c) = conditions(&st.conditions)? {
        m.push(member("Condition", c));
    }
    Ok(node(Value::Object(m), st.pos))
}

fn sid(st: &Node) -> Option<String> {
    st.get("Sid").and_then(text_of).filter(|s| !s.is_empty())
}

/// Statements of other documents (JSON strings) merged in by `Sid`.
fn merge(into: &mut Vec<Node>, docs: &Node, what: &str, pos: Pos) -> Result<(), String> {
    let list = match &docs.value {
        Value::Array(a) => a.clone(),
        Value::Null => Vec::new(),
        _ => return Err(format!("{what} is not a list of JSON documents")),
    };
    for d in list {
        let text = text_of(&d).ok_or_else(|| format!("{what} holds a non-string"))?;
        let parsed = crate::json::parse(&text).map_err(|e| format!("{what}: not JSON: {e}"))?;
        let parsed = super::eval::relocated(parsed, if d.pos.line > 0 { d.pos } else { pos });
        let sts = match parsed.get("Statement").map(|s| &s.value) {
            Some(Value::Array(a)) => a.clone(),
            Some(_) => vec![parsed.get("Statement").cloned().expect("present")],
            None => Vec::new(),
        };
        for st in sts {
            match sid(&st).and_then(|s| into.iter().position(|x| sid(x).as_deref() == Some(&s))) {
                Some(i) => into[i] = st,
                None => into.push(st),
            }
        }
    }
    Ok(())
}

/// The document the provider writes as `json`.
pub fn assemble(d: &DocParts) -> Res {
    let pos = d.pos;
    let mut statements: Vec<Node> = Vec::new();
    if let Some(src) = &d.source_policy_documents {
        merge(&mut statements, src, "source_policy_documents", pos)?;
    }
    if let Some(src) = d.source_json.as_ref().filter(|s| s.value != Value::Null) {
        merge(
            &mut statements,
            &node(Value::Array(vec![src.clone()]), pos),
            "source_json",
            pos,
        )?;
    }
    for s in &d.statements {
        let st = statement(s)?;
        match sid(&st).and_then(|x| {
            statements
                .iter()
                .position(|y| sid(y).as_deref() == Some(&x))
        }) {
            Some(i) => statements[i] = st,
            None => statements.push(st),
        }
    }
    if let Some(o) = &d.override_policy_documents {
        merge(&mut statements, o, "override_policy_documents", pos)?;
    }
    if let Some(o) = d.override_json.as_ref().filter(|s| s.value != Value::Null) {
        merge(
            &mut statements,
            &node(Value::Array(vec![o.clone()]), pos),
            "override_json",
            pos,
        )?;
    }
    let version = d
        .version
        .clone()
        .filter(|v| v.value != Value::Null)
        .unwrap_or_else(|| node(Value::String("2012-10-17".into()), pos));
    let mut members = vec![member("Version", version)];
    if let Some(id) = d.policy_id.as_ref().filter(|v| v.value != Value::Null) {
        members.push(member("Id", id.clone()));
    }
    members.push(member("Statement", node(Value::Array(statements), pos)));
    Ok(node(Value::Object(members), pos))
}

// ---------------------------------------------------------------------------------------------
// HCL

fn hcl_principals(
    scope: &Scope<'_>,
    body: &Body,
    block: &str,
) -> Result<Vec<PrincipalParts>, String> {
    let mut out = Vec::new();
    for (b, bpos, s) in scope.blocks(body, block)? {
        let ty = b
            .get_attribute("type")
            .map(|a| s.eval(&a.value))
            .transpose()?
            .and_then(|t| text_of(&t))
            .ok_or_else(|| format!("a {block} block has no type ({})", s.at_pos(bpos)))?;
        let identifiers = b
            .get_attribute("identifiers")
            .map(|a| s.eval(&a.value))
            .transpose()?;
        out.push(PrincipalParts {
            pos: bpos,
            ty,
            identifiers,
        });
    }
    Ok(out)
}

fn hcl_conditions(scope: &Scope<'_>, body: &Body) -> Result<Vec<ConditionParts>, String> {
    let mut out = Vec::new();
    for (b, bpos, s) in scope.blocks(body, "condition")? {
        let get = |k: &str| -> Result<Option<Node>, String> {
            b.get_attribute(k).map(|a| s.eval(&a.value)).transpose()
        };
        let test = get("test")?
            .and_then(|t| text_of(&t))
            .ok_or_else(|| format!("a condition block has no test ({})", s.at_pos(bpos)))?;
        let variable = get("variable")?
            .and_then(|t| text_of(&t))
            .ok_or_else(|| format!("a condition block has no variable ({})", s.at_pos(bpos)))?;
        out.push(ConditionParts {
            pos: bpos,
            test,
            variable,
            values: get("values")?,
        });
    }
    Ok(out)
}

fn hcl_statement(scope: &Scope<'_>, body: &Body, pos: Pos) -> Result<StatementParts, String> {
    let get = |k: &str| -> Result<Option<Node>, String> {
        body.get_attribute(k)
            .map(|a| scope.eval(&a.value))
            .transpose()
    };
    let mut sets = Vec::new();
    for (attr, _) in SETS {
        if let Some(v) = get(attr)? {
            sets.push((attr, v));
        }
    }
    Ok(StatementParts {
        pos,
        sid: get("sid")?,
        effect: get("effect")?,
        sets,
        principals: hcl_principals(scope, body, "principals")?,
        not_principals: hcl_principals(scope, body, "not_principals")?,
        conditions: hcl_conditions(scope, body)?,
    })
}

/// Render a policy document data source's body.
pub fn render(scope: &Scope<'_>, body: &Body) -> Res {
    let get = |k: &str| -> Result<Option<Node>, String> {
        body.get_attribute(k)
            .map(|a| scope.eval(&a.value))
            .transpose()
    };
    let pos = body.iter().next().map(|s| scope.pos(s)).unwrap_or_default();
    let mut statements = Vec::new();
    for (b, bpos, s) in scope.blocks(body, "statement")? {
        statements.push(hcl_statement(&s, b, bpos)?);
    }
    assemble(&DocParts {
        pos,
        version: get("version")?,
        policy_id: get("policy_id")?,
        source_policy_documents: get("source_policy_documents")?,
        source_json: get("source_json")?,
        statements,
        override_policy_documents: get("override_policy_documents")?,
        override_json: get("override_json")?,
    })
}

// ---------------------------------------------------------------------------------------------
// A plan's values

fn present(v: Option<&Node>) -> Option<Node> {
    v.filter(|n| n.value != Value::Null).cloned()
}

fn items(v: Option<&Node>) -> &[Node] {
    match v.map(|n| &n.value) {
        Some(Value::Array(a)) => a,
        _ => &[],
    }
}

fn plan_principals(st: &Node, block: &str) -> Result<Vec<PrincipalParts>, String> {
    items(st.get(block))
        .iter()
        .map(|p| {
            Ok(PrincipalParts {
                pos: p.pos,
                ty: p
                    .get("type")
                    .and_then(text_of)
                    .ok_or_else(|| format!("a {block} block has no type"))?,
                identifiers: present(p.get("identifiers")),
            })
        })
        .collect()
}

/// The document of a plan's `aws_iam_policy_document` values (`statement[]` and the rest), as
/// the provider renders it at apply. Every value must be known.
pub fn from_values(v: &Node) -> Res {
    let mut statements = Vec::new();
    for st in items(v.get("statement")) {
        let mut sets = Vec::new();
        for (attr, _) in SETS {
            if let Some(x) = present(st.get(attr)) {
                sets.push((attr, x));
            }
        }
        let mut conds = Vec::new();
        for c in items(st.get("condition")) {
            let get = |k: &str| c.get(k).and_then(text_of);
            conds.push(ConditionParts {
                pos: c.pos,
                test: get("test").ok_or("a condition block has no test")?,
                variable: get("variable").ok_or("a condition block has no variable")?,
                values: present(c.get("values")),
            });
        }
        statements.push(StatementParts {
            pos: st.pos,
            sid: present(st.get("sid")),
            effect: present(st.get("effect")),
            sets,
            principals: plan_principals(st, "principals")?,
            not_principals: plan_principals(st, "not_principals")?,
            conditions: conds,
        });
    }
    assemble(&DocParts {
        pos: v.pos,
        version: present(v.get("version")),
        policy_id: present(v.get("policy_id")),
        source_policy_documents: present(v.get("source_policy_documents")),
        source_json: present(v.get("source_json")),
        statements,
        override_policy_documents: present(v.get("override_policy_documents")),
        override_json: present(v.get("override_json")),
    })
}
