//! The two `eval --batch` workloads, shared by `benches/eval.rs` and the tests that compare the
//! batch path with a per-line evaluation (`#[path]`-included: no other test support needed).
//!
//! - [`repeated`]: 10,000 requests built from the same few policies (the policy cache hits);
//!   `scripts/gen-batch N` writes the same lines.
//! - [`distinct`]: every request carries its own policies, about 1.1 KB a line;
//!   `scripts/gen-batch-distinct N` writes the same bytes (tests/cli.rs checks it).
#![allow(dead_code)]

use serde_json::{Map, Value, json};

pub const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

pub fn key_policy() -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
         "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "KeyAdmins", "Effect": "Allow",
         "Principal": {"AWS": "arn:aws:iam::111122223333:role/KeyAdmin"},
         "Action": ["kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
                    "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:ScheduleKeyDeletion",
                    "kms:CancelKeyDeletion"], "Resource": "*"},
        {"Sid": "DenyOutsideTls", "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    ]})
}

pub fn identity() -> Vec<Value> {
    vec![
        json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "AllowEncryptDecrypt", "Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"],
             "Resource": KEY, "Condition": {"StringEquals": {"aws:PrincipalAccount": "111122223333"}}}]}),
        json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "DenyOtherRegions", "Effect": "Deny", "NotAction": "kms:*", "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}},
            {"Sid": "ReadLogs", "Effect": "Allow", "Action": ["logs:Get*", "logs:Describe*"],
             "Resource": "arn:aws:logs:*:111122223333:log-group:/ekm/*"}]}),
    ]
}

/// `n` requests in the contract's JSON Lines shape: OpenAI's role session calling Encrypt or
/// Decrypt, with the key policy and the role's identity policies (the same on every line).
pub fn repeated(n: usize) -> String {
    let (identity, key_policy) = (identity(), key_policy());
    let mut s = String::new();
    for i in 0..n {
        let action = if i % 2 == 0 {
            "kms:Encrypt"
        } else {
            "kms:Decrypt"
        };
        let line = json!({
            "id": i,
            "principal": "arn:aws:sts::111122223333:assumed-role/openai-ekm/OpenAI-EKM-Service",
            "action": action,
            "resource": KEY,
            "identity_policies": identity,
            "resource_policy": key_policy,
            "context": {"aws:SecureTransport": "true", "aws:RequestedRegion": "us-east-1",
                        "aws:SourceIp": format!("203.0.113.{}", i % 250)}
        });
        s.push_str(&line.to_string());
        s.push('\n');
    }
    s
}

/// splitmix64, seeded with the line number (as the script's `Rng`).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const REGIONS: &[&str] = &[
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-2",
];
const TEAMS: &[&str] = &[
    "payments", "search", "ledger", "media", "identity", "billing", "ml", "support",
];
const KMS_USE: &[&str] = &[
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:GenerateDataKey",
    "kms:ReEncrypt*",
    "kms:DescribeKey",
];
const ADMIN: &[&str] = &["kms:Create*", "kms:Describe*", "kms:Enable*"];
const SERVICES: &[&str] = &["s3", "dynamodb", "secretsmanager", "sqs"];
const VERSION: &str = "2012-10-17";

fn account(r: &mut Rng) -> String {
    format!("{:012}", 100_000_000_000 + r.below(900_000_000_000))
}

fn key_id(r: &mut Rng) -> String {
    let (a, b) = (r.next(), r.next());
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xFFFF,
        a & 0xFFFF,
        b >> 48,
        b & 0xFFFF_FFFF_FFFF
    )
}

fn obj(pairs: Vec<(&str, Value)>) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert(k.to_string(), v);
    }
    Value::Object(m)
}

