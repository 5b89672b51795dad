//! Human tables for `summary` (the default `--format table`).
//!
//! Per source and tool: the state distribution of every snapshot (long
//! captures show the first, peak and last rows), then the hotspots of the
//! last snapshot; at the end the line accounting of every source.

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write;

use chrono::{DateTime, FixedOffset};
use comfy_table::{CellAlignment, ColumnConstraint, Table, Width, presets};

use crate::ingest::Ingested;
use crate::model::Proto;
use crate::render::json::{source_index, states_map};
use crate::snapshot::{KindSummary, SnapshotSummary};
use crate::table::read::for_each_snapshot;
use crate::term::{visible, visible_lines};

/// At most this many snapshot rows per table; the rest are elided.
const MAX_ROWS: usize = 24;

fn table() -> Table {
    let mut t = Table::new();
    t.load_preset(presets::NOTHING);
    t.set_content_arrangement(comfy_table::ContentArrangement::Disabled);
    t
}

/// One snapshot row of a table.
#[derive(Clone)]
struct Row {
    /// Position in the group.
    n: usize,
    index: usize,
    time: Option<DateTime<FixedOffset>>,
    total: u64,
    /// Non-zero state counts.
    states: Vec<(String, u64)>,
}

/// The last snapshot of a group, whose hotspots are printed.
struct Last {
    snap: SnapshotSummary,
    kind: KindSummary,
    protocols: BTreeMap<String, u64>,
}

/// The rows of one source and tool that a table can show: the first
/// [`MAX_ROWS`], the last [`EDGE`] and the (first) peak, whatever the
/// capture's length.
#[derive(Default)]
struct Group {
    count: usize,
    head: Vec<Row>,
    tail: VecDeque<Row>,
    peak: Option<Row>,
    last: Option<Last>,
    first_time: Option<DateTime<FixedOffset>>,
    last_time: Option<DateTime<FixedOffset>>,
    /// State columns: those non-zero in any snapshot of the group.
    cols: Vec<String>,
}

/// Rows kept at each end of a long capture.
const EDGE: usize = 10;

impl Group {
    fn push(&mut self, row: Row, last: Last) {
        self.count += 1;
        self.last = Some(last);
        if let Some(t) = row.time {
            self.first_time.get_or_insert(t);
            self.last_time = Some(t);
        }
        for (name, _) in &row.states {
            if !self.cols.contains(name) {
                self.cols.push(name.clone());
            }
        }
        if self.peak.as_ref().is_none_or(|p| row.total > p.total) {
            self.peak = Some(row.clone());
        }
        if self.head.len() < MAX_ROWS {
            self.head.push(row);
        } else {
            if self.tail.len() == EDGE {
                self.tail.pop_front();
            }
            self.tail.push_back(row);
        }
    }

    /// Rows to show, in order, each once: all of a short capture; the
    /// first and last [`EDGE`] and the peak of a long one.
    fn shown(&self) -> Vec<&Row> {
        let rows = self.head.iter().chain(&self.tail);
        if self.count <= MAX_ROWS {
            return rows.collect();
        }
        let mut v: Vec<&Row> = rows.filter(|r| r.n < EDGE || r.n >= self.count - EDGE).collect();
        if let Some(p) = &self.peak
            && !v.iter().any(|r| r.n == p.n)
        {
            v.push(p);
        }
        v.sort_by_key(|r| r.n);
        v
    }
}

