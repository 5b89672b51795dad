//! Fleet views: one row per host. Host × state uses each host's main
//! socket capture (the one with the most snapshots, then the most rows) at
//! its last snapshot; host × time follows one state over every host's
//! timeline.

use super::{Analysis, SourceView};

/// Host × state counts.
#[derive(Debug, Clone, Default)]
pub struct HostStates {
    pub hosts: Vec<String>,
    pub states: Vec<&'static str>,
    pub values: Vec<Vec<u64>>,
}

/// The main socket capture of each host.
pub fn main_views<'a, 'b>(a: &'b Analysis<'a>) -> Vec<&'b SourceView<'a>> {
    let mut out: Vec<&SourceView> = Vec::new();
    for h in a.hosts() {
        out.extend(Analysis::main_capture(a.views.iter().filter(|v| v.host == h), false));
    }
    out
}

pub fn host_states(a: &Analysis<'_>) -> anyhow::Result<HostStates> {
    use polars::prelude::*;
    // Each host's main capture at its last snapshot: a join of those keys
    // with the `snapshots` table, in host order.
    let views = main_views(a);
    let names: Vec<&'static str> = super::states::LIFECYCLE.iter().map(|s| s.name()).collect();
    let keys = DataFrame::new_infer_height(vec![
        Column::new("row".into(), (0..views.len() as u32).collect::<Vec<_>>()),
        Column::new("host".into(), views.iter().map(|v| v.host).collect::<Vec<_>>()),
        Column::new("source_id".into(), views.iter().map(|v| v.source as u32).collect::<Vec<_>>()),
        Column::new("kind".into(), views.iter().map(|v| v.kind.name()).collect::<Vec<_>>()),
        Column::new("index".into(), views.iter().map(|v| v.last().0.index as u32).collect::<Vec<_>>()),
    ])?;
    let mut cols = vec!["source_id", "kind", "index"];
    cols.extend(&names);
    let snaps = a.run.store.table_columns(&crate::table::snapshots::SCHEMA, None, Some(&cols))?;
    let on = [col("source_id"), col("kind"), col("index")];
    let m = keys
        .lazy()
        .join(snaps.lazy(), on.clone(), on, JoinArgs::new(JoinType::Left))
        .sort(["row"], Default::default())
        .with_columns(names.iter().map(|n| col(*n).fill_null(lit(0u64))).collect::<Vec<_>>())
        .collect()?;
    // The states any host has, in lifecycle order.
    let mut states = Vec::new();
    for n in &names {
        if m.column(n)?.u64()?.sum().unwrap_or(0) > 0 {
            states.push(*n);
        }
    }
    let mut values = vec![Vec::with_capacity(states.len()); m.height()];
    for s in &states {
        let c = m.column(s)?.u64()?;
        for (row, v) in values.iter_mut().zip(c.iter()) {
            row.push(v.unwrap_or(0));
        }
    }
    let hosts = m.column("host")?.str()?.iter().map(|h| h.unwrap_or_default().to_string()).collect();
    Ok(HostStates { hosts, values, states })
}

/// The busiest remote address of each host's main capture at its last
/// snapshot (the `peers` table's rank 1): host → (address, direction,
/// sockets).
pub fn top_peers(
    a: &Analysis<'_>,
) -> anyhow::Result<std::collections::BTreeMap<String, (String, String, u64)>> {
    use polars::prelude::*;
    let views = main_views(a);
    let keys = DataFrame::new_infer_height(vec![
        Column::new("host".into(), views.iter().map(|v| v.host).collect::<Vec<_>>()),
        Column::new("source_id".into(), views.iter().map(|v| v.source as u32).collect::<Vec<_>>()),
        Column::new("kind".into(), views.iter().map(|v| v.kind.name()).collect::<Vec<_>>()),
        Column::new("index".into(), views.iter().map(|v| v.last().0.index as u32).collect::<Vec<_>>()),
    ])?;
    let cols = ["source_id", "kind", "index", "rank", "remote_addr", "direction", "count"];
    // Rank 1 only, batch by batch: a long loop's whole peers table is
    // never in memory at once.
    let mut firsts = Vec::new();
    for b in a.run.store.batches() {
        let df = b.columns(&crate::table::peers::SCHEMA, Some(&cols))?;
        firsts.push(df.lazy().filter(col("rank").eq(lit(1u32))).collect()?);
    }
    let peers = match firsts.len() {
        0 => return Ok(Default::default()),
        _ => concat(firsts.into_iter().map(|d| d.lazy()).collect::<Vec<_>>(), UnionArgs::default())?,
    };
    let on = [col("source_id"), col("kind"), col("index")];
    let m = keys.lazy().join(peers, on.clone(), on, JoinArgs::new(JoinType::Inner)).collect()?;
    let (h, addr, dir, n) = (
        m.column("host")?.str()?,
        m.column("remote_addr")?.str()?,
        m.column("direction")?.str()?,
        m.column("count")?.u64()?,
    );
    let mut out = std::collections::BTreeMap::new();
    for i in 0..m.height() {
        if let (Some(h), Some(addr), Some(dir), Some(n)) = (h.get(i), addr.get(i), dir.get(i), n.get(i)) {
            out.insert(h.to_string(), (addr.to_string(), dir.to_string(), n));
        }
    }
    Ok(out)
}

