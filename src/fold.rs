//! Accumulators: what a chunk worker folds each record into.
//!
//! A worker never keeps rows. It counts them into small maps keyed by
//! compact values (state codes, ports, interned address ids) per snapshot
//! segment, and the accumulators of neighbouring chunks merge
//! associatively. This is why a 10 GB capture needs no more memory than a
//! 10 MB one (see `../shared/docs/performance.md`: folding while parsing
//! is the only design measured here that reaches the performance targets).
//!
//! Addresses are interned per chunk (the key borrows the chunk's bytes, so
//! a hit costs one hash and no copy); the merger re-interns each chunk's
//! distinct addresses into the file's table once.

use std::collections::HashMap;

use crate::model::{CtState, Kind, Proto, TcpState, ct_flags};
use crate::parse::fast::{CountedRow, Peer};
use crate::parse::record::{ConntrackRecord, SocketRecord};

/// Fast, non-cryptographic hasher: keys are our own parsed bytes and ids.
pub type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

pub fn fast_map<K, V>() -> FastMap<K, V> {
    HashMap::with_hasher(foldhash::fast::FixedState::with_seed(0x5eed_50c5))
}

/// Index into an interner's table of long addresses.
pub type AddrId = u32;

/// An address as a map key. Texts up to 15 bytes (every IPv4 address and
/// short IPv6 ones) are stored inline — no hashing into a table, no string
/// compare, and the key is the same in every chunk; longer texts are
/// interned and the key holds their id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct AddrKey([u8; 16]);

impl std::hash::Hash for AddrKey {
    #[inline(always)]
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        // One 128-bit write instead of a length-prefixed byte slice.
        h.write_u128(u128::from_le_bytes(self.0));
    }
}

impl AddrKey {
    const LONG: u8 = 0xff;

    #[inline(always)]
    pub fn inline(s: &[u8]) -> Option<AddrKey> {
        let (lo, hi) = crate::model::pack_words(s)?;
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&lo.to_le_bytes());
        b[8..].copy_from_slice(&hi.to_le_bytes());
        Some(AddrKey(b))
    }

    #[inline]
    pub fn long(id: AddrId) -> AddrKey {
        let mut b = [0u8; 16];
        b[..4].copy_from_slice(&id.to_le_bytes());
        b[15] = Self::LONG;
        AddrKey(b)
    }

    /// The interned id of a long address.
    #[inline]
    pub fn long_id(&self) -> Option<AddrId> {
        (self.0[15] == Self::LONG).then(|| u32::from_le_bytes([self.0[0], self.0[1], self.0[2], self.0[3]]))
    }

    /// Translates a chunk-local long id to the file's (`remap[id]`).
    #[inline]
    pub fn remap(self, remap: &[AddrId]) -> AddrKey {
        match self.long_id() {
            Some(id) => AddrKey::long(remap.get(id as usize).copied().unwrap_or(id)),
            None => self,
        }
    }

    /// The key of an IPv4 address given by value (dotted-quad text).
    pub fn ipv4(v: u32) -> AddrKey {
        let mut buf = [0u8; 15];
        let n = crate::parse::addr::write_ipv4(v, &mut buf);
        AddrKey::inline(&buf[..n]).unwrap_or(AddrKey([0; 16]))
    }

    /// The text of an inline key; `None` for a long one.
    #[inline]
    pub fn inline_text(&self) -> Option<&[u8]> {
        let n = self.0[15];
        (n != Self::LONG).then(|| &self.0[..n as usize])
    }
}

/// Resolves keys to address text.
pub trait Names {
    fn long_name(&self, id: AddrId) -> &[u8];

    fn name<'s>(&'s self, k: &'s AddrKey) -> &'s [u8] {
        match k.inline_text() {
            Some(t) => t,
            None => self.long_name(k.long_id().unwrap_or(0)),
        }
    }
}

/// Interns long address bytes borrowed from a chunk.
pub struct ChunkInterner<'a> {
    map: FastMap<&'a [u8], AddrId>,
    pub names: Vec<&'a [u8]>,
}

