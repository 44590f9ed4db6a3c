//! Proposals (提案): the lifecycle, sessions and numbering, answer deadlines,
//! ratings and the overdue rule. Every allowed move is in [`can_move`].

use chrono::{Datelike, Months, NaiveDate};

use super::cases::Satisfaction;
use super::choice::choice_enum;
use super::validation::FieldError;

/// Months a department has to answer, unless the committee sets another.
pub const DEFAULT_ANSWER_MONTHS: u32 = 3;
/// The longest answer deadline the rules allow.
pub const MAX_ANSWER_MONTHS: u32 = 6;
/// Months for a second answer after an unsatisfied rating.
pub const DEFAULT_SECOND_ANSWER_MONTHS: u32 = 1;
/// Working days after assignment within which a department may send a proposal back.
pub const DEFAULT_RETURN_WORKING_DAYS: u32 = 5;
/// The default cut-off: the session is the calendar year.
pub const DEFAULT_CUTOFF: (u32, u32) = (12, 31);
/// The longest title and body.
pub const TITLE_MAX_CHARS: usize = 100;
pub const BODY_MAX_CHARS: usize = 20_000;

choice_enum! {
    /// Where a proposal is in its lifecycle.
    pub enum ProposalStatus: "proposal_status" {
        /// 草稿
        Draft => "draft",
        /// 已提交
        Submitted => "submitted",
        /// 立案
        Accepted => "accepted",
        /// 不予立案 (kept as an opinion, 意见建议)
        NotAccepted => "not_accepted",
        /// 并案: answered with the proposal it was merged into.
        Merged => "merged",
        /// 已交办
        Assigned => "assigned",
        /// 已答复
        Answered => "answered",
        /// 办结
        Closed => "closed",
        /// 已撤回
        Withdrawn => "withdrawn",
    }
}

choice_enum! {
    /// A step taken on a proposal.
    pub enum ProposalAction: "proposal_action" {
        /// 提交
        Submit => "submit",
        /// 撤回 (by the lead author, before review)
        Withdraw => "withdraw",
        /// 立案: numbered within the session.
        Accept => "accept",
        /// 不予立案, with a reason.
        NotAccept => "not_accept",
        /// 并案 into another proposal.
        Merge => "merge",
        /// 交办: lead and co-handling departments, with the answer due.
        Assign => "assign",
        /// 退回: a department returns a wrongly assigned proposal.
        Return => "return",
        /// 会办意见: a co-handler's view for the lead department.
        View => "view",
        /// 答复: the lead department's answer with its class.
        Answer => "answer",
        /// 委员评价: an author's rating of the answer.
        Rate => "rate",
        /// 办结 by staff, e.g. when authors do not rate.
        Close => "close",
        /// 重点提案 marked or unmarked.
        MarkKey => "mark_key",
        /// 督办
        Supervise => "supervise",
        /// 转为社情民意信息: a not-accepted proposal becomes an information report.
        ToInfo => "to_info",
    }
}

impl ProposalAction {
    /// A step that ends or undoes work and cannot be taken back (撤回, 不予立案,
    /// 并案, 退回, 办结): the pages offer it after the others and ask first.
    pub fn asks_first(self) -> bool {
        matches!(
            self,
            Self::Withdraw | Self::NotAccept | Self::Merge | Self::Return | Self::Close
        )
    }
}

choice_enum! {
    /// Who submits a proposal.
    pub enum SubmitterKind: "proposal_submitter" {
        /// 委员个人 (with co-signers, 联名)
        Member => "member",
        /// 委员小组
        Group => "group",
        /// 工委 / 委员会
        Committee => "committee",
    }
}

choice_enum! {
    /// The subject a proposal is filed under.
    pub enum Category: "proposal_category" {
        /// 经济发展
        Economy => "economy",
        /// 城市建设与管理
        Urban => "urban",
        /// 教育
        Education => "education",
        /// 医疗卫生
        Health => "health",
        /// 社会保障与民生
        Welfare => "welfare",
        /// 文化体育
        Culture => "culture",
        /// 生态环境
        Environment => "environment",
        /// 交通
        Traffic => "traffic",
        /// 社会治理
        Governance => "governance",
        /// 其他
        Other => "other",
    }
}

