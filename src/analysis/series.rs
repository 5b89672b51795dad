//! The state counts of one source and tool over its capture, read once
//! from the tables and kept within a fixed size.
//!
//! A chart cannot show more points than it has pixels, and a capture loop
//! can have a million snapshots (or a fleet a thousand loops), so the
//! points are bounded: past a limit — [`MAX_POINTS`], less when the run has
//! many captures, see [`points_per_series`] — neighbouring points are
//! merged in pairs (each keeps the first snapshot's index and time and the
//! *largest* count of each state, so a spike is never smoothed away). The
//! courses — first, last, peak, largest rise, trend — are computed exactly
//! on every snapshot as it passes, not from the merged points.

use chrono::{DateTime, FixedOffset};

use super::states::LIFECYCLE;
use crate::model::{CtState, Kind};
use crate::snapshot::{KindSummary, SnapshotSummary};

/// Points kept per series at most; beyond it, neighbours are merged in
/// pairs. About the width of a chart in pixels.
pub const MAX_POINTS: usize = 1024;

/// Points kept over all series of a run (~80 bytes each for sockets).
pub const RUN_POINTS: usize = 1 << 19;

/// The limit for each of `series` series: [`MAX_POINTS`], or an equal
/// share of [`RUN_POINTS`] when the run has many captures (at least 64, an
/// even number so that points merge in pairs).
pub fn points_per_series(series: usize) -> usize {
    (RUN_POINTS / series.max(1)).clamp(64, MAX_POINTS) & !1
}

/// One point: a snapshot, or `stride` consecutive snapshots merged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Snapshot index (of the first snapshot merged into the point).
    pub index: u32,
    pub time: Option<DateTime<FixedOffset>>,
    /// Largest total among the merged snapshots.
    pub total: u64,
}

/// One state's course over every snapshot (exact).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Course {
    pub first: u64,
    pub last: u64,
    pub peak: u64,
    /// Index and time of the first snapshot at the peak.
    pub peak_index: usize,
    pub peak_time: Option<DateTime<FixedOffset>>,
    /// Largest rise between consecutive snapshots, per snapshot.
    pub max_rise_per_snapshot: f64,
    /// Largest rise per minute between consecutive snapshots that both
    /// have a time and whose clock moved forward.
    pub max_rise_per_minute: f64,
    /// Every step rose.
    pub always_rose: bool,
}

/// The series of one source and tool.
#[derive(Debug, Clone)]
pub struct Series {
    /// State names, one per slot.
    pub names: &'static [&'static str],
    pub points: Vec<Point>,
    /// `points.len() × names.len()` counts, row-major (a state's count in
    /// one snapshot fits 32 bits; saturating if not).
    values: Vec<u32>,
    /// Points kept before neighbours are merged.
    limit: usize,
    /// Snapshots per point (a power of two).
    pub stride: usize,
    /// The point being filled, its per-state maxima (`pending_values`)
    /// and how many snapshots it holds.
    pending: Option<(Point, usize)>,
    pending_values: Vec<u64>,
    /// One per slot: computed over every snapshot by the courses pass
    /// (`courses.rs`, a polars query), not from the merged points.
    pub courses: Vec<Course>,
    /// Snapshots seen.
    pub count: usize,
    /// Every snapshot had a time.
    pub all_timed: bool,
    pub first_time: Option<DateTime<FixedOffset>>,
    pub last_time: Option<DateTime<FixedOffset>>,
    scratch: Vec<u64>,
}

const SOCKET_NAMES: [&str; LIFECYCLE.len()] = {
    let mut n = [""; LIFECYCLE.len()];
    let mut i = 0;
    while i < n.len() {
        n[i] = LIFECYCLE[i].name();
        i += 1;
    }
    n
};

const CT_NAMES: [&str; CtState::COUNT] = {
    let mut n = [""; CtState::COUNT];
    let mut i = 0;
    while i < n.len() {
        n[i] = CtState::from_code(i as u8).name();
        i += 1;
    }
    n
};

/// The counts of a snapshot in the slots of its kind.
fn slot_values(k: &KindSummary, out: &mut Vec<u64>) {
    out.clear();
    if k.kind == Kind::Conntrack {
        out.extend_from_slice(&k.ct_states);
    } else {
        out.extend(LIFECYCLE.iter().map(|s| k.states[*s as usize]));
    }
}

