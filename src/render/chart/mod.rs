//! Charts for postmortem reports, as PNG or SVG.
//!
//! The caller converts analysis results into a chart-agnostic [`Chart`]
//! (title, subtitle, one [`ChartKind`] with plain labels and counts, size)
//! and calls [`render`] (format from the file extension), [`render_svg`]
//! (text, e.g. to inline in HTML) or [`render_png`] (bytes).
//!
//! Every chart is laid out once, in pixels, into a display list that is
//! then painted with plotters' bitmap or SVG backend, so both outputs show
//! the same picture. Text uses the bundled DejaVu Sans through plotters'
//! `ab_glyph` support: PNG rendering needs no system fonts.
//!
//! Files:
//! - `mod.rs`: the public API, size defaults, font registration, dispatch;
//! - `scene.rs`: the display list, painting, PNG encoding, SVG tooltips;
//! - `metrics.rs`: glyph metrics of the bundled font (measuring text, and
//!   placing glyphs in PNGs where plotters' own spacing is uneven);
//! - `layout.rs`: the shared look and building blocks (title block,
//!   legends, "no data", nice scales, axes, horizontal and vertical bars);
//! - `palette.rs`: [`state_color`] and the heatmap colour map;
//! - `format.rs`: numbers with thousands separators, label shortening;
//! - one file per kind: `state_bars.rs`, `hotspots.rs`, `timeline.rs`,
//!   `ephemeral.rs`, `conntrack.rs`, `heatmap.rs`;
//! - `tests.rs`: renders every kind (and the edge cases) to PNG and SVG and
//!   writes them to `target/chart-examples/` for a human to look at.

mod conntrack;
mod ephemeral;
mod format;
mod heatmap;
mod hotspots;
mod layout;
mod metrics;
mod palette;
mod scene;
mod state_bars;
#[cfg(test)]
mod tests;
mod timeline;

use std::path::{Path, PathBuf};
use std::sync::Once;

use chrono::{DateTime, FixedOffset};
use plotters::style::FontStyle;

pub use palette::state_color;

/// Why a chart could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// Writing the output file failed.
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// The chart could not be drawn (size out of range, backend failure).
    #[error("{0}")]
    Draw(String),
    /// The output path's extension is neither `.png` nor `.svg`.
    #[error("unsupported chart extension {0:?}: use .png or .svg")]
    Extension(String),
}

/// A chart to render: what to show and how large.
#[derive(Debug, Clone)]
pub struct Chart {
    pub title: String,
    /// Host, time range, notes like "top 20 of 1,234 peers". Charts that
    /// show only part of their input (e.g. a heatmap of 500 hosts) append
    /// a note saying so.
    pub subtitle: String,
    pub kind: ChartKind,
    /// Pixels (also the SVG's user units); 0 picks the kind's default
    /// ([`Chart::default_size`]).
    pub width: u32,
    pub height: u32,
}

/// The kinds of chart, each with its own input.
#[derive(Debug, Clone)]
pub enum ChartKind {
    /// State distribution: one bar per state (vertical), counts on top of bars.
    StateBars {
        states: Vec<(String, u64)>,
        /// Title of the value axis: "sockets", or "entries" for conntrack.
        value_label: String,
    },
    /// Hotspots: horizontal bars, one per label (peer, addr:port, /24, port,
    /// process), stacked by state, label left, total at bar end. Long labels
    /// are shortened in the middle ("…"); the SVG keeps the full text as a
    /// `<title>` tooltip.
    Hotspots {
        /// (label, [(state, count)]), in the order to show (top first).
        rows: Vec<(String, Vec<(String, u64)>)>,
        /// Title of the value axis, e.g. "sockets".
        x_label: String,
    },
    /// Time series: stacked area of states over time. One point is drawn
    /// as a bar and up to 60 points get markers; series with more points
    /// than the plot has pixel columns are averaged per column, with the
    /// peak total of each column drawn as a thin line (the subtitle says so).
    Timeline {
        x: TimeAxis,
        /// (state, one value per point). A series shorter than the axis is
        /// padded with zeros; extra values are ignored.
        series: Vec<(String, Vec<u64>)>,
    },
    /// Ephemeral-port use per destination: sockets per (local → remote:port),
    /// split TIME_WAIT vs other, with lines at the range size and at 50% and
    /// 80% of it.
    EphemeralUse {
        /// (label, total sockets, of which TIME_WAIT).
        rows: Vec<(String, u64, u64)>,
        /// Size of the local port range (0 if unknown: no lines drawn).
        range_size: u64,
    },
    /// Conntrack composition: entries by conntrack state (left), the
    /// assured / unreplied / other share of all entries (right) and, when
    /// given, a histogram of remaining timeouts below.
    Conntrack {
        states: Vec<(String, u64)>,
        assured: u64,
        unreplied: u64,
        total: u64,
        /// (bucket label such as "0", "1", "2-3", "4-7", count), in order.
        timeouts: Vec<(String, u64)>,
    },
    /// Fleet heatmap: rows (hosts) × columns (states or time buckets),
    /// colour = value. More than 60 rows (or more than fit the height) are
    /// cut to the rows with the largest totals, and the subtitle says so.
    Heatmap {
        rows: Vec<String>,
        columns: Vec<String>,
        /// `values[row][column]`; missing cells count as 0.
        values: Vec<Vec<u64>>,
        /// What a cell counts, e.g. "sockets".
        value_label: String,
    },
}

/// The x axis of a [`ChartKind::Timeline`].
#[derive(Debug, Clone)]
pub enum TimeAxis {
    /// Real instants: a time axis labelled in the first instant's offset.
    Instants(Vec<DateTime<FixedOffset>>),
    /// Snapshot numbers: an axis titled "snapshot".
    Indices(Vec<u32>),
}

