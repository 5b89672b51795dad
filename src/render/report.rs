//! The postmortem report: `index.html` (one self-contained page with inline
//! SVG charts), `report.md` (Markdown linking the PNGs), `charts/*.png` and
//! `*.svg`, and `summary.json`.
//!
//! Pages are built with askama templates (`templates/report.html`,
//! `templates/report.md`), which escape every value taken from inputs —
//! HTML-escaping for the page, Markdown-escaping (`render::markdown`) for the
//! Markdown. Everything is written into a staged [`DirOutput`], renamed
//! into place by the caller, so a failed run never leaves half a report.

use askama::Template;
use rayon::prelude::*;

use crate::analysis::{Analysis, SourceView};
use crate::model::Kind;
use crate::output::DirOutput;
use crate::render::chart::{self, Chart};
use crate::render::charts;
use crate::render::thousands;

/// A chart, rendered once for both pages into `charts/<file>.svg` and
/// `.png` (written as soon as it is drawn: a fleet's charts would not fit
/// in memory together).
pub struct ChartOut {
    /// File stem under `charts/`.
    pub file: String,
    pub title: String,
}

/// Marks where `index.html` inlines a chart's SVG; replaced by the file's
/// contents while the page is written. Input text cannot forge one: the
/// templates escape `<` in everything taken from the inputs.
const INLINE_MARK: &str = "<!--sockscope-chart:";

impl ChartOut {
    /// The placeholder for this chart's inline SVG.
    pub fn inline(&self) -> String {
        format!("{INLINE_MARK}{}-->", self.file)
    }
}

/// A simple table: header and string cells; `numeric` marks right-aligned
/// columns.
pub struct TableOut {
    pub caption: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub numeric: Vec<bool>,
}

impl TableOut {
    fn new(caption: impl Into<String>, header: Vec<String>, numeric_from: usize) -> TableOut {
        let n = header.len();
        TableOut {
            caption: caption.into(),
            header,
            rows: Vec::new(),
            numeric: (0..n).map(|i| i >= numeric_from).collect(),
        }
    }
    /// Alignment marker row for Markdown (`---`, `--:`).
    pub fn md_align(&self) -> String {
        self.numeric.iter().map(|n| if *n { "--:" } else { "---" }).collect::<Vec<_>>().join("|")
    }
    pub fn is_num(&self, i: &usize) -> bool {
        self.numeric.get(*i).copied().unwrap_or(false)
    }
}

/// One capture file and tool.
pub struct SourceSection {
    pub anchor: String,
    pub host: String,
    pub path: String,
    pub kind: String,
    pub span: String,
    pub snapshots: usize,
    /// Shown open in the page (the host's main captures) or collapsed.
    pub featured: bool,
    pub summary_line: String,
    pub charts: Vec<ChartOut>,
    pub tables: Vec<TableOut>,
    pub notes: Vec<String>,
}

/// One finding as the page shows it (values from input are escaped by
/// the templates).
pub struct FindingOut {
    pub anchor: String,
    pub severity: &'static str,
    pub host: String,
    pub rule: &'static str,
    pub title: String,
    pub confidence: &'static str,
    pub scope: String,
    pub at: Option<String>,
    /// Evidence lines: numbers, top rows, sysctls, counters, log lines.
    pub evidence: Vec<String>,
    pub explanation: &'static str,
    pub remediation: &'static str,
}

impl FindingOut {
    fn of(f: &crate::diagnose::Finding, n: usize) -> FindingOut {
        let e = &f.evidence;
        let mut ev: Vec<String> = e.numbers.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        for t in &e.top {
            let note = if t.note.is_empty() { String::new() } else { format!(" ({})", t.note) };
            ev.push(format!("top: {} — {}{note}", t.label, thousands(t.count)));
        }
        for s in &e.sysctls {
            let assumed = if s.assumed { " (not captured: kernel default assumed)" } else { "" };
            ev.push(format!("sysctl {} = {}{assumed}", s.key, s.value));
        }
        for (k, v) in &e.counters {
            ev.push(format!("counter {k} = {}", thousands(*v)));
        }
        for l in &e.logs {
            ev.push(format!("log {}:{}: {}", l.source, l.line, l.text));
        }
        FindingOut {
            anchor: f.anchor(n),
            severity: f.severity.name(),
            host: f.host.clone(),
            rule: f.rule,
            title: f.title.clone(),
            confidence: f.confidence.name(),
            scope: e.scope.clone(),
            at: crate::diagnose::render::at_line(f),
            evidence: ev,
            explanation: f.explanation,
            remediation: f.remediation,
        }
    }
}

