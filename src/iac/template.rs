//! Reading a CloudFormation template, JSON or YAML, into a [`Node`] tree that keeps the line
//! and column of every value. YAML short-form tags become their long form (`!Ref x` is
//! `{"Ref": "x"}`, `!Sub s` is `{"Fn::Sub": s}`), so the resolver sees one shape.

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

use super::IacError;
use crate::json::{self, Member, Node, Pos, Value};

/// Parse a template's text: JSON when it starts with `{` (with the JSON reader's messages),
/// else YAML 1.2 (which also reads JSON).
pub fn parse(text: &str, path: &str) -> Result<Node, IacError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim_start().starts_with('{') {
        return json::parse(text).map_err(|e| IacError::Syntax {
            path: path.to_string(),
            message: e.to_string(),
        });
    }
    let docs = MarkedYaml::load_from_str(text).map_err(|e| IacError::Syntax {
        path: path.to_string(),
        message: format!(
            "line {} column {}: {}",
            e.marker().line(),
            e.marker().col() + 1,
            e.info()
        ),
    })?;
    let mut docs = docs.into_iter();
    let doc = docs.next().ok_or_else(|| IacError::Syntax {
        path: path.to_string(),
        message: "the file is empty: expected a CloudFormation template".into(),
    })?;
    if docs.next().is_some() {
        return Err(IacError::Syntax {
            path: path.to_string(),
            message: "holds several YAML documents: a template is one".into(),
        });
    }
    let lines: Vec<&str> = text.lines().collect();
    convert(
        &doc,
        0,
        &Source {
            path,
            lines: &lines,
        },
    )
}

/// The file being converted: its name for messages, its lines to tell an alias (`*name`) from
/// the value saphyr already copied into its place.
struct Source<'s> {
    path: &'s str,
    lines: &'s [&'s str],
}

impl Source<'_> {
    fn error(&self, message: String) -> IacError {
        IacError::Syntax {
            path: self.path.to_string(),
            message,
        }
    }

    /// CloudFormation rejects YAML aliases. saphyr resolves them while loading (the node is a
    /// copy of the anchored one, placed at the alias), so an alias is a node whose text starts
    /// with `*`, which no other YAML node does (a plain scalar cannot start with it).
    fn reject_alias(&self, y: &MarkedYaml<'_>) -> Result<(), IacError> {
        let (line, col) = (y.span.start.line(), y.span.start.col());
        let at = line
            .checked_sub(1)
            .and_then(|l| self.lines.get(l))
            .and_then(|l| l.chars().nth(col));
        if at == Some('*') {
            return Err(self.error(format!(
                "line {line}: YAML aliases (*name) are not accepted by CloudFormation"
            )));
        }
        Ok(())
    }
}

fn pos_of(y: &MarkedYaml<'_>) -> Pos {
    Pos {
        line: y.span.start.line() as u32,
        col: y.span.start.col() as u32 + 1,
        offset: y.span.start.index(),
    }
}

/// The long-form name of a short-form tag: `!Ref` and `!Condition` keep their name, every
/// other `!X` is `Fn::X`.
fn long_form(suffix: &str) -> String {
    match suffix {
        "Ref" | "Condition" => suffix.to_string(),
        s => format!("Fn::{s}"),
    }
}

fn convert(y: &MarkedYaml<'_>, depth: usize, src: &Source<'_>) -> Result<Node, IacError> {
    if depth > json::MAX_DEPTH {
        return Err(src.error(format!("line {}: nested too deeply", pos_of(y).line)));
    }
    src.reject_alias(y)?;
    let pos = pos_of(y);
    let value = match &y.data {
        YamlData::Value(s) => scalar(s),
        YamlData::Representation(s, _, _) => Value::String(s.to_string()),
        YamlData::Sequence(items) => Value::Array(
            items
                .iter()
                .map(|i| convert(i, depth + 1, src))
                .collect::<Result<_, _>>()?,
        ),
        YamlData::Mapping(m) => {
            let mut members = Vec::with_capacity(m.len());
            for (k, v) in m {
                src.reject_alias(k)?;
                members.push(Member {
                    key: key_text(k),
                    key_pos: pos_of(k),
                    value: convert(v, depth + 1, src)?,
                });
            }
            Value::Object(members)
        }
        YamlData::Tagged(tag, inner) => {
            let mut inner = convert(inner, depth + 1, src)?;
            if tag.handle == "!!" || tag.handle == "tag:yaml.org,2002:" {
                return Ok(core_tag(&tag.suffix, inner, pos));
            }
            if inner.pos.line == 0 {
                inner.pos = pos;
            }
            Value::Object(vec![Member {
                key: long_form(&tag.suffix),
                key_pos: pos,
                value: inner,
            }])
        }
        YamlData::Alias(_) => {
            return Err(src.error(format!(
                "line {}: YAML aliases (*name) are not accepted by CloudFormation",
                pos.line
            )));
        }
        YamlData::BadValue => Value::Null,
    };
    Ok(Node { value, pos })
}

