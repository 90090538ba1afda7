//! The eval request of the contract (one JSON object; one a line in `--batch`), and its decision.
//!
//! A batch usually repeats the same few policies on every line, so documents are read as raw
//! JSON text and compiled once: a [`PolicyCache`] maps the exact text to the compiled policy.
//! serde_json reads the line (fast); only when it rejects a line does the positioned reader run,
//! to say where and why.

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;
use std::rc::Rc;

use serde::Serialize;

use super::{CallerSide, Context, Evaluation, OrgScope, PolicySet, Request, TargetKey};
use crate::json::{self, Node, view};
use crate::policy::principal::Principal;
use crate::policy::{Level, Policy, PolicyKind};

/// A request with the documents it carries, all compiled.
#[derive(Debug, Clone)]
pub struct RequestDoc {
    pub id: serde_json::Value,
    pub request: Request,
    pub identity: Vec<Rc<Policy>>,
    pub resource: Option<Rc<Policy>>,
    pub boundaries: Vec<Rc<Policy>>,
    pub scps: Vec<Vec<Rc<Policy>>>,
    pub rcps: Vec<Vec<Rc<Policy>>>,
    pub org: OrgScope,
    pub caller: CallerSide,
    /// For kms:CreateAlias/UpdateAlias/DeleteAlias on an alias ARN: the keys the operation
    /// touches, each with its key policy (`target_keys`).
    pub target_keys: Vec<(String, Option<Rc<Policy>>)>,
}

/// A request that could not be read; `id` is echoed when it could be found.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct RequestError {
    pub id: serde_json::Value,
    pub message: String,
}

/// One line of `--batch` output.
#[derive(Debug, Serialize)]
pub struct DecisionOut {
    pub id: serde_json::Value,
    pub decision: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    pub explanation: Vec<String>,
}

/// One error line of `--batch` output.
#[derive(Debug, Serialize)]
pub struct ErrorOut<'a> {
    pub id: &'a serde_json::Value,
    pub error: &'a str,
}

/// A member of the request: its raw JSON text and, when that text is valid JSON, the value
/// read (in the arena; its positions and offsets are in `base`, the text it was read from).
#[derive(Clone, Copy)]
struct Field<'a> {
    raw: &'a str,
    node: Option<view::Node<'a>>,
    base: &'a str,
}

impl<'a> Field<'a> {
    /// A member split from its text: read on its own, into `arena`.
    fn read(raw: &'a str, arena: &'a bumpalo::Bump) -> Field<'a> {
        Field {
            raw,
            node: json::parse_in(raw, arena).ok(),
            base: raw,
        }
    }

    fn is_null(&self) -> bool {
        self.raw == "null"
    }
}

/// The request's members.
#[derive(Default)]
struct Fields<'a> {
    id: Option<Field<'a>>,
    principal: Option<Field<'a>>,
    action: Option<Field<'a>>,
    resource: Option<Field<'a>>,
    identity_policies: Option<Field<'a>>,
    resource_policy: Option<Field<'a>>,
    permission_boundaries: Option<Field<'a>>,
    scps: Option<Field<'a>>,
    rcps: Option<Field<'a>>,
    management_account: Option<Field<'a>>,
    scp_account: Option<Field<'a>>,
    rcp_account: Option<Field<'a>>,
    context: Option<Field<'a>>,
    unknown: Option<Field<'a>>,
    caller_identity_assumed: Option<Field<'a>>,
    target_keys: Option<Field<'a>>,
}

impl<'a> Fields<'a> {
    fn slot(&mut self, key: &str) -> Option<&mut Option<Field<'a>>> {
        Some(match key {
            "id" => &mut self.id,
            "principal" => &mut self.principal,
            "action" => &mut self.action,
            "resource" => &mut self.resource,
            "identity_policies" => &mut self.identity_policies,
            "resource_policy" => &mut self.resource_policy,
            "permission_boundaries" => &mut self.permission_boundaries,
            "scps" => &mut self.scps,
            "rcps" => &mut self.rcps,
            "management_account" => &mut self.management_account,
            "scp_account" => &mut self.scp_account,
            "rcp_account" => &mut self.rcp_account,
            "context" => &mut self.context,
            "unknown" => &mut self.unknown,
            "caller_identity_assumed" => &mut self.caller_identity_assumed,
            "target_keys" => &mut self.target_keys,
            _ => return None,
        })
    }

    /// The members of a request read whole: `None` when it is not an object of known,
    /// distinct members written without escapes (the split reading then decides, and
    /// explains).
    fn of_view(text: &'a str, root: &view::Node<'a>) -> Option<Fields<'a>> {
        let mut fields = Fields::default();
        for m in root.members()? {
            if !written_plainly(text, m.key, m.key_pos.offset) {
                return None;
            }
            let raw = m.value.text_in(text)?;
            let field = Field {
                raw,
                node: Some(m.value),
                base: text,
            };
            if fields.slot(m.key)?.replace(field).is_some() {
                return None;
            }
        }
        Some(fields)
    }
}

