//! Socket endpoints as the tools print them.
//!
//! One function reads every flavour, because the separator can be told from
//! the text itself:
//! - colon style (Linux netstat, ss, Windows): `10.0.0.1:443`, `*:*`,
//!   `:::22`, `[::]:22`, `[::ffff:1.2.3.4]:80`, `::ffff:1.2.3.4:80`,
//!   `2a01:4f8:190:514a::2:443` (old unbracketed ss), `0.0.0.0%virbr0:67`,
//!   `[fe80::1]%eth0:546`, `localhost.localdomain:www` (resolved names);
//! - dot style (BSD, macOS, Solaris): `192.168.1.33.22`, `*.22`, `*.*`,
//!   `::1.6012`, `fe80::1%lo0.123`, `on-in-x6d.1e100..imaps`.
//!
//! The colon split is taken when the text after the last `:` is a port (or
//! `*`, or a service name); otherwise the last `.` separates the port. The
//! address keeps no brackets, no `%scope`, and an IPv4-mapped IPv6 address
//! is reduced to its IPv4 form, so one peer has one key everywhere.
//!
//! net-tools without `-W` cuts `addr:port` to 23 characters by shortening
//! the *address* and keeping the port, e.g. `fe80::b1f3:2c:3c6c::123`
//! (address `fe80::b1f3:2c:3c6c:` + port 123). Such an address is flagged
//! `TRUNCATED` and kept as printed; the port is real.

use crate::model::Family;

use super::tokens::parse_port;

/// Flags on an endpoint.
pub mod flags {
    /// The address is `*`, `0.0.0.0` or `::`.
    pub const WILDCARD: u8 = 1;
    /// The address is a host name, not a literal (netstat without `-n`).
    pub const RESOLVED: u8 = 2;
    /// The address was cut by the tool (netstat column width).
    pub const TRUNCATED: u8 = 4;
    /// The port was printed as a service name we could not map.
    pub const PORT_NAME: u8 = 8;
    /// The address was IPv4-mapped IPv6 (`::ffff:a.b.c.d`).
    pub const MAPPED: u8 = 16;
    /// BSD style: the port followed the last `.`.
    pub const DOT_STYLE: u8 = 32;
}

/// A parsed endpoint borrowing from the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Endpoint<'a> {
    /// Canonical address text: no brackets, no scope, mapped IPv4 unwrapped.
    pub addr: &'a [u8],
    /// `None` for `*` or an unknown service name.
    pub port: Option<u16>,
    /// Interface after `%`, empty if none.
    pub scope: &'a [u8],
    pub flags: u8,
    /// Family of the canonical address (computed once while parsing).
    pub family: Family,
}

impl Endpoint<'_> {
    pub fn is_wildcard(&self) -> bool {
        self.flags & flags::WILDCARD != 0
    }

    /// Family of the canonical address.
    pub fn family(&self) -> Family {
        self.family
    }
}

/// Family from the address text: a colon means IPv6, a dotted quad IPv4.
pub fn addr_family(addr: &[u8]) -> Family {
    if addr.contains(&b':') {
        Family::V6
    } else if !addr.is_empty() && addr.iter().all(|b| b.is_ascii_digit() || *b == b'.') {
        Family::V4
    } else {
        Family::Unknown
    }
}

/// The value of a dotted quad printed the way every tool prints one
/// (`inet_ntop`: four decimal octets, no leading zeros), so that
/// [`write_ipv4`] gives back exactly the same text; `None` otherwise.
#[inline]
pub fn canonical_ipv4(a: &[u8]) -> Option<u32> {
    quad_prefix(a, true).filter(|&(_, n)| n == a.len()).map(|(v, _)| v)
}

/// Reads a dotted quad at the start of `t`, up to the first byte that is
/// neither a digit nor a dot: (value, bytes read). Octets have one to three
/// digits and are at most 255; `canonical` also refuses leading zeros.
#[inline(always)]
fn quad_prefix(t: &[u8], canonical: bool) -> Option<(u32, usize)> {
    let (mut v, mut octet, mut digits, mut dots) = (0u32, 0u32, 0, 0);
    let mut i = 0;
    while let Some(&b) = t.get(i) {
        let d = b.wrapping_sub(b'0');
        if d <= 9 {
            if digits == 3 || (canonical && digits == 1 && octet == 0) {
                return None;
            }
            octet = octet * 10 + u32::from(d);
            digits += 1;
            if octet > 255 {
                return None;
            }
        } else if b == b'.' {
            if digits == 0 || dots == 3 {
                return None;
            }
            v = (v << 8) | octet;
            octet = 0;
            digits = 0;
            dots += 1;
        } else {
            break;
        }
        i += 1;
    }
    (digits > 0 && dots == 3).then_some(((v << 8) | octet, i))
}

