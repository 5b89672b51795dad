//! The text behind `sockscope explain TOPIC` and behind every finding's explanation and
//! remediation: one [`Topic`] per TCP state, sysctl, diagnostic rule and concept.
//!
//! Every fact here follows `docs/tcp-facts.md` (kernel `ip-sysctl.rst`,
//! `nf_conntrack-sysctl.rst` and source, plus the articles in its section 0); the tests at
//! the bottom pin the facts most often gotten wrong (TIME_WAIT is a fixed 60 s and
//! `tcp_fin_timeout` does not change it, `tcp_tw_recycle` was removed in 4.12, port
//! exhaustion is per destination 4-tuple) and reject advice that must never be given.
//!
//! Text conventions, so callers can print without reflowing:
//! - `summary`, `finding` and `remediation` are single lines (no `'\n'`); the renderer wraps
//!   or embeds them (JSON) as it needs;
//! - `body` and `myth` are plain text wrapped at about 90 columns (never over 100), with
//!   paragraphs separated by one blank line; commands and log lines are in backticks.
//!
//! Lookup ([`find`]) is case-insensitive and ignores punctuation, so `TIME-WAIT`,
//! `time_wait`, `net.ipv4.tcp_fin_timeout`, `/proc/sys/net/ipv4/tcp_fin_timeout`,
//! `net.ipv4.tcp_fin_timeout = 30` (a `sysctl -a` line), `R4` and `R4 CLOSE_WAIT_LEAK` all
//! resolve. Depends on nothing but std.

use std::fmt::Write as _;

/// What a topic is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TopicKind {
    /// A TCP socket state as printed by netstat or ss.
    State,
    /// A kernel setting (sysctl or module parameter).
    Sysctl,
    /// A diagnostic rule of tcp-facts.md A3 (R1–R17); its name is the rule id.
    Rule,
    /// Background that several states, settings and rules rely on.
    Concept,
}

impl TopicKind {
    /// A short label for headings and listings.
    pub fn label(self) -> &'static str {
        match self {
            TopicKind::State => "TCP state",
            TopicKind::Sysctl => "sysctl",
            TopicKind::Rule => "diagnostic rule",
            TopicKind::Concept => "concept",
        }
    }

    /// The order in which kinds are listed by [`overview`].
    pub const ALL: [TopicKind; 4] =
        [TopicKind::State, TopicKind::Sysctl, TopicKind::Rule, TopicKind::Concept];
}

/// One `explain` topic.
#[derive(Debug)]
pub struct Topic {
    /// Canonical name: the netstat state name (`TIME_WAIT`), the short sysctl name
    /// (`tcp_fin_timeout`; full keys are aliases), the rule id (`PORT_EXHAUSTION`) or the
    /// concept (`ephemeral ports`).
    pub name: &'static str,
    pub kind: TopicKind,
    /// ss spellings (`TIME-WAIT`), full sysctl keys (`net.ipv4.tcp_fin_timeout`), legacy
    /// names (`net.ipv4.netfilter.ip_conntrack_max`), and for rules the R-number (`R1`).
    pub aliases: &'static [&'static str],
    /// One line, shown by `explain` with no argument.
    pub summary: &'static str,
    /// A few paragraphs of plain text, wrapped at about 90 columns.
    pub body: &'static str,
    /// The common myth and its correction (tcp-facts.md A4), wrapped like `body`. It does not
    /// start with a "Myth:" label (the renderer adds one) and contains "Fact:".
    pub myth: Option<&'static str>,
    /// Rule topics: 1–3 sentences used as a finding's explanation; `""` otherwise.
    pub finding: &'static str,
    /// Rule topics: what to do, 1–3 sentences; `""` otherwise.
    pub remediation: &'static str,
    /// Source keys of tcp-facts.md section 0 (`[IPS]`, `[VB]`, …), each with a short expansion.
    pub sources: &'static [&'static str],
}

impl Topic {
    /// The rule number (`"R1"`) of a rule topic.
    pub fn rule_id(&self) -> Option<&'static str> {
        if self.kind != TopicKind::Rule {
            return None;
        }
        self.aliases.iter().copied().find(|a| is_rule_number(a))
    }

    /// The full `explain TOPIC` text: heading, aliases, summary, body, myth and sources.
    pub fn render(&self) -> String {
        let mut out = String::new();
        match self.rule_id() {
            Some(id) => {
                let _ = writeln!(out, "{id} {} ({})", self.name, self.kind.label());
            }
            None => {
                let _ = writeln!(out, "{} ({})", self.name, self.kind.label());
            }
        }
        let others: Vec<&str> = self.aliases.iter().copied().filter(|a| !is_rule_number(a)).collect();
        if !others.is_empty() {
            let _ = writeln!(out, "Also: {}", others.join(", "));
        }
        let _ = writeln!(out, "\n{}\n\n{}", self.summary, self.body);
        if let Some(myth) = self.myth {
            let _ = writeln!(out, "\nMyth: {myth}");
        }
        if !self.sources.is_empty() {
            let _ = writeln!(out, "\nSources:");
            for s in self.sources {
                let _ = writeln!(out, "  {s}");
            }
        }
        out
    }
}

/// The list printed by `explain` with no argument: every topic's name and summary, grouped
/// by kind.
pub fn overview() -> String {
    // Long sysctl names would push every summary off a 100-column terminal: those get a
    // line of their own and their summary goes under the column.
    const COLUMN: usize = 22;
    let mut out = String::new();
    for kind in TopicKind::ALL {
        let _ = writeln!(out, "{}s:", capitalize(kind.label()));
        for t in topics_of(kind) {
            let name = match t.rule_id() {
                Some(id) => format!("{} ({id})", t.name),
                None => t.name.to_string(),
            };
            if name.len() <= COLUMN {
                let _ = writeln!(out, "  {name:COLUMN$}  {}", t.summary);
            } else {
                let _ = writeln!(out, "  {name}\n  {:COLUMN$}  {}", "", t.summary);
            }
        }
        out.push('\n');
    }
    out.pop();
    out
}

/// The topics of one kind, in table order (rules come in R1..R17 order).
pub fn topics_of(kind: TopicKind) -> impl Iterator<Item = &'static Topic> {
    TOPICS.iter().filter(move |t| t.kind == kind)
}

/// Case-insensitive; accepts the name, any alias, ss spellings with '-', a sysctl key with
/// its dotted prefix or with '/' (proc path style), a `sysctl -a` line (`key = value`), and
/// rule ids with or without the `R<n> ` prefix.
pub fn find(query: &str) -> Option<&'static Topic> {
    let q = clean(query);
    if q.is_empty() {
        return None;
    }
    lookup(q)
        .or_else(|| {
            // "R11 ORPHANS", "r11 orphans": the number decides when it names that rule.
            let (id, rest) = strip_rule_number(q)?;
            let numbered = TOPICS.iter().find(|t| t.rule_id().is_some_and(|r| r.eq_ignore_ascii_case(id)));
            numbered.filter(|t| squash(t.name) == squash(rest)).or_else(|| lookup(rest))
        })
        .or_else(|| q.rfind(['.', '/']).map(|i| &q[i + 1..]).filter(|s| !s.is_empty()).and_then(lookup))
}

/// Names of topics whose name or alias contains the query (for "did you mean"), compared
/// case-insensitively and ignoring punctuation. When nothing contains it, names within a
/// small edit distance (typos such as `tcp_orphans_retries`) are returned instead.
pub fn suggest(query: &str) -> Vec<&'static str> {
    let q = squash(clean(query));
    if q.is_empty() {
        return Vec::new();
    }
    let contains: Vec<&'static str> =
        TOPICS.iter().filter(|t| keys(t).any(|k| squash(k).contains(&q))).map(|t| t.name).collect();
    if !contains.is_empty() {
        return contains;
    }
    let budget = match q.len() {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    };
    if budget == 0 {
        return Vec::new();
    }
    TOPICS
        .iter()
        .filter(|t| keys(t).any(|k| edit_distance(&squash(k), &q) <= budget))
        .map(|t| t.name)
        .collect()
}

/// The name and every alias of a topic.
fn keys(t: &'static Topic) -> impl Iterator<Item = &'static str> {
    std::iter::once(t.name).chain(t.aliases.iter().copied())
}

/// An exact (case-sensitive) name or alias wins. Otherwise keys are compared squashed; the
/// only names that collide that way are a rule id and a concept (`ORPHANS`, `orphans`), and
/// then an all-uppercase query means the rule and anything else the concept.
fn lookup(query: &str) -> Option<&'static Topic> {
    if let Some(t) = TOPICS.iter().find(|t| keys(t).any(|k| k == query)) {
        return Some(t);
    }
    let q = squash(query);
    if q.is_empty() {
        return None;
    }
    let mut hits = TOPICS.iter().filter(|t| keys(t).any(|k| squash(k) == q));
    let first = hits.next()?;
    let Some(second) = hits.next() else {
        return Some(first);
    };
    let want_rule = !query.chars().any(|c| c.is_ascii_lowercase());
    [first, second].into_iter().find(|t| (t.kind == TopicKind::Rule) == want_rule).or(Some(first))
}

/// Trims, and drops a `= value` part so a line of `sysctl -a` output works as a query.
fn clean(query: &str) -> &str {
    let q = query.trim();
    match q.find('=') {
        Some(i) => q[..i].trim(),
        None => q,
    }
}

/// `"R4 CLOSE_WAIT_LEAK"` → `("R4", "CLOSE_WAIT_LEAK")`; `None` when there is no such
/// prefix or nothing follows it.
fn strip_rule_number(q: &str) -> Option<(&str, &str)> {
    let rest = q.strip_prefix(['R', 'r'])?;
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 {
        return None;
    }
    let after = &rest[digits..];
    let name = after.trim_start_matches([' ', ':', '-', '_', '.', '\t']);
    (name.len() < after.len() && !name.is_empty()).then_some((&q[..1 + digits], name))
}

