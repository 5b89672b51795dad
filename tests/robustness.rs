//! Hostile and broken inputs: never a panic, every line accounted for.

use std::io::Write;

use proptest::prelude::*;

use crate::util::{assert_accounting, sockscope, summary_json};

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn empty_file_is_read_as_empty() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "empty.log", b"");
    let doc = summary_json(&[&p]);
    assert_eq!(doc["sources"][0]["lines"]["total"], 0);
    assert_eq!(doc["sources"][0]["format"], "empty");
}

#[test]
fn binary_garbage_is_an_unknown_format_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let bytes: Vec<u8> = (0..20_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let p = write(&dir, "garbage.bin", &bytes);
    sockscope().args(["summary", &p]).assert().code(2).stderr(predicates::str::contains("garbage.bin"));
    // Forced, it is read line by line and every line is accounted.
    let doc = summary_json(&["--input-format", "ss", &p]);
    assert_accounting(&doc);
    assert!(doc["sources"][0]["lines"]["rejected"].as_u64().unwrap() > 0);
}

#[test]
fn crlf_non_utf8_and_unterminated_last_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = b"State Recv-Q Send-Q Local Address:Port Peer Address:Port\r\n".to_vec();
    text.extend_from_slice(b"ESTAB 0 0 10.0.0.1:22 10.0.0.2:5000 users:((\"caf\xe9\",pid=1,fd=3))\r\n");
    text.extend_from_slice(b"ESTAB 0 0 10.0.0.1:22 10.0.0.3:5001");
    let p = write(&dir, "crlf.log", &text);
    let doc = summary_json(&[&p]);
    assert_accounting(&doc);
    assert_eq!(doc["sources"][0]["lines"]["parsed"], 2);
    assert_eq!(doc["sources"][0]["lines"]["rejected"], 0);
}

#[test]
fn a_one_megabyte_line_is_rejected_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = b"ESTAB 0 0 10.0.0.1:22 10.0.0.2:5000\n".to_vec();
    text.extend(std::iter::repeat_n(b'x', 1 << 20));
    text.extend_from_slice(b"\nESTAB 0 0 10.0.0.1:22 10.0.0.2:5001\n");
    let p = write(&dir, "long.log", &text);
    let doc = summary_json(&[&p]);
    assert_accounting(&doc);
    let l = &doc["sources"][0]["lines"];
    assert_eq!((l["parsed"].as_u64(), l["rejected"].as_u64()), (Some(2), Some(1)));
    assert_eq!(l["rejected_samples"][0]["reason"], "line_too_long");
}

#[test]
fn truncated_gzip_reports_the_damage_and_keeps_what_was_read() {
    let dir = tempfile::tempdir().unwrap();
    let plain = std::fs::read("samples/web-1/ss-loop.log").unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&plain).unwrap();
    let packed = gz.finish().unwrap();
    let p = write(&dir, "cut.log.gz", &packed[..packed.len() / 2]);
    let out = sockscope().args(["summary", "--format", "json", &p]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cut.log.gz") && err.contains("gzip"), "{err}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!doc["snapshots"].as_array().unwrap().is_empty(), "what was read before the damage is kept");
    assert!(doc["sources"][0]["error"].as_str().unwrap().contains("gzip"));
}

#[test]
fn unreadable_directory_entry_does_not_stop_the_run() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir, "ss-tan.txt", &std::fs::read("samples/db-1/ss-tan.txt").unwrap());
    let doc = summary_json(&[dir.path().to_str().unwrap()]);
    assert_eq!(doc["sources"].as_array().unwrap().len(), 1);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Any bytes, cut into any chunk size: no panic, and the accounting
    /// adds up to the line count.
    #[test]
    fn any_input_any_chunking_is_accounted(
        lines in proptest::collection::vec(
            prop_oneof![
                Just("ESTAB 0 0 10.0.0.1:22 10.0.0.2:5000".to_string()),
                Just("tcp        0      0 10.0.0.1:22  10.0.0.2:5  TIME_WAIT".to_string()),
                Just("tcp      6 117 TIME_WAIT src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [ASSURED] mark=0 use=2".to_string()),
                Just("Active UNIX domain sockets (servers and established)".to_string()),
                Just("Active Internet connections (servers and established)".to_string()),
                Just("Tue Mar  5 10:00:00 UTC 2024".to_string()),
                Just("\t skmem:(r0,rb87380)".to_string()),
                Just(String::new()),
                "[ -~]{0,80}",
                proptest::collection::vec(any::<u8>(), 0..40).prop_map(|v| String::from_utf8_lossy(&v).into_owned()),
            ],
            0..60,
        ),
        chunk in 1usize..400,
        max_line in 1usize..120,
    ) {
        use sockscope::ingest::{chunk::{process, WorkerCfg}, merge::Merger, read::{BufPool, ChunkReader}};
        let text = lines.join("\n");
        let pool = BufPool::default();
        let mut m = Merger::new(0, 5, None, false);
        let cfg = WorkerCfg { keep: 5, ..Default::default() };
        // Small line limits: some lines are too long to keep, and are still
        // counted once each.
        for c in ChunkReader::new(text.as_bytes(), chunk, &pool).max_line(max_line) {
            prop_assert!(c.buf.capacity() <= chunk + max_line + 1 || c.buf.capacity() <= 1024);
            m.push(process(&c, &cfg));
        }
        m.finish();
        let c = m.counts;
        prop_assert_eq!(c.parsed + c.structural + c.ignored + c.rejected, c.total);
        let expected = text.bytes().filter(|&b| b == b'\n').count() as u64 + u64::from(!text.is_empty() && !text.ends_with('\n'));
        prop_assert_eq!(c.total, expected);
    }
}
