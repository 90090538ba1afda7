//! `ekm-check.snapshot/v1`: everything the rules read, so that a check can be repeated offline,
//! attached to an audit, or built by hand.
//!
//! A part that is absent was not collected (its rules are `skipped`); a part named in `errors`
//! could not be read (its rules are `unknown`). Documents keep their line in the snapshot file.

use serde_json::Value as J;

use crate::error::{Error, Result};
use crate::inputs::{
    Doc, Inputs, KeyMeta, OrgLevel, OrgPolicy, Organization, Part, Registration, RoleInfo,
};
use crate::json::{Node, Value};
use crate::policy::PolicyKind;

pub const FORMAT: &str = "ekm-check.snapshot/v1";

/// Read a snapshot file's parsed JSON. `file` names it in errors and evidence (with lines).
pub fn to_inputs(root: &Node, file: &str) -> Result<Inputs> {
    read(root, file, Some(file))
}

/// Read a snapshot the loader built from AWS: evidence names AWS sources, without a file.
pub fn from_aws(value: &serde_json::Value) -> Result<Inputs> {
    read(&Node::from_serde(value), "AWS", None)
}

fn read(root: &Node, name: &str, located: Option<&str>) -> Result<Inputs> {
    let file = name;
    let bad = |m: String| Error::Input {
        path: file.to_string(),
        message: m,
    };
    if root.members().is_none() {
        return Err(bad(format!(
            "a snapshot is a JSON object, not {}",
            root.type_name()
        )));
    }
    match root.get("format").and_then(Node::as_str) {
        Some(FORMAT) => {}
        Some(other) => {
            return Err(bad(format!(
                "format is \"{other}\"; this version of ekm-check reads \"{FORMAT}\""
            )));
        }
        None => {
            return Err(bad(format!(
                "no \"format\": a snapshot starts with {{\"format\": \"{FORMAT}\", …}} (is this a policy document? use `ekm-check lint`)"
            )));
        }
    }
    let mut inputs = Inputs::empty("not in the snapshot");
    if let Some(r) = root.get("registration") {
        inputs.registration = serde_json::from_value::<Registration>(r.to_serde())
            .map_err(|e| bad(format!("registration: {e}")))?;
    }
    // errors: part name -> message
    let mut errors: Vec<(String, String)> = Vec::new();
    if let Some(e) = root.get("errors") {
        let Some(members) = e.members() else {
            return Err(bad("\"errors\" must be an object of part: message".into()));
        };
        for m in members {
            if !is_part_name(&m.key) {
                return Err(bad(format!(
                    "errors: \"{}\" (line {}) is not a part of a snapshot; the parts are {}",
                    m.key,
                    m.value.pos.line,
                    PARTS.join(", ")
                )));
            }
            let msg = match &m.value.value {
                Value::String(s) => s.clone(),
                _ => m.value.to_serde().to_string(),
            };
            errors.push((m.key.clone(), msg));
        }
    }
    // The error for a part: its own entry, an entry for one of its items, or its parent's.
    let error_for = |part: &str| -> Option<String> {
        let parent = part.split('.').next().unwrap_or(part);
        errors
            .iter()
            .find(|(k, _)| {
                k == part
                    || k.starts_with(&format!("{part}/"))
                    || k.starts_with(&format!("{part}["))
            })
            .or_else(|| errors.iter().find(|(k, _)| k == parent))
            .map(|(_, v)| v.clone())
    };
    // Some(Error) when the part is not usable; None when `node` is there to read. `check` needs
    // every part (only the live and organization parts may be absent): a part that is neither
    // there nor named in "errors" makes its rules `unknown`, never `skipped`.
    let state = |part: &str, node: Option<&Node>| -> Option<Part<()>> {
        if let Some(e) = error_for(part) {
            return Some(Part::Error(e));
        }
        match node {
            Some(_) => None,
            None => Some(Part::Error(format!(
                "{part} is missing from the snapshot, and a check needs it (`ekm-check snapshot` writes every part; a part that could not be read belongs in \"errors\")"
            ))),
        }
    };
    let key = root.get("key").filter(|n| !matches!(n.value, Value::Null));
    let role = root.get("role").filter(|n| !matches!(n.value, Value::Null));
    // A part of the wrong type is a broken snapshot, never "not collected" (that would skip rules).
    for (name, n) in [
        ("key", key),
        ("role", role),
        ("key.metadata", key.and_then(|k| k.get("metadata"))),
    ] {
        if let Some(n) = n.filter(|n| n.members().is_none() && !matches!(n.value, Value::Null)) {
            return Err(bad(format!(
                "{name} must be an object, not {} (line {})",
                n.type_name(),
                n.pos.line
            )));
        }
    }
    let f = located;

    // key.metadata
    let n = key.and_then(|k| k.get("metadata"));
    inputs.key = match state("key.metadata", n) {
        Some(p) => retag(p),
        None => Part::Present(KeyMeta(n.map(Node::to_serde).unwrap_or(J::Null))),
    };
    let n = key.and_then(|k| k.get("policy"));
    inputs.key_policy = match state("key.policy", n) {
        Some(p) => retag(p),
        None => Part::Present(doc(
            n.expect("present"),
            PolicyKind::Resource,
            "key.policy",
            f,
            "/key/policy",
        )),
    };
    let n = key.and_then(|k| k.get("rotation_enabled"));
    inputs.rotation = match state("key.rotation_enabled", n) {
        Some(p) => retag(p),
        None => match n.map(|n| &n.value) {
            Some(Value::Bool(b)) => Part::Present(*b),
            Some(Value::Null) => Part::Absent("key.rotation_enabled is null".into()),
            _ => return Err(bad("key.rotation_enabled must be true or false".into())),
        },
    };
    let n = key.and_then(|k| k.get("aliases"));
    inputs.aliases = match state("key.aliases", n) {
        Some(p) => retag(p),
        None => {
            let v = n.map(Node::to_serde).unwrap_or(J::Null);
            let items = v
                .as_array()
                .ok_or_else(|| bad("key.aliases must be a list".into()))?;
            Part::Present(
                items
                    .iter()
                    .filter_map(|a| {
                        a.as_str()
                            .map(str::to_string)
                            .or_else(|| a.get("AliasName").and_then(J::as_str).map(str::to_string))
                    })
                    .collect(),
            )
        }
    };
    let n = key.and_then(|k| k.get("grants"));
    inputs.grants = match state("key.grants", n) {
        Some(p) => retag(p),
        None => Part::Present(
            n.map(Node::to_serde)
                .and_then(|v| v.as_array().cloned())
                .ok_or_else(|| bad("key.grants must be a list".into()))?,
        ),
    };

    // role
    inputs.role = match state("role", role) {
        Some(p) => retag(p),
        None => {
            let r = role.expect("present");
            Part::Present(RoleInfo {
                arn: r.get("Arn").and_then(Node::as_str).map(str::to_string),
                role_id: r.get("RoleId").and_then(Node::as_str).map(str::to_string),
            })
        }
    };
    let n = role.and_then(|r| {
        r.get("trust_policy")
            .or_else(|| r.get("AssumeRolePolicyDocument"))
    });
    inputs.trust_policy = match state("role.trust_policy", n) {
        Some(p) => retag(p),
        None => {
            let ptr = if role.and_then(|r| r.get("trust_policy")).is_some() {
                "/role/trust_policy"
            } else {
                "/role/AssumeRolePolicyDocument"
            };
            Part::Present(doc(
                n.expect("present"),
                PolicyKind::Trust,
                "role.trust_policy",
                f,
                ptr,
            ))
        }
    };
    let n = role.and_then(|r| r.get("inline_policies"));
    inputs.inline_policies = match state("role.inline_policies", n) {
        Some(p) => retag(p),
        None => Part::Present(named_docs(
            n.expect("present"),
            "role.inline_policies",
            PolicyKind::Identity,
            f,
            &bad,
        )?),
    };
    let n = role.and_then(|r| r.get("attached_policies"));
    inputs.attached_policies = match state("role.attached_policies", n) {
        Some(p) => retag(p),
        None => Part::Present(named_docs(
            n.expect("present"),
            "role.attached_policies",
            PolicyKind::Identity,
            f,
            &bad,
        )?),
    };
    let n = role.and_then(|r| r.get("permissions_boundary"));
    inputs.boundary = match state("role.permissions_boundary", n) {
        Some(p) => retag(p),
        None => {
            match n.map(|n| &n.value) {
                Some(Value::Null) => Part::Present(None),
                _ => {
                    let b = n.expect("present");
                    let Some(d) = b.get("document") else {
                        return Err(bad("role.permissions_boundary needs a \"document\" (or null for no boundary)".into()));
                    };
                    let mut dd = doc(
                        d,
                        PolicyKind::Boundary,
                        "role.permissions_boundary",
                        f,
                        "/role/permissions_boundary/document",
                    );
                    dd.arn = b.get("arn").and_then(Node::as_str).map(str::to_string);
                    Part::Present(Some(dd))
                }
            }
        }
    };
    inputs.role_tags = tags(
        role.and_then(|r| r.get("Tags")),
        "role.Tags",
        "Key",
        "Value",
        &error_for,
        &bad,
    )?;
    inputs.key_tags = tags(
        key.and_then(|k| k.get("tags")),
        "key.tags",
        "TagKey",
        "TagValue",
        &error_for,
        &bad,
    )?;
    inputs.organization = organization(root.get("organization"), &error_for, f, &bad)?;
    inputs.evidence = evidence(root.get("evidence"), &error_for, &bad)?;
    Ok(inputs)
}

