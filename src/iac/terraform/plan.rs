//! `terraform show -json` of a plan or of a state, read into [`Resource`]s.
//!
//! - What a plan will create or keep: `planned_values.root_module` (and its `child_modules`),
//!   joined by address with `resource_changes`, whose `change.after` is used; a resource the plan
//!   deletes or forgets is not read (said in the notes when it is a key, a role or a policy).
//! - What is known only after apply is dropped from `after` and `true` in `after_unknown` (same
//!   nesting): such an attribute is open, naming the address and attribute. For those, the
//!   configuration's references (`configuration.root_module`, `module_calls` recursively) say
//!   what the value depends on, so an attachment whose `policy_arn` is open still finds its
//!   `aws_iam_policy`, and a role policy open because it encodes a new key's ARN names that key.
//! - What AWS assigns is rebuilt as the configuration reader builds it: a new key's ARN is
//!   symbolic (from `--account`/`--region`, else the plan's `data.aws_caller_identity` and the
//!   key's provider region), a role's and a policy's ARN follow from their name and path.
//! - Data sources read at plan are in `prior_state`; a policy document read at apply (its
//!   `json` open) is rendered from its `statement[]` values as the provider renders it.
//! - Sensitive values (`after_sensitive`, `sensitive_values`, sensitive root variables) are
//!   never read, so never echoed: such an attribute is open.
//!
//! A state (`{format_version, values: {root_module}}`) is read the same way, every value known;
//! a raw `.tfstate` (`"version": 4`) too.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value as J;

use super::{Attr, Options, Resource};
use crate::iac::IacError;
use crate::iac::intrinsics::Pseudo;
use crate::json::{Node, Pos, Value};

/// The resource types whose deletion is worth a note (what a target is made of).
const RELEVANT: &[&str] = &[
    "aws_kms_key",
    "aws_kms_alias",
    "aws_kms_key_policy",
    "aws_iam_role",
    "aws_iam_role_policy",
    "aws_iam_policy",
    "aws_iam_role_policy_attachment",
    "aws_iam_policy_attachment",
    "aws_iam_policy_document",
];

/// The attributes that hold a policy document.
const POLICY_ATTRS: &[&str] = &["policy", "assume_role_policy"];

fn syntax(path: &str, message: impl Into<String>) -> IacError {
    IacError::Syntax {
        path: path.to_string(),
        message: message.into(),
    }
}

fn not_a_plan(path: &str, message: impl Into<String>) -> IacError {
    IacError::NotATemplate {
        path: path.to_string(),
        message: message.into(),
    }
}

const HOW: &str = "terraform plan -out=tfplan, then terraform show -json tfplan > plan.json";

/// The text of the file: UTF-8 (a byte order mark is dropped) or UTF-16 with a byte order mark
/// (what Windows PowerShell's `>` writes).
fn decode(bytes: &[u8], path: &str) -> Result<String, IacError> {
    let utf16 = |be: bool| -> Result<String, IacError> {
        let units: Vec<u16> = bytes[2..]
            .chunks(2)
            .map(|c| {
                let pair = [c[0], *c.get(1).unwrap_or(&0)];
                if be {
                    u16::from_be_bytes(pair)
                } else {
                    u16::from_le_bytes(pair)
                }
            })
            .collect();
        String::from_utf16(&units).map_err(|_| syntax(path, "is not valid UTF-16 text"))
    };
    match bytes {
        [0xef, 0xbb, 0xbf, rest @ ..] => {
            std::str::from_utf8(rest).map(str::to_string).map_err(|_| {
                syntax(
                    path,
                    "is not UTF-8 text: not the output of terraform show -json",
                )
            })
        }
        [0xff, 0xfe, ..] => utf16(false),
        [0xfe, 0xff, ..] => utf16(true),
        [b'P', b'K', 3, 4, ..] => Err(not_a_plan(
            path,
            format!(
                "is a binary plan file (terraform plan -out): ekm-check reads its JSON form ({HOW})"
            ),
        )),
        _ => std::str::from_utf8(bytes).map(str::to_string).map_err(|_| {
            syntax(
                path,
                "is not UTF-8 text: not the output of terraform show -json",
            )
        }),
    }
}

/// Why a JSON file that is not a plan is not one, when it is a known other thing.
fn other_kind(o: &serde_json::Map<String, J>) -> Option<&'static str> {
    if o.contains_key("provider_schemas") {
        return Some(
            "is the output of terraform providers schema -json, not of terraform show -json",
        );
    }
    if o.contains_key("diagnostics") && o.contains_key("valid") {
        return Some("is the output of terraform validate -json, not of terraform show -json");
    }
    if o.contains_key("AWSTemplateFormatVersion") || o.get("Resources").is_some_and(J::is_object) {
        return Some("is a CloudFormation template: use --cloudformation FILE");
    }
    if o.contains_key("resource") || o.contains_key("provider") || o.contains_key("terraform") {
        return Some(
            "is Terraform configuration in JSON syntax (.tf.json): give its directory with --terraform DIR, or a plan's JSON",
        );
    }
    None
}

/// Read the output of `terraform show -json` (a plan or a state), or a raw state file.
pub fn load(
    bytes: &[u8],
    path: &str,
    opts: &Options,
) -> Result<(Vec<Resource>, Vec<String>), IacError> {
    let text = decode(bytes, path)?;
    let root: J = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            // `terraform plan -json` streams one JSON message a line.
            let first = text.lines().next().unwrap_or_default();
            if let Ok(J::Object(o)) = serde_json::from_str::<J>(first) {
                if o.contains_key("@message") || o.contains_key("@level") {
                    return Err(not_a_plan(
                        path,
                        format!(
                            "is the streamed log of terraform plan -json (one message a line), not a plan: {HOW}"
                        ),
                    ));
                }
            }
            return Err(syntax(
                path,
                format!("is not JSON ({e}): --terraform-plan reads the output of {HOW}"),
            ));
        }
    };
    let J::Object(o) = &root else {
        return Err(not_a_plan(
            path,
            format!(
                "is JSON {}, not the output of terraform show -json ({HOW})",
                kind_of(&root)
            ),
        ));
    };
    if o.get("resources").is_some_and(J::is_array) && o.get("version").is_some_and(J::is_number) {
        return raw_state(&root, path, opts);
    }
    if o.get("modules").is_some_and(J::is_array) && o.get("version").is_some_and(J::is_number) {
        return Err(not_a_plan(
            path,
            "is a raw state file of Terraform 0.11 or older (version 3): run terraform show -json with a newer Terraform",
        ));
    }
    let plan_keys = [
        "planned_values",
        "resource_changes",
        "prior_state",
        "values",
        "configuration",
    ];
    let has_plan_keys = plan_keys.iter().any(|k| o.contains_key(*k));
    match o.get("format_version") {
        Some(J::String(v)) => {
            let major = v.split('.').next().unwrap_or_default();
            if major != "0" && major != "1" {
                return Err(not_a_plan(
                    path,
                    format!(
                        "has format_version {v}: ekm-check reads terraform show -json formats 0.x and 1.x (Terraform 0.12 to 1.x)"
                    ),
                ));
            }
        }
        Some(other) => {
            return Err(not_a_plan(
                path,
                format!(
                    "has a format_version that is {}, not a string like \"1.2\"",
                    kind_of(other)
                ),
            ));
        }
        None if has_plan_keys => {}
        None => {
            let why = other_kind(o).map(str::to_string).unwrap_or_else(|| {
                format!("has no format_version: not the output of terraform show -json ({HOW})")
            });
            return Err(not_a_plan(path, why));
        }
    }
    if !has_plan_keys {
        if let Some(why) = other_kind(o) {
            return Err(not_a_plan(path, why));
        }
        let extra: Vec<&str> = o
            .keys()
            .map(String::as_str)
            .filter(|k| !matches!(*k, "format_version" | "terraform_version"))
            .collect();
        if !extra.is_empty() {
            return Err(not_a_plan(
                path,
                format!(
                    "holds none of planned_values, resource_changes, values: not a plan or a state from terraform show -json (its keys: {})",
                    extra.join(", ")
                ),
            ));
        }
        // `terraform show -json` of an empty state: nothing to read.
    }
    Ok(Reader::new(&root, path, opts).read())
}

