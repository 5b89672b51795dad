//! `sockscope report`: the postmortem report directory.

use std::io::Write;

use crate::analysis::Analysis;
use crate::cli::ReportArgs;
use crate::render;

use super::{Status, read_inputs};

pub fn run(args: &ReportArgs, out: &mut dyn Write) -> anyhow::Result<Status> {
    let top = args.top.max(1);
    if args.output.exists() && !args.force {
        anyhow::bail!("{} exists; pass --force to replace it", args.output.display());
    }
    // Per-snapshot lists at the report's own length; the peak and last
    // snapshots' detail keeps its own, longer rankings.
    let (run, status) = read_inputs(&args.input, top, true)?;
    if args.input.strict && status != Status::Ok {
        return Ok(status);
    }
    let doc = render::json::build(&run, top);
    let analysis = Analysis::build(&run)?;
    let staging = render::report::Staging::new(&args.output, args.force)?;
    let page = render::report::build(&analysis, top, &generated_at(), &staging.charts())?;
    let summary_json = |w: &mut dyn Write| -> anyhow::Result<()> {
        serde_json::to_writer_pretty(&mut *w, &doc)?;
        writeln!(w)?;
        Ok(())
    };
    staging.finish(&page, summary_json)?;
    writeln!(
        out,
        "wrote {} (and report.md, charts/, summary.json next to it)",
        args.output.join("index.html").display()
    )?;
    Ok(status)
}

/// `SOURCE_DATE_EPOCH` (reproducible builds, snapshot tests) or now, UTC.
fn generated_at() -> String {
    let t = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .unwrap_or_else(chrono::Utc::now);
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}
