//! `ephemeral`: outbound TCP sockets of each snapshot per (local address,
//! remote address, remote port): each needs its own local port from the
//! ephemeral range, so this is what runs out (tcp-facts R1).

use super::Key;
use super::schema::{Rows, Schema, Ty, col};
use crate::detail::SnapshotDetail;

pub static SCHEMA: Schema = Schema {
    name: "ephemeral",
    row: "one destination of one local address in one snapshot (the top N by ports in use)",
    columns: crate::keyed_columns![
        col("rank", Ty::U32, "1 = the most ports in use"),
        col("local_addr", Ty::Str, "local address"),
        col("remote_addr", Ty::Str, "remote address"),
        col("remote_port", Ty::U16, "remote port"),
        col("ports_in_use", Ty::U64, "local ports in use toward it (outbound sockets)"),
        col("time_wait", Ty::U64, "of those, in TIME_WAIT"),
        col("share", Ty::F64, "ports_in_use ÷ the size of the ephemeral range"),
        col("range_lo", Ty::U16, "ephemeral range used (net.ipv4.ip_local_port_range, else 32768)"),
        col("range_hi", Ty::U16, "… and its upper end (else 60999)"),
    ],
};

pub fn fill(r: &mut Rows, key: &Key, d: &SnapshotDetail) {
    let (lo, hi) = d.ephemeral_range;
    for (i, e) in d.ephemeral.iter().enumerate() {
        r.row()
            .key(key)
            .u32(i as u32 + 1)
            .str(&e.local)
            .str(&e.remote)
            .u16(e.port)
            .u64(e.sockets)
            .u64(e.time_wait)
            .f64(e.share)
            .u16(lo)
            .u16(hi)
            .end();
    }
}
