//! The IAM policy language: documents parsed once into a form that evaluates fast and remembers
//! where every statement came from.

pub mod actions;
pub mod condition;
pub mod pattern;
pub mod principal;

use std::fmt;

use crate::json::view::{Member, Node, Value};
use crate::json::{self, Pos};
use condition::{Condition, Operator};
use pattern::{Pattern, Wild};
use principal::PrincipalPattern;

/// What a document is for; decides which elements it must and must not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// Attached to a user or role (inline or managed).
    Identity,
    /// Attached to a resource, e.g. a KMS key policy.
    Resource,
    /// A role's trust policy (a resource policy on the role, for `sts:AssumeRole*`).
    Trust,
    /// A permissions boundary.
    Boundary,
    /// A service control policy.
    Scp,
    /// A resource control policy (`Principal` is always `"*"`).
    Rcp,
}

impl PolicyKind {
    pub fn noun(self) -> &'static str {
        match self {
            PolicyKind::Identity => "identity policy",
            PolicyKind::Resource => "resource policy",
            PolicyKind::Trust => "trust policy",
            PolicyKind::Boundary => "permissions boundary",
            PolicyKind::Scp => "service control policy",
            PolicyKind::Rcp => "resource control policy",
        }
    }
    fn is_resource_based(self) -> bool {
        matches!(self, PolicyKind::Resource | PolicyKind::Trust)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    /// IAM would reject the document (EKM004).
    Error,
    /// IAM accepts it, but it is probably not what was meant (EKM006).
    Warning,
}

/// A problem in a document, located by JSON pointer and position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub level: Level,
    /// The evaluator's model of the document is still exact despite this problem (e.g. an
    /// invalid principal, which matches nobody); `false` when something was dropped.
    pub modelled: bool,
    pub message: String,
    pub hint: Option<String>,
    pub pointer: String,
    pub pos: Pos,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pos.line > 0 {
            write!(f, "line {}, column {}: ", self.pos.line, self.pos.col)?;
        }
        f.write_str(&self.message)?;
        if !self.pointer.is_empty() {
            write!(f, " (at {})", self.pointer)?;
        }
        if let Some(h) = &self.hint {
            write!(f, "; {h}")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    Allow,
    Deny,
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        })
    }
}

/// One entry of `Principal`/`NotPrincipal`, with where it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct PrincipalEntry {
    pub kind: String,
    pub raw: String,
    pub pattern: PrincipalPattern,
    pub pointer: String,
    pub pos: Pos,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Principals {
    /// `NotPrincipal`
    pub negated: bool,
    pub entries: Vec<PrincipalEntry>,
}

/// `Action`/`NotAction` or `Resource`/`NotResource`: compiled patterns.
#[derive(Debug, Clone, PartialEq)]
pub struct Matcher {
    pub negated: bool,
    /// The values as written.
    pub raw: Vec<String>,
    /// Actions are compiled lower-case (action names are case-insensitive).
    pub patterns: Vec<Pattern>,
    pub pointer: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// Position in the `Statement` list (0-based), or 0 when `Statement` is a single object.
    pub index: usize,
    pub sid: Option<String>,
    pub effect: Effect,
    pub principal: Option<Principals>,
    pub action: Matcher,
    /// `None` in a resource-based policy that omits it: the statement applies to the resource.
    pub resource: Option<Matcher>,
    pub conditions: Vec<Condition>,
    pub pointer: String,
    pub pos: Pos,
}

