//! The text encoding of a capture, found before lines are split.
//!
//! `netstat -ano > out.txt` in Windows PowerShell 5 writes UTF-16LE with a
//! BOM; some tools write a UTF-8 BOM; consoles redirected to a file keep
//! their legacy code page (CP866, CP1251, CP850, CP1252). Everything is
//! decoded to UTF-8 while streaming, before chunking, so the rest of the
//! pipeline (and the line accounting: decoding keeps every line break) is
//! unchanged.

use std::io::{self, Read};

/// An encoding sockscope reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum TextEncoding {
    /// UTF-8 (and ASCII): read as is.
    #[default]
    #[value(name = "utf-8")]
    Utf8,
    /// UTF-8 with a byte-order mark (removed).
    #[value(skip)]
    Utf8Bom,
    #[value(name = "utf-16le")]
    Utf16Le,
    #[value(name = "utf-16be")]
    Utf16Be,
    /// DOS Cyrillic (Russian Windows consoles).
    Cp866,
    /// Windows Cyrillic.
    Cp1251,
    /// Windows Western European.
    Cp1252,
    /// DOS Western European (German, French, Spanish… Windows consoles).
    Cp850,
}

impl TextEncoding {
    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Utf8Bom => "utf-8 (BOM)",
            TextEncoding::Utf16Le => "utf-16le",
            TextEncoding::Utf16Be => "utf-16be",
            TextEncoding::Cp866 => "cp866",
            TextEncoding::Cp1251 => "cp1251",
            TextEncoding::Cp1252 => "cp1252",
            TextEncoding::Cp850 => "cp850",
        }
    }

    fn whatwg(self) -> Option<&'static encoding_rs::Encoding> {
        Some(match self {
            TextEncoding::Utf8Bom => encoding_rs::UTF_8,
            TextEncoding::Utf16Le => encoding_rs::UTF_16LE,
            TextEncoding::Utf16Be => encoding_rs::UTF_16BE,
            TextEncoding::Cp866 => encoding_rs::IBM866,
            TextEncoding::Cp1251 => encoding_rs::WINDOWS_1251,
            TextEncoding::Cp1252 => encoding_rs::WINDOWS_1252,
            TextEncoding::Utf8 | TextEncoding::Cp850 => return None,
        })
    }
}

/// Bytes looked at to tell the encoding.
pub const HEAD: usize = 4096;

/// The encoding of a stream from its first bytes: a byte-order mark, or
/// the NUL bytes that UTF-16 puts beside every ASCII character; else
/// UTF-8 (legacy code pages are not told from bytes alone: see
/// [`legacy_candidates`]).
pub fn detect(head: &[u8]) -> TextEncoding {
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return TextEncoding::Utf8Bom;
    }
    if head.starts_with(&[0xFF, 0xFE]) {
        return TextEncoding::Utf16Le;
    }
    if head.starts_with(&[0xFE, 0xFF]) {
        return TextEncoding::Utf16Be;
    }
    // ASCII text in UTF-16: one of each pair of bytes is NUL. A capture is
    // mostly ASCII (addresses, ports, states), so most pairs show it.
    let pairs = head.len().min(1024) / 2;
    if pairs >= 8 {
        let (mut odd_nul, mut even_nul) = (0, 0);
        for p in head[..pairs * 2].chunks_exact(2) {
            match (p[0], p[1]) {
                (0, 0) => {}
                (a, 0) if a != 0 => odd_nul += 1,
                (0, b) if b != 0 => even_nul += 1,
                _ => {}
            }
        }
        if odd_nul * 10 >= pairs * 9 {
            return TextEncoding::Utf16Le;
        }
        if even_nul * 10 >= pairs * 9 {
            return TextEncoding::Utf16Be;
        }
    }
    TextEncoding::Utf8
}

/// Legacy code pages to try when a head is not valid UTF-8, in order of
/// preference on a tie: `netstat > file` in cmd.exe writes the console's
/// OEM code page (CP866, CP850) more often than the ANSI one.
pub const LEGACY: [TextEncoding; 4] =
    [TextEncoding::Cp866, TextEncoding::Cp850, TextEncoding::Cp1251, TextEncoding::Cp1252];

/// A legacy code page for a head that is not valid UTF-8, when one of
/// [`LEGACY`] decodes it to a header sockscope knows in some language
/// (`parse::locale`).
pub fn legacy_guess(head: &[u8]) -> Option<TextEncoding> {
    match std::str::from_utf8(head) {
        Ok(_) => return None,
        // Cut inside a character at the end of the head: still UTF-8.
        Err(e) if e.error_len().is_none() => return None,
        Err(_) => {}
    }
    // The code page under which the most lines read as a known localized
    // header or carry a known localized state word (an ASCII title reads
    // the same in all of them; `ABHÖREN` or `Состояние` only in one).
    let score = |enc: TextEncoding| {
        let text = decode_lossy(head, enc);
        text.lines()
            .map(|l| {
                let header = crate::parse::locale::header(l).is_some_and(|_| !l.is_ascii());
                let state =
                    l.split_whitespace().any(|w| !w.is_ascii() && crate::parse::locale::state(w).is_some());
                usize::from(header) + usize::from(state)
            })
            .sum::<usize>()
    };
    let mut best: Option<(TextEncoding, usize)> = None;
    for e in LEGACY {
        let n = score(e);
        if n > 0 && best.is_none_or(|b| n > b.1) {
            best = Some((e, n));
        }
    }
    best.map(|b| b.0)
}

