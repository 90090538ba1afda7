//! Condition operators, compiled once and evaluated in three-valued logic.

use std::net::IpAddr;

use base64::Engine;
use ipnet::IpNet;

use super::pattern::{Pattern, Wild};
use crate::eval::context::{Context, Lookup};
use crate::eval::tri::Tri;
use crate::json::Pos;

/// Comparison for the Numeric and Date families.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

/// The base operator, without negation, `IfExists` or a set qualifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    Numeric(Cmp),
    Date(Cmp),
    Bool,
    BinaryEquals,
    IpAddress,
    /// ArnEquals and ArnLike behave the same: per-segment wildcard matching.
    Arn,
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOp {
    None,
    ForAnyValue,
    ForAllValues,
}

/// A parsed operator name such as `ForAllValues:StringNotLikeIfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operator {
    pub op: Op,
    pub negated: bool,
    pub if_exists: bool,
    pub set: SetOp,
}

/// Every base operator name IAM accepts, with its meaning.
const OPERATORS: &[(&str, Op, bool)] = &[
    ("StringEquals", Op::StringEquals, false),
    ("StringNotEquals", Op::StringEquals, true),
    ("StringEqualsIgnoreCase", Op::StringEqualsIgnoreCase, false),
    (
        "StringNotEqualsIgnoreCase",
        Op::StringEqualsIgnoreCase,
        true,
    ),
    ("StringLike", Op::StringLike, false),
    ("StringNotLike", Op::StringLike, true),
    ("NumericEquals", Op::Numeric(Cmp::Eq), false),
    ("NumericNotEquals", Op::Numeric(Cmp::Eq), true),
    ("NumericLessThan", Op::Numeric(Cmp::Lt), false),
    ("NumericLessThanEquals", Op::Numeric(Cmp::Le), false),
    ("NumericGreaterThan", Op::Numeric(Cmp::Gt), false),
    ("NumericGreaterThanEquals", Op::Numeric(Cmp::Ge), false),
    ("DateEquals", Op::Date(Cmp::Eq), false),
    ("DateNotEquals", Op::Date(Cmp::Eq), true),
    ("DateLessThan", Op::Date(Cmp::Lt), false),
    ("DateLessThanEquals", Op::Date(Cmp::Le), false),
    ("DateGreaterThan", Op::Date(Cmp::Gt), false),
    ("DateGreaterThanEquals", Op::Date(Cmp::Ge), false),
    ("Bool", Op::Bool, false),
    ("BinaryEquals", Op::BinaryEquals, false),
    ("IpAddress", Op::IpAddress, false),
    ("NotIpAddress", Op::IpAddress, true),
    ("ArnEquals", Op::Arn, false),
    ("ArnLike", Op::Arn, false),
    ("ArnNotEquals", Op::Arn, true),
    ("ArnNotLike", Op::Arn, true),
    ("Null", Op::Null, false),
];

/// All base operator names, for suggestions.
pub fn operator_names() -> impl Iterator<Item = &'static str> {
    OPERATORS.iter().map(|(n, _, _)| *n)
}

impl Operator {
    /// Parse an operator name. Operator names are case-sensitive in IAM.
    pub fn parse(name: &str) -> Option<Operator> {
        let (set, rest) = if let Some(r) = name.strip_prefix("ForAnyValue:") {
            (SetOp::ForAnyValue, r)
        } else if let Some(r) = name.strip_prefix("ForAllValues:") {
            (SetOp::ForAllValues, r)
        } else {
            (SetOp::None, name)
        };
        let (if_exists, base) = match rest.strip_suffix("IfExists") {
            Some(b) => (true, b),
            None => (false, rest),
        };
        let &(_, op, negated) = OPERATORS.iter().find(|(n, _, _)| *n == base)?;
        if op == Op::Null && (if_exists || set != SetOp::None) {
            return None;
        }
        Some(Operator {
            op,
            negated,
            if_exists,
            set,
        })
    }
}

