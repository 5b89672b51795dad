//! Row-level signals, kept while the inputs are read: the rules that look
//! at single sockets (timers, queues, owners, 4-tuples) need more than the
//! per-snapshot rankings hold. A [`RowSink`] for the `sockets` table; every
//! map is keyed by snapshot and holds only rows that matter (retransmitting,
//! full queues, unowned CLOSE_WAIT, FIN_WAIT2), each bounded.

use std::collections::HashMap;
use std::sync::Mutex;

use polars::prelude::*;

use crate::model::{Kind, TcpState, TimerKind};
use crate::parse::record::SocketRecord;
use crate::table::{RowSink, Schema};

/// Bytes of Recv-Q or Send-Q that count as a full queue (tcp-facts R15).
pub const QUEUE_FULL: u64 = 1 << 20;
/// Retransmissions that count as retransmitting (tcp-facts R16).
pub const RETRANS_MIN: u32 = 3;
/// Entries kept per map; past it, new keys are counted, not kept.
pub const MAX_KEYS: usize = 1 << 17;

/// A snapshot: (source, tool, index).
pub type SnapKey = (u32, Kind, u32);

/// What the sink kept.
#[derive(Debug, Default)]
pub struct Signals {
    /// ESTABLISHED and CLOSE_WAIT sockets with the retransmit timer on and
    /// ≥ [`RETRANS_MIN`] retries, per snapshot and remote address.
    pub retrans: HashMap<(SnapKey, String), u64>,
    /// ESTABLISHED sockets with Recv-Q (`false`) or Send-Q (`true`) ≥
    /// [`QUEUE_FULL`], per snapshot, queue and owner (the process, or the
    /// remote address when no process is shown).
    pub queues: HashMap<(SnapKey, bool, String), u64>,
    /// CLOSE_WAIT sockets with no owning process, per snapshot and local
    /// port.
    pub unowned_close_wait: HashMap<(SnapKey, u16), u64>,
    /// FIN_WAIT2 4-tuples: (source, tool, hash of the 4-tuple) → where
    /// they were seen. Hashed (64 bits: a collision among a few hundred
    /// thousand tuples is vanishingly unlikely) so a long loop's tuples
    /// cost 40 bytes each, not a string.
    pub fin_wait2: HashMap<(u32, Kind, u64), Fw2>,
    /// Remote addresses of the FIN_WAIT2 tuples, by [`Fw2::remote`].
    pub remotes: Vec<String>,
    remote_ids: HashMap<String, u32>,
    /// SYN_RECV per snapshot and local port: (sockets, distinct remote
    /// addresses). Snapshots with fewer than [`SYN_RECV_KEEP`] are dropped
    /// once complete.
    pub syn_recv: HashMap<(SnapKey, u16), (u64, u64)>,
    /// The remote addresses (hashed) of the SYN_RECV entries still open.
    syn_recv_sources: HashMap<(SnapKey, u16), std::collections::HashSet<u64>>,
    /// Both ends of connections in FIN_WAIT2, CLOSE_WAIT, SYN_SENT and
    /// SYN_RECV: (source, state code, hash of the connection with its two
    /// endpoints in a fixed order) → the local port. The same connection
    /// seen from its two hosts hashes alike (without NAT between them).
    pub ends: HashMap<(u32, &'static str, u64), u16>,
    /// Keys not kept past [`MAX_KEYS`].
    pub untracked: u64,
}

/// Where one FIN_WAIT2 4-tuple was seen.
#[derive(Debug, Clone, Copy)]
pub struct Fw2 {
    pub first: u32,
    pub last: u32,
    /// Snapshots it was seen in.
    pub seen: u32,
    /// Index into [`Signals::remotes`].
    pub remote: u32,
}

/// Unowned CLOSE_WAIT below this in a finished snapshot is dropped as the
/// rows stream (the rule needs 10: tcp-facts R5).
const UNOWNED_KEEP: u64 = 10;

/// SYN_RECV on one port below which a finished snapshot is not kept (the
/// rule looks from 128 up: tcp-facts R8 warns from 256).
const SYN_RECV_KEEP: u64 = 128;

/// The sink handed to ingestion.
#[derive(Debug, Default)]
pub struct SignalSink(Mutex<Signals>);

impl SignalSink {
    pub fn into_signals(self) -> Signals {
        self.0.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

fn bump<K: std::hash::Hash + Eq>(m: &mut HashMap<K, u64>, k: K, untracked: &mut u64) {
    if let Some(v) = m.get_mut(&k) {
        *v += 1;
    } else if m.len() < MAX_KEYS {
        m.insert(k, 1);
    } else {
        *untracked += 1;
    }
}

impl Signals {
    fn add(&mut self, source: u32, df: &DataFrame) -> PolarsResult<()> {
        let kind = df.column("kind")?.str()?;
        let index = df.column("index")?.u32()?;
        let state = df.column("state")?.str()?;
        let local = df.column("local_addr")?.str()?;
        let lport = df.column("local_port")?.u16()?;
        let remote = df.column("remote_addr")?.str()?;
        let rport = df.column("remote_port")?.u16()?;
        let recv_q = df.column("recv_q")?.u64()?;
        let send_q = df.column("send_q")?.u64()?;
        let process = df.column("process")?.str()?;
        let retrans = df.column("retrans")?.u32()?;
        let timer = df.column("timer")?.str()?;
        let mut untracked = 0;
        let mut last_kind: Option<(&str, Kind)> = None;
        for i in 0..df.height() {
            let (Some(k), Some(ix), Some(st)) = (kind.get(i), index.get(i), state.get(i)) else { continue };
            let kind = match last_kind {
                Some((name, k2)) if name == k => k2,
                _ => {
                    let k2 = super::data::kind_of(k);
                    last_kind = Some((k, k2));
                    k2
                }
            };
            let snap = (source, kind, ix);
            let owner = process.get(i);
            let remote_addr = remote.get(i).unwrap_or("");
            // Data-phase sockets only: handshake retries are SYN_SENT_HIGH's
            // and SYN_RECV_HIGH's signal, FIN retries CLOSING_STATES_STUCK's.
            if matches!(st, "ESTABLISHED" | "CLOSE_WAIT")
                && timer.get(i) == Some("on")
                && retrans.get(i).is_some_and(|r| r >= RETRANS_MIN)
            {
                bump(&mut self.retrans, (snap, remote_addr.to_string()), &mut untracked);
            }
            if let ("FIN_WAIT2" | "CLOSE_WAIT" | "SYN_SENT" | "SYN_RECV", Some(lp), Some(rp)) =
                (st, lport.get(i), rport.get(i))
            {
                use std::hash::{Hash, Hasher};
                let a = (local.get(i).unwrap_or(""), lp);
                let b = (remote_addr, rp);
                let mut h = std::collections::hash_map::DefaultHasher::new();
                if a <= b {
                    (a, b).hash(&mut h)
                } else {
                    (b, a).hash(&mut h)
                }
                let state: &'static str = match st {
                    "FIN_WAIT2" => "FIN_WAIT2",
                    "CLOSE_WAIT" => "CLOSE_WAIT",
                    "SYN_SENT" => "SYN_SENT",
                    _ => "SYN_RECV",
                };
                let key = (source, state, h.finish());
                if self.ends.len() < MAX_KEYS || self.ends.contains_key(&key) {
                    self.ends.insert(key, lp);
                } else {
                    untracked += 1;
                }
            }
            match st {
                "ESTABLISHED" => {
                    for (full, q) in [(false, recv_q.get(i)), (true, send_q.get(i))] {
                        if q.is_some_and(|q| q >= QUEUE_FULL) {
                            let who = owner.map_or_else(|| format!("peer {remote_addr}"), str::to_string);
                            bump(&mut self.queues, (snap, full, who), &mut untracked);
                        }
                    }
                }
                "SYN_RECV" => {
                    if let Some(p) = lport.get(i) {
                        use std::hash::{Hash, Hasher};
                        let mut h = std::collections::hash_map::DefaultHasher::new();
                        remote_addr.hash(&mut h);
                        let key = (snap, p);
                        if self.syn_recv.len() < MAX_KEYS || self.syn_recv.contains_key(&key) {
                            let e = self.syn_recv.entry(key).or_default();
                            e.0 += 1;
                            let set = self.syn_recv_sources.entry(key).or_default();
                            if set.insert(h.finish()) {
                                e.1 += 1;
                            }
                        } else {
                            untracked += 1;
                        }
                    }
                }
                "CLOSE_WAIT" if owner.is_none() => {
                    if let Some(p) = lport.get(i) {
                        bump(&mut self.unowned_close_wait, (snap, p), &mut untracked);
                    }
                }
                "FIN_WAIT2" => {
                    use std::hash::{Hash, Hasher};
                    let mut h = std::collections::hash_map::DefaultHasher::new();
                    (local.get(i), lport.get(i), remote_addr, rport.get(i)).hash(&mut h);
                    let key = (source, kind, h.finish());
                    if let Some(e) = self.fin_wait2.get_mut(&key) {
                        if ix != e.last {
                            e.last = ix;
                            e.seen += 1;
                        }
                    } else if self.fin_wait2.len() < MAX_KEYS {
                        let remote = match self.remote_ids.get(remote_addr) {
                            Some(id) => *id,
                            None => {
                                let id = self.remotes.len() as u32;
                                self.remotes.push(remote_addr.to_string());
                                self.remote_ids.insert(remote_addr.to_string(), id);
                                id
                            }
                        };
                        self.fin_wait2.insert(key, Fw2 { first: ix, last: ix, seen: 1, remote });
                    } else {
                        untracked += 1;
                    }
                }
                _ => {}
            }
        }
        self.untracked += untracked;
        // Snapshots before this frame's first are complete: their unowned
        // CLOSE_WAIT below the rule's minimum can go.
        if let Some(first) = index.get(0) {
            let done = |s: u32, ix: u32| s == source && ix < first;
            self.unowned_close_wait.retain(|((s, _, ix), _), n| !done(*s, *ix) || *n >= UNOWNED_KEEP);
            self.syn_recv.retain(|((s, _, ix), _), n| !done(*s, *ix) || n.0 >= SYN_RECV_KEEP);
            // A finished snapshot's count of sources is final.
            self.syn_recv_sources.retain(|((s, _, ix), _), _| !done(*s, *ix));
        }
        Ok(())
    }
}

/// The socket rows the signals look at; the others are never built.
fn wanted(r: &SocketRecord<'_>) -> bool {
    let retransmitting =
        || r.timer.is_some_and(|t| t.kind == TimerKind::On && u32::from(t.retrans) >= RETRANS_MIN);
    match r.state {
        // The two ends of a stuck close or handshake, for matching across
        // hosts (and FIN_WAIT2's persistence, SYN_RECV's sources).
        TcpState::FinWait2 | TcpState::SynRecv | TcpState::SynSent | TcpState::CloseWait => true,
        TcpState::Established => {
            r.recv_q.is_some_and(|q| q >= QUEUE_FULL)
                || r.send_q.is_some_and(|q| q >= QUEUE_FULL)
                || retransmitting()
        }
        _ => false,
    }
}

impl RowSink for SignalSink {
    fn sockets(&self) -> Option<fn(&SocketRecord<'_>) -> bool> {
        Some(wanted)
    }

    fn conntrack_entries(&self) -> bool {
        false
    }

    fn write(&self, table: &'static Schema, source: u32, _path: &str, df: DataFrame) {
        if !std::ptr::eq(table, &crate::table::sockets::SCHEMA) {
            return;
        }
        let mut s = self.0.lock().unwrap_or_else(|e| e.into_inner());
        // The frame is built from our own schema: a missing column is a
        // bug caught by the tests, not something input can cause.
        let _ = s.add(source, &df);
    }
}
