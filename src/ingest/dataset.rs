//! A dataset written by `sockscope export` (Parquet) read back as input:
//! `summary`, `report`, `diagnose` and `export` run on its tables instead
//! of raw captures, so shards exported on many machines (or by many Spark
//! tasks, `export --part`) are merged anywhere.
//!
//! The dataset's `sources` table names every input (its host is the
//! partition, its path the `source` column); each is given a new id, and
//! the per-snapshot tables are put into the run's store a source at a
//! time, as the mergers would have. The `sysctl` table gives the hosts'
//! sysctls. When the run wants socket rows (diagnosis), the `sockets`
//! table is replayed into it. What an export does not hold — kernel log
//! events, protocol counters, conntrack statistics, rejected-line samples —
//! is not there; the run says so.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use polars::prelude::{
    Column, DataFrame, DataType, IntoColumn, IntoLazy, PolarsResult, SortMultipleOptions, StringChunked,
    UInt64Chunked, col, lit,
};

use super::{IngestConfig, Ingested, LinesReport, SourceReport};
use crate::table::store::GROUP_SOURCES;
use crate::table::{SNAPSHOT_TABLES, Schema};

/// Snapshots per batch handed to the store.
const SNAPSHOTS_PER_BATCH: u32 = 1024;

/// Rows read from a row-level file at a time.
const ROWS_PER_READ: usize = 1 << 18;

/// Whether `p` is a directory written by `sockscope export`.
pub fn is_dataset(p: &Path) -> bool {
    let marker = p.join(crate::output::MARKER);
    p.is_dir()
        && std::fs::read_to_string(marker).is_ok_and(|t| {
            t.lines().next() == Some(&format!("sockscope {}", crate::output::DirKind::Export.name()))
        })
}