impl Series {
    /// A series that keeps at most `limit` points (even, ≥ 2).
    pub fn new(kind: Kind, limit: usize) -> Series {
        let names: &'static [&'static str] = if kind == Kind::Conntrack { &CT_NAMES } else { &SOCKET_NAMES };
        Series {
            names,
            points: Vec::new(),
            values: Vec::new(),
            limit: limit.max(2) & !1,
            stride: 1,
            pending: None,
            pending_values: Vec::new(),
            courses: Vec::new(),
            count: 0,
            all_timed: true,
            first_time: None,
            last_time: None,
            scratch: Vec::new(),
        }
    }

    /// Takes the next snapshot of the source and tool.
    pub fn push(&mut self, s: &SnapshotSummary, k: &KindSummary) {
        let mut ys = std::mem::take(&mut self.scratch);
        slot_values(k, &mut ys);
        self.count += 1;
        self.all_timed &= s.time.is_some();
        if let Some(t) = s.time {
            self.first_time.get_or_insert(t);
            self.last_time = Some(t);
        }

        let point = Point { index: s.index as u32, time: s.time, total: k.total };
        match &mut self.pending {
            Some((p, n)) => {
                p.total = p.total.max(point.total);
                for (a, b) in self.pending_values.iter_mut().zip(&ys) {
                    *a = (*a).max(*b);
                }
                *n += 1;
            }
            None => {
                self.pending = Some((point, 1));
                self.pending_values.clone_from(&ys);
            }
        }
        self.scratch = ys;
        if self.pending.as_ref().is_some_and(|(_, n)| *n == self.stride) {
            self.flush();
        }
    }

    fn flush(&mut self) {
        let Some((p, _)) = self.pending.take() else { return };
        self.points.push(p);
        self.values.extend(self.pending_values.iter().map(|x| u32::try_from(*x).unwrap_or(u32::MAX)));
        if self.points.len() == self.limit {
            self.halve();
        }
    }

    /// Merges neighbouring points in pairs.
    fn halve(&mut self) {
        let w = self.names.len();
        let n = self.points.len() / 2;
        for i in 0..n {
            let (a, b) = (self.points[2 * i], self.points[2 * i + 1]);
            self.points[i] = Point { total: a.total.max(b.total), ..a };
            for j in 0..w {
                self.values[i * w + j] = self.values[2 * i * w + j].max(self.values[(2 * i + 1) * w + j]);
            }
        }
        self.points.truncate(n);
        self.values.truncate(n * w);
        self.stride *= 2;
    }

    /// Ends the series (a last, partly filled point is kept).
    pub fn finish(&mut self) {
        self.flush();
    }

    /// The counts of slot `slot` at every point.
    pub fn column(&self, slot: usize) -> Vec<u64> {
        let w = self.names.len();
        (0..self.points.len()).map(|i| self.values[i * w + slot] as u64).collect()
    }

    /// The slot of a state name.
    pub fn slot(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| *n == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TcpState;

    fn snap(index: usize, secs: Option<i64>, tw: u64) -> (SnapshotSummary, KindSummary) {
        let mut states = [0u64; TcpState::COUNT];
        states[TcpState::TimeWait as usize] = tw;
        states[TcpState::Established as usize] = 5;
        let mut k = KindSummary::empty(Kind::Ss);
        k.total = tw + 5;
        k.states = states;
        let s = SnapshotSummary {
            source: 0,
            index,
            time: secs.map(|x| DateTime::from_timestamp(x, 0).unwrap().fixed_offset()),
            time_resolution: None,
            first_line: 1,
            kinds: Vec::new(),
            sockstat: None,
        };
        (s, k)
    }

    #[test]
    fn merged_points_keep_spikes() {
        let mut series = Series::new(Kind::Ss, 2048);
        let n = 2048 * 4 + 3;
        let spike = 5000;
        for i in 0..n {
            let tw = if i == spike { 1_000_000 } else { (i % 7) as u64 };
            let (s, k) = snap(i, Some(1_000 + 5 * i as i64), tw);
            series.push(&s, &k);
        }
        series.finish();
        // Halved at 2,048, 4,096 and 8,192 snapshots.
        assert_eq!(series.stride, 8);
        assert_eq!(series.points.len(), n.div_ceil(8));
        assert_eq!(series.count, n);
        let tw = series.slot("TIME_WAIT").unwrap();
        let col = series.column(tw);
        assert_eq!(col.iter().copied().max(), Some(1_000_000));
        assert_eq!(col.iter().filter(|v| **v == 1_000_000).count(), 1);
        assert_eq!(series.points[spike / 8].index as usize, spike / 8 * 8);
        assert!(series.all_timed);
    }

    #[test]
    fn many_captures_share_the_run_budget() {
        assert_eq!(points_per_series(1), MAX_POINTS);
        assert_eq!(points_per_series(0), MAX_POINTS);
        assert_eq!(points_per_series(1000), 524);
        assert_eq!(points_per_series(100_000), 64);
    }

    #[test]
    fn a_short_series_is_kept_as_is() {
        let mut series = Series::new(Kind::Ss, MAX_POINTS);
        for (i, tw) in [3u64, 4, 9].into_iter().enumerate() {
            let (s, k) = snap(i, if i == 1 { None } else { Some(i as i64) }, tw);
            series.push(&s, &k);
        }
        series.finish();
        assert_eq!(series.points.len(), 3);
        assert_eq!(series.column(series.slot("TIME_WAIT").unwrap()), vec![3, 4, 9]);
        assert!(!series.all_timed);
    }
}
