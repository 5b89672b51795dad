//! `sockscope report`: files written, charts that decode, numbers that
//! match independent counts, escaping, and the all-or-nothing write.

use std::path::Path;

use crate::util::{sockscope, summary_json};

fn run_report(args: &[&str], out: &Path) {
    let o = sockscope()
        .env("SOURCE_DATE_EPOCH", "1764115200")
        .arg("report")
        .args(args)
        .arg("-o")
        .arg(out)
        .output()
        .expect("runs");
    assert!(o.status.success(), "report failed: {}", String::from_utf8_lossy(&o.stderr));
}

/// Decodes a PNG: (width, height, distinct colours, share of non-white pixels).
fn png_stats(p: &Path) -> (u32, u32, usize, f64) {
    let dec = png::Decoder::new(std::fs::File::open(p).unwrap());
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let bytes = &buf[..info.buffer_size()];
    let px = info.color_type.samples();
    let mut colours = std::collections::HashSet::new();
    let mut ink = 0usize;
    for c in bytes.chunks(px) {
        colours.insert(c[..3.min(px)].to_vec());
        if c.iter().take(3).any(|&v| v < 245) {
            ink += 1;
        }
    }
    (info.width, info.height, colours.len(), ink as f64 / (bytes.len() / px) as f64)
}

#[test]
fn report_on_samples_writes_every_part_and_charts_decode() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    run_report(&["samples"], &out);
    for f in ["index.html", "report.md", "summary.json"] {
        assert!(out.join(f).is_file(), "{f}");
    }
    let charts: Vec<_> = std::fs::read_dir(out.join("charts")).unwrap().map(|e| e.unwrap().path()).collect();
    let pngs: Vec<_> = charts.iter().filter(|p| p.extension().is_some_and(|e| e == "png")).collect();
    let svgs: Vec<_> = charts.iter().filter(|p| p.extension().is_some_and(|e| e == "svg")).collect();
    assert!(pngs.len() >= 8, "charts: {pngs:?}");
    assert_eq!(pngs.len(), svgs.len());
    for p in pngs {
        let (w, h, colours, ink) = png_stats(p);
        assert!(w >= 600 && h >= 200, "{}: {w}x{h}", p.display());
        assert!(colours > 4 && ink > 0.01, "{} looks blank ({colours} colours, {ink:.3} ink)", p.display());
    }
    let mut labels = String::new();
    for p in svgs {
        let text = std::fs::read_to_string(p).unwrap();
        let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        for n in doc.descendants().filter(|n| n.is_text()) {
            labels.push_str(n.text().unwrap_or(""));
            labels.push('\n');
        }
    }
    for want in ["ESTABLISHED", "CLOSE_WAIT", "TIME_WAIT", "web-1", "client-1", "db-1", "sockets"] {
        assert!(labels.contains(want), "no chart mentions {want}");
    }
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("<svg"), "charts are inline");
    assert!(html.contains("Line accounting"));
}

#[test]
fn summary_json_in_the_report_is_the_summary_contract() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    run_report(&["samples/web-1/ss-loop.log"], &out);
    let mut in_report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    // The report adds its findings (additive); the rest is `summary`'s.
    let findings = in_report.as_object_mut().unwrap().remove("findings").expect("findings in summary.json");
    assert!(findings.as_array().is_some_and(|f| f.iter().any(|f| f["rule"] == "CLOSE_WAIT_LEAK")));
    assert_eq!(in_report, summary_json(&["samples/web-1/ss-loop.log"]));
}

