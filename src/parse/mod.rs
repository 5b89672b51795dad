//! Line-level parsers for every capture format, and the classifier that
//! accounts for each line.
//!
//! Every input line ends up as exactly one [`Line`]: a record (socket,
//! conntrack entry, `ss -s` counters), a continuation of the record above,
//! structure (blank, header, timestamp, section title, tool message),
//! ignored by design (UNIX sockets, netlink, other netstat sections) or
//! rejected with a [`RejectReason`]. The classifier needs almost no context
//! — row shapes identify their tool — so a file can be cut into chunks and
//! classified in parallel; the little context there is lives in
//! [`LineState`].
//!
//! nom types never leave this module tree: parsers return records or a
//! `RejectReason`.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod addr;
pub mod conntrack;
pub mod ctstat;
pub mod fast;
pub mod kernlog;
pub mod locale;
pub mod netstat;
pub mod netstat_s;
#[cfg(test)]
mod pitfalls;
pub mod record;
pub mod ss;
pub mod sysctl;
pub mod timestamp;
pub mod tokens;

use serde::Serialize;

use crate::model::Kind;
use record::{ConntrackRecord, SocketRecord};
use ss::{Sockstat, SockstatLine, SsRow};
use timestamp::RawTime;
use tokens::{split_token, starts_with, trim_end};

/// Why a line was rejected. Stable names: they appear in JSON output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    Empty,
    TooFewColumns,
    UnknownProtocol,
    BadAddress,
    BadQueue,
    BadState,
    BadConntrack,
    TrailingGarbage,
    NotUtf8Text,
    LineTooLong,
    /// Text that matches no supported format.
    Unrecognized,
    /// A row of a format other than the one forced by `--input-format`.
    WrongFormat,
}

impl RejectReason {
    pub const fn describe(self) -> &'static str {
        match self {
            RejectReason::Empty => "empty row",
            RejectReason::TooFewColumns => "too few columns for a socket row",
            RejectReason::UnknownProtocol => "unknown protocol column",
            RejectReason::BadAddress => "address column is not an address:port",
            RejectReason::BadQueue => "Recv-Q/Send-Q is not a number",
            RejectReason::BadState => "state column is not a socket state",
            RejectReason::BadConntrack => "malformed conntrack entry",
            RejectReason::TrailingGarbage => "unexpected text after the row",
            RejectReason::NotUtf8Text => "binary data, not text",
            RejectReason::LineTooLong => "line longer than any socket row (over 64 KiB)",
            RejectReason::Unrecognized => "not a line of any supported format",
            RejectReason::WrongFormat => "not a row of the format given by --input-format",
        }
    }
}

impl std::fmt::Display for RejectReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.describe())
    }
}

/// Which part of a netstat report the lines belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Start of a chunk: not known until a title line appears.
    Unknown,
    /// Internet sockets (the only rows we model).
    Inet,
    /// UNIX domain sockets: counted as ignored.
    Unix,
    /// Bluetooth, multicast groups, routing, macOS kernel sockets...
    Other,
}

/// Structural lines.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Structure {
    Blank,
    Timestamp(RawTime),
    /// A header that starts a new table of `kind` (netstat title or column
    /// header, ss header). Separates snapshots in captures without times.
    TableHeader(Kind),
    /// A section title or column header that does not start a snapshot.
    Header,
    Ruler,
    /// `[FW: …]`-style annotations, shell prompts (`$ ss -tan`).
    Annotation,
    /// Messages the tools print next to their tables (`(Not all processes
    /// could be identified…)`, `command not found`).
    ToolMessage,
    /// `conntrack v1.4.x (conntrack-tools): N flow entries have been shown.`
    ConntrackTrailer(u64),
}

/// Lines recognized and deliberately not modelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ignored {
    /// UNIX domain sockets (netstat `unix` rows, ss `u_str`…).
    Unix,
    /// netlink, packet, vsock, tipc, xdp sockets (`ss -a`).
    OtherSocket,
    /// Rows of a netstat section that is not a socket table.
    OtherSection,
    /// `conntrack -E` events: changes, not table state.
    ConntrackEvent,
}

/// The classification of one line.
#[derive(Debug, Clone, PartialEq)]
pub enum Line<'a> {
    Socket(SocketRecord<'a>),
    Conntrack(ConntrackRecord<'a>),
    /// Kernel counters from `ss -s` or `/proc/net/sockstat`.
    Sockstat(Sockstat),
    /// A valid `ss -s`/sockstat line with nothing we keep.
    SockstatOther,
    /// `ss -i`/`-m` details of the row above.
    Continuation,
    Structure(Structure),
    Ignored(Ignored),
    Rejected(RejectReason),
}

/// Socket-table formats `--input-format` can force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TableFormat {
    Netstat,
    Ss,
    Conntrack,
    SsSummary,
}

