//! The chunk worker: classify every line of one chunk and fold it.
//!
//! A chunk does not know what came before it, so it records what it cannot
//! decide and lets the in-order merger settle it:
//! - its first segment continues whatever snapshot the previous chunk left
//!   open (`SegStart::ChunkStart`);
//! - a table header before any row in the chunk starts a new snapshot only
//!   if the previous chunk's open snapshot had rows (`MaybeHeader`);
//! - lines rejected before the chunk's first section title might belong to
//!   a netstat UNIX or other ignored section opened in an earlier chunk
//!   (`deferred`).

use crate::fold::{ChunkInterner, Names, SegmentAcc};
use crate::model::Kind;
use crate::parse::timestamp::RawTime;
use crate::parse::{Line, LineState, RejectReason, Section, Structure, TableFormat, classify};
use crate::snapshot::{FinishedSegment, snapshot_time};

use super::read::{Chunk, lines};

/// How many rejected lines are kept as samples per source.
pub const MAX_SAMPLES: usize = 10;
/// Longest sample text kept.
const SAMPLE_CHARS: usize = 200;

/// Line accounting. `parsed + structural + ignored + rejected == total`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct LineCounts {
    pub total: u64,
    pub parsed: u64,
    pub structural: u64,
    pub ignored: u64,
    pub rejected: u64,
}

impl LineCounts {
    pub fn add(&mut self, o: &LineCounts) {
        self.total += o.total;
        self.parsed += o.parsed;
        self.structural += o.structural;
        self.ignored += o.ignored;
        self.rejected += o.rejected;
    }
}

/// A rejected line kept as an example.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RejectSample {
    /// 1-based line number in the source (chunk-relative inside a worker).
    pub line: u64,
    pub text: String,
    pub reason: RejectReason,
}

/// Rejected lines: a count per reason and the first few samples.
#[derive(Debug, Clone, Default)]
pub struct RejectLog {
    pub count: u64,
    pub by_reason: std::collections::BTreeMap<RejectReason, u64>,
    pub samples: Vec<RejectSample>,
}

impl RejectLog {
    pub fn add(&mut self, line: u64, text: &[u8], reason: RejectReason) {
        self.add_sized(line, text, text.len() as u64, reason);
    }

    /// Adds a line of which only `text`, its head, was kept: `bytes` is its
    /// whole length (for a line too long to buffer).
    pub fn add_sized(&mut self, line: u64, text: &[u8], bytes: u64, reason: RejectReason) {
        self.count += 1;
        *self.by_reason.entry(reason).or_default() += 1;
        if self.samples.len() < MAX_SAMPLES {
            let mut text = sample_text(text);
            if reason == RejectReason::LineTooLong {
                text = format!("{text} [{bytes} bytes]");
            }
            self.samples.push(RejectSample { line, text, reason });
        }
    }
}

/// Printable, bounded copy of a line.
pub fn sample_text(b: &[u8]) -> String {
    let b = crate::parse::tokens::trim_end(b);
    let s = String::from_utf8_lossy(&b[..b.len().min(SAMPLE_CHARS * 4)]);
    let mut out: String = s.chars().take(SAMPLE_CHARS).collect();
    if s.chars().count() > SAMPLE_CHARS {
        out.push('…');
    }
    out
}

/// What started a segment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SegStart {
    /// Continues the previous chunk's open snapshot.
    ChunkStart,
    /// A timestamp line (1-based chunk line).
    Time(RawTime),
    /// A table header after rows: certainly a new snapshot.
    Header,
    /// A table header before any row of this chunk: a new snapshot only if
    /// the open snapshot has rows.
    MaybeHeader,
    /// An `ss -s` `Total:` line at the start of a chunk: a new snapshot
    /// only if the open snapshot already has counters.
    MaybeSockstat,
}

/// A segment as the worker leaves it.
pub enum Segment {
    /// Still open at an edge of the chunk (or of uncertain start):
    /// accumulators with chunk-local address ids.
    Open { start: SegStart, first_line: u64, acc: Box<SegmentAcc>, has_rows: bool },
    /// A complete snapshot inside the chunk, already reduced and encoded
    /// (an 8 MiB chunk of one-row snapshots holds 160,000 of them: each
    /// costs ~170 bytes here plus its encoded body, not the 2 KB of its
    /// accumulators and summaries).
    Done(Box<Done>),
}

