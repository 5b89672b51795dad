//! R7 ACCEPT_QUEUE_FULL, R8 SYN_RECV_HIGH, R9 SYN_SENT_HIGH,
//! R15 QUEUE_BACKPRESSURE, R16 RETRANSMITTING.

use std::collections::{BTreeMap, HashMap};

use polars::prelude::*;

use super::{cap_per_host, single, sockets, top_at, worst_by};
use crate::diagnose::data::{Data, RowOf, rows};
use crate::diagnose::facts;
use crate::diagnose::signals::{QUEUE_FULL, RETRANS_MIN, SnapKey};
use crate::diagnose::{Confidence, Finding, Severity, TopRow, n, pct};
use crate::model::Kind;
use crate::parse::kernlog::KernelEvent;
use crate::table;

/// Full queues in one snapshot: the total and (owner, count).
type Owners = (u64, Vec<(String, u64)>);

/// R8: SYN_RECV on one port never below this to warn.
const R8_FLOOR: u64 = 256;
/// R9: SYN_SENT toward one destination, and its share of the sockets to it.
const R9_MIN: u64 = 20;
const R9_CRIT: u64 = 200;
/// How long connect() retries a SYN by default (tcp_syn_retries = 6), s.
const SYN_RETRY_WINDOW: i64 = 127;
/// R15: sockets with a full receive queue in one snapshot (warn), and with
/// a full send queue (info).
const R15_RECV: u64 = 10;
const R15_SEND: u64 = 5;
/// R16: retransmitting sockets toward one peer.
const R16_MIN: u64 = 10;

pub fn run(d: &Data<'_>, out: &mut Vec<Finding>) -> anyhow::Result<()> {
    out.extend(accept_queue(d)?);
    out.extend(syn_recv(d)?);
    out.extend(syn_sent(d)?);
    out.extend(backpressure(d)?);
    out.extend(retransmitting(d)?);
    Ok(())
}

const LISTEN_COUNTERS: [&str; 2] = ["TcpExt.ListenOverflows", "TcpExt.ListenDrops"];

/// Listen queue overflows that grew during the capture (confirmation).
fn listen_counters(f: &crate::diagnose::data::HostFacts<'_>) -> Vec<(String, u64)> {
    LISTEN_COUNTERS
        .into_iter()
        .filter_map(|c| {
            Some((format!("{c} (growth over the captured samples)"), f.counter(c).filter(|v| *v > 0)?))
        })
        .collect()
}

/// The same counters as evidence, growth or since boot.
fn listen_evidence(f: &crate::diagnose::data::HostFacts<'_>) -> Vec<(String, u64)> {
    LISTEN_COUNTERS.into_iter().filter_map(|c| f.counter_evidence(c)).collect()
}