/// One host.
pub struct HostSection {
    pub name: String,
    pub anchor: String,
    /// Its findings: (anchor, severity, rule, title).
    pub findings: Vec<(String, &'static str, &'static str, String)>,
    pub overview: TableOut,
    pub sources: Vec<SourceSection>,
}

/// One host in the fleet table.
pub struct FleetRowOut {
    pub host: String,
    /// Its section, when it has one.
    pub anchor: Option<String>,
    /// Modified z-score (see `analysis::unusual`), formatted, and its
    /// sort key.
    pub score: String,
    pub score_key: String,
    pub unusual: bool,
    /// What stands out: "CLOSE_WAIT 412 (fleet median 0)".
    pub why: String,
    /// The host's worst finding: (anchor, severity, sort key, rule, title).
    pub worst: Option<(String, &'static str, u8, &'static str, String)>,
    pub captures: usize,
    pub snapshots: String,
    pub total: String,
    pub states: Vec<String>,
    pub top_peer: String,
}

/// Every host of the run, the most unusual first.
pub struct FleetTableOut {
    pub caption: String,
    pub states: Vec<&'static str>,
    pub rows: Vec<FleetRowOut>,
}

impl FleetTableOut {
    /// The Markdown alignment row.
    pub fn md_align(&self) -> String {
        let mut a = vec!["--:", "---", "--:", "---", "---", "--:", "--:", "--:"];
        a.extend(self.states.iter().map(|_| "--:"));
        a.push("---");
        a.join("|")
    }
}

/// The page's sortable tables: a click on a header sorts by that column
/// (numbers by value, `data-v` when a cell has one).
pub const SORT_SCRIPT: &str = r#"document.querySelectorAll('table.sortable th').forEach(function(th){th.addEventListener('click',function(){var t=th.closest('table'),b=t.tBodies[0],i=th.cellIndex,num=th.classList.contains('n');var dir=th.getAttribute('aria-sort')==='descending'?1:-1;t.querySelectorAll('th').forEach(function(x){x.removeAttribute('aria-sort')});th.setAttribute('aria-sort',dir<0?'descending':'ascending');function key(r){var c=r.cells[i],v=c.getAttribute('data-v');if(v!==null)return parseFloat(v);var s=c.textContent.trim();if(!num)return s.toLowerCase();var x=parseFloat(s.replace(/[^0-9.\-]/g,''));return isNaN(x)?-1:x}var rows=Array.prototype.slice.call(b.rows);rows.sort(function(x,y){var a=key(x),c=key(y);return (a<c?-1:a>c?1:0)*dir});rows.forEach(function(r){b.appendChild(r)})})});"#;

/// The whole page.
pub struct ReportPage {
    pub title: String,
    pub generated: String,
    pub intro: Vec<String>,
    /// Every finding, worst first (see `diagnose`).
    pub findings: Vec<FindingOut>,
    pub fleet_charts: Vec<ChartOut>,
    pub fleet_table: Option<FleetTableOut>,
    pub hosts: Vec<HostSection>,
    /// Hosts in the fleet table without a section of their own.
    pub undetailed: usize,
    pub accounting: TableOut,
    pub rejected: Vec<String>,
    pub notes: Vec<String>,
}

#[derive(Template)]
#[template(path = "report.html")]
struct HtmlPage<'a> {
    page: &'a ReportPage,
}

#[derive(Template)]
#[template(path = "report.md")]
struct MdPage<'a> {
    page: &'a ReportPage,
}

