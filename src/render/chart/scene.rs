//! The backend-independent display list every chart draws into, and its
//! painting onto plotters' bitmap (PNG) and SVG backends.
//!
//! Charts lay themselves out in pixels and push [`Item`]s; text is measured
//! with the bundled font's metrics ([`metrics`]), the same for both outputs,
//! so a layout that fits in the PNG fits in the SVG, whose viewers'
//! sans-serif fonts are no wider than DejaVu Sans. PNG text is placed glyph
//! by glyph (see [`metrics`] for why). Keeping a list rather than drawing straight
//! into a backend lets one layout serve both outputs, lets tests check the
//! geometry (no overlapping labels), and carries the full text of
//! truncated labels to the SVG as `<title>` tooltips.
//!
//! This file also owns the PNG encoder (plotters' own encoder writes only
//! to files; `flate2` is already a dependency) and the SVG post-processing.

use plotters::backend::{BitMapBackend, DrawingBackend, SVGBackend};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{
    Color, FontDesc, FontFamily, FontStyle, FontTransform, RGBColor, ShapeStyle, TextStyle, WHITE,
};

use super::{ChartError, metrics};

/// A point in pixels from the top-left corner.
pub(super) type Pt = (i32, i32);

/// One piece of text. `at` is the anchor point; `h`/`v` say which part of
/// the text sits there (`VPos::Center` centres digits and capitals on it).
#[derive(Clone)]
pub(super) struct Text {
    pub text: String,
    pub at: Pt,
    pub size: f64,
    pub bold: bool,
    pub color: RGBColor,
    pub h: HPos,
    pub v: VPos,
    /// Rotated a quarter turn to read bottom-up (y-axis titles, dense
    /// category labels).
    pub vertical: bool,
    /// Full text shown as an SVG tooltip when `text` is a shortened form.
    pub tooltip: Option<String>,
}

impl Text {
    pub fn new(text: impl Into<String>, at: Pt, size: f64, color: RGBColor) -> Self {
        Text {
            text: text.into(),
            at,
            size,
            bold: false,
            color,
            h: HPos::Left,
            v: VPos::Center,
            vertical: false,
            tooltip: None,
        }
    }
    pub fn anchor(mut self, h: HPos, v: VPos) -> Self {
        self.h = h;
        self.v = v;
        self
    }
    pub fn bold(mut self) -> Self {
        self.bold = true;
        self
    }
    pub fn vertical(mut self) -> Self {
        self.vertical = true;
        self
    }
    pub fn tooltip(mut self, full: Option<String>) -> Self {
        self.tooltip = full;
        self
    }

    /// The box the text covers (x0, y0, x1, y1), from the font metrics:
    /// the advance width and the cap-height-plus-descender band.
    pub fn bbox(&self) -> (i32, i32, i32, i32) {
        let w = text_width(&self.text, self.size, self.bold);
        let hgt = text_height(self.size);
        let (a0, a1) = match self.h {
            HPos::Left => (0, w),
            HPos::Center => (-w / 2, w - w / 2),
            HPos::Right => (-w, 0),
        };
        let (b0, b1) = match self.v {
            VPos::Top => (0, hgt),
            VPos::Center => (-hgt / 2, hgt - hgt / 2),
            VPos::Bottom => (-hgt, 0),
        };
        let (x, y) = self.at;
        if self.vertical {
            // Reading bottom-up: the text runs towards -y, its top faces -x.
            (x + b0, y - a1, x + b1, y - a0)
        } else {
            (x + a0, y + b0, x + a1, y + b1)
        }
    }
}

/// A drawing primitive. Rectangles are filled and span `[x0, x1) × [y0, y1)`.
#[derive(Clone)]
pub(super) enum Item {
    Rect { x0: i32, y0: i32, x1: i32, y1: i32, color: RGBColor },
    Path { points: Vec<Pt>, color: RGBColor, width: u32 },
    Polygon { points: Vec<Pt>, color: RGBColor },
    Circle { center: Pt, radius: u32, color: RGBColor },
    Text(Text),
}

/// A chart laid out in pixels, ready to paint.
pub(super) struct Scene {
    pub width: i32,
    pub height: i32,
    pub items: Vec<Item>,
}

impl Scene {
    pub fn new(width: u32, height: u32) -> Self {
        Scene { width: width as i32, height: height as i32, items: Vec::new() }
    }

    pub fn rect(&mut self, x0: i32, y0: i32, x1: i32, y1: i32, color: RGBColor) {
        if x1 > x0 && y1 > y0 {
            self.items.push(Item::Rect { x0, y0, x1, y1, color });
        }
    }

    pub fn line(&mut self, from: Pt, to: Pt, color: RGBColor, width: u32) {
        self.items.push(Item::Path { points: vec![from, to], color, width });
    }