choice_enum! {
    /// The class of an answer.
    pub enum AnswerClass: "answer_class" {
        /// A: 已解决或采纳
        A => "a",
        /// B: 列入计划逐步解决
        B => "b",
        /// C: 留作参考
        C => "c",
    }
}

choice_enum! {
    /// A co-signer's reply to the lead's invitation.
    pub enum CosignStatus: "cosign_status" {
        /// 待确认
        Invited => "invited",
        /// 同意附议
        Accepted => "accepted",
        /// 谢绝
        Declined => "declined",
    }
}

choice_enum! {
    /// A department's part in handling a proposal.
    pub enum HandlerRole: "handler_role" {
        /// 主办
        Lead => "lead",
        /// 会办
        Co => "co",
    }
}

/// A stored role, as a row reads it.
impl TryFrom<String> for HandlerRole {
    type Error = String;

    fn try_from(stored: String) -> Result<Self, Self::Error> {
        HandlerRole::parse("role", &stored).map_err(|_| format!("unknown handler role {stored:?}"))
    }
}

/// The status after `action` on a proposal in `from`, or the message code
/// that says why the step is not possible now.
pub fn can_move(
    from: ProposalStatus,
    action: ProposalAction,
) -> Result<ProposalStatus, &'static str> {
    use ProposalAction as A;
    use ProposalStatus as S;
    match (from, action) {
        (S::Draft, A::Submit) => Ok(S::Submitted),
        (S::Draft | S::Submitted, A::Withdraw) => Ok(S::Withdrawn),
        (S::Submitted, A::Accept) => Ok(S::Accepted),
        (S::Submitted, A::NotAccept) => Ok(S::NotAccepted),
        (S::Submitted | S::Accepted, A::Merge) => Ok(S::Merged),
        // A returned proposal is accepted again and waits for a new assignment.
        (S::Accepted, A::Assign) => Ok(S::Assigned),
        (S::Assigned, A::Return) => Ok(S::Accepted),
        (S::Assigned, A::View) => Ok(S::Assigned),
        (S::Assigned, A::Answer) => Ok(S::Answered),
        // Ratings close it, or send it back for a second answer: see `after_ratings`.
        (S::Answered, A::Rate) => Ok(S::Answered),
        (S::Answered, A::Close) => Ok(S::Closed),
        (S::Accepted | S::Assigned | S::Answered, A::MarkKey) => Ok(from),
        (S::Assigned, A::Supervise) => Ok(from),
        (S::NotAccepted, A::ToInfo) => Ok(from),
        (_, A::Submit) => Err("proposal_not_draft"),
        (_, A::Withdraw) => Err("proposal_cannot_withdraw"),
        (S::Accepted | S::Assigned | S::Answered | S::Closed, A::Accept) => {
            Err("proposal_already_accepted")
        }
        (_, A::Accept | A::NotAccept) => Err("proposal_not_submitted"),
        (S::Merged, A::Merge) => Err("proposal_already_merged"),
        (_, A::Merge) => Err("proposal_cannot_merge"),
        (_, A::Assign) => Err("proposal_cannot_assign"),
        (_, A::Return) => Err("proposal_cannot_return"),
        (_, A::View | A::Answer) => Err("proposal_not_assigned"),
        (_, A::Rate) => Err("proposal_not_answered"),
        (_, A::Close) => Err("proposal_cannot_close"),
        (_, A::MarkKey) => Err("proposal_cannot_mark_key"),
        (_, A::Supervise) => Err("proposal_cannot_supervise"),
        (_, A::ToInfo) => Err("proposal_cannot_to_info"),
    }
}

/// [`can_move`] as a field error, for a form or the API.
pub fn check_move(
    field: &'static str,
    from: ProposalStatus,
    action: ProposalAction,
) -> Result<ProposalStatus, FieldError> {
    can_move(from, action).map_err(|code| FieldError::new(field, code))
}

/// The statuses counted as received (submitted and anything after it).
pub fn is_received(status: ProposalStatus) -> bool {
    !matches!(status, ProposalStatus::Draft | ProposalStatus::Withdrawn)
}

