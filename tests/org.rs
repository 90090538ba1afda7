//! The organization part, read from moto: an organization with an OU and a member account,
//! SCPs and RCPs at the root, the OU and the account, read with the member's credentials plus
//! `--org-role-arn` (the management account's role). Each test starts its own moto server
//! (`own_moto`): moto keeps an organization across resets.
//!
//! moto's gaps (facts page): it answers members' ListParents with AccountNotFoundException
//! instead of AccessDeniedException, so the refusal a member gets from AWS is injected through
//! the proxy; SCPs and RCPs are never enforced (nothing here relies on them being enforced).

mod support;

use std::time::Duration;

use aws_sdk_organizations::types::PolicyType;
use serde_json::{Value as J, json};
use support::*;

struct Org {
    id: String,
    root: String,
    ou: String,
    member: String,
    member_creds: Creds,
    key: String,
    role: String,
    reader_role: String,
}

/// The management account (moto's default, the organization's creator) builds the
/// organization; the member account holds the key and the EKM role.
async fn organization(url: &str) -> Org {
    let mgmt = sdk(url).await;
    let orgs = aws_sdk_organizations::Client::new(&mgmt);
    let (id, root) = create_organization(&orgs).await;
    let ou = create_ou(&orgs, &root, "Workloads").await;
    let member = create_member(&orgs, "member", &root, &ou).await;
    let perimeter = json!({"Version": "2012-10-17", "Statement": [{"Sid": "EnforceOrgIdentities",
        "Effect": "Deny", "Principal": "*", "Action": ["sts:AssumeRole", "kms:*"], "Resource": "*",
        "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": id}}}]});
    attach_new_policy(
        &orgs,
        "Perimeter",
        PolicyType::ResourceControlPolicy,
        &perimeter.to_string(),
        &root,
    )
    .await;
    let regions = json!({"Version": "2012-10-17", "Statement": [{"Sid": "DenyRegions",
        "Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}}]});
    attach_new_policy(
        &orgs,
        "DenyRegions",
        PolicyType::ServiceControlPolicy,
        &regions.to_string(),
        &ou,
    )
    .await;
    let tags = json!({"Version": "2012-10-17", "Statement": [{"Sid": "DenyUntagged",
        "Effect": "Deny", "Action": "kms:*", "Resource": "*",
        "Condition": {"Null": {"aws:ResourceTag/team": "true"}}}]});
    attach_new_policy(
        &orgs,
        "DenyUntaggedKeys",
        PolicyType::ServiceControlPolicy,
        &tags.to_string(),
        &member,
    )
    .await;
    // moto does not validate content: a document that is no JSON stays a string.
    attach_new_policy(
        &orgs,
        "Broken",
        PolicyType::ResourceControlPolicy,
        "not json {",
        &member,
    )
    .await;
    // The reader role in the management account, and the member's credentials.
    let iam = aws_sdk_iam::Client::new(&mgmt);
    let reader_role = iam
        .create_role()
        .role_name("EkmCheckOrgReader")
        .assume_role_policy_document(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"AWS": format!("arn:aws:iam::{member}:root")},
                "Action": "sts:AssumeRole"}]})
            .to_string(),
        )
        .send()
        .await
        .unwrap()
        .role()
        .unwrap()
        .arn()
        .to_string();
    let member_creds = member_creds(url, &member).await;
    let mcfg = sdk_as(url, &member_creds).await;
    let who = aws_sdk_sts::Client::new(&mcfg)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(
        who.account(),
        Some(member.as_str()),
        "moto switched accounts"
    );
    let kms = aws_sdk_kms::Client::new(&mcfg);
    let key = kms
        .create_key()
        .tags(
            aws_sdk_kms::types::Tag::builder()
                .tag_key("team")
                .tag_value("ml")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .arn()
        .unwrap()
        .to_string();
    let miam = aws_sdk_iam::Client::new(&mcfg);
    let role = miam
        .create_role()
        .role_name("openai-ekm")
        .assume_role_policy_document(trust(XID))
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key("dp:exclude:network")
                .value("true")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .role()
        .unwrap()
        .arn()
        .to_string();
    assert!(role.contains(&member), "{role}");
    miam.put_role_policy()
        .role_name("openai-ekm")
        .policy_name("kms")
        .policy_document(kms_policy(&key))
        .send()
        .await
        .unwrap();
    Org {
        id,
        root,
        ou,
        member,
        member_creds,
        key,
        role,
        reader_role,
    }
}

