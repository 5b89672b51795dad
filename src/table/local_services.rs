//! `local_services`: local service ports (inbound and unknown-direction
//! sockets) of each snapshot, with their sockets by state.

use super::Key;
use super::schema::{Rows, Schema, Ty, col};
use crate::detail::SnapshotDetail;

pub static SCHEMA: Schema = Schema {
    name: "local_services",
    row: "one local service port in one snapshot (the top N by sockets)",
    columns: crate::with_state_columns![
        col("rank", Ty::U32, "1 = the busiest in the snapshot"),
        col("local_port", Ty::U16, "local port"),
        col("listening", Ty::Bool, "something listens on it in this snapshot"),
        col("count", Ty::U64, "connected sockets on it"),
    ],
};

pub fn fill(r: &mut Rows, key: &Key, d: &SnapshotDetail) {
    for (i, s) in d.local_services.iter().enumerate() {
        r.row()
            .key(key)
            .u32(i as u32 + 1)
            .u16(s.port)
            .bool(s.listening)
            .u64(s.counts.total)
            .states(&s.counts.states)
            .end();
    }
}
