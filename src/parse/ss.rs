//! iproute2 `ss` socket rows and `ss -s` summaries.
//!
//! ```text
//! ESTAB      0      0      10.0.0.1:22        10.0.0.2:51234
//! tcp   LISTEN 0      128    0.0.0.0:22     0.0.0.0:*    users:(("sshd",pid=1026,fd=4)) ino:22405 sk:99 <->
//! tcp   ESTAB  0      0      [::ffff:10.0.0.1]:80  [::ffff:10.0.0.9]:5000  timer:(keepalive,119min,0) uid:33
//! udp   UNCONN 0      0      0.0.0.0%virbr0:67   0.0.0.0:*     users:(("dnsmasq",1231,3))
//! u_str ESTAB  0      0      /run/systemd/journal/stdout 35339   * 34311
//! \t skmem:(r0,rb87380,t0,tb16384,f0,w0,o0,bl0,d0) cubic cwnd:10       (continuation of the row above)
//! ```
//!
//! The Netid column exists only when several socket types are shown (`-a`,
//! `-tu`); `-H` drops the header and can glue Netid to State (`tcpESTAB`,
//! iproute2 #20). Names in `users:` are quoted and may contain spaces,
//! commas and parens, so the process column is kept as one slice and read by
//! a small grammar, not split on blanks.

use nom::Parser;
use nom::bytes::complete::{tag, take_until};
use nom::character::complete::digit1;
use nom::combinator::opt;

use crate::model::{Family, Kind, Proto, TcpState, Timer, TimerKind};

use super::RejectReason;
use super::addr::parse_endpoint;
use super::record::{Process, SocketRecord};
use super::tokens::{parse_u64, split_token, starts_with, trim_end};

/// What a Netid column names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Netid {
    Inet(Proto),
    /// UNIX, netlink, packet, vsock, tipc, xdp: recognized, not modelled.
    Other,
}

/// Netid words printed by `ss -a` (iproute2 3.x – 6.x).
pub fn netid(t: &[u8]) -> Option<Netid> {
    Some(match t {
        b"tcp" => Netid::Inet(Proto::Tcp),
        b"udp" => Netid::Inet(Proto::Udp),
        b"raw" => Netid::Inet(Proto::Raw),
        b"sctp" => Netid::Inet(Proto::Sctp),
        b"mptcp" => Netid::Inet(Proto::Mptcp),
        b"dccp" => Netid::Inet(Proto::Dccp),
        b"icmp6" | b"icmp" => Netid::Inet(Proto::Icmpv6),
        b"u_str" | b"u_dgr" | b"u_seq" | b"nl" | b"p_raw" | b"p_dgr" | b"v_str" | b"v_dgr" | b"tipc"
        | b"xdp" | b"unix" | b"packet" | b"netlink" | b"vsock" | b"???" => Netid::Other,
        _ => return None,
    })
}

/// ss state word (also accepts netstat spellings; ss never prints them).
fn ss_state(t: &[u8]) -> Option<TcpState> {
    TcpState::from_word(t)
}

/// Outcome of reading a line that starts like an ss row.
pub enum SsRow<'a> {
    Socket(SocketRecord<'a>),
    /// A valid row of a socket family sockscope does not model.
    NonInet,
}

/// Parses an ss row. `line` is trimmed at the end.
#[inline(always)]
pub fn parse_row(line: &[u8]) -> Result<SsRow<'_>, RejectReason> {
    let (t0, rest) = split_token(line).ok_or(RejectReason::Empty)?;
    if let Some(s) = ss_state(t0) {
        return parse_after_state(Proto::Tcp, t0, s, rest).map(SsRow::Socket);
    }
    let (proto, state_tok, rest) = if let Some(n) = netid(t0) {
        let (t1, rest) = split_token(rest).ok_or(RejectReason::TooFewColumns)?;
        if ss_state(t1).is_none() {
            return Err(RejectReason::BadState);
        }
        match n {
            Netid::Other => return Ok(SsRow::NonInet),
            Netid::Inet(p) => (p, t1, rest),
        }
    } else if let Some((n, s)) = split_glued(t0) {
        // `-H` output: `tcpESTAB`.
        match n {
            Netid::Other => return Ok(SsRow::NonInet),
            Netid::Inet(p) => (p, s, rest),
        }
    } else {
        return Err(RejectReason::BadState);
    };
    let state = ss_state(state_tok).unwrap_or(TcpState::Unknown);
    parse_after_state(proto, state_tok, state, rest).map(SsRow::Socket)
}

