//! Analysis passes over finished snapshots (one module per pass). Each pass
//! reads the bounded per-snapshot results (`snapshot.rs`, `detail.rs`) and
//! returns plain tables the renderers draw; none of them sees a raw row.
//!
//! [`Analysis::build`] reads the spooled snapshots once and groups them
//! into [`SourceView`]s — one capture file and one tool — each with a
//! bounded [`Series`] of its states and, in full, its peak and last
//! snapshot. The passes run over those.

pub mod conntrack;
pub mod direction;
pub mod ephemeral;
pub mod fleet;
pub mod peers;
pub mod series;
pub mod states;
pub mod timeline;

use std::collections::BTreeMap;

use crate::ingest::Ingested;
use crate::model::Kind;
use crate::snapshot::{Highlight, KindSummary, SnapshotSummary};
pub use series::Series;

/// The snapshots of one source file as seen by one tool.
pub struct SourceView<'a> {
    pub source: usize,
    pub host: &'a str,
    pub path: &'a str,
    pub kind: Kind,
    /// Snapshots of this tool in the source.
    pub count: usize,
    /// States over the capture.
    pub series: Series,
    /// The peak (the first snapshot with the highest total) and the last.
    highlight: &'a Highlight,
    /// The host's ephemeral range, when a sysctl capture gave it.
    pub port_range: Option<(u16, u16)>,
}

impl<'a> SourceView<'a> {
    pub fn peak(&self) -> (&'a SnapshotSummary, &'a KindSummary) {
        let h = &self.highlight.peak;
        (&h.snap, &h.kind)
    }
    pub fn last(&self) -> (&'a SnapshotSummary, &'a KindSummary) {
        let h = self.highlight.last();
        (&h.snap, &h.kind)
    }
    /// The peak is the last snapshot.
    pub fn peak_is_last(&self) -> bool {
        self.highlight.last.is_none()
    }
    /// "2026-11-25 20:44:11 → 20:44:30 UTC" or "snapshots 0–19" or "".
    pub fn span(&self) -> String {
        match (self.series.first_time.as_ref(), self.series.last_time.as_ref()) {
            (Some(a), Some(b)) if a == b => a.format("%Y-%m-%d %H:%M:%S %:z").to_string(),
            (Some(a), Some(b)) if a.date_naive() == b.date_naive() => {
                format!("{} → {}", a.format("%Y-%m-%d %H:%M:%S"), b.format("%H:%M:%S %:z"))
            }
            (Some(a), Some(b)) => {
                format!("{} → {}", a.format("%Y-%m-%d %H:%M:%S"), b.format("%Y-%m-%d %H:%M:%S %:z"))
            }
            _ if self.count > 1 => format!("snapshots 0–{} (no times captured)", self.count - 1),
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
    /// Reads the run's snapshots once (from the spool) and builds the views.
    pub fn build(run: &'a Ingested) -> anyhow::Result<Analysis<'a>> {
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
        // One view per (source, tool) that has a highlight.
        let limit = series::points_per_series(run.highlights.len());
        let mut series: BTreeMap<(usize, Kind), Series> = BTreeMap::new();
        for s in run.snapshots.iter() {
            let s = s?;
            for k in &s.kinds {
                series.entry((s.source, k.kind)).or_insert_with(|| Series::new(k.kind, limit)).push(&s, k);
            }
        }
        let mut views = Vec::with_capacity(series.len());
        for ((source, kind), mut series) in series {
            series.finish();
            let Some(highlight) = run.highlights.get(&(source, kind)) else {
                anyhow::bail!("internal: no peak snapshot kept for source {source} ({})", kind.name());
            };
            let src = &run.sources[source];
            let range = sysctl.get(src.host.as_str()).and_then(|m| crate::parse::sysctl::port_range(m));
            views.push(SourceView {
                source,
                host: &src.host,
                path: &src.path,
                kind,
                count: series.count,
                series,
                highlight,
                port_range: range,
            });
        }
        Ok(Analysis { run, views, sysctl })
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
