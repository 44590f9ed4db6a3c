//! Excel workbooks (`.xlsx`) of exported lists: one sheet per list, a bold
//! frozen header row, columns as wide as their Chinese text, and typed
//! cells (dates as Excel dates, numbers as numbers). Text is always written
//! as a string, so a cell reading `=1+1` or `@SUM(A1)` stays text and never
//! becomes a formula. Pure: bytes in memory, no I/O.

use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};

/// The longest text Excel keeps in one cell.
pub const MAX_CELL_CHARS: usize = 32_767;
/// The most rows one sheet may hold, the header included.
pub const MAX_ROWS: usize = 1_048_576;
/// Columns are never narrower or wider than this (in widths of the digit 0).
const MIN_WIDTH: usize = 6;
const MAX_WIDTH: usize = 60;
/// Rows looked at to size a column (the first ones: enough to judge its text).
const WIDTH_SAMPLE: usize = 2_000;

/// One cell's value, with its type.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    Number(f64),
    Date(NaiveDate),
    Empty,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Self {
        let s = s.into();
        if s.is_empty() {
            Self::Empty
        } else {
            Self::Text(s)
        }
    }

    /// Text when there is some, an empty cell otherwise.
    pub fn opt_text(s: Option<&str>) -> Self {
        s.map(Self::text).unwrap_or(Self::Empty)
    }

    pub fn opt_date(d: Option<NaiveDate>) -> Self {
        d.map(Self::Date).unwrap_or(Self::Empty)
    }

    pub fn opt_int(n: Option<i64>) -> Self {
        n.map(Self::Int).unwrap_or(Self::Empty)
    }

    /// Width in columns of the digit 0 (a Chinese character takes two).
    fn width(&self) -> usize {
        match self {
            Self::Text(s) => display_width(s),
            Self::Int(n) => n.to_string().len(),
            Self::Number(n) => format!("{n}").len(),
            Self::Date(_) => 10,
            Self::Empty => 0,
        }
    }
}

