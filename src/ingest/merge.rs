//! The in-order merger: turns chunk results into numbered snapshots.
//!
//! Workers finish chunks in any order; the merger takes them strictly in
//! file order (holding fewer than the reader's window of early finishers),
//! carries the open snapshot from one chunk to the next, settles the
//! questions a chunk could not answer alone (see `chunk.rs`), numbers the
//! snapshots and hands their table rows to the run's store in batches, so
//! memory stays bounded however long the file is.

use std::collections::BTreeMap;
use std::sync::Arc;

use polars::prelude::*;

use crate::fold::{AddrId, Interner, SegmentAcc};
use crate::model::Kind;
use crate::parse::Section;
use crate::parse::timestamp::{RawTime, TzPolicy};
use crate::snapshot::{FinishedSegment, snapshot_time};
use crate::table::store::{BATCH_ROWS, Store};
use crate::table::{SNAPSHOT_TABLES, Tables};

use super::chunk::{ChunkOut, LineCounts, MAX_SAMPLES, RejectLog, RejectSample, SegStart, Segment};

struct Open {
    acc: Box<SegmentAcc>,
    time: Option<RawTime>,
    first_line: u64,
    has_rows: bool,
}

/// Merger state for one source.
pub struct Merger<'a> {
    source: u32,
    keep: usize,
    tz: Option<&'a TzPolicy>,
    strict: bool,
    next: usize,
    pending: BTreeMap<usize, ChunkOut>,
    lines_before: u64,
    section: Section,
    interner: Interner,
    open: Option<Open>,
    /// Rows of the snapshots this merger closed itself (those that span
    /// chunks), not yet in `batch`.
    own: Tables,
    /// The batch being gathered: frames in snapshot order, per table.
    batch: Vec<Vec<DataFrame>>,
    batch_rows: usize,
    /// First snapshot of the batch.
    batch_first: u32,
    store: Arc<Store>,
    /// The time of snapshots that have none of their own: the collection
    /// time of a sosreport (`sos_commands/date/date`).
    pub default_time: Option<RawTime>,
    /// Snapshots that took [`Merger::default_time`].
    pub defaulted: u64,
    /// Snapshots numbered so far: the index of the next one.
    pub snapshots: u32,
    /// Rows whose addresses netstat's column width cut, over all snapshots.
    pub truncated_addrs: u64,
    pub counts: LineCounts,
    pub rejects: RejectLog,
    pub kinds_seen: [u64; Kind::COUNT],
    pub sockstat_lines: u64,
    pub timestamps: u64,
    pub ct_trailer_total: Option<u64>,
    /// Notes about time resolution: message → occurrences.
    pub time_notes: BTreeMap<String, u64>,
    /// Timestamp lines that had no table after them.
    pub empty_snapshots: u64,
    /// First rejected line, for `--strict`.
    pub first_reject: Option<RejectSample>,
    /// First tool messages in the capture: (line, text).
    pub messages: Vec<(u64, String)>,
    /// Ephemeral range the details are computed against.
    pub range: (u16, u16),
    /// Where row-level frames go (`export`).
    pub rows: Option<Arc<dyn crate::table::RowSink>>,
    /// The source's path as shown (for the row-level tables).
    pub path: Arc<str>,
}

impl<'a> Merger<'a> {
    /// A merger with a store of its own (tests; `ingest` shares one
    /// [`Store`] per run).
    pub fn new(source: u32, keep: usize, tz: Option<&'a TzPolicy>, strict: bool) -> Self {
        Self::with_store(source, keep, tz, strict, Arc::new(Store::default()))
    }

    pub fn with_store(
        source: u32,
        keep: usize,
        tz: Option<&'a TzPolicy>,
        strict: bool,
        store: Arc<Store>,
    ) -> Self {
        Merger {
            source,
            keep,
            tz,
            strict,
            next: 0,
            pending: BTreeMap::new(),
            lines_before: 0,
            section: Section::Unknown,
            interner: Interner::default(),
            open: None,
            own: Tables::default(),
            batch: vec![Vec::new(); SNAPSHOT_TABLES.len()],
            batch_rows: 0,
            batch_first: 0,
            store,
            default_time: None,
            defaulted: 0,
            snapshots: 0,
            truncated_addrs: 0,
            counts: LineCounts::default(),
            rejects: RejectLog::default(),
            kinds_seen: [0; Kind::COUNT],
            sockstat_lines: 0,
            timestamps: 0,
            ct_trailer_total: None,
            time_notes: BTreeMap::new(),
            empty_snapshots: 0,
            first_reject: None,
            messages: Vec::new(),
            range: (32768, 60999),
            rows: None,
            path: Arc::from(""),
        }
    }

