//! `summary --format csv`: one row per snapshot and tool, state and
//! protocol counts as columns (a shape spreadsheets and `xsv` take as is).

use std::fmt::Write;

use crate::frame::{Frames, col, for_each_batch, snapshot_rows};
use crate::ingest::Ingested;
use crate::model::{CtState, Proto, TcpState};
use crate::render::json::long_map;

/// Quotes a field when it needs it (RFC 4180).
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

/// Writes the CSV, a batch of snapshots at a time.
pub fn render(run: &Ingested, w: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let mut state_cols: Vec<&'static str> =
        TcpState::ALL.iter().filter(|s| s.is_tcp_state()).map(|s| s.name()).collect();
    for c in 0..CtState::COUNT as u8 {
        let n = CtState::from_code(c).name();
        if !state_cols.contains(&n) {
            state_cols.push(n);
        }
    }
    let mut out = String::from("host,source,kind,index,time,total");
    for s in &state_cols {
        let _ = write!(out, ",{s}");
    }
    for p in Proto::ALL {
        let _ = write!(out, ",{}", p.name());
    }
    out.push('\n');
    for_each_batch(run, |batch| {
        let frames = Frames::build(&run.sources, snapshot_rows(batch))?;
        let states = long_map(&frames.states, col::STATE)?;
        let protocols = long_map(&frames.protocols, col::PROTOCOL)?;
        for (row, (s, k)) in snapshot_rows(batch).enumerate() {
            let id = row as u32;
            let src = &run.sources[s.source];
            let time =
                s.time.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)).unwrap_or_default();
            let _ = write!(
                out,
                "{},{},{},{},{},{}",
                field(&src.host),
                field(&src.path),
                k.kind.name(),
                s.index,
                time,
                k.total
            );
            for c in &state_cols {
                let n = states.get(&id).and_then(|m| m.get(*c)).copied().unwrap_or(0);
                let _ = write!(out, ",{n}");
            }
            for p in Proto::ALL {
                let n = protocols.get(&id).and_then(|m| m.get(p.name())).copied().unwrap_or(0);
                let _ = write!(out, ",{n}");
            }
            out.push('\n');
        }
        w.write_all(out.as_bytes())?;
        out.clear();
        Ok(())
    })?;
    w.write_all(out.as_bytes())?;
    Ok(())
}