/// The state worth following across the fleet: the non-ESTABLISHED,
/// non-LISTEN state with the highest count anywhere (CLOSE_WAIT on ties,
/// because a leak is what fleet views are usually opened for).
pub fn state_to_follow(a: &Analysis<'_>) -> Option<&'static str> {
    let mut best: Option<(&'static str, u64)> = None;
    for v in main_views(a) {
        // Each state's peak over the whole capture, the earliest first (on
        // equal counts the state that got there first wins, then
        // lifecycle order).
        let sr = &v.series;
        let mut peaks: Vec<(usize, &'static str, u64)> =
            sr.names.iter().zip(&sr.courses).map(|(n, c)| (c.peak_index, *n, c.peak)).collect();
        peaks.sort_by_key(|p| p.0);
        for (_, n, c) in peaks {
            if matches!(n, "ESTABLISHED" | "LISTEN") || c == 0 {
                continue;
            }
            let better = match best {
                None => true,
                Some((bn, bc)) => c > bc || (c == bc && n == "CLOSE_WAIT" && bn != "CLOSE_WAIT"),
            };
            if better {
                best = Some((n, c));
            }
        }
    }
    best.map(|b| b.0)
}

/// Host × time-bucket values of one state: each host's timeline resampled
/// into the same equal slices of its own snapshots (max per slice), so
/// hosts with different capture lengths line up. (A very long capture's
/// points already hold the max of a few snapshots each; slices are equal
/// to within one point.) There are `buckets` slices, or as many as the
/// longest capture has snapshots; a shorter capture's snapshots span
/// several slices each — a single snapshot is the whole row — rather than
/// leaving slices that would read as zero.
pub fn host_time(a: &Analysis<'_>, state: &str, buckets: usize) -> (Vec<String>, Vec<Vec<u64>>) {
    let mut hosts = Vec::new();
    let mut columns = Vec::new();
    for v in main_views(a) {
        let ys: Vec<u64> = match v.series.slot(state) {
            Some(i) => v.series.column(i),
            None => vec![0; v.series.points.len()],
        };
        hosts.push(v.host.to_string());
        columns.push(ys);
    }
    let longest = columns.iter().map(Vec::len).max().unwrap_or(0);
    let b = buckets.min(longest).max(1);
    let rows = columns
        .into_iter()
        .map(|ys| {
            let n = ys.len();
            (0..b)
                .map(|i| {
                    let (lo, hi) = (i * n / b, ((i + 1) * n / b).max(i * n / b + 1));
                    ys.get(lo..hi.min(n)).and_then(|s| s.iter().copied().max()).unwrap_or(0)
                })
                .collect()
        })
        .collect();
    (hosts, rows)
}

#[cfg(test)]
mod tests {
    use crate::analysis::Analysis;
    use crate::ingest::{IngestConfig, discover, ingest};

    /// A host captured once spans the whole row of the fleet's time
    /// heatmap: its slices are its one snapshot, not zeros.
    #[test]
    fn a_short_capture_spans_the_slices_of_the_longest() {
        let dir = tempfile::tempdir().unwrap();
        let head = "State  Recv-Q Send-Q Local Address:Port Peer Address:Port\n";
        let tw = |n: usize| {
            (0..n).map(|j| format!("TIME-WAIT 0 0 10.0.0.1:{} 10.9.0.1:80\n", 40000 + j)).collect::<String>()
        };
        let mut lp = String::new();
        for (i, n) in [1, 2, 3, 4].iter().enumerate() {
            lp.push_str(&format!("Tue Mar  5 10:00:{i:02} UTC 2024\n{head}{}", tw(*n)));
        }
        std::fs::write(dir.path().join("loop-1.log"), lp).unwrap();
        std::fs::write(dir.path().join("once-1.txt"), format!("{head}{}", tw(7))).unwrap();
        let (inputs, _) = discover(&[dir.path().to_path_buf()]);
        let run = ingest(&inputs, &IngestConfig { detail: true, keep: 50, ..IngestConfig::default() });
        let a = Analysis::build(&run, 10).unwrap();
        let (hosts, rows) = super::host_time(&a, "TIME_WAIT", 6);
        let row = |h: &str| rows[hosts.iter().position(|x| x == h).unwrap()].clone();
        // Four snapshots: four slices, not six.
        assert_eq!(row("loop-1"), [1, 2, 3, 4]);
        assert_eq!(row("once-1"), [7, 7, 7, 7]);
    }
}
