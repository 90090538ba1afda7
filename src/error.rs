//! The library's error type: everything that ends a command with exit code 2.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read at all. (The I/O error is part of the message, not a separate
    /// cause, so that `main`'s error chain prints it once.)
    #[error("{path}: {io}")]
    Read { path: PathBuf, io: std::io::Error },
    /// An output file could not be written.
    #[error("cannot write {path}: {io}")]
    WriteFile { path: PathBuf, io: std::io::Error },
    /// A file was read but is not what it should be (JSON syntax, size, format).
    #[error("{path}: {message}")]
    Input { path: String, message: String },
    /// AWS could not be reached at all (no credentials, no network).
    #[error("no AWS access: {0}")]
    NoAccess(String),
    /// The command line does not make sense.
    #[error("{0}")]
    Usage(String),
    /// Writing the output failed (e.g. a closed pipe).
    /// (Not a `#[source]`: the message holds it, so that the error chain prints it once.)
    #[error("writing output: {0}")]
    Write(std::io::Error),
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::Write(e)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
