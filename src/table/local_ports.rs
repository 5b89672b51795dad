//! `local_ports`: the busiest local ports of each snapshot, counted over
//! every row. For conntrack: original destination ports.

use super::Key;
use super::schema::{Rows, Schema, Ty, col};
use crate::snapshot::KindSummary;

pub static SCHEMA: Schema = Schema {
    name: "local_ports",
    row: "one local port in one snapshot (the top N by count; `cuts` has the rest's total)",
    columns: crate::keyed_columns![
        col("rank", Ty::U32, "1 = the busiest in the snapshot"),
        col("local_port", Ty::U16, "local port (conntrack: original destination port)"),
        col("count", Ty::U64, "rows on this port"),
    ],
};

pub fn fill(r: &mut Rows, key: &Key, k: &KindSummary) {
    for (i, (port, n)) in k.top_local_ports.iter().enumerate() {
        r.row().key(key).u32(i as u32 + 1).u16(*port).u64(*n).end();
    }
}
