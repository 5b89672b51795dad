//! Hotspots: remote peers (by direction), remote `addr:port` services,
//! /24 and /64 prefixes, local service ports and owning processes, each
//! broken down by state. Taken from a snapshot's detail (the peak or the
//! last one of a source).

use crate::detail::{Direction, SnapshotDetail};
use crate::fold::StateCounts;

use super::states::LIFECYCLE;

/// A ranked table with per-state columns.
#[derive(Debug, Clone, PartialEq)]
pub struct HotspotTable {
    pub title: &'static str,
    /// What the label column holds.
    pub key: &'static str,
    pub states: Vec<&'static str>,
    pub rows: Vec<HotspotRow>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HotspotRow {
    pub label: String,
    /// Direction, listener flag or other short note.
    pub note: String,
    pub total: u64,
    pub counts: Vec<u64>,
}

fn columns<'a>(all: impl Iterator<Item = &'a StateCounts> + Clone) -> Vec<crate::model::TcpState> {
    LIFECYCLE.iter().filter(|s| all.clone().any(|c| c.states[**s as usize] > 0)).copied().collect()
}

fn table<'a>(
    title: &'static str,
    key: &'static str,
    rows: impl Iterator<Item = (String, String, &'a StateCounts)> + Clone,
) -> HotspotTable {
    let cols = columns(rows.clone().map(|r| r.2));
    HotspotTable {
        title,
        key,
        states: cols.iter().map(|s| s.name()).collect(),
        rows: rows
            .map(|(label, note, c)| HotspotRow {
                label,
                note,
                total: c.total,
                counts: cols.iter().map(|s| c.states[*s as usize] as u64).collect(),
            })
            .collect(),
    }
}

/// All hotspot tables of a snapshot, cut to `top` rows each. Empty tables
/// (no processes captured, no outbound sockets) are left out.
pub fn hotspots(d: &SnapshotDetail, top: usize) -> Vec<HotspotTable> {
    let mut out = vec![
        table(
            "Top remote addresses",
            "remote address",
            d.peers.iter().take(top).map(|r| (r.key.0.clone(), r.key.1.name().to_string(), &r.counts)),
        ),
        table(
            "Top remote services (outbound)",
            "remote address:port",
            d.remote_services.iter().take(top).map(|r| (join(&r.key.0, r.key.1), String::new(), &r.counts)),
        ),
        table(
            "Top remote prefixes",
            "prefix",
            d.prefixes.iter().take(top).map(|r| (r.key.clone(), String::new(), &r.counts)),
        ),
        table(
            "Top local service ports",
            "local port",
            d.local_services.iter().take(top).map(|s| {
                (
                    s.port.to_string(),
                    if s.listening { "listening".into() } else { "not listening".into() },
                    &s.counts,
                )
            }),
        ),
        table(
            "Top processes",
            "process",
            d.processes.iter().take(top).map(|r| {
                let pid = r.key.1.map(|p| format!("pid {p}")).unwrap_or_default();
                (r.key.0.clone(), pid, &r.counts)
            }),
        ),
    ];
    out.retain(|t| !t.rows.is_empty());
    out
}

/// Remote peers of one direction only.
pub fn peers_of(d: &SnapshotDetail, dir: Direction, top: usize) -> Vec<(String, StateCounts)> {
    d.peers.iter().filter(|r| r.key.1 == dir).take(top).map(|r| (r.key.0.clone(), r.counts)).collect()
}

/// `addr:port`, bracketing IPv6.
pub use crate::model::endpoint_text as join;