/// `role.Tags` / `key.tags`: absent means not collected (conditions on them stay unknown).
fn tags(
    n: Option<&Node>,
    part: &str,
    k: &str,
    v: &str,
    error_for: &dyn Fn(&str) -> Option<String>,
    bad: &dyn Fn(String) -> Error,
) -> Result<Part<Vec<(String, String)>>> {
    if let Some(e) = error_for(part) {
        return Ok(Part::Error(e));
    }
    let Some(n) = n.filter(|n| !matches!(n.value, Value::Null)) else {
        return Ok(Part::Absent(format!("{part} was not collected")));
    };
    let Value::Array(items) = &n.value else {
        return Err(bad(format!(
            "{part} must be a list of {{\"{k}\": …, \"{v}\": …}}"
        )));
    };
    let mut out = Vec::new();
    for (i, it) in items.iter().enumerate() {
        match (
            it.get(k).and_then(Node::as_str),
            it.get(v).and_then(Node::as_str),
        ) {
            (Some(a), Some(b)) => out.push((a.to_string(), b.to_string())),
            _ => {
                return Err(bad(format!(
                    "{part}[{i}] needs \"{k}\" and \"{v}\" strings (line {})",
                    it.pos.line
                )));
            }
        }
    }
    Ok(Part::Present(out))
}

