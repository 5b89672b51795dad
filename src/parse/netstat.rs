//! netstat socket rows: Linux net-tools, BusyBox, BSD/macOS, Solaris, Windows.
//!
//! Rows are tokenized on whitespace and read by shape, never sliced at
//! header offsets (overlong addresses push columns right):
//!
//! ```text
//! tcp        0      0 10.0.0.1:22        10.0.0.2:51234     ESTABLISHED 0 23456 1234/sshd: alice keepalive (6.63/0/0)
//! udp6       0      0 :::5353            :::*                           -
//! raw6       0      0 :::58              :::*               7
//! tcp4       0      0  192.168.1.33.22   192.168.1.1.64330  ESTABLISHED
//! 7fb03cb94d505aed cedd0cbf tcp4  0  0  192.168.1.221.5486 140.82.113.26.443  ESTABLISHED
//!   TCP    0.0.0.0:135            0.0.0.0:0              LISTENING
//! 8.8.17.4.1337    8.8.213.120.65472 262140      0 1049920      0 ESTABLISHED
//! ```
//!
//! Layout: optional hex prefix columns (macOS `-A` Socket/Flowhash, FreeBSD
//! `-A` Tcpcb), the protocol, two queue columns (three counters with FreeBSD
//! `-T`, none on Windows), local and foreign address, then an optional
//! state, optional `-e` User and Inode, optional `PID/Program name` (which
//! may contain spaces: `600/sshd: /usr/sbin`) and an optional `-o` timer
//! that itself contains a space (`off (0.00/0/0)`).

use crate::model::{Family, Kind, Proto, TcpState, Timer, TimerKind};

use super::RejectReason;
use super::addr::{distrust_cut_port, parse_endpoint};
use super::record::{Process, SocketRecord};
use super::tokens::{is_hex, parse_u64, split_token, trim_end};

/// Protocol column → (protocol, family hint, BSD-style name).
fn proto_word(t: &[u8]) -> Option<(Proto, Family)> {
    Some(match t {
        b"tcp" | b"TCP" | b"tcp4" => (Proto::Tcp, Family::V4),
        b"tcp6" | b"tcp46" | b"TCPv6" => (Proto::Tcp, Family::V6),
        b"udp" | b"UDP" | b"udp4" => (Proto::Udp, Family::V4),
        b"udp6" | b"udp46" | b"UDPv6" => (Proto::Udp, Family::V6),
        b"raw" | b"raw4" => (Proto::Raw, Family::V4),
        b"raw6" => (Proto::Raw, Family::V6),
        b"udpl" | b"udpl4" => (Proto::Udplite, Family::V4),
        b"udpl6" => (Proto::Udplite, Family::V6),
        b"icm4" | b"icmp" => (Proto::Icmp, Family::V4),
        b"icm6" => (Proto::Icmpv6, Family::V6),
        b"sctp" | b"sctp4" => (Proto::Sctp, Family::V4),
        b"sctp6" | b"sctp46" => (Proto::Sctp, Family::V6),
        b"div" | b"divert" => (Proto::Other, Family::V4),
        _ => return None,
    })
}

/// True if the first token of a line is a netstat protocol column.
pub fn is_proto_word(t: &[u8]) -> bool {
    proto_word(t).is_some()
}

/// Parses a netstat row (line already stripped of `\r` and trailing blanks).
#[inline(always)]
pub fn parse_row(line: &[u8]) -> Result<SocketRecord<'_>, RejectReason> {
    let (t0, rest) = split_token(line).ok_or(RejectReason::Empty)?;
    parse_after_first(line, t0, rest)
}

