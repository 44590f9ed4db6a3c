//! Information reports (社情民意信息 / 政协工作信息): kinds, the lifecycle
//! (submitted → edited → forwarded → adopted, with leaders' instructions), the
//! body's length rule and the quarterly plan rule. Every allowed move is in the
//! one table of [`can_move`]; what the author may do is in [`author_may`].

use chrono::{Datelike, NaiveDate};

use super::choice::choice_enum;
use super::text::required_text;
use super::validation::FieldError;

/// The longest body, in characters, unless the settings say otherwise.
pub const DEFAULT_MAX_CHARS: u32 = 1500;
/// The plan: per committee and quarter, this many social-condition infos…
pub const PLAN_SOCIAL_PER_QUARTER: i64 = 3;
/// …or this many work infos.
pub const PLAN_WORK_PER_QUARTER: i64 = 1;

choice_enum! {
    /// Which kind of information.
    pub enum InfoKind: "info_kind" {
        /// 社情民意信息
        SocialCondition => "social_condition",
        /// 政协工作信息
        Work => "work",
    }
}

choice_enum! {
    /// Where a report is in its lifecycle.
    pub enum InfoStatus: "info_status" {
        /// 已提交
        Submitted => "submitted",
        /// 已编辑
        Edited => "edited",
        /// 已上报 (to the district committee)
        Forwarded => "forwarded",
        /// 已采用 (by one level or more)
        Adopted => "adopted",
        /// 已撤回 (by its author)
        Withdrawn => "withdrawn",
    }
}

choice_enum! {
    /// A step taken on a report.
    pub enum InfoAction: "info_action" {
        /// 编辑: staff edit the text (the author revises while submitted).
        Edit => "edit",
        /// 上报: to the district committee.
        Forward => "forward",
        /// 采用: by a level, with where it was published; may be recorded again by another level.
        Adopt => "adopt",
        /// 批示: a leader's written instruction; may be recorded several times.
        Instruct => "instruct",
        /// 撤回: the author takes it back before staff work on it.
        Withdraw => "withdraw",
    }
}

impl InfoAction {
    /// 撤回 ends the report: the pages offer it last and ask first.
    pub fn asks_first(self) -> bool {
        matches!(self, Self::Withdraw)
    }
}

choice_enum! {
    /// The level that adopted a report.
    pub enum AdoptionLevel: "adoption_level" {
        /// 区
        District => "district",
        /// 市
        City => "city",
        /// 省
        Province => "province",
        /// 全国
        National => "national",
    }
}

/// The status after `action` on a report in `from`, or the message code that
/// says why the step is not possible now.
pub fn can_move(from: InfoStatus, action: InfoAction) -> Result<InfoStatus, &'static str> {
    use InfoAction as A;
    use InfoStatus as S;
    match (from, action) {
        (S::Submitted | S::Edited, A::Edit) => Ok(S::Edited),
        (S::Submitted | S::Edited, A::Forward) => Ok(S::Forwarded),
        // A second level may adopt an adopted report (first 区, then 市).
        (S::Forwarded | S::Adopted, A::Adopt) => Ok(S::Adopted),
        (S::Forwarded | S::Adopted, A::Instruct) => Ok(from),
        (S::Submitted, A::Withdraw) => Ok(S::Withdrawn),
        (S::Withdrawn, _) => Err("info_withdrawn"),
        (_, A::Edit) => Err("info_cannot_edit"),
        (_, A::Forward) => Err("info_cannot_forward"),
        (_, A::Adopt) => Err("info_not_forwarded"),
        (_, A::Instruct) => Err("info_not_forwarded"),
        (_, A::Withdraw) => Err("info_cannot_withdraw"),
    }
}

/// What the author (a member) may do to their own report: revise it or
/// withdraw it while it is still `submitted`. `None`: not an author's step.
pub fn author_may(
    from: InfoStatus,
    action: InfoAction,
) -> Option<Result<InfoStatus, &'static str>> {
    match action {
        InfoAction::Edit => Some(match from {
            InfoStatus::Submitted => Ok(InfoStatus::Submitted),
            InfoStatus::Withdrawn => Err("info_withdrawn"),
            _ => Err("info_author_edit_submitted"),
        }),
        InfoAction::Withdraw => Some(can_move(from, action)),
        _ => None,
    }
}

