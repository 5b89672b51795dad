//! `sockscope report`: the postmortem report directory.

use std::io::Write;

use anyhow::Context;

use crate::analysis::Analysis;
use crate::cli::ReportArgs;
use crate::output::{DirKind, DirOutput, Inputs};
use crate::render;
use crate::term::visible;

use super::{Status, read_inputs_with};

pub fn run(args: &ReportArgs, out: &mut dyn Write) -> anyhow::Result<Status> {
    let top = args.top.max(1);
    // Before any input is read: a bad -o fails at once, and the staging
    // directory exists (or the parent is unwritable) before minutes of work.
    let report =
        DirOutput::create(&args.output, args.force, &Inputs::new(&args.input.inputs), DirKind::Report)?;
    let dest = report.dest().to_path_buf();
    let replacing = dest.symlink_metadata().is_ok();
    // Every snapshot keeps rankings long enough for diagnosis; the pages
    // show `--top` rows of them.
    let sink = super::diagnose::signal_sink();
    let (run, status) = read_inputs_with(
        &args.input,
        top.max(crate::table::DEFAULT_TOP),
        true,
        Some(sink.clone() as std::sync::Arc<dyn crate::table::RowSink>),
    )?;
    if args.input.strict && status != Status::Ok {
        return Ok(status);
    }
    let written = (|| -> anyhow::Result<()> {
        let findings = super::diagnose::findings(&run, sink, None)?;
        let mut doc = render::json::build(&run, top);
        let analysis =
            Analysis::build_for(&run, top, |a| render::report::choose_hosts(a, &findings, args.hosts))?;
        report.create_dir(render::report::CHARTS)?;
        let page = render::report::build(&analysis, &findings, top, &generated_at(), &report)?;
        doc.findings = Some(findings);
        render::report::write(&report, &page, |w| {
            render::json::write_pretty(&mut *w, &doc)?;
            writeln!(w)?;
            Ok(())
        })?;
        report.commit()
    })();
    written.with_context(|| {
        let d = visible(&dest.display().to_string()).into_owned();
        if replacing {
            format!("the report was not written (the previous one in {d} is unchanged)")
        } else {
            format!("the report was not written (nothing was left at {d})")
        }
    })?;
    writeln!(
        out,
        "wrote {} (and report.md, charts/, summary.json next to it)",
        visible(&dest.join("index.html").display().to_string())
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
