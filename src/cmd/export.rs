//! `sockscope export`: the tables as a dataset.

use std::io::Write;

use anyhow::Context;

use crate::cli::ExportArgs;
use crate::output::{DirKind, DirOutput, Inputs};
use crate::term::visible;

use std::sync::Arc;

use super::{Status, read_inputs_with};

pub fn run(args: &ExportArgs, out: &mut dyn Write) -> anyhow::Result<Status> {
    let tables = crate::export::select_tables(args.tables.as_deref())?;
    let inputs = Inputs::new(&args.input.inputs);
    let target = match &args.part {
        Some(name) => DirOutput::create_part(&args.output, name, args.force, &inputs)?,
        None => DirOutput::create(&args.output, args.force, &inputs, DirKind::Export)?,
    };
    let dest = target.dest().to_path_buf();
    // Socket and conntrack rows are written while the inputs are read.
    let rows = if crate::export::row_tables(&tables).is_empty() {
        None
    } else {
        Some(Arc::new(crate::export::RowFiles::new(&target, args.format, &tables)?))
    };
    let sink = rows.clone().map(|r| r as Arc<dyn crate::table::RowSink>);
    let (run, status) = read_inputs_with(&args.input, args.top.max(1), true, sink)?;
    if args.input.strict && status != Status::Ok {
        return Ok(status);
    }
    let written = (|| -> anyhow::Result<_> {
        let mut w = crate::export::write(&run, &target, &tables, args.format)?;
        if let Some(r) = rows {
            // Every merger (and its clone of the sink) is gone by now.
            let r = Arc::try_unwrap(r).map_err(|_| anyhow::anyhow!("internal: row files still shared"))?;
            r.finish(&run, &mut w)?;
        }
        target.commit()?;
        Ok(w)
    })()
    .with_context(|| {
        format!("the export was not written ({} is as it was)", visible(&dest.display().to_string()))
    })?;
    let rows: u64 = written.tables.values().map(|t| t.1).sum();
    let files: usize = written.tables.values().map(|t| t.0).sum();
    let what = match &args.part {
        Some(p) => format!("added part {} to", visible(p)),
        None => "wrote".to_string(),
    };
    writeln!(
        out,
        "{what} {} ({} tables, {files} files, {rows} rows)",
        visible(&dest.display().to_string()),
        written.tables.len()
    )?;
    Ok(status)
}
