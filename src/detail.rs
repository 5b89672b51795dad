//! Finished per-snapshot detail for the report: flows reduced to direction,
//! peers, services, prefixes, processes, ephemeral-port use, listeners and
//! conntrack composition.
//!
//! Direction (tcp-facts A3): a connected socket is **inbound** when its
//! local port is one this host listens on in the same snapshot,
//! **outbound** when its local port is in the ephemeral range, otherwise
//! **unknown**. IPv4-mapped IPv6 peers were already reduced to IPv4 by the
//! parser.

use std::collections::BTreeSet;
use std::net::IpAddr;

use crate::fold::{AddrKey, CT_BUCKETS, DetailAcc, FastMap, FlowKey, Names, StateCounts, fast_map};
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
    /// Owning processes by (name, pid).
    pub processes: Vec<Ranked<(String, Option<u32>)>>,
    pub ephemeral: Vec<EphemeralUse>,
    /// The range the shares are computed against.
    pub ephemeral_range: (u16, u16),
    pub listeners: Vec<ListenerRow>,
    /// Conntrack: state → timeout histogram (log2 seconds buckets).
    pub ct_timeouts: Vec<(CtState, [u32; CT_BUCKETS])>,
    pub ct_destinations: Vec<CtDestination>,
    /// Flows left out of the rankings to bound memory (see
    /// [`crate::fold::MAX_FLOWS`]): (flows, sockets, error bound of the
    /// rankings in sockets).
    pub dropped: Option<(u64, u64, u64)>,
    /// What each ranking left out, by table name.
    pub cuts: Vec<(&'static str, Cut)>,
}

/// What a top-N ranking kept and left out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cut {
    /// Rows kept.
    pub kept: u32,
    /// Their count, summed.
    pub kept_sum: u64,
    /// Keys before the cut.
    pub distinct: u64,
    /// The count summed over every key.
    pub all: u64,
}

impl Cut {
    fn of<T>(kept: &[T], count: impl Fn(&T) -> u64, distinct: usize, all: u64) -> Cut {
        Cut {
            kept: kept.len() as u32,
            kept_sum: kept.iter().map(count).sum(),
            distinct: distinct as u64,
            all,
        }
    }
}

