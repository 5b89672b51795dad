//! Escaping for the Markdown report: askama applies it to every value
//! interpolated into a `.md` template (see `askama.toml`), so a process
//! or host name from a capture can never become markup.

use std::fmt::{self, Write};

/// Backslash-escapes the characters that start Markdown inline markup
/// (code, emphasis, links, images, strikethrough, table cells),
/// HTML-escapes `<`, `>` and `&` (Markdown renderers pass raw HTML
/// through) and flattens line breaks so a value cannot leave its table
/// cell. `_` inside a word (`TIME_WAIT`) cannot open emphasis in
/// CommonMark, so only a word-edge `_` is escaped: the raw file stays
/// readable for pasting.
#[derive(Debug, Clone, Copy, Default)]
pub struct Markdown;

impl askama::filters::Escaper for Markdown {
    fn write_escaped_str<W: Write>(&self, mut dest: W, s: &str) -> fmt::Result {
        let mut prev: Option<char> = None;
        let mut it = s.chars().peekable();
        // The last three characters, for `www.`.
        let mut last3 = ['\0'; 3];
        while let Some(c) = it.next() {
            // GitHub turns bare `scheme://` and `www.` into links; an escaped
            // `:` or `.` becomes its own text node and stops that.
            let autolink = (c == ':' && it.clone().take(2).eq("//".chars()))
                || (c == '.' && last3.iter().all(|w| w.eq_ignore_ascii_case(&'w')));
            last3 = [last3[1], last3[2], c];
            if autolink {
                dest.write_char('\\')?;
                dest.write_char(c)?;
                prev = Some(c);
                continue;
            }
            match c {
                '\\' | '`' | '*' | '[' | ']' | '|' | '~' => {
                    dest.write_char('\\')?;
                    dest.write_char(c)?;
                }
                '_' => {
                    let inner = prev.is_some_and(char::is_alphanumeric)
                        && it.peek().is_some_and(|n| n.is_alphanumeric());
                    if !inner {
                        dest.write_char('\\')?;
                    }
                    dest.write_char('_')?;
                }
                '<' => dest.write_str("&lt;")?,
                '>' => dest.write_str("&gt;")?,
                '&' => dest.write_str("&amp;")?,
                '\n' | '\r' | '\t' => dest.write_char(' ')?,
                // Escape sequences: `report.md` is also read with `cat`.
                c if crate::term::is_unsafe(c) => {
                    dest.write_str(&crate::term::visible(c.encode_utf8(&mut [0; 4])))?
                }
                c => dest.write_char(c)?,
            }
            prev = Some(c);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use askama::filters::Escaper;

    fn esc(s: &str) -> String {
        let mut out = String::new();
        super::Markdown.write_escaped_str(&mut out, s).unwrap();
        out
    }

    #[test]
    fn markup_from_inputs_stays_text() {
        assert_eq!(esc("a|b"), "a\\|b");
        assert_eq!(esc("[x](http://e)"), "\\[x\\](http\\://e)");
        assert_eq!(esc("TIME_WAIT"), "TIME_WAIT");
        assert_eq!(esc("see https://evil.example"), "see https\\://evil.example");
        assert_eq!(esc("www.evil.example"), "www\\.evil.example");
        assert_eq!(esc("10.0.0.1:443"), "10.0.0.1:443");
        assert_eq!(esc("_x_ *y*"), "\\_x\\_ \\*y\\*");
        assert_eq!(esc("<script>"), "&lt;script&gt;");
        assert_eq!(esc("line\nbreak"), "line break");
        assert_eq!(esc("10.0.0.1:443"), "10.0.0.1:443");
    }
}
