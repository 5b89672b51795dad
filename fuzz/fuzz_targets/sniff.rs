//! Format detection on the head of a source.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sockscope::ingest::sniff;

fuzz_target!(|data: &[u8]| {
    let _ = sniff::sniff(data);
    let _ = sniff::first_line(data);
    if let Ok((head, _)) = sniff::read_head(data) {
        assert_eq!(head.len(), data.len().min(sniff::HEAD));
    }
});
