//! Safety: outputs never destroy inputs or anything not ours, staging is
//! exclusive and removed on errors and signals, text from captures never
//! reaches the terminal raw, numbers from captures saturate, and one bad
//! input never stops a batch.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::util::{samples, sockscope};

/// Every file under `dir` with its bytes.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in walkdir(dir) {
        out.insert(e.clone(), std::fs::read(&e).unwrap());
    }
    out
}

fn walkdir(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.symlink_metadata().unwrap().is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A copy of `samples/` to run against (the tests must not risk the real
/// one).
fn captures() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let caps = d.path().join("caps");
    for host in ["web-1", "db-1"] {
        std::fs::create_dir_all(caps.join(host)).unwrap();
        for f in ["ss-loop.log", "ss-tan.txt", "sysctl-a.txt"] {
            let src = samples().join(host).join(f);
            if src.exists() {
                std::fs::copy(&src, caps.join(host).join(f)).unwrap();
            }
        }
    }
    (d, caps)
}

#[test]
fn force_never_replaces_an_input_or_its_parent() {
    let (d, caps) = captures();
    let before = tree(&caps);
    for (inputs, out) in [
        (vec![caps.clone()], caps.clone()),
        (vec![caps.join("web-1")], caps.clone()),
        (vec![caps.join("web-1/ss-loop.log")], caps.join("web-1")),
        (vec![caps.clone()], d.path().to_path_buf()),
    ] {
        let o = sockscope().arg("report").args(&inputs).arg("-o").arg(&out).arg("--force").output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{out:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("input") && err.contains(&*out.to_string_lossy()), "{err}");
        assert_eq!(tree(&caps), before, "inputs changed by -o {out:?}");
        assert_eq!(names(d.path()), ["caps"], "nothing staged next to -o {out:?}");
    }
    // Through a symlink to the inputs: refused as a symlink or as an input.
    let link = d.path().join("link");
    std::os::unix::fs::symlink(&caps, &link).unwrap();
    let o = sockscope().arg("report").arg(&caps).arg("-o").arg(&link).arg("--force").output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(tree(&caps), before);
    // A previous report inside the input directory is not replaced either.
    let inner = caps.join("report");
    sockscope().arg("report").arg(caps.join("web-1")).arg("-o").arg(&inner).assert().success();
    let o = sockscope().arg("report").arg(&caps).arg("-o").arg(&inner).arg("--force").output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("lies inside the input directory"));
    assert!(inner.join("index.html").exists());
}

#[test]
fn force_refuses_a_directory_that_is_not_a_previous_report() {
    let d = tempfile::tempdir().unwrap();
    let home = d.path().join("home");
    std::fs::create_dir_all(home.join(".ssh")).unwrap();
    std::fs::write(home.join(".ssh/id_ed25519"), "secret").unwrap();
    let o = sockscope()
        .args(["report", "samples/db-1/ss-tan.txt", "-o"])
        .arg(&home)
        .arg("--force")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("not a previous sockscope report") && err.contains(".sockscope"), "{err}");
    assert_eq!(std::fs::read_to_string(home.join(".ssh/id_ed25519")).unwrap(), "secret");
    assert_eq!(names(d.path()), ["home"], "no staging left behind");
    // A chart file is replaced only if it is an image.
    let notes = d.path().join("notes.png");
    std::fs::write(&notes, "meeting notes").unwrap();
    let o =
        sockscope().args(["chart", "states", "samples/db-1/ss-tan.txt", "-o"]).arg(&notes).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("pass --force"));
    let o = sockscope()
        .args(["chart", "states", "samples/db-1/ss-tan.txt", "--force", "-o"])
        .arg(&notes)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a PNG or SVG image"));
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "meeting notes");
    // A chart it drew is replaced with --force.
    let chart = d.path().join("c.svg");
    sockscope().args(["chart", "states", "samples/db-1/ss-tan.txt", "-o"]).arg(&chart).assert().success();
    sockscope().args(["chart", "states", "samples/web-1/ss-tan.txt", "-o"]).arg(&chart).assert().code(2);
    sockscope()
        .args(["chart", "states", "samples/web-1/ss-tan.txt", "--force", "-o"])
        .arg(&chart)
        .assert()
        .success();
    assert_eq!(names(d.path()), ["c.svg", "home", "notes.png"]);
}