/// The `evidence` part (see docs/snapshot.md): absent means not collected (EKM701/EKM702
/// `skipped`). Each event is a CloudTrail record, or LookupEvents' entry with its
/// `CloudTrailEvent` string, or that string alone.
fn evidence(
    n: Option<&Node>,
    error_for: &dyn Fn(&str) -> Option<String>,
    bad: &dyn Fn(String) -> Error,
) -> Result<Part<crate::inputs::CallEvidence>> {
    if let Some(e) = error_for("evidence") {
        return Ok(Part::Error(e));
    }
    let Some(n) = n.filter(|n| !matches!(n.value, Value::Null)) else {
        return Ok(Part::Absent(crate::inputs::EVIDENCE_NOT_COLLECTED.into()));
    };
    let v = n.to_serde();
    let Some(o) = v.as_object() else {
        return Err(bad(format!(
            "evidence must be an object, not {} (line {})",
            n.type_name(),
            n.pos.line
        )));
    };
    let Some(since) = o.get("since").and_then(J::as_str) else {
        return Err(bad(format!(
            "evidence needs \"since\": the start of the window, e.g. \"2026-11-21T20:00:00Z\" (line {})",
            n.pos.line
        )));
    };
    let Some(items) = o.get("events").and_then(J::as_array) else {
        return Err(bad(format!(
            "evidence needs \"events\": a list of CloudTrail records (line {})",
            n.pos.line
        )));
    };
    let mut events = Vec::new();
    for (i, e) in items.iter().enumerate() {
        match crate::rules::evidence::support::record(e) {
            Some(r) => events.push(r),
            None => {
                return Err(bad(format!(
                    "evidence.events[{i}] is not a CloudTrail record (an object with eventName and eventTime, LookupEvents' entry with CloudTrailEvent, or that JSON string)"
                )));
            }
        }
    }
    let complete = match o.get("complete") {
        None => true,
        Some(J::Bool(b)) => *b,
        Some(_) => return Err(bad("evidence.complete must be true or false".into())),
    };
    Ok(Part::Present(crate::inputs::CallEvidence {
        since: since.to_string(),
        until: o.get("until").and_then(J::as_str).map(str::to_string),
        events,
        complete,
        lookups: o
            .get("lookups")
            .and_then(J::as_array)
            .cloned()
            .unwrap_or_default(),
        last_success: o
            .get("last_success")
            .filter(|v| v.is_object())
            .and_then(crate::rules::evidence::support::record),
    }))
}

