//! Citizens' cases (来访事件 / 群众诉求): the lifecycle, satisfaction and the
//! overdue rule. Every allowed move is in the one table of [`can_move`].

use chrono::NaiveDate;

use super::choice::choice_enum;
use super::validation::FieldError;

/// Working days a department has to answer, unless the committee sets another.
pub const DEFAULT_DUE_WORKING_DAYS: u32 = 15;
/// Working days after forwarding within which a department may send a case back.
pub const DEFAULT_RETURN_WORKING_DAYS: u32 = 3;

choice_enum! {
    /// Where a case is in its lifecycle.
    pub enum CaseStatus: "case_status" {
        /// 登记
        Registered => "registered",
        /// 已转办
        Forwarded => "forwarded",
        /// 办理中
        InProgress => "in_progress",
        /// 已办结
        Resolved => "resolved",
        /// 已回访
        FollowedUp => "followed_up",
        /// 已关闭
        Closed => "closed",
    }
}

choice_enum! {
    /// A step taken on a case.
    pub enum CaseAction: "case_action" {
        /// 转办: to a department, with a due date.
        Forward => "forward",
        /// 签收: the department starts work.
        Accept => "accept",
        /// 进展: a note, status unchanged.
        Note => "note",
        /// 办结: the department's reply.
        Resolve => "resolve",
        /// 退回: not this department's matter.
        Return => "return",
        /// 回访: the visitor's satisfaction.
        FollowUp => "follow_up",
        /// 重新办理: after an unsatisfied follow-up.
        Reopen => "reopen",
        /// 关闭
        Close => "close",
        /// 督办: an overdue case pressed.
        Escalate => "escalate",
    }
}

impl CaseAction {
    /// A step that sends the case back or ends it (退回, 关闭): the pages offer
    /// it after the others and ask first.
    pub fn asks_first(self) -> bool {
        matches!(self, Self::Return | Self::Close)
    }
}

choice_enum! {
    /// The visitor's satisfaction at the follow-up.
    pub enum Satisfaction: "satisfaction" {
        /// 满意
        Satisfied => "satisfied",
        /// 基本满意
        BasicallySatisfied => "basically_satisfied",
        /// 不满意
        Unsatisfied => "unsatisfied",
    }
}

choice_enum! {
    /// How a case came in.
    pub enum CaseSource: "case_source" {
        /// 接待日来访
        Visit => "visit",
        /// 网上反映
        Online => "online",
    }
}

/// The status after `action` on a case in `from`, or the message code that
/// says why the step is not possible now.
pub fn can_move(from: CaseStatus, action: CaseAction) -> Result<CaseStatus, &'static str> {
    use CaseAction as A;
    use CaseStatus as S;
    match (from, action) {
        // Staff forward a new or returned case, or reassign before work starts.
        (S::Registered | S::Forwarded, A::Forward) => Ok(S::Forwarded),
        (S::Forwarded, A::Accept) => Ok(S::InProgress),
        (S::Forwarded, A::Return) => Ok(S::Registered),
        (S::Forwarded | S::InProgress, A::Resolve) => Ok(S::Resolved),
        (S::Resolved, A::FollowUp) => Ok(S::FollowedUp),
        // An unsatisfied visitor: the department works on it again.
        (S::Resolved | S::FollowedUp, A::Reopen) => Ok(S::InProgress),
        (S::FollowedUp, A::Close) => Ok(S::Closed),
        (S::Forwarded | S::InProgress, A::Escalate) => Ok(from),
        (S::Closed, A::Note) => Err("case_closed"),
        (_, A::Note) => Ok(from),
        (_, A::Forward) => Err("case_cannot_forward"),
        (_, A::Accept) => Err("case_cannot_accept"),
        (_, A::Return) => Err("case_cannot_return"),
        (_, A::Resolve) => Err("case_cannot_resolve"),
        (_, A::FollowUp) => Err("case_not_resolved"),
        (_, A::Reopen) => Err("case_cannot_reopen"),
        (_, A::Close) => Err("case_not_followed_up"),
        (_, A::Escalate) => Err("case_cannot_escalate"),
    }
}

