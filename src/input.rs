//! Reading input files: bounded in size, named in every error, parsed with positions.

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};
use crate::json::{self, Node};
use crate::policy::{Policy, PolicyKind};

/// The largest input file read. The largest AWS policy document is 32 KiB (a key policy); a
/// snapshot of a role with many policies stays well under 1 MiB. 16 MiB leaves room and bounds memory.
pub const MAX_INPUT_BYTES: u64 = 16 * 1024 * 1024;

/// Read a whole file (or standard input for `-`), refusing directories and oversized files.
pub fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    let display = path.display().to_string();
    let mut buf = Vec::new();
    if display == "-" {
        std::io::stdin()
            .lock()
            .take(MAX_INPUT_BYTES + 1)
            .read_to_end(&mut buf)
            .map_err(|source| Error::Read {
                path: path.into(),
                io: source,
            })?;
    } else {
        let meta = std::fs::metadata(path).map_err(|source| Error::Read {
            path: path.into(),
            io: source,
        })?;
        if meta.is_dir() {
            return Err(Error::Input {
                path: display,
                message: "is a directory, not a file".into(),
            });
        }
        let f = std::fs::File::open(path).map_err(|source| Error::Read {
            path: path.into(),
            io: source,
        })?;
        f.take(MAX_INPUT_BYTES + 1)
            .read_to_end(&mut buf)
            .map_err(|source| Error::Read {
                path: path.into(),
                io: source,
            })?;
    }
    if buf.len() as u64 > MAX_INPUT_BYTES {
        return Err(Error::Input {
            path: display,
            message: format!(
                "larger than {} MiB: not a policy document or snapshot",
                MAX_INPUT_BYTES / 1024 / 1024
            ),
        });
    }
    Ok(buf)
}

/// Read and parse a JSON file, keeping positions.
pub fn read_json(path: &Path) -> Result<Node> {
    let bytes = read_bytes(path)?;
    json::parse_bytes(&bytes).map_err(|e| Error::Input {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

/// Read a policy document file. JSON syntax errors are errors; IAM grammar problems are
/// diagnostics on the returned policy.
pub fn read_policy(path: &Path, kind: PolicyKind) -> Result<Policy> {
    let node = read_json(path)?;
    Ok(Policy::from_node(&node, kind, &path.display().to_string()))
}
