//! `prefixes`: the busiest remote /24 (IPv4) and /64 (IPv6) networks of
//! each snapshot.

use super::Key;
use super::schema::{Rows, Schema, Ty, col};
use crate::detail::SnapshotDetail;

pub static SCHEMA: Schema = Schema {
    name: "prefixes",
    row: "one remote network in one snapshot (the top N by sockets)",
    columns: crate::with_state_columns![
        col("rank", Ty::U32, "1 = the busiest in the snapshot"),
        col("prefix", Ty::Str, "remote /24 or /64"),
        col("count", Ty::U64, "connected sockets"),
    ],
};

pub fn fill(r: &mut Rows, key: &Key, d: &SnapshotDetail) {
    for (i, p) in d.prefixes.iter().enumerate() {
        r.row().key(key).u32(i as u32 + 1).str(&p.key).u64(p.counts.total).states(&p.counts.states).end();
    }
}