/// `a.b.c.d:port` or `a.b.c.d:*` with a canonical dotted quad (see
/// [`canonical_ipv4`]), read in one pass to the address's value and the
/// port. `None` for anything else, which [`parse_endpoint`] reads; where
/// this returns a value, `parse_endpoint` gives the same address text,
/// port and flags.
#[inline(always)]
pub fn ipv4_value_port(tok: &[u8]) -> Option<(u32, Option<u16>)> {
    dotted_quad_then_port(tok, false)
}

/// The IPv4-mapped forms `[::ffff:a.b.c.d]:port` (ss) and
/// `::ffff:a.b.c.d:port` (netstat), like [`ipv4_value_port`]. The general
/// parser gives such an endpoint the IPv4 text and the `MAPPED` flag.
#[inline(always)]
pub fn mapped_ipv4_value_port(tok: &[u8]) -> Option<(u32, Option<u16>)> {
    if let Some(rest) = tok.strip_prefix(b"[::ffff:") {
        dotted_quad_then_port(rest, true)
    } else if let Some(rest) = tok.strip_prefix(b"::ffff:") {
        dotted_quad_then_port(rest, false)
    } else {
        None
    }
}

/// A canonical dotted quad, then `:` (or `]:` when `bracket`), then a
/// port or `*`.
#[inline(always)]
fn dotted_quad_then_port(tok: &[u8], bracket: bool) -> Option<(u32, Option<u16>)> {
    let (v, n) = quad_prefix(tok, true)?;
    let sep: &[u8] = if bracket { b"]:" } else { b":" };
    let port = match tok[n..].strip_prefix(sep)? {
        b"*" => None,
        p => Some(parse_port(p)?),
    };
    Some((v, port))
}

/// Writes `v` as a dotted quad into `buf`; returns the length.
pub fn write_ipv4(v: u32, buf: &mut [u8; 15]) -> usize {
    let mut n = 0;
    for (i, o) in v.to_be_bytes().into_iter().enumerate() {
        if i > 0 {
            buf[n] = b'.';
            n += 1;
        }
        if o >= 100 {
            buf[n] = b'0' + o / 100;
            n += 1;
        }
        if o >= 10 {
            buf[n] = b'0' + (o / 10) % 10;
            n += 1;
        }
        buf[n] = b'0' + o % 10;
        n += 1;
    }
    n
}

/// Parses one address token. `None` if it has no recognizable port part.
#[inline]
pub fn parse_endpoint(tok: &[u8]) -> Option<Endpoint<'_>> {
    // Fast path for the common shape, `a.b.c.d:port` or `a.b.c.d:*`.
    if let Some(ep) = ipv4_colon(tok) {
        return Some(ep);
    }
    parse_endpoint_slow(tok)
}

/// `10.1.2.3:443` / `0.0.0.0:*` in one pass; `None` for anything else.
#[inline(always)]
fn ipv4_colon(tok: &[u8]) -> Option<Endpoint<'_>> {
    let colon = tok.iter().position(|&b| b == b':')?;
    let (host, port_part) = (&tok[..colon], &tok[colon + 1..]);
    if host.len() < 7 || host.len() > 15 || !super::tokens::all_digits_or_dots(host) {
        return None;
    }
    let port = match port_part {
        b"*" => None,
        p => Some(parse_port(p)?),
    };
    let flags = if host == b"0.0.0.0" { flags::WILDCARD } else { 0 };
    Some(Endpoint { addr: host, port, scope: b"", flags, family: Family::V4 })
}

