//! The domain vocabulary shared by parsers, accumulators and outputs.
//!
//! Everything here is small and `Copy` on purpose: the hot path folds
//! millions of rows per second into counters keyed by these codes, so a
//! state is a `u8`, a protocol is a `u8`, a port is a `u16`.

use serde::Serialize;

/// The canonical TCP socket state.
///
/// netstat (`TIME_WAIT`), ss (`TIME-WAIT`), BSD (`SYN_RCVD`, `FIN_WAIT_1`,
/// `CLOSED`), Windows (`LISTENING`) and Solaris spellings all map here.
/// `Unconn` and `None` cover rows that have no TCP state (UDP, raw);
/// `Unknown` is a well-formed state word we do not know (a localized
/// net-tools build, raw socket numbers like `7`): counted, never rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Default)]
#[repr(u8)]
pub enum TcpState {
    Established = 0,
    SynSent,
    SynRecv,
    FinWait1,
    FinWait2,
    TimeWait,
    Close,
    CloseWait,
    LastAck,
    Listen,
    Closing,
    /// ss `UNCONN` on a datagram socket.
    Unconn,
    /// No state column (UDP in netstat, raw sockets).
    #[default]
    None,
    Unknown,
}

impl TcpState {
    /// Number of distinct codes; accumulators size their arrays with it.
    pub const COUNT: usize = 14;

    /// The canonical TCP states in the one order every output lists them:
    /// the order a connection lives through them.
    pub const LIFECYCLE: [TcpState; 11] = [
        TcpState::Listen,
        TcpState::SynSent,
        TcpState::SynRecv,
        TcpState::Established,
        TcpState::FinWait1,
        TcpState::FinWait2,
        TcpState::CloseWait,
        TcpState::Closing,
        TcpState::LastAck,
        TcpState::TimeWait,
        TcpState::Close,
    ];

    /// All states in code order.
    pub const ALL: [TcpState; Self::COUNT] = [
        TcpState::Established,
        TcpState::SynSent,
        TcpState::SynRecv,
        TcpState::FinWait1,
        TcpState::FinWait2,
        TcpState::TimeWait,
        TcpState::Close,
        TcpState::CloseWait,
        TcpState::LastAck,
        TcpState::Listen,
        TcpState::Closing,
        TcpState::Unconn,
        TcpState::None,
        TcpState::Unknown,
    ];

