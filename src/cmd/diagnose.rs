//! `sockscope diagnose`: findings per host, worst first.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;

use crate::cli::{DiagnoseArgs, FailOn, TextOrJson};
use crate::diagnose::signals::SignalSink;
use crate::diagnose::{Data, Finding, Severity, diagnose, render};
use crate::ingest::Ingested;
use crate::parse::sysctl::SysctlMap;
use crate::term::visible;

use super::{Status, read_inputs_with};

/// Reads `--sysctl FILE`: `sysctl -a` output or a sysctl.conf fragment
/// (comments and blank lines skipped; other lines are an error naming
/// the line, as a bad value here would change every finding).
pub fn read_sysctl_file(path: &Path) -> anyhow::Result<SysctlMap> {
    use crate::parse::sysctl::{SysctlLine, parse_line};
    let text =
        std::fs::read(path).with_context(|| format!("--sysctl {}", visible(&path.display().to_string())))?;
    let mut map = SysctlMap::default();
    for (i, line) in text.split(|b| *b == b'\n').enumerate() {
        let trimmed = line.trim_ascii();
        if trimmed.is_empty() || trimmed.starts_with(b"#") || trimmed.starts_with(b";") {
            continue;
        }
        match parse_line(line) {
            SysctlLine::Entry { key, value } => {
                // sysctl.conf may prefix a key with `-` (ignore errors).
                let key = String::from_utf8_lossy(key.strip_prefix(b"-").unwrap_or(key));
                map.insert_first(&key, String::from_utf8_lossy(value).trim());
            }
            SysctlLine::Blank | SysctlLine::Message => {}
            SysctlLine::Other => anyhow::bail!(
                "--sysctl {}:{}: not a `key = value` line: {}",
                visible(&path.display().to_string()),
                i + 1,
                visible(&String::from_utf8_lossy(line))
            ),
        }
    }
    if map.is_empty() {
        anyhow::bail!("--sysctl {}: no sysctl values in it", visible(&path.display().to_string()));
    }
    Ok(map)
}

/// The sink that collects row-level signals while inputs are read.
pub fn signal_sink() -> Arc<SignalSink> {
    Arc::new(SignalSink::default())
}

/// Runs every rule over a run read with `sink`.
pub fn findings(
    run: &Ingested,
    sink: Arc<SignalSink>,
    extra: Option<&SysctlMap>,
) -> anyhow::Result<Vec<Finding>> {
    let signals = Arc::try_unwrap(sink)
        .map_err(|_| anyhow::anyhow!("internal: the signal sink is still shared"))?
        .into_signals();
    let data = Data::new(run, signals, extra)?;
    diagnose(&data)
}

pub fn run(args: &DiagnoseArgs, out: &mut dyn Write) -> anyhow::Result<Status> {
    let extra = args.sysctl.as_deref().map(read_sysctl_file).transpose()?;
    let sink = signal_sink();
    let (run, status) = read_inputs_with(
        &args.input,
        crate::table::DEFAULT_TOP,
        true,
        Some(sink.clone() as Arc<dyn crate::table::RowSink>),
    )?;
    if args.input.strict && status != Status::Ok {
        return Ok(status);
    }
    let mut all = findings(&run, sink, extra.as_ref())?;
    all.retain(|f| f.severity >= args.min_severity);
    let mut hosts: Vec<&str> = run.sources.iter().map(|s| s.host.as_str()).collect();
    hosts.sort_unstable();
    hosts.dedup();
    match args.format {
        TextOrJson::Text => render::text(&all, &hosts, out)?,
        TextOrJson::Json => {
            let doc = render::Doc { findings: &all, hosts: render::hosts(&hosts, &all) };
            crate::render::json::write_pretty(&mut *out, &doc)?;
            writeln!(out)?;
        }
    }
    let fail_at = args.fail_on.map(|f| match f {
        FailOn::Warn => Severity::Warn,
        FailOn::Crit => Severity::Crit,
    });
    if fail_at.is_some_and(|s| all.iter().any(|f| f.severity >= s)) {
        return Ok(Status::Findings);
    }
    Ok(status)
}
