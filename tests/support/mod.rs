//! Test support for the AWS integration tests: the moto server started by `scripts/test-all`,
//! SDK clients that talk to it, and a loopback proxy that records, delays and fails calls.
#![allow(dead_code)]

pub mod cloudformation;
pub mod openai;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use std::process::Command;

use serde_json::{Value as J, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The emulator's URL, or `None` (with a note) when it is not running. With `CI=true` a missing
/// emulator fails the test instead: CI must never skip these silently.
pub fn moto() -> Option<String> {
    match std::env::var("EKM_TEST_MOTO") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "EKM_TEST_MOTO is not set: run the tests through scripts/test-all, which starts moto"
                );
            }
            eprintln!("skipped: the AWS emulator is not running (run scripts/test-all)");
            None
        }
    }
}

pub const ACCOUNT: &str = "123456789012";

/// A moto server of its own, for a test that creates an organization: moto keeps an account's
/// organization (and the member-to-management map) across `/moto-api/reset`, so organization
/// scenarios never share the suite's server. Started from `EKM_TEST_PYTHON`'s moto (installed
/// by scripts/test-all); with `CI=true` a missing one fails the test. Stopped on drop.
pub struct OwnMoto {
    pub url: String,
    child: std::process::Child,
}

impl Drop for OwnMoto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn own_moto() -> Option<OwnMoto> {
    let python = match std::env::var("EKM_TEST_PYTHON") {
        Ok(p) if !p.is_empty() => p,
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "EKM_TEST_PYTHON is not set: run the tests through scripts/test-all, which installs moto"
                );
            }
            eprintln!("skipped: no moto to start (EKM_TEST_PYTHON; run scripts/test-all)");
            return None;
        }
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(&python)
        .args([
            "-m",
            "moto.server",
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{python} -m moto.server: {e}"));
    let url = format!("http://127.0.0.1:{port}");
    let own = OwnMoto { url, child };
    for _ in 0..300 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(own);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("moto did not start on port {port} within 15 s");
}

/// An SDK configuration with these static credentials (e.g. an assumed role's in moto, whose
/// account they select).
pub async fn sdk_as(endpoint: &str, creds: &Creds) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_kms::config::Credentials::new(
            creds.0.clone(),
            creds.1.clone(),
            creds.2.clone(),
            None,
            "test",
        ))
        .load()
        .await
}

/// Access key, secret, session token.
#[derive(Debug, Clone)]
pub struct Creds(pub String, pub String, pub Option<String>);

impl Creds {
    pub fn test() -> Creds {
        Creds("test".into(), "test".into(), None)
    }
}

pub async fn sdk(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_kms::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .load()
        .await
}

/// A name unique to this test run.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// One call seen by the proxy, with the request and response bodies.
#[derive(Debug, Clone)]
pub struct Seen {
    pub service: String,
    pub operation: String,
    pub request: Vec<u8>,
    pub response: Vec<u8>,
    /// When the proxy received the call, and when it had answered it.
    pub received: std::time::Instant,
    pub answered: Option<std::time::Instant>,
}

/// How many calls had to wait for another's answer, in the longest such chain: the number of
/// sequential rounds the client needed (independent of how fast the machine is).
pub fn rounds(calls: &[Seen]) -> usize {
    let mut depth = vec![0usize; calls.len()];
    let mut order: Vec<usize> = (0..calls.len()).collect();
    order.sort_by_key(|&i| calls[i].received);
    for &i in &order {
        let before = order
            .iter()
            .filter(|&&j| calls[j].answered.is_some_and(|a| a <= calls[i].received))
            .map(|&j| depth[j])
            .max()
            .unwrap_or(0);
        depth[i] = before + 1;
    }
    depth.into_iter().max().unwrap_or(0)
}

/// What to do to an operation's calls.
#[derive(Debug, Clone)]
pub enum Action {
    /// Answer with this AWS error.
    Error { code: String, status: u16 },
    /// Answer the first `times` calls with a throttling error, then forward.
    Throttle { times: usize },
    /// Wait this long before forwarding.
    Slow(Duration),
    /// Send the response's headers and half its body, then close the connection.
    Truncate,
    /// Close the connection without answering.
    Drop,
    /// Answer from the test itself, never from moto: for what moto lacks (CloudTrail's
    /// LookupEvents). The responder gets the request's head and body, and returns the status and
    /// the JSON body.
    Reply(Responder),
}

