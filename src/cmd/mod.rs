//! One module per subcommand. Each returns the exit status it wants.

pub mod chart;
pub mod diagnose;
pub mod diff;
pub mod explain;
pub mod export;
mod progress;
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

/// `sockscope completions SHELL`: the completion script, from the clap
/// definitions.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn std::io::Write) -> anyhow::Result<Status> {
    let mut cmd = <crate::cli::Cli as clap::CommandFactory>::command();
    // Into a buffer first: clap_complete panics on a write error (a closed
    // pipe); our own write reports it, and `main` exits 0 on a closed pipe.
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "sockscope", &mut buf);
    out.write_all(&buf)?;
    Ok(Status::Ok)
}

/// `sockscope man`: the manual page (roff); each subcommand's options are
/// in its `--help`.
pub fn man(out: &mut dyn std::io::Write) -> anyhow::Result<Status> {
    let cmd = <crate::cli::Cli as clap::CommandFactory>::command();
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut buf)?;
    out.write_all(&buf)?;
    Ok(Status::Ok)
}

/// `--host-from REGEX`: a regex with a capture group.
fn host_regex(r: &str) -> anyhow::Result<regex::Regex> {
    let re = regex::Regex::new(r).map_err(|e| anyhow::anyhow!("--host-from {r:?}: {e}"))?;
    if re.captures_len() < 2 {
        anyhow::bail!("--host-from {r:?}: needs a capture group for the host, e.g. 'dc1/([^/]+)/'");
    }
    Ok(re)
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
    let mut cfg = IngestConfig {
        format: args.input_format,
        tz,
        host: args.host.clone(),
        host_from: match &args.host_from {
            Some(r) => Some(host_regex(r)?),
            None => None,
        },
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
        // A row sink (export, diagnose, report) builds row frames next to
        // the tables: the tables get a smaller share of memory then.
        store: std::sync::Arc::new(Store::with_budget(
            match (&rows, std::env::var_os("SOCKSCOPE_SPOOL_MEMORY")) {
                (Some(_), None) => MEMORY_BUDGET / 3,
                _ => spool_memory()?,
            },
        )),
        rows,
        encoding: args.input_encoding,
        progress: None,
    };
    if let Some(n) = args.threads {
        // Ignored if the global pool already exists (tests call this twice).
        let _ = rayon::ThreadPoolBuilder::new().num_threads(n.max(1)).build_global();
    }
    // Datasets written by `export` are read as tables, not captures.
    let datasets: Vec<&std::path::PathBuf> =
        args.inputs.iter().filter(|p| crate::ingest::dataset::is_dataset(p)).collect();
    if !datasets.is_empty() {
        if datasets.len() != args.inputs.len() {
            anyhow::bail!(
                "{} is a sockscope dataset, and datasets cannot be read together with captures: export the \
                 captures into the dataset first (sockscope export --part NAME -o DATASET CAPTURES…)",
                datasets[0].display()
            );
        }
        let run = crate::ingest::dataset::read(&args.inputs, &cfg)?;
        if run.sources.is_empty() {
            anyhow::bail!("the dataset holds no sources");
        }
        return Ok((run, Status::Ok));
    }
    let (inputs, mut errors) = discover(&args.inputs);
    let bar = (!args.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .then(|| progress::Bar::start(&inputs, &mut cfg));
    let mut run = ingest(&inputs, &cfg);
    drop(bar);
    errors.append(&mut run.errors);
    run.errors = errors;
    for e in &run.errors {
        eprintln!("sockscope: {}", crate::term::visible(&e.to_string()));
    }
    for (h, dirs) in &run.host_collisions {
        let list: Vec<String> = dirs.iter().take(3).map(|d| d.display().to_string()).collect();
        eprintln!(
            "sockscope: warning: host {} is named after {} directories in different places ({}{}); they are read as one host — give --host-from REGEX if they are different hosts",
            crate::term::visible(h),
            dirs.len(),
            crate::term::visible(&list.join(", ")),
            if dirs.len() > 3 { ", …" } else { "" }
        );
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
