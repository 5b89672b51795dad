//! `sockscope summary`: counts per host and snapshot, and line accounting.

use std::io::Write;

use crate::cli::{SummaryArgs, SummaryFormat};
use crate::render;

use super::{Status, read_inputs};

pub fn run(args: &SummaryArgs, out: &mut dyn Write) -> anyhow::Result<Status> {
    let top = args.top.max(1);
    let (run, status) = read_inputs(&args.input, top, false)?;
    if args.input.strict && status != Status::Ok {
        // --strict: the error was printed; no partial output.
        return Ok(status);
    }
    match args.format {
        SummaryFormat::Json => {
            render::json::write_pretty(&mut *out, &render::json::build(&run, top))?;
            writeln!(out)?;
        }
        SummaryFormat::Table => render::table::render(&run, top, out)?,
        SummaryFormat::Csv => render::csv::render(&run, out)?,
    }
    out.flush()?;
    Ok(status)
}