/// A complete snapshot of a chunk. Its rows are already in the chunk's
/// tables ([`ChunkOut::tables`]), with the snapshot's ordinal among the
/// chunk's complete snapshots as its `index` (the merger adds the number
/// of snapshots before the chunk) and a chunk-relative `first_line`.
pub struct Done {
    pub start: SegStart,
    pub first_line: u64,
    pub ct_trailer: Option<u64>,
    /// False: nothing in it (a timestamp line with no table after it); no
    /// rows were written.
    pub has_content: bool,
    pub truncated_addrs: u64,
    /// Why its time could not be read, if it could not.
    pub time_note: Option<String>,
}

/// Everything a worker reports for one chunk.
pub struct ChunkOut {
    pub index: usize,
    pub counts: LineCounts,
    pub rejects: RejectLog,
    /// Rejected before any section title in this chunk: resolved by the
    /// merger against the section the previous chunk ended in.
    pub deferred: RejectLog,
    /// Section at the end, if the chunk saw any title.
    pub end_section: Option<Section>,
    pub segments: Vec<Segment>,
    /// The rows of the `Done` segments that have content.
    pub tables: crate::table::Tables,
    /// How many `Done` segments have content (their `index` runs 0..this).
    pub snapshots: u32,
    /// Every socket and conntrack row (with `WorkerCfg::rows`), their
    /// `index` the position of their segment in `segments`.
    pub rows: Option<crate::table::RowTables>,
    /// Chunk-local address table.
    pub names: Vec<Box<[u8]>>,
    pub kinds_seen: [u64; Kind::COUNT],
    pub sockstat_lines: u64,
    pub timestamps: u64,
    /// First tool messages (`exec of "netstat" failed…`): (chunk line, text).
    pub messages: Vec<(u64, String)>,
}