/// The context the classifier carries from line to line.
#[derive(Debug, Clone, Copy)]
pub struct LineState {
    pub section: Section,
    /// The previous line was a socket row (continuations attach to it).
    pub after_row: bool,
    pub forced: Option<TableFormat>,
}

impl LineState {
    pub fn new(forced: Option<TableFormat>) -> Self {
        LineState { section: Section::Unknown, after_row: false, forced }
    }
}

/// What a Windows `netstat -b` line under a row says about its owner:
/// the executable (`[svchost.exe]`), a service or component name
/// (`RpcSs`), or that the owner is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowsOwner<'a> {
    Executable(&'a [u8]),
    Component,
    Unknown,
}

/// Reads a Windows `netstat -b` owner line (leading blanks skipped).
pub fn windows_owner_line(body: &[u8]) -> Option<WindowsOwner<'_>> {
    let t = tokens::trim_end(body);
    // Windows XP printed `-- unknown component(s) --` under some rows.
    if t == b"Can not obtain ownership information" || t == b"-- unknown component(s) --" {
        return Some(WindowsOwner::Unknown);
    }
    if let Some(inner) = t.strip_prefix(b"[").and_then(|x| x.strip_suffix(b"]"))
        && !inner.is_empty()
        && !inner.contains(&b']')
        && inner.len() <= 260
    {
        return Some(WindowsOwner::Executable(inner));
    }
    // A service name: one word of letters, digits, `_`, `-`, `.`; never an
    // address, a port or a header.
    let word = !t.is_empty()
        && t.len() <= 64
        && t.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        && t.iter().any(u8::is_ascii_alphabetic)
        && !t.contains(&b':');
    word.then_some(WindowsOwner::Component)
}

/// Longest line we try to parse; real rows are < 2 KiB even with `-i`.
pub const MAX_LINE: usize = 64 * 1024;

/// Classifies one line (without its `\n`).
#[inline(always)]
pub fn classify<'a>(raw: &'a [u8], st: &mut LineState) -> Line<'a> {
    let line = classify_inner(raw, st);
    st.after_row = matches!(line, Line::Socket(_) | Line::Continuation);
    line
}

#[inline(always)]
fn classify_inner<'a>(raw: &'a [u8], st: &mut LineState) -> Line<'a> {
    if raw.len() > MAX_LINE {
        return Line::Rejected(RejectReason::LineTooLong);
    }
    // A UTF-8 byte-order mark inside a file (captures concatenated from
    // tools that write one) is not text.
    let raw = match raw {
        [0xEF, 0xBB, 0xBF, rest @ ..] => rest,
        _ => raw,
    };
    // Continuation lines of `ss -i/-m/-e` start with a TAB (for TIME-WAIT
    // and SYN-RECV sockets the line is only the TAB and padding).
    if raw.first() == Some(&b'\t') && st.after_row {
        return Line::Continuation;
    }
    // No trim here: the tokenizer treats `\r` and padding as blanks, and
    // the paths that need a trimmed line trim it themselves.
    let line = raw;
    let Some(&first) = line.first() else {
        return Line::Structure(Structure::Blank);
    };
    let body = tokens::skip_ws(line);
    if body.is_empty() {
        return Line::Structure(Structure::Blank);
    }
    if st.after_row
        && first == b' '
        && body.first().is_some_and(|b| b.is_ascii_lowercase())
        && looks_like_ss_detail(body)
    {
        return Line::Continuation;
    }
    // Windows `netstat -b`: below each row, the owning service
    // (`  RpcSs`) and executable (` [svchost.exe]`), or `Can not obtain
    // ownership information`. They belong to the row above.
    if st.after_row && first == b' ' && windows_owner_line(body).is_some() {
        return Line::Continuation;
    }

    // Fast path: rows by their first token.
    let (t0, after0) = match split_token(body) {
        Some(x) => x,
        None => return Line::Structure(Structure::Blank),
    };
    match st.section {
        Section::Unix | Section::Other => {
            let body = trim_end(body);
            // Only a new section title leaves an ignored section.
            if let Some(l) = title_line(body, st) {
                return l;
            }
            if let Some(ts) = timestamp::parse_timestamp_line(body) {
                st.section = Section::Unknown;
                return Line::Structure(Structure::Timestamp(ts));
            }
            if let Some(l) = table_header(body, t0, st) {
                return l;
            }
            // netstat prints its UNIX section last, so the next tool of a
            // capture loop (`netstat -an; conntrack -L; ss -s`) follows it
            // directly: lines that unmistakably belong to another tool end
            // the section.
            if !other_tool_line(body, t0, after0) {
                return Line::Ignored(if st.section == Section::Unix {
                    Ignored::Unix
                } else {
                    Ignored::OtherSection
                });
            }
            st.section = Section::Unknown;
        }
        _ => {}
    }

    if let Some(l) = row_line(body, t0, after0, st) {
        return l;
    }
    // Not a row: the rest matches whole lines, so drop padding and `\r`.
    let body = trim_end(body);
    if let Some(ts) = timestamp::parse_timestamp_line(body) {
        return Line::Structure(Structure::Timestamp(ts));
    }
    if let Some(l) = title_line(body, st) {
        return l;
    }
    if let Some(l) = table_header(body, t0, st) {
        return l;
    }
    if let Some(n) = conntrack::parse_trailer(body) {
        return Line::Structure(Structure::ConntrackTrailer(n));
    }
    if let Some(s) = ss::parse_sockstat_line(body) {
        return match s {
            SockstatLine::Counters(c) => Line::Sockstat(c),
            SockstatLine::Other => Line::SockstatOther,
        };
    }
    if conntrack::is_event_line(body) {
        return Line::Ignored(Ignored::ConntrackEvent);
    }
    if let Some(s) = noise_line(body) {
        return Line::Structure(s);
    }
    if std::str::from_utf8(body).is_err() || body.iter().any(|&b| b < 0x09 || (0x0e..0x20).contains(&b)) {
        return Line::Rejected(RejectReason::NotUtf8Text);
    }
    // Keep the most specific reason for a row-shaped line.
    match row_reason(body, t0, st) {
        Some(r) => Line::Rejected(r),
        None => Line::Rejected(RejectReason::Unrecognized),
    }
}

