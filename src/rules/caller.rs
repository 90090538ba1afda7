//! Whether a condition restricts who the caller is: shared by the "public" rules (EKM204 for key
//! policies, EKM405 for trust policies).

use super::support_keypolicy::and_list;
use crate::policy::Statement;
use crate::policy::condition::{Condition, Op, SetOp};
use crate::policy::pattern::arn_parts;
use crate::policy::principal::PrincipalPattern;

/// Keys that name the caller in a key policy.
pub const KEY_POLICY_CALLER_KEYS: &[&str] = &[
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "kms:calleraccount",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:userid",
    "aws:principalservicename",
];

/// Keys that name the caller of sts:AssumeRole.
pub const TRUST_CALLER_KEYS: &[&str] = &[
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:sourceaccount",
    "aws:userid",
];

/// Does the condition narrow the callers to some account, ARN, organization or service? Only a
/// positive test counts (not `…Not…`, not `…IfExists`, which anonymous callers pass, not
/// `ForAllValues:`, which a missing key passes), and only with values that are not just `*`.
pub fn restricts_caller(c: &Condition, keys: &[&str]) -> bool {
    let Some(op) = c.operator else {
        return false;
    };
    if !keys.contains(&c.key_lc.as_str()) {
        return false;
    }
    if op.negated || op.if_exists || op.set == SetOp::ForAllValues {
        return false;
    }
    if !matches!(
        op.op,
        Op::StringEquals | Op::StringEqualsIgnoreCase | Op::StringLike | Op::Arn
    ) {
        return false;
    }
    let wild = matches!(op.op, Op::StringLike | Op::Arn);
    !c.raw_values.is_empty()
        && c.raw_values
            .iter()
            .all(|v| !wild || !open_value(&c.key_lc, v))
}

/// A wildcard value that matches callers of any account or organization.
fn open_value(key_lc: &str, v: &str) -> bool {
    let only_wild = |s: &str| !s.is_empty() && s.chars().all(|ch| ch == '*' || ch == '?');
    if v.is_empty() || only_wild(v) {
        return true;
    }
    if key_lc == "aws:principalarn" || key_lc == "aws:sourcearn" {
        return match arn_parts(v) {
            Some(p) => only_wild(p[4]),
            None => v.ends_with('*'),
        };
    }
    if key_lc == "aws:principalorgid" {
        return v.trim_end_matches(['*', '?']) == "o-" || v.starts_with('*');
    }
    false
}

/// Who a statement lets in when it lets in anyone: `"*"` as principal (only under `only_kind`,
/// e.g. `AWS`, when given), or `NotPrincipal`, which allows everyone it does not list.
pub fn anyone(st: &Statement, only_kind: Option<&str>) -> Option<String> {
    let p = st.principal.as_ref()?;
    if p.negated {
        let names: Vec<&str> = p.entries.iter().map(|e| e.raw.as_str()).collect();
        return Some(format!(
            "everyone except {} (NotPrincipal)",
            and_list(&names)
        ));
    }
    p.entries
        .iter()
        .find(|e| e.pattern == PrincipalPattern::Any && only_kind.is_none_or(|k| e.kind == k))
        .map(|e| {
            if e.pointer.ends_with("/Principal") {
                "anyone (\"Principal\": \"*\")".to_string()
            } else {
                format!("anyone ({{\"{}\": \"*\"}})", e.kind)
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Pos;

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

    fn restricts_caller_kp(c: &Condition) -> bool {
        restricts_caller(c, KEY_POLICY_CALLER_KEYS)
    }

    #[test]
    fn caller_restrictions() {
        assert!(restricts_caller_kp(&cond(
            "StringEquals",
            "kms:CallerAccount",
            &["111122223333"]
        )));
        assert!(restricts_caller_kp(&cond(
            "ArnLike",
            "aws:PrincipalArn",
            &["arn:aws:iam::111122223333:role/*"]
        )));
        assert!(!restricts_caller_kp(&cond(
            "ArnLike",
            "aws:PrincipalArn",
            &["arn:aws:iam::*:role/x"]
        )));
        assert!(!restricts_caller_kp(&cond(
            "StringLike",
            "aws:PrincipalAccount",
            &["*"]
        )));
        assert!(!restricts_caller_kp(&cond(
            "StringNotEquals",
            "aws:PrincipalAccount",
            &["111122223333"]
        )));
        assert!(!restricts_caller_kp(&cond(
            "StringEqualsIfExists",
            "aws:PrincipalAccount",
            &["111122223333"]
        )));
        assert!(!restricts_caller_kp(&cond(
            "StringEquals",
            "kms:ViaService",
            &["s3.us-east-1.amazonaws.com"]
        )));
        assert!(restricts_caller_kp(&cond(
            "StringEquals",
            "aws:PrincipalOrgID",
            &["o-abc123"]
        )));
        assert!(!restricts_caller_kp(&cond(
            "StringLike",
            "aws:PrincipalOrgID",
            &["o-*"]
        )));
    }
}
