use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut err = std::io::stderr();
    let result = ekm_check::cli::run(std::env::args_os(), &mut out, &mut err);
    let flushed = out.flush();
    match (result, flushed) {
        (Ok(code), Ok(())) => ExitCode::from(code),
        // A closed pipe (`ekm-check … | head`) is not an error worth a message.
        (Err(ekm_check::Error::Write(e)), _) | (Ok(_), Err(e))
            if e.kind() == std::io::ErrorKind::BrokenPipe =>
        {
            ExitCode::from(ekm_check::cli::exit::ERROR)
        }
        (Err(e), _) => {
            let e = anyhow::Error::from(e);
            let _ = writeln!(err, "error: {e:#}");
            ExitCode::from(ekm_check::cli::exit::ERROR)
        }
        (Ok(_), Err(e)) => {
            let _ = writeln!(err, "error: writing output: {e}");
            ExitCode::from(ekm_check::cli::exit::ERROR)
        }
    }
}

/// mimalloc: see src/allocator.rs.
#[global_allocator]
static GLOBAL: ekm_check::allocator::Mimalloc = ekm_check::allocator::Mimalloc;