/// A line of conntrack, `ss -s`/sockstat or an Internet-socket table:
/// never part of a netstat UNIX or other ignored section.
#[cold]
#[inline(never)]
fn other_tool_line(body: &[u8], t0: &[u8], after0: &[u8]) -> bool {
    if conntrack::is_l3_word(t0) || has_ct_fields(after0) || conntrack::parse_trailer(body).is_some() {
        return true;
    }
    if matches!(t0, b"Total:" | b"TCP:" | b"sockets:") && ss::parse_sockstat_line(body).is_some() {
        return true;
    }
    let t1 = split_token(after0).map(|(t, _)| t).unwrap_or_default();
    // ss rows: a state first (`ESTAB 0 0 …`) or an Internet Netid and a state.
    if crate::model::TcpState::from_word(t0).is_some() && tokens::parse_u64(t1).is_some() {
        return true;
    }
    if matches!(ss::netid(t0), Some(ss::Netid::Inet(_))) && crate::model::TcpState::from_word(t1).is_some() {
        return true;
    }
    // netstat Internet rows: a protocol column then the queues.
    netstat::is_proto_word(t0) && tokens::parse_u64(t1).is_some()
}

/// Socket and conntrack rows, by their first token.
#[inline(always)]
fn row_line<'a>(body: &'a [u8], t0: &'a [u8], after0: &'a [u8], st: &LineState) -> Option<Line<'a>> {
    let forced = st.forced;
    let c = t0[0];
    if c.is_ascii_lowercase() {
        // BSD/macOS `-A` kernel pointers before the protocol column.
        if t0.len() >= 8 && tokens::is_hex(t0) {
            return netstat::parse_row(body).ok().map(|r| check_forced(Line::Socket(r), forced));
        }
        if t0 == b"unix" {
            return Some(Line::Ignored(Ignored::Unix));
        }
        if conntrack::is_l3_word(t0) || has_ct_fields(after0) {
            if matches!(forced, Some(f) if f != TableFormat::Conntrack) {
                return Some(Line::Rejected(RejectReason::WrongFormat));
            }
            return Some(match conntrack::parse_entry(body) {
                Ok(r) => Line::Conntrack(r),
                Err(e) => Line::Rejected(e),
            });
        }
        // `tcp ESTAB …` (ss with Netid) vs `tcp 0 0 …` (netstat).
        let t1 = split_token(after0).map(|(t, _)| t);
        let ss_like =
            ss::netid(t0).is_some() && t1.is_some_and(|t| crate::model::TcpState::from_word(t).is_some());
        let glued = !ss_like && ss::netid(t0).is_none() && !netstat::is_proto_word(t0);
        if ss_like || glued {
            if glued && !t0.iter().any(u8::is_ascii_uppercase) {
                return None;
            }
            return Some(ss_row(body, forced));
        }
        if netstat::is_proto_word(t0) {
            return Some(match netstat::parse_after_first(body, t0, after0) {
                Ok(r) => check_forced(Line::Socket(r), forced),
                Err(e) => Line::Rejected(e),
            });
        }
        if ss::netid(t0).is_some() {
            return Some(ss_row(body, forced));
        }
        return None;
    }
    if c.is_ascii_uppercase() {
        if let Some(state) = crate::model::TcpState::from_word(t0) {
            // BSD and Windows spellings never start an ss row.
            if !matches!(t0, b"CLOSED" | b"LISTENING") {
                let line = match ss::parse_after_state(crate::model::Proto::Tcp, t0, state, after0) {
                    Ok(r) => check_forced(Line::Socket(r), forced),
                    Err(e) => Line::Rejected(e),
                };
                return Some(line);
            }
        }
        if t0 == b"TCP" || t0 == b"UDP" {
            // Windows rows (ss -s rows are `TCP:` or `TCP\t 3 …`).
            let t1 = split_token(after0).map(|(t, _)| t).unwrap_or_default();
            if addr::parse_endpoint(t1).is_some() && t1.contains(&b':') {
                return Some(netstat_row(body, forced));
            }
        }
        return None;
    }
    if c.is_ascii_digit() || c == b'*' || c == b':' || c == b'[' {
        // BSD/macOS hex prefixes, Solaris rows (`8.8.17.4.1337 …`).
        if c.is_ascii_hexdigit() && tokens::is_hex(t0) && t0.len() >= 8 {
            return match netstat::parse_row(body) {
                Ok(r) => Some(check_forced(Line::Socket(r), forced)),
                Err(_) => None,
            };
        }
        if let Ok(r) = netstat::parse_row(body) {
            return Some(check_forced(Line::Socket(r), forced));
        }
    }
    None
}

