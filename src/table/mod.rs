//! The table layer: what sockscope knows after the fold, as polars
//! DataFrames with one schema each.
//!
//! Parsing and folding stay in compact accumulators (the speed lives
//! there, see `../shared/docs/performance.md`); every finished snapshot is
//! written as rows of these tables, and everything downstream — the
//! analysis passes, the outputs, `export` — reads the tables:
//!
//! ```text
//! parse/  line → record            fold  record → per-snapshot accumulators
//! ingest/ chunks → finished snapshots, in order → table rows (Tables)
//! table/  one module per table: its schema once, and how a snapshot fills it;
//!         batches of rows → DataFrames, spilled as Arrow IPC past a budget (store)
//! analysis/ polars queries over the tables → typed results
//! render/ results → terminal, JSON, CSV, charts, pages      export: tables → Parquet, CSV, NDJSON
//! ```
//!
//! Per-snapshot tables are keyed by `source_id` (the input's position; the
//! `sources` table gives its path and host), `kind` (netstat, ss,
//! conntrack) and `index` (the snapshot's position in its source).
//! Rankings keep the top N rows of each snapshot (`--top`, default
//! [`DEFAULT_TOP`]), ranked by count, and the `cuts` table says exactly
//! how much each cut left out.

pub mod conntrack_entries;
pub mod ct_destinations;
pub mod ct_sources;
pub mod ct_states;
pub mod ct_timeouts;
pub mod cuts;
pub mod directions;
pub mod ephemeral;
pub mod listeners;
pub mod local_ports;
pub mod local_services;
pub mod peers;
pub mod prefixes;
pub mod processes;
pub mod read;
pub mod remote_addrs;
pub mod schema;
pub mod services;
pub mod snapshots;
pub mod sockets;
pub mod sources;
pub mod store;
pub mod sysctl;

pub use schema::{Column, Rows, Schema, Ty};

use crate::model::{Kind, TcpState};
use crate::snapshot::{KindSummary, SnapshotSummary};

/// Rows per ranking and snapshot kept by default: enough for diagnosis
/// (the 50 busiest peers of a snapshot), bounded whatever the capture.
pub const DEFAULT_TOP: usize = 50;

/// The key columns of every per-snapshot table.
#[macro_export]
#[doc(hidden)]
macro_rules! keyed_columns {
    ($($c:expr),* $(,)?) => {
        &[
            $crate::table::schema::col("source_id", $crate::table::Ty::U32, "the input (see the sources table)"),
            $crate::table::schema::col("kind", $crate::table::Ty::Str, "netstat, ss or conntrack"),
            $crate::table::schema::col("index", $crate::table::Ty::U32, "0-based snapshot in the source"),
            $($c,)*
        ]
    };
}

/// The per-state count columns, named exactly as the canonical TCP
/// states, in the order of a connection's life.
#[macro_export]
#[doc(hidden)]
macro_rules! with_state_columns {
    ($($c:expr),* $(,)?) => { $crate::with_state_columns![$($c),* ;] };
    ($($c:expr),* ; $($after:expr),* $(,)?) => {
        $crate::keyed_columns![
            $($c,)*
            $crate::table::schema::col("LISTEN", $crate::table::Ty::U64, "sockets in LISTEN"),
            $crate::table::schema::col("SYN_SENT", $crate::table::Ty::U64, "sockets in SYN_SENT"),
            $crate::table::schema::col("SYN_RECV", $crate::table::Ty::U64, "sockets in SYN_RECV"),
            $crate::table::schema::col("ESTABLISHED", $crate::table::Ty::U64, "sockets in ESTABLISHED"),
            $crate::table::schema::col("FIN_WAIT1", $crate::table::Ty::U64, "sockets in FIN_WAIT1"),
            $crate::table::schema::col("FIN_WAIT2", $crate::table::Ty::U64, "sockets in FIN_WAIT2"),
            $crate::table::schema::col("CLOSE_WAIT", $crate::table::Ty::U64, "sockets in CLOSE_WAIT"),
            $crate::table::schema::col("CLOSING", $crate::table::Ty::U64, "sockets in CLOSING"),
            $crate::table::schema::col("LAST_ACK", $crate::table::Ty::U64, "sockets in LAST_ACK"),
            $crate::table::schema::col("TIME_WAIT", $crate::table::Ty::U64, "sockets in TIME_WAIT"),
            $crate::table::schema::col("CLOSE", $crate::table::Ty::U64, "sockets in CLOSE"),
            $($after,)*
        ]
    };
}

/// The state columns' order: [`TcpState::LIFECYCLE`], the one order every
/// output uses.
pub const STATE_ORDER: [TcpState; 11] = TcpState::LIFECYCLE;

/// Which snapshot a row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub source: u32,
    pub kind: Kind,
    pub index: u32,
}

