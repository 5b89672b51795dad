//! Escaping for the Markdown report: askama applies it to every value
//! interpolated into a `.md` template (see `askama.toml`), so a process
//! or host name from a capture can never become markup.

use std::fmt::{self, Write};

/// Backslash-escapes Markdown punctuation, HTML-escapes `<`, `>` and `&`
/// (Markdown renderers pass raw HTML through) and flattens line breaks so a
/// value cannot break out of a table cell.
#[derive(Debug, Clone, Copy, Default)]
pub struct Markdown;

impl askama::filters::Escaper for Markdown {
    fn write_escaped_str<W: Write>(&self, mut dest: W, s: &str) -> fmt::Result {
        for c in s.chars() {
            match c {
                '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '!' | '|' | '~' => {
                    dest.write_char('\\')?;
                    dest.write_char(c)?;
                }
                '<' => dest.write_str("&lt;")?,
                '>' => dest.write_str("&gt;")?,
                '&' => dest.write_str("&amp;")?,
                '\n' | '\r' | '\t' => dest.write_char(' ')?,
                c => dest.write_char(c)?,
            }
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
        assert_eq!(esc("[x](http://e)"), "\\[x\\]\\(http://e\\)");
        assert_eq!(esc("<script>"), "&lt;script&gt;");
        assert_eq!(esc("line\nbreak"), "line break");
        assert_eq!(esc("10.0.0.1:443"), "10.0.0.1:443");
    }
}
