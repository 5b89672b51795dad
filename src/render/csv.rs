//! `summary --format csv`: one row per snapshot and tool, state and
//! protocol counts as columns (a shape spreadsheets and `xsv` take as is).
//! States come in the one order every output uses (a connection's life,
//! `table::STATE_ORDER`), then UNKNOWN, then the states only conntrack
//! has; a conntrack row fills the columns of conntrack's own states (its
//! `ESTABLISHED` is conntrack's).

use std::fmt::Write;

use crate::ingest::Ingested;
use crate::model::{CtState, Proto, TcpState};
use crate::render::json::{source_index, states_map};
use crate::table::STATE_ORDER;
use crate::table::read::for_each_snapshot;

/// Quotes a field when it needs it (RFC 4180).
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

/// The state columns, in order.
fn state_columns() -> Vec<&'static str> {
    let mut cols: Vec<&'static str> = STATE_ORDER.iter().map(|s| s.name()).collect();
    cols.push(TcpState::Unknown.name());
    for c in 0..CtState::COUNT as u8 {
        let n = CtState::from_code(c).name();
        if !cols.contains(&n) {
            cols.push(n);
        }
    }
    // Stable: the states the order names first, in its order; the others
    // (SCTP, DCCP) after, in code order.
    cols.sort_by_key(|c| crate::model::state_rank(c));
    cols
}

/// Writes the CSV, a snapshot at a time.
pub fn render(run: &Ingested, w: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let state_cols = state_columns();
    let mut out = String::from("host,source,kind,index,time,total");
    for s in &state_cols {
        let _ = write!(out, ",{s}");
    }
    for p in Proto::ALL {
        let _ = write!(out, ",{}", p.name());
    }
    out.push('\n');
    let sources = source_index(run);
    for_each_snapshot(&run.store, |s, k| {
        let Some(src) = sources.get(&(s.source as u32)) else { return Ok(()) };
        let time = s.time.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)).unwrap_or_default();
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
        let states = states_map(s, k);
        for c in &state_cols {
            let _ = write!(out, ",{}", states.get(*c).copied().unwrap_or(0));
        }
        for p in Proto::ALL {
            let _ = write!(out, ",{}", k.protos[p as usize]);
        }
        out.push('\n');
        if out.len() > 1 << 20 {
            w.write_all(out.as_bytes())?;
            out.clear();
        }
        Ok(())
    })?;
    w.write_all(out.as_bytes())?;
    Ok(())
}
