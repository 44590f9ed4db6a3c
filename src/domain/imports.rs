//! Spreadsheets read for an import (the member roster, the departments):
//! an `.xlsx` (one clean Office package, read with calamine) or a `.csv`
//! (UTF-8, or GB18030 as Excel saves it on a Chinese Windows) becomes a grid
//! of typed cells with its merged regions and formulas; the header row is
//! matched to the template's columns; each cell becomes the text the
//! member form would take, or a message saying why it cannot. Every problem
//! names its row and column. Pure: bytes in, no I/O.

use chrono::{Duration, NaiveDate};

use super::file_structure::{check_office, is_executable, OfficeKind};
use super::validation::FieldError;

/// Most data rows one file may hold (a province's roster is about 32,000).
pub const MAX_ROWS: usize = 50_000;

/// One cell as the file holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    /// A number (Excel's "general" or number format).
    Number(f64),
    /// A number shown as a date or time: Excel's serial day number.
    Date(f64),
    Bool(bool),
    /// An error value such as `#N/A`.
    Error(String),
}

impl Cell {
    pub fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(t) => t.trim().is_empty(),
            _ => false,
        }
    }
}

/// A sheet as read: its non-empty rows (numbered from 1, as the program
/// shows them), merged regions and cells holding formulas (0-based).
#[derive(Debug, Clone, Default)]
pub struct Grid {
    pub rows: Vec<(u32, Vec<Cell>)>,
    /// `(first_row, first_col, last_row, last_col)`, 0-based.
    pub merged: Vec<(u32, u32, u32, u32)>,
    /// `(row, col)`, 0-based.
    pub formulas: Vec<(u32, u32)>,
    /// The workbook counts days from 1904 (old Mac Excel).
    pub date_1904: bool,
}

/// A problem at a place in the file: the row (from 1) and column (from 0)
/// when it has one; the error's field is the column's (or `file`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellError {
    pub row: Option<u32>,
    pub col: Option<u32>,
    pub error: FieldError,
}

impl CellError {
    pub fn file(error: FieldError) -> Self {
        Self {
            row: None,
            col: None,
            error,
        }
    }

    pub fn at(row: u32, col: u32, error: FieldError) -> Self {
        Self {
            row: Some(row),
            col: Some(col),
            error,
        }
    }
}

/// A column's letter as the program shows it: 0 → `A`, 26 → `AA`.
pub fn column_letter(col: u32) -> String {
    let mut n = col as u64 + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        out.push(b'A' + rem);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

fn not_a_spreadsheet() -> FieldError {
    FieldError::new("file", "import_not_spreadsheet")
}

/// Read an upload into a grid, judged from its content (the name only
/// breaks a tie: nothing else is trusted).
pub fn read(bytes: &[u8]) -> Result<Grid, FieldError> {
    if bytes.is_empty() {
        return Err(FieldError::new("file", "file_empty"));
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return read_xlsx(bytes);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Err(FieldError::new("file", "import_xls"));
    }
    if is_executable(bytes)
        || bytes.starts_with(b"%PDF-")
        || bytes.starts_with(&[0xFF, 0xD8, 0xFF])
        || bytes.starts_with(b"\x89PNG")
        || bytes.contains(&0)
    {
        return Err(not_a_spreadsheet());
    }
    let text = decode_text(bytes).ok_or_else(not_a_spreadsheet)?;
    read_csv(&text)
}

/// UTF-8 (with or without its byte-order mark), else GB18030.
fn decode_text(bytes: &[u8]) -> Option<String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Some(text.to_string());
    }
    encoding_rs::GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|t| t.into_owned())
}

