//! Terminal-safe text.
//!
//! Captures come off broken or hostile machines: a line can hold escape
//! sequences (`ESC ] 0;title BEL` retitles the window, `ESC [2J` clears the
//! screen, some terminals do more). Everything taken from input that is
//! printed for a person to read goes through [`visible`] first, which
//! spells control characters out (`\x1b`) instead of sending them.
//! Machine formats (JSON, CSV) stay exact: their consumers are programs.

use std::borrow::Cow;
use std::fmt::Write;

/// True for characters a terminal acts on instead of printing: C0 controls
/// (TAB included: it moves the cursor and breaks column alignment), DEL,
/// C1 controls (8-bit CSI, OSC…), and the bidirectional overrides and
/// isolates that reorder what is displayed ("Trojan Source").
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every unsafe character written as an escape: `\x1b` for C0,
/// DEL and C1, `\n`, `\r` and `\t` for those, `\u{202e}` for the others.
/// Borrowed when there is nothing to escape (the common case).
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_visible(&mut out, c);
    }
    Cow::Owned(out)
}

/// Like [`visible`], but keeps line breaks: for whole blocks of text whose
/// own layout uses `\n` (the summary tables), escaping everything else.
pub fn visible_lines(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && is_unsafe(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c == '\n' {
            out.push(c);
        } else {
            push_visible(&mut out, c);
        }
    }
    Cow::Owned(out)
}

fn push_visible(out: &mut String, c: char) {
    if !is_unsafe(c) {
        out.push(c);
        return;
    }
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x100 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_spelled_out() {
        assert_eq!(visible("\x1b]0;owned\x07 \x1b[2J"), "\\x1b]0;owned\\x07 \\x1b[2J");
        assert_eq!(visible("a\tb\r\nc\x7f"), "a\\tb\\r\\nc\\x7f");
        // 8-bit CSI and a right-to-left override.
        assert_eq!(visible("x\u{9b}31m \u{202e}cod.exe"), "x\\x9b31m \\u{202e}cod.exe");
    }

    #[test]
    fn ordinary_text_is_borrowed_unchanged() {
        for s in ["web-1 · 10.0.0.1:443 → fe80::1%eth0", "Aktive Verbindungen ÄÖÜ", "…", ""] {
            assert!(matches!(visible(s), Cow::Borrowed(_)), "{s}");
            assert!(matches!(visible_lines(s), Cow::Borrowed(_)), "{s}");
        }
    }

    #[test]
    fn visible_lines_keeps_only_newlines() {
        assert_eq!(visible_lines("a\nb\x1b[1m\n\tc"), "a\nb\\x1b[1m\n\\tc");
    }

    proptest::proptest! {
        #[test]
        fn nothing_unsafe_survives(s in proptest::prelude::any::<String>()) {
            let v = visible(&s);
            proptest::prop_assert!(!v.chars().any(is_unsafe));
            let l = visible_lines(&s);
            proptest::prop_assert!(!l.chars().any(|c| c != '\n' && is_unsafe(c)));
        }
    }
}