#[inline]
fn parse_endpoint_slow(tok: &[u8]) -> Option<Endpoint<'_>> {
    if tok.is_empty() {
        return None;
    }
    if tok == b"*" {
        // ss prints a bare `*` as the peer of netlink and some raw sockets.
        return Some(Endpoint {
            addr: b"*",
            port: None,
            scope: b"",
            flags: flags::WILDCARD,
            family: Family::Unknown,
        });
    }
    // Bracketed IPv6: `[addr]:port` or `[addr]%iface:port`.
    if tok[0] == b'[' {
        let close = tok.iter().position(|&b| b == b']')?;
        let inner = &tok[1..close];
        let after = &tok[close + 1..];
        let (scope, port_part) = match after.first() {
            Some(b'%') => {
                let colon = after.iter().rposition(|&b| b == b':')?;
                (&after[1..colon], &after[colon + 1..])
            }
            Some(b':') => (&b""[..], &after[1..]),
            _ => return None,
        };
        // Some builds print the scope inside the brackets.
        let (inner, scope) = split_scope(inner, scope);
        let (port, pflags) = port_value(port_part)?;
        return Some(finish(inner, port, scope, pflags));
    }
    if let Some(colon) = tok.iter().rposition(|&b| b == b':') {
        let port_part = &tok[colon + 1..];
        if let Some((port, pflags)) = port_value(port_part) {
            let host = &tok[..colon];
            let (host, scope) = split_scope(host, b"");
            if !host.is_empty() {
                return Some(finish(host, port, scope, pflags));
            }
        }
    }
    // Dot style: the last '.' separates the port.
    let dot = tok.iter().rposition(|&b| b == b'.')?;
    let (port, pflags) = port_value(&tok[dot + 1..])?;
    let mut host = &tok[..dot];
    // Truncated resolved names end with a '.' before the port (`x..imaps`).
    let mut extra = 0;
    if let [rest @ .., b'.'] = host {
        host = rest;
        extra |= flags::TRUNCATED;
    }
    let (host, scope) = split_scope(host, b"");
    if host.is_empty() {
        return None;
    }
    let mut ep = finish(host, port, scope, pflags);
    if extra == 0 && ep.flags & flags::TRUNCATED != 0 {
        // A cut IPv6 text: its port was cut with it.
        ep.port = None;
    }
    ep.flags |= extra | flags::DOT_STYLE;
    Some(ep)
}

/// BSD netstat cuts `addr.port` to its column width — 18 with `-A`, 22
/// without (IPv4 never reaches 22) — port included: `2620:1ec:21::14.44`
/// was port 443. A dot-style token of exactly that width may have been
/// cut, so its port is not trusted.
pub fn distrust_cut_port(ep: &mut Endpoint<'_>, token_len: usize, with_a_columns: bool) {
    if ep.flags & flags::DOT_STYLE == 0 {
        return;
    }
    let width = if with_a_columns { 18 } else { 22 };
    if token_len == width && (with_a_columns || ep.family == Family::V6) {
        ep.port = None;
        ep.flags |= flags::TRUNCATED;
    }
}

/// `addr%iface` → (`addr`, `iface`); keeps an outer scope if given.
#[inline]
fn split_scope<'a>(host: &'a [u8], scope: &'a [u8]) -> (&'a [u8], &'a [u8]) {
    match host.iter().position(|&b| b == b'%') {
        Some(p) => (&host[..p], &host[p + 1..]),
        None => (host, scope),
    }
}

/// Reads the port part: digits, `*`, or a service name.
#[inline]
fn port_value(p: &[u8]) -> Option<(Option<u16>, u8)> {
    if p == b"*" {
        return Some((None, 0));
    }
    if let Some(n) = parse_port(p) {
        return Some((Some(n), 0));
    }
    // A service name: letters, digits, '-', '_' (ipv6-icmp, http-alt,
    // netbios-ns) and at least one letter. A '.' rules it out so the dot
    // style gets its turn.
    if p.is_empty()
        || p.len() > 32
        || !p[0].is_ascii_alphabetic()
        || !p.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
    {
        return None;
    }
    match service_port(p) {
        Some(n) => Some((Some(n), 0)),
        None => Some((None, flags::PORT_NAME)),
    }
}

#[inline]
fn finish<'a>(host: &'a [u8], port: Option<u16>, scope: &'a [u8], pflags: u8) -> Endpoint<'a> {
    // One pass over the text tells IPv4 literal, IPv6 literal or name.
    let (mut colon, mut v4chars) = (false, true);
    for &b in host {
        colon |= b == b':';
        v4chars &= b.is_ascii_digit() || b == b'.';
    }
    let mut f = pflags;
    let mut addr = host;
    let family;
    if host == b"*" || host == b"0.0.0.0" || host == b"::" {
        f |= flags::WILDCARD;
        family = if colon {
            Family::V6
        } else if v4chars {
            Family::V4
        } else {
            Family::Unknown
        };
    } else if colon {
        if let Some(v4) = strip_mapped(host) {
            addr = v4;
            f |= flags::MAPPED;
            family = Family::V4;
        } else {
            if !plausible_v6(host) {
                f |= flags::TRUNCATED;
            }
            family = Family::V6;
        }
    } else if v4chars {
        family = Family::V4;
    } else {
        f |= flags::RESOLVED;
        family = Family::Unknown;
    }
    Endpoint { addr, port, scope, flags: f, family }
}

