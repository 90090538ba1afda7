//! `ekm-check.toml`: registration values and defaults, so that a pipeline's command line stays
//! short. Flags and `EKM_*` environment variables win over the file.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::inputs::Registration;
use crate::report::FailOn;

pub const FILE_NAME: &str = "ekm-check.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub registration: RegistrationConfig,
    #[serde(default)]
    pub check: CheckDefaults,
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
    Ok((cfg, Some(path)))
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
    }
}
