//! A4 PDFs made on the desk, offline: a small page layout (text lines, tick boxes, rules) in
//! DejaVu Sans Condensed, regular and bold, embedded as subsets (the fonts are in
//! `assets/fonts`, under their own free licence, `LICENSE-DejaVu.txt`). Any script DejaVu
//! covers prints; a character it lacks prints as its replacement glyph. Written with
//! `pdf-writer`, fonts read with `ttf-parser` and subset with `subsetter`.

use std::collections::BTreeMap;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Finish as _, Name, Pdf, Rect, Ref, Str, TextStr};

static REGULAR: &[u8] = include_bytes!("../assets/fonts/DejaVuSansCondensed.ttf");
static BOLD: &[u8] = include_bytes!("../assets/fonts/DejaVuSansCondensed-Bold.ttf");

/// A4 in points.
pub const A4_WIDTH: f32 = 595.28;
pub const A4_HEIGHT: f32 = 841.89;

/// What is drawn on a page.
#[derive(Debug, Clone, PartialEq)]
pub enum Mark {
    /// Text with its baseline at `y`.
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        text: String,
    },
    /// A tick box with its lower left corner at (x, y), ticked or not.
    Box {
        x: f32,
        y: f32,
        size: f32,
        ticked: bool,
    },
    /// A thin horizontal rule.
    Rule { x: f32, y: f32, width: f32 },
}

/// A face and how wide its text is.
pub struct Font {
    face: ttf_parser::Face<'static>,
    data: &'static [u8],
}

impl Font {
    pub fn regular() -> &'static Font {
        static F: std::sync::OnceLock<Font> = std::sync::OnceLock::new();
        F.get_or_init(|| Font::load(REGULAR))
    }

    pub fn bold() -> &'static Font {
        static F: std::sync::OnceLock<Font> = std::sync::OnceLock::new();
        F.get_or_init(|| Font::load(BOLD))
    }

    fn load(data: &'static [u8]) -> Font {
        // The embedded fonts are known good (a test opens them).
        let face = ttf_parser::Face::parse(data, 0).unwrap_or_else(|e| panic!("font: {e}"));
        Font { face, data }
    }

    fn glyph(&self, c: char) -> u16 {
        self.face
            .glyph_index(c)
            .or_else(|| self.face.glyph_index('\u{FFFD}'))
            .or_else(|| self.face.glyph_index('?'))
            .map(|g| g.0)
            .unwrap_or(0)
    }

    fn units(&self) -> f32 {
        f32::from(self.face.units_per_em())
    }

    fn advance(&self, gid: u16) -> f32 {
        f32::from(
            self.face
                .glyph_hor_advance(ttf_parser::GlyphId(gid))
                .unwrap_or(0),
        )
    }

    /// The width of `text` at `size` points.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .map(|c| self.advance(self.glyph(c)))
            .sum::<f32>()
            * size
            / self.units()
    }

    /// `text` cut to `width` at `size`, with "…" when cut.
    pub fn fit(&self, text: &str, size: f32, width: f32) -> String {
        if self.width(text, size) <= width {
            return text.to_owned();
        }
        let mut out = String::new();
        for c in text.chars() {
            let next = format!("{out}{c}…");
            if self.width(&next, size) > width {
                break;
            }
            out.push(c);
        }
        format!("{}…", out.trim_end())
    }

    /// `text` in lines no wider than `width` at `size` (words kept whole where they fit).
    pub fn wrap(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in text.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if self.width(&candidate, size) <= width || line.is_empty() {
                line = candidate;
            } else {
                lines.push(std::mem::take(&mut line));
                line = word.to_owned();
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
            .into_iter()
            .map(|l| self.fit(&l, size, width))
            .collect()
    }
}

/// One embedded font: the glyphs used, renumbered for the subset.
struct Embedded {
    font: &'static Font,
    remapper: subsetter::GlyphRemapper,
    /// New glyph id → the character it shows.
    chars: BTreeMap<u16, char>,
}

