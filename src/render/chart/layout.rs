//! Building blocks shared by the chart kinds: the look (colours, sizes,
//! margins), the title block, legends, the "no data" panel, nice value
//! scales with grid and tick labels, and the two bar layouts most charts
//! are made of (horizontal labelled bars, vertical category bars).

use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::{RGBColor, WHITE};

use super::format::{compact, thousands, tick, truncate_end, truncate_middle};
use super::scene::{Scene, Text, text_height, text_width};

/// Outer margin of every chart, in pixels.
pub(super) const PAD: i32 = 20;

/// Titles, values, category labels.
pub(super) const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
/// Subtitle, axis titles, notes.
pub(super) const MUTED: RGBColor = RGBColor(0x5A, 0x5A, 0x5A);
/// Tick labels.
pub(super) const TICK_INK: RGBColor = RGBColor(0x4A, 0x4A, 0x4A);
/// Grid lines: visible, but quieter than any data.
pub(super) const GRID: RGBColor = RGBColor(0xE3, 0xE3, 0xE3);
/// The zero line and frame edges.
pub(super) const AXIS: RGBColor = RGBColor(0x8A, 0x8A, 0x8A);
/// Background of every other row in long bar lists, to guide the eye from
/// label to bar.
pub(super) const ZEBRA: RGBColor = RGBColor(0xF5, 0xF6, 0xF8);

pub(super) const TITLE_SIZE: f64 = 22.0;
pub(super) const SUBTITLE_SIZE: f64 = 15.0;
pub(super) const AXIS_TITLE_SIZE: f64 = 15.0;
pub(super) const PANEL_TITLE_SIZE: f64 = 15.0;
pub(super) const TICK_SIZE: f64 = 13.5;
pub(super) const LABEL_SIZE: f64 = 14.0;
pub(super) const VALUE_SIZE: f64 = 13.0;
pub(super) const LEGEND_SIZE: f64 = 14.0;

/// A pixel rectangle `[x0, x1) × [y0, y1)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Rect {
    pub x0: i32,
    pub y0: i32,
    pub x1: i32,
    pub y1: i32,
}

impl Rect {
    pub fn w(&self) -> i32 {
        self.x1 - self.x0
    }
    pub fn h(&self) -> i32 {
        self.y1 - self.y0
    }
    pub fn cx(&self) -> i32 {
        (self.x0 + self.x1) / 2
    }
    pub fn cy(&self) -> i32 {
        (self.y0 + self.y1) / 2
    }
}

// ---------------------------------------------------------------- header

/// The title (bold) and the subtitle lines under it. The subtitle, with any
/// notes the chart adds (e.g. "showing top 60 of 500 rows"), wraps to at
/// most two lines.
pub(super) struct Header {
    title: String,
    title_full: Option<String>,
    lines: Vec<String>,
    subtitle_full: Option<String>,
}

impl Header {
    const TITLE_TOP: i32 = PAD - 4;
    const LINE: i32 = 20;

    pub fn new(width: i32, title: &str, subtitle: &str, notes: &[String]) -> Self {
        let max_w = width - 2 * PAD;
        let title_short = truncate_end(title, max_w, |s| text_width(s, TITLE_SIZE, true));
        let full: String = std::iter::once(subtitle.trim())
            .chain(notes.iter().map(String::as_str))
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · ");
        let (lines, cut) = wrap(&full, max_w, SUBTITLE_SIZE, 2);
        Header {
            title: title_short.clone().unwrap_or_else(|| title.to_string()),
            title_full: title_short.map(|_| title.to_string()),
            lines,
            subtitle_full: cut.then_some(full),
        }
    }

    /// The y where the chart body starts.
    pub fn bottom(&self) -> i32 {
        Self::TITLE_TOP + 28 + self.lines.len() as i32 * Self::LINE + 8
    }

    /// Draws the block; returns [`Header::bottom`].
    pub fn draw(&self, scene: &mut Scene) -> i32 {
        scene.text(
            Text::new(&self.title, (PAD, Self::TITLE_TOP), TITLE_SIZE, INK)
                .anchor(HPos::Left, VPos::Top)
                .bold()
                .tooltip(self.title_full.clone()),
        );
        for (i, line) in self.lines.iter().enumerate() {
            let y = Self::TITLE_TOP + 30 + i as i32 * Self::LINE;
            scene.text(
                Text::new(line, (PAD, y), SUBTITLE_SIZE, MUTED)
                    .anchor(HPos::Left, VPos::Top)
                    .tooltip(self.subtitle_full.clone()),
            );
        }
        self.bottom()
    }
}

