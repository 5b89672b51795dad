//! conntrack entries: `conntrack -L` (plain and `-o extended`) and
//! `/proc/net/nf_conntrack`.
//!
//! ```text
//! ipv4     2 tcp      6 117 TIME_WAIT src=10.0.0.1 dst=10.0.0.2 sport=5000 dport=80 src=10.0.0.2 dst=10.0.0.1 sport=80 dport=5000 [ASSURED] mark=0 zone=0 use=2
//! tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=5000 dport=80 packets=3 bytes=180 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=80 dport=5000 packets=0 bytes=0 mark=0 use=1
//! icmp     1 29 src=192.168.1.1 dst=8.8.8.8 type=8 code=0 id=1234 src=8.8.8.8 dst=192.168.1.1 type=0 code=0 id=1234 mark=0 use=1
//! tcp      6 ESTABLISHED src=… [OFFLOAD] mark=0 use=2          (offloaded: no timeout)
//! conntrack v1.4.7 (conntrack-tools): 112 flow entries have been shown.
//! ```
//!
//! Keys repeat (`src=` once per direction), so tuples are read by position:
//! the first `src=` opens the original tuple, the second the reply tuple;
//! `packets=`/`bytes=` belong to the tuple before them. Under NAT the reply
//! is not the mirror of the original, so both are kept. Unknown `k=v` keys
//! (vendor extras) are skipped, never rejected.

use crate::model::{CtState, Family, Proto, ct_flags};

use super::RejectReason;
use super::addr::addr_family;
use super::record::ConntrackRecord;
use super::tokens::{parse_port, parse_u64, split_token, starts_with};

/// True when the first token starts a conntrack entry in the extended
/// layout (`ipv4 2 …`).
pub fn is_l3_word(t: &[u8]) -> bool {
    t == b"ipv4" || t == b"ipv6"
}

/// Parses one entry. `line` is trimmed at the end.
pub fn parse_entry(line: &[u8]) -> Result<ConntrackRecord<'_>, RejectReason> {
    let mut rec = ConntrackRecord::default();
    let (mut t, mut rest) = split_token(line).ok_or(RejectReason::Empty)?;
    if is_l3_word(t) {
        rec.family = if t == b"ipv4" { Family::V4 } else { Family::V6 };
        let (_l3num, r) = split_token(rest).ok_or(RejectReason::TooFewColumns)?;
        let (t2, r2) = split_token(r).ok_or(RejectReason::TooFewColumns)?;
        t = t2;
        rest = r2;
    }
    rec.proto = Proto::from_name(t).unwrap_or(Proto::Other);
    let (num, r) = split_token(rest).ok_or(RejectReason::TooFewColumns)?;
    rec.proto_num = parse_u64(num).and_then(|v| u16::try_from(v).ok()).ok_or(RejectReason::BadConntrack)?;
    rest = r;

    // Optional timeout and optional state, then key=value fields.
    let mut seen_src = 0u8;
    let mut last_tuple = 0u8; // 1 = orig, 2 = reply
    while let Some((tok, r)) = split_token(rest) {
        rest = r;
        if let Some(eq) = tok.iter().position(|&b| b == b'=') {
            let (k, v) = (&tok[..eq], &tok[eq + 1..]);
            let tuple = if seen_src >= 2 { &mut rec.reply } else { &mut rec.orig };
            match k {
                b"src" => {
                    seen_src = seen_src.saturating_add(1);
                    last_tuple = seen_src.min(2);
                    let tuple = if seen_src >= 2 { &mut rec.reply } else { &mut rec.orig };
                    tuple.src = v;
                }
                b"dst" => tuple.dst = v,
                b"sport" => tuple.sport = Some(parse_port(v).ok_or(RejectReason::BadConntrack)?),
                b"dport" => tuple.dport = Some(parse_port(v).ok_or(RejectReason::BadConntrack)?),
                b"packets" | b"bytes" => {
                    let n = parse_u64(v).ok_or(RejectReason::BadConntrack)?;
                    let tuple = if last_tuple >= 2 { &mut rec.reply } else { &mut rec.orig };
                    if k == b"packets" {
                        tuple.packets = Some(n);
                    } else {
                        tuple.bytes = Some(n);
                    }
                }
                b"mark" => rec.mark = parse_number_any(v),
                b"zone" => rec.zone = parse_u64(v).and_then(|v| u16::try_from(v).ok()),
                b"use" => rec.use_count = parse_u64(v).and_then(|v| u32::try_from(v).ok()),
                b"id" if seen_src >= 2 => rec.id = parse_u64(v).and_then(|v| u32::try_from(v).ok()),
                b"secctx" => rec.secctx = v,
                // ICMP `type= code= id=`, GRE keys, zone-orig=, delta-time=,
                // labels=, vendor extras: recognized as fields, not modelled.
                _ => {}
            }
            continue;
        }
        if tok.first() == Some(&b'[') {
            rec.flags |= match tok {
                b"[ASSURED]" => ct_flags::ASSURED,
                b"[UNREPLIED]" => ct_flags::UNREPLIED,
                b"[OFFLOAD]" => ct_flags::OFFLOAD,
                b"[HW_OFFLOAD]" => ct_flags::HW_OFFLOAD | ct_flags::OFFLOAD,
                _ => 0,
            };
            continue;
        }
        if seen_src == 0 {
            if let Some(v) = parse_u64(tok) {
                if rec.timeout.is_some() {
                    return Err(RejectReason::BadConntrack);
                }
                rec.timeout = Some(u32::try_from(v).unwrap_or(u32::MAX));
                continue;
            }
            if let Some(s) = CtState::from_word(tok) {
                rec.state = s;
                continue;
            }
        }
        return Err(RejectReason::BadConntrack);
    }
    if rec.orig.src.is_empty() || rec.orig.dst.is_empty() {
        return Err(RejectReason::BadConntrack);
    }
    if rec.family == Family::Unknown {
        rec.family = addr_family(rec.orig.src);
    }
    Ok(rec)
}

