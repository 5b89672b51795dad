//! Reading inputs: discovery, format sniffing, the parallel chunk pipeline
//! and the per-source line accounting.
//!
//! A source is read in ~8 MiB chunks that rayon workers classify and fold
//! (`chunk.rs`); an in-order merger assembles snapshots (`merge.rs`). Small
//! sources run in parallel with each other; a large one gets all workers.

pub mod chunk;
pub mod dataset;
pub mod encoding;
pub mod host;
pub mod merge;
pub mod read;
pub mod sniff;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, OnceLock};

use rayon::prelude::*;
use serde::Serialize;

use crate::error::InputError;
use crate::fold::FoldCfg;
use crate::model::Kind;
use crate::parse::sysctl::SysctlMap;
use crate::parse::timestamp::TzPolicy;
use crate::parse::{RejectReason, TableFormat};
use crate::table::store::{GROUP_SOURCES, Store};

pub use chunk::{LineCounts, RejectSample};
use read::{BufPool, ChunkReader, Compression};
use sniff::Sniffed;

/// Input formats `--input-format` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputFormat {
    Auto,
    Netstat,
    Ss,
    Conntrack,
    /// `ss -s` or `/proc/net/sockstat`.
    SsSummary,
    Sysctl,
}

/// Settings of an ingest run.
#[derive(Debug, Clone)]
pub struct IngestConfig {
    pub format: InputFormat,
    pub tz: Option<TzPolicy>,
    pub host: Option<String>,
    /// `--host-from`: the host is the first capture group of this regex
    /// matched against each input's path.
    pub host_from: Option<regex::Regex>,
    /// Bytes and files read, for the progress bar.
    pub progress: Option<Arc<read::Progress>>,
    pub strict: bool,
    /// Top-K kept per snapshot for every ranked list.
    pub keep: usize,
    pub chunk_size: usize,
    /// Fold flows, listeners and processes (for the report's passes).
    pub detail: bool,
    /// Where the finished snapshots' table rows go (shared by the run's
    /// sources).
    pub store: Arc<Store>,
    /// Where every socket and conntrack row goes, if anywhere (`export`).
    pub rows: Option<Arc<dyn crate::table::RowSink>>,
    /// `--input-encoding`: every input's text encoding (default: detected
    /// per file).
    pub encoding: Option<encoding::TextEncoding>,
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig {
            format: InputFormat::Auto,
            tz: None,
            host: None,
            strict: false,
            keep: 10,
            chunk_size: read::CHUNK_SIZE,
            detail: false,
            store: Arc::new(Store::default()),
            rows: None,
            encoding: None,
            host_from: None,
            progress: None,
        }
    }
}

/// One input file (or stdin).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub path: PathBuf,
    /// Named on the command line (an error if unreadable or unknown), or
    /// found while walking a directory (skipped if not a capture).
    pub explicit: bool,
}

/// Expands directories recursively and glob patterns (sorted, so runs
/// are reproducible).
pub fn discover(paths: &[PathBuf]) -> (Vec<Input>, Vec<InputError>) {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            inputs.push(Input { path: p.clone(), explicit: true });
            continue;
        }
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => walk(p, &mut inputs, &mut errors),
            Ok(_) => inputs.push(Input { path: p.clone(), explicit: true }),
            Err(source) if source.kind() == std::io::ErrorKind::NotFound && is_pattern(p) => {
                expand(p, &mut inputs, &mut errors)
            }
            Err(source) => errors.push(InputError::Io { path: p.clone(), source }),
        }
    }
    (inputs, errors)
}

/// The characters that make an input a glob pattern.
const WILDCARDS: [char; 3] = ['*', '?', '['];

/// Whether an input that does not exist is a glob pattern (`*`, `?`, `[`).
pub fn is_pattern(p: &Path) -> bool {
    p.to_string_lossy().contains(WILDCARDS)
}

/// The directory a pattern's matches all lie in: its components before the
/// first with a wildcard (`caps/dc1/*/ss.txt` → `caps/dc1`). Outputs are
/// kept out of it as out of any input directory.
pub fn pattern_base(p: &Path) -> PathBuf {
    let mut base = PathBuf::new();
    for c in p.components() {
        if c.as_os_str().to_string_lossy().contains(WILDCARDS) {
            break;
        }
        base.push(c);
    }
    if base.as_os_str().is_empty() { PathBuf::from(".") } else { base }
}

/// Every file under `dir`, by name.
fn walk(dir: &Path, inputs: &mut Vec<Input>, errors: &mut Vec<InputError>) {
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name().follow_links(false) {
        match entry {
            Ok(e) if e.file_type().is_file() => inputs.push(Input { path: e.into_path(), explicit: false }),
            Ok(_) => {}
            Err(e) => {
                let path = e.path().map(Path::to_path_buf).unwrap_or_else(|| dir.to_path_buf());
                let source = e.into_io_error().unwrap_or_else(|| std::io::Error::other("walk error"));
                errors.push(InputError::Io { path, source });
            }
        }
    }
}

