//! Working days: Monday to Friday, except the official holidays, plus the
//! make-up working days (调休) on weekends that the State Council publishes
//! each year together with the holidays.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use super::choice::choice_enum;
use super::validation::{FieldError, FieldErrors};

choice_enum! {
    /// What an entry of the official calendar makes of a date.
    pub enum DayKind: "day_kind" {
        /// 法定节假日: a day off, even on a weekday.
        Holiday => "holiday",
        /// 调休上班: a working day, even on a weekend.
        Workday => "workday",
    }
}

/// The official calendar: exceptions to the Monday-to-Friday rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    exceptions: BTreeMap<NaiveDate, DayKind>,
}

/// How far the search for a working day goes before giving up (a year with
/// every day off is a data error, not a reason to loop forever).
const SEARCH_LIMIT: i64 = 400;

impl Calendar {
    pub fn new(entries: impl IntoIterator<Item = (NaiveDate, DayKind)>) -> Self {
        Self {
            exceptions: entries.into_iter().collect(),
        }
    }

    /// Whether people work on `date`.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        match self.exceptions.get(&date) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::Workday) => true,
            None => !matches!(date.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// `date` itself when it is a working day, else the next one.
    pub fn next_working_day(&self, date: NaiveDate) -> NaiveDate {
        let mut day = date;
        for _ in 0..SEARCH_LIMIT {
            if self.is_working_day(day) {
                return day;
            }
            match day.succ_opt() {
                Some(next) => day = next,
                None => return day,
            }
        }
        day
    }

    /// The date `n` working days after `start` (`start` itself not counted):
    /// a due date of "15 working days" from a forwarding date.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let mut day = start;
        let mut left = n;
        let mut steps = 0i64;
        while left > 0 && steps < SEARCH_LIMIT * 4 {
            match day.succ_opt() {
                Some(next) => day = next,
                None => return day,
            }
            if self.is_working_day(day) {
                left -= 1;
            }
            steps += 1;
        }
        day
    }

    /// Working days after `start` up to and including `end` (0 when `end <= start`).
    pub fn working_days_between(&self, start: NaiveDate, end: NaiveDate) -> i64 {
        let mut count = 0;
        let mut day = start;
        while day < end {
            day += Duration::days(1);
            if self.is_working_day(day) {
                count += 1;
            }
        }
        count
    }
}

/// One line of a pasted year: `2012-01-23 holiday 春节`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayLine {
    pub day: NaiveDate,
    pub kind: DayKind,
    pub name: String,
}

