//! Kernel log lines: `dmesg` (plain, `-T`, `-x`, `--time-format iso`),
//! `/var/log/messages`, `syslog`, `kern.log`, `journalctl -k` text and
//! RFC 3339 syslog. Only the few kernel messages that explain socket-table
//! symptoms become events; every other log line is recognized and ignored.
//!
//! ```text
//! [104235.156774] nf_conntrack: nf_conntrack: table full, dropping packet
//! [104243.800401] net_ratelimit: 3939 callbacks suppressed
//! Feb 25 21:35:48 server kernel: [16508.733356] possible SYN flooding on port 4671. Sending cookies.
//! [  601.749973][    C1] TCP: request_sock_TCP: Possible SYN flooding on port 127.0.0.1:23456. Sending cookies.
//! ```
//!
//! The messages, as the kernel prints them (checked against its sources):
//! - conntrack full: `nf_conntrack: nf_conntrack: table full, dropping packet` (pr_fmt doubles the
//!   prefix), `nf_conntrack: table full, dropping packet.` (2.6), `ip_conntrack: table full, dropping
//!   packet.` (ip_conntrack era).
//! - `TCP: too many orphaned sockets` (`tcp_check_oom`), `Out of socket memory` before it (2.6
//!   `tcp_out_of_resources`), and the separate `TCP: out of memory -- consider tuning tcp_mem`.
//! - SYN queue full (`tcp_syn_flood_action`): `possible SYN flooding on port N. Sending cookies.`
//!   (2.2/2.4), `TCP: Possible SYN flooding on port N. Dropping request.` (2.6),
//!   `TCP: TCP: Possible … port N. Sending cookies.  Check SNMP counters.` (3.x),
//!   `TCP: request_sock_TCP: …` / `request_sock_TCPv6` (4.4+, the request socket slab name), and
//!   since 2022 the listener's address: `… on port 0.0.0.0:7070. …`, `… on port [::]:20002. …`.
//!   MPTCP listeners print `request_sock_subflow_v4`.
//! - `TCP: time wait bucket table overflow` (`tcp_time_wait`, until the message was dropped in favour
//!   of the `TCPTimeWaitOverflow` counter). DCCP prints the same words as
//!   `dccp_time_wait: time wait bucket table overflow`, which is not TCP and is ignored.
//! - `net_ratelimit: N callbacks suppressed`: N messages of the kinds above were not logged.

use std::sync::LazyLock;

use memchr::memmem::Finder;

/// A kernel message that bears on the socket and conntrack tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KernelEvent {
    /// The conntrack table was full and a packet of a new flow was dropped.
    ConntrackFull,
    /// Orphaned sockets exceeded `tcp_max_orphans` (`too many orphaned sockets`, or the older
    /// `Out of socket memory`).
    TooManyOrphans,
    /// TCP memory exceeded `tcp_mem` (`out of memory -- consider tuning tcp_mem`).
    TcpOutOfMemory,
    /// A listener's SYN queue overflowed.
    SynFlood {
        /// The listening port.
        port: u16,
        /// The listening address as printed, brackets removed (`0.0.0.0`, `::`), when the kernel
        /// printed one (Linux 6.x).
        addr: Option<String>,
        /// True for `Sending cookies`, false for `Dropping request`.
        cookies: bool,
    },
    /// `tcp_max_tw_buckets` was reached and a TIME_WAIT socket was destroyed at once.
    TimeWaitOverflow,
    /// `net_ratelimit: N callbacks suppressed`: the log undercounts by N messages.
    Suppressed(u64),
}

/// One line of a kernel log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KernLogLine<'a> {
    /// A recognized kernel message.
    Event {
        event: KernelEvent,
        /// The line's leading time as printed, e.g. `[12345.678901]`, `[Tue Mar  5 10:00:00 2024]`,
        /// `Mar  5 10:00:00`, `2024-03-05T10:00:00.123+00:00`; for syslog lines that also carry a
        /// dmesg uptime, the syslog time. `None` for a bare message (`dmesg -t`).
        stamp: Option<&'a [u8]>,
    },
    /// Any other log line, including journal markers (`-- No entries --`, `-- Boot … --`):
    /// ignored by design.
    Log,
    /// Empty or whitespace only.
    Blank,
    /// Not a log line.
    Other,
}

