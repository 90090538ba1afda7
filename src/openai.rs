//! OpenAI's Management API, as `register` and `external-keys` call it: register an AWS key
//! (`POST /organization/external_keys`), validate it (`POST …/{id}/validate`), create a project
//! that uses it (`POST /organization/projects`), and list the registered keys (`GET
//! /organization/external_keys`, paginated with `after`/`has_more`).
//!
//! The admin key comes only from `OPENAI_ADMIN_KEY` ([`AdminKey`]: no `Display`, a redacted
//! `Debug`, a header value marked sensitive, and scrubbed from every text OpenAI sends back);
//! the base URL from `OPENAI_BASE_URL` (default `https://api.openai.com/v1`; plain `http` only
//! to a loopback address, so that the key never crosses a network in clear).
//!
//! HTTP client: reqwest, `default-features = false, features = ["rustls"]`: the most used and
//! best kept async client on tokio (which the AWS SDK already runs on), HTTP/1.1 only, and TLS
//! through the same rustls and aws-lc-rs the AWS SDK's default HTTPS client already builds (no
//! second crypto library, no OpenSSL), with the system's trust roots (rustls-platform-verifier).
//! Proxies: `HTTPS_PROXY`/`NO_PROXY` from the environment, as curl reads them.
//!
//! Like the AWS side: a connect and a read timeout per attempt, and up to `max_attempts`
//! attempts on HTTP 429 and 5xx and on connections that could not be made, waiting as OpenAI's
//! `Retry-After`/`retry-after-ms` says (at most [`MAX_RETRY_AFTER`]; a longer wait is not
//! taken and the answer is reported), else exponential backoff with jitter. A timeout after the
//! request was sent is retried only for calls that are safe to repeat (listing, validation):
//! repeating a registration or a project creation could create it twice.

use std::fmt;
use std::time::Duration;

use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderValue,
};
use serde::Serialize;
use serde_json::{Value as J, json};

use crate::error::{Error, Result};

pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
pub const KEY_VAR: &str = "OPENAI_ADMIN_KEY";
pub const BASE_VAR: &str = "OPENAI_BASE_URL";
/// The longest `Retry-After` honoured; a longer one ends the retries.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// Pages of `GET /organization/external_keys` followed at most (100 keys a page).
pub const MAX_PAGES: usize = 100;

/// The admin key. It is never printed: no `Display`, a redacted `Debug`.
pub struct AdminKey(String);

impl fmt::Debug for AdminKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdminKey(<redacted>)")
    }
}

impl AdminKey {
    /// From `OPENAI_ADMIN_KEY`; unset or empty is a usage error (exit 2).
    pub fn from_env() -> Result<AdminKey> {
        let v = std::env::var(KEY_VAR).unwrap_or_default();
        let v = v.trim();
        if v.is_empty() {
            return Err(Error::Usage(format!(
                "{KEY_VAR} is not set: OpenAI's Management API needs an Admin API key (an organization owner creates one at platform.openai.com, Settings, Admin keys); export {KEY_VAR}=… (it is never taken from a flag, and never printed)"
            )));
        }
        if v.bytes().any(|b| !(0x21..0x7f).contains(&b)) {
            return Err(Error::Usage(format!(
                "{KEY_VAR} holds characters an API key cannot have (spaces, quotes or non-ASCII): check how it was exported"
            )));
        }
        Ok(AdminKey(v.to_string()))
    }

    /// For tests and callers that hold the key already.
    pub fn new(key: &str) -> AdminKey {
        AdminKey(key.trim().to_string())
    }

    fn header(&self) -> HeaderValue {
        let mut h = HeaderValue::from_str(&format!("Bearer {}", self.0))
            .unwrap_or_else(|_| HeaderValue::from_static("Bearer"));
        h.set_sensitive(true);
        h
    }

    /// `text` with every occurrence of the key replaced by `$OPENAI_ADMIN_KEY`.
    pub fn scrub(&self, text: &str) -> String {
        if self.0.len() < 4 {
            return text.to_string();
        }
        text.replace(&self.0, "$OPENAI_ADMIN_KEY")
    }
}

/// The API's base URL: `OPENAI_BASE_URL`, else [`DEFAULT_BASE_URL`], without a trailing `/`.
pub fn base_url() -> Result<String> {
    let v = std::env::var(BASE_VAR)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty());
    match v {
        None => Ok(DEFAULT_BASE_URL.to_string()),
        Some(v) => check_base_url(&v).map_err(|why| {
            Error::Usage(format!("{BASE_VAR} {v:?} is not a usable base URL: {why}"))
        }),
    }
}

