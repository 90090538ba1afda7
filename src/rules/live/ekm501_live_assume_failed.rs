//! EKM501 `live-assume-failed`: with `--live`, `sts:AssumeRole` on the role with the ExternalId,
//! as the checking identity. Without `--live`: skipped.

use crate::rules::{Cx, Evidence, Family, Outcome, RuleMeta, Severity, fixes, support_inputs};

pub static META: RuleMeta = RuleMeta {
    id: "EKM501",
    slug: "live-assume-failed",
    severity: Severity::Error,
    family: Family::Live,
    summary: "sts:AssumeRole with the ExternalId failed for the checking identity",
    doc: include_str!("../../../rules/EKM501-live-assume-failed.md"),
};

pub fn check(cx: &Cx<'_>) -> Outcome {
    let Some(live) = &cx.inputs.live else {
        return support_inputs::live_outcome(cx);
    };
    let role = cx.role_arn().unwrap_or_default();
    let ev = Evidence::new("live", "/AssumeRole", None);
    match &live.assume {
        Ok(ms) => Outcome::pass(format!(
            "the checking identity assumed {role} with the registered ExternalId ({ms} ms)"
        ))
        .evidence(ev),
        Err(e) if e.is_access_denied() => {
            // The normal case: only OpenAI is trusted. Say how to run the self-test.
            let caller = live.caller.as_deref().map(session_to_role).unwrap_or_else(|| "arn:aws:iam::ACCOUNT:role/YOUR_ROLE".into());
            let xid = fixes::external_id_or_placeholder(cx.inputs.registration.external_id.as_deref());
            let statement = serde_json::json!({
                "Sid": "EkmCheckSelfTestRemoveAfterUse",
                "Effect": "Allow",
                "Principal": {"AWS": caller},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": xid}}
            });
            Outcome::skipped(format!(
                "the checking identity is not trusted by {role} (AWS said {}), which is normal: only OpenAI is; \
                 to run the self-test, add the statement below to the trust policy for the test and remove it afterwards",
                e.code.as_deref().unwrap_or("AccessDenied")
            ))
            .evidence(ev)
            .fix(format!(
                "add to the role's trust policy for the self-test, then remove it:\n{}",
                fixes::pretty(&statement)
            ))
        }
        Err(e) => Outcome::fail(format!(
            "sts:AssumeRole on {role} with the ExternalId failed: {}",
            e.message.trim_end_matches('.')
        ))
        .evidence(ev)
        .fix("check that the role exists in the account the ARN names, and that sts is reachable from here"),
    }
}

/// `arn:aws:sts::A:assumed-role/R/S` -> `arn:aws:iam::A:role/R` (a trust policy names roles).
fn session_to_role(arn: &str) -> String {
    match arn.split_once(":assumed-role/") {
        Some((head, rest)) => {
            let role = rest.split('/').next().unwrap_or(rest);
            format!("{}:role/{role}", head.replace(":sts:", ":iam:"))
        }
        None => arn.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sessions_become_roles() {
        assert_eq!(
            super::session_to_role("arn:aws:sts::111122223333:assumed-role/Admin/me"),
            "arn:aws:iam::111122223333:role/Admin"
        );
        assert_eq!(
            super::session_to_role("arn:aws:iam::111122223333:user/bob"),
            "arn:aws:iam::111122223333:user/bob"
        );
    }
}