/// Compiled policies by kind, label and exact text.
///
/// A batch usually repeats a few policies on every line, but a batch over an organization's
/// roles may never repeat one: a text is kept only from its second sighting on (the first only
/// leaves its hash in `seen`), so never-repeated policies cost a hash, not a copy. Bounded:
/// cleared when it holds more than [`PolicyCache::CAPACITY`] entries or
/// [`PolicyCache::TEXT_LIMIT`] bytes of text, so no batch can grow it without limit.
#[derive(Debug, Default)]
pub struct PolicyCache {
    /// Text hash -> the policies compiled from that text (by kind and label).
    map: HashMap<u64, Vec<Cached>, BuildHasherDefault<Prehashed>>,
    /// The hash of an `identity_policies` list's text -> its compiled policies.
    lists: HashMap<u64, Vec<CachedList>, BuildHasherDefault<Prehashed>>,
    /// Hashes of texts seen once (documents and lists).
    seen: HashSet<u64, BuildHasherDefault<Prehashed>>,
    len: usize,
    bytes: usize,
    /// Where a request is read ([`RequestDoc::from_text`]); reset for each.
    arena: bumpalo::Bump,
}

/// An `identity_policies` list's text and its compiled policies.
type CachedList = (Box<str>, Vec<Rc<Policy>>);

#[derive(Debug)]
struct Cached {
    text: Box<str>,
    kind: PolicyKind,
    label: Box<str>,
    policy: Rc<Policy>,
}

/// The keys are already hashes.
#[derive(Debug, Default)]
struct Prehashed(u64);

