//! EKM601 `org-policies-unseen`: the role's or key's account is in an organization whose SCPs
//! and RCPs could not be read, so the verdict cannot be trusted.

use super::support::{self as org, READERS};
use crate::inputs::Part;
use crate::rules::{Cx, Family, Outcome, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "EKM601",
    slug: "org-policies-unseen",
    severity: Severity::Error,
    family: Family::Organization,
    summary: "the account is in an organization whose SCPs and RCPs could not be read",
    doc: include_str!("../../../rules/EKM601-org-policies-unseen.md"),
};

pub fn check(cx: &Cx<'_>) -> Outcome {
    let o = match org::organization(cx) {
        Ok(o) => o,
        Err(mut out) => {
            if out.status == crate::rules::Status::Unknown {
                out.message
                    .push_str(&format!(" (and then its SCPs and RCPs: {READERS})"));
            }
            return out;
        }
    };
    let id = o.id.as_deref().unwrap_or("(id not known)");
    match &o.accounts {
        Part::Error(e) => Outcome::fail(format!(
            "the account is in organization {id}, whose SCPs and RCPs could not be read ({}): a guardrail may block OpenAI and the verdict cannot be trusted; {READERS}",
            e.trim_end().trim_end_matches('.')
        )),
        Part::Absent(r) => Outcome::skipped(format!(
            "the account is in organization {id}, but its SCPs and RCPs were not looked at ({r}); a guardrail may still block OpenAI; {READERS}"
        )),
        Part::Present(_) => {
            let mut want: Vec<String> = Vec::new();
            for arn in [cx.role_arn(), cx.key_arn()].into_iter().flatten() {
                if let Some(a) = crate::policy::pattern::arn_parts(arn).map(|p| p[4].to_string()) {
                    if a.len() == 12 && !want.contains(&a) {
                        want.push(a);
                    }
                }
            }
            let missing: Vec<&String> = want
                .iter()
                .filter(|a| {
                    o.path(a).is_none() && o.management_account_id.as_deref() != Some(a.as_str())
                })
                .collect();
            if !missing.is_empty() && cx.inputs.lint {
                return Outcome::skipped(format!(
                    "the --scp/--rcp levels describe the role's account; those above account {} were not given",
                    missing
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(" and ")
                ));
            }
            if cx.inputs.lint {
                return Outcome::pass(format!(
                    "the SCPs and RCPs above account {} were given with --scp/--rcp",
                    want.join(" and ")
                ));
            }
            if !missing.is_empty() {
                return Outcome::fail(format!(
                    "the policies above account {} of organization {id} were not read, so the verdict cannot be trusted; {READERS}",
                    missing
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(" and ")
                ));
            }
            Outcome::pass(format!(
                "the SCPs and RCPs of organization {id} were read for account {}",
                want.join(" and ")
            ))
        }
    }
}