fn is_rule_number(s: &str) -> bool {
    s.strip_prefix('R').is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

/// Lowercase ASCII letters and digits only: `FIN-WAIT-1`, `fin_wait1` and `FIN_WAIT1` all
/// become `finwait1`; `net/ipv4/tcp_fin_timeout` and `net.ipv4.tcp_fin_timeout` agree.
fn squash(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, &ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

// Source keys of tcp-facts.md section 0.
const IPS: &str = "[IPS] kernel Documentation/networking/ip-sysctl.rst";
const NFS: &str = "[NFS] kernel Documentation/networking/nf_conntrack-sysctl.rst";
const TCPH: &str = "[TCPH] include/net/tcp.h: TCP_TIMEWAIT_LEN, TCP_FIN_TIMEOUT, tcp_too_many_orphans()";
const TCPC: &str = "[TCPC] net/ipv4/tcp.c: tcp_init() (tcp_max_orphans default), tcp_check_oom()";
const TCPI: &str =
    "[TCPI] net/ipv4/tcp_ipv4.c (per-netns defaults, tw_reuse check, /proc/net/tcp), tcp_diag.c (ss queues)";
const TCPIN: &str = "[TCPIN] net/ipv4/tcp_input.c tcp_conn_request(): SYN queue, accept queue, syncookies";
const NFC: &str =
    "[NFC] net/netfilter/nf_conntrack_core.c: table size defaults (commit d532bcd0, v5.15), table full";
const C_RECYCLE: &str = "[C-RECYCLE] commit 4396e461 \"tcp: remove tcp_tw_recycle\" (Linux 4.12)";
const C_REUSE2: &str = "[C-REUSE2] commit 79e9fed4 (2018, ~4.18): tcp_tw_reuse 0/1/2, 2 = loopback only";
const C_DELAY: &str = "[C-DELAY] Sitnicki, Dec 2024 (~6.14): tcp_tw_reuse_delay in ms, default 1000";
const VB: &str = "[VB] V. Bernat, Coping with the TCP TIME-WAIT state on busy Linux servers (2014/2017)";
const CF_EPH: &str = "[CF-EPH] Cloudflare, How to stop running out of ephemeral ports and start to love long-lived connections";
const FW2: &str = "[FW2] siliconsprawl.com, FIN_WAIT_2 (the timeout applies only after close)";
const RFC: &str = "[RFC] RFC 793 / RFC 9293, the TCP state machine";

/// Every topic: states, then sysctls, then rules (R1..R17 in order), then concepts.
pub static TOPICS: &[Topic] = &[
    // ---------------------------------------------------------------- TCP states
    Topic {
        name: "LISTEN",
        kind: TopicKind::State,
        aliases: &["LISTENING"],
        summary: "Passive socket awaiting SYNs; its accept queue shows if the app keeps up.",
        body: "\
LISTEN is a passive socket created by listen(). It carries no connection itself but owns
two queues: the SYN queue of half-open requests (the SYN-RECV rows) and the accept queue
of completed connections waiting for the application to call accept(). It lasts until
the program closes it.

The accept queue holds at most min(listen() backlog, net.core.somaxconn) connections. In
ss, a LISTEN row's Recv-Q is the current accept-queue length and its Send-Q is that cap.
In netstat, Recv-Q means the same, but Send-Q is about 0 and is NOT the backlog, so
netstat alone cannot tell how full the queue is.

Check: `ss -ltn` (Recv-Q close to Send-Q means the application is falling behind) and
`nstat -az TcpExtListenOverflows TcpExtListenDrops` (cumulative: compare two samples).
An IPv4 and an IPv6 listener on the same port are two sockets with two separate queues.
See `explain accept queue`, ACCEPT_QUEUE_FULL (R7) and SYN_RECV_HIGH (R8).",
        myth: None,
        finding: "",
        remediation: "",
        sources: &[RFC, IPS, TCPI, TCPIN],
    },
    Topic {
        name: "SYN_SENT",
        kind: TopicKind::State,
        aliases: &["SYN-SENT"],
        summary: "Client sent a SYN, waits for the SYN-ACK; gives up after about 127 s.",
        body: "\
SYN_SENT is the client side of a connect() that has sent its SYN and has not yet
received a SYN-ACK. Only the connecting host shows it.

Linux resends the SYN tcp_syn_retries times (default 6) with exponential backoff, so
connect() gives up after about 127 s. A few SYN_SENT rows are normal. Many of them to
one destination mean the destination is not answering: the host or service is down, a
firewall silently DROPs the SYN (a REJECT would normally fail connect() at once), the
peer's listen queue is overflowing, or a conntrack table on the path is full.

Group by destination: `ss -tan state syn-sent` and count per remote address and port.
Then look at the peer: its accept queue (`ss -ltn` there) and its conntrack entries
marked [UNREPLIED]. Rule SYN_SENT_HIGH (R9).",
        myth: None,
        finding: "",
        remediation: "",
        sources: &[RFC, IPS],
    },
    Topic {
        name: "SYN_RECV",
        kind: TopicKind::State,
        aliases: &["SYN-RECV", "SYN_RECEIVED", "SYN-RECEIVED"],
        summary: "Server sent a SYN-ACK; the client's final ACK is missing or ignored.",
        body: "\
SYN_RECV is the server side of a handshake in progress: a SYN arrived, a SYN-ACK went
out, and the client's final ACK has not arrived or has been ignored. The rows that ss
and netstat print are request socks attached to one listener, so counting them per
listening address and port is meaningful.

Linux resends the SYN-ACK tcp_synack_retries times (default 5) and drops the request
after about 63 s. A pile-up has three usual causes:
  - many source addresses with 1-2 requests each: a SYN flood (syncookies should be on);
  - a full accept queue: while it is full the final ACK is ignored, so the request stays
    in SYN_RECV and the SYN-ACK is resent (ACCEPT_QUEUE_FULL, R7);
  - few sources: ACKs lost on the way, often at a middlebox.

A `Possible SYN flooding on port` kernel message supports the picture, but it is also
printed under legitimate overload. Check: `ss -tan state syn-recv`, `ss -ltn`. Rule
SYN_RECV_HIGH (R8); see also `explain SYN queue`.",
        myth: None,
        finding: "",
        remediation: "",
        sources: &[RFC, IPS, TCPIN],
    },
    Topic {
        name: "ESTABLISHED",
        kind: TopicKind::State,
        aliases: &["ESTAB"],
        summary: "The data phase, on both ends; no kernel time limit.",
        body: "\
ESTABLISHED is the data phase; both ends show it. The kernel puts no time limit on it.
With SO_KEEPALIVE set, an idle connection is probed after 7200 s and dropped after 9
unanswered probes sent 75 s apart; without keepalive a vanished peer can leave the
socket here for good.

A large count is a question of clients and connection-pool sizes, not of TCP. The useful
signals are the queues: a Recv-Q that stays above 0 means the local application is not
reading; a Send-Q that stays above 0 means the peer or the network is slow
(QUEUE_BACKPRESSURE, R15). Retransmit timers on many rows to one peer mean loss or a
dead peer (RETRANSMITTING, R16). Check: `ss -tno state established`.

Conntrack keeps its own ESTABLISHED entries for 432000 s (5 days) after the last packet;
that is a separate table (see nf_conntrack_tcp_timeout_established).",
        myth: None,
        finding: "",
        remediation: "",
        sources: &[RFC, IPS, NFS],
    },
    Topic {
        name: "FIN_WAIT1",
        kind: TopicKind::State,
        aliases: &["FIN-WAIT-1", "FIN_WAIT_1"],
        summary: "This host closed first and its FIN is not ACKed yet.",
        body: "\
FIN_WAIT1: this host closed first (close() or shutdown()) and its FIN has not been ACKed
yet. Only the active closer shows it.

The FIN is retransmitted like data. If the application already called close(), the
socket is an orphan and its retries are bounded by tcp_orphan_retries (default 8). A
large Send-Q on these rows means data is still waiting to go out ahead of the FIN,
typically because the peer advertises a zero window.

Many FIN_WAIT1 rows mean peers that are gone, peers that stopped reading (zero window),
or a path that drops packets. Group by peer: `ss -tano state fin-wait-1`. Rule
CLOSING_STATES_STUCK (R10); orphans count against tcp_max_orphans (ORPHANS, R11).",
        myth: None,
        finding: "",
        remediation: "",
        sources: &[RFC, IPS],
    },
    Topic {
        name: "FIN_WAIT2",
        kind: TopicKind::State,
        aliases: &["FIN-WAIT-2", "FIN_WAIT_2"],
        summary: "Our FIN was ACKed; waiting for the peer's FIN (peer is in CLOSE_WAIT).",
        body: "\
FIN_WAIT2: this host closed first, the peer ACKed our FIN, and we wait for the peer's
own FIN. Meanwhile the peer is in CLOSE_WAIT until its application calls close().

How long it lasts depends on how we closed:
  - after close() the socket is an orphan, and tcp_fin_timeout (default 60 s) limits the
    wait;
  - a socket half-closed with shutdown(SHUT_WR) and still open can keep reading, and has
    no timeout at all: it stays until the peer closes or the application closes it.

When tcp_fin_timeout is 60 s or less, Linux keeps an orphaned FIN_WAIT2 as a small
timewait socket. It still shows as FIN-WAIT-2, but it is counted in the `tw` field of
/proc/net/sockstat and against tcp_max_tw_buckets.

Many FIN_WAIT2 rows, or the same 4-tuple seen for longer than tcp_fin_timeout, mean the
peer never closes: usually a CLOSE_WAIT leak in the peer application (look for
CLOSE_WAIT with the mirrored 4-tuple on the peer), or a local half-close bug. Check:
`ss -tano state fin-wait-2`. Rule FIN_WAIT2_STUCK (R6).",
        myth: None,
        finding: "",
        remediation: "",
        sources: &[RFC, IPS, FW2, TCPI],
    },
    Topic {
        name: "CLOSE_WAIT",
        kind: TopicKind::State,
        aliases: &["CLOSE-WAIT"],
        summary: "The peer closed; the local application has not called close(). No timeout.",
        body: "\
CLOSE_WAIT: the peer sent its FIN (it closed, or shut down its sending side) and the
local application has not called close() yet. Only the passive closer shows it.

The kernel never times this state out. The socket and its file descriptor live until the
application closes them, so a count that keeps growing is an application leak: an error
path that skips close(), a pool that keeps dead connections, a handler that never
notices EOF. Recv-Q above 0 on these rows means the application stopped reading as well.

Find the owner and the peers: `ss -tanp state close-wait`. Compare the owner's open file
count (`ls /proc/PID/fd | wc -l`) with its limit. Restarting the process releases the
sockets; only a code fix stops the leak. The peer usually sits in FIN_WAIT2.

CLOSE_WAIT rows with no owning process on a listening port whose Recv-Q is above 0 are
different: connections the application never accept()ed, whose clients gave up
(CLOSE_WAIT_UNACCEPTED, R5). Rule CLOSE_WAIT_LEAK (R4).",
        myth: Some(
            "\
A sysctl such as tcp_fin_timeout cleans up CLOSE_WAIT. Fact: tcp_fin_timeout limits
orphaned FIN_WAIT2, the other end of this close. CLOSE_WAIT has no kernel timeout and
ends only when the application calls close() (or exits).",
        ),
        finding: "",
        remediation: "",
        sources: &[RFC, IPS],
    },
    Topic {
        name: "CLOSING",
        kind: TopicKind::State,
        aliases: &[],
        summary: "Both sides sent a FIN at once (simultaneous close); rare and short.",
        body: "\
CLOSING: both sides sent a FIN at about the same time (simultaneous close) and our FIN
has not been ACKed yet. Both ends can show it. It normally lasts one round trip and then
turns into TIME_WAIT.

It is rare. Rows that persist mean ACKs are being lost: a dead peer, or a path
(firewall, an expired conntrack entry) dropping packets. If the application already
closed the socket it is an orphan and counts against tcp_max_orphans. Rule
CLOSING_STATES_STUCK (R10).",
        myth: None,
        finding: "",
        remediation: "",
        sources: &[RFC],
    },
    Topic {
        name: "LAST_ACK",
        kind: TopicKind::State,
        aliases: &["LAST-ACK"],
        summary: "The passive closer sent its own FIN and waits for the last ACK.",
        body: "\
LAST_ACK: the peer closed first, then the local application called close() and sent its
own FIN; we wait for the ACK of that FIN. Only the passive closer shows it, and the
socket is usually already an orphan.

The FIN is retransmitted until the ACK or a RST arrives (for an orphan, bounded by
tcp_orphan_retries). When the ACK arrives the socket is gone at once: the passive closer
has no TIME_WAIT.

Many LAST_ACK rows mean the peer vanished after sending its FIN, or the last ACK is
dropped on the way, for example by a firewall whose conntrack entry already expired
(conntrack keeps LAST_ACK for only 30 s). Group by peer: `ss -tan state last-ack`. Rule
CLOSING_STATES_STUCK (R10).",
        myth: None,
        finding: "",
        remediation: "",
        sources: &[RFC, IPS, NFS],
    },
    Topic {
        name: "TIME_WAIT",
        kind: TopicKind::State,
        aliases: &["TIME-WAIT", "TW"],
        summary: "Held 60 s by the side that closed first; a fixed length, not a sysctl.",
        body: "\
TIME_WAIT is held by the side that closed first, once the close has completed. It guards
the 4-tuple against late segments of the old connection, and lets this side re-ACK the
peer's final FIN if our last ACK was lost.

On Linux it lasts exactly 60 s. The length is TCP_TIMEWAIT_LEN, hard-coded in the
kernel: it is not a sysctl, and tcp_fin_timeout does not change it. The sockets are
small (about 168 bytes, plus 48 bytes of bind bucket for outgoing connections), so
40,000 of them use less than 10 MiB.

Because the length is fixed, the count is a rate: TIME_WAIT count / 60 is about the
number of connections per second that this host closed first. Count them with
`ss -Htan state time-wait | wc -l` or read `tw` in /proc/net/sockstat; the remaining
time in `ss -tano` timers shows when they were closed.

A large count is not a problem in itself. It matters in two cases:
  - outgoing connections: each TIME_WAIT keeps a local port busy for one destination,
    which can exhaust ephemeral ports (PORT_EXHAUSTION, R1);
  - the tcp_max_tw_buckets limit: beyond it new TIME_WAIT sockets are destroyed at once
    (TW_BUCKETS_LIMIT, R3).
TIME_WAIT from incoming connections that the server closes first costs no ports.

Fixes: reuse connections (keep-alive, pools); for outgoing connections, tcp_tw_reuse.
Rule TIME_WAIT_CHURN (R2). Conntrack's TIME_WAIT (120 s) is a separate table.",
        myth: Some(
            "\
TIME_WAIT lasts 2 x MSL (120 s, or 4 minutes), and a smaller tcp_fin_timeout makes it
end sooner. Fact: Linux uses a fixed 60 s (TCP_TIMEWAIT_LEN); tcp_fin_timeout only
limits orphaned FIN_WAIT2. The 120 s figure is conntrack's TIME_WAIT timeout, a
different table. Nor does tcp_max_orphans cap TIME_WAIT: TIME_WAIT sockets are not
orphans.",
        ),
        finding: "",
        remediation: "",
        sources: &[TCPH, VB, IPS, RFC],
    },
    Topic {
        name: "CLOSE",
        kind: TopicKind::State,
        aliases: &["CLOSED", "UNCONN"],
        summary: "Created, bound or fully closed; in no connection table (ss: UNCONN).",
        body: "\
CLOSE (ss prints UNCONN; the ss state filter calls it `closed`) is a socket that exists
but is not in the kernel's connection hash tables: just created, bound but neither
listening nor connecting, or fully closed while the application still holds it. It has
no peer and no timer.

A few TCP rows in this state are harmless. Many with an owning process usually mean
sockets the application bound (for example with bind() before connect()) or kept open
after an error. Unconnected UDP sockets always show UNCONN.

The `closed` number in `ss -s` is computed from other counters, not counted from this
state.",
        myth: None,
        finding: "",
        remediation: "",
        sources: &[RFC],
    },
    // ---------------------------------------------------------------- sysctls
    Topic {
        name: "tcp_fin_timeout",
        kind: TopicKind::Sysctl,
        aliases: &["net.ipv4.tcp_fin_timeout"],
        summary: "How long an orphaned FIN_WAIT2 waits for the peer (60 s); not TIME_WAIT.",
        body: "\
net.ipv4.tcp_fin_timeout (default 60 s) is how long an orphaned connection, one that the
application has already closed, stays in FIN_WAIT2 waiting for the peer's FIN. That is
all it does.

It does not change TIME_WAIT, which lasts a fixed 60 s (TCP_TIMEWAIT_LEN). The confusion
comes from the kernel defining the default of this setting as that same constant. It
does not touch half-closed sockets either (shutdown() without close(): FIN_WAIT2 then
has no timeout), and it has nothing to do with CLOSE_WAIT, which waits for the local
application.

When the value is 60 s or less, an orphaned FIN_WAIT2 is kept as a small timewait
socket: it still shows as FIN-WAIT-2, but is counted in sockstat `tw` and against
tcp_max_tw_buckets. Very small values give a slow peer almost no time to send its FIN.

sockscope reports tcp_fin_timeout below 60 as information (it does not change TIME_WAIT)
and 5 s or less as a warning (CONFIG_MYTHS, R17).",
        myth: Some(
            "\
A smaller tcp_fin_timeout makes TIME_WAIT end sooner (old blog posts and Q&A threads
suggest 30 or even 1). Fact: it only limits orphaned FIN_WAIT2; TIME_WAIT is a fixed 60
s and no sysctl changes it.",
        ),
        finding: "",
        remediation: "",
        sources: &[IPS, TCPH, VB, FW2],
    },
    Topic {
        name: "tcp_tw_reuse",
        kind: TopicKind::Sysctl,
        aliases: &["net.ipv4.tcp_tw_reuse"],
        summary: "Lets connect() reuse a TIME_WAIT port; 0/1/2, default 2 (loopback only).",
        body: "\
net.ipv4.tcp_tw_reuse lets a new outgoing connection take over a local port that is
still in TIME_WAIT towards the same destination. Values: 0 off, 1 on for all
connections, 2 on for loopback only. The default is 2 since about Linux 4.18 (before, 0
or 1 only, default 0).

It only helps connect(), i.e. the client side. It does nothing for incoming connections
or for the TIME_WAIT of a server that closes first, so setting it on such a server has
no effect.

It depends on TCP timestamps: the old connection must have recorded a timestamp from the
peer (tcp_timestamps on at both ends, the default), and at least 1 s must have passed
since the last one. Since about Linux 6.14 that delay is tcp_tw_reuse_delay (ms, default
1000). With tcp_timestamps = 0 it never reuses anything.

Use it on a client that runs out of ports to one destination (PORT_EXHAUSTION, R1):
`sysctl -w net.ipv4.tcp_tw_reuse=1`. Reusing connections (keep-alive, pools) helps more.",
        myth: Some(
            "\
tcp_tw_reuse on a busy server clears its TIME_WAIT. Fact: it applies only to new
outgoing connect() calls; inbound connections never use it. It also needs timestamps,
and modern kernels already default to 2 (loopback).",
        ),
        finding: "",
        remediation: "",
        sources: &[IPS, C_REUSE2, C_DELAY, VB, TCPI],
    },
    Topic {
        name: "tcp_tw_reuse_delay",
        kind: TopicKind::Sysctl,
        aliases: &["net.ipv4.tcp_tw_reuse_delay"],
        summary: "Since ~6.14: ms a TIME_WAIT must age before tcp_tw_reuse (default 1000).",
        body: "\
net.ipv4.tcp_tw_reuse_delay (added around Linux 6.14) is how long, in milliseconds, a
TIME_WAIT socket must have been idle since its last recorded peer timestamp before
tcp_tw_reuse may hand its port to a new outgoing connection. The default, 1000 ms, keeps
the 1 s that older kernels hard-code. It has no effect unless tcp_tw_reuse applies (see
tcp_tw_reuse).",
        myth: None,
        finding: "",
        remediation: "",
        sources: &[C_DELAY, IPS],
    },
    Topic {
        name: "tcp_tw_recycle",
        kind: TopicKind::Sysctl,
        aliases: &["net.ipv4.tcp_tw_recycle"],
        summary: "Removed in Linux 4.12; it broke clients behind NAT. Delete the setting.",
        body: "\
net.ipv4.tcp_tw_recycle no longer exists: it was removed in Linux 4.12. On 4.12 and
later a config file that still sets it makes `sysctl -p` report
`cannot stat /proc/sys/net/ipv4/tcp_tw_recycle`.

When it existed it dropped SYNs whose TCP timestamps were not monotonic for the peer
address. Several clients behind one NAT address have unrelated timestamp clocks, so
their connections failed seemingly at random. From Linux 4.10 timestamps carry a random
offset per connection, which broke it for every peer, not only for NAT.

What to do: remove the line from /etc/sysctl.conf and /etc/sysctl.d/. On a kernel older
than 4.12 that serves clients behind NAT, set it to 0 now. For port pressure on a client
use connection reuse and tcp_tw_reuse instead (PORT_EXHAUSTION, R1). sockscope flags the
setting wherever it appears (CONFIG_MYTHS, R17).",
        myth: Some(
            "\
tcp_tw_recycle is a safe way to clear TIME_WAIT. Fact: it silently dropped connections
from NAT clients, was broken for all peers from 4.10 and was removed in 4.12.
Copy-pasted snippets that turn it on together with tcp_timestamps = 0 contradict
themselves: without timestamps neither recycle nor reuse does anything.",
        ),
        finding: "",
        remediation: "",
        sources: &[C_RECYCLE, VB, IPS],
    },
    Topic {
        name: "tcp_timestamps",
        kind: TopicKind::Sysctl,
        aliases: &["net.ipv4.tcp_timestamps"],
        summary: "TCP timestamps (default 1: on, random offsets); tcp_tw_reuse needs them.",
        body: "\
net.ipv4.tcp_timestamps controls the TCP timestamp option. 1 (the default) enables it
with a random offset per connection, which Linux does since 4.10; 2 enables it without
the random offset; 0 disables it.

tcp_tw_reuse needs timestamps: without a recorded peer timestamp a TIME_WAIT port is
never reused, so tcp_tw_reuse set together with tcp_timestamps = 0 does nothing, and
sockscope warns about the combination (CONFIG_MYTHS, R17). Leave timestamps on.",
        myth: None,
        finding: "",
        remediation: "",
        sources: &[IPS, C_RECYCLE, TCPI],
    },
    Topic {
        name: "ip_local_port_range",
        kind: TopicKind::Sysctl,
        aliases: &["net.ipv4.ip_local_port_range"],
        summary: "Ephemeral ports for connect(); default 32768-60999 (28,232 ports).",
        body: "\
net.ipv4.ip_local_port_range is the range the kernel picks local ports from for
connect() and bind(0). Default `32768 60999`: 28,232 ports. The two numbers should
preferably have different parity (one even, one odd), and the low end must not be below
ip_unprivileged_port_start.

The budget is per destination, not global. connect() on an unbound socket only needs the
whole 4-tuple to be unique, so the limit is about 28k concurrent connections, TIME_WAIT
included, per (source IP, destination IP, destination port). A client that closes first
keeps each port 60 s in TIME_WAIT, so it can open at most about 470 new connections per
second to one destination (28,232 / 60).

Widening the range raises both numbers, for example
`sysctl -w net.ipv4.ip_local_port_range='10000 65535'`. Ports that services listen on
inside the new range belong in ip_local_reserved_ports, or a restarting service may find
its port taken by an outgoing connection. See `explain ephemeral ports` and
PORT_EXHAUSTION (R1).",
        myth: None,
        finding: "",
        remediation: "",
        sources: &[IPS, VB, CF_EPH],
    },
    Topic {
        name: "ip_local_reserved_ports",
        kind: TopicKind::Sysctl,
        aliases: &["net.ipv4.ip_local_reserved_ports"],
        summary: "Ports that automatic assignment skips; they shrink the ephemeral range.",
        body: "\
net.ipv4.ip_local_reserved_ports is a list of ports and ranges (for example
`8080,9000-9100`) that automatic port assignment (connect(), bind(0)) never picks.
Explicit bind() to those ports works as before. Default: empty.

It is independent of ip_local_port_range and both apply, so the usable ephemeral budget
is the range minus the reserved ports inside it. PORT_EXHAUSTION (R1) divides by exactly
that. Reserve the ports of services that listen inside the ephemeral range.",
        myth: None,
        finding: "",
        remediation: "",
        sources: &[IPS],
    },
    Topic {
        name: "tcp_max_tw_buckets",
        kind: TopicKind::Sysctl,
        aliases: &["net.ipv4.tcp_max_tw_buckets"],
        summary: "System cap on TIME_WAIT sockets (default ehash/2); must never be lowered.",
        body: "\
net.ipv4.tcp_max_tw_buckets caps the number of TIME_WAIT sockets. The default is half
the TCP established hash table (ehash), which is sized from memory. Beyond the cap, new
TIME_WAIT sockets are destroyed immediately. Older kernels log
`TCP: time wait bucket table overflow`; newer ones may only count
TcpExt.TCPTimeWaitOverflow. Those connections lose the protection TIME_WAIT gives: a
retransmitted FIN or a late segment finds no socket.

The kernel documentation says you must not lower this limit artificially. TIME_WAIT
sockets are cheap (about 168 bytes each), so near the cap raise it, and cut the churn
that creates them (keep-alive, pools). Orphaned FIN_WAIT2 sockets count against it too
when tcp_fin_timeout is 60 s or less.

Check: `cat /proc/net/sockstat` (tw), `sysctl net.ipv4.tcp_max_tw_buckets`,
`nstat -az TcpExtTCPTimeWaitOverflow`. Rule TW_BUCKETS_LIMIT (R3).",
        myth: Some(
            "\
A small tcp_max_tw_buckets (tuning guides use 5000) is a cure for too many TIME_WAIT
sockets. Fact: the kernel documentation says it must not be lowered. Past the cap the
kernel simply throws away the TIME_WAIT protection; the sockets cost almost nothing.",
        ),
        finding: "",
        remediation: "",
        sources: &[IPS, TCPI, VB],
    },
    Topic {
        name: "tcp_max_orphans",
        kind: TopicKind::Sysctl,
        aliases: &["net.ipv4.tcp_max_orphans"],
        summary: "Cap on orphaned sockets (default ehash/2); warns from 1/4-1/2 of it.",
        body: "\
net.ipv4.tcp_max_orphans caps orphaned sockets: connections the application has closed
that the kernel is still finishing (FIN_WAIT1, LAST_ACK, CLOSING, and FIN_WAIT2 until it
becomes a timewait socket). The default is half the TCP established hash size, which is
sized from memory. Each orphan can hold up to about 64 KB of unswappable memory.

Over the limit, orphans are reset immediately and the kernel logs
`TCP: too many orphaned sockets` (older kernels: `Out of socket memory`). The check is
`orphans << shift > max`, with a shift of 0 to 2 depending on the socket's retransmit
state, so the message can appear when the real count is only 1/4 to 1/2 of the limit.
`TCP: out of memory -- consider tuning tcp_mem` is a different condition: tcp_mem is
exhausted.

TIME_WAIT sockets are not orphans, and this limit does not touch them. Read the real
count in /proc/net/sockstat (`orphan`) or `ss -s`. Raise the limit only if memory
allows; first find the peers that leave sockets hanging. Rule ORPHANS (R11).",
        myth: Some(
            "\
tcp_max_orphans caps TIME_WAIT. Fact: a socket entering TIME_WAIT is replaced by a small
timewait socket and leaves the orphan count; TIME_WAIT is capped by tcp_max_tw_buckets.",
        ),
        finding: "",
        remediation: "",
        sources: &[IPS, TCPH, TCPC],
    },
    Topic {
        name: "tcp_orphan_retries",
        kind: TopicKind::Sysctl,
        aliases: &["net.ipv4.tcp_orphan_retries"],
        summary: "Retransmissions for connections the app already closed (default 8).",
        body: "\
net.ipv4.tcp_orphan_retries bounds how many times the kernel retransmits, unanswered,
for a connection the application has already closed (an orphan in FIN_WAIT1, LAST_ACK or
CLOSING) before it gives up. Default 8. The kernel documentation suggests considering a
lower value on a loaded web server, since such sockets can consume significant
resources.

The name is tcp_orphan_retries. `net.ipv4.tcp_orphans_retries`, seen in copy-pasted
tuning snippets, does not exist; sysctl rejects it, and CONFIG_MYTHS (R17) flags it.",
        myth: None,
        finding: "",
        remediation: "",
        sources: &[IPS],
    },
    Topic {
        name: "somaxconn",
        kind: TopicKind::Sysctl,
        aliases: &["net.core.somaxconn"],
        summary: "Upper bound on a listen() backlog; default 4096 (128 before Linux 5.4).",
        body: "\
net.core.somaxconn caps the backlog a program may request in listen(). A listener's
accept queue holds min(listen() backlog, somaxconn) connections. Default 4096 since
Linux 5.4, 128 before.

Raising somaxconn alone does nothing when the program asks for a smaller backlog, and
the reverse holds too: raise both, then restart the listener (the cap is fixed when
listen() is called). In `ss -ltn` the Send-Q of a LISTEN row is the effective cap; 128
or 511 there points to an old kernel default or a program default (511 is, for example,
nginx's).

sockscope reports somaxconn of 128 or less as information (CONFIG_MYTHS, R17). See
`explain accept queue` and ACCEPT_QUEUE_FULL (R7).",
        myth: None,
        finding: "",
        remediation: "",
        sources: &[IPS, TCPIN],
    },
    Topic {
        name: "tcp_max_syn_backlog",
        kind: TopicKind::Sysctl,
        aliases: &["net.ipv4.tcp_max_syn_backlog"],
        summary: "Half-open request limit that matters only when syncookies are off.",
        body: "\
net.ipv4.tcp_max_syn_backlog (default max(128, ehash/128); older kernels used /256) only
matters when SYN cookies are off (tcp_syncookies = 0). Then, once a listener's SYN queue
is 3/4 full, new SYNs from peers not already proven alive are dropped.

With cookies on (the default), a full SYN queue is answered with cookies, and this
setting plays no part. It never sizes the accept queue: that is min(listen() backlog,
somaxconn).",
        myth: Some(
            "\
Raising tcp_max_syn_backlog fixes accept-queue overflows (some alert guides say so).
Fact: the accept queue is min(listen() backlog, somaxconn); tcp_max_syn_backlog only
matters without syncookies.",
        ),
        finding: "",
        remediation: "",
        sources: &[IPS, TCPIN, TCPI],
    },
    Topic {
        name: "tcp_syncookies",
        kind: TopicKind::Sysctl,
        aliases: &["net.ipv4.tcp_syncookies", "syncookies"],
        summary: "Answer SYNs with cookies when a SYN queue is full (default 1); keep it on.",
        body: "\
net.ipv4.tcp_syncookies (default 1): when a listener's SYN queue is full (its request
count reaches the listener's backlog), the kernel answers new SYNs with a cookie encoded
in the SYN-ACK instead of keeping state, and creates the connection when a valid ACK
returns. With 0, those SYNs are dropped (and tcp_max_syn_backlog starts to matter).

The kernel logs
`TCP: request_sock_TCP: Possible SYN flooding on port [ADDR:]PORT. Sending cookies.`
(with cookies off: `Dropping request.`) and counts TcpExt.SyncookiesSent. The
documentation stresses that cookies are a fallback: these warnings under legitimate load
mean the server is misconfigured (backlogs too small or the application too slow), not
that it is attacked.

Keep it at 1; sockscope warns when it is 0 (CONFIG_MYTHS, R17).",
        myth: Some(
            "\
A `Possible SYN flooding` message means an attack. Fact: it is often legitimate
overload; tune the backlogs and the application's accept rate.",
        ),
        finding: "",
        remediation: "",
        sources: &[IPS, TCPIN],
    },
    Topic {
        name: "tcp_abort_on_overflow",
        kind: TopicKind::Sysctl,
        aliases: &["net.ipv4.tcp_abort_on_overflow"],
        summary: "RST instead of ignoring the last ACK when the accept queue is full (0).",
        body: "\
net.ipv4.tcp_abort_on_overflow (default 0). When a listener's accept queue is full, the
client's final handshake ACK is normally ignored: the request stays in SYN_RECV, the
SYN-ACK is resent, and the connection can still complete once the application catches up
after a burst. With 1, the kernel answers that ACK with a RST, and the client sees
`connection reset` at once.

Leave it at 0 unless you are sure the listening program cannot be made to accept faster;
the kernel documentation warns that enabling it can harm clients.",
        myth: None,
        finding: "",
        remediation: "",
        sources: &[IPS, TCPIN],
    },
    Topic {
        name: "tcp_syn_retries",
        kind: TopicKind::Sysctl,
        aliases: &["net.ipv4.tcp_syn_retries"],
        summary: "SYN retransmissions for connect() (default 6: gives up after about 127 s).",
        body: "\
net.ipv4.tcp_syn_retries is how many times connect() resends an unanswered SYN. With the
default 6 and the backoff doubling from 1 s, it gives up after about 127 s
(1+2+4+8+16+32+64). This is how long a socket can sit in SYN_SENT towards a destination
that silently drops SYNs. Applications that must fail faster should use their own
connect timeout. See SYN_SENT and SYN_SENT_HIGH (R9).",
        myth: None,
        finding: "",
        remediation: "",
        sources: &[IPS],
    },
    Topic {
        name: "tcp_synack_retries",
        kind: TopicKind::Sysctl,
        aliases: &["net.ipv4.tcp_synack_retries"],
        summary: "SYN-ACK retransmissions for a pending request (default 5: about 63 s).",
        body: "\
net.ipv4.tcp_synack_retries is how many times the server resends a SYN-ACK whose final
ACK has not arrived. With the default 5 and the backoff doubling from 1 s, a request
lives about 63 s (1+2+4+8+16+32) in SYN_RECV. See SYN_RECV and SYN_RECV_HIGH (R8).",
        myth: None,
        finding: "",
        remediation: "",
        sources: &[IPS],
    },
    Topic {
        name: "nf_conntrack_max",
        kind: TopicKind::Sysctl,
        aliases: &[
            "net.netfilter.nf_conntrack_max",
            "net.nf_conntrack_max",
            "ip_conntrack_max",
            "net.ipv4.netfilter.ip_conntrack_max",
        ],
        summary: "Conntrack table limit; when full, new flows of every protocol drop.",
        body: "\
net.netfilter.nf_conntrack_max (also net.nf_conntrack_max; on old kernels
net.ipv4.netfilter.ip_conntrack_max) limits the number of entries in the connection
tracking table. The current number is nf_conntrack_count.

Defaults since Linux 5.15: max = nf_conntrack_buckets, where the buckets are 262144 on a
64-bit kernel with more than 4 GiB of RAM, 65536 with more than 1 GiB, and otherwise RAM
/ 16384 / sizeof(hlist_head) (RAM / 128 KiB on 64-bit), at least 1024. Before 5.15: the
buckets were 65536 above 4 GiB, 16384 above 1 GiB, otherwise the same RAM formula (at
least 32), and max = 4 x buckets. With an explicit hashsize the factor is 8.

When the table is full the kernel first tries to evict an entry that is not ASSURED; if
it cannot, it drops the packet and logs `nf_conntrack: table full, dropping packet`.
Existing flows keep working; new flows of every protocol fail.

Raise it together with nf_conntrack_buckets (each entry costs about 300-400 bytes),
lower the timeouts that dominate, or exempt bulk stateless traffic with NOTRACK in the
raw table. Rules CONNTRACK_FULL (R12) and CONNTRACK_HASH (R14).",
        myth: Some(
            "\
Raising nf_conntrack_max (or ip_conntrack_max) makes the kernel recycle TIME_WAIT
connections. Fact: the conntrack table and the socket table are separate. Raising the
limit stops table-full drops and nothing else; a client short of ephemeral ports still
gets EADDRNOTAVAIL from connect() (PORT_EXHAUSTION, R1).",
        ),
        finding: "",
        remediation: "",
        sources: &[NFS, NFC],
    },
    Topic {
        name: "nf_conntrack_buckets",
        kind: TopicKind::Sysctl,
        aliases: &["net.netfilter.nf_conntrack_buckets", "hashsize", "nf_conntrack.hashsize"],
        summary: "Size of the conntrack hash table (module parameter hashsize).",
        body: "\
net.netfilter.nf_conntrack_buckets is the number of buckets in the conntrack hash table;
it is the same value as the nf_conntrack module parameter hashsize
(/sys/module/nf_conntrack/parameters/hashsize, or `options nf_conntrack hashsize=N` in
modprobe.d). It can be changed only from the initial network namespace (the host, not a
container).

Every entry is hashed twice (original and reply direction), so since Linux 5.15 the
default nf_conntrack_max equals the bucket count, which gives about 2 entries per chain.
Before 5.15 the default max was 4 x buckets. A high max/buckets ratio means long chains
and CPU spent on lookups. CONNTRACK_HASH (R14) reports a ratio above 4 as information
and above 8 as a warning. When you raise nf_conntrack_max, raise the buckets with it.",
        myth: None,
        finding: "",
        remediation: "",
        sources: &[NFS, NFC],
    },
    Topic {
        name: "nf_conntrack_tcp_timeout_established",
        kind: TopicKind::Sysctl,
        aliases: &[
            "net.netfilter.nf_conntrack_tcp_timeout_established",
            "ip_conntrack_tcp_timeout_established",
            "net.ipv4.netfilter.ip_conntrack_tcp_timeout_established",
        ],
        summary: "Conntrack lifetime of an idle ESTABLISHED entry: 432000 s (5 days).",
        body: "\
net.netfilter.nf_conntrack_tcp_timeout_established (default 432000 s, 5 days) is how
long an ESTABLISHED conntrack entry survives without packets. Flows that vanish without
a FIN or RST (crashed peer, dropped NAT mapping, unplugged client) keep their entry for
up to 5 days and fill the table.

If ESTABLISHED entries dominate the table (CONNTRACK_COMPOSITION, R13, reports 70% or
more with the default as information), lower it to a value comfortably above the longest
idle time your applications allow, for example their keepalive interval. A connection
idle for longer than the timeout loses its entry, and NATed or strictly firewalled flows
can then break. The socket's own ESTABLISHED state is not affected by this setting.",
        myth: None,
        finding: "",
        remediation: "",
        sources: &[NFS],
    },
    Topic {
        name: "nf_conntrack_tcp_timeout_time_wait",
        kind: TopicKind::Sysctl,
        aliases: &[
            "net.netfilter.nf_conntrack_tcp_timeout_time_wait",
            "ip_conntrack_tcp_timeout_time_wait",
            "net.ipv4.netfilter.ip_conntrack_tcp_timeout_time_wait",
        ],
        summary: "Conntrack lifetime of a TIME_WAIT entry: 120 s, twice the socket's 60 s.",
        body: "\
net.netfilter.nf_conntrack_tcp_timeout_time_wait (default 120 s) is how long conntrack
keeps an entry after it has seen a TCP connection close. It is twice the socket's 60 s
TIME_WAIT and belongs to a different table: changing one never changes the other.

With short-lived connections these entries can make up most of the table
(CONNTRACK_COMPOSITION, R13, reports 50% or more as information). Reusing connections
removes them at the source; lowering this timeout is the table-side lever when the table
is filling up (CONNTRACK_FULL, R12).",
        myth: Some(
            "\
TIME_WAIT lasts 120 s on Linux. Fact: 120 s is this conntrack timeout; the socket's
TIME_WAIT is a fixed 60 s.",
        ),
        finding: "",
        remediation: "",
        sources: &[NFS, TCPH],
    },
    // ---------------------------------------------------------------- rules, R1..R17
    Topic {
        name: "PORT_EXHAUSTION",
        kind: TopicKind::Rule,
        aliases: &["R1"],
        summary: "Outbound connections to one destination are using up the ephemeral ports.",
        body: "\
Fires when: outbound sockets in any state (TIME_WAIT included), grouped by (local IP,
remote IP, remote port), reach 50% of the usable ephemeral ports (warning) or 80%
(critical). Usable = size of ip_local_port_range minus the ip_local_reserved_ports
inside it: 28,232 with the defaults. EADDRNOTAVAIL in the captured logs makes it
critical. A socket is outbound when its local port is not one this host listens on and
lies in the ephemeral range.

What it means: the limit is per destination 4-tuple. A connection is identified by
(source IP, source port, destination IP, destination port); towards one destination
ip:port from one source IP only the source port varies, so each connection needs its own
port, and after this host closes it the port stays in TIME_WAIT for 60 s. With the
default range a client that closes first can open at most about 470 new connections per
second to one destination (28,232 / 60). When the ports run out, connect() fails with
EADDRNOTAVAIL (`Cannot assign requested address`) and bind(0) with EADDRINUSE.

What to do, best first:
  - reuse connections: HTTP keep-alive, connection pools;
  - widen net.ipv4.ip_local_port_range (reserve the ports of local services first);
  - add source IPs, or spread the load over more destination IPs or ports;
  - set net.ipv4.tcp_tw_reuse = 1 on this client (TCP timestamps must stay on);
  - if the application calls bind() before connect() to choose a source IP, set
    IP_BIND_ADDRESS_NO_PORT, or the port is reserved for every destination.
Count sockets per local IP and remote ip:port:
  `ss -Htan | awk '{sub(/:[0-9]+$/, \"\", $4); print $4, $5}' | sort | uniq -c | sort -rn | head`",
        myth: None,
        finding: "Outbound connections to one destination (source IP, destination IP, destination port) are \
            using a large share of the local ports that destination can use; every one of them, TIME_WAIT \
            included, holds its own port, and connect() fails with EADDRNOTAVAIL when none is left. With the \
            default range a client that closes first sustains only about 470 new connections per second to \
            one destination.",
        remediation: "Reuse connections (keep-alive, pooling) so fewer are opened; widen \
            net.ipv4.ip_local_port_range or add source or destination addresses. On this client, \
            net.ipv4.tcp_tw_reuse = 1 (timestamps on) lets connect() reuse TIME_WAIT ports, and \
            IP_BIND_ADDRESS_NO_PORT stops bind()-before-connect() from reserving a port for every \
            destination.",
        sources: &[VB, CF_EPH, IPS],
    },
    Topic {
        name: "TIME_WAIT_CHURN",
        kind: TopicKind::Rule,
        aliases: &["R2"],
        summary: "Many TIME_WAIT sockets: this host closes many short connections first.",
        body: "\
Fires when: 5000 or more TIME_WAIT sockets (information). The count is split into
inbound and outbound, converted to a close rate (count / 60 s), and reported with the
top peers.

What it means: TIME_WAIT is normal on the side that closed first and lasts a fixed 60 s.
Inbound TIME_WAIT (this server closes first) costs little memory and no ports. Outbound
TIME_WAIT holds local ports and feeds PORT_EXHAUSTION (R1). Near tcp_max_tw_buckets see
TW_BUCKETS_LIMIT (R3).

What to do: usually nothing at the kernel level. To have fewer, open fewer connections
(keep-alive, pools). For outbound TIME_WAIT check PORT_EXHAUSTION. tcp_fin_timeout does
not shorten TIME_WAIT, and tcp_tw_recycle is gone (removed in 4.12): neither is a fix.",
        myth: Some(
            "\
The TIME_WAIT count is a problem in itself. Fact: it is a close rate. The real limits
are the ports per destination 4-tuple (R1) and tcp_max_tw_buckets (R3); the memory is
negligible.",
        ),
        finding: "This host holds many TIME_WAIT sockets because it closes many short connections first; \
            TIME_WAIT lasts a fixed 60 s, so the count divided by 60 is its close rate. TIME_WAIT itself is \
            normal and cheap: it matters only for outbound connections (ephemeral ports) or near \
            tcp_max_tw_buckets.",
        remediation: "No kernel tuning is needed for TIME_WAIT itself; reuse connections (keep-alive, \
            pooling) to reduce the churn. If the TIME_WAIT is outbound, check PORT_EXHAUSTION. \
            tcp_fin_timeout does not shorten TIME_WAIT and tcp_tw_recycle no longer exists.",
        sources: &[VB, TCPH, IPS],
    },
    Topic {
        name: "TW_BUCKETS_LIMIT",
        kind: TopicKind::Rule,
        aliases: &["R3"],
        summary: "TIME_WAIT near tcp_max_tw_buckets; beyond it they are destroyed.",
        body: "\
Fires when: the timewait count reaches 90% of tcp_max_tw_buckets (warning): sockstat
`tw` or `ss -s` timewait where captured (it holds orphaned FIN_WAIT2 too), else the
TIME_WAIT rows (a lower bound). A `TCP: time wait bucket table overflow` log line or a
TcpExt.TCPTimeWaitOverflow increase between counter samples also warns, with confirmed
confidence; a single counter sample (a count since boot) is shown as info.

What it means: beyond the limit the kernel destroys new TIME_WAIT sockets at once, so
those connections lose TIME_WAIT's protection (a retransmitted FIN or a late segment
finds no socket). Orphaned FIN_WAIT2 sockets count against the same limit when
tcp_fin_timeout is 60 s or less.