/// RFC 4180 records: quoted fields may hold commas, quotes and line breaks.
fn read_csv(text: &str) -> Result<Grid, FieldError> {
    let mut records: Vec<Vec<String>> = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    let mut at_field_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if at_field_start => {
                quoted = true;
                at_field_start = false;
            }
            ',' => {
                record.push(std::mem::take(&mut field));
                at_field_start = true;
            }
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
                at_field_start = true;
                if records.len() > MAX_ROWS + 1 {
                    return Err(too_many_rows());
                }
            }
            _ => {
                field.push(c);
                at_field_start = false;
            }
        }
    }
    if quoted {
        return Err(FieldError::new("file", "import_csv_quote"));
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    let mut grid = Grid::default();
    for (i, record) in records.into_iter().enumerate() {
        let row = i as u32;
        let mut cells = Vec::with_capacity(record.len());
        for (col, value) in record.into_iter().enumerate() {
            // A formula typed into a CSV is evaluated when Excel opens it.
            if value.trim_start().starts_with('=') && value.trim().len() > 1 {
                grid.formulas.push((row, col as u32));
            }
            cells.push(Cell::Text(unneutralise(value)));
        }
        if cells.iter().any(|c| !c.is_blank()) {
            grid.rows.push((row + 1, cells));
        }
    }
    Ok(grid)
}

/// Our own CSV exports put `'` before a value that starts like a formula;
/// read back, the value is the one without it.
fn unneutralise(value: String) -> String {
    match value.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest.to_string(),
        _ => value,
    }
}

fn too_many_rows() -> FieldError {
    FieldError::new("file", "import_too_many_rows").with("max", MAX_ROWS)
}

/// The first sheet of a workbook: the package is checked whole first (one
/// clean zip, an Excel workbook, no macros or programs).
fn read_xlsx(bytes: &[u8]) -> Result<Grid, FieldError> {
    use calamine::{Data, Reader, Xlsx};
    match check_office(bytes)? {
        Some(OfficeKind::Excel) => {}
        _ => return Err(not_a_spreadsheet()),
    }
    let damaged = || FieldError::new("file", "file_damaged");
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).map_err(|_| damaged())?;
    let sheet = book.sheet_names().into_iter().next().ok_or_else(damaged)?;
    let range = book.worksheet_range(&sheet).map_err(|_| damaged())?;
    if range.height() > MAX_ROWS + 1 {
        return Err(too_many_rows());
    }
    let mut grid = Grid {
        date_1904: book.has_1904_epoch(),
        ..Default::default()
    };
    if let Some((top, left)) = range.start() {
        for (i, row) in range.rows().enumerate() {
            let mut cells = vec![Cell::Empty; left as usize];
            cells.extend(row.iter().map(|d| match d {
                Data::Empty => Cell::Empty,
                Data::String(s) => Cell::Text(s.clone()),
                Data::Int(n) => Cell::Number(*n as f64),
                Data::Float(f) => Cell::Number(*f),
                Data::Bool(b) => Cell::Bool(*b),
                Data::DateTime(d) => Cell::Date(d.as_f64()),
                Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
                Data::Error(e) => Cell::Error(e.to_string()),
            }));
            if cells.iter().any(|c| !c.is_blank()) {
                grid.rows.push((top + i as u32 + 1, cells));
            }
        }
    }
    let formulas = book.worksheet_formula(&sheet).map_err(|_| damaged())?;
    if let Some((top, left)) = formulas.start() {
        for (i, row) in formulas.rows().enumerate() {
            for (j, f) in row.iter().enumerate() {
                if !f.trim().is_empty() {
                    grid.formulas.push((top + i as u32, left + j as u32));
                }
            }
        }
    }
    grid.merged = book
        .merge_cells_by_sheet_name(&sheet)
        .map_err(|_| damaged())?
        .into_iter()
        .map(|d| (d.start.0, d.start.1, d.end.0, d.end.1))
        .collect();
    Ok(grid)
}

/// How a column's cells are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Words; a number is written out (a term `7`, a phone number).
    Text,
    /// Digits that must stay text: an ID number Excel turned into a number
    /// has lost its last digits.
    Digits,
    /// A date: a date cell, an Excel serial number, or text.
    Date,
}

