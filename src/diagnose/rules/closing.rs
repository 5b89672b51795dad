//! R4 CLOSE_WAIT_LEAK, R5 CLOSE_WAIT_UNACCEPTED, R6 FIN_WAIT2_STUCK,
//! R10 CLOSING_STATES_STUCK, R11 ORPHANS.

use std::collections::{BTreeMap, HashMap};

use polars::prelude::*;

use super::{cap_per_host, single, socket_rows, sockets, top_at, worst_by};
use crate::diagnose::data::{Data, RowOf, rows};
use crate::diagnose::facts;
use crate::diagnose::signals::SnapKey;
use crate::diagnose::{Confidence, Finding, Severity, TopRow, n, pct};
use crate::model::Kind;
use crate::parse::kernlog::KernelEvent;
use crate::table;

/// A listener's (Recv-Q, Send-Q, process).
type Listening = (u64, u64, String);
/// A FIN_WAIT2 4-tuple: (its remote address, first index, last index,
/// seconds between).
type Stuck<'a> = (&'a str, u32, u32, i64);

/// R4: CLOSE_WAIT of one process (or port) below which nothing is said.
const R4_FLOOR: u64 = 10;
const R4_WARN: u64 = 100;
const R4_CRIT: u64 = 1000;
/// R5: unowned CLOSE_WAIT on a port with a waiting accept queue.
const R5_MIN: u64 = 10;
/// R6: FIN_WAIT2 sockets, and 4-tuples that outlive tcp_fin_timeout.
const R6_MIN: u64 = 500;
const R6_TUPLES: usize = 10;
/// R10: sockets in one closing state.
const R10_MIN: u64 = 100;

pub fn run(d: &Data<'_>, out: &mut Vec<Finding>) -> anyhow::Result<()> {
    out.extend(close_wait_leak(d)?);
    out.extend(close_wait_unaccepted(d)?);
    out.extend(fin_wait2(d)?);
    out.extend(closing_states(d)?);
    out.extend(orphans(d)?);
    Ok(())
}

/// Sources whose snapshots are timestamped, with how many snapshots.
fn timed(d: &Data<'_>) -> HashMap<(u32, Kind), usize> {
    d.captures().map(|(k, (_, timed))| (k, timed)).collect()
}

/// A count that never falls and ends higher than it started, over at least
/// three snapshots.
fn grows(series: &[(u32, u64)]) -> bool {
    // Consecutive snapshots only: a snapshot missing from the series fell
    // below the floor, which is not growth.
    series.len() >= 3
        && series.windows(2).all(|w| w[1].0 == w[0].0 + 1 && w[1].1 >= w[0].1)
        && series.last().is_some_and(|l| l.1 > series[0].1)
}

