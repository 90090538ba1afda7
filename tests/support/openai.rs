//! A loopback stand-in for OpenAI's Management API: records every request (method, path,
//! headers, body) and answers with a scripted handler. Plain HTTP/1.1 on 127.0.0.1, one request
//! per connection (`Connection: close`), on its own threads; it lives until the test ends.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value as J, json};

/// One request as the stand-in received it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The path with its query, e.g. `/v1/organization/external_keys?limit=100`.
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> J {
        serde_json::from_slice(&self.body).unwrap_or(J::Null)
    }
    /// The path without the query.
    pub fn route(&self) -> &str {
        self.path.split('?').next().unwrap_or_default()
    }
}

/// The answer to one request.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// Wait this long before answering (a slow or hanging server).
    pub delay: Duration,
}

impl Reply {
    pub fn json(status: u16, v: J) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: v.to_string(),
            delay: Duration::ZERO,
        }
    }
    /// OpenAI's error shape: `{"error": {"message", "type", "param", "code"}}`.
    pub fn error(status: u16, message: &str) -> Reply {
        Reply::json(
            status,
            json!({"error": {"message": message, "type": "invalid_request_error", "param": null, "code": null}}),
        )
    }
    pub fn header(mut self, k: &str, v: &str) -> Reply {
        self.headers.push((k.into(), v.into()));
        self
    }
    pub fn after(mut self, d: Duration) -> Reply {
        self.delay = d;
        self
    }
}

/// The handler: the request and how many requests came before it.
pub type Handler = Arc<dyn Fn(&Request, usize) -> Reply + Send + Sync>;

pub struct OpenAi {
    /// The base URL to give as OPENAI_BASE_URL: `http://127.0.0.1:PORT/v1`.
    pub base: String,
    pub seen: Arc<Mutex<Vec<Request>>>,
}

impl OpenAi {
    pub fn requests(&self) -> Vec<Request> {
        self.seen.lock().unwrap().clone()
    }
    /// How many requests went to this route (path without query) with this method.
    pub fn count(&self, method: &str, route: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.method == method && r.route() == route)
            .count()
    }
}

pub const KEY_ID: &str = "extkey_0123456789abcdef";
pub const PROJECT_ID: &str = "proj_fedcba9876543210";

/// OpenAI as its reference describes it: register returns the ExternalKey object, validate
/// `{"status": "valid"}`, project creation the Project object; listing has two pages.
pub fn happy(r: &Request, _n: usize) -> Reply {
    match (r.method.as_str(), r.route()) {
        ("POST", "/v1/organization/external_keys") => {
            let b = r.json();
            Reply::json(
                200,
                json!({"object": "external_key", "id": KEY_ID, "name": b["name"], "type": "aws",
                       "created_at": 1764360000, "api_project_ids": [], "workspace_id": null}),
            )
        }
        ("POST", p) if p.ends_with("/validate") => Reply::json(200, json!({"status": "valid"})),
        ("POST", "/v1/organization/projects") => {
            let b = r.json();
            Reply::json(
                200,
                json!({"object": "organization.project", "id": PROJECT_ID, "name": b["name"],
                       "created_at": 1764360001, "status": "active",
                       "external_key_id": b["external_key_id"]}),
            )
        }
        ("GET", "/v1/organization/external_keys") => {
            if r.path.contains("after=extkey_page1last") {
                Reply::json(
                    200,
                    json!({"object": "list", "data": [
                        {"object": "external_key", "id": "extkey_page2a", "name": "old", "type": "aws",
                         "created_at": 1700000000, "api_project_ids": []}],
                        "first_id": "extkey_page2a", "last_id": "extkey_page2a", "has_more": false}),
                )
            } else {
                Reply::json(
                    200,
                    json!({"object": "list", "data": [
                        {"object": "external_key", "id": KEY_ID, "name": "prod", "type": "aws",
                         "created_at": 1764360000, "api_project_ids": [PROJECT_ID]},
                        {"object": "external_key", "id": "extkey_page1last", "name": "staging", "type": "aws",
                         "created_at": 1764000000, "api_project_ids": []}],
                        "first_id": KEY_ID, "last_id": "extkey_page1last", "has_more": true}),
                )
            }
        }
        _ => Reply::error(404, &format!("no route {} {}", r.method, r.path)),
    }
}

pub fn start(handler: Handler) -> OpenAi {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { return };
            let (seen, handler) = (seen2.clone(), handler.clone());
            std::thread::spawn(move || {
                let _ = serve(conn, &seen, &handler);
            });
        }
    });
    OpenAi { base, seen }
}

