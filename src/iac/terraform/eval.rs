//! Evaluating Terraform expressions without a provider. A value is known (a [`Node`] carrying
//! the position of the expression that produced it) or open (`Err`, saying why: known only after
//! apply, a variable without a value, a remote module, an unknown function). References between
//! resources give the attributes the configuration sets, and for the ones AWS assigns the
//! symbolic values `--account`/`--region` allow (a key's ARN, a role's ARN); anything else AWS
//! assigns stays open.

use hcl_edit::Span;
use hcl_edit::expr::{
    BinaryOperator, Expression, ForExpr, ObjectKey, TraversalOperator, UnaryOperator,
};
use hcl_edit::structure::{Block, Body, Structure};
use hcl_edit::template::{Directive, Element, Template};

use super::config::{Config, Given, ResBlock};
use super::{Attr, Resource};
use crate::json::{Member, Node, Pos, Value};

pub type Res = Result<Node, String>;

/// Where an expression is evaluated: its module and file, and the names in scope (`each`,
/// `count`, `for` variables, dynamic block iterators).
#[derive(Clone)]
pub struct Scope<'c> {
    pub cfg: &'c Config,
    pub module: Option<usize>,
    pub file: usize,
    pub names: Vec<(String, Node)>,
}

pub fn node(value: Value, pos: Pos) -> Node {
    Node { value, pos }
}

/// Give every value of a node one position (a value used away from where it was written).
pub fn relocated(mut n: Node, pos: Pos) -> Node {
    n.relocate(pos);
    n
}

pub fn text_of(n: &Node) -> Option<String> {
    super::scalar_text(n)
}

