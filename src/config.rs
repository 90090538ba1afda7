//! `ekm-check.toml`: registration values and defaults, so that a pipeline's command line stays
//! short. Flags and `EKM_*` environment variables win over the file.

use std::path::{Path, PathBuf};

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::error::{Error, Result};
use crate::inputs::Registration;
use crate::report::FailOn;
use crate::report::gate::{Ignore, Level};

pub const FILE_NAME: &str = "ekm-check.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub registration: RegistrationConfig,
    #[serde(default)]
    pub check: CheckDefaults,
    /// `[rules]`: a level per rule id.
    #[serde(default)]
    pub rules: BTreeMap<Spanned<String>, Level>,
    /// `[[ignore]]` entries.
    #[serde(default)]
    pub ignore: Vec<Spanned<Ignore>>,
}

/// `[registration]`: the values registered with OpenAI.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrationConfig {
    pub kms_arn: Option<String>,
    pub role_arn: Option<String>,
    pub external_id: Option<String>,
}

impl Config {
    pub fn registration(&self) -> Registration {
        Registration {
            kms_arn: self.registration.kms_arn.clone(),
            role_arn: self.registration.role_arn.clone(),
            external_id: self.registration.external_id.clone(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckDefaults {
    pub fail_on: Option<FailOn>,
}

/// Load `--config FILE`, or `./ekm-check.toml` when it exists; no file: defaults.
pub fn load(explicit: Option<&Path>) -> Result<(Config, Option<PathBuf>)> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => {
            let p = PathBuf::from(FILE_NAME);
            if !p.is_file() {
                return Ok((Config::default(), None));
            }
            p
        }
    };
    let bytes = crate::input::read_bytes(&path)?;
    let text = String::from_utf8(bytes).map_err(|_| Error::Input {
        path: path.display().to_string(),
        message: "is not UTF-8 text".into(),
    })?;
    let cfg: Config = toml::from_str(&text).map_err(|e| {
        let at = e
            .span()
            .map(|s| {
                let p = crate::json::position_of(&text, s.start);
                format!("line {}, column {}: ", p.line, p.col)
            })
            .unwrap_or_default();
        Error::Input {
            path: path.display().to_string(),
            message: format!("{at}{}", e.message()),
        }
    })?;
    validate(&cfg, &text, &path)?;
    Ok((cfg, Some(path)))
}

impl Config {
    /// The rule levels, in file order.
    pub fn levels(&self) -> Vec<(String, Level)> {
        self.rules
            .iter()
            .map(|(k, v)| (k.get_ref().clone(), *v))
            .collect()
    }

    pub fn ignores(&self) -> Vec<Ignore> {
        self.ignore.iter().map(|i| i.get_ref().clone()).collect()
    }
}

/// Rule ids must exist, reasons must say something, dates must be dates: each error names its line.
fn validate(cfg: &Config, text: &str, path: &Path) -> Result<()> {
    let at = |offset: usize, message: String| {
        let p = crate::json::position_of(text, offset);
        Error::Input {
            path: path.display().to_string(),
            message: format!("line {}, column {}: {message}", p.line, p.col),
        }
    };
    let known =
        |id: &str| crate::rules::find(id).is_some_and(|r| r.meta.id.eq_ignore_ascii_case(id));
    for k in cfg.rules.keys() {
        if !known(k.get_ref()) {
            return Err(at(
                k.span().start,
                format!("[rules]: no rule {} (see `ekm-check rules`)", k.get_ref()),
            ));
        }
    }
    for ig in &cfg.ignore {
        let i = ig.get_ref();
        let start = ig.span().start;
        if !known(&i.rule) {
            return Err(at(
                start,
                format!("[[ignore]]: no rule {} (see `ekm-check rules`)", i.rule),
            ));
        }
        if i.reason.trim().is_empty() {
            return Err(at(
                start,
                "[[ignore]]: the reason must say why the finding is acceptable".into(),
            ));
        }
        if let Some(u) = &i.until {
            if chrono::NaiveDate::parse_from_str(u, "%Y-%m-%d").is_err() {
                return Err(at(
                    start,
                    format!("[[ignore]]: until = \"{u}\" is not a date like 2027-03-01"),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_point_at_their_line() {
        let dir = std::env::temp_dir().join(format!("ekm-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("c.toml");
        std::fs::write(&p, "[registration]\nkms_arn = \"x\"\nrole = \"y\"\n").unwrap();
        let e = load(Some(&p)).unwrap_err().to_string();
        assert!(e.contains("line 3"), "{e}");
        std::fs::write(
            &p,
            "[registration]\nexternal_id = \"org-x\"\n[check]\nfail_on = \"warning\"\n",
        )
        .unwrap();
        let (c, _) = load(Some(&p)).unwrap();
        assert_eq!(c.registration.external_id.as_deref(), Some("org-x"));
        assert_eq!(c.check.fail_on, Some(FailOn::Warning));
        std::fs::write(
            &p,
            "[rules]\nEKM106 = \"allow\"\n\n[[ignore]]\nrule = \"EKM402\"\nreason = \"\"\n",
        )
        .unwrap();
        let e = load(Some(&p)).unwrap_err().to_string();
        assert!(e.contains("line 4") && e.contains("reason"), "{e}");
        std::fs::write(&p, "[rules]\nEKM999 = \"allow\"\n").unwrap();
        let e = load(Some(&p)).unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("EKM999"), "{e}");
        std::fs::write(&p, "[[ignore]]\nrule = \"EKM402\"\n").unwrap();
        let e = load(Some(&p)).unwrap_err().to_string();
        assert!(e.contains("reason"), "a reason is required: {e}");
        std::fs::write(&p, "[rules]\nEKM106 = \"never\"\n").unwrap();
        let e = load(Some(&p)).unwrap_err().to_string();
        assert!(e.contains("line 2"), "{e}");
    }
}
