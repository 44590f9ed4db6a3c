//! The Members' Home reception day (委员之家接待日): a monthly date (the 15th
//! by default), moved to the next working day when it is not one, and a
//! duty roster that rotates through the committee's groups month by month.

use chrono::{Datelike, NaiveDate};

use super::calendar::Calendar;
use super::choice::choice_enum;
use super::validation::FieldError;

/// The day of the month when a committee has not chosen one.
pub const DEFAULT_DAY_OF_MONTH: u32 = 15;

choice_enum! {
    /// What became of a visit.
    pub enum VisitOutcome: "visit_outcome" {
        /// 当场答复
        Answered => "answered",
        /// 转为来访事件
        Case => "case",
    }
}

/// One month's reception day: the nominal date and the day it is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduledDay {
    /// The configured day of the month (the last day of a shorter month).
    pub nominal: NaiveDate,
    /// The nominal date, or the next working day after it.
    pub held_on: NaiveDate,
}

impl ScheduledDay {
    /// Whether the day was moved off a weekend or holiday.
    pub fn shifted(&self) -> bool {
        self.nominal != self.held_on
    }
}

/// The nominal date in a month: `day` clamped to the month's length.
pub fn nominal_date(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    let day = day.clamp(1, 31);
    (1..=day)
        .rev()
        .find_map(|d| NaiveDate::from_ymd_opt(year, month, d))
}

/// The reception day of a month.
pub fn scheduled_day(year: i32, month: u32, day: u32, calendar: &Calendar) -> Option<ScheduledDay> {
    let nominal = nominal_date(year, month, day)?;
    Some(ScheduledDay {
        nominal,
        held_on: calendar.next_working_day(nominal),
    })
}

/// Which of `group_count` groups (in their fixed order) is on duty in a
/// month: one after the other, continuing across years.
pub fn duty_group_index(year: i32, month: u32, group_count: usize) -> Option<usize> {
    if group_count == 0 || !(1..=12).contains(&month) {
        return None;
    }
    let months = i64::from(year) * 12 + i64::from(month) - 1;
    usize::try_from(months.rem_euclid(group_count as i64)).ok()
}

/// The group on duty on a date.
pub fn duty_group_for(date: NaiveDate, group_count: usize) -> Option<usize> {
    duty_group_index(date.year(), date.month(), group_count)
}

/// Parse a configured day of the month (1 to 31; shorter months use their last day).
pub fn parse_day_of_month(field: &'static str, input: &str) -> Result<u32, FieldError> {
    let value = input.trim();
    if value.is_empty() {
        return Err(FieldError::new(field, "required"));
    }
    value
        .parse::<u32>()
        .ok()
        .filter(|d| (1..=31).contains(d))
        .ok_or_else(|| FieldError::new(field, "day_of_month_range"))
}

/// Parse a count of visitors: 1 to 500.
pub fn parse_people(field: &'static str, input: &str) -> Result<i64, FieldError> {
    let value = input.trim();
    if value.is_empty() {
        return Err(FieldError::new(field, "required"));
    }
    value
        .parse::<i64>()
        .ok()
        .filter(|n| (1..=500).contains(n))
        .ok_or_else(|| FieldError::new(field, "people_range"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::domain::calendar::DayKind;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_fifteenth_moves_to_the_next_working_day() {
        let cal = Calendar::default();
        // 2012-01-15 is a Sunday.
        let jan = scheduled_day(2012, 1, 15, &cal).unwrap();
        assert_eq!((jan.nominal, jan.held_on), (d(2012, 1, 15), d(2012, 1, 16)));
        assert!(jan.shifted());
        let feb = scheduled_day(2012, 2, 15, &cal).unwrap();
        assert_eq!(feb.held_on, d(2012, 2, 15));
        assert!(!feb.shifted());
        // 2011-01-15 is a Saturday, 2011-05-15 a Sunday.
        assert_eq!(
            scheduled_day(2011, 1, 15, &cal).unwrap().held_on,
            d(2011, 1, 17)
        );
        assert_eq!(
            scheduled_day(2011, 5, 15, &cal).unwrap().held_on,
            d(2011, 5, 16)
        );
        // A holiday on a weekday moves too.
        let cal = Calendar::new([(d(2012, 2, 15), DayKind::Holiday)]);
        assert_eq!(
            scheduled_day(2012, 2, 15, &cal).unwrap().held_on,
            d(2012, 2, 16)
        );
    }

    #[test]
    fn short_months_use_their_last_day() {
        assert_eq!(nominal_date(2012, 2, 31), Some(d(2012, 2, 29)));
        assert_eq!(nominal_date(2011, 2, 30), Some(d(2011, 2, 28)));
        assert_eq!(nominal_date(2012, 4, 31), Some(d(2012, 4, 30)));
        assert_eq!(nominal_date(2012, 13, 1), None);
    }

    #[test]
    fn the_roster_rotates_through_the_groups() {
        let order: Vec<usize> = (1..=6)
            .map(|m| duty_group_index(2012, m, 4).unwrap())
            .collect();
        assert_eq!(order, [0, 1, 2, 3, 0, 1]);
        // December is followed by January of the next year.
        let dec = duty_group_index(2011, 12, 4).unwrap();
        assert_eq!(duty_group_index(2012, 1, 4).unwrap(), (dec + 1) % 4);
        assert_eq!(duty_group_index(2012, 1, 0), None);
        assert_eq!(duty_group_index(2012, 0, 4), None);
        assert_eq!(duty_group_for(d(2012, 3, 15), 4), Some(2));
    }

    #[test]
    fn parsing_settings_and_counts() {
        assert_eq!(parse_day_of_month("d", "15").unwrap(), 15);
        assert_eq!(
            parse_day_of_month("d", "0").unwrap_err().code,
            "day_of_month_range"
        );
        assert_eq!(
            parse_day_of_month("d", "32").unwrap_err().code,
            "day_of_month_range"
        );
        assert_eq!(parse_day_of_month("d", "").unwrap_err().code, "required");
        assert_eq!(parse_people("p", "3").unwrap(), 3);
        assert_eq!(parse_people("p", "0").unwrap_err().code, "people_range");
        assert_eq!(parse_people("p", "x").unwrap_err().code, "people_range");
        assert_eq!(
            VisitOutcome::parse("o", "case").unwrap(),
            VisitOutcome::Case
        );
    }
}