/// Reads one line (with or without its line ending).
pub fn parse_line(line: &[u8]) -> KernLogLine<'_> {
    let line = trim_end(line);
    if line.iter().all(|b| b.is_ascii_whitespace() || *b == 0) {
        return KernLogLine::Blank;
    }
    if is_journal_marker(line) {
        return KernLogLine::Log;
    }
    match split_prefix(line) {
        Some((stamp, rest)) => match find_event(rest) {
            Some(event) => KernLogLine::Event { event, stamp },
            None => KernLogLine::Log,
        },
        // `dmesg -t` and `printk.time=0` print the bare message.
        None => match find_event(line) {
            Some(event) => KernLogLine::Event { event, stamp: None },
            // dmesg indents a multi-line message's later lines past the time column (15 columns
            // or more); counter and socket tables indent less, or with tabs.
            None if line.len() > 12 && line[..12].iter().all(|&b| b == b' ') => KernLogLine::Log,
            None => KernLogLine::Other,
        },
    }
}

/// True if most of the first non-blank lines (pass up to ~20) are kernel or syslog lines, so a
/// sniffer can route the file here. Socket tables, counters and sysctl dumps do not qualify.
pub fn looks_like_kernel_log(lines: &[&[u8]]) -> bool {
    let (mut log, mut total) = (0usize, 0usize);
    for line in lines.iter().take(20) {
        match parse_line(line) {
            KernLogLine::Blank => continue,
            KernLogLine::Event { .. } | KernLogLine::Log => log += 1,
            KernLogLine::Other => {}
        }
        total += 1;
    }
    log > 0 && log * 2 > total
}

fn trim_end(mut s: &[u8]) -> &[u8] {
    while let [rest @ .., b] = s {
        if b.is_ascii_whitespace() || *b == 0 {
            s = rest;
        } else {
            break;
        }
    }
    s
}

fn trim_start(mut s: &[u8]) -> &[u8] {
    while let [b, rest @ ..] = s {
        if *b == b' ' || *b == b'\t' {
            s = rest;
        } else {
            break;
        }
    }
    s
}

/// journalctl's own lines: `-- Logs begin at …`, `-- Journal begins at …`, `-- No entries --`,
/// `-- Boot 1a2b… --`, `-- Reboot --`.
fn is_journal_marker(line: &[u8]) -> bool {
    line.starts_with(b"-- ")
        && (line.ends_with(b" --")
            || line.starts_with(b"-- Logs begin at ")
            || line.starts_with(b"-- Journal begins at "))
}

/// Splits a log line into its time prefix and the rest. `None` if the line has no log prefix.
fn split_prefix(line: &[u8]) -> Option<(Option<&[u8]>, &[u8])> {
    let mut s = line;
    // `<6>` from `dmesg -r` or a raw syslog capture; `<14>1 ` is RFC 5424.
    if let Some(rest) = skip_priority(s) {
        s = rest;
        if let Some(rest) = s.strip_prefix(b"1 ") {
            s = rest;
        }
    }
    // `dmesg -x`: `kern  :info  : [    0.000000] …`.
    if let Some(rest) = skip_facility_level(s) {
        s = rest;
    }
    if let Some((stamp, rest)) = dmesg_bracket(s) {
        return Some((Some(stamp), skip_caller_id(rest)));
    }
    for time in [iso_time, bsd_time, epoch_time] {
        if let Some(n) = time(s) {
            let rest = trim_start(&s[n..]);
            if n < s.len() && matches!(s[n], b' ' | b'\t') && !rest.is_empty() {
                return Some((Some(&s[..n]), rest));
            }
            return None;
        }
    }
    None
}

fn skip_priority(s: &[u8]) -> Option<&[u8]> {
    let rest = s.strip_prefix(b"<")?;
    let n = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if (1..=3).contains(&n) { rest[n..].strip_prefix(b">") } else { None }
}

