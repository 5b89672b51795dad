//! Colours: one fixed colour per socket state (and per the other series
//! labels the charts use), the canonical stacking order of states, and the
//! sequential colour map of the heatmap.
//!
//! The state palette is built on Okabe–Ito (safe for the common forms of
//! colour blindness) with Tableau-like extras for the rarer states; the
//! states an SRE looks for first get the most telling colours: ESTABLISHED
//! a calm blue, TIME_WAIT grey, CLOSE_WAIT red, SYN_SENT orange, SYN_RECV
//! amber, FIN_WAIT* purples, LISTEN near-black.

use plotters::style::RGBColor;

/// Known labels after [`normalize`], their colour, in canonical order: the
/// order series are stacked and listed in legends (bottom/left first).
const KNOWN: &[(&str, RGBColor)] = &[
    ("ESTABLISHED", RGBColor(0x00, 0x72, 0xB2)),
    ("SYNSENT", RGBColor(0xE6, 0x9F, 0x00)),
    ("SYNSENT2", RGBColor(0xA8, 0x6E, 0x00)),
    ("SYNRECV", RGBColor(0xE8, 0xC4, 0x1A)),
    ("FINWAIT", RGBColor(0x9A, 0x6F, 0xB0)),
    ("FINWAIT1", RGBColor(0xCC, 0x79, 0xA7)),
    ("FINWAIT2", RGBColor(0x7B, 0x4F, 0x9D)),
    ("CLOSING", RGBColor(0xBC, 0xBD, 0x22)),
    ("TIMEWAIT", RGBColor(0x9E, 0x9E, 0x9E)),
    ("CLOSEWAIT", RGBColor(0xD5, 0x5E, 0x00)),
    ("LASTACK", RGBColor(0xF4, 0x9A, 0xA8)),
    ("CLOSE", RGBColor(0x8C, 0x56, 0x4B)),
    ("LISTEN", RGBColor(0x2B, 0x2B, 0x2B)),
    ("UNCONN", RGBColor(0x56, 0xB4, 0xE9)),
    ("NONE", RGBColor(0xD4, 0xD4, 0xD4)),
    ("UNKNOWN", RGBColor(0xC2, 0xA8, 0x7E)),
    // Conntrack flags (the share bar of the conntrack chart).
    ("ASSURED", RGBColor(0x00, 0x9E, 0x73)),
    ("UNREPLIED", RGBColor(0xE1, 0x57, 0x59)),
    ("OTHER", RGBColor(0xB8, 0xC4, 0xCE)),
    // Connection direction.
    ("INBOUND", RGBColor(0x59, 0xA1, 0x4F)),
    ("OUTBOUND", RGBColor(0x4E, 0x79, 0xA7)),
];

/// Spellings used by ss (and friends) for the canonical names above.
const ALIASES: &[(&str, &str)] = &[
    ("ESTAB", "ESTABLISHED"),
    ("SYNRECEIVED", "SYNRECV"),
    ("SYNRCVD", "SYNRECV"),
    ("UNCONNECTED", "UNCONN"),
    ("NOSTATE", "NONE"),
];

/// Colours for labels the table does not know, picked by a hash of the
/// name; none of them is close to a colour in [`KNOWN`].
const EXTRAS: &[RGBColor] = &[
    RGBColor(0x17, 0xBE, 0xCF),
    RGBColor(0x6B, 0x8E, 0x23),
    RGBColor(0x8C, 0x6D, 0x31),
    RGBColor(0x39, 0x3B, 0x79),
    RGBColor(0xAD, 0x49, 0x4A),
    RGBColor(0x63, 0x79, 0x39),
    RGBColor(0x7B, 0x41, 0x73),
    RGBColor(0x31, 0x82, 0xBD),
    RGBColor(0xE6, 0x55, 0x0D),
    RGBColor(0x31, 0xA3, 0x54),
    RGBColor(0x75, 0x6B, 0xB1),
    RGBColor(0x63, 0x63, 0x63),
];

/// Upper-cases and drops separators so `FIN-WAIT-1` (ss), `FIN_WAIT1`
/// (netstat) and `fin_wait_1` all name the same state.
fn normalize(name: &str) -> String {
    let key: String =
        name.chars().filter(|c| !matches!(c, '-' | '_' | ' ')).map(|c| c.to_ascii_uppercase()).collect();
    match ALIASES.iter().find(|(alias, _)| *alias == key) {
        Some((_, canonical)) => (*canonical).to_string(),
        None => key,
    }
}