/// A glob pattern given quoted (`'caps/*/ss*.txt'`, `'caps/**/*.gz'`):
/// what a fleet needs when its files are too many for one command line.
/// Matches are taken like a directory's files — ones that are not
/// captures are skipped, not errors — and matched directories are walked.
fn expand(pattern: &Path, inputs: &mut Vec<Input>, errors: &mut Vec<InputError>) {
    let io = |kind, msg: String| InputError::Io {
        path: pattern.to_path_buf(),
        source: std::io::Error::new(kind, msg),
    };
    let text = pattern.to_string_lossy();
    let opts = glob::MatchOptions { require_literal_leading_dot: true, ..Default::default() };
    let paths = match glob::glob_with(&text, opts) {
        Ok(p) => p,
        Err(e) => {
            return errors.push(io(std::io::ErrorKind::InvalidInput, format!("not a valid pattern: {e}")));
        }
    };
    let before = inputs.len();
    for m in paths {
        match m {
            Ok(p) if p.is_dir() => walk(&p, inputs, errors),
            Ok(p) => inputs.push(Input { path: p, explicit: false }),
            Err(e) => {
                let path = e.path().to_path_buf();
                errors.push(InputError::Io { path, source: e.into() });
            }
        }
    }
    if inputs.len() == before {
        errors.push(io(std::io::ErrorKind::NotFound, "no file matches this pattern".into()));
    }
}

/// What the run learned about one source. Serialized as `sources[]`.
#[derive(Debug, Clone, Serialize)]
pub struct SourceReport {
    /// The input's position among the inputs: `source_id` in the tables.
    #[serde(skip)]
    pub id: u32,
    pub path: String,
    pub host: String,
    /// `netstat`, `ss`, `conntrack`, `ss-summary`, `sysctl`, `conntrack-stat`,
    /// `kernel-log`, `counters`, or several
    /// joined by `+` for mixed captures; `empty` if nothing was recognized.
    pub format: String,
    pub compression: &'static str,
    /// The text encoding it was decoded from, when not plain UTF-8
    /// (`utf-16le`, `utf-8 (BOM)`, `cp866`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<&'static str>,
    /// The language of a localized capture (`de`, `ru`, `pt_BR`, …), read
    /// from its translated titles, headers or states.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<&'static str>,
    pub bytes: u64,
    pub lines: LinesReport,
    pub snapshots: usize,
    /// Anything the operator should know (time zones, count mismatches).
    pub notes: Vec<String>,
    /// Read or decompression error that cut the source short.
    pub error: Option<String>,
}

/// Line accounting with the rejected samples.
#[derive(Debug, Clone, Serialize)]
pub struct LinesReport {
    pub total: u64,
    pub parsed: u64,
    pub structural: u64,
    pub ignored: u64,
    pub rejected: u64,
    pub rejected_by_reason: BTreeMap<RejectReason, u64>,
    pub rejected_samples: Vec<RejectSample>,
}

/// Everything read from all inputs.
#[derive(Debug, Default)]
pub struct Ingested {
    /// Every input read, in input order.
    pub sources: Vec<SourceReport>,
    /// The per-snapshot tables of every source.
    pub store: Arc<Store>,
    /// sysctl values per source index.
    pub sysctls: BTreeMap<usize, SysctlMap>,
    /// Conntrack statistics (summed over CPUs) per source index.
    pub ctstats: BTreeMap<usize, BTreeMap<String, u64>>,
    /// Kernel log events per source index: (line, text, event).
    pub kernel_events: BTreeMap<usize, Vec<(u64, String, crate::parse::kernlog::KernelEvent)>>,
    /// Protocol counter samples (`nstat`, `netstat -s`) per source index,
    /// in file order.
    pub counters: BTreeMap<usize, Vec<BTreeMap<String, u64>>>,
    /// Problems with individual inputs (the run went on).
    pub errors: Vec<InputError>,
    /// Files found in directories that are not captures.
    pub skipped: Vec<PathBuf>,
    /// Hosts named after same-named directories in different places (read
    /// as one host): host → the directories.
    pub host_collisions: Vec<(String, Vec<PathBuf>)>,
}

impl Ingested {
    /// Adds a source (with the error that cut it short, if any); returns
    /// its index.
    fn push_source(&mut self, mut rep: SourceReport, err: Option<InputError>) -> usize {
        if let Some(e) = &err {
            rep.error = Some(e.to_string());
        }
        self.sources.push(rep);
        self.errors.extend(err);
        self.sources.len() - 1
    }
}

/// Result of reading one input.
enum One {
    Table(SourceReport, Option<InputError>),
    Sysctl(SourceReport, SysctlMap, Option<InputError>),
    CtStat(SourceReport, BTreeMap<String, u64>, Option<InputError>),
    KernelLog(SourceReport, Vec<(u64, String, crate::parse::kernlog::KernelEvent)>, Option<InputError>),
    Counters(SourceReport, Vec<BTreeMap<String, u64>>, Option<InputError>),
    Skipped(PathBuf),
    Failed(InputError),
    /// A socket table, read in phase 2.
    Deferred,
}

