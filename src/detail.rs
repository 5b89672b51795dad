//! Finished per-snapshot detail for the report: flows reduced to direction,
//! peers, services, prefixes, processes, ephemeral-port use, listeners and
//! conntrack composition.
//!
//! Direction (tcp-facts A3): a connected socket is **inbound** when its
//! local port is one this host listens on in the same snapshot,
//! **outbound** when its local port is in the ephemeral range, otherwise
//! **unknown**. IPv4-mapped IPv6 peers were already reduced to IPv4 by the
//! parser.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use crate::fold::{AddrKey, CT_BUCKETS, DetailAcc, Names, StateCounts};
use crate::model::{CtState, TcpState};

/// Which side opened a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Inbound,
    Outbound,
    Unknown,
}

impl Direction {
    pub const ALL: [Direction; 3] = [Direction::Inbound, Direction::Outbound, Direction::Unknown];
    pub fn name(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
            Direction::Unknown => "unknown",
        }
    }
}

/// A ranked key with its per-state counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked<K> {
    pub key: K,
    pub counts: StateCounts,
}

/// A local service port and what it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalService {
    pub port: u16,
    pub listening: bool,
    pub counts: StateCounts,
}

/// Outbound sockets toward one destination from one local address: each
/// needs its own local port, so this is what runs out (tcp-facts R1).
#[derive(Debug, Clone, PartialEq)]
pub struct EphemeralUse {
    pub local: String,
    pub remote: String,
    pub port: u16,
    pub sockets: u64,
    pub time_wait: u64,
    /// sockets ÷ range size.
    pub share: f64,
}

/// A listening socket.
#[derive(Debug, Clone, PartialEq)]
pub struct ListenerRow {
    pub addr: String,
    pub port: u16,
    pub sockets: u32,
    pub recv_q: u64,
    pub send_q: u64,
    pub process: Option<String>,
}

/// Conntrack entries toward one original destination.
#[derive(Debug, Clone, PartialEq)]
pub struct CtDestination {
    pub addr: String,
    pub port: u16,
    pub entries: u32,
    pub unreplied: u32,
}

/// Everything the report shows about one snapshot of one tool.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SnapshotDetail {
    /// Connected sockets by direction (index of [`Direction::ALL`]) × state.
    pub by_direction: [[u64; TcpState::COUNT]; 3],
    /// Remote addresses by direction, descending by total.
    pub peers: Vec<Ranked<(String, Direction)>>,
    /// Remote `addr:port` of outbound sockets.
    pub remote_services: Vec<Ranked<(String, u16)>>,
    /// Remote /24 (IPv4) and /64 (IPv6) prefixes.
    pub prefixes: Vec<Ranked<String>>,
    /// Local service ports (inbound and unknown sockets).
    pub local_services: Vec<LocalService>,
    pub processes: Vec<Ranked<String>>,
    pub ephemeral: Vec<EphemeralUse>,
    /// The range the shares are computed against.
    pub ephemeral_range: (u16, u16),
    pub listeners: Vec<ListenerRow>,
    /// Conntrack: state → timeout histogram (log2 seconds buckets).
    pub ct_timeouts: Vec<(CtState, [u32; CT_BUCKETS])>,
    pub ct_destinations: Vec<CtDestination>,
}