/// A column of the template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The field the column fills (its label is the catalogue's).
    pub field: &'static str,
    pub kind: ColumnKind,
    pub required: bool,
}

/// A header cell as compared: without spaces, a required mark or a note in brackets.
pub fn header_key(text: &str) -> String {
    let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let text = text.trim_matches(['*', '＊']);
    let cut = text.find(['（', '(']).unwrap_or(text.len());
    text[..cut].trim_matches(['*', '＊']).to_string()
}

/// Where each column of the template is in the sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The header's row number (from 1).
    pub header_row: u32,
    /// For each template column, its index in the sheet (`None`: absent, optional).
    pub at: Vec<Option<u32>>,
}

/// Match the header row to the template's columns; `labels(field)` gives
/// the header texts a column may have (its label in each language). The
/// header is the first of the first rows that names two columns or more (a
/// title may stand above it), else the first row.
pub fn match_header(
    grid: &Grid,
    columns: &[Column],
    labels: &dyn Fn(&str) -> Vec<String>,
) -> Result<Layout, Vec<CellError>> {
    let keys: Vec<Vec<String>> = columns
        .iter()
        .map(|c| labels(c.field).iter().map(|l| header_key(l)).collect())
        .collect();
    let names = |cells: &[Cell]| {
        cells
            .iter()
            .filter(|c| match c {
                Cell::Text(t) => keys.iter().any(|k| k.contains(&header_key(t))),
                _ => false,
            })
            .count()
    };
    let Some((header_row, cells)) = grid
        .rows
        .iter()
        .take(10)
        .find(|(_, cells)| names(cells) >= 2)
        .or_else(|| grid.rows.first())
    else {
        return Err(vec![CellError::file(FieldError::new(
            "file",
            "import_no_rows",
        ))]);
    };
    let mut at = vec![None; columns.len()];
    let mut errors = Vec::new();
    for (col, cell) in cells.iter().enumerate() {
        let text = match cell {
            Cell::Empty => continue,
            Cell::Text(t) if t.trim().is_empty() => continue,
            Cell::Text(t) => t.clone(),
            _ => String::new(),
        };
        let key = header_key(&text);
        match keys.iter().position(|k| k.contains(&key)) {
            Some(i) if at[i].is_none() => at[i] = Some(col as u32),
            Some(_) => errors.push(CellError::at(
                *header_row,
                col as u32,
                FieldError::new("file", "import_header_twice").with("header", text.trim()),
            )),
            None => errors.push(CellError::at(
                *header_row,
                col as u32,
                FieldError::new("file", "import_header_unknown").with("header", text.trim()),
            )),
        }
    }
    for (i, column) in columns.iter().enumerate() {
        if column.required && at[i].is_none() {
            let label = labels(column.field).into_iter().next().unwrap_or_default();
            errors.push(CellError::file(
                FieldError::new("file", "import_header_missing").with("header", label),
            ));
        }
    }
    if errors.is_empty() {
        Ok(Layout {
            header_row: *header_row,
            at,
        })
    } else {
        Err(errors)
    }
}

/// Merged regions that touch the header or the data: each cell of a
/// region but its first reads empty, so one is refused, named by its range.
pub fn merged_errors(grid: &Grid, header_row: u32) -> Vec<CellError> {
    grid.merged
        .iter()
        .filter(|(_, _, last_row, _)| last_row + 1 >= header_row)
        .map(|&(r1, c1, r2, c2)| {
            let range = format!(
                "{}{}:{}{}",
                column_letter(c1),
                r1 + 1,
                column_letter(c2),
                r2 + 1
            );
            CellError::at(
                r1 + 1,
                c1,
                FieldError::new("file", "import_merged").with("range", range),
            )
        })
        .collect()
}

/// Cells holding a formula, at or below the header.
pub fn formula_errors(grid: &Grid, header_row: u32) -> Vec<CellError> {
    grid.formulas
        .iter()
        .filter(|(row, _)| row + 1 >= header_row)
        .map(|&(row, col)| CellError::at(row + 1, col, FieldError::new("file", "import_formula")))
        .collect()
}

