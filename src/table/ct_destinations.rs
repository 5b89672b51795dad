//! `ct_destinations`: the busiest original destinations (address and
//! port) of each conntrack snapshot, with how many are unreplied.

use super::Key;
use super::schema::{Rows, Schema, Ty, col};
use crate::detail::SnapshotDetail;

pub static SCHEMA: Schema = Schema {
    name: "ct_destinations",
    row: "one original destination in one conntrack snapshot (the top N by entries)",
    columns: crate::keyed_columns![
        col("rank", Ty::U32, "1 = the busiest in the snapshot"),
        col("dst_addr", Ty::Str, "original destination address"),
        col("dst_port", Ty::U16, "original destination port (0 for protocols without ports)"),
        col("entries", Ty::U64, "entries toward it"),
        col("unreplied", Ty::U64, "of those, [UNREPLIED]"),
    ],
};

pub fn fill(r: &mut Rows, key: &Key, d: &SnapshotDetail) {
    for (i, c) in d.ct_destinations.iter().enumerate() {
        r.row()
            .key(key)
            .u32(i as u32 + 1)
            .str(&c.addr)
            .u16(c.port)
            .u64(u64::from(c.entries))
            .u64(u64::from(c.unreplied))
            .end();
    }
}
