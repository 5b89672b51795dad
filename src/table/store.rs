//! Where a run's table batches wait for the passes and outputs.
//!
//! Each source's merger writes its snapshots' rows in batches: a
//! [`Batch`] holds every per-snapshot table for a run of consecutive
//! snapshots of one source, so a reader gets the snapshots, their
//! rankings and their detail for the same snapshots together. Batches stay
//! in memory up to a budget shared by the run; past it they are written
//! to a temporary directory as Arrow IPC files (polars' own writer and
//! reader) and read back one batch at a time. A capture loop of a week or
//! a fleet of thousands of hosts then costs disk, not memory.
//!
//! A fleet is mostly small sources: one snapshot per host. A frame costs
//! about a kilobyte per column besides its values, and every query and
//! spill file a fixed price, so one batch per host would make the
//! overhead the run. Consecutive small sources are therefore gathered into
//! one batch ([`Store::open_group`]): a batch holds one or more [`Span`]s,
//! each one source's consecutive snapshots, in source order.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use polars::prelude::*;

use super::{SNAPSHOT_TABLES, Schema};

/// Bytes of batches kept in memory per run before they are spilled
/// (`SOCKSCOPE_SPOOL_MEMORY` overrides it).
pub const MEMORY_BUDGET: usize = 24 << 20;

/// Bytes a column of an in-memory frame costs besides its values (polars'
/// series, arrow array, buffers and field; measured with heaptrack on a
/// fleet of 1,000 single-snapshot hosts: ~1 KB).
const COLUMN_OVERHEAD: usize = 1024;

/// Rows (over all tables) a merger gathers before it hands a batch over.
pub const BATCH_ROWS: usize = 1 << 17;

/// Where one table of a batch is.
#[derive(Debug)]
enum Part {
    Empty,
    Memory(DataFrame),
    /// An Arrow IPC file in the spill directory.
    Spilled(PathBuf),
}

/// One source's consecutive snapshots `first..=last` in a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub source: u32,
    pub first: u32,
    pub last: u32,
}

/// Every per-snapshot table of the snapshots of its spans: consecutive
/// snapshots of one source, or the whole of several small sources.
#[derive(Debug)]
pub struct Batch {
    /// In source and snapshot order; never empty.
    spans: Vec<Span>,
    parts: Vec<Part>,
}

impl Batch {
    /// The sources and snapshots the batch holds, in order.
    pub fn spans(&self) -> &[Span] {
        &self.spans
    }

    /// Whether snapshot `index` of `source` is in the batch.
    pub fn covers(&self, source: u32, index: u32) -> bool {
        self.spans.iter().any(|s| s.source == source && (s.first..=s.last).contains(&index))
    }

    /// Whether any snapshot of `source` is in the batch.
    pub fn holds(&self, source: u32) -> bool {
        self.spans.iter().any(|s| s.source == source)
    }

    /// Whether the batch holds more than one source (its frames then need
    /// a filter on `source_id` to give one source's rows).
    pub fn is_shared(&self) -> bool {
        self.spans.iter().any(|s| s.source != self.spans[0].source)
    }

    fn order(&self) -> (u32, u32) {
        self.spans.first().map_or((u32::MAX, u32::MAX), |s| (s.source, s.first))
    }

    /// The batch's rows of `table` (an empty frame of its schema if none).
    pub fn frame(&self, table: &Schema) -> PolarsResult<DataFrame> {
        self.columns(table, None)
    }

    /// The batch's rows of `table`, only the columns named (all if `None`).
    pub fn columns(&self, table: &Schema, columns: Option<&[&str]>) -> PolarsResult<DataFrame> {
        let Some(i) = SNAPSHOT_TABLES.iter().position(|t| std::ptr::eq(*t, table)) else {
            polars_bail!(ComputeError: "{} is not a per-snapshot table", table.name);
        };
        let df = match &self.parts[i] {
            Part::Empty => table.empty(),
            Part::Memory(df) => df.clone(),
            Part::Spilled(p) => return read_ipc(p, columns),
        };
        match columns {
            Some(c) => df.select(c.iter().copied()),
            None => Ok(df),
        }
    }
}

