//! Public real-world captures (`../shared/corpus/public`, see its
//! SOURCES.md): every supported file is read with zero rejected lines, and
//! the socket counts match counts made independently of sockscope.
//!
//! The expected counts were made with grep/awk over the raw files, e.g.
//! `grep -cE '^\s*([0-9a-f]{8,}\s+){0,2}(tcp|udp|raw|tcp4|tcp6|tcp46|udp4|udp6|udp46|raw6|icm4|icm6|TCP|UDP)\s'`
//! for netstat, `grep -cE '^(tcp|udp|raw|icmp6)\s+[A-Z-]+\s'` for `ss -a`
//! style files and `grep -c ' src='` for conntrack; the macOS `-A` file by
//! `awk '{print $3}'` over its Internet section (its flowhash column is not
//! always 8 hex digits), the Solaris file by hand (3 UDP + 6 TCP rows).

use serde_json::Value;

use crate::util::{assert_accounting, corpus, summary_json};

/// (path under corpus/public, kind, rows per snapshot)
const EXPECTED: &[(&str, &str, &[u64])] = &[
    ("AsusRouter/netstat.txt", "netstat", &[14]),
    // Two captures from two firmware versions, concatenated with
    // `[FW: …]` annotations: two snapshots.
    ("Tapo_c110_v1_Info/netstat.txt", "netstat", &[13, 11]),
    ("conntrackr/conntrack-entry", "conntrack", &[22]),
    ("coreos-sosreport-master1/proc/3255/net/nf_conntrack", "conntrack", &[678]),
    ("coreos-sosreport-master1/sos_commands/networking/netstat_-W_-neopa", "netstat", &[37]),
    ("coreos-sosreport-master1/sos_commands/networking/ss_-peaonmi", "ss", &[37]),
    ("hotsos/vault/sos_commands/networking/netstat_-W_-neopa", "netstat", &[142]),
    ("insights-core/test_netstat.py__NETSTAT.txt", "netstat", &[6]),
    ("insights-core/test_netstat.py__NETSTAT_NOMATCH1.txt", "netstat", &[3]),
    ("insights-core/test_netstat.py__SS_TUPNA_2.txt", "ss", &[33]),
    ("insights-core/test_netstat.py__SS_TUPNA_DOCS.txt", "ss", &[8]),
    ("insights-core/test_netstat.py__Ss_TUPNA.txt", "ss", &[15]),
    ("jc/centos-7.7/netstat-sudo-aeep.out", "netstat", &[10]),
    ("jc/centos-7.7/netstat-sudo-lnp.out", "netstat", &[8]),
    ("jc/centos-7.7/netstat.out", "netstat", &[3]),
    ("jc/centos-7.7/ss-sudo-a.out", "ss", &[10]),
    ("jc/fedora32/netstat.out", "netstat", &[2]),
    ("jc/freebsd12/netstat-AaT.out", "netstat", &[6]),
    ("jc/freebsd12/netstat-AanP.out", "netstat", &[6]),
    ("jc/freebsd12/netstat-an.out", "netstat", &[6]),
    ("jc/generic/netstat-no-state.out", "netstat", &[4]),
    ("jc/generic/netstat-old.out", "netstat", &[2]),
    ("jc/generic/ss-wide.out", "ss", &[155]),
    ("jc/osx-10.14.6/netstat-An.out", "netstat", &[138]),
    ("jc/osx-10.14.6/netstat.out", "netstat", &[158]),
    ("jc/ubuntu-18.04/netstat-p.out", "netstat", &[2]),
    ("jc/ubuntu-18.04/netstat-sudo-lnp-space.out", "netstat", &[26]),
    ("jc/ubuntu-18.04/ss-sudo-a.out", "ss", &[7]),
    ("jc/ubuntu-18.04/ss-sudo-tulpen.out", "ss", &[73]),
    ("jc/windows/windows-10/netstat-an.out", "netstat", &[260]),
    ("parse_nf_conntrack/nf_conntrack", "conntrack", &[112]),
    ("perl-Parse-Netstat/netstat-an-darwin", "netstat", &[6]),
    ("perl-Parse-Netstat/netstat-an-freebsd-10.1", "netstat", &[36]),
    ("perl-Parse-Netstat/netstat-an-freebsd-9.2", "netstat", &[37]),
    ("perl-Parse-Netstat/netstat-an6-linux", "netstat", &[8]),
    ("perl-Parse-Netstat/netstat-anp-linux", "netstat", &[14]),
    ("perl-Parse-Netstat/netstat-n-solaris", "netstat", &[9]),
    ("stem/connection.py__NETSTAT_IPV6_OUTPUT.txt", "netstat", &[5]),
    ("stem/connection.py__SS_IPV6_OUTPUT.txt", "ss", &[6]),
    ("stem/connection.py__SS_OUTPUT.txt", "ss", &[5]),
];

