//! Protocol counters: `netstat -s` (net-tools, English), `nstat` / `nstat -az`, and the raw
//! `/proc/net/snmp`, `/proc/net/netstat` (header line / value line pairs) and `/proc/net/snmp6`.
//!
//! ```text
//! TcpExt:                                             netstat -s: a group, then sentences
//!     9107 times the listen queue of a socket overflowed
//!     TCPTimeWaitOverflow: 2027                       (counters net-tools has no sentence for)
//! TcpExtListenOverflows           12                 0.0        nstat
//! TcpExt: SyncookiesSent SyncookiesRecv …             /proc/net/netstat header …
//! TcpExt: 0 0 …                                       … and its values
//! ```
//!
//! Every counter gets the kernel's MIB name with its group, as nstat prints it but with a dot:
//! `TcpExt.ListenOverflows`, `Tcp.RetransSegs`, `Ip6.InReceives` (snmp6 names lose their group
//! prefix, so `Ip6InReceives` and net-tools' `Ip6:` sentences meet). The sentence table is
//! net-tools' `statistics.c` (2.10) plus the wordings of older and distribution builds seen in
//! real output (`segments send out`, `SYNs to LISTEN sockets ignored`, `packets rejects in
//! established connections because of timestamp`, …).
//!
//! `nstat` without `-a` prints increments since its last run (kept in a history file,
//! `/tmp/.nstat.u$UID` or `$NSTAT_HISTORY`), not absolute values; without `-z` it omits zeros.
//! Only `nstat -a`/`-az`, `netstat -s` and the proc files give absolute counters, and even those
//! restart at 0 when the host reboots.

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::sync::LazyLock;

use Section::{IcmpIn as In, IcmpOut as Out, Main};

/// One line of counter output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CounterLine {
    /// A `netstat -s` group header such as `TcpExt:`.
    Group(String),
    /// One counter with its canonical name (`TcpExt.ListenOverflows`).
    Counter { name: String, value: u64 },
    /// A proc value line zipped with the header line above it. Negative values (`Tcp.MaxConn`
    /// is -1) are configuration, not counters, and are left out.
    Counters(Vec<(String, u64)>),
    /// nstat's `#kernel` line or a proc header line (`TcpExt: SyncookiesSent …`).
    Header,
    /// A `netstat -s` line that carries no counter: `ICMP input histogram:`, `Forwarding is
    /// enabled`.
    Text,
    /// Empty or whitespace only.
    Blank,
    /// Anything else, including `netstat -s` sentences this module cannot name, `date` lines
    /// and banners between samples.
    Other,
}

/// Which part of an ICMP group a `netstat -s` line is in: both histograms print
/// `destination unreachable: N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
enum Section {
    #[default]
    Main,
    IcmpIn,
    IcmpOut,
}

/// Reads counter lines one at a time; remembers the `netstat -s` group (and ICMP histogram)
/// the next sentence belongs to, and a proc header line until its value line.
#[derive(Debug, Clone, Default)]
pub struct CounterParser {
    group: Option<String>,
    section: Section,
    proc_header: Option<(String, Vec<String>)>,
}

impl CounterParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads one line (with or without its line ending).
    pub fn parse_line(&mut self, line: &[u8]) -> CounterLine {
        // A proc header is only valid for the line right after it.
        let header = self.proc_header.take();
        let line = trim(line);
        if line.is_empty() {
            return CounterLine::Blank;
        }
        if line[0] == b'#' {
            let nstat = line == b"#kernel" || contains(line, b" sampling_interval=");
            return if nstat { CounterLine::Header } else { CounterLine::Other };
        }
        let words: Vec<&[u8]> = line.split(|b| b.is_ascii_whitespace()).filter(|w| !w.is_empty()).collect();
        if let Some(stem) = words[0].strip_suffix(b":").filter(|s| is_ident(s)) {
            let rest = &words[1..];
            if rest.is_empty() {
                if !stem[0].is_ascii_uppercase() {
                    return CounterLine::Other;
                }
                let group = ascii(stem);
                self.group = Some(group.clone());
                self.section = Section::Main;
                return CounterLine::Group(group);
            }
            if let Some((group, names)) = header.filter(|(g, _)| g.as_bytes() == stem)
                && rest.iter().all(|w| is_signed_int(w))
            {
                let pairs = names
                    .iter()
                    .zip(rest)
                    .filter_map(|(name, w)| Some((format!("{group}.{name}"), parse_unsigned(w)?)))
                    .collect();
                return CounterLine::Counters(pairs);
            }
            if stem[0].is_ascii_uppercase() && rest.iter().all(|w| is_mib_name(w)) {
                self.proc_header = Some((ascii(stem), rest.iter().map(|w| ascii(w)).collect()));
                return CounterLine::Header;
            }
        }
        if let Some(counter) = nstat_line(&words) {
            return counter;
        }
        self.sentence(&words)
    }

    /// A `netstat -s` line: a sentence with one number in it, `Name: N`, or structure.
    fn sentence(&mut self, words: &[&[u8]]) -> CounterLine {
        let mut numbers = words.iter().enumerate().filter(|(_, w)| is_digits(w));
        let Some((at, value)) = numbers.next() else { return self.text(words) };
        if numbers.next().is_some() {
            return CounterLine::Other;
        }
        let value = parse_digits(value);
        let template = template(words, Some(at));
        if let Some(name) = self.lookup(&template) {
            return CounterLine::Counter { name, value };
        }
        // net-tools prints counters it has no sentence for as `Name: N`.
        if let [first, _] = words
            && let Some(stem) = first.strip_suffix(b":").filter(|s| is_mib_name(s))
        {
            let group = match &self.group {
                Some(g) => g.as_str(),
                // A grep'd excerpt: only LINUX_MIB_TCP* names are known to be TcpExt.
                None if stem.len() > 3 && stem.starts_with(b"TCP") => "TcpExt",
                None => return CounterLine::Other,
            };
            return CounterLine::Counter { name: canonical(group, &ascii(stem)), value };
        }
        CounterLine::Other
    }

    fn text(&mut self, words: &[&[u8]]) -> CounterLine {
        let template = template(words, None);
        match template.as_str() {
            "icmp input histogram:" => self.section = Section::IcmpIn,
            "icmp output histogram:" => self.section = Section::IcmpOut,
            "forwarding is enabled" | "forwarding is disabled" => {}
            t if t.starts_with("rto algorithm is ") => {}
            _ => return CounterLine::Other,
        }
        CounterLine::Text
    }

    fn lookup(&self, template: &str) -> Option<String> {
        let table = &*SENTENCE_INDEX;
        match &self.group {
            Some(group) => {
                let hit = table
                    .get(&(group.as_str(), self.section, template))
                    .or_else(|| table.get(&(group.as_str(), Section::Main, template)))?;
                Some(canonical(group, hit))
            }
            // Without a group header (a grep'd excerpt) a sentence counts only if it names one
            // counter in every group that prints it.
            None => {
                let mut names = SENTENCES.iter().filter(|s| s.2 == template).map(|s| canonical(s.0, s.3));
                let first = names.next()?;
                names.all(|n| n == first).then_some(first)
            }
        }
    }
}