/// A test's own answer to a call: (request head, request body) -> (status, JSON body).
pub type Respond = dyn Fn(&str, &[u8]) -> (u16, String) + Send + Sync;

#[derive(Clone)]
pub struct Responder(pub Arc<Respond>);

impl std::fmt::Debug for Responder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Responder")
    }
}

impl Fault {
    /// Answer `operation` with `f` instead of forwarding it.
    pub fn reply(
        operation: &str,
        f: impl Fn(&str, &[u8]) -> (u16, String) + Send + Sync + 'static,
    ) -> Fault {
        Fault::new(operation, Action::Reply(Responder(Arc::new(f))))
    }
}

/// The region a SigV4-signed request was signed for (its credential scope).
pub fn signed_region(head: &str) -> String {
    head.split("Credential=")
        .nth(1)
        .and_then(|c| c.split('/').nth(2))
        .unwrap_or_default()
        .to_string()
}

/// A fault to inject on one operation.
#[derive(Debug, Clone)]
pub struct Fault {
    pub operation: String,
    pub action: Action,
    /// Only the calls whose request body contains this text (e.g. one account's role ARN).
    pub when: Option<String>,
}

impl Fault {
    pub fn error(operation: &str, code: &str, status: u16) -> Fault {
        Fault {
            operation: operation.into(),
            action: Action::Error {
                code: code.into(),
                status,
            },
            when: None,
        }
    }
    pub fn new(operation: &str, action: Action) -> Fault {
        Fault {
            operation: operation.into(),
            action,
            when: None,
        }
    }
    /// This fault, only on the calls whose (URL-encoded or JSON) body contains `text`.
    pub fn when(mut self, text: &str) -> Fault {
        self.when = Some(text.into());
        self
    }
}

/// A loopback proxy in front of moto: records every call, delays each by `delay`, and answers
/// the operations in `faults` with an error.
pub struct Proxy {
    pub url: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

pub async fn proxy(upstream: &str, delay: Duration, faults: Vec<Fault>) -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let up = upstream.trim_start_matches("http://").to_string();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    let faults = Arc::new(faults);
    tokio::spawn(async move {
        loop {
            let Ok((conn, _)) = listener.accept().await else {
                return;
            };
            let (up, seen, faults) = (up.clone(), seen2.clone(), faults.clone());
            tokio::spawn(async move {
                let _ = serve(conn, &up, delay, &seen, &faults).await;
            });
        }
    });
    Proxy { url, seen }
}

