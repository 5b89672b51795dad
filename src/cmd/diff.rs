//! `sockscope diff BEFORE AFTER`: what changed between a baseline and an
//! incident capture (or two hosts). Each side is read on its own; each
//! host contributes its main capture's last snapshot (the rule behind the
//! fleet views), summed over the side's hosts.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

use serde::Serialize;

use crate::analysis::Analysis;
use crate::cli::{DiffArgs, InputArgs, TableOrJson};
use crate::diagnose::Finding;
use crate::ingest::InputFormat;
use crate::output::{DirKind, DirOutput, Inputs};
use crate::table::STATE_ORDER;
use crate::term::visible;

use super::{Status, read_inputs_with};

/// What one side holds.
#[derive(Debug, Default)]
struct Side {
    hosts: Vec<String>,
    states: BTreeMap<&'static str, u64>,
    total: u64,
    peers: BTreeMap<String, u64>,
    /// Remote `addr:port` of outbound sockets.
    services: BTreeMap<String, u64>,
    /// Local service ports (connected sockets on them).
    ports: BTreeMap<String, u64>,
    /// `addr:port (process)`.
    listeners: BTreeSet<String>,
    sysctl: BTreeMap<String, String>,
    findings: Vec<Finding>,
}

fn read_side(path: &Path, tz: Option<&String>, top: usize) -> anyhow::Result<(Side, Status)> {
    let args = InputArgs {
        inputs: vec![path.to_path_buf()],
        input_format: InputFormat::Auto,
        tz: tz.cloned(),
        host: None,
        strict: false,
        threads: None,
        input_encoding: None,
        host_from: None,
        quiet: true,
    };
    let sink = super::diagnose::signal_sink();
    let (run, status) = read_inputs_with(
        &args,
        crate::table::DEFAULT_TOP,
        true,
        Some(sink.clone() as std::sync::Arc<dyn crate::table::RowSink>),
    )?;
    let findings = super::diagnose::findings(&run, sink, None)?;
    let a = Analysis::build(&run, top)?;
    let mut side = Side { findings, ..Side::default() };
    for h in a.hosts() {
        side.hosts.push(h.to_string());
        let Some(v) = Analysis::main_capture(a.views.iter().filter(|v| v.host == h), false) else { continue };
        let (_, k) = v.last();
        side.total += k.total;
        for s in STATE_ORDER {
            *side.states.entry(s.name()).or_default() += k.states[s as usize];
        }
        if let Some(d) = &k.detail {
            for p in &d.peers {
                *side.peers.entry(p.key.0.clone()).or_default() += p.counts.total;
            }
            for s in &d.remote_services {
                *side.services.entry(crate::model::endpoint_text(&s.key.0, s.key.1)).or_default() +=
                    s.counts.total;
            }
            for s in &d.local_services {
                *side.ports.entry(format!("port {}", s.port)).or_default() += s.counts.total;
            }
            for l in &d.listeners {
                let p = l.process.as_deref().map(|p| format!(" ({p})")).unwrap_or_default();
                side.listeners.insert(format!("{}{p}", crate::model::endpoint_text(&l.addr, l.port)));
            }
        }
    }
    for m in a.sysctl.values() {
        for (k, v) in m.iter() {
            side.sysctl.entry(k.to_string()).or_insert_with(|| v.to_string());
        }
    }
    Ok((side, status))
}

#[derive(Debug, Serialize)]
struct Delta {
    before: u64,
    after: u64,
    delta: i64,
}

#[derive(Debug, Serialize)]
struct Change {
    key: String,
    before: u64,
    after: u64,
    delta: i64,
}

#[derive(Debug, Serialize)]
struct SysctlChange {
    key: String,
    before: Option<String>,
    after: Option<String>,
}

#[derive(Debug, Serialize)]
struct FindingChanges {
    /// Rule ids found after and not before.
    appeared: Vec<&'static str>,
    /// Rule ids found before and not after.
    cleared: Vec<&'static str>,
    /// The findings after, in full.
    after: Vec<Finding>,
}

#[derive(Debug, Serialize)]
struct DiffDoc {
    before: SideHead,
    after: SideHead,
    /// State → counts before and after.
    states: BTreeMap<&'static str, Delta>,
    total: Delta,
    /// Remote addresses that appeared or grew most.
    peers: Vec<Change>,
    services: Vec<Change>,
    ports: Vec<Change>,
    listeners_appeared: Vec<String>,
    listeners_vanished: Vec<String>,
    sysctl: Vec<SysctlChange>,
    findings: FindingChanges,
}

