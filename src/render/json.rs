//! The `summary` JSON contract (documented in README.md, "JSON output").
//!
//! Stable: fields are only ever added. `version` changes if one is removed
//! or changes meaning.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::ingest::{Ingested, SourceReport};
use crate::model::{CtState, Kind, Proto, TcpState};
use crate::parse::ss::Sockstat;
use crate::snapshot::{KindSummary, SnapshotSummary, resolution_name};
use crate::table::read::for_each_snapshot;

pub const VERSION: u32 = 1;

#[derive(Serialize)]
pub struct SummaryDoc<'a> {
    pub version: u32,
    /// Serialized one snapshot at a time (never all in memory at once).
    pub snapshots: Snapshots<'a>,
    pub sources: &'a [SourceReport],
    /// Inputs that could not be read (the others were analyzed).
    pub errors: Vec<String>,
    /// Files in directories that are not captures.
    pub skipped: Vec<String>,
    /// `report`'s summary.json: every finding, worst first (see
    /// `diagnose`). Absent from `summary`'s output.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub findings: Option<Vec<crate::diagnose::Finding>>,
}

#[derive(Serialize)]
pub struct SnapshotDoc<'a> {
    pub host: &'a str,
    pub source: &'a str,
    pub kind: &'static str,
    pub index: usize,
    pub time: Option<String>,
    /// How the time's offset was known: explicit, assumed (naive time read
    /// as UTC or in --tz), abbreviation, ambiguous.
    pub time_resolution: Option<&'static str>,
    pub first_line: u64,
    /// Rows of this tool in the snapshot; for an `ss -s` snapshot
    /// (`from_counters`), the kernel's socket total.
    pub total: u64,
    pub from_counters: bool,
    /// Canonical state → count (TCP sockets, or TCP conntrack entries).
    pub states: BTreeMap<String, u64>,
    pub protocols: BTreeMap<String, u64>,
    pub families: BTreeMap<&'static str, u64>,
    pub top_remote: Vec<AddrCount>,
    pub remote_distinct: u64,
    pub top_local_ports: Vec<PortCount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conntrack: Option<ConntrackDoc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sockstat: Option<Sockstat>,
}

#[derive(Serialize)]
pub struct AddrCount {
    pub addr: String,
    pub count: u64,
}

#[derive(Serialize)]
pub struct PortCount {
    pub port: u16,
    pub count: u64,
}

#[derive(Serialize)]
pub struct ConntrackDoc {
    pub assured: u64,
    pub unreplied: u64,
    pub offload: u64,
    pub top_src: Vec<AddrCount>,
}

/// Builds the document. Snapshots are read back from the tables and
/// rendered while serializing, a batch at a time, so a capture with
/// 100,000 snapshots never holds 100,000 documents (or frames).
pub fn build(run: &Ingested, top: usize) -> SummaryDoc<'_> {
    SummaryDoc {
        version: VERSION,
        snapshots: Snapshots { run, top },
        sources: &run.sources,
        errors: run.errors.iter().map(|e| e.to_string()).collect(),
        skipped: run.skipped.iter().map(|p| p.display().to_string()).collect(),
        findings: None,
    }
}

/// The `snapshots` array, rendered on demand.
pub struct Snapshots<'a> {
    run: &'a Ingested,
    top: usize,
}

impl Serialize for Snapshots<'_> {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeSeq};
        let mut seq = ser.serialize_seq(None)?;
        // The serializer's own error must come back unchanged; a table or
        // polars error is turned into one.
        let mut ser_error = None;
        let sources = source_index(self.run);
        let res = for_each_snapshot(&self.run.store, |s, k| {
            let Some(src) = sources.get(&(s.source as u32)) else { return Ok(()) };
            if let Err(e) = seq.serialize_element(&doc(src, self.top, s, k)) {
                ser_error = Some(e);
                anyhow::bail!("stopped");
            }
            Ok(())
        });
        match (ser_error, res) {
            (Some(e), _) => Err(e),
            (None, Err(e)) => Err(S::Error::custom(format!("{e:#}"))),
            (None, Ok(())) => seq.end(),
        }
    }
}

/// Sources by their id in the tables.
pub fn source_index(run: &Ingested) -> BTreeMap<u32, &SourceReport> {
    run.sources.iter().map(|s| (s.id, s)).collect()
}

