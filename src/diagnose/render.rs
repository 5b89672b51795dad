//! Findings as text for a terminal, as JSON, and as Markdown (the report).

use std::fmt::Write as _;
use std::io::Write;

use serde::Serialize;

use super::{Finding, Severity};
use crate::term::visible;

/// `diagnose --format json`: `{"findings": [...], "hosts": [...]}`.
#[derive(Serialize)]
pub struct Doc<'a> {
    pub findings: &'a [Finding],
    /// Every host diagnosed, with its worst severity (or null: nothing at
    /// or above `--min-severity`).
    pub hosts: Vec<HostLine<'a>>,
}

#[derive(Serialize)]
pub struct HostLine<'a> {
    pub host: &'a str,
    pub worst: Option<Severity>,
    pub findings: usize,
}

pub fn hosts<'a>(all: &[&'a str], findings: &[Finding]) -> Vec<HostLine<'a>> {
    all.iter()
        .map(|h| {
            let mine: Vec<&Finding> = findings.iter().filter(|f| f.host == *h).collect();
            HostLine { host: h, worst: mine.iter().map(|f| f.severity).max(), findings: mine.len() }
        })
        .collect()
}

/// Wraps `text` at `width` columns, each line indented by `indent`.
pub fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    for (pi, para) in text.split("\n\n").enumerate() {
        if pi > 0 {
            out.push('\n');
        }
        let mut line = String::new();
        for w in para.split_whitespace() {
            if !line.is_empty() && indent.len() + line.len() + 1 + w.chars().count() > width {
                let _ = writeln!(out, "{indent}{line}");
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(w);
        }
        if !line.is_empty() {
            let _ = writeln!(out, "{indent}{line}");
        }
    }
    out
}

fn label(s: Severity) -> &'static str {
    match s {
        Severity::Crit => "CRIT",
        Severity::Warn => "WARN",
        Severity::Info => "info",
    }
}

/// Where a finding was seen, one line.
pub fn at_line(f: &Finding) -> Option<String> {
    let e = &f.evidence;
    let a = e.at.as_ref()?;
    let mut s = format!("{}:{} ({} snapshot {}", a.source, a.line, a.kind, a.snapshot);
    if let Some(t) = &a.time {
        let _ = write!(s, ", {t}");
    }
    s.push(')');
    if let Some((x, y)) = &e.span {
        let other = if x.source != a.source { format!(" of {}", x.source) } else { String::new() };
        let _ = write!(
            s,
            "; from snapshot {}{other}{} to {}{}",
            x.snapshot,
            x.time.as_deref().map(|t| format!(" ({t})")).unwrap_or_default(),
            y.snapshot,
            y.time.as_deref().map(|t| format!(" ({t})")).unwrap_or_default()
        );
    }
    Some(s)
}

/// `diagnose --format text`: per host, worst first, each finding with its
/// evidence, explanation and remediation.
pub fn text(findings: &[Finding], all_hosts: &[&str], out: &mut dyn Write) -> std::io::Result<()> {
    let width = 96;
    for h in all_hosts {
        let mine: Vec<&Finding> = findings.iter().filter(|f| f.host == *h).collect();
        let count = |s| mine.iter().filter(|f| f.severity == s).count();
        if mine.is_empty() {
            writeln!(out, "{}: no findings", visible(h))?;
            continue;
        }
        writeln!(
            out,
            "{}: {} finding{} ({} crit, {} warn, {} info)",
            visible(h),
            mine.len(),
            if mine.len() == 1 { "" } else { "s" },
            count(Severity::Crit),
            count(Severity::Warn),
            count(Severity::Info)
        )?;
        for f in mine {
            writeln!(out)?;
            writeln!(out, "  {} {}  {}", label(f.severity), f.rule, visible(&f.title))?;
            let e = &f.evidence;
            writeln!(out, "       {} · {}", f.confidence.name(), visible(&e.scope))?;
            if let Some(a) = at_line(f) {
                writeln!(out, "       at {}", visible(&a))?;
            }
            for (k, v) in &e.numbers {
                writeln!(out, "       {}: {}", visible(k), visible(v))?;
            }
            if !e.top.is_empty() {
                let tops: Vec<String> = e
                    .top
                    .iter()
                    .map(|t| {
                        let note = if t.note.is_empty() { String::new() } else { format!(" ({})", t.note) };
                        visible(&format!("{} {}{}", t.label, super::n(t.count), note)).into_owned()
                    })
                    .collect();
                write!(out, "{}", wrap(&format!("top: {}", tops.join(", ")), width, "       "))?;
            }
            for s in &e.sysctls {
                writeln!(
                    out,
                    "       sysctl {} = {}{}",
                    visible(&s.key),
                    visible(&s.value),
                    if s.assumed { " (not captured: kernel default assumed)" } else { "" }
                )?;
            }
            for (k, v) in &e.counters {
                writeln!(out, "       counter {} = {}", visible(k), super::n(*v))?;
            }
            for l in &e.logs {
                writeln!(out, "       log {}:{}: {}", visible(&l.source), l.line, visible(&l.text))?;
            }
            if !f.explanation.is_empty() {
                write!(out, "{}", wrap(&format!("why: {}", f.explanation), width, "       "))?;
            }
            if !f.remediation.is_empty() {
                write!(out, "{}", wrap(&format!("fix: {}", f.remediation), width, "       "))?;
            }
        }
        writeln!(out)?;
    }
    Ok(())
}
