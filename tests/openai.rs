//! `register` and `external-keys` against a loopback stand-in for OpenAI's Management API
//! (tests/support/openai.rs), which records every request: the exact bodies and headers, the
//! ids carried from one call to the next, no request at all when the check is not ready or with
//! `--dry-run` (whose curl commands are read back and compared, and run), OpenAI's refusals
//! shown verbatim and diagnosed, 429/5xx retried, and the admin key in no output.

mod support;

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value as J, json};
use support::openai::{self, KEY_ID, OpenAi, PROJECT_ID, Reply, Request};

const KEY: &str = "sk-admin-TESTONLY-7f3a9c1e5b2d4f6a8c0e";
const ASSUME: &str = "User: arn:aws:sts::xxxxx:assumed-role/EnterpriseKeyManagement/OpenAI-EKM-Service is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::xxxxx:role/xxxxxx";
const ENCRYPT: &str = "User: xxxxx is not authorized to perform: kms:Encrypt on resource";

fn snap(fixture: &str) -> String {
    format!(
        "{}/fixtures/{fixture}/snapshot.json",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn baseline_json() -> J {
    serde_json::from_str(&std::fs::read_to_string(snap("ok-baseline")).unwrap()).unwrap()
}

/// Run ekm-check with the stand-in as OpenAI and the key in OPENAI_ADMIN_KEY (unless `key` is
/// None); nothing else in reach.
fn ekm(
    api: Option<&OpenAi>,
    key: Option<&str>,
    args: &[&str],
    env: &[(&str, &str)],
) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ekm-check"));
    cmd.args(args)
        .env_remove("EKM_KMS_ARN")
        .env_remove("EKM_ROLE_ARN")
        .env_remove("EKM_EXTERNAL_ID")
        .env_remove("OPENAI_ADMIN_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
    if let Some(a) = api {
        cmd.env("OPENAI_BASE_URL", &a.base);
    }
    if let Some(k) = key {
        cmd.env("OPENAI_ADMIN_KEY", k);
    }
    cmd.envs(env.iter().copied());
    let out = cmd.output().unwrap();
    let (o, e) = (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    );
    // Whatever happened, the admin key is in no output.
    assert!(
        !o.contains(KEY) && !e.contains(KEY),
        "the admin key was printed:\n{o}\n{e}"
    );
    assert!(
        !o.contains("TESTONLY") && !e.contains("TESTONLY"),
        "part of the key was printed:\n{o}\n{e}"
    );
    (out.status.code().unwrap_or(-1), o, e)
}

fn happy() -> OpenAi {
    openai::start(Arc::new(openai::happy))
}

fn register(api: &OpenAi, fixture: &str, extra: &[&str]) -> (i32, String, String) {
    let s = snap(fixture);
    let mut args = vec!["register", "--name", "prod-ekm", "--snapshot", &s];
    args.extend_from_slice(extra);
    ekm(Some(api), Some(KEY), &args, &[])
}

#[test]
fn register_sends_exactly_the_contracts_three_calls() {
    let api = happy();
    let (code, out, err) = register(&api, "ok-baseline", &["--project-name", "EKM pilot"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let reqs = api.requests();
    assert_eq!(reqs.len(), 3, "{reqs:#?}");
    let reg = baseline_json()["registration"].clone();
    // 1. register: exactly the five fields.
    let r = &reqs[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/v1/organization/external_keys")
    );
    assert_eq!(
        r.json(),
        json!({"type": "aws", "name": "prod-ekm", "role_arn": reg["role_arn"],
               "kms_arn": reg["kms_arn"], "external_id": reg["external_id"]})
    );
    assert_eq!(r.json().as_object().unwrap().len(), 5);
    for r in &reqs {
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {KEY}").as_str()),
            "{r:?}"
        );
        assert_eq!(r.header("accept"), Some("application/json"));
    }
    assert_eq!(reqs[0].header("content-type"), Some("application/json"));
    // 2. validate, with the id OpenAI returned.
    assert_eq!(reqs[1].method, "POST");
    assert_eq!(
        reqs[1].path,
        format!("/v1/organization/external_keys/{KEY_ID}/validate")
    );
    assert!(reqs[1].body.is_empty());
    assert_eq!(reqs[1].header("content-length"), Some("0"));
    assert_eq!(
        reqs[1]
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .count(),
        1,
        "one Content-Length: {:?}",
        reqs[1].headers
    );
    // 3. the project, with the key's id.
    assert_eq!(
        (reqs[2].method.as_str(), reqs[2].path.as_str()),
        ("POST", "/v1/organization/projects")
    );
    assert_eq!(
        reqs[2].json(),
        json!({"name": "EKM pilot", "external_key_id": KEY_ID})
    );
    assert_eq!(reqs[2].header("content-type"), Some("application/json"));
    // The ids and the status, as OpenAI returned them.
    assert!(out.contains(&format!("external key: {KEY_ID}")), "{out}");
    assert!(out.contains("validation status: valid"), "{out}");
    assert!(out.contains(&format!("project: {PROJECT_ID}")), "{out}");

    // The same as JSON.
    let api = happy();
    let (code, out, _) = register(&api, "ok-baseline", &["--format", "json"]);
    assert_eq!(code, 0);
    let v: J = serde_json::from_str(&out).unwrap();
    assert_eq!(v["format"], "ekm-check.register/v1");
    assert_eq!(v["external_key_id"], KEY_ID);
    assert_eq!(v["validation_status"], "valid");
    assert!(v.get("project_id").is_none());
    assert_eq!(v["calls"].as_array().unwrap().len(), 2);
    assert_eq!(api.requests().len(), 2, "no project without --project-name");
}

#[test]
fn nothing_is_sent_when_the_check_is_not_ready_or_the_key_is_missing() {
    let api = happy();
    let (code, out, _) = register(
        &api,
        "fail-ekm304-alias-in-resource",
        &["--project-name", "p"],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("not registered: the check's verdict is not-ready"),
        "{out}"
    );
    assert!(
        out.contains("EKM304"),
        "the check's findings are shown: {out}"
    );
    let (code, _, _) = register(&api, "fail-ekm304-alias-in-resource", &["--dry-run"]);
    assert_eq!(code, 1);
    // No OPENAI_ADMIN_KEY: a usage error before anything is read or sent.
    let s = snap("ok-baseline");
    let (code, _, err) = ekm(
        Some(&api),
        None,
        &["register", "--name", "x", "--snapshot", &s],
        &[],
    );
    assert_eq!(code, 2);
    assert!(err.contains("OPENAI_ADMIN_KEY is not set"), "{err}");
    // Plain http to a host that is not loopback would send the key in clear.
    let (code, _, err) = ekm(
        None,
        Some(KEY),
        &["register", "--name", "x", "--snapshot", &s],
        &[("OPENAI_BASE_URL", "http://api.openai.com/v1")],
    );
    assert_eq!(code, 2);
    assert!(err.contains("plain http"), "{err}");
    assert!(api.requests().is_empty(), "{:#?}", api.requests());
}

#[test]
fn force_registers_a_setup_that_is_not_ready() {
    let api = happy();
    let (code, out, _) = register(&api, "fail-ekm304-alias-in-resource", &["--force"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("--force: registering although the verdict is not-ready"),
        "{out}"
    );
    assert_eq!(api.requests().len(), 2);
}

#[test]
fn dry_run_prints_curl_commands_that_send_the_same_requests() {
    // A name with a quote and a dollar: the quoting must hold.
    let name = "it's $HOME";
    let project = "pilot \"EKM\" 'one'";
    let dry = happy();
    let s = snap("ok-baseline");
    let (code, out, _) = ekm(
        Some(&dry),
        None,
        &[
            "register",
            "--name",
            name,
            "--project-name",
            project,
            "--snapshot",
            &s,
            "--dry-run",
        ],
        &[],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        dry.requests().is_empty(),
        "--dry-run sent {:#?}",
        dry.requests()
    );
    let script: String = out
        .lines()
        .skip_while(|l| !l.starts_with("# 1."))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(script.contains("$OPENAI_ADMIN_KEY"), "{script}");
    // Valid shell, and no blank line inside a command.
    let bash = Command::new("bash")
        .args(["-n", "-c", &script])
        .output()
        .unwrap();
    assert!(
        bash.status.success(),
        "{script}\n{}",
        String::from_utf8_lossy(&bash.stderr)
    );
    let lines: Vec<&str> = script.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        if l.ends_with('\\') {
            assert!(
                !lines[i + 1].trim().is_empty(),
                "a blank line inside a command:\n{script}"
            );
        }
    }
    // Read back: the same method, URL, headers and body as the real calls.
    let real = happy();
    let (code, _, _) = ekm(
        Some(&real),
        Some(KEY),
        &[
            "register",
            "--name",
            name,
            "--project-name",
            project,
            "--snapshot",
            &s,
        ],
        &[],
    );
    assert_eq!(code, 0);
    let sent = real.requests();
    let base = real.base.trim_end_matches("/v1").to_string();
    let cmds = openai::shell_split(
        &script.replace(&dry.base, &real.base),
        &[("OPENAI_ADMIN_KEY", KEY), ("EXTERNAL_KEY_ID", KEY_ID)],
    );
    assert_eq!(cmds.len(), 3, "{cmds:?}");
    for (c, r) in cmds.iter().zip(&sent) {
        let c = openai::parse_curl(c);
        assert_eq!(c.method, r.method);
        assert_eq!(c.url, format!("{base}{}", r.path));
        let h = |k: &str| {
            c.headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(h("authorization"), r.header("authorization"));
        assert_eq!(h("content-type"), r.header("content-type"));
        match &c.body {
            Some(b) => assert_eq!(serde_json::from_str::<J>(b).unwrap(), r.json(), "{b}"),
            None => assert!(r.body.is_empty()),
        }
    }
    // And curl itself, run on the printed commands, sends them byte for byte.
    if Command::new("curl").arg("--version").output().is_ok() {
        let ran = happy();
        let script = script.replace(&dry.base, &ran.base);
        let out = Command::new("bash")
            .args(["-c", &format!("EXTERNAL_KEY_ID={KEY_ID}\n{script}")])
            .env("OPENAI_ADMIN_KEY", KEY)
            .env_remove("HTTP_PROXY")
            .env_remove("http_proxy")
            .env_remove("ALL_PROXY")
            .env_remove("all_proxy")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let by_curl = ran.requests();
        assert_eq!(by_curl.len(), 3);
        for (c, r) in by_curl.iter().zip(&sent) {
            assert_eq!((&c.method, &c.path, &c.body), (&r.method, &r.path, &r.body));
            assert_eq!(c.header("authorization"), r.header("authorization"));
        }
    }
}

#[test]
fn openais_refusal_is_shown_verbatim_and_diagnosed() {
    // Registration refused with the documented AssumeRole error; the snapshot trusts another
    // principal, so diagnose names EKM401.
    let api = openai::start(Arc::new(|r: &Request, _| match r.route() {
        "/v1/organization/external_keys" => Reply::error(400, ASSUME),
        _ => Reply::error(500, "unexpected"),
    }));
    let (code, out, _) = register(
        &api,
        "fail-ekm401-wrong-principal",
        &["--force", "--project-name", "p"],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "OpenAI refused the registration (HTTP 400): {ASSUME}"
        )),
        "{out}"
    );
    assert!(out.contains("diagnose:"), "{out}");
    assert!(out.contains("EKM401"), "{out}");
    assert_eq!(
        api.requests().len(),
        1,
        "nothing after a refused registration"
    );

    // Validation fails with the documented KMS error: no project is created.
    let api = openai::start(Arc::new(|r: &Request, n| {
        if r.route().ends_with("/validate") {
            Reply::json(
                200,
                json!({"status": "invalid", "error": {"message": ENCRYPT}}),
            )
        } else {
            openai::happy(r, n)
        }
    }));
    let (code, out, _) = register(
        &api,
        "ok-baseline",
        &["--project-name", "p", "--format", "json"],
    );
    assert_eq!(code, 1, "{out}");
    let v: J = serde_json::from_str(&out).unwrap();
    assert_eq!(v["validation_status"], "invalid");
    assert_eq!(v["external_key_id"], KEY_ID);
    assert!(v["error"].as_str().unwrap().contains(ENCRYPT), "{v:#}");
    assert_eq!(v["diagnosis"][0]["call"], "encrypt", "{v:#}");
    assert!(
        v["diagnosis"][0]["remaining"]
            .as_array()
            .is_some_and(|r| !r.is_empty())
    );
    assert_eq!(api.count("POST", "/v1/organization/projects"), 0);

    // An error that is not documented is still shown as OpenAI wrote it.
    let api = openai::start(Arc::new(|_: &Request, _| {
        Reply::error(
            403,
            "You have insufficient permissions for this operation. Missing scopes: api.external_keys.write.",
        )
    }));
    let (code, out, _) = register(&api, "ok-baseline", &[]);
    assert_eq!(code, 1);
    assert!(
        out.contains("Missing scopes: api.external_keys.write."),
        "{out}"
    );
    assert!(out.contains("none of the errors OpenAI documents"), "{out}");
    assert!(out.contains("hint: the admin key needs the scope"), "{out}");
}

#[test]
fn throttling_and_server_errors_are_retried_within_bounds() {
    // 429 twice (Retry-After 0, then retry-after-ms), then the register succeeds; the
    // validation answers 503 once.
    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = calls.clone();
    let api = openai::start(Arc::new(move |r: &Request, n| match r.route() {
        "/v1/organization/external_keys" => match c2.fetch_add(1, Ordering::SeqCst) {
            0 => Reply::error(429, "Rate limit reached").header("Retry-After", "0"),
            1 => Reply::error(429, "Rate limit reached").header("retry-after-ms", "50"),
            _ => openai::happy(r, n),
        },
        p if p.ends_with("/validate") && n == 3 => Reply::error(503, "Service Unavailable"),
        _ => openai::happy(r, n),
    }));
    let (code, out, _) = register(&api, "ok-baseline", &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(api.count("POST", "/v1/organization/external_keys"), 3);
    assert_eq!(
        api.count(
            "POST",
            &format!("/v1/organization/external_keys/{KEY_ID}/validate")
        ),
        2
    );
    assert!(out.contains("(3 attempts)"), "{out}");

    // Always 500: --max-attempts bounds the attempts, and the answer is reported.
    let api = openai::start(Arc::new(|_: &Request, _| {
        Reply::error(500, "The server had an error")
    }));
    let (code, out, _) = register(&api, "ok-baseline", &["--max-attempts", "2"]);
    assert_eq!(code, 1);
    assert_eq!(api.requests().len(), 2);
    assert!(
        out.contains("HTTP 500 (2 attempts)") && out.contains("The server had an error"),
        "{out}"
    );

    // A Retry-After longer than ekm-check waits ends the retries at once.
    let api = openai::start(Arc::new(|_: &Request, _| {
        Reply::error(429, "slow down").header("Retry-After", "3600")
    }));
    let (code, out, _) = register(&api, "ok-baseline", &[]);
    assert_eq!(code, 1);
    assert_eq!(api.requests().len(), 1);
    assert!(out.contains("retry after 3600 s"), "{out}");
}

#[test]
fn a_timeout_is_retried_only_where_repeating_is_safe() {
    // The validation hangs: it is repeated (listing and validating change nothing).
    let api = openai::start(Arc::new(|r: &Request, n| {
        if r.route().ends_with("/validate") {
            Reply::json(200, json!({"status": "valid"})).after(Duration::from_secs(3))
        } else {
            openai::happy(r, n)
        }
    }));
    let (code, out, _) = register(
        &api,
        "ok-baseline",
        &["--read-timeout", "0.5", "--max-attempts", "2"],
    );
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        api.count(
            "POST",
            &format!("/v1/organization/external_keys/{KEY_ID}/validate")
        ),
        2
    );
    // The registration hangs: it is not repeated (it could register the key twice).
    let api = openai::start(Arc::new(|r: &Request, n| {
        openai::happy(r, n).after(Duration::from_secs(3))
    }));
    let (code, out, _) = register(
        &api,
        "ok-baseline",
        &["--read-timeout", "0.5", "--max-attempts", "3"],
    );
    assert_eq!(code, 1);
    assert_eq!(api.requests().len(), 1, "{out}");
    assert!(out.contains("OpenAI may have carried it out"), "{out}");
}

#[test]
fn the_admin_key_is_in_no_output_even_when_openai_echoes_it() {
    // OpenAI's "incorrect API key" message quotes the key: it is scrubbed, in every format,
    // with logging asked for.
    let api = openai::start(Arc::new(|_: &Request, _| {
        Reply::error(
            401,
            &format!(
                "Incorrect API key provided: {KEY}. You can find your API key at https://platform.openai.com/account/api-keys."
            ),
        )
    }));
    let env = [("RUST_LOG", "trace"), ("RUST_BACKTRACE", "1")];
    let s = snap("ok-baseline");
    for format in ["text", "json"] {
        let (code, out, _) = ekm(
            Some(&api),
            Some(KEY),
            &[
                "register",
                "--name",
                "x",
                "--snapshot",
                &s,
                "--format",
                format,
            ],
            &env,
        );
        assert_eq!(code, 1);
        assert!(
            out.contains("Incorrect API key provided: $OPENAI_ADMIN_KEY."),
            "{out}"
        );
    }
    for format in ["table", "json"] {
        let (code, out, _) = ekm(
            Some(&api),
            Some(KEY),
            &["external-keys", "--format", format],
            &env,
        );
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("$OPENAI_ADMIN_KEY"), "{out}");
    }
    // Connection refused (nothing listens): the error names the URL, never the key.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (code, out, _) = ekm(
        None,
        Some(KEY),
        &[
            "register",
            "--name",
            "x",
            "--snapshot",
            &s,
            "--max-attempts",
            "2",
        ],
        &[
            ("OPENAI_BASE_URL", &format!("http://127.0.0.1:{port}/v1")),
            ("RUST_LOG", "trace"),
        ],
    );
    assert_eq!(code, 1);
    assert!(out.contains("got no answer"), "{out}");
}