/// `kern  :info  : ` (lower-case facility and level, each padded and followed by `:`).
fn skip_facility_level(s: &[u8]) -> Option<&[u8]> {
    let mut s = s;
    for _ in 0..2 {
        let n = s.iter().take_while(|b| b.is_ascii_lowercase()).count();
        if n == 0 || n > 8 {
            return None;
        }
        s = trim_start(&s[n..]).strip_prefix(b":")?;
        s = trim_start(s);
    }
    Some(s)
}

/// `[12345.678901]` or `dmesg -T`'s `[Tue Mar  5 10:00:00 2024]` (any locale: it ends in the
/// year and holds a clock). Returns the bracketed stamp and what follows it.
fn dmesg_bracket(s: &[u8]) -> Option<(&[u8], &[u8])> {
    let inner_start = s.strip_prefix(b"[")?;
    let close = inner_start.iter().take(80).position(|&b| b == b']')?;
    let inner = &inner_start[..close];
    let stamp = &s[..close + 2];
    let rest = trim_start(&inner_start[close + 1..]);
    let uptime = {
        let t = trim_start(inner);
        let int = t.iter().take_while(|b| b.is_ascii_digit()).count();
        let frac = t.get(int + 1..).map_or(0, |f| f.iter().take_while(|b| b.is_ascii_digit()).count());
        int > 0 && t.get(int) == Some(&b'.') && frac > 0 && int + 1 + frac == t.len()
    };
    let clock_date = inner.len() >= 15
        && inner.iter().filter(|&&b| b == b':').count() >= 2
        && inner[inner.len() - 4..].iter().all(u8::is_ascii_digit);
    (uptime || clock_date).then_some((stamp, rest))
}

/// `[    C1]` / `[T19113]` after the uptime (CONFIG_PRINTK_CALLER).
fn skip_caller_id(s: &[u8]) -> &[u8] {
    let Some(inner) = s.strip_prefix(b"[") else { return s };
    let inner = trim_start(inner);
    if let [b'C' | b'T', rest @ ..] = inner {
        let n = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if n > 0 && rest.get(n) == Some(&b']') {
            return trim_start(&rest[n + 1..]);
        }
    }
    s
}

fn digits(s: &[u8], at: usize, n: usize) -> bool {
    s.get(at..at + n).is_some_and(|d| d.iter().all(u8::is_ascii_digit))
}

/// `2024-03-05T10:00:00`, optional `.123`/`,123456` fraction and `Z`/`+00:00`/`+0000` zone; a
/// space instead of `T` too. Returns the stamp's length.
fn iso_time(s: &[u8]) -> Option<usize> {
    let shape = digits(s, 0, 4)
        && s.get(4) == Some(&b'-')
        && digits(s, 5, 2)
        && s.get(7) == Some(&b'-')
        && digits(s, 8, 2)
        && matches!(s.get(10), Some(b'T' | b' '))
        && clock(s, 11);
    if !shape {
        return None;
    }
    let mut n = fraction(s, 19);
    match s.get(n) {
        Some(b'Z') => n += 1,
        Some(b'+' | b'-') if digits(s, n + 1, 2) => {
            n += 3;
            if s.get(n) == Some(&b':') && digits(s, n + 1, 2) {
                n += 3;
            } else if digits(s, n, 2) {
                n += 2;
            }
        }
        _ => {}
    }
    Some(n)
}

/// `HH:MM:SS` at `at`.
fn clock(s: &[u8], at: usize) -> bool {
    digits(s, at, 2)
        && s.get(at + 2) == Some(&b':')
        && digits(s, at + 3, 2)
        && s.get(at + 5) == Some(&b':')
        && digits(s, at + 6, 2)
}

/// Skips `.123` or `,123456` at `at`; returns the index after it.
fn fraction(s: &[u8], at: usize) -> usize {
    if matches!(s.get(at), Some(b'.' | b',')) {
        let n = s.get(at + 1..).map_or(0, |f| f.iter().take_while(|b| b.is_ascii_digit()).count());
        if n > 0 {
            return at + 1 + n;
        }
    }
    at
}

