//! Finished snapshots: the bounded result of folding one snapshot.
//!
//! When a snapshot is complete its accumulators are reduced to the counts
//! and the top-N rankings — never proportional to its rows — and written
//! as rows of the tables (`table/`), by the chunk worker for a snapshot
//! inside its chunk and by the merger for one that spans chunks.

use chrono::{DateTime, FixedOffset};

use crate::detail::{Cut, SnapshotDetail, finalize_detail};
use crate::fold::{DetailAcc, KindAcc, Names, SegmentAcc};
use crate::model::{CtState, Kind, Proto, TcpState};
use crate::parse::ss::Sockstat;
use crate::parse::timestamp::{RawTime, Resolution, TzPolicy, resolve};

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
    /// The detail of the report's fold (direction, peers, services,
    /// listeners, processes, ephemeral use, conntrack composition).
    pub detail: Option<Box<SnapshotDetail>>,
    /// What the rankings above left out (`remote_addrs`, `local_ports`,
    /// `ct_sources`).
    pub cuts: Vec<(&'static str, Cut)>,
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
    fn cut<K>(kept: &[(K, u64)], distinct: usize, all: u64) -> Cut {
        Cut {
            kept: kept.len() as u32,
            kept_sum: kept.iter().map(|x| x.1).sum(),
            distinct: distinct as u64,
            all,
        }
    }
    let mut cuts = Vec::new();
    let mut remote = k.remote_counts();
    let (distinct, all) = (remote.len(), remote.iter().map(|x| x.1).sum());
    let top_remote: Vec<(String, u64)> =
        top_by(&mut remote, keep, |x| x.1, |a, b| names.name(&a.0).cmp(names.name(&b.0)))
            .into_iter()
            .map(|(a, c)| (lossy(names.name(&a)), c))
            .collect();
    if distinct > 0 {
        cuts.push(("remote_addrs", cut(&top_remote, distinct, all)));
    }
    let mut ports: Vec<_> = k.local_ports.iter().collect();
    let (distinct, all) = (ports.len(), ports.iter().map(|x| x.1).sum());
    let top_local_ports = top_by(&mut ports, keep, |x| x.1, |a, b| a.0.cmp(&b.0));
    if distinct > 0 {
        cuts.push(("local_ports", cut(&top_local_ports, distinct, all)));
    }
    let mut src: Vec<_> = k.ct_src.iter().map(|(a, c)| (*a, *c)).collect();
    let (distinct, all) = (src.len(), src.iter().map(|x| x.1).sum());
    let top_ct_src: Vec<(String, u64)> =
        top_by(&mut src, keep, |x| x.1, |a, b| names.name(&a.0).cmp(names.name(&b.0)))
            .into_iter()
            .map(|(a, c)| (lossy(names.name(&a)), c))
            .collect();
    if distinct > 0 {
        cuts.push(("ct_sources", cut(&top_ct_src, distinct, all)));
    }
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
        cuts,
    }
    .with_direction()
}

/// A complete snapshot segment, ready to be reduced and written as rows.
pub struct FinishedSegment<'a> {
    pub source: u32,
    pub index: u32,
    pub time: Option<(DateTime<FixedOffset>, Resolution)>,
    pub first_line: u64,
    pub acc: &'a SegmentAcc,
    pub names: &'a dyn Names,
    pub keep: usize,
    /// The ephemeral range direction and port use are computed against.
    pub range: (u16, u16),
}

impl FinishedSegment<'_> {
    /// Reduces the segment (every tool in it, with the detail its fold
    /// gathered) and appends its rows to `tables`. Returns the rows whose
    /// addresses netstat's column width cut.
    pub fn write(&self, tables: &mut crate::table::Tables) -> u64 {
        let kinds = finalize(self.acc, self.names, self.keep, self.range, &|_| true);
        let truncated = kinds.iter().map(|k| k.truncated_addrs).sum();
        let snap = SnapshotSummary {
            source: self.source as usize,
            index: self.index as usize,
            time: self.time.map(|t| t.0),
            time_resolution: self.time.map(|t| t.1),
            first_line: self.first_line,
            kinds,
            sockstat: self.acc.sockstat,
        };
        tables.push(self.source, &snap);
        truncated
    }
}

/// A snapshot's time from its timestamp line: `Ok(None)` without one,
/// `Err(note)` when the line cannot be placed in time (the note says why;
/// the snapshot's time is then null, never invented).
pub fn snapshot_time(
    raw: Option<&RawTime>,
    tz: Option<&TzPolicy>,
) -> Result<Option<(DateTime<FixedOffset>, Resolution)>, String> {
    let Some(raw) = raw else { return Ok(None) };
    match resolve(raw, tz) {
        Some(t) => Ok(Some(t)),
        None => Err(match raw.zone.abbreviation() {
            Some(a) => format!("time zone abbreviation {a:?} is not known; pass --tz to read these times"),
            None => "a local time does not exist in the --tz zone (DST gap)".to_string(),
        }),
    }
}

/// Reduces the detail of one tool's snapshot (`keep` rows per ranking).
pub fn reduce_detail(
    d: &DetailAcc,
    names: &dyn Names,
    keep: usize,
    range: (u16, u16),
) -> Box<SnapshotDetail> {
    Box::new(finalize_detail(d, names, keep, range))
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
            cuts: Vec::new(),
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