fn num(n: &Node) -> Option<f64> {
    match &n.value {
        Value::Number(s) | Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

pub fn number_node(f: f64, pos: Pos) -> Node {
    let s = if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    };
    node(Value::Number(s), pos)
}

/// Terraform's string conversion of a value in a template.
fn to_template_string(n: &Node) -> Result<String, String> {
    match &n.value {
        Value::String(s) | Value::Number(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null => Err("a null value in a string template".into()),
        other => Err(format!(
            "a {} cannot be interpolated into a string",
            match other {
                Value::Array(_) => "list",
                _ => "map",
            }
        )),
    }
}

impl<'c> Scope<'c> {
    /// A scope for constant expressions (variables files, `--var`).
    pub fn constant(cfg: &'c Config, file: usize) -> Scope<'c> {
        Scope {
            cfg,
            module: None,
            file,
            names: Vec::new(),
        }
    }

    pub fn in_module(cfg: &'c Config, module: usize, file: usize) -> Scope<'c> {
        Scope {
            cfg,
            module: Some(module),
            file,
            names: Vec::new(),
        }
    }

    pub fn with(&self, name: &str, value: Node) -> Scope<'c> {
        let mut s = self.clone();
        s.names.retain(|(n, _)| n != name);
        s.names.push((name.to_string(), value));
        s
    }

    pub fn pos(&self, e: &impl Span) -> Pos {
        self.cfg.pos(self.file, e.span())
    }

    /// `FILE:LINE` of a position in this scope's file.
    pub fn at_pos(&self, p: Pos) -> String {
        match self.cfg.files.get(self.file) {
            Some(f) => format!("{}:{}", f.path, p.line),
            None => String::new(),
        }
    }

    pub fn at(&self, e: &impl Span) -> String {
        if self.cfg.files.is_empty() {
            return String::new();
        }
        self.cfg.at(self.file, e.span())
    }

    /// Evaluate an expression.
    pub fn eval(&self, e: &Expression) -> Res {
        let pos = self.pos(e);
        Ok(match e {
            Expression::Null(_) => node(Value::Null, pos),
            Expression::Bool(b) => node(Value::Bool(*b.value()), pos),
            Expression::Number(n) => node(Value::Number(n.value().to_string()), pos),
            Expression::String(s) => node(Value::String(s.value().to_string()), pos),
            Expression::Array(a) => {
                let mut items = Vec::new();
                for i in a.iter() {
                    items.push(self.eval(i)?);
                }
                node(Value::Array(items), pos)
            }
            Expression::Object(o) => {
                let mut members: Vec<Member> = Vec::new();
                for (k, v) in o.iter() {
                    let (key, key_pos) = match k {
                        ObjectKey::Ident(i) => (i.as_str().to_string(), self.pos(i)),
                        ObjectKey::Expression(Expression::Variable(v)) => {
                            (v.as_str().to_string(), self.pos(v))
                        }
                        ObjectKey::Expression(e) => {
                            let k = self.eval(e)?;
                            (
                                text_of(&k).ok_or_else(|| {
                                    format!("an object key is not a string ({})", self.at(e))
                                })?,
                                self.pos(e),
                            )
                        }
                    };
                    let value = self.eval(v.expr())?;
                    members.retain(|m| m.key != key);
                    members.push(Member {
                        key,
                        key_pos,
                        value,
                    });
                }
                node(Value::Object(members), pos)
            }
            Expression::StringTemplate(t) => {
                let elements: Vec<&Element> = t.iter().collect();
                if let [Element::Interpolation(i)] = elements.as_slice() {
                    return self.eval(&i.expr);
                }
                let mut s = String::new();
                self.render(elements.into_iter(), &mut s)?;
                node(Value::String(s), pos)
            }
            Expression::HeredocTemplate(h) => {
                let mut s = String::new();
                self.render_template(&h.template, &mut s)?;
                node(Value::String(s), pos)
            }
            Expression::Parenthesis(p) => self.eval(p.inner())?,
            Expression::Variable(v) => {
                let name = v.as_str();
                match self.names.iter().rev().find(|(n, _)| n == name) {
                    Some((_, v)) => v.clone(),
                    None => {
                        return Err(format!(
                            "{name} is not a name in scope here ({})",
                            self.at(e)
                        ));
                    }
                }
            }
            Expression::Conditional(c) => {
                let cond = self.eval(&c.cond_expr)?;
                match truthy(&cond) {
                    Some(true) => self.eval(&c.true_expr)?,
                    Some(false) => self.eval(&c.false_expr)?,
                    None => return Err(format!("the condition is not a boolean ({})", self.at(e))),
                }
            }
            Expression::FuncCall(f) => super::functions::call(self, f, pos)?,
            Expression::Traversal(t) => self.traversal(&t.expr, &t.operators, pos)?,
            Expression::UnaryOp(u) => {
                let v = self.eval(&u.expr)?;
                match u.operator.value() {
                    UnaryOperator::Neg => number_node(
                        -num(&v).ok_or_else(|| format!("- needs a number ({})", self.at(e)))?,
                        pos,
                    ),
                    UnaryOperator::Not => node(
                        Value::Bool(
                            !truthy(&v)
                                .ok_or_else(|| format!("! needs a boolean ({})", self.at(e)))?,
                        ),
                        pos,
                    ),
                }
            }
            Expression::BinaryOp(b) => self.binary(b, pos)?,
            Expression::ForExpr(f) => self.for_expr(f, pos)?,
        })
    }

    fn render<'e>(
        &self,
        elements: impl Iterator<Item = &'e Element>,
        out: &mut String,
    ) -> Result<(), String> {
        for el in elements {
            match el {
                Element::Literal(l) => out.push_str(l.value()),
                Element::Interpolation(i) => {
                    let v = self.eval(&i.expr)?;
                    out.push_str(
                        &to_template_string(&v)
                            .map_err(|m| format!("{m} ({})", self.at(&i.expr)))?,
                    );
                }
                Element::Directive(d) => match d.as_ref() {
                    Directive::If(i) => {
                        let c = self.eval(&i.if_expr.cond_expr)?;
                        match truthy(&c) {
                            Some(true) => self.render_template(&i.if_expr.template, out)?,
                            Some(false) => {
                                if let Some(e) = &i.else_expr {
                                    self.render_template(&e.template, out)?;
                                }
                            }
                            None => {
                                return Err("a template %{if} condition is not a boolean".into());
                            }
                        }
                    }
                    Directive::For(f) => {
                        let coll = self.eval(&f.for_expr.collection_expr)?;
                        for (k, v) in pairs(&coll)? {
                            let mut s = self.with(f.for_expr.value_var.as_str(), v);
                            if let Some(kv) = &f.for_expr.key_var {
                                s = s.with(kv.as_str(), k);
                            }
                            s.render_template(&f.for_expr.template, out)?;
                        }
                    }
                },
            }
        }
        Ok(())
    }

    pub fn render_template(&self, t: &Template, out: &mut String) -> Result<(), String> {
        self.render(t.iter(), out)
    }

    fn binary(&self, b: &hcl_edit::expr::BinaryOp, pos: Pos) -> Res {
        use BinaryOperator::*;
        let op = *b.operator.value();
        if matches!(op, And | Or) {
            let l = truthy(&self.eval(&b.lhs_expr)?);
            let r = truthy(&self.eval(&b.rhs_expr)?);
            return match (l, r) {
                (Some(l), Some(r)) => Ok(node(
                    Value::Bool(if op == And { l && r } else { l || r }),
                    pos,
                )),
                _ => Err(format!(
                    "&& and || need booleans ({})",
                    self.at(&b.lhs_expr)
                )),
            };
        }
        let l = self.eval(&b.lhs_expr)?;
        let r = self.eval(&b.rhs_expr)?;
        if matches!(op, Eq | NotEq) {
            let same = equal(&l, &r);
            return Ok(node(Value::Bool(if op == Eq { same } else { !same }), pos));
        }
        let (Some(x), Some(y)) = (num(&l), num(&r)) else {
            return Err(format!(
                "an arithmetic or comparison operator needs numbers ({})",
                self.at(&b.lhs_expr)
            ));
        };
        Ok(match op {
            Plus => number_node(x + y, pos),
            Minus => number_node(x - y, pos),
            Mul => number_node(x * y, pos),
            Div => number_node(x / y, pos),
            Mod => number_node(x % y, pos),
            Less => node(Value::Bool(x < y), pos),
            LessEq => node(Value::Bool(x <= y), pos),
            Greater => node(Value::Bool(x > y), pos),
            GreaterEq => node(Value::Bool(x >= y), pos),
            Eq | NotEq | And | Or => unreachable!("handled above"),
        })
    }

    fn for_expr(&self, f: &ForExpr, pos: Pos) -> Res {
        let coll = self.eval(&f.intro.collection_expr)?;
        let mut list = Vec::new();
        let mut object: Vec<Member> = Vec::new();
        for (k, v) in pairs(&coll)? {
            let mut s = self.with(f.intro.value_var.as_str(), v);
            if let Some(kv) = &f.intro.key_var {
                s = s.with(kv.as_str(), k);
            }
            if let Some(c) = &f.cond {
                if truthy(&s.eval(&c.expr)?) != Some(true) {
                    continue;
                }
            }
            let value = s.eval(&f.value_expr)?;
            match &f.key_expr {
                None => list.push(value),
                Some(ke) => {
                    let key = text_of(&s.eval(ke)?).ok_or_else(|| {
                        format!("a for expression's key is not a string ({})", s.at(ke))
                    })?;
                    if f.grouping {
                        match object.iter_mut().find(|m| m.key == key) {
                            Some(Member {
                                value:
                                    Node {
                                        value: Value::Array(items),
                                        ..
                                    },
                                ..
                            }) => items.push(value),
                            _ => object.push(Member {
                                key,
                                key_pos: pos,
                                value: node(Value::Array(vec![value]), pos),
                            }),
                        }
                    } else {
                        object.retain(|m| m.key != key);
                        object.push(Member {
                            key,
                            key_pos: pos,
                            value,
                        });
                    }
                }
            }
        }
        Ok(match f.key_expr {
            None => node(Value::Array(list), pos),
            Some(_) => node(Value::Object(object), pos),
        })
    }

    /// A value computed elsewhere, used here: its positions are kept when they are in this file,
    /// else it takes the position of the reference.
    fn adopt(&self, v: (Node, Option<usize>), pos: Pos) -> Node {
        match v {
            (n, Some(f)) if f == self.file && n.pos.line > 0 => n,
            (n, _) => relocated(n, pos),
        }
    }

    fn memo(
        &self,
        module: usize,
        key: String,
        compute: impl FnOnce() -> Result<(Node, Option<usize>), String>,
    ) -> Result<(Node, Option<usize>), String> {
        let k = (module, key);
        if let Some(v) = self.cfg.memo.borrow().get(&k) {
            return v.clone();
        }
        if self.cfg.active.borrow().contains(&k) {
            return Err(format!("{} refers to itself (a cycle)", k.1));
        }
        if self.cfg.active.borrow().len() > 200 {
            return Err(format!("{} is nested too deeply", k.1));
        }
        self.cfg.active.borrow_mut().push(k.clone());
        let v = compute();
        self.cfg.active.borrow_mut().pop();
        self.cfg.memo.borrow_mut().insert(k, v.clone());
        v
    }

    fn traversal(
        &self,
        root: &Expression,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
        pos: Pos,
    ) -> Res {
        let attr = |i: usize| -> Option<&str> {
            match ops.get(i).map(|o| o.value()) {
                Some(TraversalOperator::GetAttr(a)) => Some(a.as_str()),
                _ => None,
            }
        };
        let (base, used) = match root {
            Expression::Variable(v) => {
                let name = v.as_str();
                if let Some((_, val)) = self.names.iter().rev().find(|(n, _)| n == name) {
                    (val.clone(), 0)
                } else {
                    let Some(m) = self.module else {
                        return Err(format!(
                            "{name}: a variables file holds constant values only"
                        ));
                    };
                    match name {
                        "var" => {
                            let v = attr(0).ok_or("var needs a variable name")?;
                            (self.adopt(self.var(m, v)?, pos), 1)
                        }
                        "local" => {
                            let l = attr(0).ok_or("local needs a name")?;
                            (self.adopt(self.local(m, l)?, pos), 1)
                        }
                        "path" => {
                            let which = attr(0).ok_or("path needs module, root or cwd")?;
                            let dir = match which {
                                "module" => self.cfg.modules[m].dir.display().to_string(),
                                _ => self.cfg.modules[0].dir.display().to_string(),
                            };
                            (node(Value::String(dir), pos), 1)
                        }
                        "terraform" if attr(0) == Some("workspace") => {
                            (node(Value::String("default".into()), pos), 1)
                        }
                        "module" => {
                            let call = attr(0).ok_or("module needs a name")?;
                            let out = attr(1).ok_or_else(|| {
                                format!("module.{call} is used whole; ekm-check reads its outputs one by one")
                            })?;
                            (self.adopt(self.module_output(m, call, out)?, pos), 2)
                        }
                        "data" => {
                            let (Some(ty), Some(n)) = (attr(0), attr(1)) else {
                                return Err("data needs a type and a name".into());
                            };
                            return self.resource_ref(m, ty, n, true, &ops[2..], pos);
                        }
                        "each" | "count" | "self" => {
                            return Err(format!(
                                "{name} is not available here ({})",
                                self.at(root)
                            ));
                        }
                        ty if self.cfg.modules[m]
                            .resources
                            .iter()
                            .any(|r| r.ty == ty && !r.data) =>
                        {
                            let n = attr(0).ok_or("a resource reference needs a name")?;
                            return self.resource_ref(m, ty, n, false, &ops[1..], pos);
                        }
                        other => {
                            return Err(format!(
                                "{other} is not a resource, variable or local of the configuration ({})",
                                self.at(root)
                            ));
                        }
                    }
                }
            }
            other => (self.eval(other)?, 0),
        };
        self.apply(base, &ops[used..], pos)
    }

    /// Apply traversal operators (`.a`, `[i]`, `[*]`) to a value.
    fn apply(&self, mut v: Node, ops: &[hcl_edit::Decorated<TraversalOperator>], pos: Pos) -> Res {
        for (i, op) in ops.iter().enumerate() {
            v = match op.value() {
                TraversalOperator::GetAttr(a) => get(&v, a.as_str())
                    .ok_or_else(|| format!("the value has no attribute {}", a.as_str()))?,
                TraversalOperator::Index(e) => {
                    let k = self.eval(e)?;
                    index(&v, &k).ok_or_else(|| {
                        format!(
                            "no element {} ({})",
                            text_of(&k).unwrap_or_default(),
                            self.at(e)
                        )
                    })?
                }
                TraversalOperator::LegacyIndex(n) => {
                    let k = number_node(*n.value() as f64, pos);
                    index(&v, &k).ok_or_else(|| format!("no element {}", n.value()))?
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    let items = match v.value {
                        Value::Array(items) => items,
                        Value::Null => Vec::new(),
                        _ => vec![v.clone()],
                    };
                    let rest = &ops[i + 1..];
                    let mut out = Vec::new();
                    for it in items {
                        out.push(self.apply(it, rest, pos)?);
                    }
                    return Ok(node(Value::Array(out), pos));
                }
            };
        }
        Ok(v)
    }

    fn var(&self, m: usize, name: &str) -> Result<(Node, Option<usize>), String> {
        self.memo(m, format!("var.{name}"), || {
            let module = &self.cfg.modules[m];
            let decl = module.vars.get(name).ok_or_else(|| {
                format!("var.{name} is not declared in {}", module_name(module))
            })?;
            if decl.sensitive {
                return Err(format!(
                    "var.{name} is sensitive: ekm-check does not read its value, so that it is never echoed"
                ));
            }
            match module.given.get(name) {
                Some(Given::Value(v, f)) => Ok((v.clone(), *f)),
                Some(Given::Expr(e, f)) => {
                    let parent = module.parent.expect("a child module has a parent");
                    let v = Scope::in_module(self.cfg, parent, *f).eval(e)?;
                    Ok((v, Some(*f)))
                }
                None => match &decl.default {
                    Some(d) => {
                        let v = Scope::in_module(self.cfg, m, decl.file).eval(d)?;
                        Ok((v, Some(decl.file)))
                    }
                    None if module.parent.is_some() => Err(format!(
                        "var.{name} of {} has no default and the module block gives it no value",
                        module_name(module)
                    )),
                    None => Err(format!(
                        "var.{name} has no default and no value (give --var {name}=VALUE or --var-file)"
                    )),
                },
            }
        })
    }

    fn local(&self, m: usize, name: &str) -> Result<(Node, Option<usize>), String> {
        self.memo(m, format!("local.{name}"), || {
            let (e, f) = self.cfg.modules[m]
                .locals
                .get(name)
                .ok_or_else(|| format!("local.{name} is not defined"))?;
            let v = Scope::in_module(self.cfg, m, *f).eval(e)?;
            Ok((v, Some(*f)))
        })
    }

    fn module_output(
        &self,
        m: usize,
        call: &str,
        out: &str,
    ) -> Result<(Node, Option<usize>), String> {
        self.memo(m, format!("module.{call}.{out}"), || {
            let c = self.cfg.modules[m]
                .calls
                .get(call)
                .ok_or_else(|| format!("module.{call} is not declared"))?;
            let child = c.module.clone()?;
            let (e, f) = self.cfg.modules[child]
                .outputs
                .get(out)
                .ok_or_else(|| format!("module.{call} has no output {out}"))?;
            let v = Scope::in_module(self.cfg, child, *f).eval(e)?;
            Ok((v, Some(*f)))
        })
    }

    /// `TYPE.NAME[KEY].ATTR…` (or `data.TYPE.NAME…`): the instance's attribute, then the rest.
    fn resource_ref(
        &self,
        m: usize,
        ty: &str,
        name: &str,
        data: bool,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
        pos: Pos,
    ) -> Res {
        let module = &self.cfg.modules[m];
        let Some(ri) = module
            .resources
            .iter()
            .position(|r| r.ty == ty && r.name == name && r.data == data)
        else {
            let d = if data { "data." } else { "" };
            return Err(format!(
                "{d}{ty}.{name} is not declared in {}",
                module_name(module)
            ));
        };
        let r = &module.resources[ri];
        let repeated = r.block.body.get_attribute("count").is_some()
            || r.block.body.get_attribute("for_each").is_some();
        let mut rest = ops;
        let key = if repeated {
            match ops.first().map(|o| o.value()) {
                Some(TraversalOperator::Index(e)) => {
                    rest = &ops[1..];
                    Some(self.eval(e)?)
                }
                Some(TraversalOperator::LegacyIndex(n)) => {
                    rest = &ops[1..];
                    Some(number_node(*n.value() as f64, pos))
                }
                _ => {
                    return Err(format!(
                        "{} has count or for_each: a reference to all its instances is not evaluated",
                        address(module, r, None)
                    ));
                }
            }
        } else {
            None
        };
        let Some(TraversalOperator::GetAttr(a)) = rest.first().map(|o| o.value()) else {
            return Err(format!(
                "{} is used whole; ekm-check evaluates its attributes one by one",
                address(module, r, key.as_ref())
            ));
        };
        let v = self.instance_attr(m, ri, key.as_ref(), a.as_str())?;
        let v = self.adopt(v, pos);
        self.apply(v, &rest[1..], pos)
    }

    /// One attribute of one instance: what the configuration sets, else what AWS assigns.
    pub fn instance_attr(
        &self,
        m: usize,
        ri: usize,
        key: Option<&Node>,
        attr: &str,
    ) -> Result<(Node, Option<usize>), String> {
        let module = &self.cfg.modules[m];
        let r = &module.resources[ri];
        let addr = address(module, r, key);
        self.memo(m, format!("{addr}.{attr}"), || {
            let scope = self.instance_scope(m, r, key)?;
            if r.data
                && r.ty == "aws_iam_policy_document"
                && matches!(attr, "json" | "minified_json")
            {
                let doc = super::policy_document::render(&scope, &r.block.body)?;
                let text = serde_json::to_string(&doc.to_serde()).unwrap_or_default();
                self.cfg
                    .encoded
                    .borrow_mut()
                    .insert(text.clone(), (doc.clone(), Some(r.file)));
                return Ok((node(Value::String(text), doc.pos), Some(r.file)));
            }
            if let Some(a) = r.block.body.get_attribute(attr) {
                return Ok((scope.eval(&a.value)?, Some(r.file)));
            }
            computed(&scope, r, &addr, attr).map(|v| (v, None))
        })
    }

    /// The scope of a resource instance: `count.index`, `each.key`, `each.value`.
    pub fn instance_scope(
        &self,
        m: usize,
        r: &ResBlock,
        key: Option<&Node>,
    ) -> Result<Scope<'c>, String> {
        let mut s = Scope::in_module(self.cfg, m, r.file);
        if let Some(k) = key {
            if r.block.body.get_attribute("count").is_some() {
                s = s.with("count", object(vec![("index", k.clone())], k.pos));
            } else if let Some(fe) = r.block.body.get_attribute("for_each") {
                let coll = s.eval(&fe.value)?;
                let value = match &coll.value {
                    Value::Object(_) => get(&coll, &text_of(k).unwrap_or_default()),
                    _ => Some(k.clone()),
                }
                .ok_or_else(|| {
                    format!(
                        "{} has no instance {}",
                        r.name,
                        text_of(k).unwrap_or_default()
                    )
                })?;
                s = s.with(
                    "each",
                    object(vec![("key", k.clone()), ("value", value)], k.pos),
                );
            }
        }
        Ok(s)
    }

    /// The text of an expression with the text of the locals it uses (transitively): what a
    /// target search reads when the value is open.
    pub fn source_text(&self, e: &Expression) -> Option<String> {
        let mut out = self.cfg.text(self.file, e.span())?;
        let Some(m) = self.module else {
            return Some(out);
        };
        let mut seen: Vec<String> = Vec::new();
        let mut i = 0;
        while i < out.len() && seen.len() < 64 {
            let Some(at) = out[i..].find("local.") else {
                break;
            };
            let start = i + at + "local.".len();
            let name: String = out[start..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
                .collect();
            i = start;
            if name.is_empty() || seen.contains(&name) {
                continue;
            }
            if let Some((le, f)) = self.cfg.modules[m].locals.get(&name) {
                if let Some(t) = self.cfg.text(*f, le.span()) {
                    out.push('\n');
                    out.push_str(&t);
                }
            }
            seen.push(name);
        }
        Some(out)
    }

    /// The resources a expression refers to (through locals, variables and module outputs).
    pub fn refs(&self, e: &Expression) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(m) = self.module {
            collect_refs(self.cfg, m, e, &mut out, 0);
        }
        out
    }

    /// Expand a body's blocks named `name`, `dynamic "name"` blocks included: each with the
    /// scope its content is evaluated in.
    pub fn blocks<'b>(
        &self,
        body: &'b Body,
        name: &str,
    ) -> Result<Vec<(&'b Body, Pos, Scope<'c>)>, String> {
        let mut out = Vec::new();
        for s in body.iter() {
            let Structure::Block(b) = s else { continue };
            if b.ident.as_str() == name {
                out.push((&b.body, self.pos(b), self.clone()));
            } else if b.ident.as_str() == "dynamic"
                && b.labels.first().map(|l| l.as_str()) == Some(name)
            {
                out.extend(self.dynamic(b, name)?);
            }
        }
        Ok(out)
    }

    fn dynamic<'b>(
        &self,
        b: &'b Block,
        name: &str,
    ) -> Result<Vec<(&'b Body, Pos, Scope<'c>)>, String> {
        let fe = b
            .body
            .get_attribute("for_each")
            .ok_or_else(|| format!("dynamic \"{name}\" has no for_each ({})", self.at(b)))?;
        let coll = self.eval(&fe.value)?;
        let iterator = match b.body.get_attribute("iterator").map(|a| &a.value) {
            Some(Expression::Variable(v)) => v.as_str().to_string(),
            _ => name.to_string(),
        };
        let content = b
            .body
            .iter()
            .find_map(|s| match s {
                Structure::Block(c) if c.ident.as_str() == "content" => Some(c),
                _ => None,
            })
            .ok_or_else(|| format!("dynamic \"{name}\" has no content block ({})", self.at(b)))?;
        let mut out = Vec::new();
        for (k, v) in pairs(&coll)? {
            let pos = self.pos(content);
            let it = object(vec![("key", k), ("value", v)], pos);
            out.push((&content.body, pos, self.with(&iterator, it)));
        }
        Ok(out)
    }
}

