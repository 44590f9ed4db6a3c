//! A drafted summary as a `.docx` laid out as a Chinese official document
//! (GB/T 9704-2012, 党政机关公文格式):
//!
//! * A4 paper; the type area 156 mm × 225 mm placed 37 mm from the top and
//!   28 mm from the left edge (so 26 mm right and 35 mm bottom margins);
//! * 22 lines a page (the document's line grid) and 28 characters a line
//!   (the text's letter spacing);
//! * the title in 2号 (22 pt) 小标宋, centred; the body in 3号 (16 pt) 仿宋_GB2312,
//!   first lines indented two characters; headings of level 1 ("一、") in
//!   黑体 and of level 2 ("（一）") in 楷体_GB2312, both 3号;
//! * page numbers in 4号 (14 pt) half-width Arabic figures between dashes
//!   ("— 1 —"), on odd pages at the right and on even pages at the left,
//!   each one character in from the edge of the type area;
//! * the issuing committee's name and the date at the end, right-aligned.
//!
//! Fonts are named as Chinese offices have them installed; a machine
//! without them substitutes its own (LibreOffice: a Song/Fang-Song face).

use docx_rs::{
    AlignmentType, DocGrid, DocGridType, Document, Docx, FieldCharType, Footer, InstrPAGE,
    InstrText, LineSpacing, PageMargin, Paragraph, Run, RunFonts, SpecialIndentType, Table,
    TableCell, TableRow, WidthType,
};

use super::docx_chart;
use crate::domain::reports::{Block, Summary};

/// Font names as installed with Chinese office suites.
pub const TITLE_FONT: &str = "方正小标宋简体";
pub const BODY_FONT: &str = "仿宋_GB2312";
pub const HEADING1_FONT: &str = "黑体";
pub const HEADING2_FONT: &str = "楷体_GB2312";
pub const PAGE_NUMBER_FONT: &str = "宋体";

/// Half-points (Word's unit for font sizes).
const SIZE_2HAO: usize = 44;
const SIZE_3HAO: usize = 32;
const SIZE_4HAO: usize = 28;

/// Twips (1/20 pt) per millimetre, rounded: 1 mm = 56.69 twips.
fn mm(millimetres: u32) -> i32 {
    (f64::from(millimetres) * 1440.0 / 25.4).round() as i32
}

pub const PAGE_WIDTH_MM: u32 = 210;
pub const PAGE_HEIGHT_MM: u32 = 297;
pub const MARGIN_TOP_MM: u32 = 37;
pub const MARGIN_LEFT_MM: u32 = 28;
pub const TYPE_AREA_WIDTH_MM: u32 = 156;
pub const TYPE_AREA_HEIGHT_MM: u32 = 225;
pub const LINES_PER_PAGE: u32 = 22;
pub const CHARS_PER_LINE: u32 = 28;

/// The grid's line pitch in twips: the type area's height over 22 lines.
pub fn line_pitch() -> usize {
    (f64::from(TYPE_AREA_HEIGHT_MM) * 1440.0 / 25.4 / f64::from(LINES_PER_PAGE)).round() as usize
}

/// How much narrower than the 16-pt body character each of the 28
/// characters of a line is, in twentieths of a point (Word's letter
/// spacing). Set on the text rather than through a character grid, whose
/// `charSpace` LibreOffice and WPS read differently from Word: this way
/// every one of them sets 28 characters on the 156-mm line.
pub fn letter_spacing() -> i32 {
    let pitch_pt = f64::from(TYPE_AREA_WIDTH_MM) * 72.0 / 25.4 / f64::from(CHARS_PER_LINE);
    ((pitch_pt - (SIZE_3HAO as f64 / 2.0)) * 20.0).round() as i32
}

/// The closing lines: who issues the document and when ("2011年6月30日").
pub struct Signature {
    pub issuer: String,
    pub date: String,
}

fn fonts(name: &str) -> RunFonts {
    RunFonts::new()
        .east_asia(name)
        .ascii(name)
        .hi_ansi(name)
        .cs(name)
}

