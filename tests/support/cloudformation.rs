//! moto's CloudFormation, through its Query API (form-encoded POST, XML answer) over plain
//! HTTP on loopback: the project has no CloudFormation SDK, and these tests need three calls.
//! moto does not check signatures; the `Authorization` header's credential scope only tells it
//! which service is asked.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;

/// One Query API call: `(HTTP status, body)`.
pub fn call(endpoint: &str, params: &[(&str, &str)]) -> (u16, String) {
    let addr = endpoint
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("{endpoint}: expected http://HOST:PORT"))
        .trim_end_matches('/');
    let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
    assert!(
        host == "127.0.0.1" || host == "localhost",
        "{endpoint}: these tests talk to loopback only"
    );
    let mut body = form(&[("Version", "2010-05-15")]);
    body.push('&');
    body.push_str(&form(params));
    let request = format!(
        "POST / HTTP/1.0\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded; charset=utf-8\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/cloudformation/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut s = TcpStream::connect(addr).unwrap_or_else(|e| panic!("{endpoint}: {e}"));
    s.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).unwrap();
    let answer = String::from_utf8(answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {head}"));
    (status, body.to_string())
}

fn form(params: &[(&str, &str)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The text of every `<tag>…</tag>` in `xml`, unescaped.
pub fn elements(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        let Some(end) = after.find(&close) else { break };
        out.push(unescape(&after[..end]));
        rest = &after[end + close.len()..];
    }
    out
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// A created stack: its outputs, and its resources' physical ids by logical id.
pub struct Stack {
    pub name: String,
    pub outputs: BTreeMap<String, String>,
    pub resources: BTreeMap<String, String>,
}

/// `CreateStack` with this template body, then `DescribeStacks` (the stack must be
/// `CREATE_COMPLETE`: moto creates it synchronously) and `DescribeStackResources`.
pub fn create_stack(endpoint: &str, name: &str, template: &str) -> Stack {
    let (status, body) = call(
        endpoint,
        &[
            ("Action", "CreateStack"),
            ("StackName", name),
            ("TemplateBody", template),
        ],
    );
    assert_eq!(status, 200, "CreateStack {name}: {body}");
    let (status, body) = call(
        endpoint,
        &[("Action", "DescribeStacks"), ("StackName", name)],
    );
    assert_eq!(status, 200, "DescribeStacks {name}: {body}");
    assert_eq!(
        elements(&body, "StackStatus"),
        ["CREATE_COMPLETE"],
        "stack {name}: {body}"
    );
    let outputs = elements(&body, "OutputKey")
        .into_iter()
        .zip(elements(&body, "OutputValue"))
        .collect();
    let (status, body) = call(
        endpoint,
        &[("Action", "DescribeStackResources"), ("StackName", name)],
    );
    assert_eq!(status, 200, "DescribeStackResources {name}: {body}");
    let resources = elements(&body, "LogicalResourceId")
        .into_iter()
        .zip(elements(&body, "PhysicalResourceId"))
        .collect();
    Stack {
        name: name.to_string(),
        outputs,
        resources,
    }
}