/// [`can_move`] as a field error, for a form or the API.
pub fn check_move(
    field: &'static str,
    from: InfoStatus,
    action: InfoAction,
) -> Result<InfoStatus, FieldError> {
    can_move(from, action).map_err(|code| FieldError::new(field, code))
}

/// [`author_may`] as a field error. `None`: not an author's step.
pub fn check_author_move(
    field: &'static str,
    from: InfoStatus,
    action: InfoAction,
) -> Option<Result<InfoStatus, FieldError>> {
    author_may(from, action).map(|r| r.map_err(|code| FieldError::new(field, code)))
}

/// A report's body: trimmed, not empty, without control characters other than
/// line breaks and tabs, and at most `max_chars` characters (not bytes: a
/// Chinese character or an emoji is one). Too long is refused, never cut.
pub fn validate_body(
    field: &'static str,
    input: &str,
    max_chars: u32,
) -> Result<String, FieldError> {
    let value = required_text(field, input, usize::MAX)?;
    let count = value.chars().count();
    if count > max_chars as usize {
        return Err(FieldError::new(field, "info_body_too_long")
            .with("max", max_chars)
            .with("count", count));
    }
    Ok(value)
}

/// The quarter (1–4) a date falls in.
pub fn quarter_of(date: NaiveDate) -> u32 {
    (date.month() - 1) / 3 + 1
}

