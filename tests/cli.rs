//! Command-line behaviour: exit codes, errors that name the file and line,
//! output formats.

use predicates::prelude::*;

use crate::util::{sockscope, summary_json};

#[test]
fn table_output_names_hosts_states_and_accounting() {
    sockscope()
        .args(["summary", "samples/web-1/ss-loop.log"])
        .assert()
        .success()
        .stdout(predicate::str::contains("web-1"))
        .stdout(predicate::str::contains("CLOSE_WAIT"))
        .stdout(predicate::str::contains("line accounting"))
        .stdout(predicate::str::contains("20 snapshots"));
}

#[test]
fn json_contract_has_the_documented_fields() {
    let doc = summary_json(&["samples/web-1/ss-tan.txt", "samples/web-1/conntrack-L.txt"]);
    assert_eq!(doc["version"], 1);
    for s in doc["snapshots"].as_array().unwrap() {
        for k in ["host", "source", "kind", "index", "time", "total", "states", "protocols", "top_remote"] {
            assert!(s.get(k).is_some(), "snapshot field {k}");
        }
        let top = s["top_remote"].as_array().unwrap();
        assert!(top.windows(2).all(|w| w[0]["count"].as_u64() >= w[1]["count"].as_u64()), "descending");
        assert!(top.iter().all(|t| t["addr"].is_string() && t["count"].is_u64()));
    }
    for s in doc["sources"].as_array().unwrap() {
        for k in ["path", "format"] {
            assert!(s[k].is_string(), "source field {k}");
        }
        for k in ["total", "parsed", "structural", "ignored", "rejected"] {
            assert!(s["lines"][k].is_u64(), "lines.{k}");
        }
        assert!(s["lines"]["rejected_samples"].is_array());
    }
}

#[test]
fn top_limits_the_ranked_lists() {
    let doc = summary_json(&["--top", "2", "samples/web-1/ss-tan.txt"]);
    assert_eq!(doc["snapshots"][0]["top_remote"].as_array().unwrap().len(), 2);
    assert_eq!(doc["snapshots"][0]["top_local_ports"].as_array().unwrap().len(), 2);
}

#[test]
fn csv_has_one_row_per_snapshot() {
    let out = sockscope().args(["summary", "--format", "csv", "samples/web-1/ss-loop.log"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    // States in the one order every output uses: a connection's life.
    assert!(
        header.starts_with("host,source,kind,index,time,total,LISTEN,SYN_SENT,SYN_RECV,ESTABLISHED"),
        "{header}"
    );
    assert_eq!(lines.count(), 20);
}

#[test]
fn missing_file_is_named_and_other_inputs_still_processed() {
    let out = sockscope()
        .args(["summary", "--format", "json", "no/such/file.log", "samples/db-1/ss-tan.txt"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no/such/file.log"), "{err}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["sources"].as_array().unwrap().len(), 1);
    assert!(doc["errors"][0].as_str().unwrap().contains("no/such/file.log"));
}

#[test]
fn nothing_readable_is_exit_code_2() {
    sockscope()
        .args(["summary", "no/such/file.log"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no capture"));
}

#[test]
fn unknown_format_named_on_the_command_line_is_an_error() {
    sockscope()
        .args(["summary", "samples/README.md", "samples/db-1/ss-tan.txt"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("samples/README.md: not a netstat, ss, conntrack"));
}

#[test]
fn strict_fails_on_the_first_rejected_line_with_path_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("web-9.log");
    std::fs::write(&f, "State Recv-Q Send-Q Local Address:Port Peer Address:Port\nESTAB 0 0 10.0.0.1:22 10.0.0.2:5000\nESTAB zero 0 10.0.0.1:22 10.0.0.2:5001\nESTAB 0 0 garbage\n").unwrap();
    let path = f.to_str().unwrap();
    sockscope()
        .args(["summary", "--strict", path])
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains(format!("{path}:3: Recv-Q/Send-Q is not a number")));
    // Lenient by default: counted and sampled with file:line.
    let doc = summary_json(&[path]);
    let l = &doc["sources"][0]["lines"];
    assert_eq!((l["parsed"].as_u64(), l["rejected"].as_u64()), (Some(1), Some(2)));
    assert_eq!(l["rejected_samples"][0]["line"], 3);
    assert_eq!(l["rejected_samples"][1]["reason"], "too_few_columns");
}

#[test]
fn stdin_is_read_with_dash() {
    let text = std::fs::read("samples/db-1/ss-tan.txt").unwrap();
    let out = sockscope()
        .args(["summary", "--format", "json", "--host", "db-1", "-"])
        .write_stdin(text)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["snapshots"][0]["host"], "db-1");
    assert_eq!(doc["snapshots"][0]["protocols"]["tcp"], 43);
}

#[test]
fn tz_reads_naive_times_in_the_given_zone() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("h.log");
    std::fs::write(&f, "2024-03-05 10:00:00\nESTAB 0 0 10.0.0.1:22 10.0.0.2:5000\n2024-03-05 10:00:05\nESTAB 0 0 10.0.0.1:22 10.0.0.2:5000\n").unwrap();
    let p = f.to_str().unwrap();
    let utc = summary_json(&[p]);
    assert_eq!(utc["snapshots"][0]["time"], "2024-03-05T10:00:00Z");
    assert_eq!(utc["snapshots"][0]["time_resolution"], "assumed");
    let berlin = summary_json(&["--tz", "Europe/Berlin", p]);
    assert_eq!(berlin["snapshots"][1]["time"], "2024-03-05T10:00:05+01:00");
    sockscope()
        .args(["summary", "--tz", "Mars/Olympus", p])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--tz"));
}

#[test]
fn snapshot_without_any_time_has_a_null_time() {
    let doc = summary_json(&["samples/web-1/ss-tan.txt"]);
    assert!(doc["snapshots"][0]["time"].is_null());
}

#[test]
fn directories_are_walked_and_non_captures_skipped() {
    let doc = summary_json(&["samples/db-1"]);
    let n = std::fs::read_dir("samples/db-1").unwrap().count();
    assert_eq!(doc["sources"].as_array().unwrap().len(), n);
}