/// The `organization` part (see docs/snapshot.md).
fn organization(
    n: Option<&Node>,
    error_for: &dyn Fn(&str) -> Option<String>,
    file: Option<&str>,
    bad: &dyn Fn(String) -> Error,
) -> Result<Part<Organization>> {
    // `errors["organization"]`: even membership is not known (`organization.policies` alone
    // leaves membership readable).
    if let Some(e) = error_for("organization") {
        return Ok(Part::Error(e));
    }
    let Some(n) = n.filter(|n| !matches!(n.value, Value::Null)) else {
        return Ok(Part::Absent(
            "the organization part was not collected".into(),
        ));
    };
    if n.members().is_none() {
        return Err(bad(format!(
            "organization must be an object, not {} (line {})",
            n.type_name(),
            n.pos.line
        )));
    }
    let Some(in_org) = n.get("in_organization").and_then(|b| match b.value {
        Value::Bool(b) => Some(b),
        _ => None,
    }) else {
        return Err(bad(format!(
            "organization needs \"in_organization\": true or false (line {})",
            n.pos.line
        )));
    };
    let s = |k: &str| n.get(k).and_then(Node::as_str).map(str::to_string);
    let policy_types = match n.get("policy_types").map(|t| &t.value) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            let mut types = Vec::new();
            for i in items {
                let Some(t) = i.as_str() else {
                    return Err(bad(
                        "organization.policy_types must be a list of strings".into()
                    ));
                };
                if let Some(meant) = misspelled_policy_type(t) {
                    return Err(bad(format!(
                        "organization.policy_types: \"{t}\" (line {}) is not a policy type; did you mean \"{meant}\"? (ListRoots' spelling: SERVICE_CONTROL_POLICY, RESOURCE_CONTROL_POLICY; read as written, it would say that type is not enabled)",
                        i.pos.line
                    )));
                }
                types.push(t.to_string());
            }
            types
        }
        Some(_) => {
            return Err(bad(
                "organization.policy_types must be a list of strings".into()
            ));
        }
    };
    let accounts = if !in_org {
        Part::Present(Vec::new())
    } else if let Some(e) = error_for("organization.policies") {
        Part::Error(e)
    } else {
        match n
            .get("accounts")
            .filter(|a| !matches!(a.value, Value::Null))
        {
            None => Part::Absent("the organization's policies were not collected".into()),
            Some(a) => {
                let Some(members) = a.members() else {
                    return Err(bad(
                        "organization.accounts must be an object of account id: {\"path\": […]}"
                            .into(),
                    ));
                };
                let mut out = Vec::new();
                for m in members {
                    let acct = &m.key;
                    let Some(Value::Array(levels)) = m.value.get("path").map(|p| &p.value) else {
                        return Err(bad(format!(
                            "organization.accounts.{acct} needs a \"path\" list, root first (line {})",
                            m.value.pos.line
                        )));
                    };
                    let mut path = Vec::new();
                    for (li, l) in levels.iter().enumerate() {
                        let Some(target) = l.get("target").and_then(Node::as_str) else {
                            return Err(bad(format!(
                                "organization.accounts.{acct}.path[{li}] needs a \"target\" (line {})",
                                l.pos.line
                            )));
                        };
                        let mut level = OrgLevel {
                            target: target.to_string(),
                            scps: Vec::new(),
                            rcps: Vec::new(),
                        };
                        for (field, kind, short) in [
                            ("scps", PolicyKind::Scp, "SCP"),
                            ("rcps", PolicyKind::Rcp, "RCP"),
                        ] {
                            let list = match l.get(field).map(|x| &x.value) {
                                None | Some(Value::Null) => continue,
                                Some(Value::Array(items)) => items,
                                Some(_) => {
                                    return Err(bad(format!(
                                        "organization.accounts.{acct}.path[{li}].{field} must be a list"
                                    )));
                                }
                            };
                            for (pi, p) in list.iter().enumerate() {
                                let id =
                                    p.get("id").and_then(Node::as_str).unwrap_or("").to_string();
                                let name = p
                                    .get("name")
                                    .and_then(Node::as_str)
                                    .unwrap_or("")
                                    .to_string();
                                let Some(d) = p.get("document") else {
                                    return Err(bad(format!(
                                        "organization.accounts.{acct}.path[{li}].{field}[{pi}] has no \"document\" (line {})",
                                        p.pos.line
                                    )));
                                };
                                let label = format!(
                                    "{short} {} ({}) at {}",
                                    if name.is_empty() { "unnamed" } else { &name },
                                    if id.is_empty() { "no id" } else { &id },
                                    level.describe()
                                );
                                let mut dd = doc(
                                    d,
                                    kind,
                                    &label,
                                    file,
                                    &format!(
                                        "/organization/accounts/{acct}/path/{li}/{field}/{pi}/document"
                                    ),
                                );
                                dd.name = Some(name.clone());
                                let op = OrgPolicy { id, name, doc: dd };
                                if kind == PolicyKind::Scp {
                                    level.scps.push(op);
                                } else {
                                    level.rcps.push(op);
                                }
                            }
                        }
                        path.push(level);
                    }
                    out.push((acct.clone(), path));
                }
                Part::Present(out)
            }
        }
    };
    Ok(Part::Present(Organization {
        in_organization: in_org,
        id: s("id"),
        management_account_id: s("management_account_id"),
        policy_types,
        accounts,
    }))
}

