//! Companion files: `sysctl -a` (all dialects) and conntrack statistics
//! (`/proc/net/stat/nf_conntrack`, `conntrack -S`), summed as ingest does.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use sockscope::parse::{ctstat, sysctl};

fuzz_target!(|data: &[u8]| {
    let mut stats = ctstat::CtStats::default();
    let mut map = BTreeMap::new();
    let first = data.split(|b| *b == b'\n').next().unwrap_or_default();
    let _ = ctstat::looks_like_ctstat(first);
    let _ = sysctl::looks_like_sysctl(data.split(|b| *b == b'\n'));
    for line in data.split(|b| *b == b'\n') {
        stats.add(&ctstat::parse_line(line));
        if let sysctl::SysctlLine::Entry { key, value } = sysctl::parse_line(line) {
            map.insert(String::from_utf8_lossy(key).into_owned(), String::from_utf8_lossy(value).into_owned());
        }
    }
    let _ = sysctl::port_range(&map);
});