/// Reads every input. Companion files (sysctl, conntrack statistics) come
/// first, so a host's `ip_local_port_range` is known before its socket
/// tables are folded. Small files are read in parallel with each other; a
/// file bigger than one chunk gets all workers for its chunks.
pub fn ingest(inputs: &[Input], cfg: &IngestConfig) -> Ingested {
    // Phase 1: sniff everything; read companions (and stdin, which cannot
    // be opened twice) right away.
    let mut results: Vec<(usize, One)> =
        inputs.par_iter().enumerate().map(|(n, i)| (n, contained(n as u32, i, cfg, None))).collect();
    let ranges = port_ranges(&results);
    let fold_for = |host: &str| {
        let (eph_lo, eph_hi) = ranges.get(host).copied().unwrap_or((32768, 60999));
        FoldCfg { detail: cfg.detail, eph_lo, eph_hi, ..FoldCfg::default() }
    };

    // Phase 2: socket tables.
    let chunk = cfg.chunk_size as u64;
    let size = |i: &Input| std::fs::metadata(&i.path).map(|m| m.len()).unwrap_or(0);
    let deferred: Vec<usize> =
        results.iter().filter(|(_, r)| matches!(r, One::Deferred)).map(|(n, _)| *n).collect();
    // Small files in groups of consecutive ones, each group read in order
    // by one worker, so the store keeps a group's snapshots as one batch
    // (a fleet of one-snapshot hosts would otherwise be all overhead).
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut large = Vec::new();
    let mut open: (Vec<usize>, u64) = (Vec::new(), 0);
    for n in deferred {
        let bytes = size(&inputs[n]);
        if bytes > chunk {
            // Its batches come between the sources before and after it.
            large.push(n);
            groups.extend((!open.0.is_empty()).then(|| std::mem::take(&mut open.0)));
            open.1 = 0;
            continue;
        }
        open.0.push(n);
        open.1 += bytes;
        if open.0.len() >= GROUP_SOURCES || open.1 >= chunk {
            groups.push(std::mem::take(&mut open.0));
            open.1 = 0;
        }
    }
    groups.extend((!open.0.is_empty()).then_some(open.0));
    let mut tables: Vec<(usize, One)> = groups
        .par_iter()
        .flat_map_iter(|g| {
            let ids: Vec<u32> = g.iter().map(|n| *n as u32).collect();
            let group = cfg.store.open_group(&ids);
            let read: Vec<(usize, One)> =
                g.iter().map(|n| (*n, contained(*n as u32, &inputs[*n], cfg, Some(&fold_for)))).collect();
            cfg.store.close_group(group);
            read
        })
        .collect();
    for n in large {
        tables.push((n, contained(n as u32, &inputs[n], cfg, Some(&fold_for))));
    }
    results.retain(|(_, r)| !matches!(r, One::Deferred));
    results.extend(tables);
    results.sort_by_key(|(n, _)| *n);

    // Every batch stored and every row written before anything reads them.
    cfg.store.finish();
    let same_name = if cfg.host.is_none() && cfg.host_from.is_none() {
        host_collisions(inputs)
    } else {
        Default::default()
    };
    let mut out = Ingested { store: cfg.store.clone(), ..Ingested::default() };
    for (_, r) in results {
        match r {
            One::Table(mut rep, err) => {
                if let Some(e) = cfg.store.spill_error(rep.id) {
                    rep.notes.push(format!(
                        "could not write finished snapshots to a temporary file ({e}); they were kept in memory"
                    ));
                }
                out.push_source(rep, err);
            }
            One::Sysctl(rep, map, err) => {
                let idx = out.push_source(rep, err);
                out.sysctls.insert(idx, map);
            }
            One::CtStat(rep, map, err) => {
                let idx = out.push_source(rep, err);
                out.ctstats.insert(idx, map);
            }
            One::KernelLog(rep, events, err) => {
                let idx = out.push_source(rep, err);
                out.kernel_events.insert(idx, events);
            }
            One::Counters(rep, samples, err) => {
                let idx = out.push_source(rep, err);
                out.counters.insert(idx, samples);
            }
            One::Skipped(p) => out.skipped.push(p),
            One::Failed(e) => out.errors.push(e),
            One::Deferred => {}
        }
    }
    for s in &mut out.sources {
        if let Some(dirs) = same_name.get(&s.host) {
            s.notes.push(format!(
                "host {} is named after {} directories in different places ({}): they are read as one host; give --host-from REGEX if they are different hosts",
                s.host,
                dirs.len(),
                dirs.iter().take(3).map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ")
            ));
        }
    }
    out.host_collisions = same_name.into_iter().map(|(h, d)| (h, d.into_iter().collect())).collect();
    out
}

/// Hosts that the default rules named after directories with the same
/// name in different places: host → those directories.
fn host_collisions(inputs: &[Input]) -> BTreeMap<String, std::collections::BTreeSet<PathBuf>> {
    let mut dirs: BTreeMap<String, std::collections::BTreeSet<PathBuf>> = BTreeMap::new();
    for i in inputs {
        if let (Some(d), Some(h)) = (host::host_dir(&i.path), host::infer_host(&i.path)) {
            dirs.entry(h).or_default().insert(d);
        }
    }
    dirs.retain(|_, d| d.len() > 1);
    dirs
}