    /// Canonical (netstat-style) name used in every output.
    pub const fn name(self) -> &'static str {
        match self {
            TcpState::Established => "ESTABLISHED",
            TcpState::SynSent => "SYN_SENT",
            TcpState::SynRecv => "SYN_RECV",
            TcpState::FinWait1 => "FIN_WAIT1",
            TcpState::FinWait2 => "FIN_WAIT2",
            TcpState::TimeWait => "TIME_WAIT",
            TcpState::Close => "CLOSE",
            TcpState::CloseWait => "CLOSE_WAIT",
            TcpState::LastAck => "LAST_ACK",
            TcpState::Listen => "LISTEN",
            TcpState::Closing => "CLOSING",
            TcpState::Unconn => "UNCONN",
            TcpState::None => "NONE",
            TcpState::Unknown => "UNKNOWN",
        }
    }

    pub const fn code(self) -> u8 {
        self as u8
    }

    pub fn from_code(code: u8) -> TcpState {
        Self::ALL.get(code as usize).copied().unwrap_or(TcpState::Unknown)
    }

    /// Reads any tool's spelling. Returns `None` when the word does not
    /// look like a state at all (so a caller can try another column).
    #[inline]
    pub fn from_word(w: &[u8]) -> Option<TcpState> {
        use TcpState::*;
        // Runs on every row: compare the word as one integer (up to 16
        // bytes packed with its length) instead of a chain of memcmp calls.
        // Every state word starts with an upper-case letter; queue columns
        // and addresses (the usual non-matches) are turned away here.
        if !w.first().is_some_and(u8::is_ascii_uppercase) {
            return Option::None;
        }
        let k = pack(w)?;
        const T: [(u128, TcpState); 29] = [
            (pack_const(b"ESTAB"), Established),
            (pack_const(b"ESTABLISHED"), Established),
            (pack_const(b"TIME-WAIT"), TimeWait),
            (pack_const(b"TIME_WAIT"), TimeWait),
            (pack_const(b"LISTEN"), Listen),
            (pack_const(b"LISTENING"), Listen),
            (pack_const(b"CLOSE-WAIT"), CloseWait),
            (pack_const(b"CLOSE_WAIT"), CloseWait),
            (pack_const(b"SYN-SENT"), SynSent),
            (pack_const(b"SYN_SENT"), SynSent),
            (pack_const(b"SYN-RECV"), SynRecv),
            (pack_const(b"SYN_RECV"), SynRecv),
            (pack_const(b"SYN_RCVD"), SynRecv),
            (pack_const(b"SYN_RECEIVED"), SynRecv),
            (pack_const(b"FIN-WAIT-1"), FinWait1),
            (pack_const(b"FIN_WAIT1"), FinWait1),
            (pack_const(b"FIN_WAIT_1"), FinWait1),
            (pack_const(b"FIN-WAIT-2"), FinWait2),
            (pack_const(b"FIN_WAIT2"), FinWait2),
            (pack_const(b"FIN_WAIT_2"), FinWait2),
            (pack_const(b"LAST-ACK"), LastAck),
            (pack_const(b"LAST_ACK"), LastAck),
            (pack_const(b"CLOSING"), Closing),
            (pack_const(b"CLOSE"), Close),
            (pack_const(b"CLOSED"), Close),
            (pack_const(b"UNCONN"), Unconn),
            (pack_const(b"UNKNOWN"), Unknown),
            // Solaris: a TCP endpoint that is bound or merely created.
            (pack_const(b"BOUND"), Close),
            (pack_const(b"IDLE"), Close),
        ];
        T.iter().find(|(c, _)| *c == k).map(|(_, s)| *s)
    }

    /// True for the states a TCP state distribution reports.
    pub const fn is_tcp_state(self) -> bool {
        !matches!(self, TcpState::Unconn | TcpState::None)
    }
}

/// A word of up to 15 bytes as one integer (bytes, then the length in the
/// top byte); `None` if longer.
#[inline(always)]
pub fn pack(w: &[u8]) -> Option<u128> {
    let (lo, hi) = pack_words(w)?;
    Some(u128::from(lo) | (u128::from(hi) << 64))
}

/// The bytes of `w` (≤ 15) zero-padded into two little-endian words, the
/// length in the top byte of the second. Built from at most four
/// overlapping fixed-size loads instead of a variable-length copy (this
/// runs for every address and state word).
#[inline(always)]
pub fn pack_words(w: &[u8]) -> Option<(u64, u64)> {
    let n = w.len();
    let (lo, hi) = match n {
        16.. => return None,
        8.. => {
            let lo = u64::from_le_bytes(w[..8].try_into().ok()?);
            // The last 8 bytes overlap `lo`; keep only bytes 8..n.
            let tail = u64::from_le_bytes(w[n - 8..].try_into().ok()?);
            let hi = if n == 8 { 0 } else { tail >> (8 * (16 - n)) };
            (lo, hi)
        }
        4.. => {
            let a = u32::from_le_bytes(w[..4].try_into().ok()?) as u64;
            let b = u32::from_le_bytes(w[n - 4..].try_into().ok()?) as u64;
            // `b` holds bytes n-4..n; place them at n-4.
            (a | (b << (8 * (n - 4))), 0)
        }
        _ => {
            let mut lo = 0u64;
            for (i, &c) in w.iter().enumerate() {
                lo |= (c as u64) << (8 * i);
            }
            (lo, 0)
        }
    };
    Some((lo, hi | ((n as u64) << 56)))
}

/// [`pack`] for constants.
pub const fn pack_const(w: &[u8]) -> u128 {
    let mut b = [0u8; 16];
    let mut i = 0;
    while i < w.len() && i < 15 {
        b[i] = w[i];
        i += 1;
    }
    b[15] = w.len() as u8;
    u128::from_le_bytes(b)
}

/// Transport protocol of a socket or flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Default)]
#[repr(u8)]
pub enum Proto {
    Tcp = 0,
    Udp,
    Raw,
    Sctp,
    Icmp,
    Icmpv6,
    Udplite,
    Dccp,
    Gre,
    Mptcp,
    #[default]
    Other,
}