impl Statement {
    /// `Sid "X"` or `statement 2` (1-based for people).
    pub fn label(&self) -> String {
        match &self.sid {
            Some(s) if !s.is_empty() => format!("statement \"{s}\""),
            _ => format!("statement #{}", self.index + 1),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub kind: PolicyKind,
    /// Where it came from: a file path, or an AWS source such as `role.trust_policy`.
    pub source: String,
    pub version: Option<String>,
    pub id: Option<String>,
    pub statements: Vec<Statement>,
    pub diagnostics: Vec<Diagnostic>,
    /// Policy variables are expanded only in version 2012-10-17.
    pub variables: bool,
    /// How to name it in messages: "key policy" for a resource policy about KMS actions.
    pub noun: &'static str,
}

/// A document that could not be read as JSON at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}: {error}")]
pub struct PolicySyntaxError {
    pub source_name: String,
    pub error: json::SyntaxError,
}

impl Policy {
    /// Parse policy text. JSON syntax errors are returned; structural problems become diagnostics.
    pub fn from_text(
        text: &str,
        kind: PolicyKind,
        source: &str,
    ) -> Result<Policy, PolicySyntaxError> {
        let arena = bumpalo::Bump::new();
        let node = json::parse_in(text, &arena).map_err(|error| PolicySyntaxError {
            source_name: source.to_string(),
            error,
        })?;
        Ok(Policy::from_view(&node, kind, source, None))
    }

    /// Build from a serde_json value (positions are unknown: zero).
    pub fn from_value(v: &serde_json::Value, kind: PolicyKind, source: &str) -> Policy {
        Policy::from_node(&json::Node::from_serde(v), kind, source)
    }

    pub fn from_node(node: &json::Node, kind: PolicyKind, source: &str) -> Policy {
        let arena = bumpalo::Bump::new();
        Policy::from_view(&Node::of(node, &arena), kind, source, None)
    }

    /// Build from a document read with [`json::parse_in`]. `origin`: the document was read
    /// as part of a larger text and starts there; positions are then given relative to it,
    /// as if the document had been read alone.
    pub fn from_view(
        node: &Node<'_>,
        kind: PolicyKind,
        source: &str,
        origin: Option<Pos>,
    ) -> Policy {
        let mut b = Builder {
            kind,
            diags: Vec::new(),
            origin,
        };
        let mut policy = Policy {
            kind,
            source: source.to_string(),
            version: None,
            id: None,
            statements: Vec::new(),
            diagnostics: Vec::new(),
            variables: false,
            noun: kind.noun(),
        };
        let Some(members) = node.members() else {
            b.error(
                node,
                "",
                format!(
                    "a policy document must be a JSON object, not {}",
                    node.type_name()
                ),
                Some("{\"Version\": \"2012-10-17\", \"Statement\": [...]}".into()),
            );
            policy.diagnostics = b.diags;
            return policy;
        };
        b.duplicates(members, "");
        let mut statement_node = None;
        for m in members {
            match m.key {
                "Version" => match m.value.as_str() {
                    Some(v @ ("2012-10-17" | "2008-10-17")) => policy.version = Some(v.into()),
                    _ => b.error(
                        &m.value,
                        "/Version",
                        format!(
                            "Version must be \"2012-10-17\" (or the old \"2008-10-17\"), not {}",
                            show(&m.value)
                        ),
                        Some("use \"Version\": \"2012-10-17\"".into()),
                    ),
                },
                "Id" => match m.value.as_str() {
                    Some(v) => policy.id = Some(v.into()),
                    None => b.error(&m.value, "/Id", "Id must be a string".into(), None),
                },
                "Statement" => statement_node = Some(&m.value),
                other => b.unknown_element(m, "", other, &["Version", "Id", "Statement"]),
            }
        }
        match policy.version.as_deref() {
            Some("2012-10-17") => policy.variables = true,
            Some(_) => b.warning(
                node,
                "/Version",
                "Version 2008-10-17 is the old policy language: policy variables such as ${aws:PrincipalAccount} are not expanded".into(),
                Some("use \"Version\": \"2012-10-17\"".into()),
            ),
            None => {
                if !b.diags.iter().any(|d| d.pointer == "/Version") {
                    b.warning(
                        node,
                        "/Version",
                        "no Version: IAM reads the document as the old 2008-10-17 language, without policy variables".into(),
                        Some("add \"Version\": \"2012-10-17\"".into()),
                    )
                }
            }
        }
        let vars = policy.variables;
        match statement_node {
            None => b.error(
                node,
                "/Statement",
                "the document has no Statement".into(),
                Some("add \"Statement\": [ { \"Effect\": \"Allow\", … } ]".into()),
            ),
            Some(s) => match &s.value {
                Value::Object(_) => {
                    if let Some(st) = b.statement(s, 0, "/Statement".into(), vars) {
                        policy.statements.push(st);
                    }
                }
                Value::Array(items) => {
                    if items.is_empty() {
                        b.error(s, "/Statement", "Statement is empty".into(), None);
                    }
                    for (i, item) in items.iter().enumerate() {
                        if let Some(st) =
                            b.statement(item, i, item_pointer("/Statement", Some(i)), vars)
                        {
                            policy.statements.push(st);
                        }
                    }
                }
                _ => b.error(
                    s,
                    "/Statement",
                    format!(
                        "Statement must be an object or an array of objects, not {}",
                        s.type_name()
                    ),
                    None,
                ),
            },
        }
        // Duplicate Sids. A few statements: compare each with those before it; many: a map,
        // so that a document of n statements costs n, not n squared.
        let many = policy.statements.len() > 16;
        let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for (i, st) in policy.statements.iter().enumerate() {
            if let Some(sid) = st.sid.as_deref().filter(|s| !s.is_empty()) {
                let first = if many {
                    seen.get(sid).copied()
                } else {
                    policy.statements[..i]
                        .iter()
                        .find(|p| p.sid.as_deref() == Some(sid))
                        .map(|p| p.index)
                };
                if let Some(first) = first {
                    b.diags.push(Diagnostic {
                        modelled: true,
                        level: if kind.is_resource_based() {
                            Level::Error
                        } else {
                            Level::Warning
                        },
                        message: format!("duplicate Sid \"{sid}\" (also statement #{})", first + 1),
                        hint: Some("give every statement its own Sid".into()),
                        pointer: format!("{}/Sid", st.pointer),
                        pos: st.pos,
                    });
                } else if many {
                    seen.insert(sid, st.index);
                }
            }
        }
        policy.diagnostics = b.diags;
        let kms = policy.statements.iter().any(|s| {
            s.action
                .raw
                .iter()
                .any(|a| a.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("kms:")))
        });
        if kind == PolicyKind::Resource && kms {
            policy.noun = "key policy";
        }
        policy
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.level == Level::Error)
    }