/// R4: the peer closed, the application never called close(). Per process
/// when the capture shows owners, else per local port; crit at 1,000 or
/// when it only ever grows over three or more timed snapshots.
fn close_wait_leak(d: &Data<'_>) -> anyhow::Result<Vec<Finding>> {
    let timed = timed(d);
    let mut found = Vec::new();
    let procs = d.scan(&table::processes::SCHEMA, col("CLOSE_WAIT").gt_eq(lit(R4_FLOOR)))?;
    let ports =
        d.scan(&table::local_services::SCHEMA, col("CLOSE_WAIT").gt_eq(lit(R4_FLOOR)).and(sockets()))?;
    // Sources with owners: their leaks are named by process.
    let mut owned: std::collections::HashSet<(u32, Kind)> = Default::default();
    d.for_rows(&table::processes::SCHEMA, col("count").gt(lit(0u64)), |r| {
        owned.insert((r.u32("source_id"), r.kind()));
    })?;
    for (df, by_process) in [(&procs, true), (&ports, false)] {
        let key = |r: &RowOf<'_>| {
            let who = if by_process {
                match r.opt_u32("pid") {
                    Some(p) => format!("{} (pid {p})", r.str("process")),
                    None => r.str("process"),
                }
            } else {
                format!("port {}", r.u16("local_port"))
            };
            (r.u32("source_id"), r.kind(), who)
        };
        let mut series: HashMap<(u32, Kind, String), Vec<(u32, u64)>> = HashMap::new();
        for r in rows(df) {
            series.entry(key(&r)).or_default().push((r.u32("index"), r.u64("CLOSE_WAIT")));
        }
        for ((source, kind, who), i, _) in worst_by(df, key, |r| r.u64("CLOSE_WAIT") as f64) {
            if !by_process && owned.contains(&(source, kind)) {
                continue;
            }
            let r = RowOf { df, i };
            let cw = r.u64("CLOSE_WAIT");
            let all = r.u64("count");
            let share = cw as f64 / all.max(1) as f64;
            let mut s = series.remove(&(source, kind, who.clone())).unwrap_or_default();
            s.sort_unstable();
            let trend = timed.get(&(source, kind)).copied().unwrap_or(0) >= 3 && grows(&s);
            let severity = if cw >= R4_CRIT || (trend && (cw >= R4_WARN || share >= 0.1)) {
                Severity::Crit
            } else if cw >= R4_WARN || (by_process && share >= 0.1) {
                Severity::Warn
            } else {
                continue;
            };
            let host = d.host(source);
            let mut f = Finding::new(
                host,
                "CLOSE_WAIT_LEAK",
                severity,
                format!(
                    "{} CLOSE_WAIT sockets {} {who} ({} of its sockets){}",
                    n(cw),
                    if by_process { "held by" } else { "on" },
                    pct(share),
                    if trend {
                        format!(", growing from {} to {}", n(s[0].1), n(s[s.len() - 1].1))
                    } else {
                        String::new()
                    }
                ),
            );
            f.subject = who.clone();
            let snap = r.key();
            single(&mut f.evidence, d, snap);
            f.evidence.numbers = vec![
                ("CLOSE_WAIT".into(), n(cw)),
                (
                    if by_process { "sockets of the process" } else { "connected sockets on the port" }
                        .into(),
                    n(all),
                ),
            ];
            if trend {
                let (a, b) = (s[0].0, s[s.len() - 1].0);
                f.evidence.span = Some((d.at(source, kind, a), d.at(source, kind, b)));
                f.evidence.scope = format!("trend over {} snapshots", s.len());
                f.evidence.numbers.push((
                    "course".into(),
                    s.iter().map(|x| n(x.1)).collect::<Vec<_>>().join(" → ").chars().take(200).collect(),
                ));
            }
            f.evidence.top = top_at(d, &table::peers::SCHEMA, snap, "CLOSE_WAIT", 5, |r| {
                (r.str("remote_addr"), r.str("direction"))
            })?;
            if by_process {
                f.evidence.top.extend(top_at(
                    d,
                    &table::local_services::SCHEMA,
                    snap,
                    "CLOSE_WAIT",
                    3,
                    |r| (format!("local port {}", r.u16("local_port")), String::new()),
                )?);
            }
            found.push(f);
        }
    }
    Ok(cap_per_host(merge_port_into_process(found)))
}

/// A host captured both with owners (`ss -p`) and without (a loop of
/// `ss -tan`) shows one leak twice: per process and per port. The port's
/// finding (often the trend) joins the process's that holds that port.
fn merge_port_into_process(found: Vec<Finding>) -> Vec<Finding> {
    let (mut procs, ports): (Vec<Finding>, Vec<Finding>) =
        found.into_iter().partition(|f| !f.subject.starts_with("port "));
    let mut out = Vec::new();
    for p in ports {
        let port_label = format!("local {}", p.subject);
        let holder = procs
            .iter_mut()
            .find(|f| f.host == p.host && f.evidence.top.iter().any(|t| t.label == port_label));
        match holder {
            Some(h) => {
                h.severity = h.severity.max(p.severity);
                let src = p.evidence.at.as_ref().map(|a| a.source.clone()).unwrap_or_default();
                // The first trend only (the same loop may be captured twice,
                // plain and compressed).
                if let (Some(course), false) =
                    (p.evidence.numbers.iter().find(|(k, _)| k == "course"), h.title.contains(", growing "))
                {
                    h.evidence.numbers.push((format!("course on {} in {src}", p.subject), course.1.clone()));
                    if let Some((_, g)) = p.title.split_once(", growing ") {
                        h.title = format!("{}, growing {g} on {}", h.title, p.subject);
                    }
                }
                if h.evidence.span.is_none() {
                    h.evidence.span = p.evidence.span.clone();
                    if p.evidence.span.is_some() {
                        h.evidence.scope = format!("{} (trend from {src})", p.evidence.scope);
                    }
                }
            }
            None => out.push(p),
        }
    }
    procs.extend(out);
    procs
}