/// Per-run settings the worker needs.
#[derive(Debug, Clone, Default)]
pub struct WorkerCfg {
    pub forced: Option<TableFormat>,
    /// Only timestamp lines separate snapshots (the capture has them).
    pub timestamp_mode: bool,
    /// Top-K kept per finished snapshot.
    pub keep: usize,
    pub fold: crate::fold::FoldCfg,
    /// The source's id in the tables.
    pub source: u32,
    /// How naive times and zone abbreviations are read.
    pub tz: Option<crate::parse::timestamp::TzPolicy>,
    /// Also write socket and conntrack rows (`export`, `diagnose`).
    pub rows: bool,
    /// Only the socket rows that pass (see `RowSink::sockets`).
    pub socket_rows: Option<fn(&crate::parse::record::SocketRecord<'_>) -> bool>,
    /// Conntrack entries too.
    pub conntrack_rows: bool,
}

struct Cur {
    start: SegStart,
    first_line: u64,
    acc: SegmentAcc,
    has_rows: bool,
    ct_rows: u64,
    ct_expected: Option<u64>,
    /// The conntrack listing of this segment is complete: its next row
    /// starts a new snapshot (captures without timestamps).
    ct_boundary: bool,
}

impl Cur {
    fn new(start: SegStart, first_line: u64) -> Self {
        Cur {
            start,
            first_line,
            acc: SegmentAcc::default(),
            has_rows: false,
            ct_rows: 0,
            ct_expected: None,
            ct_boundary: false,
        }
    }
}

/// Classifies and folds one chunk of the reader.
pub fn process(c: &Chunk, cfg: &WorkerCfg) -> ChunkOut {
    match c.long_line {
        Some(bytes) => long_line(c.index, c.data(), bytes),
        None => process_chunk(c.index, c.data(), cfg),
    }
}

/// A chunk that is one line too long to keep: rejected, with its length.
/// Deferred like any reject before a section title: inside a netstat UNIX
/// section it is ignored.
fn long_line(index: usize, head: &[u8], bytes: u64) -> ChunkOut {
    let mut deferred = RejectLog::default();
    deferred.add_sized(1, head, bytes, RejectReason::LineTooLong);
    ChunkOut {
        index,
        counts: LineCounts::default(),
        rejects: RejectLog::default(),
        deferred,
        end_section: None,
        segments: Vec::new(),
        tables: Default::default(),
        snapshots: 0,
        rows: None,
        names: Vec::new(),
        kinds_seen: [0; Kind::COUNT],
        sockstat_lines: 0,
        timestamps: 0,
        messages: Vec::new(),
    }
}

/// Classifies and folds one chunk of whole lines.
pub fn process_chunk(index: usize, data: &[u8], cfg: &WorkerCfg) -> ChunkOut {
    match repair_interleaved_trailers(data) {
        Some(fixed) => process_lines(index, &fixed, cfg),
        None => process_lines(index, data, cfg),
    }
}

/// `conntrack -L 2>&1` interleaves the stderr trailer with buffered stdout,
/// often in the middle of a row:
///
/// ```text
/// tcp 6 1777 TIME_WAIT src=10.20.0.23 dst=10.20.0.10 sport=54448 dport=80 packets=6 bytes=3conntrack v1.4.7 (conntrack-tools): 297 flow entries have been shown.
/// 68 src=10.20.0.10 dst=10.20.0.23 sport=80 dport=54448 packets=4 bytes=333 [ASSURED] mark=0 use=1
/// ```
///
/// Returns a copy with the trailer moved onto its own line and the row
/// joined again (same number of lines), or `None` if there is nothing to
/// repair (the common case: one fast substring scan).
pub fn repair_interleaved_trailers(data: &[u8]) -> Option<Vec<u8>> {
    const NEEDLE: &[u8] = b" (conntrack-tools): ";
    let mut cuts: Vec<(usize, usize, usize)> = Vec::new(); // (line start, trailer start, line end)
    for pos in memchr::memmem::find_iter(data, NEEDLE) {
        let ls = memchr::memrchr(b'\n', &data[..pos]).map_or(0, |p| p + 1);
        let Some(t) = memchr::memmem::rfind(&data[ls..pos], b"conntrack v").map(|p| ls + p) else { continue };
        if t == ls {
            continue;
        }
        let le = memchr::memchr(b'\n', &data[pos..]).map_or(data.len(), |p| pos + p);
        // Only a row cut in half is joined: the text before the trailer
        // must start like a conntrack entry, and its second half (the next
        // line) must be in this chunk. Anything else stays as it is.
        let prefix = crate::parse::tokens::skip_ws(&data[ls..t]);
        let first = crate::parse::tokens::split_token(prefix).map(|(w, _)| w).unwrap_or_default();
        let entry_like = crate::parse::conntrack::is_l3_word(first)
            || crate::model::Proto::from_name(first).is_some()
            || first == b"unknown";
        if !entry_like || le + 1 >= data.len() {
            continue;
        }
        cuts.push((ls, t, le));
    }
    if cuts.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() + 1);
    let mut at = 0;
    for (ls, t, le) in cuts {
        if ls < at {
            continue;
        }
        out.extend_from_slice(&data[at..ls]);
        // The trailer on its own line, then the row's two halves joined.
        out.extend_from_slice(&data[t..le]);
        out.push(b'\n');
        out.extend_from_slice(&data[ls..t]);
        at = (le + 1).min(data.len());
    }
    out.extend_from_slice(&data[at..]);
    Some(out)
}

