//! Rules every dated lifecycle step follows, whatever it is a step on
//! (a case, a proposal, an information report).

use chrono::NaiveDate;

use super::dates::parse_optional_date;
use super::validation::{FieldError, FieldErrors};

/// The date of a step as entered: today when empty, never in the future.
/// `None` when it is refused (the reason is in `errors`).
pub fn step_date(
    errors: &mut FieldErrors,
    field: &'static str,
    input: &str,
    today: NaiveDate,
) -> Option<NaiveDate> {
    match errors.check(parse_optional_date(field, input)) {
        Some(Some(d)) if d > today => {
            errors.push(FieldError::new(field, "date_in_future"));
            None
        }
        Some(Some(d)) => Some(d),
        Some(None) => Some(today),
        None => None,
    }
}

/// A step may not be dated before the last one: the timeline reads in order.
/// `code` is the subject's own message (it names what the step is on).
pub fn check_not_before_last(
    field: &'static str,
    code: &'static str,
    on: NaiveDate,
    last: Option<NaiveDate>,
) -> Result<(), FieldError> {
    match last {
        Some(last) if on < last => Err(FieldError::new(field, code).with("date", last)),
        _ => Ok(()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 5, d).unwrap()
    }

    #[test]
    fn a_step_may_share_the_last_steps_date_but_not_precede_it() {
        assert!(check_not_before_last("on", "x", day(10), None).is_ok());
        assert!(check_not_before_last("on", "x", day(10), Some(day(10))).is_ok());
        assert!(check_not_before_last("on", "x", day(11), Some(day(10))).is_ok());
        let e = check_not_before_last("on", "x_before_last", day(9), Some(day(10))).unwrap_err();
        assert_eq!((e.field, e.code), ("on", "x_before_last"));
        assert_eq!(e.params, vec![("date", "2024-05-10".to_string())]);
    }

    #[test]
    fn a_step_is_dated_today_by_default_and_never_in_the_future() {
        let mut errors = FieldErrors::new();
        assert_eq!(step_date(&mut errors, "on", "", day(10)), Some(day(10)));
        assert_eq!(
            step_date(&mut errors, "on", "2024-05-09", day(10)),
            Some(day(9))
        );
        assert!(errors.is_empty());
        assert_eq!(step_date(&mut errors, "on", "2024-05-11", day(10)), None);
        assert_eq!(step_date(&mut errors, "on", "not a date", day(10)), None);
        assert_eq!(errors.0.len(), 2);
        assert_eq!(errors.0[0].code, "date_in_future");
    }
}
