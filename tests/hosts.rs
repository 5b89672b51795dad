//! Host naming you can trust (`--host-from`, same-named directories), and
//! the generated shell completions and manual page.

use crate::util::{samples, sockscope, summary_json};

/// `<dc>/<host>/<date>/ss.txt`: the default names both `web-1` (the date
/// level is skipped), from two directories.
fn layout() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (dc, host, src) in [("dc1", "web-1", "web-1/ss-tan.txt"), ("dc2", "web-1", "db-1/ss-tan.txt")] {
        let d = dir.path().join(dc).join(host).join("2024-03-05");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::copy(samples().join(src), d.join("ss.txt")).unwrap();
    }
    dir
}

#[test]
fn same_named_directories_in_different_places_are_said_not_merged_silently() {
    let dir = layout();
    let out = sockscope().args(["summary", "--format", "json"]).arg(dir.path()).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("warning: host web-1 is named after 2 directories in different places"), "{err}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for s in doc["sources"].as_array().unwrap() {
        assert!(
            s["notes"].as_array().unwrap().iter().any(|n| n.as_str().unwrap().contains("--host-from")),
            "{s}"
        );
    }
    // The bundled samples (one directory per host) say nothing.
    let out = sockscope().args(["summary", "--format", "json"]).arg(samples()).output().unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("warning"));
}

/// A quoted pattern is expanded by sockscope (a fleet's files can be too
/// many for one command line): matches in order, directories walked,
/// non-captures skipped; a pattern without a match is that input's error;
/// an output is kept out of the directory a pattern's matches lie in.
#[test]
fn a_quoted_glob_pattern_is_expanded_and_its_base_is_an_input_directory() {
    let dir = layout();
    let root = dir.path().to_str().unwrap();
    let doc = summary_json(&[&format!("{root}/dc*/*/*/ss.txt")]);
    let paths: Vec<&str> =
        doc["sources"].as_array().unwrap().iter().map(|s| s["path"].as_str().unwrap()).collect();
    assert_eq!(
        paths,
        [format!("{root}/dc1/web-1/2024-03-05/ss.txt"), format!("{root}/dc2/web-1/2024-03-05/ss.txt")]
    );
    // `**` and a matched directory, walked: the same two files.
    let doc = summary_json(&[&format!("{root}/**/2024-*")]);
    assert_eq!(doc["sources"].as_array().unwrap().len(), 2);

    let out =
        sockscope().args(["summary", "--format", "json"]).arg(format!("{root}/dc9/*.txt")).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "nothing to analyze");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no file matches this pattern"));
    let out = sockscope()
        .args(["summary", "--format", "json"])
        .arg(format!("{root}/dc1/*/*/ss.txt"))
        .arg(format!("{root}/dc9/*.txt"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "one input failed");

    // A report written among the matches' directory is not replaced by a
    // later run over the same pattern (it lies inside an input directory).
    let report = dir.path().join("report");
    let run = |force: bool| {
        let mut c = sockscope();
        c.args(["report", "-q"]).arg(format!("{root}/dc*/web-1")).arg("-o").arg(&report);
        if force {
            c.arg("--force");
        }
        c.assert()
    };
    run(false).code(0);
    run(true).code(2).stderr(predicates::str::contains("lies inside the input directory"));
}

#[test]
fn host_from_takes_the_first_capture_group_of_the_path() {
    let dir = layout();
    let root = dir.path().to_str().unwrap();
    let doc = summary_json(&["--host-from", "/(dc[0-9]+)/", root]);
    let mut hosts: Vec<&str> =
        doc["sources"].as_array().unwrap().iter().map(|s| s["host"].as_str().unwrap()).collect();
    hosts.sort_unstable();
    assert_eq!(hosts, ["dc1", "dc2"]);
    // Paths it does not match keep the default name, with a note.
    let doc =
        summary_json(&["--host-from", "/(nomatch)/", samples().join("db-1/ss-tan.txt").to_str().unwrap()]);
    let s = &doc["sources"][0];
    assert_eq!(s["host"], "db-1");
    assert!(s["notes"][0].as_str().unwrap().contains("--host-from did not match"));
    // A regex without a group is a usage error, before any input is read.
    sockscope()
        .args(["summary", "--host-from", "dc1/web"])
        .arg(root)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("needs a capture group"));
}

#[test]
fn completions_and_the_manual_page_come_from_the_cli_definition() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = sockscope().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        // fish names long options without their dashes (`-l host-from`).
        for word in ["diagnose", "export", "host-from"] {
            assert!(text.contains(word), "{shell} completions lack {word}");
        }
    }
    let out = sockscope().arg("man").output().unwrap();
    let man = String::from_utf8(out.stdout).unwrap();
    assert!(man.contains(".TH sockscope 1") && man.contains("diagnose"), "{man}");
}