What to do: raise net.ipv4.tcp_max_tw_buckets; TIME_WAIT sockets cost about 168 bytes
each. The kernel documentation says the limit must not be lowered. Then cut the churn
that creates them (keep-alive, pools).",
        myth: None,
        finding: "The number of TIME_WAIT sockets is at or near net.ipv4.tcp_max_tw_buckets. Beyond that \
            limit the kernel destroys new TIME_WAIT sockets immediately, so those connections lose the \
            protection against late segments and lost final ACKs.",
        remediation: "Raise net.ipv4.tcp_max_tw_buckets (the kernel documentation says it must never be \
            lowered; each TIME_WAIT socket costs about 168 bytes) and reduce connection churn with \
            keep-alive or pooling.",
        sources: &[IPS, TCPI, VB],
    },
    Topic {
        name: "CLOSE_WAIT_LEAK",
        kind: TopicKind::Rule,
        aliases: &["R4"],
        summary: "CLOSE_WAIT piling up: the app does not close sockets the peer closed.",
        body: "\
Fires when: CLOSE_WAIT sockets per process or local port number 100 or more, or 10% or
more of that process's sockets (warning); 1000 or more, or a count that never falls
and ends higher over at least 3 consecutive timestamped samples (critical).

What it means: the peer closed and the application never called close(). The kernel
never times CLOSE_WAIT out, so every such socket keeps its file descriptor until the
process closes it or exits; eventually the process hits its file limit (`Too many open
files`). Recv-Q above 0 on these rows means the application also stopped reading.

What to do: fix the application. Close the socket on EOF and on every error path, and
evict dead connections from pools. Restarting the process frees the sockets now; the
leak comes back until the code is fixed. No sysctl clears CLOSE_WAIT. Check:
`ss -tanp state close-wait`, then `ls /proc/PID/fd | wc -l` for the owner.",
        myth: None,
        finding: "Sockets are piling up in CLOSE_WAIT: the peer closed its side but the application has \
            not called close(). The kernel never times CLOSE_WAIT out, so each one holds a file descriptor \
            until the process closes it or exits.",
        remediation: "Fix the application: close the socket on EOF and on every error path, and evict dead \
            connections from pools. Restarting the process frees the sockets for now; no sysctl clears \
            CLOSE_WAIT.",
        sources: &[RFC, IPS],
    },
    Topic {
        name: "CLOSE_WAIT_UNACCEPTED",
        kind: TopicKind::Rule,
        aliases: &["R5"],
        summary: "Ownerless CLOSE_WAIT on a busy listener: clients gave up before accept().",
        body: "\
Fires when: 10 or more CLOSE_WAIT sockets with no owning process (netstat shows `-` in
PID/Program name, ss has no `users:`) sit on a port this host listens on, and that
listener's Recv-Q is above 0 (warning).

