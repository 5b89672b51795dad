//! Reading snapshots back from the tables as typed values.
//!
//! [`summaries`] reads a batch's `snapshots` rows with their rankings (each
//! ranking table indexed by snapshot once) and turns each row into a
//! [`SnapshotSummary`] with its one [`KindSummary`]. [`detail`] reads the detail tables of one
//! snapshot. Outputs and passes format these; they never see raw rows.

use std::collections::HashMap;

use polars::prelude::*;

use super::store::Batch;
use super::{Key, STATE_ORDER};
use crate::detail::{
    CtDestination, Direction, EphemeralUse, ListenerRow, LocalService, Ranked, SnapshotDetail,
};
use crate::fold::{CT_BUCKETS, StateCounts};
use crate::model::{CtState, Kind, Proto, TcpState};
use crate::parse::ss::Sockstat;
use crate::parse::timestamp::Resolution;
use crate::snapshot::{KindSummary, SnapshotSummary};

fn kind_of(name: &str) -> Kind {
    Kind::ALL.into_iter().find(|k| k.name() == name).unwrap_or_default()
}

fn resolution_of(name: &str) -> Option<Resolution> {
    Some(match name {
        "explicit" => Resolution::Explicit,
        "assumed" => Resolution::Assumed,
        "abbreviation" => Resolution::Abbreviation,
        "ambiguous" => Resolution::Ambiguous,
        _ => return None,
    })
}

/// Row numbers of a per-snapshot table by snapshot (source, kind, index),
/// in table order (rank order for the rankings).
type RowsBySnapshot = HashMap<(u32, Kind, u32), Vec<usize>>;

fn rows_by_snapshot(df: &DataFrame) -> PolarsResult<RowsBySnapshot> {
    let sources = df.column("source_id")?.u32()?;
    let kinds = df.column("kind")?.str()?;
    let idx = df.column("index")?.u32()?;
    let mut out = RowsBySnapshot::default();
    for (i, ((s, k), x)) in sources.iter().zip(kinds.iter()).zip(idx.iter()).enumerate() {
        if let (Some(s), Some(k), Some(x)) = (s, k, x) {
            out.entry((s, kind_of(k), x)).or_default().push(i);
        }
    }
    Ok(out)
}

/// Typed access to one column of a collected frame.
struct Cols<'a>(&'a DataFrame);

impl<'a> Cols<'a> {
    fn u64(&self, n: &str) -> PolarsResult<&'a UInt64Chunked> {
        self.0.column(n)?.u64()
    }
    fn u32(&self, n: &str) -> PolarsResult<&'a UInt32Chunked> {
        self.0.column(n)?.u32()
    }
    fn str(&self, n: &str) -> PolarsResult<&'a StringChunked> {
        self.0.column(n)?.str()
    }
    fn bool(&self, n: &str) -> PolarsResult<&'a BooleanChunked> {
        self.0.column(n)?.bool()
    }
}

/// Every snapshot of a batch, in order, each with its one tool's summary
/// (rankings included, detail not: see [`detail`]).
pub fn summaries(b: &Batch) -> PolarsResult<Vec<(SnapshotSummary, KindSummary)>> {
    summaries_with(b, true)
}