fn process_lines(index: usize, data: &[u8], cfg: &WorkerCfg) -> ChunkOut {
    let mut st = LineState::new(cfg.forced);
    let mut interner = ChunkInterner::default();
    let mut closer = Closer::new(cfg);
    let mut cur = Cur::new(SegStart::ChunkStart, 1);
    let mut counts = LineCounts::default();
    let mut rejects = RejectLog::default();
    let mut deferred = RejectLog::default();
    let mut kinds_seen = [0u64; Kind::COUNT];
    let mut title_seen = false;
    let mut sockstat_lines = 0u64;
    let mut timestamps = 0u64;
    let mut messages = Vec::new();
    let mut rows = cfg.rows.then(crate::table::RowTables::default);
    // The last socket row's tool and state: Windows `netstat -b` names a
    // row's executable on the lines below it.
    let mut last_row: Option<(Kind, crate::model::TcpState)> = None;

    // The fast lane only counts; `report` folds whole records.
    let fast_lane = !cfg.fold.detail;
    let (mut fast_hits, mut fast_misses) = (0u64, 0u64);
    for (i, line) in lines(data).enumerate() {
        let lineno = i as u64 + 1;
        counts.total += 1;
        // A chunk of other shapes (`netstat -p`, conntrack) would pay for
        // every failed attempt twice: give up once misses clearly outnumber
        // hits (a miss is a line the lane started to read and declined).
        let attempt = fast_lane && fast_misses <= fast_hits + 32;
        let row = if attempt { crate::parse::fast::row(line, &st) } else { None };
        if attempt && row.is_none() && crate::parse::fast::may_start_row(line, &st) {
            fast_misses += 1;
        }
        if let Some(r) = row {
            fast_hits += 1;
            st.after_row = true;
            counts.parsed += 1;
            kinds_seen[r.kind as usize] += 1;
            cur.has_rows = true;
            cur.acc.kind_mut(r.kind).add_counted(&r, &mut |s| interner.intern(s));
            continue;
        }
        let parsed = classify(line, &mut st);
        if st.section != Section::Unknown {
            title_seen = true;
        }
        // A new segment starts here when `split` is set.
        let mut split: Option<SegStart> = None;
        match parsed {
            Line::Socket(r) => {
                counts.parsed += 1;
                kinds_seen[r.kind as usize] += 1;
                cur.has_rows = true;
                cur.acc.kind_mut(r.kind).add_socket(&r, &cfg.fold, &mut |s| interner.intern(s));
                last_row = Some((
                    r.kind,
                    if r.proto == crate::model::Proto::Tcp { r.state } else { crate::model::TcpState::None },
                ));
                if let Some(t) = &mut rows
                    && cfg.socket_rows.is_none_or(|keep| keep(&r))
                {
                    crate::table::sockets::fill(&mut t.sockets, cfg.source, closer.segments.len() as u32, &r);
                }
            }
            Line::Conntrack(r) => {
                counts.parsed += 1;
                kinds_seen[Kind::Conntrack as usize] += 1;
                // Without timestamps, a listing ends once it holds as many
                // entries as its trailer announced (the trailer goes to
                // stderr, so it may come before, inside or after the rows).
                if cur.ct_boundary && !cfg.timestamp_mode && cur.has_rows {
                    let prev = std::mem::replace(&mut cur, Cur::new(SegStart::Header, lineno));
                    closer.close(prev, &interner);
                }
                cur.has_rows = true;
                cur.ct_rows += 1;
                cur.acc.kind_mut(Kind::Conntrack).add_conntrack(&r, &cfg.fold, &mut |s| interner.intern(s));
                cur.ct_boundary = cur.ct_expected.is_some_and(|n| cur.ct_rows >= n);
                if let Some(t) = &mut rows
                    && cfg.conntrack_rows
                {
                    let seg = closer.segments.len() as u32;
                    crate::table::conntrack_entries::fill(&mut t.conntrack_entries, cfg.source, seg, &r);
                }
            }
            Line::Sockstat(c) => {
                counts.parsed += 1;
                sockstat_lines += 1;
                if !cfg.timestamp_mode && c.total.is_some() {
                    // A new `ss -s` sample: a new snapshot if this segment
                    // has counters already; at a chunk start only the
                    // merger knows.
                    let start = if cur.acc.sockstat.is_some() {
                        Some(SegStart::Header)
                    } else if cur.start == SegStart::ChunkStart && closer.is_empty() {
                        Some(SegStart::MaybeSockstat)
                    } else {
                        None
                    };
                    if let Some(start) = start {
                        let prev = std::mem::replace(&mut cur, Cur::new(start, lineno));
                        closer.close(prev, &interner);
                    }
                }
                cur.acc.sockstat.get_or_insert_with(Default::default).merge(&c);
            }
            Line::SockstatOther => {
                counts.parsed += 1;
                sockstat_lines += 1;
            }
            Line::Continuation => {
                counts.parsed += 1;
                if let (Some((kind, state)), Some(crate::parse::WindowsOwner::Executable(name))) =
                    (last_row, crate::parse::windows_owner_line(crate::parse::tokens::skip_ws(line)))
                {
                    cur.acc.kind_mut(kind).add_owner(name, state, &cfg.fold, &mut |s| interner.intern(s));
                }
            }
            Line::Structure(s) => {
                counts.structural += 1;
                match s {
                    Structure::Timestamp(t) => {
                        timestamps += 1;
                        split = Some(SegStart::Time(t));
                    }
                    Structure::TableHeader(_) if !cfg.timestamp_mode => {
                        if cur.has_rows {
                            split = Some(SegStart::Header);
                        } else if cur.start == SegStart::ChunkStart && closer.is_empty() {
                            split = Some(SegStart::MaybeHeader);
                        }
                    }
                    Structure::ToolMessage if messages.len() < 3 => {
                        messages.push((lineno, sample_text(line)))
                    }
                    Structure::ConntrackTrailer(n) => {
                        let t = cur.acc.ct_trailer.get_or_insert(0);
                        *t = t.saturating_add(n);
                        cur.ct_expected = Some(n);
                        cur.ct_boundary = cur.ct_rows >= n;
                    }
                    _ => {}
                }
            }
            Line::Ignored(_) => {
                counts.ignored += 1;
                cur.acc.ignored_rows += 1;
            }
            Line::Rejected(reason) => {
                if title_seen {
                    counts.rejected += 1;
                    rejects.add(lineno, line, reason);
                } else {
                    // Counted by the merger once the section is known.
                    counts.total -= 1;
                    deferred.add(lineno, line, reason);
                }
            }
        }
        if let Some(start) = split {
            let prev = std::mem::replace(&mut cur, Cur::new(start, lineno));
            closer.close(prev, &interner);
        }
    }
    let (segments, tables, snapshots) = closer.finish(cur);

    let names = interner.names.iter().map(|n| Box::<[u8]>::from(*n)).collect();
    ChunkOut {
        index,
        counts,
        rejects,
        deferred,
        end_section: title_seen.then_some(st.section),
        segments,
        tables,
        snapshots,
        rows,
        names,
        kinds_seen,
        sockstat_lines,
        timestamps,
        messages,
    }
}