/// The rest of a row once its protocol and state are known (the line
/// classifier has already read the first token; it is not read twice).
#[inline(always)]
pub fn parse_after_state<'a>(
    proto: Proto,
    state_word: &'a [u8],
    mut state: TcpState,
    rest: &'a [u8],
) -> Result<SocketRecord<'a>, RejectReason> {
    if proto != Proto::Tcp && proto != Proto::Mptcp && proto != Proto::Sctp {
        // Datagram sockets: UNCONN = unconnected, ESTAB = connected.
        if state == TcpState::Close {
            state = TcpState::Unconn;
        }
    } else if state == TcpState::Unconn {
        // ss prints TCP_CLOSE as UNCONN.
        state = TcpState::Close;
    }
    let (rq, rest) = split_token(rest).ok_or(RejectReason::TooFewColumns)?;
    let (sq, rest) = split_token(rest).ok_or(RejectReason::TooFewColumns)?;
    let recv_q = parse_u64(rq).ok_or(RejectReason::BadQueue)?;
    let send_q = parse_u64(sq).ok_or(RejectReason::BadQueue)?;
    let (lt, rest) = split_token(rest).ok_or(RejectReason::TooFewColumns)?;
    let (pt, tail) = split_token(rest).ok_or(RejectReason::TooFewColumns)?;
    let local = parse_endpoint(lt).ok_or(RejectReason::BadAddress)?;
    let remote = parse_endpoint(pt).ok_or(RejectReason::BadAddress)?;

    let mut rec = SocketRecord {
        kind: Kind::Ss,
        proto,
        family: match local.family {
            Family::Unknown => remote.family,
            f => f,
        },
        state,
        state_raw: state_word,
        recv_q: Some(recv_q),
        send_q: Some(send_q),
        local,
        remote,
        ..Default::default()
    };
    // Most `ss -tan` rows end in padding only.
    if !super::tokens::skip_ws(tail).is_empty() {
        read_tail(trim_end(tail), &mut rec);
    }
    Ok(rec)
}

/// `tcpESTAB` → (tcp, ESTAB).
fn split_glued(t: &[u8]) -> Option<(Netid, &[u8])> {
    for n in [
        &b"tcp"[..],
        b"udp",
        b"raw",
        b"u_str",
        b"u_dgr",
        b"u_seq",
        b"nl",
        b"p_raw",
        b"p_dgr",
        b"sctp",
        b"mptcp",
    ] {
        if t.len() > n.len() && starts_with(t, n) && ss_state(&t[n.len()..]).is_some() {
            return Some((netid(n)?, &t[n.len()..]));
        }
    }
    None
}

/// Reads `users:(…)`, `timer:(…)`, `uid:`, `ino:` from the row's tail.
#[inline]
fn read_tail<'a>(tail: &'a [u8], rec: &mut SocketRecord<'a>) {
    if tail.is_empty() {
        return;
    }
    if let Some(p) = memchr::memmem::find(tail, b"users:(") {
        let u = &tail[p..];
        // The block ends at the first `))` — names cannot hide one in
        // practice, and a missing end keeps the rest of the line.
        let end = memchr::memmem::find(u, b"))").map_or(u.len(), |e| e + 2);
        rec.process_raw = &u[..end];
    }
    if let Some(p) = memchr::memmem::find(tail, b"timer:(") {
        let t = &tail[p + 7..];
        if let Some(e) = t.iter().position(|&b| b == b')') {
            rec.timer = parse_ss_timer(&t[..e]);
        }
    }
    if let Some(v) = key_number(tail, b"uid:") {
        rec.uid = u32::try_from(v).ok();
    }
    if let Some(v) = key_number(tail, b"ino:") {
        rec.inode = Some(v);
    }
}

