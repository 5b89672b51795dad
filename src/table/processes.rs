//! `processes`: sockets of each snapshot by owning process (`ss -p`,
//! `netstat -p`), with their states.

use super::Key;
use super::schema::{Rows, Schema, Ty, col, opt};
use crate::detail::SnapshotDetail;

pub static SCHEMA: Schema = Schema {
    name: "processes",
    row: "one process in one snapshot (the top N by sockets)",
    columns: crate::with_state_columns![
        col("rank", Ty::U32, "1 = the busiest in the snapshot"),
        col("process", Ty::Str, "process name as the tool printed it"),
        opt("pid", Ty::U32, "process id, when the capture has one"),
        col("count", Ty::U64, "sockets it owns"),
    ],
};

pub fn fill(r: &mut Rows, key: &Key, d: &SnapshotDetail) {
    for (i, p) in d.processes.iter().enumerate() {
        let (name, pid) = &p.key;
        r.row()
            .key(key)
            .u32(i as u32 + 1)
            .str(name)
            .opt_u32(*pid)
            .u64(p.counts.total)
            .states(&p.counts.states)
            .end();
    }
}