impl<'a> Default for ChunkInterner<'a> {
    fn default() -> Self {
        ChunkInterner { map: fast_map(), names: Vec::new() }
    }
}

impl<'a> ChunkInterner<'a> {
    #[inline]
    pub fn intern(&mut self, s: &'a [u8]) -> AddrKey {
        if let Some(k) = AddrKey::inline(s) {
            return k;
        }
        // Hits are the common case; a miss hashes twice, which is cheaper
        // than the entry API's key copy would be.
        if let Some(&id) = self.map.get(s) {
            return AddrKey::long(id);
        }
        let id = self.names.len() as AddrId;
        self.names.push(s);
        self.map.insert(s, id);
        AddrKey::long(id)
    }
}

impl Names for ChunkInterner<'_> {
    fn long_name(&self, id: AddrId) -> &[u8] {
        self.names.get(id as usize).copied().unwrap_or(b"?")
    }
}

/// Owned interner for a whole file (or run).
#[derive(Default)]
pub struct Interner {
    map: HashMap<Box<[u8]>, AddrId>,
    pub names: Vec<Box<[u8]>>,
}

impl Interner {
    /// Interns a long address (or returns the inline key of a short one).
    pub fn intern(&mut self, s: &[u8]) -> AddrKey {
        if let Some(k) = AddrKey::inline(s) {
            return k;
        }
        AddrKey::long(self.intern_long(s))
    }

    /// Always interns (for remapping chunk tables).
    pub fn intern_long(&mut self, s: &[u8]) -> AddrId {
        if let Some(&id) = self.map.get(s) {
            return id;
        }
        let id = self.names.len() as AddrId;
        let b: Box<[u8]> = s.into();
        self.names.push(b.clone());
        self.map.insert(b, id);
        id
    }
}

impl Names for Interner {
    fn long_name(&self, id: AddrId) -> &[u8] {
        self.names.get(id as usize).map_or(&b"?"[..], |b| b)
    }
}

/// Per-state counts of one key (a remote address, a local port).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StateCounts {
    pub total: u64,
    pub states: [u32; TcpState::COUNT],
}

impl StateCounts {
    #[inline]
    pub fn add(&mut self, state: TcpState) {
        self.total += 1;
        self.states[state as usize] += 1;
    }
    pub fn merge(&mut self, o: &StateCounts) {
        self.total += o.total;
        for (a, b) in self.states.iter_mut().zip(o.states.iter()) {
            *a += b;
        }
    }
}

/// Everything counted for one tool's rows in one snapshot segment.
#[derive(Debug, Clone)]
pub struct KindAcc {
    pub rows: u64,
    /// TCP socket states (netstat, ss).
    pub states: [u64; TcpState::COUNT],
    /// Conntrack states of TCP entries.
    pub ct_states: [u64; CtState::COUNT],
    pub protos: [u64; Proto::COUNT],
    pub families: [u64; 3],
    /// Remote peer (socket) or original destination (conntrack) → rows.
    /// Socket peers with a canonical IPv4 text are in `remote4` instead.
    pub remote: FastMap<AddrKey, u64>,
    /// Socket peers written as canonical dotted quads, by value: a 4-byte
    /// key keeps the table small enough to stay in cache. Disjoint from
    /// `remote`.
    pub remote4: FastMap<u32, u64>,
    /// Local port (socket) or original destination port (conntrack) → rows.
    pub local_ports: PortCounts,
    /// Conntrack only: original source address → entries.
    pub ct_src: FastMap<AddrKey, u64>,
    /// Conntrack flag counts: assured, unreplied, offload.
    pub ct_flags: [u64; 3],
    pub truncated_addrs: u64,
    /// Flows, listeners and processes: only when the command needs them
    /// (`report`), so `summary` stays on the fast path.
    pub detail: Option<Box<DetailAcc>>,
}

/// How records are folded for one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoldCfg {
    /// Fold flows, listeners and processes too.
    pub detail: bool,
    /// The host's ephemeral port range (`net.ipv4.ip_local_port_range`).
    pub eph_lo: u16,
    pub eph_hi: u16,
    /// Ports inside the range that something listens on anywhere in the
    /// source (sorted), found by a pre-scan: a socket on one of them is
    /// inbound whatever the order of rows and chunks.
    pub listening_in_range: std::sync::Arc<Vec<u16>>,
}