/// [`can_move`] as a field error, for a form or the API.
pub fn check_move(
    field: &'static str,
    from: CaseStatus,
    action: CaseAction,
) -> Result<CaseStatus, FieldError> {
    can_move(from, action).map_err(|code| FieldError::new(field, code))
}

/// A case is overdue while a department holds it past its due date.
pub fn is_overdue(status: CaseStatus, due_on: Option<NaiveDate>, today: NaiveDate) -> bool {
    matches!(status, CaseStatus::Forwarded | CaseStatus::InProgress)
        && due_on.is_some_and(|due| today > due)
}

/// Whether a case is still waiting on someone (staff to forward it, or a
/// department to finish it): such lists show the most urgent first, the
/// others the newest first.
pub fn awaits_work(status: CaseStatus) -> bool {
    matches!(
        status,
        CaseStatus::Registered | CaseStatus::Forwarded | CaseStatus::InProgress
    )
}

/// Whether a resolved case was resolved by its due date.
pub fn resolved_on_time(resolved_on: Option<NaiveDate>, due_on: Option<NaiveDate>) -> bool {
    matches!((resolved_on, due_on), (Some(r), Some(d)) if r <= d)
}

/// A due date must not come before the forwarding date.
pub fn check_due(
    field: &'static str,
    forwarded_on: NaiveDate,
    due_on: NaiveDate,
) -> Result<(), FieldError> {
    if due_on < forwarded_on {
        Err(FieldError::new(field, "case_due_before_forward"))
    } else {
        Ok(())
    }
}

/// Parse a configured number of working days: 1 to 120.
pub fn parse_working_days(field: &'static str, input: &str) -> Result<u32, FieldError> {
    let value = input.trim();
    if value.is_empty() {
        return Err(FieldError::new(field, "required"));
    }
    value
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=120).contains(n))
        .ok_or_else(|| FieldError::new(field, "working_days_range"))
}

/// A tracking code as typed by a citizen: letters and digits, case and
/// separators ignored.
pub fn normalize_tracking_code(input: &str) -> Option<String> {
    let code: String = input
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() >= 8 && code.len() <= 32 && code.chars().all(|c| c.is_ascii_alphanumeric()))
        .then_some(code)
}