/// The SCP or RCP type a `policy_types` value seems meant to be, when it is not spelled as
/// ListRoots spells it (`service_control_policy`, `SERVICE_CONTROL_POLICIES`, `SCP`, …): such a
/// value would otherwise read as "not enabled" and let the guardrail rules pass unseen. Other
/// values (`TAG_POLICY`, a type AWS adds later) decide no rule and are kept as they are.
fn misspelled_policy_type(t: &str) -> Option<&'static str> {
    use crate::inputs::{RCP_TYPE, SCP_TYPE};
    if t == SCP_TYPE || t == RCP_TYPE {
        return None;
    }
    let norm: String = t
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if norm.starts_with("SERVICECONTROL") || norm == "SCP" || norm == "SCPS" {
        Some(SCP_TYPE)
    } else if norm.starts_with("RESOURCECONTROL") || norm == "RCP" || norm == "RCPS" {
        Some(RCP_TYPE)
    } else {
        None
    }
}

/// The parts a snapshot's `errors` may name (an item of a list as `part/name` or `part[i]`).
pub const PARTS: &[&str] = &[
    "key",
    "key.metadata",
    "key.policy",
    "key.rotation_enabled",
    "key.aliases",
    "key.grants",
    "key.tags",
    "role",
    "role.trust_policy",
    "role.inline_policies",
    "role.attached_policies",
    "role.permissions_boundary",
    "role.Tags",
    "organization",
    "organization.policies",
    "live",
    "evidence",
];

fn is_part_name(k: &str) -> bool {
    PARTS.iter().any(|p| {
        k == *p
            || k.strip_prefix(p)
                .is_some_and(|rest| rest.starts_with('/') || rest.starts_with('['))
    })
}

/// An unusable part (absent or unreadable) as a part of another type.
fn retag<T>(p: Part<()>) -> Part<T> {
    match p {
        Part::Absent(r) => Part::Absent(r),
        Part::Error(e) => Part::Error(e),
        Part::Present(()) => Part::Absent("internal: retag of a present part".into()),
    }
}

/// A policy document inside the snapshot: a JSON object, or (leniently) JSON text, URL-encoded
/// as the IAM API returns it.
fn doc(n: &Node, kind: PolicyKind, source: &str, file: Option<&str>, pointer: &str) -> Doc {
    if let Some(s) = n.as_str() {
        let decoded = if s.trim_start().starts_with('%') {
            url_decode(s)
        } else {
            s.to_string()
        };
        let mut d = Doc::from_text(&decoded, kind, source);
        d.file = None;
        d.source = source.to_string();
        return d;
    }
    Doc::from_node(n, kind, source, file, pointer)
}

