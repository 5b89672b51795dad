//! R12 CONNTRACK_FULL, R13 CONNTRACK_COMPOSITION, R14 CONNTRACK_HASH.

use std::collections::HashMap;

use polars::prelude::*;

use super::{single, top_at};
use crate::diagnose::data::{Data, RowOf, rows};
use crate::diagnose::facts;
use crate::diagnose::signals::SnapKey;
use crate::diagnose::{Confidence, Finding, Severity, n, pct};
use crate::model::Kind;
use crate::parse::kernlog::KernelEvent;
use crate::table;

/// R13: entries below which the composition is not judged.
const R13_MIN: u64 = 100;

pub fn run(d: &Data<'_>, out: &mut Vec<Finding>) -> anyhow::Result<()> {
    let snaps = d.snapshots_where(col("kind").eq(lit(Kind::Conntrack.name())))?;
    // The largest conntrack snapshot per host.
    let mut largest: HashMap<&str, (SnapKey, u64)> = HashMap::new();
    for r in rows(&snaps) {
        let h = d.host(r.u32("source_id"));
        let t = r.u64("total");
        if largest.get(h).is_none_or(|x| t > x.1) {
            largest.insert(h, (r.key(), t));
        }
    }
    out.extend(full(d, &largest)?);
    out.extend(composition(d, &snaps)?);
    out.extend(hash(d)?);
    Ok(())
}

fn ct_top(d: &Data<'_>, snap: SnapKey) -> PolarsResult<Vec<crate::diagnose::TopRow>> {
    let mut top = top_at(d, &table::ct_states::SCHEMA, snap, "entries", 4, |r| {
        (format!("state {}", r.str("state")), String::new())
    })?;
    top.extend(top_at(d, &table::ct_destinations::SCHEMA, snap, "entries", 5, |r| {
        (
            format!("to {}:{}", r.str("dst_addr"), r.u16("dst_port")),
            format!("{} unreplied", r.u64("unreplied")),
        )
    })?);
    Ok(top)
}

/// R12: entries against nf_conntrack_max; the kernel's "table full" line
/// or a `drop` counter confirms that new flows were dropped.
fn full(d: &Data<'_>, largest: &HashMap<&str, (SnapKey, u64)>) -> anyhow::Result<Vec<Finding>> {
    let mut found = Vec::new();
    for (host, facts) in &d.hosts {
        let logs = facts.events_where(|e| matches!(e, KernelEvent::ConntrackFull));
        let drop = facts.ctstat.get("drop").copied().filter(|v| *v > 0);
        let limit = facts.knobs.used(facts::CT_MAX, None);
        let listed = largest.get(host).map_or(0, |x| x.1);
        let (count, snap) = match (largest.get(host), facts.knobs.u64(facts::CT_COUNT)) {
            (Some((s, t)), c) => ((*t).max(c.unwrap_or(0)), Some(*s)),
            (None, Some(c)) => (c, None),
            (None, None) => (0, None),
        };
        let ratio = match &limit {
            Some((l, _)) if *l > 0 && count > 0 => Some(count as f64 / *l as f64),
            _ => None,
        };
        let confirmed = !logs.is_empty() || drop.is_some();
        let severity = if confirmed || ratio.is_some_and(|x| x >= 0.95) {
            Severity::Crit
        } else if ratio.is_some_and(|x| x >= 0.8) {
            Severity::Warn
        } else {
            continue;
        };
        let early = facts.ctstat.get("early_drop").copied().filter(|v| *v > 0);
        let what = if !logs.is_empty() {
            "; the kernel logged dropped packets of new flows".to_string()
        } else if let Some(v) = drop {
            format!("; conntrack -S counts {} dropped packets", n(v))
        } else if let Some(v) = early {
            format!("; {} entries not yet [ASSURED] were evicted early to make room, no drop counted", n(v))
        } else {
            String::new()
        };
        let title = match (ratio, &limit) {
            (Some(x), Some((l, _))) => {
                format!(
                    "conntrack table {} full: {} of nf_conntrack_max = {} entries{what}",
                    pct(x),
                    n(count),
                    n(*l)
                )
            }
            _ if !logs.is_empty() => "conntrack table full: the kernel dropped packets of new flows".into(),
            _ => format!(
                "conntrack -S counts {} dropped packets (a full table, or packets a tracker rejected)",
                n(drop.unwrap_or(0))
            ),
        };
        let mut f = Finding::new(host, "CONNTRACK_FULL", severity, title);
        if let Some(s) = snap {
            single(&mut f.evidence, d, s);
            f.evidence.top = ct_top(d, s)?;
        }
        f.evidence.numbers.push(("entries".into(), n(count)));
        if snap.is_some() && listed < count {
            f.evidence.numbers.push((
                "note".into(),
                format!("the count is the kernel's (nf_conntrack_count); the listing the breakdown comes from holds {} of them", n(listed)),
            ));
        }
        match limit {
            Some((_, u)) => f.evidence.sysctls.push(u),
            None => {
                f.evidence.numbers.push(("net.netfilter.nf_conntrack_max".into(), facts::RAM_DERIVED.into()))
            }
        }
        if confirmed {
            f.confidence = Confidence::Confirmed;
        }
        f.evidence.logs = logs.iter().take(5).map(|e| e.line.clone()).collect();
        if let Some(v) = drop {
            f.evidence.counters.push(("conntrack -S drop".into(), v));
        }
        if let Some(v) = facts.ctstat.get("early_drop").filter(|v| **v > 0) {
            f.evidence.counters.push(("conntrack -S early_drop".into(), *v));
        }
        found.push(f);
    }
    Ok(found)
}