/// Local ports in `lo..=hi` that a LISTEN row of `path` listens on, sorted.
fn listening_in_range(path: &Path, lo: u16, hi: u16, enc: Option<encoding::TextEncoding>) -> Vec<u16> {
    use crate::parse::{Line, LineState, Section, classify};
    let Ok((stream, _, _)) = read::open_text(path, enc, None) else { return Vec::new() };
    let pool = BufPool::default();
    let mut ports = std::collections::BTreeSet::new();
    let finder = memchr::memmem::Finder::new(b"LISTEN");
    for c in ChunkReader::new(stream, read::CHUNK_SIZE, &pool) {
        if c.long_line.is_some() {
            pool.put(c.buf);
            continue;
        }
        let data = c.data();
        let mut from = 0;
        while let Some(p) = finder.find(&data[from..]) {
            let at = from + p;
            let ls = memchr::memrchr(b'\n', &data[..at]).map_or(0, |x| x + 1);
            let le = memchr::memchr(b'\n', &data[at..]).map_or(data.len(), |x| at + x);
            let mut st = LineState::new(None);
            st.section = Section::Inet;
            if let Line::Socket(r) = classify(&data[ls..le], &mut st)
                && let Some(port) = r.local.port.filter(|p| (lo..=hi).contains(p))
                && r.state == crate::model::TcpState::Listen
            {
                ports.insert(port);
            }
            from = le.max(at + 1);
        }
        pool.put(c.buf);
    }
    ports.into_iter().collect()
}

/// Each host's ephemeral port range, from its captured sysctl.
fn port_ranges(results: &[(usize, One)]) -> BTreeMap<String, (u16, u16)> {
    let captures = results.iter().filter_map(|(_, r)| match r {
        One::Sysctl(rep, map, _) => Some((rep.host.as_str(), map)),
        _ => None,
    });
    host_sysctls(captures)
        .into_iter()
        .filter_map(|(h, m)| Some((h.to_string(), crate::parse::sysctl::port_range(m)?)))
        .collect()
}

/// The sysctl capture each host uses — the one rule for the fold's
/// ephemeral range and every pass: of a host's `sysctl -a` captures (in
/// input order), the first that has `net.ipv4.ip_local_port_range`, else
/// its first one.
pub fn host_sysctls<'a>(
    captures: impl IntoIterator<Item = (&'a str, &'a SysctlMap)>,
) -> BTreeMap<&'a str, &'a SysctlMap> {
    let mut out: BTreeMap<&str, &SysctlMap> = BTreeMap::new();
    for (host, map) in captures {
        let has_range = crate::parse::sysctl::port_range(map).is_some();
        match out.get(host) {
            Some(prev) if crate::parse::sysctl::port_range(prev).is_some() || !has_range => {}
            _ => {
                out.insert(host, map);
            }
        }
    }
    out
}

/// [`ingest_one`], with a panic (a bug, should one slip through) caught
/// and reported as this input's error, so the rest of the batch completes.
fn contained(
    id: u32,
    input: &Input,
    cfg: &IngestConfig,
    fold_for: Option<&(dyn Fn(&str) -> FoldCfg + Sync)>,
) -> One {
    // Nothing half-built escapes: the input's own state is dropped, and
    // the shared store recovers its locks from poisoning.
    let run = std::panic::AssertUnwindSafe(|| ingest_one(id, input, cfg, fold_for));
    std::panic::catch_unwind(run).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".to_string());
        One::Failed(InputError::Panicked { path: input.path.clone(), message })
    })
}

/// A test hook: `SOCKSCOPE_TEST_PANIC_ON=<text>` makes reading any input
/// whose path contains `<text>` panic, so that the tests can check that a
/// bug in one input's worker stays contained. Not for users.
fn test_panic_hook(path: &Path) {
    if let Some(v) = std::env::var_os("SOCKSCOPE_TEST_PANIC_ON")
        && !v.is_empty()
        && path.to_string_lossy().contains(&*v.to_string_lossy())
    {
        panic!("SOCKSCOPE_TEST_PANIC_ON matched {}", path.display());
    }
}

