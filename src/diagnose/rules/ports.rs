//! R1 PORT_EXHAUSTION, R2 TIME_WAIT_CHURN, R3 TW_BUCKETS_LIMIT.

use polars::prelude::*;

use super::{cap_per_host, single, socket_rows, top_at, worst_by};
use std::collections::HashMap;

use crate::diagnose::data::Data;
use crate::diagnose::facts::{self, TIME_WAIT_SECS};
use crate::diagnose::signals::SnapKey;
use crate::diagnose::{Confidence, Finding, LogLine, Severity, n, pct};
use crate::parse::kernlog::KernelEvent;
use crate::table;

/// R1: sockets toward one destination below which no share is reported.
const R1_FLOOR: u64 = 50;
/// R2: TIME_WAIT sockets that make churn worth a note.
const R2_MIN: u64 = 5000;

pub fn run(d: &Data<'_>, out: &mut Vec<Finding>) -> anyhow::Result<()> {
    out.extend(port_exhaustion(d)?);
    out.extend(time_wait_churn(d)?);
    out.extend(tw_buckets(d)?);
    Ok(())
}

/// R1: outbound sockets per (local IP, remote IP, remote port) against the
/// usable ephemeral range — each needs its own local port, TIME_WAIT
/// included.
fn port_exhaustion(d: &Data<'_>) -> anyhow::Result<Vec<Finding>> {
    let cand = d.scan(
        &table::ephemeral::SCHEMA,
        col("ports_in_use").gt_eq(lit(R1_FLOOR)).and(col("share").gt_eq(lit(0.1))),
    )?;
    let worst = worst_by(
        &cand,
        |r| (r.u32("source_id"), r.str("local_addr"), r.str("remote_addr"), r.u16("remote_port")),
        |r| r.u64("ports_in_use") as f64,
    );
    let mut found = Vec::new();
    for ((source, local, remote, port), i, snapshots) in worst {
        let host = d.host(source);
        let Some(facts) = d.facts(host) else { continue };
        let r = crate::diagnose::data::RowOf { df: &cand, i };
        // The ports were counted against the range in the row (the host's
        // captured one, else the default): the share is of that range.
        let (lo, hi) = (r.u16("range_lo"), r.u16("range_hi"));
        let (klo, khi, _, mut used) = facts.knobs.port_range();
        let reserved =
            facts.knobs.get(facts::RESERVED_PORTS).map_or(0, |(_, v)| facts::reserved_in(v, lo, hi));
        if (klo, khi) != (lo, hi) {
            used.retain(|u| u.key != "net.ipv4.ip_local_port_range");
            used.insert(
                0,
                crate::diagnose::SysctlUsed {
                    key: "net.ipv4.ip_local_port_range".into(),
                    value: format!("{lo} {hi} (as the ports were counted; --sysctl gave {klo} {khi})"),
                    assumed: false,
                },
            );
        }
        let size = (u64::from(hi).saturating_sub(u64::from(lo)) + 1).saturating_sub(reserved).max(1);
        let ports = r.u64("ports_in_use");
        let share = ports as f64 / size as f64;
        let severity = match share {
            s if s >= 0.8 => Severity::Crit,
            s if s >= 0.5 => Severity::Warn,
            _ => continue,
        };
        let mut f = Finding::new(
            host,
            "PORT_EXHAUSTION",
            severity,
            format!(
                "{} of {} usable local ports ({}) in use toward {remote}:{port} from {local}",
                n(ports),
                n(size),
                pct(share)
            ),
        );
        f.subject = format!("{remote}:{port} from {local}");
        single(&mut f.evidence, d, r.key());
        let e = &mut f.evidence;
        e.numbers = vec![
            ("destination".into(), format!("{remote}:{port} (from {local})")),
            ("ports in use".into(), n(ports)),
            ("of those in TIME_WAIT".into(), n(r.u64("time_wait"))),
            (
                "usable ephemeral ports".into(),
                format!(
                    "{} ({lo}–{hi}{})",
                    n(size),
                    if reserved > 0 { format!(", {reserved} reserved") } else { String::new() }
                ),
            ),
            ("share".into(), pct(share)),
            (
                "ceiling if this host closes first".into(),
                format!(
                    "≈{} new connections/s to this destination (ports ÷ {TIME_WAIT_SECS} s)",
                    n(size / TIME_WAIT_SECS)
                ),
            ),
            ("snapshots at ≥10% of the range".into(), n(snapshots as u64)),
        ];
        if used.iter().any(|u| u.assumed) {
            f.confidence = Confidence::AssumedDefault;
        }
        f.evidence.sysctls = used;
        found.push(f);
    }
    Ok(cap_per_host(found))
}