fn body_run(text: &str) -> Run {
    Run::new()
        .add_text(text)
        .size(SIZE_3HAO)
        .character_spacing(letter_spacing())
        .fonts(fonts(BODY_FONT))
}

/// A body paragraph: first line indented two characters, justified.
fn body(text: &str) -> Paragraph {
    Paragraph::new()
        .add_run(body_run(text))
        .align(AlignmentType::Both)
        .first_line_chars(200)
        .indent(None, Some(SpecialIndentType::FirstLine(640)), None, None)
}

fn heading(level: u8, text: &str) -> Paragraph {
    let font = if level <= 1 {
        HEADING1_FONT
    } else {
        HEADING2_FONT
    };
    Paragraph::new()
        .add_run(Run::new().add_text(text).size(SIZE_3HAO).fonts(fonts(font)))
        .first_line_chars(200)
        .indent(None, Some(SpecialIndentType::FirstLine(640)), None, None)
        .keep_next(true)
        .outline_lvl(usize::from(level.max(1)) - 1)
}

fn title(text: &str) -> Paragraph {
    Paragraph::new()
        .add_run(
            Run::new()
                .add_text(text)
                .size(SIZE_2HAO)
                .fonts(fonts(TITLE_FONT)),
        )
        .align(AlignmentType::Center)
        // A title line a little taller than the grid's, and a blank line after it.
        .line_spacing(LineSpacing::new().after(line_pitch() as u32))
}

/// How wide text reads: a Chinese (full-width) character as two, others as one.
fn display_width(text: &str) -> usize {
    text.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

/// Twips a half-width character takes in a table cell: 7 pt in 仿宋 at 4号
/// (14 pt), 9 pt here, for the faces that stand in for it where it is not
/// installed (their figures are up to 0.64 em wide); and the cell's left and
/// right margins together (Word's default 0.19 cm each).
const HALF_WIDTH_TWIPS: usize = 180;
const CELL_MARGINS_TWIPS: usize = 216;

/// The width a cell needs so that its longest run of half-width characters
/// (a date, a number, a word) is not broken across lines: "2011-03-15" on
/// one line. Chinese text breaks between any two characters.
fn unbroken_width(text: &str) -> usize {
    let longest = text
        .split(|c: char| !c.is_ascii() || c.is_ascii_whitespace())
        .map(str::len)
        .max()
        .unwrap_or(0);
    if longest == 0 {
        return 0;
    }
    longest * HALF_WIDTH_TWIPS + CELL_MARGINS_TWIPS
}

/// Column widths in twips that add up to `total`, each in proportion to its
/// widest cell (a date column narrow, a column of titles wide), none under a
/// tenth of the width nor so narrow that a date or number in it breaks.
fn column_widths(headers: &[String], rows: &[Vec<String>], total: usize) -> Vec<usize> {
    let columns = headers.len().max(1);
    let need: Vec<usize> = (0..columns)
        .map(|i| {
            let cells = rows
                .iter()
                .filter_map(|r| r.get(i))
                .map(|c| display_width(c));
            headers
                .get(i)
                .map(|h| display_width(h))
                .into_iter()
                .chain(cells)
                .max()
                .unwrap_or(1)
                .clamp(4, 60)
        })
        .collect();
    let sum: usize = need.iter().sum();
    let floor = total / (columns * 10).max(1);
    let mut widths: Vec<usize> = need
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let unbroken = headers
                .get(i)
                .into_iter()
                .chain(rows.iter().filter_map(|r| r.get(i)))
                .map(|c| unbroken_width(c))
                .max()
                .unwrap_or(0);
            (total * n / sum.max(1)).max(floor).max(unbroken)
        })
        .collect();
    // Whatever rounding and the floor moved goes to (or comes from) the widest.
    let used: usize = widths.iter().sum();
    if let Some(widest) = (0..columns).max_by_key(|i| widths[*i]) {
        widths[widest] = (widths[widest] + total).saturating_sub(used);
    }
    widths
}