/// Greedy word wrap into at most `max_lines`; the last line is cut with
/// "…" if text remains. Returns the lines and whether anything was cut.
fn wrap(text: &str, max_w: i32, size: f64, max_lines: usize) -> (Vec<String>, bool) {
    let width = |s: &str| text_width(s, size, false);
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut words = text.split(' ').filter(|w| !w.is_empty()).peekable();
    while let Some(word) = words.next() {
        let candidate = if current.is_empty() { word.to_string() } else { format!("{current} {word}") };
        if width(&candidate) <= max_w || current.is_empty() {
            current = candidate;
            continue;
        }
        if lines.len() + 1 == max_lines {
            // Out of lines: the rest goes on this one and is cut below.
            current = std::iter::once(candidate.as_str()).chain(words.by_ref()).collect::<Vec<_>>().join(" ");
            break;
        }
        lines.push(std::mem::replace(&mut current, word.to_string()));
    }
    if !current.is_empty() {
        lines.push(current);
    }
    let mut cut = false;
    if let Some(last) = lines.last_mut()
        && let Some(short) = truncate_end(last, max_w, width)
    {
        *last = short;
        cut = true;
    }
    (lines, cut)
}

// ---------------------------------------------------------------- legend

const SWATCH: i32 = 12;
const LEGEND_ROW: i32 = 22;

/// Positions of legend entries laid out left to right from `x0`, wrapping
/// before `x1`: (x, row) per entry.
fn legend_positions(entries: &[(String, RGBColor)], x0: i32, x1: i32) -> Vec<(i32, i32)> {
    let mut out = Vec::with_capacity(entries.len());
    let (mut x, mut row) = (x0, 0);
    for (label, _) in entries {
        let w = SWATCH + 6 + text_width(label, LEGEND_SIZE, false);
        if x > x0 && x + w > x1 {
            x = x0;
            row += 1;
        }
        out.push((x, row));
        x += w + 22;
    }
    out
}

/// Height a legend of `entries` takes between `x0` and `x1` (0 if empty).
pub(super) fn legend_height(entries: &[(String, RGBColor)], x0: i32, x1: i32) -> i32 {
    legend_positions(entries, x0, x1).last().map_or(0, |(_, row)| (row + 1) * LEGEND_ROW + 4)
}

/// Draws a legend row (wrapping as needed) with its top at `y`, outside
/// any plot area by construction; returns its height.
pub(super) fn legend(scene: &mut Scene, entries: &[(String, RGBColor)], x0: i32, y: i32, x1: i32) -> i32 {
    for ((label, color), (x, row)) in entries.iter().zip(legend_positions(entries, x0, x1)) {
        let cy = y + row * LEGEND_ROW + LEGEND_ROW / 2;
        scene.rect(x, cy - SWATCH / 2, x + SWATCH, cy + SWATCH / 2, *color);
        scene.text(Text::new(label, (x + SWATCH + 6, cy), LEGEND_SIZE, INK));
    }
    legend_height(entries, x0, x1)
}

// ---------------------------------------------------------------- no data

/// The whole chart when there is nothing to plot: title, subtitle and a
/// framed, centred message, so a report still shows the chart was made.
pub(super) fn no_data(scene: &mut Scene, title: &str, subtitle: &str, reason: &str) {
    let top = Header::new(scene.width, title, subtitle, &[]).draw(scene);
    let body = Rect { x0: PAD, y0: top + 8, x1: scene.width - PAD, y1: scene.height - PAD };
    let corners = vec![
        (body.x0, body.y0),
        (body.x1, body.y0),
        (body.x1, body.y1),
        (body.x0, body.y1),
        (body.x0, body.y0),
    ];
    scene.path(corners, GRID, 1);
    scene.text(
        Text::new("No data", (body.cx(), body.cy() - 12), 20.0, MUTED)
            .anchor(HPos::Center, VPos::Center)
            .bold(),
    );
    let reason_short = truncate_end(reason, body.w() - 20, |s| text_width(s, SUBTITLE_SIZE, false));
    scene.text(
        Text::new(
            reason_short.as_deref().unwrap_or(reason),
            (body.cx(), body.cy() + 16),
            SUBTITLE_SIZE,
            MUTED,
        )
        .anchor(HPos::Center, VPos::Center),
    );
}