fn snapshot_args<'a>(o: &'a Org, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "snapshot",
        "--kms-arn",
        &o.key,
        "--role-arn",
        &o.role,
        "--external-id",
        XID,
    ];
    v.extend_from_slice(extra);
    v
}

fn names(level: &J, kind: &str) -> Vec<String> {
    let mut v: Vec<String> = level[kind]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

fn find<'a>(level: &'a J, kind: &str, name: &str) -> &'a J {
    level[kind]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in {kind}: {level:#}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_with_the_org_reader_role_reads_its_path_root_first_with_parsed_policies() {
    let Some(m) = own_moto() else { return };
    let o = organization(&m.url).await;
    let p = proxy(&m.url, Duration::ZERO, vec![]).await;
    let args = snapshot_args(&o, &["--org-role-arn", &o.reader_role]);
    let (code, out, err) = ekm_as(&p.url, &o.member_creds, &args);
    assert_eq!(code, 0, "{err}");
    let snap: J = serde_json::from_str(&out).unwrap();
    assert!(snap.get("errors").is_none(), "{:#}", snap["errors"]);
    let org = &snap["organization"];
    assert_eq!(org["in_organization"], true, "{org:#}");
    assert_eq!(org["id"], o.id.as_str());
    assert_eq!(org["management_account_id"], ACCOUNT);
    let mut types: Vec<&str> = org["policy_types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    types.sort();
    assert_eq!(types, ["RESOURCE_CONTROL_POLICY", "SERVICE_CONTROL_POLICY"]);
    let accounts = org["accounts"].as_object().unwrap();
    assert_eq!(
        accounts.keys().collect::<Vec<_>>(),
        [&o.member],
        "the role's and the key's account, once"
    );
    let path = accounts[&o.member]["path"].as_array().unwrap();
    let targets: Vec<&str> = path.iter().map(|l| l["target"].as_str().unwrap()).collect();
    assert_eq!(targets, [&o.root, &o.ou, &o.member], "root first");
    // moto attaches FullAWSAccess/RCPFullAWSAccess everywhere, as AWS does.
    assert_eq!(names(&path[0], "scps"), ["FullAWSAccess"]);
    assert_eq!(names(&path[0], "rcps"), ["Perimeter", "RCPFullAWSAccess"]);
    assert_eq!(names(&path[1], "scps"), ["DenyRegions", "FullAWSAccess"]);
    assert_eq!(names(&path[1], "rcps"), ["RCPFullAWSAccess"]);
    assert_eq!(
        names(&path[2], "scps"),
        ["DenyUntaggedKeys", "FullAWSAccess"]
    );
    assert_eq!(names(&path[2], "rcps"), ["Broken", "RCPFullAWSAccess"]);
    let perimeter = find(&path[0], "rcps", "Perimeter");
    assert!(perimeter["id"].as_str().unwrap().starts_with("p-"));
    assert_eq!(
        perimeter["document"]["Statement"][0]["Condition"]["StringNotEqualsIfExists"]["aws:PrincipalOrgID"],
        o.id.as_str(),
        "Content is parsed into a JSON object"
    );
    assert_eq!(
        find(&path[1], "scps", "DenyRegions")["document"]["Statement"][0]["Sid"],
        "DenyRegions"
    );
    assert_eq!(
        find(&path[2], "rcps", "Broken")["document"],
        "not json {",
        "unparsable content stays a string"
    );
    assert!(find(&path[0], "scps", "FullAWSAccess")["document"].is_object());
    // The tags perimeter conditions test.
    assert_eq!(
        snap["role"]["Tags"],
        json!([{"Key": "dp:exclude:network", "Value": "true"}])
    );
    assert_eq!(
        snap["key"]["tags"],
        json!([{"TagKey": "team", "TagValue": "ml"}])
    );

    // The calls: O(levels + distinct policies), each distinct policy described once.
    let seen = p.seen.lock().unwrap().clone();
    let count = |op: &str| {
        seen.iter()
            .filter(|c| c.service == "organizations" && c.operation == op)
            .count()
    };
    let total = seen.iter().filter(|c| c.service == "organizations").count();
    eprintln!(
        "organizations calls for a 3-level path with 6 distinct policies: {total} (DescribeOrganization {}, ListRoots {}, ListParents {}, ListPoliciesForTarget {}, DescribePolicy {}); all calls: {}, rounds: {}",
        count("DescribeOrganization"),
        count("ListRoots"),
        count("ListParents"),
        count("ListPoliciesForTarget"),
        count("DescribePolicy"),
        seen.len(),
        rounds(&seen)
    );
    assert_eq!(count("DescribeOrganization"), 1);
    assert_eq!(count("ListRoots"), 1);
    assert_eq!(count("ListParents"), 2, "account -> OU -> root");
    assert_eq!(count("ListPoliciesForTarget"), 6, "3 levels x 2 types");
    assert_eq!(
        count("DescribePolicy"),
        6,
        "FullAWSAccess is at 3 levels, read once"
    );
    assert_eq!(total, 16);
    // Concurrent: DescribeOrganization beside AssumeRole, ListRoots beside the walk, then the
    // walk's second level, every ListPoliciesForTarget at once, every DescribePolicy at once:
    // levels + 2 rounds (6 measured with the role's reads beside them; one of slack).
    assert!(rounds(&seen) <= 7, "{} rounds", rounds(&seen));
    let ops: Vec<&str> = seen.iter().map(|c| c.operation.as_str()).collect();
    for op in &ops {
        assert!(
            op.starts_with("Describe")
                || op.starts_with("Get")
                || op.starts_with("List")
                || *op == "AssumeRole",
            "sent {op}"
        );
    }
    assert_eq!(
        ops.iter().filter(|o| **o == "AssumeRole").count(),
        1,
        "--org-role-arn assumed once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_refused_list_parents_gets_the_permission_and_the_credentials_to_use() {
    let Some(m) = own_moto() else { return };
    let o = organization(&m.url).await;
    // What AWS answers a member (moto answers AccountNotFoundException instead).
    let p = proxy(
        &m.url,
        Duration::ZERO,
        vec![Fault::error("ListParents", "AccessDeniedException", 400)],
    )
    .await;
    let (code, out, err) = ekm_as(&p.url, &o.member_creds, &snapshot_args(&o, &[]));
    assert_eq!(code, 0, "{err}");
    let snap: J = serde_json::from_str(&out).unwrap();
    let org = &snap["organization"];
    assert_eq!(org["in_organization"], true, "{org:#}");
    assert_eq!(org["id"], o.id.as_str());
    assert!(org.get("accounts").is_none(), "{org:#}");
    let e = snap["errors"]["organization.policies"].as_str().unwrap();
    for want in [
        "AccessDeniedException",
        "organizations:ListParents",
        "management account",
        "delegated administrator",
        "--org-profile",
        "--org-role-arn",
    ] {
        assert!(e.contains(want), "{want}: {e}");
    }
    assert!(snap["errors"].get("organization").is_none());
    assert!(snap["role"]["Arn"].is_string(), "the rest is read");

    // The check still completes.
    let (code, out, err) = ekm_as(
        &p.url,
        &o.member_creds,
        &[
            "check",
            "--kms-arn",
            &o.key,
            "--role-arn",
            &o.role,
            "--external-id",
            XID,
            "--format",
            "json",
        ],
    );
    assert_ne!(code, 2, "{err}");
    let v: J = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    assert!(v["verdict"].is_string(), "{v:#}");

    // A refused --org-role-arn: the error names the role.
    let p = proxy(
        &m.url,
        Duration::ZERO,
        vec![Fault::error(
            "ListPoliciesForTarget",
            "AccessDeniedException",
            400,
        )],
    )
    .await;
    let args = snapshot_args(&o, &["--org-role-arn", &o.reader_role]);
    let (code, out, err) = ekm_as(&p.url, &o.member_creds, &args);
    assert_eq!(code, 0, "{err}");
    let snap: J = serde_json::from_str(&out).unwrap();
    let e = snap["errors"]["organization.policies"].as_str().unwrap();
    assert!(
        e.contains("organizations:ListPoliciesForTarget") && e.contains(&o.reader_role),
        "{e}"
    );

    // AssumeRole itself refused: AWS's answer (not the SDK's "an error occurred while loading
    // credentials"), the permission and the role.
    let p = proxy(
        &m.url,
        Duration::ZERO,
        vec![Fault::error("AssumeRole", "AccessDenied", 403)],
    )
    .await;
    let (code, out, err) = ekm_as(&p.url, &o.member_creds, &args);
    assert_eq!(code, 0, "{err}");
    let snap: J = serde_json::from_str(&out).unwrap();
    let e = snap["errors"]["organization.policies"].as_str().unwrap();
    assert!(
        e.starts_with("AccessDenied") && e.contains("sts:AssumeRole") && e.contains(&o.reader_role),
        "{e}"
    );
    assert_eq!(
        snap["organization"]["in_organization"], true,
        "membership still read"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_reads_the_organization_once_per_account_and_each_policy_once() {
    let Some(m) = own_moto() else { return };
    let o = organization(&m.url).await;
    // A second EKM role on the same key: two targets, one organization read.
    let miam = aws_sdk_iam::Client::new(&sdk_as(&m.url, &o.member_creds).await);
    miam.create_role()
        .role_name("openai-ekm-2")
        .assume_role_policy_document(trust(XID))
        .send()
        .await
        .unwrap();
    miam.put_role_policy()
        .role_name("openai-ekm-2")
        .policy_name("kms")
        .policy_document(kms_policy(&o.key))
        .send()
        .await
        .unwrap();
    let p = proxy(&m.url, Duration::ZERO, vec![]).await;
    let (code, out, err) = ekm_as(
        &p.url,
        &o.member_creds,
        &[
            "scan",
            "--region",
            "us-east-1",
            "--regions",
            "us-east-1",
            "--org-role-arn",
            &o.reader_role,
            "--format",
            "json",
        ],
    );
    assert_ne!(code, 2, "{err}");
    let v: J = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    let seen = p.seen.lock().unwrap().clone();
    let count = |op: &str| {
        seen.iter()
            .filter(|c| c.service == "organizations" && c.operation == op)
            .count()
    };
    eprintln!(
        "scan of 1 account, {} targets: DescribeOrganization {}, ListRoots {}, ListParents {}, ListPoliciesForTarget {}, DescribePolicy {}",
        v["targets"].as_array().map(Vec::len).unwrap_or(0),
        count("DescribeOrganization"),
        count("ListRoots"),
        count("ListParents"),
        count("ListPoliciesForTarget"),
        count("DescribePolicy"),
    );
    assert_eq!(
        v["targets"].as_array().map(Vec::len),
        Some(2),
        "two targets: {v:#}"
    );
    assert_eq!(count("DescribeOrganization"), 1);
    assert_eq!(count("ListRoots"), 1);
    assert_eq!(count("ListParents"), 2);
    assert_eq!(count("ListPoliciesForTarget"), 6);
    assert_eq!(count("DescribePolicy"), 6);
    let ops: Vec<&str> = seen.iter().map(|c| c.operation.as_str()).collect();
    assert_eq!(ops.iter().filter(|o| **o == "AssumeRole").count(), 1);
    for op in &ops {
        assert!(
            op.starts_with("Describe")
                || op.starts_with("Get")
                || op.starts_with("List")
                || *op == "AssumeRole",
            "sent {op}"
        );
    }
    // Each target says the organization part was read, and for which accounts.
    for t in v["targets"].as_array().unwrap() {
        assert_eq!(
            t["organization"],
            json!({"read": true, "in_organization": true, "id": o.id, "policies_read": true, "accounts": [o.member]}),
            "{t:#}"
        );
        assert!(
            t["read_errors"].get("organization.policies").is_none(),
            "{t:#}"
        );
    }

    // Refused: each target says the policies were not read, and why.
    let p = proxy(
        &m.url,
        Duration::ZERO,
        vec![Fault::error("ListParents", "AccessDeniedException", 400)],
    )
    .await;
    let (code, out, err) = ekm_as(
        &p.url,
        &o.member_creds,
        &[
            "scan",
            "--region",
            "us-east-1",
            "--regions",
            "us-east-1",
            "--format",
            "json",
        ],
    );
    assert_ne!(code, 2, "{err}");
    let v: J = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    let targets = v["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 2, "{v:#}");
    for t in targets {
        let org = &t["organization"];
        assert_eq!(org["read"], true, "{t:#}");
        assert_eq!(org["in_organization"], true, "{t:#}");
        assert_eq!(org["policies_read"], false, "{t:#}");
        let e = org["error"].as_str().unwrap();
        assert!(e.contains("organizations:ListParents"), "{e}");
        assert_eq!(t["read_errors"]["organization.policies"], e, "{t:#}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_in_another_account_adds_that_accounts_path() {
    let Some(m) = own_moto() else { return };
    let o = organization(&m.url).await;
    // The key in the management account, the role in the member account.
    let kms = aws_sdk_kms::Client::new(&sdk(&m.url).await);
    let key = kms
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .arn()
        .unwrap()
        .to_string();
    assert!(key.contains(ACCOUNT), "{key}");
    let p = proxy(&m.url, Duration::ZERO, vec![]).await;
    let (code, out, err) = ekm_as(
        &p.url,
        &o.member_creds,
        &[
            "snapshot",
            "--kms-arn",
            &key,
            "--role-arn",
            &o.role,
            "--external-id",
            XID,
            "--org-role-arn",
            &o.reader_role,
        ],
    );
    assert_eq!(code, 0, "{err}");
    let snap: J = serde_json::from_str(&out).unwrap();
    assert!(
        snap["errors"].get("organization.policies").is_none(),
        "{:#}",
        snap["errors"]
    );
    let accounts = snap["organization"]["accounts"].as_object().unwrap();
    let mut keys: Vec<String> = accounts.keys().cloned().collect();
    keys.sort();
    let mut want = vec![o.member.clone(), ACCOUNT.to_string()];
    want.sort();
    assert_eq!(keys, want, "the role's account and the key's");
    let path = accounts[ACCOUNT]["path"].as_array().unwrap();
    let targets: Vec<&str> = path.iter().map(|l| l["target"].as_str().unwrap()).collect();
    assert_eq!(
        targets,
        [o.root.as_str(), ACCOUNT],
        "the management account sits under the root"
    );
    assert_eq!(names(&path[0], "rcps"), ["Perimeter", "RCPFullAWSAccess"]);
    assert_eq!(accounts[&o.member]["path"].as_array().unwrap().len(), 3);
    let seen = p.seen.lock().unwrap().clone();
    let count = |op: &str| {
        seen.iter()
            .filter(|c| c.service == "organizations" && c.operation == op)
            .count()
    };
    eprintln!(
        "cross-account: ListParents {}, ListPoliciesForTarget {}, DescribePolicy {}",
        count("ListParents"),
        count("ListPoliciesForTarget"),
        count("DescribePolicy")
    );
    assert_eq!(
        count("ListParents"),
        3,
        "member: 2 levels up; management: 1"
    );
    assert_eq!(
        count("ListPoliciesForTarget"),
        8,
        "root, OU, member, management x 2 types; the root once"
    );
    assert_eq!(
        count("DescribePolicy"),
        6,
        "the root's policies once for both paths"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_management_accounts_own_credentials_and_org_profile_read_the_policies() {
    let Some(m) = own_moto() else { return };
    let o = organization(&m.url).await;
    let paths = |snap: &J| -> Vec<String> {
        assert!(
            snap["errors"].get("organization.policies").is_none(),
            "{:#}",
            snap["errors"]
        );
        snap["organization"]["accounts"]
            .as_object()
            .unwrap_or_else(|| panic!("{snap:#}"))
            .keys()
            .cloned()
            .collect()
    };
    // A role in the management account, checked with its own credentials: no flag needed.
    let (code, out, err) = ekm_as(
        &m.url,
        &Creds::test(),
        &[
            "snapshot",
            "--kms-arn",
            &o.key,
            "--role-arn",
            &o.reader_role,
            "--external-id",
            XID,
        ],
    );
    assert_eq!(code, 0, "{err}");
    let snap: J = serde_json::from_str(&out).unwrap();
    let mut got = paths(&snap);
    got.sort();
    let mut want = vec![o.member.clone(), ACCOUNT.to_string()];
    want.sort();
    assert_eq!(got, want);
    // The member's credentials with --org-profile naming the management account's profile.
    let dir = std::env::temp_dir().join(unique("orgprofile"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("credentials");
    std::fs::write(
        &file,
        "[mgmt]\naws_access_key_id = test\naws_secret_access_key = test\n",
    )
    .unwrap();
    let (code, out, err) = ekm_env(
        &m.url,
        &o.member_creds,
        &[("AWS_SHARED_CREDENTIALS_FILE", file.to_str().unwrap())],
        &snapshot_args(&o, &["--org-profile", "mgmt"]),
    );
    assert_eq!(code, 0, "{err}");
    let snap: J = serde_json::from_str(&out).unwrap();
    assert_eq!(paths(&snap), vec![o.member.clone()]);
    assert_eq!(
        snap["caller"]["Account"],
        o.member.as_str(),
        "the rest is read as the member"
    );
    // Without either, the member is told what to give (moto answers AccountNotFoundException
    // where AWS answers AccessDeniedException).
    let (_, out, _) = ekm_as(&m.url, &o.member_creds, &snapshot_args(&o, &[]));
    let snap: J = serde_json::from_str(&out).unwrap();
    let e = snap["errors"]["organization.policies"].as_str().unwrap();
    assert!(
        e.contains("--org-profile") && e.contains("--org-role-arn"),
        "{e}"
    );
    assert!(snap["organization"].get("accounts").is_none());
}

#[test]
fn org_flags_that_cannot_work_are_usage_errors_before_any_call() {
    let base = [
        "snapshot",
        "--kms-arn",
        "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "--role-arn",
        "arn:aws:iam::111122223333:role/openai-ekm",
        "--external-id",
        XID,
    ];
    for extra in [
        &["--org-role-arn", "OrgReader"][..],
        &["--org-role-arn", "arn:aws:iam::999988887777:user/x"][..],
        &[
            "--org-role-arn",
            "arn:aws:iam::999988887777:role/r",
            "--org-profile",
            "p",
        ][..],
    ] {
        let args: Vec<&str> = base.iter().chain(extra).copied().collect();
        // Nothing listens on port 9: a call would fail differently (and later).
        let (code, _, err) = ekm("http://127.0.0.1:9", &args);
        assert_eq!(code, 2, "{extra:?}: {err}");
        assert!(err.contains("--org-"), "{extra:?}: {err}");
    }
    // A saved snapshot reads nothing: the flags conflict with it.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ekm-check"))
        .args(["check", "--snapshot", "x.json", "--org-profile", "p"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--org-profile"), "{err}");
}
