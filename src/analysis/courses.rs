//! State courses over every snapshot: a polars query over the
//! `snapshots` table (and `ct_states`, pivoted, for conntrack).
//!
//! Per capture and state: the first and last count, the peak and the
//! first snapshot (index and time) at it, the largest rise between
//! consecutive snapshots (per snapshot, and per minute where both have a
//! time and the clock moved forward), and whether every step rose.

use std::collections::BTreeMap;

use polars::prelude::*;
use polars::series::ops::NullBehavior;

use super::series::Course;
use crate::model::{CtState, Kind};
use crate::table::store::Store;

/// The state slots of a capture of `kind`, in the order the series and
/// the report list them.
pub fn slots(kind: Kind) -> Vec<&'static str> {
    if kind == Kind::Conntrack {
        (0..CtState::COUNT as u8).map(|c| CtState::from_code(c).name()).collect()
    } else {
        super::states::LIFECYCLE.iter().map(|s| s.name()).collect()
    }
}

/// The aggregations of one state column `s`, named `s|what`.
fn course_exprs(s: &str) -> Vec<Expr> {
    let y = || col(s).cast(DataType::Float64);
    let d = || y().diff(lit(1), NullBehavior::Ignore);
    let secs = || {
        col("time").cast(DataType::Int64).cast(DataType::Float64).diff(lit(1), NullBehavior::Ignore)
            / lit(1e6)
    };
    let at_peak = || col(s).eq(col(s).max());
    let name = |what: &str| format!("{s}|{what}");
    let nonneg = |e: Expr| when(e.clone().gt(lit(0.0))).then(e).otherwise(lit(0.0));
    vec![
        col(s).first().cast(DataType::UInt64).alias(name("first")),
        col(s).last().cast(DataType::UInt64).alias(name("last")),
        col(s).max().cast(DataType::UInt64).alias(name("peak")),
        col("index").filter(at_peak()).first().alias(name("peak_index")),
        col("time").filter(at_peak()).first().alias(name("peak_time")),
        col("utc_offset").filter(at_peak()).first().alias(name("peak_offset")),
        nonneg(d().max().fill_null(lit(0.0))).alias(name("rise")),
        nonneg((d() * lit(60.0) / secs()).filter(secs().gt(lit(0.0))).max().fill_null(lit(0.0)))
            .alias(name("rise_min")),
        d().gt(lit(0.0)).all(true).alias(name("rose")),
    ]
}

/// Courses per (source id, kind), one per state slot ([`slots`]).
pub fn courses(store: &Store) -> anyhow::Result<BTreeMap<(u32, Kind), Vec<Course>>> {
    let socket_slots = slots(Kind::Ss);
    let mut cols: Vec<&str> = vec!["source_id", "kind", "index", "time", "utc_offset"];
    cols.extend(&socket_slots);
    let snaps = store.table_columns(&crate::table::snapshots::SCHEMA, None, Some(&cols))?;
    let mut out = BTreeMap::new();

    // Sockets: the state columns as they are.
    let sockets = snaps.clone().lazy().filter(col("kind").neq(lit(Kind::Conntrack.name())));
    collect_into(sockets, &socket_slots, &mut out)?;

    // Conntrack: its own states, pivoted from `ct_states` (one column per
    // state; a state a snapshot lacks is 0 in it).
    let ct_slots = slots(Kind::Conntrack);
    let ct = store.table(&crate::table::ct_states::SCHEMA, None)?;
    let keys = [col("source_id"), col("kind"), col("index")];
    let wide = ct.lazy().group_by(keys.clone()).agg(
        ct_slots
            .iter()
            .map(|s| col("entries").filter(col("state").eq(lit(*s))).sum().alias(*s))
            .collect::<Vec<_>>(),
    );
    let conntrack = snaps
        .lazy()
        .filter(col("kind").eq(lit(Kind::Conntrack.name())))
        .select([col("source_id"), col("kind"), col("index"), col("time"), col("utc_offset")])
        .join(wide, keys.clone(), keys, JoinArgs::new(JoinType::Left))
        .with_columns(ct_slots.iter().map(|s| col(*s).fill_null(lit(0u64))).collect::<Vec<_>>());
    collect_into(conntrack, &ct_slots, &mut out)?;
    Ok(out)
}