/// Builds the page: runs the passes and renders every chart (in parallel)
/// into `charts`.
pub fn build(
    a: &Analysis<'_>,
    findings: &[crate::diagnose::Finding],
    top: usize,
    generated: &str,
    charts: &DirOutput,
) -> anyhow::Result<ReportPage> {
    let run = a.run;
    let hosts = a.hosts();
    let mut page = ReportPage {
        title: if hosts.len() == 1 {
            format!("Socket report: {}", hosts[0])
        } else {
            format!("Socket report: {} hosts", hosts.len())
        },
        generated: generated.to_string(),
        intro: Vec::new(),
        findings: findings.iter().enumerate().map(|(i, f)| FindingOut::of(f, i)).collect(),
        fleet_charts: Vec::new(),
        fleet_table: None,
        hosts: Vec::new(),
        undetailed: 0,
        accounting: accounting(a),
        rejected: Vec::new(),
        notes: Vec::new(),
    };
    let lines: u64 = run.sources.iter().map(|s| s.lines.total).sum();
    let rejected: u64 = run.sources.iter().map(|s| s.lines.rejected).sum();
    page.intro.push(format!(
        "{} captures from {} host{} ({} lines, {} rejected); {} snapshot views.",
        run.sources.len(),
        hosts.len(),
        if hosts.len() == 1 { "" } else { "s" },
        thousands(lines),
        thousands(rejected),
        a.views.len()
    ));

    let all_hosts = run_hosts(run);
    let hosts: Vec<&str> = hosts.into_iter().filter(|h| a.is_detailed(h)).collect();
    page.undetailed = all_hosts.len() - hosts.len();
    if page.undetailed > 0 {
        page.intro.push(format!(
            "{} of {} hosts have a section of their own: those with critical findings, then warnings, \
             then the most unusual against the fleet (`--hosts all` for every one). The fleet table lists \
             every host.",
            thousands(hosts.len() as u64),
            thousands(all_hosts.len() as u64)
        ));
    }

    // Fleet.
    if all_hosts.len() > 1 {
        let (out, table) = fleet(a, findings, &page.findings, &all_hosts, charts)?;
        page.fleet_charts = out;
        page.fleet_table = Some(table);
    }

    // Hosts and their sources. Charts only for featured views.
    let featured: Vec<usize> = featured_views(a);
    let sections: Vec<(usize, anyhow::Result<SourceSection>)> = a
        .views
        .par_iter()
        .enumerate()
        .filter(|(_, v)| a.is_detailed(v.host))
        .map(|(i, v)| (i, source_section(v, i, featured.contains(&i), top, charts)))
        .collect();
    let mut sections: Vec<(usize, SourceSection)> =
        sections.into_iter().map(|(i, s)| s.map(|s| (i, s))).collect::<anyhow::Result<_>>()?;
    for h in hosts {
        let mut overview = TableOut::new(
            "Captures",
            [
                "capture",
                "tool",
                "snapshots",
                "rows (last)",
                "ESTABLISHED",
                "TIME_WAIT",
                "CLOSE_WAIT",
                "SYN_SENT",
                "SYN_RECV",
            ]
            .map(String::from)
            .to_vec(),
            2,
        );
        let mut srcs = Vec::new();
        let mut rest = Vec::new();
        for (i, s) in sections.drain(..) {
            if a.views[i].host == h {
                let (_, k) = a.views[i].last();
                let d = &a.views[i].results.distribution_last;
                let st = |n: &str| d.iter().find(|x| x.0 == n).map_or("—".into(), |x| thousands(x.1));
                overview.rows.push(vec![
                    s.path.clone(),
                    s.kind.clone(),
                    s.snapshots.to_string(),
                    thousands(k.total),
                    st("ESTABLISHED"),
                    st("TIME_WAIT"),
                    st("CLOSE_WAIT"),
                    st("SYN_SENT"),
                    st("SYN_RECV"),
                ]);
                srcs.push(s);
            } else {
                rest.push((i, s));
            }
        }
        sections = rest;
        // Capture loops and the main captures first, the rest after.
        srcs.sort_by_key(|s| (!s.featured, s.kind == "conntrack"));
        page.hosts.push(HostSection {
            name: h.to_string(),
            anchor: slug(&format!("host-{h}")),
            findings: page
                .findings
                .iter()
                .filter(|f| f.host == h)
                .map(|f| (f.anchor.clone(), f.severity, f.rule, f.title.clone()))
                .collect(),
            overview,
            sources: srcs,
        });
    }

    for s in &run.sources {
        for r in s.lines.rejected_samples.iter().take(3) {
            page.rejected.push(format!("{}:{}: {}: {}", s.path, r.line, r.reason, r.text));
        }
        for n in &s.notes {
            page.notes.push(format!("{}: {}", s.path, n));
        }
    }
    for e in &run.errors {
        page.notes.push(format!("not read: {e}"));
    }
    Ok(page)
}