impl Default for FoldCfg {
    fn default() -> Self {
        // Linux default: 32768–60999 (tcp-facts A2).
        FoldCfg { detail: false, eph_lo: 32768, eph_hi: 60999, listening_in_range: Default::default() }
    }
}

/// A group of connected sockets that share both addresses and the service
/// port. The side of the service port is decided while folding: a local
/// port inside the ephemeral range (and not a port this host listens on)
/// makes the socket outbound-looking, and the remote port is the service;
/// otherwise the local port is the service (inbound, or unknown when
/// nothing listens on it). The ephemeral side's port is dropped, which is
/// what keeps the map small.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey {
    pub local: AddrKey,
    pub remote: AddrKey,
    /// TCP and UDP have separate port spaces.
    pub proto: u8,
    pub port: u16,
    /// `port` is the remote port (the local one was ephemeral).
    pub remote_service: bool,
}

/// A listening socket (or several on one address and port).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Listener {
    pub sockets: u32,
    /// Largest accept-queue length seen (Recv-Q of LISTEN).
    pub recv_q: u64,
    /// Largest Send-Q: the accept backlog in ss, ~0 in netstat.
    pub send_q: u64,
    /// Owning process (interned), if captured.
    pub process: Option<AddrKey>,
}

/// Log2 buckets for conntrack timeouts (seconds): bucket i holds
/// [2^(i-1), 2^i), bucket 0 holds 0.
pub const CT_BUCKETS: usize = 21;

/// Most flows one snapshot's detail keeps. A public frontend can show a
/// socket from each of millions of clients; past this many (about 50 MB of
/// table) the lighter half is folded into [`DroppedFlows`], so `report`
/// stays within its memory budget whatever the capture holds.
pub const MAX_FLOWS: usize = 1 << 18;

/// Flows folded away to keep a snapshot within [`MAX_FLOWS`]: still in the
/// state, direction and local-port totals, gone from the rankings by peer,
/// remote service, prefix and ephemeral use.
#[derive(Debug, Clone, Default)]
pub struct DroppedFlows {
    pub flows: u64,
    pub sockets: u64,
    /// How far a ranked count can be low, and how many sockets a key left
    /// out of the rankings can have: the sum of the largest flow dropped at
    /// each cap (a key can be dropped at every one of them).
    pub bound: u64,
    /// Dropped flows whose local port is the service, by that port.
    pub by_local_port: FastMap<u16, StateCounts>,
    /// Dropped flows toward a remote service (outbound).
    pub outbound: StateCounts,
}

impl DroppedFlows {
    fn add(&mut self, k: &FlowKey, c: &StateCounts) {
        self.flows += 1;
        self.sockets += c.total;
        if k.remote_service {
            self.outbound.merge(c);
        } else {
            self.by_local_port.entry(k.port).or_default().merge(c);
        }
    }

    fn merge(&mut self, o: &DroppedFlows) {
        self.flows += o.flows;
        self.sockets += o.sockets;
        // Independent accumulations: a key may have lost counts in both.
        self.bound += o.bound;
        for (p, c) in &o.by_local_port {
            self.by_local_port.entry(*p).or_default().merge(c);
        }
        self.outbound.merge(&o.outbound);
    }
}

/// Per-snapshot detail for the report's passes.
#[derive(Debug, Clone)]
pub struct DetailAcc {
    pub flows: FastMap<FlowKey, StateCounts>,
    pub dropped: DroppedFlows,
    pub listeners: FastMap<(AddrKey, u16), Listener>,
    /// (name, pid) → sockets by state.
    pub processes: FastMap<(AddrKey, Option<u32>), StateCounts>,
    /// Ephemeral-range ports seen listening so far (decides the flow side).
    pub eph_listen: FastMap<u16, ()>,
    /// Conntrack: state code → timeout histogram.
    pub ct_timeouts: FastMap<u8, [u32; CT_BUCKETS]>,
    /// Conntrack: (orig dst, dport) → (entries, unreplied).
    pub ct_dst: FastMap<(AddrKey, u16), (u32, u32)>,
}

