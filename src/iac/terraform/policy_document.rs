//! `data "aws_iam_policy_document"` rendered as the AWS provider renders it: `Version`
//! 2012-10-17 unless set, `Id` from `policy_id`, then each `statement` block (dynamic ones too)
//! with `Sid`, `Effect` (default `Allow`), `Action`/`NotAction`, `Resource`/`NotResource`,
//! `Principal`/`NotPrincipal` (`"*"` for type `*` with identifier `*`), `Condition`; a set of one
//! element is written as a string, a longer one in reverse order, as the provider does.
//! `source_policy_documents` come first and `override_policy_documents` last, statements with
//! the same `Sid` replaced. Every value keeps the position of the attribute it came from.

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

fn principals(scope: &Scope<'_>, body: &Body, block: &str) -> Result<Option<Node>, String> {
    let blocks = scope.blocks(body, block)?;
    if blocks.is_empty() {
        return Ok(None);
    }
    let mut members: Vec<Member> = Vec::new();
    let mut pos = Pos::default();
    for (b, bpos, s) in blocks {
        pos = bpos;
        let ty = b
            .get_attribute("type")
            .map(|a| s.eval(&a.value))
            .transpose()?
            .and_then(|t| text_of(&t))
            .ok_or_else(|| format!("a {block} block has no type ({})", s.at_pos(bpos)))?;
        let ids = b
            .get_attribute("identifiers")
            .map(|a| s.eval(&a.value))
            .transpose()?
            .unwrap_or_else(|| node(Value::Array(Vec::new()), bpos));
        let ids_list: Vec<Node> = match &ids.value {
            Value::Array(a) => a.clone(),
            _ => vec![ids.clone()],
        };
        match members.iter_mut().find(|m| m.key == ty) {
            Some(m) => {
                let mut all = match &m.value.value {
                    Value::Array(a) => a.clone(),
                    _ => vec![m.value.clone()],
                };
                all.extend(ids_list);
                m.value = node(Value::Array(all), m.value.pos);
            }
            None => members.push(Member {
                key: ty,
                key_pos: bpos,
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

fn conditions(scope: &Scope<'_>, body: &Body) -> Result<Option<Node>, String> {
    let blocks = scope.blocks(body, "condition")?;
    if blocks.is_empty() {
        return Ok(None);
    }
    let mut tests: Vec<Member> = Vec::new();
    let mut pos = Pos::default();
    for (b, bpos, s) in blocks {
        pos = bpos;
        let get = |k: &str| -> Result<Option<Node>, String> {
            b.get_attribute(k).map(|a| s.eval(&a.value)).transpose()
        };
        let test = get("test")?
            .and_then(|t| text_of(&t))
            .ok_or_else(|| format!("a condition block has no test ({})", s.at_pos(bpos)))?;
        let variable = get("variable")?
            .and_then(|t| text_of(&t))
            .ok_or_else(|| format!("a condition block has no variable ({})", s.at_pos(bpos)))?;
        let values = get("values")?.unwrap_or_else(|| node(Value::Array(Vec::new()), bpos));
        let values = string_set(&values, "condition.values")?;
        let entry = Member {
            key: variable,
            key_pos: bpos,
            value: values,
        };
        match tests.iter_mut().find(|m| m.key == test) {
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
                key: test,
                key_pos: bpos,
                value: node(Value::Object(vec![entry]), bpos),
            }),
        }
    }
    Ok(Some(node(Value::Object(tests), pos)))
}

fn statement(scope: &Scope<'_>, body: &Body, pos: Pos) -> Res {
    let mut m: Vec<Member> = Vec::new();
    let get = |k: &str| -> Result<Option<Node>, String> {
        body.get_attribute(k)
            .map(|a| scope.eval(&a.value))
            .transpose()
    };
    if let Some(sid) = get("sid")? {
        if text_of(&sid).is_some_and(|s| !s.is_empty()) {
            m.push(member("Sid", sid));
        }
    }
    let effect = get("effect")?.unwrap_or_else(|| node(Value::String("Allow".into()), pos));
    m.push(member("Effect", effect));
    for (attr, key) in [
        ("actions", "Action"),
        ("not_actions", "NotAction"),
        ("resources", "Resource"),
        ("not_resources", "NotResource"),
    ] {
        if let Some(v) = get(attr)? {
            let set = string_set(&v, attr)?;
            if !matches!(&set.value, Value::Array(a) if a.is_empty()) {
                m.push(member(key, set));
            }
        }
    }
    if let Some(p) = principals(scope, body, "principals")? {
        m.push(member("Principal", p));
    }
    if let Some(p) = principals(scope, body, "not_principals")? {
        m.push(member("NotPrincipal", p));
    }
    if let Some(c) = conditions(scope, body)? {
        m.push(member("Condition", c));
    }
    Ok(node(Value::Object(m), pos))
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

/// Render a policy document data source's body.
pub fn render(scope: &Scope<'_>, body: &Body) -> Res {
    let get = |k: &str| -> Result<Option<Node>, String> {
        body.get_attribute(k)
            .map(|a| scope.eval(&a.value))
            .transpose()
    };
    let pos = body.iter().next().map(|s| scope.pos(s)).unwrap_or_default();
    let mut statements: Vec<Node> = Vec::new();
    if let Some(src) = get("source_policy_documents")? {
        merge(&mut statements, &src, "source_policy_documents", pos)?;
    }
    if let Some(src) = get("source_json")? {
        merge(
            &mut statements,
            &node(Value::Array(vec![src]), pos),
            "source_json",
            pos,
        )?;
    }
    for (b, bpos, s) in scope.blocks(body, "statement")? {
        let st = statement(&s, b, bpos)?;
        match sid(&st).and_then(|x| {
            statements
                .iter()
                .position(|y| sid(y).as_deref() == Some(&x))
        }) {
            Some(i) => statements[i] = st,
            None => statements.push(st),
        }
    }
    if let Some(o) = get("override_policy_documents")? {
        merge(&mut statements, &o, "override_policy_documents", pos)?;
    }
    if let Some(o) = get("override_json")? {
        merge(
            &mut statements,
            &node(Value::Array(vec![o]), pos),
            "override_json",
            pos,
        )?;
    }
    let mut members = vec![member(
        "Version",
        get("version")?.unwrap_or_else(|| node(Value::String("2012-10-17".into()), pos)),
    )];
    if let Some(id) = get("policy_id")? {
        members.push(member("Id", id));
    }
    members.push(member("Statement", node(Value::Array(statements), pos)));
    Ok(node(Value::Object(members), pos))
}