#[inline(always)]
fn netstat_row(body: &[u8], forced: Option<TableFormat>) -> Line<'_> {
    match netstat::parse_row(body) {
        Ok(r) => check_forced(Line::Socket(r), forced),
        Err(e) => Line::Rejected(e),
    }
}

#[inline(always)]
fn ss_row(body: &[u8], forced: Option<TableFormat>) -> Line<'_> {
    match ss::parse_row(body) {
        Ok(SsRow::Socket(r)) => check_forced(Line::Socket(r), forced),
        Ok(SsRow::NonInet) => {
            let unix = body.starts_with(b"u_");
            Line::Ignored(if unix { Ignored::Unix } else { Ignored::OtherSocket })
        }
        Err(e) => Line::Rejected(e),
    }
}

#[inline(always)]
fn check_forced(line: Line<'_>, forced: Option<TableFormat>) -> Line<'_> {
    match (&line, forced) {
        (Line::Socket(r), Some(TableFormat::Netstat)) if r.kind != Kind::Netstat => {
            Line::Rejected(RejectReason::WrongFormat)
        }
        (Line::Socket(r), Some(TableFormat::Ss)) if r.kind != Kind::Ss => {
            Line::Rejected(RejectReason::WrongFormat)
        }
        (Line::Socket(_), Some(TableFormat::Conntrack | TableFormat::SsSummary)) => {
            Line::Rejected(RejectReason::WrongFormat)
        }
        _ => line,
    }
}

/// `src=` among the first tokens marks a conntrack entry.
fn has_ct_fields(after0: &[u8]) -> bool {
    let probe = &after0[..after0.len().min(200)];
    // One SIMD byte search rules out socket rows (they have no '='); only
    // then build a substring search.
    memchr::memchr(b'=', probe).is_some() && memchr::memmem::find(probe, b" src=").is_some()
}

/// A title or column header in another language (net-tools' and Windows'
/// translations, `locale`).
fn localized_title<'a>(body: &[u8], st: &mut LineState) -> Option<Line<'a>> {
    let text = std::str::from_utf8(tokens::trim_end(body)).ok()?;
    let (kind, _) = locale::header(text)?;
    Some(match kind {
        locale::HeaderKind::InetTitle => {
            st.section = Section::Inet;
            Line::Structure(Structure::TableHeader(Kind::Netstat))
        }
        locale::HeaderKind::UnixTitle => {
            st.section = Section::Unix;
            Line::Structure(Structure::Header)
        }
        locale::HeaderKind::OtherTitle => {
            st.section = Section::Other;
            Line::Structure(Structure::Header)
        }
        locale::HeaderKind::ColumnHeader => Line::Structure(Structure::Header),
        locale::HeaderKind::OwnershipUnknown if st.after_row => Line::Continuation,
        locale::HeaderKind::OwnershipUnknown => Line::Structure(Structure::ToolMessage),
    })
}

/// Titles that switch the netstat section.
#[cold]
#[inline(never)]
fn title_line<'a>(body: &'a [u8], st: &mut LineState) -> Option<Line<'a>> {
    // Translated titles first: German Windows' `Aktive Verbindungen` is
    // not the German net-tools `Aktive Internetverbindungen`.
    if (!body.is_ascii() || !starts_with(body, b"Active "))
        && let Some(l) = localized_title(body, st)
    {
        return Some(l);
    }
    if starts_with(body, b"Active ") || starts_with(body, b"Aktive ") {
        let rest = &body[7..];
        let (section, table) = if starts_with(rest, b"Internet")
            || starts_with(rest, b"Connections")
            || starts_with(rest, b"Internetverbindungen")
        {
            (Section::Inet, true)
        } else if starts_with(rest, b"UNIX")
            || starts_with(rest, b"LOCAL (UNIX)")
            || starts_with(rest, b"Sockets in der UNIX")
        {
            (Section::Unix, false)
        } else {
            // Bluetooth, Multipath, kernel event/control sockets.
            (Section::Other, false)
        };
        st.section = section;
        return Some(Line::Structure(if table {
            Structure::TableHeader(Kind::Netstat)
        } else {
            Structure::Header
        }));
    }
    // Solaris per-protocol blocks: `TCP: IPv4`, `UDP: IPv6`, `SCTP:`.
    if matches!(body, b"TCP: IPv4" | b"TCP: IPv6" | b"UDP: IPv4" | b"UDP: IPv6" | b"SCTP:") {
        st.section = Section::Inet;
        return Some(Line::Structure(Structure::Header));
    }
    for other in [
        &b"Registered kernel control modules"[..],
        b"IPv6/IPv4 Group Memberships",
        b"Kernel IP routing table",
        b"Kernel IPv6 routing table",
        b"Kernel Interface table",
        b"Routing tables",
    ] {
        if starts_with(body, other) {
            st.section = Section::Other;
            return Some(Line::Structure(Structure::Header));
        }
    }
    None
}