/// Reads one input. Without `fold_for` (phase 1), socket tables other than
/// stdin are only sniffed and come back `Deferred`.
fn ingest_one(
    id: u32,
    input: &Input,
    cfg: &IngestConfig,
    fold_for: Option<&(dyn Fn(&str) -> FoldCfg + Sync)>,
) -> One {
    let path = &input.path;
    let stdin = path.as_os_str() == "-";
    // A pipe, FIFO or `<(…)` can be read only once: like stdin, it is read
    // in phase 1 and gets no listening-port pre-scan.
    let once = stdin || std::fs::metadata(path).is_ok_and(|m| !m.is_file());
    // Bytes are counted as they are read in the pass that reads the whole
    // file (phase 1 only sniffs socket tables; companions are counted whole
    // when done).
    let counting = fold_for.is_some() || once;
    let progress = if counting { cfg.progress.clone() } else { None };
    let (stream, comp, enc) = match read::open_text(path, cfg.encoding, progress) {
        Ok(x) => x,
        Err(source) => return One::Failed(InputError::Io { path: path.clone(), source }),
    };
    let from_path = cfg.host_from.as_ref().map(|re| host::host_from(re, path));
    let mut host = cfg
        .host
        .clone()
        .or_else(|| from_path.clone().flatten())
        .or_else(|| host::infer_host(path))
        .unwrap_or_else(|| "stdin".to_string());
    // A network namespace's capture is its own host key: its sockets,
    // ports and limits are the namespace's, not the host's.
    if let Some(ns) = host::netns(path) {
        host = format!("{host}/{ns}");
    }
    let unmatched = matches!(from_path, Some(None));
    let display = if stdin { "-".to_string() } else { path.display().to_string() };
    // Sniff the head of the stream, then put it back.
    let (head, stream) = match sniff::read_head(stream) {
        Ok(x) => x,
        Err(source) => return One::Failed(decompress_or_io(path, comp, 0, source)),
    };
    let kind = match cfg.format {
        InputFormat::Auto => sniff::sniff(&head),
        InputFormat::Sysctl => Sniffed::Sysctl,
        _ => Sniffed::Table,
    };
    let table = matches!(kind, Sniffed::Table) || (kind == Sniffed::Empty && input.explicit);
    if table && fold_for.is_none() && !once {
        return One::Deferred;
    }
    let mut fold =
        fold_for.map_or_else(|| FoldCfg { detail: cfg.detail, ..FoldCfg::default() }, |f| f(&host));
    if fold.detail && !once && table {
        // Direction needs every listener of the capture before the first
        // row is folded (a LISTEN row can come after its connections, or
        // in an earlier chunk): one extra pass over the LISTEN rows.
        fold.listening_in_range = Arc::new(listening_in_range(path, fold.eph_lo, fold.eph_hi, cfg.encoding));
    }
    if kind == Sniffed::Unknown && !table && input.explicit {
        return One::Failed(InputError::UnknownFormat {
            path: path.clone(),
            first_line: sniff::first_line(&head),
        });
    }
    let head_copy: Vec<u8> = head[..head.len().min(16 * 1024)].to_vec();
    let stream: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(head).chain(stream));
    let mut one = match kind {
        _ if table => {
            let (rep, err) = ingest_table(id, path, &display, host, comp, stream, cfg, fold);
            One::Table(rep, err)
        }
        Sniffed::Sysctl => {
            let (rep, map, err) = ingest_sysctl(id, path, &display, host, comp, stream);
            One::Sysctl(rep, map, err)
        }
        Sniffed::CtStat => {
            let (rep, map, err) = ingest_ctstat(id, path, &display, host, comp, stream);
            One::CtStat(rep, map, err)
        }
        Sniffed::KernelLog => {
            let (rep, events, err) = ingest_kernel_log(id, path, &display, host, comp, stream);
            One::KernelLog(rep, events, err)
        }
        Sniffed::Counters => {
            let (rep, samples, err) = ingest_counters(id, path, &display, host, comp, stream);
            One::Counters(rep, samples, err)
        }
        _ => One::Skipped(path.clone()),
    };
    let lang = sniff::language(&head_copy);
    if let (Some(l), One::Table(rep, _)) = (lang, &mut one) {
        rep.language = Some(l);
        rep.notes.push(format!(
            "localized output ({l}): titles, headers and states read through its translations"
        ));
    }
    if let One::Table(rep, _)
    | One::Sysctl(rep, _, _)
    | One::CtStat(rep, _, _)
    | One::KernelLog(rep, _, _)
    | One::Counters(rep, _, _) = &mut one
    {
        if enc != encoding::TextEncoding::Utf8 {
            rep.encoding = Some(enc.name());
            rep.notes.push(format!("decoded from {} to UTF-8", enc.name()));
        }
        if unmatched {
            rep.notes
                .push("--host-from did not match this path: host named by the default rules".to_string());
        }
    }
    if !matches!(one, One::Deferred)
        && let Some(p) = &cfg.progress
    {
        p.files.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if !counting {
            let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            p.bytes.fetch_add(size, std::sync::atomic::Ordering::Relaxed);
        }
    }
    one
}

fn decompress_or_io(path: &Path, comp: Compression, bytes: u64, source: std::io::Error) -> InputError {
    match comp {
        Compression::None => InputError::Io { path: path.to_path_buf(), source },
        c => InputError::Decompress { path: path.to_path_buf(), what: c.name(), bytes, source },
    }
}

fn forced_table(f: InputFormat) -> Option<TableFormat> {
    match f {
        InputFormat::Netstat => Some(TableFormat::Netstat),
        InputFormat::Ss => Some(TableFormat::Ss),
        InputFormat::Conntrack => Some(TableFormat::Conntrack),
        InputFormat::SsSummary => Some(TableFormat::SsSummary),
        InputFormat::Auto | InputFormat::Sysctl => None,
    }
}

