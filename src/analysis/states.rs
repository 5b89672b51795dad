//! State distribution: per snapshot, and for a whole source its peak and
//! last snapshot.

use crate::model::{CtState, Kind, TcpState};
use crate::snapshot::KindSummary;

use super::SourceView;

/// Canonical state names with counts. Sockets: every TCP state, in
/// lifecycle order; conntrack: its own TCP states, non-zero only.
pub fn distribution(k: &KindSummary) -> Vec<(&'static str, u64)> {
    if k.kind == Kind::Conntrack {
        return (0..CtState::COUNT as u8)
            .map(CtState::from_code)
            .filter(|s| k.ct_states[*s as usize] > 0)
            .map(|s| (s.name(), k.ct_states[s as usize]))
            .collect();
    }
    if k.from_counters {
        // `ss -s` counts only these; the other states are unknown.
        return [TcpState::Established, TcpState::SynRecv, TcpState::TimeWait]
            .iter()
            .map(|s| (s.name(), k.states[*s as usize]))
            .collect();
    }
    LIFECYCLE.iter().map(|s| (s.name(), k.states[*s as usize])).collect()
}

/// TCP states in the order a connection lives through them
/// ([`TcpState::LIFECYCLE`]), then UNKNOWN: the slots of a state series.
pub const LIFECYCLE: [TcpState; 12] = {
    let mut a = [TcpState::Unknown; 12];
    let mut i = 0;
    while i < TcpState::LIFECYCLE.len() {
        a[i] = TcpState::LIFECYCLE[i];
        i += 1;
    }
    a
};

/// One row of a state table.
#[derive(Debug, Clone, PartialEq)]
pub struct StateRow {
    pub label: String,
    pub total: u64,
    pub counts: Vec<u64>,
}

/// States of the peak and the last snapshot of a source, with only the
/// columns that are non-zero in either.
pub fn peak_and_last(v: &SourceView<'_>) -> (Vec<&'static str>, Vec<StateRow>) {
    let mut picks = vec![("last", v.last())];
    if !v.peak_is_last() {
        picks.insert(0, ("peak", v.peak()));
    }
    type Labelled = (String, u64, Vec<(&'static str, u64)>);
    let dists: Vec<Labelled> = picks
        .iter()
        .map(|(what, (s, k))| {
            let when = s.time.map(|t| t.format("%H:%M:%S").to_string()).unwrap_or_else(|| "no time".into());
            (format!("{what}: snapshot {} ({when})", s.index), k.total, distribution(k))
        })
        .collect();
    let columns: Vec<&'static str> = dists[0]
        .2
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| dists.iter().any(|d| d.2.iter().any(|(m, c)| m == n && *c > 0)))
        .collect();
    let rows = dists
        .into_iter()
        .map(|(label, total, d)| StateRow {
            label,
            total,
            counts: columns.iter().map(|c| d.iter().find(|(n, _)| n == c).map_or(0, |x| x.1)).collect(),
        })
        .collect();
    (columns, rows)
}
