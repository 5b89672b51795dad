//! Shared nom atoms for whitespace-separated socket tables.
//!
//! Every parser in `parse/` works on `&[u8]` in complete mode and never
//! allocates per line: a token is a sub-slice of the line. The token parser
//! is a plain function (so it is a `nom::Parser`) hand-tuned for the common
//! case of single spaces and long runs of padding that `ss` emits when its
//! output is piped.

use nom::error::{Error, ErrorKind};
use nom::{Err, IResult};

/// Result type of every line-level parser.
pub type PResult<'a, O> = IResult<&'a [u8], O>;

/// Space or tab — the separators socket tables use — and the `\r` of CRLF
/// files, so a row's last token never carries it.
#[inline(always)]
pub fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t' || b == b'\r'
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;
const LOWS: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// 0x80 in every byte of `x` that is zero, exactly (no false positives,
/// unlike the classic has-zero trick).
#[inline(always)]
fn zero_bytes(x: u64) -> u64 {
    !(((x & LOWS).wrapping_add(LOWS)) | x | LOWS)
}

/// 0x80 in every byte that is a space, a tab or a CR ([`is_ws`]).
#[inline(always)]
fn blank_bytes(x: u64) -> u64 {
    zero_bytes(x ^ (ONES * b' ' as u64))
        | zero_bytes(x ^ (ONES * b'\t' as u64))
        | zero_bytes(x ^ (ONES * b'\r' as u64))
}

/// True if every byte is an ASCII digit or `.` (an IPv4 literal), eight
/// bytes at a time.
#[inline(always)]
pub fn all_digits_or_dots(s: &[u8]) -> bool {
    let mut n = 0;
    while let Some(x) = load8(s, n) {
        // A byte is a digit iff (b | 0x80) - 0x30 keeps the high bit and
        // b + 0x46 (b ≤ 0x39) does not set it; '.' is tested exactly.
        let digit =
            ((x | HIGHS).wrapping_sub(ONES * 0x30)) & !((x & LOWS).wrapping_add(ONES * 0x46)) & !x & HIGHS;
        let dot = zero_bytes(x ^ (ONES * b'.' as u64));
        if (digit | dot) != HIGHS {
            return false;
        }
        n += 8;
    }
    s[n..].iter().all(|&b| b.is_ascii_digit() || b == b'.')
}

#[inline(always)]
fn load8(s: &[u8], i: usize) -> Option<u64> {
    s.get(i..i + 8).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes)
}

/// Skips leading blanks. A byte loop after a whole-word check for spaces:
/// exact eight-byte blank tests were measured slower here than bytes
/// (their dependency chains are longer than the short runs they skip).
#[inline(always)]
pub fn skip_ws(i: &[u8]) -> &[u8] {
    // One separator (conntrack, `key:value` tails) is the common case
    // outside padded columns.
    if let [a, b, ..] = i
        && is_ws(*a)
        && !is_ws(*b)
    {
        return &i[1..];
    }
    let mut n = 0;
    // Column padding is runs of spaces: eight at a time with one compare.
    while let Some(x) = load8(i, n) {
        if x != ONES * b' ' as u64 {
            break;
        }
        n += 8;
    }
    while n < i.len() && is_ws(i[n]) {
        n += 1;
    }
    &i[n..]
}

/// Length of the leading run of non-blank bytes.
#[inline(always)]
fn token_len(i: &[u8]) -> usize {
    let mut n = 0;
    // Eight at a time while no byte is <= 0x20: every blank is, so such a
    // word is all token. The test may flag a byte that is not a blank
    // (control bytes, or one above a real hit); the byte loop decides.
    while let Some(x) = load8(i, n) {
        if x.wrapping_sub(ONES * 0x21) & !x & HIGHS != 0 {
            break;
        }
        n += 8;
    }
    while n < i.len() && !is_ws(i[n]) {
        n += 1;
    }
    n
}

/// One whitespace-delimited token, leading blanks skipped.
#[inline]
pub fn token(i: &[u8]) -> PResult<'_, &[u8]> {
    let i = skip_ws(i);
    let n = token_len(i);
    if n == 0 {
        return Err(Err::Error(Error::new(i, ErrorKind::Eof)));
    }
    Ok((&i[n..], &i[..n]))
}

/// A token that is a non-negative decimal integer (saturating at u64::MAX,
/// so hostile 40-digit numbers neither panic nor wrap).
#[inline]
pub fn uint(i: &[u8]) -> PResult<'_, u64> {
    let (rest, t) = token(i)?;
    match parse_u64(t) {
        Some(v) => Ok((rest, v)),
        None => Err(Err::Error(Error::new(i, ErrorKind::Digit))),
    }
}

/// Decimal digits only; `None` for anything else or an empty slice.
#[inline]
pub fn parse_u64(t: &[u8]) -> Option<u64> {
    if t.is_empty() || t.len() > 20 {
        return None;
    }
    let mut v: u64 = 0;
    for &b in t {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v.saturating_mul(10).saturating_add(d as u64);
    }
    Some(v)
}

/// Port number: decimal and ≤ 65535.
#[inline]
pub fn parse_port(t: &[u8]) -> Option<u16> {
    if t.len() > 5 {
        return None;
    }
    parse_u64(t).and_then(|v| u16::try_from(v).ok())
}