/// Value of a ` key:123` field in the tail.
fn key_number(tail: &[u8], key: &[u8]) -> Option<u64> {
    let mut from = 0;
    while let Some(p) = memchr::memmem::find(&tail[from..], key) {
        let at = from + p;
        // Must start a token (avoid `suid:` or a key inside a name).
        if at == 0 || matches!(tail[at - 1], b' ' | b'\t') {
            let v = &tail[at + key.len()..];
            let end = v.iter().position(|b| !b.is_ascii_digit()).unwrap_or(v.len());
            return parse_u64(&v[..end]);
        }
        from = at + key.len();
    }
    None
}

/// `keepalive,6.535ms,0` → Timer. ss prints durations as
/// `[Nmin][S(sec|.MMMms)]` or `MMMms`: `119min`, `59sec`, `6.535ms` (6.535 s),
/// `200ms`, `1min2sec`.
fn parse_ss_timer(inner: &[u8]) -> Option<Timer> {
    let mut parts = inner.split(|&b| b == b',');
    let kind = TimerKind::from_word(parts.next()?);
    let seconds = parse_duration(parts.next()?)?;
    let retrans = parts.next().and_then(parse_u64).unwrap_or(0);
    Some(Timer { kind, seconds, retrans: retrans.min(u16::MAX as u64) as u16 })
}

fn parse_duration(d: &[u8]) -> Option<f32> {
    let mut rest = d;
    let mut total = 0f32;
    let digits = |r: &[u8]| -> Option<(u64, usize)> {
        let n = r.iter().position(|b| !b.is_ascii_digit()).unwrap_or(r.len());
        if n == 0 {
            return None;
        }
        Some((parse_u64(&r[..n])?, n))
    };
    let (v, n) = digits(rest)?;
    rest = &rest[n..];
    if starts_with(rest, b"min") {
        total += v as f32 * 60.0;
        rest = &rest[3..];
        if rest.is_empty() {
            return Some(total);
        }
        let (v2, n2) = digits(rest)?;
        rest = &rest[n2..];
        return finish_secs(total, v2, rest);
    }
    finish_secs(total, v, rest)
}

fn finish_secs(total: f32, v: u64, rest: &[u8]) -> Option<f32> {
    match rest {
        b"sec" | b"s" => Some(total + v as f32),
        b"ms" => Some(total + v as f32 / 1000.0),
        [b'.', frac @ ..] if frac.ends_with(b"ms") => {
            let ms = parse_u64(&frac[..frac.len() - 2])?;
            Some(total + v as f32 + ms as f32 / 1000.0)
        }
        _ => None,
    }
}

/// The first process in a `users:(("name",pid=1,fd=3),…)` block, new or old
/// (`("sshd",1231,3)`) syntax.
pub fn first_user(raw: &[u8]) -> Option<Process<'_>> {
    if !starts_with(raw, b"users:((") {
        return None;
    }
    next_user(raw).map(|(p, _)| p)
}

/// Every process in a `users:` block (a socket shared after fork).
pub fn all_users(raw: &[u8]) -> Vec<Process<'_>> {
    let mut out = Vec::new();
    let mut rest = raw;
    while let Some((p, r)) = next_user(rest) {
        out.push(p);
        rest = r;
    }
    out
}

/// One `("name",pid=N,fd=M)` entry and what follows it.
fn next_user(i: &[u8]) -> Option<(Process<'_>, &[u8])> {
    type E<'a> = nom::error::Error<&'a [u8]>;
    let (i, _) = (take_until::<_, _, E>(&b"(\""[..]), tag::<_, _, E>(&b"(\""[..])).parse(i).ok()?;
    // The name runs to the quote that closes it: `",` or `")`.
    let end = memchr::memmem::find(i, b"\",").or_else(|| memchr::memmem::find(i, b"\")"))?;
    let name = &i[..end];
    let after = &i[end + 2..];
    let pid = (opt(tag::<_, _, E>(&b"pid="[..])), digit1::<_, E>)
        .parse(after)
        .ok()
        .and_then(|(_, (_, d))| parse_u64(d))
        .and_then(|v| u32::try_from(v).ok());
    Some((Process { pid, name }, after))
}