#[derive(Debug, Serialize)]
struct SideHead {
    path: String,
    hosts: Vec<String>,
}

fn delta(a: u64, b: u64) -> i64 {
    (b as i128 - a as i128).clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

/// Keys that appeared or grew, largest growth first (then new ones that
/// were absent before).
fn grown(a: &BTreeMap<String, u64>, b: &BTreeMap<String, u64>, top: usize) -> Vec<Change> {
    let mut v: Vec<Change> = b
        .iter()
        .map(|(k, after)| {
            let before = a.get(k).copied().unwrap_or(0);
            Change { key: k.clone(), before, after: *after, delta: delta(before, *after) }
        })
        .filter(|c| c.delta > 0)
        .collect();
    v.sort_by(|x, y| y.delta.cmp(&x.delta).then(x.key.cmp(&y.key)));
    v.truncate(top);
    v
}

fn rules(f: &[Finding]) -> BTreeSet<&'static str> {
    f.iter().filter(|f| f.severity >= crate::diagnose::Severity::Warn).map(|f| f.rule).collect()
}

fn build(before: &Path, after: &Path, a: Side, b: Side, top: usize) -> DiffDoc {
    let states = STATE_ORDER
        .iter()
        .map(|s| {
            let (x, y) = (a.states[s.name()], b.states[s.name()]);
            (s.name(), Delta { before: x, after: y, delta: delta(x, y) })
        })
        .collect();
    let keys: BTreeSet<&String> = a.sysctl.keys().chain(b.sysctl.keys()).collect();
    let sysctl = keys
        .into_iter()
        .filter(|k| a.sysctl.get(*k) != b.sysctl.get(*k))
        // Only one side captured sysctls: nothing to compare.
        .filter(|_| !a.sysctl.is_empty() && !b.sysctl.is_empty())
        // Counters and per-boot values change by themselves.
        .filter(|k| !is_volatile(k))
        .map(|k| SysctlChange {
            key: k.clone(),
            before: a.sysctl.get(k).cloned(),
            after: b.sysctl.get(k).cloned(),
        })
        .collect();
    let (ra, rb) = (rules(&a.findings), rules(&b.findings));
    DiffDoc {
        before: SideHead { path: before.display().to_string(), hosts: a.hosts.clone() },
        after: SideHead { path: after.display().to_string(), hosts: b.hosts.clone() },
        states,
        total: Delta { before: a.total, after: b.total, delta: delta(a.total, b.total) },
        peers: grown(&a.peers, &b.peers, top),
        services: grown(&a.services, &b.services, top),
        ports: grown(&a.ports, &b.ports, top),
        listeners_appeared: b.listeners.difference(&a.listeners).cloned().collect(),
        listeners_vanished: a.listeners.difference(&b.listeners).cloned().collect(),
        sysctl,
        findings: FindingChanges {
            appeared: rb.difference(&ra).copied().collect(),
            cleared: ra.difference(&rb).copied().collect(),
            after: b.findings.into_iter().filter(|f| f.severity >= crate::diagnose::Severity::Warn).collect(),
        },
    }
}

/// sysctl keys whose values change without anyone changing them.
fn is_volatile(k: &str) -> bool {
    k.ends_with("_count")
        || k.contains("random")
        || k.starts_with("fs.dentry-state")
        || k.starts_with("fs.file-nr")
        || k.starts_with("fs.inode-")
        || k.starts_with("kernel.ns_last_pid")
        || k.starts_with("kernel.pty.nr")
        || k.ends_with(".stable_secret")
        || k.starts_with("net.netfilter.nf_conntrack_count")
}