/// One compiled value of a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum CondValue {
    Text(Pattern),
    Number(f64),
    Date(f64),
    Bool(bool),
    Binary(Vec<u8>),
    Ip(IpNet),
    Null(bool),
    /// A value that cannot be read for this operator (e.g. "abc" for NumericEquals): matches nothing.
    Invalid(String),
}

/// A single `operator: {key: values}` test.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The operator as written.
    pub operator_name: String,
    /// `None` for an operator IAM does not know: the condition is then undecidable.
    pub operator: Option<Operator>,
    /// The key as written, and lower-case for look-ups.
    pub key: String,
    pub key_lc: String,
    /// The values as written.
    pub raw_values: Vec<String>,
    pub values: Vec<CondValue>,
    /// JSON pointer and position of the key inside the document.
    pub pointer: String,
    pub pos: Pos,
}

impl Condition {
    pub fn new(
        operator_name: &str,
        key: &str,
        raw_values: Vec<String>,
        vars: bool,
        pointer: String,
        pos: Pos,
    ) -> Condition {
        let operator = Operator::parse(operator_name);
        let values = match operator {
            Some(o) => raw_values
                .iter()
                .map(|v| compile_value(o.op, v, vars))
                .collect(),
            None => Vec::new(),
        };
        Condition {
            operator_name: operator_name.to_string(),
            operator,
            key: key.to_string(),
            key_lc: key.to_ascii_lowercase(),
            raw_values,
            values,
            pointer,
            pos,
        }
    }

    /// Evaluate against the request context.
    pub fn eval(&self, ctx: &Context) -> Tri {
        let Some(op) = self.operator else {
            return Tri::Unknown;
        };
        let found = ctx.lookup(&self.key_lc);
        let values: &[String] = match found {
            Lookup::Unknown => return Tri::Unknown,
            Lookup::Present(v) => v,
            Lookup::Absent => &[],
        };
        let present = !values.is_empty();
        if op.op == Op::Null {
            // "true": the key must be absent; "false": it must be present.
            return Tri::any(self.values.iter().map(|v| match v {
                CondValue::Null(want_absent) => Tri::from(*want_absent != present),
                _ => Tri::False,
            }));
        }
        if !present {
            if op.if_exists {
                return Tri::True;
            }
            return match op.set {
                SetOp::ForAllValues => Tri::True,
                SetOp::ForAnyValue => Tri::False,
                SetOp::None => Tri::from(op.negated),
            };
        }
        // P(v): does the request value v match any of the policy's values?
        let any_policy =
            |v: &str| Tri::any(self.values.iter().map(|pv| match_one(op.op, pv, v, ctx)));
        match op.set {
            SetOp::None => {
                let m = Tri::any(values.iter().map(|v| any_policy(v)));
                if op.negated { !m } else { m }
            }
            SetOp::ForAnyValue => Tri::any(values.iter().map(|v| {
                let m = any_policy(v);
                if op.negated { !m } else { m }
            })),
            SetOp::ForAllValues => Tri::all(values.iter().map(|v| {
                let m = any_policy(v);
                if op.negated { !m } else { m }
            })),
        }
    }
}

fn compile_value(op: Op, raw: &str, vars: bool) -> CondValue {
    match op {
        Op::StringEquals | Op::StringEqualsIgnoreCase => {
            CondValue::Text(Pattern::new(raw, Wild::No, vars))
        }
        Op::StringLike | Op::Arn => CondValue::Text(Pattern::new(raw, Wild::Yes, vars)),
        Op::Numeric(_) => parse_number(raw)
            .map(CondValue::Number)
            .unwrap_or_else(|| CondValue::Invalid(raw.into())),
        Op::Date(_) => parse_date(raw)
            .map(CondValue::Date)
            .unwrap_or_else(|| CondValue::Invalid(raw.into())),
        Op::Bool => match raw.to_ascii_lowercase().as_str() {
            "true" => CondValue::Bool(true),
            "false" => CondValue::Bool(false),
            _ => CondValue::Invalid(raw.into()),
        },
        Op::BinaryEquals => base64::engine::general_purpose::STANDARD
            .decode(raw)
            .map(CondValue::Binary)
            .unwrap_or_else(|_| CondValue::Invalid(raw.into())),
        Op::IpAddress => parse_net(raw)
            .map(CondValue::Ip)
            .unwrap_or_else(|| CondValue::Invalid(raw.into())),
        Op::Null => match raw.to_ascii_lowercase().as_str() {
            "true" => CondValue::Null(true),
            "false" => CondValue::Null(false),
            _ => CondValue::Invalid(raw.into()),
        },
    }
}