/// Read one HTTP message (headers, and a Content-Length body) from `s`.
async fn read_message(
    s: &mut TcpStream,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<(Vec<u8>, Vec<u8>)>> {
    loop {
        if let Some(end) = find(buf, b"\r\n\r\n") {
            let head = buf[..end + 4].to_vec();
            let len = header(&head, "content-length")
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let mut chunk = [0u8; 16384];
                let n = s.read(&mut chunk).await?;
                if n == 0 {
                    return Ok(None);
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let body = buf[end + 4..end + 4 + len].to_vec();
            buf.drain(..end + 4 + len);
            return Ok(Some((head, body)));
        }
        let mut chunk = [0u8; 16384];
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

fn header(head: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(head);
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_string())
    })
}

/// The service (from the signature's scope) and operation (X-Amz-Target, or Action=).
fn operation(head: &[u8], body: &[u8]) -> (String, String) {
    let service = header(head, "authorization")
        .and_then(|a| {
            a.split("Credential=")
                .nth(1)
                .map(|c| c.split('/').nth(3).unwrap_or("").to_string())
        })
        .unwrap_or_default();
    if let Some(t) = header(head, "x-amz-target") {
        return (service, t.rsplit('.').next().unwrap_or("").to_string());
    }
    let b = String::from_utf8_lossy(body);
    let op = b
        .split('&')
        .find_map(|kv| kv.strip_prefix("Action="))
        .unwrap_or("")
        .to_string();
    (service, op)
}

fn error_response(service: &str, code: &str, status: u16) -> Vec<u8> {
    let (ctype, body) = if service == "kms" || service == "organizations" || service == "cloudtrail"
    {
        (
            "application/x-amz-json-1.1",
            format!(r#"{{"__type":"{code}","message":"injected by the test proxy"}}"#),
        )
    } else {
        (
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>injected by the test proxy</Message></Error><RequestId>test</RequestId></ErrorResponse>"
            ),
        )
    };
    format!(
        "HTTP/1.1 {status} Error\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nx-amzn-RequestId: test\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

async fn serve(
    mut down: TcpStream,
    upstream: &str,
    delay: Duration,
    seen: &Mutex<Vec<Seen>>,
    faults: &[Fault],
) -> std::io::Result<()> {
    let mut dbuf = Vec::new();
    while let Some((head, body)) = read_message(&mut down, &mut dbuf).await? {
        let (service, op) = operation(&head, &body);
        let index = {
            let mut s = seen.lock().unwrap();
            s.push(Seen {
                service: service.clone(),
                operation: op.clone(),
                request: body.clone(),
                response: Vec::new(),
                received: std::time::Instant::now(),
                answered: None,
            });
            s.len() - 1
        };
        let calls_so_far = seen
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.operation == op)
            .count();
        tokio::time::sleep(delay).await;
        let fault = faults
            .iter()
            .find(|f| {
                // A throttle that has thrown its share gives way to the next fault listed
                // (e.g. a Reply for what moto lacks).
                let spent = matches!(f.action, Action::Throttle { times } if calls_so_far > times);
                f.operation == op
                    && !spent
                    && f.when.as_deref().is_none_or(|w| {
                        let b = String::from_utf8_lossy(&body);
                        b.contains(w) || b.contains(&w.replace(':', "%3A").replace('/', "%2F"))
                    })
            })
            .map(|f| f.action.clone());
        match fault {
            Some(Action::Error { code, status }) => {
                down.write_all(&error_response(&service, &code, status))
                    .await?;
                continue;
            }
            Some(Action::Throttle { times }) if calls_so_far <= times => {
                let code = if service == "kms" || service == "cloudtrail" {
                    "ThrottlingException"
                } else {
                    "Throttling"
                };
                down.write_all(&error_response(&service, code, 400)).await?;
                continue;
            }
            Some(Action::Slow(d)) => tokio::time::sleep(d).await,
            Some(Action::Reply(r)) => {
                let (status, json) = (r.0)(&String::from_utf8_lossy(&head), &body);
                seen.lock().unwrap()[index].response = json.clone().into_bytes();
                let resp = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\nx-amzn-RequestId: test\r\n\r\n{json}",
                    json.len()
                );
                down.write_all(resp.as_bytes()).await?;
                seen.lock().unwrap()[index].answered = Some(std::time::Instant::now());
                continue;
            }
            Some(Action::Drop) => return Ok(()),
            _ => {}
        }
        // One upstream connection per request keeps the proxy simple and correct.
        let mut up = TcpStream::connect(upstream).await?;
        let head_text = String::from_utf8_lossy(&head).replace("\r\nConnection: keep-alive", "");
        up.write_all(head_text.as_bytes()).await?;
        up.write_all(&body).await?;
        let mut ubuf = Vec::new();
        match read_message(&mut up, &mut ubuf).await? {
            Some((rh, rb)) => {
                seen.lock().unwrap()[index].response = rb.clone();
                if matches!(fault, Some(Action::Truncate)) {
                    down.write_all(&rh).await?;
                    down.write_all(&rb[..rb.len() / 2]).await?;
                    return Ok(());
                }
                down.write_all(&rh).await?;
                down.write_all(&rb).await?;
                seen.lock().unwrap()[index].answered = Some(std::time::Instant::now());
            }
            None => return Ok(()),
        }
    }
    Ok(())
}

// The setup of OpenAI's instructions, built through the AWS API, and the CLI run against it.

pub const OPENAI: &str = "arn:aws:iam::790389265272:role/EnterpriseKeyManagement";
pub const XID: &str = "org-AbCdEf0123456789GhIjKlMn";

pub fn trust(external_id: &str) -> String {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": OPENAI}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": external_id}}}]})
    .to_string()
}

