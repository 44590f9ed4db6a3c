//! Activities (活动): their kinds, invitations and attendance, the approval of
//! activities members log themselves, awards and the 'five-ones' checklist.

use chrono::{Datelike, Duration, NaiveDate};

use super::choice::choice_enum;
use super::validation::FieldError;

choice_enum! {
    /// What kind of activity, as the work plan names them.
    pub enum ActivityKind: "activity_kind" {
        /// 区政协会议
        DistrictMeeting => "district_meeting",
        /// 集中学习
        Study => "study",
        /// 调研
        Research => "research",
        /// 考察
        Inspection => "inspection",
        /// 委员接待日
        Reception => "reception",
        /// 联谊活动
        Liaison => "liaison",
        /// 慈善、"五个一"走访
        Charity => "charity",
        /// 创文 (civilised-city campaign)
        Campaign => "campaign",
        /// 党工委听取政协工作汇报
        PartyHearing => "party_hearing",
    }
}

impl ActivityKind {
    /// Research and inspection trips carry a report (调研报告).
    pub fn has_report(&self) -> bool {
        matches!(self, Self::Research | Self::Inspection)
    }

    /// Kinds a member may log as their own: meetings and hearings are the
    /// committee's, not an individual's.
    pub fn member_may_log(&self) -> bool {
        !matches!(self, Self::DistrictMeeting | Self::PartyHearing)
    }
}

choice_enum! {
    /// Attendance as staff confirm it.
    pub enum Attendance: "attendance" {
        /// 出席
        Present => "present",
        /// 请假
        Excused => "excused",
        /// 缺席
        Absent => "absent",
    }
}

impl Attendance {
    /// An excuse needs its reason.
    pub fn needs_reason(&self) -> bool {
        matches!(self, Self::Excused)
    }
}

choice_enum! {
    /// An invited member's own answer.
    pub enum Reply: "reply" {
        /// 待回复
        Pending => "pending",
        /// 确认参加
        Confirmed => "confirmed",
        /// 请假
        Excused => "excused",
    }
}

choice_enum! {
    /// Whether an activity counts: staff's are approved at once, a member's
    /// own log waits for staff.
    pub enum Approval: "approval" {
        /// 待审核
        Pending => "pending",
        /// 已通过
        Approved => "approved",
        /// 未通过
        Rejected => "rejected",
    }
}

choice_enum! {
    /// What staff decide about a member's log.
    pub enum Decision: "decision" {
        Approve => "approve",
        Reject => "reject",
    }
}

impl Approval {
    /// The one place that says which moves are allowed: only a pending log
    /// is decided, once; a rejection needs its reason.
    pub fn decide(self, decision: Decision, reason: Option<&str>) -> Result<Approval, FieldError> {
        if self != Approval::Pending {
            return Err(FieldError::new("decision", "already_decided"));
        }
        match decision {
            Decision::Approve => Ok(Approval::Approved),
            Decision::Reject if reason.is_some_and(|r| !r.trim().is_empty()) => {
                Ok(Approval::Rejected)
            }
            Decision::Reject => Err(FieldError::new("reason", "reason_required")),
        }
    }

    /// Only approved activities count on a duty file.
    pub fn counts(&self) -> bool {
        matches!(self, Approval::Approved)
    }
}

choice_enum! {
    /// The 'five-ones' (五个一) a member does each year.
    pub enum FiveOnesItem: "five_ones" {
        /// 献一条良策
        Suggestion => "suggestion",
        /// 办一件实事
        Deed => "deed",
        /// 帮助解决一个技术难题
        Technical => "technical",
        /// 提供一条重要信息
        Information => "information",
        /// 帮扶一户贫困户
        PovertyAid => "poverty_aid",
    }
}

impl FiveOnesItem {
    /// Which kinds of activity may count toward this item.
    pub fn allowed_for(&self, kind: ActivityKind) -> bool {
        use ActivityKind as K;
        match self {
            Self::Suggestion => matches!(
                kind,
                K::Research | K::Inspection | K::DistrictMeeting | K::PartyHearing
            ),
            Self::Deed => matches!(kind, K::Charity | K::Campaign | K::Reception),
            Self::Technical => matches!(kind, K::Research | K::Inspection | K::Charity),
            Self::Information => {
                matches!(
                    kind,
                    K::Research | K::Inspection | K::Reception | K::Liaison
                )
            }
            Self::PovertyAid => matches!(kind, K::Charity),
        }
    }

