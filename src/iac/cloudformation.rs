//! A CloudFormation template as targets: every `AWS::IAM::Role` that trusts OpenAI's principal
//! (or the one `--role`/`--role-arn` names), with the key(s) its policies allow Encrypt or
//! Decrypt on, each as the [`Inputs`] a live check of the deployed stack would read.
//!
//! A key of the template gets a symbolic ARN built from `--account` and `--region` and a key
//! id derived from its logical id (stable, so that the evaluator matches `Resource` against it);
//! without `--account` or `--region` the ARN is open, never invented. Every open value is named
//! (`Resource.Property: why (FILE:LINE)`) and makes the parts that hold it `Error`, so the
//! rules that need them are `unknown`.

use std::collections::BTreeMap;

use serde_json::{Value as J, json};

use super::IacError;
use super::intrinsics::{Open, Param, Pseudo, Res, Resolved, Resolver, Resources, text};
use super::managed_policies;
pub use super::{Analysis, Target};
use crate::inputs::{Doc, Inputs, KeyMeta, Part, RoleInfo};
use crate::json::{Node, Pos, Value};
use crate::policy::{Effect, Policy, PolicyKind};

/// OpenAI's AWS account.
const OPENAI_ACCOUNT: &str = "790389265272";

/// What the user gave besides the template.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--parameter KEY=VALUE`.
    pub parameters: Vec<(String, String)>,
    pub pseudo: Pseudo,
    /// `--role LOGICAL_ID`.
    pub role: Option<String>,
    /// `--role-arn`: the role whose ARN (or name) this is.
    pub role_arn: Option<String>,
}

struct Resource {
    ty: String,
    props: Option<Node>,
    pos: Pos,
}

struct Template {
    path: String,
    root: Node,
    resources: Vec<(String, Resource)>,
}

/// A property's value.
enum Prop {
    Missing,
    Value(Node),
    Open(String),
}

impl Template {
    fn parse(src: &str, path: &str) -> Result<Template, IacError> {
        let root = super::template::parse(src, path)?;
        let not = |m: &str| IacError::NotATemplate {
            path: path.to_string(),
            message: m.to_string(),
        };
        if root.members().is_none() {
            let what = match root.type_name() {
                "null" => "nothing",
                other => other,
            };
            // A JSON file that does not start with `{` was read as YAML: say so.
            let read_as = if path.ends_with(".json") && !src.trim_start().starts_with('{') {
                " (read as YAML: it does not start with {)"
            } else {
                ""
            };
            return Err(not(&format!(
                "holds {what} at line {}{read_as}, not a CloudFormation template (a mapping with Resources)",
                root.pos.line.max(1)
            )));
        }
        let res = root
            .get("Resources")
            .ok_or_else(|| not("no Resources: not a CloudFormation template"))?;
        let members = res
            .members()
            .ok_or_else(|| not("Resources is not a mapping of logical ids to resources"))?;
        let resources = members
            .iter()
            .map(|m| {
                let ty = m.value.get("Type").and_then(text).unwrap_or_default();
                let r = Resource {
                    ty,
                    props: m.value.get("Properties").cloned(),
                    pos: m.key_pos,
                };
                (m.key.clone(), r)
            })
            .collect();
        Ok(Template {
            path: path.to_string(),
            root,
            resources,
        })
    }

    fn resource(&self, name: &str) -> Option<&Resource> {
        self.resources
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, r)| r)
    }

    fn of_type<'t>(&'t self, ty: &'t str) -> impl Iterator<Item = (&'t str, &'t Resource)> + 't {
        self.resources
            .iter()
            .filter(move |(_, r)| r.ty == ty)
            .map(|(n, r)| (n.as_str(), r))
    }

    fn raw<'t>(&self, r: &'t Resource, prop: &str) -> Option<&'t Node> {
        r.props.as_ref()?.get(prop)
    }

    fn prop(&self, cx: &Resolver<'_>, name: &str, prop: &str) -> Prop {
        let Some(r) = self.resource(name) else {
            return Prop::Missing;
        };
        let Some(raw) = self.raw(r, prop) else {
            return Prop::Missing;
        };
        match cx.resolve(raw) {
            Ok(Resolved::Value(v)) => Prop::Value(v),
            Ok(Resolved::NoValue) => Prop::Missing,
            Err(e) => Prop::Open(self.describe_open(name, prop, &e)),
        }
    }

    fn describe_open(&self, name: &str, prop: &str, e: &Open) -> String {
        format!("{name}.{prop}: {} ({}:{})", e.reason, self.path, e.line)
    }

    /// A property that must be a string: `Ok(None)` when absent.
    fn prop_str(
        &self,
        cx: &Resolver<'_>,
        name: &str,
        prop: &str,
    ) -> Result<Option<String>, String> {
        match self.prop(cx, name, prop) {
            Prop::Missing => Ok(None),
            Prop::Open(e) => Err(e),
            Prop::Value(v) => text(&v).map(Some).ok_or_else(|| {
                format!(
                    "{name}.{prop} is not a string ({}:{})",
                    self.path, v.pos.line
                )
            }),
        }
    }

    fn prop_bool(&self, cx: &Resolver<'_>, name: &str, prop: &str) -> Result<Option<bool>, String> {
        Ok(match self.prop_str(cx, name, prop)?.as_deref() {
            None => None,
            Some("true") | Some("True") => Some(true),
            Some("false") | Some("False") => Some(false),
            Some(other) => {
                return Err(format!("{name}.{prop} {other:?} is not a boolean"));
            }
        })
    }

    /// The symbolic key id of a key of the template: a UUID (`mrk-` and 32 hex digits for a
    /// multi-Region key) derived from its logical id, the same on every run.
    fn key_id(&self, cx: &Resolver<'_>, name: &str) -> String {
        let multi = self.prop_bool(cx, name, "MultiRegion").ok().flatten() == Some(true);
        super::symbolic_key_id(name, multi)
    }

    fn key_arn(&self, cx: &Resolver<'_>, name: &str, pos: Pos) -> Res<String> {
        let (Some(acct), Some(region), Some(part)) = (
            cx.pseudo.account.as_deref(),
            cx.pseudo.region.as_deref(),
            cx.pseudo.partition(),
        ) else {
            return Err(Open {
                reason: format!(
                    "the ARN of key {name} is known only at deployment (give --account and --region for a symbolic one)"
                ),
                line: pos.line,
            });
        };
        Ok(format!(
            "arn:{part}:kms:{region}:{acct}:key/{}",
            self.key_id(cx, name)
        ))
    }

    fn role_name(&self, cx: &Resolver<'_>, name: &str, pos: Pos) -> Res<String> {
        match self.prop_str(cx, name, "RoleName") {
            Ok(Some(n)) => Ok(n),
            Ok(None) => Err(Open {
                reason: format!(
                    "role {name} has no RoleName: AWS generates it at deployment (give --role-arn)"
                ),
                line: pos.line,
            }),
            Err(e) => Err(Open {
                reason: e,
                line: pos.line,
            }),
        }
    }

    fn role_arn(&self, cx: &Resolver<'_>, name: &str, pos: Pos) -> Res<String> {
        let role = self.role_name(cx, name, pos)?;
        let path = self
            .prop_str(cx, name, "Path")
            .map_err(|e| Open {
                reason: e,
                line: pos.line,
            })?
            .unwrap_or_else(|| "/".into());
        let acct = cx.pseudo.account.clone().ok_or_else(|| Open {
            reason: format!("the ARN of role {name} needs the account (give --account)"),
            line: pos.line,
        })?;
        let part = cx.pseudo.partition().unwrap_or_else(|| "aws".into());
        Ok(format!("arn:{part}:iam::{acct}:role{path}{role}"))
    }

    fn policy_arn(&self, cx: &Resolver<'_>, name: &str, pos: Pos) -> Res<String> {
        let open = |reason: String| Open {
            reason,
            line: pos.line,
        };
        let pname = self
            .prop_str(cx, name, "ManagedPolicyName")
            .map_err(open)?
            .ok_or_else(|| {
                open(format!(
                    "managed policy {name} has no ManagedPolicyName: AWS generates it at deployment"
                ))
            })?;
        let path = self
            .prop_str(cx, name, "Path")
            .map_err(open)?
            .unwrap_or_else(|| "/".into());
        let acct = cx.pseudo.account.clone().ok_or_else(|| {
            open(format!(
                "the ARN of managed policy {name} needs the account (give --account)"
            ))
        })?;
        let part = cx.pseudo.partition().unwrap_or_else(|| "aws".into());
        Ok(format!("arn:{part}:iam::{acct}:policy{path}{pname}"))
    }
}

