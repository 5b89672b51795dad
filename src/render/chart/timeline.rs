//! [`ChartKind::Timeline`](super::ChartKind::Timeline): socket states over
//! time as stacked areas, on a true time axis (ticks at round times in the
//! data's UTC offset, the date shown where it changes) or on snapshot
//! numbers.
//!
//! Density decides the drawing: one point is a stacked bar (an area needs
//! two), up to [`MARKER_LIMIT`] points get a marker per sample so the
//! sampling is visible, longer series are plain areas reduced to at most
//! two samples per pixel column.

use chrono::{DateTime, FixedOffset};
use plotters::style::RGBColor;
use plotters::style::text_anchor::{HPos, VPos};

use super::format::thousands;
use super::layout::{
    AXIS_TITLE_SIZE, INK, Linear, PAD, Rect, TICK_INK, TICK_SIZE, VALUE_SIZE, baseline, legend, nice_step,
    nice_ticks, tick_target, x_title, y_axis, y_title,
};
use super::palette::{darken, state_color, state_rank};
use super::scene::{Pt, Scene, Text, text_height, text_width};
use super::{Head, TimeAxis};

/// Up to this many points, each sample gets a marker.
const MARKER_LIMIT: usize = 60;

/// The peak-total line of dense series.
const PEAK: RGBColor = RGBColor(0x33, 0x33, 0x33);

/// Round tick steps of a time axis, in seconds.
const TIME_STEPS: &[i64] = &[
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172_800,
    604_800, 1_209_600, 2_592_000, 7_776_000, 31_536_000,
];

const DAY: i64 = 86_400;

/// One stacked series, values in time order.
struct Layer<'a> {
    name: &'a str,
    color: RGBColor,
    values: Vec<u64>,
}