/// Lowercase hex digits only (kernel pointers and cookies in BSD `-A`
/// and macOS `-A` prefixes).
#[inline]
pub fn is_hex(t: &[u8]) -> bool {
    !t.is_empty() && t.iter().all(|b| b.is_ascii_hexdigit())
}

/// Strips a trailing `\r` (CRLF files) and trailing blanks.
#[inline]
pub fn trim_end(line: &[u8]) -> &[u8] {
    let mut end = line.len();
    // Eight bytes at a time over long padding (ss pads its last column).
    while end >= 8 {
        let x = u64::from_le_bytes(line[end - 8..end].try_into().unwrap_or([0; 8]));
        let blank = blank_bytes(x);
        let keep = !blank & HIGHS;
        if keep != 0 {
            // The highest non-blank byte ends the line.
            end = end - 8 + (7 - (keep.leading_zeros() / 8) as usize) + 1;
            return &line[..end];
        }
        end -= 8;
    }
    while end > 0 && matches!(line[end - 1], b' ' | b'\t' | b'\r') {
        end -= 1;
    }
    &line[..end]
}

/// Splits off the first token; returns `(token, rest)` with `rest` not yet
/// trimmed. A convenience wrapper used where a full nom chain would only add
/// noise.
#[inline]
pub fn split_token(i: &[u8]) -> Option<(&[u8], &[u8])> {
    token(i).ok().map(|(rest, t)| (t, rest))
}

/// Starts with `prefix`, ASCII case-sensitive.
#[inline]
pub fn starts_with(i: &[u8], prefix: &[u8]) -> bool {
    i.len() >= prefix.len() && &i[..prefix.len()] == prefix
}

/// Lossy UTF-8 of a byte slice, for messages and samples.
pub fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use nom::Parser;

    #[test]
    fn tokens_skip_any_padding() {
        let line = b"tcp   \t ESTAB 0      0   ";
        let (rest, (a, b, c, d)) = (token, token, uint, uint).parse(&line[..]).unwrap();
        assert_eq!((a, b, c, d), (&b"tcp"[..], &b"ESTAB"[..], 0, 0));
        assert!(token(rest).is_err());
    }

    #[test]
    fn numbers_are_strict_and_saturate() {
        assert_eq!(parse_u64(b"123"), Some(123));
        assert_eq!(parse_u64(b"12a"), None);
        assert_eq!(parse_u64(b""), None);
        assert_eq!(parse_u64(b"99999999999999999999"), Some(u64::MAX));
        assert_eq!(parse_port(b"65535"), Some(65535));
        assert_eq!(parse_port(b"65536"), None);
        assert_eq!(parse_port(b"-1"), None);
    }

    #[test]
    fn word_at_a_time_scans_agree_with_byte_loops() {
        let cases: &[&[u8]] = &[
            b"",
            b" ",
            b"abc",
            b"   abc  def   ",
            b"\t\t  x",
            b"0123456789abcdef  ",
            b"                 tail",
            b"ESTAB      0      0           10.0.4.21:34770      10.1.2.13:5432        ",
            b"x\r",
            b"x \r\r  ",
            b"\r",
            b"a\x80\xff b",
            b"\x00\x00\x00\x00\x00\x00\x00\x00 z",
        ];
        for c in cases {
            let slow_skip = c.iter().position(|b| !is_ws(*b)).unwrap_or(c.len());
            assert_eq!(skip_ws(c).len(), c.len() - slow_skip, "{c:?}");
            assert!(is_ws(b'\r'));
            let rest = &c[slow_skip..];
            let slow_tok = rest.iter().position(|b| is_ws(*b)).unwrap_or(rest.len());
            assert_eq!(token_len(rest), slow_tok, "{c:?}");
            let slow_end = c.iter().rposition(|b| !matches!(b, b' ' | b'\t' | b'\r')).map_or(0, |p| p + 1);
            assert_eq!(trim_end(c), &c[..slow_end], "{c:?}");
        }
        // Every alignment of a padded row.
        let row = b"LISTEN 0      128           0.0.0.0:22           0.0.0.0:*           ";
        for a in 0..row.len() {
            let c = &row[a..];
            let slow_skip = c.iter().position(|b| !is_ws(*b)).unwrap_or(c.len());
            assert_eq!(skip_ws(c).len(), c.len() - slow_skip);
            let slow_end = c.iter().rposition(|b| !is_ws(*b)).map_or(0, |p| p + 1);
            assert_eq!(trim_end(c).len(), slow_end);
        }
    }

    #[test]
    fn digit_dot_classifier_is_exact_for_every_byte() {
        for b in 0..=255u8 {
            let want = b.is_ascii_digit() || b == b'.';
            let mut s = *b"12345678";
            for pos in 0..8 {
                s[pos] = b;
                assert_eq!(all_digits_or_dots(&s), want, "byte {b:#x} at {pos}");
                s[pos] = b'1';
            }
        }
        assert!(all_digits_or_dots(b"192.168.100.200"));
        assert!(!all_digits_or_dots(b"192.168.100.20a"));
        assert!(all_digits_or_dots(b""));
    }

    #[test]
    fn crlf_and_trailing_blanks_are_trimmed() {
        assert_eq!(trim_end(b"LISTEN   \r"), b"LISTEN");
        assert_eq!(trim_end(b" \r"), b"");
    }
}