impl schema::Row<'_> {
    /// Appends the key columns.
    #[inline]
    pub fn key(self, k: &Key) -> Self {
        self.u32(k.source).str(k.kind.name()).u32(k.index)
    }

    /// Appends the per-state columns from a code-indexed count array.
    #[inline]
    pub fn states<T: Copy + Into<u64>>(self, by_code: &[T; TcpState::COUNT]) -> Self {
        self.u64s(STATE_ORDER.iter().map(|s| by_code[*s as usize].into()))
    }
}

/// Every per-snapshot table, in one place: the rows a run's snapshots
/// fill. Row-level tables ([`RowTables`]) and per-source ones (`sources`,
/// `sysctl`) are built elsewhere.
pub struct Tables {
    pub snapshots: Rows,
    pub remote_addrs: Rows,
    pub local_ports: Rows,
    pub ct_sources: Rows,
    pub ct_states: Rows,
    pub directions: Rows,
    pub peers: Rows,
    pub services: Rows,
    pub local_services: Rows,
    pub prefixes: Rows,
    pub processes: Rows,
    pub listeners: Rows,
    pub ephemeral: Rows,
    pub ct_timeouts: Rows,
    pub ct_destinations: Rows,
    pub cuts: Rows,
}

/// The per-snapshot tables' schemas, in [`Tables::frames`] order.
pub const SNAPSHOT_TABLES: [&Schema; 16] = [
    &snapshots::SCHEMA,
    &remote_addrs::SCHEMA,
    &local_ports::SCHEMA,
    &ct_sources::SCHEMA,
    &ct_states::SCHEMA,
    &directions::SCHEMA,
    &peers::SCHEMA,
    &services::SCHEMA,
    &local_services::SCHEMA,
    &prefixes::SCHEMA,
    &processes::SCHEMA,
    &listeners::SCHEMA,
    &ephemeral::SCHEMA,
    &ct_timeouts::SCHEMA,
    &ct_destinations::SCHEMA,
    &cuts::SCHEMA,
];

impl Default for Tables {
    fn default() -> Self {
        Tables {
            snapshots: Rows::new(&snapshots::SCHEMA),
            remote_addrs: Rows::new(&remote_addrs::SCHEMA),
            local_ports: Rows::new(&local_ports::SCHEMA),
            ct_sources: Rows::new(&ct_sources::SCHEMA),
            ct_states: Rows::new(&ct_states::SCHEMA),
            directions: Rows::new(&directions::SCHEMA),
            peers: Rows::new(&peers::SCHEMA),
            services: Rows::new(&services::SCHEMA),
            local_services: Rows::new(&local_services::SCHEMA),
            prefixes: Rows::new(&prefixes::SCHEMA),
            processes: Rows::new(&processes::SCHEMA),
            listeners: Rows::new(&listeners::SCHEMA),
            ephemeral: Rows::new(&ephemeral::SCHEMA),
            ct_timeouts: Rows::new(&ct_timeouts::SCHEMA),
            ct_destinations: Rows::new(&ct_destinations::SCHEMA),
            cuts: Rows::new(&cuts::SCHEMA),
        }
    }
}

impl Tables {
    /// Writes one finished snapshot (every tool in it) as rows.
    pub fn push(&mut self, source: u32, s: &SnapshotSummary) {
        for k in &s.kinds {
            let key = Key { source, kind: k.kind, index: s.index as u32 };
            self.push_kind(&key, s, k);
        }
    }

    fn push_kind(&mut self, key: &Key, s: &SnapshotSummary, k: &KindSummary) {
        snapshots::fill(&mut self.snapshots, key, s, k);
        remote_addrs::fill(&mut self.remote_addrs, key, k);
        local_ports::fill(&mut self.local_ports, key, k);
        ct_sources::fill(&mut self.ct_sources, key, k);
        ct_states::fill(&mut self.ct_states, key, k);
        cuts::fill_summary(&mut self.cuts, key, k);
        let Some(d) = k.detail.as_deref() else { return };
        directions::fill(&mut self.directions, key, d);
        peers::fill(&mut self.peers, key, d);
        services::fill(&mut self.services, key, d);
        local_services::fill(&mut self.local_services, key, d);
        prefixes::fill(&mut self.prefixes, key, d);
        processes::fill(&mut self.processes, key, d);
        listeners::fill(&mut self.listeners, key, d);
        ephemeral::fill(&mut self.ephemeral, key, d);
        ct_timeouts::fill(&mut self.ct_timeouts, key, d);
        ct_destinations::fill(&mut self.ct_destinations, key, d);
        cuts::fill_detail(&mut self.cuts, key, d);
    }

    /// Rows held, over all tables.
    pub fn rows(&self) -> usize {
        self.all().iter().map(|r| r.len()).sum()
    }

    fn all(&self) -> [&Rows; 16] {
        [
            &self.snapshots,
            &self.remote_addrs,
            &self.local_ports,
            &self.ct_sources,
            &self.ct_states,
            &self.directions,
            &self.peers,
            &self.services,
            &self.local_services,
            &self.prefixes,
            &self.processes,
            &self.listeners,
            &self.ephemeral,
            &self.ct_timeouts,
            &self.ct_destinations,
            &self.cuts,
        ]
    }

