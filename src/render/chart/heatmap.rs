//! [`ChartKind::Heatmap`](super::ChartKind::Heatmap): a fleet at a glance,
//! hosts × states (or time buckets), colour = value on a sequential,
//! colour-blind-safe scale with a colour bar; values written in the cells
//! when they fit.
//!
//! A heatmap stops being readable long before 500 rows: past [`MAX_ROWS`]
//! (or what fits the height at a legible pitch) it shows the rows with the
//! largest totals, largest first, and appends a note saying so to the
//! subtitle. Heavy-tailed values (max ≥ 50 × the smallest non-zero one)
//! switch the colour scale to logarithmic, also labelled.

use plotters::style::text_anchor::{HPos, VPos};

use super::Head;
use super::format::{compact, thousands};
use super::layout::{
    AXIS_TITLE_SIZE, Header, INK, LABEL_SIZE, MIN_ROW_PITCH, MUTED, PAD, Rect, TICK_INK, TICK_SIZE,
    fit_count, fit_label, nice_ticks,
};
use super::palette::{ZERO_CELL, sequential, text_on};
use super::scene::{Scene, Text, text_height, text_width};

/// Most rows a heatmap shows.
pub(super) const MAX_ROWS: usize = 60;

/// Tallest row: a handful of hosts should not turn into slabs.
const MAX_PITCH: i32 = 36;

/// Narrowest column before neighbouring columns are merged.
const MIN_COLUMN: i32 = 3;

const BAR_W: i32 = 16;

