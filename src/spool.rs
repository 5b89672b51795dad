//! Finished snapshots, spooled.
//!
//! A capture loop left running for a week has 100,000 snapshots; a fleet of
//! a thousand hosts with an hour of 5-second loops has 720,000. Keeping
//! every finished snapshot in memory made memory grow with the length of
//! the capture, so each source's merger encodes its snapshots (without the
//! report's detail, which is kept aside for the peak and the last one) into
//! a compact binary form, in blocks. Blocks stay in memory up to a budget
//! shared by the whole run, then go to one anonymous temporary file.
//! Outputs read the snapshots back in order, one at a time.
//!
//! The encoding is private to one run (never written anywhere a user
//! sees), so it has no version: varints for counts, a bit mask for the
//! mostly-zero count arrays.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, FixedOffset};

use crate::model::{CtState, Kind, Proto, TcpState};
use crate::parse::ss::Sockstat;
use crate::parse::timestamp::Resolution;
use crate::snapshot::{KindSummary, SnapshotSummary};

/// Bytes of encoded snapshots kept in memory per run before blocks go to
/// the temporary file. A snapshot with ten-entry top lists is ~200 bytes
/// encoded (a 50,000-snapshot loop ~9 MB), so the samples, the tests and
/// most real captures never touch the disk.
pub const MEMORY_BUDGET: usize = 32 << 20;

/// Size of a block: the unit written to the temporary file.
const BLOCK: usize = 256 << 10;

/// Where the sealed blocks of a run go: memory up to a budget, then one
/// shared temporary file (created on first use, deleted by the OS when the
/// run ends).
#[derive(Debug)]
pub struct Spill {
    budget: usize,
    in_memory: AtomicUsize,
    file: Mutex<Option<io::Result<File>>>,
}

impl Default for Spill {
    fn default() -> Self {
        Spill::with_budget(MEMORY_BUDGET)
    }
}

impl Spill {
    /// A spill that keeps at most `budget` bytes of blocks in memory.
    pub fn with_budget(budget: usize) -> Self {
        Spill { budget, in_memory: AtomicUsize::new(0), file: Mutex::new(None) }
    }

    /// Takes `len` bytes of the memory budget if they fit.
    fn reserve(&self, len: usize) -> bool {
        self.in_memory
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                (used + len <= self.budget).then_some(used + len)
            })
            .is_ok()
    }

    /// Appends a block to the file; returns its offset.
    fn write(&self, data: &[u8]) -> io::Result<u64> {
        let mut guard = self.file.lock().unwrap_or_else(|e| e.into_inner());
        let file = match guard.get_or_insert_with(tempfile::tempfile) {
            Ok(f) => f,
            Err(e) => return Err(io::Error::new(e.kind(), e.to_string())),
        };
        let at = file.seek(SeekFrom::End(0))?;
        file.write_all(data)?;
        Ok(at)
    }

    fn read(&self, at: u64, buf: &mut Vec<u8>, len: usize) -> io::Result<()> {
        let mut guard = self.file.lock().unwrap_or_else(|e| e.into_inner());
        let Some(Ok(file)) = guard.as_mut() else {
            return Err(io::Error::other("spooled snapshots: the temporary file is gone"));
        };
        file.seek(SeekFrom::Start(at))?;
        buf.clear();
        buf.resize(len, 0);
        file.read_exact(buf)
    }
}

#[derive(Debug)]
enum Block {
    Memory(Vec<u8>),
    File { at: u64, len: usize },
}

/// The finished snapshots of one source, in capture order.
#[derive(Debug)]
pub struct SourceSpool {
    spill: Arc<Spill>,
    blocks: Vec<Block>,
    open: Vec<u8>,
    len: usize,
    /// A block that could not be written to the temporary file stays in
    /// memory; the first such error is kept for the run's notes.
    pub spill_error: Option<String>,
}

impl SourceSpool {
    pub fn new(spill: Arc<Spill>) -> Self {
        SourceSpool { spill, blocks: Vec::new(), open: Vec::new(), len: 0, spill_error: None }
    }

