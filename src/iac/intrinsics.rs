//! CloudFormation's intrinsic functions, resolved as far as the template, its parameters and
//! the pseudo parameters given (`--account`, `--region`, `--partition`) allow. What stays open
//! until deployment (`Fn::ImportValue`, a parameter without a value, an SSM parameter, a
//! generated name) is an [`Open`] value naming what is missing and its line; it is never guessed.

use std::cell::RefCell;
use std::collections::BTreeMap;

use crate::json::{Member, Node, Pos, Value};

/// A value known only at deployment: why, and the template line that holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open {
    pub reason: String,
    pub line: u32,
}

/// A resolved value: a node, or `AWS::NoValue` (the key or element is removed).
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    Value(Node),
    NoValue,
}

pub type Res<T> = Result<T, Open>;

/// A parameter's value for this check.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Value(Node),
    Open(String),
}

/// The pseudo parameters the user gave (or that follow from them).
#[derive(Debug, Clone, Default)]
pub struct Pseudo {
    pub account: Option<String>,
    pub region: Option<String>,
    pub partition: Option<String>,
    pub stack_name: Option<String>,
}

impl Pseudo {
    /// The partition: `--partition`, else the region's (`cn-…` is aws-cn, `us-gov-…` aws-us-gov).
    pub fn partition(&self) -> Option<String> {
        if let Some(p) = &self.partition {
            return Some(p.clone());
        }
        let r = self.region.as_deref()?;
        Some(
            if r.starts_with("cn-") {
                "aws-cn"
            } else if r.starts_with("us-gov-") {
                "aws-us-gov"
            } else if r.starts_with("us-iso") {
                "aws-iso"
            } else {
                "aws"
            }
            .to_string(),
        )
    }
}