/// R5: CLOSE_WAIT with no owner on a listening port whose accept queue is
/// not empty: clients gave up while waiting to be accepted.
fn close_wait_unaccepted(d: &Data<'_>) -> anyhow::Result<Vec<Finding>> {
    let listeners = d.scan(&table::listeners::SCHEMA, col("recv_q").gt(lit(0u64)))?;
    // (snapshot, port) → (Recv-Q, Send-Q, process) of its listeners.
    let mut queue: HashMap<(SnapKey, u16), Listening> = HashMap::new();
    for r in rows(&listeners) {
        let e = queue.entry((r.key(), r.u16("local_port"))).or_insert((0, 0, String::new()));
        e.0 = e.0.max(r.u64("recv_q"));
        e.1 = e.1.max(r.u64("send_q"));
        if e.2.is_empty() {
            e.2 = r.str("process");
        }
    }
    // The worst snapshot per (source, port).
    // (source, tool, port) → (worst snapshot, its count, snapshots).
    let mut worst: BTreeMap<(u32, Kind, u16), (SnapKey, u64, usize)> = BTreeMap::new();
    // Snapshots whose capture shows owners: "no owner" means something
    // there only (the processes table has their rows).
    let mut owned: std::collections::HashSet<SnapKey> = Default::default();
    d.for_rows(&table::processes::SCHEMA, col("count").gt(lit(0u64)), |r| {
        owned.insert(r.key());
    })?;
    for ((snap, port), c) in &d.signals.unowned_close_wait {
        if *c < R5_MIN || !owned.contains(snap) || !queue.contains_key(&(*snap, *port)) {
            continue;
        }
        let e = worst.entry((snap.0, snap.1, *port)).or_insert((*snap, 0, 0));
        e.2 += 1;
        if *c > e.1 || (*c == e.1 && snap.2 < e.0.2) {
            (e.0, e.1) = (*snap, *c);
        }
    }
    let mut found = Vec::new();
    for ((source, _, port), (snap, cw, snapshots)) in worst {
        let (recv_q, send_q, process) = &queue[&(snap, port)];
        let mut f = Finding::new(
            d.host(source),
            "CLOSE_WAIT_UNACCEPTED",
            Severity::Warn,
            format!(
                "{} CLOSE_WAIT sockets on port {port} belong to no process while its accept queue holds {}: clients gave up before accept()",
                n(cw),
                n(*recv_q)
            ),
        );
        f.subject = format!("port {port}");
        single(&mut f.evidence, d, snap);
        f.evidence.numbers = vec![
            ("CLOSE_WAIT without an owner".into(), n(cw)),
            ("listener Recv-Q (waiting to be accepted)".into(), n(*recv_q)),
            (
                "listener Send-Q".into(),
                format!(
                    "{} {}",
                    n(*send_q),
                    if snap.1 == Kind::Ss { "(the backlog)" } else { "(netstat: not the backlog)" }
                ),
            ),
            ("snapshots".into(), n(snapshots as u64)),
        ];
        if !process.is_empty() {
            f.evidence.numbers.push(("listening process".into(), process.clone()));
        }
        found.push(f);
    }
    Ok(cap_per_host(found))
}

