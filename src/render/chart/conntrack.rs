//! [`ChartKind::Conntrack`](super::ChartKind::Conntrack): what the
//! connection-tracking table is made of. Left: entries by conntrack state
//! (horizontal bars). Right: one 100% bar splitting all entries into
//! assured / unreplied / other. Below, when timeouts are given: a
//! histogram of remaining timeouts in log2 buckets.

use plotters::style::RGBColor;
use plotters::style::text_anchor::{HPos, VPos};

use super::Head;
use super::format::{percent, thousands};
use super::layout::{
    AXIS, GRID, HBar, HBars, INK, MIN_ROW_PITCH, MUTED, PAD, PANEL_TITLE_SIZE, Rect, TICK_INK, TICK_SIZE,
    VALUE_SIZE, VBar, panel_title, vbars,
};
use super::palette::state_color;
use super::scene::{Scene, Text, text_height, text_width};

/// Bars of the timeout histogram: not a state, so a neutral steel blue.
const TIMEOUT_COLOR: RGBColor = RGBColor(0x4C, 0x78, 0xA8);

/// Space between a panel title and its content.
const TITLE_GAP: i32 = 26;

pub(super) fn draw(
    scene: &mut Scene,
    head: &Head,
    states: &[(String, u64)],
    assured: u64,
    unreplied: u64,
    total: u64,
    timeouts: &[(String, u64)],
) {
    let state_sum: u64 = states.iter().map(|(_, n)| n).sum();
    let has_timeouts = timeouts.iter().any(|(_, n)| *n > 0);
    // Flags can only describe entries that exist.
    let total = total.max(assured.saturating_add(unreplied));
    if total == 0 && state_sum == 0 && !has_timeouts {
        head.no_data(scene, "the conntrack table is empty");
        return;
    }
    // A histogram squeezed under the bars would help nobody: below this
    // body height it is left out, and the subtitle says so.
    let mut notes = Vec::new();
    let plain = head.header(scene, &[]);
    let room = scene.height - PAD - plain.bottom();
    let show_timeouts = has_timeouts && room >= MIN_HEIGHT_WITH_TIMEOUTS;
    if has_timeouts && !show_timeouts {
        notes.push("timeout histogram left out (chart too short)".to_string());
    }
    let flags_title = format!("Flags, of {} entries", thousands(total));
    let right_w =
        share_width(assured, unreplied, total).max(text_width(&flags_title, PANEL_TITLE_SIZE, true));

    // States beyond what fits at a legible pitch are summed into one row.
    let header_with = |notes: &[String]| head.header(scene, notes);
    let height = scene.height;
    let upper_h = |header: &super::layout::Header| {
        let body_h = height - PAD + 4 - (header.bottom() + 4);
        if show_timeouts { body_h / 2 } else { body_h }
    };
    let fits = |header: &super::layout::Header| {
        let rows_h = upper_h(header) - TITLE_GAP - HBars::chrome_height(false, false);
        (rows_h / MIN_ROW_PITCH).max(2) as usize
    };
    let mut header = header_with(&notes);
    let mut rows = state_rows(states, state_sum, fits(&header));
    if rows.len() < states.len() {
        notes.push(format!("{} smallest states summed", states.len() - rows.len() + 1));
        header = header_with(&notes);
        rows = state_rows(states, state_sum, fits(&header));
    }
    let top = header.draw(scene);
    let body = Rect { x0: PAD, y0: top + 4, x1: scene.width - PAD, y1: scene.height - PAD + 4 };
    let upper_y1 = body.y0 + upper_h(&header);
    let right = Rect { x0: body.x1 - right_w, y0: body.y0, x1: body.x1, y1: upper_y1 };
    let left = Rect { x0: body.x0, y0: body.y0, x1: right.x0 - 36, y1: upper_y1 };

    panel_title(scene, left.x0, left.y0, "Entries by state");
    let plot = if rows.is_empty() {
        let plot = Rect { y0: left.y0 + TITLE_GAP, y1: left.y1 - 44, ..left };
        note(scene, plot, "no per-state counts");
        plot
    } else {
        let area = Rect { y0: left.y0 + TITLE_GAP, ..left };
        HBars { area, rows: &rows, x_title: "entries", rules: &[], label_share: 0.3, top_ticks: false }
            .draw(scene)
    };

    panel_title(scene, right.x0, right.y0, &flags_title);
    let share_plot = Rect { x0: right.x0, y0: plot.y0, x1: right.x1, y1: plot.y1 };
    if total == 0 {
        note(scene, share_plot, "no flag counts");
    } else {
        share_bar(scene, share_plot, assured, unreplied, total);
    }

    if show_timeouts {
        let lower = Rect { x0: body.x0, y0: upper_y1 + 18, x1: body.x1, y1: body.y1 };
        panel_title(scene, lower.x0, lower.y0, "Remaining timeout");
        let bars: Vec<VBar> = timeouts
            .iter()
            .map(|(l, n)| VBar { label: l.clone(), value: *n, color: TIMEOUT_COLOR })
            .collect();
        let area = Rect { y0: lower.y0 + TITLE_GAP, ..lower };
        vbars(scene, area, &bars, "entries", Some("seconds until the entry expires"));
    }
}

