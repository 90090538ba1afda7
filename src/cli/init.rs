//! `init`: the correct documents and AWS CLI commands for OpenAI's setup steps, and the
//! registration payload, filled with every value the registration ARNs tell (partition, region,
//! accounts, role name and path, ExternalId). Standard output is for reading; `--output-dir`
//! writes each document and `steps.sh` for running.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::{Value as J, json};

use super::check::RegistrationArgs;
use super::exit;
use crate::config;
use crate::error::{Error, Result};
use crate::inputs::Inputs;
use crate::report::wrap;
use crate::rules::support_inputs::{self as si, KmsArn, KmsResource, RoleArn};
use crate::rules::{self, Status, fixes};

#[derive(Debug, Args)]
#[command(after_help = "\
Example (the variables keep each line short enough to paste from any terminal):
  kms=arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab
  role=arn:aws:iam::111122223333:role/team/openai-ekm
  xid=org-AbCdEf0123456789GhIjKlMn
  ekm-check init --kms-arn \"$kms\" \\
    --role-arn \"$role\" --external-id \"$xid\" \\
    --output-dir ekm-setup
Then read ekm-setup/steps.sh, and run it (bash ekm-setup/steps.sh) or follow the steps printed.")]
pub struct InitArgs {
    #[command(flatten)]
    pub registration: RegistrationArgs,
    /// The configuration file [default: ./ekm-check.toml when it exists]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Also write each document (trust-policy.json, permissions-policy.json, key-policy.json
    /// for a key in another account, registration.json) and steps.sh to DIR
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Print instead the minimal read-only IAM policy for the identity that runs ekm-check
    #[arg(long, conflicts_with_all = ["org_reader_policy", "member_role_policy"])]
    pub checker_policy: bool,
    /// Print instead the read-only permissions policy of the role `scan --member-role` assumes
    /// in each member account (what a scan reads there, nothing more)
    #[arg(long, conflicts_with = "org_reader_policy")]
    pub member_role_policy: bool,
    /// Print instead the read-only policy that lets the management account or a delegated
    /// administrator read the SCPs and RCPs for ekm-check (--org-profile / --org-role-arn)
    #[arg(long)]
    pub org_reader_policy: bool,
    /// With --checker-policy or --member-role-policy: add cloudtrail:LookupEvents, which
    /// `check --evidence` and `scan --evidence` need
    #[arg(long)]
    pub evidence: bool,
}

/// The read-only policy for the identity (in the management account or a delegated
/// administrator) that reads the organization's SCPs and RCPs.
pub fn org_reader_policy() -> serde_json::Value {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "EkmCheckReadOrganizationPolicies",
            "Effect": "Allow",
            "Action": [
                "organizations:DescribeOrganization",
                "organizations:ListRoots",
                "organizations:ListParents",
                "organizations:ListPoliciesForTarget",
                "organizations:DescribePolicy",
                "organizations:ListAccounts",
                "organizations:ListAccountsForParent",
                "organizations:ListChildren"
            ],
            "Resource": "*"
        }]
    })
}

/// The read-only permissions of the audit role `scan --member-role` enters each account with:
/// the calls a scan makes there. `OrganizationAccountAccessRole` works too, but it is an
/// administrator.
pub fn member_role_policy() -> serde_json::Value {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EkmCheckScanRoles",
                "Effect": "Allow",
                "Action": [
                    "iam:GetAccountAuthorizationDetails",
                    "iam:GetPolicy",
                    "iam:GetPolicyVersion"
                ],
                "Resource": "*"
            },
            {
                "Sid": "EkmCheckScanKeys",
                "Effect": "Allow",
                "Action": [
                    "kms:ListKeys",
                    "kms:ListAliases",
                    "kms:DescribeKey",
                    "kms:GetKeyPolicy",
                    "kms:GetKeyRotationStatus",
                    "kms:ListGrants",
                    "kms:ListResourceTags"
                ],
                "Resource": "*"
            },
            {
                "Sid": "EkmCheckDescribeOrganization",
                "Effect": "Allow",
                "Action": "organizations:DescribeOrganization",
                "Resource": "*"
            }
        ]
    })
}