impl Proto {
    pub const COUNT: usize = 11;
    pub const ALL: [Proto; Self::COUNT] = [
        Proto::Tcp,
        Proto::Udp,
        Proto::Raw,
        Proto::Sctp,
        Proto::Icmp,
        Proto::Icmpv6,
        Proto::Udplite,
        Proto::Dccp,
        Proto::Gre,
        Proto::Mptcp,
        Proto::Other,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
            Proto::Raw => "raw",
            Proto::Sctp => "sctp",
            Proto::Icmp => "icmp",
            Proto::Icmpv6 => "icmpv6",
            Proto::Udplite => "udplite",
            Proto::Dccp => "dccp",
            Proto::Gre => "gre",
            Proto::Mptcp => "mptcp",
            Proto::Other => "other",
        }
    }

    pub fn from_code(code: u8) -> Proto {
        Self::ALL.get(code as usize).copied().unwrap_or(Proto::Other)
    }

    /// Conntrack and /etc/protocols names.
    pub fn from_name(w: &[u8]) -> Option<Proto> {
        Some(match w {
            b"tcp" => Proto::Tcp,
            b"udp" => Proto::Udp,
            b"raw" => Proto::Raw,
            b"sctp" => Proto::Sctp,
            b"icmp" => Proto::Icmp,
            b"icmpv6" => Proto::Icmpv6,
            b"udplite" => Proto::Udplite,
            b"dccp" => Proto::Dccp,
            b"gre" => Proto::Gre,
            b"mptcp" => Proto::Mptcp,
            _ => return None,
        })
    }
}

/// IP family. `Unknown` when a row shows a resolved host name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Default)]
#[repr(u8)]
pub enum Family {
    V4 = 0,
    V6,
    #[default]
    Unknown,
}

impl Family {
    pub const fn name(self) -> &'static str {
        match self {
            Family::V4 => "ipv4",
            Family::V6 => "ipv6",
            Family::Unknown => "unknown",
        }
    }
    pub fn from_code(code: u8) -> Family {
        match code {
            0 => Family::V4,
            1 => Family::V6,
            _ => Family::Unknown,
        }
    }
}

/// Which tool produced a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Default)]
#[serde(rename_all = "lowercase")]
#[repr(u8)]
pub enum Kind {
    #[default]
    Netstat = 0,
    Ss,
    Conntrack,
}

impl Kind {
    pub const COUNT: usize = 3;
    pub const ALL: [Kind; 3] = [Kind::Netstat, Kind::Ss, Kind::Conntrack];
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Netstat => "netstat",
            Kind::Ss => "ss",
            Kind::Conntrack => "conntrack",
        }
    }
}

/// Conntrack's own state vocabulary: the middlebox view of a flow, not a
/// socket state (tcp-facts A2). TCP, SCTP and DCCP states share one code
/// space; protocols without states use `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Default)]
#[repr(u8)]
pub enum CtState {
    #[default]
    None = 0,
    SynSent,
    SynRecv,
    Established,
    FinWait,
    CloseWait,
    LastAck,
    TimeWait,
    Close,
    SynSent2,
    // SCTP
    Closed,
    CookieWait,
    CookieEchoed,
    ShutdownSent,
    ShutdownRecd,
    ShutdownAckSent,
    HeartbeatSent,
    HeartbeatAcked,
    // DCCP
    Request,
    Respond,
    PartOpen,
    Open,
    CloseReq,
    Closing,
    Invalid,
    Ignore,
    Unknown,
}

impl CtState {
    pub const COUNT: usize = 27;

    pub const fn from_code(code: u8) -> CtState {
        use CtState::*;
        const ALL: [CtState; CtState::COUNT] = [
            None,
            SynSent,
            SynRecv,
            Established,
            FinWait,
            CloseWait,
            LastAck,
            TimeWait,
            Close,
            SynSent2,
            Closed,
            CookieWait,
            CookieEchoed,
            ShutdownSent,
            ShutdownRecd,
            ShutdownAckSent,
            HeartbeatSent,
            HeartbeatAcked,
            Request,
            Respond,
            PartOpen,
            Open,
            CloseReq,
            Closing,
            Invalid,
            Ignore,
            Unknown,
        ];
        if (code as usize) < ALL.len() { ALL[code as usize] } else { Unknown }
    }

