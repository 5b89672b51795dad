//! Regressions from the code review of the first sessions, one test each,
//! with the offending input inline.

use sockscope::ingest::chunk::{WorkerCfg, process_chunk};
use sockscope::ingest::merge::Merger;
use sockscope::ingest::read::{BufPool, ChunkReader};

use crate::util::{sockscope, summary_json};

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

/// Runs the chunk pipeline with tiny chunks, sequentially.
fn snapshots_with_chunk(text: &str, chunk: usize, timestamp_mode: bool) -> usize {
    let pool = BufPool::default();
    let mut m = Merger::new(0, 5, None, false);
    let cfg = WorkerCfg { timestamp_mode, keep: 5, ..Default::default() };
    for c in ChunkReader::new(text.as_bytes(), chunk, &pool) {
        m.push(process_chunk(c.index, c.data(), &cfg));
    }
    m.finish();
    m.snapshots as usize
}

#[test]
fn tools_after_netstats_unix_section_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "h.log",
        "Tue Mar  5 10:00:00 UTC 2024\nActive Internet connections (servers and established)\nProto Recv-Q Send-Q Local Address           Foreign Address         State\ntcp        0      0 10.0.0.1:22             10.0.0.2:5000           ESTABLISHED\nActive UNIX domain sockets (servers and established)\nProto RefCnt Flags       Type       State         I-Node   Path\nunix  2      [ ACC ]     STREAM     LISTENING     977      /run/x\ntcp      6 117 TIME_WAIT src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [ASSURED] mark=0 use=2\nconntrack v1.4.7 (conntrack-tools): 1 flow entries have been shown.\nTotal: 192\nTCP:   407 (estab 162, closed 229, orphaned 3, timewait 24)\n",
    );
    let doc = summary_json(&[&p]);
    let kinds: Vec<&str> =
        doc["snapshots"].as_array().unwrap().iter().map(|s| s["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["netstat", "conntrack"]);
    assert_eq!(doc["snapshots"][0]["sockstat"]["total"], 192);
    assert_eq!(doc["sources"][0]["lines"]["ignored"], 1);
}

#[test]
fn a_conntrack_trailer_does_not_split_the_next_loop_iteration() {
    // `ss -tan; conntrack -L 2>&1` in a loop without timestamps.
    let iteration = "State Recv-Q Send-Q Local Address:Port Peer Address:Port\nESTAB 0 0 10.0.0.1:22 10.0.0.2:5000\ntcp      6 117 TIME_WAIT src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [ASSURED] mark=0 use=2\nconntrack v1.4.7 (conntrack-tools): 1 flow entries have been shown.\n";
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "h.log", &iteration.repeat(3));
    let doc = summary_json(&[&p]);
    let idx: Vec<(u64, &str)> = doc["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["index"].as_u64().unwrap(), s["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(idx, [(0, "ss"), (0, "conntrack"), (1, "ss"), (1, "conntrack"), (2, "ss"), (2, "conntrack")]);
}

#[test]
fn every_ss_s_sample_is_a_snapshot_whatever_the_chunking() {
    let sample = "Total: 192\nTCP:   407 (estab 162, closed 229, orphaned 3, timewait 24)\n\nTransport Total     IP        IPv6\nRAW\t  0         0         0\n";
    let text = sample.repeat(40);
    for chunk in [1, 7, 30, 64, 100, 333] {
        assert_eq!(snapshots_with_chunk(&text, chunk, false), 40, "chunk {chunk}");
    }
}

#[test]
fn listeners_after_their_connections_still_make_them_inbound() {
    // `ss -tn; ss -tln`: the LISTEN row on an ephemeral-range port comes last.
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "h.log",
        "State Recv-Q Send-Q Local Address:Port Peer Address:Port\nESTAB 0 0 10.0.0.1:40000 10.9.0.1:50000\nESTAB 0 0 10.0.0.1:40000 10.9.0.2:50001\nLISTEN 0 128 0.0.0.0:40000 0.0.0.0:*\n",
    );
    let out = dir.path().join("r");
    sockscope().args(["report", &p, "-o"]).arg(&out).assert().success();
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    let row = md.lines().find(|l| l.starts_with("| inbound |")).expect("inbound row");
    assert!(row.contains("| 2 |"), "{row}");
    assert!(!md.contains("| outbound |"), "{md}");
}

