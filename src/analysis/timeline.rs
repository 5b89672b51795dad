//! Time series: each state's count per snapshot, its peak, and how fast it
//! changed. Uses real times where the capture has them, snapshot indices
//! otherwise. The numbers are exact over every snapshot; the drawn points
//! are bounded (see [`super::series`]).

use chrono::{DateTime, FixedOffset};

use super::SourceView;

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
    /// Snapshots per point: 1, or more for a capture too long to draw
    /// every snapshot (each point then holds the largest count of its
    /// snapshots).
    pub stride: usize,
}

pub fn timeline(v: &SourceView<'_>) -> Timeline {
    let sr = &v.series;
    let timed = sr.all_timed && sr.count > 0;
    let indices: Vec<u32> = sr.points.iter().map(|p| p.index).collect();
    let times: Option<Vec<DateTime<FixedOffset>>> =
        if timed { sr.points.iter().map(|p| p.time).collect() } else { None };
    let totals: Vec<u64> = sr.points.iter().map(|p| p.total).collect();
    // States non-zero somewhere, in lifecycle (or conntrack code) order.
    let slots: Vec<usize> = (0..sr.names.len()).filter(|i| sr.courses[*i].peak > 0).collect();
    let series = slots.iter().map(|&i| (sr.names[i], sr.column(i))).collect();
    let trend_secs = match (sr.first_time, sr.last_time) {
        (Some(a), Some(b)) if timed => Some((b - a).num_milliseconds() as f64 / 1000.0),
        _ => None,
    };
    let courses = slots
        .iter()
        .map(|&i| {
            let c = &sr.courses[i];
            StateCourse {
                state: sr.names[i],
                first: c.first,
                last: c.last,
                peak: c.peak,
                peak_index: c.peak_index,
                peak_time: c.peak_time,
                max_rise: if timed { c.max_rise_per_minute } else { c.max_rise_per_snapshot },
                trend_per_min: trend_secs
                    .filter(|s| *s > 0.0)
                    .map(|secs| (c.last as f64 - c.first as f64) * 60.0 / secs),
                monotonic_rise: sr.count >= 3 && c.always_rose,
            }
        })
        .collect();
    Timeline {
        indices,
        rate_unit: if timed { "per minute" } else { "per snapshot" },
        times,
        totals,
        series,
        courses,
        stride: sr.stride,
    }
}