/// Runs the course aggregations over `lf` (snapshots with the `slots`
/// columns) grouped by capture, and reads the results.
fn collect_into(
    lf: LazyFrame,
    slots: &[&'static str],
    out: &mut BTreeMap<(u32, Kind), Vec<Course>>,
) -> anyhow::Result<()> {
    let aggs: Vec<Expr> = slots.iter().flat_map(|s| course_exprs(s)).collect();
    let df = lf
        .sort(["source_id", "kind", "index"], Default::default())
        .group_by_stable([col("source_id"), col("kind")])
        .agg(aggs)
        .collect()?;
    let ids = df.column("source_id")?.u32()?;
    let kinds = df.column("kind")?.str()?;
    for i in 0..df.height() {
        let (Some(id), Some(kind)) = (ids.get(i), kinds.get(i)) else { continue };
        let kind = Kind::ALL.into_iter().find(|k| k.name() == kind).unwrap_or_default();
        let mut v = Vec::with_capacity(slots.len());
        for s in slots {
            let c = |what: &str| df.column(&format!("{s}|{what}"));
            let peak_time = c("peak_time")?.datetime()?.phys.get(i);
            let offset = c("peak_offset")?.i32()?.get(i).and_then(chrono::FixedOffset::east_opt);
            v.push(Course {
                first: c("first")?.u64()?.get(i).unwrap_or(0),
                last: c("last")?.u64()?.get(i).unwrap_or(0),
                peak: c("peak")?.u64()?.get(i).unwrap_or(0),
                peak_index: c("peak_index")?.u32()?.get(i).unwrap_or(0) as usize,
                // In the offset the capture wrote it with.
                peak_time: peak_time
                    .and_then(chrono::DateTime::from_timestamp_micros)
                    .map(|t| offset.map_or_else(|| t.fixed_offset(), |o| t.with_timezone(&o))),
                max_rise_per_snapshot: c("rise")?.f64()?.get(i).unwrap_or(0.0),
                max_rise_per_minute: c("rise_min")?.f64()?.get(i).unwrap_or(0.0),
                always_rose: c("rose")?.bool()?.get(i).unwrap_or(true),
            });
        }
        out.insert((id, kind), v);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{IngestConfig, discover, ingest};

    /// The polars courses equal a plain walk over every snapshot, on every
    /// sample capture and on a loop whose clock stalls and goes back.
    #[test]
    fn polars_courses_match_a_walk_over_the_snapshots() {
        let dir = tempfile::tempdir().unwrap();
        let odd = dir.path().join("odd.log");
        let mut text = String::new();
        // Times: forward, same second, backwards, forward again; a gap.
        for (i, (t, n)) in [(0, 3), (5, 7), (5, 9), (2, 4), (9, 12), (9, 12), (20, 1)].iter().enumerate() {
            text.push_str(&format!("2024-03-05T10:00:{t:02}+01:00\n"));
            text.push_str("State  Recv-Q Send-Q Local Address:Port Peer Address:Port\n");
            for j in 0..*n {
                let st = if (i + j) % 2 == 0 { "TIME-WAIT" } else { "ESTAB" };
                text.push_str(&format!("{st} 0 0 10.0.0.1:{} 10.0.9.{j}:443\n", 40000 + j));
            }
        }
        std::fs::write(&odd, text).unwrap();
        let samples = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/samples"));
        let (inputs, _) = discover(&[samples, odd]);
        let cfg = IngestConfig::default();
        let run = ingest(&inputs, &cfg);
        let got = courses(&run.store).unwrap();

        // The reference: walk every snapshot in order.
        // Per capture: the courses so far, the previous time, snapshots seen.
        type Walk = (Vec<Course>, Option<chrono::DateTime<chrono::FixedOffset>>, usize);
        let mut want: BTreeMap<(u32, Kind), Walk> = BTreeMap::new();
        crate::table::read::for_each_snapshot(&run.store, |s, k| {
            let names = slots(k.kind);
            let ys: Vec<u64> = names
                .iter()
                .map(|n| {
                    if k.kind == Kind::Conntrack {
                        CtState::from_word(n.as_bytes()).map_or(0, |c| k.ct_states[c as usize])
                    } else {
                        crate::model::TcpState::ALL
                            .iter()
                            .find(|t| t.name() == *n)
                            .map_or(0, |t| k.states[*t as usize])
                    }
                })
                .collect();
            let e = want.entry((s.source as u32, k.kind)).or_insert_with(|| (Vec::new(), None, 0));
            let secs = match (e.1, s.time) {
                (Some(a), Some(b)) => Some((b - a).num_milliseconds() as f64 / 1000.0),
                _ => None,
            };
            if e.2 == 0 {
                e.0 = ys
                    .iter()
                    .map(|&y| Course {
                        first: y,
                        last: y,
                        peak: y,
                        peak_index: s.index,
                        peak_time: s.time,
                        always_rose: true,
                        ..Course::default()
                    })
                    .collect();
            } else {
                for (c, &y) in e.0.iter_mut().zip(&ys) {
                    let d = y as f64 - c.last as f64;
                    c.max_rise_per_snapshot = c.max_rise_per_snapshot.max(d);
                    if let Some(secs) = secs.filter(|x| *x > 0.0) {
                        c.max_rise_per_minute = c.max_rise_per_minute.max(d * 60.0 / secs);
                    }
                    c.always_rose &= y > c.last;
                    if y > c.peak {
                        c.peak = y;
                        c.peak_index = s.index;
                        c.peak_time = s.time;
                    }
                    c.last = y;
                }
            }
            e.1 = s.time;
            e.2 += 1;
            Ok(())
        })
        .unwrap();
        assert!(want.len() > 20, "{}", want.len());
        assert_eq!(got.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>());
        for (k, (w, _, _)) in &want {
            let g = &got[k];
            for (i, (a, b)) in g.iter().zip(w).enumerate() {
                let close = |x: f64, y: f64| (x - y).abs() < 1e-9 * x.abs().max(1.0);
                assert!(
                    a.first == b.first
                        && a.last == b.last
                        && a.peak == b.peak
                        && a.peak_index == b.peak_index
                        && a.peak_time == b.peak_time
                        && a.peak_time.map(|t| t.offset().local_minus_utc())
                            == b.peak_time.map(|t| t.offset().local_minus_utc())
                        && close(a.max_rise_per_snapshot, b.max_rise_per_snapshot)
                        && close(a.max_rise_per_minute, b.max_rise_per_minute)
                        && a.always_rose == b.always_rose,
                    "{k:?} slot {i} ({}): polars {a:?}, walk {b:?}",
                    slots(k.1)[i]
                );
            }
        }
    }
}