fn kind_of(v: &J) -> &'static str {
    match v {
        J::Null => "null",
        J::Bool(_) => "a boolean",
        J::Number(_) => "a number",
        J::String(_) => "a string",
        J::Array(_) => "an array",
        J::Object(_) => "an object",
    }
}

// ---------------------------------------------------------------------------------------------
// The configuration: references

/// A module of `configuration`: its JSON, the prefix of its addresses, the call that made it.
struct ConfModule<'j> {
    json: &'j J,
    /// The `module_calls` entry (its `expressions` are the module's inputs).
    call: Option<&'j J>,
    parent: Option<String>,
}

/// The configuration's resources and modules, by module-qualified address without instance keys.
#[derive(Default)]
struct Conf<'j> {
    /// `module.a.aws_kms_key.k` → the resource's configuration.
    resources: HashMap<String, &'j J>,
    /// `module.a.` → the module.
    modules: HashMap<String, ConfModule<'j>>,
    providers: Option<&'j J>,
}

impl<'j> Conf<'j> {
    fn new(plan: &'j J) -> Conf<'j> {
        let mut c = Conf {
            providers: plan.pointer("/configuration/provider_config"),
            ..Conf::default()
        };
        if let Some(root) = plan.pointer("/configuration/root_module") {
            c.add(root, String::new(), None, None, 0);
        }
        c
    }

    fn add(
        &mut self,
        m: &'j J,
        prefix: String,
        call: Option<&'j J>,
        parent: Option<String>,
        depth: usize,
    ) {
        if depth > 32 {
            return;
        }
        for r in m
            .get("resources")
            .and_then(J::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(a) = r.get("address").and_then(J::as_str) {
                self.resources.insert(format!("{prefix}{a}"), r);
            }
        }
        if let Some(calls) = m.get("module_calls").and_then(J::as_object) {
            for (name, call) in calls {
                if let Some(child) = call.get("module") {
                    self.add(
                        child,
                        format!("{prefix}module.{name}."),
                        Some(call),
                        Some(prefix.clone()),
                        depth + 1,
                    );
                }
            }
        }
        self.modules.insert(
            prefix,
            ConfModule {
                json: m,
                call,
                parent,
            },
        );
    }

    /// The configuration of a resource instance (`module.a["x"].aws_kms_key.k[0]`).
    fn resource(&self, address: &str) -> Option<&'j J> {
        self.resources.get(&super::base_address(address)).copied()
    }

    /// The expression of one of a resource's attributes.
    fn expression(&self, address: &str, attr: &str) -> Option<&'j J> {
        self.resource(address)?.get("expressions")?.get(attr)
    }

    /// The references an expression names, as written (`aws_kms_key.k.arn`, `each.key`).
    fn raw_refs(e: &J, out: &mut Vec<String>) {
        match e {
            J::Object(o) => {
                if let Some(J::Array(refs)) = o.get("references") {
                    out.extend(refs.iter().filter_map(|r| r.as_str().map(String::from)));
                }
                if o.contains_key("constant_value") || o.contains_key("references") {
                    return;
                }
                for v in o.values() {
                    Conf::raw_refs(v, out);
                }
            }
            J::Array(a) => a.iter().for_each(|v| Conf::raw_refs(v, out)),
            _ => {}
        }
    }

    /// The resources an expression of the module at `prefix` refers to (module-qualified, no
    /// instance keys), following data sources, module outputs and module inputs.
    fn refs(&self, prefix: &str, e: &J) -> Vec<String> {
        let mut out = Vec::new();
        self.refs_into(prefix, e, &mut out, 0);
        out
    }

    fn refs_into(&self, prefix: &str, e: &J, out: &mut Vec<String>, depth: usize) {
        if depth > 16 {
            return;
        }
        let mut raw = Vec::new();
        Conf::raw_refs(e, &mut raw);
        for r in raw {
            let base = super::base_address(&r);
            let parts: Vec<&str> = base.split('.').collect();
            match parts.as_slice() {
                [
                    "local" | "each" | "count" | "path" | "self" | "terraform",
                    ..,
                ] => {}
                ["var", v, ..] => {
                    let Some(m) = self.modules.get(prefix) else {
                        continue;
                    };
                    if let (Some(call), Some(parent)) = (m.call, &m.parent) {
                        if let Some(x) = call.get("expressions").and_then(|x| x.get(*v)) {
                            self.refs_into(parent, x, out, depth + 1);
                        }
                    }
                }
                ["module", name, rest @ ..] => {
                    let child = format!("{prefix}module.{name}.");
                    let me = format!("{prefix}module.{name}");
                    if !out.contains(&me) {
                        out.push(me);
                    }
                    if let (Some(output), Some(m)) = (rest.first(), self.modules.get(&child)) {
                        if let Some(x) = m.json.pointer(&format!("/outputs/{output}/expression")) {
                            self.refs_into(&child, x, out, depth + 1);
                        }
                    }
                }
                ["data", ty, name, ..] => {
                    let a = format!("{prefix}data.{ty}.{name}");
                    if out.contains(&a) {
                        continue;
                    }
                    out.push(a.clone());
                    // A data source's references are the value's (a policy document's).
                    if let Some(x) = self.resources.get(&a).and_then(|r| r.get("expressions")) {
                        self.refs_into(prefix, x, out, depth + 1);
                    }
                }
                [ty, name, ..] => {
                    let a = format!("{prefix}{ty}.{name}");
                    if !out.contains(&a) {
                        out.push(a);
                    }
                }
                _ => {}
            }
        }
    }

    /// The region a resource's provider configuration sets as a constant.
    fn provider_region(&self, address: &str) -> Option<String> {
        let key = self
            .resource(address)?
            .get("provider_config_key")?
            .as_str()?;
        let providers = self.providers?;
        let p = providers
            .get(key)
            .or_else(|| providers.get(key.rsplit(':').next()?))?;
        p.pointer("/expressions/region/constant_value")?
            .as_str()
            .map(String::from)
    }
}

/// The module prefix of an address without instance keys: `module.a.module.b.` of
/// `module.a.module.b.aws_kms_key.k`.
fn module_prefix(base: &str) -> String {
    let parts: Vec<&str> = base.split('.').collect();
    let mut out = String::new();
    let mut i = 0;
    while i + 1 < parts.len() && parts[i] == "module" {
        out.push_str(&format!("module.{}.", parts[i + 1]));
        i += 2;
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Unknown and sensitive values

/// The path of the first `true` in an `after_unknown` or `*_sensitive` value: `""` when it is
/// `true` itself, `[0].policy` below it.
fn marked(v: &J) -> Option<String> {
    match v {
        J::Bool(true) => Some(String::new()),
        J::Object(o) => o
            .iter()
            .find_map(|(k, v)| marked(v).map(|p| format!(".{k}{p}"))),
        J::Array(a) => a
            .iter()
            .enumerate()
            .find_map(|(i, v)| marked(v).map(|p| format!("[{i}]{p}"))),
        _ => None,
    }
}

/// Does a value hold one of the secrets (as a string, or inside one)?
fn holds_secret(v: &J, secrets: &[String]) -> bool {
    match v {
        J::String(s) => secrets.iter().any(|x| s.contains(x.as_str())),
        J::Array(a) => a.iter().any(|x| holds_secret(x, secrets)),
        J::Object(o) => o.values().any(|x| holds_secret(x, secrets)),
        _ => false,
    }
}

/// The string values of a JSON value (a sensitive variable's).
fn strings_of(v: &J, out: &mut Vec<String>) {
    match v {
        J::String(s) => out.push(s.clone()),
        J::Number(n) => out.push(n.to_string()),
        J::Array(a) => a.iter().for_each(|x| strings_of(x, out)),
        J::Object(o) => o.values().for_each(|x| strings_of(x, out)),
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// Instances

/// One resource instance as the plan or state gives it.
struct Inst<'j> {
    address: String,
    ty: String,
    data: bool,
    pointer: String,
    values: Option<&'j J>,
    unknown: Option<&'j J>,
    sensitive: Vec<&'j J>,
    /// Created by this plan (its ARN and ids are AWS's to assign).
    creating: bool,
}

fn str_of<'a>(v: &'a J, k: &str) -> &'a str {
    v.get(k).and_then(J::as_str).unwrap_or_default()
}

/// Every resource of a module of `planned_values`, `prior_state.values` or a state's `values`,
/// with the JSON pointer of its values.
fn module_resources<'j>(m: &'j J, pointer: String, out: &mut Vec<(&'j J, String)>, depth: usize) {
    if depth > 32 {
        return;
    }
    for (i, r) in m
        .get("resources")
        .and_then(J::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        out.push((r, format!("{pointer}/resources/{i}/values")));
    }
    for (i, c) in m
        .get("child_modules")
        .and_then(J::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        module_resources(c, format!("{pointer}/child_modules/{i}"), out, depth + 1);
    }
}

fn actions(rc: &J) -> Vec<&str> {
    rc.pointer("/change/actions")
        .and_then(J::as_array)
        .map(|a| a.iter().filter_map(J::as_str).collect())
        .unwrap_or_default()
}

struct Reader<'j> {
    plan: &'j J,
    path: String,
    opts: &'j Options,
    conf: Conf<'j>,
    notes: Vec<String>,
    secrets: Vec<String>,
}