    /// Re-render as JSON (the normalised form, for snapshots and messages).
    pub fn statement(&self, index: usize) -> Option<&Statement> {
        self.statements.iter().find(|s| s.index == index)
    }
}

fn show(n: &Node<'_>) -> String {
    match n.value {
        Value::String(s) => format!("\"{s}\""),
        Value::Number(x) => x.to_string(),
        _ => n.type_name().to_string(),
    }
}

struct Builder {
    kind: PolicyKind,
    diags: Vec<Diagnostic>,
    /// Where the document starts in the text it was read from (see [`Policy::from_view`]).
    origin: Option<Pos>,
}

impl Builder {
    /// A position in the document as if it had been read alone.
    fn at(&self, p: Pos) -> Pos {
        let Some(o) = self.origin else { return p };
        if p.line == o.line {
            Pos {
                line: 1,
                col: p.col + 1 - o.col,
                offset: p.offset - o.offset,
            }
        } else {
            Pos {
                line: p.line + 1 - o.line,
                col: p.col,
                offset: p.offset - o.offset,
            }
        }
    }

    fn push(
        &mut self,
        level: Level,
        at: &Node<'_>,
        pointer: &str,
        message: String,
        hint: Option<String>,
    ) {
        self.diags.push(Diagnostic {
            level,
            modelled: level == Level::Warning,
            message,
            hint,
            pointer: pointer.to_string(),
            pos: self.at(at.pos),
        });
    }
    fn error(&mut self, at: &Node<'_>, pointer: &str, message: String, hint: Option<String>) {
        self.push(Level::Error, at, pointer, message, hint);
    }
    fn warning(&mut self, at: &Node<'_>, pointer: &str, message: String, hint: Option<String>) {
        self.push(Level::Warning, at, pointer, message, hint);
    }