    /// The rule: an activity ticks its item for a member when it counts
    /// (approved) and the member was there.
    pub fn ticked_by_activity(
        &self,
        tagged: Option<FiveOnesItem>,
        approval: Approval,
        attendance: Option<Attendance>,
    ) -> bool {
        tagged == Some(*self) && approval.counts() && attendance == Some(Attendance::Present)
    }

    /// An award given (not a mere candidacy) for new suggestions ticks the suggestion.
    pub fn ticked_by_award(&self, category: AwardCategory, status: AwardStatus) -> bool {
        *self == Self::Suggestion
            && category == AwardCategory::NewSuggestion
            && status == AwardStatus::Awarded
    }
}

/// Check that an activity of `kind` may count toward `item`.
pub fn check_five_ones(kind: ActivityKind, item: FiveOnesItem) -> Result<(), FieldError> {
    if item.allowed_for(kind) {
        Ok(())
    } else {
        Err(FieldError::new("five_ones", "five_ones_kind"))
    }
}

choice_enum! {
    /// Award categories: the three-new awards (三新奖) and others.
    pub enum AwardCategory: "award_category" {
        /// 建言献策新成果奖
        NewSuggestion => "new_suggestion",
        /// 招商引资新项目奖
        NewInvestment => "new_investment",
        /// 建功立业新贡献奖
        NewContribution => "new_contribution",
        /// 其他
        Other => "other",
    }
}

impl AwardCategory {
    pub fn is_three_new(&self) -> bool {
        !matches!(self, Self::Other)
    }
}

choice_enum! {
    /// Where an award is: its moves are in `domain::awards::can_move`.
    pub enum AwardStatus: "award_status" {
        /// 候选
        Candidate => "candidate",
        /// 已获奖
        Awarded => "awarded",
        /// 已撤销 (with a reason)
        Withdrawn => "withdrawn",
    }
}

/// An award's year: 2000 to 2100.
pub fn parse_year(field: &'static str, input: &str) -> Result<i32, FieldError> {
    let value = input.trim();
    if value.is_empty() {
        return Err(FieldError::new(field, "required"));
    }
    value
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y) && value.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| {
            FieldError::new(field, "year_range")
                .with("min", 2000)
                .with("max", 2100)
        })
}

/// Money in whole 元: a non-negative integer up to 10 billion.
pub fn parse_yuan(field: &'static str, input: &str) -> Result<Option<i64>, FieldError> {
    let value = input.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldError::new(field, "yuan_format"));
    }
    value
        .parse::<i64>()
        .ok()
        .filter(|v| *v <= 10_000_000_000)
        .map(Some)
        .ok_or_else(|| FieldError::new(field, "yuan_format"))
}

/// A `from`–`to` date range: `to` may not be before `from`.
pub fn check_range(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<(), FieldError> {
    match (from, to) {
        (Some(f), Some(t)) if t < f => Err(FieldError::new("to", "date_range")),
        _ => Ok(()),
    }
}

/// A month as `YYYY-MM`; its first day.
pub fn parse_month(field: &'static str, input: &str) -> Result<NaiveDate, FieldError> {
    let value = input.trim();
    let b = value.as_bytes();
    let shape = b.len() == 7
        && b[4] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || c.is_ascii_digit());
    if !shape {
        return Err(FieldError::new(field, "month_format"));
    }
    let year = value[..4].parse::<i32>().ok();
    let month = value[5..].parse::<u32>().ok();
    year.zip(month)
        .and_then(|(y, m)| NaiveDate::from_ymd_opt(y, m, 1))
        .ok_or_else(|| FieldError::new(field, "month_format"))
}

