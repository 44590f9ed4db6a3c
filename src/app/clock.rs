//! The committee's clock. Instants are stored in UTC; "today", the year, and
//! every date and time shown are the committee's, in its time zone (the
//! `time_zone` setting, Asia/Shanghai by default). A step taken at 07:30 in
//! Beijing is dated that day, not the day before.

use std::sync::RwLock;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

/// The time zone of a new installation.
pub const DEFAULT_ZONE: Tz = chrono_tz::Asia::Shanghai;

static ZONE: RwLock<Tz> = RwLock::new(DEFAULT_ZONE);

/// Use `zone` from now on (set once at start from the settings).
pub fn set_zone(zone: Tz) {
    if let Ok(mut current) = ZONE.write() {
        *current = zone;
    }
}

/// The committee's time zone.
pub fn zone() -> Tz {
    ZONE.read().map(|z| *z).unwrap_or(DEFAULT_ZONE)
}

/// The date an instant falls on, for the committee.
pub fn date_of(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&zone()).date_naive()
}

/// Today, for the committee.
pub fn today() -> NaiveDate {
    date_of(Utc::now())
}

/// This year, for the committee.
pub fn this_year() -> i32 {
    today().year()
}

/// The instant a committee's day begins.
pub fn start_of(day: NaiveDate) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    zone()
        .from_local_datetime(&midnight)
        .earliest()
        .map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&Utc))
}

/// An instant as people read it: the committee's date and time to the minute.
pub fn shown(at: DateTime<Utc>) -> String {
    at.with_timezone(&zone())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// An instant to the second, for the audit log.
pub fn shown_to_second(at: DateTime<Utc>) -> String {
    at.with_timezone(&zone())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn beijing_mornings_are_the_same_day() {
        // 07:30 in Beijing is 23:30 UTC the day before.
        let at = Utc.with_ymd_and_hms(2012, 3, 4, 23, 30, 0).unwrap();
        assert_eq!(
            at.with_timezone(&DEFAULT_ZONE).date_naive(),
            NaiveDate::from_ymd_opt(2012, 3, 5).unwrap()
        );
        assert_eq!(
            at.with_timezone(&DEFAULT_ZONE)
                .format("%Y-%m-%d %H:%M")
                .to_string(),
            "2012-03-05 07:30"
        );
        assert_eq!(DEFAULT_ZONE.name(), "Asia/Shanghai");
        // A Beijing day starts at 16:00 UTC the day before.
        let day = NaiveDate::from_ymd_opt(2012, 3, 5).unwrap();
        assert_eq!(
            zone(),
            DEFAULT_ZONE,
            "nothing in the unit tests sets another"
        );
        assert_eq!(
            start_of(day),
            Utc.with_ymd_and_hms(2012, 3, 4, 16, 0, 0).unwrap()
        );
        assert_eq!(date_of(start_of(day)), day);
    }
}
