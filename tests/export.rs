//! `sockscope export` and the tables behind it: the dataset reads back
//! with polars, its counts agree with `summary` and with independent
//! counts of the files, every snapshot keeps its detail, and spilled and
//! in-memory runs write the same tables.

use std::path::{Path, PathBuf};

use polars::prelude::*;
use polars_io::SerReader;

use crate::util::{sockscope, summary_json};

/// Runs `export` and returns the output directory.
fn export(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> PathBuf {
    let out = dir.join("ds");
    let o =
        sockscope().arg("export").args(args).arg("-o").arg(&out).envs(envs.iter().copied()).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out
}

/// Every file of one table, read back with polars, with `host` from the
/// directory name (as a hive reader adds it).
fn read_table(ds: &Path, table: &str) -> DataFrame {
    let mut out: Option<DataFrame> = None;
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(ds.join(table)).unwrap().map(|e| e.unwrap().path()).collect();
    dirs.sort();
    for d in dirs {
        let host = d.file_name().unwrap().to_str().unwrap().strip_prefix("host=").unwrap().to_string();
        for f in std::fs::read_dir(&d).unwrap() {
            let f = f.unwrap().path();
            let mut df = polars_io::parquet::read::ParquetReader::new(std::fs::File::open(&f).unwrap())
                .finish()
                .unwrap();
            let n = df.height();
            df.with_column(Column::new("host".into(), vec![host.as_str(); n])).unwrap();
            match &mut out {
                None => out = Some(df),
                Some(o) => {
                    o.vstack_mut(&df).unwrap();
                }
            }
        }
    }
    out.expect("the table has files")
}

fn u64s(df: &DataFrame, c: &str) -> Vec<u64> {
    df.column(c).unwrap().cast(&DataType::UInt64).unwrap().u64().unwrap().into_no_null_iter().collect()
}

#[test]
fn the_dataset_reads_back_and_agrees_with_summary() {
    let dir = tempfile::tempdir().unwrap();
    let ds = export(dir.path(), &["--top", "10", "samples"], &[]);
    let doc = summary_json(&["--top", "10", "samples"]);
    let snaps = doc["snapshots"].as_array().unwrap();

    let t = read_table(&ds, "snapshots");
    assert_eq!(t.height(), snaps.len(), "one row per snapshot and tool");
    let json_total: u64 = snaps.iter().map(|s| s["total"].as_u64().unwrap()).sum();
    assert_eq!(u64s(&t, "total").iter().sum::<u64>(), json_total);
    // Every canonical state: the column sum is the JSON's sum over socket
    // snapshots (conntrack's own states are in ct_states).
    for state in ["LISTEN", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT2", "CLOSE_WAIT", "TIME_WAIT"] {
        let want: u64 = snaps
            .iter()
            .filter(|s| s["kind"] != "conntrack" && !s["from_counters"].as_bool().unwrap())
            .map(|s| s["states"][state].as_u64().unwrap_or(0))
            .sum();
        let socket_rows = t
            .clone()
            .lazy()
            .filter(col("kind").neq(lit("conntrack")).and(col("from_counters").not()))
            .collect()
            .unwrap();
        assert_eq!(u64s(&socket_rows, state).iter().sum::<u64>(), want, "{state}");
    }
    // Rankings: the same top remote addresses as the JSON, snapshot by
    // snapshot (JSON order: by source, snapshot, tool).
    let ra = read_table(&ds, "remote_addrs");
    let json_rows: usize = snaps.iter().map(|s| s["top_remote"].as_array().unwrap().len()).sum();
    assert_eq!(ra.height(), json_rows);
    let json_sum: u64 = snaps
        .iter()
        .flat_map(|s| s["top_remote"].as_array().unwrap().iter().map(|r| r["count"].as_u64().unwrap()))
        .sum();
    assert_eq!(u64s(&ra, "count").iter().sum::<u64>(), json_sum);
    // Sources: the line accounting, per host.
    let src = read_table(&ds, "sources");
    let sources = doc["sources"].as_array().unwrap();
    assert_eq!(src.height(), sources.len());
    let lines: u64 = sources.iter().map(|s| s["lines"]["total"].as_u64().unwrap()).sum();
    assert_eq!(u64s(&src, "lines").iter().sum::<u64>(), lines);
    assert!(
        src.column("host")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .flatten()
            .all(|h| ["client-1", "db-1", "web-1"].contains(&h))
    );
    // The host is the partition, not a column of the files.
    let f = std::fs::read_dir(ds.join("peers/host=web-1")).unwrap().next().unwrap().unwrap().path();
    let raw = polars_io::parquet::read::ParquetReader::new(std::fs::File::open(f).unwrap()).finish().unwrap();
    assert!(raw.column("host").is_err() && raw.column("source").is_ok() && raw.column("source_id").is_err());
}

#[test]
fn counts_agree_with_an_independent_count_of_the_file() {
    // samples/web-1/ss-tan.txt: one `ss -tan` table; count its states and
    // peers with plain string handling, not with sockscope's parser.
    let text = std::fs::read_to_string("samples/web-1/ss-tan.txt").unwrap();
    let rows: Vec<Vec<&str>> = text
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|w| w.len() >= 5 && w[0] != "State")
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let ds = export(dir.path(), &["--top", "1000", "samples/web-1/ss-tan.txt"], &[]);
    let t = read_table(&ds, "snapshots");
    assert_eq!(u64s(&t, "total"), vec![rows.len() as u64]);
    let count = |st: &str| rows.iter().filter(|w| w[0] == st).count() as u64;
    assert_eq!(u64s(&t, "ESTABLISHED")[0], count("ESTAB"));
    assert_eq!(u64s(&t, "LISTEN")[0], count("LISTEN"));
    assert_eq!(u64s(&t, "TIME_WAIT")[0], count("TIME-WAIT"));
    assert_eq!(u64s(&t, "CLOSE_WAIT")[0], count("CLOSE-WAIT"));
    // Connected peers: every row whose peer is not a wildcard, by address.
    let peer = |w: &Vec<&str>| {
        let p = w[4];
        let addr = &p[..p.rfind(':').unwrap()];
        addr.trim_start_matches('[').trim_end_matches(']').trim_start_matches("::ffff:").to_string()
    };
    let mut by_addr = std::collections::BTreeMap::<String, u64>::new();
    for w in rows.iter().filter(|w| !w[4].ends_with(":*")) {
        *by_addr.entry(peer(w)).or_default() += 1;
    }
    let ra = read_table(&ds, "remote_addrs");
    let got: std::collections::BTreeMap<String, u64> = ra
        .column("remote_addr")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .flatten()
        .map(str::to_string)
        .zip(u64s(&ra, "count"))
        .collect();
    assert_eq!(got, by_addr);
    // The cuts table says nothing was left out at --top 1000.
    let cuts = read_table(&ds, "cuts");
    assert!(u64s(&cuts, "count_cut").iter().all(|c| *c == 0), "{cuts}");
}