    /// Snapshots in the spool.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends a snapshot (its `detail` is not kept).
    pub fn push(&mut self, s: &SnapshotSummary) {
        self.append(s, |out| encode_body(s.sockstat, &s.kinds, out));
    }

    /// Appends a snapshot whose `sockstat` and `kinds` are given encoded by
    /// [`encode_body`] (`s.sockstat` and `s.kinds` are ignored).
    pub fn push_encoded(&mut self, s: &SnapshotSummary, body: &[u8]) {
        self.append(s, |out| out.extend_from_slice(body));
    }

    fn append(&mut self, s: &SnapshotSummary, body: impl FnOnce(&mut Vec<u8>)) {
        if self.open.capacity() == 0 {
            // One allocation per block: a growing Vec would hold up to
            // twice the block in memory.
            self.open.reserve_exact(BLOCK + (16 << 10));
        }
        encode_header(s, &mut self.open);
        body(&mut self.open);
        self.len += 1;
        if self.open.len() >= BLOCK {
            self.seal();
        }
    }

    /// Closes the open block (also called when the source ends).
    pub fn seal(&mut self) {
        if self.open.is_empty() {
            return;
        }
        let mut data = std::mem::take(&mut self.open);
        data.shrink_to_fit();
        if self.spill.reserve(data.len()) {
            self.blocks.push(Block::Memory(data));
            return;
        }
        match self.spill.write(&data) {
            Ok(at) => self.blocks.push(Block::File { at, len: data.len() }),
            Err(e) => {
                self.spill_error.get_or_insert_with(|| e.to_string());
                self.blocks.push(Block::Memory(data));
            }
        }
    }

    /// Reads the snapshots back in order, `source` set to `source`.
    pub fn iter(&self, source: usize) -> SpoolIter<'_> {
        SpoolIter { spool: self, source, block: 0, pos: 0, buf: Vec::new(), loaded: usize::MAX, done: false }
    }
}

/// The finished snapshots of a run: each source's spool, in source order.
#[derive(Debug, Default)]
pub struct SnapshotStore {
    sources: Vec<(usize, SourceSpool)>,
}

impl SnapshotStore {
    /// Adds the spool of source `source` (sources are pushed in order).
    pub fn push(&mut self, source: usize, spool: SourceSpool) {
        self.sources.push((source, spool));
    }

    /// Snapshots of all sources.
    pub fn len(&self) -> usize {
        self.sources.iter().map(|(_, s)| s.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every snapshot, in source order then capture order. Stops at the
    /// first read error.
    pub fn iter(&self) -> impl Iterator<Item = io::Result<SnapshotSummary>> + '_ {
        let mut failed = false;
        self.sources.iter().flat_map(|(i, s)| s.iter(*i)).take_while(move |r| {
            let go = !failed;
            failed |= r.is_err();
            go
        })
    }
}

/// Iterator over a [`SourceSpool`].
pub struct SpoolIter<'a> {
    spool: &'a SourceSpool,
    source: usize,
    block: usize,
    pos: usize,
    buf: Vec<u8>,
    loaded: usize,
    done: bool,
}

impl Iterator for SpoolIter<'_> {
    type Item = io::Result<SnapshotSummary>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        loop {
            let data: &[u8] = match self.spool.blocks.get(self.block) {
                Some(Block::Memory(d)) => d,
                Some(Block::File { at, len }) => {
                    if self.loaded != self.block {
                        if let Err(e) = self.spool.spill.read(*at, &mut self.buf, *len) {
                            self.done = true;
                            return Some(Err(e));
                        }
                        self.loaded = self.block;
                    }
                    &self.buf
                }
                // The open block: only before `seal`, e.g. in tests.
                None if self.block == self.spool.blocks.len() => &self.spool.open,
                None => return None,
            };
            if self.pos < data.len() {
                let mut r = Reader { data, pos: self.pos };
                let out = decode_snapshot(&mut r, self.source);
                self.pos = r.pos;
                if out.is_err() {
                    self.done = true;
                }
                return Some(out);
            }
            self.block += 1;
            self.pos = 0;
        }
    }
}

// ---- encoding ----

fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_signed(out: &mut Vec<u8>, v: i64) {
    put(out, ((v << 1) ^ (v >> 63)) as u64);
}