#[test]
fn report_tables_match_independent_counts() {
    // Count ss -tan rows of the last snapshot straight from the file.
    let text = std::fs::read_to_string("samples/web-1/ss-loop.log").unwrap();
    let last = text.rsplit("State ").next().unwrap();
    let close_wait = last.lines().filter(|l| l.starts_with("CLOSE-WAIT")).count();
    let from_21 = last
        .lines()
        .filter(|l| l.split_whitespace().nth(4).is_some_and(|p| p.starts_with("10.20.0.21:")))
        .count();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    run_report(&["samples/web-1/ss-loop.log"], &out);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    let state_row = md.lines().find(|l| l.starts_with("| last: snapshot 19")).expect("state table row");
    assert!(state_row.contains(&format!(" {close_wait} |")), "{state_row} vs CLOSE_WAIT {close_wait}");
    let peer_row = md.lines().find(|l| l.starts_with("| 10.20.0.21 |")).expect("hotspot row");
    assert!(peer_row.contains(&format!("| {from_21} |")), "{peer_row} vs {from_21}");
}

#[test]
fn report_md_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    run_report(&["samples/db-1/ss-conntrack-loop.log", "samples/db-1/sysctl-a.txt"], &out);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    insta::assert_snapshot!("report_md_db1_loop", md);
}

#[test]
fn existing_output_needs_force_and_is_replaced_whole() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    run_report(&["samples/db-1/ss-tan.txt"], &out);
    std::fs::write(out.join("old.txt"), "x").unwrap();
    sockscope()
        .args(["report", "samples/db-1/ss-tan.txt", "-o"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--force"));
    assert!(out.join("old.txt").exists(), "untouched without --force");
    run_report(&["--force", "samples/db-1/ss-tan.txt"], &out);
    assert!(!out.join("old.txt").exists() && out.join("index.html").exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 1, "no temporary directories left: {leftovers:?}");
}

#[test]
fn a_failed_run_leaves_no_partial_report() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "not a directory").unwrap();
    let out = blocker.join("report");
    sockscope().args(["report", "samples/db-1/ss-tan.txt", "-o"]).arg(&out).assert().code(2);
    let entries: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
}

#[test]
fn names_from_inputs_are_escaped_in_html_and_markdown() {
    let dir = tempfile::tempdir().unwrap();
    let cap = dir.path().join("evil.log");
    std::fs::write(
        &cap,
        "State Recv-Q Send-Q Local Address:Port Peer Address:Port Process\nESTAB 0 0 10.0.0.1:22 10.0.0.2:5000 users:((\"<script>alert(1)</script>|[x](javascript:y)\",pid=1,fd=3))\nLISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:((\"<img src=x onerror=alert(2)>\",pid=2,fd=3))\n",
    )
    .unwrap();
    let out = dir.path().join("r");
    run_report(&["--host", "<b>host</b>", cap.to_str().unwrap()], &out);
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(!html.contains("<script>alert"), "raw script tag in HTML");
    assert!(!html.contains("<img src=x"), "raw img tag in HTML");
    assert!(!html.contains("<b>host</b>"), "raw host markup in HTML");
    assert!(
        html.contains("&lt;script&gt;") || html.contains("&#60;script&#62;") || html.contains("&lt;script"),
        "escaped name shown"
    );
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(!md.contains("<script>"), "raw script tag in Markdown");
    // `\]` is an escaped bracket: no link can form.
    assert!(!md.replace("\\]", "").contains("](javascript:"), "live link in Markdown");
    assert!(md.contains("\\[x\\](javascript:y)"), "the name is shown, escaped");
    for f in std::fs::read_dir(out.join("charts")).unwrap() {
        let p = f.unwrap().path();
        if p.extension().is_some_and(|e| e == "svg") {
            let t = std::fs::read_to_string(&p).unwrap();
            assert!(!t.contains("<script"), "{}", p.display());
            roxmltree::Document::parse(&t).unwrap();
        }
    }
}

#[test]
fn chart_command_renders_each_kind() {
    let dir = tempfile::tempdir().unwrap();
    for (kind, input, ext) in [
        ("states", "samples/web-1/ss-tan.txt", "png"),
        ("timeline", "samples/client-1/ss-loop.log", "svg"),
        ("hotspots", "samples/web-1/ss-tanp.txt", "png"),
        ("ephemeral", "samples/client-1/ss-tan.txt", "svg"),
        ("conntrack", "samples/db-1/conntrack-L.txt", "png"),
        ("fleet-states", "samples", "svg"),
        ("fleet-time", "samples", "png"),
    ] {
        let out = dir.path().join(format!("{kind}.{ext}"));
        sockscope().args(["chart", kind, input, "-o"]).arg(&out).assert().success();
        if ext == "png" {
            let (w, h, colours, ink) = png_stats(&out);
            assert!(w >= 600 && h >= 200 && colours > 4 && ink > 0.01, "{kind}: {w}x{h} {colours} {ink}");
        } else {
            let text = std::fs::read_to_string(&out).unwrap();
            roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{kind}: {e}"));
        }
    }
}

