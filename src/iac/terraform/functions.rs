//! Terraform's built-in functions that a key, role or policy configuration uses. A function not
//! here (or a provider function) makes the value open, naming the function.

use hcl_edit::expr::FuncCall;

use super::eval::{Res, Scope, equal, node, number_node, pairs, relocated, text_of, truthy};
use crate::json::{Member, Node, Pos, Value};

fn list(v: &Node) -> Option<&[Node]> {
    match &v.value {
        Value::Array(a) => Some(a),
        _ => None,
    }
}

fn s(v: String, pos: Pos) -> Node {
    node(Value::String(v), pos)
}

pub fn call(scope: &Scope<'_>, f: &FuncCall, pos: Pos) -> Res {
    let name = f.name.name.as_str();
    if !f.name.namespace.is_empty() {
        return Err(format!(
            "provider function {}::{name} is evaluated by its provider ({})",
            f.name
                .namespace
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join("::"),
            scope.at(&f.name.name)
        ));
    }
    let exprs: Vec<&hcl_edit::expr::Expression> = f.args.iter().collect();
    // Functions that must not evaluate every argument first.
    match name {
        "try" => {
            let mut last = String::from("try() has no argument");
            for e in &exprs {
                match scope.eval(e) {
                    Ok(v) => return Ok(v),
                    Err(err) => last = err,
                }
            }
            return Err(last);
        }
        "can" => {
            return Ok(node(
                Value::Bool(exprs.first().is_some_and(|e| scope.eval(e).is_ok())),
                pos,
            ));
        }
        _ => {}
    }
    let mut args = Vec::with_capacity(exprs.len());
    for e in &exprs {
        args.push(scope.eval(e)?);
    }
    if f.args.expand_final() {
        if let Some(last) = args.pop() {
            match last.value {
                Value::Array(items) => args.extend(items),
                _ => return Err(format!("{name}(…): the expanded argument is not a list")),
            }
        }
    }
    let arg = |i: usize| -> Result<&Node, String> {
        args.get(i)
            .ok_or_else(|| format!("{name}() needs more arguments ({})", scope.at(&f.name.name)))
    };
    let text = |i: usize| -> Result<String, String> {
        text_of(arg(i)?).ok_or_else(|| format!("{name}(): argument {} is not a string", i + 1))
    };
    let bad = |what: &str| format!("{name}(): {what} ({})", scope.at(&f.name.name));
    Ok(match name {
        "jsonencode" => {
            let v = arg(0)?;
            let text = serde_json::to_string(&v.to_serde()).unwrap_or_default();
            scope
                .cfg
                .encoded
                .borrow_mut()
                .insert(text.clone(), (v.clone(), Some(scope.file)));
            s(text, pos)
        }
        "jsondecode" => {
            let t = text(0)?;
            let n = crate::json::parse(&t).map_err(|e| bad(&format!("not JSON: {e}")))?;
            relocated(n, pos)
        }
        "tostring" => s(
            text_of(arg(0)?).ok_or_else(|| bad("not a primitive value"))?,
            pos,
        ),
        "tonumber" => number_node(text(0)?.parse().map_err(|_| bad("not a number"))?, pos),
        "tobool" => node(
            Value::Bool(truthy(arg(0)?).ok_or_else(|| bad("not a boolean"))?),
            pos,
        ),
        "tolist" | "toset" => {
            let items = list(arg(0)?).ok_or_else(|| bad("not a list or set"))?;
            let mut out: Vec<Node> = Vec::new();
            for i in items {
                if name == "toset" && out.iter().any(|x| equal(x, i)) {
                    continue;
                }
                out.push(i.clone());
            }
            if name == "toset" {
                out.sort_by_key(|n| text_of(n).unwrap_or_default());
            }
            node(Value::Array(out), pos)
        }
        "tomap" => arg(0)?.clone(),
        "lower" => s(text(0)?.to_lowercase(), pos),
        "upper" => s(text(0)?.to_uppercase(), pos),
        "trimspace" => s(text(0)?.trim().to_string(), pos),
        "trimprefix" => s(
            text(0)?
                .strip_prefix(text(1)?.as_str())
                .map(str::to_string)
                .unwrap_or(text(0)?),
            pos,
        ),
        "trimsuffix" => s(
            text(0)?
                .strip_suffix(text(1)?.as_str())
                .map(str::to_string)
                .unwrap_or(text(0)?),
            pos,
        ),
        "startswith" => node(Value::Bool(text(0)?.starts_with(&text(1)?)), pos),
        "endswith" => node(Value::Bool(text(0)?.ends_with(&text(1)?)), pos),
        "replace" => {
            let (from, to) = (text(1)?, text(2)?);
            if from.len() > 1 && from.starts_with('/') && from.ends_with('/') {
                return Err(bad("a regular expression replace is not evaluated"));
            }
            s(text(0)?.replace(&from, &to), pos)
        }
        "split" => node(
            Value::Array(
                text(1)?
                    .split(text(0)?.as_str())
                    .map(|p| s(p.to_string(), pos))
                    .collect(),
            ),
            pos,
        ),
        "join" => {
            let sep = text(0)?;
            let mut parts = Vec::new();
            for a in &args[1..] {
                for i in list(a).ok_or_else(|| bad("not a list"))? {
                    parts.push(text_of(i).ok_or_else(|| bad("a list element is not a string"))?);
                }
            }
            s(parts.join(&sep), pos)
        }
        "format" => s(format(&text(0)?, &args[1..]).map_err(|e| bad(&e))?, pos),
        "formatlist" => {
            let fmt = text(0)?;
            let n = args[1..]
                .iter()
                .filter_map(list)
                .map(<[Node]>::len)
                .max()
                .unwrap_or(1);
            let mut out = Vec::new();
            for i in 0..n {
                let row: Vec<Node> = args[1..]
                    .iter()
                    .map(|a| match list(a) {
                        Some(l) => l.get(i).cloned().unwrap_or_else(|| s(String::new(), pos)),
                        None => a.clone(),
                    })
                    .collect();
                out.push(s(format(&fmt, &row).map_err(|e| bad(&e))?, pos));
            }
            node(Value::Array(out), pos)
        }
        "concat" => {
            let mut out = Vec::new();
            for a in &args {
                out.extend(list(a).ok_or_else(|| bad("not a list"))?.iter().cloned());
            }
            node(Value::Array(out), pos)
        }
        "flatten" => {
            fn flat(v: &Node, out: &mut Vec<Node>) {
                match &v.value {
                    Value::Array(items) => items.iter().for_each(|i| flat(i, out)),
                    _ => out.push(v.clone()),
                }
            }
            let mut out = Vec::new();
            flat(arg(0)?, &mut out);
            node(Value::Array(out), pos)
        }
        "distinct" => {
            let mut out: Vec<Node> = Vec::new();
            for i in list(arg(0)?).ok_or_else(|| bad("not a list"))? {
                if !out.iter().any(|x| equal(x, i)) {
                    out.push(i.clone());
                }
            }
            node(Value::Array(out), pos)
        }
        "compact" => node(
            Value::Array(
                list(arg(0)?)
                    .ok_or_else(|| bad("not a list"))?
                    .iter()
                    .filter(|i| !matches!(&i.value, Value::Null) && i.as_str() != Some(""))
                    .cloned()
                    .collect(),
            ),
            pos,
        ),
        "sort" => {
            let mut items = list(arg(0)?).ok_or_else(|| bad("not a list"))?.to_vec();
            items.sort_by_key(|n| text_of(n).unwrap_or_default());
            node(Value::Array(items), pos)
        }
        "reverse" => {
            let mut items = list(arg(0)?).ok_or_else(|| bad("not a list"))?.to_vec();
            items.reverse();
            node(Value::Array(items), pos)
        }
        "element" => {
            let items = list(arg(0)?).ok_or_else(|| bad("not a list"))?;
            let i: usize = text(1)?.parse().map_err(|_| bad("not an index"))?;
            if items.is_empty() {
                return Err(bad("the list is empty"));
            }
            items[i % items.len()].clone()
        }
        "one" => match list(arg(0)?).ok_or_else(|| bad("not a list"))? {
            [] => node(Value::Null, pos),
            [x] => x.clone(),
            _ => return Err(bad("the list has more than one element")),
        },
        "length" => number_node(
            match &arg(0)?.value {
                Value::Array(a) => a.len(),
                Value::Object(m) => m.len(),
                Value::String(s) => s.chars().count(),
                _ => return Err(bad("has no length")),
            } as f64,
            pos,
        ),
        "contains" => node(
            Value::Bool(
                list(arg(0)?)
                    .ok_or_else(|| bad("not a list"))?
                    .iter()
                    .any(|x| equal(x, &args[1])),
            ),
            pos,
        ),
        "keys" | "values" => {
            let m = arg(0)?.members().ok_or_else(|| bad("not a map"))?;
            let mut sorted: Vec<&Member> = m.iter().collect();
            sorted.sort_by(|a, b| a.key.cmp(&b.key));
            node(
                Value::Array(
                    sorted
                        .into_iter()
                        .map(|m| {
                            if name == "keys" {
                                s(m.key.clone(), m.key_pos)
                            } else {
                                m.value.clone()
                            }
                        })
                        .collect(),
                ),
                pos,
            )
        }
        "lookup" => {
            let m = arg(0)?;
            match m.get(&text(1)?) {
                Some(v) => v.clone(),
                None => args
                    .get(2)
                    .cloned()
                    .ok_or_else(|| bad("the key is not in the map"))?,
            }
        }
        "merge" => {
            let mut out: Vec<Member> = Vec::new();
            for a in &args {
                if matches!(a.value, Value::Null) {
                    continue;
                }
                for m in a.members().ok_or_else(|| bad("not a map"))? {
                    out.retain(|x| x.key != m.key);
                    out.push(m.clone());
                }
            }
            node(Value::Object(out), pos)
        }
        "zipmap" => {
            let ks = list(arg(0)?).ok_or_else(|| bad("not a list"))?;
            let vs = list(arg(1)?).ok_or_else(|| bad("not a list"))?;
            node(
                Value::Object(
                    ks.iter()
                        .zip(vs)
                        .map(|(k, v)| Member {
                            key: text_of(k).unwrap_or_default(),
                            key_pos: k.pos,
                            value: v.clone(),
                        })
                        .collect(),
                ),
                pos,
            )
        }
        "coalesce" => args
            .iter()
            .find(|a| !matches!(a.value, Value::Null) && a.as_str() != Some(""))
            .cloned()
            .ok_or_else(|| bad("every argument is null or empty"))?,
        "coalescelist" => args
            .iter()
            .find(|a| list(a).is_some_and(|l| !l.is_empty()))
            .cloned()
            .ok_or_else(|| bad("every argument is empty"))?,
        "range" => {
            let nums: Vec<f64> = args
                .iter()
                .filter_map(|a| text_of(a)?.parse().ok())
                .collect();
            let (start, end, step) = match nums.as_slice() {
                [e] => (0.0, *e, 1.0),
                [s0, e] => (*s0, *e, 1.0),
                [s0, e, st] => (*s0, *e, *st),
                _ => return Err(bad("needs 1 to 3 numbers")),
            };
            if step == 0.0 {
                return Err(bad("the step is 0"));
            }
            let mut out = Vec::new();
            let mut x = start;
            while (step > 0.0 && x < end) || (step < 0.0 && x > end) {
                out.push(number_node(x, pos));
                x += step;
                if out.len() > 1024 {
                    return Err(bad("the range is too long"));
                }
            }
            node(Value::Array(out), pos)
        }
        "min" | "max" => {
            let nums: Vec<f64> = args
                .iter()
                .map(|a| {
                    text_of(a)
                        .and_then(|t| t.parse().ok())
                        .ok_or_else(|| bad("not a number"))
                })
                .collect::<Result<_, _>>()?;
            let v = if name == "min" {
                nums.iter().cloned().fold(f64::INFINITY, f64::min)
            } else {
                nums.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
            };
            number_node(v, pos)
        }
        "abs" => number_node(
            text(0)?
                .parse::<f64>()
                .map_err(|_| bad("not a number"))?
                .abs(),
            pos,
        ),
        "substr" => {
            let t: Vec<char> = text(0)?.chars().collect();
            let off: i64 = text(1)?.parse().map_err(|_| bad("not an offset"))?;
            let len: i64 = text(2)?.parse().map_err(|_| bad("not a length"))?;
            let start = if off < 0 {
                (t.len() as i64 + off).max(0)
            } else {
                off
            } as usize;
            let end = if len < 0 {
                t.len()
            } else {
                (start + len as usize).min(t.len())
            };
            s(
                t.get(start..end)
                    .map(|c| c.iter().collect())
                    .unwrap_or_default(),
                pos,
            )
        }
        "file" | "templatefile" => {
            let rel = text(0)?;
            let module_dir = match scope.module {
                Some(m) => scope.cfg.modules[m].dir.clone(),
                None => std::path::PathBuf::from("."),
            };
            let path = if std::path::Path::new(&rel).is_absolute() {
                std::path::PathBuf::from(&rel)
            } else {
                std::path::PathBuf::from(&rel)
                    .strip_prefix(".")
                    .map(|p| p.to_path_buf())
                    .unwrap_or_else(|_| std::path::PathBuf::from(&rel))
            };
            let path = if path.exists() {
                path
            } else {
                module_dir.join(&rel)
            };
            let content = std::fs::read_to_string(&path)
                .map_err(|e| bad(&format!("cannot read {rel}: {e}")))?;
            if name == "file" {
                s(content, pos)
            } else {
                let t = hcl_edit::parser::parse_template(&content)
                    .map_err(|e| bad(&format!("{rel} is not a template: {}", e.message())))?;
                let vars = args.get(1).cloned();
                let mut ts = scope.clone();
                ts.names.clear();
                if let Some(v) = vars {
                    for (k, val) in pairs(&v)? {
                        ts = ts.with(&text_of(&k).unwrap_or_default(), val);
                    }
                }
                // The template's names are its variables only.
                ts.module = None;
                let mut out = String::new();
                ts.render_template(&t, &mut out)?;
                s(out, pos)
            }
        }
        other => {
            return Err(format!(
                "{other}() is not evaluated by ekm-check ({})",
                scope.at(&f.name.name)
            ));
        }
    })
}

/// `format`'s verbs: `%s`, `%d`, `%q`, `%v`, `%%`.
fn format(fmt: &str, args: &[Node]) -> Result<String, String> {
    let mut out = String::new();
    let mut it = args.iter();
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some(v @ ('s' | 'd' | 'v' | 'q')) => {
                let a = it.next().ok_or("format: too few arguments")?;
                let t = text_of(a).ok_or("format: an argument is not a primitive value")?;
                if v == 'q' {
                    out.push_str(&serde_json::Value::String(t).to_string());
                } else {
                    out.push_str(&t);
                }
            }
            Some(other) => return Err(format!("format verb %{other} is not evaluated")),
            None => return Err("format: a lone % at the end".into()),
        }
    }
    Ok(out)
}