#[test]
fn a_bad_output_fails_before_any_input_is_read() {
    // A FIFO nobody writes to: opening it to read would block for ever.
    let d = tempfile::tempdir().unwrap();
    let fifo = d.path().join("fifo");
    if !std::process::Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success()) {
        eprintln!("skipping: mkfifo unavailable");
        return;
    }
    let taken = d.path().join("taken");
    std::fs::create_dir(&taken).unwrap();
    std::fs::write(taken.join("c.png"), "x").unwrap();
    for args in [vec!["report"], vec!["chart", "states"]] {
        let out = if args[0] == "report" { taken.clone() } else { taken.join("c.png") };
        sockscope()
            .args(&args)
            .arg(&fifo)
            .arg("-o")
            .arg(&out)
            .timeout(Duration::from_secs(30))
            .assert()
            .code(2)
            .stderr(predicates::str::contains("exists; pass --force"));
    }
}

#[test]
fn planted_symlinks_at_staging_names_are_not_followed() {
    let d = tempfile::tempdir().unwrap();
    let victim = d.path().join("victim");
    std::fs::create_dir(&victim).unwrap();
    // The names earlier versions staged under (`.<name>.tmp-<pid>`), for
    // every pid the child can plausibly get, and a few of today's shape.
    let me = std::process::id();
    for pid in me.saturating_sub(50)..me + 3000 {
        for kind in ["tmp", "old"] {
            std::os::unix::fs::symlink(&victim, d.path().join(format!(".r.{kind}-{pid}"))).unwrap();
        }
    }
    for i in 0..50 {
        std::os::unix::fs::symlink(&victim, d.path().join(format!(".r.sockscope-{i:016x}"))).unwrap();
    }
    let out = d.path().join("r");
    sockscope().args(["report", "samples/db-1/ss-tan.txt", "-o"]).arg(&out).assert().success();
    sockscope().args(["report", "samples/db-1/ss-tan.txt", "--force", "-o"]).arg(&out).assert().success();
    assert!(names(&victim).is_empty(), "wrote through a planted symlink: {:?}", names(&victim));
    assert!(out.join("index.html").is_file() && !out.symlink_metadata().unwrap().file_type().is_symlink());
    let left: Vec<String> = names(d.path())
        .into_iter()
        .filter(|n| n.contains("sockscope") && !n.starts_with(".r.sockscope-0"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// A fleet of `n` hosts (hard links to one real capture loop), big enough
/// that its report takes a few seconds.
fn fleet(n: usize) -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("fleet");
    std::fs::create_dir(&dir).unwrap();
    let src = samples().join("web-1/ss-loop.log");
    for i in 0..n {
        let p = dir.join(format!("host-{i:03}.log"));
        if std::fs::hard_link(&src, &p).is_err() {
            std::fs::copy(&src, &p).unwrap();
        }
    }
    (d, dir)
}

/// Starts a report of `fleet`, waits until it is drawing charts into its
/// staging directory, sends `signal`, and checks the exit code and that
/// nothing is left.
fn interrupted(signal: &str, code: i32) {
    let (d, fleet) = fleet(120);
    let outdir = d.path().join("out");
    std::fs::create_dir(&outdir).unwrap();
    let out = outdir.join("report");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("sockscope"))
        .arg("report")
        .arg(&fleet)
        .arg("-o")
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let drawing = loop {
        let staged: Vec<PathBuf> = std::fs::read_dir(&outdir).unwrap().map(|e| e.unwrap().path()).collect();
        if staged.iter().any(|s| s.join("charts").read_dir().is_ok_and(|mut r| r.next().is_some())) {
            break true;
        }
        if Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            break false;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    assert!(drawing, "the report never started drawing charts");
    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill").args([signal, &pid]).status().unwrap().success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(code), "{signal}: {status:?}");
    assert!(names(&outdir).is_empty(), "{signal} left {:?}", names(&outdir));
}

#[test]
fn sigterm_leaves_neither_output_nor_staging() {
    interrupted("-TERM", 143);
}

#[test]
fn sigint_leaves_neither_output_nor_staging() {
    interrupted("-INT", 130);
}

#[test]
fn a_full_disk_leaves_no_partial_output_and_names_the_path() {
    // A 300 KiB tmpfs in a private mount namespace: the report (2 MB) does
    // not fit.
    let can = std::process::Command::new("unshare").args(["-m", "true"]).status().is_ok_and(|s| s.success());
    if !can {
        eprintln!("skipping: cannot create a mount namespace here (unshare -m)");
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let mnt = d.path().join("small");
    std::fs::create_dir(&mnt).unwrap();
    let bin = assert_cmd::cargo::cargo_bin!("sockscope");
    let script = format!(
        "mount -t tmpfs -o size=300k tmpfs '{m}' && '{b}' report samples -o '{m}/report'; echo \"rc=$?\"; ls -A '{m}'",
        m = mnt.display(),
        b = bin.display()
    );
    let o = std::process::Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c", &script])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    let stderr = String::from_utf8_lossy(&o.stderr);
    if stderr.contains("mount:") {
        eprintln!("skipping: cannot mount a tmpfs here: {stderr}");
        return;
    }
    assert!(stdout.contains("rc=2"), "{stdout} {stderr}");
    assert_eq!(stdout.trim(), "rc=2", "the tmpfs must be empty afterwards: {stdout}");
    let report = format!("{}/report", mnt.display());
    assert!(
        stderr.contains("No space left on device") && stderr.contains(&format!("writing {report}/")),
        "{stderr}"
    );
    assert!(!stderr.contains("sockscope-"), "the message names the output, not the staging: {stderr}");
}

/// Bytes a terminal would act on.
fn raw_controls(b: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(b);
    text.chars()
        .filter(|&c| (c.is_control() && c != '\n') || ('\u{202a}'..='\u{202e}').contains(&c))
        .map(|c| c as u32 as u8)
        .collect()
}

#[test]
fn escape_sequences_in_a_capture_never_reach_the_terminal_raw() {
    let d = tempfile::tempdir().unwrap();
    let evil = "\x1b]0;owned\x07\x1b[2J\u{9b}31m\u{202e}";
    let name = d.path().join(format!("web{evil}.log"));
    let text = format!(
        "State Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n\
         ESTAB 0 0 10.0.0.1:22 10.0.0.2:5000 users:((\"{evil}sshd\",pid=1,fd=3))\n\
         LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:((\"{evil}\",pid=2,fd=3))\n\
         {evil} this line is rejected \x1b[0m\n\
         ESTAB 0 0 10.0.0.1:22 host{evil}:5001\n"
    );
    std::fs::write(&name, text).unwrap();
    let p = name.to_str().unwrap();
    let out = d.path().join("r");
    let chart = d.path().join("c.svg");
    let missing = format!("{}/missing{evil}", d.path().display());
    let runs: Vec<Vec<&str>> = vec![
        vec!["summary", p],
        vec!["summary", "--format", "json", p],
        vec!["summary", "--strict", p],
        vec!["summary", "--host", evil, p],
        vec!["report", p, "-o", out.to_str().unwrap()],
        vec!["chart", "hotspots", p, "-o", chart.to_str().unwrap()],
        vec!["summary", &missing],
    ];
    for args in runs {
        let o = sockscope().args(&args).output().unwrap();
        assert!(o.status.code().is_some_and(|c| c <= 2), "{args:?}: {:?}", o.status);
        assert!(
            raw_controls(&o.stdout).is_empty(),
            "stdout of {args:?}: {}",
            String::from_utf8_lossy(&o.stdout)
        );
        assert!(
            raw_controls(&o.stderr).is_empty(),
            "stderr of {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    // The table shows the sample with its escapes spelled out.
    let o = sockscope().args(["summary", p]).output().unwrap();
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(table.contains("\\x1b]0;owned\\x07"), "{table}");
    // JSON stays exact (serde escapes the control characters).
    let o = sockscope().args(["summary", "--format", "json", p]).output().unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let sample = doc["sources"][0]["lines"]["rejected_samples"][0]["text"].as_str().unwrap();
    assert!(sample.starts_with(evil), "{sample:?}");
    // report.md is read with `cat` too.
    let md = std::fs::read(out.join("report.md")).unwrap();
    assert!(raw_controls(&md).is_empty(), "report.md carries raw control characters");
}

#[test]
fn numbers_at_the_edge_of_u64_saturate_instead_of_overflowing() {
    let d = tempfile::tempdir().unwrap();
    let max = u64::MAX;
    let big = "99999999999999999999999999";
    let caps = d.path().join("h.log");
    std::fs::write(
        &caps,
        format!(
            "tcp      6 117 TIME_WAIT src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 packets={big} bytes={max} src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 packets={max} bytes={big} [ASSURED] mark={big} zone={big} use={big}\n\
             conntrack v1.4.7 (conntrack-tools): {max} flow entries have been shown.\n\
             conntrack v1.4.7 (conntrack-tools): {max} flow entries have been shown.\n\
             conntrack v1.4.7 (conntrack-tools): {big} flow entries have been shown.\n\
             Total: {max}\n\
             TCP:   {max} (estab {max}, closed {big}, orphaned {max}, timewait {max})\n\
             State Recv-Q Send-Q Local Address:Port Peer Address:Port\n\
             LISTEN {max} {max} 0.0.0.0:22 0.0.0.0:*\n\
             LISTEN {big} {big} 0.0.0.0:23 0.0.0.0:*\n\
             ESTAB {max} {max} 10.0.0.1:22 10.0.0.2:5000\n"
        ),
    )
    .unwrap();
    let stat = d.path().join("nf_conntrack_stat");
    std::fs::write(
        &stat,
        format!("cpu=0 found={max} invalid={max} insert=0 drop={max}\ncpu=1 found={max} invalid={big} insert=0 drop=1\n"),
    )
    .unwrap();
    for cmd in [vec!["summary", "--format", "json"], vec!["summary"]] {
        let o = sockscope().args(&cmd).arg(&caps).arg(&stat).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains("internal error") && !err.contains("overflow"), "{err}");
        assert!(o.status.code().is_some_and(|c| c <= 1), "{cmd:?}: {err}");
    }
    let r = d.path().join("r");
    let o = sockscope().arg("report").arg(&caps).arg(&stat).arg("-o").arg(&r).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn a_panic_in_one_input_is_that_inputs_error_and_the_batch_completes() {
    let d = tempfile::tempdir().unwrap();
    for n in ["alpha", "boom", "gamma"] {
        std::fs::copy(samples().join("web-1/ss-tan.txt"), d.path().join(format!("{n}.log"))).unwrap();
    }
    let o = sockscope()
        .env("SOCKSCOPE_TEST_PANIC_ON", "boom")
        .args(["summary", "--format", "json"])
        .arg(d.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("boom.log") && err.contains("internal error"), "{err}");
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let hosts: Vec<&str> =
        doc["sources"].as_array().unwrap().iter().map(|s| s["host"].as_str().unwrap()).collect();
    assert_eq!(hosts, ["alpha", "gamma"]);
    assert!(doc["errors"].as_array().unwrap().iter().any(|e| e.as_str().unwrap().contains("boom.log")));
    // A large input (many chunks, several workers) too: no worker waits for
    // the chunk that panicked.
    let big = d.path().join("boom-big.log");
    let one = std::fs::read(samples().join("web-1/ss-loop.log")).unwrap();
    std::fs::write(&big, one.repeat(40)).unwrap();
    let o = sockscope()
        .env("SOCKSCOPE_TEST_PANIC_ON", "boom-big")
        .args(["summary", "--format", "json"])
        .arg(&big)
        .arg(d.path().join("alpha.log"))
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn a_line_longer_than_a_chunk_is_rejected_with_its_length_not_buffered() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("long.log");
    let mut text =
        b"State Recv-Q Send-Q Local Address:Port Peer Address:Port\nESTAB 0 0 10.0.0.1:22 10.0.0.2:5000\n"
            .to_vec();
    let long = 20 << 20;
    text.extend(std::iter::repeat_n(b'x', long));
    text.extend_from_slice(b"\nESTAB 0 0 10.0.0.1:22 10.0.0.2:5001\n");
    std::fs::write(&p, &text).unwrap();
    let doc = crate::util::summary_json(&[p.to_str().unwrap()]);
    crate::util::assert_accounting(&doc);
    let l = &doc["sources"][0]["lines"];
    assert_eq!((l["parsed"].as_u64(), l["rejected"].as_u64()), (Some(2), Some(1)));
    let s = &l["rejected_samples"][0];
    assert_eq!(s["reason"], "line_too_long");
    assert_eq!(s["line"], 3);
    assert!(s["text"].as_str().unwrap().ends_with(&format!("[{long} bytes]")), "{s}");
}
