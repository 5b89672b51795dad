//! `services`: the busiest remote services (address and port) that this
//! host's outbound sockets talk to, in each snapshot.

use super::Key;
use super::schema::{Rows, Schema, Ty, col};
use crate::detail::SnapshotDetail;

pub static SCHEMA: Schema = Schema {
    name: "services",
    row: "one remote address and port of outbound sockets in one snapshot (the top N by sockets)",
    columns: crate::with_state_columns![
        col("rank", Ty::U32, "1 = the busiest in the snapshot"),
        col("remote_addr", Ty::Str, "remote address"),
        col("remote_port", Ty::U16, "remote (service) port"),
        col("count", Ty::U64, "outbound sockets to it"),
    ],
};

pub fn fill(r: &mut Rows, key: &Key, d: &SnapshotDetail) {
    for (i, p) in d.remote_services.iter().enumerate() {
        let (addr, port) = &p.key;
        r.row()
            .key(key)
            .u32(i as u32 + 1)
            .str(addr)
            .u16(*port)
            .u64(p.counts.total)
            .states(&p.counts.states)
            .end();
    }
}
