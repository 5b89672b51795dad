//! Timestamp lines (`date` in its forms, epoch, OSWatcher, banners) and
//! their resolution to instants under each kind of `--tz`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sockscope::parse::timestamp::{TzPolicy, parse_timestamp_line, resolve};

fuzz_target!(|data: &[u8]| {
    let zones: Vec<TzPolicy> = ["UTC", "+05:30", "-11:00", "Europe/Berlin", "America/St_Johns"]
        .iter()
        .filter_map(|z| TzPolicy::parse(z).ok())
        .collect();
    for line in data.split(|b| *b == b'\n') {
        if let Some(raw) = parse_timestamp_line(line) {
            let _ = resolve(&raw, None);
            for z in &zones {
                let _ = resolve(&raw, Some(z));
            }
        }
    }
    if let Ok(s) = std::str::from_utf8(data)
        && s.len() < 64
    {
        let _ = TzPolicy::parse(s);
    }
});