/// Per host: every capture loop (more than one snapshot), and otherwise
/// its largest single socket and conntrack capture.
fn featured_views(a: &Analysis<'_>) -> Vec<usize> {
    let mut out = Vec::new();
    for h in a.hosts().into_iter().filter(|h| a.is_detailed(h)) {
        for conntrack in [false, true] {
            let mine: Vec<(usize, &SourceView)> = a
                .views
                .iter()
                .enumerate()
                .filter(|(_, v)| {
                    v.host == h && (v.kind == Kind::Conntrack) == conntrack && !v.last().1.from_counters
                })
                .collect();
            let loops: Vec<usize> = mine.iter().filter(|(_, v)| v.count > 1).map(|(i, _)| *i).collect();
            if loops.is_empty() {
                let best = Analysis::main_capture(mine.iter().map(|(_, v)| *v), conntrack);
                out.extend(
                    mine.iter().find(|(_, v)| best.is_some_and(|b| std::ptr::eq(*v, b))).map(|(i, _)| *i),
                );
            } else {
                out.extend(loops);
            }
        }
    }
    out
}

fn source_section(
    v: &SourceView<'_>,
    index: usize,
    featured: bool,
    top: usize,
    charts_dir: &DirOutput,
) -> anyhow::Result<SourceSection> {
    let (ls, lk) = v.last();
    let span = v.span();
    // The view's position keeps anchors and chart files unique even when
    // long paths are cut or punctuation collapses in the slug.
    let anchor = format!("v{index}-{}", slug(&format!("{}-{}-{}", v.host, v.path, v.kind.name())));
    let mut s = SourceSection {
        anchor: anchor.clone(),
        host: v.host.to_string(),
        path: v.path.to_string(),
        kind: if lk.from_counters { "ss -s".to_string() } else { v.kind.name().to_string() },
        span: span.clone(),
        snapshots: v.count,
        featured,
        summary_line: format!(
            "{} snapshot{}; last: {} {} at snapshot {}.",
            thousands(v.count as u64),
            if v.count == 1 { "" } else { "s" },
            thousands(lk.total),
            if v.kind == Kind::Conntrack {
                "entries"
            } else if lk.from_counters {
                "sockets (kernel count)"
            } else {
                "sockets"
            },
            ls.index
        ),
        charts: Vec::new(),
        tables: Vec::new(),
        notes: Vec::new(),
    };
    let specs: Vec<Chart> = if featured { charts::for_view(v, top) } else { Vec::new() };

    // States: peak and last.
    let (cols, rows) = &v.results.states;
    let mut t = TableOut::new(
        "State distribution",
        [vec!["snapshot".to_string(), "total".into()], cols.iter().map(|c| c.to_string()).collect()].concat(),
        1,
    );
    for r in rows {
        t.rows.push(
            [vec![r.label.clone(), thousands(r.total)], r.counts.iter().map(|c| thousands(*c)).collect()]
                .concat(),
        );
    }
    s.tables.push(t);

    // Timeline.
    if let Some(tl) = &v.results.timeline {
        let mut t = TableOut::new(
            format!("State course over {} snapshots (rates {})", thousands(v.count as u64), tl.rate_unit),
            ["state", "first", "last", "peak", "peak at", "largest rise", "trend"].map(String::from).to_vec(),
            1,
        );
        for c in &tl.courses {
            t.rows.push(vec![
                c.state.to_string(),
                thousands(c.first),
                thousands(c.last),
                thousands(c.peak),
                match c.peak_time {
                    Some(tm) => format!("#{} {}", c.peak_index, tm.format("%H:%M:%S")),
                    None => format!("#{}", c.peak_index),
                },
                format!("{:+.1}", c.max_rise),
                c.trend_per_min.map_or("—".into(), |x| format!("{x:+.1}/min")),
            ]);
        }
        s.tables.push(t);
    }

    // Direction, hotspots, ports, listeners: from the detail of the last
    // snapshot (and the peak, if it differs, for the hotspots).
    if v.kind != Kind::Conntrack {
        if let Some((cols, rows)) = &v.results.direction {
            let mut t = TableOut::new(
                format!("Direction of connected sockets at snapshot {}", ls.index),
                [vec!["direction".to_string(), "total".into()], cols.iter().map(|c| c.to_string()).collect()]
                    .concat(),
                1,
            );
            for (d, total, counts) in rows {
                t.rows.push(
                    [
                        vec![d.name().to_string(), thousands(*total)],
                        counts.iter().map(|c| thousands(*c)).collect(),
                    ]
                    .concat(),
                );
            }
            if !t.rows.is_empty() {
                s.tables.push(t);
            }
        }
        for (which, (snap, kind)) in peak_then_last(v) {
            let Some(d) = &kind.detail else { continue };
            let found = v.results.hotspots.iter().find(|h| h.0 == which).map(|h| &h.2);
            if let Some((_, sockets, bound)) = d.dropped {
                s.notes.push(format!(
                    "{which} snapshot {}: more distinct flows than the {} the report keeps per snapshot; the \
                     smallest flows ({} sockets in all) are counted in the state, direction and local-port \
                     totals but not in the rankings by peer, remote service, prefix and ephemeral use, which \
                     are exact only above {} sockets: a ranked count can be low by up to {}, and a key with \
                     up to {} sockets can be missing",
                    snap.index,
                    thousands(crate::fold::MAX_FLOWS as u64),
                    thousands(sockets),
                    thousands(bound),
                    thousands(bound),
                    thousands(bound),
                ));
            }
            for h in found.into_iter().flatten() {
                let mut t = TableOut::new(
                    format!("{} — {which} snapshot {}", h.title, snap.index),
                    [
                        vec![h.key.to_string(), "".into(), "total".into()],
                        h.states.iter().map(|c| c.to_string()).collect(),
                    ]
                    .concat(),
                    2,
                );
                for r in &h.rows {
                    t.rows.push(
                        [
                            vec![r.label.clone(), r.note.clone(), thousands(r.total)],
                            r.counts.iter().map(|c| thousands(*c)).collect(),
                        ]
                        .concat(),
                    );
                }

                s.tables.push(t);
            }
        }
        if let Some(d) = &lk.detail {
            if let Some(pu) = &v.results.port_use
                && !pu.rows.is_empty()
            {
                let size = pu.size();
                let mut t = TableOut::new(
                    format!(
                        "Ephemeral ports per destination at snapshot {} (range {}–{}, {} ports{})",
                        ls.index,
                        pu.range.0,
                        pu.range.1,
                        thousands(size),
                        if pu.range_captured { "" } else { ", default: no sysctl captured" }
                    ),
                    ["local address", "destination", "sockets", "of which TIME_WAIT", "share of range"]
                        .map(String::from)
                        .to_vec(),
                    2,
                );
                for r in &pu.rows {
                    t.rows.push(vec![
                        r.local.clone(),
                        crate::model::endpoint_text(&r.remote, r.port),
                        thousands(r.sockets),
                        thousands(r.time_wait),
                        format!("{:.2}%", r.share * 100.0),
                    ]);
                }
                s.tables.push(t);
            }
            if !d.listeners.is_empty() {
                let mut t = TableOut::new(
                    format!("Listening sockets at snapshot {}", ls.index),
                    ["address", "port", "process", "accept queue (Recv-Q)", "backlog (Send-Q)"]
                        .map(String::from)
                        .to_vec(),
                    3,
                );
                for l in &d.listeners {
                    t.rows.push(vec![
                        l.addr.clone(),
                        l.port.to_string(),
                        l.process.clone().unwrap_or_default(),
                        thousands(l.recv_q),
                        if v.kind == Kind::Ss { thousands(l.send_q) } else { "— (netstat)".into() },
                    ]);
                }
                s.tables.push(t);
            }
        }
    } else if let Some(c) = &v.results.composition {
        let mut t = TableOut::new(
            format!("Conntrack entries at snapshot {}", ls.index),
            ["", "entries", "share"].map(String::from).to_vec(),
            1,
        );
        let pct = |n: u64| {
            if c.total == 0 { "—".into() } else { format!("{:.1}%", n as f64 * 100.0 / c.total as f64) }
        };
        t.rows.push(vec!["total".into(), thousands(c.total), "100%".into()]);
        for (p, n) in &c.protocols {
            t.rows.push(vec![format!("protocol {p}"), thousands(*n), pct(*n)]);
        }
        t.rows.push(vec!["[ASSURED]".into(), thousands(c.assured), pct(c.assured)]);
        t.rows.push(vec!["[UNREPLIED]".into(), thousands(c.unreplied), pct(c.unreplied)]);
        for (st, n) in &c.states {
            t.rows.push(vec![format!("TCP {st}"), thousands(*n), pct(*n)]);
        }
        s.tables.push(t);
        if !c.top_destinations.is_empty() {
            let mut t = TableOut::new(
                "Top original destinations",
                ["destination", "entries", "unreplied"].map(String::from).to_vec(),
                1,
            );
            for d in c.top_destinations.iter().take(top) {
                t.rows.push(vec![
                    crate::model::endpoint_text(&d.addr, d.port),
                    thousands(d.entries as u64),
                    thousands(d.unreplied as u64),
                ]);
            }
            s.tables.push(t);
        }
        if !c.top_sources.is_empty() {
            let mut t =
                TableOut::new("Top original sources", ["source", "entries"].map(String::from).to_vec(), 1);
            for (a, n) in c.top_sources.iter().take(top) {
                t.rows.push(vec![a.clone(), thousands(*n)]);
            }
            s.tables.push(t);
        }
    }
    if let Some(sk) = &ls.sockstat {
        let mut t = TableOut::new(
            "Kernel counters (ss -s / sockstat)",
            ["counter", "value"].map(String::from).to_vec(),
            1,
        );
        for (name, v) in [
            ("sockets", sk.total),
            ("TCP", sk.tcp_total.or(sk.tcp_inuse)),
            ("estab", sk.estab),
            ("orphaned", sk.orphaned),
            ("synrecv", sk.synrecv),
            ("timewait", sk.timewait),
            ("TCP memory (pages)", sk.tcp_mem_pages),
        ] {
            if let Some(v) = v {
                t.rows.push(vec![name.to_string(), thousands(v)]);
            }
        }
        s.tables.push(t);
    }

    let rendered: Vec<anyhow::Result<ChartOut>> = specs
        .into_par_iter()
        .enumerate()
        .map(|(i, c)| render_chart(c, charts_dir, &format!("{anchor}-{i}")))
        .collect();
    s.charts = rendered.into_iter().collect::<anyhow::Result<_>>()?;
    Ok(s)
}

