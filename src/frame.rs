//! The only place that builds polars DataFrames.
//!
//! Frames are built from merged aggregates (finished snapshots), never from
//! raw rows: one row per snapshot and tool in [`Frames::snapshots`], and long
//! tables keyed by that row's `snap` id for states, protocols, remote
//! addresses and local ports. Sorting and top-N run here, in polars.
//!
//! Outputs build frames over batches of snapshots read back from the spool
//! ([`BATCH`] at a time), so a capture with a million snapshots never has
//! them all in one frame.

use polars::prelude::*;

use crate::ingest::SourceReport;
use crate::model::{CtState, Kind, Proto, TcpState};
use crate::snapshot::{KindSummary, SnapshotSummary};

/// Snapshots per batch of frames.
pub const BATCH: usize = 4096;

/// Column names.
pub mod col {
    pub const SNAP: &str = "snap";
    pub const HOST: &str = "host";
    pub const SOURCE: &str = "source";
    pub const KIND: &str = "kind";
    pub const INDEX: &str = "index";
    pub const TIME: &str = "time";
    pub const TOTAL: &str = "total";
    pub const STATE: &str = "state";
    pub const PROTOCOL: &str = "protocol";
    pub const ADDR: &str = "addr";
    pub const PORT: &str = "port";
    pub const COUNT: &str = "count";
}

/// The DataFrames of a run.
pub struct Frames {
    /// snap, host, source, kind, index, time (RFC 3339 or null), total.
    pub snapshots: DataFrame,
    /// snap, state, count — every canonical TCP state (socket snapshots) or
    /// conntrack state (conntrack snapshots), zeros included.
    pub states: DataFrame,
    /// snap, protocol, count — non-zero only.
    pub protocols: DataFrame,
    /// snap, addr, count — sorted by snap, count desc, addr.
    pub remote: DataFrame,
    /// snap, port, count — sorted by snap, count desc, port.
    pub ports: DataFrame,
}

