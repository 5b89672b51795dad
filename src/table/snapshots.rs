//! `snapshots`: one row per snapshot and tool — the totals, every
//! canonical TCP state as a column of its own, protocols, families,
//! conntrack flags and the kernel's `ss -s` counters.

use super::Key;
use super::schema::{Rows, Schema, Ty, col, opt};
use crate::model::Proto;
use crate::snapshot::{KindSummary, SnapshotSummary, resolution_name};

pub static SCHEMA: Schema = Schema {
    name: "snapshots",
    row: "one snapshot of one tool (a source with `ss` and `conntrack` in one loop has two rows per snapshot)",
    columns: crate::with_state_columns![
        opt("time", Ty::Time, "when the snapshot was taken; null when the capture has no time"),
        opt("utc_offset", Ty::I32, "the offset of the capture's clock (seconds east of UTC), as the time was written"),
        opt("time_resolution", Ty::Str, "explicit, assumed (naive time read in --tz or UTC), abbreviation or ambiguous"),
        col("first_line", Ty::U64, "1-based line of the source where the snapshot starts"),
        col("total", Ty::U64, "sockets (or conntrack entries) of this tool"),
        col("from_counters", Ty::Bool, "total and states are `ss -s` kernel counters, not rows");
        col("UNKNOWN", Ty::U64, "TCP rows whose state word was not recognized"),
        col("stateless", Ty::U64, "rows with no TCP state (UDP and raw: UNCONN or no state column)"),
        col("tcp", Ty::U64, "rows by protocol"),
        col("udp", Ty::U64, "rows by protocol"),
        col("raw", Ty::U64, "rows by protocol"),
        col("sctp", Ty::U64, "rows by protocol"),
        col("icmp", Ty::U64, "rows by protocol"),
        col("icmpv6", Ty::U64, "rows by protocol"),
        col("udplite", Ty::U64, "rows by protocol"),
        col("dccp", Ty::U64, "rows by protocol"),
        col("gre", Ty::U64, "rows by protocol"),
        col("mptcp", Ty::U64, "rows by protocol"),
        col("proto_other", Ty::U64, "rows of another protocol"),
        col("ipv4", Ty::U64, "rows by address family"),
        col("ipv6", Ty::U64, "rows by address family"),
        col("family_unknown", Ty::U64, "rows whose family could not be told"),
        col("remote_distinct", Ty::U64, "distinct remote addresses (conntrack: original destinations)"),
        col("local_ports_distinct", Ty::U64, "distinct local ports (conntrack: original destination ports)"),
        col("truncated_addrs", Ty::U64, "rows whose address the tool's column width cut (netstat without -W)"),
        col("ct_assured", Ty::U64, "conntrack entries flagged [ASSURED]"),
        col("ct_unreplied", Ty::U64, "conntrack entries flagged [UNREPLIED]"),
        col("ct_offload", Ty::U64, "conntrack entries flagged [OFFLOAD] or [HW_OFFLOAD]"),
        opt("ss_total", Ty::U64, "`ss -s` Total: every socket the kernel counts"),
        opt("ss_tcp", Ty::U64, "`ss -s` TCP: (or sockstat TCP inuse)"),
        opt("ss_estab", Ty::U64, "`ss -s` estab"),
        opt("ss_closed", Ty::U64, "`ss -s` closed"),
        opt("ss_orphaned", Ty::U64, "`ss -s` orphaned (or sockstat orphan)"),
        opt("ss_synrecv", Ty::U64, "`ss -s` synrecv"),
        opt("ss_timewait", Ty::U64, "`ss -s` timewait (or sockstat tw)"),
        opt("ss_tcp_inuse", Ty::U64, "sockstat TCP inuse"),
        opt("ss_tcp_alloc", Ty::U64, "sockstat TCP alloc"),
        opt("ss_tcp_mem_pages", Ty::U64, "sockstat TCP mem, in pages (the unit of tcp_mem)"),
        opt("flows_dropped", Ty::U64, "flows left out of this snapshot's rankings past the flow cap (report, export)"),
        opt("sockets_dropped", Ty::U64, "sockets in those flows (still in every total)"),
        opt("rank_error", Ty::U64, "how far a ranked count can be low because of the flow cap"),
    ],
};

pub fn fill(r: &mut Rows, key: &Key, s: &SnapshotSummary, k: &KindSummary) {
    use crate::model::TcpState;
    let stateless = k.states[TcpState::Unconn as usize] + k.states[TcpState::None as usize];
    let ss = s.sockstat.unwrap_or_default();
    let dropped = k.detail.as_ref().and_then(|d| d.dropped);
    r.row()
        .key(key)
        .time(s.time)
        .opt_i32(s.time.map(|t| t.offset().local_minus_utc()))
        .opt_str(s.time_resolution.map(resolution_name))
        .u64(s.first_line)
        .u64(k.total)
        .bool(k.from_counters)
        .states(&k.states)
        .u64(k.states[TcpState::Unknown as usize])
        .u64(stateless)
        .u64s(Proto::ALL.iter().map(|p| k.protos[*p as usize]))
        .u64s(k.families)
        .u64(k.remote_distinct)
        .u64(k.local_ports_distinct)
        .u64(k.truncated_addrs)
        .u64s(k.ct_flags)
        .opt_u64(ss.total)
        .opt_u64(ss.tcp_total)
        .opt_u64(ss.estab)
        .opt_u64(ss.closed)
        .opt_u64(ss.orphaned)
        .opt_u64(ss.synrecv)
        .opt_u64(ss.timewait)
        .opt_u64(ss.tcp_inuse)
        .opt_u64(ss.tcp_alloc)
        .opt_u64(ss.tcp_mem_pages)
        .opt_u64(dropped.map(|d| d.0))
        .opt_u64(dropped.map(|d| d.1))
        .opt_u64(dropped.map(|d| d.2))
        .end();
}