/// Check a base URL: absolute `https://HOST[:PORT][/PATH]` (or `http` to a loopback address),
/// no credentials, query or fragment.
pub fn check_base_url(v: &str) -> std::result::Result<String, String> {
    let trimmed = v.trim_end_matches('/');
    let u: http::Uri = trimmed.parse().map_err(|_| {
        "expected https://HOST[:PORT]/PATH, e.g. https://api.openai.com/v1".to_string()
    })?;
    let host = u
        .host()
        .filter(|h| !h.is_empty())
        .ok_or("it names no host")?;
    if u.authority().is_some_and(|a| a.as_str().contains('@')) {
        return Err(
            "it holds credentials (user@): the admin key goes only in the Authorization header"
                .into(),
        );
    }
    if u.query().is_some() || trimmed.contains('#') {
        return Err("it has a query or fragment".into());
    }
    match u.scheme_str() {
        Some("https") => {}
        Some("http") if is_loopback(host) => {}
        Some("http") => {
            return Err(
                "plain http sends the admin key unencrypted: use https (http is accepted only to a loopback address)"
                    .into(),
            );
        }
        _ => return Err("expected an https:// URL".into()),
    }
    Ok(trimmed.to_string())
}

fn is_loopback(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost")
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// An id OpenAI returned, safe to put in a URL path (`extkey_…`, `proj_…`).
pub fn safe_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 256
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Timeouts and attempts (the same flags and defaults as the AWS calls).
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    pub max_attempts: u32,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            connect_timeout: crate::aws::DEFAULT_CONNECT_TIMEOUT,
            read_timeout: crate::aws::DEFAULT_READ_TIMEOUT,
            max_attempts: crate::aws::DEFAULT_MAX_ATTEMPTS,
        }
    }
}

/// One call to the API, as it ended: the HTTP answer (after retries), or why there was none.
#[derive(Debug, Clone, Serialize)]
pub struct Exchange {
    pub method: &'static str,
    pub url: String,
    pub attempts: u32,
    /// The last HTTP status; `None` when OpenAI never answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The answer's JSON body (scrubbed of the admin key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<J>,
    /// Why the call failed: OpenAI's own message (verbatim, but for the admin key), or the
    /// connection's error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Exchange {
    /// HTTP 2xx with a JSON body.
    pub fn ok(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s)) && self.error.is_none()
    }

    /// A string field of the answer.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.answer.as_ref()?.get(name)?.as_str()
    }

    /// One line: `POST URL: HTTP 400 (2 attempts)`.
    pub fn describe(&self) -> String {
        let status = match self.status {
            Some(s) => format!("HTTP {s}"),
            None => "no answer".to_string(),
        };
        let attempts = if self.attempts > 1 {
            format!(" ({} attempts)", self.attempts)
        } else {
            String::new()
        };
        format!("{} {}: {status}{attempts}", self.method, self.url)
    }
}

/// OpenAI's message in an error answer: `error.message`, `error` (a string), `message`, else
/// the body as text.
pub fn error_message(body: &J, raw: &str) -> String {
    let pick = |v: &J| -> Option<String> {
        v.pointer("/error/message")
            .and_then(J::as_str)
            .or_else(|| v.get("error").and_then(J::as_str))
            .or_else(|| v.get("message").and_then(J::as_str))
            .or_else(|| v.get("detail").and_then(J::as_str))
            .map(str::to_string)
    };
    pick(body).unwrap_or_else(|| {
        let t = raw.trim();
        if t.is_empty() {
            "(an empty answer)".to_string()
        } else {
            t.chars().take(4000).collect()
        }
    })
}

/// The wait OpenAI asks for: `retry-after-ms`, else `Retry-After` in seconds or as an HTTP date.
fn retry_after(h: &HeaderMap) -> Option<Duration> {
    if let Some(ms) = h
        .get("retry-after-ms")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v >= 0.0)
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    let v = h.get("retry-after")?.to_str().ok()?.trim().to_string();
    if let Ok(s) = v.parse::<f64>() {
        return (s.is_finite() && s >= 0.0).then(|| Duration::from_secs_f64(s));
    }
    let when = chrono::DateTime::parse_from_rfc2822(&v).ok()?;
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let ms = (when.timestamp_millis() - now_ms).max(0);
    Some(Duration::from_millis(ms as u64))
}