/// The row once its first token is split off (the classifier has read it
/// already; it is not read twice).
#[inline(always)]
pub fn parse_after_first<'a>(
    line: &'a [u8],
    t0: &'a [u8],
    rest: &'a [u8],
) -> Result<SocketRecord<'a>, RejectReason> {
    let mut rest = rest;
    // macOS/FreeBSD `-A` put kernel pointers before the protocol column
    // (and narrow the address columns to 18 characters).
    let with_a_columns = proto_word(t0).is_none();
    // Find the protocol column: first, or after one or two hex prefixes.
    let (proto, fam_hint) = match proto_word(t0) {
        Some(p) => p,
        None => {
            if !is_hex(t0) || t0.len() < 8 {
                return parse_solaris_row(line);
            }
            let (t1, r1) = split_token(rest).ok_or(RejectReason::TooFewColumns)?;
            if let Some(p) = proto_word(t1) {
                rest = r1;
                p
            } else {
                let (t2, r2) = split_token(r1).ok_or(RejectReason::TooFewColumns)?;
                let p = proto_word(t2).ok_or(RejectReason::UnknownProtocol)?;
                rest = r2;
                p
            }
        }
    };

    // Queue columns: up to three integers before the local address.
    let mut ints = [0u64; 3];
    let mut n_ints = 0;
    let local_tok = loop {
        let (t, r) = split_token(rest).ok_or(RejectReason::TooFewColumns)?;
        rest = r;
        match parse_u64(t) {
            Some(v) if n_ints < 3 => {
                ints[n_ints] = v;
                n_ints += 1;
            }
            Some(_) => return Err(RejectReason::BadAddress),
            None => break t,
        }
    };
    let (recv_q, send_q) = if n_ints == 2 { (Some(ints[0]), Some(ints[1])) } else { (None, None) };
    let mut local = parse_endpoint(local_tok).ok_or(RejectReason::BadAddress)?;
    let (remote_tok, tail) = split_token(rest).ok_or(RejectReason::TooFewColumns)?;
    let mut remote = parse_endpoint(remote_tok).ok_or(RejectReason::BadAddress)?;
    distrust_cut_port(&mut local, local_tok.len(), with_a_columns);
    distrust_cut_port(&mut remote, remote_tok.len(), with_a_columns);

    let mut rec =
        SocketRecord { kind: Kind::Netstat, proto, local, remote, recv_q, send_q, ..Default::default() };
    rec.family = match local.family {
        Family::Unknown => match remote.family {
            Family::Unknown => fam_hint,
            f => f,
        },
        f => f,
    };
    read_tail(trim_end(tail), &mut rec);
    Ok(rec)
}

/// State, `-e` User/Inode, `-p` PID/Program and `-o` Timer after the
/// foreign address.
#[inline]
fn read_tail<'a>(tail: &'a [u8], rec: &mut SocketRecord<'a>) {
    // The usual `netstat -an` tail is one word: the state (or nothing).
    if !tail.iter().any(|&b| super::tokens::is_ws(b)) {
        if !tail.is_empty() {
            set_state(rec, tail);
        }
        if rec.proto == Proto::Tcp && rec.state == TcpState::None {
            rec.state = TcpState::Unknown;
        }
        return;
    }
    let mut tail = tail;
    // Timer last: `word (secs/retrans/probes)`.
    if tail.last() == Some(&b')')
        && let Some(open) = tail.iter().rposition(|&b| b == b'(')
    {
        let before = trim_end(&tail[..open]);
        let word_start = before.iter().rposition(|&b| b == b' ' || b == b'\t').map_or(0, |p| p + 1);
        let word = &before[word_start..];
        if let Some(timer) = parse_timer(word, &tail[open + 1..tail.len() - 1]) {
            rec.timer = Some(timer);
            tail = trim_end(&before[..word_start]);
        }
    }
    // Up to the first `PID/Program` (or `-`) token: state, user, inode.
    let mut pre: [&[u8]; 4] = [b""; 4];
    let mut n_pre = 0;
    let mut cursor = tail;
    loop {
        let start = cursor;
        let Some((t, r)) = split_token(cursor) else { break };
        if t == b"-" || is_pid_program(t) {
            rec.process_raw = trim_leading(start);
            break;
        }
        if n_pre < pre.len() {
            pre[n_pre] = t;
        }
        n_pre += 1;
        cursor = r;
    }
    let all = &pre[..n_pre.min(4)];
    let pre = &all[..all.len().min(3)];
    // Czech net-tools translates LAST_ACK in two words (`POSLEDNÍ ACK`).
    if all.len() >= 2 && TcpState::from_word(all[0]).is_none() {
        let pre = all;
        let (a, b) = (pre[0].as_ptr() as usize, pre[1].as_ptr() as usize + pre[1].len());
        let start = a - tail.as_ptr() as usize;
        let joined = &tail[start..start + (b - a)];
        if !joined.is_ascii()
            && let Some(s) = localized_state(joined)
        {
            rec.state_raw = joined;
            rec.state = s;
            if let [_, _, user, inode] = pre {
                rec.uid = parse_u64(user).and_then(|v| u32::try_from(v).ok());
                rec.inode = parse_u64(inode);
            }
            return;
        }
    }
    match pre.len() {
        0 => {}
        1 => set_state(rec, pre[0]),
        2 if state_word(pre[0]).is_none() => {
            // `-e` on a stateless row: User, Inode.
            rec.uid = parse_u64(pre[0]).and_then(|v| u32::try_from(v).ok());
            rec.inode = parse_u64(pre[1]);
        }
        _ => {
            set_state(rec, pre[0]);
            if pre.len() == 3 && n_pre == 3 {
                rec.uid = parse_u64(pre[1]).and_then(|v| u32::try_from(v).ok());
                rec.inode = parse_u64(pre[2]);
            }
        }
    }
    if rec.proto == Proto::Tcp && rec.state == TcpState::None {
        // A TCP row always has a state; an empty column means the tool
        // printed nothing we could read.
        rec.state = TcpState::Unknown;
    }
}