pub fn kms_policy(resource: &str) -> String {
    json!({"Version": "2012-10-17", "Statement": [{"Sid": "AllowEncryptDecrypt", "Effect": "Allow",
        "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": resource}]})
    .to_string()
}

/// A setup as OpenAI's instructions build it; returns (key ARN, role ARN, alias ARN).
pub struct Setup {
    pub key: String,
    pub role: String,
    pub alias: String,
    pub role_name: String,
}

pub async fn setup(
    endpoint: &str,
    spec: aws_sdk_kms::types::KeySpec,
    resource_is_alias: bool,
) -> Setup {
    let cfg = sdk(endpoint).await;
    let kms = aws_sdk_kms::Client::new(&cfg);
    let iam = aws_sdk_iam::Client::new(&cfg);
    let usage = if spec == aws_sdk_kms::types::KeySpec::SymmetricDefault {
        aws_sdk_kms::types::KeyUsageType::EncryptDecrypt
    } else {
        aws_sdk_kms::types::KeyUsageType::SignVerify
    };
    let k = kms
        .create_key()
        .key_spec(spec)
        .key_usage(usage)
        .send()
        .await
        .unwrap();
    let meta = k.key_metadata().unwrap();
    let key = meta.arn().unwrap().to_string();
    let alias_name = format!("alias/{}", unique("ekm"));
    kms.create_alias()
        .alias_name(&alias_name)
        .target_key_id(meta.key_id())
        .send()
        .await
        .unwrap();
    let alias = format!("arn:aws:kms:us-east-1:{ACCOUNT}:{alias_name}");
    let role_name = unique("openai-ekm");
    let r = iam
        .create_role()
        .role_name(&role_name)
        .assume_role_policy_document(trust(XID))
        .send()
        .await
        .unwrap();
    let role = r.role().unwrap().arn().to_string();
    let pol = iam
        .create_policy()
        .policy_name(unique("openai-ekm-kms"))
        .policy_document(kms_policy(if resource_is_alias { &alias } else { &key }))
        .send()
        .await
        .unwrap();
    iam.attach_role_policy()
        .role_name(&role_name)
        .policy_arn(pol.policy().unwrap().arn().unwrap())
        .send()
        .await
        .unwrap();
    Setup {
        key,
        role,
        alias,
        role_name,
    }
}

/// Run the CLI against `endpoint` with only loopback in reach: static test credentials, no
/// profile files, no instance metadata.
pub fn ekm(endpoint: &str, args: &[&str]) -> (i32, String, String) {
    ekm_as(endpoint, &Creds::test(), args)
}

/// `ekm` with these credentials.
pub fn ekm_as(endpoint: &str, creds: &Creds, args: &[&str]) -> (i32, String, String) {
    ekm_env(endpoint, creds, &[], args)
}

/// `ekm_as` with these environment variables set last (e.g. a credentials file for a profile).
pub fn ekm_env(
    endpoint: &str,
    creds: &Creds,
    env: &[(&str, &str)],
    args: &[&str],
) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ekm-check"));
    cmd.args(args)
        .args(["--endpoint-url", endpoint])
        .env("AWS_ACCESS_KEY_ID", &creds.0)
        .env("AWS_SECRET_ACCESS_KEY", &creds.1)
        .env_remove("AWS_SESSION_TOKEN");
    if let Some(t) = &creds.2 {
        cmd.env("AWS_SESSION_TOKEN", t);
    }
    let out = cmd
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("EKM_KMS_ARN")
        .env_remove("EKM_ROLE_ARN")
        .env_remove("EKM_EXTERNAL_ID")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