pub(super) fn draw(
    scene: &mut Scene,
    head: &Head,
    rows: &[String],
    columns: &[String],
    values: &[Vec<u64>],
    value_label: &str,
) {
    let cell = |r: usize, c: usize| values.get(r).and_then(|row| row.get(c)).copied().unwrap_or(0);
    let any = (0..rows.len()).any(|r| (0..columns.len()).any(|c| cell(r, c) > 0));
    if !any {
        let reason =
            if rows.is_empty() || columns.is_empty() { "no rows or columns" } else { "every value is zero" };
        head.no_data(scene, reason);
        return;
    }

    // Horizontal frame: row labels | cells | colour bar.
    let label_w =
        rows.iter().map(|r| text_width(r, LABEL_SIZE, false)).max().unwrap_or(0).min(scene.width * 28 / 100);
    let max_all =
        (0..rows.len()).flat_map(|r| (0..columns.len()).map(move |c| (r, c))).map(|(r, c)| cell(r, c));
    let max_all = max_all.max().unwrap_or(0);
    let bar_region =
        BAR_W + 6 + text_width(&thousands(max_all), TICK_SIZE, false) + 12 + text_height(AXIS_TITLE_SIZE) + 4;
    let plot_x0 = PAD + label_w + 8;
    let plot_x1 = scene.width - PAD - bar_region - 16;
    let plot_w = plot_x1 - plot_x0;

    // Too many columns for the width: merge neighbours (sums), say so.
    let mut notes = Vec::new();
    let group = columns.len().div_ceil((plot_w / MIN_COLUMN).max(1) as usize).max(1);
    let merged: Vec<(String, Vec<usize>)> = (0..columns.len())
        .step_by(group)
        .map(|start| {
            let members: Vec<usize> = (start..(start + group).min(columns.len())).collect();
            (columns[start].clone(), members)
        })
        .collect();
    if group > 1 {
        notes.push(format!("{} columns merged in groups of {group}", columns.len()));
    }
    let value = |r: usize, c: usize| merged[c].1.iter().map(|&m| cell(r, m)).sum::<u64>();
    let n_cols = merged.len();
    let col_w = f64::from(plot_w) / n_cols as f64;

    // Column labels: across when they fit, else upright (every k-th one
    // when even upright text is thicker than a column).
    let widest_at = |size: f64| merged.iter().map(|(l, _)| text_width(l, size, false)).max().unwrap_or(0);
    let fits_across = |size: f64| f64::from(widest_at(size)) <= col_w - 6.0;
    let across_size = [LABEL_SIZE, 12.0].into_iter().find(|&size| fits_across(size));
    let upright = across_size.is_none();
    let col_label_size = across_size.unwrap_or_else(|| LABEL_SIZE.min(col_w.max(9.0)));
    let widest = widest_at(col_label_size);
    let every = if upright {
        ((f64::from(text_height(col_label_size)) + 4.0) / col_w).ceil().max(1.0) as usize
    } else {
        1
    };
    let max_upright = 140;
    let col_labels_h = if upright { widest.min(max_upright) + 10 } else { text_height(LABEL_SIZE) + 10 };

    // Vertical frame: header, column labels, rows at a legible pitch.
    let fits = |header: &Header| {
        let room = scene.height - PAD - header.bottom() - col_labels_h;
        ((room / MIN_ROW_PITCH).max(1) as usize).min(MAX_ROWS)
    };
    let mut header = head.header(scene, &notes);
    let mut shown = rows.len().min(fits(&header));
    if shown < rows.len() {
        let note =
            |k: usize| format!("showing the top {k} of {} rows by total", thousands(rows.len() as u64));
        let first = head.header(scene, &[notes.clone(), vec![note(shown)]].concat());
        shown = shown.min(fits(&first));
        notes.push(note(shown));
        header = head.header(scene, &notes);
    }
    let top = header.draw(scene);

    // The rows to show: all in the caller's order, or the largest totals
    // first (stable, so ties keep the caller's order).
    let mut picked: Vec<usize> = (0..rows.len()).collect();
    if shown < rows.len() {
        let total = |r: usize| (0..n_cols).map(|c| value(r, c)).sum::<u64>();
        picked.sort_by_key(|&r| std::cmp::Reverse(total(r)));
        picked.truncate(shown);
    }

    let plot_y0 = top + col_labels_h;
    let pitch = ((scene.height - PAD - plot_y0) / shown as i32).min(MAX_PITCH);
    let plot = Rect { x0: plot_x0, y0: plot_y0, x1: plot_x1, y1: plot_y0 + pitch * shown as i32 };

    let max = picked.iter().flat_map(|&r| (0..n_cols).map(move |c| (r, c))).map(|(r, c)| value(r, c)).max();
    let max = max.unwrap_or(0).max(1);
    let min_nonzero = picked
        .iter()
        .flat_map(|&r| (0..n_cols).map(move |c| (r, c)))
        .map(|(r, c)| value(r, c))
        .filter(|v| *v > 0)
        .min()
        .unwrap_or(1);
    let scale = Scale { max, log: max >= 100 && max / min_nonzero >= 50 };

    // Cells, with a white hairline between them when they are big enough.
    let col_x = |c: usize| plot.x0 + (col_w * c as f64).round() as i32;
    let gap = i32::from(col_w >= 6.0 && pitch >= 6);
    let value_size = (f64::from(pitch) * 0.62).min(12.0);
    for (i, &r) in picked.iter().enumerate() {
        let y0 = plot.y0 + pitch * i as i32;
        for c in 0..n_cols {
            let v = value(r, c);
            let (x0, x1) = (col_x(c), col_x(c + 1));
            let fill = if v == 0 { ZERO_CELL } else { sequential(scale.position(v)) };
            scene.rect(x0, y0, x1 - gap, y0 + pitch - gap, fill);
            if v > 0 && pitch >= 13 {
                let room = x1 - x0 - gap - 4;
                let text = fit_count(v, room, value_size);
                if text_width(&text, value_size, false) <= room {
                    let at = ((x0 + x1 - gap) / 2, y0 + (pitch - gap) / 2);
                    scene.text(
                        Text::new(text, at, value_size, text_on(fill)).anchor(HPos::Center, VPos::Center),
                    );
                }
            }
        }
        let label_size = if pitch >= 18 { LABEL_SIZE } else { (f64::from(pitch) * 0.75).max(9.0) };
        let (label, full) = fit_label(&rows[r], label_w, label_size);
        scene.text(
            Text::new(label, (plot.x0 - 8, y0 + (pitch - gap) / 2), label_size, INK)
                .anchor(HPos::Right, VPos::Center)
                .tooltip(full),
        );
    }

    for (c, (label, _)) in merged.iter().enumerate() {
        if c % every != 0 {
            continue;
        }
        let cx = (col_x(c) + col_x(c + 1) - gap) / 2;
        let text = if upright {
            let (short, full) = fit_label(label, max_upright, col_label_size);
            Text::new(short, (cx, plot.y0 - 6), col_label_size, INK)
                .anchor(HPos::Left, VPos::Center)
                .vertical()
                .tooltip(full)
        } else {
            Text::new(label, (cx, plot.y0 - 6), col_label_size, INK).anchor(HPos::Center, VPos::Bottom)
        };
        scene.text(text);
    }

    colour_bar(scene, &scale, plot_x1 + 16, plot.y0, plot.h(), value_label);
}