fn string_node(s: String, pos: Pos) -> Node {
    Node {
        value: Value::String(s),
        pos,
    }
}

impl Resources for Template {
    fn reference(&self, cx: &Resolver<'_>, name: &str, pos: Pos) -> Option<Res<Node>> {
        let r = self.resource(name)?;
        let v = match r.ty.as_str() {
            "AWS::KMS::Key" => Ok(self.key_id(cx, name)),
            "AWS::KMS::Alias" => match self.prop_str(cx, name, "AliasName") {
                Ok(Some(a)) => Ok(a),
                Ok(None) => Err(Open {
                    reason: format!("alias {name} has no AliasName"),
                    line: pos.line,
                }),
                Err(e) => Err(Open {
                    reason: e,
                    line: pos.line,
                }),
            },
            "AWS::IAM::Role" => self.role_name(cx, name, pos),
            "AWS::IAM::ManagedPolicy" => self.policy_arn(cx, name, pos),
            ty => Err(Open {
                reason: format!("Ref {name} ({ty}) is known only at deployment"),
                line: pos.line,
            }),
        };
        Some(v.map(|s| string_node(s, pos)))
    }

    fn attribute(&self, cx: &Resolver<'_>, name: &str, attr: &str, pos: Pos) -> Option<Res<Node>> {
        let r = self.resource(name)?;
        let v = match (r.ty.as_str(), attr) {
            ("AWS::KMS::Key", "Arn") => self.key_arn(cx, name, pos),
            ("AWS::KMS::Key", "KeyId") => Ok(self.key_id(cx, name)),
            ("AWS::IAM::Role", "Arn") => self.role_arn(cx, name, pos),
            ("AWS::IAM::ManagedPolicy", "PolicyArn") => self.policy_arn(cx, name, pos),
            (ty, a) => Err(Open {
                reason: format!("Fn::GetAtt {name}.{a} ({ty}) is known only at deployment"),
                line: pos.line,
            }),
        };
        Some(v.map(|s| string_node(s, pos)))
    }
}

/// The parameters' values: `--parameter`, else `Default`. NoEcho and SSM parameters and
/// parameters without a value stay open (a NoEcho value is never read, so never echoed).
fn parameters(
    t: &Template,
    given: &[(String, String)],
) -> Result<BTreeMap<String, Param>, IacError> {
    let declared = t
        .root
        .get("Parameters")
        .and_then(Node::members)
        .unwrap_or_default();
    for (k, _) in given {
        if !declared.iter().any(|m| &m.key == k) {
            return Err(IacError::Parameter(format!(
                "--parameter {k}: the template declares no parameter {k}"
            )));
        }
    }
    let mut out = BTreeMap::new();
    for m in declared {
        let ty = m.value.get("Type").and_then(text).unwrap_or_default();
        let no_echo = m.value.get("NoEcho").and_then(text).as_deref() == Some("true");
        let given = given
            .iter()
            .rev()
            .find(|(k, _)| *k == m.key)
            .map(|(_, v)| v.clone());
        let default = m.value.get("Default").and_then(text);
        let p = if no_echo {
            Param::Open(format!(
                "parameter {} is NoEcho: ekm-check does not read its value, so that it is never echoed",
                m.key
            ))
        } else if ty.starts_with("AWS::SSM::Parameter") {
            Param::Open(format!(
                "parameter {} is read from SSM Parameter Store at deployment",
                m.key
            ))
        } else if let Some(v) = given.or(default) {
            param_value(&ty, v, m.value.pos)
        } else {
            Param::Open(format!(
                "parameter {} has no Default and no value (give --parameter {}=VALUE)",
                m.key, m.key
            ))
        };
        out.insert(m.key.clone(), p);
    }
    Ok(out)
}

fn param_value(ty: &str, v: String, pos: Pos) -> Param {
    if ty == "CommaDelimitedList" || ty.starts_with("List<") {
        let items = v
            .split(',')
            .map(|s| string_node(s.trim().to_string(), pos))
            .collect();
        return Param::Value(Node {
            value: Value::Array(items),
            pos,
        });
    }
    Param::Value(string_node(v, pos))
}

/// Read a template and find its targets.
pub fn analyze(src: &str, path: &str, opts: &Options) -> Result<Analysis, IacError> {
    let t = Template::parse(src, path)?;
    let params = parameters(&t, &opts.parameters)?;
    let cx = Resolver::new(params, opts.pseudo.clone(), &t.root, &t);
    let roles: Vec<&str> = t
        .of_type("AWS::IAM::Role")
        .filter(|(n, r)| exists(&t, &cx, n, r))
        .map(|(n, _)| n)
        .collect();
    let chosen = choose_roles(&t, &cx, &roles, opts)?;
    let mut targets = Vec::new();
    for role in chosen {
        targets.extend(targets_of(&t, &cx, role));
    }
    let mut caveat = None;
    for (kind, name, line) in transforms(&t).into_iter().chain(embedded_transforms(&t)) {
        for target in &mut targets {
            apply_transform(&t, kind, &name, line, target);
        }
        if name != SAM && name != LANGUAGE_EXTENSIONS {
            caveat = Some(format!(
                "the template's {kind} {name} ({}:{line}) may add or rewrite roles at deployment: lint the processed template (aws cloudformation get-template --template-stage Processed)",
                t.path
            ));
        }
    }
    Ok(Analysis {
        targets,
        path: path.to_string(),
        roles: roles.iter().map(|r| r.to_string()).collect(),
        role_type: "AWS::IAM::Role",
        role_flag: "--role LOGICAL_ID",
        caveat,
    })
}

/// The template's own `Transform`s (a name, a list of names, or `{Name, Parameters}` as for
/// `AWS::Include`), with their lines.
fn transforms(t: &Template) -> Vec<(&'static str, String, u32)> {
    let Some(n) = t.root.get("Transform") else {
        return Vec::new();
    };
    let one = |n: &Node| ("Transform", transform_name(n), n.pos.line);
    match &n.value {
        Value::Array(items) => items.iter().map(one).collect(),
        _ => vec![one(n)],
    }
}