/// R7: LISTEN Recv-Q (waiting to be accepted) against the backlog: ss
/// prints the backlog as LISTEN Send-Q; netstat does not (its Send-Q is 0),
/// so there somaxconn stands in, and the true cap may be lower.
fn accept_queue(d: &Data<'_>) -> anyhow::Result<Vec<Finding>> {
    let cand = d.scan(&table::listeners::SCHEMA, col("recv_q").gt(lit(0u64)))?;
    let key = |r: &RowOf<'_>| (r.u32("source_id"), r.kind(), r.str("local_addr"), r.u16("local_port"));
    let mut seen: HashMap<(u32, Kind, String, u16), Vec<u32>> = HashMap::new();
    for r in rows(&cand) {
        seen.entry(key(&r)).or_default().push(r.u32("index"));
    }
    let mut found = Vec::new();
    let mut fired_hosts = std::collections::HashSet::new();
    for ((source, kind, addr, port), i, _) in worst_by(&cand, key, |r| {
        let q = r.u64("send_q");
        if q > 0 { r.u64("recv_q") as f64 / q as f64 } else { r.u64("recv_q") as f64 / 1e9 }
    }) {
        let host = d.host(source);
        let Some(facts) = d.facts(host) else { continue };
        let r = RowOf { df: &cand, i };
        let (recv_q, send_q) = (r.u64("recv_q"), r.u64("send_q"));
        let counters = listen_counters(facts);
        let mut idx = seen.remove(&(source, kind, addr.clone(), port)).unwrap_or_default();
        idx.sort_unstable();
        let consecutive = idx.windows(2).any(|w| w[1] == w[0] + 1);
        let (severity, cap, cap_what, mut confidence, sysctl) = if kind == Kind::Ss && send_q > 0 {
            let x = recv_q as f64 / send_q as f64;
            let s = if x >= 1.0 {
                Severity::Crit
            } else if x >= 0.8 {
                Severity::Warn
            } else {
                continue;
            };
            (s, send_q, "backlog (ss LISTEN Send-Q)", Confidence::Inferred, None)
        } else {
            let Some((somax, used)) = facts.knobs.used(facts::SOMAXCONN_KEY, Some(facts::SOMAXCONN)) else {
                continue;
            };
            let x = recv_q as f64 / somax.max(1) as f64;
            // Past somaxconn the queue is certainly full (the cap is at most
            // somaxconn, and Recv-Q reaches cap + 1).
            let s = if recv_q > somax {
                Severity::Crit
            } else if x >= 0.8 {
                Severity::Warn
            } else if consecutive {
                Severity::Info
            } else {
                continue;
            };
            let c = if used.assumed { Confidence::AssumedDefault } else { Confidence::Inferred };
            let what = if kind == Kind::Ss {
                "net.core.somaxconn (this ss row shows no backlog: the real cap may be lower)"
            } else {
                "net.core.somaxconn (netstat shows no backlog: the real cap may be lower)"
            };
            (s, somax, what, c, Some(used))
        };
        if !counters.is_empty() {
            confidence = Confidence::Confirmed;
        }
        let mut f = Finding::new(
            host,
            "ACCEPT_QUEUE_FULL",
            severity,
            format!(
                "{} connections wait to be accepted on {addr}:{port} ({} of {} {})",
                n(recv_q),
                pct(recv_q as f64 / cap.max(1) as f64),
                n(cap),
                if kind == Kind::Ss && send_q > 0 { "backlog" } else { "somaxconn" }
            ),
        );
        f.subject = format!("{addr}:{port}");
        single(&mut f.evidence, d, r.key());
        f.confidence = confidence;
        f.evidence.numbers = vec![
            ("Recv-Q (accept queue)".into(), n(recv_q)),
            (cap_what.into(), n(cap)),
            ("snapshots with a waiting queue".into(), n(idx.len() as u64)),
        ];
        let process = r.str("process");
        if !process.is_empty() {
            f.evidence.numbers.push(("process".into(), process));
        }
        if kind == Kind::Ss && (send_q == 128 || send_q == 511) {
            f.evidence.numbers.push((
                "note".into(),
                format!("a backlog of {send_q} is an old or default listen() backlog (somaxconn was 128 before Linux 5.4)"),
            ));
        }
        f.evidence.sysctls.extend(sysctl);
        f.evidence.counters = listen_evidence(facts);
        fired_hosts.insert(host);
        found.push(f);
    }
    // Overflows counted by the kernel on a host where no capture showed the
    // queue: still a finding, confirmed, without a listener to name.
    for (host, facts) in &d.hosts {
        let counters = listen_counters(facts);
        let evidence = listen_evidence(facts);
        if evidence.is_empty() || fired_hosts.contains(host) {
            continue;
        }
        // Growth during the capture is a warning; a single sample only says
        // it happened some time since boot.
        let during = !counters.is_empty();
        let mut f = Finding::new(
            host,
            "ACCEPT_QUEUE_FULL",
            if during { Severity::Warn } else { Severity::Info },
            if during {
                format!(
                    "listen queues overflowed {} times during the capture; no captured snapshot caught the queue full",
                    n(counters[0].1)
                )
            } else {
                format!(
                    "the kernel counted {} listen queue overflows since boot (one counter sample: not when)",
                    n(evidence[0].1)
                )
            },
        );
        if during {
            f.confidence = Confidence::Confirmed;
        }
        f.evidence.scope = format!(
            "counters{}",
            facts.counters_source.as_deref().map(|s| format!(" ({s})")).unwrap_or_default()
        );
        f.evidence.counters = evidence;
        found.push(f);
    }
    Ok(cap_per_host(found))
}