#[test]
fn external_keys_lists_every_page_and_validates_each() {
    let api = openai::start(Arc::new(|r: &Request, n| {
        if r.route() == "/v1/organization/external_keys/extkey_page2a/validate" {
            Reply::json(200, json!({"status": "failed", "message": ENCRYPT}))
        } else {
            openai::happy(r, n)
        }
    }));
    let (code, out, _) = ekm(
        Some(&api),
        Some(KEY),
        &["external-keys", "--format", "json"],
        &[],
    );
    assert_eq!(code, 1, "one key failed its validation: {out}");
    let v: J = serde_json::from_str(&out).unwrap();
    assert_eq!(v["format"], "ekm-check.external-keys/v1");
    assert_eq!(v["pages"], 2);
    let keys = v["keys"].as_array().unwrap();
    let ids: Vec<&str> = keys.iter().map(|k| k["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [KEY_ID, "extkey_page1last", "extkey_page2a"]);
    assert_eq!(keys[0]["validation"]["status"], "valid");
    assert_eq!(keys[2]["validation"]["status"], "failed");
    assert_eq!(keys[2]["validation"]["message"], ENCRYPT);
    let reqs = api.requests();
    let gets: Vec<&str> = reqs
        .iter()
        .filter(|r| r.method == "GET")
        .map(|r| r.path.as_str())
        .collect();
    assert_eq!(
        gets,
        [
            "/v1/organization/external_keys?limit=100",
            "/v1/organization/external_keys?limit=100&after=extkey_page1last"
        ]
    );
    assert_eq!(
        reqs.iter()
            .filter(|r| r.route().ends_with("/validate"))
            .count(),
        3
    );
    for r in &reqs {
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {KEY}").as_str())
        );
    }

    // The table, and --no-validate (no POST at all).
    let api = happy();
    let (code, out, _) = ekm(Some(&api), Some(KEY), &["external-keys"], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(KEY_ID) && out.contains("staging") && out.contains("valid"),
        "{out}"
    );
    assert!(
        out.contains("3 key(s), every validation succeeded"),
        "{out}"
    );
    let api = happy();
    let (code, _, _) = ekm(
        Some(&api),
        Some(KEY),
        &["external-keys", "--no-validate"],
        &[],
    );
    assert_eq!(code, 0);
    assert!(api.requests().iter().all(|r| r.method == "GET"));
}

#[test]
fn external_keys_marks_this_setup_among_the_registered_keys() {
    const KMS: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const ROLE: &str = "arn:aws:iam::111122223333:role/openai-ekm";
    // Three keys: this setup's, one on the same role with the key's alias (registered before
    // the key ARN was used), and one whose listing shows no ARNs at all.
    let listing = json!({"object": "list", "data": [
        {"object": "external_key", "id": "extkey_alias", "name": "first try", "type": "aws",
         "created_at": 1760000000, "api_project_ids": [],
         "aws": {"kms_arn": "arn:aws:kms:us-east-1:111122223333:alias/openai", "role_arn": ROLE}},
        {"object": "external_key", "id": KEY_ID, "name": "prod", "type": "aws",
         "created_at": 1764360000, "api_project_ids": [PROJECT_ID],
         "kms_arn": KMS, "role_arn": ROLE, "external_id": "org-abc"},
        {"object": "external_key", "id": "extkey_bare", "name": "bare", "type": "aws",
         "created_at": 1764000000, "api_project_ids": []}],
        "first_id": "extkey_alias", "last_id": "extkey_bare", "has_more": false});
    let serve = move |listing: J| {
        openai::start(Arc::new(move |r: &Request, n| {
            if r.method == "GET" {
                Reply::json(200, listing.clone())
            } else {
                openai::happy(r, n)
            }
        }))
    };

    // The flags and the environment name this setup: KEY_ID is it, the alias key another.
    let api = serve(listing.clone());
    let (code, out, err) = ekm(
        Some(&api),
        Some(KEY),
        &["external-keys", "--format", "json", "--kms-arn", KMS],
        &[("EKM_ROLE_ARN", ROLE)],
    );
    assert_eq!(code, 0, "{out}{err}");
    let v: J = serde_json::from_str(&out).unwrap();
    let keys = v["keys"].as_array().unwrap();
    assert_eq!(
        keys[0]["local"],
        json!({"match": "other", "differs": ["kms_arn"]})
    );
    assert_eq!(keys[1]["local"], json!({"match": "this"}));
    assert_eq!(
        keys[2]["local"],
        json!({"match": "unknown", "not_shown": ["kms_arn", "role_arn"]})
    );
    assert_eq!(v["local"]["registered_as"], json!([KEY_ID]));
    assert_eq!(v["local"]["undecided"], json!(["extkey_bare"]));
    assert_eq!(v["local"]["origins"]["kms_arn"], "flag --kms-arn");
    assert_eq!(
        v["local"]["origins"]["role_arn"],
        "environment EKM_ROLE_ARN"
    );
    assert!(
        v["local"]["summary"]
            .as_str()
            .unwrap()
            .ends_with(&format!("is registered as {KEY_ID}")),
        "{v:#}"
    );

    // The table: a column, and the last line. An ExternalId that differs makes KEY_ID another
    // setup; only the bare key is left undecided, so the answer is "may be".
    let api = serve(listing.clone());
    let (code, out, _) = ekm(
        Some(&api),
        Some(KEY),
        &[
            "external-keys",
            "--kms-arn",
            KMS,
            "--role-arn",
            ROLE,
            "--external-id",
            "org-other",
        ],
        &[],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("this setup?"), "{out}");
    assert!(out.contains("other: external_id differs"), "{out}");
    assert!(
        out.contains("? (kms_arn, role_arn, external_id not shown)"),
        "{out}"
    );
    let last = out.lines().last().unwrap();
    assert!(
        last.starts_with("this setup (kms_arn from flag --kms-arn, role_arn from flag --role-arn, external_id from flag --external-id) may be registered as extkey_bare"),
        "{last}"
    );

    // A setup no key has, from the config file; and without a setup, no column and no line.
    let dir = std::env::temp_dir().join(format!("ekm-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("ekm-check.toml");
    std::fs::write(
        &cfg,
        "[registration]\nrole_arn = \"arn:aws:iam::111122223333:role/elsewhere\"\n",
    )
    .unwrap();
    let prod_only = json!({"object": "list", "data": [listing["data"][1].clone()],
                           "has_more": false});
    let api = serve(prod_only.clone());
    let (code, out, _) = ekm(
        Some(&api),
        Some(KEY),
        &["external-keys", "--config", cfg.to_str().unwrap()],
        &[],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("other: role_arn differs"), "{out}");
    assert!(
        out.lines()
            .last()
            .unwrap()
            .contains("is not registered with OpenAI: no key has its values"),
        "{out}"
    );
    let api = serve(prod_only);
    let (_, out, _) = ekm(Some(&api), Some(KEY), &["external-keys"], &[]);
    assert!(!out.contains("this setup"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}