/// Closes a chunk's segments as they end, so that a chunk of many small
/// snapshots never holds their accumulators at once. A segment is complete
/// when it is not at an edge of the chunk and began at a definite
/// boundary: it is reduced and written as table rows at once. The merger
/// settles the others.
struct Closer<'c> {
    cfg: &'c WorkerCfg,
    segments: Vec<Segment>,
    tables: crate::table::Tables,
    /// Complete snapshots with content so far.
    snapshots: u32,
}

impl<'c> Closer<'c> {
    fn new(cfg: &'c WorkerCfg) -> Self {
        Closer { cfg, segments: Vec::new(), tables: Default::default(), snapshots: 0 }
    }

    /// Nothing closed yet: the current segment is the chunk's first.
    fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }

    /// Takes a segment that has ended (never the chunk's last).
    fn close(&mut self, c: Cur, names: &dyn Names) {
        let complete = !self.segments.is_empty() && matches!(c.start, SegStart::Time(_) | SegStart::Header);
        if !complete {
            self.segments.push(Segment::Open {
                start: c.start,
                first_line: c.first_line,
                acc: Box::new(c.acc),
                has_rows: c.has_rows,
            });
            return;
        }
        let raw = match c.start {
            SegStart::Time(t) => Some(t),
            _ => None,
        };
        let has_content = c.acc.has_content();
        let (time, time_note) = match snapshot_time(raw.as_ref(), self.cfg.tz.as_ref()) {
            Ok(t) => (t, None),
            Err(note) => (None, Some(note)),
        };
        let truncated_addrs = if has_content {
            let done = FinishedSegment {
                source: self.cfg.source,
                index: self.snapshots,
                time,
                first_line: c.first_line,
                acc: &c.acc,
                names,
                keep: self.cfg.keep,
                range: (self.cfg.fold.eph_lo, self.cfg.fold.eph_hi),
            };
            self.snapshots += 1;
            done.write(&mut self.tables)
        } else {
            0
        };
        self.segments.push(Segment::Done(Box::new(Done {
            start: c.start,
            first_line: c.first_line,
            ct_trailer: c.acc.ct_trailer,
            has_content,
            truncated_addrs,
            time_note: if has_content { time_note } else { None },
        })));
    }

    /// Ends the chunk with its last segment.
    fn finish(mut self, last: Cur) -> (Vec<Segment>, crate::table::Tables, u32) {
        self.segments.push(Segment::Open {
            start: last.start,
            first_line: last.first_line,
            acc: Box::new(last.acc),
            has_rows: last.has_rows,
        });
        (self.segments, self.tables, self.snapshots)
    }
}