What it means: these connections completed the handshake and waited in the accept queue;
their clients gave up and closed before the application called accept(). It is not a
leak: the application is accepting too slowly. Once it accepts them, it reads EOF at
once.

What to do: treat it as accept-queue pressure (ACCEPT_QUEUE_FULL, R7): more accept
capacity in the application (workers, a faster accept loop), and an adequate listen()
backlog and net.core.somaxconn. Check: `ss -ltn` for the listener's Recv-Q and Send-Q.",
        myth: None,
        finding: "CLOSE_WAIT sockets without an owning process sit on a listening port whose accept queue is \
            not empty: clients gave up while their connections waited to be accept()ed. This is not a leak; \
            the application accepts too slowly.",
        remediation: "Treat it as accept-queue pressure (ACCEPT_QUEUE_FULL): give the application more \
            accept capacity, and check that both its listen() backlog and net.core.somaxconn are large \
            enough.",
        sources: &[TCPIN, TCPI],
    },
    Topic {
        name: "FIN_WAIT2_STUCK",
        kind: TopicKind::Rule,
        aliases: &["R6"],
        summary: "Our closed connections wait in FIN_WAIT2 for a peer that never closes.",
        body: "\
Fires when: 500 or more FIN_WAIT2 sockets (warning), or the same 4-tuple seen in
FIN_WAIT2 across snapshots for longer than tcp_fin_timeout (warning; needs 3 or more
timestamped samples).

What it means: this host closed and the peer never sends its FIN. Either the local
application half-closed with shutdown() and keeps the socket open (then no timeout
applies), or the peer application never closes its side: usually a CLOSE_WAIT leak on
the peer. An orphaned FIN_WAIT2 is normally gone after tcp_fin_timeout (60 s).

What to do: look up the same 4-tuples, mirrored, on the peer; they will be in CLOSE_WAIT
there, and the fix is in the peer's close handling (CLOSE_WAIT_LEAK, R4). If the local
application uses shutdown() without close(), make sure it closes the socket in the end.
Check: `ss -tano state fin-wait-2` here, `ss -tanp state close-wait` on the peer.",
        myth: None,
        finding: "Many connections this host closed are waiting in FIN_WAIT2 for the peer's FIN. Either the \
            local application half-closed them with shutdown() and kept them open (no timeout applies), or \
            the peer application never closes its side, which usually means a CLOSE_WAIT leak on the peer.",
        remediation: "Look up the same 4-tuples on the peer (they will be in CLOSE_WAIT there) and fix its \
            close handling; if the local side uses shutdown() without close(), make sure it eventually \
            closes the socket.",
        sources: &[IPS, FW2, RFC],
    },
    Topic {
        name: "ACCEPT_QUEUE_FULL",
        kind: TopicKind::Rule,
        aliases: &["R7"],
        summary: "A listener's accept queue is (nearly) full: the app accepts too slowly.",
        body: "\
Fires when: on a LISTEN row, ss Recv-Q / Send-Q (current accept queue / its cap) is 0.8
or more (warning) or 1.0 or more (critical). The queue counts as full only above its
cap, so Recv-Q can reach cap + 1. With netstat only, Send-Q is not the cap, so the ratio
uses somaxconn (the true cap may be lower), and Recv-Q above 0 in 2 or more consecutive
samples is reported as information.

What it means: the application accepts connections more slowly than they arrive. While
the queue is full, new SYNs are dropped (TcpExt ListenOverflows and ListenDrops) and
completing ACKs are ignored, so requests stay in SYN_RECV (SYN_RECV_HIGH, R8) and
clients see retries and delays. With tcp_abort_on_overflow = 1 they get a RST instead.

What to do: add accept capacity in the application first (workers, a faster accept loop,
less work before accept()). For bursts, raise both the listen() backlog in the program
and net.core.somaxconn, since the cap is the smaller of the two, then restart the
listener. A Send-Q of 128 or 511 points to an old or default backlog.
tcp_max_syn_backlog does not size this queue. Check: `ss -ltn`,
`nstat -az TcpExtListenOverflows`.",
        myth: Some(
            "\
Raising tcp_max_syn_backlog fixes accept-queue overflows. Fact: the accept queue is
min(listen() backlog, somaxconn); tcp_max_syn_backlog only matters when syncookies are
off.",
        ),
        finding: "A listening socket's accept queue is full or nearly full: the application accepts \
            connections more slowly than they arrive. While it is full, new SYNs are dropped and completing \
            ACKs are ignored, so clients see retries and delays and SYN_RECV may grow.",
        remediation: "Give the application more accept capacity first. For bursts, raise both the program's \
            listen() backlog and net.core.somaxconn (the queue is the smaller of the two) and restart the \
            listener; tcp_max_syn_backlog does not size this queue.",
        sources: &[IPS, TCPIN, TCPI],
    },
    Topic {
        name: "SYN_RECV_HIGH",
        kind: TopicKind::Rule,
        aliases: &["R8"],
        summary: "Many half-open handshakes on one listener: flood, overload or lost ACKs.",
        body: "\
Fires when: the SYN_RECV count of one listening socket (its local address and port; an
IPv4 and an IPv6 listener on one port are two listeners, each with its own queue)
reaches max(256, 0.5 x that listener's backlog, i.e. its ss Send-Q) (warning), or 1.0 x
the backlog (critical). The number of distinct remote IPs and the accept-queue state are
reported with it.

What it means, by pattern:
  - many sources with 1-2 requests each: likely a SYN flood (syncookies should be on);
  - the accept queue is full: overload, the final ACKs are being ignored
    (ACCEPT_QUEUE_FULL, R7);
  - few sources: lost ACKs, often a middlebox on the path.
A `Possible SYN flooding on port` kernel message corroborates, but it also appears under
legitimate overload.

What to do: follow the pattern. For a flood keep syncookies on and filter upstream; for
overload fix the accept side (R7); for lost ACKs inspect the path. Check:
`ss -tan state syn-recv`, `ss -ltn`, `nstat -az TcpExtSyncookiesSent TcpExtListenDrops`.",
        myth: Some(
            "\
A SYN-flood message means an attack. Fact: the kernel documentation says it is often
legitimate overload, to be fixed with the backlogs and the application.",
        ),
        finding: "One listener has many connections stuck half-open in SYN_RECV. Many sources with one or two \
            requests each point to a SYN flood, a full accept queue points to overload (final ACKs are \
            ignored), and few sources point to ACKs lost on the path.",
        remediation: "Match the pattern: keep net.ipv4.tcp_syncookies = 1 and filter upstream for a flood; \
            add accept capacity and raise the listen() backlog and somaxconn for overload; inspect \
            firewalls and middleboxes when few sources are involved.",
        sources: &[IPS, TCPIN],
    },
    Topic {
        name: "SYN_SENT_HIGH",
        kind: TopicKind::Rule,
        aliases: &["R9"],
        summary: "Connection attempts to one destination go unanswered.",
        body: "\
Fires when: SYN_SENT sockets to one remote ip:port number 20 or more and are 50% or more
of this host's sockets to that destination (warning); 200 or more, or present in every
sample, is critical (persistence needs 3 or more timestamped samples).

What it means: the destination does not answer SYNs. The host or service is down, a
firewall silently drops the SYN, its listen queue is full, or a conntrack table on the
path is full. Each attempt waits up to about 127 s (tcp_syn_retries = 6) before
connect() fails.

What to do: check the destination: is it up, does `ss -ltn` there show a full accept
queue (ACCEPT_QUEUE_FULL on the peer), does a firewall drop the traffic, do conntrack
tables on the way show [UNREPLIED] entries or `table full` messages? Client-side connect
timeouts and back-off keep the attempts from piling up.",
        myth: None,
        finding: "Connection attempts from this host to one destination are not being answered: many sockets \
            sit in SYN_SENT. The destination host or service may be down, a firewall may be dropping the \
            SYNs, its accept queue may be full, or a conntrack table on the path may be full.",
        remediation: "Check the destination: whether it is up and listening, its accept queue (ss -ltn \
            there), firewalls that drop rather than reject, and conntrack [UNREPLIED] entries or table-full \
            messages on the path.",
        sources: &[IPS, RFC],
    },
    Topic {
        name: "CLOSING_STATES_STUCK",
        kind: TopicKind::Rule,
        aliases: &["R10"],
        summary: "Many FIN_WAIT1, LAST_ACK or CLOSING sockets: peers do not ACK our FIN.",
        body: "\
Fires when: FIN_WAIT1, LAST_ACK or CLOSING reaches 100 sockets (each state on its own;
warning), with the peers that hold most of them. Check Send-Q on the FIN_WAIT1 rows
(`ss -tan state fin-wait-1`).

