//! The command line: clap definitions and dispatch. `run` is what `main` calls, and what the
//! tests call in-process.

pub mod catalog;
pub mod check;
pub mod diagnose;
pub mod eval;
pub mod external_keys;
pub mod iac;
pub mod init;
pub mod merge;
pub mod register;
pub mod scan;

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
    /// Read your key and role (or a snapshot), run every rule, report, exit by verdict
    Check(check::CheckArgs),
    /// Read your key and role from AWS (read-only) and save them as a snapshot
    Snapshot(check::SnapshotArgs),
    /// Run the rules on policy files before they exist in AWS
    Lint(check::LintArgs),
    /// Find every role that trusts OpenAI and every key it uses, across accounts, and check each
    Scan(scan::ScanArgs),
    /// Read an error OpenAI returned, and find its causes in your account (or a snapshot)
    Diagnose(diagnose::DiagnoseArgs),
    /// Run the check, then register the key with OpenAI's Management API, validate it, and
    /// optionally create a project that uses it
    Register(register::RegisterArgs),
    /// List the keys registered with OpenAI, and validate each
    ExternalKeys(external_keys::ExternalKeysArgs),
    /// Join scan reports split across CI jobs into one (every target, every account, the counts)
    MergeReports(merge::MergeArgs),
    /// Decide one IAM request (or a batch) against policy documents, and explain the answer
    Eval(eval::EvalArgs),
    /// Print correct documents for the setup steps and the registration payload
    Init(init::InitArgs),
    /// List the rules
    Rules(catalog::RulesArgs),
    /// Print one rule's documentation
    Explain(catalog::ExplainArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff)
    Man,
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
            use std::io::IsTerminal;
            let styled = if e.use_stderr() {
                std::io::stderr().is_terminal()
            } else {
                std::io::stdout().is_terminal()
            } && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            let rendered = if styled {
                e.render().ansi().to_string()
            } else {
                e.render().to_string()
            };
            if e.use_stderr() {
                let _ = write!(err, "{rendered}");
            } else {
                write!(out, "{rendered}")?;
            }
            return Ok(code);
        }
    };
    match cli.command {
        Command::Check(a) => check::run_check(&a, out, err),
        Command::Snapshot(a) => check::run_snapshot(&a, out, err),
        Command::Lint(a) => check::run_lint(&a, out, err),
        Command::Scan(a) => scan::run(&a, out, err),
        Command::MergeReports(a) => merge::run(&a, out),
        Command::Diagnose(a) => diagnose::run(&a, out),
        Command::Register(a) => register::run(&a, out),
        Command::ExternalKeys(a) => external_keys::run(&a, out),
        Command::Eval(a) => eval::run(&a, out, err),
        Command::Init(a) => init::run(&a, out, err),
        Command::Rules(a) => catalog::run_rules(&a, out),
        Command::Explain(a) => catalog::run_explain(&a, out),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(shell, &mut Cli::command(), "ekm-check", out);
            Ok(exit::OK)
        }
        Command::Man => {
            use clap::CommandFactory;
            clap_mangen::Man::new(Cli::command()).render(out)?;
            Ok(exit::OK)
        }
    }
}
