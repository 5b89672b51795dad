//! `cuts`: what each ranking of each snapshot left out. A ranking keeps
//! the top N keys; this table has, per ranking, how many keys there were
//! and the exact count of the keys below the cut, so no total is ever
//! lost to the bound.

use super::Key;
use super::schema::{Rows, Schema, Ty, col};
use crate::detail::{Cut, SnapshotDetail};
use crate::snapshot::KindSummary;

pub static SCHEMA: Schema = Schema {
    name: "cuts",
    row: "one ranking table in one snapshot",
    columns: crate::keyed_columns![
        col("table", Ty::Str, "the ranking: remote_addrs, local_ports, ct_sources, peers, services, …"),
        col("kept", Ty::U32, "rows kept in that table for this snapshot"),
        col("distinct", Ty::U64, "keys before the cut"),
        col("count_all", Ty::U64, "the count summed over every key"),
        col("count_cut", Ty::U64, "the count of the keys left out (count_all − the kept rows' counts)"),
    ],
};

fn row(r: &mut Rows, key: &Key, table: &str, c: &Cut) {
    r.row()
        .key(key)
        .str(table)
        .u32(c.kept)
        .u64(c.distinct)
        .u64(c.all)
        .u64(c.all.saturating_sub(c.kept_sum))
        .end();
}

/// The rankings every fold makes.
pub fn fill_summary(r: &mut Rows, key: &Key, k: &KindSummary) {
    for (table, c) in &k.cuts {
        row(r, key, table, c);
    }
}

/// The rankings of the detail fold.
pub fn fill_detail(r: &mut Rows, key: &Key, d: &SnapshotDetail) {
    for (table, c) in &d.cuts {
        row(r, key, table, c);
    }
}
