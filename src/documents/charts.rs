//! Small charts drawn on the server as inline SVG: no script, no file
//! fetched, so they show on any phone, print as they are, and read aloud.
//! Each chart is an image (`role="img"`) named by its `<title>` and described
//! by its `<desc>`, which the caller writes with the figures in words (from
//! the catalogue); the shapes carry no text of their own but the labels and
//! figures they are given. Pure code: strings in, a string out.

use crate::documents::html::escape;

/// The system's Chinese fonts first, so that labels read on every phone.
pub const FONT: &str = "'PingFang SC','Hiragino Sans GB','Microsoft YaHei','Noto Sans CJK SC',\
'Source Han Sans SC','WenQuanYi Micro Hei',sans-serif";

/// Colours: the ink and the muted grey of the stylesheet, a bar short of its
/// mark in blue, one that reached it in green (each at least 4.5:1 on white,
/// and distinct in grey when printed).
const INK: &str = "#1f2328";
const MUTED: &str = "#59636e";
const TRACK: &str = "#e6e9ed";
const SHORT: &str = "#0b57d0";
const REACHED: &str = "#1a7f37";

/// The drawing's width in its own units; it scales to the width it is given.
const WIDTH: i64 = 360;
/// The longest label, in characters, before it is cut with an ellipsis.
const LABEL_CHARS: usize = 6;

/// A bar: its label, how far it got against its mark, and the figure shown
/// at its end (e.g. `2/3`, `123%`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    pub label: String,
    pub value: i64,
    /// The mark the bar is measured against (its full length); 0 or less:
    /// nothing to measure, an empty track.
    pub of: i64,
    pub figure: String,
}

/// A column of a series over time: its label (e.g. 3月) and its count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub label: String,
    pub value: i64,
}

/// What names and describes a chart: `id` is unique in the page (the
/// title's and description's ids derive from it).
#[derive(Debug, Clone, Copy)]
pub struct Caption<'a> {
    pub id: &'a str,
    pub title: &'a str,
    /// The figures in words, for those who cannot see the shapes.
    pub desc: &'a str,
}

fn cut(label: &str) -> String {
    if label.chars().count() <= LABEL_CHARS {
        return label.to_string();
    }
    let mut s: String = label.chars().take(LABEL_CHARS - 1).collect();
    s.push('…');
    s
}

fn open(c: &Caption<'_>, height: i64) -> String {
    let id = escape(c.id);
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\" \
         viewBox=\"0 0 {WIDTH} {height}\" aria-labelledby=\"{id}-t {id}-d\" \
         font-family=\"{FONT}\" font-size=\"13\" fill=\"{INK}\">\
         <title id=\"{id}-t\">{title}</title><desc id=\"{id}-d\">{desc}</desc>",
        title = escape(c.title),
        desc = escape(c.desc),
    )
}

/// The share of `of` that `value` fills, in thousandths, within 0..=1000.
fn share(value: i64, of: i64) -> i64 {
    if of <= 0 || value <= 0 {
        return 0;
    }
    let s = i128::from(value) * 1000 / i128::from(of);
    i64::try_from(s.min(1000)).unwrap_or(1000)
}