/// Show a tracking code in groups of four for reading aloud.
pub fn format_tracking_code(code: &str) -> String {
    code.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    #[test]
    fn returning_and_closing_a_case_ask_first() {
        let asking: Vec<&str> = CaseAction::ALL
            .iter()
            .filter(|a| a.asks_first())
            .map(|a| a.as_str())
            .collect();
        assert_eq!(asking, ["return", "close"]);
    }

    use super::*;
    use CaseAction as A;
    use CaseStatus as S;

    #[test]
    fn the_whole_table() {
        let allowed = [
            (S::Registered, A::Forward, S::Forwarded),
            (S::Forwarded, A::Forward, S::Forwarded),
            (S::Forwarded, A::Accept, S::InProgress),
            (S::Forwarded, A::Return, S::Registered),
            (S::Forwarded, A::Resolve, S::Resolved),
            (S::InProgress, A::Resolve, S::Resolved),
            (S::Resolved, A::FollowUp, S::FollowedUp),
            (S::Resolved, A::Reopen, S::InProgress),
            (S::FollowedUp, A::Reopen, S::InProgress),
            (S::FollowedUp, A::Close, S::Closed),
            (S::Forwarded, A::Escalate, S::Forwarded),
            (S::InProgress, A::Escalate, S::InProgress),
            (S::Registered, A::Note, S::Registered),
            (S::Forwarded, A::Note, S::Forwarded),
            (S::InProgress, A::Note, S::InProgress),
            (S::Resolved, A::Note, S::Resolved),
            (S::FollowedUp, A::Note, S::FollowedUp),
        ];
        for from in CaseStatus::ALL {
            for action in CaseAction::ALL {
                let expected = allowed
                    .iter()
                    .find(|(f, a, _)| *f == from && *a == action)
                    .map(|(_, _, to)| *to);
                match (can_move(from, action), expected) {
                    (Ok(to), Some(e)) => assert_eq!(to, e, "{from:?} {action:?}"),
                    (Err(code), None) => assert!(code.starts_with("case_"), "{code}"),
                    (got, e) => panic!("{from:?} {action:?}: got {got:?}, expected {e:?}"),
                }
            }
        }
    }

    #[test]
    fn refusals_say_why() {
        assert_eq!(
            can_move(S::InProgress, A::FollowUp),
            Err("case_not_resolved")
        );
        assert_eq!(
            can_move(S::Registered, A::FollowUp),
            Err("case_not_resolved")
        );
        assert_eq!(can_move(S::Closed, A::Note), Err("case_closed"));
        assert_eq!(can_move(S::Closed, A::Forward), Err("case_cannot_forward"));
        assert_eq!(
            can_move(S::InProgress, A::Return),
            Err("case_cannot_return")
        );
        assert_eq!(can_move(S::Resolved, A::Close), Err("case_not_followed_up"));
        assert_eq!(
            can_move(S::Resolved, A::Escalate),
            Err("case_cannot_escalate")
        );
    }

    #[test]
    fn cases_awaiting_work_are_the_open_ones() {
        let waiting: Vec<_> = S::ALL.iter().filter(|s| awaits_work(**s)).collect();
        assert_eq!(waiting, [&S::Registered, &S::Forwarded, &S::InProgress]);
    }

    #[test]
    fn overdue_and_on_time() {
        let d = |m, day| NaiveDate::from_ymd_opt(2012, m, day).unwrap();
        assert!(is_overdue(S::Forwarded, Some(d(3, 1)), d(3, 2)));
        assert!(is_overdue(S::InProgress, Some(d(3, 1)), d(3, 2)));
        assert!(!is_overdue(S::InProgress, Some(d(3, 1)), d(3, 1)));
        assert!(!is_overdue(S::Resolved, Some(d(3, 1)), d(3, 9)));
        assert!(!is_overdue(S::Forwarded, None, d(3, 9)));
        assert!(resolved_on_time(Some(d(3, 1)), Some(d(3, 1))));
        assert!(!resolved_on_time(Some(d(3, 2)), Some(d(3, 1))));
        assert!(!resolved_on_time(None, Some(d(3, 1))));
        assert!(check_due("due_on", d(3, 1), d(3, 1)).is_ok());
        assert_eq!(
            check_due("due_on", d(3, 2), d(3, 1)).unwrap_err().code,
            "case_due_before_forward"
        );
    }

    #[test]
    fn choices_and_codes() {
        assert_eq!(
            Satisfaction::parse("s", "unsatisfied").unwrap(),
            Satisfaction::Unsatisfied
        );
        assert_eq!(
            Satisfaction::BasicallySatisfied.label_key(),
            "label.satisfaction.basically_satisfied"
        );
        assert_eq!(CaseStatus::InProgress.as_str(), "in_progress");
        assert_eq!(parse_working_days("d", "15").unwrap(), 15);
        assert_eq!(
            parse_working_days("d", "0").unwrap_err().code,
            "working_days_range"
        );
        assert_eq!(
            normalize_tracking_code("abcd-efgh 2345").as_deref(),
            Some("ABCDEFGH2345")
        );
        assert_eq!(normalize_tracking_code("abc"), None);
        assert_eq!(normalize_tracking_code("abcd<efgh>"), None);
        assert_eq!(format_tracking_code("ABCDEFGH2345"), "ABCD-EFGH-2345");
    }
}