/// Body height under which the timeout histogram is left out.
const MIN_HEIGHT_WITH_TIMEOUTS: i32 = 440;

/// One bar per state, at most `max` of them: past that the smallest are
/// summed into a last "other (k states)" row, so the panel stays legible.
fn state_rows(states: &[(String, u64)], state_sum: u64, max: usize) -> Vec<HBar> {
    if state_sum == 0 {
        return Vec::new();
    }
    let bar = |label: String, n: u64, color| HBar {
        label,
        segments: vec![(n, color)],
        end_label: format!("{} ({})", thousands(n), percent(n, state_sum)),
    };
    if states.len() <= max {
        return states.iter().map(|(s, n)| bar(s.clone(), *n, state_color(s))).collect();
    }
    let mut ranked: Vec<&(String, u64)> = states.iter().collect();
    ranked.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    let (kept, rest) = ranked.split_at(max - 1);
    // Keep the caller's order among the states shown.
    let mut rows: Vec<HBar> = states
        .iter()
        .filter(|s| kept.iter().any(|k| std::ptr::eq(*k, *s)))
        .map(|(s, n)| bar(s.clone(), *n, state_color(s)))
        .collect();
    let rest_sum = rest.iter().map(|(_, n)| n).sum();
    rows.push(bar(format!("other ({} states)", rest.len()), rest_sum, state_color("other")));
    rows
}

/// Width the share bar with its axis and labels needs.
fn share_width(assured: u64, unreplied: u64, total: u64) -> i32 {
    let widest = [assured, unreplied, total]
        .iter()
        .map(|n| text_width(&format!("100.0% · {}", thousands(*n)), VALUE_SIZE, false))
        .chain(["unreplied"].iter().map(|l| text_width(l, VALUE_SIZE, true)))
        .max()
        .unwrap_or(0);
    text_width("100%", TICK_SIZE, false) + 10 + BAR_W + 26 + widest + 4
}

/// Width of the 100% bar.
const BAR_W: i32 = 48;

