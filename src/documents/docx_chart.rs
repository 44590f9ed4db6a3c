//! A summary's charts as native Word charts (DrawingML chart parts), which
//! docx-rs does not write: the document holds a placeholder paragraph per
//! chart; after docx-rs has built the parts, each placeholder becomes an
//! inline drawing of its chart, the chart's relationship and content type are
//! declared, and its part is added to the package. The figures are kept in
//! the chart itself (literal values, no embedded workbook), so Word, WPS and
//! LibreOffice draw it from the document alone, in the document's fonts.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;

use super::html::escape;
use crate::domain::reports::{chart_value, Chart};

/// Text no summary contains (a private-use character): marks where a chart goes.
const PLACEHOLDER: &str = "\u{E000}lvzhi-chart-";

/// The placeholder text of the `n`th chart (from 1).
pub fn placeholder(n: usize) -> String {
    format!("{PLACEHOLDER}{n}\u{E000}")
}

/// English Metric Units per millimetre.
const EMU_PER_MM: i64 = 36_000;

/// The series' fills, as the page's charts colour them.
const FILLS: [&str; 4] = ["0B57D0", "1A7F37", "8C959F", "9A6700"];

fn relationship_id(n: usize) -> String {
    format!("rIdLvzhiChart{n}")
}

/// The chart's drawing height: room for its title and legend, and for each
/// category's bars.
fn height_mm(chart: &Chart) -> i64 {
    let bars = i64::try_from(chart.rows.len() * chart.series.len()).unwrap_or(i64::MAX);
    (30 + 7 * bars).clamp(60, 200)
}

/// The paragraph that holds the `n`th chart, centred, as wide as the type area.
fn drawing_paragraph(chart: &Chart, n: usize, width_mm: i64) -> String {
    format!(
        "<w:p><w:pPr><w:keepNext/><w:snapToGrid w:val=\"0\"/>\
         <w:spacing w:before=\"120\" w:after=\"120\" w:line=\"240\" w:lineRule=\"auto\"/>\
         <w:ind w:firstLine=\"0\"/><w:jc w:val=\"center\"/></w:pPr><w:r><w:drawing>\
         <wp:inline distT=\"0\" distB=\"0\" distL=\"0\" distR=\"0\">\
         <wp:extent cx=\"{cx}\" cy=\"{cy}\"/><wp:effectExtent l=\"0\" t=\"0\" r=\"0\" b=\"0\"/>\
         <wp:docPr id=\"{doc_pr}\" name=\"Chart {n}\" descr=\"{caption}\"/><wp:cNvGraphicFramePr/>\
         <a:graphic xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\">\
         <a:graphicData uri=\"http://schemas.openxmlformats.org/drawingml/2006/chart\">\
         <c:chart xmlns:c=\"http://schemas.openxmlformats.org/drawingml/2006/chart\" r:id=\"{rid}\"/>\
         </a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>",
        cx = width_mm * EMU_PER_MM,
        cy = height_mm(chart) * EMU_PER_MM,
        doc_pr = 1000 + n,
        caption = escape(&chart.caption),
        rid = relationship_id(n),
    )
}

/// Text properties: `font`, at `hundredths_pt` hundredths of a point.
fn text_properties(font: &str, hundredths_pt: u32) -> String {
    let font = escape(font);
    format!(
        "<c:txPr><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr sz=\"{hundredths_pt}\" b=\"0\">\
         <a:latin typeface=\"{font}\"/><a:ea typeface=\"{font}\"/></a:defRPr></a:pPr>\
         <a:endParaRPr lang=\"zh-CN\"/></a:p></c:txPr>"
    )
}

