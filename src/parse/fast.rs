//! The fast lane: the two row shapes that make up nearly every byte of a
//! large capture, read straight into the values `summary` counts.
//!
//! `netstat -an` rows (`tcp|tcp6|udp|udp6 <q> <q> <local> <foreign> [STATE]`)
//! and `ss -tan` rows (`STATE <q> <q> <local> <peer> [tail]`) go through
//! the general classifier one decision at a time and come out as a full
//! [`SocketRecord`]; for counting, only a handful of its fields matter.
//! [`row`] reads those shapes in one pass with the same primitives
//! (tokenizer, endpoint parser, state words) and gives up — returning
//! `None` — on anything less ordinary, which then takes the general path.
//!
//! The contract, checked by tests over every sample and corpus file and by
//! a property test: when [`row`] returns a row, [`super::classify`] returns
//! `Line::Socket` for the same line and state, and [`CountedRow::of`] that
//! record equals it.

use crate::model::{Family, Kind, Proto, TcpState};

use super::addr::{
    Endpoint, canonical_ipv4, distrust_cut_port, flags, ipv4_value_port, mapped_ipv4_value_port,
    parse_endpoint,
};
use super::record::SocketRecord;
use super::tokens::{parse_u64, split_token, trim_end};
use super::{LineState, MAX_LINE, Section, TableFormat};

/// A remote peer as it is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer<'a> {
    /// A wildcard (`*`, `0.0.0.0`, `::`): not a peer.
    None,
    /// A canonical dotted quad, by value.
    V4(u32),
    /// Any other address text.
    Text(&'a [u8]),
}

impl<'a> Peer<'a> {
    #[inline(always)]
    fn of(e: &Endpoint<'a>) -> Self {
        if e.is_wildcard() {
            Peer::None
        } else {
            match canonical_ipv4(e.addr) {
                Some(v) => Peer::V4(v),
                None => Peer::Text(e.addr),
            }
        }
    }
}

/// What the summary accumulators count of one socket row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountedRow<'a> {
    pub kind: Kind,
    pub proto: Proto,
    pub family: Family,
    /// The TCP state (`TcpState::None` for other protocols).
    pub state: TcpState,
    pub local_port: Option<u16>,
    pub remote: Peer<'a>,
    /// An address of the row was cut by the tool's column width.
    pub truncated: bool,
}

impl<'a> CountedRow<'a> {
    /// The counted values of a fully parsed record.
    #[inline(always)]
    pub fn of(r: &SocketRecord<'a>) -> Self {
        CountedRow {
            kind: r.kind,
            proto: r.proto,
            family: r.family,
            state: if r.proto == Proto::Tcp { r.state } else { TcpState::None },
            local_port: r.local.port,
            remote: Peer::of(&r.remote),
            truncated: (r.local.flags | r.remote.flags) & flags::TRUNCATED != 0,
        }
    }
}

/// An endpoint as the fast lane reads it: most are `a.b.c.d:port`, read
/// in one pass to their value; the rest go through [`parse_endpoint`].
#[derive(Clone, Copy)]
enum Ep<'a> {
    /// `mapped`: written as `::ffff:a.b.c.d` (never a wildcard).
    V4 {
        value: u32,
        port: Option<u16>,
        mapped: bool,
    },
    Other(Endpoint<'a>),
}

impl<'a> Ep<'a> {
    #[inline(always)]
    fn read(tok: &'a [u8]) -> Option<Self> {
        if let Some((value, port)) = ipv4_value_port(tok) {
            return Some(Ep::V4 { value, port, mapped: false });
        }
        if let Some((value, port)) = mapped_ipv4_value_port(tok) {
            return Some(Ep::V4 { value, port, mapped: true });
        }
        parse_endpoint(tok).map(Ep::Other)
    }

    #[inline(always)]
    fn port(&self) -> Option<u16> {
        match self {
            Ep::V4 { port, .. } => *port,
            Ep::Other(e) => e.port,
        }
    }

    #[inline(always)]
    fn family(&self) -> Family {
        match self {
            Ep::V4 { .. } => Family::V4,
            Ep::Other(e) => e.family,
        }
    }

    #[inline(always)]
    fn flags(&self) -> u8 {
        match self {
            // `0.0.0.0` is a wildcard; no other flag applies to the shape.
            Ep::V4 { value, .. } => {
                if *value == 0 {
                    flags::WILDCARD
                } else {
                    0
                }
            }
            Ep::Other(e) => e.flags,
        }
    }