/// `::ffff:1.2.3.4` → `1.2.3.4`.
#[inline]
fn strip_mapped(host: &[u8]) -> Option<&[u8]> {
    const P: &[u8] = b"::ffff:";
    if host.len() > P.len() && host[..P.len()].eq_ignore_ascii_case(P) {
        let rest = &host[P.len()..];
        // Four octets, or it is what net-tools' column cut left of one
        // (`::ffff:192.168.100`): not an address, so not unwrapped.
        if dotted_quad(rest) {
            return Some(rest);
        }
    }
    None
}

/// Four decimal octets of at most three digits and 255.
fn dotted_quad(t: &[u8]) -> bool {
    quad_prefix(t, false).is_some_and(|(_, n)| n == t.len())
}

/// A cheap validity check for IPv6 text: groups of ≤4 hex digits, at most
/// one `::`, no trailing single `:` (the mark of a net-tools cut).
fn plausible_v6(h: &[u8]) -> bool {
    if h.len() < 2 {
        return false;
    }
    let double = h.windows(2).filter(|w| w == b"::").count();
    if double > 1 {
        return false;
    }
    if (h.ends_with(b":") && !h.ends_with(b"::")) || (h.starts_with(b":") && !h.starts_with(b"::")) {
        return false;
    }
    let mut groups = 0;
    for g in h.split(|&b| b == b':') {
        if g.is_empty() {
            continue;
        }
        groups += 1;
        if g.contains(&b'.') {
            // Embedded IPv4 tail: a whole dotted quad (a cut one is the
            // mark of net-tools' column width).
            if !dotted_quad(g) {
                return false;
            }
            groups += 1;
            continue;
        }
        if g.len() > 4 || !g.iter().all(|b| b.is_ascii_hexdigit()) {
            return false;
        }
    }
    if double == 1 { groups < 8 } else { groups == 8 }
}