/// A transform's name: the name itself, or the `Name` of `{Name, Parameters}`.
fn transform_name(n: &Node) -> String {
    text(n)
        .or_else(|| n.get("Name").and_then(text))
        .unwrap_or_else(|| "(a transform without a name)".to_string())
}

/// `Fn::Transform`s the resolver never sees as a value of its own: one among the resources
/// (`AWS::Include` inserting resources from S3), or one beside other keys of a mapping (the
/// macro gets the whole mapping). Either may change what the template's role and key are at
/// deployment, so they count as a template-level macro.
fn embedded_transforms(t: &Template) -> Vec<(&'static str, String, u32)> {
    fn walk(n: &Node, top: bool, out: &mut Vec<(&'static str, String, u32)>) {
        match &n.value {
            Value::Object(members) => {
                for m in members {
                    if m.key == "Fn::Transform" && (top || members.len() > 1) {
                        out.push(("Fn::Transform", transform_name(&m.value), m.key_pos.line));
                    }
                    walk(&m.value, false, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, false, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Some(res) = t.root.get("Resources") {
        walk(res, true, &mut out);
    }
    out
}

/// AWS's SAM transform: it expands `AWS::Serverless::*` resources (and `Globals`, which apply
/// to them) and leaves the other resources as written.
const SAM: &str = "AWS::Serverless-2016-10-31";
/// AWS's language extensions: `Fn::ForEach`, `Fn::ToJsonString`, `Fn::Length`, and intrinsics
/// in `DeletionPolicy`/`UpdateReplacePolicy`; everything else as written.
const LANGUAGE_EXTENSIONS: &str = "AWS::LanguageExtensions";

/// What a template-level transform does to a target. AWS's own two leave the resources read
/// here as written (said under `assumed`). Any other (a macro, or `AWS::Include`'s snippet
/// from S3) runs only at deployment and may rewrite anything: every part read from the
/// template is open, so the rules are `unknown`, and the message says how to check what
/// CloudFormation will deploy instead.
fn apply_transform(t: &Template, kind: &str, name: &str, line: u32, target: &mut Target) {
    let at = format!("{}:{line}", t.path);
    match name {
        SAM => target.assumed.push(format!(
            "Transform {SAM} ({at}) expands only AWS::Serverless::* resources and their Globals: the resources read here are deployed as written"
        )),
        LANGUAGE_EXTENSIONS => {
            let mut note = format!(
                "Transform {LANGUAGE_EXTENSIONS} ({at}): Fn::ToJsonString and Fn::Length are open where they are used"
            );
            let for_each: Vec<(&str, u32)> = t
                .resources
                .iter()
                .filter(|(n, _)| n.starts_with("Fn::ForEach::"))
                .map(|(n, r)| (n.as_str(), r.pos.line))
                .collect();
            if !for_each.is_empty() {
                let names: Vec<&str> = for_each.iter().map(|(n, _)| *n).collect();
                note.push_str(&format!(
                    ", and the resources {} generates are not read",
                    names.join(", ")
                ));
                // What they generate may attach policies to the role (AWS::IAM::Policy,
                // RolePolicy, ManagedPolicy) or aliases to the key: those parts are open.
                let (first, line) = for_each[0];
                let why = format!(
                    "{first} ({}:{line}) generates resources at deployment, which may attach policies to the role or aliases to the key",
                    t.path
                );
                open_part(&mut target.inputs.inline_policies, &why);
                open_part(&mut target.inputs.attached_policies, &why);
                open_part(&mut target.inputs.aliases, &why);
            }
            target.assumed.push(note);
        }
        _ => {
            let what = if name == "AWS::Include" {
                "inserts a template snippet from S3"
            } else {
                "is a macro"
            };
            open_everything(
                &mut target.inputs,
                &format!("{kind} {name} ({at}) {what}: CloudFormation applies it only at deployment"),
            );
            // Nor are the registration values read from the template, or the trust policy's
            // ExternalId, what is deployed: only flags, the environment or the config give them.
            let arn = target.inputs.registration.kms_arn.take();
            if let (Some(key), Some(arn)) = (&target.key, arn) {
                let note = symbolic_note(key, &arn);
                target.assumed.retain(|a| *a != note);
            }
            target.inputs.registration.role_arn = None;
            target.trust_external_ids.clear();
            target.assumed.push(format!(
                "{kind} {name} may rewrite any resource at deployment, so every part read from this template is open; check the processed template instead: `aws cloudformation get-template --stack-name STACK --change-set-name CHANGE_SET --template-stage Processed --query TemplateBody > processed.json`, then `ekm-check lint --cloudformation processed.json`"
            ));
        }
    }
}

/// A part read from the template becomes open (a part not collected stays so).
fn open_part<T>(p: &mut Part<T>, why: &str) {
    if !matches!(p, Part::Absent(_)) {
        *p = Part::Error(why.to_string());
    }
}

/// Every part read from the template becomes open (a part not collected stays so).
fn open_everything(inputs: &mut Inputs, why: &str) {
    open_part(&mut inputs.key, why);
    open_part(&mut inputs.key_policy, why);
    open_part(&mut inputs.rotation, why);
    open_part(&mut inputs.aliases, why);
    open_part(&mut inputs.grants, why);
    open_part(&mut inputs.role, why);
    open_part(&mut inputs.trust_policy, why);
    open_part(&mut inputs.inline_policies, why);
    open_part(&mut inputs.attached_policies, why);
    open_part(&mut inputs.boundary, why);
    open_part(&mut inputs.role_tags, why);
    open_part(&mut inputs.key_tags, why);
}

/// Is this resource created (no `Condition`, or one that is not false)?
fn exists(t: &Template, cx: &Resolver<'_>, name: &str, r: &Resource) -> bool {
    let cond = t
        .root
        .pointer(&format!(
            "/Resources/{}/Condition",
            name.replace('~', "~0").replace('/', "~1")
        ))
        .and_then(text);
    match cond {
        Some(c) => cx.condition(&c, r.pos).unwrap_or(true),
        None => true,
    }
}

fn choose_roles<'t>(
    t: &Template,
    cx: &Resolver<'_>,
    roles: &[&'t str],
    opts: &Options,
) -> Result<Vec<&'t str>, IacError> {
    if let Some(want) = &opts.role {
        return match roles.iter().find(|r| *r == want) {
            Some(r) => Ok(vec![*r]),
            None => Err(IacError::Role(format!(
                "--role {want}: {} has no AWS::IAM::Role {want} (its roles: {})",
                t.path,
                if roles.is_empty() {
                    "none".to_string()
                } else {
                    roles.join(", ")
                }
            ))),
        };
    }
    if let Some(arn) = &opts.role_arn {
        let name = arn.rsplit('/').next().unwrap_or(arn);
        let hit: Vec<&str> = roles
            .iter()
            .copied()
            .filter(|r| {
                let pos = t.resource(r).map(|x| x.pos).unwrap_or_default();
                t.role_arn(cx, r, pos).ok().as_deref() == Some(arn.as_str())
                    || t.role_name(cx, r, pos).ok().as_deref() == Some(name)
            })
            .collect();
        if !hit.is_empty() {
            return Ok(hit);
        }
    }
    Ok(roles
        .iter()
        .copied()
        .filter(|r| match trust_node(t, cx, r) {
            Ok(Some(n)) => crate::aws::scan::trusts_openai(&n.to_serde()),
            Ok(None) => false,
            // An open trust policy: a target when its text names OpenAI's account.
            Err(_) => t
                .resource(r)
                .and_then(|x| t.raw(x, "AssumeRolePolicyDocument"))
                .is_some_and(|n| n.to_serde().to_string().contains(OPENAI_ACCOUNT)),
        })
        .collect())
}

/// A policy document property: an object, or a JSON string (positions are then the string's).
fn document(
    t: &Template,
    cx: &Resolver<'_>,
    name: &str,
    prop: &str,
) -> Result<Option<Node>, String> {
    match t.prop(cx, name, prop) {
        Prop::Missing => Ok(None),
        Prop::Open(e) => Err(e),
        Prop::Value(v) => as_document(&v, &t.path, &format!("{name}.{prop}")).map(Some),
    }
}

fn as_document(v: &Node, path: &str, what: &str) -> Result<Node, String> {
    match &v.value {
        Value::String(s) => match crate::json::parse(s) {
            Ok(mut n) => {
                n.relocate(v.pos);
                Ok(n)
            }
            Err(e) => Err(format!(
                "{what} is not a JSON policy document ({path}:{}): {e}",
                v.pos.line
            )),
        },
        _ => Ok(v.clone()),
    }
}

fn trust_node(t: &Template, cx: &Resolver<'_>, role: &str) -> Result<Option<Node>, String> {
    document(t, cx, role, "AssumeRolePolicyDocument")
}

fn pointer_of(name: &str, prop: &str) -> String {
    format!("/Resources/{name}/Properties/{prop}")
}

fn make_doc(t: &Template, node: &Node, kind: PolicyKind, source: String, pointer: String) -> Doc {
    Doc::from_node(node, kind, &source, Some(&t.path), &pointer)
}

/// A document part: present, absent (`absent` reason), or open.
fn doc_part(
    t: &Template,
    cx: &Resolver<'_>,
    name: &str,
    prop: &str,
    kind: PolicyKind,
) -> Part<Doc> {
    match document(t, cx, name, prop) {
        Ok(Some(n)) => Part::Present(make_doc(
            t,
            &n,
            kind,
            format!("{name}.{prop}"),
            pointer_of(name, prop),
        )),
        Ok(None) => Part::Absent(format!("{name} has no {prop}")),
        Err(e) => Part::Error(e),
    }
}

/// Does this raw value name the role (`Ref ROLE`, or its RoleName as text)?
fn names_role(
    t: &Template,
    cx: &Resolver<'_>,
    raw: &Node,
    role: &str,
    role_name: Option<&str>,
) -> bool {
    if let Some([m]) = raw.members() {
        if m.key == "Ref" && m.value.as_str() == Some(role) {
            return true;
        }
    }
    let _ = t;
    role_name.is_some() && cx.string(raw).ok().as_deref() == role_name
}

fn list_names_role(
    t: &Template,
    cx: &Resolver<'_>,
    raw: Option<&Node>,
    role: &str,
    rn: Option<&str>,
) -> bool {
    let Some(raw) = raw else { return false };
    match &raw.value {
        Value::Array(items) => items.iter().any(|i| names_role(t, cx, i, role, rn)),
        // A list an intrinsic gives (`Fn::If [C, [!Ref Role], []]`), or one name.
        _ => match cx.resolve(raw) {
            Ok(Resolved::Value(Node {
                value: Value::Array(items),
                ..
            })) => items.iter().any(|i| names_role(t, cx, i, role, rn)),
            _ => names_role(t, cx, raw, role, rn),
        },
    }
}

/// The role's identity policies: inline `Policies`, `AWS::IAM::Policy` and `RolePolicy`
/// resources (inline), and `ManagedPolicy` resources and `ManagedPolicyArns` (attached).
struct RoleDocs {
    inline: Part<Vec<Doc>>,
    attached: Part<Vec<Doc>>,
    /// Raw documents (before resolution), to find the keys they name.
    raw: Vec<Node>,
}

fn role_docs(t: &Template, cx: &Resolver<'_>, role: &str) -> RoleDocs {
    let rpos = t.resource(role).map(|r| r.pos).unwrap_or_default();
    let rn = t.role_name(cx, role, rpos).ok();
    let mut out = RoleDocs {
        inline: Part::Present(Vec::new()),
        attached: Part::Present(Vec::new()),
        raw: Vec::new(),
    };
    inline_policies(t, cx, role, &mut out);
    for (name, r) in &t.resources {
        if !exists(t, cx, name, r) {
            continue;
        }
        let attached_here = match r.ty.as_str() {
            "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => {
                list_names_role(t, cx, t.raw(r, "Roles"), role, rn.as_deref())
            }
            "AWS::IAM::RolePolicy" => t
                .raw(r, "RoleName")
                .is_some_and(|n| names_role(t, cx, n, role, rn.as_deref())),
            _ => false,
        };
        if !attached_here {
            continue;
        }
        if let Some(raw) = t.raw(r, "PolicyDocument") {
            out.raw.push(raw.clone());
        }
        let d = policy_resource_doc(t, cx, name, r, PolicyKind::Identity);
        if r.ty == "AWS::IAM::ManagedPolicy" {
            super::push_doc(&mut out.attached, d);
        } else {
            super::push_doc(&mut out.inline, d);
        }
    }
    managed_policy_arns(t, cx, role, &mut out);
    out
}

fn policy_resource_doc(
    t: &Template,
    cx: &Resolver<'_>,
    name: &str,
    r: &Resource,
    kind: PolicyKind,
) -> Result<Doc, String> {
    let node = document(t, cx, name, "PolicyDocument")?
        .ok_or_else(|| format!("{name} has no PolicyDocument"))?;
    let mut d = make_doc(
        t,
        &node,
        kind,
        format!("{name}.PolicyDocument"),
        pointer_of(name, "PolicyDocument"),
    );
    let pname = if r.ty == "AWS::IAM::ManagedPolicy" {
        "ManagedPolicyName"
    } else {
        "PolicyName"
    };
    d.name = Some(
        t.prop_str(cx, name, pname)
            .ok()
            .flatten()
            .unwrap_or_else(|| name.to_string()),
    );
    if r.ty == "AWS::IAM::ManagedPolicy" {
        d.arn = t.policy_arn(cx, name, r.pos).ok();
    }
    Ok(d)
}

fn inline_policies(t: &Template, cx: &Resolver<'_>, role: &str, out: &mut RoleDocs) {
    let Some(raw) = t.resource(role).and_then(|r| t.raw(r, "Policies")) else {
        return;
    };
    let items = match cx.resolve(raw) {
        Ok(Resolved::Value(Node {
            value: Value::Array(items),
            ..
        })) => items,
        Ok(_) => return,
        Err(e) => {
            super::push_doc(&mut out.inline, Err(t.describe_open(role, "Policies", &e)));
            return;
        }
    };
    if let Value::Array(raws) = &raw.value {
        out.raw
            .extend(raws.iter().filter_map(|p| p.get("PolicyDocument").cloned()));
    }
    for (i, p) in items.iter().enumerate() {
        let what = format!("{role}.Policies[{i}]");
        let d = p
            .get("PolicyDocument")
            .ok_or_else(|| format!("{what} has no PolicyDocument"))
            .and_then(|n| as_document(n, &t.path, &what))
            .map(|n| {
                let mut d = make_doc(
                    t,
                    &n,
                    PolicyKind::Identity,
                    format!("{what}.PolicyDocument"),
                    format!("{}/{i}/PolicyDocument", pointer_of(role, "Policies")),
                );
                d.name = p.get("PolicyName").and_then(text);
                d
            });
        super::push_doc(&mut out.inline, d);
    }
}

fn managed_policy_arns(t: &Template, cx: &Resolver<'_>, role: &str, out: &mut RoleDocs) {
    let Some(raw) = t.resource(role).and_then(|r| t.raw(r, "ManagedPolicyArns")) else {
        return;
    };
    // The list as written, or as an intrinsic (`Fn::If [C, [...], !Ref AWS::NoValue]`) gives it.
    let items = match &raw.value {
        Value::Array(items) => items.clone(),
        _ => match cx.resolve(raw) {
            Ok(Resolved::NoValue) => return,
            Ok(Resolved::Value(Node {
                value: Value::Array(items),
                ..
            })) => items,
            Ok(Resolved::Value(v)) => {
                let e = format!(
                    "{role}.ManagedPolicyArns is not a list ({}:{})",
                    t.path, v.pos.line
                );
                super::push_doc(&mut out.attached, Err(e));
                return;
            }
            Err(e) => {
                super::push_doc(
                    &mut out.attached,
                    Err(t.describe_open(role, "ManagedPolicyArns", &e)),
                );
                return;
            }
        },
    };
    // A ManagedPolicy of the template that does not already list the role.
    let template_policy = |m: &str, out: &mut RoleDocs| {
        let r = t.resource(m).expect("exists");
        if !list_names_role(t, cx, t.raw(r, "Roles"), role, None) {
            if let Some(raw) = t.raw(r, "PolicyDocument") {
                out.raw.push(raw.clone());
            }
            super::push_doc(
                &mut out.attached,
                policy_resource_doc(t, cx, m, r, PolicyKind::Identity),
            );
        }
    };
    for item in &items {
        if let Some(m) = referenced_managed_policy(t, item) {
            template_policy(m, out);
            continue;
        }
        let arn = match cx.resolve(item) {
            Ok(Resolved::NoValue) => continue,
            Ok(Resolved::Value(v)) => v,
            Err(e) => {
                super::push_doc(
                    &mut out.attached,
                    Err(t.describe_open(role, "ManagedPolicyArns", &e)),
                );
                continue;
            }
        };
        if let Some(m) = text(&arn).and_then(|a| managed_policy_with_arn(t, cx, &a)) {
            template_policy(m, out);
            continue;
        }
        super::push_doc(
            &mut out.attached,
            managed_arn_doc(t, cx, role, &arn, PolicyKind::Identity),
        );
    }
}

fn referenced_managed_policy<'t>(t: &'t Template, item: &Node) -> Option<&'t str> {
    let [m] = item.members()? else { return None };
    let name = match m.key.as_str() {
        "Ref" => m.value.as_str()?,
        "Fn::GetAtt" => match &m.value.value {
            Value::Array(a) => a.first()?.as_str()?,
            Value::String(s) => s.split('.').next()?,
            _ => return None,
        },
        _ => return None,
    };
    t.resources
        .iter()
        .find(|(n, r)| n == name && r.ty == "AWS::IAM::ManagedPolicy")
        .map(|(n, _)| n.as_str())
}

/// A managed policy given by ARN: an AWS-managed one whose document is known, else open.
fn managed_arn_doc(
    t: &Template,
    cx: &Resolver<'_>,
    role: &str,
    item: &Node,
    kind: PolicyKind,
) -> Result<Doc, String> {
    let arn = cx
        .string(item)
        .map_err(|e| t.describe_open(role, "ManagedPolicyArns", &e))?;
    let line = item.pos.line;
    let name = managed_policies::aws_managed_name(&arn).ok_or_else(|| {
        format!("{role}.ManagedPolicyArns: {arn} is not in the template, and its document is not known before deployment ({}:{line})", t.path)
    })?;
    let doc = managed_policies::document(name).ok_or_else(|| {
        format!("{role}.ManagedPolicyArns: the document of the AWS-managed policy {name} is not known to ekm-check ({}:{line})", t.path)
    })?;
    let mut d = Doc::from_text(doc, kind, &format!("AWS-managed policy {name}"));
    d.file = None;
    d.name = Some(name.to_string());
    d.arn = Some(arn);
    Ok(d)
}

/// The role's permissions boundary.
fn boundary(t: &Template, cx: &Resolver<'_>, role: &str) -> Part<Option<Doc>> {
    let Some(raw) = t.raw(role_res(t, role), "PermissionsBoundary") else {
        return Part::Present(None);
    };
    let template_policy = |m: &str| {
        let r = t.resource(m).expect("exists");
        match policy_resource_doc(t, cx, m, r, PolicyKind::Boundary) {
            Ok(d) => Part::Present(Some(d)),
            Err(e) => Part::Error(e),
        }
    };
    if let Some(m) = referenced_managed_policy(t, raw) {
        return template_policy(m);
    }
    // `Fn::If [C, !Ref AWS::NoValue, …]`: no boundary; a branch may name a policy of the
    // template by its ARN.
    let arn = match cx.resolve(raw) {
        Ok(Resolved::NoValue) => return Part::Present(None),
        Ok(Resolved::Value(v)) => v,
        Err(e) => return Part::Error(t.describe_open(role, "PermissionsBoundary", &e)),
    };
    if let Some(m) = text(&arn).and_then(|a| managed_policy_with_arn(t, cx, &a)) {
        return template_policy(m);
    }
    match managed_arn_doc(t, cx, role, &arn, PolicyKind::Boundary) {
        Ok(d) => Part::Present(Some(d)),
        Err(e) => Part::Error(e.replace("ManagedPolicyArns", "PermissionsBoundary")),
    }
}

/// The `AWS::IAM::ManagedPolicy` of the template whose ARN this is.
fn managed_policy_with_arn<'t>(t: &'t Template, cx: &Resolver<'_>, arn: &str) -> Option<&'t str> {
    t.of_type("AWS::IAM::ManagedPolicy")
        .filter(|(n, r)| exists(t, cx, n, r))
        .find(|(n, r)| t.policy_arn(cx, n, r.pos).ok().as_deref() == Some(arn))
        .map(|(n, _)| n)
}

fn role_res<'t>(t: &'t Template, role: &str) -> &'t Resource {
    t.resource(role).expect("a role of the template")
}

