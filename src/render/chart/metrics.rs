//! Metrics of the bundled fonts, read from their TrueType tables (`cmap`,
//! `hhea`, `hmtx`, `kern`, and the glyph tops from `loca`/`glyf`), for
//! measuring text and for placing glyphs one by one in PNGs.
//!
//! Why: plotters 0.3.7's `ab_glyph` text path starts every glyph's ink at
//! the pen position, dropping the glyph's left side bearing, and rounds the
//! pen per glyph, so PNG labels come out unevenly spaced ("ES TABLISHED");
//! its vertical rounding also lifts short glyphs ('.', '-') a pixel.
//! The painter instead draws each glyph as its own text at the position
//! these metrics give, which plotters then renders exactly there.

use std::sync::OnceLock;

/// What the layout needs of one font face.
pub(super) struct Face {
    /// ascent − descent in font units: ab_glyph scales a font of "size" s
    /// so that this span is s pixels.
    height_units: f64,
    /// (first char, last char, first glyph) from the format-12 `cmap`.
    cmap: Vec<(u32, u32, u32)>,
    /// Advance width and left side bearing per glyph, in font units.
    hmtx: Vec<(u16, i16)>,
    /// Kerning pairs ((left << 16) | right, adjustment), sorted.
    kern: Vec<(u32, i16)>,
    /// Top of each glyph's bounding box (`glyf` header), in font units.
    y_max: Vec<i16>,
}

/// One glyph's place in a laid-out string, in pixels from the start.
pub(super) struct Placed {
    pub ch: char,
    /// Pen position.
    pub pen: f64,
    /// Left side bearing: where the ink starts, from the pen.
    pub bearing: f64,
    /// Pixels to move the glyph down (along the text's "down") so it sits
    /// on the common baseline: 0 or 1 (see [`Face::layout`]).
    pub drop: i32,
}

impl Face {
    /// Parses the tables this module uses; `None` if the font lacks them.
    fn parse(font: &[u8]) -> Option<Face> {
        let tables = table_directory(font)?;
        let table =
            |tag: &[u8; 4]| tables.iter().find(|(t, _)| t == tag).map(|(_, range)| &font[range.clone()]);
        let hhea = table(b"hhea")?;
        let ascent = i16::from_be_bytes(hhea.get(4..6)?.try_into().ok()?);
        let descent = i16::from_be_bytes(hhea.get(6..8)?.try_into().ok()?);
        let long_metrics = usize::from(u16_at(hhea, 34)?);
        let glyphs = usize::from(u16_at(table(b"maxp")?, 4)?);
        let hmtx_table = table(b"hmtx")?;
        let mut hmtx = Vec::with_capacity(glyphs);
        let mut last_advance = 0;
        for g in 0..glyphs {
            if g < long_metrics {
                last_advance = u16_at(hmtx_table, 4 * g)?;
                hmtx.push((last_advance, u16_at(hmtx_table, 4 * g + 2)? as i16));
            } else {
                let lsb = u16_at(hmtx_table, 4 * long_metrics + 2 * (g - long_metrics))? as i16;
                hmtx.push((last_advance, lsb));
            }
        }
        let long_loca = u16_at(table(b"head")?, 50)? == 1;
        let y_max = glyph_tops(table(b"loca")?, table(b"glyf")?, glyphs, long_loca)?;
        Some(Face {
            height_units: f64::from(ascent) - f64::from(descent),
            cmap: cmap_groups(table(b"cmap")?)?,
            hmtx,
            kern: table(b"kern").and_then(kern_pairs).unwrap_or_default(),
            y_max,
        })
    }

    fn glyph(&self, c: char) -> usize {
        let c = u32::from(c);
        let i = self.cmap.partition_point(|(_, end, _)| *end < c);
        match self.cmap.get(i) {
            Some(&(start, _, first)) if start <= c => (first + c - start) as usize,
            // Glyph 0 is .notdef, which is what ab_glyph draws too.
            _ => 0,
        }
    }

    fn kerning(&self, left: usize, right: usize) -> i16 {
        let key = ((left as u32) << 16) | right as u32;
        self.kern.binary_search_by_key(&key, |(k, _)| *k).map_or(0, |i| self.kern[i].1)
    }

    /// Lays `text` out at `size`: each glyph's ink start, and the advance
    /// width of the whole string.
    pub fn layout(&self, text: &str, size: f64) -> (Vec<Placed>, f64) {
        let scale = size / self.height_units;
        let mut pen = 0.0;
        let mut previous = None;
        let mut placed = Vec::with_capacity(text.len());
        for ch in text.chars() {
            let g = self.glyph(ch);
            if let Some(p) = previous {
                pen += f64::from(self.kerning(p, g)) * scale;
            }
            let (advance, lsb) = self.hmtx.get(g).copied().unwrap_or((0, 0));
            // plotters puts a glyph's bitmap at trunc(size / 2 + top), where
            // top = floor(-y_max · scale) is the bitmap's first row relative
            // to the baseline. Truncation rounds negative values (tall
            // glyphs) up but positive ones (short glyphs: '.', '-') down, so
            // those float a pixel above the rest; rounding them up as well
            // puts every glyph on one baseline.
            let top = (-f64::from(self.y_max.get(g).copied().unwrap_or(0)) * scale).floor();
            let at = size / 2.0 + top;
            let drop = if at > 0.0 && at.fract() != 0.0 { 1 } else { 0 };
            placed.push(Placed { ch, pen, bearing: f64::from(lsb) * scale, drop });
            pen += f64::from(advance) * scale;
            previous = Some(g);
        }
        (placed, pen)
    }
}