/// What the ARNs of new resources are built from.
struct Place {
    account: Option<String>,
    /// From the plan (not given on the command line).
    region_of_plan: Option<String>,
}

impl<'j> Reader<'j> {
    fn new(plan: &'j J, path: &str, opts: &'j Options) -> Reader<'j> {
        // Sensitive root variables: their values must not reach any output, even through a
        // format (0.1) that does not mark the attributes built from them.
        let mut secrets = Vec::new();
        if let (Some(J::Object(decls)), Some(J::Object(values))) = (
            plan.pointer("/configuration/root_module/variables"),
            plan.get("variables"),
        ) {
            for (name, d) in decls {
                if d.get("sensitive") == Some(&J::Bool(true)) {
                    if let Some(v) = values.get(name).and_then(|v| v.get("value")) {
                        strings_of(v, &mut secrets);
                    }
                }
            }
        }
        secrets.retain(|s| s.trim().len() >= 3);
        Reader {
            plan,
            path: path.to_string(),
            opts,
            conf: Conf::new(plan),
            notes: Vec::new(),
            secrets,
        }
    }

    fn read(mut self) -> (Vec<Resource>, Vec<String>) {
        let insts = self.instances();
        if self.plan.get("errored") == Some(&J::Bool(true)) {
            self.notes.push(
                "the plan errored (errored: true): Terraform stopped before planning every resource"
                    .into(),
            );
        }
        self.finish(&insts)
    }

    /// The instances as resources, with what follows from the plan's other resources.
    fn finish(mut self, insts: &[Inst<'_>]) -> (Vec<Resource>, Vec<String>) {
        let mut out: Vec<Resource> = insts.iter().map(|i| self.resource(i)).collect();
        let place = self.place(&out);
        let creating: HashMap<String, bool> = insts
            .iter()
            .map(|i| (i.address.clone(), i.creating))
            .collect();
        // Policy documents first: the resources that use them come next.
        for r in out.iter_mut().filter(|r| r.data) {
            self.data_source(r);
        }
        let docs: Vec<(String, Attr)> = out
            .iter()
            .filter(|r| r.data && r.ty == "aws_iam_policy_document")
            .filter_map(|r| r.attr("json").map(|a| (r.address.clone(), a.clone())))
            .collect();
        for r in out.iter_mut().filter(|r| !r.data) {
            let new = creating.get(&r.address).copied().unwrap_or(false);
            self.managed(r, new, &place, &docs);
        }
        // A role whose trust policy is open is a target only when --role names it: say so.
        for r in out.iter().filter(|r| !r.data && r.ty == "aws_iam_role") {
            if let Some(Err(e)) = r.attr("assume_role_policy").map(|a| &a.value) {
                if self.opts.role.is_none() {
                    self.notes.push(format!(
                        "whether {} trusts OpenAI: {e} (give --role {} to check it)",
                        r.address, r.address
                    ));
                }
            }
        }
        (out, self.notes)
    }

    /// The instances to read, in the plan's order: planned values (with their changes), the
    /// changes not in the planned values, then the data sources read at plan.
    fn instances(&mut self) -> Vec<Inst<'j>> {
        let plan = self.plan;
        let mut changes: HashMap<&str, (usize, &'j J)> = HashMap::new();
        for (i, rc) in plan
            .get("resource_changes")
            .and_then(J::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let Some(a) = rc.get("address").and_then(J::as_str) {
                changes.insert(a, (i, rc));
            }
        }
        let mut planned = Vec::new();
        if let Some(m) = plan.pointer("/planned_values/root_module") {
            module_resources(m, "/planned_values/root_module".into(), &mut planned, 0);
        }
        if let Some(m) = plan.pointer("/values/root_module") {
            module_resources(m, "/values/root_module".into(), &mut planned, 0);
        }
        let mut prior = Vec::new();
        if let Some(m) = plan.pointer("/prior_state/values/root_module") {
            module_resources(m, "/prior_state/values/root_module".into(), &mut prior, 0);
        }
        let prior_data: HashMap<&str, (&'j J, String)> = prior
            .iter()
            .filter(|(r, _)| str_of(r, "mode") == "data")
            .map(|(r, p)| (str_of(r, "address"), (*r, p.clone())))
            .collect();
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut out = Vec::new();
        let mut add = |me: &mut Self, r: &'j J, pointer: String, rc: Option<(usize, &'j J)>| {
            let address = str_of(r, "address").to_string();
            if address.is_empty() || !seen.insert(address.clone()) {
                return;
            }
            let ty = str_of(r, "type").to_string();
            let data = str_of(r, "mode") == "data" || address.starts_with("data.");
            let mut inst = Inst {
                address: address.clone(),
                ty: ty.clone(),
                data,
                pointer,
                values: r.get("values"),
                unknown: None,
                sensitive: r.get("sensitive_values").into_iter().collect(),
                creating: false,
            };
            if let Some((i, rc)) = rc {
                let acts = actions(rc);
                if !acts.is_empty() && acts.iter().all(|a| matches!(*a, "delete" | "forget")) {
                    if RELEVANT.contains(&ty.as_str()) {
                        let what = if acts.contains(&"delete") {
                            "the plan deletes it"
                        } else {
                            "the plan removes it from the state (forget)"
                        };
                        me.notes.push(format!("{address}: {what}"));
                    }
                    return;
                }
                let change = rc.get("change");
                let after = change.and_then(|c| c.get("after")).filter(|a| !a.is_null());
                // A data source read at plan keeps the values of prior_state.
                let from_prior =
                    data && !acts.contains(&"read") && prior_data.contains_key(address.as_str());
                if let (Some(after), false) = (after, from_prior) {
                    inst.values = Some(after);
                    if inst.pointer.is_empty() {
                        inst.pointer = format!("/resource_changes/{i}/change/after");
                    }
                }
                inst.unknown = change.and_then(|c| c.get("after_unknown"));
                inst.sensitive
                    .extend(change.and_then(|c| c.get("after_sensitive")));
                inst.creating = acts.contains(&"create");
            }
            if data && inst.unknown.is_none() {
                if let Some((pr, pp)) = prior_data.get(address.as_str()) {
                    inst.values = pr.get("values");
                    inst.pointer = pp.clone();
                    inst.sensitive = pr.get("sensitive_values").into_iter().collect();
                }
            }
            out.push(inst);
        };
        for (r, pointer) in &planned {
            let rc = changes.get(str_of(r, "address")).copied();
            add(self, r, pointer.clone(), rc);
        }
        let mut rest: Vec<(usize, &'j J)> = changes.values().copied().collect();
        rest.sort_by_key(|(i, _)| *i);
        for (i, rc) in rest {
            add(self, rc, String::new(), Some((i, rc)));
        }
        for (r, pointer) in &prior {
            if str_of(r, "mode") == "data" {
                add(self, r, pointer.clone(), None);
            }
        }
        for d in plan
            .get("deferred_changes")
            .and_then(J::as_array)
            .into_iter()
            .flatten()
        {
            let rc = d.get("resource_change").unwrap_or(&J::Null);
            if RELEVANT.contains(&str_of(rc, "type")) {
                self.notes.push(format!(
                    "{}: Terraform deferred its change ({})",
                    str_of(rc, "address"),
                    d.get("reason")
                        .and_then(J::as_str)
                        .unwrap_or("no reason given")
                ));
            }
        }
        out
    }

    /// A resource with its attributes as the plan knows them.
    fn resource(&self, i: &Inst<'j>) -> Resource {
        let addr = &i.address;
        let prefix = module_prefix(&super::base_address(addr));
        let exprs = self
            .conf
            .resource(addr)
            .and_then(|r| r.get("expressions"))
            .and_then(J::as_object);
        let mut names: BTreeSet<String> = BTreeSet::new();
        if let Some(J::Object(v)) = i.values {
            names.extend(v.keys().cloned());
        }
        if let Some(J::Object(u)) = i.unknown {
            names.extend(
                u.iter()
                    .filter(|(_, v)| marked(v).is_some())
                    .map(|(k, _)| k.clone()),
            );
        }
        if let Some(e) = exprs {
            names.extend(
                e.iter()
                    .filter(|(_, x)| x.get("constant_value").is_some())
                    .map(|(k, _)| k.clone()),
            );
        }
        let whole_sensitive = i.sensitive.iter().any(|s| **s == J::Bool(true));
        let mut attrs = std::collections::BTreeMap::new();
        for k in names {
            let refs = exprs
                .and_then(|e| e.get(&k))
                .map(|x| self.conf.refs(&prefix, x))
                .unwrap_or_default();
            // What after says, else the configuration's constant.
            let value = i.values.and_then(|v| v.get(&k)).or_else(|| {
                exprs
                    .and_then(|e| e.get(&k))
                    .and_then(|x| x.get("constant_value"))
            });
            let sensitive = whole_sensitive
                || i.sensitive
                    .iter()
                    .any(|s| s.get(&k).and_then(marked).is_some())
                || value.is_some_and(|v| holds_secret(v, &self.secrets));
            let unknown = i.unknown.and_then(|u| u.get(&k)).and_then(marked);
            let v: Result<Node, String> = if sensitive {
                Err(format!(
                    "{addr}.{k} is sensitive: never read, so never echoed"
                ))
            } else if let Some(p) = unknown {
                Err(format!(
                    "{addr}.{k}{p} is known only after apply{}",
                    depends(&refs)
                ))
            } else if let Some(v) = value {
                Ok(Node::from_serde(v))
            } else {
                continue;
            };
            attrs.insert(
                k,
                Attr {
                    value: v,
                    refs,
                    source: None,
                    document: None,
                },
            );
        }
        Resource {
            address: addr.clone(),
            ty: i.ty.clone(),
            data: i.data,
            file: self.path.clone(),
            line: 0,
            pointer: i.pointer.clone(),
            attrs,
        }
    }

    /// The account and region the plan itself says (data.aws_caller_identity, data.aws_region).
    fn place(&self, all: &[Resource]) -> Place {
        let single = |ty: &str, names: &[&str]| -> Option<String> {
            let vals: BTreeSet<String> = all
                .iter()
                .filter(|r| r.data && r.ty == ty)
                .filter_map(|r| names.iter().find_map(|n| r.str(n).ok().flatten()))
                .collect();
            (vals.len() == 1).then(|| vals.into_iter().next().expect("one"))
        };
        Place {
            account: self
                .opts
                .pseudo
                .account
                .clone()
                .or_else(|| single("aws_caller_identity", &["account_id"])),
            region_of_plan: single("aws_region", &["region", "name"]),
        }
    }

    fn data_source(&self, r: &mut Resource) {
        if r.ty != "aws_iam_policy_document" {
            return;
        }
        for json in ["json", "minified_json"] {
            let Some(a) = r.attrs.get(json) else { continue };
            let Err(why) = &a.value else { continue };
            if why.contains("is sensitive") {
                continue;
            }
            // Read at apply: render it from its statements, when they are known.
            let parts = [
                "statement",
                "version",
                "policy_id",
                "source_policy_documents",
                "override_policy_documents",
                "source_json",
                "override_json",
            ];
            let open = parts
                .iter()
                .find_map(|p| r.attrs.get(*p).and_then(|a| a.value.as_ref().err()));
            let refs: Vec<String> = {
                let mut all = a.refs.clone();
                for p in parts {
                    for x in r.attrs.get(p).map(|a| a.refs.clone()).unwrap_or_default() {
                        if !all.contains(&x) {
                            all.push(x);
                        }
                    }
                }
                all
            };
            let value = match open {
                Some(e) => {
                    let rest = e.strip_prefix(&format!("{}.", r.address)).unwrap_or(e);
                    Err(format!(
                        "{}.{json} is known only after apply: Terraform reads the document at apply, and its {rest}",
                        r.address
                    ))
                }
                None => {
                    let fields = Node {
                        value: Value::Object(
                            parts
                                .iter()
                                .filter_map(|p| {
                                    let v = r.attrs.get(*p)?.value.as_ref().ok()?;
                                    Some(crate::json::Member {
                                        key: p.to_string(),
                                        key_pos: Pos::default(),
                                        value: v.clone(),
                                    })
                                })
                                .collect(),
                        ),
                        pos: Pos::default(),
                    };
                    super::policy_document::from_values(&fields)
                        .map(|doc| {
                            let text = if json == "json" {
                                serde_json::to_string_pretty(&doc.to_serde())
                            } else {
                                serde_json::to_string(&doc.to_serde())
                            };
                            Node {
                                value: Value::String(text.unwrap_or_default()),
                                pos: Pos::default(),
                            }
                        })
                        .map_err(|e| format!("{}.{json}: {e}", r.address))
                }
            };
            r.attrs.insert(
                json.to_string(),
                Attr {
                    value,
                    refs,
                    source: None,
                    document: None,
                },
            );
        }
    }

    /// What AWS assigns to a managed resource (rebuilt as the configuration reader builds it),
    /// the defaults of attributes the configuration does not set, and the policy documents an
    /// open policy attribute is.
    fn managed(&self, r: &mut Resource, creating: bool, place: &Place, docs: &[(String, Attr)]) {
        let addr = r.address.clone();
        let has_expr = |a: &str| self.conf.expression(&addr, a).is_some();
        let configured = self.conf.resource(&addr).is_some();
        let is_unknown = |r: &Resource, a: &str| {
            r.attrs
                .get(a)
                .is_some_and(|x| matches!(&x.value, Err(e) if e.contains("known only after apply")))
        };
        // Optional and computed attributes the configuration does not set.
        if configured {
            let defaults: &[(&str, Option<bool>)] = match r.ty.as_str() {
                // No policy: AWS's default key policy (targets says so).
                "aws_kms_key" => &[("policy", None), ("multi_region", Some(false))],
                // Not managed by this resource (aws_iam_role_policy and attachments are).
                "aws_iam_role" => &[("inline_policy", None), ("managed_policy_arns", None)],
                _ => &[],
            };
            for (a, default) in defaults {
                if is_unknown(r, a) && !has_expr(a) {
                    match default {
                        Some(b) => {
                            r.attrs.insert(
                                a.to_string(),
                                Attr::known(Node {
                                    value: Value::Bool(*b),
                                    pos: Pos::default(),
                                }),
                            );
                        }
                        None => {
                            r.attrs.remove(*a);
                        }
                    }
                }
            }
        }
        // A role's inline_policy blocks: each policy as an attribute of its own, as targets
        // reads them (the blocks are a set: each has the references of them all).
        if r.ty == "aws_iam_role" {
            if let Some(Attr {
                value:
                    Ok(Node {
                        value: Value::Array(items),
                        ..
                    }),
                refs,
                ..
            }) = r.attrs.get("inline_policy").cloned()
            {
                for (i, item) in items.iter().enumerate() {
                    if let Some(p) = item.get("policy") {
                        r.attrs.insert(
                            format!("inline_policy[{i}].policy"),
                            Attr {
                                value: Ok(p.clone()),
                                refs: refs.clone(),
                                source: None,
                                document: None,
                            },
                        );
                    }
                }
            }
        }
        // An open policy that is a policy document of the plan (`data.….json`).
        for a in POLICY_ATTRS {
            if !is_unknown(r, a) {
                continue;
            }
            if let Some((doc_addr, doc)) = self.document_of(&addr, a, docs) {
                let mut refs = r.attrs.get(*a).map(|x| x.refs.clone()).unwrap_or_default();
                for x in &doc.refs {
                    if !refs.contains(x) {
                        refs.push(x.clone());
                    }
                }
                let value = match &doc.value {
                    Ok(v) => Ok(v.clone()),
                    Err(e) => {
                        let rest = e.strip_prefix(&format!("{doc_addr}.json is ")).unwrap_or(e);
                        Err(format!("{addr}.{a} is {doc_addr}.json, {rest}"))
                    }
                };
                r.attrs.insert(
                    a.to_string(),
                    Attr {
                        value,
                        refs,
                        source: None,
                        document: None,
                    },
                );
            }
        }
        let region = self
            .opts
            .pseudo
            .region
            .clone()
            .or_else(|| self.conf.provider_region(&addr))
            .or_else(|| place.region_of_plan.clone());
        let pseudo = Pseudo {
            account: place.account.clone(),
            region: region.clone(),
            partition: self.opts.pseudo.partition.clone(),
            stack_name: None,
        };
        let partition = pseudo.partition().unwrap_or_else(|| "aws".into());
        let known = |r: &Resource, a: &str| r.str(a).ok().flatten();
        let string = |s: String| {
            Attr::known(Node {
                value: Value::String(s),
                pos: Pos::default(),
            })
        };
        let set = |r: &mut Resource, a: &str, v: Result<Attr, String>| {
            if !is_unknown(r, a) {
                return;
            }
            let refs = r.attrs.get(a).map(|x| x.refs.clone()).unwrap_or_default();
            let mut attr = match v {
                Ok(x) => x,
                Err(e) => Attr::open(e),
            };
            attr.refs = refs;
            r.attrs.insert(a.to_string(), attr);
        };
        let account = || {
            place.account.clone().ok_or_else(|| {
                "give --account (the plan has no data.aws_caller_identity to take it from)"
                    .to_string()
            })
        };
        let ty = r.ty.clone();
        match ty.as_str() {
            // A key the plan creates: AWS assigns its id.
            "aws_kms_key" if creating => {
                let multi = r.bool("multi_region");
                let arn = match (&multi, account(), &region) {
                    (Err(e), _, _) => {
                        Err(format!("the ARN of {addr} is known only after apply: {e}"))
                    }
                    (Ok(m), Ok(acct), Some(region)) => {
                        let id = crate::iac::symbolic_key_id(&addr, m.unwrap_or(false));
                        Ok(Attr {
                            source: Some("symbolic".into()),
                            ..string(format!("arn:{partition}:kms:{region}:{acct}:key/{id}"))
                        })
                    }
                    _ => Err(format!(
                        "the ARN of {addr} is known only after apply (give --account and --region for a symbolic one)"
                    )),
                };
                set(r, "arn", arn);
                if let Ok(m) = multi {
                    let id = crate::iac::symbolic_key_id(&addr, m.unwrap_or(false));
                    set(r, "key_id", Ok(string(id.clone())));
                    set(r, "id", Ok(string(id)));
                }
            }
            "aws_kms_alias" => {
                let name = known(r, "name");
                if let Some(n) = &name {
                    set(r, "id", Ok(string(n.clone())));
                }
                let arn = match (name, account(), &region) {
                    (Some(n), Ok(acct), Some(region)) => {
                        Ok(string(format!("arn:{partition}:kms:{region}:{acct}:{n}")))
                    }
                    _ => Err(format!(
                        "{addr}.arn is known only after apply (it needs the alias name, --account and --region)"
                    )),
                };
                set(r, "arn", arn);
            }
            ty @ ("aws_iam_role" | "aws_iam_policy") => {
                let what = if ty == "aws_iam_role" {
                    "role"
                } else {
                    "policy"
                };
                let name = known(r, "name");
                let generated = || {
                    format!(
                        "{addr}.name is known only after apply: AWS generates it{}",
                        if ty == "aws_iam_role" {
                            " (give --role-arn)"
                        } else {
                            ""
                        }
                    )
                };
                if name.is_none() {
                    set(r, "name", Err(generated()));
                }
                let path = known(r, "path").unwrap_or_else(|| "/".into());
                let arn = match (&name, account()) {
                    (Some(n), Ok(acct)) => Ok(string(format!(
                        "arn:{partition}:iam::{acct}:{what}{path}{n}"
                    ))),
                    (None, _) => Err(generated()),
                    (_, Err(e)) => Err(format!("{addr}.arn is known only after apply: {e}")),
                };
                if ty == "aws_iam_role" {
                    if let Some(n) = &name {
                        set(r, "id", Ok(string(n.clone())));
                    }
                } else {
                    set(r, "id", arn.clone());
                }
                set(r, "arn", arn);
            }
            _ => {}
        }
    }

    /// The policy document an open policy attribute is: its expression refers to one
    /// `data.aws_iam_policy_document` (`.json`) and nothing else but the instance key.
    fn document_of<'d>(
        &self,
        addr: &str,
        attr: &str,
        docs: &'d [(String, Attr)],
    ) -> Option<(String, &'d Attr)> {
        let e = self.conf.expression(addr, attr)?;
        let mut raw = Vec::new();
        Conf::raw_refs(e, &mut raw);
        let prefix = module_prefix(&super::base_address(addr));
        let mut doc: Option<String> = None;
        for r in &raw {
            let base = super::base_address(r);
            let parts: Vec<&str> = base.split('.').collect();
            match parts.as_slice() {
                ["each", "key" | "value"] | ["count", "index"] => {}
                ["data", "aws_iam_policy_document", name]
                | [
                    "data",
                    "aws_iam_policy_document",
                    name,
                    "json" | "minified_json",
                ] => {
                    let a = format!("{prefix}data.aws_iam_policy_document.{name}");
                    if doc.as_ref().is_some_and(|d| *d != a) {
                        return None;
                    }
                    doc = Some(a);
                }
                _ => return None,
            }
        }
        let doc = doc?;
        let instances: Vec<&(String, Attr)> = docs
            .iter()
            .filter(|(a, _)| super::base_address(a) == doc)
            .collect();
        let hit = match instances.as_slice() {
            [one] => *one,
            many => {
                // `data.….d[each.key].json`: the instance with the resource's own key.
                let mine = addr
                    .strip_suffix(']')
                    .and_then(|a| a.rsplit_once('['))
                    .map(|(_, k)| format!("[{k}]"))?;
                many.iter().find(|(a, _)| a.ends_with(&mine))?
            }
        };
        Some((hit.0.clone(), &hit.1))
    }
}

