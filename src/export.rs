//! `sockscope export`: the tables as a dataset other engines read.
//!
//! Layout (hive-partitioned by host, as Spark, DuckDB, Trino and polars
//! expect):
//!
//! ```text
//! DIR/<table>/host=<host>/part-<n>.parquet      (or .csv, .ndjson)
//! ```
//!
//! `host` is in the path, not inside the files. Per-snapshot tables carry
//! `source` (the input's path) instead of the internal `source_id`. Every
//! table is written batch by batch as the store holds it, never whole.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context;
use polars::prelude::*;

use crate::ingest::Ingested;
use crate::output::DirOutput;
use crate::table::{Rows, SNAPSHOT_TABLES, Schema};

/// The file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Apache Parquet, zstd-compressed.
    Parquet,
    /// CSV with a header row.
    Csv,
    /// Newline-delimited JSON, one object per row.
    Ndjson,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Parquet => "parquet",
            Format::Csv => "csv",
            Format::Ndjson => "ndjson",
        }
    }
}

/// Every table `export` can write: the per-snapshot ones, `sources`,
/// `sysctl`, and the row-level `sockets` and `conntrack_entries`.
pub fn all_tables() -> Vec<&'static Schema> {
    let mut v: Vec<&'static Schema> = SNAPSHOT_TABLES.to_vec();
    v.push(&crate::table::sources::SCHEMA);
    v.push(&crate::table::sysctl::SCHEMA);
    v.push(&crate::table::sockets::SCHEMA);
    v.push(&crate::table::conntrack_entries::SCHEMA);
    v
}

