//! Ephemeral-port use per destination (tcp-facts A2, R1): an outbound
//! connection to one `remote:port` from one local address needs its own
//! local port, and TIME_WAIT keeps it for 60 s, so the real limit is the
//! ephemeral range per (local address, remote address, remote port) — not
//! the host's total socket count.

use crate::detail::EphemeralUse;
use crate::snapshot::KindSummary;

/// The range size and the busiest destinations of a snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct PortUse {
    pub range: (u16, u16),
    /// Whether the range came from a sysctl capture (else the default).
    pub range_captured: bool,
    pub rows: Vec<EphemeralUse>,
}

impl PortUse {
    pub fn size(&self) -> u64 {
        u64::from(self.range.1.saturating_sub(self.range.0)) + 1
    }
}

pub fn port_use(k: &KindSummary, captured: Option<(u16, u16)>) -> Option<PortUse> {
    let d = k.detail.as_ref()?;
    Some(PortUse { range: d.ephemeral_range, range_captured: captured.is_some(), rows: d.ephemeral.clone() })
}
