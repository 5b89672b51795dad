//! `sockscope summary`: counts per host and snapshot, and line accounting.

use std::io::Write;

use crate::cli::{SummaryArgs, SummaryFormat};
use crate::frame::Frames;
use crate::render;

use super::{Status, read_inputs};

pub fn run(args: &SummaryArgs, out: &mut dyn Write) -> anyhow::Result<Status> {
    let top = args.top.max(1);
    let (run, status) = read_inputs(&args.input, top, false)?;
    if args.input.strict && status != Status::Ok {
        // --strict: the error was printed; no partial output.
        return Ok(status);
    }
    let frames = Frames::build(&run)?;
    match args.format {
        SummaryFormat::Json => {
            let doc = render::json::build(&run, &frames, top)?;
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            writeln!(out)?;
        }
        SummaryFormat::Table => out.write_all(render::table::render(&run, &frames, top)?.as_bytes())?,
        SummaryFormat::Csv => out.write_all(render::csv::render(&run, &frames)?.as_bytes())?,
    }
    out.flush()?;
    Ok(status)
}
