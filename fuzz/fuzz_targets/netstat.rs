//! netstat rows (Linux, BSD, macOS, Solaris, Windows) and their parts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sockscope::parse::{addr, netstat};

fuzz_target!(|data: &[u8]| {
    for line in data.split(|b| *b == b'\n') {
        let _ = netstat::parse_row(line);
        let _ = netstat::pid_program(line);
        for tok in line.split(|b| b.is_ascii_whitespace()) {
            if let Some(mut ep) = addr::parse_endpoint(tok) {
                let _ = ep.family();
                addr::distrust_cut_port(&mut ep, tok.len(), true);
            }
            let _ = addr::service_port(tok);
            let _ = addr::canonical_ipv4(tok);
            let _ = addr::ipv4_value_port(tok);
            let _ = addr::mapped_ipv4_value_port(tok);
        }
    }
});
