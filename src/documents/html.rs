//! A drafted summary as a standalone HTML file: one page that prints on A4
//! in the body's fonts, with nothing fetched from elsewhere.

use crate::domain::reports::{Block, Summary};

/// Text made safe for HTML element content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "@page{size:A4;margin:37mm 26mm 35mm 28mm}\
body{font-family:\"FangSong\",\"仿宋_GB2312\",\"仿宋\",serif;font-size:16pt;line-height:28.95pt;\
max-width:156mm;margin:2em auto;padding:0 1em}\
h1{font-family:\"方正小标宋简体\",\"SimSun\",serif;font-size:22pt;font-weight:normal;text-align:center}\
h2{font-family:\"黑体\",\"SimHei\",sans-serif;font-size:16pt;font-weight:normal;text-indent:2em;margin:0}\
h3{font-family:\"楷体_GB2312\",\"KaiTi\",serif;font-size:16pt;font-weight:normal;text-indent:2em;margin:0}\
p{text-indent:2em;margin:0;text-align:justify}\
table{border-collapse:collapse;width:100%;font-size:14pt;margin:.5em 0}\
th,td{border:1px solid #000;padding:.2em .4em;text-align:left;vertical-align:top}\
figure{margin:.5em 0;break-inside:avoid}figcaption{font-size:14pt;text-align:center}\
svg.chart{width:100%;height:auto}";

/// The summary as an HTML document in `lang`.
pub fn summary(summary: &Summary, lang: &str) -> String {
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>{STYLE}</style></head><body>\n<h1>{title}</h1>\n",
        escape(lang),
        title = escape(&summary.title),
    );
    let mut charts = 0;
    for block in &summary.blocks {
        match block {
            Block::Heading { level, text } => {
                let tag = if *level <= 1 { "h2" } else { "h3" };
                out.push_str(&format!("<{tag}>{}</{tag}>\n", escape(text)));
            }
            Block::Paragraph { text } => out.push_str(&format!("<p>{}</p>\n", escape(text))),
            Block::Table { headers, rows } => {
                out.push_str("<table><thead><tr>");
                for h in headers {
                    out.push_str(&format!("<th scope=\"col\">{}</th>", escape(h)));
                }
                out.push_str("</tr></thead><tbody>");
                for r in rows {
                    out.push_str("<tr>");
                    for c in r {
                        out.push_str(&format!("<td>{}</td>", escape(c)));
                    }
                    out.push_str("</tr>");
                }
                out.push_str("</tbody></table>\n");
            }
            Block::Chart(chart) => {
                charts += 1;
                out.push_str(&format!(
                    "<figure><figcaption>{}</figcaption>{}</figure>\n",
                    escape(&chart.caption),
                    chart.svg(charts)
                ));
            }
        }
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_structure_kept() {
        let s = Summary {
            title: "<总结>".into(),
            blocks: vec![
                Block::Heading {
                    level: 1,
                    text: "一、A&B".into(),
                },
                Block::Paragraph {
                    text: "<script>alert(1)</script>".into(),
                },
                Block::Table {
                    headers: vec!["\"h\"".into()],
                    rows: vec![vec!["'c'".into()]],
                },
            ],
        };
        let html = summary(&s, "zh-CN");
        assert!(html.contains("<title>&lt;总结&gt;</title>"));
        assert!(html.contains("<h2>一、A&amp;B</h2>"));
        assert!(html.contains("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"));
        assert!(html.contains("<th scope=\"col\">&quot;h&quot;</th>"));
        assert!(html.contains("<td>&#39;c&#39;</td>"));
        assert!(!html.contains("<script>"));
    }
}