/// True if any of the first lines of `data` is a timestamp marker: then
/// the capture is a timestamped loop and only timestamps cut snapshots.
pub fn has_timestamps(data: &[u8]) -> bool {
    lines(data).take(200_000).any(|l| crate::parse::timestamp::parse_timestamp_line(l).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_complete_snapshot_is_written_with_its_detail() {
        // Rows per snapshot; the chunk's first and last segments stay open.
        let sizes = [4usize, 1, 3, 6, 2, 6, 7, 5, 1, 2];
        let mut text = String::new();
        for (i, n) in sizes.iter().enumerate() {
            text.push_str(&format!("Tue Mar  5 10:00:{i:02} UTC 2024\n"));
            text.push_str("State  Recv-Q Send-Q Local Address:Port Peer Address:Port\n");
            for j in 0..*n {
                text.push_str(&format!("ESTAB  0      0      10.0.0.1:22        10.0.1.{j}:5000{j}\n"));
            }
        }
        let fold = crate::fold::FoldCfg { detail: true, ..Default::default() };
        let mut out = process_chunk(
            0,
            text.as_bytes(),
            &WorkerCfg { timestamp_mode: true, keep: 5, fold, ..Default::default() },
        );
        // The text before the first timestamp (none) and the last snapshot
        // stay open for the merger; the 9 before are complete, numbered
        // 0..9 within the chunk.
        assert_eq!(out.snapshots, 9);
        let frames = out.tables.frames();
        let snaps = &frames[0];
        let totals: Vec<u64> = snaps.column("total").unwrap().u64().unwrap().into_no_null_iter().collect();
        assert_eq!(totals, sizes[..9].iter().map(|n| *n as u64).collect::<Vec<_>>());
        // Every one of them has its peers (top 5 of each), not just a peak.
        let peers = &frames[6];
        let mut per: Vec<u32> = peers.column("index").unwrap().u32().unwrap().into_no_null_iter().collect();
        per.dedup();
        assert_eq!(per, (0..9).collect::<Vec<_>>());
        let kept = peers.height();
        assert_eq!(kept, sizes[..9].iter().map(|n| (*n).min(5)).sum::<usize>());
    }

    #[test]
    fn interleaved_trailer_is_moved_out_of_the_row() {
        let data = b"tcp 6 1 CLOSE src=1.1.1.1 dst=2.2.2.2 sport=1 dport=2 packets=6 bytes=3conntrack v1.4.7 (conntrack-tools): 2 flow entries have been shown.\n68 src=2.2.2.2 dst=1.1.1.1 sport=2 dport=1 mark=0 use=1\nnext\n";
        let fixed = repair_interleaved_trailers(data).unwrap();
        let text = String::from_utf8(fixed).unwrap();
        assert_eq!(
            text,
            "conntrack v1.4.7 (conntrack-tools): 2 flow entries have been shown.\ntcp 6 1 CLOSE src=1.1.1.1 dst=2.2.2.2 sport=1 dport=2 packets=6 bytes=368 src=2.2.2.2 dst=1.1.1.1 sport=2 dport=1 mark=0 use=1\nnext\n"
        );
        assert!(
            repair_interleaved_trailers(
                b"conntrack v1.4.7 (conntrack-tools): 2 flow entries have been shown.\n"
            )
            .is_none()
        );
        let out = process_chunk(0, data, &WorkerCfg::default());
        // `next` is held back until the merger knows the section.
        assert_eq!(
            (out.counts.total, out.counts.parsed, out.counts.structural, out.deferred.count),
            (2, 1, 1, 1)
        );
    }
}