/// What a resource's `Ref` and `Fn::GetAtt` give: supplied by the template reader.
pub trait Resources {
    /// `Some(result)` when `name` is a resource of the template.
    fn reference(&self, cx: &Resolver<'_>, name: &str, pos: Pos) -> Option<Res<Node>>;
    fn attribute(&self, cx: &Resolver<'_>, name: &str, attr: &str, pos: Pos) -> Option<Res<Node>>;
}

/// Resolves values of one template.
pub struct Resolver<'a> {
    pub params: BTreeMap<String, Param>,
    pub pseudo: Pseudo,
    pub mappings: Option<&'a Node>,
    pub conditions: Option<&'a Node>,
    pub resources: &'a dyn Resources,
    /// Conditions being evaluated (a cycle is an error, not a stack overflow).
    evaluating: RefCell<Vec<String>>,
}

fn open<T>(reason: impl Into<String>, pos: Pos) -> Res<T> {
    Err(Open {
        reason: reason.into(),
        line: pos.line,
    })
}

fn string(s: impl Into<String>, pos: Pos) -> Node {
    Node {
        value: Value::String(s.into()),
        pos,
    }
}

/// The text of a scalar (CloudFormation turns numbers and booleans into strings where it
/// needs one).
pub fn text(n: &Node) -> Option<String> {
    match &n.value {
        Value::String(s) | Value::Number(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Is this object an intrinsic function call (`{"Ref": …}`, `{"Fn::X": …}`, `{"Condition": …}`
/// in a condition)? Returns the name and argument.
fn call(n: &Node) -> Option<(&str, &Node)> {
    let [m] = n.members()? else { return None };
    (m.key == "Ref" || m.key.starts_with("Fn::")).then_some((m.key.as_str(), &m.value))
}

impl<'a> Resolver<'a> {
    pub fn new(
        params: BTreeMap<String, Param>,
        pseudo: Pseudo,
        template: &'a Node,
        resources: &'a dyn Resources,
    ) -> Resolver<'a> {
        Resolver {
            params,
            pseudo,
            mappings: template.get("Mappings"),
            conditions: template.get("Conditions"),
            resources,
            evaluating: RefCell::new(Vec::new()),
        }
    }

    /// Resolve a value: every intrinsic inside it, `AWS::NoValue` removed.
    pub fn resolve(&self, n: &Node) -> Res<Resolved> {
        if let Some((name, arg)) = call(n) {
            return self.function(name, arg, n.pos);
        }
        let value = match &n.value {
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    if let Resolved::Value(v) = self.resolve(i)? {
                        out.push(v);
                    }
                }
                Value::Array(out)
            }
            Value::Object(members) => {
                let mut out = Vec::with_capacity(members.len());
                for m in members {
                    if let Resolved::Value(v) = self.resolve(&m.value)? {
                        out.push(Member {
                            key: m.key.clone(),
                            key_pos: m.key_pos,
                            value: v,
                        });
                    }
                }
                Value::Object(out)
            }
            other => other.clone(),
        };
        Ok(Resolved::Value(Node { value, pos: n.pos }))
    }

    /// Resolve a value that must be there (`AWS::NoValue` is an open value here).
    pub fn value(&self, n: &Node) -> Res<Node> {
        match self.resolve(n)? {
            Resolved::Value(v) => Ok(v),
            Resolved::NoValue => open("AWS::NoValue where a value is needed", n.pos),
        }
    }

    /// Resolve a value that must be a string.
    pub fn string(&self, n: &Node) -> Res<String> {
        let v = self.value(n)?;
        text(&v).map_or_else(
            || open(format!("expected a string, got {}", v.type_name()), n.pos),
            Ok,
        )
    }

    fn list(&self, n: &Node) -> Res<Vec<Node>> {
        match self.value(n)?.value {
            Value::Array(items) => Ok(items),
            _ => open("expected a list", n.pos),
        }
    }

    fn function(&self, name: &str, arg: &Node, pos: Pos) -> Res<Resolved> {
        let v = match name {
            "Ref" => return self.reference(arg, pos),
            "Fn::GetAtt" => self.get_att(arg, pos)?,
            "Fn::Sub" => string(self.sub(arg, pos)?, pos),
            "Fn::Join" => string(self.join(arg, pos)?, pos),
            "Fn::Select" => return self.select(arg, pos),
            "Fn::Split" => self.split(arg, pos)?,
            "Fn::FindInMap" => self.find_in_map(arg, pos)?,
            "Fn::If" => return self.if_(arg, pos),
            "Fn::Base64" => {
                use base64::Engine;
                let s = self.string(arg)?;
                string(base64::engine::general_purpose::STANDARD.encode(s), pos)
            }
            "Fn::ImportValue" => {
                let what = self
                    .string(arg)
                    .map(|s| format!(" {s}"))
                    .unwrap_or_default();
                return open(
                    format!(
                        "Fn::ImportValue{what} is another stack's export, known only at deployment"
                    ),
                    pos,
                );
            }
            "Fn::Transform" => {
                return open("Fn::Transform is a macro, applied only at deployment", pos);
            }
            "Fn::GetAZs" => return open("Fn::GetAZs is known only at deployment", pos),
            other => return open(format!("{other} is not evaluated by ekm-check"), pos),
        };
        Ok(Resolved::Value(v))
    }

    fn reference(&self, arg: &Node, pos: Pos) -> Res<Resolved> {
        let name = self.string(arg)?;
        if name == "AWS::NoValue" {
            return Ok(Resolved::NoValue);
        }
        self.named(&name, pos).map(Resolved::Value)
    }

    /// The value `Ref NAME` and `${NAME}` give: a pseudo parameter, a parameter or a resource.
    fn named(&self, name: &str, pos: Pos) -> Res<Node> {
        if let Some(p) = name.strip_prefix("AWS::") {
            return self.pseudo_value(p, pos).map(|s| string(s, pos));
        }
        if let Some(p) = self.params.get(name) {
            return match p {
                Param::Value(v) => Ok(Node {
                    value: v.value.clone(),
                    pos,
                }),
                Param::Open(why) => open(why.clone(), pos),
            };
        }
        match self.resources.reference(self, name, pos) {
            Some(r) => r,
            None => open(
                format!("Ref {name}: no parameter or resource of that name"),
                pos,
            ),
        }
    }

    fn pseudo_value(&self, p: &str, pos: Pos) -> Res<String> {
        let given = |v: Option<String>, flag: &str| {
            v.map_or_else(
                || {
                    open(
                        format!("AWS::{p} is known only at deployment (give {flag})"),
                        pos,
                    )
                },
                Ok,
            )
        };
        match p {
            "AccountId" => given(self.pseudo.account.clone(), "--account"),
            "Region" => given(self.pseudo.region.clone(), "--region"),
            "Partition" => given(self.pseudo.partition(), "--partition or --region"),
            "URLSuffix" => given(
                self.pseudo.partition().map(|p| {
                    if p == "aws-cn" {
                        "amazonaws.com.cn".to_string()
                    } else {
                        "amazonaws.com".to_string()
                    }
                }),
                "--partition or --region",
            ),
            "StackName" => given(self.pseudo.stack_name.clone(), "--stack-name"),
            _ => open(format!("AWS::{p} is known only at deployment"), pos),
        }
    }

    fn get_att(&self, arg: &Node, pos: Pos) -> Res<Node> {
        let (name, attr) = match &arg.value {
            Value::Array(items) if items.len() == 2 => {
                (self.string(&items[0])?, self.string(&items[1])?)
            }
            _ => {
                let s = self.string(arg)?;
                match s.split_once('.') {
                    Some((n, a)) => (n.to_string(), a.to_string()),
                    None => return open(format!("Fn::GetAtt {s:?}: expected NAME.ATTRIBUTE"), pos),
                }
            }
        };
        self.attribute(&name, &attr, pos)
    }

    fn attribute(&self, name: &str, attr: &str, pos: Pos) -> Res<Node> {
        match self.resources.attribute(self, name, attr, pos) {
            Some(r) => r,
            None => open(format!("Fn::GetAtt {name}.{attr}: no resource {name}"), pos),
        }
    }

    fn sub(&self, arg: &Node, pos: Pos) -> Res<String> {
        let (template, vars) = match &arg.value {
            Value::Array(items) if items.len() == 2 => (self.string(&items[0])?, Some(&items[1])),
            _ => (self.string(arg)?, None),
        };
        let mut out = String::new();
        let mut rest = template.as_str();
        while let Some(i) = rest.find("${") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[i..]);
                rest = "";
                break;
            };
            let var = &after[..end];
            if let Some(lit) = var.strip_prefix('!') {
                out.push_str("${");
                out.push_str(lit);
                out.push('}');
            } else {
                out.push_str(&self.sub_var(var.trim(), vars, pos)?);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn sub_var(&self, var: &str, vars: Option<&Node>, pos: Pos) -> Res<String> {
        if let Some(v) = vars.and_then(|m| m.get(var)) {
            return self.string(v);
        }
        let node = if var.starts_with("AWS::") || !var.contains('.') {
            self.named(var, pos)?
        } else {
            let (n, a) = var.split_once('.').unwrap_or((var, ""));
            self.attribute(n, a, pos)?
        };
        text(&node).map_or_else(|| open(format!("${{{var}}} is not a string"), pos), Ok)
    }

    fn args<'n>(&self, arg: &'n Node, n: usize, name: &str, pos: Pos) -> Res<&'n [Node]> {
        match &arg.value {
            Value::Array(items) if items.len() == n => Ok(items),
            _ => open(format!("{name} takes a list of {n} arguments"), pos),
        }
    }

