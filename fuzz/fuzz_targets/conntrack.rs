//! conntrack entries (`conntrack -L`, `-o extended`, `/proc/net/nf_conntrack`),
//! trailers and event lines, and the repair of trailers spliced into rows.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sockscope::ingest::chunk::repair_interleaved_trailers;
use sockscope::parse::conntrack;

fuzz_target!(|data: &[u8]| {
    if let Some(fixed) = repair_interleaved_trailers(data) {
        let lines = |b: &[u8]| b.iter().filter(|c| **c == b'\n').count();
        assert_eq!(lines(&fixed), lines(data), "the repair must keep the line count");
    }
    for line in data.split(|b| *b == b'\n') {
        let _ = conntrack::parse_entry(line);
        let _ = conntrack::parse_trailer(line);
        let _ = conntrack::is_event_line(line);
    }
});