/// The peak snapshot (if it is not the last) and the last, labelled.
fn peak_then_last<'v>(
    v: &'v SourceView<'_>,
) -> Vec<(&'static str, (&'v crate::snapshot::SnapshotSummary, &'v crate::snapshot::KindSummary))> {
    let mut out = Vec::new();
    if !v.peak_is_last() {
        out.push(("peak", v.peak()));
    }
    out.push(("last", v.last()));
    out
}

fn render_chart(mut c: Chart, out: &DirOutput, file: &str) -> anyhow::Result<ChartOut> {
    charts::fit_height(&mut c);
    out.write(format!("{CHARTS}/{file}.svg"), chart::render_svg(&c)?.as_bytes())?;
    out.write(format!("{CHARTS}/{file}.png"), &chart::render_png(&c)?)?;
    Ok(ChartOut { file: file.to_string(), title: c.title.clone() })
}

/// Every host of the run (also those whose captures gave no table), sorted.
fn run_hosts(run: &crate::ingest::Ingested) -> Vec<&str> {
    let mut h: Vec<&str> = run.sources.iter().map(|s| s.host.as_str()).collect();
    h.sort_unstable();
    h.dedup();
    h
}

/// Which hosts get a section of their own (`None`: all): with `--hosts N`
/// and more hosts than that, those with critical findings, then warnings,
/// then the most unusual, then the rest by name.
pub fn choose_hosts(
    a: &Analysis<'_>,
    findings: &[crate::diagnose::Finding],
    limit: crate::cli::HostSections,
) -> Option<std::collections::BTreeSet<String>> {
    use crate::diagnose::Severity;
    let crate::cli::HostSections::AtMost(n) = limit else { return None };
    let hosts = run_hosts(a.run);
    if hosts.len() <= n {
        return None;
    }
    let mut worst: std::collections::HashMap<&str, Severity> = std::collections::HashMap::new();
    for f in findings {
        let w = worst.entry(f.host.as_str()).or_insert(f.severity);
        *w = (*w).max(f.severity);
    }
    let magnitude: std::collections::HashMap<&str, f64> = a
        .fleet
        .hosts
        .iter()
        .zip(&a.unusual)
        .map(|(h, d)| (h.as_str(), d.as_ref().map_or(0.0, |d| d.magnitude())))
        .collect();
    let class = |h: &str| match worst.get(h) {
        Some(Severity::Crit) => 3,
        Some(Severity::Warn) => 2,
        _ if magnitude.get(h).copied().unwrap_or(0.0) >= crate::analysis::unusual::UNUSUAL => 1,
        _ => 0,
    };
    let mut ranked: Vec<(u8, f64, &str)> =
        hosts.iter().map(|h| (class(h), magnitude.get(h).copied().unwrap_or(0.0), *h)).collect();
    ranked.sort_by(|x, y| y.0.cmp(&x.0).then(y.1.total_cmp(&x.1)).then(x.2.cmp(y.2)));
    Some(ranked.into_iter().take(n).map(|r| r.2.to_string()).collect())
}

