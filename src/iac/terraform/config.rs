//! A Terraform configuration directory, read without a provider: its `.tf` files (HCL, parsed by
//! `hcl-edit`, which keeps every expression's span), variables and their values (`--var`,
//! `--var-file`, `terraform.tfvars`, `*.auto.tfvars`, defaults), locals, resources and data
//! sources with `count`/`for_each`, local modules with their inputs. [`load`] evaluates every
//! resource instance's attributes ([`super::eval`]) into [`Resource`]s.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use hcl_edit::Span;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Body, Structure};

use super::eval::Scope;
use super::{Attr, Options, Resource};
use crate::iac::IacError;
use crate::iac::intrinsics::Pseudo;
use crate::json::{Node, Pos, Value};

/// A `.tf` file's text and where its lines start.
pub struct SourceFile {
    pub path: String,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(path: String, text: String) -> SourceFile {
        let mut line_starts = vec![0];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        SourceFile {
            path,
            text,
            line_starts,
        }
    }

    pub fn pos(&self, offset: usize) -> Pos {
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let start = self.line_starts[line.saturating_sub(1)];
        Pos {
            line: line as u32,
            col: (offset.saturating_sub(start) + 1) as u32,
            offset,
        }
    }
}

/// A variable's declaration.
pub struct VarDecl {
    pub default: Option<Expression>,
    pub sensitive: bool,
    /// The type constraint as written (`string`, `list(string)`).
    pub ty: Option<String>,
    pub file: usize,
}

/// A value given to a variable.
pub enum Given {
    /// From the command line or a variables file (positions of that file, or none).
    Value(Node, Option<usize>),
    /// A module block's argument, evaluated in the calling module.
    Expr(Expression, usize),
}

/// A `resource` or `data` block.
pub struct ResBlock {
    pub ty: String,
    pub name: String,
    pub data: bool,
    pub block: Block,
    pub file: usize,
}

/// A `module` block.
pub struct Call {
    /// The child module, or why it is not read (a registry or Git source).
    pub module: Result<usize, String>,
    pub file: usize,
}

/// One module instance: the root, or a local module called from its parent.
pub struct Module {
    pub dir: PathBuf,
    /// `""` for the root, `module.a.` for a child, `module.a.module.b.` below it.
    pub prefix: String,
    /// The calling module.
    pub parent: Option<usize>,
    pub vars: BTreeMap<String, VarDecl>,
    pub given: BTreeMap<String, Given>,
    pub locals: BTreeMap<String, (Expression, usize)>,
    pub resources: Vec<ResBlock>,
    pub calls: BTreeMap<String, Call>,
    pub outputs: BTreeMap<String, (Expression, usize)>,
}

/// A value evaluated once, with the file its positions are in (none: given on the command line
/// or assigned by AWS).
pub type Located = Result<(Node, Option<usize>), String>;

/// The whole configuration and what its evaluation remembers.
pub struct Config {
    pub files: Vec<SourceFile>,
    pub modules: Vec<Module>,
    pub pseudo: Pseudo,
    /// Values evaluated once: `(module, key)` → value and the file its positions are in.
    pub memo: RefCell<HashMap<(usize, String), Located>>,
    /// What is being evaluated (a cycle is an open value, not a stack overflow).
    pub active: RefCell<Vec<(usize, String)>>,
    /// The structure of each string `jsonencode` or a policy document produced, by its text.
    pub encoded: RefCell<HashMap<String, (Node, Option<usize>)>>,
    /// What was not read (remote modules, `.tf.json` files), for the messages.
    pub notes: Vec<String>,
}

/// How deep local modules may nest (a module calling itself is a cycle).
const MAX_MODULE_DEPTH: usize = 16;

fn ident_of(b: &Block) -> &str {
    b.ident.as_str()
}

fn labels(b: &Block) -> Vec<String> {
    b.labels.iter().map(|l| l.as_str().to_string()).collect()
}

impl Config {
    /// The position of a span of `file`.
    pub fn pos(&self, file: usize, span: Option<std::ops::Range<usize>>) -> Pos {
        match span {
            Some(r) => self.files[file].pos(r.start),
            None => Pos::default(),
        }
    }

    /// `FILE:LINE` of a span.
    pub fn at(&self, file: usize, span: Option<std::ops::Range<usize>>) -> String {
        let p = self.pos(file, span);
        format!("{}:{}", self.files[file].path, p.line)
    }

