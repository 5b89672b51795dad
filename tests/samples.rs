//! The bundled real captures against the counts taken at capture time
//! (`samples/EXPECTED.json`, made with the tools' own filters, never by
//! parsing the files).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::util::{assert_accounting, samples, summary_json};

fn expected() -> Value {
    let text = std::fs::read_to_string(samples().join("EXPECTED.json")).expect("samples/EXPECTED.json");
    serde_json::from_str(&text).expect("valid EXPECTED.json")
}

/// Snapshots of one source, by kind, in order.
fn snapshots<'a>(doc: &'a Value, path: &str, kind: &str) -> Vec<&'a Value> {
    doc["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["source"].as_str().unwrap().ends_with(path) && s["kind"] == kind)
        .collect()
}

fn states(v: &Value) -> BTreeMap<String, u64> {
    v.as_object().unwrap().iter().map(|(k, n)| (k.clone(), n.as_u64().unwrap())).collect()
}

/// Every expected state count equals ours (states we report beyond the
/// expected keys must be zero).
fn assert_states(ours: &Value, theirs: &Value, what: &str) {
    let ours = states(ours);
    for (k, n) in states(theirs) {
        assert_eq!(ours.get(&k).copied().unwrap_or(0), n, "{what}: state {k}");
    }
}

#[test]
fn every_sample_line_is_accounted_and_none_rejected() {
    let doc = summary_json(&["samples"]);
    assert_accounting(&doc);
    let sources = doc["sources"].as_array().unwrap();
    assert!(sources.len() >= 50, "all sample files read: {}", sources.len());
    for s in sources {
        assert_eq!(s["lines"]["rejected"], 0, "{}: {}", s["path"], s["lines"]["rejected_samples"]);
        assert!(s["error"].is_null(), "{}", s["error"]);
    }
    // README.md, capture.sh, sockets.py and EXPECTED.json are not captures.
    assert_eq!(doc["skipped"].as_array().unwrap().len(), 4, "{}", doc["skipped"]);
}

#[test]
fn single_snapshot_files_match_the_capture_time_counts() {
    let doc = summary_json(&["samples"]);
    let exp = expected();
    let mut checked = 0;
    for f in exp["files"].as_array().unwrap() {
        if f["kind"] != "snapshot" {
            continue;
        }
        let path = f["path"].as_str().unwrap();
        let cmd = f["command"].as_str().unwrap();
        let tcp = &f["tcp"];
        if path.contains("/ss-") && !path.ends_with("ss-s.txt") || path.contains("/netstat-") {
            let kind = if path.contains("/ss-") { "ss" } else { "netstat" };
            let snaps = snapshots(&doc, path, kind);
            assert_eq!(snaps.len(), 1, "{path}");
            let s = snaps[0];
            assert_eq!(s["protocols"]["tcp"], tcp["total"], "{path} ({cmd}): TCP sockets");
            assert_states(&s["states"], &tcp["states"], path);
            if cmd.contains('u')
                && f["udp"]["total"].as_u64().unwrap_or(0) > 0
                && !cmd.contains("-t ")
                && (cmd == "ss -a"
                    || cmd == "netstat -an"
                    || cmd.contains("-tunap")
                    || cmd.contains("-neopa"))
            {
                assert_eq!(s["protocols"]["udp"], f["udp"]["total"], "{path}: UDP sockets");
            }
            checked += 1;
        } else if path.contains("conntrack") {
            let snaps = snapshots(&doc, path, "conntrack");
            assert_eq!(snaps.len(), 1, "{path}: one listing, even with the trailer inside a row");
            let s = snaps[0];
            let ct = &f["conntrack"];
            assert_eq!(s["total"], ct["listed"], "{path}: entries");
            assert_eq!(s["protocols"]["tcp"], ct["tcp"], "{path}: tcp entries");
            assert_eq!(s["conntrack"]["assured"], ct["assured"], "{path}: [ASSURED]");
            assert_eq!(s["conntrack"]["unreplied"], ct["unreplied"], "{path}: [UNREPLIED]");
            assert_states(&s["states"], &ct["tcp_states"], path);
            checked += 1;
        } else if path.ends_with("ss-s.txt") {
            let snaps = snapshots(&doc, path, "ss");
            assert_eq!(snaps.len(), 1, "{path}");
            assert_eq!(snaps[0]["from_counters"], true);
            checked += 1;
        }
    }
    assert!(checked >= 40, "checked {checked} files");
}

