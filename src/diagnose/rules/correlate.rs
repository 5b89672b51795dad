//! Both ends in the batch: a client's FIN_WAIT2 (or SYN_SENT) connections
//! matched by 4-tuple to the server's CLOSE_WAIT (or SYN_RECV) rows, said on
//! the findings of both hosts ("web-1's FIN_WAIT2 are db-1:5432's
//! CLOSE_WAIT"). Without NAT between them a connection has the same two
//! endpoints seen from either host.

use std::collections::{HashMap, HashSet};

use crate::diagnose::data::Data;
use crate::diagnose::{Finding, n};

/// Which side of which problem: (this host's state, the peer's state, the
/// rules that describe this host's side, and what to say).
const PAIRS: [(&str, &str, &[&str]); 4] = [
    ("FIN_WAIT2", "CLOSE_WAIT", &["FIN_WAIT2_STUCK"]),
    ("CLOSE_WAIT", "FIN_WAIT2", &["CLOSE_WAIT_LEAK", "CLOSE_WAIT_UNACCEPTED"]),
    ("SYN_SENT", "SYN_RECV", &["SYN_SENT_HIGH"]),
    ("SYN_RECV", "SYN_SENT", &["SYN_RECV_HIGH", "ACCEPT_QUEUE_FULL"]),
];

/// Adds the other end to the findings it explains.
pub fn annotate(d: &Data<'_>, findings: &mut [Finding]) {
    // connection → its ends: (host, state, local port)
    let mut by: HashMap<u64, Vec<(&str, &'static str, u16)>> = HashMap::new();
    for ((source, state, h), lp) in &d.signals.ends {
        by.entry(*h).or_default().push((d.host(*source), state, *lp));
    }
    // (this host, its state, the peer host, the server's port) → connections
    let mut matched: HashMap<(&str, &str, &str, u16), HashSet<u64>> = HashMap::new();
    for (h, ends) in &by {
        for a in ends {
            for b in ends {
                if a.0 != b.0 && PAIRS.iter().any(|p| p.0 == a.1 && p.1 == b.1) {
                    // The server's port: the peer's for the client side,
                    // this host's own for the server side.
                    let port = if matches!(a.1, "FIN_WAIT2" | "SYN_SENT") { b.2 } else { a.2 };
                    matched.entry((a.0, a.1, b.0, port)).or_default().insert(*h);
                }
            }
        }
    }
    let mut lines: Vec<((&str, &str), u16, String, usize)> = Vec::new();
    for ((host, state, peer, port), conns) in &matched {
        let k = conns.len();
        let text = match *state {
            "FIN_WAIT2" => format!(
                "{} of its FIN_WAIT2 connections are CLOSE_WAIT on {peer} (port {port}): the application there never closes them",
                n(k as u64)
            ),
            "CLOSE_WAIT" => format!(
                "{} of these CLOSE_WAIT connections (port {port}) are FIN_WAIT2 on {peer}: that side closed and waits",
                n(k as u64)
            ),
            "SYN_SENT" => format!(
                "{} of its SYN_SENT connections are SYN_RECV on {peer} (port {port}): the SYNs arrive and are answered, but the SYN-ACKs or the final ACKs are lost between the two hosts",
                n(k as u64)
            ),
            _ => format!(
                "{} of these SYN_RECV connections (port {port}) come from {peer}, which still waits in SYN_SENT: the SYN-ACKs do not reach it",
                n(k as u64)
            ),
        };
        lines.push(((host, state), *port, text, k));
    }
    // Largest first, so the evidence reads in order of weight.
    lines.sort_by(|a, b| b.3.cmp(&a.3).then(a.2.cmp(&b.2)));
    for f in findings.iter_mut() {
        for ((host, state), port, text, _) in &lines {
            let rules = PAIRS.iter().find(|p| p.0 == *state).map_or(&[][..], |p| p.2);
            if f.host == *host && rules.contains(&f.rule) && about_port(f, *port) {
                f.evidence.numbers.push(("other end".into(), text.clone()));
            }
        }
    }
}

/// Whether a finding is about the server port `port` (a finding on another
/// listener or destination of the same host is not explained by it).
fn about_port(f: &Finding, port: u16) -> bool {
    let colon = format!(":{port}");
    let named = format!("port {port}");
    match f.rule {
        "FIN_WAIT2_STUCK" => true,
        "SYN_SENT_HIGH" | "ACCEPT_QUEUE_FULL" => f.subject.ends_with(&colon),
        "CLOSE_WAIT_LEAK" => {
            f.subject == named || f.evidence.top.iter().any(|t| t.label == format!("local port {port}"))
        }
        _ => f.subject == named,
    }
}
