//! `remote_addrs`: the busiest remote addresses of each snapshot, counted
//! over every row (no direction needed, so `summary` has it too). For
//! conntrack: original destinations. IPv4-mapped IPv6 peers count as the
//! IPv4 address; wildcards (`*`, `0.0.0.0`, `::`) are not peers.

use super::Key;
use super::schema::{Rows, Schema, Ty, col};
use crate::snapshot::KindSummary;

pub static SCHEMA: Schema = Schema {
    name: "remote_addrs",
    row: "one remote address in one snapshot (the top N by count; `cuts` has the rest's total)",
    columns: crate::keyed_columns![
        col("rank", Ty::U32, "1 = the busiest in the snapshot"),
        col("remote_addr", Ty::Str, "remote address (conntrack: original destination)"),
        col("count", Ty::U64, "rows with this remote address"),
    ],
};

pub fn fill(r: &mut Rows, key: &Key, k: &KindSummary) {
    for (i, (addr, n)) in k.top_remote.iter().enumerate() {
        r.row().key(key).u32(i as u32 + 1).str(addr).u64(*n).end();
    }
}