/// Does one request value match one policy value?
fn match_one(op: Op, pv: &CondValue, v: &str, ctx: &Context) -> Tri {
    match (op, pv) {
        (Op::StringEquals | Op::StringLike, CondValue::Text(p)) => p.matches(v, ctx),
        (Op::StringEqualsIgnoreCase, CondValue::Text(p)) => {
            if let Some(lit) = p.as_literal() {
                return Tri::from(lit.to_lowercase() == v.to_lowercase());
            }
            match p.resolve(ctx) {
                Ok(pieces) => {
                    let text: String = pieces
                        .iter()
                        .map(|x| match x {
                            super::pattern::Piece::Lit(s) => s.as_str(),
                            _ => "",
                        })
                        .collect();
                    Tri::from(text.to_lowercase() == v.to_lowercase())
                }
                Err(t) => t,
            }
        }
        (Op::Arn, CondValue::Text(p)) => p.matches_arn(v, ctx),
        (Op::Numeric(c), CondValue::Number(n)) => match parse_number(v) {
            Some(x) => Tri::from(compare(x, *n, c)),
            None => Tri::False,
        },
        (Op::Date(c), CondValue::Date(d)) => match parse_date(v) {
            Some(x) => Tri::from(compare(x, *d, c)),
            None => Tri::False,
        },
        (Op::Bool, CondValue::Bool(b)) => {
            Tri::from(v.eq_ignore_ascii_case(if *b { "true" } else { "false" }))
        }
        (Op::BinaryEquals, CondValue::Binary(b)) => Tri::from(
            base64::engine::general_purpose::STANDARD
                .decode(v)
                .map(|x| x == *b)
                .unwrap_or(false),
        ),
        (Op::IpAddress, CondValue::Ip(net)) => match v.trim().parse::<IpAddr>() {
            Ok(ip) => Tri::from(net.contains(&ip)),
            Err(_) => match parse_net(v) {
                Some(n) => Tri::from(net.contains(&n)),
                None => Tri::False,
            },
        },
        _ => Tri::False,
    }
}

fn compare(x: f64, y: f64, c: Cmp) -> bool {
    match c {
        Cmp::Eq => x == y,
        Cmp::Lt => x < y,
        Cmp::Le => x <= y,
        Cmp::Gt => x > y,
        Cmp::Ge => x >= y,
    }
}

pub fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    t.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Dates: ISO 8601 (a date, or a date and time with `Z` or an offset, seconds optional) or epoch
/// seconds. Returns seconds since the epoch.
pub fn parse_date(s: &str) -> Option<f64> {
    let t = s.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse::<f64>().ok();
    }
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(t) {
        return Some(d.timestamp() as f64 + d.timestamp_subsec_nanos() as f64 / 1e9);
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.fZ",
        "%Y-%m-%dT%H:%M:%SZ",
        "%Y-%m-%dT%H:%MZ",
        "%Y-%m-%dT%H:%M:%S",
    ] {
        if let Ok(d) = chrono::NaiveDateTime::parse_from_str(t, fmt) {
            return Some(d.and_utc().timestamp() as f64);
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp() as f64);
    }
    None
}