fn table(headers: &[String], rows: &[Vec<String>]) -> Table {
    let width = mm(TYPE_AREA_WIDTH_MM) as usize;
    let widths = column_widths(headers, rows, width);
    let cell = |text: &str, bold: bool, column: usize| {
        let mut run = Run::new()
            .add_text(text)
            .size(SIZE_4HAO)
            .fonts(fonts(BODY_FONT));
        if bold {
            run = run.bold();
        }
        TableCell::new()
            .add_paragraph(Paragraph::new().add_run(run))
            .width(widths.get(column).copied().unwrap_or(0), WidthType::Dxa)
    };
    // No row is split across two pages.
    let mut all = vec![TableRow::new(
        headers
            .iter()
            .enumerate()
            .map(|(i, h)| cell(h, true, i))
            .collect(),
    )
    .cant_split()];
    for r in rows {
        all.push(
            TableRow::new(
                r.iter()
                    .enumerate()
                    .map(|(i, c)| cell(c, false, i))
                    .collect(),
            )
            .cant_split(),
        );
    }
    Table::new(all)
        .set_grid(widths.clone())
        .width(width, WidthType::Dxa)
}

/// "— 1 —": a page number field between dashes, one character in from the
/// type area's right (odd pages) or left (even pages) edge.
fn page_number(odd: bool) -> Footer {
    let styled = || Run::new().size(SIZE_4HAO).fonts(fonts(PAGE_NUMBER_FONT));
    let dash = |text: &str| styled().add_text(text);
    let one_char = (SIZE_4HAO * 10) as i32;
    let (align, indent) = if odd {
        (
            AlignmentType::Right,
            (None, None, Some(one_char), None::<i32>),
        )
    } else {
        (
            AlignmentType::Left,
            (Some(one_char), None, None, None::<i32>),
        )
    };
    let paragraph = Paragraph::new()
        .add_run(dash("— "))
        .add_run(
            styled()
                .add_field_char(FieldCharType::Begin, false)
                .add_instr_text(InstrText::PAGE(InstrPAGE::new()))
                .add_field_char(FieldCharType::Separate, false)
                .add_text("1")
                .add_field_char(FieldCharType::End, false),
        )
        .add_run(dash(" —"))
        .size(SIZE_4HAO)
        .fonts(fonts(PAGE_NUMBER_FONT))
        .align(align)
        .indent(indent.0, indent.1, indent.2, indent.3);
    Footer::new().add_paragraph(paragraph)
}