    fn join(&self, arg: &Node, pos: Pos) -> Res<String> {
        let a = self.args(arg, 2, "Fn::Join", pos)?;
        let delim = self.string(&a[0])?;
        let parts = self
            .list(&a[1])?
            .iter()
            .map(|p| {
                text(p).map_or_else(
                    || open("Fn::Join of a value that is not a string", p.pos),
                    Ok,
                )
            })
            .collect::<Res<Vec<_>>>()?;
        Ok(parts.join(&delim))
    }

    fn select(&self, arg: &Node, pos: Pos) -> Res<Resolved> {
        let a = self.args(arg, 2, "Fn::Select", pos)?;
        let i: usize = self
            .string(&a[0])?
            .parse()
            .map_or_else(|_| open("Fn::Select: the index is not a number", pos), Ok)?;
        let items = self.list(&a[1])?;
        match items.into_iter().nth(i) {
            Some(v) => Ok(Resolved::Value(v)),
            None => open(format!("Fn::Select: index {i} is beyond the list"), pos),
        }
    }

    fn split(&self, arg: &Node, pos: Pos) -> Res<Node> {
        let a = self.args(arg, 2, "Fn::Split", pos)?;
        let delim = self.string(&a[0])?;
        let s = self.string(&a[1])?;
        if delim.is_empty() {
            return open("Fn::Split with an empty delimiter", pos);
        }
        let items = s.split(delim.as_str()).map(|p| string(p, pos)).collect();
        Ok(Node {
            value: Value::Array(items),
            pos,
        })
    }

