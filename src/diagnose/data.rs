//! What the rules read: the run's tables, the row-level signals, and each
//! host's companions (sysctl, conntrack statistics, kernel log lines,
//! protocol counters).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, FixedOffset, Utc};
use polars::prelude::*;

use super::facts::Knobs;
use super::signals::Signals;
use super::{At, LogLine};
use crate::ingest::{Ingested, SourceReport};
use crate::model::Kind;
use crate::parse::kernlog::KernelEvent;
use crate::parse::sysctl::SysctlMap;
use crate::table::snapshots;
use crate::table::store::Store;

/// A kernel log event with where it was read.
#[derive(Debug, Clone)]
pub struct Event {
    pub event: KernelEvent,
    pub line: LogLine,
}

/// When and where a snapshot is.
#[derive(Debug, Clone, Copy)]
pub struct SnapMeta {
    /// µs since the epoch (UTC), when the capture has times.
    pub time: Option<i64>,
    /// The capture's clock offset, seconds east of UTC.
    pub offset: i32,
    pub first_line: u64,
}

/// One host's companions.
#[derive(Debug, Default)]
pub struct HostFacts<'a> {
    pub knobs: Knobs<'a>,
    /// Conntrack statistics, summed over CPUs (the largest over captures).
    pub ctstat: BTreeMap<String, u64>,
    /// Where the conntrack statistics came from.
    pub ctstat_source: Option<String>,
    pub events: Vec<Event>,
    /// Protocol counters (`nstat`, `netstat -s`): name → (first, last,
    /// samples) over every sample of the host's counter files, in input
    /// order; and the files.
    pub counters: BTreeMap<String, (u64, u64, usize)>,
    pub counters_source: Option<String>,
}

impl HostFacts<'_> {
    /// How much a counter grew between the first and the last captured
    /// sample: what happened during the capture. `None` with one sample.
    pub fn counter(&self, name: &str) -> Option<u64> {
        self.counters.get(name).and_then(|&(a, b, n)| (n > 1).then(|| b.saturating_sub(a)))
    }

    /// A counter's last value when only one sample was captured: a count
    /// since boot (or since `nstat` last ran), which says it happened
    /// once, not when: shown as evidence, never a confirmation.
    pub fn counter_since_boot(&self, name: &str) -> Option<u64> {
        self.counters.get(name).and_then(|&(_, b, n)| (n == 1).then_some(b))
    }

    /// Counter evidence: the growth over the samples, else the single
    /// sample's value marked "since boot".
    pub fn counter_evidence(&self, name: &str) -> Option<(String, u64)> {
        match (self.counter(name), self.counter_since_boot(name)) {
            (Some(v), _) if v > 0 => Some((format!("{name} (growth over the captured samples)"), v)),
            (_, Some(v)) if v > 0 => Some((format!("{name} (one sample: since boot)"), v)),
            _ => None,
        }
    }

    /// Kernel log events matching `f`.
    pub fn events_where(&self, f: impl Fn(&KernelEvent) -> bool) -> Vec<&Event> {
        self.events.iter().filter(|e| f(&e.event)).collect()
    }
}

/// The run as the rules see it.
pub struct Data<'a> {
    pub run: &'a Ingested,
    pub sources: BTreeMap<u32, &'a SourceReport>,
    /// Per (source, tool), by snapshot index: when and where each
    /// snapshot is (24 bytes a snapshot; the rest of `snapshots` is read
    /// a batch at a time).
    snaps: HashMap<(u32, Kind), Vec<Option<SnapMeta>>>,
    pub hosts: BTreeMap<&'a str, HostFacts<'a>>,
    pub signals: Signals,
    /// `--sysctl FILE`, for every host.
    pub extra_sysctl: Option<&'a SysctlMap>,
}

