//! The `sockscope` binary: parses arguments, runs a command, maps the
//! outcome to an exit code. All work happens in the library.
//!
//! Exit codes: 0 success; 1 output produced but some input was unreadable,
//! not a capture, or (with --strict) had a rejected line; 2 usage error or
//! nothing could be analyzed; 3 (`diagnose --fail-on`) a finding at or
//! above the given severity.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use sockscope::cli::{Cli, Command};
use sockscope::cmd::{self, Status};
use sockscope::term::visible;

fn main() -> ExitCode {
    limit_malloc_arenas();
    std::panic::set_hook(Box::new(report_panic));
    let cli = Cli::parse();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let result = match &cli.command {
        Command::Summary(a) => cmd::summary::run(a, &mut out),
        Command::Report(a) => cmd::report::run(a, &mut out),
        Command::Chart(a) => cmd::chart::run(a, &mut out),
        Command::Export(a) => cmd::export::run(a, &mut out),
        Command::Diagnose(a) => cmd::diagnose::run(a, &mut out),
        Command::Explain(a) => cmd::explain::run(a, &mut out),
        Command::Diff(a) => cmd::diff::run(a, &mut out),
        Command::Completions(a) => cmd::completions(a.shell, &mut out),
        Command::Man => cmd::man(&mut out),
    };
    let result = result.and_then(|s| out.flush().map(|_| s).map_err(Into::into));
    match result {
        Ok(Status::Ok) => ExitCode::SUCCESS,
        Ok(Status::InputProblems) => ExitCode::from(1),
        Ok(Status::Findings) => ExitCode::from(3),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(io::stderr(), "sockscope: {}", visible(&format!("{e:#}")));
            ExitCode::from(2)
        }
    }
}

/// `sockscope summary … | head` must not print an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>().is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(io::ErrorKind::BrokenPipe))
    })
}

/// A panic is a bug: say so on one line, with control characters in its
/// message (which may quote input) made visible. A panic inside one
/// input's worker is caught and reported as that input's error; the rest
/// of the batch goes on.
fn report_panic(info: &std::panic::PanicHookInfo<'_>) {
    let msg = info
        .payload()
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| info.payload().downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_string());
    let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
    let _ =
        writeln!(io::stderr(), "sockscope: internal error{at}: {} (please report this bug)", visible(&msg));
}

/// glibc gives every thread that allocates its own malloc arena (up to 8
/// per core). The rayon workers, polars' pool and the table store's writer
/// thread each churn through mid-size buffers, and freed memory stays
/// fragmented in their arenas: a 200,000-snapshot export held 305 MiB with
/// the default, 210 MiB with two arenas, at the same speed (BENCHMARKS.md).
/// `MALLOC_ARENA_MAX` in the environment still wins.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only sets a tuning parameter of glibc's
        // allocator; it is called before any thread of ours exists.
        #[allow(unsafe_code)]
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}