/// Request `i` of the distinct batch (see `scripts/gen-batch-distinct`).
pub fn distinct_request(i: usize) -> Value {
    let mut r = Rng(i as u64);
    let shape = i % 10;
    let acct = account(&mut r);
    let region = r.pick(REGIONS);
    let team = r.pick(TEAMS);
    let session = format!("{team}-{}", r.below(100_000));
    let key_acct = if shape == 6 {
        account(&mut r)
    } else {
        acct.clone()
    };
    let key = format!("arn:aws:kms:{region}:{key_acct}:key/{}", key_id(&mut r));
    let service = r.pick(SERVICES);
    let (a, b) = (r.below(256), r.below(256));
    let inside = r.below(8) != 0;
    let host = 1 + r.below(250);
    let use_: Vec<&str> = (0..1 + r.below(3) as usize)
        .map(|k| KMS_USE[(i + k) % KMS_USE.len()])
        .collect();
    let mut action = use_[r.below(use_.len() as u64) as usize].replace('*', "From");
    if r.below(10) == 0 {
        action = "kms:ScheduleKeyDeletion".into();
    }
    let granted = if r.below(12) == 0 {
        format!("arn:aws:kms:{region}:{key_acct}:key/{}", key_id(&mut r))
    } else {
        key.clone()
    };
    let deny_network = r.below(4) == 0;
    let via_condition = r.below(2) == 0;
    let admins = r.below(2) == 0;
    let tls_deny = r.below(2) == 0;
    let admin = &ADMIN[..1 + r.below(3) as usize];
    let no_tls = r.below(12) == 0;
    let via_aws = r.below(3) == 0;
    let other_via = r.below(6) == 0;
    let external = format!("ext-{:016x}", r.next());
    let wrong_external = r.below(5) == 0;
    let caller_acct = account(&mut r);

    let role = format!("{team}-app-{i:05}");
    let principal = format!("arn:aws:sts::{acct}:assumed-role/{role}/{session}");
    let role_arn = format!("arn:aws:iam::{acct}:role/{role}");
    let via = format!("{service}.{region}.amazonaws.com");
    let net = format!("10.{a}.{b}.0/24");
    let ip = if inside {
        format!("10.{a}.{b}.{host}")
    } else {
        format!("203.0.113.{host}")
    };
    let capital = format!("{}{}", team[..1].to_ascii_uppercase(), &team[1..]);
    let mut grant = obj(vec![
        ("Sid", json!(format!("Use{capital}{i:05}"))),
        ("Effect", json!("Allow")),
        ("Action", json!(use_)),
        ("Resource", json!(granted)),
    ]);
    if via_condition || shape == 9 {
        let mut equals = Map::new();
        if via_condition {
            equals.insert("kms:ViaService".into(), json!(via));
        }
        if shape == 9 {
            equals.insert("kms:EncryptionContext:team".into(), json!(team));
        }
        grant["Condition"] = json!({"StringEquals": equals});
    }
    let mut identity = vec![json!({"Version": VERSION, "Statement": [grant]})];
    if deny_network {
        identity.push(json!({"Version": VERSION, "Statement": [
            {"Sid": "DenyOutsideNetwork", "Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"NotIpAddress": {"aws:SourceIp": [net, "192.0.2.0/24"]},
                           "Bool": {"aws:ViaAWSService": "false"}}},
            {"Sid": format!("ReadLogs{i:05}"), "Effect": "Allow", "Action": ["logs:Get*", "logs:Describe*"],
             "Resource": format!("arn:aws:logs:{region}:{acct}:log-group:/{team}/{role}/*")}]}));
    }
    let mut statements = vec![json!(
        {"Sid": "EnableIAMUserPermissions", "Effect": "Allow",
         "Principal": {"AWS": format!("arn:aws:iam::{key_acct}:root")}, "Action": "kms:*", "Resource": "*"})];
    if admins {
        statements.push(json!(
            {"Sid": format!("KeyAdmins{i:05}"), "Effect": "Allow",
             "Principal": {"AWS": format!("arn:aws:iam::{key_acct}:role/{team}-key-admin")},
             "Action": admin, "Resource": "*"}));
    }
    if tls_deny {
        statements.push(json!(
            {"Sid": "DenyWithoutTls", "Effect": "Deny", "Principal": "*", "Action": "kms:*",
             "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}));
    }
    if shape == 6 {
        statements.push(json!(
            {"Sid": format!("AllowPartner{i:05}"), "Effect": "Allow", "Principal": {"AWS": role_arn},
             "Action": use_, "Resource": "*",
             "Condition": {"StringEquals": {"kms:CallerAccount": acct}}}));
    }
    let key_policy = json!({"Version": VERSION, "Statement": statements});
    let mut ctx = obj(vec![
        (
            "aws:SecureTransport",
            json!(if no_tls { "false" } else { "true" }),
        ),
        ("aws:SourceIp", json!(ip)),
        ("aws:RequestedRegion", json!(region)),
    ]);
    if deny_network {
        ctx["aws:ViaAWSService"] = json!(if via_aws { "true" } else { "false" });
    }
    if via_condition {
        ctx["kms:ViaService"] = if other_via {
            json!(format!("ec2.{region}.amazonaws.com"))
        } else {
            json!(via)
        };
    }
    let id = format!("req-{i:05}");
    let mut req = obj(vec![
        ("id", json!(id)),
        ("principal", json!(principal)),
        ("action", json!(action)),
        ("resource", json!(key)),
        ("identity_policies", json!(identity)),
        ("resource_policy", key_policy),
    ]);
    if shape == 7 {
        let deploy = format!("arn:aws:iam::{acct}:role/{team}-deploy");
        let caller = format!("arn:aws:iam::{caller_acct}:role/{role}");
        req = obj(vec![
            ("id", json!(id)),
            ("principal", json!(caller)),
            ("action", json!("sts:AssumeRole")),
            ("resource", json!(deploy)),
            (
                "identity_policies",
                json!([{"Version": VERSION, "Statement": [
                    {"Sid": format!("AssumeDeploy{i:05}"), "Effect": "Allow", "Action": "sts:AssumeRole",
                     "Resource": deploy}]}]),
            ),
            (
                "resource_policy",
                json!({"Version": VERSION, "Statement": [
                    {"Sid": format!("TrustPartner{i:05}"), "Effect": "Allow", "Principal": {"AWS": caller},
                     "Action": "sts:AssumeRole",
                     "Condition": {"StringEquals": {"sts:ExternalId": external}}}]}),
            ),
        ]);
        ctx = obj(vec![
            ("aws:SecureTransport", json!("true")),
            ("aws:SourceIp", json!(ip)),
            (
                "sts:ExternalId",
                json!(if wrong_external {
                    "ext-wrong".to_string()
                } else {
                    external
                }),
            ),
        ]);
    }
    if shape == 8 {
        req["permission_boundaries"] = json!([{"Version": VERSION, "Statement": [
            {"Sid": format!("Boundary{i:05}"), "Effect": "Allow",
             "Action": ["kms:*", "logs:*", format!("{service}:*")], "Resource": "*"}]}]);
        req["scps"] = json!([
            [{"Version": VERSION, "Statement": [
                {"Sid": "FullAWSAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}]}],
            [{"Version": VERSION, "Statement": [
                {"Sid": format!("RegionLock{i:05}"), "Effect": "Deny", "NotAction": ["iam:*", "sts:*"],
                 "Resource": "*",
                 "Condition": {"StringNotEquals": {"aws:RequestedRegion": [region, "us-east-1"]}}},
                {"Sid": "AllowAll", "Effect": "Allow", "Action": "*", "Resource": "*"}]}]]);
        req["scp_account"] = json!(acct);
    }
    if shape == 9 {
        ctx.as_object_mut().unwrap().shift_remove("aws:SourceIp");
        req["unknown"] = json!(["aws:SourceIp", "kms:EncryptionContext:*"]);
    }
    req["context"] = ctx;
    req
}

/// `n` requests whose every request carries its own policies, one a line.
pub fn distinct(n: usize) -> String {
    let mut s = String::with_capacity(n * 1200);
    for i in 0..n {
        s.push_str(&distinct_request(i).to_string());
        s.push('\n');
    }
    s
}

/// One policy of `n` statements allowing Encrypt/Decrypt on [`KEY`], one member a line (as
/// pretty printers write it) or all on one line (as `jq -c` and the AWS API write it): the large
/// single documents of `cargo bench --bench eval -- large` and tests/bad_inputs.rs.
pub fn many_statements(n: usize, one_line: bool) -> String {
    let sep = if one_line { "" } else { "\n" };
    let mut s = format!("{{{sep}\"Version\": \"2012-10-17\",{sep}\"Statement\": [{sep}");
    for i in 0..n {
        if i > 0 {
            s.push(',');
            s.push_str(sep);
        }
        s.push_str(&format!(
            "{{{sep}\"Sid\": \"S{i}\",{sep}\"Effect\": \"Allow\",{sep}\"Action\": [\"kms:Decrypt\", \"kms:Encrypt\"],{sep}\"Resource\": \"{KEY}\"{sep}}}"
        ));
    }
    s.push_str(&format!("{sep}]{sep}}}{sep}"));
    s
}