impl Default for DetailAcc {
    fn default() -> Self {
        DetailAcc {
            flows: fast_map(),
            dropped: DroppedFlows::default(),
            listeners: fast_map(),
            processes: fast_map(),
            eph_listen: fast_map(),
            ct_timeouts: fast_map(),
            ct_dst: fast_map(),
        }
    }
}

impl DetailAcc {
    #[inline]
    fn add_socket<'a>(
        &mut self,
        r: &SocketRecord<'a>,
        state: TcpState,
        cfg: &FoldCfg,
        intern: &mut impl FnMut(&'a [u8]) -> AddrKey,
    ) {
        let owner = r.process();
        let process = owner.map(|p| intern(p.name));
        if let (Some(p), Some(o)) = (process, owner) {
            self.processes.entry((p, o.pid)).or_default().add(state);
        }
        let Some(lport) = r.local.port else { return };
        if state == TcpState::Listen {
            let l = self.listeners.entry((intern(r.local.addr), lport)).or_default();
            l.sockets += 1;
            l.recv_q = l.recv_q.max(r.recv_q.unwrap_or(0));
            l.send_q = l.send_q.max(r.send_q.unwrap_or(0));
            l.process = l.process.or(process);
            if (cfg.eph_lo..=cfg.eph_hi).contains(&lport) {
                self.eph_listen.insert(lport, ());
            }
            return;
        }
        if r.remote.is_wildcard() {
            return;
        }
        let ephemeral = (cfg.eph_lo..=cfg.eph_hi).contains(&lport)
            && !self.eph_listen.contains_key(&lport)
            && cfg.listening_in_range.binary_search(&lport).is_err();
        let key = match (ephemeral, r.remote.port) {
            (true, Some(rport)) => FlowKey {
                local: intern(r.local.addr),
                remote: intern(r.remote.addr),
                proto: r.proto as u8,
                port: rport,
                remote_service: true,
            },
            _ => FlowKey {
                local: intern(r.local.addr),
                remote: intern(r.remote.addr),
                proto: r.proto as u8,
                port: lport,
                remote_service: false,
            },
        };
        self.flows.entry(key).or_default().add(state);
    }

    #[inline]
    fn add_conntrack<'a>(&mut self, r: &ConntrackRecord<'a>, intern: &mut impl FnMut(&'a [u8]) -> AddrKey) {
        if let Some(t) = r.timeout {
            let b = if t == 0 { 0 } else { (32 - t.leading_zeros()) as usize };
            self.ct_timeouts.entry(r.state as u8).or_insert([0; CT_BUCKETS])[b.min(CT_BUCKETS - 1)] += 1;
        }
        let e = self.ct_dst.entry((intern(r.orig.dst), r.orig.dport.unwrap_or(0))).or_default();
        e.0 += 1;
        if r.flags & ct_flags::UNREPLIED != 0 {
            e.1 += 1;
        }
    }

    fn merge_from(&mut self, o: &DetailAcc, remap: &[AddrId]) {
        let m = |k: AddrKey| k.remap(remap);
        for (k, c) in &o.flows {
            let k = FlowKey { local: m(k.local), remote: m(k.remote), ..*k };
            self.flows.entry(k).or_default().merge(c);
        }
        for ((a, p), l) in &o.listeners {
            let e = self.listeners.entry((m(*a), *p)).or_default();
            e.sockets += l.sockets;
            e.recv_q = e.recv_q.max(l.recv_q);
            e.send_q = e.send_q.max(l.send_q);
            e.process = e.process.or(l.process.map(m));
        }
        for ((p, pid), c) in &o.processes {
            self.processes.entry((m(*p), *pid)).or_default().merge(c);
        }
        for p in o.eph_listen.keys() {
            self.eph_listen.insert(*p, ());
        }
        for (st, h) in &o.ct_timeouts {
            let e = self.ct_timeouts.entry(*st).or_insert([0; CT_BUCKETS]);
            for (a, b) in e.iter_mut().zip(h) {
                *a += b;
            }
        }
        for ((a, p), (n, u)) in &o.ct_dst {
            let e = self.ct_dst.entry((m(*a), *p)).or_default();
            e.0 += n;
            e.1 += u;
        }
        self.dropped.merge(&o.dropped);
        self.cap_flows(MAX_FLOWS);
    }