    /// The source text of a span.
    pub fn text(&self, file: usize, span: Option<std::ops::Range<usize>>) -> Option<String> {
        let r = span?;
        self.files[file].text.get(r).map(str::to_string)
    }

    fn read_dir(
        &mut self,
        dir: &Path,
        shown: &str,
        prefix: String,
        parent: Option<usize>,
        depth: usize,
    ) -> Result<usize, IacError> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| IacError::Syntax {
                path: shown.to_string(),
                message: format!("cannot read the directory: {e}"),
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        names.sort();
        let mut m = Module {
            dir: dir.to_path_buf(),
            prefix,
            parent,
            vars: BTreeMap::new(),
            given: BTreeMap::new(),
            locals: BTreeMap::new(),
            resources: Vec::new(),
            calls: BTreeMap::new(),
            outputs: BTreeMap::new(),
        };
        let mut calls: Vec<(String, Block, usize)> = Vec::new();
        for p in &names {
            let fname = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if fname.ends_with(".tf.json") {
                self.notes.push(format!(
                    "{}: Terraform JSON syntax (.tf.json) is not read",
                    join_shown(shown, fname)
                ));
                continue;
            }
            if !fname.ends_with(".tf") {
                continue;
            }
            let path = join_shown(shown, fname);
            let text = std::fs::read_to_string(p).map_err(|e| IacError::Syntax {
                path: path.clone(),
                message: format!("cannot read: {e}"),
            })?;
            let body = parse_body(&text, &path)?;
            let file = self.files.len();
            self.files.push(SourceFile::new(path, text));
            for s in body.into_iter() {
                let Structure::Block(b) = s else { continue };
                match ident_of(&b) {
                    "variable" => {
                        let Some(name) = labels(&b).into_iter().next() else {
                            continue;
                        };
                        let default = b.body.get_attribute("default").map(|a| a.value.clone());
                        let sensitive = b
                            .body
                            .get_attribute("sensitive")
                            .is_some_and(|a| matches!(&a.value, Expression::Bool(v) if *v.value()));
                        let ty = b
                            .body
                            .get_attribute("type")
                            .and_then(|a| self.text(file, a.value.span()))
                            .map(|t| t.trim().to_string());
                        m.vars.insert(
                            name,
                            VarDecl {
                                default,
                                sensitive,
                                ty,
                                file,
                            },
                        );
                    }
                    "locals" => {
                        for s in b.body.iter() {
                            if let Structure::Attribute(a) = s {
                                m.locals
                                    .insert(a.key.as_str().to_string(), (a.value.clone(), file));
                            }
                        }
                    }
                    "output" => {
                        if let (Some(name), Some(v)) =
                            (labels(&b).into_iter().next(), b.body.get_attribute("value"))
                        {
                            m.outputs.insert(name, (v.value.clone(), file));
                        }
                    }
                    kind @ ("resource" | "data") => {
                        let l = labels(&b);
                        if l.len() == 2 {
                            m.resources.push(ResBlock {
                                ty: l[0].clone(),
                                name: l[1].clone(),
                                data: kind == "data",
                                block: b,
                                file,
                            });
                        }
                    }
                    "module" => {
                        if let Some(name) = labels(&b).into_iter().next() {
                            calls.push((name, b, file));
                        }
                    }
                    _ => {}
                }
            }
        }
        let idx = self.modules.len();
        let prefix = m.prefix.clone();
        self.modules.push(m);
        for (name, b, file) in calls {
            let source = b.body.get_attribute("source").and_then(|a| match &a.value {
                Expression::String(s) => Some(s.value().to_string()),
                _ => None,
            });
            let module = match source {
                Some(s) if s == "." || s == ".." || s.starts_with("./") || s.starts_with("../") => {
                    let child_dir = dir.join(&s);
                    let canon = |p: &Path| std::fs::canonicalize(p).ok();
                    let mut ancestor = Some(idx);
                    let mut cycle = false;
                    while let Some(a) = ancestor {
                        if canon(&self.modules[a].dir).is_some()
                            && canon(&self.modules[a].dir) == canon(&child_dir)
                        {
                            cycle = true;
                        }
                        ancestor = self.modules[a].parent;
                    }
                    if cycle {
                        let why = format!(
                            "module {prefix}{name} calls {s}, a module that contains it (a cycle): it is not read"
                        );
                        self.notes.push(why.clone());
                        Err(why)
                    } else if depth >= MAX_MODULE_DEPTH {
                        Err(format!(
                            "module {name} nests local modules more than {MAX_MODULE_DEPTH} deep"
                        ))
                    } else {
                        let child_shown = join_shown(shown, &s);
                        if child_dir.is_dir() {
                            let child = self.read_dir(
                                &child_dir,
                                &child_shown,
                                format!("{prefix}module.{name}."),
                                Some(idx),
                                depth + 1,
                            )?;
                            for st in b.body.iter() {
                                if let Structure::Attribute(a) = st {
                                    let k = a.key.as_str();
                                    if !matches!(
                                        k,
                                        "source"
                                            | "version"
                                            | "count"
                                            | "for_each"
                                            | "providers"
                                            | "depends_on"
                                    ) {
                                        self.modules[child].given.insert(
                                            k.to_string(),
                                            Given::Expr(a.value.clone(), file),
                                        );
                                    }
                                }
                            }
                            Ok(child)
                        } else {
                            Err(format!(
                                "module {name}'s source {s} is not a directory ({})",
                                self.at(file, b.span())
                            ))
                        }
                    }
                }
                Some(s) => {
                    let why = format!(
                        "module {prefix}{name} comes from {s}, which ekm-check does not download: what it creates and returns is known only after terraform init"
                    );
                    self.notes.push(why.clone());
                    Err(why)
                }
                None => Err(format!("module {name} has no literal source")),
            };
            self.modules[idx].calls.insert(name, Call { module, file });
        }
        Ok(idx)
    }
}