/// Column headers of netstat and ss tables.
#[cold]
#[inline(never)]
fn table_header<'a>(body: &'a [u8], t0: &[u8], st: &mut LineState) -> Option<Line<'a>> {
    match t0 {
        b"Proto" => {
            // `Proto Recv-Q Send-Q Local Address …` (Internet) or
            // `Proto RefCnt Flags …` (UNIX) or `Proto/ID`.
            if memchr::memmem::find(body, b"Recv-Q").is_some()
                && memchr::memmem::find(body, b"Address").is_some()
            {
                if st.section != Section::Inet {
                    st.section = Section::Inet;
                }
                return Some(Line::Structure(Structure::TableHeader(Kind::Netstat)));
            }
            if memchr::memmem::find(body, b"RefCnt").is_some() {
                st.section = Section::Unix;
            }
            Some(Line::Structure(Structure::Header))
        }
        b"Netid" | b"State" => {
            if memchr::memmem::find(body, b"Recv-Q").is_some()
                || memchr::memmem::find(body, b"Local").is_some()
            {
                st.section = Section::Inet;
                return Some(Line::Structure(Structure::TableHeader(Kind::Ss)));
            }
            None
        }
        b"Recv-Q" if memchr::memmem::find(body, b"Local").is_some() => {
            st.section = Section::Inet;
            Some(Line::Structure(Structure::TableHeader(Kind::Ss)))
        }
        // macOS -A / FreeBSD -A / Solaris / Windows headers.
        b"Socket" | b"Tcpcb" | b"Local" | b"Address" | b"kctlref" | b"pcb" | b"Interface"
        | b"Destination" | b"Kernel" => {
            let known = memchr::memmem::find(body, b"Address").is_some()
                || memchr::memmem::find(body, b"Proto").is_some()
                || memchr::memmem::find(body, b"RefCnt").is_some()
                || memchr::memmem::find(body, b"Gateway").is_some()
                || t0 == b"kctlref";
            known.then_some(Line::Structure(Structure::Header))
        }
        _ => None,
    }
}

