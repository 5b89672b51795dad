//! Which charts a capture gets, and their inputs: the bridge from analysis
//! passes to `render::chart`. Used by the report (every chart of a
//! featured capture) and by `sockscope chart` (one chart).

use crate::analysis::{Analysis, SourceView};
use crate::model::Kind;
use crate::render::chart::{Chart, ChartKind, TimeAxis};
use crate::render::thousands;

/// Rows the fleet heatmaps show before aggregating.
pub const FLEET_ROWS: usize = 60;

/// Most bars in a ranking chart (a larger `--top` lengthens the tables,
/// not the chart, which would outgrow any page and the renderer's limit).
pub const CHART_ROWS: usize = 40;

/// The chart kinds `sockscope chart` can draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ChartName {
    /// State distribution of the last snapshot.
    States,
    /// States over time (stacked area).
    Timeline,
    /// Top remote addresses, stacked by state.
    Hotspots,
    /// Ephemeral ports per destination against the range.
    Ephemeral,
    /// Conntrack composition.
    Conntrack,
    /// Fleet: host × state heatmap.
    FleetStates,
    /// Fleet: one state per host over each capture.
    FleetTime,
}

fn subtitle(v: &SourceView<'_>) -> String {
    format!("{} · {} · {}", v.host, v.path, v.span())
}