What it means: this host sent a FIN and the peers are not ACKing it. The peer is gone,
it advertises a zero window (a large Send-Q on FIN_WAIT1 rows: data still waits ahead of
the FIN), or the path drops packets, for example a firewall whose conntrack entry
already timed out. These sockets are usually orphans (ORPHANS, R11), retried up to
tcp_orphan_retries times.

What to do: group by peer and look at the worst ones: reachability, firewall and
conntrack timeouts on the path, whether the peer application still reads. Check:
`ss -tano state fin-wait-1`, `ss -tan state last-ack`.",
        myth: None,
        finding: "Many sockets are stuck after sending a FIN (FIN_WAIT1, LAST_ACK or CLOSING): the peers are \
            not acknowledging it. The peer may be gone, may advertise a zero window, or the path (a \
            firewall, an expired conntrack entry) may drop the packets.",
        remediation: "Group the sockets by peer and check the worst peers' reachability and whether they still \
            read, and the firewalls and conntrack timeouts on the path.",
        sources: &[RFC, IPS, NFS],
    },
    Topic {
        name: "ORPHANS",
        kind: TopicKind::Rule,
        aliases: &["R11"],
        summary: "Orphaned sockets approach tcp_max_orphans; beyond it they are reset.",
        body: "\
Fires when: sockstat `orphan` or `ss -s` orphaned reaches 25% of tcp_max_orphans
(warning) or 50% (critical). Without them, FIN_WAIT1, FIN_WAIT2, LAST_ACK and CLOSING
sockets together are an upper bound, which can only warn. A `TCP: too many orphaned
sockets` log line is critical and confirmed.

What it means: orphans are connections the application closed that the kernel is still
finishing. The kernel compares `orphans << shift` with the limit, with a shift of 0 to 2
depending on the socket's retransmit state, so orphans can be reset, and the message
printed, when the real count is only 1/4 to 1/2 of tcp_max_orphans. Each orphan can hold
about 64 KB of unswappable memory. TIME_WAIT sockets are not orphans.

What to do: find the unresponsive peers behind the orphans (CLOSING_STATES_STUCK, R10,
and `ss -tano state fin-wait-1`). Raise net.ipv4.tcp_max_orphans only if the memory
allows. `TCP: out of memory -- consider tuning tcp_mem` is a different problem: tcp_mem.",
        myth: Some(
            "\
tcp_max_orphans caps TIME_WAIT. Fact: TIME_WAIT sockets are not orphans;
tcp_max_tw_buckets caps them.",
        ),
        finding: "Orphaned sockets (closed by the application, still being finished by the kernel) are \
            approaching net.ipv4.tcp_max_orphans. The kernel's check scales the count by up to 4, so resets \
            and `too many orphaned sockets` can start at a quarter to a half of the limit; each orphan can \
            hold about 64 KB.",
        remediation: "Find the peers that do not acknowledge our FINs (group FIN_WAIT1, LAST_ACK and CLOSING by \
            peer); raise net.ipv4.tcp_max_orphans only if the memory allows.",
        sources: &[IPS, TCPH, TCPC],
    },
    Topic {
        name: "CONNTRACK_FULL",
        kind: TopicKind::Rule,
        aliases: &["R12"],
        summary: "Conntrack table (nearly) full; new flows of every protocol are dropped.",
        body: "\
Fires when: the conntrack count (lines of `conntrack -L`, or nf_conntrack_count) reaches
80% of nf_conntrack_max (warning); 95%, a `nf_conntrack: table full, dropping packet`
log line, or a `drop` counter above 0 in `conntrack -S` is critical.

What it means: when the table is full and no unassured entry can be evicted, the kernel
drops the packets that would start new flows, of every protocol (TCP, UDP, ICMP).
Existing flows keep working, so the symptom is new connections and DNS lookups failing
while old sessions are fine. `net_ratelimit: N callbacks suppressed` means the log
undercounts.

What to do: see which entries fill the table (CONNTRACK_COMPOSITION, R13), then:
  - lower the timeouts that dominate (nf_conntrack_tcp_timeout_established,
    nf_conntrack_tcp_timeout_time_wait, UDP);
  - raise nf_conntrack_max together with nf_conntrack_buckets (about 300-400 bytes per
    entry);
  - exempt bulk stateless traffic with NOTRACK in the raw table.
Check: `conntrack -C`, `sysctl net.netfilter.nf_conntrack_max`, `conntrack -S`.",
        myth: Some(
            "\
Raising nf_conntrack_max makes the kernel recycle TIME_WAIT sockets. Fact: conntrack and
the socket table are separate; raising the limit stops the drops and nothing else.",
        ),
        finding: "The connection tracking table is full or nearly full. When it is full, the kernel drops new \
            flows of every protocol (TCP, UDP, ICMP) while established flows keep working.",
        remediation: "Find what fills the table (state and peer breakdown), lower the timeouts that dominate, \
            raise net.netfilter.nf_conntrack_max together with the hash size (about 300-400 bytes per \
            entry), or NOTRACK bulk stateless traffic in the raw table.",
        sources: &[NFS, NFC],
    },
    Topic {
        name: "CONNTRACK_COMPOSITION",
        kind: TopicKind::Rule,
        aliases: &["R13"],
        summary: "What fills conntrack: TIME_WAIT churn, UNREPLIED, or stale ESTABLISHED.",
        body: "\
Fires when: TIME_WAIT entries are 50% or more of the table (information); [UNREPLIED]
entries are 30% or more (warning); ESTABLISHED entries are 70% or more while
nf_conntrack_tcp_timeout_established is the default 432000 s (information). The top
sources and destinations are reported with it.

What it means:
  - TIME_WAIT: short-connection churn; conntrack keeps these 120 s, twice the socket's
    60 s;
  - [UNREPLIED]: flows that never got an answer: scans, floods, unreachable backends, or
    asymmetric routing where replies bypass this host;
  - ESTABLISHED: flows that died without FIN or RST linger up to 5 days.

What to do: TIME_WAIT: reuse connections, or lower nf_conntrack_tcp_timeout_time_wait.
UNREPLIED: find the top destinations and fix or filter them. ESTABLISHED: lower
nf_conntrack_tcp_timeout_established to a value above the applications' keepalive
interval. Conntrack states are a middlebox view, not socket states.",
        myth: None,
        finding: "The conntrack table is dominated by one kind of entry: TIME_WAIT entries point to \
            short-connection churn (conntrack keeps them 120 s), [UNREPLIED] entries to scans, floods, \
            unreachable backends or asymmetric routing, and ESTABLISHED entries under the 5-day default \
            timeout to dead flows that linger.",
        remediation: "For TIME_WAIT reuse connections or lower nf_conntrack_tcp_timeout_time_wait; for \
            [UNREPLIED] find and fix or filter the top destinations; for ESTABLISHED lower \
            nf_conntrack_tcp_timeout_established to just above the applications' keepalive interval.",
        sources: &[NFS],
    },
    Topic {
        name: "CONNTRACK_HASH",
        kind: TopicKind::Rule,
        aliases: &["R14"],
        summary: "Conntrack hash chains are long, or inserts fail.",
        body: "\
Fires when: nf_conntrack_max / nf_conntrack_buckets is above 4 (information) or above 8
(warning), or `conntrack -S` shows insert_failed above 0 (warning). chaintoolong (Linux
5.15+) is reported too.

What it means: every entry is hashed twice (original and reply), so a high ratio means
long hash chains and CPU spent on every lookup; since Linux 5.15 the default ratio is 1.
insert_failed often comes from races between UDP packets of one flow, typically DNS
queries, for example on Kubernetes nodes.

What to do: raise nf_conntrack_buckets (module parameter hashsize; host network
namespace only) along with nf_conntrack_max. For insert_failed, look at DNS client
behaviour on the node (parallel A and AAAA queries over one socket).",
        myth: None,
        finding: "The conntrack hash table is small for its limit (long chains cost CPU on every packet), or \
            conntrack inserts are failing, which often comes from UDP races such as parallel DNS queries.",
        remediation: "Raise nf_conntrack_buckets (hashsize) in proportion to nf_conntrack_max; for \
            insert_failed, look at the DNS traffic of the node.",
        sources: &[NFS, NFC],
    },
    Topic {
        name: "QUEUE_BACKPRESSURE",
        kind: TopicKind::Rule,
        aliases: &["R15"],
        summary: "Large Recv-Q (local app not reading) or Send-Q (peer or network slow).",
        body: "\
Fires when: ESTABLISHED sockets of one process or peer hold a Recv-Q of 1 MiB or more on
10 or more sockets (warning), or a Send-Q of 1 MiB or more (information).

What it means: Recv-Q is data the kernel received that the local application has not
read: the local application is stalled or too slow. Send-Q is data sent but not yet
acknowledged: the peer is slow to read (zero window) or the network is slow or lossy.
The two tell a local stall apart from a remote or network one.

What to do: for Recv-Q, look at the local process (CPU, blocked threads, locks). For
Send-Q, look at the peer and the path (RETRANSMITTING, R16). Check:
`ss -tnpo state established` sorted by the queue columns.",
        myth: None,
        finding: "Data is backing up on established connections: a large Recv-Q means the local application \
            is not reading what arrived, a large Send-Q means the peer or the network is not taking data as \
            fast as it is sent.",
        remediation: "For Recv-Q, look at the local process (CPU, blocked threads, locks); for Send-Q, look at \
            the peer's read rate and at loss on the path.",
        sources: &[TCPI],
    },
    Topic {
        name: "RETRANSMITTING",
        kind: TopicKind::Rule,
        aliases: &["R16"],
        summary: "Sockets to one peer keep retransmitting: loss or a dead peer.",
        body: "\
Fires when: 10 or more sockets to one peer have a retransmit timer with 3 or more
retries (netstat -o `on (x/N/0)`, ss -o `timer:(on,...,N)`, N >= 3) (warning).

What it means: this host keeps resending to that peer without getting ACKs: packet loss
on the path, an overloaded peer, or a peer that is gone.

What to do: check reachability and loss towards that peer (ping, mtr), its health, and
the firewalls in between. Check: `ss -tno dst PEER`.",
        myth: None,
        finding: "Many sockets to one peer are retransmitting repeatedly: packets are being lost on the way, \
            or the peer is overloaded or gone.",
        remediation: "Check reachability and packet loss towards that peer (for example with mtr), the peer's \
            health, and any firewall between the two.",
        sources: &[RFC],
    },
    Topic {
        name: "CONFIG_MYTHS",
        kind: TopicKind::Rule,
        aliases: &["R17"],
        summary: "Captured sysctls that do not do what they are believed to do.",
        body: "\
Fires on the captured sysctl values:
  - tcp_tw_recycle present: critical on kernels before 4.12 with NAT clients,
    information on 4.12+ (a stale setting: the key no longer exists);
  - tcp_tw_reuse of 1 or more with tcp_timestamps = 0: warning (reuse needs timestamps);
  - tcp_tw_reuse set on a host whose TIME_WAIT is inbound: information (no effect);
  - tcp_fin_timeout below 60: information (it does not change TIME_WAIT); 5 or less:
    warning;
  - tcp_syncookies = 0: warning;
  - somaxconn of 128 or less: information;
  - tcp_max_tw_buckets below its default: warning;
  - unknown keys, such as net.ipv4.tcp_orphans_retries (the real one is
    tcp_orphan_retries).

What it means: most of these come from old tuning guides written against TIME_WAIT.
TIME_WAIT is a fixed 60 s; tcp_fin_timeout limits orphaned FIN_WAIT2 only;
tcp_tw_recycle broke NAT clients and was removed in 4.12; tcp_tw_reuse helps only
outgoing connect() and needs timestamps; tcp_max_tw_buckets must not be lowered.

What to do: remove tcp_tw_recycle and unknown keys from sysctl.conf, restore the
defaults of the others, and fix port pressure with connection reuse (PORT_EXHAUSTION,
R1). Run `explain <setting>` for each one.",
        myth: None,
        finding: "Some captured kernel settings do not do what tuning guides claim: TIME_WAIT is a fixed 60 s \
            that no sysctl changes, tcp_tw_recycle broke clients behind NAT and was removed in Linux 4.12, \
            and tcp_tw_reuse only affects outgoing connections and needs TCP timestamps.",
        remediation: "Remove tcp_tw_recycle and unknown keys from the sysctl configuration, restore the \
            default tcp_max_tw_buckets, tcp_fin_timeout, tcp_syncookies and tcp_timestamps, and address \
            port pressure with connection reuse instead.",
        sources: &[IPS, C_RECYCLE, C_REUSE2, VB, TCPH],
    },
    // ---------------------------------------------------------------- concepts
    Topic {
        name: "ephemeral ports",
        kind: TopicKind::Concept,
        aliases: &["ephemeral", "ephemeral port", "local ports", "source ports", "EADDRNOTAVAIL"],
        summary: "Local ports for outgoing connections: ~28k per destination, not per host.",
        body: "\
An outgoing connection gets its local (source) port from net.ipv4.ip_local_port_range,
minus net.ipv4.ip_local_reserved_ports. The default range, 32768-60999, holds 28,232
ports.

The budget is per destination. connect() on an unbound socket only needs the whole
4-tuple (source IP, source port, destination IP, destination port) to be unique, so the
same local port can serve many destinations at once. The limit is about 28k concurrent
connections, TIME_WAIT included, per (source IP, destination IP, destination port). A
bind() before connect(), used to choose a source IP, reserves the port for every
destination unless the socket sets IP_BIND_ADDRESS_NO_PORT.

Each connection this host closes first keeps its port 60 s in TIME_WAIT, so the ceiling
is about 470 new connections per second per destination (28,232 / 60). When the ports
run out, connect() fails with EADDRNOTAVAIL (`Cannot assign requested address`), and
bind() to port 0 fails with EADDRINUSE.

Remedies: reuse connections, widen the range, add source or destination addresses,
tcp_tw_reuse = 1 on the client. Rule PORT_EXHAUSTION (R1); see also `explain direction`.",
        myth: Some(
            "\
A host can have only about 28k outgoing connections. Fact: the limit applies per (source
IP, destination IP, destination port); a client talking to many destinations can hold
far more.",
        ),
        finding: "",
        remediation: "",
        sources: &[IPS, VB, CF_EPH],
    },
    Topic {
        name: "orphans",
        kind: TopicKind::Concept,
        aliases: &["orphan", "orphaned", "orphaned sockets"],
        summary: "Sockets the application closed that the kernel is still finishing.",
        body: "\
An orphan is a TCP socket with no file descriptor left: the application called close(),
and the kernel is still finishing the connection. Orphans are in FIN_WAIT1, LAST_ACK or
CLOSING, or in FIN_WAIT2 until that becomes a timewait socket.

TIME_WAIT sockets are not orphans. When a socket enters TIME_WAIT the full socket is
destroyed and replaced by a small timewait socket, which leaves the orphan count;
TIME_WAIT is capped by tcp_max_tw_buckets, not tcp_max_orphans.

Count them in /proc/net/sockstat (`TCP: inuse X orphan Y tw Z ...`) or `ss -s`
(`orphaned`). Each orphan can hold up to about 64 KB of unswappable memory. The limit is
tcp_max_orphans; its check is scaled by a shift of 0 to 2, so
`TCP: too many orphaned sockets` can appear at 1/4 to 1/2 of the limit. Orphan
retransmissions are bounded by tcp_orphan_retries. Rule ORPHANS (R11).",
        myth: Some(
            "\
tcp_max_orphans limits TIME_WAIT. Fact: TIME_WAIT sockets are not orphans;
tcp_max_tw_buckets limits them.",
        ),
        finding: "",
        remediation: "",
        sources: &[IPS, TCPH, TCPC],
    },
    Topic {
        name: "accept queue",
        kind: TopicKind::Concept,
        aliases: &["backlog", "listen backlog", "listen queue", "ListenOverflows", "ListenDrops"],
        summary: "Completed connections waiting for accept(); cap = min(backlog, somaxconn).",
        body: "\
The accept queue of a listening socket holds connections that completed the handshake
and wait for the application to call accept(). Its cap is min(listen() backlog,
net.core.somaxconn); somaxconn defaults to 4096 (128 before Linux 5.4). The queue counts
as full only when its length exceeds the cap, so Recv-Q can reach cap + 1.

When it is full:
  - new SYNs are dropped (TcpExt ListenOverflows and ListenDrops count them);
  - a completing ACK is ignored: the request stays in SYN_RECV and the SYN-ACK is
    resent, unless tcp_abort_on_overflow = 1, which answers with a RST.

Read it with `ss -ltn`: on LISTEN rows Recv-Q is the current queue length and Send-Q the
cap. netstat prints the same Recv-Q, but its Send-Q is not the cap (about 0), so with
netstat alone the saturation can only be estimated against somaxconn.

Fix a full queue in the application first (accept faster). Raise the program's backlog
and somaxconn together, then restart the listener. tcp_max_syn_backlog does not size
this queue. Rule ACCEPT_QUEUE_FULL (R7).",
        myth: Some(
            "\
LISTEN Send-Q in netstat is the backlog. Fact: only ss reports the cap there; netstat
shows about 0. Myth: tcp_max_syn_backlog fixes accept-queue overflows. Fact: it only
matters for the SYN queue when syncookies are off.",
        ),
        finding: "",
        remediation: "",
        sources: &[IPS, TCPIN, TCPI],
    },
    Topic {
        name: "SYN queue",
        kind: TopicKind::Concept,
        aliases: &["syn backlog", "request queue", "half-open"],
        summary: "A listener's half-open requests (SYN_RECV); cookies take over when full.",
        body: "\
The SYN queue of a listener holds requests that received a SYN and answered with a
SYN-ACK, waiting for the final ACK; ss and netstat show them as SYN-RECV rows.

It counts as full when the number of requests reaches the listener's backlog (the same
min(listen() backlog, somaxconn) as the accept queue). Then, with tcp_syncookies = 1
(the default), new SYNs are answered with cookies and no state is kept; with 0 they are
dropped. Only with cookies off does tcp_max_syn_backlog matter: new SYNs from peers not
already proven alive are dropped once it is 3/4 full.