/// R2: TIME_WAIT piles up on the side that closes first; inbound costs
/// little, outbound feeds R1. Reports the close rate and the top peers.
fn time_wait_churn(d: &Data<'_>) -> anyhow::Result<Vec<Finding>> {
    let cand = d.snapshots_where(socket_rows().and(col("TIME_WAIT").gt_eq(lit(R2_MIN))))?;
    // The worst snapshot per host.
    let worst = worst_by(&cand, |r| d.host(r.u32("source_id")).to_string(), |r| r.u64("TIME_WAIT") as f64);
    let mut found = Vec::new();
    for (host, i, snapshots) in worst {
        let r = crate::diagnose::data::RowOf { df: &cand, i };
        let snap = r.key();
        let tw = r.u64("TIME_WAIT");
        let dirs = top_at(d, &table::directions::SCHEMA, snap, "TIME_WAIT", 3, |r| {
            (r.str("direction"), String::new())
        })?;
        let dir = |name: &str| dirs.iter().find(|x| x.label == name).map_or(0, |x| x.count);
        let (inbound, outbound) = (dir("inbound"), dir("outbound"));
        let mut f = Finding::new(
            &host,
            "TIME_WAIT_CHURN",
            Severity::Info,
            format!(
                "{} TIME_WAIT sockets: this host closed ≈{} connections/s first ({} inbound, {} outbound)",
                n(tw),
                n(tw / TIME_WAIT_SECS),
                n(inbound),
                n(outbound)
            ),
        );
        single(&mut f.evidence, d, snap);
        f.evidence.numbers = vec![
            ("TIME_WAIT".into(), n(tw)),
            ("inbound (this host's listening ports)".into(), n(inbound)),
            ("outbound (ephemeral ports: each holds a port 60 s)".into(), n(outbound)),
            ("close rate".into(), format!("≈{}/s (TIME_WAIT ÷ {TIME_WAIT_SECS} s)", n(tw / TIME_WAIT_SECS))),
            ("snapshots with ≥5,000".into(), n(snapshots as u64)),
        ];
        f.evidence.top = top_at(d, &table::peers::SCHEMA, snap, "TIME_WAIT", 5, |r| {
            (r.str("remote_addr"), r.str("direction"))
        })?;
        found.push(f);
    }
    Ok(found)
}

/// R3: timewait sockets against `tcp_max_tw_buckets`; a log line or the
/// TCPTimeWaitOverflow counter confirms the limit was hit.
fn tw_buckets(d: &Data<'_>) -> anyhow::Result<Vec<Finding>> {
    // The most timewait sockets of each host: sockstat/`ss -s` tw where
    // captured (it holds orphaned FIN_WAIT2 too), else TIME_WAIT rows.
    let mut most: HashMap<&str, (u64, SnapKey, &str)> = HashMap::new();
    d.for_snapshots(super::sockets(), |r| {
        let (v, what) = match r.opt_u64("ss_timewait") {
            Some(v) => (v, "kernel timewait count (ss -s / sockstat tw)"),
            None if !r.bool("from_counters") => (r.u64("TIME_WAIT"), "TIME_WAIT rows"),
            None => return,
        };
        let h = d.host(r.u32("source_id"));
        if most.get(h).is_none_or(|b| v > b.0) {
            most.insert(h, (v, r.key(), what));
        }
    })?;
    let mut found = Vec::new();
    for (host, facts) in &d.hosts {
        let limit = facts.knobs.used(facts::TW_BUCKETS, None);
        let logs = facts.events_where(|e| matches!(e, KernelEvent::TimeWaitOverflow));
        let counter = facts.counter("TcpExt.TCPTimeWaitOverflow").filter(|v| *v > 0);
        let best = most.get(host).copied();
        let ratio = match (&limit, best) {
            (Some((l, _)), Some((v, _, _))) if *l > 0 => Some(v as f64 / *l as f64),
            _ => None,
        };
        let confirmed = !logs.is_empty() || counter.is_some();
        let evidence = facts.counter_evidence("TcpExt.TCPTimeWaitOverflow");
        let near = ratio.is_some_and(|x| x >= 0.9);
        // A single counter sample says it happened since boot, not when.
        let severity = if confirmed || near {
            Severity::Warn
        } else if evidence.is_some() {
            Severity::Info
        } else {
            continue;
        };
        let title = match (ratio, best, &limit) {
            (Some(x), Some((v, _, _)), Some((l, _))) if near => {
                format!("{} timewait sockets, {} of tcp_max_tw_buckets = {}", n(v), pct(x), n(*l))
            }
            _ if confirmed => {
                "the time-wait bucket table overflowed during the capture: TIME_WAIT sockets were destroyed early"
                    .to_string()
            }
            _ => format!(
                "the kernel counted {} time-wait bucket overflows since boot (one counter sample: not when)",
                n(evidence.as_ref().map_or(0, |e| e.1))
            ),
        };
        let mut f = Finding::new(host, "TW_BUCKETS_LIMIT", severity, title);
        if let Some((v, snap, what)) = best {
            single(&mut f.evidence, d, snap);
            f.evidence.numbers.push((what.into(), n(v)));
        }
        match limit {
            Some((_, u)) => f.evidence.sysctls.push(u),
            None => {
                f.evidence.numbers.push(("net.ipv4.tcp_max_tw_buckets".into(), facts::RAM_DERIVED.into()))
            }
        }
        if confirmed {
            f.confidence = Confidence::Confirmed;
        }
        f.evidence.logs = logs.iter().take(5).map(|e| e.line.clone()).collect::<Vec<LogLine>>();
        f.evidence.counters.extend(evidence);
        found.push(f);
    }
    Ok(found)
}