/// ` (it refers to aws_kms_key.k)`.
fn depends(refs: &[String]) -> String {
    if refs.is_empty() {
        String::new()
    } else {
        format!(" (it refers to {})", refs.join(", "))
    }
}

// ---------------------------------------------------------------------------------------------
// A raw state file

/// A raw state (`terraform.tfstate`, version 4): `resources[].instances[].attributes`.
fn raw_state(
    root: &J,
    path: &str,
    opts: &Options,
) -> Result<(Vec<Resource>, Vec<String>), IacError> {
    let version = root.get("version").and_then(J::as_u64).unwrap_or_default();
    if version != 4 {
        return Err(not_a_plan(
            path,
            format!(
                "is a raw state file of version {version}: ekm-check reads version 4, or the output of terraform show -json"
            ),
        ));
    }
    let mut resources = Vec::new();
    for (i, r) in root
        .get("resources")
        .and_then(J::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let data = str_of(r, "mode") == "data";
        let module = str_of(r, "module");
        let ty = str_of(r, "type");
        let name = str_of(r, "name");
        for (j, inst) in r
            .get("instances")
            .and_then(J::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let key = match inst.get("index_key") {
                Some(J::Number(n)) => format!("[{n}]"),
                Some(J::String(s)) => format!("[{}]", J::String(s.clone())),
                _ => String::new(),
            };
            let mut address = String::new();
            if !module.is_empty() {
                address.push_str(module);
                address.push('.');
            }
            if data {
                address.push_str("data.");
            }
            address.push_str(&format!("{ty}.{name}{key}"));
            // sensitive_attributes: paths, each a list of steps ({type: get_attr, value}).
            let mut sensitive = serde_json::Map::new();
            for p in inst
                .get("sensitive_attributes")
                .and_then(J::as_array)
                .into_iter()
                .flatten()
            {
                let first = match p {
                    J::Array(steps) => steps.first().and_then(|s| s.get("value")),
                    other => other.get("path").or(Some(other)),
                };
                if let Some(J::String(a)) = first {
                    sensitive.insert(a.clone(), J::Bool(true));
                }
            }
            resources.push((
                address,
                ty.to_string(),
                data,
                format!("/resources/{i}/instances/{j}/attributes"),
                inst.get("attributes"),
                J::Object(sensitive),
            ));
        }
    }
    let null = J::Null;
    let reader = Reader::new(&null, path, opts);
    let sens: Vec<J> = resources.iter().map(|r| r.5.clone()).collect();
    let insts: Vec<Inst<'_>> = resources
        .iter()
        .zip(sens.iter())
        .map(|(r, s)| Inst {
            address: r.0.clone(),
            ty: r.1.clone(),
            data: r.2,
            pointer: r.3.clone(),
            values: r.4,
            unknown: None,
            sensitive: vec![s],
            creating: false,
        })
        .collect();
    Ok(reader.finish(&insts))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> Options {
        Options {
            pseudo: Pseudo {
                account: Some("111122223333".into()),
                region: Some("us-east-1".into()),
                ..Pseudo::default()
            },
            ..Options::default()
        }
    }

    fn load_json(v: J) -> Result<(Vec<Resource>, Vec<String>), IacError> {
        load(v.to_string().as_bytes(), "plan.json", &opts())
    }

    fn find<'a>(rs: &'a [Resource], a: &str) -> &'a Resource {
        rs.iter().find(|r| r.address == a).unwrap_or_else(|| {
            panic!(
                "no {a} in {:?}",
                rs.iter().map(|r| &r.address).collect::<Vec<_>>()
            )
        })
    }

    fn err(r: &Resource, a: &str) -> String {
        r.attr(a)
            .unwrap_or_else(|| panic!("{} has no {a}", r.address))
            .value
            .clone()
            .expect_err("open")
    }

    fn plan(resources: J, changes: J, config: J) -> J {
        serde_json::json!({
            "format_version": "1.2",
            "terraform_version": "1.9.0",
            "planned_values": {"root_module": {"resources": resources}},
            "resource_changes": changes,
            "configuration": {"root_module": {"resources": config}}
        })
    }

    fn new_key_plan() -> J {
        plan(
            serde_json::json!([
                {"address": "aws_kms_key.k", "mode": "managed", "type": "aws_kms_key", "name": "k",
                 "values": {"description": "x", "enable_key_rotation": true}},
                {"address": "aws_iam_role_policy.p", "mode": "managed", "type": "aws_iam_role_policy", "name": "p",
                 "values": {"name": "p", "role": "openai-ekm"}}
            ]),
            serde_json::json!([
                {"address": "aws_kms_key.k", "mode": "managed", "type": "aws_kms_key", "name": "k",
                 "change": {"actions": ["create"], "before": null,
                  "after": {"description": "x", "enable_key_rotation": true},
                  "after_unknown": {"arn": true, "id": true, "key_id": true, "policy": true, "multi_region": true}}},
                {"address": "aws_iam_role_policy.p", "mode": "managed", "type": "aws_iam_role_policy", "name": "p",
                 "change": {"actions": ["create"], "before": null,
                  "after": {"name": "p", "role": "openai-ekm"},
                  "after_unknown": {"id": true, "policy": true}}}
            ]),
            serde_json::json!([
                {"address": "aws_kms_key.k", "mode": "managed", "type": "aws_kms_key", "name": "k",
                 "expressions": {"description": {"constant_value": "x"}}},
                {"address": "aws_iam_role_policy.p", "mode": "managed", "type": "aws_iam_role_policy", "name": "p",
                 "expressions": {"policy": {"references": ["aws_kms_key.k.arn", "aws_kms_key.k"]}}}
            ]),
        )
    }

    #[test]
    fn a_new_key_is_symbolic_and_its_unset_policy_is_the_default() {
        let (rs, notes) = load_json(new_key_plan()).unwrap();
        assert!(notes.is_empty());
        let k = find(&rs, "aws_kms_key.k");
        let arn = k.attr("arn").unwrap();
        let id = crate::iac::symbolic_key_id("aws_kms_key.k", false);
        assert_eq!(
            k.str("arn").unwrap().unwrap(),
            format!("arn:aws:kms:us-east-1:111122223333:key/{id}")
        );
        assert_eq!(arn.source.as_deref(), Some("symbolic"));
        assert_eq!(k.str("key_id").unwrap().unwrap(), id);
        assert!(
            k.attr("policy").is_none(),
            "no policy expression: AWS's default"
        );
        assert_eq!(k.bool("multi_region").unwrap(), Some(false));
        assert_eq!(k.pointer, "/planned_values/root_module/resources/0/values");
        assert_eq!((k.file.as_str(), k.line), ("plan.json", 0));
        // The role policy is open, and names the key it depends on.
        let p = find(&rs, "aws_iam_role_policy.p");
        let e = err(p, "policy");
        assert!(
            e.contains("aws_iam_role_policy.p.policy is known only after apply"),
            "{e}"
        );
        assert!(e.contains("aws_kms_key.k"), "{e}");
        assert_eq!(p.attr("policy").unwrap().refs, vec!["aws_kms_key.k"]);
    }

    #[test]
    fn without_account_the_key_arn_stays_open() {
        let (rs, _) = load(
            new_key_plan().to_string().as_bytes(),
            "plan.json",
            &Options::default(),
        )
        .unwrap();
        let e = err(find(&rs, "aws_kms_key.k"), "arn");
        assert!(e.contains("give --account and --region"), "{e}");
    }

    #[test]
    fn the_account_comes_from_the_caller_identity_and_the_region_from_the_provider() {
        let mut p = new_key_plan();
        p["prior_state"] = serde_json::json!({"format_version": "1.0", "values": {"root_module": {"resources": [
            {"address": "data.aws_caller_identity.current", "mode": "data", "type": "aws_caller_identity",
             "name": "current", "values": {"account_id": "444455556666", "id": "444455556666"}}
        ]}}});
        p["configuration"]["provider_config"] = serde_json::json!({"aws": {"name": "aws", "expressions": {"region": {"constant_value": "eu-west-1"}}}});
        p["configuration"]["root_module"]["resources"][0]["provider_config_key"] = "aws".into();
        let (rs, _) = load(p.to_string().as_bytes(), "plan.json", &Options::default()).unwrap();
        let arn = find(&rs, "aws_kms_key.k").str("arn").unwrap().unwrap();
        assert!(
            arn.starts_with("arn:aws:kms:eu-west-1:444455556666:key/"),
            "{arn}"
        );
        assert!(find(&rs, "data.aws_caller_identity.current").data);
    }

    #[test]
    fn deletes_and_forgets_are_skipped_a_replace_is_kept() {
        let p = plan(
            serde_json::json!([
                {"address": "aws_iam_role.kept", "mode": "managed", "type": "aws_iam_role", "name": "kept",
                 "values": {"name": "kept"}}
            ]),
            serde_json::json!([
                {"address": "aws_iam_role.gone", "type": "aws_iam_role", "mode": "managed",
                 "change": {"actions": ["delete"], "before": {"name": "gone"}, "after": null}},
                {"address": "aws_iam_role.forgotten", "type": "aws_iam_role", "mode": "managed",
                 "change": {"actions": ["forget"], "before": {"name": "f"}, "after": null}},
                {"address": "aws_s3_bucket.b", "type": "aws_s3_bucket", "mode": "managed",
                 "change": {"actions": ["delete"], "before": {}, "after": null}},
                {"address": "aws_iam_role.kept", "type": "aws_iam_role", "mode": "managed",
                 "change": {"actions": ["delete", "create"], "before": {"name": "old"},
                  "after": {"name": "kept"}, "after_unknown": {"arn": true}}}
            ]),
            serde_json::json!([]),
        );
        let (rs, notes) = load_json(p).unwrap();
        assert_eq!(rs.len(), 1);
        let r = find(&rs, "aws_iam_role.kept");
        assert_eq!(
            r.str("arn").unwrap().as_deref(),
            Some("arn:aws:iam::111122223333:role/kept")
        );
        assert_eq!(
            notes,
            vec![
                "aws_iam_role.gone: the plan deletes it",
                "aws_iam_role.forgotten: the plan removes it from the state (forget)"
            ]
        );
    }

    #[test]
    fn after_unknown_is_read_before_after_absent_is_not_null() {
        let p = plan(
            serde_json::json!([]),
            serde_json::json!([
                {"address": "aws_iam_role.r", "type": "aws_iam_role", "mode": "managed",
                 "change": {"actions": ["update"], "before": {},
                  "after": {"name": "r", "permissions_boundary": null, "description": null,
                            "inline_policy": [{"name": "a", "policy": null}]},
                  "after_unknown": {"description": true, "inline_policy": [{"policy": true}]}}}
            ]),
            serde_json::json!([
                {"address": "aws_iam_role.r", "mode": "managed", "type": "aws_iam_role", "name": "r",
                 "expressions": {"inline_policy": [{"name": {"constant_value": "a"},
                   "policy": {"references": ["aws_kms_key.k.arn", "aws_kms_key.k"]}}]}}
            ]),
        );
        let (rs, _) = load_json(p).unwrap();
        let r = find(&rs, "aws_iam_role.r");
        assert_eq!(r.pointer, "/resource_changes/0/change/after");
        // null in after, but unknown: open.
        assert!(
            err(r, "description").contains("aws_iam_role.r.description is known only after apply")
        );
        let e = err(r, "inline_policy");
        assert!(e.contains("aws_iam_role.r.inline_policy[0].policy is known only after apply (it refers to aws_kms_key.k)"), "{e}");
        // null and known: null.
        assert_eq!(r.str("permissions_boundary").unwrap(), None);
        assert!(r.attr("permissions_boundary").unwrap().value.is_ok());
        // An update keeps the arn it has; none here, and none invented beyond name and account.
        assert!(r.attr("arn").is_none());
    }

    #[test]
    fn references_follow_modules_and_policy_documents() {
        let p = serde_json::json!({
            "format_version": "1.1",
            "planned_values": {"root_module": {"child_modules": [{"address": "module.ekm", "resources": [
                {"address": "module.ekm.aws_iam_role_policy_attachment.a[0]", "mode": "managed",
                 "type": "aws_iam_role_policy_attachment", "name": "a", "index": 0, "values": {}}
            ]}]}},
            "resource_changes": [
                {"address": "module.ekm.aws_iam_role_policy_attachment.a[0]", "module_address": "module.ekm",
                 "type": "aws_iam_role_policy_attachment", "mode": "managed",
                 "change": {"actions": ["create"], "after": {}, "after_unknown": {"policy_arn": true, "role": true, "id": true}}}
            ],
            "configuration": {"root_module": {
                "resources": [
                    {"address": "aws_kms_key.k", "type": "aws_kms_key", "mode": "managed", "name": "k", "expressions": {}}
                ],
                "module_calls": {"ekm": {
                    "source": "./ekm",
                    "expressions": {"key_arn": {"references": ["aws_kms_key.k.arn", "aws_kms_key.k"]}},
                    "module": {
                        "resources": [
                            {"address": "aws_iam_role_policy_attachment.a", "type": "aws_iam_role_policy_attachment",
                             "mode": "managed", "name": "a",
                             "expressions": {"policy_arn": {"references": ["aws_iam_policy.p[0].arn", "aws_iam_policy.p[0]", "aws_iam_policy.p"]},
                                             "role": {"references": ["aws_iam_role.r.name", "aws_iam_role.r"]}}},
                            {"address": "data.aws_iam_policy_document.d", "type": "aws_iam_policy_document", "mode": "data", "name": "d",
                             "expressions": {"statement": [{"resources": {"references": ["var.key_arn"]}}]}},
                            {"address": "aws_iam_policy.p", "type": "aws_iam_policy", "mode": "managed", "name": "p",
                             "expressions": {"policy": {"references": ["data.aws_iam_policy_document.d.json", "data.aws_iam_policy_document.d"]}}}
                        ]
                    }
                }}
            }}
        });
        let (rs, _) = load_json(p.clone()).unwrap();
        let a = find(&rs, "module.ekm.aws_iam_role_policy_attachment.a[0]");
        assert_eq!(
            a.attr("policy_arn").unwrap().refs,
            vec!["module.ekm.aws_iam_policy.p"]
        );
        assert_eq!(
            a.attr("role").unwrap().refs,
            vec!["module.ekm.aws_iam_role.r"]
        );
        // The policy's document refers to the key through the module's input.
        let conf = Conf::new(&p);
        let policy = conf
            .expression("module.ekm.aws_iam_policy.p", "policy")
            .unwrap();
        assert_eq!(
            conf.refs("module.ekm.", policy),
            vec!["module.ekm.data.aws_iam_policy_document.d", "aws_kms_key.k"]
        );
    }

    #[test]
    fn a_document_read_at_apply_is_rendered_from_its_statements() {
        let doc_values = serde_json::json!({
            "override_json": null, "override_policy_documents": null, "policy_id": null,
            "source_json": null, "source_policy_documents": null, "version": null,
            "statement": [{"actions": ["kms:Encrypt", "kms:Decrypt"], "condition": [], "effect": null,
                           "not_actions": null, "not_principals": [], "not_resources": null,
                           "principals": [], "resources": ["arn:aws:kms:us-east-1:111122223333:key/k"], "sid": null}]
        });
        let mut open_values = doc_values.clone();
        open_values["statement"][0]["resources"] = serde_json::json!([null]);
        let p = plan(
            serde_json::json!([]),
            serde_json::json!([
                {"address": "data.aws_iam_policy_document.known", "type": "aws_iam_policy_document", "mode": "data",
                 "change": {"actions": ["read"], "after": doc_values, "after_unknown": {"id": true, "json": true, "minified_json": true}},
                 "action_reason": "read_because_dependency_pending"},
                {"address": "data.aws_iam_policy_document.open", "type": "aws_iam_policy_document", "mode": "data",
                 "change": {"actions": ["read"], "after": open_values,
                  "after_unknown": {"id": true, "json": true, "statement": [{"resources": [true]}]}},
                 "action_reason": "read_because_config_unknown"},
                {"address": "aws_iam_policy.a", "type": "aws_iam_policy", "mode": "managed",
                 "change": {"actions": ["create"], "after": {"name": "a", "path": "/"}, "after_unknown": {"policy": true, "arn": true, "id": true}}},
                {"address": "aws_iam_policy.b", "type": "aws_iam_policy", "mode": "managed",
                 "change": {"actions": ["create"], "after": {"name": "b"}, "after_unknown": {"policy": true, "arn": true}}}
            ]),
            serde_json::json!([
                {"address": "data.aws_iam_policy_document.open", "type": "aws_iam_policy_document", "mode": "data", "name": "open",
                 "expressions": {"statement": [{"resources": {"references": ["aws_kms_key.k.arn", "aws_kms_key.k"]}}]}},
                {"address": "aws_iam_policy.a", "type": "aws_iam_policy", "mode": "managed", "name": "a",
                 "expressions": {"policy": {"references": ["data.aws_iam_policy_document.known.json", "data.aws_iam_policy_document.known"]}}},
                {"address": "aws_iam_policy.b", "type": "aws_iam_policy", "mode": "managed", "name": "b",
                 "expressions": {"policy": {"references": ["data.aws_iam_policy_document.open.json", "data.aws_iam_policy_document.open"]}}}
            ]),
        );
        let (rs, _) = load_json(p).unwrap();
        let known = find(&rs, "data.aws_iam_policy_document.known");
        let text = known.str("json").unwrap().unwrap();
        let v: J = serde_json::from_str(&text).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "arn:aws:kms:us-east-1:111122223333:key/k"}]})
        );
        let a = find(&rs, "aws_iam_policy.a");
        assert_eq!(a.str("policy").unwrap().unwrap(), text);
        assert_eq!(
            a.str("arn").unwrap().as_deref(),
            Some("arn:aws:iam::111122223333:policy/a")
        );
        let b = find(&rs, "aws_iam_policy.b");
        let e = err(b, "policy");
        assert_eq!(
            e,
            "aws_iam_policy.b.policy is data.aws_iam_policy_document.open.json, known only after apply: \
             Terraform reads the document at apply, and its statement[0].resources[0] is known only \
             after apply (it refers to aws_kms_key.k)"
        );
        assert!(
            b.attr("policy")
                .unwrap()
                .refs
                .contains(&"aws_kms_key.k".to_string())
        );
    }

    #[test]
    fn data_sources_read_at_plan_come_from_prior_state() {
        let json = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": []\n}";
        let p = serde_json::json!({
            "format_version": "1.0",
            "planned_values": {"root_module": {}},
            "prior_state": {"format_version": "1.0", "values": {"root_module": {"resources": [
                {"address": "data.aws_iam_policy_document.d", "mode": "data", "type": "aws_iam_policy_document",
                 "name": "d", "values": {"json": json, "statement": []}, "sensitive_values": {"statement": []}}
            ]}}}
        });
        let (rs, _) = load_json(p).unwrap();
        let d = find(&rs, "data.aws_iam_policy_document.d");
        assert_eq!(d.str("json").unwrap().unwrap(), json);
        assert_eq!(
            d.pointer,
            "/prior_state/values/root_module/resources/0/values"
        );
    }

    #[test]
    fn sensitive_values_are_never_read() {
        let secret = "org-SensitiveSecret0123456789";
        let trust = format!(
            "{{\"Statement\":[{{\"Condition\":{{\"StringEquals\":{{\"sts:ExternalId\":\"{secret}\"}}}}}}]}}"
        );
        let mut p = plan(
            serde_json::json!([{"address": "aws_iam_role.r", "mode": "managed", "type": "aws_iam_role", "name": "r",
                "values": {"name": "r", "assume_role_policy": trust, "tags": {"k": secret}},
                "sensitive_values": {"assume_role_policy": true, "tags": {"k": true}}}]),
            serde_json::json!([]),
            serde_json::json!([]),
        );
        let (rs, _) = load_json(p.clone()).unwrap();
        let r = find(&rs, "aws_iam_role.r");
        let e = err(r, "assume_role_policy");
        assert_eq!(
            e,
            "aws_iam_role.r.assume_role_policy is sensitive: never read, so never echoed"
        );
        assert!(err(r, "tags").contains("is sensitive"));
        assert!(!format!("{rs:?}").contains(secret));
        // Format 0.1 marks nothing: a sensitive root variable's value is looked for instead.
        p["format_version"] = "0.1".into();
        p["planned_values"]["root_module"]["resources"][0]
            .as_object_mut()
            .unwrap()
            .remove("sensitive_values");
        p["variables"] = serde_json::json!({"external_id": {"value": secret}});
        p["configuration"]["root_module"]["variables"] =
            serde_json::json!({"external_id": {"sensitive": true}});
        let (rs, _) = load_json(p).unwrap();
        assert!(err(find(&rs, "aws_iam_role.r"), "assume_role_policy").contains("is sensitive"));
        assert!(!format!("{rs:?}").contains(secret));
    }

    #[test]
    fn format_versions() {
        for v in ["0.1", "0.2", "1.0", "1.1", "1.2", "1.9", "0.3"] {
            let p = serde_json::json!({"format_version": v, "planned_values": {"root_module": {}}, "applyable": true, "new_key": 1});
            assert!(load_json(p).is_ok(), "{v}");
        }
        let e = load_json(serde_json::json!({"format_version": "2.0", "planned_values": {}}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("plan.json: has format_version 2.0"), "{e}");
        let e = load_json(serde_json::json!({"format_version": 1}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a string"), "{e}");
        // An empty state.
        let (rs, _) = load_json(serde_json::json!({"format_version": "1.0"})).unwrap();
        assert!(rs.is_empty());
    }

    #[test]
    fn not_a_plan_says_what_it_is() {
        let cases: &[(&[u8], &str)] = &[
            (b"not json", "plan.json: is not JSON"),
            (b"[1]", "is JSON an array"),
            (b"{\"a\": 1}", "has no format_version"),
            (b"{\"format_version\": \"1.0\", \"a\": 1}", "holds none of planned_values"),
            (b"{\"format_version\": \"1.0\", \"provider_schemas\": {}}", "providers schema"),
            (b"{\"AWSTemplateFormatVersion\": \"2010-09-09\", \"Resources\": {}}", "--cloudformation"),
            (b"{\"resource\": {}}", ".tf.json"),
            (b"PK\x03\x04rest", "binary plan file"),
            (
                b"{\"@level\":\"info\",\"@message\":\"Terraform 1.9.0\",\"type\":\"version\"}\n{\"@level\":\"info\"}\n",
                "streamed log",
            ),
            (b"{\"version\": 3, \"modules\": []}", "version 3"),
        ];
        for (bytes, want) in cases {
            let e = load(bytes, "plan.json", &opts()).unwrap_err().to_string();
            assert!(e.contains(want), "{want}: {e}");
            assert!(e.starts_with("plan.json: "), "{e}");
        }
    }

    #[test]
    fn utf16_and_bom_are_read() {
        let text = "{\"format_version\": \"1.0\"}";
        let mut le = vec![0xff, 0xfe];
        le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        assert!(load(&le, "p", &opts()).is_ok());
        let mut be = vec![0xfe, 0xff];
        be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        assert!(load(&be, "p", &opts()).is_ok());
        let mut bom = vec![0xef, 0xbb, 0xbf];
        bom.extend(text.bytes());
        assert!(load(&bom, "p", &opts()).is_ok());
    }

    #[test]
    fn a_state_and_a_raw_state_are_read() {
        let s = serde_json::json!({"format_version": "1.0", "terraform_version": "1.9.0", "values": {"root_module": {
            "resources": [{"address": "aws_kms_key.k", "mode": "managed", "type": "aws_kms_key", "name": "k",
                           "values": {"arn": "arn:aws:kms:us-east-1:111122223333:key/abc", "policy": "{}"},
                           "sensitive_values": {}}],
            "child_modules": [{"address": "module.m", "resources": [
                {"address": "module.m.aws_iam_role.r", "mode": "managed", "type": "aws_iam_role", "name": "r",
                 "values": {"name": "r"}}]}]
        }}});
        let (rs, _) = load_json(s).unwrap();
        assert_eq!(
            find(&rs, "aws_kms_key.k").str("arn").unwrap().as_deref(),
            Some("arn:aws:kms:us-east-1:111122223333:key/abc")
        );
        assert_eq!(
            find(&rs, "module.m.aws_iam_role.r").pointer,
            "/values/root_module/child_modules/0/resources/0/values"
        );
        let raw = serde_json::json!({"version": 4, "terraform_version": "1.9.0", "serial": 1, "lineage": "x",
        "resources": [
            {"module": "module.m", "mode": "managed", "type": "aws_iam_role", "name": "r",
             "instances": [{"index_key": "a", "attributes": {"name": "r", "assume_role_policy": "secret"},
                            "sensitive_attributes": [[{"type": "get_attr", "value": "assume_role_policy"}]]}]},
            {"mode": "data", "type": "aws_caller_identity", "name": "c",
             "instances": [{"attributes": {"account_id": "111122223333"}}]}
        ]});
        let (rs, _) = load_json(raw).unwrap();
        let r = find(&rs, "module.m.aws_iam_role.r[\"a\"]");
        assert_eq!(r.pointer, "/resources/0/instances/0/attributes");
        assert!(err(r, "assume_role_policy").contains("sensitive"));
        assert!(find(&rs, "data.aws_caller_identity.c").data);
    }

    #[test]
    fn module_prefixes() {
        assert_eq!(
            module_prefix("module.a.module.b.aws_kms_key.k"),
            "module.a.module.b."
        );
        assert_eq!(module_prefix("aws_kms_key.k"), "");
        assert_eq!(
            marked(&serde_json::json!({"a": [false, {"b": true}]})).as_deref(),
            Some(".a[1].b")
        );
        assert_eq!(marked(&serde_json::json!({"a": []})), None);
    }
}
