//! [`ChartKind::Hotspots`](super::ChartKind::Hotspots): the top talkers
//! (peers, addr:port, /24s, ports, processes) as horizontal bars stacked by
//! state, label on the left, total past the bar. Rows keep the caller's
//! order (it ranked them); states stack in canonical order so a colour sits
//! at the same place in every row.

use super::Head;
use super::format::thousands;
use super::layout::{HBar, HBars, MIN_ROW_PITCH, PAD, Rect, legend, legend_height};
use super::palette::{state_color, state_rank};
use super::scene::Scene;

/// (label, [(state, count)]) as the caller gives it.
type Row = (String, Vec<(String, u64)>);

pub(super) fn draw(scene: &mut Scene, head: &Head, rows: &[Row], x_label: &str) {
    let total: u64 = rows.iter().flat_map(|(_, s)| s.iter().map(|(_, n)| n)).sum();
    if total == 0 {
        let reason = if rows.is_empty() { "no rows to show" } else { "every count is zero" };
        head.no_data(scene, reason);
        return;
    }
    let states = stack_order(rows.iter().flat_map(|(_, s)| s.iter()));
    let entries: Vec<_> = states.iter().map(|s| (s.clone(), state_color(s))).collect();
    let (x0, x1) = (PAD, scene.width - PAD);
    let legend_h = legend_height(&entries, x0, x1);

    let top_ticks = rows.len() > 15;
    let (header, shown) =
        fit_rows(scene, head, rows.len(), legend_h + 6 + HBars::chrome_height(top_ticks, false));
    let top = header.draw(scene);
    legend(scene, &entries, x0, top, x1);

    let bars: Vec<HBar> = rows[..shown]
        .iter()
        .map(|(label, counts)| {
            let segments: Vec<(u64, _)> = states
                .iter()
                .map(|s| (counts.iter().filter(|(c, _)| c == s).map(|(_, n)| n).sum(), state_color(s)))
                .collect();
            let sum = segments.iter().map(|(n, _)| n).sum();
            HBar { label: label.clone(), segments, end_label: thousands(sum) }
        })
        .collect();
    let area = Rect { x0, y0: top + legend_h + 6, x1, y1: scene.height - PAD + 4 };
    HBars { area, rows: &bars, x_title: x_label, rules: &[], label_share: 0.4, top_ticks }.draw(scene);
}

/// The distinct states with a non-zero count, in canonical stacking order
/// (unknown ones after, in order of first appearance).
pub(super) fn stack_order<'a>(counts: impl Iterator<Item = &'a (String, u64)>) -> Vec<String> {
    let mut states: Vec<(String, u64)> = Vec::new();
    for (state, n) in counts {
        match states.iter_mut().find(|(s, _)| s == state) {
            Some((_, sum)) => *sum += n,
            None => states.push((state.clone(), *n)),
        }
    }
    states.retain(|(_, n)| *n > 0);
    states.sort_by_key(|(s, _)| state_rank(s));
    states.into_iter().map(|(s, _)| s).collect()
}

/// The title block and how many of `n` rows fit at a legible pitch under
/// it, given the height `chrome` everything else takes. When some rows do
/// not fit, the subtitle says so.
pub(super) fn fit_rows(scene: &Scene, head: &Head, n: usize, chrome: i32) -> (super::layout::Header, usize) {
    let fits = |header: &super::layout::Header| {
        let room = scene.height - PAD - header.bottom() - chrome;
        (room / MIN_ROW_PITCH).max(1) as usize
    };
    let plain = head.header(scene, &[]);
    if n <= fits(&plain) {
        return (plain, n);
    }
    // The note may wrap the subtitle onto a second line: measure again.
    let note = |k: usize| format!("showing the first {k} of {n} rows (too many for the chart height)");
    let first = head.header(scene, &[note(fits(&plain))]);
    let k = fits(&first).min(n);
    (head.header(scene, &[note(k)]), k)
}