pub(super) fn draw(scene: &mut Scene, head: &Head, axis: &TimeAxis, series: &[(String, Vec<u64>)]) {
    let n = axis.len();
    // Positions in seconds (instants) or snapshot numbers, sorted.
    let raw: Vec<f64> = match axis {
        TimeAxis::Instants(v) => v.iter().map(|t| t.timestamp_millis() as f64 / 1000.0).collect(),
        TimeAxis::Indices(v) => v.iter().map(|i| f64::from(*i)).collect(),
    };
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|a, b| raw[*a].total_cmp(&raw[*b]));
    let xs: Vec<f64> = order.iter().map(|&i| raw[i]).collect();

    let mut layers: Vec<Layer> = series
        .iter()
        .map(|(name, vals)| Layer {
            name,
            color: state_color(name),
            values: order.iter().map(|&i| vals.get(i).copied().unwrap_or(0)).collect(),
        })
        .filter(|l| l.values.iter().any(|v| *v > 0))
        .collect();
    layers.sort_by_key(|l| state_rank(l.name));
    if n == 0 || layers.is_empty() {
        head.no_data(scene, if n == 0 { "no snapshots to show" } else { "every count is zero" });
        return;
    }
    let totals: Vec<u64> = (0..n).map(|i| layers.iter().map(|l| l.values[i]).sum()).collect();

    // Horizontal frame first (it decides whether the series is dense): y
    // title and tick labels left, room for a centred x label right.
    let max_total = totals.iter().copied().max().unwrap_or(0) as f64;
    let guess = nice_ticks(max_total * 1.1, 4);
    let title_x = PAD + text_height(AXIS_TITLE_SIZE) / 2 + 1;
    let plot_x0 = title_x + text_height(AXIS_TITLE_SIZE) / 2 + 10 + guess.label_width() + 8;
    let plot_x1 = scene.width - PAD - text_width("2000-00-00", TICK_SIZE, false) / 2;
    let dense = n > (plot_x1 - plot_x0) as usize;
    let notes = if dense {
        vec![format!("{} points, averaged per pixel column; dark line: peak total", thousands(n as u64))]
    } else {
        Vec::new()
    };

    let top = head.header(scene, &notes).draw(scene);
    let entries: Vec<(String, RGBColor)> = layers.iter().map(|l| (l.name.to_string(), l.color)).collect();
    let legend_h = legend(scene, &entries, PAD, top, scene.width - PAD);

    // Below: one or two lines of x labels (time labels may carry a date),
    // then the x title.
    let line = text_height(TICK_SIZE) + 5;
    let label_lines = if matches!(axis, TimeAxis::Instants(_)) { 2 } else { 1 };
    let plot = Rect {
        x0: plot_x0,
        y0: top + legend_h + 10,
        x1: plot_x1,
        y1: scene.height - PAD - (7 + label_lines * line + 6 + text_height(AXIS_TITLE_SIZE)),
    };

    let single = n == 1 || xs[0] == xs[n - 1];
    // Bars carry their total on top; areas need only a little air.
    let headroom = if single { f64::from(text_height(VALUE_SIZE) + 12) } else { 8.0 };
    let need = max_total * f64::from(plot.h()) / (f64::from(plot.h()) - headroom);
    let ticks = nice_ticks(need, tick_target(plot.h(), 14, 8));
    let y = Linear::new(0.0, ticks.upper, plot.y1, plot.y0);
    y_axis(scene, plot, &y, &ticks);
    y_title(scene, title_x, plot, "sockets");

    // The x domain; instants shorter than a second get a one-second axis.
    let (mut d0, mut d1) = (xs[0], xs[n - 1]);
    if !single && matches!(axis, TimeAxis::Instants(_)) && d1 - d0 < 1.0 {
        let mid = (d0 + d1) / 2.0;
        (d0, d1) = (mid - 0.5, mid + 0.5);
    }
    let x = Linear::new(d0, d1, plot.x0, plot.x1);
    let labels_y = plot.y1 + 7;
    let title = match axis {
        TimeAxis::Instants(v) => {
            let offset = *v[order[0]].offset();
            if single {
                let t = v[order[0]];
                let (time, date) = (t.format("%H:%M:%S").to_string(), t.format("%Y-%m-%d").to_string());
                tick_label(scene, plot.cx(), labels_y, line, &time, Some(date));
            } else {
                time_ticks(scene, plot, &x, offset, labels_y, line);
            }
            format!("time (UTC{offset})")
        }
        TimeAxis::Indices(_) => {
            if single {
                tick_label(scene, plot.cx(), labels_y, line, &thousands(xs[0] as u64), None);
            } else {
                index_ticks(scene, plot, &x, labels_y);
            }
            "snapshot".to_string()
        }
    };
    x_title(scene, plot, plot.y1 + 7 + label_lines * line + 4, &title);

    if single {
        bar(scene, plot, &y, &layers, &totals);
    } else {
        let stack = if dense {
            Stack::per_column(&xs, &layers, &totals, &x)
        } else {
            Stack {
                px: xs.iter().map(|v| x.map(*v)).collect(),
                values: layers.iter().map(|l| l.values.iter().map(|v| *v as f64).collect()).collect(),
                peaks: None,
            }
        };
        let colors: Vec<RGBColor> = layers.iter().map(|l| l.color).collect();
        // Edges would turn into smears once samples are a few pixels apart.
        let style =
            Style { edges: n * 4 <= plot.w() as usize || n <= MARKER_LIMIT, markers: n <= MARKER_LIMIT };
        areas(scene, &y, &stack, &colors, style);
    }
    baseline(scene, plot);
}

/// A tick label: the main line at `y`, an optional second line (a date)
/// under it.
fn tick_label(scene: &mut Scene, x: i32, y: i32, line: i32, main: &str, second: Option<String>) {
    scene.text(Text::new(main, (x, y), TICK_SIZE, TICK_INK).anchor(HPos::Center, VPos::Top));
    if let Some(second) = second {
        scene.text(Text::new(second, (x, y + line), TICK_SIZE, TICK_INK).anchor(HPos::Center, VPos::Top));
    }
}

