//! Reminders (提醒): what falls due for whom, reckoned in working days, and
//! how a reminder reads in the app and out of it (e-mail, a group robot).
//! Everything here is pure; the sweep that finds the records is in
//! `services::notifications`.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::calendar::Calendar;
use super::choice::choice_enum;

choice_enum! {
    /// The kinds of reminder. A closed list: a new kind (the plans' quota at
    /// risk, say) is a new variant with its recipients in the sweep and its
    /// words in `locales/notifications.yml`.
    pub enum ReminderKind: "reminder_kind" {
        /// A department: a case it holds falls due within the warning window.
        CaseDueSoon => "case_due_soon",
        /// A department: a case it holds is past its due date.
        CaseOverdue => "case_overdue",
        /// A department: a proposal's answer falls due within the window.
        ProposalDueSoon => "proposal_due_soon",
        /// A department: a proposal's answer is past due.
        ProposalOverdue => "proposal_overdue",
        /// A member: an activity waits for their reply.
        InvitationToAnswer => "invitation_to_answer",
        /// A member: their group is on reception duty in the coming week.
        ReceptionDuty => "reception_duty",
        /// Staff: a case in their scope is overdue.
        StaffCaseOverdue => "staff_case_overdue",
        /// Staff: a proposal's answer in their scope is overdue.
        StaffProposalOverdue => "staff_proposal_overdue",
    }
}

choice_enum! {
    /// What kind of record a reminder is about.
    pub enum RecordKind: "record_kind" {
        Case => "case",
        Proposal => "proposal",
        Activity => "activity",
        /// A committee's reception day (the record id is the committee's).
        Reception => "reception",
    }
}

choice_enum! {
    /// How a message leaves the app.
    pub enum Channel: "channel" {
        /// E-mail over SMTP, to the address the user gave.
        Email => "email",
        /// A group robot's webhook (企业微信, 钉钉).
        Webhook => "webhook",
    }
}

choice_enum! {
    /// Where a message of the outbox stands.
    pub enum OutboxStatus: "outbox_status" {
        /// Waiting for its (next) attempt.
        Pending => "pending",
        Sent => "sent",
        /// Every attempt failed: the administrator sees why.
        Failed => "failed",
    }
}

impl ReminderKind {
    /// The record the reminder is about.
    pub fn record_kind(self) -> RecordKind {
        match self {
            Self::CaseDueSoon | Self::CaseOverdue | Self::StaffCaseOverdue => RecordKind::Case,
            Self::ProposalDueSoon | Self::ProposalOverdue | Self::StaffProposalOverdue => {
                RecordKind::Proposal
            }
            Self::InvitationToAnswer => RecordKind::Activity,
            Self::ReceptionDuty => RecordKind::Reception,
        }
    }

    /// The catalogue key of the reminder's sentence.
    pub fn text_key(self) -> &'static str {
        match self {
            Self::CaseDueSoon => "notify.case_due_soon",
            Self::CaseOverdue => "notify.case_overdue",
            Self::ProposalDueSoon => "notify.proposal_due_soon",
            Self::ProposalOverdue => "notify.proposal_overdue",
            Self::InvitationToAnswer => "notify.invitation_to_answer",
            Self::ReceptionDuty => "notify.reception_duty",
            Self::StaffCaseOverdue => "notify.staff_case_overdue",
            Self::StaffProposalOverdue => "notify.staff_proposal_overdue",
        }
    }

    /// Whether the office's group robot hears of it too: what a department
    /// or the office must act on, not a member's own invitations.
    pub fn to_group(self) -> bool {
        !matches!(self, Self::InvitationToAnswer | Self::ReceptionDuty)
    }
}

impl RecordKind {
    /// Where the reminder leads.
    pub fn href(self, id: i64) -> String {
        match self {
            Self::Case => format!("/cases/{id}"),
            Self::Proposal => format!("/proposals/{id}"),
            Self::Activity => format!("/activities/{id}"),
            // The member's first page says when and with whom.
            Self::Reception => "/".to_string(),
        }
    }
}

/// Where a due date stands on `today`, for a department holding the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Within the warning window: this many working days left (0: due today).
    Soon(i64),
    /// Past its due date.
    Overdue,
}

/// The last day of the warning window: `days` working days after `today`.
pub fn window_end(calendar: &Calendar, today: NaiveDate, days: u32) -> NaiveDate {
    calendar.add_working_days(today, days)
}

/// Whether `due_on` calls for a reminder on `today`: overdue once past,
/// "soon" while no more than `days` working days are left (a due date on a
/// holiday counts as the working day before it ends: the days left are the
/// working days after today up to the due date).
pub fn due_state(
    calendar: &Calendar,
    today: NaiveDate,
    due_on: NaiveDate,
    days: u32,
) -> Option<Due> {
    if due_on < today {
        return Some(Due::Overdue);
    }
    if due_on <= window_end(calendar, today, days) {
        return Some(Due::Soon(calendar.working_days_between(today, due_on)));
    }
    None
}

/// The days of "next week" for the reception-duty reminder: the seven days
/// after today (a Friday sweep warns of the coming Monday to Friday).
pub fn coming_week(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    (today + Duration::days(1), today + Duration::days(7))
}

/// The key that makes a message to one address about one reminder unique.
pub fn dedup_key(kind: ReminderKind, record_id: i64, due_on: NaiveDate) -> String {
    format!("{}:{}:{}", kind.as_str(), record_id, due_on)
}

