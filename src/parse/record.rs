//! Borrowed records: what one line of a socket table or conntrack dump says.
//!
//! A record points into the line it came from; nothing is copied until a
//! consumer needs to keep it (the accumulators intern addresses, the row
//! builder copies into columns).

use crate::model::{CtState, Family, Kind, Proto, TcpState, Timer};

use super::addr::Endpoint;

/// One netstat or ss socket row.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SocketRecord<'a> {
    pub kind: Kind,
    pub proto: Proto,
    pub family: Family,
    pub state: TcpState,
    /// The state word as printed (empty if the column was empty).
    pub state_raw: &'a [u8],
    pub recv_q: Option<u64>,
    pub send_q: Option<u64>,
    pub local: Endpoint<'a>,
    pub remote: Endpoint<'a>,
    /// Process column (netstat `PID/Program name` or ss `users:(...)`),
    /// parsed on demand by [`SocketRecord::process`].
    pub process_raw: &'a [u8],
    /// Timer column (netstat `-o` `on (0.20/3/0)`, ss `timer:(on,200ms,3)`).
    pub timer: Option<Timer>,
    pub uid: Option<u32>,
    pub inode: Option<u64>,
}

/// A process that owns a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Process<'a> {
    pub pid: Option<u32>,
    pub name: &'a [u8],
}

impl<'a> SocketRecord<'a> {
    /// The first owning process, if the capture shows one.
    pub fn process(&self) -> Option<Process<'a>> {
        match self.kind {
            Kind::Ss => super::ss::first_user(self.process_raw),
            _ => super::netstat::pid_program(self.process_raw),
        }
    }
}

/// One conntrack tuple (`src= dst= sport= dport=`, or ICMP `type= code= id=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tuple<'a> {
    pub src: &'a [u8],
    pub dst: &'a [u8],
    pub sport: Option<u16>,
    pub dport: Option<u16>,
    pub packets: Option<u64>,
    pub bytes: Option<u64>,
}

/// One conntrack entry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConntrackRecord<'a> {
    pub family: Family,
    pub proto: Proto,
    /// Protocol number as printed (`6`, `17`, `2` for IGMP...).
    pub proto_num: u16,
    /// Seconds left; `None` for `[OFFLOAD]` entries.
    pub timeout: Option<u32>,
    pub state: CtState,
    pub orig: Tuple<'a>,
    pub reply: Tuple<'a>,
    /// Bit set of [`crate::model::ct_flags`].
    pub flags: u8,
    pub mark: Option<u32>,
    pub zone: Option<u16>,
    pub use_count: Option<u32>,
    pub secctx: &'a [u8],
    pub id: Option<u32>,
}