/// R8: SYN_RECV per listening port against its backlog; the sources tell
/// a flood (many, one or two each) from overload (accept queue full) or
/// lost ACKs (few).
fn syn_recv(d: &Data<'_>) -> anyhow::Result<Vec<Finding>> {
    let cand =
        d.scan(&table::local_services::SCHEMA, col("SYN_RECV").gt_eq(lit(R8_FLOOR / 2)).and(sockets()))?;
    // The backlog and queue of the candidates' listeners only (every ss
    // LISTEN row has a backlog: all of them would be every listener of
    // every snapshot).
    let wanted: std::collections::HashSet<(SnapKey, u16)> =
        rows(&cand).map(|r| (r.key(), r.u16("local_port"))).collect();
    let mut backlog: HashMap<(SnapKey, u16), (u64, u64)> = HashMap::new();
    if !wanted.is_empty() {
        let any = col("send_q").gt(lit(0u64)).or(col("recv_q").gt(lit(0u64)));
        d.for_rows(&table::listeners::SCHEMA, any, |r| {
            let k = (r.key(), r.u16("local_port"));
            if wanted.contains(&k) {
                let e = backlog.entry(k).or_default();
                e.0 = e.0.max(r.u64("send_q"));
                e.1 = e.1.max(r.u64("recv_q"));
            }
        })?;
    }
    let mut found = Vec::new();
    for ((source, _, port), i, snapshots) in
        worst_by(&cand, |r| (r.u32("source_id"), r.kind(), r.u16("local_port")), |r| r.u64("SYN_RECV") as f64)
    {
        let r = RowOf { df: &cand, i };
        let snap = r.key();
        let synrecv = r.u64("SYN_RECV");
        let (bl, queued) = backlog.get(&(snap, port)).copied().unwrap_or((0, 0));
        let bl = if snap.1 == Kind::Ss { bl } else { 0 };
        let warn_at = R8_FLOOR.max(bl / 2);
        if synrecv < warn_at {
            continue;
        }
        let severity = if bl > 0 && synrecv >= bl { Severity::Crit } else { Severity::Warn };
        let host = d.host(source);
        let peers =
            top_at(d, &table::peers::SCHEMA, snap, "SYN_RECV", 5, |r| (r.str("remote_addr"), String::new()))?;
        // Distinct sources counted over the rows themselves (the peers
        // ranking keeps only the top N); without them (a capture read
        // without rows), the ranking's, as a lower bound.
        let (sources, exact) = match d.signals.syn_recv.get(&(snap, port)) {
            Some(&(_, distinct)) => (distinct, true),
            None => (peers.len() as u64, false),
        };
        let per_source = synrecv as f64 / sources.max(1) as f64;
        let accept_full = bl > 0 && queued >= bl;
        let class = if accept_full {
            "the accept queue is full: overload (see ACCEPT_QUEUE_FULL), the completing ACKs are ignored"
        } else if sources >= 50 && per_source <= 2.0 && exact {
            "many sources with one or two each: likely a SYN flood (check tcp_syncookies = 1)"
        } else if sources <= 5 {
            "few sources: lost ACKs or a middlebox between them and this host"
        } else {
            "neither a clear flood nor a full accept queue"
        };
        let mut f = Finding::new(
            host,
            "SYN_RECV_HIGH",
            severity,
            format!(
                "{} half-open connections (SYN_RECV) on port {port} from {}{} sources: {class}",
                n(synrecv),
                n(sources),
                if exact { "" } else { "+" }
            ),
        );
        f.subject = format!("port {port}");
        single(&mut f.evidence, d, snap);
        f.evidence.numbers = vec![
            ("SYN_RECV on the port".into(), n(synrecv)),
            ("distinct sources".into(), n(sources)),
            ("SYN_RECV per source".into(), format!("{per_source:.1}")),
            ("snapshots with ≥128".into(), n(snapshots as u64)),
        ];
        if bl > 0 {
            f.evidence.numbers.push(("listener backlog (ss LISTEN Send-Q)".into(), n(bl)));
            f.evidence.numbers.push(("listener Recv-Q".into(), n(queued)));
        }
        f.evidence.top = peers.into_iter().take(5).collect();
        if let Some(facts) = d.facts(host) {
            if let Some((_, u)) = facts.knobs.used(&["net.ipv4.tcp_syncookies"], Some(1)) {
                f.evidence.sysctls.push(u);
            }
            let logs =
                facts.events_where(|e| matches!(e, KernelEvent::SynFlood { port: p, .. } if *p == port));
            if !logs.is_empty() {
                f.confidence = Confidence::Confirmed;
                f.evidence.logs = logs.iter().take(5).map(|e| e.line.clone()).collect();
            }
            // SYN cookies sent during the capture confirm a full SYN queue.
            if facts.counter("TcpExt.SyncookiesSent").is_some_and(|v| v > 0) {
                f.confidence = Confidence::Confirmed;
            }
            f.evidence.counters.extend(facts.counter_evidence("TcpExt.SyncookiesSent"));
        }
        found.push(f);
    }
    Ok(cap_per_host(found))
}

