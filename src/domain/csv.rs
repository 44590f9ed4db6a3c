//! CSV for spreadsheets: RFC 4180 quoting, a UTF-8 byte-order mark so that
//! Excel reads Chinese correctly, and formula injection neutralised.

/// Written first: without it Excel takes a UTF-8 file for the local code page.
pub const BOM: &str = "\u{feff}";

/// A cell as a spreadsheet will read it: a value that starts like a formula
/// (`=`, `+`, `-`, `@`, or a tab or carriage return that some programs skip)
/// gets a leading `'`, so it is shown as text and never evaluated.
pub fn neutralise(value: &str) -> std::borrow::Cow<'_, str> {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}").into(),
        _ => value.into(),
    }
}

/// One cell, neutralised and quoted when it holds a comma, quote or line break.
pub fn cell(value: &str) -> String {
    let value = neutralise(value);
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.into_owned()
    }
}

/// Append one record, ended by CRLF (RFC 4180).
pub fn push_record<S: AsRef<str>>(out: &mut String, cells: &[S]) {
    for (i, value) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&cell(value.as_ref()));
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(cell("=1+1"), "'=1+1");
        assert_eq!(cell("+86"), "'+86");
        assert_eq!(cell("-2"), "'-2");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("\t=x"), "'\t=x");
        assert_eq!(cell("a=b"), "a=b");
        assert_eq!(cell(""), "");
        assert_eq!(cell("审计"), "审计");
    }

    #[test]
    fn quoting_follows_rfc_4180() {
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        let mut out = String::new();
        push_record(&mut out, &["id", "详情"]);
        push_record(&mut out, &["1", "a, b"]);
        assert_eq!(out, "id,详情\r\n1,\"a, b\"\r\n");
    }
}