// ---------------------------------------------------------------- scales

/// A linear map from data values to pixels.
#[derive(Debug, Clone, Copy)]
pub(super) struct Linear {
    pub d0: f64,
    pub d1: f64,
    pub r0: f64,
    pub r1: f64,
}

impl Linear {
    pub fn new(d0: f64, d1: f64, r0: i32, r1: i32) -> Self {
        Linear { d0, d1, r0: f64::from(r0), r1: f64::from(r1) }
    }
    pub fn map_f(&self, v: f64) -> f64 {
        let span = self.d1 - self.d0;
        if span == 0.0 {
            (self.r0 + self.r1) / 2.0
        } else {
            self.r0 + (v - self.d0) / span * (self.r1 - self.r0)
        }
    }
    pub fn map(&self, v: f64) -> i32 {
        self.map_f(v).round() as i32
    }
}

/// Evenly spaced ticks from 0 to `upper`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ticks {
    pub upper: f64,
    pub step: f64,
}

impl Ticks {
    pub fn values(&self) -> impl Iterator<Item = f64> + '_ {
        let n = (self.upper / self.step).round() as usize;
        (0..=n).map(move |i| i as f64 * self.step)
    }
    /// Width of the widest tick label.
    pub fn label_width(&self) -> i32 {
        self.values().map(|v| text_width(&tick(v), TICK_SIZE, false)).max().unwrap_or(0)
    }
}

/// The 1, 2 or 5 × 10ⁿ step nearest to `raw`; at least 1 when `integer`
/// (counts never get fractional ticks).
pub(super) fn nice_step(raw: f64, integer: bool) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    let f = raw / magnitude;
    // Nearest rather than next: the tick count stays near the target.
    let nice = if f < 1.5 {
        1.0
    } else if f < 3.0 {
        2.0
    } else if f < 7.0 {
        5.0
    } else {
        10.0
    };
    let step = nice * magnitude;
    if integer { step.max(1.0) } else { step }
}

/// Ticks from 0 to the tightest round upper bound ≥ `data_max` that needs
/// at most `max_intervals` steps of 1, 2, 2.5 or 5 × 10ⁿ (whole numbers
/// only). Callers fold their headroom (for value labels) into `data_max`.
pub(super) fn nice_ticks(data_max: f64, max_intervals: usize) -> Ticks {
    let data_max = if data_max.is_finite() && data_max > 0.0 { data_max } else { 1.0 };
    let max_intervals = max_intervals.max(1) as f64;
    let mut magnitude = 10f64.powf((data_max / max_intervals).log10().floor()).max(1.0);
    loop {
        for m in [1.0, 2.0, 2.5, 5.0] {
            let step = m * magnitude;
            if step.fract() != 0.0 {
                continue;
            }
            let intervals = (data_max / step - 1e-9).ceil().max(1.0);
            if intervals <= max_intervals {
                return Ticks { upper: intervals * step, step };
            }
        }
        magnitude *= 10.0;
    }
}

/// How many ticks fit along `length` pixels when each label needs `label`
/// pixels (plus room to breathe), between 3 and `max`.
pub(super) fn tick_target(length: i32, label: i32, max: usize) -> usize {
    ((length / (label + 36).max(1)) as usize).clamp(3, max)
}

/// Value axis along y: horizontal grid lines across `plot` and tick labels
/// to its left.
pub(super) fn y_axis(scene: &mut Scene, plot: Rect, scale: &Linear, ticks: &Ticks) {
    for v in ticks.values() {
        let y = scale.map(v);
        if v > 0.0 {
            scene.line((plot.x0, y), (plot.x1, y), GRID, 1);
        }
        scene.text(
            Text::new(tick(v), (plot.x0 - 8, y), TICK_SIZE, TICK_INK).anchor(HPos::Right, VPos::Center),
        );
    }
}