impl<'a> Data<'a> {
    /// Gathers the run's data; `extra_sysctl` (`--sysctl FILE`) applies to
    /// every host and wins over captured values.
    pub fn new(
        run: &'a Ingested,
        signals: Signals,
        extra_sysctl: Option<&'a SysctlMap>,
    ) -> anyhow::Result<Data<'a>> {
        let sources = crate::render::json::source_index(run);
        let mut snaps: HashMap<(u32, Kind), Vec<Option<SnapMeta>>> = HashMap::new();
        for b in run.store.batches() {
            let df = b.columns(
                &snapshots::SCHEMA,
                Some(&["source_id", "kind", "index", "time", "utc_offset", "first_line"]),
            )?;
            for r in rows(&df) {
                let (source, kind, index) = r.key();
                let time = df.column("time")?.datetime()?.phys.get(r.i);
                let offset = df.column("utc_offset")?.i32()?.get(r.i).unwrap_or(0);
                let v = snaps.entry((source, kind)).or_default();
                let at = index as usize;
                if v.len() <= at {
                    v.resize(at + 1, None);
                }
                v[at] = Some(SnapMeta { time, offset, first_line: r.u64("first_line") });
            }
        }
        let mut hosts: BTreeMap<&str, HostFacts> = BTreeMap::new();
        for s in &run.sources {
            hosts.entry(s.host.as_str()).or_default();
        }
        let captured = crate::ingest::host_sysctls(
            run.sysctls.iter().map(|(idx, map)| (run.sources[*idx].host.as_str(), map)),
        );
        for (h, f) in hosts.iter_mut() {
            let src = run
                .sysctls
                .keys()
                .map(|i| &run.sources[*i])
                .find(|s| s.host == *h && captured.contains_key(h))
                .map(|s| s.path.as_str());
            f.knobs = Knobs::new(captured.get(h).copied(), extra_sysctl, src);
        }
        for (idx, stats) in &run.ctstats {
            let s = &run.sources[*idx];
            let f = hosts.entry(s.host.as_str()).or_default();
            // Counters since boot: several captures of one host hold the
            // same counts, later ones larger — the largest, not the sum.
            for (k, v) in stats {
                let e = f.ctstat.entry(k.clone()).or_default();
                *e = (*e).max(*v);
            }
            f.ctstat_source.get_or_insert_with(|| s.path.clone());
        }
        for (idx, events) in &run.kernel_events {
            let s = &run.sources[*idx];
            let f = hosts.entry(s.host.as_str()).or_default();
            for (line, text, event) in events {
                f.events.push(Event {
                    event: event.clone(),
                    line: LogLine { source: s.path.clone(), line: *line, text: text.clone() },
                });
            }
        }
        // Every sample of a host, across its counter files in input order
        // (`nstat-before.txt`, `nstat.txt`): first and last per counter.
        for (idx, samples) in &run.counters {
            let s = &run.sources[*idx];
            let f = hosts.entry(s.host.as_str()).or_default();
            for sample in samples {
                for (k, v) in sample {
                    let e = f.counters.entry(k.clone()).or_insert((*v, *v, 0));
                    e.1 = *v;
                    e.2 += 1;
                }
            }
            if !samples.is_empty() {
                match &mut f.counters_source {
                    Some(p) => p.push_str(&format!(", {}", s.path)),
                    None => f.counters_source = Some(s.path.clone()),
                }
            }
        }
        Ok(Data { run, sources, snaps, hosts, signals, extra_sysctl })
    }

    pub fn store(&self) -> &Store {
        &self.run.store
    }

    /// The host of a source.
    pub fn host(&self, source: u32) -> &'a str {
        self.sources.get(&source).map_or("", |s| s.host.as_str())
    }

    pub fn facts(&self, host: &str) -> Option<&HostFacts<'a>> {
        self.hosts.get(host)
    }

    fn meta(&self, source: u32, kind: Kind, index: u32) -> Option<SnapMeta> {
        *self.snaps.get(&(source, kind))?.get(index as usize)?
    }

    /// Where a snapshot is: its source, time and first line.
    pub fn at(&self, source: u32, kind: Kind, index: u32) -> At {
        At {
            source: self.sources.get(&source).map_or_else(String::new, |s| s.path.clone()),
            kind: kind.name(),
            snapshot: index,
            time: self.time(source, kind, index).map(|t| t.to_rfc3339()),
            line: self.meta(source, kind, index).map_or(0, |m| m.first_line),
        }
    }

    /// The time of a snapshot, in the capture's own offset.
    pub fn time(&self, source: u32, kind: Kind, index: u32) -> Option<DateTime<FixedOffset>> {
        let m = self.meta(source, kind, index)?;
        let utc = DateTime::<Utc>::from_timestamp_micros(m.time?)?;
        Some(utc.with_timezone(&FixedOffset::east_opt(m.offset)?))
    }

    /// (snapshots, timestamped snapshots) of a source's tool.
    pub fn counts(&self, source: u32, kind: Kind) -> (usize, usize) {
        self.snaps.get(&(source, kind)).map_or((0, 0), |v| {
            let present = v.iter().flatten();
            (present.clone().count(), present.filter(|m| m.time.is_some()).count())
        })
    }

    /// Every (source, tool) with its (snapshots, timestamped snapshots).
    pub fn captures(&self) -> impl Iterator<Item = ((u32, Kind), (usize, usize))> + '_ {
        self.snaps.keys().map(|k| (*k, self.counts(k.0, k.1)))
    }

    /// The `snapshots` columns the rules read.
    fn snapshot_columns() -> Vec<Expr> {
        let mut c: Vec<Expr> = [
            "source_id",
            "kind",
            "index",
            "total",
            "from_counters",
            "ss_orphaned",
            "ss_timewait",
            "ct_unreplied",
        ]
        .into_iter()
        .map(col)
        .collect();
        c.extend(crate::table::STATE_ORDER.iter().map(|s| col(s.name())));
        c
    }

    /// Each batch's rows of `table` that pass `filter` (only `select`ed
    /// columns when given): batch by batch, never a whole table in memory.
    fn per_batch(
        &self,
        table: &crate::table::Schema,
        filter: &Expr,
        select: Option<&[Expr]>,
        mut f: impl FnMut(DataFrame) -> PolarsResult<()>,
    ) -> PolarsResult<()> {
        for b in self.store().batches() {
            let mut q = b.frame(table)?.lazy().filter(filter.clone());
            if let Some(c) = select {
                q = q.select(c);
            }
            f(q.collect()?)?;
        }
        Ok(())
    }

    /// [`Data::per_batch`], the batches stacked (for candidate rows, which
    /// are few); an empty frame of the right columns when none pass.
    fn stacked(
        &self,
        table: &crate::table::Schema,
        filter: Expr,
        select: Option<&[Expr]>,
    ) -> PolarsResult<DataFrame> {
        let mut out: Option<DataFrame> = None;
        self.per_batch(table, &filter, select, |df| {
            match &mut out {
                None => out = Some(df),
                Some(o) if df.height() > 0 => {
                    o.vstack_mut(&df)?;
                }
                Some(_) => {}
            }
            Ok(())
        })?;
        match out {
            Some(mut o) => {
                o.rechunk_mut();
                Ok(o)
            }
            None => {
                let empty = table.empty().lazy();
                match select {
                    Some(c) => empty.select(c).collect(),
                    None => empty.collect(),
                }
            }
        }
    }

    /// Rows of a per-snapshot ranking table that pass `filter`, over every
    /// batch (each batch filtered on its own).
    pub fn scan(&self, table: &crate::table::Schema, filter: Expr) -> PolarsResult<DataFrame> {
        self.stacked(table, filter, None)
    }

    /// Calls `f` with every row of a per-snapshot table that passes
    /// `filter`, a batch at a time, keeping nothing: for lookups where only
    /// some rows are wanted (`f` decides).
    pub fn for_rows(
        &self,
        table: &crate::table::Schema,
        filter: Expr,
        mut f: impl FnMut(RowOf<'_>),
    ) -> PolarsResult<()> {
        self.per_batch(table, &filter, None, |df| {
            rows(&df).for_each(&mut f);
            Ok(())
        })
    }

    /// Snapshots that pass `filter` (the rules' columns only).
    pub fn snapshots_where(&self, filter: Expr) -> PolarsResult<DataFrame> {
        self.stacked(&snapshots::SCHEMA, filter, Some(&Self::snapshot_columns()))
    }

    /// Calls `f` with every snapshot that passes `filter`, a batch at a
    /// time, keeping nothing.
    pub fn for_snapshots(&self, filter: Expr, mut f: impl FnMut(RowOf<'_>)) -> PolarsResult<()> {
        self.per_batch(&snapshots::SCHEMA, &filter, Some(&Self::snapshot_columns()), |df| {
            rows(&df).for_each(&mut f);
            Ok(())
        })
    }
}

pub fn kind_of(name: &str) -> Kind {
    Kind::ALL.into_iter().find(|k| k.name() == name).unwrap_or_default()
}

/// Typed getters for one row of a frame.
pub struct RowOf<'f> {
    pub df: &'f DataFrame,
    pub i: usize,
}