/// The last day of the month that `first` starts.
pub fn month_end(first: NaiveDate) -> NaiveDate {
    let (y, m) = if first.month() == 12 {
        (first.year() + 1, 1)
    } else {
        (first.year(), first.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|d| d.pred_opt())
        .unwrap_or(first)
}

/// The first day of the previous and the next month.
pub fn neighbour_months(first: NaiveDate) -> (NaiveDate, NaiveDate) {
    let next = month_end(first).succ_opt().unwrap_or(first);
    let prev = first
        .pred_opt()
        .and_then(|d| d.with_day(1))
        .unwrap_or(first);
    (prev, next)
}

/// A month calendar: weeks from Monday to Sunday, days outside the month `None`.
pub fn month_grid(first: NaiveDate) -> Vec<[Option<NaiveDate>; 7]> {
    let last = month_end(first);
    let lead = i64::from(first.weekday().num_days_from_monday());
    let mut start = first - Duration::days(lead);
    let mut weeks = Vec::new();
    while start <= last {
        let mut week = [None; 7];
        for (i, slot) in week.iter_mut().enumerate() {
            let day = start + Duration::days(i as i64);
            if day.month() == first.month() && day.year() == first.year() {
                *slot = Some(day);
            }
        }
        weeks.push(week);
        start += Duration::days(7);
    }
    weeks
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn kinds_round_trip_and_know_their_reports() {
        let ids: Vec<&str> = ActivityKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(
            ids,
            [
                "district_meeting",
                "study",
                "research",
                "inspection",
                "reception",
                "liaison",
                "charity",
                "campaign",
                "party_hearing"
            ]
        );
        for k in ActivityKind::ALL {
            assert_eq!(ActivityKind::parse("kind", k.as_str()).unwrap(), k);
            assert_eq!(k.label_key(), format!("label.activity_kind.{}", k.as_str()));
        }
        assert_eq!(
            ActivityKind::parse("kind", "party").unwrap_err().code,
            "invalid_choice"
        );
        let with_report: Vec<ActivityKind> = ActivityKind::ALL
            .into_iter()
            .filter(ActivityKind::has_report)
            .collect();
        assert_eq!(
            with_report,
            [ActivityKind::Research, ActivityKind::Inspection]
        );
        assert!(!ActivityKind::PartyHearing.member_may_log());
        assert!(!ActivityKind::DistrictMeeting.member_may_log());
        assert!(ActivityKind::Charity.member_may_log());
    }

    #[test]
    fn only_pending_logs_are_decided_once() {
        assert_eq!(
            Approval::Pending.decide(Decision::Approve, None).unwrap(),
            Approval::Approved
        );
        assert_eq!(
            Approval::Pending
                .decide(Decision::Reject, Some("重复登记"))
                .unwrap(),
            Approval::Rejected
        );
        assert_eq!(
            Approval::Pending
                .decide(Decision::Reject, Some("  "))
                .unwrap_err()
                .code,
            "reason_required"
        );
        for done in [Approval::Approved, Approval::Rejected] {
            for d in Decision::ALL {
                assert_eq!(
                    done.decide(d, Some("x")).unwrap_err().code,
                    "already_decided"
                );
            }
        }
        assert!(Approval::Approved.counts());
        assert!(!Approval::Pending.counts());
        assert!(!Approval::Rejected.counts());
    }

    #[test]
    fn attendance_values() {
        assert!(Attendance::Excused.needs_reason());
        assert!(!Attendance::Present.needs_reason());
        assert_eq!(
            Attendance::parse("attendance", "late").unwrap_err().code,
            "invalid_choice"
        );
        assert_eq!(Reply::parse("reply", "excused").unwrap(), Reply::Excused);
    }

    #[test]
    fn five_ones_are_ticked_by_attended_approved_activities() {
        use FiveOnesItem as F;
        assert!(F::PovertyAid.allowed_for(ActivityKind::Charity));
        assert!(!F::PovertyAid.allowed_for(ActivityKind::Study));
        assert!(F::Deed.allowed_for(ActivityKind::Campaign));
        assert!(F::Suggestion.allowed_for(ActivityKind::Research));
        assert!(F::Information.allowed_for(ActivityKind::Reception));
        assert!(F::Technical.allowed_for(ActivityKind::Inspection));
        assert!(check_five_ones(ActivityKind::Study, F::Deed).is_err());
        assert_eq!(
            check_five_ones(ActivityKind::Study, F::Deed)
                .unwrap_err()
                .code,
            "five_ones_kind"
        );
        // No study session counts toward any item.
        assert!(F::ALL.iter().all(|f| !f.allowed_for(ActivityKind::Study)));

        let present = Some(Attendance::Present);
        assert!(F::Deed.ticked_by_activity(Some(F::Deed), Approval::Approved, present));
        assert!(!F::Deed.ticked_by_activity(Some(F::Deed), Approval::Pending, present));
        assert!(!F::Deed.ticked_by_activity(Some(F::Deed), Approval::Rejected, present));
        assert!(!F::Deed.ticked_by_activity(
            Some(F::Deed),
            Approval::Approved,
            Some(Attendance::Excused)
        ));
        assert!(!F::Deed.ticked_by_activity(Some(F::Deed), Approval::Approved, None));
        assert!(!F::Deed.ticked_by_activity(Some(F::PovertyAid), Approval::Approved, present));
        assert!(!F::Deed.ticked_by_activity(None, Approval::Approved, present));

        assert!(F::Suggestion.ticked_by_award(AwardCategory::NewSuggestion, AwardStatus::Awarded));
        assert!(
            !F::Suggestion.ticked_by_award(AwardCategory::NewSuggestion, AwardStatus::Candidate)
        );
        assert!(!F::Suggestion.ticked_by_award(AwardCategory::NewInvestment, AwardStatus::Awarded));
        assert!(!F::Deed.ticked_by_award(AwardCategory::NewSuggestion, AwardStatus::Awarded));
    }

    #[test]
    fn award_categories() {
        let three: Vec<AwardCategory> = AwardCategory::ALL
            .into_iter()
            .filter(AwardCategory::is_three_new)
            .collect();
        assert_eq!(three.len(), 3);
        assert!(!AwardCategory::Other.is_three_new());
        assert_eq!(
            AwardCategory::parse("category", "new_investment").unwrap(),
            AwardCategory::NewInvestment
        );
    }

    #[test]
    fn years_and_money() {
        assert_eq!(parse_year("year", "2011").unwrap(), 2011);
        assert_eq!(parse_year("year", "").unwrap_err().code, "required");
        for bad in ["1999", "2101", "20x1", "-2011", "+2011", "2011.0"] {
            assert_eq!(
                parse_year("year", bad).unwrap_err().code,
                "year_range",
                "{bad}"
            );
        }
        assert_eq!(parse_yuan("amount_yuan", "2000").unwrap(), Some(2000));
        assert_eq!(parse_yuan("amount_yuan", " ").unwrap(), None);
        assert_eq!(parse_yuan("amount_yuan", "0").unwrap(), Some(0));
        for bad in ["-1", "20.5", "2千", "99999999999", "1e3"] {
            assert_eq!(
                parse_yuan("amount_yuan", bad).unwrap_err().code,
                "yuan_format",
                "{bad}"
            );
        }
    }

    #[test]
    fn ranges_and_months() {
        assert!(check_range(Some(ymd(2011, 1, 1)), Some(ymd(2011, 12, 31))).is_ok());
        assert!(check_range(Some(ymd(2011, 1, 1)), Some(ymd(2011, 1, 1))).is_ok());
        assert!(check_range(None, Some(ymd(2011, 1, 1))).is_ok());
        let e = check_range(Some(ymd(2011, 2, 1)), Some(ymd(2011, 1, 31))).unwrap_err();
        assert_eq!((e.field, e.code), ("to", "date_range"));

        assert_eq!(parse_month("month", "2011-02").unwrap(), ymd(2011, 2, 1));
        for bad in ["2011-13", "2011-2", "201102", "2011-02-01", "", "abcd-ef"] {
            assert_eq!(
                parse_month("month", bad).unwrap_err().code,
                "month_format",
                "{bad}"
            );
        }
        assert_eq!(month_end(ymd(2012, 2, 1)), ymd(2012, 2, 29));
        assert_eq!(month_end(ymd(2011, 12, 1)), ymd(2011, 12, 31));
        assert_eq!(
            neighbour_months(ymd(2011, 1, 1)),
            (ymd(2010, 12, 1), ymd(2011, 2, 1))
        );
    }

    #[test]
    fn month_grid_runs_monday_to_sunday() {
        // February 2011 starts on a Tuesday and has 28 days.
        let grid = month_grid(ymd(2011, 2, 1));
        assert_eq!(grid.len(), 5);
        assert_eq!(grid[0][0], None);
        assert_eq!(grid[0][1], Some(ymd(2011, 2, 1)));
        assert_eq!(grid[4][0], Some(ymd(2011, 2, 28)));
        assert_eq!(grid[4][1], None);
        let days: usize = grid.iter().flatten().filter(|d| d.is_some()).count();
        assert_eq!(days, 28);
        // A month starting on a Monday: no leading blanks.
        let grid = month_grid(ymd(2010, 2, 1));
        assert_eq!(grid.len(), 4);
        assert_eq!(grid[0][0], Some(ymd(2010, 2, 1)));
    }
}