/// R9: SYN_SENT toward one destination that does not answer; crit at 200
/// or when it is there in every one of three or more timed snapshots.
fn syn_sent(d: &Data<'_>) -> anyhow::Result<Vec<Finding>> {
    let cand = d.scan(&table::services::SCHEMA, col("SYN_SENT").gt_eq(lit(R9_MIN)))?;
    let key = |r: &RowOf<'_>| (r.u32("source_id"), r.kind(), r.str("remote_addr"), r.u16("remote_port"));
    let mut present: HashMap<(u32, Kind, String, u16), u64> = HashMap::new();
    for r in rows(&cand) {
        *present.entry(key(&r)).or_default() += 1;
    }
    let mut found = Vec::new();
    for ((source, kind, addr, port), i, _) in worst_by(&cand, key, |r| r.u64("SYN_SENT") as f64) {
        let r = RowOf { df: &cand, i };
        let (ss, all) = (r.u64("SYN_SENT"), r.u64("count"));
        let share = ss as f64 / all.max(1) as f64;
        if share < 0.5 {
            continue;
        }
        let (snaps, timed) = d.counts(source, kind);
        let (snaps, timed) = (snaps.max(1) as u64, timed as u64);
        let seen = present.get(&(source, kind, addr.clone(), port)).copied().unwrap_or(1);
        // Persistent: in every one of ≥3 timed snapshots spanning longer
        // than a connect() keeps retrying (tcp_syn_retries = 6: ≈127 s), so
        // it cannot be one burst of attempts.
        let span = match (d.time(source, kind, 0), d.time(source, kind, snaps.saturating_sub(1) as u32)) {
            (Some(a), Some(b)) => (b - a).num_seconds(),
            _ => 0,
        };
        let persistent = timed >= 3 && seen == snaps && span > SYN_RETRY_WINDOW;
        let severity = if ss >= R9_CRIT || persistent { Severity::Crit } else { Severity::Warn };
        let mut f = Finding::new(
            d.host(source),
            "SYN_SENT_HIGH",
            severity,
            format!(
                "{} connection attempts (SYN_SENT) to {addr}:{port} unanswered, {} of the sockets to it{}",
                n(ss),
                pct(share),
                if persistent { format!(", in all {snaps} snapshots") } else { String::new() }
            ),
        );
        f.subject = format!("{addr}:{port}");
        single(&mut f.evidence, d, r.key());
        if persistent {
            f.evidence.span =
                Some((d.at(source, kind, 0), d.at(source, kind, snaps.saturating_sub(1) as u32)));
            f.evidence.scope = format!("trend: in every one of {snaps} snapshots");
        }
        f.evidence.numbers = vec![
            ("destination".into(), format!("{addr}:{port}")),
            ("SYN_SENT".into(), n(ss)),
            ("sockets to it".into(), n(all)),
            ("ESTABLISHED to it".into(), n(r.u64("ESTABLISHED"))),
            ("snapshots with ≥20".into(), format!("{} of {}", n(seen), n(snaps))),
        ];
        found.push(f);
    }
    Ok(cap_per_host(found))
}

