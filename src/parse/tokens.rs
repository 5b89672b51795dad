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

/// Space or tab: the only separators socket tables use.
#[inline(always)]
pub fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Skips leading blanks.
#[inline(always)]
pub fn skip_ws(i: &[u8]) -> &[u8] {
    let mut n = 0;
    while n < i.len() && is_ws(i[n]) {
        n += 1;
    }
    &i[n..]
}

/// One whitespace-delimited token, leading blanks skipped.
#[inline]
pub fn token(i: &[u8]) -> PResult<'_, &[u8]> {
    let i = skip_ws(i);
    let mut n = 0;
    while n < i.len() && !is_ws(i[n]) {
        n += 1;
    }
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
pub fn trim_end(mut line: &[u8]) -> &[u8] {
    while let [rest @ .., last] = line {
        if *last == b'\r' || is_ws(*last) {
            line = rest;
        } else {
            break;
        }
    }
    line
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
    fn crlf_and_trailing_blanks_are_trimmed() {
        assert_eq!(trim_end(b"LISTEN   \r"), b"LISTEN");
        assert_eq!(trim_end(b" \r"), b"");
    }
}