impl std::hash::Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// A fast 64-bit hash of a text (FxHash's mixing, 8 bytes at a time); equal texts are
/// compared before a cached policy is used, so a collision costs only a miss.
fn text_hash(text: &str, salt: u64) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h = salt ^ (text.len() as u64).wrapping_mul(K);
    let mut chunks = text.as_bytes().chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        h = (h.rotate_left(5) ^ w).wrapping_mul(K);
    }
    for &b in chunks.remainder() {
        h = (h.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
    }
    // Final avalanche (splitmix64's), so that the low bits the table uses are mixed.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

impl PolicyCache {
    pub const CAPACITY: usize = 4096;
    /// Bytes of policy text kept, at most (the compiled policies are a few times that).
    pub const TEXT_LIMIT: usize = 4 << 20;
    /// Hashes of first sightings kept, at most.
    const SEEN_LIMIT: usize = 1 << 16;

    fn clear_if_full(&mut self, adding: usize) {
        if self.len >= Self::CAPACITY || self.bytes + adding > Self::TEXT_LIMIT {
            self.map.clear();
            self.lists.clear();
            self.len = 0;
            self.bytes = 0;
        }
    }

    /// First sighting of `hash`: remember it, and say so.
    fn first_sighting(&mut self, hash: u64) -> bool {
        if self.seen.len() >= Self::SEEN_LIMIT {
            self.seen.clear();
        }
        self.seen.insert(hash)
    }

    fn list(&self, raw: &str) -> (u64, Option<&Vec<Rc<Policy>>>) {
        let h = text_hash(raw, 1);
        let hit = self
            .lists
            .get(&h)
            .and_then(|v| v.iter().find(|(t, _)| &**t == raw))
            .map(|(_, p)| p);
        (h, hit)
    }

    fn remember_list(&mut self, hash: u64, raw: &str, policies: &[Rc<Policy>]) {
        if self.first_sighting(hash) {
            return;
        }
        self.clear_if_full(raw.len());
        self.len += 1;
        self.bytes += raw.len();
        self.lists
            .entry(hash)
            .or_default()
            .push((raw.into(), policies.to_vec()));
    }

    /// The policy compiled from `raw`, read from `node` when it was already read (else
    /// from `raw`, in `arena`).
    fn get(
        &mut self,
        raw: &str,
        node: Option<view::Node<'_>>,
        arena: &bumpalo::Bump,
        kind: PolicyKind,
        label: &str,
    ) -> Result<Rc<Policy>, String> {
        let h = text_hash(raw, 0);
        if let Some(hit) = self.map.get(&h).and_then(|v| {
            v.iter()
                .find(|c| c.kind == kind && &*c.label == label && &*c.text == raw)
        }) {
            return Ok(hit.policy.clone());
        }
        let node = match node {
            Some(n) => n,
            None => json::parse_in(raw, arena).map_err(|e| format!("{label}: {e}"))?,
        };
        let p = Policy::from_view(&node, kind, label, Some(node.pos));
        if let Some(d) = p
            .diagnostics
            .iter()
            .find(|d| d.level == Level::Error && !d.modelled)
        {
            return Err(format!("{label}: invalid policy: {d}"));
        }
        let p = Rc::new(p);
        if self.first_sighting(h) {
            return Ok(p);
        }
        self.clear_if_full(raw.len());
        self.len += 1;
        self.bytes += raw.len();
        self.map.entry(h).or_default().push(Cached {
            text: raw.into(),
            kind,
            label: label.into(),
            policy: p.clone(),
        });
        Ok(p)
    }
}

/// The documents of a list field: `null`/absent, one object, or an array.
fn items<'a>(f: Option<Field<'a>>, field: &str) -> Result<Vec<Field<'a>>, String> {
    let Some(f) = f.filter(|f| !f.is_null()) else {
        return Ok(Vec::new());
    };
    match f.node.map(|n| n.value) {
        Some(view::Value::Object(_)) => Ok(vec![f]),
        Some(view::Value::Array(list)) => list
            .iter()
            .map(|n| {
                Some(Field {
                    raw: n.text_in(f.base)?,
                    node: Some(*n),
                    base: f.base,
                })
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| format!("\"{field}\" is not a valid list")),
        Some(_) => Err(format!("\"{field}\" must be a list of policy documents")),
        // Not valid JSON: split it, so that the broken document is the one named.
        None if f.raw.starts_with('{') => Ok(vec![f]),
        None if f.raw.starts_with('[') => json::split_array(f.raw)
            .map(|list| {
                list.into_iter()
                    .map(|raw| Field {
                        raw,
                        node: None,
                        base: raw,
                    })
                    .collect()
            })
            .ok_or_else(|| format!("\"{field}\" is not a valid list")),
        None => Err(format!("\"{field}\" must be a list of policy documents")),
    }
}

