//! Parser and summary-path throughput on the bundled samples (MB/s).
//!
//! `cargo bench --bench parse`. The large-input comparison against mawk and
//! jc is `benches/compare.sh`; these benches track the per-format hot paths.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sockscope::ingest::chunk::{WorkerCfg, process_chunk};
use sockscope::parse::{LineState, classify};

fn sample(path: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples").join(path);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Repeats a capture to ~4 MiB so one iteration is a realistic chunk.
fn chunk_of(path: &str) -> Vec<u8> {
    let one = sample(path);
    let mut out = Vec::with_capacity(4 << 20);
    while out.len() < 4 << 20 {
        out.extend_from_slice(&one);
    }
    out
}

fn bench_formats(c: &mut Criterion) {
    let mut g = c.benchmark_group("classify_and_fold");
    for (name, path) in [
        ("ss_tan", "web-1/ss-tan.txt"),
        ("ss_tanpmi", "web-1/ss-tanpmi.txt"),
        ("netstat_an", "web-1/netstat-an.txt"),
        ("netstat_neopa", "web-1/netstat-W-neopa.txt"),
        ("conntrack_extended", "web-1/conntrack-L-o-extended.txt"),
        ("ss_loop", "web-1/ss-loop.log"),
    ] {
        let data = chunk_of(path);
        g.throughput(Throughput::Bytes(data.len() as u64));
        let cfg = WorkerCfg { timestamp_mode: name.ends_with("loop"), keep: 10, ..Default::default() };
        g.bench_function(name, |b| b.iter(|| black_box(process_chunk(0, black_box(&data), &cfg))));
    }
    g.finish();

    // `report` folds whole records (flows, listeners, processes) through the
    // general classifier; `summary` above takes the fast lane for common rows.
    let mut g = c.benchmark_group("classify_and_fold_detail");
    for (name, path) in [("ss_tan", "web-1/ss-tan.txt"), ("netstat_an", "web-1/netstat-an.txt")] {
        let data = chunk_of(path);
        g.throughput(Throughput::Bytes(data.len() as u64));
        let cfg = WorkerCfg {
            keep: 50,
            fold: sockscope::fold::FoldCfg { detail: true, ..Default::default() },
            ..Default::default()
        };
        g.bench_function(name, |b| b.iter(|| black_box(process_chunk(0, black_box(&data), &cfg))));
    }
    g.finish();

    let mut g = c.benchmark_group("classify_only");
    let data = chunk_of("web-1/ss-tan.txt");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("ss_tan", |b| {
        b.iter(|| {
            let mut st = LineState::new(None);
            let mut n = 0usize;
            for l in data.split(|&b| b == b'\n') {
                if matches!(classify(l, &mut st), sockscope::parse::Line::Socket(_)) {
                    n += 1;
                }
            }
            black_box(n)
        })
    });
    g.finish();
}

criterion_group!(benches, bench_formats);
criterion_main!(benches);