    fn duplicates(&mut self, members: &[Member<'_>], pointer: &str) {
        // A few members: compare each with those before it; many: a set, so that an object
        // of a million members costs its size, not its size squared.
        let mut seen = std::collections::HashSet::new();
        let many = members.len() > 16;
        for (i, m) in members.iter().enumerate() {
            let dup = if many {
                !seen.insert(m.key)
            } else {
                members[..i].iter().any(|p| p.key == m.key)
            };
            if dup {
                self.diags.push(Diagnostic {
                    modelled: false,
                    level: Level::Warning,
                    message: format!(
                        "\"{}\" appears more than once; only the last one counts",
                        m.key
                    ),
                    hint: Some("merge the values into one element".into()),
                    pointer: join(pointer, m.key),
                    pos: self.at(m.key_pos),
                });
            }
        }
    }

    fn unknown_element(&mut self, m: &Member<'_>, pointer: &str, name: &str, known: &[&str]) {
        let suggestion = known
            .iter()
            .find(|k| {
                k.eq_ignore_ascii_case(name)
                    || actions::distance(&k.to_ascii_lowercase(), &name.to_ascii_lowercase()) <= 2
            })
            .map(|k| format!("did you mean \"{k}\"?"));
        self.diags.push(Diagnostic {
            modelled: true,
            level: Level::Error,
            message: format!("unknown element \"{name}\""),
            hint: suggestion.or_else(|| Some(format!("allowed here: {}", known.join(", ")))),
            pointer: join(pointer, name),
            pos: self.at(m.key_pos),
        });
    }

    /// A string or a list of strings (`Action`, `Resource`, principal values).
    /// The values with their index in the list (`None`: a single string) and position; the
    /// pointer of each is [`item_pointer`]'s, built only when needed.
    fn strings(
        &mut self,
        n: &Node<'_>,
        pointer: &str,
        what: &str,
    ) -> Vec<(String, Option<usize>, Pos)> {
        match n.value {
            Value::String(s) => vec![(s.to_string(), None, self.at(n.pos))],
            Value::Array(items) => {
                if items.is_empty() {
                    self.error(n, pointer, format!("{what} is an empty list"), None);
                }
                let mut out = Vec::with_capacity(items.len());
                for (i, it) in items.iter().enumerate() {
                    match it.as_str() {
                        Some(s) => out.push((s.to_string(), Some(i), self.at(it.pos))),
                        None => self.error(
                            it,
                            &format!("{pointer}/{i}"),
                            format!("{what} values must be strings, not {}", it.type_name()),
                            None,
                        ),
                    }
                }
                out
            }
            _ => {
                self.error(
                    n,
                    pointer,
                    format!(
                        "{what} must be a string or a list of strings, not {}",
                        n.type_name()
                    ),
                    None,
                );
                Vec::new()
            }
        }
    }

    fn statement(
        &mut self,
        n: &Node<'_>,
        index: usize,
        pointer: String,
        vars: bool,
    ) -> Option<Statement> {
        let Some(members) = n.members() else {
            self.error(
                n,
                &pointer,
                format!("a statement must be an object, not {}", n.type_name()),
                None,
            );
            return None;
        };
        self.duplicates(members, &pointer);
        let mut sid = None;
        let mut effect = None;
        let mut principal = None;
        let mut action: Option<Matcher> = None;
        let mut resource: Option<Matcher> = None;
        let mut conditions = Vec::new();
        let mut ok = true;
        const KNOWN: &[&str] = &[
            "Sid",
            "Effect",
            "Principal",
            "NotPrincipal",
            "Action",
            "NotAction",
            "Resource",
            "NotResource",
            "Condition",
        ];
        for m in members {
            // The member's pointer, built only where it is kept or a problem is reported.
            let at = || join(&pointer, m.key);
            match m.key {
                "Sid" => match m.value.as_str() {
                    Some(s) => sid = Some(s.to_string()),
                    None => {
                        self.error(&m.value, &at(), "Sid must be a string".into(), None);
                    }
                },
                "Effect" => match m.value.as_str() {
                    Some("Allow") => effect = Some(Effect::Allow),
                    Some("Deny") => effect = Some(Effect::Deny),
                    Some(other) => {
                        let hint = if other.eq_ignore_ascii_case("allow") {
                            Some("Effect is case-sensitive: write \"Allow\"".into())
                        } else if other.eq_ignore_ascii_case("deny") {
                            Some("Effect is case-sensitive: write \"Deny\"".into())
                        } else {
                            Some("Effect is \"Allow\" or \"Deny\"".into())
                        };
                        self.error(
                            &m.value,
                            &at(),
                            format!("Effect \"{other}\" is not valid"),
                            hint,
                        );
                        ok = false;
                    }
                    None => {
                        self.error(
                            &m.value,
                            &at(),
                            "Effect must be \"Allow\" or \"Deny\"".into(),
                            None,
                        );
                        ok = false;
                    }
                },
                "Principal" | "NotPrincipal" => {
                    let p = at();
                    if principal.is_some() {
                        self.error(
                            &m.value,
                            &p,
                            "a statement cannot have both Principal and NotPrincipal".into(),
                            None,
                        );
                        ok = false;
                    }
                    if !self.kind.is_resource_based() && self.kind != PolicyKind::Rcp {
                        self.error(
                            &m.value,
                            &p,
                            format!("a {} cannot have {}", self.kind.noun(), m.key),
                            Some("Principal belongs in resource policies (key policies, trust policies); an identity policy applies to whoever it is attached to".into()),
                        );
                    }
                    principal = Some(self.principals(&m.value, &p, m.key == "NotPrincipal"));
                }
                "Action" | "NotAction" => {
                    let p = at();
                    if action.is_some() {
                        self.error(
                            &m.value,
                            &p,
                            "a statement cannot have both Action and NotAction".into(),
                            Some("keep one of them".into()),
                        );
                        ok = false;
                    }
                    let vals = self.strings(&m.value, &p, m.key);
                    for (v, idx, pos) in &vals {
                        self.check_action(v, &p, *idx, *pos);
                    }
                    action = Some(Matcher {
                        negated: m.key == "NotAction",
                        patterns: vals
                            .iter()
                            .map(|(v, _, _)| {
                                Pattern::from_string(v.to_ascii_lowercase(), Wild::Yes, false)
                            })
                            .collect(),
                        raw: values(vals),
                        pointer: p,
                    });
                }
                "Resource" | "NotResource" => {
                    let p = at();
                    if resource.is_some() {
                        self.error(
                            &m.value,
                            &p,
                            "a statement cannot have both Resource and NotResource".into(),
                            Some("keep one of them".into()),
                        );
                        ok = false;
                    }
                    let vals = self.strings(&m.value, &p, m.key);
                    resource = Some(Matcher {
                        negated: m.key == "NotResource",
                        patterns: vals
                            .iter()
                            .map(|(v, _, _)| Pattern::new(v, Wild::Yes, vars))
                            .collect(),
                        raw: values(vals),
                        pointer: p,
                    });
                }
                "Condition" => conditions = self.conditions(&m.value, &at(), vars),
                other => {
                    self.unknown_element(m, &pointer, other, KNOWN);
                }
            }
        }
        if effect.is_none() && ok {
            self.error(
                n,
                &pointer,
                "the statement has no Effect".into(),
                Some("add \"Effect\": \"Allow\" or \"Deny\"".into()),
            );
            ok = false;
        }
        if action.is_none() {
            self.error(
                n,
                &pointer,
                "the statement has no Action or NotAction".into(),
                None,
            );
            ok = false;
        }
        if resource.is_none() && !self.kind.is_resource_based() {
            let hint = if self.kind == PolicyKind::Identity || self.kind == PolicyKind::Boundary {
                Some("add \"Resource\": the key's ARN, e.g. \"arn:aws:kms:us-east-1:111122223333:key/…\"".into())
            } else {
                Some("add \"Resource\": \"*\"".into())
            };
            self.error(
                n,
                &pointer,
                format!(
                    "a statement in a {} needs Resource or NotResource",
                    self.kind.noun()
                ),
                hint,
            );
            ok = false;
        }
        if principal.is_none() && self.kind.is_resource_based() {
            self.error(
                n,
                &pointer,
                format!(
                    "a statement in a {} needs Principal or NotPrincipal",
                    self.kind.noun()
                ),
                Some(
                    "e.g. \"Principal\": {\"AWS\": \"arn:aws:iam::111122223333:role/openai-ekm\"}"
                        .into(),
                ),
            );
            ok = false;
        }
        if !ok {
            return None;
        }
        Some(Statement {
            index,
            sid,
            effect: effect?,
            principal,
            action: action?,
            resource,
            conditions,
            pointer,
            pos: self.at(n.pos),
        })
    }

    fn check_action(&mut self, a: &str, list: &str, idx: Option<usize>, pos: Pos) {
        if a == "*" {
            return;
        }
        if !a.contains(':') {
            self.diags.push(Diagnostic {
                modelled: true,
                level: Level::Error,
                message: format!("action \"{a}\" has no service prefix"),
                hint: Some("actions are written service:Name, e.g. \"kms:Encrypt\"".into()),
                pointer: item_pointer(list, idx),
                pos,
            });
            return;
        }
        if let Err(s) = actions::check(a) {
            self.diags.push(Diagnostic {
                modelled: true,
                level: Level::Warning,
                message: format!("unknown action \"{a}\""),
                hint: s.map(|s| format!("did you mean \"{s}\"?")),
                pointer: item_pointer(list, idx),
                pos,
            });
        }
    }

    fn principals(&mut self, n: &Node<'_>, pointer: &str, negated: bool) -> Principals {
        let mut entries = Vec::new();
        match n.value {
            Value::String("*") => entries.push(PrincipalEntry {
                kind: "AWS".into(),
                raw: "*".into(),
                pattern: PrincipalPattern::Any,
                pointer: pointer.into(),
                pos: self.at(n.pos),
            }),
            Value::Object(members) => {
                self.duplicates(members, pointer);
                for m in members {
                    let p = join(pointer, m.key);
                    if !matches!(m.key, "AWS" | "Service" | "Federated" | "CanonicalUser") {
                        self.unknown_element(
                            m,
                            pointer,
                            m.key,
                            &["AWS", "Service", "Federated", "CanonicalUser"],
                        );
                        continue;
                    }
                    for (v, idx, pos) in self.strings(&m.value, &p, "a principal") {
                        let vp = item_pointer(&p, idx);
                        let pattern = PrincipalPattern::parse(m.key, &v);
                        match &pattern {
                            PrincipalPattern::Invalid { why, .. } => self.diags.push(Diagnostic {
                                modelled: true,
                                level: Level::Error,
                                message: format!("invalid principal \"{v}\": {why}"),
                                hint: None,
                                pointer: vp.clone(),
                                pos,
                            }),
                            PrincipalPattern::UniqueId(_) => self.diags.push(Diagnostic {
                                modelled: true,
                                level: Level::Warning,
                                message: format!("principal \"{v}\" is a unique id: the principal it named was deleted, and it matches nobody"),
                                hint: Some("re-save the policy with the principal's ARN".into()),
                                pointer: vp.clone(),
                                pos,
                            }),
                            PrincipalPattern::Any if m.key != "AWS" => {
                                self.diags.push(Diagnostic {
                                    modelled: true,
                                    level: Level::Warning,
                                    message: format!(
                                        "{{\"{}\": \"*\"}} is read as every principal, not only every {}: the policy grammar lets \"*\" name only everyone",
                                        m.key,
                                        if m.key == "Service" { "service" } else { "principal of that type" }
                                    ),
                                    hint: Some(
                                        "write \"*\" (or {\"AWS\": \"*\"}) if everyone is meant, else name the principal"
                                            .into(),
                                    ),
                                    pointer: vp.clone(),
                                    pos,
                                })
                            }
                            _ => {}
                        }
                        entries.push(PrincipalEntry {
                            kind: m.key.to_string(),
                            raw: v,
                            pattern,
                            pointer: vp,
                            pos,
                        });
                    }
                }
            }
            _ => self.error(
                n,
                pointer,
                "Principal must be \"*\" or an object such as {\"AWS\": \"arn:…\"}".into(),
                Some("write {\"AWS\": \"…\"} around the ARN or account id".into()),
            ),
        }
        Principals { negated, entries }
    }

    fn conditions(&mut self, n: &Node<'_>, pointer: &str, vars: bool) -> Vec<Condition> {
        let mut out = Vec::new();
        let Some(ops) = n.members() else {
            self.error(
                n,
                pointer,
                "Condition must be an object of operators".into(),
                None,
            );
            return out;
        };
        self.duplicates(ops, pointer);
        for op in ops {
            let op_ptr = join(pointer, op.key);
            if Operator::parse(op.key).is_none() {
                let base = op
                    .key
                    .trim_start_matches("ForAnyValue:")
                    .trim_start_matches("ForAllValues:");
                let base = base.strip_suffix("IfExists").unwrap_or(base);
                let suggestion = condition::operator_names()
                    .map(|k| {
                        (
                            actions::distance(&k.to_ascii_lowercase(), &base.to_ascii_lowercase()),
                            k,
                        )
                    })
                    .min_by_key(|(d, _)| *d)
                    .filter(|(d, _)| *d <= 3)
                    .map(|(_, k)| {
                        format!("did you mean \"{k}\"? (operator names are case-sensitive)")
                    });
                self.diags.push(Diagnostic {
                    modelled: true,
                    level: Level::Warning,
                    message: format!("unknown condition operator \"{}\": IAM rejects it, and ekm-check cannot decide the condition", op.key),
                    hint: suggestion,
                    pointer: op_ptr.clone(),
                    pos: self.at(op.key_pos),
                });
            }
            let Some(keys) = op.value.members() else {
                self.error(
                    &op.value,
                    &op_ptr,
                    format!("{} must map condition keys to values", op.key),
                    None,
                );
                continue;
            };
            self.duplicates(keys, &op_ptr);
            for k in keys {
                let kp = join(&op_ptr, k.key);
                let scalar = |v: &Node<'_>| -> Option<String> {
                    match v.value {
                        Value::String(s) => Some(s.to_string()),
                        Value::Number(x) => Some(x.to_string()),
                        Value::Bool(b) => Some(b.to_string()),
                        _ => None,
                    }
                };
                let values = match &k.value.value {
                    Value::Array(items) => {
                        let mut vs = Vec::new();
                        for (i, it) in items.iter().enumerate() {
                            match scalar(it) {
                                Some(s) => vs.push(s),
                                None => self.error(it, &format!("{kp}/{i}"), format!("condition values must be strings, numbers or booleans, not {}", it.type_name()), None),
                            }
                        }
                        if items.is_empty() {
                            self.error(
                                &k.value,
                                &kp,
                                "a condition needs at least one value".into(),
                                None,
                            );
                        }
                        vs
                    }
                    _ => {
                        match scalar(&k.value) {
                            Some(s) => vec![s],
                            None => {
                                self.error(&k.value, &kp, format!("condition values must be strings, numbers or booleans, not {}", k.value.type_name()), None);
                                continue;
                            }
                        }
                    }
                };
                let key_pos = self.at(k.key_pos);
                let c = Condition::new(op.key, k.key, values, vars, kp, key_pos);
                for (raw, v) in c.raw_values.iter().zip(&c.values) {
                    if let condition::CondValue::Invalid(_) = v {
                        self.diags.push(Diagnostic {
                            modelled: true,
                            level: Level::Warning,
                            message: format!(
                                "\"{raw}\" is not a valid value for {}: it matches nothing",
                                op.key
                            ),
                            hint: None,
                            pointer: c.pointer.clone(),
                            pos: key_pos,
                        });
                    }
                }
                out.push(c);
            }
        }
        out
    }
}