fn corpus_doc() -> Option<(std::path::PathBuf, Value)> {
    let dir = corpus()?;
    let doc = summary_json(&[dir.to_str().unwrap()]);
    Some((dir, doc))
}

#[test]
fn every_corpus_file_is_read_without_rejects() {
    let Some((_, doc)) = corpus_doc() else { return };
    assert_accounting(&doc);
    for s in doc["sources"].as_array().unwrap() {
        assert_eq!(s["lines"]["rejected"], 0, "{}: {}", s["path"], s["lines"]["rejected_samples"]);
    }
}

#[test]
fn corpus_socket_counts_match_independent_counts() {
    let Some((dir, doc)) = corpus_doc() else { return };
    for (path, kind, rows) in EXPECTED {
        let full = dir.join(path);
        let got: Vec<u64> = doc["snapshots"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| std::path::Path::new(s["source"].as_str().unwrap()) == full && s["kind"] == *kind)
            .map(|s| s["total"].as_u64().unwrap())
            .collect();
        assert_eq!(&got, rows, "{path}");
    }
}

#[test]
fn corpus_companion_files_and_failed_captures() {
    let Some((dir, doc)) = corpus_doc() else { return };
    let source = |p: &str| {
        let full = dir.join(p);
        doc["sources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| std::path::Path::new(s["path"].as_str().unwrap()) == full)
            .cloned()
    };
    for p in [
        "jc/centos-7.7/sysctl-a.out",
        "jc/freebsd12/sysctl-a.out",
        "jc/osx-10.14.6/sysctl-a.out",
        "hotsos/openstack/sos_commands/kernel/sysctl_-a",
    ] {
        assert_eq!(source(p).unwrap_or_else(|| panic!("{p} read"))["format"], "sysctl", "{p}");
    }
    for p in ["conntrackr/conntrack-stat", "coreos-sosreport-master1/proc/3255/net/stat/nf_conntrack"] {
        assert_eq!(source(p).unwrap_or_else(|| panic!("{p} read"))["format"], "conntrack-stat", "{p}");
    }
    // Only SOURCES.md is not a capture.
    assert_eq!(doc["skipped"].as_array().unwrap().len(), 1, "{}", doc["skipped"]);
    // /proc/net/sockstat: kernel counters.
    let s = source("coreos-sosreport-master1/proc/3255/net/sockstat").expect("sockstat read");
    assert_eq!(s["format"], "ss-summary");
    // A capture that failed: read, nothing rejected, and said so.
    let failed = "hotsos/openstack/sos_commands/networking/ip_netns_exec_snat-984c22fd-64b3-4fa1-8ddd-87090f401ce5_netstat_-W_-neopa";
    let s = source(failed).expect("failed capture is reported");
    assert_eq!(s["format"], "empty");
    assert_eq!(s["lines"]["structural"], 1);
    // Host from the sosreport layout.
    let s = source("hotsos/vault/sos_commands/networking/netstat_-W_-neopa").unwrap();
    assert_eq!(s["host"], "vault");
}
