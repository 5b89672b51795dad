//! Format detection from the first 64 KiB of a source.
//!
//! A socket capture is recognized by its rows and headers (the line
//! classifier does the work, so detection and parsing never disagree);
//! sysctl output by its `key = value` lines. Detection is per file; inside
//! a capture every line identifies its own tool, so mixed files (`date;
//! ss -tan; conntrack -L`) need no per-section switch.

use std::io::{self, Read};

use crate::parse::{Line, LineState, Structure, classify};

use super::read::lines;

/// Bytes read for sniffing.
pub const HEAD: usize = 64 * 1024;

/// What a source looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    /// netstat, ss, conntrack, `ss -s`, sockstat — possibly mixed.
    Table,
    Sysctl,
    /// `/proc/net/stat/nf_conntrack` or `conntrack -S`.
    CtStat,
    /// Kernel log: dmesg, syslog, journal text.
    KernelLog,
    /// Protocol counters: `netstat -s`, `nstat`, `/proc/net/netstat`.
    Counters,
    /// Nothing but blank lines.
    Empty,
    Unknown,
}

/// Reads up to [`HEAD`] bytes and returns them with the rest of the stream.
pub fn read_head<R: Read>(mut r: R) -> io::Result<(Vec<u8>, R)> {
    let mut head = vec![0u8; HEAD];
    let mut n = 0;
    while n < HEAD {
        match r.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    head.truncate(n);
    Ok((head, r))
}

/// Classifies the head of a source.
pub fn sniff(head: &[u8]) -> Sniffed {
    // Drop a possibly partial last line.
    let body = match memchr::memrchr(b'\n', head) {
        Some(p) if head.len() == HEAD => &head[..=p],
        _ => head,
    };
    if let Some(first) = lines(body).find(|l| !l.iter().all(u8::is_ascii_whitespace))
        && crate::parse::ctstat::looks_like_ctstat(first)
    {
        return Sniffed::CtStat;
    }
    let first: Vec<&[u8]> = lines(body).filter(|l| !l.iter().all(u8::is_ascii_whitespace)).take(20).collect();
    if crate::parse::netstat_s::looks_like_counters(&first) {
        return Sniffed::Counters;
    }
    if crate::parse::kernlog::looks_like_kernel_log(&first) {
        return Sniffed::KernelLog;
    }
    let mut st = LineState::new(None);
    let (mut table, mut blank, mut other) = (0usize, 0usize, 0usize);
    for l in lines(body) {
        match classify(l, &mut st) {
            Line::Socket(_) | Line::Conntrack(_) | Line::Sockstat(_) | Line::SockstatOther => table += 1,
            // A capture that failed (`exec of "netstat" failed`) is still a
            // capture: reading it reports the failure.
            Line::Structure(
                Structure::TableHeader(_) | Structure::ConntrackTrailer(_) | Structure::ToolMessage,
            ) => table += 1,
            Line::Structure(Structure::Blank) => blank += 1,
            Line::Ignored(_) | Line::Continuation => table += 1,
            // Times, rulers, headers and annotations go with any format.
            Line::Structure(_) => {}
            _ => other += 1,
        }
    }
    // Most non-blank lines must be socket-table lines: a README that quotes
    // a few rows is not a capture.
    if table > 0 && table >= other {
        return Sniffed::Table;
    }
    if crate::parse::sysctl::looks_like_sysctl(lines(body)) {
        return Sniffed::Sysctl;
    }
    if table == 0 && other == 0 {
        let _ = blank;
        return Sniffed::Empty;
    }
    Sniffed::Unknown
}

/// The language of a localized capture (a translated title, column header
/// or state word in its head), as `parse::locale` names it.
pub fn language(head: &[u8]) -> Option<&'static str> {
    let text = String::from_utf8_lossy(head);
    for l in text.lines().take(2000) {
        if l.is_ascii() && !l.trim_start().starts_with("Aktive") {
            // English lines (and ASCII data rows) say nothing, except the
            // German titles that happen to be ASCII.
            continue;
        }
        if let Some((_, lang)) = crate::parse::locale::header(l) {
            return Some(lang);
        }
        if let Some((_, lang)) = l.split_whitespace().find_map(crate::parse::locale::state) {
            return Some(lang);
        }
    }
    None
}

/// The first non-blank line, for error messages.
pub fn first_line(head: &[u8]) -> String {
    let l = lines(head).find(|l| !l.iter().all(u8::is_ascii_whitespace)).unwrap_or(b"");
    super::chunk::sample_text(&l[..l.len().min(120)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_apart() {
        assert_eq!(
            sniff(
                b"State Recv-Q Send-Q Local Address:Port Peer Address:Port\nESTAB 0 0 1.2.3.4:5 6.7.8.9:10\n"
            ),
            Sniffed::Table
        );
        assert_eq!(
            sniff(b"net.core.somaxconn = 4096\nnet.ipv4.tcp_fin_timeout = 60\nnet.ipv4.tcp_tw_reuse = 2\n"),
            Sniffed::Sysctl
        );
        assert_eq!(sniff(b""), Sniffed::Empty);
        assert_eq!(sniff(b"entries  searched found new invalid ignore delete delete_list insert insert_failed drop early_drop\n"), Sniffed::CtStat);
        assert_eq!(sniff(b"\n\n  \n"), Sniffed::Empty);
        assert_eq!(sniff(b"hello\nworld\n"), Sniffed::Unknown);
        assert_eq!(
            sniff(b"[ 1234.567890] TCP: request_sock_TCP: Possible SYN flooding on port 0.0.0.0:80. Sending cookies.\n[ 1240.000001] eth0: link up\n"),
            Sniffed::KernelLog
        );
        assert_eq!(
            sniff(b"#kernel\nTcpExtListenOverflows 42 0.0\nTcpExtListenDrops 42 0.0\n"),
            Sniffed::Counters
        );
        assert_eq!(
            sniff(b"# Notes\nSome text\nmore text\ntcp 0 0 1.2.3.4:5 6.7.8.9:10 ESTABLISHED\n"),
            Sniffed::Unknown
        );
        assert_eq!(sniff(&[0u8, 159, 146, 150, 0, 1, 2]), Sniffed::Unknown);
        assert_eq!(
            sniff(b"Total: 509\nTCP:   129 (estab 32, closed 79, orphaned 0, timewait 17)\n"),
            Sniffed::Table
        );
    }
}