/// A sheet: its name, the header row and the rows below it.
#[derive(Debug, Clone, Default)]
pub struct Sheet {
    pub name: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// How wide `s` shows: wide (CJK, full-width) characters count two.
pub fn display_width(s: &str) -> usize {
    s.lines()
        .map(|line| line.chars().map(char_width).sum::<usize>())
        .max()
        .unwrap_or(0)
}

fn char_width(c: char) -> usize {
    let cp = c as u32;
    let wide = matches!(cp,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD);
    if wide {
        2
    } else {
        1
    }
}

/// The width of each column: its widest cell among the header and the first
/// rows, with a little room, within bounds.
pub fn column_widths(sheet: &Sheet) -> Vec<usize> {
    (0..sheet.headers.len())
        .map(|col| {
            let header = display_width(&sheet.headers[col]);
            let cells = sheet
                .rows
                .iter()
                .take(WIDTH_SAMPLE)
                .filter_map(|row| row.get(col))
                .map(Cell::width)
                .max()
                .unwrap_or(0);
            (header.max(cells) + 2).clamp(MIN_WIDTH, MAX_WIDTH)
        })
        .collect()
}

/// A sheet name Excel accepts: without `[]:*?/\`, not starting or ending
/// with an apostrophe, at most 31 characters, and not one already taken.
pub fn sheet_name(wanted: &str, taken: &[String]) -> String {
    let cleaned: String = wanted
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
        .collect();
    let cleaned = cleaned.trim_matches('\'').trim();
    let base: String = if cleaned.is_empty() {
        "Sheet".into()
    } else {
        cleaned.chars().take(31).collect()
    };
    let mut name = base.clone();
    let mut n = 2;
    while taken
        .iter()
        .any(|t| t.to_lowercase() == name.to_lowercase())
    {
        let suffix = format!(" ({n})");
        let keep = 31 - suffix.chars().count();
        name = format!("{}{suffix}", base.chars().take(keep).collect::<String>());
        n += 1;
    }
    name
}

/// Text cut to what a cell holds.
fn cell_text(s: &str) -> &str {
    match s.char_indices().nth(MAX_CELL_CHARS) {
        Some((at, _)) => &s[..at],
        None => s,
    }
}

fn excel_date(d: NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    let year = u16::try_from(d.year()).map_err(|_| XlsxError::DateTimeRangeError(d.to_string()))?;
    ExcelDateTime::from_ymd(year, d.month() as u8, d.day() as u8)
}

/// The workbook of `sheets` as `.xlsx` bytes; `progress` hears the rows
/// written so far and the rows in all, every thousand rows and at the end.
pub fn workbook(
    sheets: &[Sheet],
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Vec<u8>, String> {
    write(sheets, progress).map_err(|e| e.to_string())
}

fn write(sheets: &[Sheet], progress: &mut dyn FnMut(usize, usize)) -> Result<Vec<u8>, XlsxError> {
    let total: usize = sheets.iter().map(|s| s.rows.len()).sum();
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let mut names: Vec<String> = Vec::new();
    let mut written = 0usize;
    for sheet in sheets {
        let name = sheet_name(&sheet.name, &names);
        names.push(name.clone());
        let ws = book.add_worksheet();
        ws.set_name(name)?;
        for (col, header) in sheet.headers.iter().enumerate() {
            let col = col as u16;
            ws.write_string_with_format(0, col, cell_text(header), &bold)?;
        }
        for (col, width) in column_widths(sheet).into_iter().enumerate() {
            ws.set_column_width(col as u16, width as f64)?;
        }
        ws.set_freeze_panes(1, 0)?;
        for (i, row) in sheet.rows.iter().take(MAX_ROWS - 1).enumerate() {
            let r = (i + 1) as u32;
            for (col, cell) in row.iter().enumerate() {
                let col = col as u16;
                match cell {
                    // Always a string: never read as a formula or a number.
                    Cell::Text(s) => {
                        ws.write_string(r, col, cell_text(s))?;
                    }
                    Cell::Int(n) => {
                        ws.write_number(r, col, *n as f64)?;
                    }
                    Cell::Number(n) => {
                        ws.write_number(r, col, *n)?;
                    }
                    Cell::Date(d) => {
                        ws.write_datetime_with_format(r, col, excel_date(*d)?, &date)?;
                    }
                    Cell::Empty => {}
                }
            }
            written += 1;
            if written.is_multiple_of(1000) {
                progress(written, total);
            }
        }
    }
    progress(written, total);
    book.save_to_buffer()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn chinese_counts_double() {
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("委员姓名"), 8);
        assert_eq!(display_width("第七届 A"), 8);
        assert_eq!(display_width("一行\n长一点的一行"), 12);
    }

    #[test]
    fn columns_fit_their_text_within_bounds() {
        let sheet = Sheet {
            name: "委员".into(),
            headers: vec!["姓名".into(), "ID".into(), "说明".into()],
            rows: vec![vec![
                Cell::text("欧阳明华"),
                Cell::Int(7),
                Cell::text("很".repeat(100)),
            ]],
        };
        assert_eq!(column_widths(&sheet), vec![10, MIN_WIDTH, MAX_WIDTH]);
    }

    #[test]
    fn sheet_names_are_valid_and_unique() {
        assert_eq!(sheet_name("委员/名单?", &[]), "委员名单");
        assert_eq!(sheet_name("", &[]), "Sheet");
        let taken = vec!["出勤".to_string()];
        assert_eq!(sheet_name("出勤", &taken), "出勤 (2)");
        let long = "长".repeat(40);
        assert_eq!(sheet_name(&long, &[]).chars().count(), 31);
    }

    #[test]
    fn long_text_is_cut_to_a_cell() {
        let s = "字".repeat(MAX_CELL_CHARS + 5);
        assert_eq!(cell_text(&s).chars().count(), MAX_CELL_CHARS);
        assert_eq!(cell_text("短"), "短");
    }

    #[test]
    fn writes_a_zip_and_reports_progress() {
        let sheet = Sheet {
            name: "活动".into(),
            headers: vec!["日期".into(), "名称".into(), "人数".into()],
            rows: (0..2500)
                .map(|i| {
                    vec![
                        Cell::Date(NaiveDate::from_ymd_opt(2011, 3, 5).unwrap()),
                        Cell::text(format!("=活动{i}")),
                        Cell::Int(i),
                    ]
                })
                .collect(),
        };
        let mut seen = Vec::new();
        let bytes = workbook(&[sheet], &mut |n, total| seen.push((n, total))).unwrap();
        assert_eq!(&bytes[..2], b"PK");
        assert_eq!(seen, vec![(1000, 2500), (2000, 2500), (2500, 2500)]);
    }
}