/// A `date; ss -tanp` loop whose worst CLOSE_WAIT snapshot (index 1) is
/// neither the one with the most rows (index 2) nor the last (index 3).
fn close_wait_loop() -> String {
    let mut t = String::new();
    let head = "State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n";
    let listen = "LISTEN 3 128 0.0.0.0:8080 0.0.0.0:* users:((\"app\",pid=7,fd=3))\n";
    let row = |st: &str, i: usize| {
        format!("{st} 0 0 10.0.0.1:8080 10.9.0.{i}:{} users:((\"app\",pid=7,fd={}))\n", 40000 + i, 10 + i)
    };
    t.push_str("Tue Mar  5 10:00:00 UTC 2024\n");
    t.push_str(head);
    t.push_str(listen);
    for i in 0..10 {
        t.push_str(&row("ESTAB", i));
    }
    t.push_str("Tue Mar  5 10:00:05 UTC 2024\n");
    t.push_str(head);
    t.push_str(listen);
    for i in 0..9 {
        t.push_str(&row("CLOSE-WAIT", i));
    }
    t.push_str("Tue Mar  5 10:00:10 UTC 2024\n");
    t.push_str(head);
    t.push_str(listen);
    for i in 0..30 {
        t.push_str(&row("ESTAB", i));
    }
    t.push_str(&row("CLOSE-WAIT", 99));
    t.push_str("Tue Mar  5 10:00:15 UTC 2024\n");
    t.push_str(head);
    t.push_str(listen);
    t.push_str(&row("ESTAB", 1));
    t
}

#[test]
fn every_snapshot_keeps_its_detail_not_only_the_peak_and_the_last() {
    let dir = tempfile::tempdir().unwrap();
    let cap = dir.path().join("app-1.log");
    std::fs::write(&cap, close_wait_loop()).unwrap();
    let ds = export(dir.path(), &[cap.to_str().unwrap()], &[]);
    let snaps = read_table(&ds, "snapshots");
    let cw = u64s(&snaps, "CLOSE_WAIT");
    let total = u64s(&snaps, "total");
    let worst = cw.iter().enumerate().max_by_key(|(_, c)| **c).unwrap().0;
    assert_eq!(worst, 1);
    assert!(total[2] > total[1] && worst != total.len() - 1, "the worst is neither the largest nor the last");

    let at =
        |table: &str| read_table(&ds, table).lazy().filter(col("index").eq(lit(1u32))).collect().unwrap();
    let peers = at("peers");
    assert_eq!(u64s(&peers, "CLOSE_WAIT").iter().sum::<u64>(), 9);
    assert!(peers.column("direction").unwrap().str().unwrap().iter().flatten().all(|d| d == "inbound"));
    let procs = at("processes");
    assert_eq!(procs.height(), 1);
    assert_eq!(procs.column("process").unwrap().str().unwrap().get(0), Some("app"));
    assert_eq!(procs.column("pid").unwrap().u32().unwrap().get(0), Some(7));
    assert_eq!(u64s(&procs, "CLOSE_WAIT"), vec![9]);
    let listeners = at("listeners");
    assert_eq!(listeners.height(), 1);
    assert_eq!(u64s(&listeners, "recv_q"), vec![3]);
    assert_eq!(u64s(&listeners, "send_q"), vec![128]);
    let services = at("local_services");
    assert_eq!(u64s(&services, "CLOSE_WAIT"), vec![9]);
}

