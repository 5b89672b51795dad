//! The in-order merger: turns chunk results into numbered snapshots.
//!
//! Workers finish chunks in any order; the merger takes them strictly in
//! file order (holding at most a few early finishers), carries the open
//! snapshot from one chunk to the next, settles the questions a chunk could
//! not answer alone (see `chunk.rs`) and reduces each snapshot as soon as it
//! closes, into the source's spool, so memory stays bounded however long
//! the file is.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::detail::SnapshotDetail;
use crate::fold::{AddrId, Interner, SegmentAcc};
use crate::model::Kind;
use crate::parse::Section;
use crate::parse::timestamp::{RawTime, TzPolicy, resolve};
use crate::snapshot::{Beside, Held, Highlight, SnapshotSummary, reduce_into};
use crate::spool::{SourceSpool, Spill, decode_body};

use super::chunk::{ChunkOut, LineCounts, MAX_SAMPLES, RejectLog, RejectSample, SegStart, Segment};

struct Open {
    acc: Box<SegmentAcc>,
    time: Option<RawTime>,
    first_line: u64,
    has_rows: bool,
}

/// The last snapshot of a tool, as spooled.
struct LastRaw {
    snap: SnapshotSummary,
    body: Vec<u8>,
    detail: Option<Box<SnapshotDetail>>,
}

/// Decodes one tool's part of an encoded snapshot and gives it its detail.
fn held(
    meta: &SnapshotSummary,
    body: &[u8],
    kind: Kind,
    detail: Option<Box<SnapshotDetail>>,
) -> Option<Held> {
    // The body was encoded by this process a moment ago: failing to read it
    // back is a bug, not an input problem.
    let (sockstat, kinds) = decode_body(body).ok()?;
    let mut k = kinds.into_iter().find(|k| k.kind == kind)?;
    k.attach_detail(detail);
    Some(Held { snap: SnapshotSummary { sockstat, ..meta.clone() }, kind: k })
}

/// Merger state for one source.
pub struct Merger<'a> {
    source: usize,
    keep: usize,
    tz: Option<&'a TzPolicy>,
    strict: bool,
    next: usize,
    pending: BTreeMap<usize, ChunkOut>,
    lines_before: u64,
    section: Section,
    interner: Interner,
    open: Option<Open>,
    /// Finished snapshots, in order (without detail).
    pub spool: SourceSpool,
    /// Per tool: the peak and last snapshot, detail included (set by
    /// [`Merger::finish`]).
    pub highlights: [Option<Highlight>; Kind::COUNT],
    /// Per tool: the peak so far, whole.
    peak: [Option<Held>; Kind::COUNT],
    /// Per tool: the last snapshot so far when it is not the peak, still
    /// encoded (decoded once, at the end).
    last: [Option<LastRaw>; Kind::COUNT],
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
}

impl<'a> Merger<'a> {
    /// A merger whose spool keeps its blocks in memory up to the default
    /// budget (tests; `ingest` shares one [`Spill`] per run).
    pub fn new(source: usize, keep: usize, tz: Option<&'a TzPolicy>, strict: bool) -> Self {
        Self::with_spill(source, keep, tz, strict, Arc::new(Spill::default()))
    }

    pub fn with_spill(
        source: usize,
        keep: usize,
        tz: Option<&'a TzPolicy>,
        strict: bool,
        spill: Arc<Spill>,
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
            spool: SourceSpool::new(spill),
            highlights: [const { None }; Kind::COUNT],
            peak: [const { None }; Kind::COUNT],
            last: [const { None }; Kind::COUNT],
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
        }
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
        for seg in out.segments {
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
                    let d = *d;
                    if let Some(n) = d.ct_trailer {
                        let t = self.ct_trailer_total.get_or_insert(0);
                        *t = t.saturating_add(n);
                    }
                    let time = match d.start {
                        SegStart::Time(t) => Some(t),
                        _ => None,
                    };
                    // The worker wrote the range: out of bounds is a bug.
                    let body = &out.bodies[d.body.clone()];
                    self.push_snapshot(time, base + d.first_line, body, d.beside, d.has_content);
                }
            }
        }
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
        // A snapshot that spans chunks: rare enough to always reduce its
        // detail.
        let mut body = Vec::new();
        let beside = reduce_into(&o.acc, &self.interner, self.keep, self.range, &|_| true, &mut body);
        self.push_snapshot(o.time, o.first_line, &body, beside, o.acc.has_content());
    }

    fn push_snapshot(
        &mut self,
        time: Option<RawTime>,
        first_line: u64,
        body: &[u8],
        beside: Beside,
        has_content: bool,
    ) {
        if !has_content {
            if time.is_some() {
                self.empty_snapshots += 1;
            }
            return;
        }
        let (time, time_resolution) = match time {
            None => (None, None),
            Some(raw) => match resolve(&raw, self.tz) {
                Some((t, r)) => (Some(t), Some(r)),
                None => {
                    let what = match raw.zone.abbreviation() {
                        Some(a) => format!(
                            "time zone abbreviation {a:?} is not known; pass --tz to read these times"
                        ),
                        None => "a local time does not exist in the --tz zone (DST gap)".to_string(),
                    };
                    *self.time_notes.entry(what).or_default() += 1;
                    (None, None)
                }
            },
        };
        let meta = SnapshotSummary {
            source: self.source,
            index: self.spool.len(),
            time,
            time_resolution,
            first_line,
            kinds: Vec::new(),
            sockstat: None,
        };
        self.truncated_addrs += beside.truncated_addrs;
        self.spool.push_encoded(&meta, body);
        // Details are large: keep them for the peak and the last snapshot
        // of each tool only. A new peak is decoded now (peaks are few);
        // the last stays encoded until the end.
        for (k, (total, detail)) in beside.totals.into_iter().zip(beside.details).enumerate() {
            let Some(total) = total else { continue };
            if self.peak[k].as_ref().is_none_or(|p| total > p.kind.total) {
                match held(&meta, body, Kind::ALL[k], detail) {
                    Some(h) => {
                        self.peak[k] = Some(h);
                        self.last[k] = None;
                    }
                    None => debug_assert!(false, "a body this merger was given does not decode"),
                }
            } else {
                let l = self.last[k].get_or_insert_with(|| LastRaw {
                    snap: meta.clone(),
                    body: Vec::new(),
                    detail: None,
                });
                l.snap = meta.clone();
                l.body.clear();
                l.body.extend_from_slice(body);
                l.detail = detail;
            }
        }
    }

    /// Closes the last snapshot.
    pub fn finish(&mut self) {
        // Chunks still pending can only exist after a strict failure.
        self.pending.clear();
        self.close();
        self.spool.seal();
        for (k, kind) in Kind::ALL.into_iter().enumerate() {
            let last = self.last[k].take().and_then(|l| {
                let h = held(&l.snap, &l.body, kind, l.detail);
                debug_assert!(h.is_some(), "a body this merger was given does not decode");
                h
            });
            self.highlights[k] = self.peak[k].take().map(|peak| Highlight { peak, last });
        }
    }
}