    /// The rows as DataFrames (in [`SNAPSHOT_TABLES`] order); the builders
    /// start over, empty.
    pub fn frames(&mut self) -> [polars::prelude::DataFrame; 16] {
        [
            self.snapshots.take(),
            self.remote_addrs.take(),
            self.local_ports.take(),
            self.ct_sources.take(),
            self.ct_states.take(),
            self.directions.take(),
            self.peers.take(),
            self.services.take(),
            self.local_services.take(),
            self.prefixes.take(),
            self.processes.take(),
            self.listeners.take(),
            self.ephemeral.take(),
            self.ct_timeouts.take(),
            self.ct_destinations.take(),
            self.cuts.take(),
        ]
    }
}

/// The tables' documentation in Markdown, from their schemas: README's
/// "Tables" section is this text (a test keeps them equal).
pub fn docs_markdown() -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for t in crate::export::all_tables() {
        let _ = writeln!(out, "#### `{}`\n\nOne row: {}.\n", t.name, t.row);
        let _ = writeln!(out, "| column | type | |\n|---|---|---|");
        let mut states = false;
        for c in t.columns {
            // As exported: the input's path instead of the internal id;
            // the host is the partition (`host=<host>/`), not a column.
            if c.name == "source_id" {
                if t.name != "sources" {
                    let _ =
                        writeln!(out, "| `source` | string | the input's path, as given (see `sources`) |");
                }
                continue;
            }
            if t.name == "sources" && c.name == "host" {
                continue;
            }
            // The eleven state columns are one row of the table.
            if STATE_ORDER.iter().any(|s| s.name() == c.name) {
                if !states {
                    states = true;
                    let _ = writeln!(
                        out,
                        "| `LISTEN` … `CLOSE` | u64 | one column per canonical TCP state, in the order of a connection's life: {} |",
                        STATE_ORDER.iter().map(|s| format!("`{}`", s.name())).collect::<Vec<_>>().join(", ")
                    );
                }
                continue;
            }
            let null = if c.nullable { ", or null" } else { "" };
            let _ = writeln!(out, "| `{}` | {} | {}{null} |", c.name, c.ty.name(), c.doc);
        }
        out.push('\n');
    }
    out
}

/// The row-level tables of one chunk (built only for `export`): every
/// socket and conntrack row, keyed by the chunk's segment until the merger
/// numbers the snapshots.
pub struct RowTables {
    pub sockets: Rows,
    pub conntrack_entries: Rows,
}

impl Default for RowTables {
    fn default() -> Self {
        RowTables {
            sockets: Rows::new(&sockets::SCHEMA),
            conntrack_entries: Rows::new(&conntrack_entries::SCHEMA),
        }
    }
}

/// Where the merger hands row-level frames, in snapshot order per source
/// (`export` writes them to their files as they come).
pub trait RowSink: Send + Sync + std::fmt::Debug {
    /// Takes one frame of `table` (`sockets` or `conntrack_entries`) of
    /// source `source` (read from `path`), its `index` column already the
    /// snapshot index.
    fn write(&self, table: &'static Schema, source: u32, path: &str, df: polars::prelude::DataFrame);

    /// Which socket rows the sink wants (`None`: every one). Rows it does
    /// not want are never built, which keeps a sink that looks for a few
    /// kinds of rows as cheap as the fold.
    fn sockets(&self) -> Option<fn(&crate::parse::record::SocketRecord<'_>) -> bool> {
        None
    }

    /// Whether the sink wants conntrack entries at all.
    fn conntrack_entries(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    /// README's "Tables" section is generated from the schemas; run with
    /// `SOCKSCOPE_BLESS=1` to rewrite it after changing a table.
    #[test]
    fn readme_documents_every_table_as_defined() {
        let readme_path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
        let readme = std::fs::read_to_string(readme_path).unwrap();
        let (begin, end) = ("<!-- tables:begin -->\n", "<!-- tables:end -->");
        let (Some(a), Some(b)) = (readme.find(begin), readme.find(end)) else {
            panic!("README.md lacks the {begin:?} … {end:?} markers");
        };
        let now = &readme[a + begin.len()..b];
        let want = super::docs_markdown();
        if now != want {
            if std::env::var_os("SOCKSCOPE_BLESS").is_some() {
                let fixed = format!("{}{want}{}", &readme[..a + begin.len()], &readme[b..]);
                std::fs::write(readme_path, fixed).unwrap();
            } else {
                panic!(
                    "README.md's table docs are stale: run `SOCKSCOPE_BLESS=1 cargo test --release --lib readme`"
                );
            }
        }
    }

    #[test]
    fn every_schema_matches_the_frames_its_tables_build() {
        let mut t = super::Tables::default();
        for (schema, df) in super::SNAPSHOT_TABLES.iter().zip(t.frames()) {
            assert_eq!(df.schema().as_ref(), &schema.polars(), "{}", schema.name);
            let mut names: Vec<&str> = schema.columns.iter().map(|c| c.name).collect();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), schema.columns.len(), "{}: a column name twice", schema.name);
        }
    }
}