/// How Excel shows a large number in a narrow cell: `1.10101E+17`.
fn scientific(value: f64) -> String {
    let formatted = format!("{value:.5E}");
    let (mantissa, exponent) = formatted.split_once('E').unwrap_or((&formatted, "0"));
    let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
    let sign = if exponent.starts_with('-') { "" } else { "+" };
    format!("{mantissa}E{sign}{exponent}")
}

/// Text that is a number in scientific notation (`1.10101E+17`, `1.1e17`).
fn looks_scientific(text: &str) -> bool {
    let t = text.trim().to_ascii_uppercase();
    let Some((mantissa, exponent)) = t.split_once('E') else {
        return false;
    };
    let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
    !mantissa.is_empty()
        && mantissa.chars().all(|c| c.is_ascii_digit() || c == '.')
        && mantissa.chars().filter(|c| *c == '.').count() <= 1
        && !exponent.is_empty()
        && exponent.chars().all(|c| c.is_ascii_digit())
}

/// A whole number as digits, anything else as Rust writes it.
fn number_text(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        value.to_string()
    }
}

/// An Excel serial day number as a date (the time of day dropped).
/// Serial 60 is 1900-02-29, a day that never was (Lotus's leap-year bug).
pub fn serial_date(serial: f64, date_1904: bool) -> Option<NaiveDate> {
    if !serial.is_finite() || !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let days = serial.floor() as i64;
    let (base, days) = if date_1904 {
        (NaiveDate::from_ymd_opt(1904, 1, 1)?, days)
    } else if days < 60 {
        (NaiveDate::from_ymd_opt(1899, 12, 31)?, days)
    } else if days == 60 {
        return None;
    } else {
        (NaiveDate::from_ymd_opt(1899, 12, 30)?, days)
    };
    base.checked_add_signed(Duration::days(days))
}