/// Reduces a snapshot's detail accumulator.
pub fn finalize_detail(d: &DetailAcc, names: &dyn Names, keep: usize, range: (u16, u16)) -> SnapshotDetail {
    let text = |k: AddrKey| String::from_utf8_lossy(names.name(&k)).into_owned();
    let listening: BTreeSet<u16> = d.listeners.keys().map(|(_, p)| *p).collect();
    let mut out = SnapshotDetail { ephemeral_range: range, ..Default::default() };

    let mut peers: BTreeMap<(AddrKey, Direction), StateCounts> = BTreeMap::new();
    let mut services: BTreeMap<(AddrKey, u16), StateCounts> = BTreeMap::new();
    let mut local: BTreeMap<u16, StateCounts> = BTreeMap::new();
    let mut eph: BTreeMap<(AddrKey, AddrKey, u16), StateCounts> = BTreeMap::new();
    let mut prefixes: BTreeMap<String, StateCounts> = BTreeMap::new();
    for (k, c) in &d.flows {
        let dir = if k.remote_service {
            Direction::Outbound
        } else if listening.contains(&k.port) {
            Direction::Inbound
        } else {
            Direction::Unknown
        };
        let row = &mut out.by_direction[dir as usize];
        for (a, b) in row.iter_mut().zip(c.states.iter()) {
            *a += *b as u64;
        }
        peers.entry((k.remote, dir)).or_default().merge(c);
        if k.remote_service {
            services.entry((k.remote, k.port)).or_default().merge(c);
            // Port exhaustion is about TCP's port space; UDP has its own.
            if k.proto == crate::model::Proto::Tcp as u8 {
                eph.entry((k.local, k.remote, k.port)).or_default().merge(c);
            }
        } else {
            local.entry(k.port).or_default().merge(c);
        }
    }
    for ((remote, _), c) in &peers {
        if let Some(p) = prefix(names.name(remote)) {
            prefixes.entry(p).or_default().merge(c);
        }
    }

    out.peers = top(peers.into_iter().map(|((a, dir), c)| ((text(a), dir), c)), keep);
    out.remote_services = top(services.into_iter().map(|((a, p), c)| ((text(a), p), c)), keep);
    out.prefixes = top(prefixes.into_iter(), keep);
    let mut ls: Vec<LocalService> = local
        .into_iter()
        .map(|(port, counts)| LocalService { port, listening: listening.contains(&port), counts })
        .collect();
    ls.sort_by(|a, b| b.counts.total.cmp(&a.counts.total).then(a.port.cmp(&b.port)));
    ls.truncate(keep);
    out.local_services = ls;
    out.processes = top(d.processes.iter().map(|(p, c)| (text(*p), *c)), keep);

    let size = u64::from(range.1.saturating_sub(range.0)) + 1;
    let mut e: Vec<EphemeralUse> = eph
        .into_iter()
        .map(|((l, r, p), c)| EphemeralUse {
            local: text(l),
            remote: text(r),
            port: p,
            sockets: c.total,
            time_wait: c.states[TcpState::TimeWait as usize] as u64,
            share: c.total as f64 / size as f64,
        })
        .collect();
    e.sort_by(|a, b| {
        b.sockets
            .cmp(&a.sockets)
            .then_with(|| (&a.remote, a.port, &a.local).cmp(&(&b.remote, b.port, &b.local)))
    });
    e.truncate(keep);
    out.ephemeral = e;

    let mut l: Vec<ListenerRow> = d
        .listeners
        .iter()
        .map(|((a, p), l)| ListenerRow {
            addr: text(*a),
            port: *p,
            sockets: l.sockets,
            recv_q: l.recv_q,
            send_q: l.send_q,
            process: l.process.map(text),
        })
        .collect();
    l.sort_by(|a, b| (a.port, &a.addr).cmp(&(b.port, &b.addr)));
    out.listeners = l;

    let mut t: Vec<(CtState, [u32; CT_BUCKETS])> =
        d.ct_timeouts.iter().map(|(s, h)| (CtState::from_code(*s), *h)).collect();
    t.sort_by_key(|(s, _)| *s);
    out.ct_timeouts = t;
    let mut cd: Vec<CtDestination> = d
        .ct_dst
        .iter()
        .map(|((a, p), (n, u))| CtDestination { addr: text(*a), port: *p, entries: *n, unreplied: *u })
        .collect();
    cd.sort_by(|a, b| b.entries.cmp(&a.entries).then_with(|| (&a.addr, a.port).cmp(&(&b.addr, b.port))));
    cd.truncate(keep);
    out.ct_destinations = cd;
    out
}

