//! Analysis passes over finished snapshots (one module per pass). Each pass
//! reads the bounded per-snapshot results (`snapshot.rs`, `detail.rs`) and
//! returns plain tables the renderers draw; none of them sees a raw row.
//!
//! [`Analysis::build`] queries the tables (`table/`): a polars group-by
//! over `snapshots` finds each capture's snapshot count, peak and last
//! snapshot; one pass over the snapshots builds each capture's bounded
//! [`Series`]; the peak and the last are read back whole, detail included.
//! The result is a [`SourceView`] per capture file and tool, which the
//! passes below run over.

pub mod conntrack;
pub mod courses;
pub mod direction;
pub mod ephemeral;
pub mod fleet;
pub mod peers;
pub mod series;
pub mod states;
pub mod timeline;
pub mod unusual;

use std::collections::BTreeMap;

use polars::prelude::*;

use crate::ingest::Ingested;
use crate::model::Kind;
use crate::parse::sysctl::SysctlMap;
use crate::snapshot::{KindSummary, SnapshotSummary};
pub use series::Series;

/// The snapshots of one source file as seen by one tool.
pub struct SourceView<'a> {
    /// The source's id in the tables.
    pub source: usize,
    pub host: &'a str,
    pub path: &'a str,
    pub kind: Kind,
    /// Snapshots of this tool in the source.
    pub count: usize,
    /// States over the capture.
    pub series: Series,
    /// The peak (the first snapshot with the highest total), detail
    /// included.
    peak: (SnapshotSummary, KindSummary),
    /// The last snapshot, when it is not the peak.
    last: Option<(SnapshotSummary, KindSummary)>,
    /// The host's ephemeral range, when a sysctl capture gave it.
    pub port_range: Option<(u16, u16)>,
    /// What the passes found, computed once (renderers read it).
    pub results: ViewResults,
}