/// A state word in any tool's spelling, English or localized (net-tools'
/// and Windows' translations, `parse::locale`).
pub fn state_word(w: &[u8]) -> Option<TcpState> {
    TcpState::from_word(w).or_else(|| localized_state(w))
}

#[cold]
#[inline(never)]
fn localized_state(w: &[u8]) -> Option<TcpState> {
    let (canonical, _) = super::locale::state(std::str::from_utf8(w).ok()?)?;
    TcpState::from_word(canonical.as_bytes())
}

/// The state column, in any tool's spelling (Solaris and Windows
/// datagram states included).
fn set_state<'a>(rec: &mut SocketRecord<'a>, w: &'a [u8]) {
    rec.state_raw = w;
    rec.state = state_word(w).unwrap_or(TcpState::Unknown);
    if rec.proto != Proto::Tcp {
        match w {
            b"Idle" | b"Unbound" => rec.state = TcpState::Unconn,
            b"Connected" => rec.state = TcpState::Established,
            _ => {}
        }
    }
}

fn trim_leading(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    s
}

/// `1234/name`: digits, a slash.
fn is_pid_program(t: &[u8]) -> bool {
    match t.iter().position(|&b| b == b'/') {
        Some(p) if p > 0 => t[..p].iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

/// Splits `1234/sshd: /usr/sbin` at the first slash only.
pub fn pid_program(raw: &[u8]) -> Option<Process<'_>> {
    if raw.is_empty() || raw == b"-" {
        return None;
    }
    let slash = raw.iter().position(|&b| b == b'/')?;
    let pid = parse_u64(&raw[..slash]).and_then(|v| u32::try_from(v).ok());
    Some(Process { pid, name: trim_end(&raw[slash + 1..]) })
}

/// `keepalive` + `6.63/0/0`.
fn parse_timer(word: &[u8], inner: &[u8]) -> Option<Timer> {
    let kind = match word {
        b"off" | b"on" | b"keepalive" | b"timewait" | b"probe" | b"unkn" => TimerKind::from_word(word),
        _ => return None,
    };
    let mut parts = inner.split(|&b| b == b'/');
    let secs = parse_f32(parts.next()?)?;
    let retrans = parse_u64(parts.next()?)?;
    Some(Timer { kind, seconds: secs, retrans: retrans.min(u16::MAX as u64) as u16 })
}

/// A short decimal like `59.32`; `None` on anything else.
pub(crate) fn parse_f32(t: &[u8]) -> Option<f32> {
    if t.is_empty() || t.len() > 24 {
        return None;
    }
    std::str::from_utf8(t).ok()?.parse::<f32>().ok().filter(|v| v.is_finite())
}

/// Solaris: no protocol column; TCP rows carry window and queue columns.
fn parse_solaris_row(line: &[u8]) -> Result<SocketRecord<'_>, RejectReason> {
    let (a, rest) = split_token(line).ok_or(RejectReason::Empty)?;
    let (b, mut rest) = split_token(rest).ok_or(RejectReason::TooFewColumns)?;
    let local = parse_endpoint(a).ok_or(RejectReason::UnknownProtocol)?;
    let remote = parse_endpoint(b).ok_or(RejectReason::UnknownProtocol)?;
    // Solaris always prints dot-separated ports; a colon row without a
    // protocol column is something else.
    if a.contains(&b':') && !a.contains(&b'.') {
        return Err(RejectReason::UnknownProtocol);
    }
    let mut ints = [0u64; 4];
    let mut n = 0;
    let state_tok = loop {
        let (t, r) = split_token(rest).ok_or(RejectReason::TooFewColumns)?;
        rest = r;
        match parse_u64(t) {
            Some(v) if n < 4 => {
                ints[n] = v;
                n += 1;
            }
            _ => break t,
        }
    };
    let proto = match n {
        4 => Proto::Tcp,
        0 => Proto::Udp,
        _ => return Err(RejectReason::TooFewColumns),
    };
    if !trim_end(rest).is_empty() {
        return Err(RejectReason::TrailingGarbage);
    }
    let mut rec = SocketRecord {
        kind: Kind::Netstat,
        proto,
        family: local.family,
        local,
        remote,
        ..Default::default()
    };
    if n == 4 {
        // Swind Send-Q Rwind Recv-Q
        rec.send_q = Some(ints[1]);
        rec.recv_q = Some(ints[3]);
    }
    rec.state_raw = state_tok;
    rec.state = match (proto, state_tok) {
        (Proto::Udp, b"Idle" | b"Unbound") => TcpState::Unconn,
        (Proto::Udp, b"Connected") => TcpState::Established,
        _ => match state_word(state_tok) {
            Some(s) => s,
            None => return Err(RejectReason::BadState),
        },
    };
    Ok(rec)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(l: &str) -> SocketRecord<'_> {
        parse_row(l.as_bytes()).unwrap_or_else(|e| panic!("{l}: {e:?}"))
    }

    #[test]
    fn linux_an_row() {
        let r = row("tcp        0      0 10.0.0.1:22             10.0.0.2:51234          ESTABLISHED");
        assert_eq!((r.proto, r.family, r.state), (Proto::Tcp, Family::V4, TcpState::Established));
        assert_eq!((r.recv_q, r.send_q), (Some(0), Some(0)));
        assert_eq!((r.local.port, r.remote.addr), (Some(22), &b"10.0.0.2"[..]));
    }

    #[test]
    fn udp_without_state_and_with_program() {
        let r = row(
            "udp        0      0 0.0.0.0:68              0.0.0.0:*                           1819/udhcpd",
        );
        assert_eq!((r.proto, r.state), (Proto::Udp, TcpState::None));
        assert_eq!(r.process().unwrap().name, b"udhcpd");
        assert_eq!(r.process().unwrap().pid, Some(1819));
    }

    #[test]
    fn program_names_with_spaces_split_at_first_slash() {
        let r = row(
            "tcp        0      0 0.0.0.0:22              0.0.0.0:*               LISTEN      600/sshd: /usr/sbin",
        );
        let p = r.process().unwrap();
        assert_eq!((p.pid, p.name), (Some(600), &b"sshd: /usr/sbin"[..]));
        let r = row("tcp        0      0 127.0.0.1:3000   0.0.0.0:*   LISTEN      12387/Passenger Rac");
        assert_eq!(r.process().unwrap().name, b"Passenger Rac");
    }

    #[test]
    fn neopa_user_inode_program_timer() {
        let r = row(
            "tcp        0      0 10.0.0.5:22      10.0.0.9:50514     ESTABLISHED 0          35443      1016/sshd: core [pr  keepalive (6.63/0/0)",
        );
        assert_eq!((r.uid, r.inode), (Some(0), Some(35443)));
        assert_eq!(r.process().unwrap().name, b"sshd: core [pr");
        let t = r.timer.unwrap();
        assert_eq!((t.kind, t.retrans), (TimerKind::Keepalive, 0));
        assert!((t.seconds - 6.63).abs() < 1e-3);
        let r = row("tcp   0   0 10.0.0.5:80  10.0.0.9:5000  TIME_WAIT   0  0  -   timewait (59.32/0/0)");
        assert_eq!(r.state, TcpState::TimeWait);
        assert_eq!(r.timer.unwrap().kind, TimerKind::Timewait);
        assert!(r.process().is_none());
        let r = row("tcp   0  1 10.0.0.5:4000  10.0.0.9:80  SYN_SENT   1000  0  -   on (0.20/3/0)");
        assert_eq!(r.timer.unwrap().retrans, 3);
    }

    #[test]
    fn udp_with_user_inode_but_no_state() {
        let r = row(
            "udp        0      0 0.0.0.0:68      0.0.0.0:*     0          20863      936/dhclient        off (0.00/0/0)",
        );
        assert_eq!((r.state, r.uid, r.inode), (TcpState::None, Some(0), Some(20863)));
    }

    #[test]
    fn raw_numeric_state_is_unknown_not_rejected() {
        let r = row("raw6       0      0 :::58                   :::*                    7");
        assert_eq!((r.proto, r.state, r.state_raw), (Proto::Raw, TcpState::Unknown, &b"7"[..]));
    }

    #[test]
    fn bsd_rows_with_and_without_prefix_columns() {
        let r = row("tcp4       0      0  192.168.1.33.22        192.168.1.1.64330      ESTABLISHED");
        assert_eq!((r.local.port, r.remote.port, r.state), (Some(22), Some(64330), TcpState::Established));
        let r = row(
            "7fb03cb94d505aed cedd0cbf tcp4       0      0  192.168.1.221.5486 140.82.113.26.443  ESTABLISHED",
        );
        assert_eq!(r.remote.port, Some(443));
        let r = row("fffff80003df43d0 tcp4       3      0      0 192.168.71.1.ssh   192.168.71.1.64330");
        assert_eq!((r.local.port, r.recv_q, r.state), (Some(22), None, TcpState::Unknown));
        let r = row("tcp46      0      0  *.22                   *.*                    LISTEN");
        assert_eq!((r.family, r.state), (Family::V6, TcpState::Listen));
        let r = row("tcp4       0      0  127.0.0.1.25       *.*                SYN_RCVD");
        assert_eq!(r.state, TcpState::SynRecv);
        let r =
            row("fffff80003df43d0 tcp4       0      0 192.168.71.163.22  192.168.71.1.64330 ESTABLISHED -");
        assert_eq!(r.state, TcpState::Established);
    }

    #[test]
    fn windows_and_solaris_rows() {
        let r = row("  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING".trim_start());
        assert_eq!((r.state, r.recv_q), (TcpState::Listen, None));
        let r = row("UDP    [::]:500           *:*");
        assert_eq!((r.proto, r.family, r.state), (Proto::Udp, Family::V6, TcpState::None));
        let r = row("8.8.17.4.1337    8.8.213.120.65472 262140      0 1049920      0 ESTABLISHED");
        assert_eq!((r.proto, r.state, r.remote.port), (Proto::Tcp, TcpState::Established, Some(65472)));
        let r = row("127.0.0.1.32859      127.0.0.1.514        Connected");
        assert_eq!((r.proto, r.state), (Proto::Udp, TcpState::Established));
    }

    #[test]
    fn broken_rows_are_rejected_with_a_reason() {
        for l in ["tcp 0 0", "tcp 0 0 nonsense", "hello world"] {
            assert!(parse_row(l.as_bytes()).is_err(), "{l}");
        }
    }
}
