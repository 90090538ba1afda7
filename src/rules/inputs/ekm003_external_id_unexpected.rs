//! EKM003 `external-id-unexpected`: OpenAI passes your organization id (`org-` + 24) or project id
//! (`proj_` + 24) as ExternalId; STS rejects values outside `[\w+=,.@:/-]{2,1224}`.

use crate::rules::support_inputs::{
    ExternalId, Field, classify_external_id, reg_evidence, trust_external_ids,
};
use crate::rules::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM003",
    slug: "external-id-unexpected",
    severity: Severity::Warning,
    family: Family::Inputs,
    summary: "external_id is empty, has characters STS rejects, or is neither an org nor a project id",
    doc: include_str!("../../../rules/EKM003-external-id-unexpected.md"),
};

/// The fix: the OpenAI id the trust policy requires, when it names exactly one.
fn fix(cx: &Cx<'_>) -> String {
    let ids: Vec<String> = trust_external_ids(cx)
        .into_iter()
        .filter(|v| {
            matches!(
                classify_external_id(v),
                ExternalId::Org | ExternalId::Project
            )
        })
        .collect();
    match ids.as_slice() {
        [one] => format!(
            "--external-id {one} (the id the trust policy requires), if that is your OpenAI organization or project id"
        ),
        _ => FIX.to_string(),
    }
}

const FIX: &str = "register your OpenAI organization id (org- followed by 24 letters and digits, \
                   shown in the organization's settings) or the project id (proj_…) that the trust \
                   policy requires as sts:ExternalId, e.g. --external-id org-AbCdEf0123456789GhIjKlMn";

pub fn check(cx: &Cx<'_>) -> Outcome {
    let Some(v) = Field::ExternalId.value(cx) else {
        if cx.inputs.lint {
            return Outcome::skipped(
                "external_id is not given: lint checks it when you pass --external-id",
            );
        }
        return Outcome::fail(
            "external_id is not given: it is your OpenAI organization id (org-…) or project id (proj_…), which OpenAI passes as ExternalId; pass --external-id, set EKM_EXTERNAL_ID, or set external_id in ekm-check.toml's [registration]",
        )
        .evidence(reg_evidence(Field::ExternalId, None))
        .fix(fix(cx));
    };
    let ev = reg_evidence(Field::ExternalId, Some(v));
    match classify_external_id(v) {
        ExternalId::Org => {
            Outcome::pass(format!("external_id {v} is an OpenAI organization id")).evidence(ev)
        }
        ExternalId::Project => {
            Outcome::pass(format!("external_id {v} is an OpenAI project id")).evidence(ev)
        }
        ExternalId::Invalid(why) => Outcome::fail(why)
            .severity(Severity::Error)
            .evidence(ev)
            .fix(fix(cx)),
        ExternalId::Unexpected(why) => Outcome::fail(why).evidence(ev).fix(fix(cx)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::Inputs;
    use crate::rules::Status;

    fn run(v: Option<&str>, lint: bool) -> Outcome {
        let mut i = Inputs::empty("test");
        i.lint = lint;
        i.registration.external_id = v.map(str::to_string);
        check(&Cx::new(&i))
    }

    #[test]
    fn statuses_and_severities() {
        assert_eq!(run(None, true).status, Status::Skipped);
        let o = run(None, false);
        assert_eq!((o.status, o.severity), (Status::Fail, None));
        let o = run(Some("org-AbCdEf0123456789GhIjKlMn"), false);
        assert_eq!(o.status, Status::Pass);
        let o = run(Some("proj_AbCdEf0123456789GhIjKlMn"), false);
        assert_eq!(o.status, Status::Pass);
        let o = run(Some("org abc"), false);
        assert_eq!(
            (o.status, o.severity),
            (Status::Fail, Some(Severity::Error))
        );
        let o = run(Some(""), false);
        assert_eq!(
            (o.status, o.severity),
            (Status::Fail, Some(Severity::Error))
        );
        let o = run(Some("my-external-id"), false);
        assert_eq!((o.status, o.severity), (Status::Fail, None));
        assert_eq!(o.evidence[0].pointer, "/external_id");
    }
}