fn join_shown(dir: &str, name: &str) -> String {
    let name = name.strip_prefix("./").unwrap_or(name);
    if dir.is_empty() || dir == "." {
        name.to_string()
    } else {
        format!("{}/{name}", dir.trim_end_matches('/'))
    }
}

fn parse_body(text: &str, path: &str) -> Result<Body, IacError> {
    hcl_edit::parser::parse_body(text).map_err(|e| IacError::Syntax {
        path: path.to_string(),
        message: format!(
            "line {} column {}: {}",
            e.location().line(),
            e.location().column(),
            e.message()
        ),
    })
}

/// The root module's variable values: defaults < `terraform.tfvars` < `*.auto.tfvars` (in
/// name order) < `--var-file` < `--var`, as Terraform takes them.
fn root_values(cfg: &mut Config, dir: &Path, shown: &str, opts: &Options) -> Result<(), IacError> {
    let mut files: Vec<PathBuf> = Vec::new();
    let tfvars = dir.join("terraform.tfvars");
    if tfvars.is_file() {
        files.push(tfvars);
    }
    let mut auto: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.ends_with(".auto.tfvars"))
                })
                .collect()
        })
        .unwrap_or_default();
    auto.sort();
    files.extend(auto);
    let mut shown_files: Vec<(PathBuf, String)> = files
        .into_iter()
        .map(|p| {
            let n = p
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            (p, join_shown(shown, &n))
        })
        .collect();
    shown_files.extend(
        opts.var_files
            .iter()
            .map(|p| (p.clone(), p.display().to_string())),
    );
    for (p, shown) in shown_files {
        let text = std::fs::read_to_string(&p).map_err(|e| IacError::Syntax {
            path: shown.clone(),
            message: format!("cannot read the variables file: {e}"),
        })?;
        if shown.ends_with(".json") {
            let n = crate::json::parse(&text).map_err(|e| IacError::Syntax {
                path: shown.clone(),
                message: e.to_string(),
            })?;
            for m in n.members().unwrap_or_default() {
                set_root(cfg, &m.key, Given::Value(m.value.clone(), None), &shown)?;
            }
            continue;
        }
        let body = parse_body(&text, &shown)?;
        let file = cfg.files.len();
        cfg.files.push(SourceFile::new(shown.clone(), text));
        for s in body.iter() {
            if let Structure::Attribute(a) = s {
                let v =
                    Scope::constant(cfg, file)
                        .eval(&a.value)
                        .map_err(|e| IacError::Syntax {
                            path: shown.clone(),
                            message: format!("{}: {e}", a.key.as_str()),
                        })?;
                set_root(cfg, a.key.as_str(), Given::Value(v, Some(file)), &shown)?;
            }
        }
    }
    for (k, v) in &opts.vars {
        let typed = cfg.modules[0]
            .vars
            .get(k)
            .and_then(|d| d.ty.as_deref())
            .is_some_and(|t| t != "string");
        let value = if typed {
            let e = hcl_edit::parser::parse_expr(v).map_err(|e| {
                IacError::Parameter(format!("--var {k}: not an HCL value: {}", e.message()))
            })?;
            super::eval::relocated(
                Scope::constant(cfg, 0)
                    .eval(&e)
                    .map_err(|e| IacError::Parameter(format!("--var {k}: {e}")))?,
                Pos::default(),
            )
        } else {
            Node {
                value: Value::String(v.clone()),
                pos: Pos::default(),
            }
        };
        if !cfg.modules[0].vars.contains_key(k) {
            return Err(IacError::Parameter(format!(
                "--var {k}: the configuration declares no variable {k}"
            )));
        }
        cfg.modules[0]
            .given
            .insert(k.clone(), Given::Value(value, None));
    }
    Ok(())
}