fn text(d: &DiffDoc, out: &mut dyn Write) -> std::io::Result<()> {
    let v = |s: &str| visible(s).into_owned();
    writeln!(out, "before: {} ({})", v(&d.before.path), v(&d.before.hosts.join(", ")))?;
    writeln!(out, "after:  {} ({})\n", v(&d.after.path), v(&d.after.hosts.join(", ")))?;
    writeln!(out, "{:<14} {:>10} {:>10} {:>10}", "state", "before", "after", "delta")?;
    let n = crate::render::thousands;
    let signed = |x: i64| {
        if x > 0 {
            format!("+{}", n(x as u64))
        } else if x < 0 {
            format!("-{}", n(x.unsigned_abs()))
        } else {
            "0".into()
        }
    };
    for (s, x) in &d.states {
        if x.before > 0 || x.after > 0 {
            writeln!(out, "{:<14} {:>10} {:>10} {:>10}", s, n(x.before), n(x.after), signed(x.delta))?;
        }
    }
    writeln!(
        out,
        "{:<14} {:>10} {:>10} {:>10}",
        "total",
        n(d.total.before),
        n(d.total.after),
        signed(d.total.delta)
    )?;
    for (title, list) in [
        ("peers that appeared or grew", &d.peers),
        ("remote services", &d.services),
        ("local ports", &d.ports),
    ] {
        if list.is_empty() {
            continue;
        }
        writeln!(out, "\n{title}:")?;
        for c in list {
            let tag = if c.before == 0 { " (new)" } else { "" };
            writeln!(
                out,
                "  {:<40} {:>8} → {:<8} {}{tag}",
                v(&c.key),
                n(c.before),
                n(c.after),
                signed(c.delta)
            )?;
        }
    }
    for (title, list) in [
        ("listeners that appeared", &d.listeners_appeared),
        ("listeners that vanished", &d.listeners_vanished),
    ] {
        if !list.is_empty() {
            writeln!(out, "\n{title}:")?;
            for l in list.iter() {
                writeln!(out, "  {}", v(l))?;
            }
        }
    }
    if !d.sysctl.is_empty() {
        writeln!(out, "\nsysctl values that changed:")?;
        for c in &d.sysctl {
            writeln!(
                out,
                "  {} = {} → {}",
                v(&c.key),
                v(c.before.as_deref().unwrap_or("(absent)")),
                v(c.after.as_deref().unwrap_or("(absent)"))
            )?;
        }
    }
    writeln!(out, "\nfindings (warn and crit):")?;
    writeln!(
        out,
        "  appeared: {}",
        if d.findings.appeared.is_empty() { "none".into() } else { d.findings.appeared.join(", ") }
    )?;
    writeln!(
        out,
        "  cleared:  {}",
        if d.findings.cleared.is_empty() { "none".into() } else { d.findings.cleared.join(", ") }
    )?;
    for f in &d.findings.after {
        writeln!(out, "  after: {} {} {}: {}", f.severity.name(), f.rule, v(&f.host), v(&f.title))?;
    }
    Ok(())
}

fn chart(d: &DiffDoc) -> crate::render::chart::Chart {
    use crate::render::chart::{Chart, ChartKind};
    let row = |label: &str, after: bool| {
        let states = d
            .states
            .iter()
            .map(|(s, x)| (s.to_string(), if after { x.after } else { x.before }))
            .filter(|(_, n)| *n > 0)
            .collect();
        (label.to_string(), states)
    };
    Chart::new(
        "TCP states before and after",
        format!("{} → {}", d.before.path, d.after.path),
        ChartKind::Hotspots {
            rows: vec![row("before", false), row("after", true)],
            x_label: "sockets".into(),
        },
    )
}

pub fn run(args: &DiffArgs, out: &mut dyn Write) -> anyhow::Result<Status> {
    let target = match &args.output {
        Some(o) => Some(DirOutput::create(
            o,
            args.force,
            &Inputs::new(&[args.before.clone(), args.after.clone()]),
            DirKind::Report,
        )?),
        None => None,
    };
    let top = args.top.max(1);
    let (a, s1) = read_side(&args.before, args.tz.as_ref(), top)?;
    let (b, s2) = read_side(&args.after, args.tz.as_ref(), top)?;
    let doc = build(&args.before, &args.after, a, b, top);
    match args.format {
        TableOrJson::Table => text(&doc, out)?,
        TableOrJson::Json => {
            crate::render::json::write_pretty(&mut *out, &doc)?;
            writeln!(out)?;
        }
    }
    if let Some(t) = target {
        let mut md = Vec::new();
        text(&doc, &mut md)?;
        t.write("diff.txt", &md)?;
        let mut js = Vec::new();
        crate::render::json::write_pretty(&mut js, &doc)?;
        t.write("diff.json", &js)?;
        let c = chart(&doc);
        t.write("states.svg", crate::render::chart::render_svg(&c)?.as_bytes())?;
        t.write("states.png", &crate::render::chart::render_png(&c)?)?;
        let dest = t.dest().to_path_buf();
        t.commit()?;
        writeln!(
            out,
            "\nwrote {} (diff.txt, diff.json, states.png, states.svg)",
            visible(&dest.display().to_string())
        )?;
    }
    Ok(if s1 == Status::Ok && s2 == Status::Ok { Status::Ok } else { Status::InputProblems })
}