fn fleet(
    a: &Analysis<'_>,
    findings: &[crate::diagnose::Finding],
    shown: &[FindingOut],
    all_hosts: &[&str],
    dir: &DirOutput,
) -> anyhow::Result<(Vec<ChartOut>, FleetTableOut)> {
    let hs = &a.fleet;
    let peers = crate::analysis::fleet::top_peers(a)?;
    let at: std::collections::HashMap<&str, usize> =
        hs.hosts.iter().enumerate().map(|(i, h)| (h.as_str(), i)).collect();
    let main: std::collections::HashMap<&str, &SourceView> =
        crate::analysis::fleet::main_views(a).into_iter().map(|v| (v.host, v)).collect();
    let mut captures: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for s in &a.run.sources {
        *captures.entry(s.host.as_str()).or_default() += 1;
    }
    // Findings are worst first: a host's first is its worst.
    let mut worst: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (i, f) in findings.iter().enumerate() {
        worst.entry(f.host.as_str()).or_insert(i);
    }
    let mut rows: Vec<(f64, FleetRowOut)> = Vec::with_capacity(all_hosts.len());
    for h in all_hosts {
        let i = at.get(h).copied();
        let dev = i.and_then(|i| a.unusual.get(i)).and_then(|d| d.as_ref());
        let mag = dev.map_or(0.0, |d| d.magnitude());
        let v = main.get(h);
        rows.push((
            mag,
            FleetRowOut {
                host: h.to_string(),
                anchor: a.is_detailed(h).then(|| slug(&format!("host-{h}"))),
                score: dev.map_or("—".into(), |d| format!("{:.1}", d.magnitude())),
                score_key: format!("{mag:.3}"),
                unusual: mag >= crate::analysis::unusual::UNUSUAL,
                why: match dev {
                    Some(d) if d.magnitude() >= 1.0 => {
                        format!("{}{}", d.reason(), if d.score < 0.0 { ", below" } else { "" })
                    }
                    Some(_) => "like the fleet".into(),
                    None if v.is_none() => "no socket table read".into(),
                    None => String::new(),
                },
                worst: worst.get(h).map(|n| {
                    let (f, o) = (&findings[*n], &shown[*n]);
                    let key = match f.severity {
                        crate::diagnose::Severity::Crit => 3,
                        crate::diagnose::Severity::Warn => 2,
                        crate::diagnose::Severity::Info => 1,
                    };
                    (o.anchor.clone(), o.severity, key, o.rule, o.title.clone())
                }),
                captures: captures.get(h).copied().unwrap_or(0),
                snapshots: v.map_or("—".into(), |v| thousands(v.count as u64)),
                total: v.map_or("—".into(), |v| thousands(v.last().1.total)),
                states: match i {
                    Some(i) => hs.values[i].iter().map(|n| thousands(*n)).collect(),
                    None => vec!["—".into(); hs.states.len()],
                },
                top_peer: peers
                    .get(*h)
                    .map_or(String::new(), |(p, d, n)| format!("{p} ({d}, {})", thousands(*n))),
            },
        ));
    }
    rows.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.host.cmp(&y.1.host)));
    let unusual = rows.iter().filter(|r| r.1.unusual).count();
    let table = FleetTableOut {
        caption: format!(
            "{} hosts at the last snapshot of their main socket capture, the most unusual first ({} \
             unusual: a modified z-score of {} or more against the fleet median)",
            thousands(all_hosts.len() as u64),
            thousands(unusual as u64),
            crate::analysis::unusual::UNUSUAL
        ),
        states: hs.states.clone(),
        rows: rows.into_iter().map(|r| r.1).collect(),
    };
    let out = charts::fleet_states(a)
        .into_iter()
        .chain(charts::fleet_time(a))
        .enumerate()
        .map(|(i, c)| render_chart(c, dir, &format!("fleet-{i}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok((out, table))
}

fn accounting(a: &Analysis<'_>) -> TableOut {
    let mut t = TableOut::new(
        "Line accounting",
        ["source", "host", "format", "lines", "parsed", "structural", "ignored", "rejected", "snapshots"]
            .map(String::from)
            .to_vec(),
        3,
    );
    for s in &a.run.sources {
        let l = &s.lines;
        t.rows.push(vec![
            s.path.clone(),
            s.host.clone(),
            s.format.clone(),
            thousands(l.total),
            thousands(l.parsed),
            thousands(l.structural),
            thousands(l.ignored),
            thousands(l.rejected),
            s.snapshots.to_string(),
        ]);
    }
    t
}

/// Lowercase letters, digits and dashes: safe as a file name and anchor.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let t = out.trim_matches('-');
    let mut t: String = t.chars().take(80).collect();
    if t.is_empty() {
        t.push('x');
    }
    t
}

/// The charts' directory inside the report.
pub const CHARTS: &str = "charts";

/// Writes the pages and `summary.json` (streamed by `summary_json`: for a
/// long capture loop it is tens of megabytes) into `out`, whose `charts/`
/// [`build`] has filled. The caller commits `out`.
pub fn write(
    out: &DirOutput,
    page: &ReportPage,
    summary_json: impl FnOnce(&mut dyn std::io::Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let html = HtmlPage { page }.render()?;
    let known: std::collections::HashSet<&str> = page
        .fleet_charts
        .iter()
        .chain(page.hosts.iter().flat_map(|h| h.sources.iter().flat_map(|s| &s.charts)))
        .map(|c| c.file.as_str())
        .collect();
    out.write_with("index.html", |w| write_inlined(&html, out, &known, w))?;
    out.write("report.md", MdPage { page }.render()?.as_bytes())?;
    out.write_with("summary.json", summary_json)?;
    Ok(())
}

/// Writes `html`, replacing each chart placeholder by the chart's SVG file
/// (read from disk one at a time).
fn write_inlined(
    html: &str,
    charts: &DirOutput,
    known: &std::collections::HashSet<&str>,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<()> {
    let mut rest = html;
    while let Some(at) = rest.find(INLINE_MARK) {
        let after = &rest[at + INLINE_MARK.len()..];
        let Some(end) = after.find("-->") else { break };
        let file = &after[..end];
        out.write_all(&rest.as_bytes()[..at])?;
        if known.contains(file) {
            let mut svg = charts.open(format!("{CHARTS}/{file}.svg"))?;
            std::io::copy(&mut svg, out)?;
        } else {
            out.write_all(&rest.as_bytes()[at..at + INLINE_MARK.len() + end + 3])?;
        }
        rest = &after[end + 3..];
    }
    out.write_all(rest.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_inlined_from_their_files_and_only_known_ones() {
        let dir = tempfile::tempdir().unwrap();
        let out = DirOutput::create(
            &dir.path().join("r"),
            false,
            &crate::output::Inputs::default(),
            crate::output::DirKind::Report,
        )
        .unwrap();
        out.create_dir(CHARTS).unwrap();
        out.write("charts/v0-a.svg", b"<svg>A</svg>").unwrap();
        out.write("charts/secret.svg", b"<svg>S</svg>").unwrap();
        let a = ChartOut { file: "v0-a".into(), title: "t".into() };
        let html = format!("<p>x</p>{}<p>{INLINE_MARK}secret--></p>{INLINE_MARK}unterminated", a.inline());
        let known = ["v0-a"].into_iter().collect();
        let mut got = Vec::new();
        write_inlined(&html, &out, &known, &mut got).unwrap();
        assert_eq!(
            String::from_utf8(got).unwrap(),
            format!("<p>x</p><svg>A</svg><p>{INLINE_MARK}secret--></p>{INLINE_MARK}unterminated")
        );
    }
}