/// A count array as a mask of its non-zero positions and their values.
fn put_counts(out: &mut Vec<u8>, a: &[u64]) {
    debug_assert!(a.len() < 64, "the mask is one u64");
    let mask = a.iter().enumerate().filter(|(_, v)| **v != 0).fold(0u64, |m, (i, _)| m | 1 << i);
    put(out, mask);
    for v in a.iter().filter(|v| **v != 0) {
        put(out, *v);
    }
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put(out, b.len() as u64);
    out.extend_from_slice(b);
}

fn put_named(out: &mut Vec<u8>, list: &[(String, u64)]) {
    put(out, list.len() as u64);
    for (name, n) in list {
        put_bytes(out, name.as_bytes());
        put(out, *n);
    }
}

fn resolution_code(r: Option<Resolution>) -> u64 {
    match r {
        None => 0,
        Some(Resolution::Explicit) => 1,
        Some(Resolution::Assumed) => 2,
        Some(Resolution::Abbreviation) => 3,
        Some(Resolution::Ambiguous) => 4,
    }
}

/// Appends one snapshot's record.
pub fn encode_snapshot(s: &SnapshotSummary, out: &mut Vec<u8>) {
    encode_header(s, out);
    encode_body(s.sockstat, &s.kinds, out);
}

/// The snapshot's own fields (not `kinds`, `sockstat`, `source`).
fn encode_header(s: &SnapshotSummary, out: &mut Vec<u8>) {
    put(out, s.index as u64);
    match s.time {
        None => put(out, 0),
        Some(t) => {
            put(out, 1);
            put_signed(out, t.timestamp());
            put(out, t.timestamp_subsec_nanos() as u64);
            put_signed(out, t.offset().local_minus_utc() as i64);
        }
    }
    put(out, resolution_code(s.time_resolution));
    put(out, s.first_line);
}

/// A snapshot's counters and tools' summaries (without detail): what a
/// chunk worker produces for each complete snapshot, so that the merger
/// can spool it without decoding it.
pub fn encode_body(sockstat: Option<Sockstat>, kinds: &[KindSummary], out: &mut Vec<u8>) {
    match sockstat {
        None => put(out, 0),
        Some(mut c) => {
            let f = c.fields_mut().map(|v| *v);
            // Bit 10 marks "present" so an all-`None` sockstat survives.
            let mask =
                f.iter().enumerate().fold(1u64 << 10, |m, (i, v)| if v.is_some() { m | 1 << i } else { m });
            put(out, mask);
            for v in f.into_iter().flatten() {
                put(out, v);
            }
        }
    }
    put(out, kinds.len() as u64);
    for k in kinds {
        encode_kind(k, out);
    }
}

fn encode_kind(k: &KindSummary, out: &mut Vec<u8>) {
    put(out, k.kind as u64);
    put(out, k.total);
    put_counts(out, &k.states);
    put_counts(out, &k.ct_states);
    put_counts(out, &k.protos);
    put_counts(out, &k.families);
    put_counts(out, &k.ct_flags);
    put(out, k.truncated_addrs);
    put_named(out, &k.top_remote);
    put(out, k.remote_distinct);
    put(out, k.top_local_ports.len() as u64);
    for (p, n) in &k.top_local_ports {
        put(out, *p as u64);
        put(out, *n);
    }
    put(out, k.local_ports_distinct);
    put_named(out, &k.top_ct_src);
    put(out, k.from_counters as u64);
    match &k.by_direction {
        None => put(out, 0),
        Some(d) => {
            put(out, 1);
            for row in d.iter() {
                put_counts(out, row);
            }
        }
    }
}

// ---- decoding ----

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

fn corrupt() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "spooled snapshots: corrupt record")
}