/// The regular or bold face of the bundled font.
pub(super) fn face(bold: bool) -> Option<&'static Face> {
    static REGULAR: OnceLock<Option<Face>> = OnceLock::new();
    static BOLD: OnceLock<Option<Face>> = OnceLock::new();
    let (cell, bytes) = if bold { (&BOLD, super::FONT_BOLD) } else { (&REGULAR, super::FONT_REGULAR) };
    cell.get_or_init(|| Face::parse(bytes)).as_ref()
}

fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(data.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

/// Tag and byte range of every table.
fn table_directory(font: &[u8]) -> Option<Vec<([u8; 4], std::ops::Range<usize>)>> {
    let count = usize::from(u16_at(font, 4)?);
    (0..count)
        .map(|i| {
            let record = 12 + 16 * i;
            let tag: [u8; 4] = font.get(record..record + 4)?.try_into().ok()?;
            let offset = u32_at(font, record + 8)? as usize;
            let length = u32_at(font, record + 12)? as usize;
            (offset + length <= font.len()).then_some((tag, offset..offset + length))
        })
        .collect()
}

/// The `yMax` of every glyph's header; 0 for glyphs without outline.
fn glyph_tops(loca: &[u8], glyf: &[u8], glyphs: usize, long: bool) -> Option<Vec<i16>> {
    (0..glyphs)
        .map(|g| {
            let (start, end) = if long {
                (u32_at(loca, 4 * g)? as usize, u32_at(loca, 4 * g + 4)? as usize)
            } else {
                (2 * usize::from(u16_at(loca, 2 * g)?), 2 * usize::from(u16_at(loca, 2 * g + 2)?))
            };
            if end <= start {
                return Some(0);
            }
            Some(u16_at(glyf, start + 8)? as i16)
        })
        .collect()
}

/// The groups of the Unicode full-repertoire (format 12) subtable.
fn cmap_groups(cmap: &[u8]) -> Option<Vec<(u32, u32, u32)>> {
    let subtables = usize::from(u16_at(cmap, 2)?);
    for i in 0..subtables {
        let offset = u32_at(cmap, 4 + 8 * i + 4)? as usize;
        if u16_at(cmap, offset)? != 12 {
            continue;
        }
        let groups = u32_at(cmap, offset + 12)? as usize;
        return (0..groups)
            .map(|g| {
                let at = offset + 16 + 12 * g;
                Some((u32_at(cmap, at)?, u32_at(cmap, at + 4)?, u32_at(cmap, at + 8)?))
            })
            .collect();
    }
    None
}

/// The pairs of the first horizontal format-0 subtable of a `kern` table.
fn kern_pairs(kern: &[u8]) -> Option<Vec<(u32, i16)>> {
    let subtables = usize::from(u16_at(kern, 2)?);
    let mut offset = 4;
    for _ in 0..subtables {
        let length = usize::from(u16_at(kern, offset + 2)?);
        let coverage = u16_at(kern, offset + 4)?;
        // Format in the high byte, bit 0 = horizontal.
        if coverage >> 8 == 0 && coverage & 1 == 1 {
            let pairs = usize::from(u16_at(kern, offset + 6)?);
            let mut out: Vec<(u32, i16)> = (0..pairs)
                .map(|p| {
                    let at = offset + 14 + 6 * p;
                    Some((u32_at(kern, at)?, u16_at(kern, at + 4)? as i16))
                })
                .collect::<Option<_>>()?;
            out.sort_unstable_by_key(|(k, _)| *k);
            return Some(out);
        }
        offset += length;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_fonts_parse() {
        for bold in [false, true] {
            let face = face(bold).expect("bundled font has cmap, hhea, hmtx");
            let (placed, width) = face.layout("ESTABLISHED 12,345 …→", 14.0);
            assert_eq!(placed.len(), "ESTABLISHED 12,345 …→".chars().count());
            assert!(width > 100.0 && width < 250.0, "{width}");
            assert!(face.glyph('…') != 0 && face.glyph('→') != 0 && face.glyph('·') != 0);
            // Ink starts after the pen for 'E' (positive side bearing).
            assert!(placed[0].bearing > 0.0);
            let top = |c: char| face.y_max[face.glyph(c)];
            assert!(top('E') > 1000 && top('.') > 0 && top('.') < 400, "{} {}", top('E'), top('.'));
        }
    }

    #[test]
    fn widths_match_plotters() {
        super::super::ensure_fonts();
        use plotters::style::{FontDesc, FontFamily, FontStyle};
        for text in ["10.21.149.109:5432", "TIME_WAIT", "local ports in use (of 28,232)"] {
            let ((x0, _), (x1, _)) =
                FontDesc::new(FontFamily::SansSerif, 14.0, FontStyle::Normal).layout_box(text).unwrap();
            let (_, ours) = face(false).unwrap().layout(text, 14.0);
            assert!((f64::from(x1 - x0) - ours).abs() <= 2.0, "{text}: plotters {} vs {ours}", x1 - x0);
        }
    }
}