/// `!!str 2012-10-17` and friends.
fn core_tag(suffix: &str, inner: Node, pos: Pos) -> Node {
    let text = match &inner.value {
        Value::String(s) | Value::Number(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        _ => return inner,
    };
    let value = if suffix == "str" {
        Value::String(text)
    } else {
        inner.value
    };
    Node { value, pos }
}

fn scalar(s: &Scalar<'_>) -> Value {
    match s {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(*b),
        Scalar::Integer(i) => Value::Number(i.to_string()),
        Scalar::FloatingPoint(f) => Value::Number(f.to_string()),
        Scalar::String(s) => Value::String(s.to_string()),
    }
}

fn key_text(k: &MarkedYaml<'_>) -> String {
    match &k.data {
        YamlData::Value(Scalar::String(s)) => s.to_string(),
        YamlData::Value(Scalar::Integer(i)) => i.to_string(),
        YamlData::Value(Scalar::Boolean(b)) => b.to_string(),
        YamlData::Value(Scalar::FloatingPoint(f)) => f.to_string(),
        YamlData::Value(Scalar::Null) => "null".into(),
        YamlData::Representation(s, _, _) => s.to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_forms_become_long_forms_with_lines() {
        let t = "Resources:\n  K:\n    Type: AWS::KMS::Key\n    Properties:\n      Description: !Sub '${AWS::Region} key'\n      Other: !GetAtt [A, Arn]\n";
        let n = parse(t, "t.yaml").unwrap();
        let d = n.pointer("/Resources/K/Properties/Description").unwrap();
        assert_eq!(d.members().unwrap()[0].key, "Fn::Sub");
        assert_eq!(d.pos.line, 5);
        let inner = d.get("Fn::Sub").unwrap();
        assert_eq!(inner.as_str(), Some("${AWS::Region} key"));
        assert_eq!(inner.pos.line, 5);
        let o = n
            .pointer("/Resources/K/Properties/Other/Fn::GetAtt/1")
            .unwrap();
        assert_eq!(o.as_str(), Some("Arn"));
    }

    #[test]
    fn version_date_stays_a_string_and_duplicates_fail() {
        let n = parse("Version: 2012-10-17\n", "t.yaml").unwrap();
        assert_eq!(n.get("Version").unwrap().as_str(), Some("2012-10-17"));
        assert!(parse("a: 1\na: 2\n", "t.yaml").is_err());
    }

    #[test]
    fn yaml_aliases_are_errors_with_their_line() {
        for (t, line) in [
            ("Parameters:\n  A: &x {Type: String}\n  B: *x\n", 3),
            (
                "Resources:\n  K:\n    Type: &t AWS::KMS::Key\n  L:\n    Type: *t\n",
                5,
            ),
            (
                "Resources:\n  K:\n    Properties:\n      List: &l [a]\n      Other:\n        - *l\n",
                6,
            ),
            ("a: &k x\n*k : y\n", 2),
        ] {
            match parse(t, "t.yaml") {
                Err(IacError::Syntax { message, .. }) => assert_eq!(
                    message,
                    format!("line {line}: YAML aliases (*name) are not accepted by CloudFormation"),
                    "{t}"
                ),
                other => panic!("{t}: {other:?}"),
            }
        }
        // An asterisk inside a value is no alias.
        let n = parse("Action: kms:*\nResource: '*'\nR: \"*\"\n", "t.yaml").unwrap();
        assert_eq!(n.get("Action").unwrap().as_str(), Some("kms:*"));
    }
}