/// The colour of a state (or other series label), the same in every chart.
/// Unknown labels get a deterministic colour from a hash of their name.
pub fn state_color(name: &str) -> RGBColor {
    let key = normalize(name);
    if let Some((_, color)) = KNOWN.iter().find(|(k, _)| *k == key) {
        return *color;
    }
    // FNV-1a: stable across runs and platforms, unlike std's RandomState.
    let hash =
        key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    EXTRAS[(hash % EXTRAS.len() as u64) as usize]
}

/// Sort key putting known states in canonical order, unknown ones after
/// them (ties keep the caller's order when used with a stable sort).
pub(super) fn state_rank(name: &str) -> usize {
    let key = normalize(name);
    KNOWN.iter().position(|(k, _)| *k == key).unwrap_or(KNOWN.len())
}

/// `color` mixed towards black by `amount` (0..=1): outlines and markers.
pub(super) fn darken(color: RGBColor, amount: f64) -> RGBColor {
    let f = |c: u8| (f64::from(c) * (1.0 - amount)).round() as u8;
    RGBColor(f(color.0), f(color.1), f(color.2))
}

/// Relative luminance (0 = black, 1 = white): picks readable text on a fill.
pub(super) fn luminance(color: RGBColor) -> f64 {
    let lin = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
    };
    0.2126 * lin(color.0) + 0.7152 * lin(color.1) + 0.0722 * lin(color.2)
}

/// Dark or white text, whichever reads better on `fill`.
pub(super) fn text_on(fill: RGBColor) -> RGBColor {
    if luminance(fill) > 0.3 { RGBColor(0x22, 0x22, 0x22) } else { RGBColor(0xFF, 0xFF, 0xFF) }
}

/// ColorBrewer YlGnBu: sequential and colour-blind safe; light = low.
const SEQUENTIAL: &[RGBColor] = &[
    RGBColor(0xED, 0xF8, 0xB1),
    RGBColor(0xC7, 0xE9, 0xB4),
    RGBColor(0x7F, 0xCD, 0xBB),
    RGBColor(0x41, 0xB6, 0xC4),
    RGBColor(0x1D, 0x91, 0xC0),
    RGBColor(0x22, 0x5E, 0xA8),
    RGBColor(0x25, 0x34, 0x94),
    RGBColor(0x08, 0x1D, 0x58),
];

/// The heatmap colour of a cell whose value sits at `t` (0..=1) of the scale.
pub(super) fn sequential(t: f64) -> RGBColor {
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    let pos = t * (SEQUENTIAL.len() - 1) as f64;
    let i = (pos.floor() as usize).min(SEQUENTIAL.len() - 2);
    let f = pos - i as f64;
    let (a, b) = (SEQUENTIAL[i], SEQUENTIAL[i + 1]);
    let mix = |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Fill of heatmap cells whose value is exactly zero: set apart from the
/// lightest non-zero colour so "none" never reads as "a few".
pub(super) const ZERO_CELL: RGBColor = RGBColor(0xF3, 0xF3, 0xF3);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_share_a_colour() {
        assert_eq!(state_color("FIN-WAIT-1"), state_color("FIN_WAIT1"));
        assert_eq!(state_color("ESTAB"), state_color("ESTABLISHED"));
        assert_eq!(state_color("time-wait"), state_color("TIME_WAIT"));
        assert_eq!(state_color("unknown"), state_color("UNKNOWN"));
        assert_ne!(state_color("FIN_WAIT1"), state_color("FIN_WAIT2"));
    }

    #[test]
    fn known_colours_are_distinct_and_unknown_ones_stable() {
        for (i, (_, a)) in KNOWN.iter().enumerate() {
            for (_, b) in &KNOWN[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(state_color("quic-ish"), state_color("QUIC_ISH"));
        assert!(EXTRAS.contains(&state_color("something new")));
    }

    #[test]
    fn canonical_rank() {
        assert!(state_rank("ESTABLISHED") < state_rank("TIME_WAIT"));
        assert_eq!(state_rank("zzz"), KNOWN.len());
    }
}
