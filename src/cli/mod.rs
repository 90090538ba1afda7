//! The command line: clap definitions and dispatch. `run` is what `main` calls, and what the
//! tests call in-process.

pub mod eval;

use std::ffi::OsString;
use std::io::Write;

use clap::{Parser, Subcommand};

use crate::error::Result;

/// Exit codes of the contract.
pub mod exit {
    /// Every rule at or above `--fail-on` passed; for `eval`, the request is allowed.
    pub const OK: u8 = 0;
    /// A rule failed or could not be decided; for `eval`, the request is denied or undecided.
    pub const FAIL: u8 = 1;
    /// Usage error, unreadable input, no AWS access; for `eval --batch`, a line could not be read.
    pub const ERROR: u8 = 2;
}

const AFTER_HELP: &str = "\
Exit codes: 0 ready/allowed, 1 not ready/denied/undecided, 2 usage or input error.
Documentation: README.md; every rule: `ekm-check explain EKMnnn`.";

#[derive(Debug, Parser)]
#[command(
    name = "ekm-check",
    version,
    about = "Check that OpenAI's Enterprise Key Management can use your AWS KMS key through your IAM role",
    long_about = "Check that OpenAI's Enterprise Key Management (EKM) can use your AWS KMS key through your IAM role.\n\n\
ekm-check evaluates the key policy, the role's trust policy and permissions exactly as AWS does, \
for the two requests OpenAI makes (sts:AssumeRole with your ExternalId, then kms:Encrypt and kms:Decrypt), \
and tells you which document and statement stop them, and the fix.",
    after_help = AFTER_HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Decide one IAM request (or a batch) against policy documents, and explain the answer
    Eval(eval::EvalArgs),
}

/// Parse `args` and run the command, writing its output to `out` and diagnostics to `err`.
/// Returns the process exit code.
pub fn run<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::ERROR
            } else {
                exit::OK
            };
            let rendered = e.render().ansi().to_string();
            if e.use_stderr() {
                let _ = write!(err, "{rendered}");
            } else {
                write!(out, "{rendered}")?;
            }
            return Ok(code);
        }
    };
    match cli.command {
        Command::Eval(a) => eval::run(&a, out, err),
    }
}