    pub fn path(&mut self, points: Vec<Pt>, color: RGBColor, width: u32) {
        if points.len() >= 2 {
            self.items.push(Item::Path { points, color, width });
        }
    }

    /// A straight dashed line (dash and gap in pixels). plotters 0.3.7 has
    /// no dashed primitive that both backends draw the same, so the dashes
    /// are separate segments.
    pub fn dashed(&mut self, from: Pt, to: Pt, color: RGBColor, width: u32, dash: i32, gap: i32) {
        let (dx, dy) = (f64::from(to.0 - from.0), f64::from(to.1 - from.1));
        let len = dx.hypot(dy);
        if len < 1.0 {
            return;
        }
        let mut s = 0.0;
        while s < len {
            let e = (s + f64::from(dash)).min(len);
            let p = |t: f64| (from.0 + (dx * t / len).round() as i32, from.1 + (dy * t / len).round() as i32);
            self.line(p(s), p(e), color, width);
            s = e + f64::from(gap);
        }
    }

    pub fn polygon(&mut self, points: Vec<Pt>, color: RGBColor) {
        if points.len() >= 3 {
            self.items.push(Item::Polygon { points, color });
        }
    }

    pub fn circle(&mut self, center: Pt, radius: u32, color: RGBColor) {
        self.items.push(Item::Circle { center, radius, color });
    }

    pub fn text(&mut self, text: Text) {
        if !text.text.is_empty() {
            self.items.push(Item::Text(text));
        }
    }

    /// Every text item, in drawing order.
    #[cfg(test)]
    pub fn texts(&self) -> impl Iterator<Item = &Text> {
        self.items.iter().filter_map(|i| match i {
            Item::Text(t) => Some(t),
            _ => None,
        })
    }

    /// Rasterizes to PNG bytes.
    pub fn to_png(&self) -> Result<Vec<u8>, ChartError> {
        let (w, h) = (self.width as u32, self.height as u32);
        let mut rgb = vec![0xFF_u8; w as usize * h as usize * 3];
        {
            let mut backend = BitMapBackend::with_buffer(&mut rgb, (w, h));
            self.paint(&mut backend, Target::Png)?;
            backend.present().map_err(draw_error)?;
        }
        encode_png(&rgb, w, h)
    }

    /// Renders SVG text, with `<title>` tooltips on shortened labels.
    pub fn to_svg(&self) -> Result<String, ChartError> {
        let mut svg = String::new();
        let titles = {
            let mut backend = SVGBackend::with_string(&mut svg, (self.width as u32, self.height as u32));
            let titles = self.paint(&mut backend, Target::Svg)?;
            backend.present().map_err(draw_error)?;
            titles
        };
        Ok(add_svg_titles(&svg, &titles))
    }

    /// Paints every item; returns the tooltip of each `<text>` drawn, in order.
    fn paint<DB: DrawingBackend>(
        &self,
        db: &mut DB,
        target: Target,
    ) -> Result<Vec<Option<String>>, ChartError> {
        db.ensure_prepared().map_err(draw_error)?;
        db.draw_rect((0, 0), (self.width, self.height), &WHITE, true).map_err(draw_error)?;
        let mut titles = Vec::new();
        for item in &self.items {
            let drawn = match item {
                Item::Rect { x0, y0, x1, y1, color } => db.draw_rect((*x0, *y0), (*x1, *y1), color, true),
                Item::Path { points, color, width } => {
                    let style = ShapeStyle { color: color.to_rgba(), filled: false, stroke_width: *width };
                    db.draw_path(points.iter().copied(), &style)
                }
                Item::Polygon { points, color } => db.fill_polygon(points.iter().copied(), color),
                Item::Circle { center, radius, color } => db.draw_circle(*center, *radius, color, true),
                Item::Text(t) => {
                    titles.push(t.tooltip.clone());
                    match target {
                        Target::Svg => db.draw_text(&t.text, &style(t, t.h), t.at),
                        Target::Png => {
                            draw_glyphs(db, t)?;
                            Ok(())
                        }
                    }
                }
            };
            drawn.map_err(draw_error)?;
        }
        Ok(titles)
    }
}

#[derive(Clone, Copy)]
enum Target {
    Png,
    Svg,
}

fn draw_error(e: impl std::fmt::Display) -> ChartError {
    ChartError::Draw(e.to_string())
}

fn style<'a>(t: &'a Text, h: HPos) -> TextStyle<'a> {
    let weight = if t.bold { FontStyle::Bold } else { FontStyle::Normal };
    TextStyle::from(FontDesc::new(FontFamily::SansSerif, t.size, weight))
        .color(&t.color)
        .pos(Pos::new(h, t.v))
        .transform(if t.vertical { FontTransform::Rotate270 } else { FontTransform::None })
}

