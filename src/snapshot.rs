//! Finished snapshots: the bounded result of folding one snapshot.
//!
//! When a snapshot is complete its accumulators are reduced to the counts
//! and the top-K lists that outputs use — a few hundred bytes, never
//! proportional to its rows — and the merger hands it to the spool
//! (`spool.rs`); only the peak and the last snapshot of each capture stay
//! in memory whole ([`Highlight`]).

use chrono::{DateTime, FixedOffset};

use crate::detail::{SnapshotDetail, finalize_detail};
use crate::fold::{DetailAcc, KindAcc, Names, SegmentAcc};
use crate::model::{CtState, Kind, Proto, TcpState};
use crate::parse::ss::Sockstat;
use crate::parse::timestamp::Resolution;

/// One tool's view of one snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct KindSummary {
    pub kind: Kind,
    /// Rows (sockets or conntrack entries).
    pub total: u64,
    pub states: [u64; TcpState::COUNT],
    pub ct_states: [u64; CtState::COUNT],
    pub protos: [u64; Proto::COUNT],
    pub families: [u64; 3],
    /// Assured, unreplied, offload (conntrack).
    pub ct_flags: [u64; 3],
    pub truncated_addrs: u64,
    /// Top remote addresses (socket peers, or conntrack original
    /// destinations), descending, at most K.
    pub top_remote: Vec<(String, u64)>,
    pub remote_distinct: u64,
    pub top_local_ports: Vec<(u16, u64)>,
    pub local_ports_distinct: u64,
    /// Conntrack original sources.
    pub top_ct_src: Vec<(String, u64)>,
    /// Built from `ss -s`/sockstat kernel counters, not from socket rows.
    pub from_counters: bool,
    /// Connected sockets by direction × state (empty without detail).
    /// Boxed: most summaries have none.
    pub by_direction: Option<Box<[[u64; TcpState::COUNT]; 3]>>,
    /// The report's detail; kept only for the peak and the last snapshot
    /// of each source and tool.
    pub detail: Option<Box<SnapshotDetail>>,
}

/// A finished snapshot of one source.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotSummary {
    /// Index of the source in the run.
    pub source: usize,
    /// 0-based position in the source.
    pub index: usize,
    pub time: Option<DateTime<FixedOffset>>,
    pub time_resolution: Option<Resolution>,
    /// 1-based line where the snapshot starts.
    pub first_line: u64,
    pub kinds: Vec<KindSummary>,
    pub sockstat: Option<Sockstat>,
}

/// One tool's part of a snapshot that the report looks at closely, with
/// the snapshot it belongs to (`snap.kinds` is empty; the tool's summary,
/// detail included, is `kind`).
#[derive(Debug, Clone, PartialEq)]
pub struct Held {
    pub snap: SnapshotSummary,
    pub kind: KindSummary,
}

/// The peak (first snapshot with the highest total) and the last snapshot
/// of one source and tool: the only ones whose detail is kept. Built by the
/// merger (`ingest/merge.rs`).
#[derive(Debug, Clone, PartialEq)]
pub struct Highlight {
    pub peak: Held,
    /// `None` when the peak is the last snapshot.
    pub last: Option<Held>,
}

impl Highlight {
    pub fn last(&self) -> &Held {
        self.last.as_ref().unwrap_or(&self.peak)
    }
}

/// Reduces a complete segment. `name` resolves address ids; the report's
/// detail is reduced for the tools `detail` names (it is large and slow to
/// rank, and only the peak and the last snapshot keep it).
pub fn finalize(
    acc: &SegmentAcc,
    names: &dyn Names,
    keep: usize,
    range: (u16, u16),
    detail: &dyn Fn(Kind) -> bool,
) -> Vec<KindSummary> {
    // Exact capacity: a highlight keeps one of these, and a
    // growing Vec would reserve room for four.
    let n = acc.kinds.iter().flatten().filter(|k| k.rows > 0).count().max(1);
    let mut out = Vec::with_capacity(n);
    for kind in Kind::ALL {
        let Some(k) = acc.kinds[kind as usize].as_deref() else { continue };
        if k.rows == 0 {
            continue;
        }
        out.push(finalize_kind(kind, k, names, keep, range, detail(kind)));
    }
    if out.is_empty()
        && let Some(c) = &acc.sockstat
    {
        out.push(counters_kind(c));
    }
    out
}

