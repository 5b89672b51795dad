//! `sockscope chart KIND INPUT... -o FILE`: one chart of the inputs' main
//! capture (the one with the most snapshots, then the most rows), or of
//! the fleet.

use std::io::Write;

use crate::analysis::{Analysis, SourceView};
use crate::cli::ChartArgs;
use crate::output::{FileOutput, Inputs};
use crate::render::chart;
use crate::render::charts::{self, ChartName};
use crate::term::visible;

use super::{Status, read_inputs};

pub fn run(args: &ChartArgs, out: &mut dyn Write) -> anyhow::Result<Status> {
    let ext = args.output.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    if !matches!(ext.as_deref(), Some("png" | "svg")) {
        anyhow::bail!("{}: the output must end in .png or .svg", args.output.display());
    }
    let target = FileOutput::create(&args.output, args.force, &Inputs::new(&args.input.inputs))?;
    let (run, status) = read_inputs(&args.input, args.top.max(crate::table::DEFAULT_TOP), true)?;
    if args.input.strict && status != Status::Ok {
        return Ok(status);
    }
    let a = Analysis::build(&run, args.top.max(1))?;
    let conntrack = args.kind == ChartName::Conntrack;
    let view = main_view(&a, conntrack);
    let picked = match args.kind {
        ChartName::States => view.map(charts::states),
        ChartName::Timeline => view.and_then(charts::timeline),
        ChartName::Hotspots => view.and_then(|v| charts::hotspots(v, args.top)),
        ChartName::Ephemeral => view.and_then(charts::ephemeral),
        ChartName::Conntrack => view.and_then(charts::conntrack),
        ChartName::FleetStates => charts::fleet_states(&a),
        ChartName::FleetTime => match args.state.as_deref() {
            // A state the operator names: its course on every host.
            Some(state) => {
                let (hosts, values) =
                    crate::analysis::fleet::host_time(&a, state, crate::analysis::FLEET_TIME_BUCKETS);
                charts::fleet_time_of(state, hosts, values)
            }
            None => charts::fleet_time(&a),
        },
    };
    let Some(mut c) = picked else {
        anyhow::bail!("the inputs have nothing to draw a {:?} chart from ({})", args.kind, why(args.kind));
    };
    if let Some(w) = args.width {
        c.width = w;
    }
    if let Some(h) = args.height {
        c.height = h;
    }
    charts::fit_height(&mut c);
    let bytes = match ext.as_deref() {
        Some("png") => chart::render_png(&c)?,
        _ => chart::render_svg(&c)?.into_bytes(),
    };
    target.commit(&bytes)?;
    writeln!(out, "wrote {}", visible(&args.output.display().to_string()))?;
    Ok(status)
}

/// The capture a single-capture chart is drawn from.
fn main_view<'b, 'a>(a: &'b Analysis<'a>, conntrack: bool) -> Option<&'b SourceView<'a>> {
    Analysis::main_capture(&a.views, conntrack)
}

fn why(kind: ChartName) -> &'static str {
    match kind {
        ChartName::Timeline => "a timeline needs a capture with more than one snapshot",
        ChartName::Conntrack => "no conntrack capture",
        ChartName::Ephemeral => "no outbound sockets",
        ChartName::FleetTime => "a fleet timeline needs capture loops",
        _ => "no socket capture",
    }
}