/// Counter values over the samples of one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CounterSamples {
    /// One map per sample, in file order.
    pub samples: Vec<BTreeMap<String, u64>>,
    boundary: bool,
}

impl CounterSamples {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a line's counters. A name already in the current sample starts a new sample: a
    /// capture loop (`while :; do date; nstat -az; sleep 5; done`) repeats the same names.
    pub fn add(&mut self, line: &CounterLine) {
        match line {
            CounterLine::Counter { name, value } => self.insert(name, *value),
            CounterLine::Counters(pairs) => {
                for (name, value) in pairs {
                    self.insert(name, *value);
                }
            }
            _ => {}
        }
    }

    /// Marks a sample boundary found by other means (a `date` line): the next counter starts a
    /// new sample. Needed for plain `nstat`, whose samples may share no name.
    pub fn split(&mut self) {
        self.boundary = true;
    }

    fn insert(&mut self, name: &str, value: u64) {
        let fresh = self.boundary || self.samples.last().is_none_or(|s| s.contains_key(name));
        if fresh && self.samples.last().is_none_or(|s| !s.is_empty()) {
            self.samples.push(BTreeMap::new());
        }
        self.boundary = false;
        if let Some(sample) = self.samples.last_mut() {
            sample.insert(name.to_owned(), value);
        }
    }

    /// The first sample.
    pub fn first(&self) -> Option<&BTreeMap<String, u64>> {
        self.samples.first()
    }

    /// The last sample.
    pub fn last(&self) -> Option<&BTreeMap<String, u64>> {
        self.samples.last()
    }

    /// How much a counter grew from the first sample to the last (saturating: a reboot in
    /// between reads as 0). `None` with fewer than 2 samples or if either lacks the counter.
    /// Meaningless for plain `nstat` output, which already holds increments.
    pub fn delta(&self, name: &str) -> Option<u64> {
        if self.samples.len() < 2 {
            return None;
        }
        let first = self.first()?.get(name)?;
        Some(self.last()?.get(name)?.saturating_sub(*first))
    }
}

/// True if the first non-blank lines (pass up to ~20) are `netstat -s`, `nstat` or proc snmp
/// counters. Socket tables, `sysctl -a`, `ss -s` and `/proc/net/sockstat` do not qualify.
pub fn looks_like_counters(lines: &[&[u8]]) -> bool {
    let mut parser = CounterParser::new();
    let (mut data, mut known, mut total) = (0usize, 0usize, 0usize);
    for line in lines.iter().take(20) {
        match parser.parse_line(line) {
            CounterLine::Blank => continue,
            CounterLine::Counter { .. } | CounterLine::Counters(_) => data += 1,
            CounterLine::Group(_) | CounterLine::Header | CounterLine::Text => known += 1,
            CounterLine::Other => {}
        }
        total += 1;
    }
    data > 0 && (data + known) * 2 > total
}

/// Group prefixes nstat glues to the MIB name, longest first so `TcpExt` wins over `Tcp`.
const GROUPS: [&str; 14] = [
    "MPTcpExt", "UdpLite6", "IcmpMsg", "UdpLite", "TcpExt", "IpExt", "Icmp6", "Icmp", "Udp6", "Sctp", "Ip6",
    "Tcp", "Udp", "Ip",
];

/// `TcpExtListenOverflows  12  0.0 [(overflow)]` (nstat) or `Ip6InReceives \t2` (snmp6).
fn nstat_line(words: &[&[u8]]) -> Option<CounterLine> {
    let (first, rest) = words.split_first()?;
    if !is_ident(first) || rest.len() > 3 {
        return None;
    }
    let rate_ok = |w: Option<&&[u8]>| w.is_none_or(|w| is_float(w));
    let overflow_ok = |w: Option<&&[u8]>| w.is_none_or(|w| *w == b"(overflow)");
    let (name, value) = match rest {
        [value, tail @ ..] if is_digits(value) && rate_ok(tail.first()) && overflow_ok(tail.get(1)) => {
            (*first, *value)
        }
        // `%-32s%-16llu`: a name of 32 characters or more runs into its value.
        [rate, tail @ ..]
            if first.len() > 32 && is_float(rate) && overflow_ok(tail.first()) && tail.len() < 2 =>
        {
            let d = first.iter().rev().take_while(|b| b.is_ascii_digit()).count();
            if d == 0 || first.len() - d < 32 {
                return None;
            }
            first.split_at(first.len() - d)
        }
        _ => return None,
    };
    let (group, mib) = split_group(name)?;
    Some(CounterLine::Counter { name: format!("{group}.{}", ascii(mib)), value: parse_digits(value) })
}

fn split_group(name: &[u8]) -> Option<(&'static str, &[u8])> {
    GROUPS.iter().find_map(|g| {
        let rest = name.strip_prefix(g.as_bytes())?;
        rest.first().is_some_and(u8::is_ascii_uppercase).then_some((*g, rest))
    })
}

/// `Group.Name`; snmp6-style names that repeat their group (`Ip6InReceives` under `Ip6:`) lose it.
fn canonical(group: &str, name: &str) -> String {
    let name = match name.strip_prefix(group) {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_uppercase()) => rest,
        _ => name,
    };
    format!("{group}.{name}")
}

