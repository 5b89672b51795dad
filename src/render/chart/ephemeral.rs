//! [`ChartKind::EphemeralUse`](super::ChartKind::EphemeralUse): how close
//! each (local → remote:port) tuple is to exhausting the local port range.
//! Horizontal bars split TIME_WAIT (left, grey) from other states, with
//! labelled vertical lines at 50% and 80% of the range and at its size.

use plotters::style::RGBColor;

use super::Head;
use super::format::{percent, thousands};
use super::layout::{HBar, HBars, PAD, Rect, Rule, legend, legend_height};
use super::palette::state_color;
use super::scene::Scene;

/// Reference lines: share of the range, label (the range line adds the
/// size), colour, dashed.
const LINES: [(f64, &str, RGBColor, bool); 3] = [
    (0.5, "50%", RGBColor(0xB8, 0x8A, 0x00), true),
    (0.8, "80%", RGBColor(0xE0, 0x6C, 0x00), true),
    (1.0, "range", RGBColor(0xC0, 0x25, 0x25), false),
];

pub(super) fn draw(scene: &mut Scene, head: &Head, rows: &[(String, u64, u64)], range_size: u64) {
    if rows.iter().all(|(_, total, _)| *total == 0) {
        let reason =
            if rows.is_empty() { "no destinations to show" } else { "no sockets on any destination" };
        head.no_data(scene, reason);
        return;
    }
    let tw_color = state_color("TIME_WAIT");
    // Mostly ESTABLISHED in practice, so it borrows that colour.
    let other_color = state_color("ESTABLISHED");
    let tw_sum: u64 = rows.iter().map(|(_, t, tw)| (*tw).min(*t)).sum();
    let other_sum: u64 = rows.iter().map(|(_, t, tw)| t - (*tw).min(*t)).sum();
    let entries: Vec<(String, RGBColor)> =
        [("TIME_WAIT", tw_sum, tw_color), ("other states", other_sum, other_color)]
            .into_iter()
            .filter(|(_, n, _)| *n > 0)
            .map(|(l, _, c)| (l.to_string(), c))
            .collect();

    let (x0, x1) = (PAD, scene.width - PAD);
    let legend_h = legend_height(&entries, x0, x1);
    let top_ticks = rows.len() > 15;
    let chrome = legend_h + 6 + HBars::chrome_height(top_ticks, range_size > 0);
    let (header, shown) = super::hotspots::fit_rows(scene, head, rows.len(), chrome);
    let top = header.draw(scene);
    legend(scene, &entries, x0, top, x1);

    let bars: Vec<HBar> = rows[..shown]
        .iter()
        .map(|(label, total, tw)| {
            let tw = (*tw).min(*total);
            let end_label = if range_size > 0 {
                format!("{} ({})", thousands(*total), percent(*total, range_size))
            } else {
                thousands(*total)
            };
            HBar {
                label: label.clone(),
                segments: vec![(tw, tw_color), (total - tw, other_color)],
                end_label,
            }
        })
        .collect();
    let (x_title, rules) = if range_size > 0 {
        let rules: Vec<Rule> = LINES
            .iter()
            .map(|&(share, name, color, dashed)| Rule {
                value: range_size as f64 * share,
                label: if share == 1.0 {
                    format!("{name} {}", thousands(range_size))
                } else {
                    name.to_string()
                },
                color,
                dashed,
            })
            .collect();
        (format!("local ports in use (of {})", thousands(range_size)), rules)
    } else {
        ("local ports in use (range size unknown)".to_string(), Vec::new())
    };
    let area = Rect { x0, y0: top + legend_h + 6, x1, y1: scene.height - PAD + 4 };
    HBars { area, rows: &bars, x_title: &x_title, rules: &rules, label_share: 0.42, top_ticks }.draw(scene);
}