/// BSD syslog and journalctl's default: `Mar  5 10:00:00` / `Mar 05 10:00:00.123456`.
fn bsd_time(s: &[u8]) -> Option<usize> {
    const MONTHS: [&[u8]; 12] =
        [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"];
    if !MONTHS.iter().any(|m| s.starts_with(m)) || s.get(3) != Some(&b' ') {
        return None;
    }
    let day_ok = matches!((s.get(4), s.get(5)), (Some(b' ' | b'0'..=b'3'), Some(b'0'..=b'9')));
    (day_ok && s.get(6) == Some(&b' ') && clock(s, 7)).then(|| fraction(s, 15))
}

/// `journalctl -o short-unix`: `1709632800.123456`.
fn epoch_time(s: &[u8]) -> Option<usize> {
    let int = s.iter().take_while(|b| b.is_ascii_digit()).count();
    if !(9..=11).contains(&int) || s.get(int) != Some(&b'.') {
        return None;
    }
    let n = fraction(s, int);
    (n > int).then_some(n)
}

struct Needles {
    conntrack: Finder<'static>,
    orphans: Finder<'static>,
    socket_memory: Finder<'static>,
    tcp_mem: Finder<'static>,
    syn_flood: Finder<'static>,
    time_wait: Finder<'static>,
    suppressed: Finder<'static>,
}

static NEEDLES: LazyLock<Needles> = LazyLock::new(|| Needles {
    // Covers `nf_conntrack: nf_conntrack: …`, `nf_conntrack: …` and `ip_conntrack: …`.
    conntrack: Finder::new(b"conntrack: table full, dropping packet"),
    orphans: Finder::new(b"too many orphaned sockets"),
    socket_memory: Finder::new(b"Out of socket memory"),
    tcp_mem: Finder::new(b"out of memory -- consider tuning tcp_mem"),
    // `P` or `p`: 2.2/2.4 printed `possible`.
    syn_flood: Finder::new(b"ossible SYN flooding on port "),
    time_wait: Finder::new(b"time wait bucket table overflow"),
    suppressed: Finder::new(b"net_ratelimit: "),
});

fn find_event(msg: &[u8]) -> Option<KernelEvent> {
    let n = &*NEEDLES;
    if n.conntrack.find(msg).is_some() {
        return Some(KernelEvent::ConntrackFull);
    }
    if let Some(at) = n.syn_flood.find(msg) {
        let capital_ok = at > 0 && matches!(msg[at - 1], b'P' | b'p');
        return if capital_ok { syn_flood(&msg[at + n.syn_flood.needle().len()..]) } else { None };
    }
    if n.tcp_mem.find(msg).is_some() {
        return Some(KernelEvent::TcpOutOfMemory);
    }
    if n.orphans.find(msg).is_some() || n.socket_memory.find(msg).is_some() {
        return Some(KernelEvent::TooManyOrphans);
    }
    if let Some(at) = n.time_wait.find(msg) {
        let before = &msg[at.saturating_sub(16)..at];
        let dccp = Finder::new(b"dccp").find(before).is_some();
        return (!dccp).then_some(KernelEvent::TimeWaitOverflow);
    }
    if let Some(at) = n.suppressed.find(msg) {
        let rest = &msg[at + n.suppressed.needle().len()..];
        let len = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if len > 0 && rest[len..].starts_with(b" callbacks suppressed") {
            return Some(KernelEvent::Suppressed(saturating_u64(&rest[..len])));
        }
    }
    None
}

/// Parses what follows `on port `: `[ADDR:]PORT. Sending cookies.` / `Dropping request.`.
/// A port that is not a valid u16 or a missing action means the line is not this message.
fn syn_flood(rest: &[u8]) -> Option<KernelEvent> {
    // The endpoint ends at the sentence's full stop; an IPv4 address has dots of its own,
    // but never followed by a space.
    let end = Finder::new(b". ").find(rest)?;
    let (endpoint, action) = (&rest[..end], trim_start(&rest[end + 2..]));
    let cookies = if action.starts_with(b"Sending cookies") {
        true
    } else if action.starts_with(b"Dropping request") {
        false
    } else {
        return None;
    };
    let (addr, port) = if let Some(v6) = endpoint.strip_prefix(b"[") {
        let close = v6.iter().position(|&b| b == b']')?;
        (Some(&v6[..close]), v6[close + 1..].strip_prefix(b":")?)
    } else if let Some(colon) = endpoint.iter().rposition(|&b| b == b':') {
        (Some(&endpoint[..colon]), &endpoint[colon + 1..])
    } else {
        (None, endpoint)
    };
    if port.is_empty() || port.len() > 5 || !port.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let port = u16::try_from(saturating_u64(port)).ok()?;
    let addr = match addr {
        Some(a)
            if !a.is_empty()
                && a.iter().all(|b| b.is_ascii_hexdigit() || matches!(b, b'.' | b':' | b'%')) =>
        {
            Some(String::from_utf8_lossy(a).into_owned())
        }
        Some(_) => return None,
        None => None,
    };
    Some(KernelEvent::SynFlood { port, addr, cookies })
}

fn saturating_u64(digits: &[u8]) -> u64 {
    digits.iter().fold(0u64, |n, d| n.saturating_mul(10).saturating_add(u64::from(d - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(line: &[u8]) -> (KernelEvent, Option<&[u8]>) {
        match parse_line(line) {
            KernLogLine::Event { event, stamp } => (event, stamp),
            other => panic!("not an event: {other:?} for {:?}", String::from_utf8_lossy(line)),
        }
    }

    fn syn(port: u16, addr: Option<&str>, cookies: bool) -> KernelEvent {
        KernelEvent::SynFlood { port, addr: addr.map(str::to_owned), cookies }
    }

    #[test]
    fn conntrack_full_doubled_prefix_and_suppressed() {
        // dmesg quoted in public notes on Ni Pengfei's Linux performance course (found via the
        // code index): modern kernels double the prefix.
        let (e, s) = event(b"[104235.156774] nf_conntrack: nf_conntrack: table full, dropping packet");
        assert_eq!((e, s), (KernelEvent::ConntrackFull, Some(&b"[104235.156774]"[..])));
        let (e, s) = event(b"[104243.800401] net_ratelimit: 3939 callbacks suppressed");
        assert_eq!((e, s), (KernelEvent::Suppressed(3939), Some(&b"[104243.800401]"[..])));
    }

    #[test]
    fn ip_conntrack_in_syslog_with_trailing_space() {
        // LKML, Marc A. Lehmann, Nov 2001 (2.4 ip_conntrack), trailing space as posted.
        let (e, s) = event(b"Nov  6 02:39:55 doom kernel: ip_conntrack: table full, dropping packet. \n");
        assert_eq!((e, s), (KernelEvent::ConntrackFull, Some(&b"Nov  6 02:39:55"[..])));
    }

    #[test]
    fn bare_message_without_prefix() {
        // A CentOS 5 blog's `dmesg` excerpt (search index): syslog tag kept, time cut off.
        assert_eq!(event(b"kernel: ip_conntrack: table full, dropping packet.").1, None);
        // The 2.6 nf_conntrack form, as quoted from /var/log/messages in a blog (search index).
        assert_eq!(event(b"kernel: nf_conntrack: table full, dropping packet").0, KernelEvent::ConntrackFull);
        // Its neighbour line is a log line we do not recognize without a prefix.
        assert_eq!(parse_line(b"kernel: printk: 1 messages suppressed."), KernLogLine::Other);
    }

    #[test]
    fn syn_flood_very_old_kernel_in_kern_log() {
        // Ubuntu forums, Feb 2008: syslog time first, then the dmesg uptime.
        let line = b"Feb 25 21:35:48 server kernel: [16508.733356] possible SYN flooding on port 4671. Sending cookies.";
        assert_eq!(event(line), (syn(4671, None, true), Some(&b"Feb 25 21:35:48"[..])));
    }

    #[test]
    fn syn_flood_v6_dropping_localized_dmesg_t() {
        // Yandex runbook (public, search index): Russian `dmesg -T`, 4.x request_sock_TCPv6 form.
        let line = "[Ср мар 10 20:19:39 2021] TCP: request_sock_TCPv6: Possible SYN flooding on port 34391. \
                    Dropping request.  Check SNMP counters.";
        let (e, s) = event(line.as_bytes());
        assert_eq!(e, syn(34391, None, false));
        assert_eq!(s, Some("[Ср мар 10 20:19:39 2021]".as_bytes()));
    }

    #[test]
    fn syn_flood_ipv4_address_and_caller_id() {
        // netdev, Jan 2026 (Kicinski/Westphal thread): CONFIG_PRINTK_CALLER adds `[    C1]`.
        let line = b"[  601.749973][    C1] TCP: request_sock_TCP: Possible SYN flooding on port 127.0.0.1:23456. Sending cookies.";
        assert_eq!(event(line), (syn(23456, Some("127.0.0.1"), true), Some(&b"[  601.749973]"[..])));
    }

    #[test]
    fn syn_flood_bracketed_ipv6_mptcp() {
        // Syzkaller report quoted in 6.6-stable "mptcp: fallback when MPTCP opts are dropped
        // after 1st data" (upstream 4dabcdf58121).
        let line =
            b"  TCP: request_sock_subflow_v4: Possible SYN flooding on port [::]:20002. Sending cookies.";
        assert_eq!(event(line), (syn(20002, Some("::"), true), None));
    }

    #[test]
    fn syn_flood_format_strings_from_kernel_sources() {
        // tcp_syn_flood_action() formats: 2.6.38 `TCP: Possible … %d. %s.`, 3.x
        // `%s: Possible … %d. %s.  Check SNMP counters.` with pr_fmt "TCP: ", 6.x `%pI4:%u`.
        let old = b"TCP: Possible SYN flooding on port 80. Dropping request.";
        assert_eq!(event(old).0, syn(80, None, false));
        let v3 =
            b"[ 5.5] TCP: TCP: Possible SYN flooding on port 8080. Sending cookies.  Check SNMP counters.";
        assert_eq!(event(v3).0, syn(8080, None, true));
        let bare_v6 =
            b"[ 5.5] TCP: request_sock_TCPv6: Possible SYN flooding on port ::1:443. Sending cookies.";
        assert_eq!(event(bare_v6).0, syn(443, Some("::1"), true));
        // Wrapped in an email (no port on the line): a log line, not an event.
        assert_eq!(
            parse_line(b"[55604.030347] TCP: request_sock_TCP: Possible SYN flooding on port"),
            KernLogLine::Log
        );
        let huge = b"[ 5.5] TCP: Possible SYN flooding on port 99999999999999999999999. Sending cookies.";
        assert_eq!(parse_line(huge), KernLogLine::Log);
    }

    #[test]
    fn orphans_and_tcp_mem() {
        // Blog on a Ctrl+C storm (search index).
        assert_eq!(event(b"[105172.135427] TCP: too many orphaned sockets").0, KernelEvent::TooManyOrphans);
        assert_eq!(
            event(b"[105172.135420] net_ratelimit: 981 callbacks suppressed").0,
            KernelEvent::Suppressed(981)
        );
        // Mailing-list quote of a 2.6 dmesg.
        assert_eq!(event(b"[854010.346518] Out of socket memory").0, KernelEvent::TooManyOrphans);
        // DDNet blog (Dennis Felsing).
        assert_eq!(
            event(b"[1638211.984805] TCP: out of memory -- consider tuning tcp_mem").0,
            KernelEvent::TcpOutOfMemory
        );
        // `dmesg -T` example from CubeIO quoted in a tuning guide.
        let (e, s) = event(b"[Mon Dec  9 08:03:59 2019] TCP: out of memory -- consider tuning tcp_mem");
        assert_eq!((e, s), (KernelEvent::TcpOutOfMemory, Some(&b"[Mon Dec  9 08:03:59 2019]"[..])));
        // The OOM killer is not TCP memory.
        assert_eq!(parse_line(b"[  3.1] Out of memory: Killed process 4242 (java)"), KernLogLine::Log);
    }

    #[test]
    fn time_wait_overflow() {
        // Alibaba Cloud ECS knowledge base (Chinese), /var/log/messages.
        let (e, s) = event(b"Aug  4 17:25:37 static1 kernel: TCP: time wait bucket table overflow");
        assert_eq!((e, s), (KernelEvent::TimeWaitOverflow, Some(&b"Aug  4 17:25:37"[..])));
        // DCCP_WARN prefixes __func__: same words, not TCP.
        assert_eq!(parse_line(b"[ 9.9] dccp_time_wait: time wait bucket table overflow"), KernLogLine::Log);
    }

    #[test]
    fn stamps_of_other_formats() {
        // RFC 3339 (rsyslog), journalctl short-iso/short-unix, dmesg --time-format iso on this
        // machine (comma fraction), RFC 5424 with priority.
        let cases: [(&[u8], &[u8]); 5] = [
            (
                b"2024-03-05T10:00:00.123+00:00 web1 kernel: [ 1.2] TCP: too many orphaned sockets",
                b"2024-03-05T10:00:00.123+00:00",
            ),
            (
                b"2024-03-05T10:00:00+0000 web1 kernel: TCP: too many orphaned sockets",
                b"2024-03-05T10:00:00+0000",
            ),
            (b"1709632800.123456 web1 kernel: TCP: too many orphaned sockets", b"1709632800.123456"),
            (
                b"2026-12-02T13:07:25,000000+00:00 TCP: too many orphaned sockets",
                b"2026-12-02T13:07:25,000000+00:00",
            ),
            (
                b"<14>1 2024-03-05T10:00:00.123Z web1 kernel - - - TCP: too many orphaned sockets",
                b"2024-03-05T10:00:00.123Z",
            ),
        ];
        for (line, stamp) in cases {
            assert_eq!(event(line), (KernelEvent::TooManyOrphans, Some(stamp)));
        }
        // journalctl -k default: zero-padded day.
        assert_eq!(
            event(b"Mar 05 10:00:00 web1 kernel: TCP: too many orphaned sockets").1,
            Some(&b"Mar 05 10:00:00"[..])
        );
    }

    #[test]
    fn ordinary_log_lines_from_this_machine() {
        // `dmesg`, `dmesg -x`, `dmesg -T`, `journalctl -k` on the build machine.
        let lines: [&[u8]; 5] = [
            b"[    0.000000] [Firmware Bug]: TSC doesn't count with P0 frequency!",
            b"kern  :info  : [    0.000000] BIOS-provided physical RAM map:",
            b"[Wed Dec  2 13:07:25 2026] Linux version 6.18.44-fc-v1045 (builder@sandboxing)",
            b"-- No entries --",
            b"-- Boot 0f1e2d3c4b5a69788796a5b4c3d2e1f0 --",
        ];
        for line in lines {
            assert_eq!(parse_line(line), KernLogLine::Log, "{}", String::from_utf8_lossy(line));
        }
        let x = b"kern  :warn  : [  9.5] nf_conntrack: nf_conntrack: table full, dropping packet";
        assert_eq!(event(x), (KernelEvent::ConntrackFull, Some(&b"[  9.5]"[..])));
    }

    #[test]
    fn this_machines_dmesg() {
        // `dmesg`, `dmesg -T`, `dmesg -x` on the build machine (kernel 6.18): a listener on port 80
        // overflowed, and a multi-line message continues on an indented line.
        let line = b"[13420.453467] TCP: request_sock_TCP: Possible SYN flooding on port 0.0.0.0:80. Sending cookies.";
        assert_eq!(event(line), (syn(80, Some("0.0.0.0"), true), Some(&b"[13420.453467]"[..])));
        let t = b"[Wed Dec  2 16:51:05 2026] TCP: request_sock_TCP: Possible SYN flooding on port 0.0.0.0:80. Sending cookies.";
        assert_eq!(event(t).1, Some(&b"[Wed Dec  2 16:51:05 2026]"[..]));
        let x = b"kern  :info  : [13420.453467] TCP: request_sock_TCP: Possible SYN flooding on port 0.0.0.0:80. Sending cookies.";
        assert_eq!(event(x).0, syn(80, Some("0.0.0.0"), true));
        let cont: &[u8] = b"               Please enable it if your BIOS has the CPPC option.";
        assert_eq!(parse_line(cont), KernLogLine::Log);
        assert_eq!(parse_line(b"    12914 total packets received"), KernLogLine::Other);
    }

    #[test]
    fn not_log_lines() {
        let lines: [&[u8]; 6] = [
            b"Tue Mar  5 10:00:00 UTC 2024",
            b"2024-03-05T10:00:00+00:00",
            b"Mar  5 10:00:00",
            b"tcp        0      0 0.0.0.0:22              0.0.0.0:*               LISTEN",
            b"net.ipv4.tcp_syncookies = 1",
            b"[FW: 1.0.0]",
        ];
        for line in lines {
            assert_eq!(parse_line(line), KernLogLine::Other, "{}", String::from_utf8_lossy(line));
        }
        assert_eq!(parse_line(b"  \r\n"), KernLogLine::Blank);
        assert_eq!(parse_line(b"\0\0"), KernLogLine::Blank);
    }

    #[test]
    fn sniffing() {
        let dmesg: [&[u8]; 4] = [
            b"[104235.156774] nf_conntrack: nf_conntrack: table full, dropping packet",
            b"",
            b"[104243.800401] net_ratelimit: 3939 callbacks suppressed",
            b"[104262.962157] nf_conntrack: nf_conntrack: table full, dropping packet",
        ];
        assert!(looks_like_kernel_log(&dmesg));
        // jc fixture centos-7.7/netstat-sudo-lnp.out (corpus), first lines.
        let netstat: [&[u8]; 3] = [
            b"Active Internet connections (only servers)",
            b"Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name    ",
            b"tcp        0      0 127.0.0.1:25            0.0.0.0:*               LISTEN      1584/master         ",
        ];
        assert!(!looks_like_kernel_log(&netstat));
        let ss: [&[u8]; 2] = [
            b"State      Recv-Q Send-Q Local Address:Port               Peer Address:Port",
            b"LISTEN     0      128          *:22                       *:*",
        ];
        assert!(!looks_like_kernel_log(&ss));
        let sysctl: [&[u8]; 2] = [b"net.ipv4.tcp_syncookies = 1", b"net.core.somaxconn = 4096"];
        assert!(!looks_like_kernel_log(&sysctl));
        assert!(!looks_like_kernel_log(&[]));
    }

    #[test]
    fn never_panics_on_odd_bytes() {
        let lines: [&[u8]; 12] = [
            b"[",
            b"[]",
            b"[ C",
            b"<",
            b"<999>",
            b"\xff\xfe[1.5] \xc3",
            b"Possible SYN flooding on port ",
            b"Possible SYN flooding on port [. Sending cookies.",
            b"Possible SYN flooding on port [::]. Sending cookies.",
            b"net_ratelimit: 99999999999999999999999999 callbacks suppressed",
            b"kern:",
            b"2024-03-05T10:00:00+",
        ];
        for line in lines {
            let _ = parse_line(line);
        }
        assert_eq!(
            parse_line(b"net_ratelimit: 99999999999999999999999999 callbacks suppressed"),
            KernLogLine::Event { event: KernelEvent::Suppressed(u64::MAX), stamp: None }
        );
        // Every prefix of a real line, byte by byte.
        let line = "[Ср мар 10 20:19:39 2021] TCP: request_sock_TCPv6: Possible SYN flooding on port [::1]:1. Sending cookies.";
        for n in 0..=line.len() {
            let _ = parse_line(&line.as_bytes()[..n]);
        }
    }

    #[test]
    fn random_lines_never_panic() {
        // Splices of real fragments and odd bytes; a stand-in for the proptest the crate runs.
        const PARTS: [&[u8]; 14] = [
            b"[",
            b"]",
            b" ",
            b"12345.678",
            b"Mar  5 10:00:00 ",
            b"2024-03-05T10:00:00",
            b"+00:00",
            b":",
            b"Possible SYN flooding on port ",
            b". Sending cookies.",
            b"[::1]",
            b"net_ratelimit: ",
            b"\xff\r\0",
            b"99999999999999999999",
        ];
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..20_000 {
            let mut line = Vec::new();
            for _ in 0..(x % 7) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                line.extend_from_slice(PARTS[(x % PARTS.len() as u64) as usize]);
            }
            let _ = parse_line(&line);
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }
    }
}