/// Counters from `ss -s` and `/proc/net/sockstat`: what the kernel itself
/// counts, used to confirm socket-table findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Sockstat {
    pub total: Option<u64>,
    pub tcp_total: Option<u64>,
    pub estab: Option<u64>,
    pub closed: Option<u64>,
    pub orphaned: Option<u64>,
    pub synrecv: Option<u64>,
    pub timewait: Option<u64>,
    pub tcp_inuse: Option<u64>,
    pub tcp_alloc: Option<u64>,
    /// Pages used by TCP (`mem`), the unit of `tcp_mem`.
    pub tcp_mem_pages: Option<u64>,
}

impl Sockstat {
    /// Every counter, in declaration order (for compact encodings).
    pub fn fields_mut(&mut self) -> [&mut Option<u64>; 10] {
        [
            &mut self.total,
            &mut self.tcp_total,
            &mut self.estab,
            &mut self.closed,
            &mut self.orphaned,
            &mut self.synrecv,
            &mut self.timewait,
            &mut self.tcp_inuse,
            &mut self.tcp_alloc,
            &mut self.tcp_mem_pages,
        ]
    }

    /// Keeps values already set, fills the rest from `o`.
    pub fn merge(&mut self, o: &Sockstat) {
        macro_rules! m { ($($f:ident),*) => { $( if self.$f.is_none() { self.$f = o.$f; } )* } }
        m!(total, tcp_total, estab, closed, orphaned, synrecv, timewait, tcp_inuse, tcp_alloc, tcp_mem_pages);
    }
}

/// What a line of `ss -s` or `/proc/net/sockstat` contributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SockstatLine {
    /// Counters to merge into the snapshot.
    Counters(Sockstat),
    /// A valid line that carries nothing we use (the Transport table,
    /// `UDP: inuse 3 mem 1`, `FRAG: ...`).
    Other,
}

/// Recognizes `ss -s` and sockstat lines; `None` if the line is neither.
pub fn parse_sockstat_line(line: &[u8]) -> Option<SockstatLine> {
    let line = trim_end(line);
    let (t0, rest) = split_token(line)?;
    let mut s = Sockstat::default();
    match t0 {
        b"Total:" => {
            // `Total: 509` or `Total: 2991 (kernel 7497)`
            let (n, _) = split_token(rest)?;
            s.total = Some(parse_u64(n)?);
            Some(SockstatLine::Counters(s))
        }
        b"TCP:" => {
            let (n, rest) = split_token(rest)?;
            if let Some(v) = parse_u64(n) {
                // ss -s: `TCP:   129 (estab 32, closed 79, orphaned 0, synrecv 0, timewait 17/0), ports 0`
                s.tcp_total = Some(v);
                let inner = rest.split(|&b| b == b'(').nth(1)?;
                let inner = inner.split(|&b| b == b')').next()?;
                for kv in inner.split(|&b| b == b',') {
                    let (k, v) = split_token(kv)?;
                    let (v, _) = split_token(v)?;
                    let v = v.split(|&b| b == b'/').next()?;
                    let v = parse_u64(v)?;
                    match k {
                        b"estab" => s.estab = Some(v),
                        b"closed" => s.closed = Some(v),
                        b"orphaned" => s.orphaned = Some(v),
                        b"synrecv" => s.synrecv = Some(v),
                        b"timewait" => s.timewait = Some(v),
                        _ => {}
                    }
                }
                Some(SockstatLine::Counters(s))
            } else {
                // sockstat: `TCP: inuse 32 orphan 0 tw 9 alloc 40 mem 5`
                let mut it = line[4..].split(|&b| b == b' ' || b == b'\t').filter(|t| !t.is_empty());
                let mut pairs = 0;
                while let Some(k) = it.next() {
                    let v = parse_u64(it.next()?)?;
                    pairs += 1;
                    match k {
                        b"inuse" => s.tcp_inuse = Some(v),
                        b"orphan" => s.orphaned = Some(v),
                        b"tw" => s.timewait = Some(v),
                        b"alloc" => s.tcp_alloc = Some(v),
                        b"mem" => s.tcp_mem_pages = Some(v),
                        _ => {}
                    }
                }
                (pairs > 0).then_some(SockstatLine::Counters(s))
            }
        }
        b"sockets:" => {
            // `sockets: used 1016`
            let (k, rest) = split_token(rest)?;
            let (v, _) = split_token(rest)?;
            if k != b"used" {
                return None;
            }
            s.total = Some(parse_u64(v)?);
            Some(SockstatLine::Counters(s))
        }
        b"UDP:" | b"UDPLITE:" | b"RAW:" | b"FRAG:" | b"TCP6:" | b"UDP6:" | b"UDPLITE6:" | b"RAW6:"
        | b"FRAG6:" => {
            // `UDP: inuse 10 mem 4` — shape check: key/number pairs.
            let mut it = rest.split(|&b| b == b' ' || b == b'\t').filter(|t| !t.is_empty());
            let mut pairs = 0;
            while let Some(k) = it.next() {
                let v = it.next()?;
                if !k.iter().all(u8::is_ascii_alphabetic) || parse_u64(v).is_none() {
                    return None;
                }
                pairs += 1;
            }
            (pairs > 0).then_some(SockstatLine::Other)
        }
        b"Transport" => starts_with(trim_ws(rest), b"Total").then_some(SockstatLine::Other),
        b"RAW" | b"UDP" | b"TCP" | b"INET" | b"FRAG" | b"*" => {
            // Transport table rows: a name then three columns of numbers or `-`.
            let cells: Vec<&[u8]> =
                rest.split(|&b| b == b' ' || b == b'\t').filter(|t| !t.is_empty()).collect();
            (cells.len() == 3 && cells.iter().all(|c| *c == b"-" || parse_u64(c).is_some()))
                .then_some(SockstatLine::Other)
        }
        _ => None,
    }
}

