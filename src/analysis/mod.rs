//! Analysis passes over finished snapshots (one module per pass). Each pass
//! reads the bounded per-snapshot results (`snapshot.rs`, `detail.rs`) and
//! returns plain tables the renderers draw; none of them sees a raw row.
//!
//! [`Analysis::build`] groups snapshots into [`SourceView`]s — one capture
//! file and one tool — and runs the passes over each.

pub mod conntrack;
pub mod direction;
pub mod ephemeral;
pub mod fleet;
pub mod peers;
pub mod states;
pub mod timeline;

use std::collections::BTreeMap;

use crate::ingest::Ingested;
use crate::model::Kind;
use crate::snapshot::{KindSummary, SnapshotSummary};

/// The snapshots of one source file as seen by one tool.
pub struct SourceView<'a> {
    pub source: usize,
    pub host: &'a str,
    pub path: &'a str,
    pub kind: Kind,
    /// (snapshot, that tool's part of it), in capture order.
    pub snaps: Vec<(&'a SnapshotSummary, &'a KindSummary)>,
    /// Position in `snaps` of the snapshot with the highest total (the
    /// first one on ties) and of the last one.
    pub peak: usize,
    pub last: usize,
    /// The host's ephemeral range, when a sysctl capture gave it.
    pub port_range: Option<(u16, u16)>,
}

impl<'a> SourceView<'a> {
    pub fn peak(&self) -> (&'a SnapshotSummary, &'a KindSummary) {
        self.snaps[self.peak]
    }
    pub fn last(&self) -> (&'a SnapshotSummary, &'a KindSummary) {
        self.snaps[self.last]
    }
    /// "2026-11-25 20:44:11 → 20:44:30 UTC" or "snapshots 0–19" or "".
    pub fn span(&self) -> String {
        let times: Vec<_> = self.snaps.iter().filter_map(|(s, _)| s.time).collect();
        match (times.first(), times.last()) {
            (Some(a), Some(b)) if a == b => a.format("%Y-%m-%d %H:%M:%S %:z").to_string(),
            (Some(a), Some(b)) if a.date_naive() == b.date_naive() => {
                format!("{} → {}", a.format("%Y-%m-%d %H:%M:%S"), b.format("%H:%M:%S %:z"))
            }
            (Some(a), Some(b)) => {
                format!("{} → {}", a.format("%Y-%m-%d %H:%M:%S"), b.format("%Y-%m-%d %H:%M:%S %:z"))
            }
            _ if self.snaps.len() > 1 => format!("snapshots 0–{} (no times captured)", self.snaps.len() - 1),
            _ => "no time captured".to_string(),
        }
    }
}

/// All passes over a run.
pub struct Analysis<'a> {
    pub run: &'a Ingested,
    pub views: Vec<SourceView<'a>>,
    /// Host → sysctl values (merged over its sysctl captures).
    pub sysctl: BTreeMap<&'a str, &'a BTreeMap<String, String>>,
}

impl<'a> Analysis<'a> {
    pub fn build(run: &'a Ingested) -> Analysis<'a> {
        let mut sysctl: BTreeMap<&str, &BTreeMap<String, String>> = BTreeMap::new();
        // Per host, the first sysctl capture that has the port range (the
        // one the fold used), else its first sysctl capture.
        for (idx, map) in &run.sysctls {
            let host = run.sources[*idx].host.as_str();
            let has_range = crate::parse::sysctl::port_range(map).is_some();
            match sysctl.get(host) {
                Some(prev) if crate::parse::sysctl::port_range(prev).is_some() || !has_range => {}
                _ => {
                    sysctl.insert(host, map);
                }
            }
        }
        let mut groups: BTreeMap<(usize, u8), Vec<(&SnapshotSummary, &KindSummary)>> = BTreeMap::new();
        for s in &run.snapshots {
            for k in &s.kinds {
                groups.entry((s.source, k.kind as u8)).or_default().push((s, k));
            }
        }
        let views = groups
            .into_values()
            .map(|snaps| {
                let (s0, k0) = snaps[0];
                let src = &run.sources[s0.source];
                let peak = snaps
                    .iter()
                    .enumerate()
                    .max_by(|a, b| a.1.1.total.cmp(&b.1.1.total).then(b.0.cmp(&a.0)))
                    .map_or(0, |(i, _)| i);
                let range = sysctl.get(src.host.as_str()).and_then(|m| crate::parse::sysctl::port_range(m));
                SourceView {
                    source: s0.source,
                    host: &src.host,
                    path: &src.path,
                    kind: k0.kind,
                    last: snaps.len() - 1,
                    peak,
                    snaps,
                    port_range: range,
                }
            })
            .collect();
        Analysis { run, views, sysctl }
    }

    /// Distinct hosts, sorted.
    pub fn hosts(&self) -> Vec<&'a str> {
        let mut h: Vec<&str> = self.views.iter().map(|v| v.host).collect();
        h.sort_unstable();
        h.dedup();
        h
    }
}

/// Thousands separators: 12345 → "12,345".
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_separators() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1000), "1,000");
        assert_eq!(super::thousands(1234567), "1,234,567");
    }
}