impl Reader<'_> {
    fn get(&mut self) -> io::Result<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self.data.get(self.pos).ok_or_else(corrupt)?;
            self.pos += 1;
            v |= ((b & 0x7f) as u64) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(corrupt())
    }

    fn signed(&mut self) -> io::Result<i64> {
        let v = self.get()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    fn small(&mut self, max: u64) -> io::Result<u64> {
        let v = self.get()?;
        if v > max { Err(corrupt()) } else { Ok(v) }
    }

    fn counts<const N: usize>(&mut self) -> io::Result<[u64; N]> {
        let mask = self.get()?;
        if N < 64 && mask >> N != 0 {
            return Err(corrupt());
        }
        let mut a = [0u64; N];
        for (i, slot) in a.iter_mut().enumerate() {
            if mask & 1 << i != 0 {
                *slot = self.get()?;
            }
        }
        Ok(a)
    }

    fn bytes(&mut self) -> io::Result<&[u8]> {
        let n = self.get()? as usize;
        let end = self.pos.checked_add(n).filter(|e| *e <= self.data.len()).ok_or_else(corrupt)?;
        let b = &self.data[self.pos..end];
        self.pos = end;
        Ok(b)
    }

    /// A list length: each entry takes at least two bytes, which bounds
    /// it by what is left (a corrupt length cannot reserve gigabytes).
    fn list_len(&mut self) -> io::Result<usize> {
        let left = (self.data.len() - self.pos) as u64;
        Ok(self.small(left / 2)? as usize)
    }

    fn named(&mut self) -> io::Result<Vec<(String, u64)>> {
        let n = self.list_len()?;
        let mut v = Vec::with_capacity(n.min(1024));
        for _ in 0..n {
            let name = String::from_utf8(self.bytes()?.to_vec()).map_err(|_| corrupt())?;
            v.push((name, self.get()?));
        }
        Ok(v)
    }
}

fn decode_snapshot(r: &mut Reader<'_>, source: usize) -> io::Result<SnapshotSummary> {
    let index = r.get()? as usize;
    let time = match r.small(1)? {
        0 => None,
        _ => {
            let secs = r.signed()?;
            let nanos = r.small(u32::MAX as u64)? as u32;
            let offset = i32::try_from(r.signed()?).map_err(|_| corrupt())?;
            let off = FixedOffset::east_opt(offset).ok_or_else(corrupt)?;
            Some(DateTime::from_timestamp(secs, nanos).ok_or_else(corrupt)?.with_timezone(&off))
        }
    };
    let time_resolution = match r.small(4)? {
        0 => None,
        1 => Some(Resolution::Explicit),
        2 => Some(Resolution::Assumed),
        3 => Some(Resolution::Abbreviation),
        _ => Some(Resolution::Ambiguous),
    };
    let first_line = r.get()?;
    let (sockstat, kinds) = read_body(r)?;
    Ok(SnapshotSummary { source, index, time, time_resolution, first_line, kinds, sockstat })
}

/// Reads what [`encode_body`] wrote.
pub fn decode_body(body: &[u8]) -> io::Result<(Option<Sockstat>, Vec<KindSummary>)> {
    let mut r = Reader { data: body, pos: 0 };
    let out = read_body(&mut r)?;
    if r.pos != body.len() {
        return Err(corrupt());
    }
    Ok(out)
}

fn read_body(r: &mut Reader<'_>) -> io::Result<(Option<Sockstat>, Vec<KindSummary>)> {
    let sockstat = match r.small((1 << 11) - 1)? {
        0 => None,
        mask => {
            let mut c = Sockstat::default();
            for (i, slot) in c.fields_mut().into_iter().enumerate() {
                if mask & 1 << i != 0 {
                    *slot = Some(r.get()?);
                }
            }
            Some(c)
        }
    };
    let n = r.small(Kind::COUNT as u64 + 1)? as usize;
    let mut kinds = Vec::with_capacity(n);
    for _ in 0..n {
        kinds.push(decode_kind(r)?);
    }
    Ok((sockstat, kinds))
}