#[test]
fn no_progress_bar_when_stderr_is_not_a_terminal_or_with_quiet() {
    for quiet in [false, true] {
        let mut c = sockscope();
        c.args(["summary", "--format", "json"]).arg(samples());
        if quiet {
            c.arg("--quiet");
        }
        let out = c.output().unwrap();
        assert!(out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("ETA") && !err.contains('\r'), "{err}");
    }
}

/// A real sos 4.0 tree (tests/data/sosreport): the host comes from
/// `hostname`, per-namespace copies are `<host>/<netns>`, snapshots without
/// a time take `sos_commands/date/date`, and every socket table counts what
/// `ss` counted live (`EXPECTED.tsv`, made by `capture.sh`).
#[test]
fn a_sosreport_tree_names_its_host_and_namespaces_and_counts_what_ss_counted() {
    let root = crate::util::repo().join("tests/data/sosreport");
    let doc = summary_json(&[root.to_str().unwrap()]);
    crate::util::assert_accounting(&doc);
    let mut hosts: Vec<&str> =
        doc["sources"].as_array().unwrap().iter().map(|s| s["host"].as_str().unwrap()).collect();
    hosts.sort_unstable();
    hosts.dedup();
    assert_eq!(hosts, ["sockscope-lab1", "sockscope-lab1/blue", "sockscope-lab1/red"]);
    for s in doc["sources"].as_array().unwrap() {
        assert_eq!(s["lines"]["rejected"], 0, "{}", s["path"]);
    }

    // netns → (state → count), from the live counts.
    let tsv = std::fs::read_to_string(root.join("EXPECTED.tsv")).unwrap();
    let mut expected: std::collections::BTreeMap<String, std::collections::BTreeMap<String, u64>> =
        Default::default();
    for line in tsv.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let Some(state) = f[1].strip_prefix("tcp.") else { continue };
        let state = match state {
            "total" => "total".to_string(),
            "listening" => "LISTEN".to_string(),
            s => s.to_uppercase().replace("FIN-WAIT-", "FIN_WAIT").replace('-', "_"),
        };
        let host =
            if f[0] == "host" { "sockscope-lab1".to_string() } else { format!("sockscope-lab1/{}", f[0]) };
        // live, then each copied file: all equal by construction
        assert!(f[2..].iter().all(|v| *v == f[2]), "{line}");
        expected.entry(host).or_default().insert(state, f[2].parse().unwrap());
    }
    let mut tables = 0;
    for snap in doc["snapshots"].as_array().unwrap() {
        assert_eq!(snap["time"], "2026-12-02T21:41:50Z", "{}", snap["source"]);
        let src = snap["source"].as_str().unwrap();
        if !(src.contains("ss_-peaonmi") || src.contains("netstat_-W_-neopa")) {
            continue;
        }
        tables += 1;
        let want = &expected[snap["host"].as_str().unwrap()];
        assert_eq!(snap["protocols"]["tcp"].as_u64().unwrap(), want["total"], "{src}");
        for (state, n) in want.iter().filter(|(s, _)| *s != "total") {
            assert_eq!(snap["states"][state].as_u64().unwrap_or(0), *n, "{state} in {src}");
        }
    }
    // ss and netstat, in the host and in both namespaces.
    assert_eq!(tables, 6);
}

/// OSWatcher's hourly netstat files (tests/data/oswatcher): host from the
/// file name, the banner and `netstat -i`'s interface table accounted for,
/// `netstat -s` read as counters. On Linux they hold no socket table.
#[test]
fn oswatcher_netstat_archives_are_read_as_counters_of_their_host() {
    let root = crate::util::repo().join("tests/data/oswatcher/archive");
    let doc = summary_json(&[root.to_str().unwrap()]);
    crate::util::assert_accounting(&doc);
    let sources = doc["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 2);
    for s in sources {
        assert_eq!(s["host"], "sockscope-osw1", "{}", s["path"]);
        assert_eq!(s["format"], "counters", "{}", s["path"]);
        assert_eq!(s["lines"]["rejected"], 0, "{}", s["lines"]);
        // 3 samples × (header + eth0 + lo) of the interface table.
        assert_eq!(s["lines"]["ignored"], 9, "{}", s["lines"]);
        assert!(s["lines"]["parsed"].as_u64().unwrap() > 90, "{}", s["lines"]);
    }
}