fn module_name(m: &super::config::Module) -> String {
    if m.prefix.is_empty() {
        "the root module".into()
    } else {
        m.prefix.trim_end_matches('.').to_string()
    }
}

pub fn object(members: Vec<(&str, Node)>, pos: Pos) -> Node {
    node(
        Value::Object(
            members
                .into_iter()
                .map(|(k, v)| Member {
                    key: k.to_string(),
                    key_pos: pos,
                    value: v,
                })
                .collect(),
        ),
        pos,
    )
}

pub fn truthy(n: &Node) -> Option<bool> {
    match &n.value {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s == "true" => Some(true),
        Value::String(s) if s == "false" => Some(false),
        _ => None,
    }
}

pub fn equal(a: &Node, b: &Node) -> bool {
    match (num(a), num(b), &a.value, &b.value) {
        (Some(x), Some(y), Value::Number(_), Value::Number(_)) => x == y,
        _ => a.to_serde() == b.to_serde(),
    }
}

pub fn get(v: &Node, key: &str) -> Option<Node> {
    v.get(key).cloned()
}

fn index(v: &Node, k: &Node) -> Option<Node> {
    match &v.value {
        Value::Array(items) => {
            let i = num(k)?;
            if i < 0.0 || i.fract() != 0.0 {
                return None;
            }
            items.get(i as usize).cloned()
        }
        Value::Object(_) => get(v, &text_of(k)?),
        _ => None,
    }
}

