//! A generated fleet: hundreds of host directories in several layouts,
//! built from the real captures in `tests/data/scenarios/` (most hosts
//! healthy, one in twenty with a scenario's problem), a few inputs
//! corrupt. The same generator makes the benchmark fleets
//! (`benches/fleet.sh` runs the ignored `generate_for_benchmarks`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util::{repo, sockscope};

/// Captures a host can get: (scenario, socket table). The first is the
/// healthy one.
const POOL: &[(&str, &str)] = &[
    ("healthy", "ss-tanpoe.txt"),
    ("close-wait-leak", "ss-loop.log.gz"),
    ("syn-recv-flood", "ss-tanpoe.txt"),
    ("tw-buckets", "netstat-tanpo.txt"),
    ("port-exhaustion", "ss-tanpoe.txt"),
    ("retransmitting", "ss-tanpoe.txt"),
];

/// One generated host.
#[derive(Debug)]
pub struct GenHost {
    pub name: String,
    /// The scenario its socket table came from.
    pub scenario: &'static str,
    /// Its socket table in the fleet.
    pub table: PathBuf,
    /// The layout it was written in.
    pub layout: &'static str,
}

/// A generated fleet.
pub struct Fleet {
    pub root: PathBuf,
    pub hosts: Vec<GenHost>,
    /// Inputs that cannot be read.
    pub corrupt: Vec<PathBuf>,
}

fn scenario(name: &str) -> PathBuf {
    repo().join("tests/data/scenarios").join(name)
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    // Hard links where possible: a 5,000-host fleet stays small on disk.
    if std::fs::hard_link(from, to).is_err() {
        std::fs::copy(from, to).unwrap();
    }
}

/// Writes `n` hosts under `root`, in four layouts (host `i` in layout
/// `i % 4`):
/// - `flat/<host>/ss-tan.txt` + `sysctl-a.txt` (the host is the directory);
/// - `dated/<host>/2026-12-01/ss.txt` (the date level is skipped);
/// - `dc<k>/<host>.dc<k>.example.com.log` (a fully qualified file name);
/// - `sos/sosreport-<host>-2026-12-01-abcdef/` with `hostname`,
///   `sos_commands/networking/…` and `sos_commands/kernel/sysctl_-a`.
///
/// Every 20th host (from the 7th) gets a problem scenario's table. With
/// `corrupt`, three more inputs cannot be read: a truncated gzip, a file of
/// random bytes named like a capture, and a zstd file that is not zstd.
pub fn generate(root: &Path, n: usize, corrupt: bool) -> Fleet {
    let mut hosts = Vec::with_capacity(n);
    for i in 0..n {
        let (sc, file) = if i % 20 == 7 { POOL[1 + (i / 20) % (POOL.len() - 1)] } else { POOL[0] };
        let src = scenario(sc).join(file);
        let sysctl = scenario(sc).join("sysctl-a.txt");
        let gz = if file.ends_with(".gz") { ".gz" } else { "" };
        let (name, layout, table) = match i % 4 {
            0 => {
                let name = format!("app-{i:04}");
                let d = root.join("flat").join(&name);
                copy(&sysctl, &d.join("sysctl-a.txt"));
                (name, "flat", d.join(format!("ss-tan.txt{gz}")))
            }
            1 => {
                let name = format!("api-{i:04}");
                let d = root.join("dated").join(&name).join("2026-12-01");
                (name, "dated", d.join(format!("ss.txt{gz}")))
            }
            2 => {
                let dc = 1 + i % 3;
                let name = format!("cache-{i:04}.dc{dc}.example.com");
                (name.clone(), "fqdn", root.join(format!("dc{dc}")).join(format!("{name}.log{gz}")))
            }
            _ => {
                let name = format!("db-{i:04}");
                let d = root.join("sos").join(format!("sosreport-{name}-2026-12-01-abcdef"));
                std::fs::create_dir_all(&d).unwrap();
                std::fs::write(d.join("hostname"), format!("{name}\n")).unwrap();
                copy(&sysctl, &d.join("sos_commands/kernel/sysctl_-a"));
                (name, "sosreport", d.join(format!("sos_commands/networking/ss_-tanpoe{gz}")))
            }
        };
        copy(&src, &table);
        hosts.push(GenHost { name, scenario: sc, table, layout });
    }
    let mut bad = Vec::new();
    if corrupt {
        let d = root.join("flat/broken-1");
        std::fs::create_dir_all(&d).unwrap();
        let gz = std::fs::read(scenario("close-wait-leak").join("ss-loop.log.gz")).unwrap();
        std::fs::write(d.join("ss-loop.log.gz"), &gz[..gz.len() / 2]).unwrap();
        bad.push(d.join("ss-loop.log.gz"));
        let d = root.join("flat/broken-2");
        std::fs::create_dir_all(&d).unwrap();
        let noise: Vec<u8> = (0u32..4096).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
        std::fs::write(d.join("ss-tan.txt"), &noise).unwrap();
        bad.push(d.join("ss-tan.txt"));
        let d = root.join("flat/broken-3");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("ss-tan.txt.zst"), b"not zstd at all\n").unwrap();
        bad.push(d.join("ss-tan.txt.zst"));
    }
    Fleet { root: root.to_path_buf(), hosts, corrupt: bad }
}