    /// Past `cap` flows, folds the lightest into `dropped` until half the
    /// cap is left (halving keeps this rare: it runs once per `cap / 2` new
    /// flows, not on every merge).
    pub fn cap_flows(&mut self, cap: usize) {
        if self.flows.len() <= cap {
            return;
        }
        let drop_n = self.flows.len() - cap / 2;
        let mut totals: Vec<u64> = self.flows.values().map(|c| c.total).collect();
        let t = *totals.select_nth_unstable(drop_n - 1).1;
        let below = totals.iter().filter(|&&x| x < t).count();
        // Everything under the threshold goes, and as many at it as needed.
        let mut at_t = drop_n - below;
        let dropped = &mut self.dropped;
        dropped.bound += t;
        self.flows.retain(|k, c| {
            let drop = c.total < t
                || (c.total == t && at_t > 0 && {
                    at_t -= 1;
                    true
                });
            if drop {
                dropped.add(k, c);
            }
            !drop
        });
        self.flows.shrink_to(cap);
    }
}

impl Default for KindAcc {
    fn default() -> Self {
        KindAcc {
            rows: 0,
            states: [0; TcpState::COUNT],
            ct_states: [0; CtState::COUNT],
            protos: [0; Proto::COUNT],
            families: [0; 3],
            remote: fast_map(),
            remote4: fast_map(),
            local_ports: PortCounts::default(),
            ct_src: fast_map(),
            ct_flags: [0; 3],
            truncated_addrs: 0,
            detail: None,
        }
    }
}

impl KindAcc {
    /// Folds one socket row. `intern` maps address bytes to ids.
    #[inline]
    pub fn add_socket<'a>(
        &mut self,
        r: &SocketRecord<'a>,
        cfg: &FoldCfg,
        intern: &mut impl FnMut(&'a [u8]) -> AddrKey,
    ) {
        self.add_counted(&CountedRow::of(r), intern);
        if cfg.detail {
            let state = if r.proto == Proto::Tcp { r.state } else { TcpState::None };
            self.detail.get_or_insert_with(Default::default).add_socket(r, state, cfg, intern);
        }
    }

    /// The owner of the last folded row, named on a line of its own
    /// (Windows `netstat -b`): counted for its process as `ss -p` owners are.
    pub fn add_owner<'a>(
        &mut self,
        name: &'a [u8],
        state: TcpState,
        cfg: &FoldCfg,
        intern: &mut impl FnMut(&'a [u8]) -> AddrKey,
    ) {
        if cfg.detail {
            let d = self.detail.get_or_insert_with(Default::default);
            d.processes.entry((intern(name), None)).or_default().add(state);
        }
    }

    /// Folds the counted values of one socket row (the fast lane's rows
    /// and full records alike, so both count the same way).
    #[inline(always)]
    pub fn add_counted<'a>(&mut self, r: &CountedRow<'a>, intern: &mut impl FnMut(&'a [u8]) -> AddrKey) {
        self.rows += 1;
        self.protos[r.proto as usize] += 1;
        self.families[r.family as usize] += 1;
        if r.proto == Proto::Tcp {
            self.states[r.state as usize] += 1;
        }
        self.truncated_addrs += r.truncated as u64;
        match r.remote {
            Peer::V4(v) => *self.remote4.entry(v).or_default() += 1,
            Peer::Text(a) => *self.remote.entry(intern(a)).or_default() += 1,
            Peer::None => {}
        }
        if let Some(p) = r.local_port {
            self.local_ports.add(p, 1);
        }
    }

