//! Evidence of OpenAI's real calls: CloudTrail's event history (`cloudtrail:LookupEvents`,
//! read-only) for the role and the key, into the snapshot part `evidence` (docs/snapshot.md).
//!
//! Lookups (LookupEvents takes one attribute; `ResourceName` = an ARN, every page followed, at
//! most `max_events` events each, newest first):
//! - the role's ARN in us-east-1 (where the global STS endpoint records AssumeRole) and in the
//!   key's region (a regional STS endpoint records it there), keeping `AssumeRole`;
//! - the key's ARN in the key's region, keeping `Encrypt` and `Decrypt`.
//!
//! The lookups of a check, and of every target of an account's scan, run together; each page
//! waits for its Region's turn, two a second, LookupEvents' quota per account and Region.
//!
//! The records are trimmed (`rules::evidence::support::trim`: no credentials, no parameter but
//! the few the rules read). When the window holds no success by OpenAI, the event history is
//! read further back (90 days at most) for OpenAI's last success. A lookup refused or failing
//! makes the whole part `errors["evidence"]` (EKM701/EKM702 `unknown`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_config::{Region, SdkConfig};
use aws_sdk_cloudtrail::primitives::DateTime;
use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
use futures_util::future::join_all;
use serde_json::{Value as J, json};
use tokio::sync::OnceCell;

use super::describe_error;
use crate::rules::evidence::support;

/// CloudTrail's event history keeps 90 days.
pub const HISTORY_DAYS: i64 = 90;
pub const DEFAULT_MAX_EVENTS: usize = 5000;

/// The window to read: seconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub since: i64,
    pub until: i64,
    /// Events read at most per lookup.
    pub max_events: usize,
}

impl Window {
    /// `--since`: `7d`, `36h`, `90m`, or an RFC 3339 time; at most 90 days back.
    pub fn parse(since: &str, max_events: usize, now: i64) -> Result<Window, String> {
        let s = since.trim();
        let secs = |n: &str, unit: i64| -> Result<i64, String> {
            n.parse::<i64>()
                .ok()
                .filter(|v| *v > 0)
                .map(|v| v.saturating_mul(unit))
                .ok_or_else(|| {
                    format!("--since {since:?}: expected a positive number before the unit")
                })
        };
        let start = if let Some(n) = s.strip_suffix('d') {
            now - secs(n, 86400)?
        } else if let Some(n) = s.strip_suffix('h') {
            now - secs(n, 3600)?
        } else if let Some(n) = s.strip_suffix('m') {
            now - secs(n, 60)?
        } else {
            chrono::DateTime::parse_from_rfc3339(s)
                .map_err(|_| {
                    format!(
                        "--since {since:?}: expected a duration (7d, 36h, 90m) or a time (2026-11-21T20:00:00Z)"
                    )
                })?
                .timestamp()
        };
        if start >= now {
            return Err(format!("--since {since:?} is not in the past"));
        }
        if start < now - HISTORY_DAYS * 86400 {
            return Err(format!(
                "--since {since:?} reaches back more than {HISTORY_DAYS} days: CloudTrail's event history keeps 90 days (older events are only in a trail's S3 bucket)"
            ));
        }
        if max_events == 0 {
            return Err("--evidence-max-events must be at least 1".into());
        }
        Ok(Window {
            since: start,
            until: now,
            max_events,
        })
    }
}