fn what(v: &SourceView<'_>) -> &'static str {
    if v.kind == Kind::Conntrack { "Conntrack" } else { "TCP" }
}

/// State distribution of the last snapshot.
pub fn states(v: &SourceView<'_>) -> Chart {
    let (ls, _) = v.last();
    Chart {
        title: format!("{} states at snapshot {}", what(v), ls.index),
        subtitle: subtitle(v),
        kind: ChartKind::StateBars {
            states: v.results.distribution_last.iter().map(|(n, c)| (n.to_string(), *c)).collect(),
            value_label: if v.kind == Kind::Conntrack { "entries".into() } else { "sockets".into() },
        },
        width: 1000,
        height: 520,
    }
}

/// States over time; `None` for a single snapshot.
pub fn timeline(v: &SourceView<'_>) -> Option<Chart> {
    let tl = v.results.timeline.as_ref()?;
    let x = match &tl.times {
        Some(t) => TimeAxis::Instants(t.clone()),
        None => TimeAxis::Indices(tl.indices.clone()),
    };
    let mut sub = subtitle(v);
    if tl.stride > 1 {
        // Stacked maxima can come from different snapshots: say so.
        sub.push_str(&format!(" · each point: each state's largest count in {} snapshots", tl.stride));
    }
    Some(Chart {
        title: format!("{} states over time", what(v)),
        subtitle: sub,
        kind: ChartKind::Timeline {
            x,
            series: tl.series.iter().map(|(n, ys)| (n.to_string(), ys.clone())).collect(),
        },
        width: 1000,
        height: 520,
    })
}

/// Top remote addresses (by direction) of the last snapshot.
pub fn hotspots(v: &SourceView<'_>, top: usize) -> Option<Chart> {
    let (ls, lk) = v.last();
    let (_, _, tables) = v.results.hotspots.iter().find(|h| h.0 == "last")?;
    let mut h = tables.iter().find(|h| h.title == "Top remote addresses")?.clone();
    h.rows.truncate(top.min(CHART_ROWS));
    Some(Chart {
        title: format!("Top remote addresses at snapshot {}", ls.index),
        subtitle: format!(
            "{} · top {} peer/direction pairs of {} distinct peers",
            subtitle(v),
            h.rows.len(),
            thousands(lk.remote_distinct)
        ),
        kind: ChartKind::Hotspots {
            rows: h
                .rows
                .iter()
                .map(|r| {
                    (
                        format!("{} ({})", r.label, r.note),
                        h.states.iter().zip(&r.counts).map(|(n, c)| (n.to_string(), *c)).collect(),
                    )
                })
                .collect(),
            x_label: "sockets".into(),
        },
        width: 1000,
        height: 0,
    })
}

/// Ephemeral ports per destination at the last snapshot.
pub fn ephemeral(v: &SourceView<'_>) -> Option<Chart> {
    let (ls, _) = v.last();
    let pu = v.results.port_use.as_ref()?;
    if pu.rows.is_empty() {
        return None;
    }
    Some(Chart {
        title: format!("Ephemeral ports per destination at snapshot {}", ls.index),
        subtitle: format!(
            "{} · range {}–{}{}",
            subtitle(v),
            pu.range.0,
            pu.range.1,
            if pu.range_captured { "" } else { " (default; no sysctl captured)" }
        ),
        kind: ChartKind::EphemeralUse {
            rows: pu
                .rows
                .iter()
                .take(CHART_ROWS)
                .map(|r| {
                    (
                        format!("{} → {}", r.local, crate::model::endpoint_text(&r.remote, r.port)),
                        r.sockets,
                        r.time_wait,
                    )
                })
                .collect(),
            range_size: pu.size(),
        },
        width: 1000,
        height: 0,
    })
}

/// Conntrack composition of the last snapshot.
pub fn conntrack(v: &SourceView<'_>) -> Option<Chart> {
    if v.kind != Kind::Conntrack {
        return None;
    }
    let (ls, _) = v.last();
    let c = v.results.composition.as_ref()?;
    Some(Chart {
        title: format!("Conntrack composition at snapshot {}", ls.index),
        subtitle: subtitle(v),
        kind: ChartKind::Conntrack {
            states: c.states.iter().map(|(n, c)| (n.to_string(), *c)).collect(),
            assured: c.assured,
            unreplied: c.unreplied,
            total: c.total,
            timeouts: c.timeouts.clone(),
        },
        width: 1000,
        height: 640,
    })
}

/// Every chart a featured capture gets in the report.
pub fn for_view(v: &SourceView<'_>, top: usize) -> Vec<Chart> {
    let mut out = vec![states(v)];
    out.extend(timeline(v));
    if v.kind == Kind::Conntrack {
        out.extend(conntrack(v));
    } else {
        out.extend(hotspots(v, top));
        out.extend(ephemeral(v));
    }
    out
}

/// Host × state at each host's last snapshot: the most unusual hosts
/// first (every host when they fit).
pub fn fleet_states(a: &Analysis<'_>) -> Option<Chart> {
    let hs = &a.fleet;
    if hs.hosts.is_empty() {
        return None;
    }
    let order: Vec<usize> = a.fleet_order().into_iter().take(FLEET_ROWS).collect();
    let capped = hs.hosts.len() > FLEET_ROWS;
    Some(Chart {
        title: "Sockets by state per host".into(),
        subtitle: format!(
            "{} hosts, last snapshot of each host's main capture{}",
            crate::render::thousands(hs.hosts.len() as u64),
            if capped {
                format!("; the {FLEET_ROWS} most unusual shown, most unusual first")
            } else {
                String::new()
            }
        ),
        kind: ChartKind::Heatmap {
            rows: order.iter().map(|i| hs.hosts[*i].clone()).collect(),
            columns: hs.states.iter().map(|s| s.to_string()).collect(),
            values: order.iter().map(|i| hs.values[*i].clone()).collect(),
            value_label: "sockets".into(),
        },
        width: 1000,
        height: 0,
    })
}

/// One state per host across each host's capture: the fleet's most telling
/// state, as the analysis chose it; the most unusual hosts first.
pub fn fleet_time(a: &Analysis<'_>) -> Option<Chart> {
    let (state, hosts, values) = a.fleet_time.as_ref()?;
    let at: std::collections::HashMap<&str, usize> =
        hosts.iter().enumerate().map(|(i, h)| (h.as_str(), i)).collect();
    let order: Vec<usize> = a
        .fleet_order()
        .into_iter()
        .filter_map(|i| at.get(a.fleet.hosts[i].as_str()).copied())
        .take(FLEET_ROWS)
        .collect();
    let mut c = fleet_time_of(
        state,
        order.iter().map(|i| hosts[*i].clone()).collect(),
        order.iter().map(|i| values[*i].clone()).collect(),
    )?;
    if hosts.len() > FLEET_ROWS {
        c.subtitle.push_str(&format!(
            "; {FLEET_ROWS} of {} hosts, most unusual first",
            crate::render::thousands(hosts.len() as u64)
        ));
    }
    Some(c)
}

/// The fleet time chart of `state` from each host's values.
pub fn fleet_time_of(state: &str, hosts: Vec<String>, values: Vec<Vec<u64>>) -> Option<Chart> {
    let cols = values.iter().map(Vec::len).max()?;
    if cols < 2 {
        return None;
    }
    Some(Chart {
        title: format!("{state} per host over each capture"),
        subtitle: format!("each host's snapshots in {cols} equal slices (max per slice)"),
        kind: ChartKind::Heatmap {
            rows: hosts,
            columns: (1..=cols).map(|i| i.to_string()).collect(),
            values,
            value_label: "sockets".into(),
        },
        width: 1000,
        height: 0,
    })
}

/// Gives charts with height 0 the height their kind and rows need (the one
/// rule: [`Chart::default_size`]).
pub fn fit_height(c: &mut Chart) {
    if c.height == 0 {
        c.height = Chart::default_size(&c.kind).1;
    }
}