fn serve(mut s: TcpStream, seen: &Mutex<Vec<Request>>, handler: &Handler) -> std::io::Result<()> {
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = s.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_string();
    let mut lines = head.split("\r\n");
    let first = lines.next().unwrap_or_default();
    let mut parts = first.split(' ');
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let len = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = buf[end + 4..].to_vec();
    while body.len() < len {
        let n = s.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(len);
    let req = Request {
        method,
        path,
        headers,
        body,
    };
    let n = {
        let mut v = seen.lock().unwrap();
        v.push(req.clone());
        v.len() - 1
    };
    let reply = handler(&req, n);
    std::thread::sleep(reply.delay);
    let mut out = format!(
        "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        reply.status,
        reply.body.len()
    );
    for (k, v) in &reply.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&reply.body);
    s.write_all(out.as_bytes())?;
    s.flush()
}

/// Split shell text into commands and words as bash would for the forms `register --dry-run`
/// prints: `'…'`, `"…"` (with `$VAR`, `${VAR}` and `\` escapes), bare `$VAR`, `\` + newline,
/// `#` comments, and newlines between commands. `vars` gives the variables' values.
pub fn shell_split(text: &str, vars: &[(&str, &str)]) -> Vec<Vec<String>> {
    let lookup = |name: &str| -> String {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
            .unwrap_or_else(|| panic!("${name} is not set"))
    };
    let c: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut cmds: Vec<Vec<String>> = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut w: Option<String> = None;
    let var = |c: &[char], i: &mut usize| -> String {
        // at '$'
        *i += 1;
        let braced = c.get(*i) == Some(&'{');
        if braced {
            *i += 1;
        }
        let start = *i;
        while *i < c.len() && (c[*i].is_ascii_alphanumeric() || c[*i] == '_') {
            *i += 1;
        }
        let name: String = c[start..*i].iter().collect();
        if braced {
            assert_eq!(c.get(*i), Some(&'}'), "unclosed ${{");
            *i += 1;
        }
        name
    };
    while i < c.len() {
        let ch = c[i];
        match ch {
            '#' if w.is_none() => {
                while i < c.len() && c[i] != '\n' {
                    i += 1;
                }
            }
            ' ' | '\t' => {
                if let Some(x) = w.take() {
                    words.push(x);
                }
                i += 1;
            }
            '\n' => {
                if let Some(x) = w.take() {
                    words.push(x);
                }
                if !words.is_empty() {
                    cmds.push(std::mem::take(&mut words));
                }
                i += 1;
            }
            '\\' => {
                if c.get(i + 1) == Some(&'\n') {
                    i += 2;
                } else {
                    w.get_or_insert_with(String::new).push(c[i + 1]);
                    i += 2;
                }
            }
            '\'' => {
                let s = w.get_or_insert_with(String::new);
                i += 1;
                while c[i] != '\'' {
                    s.push(c[i]);
                    i += 1;
                }
                i += 1;
            }
            '"' => {
                w.get_or_insert_with(String::new);
                i += 1;
                while c[i] != '"' {
                    match c[i] {
                        '\\' if matches!(c[i + 1], '$' | '`' | '"' | '\\' | '\n') => {
                            if c[i + 1] != '\n' {
                                w.as_mut().unwrap().push(c[i + 1]);
                            }
                            i += 2;
                        }
                        '$' => {
                            let name = var(&c, &mut i);
                            w.as_mut().unwrap().push_str(&lookup(&name));
                        }
                        '`' => panic!("command substitution in the printed command"),
                        x => {
                            w.as_mut().unwrap().push(x);
                            i += 1;
                        }
                    }
                }
                i += 1;
            }
            '$' => {
                let name = var(&c, &mut i);
                w.get_or_insert_with(String::new).push_str(&lookup(&name));
            }
            ';' | '|' | '&' | '<' | '>' | '(' | ')' | '`' => {
                panic!("shell operator {ch:?} in the printed commands")
            }
            x => {
                w.get_or_insert_with(String::new).push(x);
                i += 1;
            }
        }
    }
    if let Some(x) = w.take() {
        words.push(x);
    }
    if !words.is_empty() {
        cmds.push(words);
    }
    cmds
}

/// A curl command line read back: method, URL, headers, body.
#[derive(Debug, PartialEq)]
pub struct Curl {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

pub fn parse_curl(words: &[String]) -> Curl {
    assert_eq!(words[0], "curl", "{words:?}");
    let mut c = Curl {
        method: "GET".into(),
        url: String::new(),
        headers: Vec::new(),
        body: None,
    };
    let mut i = 1;
    while i < words.len() {
        match words[i].as_str() {
            "-sS" | "-s" | "-S" => {}
            "-X" => {
                i += 1;
                c.method = words[i].clone();
            }
            "-H" => {
                i += 1;
                let (k, v) = words[i].split_once(':').expect("a header");
                c.headers.push((k.trim().to_string(), v.trim().to_string()));
            }
            "-d" | "--data-raw" | "--data-binary" => {
                i += 1;
                c.body = Some(words[i].clone());
            }
            w if w.starts_with('-') => panic!("unexpected curl option {w}"),
            w => c.url = w.to_string(),
        }
        i += 1;
    }
    c
}
