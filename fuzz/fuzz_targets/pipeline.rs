//! Decompression (plain, gzip, zstd, chosen by magic bytes) and the whole
//! chunk pipeline: chunks of a size and line limit taken from the input,
//! parsed and folded with and without the report's detail, merged in order.
//! The line accounting must add up to the decompressed line count.
#![no_main]

use std::io::Read;

use libfuzzer_sys::fuzz_target;
use sockscope::fold::FoldCfg;
use sockscope::ingest::chunk::{WorkerCfg, has_timestamps, process};
use sockscope::ingest::merge::Merger;
use sockscope::ingest::read::{BufPool, ChunkReader, decoded};

fuzz_target!(|input: &[u8]| {
    let Some((&knobs, data)) = input.split_first() else { return };
    let chunk = 1 + usize::from(knobs & 0x3f) * 7;
    let max_line = 1 + usize::from(knobs >> 6) * 50;
    let detail = knobs & 1 == 1;

    // Decompress once to know the true line count.
    let Ok((mut stream, _)) = decoded(Box::new(std::io::Cursor::new(data.to_vec()))) else { return };
    let mut plain = Vec::new();
    let _ = stream.by_ref().take(4 << 20).read_to_end(&mut plain);

    let pool = BufPool::default();
    let mut m = Merger::new(0, 5, None, false);
    let cfg = WorkerCfg {
        timestamp_mode: has_timestamps(&plain),
        keep: 5,
        fold: FoldCfg { detail, ..FoldCfg::default() },
        ..WorkerCfg::default()
    };
    let mut reader = ChunkReader::new(&plain[..], chunk, &pool).max_line(max_line);
    for c in reader.by_ref() {
        assert!(c.buf.capacity() <= (chunk + max_line + 1).max(1024), "buffer past its bound");
        m.push(process(&c, &cfg));
        pool.put(c.buf);
    }
    m.finish();
    let c = m.counts;
    assert_eq!(c.parsed + c.structural + c.ignored + c.rejected, c.total);
    let expected = plain.iter().filter(|&&b| b == b'\n').count() as u64
        + u64::from(!plain.is_empty() && !plain.ends_with(b"\n"));
    assert_eq!(c.total, expected);
    assert_eq!(reader.bytes, plain.len() as u64);
    // Every snapshot numbered went to the store, in order, once.
    let snaps = m.store().table(&sockscope::table::snapshots::SCHEMA, None).unwrap();
    let idx: Vec<u32> = snaps.column("index").unwrap().u32().unwrap().iter().flatten().collect();
    let mut seen = idx.clone();
    seen.dedup();
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "snapshot indexes out of order: {idx:?}");
    assert_eq!(seen.len() as u32, m.snapshots);
});