/// The stacked 100% bar with a 0–100% axis on its left and, on its right,
/// one label per segment, pushed apart where segments are thin.
fn share_bar(scene: &mut Scene, plot: Rect, assured: u64, unreplied: u64, total: u64) {
    let other = total.saturating_sub(assured + unreplied);
    let parts = [("assured", assured), ("unreplied", unreplied), ("other", other)];
    let tick_w = text_width("100%", TICK_SIZE, false);
    let bar_x0 = plot.x0 + tick_w + 10;
    let bar_x1 = bar_x0 + BAR_W;
    let y_of = |share: f64| plot.y1 - (share * f64::from(plot.h())).round() as i32;
    for pct in [0, 25, 50, 75, 100] {
        let y = y_of(f64::from(pct) / 100.0);
        scene.line((bar_x0 - 4, y), (bar_x1, y), GRID, 1);
        scene.text(
            Text::new(format!("{pct}%"), (bar_x0 - 8, y), TICK_SIZE, TICK_INK)
                .anchor(HPos::Right, VPos::Center),
        );
    }

    // Segments bottom-up; remember each one's middle for its label.
    let mut acc = 0u64;
    let mut wanted: Vec<(f64, &str, u64)> = Vec::new();
    for (name, n) in parts {
        if n == 0 {
            continue;
        }
        let (y_lo, y_hi) = (y_of(acc as f64 / total as f64), y_of((acc + n) as f64 / total as f64));
        acc += n;
        scene.rect(bar_x0, y_hi, bar_x1, y_lo.max(y_hi + 1), state_color(name));
        wanted.push((f64::from(y_hi + y_lo) / 2.0, name, n));
    }
    scene.line((bar_x0 - 4, plot.y1), (bar_x1, plot.y1), AXIS, 1);

    // Two-line labels: name, then share and count.
    let block = f64::from(2 * text_height(VALUE_SIZE) + 10);
    let placed = spread(&wanted.iter().map(|w| w.0).collect::<Vec<_>>(), block, plot);
    let label_x = bar_x1 + 26;
    for ((want, name, n), y) in wanted.iter().zip(placed) {
        let (want_i, y_i) = (want.round() as i32, y.round() as i32);
        scene.path(vec![(bar_x1 + 2, want_i), (bar_x1 + 12, want_i), (label_x - 4, y_i)], MUTED, 1);
        let half = (block / 4.0).round() as i32;
        scene.text(Text::new(*name, (label_x, y_i - half), VALUE_SIZE, INK).bold());
        let detail = format!("{} · {}", percent(*n, total), thousands(*n));
        scene.text(Text::new(detail, (label_x, y_i + half), VALUE_SIZE, MUTED));
    }
}

/// Moves label centres (given bottom-up, i.e. decreasing y) the least
/// needed to keep `gap` between neighbours while staying inside `within`.
fn spread(wanted: &[f64], gap: f64, within: Rect) -> Vec<f64> {
    let (lo, hi) = (f64::from(within.y0) + gap / 2.0, f64::from(within.y1) - gap / 2.0);
    let mut ys: Vec<f64> = wanted.iter().map(|y| y.clamp(lo, hi)).collect();
    // Upwards pass: each label at least `gap` above the one below it.
    for i in 1..ys.len() {
        ys[i] = ys[i].min(ys[i - 1] - gap);
    }
    // If that pushed the top one out, shift everything down as needed.
    if let Some(&top) = ys.last()
        && top < lo
    {
        let shift = lo - top;
        for y in &mut ys {
            *y += shift;
        }
    }
    ys
}

/// A quiet message in place of a panel's content.
fn note(scene: &mut Scene, area: Rect, message: &str) {
    scene.text(
        Text::new(message, (area.cx(), area.cy()), VALUE_SIZE, MUTED).anchor(HPos::Center, VPos::Center),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_keeps_order_and_gaps() {
        let area = Rect { x0: 0, y0: 0, x1: 10, y1: 300 };
        let ys = spread(&[290.0, 150.0, 149.0], 30.0, area);
        assert_eq!(ys[0], 285.0);
        assert_eq!(ys[1], 150.0);
        assert_eq!(ys[2], 120.0);
        let ys = spread(&[20.0, 10.0, 5.0], 30.0, area);
        assert!(ys.windows(2).all(|w| w[0] - w[1] >= 30.0 - 1e-9) && ys[2] >= 15.0);
    }
}