/// Horizontal bars, one a row: the label, the bar against its mark (green
/// once reached), the figure. Empty: no chart at all.
pub fn bars(caption: &Caption<'_>, bars: &[Bar]) -> String {
    if bars.is_empty() {
        return String::new();
    }
    const ROW: i64 = 26;
    const LABEL_W: i64 = 92;
    const BAR_W: i64 = 190;
    let height = ROW * i64::try_from(bars.len()).unwrap_or(0) + 4;
    let mut svg = open(caption, height);
    for (i, b) in bars.iter().enumerate() {
        let y = ROW * i64::try_from(i).unwrap_or(0) + 4;
        let filled = BAR_W * share(b.value, b.of) / 1000;
        let colour = if b.of > 0 && b.value >= b.of {
            REACHED
        } else {
            SHORT
        };
        svg.push_str(&format!(
            "<g><text x=\"0\" y=\"{ty}\">{label}</text>\
             <rect x=\"{LABEL_W}\" y=\"{y}\" width=\"{BAR_W}\" height=\"16\" rx=\"3\" fill=\"{TRACK}\"/>\
             <rect x=\"{LABEL_W}\" y=\"{y}\" width=\"{filled}\" height=\"16\" rx=\"3\" fill=\"{colour}\"/>\
             <text x=\"{fx}\" y=\"{ty}\" font-size=\"12\">{figure}</text></g>",
            ty = y + 13,
            fx = LABEL_W + BAR_W + 6,
            label = escape(&cut(&b.label)),
            figure = escape(&b.figure),
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// Columns over time (one a month), each with its count above it, scaled
/// to the largest. Empty: no chart at all.
pub fn columns(caption: &Caption<'_>, columns: &[Column]) -> String {
    if columns.is_empty() {
        return String::new();
    }
    const HEIGHT: i64 = 170;
    const TOP: i64 = 18;
    const BASE: i64 = 140;
    let n = i64::try_from(columns.len()).unwrap_or(1).max(1);
    let slot = WIDTH / n;
    let width = (slot * 7 / 10).max(2);
    let most = columns.iter().map(|c| c.value).max().unwrap_or(0).max(1);
    let mut svg = open(caption, HEIGHT);
    svg.push_str(&format!(
        "<line x1=\"0\" y1=\"{BASE}\" x2=\"{WIDTH}\" y2=\"{BASE}\" stroke=\"{MUTED}\" stroke-width=\"1\"/>"
    ));
    for (i, c) in columns.iter().enumerate() {
        let x = slot * i64::try_from(i).unwrap_or(0) + (slot - width) / 2;
        let h = (BASE - TOP) * c.value.max(0) / most;
        let middle = x + width / 2;
        svg.push_str(&format!(
            "<g><rect x=\"{x}\" y=\"{y}\" width=\"{width}\" height=\"{h}\" fill=\"{SHORT}\"/>\
             <text x=\"{middle}\" y=\"{vy}\" font-size=\"11\" text-anchor=\"middle\">{value}</text>\
             <text x=\"{middle}\" y=\"{ly}\" font-size=\"11\" text-anchor=\"middle\" fill=\"{MUTED}\">{label}</text></g>",
            y = BASE - h,
            vy = BASE - h - 4,
            ly = BASE + 16,
            value = c.value,
            label = escape(&c.label),
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// A group of bars: its label, one value per series and the figure shown
/// beside each bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub label: String,
    pub values: Vec<i64>,
    pub figures: Vec<String>,
}

/// The series' colours in order: the blue and green of the other charts,
/// then grey and amber.
const SERIES: [&str; 4] = [SHORT, REACHED, "#8c959f", "#9a6700"];

/// Bars in groups, a group per category: its label on a line of its own
/// (whole: names of projects are long), then a bar per series scaled to the
/// largest value, each with its figure; the series named in a legend above.
/// Empty: no chart at all.
pub fn grouped(caption: &Caption<'_>, series: &[String], groups: &[Group]) -> String {
    if groups.is_empty() || series.is_empty() {
        return String::new();
    }
    const LEGEND: i64 = 22;
    const LABEL: i64 = 18;
    const BAR: i64 = 12;
    const GAP: i64 = 4;
    const BAR_W: i64 = 250;
    let n_series = i64::try_from(series.len()).unwrap_or(1);
    let group_h = LABEL + n_series * (BAR + GAP) + 6;
    let height = LEGEND + group_h * i64::try_from(groups.len()).unwrap_or(0);
    let most = groups
        .iter()
        .flat_map(|g| g.values.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1);
    let mut svg = open(caption, height);
    let mut x = 0;
    for (i, name) in series.iter().enumerate() {
        let colour = SERIES[i % SERIES.len()];
        svg.push_str(&format!(
            "<rect x=\"{x}\" y=\"4\" width=\"10\" height=\"10\" fill=\"{colour}\"/>\
             <text x=\"{tx}\" y=\"13\" font-size=\"12\">{name}</text>",
            tx = x + 14,
            name = escape(name),
        ));
        x += 14 + 12 * i64::try_from(name.chars().count()).unwrap_or(0) + 14;
    }
    for (g, group) in groups.iter().enumerate() {
        let top = LEGEND + group_h * i64::try_from(g).unwrap_or(0);
        svg.push_str(&format!(
            "<g><text x=\"0\" y=\"{y}\">{label}</text>",
            y = top + 13,
            label = escape(&group.label),
        ));
        for (i, value) in group.values.iter().enumerate() {
            let y = top + LABEL + i64::try_from(i).unwrap_or(0) * (BAR + GAP);
            let w = BAR_W * share(*value, most) / 1000;
            let figure = group.figures.get(i).map(String::as_str).unwrap_or("");
            svg.push_str(&format!(
                "<rect x=\"0\" y=\"{y}\" width=\"{w}\" height=\"{BAR}\" fill=\"{colour}\"/>\
                 <text x=\"{fx}\" y=\"{ty}\" font-size=\"11\" fill=\"{MUTED}\">{figure}</text>",
                colour = SERIES[i % SERIES.len()],
                fx = w + 4,
                ty = y + 10,
                figure = escape(figure),
            ));
        }
        svg.push_str("</g>");
    }
    svg.push_str("</svg>");
    svg
}

impl crate::domain::reports::Chart {
    /// The chart as inline SVG, the `n`th of its page (its ids are
    /// `chart-n-…`); described by its figures, category by category.
    pub fn svg(&self, n: impl std::fmt::Display) -> String {
        let id = format!("chart-{n}");
        let (_, rows) = self.table();
        let desc = rows
            .iter()
            .map(|cells| {
                let mut words = vec![cells[0].clone()];
                for (name, value) in self.series.iter().zip(&cells[1..]) {
                    words.push(format!("{name} {value}"));
                }
                words.join(" ")
            })
            .collect::<Vec<_>>()
            .join(" / ");
        let groups: Vec<Group> = self
            .rows
            .iter()
            .zip(rows)
            .map(|(r, cells)| Group {
                label: r.label.clone(),
                values: r.values.clone(),
                figures: cells[1..].to_vec(),
            })
            .collect();
        grouped(
            &Caption {
                id: &id,
                title: &self.caption,
                desc: &desc,
            },
            &self.series,
            &groups,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caption() -> Caption<'static> {
        Caption {
            id: "c1",
            title: "配额完成",
            desc: "甲 2/3；乙 3/3",
        }
    }

    fn bar(label: &str, value: i64, of: i64) -> Bar {
        Bar {
            label: label.into(),
            value,
            of,
            figure: format!("{value}/{of}"),
        }
    }

    /// The widths of the filled bars, in order.
    fn fills(svg: &str) -> Vec<i64> {
        svg.split("<rect ")
            .skip(1)
            .filter(|r| !r.contains(TRACK) && r.contains("height=\"16\""))
            .map(|r| {
                let w = r.split("width=\"").nth(1).unwrap_or("");
                w[..w.find('"').unwrap_or(0)].parse().unwrap_or(-1)
            })
            .collect()
    }

    #[test]
    fn grouped_bars_scale_to_the_largest_and_keep_whole_labels() {
        use crate::domain::reports::{Chart, ChartRow};
        let chart = Chart {
            caption: "重点项目年度投资完成情况（亿元）".into(),
            category: "项目".into(),
            series: vec!["全年目标".into(), "已完成投资".into()],
            rows: vec![
                ChartRow {
                    label: "高砦村城中村改造项目".into(),
                    values: vec![1300, 1600],
                },
                ChartRow {
                    label: "乙".into(),
                    values: vec![800, 0],
                },
            ],
        };
        let svg = chart.svg(9);
        assert!(svg.contains("<title id=\"chart-9-t\">重点项目年度投资完成情况（亿元）</title>"));
        assert!(svg.contains(
            "<desc id=\"chart-9-d\">高砦村城中村改造项目 全年目标 13 已完成投资 16 / 乙 全年目标 8 已完成投资 0</desc>"
        ));
        // The label is whole, not cut to six characters.
        assert!(svg.contains(">高砦村城中村改造项目</text>"));
        // 16 is the full 250; 13 and 8 in proportion; 0 is no bar.
        let widths: Vec<i64> = svg
            .split("<rect ")
            .skip(1)
            .filter(|r| r.contains("height=\"12\""))
            .map(|r| {
                let w = r.split("width=\"").nth(1).unwrap_or("");
                w[..w.find('"').unwrap_or(0)].parse().unwrap_or(-1)
            })
            .collect();
        assert_eq!(widths, vec![203, 250, 125, 0]);
        assert!(grouped(&caption(), &[], &[]).is_empty());
    }

    #[test]
    fn a_chart_is_an_image_named_and_described_in_words() {
        let svg = bars(&caption(), &[bar("甲", 2, 3)]);
        assert!(svg.starts_with("<svg "));
        assert!(svg.ends_with("</svg>"));
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("aria-labelledby=\"c1-t c1-d\""));
        assert!(svg.contains("<title id=\"c1-t\">配额完成</title>"));
        assert!(svg.contains("<desc id=\"c1-d\">甲 2/3；乙 3/3</desc>"));
        assert!(svg.contains("Noto Sans CJK SC"));
        // Nothing fetched, nothing run.
        assert!(!svg.contains("<script") && !svg.contains("href"));
    }

    #[test]
    fn bars_fill_their_share_of_the_mark_and_stop_at_it() {
        let svg = bars(
            &caption(),
            &[
                bar("甲", 0, 3),
                bar("乙", 1, 2),
                bar("丙", 3, 3),
                bar("丁", 16, 13),
                bar("戊", 5, 0),
                bar("己", -2, 4),
            ],
        );
        assert_eq!(fills(&svg), vec![0, 95, 190, 190, 0, 0]);
        // Reached (丙, 丁) in green, the others in blue.
        assert_eq!(svg.matches(REACHED).count(), 2);
        assert!(svg.contains(">16/13<"));
        // Six rows of 26 and the margin.
        assert!(svg.contains("viewBox=\"0 0 360 160\""));
    }

    #[test]
    fn words_are_escaped_and_long_labels_cut() {
        let svg = bars(
            &Caption {
                id: "x\"y",
                title: "A<B>&",
                desc: "'q'",
            },
            &[bar("高砦村城中村改造项目", 1, 2), bar("<b>", 1, 2)],
        );
        assert!(svg.contains("A&lt;B&gt;&amp;"));
        assert!(svg.contains("x&quot;y-t"));
        assert!(svg.contains("&#39;q&#39;"));
        assert!(svg.contains(">高砦村城中…<"));
        assert!(svg.contains(">&lt;b&gt;<"));
        assert!(!svg.contains("<b>"));
    }

    #[test]
    fn nothing_to_draw_draws_nothing() {
        assert_eq!(bars(&caption(), &[]), "");
        assert_eq!(columns(&caption(), &[]), "");
    }

    #[test]
    fn columns_scale_to_the_largest_and_show_their_counts() {
        let months: Vec<Column> = [0, 4, 8, 2]
            .iter()
            .enumerate()
            .map(|(i, v)| Column {
                label: format!("{}月", i + 1),
                value: *v,
            })
            .collect();
        let svg = columns(&caption(), &months);
        let heights: Vec<i64> = svg
            .split("<rect ")
            .skip(1)
            .map(|r| {
                let h = r.split("height=\"").nth(1).unwrap_or("");
                h[..h.find('"').unwrap_or(0)].parse().unwrap_or(-1)
            })
            .collect();
        // 122 units from the base line to the top for the largest.
        assert_eq!(heights, vec![0, 61, 122, 30]);
        for label in ["1月", "2月", "3月", "4月"] {
            assert!(svg.contains(&format!(">{label}<")));
        }
        assert!(svg.contains(">8<"));
        // All zero: flat, no division by zero.
        let flat = columns(
            &caption(),
            &[Column {
                label: "1月".into(),
                value: 0,
            }],
        );
        assert!(flat.contains("height=\"0\""));
    }
}