pub fn check(endpoint: &str, kms: &str, role: &str, extra: &[&str]) -> (i32, J) {
    let mut args = vec![
        "check",
        "--kms-arn",
        kms,
        "--role-arn",
        role,
        "--external-id",
        XID,
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let (code, out, err) = ekm(endpoint, &args);
    let v: J = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    (code, v)
}

pub fn status<'a>(v: &'a J, rule: &str) -> &'a str {
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == rule)
        .unwrap()["status"]
        .as_str()
        .unwrap()
}

pub fn message(v: &J, rule: &str) -> String {
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == rule)
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string()
}

// Building an organization on moto (for the tests that start their own server).

/// Create the organization (all features) with SCPs and RCPs enabled on its root: its id and
/// the root's.
pub async fn create_organization(orgs: &aws_sdk_organizations::Client) -> (String, String) {
    use aws_sdk_organizations::types::{OrganizationFeatureSet, PolicyType};
    let o = orgs
        .create_organization()
        .feature_set(OrganizationFeatureSet::All)
        .send()
        .await
        .unwrap();
    let id = o.organization().unwrap().id().unwrap().to_string();
    let root = orgs.list_roots().send().await.unwrap().roots()[0]
        .id()
        .unwrap()
        .to_string();
    for t in [
        PolicyType::ServiceControlPolicy,
        PolicyType::ResourceControlPolicy,
    ] {
        orgs.enable_policy_type()
            .root_id(&root)
            .policy_type(t)
            .send()
            .await
            .unwrap();
    }
    (id, root)
}

/// A new OU under `parent`: its id.
pub async fn create_ou(orgs: &aws_sdk_organizations::Client, parent: &str, name: &str) -> String {
    orgs.create_organizational_unit()
        .parent_id(parent)
        .name(name)
        .send()
        .await
        .unwrap()
        .organizational_unit()
        .unwrap()
        .id()
        .unwrap()
        .to_string()
}

/// A new member account named `name`, moved from `root` into `parent`: its id.
pub async fn create_member(
    orgs: &aws_sdk_organizations::Client,
    name: &str,
    root: &str,
    parent: &str,
) -> String {
    let created = orgs
        .create_account()
        .email(format!("{name}@example.com"))
        .account_name(name)
        .send()
        .await
        .unwrap();
    let status = created.create_account_status().unwrap();
    let id = match status.account_id() {
        Some(a) => a.to_string(),
        None => orgs
            .describe_create_account_status()
            .create_account_request_id(status.id().unwrap())
            .send()
            .await
            .unwrap()
            .create_account_status()
            .unwrap()
            .account_id()
            .unwrap()
            .to_string(),
    };
    orgs.move_account()
        .account_id(&id)
        .source_parent_id(root)
        .destination_parent_id(parent)
        .send()
        .await
        .unwrap();
    id
}

/// A policy of `kind` attached to `target`: its id.
pub async fn attach_new_policy(
    orgs: &aws_sdk_organizations::Client,
    name: &str,
    kind: aws_sdk_organizations::types::PolicyType,
    content: &str,
    target: &str,
) -> String {
    let p = orgs
        .create_policy()
        .name(name)
        .description(name)
        .r#type(kind)
        .content(content)
        .send()
        .await
        .unwrap();
    let id = p
        .policy()
        .unwrap()
        .policy_summary()
        .unwrap()
        .id()
        .unwrap()
        .to_string();
    orgs.attach_policy()
        .policy_id(&id)
        .target_id(target)
        .send()
        .await
        .unwrap();
    id
}

/// The credentials of a member account, through its OrganizationAccountAccessRole (moto
/// switches accounts by the role's ARN).
pub async fn member_creds(url: &str, account: &str) -> Creds {
    let mgmt = sdk(url).await;
    let c = aws_sdk_sts::Client::new(&mgmt)
        .assume_role()
        .role_arn(format!(
            "arn:aws:iam::{account}:role/OrganizationAccountAccessRole"
        ))
        .role_session_name("setup")
        .send()
        .await
        .unwrap();
    let c = c.credentials().unwrap();
    Creds(
        c.access_key_id().into(),
        c.secret_access_key().into(),
        Some(c.session_token().into()),
    )
}