fn parse_net(s: &str) -> Option<IpNet> {
    let t = s.trim();
    if let Ok(n) = t.parse::<IpNet>() {
        return Some(n);
    }
    t.parse::<IpAddr>().ok().map(IpNet::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(op: &str, key: &str, vals: &[&str]) -> Condition {
        Condition::new(
            op,
            key,
            vals.iter().map(|s| s.to_string()).collect(),
            true,
            String::new(),
            Pos::default(),
        )
    }

    fn ctx(pairs: &[(&str, &[&str])]) -> Context {
        let mut c = Context::default();
        for (k, v) in pairs {
            c.set(k, v.iter().map(|s| s.to_string()).collect());
        }
        c
    }

    #[test]
    fn operator_names_parse() {
        let o = Operator::parse("ForAllValues:StringNotLikeIfExists").unwrap();
        assert_eq!(o.op, Op::StringLike);
        assert!(o.negated && o.if_exists && o.set == SetOp::ForAllValues);
        assert!(Operator::parse("NullIfExists").is_none());
        assert!(Operator::parse("stringequals").is_none());
        assert!(Operator::parse("StringEqualz").is_none());
    }

    #[test]
    fn absent_keys() {
        let c = Context::default();
        assert_eq!(cond("StringEquals", "k", &["a"]).eval(&c), Tri::False);
        assert_eq!(cond("StringNotEquals", "k", &["a"]).eval(&c), Tri::True);
        assert_eq!(
            cond("StringEqualsIfExists", "k", &["a"]).eval(&c),
            Tri::True
        );
        assert_eq!(
            cond("ForAllValues:StringEquals", "k", &["a"]).eval(&c),
            Tri::True
        );
        assert_eq!(
            cond("ForAnyValue:StringEquals", "k", &["a"]).eval(&c),
            Tri::False
        );
        assert_eq!(cond("Null", "k", &["true"]).eval(&c), Tri::True);
        assert_eq!(cond("Null", "k", &["false"]).eval(&c), Tri::False);
    }

    #[test]
    fn values_and_families() {
        let c = ctx(&[
            ("aws:SourceIp", &["203.0.113.7"]),
            ("n", &["10"]),
            ("d", &["2026-01-01T00:00:00Z"]),
            ("b", &["TRUE"]),
            ("arn", &["arn:aws:iam::111122223333:role/x"]),
            ("tags", &["a", "b"]),
        ]);
        assert_eq!(
            cond("IpAddress", "aws:sourceip", &["203.0.113.0/24"]).eval(&c),
            Tri::True
        );
        assert_eq!(
            cond("NotIpAddress", "AWS:SOURCEIP", &["203.0.113.0/24"]).eval(&c),
            Tri::False
        );
        assert_eq!(cond("NumericLessThan", "n", &["11"]).eval(&c), Tri::True);
        assert_eq!(cond("NumericGreaterThan", "n", &["x"]).eval(&c), Tri::False);
        assert_eq!(
            cond("DateGreaterThan", "d", &["2025-12-31"]).eval(&c),
            Tri::True
        );
        assert_eq!(
            cond("DateLessThan", "d", &["1767225600"]).eval(&c),
            Tri::False
        );
        assert_eq!(cond("Bool", "b", &["true"]).eval(&c), Tri::True);
        assert_eq!(
            cond("ArnLike", "arn", &["arn:aws:iam::*:role/*"]).eval(&c),
            Tri::True
        );
        assert_eq!(
            cond("ForAllValues:StringEquals", "tags", &["a"]).eval(&c),
            Tri::False
        );
        assert_eq!(
            cond("ForAllValues:StringEquals", "tags", &["a", "b", "c"]).eval(&c),
            Tri::True
        );
        assert_eq!(
            cond("ForAnyValue:StringNotEquals", "tags", &["a"]).eval(&c),
            Tri::True
        );
    }

    #[test]
    fn unknown_keys_and_operators() {
        let mut c = Context::default();
        c.mark_unknown("aws:SourceIp");
        assert_eq!(
            cond("IpAddress", "aws:SourceIp", &["10.0.0.0/8"]).eval(&c),
            Tri::Unknown
        );
        assert_eq!(
            cond("Null", "aws:SourceIp", &["true"]).eval(&c),
            Tri::Unknown
        );
        assert_eq!(cond("StringEqualz", "k", &["a"]).eval(&c), Tri::Unknown);
    }
}