/// The keys of the template the role's documents allow Encrypt or Decrypt on (an alias
/// counts for its key), in template order.
fn keys_named(t: &Template, cx: &Resolver<'_>, raw_docs: &[Node]) -> Vec<String> {
    let mut refs = Vec::new();
    for d in raw_docs {
        match statements(d) {
            Some(sts) => {
                for st in sts.iter().filter(|s| allows_encrypt_or_decrypt(cx, s)) {
                    if let Some(r) = st.get("Resource") {
                        collect_refs(r, &mut refs);
                    }
                }
            }
            None => collect_refs(d, &mut refs),
        }
    }
    let mut keys: Vec<String> = Vec::new();
    for (name, r) in &t.resources {
        let hit = match r.ty.as_str() {
            "AWS::KMS::Key" => refs.iter().any(|x| x == name),
            _ => false,
        } || t.of_type("AWS::KMS::Alias").any(|(a, ar)| {
            refs.iter().any(|x| x == a)
                && t.raw(ar, "TargetKeyId").is_some_and(|k| {
                    let mut kr = Vec::new();
                    collect_refs(k, &mut kr);
                    kr.iter().any(|x| x == name)
                })
        });
        if hit && r.ty == "AWS::KMS::Key" && !keys.contains(name) {
            keys.push(name.clone());
        }
    }
    keys
}