impl RowOf<'_> {
    pub fn u64(&self, c: &str) -> u64 {
        self.df.column(c).ok().and_then(|c| c.u64().ok()?.get(self.i)).unwrap_or(0)
    }
    pub fn opt_u64(&self, c: &str) -> Option<u64> {
        self.df.column(c).ok().and_then(|c| c.u64().ok()?.get(self.i))
    }
    pub fn u32(&self, c: &str) -> u32 {
        self.df.column(c).ok().and_then(|c| c.u32().ok()?.get(self.i)).unwrap_or(0)
    }
    pub fn opt_u32(&self, c: &str) -> Option<u32> {
        self.df.column(c).ok().and_then(|c| c.u32().ok()?.get(self.i))
    }
    pub fn u16(&self, c: &str) -> u16 {
        self.df.column(c).ok().and_then(|c| c.u16().ok()?.get(self.i)).unwrap_or(0)
    }
    pub fn f64(&self, c: &str) -> f64 {
        self.df.column(c).ok().and_then(|c| c.f64().ok()?.get(self.i)).unwrap_or(0.0)
    }
    pub fn bool(&self, c: &str) -> bool {
        self.df.column(c).ok().and_then(|c| c.bool().ok()?.get(self.i)).unwrap_or(false)
    }
    pub fn str(&self, c: &str) -> String {
        self.df.column(c).ok().and_then(|c| c.str().ok()?.get(self.i).map(str::to_string)).unwrap_or_default()
    }
    pub fn kind(&self) -> Kind {
        kind_of(&self.str("kind"))
    }
    pub fn key(&self) -> (u32, Kind, u32) {
        (self.u32("source_id"), self.kind(), self.u32("index"))
    }
}

/// Iterates the rows of a frame.
pub fn rows(df: &DataFrame) -> impl Iterator<Item = RowOf<'_>> {
    (0..df.height()).map(move |i| RowOf { df, i })
}
