//! `listeners`: listening sockets of each snapshot with their accept
//! queue: for `ss`, a LISTEN row's Recv-Q is the connections waiting to be
//! accepted and Send-Q the backlog (tcp-facts R7); netstat shows no
//! backlog.

use super::Key;
use super::schema::{Rows, Schema, Ty, col, opt};
use crate::detail::SnapshotDetail;

pub static SCHEMA: Schema = Schema {
    name: "listeners",
    row: "one listening address and port in one snapshot",
    columns: crate::keyed_columns![
        col("local_addr", Ty::Str, "listening address (`*`, `0.0.0.0`, `::` for all)"),
        col("local_port", Ty::U16, "listening port"),
        col("sockets", Ty::U32, "LISTEN sockets on it (SO_REUSEPORT groups have several)"),
        col("recv_q", Ty::U64, "largest Recv-Q: connections waiting to be accepted"),
        col("send_q", Ty::U64, "largest Send-Q: the accept backlog in ss (0 in netstat)"),
        opt("process", Ty::Str, "owning process, when captured"),
    ],
};

pub fn fill(r: &mut Rows, key: &Key, d: &SnapshotDetail) {
    for l in &d.listeners {
        r.row()
            .key(key)
            .str(&l.addr)
            .u16(l.port)
            .u32(l.sockets)
            .u64(l.recv_q)
            .u64(l.send_q)
            .opt_str(l.process.as_deref())
            .end();
    }
}