    /// The store the batches go to.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// The index of the next chunk to merge: every chunk before it is
    /// merged, every one from it on is pending or not yet read.
    pub fn next_chunk(&self) -> usize {
        self.next
    }

    /// True once `--strict` found a rejected line: stop feeding chunks.
    pub fn failed(&self) -> bool {
        self.strict && self.first_reject.is_some()
    }

    /// Accepts a chunk in any order; processes all that are now in order.
    pub fn push(&mut self, out: ChunkOut) {
        self.pending.insert(out.index, out);
        while let Some(out) = self.pending.remove(&self.next) {
            self.next += 1;
            if !self.failed() {
                self.take(out);
            }
        }
    }

    fn take(&mut self, out: ChunkOut) {
        let base = self.lines_before;
        // Lines rejected before the chunk's first title: ignored if the
        // previous chunk ended inside an ignored section.
        let deferred_ignored = matches!(self.section, Section::Unix | Section::Other);
        let mut counts = out.counts;
        counts.total += out.deferred.count;
        if deferred_ignored {
            counts.ignored += out.deferred.count;
        } else {
            counts.rejected += out.deferred.count;
            self.add_rejects(&out.deferred, base);
        }
        self.add_rejects(&out.rejects, base);
        self.counts.add(&counts);
        self.lines_before += counts.total;
        if let Some(s) = out.end_section {
            self.section = s;
        }
        for (a, b) in self.kinds_seen.iter_mut().zip(out.kinds_seen) {
            *a += b;
        }
        self.sockstat_lines += out.sockstat_lines;
        self.timestamps += out.timestamps;
        for (line, text) in out.messages {
            if self.messages.len() < 3 {
                self.messages.push((base + line, text));
            }
        }

        let remap: Vec<AddrId> = out.names.iter().map(|n| self.interner.intern_long(n)).collect();
        let mut chunk_tables = Some(out.tables);
        // The snapshot index of each segment, for the row-level tables.
        let mut seg_index: Vec<u32> = Vec::with_capacity(out.segments.len());
        let mut ordinal = 0u32;
        let mut first = None;
        for seg in out.segments {
            let done = match &seg {
                Segment::Done(d) => Some(d.has_content),
                Segment::Open { .. } => None,
            };
            match seg {
                Segment::Open { start, first_line, mut acc, has_rows } => {
                    acc.remap(&remap);
                    let first_line = base + first_line;
                    match start {
                        SegStart::ChunkStart => self.extend_open(acc, has_rows, first_line),
                        SegStart::MaybeHeader if !self.open.as_ref().is_some_and(|o| o.has_rows) => {
                            self.extend_open(acc, has_rows, first_line)
                        }
                        SegStart::MaybeSockstat
                            if self.open.as_ref().is_none_or(|o| o.acc.sockstat.is_none()) =>
                        {
                            self.extend_open(acc, has_rows, first_line)
                        }
                        SegStart::Time(t) => {
                            self.close();
                            self.open = Some(Open { acc, time: Some(t), first_line, has_rows });
                        }
                        SegStart::Header | SegStart::MaybeHeader | SegStart::MaybeSockstat => {
                            self.close();
                            self.open = Some(Open { acc, time: None, first_line, has_rows });
                        }
                    }
                }
                Segment::Done(d) => {
                    self.close();
                    // The chunk's complete snapshots follow the one just
                    // closed: number them from here, once.
                    if let Some(mut t) = chunk_tables.take() {
                        self.take_chunk_rows(&mut t, out.snapshots, base);
                    }
                    if let Some(n) = d.ct_trailer {
                        let t = self.ct_trailer_total.get_or_insert(0);
                        *t = t.saturating_add(n);
                    }
                    if d.has_content {
                        self.truncated_addrs += d.truncated_addrs;
                        if let Some(note) = d.time_note {
                            *self.time_notes.entry(note).or_default() += 1;
                        }
                    } else if matches!(d.start, SegStart::Time(_)) {
                        self.empty_snapshots += 1;
                    }
                }
            }
            // Rows of an open segment belong to the snapshot open now,
            // numbered next; those of a complete one to its own number.
            seg_index.push(match done {
                None => self.snapshots,
                Some(content) => {
                    let base = *first.get_or_insert(self.snapshots - out.snapshots);
                    let i = base + ordinal;
                    ordinal += u32::from(content);
                    i
                }
            });
        }
        if let (Some(rows), Some(sink)) = (out.rows, self.rows.clone()) {
            for (schema, mut r) in [
                (&crate::table::sockets::SCHEMA, rows.sockets),
                (&crate::table::conntrack_entries::SCHEMA, rows.conntrack_entries),
            ] {
                if r.is_empty() {
                    continue;
                }
                let mut df = r.take();
                let mapped: Option<UInt32Chunked> =
                    df.column("index").ok().and_then(|c| c.u32().ok()).map(|c| {
                        c.iter().map(|s| s.and_then(|s| seg_index.get(s as usize).copied())).collect()
                    });
                if let Some(m) = mapped {
                    let _ = df.with_column(m.with_name("index".into()).into_column());
                }
                self.store.rows(sink.clone(), schema, self.source, self.path.clone(), df);
            }
        }
    }