/// The plan rule for one committee and quarter: three social-condition infos
/// or one work info provided to the district.
pub fn plan_met(social_condition: i64, work: i64) -> bool {
    social_condition >= PLAN_SOCIAL_PER_QUARTER || work >= PLAN_WORK_PER_QUARTER
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    #[test]
    fn withdrawing_a_report_asks_first() {
        let asking: Vec<InfoAction> = InfoAction::ALL
            .into_iter()
            .filter(|a| a.asks_first())
            .collect();
        assert_eq!(asking, [InfoAction::Withdraw]);
    }

    use super::*;
    use InfoAction as A;
    use InfoStatus as S;

    #[test]
    fn the_whole_table() {
        let allowed = [
            (S::Submitted, A::Edit, S::Edited),
            (S::Edited, A::Edit, S::Edited),
            (S::Submitted, A::Forward, S::Forwarded),
            (S::Edited, A::Forward, S::Forwarded),
            (S::Forwarded, A::Adopt, S::Adopted),
            (S::Adopted, A::Adopt, S::Adopted),
            (S::Forwarded, A::Instruct, S::Forwarded),
            (S::Adopted, A::Instruct, S::Adopted),
            (S::Submitted, A::Withdraw, S::Withdrawn),
        ];
        for from in InfoStatus::ALL {
            for action in InfoAction::ALL {
                let expected = allowed
                    .iter()
                    .find(|(f, a, _)| *f == from && *a == action)
                    .map(|(_, _, to)| *to);
                match (can_move(from, action), expected) {
                    (Ok(to), Some(e)) => assert_eq!(to, e, "{from:?} {action:?}"),
                    (Err(code), None) => assert!(code.starts_with("info_"), "{code}"),
                    (got, e) => panic!("{from:?} {action:?}: got {got:?}, expected {e:?}"),
                }
            }
        }
    }

    #[test]
    fn refusals_say_why() {
        assert_eq!(can_move(S::Submitted, A::Adopt), Err("info_not_forwarded"));
        assert_eq!(can_move(S::Edited, A::Instruct), Err("info_not_forwarded"));
        assert_eq!(can_move(S::Forwarded, A::Edit), Err("info_cannot_edit"));
        assert_eq!(can_move(S::Adopted, A::Forward), Err("info_cannot_forward"));
        assert_eq!(
            can_move(S::Edited, A::Withdraw),
            Err("info_cannot_withdraw")
        );
        assert_eq!(can_move(S::Withdrawn, A::Forward), Err("info_withdrawn"));
        assert_eq!(can_move(S::Withdrawn, A::Withdraw), Err("info_withdrawn"));
        assert_eq!(
            check_move("action", S::Submitted, A::Adopt).unwrap_err(),
            FieldError::new("action", "info_not_forwarded")
        );
    }

    #[test]
    fn the_author_revises_or_withdraws_only_while_submitted() {
        assert_eq!(author_may(S::Submitted, A::Edit), Some(Ok(S::Submitted)));
        assert_eq!(
            author_may(S::Edited, A::Edit),
            Some(Err("info_author_edit_submitted"))
        );
        assert_eq!(
            author_may(S::Forwarded, A::Edit),
            Some(Err("info_author_edit_submitted"))
        );
        assert_eq!(
            author_may(S::Withdrawn, A::Edit),
            Some(Err("info_withdrawn"))
        );
        assert_eq!(
            author_may(S::Submitted, A::Withdraw),
            Some(Ok(S::Withdrawn))
        );
        assert_eq!(
            author_may(S::Edited, A::Withdraw),
            Some(Err("info_cannot_withdraw"))
        );
        for action in [A::Forward, A::Adopt, A::Instruct] {
            for from in InfoStatus::ALL {
                assert_eq!(author_may(from, action), None, "{from:?} {action:?}");
            }
        }
    }

    #[test]
    fn body_length_counts_characters_and_refuses_without_cutting() {
        let ok = "情".repeat(1500);
        assert_eq!(validate_body("body", &ok, 1500).unwrap(), ok);
        let e = validate_body("body", &"情".repeat(1501), 1500).unwrap_err();
        assert_eq!(e.field, "body");
        assert_eq!(e.code, "info_body_too_long");
        assert_eq!(
            e.params,
            vec![("max", "1500".to_string()), ("count", "1501".to_string())]
        );
        // An emoji (4 bytes) and a CJK character (3 bytes) are one character each.
        let mixed = format!("{}😀", "民".repeat(1499));
        assert_eq!(mixed.len(), 1499 * 3 + 4);
        assert!(validate_body("body", &mixed, 1500).is_ok());
        let over = format!("{mixed}😀");
        assert_eq!(
            validate_body("body", &over, 1500).unwrap_err().params[1],
            ("count", "1501".to_string())
        );
        // Surrounding blanks do not count; an empty body is refused.
        assert!(validate_body("body", &format!("  {ok}\n"), 1500).is_ok());
        assert_eq!(
            validate_body("body", " \n ", 1500).unwrap_err().code,
            "required"
        );
        assert_eq!(
            validate_body("body", "a\u{0}b", 1500).unwrap_err().code,
            "control_chars"
        );
        // A configured limit.
        assert!(validate_body("body", "一二三", 3).is_ok());
        assert_eq!(
            validate_body("body", "一二三四", 3).unwrap_err().code,
            "info_body_too_long"
        );
    }

    #[test]
    fn quarters_and_the_plan_rule() {
        let d = |m, day| NaiveDate::from_ymd_opt(2011, m, day).unwrap();
        assert_eq!(quarter_of(d(1, 1)), 1);
        assert_eq!(quarter_of(d(3, 31)), 1);
        assert_eq!(quarter_of(d(4, 1)), 2);
        assert_eq!(quarter_of(d(9, 30)), 3);
        assert_eq!(quarter_of(d(12, 31)), 4);
        assert!(plan_met(3, 0));
        assert!(plan_met(0, 1));
        assert!(plan_met(2, 1));
        assert!(!plan_met(2, 0));
        assert!(!plan_met(0, 0));
    }

    #[test]
    fn choices_and_labels() {
        assert_eq!(
            InfoKind::parse("kind", "social_condition").unwrap(),
            InfoKind::SocialCondition
        );
        assert_eq!(
            InfoKind::parse("kind", "rumour").unwrap_err().code,
            "invalid_choice"
        );
        assert_eq!(AdoptionLevel::City.label_key(), "label.adoption_level.city");
        assert_eq!(
            InfoStatus::Forwarded.label_key(),
            "label.info_status.forwarded"
        );
        assert_eq!(InfoAction::Instruct.as_str(), "instruct");
    }
}