The kernel logs
`TCP: request_sock_TCP: Possible SYN flooding on port [ADDR:]PORT. Sending cookies.` (or
`Dropping request.`); older kernels add `Check SNMP counters.` The message also appears
under legitimate overload. Counters: TcpExt.SyncookiesSent. Rule SYN_RECV_HIGH (R8).",
        myth: None,
        finding: "",
        remediation: "",
        sources: &[IPS, TCPIN],
    },
    Topic {
        name: "conntrack",
        kind: TopicKind::Concept,
        aliases: &[
            "nf_conntrack",
            "connection tracking",
            "ip_conntrack",
            "nf_conntrack_count",
            "net.netfilter.nf_conntrack_count",
            "ip_conntrack_count",
            "net.ipv4.netfilter.ip_conntrack_count",
        ],
        summary: "Netfilter's flow table: not the socket table; own states and timeouts.",
        body: "\
Conntrack is netfilter's table of the flows passing through or ending at this host, used
for NAT and stateful firewalling. It is separate from the socket table: its TCP states
(NONE, SYN_SENT, SYN_RECV, ESTABLISHED, FIN_WAIT, CLOSE_WAIT, LAST_ACK, TIME_WAIT,
CLOSE, SYN_SENT2) are a middlebox view, not socket states, and its timeouts are its own:
established 432000 s (5 days), time_wait 120 s (the socket's is 60 s), syn_sent 120,
syn_recv 60, fin_wait 120, close_wait 60, last_ack 30, close 10, unacknowledged and
max_retrans 300; UDP 30 (120 for streams), ICMP 30, generic 600.

A `conntrack -L` line has the original and the reply direction:
  `tcp 6 431999 ESTABLISHED src= dst= sport= dport= src= dst= sport= dport= [ASSURED] use=1`
The third field is the seconds left. [UNREPLIED], printed before the reply direction,
means no reply has been seen; [ASSURED] entries are not evicted early. conntrack prints
`N flow entries have been shown.` on stderr: use it to check the count.

The size limit is nf_conntrack_max; the count is nf_conntrack_count (`conntrack -C`).
When the table is full the kernel tries to evict an unassured entry (early_drop); if it
cannot, it drops the packet and logs `nf_conntrack: table full, dropping packet` (modern
kernels print the prefix twice, ancient ones say `ip_conntrack: table full`).
Established flows keep working; new flows of every protocol fail. Per-CPU counters:
`conntrack -S` (drop, early_drop, insert_failed, chaintoolong). Rules CONNTRACK_FULL
(R12), CONNTRACK_COMPOSITION (R13), CONNTRACK_HASH (R14).",
        myth: Some(
            "\
Raising nf_conntrack_max (or ip_conntrack_max) makes the kernel recycle TIME_WAIT
connections. Fact: the two tables are separate. A bigger conntrack table stops
table-full drops and nothing else; conntrack keeps its own TIME_WAIT entries for 120 s.",
        ),
        finding: "",
        remediation: "",
        sources: &[NFS, NFC],
    },
    Topic {
        name: "Recv-Q/Send-Q",
        kind: TopicKind::Concept,
        aliases: &["Recv-Q", "Send-Q", "socket queues"],
        summary: "The queue columns of ss and netstat; LISTEN rows use them differently.",
        body: "\
On LISTEN rows:
  - ss: Recv-Q is the current accept-queue length and Send-Q the queue's cap,
    min(listen() backlog, somaxconn);
  - netstat (/proc/net/tcp): Recv-Q is the same, but Send-Q is about 0 and is not the
    backlog, so netstat alone cannot give a saturation ratio.

On all other rows (ss and netstat agree):
  - Recv-Q: bytes received that the application has not read yet. Persistently large
    means the local application is stalled or slow;
  - Send-Q: bytes sent (or queued) that the peer has not acknowledged yet. Persistently
    large means the peer reads slowly (zero window) or the network is slow or lossy.

Rules ACCEPT_QUEUE_FULL (R7) and QUEUE_BACKPRESSURE (R15).",
        myth: Some(
            "\
LISTEN Send-Q in netstat is the backlog. Fact: it is about 0 there; only ss shows the
backlog in that column.",
        ),
        finding: "",
        remediation: "",
        sources: &[TCPI, IPS],
    },
    Topic {
        name: "direction",
        kind: TopicKind::Concept,
        aliases: &["inbound", "outbound"],
        summary: "How sockscope tells inbound from outbound connections.",
        body: "\
A socket is inbound when its local port is a port this host listens on (a LISTEN row in
the same capture). Otherwise it is outbound when its local port lies in the ephemeral
range (ip_local_port_range, captured or the default 32768-60999). Anything else is left
undecided.

Direction matters because the same state means different things on each side. Outbound
TIME_WAIT holds local ports and can exhaust them (PORT_EXHAUSTION, R1); inbound
TIME_WAIT costs no ports. tcp_tw_reuse affects only outbound connections.",
        myth: None,
        finding: "",
        remediation: "",
        sources: &[],
    },
    Topic {
        name: "confidence",
        kind: TopicKind::Concept,
        aliases: &["confirmed", "inferred", "assumed-default", "evidence"],
        summary: "What confirmed, inferred and assumed-default mean on a finding.",
        body: "\
Every finding carries its evidence (counts, the top 5 peers or ports, the sysctl value
it used, matching log lines) and one of three confidence levels:
  - confirmed: a kernel log message or counter agrees with the socket-table evidence
    (for example `TCP: too many orphaned sockets`, TcpExt.ListenOverflows increasing, or
    a conntrack `drop` counter above 0);
  - inferred: the finding rests on socket-table counts alone;
  - assumed-default: a sysctl the rule needs was not in the capture, so the kernel
    default was used (and the finding says which one). If the host was tuned, the ratio
    may be wrong.