/// Accepted and numbered (立案) at some point, whatever happened after.
pub fn is_numbered(status: ProposalStatus) -> bool {
    matches!(
        status,
        ProposalStatus::Accepted
            | ProposalStatus::Assigned
            | ProposalStatus::Answered
            | ProposalStatus::Closed
    )
}

/// Whether members of the committee (not only the authors) may read it:
/// accepted proposals are a public record; drafts and rejected ones are not.
pub fn is_public(status: ProposalStatus) -> bool {
    is_numbered(status)
}

/// The session (year) a proposal submitted on `on` belongs to: the year,
/// or the next one after the committee's cut-off day.
pub fn session_for(on: NaiveDate, cutoff: (u32, u32)) -> i32 {
    let (month, day) = cutoff;
    if (on.month(), on.day()) > (month, day) {
        on.year() + 1
    } else {
        on.year()
    }
}

/// Validate a cut-off given as `MM-DD` (29 February is refused: it is not in every year).
pub fn parse_cutoff(field: &'static str, input: &str) -> Result<(u32, u32), FieldError> {
    let value = input.trim();
    if value.is_empty() {
        return Err(FieldError::new(field, "required"));
    }
    let parsed = value.split_once('-').and_then(|(m, d)| {
        let (m, d) = (m.parse::<u32>().ok()?, d.parse::<u32>().ok()?);
        NaiveDate::from_ymd_opt(2001, m, d).map(|_| (m, d))
    });
    parsed.ok_or_else(|| FieldError::new(field, "proposal_cutoff_invalid"))
}

/// Parse a number of months for a deadline: 1 to [`MAX_ANSWER_MONTHS`].
pub fn parse_months(field: &'static str, input: &str) -> Result<u32, FieldError> {
    let value = input.trim();
    if value.is_empty() {
        return Err(FieldError::new(field, "required"));
    }
    value
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_ANSWER_MONTHS).contains(n))
        .ok_or_else(|| {
            FieldError::new(field, "proposal_months_range").with("max", MAX_ANSWER_MONTHS)
        })
}

/// `months` after `from` (the last day of a shorter month when needed).
pub fn add_months(from: NaiveDate, months: u32) -> NaiveDate {
    from.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// An answer due date: after the assignment and at most six months later.
pub fn check_due(
    field: &'static str,
    assigned_on: NaiveDate,
    due_on: NaiveDate,
) -> Result<(), FieldError> {
    if due_on <= assigned_on {
        Err(FieldError::new(field, "proposal_due_before_assign"))
    } else if due_on > add_months(assigned_on, MAX_ANSWER_MONTHS) {
        Err(FieldError::new(field, "proposal_due_too_late").with("months", MAX_ANSWER_MONTHS))
    } else {
        Ok(())
    }
}

/// An assigned proposal is overdue once its answer is past due.
pub fn is_overdue(status: ProposalStatus, due_on: Option<NaiveDate>, today: NaiveDate) -> bool {
    status == ProposalStatus::Assigned && due_on.is_some_and(|due| today > due)
}

/// Whether an answer came by its due date.
pub fn answered_on_time(answered_on: Option<NaiveDate>, due_on: Option<NaiveDate>) -> bool {
    matches!((answered_on, due_on), (Some(a), Some(d)) if a <= d)
}

/// What the authors' ratings of a round lead to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RatingOutcome {
    /// Some authors have not rated yet.
    Waiting,
    /// Everyone rated: 办结.
    Close,
    /// Someone is unsatisfied with the first answer: a second answer is due.
    SecondAnswer,
}

/// The outcome once `ratings` of `authors` authors are in for answer `round`.
/// Only the first answer can be sent back; the second closes the proposal.
pub fn after_ratings(ratings: &[Satisfaction], authors: usize, round: i64) -> RatingOutcome {
    if ratings.len() < authors.max(1) {
        RatingOutcome::Waiting
    } else if round <= 1 && ratings.contains(&Satisfaction::Unsatisfied) {
        RatingOutcome::SecondAnswer
    } else {
        RatingOutcome::Close
    }
}