/// The names of the files `--output-dir` writes.
pub const TRUST_FILE: &str = "trust-policy.json";
pub const PERMISSIONS_FILE: &str = "permissions-policy.json";
pub const KEY_POLICY_FILE: &str = "key-policy.json";
pub const REGISTRATION_FILE: &str = "registration.json";
pub const STEPS_FILE: &str = "steps.sh";

/// The key id placeholder when `kms_arn` is an alias (the id is not known until it is resolved).
const KEY_ID_PLACEHOLDER: &str = "<KEY_ID>";

pub fn run(a: &InitArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8> {
    let (cfg, _) = config::load(a.config.as_deref())?;
    let reg = a.registration.registration().or(&cfg.registration());
    if a.evidence && !a.checker_policy && !a.member_role_policy {
        return Err(Error::Usage(
            "--evidence adds cloudtrail:LookupEvents to --checker-policy or --member-role-policy: give one of them".into(),
        ));
    }
    if a.org_reader_policy {
        writeln!(out, "{}", fixes::pretty(&org_reader_policy()))?;
        return Ok(exit::OK);
    }
    if a.member_role_policy {
        let p = member_role_policy();
        let p = if a.evidence {
            fixes::with_lookup_events(p)
        } else {
            p
        };
        writeln!(out, "{}", fixes::pretty(&p))?;
        return Ok(exit::OK);
    }
    if a.checker_policy {
        let p = fixes::checker_policy(&reg);
        let p = if a.evidence {
            fixes::with_lookup_events(p)
        } else {
            p
        };
        writeln!(out, "{}", fixes::pretty(&p))?;
        return Ok(exit::OK);
    }
    let missing: Vec<&str> = [
        ("--kms-arn", reg.kms_arn.is_none()),
        ("--role-arn", reg.role_arn.is_none()),
        ("--external-id", reg.external_id.is_none()),
    ]
    .iter()
    .filter(|(_, m)| *m)
    .map(|(f, _)| *f)
    .collect();
    if !missing.is_empty() {
        return Err(Error::Usage(format!("init needs {}", missing.join(", "))));
    }
    // The values must be right before we print documents built from them.
    let mut inputs = Inputs::empty("init");
    inputs.registration = reg.clone();
    let bad: Vec<String> = rules::run_all(&inputs)
        .into_iter()
        .filter(|f| {
            f.rule.family == rules::Family::Inputs
                && f.status == Status::Fail
                && f.severity == rules::Severity::Error
        })
        .map(|f| format!("{} {}: {}", f.rule.id, f.rule.slug, f.message))
        .collect();
    let kms = reg.kms_arn.as_deref().unwrap_or_default();
    let role = reg.role_arn.as_deref().unwrap_or_default();
    let xid = reg.external_id.as_deref().unwrap_or_default();
    let parsed = si::parse_kms_arn(kms)
        .ok()
        .zip(si::parse_role_arn(role).ok());
    let Some((k, r)) = parsed.filter(|_| bad.is_empty()) else {
        for b in &bad {
            writeln!(err, "error: {b}")?;
        }
        return Err(Error::Usage("fix the values above first".into()));
    };
    let setup = Setup::new(kms, role, xid, k, r);
    for w in setup.warnings() {
        write!(err, "{}", wrap::prose(&w, 100, "warning: ", "  "))?;
    }
    let steps = setup.steps();
    out.write_all(render_human(&setup, &steps).as_bytes())?;
    if let Some(dir) = &a.output_dir {
        for (name, text) in setup.files(&steps) {
            let path = dir.join(name);
            write_file(&path, &text, name == STEPS_FILE)?;
            writeln!(err, "wrote {}", path.display())?;
        }
    }
    Ok(exit::OK)
}

fn write_file(path: &Path, text: &str, executable: bool) -> Result<()> {
    let io = |source| Error::Read {
        path: path.to_path_buf(),
        io: source,
    };
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).map_err(io)?;
    }
    std::fs::write(path, text).map_err(io)?;
    #[cfg(unix)]
    if executable {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).map_err(io)?;
    }
    #[cfg(not(unix))]
    let _ = executable;
    Ok(())
}