/// The zero line at the bottom of a vertical value axis.
pub(super) fn baseline(scene: &mut Scene, plot: Rect) {
    scene.line((plot.x0, plot.y1), (plot.x1, plot.y1), AXIS, 1);
}

/// A y-axis title, reading bottom-up, centred on `plot` at `x`.
pub(super) fn y_title(scene: &mut Scene, x: i32, plot: Rect, title: &str) {
    scene.text(
        Text::new(title, (x, plot.cy()), AXIS_TITLE_SIZE, MUTED)
            .anchor(HPos::Center, VPos::Center)
            .vertical(),
    );
}

/// Value axis along x: vertical grid lines and tick labels below `plot`,
/// and above it (bottoms at `above`) for tall charts.
pub(super) fn x_axis(scene: &mut Scene, plot: Rect, scale: &Linear, ticks: &Ticks, above: Option<i32>) {
    for v in ticks.values() {
        let x = scale.map(v);
        if v > 0.0 {
            scene.line((x, plot.y0), (x, plot.y1), GRID, 1);
        }
        scene.text(Text::new(tick(v), (x, plot.y1 + 7), TICK_SIZE, TICK_INK).anchor(HPos::Center, VPos::Top));
        if let Some(y) = above {
            scene.text(Text::new(tick(v), (x, y), TICK_SIZE, TICK_INK).anchor(HPos::Center, VPos::Bottom));
        }
    }
}

/// An x-axis title centred under `plot`, its top at `y`.
pub(super) fn x_title(scene: &mut Scene, plot: Rect, y: i32, title: &str) {
    scene.text(Text::new(title, (plot.cx(), y), AXIS_TITLE_SIZE, MUTED).anchor(HPos::Center, VPos::Top));
}

/// A small bold heading over a panel of a multi-panel chart.
pub(super) fn panel_title(scene: &mut Scene, x: i32, y: i32, title: &str) {
    scene.text(Text::new(title, (x, y), PANEL_TITLE_SIZE, INK).anchor(HPos::Left, VPos::Top).bold());
}

/// A label shortened (middle "…") to `max_w`, with the full text kept as
/// tooltip when shortened.
pub(super) fn fit_label(label: &str, max_w: i32, size: f64) -> (String, Option<String>) {
    match truncate_middle(label, max_w, |s| text_width(s, size, false)) {
        Some(short) => (short, Some(label.to_string())),
        None => (label.to_string(), None),
    }
}

/// A count as it fits in `max_w`: full with separators, else compact.
pub(super) fn fit_count(v: u64, max_w: i32, size: f64) -> String {
    let full = thousands(v);
    if text_width(&full, size, false) <= max_w { full } else { compact(v) }
}

/// A count and the font size to show it in `max_w`: in full at `size`, in
/// full a little smaller, else compact (12k).
pub(super) fn fit_count_sized(v: u64, max_w: i32, size: f64) -> (String, f64) {
    let full = thousands(v);
    let smaller = (size * 0.85).max(9.0);
    if text_width(&full, size, false) <= max_w {
        (full, size)
    } else if text_width(&full, smaller, false) <= max_w {
        (full, smaller)
    } else {
        let short = compact(v);
        let fits = text_width(&short, size, false) <= max_w;
        (short, if fits { size } else { smaller })
    }
}

// ---------------------------------------------------------------- horizontal bars

/// One labelled horizontal bar, made of coloured segments.
#[derive(Debug, Clone)]
pub(super) struct HBar {
    pub label: String,
    pub segments: Vec<(u64, RGBColor)>,
    /// Shown just past the bar's end (total, share).
    pub end_label: String,
}

/// A labelled vertical reference line across a bar list (a limit, a
/// threshold), drawn over the bars but under the value labels.
#[derive(Debug, Clone)]
pub(super) struct Rule {
    pub value: f64,
    pub label: String,
    pub color: RGBColor,
    pub dashed: bool,
}

/// What to draw as a horizontal bar list.
pub(super) struct HBars<'a> {
    /// Everything: row labels, bars, axis labels, axis title.
    pub area: Rect,
    pub rows: &'a [HBar],
    pub x_title: &'a str,
    /// Reference lines; the axis always reaches the largest.
    pub rules: &'a [Rule],
    /// Longest share of `area`'s width row labels may take.
    pub label_share: f64,
    /// Repeat the tick labels above the bars (long lists).
    pub top_ticks: bool,
}