fn set_root(cfg: &mut Config, k: &str, v: Given, _from: &str) -> Result<(), IacError> {
    // Terraform warns, not fails, on values for undeclared variables in files.
    if cfg.modules[0].vars.contains_key(k) {
        cfg.modules[0].given.insert(k.to_string(), v);
    }
    Ok(())
}

/// Read a configuration directory and evaluate its resources.
pub fn load(dir: &Path, opts: &Options) -> Result<(Vec<Resource>, Vec<String>), IacError> {
    let shown = dir.display().to_string();
    if !dir.is_dir() {
        return Err(IacError::Syntax {
            path: shown,
            message: "is not a directory: --terraform takes the directory of a Terraform configuration (for a plan, use --terraform-plan FILE)".into(),
        });
    }
    let mut cfg = Config {
        files: Vec::new(),
        modules: Vec::new(),
        pseudo: opts.pseudo.clone(),
        memo: RefCell::new(HashMap::new()),
        active: RefCell::new(Vec::new()),
        encoded: RefCell::new(HashMap::new()),
        notes: Vec::new(),
    };
    cfg.read_dir(dir, &shown, String::new(), None, 0)?;
    if cfg.files.is_empty() {
        return Err(IacError::NotATemplate {
            path: shown,
            message: "holds no .tf file: not a Terraform configuration".into(),
        });
    }
    root_values(&mut cfg, dir, &shown, opts)?;
    let mut out = Vec::new();
    for m in 0..cfg.modules.len() {
        for r in 0..cfg.modules[m].resources.len() {
            out.extend(super::eval::instances(&cfg, m, r));
        }
    }
    let notes = cfg.notes.clone();
    Ok((out, notes))
}