/// The summary as `.docx` bytes.
pub fn summary(summary: &Summary, signature: Option<&Signature>) -> Result<Vec<u8>, String> {
    let top = mm(MARGIN_TOP_MM);
    let left = mm(MARGIN_LEFT_MM);
    let right = mm(PAGE_WIDTH_MM - MARGIN_LEFT_MM - TYPE_AREA_WIDTH_MM);
    let bottom = mm(PAGE_HEIGHT_MM - MARGIN_TOP_MM - TYPE_AREA_HEIGHT_MM);
    // The line grid lives on the document's section: set it first, the page after.
    let grid = DocGrid::with_empty()
        .grid_type(DocGridType::Lines)
        .line_pitch(line_pitch());
    let mut doc = Docx::new()
        .document(Document::new().doc_grid(grid))
        .page_size(mm(PAGE_WIDTH_MM) as u32, mm(PAGE_HEIGHT_MM) as u32)
        .page_margin(
            PageMargin::new()
                .top(top)
                .bottom(bottom)
                .left(left)
                .right(right)
                .header(mm(15))
                .footer(mm(22)),
        )
        .default_size(SIZE_3HAO)
        .default_fonts(fonts(BODY_FONT))
        .footer(page_number(true))
        .even_footer(page_number(false))
        .add_paragraph(title(&summary.title));
    let mut charts = Vec::new();
    for block in &summary.blocks {
        doc = match block {
            Block::Heading { level, text } => doc.add_paragraph(heading(*level, text)),
            Block::Paragraph { text } => doc.add_paragraph(body(text)),
            Block::Table { headers, rows } => doc.add_table(table(headers, rows)),
            Block::Chart(chart) => {
                charts.push(chart);
                let mark = docx_chart::placeholder(charts.len());
                doc.add_paragraph(Paragraph::new().add_run(Run::new().add_text(mark)))
            }
        };
    }
    if let Some(s) = signature {
        // A blank line, then the issuer and the date, right-aligned four
        // characters in from the edge as the standard's examples place them.
        let right_in = (SIZE_3HAO * 10 * 4) as i32;
        doc = doc.add_paragraph(Paragraph::new());
        for line in [&s.issuer, &s.date] {
            doc = doc.add_paragraph(
                Paragraph::new()
                    .add_run(body_run(line))
                    .align(AlignmentType::Right)
                    .indent(None, None, Some(right_in), None),
            );
        }
    }
    let mut parts = doc.build();
    docx_chart::place(
        &mut parts.document,
        &mut parts.document_rels,
        &mut parts.content_type,
        &charts,
        i64::from(TYPE_AREA_WIDTH_MM),
    )?;
    let mut out = std::io::Cursor::new(Vec::new());
    parts.pack(&mut out).map_err(|e| format!("docx: {e}"))?;
    docx_chart::add_parts(out.into_inner(), &charts, BODY_FONT)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::domain::reports::{Chart, ChartRow};

    fn sample() -> Summary {
        Summary {
            title: "长江路街道政协工委2011年上半年工作总结".into(),
            blocks: vec![
                Block::Paragraph {
                    text: "开头。".into(),
                },
                Block::Heading {
                    level: 1,
                    text: "一、服务大局".into(),
                },
                Block::Heading {
                    level: 2,
                    text: "（一）重大项目进展情况".into(),
                },
                Block::Paragraph {
                    text: "一是某广场项目。".into(),
                },
                Block::Table {
                    headers: vec!["计划指标".into(), "完成情况".into()],
                    rows: vec![vec!["每月接待日".into(), "已完成".into()]],
                },
                Block::Chart(Chart {
                    caption: "重点项目年度投资完成情况（亿元）".into(),
                    category: "项目".into(),
                    series: vec!["全年目标".into(), "已完成投资".into()],
                    rows: vec![ChartRow {
                        label: "万达广场&商业".into(),
                        values: vec![1300, 1625],
                    }],
                }),
            ],
        }
    }

    #[test]
    fn the_same_text_writes_the_same_bytes() {
        // The archive files a generated document once per content (its
        // SHA-256): nothing in the package may vary between two writes.
        let first = summary(&sample(), None).unwrap();
        assert_eq!(first, summary(&sample(), None).unwrap());
    }

    #[test]
    fn columns_are_as_wide_as_their_text_needs() {
        let headers = vec!["日期".to_string(), "类别".into(), "事项".into()];
        let rows = vec![vec![
            "2011-01-10".to_string(),
            "报送信息".into(),
            "孙八砦城中村改造群众关注安置房建设进度".into(),
        ]];
        let w = column_widths(&headers, &rows, 8844);
        assert_eq!(w.iter().sum::<usize>(), 8844);
        assert!(w[2] > w[0] && w[2] > w[1], "{w:?}");
        assert!(w.iter().all(|x| *x >= 884), "{w:?}");
        // A date is not broken across two lines, though Chinese text is long.
        let dated = column_widths(
            &headers,
            &[vec![
                "2011-03-15".to_string(),
                "委员之家接待日值班".into(),
                "2011-03-15 长江路街道政协工委委员之家接待日".into(),
            ]],
            8844,
        );
        assert!(dated[0] >= 10 * 180 + 216, "{dated:?}");
        assert_eq!(dated.iter().sum::<usize>(), 8844);
        // Equal needs share equally.
        let even = column_widths(&headers, &[], 900);
        assert_eq!(even, vec![300, 300, 300]);
    }

    #[test]
    fn the_grid_gives_22_lines_of_28_characters() {
        // 225 mm / 22 = 10.23 mm = 579.9 twips; 156 mm / 28 = 15.79 pt,
        // 0.21 pt narrower than a 16-pt character.
        assert_eq!(line_pitch(), 580);
        assert_eq!(letter_spacing(), -4);
    }

    #[test]
    fn the_document_reads_back_with_its_text_and_layout() {
        let bytes = summary(
            &sample(),
            Some(&Signature {
                issuer: "长江路街道政协工委".into(),
                date: "2011年6月30日".into(),
            }),
        )
        .unwrap();
        assert_eq!(&bytes[..2], b"PK");
        let xml = document_xml(&bytes);
        for expected in [
            "长江路街道政协工委2011年上半年工作总结",
            "一、服务大局",
            "（一）重大项目进展情况",
            "每月接待日",
            "2011年6月30日",
            "w:eastAsia=\"方正小标宋简体\"",
            "w:eastAsia=\"仿宋_GB2312\"",
            "w:eastAsia=\"黑体\"",
            "w:eastAsia=\"楷体_GB2312\"",
            "w:linePitch=\"580\"",
            "w:type=\"lines\"",
            "<w:spacing w:val=\"-4\" />",
            "w:w=\"11906\"",
            "w:h=\"16838\"",
            "w:top=\"2098\"",
            "w:left=\"1587\"",
        ] {
            assert!(xml.contains(expected), "{expected} in document.xml");
        }
        let footers = part_names(&bytes)
            .into_iter()
            .filter(|n| n.contains("footer"))
            .count();
        assert!(footers >= 2, "odd and even page footers");
        let settings = part(&bytes, "word/settings.xml");
        assert!(settings.contains("evenAndOddHeaders"));
    }

    #[test]
    fn a_chart_is_a_native_word_chart_with_its_figures() {
        let bytes = summary(&sample(), None).unwrap();
        let xml = document_xml(&bytes);
        // The placeholder became an inline drawing of the chart part.
        assert!(!xml.contains('\u{E000}'), "no placeholder left");
        assert!(xml.contains("<c:chart xmlns:c="), "{xml}");
        assert!(xml.contains("r:id=\"rIdLvzhiChart1\""));
        assert!(
            xml.contains("wp:extent cx=\"5616000\""),
            "as wide as the type area"
        );
        let rels = part(&bytes, "word/_rels/document.xml.rels");
        assert!(rels.contains("Id=\"rIdLvzhiChart1\""));
        assert!(rels.contains("Target=\"charts/chart1.xml\""));
        let types = part(&bytes, "[Content_Types].xml");
        assert!(types.contains("/word/charts/chart1.xml"));
        assert!(types.contains("drawingml.chart+xml"));
        let chart = part(&bytes, "word/charts/chart1.xml");
        for expected in [
            "<a:t>重点项目年度投资完成情况（亿元）</a:t>",
            "<c:v>全年目标</c:v>",
            "<c:v>已完成投资</c:v>",
            "<c:v>万达广场&amp;商业</c:v>",
            "<c:v>13</c:v>",
            "<c:v>16.25</c:v>",
            "<c:barDir val=\"bar\"/>",
            "typeface=\"仿宋_GB2312\"",
        ] {
            assert!(chart.contains(expected), "{expected} in chart1.xml");
        }
        for text in [&xml, &chart, &rels, &types] {
            well_formed(text);
        }
    }

    /// Every element opened is closed, in order, and every name is declared
    /// well enough for an XML reader.
    fn well_formed(text: &str) {
        let mut reader = quick_xml::Reader::from_str(text);
        let mut open = Vec::new();
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Start(e)) => open.push(e.name().0.to_string()),
                Ok(quick_xml::events::Event::End(e)) => {
                    assert_eq!(open.pop().as_deref(), Some(e.name().0));
                }
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("not well-formed at {}: {e}", reader.buffer_position()),
            }
        }
        assert!(open.is_empty(), "unclosed elements");
    }

    fn part_names(bytes: &[u8]) -> Vec<String> {
        let archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        archive.file_names().map(str::to_string).collect()
    }

    fn part(bytes: &[u8], name: &str) -> String {
        use std::io::Read;
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut file = archive.by_name(name).unwrap();
        let mut text = String::new();
        file.read_to_string(&mut text).unwrap();
        text
    }

    fn document_xml(bytes: &[u8]) -> String {
        part(bytes, "word/document.xml")
    }
}
