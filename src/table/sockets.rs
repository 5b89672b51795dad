//! `sockets`: every socket row of every snapshot, as read. Row-level: only
//! `export` builds it, a chunk at a time, straight to its files.

use super::schema::{Rows, Schema, Ty, col, opt};
use crate::parse::record::SocketRecord;

pub static SCHEMA: Schema = Schema {
    name: "sockets",
    row: "one socket row of a netstat or ss capture",
    columns: crate::keyed_columns![
        col("proto", Ty::Str, "tcp, udp, raw, sctp, …"),
        col("family", Ty::Str, "ipv4, ipv6 or unknown"),
        col(
            "state",
            Ty::Str,
            "canonical spelling of the printed state (LISTEN, ESTABLISHED, …; UNCONN or NONE for datagram sockets, and ESTABLISHED for connected UDP in netstat: per-state counts elsewhere count TCP rows only)"
        ),
        col(
            "local_addr",
            Ty::Str,
            "local address, canonical (no brackets or scope; IPv4-mapped IPv6 as IPv4)"
        ),
        opt("local_port", Ty::U16, "local port (null for `*`)"),
        col("remote_addr", Ty::Str, "remote address, canonical"),
        opt("remote_port", Ty::U16, "remote port (null for `*`)"),
        opt("recv_q", Ty::U64, "Recv-Q (LISTEN in ss: connections waiting to be accepted)"),
        opt("send_q", Ty::U64, "Send-Q (LISTEN in ss: the backlog)"),
        opt("process", Ty::Str, "first owning process (ss -p, netstat -p)"),
        opt("pid", Ty::U32, "its pid"),
        opt("uid", Ty::U32, "owner uid (ss -e, netstat -e)"),
        opt("inode", Ty::U64, "socket inode (ss -e, netstat -e)"),
        opt("timer", Ty::Str, "timer kind (ss -o, netstat -o): on, keepalive, timewait, probe, off"),
        opt("timer_s", Ty::F64, "seconds left on the timer"),
        opt("retrans", Ty::U32, "retransmissions the timer shows"),
    ],
};

/// Appends one socket row; `seg` stands in for the snapshot index until
/// the merger knows it.
pub fn fill(r: &mut Rows, source: u32, seg: u32, s: &SocketRecord<'_>) {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let process = s.process();
    r.row()
        .u32(source)
        .str(s.kind.name())
        .u32(seg)
        .str(s.proto.name())
        .str(s.family.name())
        .str(s.state.name())
        .str(&text(s.local.addr))
        .opt_u16(s.local.port)
        .str(&text(s.remote.addr))
        .opt_u16(s.remote.port)
        .opt_u64(s.recv_q)
        .opt_u64(s.send_q)
        .opt_str(process.map(|p| text(p.name)).as_deref())
        .opt_u32(process.and_then(|p| p.pid))
        .opt_u32(s.uid)
        .opt_u64(s.inode)
        .opt_str(s.timer.map(|t| t.kind.name()))
        .opt_f64(s.timer.map(|t| f64::from(t.seconds)))
        .opt_u32(s.timer.map(|t| u32::from(t.retrans)))
        .end();
}