/// The states a snapshot's JSON lists: every canonical TCP state, zeros
/// included (UNKNOWN only when non-zero); for conntrack, conntrack's TCP
/// states always and the others when present; for `ss -s`, only the
/// states it names (the rest are unknown, not zero — and its TIME_WAIT is
/// the kernel's `tw` count, which also holds orphaned FIN_WAIT2 sockets).
pub fn states_map(s: &SnapshotSummary, k: &KindSummary) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    if k.kind == Kind::Conntrack {
        for c in 0..CtState::COUNT as u8 {
            let n = k.ct_states[c as usize];
            if n > 0 || (CtState::SynSent as u8..=CtState::SynSent2 as u8).contains(&c) {
                m.insert(CtState::from_code(c).name().to_string(), n);
            }
        }
    } else if k.from_counters {
        if let Some(c) = s.sockstat {
            for (st, v) in [
                (TcpState::Established, c.estab),
                (TcpState::SynRecv, c.synrecv),
                (TcpState::TimeWait, c.timewait),
            ] {
                if let Some(v) = v {
                    m.insert(st.name().to_string(), v);
                }
            }
        }
    } else {
        for st in TcpState::ALL.into_iter().filter(|s| s.is_tcp_state()) {
            let n = k.states[st as usize];
            if st != TcpState::Unknown || n > 0 {
                m.insert(st.name().to_string(), n);
            }
        }
    }
    m
}

fn doc<'a>(src: &'a SourceReport, top: usize, s: &SnapshotSummary, k: &KindSummary) -> SnapshotDoc<'a> {
    let fam = &k.families;
    SnapshotDoc {
        host: &src.host,
        source: &src.path,
        kind: k.kind.name(),
        index: s.index,
        time: s.time.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
        time_resolution: s.time_resolution.map(resolution_name),
        first_line: s.first_line,
        total: k.total,
        from_counters: k.from_counters,
        states: states_map(s, k),
        protocols: Proto::ALL
            .iter()
            .filter(|p| k.protos[**p as usize] > 0)
            .map(|p| (p.name().to_string(), k.protos[*p as usize]))
            .collect(),
        families: [("ipv4", fam[0]), ("ipv6", fam[1]), ("unknown", fam[2])]
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .collect(),
        top_remote: k
            .top_remote
            .iter()
            .take(top)
            .map(|(addr, count)| AddrCount { addr: addr.clone(), count: *count })
            .collect(),
        remote_distinct: k.remote_distinct,
        top_local_ports: k
            .top_local_ports
            .iter()
            .take(top)
            .map(|(port, count)| PortCount { port: *port, count: *count })
            .collect(),
        conntrack: (k.kind == Kind::Conntrack).then(|| ConntrackDoc {
            assured: k.ct_flags[0],
            unreplied: k.ct_flags[1],
            offload: k.ct_flags[2],
            top_src: k
                .top_ct_src
                .iter()
                .take(top)
                .map(|(a, n)| AddrCount { addr: a.clone(), count: *n })
                .collect(),
        }),
        sockstat: s.sockstat,
    }
}

/// Writes `value` as pretty JSON that is also safe on a terminal: the
/// characters serde_json leaves as they are but a terminal acts on (DEL,
/// C1 controls such as the 8-bit CSI, bidirectional overrides) are written
/// as `\uXXXX` escapes. The JSON decodes to exactly the same strings.
pub fn write_pretty<W: std::io::Write, T: Serialize + ?Sized>(w: W, value: &T) -> serde_json::Result<()> {
    let mut ser =
        serde_json::Serializer::with_formatter(w, TerminalSafe(serde_json::ser::PrettyFormatter::new()));
    value.serialize(&mut ser)
}

/// serde_json's pretty formatter with the escaping of [`write_pretty`].
struct TerminalSafe<'a>(serde_json::ser::PrettyFormatter<'a>);

impl serde_json::ser::Formatter for TerminalSafe<'_> {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut rest = fragment;
        while let Some((at, c)) = rest.char_indices().find(|(_, c)| crate::term::is_unsafe(*c)) {
            w.write_all(&rest.as_bytes()[..at])?;
            // Outside the BMP never: every unsafe character is below U+FFFF.
            write!(w, "\\u{:04x}", c as u32)?;
            rest = &rest[at + c.len_utf8()..];
        }
        w.write_all(rest.as_bytes())
    }
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

#[cfg(test)]
mod terminal_safe_tests {
    #[test]
    fn unsafe_characters_are_escaped_and_decode_to_the_same_string() {
        let s = "a\u{1b}[2J \u{9b}31m \u{202e}x\u{7f} ünï";
        let mut out = Vec::new();
        super::write_pretty(&mut out, &serde_json::json!({ "k": [s] })).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.chars().any(|c| crate::term::is_unsafe(c) && c != '\n'), "{text}");
        assert!(text.contains("\\u009b") && text.contains("\\u202e") && text.contains("ünï"), "{text}");
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["k"][0], s);
        // Without such characters, byte for byte serde_json's own output.
        let v = serde_json::json!({ "a": [1, {"b": "c\u{1b}"}], "d": {} , "e": [] });
        let mut out = Vec::new();
        super::write_pretty(&mut out, &v).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string_pretty(&v).unwrap());
    }
}
