//! Outputs: one module per kind (`json`, `table`, `csv`, the `report`
//! pages, and `chart` for plotters charts).

pub mod chart;
pub mod charts;
pub mod csv;
pub mod json;
pub mod markdown;
pub mod report;
pub mod table;

/// Thousands separators: `1234567` → `"1,234,567"`. The one definition
/// every output uses.
pub fn thousands(v: u64) -> String {
    let digits = v.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_separators() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1000), "1,000");
        assert_eq!(super::thousands(1234567), "1,234,567");
        assert_eq!(super::thousands(u64::MAX), "18,446,744,073,709,551,615");
    }
}