/// Maps values to the colour scale's 0..=1.
struct Scale {
    max: u64,
    log: bool,
}

impl Scale {
    fn position(&self, v: u64) -> f64 {
        if self.log { (v as f64).ln_1p() / (self.max as f64).ln_1p() } else { v as f64 / self.max as f64 }
    }

    /// Values to label on the colour bar.
    fn ticks(&self) -> Vec<u64> {
        if self.log {
            std::iter::successors(Some(1u64), |v| v.checked_mul(10)).take_while(|v| *v <= self.max).collect()
        } else {
            let t = nice_ticks(self.max as f64, 5);
            t.values().map(|v| v as u64).filter(|v| *v > 0 && *v <= self.max).collect()
        }
    }
}

/// The colour bar: a gradient from the lowest non-zero value (bottom) to
/// the maximum (top), labelled ticks, a "0" swatch under it and the value
/// caption reading bottom-up beside it.
fn colour_bar(scene: &mut Scene, scale: &Scale, x: i32, y0: i32, plot_h: i32, caption: &str) {
    let h = plot_h.clamp(60, 280);
    let swatch = 12;
    let bar_h = h - swatch - 10;
    let y1 = y0 + bar_h;
    for k in 0..bar_h {
        let t = f64::from(bar_h - 1 - k) / f64::from((bar_h - 1).max(1));
        scene.rect(x, y0 + k, x + BAR_W, y0 + k + 1, sequential(t));
    }
    let mut label_right = x + BAR_W;
    let mut last_y = i32::MAX;
    let mut marks: Vec<u64> = scale.ticks();
    if marks.last() != Some(&scale.max) {
        marks.push(scale.max);
    }
    for v in marks.into_iter().rev() {
        let y = y1 - (scale.position(v) * f64::from(bar_h)).round() as i32;
        // Skip a tick whose label would touch the one above it.
        if last_y != i32::MAX && (y - last_y).abs() < text_height(TICK_SIZE) + 4 {
            continue;
        }
        let label = if v == scale.max {
            thousands(v)
        } else if scale.log {
            compact(v)
        } else {
            thousands(v)
        };
        scene.line((x + BAR_W, y), (x + BAR_W + 4, y), MUTED, 1);
        let text = Text::new(label, (x + BAR_W + 6, y), TICK_SIZE, TICK_INK);
        label_right = label_right.max(text.bbox().2);
        scene.text(text);
        last_y = y;
    }
    let sy = y1 + 10;
    scene.rect(x, sy, x + BAR_W, sy + swatch, ZERO_CELL);
    scene.text(Text::new("0", (x + BAR_W + 6, sy + swatch / 2), TICK_SIZE, TICK_INK));
    let caption = if scale.log { format!("{caption} (log scale)") } else { caption.to_string() };
    let cx = label_right + 8 + text_height(AXIS_TITLE_SIZE) / 2;
    let (caption, full) = fit_label(&caption, h, AXIS_TITLE_SIZE);
    scene.text(
        Text::new(caption, (cx, y0 + h / 2), AXIS_TITLE_SIZE, MUTED)
            .anchor(HPos::Center, VPos::Center)
            .vertical()
            .tooltip(full),
    );
}
