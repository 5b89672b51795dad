//! Human tables for `summary` (the default `--format table`).
//!
//! Per source and tool: the state distribution of every snapshot (long
//! captures show the first, peak and last rows), then the hotspots of the
//! last snapshot; at the end the line accounting of every source.

use std::collections::BTreeMap;
use std::fmt::Write;

use comfy_table::{CellAlignment, ColumnConstraint, Table, Width, presets};
use polars::prelude::PolarsResult;

use crate::frame::{Frames, col};
use crate::ingest::Ingested;
use crate::render::json::{long_map, ranked};
use crate::snapshot::{KindSummary, SnapshotSummary};

/// At most this many snapshot rows per table; the rest are elided.
const MAX_ROWS: usize = 24;

fn table() -> Table {
    let mut t = Table::new();
    t.load_preset(presets::NOTHING);
    t.set_content_arrangement(comfy_table::ContentArrangement::Disabled);
    t
}

/// Renders the summary as aligned text.
pub fn render(run: &Ingested, frames: &Frames, top: usize) -> PolarsResult<String> {
    let mut out = String::new();
    let states = long_map(&frames.states, col::STATE)?;
    let protocols = long_map(&frames.protocols, col::PROTOCOL)?;
    let remote = ranked(&frames.remote, col::ADDR, top, |c, i| {
        c.str().ok().and_then(|s| s.get(i)).unwrap_or_default().to_string()
    })?;
    let ports =
        ranked(&frames.ports, col::PORT, top, |c, i| c.u16().ok().and_then(|s| s.get(i)).unwrap_or(0))?;

    // Group (snapshot, kind) rows by (source, kind), in order.
    type Row<'a> = (u32, &'a SnapshotSummary, &'a KindSummary);
    let mut groups: BTreeMap<(usize, u8), Vec<Row>> = BTreeMap::new();
    for (row, (s, k)) in crate::frame::snapshot_rows(run).enumerate() {
        groups.entry((s.source, k.kind as u8)).or_default().push((row as u32, s, k));
    }
    for ((src_idx, _), rows) in &groups {
        let src = &run.sources[*src_idx];
        let kind = rows[0].2.kind;
        let first_t = rows.iter().find_map(|r| r.1.time);
        let last_t = rows.iter().rev().find_map(|r| r.1.time);
        let span = match (first_t, last_t) {
            (Some(a), Some(b)) if a != b => {
                format!(", {} → {}", a.format("%Y-%m-%d %H:%M:%S%:z"), b.format("%Y-%m-%d %H:%M:%S%:z"))
            }
            (Some(a), _) => format!(", {}", a.format("%Y-%m-%d %H:%M:%S%:z")),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "== {} · {} · {} · {} snapshot{}{} ==",
            src.host,
            src.path,
            kind.name(),
            rows.len(),
            if rows.len() == 1 { "" } else { "s" },
            span
        );

        // State columns: those non-zero in any snapshot of the group.
        let mut cols: Vec<String> = Vec::new();
        for (id, _, _) in rows {
            if let Some(m) = states.get(id) {
                for (name, n) in m {
                    if *n > 0 && !cols.contains(name) {
                        cols.push(name.clone());
                    }
                }
            }
        }
        cols.sort_by_key(|c| state_order(c));
        let mut t = table();
        let mut header = vec!["#".to_string(), "time".to_string(), "total".to_string()];
        header.extend(cols.iter().cloned());
        t.set_header(header);
        // The first snapshot with the highest total.
        let peak = rows
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.2.total.cmp(&b.1.2.total).then(b.0.cmp(&a.0)))
            .map(|(i, _)| i)
            .unwrap_or(0);
        let shown: Vec<usize> = if rows.len() <= MAX_ROWS {
            (0..rows.len()).collect()
        } else {
            let mut v: Vec<usize> = (0..10).chain(rows.len() - 10..rows.len()).collect();
            if !v.contains(&peak) {
                v.push(peak);
            }
            v.sort_unstable();
            v
        };
        let mut prev = None;
        for i in shown {
            if let Some(p) = prev
                && i > p + 1
            {
                t.add_row(vec![format!("… {} snapshots", i - p - 1)]);
            }
            prev = Some(i);
            let (id, s, k) = rows[i];
            let mut r = vec![
                format!("{}{}", s.index, if i == peak && rows.len() > 1 { "*" } else { "" }),
                s.time.map(|t| t.format("%H:%M:%S").to_string()).unwrap_or_else(|| "-".into()),
                k.total.to_string(),
            ];
            for c in &cols {
                r.push(states.get(&id).and_then(|m| m.get(c)).copied().unwrap_or(0).to_string());
            }
            t.add_row(r);
        }
        for i in 2..t.column_count() {
            if let Some(c) = t.column_mut(i) {
                c.set_cell_alignment(CellAlignment::Right);
            }
        }
        let _ = writeln!(out, "{t}");
        if rows.len() > 1 {
            let _ = writeln!(out, "  (* = peak total)");
        }

        // Hotspots of the last snapshot.
        let (id, s, k) = *rows.last().unwrap_or(&rows[0]);
        let protos: Vec<String> = protocols
            .get(&id)
            .map(|m| m.iter().map(|(p, n)| format!("{p} {n}")).collect())
            .unwrap_or_default();
        if k.from_counters {
            let _ = writeln!(out, "  snapshot {}: kernel counters from ss -s ({} sockets)", s.index, k.total);
        } else {
            let _ = writeln!(out, "  snapshot {}: {} rows ({})", s.index, k.total, protos.join(", "));
        }
        let r = remote.get(&id).cloned().unwrap_or_default();
        let p = ports.get(&id).cloned().unwrap_or_default();
        let (rl, pl) = if kind == crate::model::Kind::Conntrack {
            ("original destination", "destination port")
        } else {
            ("remote address", "local port")
        };
        let mut t = table();
        t.set_header(vec![rl.to_string(), "count".into(), "  ".into(), pl.to_string(), "count".into()]);
        for i in 0..r.len().max(p.len()) {
            let (a, an) = r.get(i).map(|(a, n)| (a.clone(), n.to_string())).unwrap_or_default();
            let (b, bn) = p.get(i).map(|(b, n)| (b.to_string(), n.to_string())).unwrap_or_default();
            t.add_row(vec![a, an, String::new(), b, bn]);
        }
        if let Some(c) = t.column_mut(0) {
            c.set_constraint(ColumnConstraint::UpperBoundary(Width::Fixed(46)));
        }
        for i in [1, 4] {
            if let Some(c) = t.column_mut(i) {
                c.set_cell_alignment(CellAlignment::Right);
            }
        }
        if !r.is_empty() || !p.is_empty() {
            let _ = writeln!(out, "{t}");
        }
        if let Some(ss) = &s.sockstat {
            let _ = writeln!(
                out,
                "  kernel counters: total {}, tcp {}, estab {}, orphaned {}, timewait {}",
                opt(ss.total),
                opt(ss.tcp_total.or(ss.tcp_inuse)),
                opt(ss.estab),
                opt(ss.orphaned),
                opt(ss.timewait)
            );
        }
        out.push('\n');
    }

    // Sources: line accounting.
    let _ = writeln!(out, "== line accounting ==");
    let mut t = table();
    t.set_header(vec![
        "source",
        "host",
        "format",
        "lines",
        "parsed",
        "structural",
        "ignored",
        "rejected",
        "snapshots",
    ]);
    for s in &run.sources {
        let l = &s.lines;
        t.add_row(vec![
            s.path.clone(),
            s.host.clone(),
            s.format.clone(),
            l.total.to_string(),
            l.parsed.to_string(),
            l.structural.to_string(),
            l.ignored.to_string(),
            l.rejected.to_string(),
            s.snapshots.to_string(),
        ]);
    }
    for i in 3..9 {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    let _ = writeln!(out, "{t}");
    for s in &run.sources {
        for r in s.lines.rejected_samples.iter().take(3) {
            let _ = writeln!(out, "rejected {}:{}: {}: {}", s.path, r.line, r.reason, r.text);
        }
        if s.lines.rejected > 3 {
            let _ = writeln!(
                out,
                "  … {} rejected lines in {} (all samples in --format json)",
                s.lines.rejected, s.path
            );
        }
        for n in &s.notes {
            let _ = writeln!(out, "note {}: {}", s.path, n);
        }
    }
    if !run.skipped.is_empty() {
        let _ = writeln!(out, "skipped {} files that are not captures", run.skipped.len());
    }
    Ok(out)
}

fn opt(v: Option<u64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

/// Orders state columns by lifecycle, the way operators read them.
fn state_order(name: &str) -> usize {
    const ORDER: &[&str] = &[
        "LISTEN",
        "SYN_SENT",
        "SYN_RECV",
        "ESTABLISHED",
        "FIN_WAIT1",
        "FIN_WAIT2",
        "FIN_WAIT",
        "CLOSE_WAIT",
        "CLOSING",
        "LAST_ACK",
        "TIME_WAIT",
        "CLOSE",
        "SYN_SENT2",
        "NONE",
        "UNKNOWN",
    ];
    ORDER.iter().position(|o| *o == name).unwrap_or(ORDER.len())
}
