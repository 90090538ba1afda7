//! Test support for the AWS integration tests: the moto server started by `scripts/test-all`,
//! SDK clients that talk to it, and a loopback proxy that records, delays and fails calls.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

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

/// One call seen by the proxy.
#[derive(Debug, Clone)]
pub struct Seen {
    pub service: String,
    pub operation: String,
}

/// A fault to inject: answer `operation` with this AWS error instead of forwarding it.
#[derive(Debug, Clone)]
pub struct Fault {
    pub operation: String,
    pub code: String,
    pub status: u16,
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

fn error_response(service: &str, f: &Fault) -> Vec<u8> {
    let (ctype, body) = if service == "kms" {
        (
            "application/x-amz-json-1.1",
            format!(
                r#"{{"__type":"{}","message":"injected by the test proxy"}}"#,
                f.code
            ),
        )
    } else {
        (
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>{}</Code><Message>injected by the test proxy</Message></Error><RequestId>test</RequestId></ErrorResponse>",
                f.code
            ),
        )
    };
    format!(
        "HTTP/1.1 {} Error\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nx-amzn-RequestId: test\r\n\r\n{body}",
        f.status,
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
        seen.lock().unwrap().push(Seen {
            service: service.clone(),
            operation: op.clone(),
        });
        tokio::time::sleep(delay).await;
        if let Some(f) = faults.iter().find(|f| f.operation == op) {
            down.write_all(&error_response(&service, f)).await?;
            continue;
        }
        // One upstream connection per request keeps the proxy simple and correct.
        let mut up = TcpStream::connect(upstream).await?;
        let head_text = String::from_utf8_lossy(&head).replace("\r\nConnection: keep-alive", "");
        up.write_all(head_text.as_bytes()).await?;
        up.write_all(&body).await?;
        let mut ubuf = Vec::new();
        match read_message(&mut up, &mut ubuf).await? {
            Some((rh, rb)) => {
                down.write_all(&rh).await?;
                down.write_all(&rb).await?;
            }
            None => return Ok(()),
        }
    }
    Ok(())
}
