//! `rules` and `explain`: the catalogue, from the same metadata the reports use.

use std::io::Write;

use clap::Args;
use comfy_table::{ContentArrangement, Table, presets};

use super::exit;
use crate::error::{Error, Result};
use crate::rules::{self, RULES};

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Print the catalogue as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A rule id (EKM102) or slug (key-not-symmetric)
    pub id: String,
}

pub fn run_rules(a: &RulesArgs, out: &mut dyn Write) -> Result<u8> {
    if a.json {
        let v: Vec<_> = RULES
            .iter()
            .map(|r| {
                serde_json::json!({
                    "id": r.meta.id, "name": r.meta.slug, "severity": r.meta.severity.as_str(),
                    "family": r.meta.family.as_str(), "summary": r.meta.summary,
                })
            })
            .collect();
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&v).unwrap_or_default()
        )?;
        return Ok(exit::OK);
    }
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .force_no_tty()
        .set_header(vec!["id", "name", "severity", "summary"]);
    for r in RULES {
        t.add_row(vec![
            r.meta.id,
            r.meta.slug,
            r.meta.severity.as_str(),
            r.meta.summary,
        ]);
    }
    writeln!(out, "{t}")?;
    writeln!(out, "`ekm-check explain ID` prints a rule's documentation.")?;
    Ok(exit::OK)
}

pub fn run_explain(a: &ExplainArgs, out: &mut dyn Write) -> Result<u8> {
    match rules::find(&a.id) {
        Some(r) => {
            out.write_all(r.meta.doc.as_bytes())?;
            Ok(exit::OK)
        }
        None => {
            let near = RULES
                .iter()
                .map(|r| {
                    let d = crate::policy::actions::distance(
                        &a.id.to_ascii_lowercase(),
                        &r.meta.slug.to_ascii_lowercase(),
                    )
                    .min(crate::policy::actions::distance(
                        &a.id.to_ascii_uppercase(),
                        r.meta.id,
                    ));
                    (d, r)
                })
                .min_by_key(|(d, _)| *d)
                .filter(|(d, _)| *d <= 3)
                .map(|(_, r)| format!(" (did you mean {} {}?)", r.meta.id, r.meta.slug))
                .unwrap_or_default();
            Err(Error::Usage(format!(
                "no rule {}{near}; `ekm-check rules` lists them",
                a.id
            )))
        }
    }
}
