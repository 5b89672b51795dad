//! [`ChartKind::StateBars`](super::ChartKind::StateBars): the socket state
//! distribution, one vertical bar per state in its state colour, the count
//! on top. States keep the caller's order (zero counts included: "no
//! CLOSE_WAIT" is a finding too).

use super::Head;
use super::layout::{PAD, Rect, VBar, vbars};
use super::palette::state_color;
use super::scene::Scene;

pub(super) fn draw(scene: &mut Scene, head: &Head, states: &[(String, u64)], value_label: &str) {
    if states.iter().all(|(_, n)| *n == 0) {
        let reason = if states.is_empty() { "no states to show" } else { "every state count is zero" };
        head.no_data(scene, reason);
        return;
    }
    let top = head.header(scene, &[]).draw(scene);
    let bars: Vec<VBar> = states
        .iter()
        .map(|(state, n)| VBar { label: state.clone(), value: *n, color: state_color(state) })
        .collect();
    let area = Rect { x0: PAD, y0: top + 6, x1: scene.width - PAD, y1: scene.height - PAD + 4 };
    vbars(scene, area, &bars, value_label, None);
}