/// Runs `sockscope ARGS`, returning (exit code, stdout, stderr).
fn run(args: &[&std::ffi::OsStr]) -> (i32, String, String) {
    let out = sockscope().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Total rows and snapshots per host, from `summary --format json`.
fn per_host(doc: &Value) -> BTreeMap<String, (u64, u64)> {
    let mut out: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for s in doc["snapshots"].as_array().expect("snapshots") {
        let e = out.entry(s["host"].as_str().unwrap().to_string()).or_default();
        e.0 += s["total"].as_u64().unwrap_or(0);
        e.1 += 1;
    }
    out
}

#[test]
fn a_generated_fleet_counts_every_host_as_its_own_files_do() {
    let dir = tempfile::tempdir().unwrap();
    let fleet = generate(dir.path(), 240, true);
    let (code, out, err) =
        run(&["summary".as_ref(), "--format".as_ref(), "json".as_ref(), fleet.root.as_os_str()]);
    // Some inputs failed: exit 1, each named with its error, the rest read.
    assert_eq!(code, 1, "{err}");
    for b in &fleet.corrupt {
        let name = b.strip_prefix(&fleet.root).unwrap().display().to_string();
        assert!(err.contains(&name) || out.contains(&name), "{name} not reported: {err}");
    }
    let doc: Value = serde_json::from_str(&out).unwrap();
    let got = per_host(&doc);
    // Every generated host, named as its layout says — nothing merged.
    for h in &fleet.hosts {
        assert!(got.contains_key(&h.name), "{} ({}) missing; hosts: {:?}", h.name, h.layout, got.keys());
    }
    assert!(!err.contains("named after 2 directories"), "{err}");
    // Each host's counts equal its file's own summary (a sample of each
    // layout and scenario, to keep the test quick).
    let mut checked = 0;
    for (_, h) in fleet.hosts.iter().enumerate().filter(|(i, h)| h.scenario != "healthy" || i % 9 == 0) {
        let (_, one, _) =
            run(&["summary".as_ref(), "--format".as_ref(), "json".as_ref(), h.table.as_os_str()]);
        let one: Value = serde_json::from_str(&one).unwrap();
        let (rows, snaps) = per_host(&one).into_values().next().unwrap();
        assert_eq!(got[&h.name], (rows, snaps), "{} ({}, {})", h.name, h.layout, h.scenario);
        checked += 1;
    }
    assert!(checked >= 30, "{checked}");
}

#[test]
fn the_fleet_page_lists_every_host_and_details_the_ones_that_matter() {
    let dir = tempfile::tempdir().unwrap();
    let fleet = generate(&dir.path().join("fleet"), 200, false);
    let report = dir.path().join("report");
    let (code, _, err) = run(&[
        "report".as_ref(),
        "-q".as_ref(),
        "--hosts".as_ref(),
        "12".as_ref(),
        fleet.root.as_os_str(),
        "-o".as_ref(),
        report.as_os_str(),
    ]);
    assert_eq!(code, 0, "{err}");
    let html = std::fs::read_to_string(report.join("index.html")).unwrap();
    let md = std::fs::read_to_string(report.join("report.md")).unwrap();
    let table = &html[html.find("id=\"fleet-hosts\"").expect("fleet table")..];
    let table = &table[..table.find("</table>").unwrap()];
    for h in &fleet.hosts {
        assert!(table.contains(&format!(">{}<", h.name)), "{} not in the fleet table", h.name);
        assert!(md.contains(&h.name), "{} not in report.md", h.name);
    }
    // Twelve sections; the problem hosts (findings, unusual counts) first.
    let sections: Vec<&str> = html
        .match_indices("<h2 id=\"host-")
        .map(|(i, _)| &html[i + 13..i + 13 + html[i + 13..].find('"').unwrap()])
        .collect();
    assert_eq!(sections.len(), 12, "{sections:?}");
    let problem: Vec<&GenHost> = fleet.hosts.iter().filter(|h| h.scenario != "healthy").collect();
    let leaking = problem.iter().find(|h| h.scenario == "close-wait-leak").unwrap();
    assert!(
        sections.iter().any(|s| *s == crate::util::slug(&leaking.name)),
        "{} has no section: {sections:?}",
        leaking.name
    );
    // The table is ranked: the first row is a problem host, not a healthy one.
    let first = table.split("<tr").nth(2).unwrap();
    assert!(problem.iter().any(|h| first.contains(&format!(">{}<", h.name))), "{first}");
    assert!(html.contains("12 of 200 hosts have a section of their own"), "intro");
    // `--hosts all`: a section for every host.
    let all = dir.path().join("all");
    let (code, _, err) = run(&[
        "report".as_ref(),
        "-q".as_ref(),
        "--hosts".as_ref(),
        "all".as_ref(),
        fleet.root.as_os_str(),
        "-o".as_ref(),
        all.as_os_str(),
    ]);
    assert_eq!(code, 0, "{err}");
    let html = std::fs::read_to_string(all.join("index.html")).unwrap();
    assert_eq!(html.matches("<h2 id=\"host-").count(), 200);
}

/// Makes a fleet for the benchmarks: `SOCKSCOPE_FLEET_DIR` (created) with
/// `SOCKSCOPE_FLEET_HOSTS` hosts. `benches/fleet.sh` runs it.
#[test]
#[ignore]
fn generate_for_benchmarks() {
    let dir = PathBuf::from(std::env::var("SOCKSCOPE_FLEET_DIR").expect("SOCKSCOPE_FLEET_DIR"));
    let n: usize = std::env::var("SOCKSCOPE_FLEET_HOSTS").expect("SOCKSCOPE_FLEET_HOSTS").parse().unwrap();
    let f = generate(&dir, n, false);
    println!("{} hosts in {}", f.hosts.len(), f.root.display());
}