/// R6: FIN_WAIT2 piles up (≥500), or the same 4-tuples stay in FIN_WAIT2
/// longer than tcp_fin_timeout allows an orphan: the peer never closes.
fn fin_wait2(d: &Data<'_>) -> anyhow::Result<Vec<Finding>> {
    let mut found = Vec::new();
    let cand = d.snapshots_where(socket_rows().and(col("FIN_WAIT2").gt_eq(lit(R6_MIN))))?;
    for (host, i, snapshots) in
        worst_by(&cand, |r| d.host(r.u32("source_id")).to_string(), |r| r.u64("FIN_WAIT2") as f64)
    {
        let r = RowOf { df: &cand, i };
        let snap = r.key();
        let mut f = Finding::new(
            &host,
            "FIN_WAIT2_STUCK",
            Severity::Warn,
            format!("{} FIN_WAIT2 sockets: this host closed, the peers have not yet", n(r.u64("FIN_WAIT2"))),
        );
        single(&mut f.evidence, d, snap);
        f.evidence.numbers = vec![
            ("FIN_WAIT2".into(), n(r.u64("FIN_WAIT2"))),
            ("snapshots with ≥500".into(), n(snapshots as u64)),
        ];
        f.evidence.top = top_at(d, &table::peers::SCHEMA, snap, "FIN_WAIT2", 5, |r| {
            (r.str("remote_addr"), r.str("direction"))
        })?;
        found.push(f);
    }
    // Persistence: 4-tuples seen in FIN_WAIT2 across more than the orphan
    // timeout, in captures with at least three timed snapshots.
    let timed = timed(d);
    // (source, tool) → (4-tuple, first, last, seconds between).
    let mut per_source: BTreeMap<(u32, Kind), Vec<Stuck<'_>>> = BTreeMap::new();
    for ((source, kind, _), t) in &d.signals.fin_wait2 {
        if t.seen < 2 || timed.get(&(*source, *kind)).copied().unwrap_or(0) < 3 {
            continue;
        }
        let (Some(a), Some(b)) = (d.time(*source, *kind, t.first), d.time(*source, *kind, t.last)) else {
            continue;
        };
        let remote = d.signals.remotes.get(t.remote as usize).map_or("", String::as_str);
        per_source.entry((*source, *kind)).or_default().push((
            remote,
            t.first,
            t.last,
            (b - a).num_seconds(),
        ));
    }
    for ((source, kind), tuples) in per_source {
        let host = d.host(source);
        let Some(facts) = d.facts(host) else { continue };
        let (timeout, used) =
            facts.knobs.used(facts::FIN_TIMEOUT_KEY, Some(facts::FIN_TIMEOUT)).unwrap_or_default();
        let stuck: Vec<_> = tuples.into_iter().filter(|t| t.3 > timeout as i64).collect();
        if stuck.len() < R6_TUPLES {
            continue;
        }
        let longest = stuck.iter().map(|t| t.3).max().unwrap_or(0);
        let (first, last) =
            (stuck.iter().map(|t| t.1).min().unwrap_or(0), stuck.iter().map(|t| t.2).max().unwrap_or(0));
        let mut by_peer: BTreeMap<String, u64> = BTreeMap::new();
        for t in &stuck {
            *by_peer.entry(t.0.to_string()).or_default() += 1;
        }
        let mut top: Vec<TopRow> = by_peer
            .into_iter()
            .map(|(label, count)| TopRow { label, count, note: "4-tuples".into() })
            .collect();
        top.sort_by_key(|t| std::cmp::Reverse(t.count));
        top.truncate(5);
        let mut f = Finding::new(
            host,
            "FIN_WAIT2_STUCK",
            Severity::Warn,
            format!(
                "{} connections stayed in FIN_WAIT2 longer than tcp_fin_timeout ({timeout} s), up to {longest} s: the peer keeps them half-open",
                n(stuck.len() as u64)
            ),
        );
        f.subject = "persistence".into();
        f.evidence.at = Some(d.at(source, kind, last));
        f.evidence.span = Some((d.at(source, kind, first), d.at(source, kind, last)));
        f.evidence.scope = "trend: the same 4-tuples across snapshots".into();
        f.evidence.numbers = vec![
            ("4-tuples in FIN_WAIT2 past the timeout".into(), n(stuck.len() as u64)),
            ("longest seen".into(), format!("{longest} s")),
        ];
        f.evidence.top = top;
        if used.assumed {
            f.confidence = Confidence::AssumedDefault;
        }
        f.evidence.sysctls.push(used);
        found.push(f);
    }
    Ok(found)
}

/// R10: FIN_WAIT1, LAST_ACK or CLOSING piling up: peers are not ACKing
/// FINs (gone, zero window, or a path that drops).
fn closing_states(d: &Data<'_>) -> anyhow::Result<Vec<Finding>> {
    let mut found = Vec::new();
    for state in ["FIN_WAIT1", "LAST_ACK", "CLOSING"] {
        let cand = d.snapshots_where(socket_rows().and(col(state).gt_eq(lit(R10_MIN))))?;
        for (host, i, snapshots) in
            worst_by(&cand, |r| d.host(r.u32("source_id")).to_string(), |r| r.u64(state) as f64)
        {
            let r = RowOf { df: &cand, i };
            let snap = r.key();
            let mut f = Finding::new(
                &host,
                "CLOSING_STATES_STUCK",
                Severity::Warn,
                format!("{} sockets in {state}: peers are not acknowledging the close", n(r.u64(state))),
            );
            f.subject = state.to_string();
            single(&mut f.evidence, d, snap);
            f.evidence.numbers =
                vec![(state.into(), n(r.u64(state))), ("snapshots with ≥100".into(), n(snapshots as u64))];
            f.evidence.top = top_at(d, &table::peers::SCHEMA, snap, state, 5, |r| {
                (r.str("remote_addr"), r.str("direction"))
            })?;
            found.push(f);
        }
    }
    Ok(found)
}