pub fn iso(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// One lookup's result.
#[derive(Debug, Clone)]
struct Lookup {
    events: Vec<J>,
    read: usize,
    pages: usize,
    complete: bool,
}

/// Lookups made or under way (a role shared by several `scan` targets is looked up once, even
/// when the targets are read at the same time), and the pace of LookupEvents' pages.
///
/// One `Cache` serves one account: LookupEvents' quota is per account and region.
#[derive(Default)]
pub struct Cache {
    lookups: tokio::sync::Mutex<HashMap<LookupKey, Shared>>,
    pacer: Pacer,
}

/// LookupEvents answers at most two requests a second per account and Region, and throttles
/// the rest ([API reference](https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html)):
/// every page waits for its Region's next turn, 550 ms after the one before, so that
/// lookups in flight together (several targets, several Regions) are not throttled.
#[derive(Default)]
struct Pacer(std::sync::Mutex<HashMap<String, tokio::time::Instant>>);

/// The interval between two LookupEvents requests in one Region: the quota's half second and
/// a margin, since a request leaves a little after its turn and the SDK's retries of a
/// throttled one take no turn of their own.
pub const LOOKUP_INTERVAL: Duration = Duration::from_millis(550);

impl Pacer {
    async fn turn(&self, region: &str) {
        let at = {
            let mut next = self.0.lock().unwrap_or_else(|e| e.into_inner());
            let now = tokio::time::Instant::now();
            let at = next
                .get(region)
                .copied()
                .filter(|t| *t > now)
                .unwrap_or(now);
            next.insert(region.to_string(), at + LOOKUP_INTERVAL);
            at
        };
        tokio::time::sleep_until(at).await;
    }
}

/// A lookup's result, once the first target to ask for it has read it.
type Shared = Arc<OnceCell<Result<Lookup, String>>>;

/// (region, resource, start, end)
type LookupKey = (String, String, i64, i64);

async fn lookup(
    cfg: &SdkConfig,
    pacer: &Pacer,
    region: &str,
    resource: &str,
    (start, end): (i64, i64),
    max_events: usize,
    names: &[&str],
) -> Result<Lookup, String> {
    let conf = aws_sdk_cloudtrail::config::Builder::from(cfg)
        .region(Region::new(region.to_string()))
        .build();
    let ct = aws_sdk_cloudtrail::Client::from_conf(conf);
    let attr = LookupAttribute::builder()
        .attribute_key(LookupAttributeKey::ResourceName)
        .attribute_value(resource)
        .build()
        .map_err(|e| e.to_string())?;
    let mut out = Lookup {
        events: Vec::new(),
        read: 0,
        pages: 0,
        complete: true,
    };
    let mut token: Option<String> = None;
    loop {
        pacer.turn(region).await;
        let r = ct
            .lookup_events()
            .lookup_attributes(attr.clone())
            .start_time(DateTime::from_secs(start))
            .end_time(DateTime::from_secs(end))
            .max_results(50)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| {
                let (code, text) = describe_error(&e);
                let needs = if code
                    .as_deref()
                    .is_some_and(|c| c.contains("AccessDenied") || c.contains("Unauthorized"))
                {
                    " (the checking identity needs cloudtrail:LookupEvents: `ekm-check init --checker-policy --evidence`)"
                } else {
                    ""
                };
                format!("LookupEvents for {resource} in {region}: {text}{needs}")
            })?;
        out.pages += 1;
        for e in r.events() {
            out.read += 1;
            let Some(rec) = e
                .cloud_trail_event()
                .and_then(|s| support::record(&J::String(s.to_string())))
            else {
                continue;
            };
            if rec["eventName"]
                .as_str()
                .is_some_and(|n| names.contains(&n))
            {
                out.events.push(rec);
            }
        }
        match r.next_token() {
            Some(t) if !t.is_empty() && token.as_deref() != Some(t) => {
                if out.read >= max_events {
                    out.complete = false;
                    return Ok(out);
                }
                token = Some(t.to_string());
            }
            _ => return Ok(out),
        }
    }
}

async fn cached(
    cache: &Cache,
    cfg: &SdkConfig,
    region: &str,
    resource: &str,
    w: (i64, i64),
    max_events: usize,
    names: &[&str],
) -> Result<Lookup, String> {
    let k = (region.to_string(), resource.to_string(), w.0, w.1);
    let cell = cache.lookups.lock().await.entry(k).or_default().clone();
    cell.get_or_init(|| lookup(cfg, &cache.pacer, region, resource, w, max_events, names))
        .await
        .clone()
}

/// The lookups for a role and a key: `(region, resource, event names)`.
fn plan(role_arn: &str, key_arn: Option<&str>) -> Vec<(String, String, &'static [&'static str])> {
    const ROLE: &[&str] = &["AssumeRole"];
    const KEY: &[&str] = &["Encrypt", "Decrypt"];
    let key_region = key_arn.and_then(super::region_of).map(str::to_string);
    let mut v = vec![("us-east-1".to_string(), role_arn.to_string(), ROLE)];
    if let Some(r) = &key_region {
        if r != "us-east-1" {
            v.push((r.clone(), role_arn.to_string(), ROLE));
        }
        if let Some(k) = key_arn {
            v.push((r.clone(), k.to_string(), KEY));
        }
    }
    v
}