/// What the passes found about one capture: computed by
/// [`Analysis::build`], read by the pages and charts (which format, never
/// compute).
#[derive(Debug, Clone, Default)]
pub struct ViewResults {
    /// State distribution at the peak (if it is not the last) and the last.
    pub states: (Vec<&'static str>, Vec<states::StateRow>),
    /// The last snapshot's distribution.
    pub distribution_last: Vec<(&'static str, u64)>,
    /// Series and state courses (`None` for a single snapshot).
    pub timeline: Option<timeline::Timeline>,
    /// Connected sockets by direction at the last snapshot.
    pub direction: Option<direction::DirectionTable>,
    /// Hotspot tables of the peak (if it is not the last) and the last:
    /// ("peak" or "last", snapshot index, tables).
    pub hotspots: Vec<(&'static str, usize, Vec<peers::HotspotTable>)>,
    /// Ephemeral ports per destination at the last snapshot.
    pub port_use: Option<ephemeral::PortUse>,
    /// Conntrack composition at the last snapshot (conntrack captures).
    pub composition: Option<conntrack::Composition>,
}

impl ViewResults {
    /// Runs the per-capture passes; rankings keep `top` rows.
    fn of(v: &SourceView<'_>, top: usize) -> ViewResults {
        let (ls, lk) = v.last();
        let mut hotspots = Vec::new();
        if v.kind != Kind::Conntrack {
            let mut at = Vec::new();
            if !v.peak_is_last() {
                at.push(("peak", v.peak()));
            }
            at.push(("last", (ls, lk)));
            for (which, (s, k)) in at {
                if let Some(d) = &k.detail {
                    hotspots.push((which, s.index, peers::hotspots(d, top)));
                }
            }
        }
        ViewResults {
            states: states::peak_and_last(v),
            distribution_last: states::distribution(lk),
            timeline: (v.count > 1).then(|| timeline::timeline(v)),
            direction: if v.kind == Kind::Conntrack { None } else { direction::table(lk) },
            hotspots,
            port_use: if v.kind == Kind::Conntrack { None } else { ephemeral::port_use(lk, v.port_range) },
            composition: (v.kind == Kind::Conntrack).then(|| conntrack::composition(lk)),
        }
    }
}

impl<'a> SourceView<'a> {
    pub fn peak(&self) -> (&SnapshotSummary, &KindSummary) {
        (&self.peak.0, &self.peak.1)
    }
    pub fn last(&self) -> (&SnapshotSummary, &KindSummary) {
        let l = self.last.as_ref().unwrap_or(&self.peak);
        (&l.0, &l.1)
    }
    /// The peak is the last snapshot.
    pub fn peak_is_last(&self) -> bool {
        self.last.is_none()
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
    pub sysctl: BTreeMap<&'a str, &'a SysctlMap>,
    /// Host × state at each host's main capture's last snapshot.
    pub fleet: fleet::HostStates,
    /// The state worth following across the fleet, and each host's course
    /// of it in [`FLEET_TIME_BUCKETS`] slices: (state, hosts, values).
    pub fleet_time: Option<FleetTime>,
    /// How unusual each host of [`Analysis::fleet`] is, in its order.
    pub unusual: Vec<Option<unusual::Deviation>>,
    /// The hosts whose captures were read whole and ran every pass (`None`:
    /// all). The others' views hold counts and courses only: a fleet of
    /// thousands is summarized without holding every host's rankings.
    pub detailed: Option<std::collections::BTreeSet<String>>,
}

/// (state, hosts, per host its values in [`FLEET_TIME_BUCKETS`] slices).
pub type FleetTime = (&'static str, Vec<String>, Vec<Vec<u64>>);

/// Slices of each host's capture in the fleet time view.
pub const FLEET_TIME_BUCKETS: usize = 40;

/// One snapshot, read back from the tables: whole (rankings and detail)
/// or, without `whole`, only its counts.
fn snapshot_at(
    run: &Ingested,
    source: u32,
    kind: Kind,
    index: u32,
    whole: bool,
) -> anyhow::Result<(SnapshotSummary, KindSummary)> {
    let key = crate::table::Key { source, kind, index };
    for b in run.store.batches() {
        if !b.covers(source, index) {
            continue;
        }
        let found = crate::table::read::summaries_with(&b, whole)?
            .into_iter()
            .find(|(s, k)| s.source as u32 == source && s.index as u32 == index && k.kind == kind);
        if let Some((s, mut k)) = found {
            if whole {
                let d = crate::table::read::detail(&b, &key)?;
                k.attach_detail(d.map(Box::new));
            }
            return Ok((s, k));
        }
    }
    anyhow::bail!("internal: snapshot {index} of source {source} ({}) is not in the tables", kind.name())
}

impl<'a> Analysis<'a> {
    /// Reads the run's snapshots once (from the tables), builds the views
    /// and runs every pass; rankings keep `top` rows.
    pub fn build(run: &'a Ingested, top: usize) -> anyhow::Result<Analysis<'a>> {
        Self::build_for(run, top, |_| None)
    }

    /// [`Analysis::build`], with every pass and the rankings only for the
    /// hosts `choose` names (`None`: all). `choose` sees the analysis
    /// with the fleet views done and no capture read whole yet.
    pub fn build_for(
        run: &'a Ingested,
        top: usize,
        choose: impl FnOnce(&Analysis<'a>) -> Option<std::collections::BTreeSet<String>>,
    ) -> anyhow::Result<Analysis<'a>> {
        let sysctl = crate::ingest::host_sysctls(
            run.sysctls.iter().map(|(idx, map)| (run.sources[*idx].host.as_str(), map)),
        );
        // One view per (source, tool): its snapshot count, its peak (the
        // first snapshot with the most rows) and its last snapshot.
        let snaps = run.store.table_columns(
            &crate::table::snapshots::SCHEMA,
            None,
            Some(&["source_id", "kind", "index", "total"]),
        )?;
        let marks = snaps
            .lazy()
            .group_by_stable([col("source_id"), col("kind")])
            .agg([
                len().alias("count"),
                col("index").filter(col("total").eq(col("total").max())).first().alias("peak"),
                col("index").last().alias("last"),
            ])
            .collect()?;
        let limit = series::points_per_series(marks.height());
        let mut series: BTreeMap<(usize, Kind), Series> = BTreeMap::new();
        crate::table::read::for_each_snapshot_with(&run.store, false, |s, k| {
            series.entry((s.source, k.kind)).or_insert_with(|| Series::new(k.kind, limit)).push(s, k);
            Ok(())
        })?;
        // The courses of every state over every snapshot: a polars query.
        let mut courses = courses::courses(&run.store)?;
        let sources = crate::render::json::source_index(run);
        let mut views = Vec::with_capacity(marks.height());
        let (ids, kinds) = (marks.column("source_id")?.u32()?, marks.column("kind")?.str()?);
        let (peaks, lasts) = (marks.column("peak")?.u32()?, marks.column("last")?.u32()?);
        for i in 0..marks.height() {
            let (Some(source), Some(kind), Some(peak), Some(last)) =
                (ids.get(i), kinds.get(i), peaks.get(i), lasts.get(i))
            else {
                continue;
            };
            let kind = Kind::ALL.into_iter().find(|k| k.name() == kind).unwrap_or_default();
            let (Some(src), Some(mut series)) =
                (sources.get(&source), series.remove(&(source as usize, kind)))
            else {
                continue;
            };
            series.finish();
            series.courses = courses.remove(&(source, kind)).unwrap_or_default();
            let range = sysctl.get(src.host.as_str()).and_then(|m| crate::parse::sysctl::port_range(m));
            let peak_snap = snapshot_at(run, source, kind, peak, false)?;
            let last_snap =
                if last == peak { None } else { Some(snapshot_at(run, source, kind, last, false)?) };
            views.push(SourceView {
                source: source as usize,
                host: &src.host,
                path: &src.path,
                kind,
                count: series.count,
                series,
                peak: peak_snap,
                last: last_snap,
                port_range: range,
                results: ViewResults::default(),
            });
        }
        // In source order, then by tool, as the tables are.
        views.sort_by_key(|v| (v.source, v.kind));
        let mut a = Analysis {
            run,
            views,
            sysctl,
            fleet: Default::default(),
            fleet_time: None,
            unusual: Vec::new(),
            detailed: None,
        };
        a.fleet = fleet::host_states(&a)?;
        a.unusual = unusual::deviations(&a.fleet);
        a.fleet_time = fleet::state_to_follow(&a).map(|s| {
            let (hosts, values) = fleet::host_time(&a, s, FLEET_TIME_BUCKETS);
            (s, hosts, values)
        });
        // The chosen hosts' peaks and lasts again, whole, then the passes.
        a.detailed = choose(&a);
        let detailed = a.detailed.take();
        for v in &mut a.views {
            if detailed.as_ref().is_some_and(|d| !d.contains(v.host)) {
                continue;
            }
            let (source, kind) = (v.source as u32, v.kind);
            v.peak = snapshot_at(run, source, kind, v.peak.0.index as u32, true)?;
            if let Some(l) = &mut v.last {
                *l = snapshot_at(run, source, kind, l.0.index as u32, true)?;
            }
            v.results = ViewResults::of(v, top);
        }
        a.detailed = detailed;
        Ok(a)
    }

    /// Indices into [`Analysis::fleet`], the most unusual host first (then
    /// by name): the order of the fleet table and heatmaps.
    pub fn fleet_order(&self) -> Vec<usize> {
        let mag = |i: usize| self.unusual.get(i).and_then(|d| d.as_ref()).map_or(0.0, |d| d.magnitude());
        let mut order: Vec<usize> = (0..self.fleet.hosts.len()).collect();
        order.sort_by(|a, b| {
            mag(*b).total_cmp(&mag(*a)).then(self.fleet.hosts[*a].cmp(&self.fleet.hosts[*b]))
        });
        order
    }

    /// Whether `host`'s captures were read whole (see [`Analysis::build_for`]).
    pub fn is_detailed(&self, host: &str) -> bool {
        self.detailed.as_ref().is_none_or(|d| d.contains(host))
    }

    /// The main capture among `views` — the one rule behind the fleet
    /// views, `chart`'s single-capture charts and the report's featured
    /// sections: socket captures (or conntrack ones, with `conntrack`)
    /// that have rows (not `ss -s` counters only), the one with the most
    /// snapshots, then the most rows at its last snapshot, then the first
    /// in input order.
    pub fn main_capture<'v>(
        views: impl IntoIterator<Item = &'v SourceView<'a>>,
        conntrack: bool,
    ) -> Option<&'v SourceView<'a>> {
        views
            .into_iter()
            .filter(|v| (v.kind == Kind::Conntrack) == conntrack && !v.last().1.from_counters)
            .fold(None, |best: Option<&SourceView>, v| match best {
                Some(b) if (b.count, b.last().1.total) >= (v.count, v.last().1.total) => Some(b),
                _ => Some(v),
            })
    }

    /// The hotspot tables of any snapshot of a capture, read back from the
    /// tables (every snapshot keeps its detail): e.g. at the peak of one
    /// state, `view.series.courses[slot].peak_index`.
    pub fn hotspots_at(
        &self,
        view: &SourceView<'_>,
        index: usize,
        top: usize,
    ) -> anyhow::Result<Vec<peers::HotspotTable>> {
        let (_, k) = snapshot_at(self.run, view.source as u32, view.kind, index as u32, true)?;
        Ok(k.detail.as_deref().map(|d| peers::hotspots(d, top)).unwrap_or_default())
    }

    /// Distinct hosts, sorted.
    pub fn hosts(&self) -> Vec<&'a str> {
        let mut h: Vec<&str> = self.views.iter().map(|v| v.host).collect();
        h.sort_unstable();
        h.dedup();
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{IngestConfig, discover, ingest};

    /// Windows `netstat -anob` written by PowerShell 5 (UTF-16LE with a
    /// BOM, CRLF): every row is read, each `[exe]` line names its row's
    /// process, and the line accounting is the file's own lines.
    #[test]
    fn windows_netstat_b_in_utf16_names_each_rows_process() {
        let dir = tempfile::tempdir().unwrap();
        let cap = dir.path().join("win-1.txt");
        let mut bytes = vec![0xFF, 0xFE];
        for u in crate::parse::tests::NETSTAT_ANOB.encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        std::fs::write(&cap, bytes).unwrap();
        let (inputs, _) = discover(&[cap]);
        let cfg = IngestConfig { detail: true, keep: 50, ..IngestConfig::default() };
        let run = ingest(&inputs, &cfg);
        let s = &run.sources[0];
        assert_eq!(s.encoding, Some("utf-16le"));
        let lines = crate::parse::tests::NETSTAT_ANOB.split('\n').count() as u64 - 1;
        assert_eq!((s.lines.total, s.lines.parsed, s.lines.rejected), (lines, 12, 0), "{:?}", s.lines);
        let a = Analysis::build(&run, 10).unwrap();
        let (_, k) = a.views[0].last();
        assert_eq!(k.total, 5);
        let procs = &k.detail.as_ref().unwrap().processes;
        let count = |n: &str| procs.iter().find(|p| p.key.0 == n).map_or(0, |p| p.counts.total);
        assert_eq!((count("sshd.exe"), count("svchost.exe")), (1, 2), "{procs:?}");
    }

    /// The snapshot where CLOSE_WAIT peaks — found by the courses query —
    /// is neither the largest nor the last, and its hotspots are there.
    #[test]
    fn hotspots_at_the_peak_of_one_state() {
        let dir = tempfile::tempdir().unwrap();
        let cap = dir.path().join("app-1.log");
        let head = "State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n";
        let listen = "LISTEN 0 128 0.0.0.0:8080 0.0.0.0:* users:((\"app\",pid=7,fd=3))\n";
        let mut t = String::new();
        for (i, (est, cw)) in [(10, 0), (2, 9), (30, 1), (1, 0)].iter().enumerate() {
            t.push_str(&format!("Tue Mar  5 10:00:{i:02} UTC 2024\n{head}{listen}"));
            for j in 0..*est {
                t.push_str(&format!(
                    "ESTAB 0 0 10.0.0.1:8080 10.9.0.{j}:{} users:((\"app\",pid=7,fd=9))\n",
                    40000 + j
                ));
            }
            for j in 0..*cw {
                t.push_str(&format!(
                    "CLOSE-WAIT 0 0 10.0.0.1:8080 10.8.0.{j}:{} users:((\"app\",pid=8,fd=9))\n",
                    50000 + j
                ));
            }
        }
        std::fs::write(&cap, t).unwrap();
        let (inputs, _) = discover(&[cap]);
        let cfg = IngestConfig { detail: true, keep: 50, ..IngestConfig::default() };
        let run = ingest(&inputs, &cfg);
        let a = Analysis::build(&run, 10).unwrap();
        let v = &a.views[0];
        let slot = v.series.slot("CLOSE_WAIT").unwrap();
        let at = v.series.courses[slot].peak_index;
        assert_eq!(at, 1);
        assert!(v.peak().0.index != at && v.last().0.index != at);
        let h = a.hotspots_at(v, at, 10).unwrap();
        let procs = h.iter().find(|t| t.title == "Top processes").expect("processes at the CLOSE_WAIT peak");
        assert!(
            procs.rows.iter().any(|r| r.label == "app" && r.note == "pid 8" && r.total == 9),
            "{procs:?}"
        );
    }
}