/// The service names netstat and ss print without `-n` (glibc's
/// /etc/services), for the ports that show up on servers.
pub fn service_port(name: &[u8]) -> Option<u16> {
    Some(match name {
        b"ftp-data" => 20,
        b"ftp" => 21,
        b"ssh" => 22,
        b"telnet" => 23,
        b"smtp" => 25,
        b"domain" => 53,
        b"bootps" => 67,
        b"bootpc" => 68,
        b"tftp" => 69,
        b"http" | b"www" | b"www-http" => 80,
        b"kerberos" => 88,
        b"pop3" => 110,
        b"sunrpc" => 111,
        b"ntp" => 123,
        b"netbios-ns" => 137,
        b"netbios-dgm" => 138,
        b"netbios-ssn" => 139,
        b"imap" | b"imap2" => 143,
        b"snmp" => 161,
        b"ldap" => 389,
        b"https" => 443,
        b"microsoft-ds" => 445,
        b"smtps" | b"submissions" => 465,
        b"syslog" => 514,
        b"submission" => 587,
        b"ipp" => 631,
        b"ldaps" => 636,
        b"rsync" => 873,
        b"imaps" => 993,
        b"pop3s" => 995,
        b"ms-sql-s" => 1433,
        b"openvpn" => 1194,
        b"nfs" => 2049,
        b"mysql" => 3306,
        b"ms-wbt-server" => 3389,
        b"xmpp-client" => 5222,
        b"xmpp-server" => 5269,
        b"mdns" => 5353,
        b"postgresql" => 5432,
        b"amqp" => 5672,
        b"x11" => 6000,
        b"redis" => 6379,
        b"http-alt" | b"webcache" => 8080,
        b"memcache" => 11211,
        b"mongodb" => 27017,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        /// The one-pass reader agrees with the general one wherever it answers.
        #[test]
        fn ipv4_value_port_agrees_with_parse_endpoint(
            octets in proptest::collection::vec(prop_oneof!["[0-9]{1,3}", "0[0-9]", "[0-9a]{0,4}"], 1..6),
            sep in prop_oneof![Just(":"), Just("."), Just("%lo:"), Just("")],
            port in prop_oneof!["[0-9]{1,6}", Just("*".to_string()), "[a-z*:]{0,4}"],
        ) {
            let tok = format!("{}{}{}", octets.join("."), sep, port);
            for mapped in [format!("[::ffff:{}]{}{}", octets.join("."), sep, port),
                           format!("::ffff:{tok}"), format!("[::ffff:{tok}]")] {
                if let Some((v, p)) = super::mapped_ipv4_value_port(mapped.as_bytes()) {
                    let e = super::parse_endpoint(mapped.as_bytes()).expect("general parser refused");
                    prop_assert_eq!(super::canonical_ipv4(e.addr), Some(v));
                    prop_assert_eq!(e.port, p);
                    prop_assert_eq!(e.family, crate::model::Family::V4);
                    prop_assert_eq!(e.flags, super::flags::MAPPED);
                }
            }
            if let Some((v, p)) = super::ipv4_value_port(tok.as_bytes()) {
                let e = super::parse_endpoint(tok.as_bytes()).expect("general parser refused");
                prop_assert_eq!(super::canonical_ipv4(e.addr), Some(v));
                prop_assert_eq!(e.port, p);
                prop_assert_eq!(e.family, crate::model::Family::V4);
                prop_assert_eq!(e.flags, if v == 0 { super::flags::WILDCARD } else { 0 });
            }
        }
    }

    #[test]
    fn a_cut_mapped_address_is_flagged_not_unwrapped() {
        for tok in ["::ffff:192.168.100:8080", "::ffff:10.200.30.:44312", "::ffff:10.1.2.300:80"] {
            let e = super::parse_endpoint(tok.as_bytes()).unwrap();
            assert_ne!(e.flags & super::flags::MAPPED, super::flags::MAPPED, "{tok}");
            assert_eq!(e.flags & super::flags::TRUNCATED, super::flags::TRUNCATED, "{tok}");
        }
        let e = super::parse_endpoint(b"::ffff:10.1.23.145:50000").unwrap();
        assert_eq!((e.addr, e.flags), (&b"10.1.23.145"[..], super::flags::MAPPED));
    }

    #[test]
    fn canonical_ipv4_round_trips_and_refuses_other_spellings() {
        for text in ["0.0.0.0", "10.1.2.3", "255.255.255.255", "192.168.100.9", "1.20.255.0", "127.0.0.1"] {
            let v = super::canonical_ipv4(text.as_bytes()).unwrap();
            let mut buf = [0u8; 15];
            let n = super::write_ipv4(v, &mut buf);
            assert_eq!(&buf[..n], text.as_bytes());
        }
        assert_eq!(super::canonical_ipv4(b"10.1.2.3"), Some(0x0a01_0203));
        for bad in [
            "010.1.2.3",
            "10.01.2.3",
            "10.1.2.00",
            "256.1.2.3",
            "1.2.3",
            "1.2.3.4.5",
            "1..2.3",
            ".1.2.3",
            "1.2.3.",
            "1.2.3.4a",
            "1.2.3.-4",
            "",
            "1234.1.1.1",
            "::1",
            "1.2.3.4:80",
        ] {
            assert_eq!(super::canonical_ipv4(bad.as_bytes()), None, "{bad}");
        }
        // Every value survives text and back.
        let mut x: u32 = 0x9e37_79b9;
        for _ in 0..100_000 {
            x = x.wrapping_mul(0x0019_660d).wrapping_add(0x3c6e_f35f);
            let mut buf = [0u8; 15];
            let n = super::write_ipv4(x, &mut buf);
            assert_eq!(super::canonical_ipv4(&buf[..n]), Some(x));
            assert_eq!(std::str::from_utf8(&buf[..n]).unwrap(), std::net::Ipv4Addr::from(x).to_string());
        }
    }

    use super::*;

    fn ep(t: &str) -> Endpoint<'_> {
        parse_endpoint(t.as_bytes()).unwrap_or_else(|| panic!("no endpoint in {t}"))
    }

    #[test]
    fn linux_and_ss_colon_forms() {
        let e = ep("10.0.0.1:443");
        assert_eq!((e.addr, e.port, e.flags), (&b"10.0.0.1"[..], Some(443), 0));
        assert!(ep("0.0.0.0:*").is_wildcard());
        assert_eq!(ep("*:*").port, None);
        let e = ep(":::22");
        assert_eq!((e.addr, e.port), (&b"::"[..], Some(22)));
        assert!(e.is_wildcard());
        let e = ep("[::]:22");
        assert_eq!((e.addr, e.port), (&b"::"[..], Some(22)));
    }

    #[test]
    fn mapped_ipv4_counts_as_the_ipv4_address() {
        for t in ["[::ffff:1.2.3.4]:80", "::ffff:1.2.3.4:80"] {
            let e = ep(t);
            assert_eq!((e.addr, e.port), (&b"1.2.3.4"[..], Some(80)), "{t}");
            assert_eq!(e.family(), Family::V4);
            assert!(e.flags & flags::MAPPED != 0);
        }
    }

    #[test]
    fn unbracketed_ipv6_from_old_ss() {
        let e = ep("2a01:4f8:190:514a::2:443");
        assert_eq!((e.addr, e.port, e.flags), (&b"2a01:4f8:190:514a::2"[..], Some(443), 0));
        let e = ep("2001:858:2:2:aabb:0:563b:1526:38260");
        assert_eq!((e.addr, e.port, e.flags), (&b"2001:858:2:2:aabb:0:563b:1526"[..], Some(38260), 0));
    }

    #[test]
    fn interface_suffix_is_split_off() {
        let e = ep("192.168.1.160%enp61s0:36590");
        assert_eq!((e.addr, e.port, e.scope), (&b"192.168.1.160"[..], Some(36590), &b"enp61s0"[..]));
        let e = ep("0.0.0.0%virbr0:67");
        assert!(e.is_wildcard());
        let e = ep("[fe80::1]%eth0:546");
        assert_eq!((e.addr, e.port, e.scope), (&b"fe80::1"[..], Some(546), &b"eth0"[..]));
        let e = ep("*%ens33:ipv6-icmp");
        assert_eq!((e.addr, e.port, e.scope), (&b"*"[..], None, &b"ens33"[..]));
    }

    #[test]
    fn truncated_netstat_ipv6_keeps_the_real_port() {
        // net-tools shortens the address, never the port.
        let e = ep("fe80::b1f3:2c:3c6c::123");
        assert_eq!(e.port, Some(123));
        assert!(e.flags & flags::TRUNCATED != 0);
        let e = ep("2a01:4f8:110:31e8:33141");
        assert_eq!(e.port, Some(33141));
        assert!(e.flags & flags::TRUNCATED != 0);
    }

    #[test]
    fn bsd_dot_port_separator() {
        let e = ep("192.168.1.33.22");
        assert_eq!((e.addr, e.port), (&b"192.168.1.33"[..], Some(22)));
        let e = ep("*.*");
        assert_eq!((e.addr, e.port), (&b"*"[..], None));
        let e = ep("::1.6012");
        assert_eq!((e.addr, e.port, e.flags), (&b"::1"[..], Some(6012), flags::DOT_STYLE));
        let e = ep("fe80::1%lo0.123");
        assert_eq!((e.addr, e.port, e.scope), (&b"fe80::1"[..], Some(123), &b"lo0"[..]));
        let mut e = ep("2620:1ec:21::14.44");
        distrust_cut_port(&mut e, 18, true);
        assert_eq!(e.port, None, "a cut port is not invented");
        assert!(e.flags & flags::TRUNCATED != 0);
        // Without -A an 18-character IPv4 endpoint is whole.
        let mut e = ep("192.168.1.33.64330");
        distrust_cut_port(&mut e, 18, false);
        assert_eq!(e.port, Some(64330));
        let e = ep("2001:db8::443.80");
        assert_eq!((e.addr, e.port), (&b"2001:db8::443"[..], Some(80)));
    }

    #[test]
    fn resolved_names_and_services() {
        let e = ep("localhost.localdomain:www");
        assert_eq!((e.addr, e.port), (&b"localhost.localdomain"[..], Some(80)));
        assert!(e.flags & flags::RESOLVED != 0);
        let e = ep("on-in-x6d.1e100..imaps");
        assert_eq!((e.addr, e.port), (&b"on-in-x6d.1e100"[..], Some(993)));
        let e = ep("lb-192-30-255-112:rare-service");
        assert_eq!(e.port, None);
        assert!(e.flags & flags::PORT_NAME != 0);
        let e = ep("localhost.smtp");
        assert_eq!((e.addr, e.port), (&b"localhost"[..], Some(25)));
    }

    #[test]
    fn garbage_is_not_an_endpoint() {
        for t in ["", "ESTAB", "1234", "[::1", "[::1]x", ":80"] {
            assert!(parse_endpoint(t.as_bytes()).is_none(), "{t}");
        }
    }
}