    #[inline(always)]
    fn peer(&self) -> Peer<'a> {
        match self {
            Ep::V4 { value: 0, mapped: false, .. } => Peer::None,
            Ep::V4 { value, .. } => Peer::V4(*value),
            Ep::Other(e) => Peer::of(e),
        }
    }

    /// netstat's cut of over-long dot-style endpoints (see
    /// [`distrust_cut_port`]); colon-style IPv4 never qualifies.
    #[inline(always)]
    fn distrust_cut_port(&mut self, token_len: usize) {
        if let Ep::Other(e) = self {
            distrust_cut_port(e, token_len, false);
        }
    }
}

#[inline(always)]
fn counted<'a>(
    kind: Kind,
    proto: Proto,
    family: Family,
    state: TcpState,
    l: &Ep<'a>,
    r: &Ep<'a>,
) -> CountedRow<'a> {
    CountedRow {
        kind,
        proto,
        family,
        state: if proto == Proto::Tcp { state } else { TcpState::None },
        local_port: l.port(),
        remote: r.peer(),
        truncated: (l.flags() | r.flags()) & flags::TRUNCATED != 0,
    }
}

/// Reads `line` if it has one of the common row shapes; `None` sends it to
/// the general classifier. On `Some`, the caller sets `st.after_row` just
/// as `classify` would.
#[inline(always)]
pub fn row<'a>(line: &'a [u8], st: &LineState) -> Option<CountedRow<'a>> {
    // The classifier looks at these before any row: ignored sections,
    // over-long lines, continuation lines (which start with a blank).
    if matches!(st.section, Section::Unix | Section::Other) || line.len() > MAX_LINE {
        return None;
    }
    let first = *line.first()?;
    if first.is_ascii_uppercase() {
        if matches!(st.forced, None | Some(TableFormat::Ss)) { ss_row(line) } else { None }
    } else if first == b't' || first == b'u' {
        if matches!(st.forced, None | Some(TableFormat::Netstat)) { netstat_row(line) } else { None }
    } else {
        None
    }
}

/// True if [`row`] would read further than the first byte of `line` (a
/// netstat UNIX section, say, is declined at once and costs nothing).
#[inline(always)]
pub fn may_start_row(line: &[u8], st: &LineState) -> bool {
    !matches!(st.section, Section::Unix | Section::Other)
        && line.first().is_some_and(|&b| b.is_ascii_uppercase() || b == b't' || b == b'u')
}

/// `ESTAB 0 0 10.0.0.1:443 10.0.0.2:5555 [users:(…) timer:(…) …]`.
#[inline(always)]
fn ss_row(line: &[u8]) -> Option<CountedRow<'_>> {
    let (t0, rest) = split_token(line)?;
    // BSD and Windows spellings never start an ss row.
    if matches!(t0, b"CLOSED" | b"LISTENING") {
        return None;
    }
    let mut state = TcpState::from_word(t0)?;
    if state == TcpState::Unconn {
        // ss prints TCP_CLOSE as UNCONN.
        state = TcpState::Close;
    }
    let (rq, rest) = split_token(rest)?;
    let (sq, rest) = split_token(rest)?;
    parse_u64(rq)?;
    parse_u64(sq)?;
    let (lt, rest) = split_token(rest)?;
    let (pt, _tail) = split_token(rest)?;
    let local = Ep::read(lt)?;
    let remote = Ep::read(pt)?;
    // The tail (process, timer, uid, inode) holds nothing that is counted.
    let family = match local.family() {
        Family::Unknown => remote.family(),
        f => f,
    };
    Some(counted(Kind::Ss, Proto::Tcp, family, state, &local, &remote))
}