fn decode_kind(r: &mut Reader<'_>) -> io::Result<KindSummary> {
    let kind = Kind::ALL[r.small(Kind::COUNT as u64 - 1)? as usize];
    let total = r.get()?;
    let states = r.counts::<{ TcpState::COUNT }>()?;
    let ct_states = r.counts::<{ CtState::COUNT }>()?;
    let protos = r.counts::<{ Proto::COUNT }>()?;
    let families = r.counts::<3>()?;
    let ct_flags = r.counts::<3>()?;
    let truncated_addrs = r.get()?;
    let top_remote = r.named()?;
    let remote_distinct = r.get()?;
    let n = r.list_len()?;
    let mut top_local_ports = Vec::with_capacity(n);
    for _ in 0..n {
        top_local_ports.push((r.small(u16::MAX as u64)? as u16, r.get()?));
    }
    let local_ports_distinct = r.get()?;
    let top_ct_src = r.named()?;
    let from_counters = r.small(1)? == 1;
    let by_direction = match r.small(1)? {
        0 => None,
        _ => Some(Box::new([r.counts()?, r.counts()?, r.counts()?])),
    };
    Ok(KindSummary {
        kind,
        total,
        states,
        ct_states,
        protos,
        families,
        ct_flags,
        truncated_addrs,
        top_remote,
        remote_distinct,
        top_local_ports,
        local_ports_distinct,
        top_ct_src,
        from_counters,
        by_direction,
        detail: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(kind: Kind, seed: u64) -> KindSummary {
        let mut states = [0u64; TcpState::COUNT];
        states[1] = seed;
        states[13] = u64::MAX;
        let mut ct_states = [0u64; CtState::COUNT];
        ct_states[26] = seed * 3;
        KindSummary {
            kind,
            total: seed * 100,
            states,
            ct_states,
            protos: [seed; Proto::COUNT],
            families: [1, 0, 2],
            ct_flags: [0, 5, 0],
            truncated_addrs: seed,
            top_remote: vec![("10.0.0.1".into(), 7), ("2001:db8::1".into(), 3), ("é".into(), 1)],
            remote_distinct: 40_000,
            top_local_ports: vec![(443, 9), (65535, 1), (0, 1)],
            local_ports_distinct: 3,
            top_ct_src: vec![("192.0.2.9".into(), 2)],
            from_counters: seed.is_multiple_of(2),
            by_direction: seed.is_multiple_of(3).then(|| Box::new([[seed; TcpState::COUNT]; 3])),
            detail: None,
        }
    }

    fn snapshot(index: usize) -> SnapshotSummary {
        let off = FixedOffset::west_opt(5 * 3600 + 1800).unwrap();
        SnapshotSummary {
            source: 4,
            index,
            time: (index % 2 == 1).then(|| {
                DateTime::from_timestamp(1_700_000_000 + index as i64, 123_456_789)
                    .unwrap()
                    .with_timezone(&off)
            }),
            time_resolution: (index % 2 == 1).then_some(Resolution::Ambiguous),
            first_line: 1 + index as u64 * 1000,
            kinds: (0..index % 4).map(|i| kind(Kind::ALL[i % 3], index as u64 + i as u64)).collect(),
            sockstat: match index % 3 {
                0 => None,
                1 => Some(Sockstat::default()),
                _ => Some(Sockstat {
                    total: Some(192),
                    timewait: Some(0),
                    tcp_mem_pages: Some(7),
                    ..Default::default()
                }),
            },
        }
    }

    fn roundtrip(budget: usize, n: usize) {
        let spill = Arc::new(Spill::with_budget(budget));
        let mut spool = SourceSpool::new(spill);
        let want: Vec<SnapshotSummary> = (0..n).map(snapshot).collect();
        for s in &want {
            spool.push(s);
        }
        spool.seal();
        assert_eq!(spool.len(), n);
        assert!(spool.spill_error.is_none());
        let on_disk = spool.blocks.iter().filter(|b| matches!(b, Block::File { .. })).count();
        assert_eq!(
            on_disk == spool.blocks.len(),
            budget == 0,
            "{on_disk} of {} blocks on disk",
            spool.blocks.len()
        );
        assert!(budget > 0 || spool.blocks.len() > 1);
        let got: Vec<SnapshotSummary> = spool.iter(4).collect::<io::Result<_>>().unwrap();
        assert_eq!(got, want);
    }

    #[test]
    fn snapshots_come_back_equal_from_memory() {
        roundtrip(MEMORY_BUDGET, 50);
    }

    #[test]
    fn snapshots_come_back_equal_from_the_temporary_file() {
        // Budget 0: every block goes to the file; enough records for
        // several blocks.
        roundtrip(0, 3000);
    }

    mod generated {
        use super::super::*;
        use proptest::prelude::*;

        fn counts<const N: usize>() -> impl Strategy<Value = [u64; N]> {
            proptest::collection::vec(prop_oneof![Just(0u64), any::<u64>(), 0u64..1000], N)
                .prop_map(|v| v.try_into().unwrap())
        }

        fn named() -> impl Strategy<Value = Vec<(String, u64)>> {
            proptest::collection::vec((".{0,40}", any::<u64>()), 0..12)
        }

        fn kind() -> impl Strategy<Value = KindSummary> {
            (
                (0usize..3, any::<u64>(), counts::<{ TcpState::COUNT }>(), counts::<{ CtState::COUNT }>()),
                (counts::<{ Proto::COUNT }>(), counts::<3>(), counts::<3>(), any::<u64>()),
                (named(), any::<u64>(), proptest::collection::vec((any::<u16>(), any::<u64>()), 0..12)),
                (any::<u64>(), named(), any::<bool>(), proptest::option::of(counts::<{ TcpState::COUNT }>())),
            )
                .prop_map(
                    |(
                        (k, total, states, ct_states),
                        (protos, families, ct_flags, truncated_addrs),
                        (top_remote, remote_distinct, top_local_ports),
                        (local_ports_distinct, top_ct_src, from_counters, dir),
                    )| KindSummary {
                        kind: Kind::ALL[k],
                        total,
                        states,
                        ct_states,
                        protos,
                        families,
                        ct_flags,
                        truncated_addrs,
                        top_remote,
                        remote_distinct,
                        top_local_ports,
                        local_ports_distinct,
                        top_ct_src,
                        from_counters,
                        by_direction: dir.map(|d| Box::new([d, d, d])),
                        detail: None,
                    },
                )
        }

        fn snapshot() -> impl Strategy<Value = SnapshotSummary> {
            let time = proptest::option::of((
                -62_000_000_000i64..250_000_000_000,
                0u32..2_000_000_000,
                -86_399i32..86_400,
            ))
            .prop_map(|t| {
                t.map(|(secs, nanos, off)| {
                    DateTime::from_timestamp(secs, nanos)
                        .unwrap_or_default()
                        .with_timezone(&FixedOffset::east_opt(off).unwrap())
                })
            });
            let sockstat =
                proptest::option::of(proptest::collection::vec(proptest::option::of(any::<u64>()), 10))
                    .prop_map(|v| {
                        v.map(|v| {
                            let mut c = Sockstat::default();
                            for (slot, x) in c.fields_mut().into_iter().zip(v) {
                                *slot = x;
                            }
                            c
                        })
                    });
            (any::<u32>(), time, 0u64..5, any::<u64>(), proptest::collection::vec(kind(), 0..4), sockstat)
                .prop_map(|(index, time, res, first_line, kinds, sockstat)| SnapshotSummary {
                    source: 7,
                    index: index as usize,
                    time,
                    time_resolution: match res {
                        0 => None,
                        1 => Some(Resolution::Explicit),
                        2 => Some(Resolution::Assumed),
                        3 => Some(Resolution::Abbreviation),
                        _ => Some(Resolution::Ambiguous),
                    },
                    first_line,
                    kinds,
                    sockstat,
                })
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]
            #[test]
            fn any_snapshot_comes_back_equal(snaps in proptest::collection::vec(snapshot(), 1..5)) {
                let mut spool = SourceSpool::new(Arc::new(Spill::with_budget(0)));
                for s in &snaps {
                    spool.push(s);
                }
                spool.seal();
                let got: Vec<SnapshotSummary> = spool.iter(7).collect::<io::Result<_>>().unwrap();
                prop_assert_eq!(got, snaps);
            }
        }
    }

    #[test]
    fn a_cut_record_is_an_error_not_a_panic() {
        let mut buf = Vec::new();
        encode_snapshot(&snapshot(3), &mut buf);
        for cut in 0..buf.len() {
            let mut r = Reader { data: &buf[..cut], pos: 0 };
            assert!(decode_snapshot(&mut r, 0).is_err(), "cut at {cut}");
        }
    }
}