/// An `ss -s` snapshot: the kernel's own counts stand in for rows. `total`
/// is every socket (`Total:`), the TCP states are the ones `ss -s` names.
fn counters_kind(c: &Sockstat) -> KindSummary {
    let mut k = KindSummary::empty(Kind::Ss);
    k.states[TcpState::Established as usize] = c.estab.unwrap_or(0);
    k.states[TcpState::TimeWait as usize] = c.timewait.unwrap_or(0);
    k.states[TcpState::SynRecv as usize] = c.synrecv.unwrap_or(0);
    k.protos[Proto::Tcp as usize] = c.tcp_total.or(c.tcp_inuse).unwrap_or(0);
    k.total = c.total.unwrap_or(0);
    k.from_counters = true;
    k
}

fn finalize_kind(
    kind: Kind,
    k: &KindAcc,
    names: &dyn Names,
    keep: usize,
    range: (u16, u16),
    with_detail: bool,
) -> KindSummary {
    let lossy = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let mut remote = k.remote_counts();
    let top_remote = top_by(&mut remote, keep, |x| x.1, |a, b| names.name(&a.0).cmp(names.name(&b.0)))
        .into_iter()
        .map(|(a, c)| (lossy(names.name(&a)), c))
        .collect();
    let mut ports: Vec<_> = k.local_ports.iter().collect();
    let top_local_ports = top_by(&mut ports, keep, |x| x.1, |a, b| a.0.cmp(&b.0));
    let mut src: Vec<_> = k.ct_src.iter().map(|(a, c)| (*a, *c)).collect();
    let top_ct_src = top_by(&mut src, keep, |x| x.1, |a, b| names.name(&a.0).cmp(names.name(&b.0)))
        .into_iter()
        .map(|(a, c)| (lossy(names.name(&a)), c))
        .collect();
    KindSummary {
        kind,
        total: k.rows,
        states: k.states,
        ct_states: k.ct_states,
        protos: k.protos,
        families: k.families,
        ct_flags: k.ct_flags,
        truncated_addrs: k.truncated_addrs,
        top_remote,
        remote_distinct: k.remote_distinct(),
        top_local_ports,
        local_ports_distinct: k.local_ports.len() as u64,
        top_ct_src,
        from_counters: false,
        by_direction: None,
        detail: k.detail.as_deref().filter(|_| with_detail).map(|d| reduce_detail(d, names, keep, range)),
    }
    .with_direction()
}

/// What travels beside a snapshot's encoded summaries: rows per tool
/// (`None`: not in the snapshot), cut addresses, and each tool's detail.
#[derive(Debug, Default)]
pub struct Beside {
    pub totals: [Option<u64>; Kind::COUNT],
    pub truncated_addrs: u64,
    pub details: [Option<Box<SnapshotDetail>>; Kind::COUNT],
}

impl Beside {
    /// Takes the details (and the direction table made from them) off
    /// `kinds`: they are not encoded, and travel here.
    pub fn take_from(kinds: &mut [KindSummary]) -> Beside {
        let mut b = Beside::default();
        for ks in kinds {
            let k = ks.kind as usize;
            b.totals[k] = Some(ks.total);
            b.truncated_addrs += ks.truncated_addrs;
            b.details[k] = ks.detail.take();
            ks.by_direction = None;
        }
        b
    }
}