fn trim_ws(s: &[u8]) -> &[u8] {
    super::tokens::skip_ws(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sock(l: &str) -> SocketRecord<'_> {
        match parse_row(l.as_bytes()) {
            Ok(SsRow::Socket(r)) => r,
            Ok(SsRow::NonInet) => panic!("{l}: non-inet"),
            Err(e) => panic!("{l}: {e:?}"),
        }
    }

    #[test]
    fn tan_row_without_netid() {
        let r = sock("ESTAB      0      0      10.0.0.1:22        10.0.0.2:51234");
        assert_eq!((r.proto, r.state, r.local.port), (Proto::Tcp, TcpState::Established, Some(22)));
        let r = sock("TIME-WAIT  0      0      [::1]:80   [::1]:40000");
        assert_eq!((r.state, r.family), (TcpState::TimeWait, Family::V6));
    }

    #[test]
    fn netid_rows_and_non_inet_rows() {
        let r = sock(
            "udp   UNCONN 0      0      0.0.0.0%virbr0:67   0.0.0.0:*     users:((\"dnsmasq\",pid=1231,fd=3))",
        );
        assert_eq!((r.proto, r.state), (Proto::Udp, TcpState::Unconn));
        assert_eq!(r.process().unwrap().name, b"dnsmasq");
        let r = sock("tcp    UNCONN 0      0      10.0.0.1:5000  *:*");
        assert_eq!(r.state, TcpState::Close);
        assert!(matches!(
            parse_row(b"u_str ESTAB  0      0      /run/systemd/journal/stdout 35339   * 34311"),
            Ok(SsRow::NonInet)
        ));
        assert!(matches!(parse_row(b"nl   UNCONN  0  0  0:967   *"), Ok(SsRow::NonInet)));
    }

    #[test]
    fn glued_netid_and_state_from_dash_h() {
        let r = sock("tcpESTAB 0 0 192.168.1.160%enp61s0:36590 1.2.3.4:443");
        assert_eq!((r.state, r.local.scope), (TcpState::Established, &b"enp61s0"[..]));
    }

    #[test]
    fn users_new_and_old_syntax_and_names_with_spaces() {
        let r =
            sock("tcp LISTEN 0 128 *:111 *:* users:((\"rpcbind\",pid=1139,fd=5),(\"systemd\",pid=1,fd=41))");
        let p = r.process().unwrap();
        assert_eq!((p.name, p.pid), (&b"rpcbind"[..], Some(1139)));
        assert_eq!(all_users(r.process_raw).len(), 2);
        let r = sock("tcp ESTAB 0 0 10.0.0.1:22 10.0.0.2:5 users:((\"sshd\",1231,3))");
        assert_eq!(r.process().unwrap().pid, Some(1231));
        let r =
            sock("tcp ESTAB 0 0 10.0.0.1:22 10.0.0.2:5 users:((\"Web Content, (x)\",pid=7,fd=3)) uid:1000");
        assert_eq!(r.process().unwrap().name, b"Web Content, (x)");
        assert_eq!(r.uid, Some(1000));
    }

    #[test]
    fn timers_in_every_unit() {
        for (t, secs, n) in [
            ("timer:(keepalive,6.535ms,0)", 6.535, 0),
            ("timer:(on,200ms,3)", 0.2, 3),
            ("timer:(timewait,59sec,0)", 59.0, 0),
            ("timer:(keepalive,119min,0)", 7140.0, 0),
            ("timer:(keepalive,1min2sec,0)", 62.0, 0),
        ] {
            let l = format!("ESTAB 0 0 10.0.0.1:22 10.0.0.2:5 {t} ino:55 sk:1 <->");
            let r = sock(&l);
            let tm = r.timer.unwrap_or_else(|| panic!("{t}"));
            assert!((tm.seconds - secs).abs() < 1e-3, "{t}: {}", tm.seconds);
            assert_eq!(tm.retrans, n);
            assert_eq!(r.inode, Some(55));
        }
    }

    #[test]
    fn unbracketed_ipv6_and_mapped() {
        let r = sock(
            "tcp    ESTAB      0      0      2a01:4f8:190:514a::2:443                2001:638:a000:4140::ffff:189:38556",
        );
        assert_eq!((r.local.port, r.remote.port), (Some(443), Some(38556)));
        let r = sock(
            "tcp    ESTAB      0      0         ::ffff:5.9.158.75:5222                ::ffff:78.54.131.65:34950",
        );
        assert_eq!((r.remote.addr, r.family), (&b"78.54.131.65"[..], Family::V4));
    }

    #[test]
    fn bad_rows() {
        for l in ["ESTAB x 0 1.2.3.4:1 5.6.7.8:9", "ESTAB 0 0 1.2.3.4:1", "tcp FOO 0 0 a:1 b:2"] {
            assert!(parse_row(l.as_bytes()).is_err(), "{l}");
        }
    }

    #[test]
    fn ss_s_both_layouts_and_sockstat() {
        let c = |l: &str| match parse_sockstat_line(l.as_bytes()) {
            Some(SockstatLine::Counters(s)) => s,
            o => panic!("{l}: {o:?}"),
        };
        assert_eq!(c("Total: 2991 (kernel 7497)").total, Some(2991));
        let s = c("TCP:   32 (estab 8, closed 5, orphaned 0, synrecv 0, timewait 4/0), ports 0");
        assert_eq!((s.tcp_total, s.estab, s.timewait, s.synrecv), (Some(32), Some(8), Some(4), Some(0)));
        let s = c("TCP:   129 (estab 32, closed 79, orphaned 0, timewait 17)");
        assert_eq!((s.closed, s.orphaned, s.timewait), (Some(79), Some(0), Some(17)));
        let s = c("TCP: inuse 32 orphan 1 tw 9 alloc 40 mem 5");
        assert_eq!(
            (s.tcp_inuse, s.orphaned, s.timewait, s.tcp_mem_pages),
            (Some(32), Some(1), Some(9), Some(5))
        );
        for l in [
            "Transport Total     IP        IPv6",
            "RAW\t  0         0         0",
            "*\t  7497      -         -",
            "UDP: inuse 10 mem 4",
            "FRAG6: inuse 0 memory 0",
        ] {
            assert_eq!(parse_sockstat_line(l.as_bytes()), Some(SockstatLine::Other), "{l}");
        }
        assert_eq!(parse_sockstat_line(b"TCP: nonsense"), None);
        assert_eq!(parse_sockstat_line(b"tcp 0 0 1.2.3.4:5 6.7.8.9:10 ESTABLISHED"), None);
    }
}