/// [`summaries`]; without `rankings`, only the counts (states, protocols,
/// families, counters): what a pass over every snapshot's course needs.
pub fn summaries_with(b: &Batch, rankings: bool) -> PolarsResult<Vec<(SnapshotSummary, KindSummary)>> {
    let snaps = b.frame(&super::snapshots::SCHEMA)?;
    if snaps.height() == 0 {
        return Ok(Vec::new());
    }
    let mut view = snaps;
    view.rechunk_mut();
    // The rankings, looked up by snapshot (each table scanned once).
    // ct_states is read even without rankings: the conntrack state counts
    // are part of a snapshot's counts.
    let ranking = |schema: &super::Schema| -> PolarsResult<(DataFrame, RowsBySnapshot)> {
        let wanted = rankings || std::ptr::eq(schema, &super::ct_states::SCHEMA);
        let mut df = if wanted { b.frame(schema)? } else { schema.empty() };
        df.rechunk_mut();
        let by = rows_by_snapshot(&df)?;
        Ok((df, by))
    };
    let (ra, ra_by) = ranking(&super::remote_addrs::SCHEMA)?;
    let (lp, lp_by) = ranking(&super::local_ports::SCHEMA)?;
    let (cs, cs_by) = ranking(&super::ct_sources::SCHEMA)?;
    let (st, st_by) = ranking(&super::ct_states::SCHEMA)?;
    let (ra_a, ra_c) = (ra.column("remote_addr")?.str()?, ra.column("count")?.u64()?);
    let (lp_p, lp_c) = (lp.column("local_port")?.u16()?, lp.column("count")?.u64()?);
    let (cs_a, cs_c) = (cs.column("src_addr")?.str()?, cs.column("entries")?.u64()?);
    let (st_s, st_c) = (st.column("state")?.str()?, st.column("entries")?.u64()?);
    let c = Cols(&view);
    let source = c.u32("source_id")?;
    let idx = c.u32("index")?;
    let kind = c.str("kind")?;
    let time = view.column("time")?.datetime()?;
    let offset = view.column("utc_offset")?.i32()?;
    let res = c.str("time_resolution")?;
    let first_line = c.u64("first_line")?;
    let total = c.u64("total")?;
    let from_counters = c.bool("from_counters")?;
    let states: Vec<&UInt64Chunked> =
        STATE_ORDER.iter().map(|s| c.u64(s.name())).collect::<PolarsResult<_>>()?;
    let unknown = c.u64("UNKNOWN")?;
    let stateless = c.u64("stateless")?;
    let protos: Vec<&UInt64Chunked> = Proto::ALL
        .iter()
        .map(|p| c.u64(if *p == Proto::Other { "proto_other" } else { p.name() }))
        .collect::<PolarsResult<_>>()?;
    let fams = [c.u64("ipv4")?, c.u64("ipv6")?, c.u64("family_unknown")?];
    let flags = [c.u64("ct_assured")?, c.u64("ct_unreplied")?, c.u64("ct_offload")?];
    let remote_distinct = c.u64("remote_distinct")?;
    let ports_distinct = c.u64("local_ports_distinct")?;
    let truncated = c.u64("truncated_addrs")?;
    let ss: Vec<&UInt64Chunked> = [
        "ss_total",
        "ss_tcp",
        "ss_estab",
        "ss_closed",
        "ss_orphaned",
        "ss_synrecv",
        "ss_timewait",
        "ss_tcp_inuse",
        "ss_tcp_alloc",
        "ss_tcp_mem_pages",
    ]
    .iter()
    .map(|n| c.u64(n))
    .collect::<PolarsResult<_>>()?;

    let mut out = Vec::with_capacity(view.height());
    for i in 0..view.height() {
        let kind = kind_of(kind.get(i).unwrap_or_default());
        let mut k = KindSummary::empty(kind);
        k.total = total.get(i).unwrap_or(0);
        k.from_counters = from_counters.get(i).unwrap_or(false);
        for (s, ca) in STATE_ORDER.iter().zip(&states) {
            k.states[*s as usize] = ca.get(i).unwrap_or(0);
        }
        k.states[TcpState::Unknown as usize] = unknown.get(i).unwrap_or(0);
        // UNCONN and NONE are stored as one sum.
        k.states[TcpState::None as usize] = stateless.get(i).unwrap_or(0);
        for (p, ca) in Proto::ALL.iter().zip(&protos) {
            k.protos[*p as usize] = ca.get(i).unwrap_or(0);
        }
        for (f, ca) in k.families.iter_mut().zip(fams) {
            *f = ca.get(i).unwrap_or(0);
        }
        for (f, ca) in k.ct_flags.iter_mut().zip(flags) {
            *f = ca.get(i).unwrap_or(0);
        }
        k.remote_distinct = remote_distinct.get(i).unwrap_or(0);
        k.local_ports_distinct = ports_distinct.get(i).unwrap_or(0);
        k.truncated_addrs = truncated.get(i).unwrap_or(0);
        let key = (source.get(i).unwrap_or(0), kind, idx.get(i).unwrap_or(0));
        let rows = |by: &RowsBySnapshot| by.get(&key).cloned().unwrap_or_default();
        k.top_remote =
            rows(&ra_by).into_iter().filter_map(|r| Some((ra_a.get(r)?.to_string(), ra_c.get(r)?))).collect();
        k.top_local_ports =
            rows(&lp_by).into_iter().filter_map(|r| Some((lp_p.get(r)?, lp_c.get(r)?))).collect();
        k.top_ct_src =
            rows(&cs_by).into_iter().filter_map(|r| Some((cs_a.get(r)?.to_string(), cs_c.get(r)?))).collect();
        for r in rows(&st_by) {
            if let (Some(name), Some(n)) = (st_s.get(r), st_c.get(r))
                && let Some(s) = CtState::from_word(name.as_bytes())
            {
                k.ct_states[s as usize] = n;
            }
        }
        let mut sockstat = Sockstat::default();
        for (slot, ca) in sockstat.fields_mut().into_iter().zip(&ss) {
            *slot = ca.get(i);
        }
        let snap = SnapshotSummary {
            source: source.get(i).unwrap_or(0) as usize,
            index: idx.get(i).unwrap_or(0) as usize,
            time: time.phys.get(i).and_then(chrono::DateTime::from_timestamp_micros).map(|t| {
                let off = offset.get(i).and_then(chrono::FixedOffset::east_opt);
                off.map_or_else(|| t.fixed_offset(), |o| t.with_timezone(&o))
            }),
            time_resolution: res.get(i).and_then(resolution_of),
            first_line: first_line.get(i).unwrap_or(0),
            kinds: Vec::new(),
            sockstat: (sockstat != Sockstat::default()).then_some(sockstat),
        };
        out.push((snap, k));
    }
    Ok(out)
}