/// `bytes` decoded (lossy) as `enc`: for trying a legacy code page on a head.
pub fn decode_lossy(bytes: &[u8], enc: TextEncoding) -> String {
    match enc {
        TextEncoding::Cp850 => bytes.iter().map(|b| cp850(*b)).collect(),
        e => match e.whatwg() {
            Some(w) => w.decode_without_bom_handling(bytes).0.into_owned(),
            None => String::from_utf8_lossy(bytes).into_owned(),
        },
    }
}

fn cp850(b: u8) -> char {
    if b < 0x80 { b as char } else { oem_cp::code_table::DECODING_TABLE_CP850[(b - 0x80) as usize] }
}

/// A reader that decodes `enc` to UTF-8 as it streams.
pub fn decoder(stream: Box<dyn Read + Send>, enc: TextEncoding) -> Box<dyn Read + Send> {
    match enc {
        TextEncoding::Utf8 => stream,
        TextEncoding::Cp850 => {
            Box::new(Sbcs { inner: stream, raw: vec![0; 16 * 1024], out: Vec::new(), at: 0 })
        }
        e => Box::new(
            encoding_rs_io::DecodeReaderBytesBuilder::new()
                .encoding(e.whatwg())
                // A BOM, when there is one, is removed.
                .bom_override(true)
                .strip_bom(true)
                .build(stream),
        ),
    }
}

/// A single-byte code page decoded through its table (encoding_rs has no
/// CP850).
struct Sbcs {
    inner: Box<dyn Read + Send>,
    raw: Vec<u8>,
    out: Vec<u8>,
    at: usize,
}

impl Read for Sbcs {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.at == self.out.len() {
            let n = loop {
                match self.inner.read(&mut self.raw) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    r => break r?,
                }
            };
            if n == 0 {
                return Ok(0);
            }
            self.out.clear();
            self.at = 0;
            let mut tmp = [0u8; 4];
            for &b in &self.raw[..n] {
                self.out.extend_from_slice(cp850(b).encode_utf8(&mut tmp).as_bytes());
            }
        }
        let k = buf.len().min(self.out.len() - self.at);
        buf[..k].copy_from_slice(&self.out[self.at..self.at + k]);
        self.at += k;
        Ok(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(s: &str, bom: bool) -> Vec<u8> {
        let mut v = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
        for u in s.encode_utf16() {
            v.extend_from_slice(&u.to_le_bytes());
        }
        v
    }

    fn decode_all(bytes: Vec<u8>, enc: TextEncoding) -> String {
        let mut s = String::new();
        decoder(Box::new(io::Cursor::new(bytes)), enc).read_to_string(&mut s).unwrap();
        s
    }

    #[test]
    fn utf16_with_and_without_bom_and_utf8_bom() {
        let text =
            "\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State\r\n";
        let le = utf16le(text, true);
        assert_eq!(detect(&le), TextEncoding::Utf16Le);
        assert_eq!(decode_all(le, TextEncoding::Utf16Le), text);
        let bare = utf16le(text, false);
        assert_eq!(detect(&bare), TextEncoding::Utf16Le);
        let be: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        assert_eq!(detect(&be), TextEncoding::Utf16Be);
        assert_eq!(decode_all(be, TextEncoding::Utf16Be), text);
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(text.as_bytes());
        assert_eq!(detect(&bom), TextEncoding::Utf8Bom);
        assert_eq!(decode_all(bom, TextEncoding::Utf8Bom), text);
        assert_eq!(detect(text.as_bytes()), TextEncoding::Utf8);
    }

    #[test]
    fn legacy_code_pages_decode() {
        // "Активные подключения" in CP866 and CP1251.
        let cp866 = [0x80, 0xAA, 0xE2, 0xA8, 0xA2, 0xAD, 0xEB, 0xA5];
        assert_eq!(decode_lossy(&cp866, TextEncoding::Cp866), "Активные");
        let cp1251 = [0xC0, 0xEA, 0xF2, 0xE8, 0xE2, 0xED, 0xFB, 0xE5];
        assert_eq!(decode_lossy(&cp1251, TextEncoding::Cp1251), "Активные");
        // "ABHÖREN" in CP850: Ö is 0x99.
        let cp850 = b"ABH\x99REN".to_vec();
        assert_eq!(decode_lossy(&cp850, TextEncoding::Cp850), "ABHÖREN");
        assert_eq!(decode_all(cp850, TextEncoding::Cp850), "ABHÖREN");
        assert_eq!(decode_all(b"x\xE4y".to_vec(), TextEncoding::Cp1252), "xäy");
    }
}
