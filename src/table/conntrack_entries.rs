//! `conntrack_entries`: every conntrack entry of every snapshot, as read.
//! Row-level: only `export` builds it, a chunk at a time.

use super::schema::{Rows, Schema, Ty, col, opt};
use crate::model::ct_flags;
use crate::parse::record::ConntrackRecord;

pub static SCHEMA: Schema = Schema {
    name: "conntrack_entries",
    row: "one conntrack entry (`conntrack -L`, /proc/net/nf_conntrack)",
    columns: crate::keyed_columns![
        col("family", Ty::Str, "ipv4, ipv6 or unknown"),
        col("proto", Ty::Str, "tcp, udp, icmp, …"),
        col("proto_num", Ty::U16, "protocol number as printed"),
        col("state", Ty::Str, "conntrack state (TCP entries; NONE for others)"),
        opt("timeout", Ty::U32, "seconds left before the entry expires (null for [OFFLOAD])"),
        col("assured", Ty::Bool, "[ASSURED]"),
        col("unreplied", Ty::Bool, "[UNREPLIED]"),
        col("offload", Ty::Bool, "[OFFLOAD] or [HW_OFFLOAD]"),
        col("orig_src", Ty::Str, "original direction: source address"),
        col("orig_dst", Ty::Str, "original direction: destination address"),
        opt("orig_sport", Ty::U16, "original direction: source port"),
        opt("orig_dport", Ty::U16, "original direction: destination port"),
        opt("orig_packets", Ty::U64, "original direction: packets (with nf_conntrack_acct)"),
        opt("orig_bytes", Ty::U64, "original direction: bytes"),
        col("reply_src", Ty::Str, "reply direction: source address (differs from orig_dst under NAT)"),
        col("reply_dst", Ty::Str, "reply direction: destination address"),
        opt("reply_sport", Ty::U16, "reply direction: source port"),
        opt("reply_dport", Ty::U16, "reply direction: destination port"),
        opt("reply_packets", Ty::U64, "reply direction: packets"),
        opt("reply_bytes", Ty::U64, "reply direction: bytes"),
        opt("mark", Ty::U32, "connection mark"),
        opt("zone", Ty::U16, "conntrack zone"),
        opt("use_count", Ty::U32, "references (`use=`)"),
    ],
};

/// Appends one entry; `seg` stands in for the snapshot index until the
/// merger knows it.
pub fn fill(r: &mut Rows, source: u32, seg: u32, e: &ConntrackRecord<'_>) {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    r.row()
        .u32(source)
        .str(crate::model::Kind::Conntrack.name())
        .u32(seg)
        .str(e.family.name())
        .str(e.proto.name())
        .u16(e.proto_num)
        .str(e.state.name())
        .opt_u32(e.timeout)
        .bool(e.flags & ct_flags::ASSURED != 0)
        .bool(e.flags & ct_flags::UNREPLIED != 0)
        .bool(e.flags & (ct_flags::OFFLOAD | ct_flags::HW_OFFLOAD) != 0)
        .str(&text(e.orig.src))
        .str(&text(e.orig.dst))
        .opt_u16(e.orig.sport)
        .opt_u16(e.orig.dport)
        .opt_u64(e.orig.packets)
        .opt_u64(e.orig.bytes)
        .str(&text(e.reply.src))
        .str(&text(e.reply.dst))
        .opt_u16(e.reply.sport)
        .opt_u16(e.reply.dport)
        .opt_u64(e.reply.packets)
        .opt_u64(e.reply.bytes)
        .opt_u32(e.mark)
        .opt_u16(e.zone)
        .opt_u32(e.use_count)
        .end();
}