#[test]
fn capture_loops_split_into_timed_snapshots_with_exact_counts() {
    let doc = summary_json(&["samples"]);
    let exp = expected();
    let mut loops = 0;
    for f in exp["files"].as_array().unwrap() {
        if f["kind"] != "loop" {
            continue;
        }
        loops += 1;
        let path = f["path"].as_str().unwrap();
        let kind = if f["command"].as_str().unwrap().contains("netstat") { "netstat" } else { "ss" };
        let snaps = snapshots(&doc, path, kind);
        let per = f["per_snapshot"].as_array().unwrap();
        assert_eq!(snaps.len(), per.len(), "{path}: snapshots");
        assert_eq!(snaps.len() as u64, f["snapshots"].as_u64().unwrap());
        for (s, e) in snaps.iter().zip(per) {
            assert_eq!(s["total"], e["tcp_total_wc"], "{path} #{}: sockets", s["index"]);
            assert_states(&s["states"], &e["tcp_states"], &format!("{path} #{}", s["index"]));
            assert!(s["time"].is_string(), "{path}: every snapshot has its date line's time");
            if let Some(n) = e["conntrack_listed"].as_u64() {
                let ct = snapshots(&doc, path, "conntrack");
                let c = ct.iter().find(|c| c["index"] == s["index"]).expect("conntrack part of the snapshot");
                assert_eq!(c["total"].as_u64().unwrap(), n, "{path} #{}: conntrack entries", s["index"]);
            }
        }
        // Times increase and parse as RFC 3339.
        let times: Vec<chrono::DateTime<chrono::FixedOffset>> = snaps
            .iter()
            .map(|s| chrono::DateTime::parse_from_rfc3339(s["time"].as_str().unwrap()).unwrap())
            .collect();
        assert!(times.windows(2).all(|w| w[0] < w[1]), "{path}: times increase");
    }
    assert!(loops >= 4);
}

#[test]
fn compressed_copies_read_like_the_originals() {
    for (plain, packed) in
        [("web-1/ss-loop.log", "web-1/ss-loop.log.gz"), ("client-1/ss-loop.log", "client-1/ss-loop.log.zst")]
    {
        let a = summary_json(&[&format!("samples/{plain}")]);
        let b = summary_json(&[&format!("samples/{packed}")]);
        let strip = |d: &Value| -> Vec<(Value, Value, Value)> {
            d["snapshots"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| (s["time"].clone(), s["states"].clone(), s["top_remote"].clone()))
                .collect()
        };
        assert_eq!(strip(&a), strip(&b), "{packed}");
        assert_eq!(a["sources"][0]["lines"], b["sources"][0]["lines"]);
        let c = b["sources"][0]["compression"].as_str().unwrap();
        assert!(c == "gzip" || c == "zstd");
    }
}

#[test]
fn host_comes_from_the_directory_of_a_tool_named_file() {
    let doc = summary_json(&["samples/web-1/ss-tan.txt", "samples/db-1/netstat-an.txt"]);
    let hosts: Vec<&str> =
        doc["sources"].as_array().unwrap().iter().map(|s| s["host"].as_str().unwrap()).collect();
    assert_eq!(hosts, ["web-1", "db-1"]);
    let doc = summary_json(&["--host", "edge-7", "samples/web-1/ss-tan.txt"]);
    assert_eq!(doc["snapshots"][0]["host"], "edge-7");
}