/// A context value as a string, as serde_json would write it.
fn scalar(v: &view::Node<'_>) -> Option<String> {
    match v.value {
        view::Value::String(s) => Some(s.to_string()),
        view::Value::Number(n) => serde_json::from_str::<serde_json::Number>(n)
            .ok()
            .map(|n| n.to_string()),
        view::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl RequestDoc {
    /// Read a request object from a parsed node (tests, single requests).
    pub fn from_node(node: &Node, unknown: &[String]) -> Result<RequestDoc, RequestError> {
        let text = node.to_serde().to_string();
        RequestDoc::from_text(&text, unknown, &mut PolicyCache::default())
    }

    /// Read a request object from JSON text. `unknown` adds context keys that are not known.
    ///
    /// The line is read once, into the cache's arena (no allocation per value); each policy
    /// is compiled from its part of that reading, and its text is the cache's key. A line
    /// that is not valid JSON is split into its members instead, so that the error names the
    /// member (and the document) that is broken.
    pub fn from_text(
        text: &str,
        unknown: &[String],
        cache: &mut PolicyCache,
    ) -> Result<RequestDoc, RequestError> {
        RequestDoc::read_in(text, unknown, cache, true)
    }

    /// [`RequestDoc::from_text`] always through the member-by-member reading it uses for
    /// text that is not valid JSON: the two must agree (tests/request_reading.rs).
    #[doc(hidden)]
    pub fn from_text_split(
        text: &str,
        unknown: &[String],
        cache: &mut PolicyCache,
    ) -> Result<RequestDoc, RequestError> {
        RequestDoc::read_in(text, unknown, cache, false)
    }

    fn read_in(
        text: &str,
        unknown: &[String],
        cache: &mut PolicyCache,
        whole: bool,
    ) -> Result<RequestDoc, RequestError> {
        let mut arena = std::mem::take(&mut cache.arena);
        arena.reset();
        let doc = RequestDoc::read(text, unknown, cache, &arena, whole);
        cache.arena = arena;
        doc
    }

    fn read(
        text: &str,
        unknown: &[String],
        cache: &mut PolicyCache,
        arena: &bumpalo::Bump,
        whole: bool,
    ) -> Result<RequestDoc, RequestError> {
        // A byte-order mark before the request (as some Windows tools write) is not part of it.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let whole = match whole {
            false => None,
            true => json::parse_in(text, arena).ok(),
        };
        let raw = match whole {
            Some(root) => Fields::of_view(text, &root).ok_or_else(|| explain_unreadable(text))?,
            None => {
                let Some(members) = json::split_object(text) else {
                    return Err(explain_unreadable(text));
                };
                let mut raw = Fields::default();
                for (k, v) in members {
                    let field = Field::read(v, arena);
                    let Some(slot) = raw.slot(k) else {
                        return Err(explain_unreadable(text));
                    };
                    if slot.replace(field).is_some() {
                        return Err(explain_unreadable(text));
                    }
                }
                raw
            }
        };
        let id = raw
            .id
            .and_then(|f| f.node)
            .map(|n| n.to_serde())
            .unwrap_or(serde_json::Value::Null);
        let fail = |m: String| RequestError {
            id: id.clone(),
            message: m,
        };
        let string = |field: &str, v: Option<Field<'_>>| -> Result<String, RequestError> {
            let v = v.ok_or_else(|| fail(format!("the request has no \"{field}\"")))?;
            v.node
                .and_then(|n| n.as_str())
                .map(str::to_string)
                .ok_or_else(|| fail(format!("\"{field}\" must be a string")))
        };
        let principal_s = string("principal", raw.principal)?;
        let action = string("action", raw.action)?;
        let resource = string("resource", raw.resource)?;
        let principal =
            Principal::parse(&principal_s).map_err(|e| fail(format!("principal: {e}")))?;
        let mut context = Context::default();
        if let Some(c) = raw.context.filter(|c| !c.is_null()) {
            let not_object = || fail("\"context\" must be an object of key: value".into());
            let members = c.node.and_then(|n| n.members()).ok_or_else(not_object)?;
            let bad = |k: &str| {
                fail(format!(
                    "context \"{k}\": values must be strings, numbers or booleans"
                ))
            };
            // As serde_json reads an object: a key given twice keeps the first one's place and
            // the last one's value (only that value is checked).
            for (i, m) in members.iter().enumerate() {
                if members[..i].iter().any(|p| p.key == m.key) {
                    continue;
                }
                let last = members[i..].iter().rfind(|p| p.key == m.key).unwrap_or(m);
                let values = match last.value.value {
                    view::Value::Array(items) => {
                        items.iter().map(scalar).collect::<Option<Vec<_>>>()
                    }
                    _ => scalar(&last.value).map(|s| vec![s]),
                }
                .ok_or_else(|| bad(m.key))?;
                context.set(m.key, values);
            }
        }
        for u in unknown {
            context.mark_unknown(u);
        }
        if let Some(u) = raw.unknown.filter(|u| !u.is_null()) {
            let keys = u
                .node
                .and_then(|n| match n.value {
                    view::Value::Array(items) => {
                        items.iter().map(|i| i.as_str()).collect::<Option<Vec<_>>>()
                    }
                    _ => None,
                })
                .ok_or_else(|| fail("\"unknown\" must be a list of context keys".into()))?;
            for k in keys {
                context.mark_unknown(k);
            }
        }
        let caller = match raw.caller_identity_assumed.map(|f| f.raw) {
            None | Some("false") | Some("null") => CallerSide::Policies,
            Some("true") => CallerSide::AssumedAllowed,
            Some(_) => {
                return Err(fail(
                    "\"caller_identity_assumed\" must be true or false".into(),
                ));
            }
        };
        let compile = |cache: &mut PolicyCache, f: Field<'_>, kind: PolicyKind, label: String| {
            cache.get(f.raw, f.node, arena, kind, &label).map_err(&fail)
        };
        let identity = match raw.identity_policies {
            Some(list) => match cache.list(list.raw) {
                (_, Some(hit)) => hit.clone(),
                (hash, None) => {
                    let mut v = Vec::new();
                    for (i, f) in items(Some(list), "identity_policies")
                        .map_err(&fail)?
                        .into_iter()
                        .enumerate()
                    {
                        v.push(compile(
                            cache,
                            f,
                            PolicyKind::Identity,
                            format!("identity_policies[{i}]"),
                        )?);
                    }
                    cache.remember_list(hash, list.raw, &v);
                    v
                }
            },
            None => Vec::new(),
        };
        let resource_kind = if action.to_ascii_lowercase().starts_with("sts:assumerole") {
            PolicyKind::Trust
        } else {
            PolicyKind::Resource
        };
        let resource_policy = match raw.resource_policy {
            Some(f) if !f.is_null() => {
                Some(compile(cache, f, resource_kind, "resource_policy".into())?)
            }
            _ => None,
        };
        let mut boundaries = Vec::new();
        for (i, f) in items(raw.permission_boundaries, "permission_boundaries")
            .map_err(&fail)?
            .into_iter()
            .enumerate()
        {
            boundaries.push(compile(
                cache,
                f,
                PolicyKind::Boundary,
                format!("permission_boundaries[{i}]"),
            )?);
        }
        if boundaries.len() > 1 {
            return Err(fail(
                "a principal has at most one permissions boundary".into(),
            ));
        }
        let mut levels = |field: &str, raw: Option<Field<'_>>, kind: PolicyKind| {
            let mut out = Vec::new();
            for (level, f) in items(raw, field).map_err(&fail)?.into_iter().enumerate() {
                let docs = if f.raw.starts_with('[') {
                    items(Some(f), field).map_err(&fail)?
                } else {
                    vec![f]
                };
                let mut level_docs = Vec::new();
                for (j, d) in docs.into_iter().enumerate() {
                    level_docs.push(compile(cache, d, kind, format!("{field}[{level}][{j}]"))?);
                }
                out.push(level_docs);
            }
            Ok::<_, RequestError>(out)
        };
        let scps = levels("scps", raw.scps, PolicyKind::Scp)?;
        let rcps = levels("rcps", raw.rcps, PolicyKind::Rcp)?;
        let account = |field: &str, v: Option<Field<'_>>| -> Result<Option<String>, RequestError> {
            match v {
                None => Ok(None),
                Some(v) if v.is_null() => Ok(None),
                Some(v) => v
                    .node
                    .and_then(|n| n.as_str())
                    .map(|s| Some(s.to_string()))
                    .ok_or_else(|| fail(format!("\"{field}\" must be an account id (a string)"))),
            }
        };
        let org = OrgScope {
            management_account: account("management_account", raw.management_account)?,
            scp_account: account("scp_account", raw.scp_account)?,
            rcp_account: account("rcp_account", raw.rcp_account)?,
            resource_aws_managed: false,
        };
        let request = Request::new(principal, &action, &resource, context);
        let mut target_keys = Vec::new();
        if let Some(list) = raw.target_keys.map(|f| f.raw).filter(|l| *l != "null") {
            if !super::is_alias_management(&request) {
                return Err(fail(
                    "\"target_keys\" applies only to kms:CreateAlias, kms:UpdateAlias and kms:DeleteAlias on an alias ARN (arn:aws:kms:REGION:ACCOUNT:alias/NAME)".into(),
                ));
            }
            let entries = match list.starts_with('[') {
                true => json::split_array(list),
                false => None,
            }
            .ok_or_else(|| {
                fail("\"target_keys\" must be a list of {\"resource\": KEY_ARN, \"resource_policy\": {…}}".into())
            })?;
            for (i, entry) in entries.into_iter().enumerate() {
                let field = |k: &str| format!("target_keys[{i}].{k}");
                let members = json::split_object(entry).ok_or_else(|| {
                    fail(format!(
                        "target_keys[{i}] must be an object {{\"resource\": KEY_ARN, \"resource_policy\": {{…}}}}"
                    ))
                })?;
                let (mut key, mut policy) = (None, None);
                for (k, v) in members {
                    let slot = match k {
                        "resource" => &mut key,
                        "resource_policy" => &mut policy,
                        other => {
                            return Err(fail(format!(
                                "unknown field \"{other}\" in target_keys[{i}] (fields: resource, resource_policy)"
                            )));
                        }
                    };
                    if slot.replace(Field::read(v, arena)).is_some() {
                        return Err(fail(format!("{} appears twice", field(k))));
                    }
                }
                let key = string(&field("resource"), key)?;
                if !super::is_kms_key_arn(&key) {
                    return Err(fail(format!(
                        "{}: {key} is not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)",
                        field("resource")
                    )));
                }
                let policy = match policy {
                    Some(f) if !f.is_null() => Some(compile(
                        cache,
                        f,
                        PolicyKind::Resource,
                        field("resource_policy"),
                    )?),
                    _ => None,
                };
                target_keys.push((key, policy));
            }
        }
        Ok(RequestDoc {
            id,
            request,
            identity,
            resource: resource_policy,
            boundaries,
            scps,
            rcps,
            org,
            caller,
            target_keys,
        })
    }

    pub fn policy_set(&self) -> PolicySet<'_> {
        PolicySet {
            identity: self.identity.iter().map(|p| p.as_ref()).collect(),
            resource: self.resource.as_deref(),
            boundaries: self.boundaries.iter().map(|p| p.as_ref()).collect(),
            scps: self
                .scps
                .iter()
                .map(|l| l.iter().map(|p| p.as_ref()).collect())
                .collect(),
            rcps: self
                .rcps
                .iter()
                .map(|l| l.iter().map(|p| p.as_ref()).collect())
                .collect(),
            org: self.org.clone(),
            caller: self.caller,
        }
    }

    /// The keys an alias operation touches, with their policies.
    pub fn targets(&self) -> Vec<TargetKey<'_>> {
        self.target_keys
            .iter()
            .map(|(k, p)| TargetKey {
                resource: k.clone(),
                key_policy: p.as_deref(),
            })
            .collect()
    }

    pub fn evaluate(&self) -> Evaluation<'_> {
        super::evaluate_with_targets(&self.request, &self.policy_set(), &self.targets())
    }

    /// Write [`RequestDoc::decision`] as one JSON object, exactly as serde_json writes it,
    /// building the explanation line by line in one buffer.
    pub fn write_decision(&self, out: &mut Vec<u8>) {
        let ev = self.evaluate();
        // Writing into a Vec cannot fail.
        out.extend_from_slice(b"{\"id\":");
        let _ = serde_json::to_writer(&mut *out, &self.id);
        out.extend_from_slice(b",\"decision\":\"");
        out.extend_from_slice(ev.decision_str().as_bytes());
        out.push(b'"');
        if !ev.depends_on.is_empty() {
            out.extend_from_slice(b",\"depends_on\":");
            let _ = serde_json::to_writer(&mut *out, &ev.depends_on);
        }
        out.extend_from_slice(b",\"explanation\":[");
        let mut first = true;
        ev.explain_each(&self.request, &mut |line| {
            if !first {
                out.push(b',');
            }
            first = false;
            json::push_json_str(out, line);
        });
        out.extend_from_slice(b"]}");
    }

    pub fn decision(&self) -> DecisionOut {
        let ev = self.evaluate();
        DecisionOut {
            id: self.id.clone(),
            decision: ev.decision_str(),
            depends_on: ev.depends_on.clone(),
            explanation: ev.explain(&self.request),
        }
    }
}