/// Smallest row pitch that keeps labels legible.
pub(super) const MIN_ROW_PITCH: i32 = 15;

impl HBars<'_> {
    /// Vertical space taken by everything but the rows.
    pub fn chrome_height(top_ticks: bool, rules: bool) -> i32 {
        Self::bottom_space() + Self::ticks_space(top_ticks) + Self::rules_space(rules)
    }
    fn bottom_space() -> i32 {
        7 + text_height(TICK_SIZE) + 10 + text_height(AXIS_TITLE_SIZE) + 2
    }
    fn ticks_space(top_ticks: bool) -> i32 {
        if top_ticks { 7 + text_height(TICK_SIZE) + 6 } else { 4 }
    }
    fn rules_space(rules: bool) -> i32 {
        if rules { text_height(VALUE_SIZE) + 10 } else { 0 }
    }

    /// Draws the list over the whole of `area`; returns the plot rectangle
    /// (bars only).
    pub fn draw(&self, scene: &mut Scene) -> Rect {
        let n = self.rows.len().max(1) as i32;
        let rules_h = Self::rules_space(!self.rules.is_empty());
        let top = self.area.y0 + Self::ticks_space(self.top_ticks) + rules_h;
        let bottom = self.area.y1 - Self::bottom_space();
        let pitch = f64::from(bottom - top) / f64::from(n);
        // Labels shrink with the rows, but never below legibility.
        let label_size = if pitch >= 20.0 { LABEL_SIZE } else { (pitch * 0.7).clamp(9.0, LABEL_SIZE) };
        let max_label_w = (f64::from(self.area.w()) * self.label_share) as i32;
        let label_w = self
            .rows
            .iter()
            .map(|r| text_width(&r.label, label_size, false))
            .max()
            .unwrap_or(0)
            .min(max_label_w);
        let plot = Rect { x0: self.area.x0 + label_w + 10, y0: top, x1: self.area.x1 - 6, y1: bottom };

        // The axis must leave room for each end label past its bar, and
        // show every rule with a little air.
        let value_size = label_size.min(VALUE_SIZE);
        let pw = f64::from(plot.w());
        let mut need = self.rules.iter().map(|r| r.value * 1.04).fold(0.0, f64::max);
        for row in self.rows {
            let total: u64 = row.segments.iter().map(|(v, _)| v).sum();
            let lw = f64::from(text_width(&row.end_label, value_size, false) + 10);
            need = need.max(total as f64 * pw / (pw - lw).max(pw * 0.3));
        }
        let rough = nice_ticks(need, 6);
        let ticks = nice_ticks(need, tick_target(plot.w(), rough.label_width(), 10));
        let scale = Linear::new(0.0, ticks.upper, plot.x0, plot.x1);

        let row_y = |i: usize| f64::from(top) + pitch * i as f64;
        let zebra = self.rows.len() > 6;
        let background = |i: usize| if zebra && i % 2 == 1 { ZEBRA } else { WHITE };
        if zebra {
            for i in (1..self.rows.len()).step_by(2) {
                let (y0, y1) = (row_y(i).round() as i32, row_y(i + 1).round() as i32);
                scene.rect(self.area.x0, y0, plot.x1, y1, ZEBRA);
            }
        }
        let above = self.top_ticks.then_some(plot.y0 - rules_h - 7);
        x_axis(scene, plot, &scale, &ticks, above);
        x_title(scene, plot, plot.y1 + 7 + text_height(TICK_SIZE) + 10, self.x_title);

        // Few rows spread over the height get thicker bars, within reason.
        let bar_h = (pitch * 0.66).clamp(2.0, 36.0);
        let mut ends = Vec::with_capacity(self.rows.len());
        for (i, row) in self.rows.iter().enumerate() {
            let cy = row_y(i) + pitch / 2.0;
            let (y0, y1) = ((cy - bar_h / 2.0).round() as i32, (cy + bar_h / 2.0).round() as i32);
            let mut acc = 0u64;
            let mut x_end = plot.x0;
            let last = row.segments.iter().rposition(|(v, _)| *v > 0);
            for (j, (v, color)) in row.segments.iter().enumerate() {
                if *v == 0 {
                    continue;
                }
                let x0 = scale.map(acc as f64);
                acc += v;
                // A non-zero segment is never invisible.
                let x1 = scale.map(acc as f64).max(x0 + 1);
                // A hairline gap between segments keeps similar colours apart.
                let gap = i32::from(Some(j) != last && x1 - x0 >= 4);
                scene.rect(x0, y0, x1 - gap, y1, *color);
                x_end = x1;
            }
            ends.push((x_end, cy.round() as i32));
        }
        scene.line((plot.x0, plot.y0), (plot.x0, plot.y1), AXIS, 1);
        self.draw_rules(scene, plot, &scale);

        for (i, (row, (x_end, cy))) in self.rows.iter().zip(ends).enumerate() {
            let end = Text::new(&row.end_label, (x_end + 5, cy), value_size, INK);
            if !self.rules.is_empty() {
                // A halo in the row's colour keeps the label readable where
                // a rule crosses it.
                let (x0, y0, x1, y1) = end.bbox();
                scene.rect(x0 - 2, y0 - 1, x1 + 2, y1 + 1, background(i));
            }
            scene.text(end);
            let (label, full) = fit_label(&row.label, label_w, label_size);
            scene.text(
                Text::new(label, (plot.x0 - 8, cy), label_size, INK)
                    .anchor(HPos::Right, VPos::Center)
                    .tooltip(full),
            );
        }
        plot
    }

    /// The rules over the bars, their labels in the strip above the plot.
    fn draw_rules(&self, scene: &mut Scene, plot: Rect, scale: &Linear) {
        let label_y = plot.y0 - Self::rules_space(true) / 2;
        let mut rules: Vec<&Rule> = self.rules.iter().collect();
        rules.sort_by(|a, b| a.value.total_cmp(&b.value));
        // Right to left, so when rules crowd together (an outlier squeezing
        // the axis) the largest one keeps its label.
        let mut left_limit = i32::MAX;
        for rule in rules.into_iter().rev() {
            let x = scale.map(rule.value);
            if rule.dashed {
                scene.dashed((x, label_y + 9), (x, plot.y1), rule.color, 2, 6, 4);
            } else {
                scene.line((x, label_y + 9), (x, plot.y1), rule.color, 2);
            }
            let mut label = Text::new(&rule.label, (x, label_y), VALUE_SIZE, rule.color)
                .anchor(HPos::Center, VPos::Center)
                .bold();
            // Keep the label inside the chart: slide it off the edge.
            let (_, _, r, _) = label.bbox();
            label.at.0 -= (r - (scene.width - PAD)).max(0);
            let (l, _, r, _) = label.bbox();
            if r + 8 <= left_limit {
                left_limit = l;
                scene.text(label);
            }
        }
    }
}