/// Ticks at round times in `offset`: HH:MM:SS or HH:MM with the date under
/// the first tick and wherever it changes; whole dates for day steps.
fn time_ticks(scene: &mut Scene, plot: Rect, x: &Linear, offset: FixedOffset, y: i32, line: i32) {
    let off = i64::from(offset.local_minus_utc());
    let (d0, d1) = (x.d0, x.d1);
    let span = d1 - d0;
    let date_w = text_width("2000-00-00", TICK_SIZE, false);
    let step = TIME_STEPS
        .iter()
        .copied()
        .find(|&s| {
            let label_w = if s >= DAY {
                date_w
            } else if s < 60 {
                text_width("00:00:00", TICK_SIZE, false)
            } else {
                text_width("00:00", TICK_SIZE, false)
            };
            // Steps of half a day or more put a date under most ticks.
            let label_w = if s >= DAY / 4 { label_w.max(date_w) } else { label_w };
            span / s as f64 <= f64::from(plot.w()) / f64::from(label_w + 28)
        })
        .unwrap_or(31_536_000);

    // Round in local time: a 6 h step lands on 00:00, 06:00, … there.
    let first = ((d0 as i64 + off) as f64 / step as f64).ceil() as i64 * step - off;
    let mut ticks: Vec<(i32, DateTime<FixedOffset>)> = Vec::new();
    let mut t = first;
    while (t as f64) <= d1 + 1e-6 {
        if let Some(utc) = DateTime::from_timestamp(t, 0) {
            ticks.push((x.map(t as f64), utc.with_timezone(&offset)));
        }
        t += step;
    }
    let mut dates: Vec<(i32, String)> = Vec::new();
    let mut previous_date = None;
    for (px, when) in &ticks {
        let date = when.date_naive();
        if step >= DAY {
            tick_label(scene, *px, y, line, &when.format("%Y-%m-%d").to_string(), None);
            continue;
        }
        let main = when.format(if step < 60 { "%H:%M:%S" } else { "%H:%M" }).to_string();
        tick_label(scene, *px, y, line, &main, None);
        if previous_date != Some(date) {
            dates.push((*px, date.format("%Y-%m-%d").to_string()));
        }
        previous_date = Some(date);
    }
    // Dates right to left, so a date change wins over the first tick's date
    // when the two would collide.
    let mut limit = i32::MAX;
    for (px, date) in dates.into_iter().rev() {
        let w = text_width(&date, TICK_SIZE, false);
        let (l, r) = (px - w / 2, px + w / 2);
        if r + 12 <= limit {
            scene.text(Text::new(date, (px, y + line), TICK_SIZE, TICK_INK).anchor(HPos::Center, VPos::Top));
            limit = l;
        }
    }
}

/// Round snapshot numbers between the first and last snapshot.
fn index_ticks(scene: &mut Scene, plot: Rect, x: &Linear, y: i32) {
    let label_w = text_width(&thousands(x.d1 as u64), TICK_SIZE, false);
    let target = tick_target(plot.w(), label_w, 12);
    let step = nice_step((x.d1 - x.d0) / target as f64, true);
    let mut v = (x.d0 / step).ceil() * step;
    while v <= x.d1 + 1e-9 {
        scene.line((x.map(v), plot.y1), (x.map(v), plot.y1 + 4), super::layout::AXIS, 1);
        scene.text(
            Text::new(thousands(v as u64), (x.map(v), y), TICK_SIZE, TICK_INK)
                .anchor(HPos::Center, VPos::Top),
        );
        v += step;
    }
}

/// What the areas are drawn from: x pixels and, per layer, one value per
/// x; for dense series also the peak total of each pixel column.
struct Stack {
    px: Vec<i32>,
    values: Vec<Vec<f64>>,
    peaks: Option<Vec<u64>>,
}

impl Stack {
    /// One entry per pixel column: the mean of each layer over the samples
    /// that fall in it (so the stack keeps its proportions), and the largest
    /// total among them (so no spike is averaged away).
    fn per_column(xs: &[f64], layers: &[Layer], totals: &[u64], x: &Linear) -> Stack {
        let mut stack =
            Stack { px: Vec::new(), values: vec![Vec::new(); layers.len()], peaks: Some(Vec::new()) };
        let mut i = 0;
        while i < xs.len() {
            let column = x.map(xs[i]);
            let end = i + xs[i..].iter().take_while(|v| x.map(**v) == column).count();
            let count = (end - i) as f64;
            stack.px.push(column);
            for (out, layer) in stack.values.iter_mut().zip(layers) {
                out.push(layer.values[i..end].iter().sum::<u64>() as f64 / count);
            }
            if let Some(peaks) = &mut stack.peaks {
                peaks.push(totals[i..end].iter().copied().max().unwrap_or(0));
            }
            i = end;
        }
        stack
    }
}

