//! An exported dataset read back as input, and shards added to one
//! dataset with `export --part`.

use std::path::Path;

use serde_json::Value;

use crate::util::{repo, samples, sockscope};

fn summary(inputs: &[&Path]) -> Value {
    let out = sockscope().args(["summary", "--format", "json"]).args(inputs).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn export(args: &[&str], inputs: &[&Path], out: &Path) -> std::process::Output {
    sockscope().args(["export", "-q"]).args(args).args(inputs).arg("-o").arg(out).output().unwrap()
}

/// Documents keyed for comparison, sorted by key.
type Keyed = Vec<(String, Value)>;

/// Snapshots keyed by (host, source, kind, index), and sources by
/// (host, path) with their line accounting: what must survive the trip.
fn comparable(doc: &Value) -> (Keyed, Keyed) {
    let mut snaps: Keyed = doc["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (format!("{} {} {} {}", s["host"], s["source"], s["kind"], s["index"]), s.clone()))
        .collect();
    snaps.sort_by(|a, b| a.0.cmp(&b.0));
    let mut sources: Keyed = doc["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let l = &s["lines"];
            let keep = serde_json::json!({
                "format": s["format"], "snapshots": s["snapshots"], "bytes": s["bytes"],
                "total": l["total"], "parsed": l["parsed"], "structural": l["structural"],
                "ignored": l["ignored"], "rejected": l["rejected"],
            });
            (format!("{} {}", s["host"], s["path"]), keep)
        })
        .collect();
    sources.sort_by(|a, b| a.0.cmp(&b.0));
    (snaps, sources)
}

#[test]
fn summary_of_an_exported_dataset_equals_summary_of_the_captures() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dir.path().join("ds");
    let out = export(&[], &[&samples()], &ds);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let (raw, from_ds) = (summary(&[&samples()]), summary(&[&ds]));
    let (a, b) = (comparable(&raw), comparable(&from_ds));
    assert_eq!(a.0.len(), b.0.len());
    assert!(a.0.len() > 100, "{}", a.0.len());
    for (x, y) in a.0.iter().zip(&b.0) {
        assert_eq!(x, y);
    }
    assert_eq!(a.1, b.1);
}

#[test]
fn shards_fill_one_dataset_and_a_part_is_never_overwritten_silently() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dir.path().join("shared");
    let (web, db, client) = (samples().join("web-1"), samples().join("db-1"), samples().join("client-1"));
    let extra = dir.path().join("extra-host");
    std::fs::create_dir(&extra).unwrap();
    std::fs::copy(db.join("ss-tan.txt"), extra.join("ss-tan.txt")).unwrap();
    for (part, inputs) in
        [("shard-0", vec![web.as_path(), db.as_path()]), ("shard-1", vec![client.as_path()])]
    {
        let out = export(&["--part", part], &inputs, &ds);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    }
    assert!(ds.join("snapshots/host=client-1/part-shard-1.parquet").is_file());
    assert!(ds.join("snapshots/host=web-1/part-shard-0.parquet").is_file());
    // The merge equals the captures read together.
    assert_eq!(comparable(&summary(&[&ds])), comparable(&summary(&[&samples()])));
    // The same part again: refused, and the dataset is as it was.
    let before = std::fs::read(ds.join("snapshots/host=client-1/part-shard-1.parquet")).unwrap();
    let out = export(&["--part", "shard-1"], &[&db], &ds);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("already has part shard-1") && err.contains("--force"), "{err}");
    assert_eq!(std::fs::read(ds.join("snapshots/host=client-1/part-shard-1.parquet")).unwrap(), before);
    // --force replaces the part (a retried task), and what the earlier
    // part had that the new one has not goes: shard-1 with an extra host,
    // then without it.
    let out = export(&["--part", "shard-1", "--force"], &[&client, &extra], &ds);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(ds.join("snapshots/host=extra-host/part-shard-1.parquet").is_file());
    let out = export(&["--part", "shard-1", "--force"], &[&client], &ds);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!ds.join("snapshots/host=extra-host/part-shard-1.parquet").exists());
    assert_eq!(comparable(&summary(&[&ds])), comparable(&summary(&[&samples()])));
    // No staging is left behind, and a dataset is never mixed with captures.
    let hidden: Vec<_> = std::fs::read_dir(&ds)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') && n != ".sockscope")
        .collect();
    assert!(hidden.is_empty(), "{hidden:?}");
    let out = sockscope().arg("summary").arg(&ds).arg(&web).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be read together with captures"));
    // Parts go only into a sockscope export.
    let foreign = dir.path().join("foreign");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("keep.txt"), "mine").unwrap();
    let out = export(&["--part", "x"], &[&web], &foreign);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read_dir(&foreign).unwrap().count(), 1);
    let out = export(&["--part", "../x"], &[&web], &ds);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn diagnosis_of_a_dataset_finds_what_the_captures_show() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dir.path().join("ds");
    let scenarios = repo().join("tests/data/scenarios");
    let re = ["--host-from", "scenarios/([^/]+(?:/(?:client|server))?)/"];
    let out = export(&re, &[&scenarios], &ds);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let findings = |args: &[&std::ffi::OsStr]| -> Vec<(String, String, String)> {
        let out = sockscope().args(["diagnose", "--format", "json"]).args(args).output().unwrap();
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut f: Vec<(String, String, String)> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["host"].as_str().unwrap().into(),
                    f["rule"].as_str().unwrap().into(),
                    f["severity"].to_string(),
                )
            })
            .collect();
        f.sort();
        f
    };
    let raw = findings(&[re[0].as_ref(), re[1].as_ref(), scenarios.as_os_str()]);
    let from_ds = findings(&[ds.as_os_str()]);
    assert!(raw.len() >= 15, "{raw:?}");
    // Every rule, the ones that read socket rows included (the sockets
    // table is replayed), fires on the same hosts at the same severity.
    assert_eq!(raw, from_ds);
    // What an export does not hold is said on the sources it came from.
    let doc = summary(&[&ds]);
    let lacking: Vec<&Value> = doc["sources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| matches!(s["format"].as_str(), Some("kernel-log" | "counters" | "conntrack-stat")))
        .collect();
    assert!(!lacking.is_empty());
    for s in lacking {
        let notes = s["notes"].to_string();
        assert!(notes.contains("read from a dataset") && notes.contains("not in an export"), "{s}");
    }
    // A report from the dataset.
    let report = dir.path().join("report");
    let out = sockscope().args(["report", "-q"]).arg(&ds).arg("-o").arg(&report).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let html = std::fs::read_to_string(report.join("index.html")).unwrap();
    assert!(html.contains("CLOSE_WAIT_LEAK") && html.contains("id=\"fleet-hosts\""));
}