/// Which account's credentials a command needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Key,
    Role,
}

/// One line of a step.
enum Item {
    /// Prose (a `#` comment, wrapped).
    Say(String),
    /// A shell command; `human` is what stdout shows, `script` what steps.sh runs (`None`: not
    /// in that output).
    Run {
        human: Option<String>,
        script: Option<String>,
    },
    /// A document, written as the named file.
    Doc(&'static str, J),
}

struct Step {
    title: String,
    items: Vec<Item>,
    /// In steps.sh, run this step only when `CREATE_KEY=1`, then stop.
    only_with_create_key: bool,
}

struct Setup<'a> {
    kms: &'a str,
    role: &'a str,
    xid: &'a str,
    k: KmsArn,
    r: RoleArn,
    cross: bool,
}

/// `s` as one shell word: bare when every character is safe, else in single quotes.
pub fn sh_quote(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_./:=@,+-%".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

impl<'a> Setup<'a> {
    fn new(kms: &'a str, role: &'a str, xid: &'a str, k: KmsArn, r: RoleArn) -> Self {
        let cross = k.account != r.account;
        Setup {
            kms,
            role,
            xid,
            k,
            r,
            cross,
        }
    }

    fn alias(&self) -> bool {
        matches!(self.k.resource, KmsResource::Alias(_))
    }

    /// What goes in `Resource` of the permissions policy: the key ARN (an alias ARN there
    /// grants nothing on the key), with the key id marked when only the alias is known.
    fn key_arn_for_policy(&self) -> String {
        match self.k.key_id() {
            Some(_) => self.kms.to_string(),
            None => format!(
                "arn:{}:kms:{}:{}:key/{KEY_ID_PLACEHOLDER}",
                self.k.partition, self.k.region, self.k.account
            ),
        }
    }

    /// How commands name the key: its ARN, or `"$key_arn"` resolved from the alias.
    fn key_ref(&self) -> String {
        if self.alias() {
            "\"$key_arn\"".to_string()
        } else {
            self.kms.to_string()
        }
    }

    fn policy_name(&self) -> String {
        format!("{}-kms", self.r.name)
    }

    fn policy_arn(&self) -> String {
        format!(
            "arn:{}:iam::{}:policy/{}",
            self.r.partition,
            self.r.account,
            self.policy_name()
        )
    }

    /// An `aws` command run in one account: in steps.sh for a cross-account key, with that
    /// account's profile.
    fn aws(&self, side: Side, args: &str) -> (String, String) {
        let human = format!("aws {args}");
        let script = if self.cross {
            let var = match side {
                Side::Key => "KEY_PROFILE",
                Side::Role => "ROLE_PROFILE",
            };
            format!("aws --profile \"${var}\" {args}")
        } else {
            human.clone()
        };
        (human, script)
    }

    fn run(&self, side: Side, args: &str) -> Item {
        let (h, s) = self.aws(side, args);
        Item::Run {
            human: Some(h),
            script: Some(s),
        }
    }

    fn where_(&self, side: Side) -> String {
        let (what, acct) = match side {
            Side::Key => ("key", &self.k.account),
            Side::Role => ("role", &self.r.account),
        };
        format!("the {what}'s account {acct}")
    }

    fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if let Some(alias) = self.k.alias() {
            w.push(format!(
                "kms_arn is an alias ARN: an alias ARN in an IAM policy's Resource grants nothing on the key (EKM304), so the permissions policy needs the key ARN the alias points to (`aws kms describe-key --region {} --key-id {} --query KeyMetadata.Arn --output text` prints it; steps.sh puts it in). OpenAI recommends registering the key ARN rather than {alias}: re-pointing an alias revokes OpenAI's access.",
                self.k.region, self.kms
            ));
        }
        if self.r.partition != "aws" || self.k.partition != "aws" {
            w.push(format!(
                "OpenAI's principal {} is in the aws partition, and AWS does not let a principal of one partition assume a role or use a key of another; check with OpenAI that EKM supports {} before you set this up (an inference, not something OpenAI documents).",
                rules::paths::OPENAI_ROLE,
                if self.r.partition != "aws" {
                    &self.r.partition
                } else {
                    &self.k.partition
                }
            ));
        }
        if self.r.partition != self.k.partition {
            w.push(format!(
                "the key is in the partition {} and the role in {}: a role cannot use a key of another partition",
                self.k.partition, self.r.partition
            ));
        }
        w
    }

    fn steps(&self) -> Vec<Step> {
        let region = &self.k.region;
        let mut v = Vec::new();

        // Step 1: the key.
        let mut items = Vec::new();
        let multi = matches!(self.k.resource, KmsResource::Mrk(_));
        match self.k.key_id() {
            Some(id) => items.push(Item::Say(format!(
                "kms_arn names the key {id}: skip this step when it exists. Otherwise create a key as below; AWS chooses the key id, so run `ekm-check init` again with the ARN create-key prints."
            ))),
            None => items.push(Item::Say(format!(
                "kms_arn names the alias {}: skip this step when it exists and points to a symmetric key. Otherwise create the key and the alias as below.",
                self.k.alias().unwrap_or_default()
            ))),
        }
        items.push(Item::Say(format!(
            "The key must be symmetric (SYMMETRIC_DEFAULT) for ENCRYPT_DECRYPT, in {region}{}.",
            if multi {
                ", multi-Region (kms_arn names an mrk- key)"
            } else {
                ""
            }
        )));
        let (h, s) = self.aws(
            Side::Key,
            &format!(
                "kms create-key --region {region} --key-spec SYMMETRIC_DEFAULT --key-usage ENCRYPT_DECRYPT{} --description {} --query KeyMetadata.Arn --output text",
                if multi { " --multi-region" } else { "" },
                sh_quote("OpenAI Enterprise Key Management")
            ),
        );
        items.push(Item::Run {
            human: Some(format!("key_arn=$({h})")),
            script: Some(format!("key_arn=$({s})")),
        });
        items.push(Item::Run {
            human: Some("echo \"$key_arn\"".into()),
            script: None,
        });
        let alias_name = self
            .k
            .alias()
            .unwrap_or_else(|| "alias/openai-ekm".to_string());
        if self.alias() {
            items.push(Item::Say(format!(
                "The alias kms_arn names. Register the key ARN with OpenAI rather than {alias_name}: OpenAI does not recommend aliases, because re-pointing one revokes its access."
            )));
        } else {
            items.push(Item::Say(
                "Optional: an alias, for people to find the key. Register the key ARN with OpenAI, not the alias: OpenAI does not recommend aliases, because re-pointing one revokes its access.".into(),
            ));
        }
        items.push(self.run(
            Side::Key,
            &format!(
                "kms create-alias --region {region} --alias-name {alias_name} --target-key-id \"$key_arn\""
            ),
        ));
        items.push(Item::Run {
            human: None,
            script: Some(
                "echo \"created $key_arn: run ekm-check init again with --kms-arn $key_arn\" >&2"
                    .into(),
            ),
        });
        items.push(Item::Run {
            human: None,
            script: Some("exit 0".into()),
        });
        v.push(Step {
            title: format!("the KMS key ({})", self.where_(Side::Key)),
            items,
            only_with_create_key: true,
        });

        // Step 2: the permissions policy.
        let mut items = Vec::new();
        items.push(Item::Say(format!(
            "The permissions policy, {PERMISSIONS_FILE}: it lets the role call kms:Encrypt and kms:Decrypt on the key, and nothing else."
        )));
        items.push(Item::Doc(
            PERMISSIONS_FILE,
            fixes::identity_policy(&self.key_arn_for_policy()),
        ));
        if self.alias() {
            items.push(Item::Say(format!(
                "The policy's Resource must be the key's ARN: an alias ARN there grants nothing on the key. Look it up and put it in place of {KEY_ID_PLACEHOLDER}:"
            )));
            let (h, s) = self.aws(
                Side::Key,
                &format!(
                    "kms describe-key --region {region} --key-id {} --query KeyMetadata.Arn --output text",
                    self.kms
                ),
            );
            items.push(Item::Run {
                human: Some(format!("key_arn=$({h})")),
                script: Some(format!("key_arn=$({s})")),
            });
            let sed = format!(
                "sed \"s|{}|$key_arn|\" {PERMISSIONS_FILE} > {PERMISSIONS_FILE}.tmp && mv {PERMISSIONS_FILE}.tmp {PERMISSIONS_FILE}",
                self.key_arn_for_policy()
            );
            items.push(Item::Run {
                human: Some(sed.clone()),
                script: Some(sed),
            });
        }
        items.push(self.run(
            Side::Role,
            &format!(
                "iam create-policy --policy-name {} --policy-document file://{PERMISSIONS_FILE}",
                self.policy_name()
            ),
        ));
        v.push(Step {
            title: format!("the permissions policy ({})", self.where_(Side::Role)),
            items,
            only_with_create_key: false,
        });

        // Step 3: the role and its trust policy.
        let mut items = vec![
            Item::Say(format!(
                "The trust policy, {TRUST_FILE}: only OpenAI's principal may assume the role, and only with your ExternalId {}.",
                self.xid
            )),
            Item::Doc(TRUST_FILE, fixes::trust_policy(self.xid)),
        ];
        let path = if self.r.path == "/" {
            String::new()
        } else {
            format!(" --path {}", self.r.path)
        };
        items.push(self.run(
            Side::Role,
            &format!(
                "iam create-role --role-name {}{path} --assume-role-policy-document file://{TRUST_FILE}",
                self.r.name
            ),
        ));
        items.push(self.run(
            Side::Role,
            &format!(
                "iam attach-role-policy --role-name {} --policy-arn {}",
                self.r.name,
                self.policy_arn()
            ),
        ));
        v.push(Step {
            title: format!(
                "the role OpenAI assumes, {} ({})",
                self.role,
                self.where_(Side::Role)
            ),
            items,
            only_with_create_key: false,
        });

        // Step 4: the key policy.
        let mut items = Vec::new();
        let key_ref = self.key_ref();
        if self.cross {
            items.push(Item::Say(format!(
                "The key is in another account than the role, so the key policy must name the role: IAM policies of the role's account {} cannot give it a key of account {} on their own. Run this step with the key account's credentials, after step 3 (KMS rejects a key policy that names a role that does not exist).",
                self.r.account, self.k.account
            )));
            items.push(Item::Say(format!(
                "The key policy, {KEY_POLICY_FILE}: AWS's default key policy (statement \"Enable IAM User Permissions\") and the statement \"AllowOpenAIEKMRole\" for the role. put-key-policy replaces the whole policy: if the key's policy has other statements, add \"AllowOpenAIEKMRole\" to the saved copy (key-policy.current.json) and put that instead."
            )));
            items.push(Item::Doc(
                KEY_POLICY_FILE,
                fixes::cross_account_key_policy(&self.k.partition, &self.k.account, self.role),
            ));
            items.push(self.run(
                Side::Key,
                &format!(
                    "kms get-key-policy --region {region} --key-id {key_ref} --policy-name default --query Policy --output text > key-policy.current.json"
                ),
            ));
            items.push(self.run(
                Side::Key,
                &format!(
                    "kms put-key-policy --region {region} --key-id {key_ref} --policy-name default --policy file://{KEY_POLICY_FILE}"
                ),
            ));
        } else {
            items.push(Item::Say(format!(
                "Keep the key's default key policy: its statement \"Enable IAM User Permissions\" lets the key's account arn:{}:iam::{}:root use the key, which delegates to IAM, so the permissions policy of step 2 is what lets the role in. Nothing to run.",
                self.k.partition, self.k.account
            )));
            items.push(Item::Say(
                "Only if the key's policy lacks that statement, add this one to it (aws kms get-key-policy, add, aws kms put-key-policy --policy-name default):".into(),
            ));
            items.push(Item::Doc("", fixes::key_policy_statement(self.role)));
        }
        v.push(Step {
            title: format!("the key policy ({})", self.where_(Side::Key)),
            items,
            only_with_create_key: false,
        });

        // Step 5: check, then register.
        let mut items = vec![Item::Say(
            "Check what AWS now holds, with read-only calls (a key in another account needs an identity that may read both: `ekm-check init --checker-policy`); steps.sh stops here unless the verdict is ready:".into(),
        )];
        let check = format!(
            "ekm-check check --kms-arn {} --role-arn {} --external-id {}",
            self.kms,
            self.role,
            sh_quote(self.xid)
        );
        items.push(Item::Run {
            human: Some(check.clone()),
            script: Some(check),
        });
        items.push(Item::Say(format!(
            "Then register the key with OpenAI (ChatGPT Enterprise: send role_arn and kms_arn to your OpenAI contact instead). The body of POST /v1/organization/external_keys, {REGISTRATION_FILE}:"
        )));
        let body = json!({"type": "aws", "name": "AWS EKM Config", "role_arn": self.role, "kms_arn": self.kms, "external_id": self.xid});
        items.push(Item::Doc(REGISTRATION_FILE, body));
        let curl = format!(
            "curl -sS -X POST \"${{OPENAI_BASE_URL:-https://api.openai.com/v1}}/organization/external_keys\" -H \"Authorization: Bearer ${{OPENAI_ADMIN_KEY:?set OPENAI_ADMIN_KEY to an OpenAI admin key}}\" -H 'Content-Type: application/json' -d @{REGISTRATION_FILE}"
        );
        items.push(Item::Run {
            human: Some(curl.clone()),
            script: Some(curl),
        });
        v.push(Step {
            title: "check, then register".into(),
            items,
            only_with_create_key: false,
        });
        v
    }

    fn header(&self) -> Vec<String> {
        let mut h = vec![format!(
            "The setup for OpenAI EKM: key {} (account {}, region {}), role {} (account {}, name {}, path {}), ExternalId {}.",
            self.kms,
            self.k.account,
            self.k.region,
            self.role,
            self.r.account,
            self.r.name,
            self.r.path,
            self.xid
        )];
        if self.cross {
            h.push(format!(
                "The key is in another account than the role: steps 1 and 4 run with credentials of the key's account {}, steps 2 and 3 with the role's account {}.",
                self.k.account, self.r.account
            ));
        }
        h
    }

    /// The files `--output-dir` writes, in order.
    fn files(&self, steps: &[Step]) -> Vec<(&'static str, String)> {
        let mut v = Vec::new();
        for s in steps {
            for i in &s.items {
                if let Item::Doc(name, doc) = i {
                    if !name.is_empty() {
                        v.push((*name, format!("{}\n", fixes::pretty(doc))));
                    }
                }
            }
        }
        v.push((STEPS_FILE, render_script(self, steps)));
        v
    }
}