/// The fast path could not read the text: say where and why, with the positioned reader's
/// hints for broken JSON, and the request's id when it can be found.
fn explain_unreadable(text: &str) -> RequestError {
    const FIELDS: &[&str] = &[
        "id",
        "principal",
        "action",
        "resource",
        "identity_policies",
        "resource_policy",
        "permission_boundaries",
        "scps",
        "rcps",
        "management_account",
        "scp_account",
        "rcp_account",
        "context",
        "unknown",
        "caller_identity_assumed",
        "target_keys",
    ];
    match json::parse(text) {
        Err(syntax) => RequestError {
            id: serde_json::Value::Null,
            message: syntax.to_string(),
        },
        Ok(node) => {
            let id = node
                .get("id")
                .map(Node::to_serde)
                .unwrap_or(serde_json::Value::Null);
            let message = match node.members() {
                None => format!("a request must be a JSON object, not {}", node.type_name()),
                Some(members) => {
                    let unknown = members.iter().find(|m| !FIELDS.contains(&m.key.as_str()));
                    let dup = members
                        .iter()
                        .enumerate()
                        .find(|(i, m)| members[..*i].iter().any(|p| p.key == m.key));
                    match (unknown, dup) {
                        (Some(m), _) => format!(
                            "unknown field \"{}\" in the request (fields: {})",
                            m.key,
                            FIELDS.join(", ")
                        ),
                        (None, Some((_, m))) => format!("the field \"{}\" appears twice", m.key),
                        _ => match members
                            .iter()
                            .find(|m| !written_plainly(text, &m.key, m.key_pos.offset))
                        {
                            Some(m) => format!(
                                "the field name \"{}\" is written with an escape: write it as plain text",
                                m.key
                            ),
                            None => "the request could not be read".to_string(),
                        },
                    }
                }
            };
            RequestError { id, message }
        }
    }
}