fn read_ipc(p: &Path, columns: Option<&[&str]>) -> PolarsResult<DataFrame> {
    use polars_io::SerReader;
    let f =
        std::fs::File::open(p).map_err(|e| polars_err!(ComputeError: "reading back {}: {e}", p.display()))?;
    polars_io::ipc::IpcReader::new(f)
        .with_columns(columns.map(|c| c.iter().map(|s| s.to_string()).collect()))
        .finish()
}

/// What the store's writer thread does.
enum Job {
    /// A batch: per table (in [`SNAPSHOT_TABLES`] order), its pieces in
    /// span order.
    Batch { spans: Vec<Span>, pieces: Vec<Vec<DataFrame>> },
    /// Row-level frames, handed to `sink`.
    Rows { sink: Arc<dyn super::RowSink>, table: &'static Schema, source: u32, path: Arc<str>, df: DataFrame },
}

/// The store's state, shared with its writer thread.
#[derive(Debug)]
struct Inner {
    budget: usize,
    in_memory: AtomicUsize,
    /// The spill directory, created on first use (removed with the store,
    /// and by the signal handler on SIGINT/SIGTERM).
    dir: Mutex<Option<Result<tempfile::TempDir, String>>>,
    files: AtomicUsize,
    batches: Mutex<Vec<Arc<Batch>>>,
    /// Per source: why batches past the budget could not go to disk.
    spill_errors: Mutex<BTreeMap<u32, String>>,
    /// Sources gathered into shared batches: source → its group.
    grouped: Mutex<HashMap<u32, u32>>,
    /// Per open group, the batches handed over and not yet sent.
    pending: Mutex<HashMap<u32, Pending>>,
    next_group: AtomicUsize,
}

/// The batches of a group's sources, waiting to be sent as one.
#[derive(Debug, Default)]
struct Pending {
    spans: Vec<Span>,
    /// Per table, the pieces of every span in order.
    pieces: Vec<Vec<DataFrame>>,
    rows: usize,
}

impl Pending {
    fn take(&mut self) -> Option<Job> {
        if self.spans.is_empty() {
            return None;
        }
        self.rows = 0;
        Some(Job::Batch { spans: std::mem::take(&mut self.spans), pieces: std::mem::take(&mut self.pieces) })
    }
}

/// A group of consecutive small sources whose batches are stored as one
/// ([`Store::open_group`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group(u32);

/// Most sources in one group: bounds the memory a group's waiting pieces
/// take (each a frame of its own until the group's batch is concatenated).
pub const GROUP_SOURCES: usize = 64;

/// The run's batches, shared by the sources' mergers.
///
/// Mergers run on rayon workers and hold their source's lock; polars
/// writers and concatenation may run on polars' own thread pool, and a
/// rayon worker waiting for another pool takes other jobs meanwhile — one
/// of which could want the same lock. So a merger only hands batches over
/// (a bounded channel: it waits when the writer is behind), and one
/// thread of the store's own, outside every pool, concatenates, spills
/// and writes them.
pub struct Store {
    inner: Arc<Inner>,
    tx: Mutex<Option<std::sync::mpsc::SyncSender<Job>>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("inner", &self.inner).finish_non_exhaustive()
    }
}

impl Default for Store {
    fn default() -> Self {
        Store::with_budget(MEMORY_BUDGET)
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        self.finish();
        if let Ok(mut d) = self.inner.dir.lock()
            && let Some(Ok(dir)) = d.take()
        {
            crate::output::cleanup::while_locked(|reg| reg.remove(dir.path()));
        }
    }
}