fn comment(out: &mut String, text: &str, indent: &str) {
    let first = format!("{indent}# ");
    out.push_str(&wrap::prose(text, 100, &first, &first));
}

/// What standard output shows.
fn render_human(s: &Setup<'_>, steps: &[Step]) -> String {
    let mut out = String::new();
    for h in s.header() {
        comment(&mut out, &h, "");
    }
    comment(
        &mut out,
        "Save each document below as the file it names, or let `ekm-check init --output-dir DIR` write them, and steps.sh with these commands.",
        "",
    );
    for (n, step) in steps.iter().enumerate() {
        out.push('\n');
        out.push_str(&format!("# Step {}: {}\n", n + 1, step.title));
        for i in &step.items {
            match i {
                Item::Say(t) => comment(&mut out, t, ""),
                Item::Run { human: Some(h), .. } => {
                    out.push_str(h);
                    out.push('\n');
                }
                Item::Run { human: None, .. } => {}
                Item::Doc(_, d) => {
                    out.push_str(&fixes::pretty(d));
                    out.push('\n');
                }
            }
        }
    }
    out
}

/// steps.sh: the same commands, runnable.
fn render_script(s: &Setup<'_>, steps: &[Step]) -> String {
    let mut out = String::from("#!/usr/bin/env bash\n");
    comment(
        &mut out,
        "Written by `ekm-check init`. Read it before you run it: it creates the IAM policy and role, and sets the key policy.",
        "",
    );
    for h in s.header() {
        comment(&mut out, &h, "");
    }
    out.push_str("set -euo pipefail\ncd \"$(dirname \"$0\")\"\n");
    if s.cross {
        out.push_str(&format!(
            "KEY_PROFILE=${{KEY_PROFILE:?set KEY_PROFILE to an AWS CLI profile of account {} (where the key is)}}\n",
            s.k.account
        ));
        out.push_str(&format!(
            "ROLE_PROFILE=${{ROLE_PROFILE:?set ROLE_PROFILE to an AWS CLI profile of account {} (where the role is)}}\n",
            s.r.account
        ));
    }
    for (n, step) in steps.iter().enumerate() {
        out.push('\n');
        out.push_str(&format!("# Step {}: {}\n", n + 1, step.title));
        let indent = if step.only_with_create_key {
            comment(
                &mut out,
                "Runs only with CREATE_KEY=1 (bash steps.sh with CREATE_KEY=1 in the environment), then stops.",
                "",
            );
            out.push_str("if [ \"${CREATE_KEY:-}\" = 1 ]; then\n");
            "  "
        } else {
            ""
        };
        for i in &step.items {
            match i {
                Item::Say(t) => comment(&mut out, t, indent),
                Item::Run {
                    script: Some(c), ..
                } => {
                    out.push_str(indent);
                    out.push_str(c);
                    out.push('\n');
                }
                Item::Run { script: None, .. } => {}
                Item::Doc("", d) => {
                    for line in fixes::pretty(d).lines() {
                        out.push_str(&format!("{indent}#   {line}\n"));
                    }
                }
                Item::Doc(name, _) => {
                    out.push_str(&format!("{indent}# ({name} is next to this script.)\n"));
                }
            }
        }
        if step.only_with_create_key {
            out.push_str("fi\n");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sh_quote_leaves_safe_words_bare() {
        assert_eq!(
            sh_quote("org-AbCdEf0123456789GhIjKlMn"),
            "org-AbCdEf0123456789GhIjKlMn"
        );
        assert_eq!(sh_quote("proj_x=y,z@a:b/c"), "proj_x=y,z@a:b/c");
        assert_eq!(sh_quote("a b"), "'a b'");
        assert_eq!(sh_quote("it's"), r"'it'\''s'");
        assert_eq!(sh_quote(""), "''");
    }

    #[test]
    fn the_policies_name_the_organization_reads() {
        let actions = |v: &serde_json::Value| -> Vec<String> {
            v["Statement"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|s| match &s["Action"] {
                    serde_json::Value::Array(a) => {
                        a.iter().map(|x| x.as_str().unwrap().to_string()).collect()
                    }
                    x => vec![x.as_str().unwrap().to_string()],
                })
                .collect()
        };
        let checker = actions(&fixes::checker_policy(&Default::default()));
        for a in ["organizations:DescribeOrganization", "kms:ListResourceTags"] {
            assert!(checker.iter().any(|x| x == a), "{a}: {checker:?}");
        }
        let reader = actions(&org_reader_policy());
        for a in [
            "DescribeOrganization",
            "ListRoots",
            "ListParents",
            "ListPoliciesForTarget",
            "DescribePolicy",
            "ListAccounts",
        ] {
            assert!(reader.contains(&format!("organizations:{a}")), "{a}");
        }
        assert!(
            reader
                .iter()
                .all(|a| a.starts_with("organizations:Describe")
                    || a.starts_with("organizations:List")),
            "read-only: {reader:?}"
        );
    }
}