    pub const fn name(self) -> &'static str {
        use CtState::*;
        match self {
            None => "NONE",
            SynSent => "SYN_SENT",
            SynRecv => "SYN_RECV",
            Established => "ESTABLISHED",
            FinWait => "FIN_WAIT",
            CloseWait => "CLOSE_WAIT",
            LastAck => "LAST_ACK",
            TimeWait => "TIME_WAIT",
            Close => "CLOSE",
            SynSent2 => "SYN_SENT2",
            Closed => "CLOSED",
            CookieWait => "COOKIE_WAIT",
            CookieEchoed => "COOKIE_ECHOED",
            ShutdownSent => "SHUTDOWN_SENT",
            ShutdownRecd => "SHUTDOWN_RECD",
            ShutdownAckSent => "SHUTDOWN_ACK_SENT",
            HeartbeatSent => "HEARTBEAT_SENT",
            HeartbeatAcked => "HEARTBEAT_ACKED",
            Request => "REQUEST",
            Respond => "RESPOND",
            PartOpen => "PARTOPEN",
            Open => "OPEN",
            CloseReq => "CLOSEREQ",
            Closing => "CLOSING",
            Invalid => "INVALID",
            Ignore => "IGNORE",
            Unknown => "UNKNOWN",
        }
    }

    /// Reads a state word; `None` (the Rust one) if it is not all-caps
    /// state-like, so the caller knows the token was something else.
    pub fn from_word(w: &[u8]) -> Option<CtState> {
        use CtState::*;
        Some(match w {
            b"ESTABLISHED" => Established,
            b"TIME_WAIT" => TimeWait,
            b"SYN_SENT" => SynSent,
            b"SYN_RECV" => SynRecv,
            b"FIN_WAIT" => FinWait,
            b"CLOSE_WAIT" => CloseWait,
            b"LAST_ACK" => LastAck,
            b"CLOSE" => Close,
            b"NONE" => None,
            b"SYN_SENT2" => SynSent2,
            b"CLOSED" => Closed,
            b"COOKIE_WAIT" => CookieWait,
            b"COOKIE_ECHOED" => CookieEchoed,
            b"SHUTDOWN_SENT" => ShutdownSent,
            b"SHUTDOWN_RECD" => ShutdownRecd,
            b"SHUTDOWN_ACK_SENT" => ShutdownAckSent,
            b"HEARTBEAT_SENT" => HeartbeatSent,
            b"HEARTBEAT_ACKED" => HeartbeatAcked,
            b"REQUEST" => Request,
            b"RESPOND" => Respond,
            b"PARTOPEN" => PartOpen,
            b"OPEN" => Open,
            b"CLOSEREQ" => CloseReq,
            b"CLOSING" => Closing,
            b"INVALID" => Invalid,
            b"IGNORE" => Ignore,
            _ if !w.is_empty() && w.iter().all(|b| b.is_ascii_uppercase() || *b == b'_') => Unknown,
            _ => return Option::None,
        })
    }
}

/// Status flags of a conntrack entry, as a bit set.
pub mod ct_flags {
    pub const ASSURED: u8 = 1;
    pub const UNREPLIED: u8 = 2;
    pub const OFFLOAD: u8 = 4;
    pub const HW_OFFLOAD: u8 = 8;
}

/// Kind of socket timer (netstat `-o`, ss `-o`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[repr(u8)]
pub enum TimerKind {
    Off = 0,
    On,
    Keepalive,
    Timewait,
    Probe,
    Other,
}

impl TimerKind {
    pub fn from_word(w: &[u8]) -> TimerKind {
        match w {
            b"off" => TimerKind::Off,
            b"on" => TimerKind::On,
            b"keepalive" => TimerKind::Keepalive,
            b"timewait" => TimerKind::Timewait,
            b"probe" | b"persist" => TimerKind::Probe,
            _ => TimerKind::Other,
        }
    }
    pub const fn name(self) -> &'static str {
        match self {
            TimerKind::Off => "off",
            TimerKind::On => "on",
            TimerKind::Keepalive => "keepalive",
            TimerKind::Timewait => "timewait",
            TimerKind::Probe => "probe",
            TimerKind::Other => "other",
        }
    }
}