/// Reduces a snapshot's detail accumulator.
pub fn finalize_detail(d: &DetailAcc, names: &dyn Names, keep: usize, range: (u16, u16)) -> SnapshotDetail {
    let text = |k: AddrKey| String::from_utf8_lossy(names.name(&k)).into_owned();
    let listening: BTreeSet<u16> = d.listeners.keys().map(|(_, p)| *p).collect();
    let mut out = SnapshotDetail { ephemeral_range: range, ..Default::default() };

    let dir = |k: &FlowKey| {
        if k.remote_service {
            Direction::Outbound
        } else if listening.contains(&k.port) {
            Direction::Inbound
        } else {
            Direction::Unknown
        }
    };
    let mut local: FastMap<u16, StateCounts> = fast_map();
    for (k, c) in &d.flows {
        let row = &mut out.by_direction[dir(k) as usize];
        for (a, b) in row.iter_mut().zip(c.states.iter()) {
            *a += *b as u64;
        }
        if !k.remote_service {
            local.entry(k.port).or_default().merge(c);
        }
    }
    let dr = &d.dropped;
    if dr.flows > 0 {
        out.dropped = Some((dr.flows, dr.sockets, dr.bound));
        let mut add = |dir: Direction, c: &StateCounts| {
            for (a, b) in out.by_direction[dir as usize].iter_mut().zip(c.states.iter()) {
                *a += *b as u64;
            }
        };
        add(Direction::Outbound, &dr.outbound);
        for (p, c) in &dr.by_local_port {
            add(if listening.contains(p) { Direction::Inbound } else { Direction::Unknown }, c);
            local.entry(*p).or_default().merge(c);
        }
    }
    // Each ranking holds one total per key and text only for what can make
    // the cut (a capture with 400,000 peers must not become 400,000 strings
    // and per-state rows at once).
    let by_total = |r: &Ranked<_>| r.counts.total;
    let (peers, c) = top_of_flows(&d.flows, keep, |k| Some((k.remote, dir(k))), |(a, dir)| (text(a), dir));
    out.cuts.push(("peers", Cut::of(&peers, by_total, c.0, c.1)));
    out.peers = peers;
    let (services, c) = top_of_flows(
        &d.flows,
        keep,
        |k| k.remote_service.then_some((k.remote, k.port)),
        |(a, p)| (text(a), p),
    );
    out.cuts.push(("services", Cut::of(&services, |r: &Ranked<_>| r.counts.total, c.0, c.1)));
    out.remote_services = services;
    let (prefixes, c) = top_of_flows(&d.flows, keep, |k| Prefix::of(names.name(&k.remote)), Prefix::text);
    out.cuts.push(("prefixes", Cut::of(&prefixes, |r: &Ranked<_>| r.counts.total, c.0, c.1)));
    out.prefixes = prefixes;
    let mut ls: Vec<LocalService> = local
        .into_iter()
        .map(|(port, counts)| LocalService { port, listening: listening.contains(&port), counts })
        .collect();
    let (distinct, all) = (ls.len(), ls.iter().map(|l| l.counts.total).sum());
    ls.sort_by(|a, b| b.counts.total.cmp(&a.counts.total).then(a.port.cmp(&b.port)));
    ls.truncate(keep);
    out.cuts.push(("local_services", Cut::of(&ls, |l| l.counts.total, distinct, all)));
    out.local_services = ls;
    let procs: Vec<_> = d.processes.iter().map(|(p, c)| (*p, *c)).collect();
    let (distinct, all) = (procs.len(), procs.iter().map(|p| p.1.total).sum());
    out.processes = top(procs, keep, |(p, pid)| (text(p), pid));
    out.cuts.push(("processes", Cut::of(&out.processes, |r| r.counts.total, distinct, all)));

    let size = u64::from(range.1.saturating_sub(range.0)) + 1;
    // Port exhaustion is about TCP's port space; UDP has its own.
    let tcp = crate::model::Proto::Tcp as u8;
    let (e, c) = top_of_flows(
        &d.flows,
        keep,
        |k| (k.remote_service && k.proto == tcp).then_some((k.local, k.remote, k.port)),
        |(l, r, p)| (text(r), p, text(l)),
    );
    out.cuts.push(("ephemeral", Cut::of(&e, |r: &Ranked<_>| r.counts.total, c.0, c.1)));
    let e: Vec<EphemeralUse> = e
        .into_iter()
        .map(|Ranked { key: (remote, port, local), counts: c }| EphemeralUse {
            local,
            remote,
            port,
            sockets: c.total,
            time_wait: c.states[TcpState::TimeWait as usize] as u64,
            share: c.total as f64 / size as f64,
        })
        .collect();
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
    let (distinct, all) = (cd.len(), cd.iter().map(|c| u64::from(c.entries)).sum());
    cd.sort_by(|a, b| b.entries.cmp(&a.entries).then_with(|| (&a.addr, a.port).cmp(&(&b.addr, b.port))));
    cd.truncate(keep);
    if distinct > 0 {
        out.cuts.push(("ct_destinations", Cut::of(&cd, |c| u64::from(c.entries), distinct, all)));
    }
    out.ct_destinations = cd;
    out
}

/// The `keep` largest by total, ties by the shown key (ascending). Keys
/// become text only if they can make the cut: everything above the
/// `keep`-th total, and the ties at it.
fn top<K: Copy, T: Ord>(items: Vec<(K, StateCounts)>, keep: usize, show: impl Fn(K) -> T) -> Vec<Ranked<T>> {
    cut_top(items, keep, |c| c.total, show)
        .into_iter()
        .map(|(key, _, counts)| Ranked { key, counts })
        .collect()
}

/// The `keep` items with the largest `total`, ties by the shown key, as
/// (shown key, key, value): `show` runs only for items at or above the
/// `keep`-th total.
fn cut_top<K: Copy, V, T: Ord>(
    mut items: Vec<(K, V)>,
    keep: usize,
    total: impl Fn(&V) -> u64,
    show: impl Fn(K) -> T,
) -> Vec<(T, K, V)> {
    if keep == 0 {
        return Vec::new();
    }
    let cut = if items.len() > keep {
        total(&items.select_nth_unstable_by(keep - 1, |a, b| total(&b.1).cmp(&total(&a.1))).1.1)
    } else {
        0
    };
    let mut v: Vec<(T, K, V)> =
        items.into_iter().filter(|(_, c)| total(c) >= cut).map(|(k, c)| (show(k), k, c)).collect();
    v.sort_by(|a, b| total(&b.2).cmp(&total(&a.2)).then_with(|| a.0.cmp(&b.0)));
    v.truncate(keep);
    v
}

