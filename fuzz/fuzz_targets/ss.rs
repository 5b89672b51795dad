//! `ss` rows (every flag set), users:(...) lists, and `ss -s` /
//! `/proc/net/sockstat` counters.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sockscope::parse::ss;

fuzz_target!(|data: &[u8]| {
    let mut counters = ss::Sockstat::default();
    for line in data.split(|b| *b == b'\n') {
        let _ = ss::parse_row(line);
        let _ = ss::all_users(line);
        let _ = ss::first_user(line);
        if let Some(ss::SockstatLine::Counters(c)) = ss::parse_sockstat_line(line) {
            counters.merge(&c);
        }
    }
});