/// The (key, value) pairs a `for` iterates: index and element of a list, key and value of a map.
pub fn pairs(v: &Node) -> Result<Vec<(Node, Node)>, String> {
    match &v.value {
        Value::Array(items) => Ok(items
            .iter()
            .enumerate()
            .map(|(i, x)| (number_node(i as f64, x.pos), x.clone()))
            .collect()),
        Value::Object(members) => Ok(members
            .iter()
            .map(|m| {
                (
                    node(Value::String(m.key.clone()), m.key_pos),
                    m.value.clone(),
                )
            })
            .collect()),
        Value::Null => Ok(Vec::new()),
        _ => Err("a for expression or for_each needs a list, set or map".into()),
    }
}

/// The address of a resource instance: `module.a.aws_kms_key.k["x"]`.
pub fn address(m: &super::config::Module, r: &ResBlock, key: Option<&Node>) -> String {
    let d = if r.data { "data." } else { "" };
    let k = match key.map(|k| &k.value) {
        Some(Value::Number(n)) => format!("[{n}]"),
        Some(Value::String(s)) => format!("[{}]", serde_json::Value::String(s.clone())),
        _ => String::new(),
    };
    format!("{}{d}{}.{}{k}", m.prefix, r.ty, r.name)
}

/// A stable key id derived from an address (the same on every run).
pub fn symbolic_key_id(address: &str, multi_region: bool) -> String {
    crate::iac::symbolic_key_id(address, multi_region)
}