/// [`top`] over flows grouped by `group` (flows it maps to `None` are left
/// out), in two passes so that only a total per group is held for every
/// group, and per-state counts only for the winners.
fn top_of_flows<K: Copy + Eq + std::hash::Hash, T: Ord>(
    flows: &FastMap<FlowKey, StateCounts>,
    keep: usize,
    group: impl Fn(&FlowKey) -> Option<K>,
    show: impl Fn(K) -> T,
) -> (Vec<Ranked<T>>, (usize, u64)) {
    let mut totals: FastMap<K, u64> = fast_map();
    for (k, c) in flows {
        if let Some(g) = group(k) {
            *totals.entry(g).or_default() += c.total;
        }
    }
    let all = (totals.len(), totals.values().sum());
    let winners = cut_top(totals.into_iter().collect(), keep, |t| *t, show);
    let mut counts: FastMap<K, StateCounts> = winners.iter().map(|w| (w.1, StateCounts::default())).collect();
    for (k, c) in flows {
        if let Some(e) = group(k).and_then(|g| counts.get_mut(&g)) {
            e.merge(c);
        }
    }
    (winners.into_iter().map(|(key, k, _)| Ranked { key, counts: counts[&k] }).collect(), all)
}

/// A remote /24 (IPv4) or /64 (IPv6) network, as a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Prefix {
    V4(u32),
    V6(u64),
}

impl Prefix {
    fn of(addr: &[u8]) -> Option<Prefix> {
        if let Some(v) = crate::parse::addr::canonical_ipv4(addr) {
            return Some(Prefix::V4(v & 0xffff_ff00));
        }
        match std::str::from_utf8(addr).ok()?.parse::<IpAddr>().ok()? {
            IpAddr::V4(v4) => Some(Prefix::V4(u32::from(v4) & 0xffff_ff00)),
            IpAddr::V6(v6) => Some(Prefix::V6((u128::from(v6) >> 64) as u64)),
        }
    }

    fn text(self) -> String {
        match self {
            Prefix::V4(v) => format!("{}/24", std::net::Ipv4Addr::from(v)),
            Prefix::V6(v) => format!("{}/64", std::net::Ipv6Addr::from(u128::from(v) << 64)),
        }
    }
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
    fn capped_flows_keep_totals_and_the_heavy_rankings() {
        let mut lines = vec!["LISTEN 0 128 0.0.0.0:443 0.0.0.0:*".to_string()];
        // 5 heavy clients, 300 light ones, and outbound flows to 40 backends.
        for i in 0..5 {
            for p in 0..(200 - i * 10) {
                lines.push(format!("ESTAB 0 0 10.0.0.1:443 10.9.0.{}:{}", i + 1, 1024 + p));
            }
        }
        for i in 0..300 {
            let state = if i % 3 == 0 { "TIME-WAIT" } else { "ESTAB" };
            lines.push(format!("{state} 0 0 10.0.0.1:443 10.8.{}.{}:5000", i / 200, i % 200 + 1));
            lines.push(format!("ESTAB 0 0 10.0.0.1:8080 10.7.{}.{}:5000", i / 200, i % 200 + 1));
        }
        for i in 0..40 {
            for p in 0..(i % 4 + 1) {
                lines.push(format!("TIME-WAIT 0 0 10.0.0.1:{} 10.1.0.{}:5432", 40000 + i * 5 + p, i + 1));
            }
        }
        let mut acc = KindAcc::default();
        let mut names = Interner::default();
        let mut st = LineState::new(None);
        st.section = Section::Inet;
        let cfg = FoldCfg { detail: true, ..FoldCfg::default() };
        for l in &lines {
            match classify(l.as_bytes(), &mut st) {
                Line::Socket(r) => acc.add_socket(&r, &cfg, &mut |s| names.intern(s)),
                o => panic!("{l}: {o:?}"),
            }
        }
        let full = acc.detail.clone().unwrap();
        let mut capped = acc.detail.unwrap();
        capped.cap_flows(100);
        assert!(capped.flows.len() <= 50);
        let (a, b) = (
            finalize_detail(&full, &names, 10, (32768, 60999)),
            finalize_detail(&capped, &names, 10, (32768, 60999)),
        );
        assert_eq!(a.dropped, None);
        let (flows, sockets, bound) = b.dropped.unwrap();
        assert_eq!(flows as usize + capped.flows.len(), full.flows.len());
        assert!(sockets >= flows && (1..=4).contains(&bound), "{:?}", b.dropped);
        // Totals are exact; the heavy peers rank the same.
        assert_eq!(a.by_direction, b.by_direction);
        assert_eq!(a.local_services, b.local_services);
        assert_eq!(a.peers[..5], b.peers[..5]);
        assert_eq!(b.peers[0].key.0, "10.9.0.1");
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