impl Embedded {
    fn new(font: &'static Font) -> Self {
        let mut remapper = subsetter::GlyphRemapper::new();
        remapper.remap(0);
        Self {
            font,
            remapper,
            chars: BTreeMap::new(),
        }
    }

    /// The bytes that show `text` (Identity-H: two bytes a glyph, the subset's ids).
    fn encode(&mut self, text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() * 2);
        for c in text.chars() {
            let new = self.remapper.remap(self.font.glyph(c));
            self.chars.entry(new).or_insert(c);
            out.extend_from_slice(&new.to_be_bytes());
        }
        out
    }
}

/// A PDF of A4 pages, each a list of marks; `title` goes in the document's information.
pub fn a4_pdf(title: &str, pages: &[Vec<Mark>]) -> Result<Vec<u8>, String> {
    pdf_of_size(title, pages, A4_WIDTH, A4_HEIGHT)
}

/// [`a4_pdf`] with the pages turned: A4 landscape (wide tables such as the training matrix).
pub fn a4_landscape_pdf(title: &str, pages: &[Vec<Mark>]) -> Result<Vec<u8>, String> {
    pdf_of_size(title, pages, A4_HEIGHT, A4_WIDTH)
}

fn pdf_of_size(
    title: &str,
    pages: &[Vec<Mark>],
    page_width: f32,
    page_height: f32,
) -> Result<Vec<u8>, String> {
    let mut pdf = Pdf::new();
    let mut next = Ref::new(1);
    let mut bump = || next.bump();
    let catalog = bump();
    let tree = bump();
    let info = bump();
    let fonts = [
        (Name(b"F1"), bump(), bump(), bump(), bump(), bump()),
        (Name(b"F2"), bump(), bump(), bump(), bump(), bump()),
    ];
    let mut embedded = [Embedded::new(Font::regular()), Embedded::new(Font::bold())];
    let page_ids: Vec<(Ref, Ref)> = pages.iter().map(|_| (bump(), bump())).collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().map(|(p, _)| *p))
        .count(i32::try_from(pages.len()).unwrap_or(i32::MAX));
    pdf.document_info(info)
        .title(TextStr(title))
        .producer(TextStr("Loopdesk"));
    for (marks, (page_id, content_id)) in pages.iter().zip(&page_ids) {
        let mut content = Content::new();
        for m in marks {
            match m {
                Mark::Text {
                    x,
                    y,
                    size,
                    bold,
                    text,
                } => {
                    let i = usize::from(*bold);
                    let bytes = embedded[i].encode(text);
                    content
                        .begin_text()
                        .set_font(fonts[i].0, *size)
                        .next_line(*x, *y)
                        .show(Str(&bytes))
                        .end_text();
                }
                Mark::Box { x, y, size, ticked } => {
                    content
                        .set_line_width(0.8)
                        .rect(*x, *y, *size, *size)
                        .stroke();
                    if *ticked {
                        content
                            .set_line_width(1.6)
                            .move_to(x + size * 0.2, y + size * 0.5)
                            .line_to(x + size * 0.42, y + size * 0.2)
                            .line_to(x + size * 0.85, y + size * 0.85)
                            .stroke();
                    }
                }
                Mark::Rule { x, y, width } => {
                    content
                        .set_line_width(0.4)
                        .set_stroke_gray(0.6)
                        .move_to(*x, *y)
                        .line_to(x + width, *y)
                        .stroke()
                        .set_stroke_gray(0.0);
                }
            }
        }
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, page_width, page_height))
            .parent(tree)
            .contents(*content_id);
        let mut resources = page.resources();
        let mut f = resources.fonts();
        for (name, type0, ..) in &fonts {
            f.pair(*name, *type0);
        }
        f.finish();
        resources.finish();
        page.finish();
        pdf.stream(*content_id, &content.finish());
    }
    let system = SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    };
    for ((_, type0, cid, descriptor, file, cmap), e) in fonts.iter().zip(&embedded) {
        let base = if std::ptr::eq(e.font, Font::bold()) {
            "LDBOLD+DejaVuSansCondensed-Bold"
        } else {
            "LDREGU+DejaVuSansCondensed"
        };
        let base = Name(base.as_bytes());
        let subset = subsetter::subset(e.font.data, 0, &e.remapper)
            .map_err(|err| format!("subsetting the font: {err:?}"))?;
        pdf.type0_font(*type0)
            .base_font(base)
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(*cid)
            .to_unicode(*cmap);
        let units = e.font.units();
        let widths: Vec<f32> = e
            .remapper
            .remapped_gids()
            .map(|old| e.font.advance(old) * 1000.0 / units)
            .collect();
        let mut cid_font = pdf.cid_font(*cid);
        cid_font
            .subtype(CidFontType::Type2)
            .base_font(base)
            .system_info(system)
            .font_descriptor(*descriptor)
            .cid_to_gid_map_predefined(Name(b"Identity"));
        cid_font.widths().consecutive(0, widths);
        cid_font.finish();
        let face = &e.font.face;
        let scale = |v: i16| f32::from(v) * 1000.0 / units;
        let bbox = face.global_bounding_box();
        pdf.font_descriptor(*descriptor)
            .name(base)
            .flags(FontFlags::NON_SYMBOLIC)
            .bbox(Rect::new(
                scale(bbox.x_min),
                scale(bbox.y_min),
                scale(bbox.x_max),
                scale(bbox.y_max),
            ))
            .italic_angle(0.0)
            .ascent(scale(face.ascender()))
            .descent(scale(face.descender()))
            .cap_height(scale(face.capital_height().unwrap_or(face.ascender())))
            .stem_v(80.0)
            .font_file2(*file);
        pdf.stream(*file, &subset).pair(
            Name(b"Length1"),
            i32::try_from(subset.len()).unwrap_or(i32::MAX),
        );
        let mut map = UnicodeCmap::new(Name(b"Loopdesk-UCS"), system);
        for (gid, c) in &e.chars {
            map.pair(*gid, *c);
        }
        pdf.cmap(*cmap, &map.finish());
    }
    Ok(pdf.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fonts_load_and_measure() {
        let r = Font::regular();
        assert!(r.width("Maggie Wilson", 10.0) > 30.0);
        assert!(Font::bold().width("W", 10.0) > r.width("i", 10.0));
        let cut = r.fit(&"Long name ".repeat(20), 10.0, 100.0);
        assert!(cut.ends_with('…') && r.width(&cut, 10.0) <= 100.0);
        let lines = r.wrap(
            "Needs two staff and the evacuation chair from the stairwell",
            9.0,
            90.0,
        );
        assert!(lines.len() > 1 && lines.iter().all(|l| r.width(l, 9.0) <= 90.0));
    }

    #[test]
    fn a_pdf_has_its_pages_in_a4_and_embedded_subset_fonts() {
        let page = |t: &str| {
            vec![
                Mark::Text {
                    x: 40.0,
                    y: 800.0,
                    size: 12.0,
                    bold: true,
                    text: t.into(),
                },
                Mark::Box {
                    x: 40.0,
                    y: 780.0,
                    size: 10.0,
                    ticked: true,
                },
                Mark::Rule {
                    x: 40.0,
                    y: 770.0,
                    width: 500.0,
                },
            ]
        };
        let bytes = a4_pdf("Test", &[page("Zoë Ødegård"), page("Łukasz")]).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(bytes.starts_with(b"%PDF-"));
        assert!(text.contains("/Count 2"));
        assert_eq!(text.matches("/MediaBox [0 0 595.28 841.89]").count(), 2);
        assert!(text.contains("/FontFile2"));
        // Subsets: far smaller than the fonts themselves.
        assert!(bytes.len() < REGULAR.len() / 4, "{} bytes", bytes.len());
    }
}