/// A date as people type it: `2011-03-01`, `2011/3/1`, `2011.3.1`,
/// `2011年3月1日`, `20110301`, a time after it ignored; or an Excel serial
/// number that lost its date format (`40603`).
pub fn parse_date_text(text: &str, date_1904: bool) -> Option<NaiveDate> {
    let t = text.trim();
    let t = t.split([' ', 'T']).next().unwrap_or(t);
    if t.chars().all(|c| c.is_ascii_digit()) {
        return match t.len() {
            8 => NaiveDate::parse_from_str(t, "%Y%m%d").ok(),
            1..=5 => serial_date(t.parse::<f64>().ok()?, date_1904),
            _ => None,
        };
    }
    let t = t.trim_end_matches('日');
    let parts: Vec<&str> = t.split(['-', '/', '.', '年', '月']).collect();
    let [y, m, d] = parts.as_slice() else {
        return None;
    };
    if y.len() != 4 || m.is_empty() || d.is_empty() || m.len() > 2 || d.len() > 2 {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// The text of a cell as the form would take it, or why it cannot be.
pub fn cell_text(
    cell: &Cell,
    field: &'static str,
    kind: ColumnKind,
    date_1904: bool,
) -> Result<String, FieldError> {
    let as_number =
        |shown: String| FieldError::new(field, "import_number_not_text").with("value", shown);
    match (cell, kind) {
        (Cell::Empty, _) => Ok(String::new()),
        (Cell::Error(e), _) => Err(FieldError::new(field, "import_cell_error").with("value", e)),
        (Cell::Text(t), ColumnKind::Digits) if looks_scientific(t) => {
            Err(as_number(t.trim().to_string()))
        }
        (Cell::Text(t), ColumnKind::Date) if !t.trim().is_empty() => parse_date_text(t, date_1904)
            .map(|d| d.format("%Y-%m-%d").to_string())
            .ok_or_else(|| FieldError::new(field, "import_date_invalid").with("value", t.trim())),
        (Cell::Text(t), _) => Ok(t.trim().to_string()),
        (Cell::Number(n), ColumnKind::Digits) if n.abs() >= 1e11 => Err(as_number(scientific(*n))),
        (Cell::Number(n), ColumnKind::Digits) => Err(as_number(number_text(*n))),
        (Cell::Number(n) | Cell::Date(n), ColumnKind::Date) => serial_date(*n, date_1904)
            .map(|d| d.format("%Y-%m-%d").to_string())
            .ok_or_else(|| {
                FieldError::new(field, "import_date_invalid").with("value", number_text(*n))
            }),
        (Cell::Number(n), ColumnKind::Text) => Ok(number_text(*n)),
        (Cell::Date(n), _) => serial_date(*n, date_1904)
            .map(|d| d.format("%Y-%m-%d").to_string())
            .ok_or_else(|| as_number(number_text(*n))),
        (Cell::Bool(b), _) => Ok(if *b { "TRUE" } else { "FALSE" }.to_string()),
    }
}

/// One data row's cells as text, by template column; problems by column.
pub fn row_texts(
    cells: &[Cell],
    columns: &[Column],
    layout: &Layout,
    date_1904: bool,
) -> (Vec<String>, Vec<(u32, FieldError)>) {
    let mut texts = Vec::with_capacity(columns.len());
    let mut errors = Vec::new();
    for (column, at) in columns.iter().zip(&layout.at) {
        let Some(col) = at else {
            texts.push(String::new());
            continue;
        };
        let cell = cells.get(*col as usize).unwrap_or(&Cell::Empty);
        match cell_text(cell, column.field, column.kind, date_1904) {
            Ok(text) => texts.push(text),
            Err(e) => {
                errors.push((*col, e));
                texts.push(String::new());
            }
        }
    }
    (texts, errors)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn text(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }

    const COLUMNS: [Column; 3] = [
        Column {
            field: "name",
            kind: ColumnKind::Text,
            required: true,
        },
        Column {
            field: "id_number",
            kind: ColumnKind::Digits,
            required: true,
        },
        Column {
            field: "joined_on",
            kind: ColumnKind::Date,
            required: false,
        },
    ];

    fn labels(field: &str) -> Vec<String> {
        match field {
            "name" => vec!["姓名".into(), "Name".into()],
            "id_number" => vec!["身份证号".into(), "ID number".into()],
            "joined_on" => vec!["任职日期".into()],
            _ => vec![],
        }
    }

    #[test]
    fn letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(8), "I");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }

    #[test]
    fn csv_is_read_with_quotes_bom_and_gb18030() {
        let grid =
            read("\u{feff}姓名,身份证号\r\n\"王, 小明\",\"1101\"\"X\"\r\n\r\n李四,2\n".as_bytes())
                .unwrap();
        assert_eq!(grid.rows.len(), 3, "the blank line is left out");
        assert_eq!(grid.rows[1].0, 2);
        assert_eq!(grid.rows[1].1[0], text("王, 小明"));
        assert_eq!(grid.rows[1].1[1], text("1101\"X"));
        assert_eq!(grid.rows[2].0, 4, "rows keep their numbers in the file");
        let (gbk, _, _) = encoding_rs::GB18030.encode("姓名,身份证号\r\n张三,1\r\n");
        let grid = read(&gbk).unwrap();
        assert_eq!(grid.rows[1].1[0], text("张三"));
        assert_eq!(
            read(b"a,\"open\nquote").unwrap_err().code,
            "import_csv_quote"
        );
    }

    #[test]
    fn csv_formulas_are_found_and_our_quotes_dropped() {
        let grid = read(b"a,b\n=1+1,'-2\n").unwrap();
        assert_eq!(grid.formulas, vec![(1, 0)]);
        assert_eq!(grid.rows[1].1[1], text("-2"));
    }

    #[test]
    fn what_is_not_a_spreadsheet() {
        assert_eq!(read(b"").unwrap_err().code, "file_empty");
        assert_eq!(
            read(b"%PDF-1.4 whatever").unwrap_err().code,
            "import_not_spreadsheet"
        );
        assert_eq!(
            read(b"MZ\x90\x00").unwrap_err().code,
            "import_not_spreadsheet"
        );
        assert_eq!(
            read(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0])
                .unwrap_err()
                .code,
            "import_xls"
        );
        assert_eq!(
            read(&[0xFF, 0xFE, 0x41, 0x00]).unwrap_err().code,
            "import_not_spreadsheet"
        );
        // A zip that is no workbook, and a broken one.
        assert_eq!(read(b"PK\x03\x04broken").unwrap_err().code, "file_damaged");
    }

    #[test]
    fn headers_match_labels_in_either_language() {
        let grid = Grid {
            rows: vec![(
                1,
                vec![text(" ID number "), text("姓名*"), text("任职日期（选填）")],
            )],
            ..Default::default()
        };
        let layout = match_header(&grid, &COLUMNS, &labels).unwrap();
        assert_eq!(layout.at, vec![Some(1), Some(0), Some(2)]);

        let renamed = Grid {
            rows: vec![(1, vec![text("姓名"), text("身份证号码")])],
            ..Default::default()
        };
        let errors = match_header(&renamed, &COLUMNS, &labels).unwrap_err();
        assert_eq!(errors[0].error.code, "import_header_unknown");
        assert_eq!((errors[0].row, errors[0].col), (Some(1), Some(1)));
        assert_eq!(errors[1].error.code, "import_header_missing");
        assert_eq!(errors[1].error.params[0].1, "身份证号");

        let titled = Grid {
            rows: vec![
                (1, vec![text("长江路街道政协委员名册")]),
                (3, vec![text("姓名"), text("身份证号")]),
            ],
            ..Default::default()
        };
        assert_eq!(
            match_header(&titled, &COLUMNS, &labels).unwrap().header_row,
            3
        );

        let twice = Grid {
            rows: vec![(1, vec![text("姓名"), text("身份证号"), text("Name")])],
            ..Default::default()
        };
        let errors = match_header(&twice, &COLUMNS, &labels).unwrap_err();
        assert_eq!(errors[0].error.code, "import_header_twice");
        assert_eq!(
            match_header(&Grid::default(), &COLUMNS, &labels).unwrap_err()[0]
                .error
                .code,
            "import_no_rows"
        );
    }

    #[test]
    fn serial_numbers_are_dates() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(serial_date(40603.0, false), Some(d(2011, 3, 1)));
        assert_eq!(serial_date(40603.75, false), Some(d(2011, 3, 1)));
        assert_eq!(serial_date(1.0, false), Some(d(1900, 1, 1)));
        assert_eq!(serial_date(59.0, false), Some(d(1900, 2, 28)));
        assert_eq!(serial_date(60.0, false), None);
        assert_eq!(serial_date(61.0, false), Some(d(1900, 3, 1)));
        assert_eq!(serial_date(39141.0, true), Some(d(2011, 3, 1)));
        assert_eq!(serial_date(0.0, false), None);
        assert_eq!(serial_date(f64::NAN, false), None);
        assert_eq!(serial_date(3e6, false), None);
    }

    #[test]
    fn dates_as_text() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        for t in [
            "2011-03-01",
            "2011/3/1",
            "2011.3.1",
            "2011年3月1日",
            " 20110301 ",
            "2011-03-01 00:00:00",
            "40603",
        ] {
            assert_eq!(parse_date_text(t, false), d(2011, 3, 1), "{t}");
        }
        for t in [
            "2011-13-01",
            "2011-02-30",
            "11-3-1",
            "三月一日",
            "2011-3",
            "60",
            "1234567",
        ] {
            assert_eq!(parse_date_text(t, false), None, "{t}");
        }
    }

    #[test]
    fn cells_become_the_forms_text() {
        let f = "x";
        assert_eq!(
            cell_text(&Cell::Number(7.0), f, ColumnKind::Text, false).unwrap(),
            "7"
        );
        assert_eq!(
            cell_text(&Cell::Number(13812345678.0), f, ColumnKind::Text, false).unwrap(),
            "13812345678"
        );
        assert_eq!(
            cell_text(&Cell::Date(40603.0), f, ColumnKind::Date, false).unwrap(),
            "2011-03-01"
        );
        assert_eq!(
            cell_text(&Cell::Number(40603.0), f, ColumnKind::Date, false).unwrap(),
            "2011-03-01"
        );
        assert_eq!(
            cell_text(&text("2011/3/1"), f, ColumnKind::Date, false).unwrap(),
            "2011-03-01"
        );
        let e = cell_text(&text("明年"), f, ColumnKind::Date, false).unwrap_err();
        assert_eq!(
            (e.code, e.params[0].1.as_str()),
            ("import_date_invalid", "明年")
        );
        let e = cell_text(
            &Cell::Number(1.10101199003e17),
            f,
            ColumnKind::Digits,
            false,
        )
        .unwrap_err();
        assert_eq!(e.code, "import_number_not_text");
        assert_eq!(e.params[0].1, "1.10101E+17");
        let e = cell_text(&text("1.10101E+17"), f, ColumnKind::Digits, false).unwrap_err();
        assert_eq!(e.code, "import_number_not_text");
        assert_eq!(
            cell_text(&text(" 11010119900307123X "), f, ColumnKind::Digits, false).unwrap(),
            "11010119900307123X"
        );
        assert_eq!(
            cell_text(&Cell::Error("#N/A".into()), f, ColumnKind::Text, false)
                .unwrap_err()
                .code,
            "import_cell_error"
        );
        assert_eq!(
            cell_text(&Cell::Empty, f, ColumnKind::Date, false).unwrap(),
            ""
        );
    }

    #[test]
    fn scientific_like_excel() {
        assert_eq!(scientific(1.10101199003e17), "1.10101E+17");
        assert_eq!(scientific(1.1e17), "1.1E+17");
        assert!(looks_scientific("1.1E+17"));
        assert!(looks_scientific("1.10101e17"));
        assert!(!looks_scientific("11010119900307123X"));
        assert!(!looks_scientific("E+17"));
    }

    #[test]
    fn merged_and_formula_cells_named_by_place() {
        let grid = Grid {
            rows: vec![(2, vec![text("姓名")])],
            merged: vec![(0, 0, 0, 5), (3, 1, 4, 1)],
            formulas: vec![(5, 2)],
            ..Default::default()
        };
        let merged = merged_errors(&grid, 2);
        assert_eq!(merged.len(), 1, "a title above the header is no matter");
        assert_eq!(merged[0].error.params[0].1, "B4:B5");
        assert_eq!((merged[0].row, merged[0].col), (Some(4), Some(1)));
        let formulas = formula_errors(&grid, 2);
        assert_eq!((formulas[0].row, formulas[0].col), (Some(6), Some(2)));
    }

    #[test]
    fn row_texts_by_column() {
        let layout = Layout {
            header_row: 1,
            at: vec![Some(0), Some(1), None],
        };
        let (texts, errors) = row_texts(
            &[text("王小明"), Cell::Number(1.1e17)],
            &COLUMNS,
            &layout,
            false,
        );
        assert_eq!(texts, vec!["王小明", "", ""]);
        assert_eq!(errors[0].0, 1);
        assert_eq!(errors[0].1.field, "id_number");
    }

    #[test]
    fn header_keys() {
        assert_eq!(header_key(" 姓 名 *"), "姓名");
        assert_eq!(header_key("任职日期(YYYY-MM-DD)"), "任职日期");
        assert_eq!(header_key("＊身份证号"), "身份证号");
    }
}