/// The row-level tables among `tables`.
pub fn row_tables(tables: &[&'static Schema]) -> Vec<&'static Schema> {
    tables.iter().copied().filter(|t| matches!(t.name, "sockets" | "conntrack_entries")).collect()
}

/// The open files, by table and source, with the rows written to each.
type OpenFiles = BTreeMap<(&'static str, u32), (RowWriter, u64)>;

/// One open file of a row-level table.
enum RowWriter {
    Parquet(Box<polars_io::parquet::write::BatchedWriter<std::io::BufWriter<std::fs::File>>>),
    Csv(std::io::BufWriter<std::fs::File>, bool),
    Ndjson(std::io::BufWriter<std::fs::File>),
}

impl std::fmt::Debug for RowWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RowWriter")
    }
}

/// Writes the row-level tables as the merger hands their frames over: one
/// file per table and source, streamed, never whole in memory. Files are
/// written under `<table>/.source-<id>` and moved into their host's
/// partition by [`RowFiles::finish`] (a source's host is known only once
/// it has been read).
#[derive(Debug)]
pub struct RowFiles {
    /// The staging directory of the export.
    root: PathBuf,
    format: Format,
    tables: Vec<&'static str>,
    /// Open files and the rows written to each.
    writers: std::sync::Mutex<OpenFiles>,
    /// The first error (the export then fails with it).
    error: std::sync::Mutex<Option<String>>,
}

impl RowFiles {
    pub fn new(out: &DirOutput, format: Format, tables: &[&'static Schema]) -> anyhow::Result<RowFiles> {
        let tables: Vec<&'static str> = row_tables(tables).iter().map(|t| t.name).collect();
        for t in &tables {
            out.create_dir(t)?;
        }
        Ok(RowFiles {
            root: out.staged(""),
            format,
            tables,
            writers: Default::default(),
            error: Default::default(),
        })
    }

    fn path(&self, table: &str, source: u32) -> PathBuf {
        self.root.join(table).join(format!(".source-{source:05}.{}", self.format.extension()))
    }

    fn write_frame(
        &self,
        table: &'static Schema,
        source: u32,
        path: &str,
        df: DataFrame,
    ) -> anyhow::Result<()> {
        use polars_io::SerWriter;
        let mut df = with_source(df, path)?;
        let mut writers = self.writers.lock().unwrap_or_else(|e| e.into_inner());
        let key = (table.name, source);
        let entry = match writers.entry(key) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => {
                let path = self.path(table.name, source);
                let f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&path)?);
                let w = match self.format {
                    Format::Parquet => RowWriter::Parquet(Box::new(
                        polars_io::parquet::write::ParquetWriter::new(f)
                            .with_compression(polars_io::parquet::write::ParquetCompression::Zstd(None))
                            .batched(&df.schema().clone())?,
                    )),
                    Format::Csv => RowWriter::Csv(f, false),
                    Format::Ndjson => RowWriter::Ndjson(f),
                };
                e.insert((w, 0))
            }
        };
        let (w, n) = entry;
        *n += df.height() as u64;
        match w {
            RowWriter::Parquet(p) => p.write_batch(&df)?,
            RowWriter::Csv(f, header_done) => {
                polars_io::csv::write::CsvWriter::new(&mut *f)
                    .include_header(!*header_done)
                    .finish(&mut df)?;
                *header_done = true;
            }
            RowWriter::Ndjson(f) => polars_io::json::JsonWriter::new(&mut *f)
                .with_json_format(polars_io::json::JsonFormat::JsonLines)
                .finish(&mut df)?,
        }
        Ok(())
    }

    /// Closes every file and moves it into its host's partition:
    /// `<table>/host=<host>/part-<source>.<ext>`. Returns files and rows per
    /// table.
    pub fn finish(self, run: &Ingested, written: &mut Written) -> anyhow::Result<()> {
        if let Some(e) = self.error.lock().unwrap_or_else(|e| e.into_inner()).take() {
            anyhow::bail!(e);
        }
        let hosts: BTreeMap<u32, &str> = run.sources.iter().map(|s| (s.id, s.host.as_str())).collect();
        let writers = std::mem::take(&mut *self.writers.lock().unwrap_or_else(|e| e.into_inner()));
        for ((table, source), (w, rows)) in writers {
            let path = self.path(table, source);
            match w {
                RowWriter::Parquet(p) => {
                    p.finish()?;
                }
                RowWriter::Csv(mut f, _) | RowWriter::Ndjson(mut f) => std::io::Write::flush(&mut f)?,
            }
            // A source that failed (or was dropped) has no host: its rows go.
            let Some(host) = hosts.get(&source) else {
                std::fs::remove_file(&path)?;
                continue;
            };
            let dir = self.root.join(table).join(host_dir(host));
            std::fs::create_dir_all(&dir)?;
            std::fs::rename(&path, dir.join(format!("part-{source:05}.{}", self.format.extension())))?;
            let e = written.tables.entry(table).or_default();
            e.0 += 1;
            e.1 += rows;
        }
        for t in &self.tables {
            written.tables.entry(t).or_default();
        }
        Ok(())
    }
}

impl crate::table::RowSink for RowFiles {
    fn write(&self, table: &'static Schema, source: u32, path: &str, df: DataFrame) {
        if !self.tables.contains(&table.name) {
            return;
        }
        if let Err(e) = self.write_frame(table, source, path, df) {
            let mut err = self.error.lock().unwrap_or_else(|e| e.into_inner());
            err.get_or_insert_with(|| format!("writing the {} table: {e:#}", table.name));
        }
    }
}

/// Parses `--tables a,b,c`; names the unknown ones.
pub fn select_tables(list: Option<&str>) -> anyhow::Result<Vec<&'static Schema>> {
    let all = all_tables();
    let Some(list) = list else { return Ok(all) };
    let mut out = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        match all.iter().find(|t| t.name == name) {
            Some(t) if !out.iter().any(|o: &&Schema| std::ptr::eq(*o, *t)) => out.push(*t),
            Some(_) => {}
            None => anyhow::bail!(
                "--tables: no table named {name:?}; the tables are {}",
                all.iter().map(|t| t.name).collect::<Vec<_>>().join(", ")
            ),
        }
    }
    if out.is_empty() {
        anyhow::bail!("--tables: name at least one table");
    }
    Ok(out)
}