/// R13: what fills the table: TIME_WAIT (churn; conntrack keeps it 120 s),
/// [UNREPLIED] (scans, floods, dead backends, asymmetric routing), or
/// ESTABLISHED under the 5-day default timeout.
fn composition(d: &Data<'_>, snaps: &DataFrame) -> anyhow::Result<Vec<Finding>> {
    let states = d.scan(
        &table::ct_states::SCHEMA,
        col("state").eq(lit("TIME_WAIT")).or(col("state").eq(lit("ESTABLISHED"))),
    )?;
    let mut by_snap: HashMap<(SnapKey, String), u64> = HashMap::new();
    for r in rows(&states) {
        by_snap.insert((r.key(), r.str("state")), r.u64("entries"));
    }
    let mut found = Vec::new();
    // (signal, value of a snapshot, threshold, severity)
    type Share<'x> = &'x dyn Fn(&RowOf<'_>) -> u64;
    let tw: Share = &|r| by_snap.get(&(r.key(), "TIME_WAIT".into())).copied().unwrap_or(0);
    let est: Share = &|r| by_snap.get(&(r.key(), "ESTABLISHED".into())).copied().unwrap_or(0);
    let unreplied: Share = &|r| r.u64("ct_unreplied");
    for (what, value, min, severity) in [
        ("TIME_WAIT", tw, 0.5, Severity::Info),
        ("[UNREPLIED]", unreplied, 0.3, Severity::Warn),
        ("ESTABLISHED", est, 0.7, Severity::Info),
    ] {
        let mut worst: HashMap<&str, (f64, usize)> = HashMap::new();
        for r in rows(snaps) {
            let t = r.u64("total");
            if t < R13_MIN {
                continue;
            }
            let x = value(&r) as f64 / t as f64;
            let h = d.host(r.u32("source_id"));
            if x >= min && worst.get(h).is_none_or(|w| x > w.0) {
                worst.insert(h, (x, r.i));
            }
        }
        let mut hosts: Vec<_> = worst.into_iter().collect();
        hosts.sort_by(|a, b| a.0.cmp(b.0));
        for (host, (x, i)) in hosts {
            let r = RowOf { df: snaps, i };
            let facts = d.facts(host);
            let mut sysctl = None;
            if what == "ESTABLISHED" {
                let Some((t, u)) = facts
                    .and_then(|f| f.knobs.used(facts::CT_EST_TIMEOUT, Some(facts::CT_ESTABLISHED_TIMEOUT)))
                else {
                    continue;
                };
                if t < facts::CT_ESTABLISHED_TIMEOUT {
                    continue;
                }
                sysctl = Some(u);
            }
            let mut f = Finding::new(
                host,
                "CONNTRACK_COMPOSITION",
                severity,
                format!("{} of {} conntrack entries are {what}", pct(x), n(r.u64("total"))),
            );
            f.subject = what.to_string();
            single(&mut f.evidence, d, r.key());
            f.evidence.numbers = vec![
                (format!("{what} entries"), n(value(&r))),
                ("entries".into(), n(r.u64("total"))),
                ("share".into(), pct(x)),
            ];
            if let Some(u) = sysctl {
                if u.assumed {
                    f.confidence = Confidence::AssumedDefault;
                }
                f.evidence.sysctls.push(u);
            }
            f.evidence.top = ct_top(d, r.key())?;
            found.push(f);
        }
    }
    Ok(found)
}

/// R14: entries per hash bucket (nf_conntrack_max ÷ nf_conntrack_buckets),
/// and insert failures.
fn hash(d: &Data<'_>) -> anyhow::Result<Vec<Finding>> {
    let mut found = Vec::new();
    for (host, facts) in &d.hosts {
        let max = facts.knobs.used(facts::CT_MAX, None);
        let buckets = facts.knobs.used(facts::CT_BUCKETS, None);
        let ratio = match (&max, &buckets) {
            (Some((m, _)), Some((b, _))) if *b > 0 => Some(*m as f64 / *b as f64),
            _ => None,
        };
        let failed: Vec<(String, u64)> = ["insert_failed", "chaintoolong"]
            .into_iter()
            .filter_map(|k| Some((format!("conntrack -S {k}"), *facts.ctstat.get(k).filter(|v| **v > 0)?)))
            .collect();
        let severity = if !failed.is_empty() || ratio.is_some_and(|x| x > 8.0) {
            Severity::Warn
        } else if ratio.is_some_and(|x| x > 4.0) {
            Severity::Info
        } else {
            continue;
        };
        let title = match ratio {
            Some(x) if x > 4.0 => format!(
                "{x:.0} conntrack entries per hash bucket at the limit (nf_conntrack_max ÷ nf_conntrack_buckets)"
            ),
            _ => format!(
                "conntrack insert failures: {}",
                failed
                    .iter()
                    .map(|(k, v)| format!("{} {}", k.trim_start_matches("conntrack -S "), n(*v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let mut f = Finding::new(host, "CONNTRACK_HASH", severity, title);
        f.evidence.scope = "configuration and counters".into();
        f.evidence.sysctls.extend(max.map(|x| x.1));
        f.evidence.sysctls.extend(buckets.map(|x| x.1));
        if !failed.is_empty() {
            f.confidence = Confidence::Confirmed;
        }
        f.evidence.counters = failed;
        found.push(f);
    }
    Ok(found)
}