/// A socket timer: kind, seconds left, retransmits/probes so far.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Timer {
    pub kind: TimerKind,
    pub seconds: f32,
    pub retrans: u16,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_spelling_maps_to_one_state() {
        for (w, s) in [
            (&b"ESTAB"[..], TcpState::Established),
            (b"ESTABLISHED", TcpState::Established),
            (b"SYN_RCVD", TcpState::SynRecv),
            (b"SYN-RECV", TcpState::SynRecv),
            (b"FIN_WAIT_1", TcpState::FinWait1),
            (b"FIN-WAIT-1", TcpState::FinWait1),
            (b"FIN_WAIT1", TcpState::FinWait1),
            (b"CLOSED", TcpState::Close),
            (b"LISTENING", TcpState::Listen),
            (b"TIME-WAIT", TcpState::TimeWait),
        ] {
            assert_eq!(TcpState::from_word(w), Some(s), "{}", String::from_utf8_lossy(w));
        }
        assert_eq!(TcpState::from_word(b"0.0.0.0:*"), None);
    }

    #[test]
    fn packing_matches_a_plain_copy_for_every_length() {
        let text = b"0123456789abcdefghij";
        for n in 0..=text.len() {
            let w = &text[..n];
            let want = (n <= 15).then(|| {
                let mut b = [0u8; 16];
                b[..n].copy_from_slice(w);
                b[15] = n as u8;
                u128::from_le_bytes(b)
            });
            assert_eq!(pack(w), want, "length {n}");
        }
        assert_eq!(pack(b"ESTAB"), Some(pack_const(b"ESTAB")));
    }

    #[test]
    fn codes_round_trip() {
        for s in TcpState::ALL {
            assert_eq!(TcpState::from_code(s.code()), s);
        }
        for c in 0..CtState::COUNT as u8 {
            assert_eq!(CtState::from_code(c) as u8, c);
            assert_eq!(
                CtState::from_word(CtState::from_code(c).name().as_bytes()),
                Some(CtState::from_code(c))
            );
        }
        for p in Proto::ALL {
            assert_eq!(Proto::from_code(p as u8), p);
        }
    }
}

/// `addr:port`, with an IPv6 address in brackets (`[fd00::1]:443`).
pub fn endpoint_text(addr: &str, port: u16) -> String {
    if addr.contains(':') { format!("[{addr}]:{port}") } else { format!("{addr}:{port}") }
}

/// Where a state name goes in any list of states (one rule for every
/// table, chart and column order): TCP's states in the order of a
/// connection's life ([`TcpState::LIFECYCLE`]), conntrack's own beside
/// their TCP neighbours (FIN_WAIT after FIN_WAIT2, SYN_SENT2 after
/// CLOSE), then NONE and UNKNOWN, then anything else.
pub fn state_rank(name: &str) -> usize {
    const ORDER: [&str; 15] = [
        "LISTEN",
        "SYN_SENT",
        "SYN_RECV",
        "ESTABLISHED",
        "FIN_WAIT1",
        "FIN_WAIT2",
        "FIN_WAIT",
        "CLOSE_WAIT",
        "CLOSING",
        "LAST_ACK",
        "TIME_WAIT",
        "CLOSE",
        "SYN_SENT2",
        "NONE",
        "UNKNOWN",
    ];
    ORDER.iter().position(|o| *o == name).unwrap_or(ORDER.len())
}

#[cfg(test)]
mod order_tests {
    use super::*;

    #[test]
    fn the_state_rank_follows_the_lifecycle() {
        let ranks: Vec<usize> = TcpState::LIFECYCLE.iter().map(|s| state_rank(s.name())).collect();
        assert!(ranks.windows(2).all(|w| w[0] < w[1]), "{ranks:?}");
        assert!(state_rank("UNKNOWN") > state_rank("CLOSE"));
        assert_eq!(state_rank("SCTP_WHATEVER"), 15);
    }
}