/// A member named `key`, whose opening quote is at byte `at` of `text`, is written there as
/// it reads, without an escape.
fn written_plainly(text: &str, key: &str, at: usize) -> bool {
    text.get(at + 1..).is_some_and(|written| {
        written.starts_with(key) && written.as_bytes().get(key.len()) == Some(&b'"')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<RequestDoc, RequestError> {
        RequestDoc::from_text(text, &[], &mut PolicyCache::default())
    }

    const ALIAS: &str = "arn:aws:kms:us-west-2:111122223333:alias/test";
    const KEY: &str = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    #[test]
    fn target_keys_are_read_for_alias_operations_only() {
        let ok = format!(
            r#"{{"principal": "arn:aws:iam::111122223333:user/a", "action": "kms:UpdateAlias", "resource": "{ALIAS}",
               "target_keys": [{{"resource": "{KEY}", "resource_policy": {{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}}]}}}}, {{"resource": "{KEY}"}}]}}"#
        );
        let doc = read(&ok).unwrap();
        assert_eq!(doc.target_keys.len(), 2);
        assert!(doc.target_keys[0].1.is_some() && doc.target_keys[1].1.is_none());

        let encrypt = format!(
            r#"{{"principal": "arn:aws:iam::111122223333:user/a", "action": "kms:Encrypt", "resource": "{KEY}", "target_keys": []}}"#
        );
        assert!(
            read(&encrypt)
                .unwrap_err()
                .message
                .contains("applies only to")
        );
        let alias_as_key = format!(
            r#"{{"principal": "arn:aws:iam::111122223333:user/a", "action": "kms:CreateAlias", "resource": "{ALIAS}", "target_keys": [{{"resource": "{ALIAS}"}}]}}"#
        );
        assert!(
            read(&alias_as_key)
                .unwrap_err()
                .message
                .contains("not a KMS key ARN")
        );
        let unknown = format!(
            r#"{{"principal": "arn:aws:iam::111122223333:user/a", "action": "kms:CreateAlias", "resource": "{ALIAS}", "target_keys": [{{"resource": "{KEY}", "policy": {{}}}}]}}"#
        );
        assert!(
            read(&unknown)
                .unwrap_err()
                .message
                .contains("unknown field \"policy\"")
        );
        let not_list = format!(
            r#"{{"principal": "arn:aws:iam::111122223333:user/a", "action": "kms:CreateAlias", "resource": "{ALIAS}", "target_keys": {{"resource": "{KEY}"}}}}"#
        );
        assert!(
            read(&not_list)
                .unwrap_err()
                .message
                .contains("must be a list")
        );
    }

    #[test]
    fn a_byte_order_mark_is_skipped_and_an_escaped_field_name_is_named() {
        let line = format!(
            r#"{{"id": "b", "principal": "arn:aws:iam::111122223333:user/a", "action": "kms:Encrypt", "resource": "{KEY}"}}"#
        );
        let plain = read(&line).unwrap().decision();
        for with_bom in [
            RequestDoc::from_text(&format!("\u{feff}{line}"), &[], &mut PolicyCache::default()),
            RequestDoc::from_text_split(
                &format!("\u{feff}{line}"),
                &[],
                &mut PolicyCache::default(),
            ),
        ] {
            let d = with_bom.unwrap().decision();
            assert_eq!((d.id, d.decision), (plain.id.clone(), plain.decision));
        }
        let escaped = line.replace(r#""action""#, r#""\u0061ction""#);
        let e = read(&escaped).unwrap_err();
        assert_eq!(e.id, serde_json::json!("b"));
        assert_eq!(
            e.message,
            "the field name \"action\" is written with an escape: write it as plain text"
        );
    }
}