/// The merge target must be another proposal, not merged itself, of the
/// same committee and session, and accepted (or further on).
pub fn check_merge_target(
    field: &'static str,
    source_id: i64,
    target_id: i64,
    target_status: ProposalStatus,
    same_session: bool,
) -> Result<(), FieldError> {
    if source_id == target_id {
        return Err(FieldError::new(field, "proposal_merge_self"));
    }
    match target_status {
        ProposalStatus::Merged => Err(FieldError::new(field, "proposal_merge_into_merged")),
        s if !is_numbered(s) || s == ProposalStatus::Closed => {
            Err(FieldError::new(field, "proposal_merge_target_state"))
        }
        _ if !same_session => Err(FieldError::new(field, "proposal_merge_other_session")),
        _ => Ok(()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    #[test]
    fn only_steps_that_end_or_undo_work_ask_first() {
        let asking: Vec<&str> = ProposalAction::ALL
            .iter()
            .filter(|a| a.asks_first())
            .map(|a| a.as_str())
            .collect();
        assert_eq!(
            asking,
            ["withdraw", "not_accept", "merge", "return", "close"]
        );
        assert!(!ProposalAction::Accept.asks_first() && !ProposalAction::Answer.asks_first());
    }

    use super::*;
    use ProposalAction as A;
    use ProposalStatus as S;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_main_path_moves_from_draft_to_closed() {
        let mut s = S::Draft;
        for (action, expected) in [
            (A::Submit, S::Submitted),
            (A::Accept, S::Accepted),
            (A::Assign, S::Assigned),
            (A::View, S::Assigned),
            (A::Answer, S::Answered),
            (A::Rate, S::Answered),
            (A::Close, S::Closed),
        ] {
            s = can_move(s, action).unwrap();
            assert_eq!(s, expected, "{action:?}");
        }
    }

    #[test]
    fn a_second_accept_is_refused_with_its_own_message() {
        for s in [S::Accepted, S::Assigned, S::Answered, S::Closed] {
            assert_eq!(can_move(s, A::Accept), Err("proposal_already_accepted"));
        }
        assert_eq!(can_move(S::Draft, A::Accept), Err("proposal_not_submitted"));
        assert_eq!(
            can_move(S::NotAccepted, A::Accept),
            Err("proposal_not_submitted")
        );
    }

    #[test]
    fn review_outcomes_leave_submitted() {
        assert_eq!(can_move(S::Submitted, A::NotAccept), Ok(S::NotAccepted));
        assert_eq!(can_move(S::Submitted, A::Merge), Ok(S::Merged));
        assert_eq!(can_move(S::Accepted, A::Merge), Ok(S::Merged));
        assert_eq!(
            can_move(S::Merged, A::Merge),
            Err("proposal_already_merged")
        );
        assert_eq!(
            can_move(S::Assigned, A::Merge),
            Err("proposal_cannot_merge")
        );
    }

    #[test]
    fn a_returned_proposal_waits_for_a_new_assignment() {
        assert_eq!(can_move(S::Assigned, A::Return), Ok(S::Accepted));
        assert_eq!(
            can_move(S::Answered, A::Return),
            Err("proposal_cannot_return")
        );
        assert_eq!(can_move(S::Accepted, A::Assign), Ok(S::Assigned));
    }

    #[test]
    fn only_not_accepted_proposals_become_information() {
        assert_eq!(can_move(S::NotAccepted, A::ToInfo), Ok(S::NotAccepted));
        for s in S::ALL.into_iter().filter(|s| *s != S::NotAccepted) {
            assert!(can_move(s, A::ToInfo).is_err(), "{s:?}");
        }
    }

    #[test]
    fn every_refusal_names_a_message() {
        for s in S::ALL {
            for a in A::ALL {
                if let Err(code) = can_move(s, a) {
                    assert!(code.starts_with("proposal_"), "{s:?} {a:?} {code}");
                }
            }
        }
    }

    #[test]
    fn withdrawal_only_before_review() {
        assert_eq!(can_move(S::Draft, A::Withdraw), Ok(S::Withdrawn));
        assert_eq!(can_move(S::Submitted, A::Withdraw), Ok(S::Withdrawn));
        assert!(can_move(S::Accepted, A::Withdraw).is_err());
    }

    #[test]
    fn the_session_moves_after_the_cut_off() {
        assert_eq!(session_for(d(2011, 12, 31), DEFAULT_CUTOFF), 2011);
        assert_eq!(session_for(d(2012, 1, 1), DEFAULT_CUTOFF), 2012);
        assert_eq!(session_for(d(2011, 11, 30), (11, 30)), 2011);
        assert_eq!(session_for(d(2011, 12, 1), (11, 30)), 2012);
    }

    #[test]
    fn cut_offs_are_real_days() {
        assert_eq!(parse_cutoff("c", "11-30"), Ok((11, 30)));
        assert_eq!(parse_cutoff("c", " 1-5 "), Ok((1, 5)));
        for bad in ["2-30", "13-01", "02-29", "x", "11/30"] {
            assert_eq!(
                parse_cutoff("c", bad).unwrap_err().code,
                "proposal_cutoff_invalid"
            );
        }
        assert_eq!(parse_cutoff("c", "").unwrap_err().code, "required");
    }

    #[test]
    fn deadlines_stay_within_six_months() {
        assert_eq!(parse_months("m", "3"), Ok(3));
        assert!(parse_months("m", "7").is_err());
        assert!(parse_months("m", "0").is_err());
        let assigned = d(2012, 3, 31);
        assert_eq!(add_months(assigned, 3), d(2012, 6, 30));
        assert!(check_due("due", assigned, d(2012, 9, 30)).is_ok());
        assert_eq!(
            check_due("due", assigned, d(2012, 10, 1)).unwrap_err().code,
            "proposal_due_too_late"
        );
        assert_eq!(
            check_due("due", assigned, assigned).unwrap_err().code,
            "proposal_due_before_assign"
        );
    }

    #[test]
    fn overdue_only_while_a_department_holds_it() {
        let due = Some(d(2012, 6, 30));
        assert!(!is_overdue(S::Assigned, due, d(2012, 6, 30)));
        assert!(is_overdue(S::Assigned, due, d(2012, 7, 1)));
        assert!(!is_overdue(S::Answered, due, d(2012, 7, 1)));
        assert!(answered_on_time(Some(d(2012, 6, 30)), due));
        assert!(!answered_on_time(Some(d(2012, 7, 1)), due));
        assert!(!answered_on_time(None, due));
    }

    #[test]
    fn ratings_close_or_ask_for_a_second_answer() {
        use Satisfaction::*;
        assert_eq!(after_ratings(&[Satisfied], 2, 1), RatingOutcome::Waiting);
        assert_eq!(
            after_ratings(&[Satisfied, BasicallySatisfied], 2, 1),
            RatingOutcome::Close
        );
        assert_eq!(
            after_ratings(&[Satisfied, Unsatisfied], 2, 1),
            RatingOutcome::SecondAnswer
        );
        // The second answer closes whatever the rating.
        assert_eq!(after_ratings(&[Unsatisfied], 1, 2), RatingOutcome::Close);
        // A group or committee proposal has no member author: one rating recorded by staff.
        assert_eq!(after_ratings(&[], 0, 1), RatingOutcome::Waiting);
        assert_eq!(after_ratings(&[Satisfied], 0, 1), RatingOutcome::Close);
    }

    #[test]
    fn merge_targets_are_checked() {
        assert_eq!(
            check_merge_target("t", 5, 5, S::Accepted, true)
                .unwrap_err()
                .code,
            "proposal_merge_self"
        );
        assert_eq!(
            check_merge_target("t", 5, 6, S::Merged, true)
                .unwrap_err()
                .code,
            "proposal_merge_into_merged"
        );
        assert_eq!(
            check_merge_target("t", 5, 6, S::Submitted, true)
                .unwrap_err()
                .code,
            "proposal_merge_target_state"
        );
        assert_eq!(
            check_merge_target("t", 5, 6, S::Accepted, false)
                .unwrap_err()
                .code,
            "proposal_merge_other_session"
        );
        assert!(check_merge_target("t", 5, 6, S::Assigned, true).is_ok());
    }
}