/// What AWS assigns (or what follows from what the configuration sets).
fn computed(s: &Scope<'_>, r: &ResBlock, addr: &str, attr: &str) -> Res {
    let p = Pos::default();
    let cfg = s.cfg;
    let string = |v: String| Ok(node(Value::String(v), p));
    let set = |a: &str| -> Result<Option<String>, String> {
        match r.block.body.get_attribute(a) {
            Some(x) => Ok(text_of(&s.eval(&x.value)?)),
            None => Ok(None),
        }
    };
    let account = || {
        cfg.pseudo.account.clone().ok_or_else(|| {
            format!(
                "{addr}.{attr} needs the account the configuration is applied to (give --account)"
            )
        })
    };
    let region = || {
        cfg.pseudo.region.clone().ok_or_else(|| {
            format!("{addr}.{attr} needs the region (give --region, or set it in the provider)")
        })
    };
    let partition = || cfg.pseudo.partition().unwrap_or_else(|| "aws".into());
    let open = || {
        Err(format!(
            "{addr}.{attr} is known only after apply (AWS assigns it)"
        ))
    };
    match (r.data, r.ty.as_str(), attr) {
        (false, "aws_kms_key", "key_id" | "id") => {
            let multi = set("multi_region")?.as_deref() == Some("true");
            string(symbolic_key_id(addr, multi))
        }
        (false, "aws_kms_key", "arn") => {
            let multi = set("multi_region")?.as_deref() == Some("true");
            let (acct, region) = match (cfg.pseudo.account.clone(), cfg.pseudo.region.clone()) {
                (Some(a), Some(r)) => (a, r),
                _ => {
                    return Err(format!(
                        "the ARN of {addr} is known only after apply (give --account and --region for a symbolic one)"
                    ));
                }
            };
            string(format!(
                "arn:{}:kms:{region}:{acct}:key/{}",
                partition(),
                symbolic_key_id(addr, multi)
            ))
        }
        (false, "aws_kms_alias", "arn") => {
            let name = set("name")?.ok_or_else(|| format!("{addr} has no name"))?;
            string(format!(
                "arn:{}:kms:{}:{}:{name}",
                partition(),
                region()?,
                account()?
            ))
        }
        (false, "aws_kms_alias", "id") => set("name")?.map_or_else(open, string),
        (false, "aws_iam_role", "name" | "id") => match set("name")? {
            Some(n) => string(n),
            None => Err(format!(
                "{addr} has no name: AWS generates it at apply (give --role-arn)"
            )),
        },
        (false, "aws_iam_role", "arn") => {
            let name = set("name")?.ok_or_else(|| {
                format!("{addr} has no name: AWS generates it at apply (give --role-arn)")
            })?;
            let path = set("path")?.unwrap_or_else(|| "/".into());
            string(format!(
                "arn:{}:iam::{}:role{path}{name}",
                partition(),
                account()?
            ))
        }
        (false, "aws_iam_policy", "name") => set("name")?.map_or_else(
            || Err(format!("{addr} has no name: AWS generates it at apply")),
            string,
        ),
        (false, "aws_iam_policy", "arn" | "id") => {
            let name = set("name")?
                .ok_or_else(|| format!("{addr} has no name: AWS generates it at apply"))?;
            let path = set("path")?.unwrap_or_else(|| "/".into());
            string(format!(
                "arn:{}:iam::{}:policy{path}{name}",
                partition(),
                account()?
            ))
        }
        (true, "aws_caller_identity", "account_id" | "id") => string(account()?),
        (true, "aws_region", "name" | "region" | "id") => string(region()?),
        (true, "aws_partition", "partition" | "id") => string(partition()),
        (true, "aws_partition", "dns_suffix") => string(match partition().as_str() {
            "aws-cn" => "amazonaws.com.cn".into(),
            _ => "amazonaws.com".into(),
        }),
        (true, "aws_iam_policy", "policy") => {
            let arn =
                set("arn")?.ok_or_else(|| format!("{addr}.policy is read from AWS at plan"))?;
            let name = crate::iac::managed_policies::aws_managed_name(&arn)
                .ok_or_else(|| format!("{addr}.policy is read from AWS at plan"))?;
            crate::iac::managed_policies::document(name)
                .map(|d| node(Value::String(d.to_string()), p))
                .ok_or_else(|| {
                    format!(
                        "{addr}.policy: the AWS-managed policy {name} is not known to ekm-check"
                    )
                })
        }
        (true, ty, _) => Err(format!(
            "{addr}.{attr} is read from AWS at plan ({ty} needs the provider)"
        )),
        _ => open(),
    }
}

