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

use std::collections::BTreeMap;
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

/// Consecutive snapshots of one source, every per-snapshot table.
#[derive(Debug)]
pub struct Batch {
    pub source: u32,
    /// First and last snapshot index in the batch.
    pub first: u32,
    pub last: u32,
    parts: Vec<Part>,
}

impl Batch {
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
    /// snapshot order.
    Batch { source: u32, first: u32, last: u32, pieces: Vec<Vec<DataFrame>> },
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
}

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
    fn put(&self, source: u32, first: u32, last: u32, pieces: Vec<Vec<DataFrame>>) {
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
            self.spill_errors.lock().unwrap_or_else(|e| e.into_inner()).entry(source).or_insert(e);
        }
        let b = Arc::new(Batch { source, first, last, parts });
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
                        Job::Batch { source, first, last, pieces } => inner.put(source, first, last, pieces),
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
                        Job::Batch { source, first, last, pieces } => {
                            self.inner.put(source, first, last, pieces)
                        }
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
    /// snapshot order, for one source's snapshots `first..=last`.
    pub fn put(&self, source: u32, first: u32, last: u32, pieces: Vec<Vec<DataFrame>>) {
        self.send(Job::Batch { source, first, last, pieces });
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
        v.sort_by_key(|b| (b.source, b.first));
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
            if source.is_some_and(|s| s != b.source) {
                continue;
            }
            let df = b.columns(table, columns)?;
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