impl TimeAxis {
    fn len(&self) -> usize {
        match self {
            TimeAxis::Instants(v) => v.len(),
            TimeAxis::Indices(v) => v.len(),
        }
    }
}

impl Chart {
    /// A chart with the default size for its kind (see [`Chart::default_size`]).
    pub fn new(title: impl Into<String>, subtitle: impl Into<String>, kind: ChartKind) -> Self {
        let (width, height) = Self::default_size(&kind);
        Chart { title: title.into(), subtitle: subtitle.into(), kind, width, height }
    }

    /// 1000×520, except where the content needs height: bar lists grow by
    /// 28 px per row, the heatmap by 18 px per shown row, the conntrack
    /// chart makes room for its timeout histogram.
    pub fn default_size(kind: &ChartKind) -> (u32, u32) {
        const W: u32 = 1000;
        const H: u32 = 520;
        let rows_height = |rows: usize, fixed: u32| {
            // Long lists repeat the tick labels on top.
            let top = if rows > 15 { 24 } else { 0 };
            (fixed + top + 28 * rows as u32).max(H)
        };
        match kind {
            ChartKind::Hotspots { rows, .. } => (W, rows_height(rows.len(), 170)),
            ChartKind::EphemeralUse { rows, .. } => (W, rows_height(rows.len(), 170)),
            ChartKind::Conntrack { timeouts, .. } if timeouts.iter().any(|(_, n)| *n > 0) => (W, 800),
            ChartKind::Heatmap { rows, columns, .. } => {
                let shown = rows.len().min(heatmap::MAX_ROWS) as u32;
                let label_h = columns.iter().map(|c| c.chars().count()).max().unwrap_or(0).min(24) as u32 * 8;
                (W, (190 + label_h + 18 * shown).max(H))
            }
            _ => (W, H),
        }
    }
}

/// Smallest and largest accepted sizes, in pixels per side.
const MIN_SIDE: u32 = 200;
const MAX_SIDE: u32 = 16_384;

/// Renders `chart` to `path`; the format follows the extension (`.png` or
/// `.svg`, any case).
pub fn render(chart: &Chart, path: &Path) -> Result<(), ChartError> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let bytes = match ext.as_str() {
        "png" => render_png(chart)?,
        "svg" => render_svg(chart)?.into_bytes(),
        _ => return Err(ChartError::Extension(ext)),
    };
    std::fs::write(path, bytes).map_err(|source| ChartError::Io { path: path.to_path_buf(), source })
}

/// Renders `chart` as SVG text (valid XML; every label is a `<text>`).
pub fn render_svg(chart: &Chart) -> Result<String, ChartError> {
    build(chart)?.to_svg()
}

/// Renders `chart` as PNG bytes.
pub fn render_png(chart: &Chart) -> Result<Vec<u8>, ChartError> {
    build(chart)?.to_png()
}

/// DejaVu Sans (licence in `assets/fonts/`), compiled in so rendering needs
/// no system fonts.
const FONT_REGULAR: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
const FONT_BOLD: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf");

/// Registers the bundled font with plotters, once per process.
fn ensure_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Both files are compiled in and known-good; a failure here would be
        // a broken build, and text measurement falls back to estimates.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT_REGULAR);
        let _ = plotters::style::register_font("sans-serif", FontStyle::Bold, FONT_BOLD);
    });
}

/// Lays the chart out.
fn build(chart: &Chart) -> Result<scene::Scene, ChartError> {
    // A zero side means "the default for this kind".
    let (default_w, default_h) = Chart::default_size(&chart.kind);
    let width = if chart.width == 0 { default_w } else { chart.width };
    let height = if chart.height == 0 { default_h } else { chart.height };
    let ok = |side: u32| (MIN_SIDE..=MAX_SIDE).contains(&side);
    if !ok(width) || !ok(height) {
        return Err(ChartError::Draw(format!(
            "chart size {width}×{height} is outside {MIN_SIDE}..={MAX_SIDE} pixels per side"
        )));
    }
    ensure_fonts();
    let mut scene = scene::Scene::new(width, height);
    let head = Head { title: &chart.title, subtitle: &chart.subtitle };
    match &chart.kind {
        ChartKind::StateBars { states, value_label } => {
            state_bars::draw(&mut scene, &head, states, value_label)
        }
        ChartKind::Hotspots { rows, x_label } => hotspots::draw(&mut scene, &head, rows, x_label),
        ChartKind::Timeline { x, series } => timeline::draw(&mut scene, &head, x, series),
        ChartKind::EphemeralUse { rows, range_size } => ephemeral::draw(&mut scene, &head, rows, *range_size),
        ChartKind::Conntrack { states, assured, unreplied, total, timeouts } => {
            conntrack::draw(&mut scene, &head, states, *assured, *unreplied, *total, timeouts)
        }
        ChartKind::Heatmap { rows, columns, values, value_label } => {
            heatmap::draw(&mut scene, &head, rows, columns, values, value_label)
        }
    }
    Ok(scene)
}

/// The title block text every kind starts with.
struct Head<'a> {
    title: &'a str,
    subtitle: &'a str,
}

impl Head<'_> {
    fn header(&self, scene: &scene::Scene, notes: &[String]) -> layout::Header {
        layout::Header::new(scene.width, self.title, self.subtitle, notes)
    }
    fn no_data(&self, scene: &mut scene::Scene, reason: &str) {
        layout::no_data(scene, self.title, self.subtitle, reason);
    }
}