/// Collect the resource addresses an expression refers to, following locals, variables and
/// module outputs.
fn collect_refs(cfg: &Config, m: usize, e: &Expression, out: &mut Vec<String>, depth: usize) {
    if depth > 20 {
        return;
    }
    let module = &cfg.modules[m];
    let add = |s: String, out: &mut Vec<String>| {
        if !out.contains(&s) {
            out.push(s);
        }
    };
    let mut stack: Vec<&Expression> = vec![e];
    while let Some(e) = stack.pop() {
        match e {
            Expression::Traversal(t) => {
                let names: Vec<&str> = t
                    .operators
                    .iter()
                    .map_while(|o| match o.value() {
                        TraversalOperator::GetAttr(a) => Some(a.as_str()),
                        _ => None,
                    })
                    .collect();
                if let Expression::Variable(v) = &t.expr {
                    let root = v.as_str();
                    match (root, names.as_slice()) {
                        ("local", [l, ..]) => {
                            if let Some((le, _)) = module.locals.get(*l) {
                                collect_refs(cfg, m, le, out, depth + 1);
                            }
                        }
                        ("var", [n, ..]) => {
                            if let (Some(Given::Expr(ge, _)), Some(p)) =
                                (module.given.get(*n), module.parent)
                            {
                                collect_refs(cfg, p, ge, out, depth + 1);
                            }
                        }
                        ("module", [c, o, ..]) => {
                            if let Some(Ok(child)) = module.calls.get(*c).map(|c| c.module.clone())
                            {
                                if let Some((oe, _)) = cfg.modules[child].outputs.get(*o) {
                                    collect_refs(cfg, child, oe, out, depth + 1);
                                }
                            }
                            add(format!("{}module.{c}", module.prefix), out);
                        }
                        ("data", [ty, n, ..]) => {
                            add(format!("{}data.{ty}.{n}", module.prefix), out);
                            // A policy document's references are the document's.
                            if let Some(r) = module
                                .resources
                                .iter()
                                .find(|r| r.data && r.ty == *ty && r.name == *n)
                            {
                                for_each_expr(&r.block.body, &mut |x| {
                                    collect_refs(cfg, m, x, out, depth + 1)
                                });
                            }
                        }
                        (ty, [n, ..]) if module.resources.iter().any(|r| !r.data && r.ty == ty) => {
                            add(format!("{}{ty}.{n}", module.prefix), out);
                        }
                        _ => {}
                    }
                } else {
                    stack.push(&t.expr);
                }
                for o in &t.operators {
                    if let TraversalOperator::Index(ix) = o.value() {
                        stack.push(ix);
                    }
                }
            }
            other => push_children(other, &mut stack),
        }
    }
}

