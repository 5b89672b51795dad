//! Time series: each state's count per snapshot, its peak, and how fast it
//! changed. Uses real times where the capture has them, snapshot indices
//! otherwise.

use chrono::{DateTime, FixedOffset};

use super::SourceView;
use super::states::distribution;

/// A state's course over a capture.
#[derive(Debug, Clone, PartialEq)]
pub struct StateCourse {
    pub state: &'static str,
    pub first: u64,
    pub last: u64,
    pub peak: u64,
    /// Snapshot index and time of the (first) peak.
    pub peak_index: usize,
    pub peak_time: Option<DateTime<FixedOffset>>,
    /// Largest rise between two consecutive snapshots, per minute when
    /// both have times, else per snapshot.
    pub max_rise: f64,
    /// Average change per minute from first to last (times only).
    pub trend_per_min: Option<f64>,
    /// Rose in every step (for trend rules: ≥ 3 samples).
    pub monotonic_rise: bool,
}

/// The series of one source.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    pub indices: Vec<u32>,
    /// `Some` for every point when all snapshots have a time.
    pub times: Option<Vec<DateTime<FixedOffset>>>,
    pub totals: Vec<u64>,
    /// States that are non-zero somewhere, with one count per point.
    pub series: Vec<(&'static str, Vec<u64>)>,
    pub courses: Vec<StateCourse>,
    /// "per minute" or "per snapshot".
    pub rate_unit: &'static str,
}

pub fn timeline(v: &SourceView<'_>) -> Timeline {
    let indices: Vec<u32> = v.snaps.iter().map(|(s, _)| s.index as u32).collect();
    let times: Option<Vec<DateTime<FixedOffset>>> = v.snaps.iter().map(|(s, _)| s.time).collect();
    let totals: Vec<u64> = v.snaps.iter().map(|(_, k)| k.total).collect();
    let dists: Vec<Vec<(&'static str, u64)>> = v.snaps.iter().map(|(_, k)| distribution(k)).collect();
    let mut names: Vec<&'static str> = Vec::new();
    for d in &dists {
        for (n, c) in d {
            if *c > 0 && !names.contains(n) {
                names.push(n);
            }
        }
    }
    // Keep lifecycle order (the order of the first distribution).
    let order: Vec<&'static str> = dists.first().map(|d| d.iter().map(|x| x.0).collect()).unwrap_or_default();
    names.sort_by_key(|n| order.iter().position(|o| o == n).unwrap_or(usize::MAX));
    let series: Vec<(&'static str, Vec<u64>)> = names
        .iter()
        .map(|n| (*n, dists.iter().map(|d| d.iter().find(|x| x.0 == *n).map_or(0, |x| x.1)).collect()))
        .collect();
    let courses = series
        .iter()
        .map(|(name, ys)| {
            let (peak_index, peak) = ys
                .iter()
                .enumerate()
                .fold((0, 0), |(bi, bv), (i, &y)| if y > bv { (i, y) } else { (bi, bv) });
            let mut max_rise = 0f64;
            for i in 1..ys.len() {
                let d = ys[i] as f64 - ys[i - 1] as f64;
                let per = match &times {
                    Some(t) => {
                        let secs = (t[i] - t[i - 1]).num_milliseconds() as f64 / 1000.0;
                        // Steps whose clock stood still or went back have no
                        // rate per minute.
                        if secs <= 0.0 {
                            continue;
                        }
                        d * 60.0 / secs
                    }
                    None => d,
                };
                max_rise = max_rise.max(per);
            }
            let trend_per_min = times.as_ref().and_then(|t| {
                let secs = (t[t.len() - 1] - t[0]).num_milliseconds() as f64 / 1000.0;
                (secs > 0.0).then(|| (ys[ys.len() - 1] as f64 - ys[0] as f64) * 60.0 / secs)
            });
            StateCourse {
                state: name,
                first: ys[0],
                last: ys[ys.len() - 1],
                peak,
                peak_index: v.snaps[peak_index].0.index,
                peak_time: v.snaps[peak_index].0.time,
                max_rise,
                trend_per_min,
                monotonic_rise: ys.len() >= 3 && ys.windows(2).all(|w| w[1] > w[0]),
            }
        })
        .collect();
    Timeline {
        indices,
        rate_unit: if times.is_some() { "per minute" } else { "per snapshot" },
        times,
        totals,
        series,
        courses,
    }
}