impl Inner {
    /// Takes `len` bytes of the memory budget if they fit.
    fn reserve(&self, len: usize) -> bool {
        self.in_memory
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                (used + len <= self.budget).then_some(used + len)
            })
            .is_ok()
    }

    /// Writes `df` to a new IPC file in the spill directory.
    fn spill(&self, df: &mut DataFrame) -> Result<PathBuf, String> {
        use polars_io::SerWriter;
        let dir = {
            let mut guard = self.dir.lock().unwrap_or_else(|e| e.into_inner());
            let d = guard.get_or_insert_with(|| {
                let made =
                    tempfile::Builder::new().prefix("sockscope-tables-").tempdir().map_err(|e| e.to_string());
                if let Ok(d) = &made {
                    crate::output::cleanup::while_locked(|reg| reg.add(d.path()));
                }
                made
            });
            match d {
                Ok(d) => d.path().to_path_buf(),
                Err(e) => return Err(e.clone()),
            }
        };
        let n = self.files.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!("{n:08}.arrow"));
        let f = std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        // LZ4: the counts and repeated keys compress ~4×, for less CPU than
        // writing the bytes through the page cache costs.
        polars_io::ipc::IpcWriter::new(std::io::BufWriter::new(f))
            .with_compression(Some(polars_io::ipc::IpcCompression::LZ4))
            .finish(df)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(path)
    }

    /// Concatenates a batch's pieces and keeps each table in memory or
    /// spills it.
    fn put(&self, spans: Vec<Span>, pieces: Vec<Vec<DataFrame>>) {
        let mut failed = None;
        let parts = pieces
            .into_iter()
            .zip(SNAPSHOT_TABLES)
            .map(|(p, schema)| {
                let mut df = concat(p, schema);
                if df.height() == 0 {
                    return Part::Empty;
                }
                // Each column is a handful of allocations (series, array,
                // buffers, field) besides its values: for the tiny batches
                // of a fleet of single snapshots that overhead is most of
                // the memory, and the budget has to see it.
                let size = df.estimated_size() + df.width() * COLUMN_OVERHEAD;
                if self.reserve(size) {
                    return Part::Memory(df);
                }
                match self.spill(&mut df) {
                    Ok(p) => Part::Spilled(p),
                    Err(e) => {
                        failed.get_or_insert(e);
                        self.in_memory.fetch_add(size, Ordering::AcqRel);
                        Part::Memory(df)
                    }
                }
            })
            .collect();
        if let Some(e) = failed {
            let mut errors = self.spill_errors.lock().unwrap_or_else(|e| e.into_inner());
            for s in &spans {
                errors.entry(s.source).or_insert_with(|| e.clone());
            }
        }
        let b = Arc::new(Batch { spans, parts });
        self.batches.lock().unwrap_or_else(|e| e.into_inner()).push(b);
    }
}

/// One frame of a table from the pieces of a batch.
fn concat(parts: Vec<DataFrame>, schema: &Schema) -> DataFrame {
    let mut it = parts.into_iter();
    let Some(mut df) = it.next() else { return schema.empty() };
    for p in it {
        // Same schema throughout (one builder per table): cannot fail.
        let _ = df.vstack_mut_owned(p);
    }
    df.rechunk_mut();
    df
}

impl Store {
    /// A store keeping at most `budget` bytes of batches in memory.
    pub fn with_budget(budget: usize) -> Store {
        Store {
            inner: Arc::new(Inner {
                budget,
                in_memory: AtomicUsize::new(0),
                dir: Mutex::new(None),
                files: AtomicUsize::new(0),
                batches: Mutex::new(Vec::new()),
                spill_errors: Mutex::new(BTreeMap::new()),
                grouped: Mutex::new(HashMap::new()),
                pending: Mutex::new(HashMap::new()),
                next_group: AtomicUsize::new(0),
            }),
            tx: Mutex::new(None),
            thread: Mutex::new(None),
        }
    }

