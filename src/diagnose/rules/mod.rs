//! The rules, one module per group (tcp-facts A3): ports and TIME_WAIT
//! (R1–R3), closing states (R4–R6, R10, R11), queues and handshakes (R7–R9,
//! R15, R16), conntrack (R12–R14), configuration (R17).

pub mod closing;
pub mod config;
pub mod conntrack;
pub mod correlate;
pub mod ports;
pub mod queues;

use std::collections::HashMap;
use std::hash::Hash;

use polars::prelude::*;

use super::data::{Data, RowOf, rows};
use super::{Evidence, TopRow};
use crate::model::Kind;

/// At most this many findings of one rule per host (the worst); the last
/// one says how many more there were.
pub const PER_HOST: usize = 5;

/// Socket captures only (not conntrack).
pub fn sockets() -> Expr {
    col("kind").neq(lit(Kind::Conntrack.name()))
}

/// Socket captures with rows (not `ss -s` counters).
pub fn socket_rows() -> Expr {
    sockets().and(col("from_counters").not())
}

/// Rows of `df` grouped by `key`: per key the row where `metric` is
/// largest (the first such) and how many rows the key has.
pub fn worst_by<K: Hash + Eq + Clone>(
    df: &DataFrame,
    key: impl Fn(&RowOf<'_>) -> K,
    metric: impl Fn(&RowOf<'_>) -> f64,
) -> Vec<(K, usize, usize)> {
    let mut best: HashMap<K, (usize, f64, usize)> = HashMap::new();
    let mut order = Vec::new();
    for r in rows(df) {
        let k = key(&r);
        let m = metric(&r);
        match best.get_mut(&k) {
            Some(b) => {
                b.2 += 1;
                if m > b.1 {
                    b.0 = r.i;
                    b.1 = m;
                }
            }
            None => {
                order.push(k.clone());
                best.insert(k, (r.i, m, 1));
            }
        }
    }
    order
        .into_iter()
        .map(|k| {
            let (i, _, n) = best[&k];
            (k, i, n)
        })
        .collect()
}

/// The rows of a ranking table at one snapshot, sorted by `by`, the top
/// `n` as evidence rows labelled by `label`.
pub fn top_at(
    d: &Data<'_>,
    table: &crate::table::Schema,
    snap: (u32, Kind, u32),
    by: &str,
    n: usize,
    label: impl Fn(&RowOf<'_>) -> (String, String),
) -> PolarsResult<Vec<TopRow>> {
    let (s, k, i) = snap;
    let mut out = Vec::new();
    for b in d.store().batches() {
        if !b.covers(s, i) {
            continue;
        }
        let df = b
            .frame(table)?
            .lazy()
            .filter(
                col("source_id")
                    .eq(lit(s))
                    .and(col("kind").eq(lit(k.name())))
                    .and(col("index").eq(lit(i)))
                    .and(col(by).gt(lit(0u64))),
            )
            .sort([by], SortMultipleOptions::default().with_order_descending(true).with_maintain_order(true))
            .limit(n as u32)
            .collect()?;
        for r in rows(&df) {
            let (l, note) = label(&r);
            out.push(TopRow { label: l, count: r.u64(by), note });
        }
    }
    Ok(out)
}

/// Keeps the worst [`PER_HOST`] findings of one rule per host (they come
/// worst first) and notes how many more there were on the last one kept.
pub fn cap_per_host(mut f: Vec<super::Finding>) -> Vec<super::Finding> {
    f.sort_by(|a, b| a.host.cmp(&b.host).then(b.severity.cmp(&a.severity)));
    let mut out: Vec<super::Finding> = Vec::new();
    let mut more: HashMap<String, usize> = HashMap::new();
    // Counted by subject: the same subject seen in several captures of a
    // host is one finding once the captures are merged (`merge_captures`).
    let subject = |f: &super::Finding| if f.subject.is_empty() { f.title.clone() } else { f.subject.clone() };
    for x in f {
        let mut subjects: Vec<String> = out.iter().filter(|o| o.host == x.host).map(subject).collect();
        subjects.sort_unstable();
        subjects.dedup();
        if subjects.contains(&subject(&x)) || subjects.len() < PER_HOST {
            out.push(x);
        } else {
            *more.entry(x.host.clone()).or_default() += 1;
        }
    }
    for (h, m) in more {
        if let Some(last) = out.iter_mut().rev().find(|o| o.host == h) {
            last.evidence.numbers.push(("more like this".into(), format!("{m} (not listed)")));
        }
    }
    out
}

/// "single snapshot" evidence scope.
pub fn single(e: &mut Evidence, d: &Data<'_>, snap: (u32, Kind, u32)) {
    e.at = Some(d.at(snap.0, snap.1, snap.2));
    e.scope = "single snapshot".into();
    e.capture_snapshots = d.counts(snap.0, snap.1).0;
}
