//! The templates an import is filled in from: an `.xlsx` whose first sheet
//! has the header row, one example row and columns typed for what they hold
//! (ID and phone numbers as text, so Excel keeps every digit; dates as
//! dates; lists to choose from), and a second sheet of notes; or the same
//! header and example as a `.csv`. Pure: bytes in memory.

use rust_xlsxwriter::{DataValidation, ExcelDateTime, Format, Workbook};

use crate::domain::csv;

/// A column of a template, with its words already in the reader's language.
#[derive(Debug, Clone, Default)]
pub struct TemplateColumn {
    pub header: String,
    /// The example row's value (a date as `YYYY-MM-DD`).
    pub example: String,
    pub kind: TemplateKind,
    /// Values to choose from (a list in the cell); empty: free text.
    pub choices: Vec<String>,
    /// Width in characters.
    pub width: f64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TemplateKind {
    #[default]
    Text,
    /// Digits kept as text (ID and phone numbers).
    Digits,
    Date,
}

/// The rows the template's lists and formats cover.
const FORMATTED_ROWS: u32 = 50_000;

/// The `.xlsx` template: `sheet` with the header and the example, and a
/// sheet `notes_title` with one note per row.
pub fn xlsx(
    sheet: &str,
    columns: &[TemplateColumn],
    notes_title: &str,
    notes: &[String],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = Workbook::new();
    let header = Format::new().set_bold().set_background_color("#E8EEF7");
    let text = Format::new().set_num_format("@");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let data = book.add_worksheet();
    data.set_name(sheet)?;
    for (i, column) in columns.iter().enumerate() {
        let col = i as u16;
        data.set_column_width(col, column.width)?;
        match column.kind {
            TemplateKind::Digits => {
                data.set_column_format(col, &text)?;
                data.write_string_with_format(1, col, &column.example, &text)?;
            }
            TemplateKind::Date => {
                data.set_column_format(col, &date)?;
                match example_date(&column.example) {
                    Some(d) => data.write_datetime_with_format(1, col, &d, &date)?,
                    None => data.write_string(1, col, &column.example)?,
                };
            }
            TemplateKind::Text => {
                data.write_string(1, col, &column.example)?;
            }
        }
        data.write_string_with_format(0, col, &column.header, &header)?;
        if !column.choices.is_empty() {
            let list = DataValidation::new().allow_list_strings(&column.choices)?;
            data.add_data_validation(1, col, FORMATTED_ROWS, col, &list)?;
        }
    }
    data.set_freeze_panes(1, 0)?;
    let sheet_notes = book.add_worksheet();
    sheet_notes.set_name(notes_title)?;
    sheet_notes.set_column_width(0, 100)?;
    for (row, note) in notes.iter().enumerate() {
        sheet_notes.write_string(row as u32, 0, note)?;
    }
    book.save_to_buffer()
}

fn example_date(text: &str) -> Option<ExcelDateTime> {
    let mut parts = text.split('-').map(|p| p.parse::<u16>().ok());
    let (Some(Some(y)), Some(Some(m)), Some(Some(d))) = (parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    ExcelDateTime::from_ymd(y, u8::try_from(m).ok()?, u8::try_from(d).ok()?).ok()
}

/// The `.csv` template: the header and the example row, with the byte-order
/// mark Excel needs to read Chinese.
pub fn csv(columns: &[TemplateColumn]) -> Vec<u8> {
    let mut out = String::from(csv::BOM);
    csv::push_record(
        &mut out,
        &columns
            .iter()
            .map(|c| c.header.as_str())
            .collect::<Vec<_>>(),
    );
    csv::push_record(
        &mut out,
        &columns
            .iter()
            .map(|c| c.example.as_str())
            .collect::<Vec<_>>(),
    );
    out.into_bytes()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::domain::imports::{read, Cell};

    fn columns() -> Vec<TemplateColumn> {
        vec![
            TemplateColumn {
                header: "姓名".into(),
                example: "王小明".into(),
                width: 10.0,
                ..Default::default()
            },
            TemplateColumn {
                header: "身份证号".into(),
                example: "110101199003071234".into(),
                kind: TemplateKind::Digits,
                width: 22.0,
                ..Default::default()
            },
            TemplateColumn {
                header: "任职日期".into(),
                example: "2011-03-01".into(),
                kind: TemplateKind::Date,
                width: 12.0,
                ..Default::default()
            },
            TemplateColumn {
                header: "性别".into(),
                example: "男".into(),
                choices: vec!["男".into(), "女".into()],
                width: 6.0,
                ..Default::default()
            },
        ]
    }

    #[test]
    fn the_xlsx_template_reads_back_typed() {
        let bytes = xlsx("委员名册", &columns(), "填写说明", &["一".into()]).unwrap();
        let grid = read(&bytes).unwrap();
        assert_eq!(grid.rows.len(), 2);
        assert_eq!(grid.rows[0].1[0], Cell::Text("姓名".into()));
        assert_eq!(
            grid.rows[1].1[1],
            Cell::Text("110101199003071234".into()),
            "the ID number stays text"
        );
        assert_eq!(grid.rows[1].1[2], Cell::Date(40603.0));
        assert!(grid.merged.is_empty() && grid.formulas.is_empty());
    }

    #[test]
    fn the_csv_template_reads_back() {
        let grid = read(&csv(&columns())).unwrap();
        assert_eq!(grid.rows[1].1[0], Cell::Text("王小明".into()));
        assert_eq!(grid.rows[1].1[2], Cell::Text("2011-03-01".into()));
    }
}