    /// Folds one conntrack entry.
    #[inline]
    pub fn add_conntrack<'a>(
        &mut self,
        r: &ConntrackRecord<'a>,
        cfg: &FoldCfg,
        intern: &mut impl FnMut(&'a [u8]) -> AddrKey,
    ) {
        self.rows += 1;
        self.protos[r.proto as usize] += 1;
        self.families[r.family as usize] += 1;
        if r.proto == Proto::Tcp {
            self.ct_states[r.state as usize] += 1;
        }
        *self.remote.entry(intern(r.orig.dst)).or_default() += 1;
        *self.ct_src.entry(intern(r.orig.src)).or_default() += 1;
        if let Some(p) = r.orig.dport {
            self.local_ports.add(p, 1);
        }
        if r.flags & ct_flags::ASSURED != 0 {
            self.ct_flags[0] += 1;
        }
        if r.flags & ct_flags::UNREPLIED != 0 {
            self.ct_flags[1] += 1;
        }
        if r.flags & ct_flags::OFFLOAD != 0 {
            self.ct_flags[2] += 1;
        }
        if cfg.detail {
            self.detail.get_or_insert_with(Default::default).add_conntrack(r, intern);
        }
    }

    /// Remote peers with their row counts, `remote4` turned into keys.
    pub fn remote_counts(&self) -> Vec<(AddrKey, u64)> {
        let mut v = Vec::with_capacity(self.remote.len() + self.remote4.len());
        v.extend(self.remote.iter().map(|(a, c)| (*a, *c)));
        v.extend(self.remote4.iter().map(|(a, c)| (AddrKey::ipv4(*a), *c)));
        v
    }

    /// Number of distinct remote peers.
    pub fn remote_distinct(&self) -> u64 {
        (self.remote.len() + self.remote4.len()) as u64
    }

    /// Merges `o`, translating its address ids through `remap`.
    pub fn merge_from(&mut self, o: &KindAcc, remap: &[AddrId]) {
        self.rows += o.rows;
        add_arrays(&mut self.states, &o.states);
        add_arrays(&mut self.ct_states, &o.ct_states);
        add_arrays(&mut self.protos, &o.protos);
        add_arrays(&mut self.families, &o.families);
        add_arrays(&mut self.ct_flags, &o.ct_flags);
        self.truncated_addrs += o.truncated_addrs;
        for (k, c) in &o.remote {
            *self.remote.entry(k.remap(remap)).or_default() += c;
        }
        for (k, c) in &o.remote4 {
            *self.remote4.entry(*k).or_default() += c;
        }
        self.local_ports.merge(&o.local_ports);
        for (k, c) in &o.ct_src {
            *self.ct_src.entry(k.remap(remap)).or_default() += c;
        }
        if let Some(d) = &o.detail {
            self.detail.get_or_insert_with(Default::default).merge_from(d, remap);
        }
    }

    /// Replaces long-address ids through `remap` (chunk ids → file ids).
    pub fn remap(&mut self, remap: &[AddrId]) {
        if remap.is_empty() {
            return;
        }
        let remote = std::mem::replace(&mut self.remote, fast_map());
        for (k, c) in remote {
            self.remote.insert(k.remap(remap), c);
        }
        let src = std::mem::replace(&mut self.ct_src, fast_map());
        for (k, c) in src {
            self.ct_src.insert(k.remap(remap), c);
        }
        if let Some(d) = self.detail.take() {
            let mut fresh = DetailAcc::default();
            fresh.merge_from(&d, remap);
            self.detail = Some(Box::new(fresh));
        }
    }
}

fn add_arrays<const N: usize>(a: &mut [u64; N], b: &[u64; N]) {
    for (x, y) in a.iter_mut().zip(b.iter()) {
        *x += y;
    }
}

/// Counts per port. Small sets (a loop's snapshots, a conntrack dump's
/// destinations) stay a map; past [`PortCounts::DENSE_AT`] distinct ports
/// (a large table, where every ephemeral port shows up) the counts move to
/// one array slot per port, which is cheaper than hashing per row and no
/// larger than the map it replaces.
#[derive(Debug, Clone, Default)]
pub struct PortCounts {
    sparse: FastMap<u16, u64>,
    dense: Option<Box<[u64]>>,
    /// Distinct ports in `dense`.
    dense_len: usize,
}