/// Rulers, annotations, prompts and tool messages.
#[cold]
#[inline(never)]
fn noise_line(body: &[u8]) -> Option<Structure> {
    let c = body[0];
    // Rulers: `-----`, `=====`, `*****`, Solaris `---- ---- ----`.
    if matches!(c, b'-' | b'=' | b'*' | b'#' | b'~' | b'_')
        && body.iter().all(|&b| b == c || tokens::is_ws(b))
    {
        return Some(Structure::Ruler);
    }
    // Whole-line bracketed annotations: `[FW: 1.1.8 Build 210728 …]`.
    if c == b'[' && body.last() == Some(&b']') {
        return Some(Structure::Annotation);
    }
    // OSWatcher's banner at the top of each hourly file: `Linux OSWbb v8.0.1`,
    // `Linux    OSW v2.1.2` (the platform, then the collector's version).
    if oswatcher_banner(body) {
        return Some(Structure::Annotation);
    }
    // Shell prompts and traces: `$ ss -tan`, `# netstat -an`, `+ date`,
    // `root@host:~# ss -tan`, `[root@host ~]# netstat -an`.
    if matches!(c, b'$' | b'#' | b'+' | b'>') && body.get(1) == Some(&b' ') {
        return Some(Structure::Annotation);
    }
    if let Some(p) = memchr::memchr(b'@', &body[..body.len().min(64)]) {
        let tail = &body[p..];
        if memchr::memmem::find(tail, b"$ ").is_some() || memchr::memmem::find(tail, b"# ").is_some() {
            return Some(Structure::Annotation);
        }
    }
    // Messages the tools print along with the table.
    const MESSAGES: &[&[u8]] = &[
        b"(Not all processes could be identified",
        b" non-owned process info will not be shown",
        b"(No info could be read for",
        b"will not be shown, you would have to be root",
        b"exec of \"",
        b"command not found",
        b": not found",
        b"No such file or directory",
        b"Permission denied",
        b"Cannot open netlink socket",
        b"Operation not permitted",
        b"conntrack v",
        b"Failed to",
        // iproute2's netlink errors, e.g. `ss` asked for a diag family
        // the kernel (or namespace) lacks.
        b"RTNETLINK answers",
        b"netstat: ",
        b"ss: ",
        b"conntrack: ",
    ];
    // A line with `=` is data (sysctl, conntrack), never a message; and
    // it is most of what reaches here when a `sysctl -a` is sniffed.
    if body.contains(&b'=') {
        return None;
    }
    static FINDERS: std::sync::LazyLock<Vec<memchr::memmem::Finder<'static>>> =
        std::sync::LazyLock::new(|| MESSAGES.iter().map(memchr::memmem::Finder::new).collect());
    FINDERS.iter().any(|f| f.find(body).is_some()).then_some(Structure::ToolMessage)
}

/// `<platform> OSWbb v8.0.1` / `<platform> OSW v2.1.2`.
fn oswatcher_banner(body: &[u8]) -> bool {
    let mut words = body.split(|b| tokens::is_ws(*b)).filter(|w| !w.is_empty());
    let (Some(_), Some(name), Some(version), None) = (words.next(), words.next(), words.next(), words.next())
    else {
        return false;
    };
    matches!(name, b"OSW" | b"OSWbb")
        && version.len() > 1
        && version[0] == b'v'
        && version[1].is_ascii_digit()
}

/// A row-shaped line that failed: say why it failed as a row.
#[cold]
#[inline(never)]
fn row_reason(body: &[u8], t0: &[u8], _st: &LineState) -> Option<RejectReason> {
    if netstat::is_proto_word(t0) {
        return netstat::parse_row(body).err();
    }
    if crate::model::TcpState::from_word(t0).is_some() || ss::netid(t0).is_some() {
        return ss::parse_row(body).err();
    }
    None
}