/// R11: orphans (closed sockets still in FIN_WAIT1/2, LAST_ACK, CLOSING)
/// against tcp_max_orphans; the kernel's message confirms.
fn orphans(d: &Data<'_>) -> anyhow::Result<Vec<Finding>> {
    // Per host, the snapshot with the most orphans: (count, kernel's own
    // count or estimate, snapshot), streamed over the snapshots.
    let mut worst: HashMap<&str, (u64, bool, SnapKey)> = HashMap::new();
    d.for_snapshots(sockets(), |r| {
        let (v, counted) = match r.opt_u64("ss_orphaned") {
            Some(v) => (v, true),
            None if !r.bool("from_counters") => {
                (r.u64("FIN_WAIT1") + r.u64("FIN_WAIT2") + r.u64("LAST_ACK") + r.u64("CLOSING"), false)
            }
            None => return,
        };
        let h = d.host(r.u32("source_id"));
        // On a tie the kernel's own count wins over the estimate.
        if worst.get(h).is_none_or(|w| (v, counted) > (w.0, w.1)) {
            worst.insert(h, (v, counted, r.key()));
        }
    })?;
    let mut found = Vec::new();
    for (host, facts) in &d.hosts {
        let logs = facts.events_where(|e| matches!(e, KernelEvent::TooManyOrphans));
        let abort = facts.counter("TcpExt.TCPAbortOnMemory").filter(|v| *v > 0);
        let limit = facts.knobs.used(facts::MAX_ORPHANS, None);
        let at = worst.get(*host).copied();
        let count = at.map(|w| w.0);
        let counted = at.is_some_and(|w| w.1);
        let ratio = match (count, &limit) {
            (Some(c), Some((l, _))) if *l > 0 => Some(c as f64 / *l as f64),
            _ => None,
        };
        let confirmed = !logs.is_empty() || abort.is_some();
        // An estimate from closing states is an upper bound: it can warn,
        // only the kernel's own count (or its message) makes it critical.
        let severity = if !logs.is_empty() || (counted && ratio.is_some_and(|x| x >= 0.5)) {
            Severity::Crit
        } else if ratio.is_some_and(|x| x >= 0.25) || confirmed {
            Severity::Warn
        } else {
            continue;
        };
        let title = match (count, ratio, &limit) {
            (Some(c), Some(x), Some((l, _))) => format!(
                "{} orphaned sockets{}, {} of tcp_max_orphans = {}",
                n(c),
                if counted { "" } else { " (estimated from closing states)" },
                pct(x),
                n(*l)
            ),
            _ if !logs.is_empty() => "the kernel reported too many orphaned sockets".into(),
            _ => format!(
                "the kernel aborted {} connections for lack of memory during the capture (too many orphans, or tcp_mem exhausted)",
                n(abort.unwrap_or(0))
            ),
        };
        let mut f = Finding::new(host, "ORPHANS", severity, title);
        if let Some((v, counted, snap)) = at {
            single(&mut f.evidence, d, snap);
            let what = if counted {
                "orphans (kernel count)"
            } else {
                "FIN_WAIT1 + FIN_WAIT2 + LAST_ACK + CLOSING (an upper bound)"
            };
            f.evidence.numbers.push((what.into(), n(v)));
        }
        match limit {
            Some((_, u)) => f.evidence.sysctls.push(u),
            None => f.evidence.numbers.push(("net.ipv4.tcp_max_orphans".into(), facts::RAM_DERIVED.into())),
        }
        if confirmed {
            f.confidence = Confidence::Confirmed;
        }
        f.evidence.logs = logs.iter().take(5).map(|e| e.line.clone()).collect();
        f.evidence.counters.extend(facts.counter_evidence("TcpExt.TCPAbortOnMemory"));
        found.push(f);
    }
    Ok(found)
}
