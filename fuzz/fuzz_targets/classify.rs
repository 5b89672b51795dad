//! The line classifier and the fast lane, over every line of the input,
//! with the state carried from line to line as in a real chunk, unforced
//! and under each `--input-format`. The fast lane must agree with the
//! classifier wherever it takes a row.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sockscope::parse::{Line, LineState, TableFormat, classify, fast};

fuzz_target!(|data: &[u8]| {
    let forced = [None, Some(TableFormat::Netstat), Some(TableFormat::Ss), Some(TableFormat::Conntrack), Some(TableFormat::SsSummary)];
    for f in forced {
        let mut st = LineState::new(f);
        for line in data.split(|b| *b == b'\n') {
            let fast = fast::row(line, &st);
            let _ = fast::may_start_row(line, &st);
            let before = st;
            let full = classify(line, &mut st);
            if let Some(fast) = fast {
                match full {
                    Line::Socket(r) => assert_eq!(fast, fast::CountedRow::of(&r), "fast lane disagrees on {:?} after {before:?}", String::from_utf8_lossy(line)),
                    other => panic!("fast lane took a row the classifier calls {other:?}: {:?}", String::from_utf8_lossy(line)),
                }
            }
        }
    }
});
