//! How unusual each host is against its fleet.
//!
//! Fleets are mostly alike: the host worth opening first is the one whose
//! counts stand out from the others', not the biggest one. Each host's
//! count of every state (and its total) at the last snapshot of its main
//! capture is compared with the fleet's median on a log scale (socket
//! counts span orders of magnitude, and 0 → 400 matters as much as
//! 400 → 160,000), using the modified z-score of Iglewicz and Hoaglin:
//! `0.6745 · (x − median) / MAD`. The spread has a floor, so a fleet in
//! which every host has the same count does not make a single socket
//! "unusual". A host scores its largest deviation; a score of
//! [`UNUSUAL`] or more is called unusual (their suggested cut-off).

use super::fleet::HostStates;

/// Score from which a host is called unusual.
pub const UNUSUAL: f64 = 3.5;

/// Fewest hosts for a median to mean anything.
pub const MIN_HOSTS: usize = 3;

/// Smallest spread (median absolute deviation of `ln(1 + count)`) used:
/// about a factor of 2.1 in `1 + count` then scores 1.
const MIN_MAD: f64 = 0.5;

/// Why a host stands out: its largest deviation.
#[derive(Debug, Clone, PartialEq)]
pub struct Deviation {
    /// Modified z-score; negative when the host is below the fleet.
    pub score: f64,
    /// The state (or `total`) that deviates most.
    pub state: &'static str,
    pub value: u64,
    /// The fleet's median of that state.
    pub median: f64,
}

impl Deviation {
    /// How far out, whichever the direction.
    pub fn magnitude(&self) -> f64 {
        self.score.abs()
    }
    /// "CLOSE_WAIT 412 (fleet median 0)".
    pub fn reason(&self) -> String {
        let med = if self.median.fract() == 0.0 {
            crate::render::thousands(self.median as u64)
        } else {
            format!("{:.1}", self.median)
        };
        format!("{} {} (fleet median {med})", self.state, crate::render::thousands(self.value))
    }
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// Each host's largest deviation, in `hs.hosts` order (`None` for fleets
/// of fewer than [`MIN_HOSTS`] hosts).
pub fn deviations(hs: &HostStates) -> Vec<Option<Deviation>> {
    let n = hs.hosts.len();
    if n < MIN_HOSTS {
        return vec![None; n];
    }
    // Features: each state, then the total.
    let mut features: Vec<(&'static str, Vec<u64>)> = hs
        .states
        .iter()
        .enumerate()
        .map(|(i, s)| (*s, hs.values.iter().map(|r| r.get(i).copied().unwrap_or(0)).collect()))
        .collect();
    features.push(("total", hs.values.iter().map(|r| r.iter().sum()).collect()));
    let mut best: Vec<Option<Deviation>> = vec![None; n];
    for (state, xs) in features {
        let mut logs: Vec<f64> = xs.iter().map(|x| (*x as f64).ln_1p()).collect();
        logs.sort_by(f64::total_cmp);
        let med = median(&logs);
        let mut dev: Vec<f64> = logs.iter().map(|v| (v - med).abs()).collect();
        dev.sort_by(f64::total_cmp);
        let mad = median(&dev).max(MIN_MAD);
        let mut raw: Vec<f64> = xs.iter().map(|x| *x as f64).collect();
        raw.sort_by(f64::total_cmp);
        let raw_median = median(&raw);
        for (h, x) in xs.iter().enumerate() {
            let score = 0.6745 * ((*x as f64).ln_1p() - med) / mad;
            if best[h].as_ref().is_none_or(|b| score.abs() > b.magnitude()) {
                best[h] = Some(Deviation { score, state, value: *x, median: raw_median });
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fleet(rows: &[(u64, u64)]) -> HostStates {
        HostStates {
            hosts: (0..rows.len()).map(|i| format!("h{i}")).collect(),
            states: vec!["ESTABLISHED", "CLOSE_WAIT"],
            values: rows.iter().map(|(e, c)| vec![*e, *c]).collect(),
        }
    }

    #[test]
    fn a_leaking_host_stands_out_and_alike_hosts_do_not() {
        let mut rows = vec![(200, 0); 20];
        rows[7] = (205, 412);
        rows[3] = (190, 2);
        let d = deviations(&fleet(&rows));
        let leak = d[7].as_ref().unwrap();
        assert_eq!((leak.state, leak.value), ("CLOSE_WAIT", 412));
        assert!(leak.score >= UNUSUAL, "{leak:?}");
        assert_eq!(leak.reason(), "CLOSE_WAIT 412 (fleet median 0)");
        // Two CLOSE_WAIT sockets, or 190 connections instead of 200: not unusual.
        assert!(d[3].as_ref().unwrap().magnitude() < UNUSUAL, "{:?}", d[3]);
        assert!(d[0].as_ref().unwrap().magnitude() < 0.1);
    }

    #[test]
    fn a_host_far_below_the_fleet_is_unusual_too() {
        let mut rows = vec![(500, 1); 9];
        rows[4] = (0, 0);
        let d = deviations(&fleet(&rows));
        let dead = d[4].as_ref().unwrap();
        assert!(dead.score <= -UNUSUAL, "{dead:?}");
        assert_eq!(dead.value, 0);
    }

    #[test]
    fn too_few_hosts_for_a_median() {
        assert_eq!(deviations(&fleet(&[(1, 0), (900, 900)])), vec![None, None]);
    }
}