/// `host=<host>` with the characters a path or a hive reader would choke
/// on escaped as `%XX` (as Hive itself does).
pub fn host_dir(host: &str) -> String {
    let mut out = String::from("host=");
    for b in host.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Streams frames (all of one schema) into one file of `format`: Parquet
/// row groups, CSV with one header, NDJSON lines. The frames come one at a
/// time from `next`, so a table is never whole in memory.
fn write_file(
    out: &DirOutput,
    rel: &std::path::Path,
    format: Format,
    mut next: impl FnMut() -> anyhow::Result<Option<DataFrame>>,
) -> anyhow::Result<Option<u64>> {
    use polars_io::SerWriter;
    let mut rows = 0u64;
    // No rows, no file: a zero-byte Parquet file is not Parquet to any
    // reader (DuckDB, Spark, ours).
    let Some(first) = next()? else { return Ok(None) };
    if let Some(dir) = rel.parent() {
        out.create_dir(dir)?;
    }
    let mut first = Some(first);
    out.write_with(rel, |w| {
        let Some(mut df) = first.take() else { return Ok(()) };
        match format {
            Format::Parquet => {
                let mut pw = polars_io::parquet::write::ParquetWriter::new(w)
                    .with_compression(polars_io::parquet::write::ParquetCompression::Zstd(None))
                    .batched(&df.schema().clone())?;
                loop {
                    rows += df.height() as u64;
                    pw.write_batch(&df)?;
                    match next()? {
                        Some(d) => df = d,
                        None => break,
                    }
                }
                pw.finish()?;
            }
            Format::Csv => {
                let mut header = true;
                loop {
                    rows += df.height() as u64;
                    polars_io::csv::write::CsvWriter::new(&mut *w).include_header(header).finish(&mut df)?;
                    header = false;
                    match next()? {
                        Some(d) => df = d,
                        None => break,
                    }
                }
            }
            Format::Ndjson => loop {
                rows += df.height() as u64;
                polars_io::json::JsonWriter::new(&mut *w)
                    .with_json_format(polars_io::json::JsonFormat::JsonLines)
                    .finish(&mut df)?;
                match next()? {
                    Some(d) => df = d,
                    None => break,
                }
            },
        }
        Ok(())
    })?;
    Ok(Some(rows))
}

/// A file's frames, produced one at a time.
type Frames<'a> = Box<dyn FnMut() -> anyhow::Result<Option<DataFrame>> + 'a>;

/// What an export wrote.
#[derive(Debug, Default)]
pub struct Written {
    /// Per table: files and rows.
    pub tables: BTreeMap<&'static str, (usize, u64)>,
}

/// Writes the selected tables of `run` into `out`: per table and host one
/// file, streamed a batch at a time.
pub fn write(
    run: &Ingested,
    out: &DirOutput,
    tables: &[&'static Schema],
    format: Format,
) -> anyhow::Result<Written> {
    let mut written = Written::default();
    let hosts: BTreeMap<u32, &str> = run.sources.iter().map(|s| (s.id, s.host.as_str())).collect();
    let paths: BTreeMap<u32, &str> = run.sources.iter().map(|s| (s.id, s.path.as_str())).collect();
    let batches = run.store.batches();
    // Each host's batches, in source and snapshot order (a batch shared by
    // small sources is listed under each of their hosts, once).
    let mut by_host: BTreeMap<&str, Vec<&crate::table::store::Batch>> = BTreeMap::new();
    for b in &batches {
        for span in b.spans() {
            if let Some(h) = hosts.get(&span.source) {
                let v = by_host.entry(h).or_default();
                if !v.last().is_some_and(|last| std::ptr::eq(*last, &**b)) {
                    v.push(b);
                }
            }
        }
    }
    for table in tables {
        if !row_tables(&[table]).is_empty() {
            continue;
        }
        out.create_dir(table.name)?;
        // (host, frames) — frames produced on demand.
        let mut files: Vec<(String, Frames<'_>)> = Vec::new();
        if SNAPSHOT_TABLES.iter().any(|t| std::ptr::eq(*t, *table)) {
            for (host, bs) in &by_host {
                let mut it = bs.iter();
                let (paths, hosts) = (&paths, &hosts);
                files.push((
                    host.to_string(),
                    Box::new(move || {
                        for b in it.by_ref() {
                            let mut df = b.frame(table)?;
                            if b.is_shared() {
                                let mine: Vec<u32> = b
                                    .spans()
                                    .iter()
                                    .map(|s| s.source)
                                    .filter(|s| hosts.get(s) == Some(host))
                                    .collect();
                                let mask: BooleanChunked = df
                                    .column("source_id")?
                                    .u32()?
                                    .iter()
                                    .map(|id| id.is_some_and(|id| mine.contains(&id)))
                                    .collect();
                                df = df.filter(&mask)?;
                            }
                            if df.height() == 0 {
                                continue;
                            }
                            return Ok(Some(with_sources(df, paths)?));
                        }
                        Ok(None)
                    }),
                ));
            }
        } else if table.name == "sources" {
            let mut rows: BTreeMap<&str, Rows> = BTreeMap::new();
            for s in &run.sources {
                let r = rows.entry(&s.host).or_insert_with(|| Rows::new(table));
                crate::table::sources::fill(r, s.id, s);
            }
            for (host, mut r) in rows {
                // The host is the partition; `source` is the key.
                let mut df = Some(r.take().drop_many(["host", "source_id"]));
                files.push((host.to_string(), Box::new(move || Ok(df.take()))));
            }
        } else if table.name == "sysctl" {
            let mut frames: BTreeMap<&str, Vec<DataFrame>> = BTreeMap::new();
            for (idx, map) in &run.sysctls {
                let s = &run.sources[*idx];
                let mut r = Rows::new(table);
                crate::table::sysctl::fill(&mut r, s.id, map);
                frames.entry(&s.host).or_default().push(with_source(r.take(), &s.path)?);
            }
            for (host, dfs) in frames {
                let mut it = dfs.into_iter();
                files.push((host.to_string(), Box::new(move || Ok(it.next()))));
            }
        }
        for (host, next) in files {
            let dir = PathBuf::from(table.name).join(host_dir(&host));
            let rel = dir.join(format!("part-00000.{}", format.extension()));
            let rows =
                write_file(out, &rel, format, next).with_context(|| format!("exporting {}", table.name))?;
            let e = written.tables.entry(table.name).or_default();
            if let Some(rows) = rows {
                e.0 += 1;
                e.1 += rows;
            }
        }
    }
    Ok(written)
}

/// Replaces `source_id` by the input's path, as the first column.
fn with_source(df: DataFrame, path: &str) -> PolarsResult<DataFrame> {
    let n = df.height();
    let mut cols = vec![Column::new("source".into(), vec![path; n])];
    cols.extend(df.columns().iter().filter(|c| c.name() != "source_id").cloned());
    DataFrame::new(n, cols)
}

/// `df` with its `source_id` replaced by each row's input path, `source`.
fn with_sources(df: DataFrame, paths: &BTreeMap<u32, &str>) -> PolarsResult<DataFrame> {
    let n = df.height();
    let ids = df.column("source_id")?.u32()?;
    let source: Vec<&str> =
        ids.iter().map(|id| id.and_then(|id| paths.get(&id).copied()).unwrap_or_default()).collect();
    let mut cols = vec![Column::new("source".into(), source)];
    cols.extend(df.columns().iter().filter(|c| c.name() != "source_id").cloned());
    DataFrame::new(n, cols)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_directories_are_hive_safe() {
        assert_eq!(host_dir("web-1.dc1"), "host=web-1.dc1");
        assert_eq!(host_dir("a/b c=d"), "host=a%2Fb%20c%3Dd");
    }

    #[test]
    fn table_lists_are_checked() {
        assert_eq!(select_tables(Some("peers, snapshots,peers")).unwrap().len(), 2);
        let e = select_tables(Some("peers,nope")).unwrap_err().to_string();
        assert!(e.contains("\"nope\"") && e.contains("snapshots"), "{e}");
        assert_eq!(select_tables(None).unwrap().len(), all_tables().len());
    }
}