/// `mark=` is decimal, sometimes hex (`0x1`).
fn parse_number_any(v: &[u8]) -> Option<u32> {
    if let Some(h) = v.strip_prefix(b"0x") {
        u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
    } else {
        parse_u64(v).and_then(|v| u32::try_from(v).ok())
    }
}

/// `conntrack v1.4.7 (conntrack-tools): 112 flow entries have been shown.`
/// → 112.
pub fn parse_trailer(line: &[u8]) -> Option<u64> {
    if !starts_with(line, b"conntrack v") {
        return None;
    }
    let p = memchr::memmem::find(line, b"(conntrack-tools): ")?;
    let rest = &line[p + 19..];
    let (n, rest) = split_token(rest)?;
    let n = parse_u64(n)?;
    starts_with(super::tokens::skip_ws(rest), b"flow entr").then_some(n)
}

/// An event line from `conntrack -E` (`[NEW]`, `[UPDATE]`, `[DESTROY]`,
/// optionally after a `[1790270108.709287]` timestamp).
pub fn is_event_line(line: &[u8]) -> bool {
    let l = super::tokens::skip_ws(line);
    let l = if l.first() == Some(&b'[') && l.get(1).is_some_and(u8::is_ascii_digit) {
        match l.iter().position(|&b| b == b']') {
            Some(p) => super::tokens::skip_ws(&l[p + 1..]),
            None => return false,
        }
    } else {
        l
    };
    starts_with(l, b"[NEW]") || starts_with(l, b"[UPDATE]") || starts_with(l, b"[DESTROY]")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(l: &str) -> ConntrackRecord<'_> {
        parse_entry(l.as_bytes()).unwrap_or_else(|r| panic!("{l}: {r:?}"))
    }

    #[test]
    fn proc_extended_row() {
        let r = e(
            "ipv4     2 tcp      6 117 TIME_WAIT src=10.0.0.1 dst=10.0.0.2 sport=5000 dport=80 src=10.0.0.2 dst=10.0.0.1 sport=80 dport=5000 [ASSURED] mark=0 zone=0 use=2",
        );
        assert_eq!(
            (r.family, r.proto, r.proto_num, r.timeout, r.state),
            (Family::V4, Proto::Tcp, 6, Some(117), CtState::TimeWait)
        );
        assert_eq!(
            (r.orig.src, r.orig.dport, r.reply.src, r.reply.dport),
            (&b"10.0.0.1"[..], Some(80), &b"10.0.0.2"[..], Some(5000))
        );
        assert_eq!(r.flags, ct_flags::ASSURED);
        assert_eq!((r.mark, r.zone, r.use_count), (Some(0), Some(0), Some(2)));
    }

    #[test]
    fn plain_list_with_accounting_and_unreplied() {
        let r = e(
            "tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=5000 dport=80 packets=3 bytes=180 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=80 dport=5000 packets=0 bytes=0 mark=0 use=1",
        );
        assert_eq!((r.orig.packets, r.orig.bytes, r.reply.packets), (Some(3), Some(180), Some(0)));
        assert_eq!(r.flags, ct_flags::UNREPLIED);
        assert_eq!(r.family, Family::V4);
    }

    #[test]
    fn nat_reply_is_not_the_mirror() {
        let r = e(
            "ipv4 2 tcp 6 7437 ESTABLISHED src=192.168.1.10 dst=1.2.3.4 sport=51000 dport=443 src=1.2.3.4 dst=42.191.180.28 sport=443 dport=51000 [ASSURED] mark=0 use=2",
        );
        assert_eq!(r.reply.dst, b"42.191.180.28");
    }

    #[test]
    fn icmp_udp_unknown_offload_secctx() {
        let r = e(
            "icmp     1 29 src=192.168.1.1 dst=8.8.8.8 type=8 code=0 id=1234 src=8.8.8.8 dst=192.168.1.1 type=0 code=0 id=1234 mark=0 use=1",
        );
        assert_eq!((r.proto, r.state, r.orig.sport), (Proto::Icmp, CtState::None, None));
        let r = e(
            "unknown  2 599 src=10.0.0.1 dst=224.0.0.1 [UNREPLIED] src=224.0.0.1 dst=10.0.0.1 mark=0 use=1",
        );
        assert_eq!((r.proto, r.proto_num), (Proto::Other, 2));
        let r = e(
            "tcp      6 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [OFFLOAD] mark=0 use=2",
        );
        assert_eq!((r.timeout, r.flags), (None, ct_flags::OFFLOAD));
        let r = e(
            "ipv4     2 udp      17 28 src=10.128.0.1 dst=10.128.0.2 sport=5353 dport=53 src=10.128.0.2 dst=10.128.0.1 sport=53 dport=5353 mark=0 secctx=system_u:object_r:unlabeled_t:s0 zone=0 use=2",
        );
        assert_eq!(r.secctx, b"system_u:object_r:unlabeled_t:s0");
        let r = e(
            "ipv6     10 tcp      6 300 ESTABLISHED src=fd00::1 dst=fd00::2 sport=1 dport=2 src=fd00::2 dst=fd00::1 sport=2 dport=1 [ASSURED] mark=0 zone=0 use=2",
        );
        assert_eq!(r.family, Family::V6);
    }

    #[test]
    fn broken_entries_are_rejected() {
        for l in [
            "tcp 6 117 TIME_WAIT",
            "tcp x 117 TIME_WAIT src=1 dst=2",
            "tcp 6 117 TIME_WAIT src=10.0.0.1 dst=10.0.0.2 sport=99999 dport=1",
            "tcp 6 117 time_wait src=1.1.1.1 dst=2.2.2.2",
        ] {
            assert!(parse_entry(l.as_bytes()).is_err(), "{l}");
        }
    }

    #[test]
    fn trailer_and_events() {
        assert_eq!(
            parse_trailer(b"conntrack v1.4.7 (conntrack-tools): 112 flow entries have been shown."),
            Some(112)
        );
        assert_eq!(
            parse_trailer(b"conntrack v1.4.5 (conntrack-tools): 1 flow entry has been shown."),
            Some(1)
        );
        assert_eq!(parse_trailer(b"conntrack v1.4.5"), None);
        assert!(is_event_line(b"    [NEW] tcp      6 120 SYN_SENT src=1.1.1.1"));
        assert!(is_event_line(b"[1790270108.709287]\t [DESTROY] tcp      6 src=1.1.1.1"));
        assert!(!is_event_line(b"[ASSURED]"));
    }
}