A rule fires only if its absolute count reaches the stated minimum (noise floor). Rules
that look at trends (CLOSE_WAIT_LEAK, FIN_WAIT2_STUCK, SYN_SENT_HIGH) need 3 or more
timestamped samples; findings from a single snapshot say that they are single-point.
Counters such as ListenOverflows are cumulative, so only their increase between samples
counts.",
        myth: None,
        finding: "",
        remediation: "",
        sources: &[],
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const STATES: &[&str] = &[
        "LISTEN",
        "SYN_SENT",
        "SYN_RECV",
        "ESTABLISHED",
        "FIN_WAIT1",
        "FIN_WAIT2",
        "CLOSE_WAIT",
        "CLOSING",
        "LAST_ACK",
        "TIME_WAIT",
        "CLOSE",
    ];
    const SYSCTLS: &[&str] = &[
        "tcp_fin_timeout",
        "tcp_tw_reuse",
        "tcp_tw_recycle",
        "tcp_timestamps",
        "ip_local_port_range",
        "ip_local_reserved_ports",
        "tcp_max_tw_buckets",
        "tcp_max_orphans",
        "tcp_orphan_retries",
        "somaxconn",
        "tcp_max_syn_backlog",
        "tcp_syncookies",
        "tcp_abort_on_overflow",
        "tcp_syn_retries",
        "tcp_synack_retries",
        "nf_conntrack_max",
        "nf_conntrack_buckets",
        "nf_conntrack_tcp_timeout_established",
        "nf_conntrack_tcp_timeout_time_wait",
    ];
    const CONCEPTS: &[&str] =
        &["ephemeral ports", "orphans", "accept queue", "conntrack", "Recv-Q/Send-Q", "confidence"];
    /// tcp-facts.md A3, in order: R1..R17 (the rules `diagnose` runs).
    const RULES: &[&str] = &crate::diagnose::RULES;

    fn topic(name: &str) -> &'static Topic {
        TOPICS.iter().find(|t| t.name == name).unwrap_or_else(|| panic!("no topic {name}"))
    }

    /// Every text of a topic, normalised for phrase searches: lowercase, backticks dropped,
    /// whitespace (line wraps) collapsed to one space, spaces around '=' removed.
    fn norm(s: &str) -> String {
        let s: String = s.replace('`', "").to_lowercase();
        let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
        s.replace(" = ", "=").replace(" =", "=").replace("= ", "=")
    }

    fn all_text(t: &Topic) -> String {
        norm(&[t.summary, t.body, t.myth.unwrap_or(""), t.finding, t.remediation].join("\n"))
    }

    fn body(name: &str) -> String {
        norm(topic(name).body)
    }

    #[test]
    fn required_topics_exist_with_their_kind() {
        for (names, kind) in [
            (STATES, TopicKind::State),
            (SYSCTLS, TopicKind::Sysctl),
            (CONCEPTS, TopicKind::Concept),
            (RULES, TopicKind::Rule),
        ] {
            for name in names {
                let t = find(name).unwrap_or_else(|| panic!("find({name}) failed"));
                assert_eq!(t.name, *name);
                assert_eq!(t.kind, kind, "{name}");
            }
        }
    }

    #[test]
    fn rules_are_numbered_in_tcp_facts_order() {
        let rules: Vec<&Topic> = topics_of(TopicKind::Rule).collect();
        assert_eq!(rules.len(), RULES.len());
        for (i, (t, name)) in rules.iter().zip(RULES).enumerate() {
            let id = format!("R{}", i + 1);
            assert_eq!(t.name, *name);
            assert_eq!(t.rule_id(), Some(id.as_str()));
            assert_eq!(find(&id).map(|t| t.name), Some(*name), "{id}");
            assert_eq!(find(&format!("{id} {name}")).map(|t| t.name), Some(*name));
            assert_eq!(
                find(&format!("{} {}", id.to_lowercase(), name.to_lowercase())).map(|t| t.name),
                Some(*name)
            );
            if *name != "ORPHANS" {
                assert_eq!(find(&name.to_lowercase()).map(|t| t.name), Some(*name));
            }
        }
        assert_eq!(topic("TIME_WAIT").rule_id(), None);
    }

    #[test]
    fn lookups_by_alias_and_spelling() {
        let cases = [
            ("TIME-WAIT", "TIME_WAIT"),
            ("time-wait", "TIME_WAIT"),
            ("  TIME_WAIT  ", "TIME_WAIT"),
            ("close_wait", "CLOSE_WAIT"),
            ("CLOSE-WAIT", "CLOSE_WAIT"),
            ("FIN-WAIT-1", "FIN_WAIT1"),
            ("fin_wait_2", "FIN_WAIT2"),
            ("ESTAB", "ESTABLISHED"),
            ("SYN-RECV", "SYN_RECV"),
            ("UNCONN", "CLOSE"),
            ("LAST-ACK", "LAST_ACK"),
            ("net.ipv4.tcp_fin_timeout", "tcp_fin_timeout"),
            ("net/ipv4/tcp_fin_timeout", "tcp_fin_timeout"),
            ("/proc/sys/net/ipv4/tcp_fin_timeout", "tcp_fin_timeout"),
            ("NET.IPV4.TCP_FIN_TIMEOUT", "tcp_fin_timeout"),
            ("net.ipv4.tcp_fin_timeout = 30", "tcp_fin_timeout"),
            ("net.ipv4.tcp_tw_recycle=1", "tcp_tw_recycle"),
            ("net.core.somaxconn", "somaxconn"),
            ("net.ipv4.ip_local_port_range", "ip_local_port_range"),
            ("net.netfilter.nf_conntrack_max", "nf_conntrack_max"),
            ("net.nf_conntrack_max", "nf_conntrack_max"),
            ("net.ipv4.netfilter.ip_conntrack_max", "nf_conntrack_max"),
            ("/proc/sys/net/netfilter/nf_conntrack_max", "nf_conntrack_max"),
            ("hashsize", "nf_conntrack_buckets"),
            ("/sys/module/nf_conntrack/parameters/hashsize", "nf_conntrack_buckets"),
            ("net.ipv4.netfilter.ip_conntrack_count", "conntrack"),
            ("R4", "CLOSE_WAIT_LEAK"),
            ("r4", "CLOSE_WAIT_LEAK"),
            ("R4 CLOSE_WAIT_LEAK", "CLOSE_WAIT_LEAK"),
            ("R17", "CONFIG_MYTHS"),
            ("R1: port_exhaustion", "PORT_EXHAUSTION"),
            ("recv-q", "Recv-Q/Send-Q"),
            ("Recv-Q/Send-Q", "Recv-Q/Send-Q"),
            ("Ephemeral Ports", "ephemeral ports"),
            ("backlog", "accept queue"),
            ("assumed-default", "confidence"),
        ];
        for (query, want) in cases {
            assert_eq!(find(query).map(|t| t.name), Some(want), "find({query:?})");
        }
        // Rule ORPHANS and concept orphans differ only in case.
        assert_eq!(find("ORPHANS").map(|t| t.kind), Some(TopicKind::Rule));
        assert_eq!(find("R11").map(|t| t.kind), Some(TopicKind::Rule));
        assert_eq!(find("R11 orphans").map(|t| t.kind), Some(TopicKind::Rule));
        assert_eq!(find("R4 orphans").map(|t| t.kind), Some(TopicKind::Concept));
        assert_eq!(find("orphans").map(|t| t.kind), Some(TopicKind::Concept));
        assert_eq!(find("Orphans").map(|t| t.kind), Some(TopicKind::Concept));
        assert_eq!(find("orphan").map(|t| t.kind), Some(TopicKind::Concept));
        let both = suggest("orphans");
        assert!(both.contains(&"ORPHANS") && both.contains(&"orphans"), "{both:?}");
        for query in ["", "   ", "R99", "R", "nonsense", "tcp_orphans_retries", "net.ipv4.", "="] {
            assert!(find(query).is_none(), "find({query:?}) should fail");
        }
    }

    #[test]
    fn every_name_and_alias_finds_its_own_topic() {
        for t in TOPICS {
            for key in keys(t) {
                assert!(std::ptr::eq(find(key).unwrap(), t), "{key} -> {}", t.name);
            }
        }
    }

    #[test]
    fn no_two_topics_share_a_name_or_alias() {
        let mut seen: HashMap<String, &Topic> = HashMap::new();
        for t in TOPICS {
            let mut own: Vec<String> = keys(t).map(squash).collect();
            own.sort();
            own.dedup();
            for k in own {
                assert!(!k.is_empty(), "{}: empty key", t.name);
                if let Some(other) = seen.insert(k.clone(), t) {
                    // The one tolerated clash: rule ORPHANS and concept orphans, two
                    // names that differ in case; lookup() tells them apart by case.
                    let (a, b) = (squash(other.name), squash(t.name));
                    let names_only = a == k && b == k && other.name != t.name;
                    let rule_and_concept = (other.kind == TopicKind::Rule) != (t.kind == TopicKind::Rule);
                    assert!(
                        names_only && rule_and_concept,
                        "{k:?} is used by both {} and {}",
                        other.name,
                        t.name
                    );
                }
            }
            let exact: Vec<&str> = keys(t).collect();
            for (i, a) in exact.iter().enumerate() {
                assert!(!exact[i + 1..].contains(a), "{}: {a} listed twice", t.name);
            }
        }
    }

    #[test]
    fn rule_topics_have_finding_and_remediation_others_do_not() {
        for t in TOPICS {
            if t.kind == TopicKind::Rule {
                assert!(!t.finding.trim().is_empty(), "{}: finding", t.name);
                assert!(!t.remediation.trim().is_empty(), "{}: remediation", t.name);
                let b = t.body;
                assert!(b.starts_with("Fires "), "{}: body must start with the signal", t.name);
                assert!(b.contains("What it means") && b.contains("What to do"), "{}", t.name);
                for s in [t.finding, t.remediation] {
                    let sentences = s.matches(". ").count() + 1;
                    assert!(sentences <= 3, "{}: more than 3 sentences: {s}", t.name);
                    assert!(s.ends_with('.'), "{}: {s}", t.name);
                }
            } else {
                assert!(t.finding.is_empty() && t.remediation.is_empty(), "{}", t.name);
            }
        }
    }

    #[test]
    fn text_layout() {
        for t in TOPICS {
            assert!(!t.summary.is_empty() && !t.body.is_empty(), "{}", t.name);
            for (what, s) in [("summary", t.summary), ("finding", t.finding), ("remediation", t.remediation)]
            {
                assert!(!s.contains('\n') && !s.contains("  "), "{}: {what} must be one line", t.name);
            }
            assert!(t.summary.chars().count() <= 74, "{}: summary too long for overview()", t.name);
            for (what, s) in [("body", t.body), ("myth", t.myth.unwrap_or(""))] {
                assert!(!s.starts_with('\n') && !s.ends_with('\n'), "{}: {what} edges", t.name);
                assert!(!s.contains("\n\n\n"), "{}: {what}: one blank line between paragraphs", t.name);
                assert!(!s.contains('\t'), "{}: {what}: tab", t.name);
                for line in s.lines() {
                    assert!(line.chars().count() <= 100, "{}: {what} line too long: {line}", t.name);
                    assert_eq!(line, line.trim_end(), "{}: {what}: trailing space", t.name);
                }
            }
            if let Some(m) = t.myth {
                assert!(
                    !m.starts_with("Myth") && m.contains("Fact:"),
                    "{}: the renderer adds the label",
                    t.name
                );
            }
        }
    }

    #[test]
    fn sources_use_the_keys_of_tcp_facts() {
        const KEYS: &[&str] = &[
            "[IPS]",
            "[NFS]",
            "[TCPH]",
            "[TCPC]",
            "[TCPI]",
            "[TCPIN]",
            "[NFC]",
            "[C-RECYCLE]",
            "[C-REUSE2]",
            "[C-DELAY]",
            "[VB]",
            "[CF-EPH]",
            "[FW2]",
            "[RFC]",
        ];
        for t in TOPICS {
            if t.kind != TopicKind::Concept {
                assert!(!t.sources.is_empty(), "{}: no sources", t.name);
            }
            for s in t.sources {
                let key = s.split(' ').next().unwrap();
                assert!(KEYS.contains(&key), "{}: unknown source {s}", t.name);
                assert!(s.len() > key.len() + 1, "{}: source without expansion", t.name);
            }
        }
    }

    /// The facts most often gotten wrong, pinned to the texts (tcp-facts.md A1, A2, A4).
    #[test]
    fn facts_most_often_gotten_wrong() {
        let tw = body("TIME_WAIT");
        assert!(tw.contains("exactly 60 s") && tw.contains("tcp_timewait_len"), "{tw}");
        assert!(tw.contains("not a sysctl"));
        assert!(tw.contains("tcp_fin_timeout does not change it"));
        assert!(norm(topic("TIME_WAIT").myth.unwrap()).contains("120 s"));

        let fin = body("tcp_fin_timeout");
        assert!(fin.contains("orphaned") && fin.contains("fin_wait2"));
        assert!(fin.contains("does not change time_wait"));

        let recycle = body("tcp_tw_recycle");
        assert!(recycle.contains("removed in linux 4.12") && recycle.contains("4.10"));
        assert!(recycle.contains("nat"));

        let reuse = body("tcp_tw_reuse");
        for needle in ["0 off", "1 on for all", "2 on for loopback", "default is 2", "4.18", "connect()"] {
            assert!(reuse.contains(needle), "tcp_tw_reuse: {needle}");
        }
        assert!(reuse.contains("timestamps") && reuse.contains("incoming connections"));

        let ports = body("PORT_EXHAUSTION");
        assert!(ports.contains("per destination 4-tuple"));
        assert!(
            ports.contains("(source ip, destination ip, destination port)")
                || ports.contains("(local ip, remote ip, remote port)")
        );
        for needle in ["28,232", "470", "eaddrnotavail", "60 s", "ip_bind_address_no_port", "50%", "80%"] {
            assert!(ports.contains(needle), "PORT_EXHAUSTION: {needle}");
        }
        let range = body("ip_local_port_range");
        assert!(range.contains("32768 60999") && range.contains("28,232") && range.contains("470"));
        assert!(range.contains("per (source ip, destination ip, destination port)"));

        assert!(body("tcp_max_tw_buckets").contains("must not lower"));
        assert!(body("TW_BUCKETS_LIMIT").contains("must not be lowered"));

        let orphans = body("tcp_max_orphans");
        assert!(orphans.contains("1/4 to 1/2") && orphans.contains("time_wait sockets are not orphans"));
        assert!(body("orphans").contains("time_wait sockets are not orphans"));
        assert!(body("ORPHANS").contains("1/4 to 1/2"));

        let accept = body("accept queue");
        assert!(accept.contains("min(listen() backlog, net.core.somaxconn)"));
        assert!(accept.contains("4096 (128 before linux 5.4)"));
        let somax = body("somaxconn");
        assert!(somax.contains("4096") && somax.contains("128 before") && somax.contains("5.4"));
        assert!(body("tcp_max_syn_backlog").contains("only matters when syn cookies are off"));
        assert!(body("Recv-Q/Send-Q").contains("is not the backlog"));
        assert!(body("LISTEN").contains("is not the backlog"));

        let ct_max = body("nf_conntrack_max");
        for needle in ["5.15", "262144", "65536", "16384", "4 x buckets", "max=nf_conntrack_buckets"] {
            assert!(ct_max.contains(needle), "nf_conntrack_max: {needle}");
        }
        assert!(ct_max.contains("new flows of every protocol fail"));
        assert!(body("CONNTRACK_FULL").contains("every protocol"));
        assert!(body("nf_conntrack_tcp_timeout_time_wait").contains("120 s"));
        assert!(body("nf_conntrack_tcp_timeout_established").contains("432000 s"));
        assert!(body("conntrack").contains("time_wait 120 s") && body("conntrack").contains("432000 s"));

        assert!(body("SYN_SENT").contains("127 s") && body("SYN_RECV").contains("63 s"));
        assert!(body("CLOSE_WAIT").contains("never times this state out"));
        assert!(body("FIN_WAIT2").contains("no timeout"));
        for needle in ["confirmed", "inferred", "assumed-default"] {
            assert!(body("confidence").contains(needle));
        }
    }

    /// No text may recommend tcp_tw_recycle, shortening tcp_fin_timeout (the TIME_WAIT
    /// myth) or lowering tcp_max_tw_buckets. A phrase is allowed only right after a
    /// negation ("must not lower ...", "never enable ...").
    #[test]
    fn no_text_gives_forbidden_advice() {
        const ALWAYS: &[&str] = &["tcp_tw_recycle=1", "tcp_tw_recycle to 1", "tcp_max_tw_buckets=5000"];
        const UNLESS_NEGATED: &[&str] = &[
            "enable tcp_tw_recycle",
            "enabling tcp_tw_recycle",
            "turn on tcp_tw_recycle",
            "set tcp_tw_recycle to",
            "lower tcp_fin_timeout",
            "lowering tcp_fin_timeout",
            "reduce tcp_fin_timeout",
            "reducing tcp_fin_timeout",
            "decrease tcp_fin_timeout",
            "shorten tcp_fin_timeout",
            "tcp_fin_timeout=1",
            "tcp_fin_timeout=2",
            "tcp_fin_timeout=3",
            "tcp_fin_timeout=4",
            "tcp_fin_timeout=5",
            "lower tcp_max_tw_buckets",
            "lowering tcp_max_tw_buckets",
            "reduce tcp_max_tw_buckets",
            "decrease tcp_max_tw_buckets",
        ];
        for t in TOPICS {
            let text = all_text(t);
            for phrase in ALWAYS {
                assert!(!text.contains(phrase), "{}: {phrase}", t.name);
            }
            for phrase in UNLESS_NEGATED {
                for (at, _) in text.match_indices(phrase) {
                    let before = &text[..at];
                    let before = &before[before.len().saturating_sub(16)..];
                    let negated = ["not ", "never ", "n't "].iter().any(|n| before.contains(n));
                    assert!(
                        negated,
                        "{}: advice {phrase:?} in: ...{}",
                        t.name,
                        &text[at.saturating_sub(60)..]
                    );
                }
            }
            // Whatever else a text says about tcp_fin_timeout, it must not offer it as a
            // TIME_WAIT fix.
            for sentence in text.split(". ") {
                let words: Vec<&str> =
                    sentence.split(|c: char| !c.is_ascii_alphanumeric() && c != '_').collect();
                let fix = words.iter().any(|w| matches!(*w, "fix" | "fixes" | "cure" | "remedy"));
                if sentence.contains("tcp_fin_timeout") && fix {
                    assert!(
                        sentence.contains("not") || sentence.contains("neither"),
                        "{}: {sentence}",
                        t.name
                    );
                }
            }
        }
        // The checker itself catches what it is meant to catch.
        let bad = norm("To clear TIME_WAIT, lower `tcp_fin_timeout` and set net.ipv4.tcp_tw_recycle = 1.");
        assert!(bad.contains("lower tcp_fin_timeout") && bad.contains("tcp_tw_recycle=1"));
    }

    /// Cross-references in the texts point where they claim: `NAME (Rn)` / `NAME, Rn`
    /// use the rule's own number, and every `explain TOPIC` resolves.
    #[test]
    fn cross_references_resolve() {
        for t in TOPICS {
            let text = [t.summary, t.body, t.myth.unwrap_or(""), t.finding, t.remediation].join(" ");
            let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
            for rule in topics_of(TopicKind::Rule) {
                for (at, _) in text.match_indices(rule.name) {
                    let after = &text[at + rule.name.len()..];
                    let Some(rest) = after.strip_prefix(" (R").or_else(|| after.strip_prefix(", R")) else {
                        continue;
                    };
                    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                    assert_eq!(
                        Some(format!("R{digits}").as_str()),
                        rule.rule_id(),
                        "{}: {}",
                        t.name,
                        rule.name
                    );
                }
            }
            for (at, _) in text.match_indices("`explain ") {
                let target = &text[at + "`explain ".len()..];
                let target = &target[..target.find('`').unwrap()];
                if target != "<setting>" {
                    assert!(find(target).is_some(), "{}: `explain {target}` does not resolve", t.name);
                }
            }
        }
    }

    #[test]
    fn suggestions() {
        let wait = suggest("wait");
        for name in ["TIME_WAIT", "CLOSE_WAIT", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT_CHURN"] {
            assert!(wait.contains(&name), "{wait:?}");
        }
        assert!(!wait.contains(&"LISTEN"));
        assert!(suggest("conntrack").contains(&"nf_conntrack_max"));
        assert!(suggest("net.ipv4.tcp_tw").contains(&"tcp_tw_reuse"));
        assert_eq!(suggest("tcp_orphans_retries"), vec!["tcp_orphan_retries"]);
        assert_eq!(suggest("net.ipv4.tcp_orphans_retries"), vec!["tcp_orphan_retries"]);
        assert_eq!(suggest("somaxcon"), vec!["somaxconn"]);
        assert!(suggest("").is_empty());
        assert!(suggest("zzzzzzzzzzzz").is_empty());
        let mut sorted = wait.clone();
        sorted.dedup();
        assert_eq!(sorted, wait, "no duplicates");
    }

    #[test]
    fn rendering() {
        let out = topic("TIME_WAIT").render();
        assert!(out.starts_with("TIME_WAIT (TCP state)\nAlso: TIME-WAIT, TW\n"));
        assert!(out.contains("Myth: ") && out.contains("Sources:\n  [TCPH]"));
        let out = topic("CLOSE_WAIT_LEAK").render();
        assert!(out.starts_with("R4 CLOSE_WAIT_LEAK (diagnostic rule)\n\n"), "{out}");
        let all = overview();
        for t in TOPICS {
            assert!(all.contains(t.summary), "{}", t.name);
        }
        assert!(all.starts_with("TCP states:\n"));
        assert!(all.lines().all(|l| l.chars().count() <= 100), "{all}");
    }
}