#[test]
fn chart_command_says_why_it_cannot_draw() {
    let dir = tempfile::tempdir().unwrap();
    sockscope()
        .args(["chart", "timeline", "samples/web-1/ss-tan.txt", "-o"])
        .arg(dir.path().join("t.png"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("more than one snapshot"));
    sockscope()
        .args(["chart", "states", "samples/web-1/ss-tan.txt", "-o"])
        .arg(dir.path().join("t.jpg"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains(".png or .svg"));
}

/// More distinct flows than the report keeps: totals stay exact, the
/// heaviest peer still ranks first with its exact count, and the report
/// says what it left out.
#[test]
fn report_memory_cap_keeps_totals_and_says_so() {
    use std::fmt::Write;
    let mut text = String::from("State Recv-Q Send-Q Local Address:Port Peer Address:Port\n");
    text.push_str("LISTEN 0 4096 0.0.0.0:443 0.0.0.0:*\n");
    // 300,000 clients with one socket each, one with 500.
    for i in 0..300_000u32 {
        let _ = writeln!(
            text,
            "ESTAB 0 0 10.0.0.1:443 10.{}.{}.{}:40000",
            64 + (i >> 16),
            (i >> 8) & 255,
            i & 255
        );
    }
    for p in 0..500 {
        let _ = writeln!(text, "TIME-WAIT 0 0 10.0.0.1:443 192.0.2.7:{}", 20000 + p);
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("many.txt");
    std::fs::write(&input, &text).unwrap();
    let out = dir.path().join("r");
    run_report(&[input.to_str().unwrap()], &out);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("more distinct flows than the 262,144 the report keeps"), "no note in:\n{md}");
    let direction = md.lines().find(|l| l.starts_with("| inbound |")).expect("direction row");
    assert!(direction.contains("| 300,500 |"), "{direction}");
    let peer = md.lines().find(|l| l.starts_with("| 192.0.2.7 |")).expect("heaviest peer ranked");
    assert!(peer.contains("| 500 |"), "{peer}");
}

/// A 5-second `ss -tan` loop of `n` snapshots: two ESTABLISHED sockets,
/// and TIME_WAIT sockets that count up and spike once.
fn long_loop(n: usize, spike_at: usize, spike: usize) -> String {
    let mut text = String::new();
    let base = chrono::DateTime::from_timestamp(1_764_115_200, 0).unwrap();
    for i in 0..n {
        let t = base + chrono::Duration::seconds(5 * i as i64);
        text.push_str(&t.format("%a %b %e %H:%M:%S UTC %Y\n").to_string());
        text.push_str("State      Recv-Q Send-Q Local Address:Port  Peer Address:Port Process\n");
        text.push_str("ESTAB      0      0      10.0.0.1:22         10.0.0.9:50000\n");
        text.push_str("ESTAB      0      0      10.0.0.1:443        10.0.0.8:50001\n");
        let tw = if i == spike_at { spike } else { i % 3 };
        for j in 0..tw {
            text.push_str(&format!(
                "TIME-WAIT  0      0      10.0.0.1:443        10.0.0.{}:{}\n",
                10 + j % 200,
                40000 + j
            ));
        }
    }
    text
}

#[test]
fn a_long_loop_keeps_exact_courses_and_bounded_points() {
    // More snapshots than a timeline keeps points: the points are merged,
    // the course (peak, its snapshot and time, rises) stays exact.
    let n = 5000;
    let dir = tempfile::tempdir().unwrap();
    let cap = dir.path().join("web-7.log");
    std::fs::write(&cap, long_loop(n, 3333, 250)).unwrap();
    let out = dir.path().join("report");
    run_report(&[cap.to_str().unwrap()], &out);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("State course over 5,000 snapshots (rates per minute)"), "{md}");
    let tw = md.lines().find(|l| l.starts_with("| TIME_WAIT")).expect("TIME_WAIT course row");
    let cells: Vec<&str> = tw.split('|').map(str::trim).collect();
    // state, first, last, peak, peak at, largest rise, trend
    assert_eq!(&cells[1..6], ["TIME_WAIT", "0", &((n - 1) % 3).to_string(), "250", "#3333 04:37:45"], "{tw}");
    // 250 − (3332 % 3 = 2) in 5 s = 2,976 per minute.
    assert_eq!(cells[6], "+2976.0", "{tw}");
    let svg = std::fs::read_dir(out.join("charts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "svg"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .find(|s| s.contains("states over time"))
        .expect("timeline chart");
    // The peak's detail was kept (it sits in the middle of a chunk).
    assert!(md.contains("**Top local service ports — peak snapshot 3333**"), "{md}");
    assert!(md.contains("| 443 | not listening | 251 | 1 | 250 |"), "{md}");
    // 5,000 snapshots in at most 1,024 points: merged at 1,024, 2,048 and
    // 4,096 snapshots.
    assert!(svg.contains("largest count in 8 snapshots"), "{svg}");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let snaps = doc["snapshots"].as_array().unwrap();
    assert_eq!(snaps.len(), n);
    assert_eq!(snaps[3333]["states"]["TIME_WAIT"], 250);
    assert_eq!(snaps[n - 1]["index"], n - 1);
}

#[test]
fn snapshots_spooled_to_disk_read_back_the_same() {
    // SOCKSCOPE_SPOOL_MEMORY=0 sends every block of finished snapshots to
    // the temporary file; every output must be byte-for-byte the same.
    let dir = tempfile::tempdir().unwrap();
    let cap = dir.path().join("web-7.log");
    std::fs::write(&cap, long_loop(3000, 100, 40)).unwrap();
    let run = |budget: Option<&str>, args: &[&str]| {
        let mut c = sockscope();
        if let Some(b) = budget {
            c.env("SOCKSCOPE_SPOOL_MEMORY", b).env("TMPDIR", dir.path());
        }
        let o = c.arg("summary").args(args).arg(&cap).arg("samples").output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        o.stdout
    };
    for args in [&["--format", "json"][..], &["--format", "csv"], &[]] {
        let (mem, disk) = (run(None, args), run(Some("0"), args));
        assert!(mem.len() > 10_000, "{args:?}");
        assert!(mem == disk, "{args:?}: outputs differ");
    }
}

#[test]
fn an_unwritable_temporary_directory_keeps_snapshots_in_memory_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let cap = dir.path().join("web-7.log");
    std::fs::write(&cap, long_loop(2000, 10, 5)).unwrap();
    let run = |envs: &[(&str, &str)]| {
        let o = sockscope()
            .envs(envs.iter().copied())
            .args(["summary", "--format", "json"])
            .arg(&cap)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let normal = run(&[]);
    let missing = dir.path().join("no-such-dir");
    let fallback = run(&[("SOCKSCOPE_SPOOL_MEMORY", "0"), ("TMPDIR", missing.to_str().unwrap())]);
    assert_eq!(normal["snapshots"], fallback["snapshots"]);
    let notes = fallback["sources"][0]["notes"].as_array().unwrap();
    assert!(notes.iter().any(|n| n.as_str().unwrap().contains("kept in memory")), "{notes:?}");
    assert!(normal["sources"][0]["notes"].as_array().unwrap().is_empty());
}

#[test]
fn a_bad_spool_budget_is_a_usage_error() {
    let o = sockscope().env("SOCKSCOPE_SPOOL_MEMORY", "lots").args(["summary", "samples"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("SOCKSCOPE_SPOOL_MEMORY"));
}