/// Renders the summary as aligned text.
pub fn render(run: &Ingested, top: usize, out_w: &mut dyn std::io::Write) -> anyhow::Result<()> {
    // Group (snapshot, tool) rows by (source, tool), in order, keeping only
    // the rows a table shows.
    let mut groups: BTreeMap<(usize, u8), Group> = BTreeMap::new();
    for_each_snapshot(&run.store, |s, k| {
        let g = groups.entry((s.source, k.kind as u8)).or_default();
        let row = Row {
            n: g.count,
            index: s.index,
            time: s.time,
            total: k.total,
            states: states_map(s, k).into_iter().filter(|x| x.1 > 0).collect(),
        };
        let last = Last {
            snap: SnapshotSummary { kinds: Vec::new(), ..s.clone() },
            kind: k.clone(),
            protocols: Proto::ALL
                .iter()
                .filter(|p| k.protos[**p as usize] > 0)
                .map(|p| (p.name().to_string(), k.protos[*p as usize]))
                .collect(),
        };
        g.push(row, last);
        Ok(())
    })?;
    let sources = source_index(run);

    let mut text = String::new();
    for ((src_idx, _), g) in &mut groups {
        let out = &mut text;
        let Some(last) = &g.last else { continue };
        let Some(src) = sources.get(&(*src_idx as u32)) else { continue };
        let kind = last.kind.kind;
        let span = match (g.first_time, g.last_time) {
            (Some(a), Some(b)) if a != b => {
                format!(", {} → {}", a.format("%Y-%m-%d %H:%M:%S%:z"), b.format("%Y-%m-%d %H:%M:%S%:z"))
            }
            (Some(a), _) => format!(", {}", a.format("%Y-%m-%d %H:%M:%S%:z")),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "== {} · {} · {} · {} snapshot{}{} ==",
            visible(&src.host),
            visible(&src.path),
            kind.name(),
            g.count,
            if g.count == 1 { "" } else { "s" },
            span
        );

        g.cols.sort_by_key(|c| crate::model::state_rank(c));
        let cols = &g.cols;
        let mut t = table();
        let mut header = vec!["#".to_string(), "time".to_string(), "total".to_string()];
        header.extend(cols.iter().cloned());
        t.set_header(header);
        let peak = g.peak.as_ref().map_or(0, |p| p.n);
        let mut prev: Option<usize> = None;
        for row in g.shown() {
            let i = row.n;
            if let Some(p) = prev
                && i > p + 1
            {
                t.add_row(vec![format!("… {} snapshots", i - p - 1)]);
            }
            prev = Some(i);
            let mut r = vec![
                format!("{}{}", row.index, if i == peak && g.count > 1 { "*" } else { "" }),
                row.time.map(|t| t.format("%H:%M:%S").to_string()).unwrap_or_else(|| "-".into()),
                row.total.to_string(),
            ];
            for c in cols {
                r.push(row.states.iter().find(|x| x.0 == *c).map_or(0, |x| x.1).to_string());
            }
            t.add_row(r);
        }
        for i in 2..t.column_count() {
            if let Some(c) = t.column_mut(i) {
                c.set_cell_alignment(CellAlignment::Right);
            }
        }
        let _ = writeln!(out, "{t}");
        if g.count > 1 {
            let _ = writeln!(out, "  (* = peak total)");
        }

        // Hotspots of the last snapshot (its lists are already ranked:
        // count descending, then name).
        let Some(last) = &g.last else { continue };
        let (s, k) = (&last.snap, &last.kind);
        let protos: Vec<String> = last.protocols.iter().map(|(p, n)| format!("{p} {n}")).collect();
        if k.from_counters {
            let _ = writeln!(out, "  snapshot {}: kernel counters from ss -s ({} sockets)", s.index, k.total);
        } else {
            let _ = writeln!(out, "  snapshot {}: {} rows ({})", s.index, k.total, protos.join(", "));
        }
        let r: Vec<&(String, u64)> = k.top_remote.iter().take(top).collect();
        let p: Vec<&(u16, u64)> = k.top_local_ports.iter().take(top).collect();
        let (rl, pl) = if kind == crate::model::Kind::Conntrack {
            ("original destination", "destination port")
        } else {
            ("remote address", "local port")
        };
        let mut t = table();
        t.set_header(vec![rl.to_string(), "count".into(), "  ".into(), pl.to_string(), "count".into()]);
        for i in 0..r.len().max(p.len()) {
            let (a, an) = r.get(i).map(|(a, n)| (visible(a).into_owned(), n.to_string())).unwrap_or_default();
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
    let out = &mut text;
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
            visible(&s.path).into_owned(),
            visible(&s.host).into_owned(),
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
            let _ =
                writeln!(out, "rejected {}:{}: {}: {}", visible(&s.path), r.line, r.reason, visible(&r.text));
        }
        if s.lines.rejected > 3 {
            let _ = writeln!(
                out,
                "  … {} rejected lines in {} (all samples in --format json)",
                s.lines.rejected,
                visible(&s.path)
            );
        }
        for n in &s.notes {
            let _ = writeln!(out, "note {}: {}", visible(&s.path), visible(n));
        }
    }
    if !run.skipped.is_empty() {
        let _ = writeln!(out, "skipped {} files that are not captures", run.skipped.len());
    }
    // Every field from the inputs was made visible above (so widths are
    // right); this is the guard for anything added later.
    out_w.write_all(visible_lines(&text).as_bytes())?;
    Ok(())
}

fn opt(v: Option<u64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}