#[test]
fn spilled_and_in_memory_runs_write_the_same_tables() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let mem = export(&a, &["samples"], &[]);
    let disk = export(&b, &["samples"], &[("SOCKSCOPE_SPOOL_MEMORY", "0")]);
    for table in sockscope::export::all_tables() {
        let (x, y) = (read_table(&mem, table.name), read_table(&disk, table.name));
        assert!(x.equals_missing(&y), "{} differs:\n{x}\n{y}", table.name);
    }
}

#[test]
fn csv_and_ndjson_have_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    for (format, ext) in [("csv", "csv"), ("ndjson", "ndjson")] {
        let d = dir.path().join(format);
        std::fs::create_dir_all(&d).unwrap();
        let ds = export(&d, &["--format", format, "--tables", "snapshots,peers", "samples/db-1"], &[]);
        let mut names: Vec<String> = std::fs::read_dir(&ds)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, [".sockscope", "peers", "snapshots"]);
        let f = ds.join(format!("snapshots/host=db-1/part-00000.{ext}"));
        let text = std::fs::read_to_string(&f).unwrap();
        let lines = text.lines().count() - usize::from(format == "csv");
        let doc = summary_json(&["samples/db-1"]);
        assert_eq!(lines, doc["snapshots"].as_array().unwrap().len(), "{format}");
    }
}

#[test]
fn export_refuses_what_report_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let mine = dir.path().join("mine");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("notes"), "x").unwrap();
    let o = sockscope().args(["export", "samples/db-1", "--force", "-o"]).arg(&mine).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a previous sockscope export"));
    // A report is not an export either.
    let r = dir.path().join("r");
    sockscope().args(["report", "samples/db-1/ss-tan.txt", "-o"]).arg(&r).assert().success();
    let o = sockscope().args(["export", "samples/db-1", "--force", "-o"]).arg(&r).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let o = sockscope()
        .args(["export", "samples/db-1", "--tables", "peers,bogus", "-o"])
        .arg(dir.path().join("x"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("\"bogus\""));
}

#[test]
fn row_level_tables_hold_every_row_of_every_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let ds = export(dir.path(), &["--tables", "snapshots,sockets,conntrack_entries", "samples"], &[]);
    let snaps = read_table(&ds, "snapshots")
        .lazy()
        .filter(col("from_counters").not())
        .select([
            col("source"),
            col("kind"),
            col("index"),
            col("total"),
            col("ESTABLISHED"),
            col("TIME_WAIT"),
        ])
        .collect()
        .unwrap();
    // Rows per snapshot, grouped from the row-level tables.
    let mut rows = read_table(&ds, "sockets")
        .lazy()
        .group_by([col("source"), col("kind"), col("index")])
        .agg([
            len().cast(DataType::UInt64).alias("rows"),
            col("state")
                .eq(lit("ESTABLISHED"))
                .and(col("proto").eq(lit("tcp")))
                .sum()
                .cast(DataType::UInt64)
                .alias("estab"),
            col("state")
                .eq(lit("TIME_WAIT"))
                .and(col("proto").eq(lit("tcp")))
                .sum()
                .cast(DataType::UInt64)
                .alias("tw"),
        ])
        .collect()
        .unwrap();
    let ct = read_table(&ds, "conntrack_entries")
        .lazy()
        .group_by([col("source"), col("kind"), col("index")])
        .agg([
            len().cast(DataType::UInt64).alias("rows"),
            lit(0u64).cast(DataType::UInt64).alias("estab"),
            lit(0u64).cast(DataType::UInt64).alias("tw"),
        ])
        .collect()
        .unwrap();
    rows.vstack_mut(&ct).unwrap();
    let joined = snaps
        .lazy()
        .join(
            rows.lazy(),
            [col("source"), col("kind"), col("index")],
            [col("source"), col("kind"), col("index")],
            JoinArgs::new(JoinType::Left),
        )
        .collect()
        .unwrap();
    assert!(joined.height() > 100);
    let total = u64s(&joined, "total");
    let got: Vec<u64> =
        joined.column("rows").unwrap().u64().unwrap().iter().map(|v| v.unwrap_or(0)).collect();
    assert_eq!(total, got, "every snapshot's rows are in the row-level tables, under its index");
    let kinds: Vec<&str> = joined.column("kind").unwrap().str().unwrap().iter().flatten().collect();
    let (e, te) = (u64s(&joined, "ESTABLISHED"), joined.column("estab").unwrap().u64().unwrap().clone());
    let (w, tw) = (u64s(&joined, "TIME_WAIT"), joined.column("tw").unwrap().u64().unwrap().clone());
    for i in 0..joined.height() {
        if kinds[i] != "conntrack" {
            assert_eq!((e[i], w[i]), (te.get(i).unwrap_or(0), tw.get(i).unwrap_or(0)), "row {i}");
        }
    }
}