// ---------------------------------------------------------------- vertical bars

/// One vertical category bar.
#[derive(Debug, Clone)]
pub(super) struct VBar {
    pub label: String,
    pub value: u64,
    pub color: RGBColor,
}

/// How category labels under vertical bars are set, widest first.
#[derive(Debug, Clone, Copy, PartialEq)]
enum LabelMode {
    /// Side by side.
    Across,
    /// Alternating between two lines.
    Staggered,
    /// Rotated to read bottom-up, hanging from the axis.
    Upright,
}

/// Draws vertical bars with value labels on top, a value axis on the
/// left and category labels below, all inside `area`.
pub(super) fn vbars(scene: &mut Scene, area: Rect, bars: &[VBar], y_label: &str, x_label: Option<&str>) {
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0) as f64;
    let title_x = area.x0 + text_height(AXIS_TITLE_SIZE) / 2 + 1;
    // Tick labels are sized from a first guess at the axis, refined below.
    let guess = nice_ticks(max * 1.15, 4);
    let x0 = title_x + text_height(AXIS_TITLE_SIZE) / 2 + 10 + guess.label_width() + 8;
    let plot_w = area.x1 - x0;
    let n = bars.len().max(1) as i32;
    let slot = f64::from(plot_w) / f64::from(n);
    let widest = bars.iter().map(|b| text_width(&b.label, LABEL_SIZE, false)).max().unwrap_or(0);
    let line = text_height(LABEL_SIZE) + 6;
    let max_upright = area.h() * 2 / 5;
    let mode = if f64::from(widest) <= slot - 8.0 {
        LabelMode::Across
    } else if f64::from(widest) <= 2.0 * slot - 12.0 {
        LabelMode::Staggered
    } else {
        LabelMode::Upright
    };
    let labels_h = match mode {
        LabelMode::Across => 8 + line,
        LabelMode::Staggered => 8 + 2 * line,
        LabelMode::Upright => 8 + widest.min(max_upright) + 4,
    };
    let title_h = x_label.map_or(0, |_| 8 + text_height(AXIS_TITLE_SIZE));
    let plot = Rect { x0, y0: area.y0 + 4, x1: area.x1, y1: area.y1 - labels_h - title_h };

    // Headroom so the value label over the tallest bar stays inside.
    let headroom = f64::from(text_height(VALUE_SIZE) + 10);
    let need = max * f64::from(plot.h()) / (f64::from(plot.h()) - headroom).max(1.0);
    let ticks = nice_ticks(need, tick_target(plot.h(), 14, 8));
    let scale = Linear::new(0.0, ticks.upper, plot.y1, plot.y0);
    y_axis(scene, plot, &scale, &ticks);
    y_title(scene, title_x, plot, y_label);

    let bar_w = (slot * 0.66).clamp(1.0, 90.0);
    let label_room = (slot - 4.0) as i32;
    for (i, bar) in bars.iter().enumerate() {
        let cx = f64::from(plot.x0) + slot * (i as f64 + 0.5);
        let (bx0, bx1) = ((cx - bar_w / 2.0).round() as i32, (cx + bar_w / 2.0).round() as i32);
        let top = scale.map(bar.value as f64);
        scene.rect(bx0, top, bx1.max(bx0 + 1), plot.y1, bar.color);
        let cxi = cx.round() as i32;
        let (value, size) = fit_count_sized(bar.value, label_room, VALUE_SIZE);
        scene.text(Text::new(value, (cxi, top - 4), size, INK).anchor(HPos::Center, VPos::Bottom));
        match mode {
            LabelMode::Across | LabelMode::Staggered => {
                let y = plot.y1 + 8 + if mode == LabelMode::Staggered && i % 2 == 1 { line } else { 0 };
                if y > plot.y1 + 8 {
                    scene.line((cxi, plot.y1 + 2), (cxi, y - 3), GRID, 1);
                }
                scene.text(Text::new(&bar.label, (cxi, y), LABEL_SIZE, INK).anchor(HPos::Center, VPos::Top));
            }
            LabelMode::Upright => {
                let size = LABEL_SIZE.min((slot * 0.9).max(8.0));
                let (label, full) = fit_label(&bar.label, max_upright, size);
                scene.text(
                    Text::new(label, (cxi, plot.y1 + 8), size, INK)
                        .anchor(HPos::Right, VPos::Center)
                        .vertical()
                        .tooltip(full),
                );
            }
        }
    }
    baseline(scene, plot);
    if let Some(title) = x_label {
        x_title(scene, plot, plot.y1 + labels_h + 8, title);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_bounds() {
        let t = nice_ticks(7.0, 6);
        assert_eq!((t.upper, t.step), (8.0, 2.0));
        let t = nice_ticks(1234.0, 5);
        assert_eq!((t.upper, t.step), (1250.0, 250.0));
        let t = nice_ticks(65_000.0, 3);
        assert_eq!((t.upper, t.step), (75_000.0, 25_000.0));
        let t = nice_ticks(0.0, 5);
        assert!(t.upper >= 1.0 && t.step >= 1.0);
        let t = nice_ticks(3.0, 10);
        assert_eq!(t.step, 1.0, "counts never get fractional ticks");
        assert_eq!(t.values().count(), 4);
        let t = nice_ticks(2.0, 3);
        assert_eq!((t.upper, t.step), (2.0, 1.0), "no 2.5 steps below 10");
    }

    #[test]
    fn wrapping() {
        super::super::ensure_fonts();
        let (lines, cut) = wrap("one two three", 10_000, 15.0, 2);
        assert_eq!((lines, cut), (vec!["one two three".to_string()], false));
        let long = "word ".repeat(200);
        let (lines, cut) = wrap(&long, 300, 15.0, 2);
        assert_eq!(lines.len(), 2);
        assert!(cut && lines[1].ends_with('…'));
    }
}
