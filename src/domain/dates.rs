//! Dates and record IDs from form and query values.

use chrono::{Datelike, NaiveDate};

use super::validation::FieldError;

/// Parse an ISO date `YYYY-MM-DD` (exactly that shape, surrounding whitespace ignored).
pub fn parse_date(field: &'static str, input: &str) -> Result<NaiveDate, FieldError> {
    match parse_optional_date(field, input)? {
        Some(date) => Ok(date),
        None => Err(FieldError::new(field, "required")),
    }
}

/// Like [`parse_date`], but an empty value is `None`.
pub fn parse_optional_date(
    field: &'static str,
    input: &str,
) -> Result<Option<NaiveDate>, FieldError> {
    let value = input.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let b = value.as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        return Err(FieldError::new(field, "date_format"));
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| FieldError::new(field, "date_format"))
}

/// Parse a record ID: a positive decimal integer.
pub fn parse_id(field: &'static str, input: &str) -> Result<i64, FieldError> {
    match parse_optional_id(field, input)? {
        Some(id) => Ok(id),
        None => Err(FieldError::new(field, "required")),
    }
}

/// Like [`parse_id`], but an empty value is `None`.
pub fn parse_optional_id(field: &'static str, input: &str) -> Result<Option<i64>, FieldError> {
    let value = input.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldError::new(field, "id_format"));
    }
    value
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .map(Some)
        .ok_or_else(|| FieldError::new(field, "id_format"))
}

/// The year a page opens on: the latest year that has records, never one
/// after today's; this year when there are none (or when this year has some).
pub fn year_to_open(latest: Option<NaiveDate>, today: NaiveDate) -> i32 {
    latest
        .map(|d| d.year().min(today.year()))
        .unwrap_or(today.year())
}

/// The first day of the month a calendar opens on: the latest month that has
/// records, never one after today's; this month when there are none.
pub fn month_to_open(latest: Option<NaiveDate>, today: NaiveDate) -> NaiveDate {
    let day = latest.filter(|d| *d < today).unwrap_or(today);
    day.with_day(1).unwrap_or(day)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn pages_open_on_the_latest_period_with_records() {
        let today = ymd(2026, 12, 3);
        // The demo's records end in 2012: its pages open there.
        assert_eq!(year_to_open(Some(ymd(2012, 6, 30)), today), 2012);
        assert_eq!(
            month_to_open(Some(ymd(2012, 6, 30)), today),
            ymd(2012, 6, 1)
        );
        // Records this year, or none at all: this year and month.
        assert_eq!(year_to_open(Some(ymd(2026, 2, 1)), today), 2026);
        assert_eq!(year_to_open(None, today), 2026);
        assert_eq!(month_to_open(None, today), ymd(2026, 12, 1));
        // A record dated ahead (a planned day) does not move the page past today.
        assert_eq!(year_to_open(Some(ymd(2027, 1, 5)), today), 2026);
        assert_eq!(
            month_to_open(Some(ymd(2027, 1, 5)), today),
            ymd(2026, 12, 1)
        );
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("d", "2024-02-29").unwrap(), ymd(2024, 2, 29));
        assert_eq!(parse_date("d", " 1999-12-31 ").unwrap(), ymd(1999, 12, 31));
        assert_eq!(parse_date("d", "").unwrap_err().code, "required");
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-1-5",
            "2024/01/05",
            "20240105",
            "05-01-2024",
            "2024-01-05T00:00",
            "+202-01-05",
            "２０２４-01-05",
            "abcd-ef-gh",
        ] {
            let e = parse_date("meeting_on", bad).unwrap_err();
            assert_eq!((e.field, e.code), ("meeting_on", "date_format"), "{bad}");
        }
        assert_eq!(parse_optional_date("d", "  ").unwrap(), None);
        assert_eq!(
            parse_optional_date("d", "2024-06-01").unwrap(),
            Some(ymd(2024, 6, 1))
        );
        assert_eq!(
            parse_optional_date("d", "x").unwrap_err().code,
            "date_format"
        );
    }

    #[test]
    fn ids() {
        assert_eq!(parse_id("id", "42").unwrap(), 42);
        assert_eq!(parse_id("id", " 7 ").unwrap(), 7);
        assert_eq!(parse_id("id", "9223372036854775807").unwrap(), i64::MAX);
        assert_eq!(parse_id("id", "").unwrap_err().code, "required");
        for bad in [
            "0",
            "-1",
            "+5",
            "1.0",
            "abc",
            "9223372036854775808",
            "1 2",
            "0x10",
        ] {
            let e = parse_id("org_id", bad).unwrap_err();
            assert_eq!((e.field, e.code), ("org_id", "id_format"), "{bad}");
        }
        assert_eq!(parse_optional_id("id", "").unwrap(), None);
        assert_eq!(parse_optional_id("id", "3").unwrap(), Some(3));
        assert_eq!(parse_optional_id("id", "0").unwrap_err().code, "id_format");
    }
}