/// Reads a socket-table source through the parallel chunk pipeline.
#[allow(clippy::too_many_arguments)]
fn ingest_table(
    id: u32,
    path: &Path,
    display: &str,
    host: String,
    comp: Compression,
    stream: Box<dyn Read + Send>,
    cfg: &IngestConfig,
    fold_cfg: FoldCfg,
) -> (SourceReport, Option<InputError>) {
    // Memory bound: at most `window` chunks are between the reader and the
    // merger (being parsed, or parsed and waiting for an earlier one), so
    // chunk buffers take at most `window` × (chunk size + MAX_LINE), the
    // pool holds no more than that many spare, and the merger's pending
    // chunk results are fewer than `window`, however uneven the chunks'
    // costs are.
    let window = 2 * rayon::current_num_threads().max(1);
    let pool = BufPool::with_cap(window);
    let mode: OnceLock<bool> = OnceLock::new();
    let mut m0 = merge::Merger::with_store(id, cfg.keep, cfg.tz.as_ref(), cfg.strict, cfg.store.clone());
    let fold_cfg = &fold_cfg;
    m0.range = (fold_cfg.eph_lo, fold_cfg.eph_hi);
    m0.rows = cfg.rows.clone();
    m0.path = Arc::from(display);
    m0.default_time = host::sosreport_time(path);
    let merger = Mutex::new(m0);
    // Signalled when the merger takes a chunk, or when a worker panics.
    let progress = std::sync::Condvar::new();
    let aborted = std::sync::atomic::AtomicBool::new(false);
    let reader = Mutex::new(ChunkReader::new(stream, cfg.chunk_size, &pool));
    let forced = forced_table(cfg.format);
    {
        // The iterator stops early once --strict has failed, and waits
        // while the window is full.
        let chunks = std::iter::from_fn(|| {
            let mut r = reader.lock().ok()?;
            let next = r.chunks();
            let m = merger.lock().ok()?;
            let m = progress
                .wait_while(m, |m| {
                    !m.failed() && m.next_chunk() + window <= next && !aborted.load(Ordering::Acquire)
                })
                .ok()?;
            if m.failed() || aborted.load(Ordering::Acquire) {
                return None;
            }
            drop(m);
            let c = r.next()?;
            if c.index == 0 {
                let _ = mode.set(chunk::has_timestamps(c.data()));
            }
            Some(c)
        });
        chunks.par_bridge().for_each(|c| {
            // A panic here must not leave the reader waiting for this
            // chunk forever: flag it, wake the reader, then unwind.
            let work = std::panic::AssertUnwindSafe(|| {
                test_panic_hook(path);
                let wcfg = chunk::WorkerCfg {
                    forced,
                    timestamp_mode: mode.get().copied().unwrap_or(false),
                    keep: cfg.keep,
                    fold: fold_cfg.clone(),
                    source: id,
                    tz: cfg.tz.clone(),
                    rows: cfg.rows.is_some(),
                    socket_rows: cfg.rows.as_ref().and_then(|r| r.sockets()),
                    conntrack_rows: cfg.rows.as_ref().is_none_or(|r| r.conntrack_entries()),
                };
                let out = chunk::process(&c, &wcfg);
                if let Ok(mut m) = merger.lock() {
                    m.push(out);
                }
            });
            let result = std::panic::catch_unwind(work);
            pool.put(c.buf);
            if result.is_err() {
                aborted.store(true, Ordering::Release);
            }
            // Under the lock, so the reader cannot miss the wake-up
            // between its check and its wait.
            drop(merger.lock());
            progress.notify_all();
            if let Err(p) = result {
                std::panic::resume_unwind(p);
            }
        });
    }
    let reader = reader.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut m = merger.into_inner().unwrap_or_else(|e| e.into_inner());
    m.finish();

    let mut notes = Vec::new();
    for (line, text) in &m.messages {
        notes.push(format!("line {line}: the capturing tool said: {text}"));
    }
    for (what, n) in &m.time_notes {
        notes.push(format!("{what} ({n} snapshots without a time)"));
    }
    if m.empty_snapshots > 0 {
        notes.push(format!("{} timestamp lines had no table after them", m.empty_snapshots));
    }
    if m.defaulted > 0 {
        notes.push(format!(
            "{} snapshot{} without a time of {} own took the sosreport's collection time (sos_commands/date/date)",
            m.defaulted,
            if m.defaulted == 1 { "" } else { "s" },
            if m.defaulted == 1 { "its" } else { "their" }
        ));
    }
    let ct_rows = m.kinds_seen[Kind::Conntrack as usize];
    if let Some(t) = m.ct_trailer_total
        && t != ct_rows
    {
        notes.push(format!(
                "conntrack trailer lines report {t} flow entries but {ct_rows} entries were read; the capture may be cut short"
            ));
    }
    // Known limit: without timestamp lines, a conntrack listing is closed
    // by counting its rows against its trailer inside one chunk; a listing
    // that crosses an 8 MiB chunk edge merges with the next one.
    let chunked = reader.bytes > cfg.chunk_size as u64;
    if chunked && !mode.get().copied().unwrap_or(false) && m.ct_trailer_total.is_some() && m.snapshots > 1 {
        notes.push(
            "conntrack listings without timestamp lines: one that crosses an 8 MiB chunk edge is merged with the \
             next; add `date` to the capture loop for exact snapshots"
                .to_string(),
        );
    }
    let truncated = m.truncated_addrs;
    if truncated > 0 {
        notes.push(format!(
            "{truncated} rows have addresses cut by netstat's column width (capture with netstat -W for full IPv6 addresses)"
        ));
    }
    let mut err = reader.error.map(|e| decompress_or_io(path, comp, reader.bytes, e));
    if cfg.strict
        && let Some(s) = m.first_reject.clone()
    {
        err = Some(InputError::Rejected {
            path: path.to_path_buf(),
            line: s.line,
            reason: s.reason,
            text: s.text,
        });
    }
    let mut formats: Vec<&str> =
        Kind::ALL.iter().filter(|k| m.kinds_seen[**k as usize] > 0).map(|k| k.name()).collect();
    if m.sockstat_lines > 0 {
        formats.push("ss-summary");
    }
    let format = if formats.is_empty() { "empty".to_string() } else { formats.join("+") };
    let rep = SourceReport {
        id,
        path: display.to_string(),
        host,
        format,
        compression: comp.name(),
        encoding: None,
        language: None,
        bytes: reader.bytes,
        lines: LinesReport {
            total: m.counts.total,
            parsed: m.counts.parsed,
            structural: m.counts.structural,
            ignored: m.counts.ignored,
            rejected: m.counts.rejected,
            rejected_by_reason: m.rejects.by_reason.clone(),
            rejected_samples: m.rejects.samples.clone(),
        },
        snapshots: m.snapshots as usize,
        notes,
        error: None,
    };
    (rep, err)
}