/// An attribute of a resource instance, with its references, text and encoded structure.
pub fn attr(scope: &Scope<'_>, e: &Expression) -> Attr {
    let cfg = scope.cfg;
    let value = scope.eval(e);
    let document = match &value {
        Ok(Node {
            value: Value::String(s),
            ..
        }) => cfg.encoded.borrow().get(s).map(|(n, f)| {
            (
                n.clone(),
                f.map(|f| cfg.files[f].path.clone()).unwrap_or_default(),
            )
        }),
        _ => None,
    };
    Attr {
        value,
        refs: scope.refs(e),
        source: scope.source_text(e),
        document,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iac::intrinsics::Pseudo;

    /// A configuration directory written from `(name, text)` pairs.
    fn dir(files: &[(&str, &str)]) -> PathBuf {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let d = std::env::temp_dir().join(format!(
            "ekm-tf-{}-{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&d);
        for (name, text) in files {
            let p = d.join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        d
    }

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

    fn load_with(files: &[(&str, &str)], o: &Options) -> Vec<Resource> {
        load(&dir(files), o).unwrap().0
    }

    fn find<'r>(rs: &'r [Resource], address: &str) -> &'r Resource {
        rs.iter().find(|r| r.address == address).unwrap_or_else(|| {
            panic!(
                "no {address} in {:?}",
                rs.iter().map(|r| &r.address).collect::<Vec<_>>()
            )
        })
    }

    fn json(r: &Resource, attr: &str) -> serde_json::Value {
        let s = r.str(attr).unwrap().unwrap();
        serde_json::from_str(&s).unwrap()
    }

    #[test]
    fn policy_documents_render_as_the_provider_does() {
        let rs = load_with(
            &[(
                "main.tf",
                r#"
data "aws_iam_policy_document" "d" {
  statement {
    sid       = "One"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:Decrypt"]
    resources = ["*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "StringEquals"
      variable = "sts:ExternalId"
      values   = ["org-1"]
    }
  }
  statement {
    sid     = "Two"
    effect  = "Deny"
    actions = ["kms:*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::111122223333:root"]
    }
  }
  override_policy_documents = [jsonencode({ Statement = [{ Sid = "Two", Effect = "Allow", Action = "kms:Get*" }] })]
}
"#,
            )],
            &opts(),
        );
        let d = json(find(&rs, "data.aws_iam_policy_document.d"), "json");
        assert_eq!(
            d,
            serde_json::json!({
                "Version": "2012-10-17",
                "Statement": [
                    {"Sid": "One", "Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"],
                     "Resource": "*", "Principal": "*",
                     "Condition": {"StringEquals": {"sts:ExternalId": "org-1"}}},
                    {"Sid": "Two", "Effect": "Allow", "Action": "kms:Get*"}
                ]
            })
        );
    }

    #[test]
    fn references_give_symbolic_arns_and_open_values_name_what_is_missing() {
        let files = [(
            "main.tf",
            r#"
resource "aws_kms_key" "k" {}
resource "aws_iam_role" "r" {
  name = "ekm"
  path = "/openai/"
  assume_role_policy = "{}"
}
resource "aws_iam_role_policy" "p" {
  role   = aws_iam_role.r.name
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "kms:Encrypt", Resource = aws_kms_key.k.arn }] })
}
"#,
        )];
        let rs = load_with(&files, &opts());
        let key = find(&rs, "aws_kms_key.k");
        let arn = key.str("arn").unwrap().unwrap();
        assert!(
            arn.starts_with("arn:aws:kms:us-east-1:111122223333:key/"),
            "{arn}"
        );
        assert_eq!(
            find(&rs, "aws_iam_role.r").str("arn").unwrap().as_deref(),
            Some("arn:aws:iam::111122223333:role/openai/ekm")
        );
        let p = find(&rs, "aws_iam_role_policy.p");
        assert_eq!(json(p, "policy")["Statement"][0]["Resource"], arn.as_str());
        assert!(
            p.attr("policy")
                .unwrap()
                .refs
                .contains(&"aws_kms_key.k".to_string())
        );
        assert!(
            p.attr("role")
                .unwrap()
                .refs
                .contains(&"aws_iam_role.r".to_string())
        );
        // The structure keeps the lines of the jsonencode'd object.
        let (doc, file) = p.attr("policy").unwrap().document.clone().unwrap();
        assert!(file.ends_with("main.tf"));
        assert_eq!(doc.pointer("/Statement/0").unwrap().pos.line, 10);

        // Without --account and --region the key's ARN, and what uses it, is open.
        let rs = load_with(&files, &Options::default());
        let e = find(&rs, "aws_iam_role_policy.p")
            .str("policy")
            .unwrap_err();
        assert!(
            e.contains("the ARN of aws_kms_key.k is known only after apply"),
            "{e}"
        );
        assert!(e.contains("main.tf:10"), "{e}");
    }

    #[test]
    fn variables_take_values_in_terraforms_order() {
        let files = [
            (
                "main.tf",
                r#"
variable "a" { default = "default" }
variable "b" { default = "default" }
variable "c" { default = "default" }
variable "d" { default = "default" }
variable "e" { default = "default" }
variable "secret" {
  default   = "hunter2"
  sensitive = true
}
variable "list" { type = list(string) }
resource "aws_iam_role" "r" {
  name = join(",", [var.a, var.b, var.c, var.d, var.e, var.list[1]])
  assume_role_policy = var.secret
}
"#,
            ),
            (
                "terraform.tfvars",
                "b = \"tfvars\"\nc = \"tfvars\"\nd = \"tfvars\"\ne = \"tfvars\"\n",
            ),
            (
                "x.auto.tfvars",
                "c = \"auto\"\nd = \"auto\"\ne = \"auto\"\n",
            ),
            ("prod.tfvars", "d = \"var-file\"\ne = \"var-file\"\n"),
        ];
        let d = dir(&files);
        let mut o = opts();
        o.var_files = vec![d.join("prod.tfvars")];
        o.vars = vec![
            ("e".into(), "var".into()),
            ("list".into(), r#"["x", "y"]"#.into()),
        ];
        let rs = load(&d, &o).unwrap().0;
        let r = find(&rs, "aws_iam_role.r");
        assert_eq!(
            r.str("name").unwrap().as_deref(),
            Some("default,tfvars,auto,var-file,var,y")
        );
        let e = r.str("assume_role_policy").unwrap_err();
        assert!(e.contains("var.secret is sensitive"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
        // An undeclared --var is refused.
        o.vars = vec![("nope".into(), "1".into())];
        assert!(matches!(load(&d, &o), Err(IacError::Parameter(_))));
    }

    #[test]
    fn count_for_each_and_local_modules() {
        let rs = load_with(
            &[
                (
                    "main.tf",
                    r#"
locals { envs = { prod = "p", dev = "d" } }
resource "aws_kms_key" "k" {
  for_each    = local.envs
  description = "${each.key}-${each.value}"
}
resource "aws_kms_alias" "a" {
  count         = 2
  name          = format("alias/ekm-%d", count.index)
  target_key_id = aws_kms_key.k["prod"].key_id
}
module "role" {
  source = "./mod"
  name   = "from-root"
}
module "remote" {
  source = "git::https://example.com/x.git"
}
"#,
                ),
                (
                    "mod/main.tf",
                    r#"
variable "name" {}
resource "aws_iam_role" "this" {
  name               = "${var.name}-role"
  assume_role_policy = "{}"
}
output "arn" { value = aws_iam_role.this.arn }
"#,
                ),
            ],
            &opts(),
        );
        assert_eq!(
            find(&rs, r#"aws_kms_key.k["prod"]"#)
                .str("description")
                .unwrap()
                .as_deref(),
            Some("prod-p")
        );
        assert_eq!(
            find(&rs, "aws_kms_alias.a[1]")
                .str("name")
                .unwrap()
                .as_deref(),
            Some("alias/ekm-1")
        );
        let prod = find(&rs, r#"aws_kms_key.k["prod"]"#).str("key_id").unwrap();
        assert_eq!(
            find(&rs, "aws_kms_alias.a[0]")
                .str("target_key_id")
                .unwrap(),
            prod
        );
        assert_eq!(
            find(&rs, "module.role.aws_iam_role.this")
                .str("name")
                .unwrap()
                .as_deref(),
            Some("from-root-role")
        );
        let (_, notes) = load(
            &dir(&[(
                "main.tf",
                "module \"remote\" {\n  source = \"hashicorp/x/aws\"\n}\n",
            )]),
            &opts(),
        )
        .unwrap();
        assert!(notes[0].contains("hashicorp/x/aws"), "{notes:?}");
    }

    #[test]
    fn functions_and_templates() {
        let rs = load_with(
            &[
                (
                    "main.tf",
                    r#"
locals {
  m = merge({ a = "1" }, { b = "2" })
}
resource "aws_iam_role" "r" {
  name = "${upper("x")}-${lookup(local.m, "b", "none")}-${length(local.m)}%{ if true }-yes%{ endif }"
  description = templatefile("${path.module}/t.tpl", { who = "openai" })
  assume_role_policy = sha256("x")
  path = try(local.nope, "/fallback/")
}
"#,
                ),
                ("t.tpl", "hello ${who}"),
            ],
            &opts(),
        );
        let r = find(&rs, "aws_iam_role.r");
        assert_eq!(r.str("name").unwrap().as_deref(), Some("X-2-2-yes"));
        assert_eq!(
            r.str("description").unwrap().as_deref(),
            Some("hello openai")
        );
        assert_eq!(r.str("path").unwrap().as_deref(), Some("/fallback/"));
        let e = r.str("assume_role_policy").unwrap_err();
        assert!(e.contains("sha256() is not evaluated"), "{e}");
    }

    #[test]
    fn syntax_errors_name_the_file_and_line() {
        let d = dir(&[(
            "main.tf",
            "resource \"aws_iam_role\" \"r\" {\n  name = \n}\n",
        )]);
        match load(&d, &opts()) {
            Err(IacError::Syntax { path, message }) => {
                assert!(path.ends_with("main.tf"), "{path}");
                assert!(message.contains("line 2"), "{message}");
            }
            Err(other) => panic!("{other}"),
            Ok(_) => panic!("parsed"),
        }
    }
}