/// How to draw the areas.
#[derive(Clone, Copy)]
struct Style {
    /// Edge each layer with a slightly darker line.
    edges: bool,
    /// A marker on the total at every sample.
    markers: bool,
}

/// Stacked areas. Each layer is filled from the baseline up to its top,
/// topmost first, so lower layers paint over the rest: thin layers can
/// never leave unpainted slivers between neighbours.
fn areas(scene: &mut Scene, y: &Linear, stack: &Stack, colors: &[RGBColor], style: Style) {
    let (Some(&first), Some(&last)) = (stack.px.first(), stack.px.last()) else { return };
    let mut tops: Vec<Vec<Pt>> = Vec::with_capacity(stack.values.len());
    let mut cumulative = vec![0.0; stack.px.len()];
    for values in &stack.values {
        for (c, v) in cumulative.iter_mut().zip(values) {
            *c += v;
        }
        tops.push(stack.px.iter().zip(&cumulative).map(|(&p, c)| (p, y.map(*c))).collect());
    }
    let base = y.map(0.0);
    for (top, color) in tops.iter().zip(colors).rev() {
        let mut outline = top.clone();
        outline.extend([(last, base), (first, base)]);
        scene.polygon(outline, *color);
    }
    if style.edges {
        for (top, color) in tops.iter().zip(colors) {
            scene.path(top.clone(), darken(*color, 0.25), 1);
        }
    }
    if let Some(peaks) = &stack.peaks {
        let line = stack.px.iter().zip(peaks).map(|(&p, v)| (p, y.map(*v as f64))).collect();
        scene.path(line, PEAK, 1);
    }
    // One marker per sample, on the total: where the samples are is what
    // matters, and markers on every layer would pile up where layers are thin.
    if style.markers
        && let Some(total) = tops.last()
    {
        for p in total {
            scene.circle(*p, 3, INK);
        }
    }
}

/// A single stacked bar in the middle of the plot (one snapshot), its total
/// on top.
fn bar(scene: &mut Scene, plot: Rect, y: &Linear, layers: &[Layer], totals: &[u64]) {
    // With several points on one instant, show the largest.
    let i = (0..totals.len()).max_by_key(|&i| totals[i]).unwrap_or(0);
    let half = (plot.w() / 12).clamp(12, 40);
    let (x0, x1) = (plot.cx() - half, plot.cx() + half);
    let mut acc = 0u64;
    for layer in layers {
        let v = layer.values[i];
        if v == 0 {
            continue;
        }
        let (ya, yb) = (y.map(acc as f64), y.map((acc + v) as f64));
        acc += v;
        scene.rect(x0, yb, x1, ya.max(yb + 1), layer.color);
    }
    let top = y.map(acc as f64);
    scene.text(
        Text::new(thousands(acc), (plot.cx(), top - 4), VALUE_SIZE, INK).anchor(HPos::Center, VPos::Bottom),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_series_average_per_column_and_keep_peaks() {
        let xs: Vec<f64> = (0..10_000).map(f64::from).collect();
        let mut values = vec![10u64; 10_000];
        values[5_000] = 1_000;
        let layer = Layer { name: "ESTABLISHED", color: state_color("ESTABLISHED"), values: values.clone() };
        let x = Linear::new(0.0, 9_999.0, 0, 100);
        let stack = Stack::per_column(&xs, &[layer], &values, &x);
        assert_eq!(stack.px.len(), 101);
        assert!(stack.px.windows(2).all(|w| w[0] < w[1]));
        assert!(stack.peaks.as_ref().unwrap().contains(&1_000), "the spike survives as a peak");
        let column = stack.px.iter().position(|&p| p == x.map(5_000.0)).unwrap();
        let mean = stack.values[0][column];
        assert!(mean > 10.0 && mean < 1_000.0, "{mean}");
        assert_eq!(stack.values[0][0], 10.0);
    }
}