    fn find_in_map(&self, arg: &Node, pos: Pos) -> Res<Node> {
        let a = match &arg.value {
            Value::Array(items) if items.len() >= 3 => items,
            _ => {
                return open(
                    "Fn::FindInMap takes [MapName, TopLevelKey, SecondLevelKey]",
                    pos,
                );
            }
        };
        let (m, k1, k2) = (
            self.string(&a[0])?,
            self.string(&a[1])?,
            self.string(&a[2])?,
        );
        let found = self
            .mappings
            .and_then(|ms| ms.get(&m))
            .and_then(|t| t.get(&k1))
            .and_then(|s| s.get(&k2));
        match found {
            Some(v) => self.value(v),
            None => open(
                format!("Fn::FindInMap: {m}/{k1}/{k2} is not in Mappings"),
                pos,
            ),
        }
    }

    fn if_(&self, arg: &Node, pos: Pos) -> Res<Resolved> {
        let a = self.args(arg, 3, "Fn::If", pos)?;
        let name = self.string(&a[0])?;
        if self.condition(&name, pos)? {
            self.resolve(&a[1])
        } else {
            self.resolve(&a[2])
        }
    }

    /// The value of a named condition of `Conditions`.
    pub fn condition(&self, name: &str, pos: Pos) -> Res<bool> {
        let Some(c) = self.conditions.and_then(|cs| cs.get(name)) else {
            return open(format!("condition {name} is not in Conditions"), pos);
        };
        if self.evaluating.borrow().iter().any(|n| n == name) {
            return open(format!("condition {name} depends on itself"), pos);
        }
        self.evaluating.borrow_mut().push(name.to_string());
        let r = self.truth(c);
        self.evaluating.borrow_mut().pop();
        r.map_err(|e| Open {
            reason: format!("condition {name}: {}", e.reason),
            line: e.line,
        })
    }

    /// A condition function's value.
    fn truth(&self, n: &Node) -> Res<bool> {
        if let Some([m]) = n.members() {
            if m.key == "Condition" {
                return self.condition(&self.string(&m.value)?, n.pos);
            }
        }
        let Some((name, arg)) = call(n) else {
            return match text(&self.value(n)?).as_deref() {
                Some("true") => Ok(true),
                Some("false") => Ok(false),
                _ => open("a condition must be a condition function", n.pos),
            };
        };
        let items = || match &arg.value {
            Value::Array(items) => Ok(items.as_slice()),
            _ => open(format!("{name} takes a list"), n.pos),
        };
        match name {
            "Fn::Equals" => {
                let a = self.args(arg, 2, name, n.pos)?;
                Ok(self.value(&a[0])?.to_serde().to_string().trim_matches('"')
                    == self.value(&a[1])?.to_serde().to_string().trim_matches('"'))
            }
            "Fn::Not" => Ok(!self.truth(self.args(arg, 1, name, n.pos)?.first().expect("one"))?),
            "Fn::And" => self.all(items()?, true),
            "Fn::Or" => self.all(items()?, false),
            _ => match text(&self.value(n)?).as_deref() {
                Some("true") => Ok(true),
                Some("false") => Ok(false),
                _ => open(format!("{name} is not a condition function"), n.pos),
            },
        }
    }