    /// Adds a chunk's rows to the batch: its complete snapshots get the
    /// indexes from `self.snapshots` on, their first lines `base` more.
    fn take_chunk_rows(&mut self, t: &mut Tables, n: u32, base: u64) {
        if n == 0 {
            return;
        }
        self.flush_own();
        let first = self.snapshots;
        self.snapshots += n;
        for (i, mut df) in t.frames().into_iter().enumerate() {
            if df.height() == 0 {
                continue;
            }
            // The worker numbered its snapshots 0..n and counted lines
            // from the chunk's start; both shift by what came before.
            let shifted = (|| -> PolarsResult<()> {
                let idx = df.column("index")?.u32()? + first;
                df.with_column(idx.into_column())?;
                if SNAPSHOT_TABLES[i].name == "snapshots" {
                    let fl = df.column("first_line")?.u64()? + base;
                    df.with_column(fl.into_column())?;
                }
                Ok(())
            })();
            // The columns are the schema's own: this cannot fail.
            debug_assert!(shifted.is_ok(), "{shifted:?}");
            self.batch_rows += df.height();
            self.batch[i].push(df);
        }
        self.maybe_flush();
    }

    /// Moves the rows this merger wrote itself into the batch.
    fn flush_own(&mut self) {
        if self.own.rows() == 0 {
            return;
        }
        for (i, df) in self.own.frames().into_iter().enumerate() {
            if df.height() > 0 {
                self.batch_rows += df.height();
                self.batch[i].push(df);
            }
        }
    }

    fn maybe_flush(&mut self) {
        if self.batch_rows + self.own.rows() >= BATCH_ROWS {
            self.flush();
        }
    }

    /// Hands the batch to the store.
    fn flush(&mut self) {
        self.flush_own();
        if self.batch_rows == 0 {
            return;
        }
        let pieces: Vec<Vec<DataFrame>> = self.batch.iter_mut().map(std::mem::take).collect();
        self.store.put(self.source, self.batch_first, self.snapshots.saturating_sub(1), pieces);
        self.batch_rows = 0;
        self.batch_first = self.snapshots;
    }

    fn add_rejects(&mut self, log: &RejectLog, base: u64) {
        self.rejects.count += log.count;
        for (r, n) in &log.by_reason {
            *self.rejects.by_reason.entry(*r).or_default() += n;
        }
        for s in &log.samples {
            let s = RejectSample { line: base + s.line, ..s.clone() };
            if self.first_reject.as_ref().is_none_or(|f| s.line < f.line) {
                self.first_reject = Some(s.clone());
            }
            if self.rejects.samples.len() < MAX_SAMPLES {
                self.rejects.samples.push(s);
            }
        }
    }

    fn extend_open(&mut self, acc: Box<SegmentAcc>, has_rows: bool, first_line: u64) {
        match &mut self.open {
            Some(o) => {
                // Ids are already file-wide: merge with the identity map.
                o.acc.merge_from(&acc, &[]);
                o.has_rows |= has_rows;
            }
            None => self.open = Some(Open { acc, time: None, first_line, has_rows }),
        }
    }

    fn close(&mut self) {
        let Some(o) = self.open.take() else { return };
        if let Some(n) = o.acc.ct_trailer {
            let t = self.ct_trailer_total.get_or_insert(0);
            *t = t.saturating_add(n);
        }
        if !o.acc.has_content() {
            if o.time.is_some() {
                self.empty_snapshots += 1;
            }
            return;
        }
        if o.time.is_none() && self.default_time.is_some() {
            self.defaulted += 1;
        }
        let time = match snapshot_time(o.time.as_ref().or(self.default_time.as_ref()), self.tz) {
            Ok(t) => t,
            Err(note) => {
                *self.time_notes.entry(note).or_default() += 1;
                None
            }
        };
        let done = FinishedSegment {
            source: self.source,
            index: self.snapshots,
            time,
            first_line: o.first_line,
            acc: &o.acc,
            names: &self.interner,
            keep: self.keep,
            range: self.range,
        };
        self.truncated_addrs += done.write(&mut self.own);
        self.snapshots += 1;
        self.maybe_flush();
    }

    /// Closes the last snapshot and hands the last batch to the store.
    pub fn finish(&mut self) {
        // Chunks still pending can only exist after a strict failure.
        self.pending.clear();
        self.close();
        self.flush();
    }
}
