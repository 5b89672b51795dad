//! `ct_sources`: the busiest original sources of each conntrack snapshot.

use super::Key;
use super::schema::{Rows, Schema, Ty, col};
use crate::snapshot::KindSummary;

pub static SCHEMA: Schema = Schema {
    name: "ct_sources",
    row: "one original source address in one conntrack snapshot (the top N by entries)",
    columns: crate::keyed_columns![
        col("rank", Ty::U32, "1 = the busiest in the snapshot"),
        col("src_addr", Ty::Str, "original source address"),
        col("entries", Ty::U64, "conntrack entries from it"),
    ],
};

pub fn fill(r: &mut Rows, key: &Key, k: &KindSummary) {
    for (i, (addr, n)) in k.top_ct_src.iter().enumerate() {
        r.row().key(key).u32(i as u32 + 1).str(addr).u64(*n).end();
    }
}