/// Exponential backoff with jitter: about 250 ms, 500 ms, 1 s, … (at most 8 s), each between
/// half and all of it.
fn backoff(attempt: u32) -> Duration {
    let base = 250u64
        .saturating_mul(1 << attempt.saturating_sub(1).min(5))
        .min(8000);
    let mut b = [0u8; 2];
    let r = if getrandom::fill(&mut b).is_ok() {
        u16::from_le_bytes(b) as u64
    } else {
        0x8000
    };
    Duration::from_millis(base / 2 + (base / 2) * r / 0xffff)
}

/// The API client.
pub struct Api {
    base: String,
    key: AdminKey,
    http: reqwest::Client,
    settings: Settings,
}

impl fmt::Debug for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Api")
            .field("base", &self.base)
            .field("key", &self.key)
            .finish()
    }
}

impl Api {
    pub fn new(base: &str, key: AdminKey, settings: Settings) -> Result<Api> {
        let http = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .read_timeout(settings.read_timeout)
            .user_agent(concat!("ekm-check/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Usage(format!("cannot set up the HTTPS client: {e}")))?;
        Ok(Api {
            base: base.trim_end_matches('/').to_string(),
            key,
            http,
            settings,
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Send one request, retrying as the module says.
    pub async fn send(
        &self,
        method: &'static str,
        path: &str,
        body: Option<&J>,
        idempotent: bool,
    ) -> Exchange {
        let url = format!("{}{path}", self.base);
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt >= self.settings.max_attempts.max(1);
            let mut req = self
                .http
                .request(m.clone(), &url)
                .header(AUTHORIZATION, self.key.header())
                .header(ACCEPT, "application/json");
            match body {
                Some(b) => {
                    req = req
                        .header(CONTENT_TYPE, "application/json")
                        .body(serde_json::to_vec(b).unwrap_or_default());
                }
                None if method == "POST" => req = req.header(CONTENT_LENGTH, "0"),
                None => {}
            }
            let mut ex = Exchange {
                method,
                url: url.clone(),
                attempts: attempt,
                status: None,
                answer: None,
                error: None,
            };
            match req.send().await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let wait = retry_after(resp.headers());
                    let bytes = resp.bytes().await;
                    let retryable = status == 429 || status >= 500;
                    if retryable && !last {
                        let w = wait.unwrap_or_else(|| backoff(attempt));
                        if w <= MAX_RETRY_AFTER {
                            tokio::time::sleep(w).await;
                            continue;
                        }
                    }
                    ex.status = Some(status);
                    let raw = match bytes {
                        Ok(b) => self.key.scrub(&String::from_utf8_lossy(&b)),
                        Err(e) => {
                            ex.error = Some(format!(
                                "the answer (HTTP {status}) was cut off: {}",
                                self.key.scrub(&chain(&e))
                            ));
                            return ex;
                        }
                    };
                    let parsed = serde_json::from_str::<J>(&raw).ok();
                    if (200..300).contains(&status) {
                        match parsed {
                            Some(v) => ex.answer = Some(v),
                            None => {
                                ex.error = Some(format!(
                                    "HTTP {status}, but the answer is not JSON: {}",
                                    raw.trim().chars().take(400).collect::<String>()
                                ))
                            }
                        }
                    } else {
                        let v = parsed.clone().unwrap_or(J::Null);
                        ex.error = Some(error_message(&v, &raw));
                        if retryable {
                            if let Some(w) = wait.filter(|w| *w > MAX_RETRY_AFTER) {
                                ex.error = Some(format!(
                                    "{} (OpenAI asked to retry after {} s, longer than ekm-check waits)",
                                    ex.error.unwrap_or_default(),
                                    w.as_secs()
                                ));
                            }
                        }
                        ex.answer = parsed;
                    }
                    return ex;
                }
                Err(e) => {
                    let retry = e.is_connect() || (idempotent && e.is_timeout());
                    if retry && !last {
                        tokio::time::sleep(backoff(attempt)).await;
                        continue;
                    }
                    let mut why = self.key.scrub(&chain(&e));
                    if e.is_timeout() && !idempotent {
                        why.push_str(
                            " (the request was sent: OpenAI may have carried it out; look before repeating it, e.g. `ekm-check external-keys`)",
                        );
                    }
                    ex.error = Some(why);
                    return ex;
                }
            }
        }
    }

    /// `POST /organization/external_keys` with exactly the contract's body.
    pub async fn register(&self, body: &J) -> Exchange {
        self.send("POST", "/organization/external_keys", Some(body), false)
            .await
    }

    /// `POST /organization/external_keys/{id}/validate`.
    pub async fn validate(&self, id: &str) -> Exchange {
        self.send(
            "POST",
            &format!("/organization/external_keys/{id}/validate"),
            None,
            true,
        )
        .await
    }

    /// `POST /organization/projects` with `{"name", "external_key_id"}`.
    pub async fn create_project(&self, name: &str, external_key_id: &str) -> Exchange {
        let body = project_body(name, external_key_id);
        self.send("POST", "/organization/projects", Some(&body), false)
            .await
    }

    /// Every registered key: `GET /organization/external_keys?limit=100`, then `&after=LAST_ID`
    /// while `has_more`. Returns the keys and the exchanges; `Err` with the failed exchange.
    pub async fn list_external_keys(&self) -> std::result::Result<(Vec<J>, usize), Exchange> {
        let mut keys = Vec::new();
        let mut after: Option<String> = None;
        for page in 1..=MAX_PAGES {
            let path = match &after {
                Some(a) => format!("/organization/external_keys?limit=100&after={a}"),
                None => "/organization/external_keys?limit=100".to_string(),
            };
            let mut ex = self.send("GET", &path, None, true).await;
            if !ex.ok() {
                return Err(ex);
            }
            let body = ex.answer.clone().unwrap_or(J::Null);
            let Some(data) = body.get("data").and_then(J::as_array) else {
                ex.error = Some("the answer has no \"data\" list".into());
                return Err(ex);
            };
            keys.extend(data.iter().cloned());
            if body.get("has_more").and_then(J::as_bool) != Some(true) {
                return Ok((keys, page));
            }
            let next = body
                .get("last_id")
                .and_then(J::as_str)
                .or_else(|| data.last().and_then(|k| k.get("id")).and_then(J::as_str))
                .map(str::to_string);
            match next {
                Some(n) if safe_id(&n) && after.as_deref() != Some(n.as_str()) => after = Some(n),
                _ => {
                    ex.error = Some(
                        "the answer says has_more but gives no new last_id to continue after"
                            .into(),
                    );
                    return Err(ex);
                }
            }
        }
        let ex = Exchange {
            method: "GET",
            url: format!("{}/organization/external_keys", self.base),
            attempts: 0,
            status: None,
            answer: None,
            error: Some(format!(
                "more than {MAX_PAGES} pages of keys: stopped following has_more"
            )),
        };
        Err(ex)
    }
}

/// The register body, exactly `{"type": "aws", "name", "role_arn", "kms_arn", "external_id"}`.
pub fn register_body(name: &str, role_arn: &str, kms_arn: &str, external_id: &str) -> J {
    json!({
        "type": "aws",
        "name": name,
        "role_arn": role_arn,
        "kms_arn": kms_arn,
        "external_id": external_id,
    })
}

/// The project body, `{"name", "external_key_id"}`.
pub fn project_body(name: &str, external_key_id: &str) -> J {
    json!({"name": name, "external_key_id": external_key_id})
}

/// Does a validation status say the key does not work? OpenAI does not document its values:
/// anything that reads as a failure (`invalid`, `failed`, `error`, `denied`, `unauthorized`,
/// `forbidden`, `inaccessible`, `revoked`) is one; a missing status is one too (nothing says it
/// works).
pub fn status_is_failure(status: Option<&str>) -> bool {
    let Some(s) = status else { return true };
    let s = s.trim().to_ascii_lowercase();
    s.is_empty()
        || [
            "invalid",
            "fail",
            "error",
            "denied",
            "unauthori",
            "forbidden",
            "inaccessible",
            "revoked",
            "not_valid",
            "not valid",
        ]
        .iter()
        .any(|w| s.contains(w))
}

/// The message a validation answer carries beside its status, if any.
pub fn validation_message(answer: &J) -> Option<String> {
    for p in [
        "/error/message",
        "/error",
        "/message",
        "/reason",
        "/detail",
        "/details",
    ] {
        match answer.pointer(p) {
            Some(J::String(s)) if !s.trim().is_empty() => return Some(s.clone()),
            _ => {}
        }
    }
    None
}

/// An error and its causes, each once.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(err) = cur {
        let s = err.to_string();
        if !s.is_empty() && !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = err.source();
    }
    parts.join(": ")
}