fn named_docs(
    n: &Node,
    part: &str,
    kind: PolicyKind,
    file: Option<&str>,
    bad: &dyn Fn(String) -> Error,
) -> Result<Vec<Doc>> {
    let Value::Array(items) = &n.value else {
        return Err(bad(format!(
            "{part} must be a list of {{\"name\": …, \"document\": {{…}}}}"
        )));
    };
    let mut out = Vec::new();
    for (i, it) in items.iter().enumerate() {
        let name = it.get("name").and_then(Node::as_str).map(str::to_string);
        let arn = it.get("arn").and_then(Node::as_str).map(str::to_string);
        let Some(d) = it.get("document") else {
            return Err(bad(format!("{part}[{i}] has no \"document\"")));
        };
        let label = format!(
            "{part}/{}",
            name.clone()
                .or_else(|| arn.clone())
                .unwrap_or_else(|| i.to_string())
        );
        let mut dd = doc(
            d,
            kind,
            &label,
            file,
            &format!("/{}/{i}/document", part.replace('.', "/")),
        );
        dd.name = name;
        dd.arn = arn;
        out.push(dd);
    }
    Ok(out)
}

/// Decode %XX escapes (IAM returns policy documents URL-encoded). `+` stays `+`.
pub fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn url_decoding() {
        assert_eq!(url_decode("%7B%22a%22%3A1%7D"), "{\"a\":1}");
        assert_eq!(url_decode("100%"), "100%");
        assert_eq!(url_decode("%zz"), "%zz");
    }

    fn load(text: &str) -> Result<Inputs> {
        to_inputs(&json::parse(text).unwrap(), "s.json")
    }

    #[test]
    fn organization_part_states() {
        // Old snapshots (no part): not collected, never an error.
        let i = load(r#"{"format": "ekm-check.snapshot/v1"}"#).unwrap();
        assert!(matches!(i.organization, Part::Absent(_)));
        assert!(matches!(i.role_tags, Part::Absent(_)));
        assert!(matches!(i.key_tags, Part::Absent(_)));
        let i = load(
            r#"{"format": "ekm-check.snapshot/v1", "organization": {"in_organization": false}}"#,
        )
        .unwrap();
        let o = i.organization.get().unwrap();
        assert!(!o.in_organization);
        let i = load(
            r#"{"format": "ekm-check.snapshot/v1",
            "organization": {"in_organization": true, "id": "o-a1", "policy_types": ["SERVICE_CONTROL_POLICY"]},
            "errors": {"organization.policies": "AccessDeniedException: ListParents"}}"#,
        )
        .unwrap();
        let o = i.organization.get().unwrap();
        assert!(matches!(o.accounts, Part::Error(ref e) if e.contains("ListParents")));
        assert!(o.enabled(crate::inputs::SCP_TYPE) && !o.enabled(crate::inputs::RCP_TYPE));
        let i = load(
            r#"{"format": "ekm-check.snapshot/v1",
            "errors": {"organization": "AccessDeniedException: DescribeOrganization"}}"#,
        )
        .unwrap();
        assert!(matches!(i.organization, Part::Error(_)));
        let i = load(
            r#"{"format": "ekm-check.snapshot/v1",
            "role": {"Arn": "arn:aws:iam::111122223333:role/r", "Tags": [{"Key": "team", "Value": "a"}]},
            "key": {"tags": [{"TagKey": "dp:exclude:network", "TagValue": "true"}]},
            "organization": {"in_organization": true, "id": "o-a1", "management_account_id": "999988887777",
              "policy_types": ["SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"],
              "accounts": {"111122223333": {"path": [
                {"target": "r-ab12", "scps": [{"id": "p-1", "name": "Full", "document": {"Version": "2012-10-17",
                  "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}], "rcps": []},
                {"target": "111122223333"}]}}}}"#,
        )
        .unwrap();
        assert_eq!(
            i.role_tags.get().unwrap(),
            &vec![("team".into(), "a".into())]
        );
        assert_eq!(i.key_tags.get().unwrap()[0].0, "dp:exclude:network");
        let o = i.organization.get().unwrap();
        let path = o.path("111122223333").unwrap();
        assert_eq!(path.len(), 2);
        assert_eq!(
            path[0].scps[0].doc.source,
            "SCP Full (p-1) at the root r-ab12"
        );
        assert!(path[0].scps[0].doc.policy().is_some());
        assert_eq!(path[1].describe(), "account 111122223333");
        // Broken shapes are input errors, never "not collected".
        for bad in [
            r#""organization": []"#,
            r#""organization": {"id": "o-a1"}"#,
            r#""organization": {"in_organization": true, "accounts": {"1": {}}}"#,
            r#""organization": {"in_organization": true, "accounts": {"1": {"path": [{"scps": []}]}}}"#,
            r#""role": {"Tags": {"team": "a"}}"#,
        ] {
            let text = format!(r#"{{"format": "ekm-check.snapshot/v1", {bad}}}"#);
            assert!(load(&text).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_misspelled_policy_type_is_an_input_error_and_other_types_are_kept() {
        let with = |types: &str| {
            load(&format!(
                r#"{{"format": "ekm-check.snapshot/v1",
                "organization": {{"in_organization": true, "id": "o-a1", "policy_types": {types}}}}}"#
            ))
        };
        // Read as written, each would say SCPs (or RCPs) are not enabled: EKM603/EKM604 pass.
        for (typo, meant) in [
            ("service_control_policy", "SERVICE_CONTROL_POLICY"),
            ("SERVICE_CONTROL_POLICIES", "SERVICE_CONTROL_POLICY"),
            ("SCP", "SERVICE_CONTROL_POLICY"),
            ("ResourceControlPolicy", "RESOURCE_CONTROL_POLICY"),
            ("RESOURCE-CONTROL-POLICY", "RESOURCE_CONTROL_POLICY"),
        ] {
            let e = with(&format!(r#"["TAG_POLICY", "{typo}"]"#))
                .err()
                .unwrap_or_else(|| panic!("{typo} accepted"))
                .to_string();
            assert!(e.contains(typo) && e.contains(meant), "{typo}: {e}");
        }
        // Types that decide no rule, known or not yet known, are kept as AWS spells them.
        let i =
            with(r#"["SERVICE_CONTROL_POLICY", "TAG_POLICY", "A_TYPE_FROM_THE_FUTURE"]"#).unwrap();
        let o = i.organization.get().unwrap();
        assert_eq!(o.policy_types.len(), 3);
        assert!(o.enabled(crate::inputs::SCP_TYPE) && !o.enabled(crate::inputs::RCP_TYPE));
    }

    #[test]
    fn absent_and_error_parts() {
        let text = r#"{"format": "ekm-check.snapshot/v1",
            "key": {"metadata": {"KeySpec": "SYMMETRIC_DEFAULT"}},
            "errors": {"key.policy": "AccessDeniedException: kms:GetKeyPolicy"}}"#;
        let i = to_inputs(&json::parse(text).unwrap(), "s.json").unwrap();
        assert!(matches!(i.key, Part::Present(_)));
        assert!(matches!(i.key_policy, Part::Error(ref e) if e.contains("GetKeyPolicy")));
        // A check needs every part: a missing one is unreadable (its rules unknown), not skipped.
        assert!(
            matches!(i.rotation, Part::Error(ref e) if e.contains("missing from the snapshot"))
        );
        assert!(matches!(i.role, Part::Error(_)));
        assert!(matches!(i.trust_policy, Part::Error(_)));
        assert!(matches!(i.attached_policies, Part::Error(_)));
    }

    #[test]
    fn a_misspelled_part_in_errors_is_an_input_error() {
        let text = r#"{"format": "ekm-check.snapshot/v1",
            "errors": {"key.polcy": "AccessDeniedException"}}"#;
        let e = to_inputs(&json::parse(text).unwrap(), "s.json").unwrap_err();
        assert!(
            e.to_string()
                .contains("\"key.polcy\" (line 2) is not a part"),
            "{e}"
        );
        // Items of a list and whole parts are fine.
        let text = r#"{"format": "ekm-check.snapshot/v1",
            "errors": {"role.inline_policies/openai-kms": "x", "key": "NotFoundException"}}"#;
        assert!(to_inputs(&json::parse(text).unwrap(), "s.json").is_ok());
    }

    #[test]
    fn wrong_format_is_an_input_error() {
        let e = to_inputs(&json::parse(r#"{"format": "x"}"#).unwrap(), "s.json").unwrap_err();
        assert!(e.to_string().contains("ekm-check.snapshot/v1"));
        let e = to_inputs(
            &json::parse(r#"{"Version": "2012-10-17"}"#).unwrap(),
            "s.json",
        )
        .unwrap_err();
        assert!(e.to_string().contains("lint"));
    }
}
