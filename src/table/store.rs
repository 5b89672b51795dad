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

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use polars::prelude::*;

use super::{SNAPSHOT_TABLES, Schema};

/// Bytes of batches kept in memory per run before they are spilled
/// (`SOCKSCOPE_SPOOL_MEMORY` overrides it).
pub const MEMORY_BUDGET: usize = 24 << 20;

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

/// The run's batches, shared by the sources' mergers.
#[derive(Debug)]
pub struct Store {
    budget: usize,
    in_memory: AtomicUsize,
    /// The spill directory, created on first use (removed with the store,
    /// and by the signal handler on SIGINT/SIGTERM).
    dir: Mutex<Option<Result<tempfile::TempDir, String>>>,
    files: AtomicUsize,
    batches: Mutex<Vec<Arc<Batch>>>,
}

impl Default for Store {
    fn default() -> Self {
        Store::with_budget(MEMORY_BUDGET)
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        if let Ok(mut d) = self.dir.lock()
            && let Some(Ok(dir)) = d.take()
        {
            crate::output::cleanup::while_locked(|reg| reg.remove(dir.path()));
        }
    }
}

impl Store {
    /// A store keeping at most `budget` bytes of batches in memory.
    pub fn with_budget(budget: usize) -> Store {
        Store {
            budget,
            in_memory: AtomicUsize::new(0),
            dir: Mutex::new(None),
            files: AtomicUsize::new(0),
            batches: Mutex::new(Vec::new()),
        }
    }

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
        polars_io::ipc::IpcWriter::new(std::io::BufWriter::new(f))
            .finish(df)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(path)
    }

    /// Takes a batch: the frames of one source's snapshots `first..=last`,
    /// in [`SNAPSHOT_TABLES`] order. Returns the error that kept part of
    /// it in memory past the budget, if writing it to disk failed.
    pub fn put(&self, source: u32, first: u32, last: u32, frames: Vec<DataFrame>) -> Option<String> {
        let mut failed = None;
        let parts = frames
            .into_iter()
            .map(|mut df| {
                if df.height() == 0 {
                    return Part::Empty;
                }
                let size = df.estimated_size();
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
        let b = Arc::new(Batch { source, first, last, parts });
        self.batches.lock().unwrap_or_else(|e| e.into_inner()).push(b);
        failed
    }

    /// Every batch, by source and snapshot.
    pub fn batches(&self) -> Vec<Arc<Batch>> {
        let mut v = self.batches.lock().unwrap_or_else(|e| e.into_inner()).clone();
        v.sort_by_key(|b| (b.source, b.first));
        v
    }

    /// Batches spilled to disk (for tests and notes).
    pub fn spilled(&self) -> usize {
        self.batches
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