fn statements(doc: &Node) -> Option<Vec<&Node>> {
    let st = doc.get("Statement")?;
    Some(match &st.value {
        Value::Array(items) => items.iter().collect(),
        Value::Object(_) => vec![st],
        _ => return None,
    })
}

fn allows_encrypt_or_decrypt(cx: &Resolver<'_>, st: &Node) -> bool {
    let mut m = serde_json::Map::new();
    for k in ["Effect", "Action", "NotAction"] {
        if let Some(v) = st.get(k) {
            match cx.value(v) {
                Ok(v) => {
                    m.insert(k.to_string(), v.to_serde());
                }
                Err(_) => return true,
            }
        }
    }
    m.insert("Resource".into(), "*".into());
    let doc = json!({"Version": "2012-10-17", "Statement": [J::Object(m)]});
    let p = Policy::from_value(&doc, PolicyKind::Identity, "statement");
    p.statements.iter().any(|s| {
        let ctx = crate::eval::Context::default();
        let hit = |a: &str| {
            s.action
                .patterns
                .iter()
                .any(|x| x.matches(a, &ctx).is_true())
                != s.action.negated
        };
        s.effect == Effect::Allow && (hit("kms:encrypt") || hit("kms:decrypt"))
    })
}

/// The logical ids a raw value refers to (`Ref`, `Fn::GetAtt`, `${X}` and `${X.Attr}` in
/// `Fn::Sub`).
fn collect_refs(n: &Node, out: &mut Vec<String>) {
    match &n.value {
        Value::Object(members) => {
            for m in members {
                match (m.key.as_str(), &m.value.value) {
                    ("Ref", Value::String(s)) => out.push(s.clone()),
                    ("Fn::GetAtt", Value::String(s)) => {
                        out.push(s.split('.').next().unwrap_or(s).to_string())
                    }
                    ("Fn::GetAtt", Value::Array(a)) => out.extend(a.first().and_then(text)),
                    ("Fn::Sub", Value::String(s)) => sub_refs(s, out),
                    ("Fn::Sub", Value::Array(a)) => {
                        if let Some(s) = a.first().and_then(Node::as_str) {
                            sub_refs(s, out);
                        }
                        a.iter().skip(1).for_each(|x| collect_refs(x, out));
                    }
                    _ => collect_refs(&m.value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_refs(i, out)),
        _ => {}
    }
}

fn sub_refs(s: &str, out: &mut Vec<String>) {
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        let after = &rest[i + 2..];
        let Some(end) = after.find('}') else { break };
        let var = &after[..end];
        if !var.starts_with('!') {
            out.push(var.split('.').next().unwrap_or(var).trim().to_string());
        }
        rest = &after[end + 1..];
    }
}

/// The targets of one role: one per key its policies name (the template's only key when they
/// name none), or one without a key.
fn targets_of(t: &Template, cx: &Resolver<'_>, role: &str) -> Vec<Target> {
    let docs = role_docs(t, cx, role);
    let mut keys = keys_named(t, cx, &docs.raw);
    let mut assumed = Vec::new();
    let all_keys: Vec<&str> = t
        .of_type("AWS::KMS::Key")
        .filter(|(n, r)| exists(t, cx, n, r))
        .map(|(n, _)| n)
        .collect();
    if keys.is_empty() && all_keys.len() == 1 {
        keys.push(all_keys[0].to_string());
        assumed.push(format!(
            "the role's policies name no key of the template: checking {}, its only AWS::KMS::Key",
            all_keys[0]
        ));
    }
    if keys.is_empty() {
        return vec![target(t, cx, role, None, &docs, assumed)];
    }
    keys.iter()
        .map(|k| target(t, cx, role, Some(k), &docs, assumed.clone()))
        .collect()
}

fn target(
    t: &Template,
    cx: &Resolver<'_>,
    role: &str,
    key: Option<&str>,
    docs: &RoleDocs,
    mut assumed: Vec<String>,
) -> Target {
    let mut inputs = Inputs::empty(&format!("{} defines no key for role {role}", t.path));
    inputs.lint = true;
    inputs.iac = true;
    inputs.role_at = Some((t.path.clone(), role_res(t, role).pos.line));
    inputs.key_at = key
        .and_then(|k| t.resource(k))
        .map(|r| (t.path.clone(), r.pos.line));
    inputs.organization = Part::Absent("lint --cloudformation reads the template only".into());
    let rpos = role_res(t, role).pos;
    let role_arn = t.role_arn(cx, role, rpos);
    inputs.registration.role_arn = role_arn.as_ref().ok().cloned();
    inputs.role = Part::Present(RoleInfo {
        arn: role_arn.ok(),
        role_id: None,
    });
    inputs.trust_policy = doc_part(t, cx, role, "AssumeRolePolicyDocument", PolicyKind::Trust);
    inputs.inline_policies = docs.inline.clone();
    inputs.attached_policies = docs.attached.clone();
    inputs.boundary = boundary(t, cx, role);
    inputs.role_tags = tags(t, cx, role);
    let trust_external_ids = match inputs.trust_policy.get().and_then(|d| d.value()) {
        Some(v) => crate::aws::scan::required_external_ids(&v),
        None => Vec::new(),
    };
    if let Some(k) = key {
        key_parts(t, cx, k, &mut inputs, &mut assumed);
    } else {
        super::no_key(&mut inputs, &format!("AWS::KMS::Key of {}", t.path));
    }
    Target {
        role: role.to_string(),
        key: key.map(str::to_string),
        inputs,
        assumed,
        trust_external_ids,
    }
}

fn tags(t: &Template, cx: &Resolver<'_>, name: &str) -> Part<Vec<(String, String)>> {
    match t.prop(cx, name, "Tags") {
        Prop::Missing => Part::Present(Vec::new()),
        Prop::Open(e) => Part::Error(e),
        Prop::Value(Node {
            value: Value::Array(items),
            ..
        }) => Part::Present(
            items
                .iter()
                .filter_map(|i| {
                    Some((
                        i.get("Key").and_then(text)?,
                        i.get("Value").and_then(text).unwrap_or_default(),
                    ))
                })
                .collect(),
        ),
        Prop::Value(_) => Part::Error(format!("{name}.Tags is not a list")),
    }
}

/// What `assumed` says of a key's ARN built from the template.
fn symbolic_note(key: &str, arn: &str) -> String {
    format!(
        "{key}'s ARN {arn} is symbolic: AWS assigns the key id at creation (register the real ARN)"
    )
}

/// The key's metadata (as DescribeKey would return it after creation), policy, rotation,
/// aliases and tags.
fn key_parts(
    t: &Template,
    cx: &Resolver<'_>,
    key: &str,
    inputs: &mut Inputs,
    assumed: &mut Vec<String>,
) {
    let kpos = t.resource(key).map(|r| r.pos).unwrap_or_default();
    let arn = t.key_arn(cx, key, kpos);
    match &arn {
        Ok(a) => {
            assumed.push(symbolic_note(key, a));
            inputs.registration.kms_arn = Some(a.clone());
        }
        Err(e) => assumed.push(format!("{}: {} ({}:{})", key, e.reason, t.path, e.line)),
    }
    inputs.key = key_meta(t, cx, key, arn.as_ref().ok());
    inputs.rotation = match t.prop_bool(cx, key, "EnableKeyRotation") {
        Ok(v) => Part::Present(v.unwrap_or(false)),
        Err(e) => Part::Error(e),
    };
    inputs.grants = Part::Present(Vec::new());
    inputs.key_tags = tags(t, cx, key);
    inputs.aliases = Part::Present(
        t.of_type("AWS::KMS::Alias")
            .filter(|(_, r)| {
                t.raw(r, "TargetKeyId").is_some_and(|k| {
                    let mut refs = Vec::new();
                    collect_refs(k, &mut refs);
                    refs.iter().any(|x| x == key)
                })
            })
            .filter_map(|(a, _)| t.prop_str(cx, a, "AliasName").ok().flatten())
            .collect(),
    );
    inputs.key_policy = match doc_part(t, cx, key, "KeyPolicy", PolicyKind::Resource) {
        Part::Absent(_) => {
            match crate::inputs::default_key_policy(arn.as_ref().ok().map(String::as_str)) {
                Some(d) => {
                    assumed.push(format!("{key} has no KeyPolicy: AWS gives it the default key policy (the account's root may use kms:*)"));
                    inputs.key_policy_assumed = true;
                    Part::Present(d)
                }
                None => Part::Error(format!(
                    "{key} has no KeyPolicy: AWS's default key policy needs the account (give --account and --region)"
                )),
            }
        }
        other => other,
    };
}

fn key_meta(t: &Template, cx: &Resolver<'_>, key: &str, arn: Option<&String>) -> Part<KeyMeta> {
    let read = || -> Result<KeyMeta, String> {
        Ok(super::key_metadata(super::KeySettings {
            key_id: t.key_id(cx, key),
            spec: t
                .prop_str(cx, key, "KeySpec")?
                .unwrap_or_else(|| "SYMMETRIC_DEFAULT".into()),
            usage: t
                .prop_str(cx, key, "KeyUsage")?
                .unwrap_or_else(|| "ENCRYPT_DECRYPT".into()),
            enabled: t.prop_bool(cx, key, "Enabled")?.unwrap_or(true),
            multi_region: t.prop_bool(cx, key, "MultiRegion")?.unwrap_or(false),
            origin: t
                .prop_str(cx, key, "Origin")?
                .unwrap_or_else(|| "AWS_KMS".into()),
            arn: arn.cloned(),
            account: cx.pseudo.account.clone(),
            description: t.prop_str(cx, key, "Description").ok().flatten(),
        }))
    };
    match read() {
        Ok(m) => Part::Present(m),
        Err(e) => Part::Error(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A template with one key and one role that trusts OpenAI; `role_extra` is appended to
    /// the role's properties, `resources` to the resources.
    fn template(role_extra: &str, resources: &str) -> String {
        format!(
            "Parameters:\n  Env: {{Type: String, Default: prod}}\n\
             Conditions:\n  IsProd: !Equals [!Ref Env, prod]\n\
             Resources:\n  K:\n    Type: AWS::KMS::Key\n\
             \x20   Properties:\n      KeyPolicy: {{Version: '2012-10-17', Statement: [{{Effect: Allow, Principal: {{AWS: !Sub 'arn:aws:iam::${{AWS::AccountId}}:root'}}, Action: 'kms:*', Resource: '*'}}]}}\n\
             \x20 R:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: r\n\
             \x20     AssumeRolePolicyDocument: {{Version: '2012-10-17', Statement: [{{Effect: Allow, Principal: {{AWS: 'arn:aws:iam::790389265272:role/EnterpriseKeyManagement'}}, Action: 'sts:AssumeRole'}}]}}\n\
             \x20     Policies: [{{PolicyName: p, PolicyDocument: {{Version: '2012-10-17', Statement: [{{Effect: Allow, Action: ['kms:Encrypt', 'kms:Decrypt'], Resource: !GetAtt K.Arn}}]}}}}]\n\
             {role_extra}{resources}"
        )
    }

    fn target(src: &str, env: &str) -> Target {
        let opts = Options {
            parameters: vec![("Env".into(), env.into())],
            pseudo: Pseudo {
                account: Some("111122223333".into()),
                region: Some("us-east-1".into()),
                ..Pseudo::default()
            },
            ..Options::default()
        };
        let mut a = analyze(src, "t.yaml", &opts).unwrap();
        assert_eq!(a.targets.len(), 1, "{}", a.no_target_message());
        a.targets.remove(0)
    }

    #[test]
    fn a_template_level_macro_opens_every_part_and_aws_own_transforms_do_not() {
        let with = |transform: &str| target(&format!("{transform}{}", template("", "")), "prod");
        let plain = with("");
        assert!(plain.inputs.trust_policy.get().is_some());

        // A macro, alone or in a list, or AWS::Include's object form: open, naming it and its line.
        for (transform, name, line) in [
            ("Transform: RoleBuilder\n", "RoleBuilder", 1),
            (
                "Transform: [AWS::Serverless-2016-10-31, RoleBuilder]\n",
                "RoleBuilder",
                1,
            ),
            (
                "Transform:\n  Name: AWS::Include\n  Parameters: {Location: 's3://b/snippet.yaml'}\n",
                "AWS::Include",
                2,
            ),
        ] {
            let t = with(transform);
            for why in [
                t.inputs.trust_policy.clone().map(|_| ()),
                t.inputs.inline_policies.map(|_| ()),
                t.inputs.key_policy.map(|_| ()),
                t.inputs.key.map(|_| ()),
            ] {
                match why {
                    Part::Error(e) => assert!(
                        e.starts_with(&format!("Transform {name} (t.yaml:{line}) ")),
                        "{transform}: {e}"
                    ),
                    other => panic!("{transform}: {other:?}"),
                }
            }
            assert!(
                t.assumed
                    .iter()
                    .any(|a| a.contains("--template-stage Processed")),
                "{:?}",
                t.assumed
            );
            // What the template does not give stays as it was (not collected, not open).
            assert!(matches!(t.inputs.organization, Part::Absent(_)));
            // No registration value or ExternalId is taken from what the macro may rewrite.
            assert_eq!(t.inputs.registration.kms_arn, None);
            assert_eq!(t.inputs.registration.role_arn, None);
            assert!(t.trust_external_ids.is_empty());
        }

        // An Fn::Transform among the resources, or beside other keys, counts as a macro; one
        // that is a value of its own is left to the resolver (open where it is read).
        for (src, line) in [
            (
                "  Fn::Transform: {Name: AWS::Include, Parameters: {Location: 's3://b/x.yaml'}}\n",
                16,
            ),
            (
                "  Q:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: q\n      Fn::Transform: {Name: Tagger}\n",
                20,
            ),
        ] {
            let t = target(&template("", src), "prod");
            match &t.inputs.trust_policy {
                Part::Error(e) => assert!(
                    e.starts_with("Fn::Transform ") && e.contains(&format!("(t.yaml:{line})")),
                    "{e}"
                ),
                other => panic!("{src}: {other:?}"),
            }
        }
        let alone = target(
            &template(
                "",
                "  Q:\n    Type: AWS::SNS::Topic\n    Properties:\n      Fn::Transform: {Name: Tagger}\n",
            ),
            "prod",
        );
        assert!(alone.inputs.trust_policy.get().is_some());

        // Without a role that trusts OpenAI, the message names the macro that may add one.
        let none = analyze(
            "Transform: RoleBuilder\nResources:\n  R: {Type: AWS::IAM::Role}\n",
            "t.yaml",
            &Options::default(),
        )
        .unwrap();
        assert!(none.targets.is_empty());
        assert!(
            none.no_target_message()
                .ends_with("; the template's Transform RoleBuilder (t.yaml:1) may add or rewrite roles at deployment: lint the processed template (aws cloudformation get-template --template-stage Processed)"),
            "{}",
            none.no_target_message()
        );

        // SAM and the language extensions leave the resources as written, and say so.
        let sam = with("Transform: AWS::Serverless-2016-10-31\n");
        assert_eq!(
            sam.inputs.trust_policy.get().map(|d| &d.text),
            plain.inputs.trust_policy.get().map(|d| &d.text)
        );
        assert!(sam.assumed.iter().any(|a| a.contains("AWS::Serverless::*")));
        let ext = with("Transform: AWS::LanguageExtensions\n");
        assert!(ext.inputs.trust_policy.get().is_some());
        assert!(
            ext.assumed
                .iter()
                .any(|a| a.starts_with("Transform AWS::LanguageExtensions (t.yaml:1)")),
            "{:?}",
            ext.assumed
        );
        let each = target(
            &format!(
                "Transform: AWS::LanguageExtensions\n{}",
                template(
                    "",
                    "  Fn::ForEach::Topics:\n    - T\n    - [a, b]\n    - 'Topic${T}': {Type: AWS::SNS::Topic}\n"
                )
            ),
            "prod",
        );
        assert!(
            each.assumed
                .iter()
                .any(|a| a.ends_with("the resources Fn::ForEach::Topics generates are not read")),
            "{:?}",
            each.assumed
        );
        // What it generates may attach policies to the role: those are open, the rest is read.
        match &each.inputs.inline_policies {
            Part::Error(e) => assert!(e.starts_with("Fn::ForEach::Topics (t.yaml:"), "{e}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(each.inputs.attached_policies, Part::Error(_)));
        assert!(each.inputs.trust_policy.get().is_some());
        assert!(ext.inputs.inline_policies.get().is_some());
    }

    const BOUNDARY: &str = "  B:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      ManagedPolicyName: b\n      PolicyDocument: {Version: '2012-10-17', Statement: [{Effect: Allow, Action: 'kms:DescribeKey', Resource: '*'}]}\n";

    #[test]
    fn a_boundary_removed_by_no_value_is_no_boundary() {
        let src = template(
            "      PermissionsBoundary: !If [IsProd, !Ref AWS::NoValue, !Ref B]\n",
            BOUNDARY,
        );
        let t = target(&src, "prod");
        assert!(
            matches!(t.inputs.boundary, Part::Present(None)),
            "{:?}",
            t.inputs.boundary
        );
        // The other branch names the template's managed policy (by its ARN, once resolved).
        let t = target(&src, "dev");
        match &t.inputs.boundary {
            Part::Present(Some(d)) => {
                assert_eq!(d.name.as_deref(), Some("b"));
                assert_eq!(d.source, "B.PolicyDocument");
            }
            other => panic!("{other:?}"),
        }
        let src = template(
            "      PermissionsBoundary: !If [IsProd, !Ref AWS::NoValue, 'arn:aws:iam::aws:policy/AWSDenyAll']\n",
            "",
        );
        match &target(&src, "dev").inputs.boundary {
            Part::Present(Some(d)) => assert_eq!(d.name.as_deref(), Some("AWSDenyAll")),
            other => panic!("{other:?}"),
        }
    }

    fn attached(t: &Target) -> Vec<String> {
        match &t.inputs.attached_policies {
            Part::Present(docs) => docs.iter().map(|d| d.name.clone().unwrap()).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn managed_policy_arns_chosen_by_fn_if() {
        let admin = "arn:aws:iam::aws:policy/AdministratorAccess";
        // The whole list chosen by Fn::If (it was not read at all).
        let src = template(
            &format!("      ManagedPolicyArns: !If [IsProd, ['{admin}'], !Ref AWS::NoValue]\n"),
            "",
        );
        assert_eq!(attached(&target(&src, "prod")), ["AdministratorAccess"]);
        assert!(attached(&target(&src, "dev")).is_empty());
        // An element removed with AWS::NoValue, another naming the template's policy.
        let src = template(
            &format!(
                "      ManagedPolicyArns: [!If [IsProd, !Ref AWS::NoValue, '{admin}'], !If [IsProd, !Ref B, !Ref AWS::NoValue]]\n"
            ),
            BOUNDARY,
        );
        assert_eq!(attached(&target(&src, "prod")), ["b"]);
        assert_eq!(attached(&target(&src, "dev")), ["AdministratorAccess"]);
        // Still open when a branch is.
        let src = template(
            "      ManagedPolicyArns: !If [IsProd, [!ImportValue Shared], []]\n",
            "",
        );
        match &target(&src, "prod").inputs.attached_policies {
            Part::Error(e) => assert!(
                e.contains("R.ManagedPolicyArns: Fn::ImportValue Shared"),
                "{e}"
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_policy_whose_roles_fn_if_chooses() {
        let policy = "  P:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      ManagedPolicyName: p\n      Roles: !If [IsProd, [!Ref R], []]\n      PolicyDocument: {Version: '2012-10-17', Statement: [{Effect: Allow, Action: '*', Resource: '*'}]}\n";
        let src = template("", policy);
        assert_eq!(attached(&target(&src, "prod")), ["p"]);
        assert!(attached(&target(&src, "dev")).is_empty());
    }

    #[test]
    fn no_target_message_suggests_role_only_when_there_are_roles() {
        let opts = Options::default();
        let keys_only = "Resources:\n  K:\n    Type: AWS::KMS::Key\n";
        let a = analyze(keys_only, "k.yaml", &opts).unwrap();
        assert!(a.targets.is_empty());
        let m = a.no_target_message();
        assert!(m.contains("k.yaml has no AWS::IAM::Role resource"), "{m}");
        assert!(!m.contains("--role"), "no role to name: {m}");
        let other = "Resources:\n  App:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: 'sts:AssumeRole'}]}\n";
        let m = analyze(other, "a.yaml", &opts).unwrap().no_target_message();
        assert!(
            m.contains("in a.yaml: 1 AWS::IAM::Role resource (App)"),
            "{m}"
        );
        assert!(m.contains("--role LOGICAL_ID"), "{m}");
    }

    #[test]
    fn a_file_that_is_not_a_mapping_says_what_it_holds() {
        let e = |src: &str, path: &str| match analyze(src, path, &Options::default()) {
            Err(IacError::NotATemplate { message, .. }) => message,
            other => panic!("{other:?}"),
        };
        // checkov's tests/cloudformation/parser/fail.json.
        let m = e("foo", "fail.json");
        assert_eq!(
            m,
            "holds a string at line 1 (read as YAML: it does not start with {), not a CloudFormation template (a mapping with Resources)"
        );
        let m = e("- a\n- b\n", "t.yaml");
        assert!(m.starts_with("holds an array at line 1, not a"), "{m}");
        let m = e("Parameters: {}\n", "t.yaml");
        assert_eq!(m, "no Resources: not a CloudFormation template");
    }
}