/// `tcp 0 0 10.0.0.1:22 10.0.0.2:51234 ESTABLISHED` (Linux net-tools).
#[inline(always)]
fn netstat_row(line: &[u8]) -> Option<CountedRow<'_>> {
    let (t0, rest) = split_token(line)?;
    let (proto, fam_hint) = match t0 {
        b"tcp" => (Proto::Tcp, Family::V4),
        b"tcp6" => (Proto::Tcp, Family::V6),
        b"udp" => (Proto::Udp, Family::V4),
        b"udp6" => (Proto::Udp, Family::V6),
        _ => return None,
    };
    let (q1, rest) = split_token(rest)?;
    let (q2, rest) = split_token(rest)?;
    parse_u64(q1)?;
    parse_u64(q2)?;
    let (lt, rest) = split_token(rest)?;
    // A third counter column (FreeBSD -T) is another shape.
    if parse_u64(lt).is_some() {
        return None;
    }
    let (rt, tail) = split_token(rest)?;
    // `src=` tokens make the classifier read the line as conntrack.
    if lt.starts_with(b"src=") || rt.starts_with(b"src=") {
        return None;
    }
    let mut local = Ep::read(lt)?;
    let mut remote = Ep::read(rt)?;
    local.distrust_cut_port(lt.len());
    remote.distrust_cut_port(rt.len());
    let family = match local.family() {
        Family::Unknown => match remote.family() {
            Family::Unknown => fam_hint,
            f => f,
        },
        f => f,
    };
    // The `-an` tail is the state word or nothing; `-e/-p/-o` columns take
    // the general path.
    let (word, after) = match split_token(tail) {
        Some(x) => x,
        None => (&b""[..], &b""[..]),
    };
    if !trim_end(after).is_empty() {
        return None;
    }
    // Only a known state word (or none): `-`, `PID/name`, timers and
    // datagram words have their own rules in the general path.
    let state = if word.is_empty() { TcpState::Unknown } else { TcpState::from_word(word)? };
    Some(counted(Kind::Netstat, proto, family, state, &local, &remote))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{Line, classify};
    use proptest::prelude::*;

    /// The contract: a fast-lane row is exactly what the classifier makes
    /// of the line, and the classifier's state moves the same way.
    fn check(line: &[u8], st: &LineState) {
        if let Some(fast) = row(line, st) {
            let mut full_st = *st;
            match classify(line, &mut full_st) {
                Line::Socket(r) => assert_eq!(
                    CountedRow::of(&r),
                    fast,
                    "fast lane disagrees on {:?}",
                    String::from_utf8_lossy(line)
                ),
                other => panic!(
                    "fast lane read {:?} as a row, the classifier as {other:?}",
                    String::from_utf8_lossy(line)
                ),
            }
            assert!(full_st.after_row && full_st.section == st.section);
        }
    }

    fn states_for(st: LineState) -> Vec<LineState> {
        let mut out = vec![st];
        for forced in [Some(TableFormat::Netstat), Some(TableFormat::Ss), Some(TableFormat::Conntrack)] {
            out.push(LineState { forced, ..st });
        }
        for section in [Section::Unix, Section::Other, Section::Inet] {
            out.push(LineState { section, ..st });
        }
        out
    }

    /// Every line of every sample and (when present) corpus file, in the
    /// classifier state it really occurs in and in the other states.
    #[test]
    fn agrees_with_the_classifier_on_real_captures() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in [root.join("samples"), root.join("../shared/corpus/public")] {
            for e in walkdir::WalkDir::new(dir).into_iter().flatten() {
                let p = e.path();
                if e.file_type().is_file() && p.extension().is_some_and(|x| x == "txt" || x == "log") {
                    files.push(p.to_path_buf());
                }
            }
        }
        assert!(files.len() >= 20, "samples missing: {files:?}");
        let (mut fast_rows, mut lines) = (0, 0);
        for f in files {
            let data = std::fs::read(&f).unwrap();
            let mut st = LineState::new(None);
            for line in data.split(|&b| b == b'\n') {
                lines += 1;
                for s in states_for(st) {
                    check(line, &s);
                }
                fast_rows += row(line, &st).is_some() as usize;
                classify(line, &mut st);
            }
        }
        // The lane must actually carry the common rows.
        assert!(fast_rows > lines / 4, "{fast_rows} of {lines} lines took the fast lane");
    }

    #[test]
    fn common_shapes_take_the_fast_lane() {
        let st = LineState::new(None);
        for l in [
            &b"tcp        0      0 10.0.4.21:443           10.9.8.7:51234          ESTABLISHED"[..],
            b"tcp6       0      0 :::22                   :::*                    LISTEN     ",
            b"udp        0      0 0.0.0.0:68              0.0.0.0:*                          ",
            b"ESTAB      0      0      10.0.4.21:443    [::ffff:10.9.8.7]:51234",
            b"TIME-WAIT  0      0      [2001:db8::1]:443    [2001:db8::2]:40000  timer:(timewait,59sec,0)",
        ] {
            assert!(row(l, &st).is_some(), "{}", String::from_utf8_lossy(l));
            check(l, &st);
        }
        // Shapes left to the classifier.
        for l in [
            &b"tcp        0      0 10.0.4.21:443           10.9.8.7:51234          ESTABLISHED 1234/nginx"[..],
            b"tcp        0      0 0.0.0.0:22              0.0.0.0:*               LISTEN      off (0.00/0/0)",
            b"udp        0      0 0.0.0.0:68              0.0.0.0:*                           -",
            b"tcp ESTAB 0 0 10.0.0.1:1 10.0.0.2:2",
            b"\tcubic wscale:7,7",
            b"CLOSED 0 0 1.2.3.4:5 6.7.8.9:10",
            b"tcp 0 0 src=1.2.3.4:5 6.7.8.9:10 ESTABLISHED",
        ] {
            assert!(row(l, &st).is_none(), "{}", String::from_utf8_lossy(l));
        }
    }

    fn pick(words: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
        proptest::sample::select(words).prop_map(|w| w.as_bytes().to_vec())
    }

    /// Anything at all, sometimes: the slots below mostly hold their own
    /// column's words so that lines are row-shaped often.
    fn noise() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof!["[ -~]{0,6}".prop_map(|s| s.into_bytes()), proptest::collection::vec(any::<u8>(), 0..4)]
    }

    fn first() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            8 => pick(&["tcp", "tcp6", "udp", "udp6", "raw", "tcp4", "ESTAB", "ESTABLISHED", "UNCONN", "LISTEN",
                        "TIME-WAIT", "CLOSED", "LISTENING", "SYN-SENT", "unix", "ipv4", "TCP"]),
            1 => noise(),
        ]
    }

    fn queue() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![8 => pick(&["0", "1", "128", "99999999999999999999999", "-1", "4294967296"]), 1 => noise()]
    }

    fn endpoint() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            8 => pick(&["*:*", "0.0.0.0:*", "[::]:22", ":::22", "::1:631", "10.0.0.1:443", "10.0.0.1.443", "*.22",
                        "[::ffff:10.0.0.2]:80", "::ffff:10.0.0.2:80", "[::ffff:0.0.0.0]:80", "[::FFFF:1.2.3.4]:5",
                        "::ffff:0.0.0.0:*", "[::ffff:1.2.3.4]:http", "fe80::b1f3:2c:3c6c::123",
                        "2001:db8:1:2:3:4:5:6:443", "2001:db8:1:2:3:4:5:6:4431", "src=1.2.3.4", "src=1.2.3.4:5",
                        "10.0.0.1:http", "localhost:ssh", "[fe80::1]%eth0:546", "0.0.0.0%virbr0:67", "1.2.3.4:",
                        "1.2.3.4:99999", "12345", "fe80::1%lo0.123"]),
            1 => noise(),
        ]
    }

    fn tail() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            8 => pick(&["ESTABLISHED", "LISTEN", "TIME_WAIT", "CLOSE", "UNKNOWN", "Idle", "Connected", "-",
                        "1234/nginx", "off", "(0.00/0/0)", "off(0.00/0/0)", "users:((\"a\",pid=1,fd=2))",
                        "timer:(keepalive,1min,0)", "uid:1000", "ino:123", "1000", "src=9.9.9.9"]),
            1 => noise(),
        ]
    }

    fn sep() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            Just(b" ".to_vec()),
            Just(b"      ".to_vec()),
            Just(b"\t".to_vec()),
            Just(b" \r".to_vec())
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 20000, ..ProptestConfig::default() })]
        #[test]
        fn agrees_with_the_classifier_on_row_like_lines(
            head in (first(), sep(), queue(), sep(), queue(), sep()),
            ends in (endpoint(), sep(), endpoint()),
            tails in proptest::collection::vec((sep(), tail()), 0..3),
            trailing in proptest::option::of(sep()),
            lead in proptest::option::of(sep()),
            section in 0u8..3,
            forced in 0u8..4,
            after_row in any::<bool>(),
        ) {
            let mut line = lead.unwrap_or_default();
            for part in [head.0, head.1, head.2, head.3, head.4, head.5, ends.0, ends.1, ends.2] {
                line.extend(part);
            }
            for (s, t) in tails {
                line.extend(s);
                line.extend(t);
            }
            line.extend(trailing.unwrap_or_default());
            let section = [Section::Unknown, Section::Inet, Section::Unix][section as usize];
            let forced = [None, Some(TableFormat::Netstat), Some(TableFormat::Ss), Some(TableFormat::Conntrack)]
                [forced as usize];
            check(&line, &LineState { section, after_row, forced });
        }
    }
}
