//! Companion files: `sysctl -a` (all dialects), conntrack statistics
//! (`/proc/net/stat/nf_conntrack`, `conntrack -S`), kernel logs and
//! protocol counters (`netstat -s`, `nstat`), read as ingest does.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use sockscope::parse::{ctstat, kernlog, netstat_s, sysctl};

fuzz_target!(|data: &[u8]| {
    let mut stats = ctstat::CtStats::default();
    let mut map = BTreeMap::new();
    let first = data.split(|b| *b == b'\n').next().unwrap_or_default();
    let _ = ctstat::looks_like_ctstat(first);
    let _ = sysctl::looks_like_sysctl(data.split(|b| *b == b'\n'));
    let head: Vec<&[u8]> = data.split(|b| *b == b'\n').take(20).collect();
    let _ = kernlog::looks_like_kernel_log(&head);
    let _ = netstat_s::looks_like_counters(&head);
    let mut counters = netstat_s::CounterParser::new();
    let mut samples = netstat_s::CounterSamples::new();
    for line in data.split(|b| *b == b'\n') {
        let _ = kernlog::parse_line(line);
        samples.add(&counters.parse_line(line));
        stats.add(&ctstat::parse_line(line));
        if let sysctl::SysctlLine::Entry { key, value } = sysctl::parse_line(line) {
            map.insert(String::from_utf8_lossy(key).into_owned(), String::from_utf8_lossy(value).into_owned());
        }
    }
    let _ = sysctl::port_range(&map);
    let _ = samples.delta("TcpExt.ListenOverflows");
});