/// Paints `t` glyph by glyph at the positions [`metrics`] gives (see there
/// for why), each glyph left-anchored where its ink starts.
fn draw_glyphs<DB: DrawingBackend>(db: &mut DB, t: &Text) -> Result<(), ChartError> {
    let Some(face) = metrics::face(t.bold) else {
        // Not reachable with the bundled fonts; plotters' own layout then.
        return db.draw_text(&t.text, &style(t, t.h), png_text_anchor(t)).map_err(draw_error);
    };
    let (glyphs, width) = face.layout(&t.text, t.size);
    let start = match t.h {
        HPos::Left => 0.0,
        HPos::Center => -width / 2.0,
        HPos::Right => -width,
    };
    let origin = png_text_anchor(t);
    let glyph_style = style(t, HPos::Left);
    let mut buf = [0u8; 4];
    for g in glyphs.iter().filter(|g| !g.ch.is_whitespace()) {
        // ab_glyph rasterizes the glyph at pen 0, its bitmap starting at the
        // floor of the bearing; so that bitmap goes to the nearest pixel of
        // pen + floor(bearing).
        let along = (start + g.pen + g.bearing.floor()).round() as i32;
        let at = if t.vertical {
            (origin.0 + g.drop, origin.1 - along)
        } else {
            (origin.0 + along, origin.1 + g.drop)
        };
        db.draw_text(g.ch.encode_utf8(&mut buf), &glyph_style, at).map_err(draw_error)?;
    }
    Ok(())
}

/// Advance width of `text` in pixels with the bundled font.
pub(super) fn text_width(text: &str, size: f64, bold: bool) -> i32 {
    match metrics::face(bold) {
        Some(face) => face.layout(text, size).1.ceil() as i32,
        // Only if the font tables are unusable; a generous guess keeps layouts apart.
        None => (text.chars().count() as f64 * size * 0.62).ceil() as i32,
    }
}

/// Height of a line of text from cap top to descender bottom, in pixels.
pub(super) fn text_height(size: f64) -> i32 {
    (size * 0.84).round() as i32
}

/// Where to anchor text on the bitmap backend so it sits where the SVG
/// backend puts it. plotters' ab_glyph path places the baseline half a font
/// size below the top of its layout box, so text lands noticeably higher
/// than on SVG (whose `dy` attributes put it right); these fractions of the
/// size move the baseline back. The shift is along the text's own "down",
/// which for bottom-up text is +x.
fn png_text_anchor(t: &Text) -> Pt {
    let fraction = match t.v {
        VPos::Top => 0.11,
        VPos::Center => 0.20,
        VPos::Bottom => 0.09,
    };
    let shift = (t.size * fraction).round() as i32;
    if t.vertical { (t.at.0 + shift, t.at.1) } else { (t.at.0, t.at.1 + shift) }
}

/// Adds `<title>` children to the `<text>` elements that have a tooltip.
/// plotters emits exactly one `<text>` per `draw_text` call, in call order,
/// so the n-th element belongs to the n-th painted text.
fn add_svg_titles(svg: &str, titles: &[Option<String>]) -> String {
    if titles.iter().all(Option::is_none) {
        return svg.to_string();
    }
    let mut out = String::with_capacity(svg.len() + 1024);
    let mut rest = svg;
    let mut index = 0;
    while let Some(start) = rest.find("<text ") {
        // Attribute values are escaped, so the first '>' closes the tag.
        let Some(close) = rest[start..].find('>') else { break };
        let end = start + close + 1;
        out.push_str(&rest[..end]);
        if let Some(Some(title)) = titles.get(index) {
            out.push_str("<title>");
            out.push_str(&xml_escape(title));
            out.push_str("</title>");
        }
        index += 1;
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Encodes 8-bit RGB pixels as a PNG (the `png` crate, adaptive
/// filtering, default compression).
fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, ChartError> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Default);
        enc.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
        let mut w = enc.write_header().map_err(draw_error)?;
        w.write_image_data(rgb).map_err(draw_error)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_go_to_the_right_text_elements() {
        let svg = r#"<svg><text x="1">
a</text>
<text x="2">
b&gt;</text>
</svg>"#;
        let out = add_svg_titles(svg, &[None, Some("full <b>".into())]);
        assert!(out.contains("<text x=\"1\">\na</text>"));
        assert!(out.contains("<text x=\"2\"><title>full &lt;b&gt;</title>\nb&gt;</text>"));
    }

    #[test]
    fn vertical_bbox_runs_upwards() {
        super::super::ensure_fonts();
        let t = Text::new("sockets", (10, 200), 14.0, WHITE).anchor(HPos::Center, VPos::Center).vertical();
        let (x0, y0, x1, y1) = t.bbox();
        assert!(y1 - y0 > x1 - x0, "taller than wide: {:?}", t.bbox());
        assert!(y0 < 200 && y1 > 200 && x0 < 10 && x1 > 10);
    }
}
