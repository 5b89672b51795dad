//! sockscope: offline analysis of saved socket tables.
//!
//! Module map:
//! - [`parse`]: line parsers for netstat, ss, conntrack, `ss -s`, sysctl
//!   and timestamp lines, and the classifier that accounts for every line;
//! - [`ingest`]: inputs, format sniffing, the parallel chunk pipeline and
//!   the in-order merger that assembles snapshots;
//! - [`fold`]: the accumulators records are folded into;
//! - [`snapshot`]: finished, bounded per-snapshot results;
//! - [`table`]: the tables every finished snapshot is written to (polars
//!   DataFrames, one schema each), their store and the read-back;
//! - [`render`]: JSON, CSV and table outputs; [`export`]: the tables as a
//!   Parquet/CSV/NDJSON dataset;
//! - [`output`]: writing outputs that never destroy anything (checks,
//!   staging, cleanup on signals); [`term`]: terminal-safe text;
//! - [`cmd`]: one module per subcommand; [`cli`]: the clap definitions.
#![forbid(unsafe_code)]

pub mod analysis;
pub mod cli;
pub mod cmd;
pub mod detail;
pub mod diagnose;
pub mod error;
pub mod export;
pub mod fold;
pub mod ingest;
pub mod model;
pub mod output;
pub mod parse;
pub mod render;
pub mod snapshot;
pub mod table;
pub mod term;

#[cfg(test)]
mod tests {
    /// The property tests rely on overflow checks to find arithmetic that
    /// would wrap silently (Cargo.toml turns them on for this package in
    /// every profile the tests run in).
    #[test]
    fn overflow_checks_are_on() {
        let x: u8 = std::hint::black_box(255);
        assert!(std::panic::catch_unwind(|| x + 1).is_err());
    }
}