fn for_each_expr<'a>(body: &'a Body, f: &mut dyn FnMut(&'a Expression)) {
    for s in body.iter() {
        match s {
            Structure::Attribute(a) => f(&a.value),
            Structure::Block(b) => for_each_expr(&b.body, f),
        }
    }
}

fn push_children<'a>(e: &'a Expression, stack: &mut Vec<&'a Expression>) {
    match e {
        Expression::Array(a) => stack.extend(a.iter()),
        Expression::Object(o) => {
            for (k, v) in o.iter() {
                if let ObjectKey::Expression(k) = k {
                    stack.push(k);
                }
                stack.push(v.expr());
            }
        }
        Expression::StringTemplate(t) => push_template(t.iter(), stack),
        Expression::HeredocTemplate(h) => push_template(h.template.iter(), stack),
        Expression::Parenthesis(p) => stack.push(p.inner()),
        Expression::Conditional(c) => {
            stack.push(&c.cond_expr);
            stack.push(&c.true_expr);
            stack.push(&c.false_expr);
        }
        Expression::FuncCall(f) => stack.extend(f.args.iter()),
        Expression::UnaryOp(u) => stack.push(&u.expr),
        Expression::BinaryOp(b) => {
            stack.push(&b.lhs_expr);
            stack.push(&b.rhs_expr);
        }
        Expression::ForExpr(f) => {
            stack.push(&f.intro.collection_expr);
            if let Some(k) = &f.key_expr {
                stack.push(k);
            }
            stack.push(&f.value_expr);
        }
        _ => {}
    }
}

fn push_template<'a>(els: impl Iterator<Item = &'a Element>, stack: &mut Vec<&'a Expression>) {
    for el in els {
        match el {
            Element::Interpolation(i) => stack.push(&i.expr),
            Element::Directive(d) => match d.as_ref() {
                Directive::If(i) => {
                    stack.push(&i.if_expr.cond_expr);
                    push_template(i.if_expr.template.iter(), stack);
                    if let Some(e) = &i.else_expr {
                        push_template(e.template.iter(), stack);
                    }
                }
                Directive::For(f) => {
                    stack.push(&f.for_expr.collection_expr);
                    push_template(f.for_expr.template.iter(), stack);
                }
            },
            Element::Literal(_) => {}
        }
    }
}

/// Meta-arguments and blocks that are not resource attributes.
const META: &[&str] = &["count", "for_each", "depends_on", "provider", "lifecycle"];

