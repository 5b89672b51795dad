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