    /// `Fn::And` (`and` true) or `Fn::Or`: decided as soon as one operand decides it, even when
    /// another is open.
    fn all(&self, items: &[Node], and: bool) -> Res<bool> {
        let mut first_open = None;
        for i in items {
            match self.truth(i) {
                Ok(v) if v != and => return Ok(v),
                Ok(_) => {}
                Err(e) => {
                    first_open.get_or_insert(e);
                }
            }
        }
        first_open.map_or(Ok(and), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoResources;
    impl Resources for NoResources {
        fn reference(&self, _: &Resolver<'_>, _: &str, _: Pos) -> Option<Res<Node>> {
            None
        }
        fn attribute(&self, _: &Resolver<'_>, _: &str, _: &str, _: Pos) -> Option<Res<Node>> {
            None
        }
    }

    fn resolve(template: &str, value: &str, account: Option<&str>) -> Res<serde_json::Value> {
        let t = crate::iac::template::parse(template, "t.yaml").unwrap();
        let v = crate::iac::template::parse(value, "v.yaml").unwrap();
        let mut params = BTreeMap::new();
        params.insert(
            "Env".to_string(),
            Param::Value(string("prod", Pos::default())),
        );
        let pseudo = Pseudo {
            account: account.map(str::to_string),
            region: Some("eu-west-1".into()),
            ..Pseudo::default()
        };
        let r = Resolver::new(params, pseudo, &t, &NoResources);
        r.value(&v).map(|n| n.to_serde())
    }

    #[test]
    fn sub_join_select_split_and_pseudo() {
        let t = "Mappings:\n  M:\n    prod:\n      Name: k\n";
        let v = "A: !Sub 'arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:alias/${Env}-${!Lit}'\nB: !Join ['-', [a, !Ref Env]]\nC: !Select [1, !Split [',', 'x,y,z']]\nD: !FindInMap [M, !Ref Env, Name]\n";
        let out = resolve(t, v, Some("111122223333")).unwrap();
        assert_eq!(
            out["A"],
            "arn:aws:kms:eu-west-1:111122223333:alias/prod-${Lit}"
        );
        assert_eq!(out["B"], "a-prod");
        assert_eq!(out["C"], "y");
        assert_eq!(out["D"], "k");
    }

    #[test]
    fn account_is_never_invented_and_import_value_is_open() {
        let e = resolve("{}\n", "A: !Sub '${AWS::AccountId}'\n", None).unwrap_err();
        assert!(e.reason.contains("--account"), "{e:?}");
        let e = resolve("{}\n", "A:\n  - x\n  - !ImportValue Shared\n", None).unwrap_err();
        assert!(e.reason.contains("Fn::ImportValue Shared"), "{e:?}");
        assert_eq!(e.line, 3);
    }

    #[test]
    fn conditions_and_no_value() {
        let t = "Conditions:\n  IsProd: !Equals [!Ref Env, prod]\n  NotProd: !Not [!Condition IsProd]\n  Either: !Or [!Condition NotProd, !Condition IsProd]\n";
        let v = "A: !If [IsProd, yes, no]\nB: !If [NotProd, x, !Ref AWS::NoValue]\nC: !If [Either, 1, 2]\n";
        let out = resolve(t, v, None).unwrap();
        assert_eq!(out["A"], "yes");
        assert!(out.get("B").is_none());
        assert_eq!(out["C"], 1);
    }
}