/// Parse a year's official list, one date a line: `YYYY-MM-DD holiday|workday
/// name`; blank lines and lines starting with `#` are skipped. Every date
/// must fall in `year`, once; a make-up working day must be a weekend day.
pub fn parse_year(year: i32, text: &str) -> Result<Vec<HolidayLine>, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut out: Vec<HolidayLine> = Vec::new();
    if !(2000..=2100).contains(&year) {
        return Err(FieldError::new("year", "year_range")
            .with("min", 2000)
            .with("max", 2100)
            .into());
    }
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split_whitespace();
        let date_text = parts.next().unwrap_or("");
        let kind_text = parts.next().unwrap_or("");
        let name: String = parts.collect::<Vec<_>>().join(" ");
        let day = match super::dates::parse_date("lines", date_text) {
            Ok(day) => day,
            Err(_) => {
                errors.push(FieldError::new("lines", "holiday_line").with("line", line_no));
                continue;
            }
        };
        let kind = match kind_text {
            "holiday" | "休" | "假" => DayKind::Holiday,
            "workday" | "班" => DayKind::Workday,
            _ => {
                errors.push(FieldError::new("lines", "holiday_line").with("line", line_no));
                continue;
            }
        };
        if day.year() != year {
            errors.push(FieldError::new("lines", "holiday_year").with("line", line_no));
            continue;
        }
        if kind == DayKind::Workday && !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            errors.push(FieldError::new("lines", "holiday_workday_weekday").with("line", line_no));
            continue;
        }
        if name.chars().count() > 30 || name.chars().any(char::is_control) {
            errors.push(FieldError::new("lines", "holiday_name").with("line", line_no));
            continue;
        }
        if out.iter().any(|h| h.day == day) {
            errors.push(FieldError::new("lines", "holiday_duplicate").with("line", line_no));
            continue;
        }
        out.push(HolidayLine { day, kind, name });
    }
    errors.into_result()?;
    out.sort_by_key(|h| h.day);
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// The State Council's 2012 list.
    pub(crate) fn cal_2012() -> Calendar {
        let text = "2012-01-01 holiday 元旦\n2012-01-02 holiday 元旦\n2012-01-03 holiday 元旦\n\
            2012-01-22 holiday 春节\n2012-01-23 holiday 春节\n2012-01-24 holiday 春节\n2012-01-25 holiday 春节\n\
            2012-01-26 holiday 春节\n2012-01-27 holiday 春节\n2012-01-28 holiday 春节\n\
            2012-01-21 workday 调休\n2012-01-29 workday 调休\n\
            2012-04-02 holiday 清明\n2012-04-03 holiday 清明\n2012-04-04 holiday 清明\n\
            2012-03-31 workday 调休\n2012-04-01 workday 调休\n\
            2012-04-29 holiday 劳动节\n2012-04-30 holiday 劳动节\n2012-05-01 holiday 劳动节\n2012-04-28 workday 调休\n\
            2012-06-22 holiday 端午\n2012-06-23 holiday 端午\n2012-06-24 holiday 端午\n\
            2012-09-30 holiday 中秋国庆\n2012-10-01 holiday 中秋国庆\n2012-10-02 holiday 中秋国庆\n\
            2012-10-03 holiday 中秋国庆\n2012-10-04 holiday 中秋国庆\n2012-10-05 holiday 中秋国庆\n\
            2012-10-06 holiday 中秋国庆\n2012-10-07 holiday 中秋国庆\n2012-09-29 workday 调休\n";
        let lines = parse_year(2012, text).unwrap();
        Calendar::new(lines.into_iter().map(|h| (h.day, h.kind)))
    }

    #[test]
    fn weekends_holidays_and_make_up_days() {
        let plain = Calendar::default();
        assert!(plain.is_working_day(d(2012, 1, 20))); // Friday
        assert!(!plain.is_working_day(d(2012, 1, 21))); // Saturday
        let cal = cal_2012();
        assert!(cal.is_working_day(d(2012, 1, 21)), "调休 Saturday");
        assert!(cal.is_working_day(d(2012, 1, 29)), "调休 Sunday");
        assert!(!cal.is_working_day(d(2012, 1, 23)), "春节 Monday");
        assert!(!cal.is_working_day(d(2012, 10, 5)), "国庆 Friday");
        assert!(cal.is_working_day(d(2012, 10, 8)));
    }

    #[test]
    fn next_working_day_skips_weekends_and_holidays() {
        let cal = cal_2012();
        assert_eq!(cal.next_working_day(d(2012, 1, 16)), d(2012, 1, 16));
        assert_eq!(cal.next_working_day(d(2012, 1, 22)), d(2012, 1, 29));
        assert_eq!(cal.next_working_day(d(2012, 4, 15)), d(2012, 4, 16)); // Sunday
        assert_eq!(cal.next_working_day(d(2012, 9, 30)), d(2012, 10, 8));
        assert_eq!(cal.next_working_day(d(2012, 7, 15)), d(2012, 7, 16));
    }

    #[test]
    fn adding_working_days() {
        let plain = Calendar::default();
        // Monday + 5 working days = next Monday.
        assert_eq!(plain.add_working_days(d(2012, 3, 5), 5), d(2012, 3, 12));
        assert_eq!(plain.add_working_days(d(2012, 3, 9), 1), d(2012, 3, 12));
        assert_eq!(plain.add_working_days(d(2012, 3, 9), 0), d(2012, 3, 9));
        let cal = cal_2012();
        // Forwarded Friday 2012-01-20: the 21st (调休) counts, 22-28 do not, 29 (调休) counts.
        assert_eq!(cal.add_working_days(d(2012, 1, 20), 1), d(2012, 1, 21));
        assert_eq!(cal.add_working_days(d(2012, 1, 20), 2), d(2012, 1, 29));
        assert_eq!(cal.add_working_days(d(2012, 1, 20), 3), d(2012, 1, 30));
        // 15 working days from 2012-09-20 across 中秋国庆.
        assert_eq!(cal.add_working_days(d(2012, 9, 20), 15), d(2012, 10, 17));
        assert_eq!(cal.working_days_between(d(2012, 1, 20), d(2012, 1, 30)), 3);
        assert_eq!(cal.working_days_between(d(2012, 1, 30), d(2012, 1, 20)), 0);
    }

    #[test]
    fn parsing_a_year() {
        let lines = parse_year(
            2012,
            "# 2012\n\n2012-01-23 holiday 春节\n2012-01-21 workday 调休\n",
        )
        .unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].day, d(2012, 1, 21));
        assert_eq!(lines[1].name, "春节");
        let code = |text: &str| parse_year(2012, text).unwrap_err().0[0].code;
        assert_eq!(code("2012-13-01 holiday x"), "holiday_line");
        assert_eq!(code("2012-01-23 party x"), "holiday_line");
        assert_eq!(code("2011-01-23 holiday x"), "holiday_year");
        assert_eq!(code("2012-01-23 workday x"), "holiday_workday_weekday");
        assert_eq!(
            code("2012-01-23 holiday a\n2012-01-23 holiday b"),
            "holiday_duplicate"
        );
        let e = parse_year(2012, "x\ny").unwrap_err();
        assert_eq!(e.0.len(), 2);
        assert_eq!(e.0[1].params, vec![("line", "2".to_string())]);
        assert_eq!(parse_year(1800, "").unwrap_err().0[0].code, "year_range");
    }
}