/// The rows of `table` in `b` that belong to the snapshot `key`.
fn rows_of(b: &Batch, table: &super::Schema, key: &Key) -> PolarsResult<DataFrame> {
    let df = b.frame(table)?;
    if df.height() == 0 {
        return Ok(df);
    }
    let mut at = col("kind").eq(lit(key.kind.name())).and(col("index").eq(lit(key.index)));
    if b.is_shared() {
        at = at.and(col("source_id").eq(lit(key.source)));
    }
    df.lazy().filter(at).collect()
}

/// Per-state counts of row `i` of a frame with the state columns.
fn state_counts(df: &DataFrame, i: usize) -> PolarsResult<StateCounts> {
    let mut c = StateCounts { total: df.column("count")?.u64()?.get(i).unwrap_or(0), ..Default::default() };
    for s in STATE_ORDER {
        c.states[s as usize] = df.column(s.name())?.u64()?.get(i).unwrap_or(0).min(u32::MAX as u64) as u32;
    }
    Ok(c)
}

/// The detail of one snapshot, read from its batch's detail tables; `None`
/// when the snapshot was folded without detail (`summary`).
pub fn detail(b: &Batch, key: &Key) -> PolarsResult<Option<SnapshotDetail>> {
    use super::*;
    let dirs = rows_of(b, &directions::SCHEMA, key)?;
    let peers = rows_of(b, &peers::SCHEMA, key)?;
    let listeners = rows_of(b, &listeners::SCHEMA, key)?;
    let ct_dst = rows_of(b, &ct_destinations::SCHEMA, key)?;
    let cut_rows = rows_of(b, &cuts::SCHEMA, key)?;
    // A snapshot folded with detail always has cuts of its detail tables.
    let tables = cut_rows.column("table")?.str()?;
    let detailed =
        tables.iter().flatten().any(|t| !matches!(t, "remote_addrs" | "local_ports" | "ct_sources"))
            || dirs.height() + peers.height() + listeners.height() + ct_dst.height() > 0;
    if !detailed {
        return Ok(None);
    }
    let mut d = SnapshotDetail::default();
    let c = Cols(&dirs);
    for i in 0..dirs.height() {
        let dir = match c.str("direction")?.get(i) {
            Some("inbound") => Direction::Inbound,
            Some("outbound") => Direction::Outbound,
            _ => Direction::Unknown,
        };
        let sc = state_counts(&dirs, i)?;
        for (a, b) in d.by_direction[dir as usize].iter_mut().zip(sc.states) {
            *a = u64::from(b);
        }
    }
    let c = Cols(&peers);
    for i in 0..peers.height() {
        let dir = match c.str("direction")?.get(i) {
            Some("inbound") => Direction::Inbound,
            Some("outbound") => Direction::Outbound,
            _ => Direction::Unknown,
        };
        let addr = c.str("remote_addr")?.get(i).unwrap_or_default().to_string();
        d.peers.push(Ranked { key: (addr, dir), counts: state_counts(&peers, i)? });
    }
    let df = rows_of(b, &services::SCHEMA, key)?;
    let c = Cols(&df);
    for i in 0..df.height() {
        let addr = c.str("remote_addr")?.get(i).unwrap_or_default().to_string();
        let port = df.column("remote_port")?.u16()?.get(i).unwrap_or(0);
        d.remote_services.push(Ranked { key: (addr, port), counts: state_counts(&df, i)? });
    }
    let df = rows_of(b, &prefixes::SCHEMA, key)?;
    let c = Cols(&df);
    for i in 0..df.height() {
        let p = c.str("prefix")?.get(i).unwrap_or_default().to_string();
        d.prefixes.push(Ranked { key: p, counts: state_counts(&df, i)? });
    }
    let df = rows_of(b, &local_services::SCHEMA, key)?;
    let c = Cols(&df);
    for i in 0..df.height() {
        d.local_services.push(LocalService {
            port: df.column("local_port")?.u16()?.get(i).unwrap_or(0),
            listening: c.bool("listening")?.get(i).unwrap_or(false),
            counts: state_counts(&df, i)?,
        });
    }
    let df = rows_of(b, &processes::SCHEMA, key)?;
    let c = Cols(&df);
    for i in 0..df.height() {
        let name = c.str("process")?.get(i).unwrap_or_default().to_string();
        d.processes.push(Ranked { key: (name, c.u32("pid")?.get(i)), counts: state_counts(&df, i)? });
    }
    let df = rows_of(b, &ephemeral::SCHEMA, key)?;
    let c = Cols(&df);
    for i in 0..df.height() {
        let port = |n: &str| -> PolarsResult<u16> { Ok(df.column(n)?.u16()?.get(i).unwrap_or(0)) };
        d.ephemeral_range = (port("range_lo")?, port("range_hi")?);
        d.ephemeral.push(EphemeralUse {
            local: c.str("local_addr")?.get(i).unwrap_or_default().to_string(),
            remote: c.str("remote_addr")?.get(i).unwrap_or_default().to_string(),
            port: port("remote_port")?,
            sockets: c.u64("ports_in_use")?.get(i).unwrap_or(0),
            time_wait: c.u64("time_wait")?.get(i).unwrap_or(0),
            share: df.column("share")?.f64()?.get(i).unwrap_or(0.0),
        });
    }
    let c = Cols(&listeners);
    for i in 0..listeners.height() {
        d.listeners.push(ListenerRow {
            addr: c.str("local_addr")?.get(i).unwrap_or_default().to_string(),
            port: listeners.column("local_port")?.u16()?.get(i).unwrap_or(0),
            sockets: c.u32("sockets")?.get(i).unwrap_or(0),
            recv_q: c.u64("recv_q")?.get(i).unwrap_or(0),
            send_q: c.u64("send_q")?.get(i).unwrap_or(0),
            process: c.str("process")?.get(i).map(str::to_string),
        });
    }
    let df = rows_of(b, &ct_timeouts::SCHEMA, key)?;
    let c = Cols(&df);
    for i in 0..df.height() {
        let st =
            CtState::from_word(c.str("state")?.get(i).unwrap_or_default().as_bytes()).unwrap_or_default();
        let lo = c.u64("timeout_lo")?.get(i).unwrap_or(0);
        let bucket = if lo == 0 { 0 } else { (lo.trailing_zeros() + 1) as usize };
        let n = c.u64("entries")?.get(i).unwrap_or(0).min(u32::MAX as u64) as u32;
        match d.ct_timeouts.iter_mut().find(|(s, _)| *s == st) {
            Some((_, h)) => h[bucket.min(CT_BUCKETS - 1)] = n,
            None => {
                let mut h = [0u32; CT_BUCKETS];
                h[bucket.min(CT_BUCKETS - 1)] = n;
                d.ct_timeouts.push((st, h));
            }
        }
    }
    let c = Cols(&ct_dst);
    for i in 0..ct_dst.height() {
        d.ct_destinations.push(CtDestination {
            addr: c.str("dst_addr")?.get(i).unwrap_or_default().to_string(),
            port: ct_dst.column("dst_port")?.u16()?.get(i).unwrap_or(0),
            entries: c.u64("entries")?.get(i).unwrap_or(0).min(u32::MAX as u64) as u32,
            unreplied: c.u64("unreplied")?.get(i).unwrap_or(0).min(u32::MAX as u64) as u32,
        });
    }
    let snaps = rows_of(b, &snapshots::SCHEMA, key)?;
    if snaps.height() > 0 {
        let c = Cols(&snaps);
        if let (Some(f), Some(s), Some(e)) =
            (c.u64("flows_dropped")?.get(0), c.u64("sockets_dropped")?.get(0), c.u64("rank_error")?.get(0))
        {
            d.dropped = Some((f, s, e));
        }
    }
    Ok(Some(d))
}

/// Calls `f` with every snapshot of the run (each tool's part of it), in
/// order: by source, then snapshot, a batch at a time.
pub fn for_each_snapshot(
    store: &super::store::Store,
    f: impl FnMut(&SnapshotSummary, &KindSummary) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    for_each_snapshot_with(store, true, f)
}

/// [`for_each_snapshot`], with or without the rankings.
pub fn for_each_snapshot_with(
    store: &super::store::Store,
    rankings: bool,
    mut f: impl FnMut(&SnapshotSummary, &KindSummary) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    for b in store.batches() {
        for (s, k) in summaries_with(&b, rankings)? {
            f(&s, &k)?;
        }
    }
    Ok(())
}