/// R15: ESTABLISHED sockets with ≥1 MiB unread (the local application is
/// not reading) or unacknowledged (the peer or the network is slow).
fn backpressure(d: &Data<'_>) -> anyhow::Result<Vec<Finding>> {
    // Per snapshot and queue: total and by owner.
    let mut per: BTreeMap<(SnapKey, bool), Owners> = BTreeMap::new();
    for ((snap, send, who), c) in &d.signals.queues {
        let e = per.entry((*snap, *send)).or_default();
        e.0 += c;
        e.1.push((who.clone(), *c));
    }
    // The worst snapshot per (host, queue).
    let mut worst: BTreeMap<(&str, bool), (SnapKey, u64, usize)> = BTreeMap::new();
    for ((snap, send), (total, owners)) in &per {
        // Per process or peer (tcp-facts R15): the largest owner counts.
        let min = if *send { R15_SEND } else { R15_RECV };
        if owners.iter().map(|o| o.1).max().unwrap_or(0) < min {
            continue;
        }
        let e = worst.entry((d.host(snap.0), *send)).or_insert((*snap, 0, 0));
        e.2 += 1;
        if *total > e.1 {
            (e.0, e.1) = (*snap, *total);
        }
    }
    let mut found = Vec::new();
    for ((host, send), (snap, total, snapshots)) in worst {
        let mut owners = per[&(snap, send)].1.clone();
        owners.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let (severity, title) = if send {
            (
                Severity::Info,
                format!(
                    "{} connections have ≥1 MiB unacknowledged (Send-Q), {} of them {}: the peers or the network are slow",
                    n(total),
                    n(owners[0].1),
                    owner_text(&owners[0].0)
                ),
            )
        } else {
            (
                Severity::Warn,
                format!(
                    "{} connections have ≥1 MiB unread (Recv-Q), {} of them {}: the local application is not reading",
                    n(total),
                    n(owners[0].1),
                    owner_text(&owners[0].0)
                ),
            )
        };
        let mut f = Finding::new(host, "QUEUE_BACKPRESSURE", severity, title);
        f.subject = (if send { "Send-Q" } else { "Recv-Q" }).to_string();
        single(&mut f.evidence, d, snap);
        f.evidence.numbers = vec![
            (
                format!(
                    "ESTABLISHED with {} ≥ {} bytes",
                    if send { "Send-Q" } else { "Recv-Q" },
                    n(QUEUE_FULL)
                ),
                n(total),
            ),
            ("snapshots".into(), n(snapshots as u64)),
        ];
        f.evidence.top = owners
            .into_iter()
            .take(5)
            .map(|(label, count)| TopRow { label, count, note: String::new() })
            .collect();
        found.push(f);
    }
    Ok(found)
}

/// "held by nginx" or "with peer 10.0.0.1".
fn owner_text(who: &str) -> String {
    if who.starts_with("peer ") { format!("with {who}") } else { format!("held by {who}") }
}

/// R16: sockets whose retransmit timer shows three or more retries, toward
/// one peer: loss on the path or a dead peer.
fn retransmitting(d: &Data<'_>) -> anyhow::Result<Vec<Finding>> {
    let mut worst: BTreeMap<(u32, Kind, &str), (u32, u64, usize)> = BTreeMap::new();
    for ((snap, remote), c) in &d.signals.retrans {
        if *c < R16_MIN {
            continue;
        }
        let e = worst.entry((snap.0, snap.1, remote.as_str())).or_insert((snap.2, 0, 0));
        e.2 += 1;
        if *c > e.1 || (*c == e.1 && snap.2 < e.0) {
            (e.0, e.1) = (snap.2, *c);
        }
    }
    let mut found = Vec::new();
    for ((source, kind, remote), (index, c, snapshots)) in worst {
        let mut f = Finding::new(
            d.host(source),
            "RETRANSMITTING",
            Severity::Warn,
            format!("{} sockets to {remote} are retransmitting ({RETRANS_MIN}+ retries each)", n(c)),
        );
        f.subject = remote.to_string();
        single(&mut f.evidence, d, (source, kind, index));
        f.evidence.numbers = vec![
            ("peer".into(), remote.to_string()),
            (format!("sockets with the retransmit timer on and ≥{RETRANS_MIN} retries"), n(c)),
            ("snapshots".into(), n(snapshots as u64)),
        ];
        found.push(f);
    }
    Ok(cap_per_host(found))
}