impl Frames {
    /// Builds all frames over `rows` (snapshot, tool); row `snap` = the
    /// position in `rows`.
    pub fn build<'r>(
        sources: &[SourceReport],
        rows: impl IntoIterator<Item = (&'r SnapshotSummary, &'r KindSummary)>,
    ) -> PolarsResult<Frames> {
        let mut snap = Vec::new();
        let mut host = Vec::new();
        let mut source = Vec::new();
        let mut kind = Vec::new();
        let mut index = Vec::new();
        let mut time: Vec<Option<String>> = Vec::new();
        let mut total = Vec::new();
        let (mut st_snap, mut st_state, mut st_count) = (Vec::new(), Vec::new(), Vec::new());
        let (mut pr_snap, mut pr_name, mut pr_count) = (Vec::new(), Vec::new(), Vec::new());
        let (mut ra_snap, mut ra_addr, mut ra_count) = (Vec::new(), Vec::new(), Vec::new());
        let (mut po_snap, mut po_port, mut po_count) = (Vec::new(), Vec::new(), Vec::new());

        for (row, (s, k)) in rows.into_iter().enumerate() {
            let id = row as u32;
            let src = &sources[s.source];
            snap.push(id);
            host.push(src.host.as_str());
            source.push(src.path.as_str());
            kind.push(k.kind.name());
            index.push(s.index as u32);
            time.push(s.time.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)));
            total.push(k.total);
            if k.kind == Kind::Conntrack {
                for c in 0..CtState::COUNT as u8 {
                    let cs = CtState::from_code(c);
                    let n = k.ct_states[c as usize];
                    // The TCP states always (so columns line up), the
                    // SCTP/DCCP ones when present.
                    if n > 0 || (CtState::SynSent as u8..=CtState::SynSent2 as u8).contains(&c) {
                        st_snap.push(id);
                        st_state.push(cs.name());
                        st_count.push(n);
                    }
                }
            } else if k.from_counters {
                // `ss -s` names only these; the rest are unknown, not zero.
                // TIME_WAIT here is the kernel's `tw` count, which also holds
                // orphaned FIN_WAIT2 sockets parked as timewait sockets.
                if let Some(c) = s.sockstat {
                    for (st, v) in [
                        (TcpState::Established, c.estab),
                        (TcpState::SynRecv, c.synrecv),
                        (TcpState::TimeWait, c.timewait),
                    ] {
                        if let Some(v) = v {
                            st_snap.push(id);
                            st_state.push(st.name());
                            st_count.push(v);
                        }
                    }
                }
            } else {
                for st in TcpState::ALL.into_iter().filter(|s| s.is_tcp_state()) {
                    let n = k.states[st as usize];
                    if st != TcpState::Unknown || n > 0 {
                        st_snap.push(id);
                        st_state.push(st.name());
                        st_count.push(n);
                    }
                }
            }
            for p in Proto::ALL {
                let n = k.protos[p as usize];
                if n > 0 {
                    pr_snap.push(id);
                    pr_name.push(p.name());
                    pr_count.push(n);
                }
            }
            for (a, c) in &k.top_remote {
                ra_snap.push(id);
                ra_addr.push(a.as_str());
                ra_count.push(*c);
            }
            for (p, c) in &k.top_local_ports {
                po_snap.push(id);
                po_port.push(*p);
                po_count.push(*c);
            }
        }

        let snapshots = DataFrame::new_infer_height(vec![
            Column::new(col::SNAP.into(), snap),
            Column::new(col::HOST.into(), host),
            Column::new(col::SOURCE.into(), source),
            Column::new(col::KIND.into(), kind),
            Column::new(col::INDEX.into(), index),
            Column::new(col::TIME.into(), time),
            Column::new(col::TOTAL.into(), total),
        ])?;
        let states = DataFrame::new_infer_height(vec![
            Column::new(col::SNAP.into(), st_snap),
            Column::new(col::STATE.into(), st_state),
            Column::new(col::COUNT.into(), st_count),
        ])?;
        let protocols = DataFrame::new_infer_height(vec![
            Column::new(col::SNAP.into(), pr_snap),
            Column::new(col::PROTOCOL.into(), pr_name),
            Column::new(col::COUNT.into(), pr_count),
        ])?;
        let desc = SortMultipleOptions::new()
            .with_order_descending_multi([false, true, false])
            .with_maintain_order(true);
        let remote = DataFrame::new_infer_height(vec![
            Column::new(col::SNAP.into(), ra_snap),
            Column::new(col::ADDR.into(), ra_addr),
            Column::new(col::COUNT.into(), ra_count),
        ])?
        .sort([col::SNAP, col::COUNT, col::ADDR], desc.clone())?;
        let ports = DataFrame::new_infer_height(vec![
            Column::new(col::SNAP.into(), po_snap),
            Column::new(col::PORT.into(), po_port),
            Column::new(col::COUNT.into(), po_count),
        ])?
        .sort([col::SNAP, col::COUNT, col::PORT], desc)?;
        Ok(Frames { snapshots, states, protocols, remote, ports })
    }
}

/// The (snapshot, tool) pairs of `snaps` in output order: snapshot, tool.
pub fn snapshot_rows(snaps: &[SnapshotSummary]) -> impl Iterator<Item = (&SnapshotSummary, &KindSummary)> {
    snaps.iter().flat_map(|s| s.kinds.iter().map(move |k| (s, k)))
}

/// Reads the run's snapshots in batches of [`BATCH`] and calls `f` with
/// each batch, in order.
pub fn for_each_batch(
    run: &crate::ingest::Ingested,
    mut f: impl FnMut(&[SnapshotSummary]) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut batch = Vec::with_capacity(BATCH);
    for s in run.snapshots.iter() {
        batch.push(s?);
        if batch.len() == BATCH {
            f(&batch)?;
            batch.clear();
        }
    }
    if !batch.is_empty() {
        f(&batch)?;
    }
    Ok(())
}

/// Rows of a long frame grouped by `snap`: for each snap id, the row range.
/// The frame must be sorted by `snap` (all frames here are).
pub fn group_ranges(df: &DataFrame) -> PolarsResult<Vec<(u32, std::ops::Range<usize>)>> {
    let snaps = df.column(col::SNAP)?.u32()?;
    let mut out: Vec<(u32, std::ops::Range<usize>)> = Vec::new();
    for (i, v) in snaps.iter().enumerate() {
        let v = v.unwrap_or(u32::MAX);
        match out.last_mut() {
            Some((s, r)) if *s == v => r.end = i + 1,
            _ => out.push((v, i..i + 1)),
        }
    }
    Ok(out)
}