#[test]
fn bsd_endpoints_of_eighteen_characters_keep_their_port_without_dash_a() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "mac.log",
        "Active Internet connections\nProto Recv-Q Send-Q  Local Address          Foreign Address        (state)\ntcp4       0      0  192.168.1.33.64330     17.57.146.20.443       ESTABLISHED\n",
    );
    let doc = summary_json(&[&p]);
    assert_eq!(doc["snapshots"][0]["top_local_ports"][0]["port"], 64330);
    assert!(doc["sources"][0]["notes"].as_array().unwrap().is_empty(), "{}", doc["sources"][0]["notes"]);
}

#[test]
fn text_before_a_trailer_is_not_glued_to_the_next_row() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "ct.log",
        "=== conntrack v1.4.7 (conntrack-tools): 1 flow entries have been shown.\ntcp      6 117 TIME_WAIT src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [ASSURED] mark=0 use=2\n",
    );
    let doc = summary_json(&[&p]);
    let l = &doc["sources"][0]["lines"];
    assert_eq!((l["total"].as_u64(), l["parsed"].as_u64()), (Some(2), Some(1)), "{l}");
}

#[test]
fn ss_i_captures_with_rulers_are_recognized() {
    let mut text = String::new();
    for i in 0..5 {
        text.push_str(&format!("-----\nTue Mar  5 10:00:0{i} UTC 2024\nState Recv-Q Send-Q Local Address:Port Peer Address:Port\nESTAB 0 0 10.0.0.1:22 10.0.0.2:5000\n\t cubic wscale:7,7 rto:204 rtt:0.05/0.02\n"));
    }
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "web-9.log", &text);
    let doc = summary_json(&[&p]);
    assert_eq!(doc["snapshots"].as_array().unwrap().len(), 5);
}

#[test]
fn report_anchors_and_chart_files_are_unique() {
    let dir = tempfile::tempdir().unwrap();
    let deep = dir.path().join("a-very-long-directory-name-for-captures/and-another-long-one/third-level");
    std::fs::create_dir_all(&deep).unwrap();
    let p = deep.join("mixed.log");
    std::fs::write(&p, std::fs::read("samples/db-1/ss-conntrack-loop.log").unwrap()).unwrap();
    let out = dir.path().join("r");
    sockscope().args(["report"]).arg(&p).arg("-o").arg(&out).assert().success();
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    let mut ids: Vec<&str> = html
        .match_indices("id=\"")
        .map(|(i, _)| &html[i + 4..i + 4 + html[i + 4..].find('"').unwrap()])
        .collect();
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n, "duplicate anchors");
}

#[test]
fn sysctl_junk_after_an_entry_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "web-3-sysctl.conf",
        "net.core.somaxconn = 4096\n\nthis is prose, not sysctl\nnet.ipv4.tcp_fin_timeout = 60\ntcp 0 0 1.2.3.4:5 6.7.8.9:10 ESTABLISHED\n",
    );
    let doc = summary_json(&["--input-format", "sysctl", &p]);
    // Prose after an entry may be a FreeBSD multi-line value; a socket row
    // never is.
    assert_eq!(doc["sources"][0]["lines"]["rejected"], 1);
    assert_eq!(doc["sources"][0]["lines"]["rejected_samples"][0]["line"], 5);
}

#[test]
fn ss_s_snapshots_report_only_the_states_it_counts() {
    let doc = summary_json(&["samples/web-1/ss-s.txt"]);
    let states: Vec<&String> = doc["snapshots"][0]["states"].as_object().unwrap().keys().collect();
    assert_eq!(states, ["ESTABLISHED", "TIME_WAIT"]);
}

/// A FIFO (or `<(…)`) can be read only once: it must not be sniffed in one
/// pass and read again in another (that lost the first 64 KiB).
#[cfg(unix)]
#[test]
fn a_fifo_is_read_once_and_whole() {
    // Larger than the 64 KiB the sniffer reads, so a second read would miss it.
    let dir = tempfile::tempdir().unwrap();
    let sample = dir.path().join("big.txt");
    let one = std::fs::read(crate::util::samples().join("web-1/ss-tan.txt")).unwrap();
    std::fs::write(&sample, one.repeat(256 * 1024 / one.len() + 1)).unwrap();
    let fifo = dir.path().join("capture");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mkfifo unavailable");
        return;
    }
    for cmd in ["summary", "report"] {
        let writer = {
            let (fifo, sample) = (fifo.clone(), sample.clone());
            std::thread::spawn(move || std::fs::write(&fifo, std::fs::read(&sample).unwrap()).unwrap())
        };
        let mut c = crate::util::sockscope();
        c.arg(cmd).arg(&fifo);
        if cmd == "summary" {
            c.args(["--format", "json"]);
        } else {
            c.arg("-o").arg(dir.path().join("r")).arg("--force");
        }
        let out = c.output().unwrap();
        writer.join().unwrap();
        assert!(out.status.success(), "{cmd}: {}", String::from_utf8_lossy(&out.stderr));
        let doc: serde_json::Value = if cmd == "summary" {
            serde_json::from_slice(&out.stdout).unwrap()
        } else {
            serde_json::from_slice(&std::fs::read(dir.path().join("r/summary.json")).unwrap()).unwrap()
        };
        let want = std::fs::read(&sample).unwrap();
        assert_eq!(doc["sources"][0]["bytes"], want.len() as u64, "{cmd}");
        assert_eq!(doc["sources"][0]["lines"]["total"], crate::util::line_count(&want), "{cmd}");
        assert_eq!(doc["sources"][0]["lines"]["rejected"], 0, "{cmd}");
    }
}

