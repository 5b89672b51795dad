//! Direction of connected sockets (tcp-facts A3): inbound when the local
//! port is one this host listens on in the same snapshot, outbound when the
//! local port is in the ephemeral range (the captured
//! `net.ipv4.ip_local_port_range`, else 32768–60999), otherwise unknown.
//! The split itself happens while folding (`fold::FlowKey`); this pass
//! turns it into a table.

use crate::detail::Direction;
use crate::snapshot::KindSummary;

use super::states::LIFECYCLE;

/// Direction × state counts: (columns, rows of (direction, total,
/// counts)).
pub type DirectionTable = (Vec<&'static str>, Vec<(Direction, u64, Vec<u64>)>);

/// The direction table of one snapshot; `None` without detail or for
/// conntrack.
pub fn table(k: &KindSummary) -> Option<DirectionTable> {
    let by = k.by_direction.as_deref()?;
    let cols: Vec<_> =
        LIFECYCLE.iter().filter(|s| by.iter().any(|row| row[**s as usize] > 0)).copied().collect();
    let rows = Direction::ALL
        .iter()
        .map(|d| {
            let row = &by[*d as usize];
            let counts: Vec<u64> = cols.iter().map(|s| row[*s as usize]).collect();
            (*d, counts.iter().sum(), counts)
        })
        .filter(|(_, total, _)| *total > 0)
        .collect();
    Some((cols.iter().map(|s| s.name()).collect(), rows))
}
