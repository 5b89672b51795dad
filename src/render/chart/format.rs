//! Text for numbers and labels: thousands separators, compact forms for
//! tight spots, percentages, and middle truncation of long labels.

pub(super) use crate::render::thousands;

/// An axis tick value: integers get separators, fractions (only on small
/// ranges) keep one decimal.
pub(super) fn tick(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        let r = v.round();
        if r < 0.0 { format!("-{}", thousands((-r) as u64)) } else { thousands(r as u64) }
    } else {
        format!("{v:.1}")
    }
}

/// `1234` → `"1.2k"`, `12345678` → `"12M"`: for labels that do not fit in
/// full. Values below 1,000 stay exact.
pub(super) fn compact(v: u64) -> String {
    const UNITS: [(u64, &str); 4] =
        [(1_000_000_000_000, "T"), (1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")];
    for (scale, unit) in UNITS {
        if v >= scale {
            let x = v as f64 / scale as f64;
            // One decimal only while it carries information (1.2k, not 120.0k).
            return if x < 10.0 && !v.is_multiple_of(scale) {
                format!("{:.1}{unit}", (x * 10.0).floor() / 10.0)
            } else {
                format!("{}{unit}", x.floor() as u64)
            };
        }
    }
    v.to_string()
}

/// `part` as a percentage of `whole` with one decimal ("43.7%"); "0%" when
/// `whole` is zero.
pub(super) fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "0%".to_string();
    }
    let p = part as f64 * 100.0 / whole as f64;
    if p > 0.0 && p < 0.1 { "<0.1%".to_string() } else { format!("{p:.1}%") }
}

/// Shortens `text` to fit `max_width` (as measured by `width`) by cutting
/// its middle and putting "…" there: both ends of an address or host name
/// carry meaning (prefix, port, domain). Returns `None` when it already fits.
pub(super) fn truncate_middle(text: &str, max_width: i32, width: impl Fn(&str) -> i32) -> Option<String> {
    if width(text) <= max_width {
        return None;
    }
    let chars: Vec<char> = text.chars().collect();
    // Keep slightly more of the end: ports and interface ids live there.
    let mut keep = chars.len().saturating_sub(1);
    while keep > 0 {
        let head = keep / 2;
        let tail = keep - head;
        let candidate: String =
            chars[..head].iter().chain(std::iter::once(&'…')).chain(&chars[chars.len() - tail..]).collect();
        if width(&candidate) <= max_width {
            return Some(candidate);
        }
        keep -= 1;
    }
    Some("…".to_string())
}

/// Shortens `text` by cutting its end ("…"): titles, where the start matters.
pub(super) fn truncate_end(text: &str, max_width: i32, width: impl Fn(&str) -> i32) -> Option<String> {
    if width(text) <= max_width {
        return None;
    }
    let chars: Vec<char> = text.chars().collect();
    (0..chars.len())
        .rev()
        .map(|keep| chars[..keep].iter().chain(std::iter::once(&'…')).collect::<String>())
        .find(|candidate| width(candidate) <= max_width)
        .or_else(|| Some("…".to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(12345), "12,345");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(tick(25000.0), "25,000");
        assert_eq!(tick(2.5), "2.5");
    }

    #[test]
    fn compact_forms() {
        assert_eq!(compact(999), "999");
        assert_eq!(compact(1000), "1k");
        assert_eq!(compact(1250), "1.2k");
        assert_eq!(compact(12_345), "12k");
        assert_eq!(compact(3_400_000), "3.4M");
    }

    #[test]
    fn percentages() {
        assert_eq!(percent(1, 3), "33.3%");
        assert_eq!(percent(0, 0), "0%");
        assert_eq!(percent(1, 10_000), "<0.1%");
    }

    #[test]
    fn middle_truncation_keeps_both_ends() {
        let width = |s: &str| s.chars().count() as i32;
        assert_eq!(truncate_middle("short", 10, width), None);
        let cut = truncate_middle("2001:0db8:85a3:0000:0000:8a2e:0370:7334", 15, width).unwrap();
        assert_eq!(cut.chars().count(), 15);
        assert!(cut.starts_with("2001:0") && cut.ends_with(":7334") && cut.contains('…'));
        assert_eq!(truncate_end("a long title", 6, width).unwrap(), "a lon…");
    }
}
