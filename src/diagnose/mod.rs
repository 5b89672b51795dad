//! Diagnosis: findings with evidence and explanations (tcp-facts A3).
//!
//! Rules are queries over the tables of every snapshot (not the peak alone),
//! over the row-level signals the [`signals::Signals`] sink keeps while the
//! inputs are read (retransmitting sockets, full queues, unowned
//! CLOSE_WAIT, FIN_WAIT2 4-tuples), and over each host's companions:
//! sysctl values, conntrack statistics, kernel log lines and protocol
//! counters. One module per group of rules under `rules/`; the words of
//! every explanation are in [`explain`], checked against tcp-facts.md.

pub mod data;
pub mod explain;
pub mod facts;
pub mod render;
pub mod rules;
pub mod signals;

use serde::Serialize;

pub use data::Data;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warn,
    Crit,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warn => "warn",
            Severity::Crit => "crit",
        }
    }
}

/// How sure a finding is (tcp-facts A3, "Gating and confidence").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    /// A kernel message or counter agrees.
    Confirmed,
    /// Socket-table counts only.
    Inferred,
    /// A sysctl the rule needs was not captured; its kernel default was used.
    AssumedDefault,
}

impl Confidence {
    pub fn name(self) -> &'static str {
        match self {
            Confidence::Confirmed => "confirmed",
            Confidence::Inferred => "inferred",
            Confidence::AssumedDefault => "assumed-default",
        }
    }
}

/// Where in the captures a finding was seen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct At {
    pub source: String,
    pub kind: &'static str,
    /// 0-based snapshot index in the source.
    pub snapshot: u32,
    /// RFC 3339, when the capture has times.
    pub time: Option<String>,
    /// 1-based line where the snapshot starts.
    pub line: u64,
}

/// A sysctl value a rule used.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SysctlUsed {
    pub key: String,
    pub value: String,
    /// Not captured: the kernel default was used.
    pub assumed: bool,
}

/// A kernel log line or counter that confirms a finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogLine {
    pub source: String,
    pub line: u64,
    pub text: String,
}

/// One row of a finding's top list (peers, ports, processes).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopRow {
    pub label: String,
    pub count: u64,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// What a finding rests on.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Evidence {
    /// The snapshot the numbers come from (the worst one).
    pub at: Option<At>,
    /// For trend rules: the first and last snapshot of the span.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span: Option<(At, At)>,
    /// Label → value, in reading order.
    pub numbers: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub top: Vec<TopRow>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sysctls: Vec<SysctlUsed>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub logs: Vec<LogLine>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub counters: Vec<(String, u64)>,
    /// "single snapshot" or "trend over N snapshots".
    pub scope: String,
    /// Snapshots in the capture it comes from: of several captures showing
    /// one problem, the longest speaks for them.
    #[serde(skip)]
    pub capture_snapshots: usize,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub host: String,
    pub rule: &'static str,
    pub severity: Severity,
    pub confidence: Confidence,
    /// One line, with the numbers.
    pub title: String,
    pub evidence: Evidence,
    pub explanation: &'static str,
    pub remediation: &'static str,
    /// What the finding is about within its rule and host (a destination,
    /// a process, a port): the same subject seen in several captures of
    /// one host is one finding.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subject: String,
}

impl Finding {
    /// A finding of `rule` with its explanation and remediation from
    /// [`explain`].
    pub fn new(host: &str, rule: &'static str, severity: Severity, title: String) -> Finding {
        let t = explain::find(rule);
        Finding {
            host: host.to_string(),
            rule,
            severity,
            confidence: Confidence::Inferred,
            title,
            evidence: Evidence::default(),
            explanation: t.map_or("", |t| t.finding),
            remediation: t.map_or("", |t| t.remediation),
            subject: String::new(),
        }
    }

    /// Anchor of the finding's evidence section in the report.
    pub fn anchor(&self, n: usize) -> String {
        format!("finding-{n}-{}", self.rule.to_ascii_lowercase().replace('_', "-"))
    }
}