/// Escape a JSON pointer token (RFC 6901).
pub fn escape(token: &str) -> String {
    let mut s = String::with_capacity(token.len());
    push_escaped(&mut s, token);
    s
}

fn push_escaped(s: &mut String, token: &str) {
    if !token.bytes().any(|b| b == b'~' || b == b'/') {
        s.push_str(token);
        return;
    }
    for c in token.chars() {
        match c {
            '~' => s.push_str("~0"),
            '/' => s.push_str("~1"),
            c => s.push(c),
        }
    }
}

/// The values of [`Builder::strings`]'s list (into a vector of their own size: collecting
/// in place would keep the larger tuples' allocation, then shrink it).
fn values(vals: Vec<(String, Option<usize>, Pos)>) -> Vec<String> {
    let mut out = Vec::with_capacity(vals.len());
    out.extend(vals.into_iter().map(|(v, _, _)| v));
    out
}

/// `pointer/token`, the token escaped.
fn join(pointer: &str, token: &str) -> String {
    let mut s = String::with_capacity(pointer.len() + token.len() + 1);
    s.push_str(pointer);
    s.push('/');
    push_escaped(&mut s, token);
    s
}

/// The pointer of a value [`Builder::strings`] returned: the list's, or its element's.
fn item_pointer(list: &str, idx: Option<usize>) -> String {
    match idx {
        None => list.to_string(),
        Some(i) => {
            let mut s = String::with_capacity(list.len() + 4);
            s.push_str(list);
            s.push('/');
            // Without the formatting machinery: this runs for every statement and list
            // element of every document.
            s.push_str(itoa::Buffer::new().format(i));
            s
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn item_pointers_write_the_index_in_decimal() {
        for i in [0, 7, 10, 99, 100, 12_345, usize::MAX] {
            assert_eq!(
                super::item_pointer("/Statement", Some(i)),
                format!("/Statement/{i}")
            );
        }
        assert_eq!(super::item_pointer("/Action", None), "/Action");
    }

    use super::*;

    #[test]
    fn parses_the_seed_permissions_policy_with_a_real_arn() {
        let text = r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AllowEncryptDecrypt",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:Encrypt"],
            "Resource": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        }
    ]
}"#;
        let p = Policy::from_text(text, PolicyKind::Identity, "permissions.json").unwrap();
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        assert_eq!(p.statements.len(), 1);
        let st = &p.statements[0];
        assert_eq!(st.pos.line, 4);
        assert_eq!(st.pointer, "/Statement/0");
        assert_eq!(st.label(), "statement \"AllowEncryptDecrypt\"");
    }

    #[test]
    fn a_star_under_another_principal_type_means_everyone_with_a_warning() {
        for (doc, warned) in [
            (r#"{"Service": "*"}"#, true),
            (r#"{"Federated": "*"}"#, true),
            (r#"{"AWS": "*"}"#, false),
            (r#""*""#, false),
        ] {
            let text = format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{doc},"Action":"sqs:*","Resource":"*"}}]}}"#
            );
            let p = Policy::from_text(&text, PolicyKind::Resource, "r.json").unwrap();
            let entry = &p.statements[0].principal.as_ref().unwrap().entries[0];
            assert_eq!(entry.pattern, PrincipalPattern::Any, "{doc}");
            let warning = p
                .diagnostics
                .iter()
                .any(|d| d.level == Level::Warning && d.message.contains("every principal"));
            assert_eq!(warning, warned, "{doc}: {:?}", p.diagnostics);
            assert!(!p.has_errors());
        }
    }

    #[test]
    fn structural_errors_are_located() {
        let p = Policy::from_text(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"allow","Action":5,"Resource":"*"}}"#,
            PolicyKind::Identity,
            "x.json",
        )
        .unwrap();
        assert!(p.has_errors());
        let msgs: Vec<String> = p.diagnostics.iter().map(|d| d.to_string()).collect();
        assert!(
            msgs.iter().any(|m| m.contains("case-sensitive")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter().any(|m| m.contains("Action must be a string")),
            "{msgs:?}"
        );
    }

    #[test]
    fn grammar_warnings() {
        let p = Policy::from_text(
            r#"{"Statement":[{"Sid":"a","Effect":"Allow","Action":"kms:Decript","Resource":"*","Condition":{"StringEqual":{"k":"v"}}},{"Sid":"a","Effect":"Deny","NotAction":"kms:*","Resource":"*"}]}"#,
            PolicyKind::Identity,
            "x.json",
        )
        .unwrap();
        assert!(!p.has_errors(), "{:?}", p.diagnostics);
        let msgs: Vec<String> = p.diagnostics.iter().map(|d| d.to_string()).collect();
        assert!(msgs.iter().any(|m| m.contains("no Version")));
        assert!(msgs.iter().any(|m| m.contains("kms:Decrypt")));
        assert!(msgs.iter().any(|m| m.contains("StringEquals")));
        assert!(msgs.iter().any(|m| m.contains("duplicate Sid")));
        assert!(!p.variables);
    }

    /// Duplicate Sids, and duplicate members of an object past 16 members, are found with a
    /// map instead of comparing every pair: the diagnostics are the same as for small ones.
    #[test]
    fn duplicates_are_reported_alike_in_small_and_large_documents() {
        for n in [3usize, 40] {
            let statements: Vec<String> = (0..n)
                .map(|i| {
                    format!(
                        r#"{{"Sid": "S{}", "Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*"}}"#,
                        i % 2
                    )
                })
                .collect();
            let keys: Vec<String> = (0..n)
                .map(|i| format!(r#""k{}": "v""#, i % (n - 1)))
                .collect();
            let text = format!(
                r#"{{"Version": "2012-10-17", "Statement": [{}, {{"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {{"StringEquals": {{{}}}}}}}]}}"#,
                statements.join(", "),
                keys.join(", ")
            );
            let p = Policy::from_text(&text, PolicyKind::Identity, "d.json").unwrap();
            let sids: Vec<String> = p
                .diagnostics
                .iter()
                .filter(|d| d.message.starts_with("duplicate Sid"))
                .map(|d| format!("{} at {}", d.message, d.pointer))
                .collect();
            let want: Vec<String> = (2..n)
                .map(|i| {
                    format!(
                        "duplicate Sid \"S{}\" (also statement #{}) at /Statement/{i}/Sid",
                        i % 2,
                        i % 2 + 1
                    )
                })
                .collect();
            assert_eq!(sids, want, "{n} statements");
            let members: Vec<&str> = p
                .diagnostics
                .iter()
                .filter(|d| d.message.contains("appears more than once"))
                .map(|d| d.pointer.as_str())
                .collect();
            let ptr = format!("/Statement/{n}/Condition/StringEquals/k0");
            assert_eq!(members, vec![ptr.as_str()], "{n} members");
        }
    }

    #[test]
    fn kind_specific_elements() {
        let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}"#;
        let p = Policy::from_text(trust, PolicyKind::Trust, "t").unwrap();
        assert!(
            p.diagnostics
                .iter()
                .any(|d| d.message.contains("needs Principal"))
        );
        let ident = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}]}"#;
        let p = Policy::from_text(ident, PolicyKind::Identity, "i").unwrap();
        assert!(
            p.diagnostics
                .iter()
                .any(|d| d.message.contains("cannot have Principal"))
        );
    }
}