/// The words lower-cased and joined by one space, the number (if any) as `%`, a final `.`
/// dropped: older net-tools ended some sentences with one.
fn template(words: &[&[u8]], number: Option<usize>) -> String {
    let mut out = Vec::with_capacity(64);
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        if Some(i) == number {
            out.push(b'%');
        } else {
            out.extend(w.iter().map(u8::to_ascii_lowercase));
        }
    }
    if out.last() == Some(&b'.') {
        out.pop();
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b, rest @ ..] = s {
        if b.is_ascii_whitespace() || *b == 0 {
            s = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., b] = s {
        if b.is_ascii_whitespace() || *b == 0 {
            s = rest;
        } else {
            break;
        }
    }
    s
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn ascii(s: &[u8]) -> String {
    String::from_utf8_lossy(s).into_owned()
}

fn is_ident(s: &[u8]) -> bool {
    s.first().is_some_and(u8::is_ascii_alphabetic)
        && s.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

/// A kernel MIB name: `ListenOverflows`, `TW`, `InType3`.
fn is_mib_name(s: &[u8]) -> bool {
    is_ident(s) && s[0].is_ascii_uppercase()
}

fn is_digits(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(u8::is_ascii_digit)
}

fn is_signed_int(s: &[u8]) -> bool {
    is_digits(s.strip_prefix(b"-").unwrap_or(s))
}

fn is_float(s: &[u8]) -> bool {
    match s.iter().position(|&b| b == b'.') {
        Some(dot) => is_digits(&s[..dot]) && is_digits(&s[dot + 1..]),
        None => is_digits(s),
    }
}

fn parse_digits(s: &[u8]) -> u64 {
    s.iter().fold(0u64, |n, d| n.saturating_mul(10).saturating_add(u64::from(d.wrapping_sub(b'0'))))
}

/// None for a negative value.
fn parse_unsigned(s: &[u8]) -> Option<u64> {
    (!s.starts_with(b"-")).then(|| parse_digits(s))
}

static SENTENCE_INDEX: LazyLock<HashMap<(&'static str, Section, &'static str), &'static str>> =
    LazyLock::new(|| SENTENCES.iter().map(|&(g, s, t, n)| ((g, s, t), n)).collect());

/// (group, section, sentence with `%` for the number, lower case, no final `.`, MIB name).
/// From net-tools `statistics.c` (2.10; `Iptab`, `Ip6tab`, `Icmptab`, `Icmp6tab`, `Tcptab`,
/// `Udptab`, `Udp6tab`, `Tcpexttab`, `Sctptab`) plus older and distribution wordings. Where the
/// table's key is not the kernel's name (`TCPLostRetransmits`, `TCPDSackUndo`,
/// `TCPRenoRecoveryFailed`), the kernel's name is used.
static SENTENCES: &[(&str, Section, &str, &str)] = &[
    ("Ip", Main, "default ttl is %", "DefaultTTL"),
    ("Ip", Main, "% forwarded", "ForwDatagrams"),
    ("Ip", Main, "% fragments created", "FragCreates"),
    ("Ip", Main, "% fragments failed", "FragFails"),
    ("Ip", Main, "% fragments received ok", "FragOKs"),
    ("Ip", Main, "% with invalid addresses", "InAddrErrors"),
    ("Ip", Main, "% incoming packets delivered", "InDelivers"),
    ("Ip", Main, "% incoming packets discarded", "InDiscards"),
    ("Ip", Main, "% with invalid headers", "InHdrErrors"),
    ("Ip", Main, "% total packets received", "InReceives"),
    ("Ip", Main, "% with unknown protocol", "InUnknownProtos"),
    ("Ip", Main, "% outgoing packets dropped", "OutDiscards"),
    ("Ip", Main, "% dropped because of missing route", "OutNoRoutes"),
    ("Ip", Main, "% requests sent out", "OutRequests"),
    ("Ip", Main, "% packet reassemblies failed", "ReasmFails"),
    ("Ip", Main, "% packet reassembles failed", "ReasmFails"),
    ("Ip", Main, "% packets reassembled ok", "ReasmOKs"),
    ("Ip", Main, "% reassemblies required", "ReasmReqds"),
    ("Ip", Main, "% fragments dropped after timeout", "ReasmTimeout"),
    ("Ip6", Main, "% fragments created", "FragCreates"),
    ("Ip6", Main, "% fragments failed", "FragFails"),
    ("Ip6", Main, "% fragments received ok", "FragOKs"),
    ("Ip6", Main, "% with invalid addresses", "InAddrErrors"),
    ("Ip6", Main, "% incoming packets delivered", "InDelivers"),
    ("Ip6", Main, "% incoming packets discarded", "InDiscards"),
    ("Ip6", Main, "% with invalid headers", "InHdrErrors"),
    ("Ip6", Main, "% incoming multicast packets", "InMcastPkts"),
    ("Ip6", Main, "% incoming packets with no route", "InNoRoutes"),
    ("Ip6", Main, "% total packets received", "InReceives"),
    ("Ip6", Main, "% with packets too big", "InTooBigErrors"),
    ("Ip6", Main, "% with truncated packets", "InTruncatedPkts"),
    ("Ip6", Main, "% with unknown protocol", "InUnknownProtos"),
    ("Ip6", Main, "% outgoing packets dropped", "OutDiscards"),
    ("Ip6", Main, "% forwarded", "OutForwDatagrams"),
    ("Ip6", Main, "% outgoing multicast packets", "OutMcastPkts"),
    ("Ip6", Main, "% dropped because of missing route", "OutNoRoutes"),
    ("Ip6", Main, "% requests sent out", "OutRequests"),
    ("Ip6", Main, "% packet reassemblies failed", "ReasmFails"),
    ("Ip6", Main, "% packets reassembled ok", "ReasmOKs"),
    ("Ip6", Main, "% reassemblies required", "ReasmReqds"),
    ("Ip6", Main, "% fragments dropped after timeout", "ReasmTimeout"),
    ("Icmp", Main, "% input icmp message failed", "InErrors"),
    ("Icmp", Main, "% icmp messages received", "InMsgs"),
    ("Icmp", Main, "% icmp messages failed", "OutErrors"),
    ("Icmp", Main, "% icmp messages sent", "OutMsgs"),
    ("Icmp", In, "address mask replies: %", "InAddrMaskReps"),
    ("Icmp", In, "address mask request: %", "InAddrMasks"),
    ("Icmp", In, "destination unreachable: %", "InDestUnreachs"),
    ("Icmp", In, "echo replies: %", "InEchoReps"),
    ("Icmp", In, "echo requests: %", "InEchos"),
    ("Icmp", In, "wrong parameters: %", "InParmProbs"),
    ("Icmp", In, "redirects: %", "InRedirects"),
    ("Icmp", In, "source quenches: %", "InSrcQuenchs"),
    ("Icmp", In, "source quenchs: %", "InSrcQuenchs"),
    ("Icmp", In, "timeout in transit: %", "InTimeExcds"),
    ("Icmp", In, "timestamp reply: %", "InTimestampReps"),
    ("Icmp", In, "timestamp request: %", "InTimestamps"),
    ("Icmp", Out, "address mask replies: %", "OutAddrMaskReps"),
    ("Icmp", Out, "address mask requests: %", "OutAddrMasks"),
    ("Icmp", Out, "destination unreachable: %", "OutDestUnreachs"),
    ("Icmp", Out, "echo replies: %", "OutEchoReps"),
    ("Icmp", Out, "echo request: %", "OutEchos"),
    ("Icmp", Out, "echo requests: %", "OutEchos"),
    ("Icmp", Out, "wrong parameters: %", "OutParmProbs"),
    ("Icmp", Out, "redirect: %", "OutRedirects"),
    ("Icmp", Out, "source quench: %", "OutSrcQuenchs"),
    ("Icmp", Out, "time exceeded: %", "OutTimeExcds"),
    ("Icmp", Out, "timestamp replies: %", "OutTimestampReps"),
    ("Icmp", Out, "timestamp requests: %", "OutTimestamps"),
    ("Icmp6", Main, "% input icmp message failed", "InErrors"),
    ("Icmp6", Main, "% icmp messages received", "InMsgs"),
    ("Icmp6", Main, "% icmp messages sent", "OutMsgs"),
    ("Icmp6", In, "destination unreachable: %", "InDestUnreachs"),
    ("Icmp6", In, "echo replies: %", "InEchoReplies"),
    ("Icmp6", In, "echo requests: %", "InEchos"),
    ("Icmp6", In, "group member queries: %", "InGroupMembQueries"),
    ("Icmp6", In, "group member reductions: %", "InGroupMembReductions"),
    ("Icmp6", In, "group member responses: %", "InGroupMembResponses"),
    ("Icmp6", In, "neighbour advertisement: %", "InNeighborAdvertisements"),
    ("Icmp6", In, "neighbour solicits: %", "InNeighborSolicits"),
    ("Icmp6", In, "parameter problem: %", "InParmProblems"),
    ("Icmp6", In, "packets too big: %", "InPktTooBigs"),
    ("Icmp6", In, "redirects: %", "InRedirects"),
    ("Icmp6", In, "router advertisement: %", "InRouterAdvertisements"),
    ("Icmp6", In, "router solicits: %", "InRouterSolicits"),
    ("Icmp6", In, "received icmpv6 time exceeded: %", "InTimeExcds"),
    ("Icmp6", Out, "destination unreachable: %", "OutDestUnreachs"),
    ("Icmp6", Out, "echo replies: %", "OutEchoReplies"),
    ("Icmp6", Out, "echo requests: %", "OutEchos"),
    ("Icmp6", Out, "group member queries: %", "OutGroupMembQueries"),
    ("Icmp6", Out, "group member reductions: %", "OutGroupMembReductions"),
    ("Icmp6", Out, "group member responses: %", "OutGroupMembResponses"),
    ("Icmp6", Out, "neighbor advertisements: %", "OutNeighborAdvertisements"),
    ("Icmp6", Out, "neighbor solicits: %", "OutNeighborSolicits"),
    ("Icmp6", Out, "parameter problem: %", "OutParmProblems"),
    ("Icmp6", Out, "packets too big: %", "OutPktTooBigs"),
    ("Icmp6", Out, "redirects: %", "OutRedirects"),
    ("Icmp6", Out, "router advertisement: %", "OutRouterAdvertisements"),
    ("Icmp6", Out, "router solicits: %", "OutRouterSolicits"),
    ("Icmp6", Out, "sent icmpv6 time exceeded: %", "OutTimeExcds"),
    ("Tcp", Main, "% active connection openings", "ActiveOpens"),
    ("Tcp", Main, "% active connections openings", "ActiveOpens"),
    ("Tcp", Main, "% active opens", "ActiveOpens"),
    ("Tcp", Main, "% passive connection openings", "PassiveOpens"),
    ("Tcp", Main, "% passive opens", "PassiveOpens"),
    ("Tcp", Main, "% failed connection attempts", "AttemptFails"),
    ("Tcp", Main, "% connection resets received", "EstabResets"),
    ("Tcp", Main, "% connections established", "CurrEstab"),
    ("Tcp", Main, "% segments received", "InSegs"),
    ("Tcp", Main, "% segments sent out", "OutSegs"),
    ("Tcp", Main, "% segments send out", "OutSegs"),
    ("Tcp", Main, "% segments retransmitted", "RetransSegs"),
    ("Tcp", Main, "% segments retransmited", "RetransSegs"),
    ("Tcp", Main, "% bad segments received", "InErrs"),
    ("Tcp", Main, "% resets sent", "OutRsts"),
    ("Udp", Main, "% packets received", "InDatagrams"),
    ("Udp", Main, "% packet receive errors", "InErrors"),
    ("Udp", Main, "% packets to unknown port received", "NoPorts"),
    ("Udp", Main, "% packets sent", "OutDatagrams"),
    ("Udp", Main, "% packets send", "OutDatagrams"),
    ("Udp", Main, "% receive buffer errors", "RcvbufErrors"),
    ("Udp", Main, "% send buffer errors", "SndbufErrors"),
    ("Udp6", Main, "% packets received", "InDatagrams"),
    ("Udp6", Main, "% packet receive errors", "InErrors"),
    ("Udp6", Main, "% packets to unknown port received", "NoPorts"),
    ("Udp6", Main, "% packets sent", "OutDatagrams"),
    ("TcpExt", Main, "% delayed acks further delayed because of locked socket", "DelayedACKLocked"),
    ("TcpExt", Main, "quick ack mode was activated % times", "DelayedACKLost"),
    ("TcpExt", Main, "% delayed acks sent", "DelayedACKs"),
    ("TcpExt", Main, "% resets received for embryonic syn_recv sockets", "EmbryonicRsts"),
    ("TcpExt", Main, "% syns to listen sockets dropped", "ListenDrops"),
    ("TcpExt", Main, "% syns to listen sockets ignored", "ListenDrops"),
    ("TcpExt", Main, "% times the listen queue of a socket overflowed", "ListenOverflows"),
    ("TcpExt", Main, "% icmp packets dropped because socket was locked", "LockDroppedIcmps"),
    (
        "TcpExt",
        Main,
        "% packets dropped from out-of-order queue because of socket buffer overrun",
        "OfoPruned",
    ),
    ("TcpExt", Main, "% icmp packets dropped because they were out-of-window", "OutOfWindowIcmps"),
    ("TcpExt", Main, "% active connections rejected because of time stamp", "PAWSActive"),
    ("TcpExt", Main, "% packetes rejected in established connections because of timestamp", "PAWSEstab"),
    ("TcpExt", Main, "% packets rejected in established connections because of timestamp", "PAWSEstab"),
    ("TcpExt", Main, "% packets rejects in established connections because of timestamp", "PAWSEstab"),
    ("TcpExt", Main, "% passive connections rejected because of time stamp", "PAWSPassive"),
    ("TcpExt", Main, "% packets pruned from receive queue because of socket buffer overrun", "PruneCalled"),
    ("TcpExt", Main, "% packets pruned from receive queue", "RcvPruned"),
    ("TcpExt", Main, "ran % times out of system memory during packet sending", "SockMallocOOM"),
    ("TcpExt", Main, "% invalid syn cookies received", "SyncookiesFailed"),
    ("TcpExt", Main, "% syn cookies received", "SyncookiesRecv"),
    ("TcpExt", Main, "% syn cookies sent", "SyncookiesSent"),
    ("TcpExt", Main, "% times unable to send rst due to no memory", "TCPAbortFailed"),
    ("TcpExt", Main, "% connections reset due to early user close", "TCPAbortOnClose"),
    ("TcpExt", Main, "% connections reset due to unexpected data", "TCPAbortOnData"),
    ("TcpExt", Main, "% connections aborted after user close in linger timeout", "TCPAbortOnLinger"),
    ("TcpExt", Main, "% connections aborted due to memory pressure", "TCPAbortOnMemory"),
    ("TcpExt", Main, "% connections reset due to unexpected syn", "TCPAbortOnSyn"),
    ("TcpExt", Main, "% connections aborted due to timeout", "TCPAbortOnTimeout"),
    ("TcpExt", Main, "% bytes directly in process context from backlog", "TCPDirectCopyFromBacklog"),
    ("TcpExt", Main, "% packets directly received from backlog", "TCPDirectCopyFromBacklog"),
    (
        "TcpExt",
        Main,
        "% bytes directly received in process context from prequeue",
        "TCPDirectCopyFromPrequeue",
    ),
    ("TcpExt", Main, "% packets directly received from prequeue", "TCPDirectCopyFromPrequeue"),
    ("TcpExt", Main, "% dsacks for out of order packets received", "TCPDSACKOfoRecv"),
    ("TcpExt", Main, "% dsacks sent for out of order packets", "TCPDSACKOfoSent"),
    ("TcpExt", Main, "% dsacks sent for old packets", "TCPDSACKOldSent"),
    ("TcpExt", Main, "% dsacks received", "TCPDSACKRecv"),
    ("TcpExt", Main, "% congestion window recovered without slow start using dsack", "TCPDSACKUndo"),
    ("TcpExt", Main, "% congestion window recovered using dsack", "TCPDSACKUndo"),
    ("TcpExt", Main, "% congestion windows recovered without slow start by dsack", "TCPDSACKUndo"),
    ("TcpExt", Main, "detected reordering % times using fack", "TCPFACKReorder"),
    ("TcpExt", Main, "% fast retransmits", "TCPFastRetrans"),
    ("TcpExt", Main, "% forward retransmits", "TCPForwardRetrans"),
    ("TcpExt", Main, "% congestion windows fully recovered without slow start", "TCPFullUndo"),
    ("TcpExt", Main, "% congestion windows fully recovered", "TCPFullUndo"),
    ("TcpExt", Main, "% predicted acknowledgments", "TCPHPAcks"),
    ("TcpExt", Main, "% packet headers predicted", "TCPHPHits"),
    ("TcpExt", Main, "% packets header predicted", "TCPHPHits"),
    ("TcpExt", Main, "% packet headers predicted and directly queued to user", "TCPHPHitsToUser"),
    ("TcpExt", Main, "% packets header predicted and directly queued to user", "TCPHPHitsToUser"),
    ("TcpExt", Main, "% timeouts in loss state", "TCPLossFailures"),
    ("TcpExt", Main, "% tcp data loss events", "TCPLoss"),
    ("TcpExt", Main, "% congestion windows recovered without slow start after partial ack", "TCPLossUndo"),
    ("TcpExt", Main, "% congestion windows recovered after partial ack", "TCPLossUndo"),
    ("TcpExt", Main, "% retransmits lost", "TCPLostRetransmit"),
    ("TcpExt", Main, "tcp ran low on memory % times", "TCPMemoryPressures"),
    ("TcpExt", Main, "% congestion windows partially recovered using hoe heuristic", "TCPPartialUndo"),
    ("TcpExt", Main, "% packets directly queued to recvmsg prequeue", "TCPPrequeued"),
    ("TcpExt", Main, "% packets dropped from prequeue", "TCPPrequeueDropped"),
    ("TcpExt", Main, "% acknowledgments not containing data payload received", "TCPPureAcks"),
    ("TcpExt", Main, "% acknowledgments not containing data received", "TCPPureAcks"),
    ("TcpExt", Main, "% packets collapsed in receive queue due to low socket buffer", "TCPRcvCollapsed"),
    ("TcpExt", Main, "% timeouts after reno fast retransmit", "TCPRenoFailures"),
    ("TcpExt", Main, "% reno fast retransmits failed", "TCPRenoRecoveryFail"),
    ("TcpExt", Main, "% classic reno fast retransmits failed", "TCPRenoRecoveryFail"),
    ("TcpExt", Main, "% times recovered from packet loss due to fast retransmit", "TCPRenoRecovery"),
    ("TcpExt", Main, "detected reordering % times using reno fast retransmit", "TCPRenoReorder"),
    ("TcpExt", Main, "% timeouts after sack recovery", "TCPSackFailures"),
    ("TcpExt", Main, "% sack retransmits failed", "TCPSackRecoveryFail"),
    ("TcpExt", Main, "% times recovered from packet loss by selective acknowledgements", "TCPSackRecovery"),
    ("TcpExt", Main, "% times recovered from packet loss due to sack data", "TCPSackRecovery"),
    ("TcpExt", Main, "% bad sack blocks received", "TCPSACKReneging"),
    ("TcpExt", Main, "% bad sacks received", "TCPSACKReneging"),
    ("TcpExt", Main, "detected reordering % times using sack", "TCPSACKReorder"),
    ("TcpExt", Main, "% times receiver scheduled too late for direct processing", "TCPSchedulerFailed"),
    ("TcpExt", Main, "% retransmits in slow start", "TCPSlowStartRetrans"),
    ("TcpExt", Main, "% other tcp timeouts", "TCPTimeouts"),
    ("TcpExt", Main, "detected reordering % times using time stamp", "TCPTSReorder"),
    ("TcpExt", Main, "% tcp sockets finished time wait in slow timer", "TWKilled"),
    ("TcpExt", Main, "% tcp sockets finished time wait in fast timer", "TW"),
    ("TcpExt", Main, "% time wait sockets recycled by time stamp", "TWRecycled"),
    ("Sctp", Main, "% number of aborteds", "Aborteds"),
    ("Sctp", Main, "% active associations", "ActiveEstabs"),
    ("Sctp", Main, "% number of packets with invalid checksum", "ChecksumErrors"),
    ("Sctp", Main, "% current associations", "CurrEstab"),
    ("Sctp", Main, "% number of messages fragmented", "FragUsrMsgs"),
    ("Sctp", Main, "% number of control chunks received", "InCtrlChunks"),
    ("Sctp", Main, "% number of ordered chunks received", "InOrderChunks"),
    ("Sctp", Main, "% number of sctp packets received", "InSCTPPacks"),
    ("Sctp", Main, "% number of unordered chunks received", "InUnorderChunks"),
    ("Sctp", Main, "% number of control chunks sent", "OutCtrlChunks"),
    ("Sctp", Main, "% number of out of blue packets", "OutOfBlues"),
    ("Sctp", Main, "% number of ordered chunks sent", "OutOrderChunks"),
    ("Sctp", Main, "% number of sctp packets sent", "OutSCTPPacks"),
    ("Sctp", Main, "% number of unordered chunks sent", "OutUnorderChunks"),
    ("Sctp", Main, "% passive associations", "PassiveEstabs"),
    ("Sctp", Main, "% number of messages reassembled", "ReasmUsrMsgs"),
    ("Sctp", Main, "% number of graceful terminations", "Shutdowns"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(text: &str) -> (Vec<CounterLine>, CounterSamples) {
        let mut parser = CounterParser::new();
        let mut samples = CounterSamples::new();
        let lines: Vec<CounterLine> = text
            .lines()
            .map(|l| {
                let line = parser.parse_line(l.as_bytes());
                samples.add(&line);
                line
            })
            .collect();
        (lines, samples)
    }

    fn counter(name: &str, value: u64) -> CounterLine {
        CounterLine::Counter { name: name.to_owned(), value }
    }

    #[test]
    fn table_has_no_conflicting_duplicates() {
        let mut seen: HashMap<(&str, Section, &str), &str> = HashMap::new();
        for &(g, s, t, n) in SENTENCES {
            assert!(seen.insert((g, s, t), n).is_none(), "duplicate {g} {t}");
            assert_eq!(t, t.to_ascii_lowercase(), "{t}");
            assert_eq!(t.matches('%').count(), 1, "{t}");
            assert!(!t.ends_with('.'), "{t}");
        }
    }

    /// `netstat -s` (net-tools 2.10) on the build machine, kernel 6.18, verbatim but shortened.
    const NETSTAT_S_2_10: &str = "\
Ip:
    Forwarding: 2
    12914 total packets received
    0 forwarded
    7484 requests sent out
    OutTransmits: 7484
Icmp:
    2 ICMP messages received
    0 input ICMP message failed
    ICMP input histogram:
        destination unreachable: 2
    0 ICMP messages sent
    0 ICMP messages failed
    ICMP output histogram:
IcmpMsg:
        InType3: 2
Tcp:
    41 active connection openings
    4 passive connection openings
    1 failed connection attempts
    12 connection resets received
    0 connections established
    12840 segments received
    7437 segments sent out
    0 segments retransmitted
    0 bad segments received
    30 resets sent
Udp:
    72 packets received
    74 packets sent
UdpLite:
TcpExt:
    20 TCP sockets finished time wait in fast timer
    Quick ack mode was activated 9 times
    TCPTimeouts: 3
    8 connections reset due to unexpected data
    12 connections reset due to early user close
    TcpTimeoutRehash: 3
IpExt:
    InOctets: 322644420
MPTcpExt:
";

    #[test]
    fn netstat_s_net_tools_2_10() {
        let (lines, samples) = parse_all(NETSTAT_S_2_10);
        assert!(!lines.contains(&CounterLine::Other), "{lines:?}");
        assert_eq!(lines[0], CounterLine::Group("Ip".into()));
        assert_eq!(lines[1], counter("Ip.Forwarding", 2));
        assert_eq!(lines[9], CounterLine::Text);
        assert_eq!(lines[10], counter("Icmp.InDestUnreachs", 2));
        assert_eq!(lines[13], CounterLine::Text);
        assert_eq!(lines[15], counter("IcmpMsg.InType3", 2));
        let s = samples.last().unwrap();
        assert_eq!(samples.samples.len(), 1);
        assert_eq!(s["Tcp.ActiveOpens"], 41);
        assert_eq!(s["Tcp.CurrEstab"], 0);
        assert_eq!(s["Tcp.RetransSegs"], 0);
        assert_eq!(s["Udp.OutDatagrams"], 74);
        assert_eq!(s["TcpExt.TW"], 20);
        assert_eq!(s["TcpExt.DelayedACKLost"], 9);
        assert_eq!(s["TcpExt.TCPTimeouts"], 3);
        assert_eq!(s["TcpExt.TCPAbortOnData"], 8);
        assert_eq!(s["TcpExt.TCPAbortOnClose"], 12);
        assert_eq!(s["TcpExt.TcpTimeoutRehash"], 3);
        assert_eq!(s["IpExt.InOctets"], 322644420);
        assert_eq!(s["Ip.OutTransmits"], 7484);
    }

    #[test]
    fn netstat_s_centos7_wording() {
        // `netstat -s` on CentOS 7 (3.10) posted in a Chinese tuning blog ("linux系统调优",
        // search index): old wordings, trailing full stops, listen overflow, TIME_WAIT overflow.
        let text = "\
Icmp:
    20100 input ICMP message failed.
    ICMP input histogram:
        echo requests: 8951025
    45534912 ICMP messages sent
    ICMP output histogram:
        echo request: 512
        echo replies: 8951025
Tcp:
    60003367 active connections openings
    1424047510 segments send out
    4446484 segments retransmited
    28 bad segments received.
Udp:
    36563515 packets to unknown port received.
TcpExt:
    782602 invalid SYN cookies received
    285 packets rejects in established connections because of timestamp
    9107 times the listen queue of a socket overflowed
    9107 SYNs to LISTEN sockets dropped
    1489 packets directly queued to recvmsg prequeue.
    33492 bytes directly in process context from backlog
    19 packets header predicted and directly queued to user
    Detected reordering 24 times using FACK
    TCPLostRetransmit: 28
    1742135 other TCP timeouts
    112739 connections aborted due to timeout
    TCPTimeWaitOverflow: 2027
";
        let (lines, samples) = parse_all(text);
        assert!(!lines.contains(&CounterLine::Other), "{lines:?}");
        let s = samples.last().unwrap();
        let expect = [
            ("Icmp.InErrors", 20100),
            ("Icmp.InEchos", 8951025),
            ("Icmp.OutMsgs", 45534912),
            ("Icmp.OutEchos", 512),
            ("Icmp.OutEchoReps", 8951025),
            ("Tcp.ActiveOpens", 60003367),
            ("Tcp.OutSegs", 1424047510),
            ("Tcp.RetransSegs", 4446484),
            ("Tcp.InErrs", 28),
            ("Udp.NoPorts", 36563515),
            ("TcpExt.SyncookiesFailed", 782602),
            ("TcpExt.PAWSEstab", 285),
            ("TcpExt.ListenOverflows", 9107),
            ("TcpExt.ListenDrops", 9107),
            ("TcpExt.TCPPrequeued", 1489),
            ("TcpExt.TCPDirectCopyFromBacklog", 33492),
            ("TcpExt.TCPHPHitsToUser", 19),
            ("TcpExt.TCPFACKReorder", 24),
            ("TcpExt.TCPLostRetransmit", 28),
            ("TcpExt.TCPTimeouts", 1742135),
            ("TcpExt.TCPAbortOnTimeout", 112739),
            ("TcpExt.TCPTimeWaitOverflow", 2027),
        ];
        for (name, value) in expect {
            assert_eq!(s.get(name), Some(&value), "{name}");
        }
        assert_eq!(s.len(), expect.len());
    }

    #[test]
    fn netstat_s_before_and_after_with_banners() {
        // LKML, Troy Wilson, "Early SPECWeb99 results on 2.5.33 with TSO on e1000" (Sep 2002):
        // two `netstat -s` runs in one file, `ignored` wording, banners between.
        let text = "\
**********************************
* netstat -s before the workload *
**********************************

Tcp:
    0 active connections openings
    0 segments retransmited
TcpExt:
    ArpFilter: 0
    5 delayed acks sent
    35 packets header predicted
    TCPTimeouts: 0

*********************************
* netstat -s after the workload *
*********************************

Tcp:
    64 active connections openings
    4241408 segments retransmited
TcpExt:
    ArpFilter: 0
    54977 times the listen queue of a socket overflowed
    54977 SYNs to LISTEN sockets ignored
    16925947 packets header predicted
    TCPTimeouts: 373473
";
        let (lines, samples) = parse_all(text);
        assert_eq!(lines[0], CounterLine::Other);
        assert_eq!(lines[1], CounterLine::Other);
        assert_eq!(samples.samples.len(), 2);
        assert_eq!(samples.delta("Tcp.RetransSegs"), Some(4241408));
        assert_eq!(samples.delta("TcpExt.TCPTimeouts"), Some(373473));
        assert_eq!(samples.delta("TcpExt.TCPHPHits"), Some(16925947 - 35));
        // Only in the second sample.
        assert_eq!(samples.delta("TcpExt.ListenDrops"), None);
        assert_eq!(samples.last().unwrap()["TcpExt.ListenDrops"], 54977);
    }

    #[test]
    fn proc_snmp_pairs() {
        // /proc/net/snmp on the build machine (6.18), shortened; MaxConn is -1.
        let text = "\
Ip: Forwarding DefaultTTL InReceives
Ip: 2 64 12914
IcmpMsg: InType3
IcmpMsg: 2
Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab
Tcp: 1 200 120000 -1 41 4 1 12 0
";
        let (lines, samples) = parse_all(text);
        assert_eq!(lines[0], CounterLine::Header);
        assert_eq!(
            lines[1],
            CounterLine::Counters(vec![
                ("Ip.Forwarding".into(), 2),
                ("Ip.DefaultTTL".into(), 64),
                ("Ip.InReceives".into(), 12914)
            ])
        );
        assert_eq!(lines[3], CounterLine::Counters(vec![("IcmpMsg.InType3".into(), 2)]));
        let s = samples.last().unwrap();
        assert_eq!(s.get("Tcp.MaxConn"), None);
        assert_eq!(s["Tcp.ActiveOpens"], 41);
        assert_eq!(s["Tcp.CurrEstab"], 0);
    }

    #[test]
    fn proc_netstat_from_this_machine() {
        let text = std::fs::read_to_string("/proc/net/netstat").unwrap_or_default();
        let (lines, samples) = parse_all(&text);
        assert!(!lines.contains(&CounterLine::Other));
        if let Some(s) = samples.last() {
            assert!(s.contains_key("TcpExt.ListenOverflows"));
            assert!(s.contains_key("TcpExt.TCPTimeWaitOverflow"));
            assert!(s.contains_key("IpExt.InOctets"));
        }
    }

    #[test]
    fn proc_value_line_needs_its_header() {
        let mut p = CounterParser::new();
        assert_eq!(p.parse_line(b"TcpExt: 0 0 0"), CounterLine::Other);
        assert_eq!(p.parse_line(b"TcpExt: SyncookiesSent SyncookiesRecv"), CounterLine::Header);
        assert_eq!(p.parse_line(b"Ip: 1 2"), CounterLine::Other);
        assert_eq!(p.parse_line(b"TcpExt: 1 2"), CounterLine::Other);
    }

    /// `nstat -az` on the build machine (iproute2 6.1), verbatim lines.
    const NSTAT_AZ: &str = "\
#kernel
IpInReceives                    12914              0.0
IcmpMsgInType3                  2                  0.0
TcpActiveOpens                  41                 0.0
TcpExtSyncookiesSent            0                  0.0
TcpExtTCPFastOpenListenOverflow 0                  0.0
MPTcpExtMPJoinSynAckHMacFailure 0                  0.0
TcpExtTcpTimeoutRehash          3                  0.0
IpExtInOctets                   322644420          0.0
Ip6InReceives                   2                  0.0
Icmp6InType133                  0                  0.0
Udp6InDatagrams                 0                  0.0
UdpLite6InDatagrams             0                  0.0
UdpLiteInDatagrams              0                  0.0
";

    #[test]
    fn nstat_names_split_on_group() {
        let (lines, _) = parse_all(NSTAT_AZ);
        let names: Vec<&str> = lines
            .iter()
            .filter_map(|l| match l {
                CounterLine::Counter { name, .. } => Some(name.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(lines[0], CounterLine::Header);
        assert_eq!(
            names,
            [
                "Ip.InReceives",
                "IcmpMsg.InType3",
                "Tcp.ActiveOpens",
                "TcpExt.SyncookiesSent",
                "TcpExt.TCPFastOpenListenOverflow",
                "MPTcpExt.MPJoinSynAckHMacFailure",
                "TcpExt.TcpTimeoutRehash",
                "IpExt.InOctets",
                "Ip6.InReceives",
                "Icmp6.InType133",
                "Udp6.InDatagrams",
                "UdpLite6.InDatagrams",
                "UdpLite.InDatagrams",
            ]
        );
    }

    #[test]
    fn nstat_quirks() {
        let mut p = CounterParser::new();
        // nstat's `%-32s%-16llu%6.1f`: a 32+ character name touches its value.
        let glued = b"MPTcpExtMPCapableFallbackSYNACKX17          0.0";
        assert_eq!(p.parse_line(glued), counter("MPTcpExt.MPCapableFallbackSYNACKX", 17));
        // dump_incr_db marks a counter that went backwards.
        let ovfl = b"TcpExtListenDrops               5                  0.4 (overflow)";
        assert_eq!(p.parse_line(ovfl), counter("TcpExt.ListenDrops", 5));
        // /proc/net/snmp6 lines: name, tab, value.
        assert_eq!(p.parse_line(b"Ip6InReceives                   \t2"), counter("Ip6.InReceives", 2));
        // Huge values saturate.
        assert_eq!(p.parse_line(b"TcpInSegs 99999999999999999999999 0.0"), counter("Tcp.InSegs", u64::MAX));
        assert_eq!(p.parse_line(b"FooBar 1 0.0"), CounterLine::Other);
        assert_eq!(p.parse_line(b"#2345.12 sampling_interval=5 time_const=60"), CounterLine::Header);
        assert_eq!(p.parse_line(b"# netstat -s"), CounterLine::Other);
    }

    #[test]
    fn capture_loop_splits_samples() {
        // `while :; do date; nstat -az; sleep 5; done`: the date line is Other, names repeat.
        let text = "\
Tue Mar  5 10:00:00 UTC 2024
#kernel
TcpExtListenOverflows           12                 0.0
TcpExtListenDrops               12                 0.0
Tue Mar  5 10:00:05 UTC 2024
#kernel
TcpExtListenOverflows           40                 5.6
TcpExtListenDrops               41                 5.8
";
        let (lines, samples) = parse_all(text);
        assert_eq!(lines[0], CounterLine::Other);
        assert_eq!(samples.samples.len(), 2);
        assert_eq!(samples.delta("TcpExt.ListenOverflows"), Some(28));
        assert_eq!(samples.delta("TcpExt.ListenDrops"), Some(29));
        assert_eq!(samples.first().unwrap()["TcpExt.ListenDrops"], 12);
    }

    #[test]
    fn split_marks_boundaries_without_repeats() {
        // Plain `nstat` (increments, zeros omitted): consecutive runs may share no name.
        let mut s = CounterSamples::new();
        s.add(&counter("TcpExt.ListenDrops", 3));
        s.split();
        s.split();
        s.add(&counter("Tcp.RetransSegs", 7));
        assert_eq!(s.samples.len(), 2);
        assert_eq!(s.delta("TcpExt.ListenDrops"), None);
        let mut one = CounterSamples::new();
        one.add(&counter("Tcp.RetransSegs", 7));
        assert_eq!(one.delta("Tcp.RetransSegs"), None);
        // A counter that went down (reboot) saturates at 0.
        one.add(&counter("Tcp.RetransSegs", 2));
        assert_eq!(one.delta("Tcp.RetransSegs"), Some(0));
    }

    #[test]
    fn grep_excerpts_without_group() {
        let mut p = CounterParser::new();
        // `netstat -s | egrep "listen|LISTEN"` as posted in several blogs (search index).
        assert_eq!(
            p.parse_line(b"667399 times the listen queue of a socket overflowed"),
            counter("TcpExt.ListenOverflows", 667399)
        );
        assert_eq!(
            p.parse_line(b"667399 SYNs to LISTEN sockets ignored"),
            counter("TcpExt.ListenDrops", 667399)
        );
        // `netstat -s | grep TCPBacklogDrop`.
        assert_eq!(p.parse_line(b"TCPBacklogDrop: 2334"), counter("TcpExt.TCPBacklogDrop", 2334));
        // Ambiguous without a group (Udp or Udp6).
        assert_eq!(p.parse_line(b"    72 packets received"), CounterLine::Other);
        assert_eq!(p.parse_line(b"HugePages_Total:       0"), CounterLine::Other);
    }

    #[test]
    fn icmp6_histograms() {
        // net-tools Icmp6tab wording; `netstat -s -6`.
        let text = "\
Icmp6:
    4 ICMP messages received
    ICMP input histogram:
        neighbour solicits: 3
        destination unreachable: 1
    ICMP output histogram:
        neighbor advertisements: 3
        destination unreachable: 9
    Icmp6OutRouterAdvertisements: 2
Udp6:
    12 packets received
";
        let (lines, samples) = parse_all(text);
        assert!(!lines.contains(&CounterLine::Other), "{lines:?}");
        let s = samples.last().unwrap();
        assert_eq!(s["Icmp6.InMsgs"], 4);
        assert_eq!(s["Icmp6.InNeighborSolicits"], 3);
        assert_eq!(s["Icmp6.InDestUnreachs"], 1);
        assert_eq!(s["Icmp6.OutNeighborAdvertisements"], 3);
        assert_eq!(s["Icmp6.OutDestUnreachs"], 9);
        assert_eq!(s["Icmp6.OutRouterAdvertisements"], 2);
        assert_eq!(s["Udp6.InDatagrams"], 12);
    }

    #[test]
    fn sniffing() {
        let lines: Vec<&[u8]> = NETSTAT_S_2_10.lines().map(str::as_bytes).collect();
        assert!(looks_like_counters(&lines));
        let lines: Vec<&[u8]> = NSTAT_AZ.lines().map(str::as_bytes).collect();
        assert!(looks_like_counters(&lines));
        let snmp: [&[u8]; 2] = [b"Udp: InDatagrams NoPorts InErrors OutDatagrams", b"Udp: 72 0 0 74"];
        assert!(looks_like_counters(&snmp));
        // jc fixture centos-7.7/sysctl-a.out style and corpus hotsos sysctl_-a.
        let sysctl: [&[u8]; 3] =
            [b"net.ipv4.tcp_syncookies = 1", b"net.core.somaxconn = 4096", b"kern.ostype: FreeBSD"];
        assert!(!looks_like_counters(&sysctl));
        // jc fixture centos-7.7/netstat-sudo-lnp.out (corpus), first lines.
        let netstat: [&[u8]; 3] = [
            b"Active Internet connections (only servers)",
            b"Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name    ",
            b"tcp        0      0 127.0.0.1:25            0.0.0.0:*               LISTEN      1584/master         ",
        ];
        assert!(!looks_like_counters(&netstat));
        // coreos-sosreport-master1/proc/3255/net/sockstat (corpus) and `ss -s`.
        let sockstat: [&[u8]; 4] = [
            b"sockets: used 1373",
            b"TCP: inuse 84 orphan 0 tw 31 alloc 238 mem 28",
            b"UDP: inuse 12 mem 8",
            b"RAW: inuse 0",
        ];
        assert!(!looks_like_counters(&sockstat));
        let ss_s: [&[u8]; 2] =
            [b"Total: 190 (kernel 0)", b"TCP:   4 (estab 1, closed 0, orphaned 0, timewait 0)"];
        assert!(!looks_like_counters(&ss_s));
        let ss: [&[u8]; 2] = [
            b"State      Recv-Q Send-Q Local Address:Port               Peer Address:Port",
            b"LISTEN     0      128          *:22                       *:*",
        ];
        assert!(!looks_like_counters(&ss));
    }

    #[test]
    fn never_panics_on_odd_bytes() {
        let mut p = CounterParser::new();
        let lines: [&[u8]; 14] = [
            b"",
            b"\r",
            b"\0",
            b":",
            b"#",
            b"Ip:",
            b"Ip: -",
            b"Ip: - -1 --1",
            b"\xff\xfe: 1",
            b"Tcp\xff: 1",
            b"    \xc3\x28 12 times the listen queue of a socket overflowed",
            b"TcpExt 1 0.0",
            b"TcpExtX1234567890123456789012345678901 0.0",
            b"12345678901234567890123456789 segments received",
        ];
        for line in lines {
            let _ = p.parse_line(line);
        }
        assert_eq!(p.parse_line(b"Tcp:\r\n"), CounterLine::Group("Tcp".into()));
        assert_eq!(
            p.parse_line(b"    12345678901234567890123456789 segments received\r\n"),
            counter("Tcp.InSegs", u64::MAX)
        );
    }

    #[test]
    fn random_lines_never_panic() {
        // Splices of real fragments and odd bytes; a stand-in for the proptest the crate runs.
        const PARTS: [&[u8]; 14] = [
            b"TcpExt",
            b":",
            b" ",
            b"ListenDrops",
            b"12",
            b"-1",
            b"0.0",
            b"(overflow)",
            b"#kernel",
            b"times the listen queue of a socket overflowed",
            b"\xff\r\0",
            b"99999999999999999999",
            b"MPTcpExtMPCapableFallbackSYNACKX",
            b"    ",
        ];
        let mut p = CounterParser::new();
        let mut samples = CounterSamples::new();
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..20_000 {
            let mut line = Vec::new();
            for _ in 0..(x % 7) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                line.extend_from_slice(PARTS[(x % PARTS.len() as u64) as usize]);
            }
            samples.add(&p.parse_line(&line));
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }
        let _ = samples.delta("TcpExt.ListenDrops");
    }
}