/// How a companion-file line was taken.
enum Taken {
    Parsed,
    Structural,
    /// Recognized and deliberately not modelled (other kernel messages).
    Ignored,
    Rejected,
}

/// Reads a small companion file line by line (sysctl, conntrack stats).
#[allow(clippy::too_many_arguments)]
fn ingest_lines(
    id: u32,
    path: &Path,
    display: &str,
    host: String,
    comp: Compression,
    stream: Box<dyn Read + Send>,
    format: &str,
    mut take: impl FnMut(&[u8]) -> Taken,
) -> (SourceReport, Option<InputError>) {
    let pool = BufPool::default();
    let mut reader = ChunkReader::new(stream, read::CHUNK_SIZE, &pool);
    let mut counts = LineCounts::default();
    let mut rejects = chunk::RejectLog::default();
    for c in reader.by_ref() {
        if let Some(bytes) = c.long_line {
            counts.total += 1;
            counts.rejected += 1;
            rejects.add_sized(counts.total, c.data(), bytes, RejectReason::LineTooLong);
            pool.put(c.buf);
            continue;
        }
        for line in read::lines(c.data()) {
            counts.total += 1;
            match take(line) {
                Taken::Parsed => counts.parsed += 1,
                Taken::Structural => counts.structural += 1,
                Taken::Ignored => counts.ignored += 1,
                Taken::Rejected => {
                    counts.rejected += 1;
                    rejects.add(counts.total, line, RejectReason::Unrecognized);
                }
            }
        }
        pool.put(c.buf);
    }
    let err = reader.error.take().map(|e| decompress_or_io(path, comp, reader.bytes, e));
    let rep = SourceReport {
        id,
        path: display.to_string(),
        host,
        format: format.to_string(),
        compression: comp.name(),
        encoding: None,
        language: None,
        bytes: reader.bytes,
        lines: LinesReport {
            total: counts.total,
            parsed: counts.parsed,
            structural: counts.structural,
            ignored: counts.ignored,
            rejected: counts.rejected,
            rejected_by_reason: rejects.by_reason,
            rejected_samples: rejects.samples,
        },
        snapshots: 0,
        notes: Vec::new(),
        error: None,
    };
    (rep, err)
}

/// Reads a `sysctl -a` capture.
fn ingest_sysctl(
    id: u32,
    path: &Path,
    display: &str,
    host: String,
    comp: Compression,
    stream: Box<dyn Read + Send>,
) -> (SourceReport, SysctlMap, Option<InputError>) {
    use crate::parse::sysctl::{SysctlLine, kept, parse_line};
    let mut map = SysctlMap::default();
    let mut in_value = false;
    let (rep, err) =
        ingest_lines(id, path, display, host, comp, stream, "sysctl", |line| match parse_line(line) {
            SysctlLine::Entry { key, value } => {
                // First value wins: repeated keys (dev.cdrom.info) are
                // multi-line values, not updates.
                // Parsed either way; only the keys the passes read are kept
                // (a fleet's per-interface keys would not fit).
                if kept(key) {
                    map.insert_first(&String::from_utf8_lossy(key), &String::from_utf8_lossy(value));
                }
                in_value = true;
                Taken::Parsed
            }
            // FreeBSD multi-line values (vm.phys_segs) contain blank lines.
            SysctlLine::Blank => Taken::Structural,
            SysctlLine::Message => {
                in_value = false;
                Taken::Structural
            }
            // Continuation of a multi-line value (FreeBSD XML and tables):
            // text after an entry. Binary data and socket rows never are.
            SysctlLine::Other
                if in_value
                    && std::str::from_utf8(line).is_ok()
                    && !matches!(
                        crate::parse::classify(line, &mut crate::parse::LineState::new(None)),
                        crate::parse::Line::Socket(_) | crate::parse::Line::Conntrack(_)
                    ) =>
            {
                Taken::Parsed
            }
            SysctlLine::Other => Taken::Rejected,
        });
    map.shrink_to_fit();
    (rep, map, err)
}