/// `host=web%2D1` → `web-1` (Hive's escaping, as `export::host_dir` writes it).
fn host_of_dir(name: &str) -> Option<String> {
    let rest = name.strip_prefix("host=")?;
    let b = rest.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        if b[i] == b'%'
            && let Some(Ok(v)) = hex.map(|h| u8::from_str_radix(h, 16))
        {
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The part a file belongs to: its name up to the first dot
/// (`part-shard-3.parquet`, `part-shard-3.s00012.parquet` → `part-shard-3`);
/// a plain export's files (`part-00000.parquet`, a row table's
/// `part-<source>.parquet`) are all one part, `""`.
fn part_of(file: &Path) -> String {
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let stem = name.split('.').next().unwrap_or_default();
    match stem.strip_prefix("part-") {
        Some(n) if n.len() == 5 && n.bytes().all(|b| b.is_ascii_digit()) => String::new(),
        _ => stem.to_string(),
    }
}

/// Host partitions of `table`: (host, its Parquet files, sorted).
fn partitions(root: &Path, table: &str) -> anyhow::Result<Vec<(String, Vec<PathBuf>)>> {
    let dir = root.join(table);
    let mut out = Vec::new();
    let rd = match std::fs::read_dir(&dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    for e in rd {
        let e = e.with_context(|| format!("reading {}", dir.display()))?;
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(host) = host_of_dir(&name) else { continue };
        let mut files = Vec::new();
        for f in std::fs::read_dir(e.path()).with_context(|| format!("reading {}", e.path().display()))? {
            let f = f?.path();
            let fname = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if fname.starts_with('.') {
                continue;
            }
            match f.extension().and_then(|x| x.to_str()) {
                Some("parquet") => files.push(f),
                Some("csv" | "ndjson") => anyhow::bail!(
                    "{}: only Parquet datasets can be read as input; export with --format parquet",
                    f.display()
                ),
                _ => {}
            }
        }
        files.sort();
        out.push((host, files));
    }
    out.sort();
    Ok(out)
}

fn read_parquet(f: &Path, slice: Option<(usize, usize)>) -> anyhow::Result<DataFrame> {
    use polars_io::SerReader;
    let file = std::fs::File::open(f).with_context(|| format!("opening {}", f.display()))?;
    polars_io::parquet::read::ParquetReader::new(file)
        .with_slice(slice)
        .finish()
        .with_context(|| format!("reading {}", f.display()))
}

fn rows_in(f: &Path) -> anyhow::Result<usize> {
    use polars_io::SerReader;
    let file = std::fs::File::open(f).with_context(|| format!("opening {}", f.display()))?;
    polars_io::parquet::read::ParquetReader::new(file)
        .num_rows()
        .with_context(|| format!("reading {}", f.display()))
}

/// `df` (with a `source` path column) as `schema` wants it: `source_id`
/// from `ids` (rows of other sources dropped), every column in order and
/// of its type.
fn conform(
    df: DataFrame,
    schema: &Schema,
    ids: &BTreeMap<&str, u32>,
    file: &Path,
) -> anyhow::Result<DataFrame> {
    let src = df.column("source").with_context(|| format!("{}: no `source` column", file.display()))?;
    let src = src.str().with_context(|| format!("{}: `source` is not text", file.display()))?;
    let id: Vec<Option<u32>> = src.iter().map(|s| s.and_then(|s| ids.get(s).copied())).collect();
    let mut df = df;
    df.with_column(Column::new("source_id".into(), id))?;
    let df = df.lazy().filter(col("source_id").is_not_null()).collect()?;
    let mut cols = Vec::with_capacity(schema.columns.len());
    for c in schema.columns {
        let have = df.column(c.name).with_context(|| {
            format!(
                "{}: no `{}` column: not a {} table of this sockscope version",
                file.display(),
                c.name,
                schema.name
            )
        })?;
        let want = c.ty.dtype();
        let mut got = have.cast(&want).with_context(|| format!("{}: column `{}`", file.display(), c.name))?;
        // Times come back from Parquet without their zone (polars is built
        // without time-zone support): the instants are UTC, say so again.
        if let (DataType::Datetime(tu, Some(tz)), DataType::Datetime(tu2, None)) = (&want, got.dtype())
            && tu == tu2
        {
            let phys = got.to_physical_repr();
            got = phys.i64()?.clone().into_datetime(*tu, Some(tz.clone())).into_column();
        }
        if got.dtype() != &want {
            if have.null_count() != have.len() {
                anyhow::bail!("{}: column `{}` is {}, expected {want}", file.display(), c.name, got.dtype());
            }
            got = Column::full_null(c.name.into(), have.len(), &want);
        }
        cols.push(got);
    }
    Ok(DataFrame::new(df.height(), cols)?)
}

/// Reads every dataset in `roots` into a run.
pub fn read(roots: &[PathBuf], cfg: &IngestConfig) -> anyhow::Result<Ingested> {
    let mut run = Ingested { store: cfg.store.clone(), ..Ingested::default() };
    // (root, host) → source path → (id, part).
    let mut by_host: BTreeMap<(usize, String), BTreeMap<String, (u32, String)>> = BTreeMap::new();
    for (r, root) in roots.iter().enumerate() {
        let parts = partitions(root, "sources")?;
        if parts.is_empty() {
            anyhow::bail!(
                "{}: a sockscope export without a `sources` table cannot be read as input",
                root.display()
            );
        }
        for (host, files) in parts {
            for f in files {
                let part = part_of(&f);
                let df = read_parquet(&f, None)?;
                for rep in source_reports(&df, &host, &f)? {
                    let known = by_host.entry((r, host.clone())).or_default();
                    if let Some((_, other)) = known.get(&rep.path) {
                        eprintln!(
                            "sockscope: warning: {} of host {} is in the dataset twice ({other} and {part}); {part}'s copy is not read",
                            crate::term::visible(&rep.path),
                            crate::term::visible(&host),
                        );
                        continue;
                    }
                    let id = run.sources.len() as u32;
                    known.insert(rep.path.clone(), (id, part.clone()));
                    run.sources.push(SourceReport { id, ..rep });
                }
            }
        }
    }
    // Hosts in id order, a group of them (up to GROUP_SOURCES sources) at
    // a time, so the store keeps small hosts' snapshots together.
    let hosts: Vec<_> = by_host.iter().collect();
    let mut groups = Vec::new();
    let (mut first, mut in_group) = (0, 0);
    for (n, (_, known)) in hosts.iter().enumerate() {
        if in_group > 0 && in_group + known.len() > GROUP_SOURCES {
            groups.push(first..n);
            (first, in_group) = (n, 0);
        }
        in_group += known.len();
    }
    groups.push(first..hosts.len());
    for range in groups {
        let mut ids: Vec<u32> =
            hosts[range.clone()].iter().flat_map(|(_, k)| k.values().map(|v| v.0)).collect();
        ids.sort_unstable();
        let group = run.store.open_group(&ids);
        for ((r, host), known) in &hosts[range] {
            let root = &roots[*r];
            let ids_of = |part: &str| -> BTreeMap<&str, u32> {
                known.iter().filter(|(_, (_, p))| p == part).map(|(s, (id, _))| (s.as_str(), *id)).collect()
            };
            // Per-snapshot tables: this host's rows, then a source at a time.
            let mut tables: Vec<Option<DataFrame>> = Vec::with_capacity(SNAPSHOT_TABLES.len());
            for schema in SNAPSHOT_TABLES {
                let mut frames = Vec::new();
                for f in files_of(root, schema.name, host)? {
                    let ids = ids_of(&part_of(&f));
                    frames.push(conform(read_parquet(&f, None)?, schema, &ids, &f)?);
                }
                tables.push(stack(frames)?);
            }
            let mut ids: Vec<u32> = known.values().map(|(id, _)| *id).collect();
            ids.sort_unstable();
            for id in ids {
                put_source(&run, id, &tables)?;
            }
            // The host's sysctls, per sysctl capture.
            for f in files_of(root, "sysctl", host)? {
                let ids = ids_of(&part_of(&f));
                let df = read_parquet(&f, None)?;
                let (s, k, v) =
                    (df.column("source")?.str()?, df.column("key")?.str()?, df.column("value")?.str()?);
                for i in 0..df.height() {
                    if let (Some(s), Some(k), Some(v)) = (s.get(i), k.get(i), v.get(i))
                        && let Some(id) = ids.get(s)
                    {
                        run.sysctls.entry(*id as usize).or_default().insert(k, v);
                    }
                }
            }
            // Socket rows, for a run that wants them (diagnosis).
            if let Some(sink) = &cfg.rows {
                let mut row_tables = vec![&crate::table::sockets::SCHEMA];
                if sink.conntrack_entries() {
                    row_tables.push(&crate::table::conntrack_entries::SCHEMA);
                }
                for schema in row_tables {
                    for f in files_of(root, schema.name, host)? {
                        let ids = ids_of(&part_of(&f));
                        let n = rows_in(&f)?;
                        let mut at = 0;
                        while at < n {
                            let df = conform(read_parquet(&f, Some((at, ROWS_PER_READ)))?, schema, &ids, &f)?;
                            at += ROWS_PER_READ;
                            for (id, part) in split_by_source(df)? {
                                let path = run.sources[id as usize].path.clone();
                                cfg.store.rows(sink.clone(), schema, id, path.into(), part);
                            }
                        }
                    }
                }
            }
        }
        run.store.close_group(group);
    }
    cfg.store.finish();
    Ok(run)
}

/// `root/<table>/host=<host>/*.parquet`.
fn files_of(root: &Path, table: &str, host: &str) -> anyhow::Result<Vec<PathBuf>> {
    let dir = root.join(table).join(crate::export::host_dir(host));
    let mut files = Vec::new();
    match std::fs::read_dir(&dir) {
        Ok(rd) => {
            for f in rd {
                let f = f.with_context(|| format!("reading {}", dir.display()))?.path();
                let hidden = f.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
                if !hidden && f.extension().is_some_and(|x| x == "parquet") {
                    files.push(f);
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    }
    files.sort();
    Ok(files)
}

fn stack(frames: Vec<DataFrame>) -> anyhow::Result<Option<DataFrame>> {
    let mut it = frames.into_iter();
    let Some(mut df) = it.next() else { return Ok(None) };
    for f in it {
        df.vstack_mut_owned(f)?;
    }
    Ok(Some(df))
}

/// Splits a row-level frame by `source_id`, in order of appearance.
fn split_by_source(df: DataFrame) -> anyhow::Result<Vec<(u32, DataFrame)>> {
    let ids: Vec<u32> = {
        let c = df.column("source_id")?.u32()?;
        let mut seen: Vec<u32> = Vec::new();
        for v in c.iter().flatten() {
            if seen.last() != Some(&v) && !seen.contains(&v) {
                seen.push(v);
            }
        }
        seen
    };
    if ids.len() == 1 {
        return Ok(vec![(ids[0], df)]);
    }
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.push((id, df.clone().lazy().filter(col("source_id").eq(lit(id))).collect()?));
    }
    Ok(out)
}

/// Hands one source's snapshots to the store, [`SNAPSHOTS_PER_BATCH`] at
/// a time, every table's rows of those snapshots together.
fn put_source(run: &Ingested, id: u32, tables: &[Option<DataFrame>]) -> anyhow::Result<()> {
    let mine: Vec<Option<DataFrame>> = tables
        .iter()
        .map(|t| {
            t.as_ref()
                .map(|df| {
                    df.clone()
                        .lazy()
                        .filter(col("source_id").eq(lit(id)))
                        .sort(["index"], SortMultipleOptions::default().with_maintain_order(true))
                        .collect()
                })
                .transpose()
        })
        .collect::<PolarsResult<_>>()?;
    let Some(Some(snaps)) = mine.first() else { return Ok(()) };
    let Some(last) = snaps.column("index")?.u32()?.iter().flatten().max() else { return Ok(()) };
    let mut first = 0u32;
    while first <= last {
        let end = first.saturating_add(SNAPSHOTS_PER_BATCH - 1).min(last);
        let pieces: Vec<Vec<DataFrame>> = mine
            .iter()
            .map(|t| -> PolarsResult<Vec<DataFrame>> {
                match t {
                    Some(df) => Ok(vec![
                        df.clone()
                            .lazy()
                            .filter(col("index").gt_eq(lit(first)).and(col("index").lt_eq(lit(end))))
                            .collect()?,
                    ]),
                    None => Ok(Vec::new()),
                }
            })
            .collect::<PolarsResult<_>>()?;
        if pieces.first().is_some_and(|p| p.iter().any(|d| d.height() > 0)) {
            run.store.put(id, first, end, pieces);
        }
        if end == u32::MAX {
            break;
        }
        first = end + 1;
    }
    Ok(())
}

/// Strings the reports hold as `&'static str`, from the dataset's text
/// (a handful of distinct values per run).
fn intern(s: &str) -> &'static str {
    static SEEN: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(x) = seen.iter().find(|x| **x == s) {
        return x;
    }
    let leaked: &'static str = Box::leak(s.to_string().into_boxed_str());
    seen.push(leaked);
    leaked
}

/// The `sources` rows of one file as reports.
fn source_reports(df: &DataFrame, host: &str, file: &Path) -> anyhow::Result<Vec<SourceReport>> {
    let ctx = || format!("{}: not a sources table of this sockscope version", file.display());
    let s = |n: &str| -> anyhow::Result<&StringChunked> { Ok(df.column(n).with_context(ctx)?.str()?) };
    let u = |n: &str| -> anyhow::Result<UInt64Chunked> {
        Ok(df.column(n).with_context(ctx)?.cast(&DataType::UInt64)?.u64()?.clone())
    };
    let (path, format, comp, enc, lang, notes, error) = (
        s("source")?,
        s("format")?,
        s("compression")?,
        s("encoding")?,
        s("language")?,
        s("notes")?,
        s("error")?,
    );
    let (bytes, lines, parsed, structural, ignored, rejected, snapshots) = (
        u("bytes")?,
        u("lines")?,
        u("parsed")?,
        u("structural")?,
        u("ignored")?,
        u("rejected")?,
        u("snapshots")?,
    );
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let Some(p) = path.get(i) else { continue };
        let mut notes: Vec<String> = notes
            .get(i)
            .filter(|n| !n.is_empty())
            .map(|n| n.lines().map(String::from).collect())
            .unwrap_or_default();
        notes.extend(not_exported(format.get(i).unwrap_or_default(), rejected.get(i).unwrap_or(0)));
        out.push(SourceReport {
            id: 0,
            path: p.to_string(),
            host: host.to_string(),
            format: format.get(i).unwrap_or("empty").to_string(),
            compression: intern(comp.get(i).unwrap_or("none")),
            encoding: enc.get(i).map(intern),
            language: lang.get(i).map(intern),
            bytes: bytes.get(i).unwrap_or(0),
            lines: LinesReport {
                total: lines.get(i).unwrap_or(0),
                parsed: parsed.get(i).unwrap_or(0),
                structural: structural.get(i).unwrap_or(0),
                ignored: ignored.get(i).unwrap_or(0),
                rejected: rejected.get(i).unwrap_or(0),
                rejected_by_reason: BTreeMap::new(),
                rejected_samples: Vec::new(),
            },
            snapshots: snapshots.get(i).unwrap_or(0) as usize,
            notes,
            error: error.get(i).map(String::from),
        });
    }
    Ok(out)
}

/// What the run does not have of a source read from a dataset: an
/// export keeps the tables, not every kind of data sockscope reads.
fn not_exported(format: &str, rejected: u64) -> Option<String> {
    let what = match format {
        "kernel-log" => "its kernel log events are",
        "counters" => "its protocol counters are",
        "conntrack-stat" => "its conntrack statistics are",
        _ if rejected > 0 => "the samples of its rejected lines are (their counts are kept)",
        _ => return None,
    };
    Some(format!("read from a dataset: {what} not in an export, so the analysis here does not see them"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hive_host_names_decode_as_export_writes_them() {
        for h in ["web-1", "db.example.com", "a b/c%d", "хост"] {
            assert_eq!(host_of_dir(&crate::export::host_dir(h)).as_deref(), Some(h));
        }
        assert_eq!(host_of_dir("other=1"), None);
    }

    #[test]
    fn a_files_part_is_its_name_up_to_the_first_dot() {
        assert_eq!(part_of(Path::new("x/part-00000.parquet")), "");
        assert_eq!(part_of(Path::new("x/part-00012.parquet")), "");
        assert_eq!(part_of(Path::new("x/part-shard-3.s00012.parquet")), "part-shard-3");
    }
}
