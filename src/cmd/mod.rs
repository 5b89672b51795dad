//! One module per subcommand. Each returns the exit status it wants.

pub mod chart;
pub mod diagnose;
pub mod diff;
pub mod explain;
pub mod export;
pub mod report;
pub mod summary;

use crate::cli::InputArgs;
use crate::ingest::{IngestConfig, Ingested, discover, ingest};
use crate::parse::timestamp::TzPolicy;
use crate::table::store::{MEMORY_BUDGET, Store};

/// `SOCKSCOPE_SPOOL_MEMORY` (bytes): how much of the finished snapshots'
/// tables stay in memory before the rest goes to temporary files (in
/// `TMPDIR`). `0` sends every batch to disk.
fn spool_memory() -> anyhow::Result<usize> {
    match std::env::var("SOCKSCOPE_SPOOL_MEMORY") {
        Ok(v) => v
            .trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("SOCKSCOPE_SPOOL_MEMORY={v:?}: expected a number of bytes")),
        Err(_) => Ok(MEMORY_BUDGET),
    }
}

/// How a run ended, mapped to the exit code by `main`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Everything was read (rejected lines are reported, not failures).
    Ok,
    /// Output was produced, but some input could not be read or was not a
    /// capture, or `--strict` found a rejected line.
    InputProblems,
    /// `diagnose --fail-on`: a finding at or above the severity exists.
    Findings,
}

/// Reads all inputs of a command. Errors about single inputs go to stderr
/// and the run goes on.
pub fn read_inputs(args: &InputArgs, keep: usize, detail: bool) -> anyhow::Result<(Ingested, Status)> {
    read_inputs_with(args, keep, detail, None)
}

/// [`read_inputs`], handing every socket and conntrack row to `rows`.
pub fn read_inputs_with(
    args: &InputArgs,
    keep: usize,
    detail: bool,
    rows: Option<std::sync::Arc<dyn crate::table::RowSink>>,
) -> anyhow::Result<(Ingested, Status)> {
    let tz = match &args.tz {
        Some(z) => Some(TzPolicy::parse(z).map_err(|e| anyhow::anyhow!("--tz {z}: {e}"))?),
        None => None,
    };
    let cfg = IngestConfig {
        format: args.input_format,
        tz,
        host: args.host.clone(),
        strict: args.strict,
        keep,
        detail,
        // A chunk folded with detail becomes about four times its size in
        // table rows (every snapshot's rankings) before the merger takes
        // them: smaller chunks keep what is in flight small.
        chunk_size: if detail {
            crate::ingest::read::CHUNK_SIZE / 4
        } else {
            crate::ingest::read::CHUNK_SIZE
        },
        store: std::sync::Arc::new(Store::with_budget(spool_memory()?)),
        rows,
        encoding: args.input_encoding,
    };
    if let Some(n) = args.threads {
        // Ignored if the global pool already exists (tests call this twice).
        let _ = rayon::ThreadPoolBuilder::new().num_threads(n.max(1)).build_global();
    }
    let (inputs, mut errors) = discover(&args.inputs);
    let mut run = ingest(&inputs, &cfg);
    errors.append(&mut run.errors);
    run.errors = errors;
    for e in &run.errors {
        eprintln!("sockscope: {}", crate::term::visible(&e.to_string()));
    }
    let status = if run.errors.is_empty() { Status::Ok } else { Status::InputProblems };
    if run.sources.is_empty() {
        anyhow::bail!(
            "no capture could be read from {}",
            args.inputs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        );
    }
    Ok((run, status))
}