/// Every instance of a resource block, with its attributes evaluated.
pub fn instances(cfg: &Config, m: usize, ri: usize) -> Vec<Resource> {
    let module = &cfg.modules[m];
    let r = &module.resources[ri];
    let s = Scope::in_module(cfg, m, r.file);
    let line = s.pos(&r.block).line;
    let keys: Result<Vec<Option<Node>>, String> = if let Some(c) =
        r.block.body.get_attribute("count")
    {
        s.eval(&c.value).and_then(|n| {
            let k = num(&n).ok_or_else(|| format!("count is not a number ({})", s.at(&c.value)))?;
            Ok((0..k.max(0.0) as usize)
                .map(|i| Some(number_node(i as f64, n.pos)))
                .collect())
        })
    } else if let Some(fe) = r.block.body.get_attribute("for_each") {
        s.eval(&fe.value).and_then(|n| {
            Ok(pairs(&n)?
                .into_iter()
                .map(|(k, v)| {
                    Some(match n.value {
                        Value::Array(_) => v,
                        _ => k,
                    })
                })
                .collect())
        })
    } else {
        Ok(vec![None])
    };
    let keys = match keys {
        Ok(k) => k,
        Err(e) => {
            // One resource whose every attribute is open.
            let addr = address(module, r, None);
            let why = format!("{addr}: its count or for_each is open: {e}");
            let mut res = Resource {
                address: addr,
                ty: r.ty.clone(),
                data: r.data,
                file: cfg.files[r.file].path.clone(),
                line,
                pointer: String::new(),
                attrs: Default::default(),
            };
            for st in r.block.body.iter() {
                if let Structure::Attribute(a) = st {
                    res.attrs
                        .insert(a.key.as_str().to_string(), Attr::open(why.clone()));
                }
            }
            return vec![res];
        }
    };
    keys.into_iter()
        .map(|k| instance(cfg, m, ri, k.as_ref(), line))
        .collect()
}

fn instance(cfg: &Config, m: usize, ri: usize, key: Option<&Node>, line: u32) -> Resource {
    let module = &cfg.modules[m];
    let r = &module.resources[ri];
    let addr = address(module, r, key);
    let base = Scope::in_module(cfg, m, r.file);
    let mut res = Resource {
        address: addr.clone(),
        ty: r.ty.clone(),
        data: r.data,
        file: cfg.files[r.file].path.clone(),
        line,
        pointer: String::new(),
        attrs: Default::default(),
    };
    let scope = match base.instance_scope(m, r, key) {
        Ok(s) => s,
        Err(e) => {
            res.attrs.insert("id".into(), Attr::open(e));
            return res;
        }
    };
    let with_where = |mut a: Attr, at: String| {
        if let Err(e) = &mut a.value {
            if !e.contains(&addr) {
                *e = format!("{addr}: {e}");
            }
            if !e.contains(" (") || !e.contains(".tf:") {
                e.push_str(&format!(" ({at})"));
            }
        }
        a
    };
    for st in r.block.body.iter() {
        if let Structure::Attribute(a) = st {
            let k = a.key.as_str();
            if META.contains(&k) {
                continue;
            }
            let at = scope.at(&a.value);
            res.attrs.insert(
                k.to_string(),
                with_where(super::config::attr(&scope, &a.value), at),
            );
        }
    }
    // inline_policy { name, policy } blocks of a role (dynamic ones too).
    if !r.data && r.ty == "aws_iam_role" {
        match scope.blocks(&r.block.body, "inline_policy") {
            Ok(blocks) if !blocks.is_empty() => {
                let mut items = Vec::new();
                let mut open = None;
                for (i, (body, pos, bs)) in blocks.into_iter().enumerate() {
                    let mut members = Vec::new();
                    for k in ["name", "policy"] {
                        if let Some(a) = body.get_attribute(k) {
                            let at = bs.at(&a.value);
                            let attr = with_where(super::config::attr(&bs, &a.value), at);
                            match &attr.value {
                                Ok(v) => members.push((k, v.clone())),
                                Err(e) => open = Some(e.clone()),
                            }
                            if k == "policy" {
                                res.attrs.insert(format!("inline_policy[{i}].policy"), attr);
                            }
                        }
                    }
                    items.push(object(members, pos));
                }
                let a = match open {
                    Some(e) => Attr::open(e),
                    None => Attr::known(node(Value::Array(items), Pos::default())),
                };
                res.attrs.insert("inline_policy".into(), a);
            }
            Ok(_) => {}
            Err(e) => {
                res.attrs
                    .insert("inline_policy".into(), Attr::open(format!("{addr}: {e}")));
            }
        }
    }
    // What AWS assigns, or what the rules need from a data source.
    let computed: &[&str] = match (r.data, r.ty.as_str()) {
        (false, "aws_kms_key") => &["arn", "key_id", "id"],
        (false, "aws_kms_alias") => &["arn", "id"],
        (false, "aws_iam_role") => &["arn", "name", "id"],
        (false, "aws_iam_policy") => &["arn", "name", "id"],
        (true, "aws_iam_policy_document") => &["json"],
        _ => &[],
    };
    for c in computed {
        if res.attrs.contains_key(*c) {
            continue;
        }
        let v = base.instance_attr(m, ri, key, c);
        let mut a = match v {
            Ok((n, f)) => {
                let document = match &n.value {
                    Value::String(s) => cfg.encoded.borrow().get(s).map(|(d, f)| {
                        (
                            d.clone(),
                            f.map(|f| cfg.files[f].path.clone()).unwrap_or_default(),
                        )
                    }),
                    _ => None,
                };
                let _ = f;
                Attr {
                    value: Ok(n),
                    refs: Vec::new(),
                    source: Some("symbolic".into()),
                    document,
                }
            }
            Err(e) => Attr::open(e),
        };
        if *c != "arn" || r.ty != "aws_kms_key" {
            a.source = None;
        }
        res.attrs.insert(c.to_string(), a);
    }
    res
}