/// Every rule id, in the order of tcp-facts A3 (R1–R17).
pub const RULES: [&str; 17] = [
    "PORT_EXHAUSTION",
    "TIME_WAIT_CHURN",
    "TW_BUCKETS_LIMIT",
    "CLOSE_WAIT_LEAK",
    "CLOSE_WAIT_UNACCEPTED",
    "FIN_WAIT2_STUCK",
    "ACCEPT_QUEUE_FULL",
    "SYN_RECV_HIGH",
    "SYN_SENT_HIGH",
    "CLOSING_STATES_STUCK",
    "ORPHANS",
    "CONNTRACK_FULL",
    "CONNTRACK_COMPOSITION",
    "CONNTRACK_HASH",
    "QUEUE_BACKPRESSURE",
    "RETRANSMITTING",
    "CONFIG_MYTHS",
];

/// Runs every rule; findings worst first (severity, then host, then rule
/// order).
pub fn diagnose(d: &Data<'_>) -> anyhow::Result<Vec<Finding>> {
    let mut out = Vec::new();
    rules::ports::run(d, &mut out)?;
    rules::closing::run(d, &mut out)?;
    rules::queues::run(d, &mut out)?;
    rules::conntrack::run(d, &mut out)?;
    rules::config::run(d, &mut out)?;
    let mut out = merge_captures(out);
    rules::correlate::annotate(d, &mut out);
    sort(&mut out);
    Ok(out)
}

/// One finding per (host, rule, subject): a host captured with several
/// tools (or a loop and single snapshots) shows the same problem in each.
/// Keeps the worst, preferring a trend over a single snapshot, and notes
/// the other captures that show it.
fn merge_captures(found: Vec<Finding>) -> Vec<Finding> {
    let mut groups: Vec<Vec<Finding>> = Vec::new();
    let mut at: std::collections::HashMap<(String, &'static str, String), usize> = Default::default();
    for f in found {
        let subject = if f.subject.is_empty() { f.title.clone() } else { f.subject.clone() };
        let key = (f.host.clone(), f.rule, subject);
        match at.get(&key) {
            Some(&i) => groups[i].push(f),
            None => {
                at.insert(key, groups.len());
                groups.push(vec![f]);
            }
        }
    }
    groups
        .into_iter()
        .filter_map(|mut g| {
            // Stable: among equals, the first capture in input order.
            g.sort_by(|a, b| {
                b.severity
                    .cmp(&a.severity)
                    .then(b.evidence.span.is_some().cmp(&a.evidence.span.is_some()))
                    .then(b.evidence.capture_snapshots.cmp(&a.evidence.capture_snapshots))
            });
            let others: std::collections::BTreeSet<String> =
                g[1..].iter().filter_map(|f| f.evidence.at.as_ref().map(|a| a.source.clone())).collect();
            let mut best = g.into_iter().next()?;
            if !others.is_empty() {
                let list: Vec<String> = others.iter().take(3).cloned().collect();
                let more =
                    if others.len() > 3 { format!(" and {} more", others.len() - 3) } else { String::new() };
                best.evidence.numbers.push(("also seen in".into(), format!("{}{more}", list.join(", "))));
            }
            Some(best)
        })
        .collect()
}

/// Worst first: severity, then host, then the rule's place in [`RULES`].
pub fn sort(f: &mut [Finding]) {
    let rank = |r: &str| RULES.iter().position(|x| *x == r).unwrap_or(RULES.len());
    f.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.host.cmp(&b.host))
            .then_with(|| rank(a.rule).cmp(&rank(b.rule)))
    });
}

/// Formats a count with thousands separators.
pub(crate) fn n(v: u64) -> String {
    crate::render::thousands(v)
}

/// A share as a percentage with no more precision than it has.
pub(crate) fn pct(x: f64) -> String {
    if x >= 0.1 { format!("{:.0}%", x * 100.0) } else { format!("{:.1}%", x * 100.0) }
}