/// Reads `/proc/net/stat/nf_conntrack` or `conntrack -S`.
fn ingest_ctstat(
    id: u32,
    path: &Path,
    display: &str,
    host: String,
    comp: Compression,
    stream: Box<dyn Read + Send>,
) -> (SourceReport, BTreeMap<String, u64>, Option<InputError>) {
    use crate::parse::ctstat::{CtStatLine, CtStats, parse_line};
    let mut stats = CtStats::default();
    let (rep, err) = ingest_lines(id, path, display, host, comp, stream, "conntrack-stat", |line| {
        let l = parse_line(line);
        match l {
            CtStatLine::Blank => Taken::Structural,
            CtStatLine::Header(_) => {
                stats.add(&l);
                Taken::Structural
            }
            _ if stats.add(&l) => Taken::Parsed,
            _ => Taken::Rejected,
        }
    });
    (rep, stats.counters, err)
}

/// Most kernel log events kept per source (a flood logs the same line
/// thousands of times; the count is in the notes).
const MAX_EVENTS: usize = 1000;

/// Reads a kernel log: the messages that explain socket-table symptoms
/// are parsed; every other log line is ignored by design.
fn ingest_kernel_log(
    id: u32,
    path: &Path,
    display: &str,
    host: String,
    comp: Compression,
    stream: Box<dyn Read + Send>,
) -> (SourceReport, Vec<(u64, String, crate::parse::kernlog::KernelEvent)>, Option<InputError>) {
    use crate::parse::kernlog::{KernLogLine, parse_line};
    let mut events = Vec::new();
    let (mut line_no, mut dropped) = (0u64, 0u64);
    let (mut rep, err) = ingest_lines(id, path, display, host, comp, stream, "kernel-log", |line| {
        line_no += 1;
        match parse_line(line) {
            KernLogLine::Event { event, .. } => {
                if events.len() < MAX_EVENTS {
                    let text = String::from_utf8_lossy(line).trim_end().to_string();
                    events.push((line_no, text, event));
                } else {
                    dropped += 1;
                }
                Taken::Parsed
            }
            KernLogLine::Log => Taken::Ignored,
            KernLogLine::Blank => Taken::Structural,
            KernLogLine::Other => Taken::Rejected,
        }
    });
    if dropped > 0 {
        rep.notes.push(format!(
            "{dropped} more kernel messages of interest beyond the first {MAX_EVENTS} were counted, not kept"
        ));
    }
    (rep, events, err)
}

/// Reads protocol counters (`netstat -s`, `nstat`, `/proc/net/netstat`),
/// one sample per run of a capture loop.
fn ingest_counters(
    id: u32,
    path: &Path,
    display: &str,
    host: String,
    comp: Compression,
    stream: Box<dyn Read + Send>,
) -> (SourceReport, Vec<BTreeMap<String, u64>>, Option<InputError>) {
    use crate::parse::netstat_s::{CounterLine, CounterParser, CounterSamples};
    let mut parser = CounterParser::new();
    let mut samples = CounterSamples::new();
    let mut st = crate::parse::LineState::new(None);
    let (rep, err) = ingest_lines(id, path, display, host, comp, stream, "counters", |line| {
        let l = parser.parse_line(line);
        match &l {
            CounterLine::Counter { .. } | CounterLine::Counters(_) => {
                samples.add(&l);
                Taken::Parsed
            }
            CounterLine::Group(_) | CounterLine::Header | CounterLine::Text | CounterLine::Blank => {
                Taken::Structural
            }
            CounterLine::Other => match crate::parse::classify(line, &mut st) {
                // `date` between the samples of a loop.
                crate::parse::Line::Structure(crate::parse::Structure::Timestamp(_)) => {
                    samples.split();
                    Taken::Structural
                }
                // Titles, banners and tool messages between the samples
                // (OSWatcher's `Linux OSWbb v8.0.1`, `Kernel Interface table`).
                crate::parse::Line::Structure(_) => Taken::Structural,
                // Rows of a table sockscope does not model: `netstat -i`'s
                // interfaces, which OSWatcher puts before `netstat -s`.
                crate::parse::Line::Ignored(_) => Taken::Ignored,
                _ => Taken::Rejected,
            },
        }
    });
    (rep, samples.samples, err)
}