/// The `keep` largest by total, ties by key.
fn top<K: Ord>(items: impl Iterator<Item = (K, StateCounts)>, keep: usize) -> Vec<Ranked<K>> {
    let mut v: Vec<Ranked<K>> = items.map(|(key, counts)| Ranked { key, counts }).collect();
    v.sort_by(|a, b| b.counts.total.cmp(&a.counts.total).then_with(|| a.key.cmp(&b.key)));
    v.truncate(keep);
    v
}

/// `10.1.2.3` → `10.1.2.0/24`; `2001:db8:1:2::5` → `2001:db8:1:2::/64`.
pub fn prefix(addr: &[u8]) -> Option<String> {
    let ip: IpAddr = std::str::from_utf8(addr).ok()?.parse().ok()?;
    Some(match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
            format!("{net}/64")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fold::{FoldCfg, Interner, KindAcc};
    use crate::parse::{Line, LineState, Section, classify};

    fn detail(lines: &[&str]) -> SnapshotDetail {
        let mut acc = KindAcc::default();
        let mut names = Interner::default();
        let mut st = LineState::new(None);
        st.section = Section::Inet;
        let cfg = FoldCfg { detail: true, ..FoldCfg::default() };
        for l in lines {
            match classify(l.as_bytes(), &mut st) {
                Line::Socket(r) => acc.add_socket(&r, &cfg, &mut |s| names.intern(s)),
                o => panic!("{l}: {o:?}"),
            }
        }
        finalize_detail(acc.detail.as_ref().unwrap(), &names, 10, (32768, 60999))
    }

    #[test]
    fn direction_from_listeners_and_the_ephemeral_range() {
        let d = detail(&[
            "LISTEN 0 128 0.0.0.0:443 0.0.0.0:*",
            "ESTAB 0 0 10.0.0.1:443 10.9.0.1:50000",
            "ESTAB 0 0 10.0.0.1:443 10.9.0.1:50001",
            "TIME-WAIT 0 0 10.0.0.1:40000 10.1.0.5:5432",
            "ESTAB 0 0 10.0.0.1:40001 10.1.0.5:5432",
            "ESTAB 0 0 10.0.0.1:2000 10.7.0.1:3000",
        ]);
        let est = TcpState::Established as usize;
        assert_eq!(d.by_direction[Direction::Inbound as usize][est], 2);
        assert_eq!(d.by_direction[Direction::Outbound as usize][est], 1);
        assert_eq!(d.by_direction[Direction::Unknown as usize][est], 1);
        // Ties (2 and 2) are ordered by address.
        assert_eq!(d.peers[0].key, ("10.1.0.5".to_string(), Direction::Outbound));
        assert_eq!(d.peers[1].key, ("10.9.0.1".to_string(), Direction::Inbound));
        assert_eq!(d.remote_services[0].key, ("10.1.0.5".to_string(), 5432));
        assert_eq!(d.remote_services[0].counts.total, 2);
        let e = &d.ephemeral[0];
        assert_eq!((e.sockets, e.time_wait, e.remote.as_str(), e.port), (2, 1, "10.1.0.5", 5432));
        assert!((e.share - 2.0 / 28232.0).abs() < 1e-12);
        assert_eq!(d.local_services[0].port, 443);
        assert!(d.local_services[0].listening);
        assert_eq!(d.listeners.len(), 1);
        assert_eq!(d.listeners[0].send_q, 128);
    }

    #[test]
    fn a_listener_inside_the_ephemeral_range_makes_its_sockets_inbound() {
        let d = detail(&["LISTEN 0 128 0.0.0.0:40000 0.0.0.0:*", "ESTAB 0 0 10.0.0.1:40000 10.9.0.1:50000"]);
        assert_eq!(d.by_direction[Direction::Inbound as usize][TcpState::Established as usize], 1);
    }

    #[test]
    fn prefixes() {
        assert_eq!(prefix(b"10.1.2.3").as_deref(), Some("10.1.2.0/24"));
        assert_eq!(prefix(b"2001:db8:1:2::5").as_deref(), Some("2001:db8:1:2::/64"));
        assert_eq!(prefix(b"localhost"), None);
    }
}