/// Read the evidence part for a role and its key (the key's ARN, not an alias's).
pub async fn read(
    cfg: &SdkConfig,
    role_arn: &str,
    key_arn: Option<&str>,
    w: &Window,
    cache: &Cache,
) -> Result<J, String> {
    let key_arn = key_arn.filter(|k| k.contains(":key/"));
    let mut events = Vec::new();
    let mut lookups = Vec::new();
    let mut complete = true;
    // The lookups run together (each page in its Region's turn); their results are taken in
    // the plan's order, so that the part and the first error named do not depend on timing.
    let planned = plan(role_arn, key_arn);
    let all = |window: (i64, i64)| {
        join_all(planned.iter().map(move |(region, resource, names)| {
            cached(cache, cfg, region, resource, window, w.max_events, names)
        }))
    };
    let read = all((w.since, w.until)).await;
    for ((region, resource, _), l) in planned.iter().zip(read) {
        let l = l?;
        complete &= l.complete;
        lookups.push(
            json!({"region": region, "resource": resource, "events": l.read,
                            "pages": l.pages, "complete": l.complete}),
        );
        events.extend(l.events);
    }
    events.sort_by(|a, b| a["eventTime"].as_str().cmp(&b["eventTime"].as_str()));
    let keys: Vec<&str> = key_arn.into_iter().collect();
    let succeeded = support::calls_in(&events, role_arn, &keys)
        .iter()
        .any(|c| c.error_code.is_none());
    let mut part = json!({
        "source": "cloudtrail:LookupEvents",
        "since": iso(w.since),
        "until": iso(w.until),
        "complete": complete,
        "lookups": lookups,
        "events": events,
    });
    // No success in the window: OpenAI's last one before it, as far back as the history goes.
    let oldest = w.until - HISTORY_DAYS * 86400;
    if !succeeded && w.since > oldest {
        let read = all((oldest, w.since)).await;
        let before: Vec<J> = read.into_iter().flatten().flat_map(|l| l.events).collect();
        let last = support::calls_in(&before, role_arn, &keys)
            .into_iter()
            .rev()
            .find(|c| c.error_code.is_none());
        if let Some(c) = last {
            part["last_success"] = before[c.index].clone();
        }
    }
    Ok(part)
}

/// Add the evidence part (or `errors["evidence"]`) to a snapshot the loader built.
pub async fn attach(cfg: &SdkConfig, snapshot: &mut J, w: &Window, cache: &Cache) {
    let role = snapshot
        .pointer("/registration/role_arn")
        .and_then(J::as_str)
        .map(str::to_string);
    let key = snapshot
        .pointer("/key/metadata/Arn")
        .and_then(J::as_str)
        .or_else(|| {
            snapshot
                .pointer("/registration/kms_arn")
                .and_then(J::as_str)
        })
        .map(str::to_string);
    let result = match role {
        Some(r) => read(cfg, &r, key.as_deref(), w, cache).await,
        None => Err("no role_arn: there is no role to look up".to_string()),
    };
    let Some(obj) = snapshot.as_object_mut() else {
        return;
    };
    match result {
        Ok(part) => {
            obj.insert("evidence".into(), part);
        }
        Err(e) => {
            let errors = obj.entry("errors").or_insert_with(|| json!({}));
            if let Some(m) = errors.as_object_mut() {
                m.insert("evidence".into(), J::String(e));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows() {
        let now = 1_800_000_000;
        assert_eq!(Window::parse("7d", 10, now).unwrap().since, now - 7 * 86400);
        assert_eq!(
            Window::parse("36h", 10, now).unwrap().since,
            now - 36 * 3600
        );
        assert_eq!(Window::parse("90m", 10, now).unwrap().since, now - 5400);
        let t = iso(now - 3600);
        assert_eq!(Window::parse(&t, 10, now).unwrap().since, now - 3600);
        assert!(Window::parse("91d", 10, now).is_err());
        assert!(Window::parse("0d", 10, now).is_err());
        assert!(Window::parse("soon", 10, now).is_err());
        assert!(Window::parse("7d", 0, now).is_err());
    }

    #[test]
    fn the_role_is_looked_up_where_sts_records_it() {
        let p = plan(
            "arn:aws:iam::1:role/r",
            Some("arn:aws:kms:eu-west-1:1:key/k"),
        );
        let v: Vec<(&str, &str)> = p.iter().map(|(r, x, _)| (r.as_str(), x.as_str())).collect();
        assert_eq!(
            v,
            [
                ("us-east-1", "arn:aws:iam::1:role/r"),
                ("eu-west-1", "arn:aws:iam::1:role/r"),
                ("eu-west-1", "arn:aws:kms:eu-west-1:1:key/k")
            ]
        );
    }
}