// The same requests as `curl` commands (`register --dry-run`).

/// `s` as one shell word in single quotes (`'` written as `'\''`).
pub fn sq(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A URL whose path holds `$EXTERNAL_KEY_ID`: double-quoted when nothing else in it expands.
fn url_with_id(prefix: &str, suffix: &str) -> String {
    let plain = |s: &str| !s.contains(['"', '$', '`', '\\', '!']);
    if plain(prefix) && plain(suffix) {
        format!("\"{prefix}$EXTERNAL_KEY_ID{suffix}\"")
    } else {
        format!("{}\"$EXTERNAL_KEY_ID\"{}", sq(prefix), sq(suffix))
    }
}

/// The requests `register` would send, as copy-pasteable `curl` commands (the key as
/// `$OPENAI_ADMIN_KEY`, the JSON body in single quotes, no blank line inside a command).
pub fn curl_commands(base: &str, register: &J, project_name: Option<&str>) -> String {
    let auth = "-H \"Authorization: Bearer $OPENAI_ADMIN_KEY\"";
    let mut s = String::new();
    s.push_str("# 1. Register the key; OpenAI answers with the key object, whose \"id\" (extkey_...) the next steps use.\n");
    s.push_str(&format!(
        "curl -sS -X POST {} \\\n  {auth} \\\n  -H 'Content-Type: application/json' \\\n  -d {}\n",
        sq(&format!("{base}/organization/external_keys")),
        sq(&register.to_string())
    ));
    s.push_str("# 2. Validate it: first set EXTERNAL_KEY_ID to that id, e.g. EXTERNAL_KEY_ID=extkey_abc123\n");
    s.push_str(&format!(
        "curl -sS -X POST {} \\\n  {auth} \\\n  -H 'Content-Length: 0'\n",
        url_with_id(&format!("{base}/organization/external_keys/"), "/validate")
    ));
    if let Some(p) = project_name {
        let name = serde_json::to_string(p).unwrap_or_default();
        let body = format!(
            "{}\"$EXTERNAL_KEY_ID\"{}",
            sq(&format!("{{\"name\":{name},\"external_key_id\":\"")),
            sq("\"}")
        );
        s.push_str("# 3. Create the project that uses the key.\n");
        s.push_str(&format!(
            "curl -sS -X POST {} \\\n  {auth} \\\n  -H 'Content-Type: application/json' \\\n  -d {body}\n",
            sq(&format!("{base}/organization/projects"))
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_never_shows() {
        let k = AdminKey::new("sk-admin-SECRET1234");
        assert_eq!(format!("{k:?}"), "AdminKey(<redacted>)");
        assert!(!format!("{:?}", k.header()).contains("SECRET"));
        assert_eq!(
            k.scrub("Incorrect API key provided: sk-admin-SECRET1234."),
            "Incorrect API key provided: $OPENAI_ADMIN_KEY."
        );
    }

    #[test]
    fn base_urls() {
        assert_eq!(
            check_base_url("https://api.openai.com/v1/").unwrap(),
            "https://api.openai.com/v1"
        );
        assert!(check_base_url("http://127.0.0.1:8080/v1").is_ok());
        assert!(check_base_url("http://[::1]:8080/v1").is_ok());
        assert!(check_base_url("http://localhost/v1").is_ok());
        assert!(check_base_url("http://api.openai.com/v1").is_err());
        assert!(check_base_url("https://user:pw@api.openai.com/v1").is_err());
        assert!(check_base_url("api.openai.com").is_err());
        assert!(check_base_url("https://api.openai.com/v1?x=1").is_err());
    }

    #[test]
    fn statuses() {
        for s in ["invalid", "FAILED", "error", "access_denied", "not_valid"] {
            assert!(status_is_failure(Some(s)), "{s}");
        }
        for s in ["valid", "ok", "success", "active", "pending"] {
            assert!(!status_is_failure(Some(s)), "{s}");
        }
        assert!(status_is_failure(None));
    }

    #[test]
    fn retry_after_forms() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after-ms", HeaderValue::from_static("150"));
        assert_eq!(retry_after(&h), Some(Duration::from_millis(150)));
        let mut h = HeaderMap::new();
        h.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        for a in 1..10 {
            assert!(backoff(a) <= Duration::from_secs(8));
        }
    }

    #[test]
    fn ids_in_paths() {
        assert!(safe_id("extkey_abc-123"));
        assert!(!safe_id("../x"));
        assert!(!safe_id("a/b"));
        assert!(!safe_id(""));
    }

    #[test]
    fn error_messages() {
        let v = json!({"error": {"message": "User: x is not authorized", "type": "invalid_request_error"}});
        assert_eq!(error_message(&v, ""), "User: x is not authorized");
        assert_eq!(
            error_message(&J::Null, " gateway timeout \n"),
            "gateway timeout"
        );
    }
}
