//! Awards (奖项): the lifecycle candidate → awarded, either of which may be
//! withdrawn with a reason, and the level that gave an award. Every allowed
//! move is in the one table of [`can_move`]; only an awarded award counts
//! ([`counts`]) toward the 'five-ones' and duty points.

use super::choice::choice_enum;
use super::validation::FieldError;

pub use super::activities::AwardStatus;

/// The statuses an award may be entered with: a candidacy or an award given.
/// A withdrawal is a step with its reason, never a starting point.
pub const ENTERED_AS: [AwardStatus; 2] = [AwardStatus::Candidate, AwardStatus::Awarded];

choice_enum! {
    /// A step taken on an award.
    pub enum AwardAction: "award_action" {
        /// 授予: the candidate is awarded.
        Award => "award",
        /// 撤销, with a reason.
        Withdraw => "withdraw",
    }
}

impl AwardAction {
    /// 撤销 cannot be taken back: the pages offer it last and ask first.
    pub fn asks_first(self) -> bool {
        matches!(self, Self::Withdraw)
    }
}

choice_enum! {
    /// Who gave an award.
    pub enum AwardLevel: "award_level" {
        /// 工委 / 本级委员会
        Committee => "committee",
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

/// The status after `action` on an award in `from`, or the message code that
/// says why the step is not possible now.
pub fn can_move(from: AwardStatus, action: AwardAction) -> Result<AwardStatus, &'static str> {
    use AwardAction as A;
    use AwardStatus as S;
    match (from, action) {
        (S::Candidate, A::Award) => Ok(S::Awarded),
        (S::Candidate | S::Awarded, A::Withdraw) => Ok(S::Withdrawn),
        (S::Withdrawn, _) => Err("award_withdrawn"),
        (S::Awarded, A::Award) => Err("award_already_awarded"),
    }
}

/// [`can_move`] as a field error, for a form or the API; a withdrawal needs
/// its reason.
pub fn check_move(
    field: &'static str,
    from: AwardStatus,
    action: AwardAction,
    reason: Option<&str>,
) -> Result<AwardStatus, FieldError> {
    let to = can_move(from, action).map_err(|code| FieldError::new(field, code))?;
    if action == AwardAction::Withdraw && reason.is_none_or(|r| r.trim().is_empty()) {
        return Err(FieldError::new("reason", "reason_required"));
    }
    Ok(to)
}

/// The status a new award is entered with: not withdrawn.
pub fn check_entered_as(field: &'static str, status: AwardStatus) -> Result<(), FieldError> {
    if ENTERED_AS.contains(&status) {
        Ok(())
    } else {
        Err(FieldError::new(field, "award_entered_withdrawn"))
    }
}

/// Only an award given, and not withdrawn, counts.
pub fn counts(status: AwardStatus) -> bool {
    status == AwardStatus::Awarded
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use AwardAction as A;
    use AwardStatus as S;

    #[test]
    fn the_whole_table() {
        let allowed = [
            (S::Candidate, A::Award, S::Awarded),
            (S::Candidate, A::Withdraw, S::Withdrawn),
            (S::Awarded, A::Withdraw, S::Withdrawn),
        ];
        for from in AwardStatus::ALL {
            for action in AwardAction::ALL {
                let expected = allowed
                    .iter()
                    .find(|(f, a, _)| *f == from && *a == action)
                    .map(|(_, _, to)| *to);
                match (can_move(from, action), expected) {
                    (Ok(to), Some(e)) => assert_eq!(to, e, "{from:?} {action:?}"),
                    (Err(code), None) => assert!(code.starts_with("award_"), "{code}"),
                    (got, e) => panic!("{from:?} {action:?}: got {got:?}, expected {e:?}"),
                }
            }
        }
    }

    #[test]
    fn refusals_say_why_and_a_withdrawal_needs_its_reason() {
        assert_eq!(can_move(S::Awarded, A::Award), Err("award_already_awarded"));
        assert_eq!(can_move(S::Withdrawn, A::Award), Err("award_withdrawn"));
        assert_eq!(can_move(S::Withdrawn, A::Withdraw), Err("award_withdrawn"));
        assert_eq!(
            check_move("action", S::Awarded, A::Withdraw, Some("材料不实")).unwrap(),
            S::Withdrawn
        );
        for reason in [None, Some(""), Some("  \n")] {
            let e = check_move("action", S::Awarded, A::Withdraw, reason).unwrap_err();
            assert_eq!((e.field, e.code), ("reason", "reason_required"));
        }
        let e = check_move("action", S::Withdrawn, A::Award, None).unwrap_err();
        assert_eq!((e.field, e.code), ("action", "award_withdrawn"));
        // Awarding needs no reason.
        assert_eq!(
            check_move("action", S::Candidate, A::Award, None).unwrap(),
            S::Awarded
        );
        let asking: Vec<AwardAction> = AwardAction::ALL
            .into_iter()
            .filter(|a| a.asks_first())
            .collect();
        assert_eq!(asking, [A::Withdraw]);
    }

    #[test]
    fn only_an_award_given_counts() {
        let counting: Vec<AwardStatus> = S::ALL.into_iter().filter(|s| counts(*s)).collect();
        assert_eq!(counting, [S::Awarded]);
        assert!(check_entered_as("status", S::Candidate).is_ok());
        assert!(check_entered_as("status", S::Awarded).is_ok());
        let e = check_entered_as("status", S::Withdrawn).unwrap_err();
        assert_eq!((e.field, e.code), ("status", "award_entered_withdrawn"));
    }

    #[test]
    fn levels_and_labels() {
        let ids: Vec<&str> = AwardLevel::ALL.iter().map(|l| l.as_str()).collect();
        assert_eq!(
            ids,
            ["committee", "district", "city", "province", "national"]
        );
        assert_eq!(
            AwardLevel::parse("level", "city").unwrap(),
            AwardLevel::City
        );
        assert_eq!(S::Withdrawn.label_key(), "label.award_status.withdrawn");
        assert_eq!(A::Withdraw.label_key(), "label.award_action.withdraw");
    }
}
