//! `peers`: the busiest remote addresses of each snapshot by direction,
//! with their sockets by state.

use super::Key;
use super::schema::{Rows, Schema, Ty, col};
use crate::detail::SnapshotDetail;

pub static SCHEMA: Schema = Schema {
    name: "peers",
    row: "one remote address and direction in one snapshot (the top N by sockets)",
    columns: crate::with_state_columns![
        col("rank", Ty::U32, "1 = the busiest in the snapshot"),
        col("remote_addr", Ty::Str, "remote address"),
        col("direction", Ty::Str, "inbound, outbound or unknown"),
        col("count", Ty::U64, "connected sockets"),
    ],
};

pub fn fill(r: &mut Rows, key: &Key, d: &SnapshotDetail) {
    for (i, p) in d.peers.iter().enumerate() {
        let (addr, dir) = &p.key;
        r.row()
            .key(key)
            .u32(i as u32 + 1)
            .str(addr)
            .str(dir.name())
            .u64(p.counts.total)
            .states(&p.counts.states)
            .end();
    }
}