/// The delay before attempt `attempts + 1` after `attempts` failures: one
/// minute, doubling, at most a day.
pub fn backoff(attempts: i64) -> Duration {
    let exponent = attempts.clamp(1, 20) - 1;
    let minutes = 1i64 << exponent;
    Duration::minutes(minutes.min(24 * 60))
}

/// When a failed message is tried again, or `None` when it has had its
/// `max_attempts` and is given up.
pub fn next_attempt(attempts: i64, max_attempts: i64, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    (attempts < max_attempts.max(1)).then(|| now + backoff(attempts))
}

/// The body a 企业微信 or 钉钉 group robot takes: a text message.
pub fn robot_message(text: &str) -> serde_json::Value {
    serde_json::json!({"msgtype": "text", "text": {"content": text}})
}

/// An error as kept for the administrator: one line, at most 500 characters.
pub fn error_line(error: &str) -> String {
    let one_line: String = error
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    one_line.trim().chars().take(500).collect()
}

/// A plausible e-mail address: one `@`, something on each side, a dot in
/// the domain, no spaces, at most 254 characters.
pub fn is_email(address: &str) -> bool {
    let a = address.trim();
    if a.is_empty() || a.len() > 254 || a.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    match a.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        }
        None => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::domain::calendar::DayKind;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// 2012's Spring Festival: 22–28 January off, Saturday 21 and Sunday 29
    /// worked (调休).
    fn spring_2012() -> Calendar {
        let mut entries: Vec<(NaiveDate, DayKind)> = (22..=28)
            .map(|day| (d(2012, 1, day), DayKind::Holiday))
            .collect();
        entries.push((d(2012, 1, 21), DayKind::Workday));
        entries.push((d(2012, 1, 29), DayKind::Workday));
        Calendar::new(entries)
    }

    #[test]
    fn the_window_counts_working_days_across_the_spring_festival() {
        let cal = spring_2012();
        // Friday 20 January: 3 working days on are Sat 21 (调休), Sun 29 (调休), Mon 30.
        assert_eq!(window_end(&cal, d(2012, 1, 20), 3), d(2012, 1, 30));
        assert_eq!(
            due_state(&cal, d(2012, 1, 20), d(2012, 1, 30), 3),
            Some(Due::Soon(3))
        );
        assert_eq!(due_state(&cal, d(2012, 1, 20), d(2012, 1, 31), 3), None);
        // A due date in the holiday is within the window, with one working day left.
        assert_eq!(
            due_state(&cal, d(2012, 1, 20), d(2012, 1, 25), 3),
            Some(Due::Soon(1))
        );
    }

    #[test]
    fn due_today_is_soon_and_yesterday_overdue() {
        let cal = Calendar::default();
        let today = d(2026, 12, 3);
        assert_eq!(due_state(&cal, today, today, 3), Some(Due::Soon(0)));
        assert_eq!(
            due_state(&cal, today, d(2026, 12, 2), 3),
            Some(Due::Overdue)
        );
        // Thursday + 3 working days = Tuesday.
        assert_eq!(
            due_state(&cal, today, d(2026, 12, 8), 3),
            Some(Due::Soon(3))
        );
        assert_eq!(due_state(&cal, today, d(2026, 12, 9), 3), None);
        assert_eq!(due_state(&cal, today, d(2026, 12, 9), 0), None);
    }

    #[test]
    fn kinds_name_their_record_and_words() {
        for kind in ReminderKind::ALL {
            assert!(kind.text_key().starts_with("notify."));
            assert_eq!(ReminderKind::parse("kind", kind.as_str()).unwrap(), kind);
        }
        assert_eq!(ReminderKind::CaseDueSoon.record_kind(), RecordKind::Case);
        assert_eq!(
            ReminderKind::StaffProposalOverdue.record_kind(),
            RecordKind::Proposal
        );
        assert_eq!(RecordKind::Case.href(7), "/cases/7");
        assert!(ReminderKind::CaseOverdue.to_group());
        assert!(!ReminderKind::InvitationToAnswer.to_group());
    }

    #[test]
    fn retries_wait_longer_each_time_and_stop_at_the_limit() {
        assert_eq!(backoff(1), Duration::minutes(1));
        assert_eq!(backoff(2), Duration::minutes(2));
        assert_eq!(backoff(5), Duration::minutes(16));
        assert_eq!(backoff(30), Duration::minutes(24 * 60));
        let now = Utc::now();
        assert_eq!(next_attempt(1, 5, now), Some(now + Duration::minutes(1)));
        assert_eq!(next_attempt(5, 5, now), None);
        assert_eq!(next_attempt(1, 0, now), None);
    }

    #[test]
    fn robots_take_a_text_message() {
        assert_eq!(
            robot_message("信访件到期").to_string(),
            r#"{"msgtype":"text","text":{"content":"信访件到期"}}"#
        );
    }

    #[test]
    fn addresses_and_errors() {
        assert!(is_email("li@example.org"));
        assert!(!is_email("li@example"));
        assert!(!is_email("li example@x.org"));
        assert!(!is_email("@x.org"));
        assert!(!is_email("a@b@x.org"));
        assert_eq!(error_line("bad\r\nthing "), "bad  thing");
        assert_eq!(error_line(&"x".repeat(900)).len(), 500);
        assert_eq!(
            coming_week(d(2026, 12, 4)),
            (d(2026, 12, 5), d(2026, 12, 11))
        );
        assert_eq!(
            dedup_key(ReminderKind::CaseOverdue, 3, d(2026, 1, 2)),
            "case_overdue:3:2026-01-02"
        );
    }
}