/// The chart part: horizontal bars, clustered, a series per column of the
/// chart's table, categories top to bottom in the table's order, each bar
/// labelled with its value.
pub fn chart_part(chart: &Chart, font: &str) -> String {
    let font_attr = escape(font);
    let count = chart.rows.len();
    let categories: String = chart
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| format!("<c:pt idx=\"{i}\"><c:v>{}</c:v></c:pt>", escape(&r.label)))
        .collect();
    let mut series = String::new();
    for (s, name) in chart.series.iter().enumerate() {
        let values: String = chart
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let v = r.values.get(s).copied().unwrap_or(0);
                format!("<c:pt idx=\"{i}\"><c:v>{}</c:v></c:pt>", chart_value(v))
            })
            .collect();
        series.push_str(&format!(
            "<c:ser><c:idx val=\"{s}\"/><c:order val=\"{s}\"/><c:tx><c:v>{name}</c:v></c:tx>\
             <c:spPr><a:solidFill><a:srgbClr val=\"{fill}\"/></a:solidFill></c:spPr>\
             <c:invertIfNegative val=\"0\"/>\
             <c:dLbls><c:showLegendKey val=\"0\"/><c:showVal val=\"1\"/><c:showCatName val=\"0\"/>\
             <c:showSerName val=\"0\"/><c:showPercent val=\"0\"/><c:showBubbleSize val=\"0\"/></c:dLbls>\
             <c:cat><c:strLit><c:ptCount val=\"{count}\"/>{categories}</c:strLit></c:cat>\
             <c:val><c:numLit><c:formatCode>General</c:formatCode><c:ptCount val=\"{count}\"/>{values}</c:numLit></c:val>\
             </c:ser>",
            name = escape(name),
            fill = FILLS[s % FILLS.len()],
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <c:chartSpace xmlns:c=\"http://schemas.openxmlformats.org/drawingml/2006/chart\" \
         xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" \
         xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">\
         <c:lang val=\"zh-CN\"/><c:roundedCorners val=\"0\"/><c:chart>\
         <c:title><c:tx><c:rich><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr sz=\"1400\" b=\"0\"/></a:pPr>\
         <a:r><a:rPr lang=\"zh-CN\" sz=\"1400\" b=\"0\"><a:latin typeface=\"{font_attr}\"/><a:ea typeface=\"{font_attr}\"/></a:rPr>\
         <a:t>{caption}</a:t></a:r></a:p></c:rich></c:tx><c:overlay val=\"0\"/></c:title>\
         <c:autoTitleDeleted val=\"0\"/><c:plotArea><c:layout/>\
         <c:barChart><c:barDir val=\"bar\"/><c:grouping val=\"clustered\"/><c:varyColors val=\"0\"/>\
         {series}<c:gapWidth val=\"60\"/><c:axId val=\"50001\"/><c:axId val=\"50002\"/></c:barChart>\
         <c:catAx><c:axId val=\"50001\"/><c:scaling><c:orientation val=\"maxMin\"/></c:scaling>\
         <c:delete val=\"0\"/><c:axPos val=\"l\"/><c:numFmt formatCode=\"General\" sourceLinked=\"0\"/>\
         <c:majorTickMark val=\"none\"/><c:minorTickMark val=\"none\"/><c:tickLblPos val=\"nextTo\"/>\
         <c:crossAx val=\"50002\"/><c:crosses val=\"autoZero\"/><c:auto val=\"1\"/>\
         <c:lblAlgn val=\"ctr\"/><c:lblOffset val=\"100\"/></c:catAx>\
         <c:valAx><c:axId val=\"50002\"/><c:scaling><c:orientation val=\"minMax\"/><c:min val=\"0\"/></c:scaling>\
         <c:delete val=\"0\"/><c:axPos val=\"b\"/><c:majorGridlines/>\
         <c:numFmt formatCode=\"General\" sourceLinked=\"0\"/><c:majorTickMark val=\"none\"/>\
         <c:minorTickMark val=\"none\"/><c:tickLblPos val=\"nextTo\"/><c:crossAx val=\"50001\"/>\
         <c:crosses val=\"autoZero\"/><c:crossBetween val=\"between\"/></c:valAx></c:plotArea>\
         <c:legend><c:legendPos val=\"t\"/><c:overlay val=\"0\"/></c:legend>\
         <c:plotVisOnly val=\"1\"/><c:dispBlanksAs val=\"gap\"/></c:chart>{text}</c:chartSpace>",
        caption = escape(&chart.caption),
        text = text_properties(font, 1200),
    )
}

/// Replace the placeholder paragraph of each chart in `document` (the
/// `word/document.xml` docx-rs built), and declare the charts in the
/// document's relationships and the package's content types.
pub fn place(
    document: &mut Vec<u8>,
    relationships: &mut Vec<u8>,
    content_types: &mut Vec<u8>,
    charts: &[&Chart],
    width_mm: i64,
) -> Result<(), String> {
    if charts.is_empty() {
        return Ok(());
    }
    let mut xml = String::from_utf8(std::mem::take(document)).map_err(|e| e.to_string())?;
    let mut rels = String::from_utf8(std::mem::take(relationships)).map_err(|e| e.to_string())?;
    let mut types = String::from_utf8(std::mem::take(content_types)).map_err(|e| e.to_string())?;
    for (i, chart) in charts.iter().enumerate() {
        let n = i + 1;
        let mark = xml
            .find(&placeholder(n))
            .ok_or_else(|| format!("docx: chart {n} has no placeholder"))?;
        let start = [xml[..mark].rfind("<w:p "), xml[..mark].rfind("<w:p>")]
            .into_iter()
            .flatten()
            .max()
            .ok_or_else(|| format!("docx: chart {n} is not in a paragraph"))?;
        let end = xml[mark..]
            .find("</w:p>")
            .map(|e| mark + e + "</w:p>".len())
            .ok_or_else(|| format!("docx: chart {n}'s paragraph is not closed"))?;
        xml.replace_range(start..end, &drawing_paragraph(chart, n, width_mm));
        let rel = format!(
            "<Relationship Id=\"{}\" \
             Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/chart\" \
             Target=\"charts/chart{n}.xml\" />",
            relationship_id(n)
        );
        insert_before(&mut rels, "</Relationships>", &rel)?;
        let over = format!(
            "<Override PartName=\"/word/charts/chart{n}.xml\" \
             ContentType=\"application/vnd.openxmlformats-officedocument.drawingml.chart+xml\" />"
        );
        insert_before(&mut types, "</Types>", &over)?;
    }
    *document = xml.into_bytes();
    *relationships = rels.into_bytes();
    *content_types = types.into_bytes();
    Ok(())
}

fn insert_before(xml: &mut String, closing: &str, text: &str) -> Result<(), String> {
    let at = xml
        .rfind(closing)
        .ok_or_else(|| format!("docx: no {closing}"))?;
    xml.insert_str(at, text);
    Ok(())
}

/// Add the charts' parts to the packed document.
pub fn add_parts(package: Vec<u8>, charts: &[&Chart], font: &str) -> Result<Vec<u8>, String> {
    if charts.is_empty() {
        return Ok(package);
    }
    let fail = |e: zip::result::ZipError| format!("docx: {e}");
    let mut zip = zip::ZipWriter::new_append(Cursor::new(package)).map_err(fail)?;
    // As docx-rs stores its parts: uncompressed, with the fixed default
    // time, so the same summary writes the same bytes.
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (i, chart) in charts.iter().enumerate() {
        zip.start_file(format!("word/charts/chart{}.xml", i + 1), options)
            .map_err(fail)?;
        zip.write_all(chart_part(chart, font).as_bytes())
            .map_err(|e| format!("docx: {e}"))?;
    }
    Ok(zip.finish().map_err(fail)?.into_inner())
}