    /// Sends a job to the writer thread, starting it on first use.
    fn send(&self, job: Job) {
        let mut tx = self.tx.lock().unwrap_or_else(|e| e.into_inner());
        if tx.is_none() {
            let (s, r) = std::sync::mpsc::sync_channel::<Job>(2);
            let inner = self.inner.clone();
            let spawned = std::thread::Builder::new().name("sockscope-tables".into()).spawn(move || {
                for job in r {
                    // A panic here is a bug: keep the thread (and the run)
                    // going; the batch is lost and the source says so.
                    let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match job {
                        Job::Batch { spans, pieces } => inner.put(spans, pieces),
                        Job::Rows { sink, table, source, path, df } => sink.write(table, source, &path, df),
                    }));
                    if res.is_err() {
                        let mut e = inner.spill_errors.lock().unwrap_or_else(|e| e.into_inner());
                        e.entry(u32::MAX)
                            .or_insert_with(|| "internal error writing a batch of tables".into());
                    }
                }
            });
            match spawned {
                Ok(h) => {
                    *self.thread.lock().unwrap_or_else(|e| e.into_inner()) = Some(h);
                    *tx = Some(s);
                }
                Err(_) => {
                    // No thread: do the work here (rare; the lock-order
                    // hazard above then applies, as before threads).
                    drop(tx);
                    match job {
                        Job::Batch { spans, pieces } => self.inner.put(spans, pieces),
                        Job::Rows { sink, table, source, path, df } => sink.write(table, source, &path, df),
                    }
                    return;
                }
            }
        }
        let sender = tx.clone();
        drop(tx);
        if let Some(s) = sender {
            // The thread only ends when the store is finished.
            let _ = s.send(job);
        }
    }

    /// Takes a batch: per table (in [`SNAPSHOT_TABLES`] order) its frames in
    /// snapshot order, for one source's snapshots `first..=last`. A source
    /// of an open group waits for the group's other sources (up to
    /// [`BATCH_ROWS`] rows) and is stored with them.
    pub fn put(&self, source: u32, first: u32, last: u32, pieces: Vec<Vec<DataFrame>>) {
        let span = Span { source, first, last };
        let group = self.inner.grouped.lock().unwrap_or_else(|e| e.into_inner()).get(&source).copied();
        let Some(group) = group else {
            return self.send(Job::Batch { spans: vec![span], pieces });
        };
        let full = {
            let mut pending = self.inner.pending.lock().unwrap_or_else(|e| e.into_inner());
            let p = pending.entry(group).or_default();
            p.rows += pieces.iter().flatten().map(DataFrame::height).sum::<usize>();
            p.spans.push(span);
            p.pieces.resize_with(pieces.len().max(p.pieces.len()), Vec::new);
            for (all, mine) in p.pieces.iter_mut().zip(pieces) {
                all.extend(mine);
            }
            if p.rows >= BATCH_ROWS { p.take() } else { None }
        };
        if let Some(job) = full {
            self.send(job);
        }
    }

    /// Opens a group of consecutive sources (in source order, none of
    /// another group, no source between them that writes batches): their
    /// batches are stored together, so a fleet of small captures costs a
    /// few batches instead of one per host. The sources must be read one
    /// after another, in order, and the group closed ([`Store::close_group`])
    /// before the store is read.
    pub fn open_group(&self, sources: &[u32]) -> Group {
        debug_assert!(sources.windows(2).all(|w| w[0] < w[1]), "a group's sources are in order");
        let g = self.inner.next_group.fetch_add(1, Ordering::Relaxed) as u32;
        let mut grouped = self.inner.grouped.lock().unwrap_or_else(|e| e.into_inner());
        for s in sources {
            grouped.insert(*s, g);
        }
        Group(g)
    }

    /// Stores what the group's sources left waiting.
    pub fn close_group(&self, group: Group) {
        let job = self.inner.pending.lock().unwrap_or_else(|e| e.into_inner()).remove(&group.0);
        if let Some(job) = job.and_then(|mut p| p.take()) {
            self.send(job);
        }
    }

    /// Hands row-level frames to `sink`, in order, on the writer thread.
    pub fn rows(
        &self,
        sink: Arc<dyn super::RowSink>,
        table: &'static Schema,
        source: u32,
        path: Arc<str>,
        df: DataFrame,
    ) {
        self.send(Job::Rows { sink, table, source, path, df });
    }

    /// Waits until every batch handed over is stored and every row frame
    /// written. Reading the store does this first.
    pub fn finish(&self) {
        // A group left open (a caller's bug) still has its batches stored.
        let left: Vec<Job> = {
            let mut pending = self.inner.pending.lock().unwrap_or_else(|e| e.into_inner());
            let mut groups: Vec<(u32, Pending)> = pending.drain().collect();
            groups.sort_by_key(|(g, _)| *g);
            groups.into_iter().filter_map(|(_, mut p)| p.take()).collect()
        };
        for job in left {
            self.send(job);
        }
        drop(self.tx.lock().unwrap_or_else(|e| e.into_inner()).take());
        if let Some(h) = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = h.join();
        }
    }

    /// Why batches of `source` past the budget were kept in memory (their
    /// spill file could not be written), if that happened.
    pub fn spill_error(&self, source: u32) -> Option<String> {
        let e = self.inner.spill_errors.lock().unwrap_or_else(|e| e.into_inner());
        e.get(&source).or_else(|| e.get(&u32::MAX)).cloned()
    }

    /// Every batch, by source and snapshot.
    pub fn batches(&self) -> Vec<Arc<Batch>> {
        self.finish();
        let mut v = self.inner.batches.lock().unwrap_or_else(|e| e.into_inner()).clone();
        v.sort_by_key(|b| b.order());
        v
    }

    /// Batches spilled to disk (for tests and notes).
    pub fn spilled(&self) -> usize {
        self.finish();
        self.inner
            .batches
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .flat_map(|b| &b.parts)
            .filter(|p| matches!(p, Part::Spilled(_)))
            .count()
    }

    /// The whole of one table over every batch (or only `source`'s), in
    /// order. For passes over tables that stay small (snapshots, cuts);
    /// per-batch access ([`Store::batches`]) is for the big ones.
    pub fn table(&self, table: &Schema, source: Option<u32>) -> PolarsResult<DataFrame> {
        self.table_columns(table, source, None)
    }

    /// [`Store::table`], only the columns named.
    pub fn table_columns(
        &self,
        table: &Schema,
        source: Option<u32>,
        columns: Option<&[&str]>,
    ) -> PolarsResult<DataFrame> {
        let mut out: Option<DataFrame> = None;
        for b in self.batches() {
            if source.is_some_and(|s| !b.holds(s)) {
                continue;
            }
            let df = match source {
                Some(s) if b.is_shared() => {
                    // The filter needs `source_id` even when not asked for.
                    let mut with_id: Option<Vec<&str>> = columns.map(|c| c.to_vec());
                    if let Some(c) = &mut with_id
                        && !c.contains(&"source_id")
                    {
                        c.push("source_id");
                    }
                    let df = b.columns(table, with_id.as_deref())?;
                    let df = df.lazy().filter(col("source_id").eq(lit(s))).collect()?;
                    match columns {
                        Some(c) => df.select(c.iter().copied())?,
                        None => df,
                    }
                }
                _ => b.columns(table, columns)?,
            };
            if df.height() == 0 {
                continue;
            }
            match &mut out {
                None => out = Some(df),
                Some(o) => {
                    o.vstack_mut(&df)?;
                }
            }
        }
        Ok(match out {
            Some(mut o) => {
                o.rechunk_mut();
                o
            }
            None => match columns {
                Some(c) => table.empty().select(c.iter().copied())?,
                None => table.empty(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Kind;
    use crate::snapshot::{KindSummary, SnapshotSummary};
    use crate::table::Tables;

    /// Snapshot `index` of `source`: `total` sockets toward one peer.
    fn pieces(source: u32, index: usize, total: u64) -> Vec<Vec<DataFrame>> {
        let mut k = KindSummary::empty(Kind::Ss);
        k.total = total;
        k.top_remote = vec![(format!("10.0.0.{source}"), total)];
        let s = SnapshotSummary {
            source: source as usize,
            index,
            time: None,
            time_resolution: None,
            first_line: 1,
            kinds: vec![k],
            sockstat: None,
        };
        let mut t = Tables::default();
        t.push(source, &s);
        t.frames().into_iter().map(|df| vec![df]).collect()
    }

    fn read_back(store: &Store) -> Vec<(usize, usize, u64, String)> {
        let mut out = Vec::new();
        crate::table::read::for_each_snapshot(store, |s, k| {
            out.push((s.source, s.index, k.total, k.top_remote[0].0.clone()));
            Ok(())
        })
        .unwrap();
        out
    }

    /// A group's sources share one batch, in source order, between the
    /// batches of the sources around it; reads by source see only theirs.
    #[test]
    fn a_groups_small_sources_are_one_batch_and_read_back_apart() {
        for budget in [MEMORY_BUDGET, 0] {
            let store = Store::with_budget(budget);
            store.put(0, 0, 0, pieces(0, 0, 5));
            let g = store.open_group(&[1, 2, 3]);
            store.put(1, 0, 1, pieces(1, 0, 10));
            store.put(1, 0, 1, pieces(1, 1, 11));
            store.put(3, 0, 0, pieces(3, 0, 30));
            store.close_group(g);
            store.put(4, 0, 0, pieces(4, 0, 40));

            let batches = store.batches();
            let spans: Vec<Vec<u32>> =
                batches.iter().map(|b| b.spans().iter().map(|s| s.source).collect()).collect();
            assert_eq!(spans, [vec![0], vec![1, 1, 3], vec![4]], "budget {budget}");
            assert!(batches[1].is_shared() && !batches[0].is_shared());
            assert!(batches[1].covers(1, 1) && !batches[1].covers(2, 0) && !batches[1].covers(3, 1));
            if budget == 0 {
                // The two tables these snapshots fill, per batch.
                assert_eq!(store.spilled(), 3 * 2);
            }

            let want = [
                (0, 0, 5, "10.0.0.0".to_string()),
                (1, 0, 10, "10.0.0.1".into()),
                (1, 1, 11, "10.0.0.1".into()),
                (3, 0, 30, "10.0.0.3".into()),
                (4, 0, 40, "10.0.0.4".into()),
            ];
            assert_eq!(read_back(&store), want, "budget {budget}");

            let three =
                store.table_columns(&crate::table::snapshots::SCHEMA, Some(3), Some(&["total"])).unwrap();
            assert_eq!(three.column("total").unwrap().u64().unwrap().get(0), Some(30));
            assert_eq!(three.height(), 1);
            assert_eq!(three.width(), 1);
        }
    }

    /// A group that reaches BATCH_ROWS is stored then and there: the
    /// pieces waiting in memory stay bounded.
    #[test]
    fn a_full_group_is_stored_without_waiting_for_its_end() {
        let store = Store::with_budget(MEMORY_BUDGET);
        let g = store.open_group(&[0, 1]);
        let mut big = pieces(0, 0, 1);
        let rows = big[0][0].height();
        big[0] = (0..BATCH_ROWS / rows + 1).map(|_| big[0][0].clone()).collect();
        store.put(0, 0, 0, big);
        assert!(store.inner.pending.lock().unwrap().get(&g.0).is_none_or(|p| p.spans.is_empty()));
        store.put(1, 0, 0, pieces(1, 0, 7));
        store.close_group(g);
        let spans: Vec<usize> = store.batches().iter().map(|b| b.spans().len()).collect();
        assert_eq!(spans, [1, 1]);
    }
}
