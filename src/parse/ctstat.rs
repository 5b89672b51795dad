//! Conntrack statistics: `/proc/net/stat/nf_conntrack` (one row of hex
//! counters per CPU under a header) and `conntrack -S` (`cpu=0 found=0
//! invalid=5 … drop=0 early_drop=0 …`).
//!
//! ```text
//! entries  searched found new invalid ignore delete delete_list insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart
//! 0000035a  00000000 00000000 00000000 00000004 00013a2b 00000000 00000000 00000000 00000000 00000000 00000000 00000000  00000000 00000000 00000000 0000018e
//! cpu=0    found=0 invalid=130 insert=0 insert_failed=0 drop=0 early_drop=0 error=0 search_restart=3
//! ```
//!
//! Per-CPU counters are summed; `entries` is the same global count on every
//! row of the procfs file, so it is taken once. The procfs header changed
//! across kernels (`searched … delete_list` became `clashres … chainlength`),
//! so columns are named by the header, never by position.

use std::collections::BTreeMap;

use super::tokens::{parse_u64, split_token, starts_with, trim_end};

/// One line of conntrack statistics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CtStatLine {
    /// The procfs header: column names.
    Header(Vec<String>),
    /// A procfs row of hex counters.
    HexRow(Vec<u64>),
    /// A `conntrack -S` line: counter name → value.
    Keyed(Vec<(String, u64)>),
    Blank,
    Other,
}

pub fn parse_line(raw: &[u8]) -> CtStatLine {
    let line = trim_end(raw);
    let Some((t0, _)) = split_token(line) else { return CtStatLine::Blank };
    let words = || line.split(|b| *b == b' ' || *b == b'\t').filter(|t| !t.is_empty());
    if t0 == b"entries" {
        return CtStatLine::Header(words().map(|w| String::from_utf8_lossy(w).into_owned()).collect());
    }
    if starts_with(t0, b"cpu=") {
        let mut out = Vec::new();
        for w in words() {
            let Some(eq) = w.iter().position(|&b| b == b'=') else { return CtStatLine::Other };
            let Some(v) = parse_u64(&w[eq + 1..]) else { return CtStatLine::Other };
            out.push((String::from_utf8_lossy(&w[..eq]).into_owned(), v));
        }
        return CtStatLine::Keyed(out);
    }
    let mut vals = Vec::new();
    for w in words() {
        if w.len() != 8 {
            return CtStatLine::Other;
        }
        match std::str::from_utf8(w).ok().and_then(|s| u64::from_str_radix(s, 16).ok()) {
            Some(v) => vals.push(v),
            None => return CtStatLine::Other,
        }
    }
    CtStatLine::HexRow(vals)
}

/// Sums conntrack statistics over CPUs.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CtStats {
    header: Vec<String>,
    pub counters: BTreeMap<String, u64>,
}

impl CtStats {
    /// Adds one line; `false` if the line is not conntrack statistics.
    pub fn add(&mut self, line: &CtStatLine) -> bool {
        match line {
            CtStatLine::Header(h) => self.header = h.clone(),
            CtStatLine::HexRow(vals) if !self.header.is_empty() && vals.len() == self.header.len() => {
                for (name, v) in self.header.iter().zip(vals) {
                    let slot = self.counters.entry(name.clone()).or_default();
                    // `entries` is global, repeated on each CPU's row.
                    if name == "entries" { *slot = *v } else { *slot = slot.saturating_add(*v) }
                }
            }
            CtStatLine::Keyed(kv) => {
                for (k, v) in kv {
                    if k != "cpu" {
                        let slot = self.counters.entry(k.clone()).or_default();
                        *slot = slot.saturating_add(*v);
                    }
                }
            }
            CtStatLine::Blank => {}
            _ => return false,
        }
        true
    }
}

/// True if the first line is a procfs stat header or a `conntrack -S` row.
pub fn looks_like_ctstat(first_line: &[u8]) -> bool {
    match parse_line(first_line) {
        CtStatLine::Header(h) => h.iter().any(|c| c == "found") && h.iter().any(|c| c == "insert_failed"),
        CtStatLine::Keyed(kv) => kv.iter().any(|(k, _)| k == "insert_failed" || k == "drop"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn procfs_rows_are_summed_by_header_name() {
        let mut s = CtStats::default();
        for l in [
            "entries  searched found new invalid ignore delete delete_list insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart",
            "0000035a  00000000 00000000 00000000 00000004 00013a2b 00000000 00000000 00000000 00000001 00000000 00000000 00000000  00000000 00000000 00000000 0000018e",
            "0000035a  00000000 00000000 00000000 00000003 0001430b 00000000 00000000 00000000 00000002 00000000 00000000 00000000  00000000 00000000 00000000 000001c8",
        ] {
            assert!(s.add(&parse_line(l.as_bytes())), "{l}");
        }
        assert_eq!(s.counters["entries"], 0x35a);
        assert_eq!(s.counters["invalid"], 7);
        assert_eq!(s.counters["insert_failed"], 3);
        assert_eq!(s.counters["search_restart"], 0x18e + 0x1c8);
    }

    #[test]
    fn conntrack_dash_s_lines() {
        let mut s = CtStats::default();
        let l = parse_line(b"cpu=0   \tfound=0 invalid=130 insert=0 insert_failed=2 drop=1 early_drop=0 error=0 search_restart=3");
        assert!(s.add(&l));
        assert!(s.add(&parse_line(
            b"cpu=1 found=0 invalid=1 insert=0 insert_failed=0 drop=0 early_drop=0 error=0 search_restart=0"
        )));
        assert_eq!((s.counters["invalid"], s.counters["drop"]), (131, 1));
        assert!(looks_like_ctstat(b"cpu=0 found=0 invalid=130 insert=0 insert_failed=2 drop=1"));
        assert!(!looks_like_ctstat(b"tcp 6 117 TIME_WAIT src=1.1.1.1"));
    }
}
