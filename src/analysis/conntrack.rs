//! Conntrack composition: entries by protocol and state, top original
//! sources and destinations, assured vs unreplied share, and the
//! distribution of timeouts (seconds left, not age — tcp-facts A2).

use crate::detail::CtDestination;
use crate::fold::CT_BUCKETS;
use crate::model::{CtState, Proto};
use crate::snapshot::KindSummary;

#[derive(Debug, Clone, PartialEq)]
pub struct Composition {
    pub total: u64,
    pub protocols: Vec<(&'static str, u64)>,
    /// TCP entries by conntrack state.
    pub states: Vec<(&'static str, u64)>,
    pub assured: u64,
    pub unreplied: u64,
    pub top_destinations: Vec<CtDestination>,
    pub top_sources: Vec<(String, u64)>,
    /// All entries with a timeout, by log2 bucket label.
    pub timeouts: Vec<(String, u64)>,
}

impl Composition {
    pub fn unreplied_share(&self) -> f64 {
        if self.total == 0 { 0.0 } else { self.unreplied as f64 / self.total as f64 }
    }
    pub fn assured_share(&self) -> f64 {
        if self.total == 0 { 0.0 } else { self.assured as f64 / self.total as f64 }
    }
}

/// Label of a log2 timeout bucket: 0, 1, 2–3, 4–7, …
pub fn bucket_label(i: usize) -> String {
    match i {
        0 => "0 s".into(),
        1 => "1 s".into(),
        _ => {
            let lo = 1u64 << (i - 1);
            let hi = (1u64 << i) - 1;
            format!("{}–{} s", short(lo), short(hi))
        }
    }
}

/// 262144 → "262k".
fn short(n: u64) -> String {
    if n >= 10_000 { format!("{}k", n / 1000) } else { n.to_string() }
}

pub fn composition(k: &KindSummary) -> Composition {
    let mut hist = [0u64; CT_BUCKETS];
    let mut dests = Vec::new();
    if let Some(d) = &k.detail {
        for (_, h) in &d.ct_timeouts {
            for (a, b) in hist.iter_mut().zip(h) {
                *a += *b as u64;
            }
        }
        dests = d.ct_destinations.clone();
    }
    let last = hist.iter().rposition(|&n| n > 0).map_or(0, |p| p + 1);
    Composition {
        total: k.total,
        protocols: Proto::ALL
            .iter()
            .filter(|p| k.protos[**p as usize] > 0)
            .map(|p| (p.name(), k.protos[*p as usize]))
            .collect(),
        states: (0..CtState::COUNT as u8)
            .map(CtState::from_code)
            .filter(|s| k.ct_states[*s as usize] > 0)
            .map(|s| (s.name(), k.ct_states[s as usize]))
            .collect(),
        assured: k.ct_flags[0],
        unreplied: k.ct_flags[1],
        top_destinations: dests,
        top_sources: k.top_ct_src.clone(),
        timeouts: (0..last).map(|i| (bucket_label(i), hist[i])).collect(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn bucket_labels() {
        assert_eq!(super::bucket_label(0), "0 s");
        assert_eq!(super::bucket_label(3), "4–7 s");
        assert_eq!(super::bucket_label(19), "262k–524k s");
    }
}