impl PortCounts {
    pub const DENSE_AT: usize = 8192;

    #[inline(always)]
    pub fn add(&mut self, port: u16, n: u64) {
        match &mut self.dense {
            Some(d) => {
                let slot = &mut d[port as usize];
                self.dense_len += (*slot == 0) as usize;
                *slot += n;
            }
            None => {
                *self.sparse.entry(port).or_default() += n;
                if self.sparse.len() > Self::DENSE_AT {
                    self.densify();
                }
            }
        }
    }

    #[cold]
    fn densify(&mut self) {
        let mut d = vec![0u64; 1 << 16].into_boxed_slice();
        for (p, c) in self.sparse.drain() {
            d[p as usize] = c;
        }
        self.dense_len = d.iter().filter(|c| **c > 0).count();
        self.sparse = fast_map();
        self.dense = Some(d);
    }

    pub fn merge(&mut self, o: &PortCounts) {
        if o.dense.is_some() && self.dense.is_none() {
            self.densify();
        }
        match (&mut self.dense, &o.dense) {
            (Some(d), Some(od)) => {
                for (a, b) in d.iter_mut().zip(od.iter()) {
                    *a += b;
                }
                self.dense_len = d.iter().filter(|c| **c > 0).count();
            }
            _ => {
                for (p, c) in o.iter() {
                    self.add(p, c);
                }
            }
        }
    }

    /// The count of one port (0 if never seen).
    pub fn get(&self, port: u16) -> u64 {
        match &self.dense {
            Some(d) => d[port as usize],
            None => self.sparse.get(&port).copied().unwrap_or(0),
        }
    }

    /// Number of distinct ports.
    pub fn len(&self) -> usize {
        match &self.dense {
            Some(_) => self.dense_len,
            None => self.sparse.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// (port, count) of every port seen, in no particular order.
    pub fn iter(&self) -> Box<dyn Iterator<Item = (u16, u64)> + '_> {
        match &self.dense {
            Some(d) => Box::new(d.iter().enumerate().filter(|(_, c)| **c > 0).map(|(p, c)| (p as u16, *c))),
            None => Box::new(self.sparse.iter().map(|(p, c)| (*p, *c))),
        }
    }
}

/// All accumulators of one snapshot segment.
#[derive(Debug, Clone, Default)]
pub struct SegmentAcc {
    pub kinds: [Option<Box<KindAcc>>; Kind::COUNT],
    pub sockstat: Option<crate::parse::ss::Sockstat>,
    /// Rows recognized but not modelled (UNIX sockets...).
    pub ignored_rows: u64,
    pub ct_trailer: Option<u64>,
}

impl SegmentAcc {
    #[inline]
    pub fn kind_mut(&mut self, k: Kind) -> &mut KindAcc {
        self.kinds[k as usize].get_or_insert_with(Default::default)
    }

    pub fn has_content(&self) -> bool {
        self.kinds.iter().any(|k| k.as_ref().is_some_and(|k| k.rows > 0)) || self.sockstat.is_some()
    }

    pub fn merge_from(&mut self, o: &SegmentAcc, remap: &[AddrId]) {
        for (i, k) in o.kinds.iter().enumerate() {
            if let Some(k) = k {
                self.kinds[i].get_or_insert_with(Default::default).merge_from(k, remap);
            }
        }
        if let Some(s) = &o.sockstat {
            self.sockstat.get_or_insert_with(Default::default).merge(s);
        }
        self.ignored_rows += o.ignored_rows;
        if let Some(n) = o.ct_trailer {
            let t = self.ct_trailer.get_or_insert(0);
            *t = t.saturating_add(n);
        }
    }