/// Reduces a complete segment (see [`finalize`]) and appends its encoded
/// body (`spool::encode_body`) to `out`; returns what travels beside it.
pub fn reduce_into(
    acc: &SegmentAcc,
    names: &dyn Names,
    keep: usize,
    range: (u16, u16),
    detail: &dyn Fn(Kind) -> bool,
    out: &mut Vec<u8>,
) -> Beside {
    let mut kinds = finalize(acc, names, keep, range, detail);
    let beside = Beside::take_from(&mut kinds);
    crate::spool::encode_body(acc.sockstat, &kinds, out);
    beside
}

/// Reduces the report's detail of one tool's snapshot (its rankings are
/// at least 20 long, whatever `keep`).
pub fn reduce_detail(
    d: &DetailAcc,
    names: &dyn Names,
    keep: usize,
    range: (u16, u16),
) -> Box<SnapshotDetail> {
    Box::new(finalize_detail(d, names, keep.max(20), range))
}

impl KindSummary {
    /// A summary of `kind` with nothing counted.
    pub fn empty(kind: Kind) -> KindSummary {
        KindSummary {
            kind,
            total: 0,
            states: [0; TcpState::COUNT],
            ct_states: [0; CtState::COUNT],
            protos: [0; Proto::COUNT],
            families: [0; 3],
            ct_flags: [0; 3],
            truncated_addrs: 0,
            top_remote: Vec::new(),
            remote_distinct: 0,
            top_local_ports: Vec::new(),
            local_ports_distinct: 0,
            top_ct_src: Vec::new(),
            from_counters: false,
            by_direction: None,
            detail: None,
        }
    }

    fn with_direction(mut self) -> Self {
        let d = self.detail.take();
        self.attach_detail(d);
        self
    }

    /// Gives the summary its detail (reduced separately, or taken off to
    /// travel apart from the encoded summary).
    pub fn attach_detail(&mut self, d: Option<Box<SnapshotDetail>>) {
        self.by_direction = d.as_ref().map(|d| Box::new(d.by_direction));
        self.detail = d;
    }
}

/// The `keep` largest items by `count`, ties broken by `tie` (ascending)
/// so output is deterministic whatever the hash order was.
fn top_by<T: Copy>(
    items: &mut [T],
    keep: usize,
    count: impl Fn(&T) -> u64,
    tie: impl Fn(&T, &T) -> std::cmp::Ordering,
) -> Vec<T> {
    let cmp = |a: &T, b: &T| count(b).cmp(&count(a)).then_with(|| tie(a, b));
    if items.len() > keep && keep > 0 {
        items.select_nth_unstable_by(keep - 1, cmp);
        items[..keep].sort_unstable_by(cmp);
        items[..keep].to_vec()
    } else {
        items.sort_unstable_by(cmp);
        items.iter().take(keep).copied().collect()
    }
}

/// The canonical TCP states with their counts, zeros included, so every
/// output lists the same states in the same order.
pub fn state_pairs(states: &[u64; TcpState::COUNT]) -> impl Iterator<Item = (TcpState, u64)> + '_ {
    TcpState::ALL.into_iter().filter(|s| s.is_tcp_state()).map(|s| (s, states[s as usize]))
}

/// Serializable form of a resolution, for JSON.
pub fn resolution_name(r: Resolution) -> &'static str {
    match r {
        Resolution::Explicit => "explicit",
        Resolution::Assumed => "assumed",
        Resolution::Abbreviation => "abbreviation",
        Resolution::Ambiguous => "ambiguous",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_is_deterministic_on_ties() {
        let mut v = vec![(3u16, 5u64), (1, 5), (2, 9), (4, 1)];
        let t = top_by(&mut v, 3, |x| x.1, |a, b| a.0.cmp(&b.0));
        assert_eq!(t, vec![(2, 9), (1, 5), (3, 5)]);
        let mut v = vec![(1u16, 1u64)];
        assert_eq!(top_by(&mut v, 3, |x| x.1, |a, b| a.0.cmp(&b.0)), vec![(1, 1)]);
    }
}