/// Every table a run writes must not depend on where chunks end: workers
/// write the snapshots complete inside their chunk and keep the others
/// open for the merger, which numbers them all.
#[test]
fn tables_do_not_depend_on_chunk_edges() {
    // ss rows per snapshot, and conntrack entries (0: none in that one).
    let ss = [3usize, 1, 5, 5, 2, 7, 1, 7, 4, 2, 6, 1];
    let ct = [2usize, 0, 4, 1, 0, 0, 6, 2, 0, 3, 0, 0];
    let mut text = String::new();
    for (i, (s, c)) in ss.iter().zip(ct).enumerate() {
        text.push_str(&format!("Tue Mar  5 10:{i:02}:00 UTC 2024\n"));
        text.push_str("State  Recv-Q Send-Q Local Address:Port Peer Address:Port\n");
        for j in 0..*s {
            let st = if j % 3 == 0 { "TIME-WAIT" } else { "ESTAB" };
            text.push_str(&format!("{st}  0      0      10.0.0.1:{}        10.0.{i}.{j}:443\n", 40000 + j));
        }
        for j in 0..c {
            text.push_str(&format!(
                "tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.9.{i}.{j} sport={} dport=443 src=10.9.{i}.{j} dst=10.0.0.1 sport=443 dport={} [ASSURED] mark=0 use=1\n",
                50000 + j,
                50000 + j
            ));
        }
    }
    // The last snapshot has only `ss -s` counters.
    text.push_str(
        "Tue Mar  5 10:59:00 UTC 2024\nTotal: 5\nTCP:   4 (estab 2, closed 1, orphaned 0, timewait 1)\n",
    );

    let tables = |chunk: usize| {
        let pool = BufPool::default();
        let mut m = Merger::new(0, 5, None, false);
        let fold = sockscope::fold::FoldCfg { detail: true, ..Default::default() };
        let cfg = WorkerCfg { timestamp_mode: true, keep: 5, fold, ..Default::default() };
        for c in ChunkReader::new(text.as_bytes(), chunk, &pool) {
            m.push(process_chunk(c.index, c.data(), &cfg));
        }
        m.finish();
        assert_eq!(m.snapshots as usize, ss.len() + 1);
        let store = m.store().clone();
        sockscope::table::SNAPSHOT_TABLES
            .iter()
            .map(|t| {
                let df = store.table(t, None).unwrap();
                // Row order inside a snapshot may differ; the set may not.
                let by: Vec<&str> = df.get_column_names().into_iter().map(|c| c.as_str()).collect();
                df.sort(by, Default::default()).unwrap()
            })
            .collect::<Vec<_>>()
    };
    let whole = tables(1 << 20);
    let snaps = &whole[0];
    // Every snapshot has a row per tool it holds.
    assert_eq!(snaps.height(), ss.len() + ct.iter().filter(|c| **c > 0).count() + 1);
    // And the detail of every one: peers rows for every ss snapshot.
    let peers = &whole[6];
    let mut with_peers: Vec<u32> =
        peers.column("index").unwrap().u32().unwrap().into_no_null_iter().collect();
    with_peers.sort();
    with_peers.dedup();
    assert_eq!(with_peers, (0..ss.len() as u32).collect::<Vec<_>>());
    for chunk in [64, 200, 333, 700, 1500] {
        let got = tables(chunk);
        for (i, (a, b)) in whole.iter().zip(&got).enumerate() {
            assert!(
                a.equals_missing(b),
                "table {} with chunks of {chunk} bytes:\n{a}\n{b}",
                sockscope::table::SNAPSHOT_TABLES[i].name
            );
        }
    }
}