    pub fn remap(&mut self, remap: &[AddrId]) {
        for k in self.kinds.iter_mut().flatten() {
            k.remap(remap);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{Line, LineState, Section, classify};

    fn fold(lines: &[&str]) -> (SegmentAcc, Interner) {
        let mut acc = SegmentAcc::default();
        let mut names = Interner::default();
        let mut st = LineState::new(None);
        st.section = Section::Inet;
        for l in lines {
            let mut intern = |s: &[u8]| names.intern(s);
            match classify(l.as_bytes(), &mut st) {
                Line::Socket(r) => acc.kind_mut(r.kind).add_socket(&r, &FoldCfg::default(), &mut intern),
                Line::Conntrack(r) => {
                    acc.kind_mut(Kind::Conntrack).add_conntrack(&r, &FoldCfg::default(), &mut intern)
                }
                other => panic!("{l}: {other:?}"),
            }
        }
        (acc, names)
    }

    #[test]
    fn port_counts_agree_in_both_representations() {
        let (mut a, mut b, mut want) = (PortCounts::default(), PortCounts::default(), FastMap::default());
        let mut x: u32 = 7;
        for i in 0..40_000u32 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let p = (x >> 16) as u16;
            *want.entry(p).or_insert(0u64) += 1;
            if i % 3 == 0 { a.add(p, 1) } else { b.add(p, 1) }
        }
        assert!(b.dense.is_some());
        let mut small = PortCounts::default();
        small.add(443, 5);
        small.add(80, 1);
        *want.entry(443).or_insert(0) += 5;
        *want.entry(80).or_insert(0) += 1;
        // Sparse into dense, dense into sparse, and dense into dense.
        a.merge(&small);
        let mut all = PortCounts::default();
        all.merge(&a);
        all.merge(&b);
        let got: FastMap<u16, u64> = all.iter().collect();
        assert_eq!(got, want);
        assert_eq!(all.len(), want.len());
        assert_eq!(all.get(443), want[&443]);
    }

    #[test]
    fn counts_states_peers_and_ports() {
        let (acc, names) = fold(&[
            "ESTAB 0 0 10.0.0.1:443 10.0.0.9:5000",
            "ESTAB 0 0 10.0.0.1:443 10.0.0.9:5001",
            "TIME-WAIT 0 0 10.0.0.1:443 [::ffff:10.0.0.8]:5002",
            "LISTEN 0 128 0.0.0.0:443 0.0.0.0:*",
        ]);
        let k = acc.kinds[Kind::Ss as usize].as_ref().unwrap();
        assert_eq!(k.rows, 4);
        assert_eq!(k.states[TcpState::Established as usize], 2);
        assert_eq!(k.states[TcpState::TimeWait as usize], 1);
        // The wildcard peer of the listener is not a peer.
        assert_eq!(k.remote_distinct(), 2);
        let remote: std::collections::HashMap<_, _> = k.remote_counts().into_iter().collect();
        assert_eq!(remote[&AddrKey::inline(b"10.0.0.9").unwrap()], 2);
        assert_eq!(k.local_ports.get(443), 4);
        let _ = names;
    }

    #[test]
    fn merge_is_associative_over_remapped_ids() {
        let lines = [
            "ESTAB 0 0 10.0.0.1:443 10.0.0.9:5000",
            "ESTAB 0 0 10.0.0.1:443 10.0.0.7:5001",
            "CLOSE-WAIT 0 0 10.0.0.1:443 10.0.0.9:5002",
        ];
        let (whole, names) = fold(&lines);
        let (a, na) = fold(&lines[..1]);
        let (b, nb) = fold(&lines[1..]);
        let mut global = Interner::default();
        let ra: Vec<_> = na.names.iter().map(|n| global.intern_long(n)).collect();
        let rb: Vec<_> = nb.names.iter().map(|n| global.intern_long(n)).collect();
        let mut merged = SegmentAcc::default();
        merged.merge_from(&a, &ra);
        merged.merge_from(&b, &rb);
        let (w, m) = (whole.kinds[1].as_ref().unwrap(), merged.kinds[1].as_ref().unwrap());
        assert_eq!(w.states, m.states);
        let by_name = |k: &KindAcc, n: &Interner| {
            let mut v: Vec<(Vec<u8>, u64)> =
                k.remote_counts().iter().map(|(id, c)| (n.name(id).to_vec(), *c)).collect();
            v.sort();
            v
        };
        assert_eq!(by_name(w, &names), by_name(m, &global));
    }
}