/// `skmem:(…)`, `cubic wscale:7,7 rto:204 …`: the detail line of `ss -i`
/// when a tool re-indented it with spaces.
#[cold]
#[inline(never)]
fn looks_like_ss_detail(body: &[u8]) -> bool {
    let (t, _) = match split_token(body) {
        Some(x) => x,
        None => return false,
    };
    starts_with(t, b"skmem:")
        || matches!(
            t,
            b"cubic" | b"reno" | b"bbr" | b"bbr2" | b"dctcp" | b"vegas" | b"htcp" | b"ts" | b"sack" | b"ecn"
        )
        || (t.contains(&b':') && !t.contains(&b'.') && !t.ends_with(b":"))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn cl(l: &str) -> Line<'_> {
        let mut st = LineState::new(None);
        st.section = Section::Inet;
        classify(l.as_bytes(), &mut st)
    }

    /// Windows `netstat -anob` (a published capture, public course notes:
    /// `netstat -anob | more` on a Windows 10 admin station): the owner
    /// lines under each row are continuations of it, never rejected.
    pub(crate) const NETSTAT_ANOB: &str = "\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n  TCP    0.0.0.0:22             0.0.0.0:0              LISTENING       2944\r\n [sshd.exe]\r\n  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       832\r\n  RpcSs\r\n [svchost.exe]\r\n  TCP    0.0.0.0:445            0.0.0.0:0              LISTENING       4\r\n Can not obtain ownership information\r\n  TCP    0.0.0.0:3389           0.0.0.0:0              LISTENING       304\r\n  TermService\r\n [svchost.exe]\r\n  TCP    0.0.0.0:5040           0.0.0.0:0              LISTENING       4456\r\n  CDPSvc\r\n";

    #[test]
    fn windows_owner_lines_belong_to_the_row_above() {
        let mut st = LineState::new(None);
        let kinds: Vec<&str> = NETSTAT_ANOB
            .split('\n')
            .map(|l| match classify(l.as_bytes(), &mut st) {
                Line::Socket(_) => "row",
                Line::Continuation => "owner",
                Line::Rejected(_) => "rejected",
                _ => "structure",
            })
            .collect();
        assert!(!kinds.contains(&"rejected"), "{kinds:?}");
        assert_eq!(kinds.iter().filter(|k| **k == "row").count(), 5);
        assert_eq!(kinds.iter().filter(|k| **k == "owner").count(), 7, "{kinds:?}");
        assert_eq!(windows_owner_line(b"[svchost.exe]\r"), Some(WindowsOwner::Executable(b"svchost.exe")));
        assert_eq!(windows_owner_line(b"RpcSs"), Some(WindowsOwner::Component));
        assert_eq!(windows_owner_line(b"Can not obtain ownership information"), Some(WindowsOwner::Unknown));
        // Not owners: a row, an address, a header word pair.
        assert_eq!(windows_owner_line(b"TCP 0.0.0.0:22 0.0.0.0:0 LISTENING"), None);
        assert_eq!(windows_owner_line(b"10.0.0.1:80"), None);
        // A BOM at the start of a line (concatenated captures) is no text.
        let mut st = LineState::new(None);
        assert_eq!(classify(b"\xEF\xBB\xBF", &mut st), Line::Structure(Structure::Blank));
        assert!(matches!(
            classify(b"\xEF\xBB\xBFtcp        0      0 10.0.0.1:22  10.0.0.2:5  ESTABLISHED", &mut st),
            Line::Socket(_)
        ));
        // Without a row above, an indented word is not a continuation.
        let mut st = LineState::new(None);
        assert!(!matches!(classify(b"  RpcSs", &mut st), Line::Continuation));
    }

    #[test]
    fn rows_of_each_tool_are_told_apart() {
        assert!(
            matches!(cl("tcp        0      0 10.0.0.1:22  10.0.0.2:5  ESTABLISHED"), Line::Socket(r) if r.kind == Kind::Netstat)
        );
        assert!(
            matches!(cl("tcp   ESTAB  0      0  10.0.0.1:22  10.0.0.2:5"), Line::Socket(r) if r.kind == Kind::Ss)
        );
        assert!(
            matches!(cl("ESTAB  0      0  10.0.0.1:22  10.0.0.2:5"), Line::Socket(r) if r.kind == Kind::Ss)
        );
        assert!(matches!(
            cl(
                "tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=5000 dport=80 src=10.0.0.2 dst=10.0.0.1 sport=80 dport=5000 [ASSURED] mark=0 use=1"
            ),
            Line::Conntrack(_)
        ));
        assert!(matches!(
            cl("unix  2      [ ACC ]     STREAM     LISTENING     977 /var/run/x"),
            Line::Ignored(Ignored::Unix)
        ));
        assert!(matches!(cl("u_str ESTAB 0 0 /run/x 35339 * 34311"), Line::Ignored(Ignored::Unix)));
        assert!(matches!(
            cl("  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING"),
            Line::Socket(_)
        ));
    }

    #[test]
    fn headers_and_sections() {
        let mut st = LineState::new(None);
        let mut c = |l: &'static str| classify(l.as_bytes(), &mut st);
        assert_eq!(
            c("Active Internet connections (servers and established)"),
            Line::Structure(Structure::TableHeader(Kind::Netstat))
        );
        assert_eq!(
            c("Proto Recv-Q Send-Q Local Address           Foreign Address         State"),
            Line::Structure(Structure::TableHeader(Kind::Netstat))
        );
        assert!(matches!(c("tcp 0 0 0.0.0.0:22 0.0.0.0:* LISTEN"), Line::Socket(_)));
        assert_eq!(
            c("Active UNIX domain sockets (servers and established)"),
            Line::Structure(Structure::Header)
        );
        assert_eq!(
            c("Proto RefCnt Flags       Type       State         I-Node   Path"),
            Line::Structure(Structure::Header)
        );
        assert_eq!(
            c("unix  3      [ ]         STREAM     CONNECTED     18059"),
            Line::Ignored(Ignored::Unix)
        );
        assert_eq!(
            c("7fb03cb95130f2c5 stream      1      0                0 7fb03cb95130d6a5"),
            Line::Ignored(Ignored::Unix)
        );
        assert_eq!(c("Active Bluetooth connections (w/o servers)"), Line::Structure(Structure::Header));
        assert_eq!(
            c("Proto  Destination       Source            State     Channel"),
            Line::Structure(Structure::Header)
        );
        assert_eq!(
            c("State  Recv-Q Send-Q Local Address:Port Peer Address:Port"),
            Line::Structure(Structure::TableHeader(Kind::Ss))
        );
        assert!(matches!(c("LISTEN 0 128 0.0.0.0:22 0.0.0.0:*"), Line::Socket(_)));
    }

    #[test]
    fn noise_is_structure_and_garbage_is_rejected() {
        assert_eq!(cl(""), Line::Structure(Structure::Blank));
        assert_eq!(cl("   \r"), Line::Structure(Structure::Blank));
        assert_eq!(cl("---------------------"), Line::Structure(Structure::Ruler));
        assert_eq!(cl("[FW: 1.1.8 Build 210728 Rel.34711n(4555)]"), Line::Structure(Structure::Annotation));
        assert_eq!(cl("$ ss -tan"), Line::Structure(Structure::Annotation));
        assert_eq!(cl("root@web-1:~# ss -tan"), Line::Structure(Structure::Annotation));
        assert_eq!(
            cl("(Not all processes could be identified, non-owned process info"),
            Line::Structure(Structure::ToolMessage)
        );
        assert_eq!(
            cl("exec of \"netstat\" failed: No such file or directory"),
            Line::Structure(Structure::ToolMessage)
        );
        assert_eq!(cl("Linux OSWbb v8.0.1"), Line::Structure(Structure::Annotation));
        assert_eq!(cl("Linux    OSW v2.1.2"), Line::Structure(Structure::Annotation));
        // sos's per-namespace `ss` copies start with these (tests/data/sosreport).
        assert_eq!(cl("Failed to find cgroup2 mount"), Line::Structure(Structure::ToolMessage));
        assert_eq!(cl("RTNETLINK answers: Invalid argument"), Line::Structure(Structure::ToolMessage));
        assert_eq!(
            cl("conntrack v1.4.7 (conntrack-tools): 3 flow entries have been shown."),
            Line::Structure(Structure::ConntrackTrailer(3))
        );
        assert!(matches!(cl("Tue Mar  5 10:00:00 UTC 2024"), Line::Structure(Structure::Timestamp(_))));
        assert_eq!(cl("hello world"), Line::Rejected(RejectReason::Unrecognized));
        assert_eq!(cl("tcp 0 0 garbage"), Line::Rejected(RejectReason::BadAddress));
        assert_eq!(cl("ESTAB x 0 1.2.3.4:5 1.2.3.4:6"), Line::Rejected(RejectReason::BadQueue));
        assert_eq!(cl("\u{1}\u{2}binary"), Line::Rejected(RejectReason::NotUtf8Text));
    }

    #[test]
    fn continuation_attaches_only_after_a_row() {
        let mut st = LineState::new(None);
        st.section = Section::Inet;
        assert_eq!(
            classify(b"\t skmem:(r0,rb87380,t0,tb16384,f0,w0,o0,bl0,d0) cubic", &mut st),
            Line::Rejected(RejectReason::Unrecognized)
        );
        assert!(matches!(classify(b"ESTAB 0 0 10.0.0.1:22 10.0.0.2:5", &mut st), Line::Socket(_)));
        assert_eq!(
            classify(b"\t skmem:(r0,rb87380,t0,tb16384,f0,w0,o0,bl0,d0) cubic", &mut st),
            Line::Continuation
        );
        assert_eq!(classify(b"\t cubic wscale:7,7 rto:204", &mut st), Line::Continuation);
    }

    #[test]
    fn forced_format_rejects_other_tools() {
        let mut st = LineState::new(Some(TableFormat::Ss));
        assert_eq!(
            classify(b"tcp 0 0 10.0.0.1:22 10.0.0.2:5 ESTABLISHED", &mut st),
            Line::Rejected(RejectReason::WrongFormat)
        );
        assert!(matches!(classify(b"ESTAB 0 0 10.0.0.1:22 10.0.0.2:5", &mut st), Line::Socket(_)));
    }
}
#[cfg(test)]
mod size_probe {
    #[test]
    fn print_sizes() {
        eprintln!(
            "SocketRecord {} ConntrackRecord {} Line {} Endpoint {}",
            std::mem::size_of::<super::record::SocketRecord>(),
            std::mem::size_of::<super::record::ConntrackRecord>(),
            std::mem::size_of::<super::Line>(),
            std::mem::size_of::<super::addr::Endpoint>()
        );
    }
}
