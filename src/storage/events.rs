//! The append-only step timelines of cases, proposals and information
//! reports: one table per subject, one set of queries for all three.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::FromRow;

use super::cases::CaseEvent;
use super::info::InfoEvent;
use super::proposals::ProposalEvent;
use super::{Db, Tx};
use crate::{on_db, on_tx};

/// What a timeline belongs to: a closed set, each with its own table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Case,
    Proposal,
    Info,
}

impl Subject {
    fn table(self) -> &'static str {
        match self {
            Subject::Case => "case_events",
            Subject::Proposal => "proposal_events",
            Subject::Info => "info_events",
        }
    }

    /// The column naming the subject's row.
    fn key(self) -> &'static str {
        match self {
            Subject::Case => "case_id",
            Subject::Proposal => "proposal_id",
            Subject::Info => "report_id",
        }
    }

    /// Information reports are not handled by departments: their events name none.
    fn has_department(self) -> bool {
        self != Subject::Info
    }

    fn columns(self) -> String {
        let department = if self.has_department() {
            ", department_id"
        } else {
            ""
        };
        format!(
            "{}, at, occurred_on, action, from_status, to_status, note, detail, user_id, username{department}",
            self.key()
        )
    }
}

/// One step to append to a subject's timeline.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub subject: Subject,
    pub subject_id: i64,
    pub occurred_on: NaiveDate,
    pub action: &'a str,
    pub from_status: Option<&'a str>,
    pub to_status: &'a str,
    /// Ignored for information reports.
    pub department_id: Option<i64>,
    /// What the user typed as the step's note, as typed.
    pub note: Option<&'a str>,
    /// What the step sets down besides the note (the number given, the
    /// committee forwarded to, the reply, the rating), in words.
    pub detail: Option<&'a str>,
    pub user_id: Option<i64>,
    pub username: Option<&'a str>,
}

pub async fn insert_event(tx: &mut Tx, e: &NewEvent<'_>) -> Result<(), sqlx::Error> {
    let (columns, values) = if e.subject.has_department() {
        (
            e.subject.columns(),
            "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11",
        )
    } else {
        (
            e.subject.columns(),
            "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10",
        )
    };
    let sql = format!(
        "INSERT INTO {} ({columns}) VALUES ({values})",
        e.subject.table()
    );
    on_tx!(tx, conn => {
        let query = sqlx::query(&sql)
            .bind(e.subject_id).bind(Utc::now()).bind(e.occurred_on).bind(e.action)
            .bind(e.from_status).bind(e.to_status).bind(e.note).bind(e.detail).bind(e.user_id).bind(e.username);
        let query = if e.subject.has_department() { query.bind(e.department_id) } else { query };
        query.execute(conn).await.map(|_| ())
    })
}

/// A subject's timeline, oldest first, as that subject's row type.
pub async fn events<T>(db: &Db, subject: Subject, subject_id: i64) -> Result<Vec<T>, sqlx::Error>
where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin,
{
    // Who took each step, by name as well: the account's display name now.
    let columns: Vec<String> = subject
        .columns()
        .split(", ")
        .map(|c| format!("e.{c}"))
        .collect();
    let sql = format!(
        "SELECT e.id, {}, u.display_name AS user_name FROM {} e \
         LEFT JOIN users u ON u.id = e.user_id WHERE e.{} = $1 ORDER BY e.id",
        columns.join(", "),
        subject.table(),
        subject.key()
    );
    on_db!(db, pool => sqlx::query_as::<_, T>(&sql).bind(subject_id).fetch_all(pool).await)
}

/// The date of a subject's last step, if it has one.
pub async fn last_step_on(
    db: &Db,
    subject: Subject,
    subject_id: i64,
) -> Result<Option<NaiveDate>, sqlx::Error> {
    let sql = format!(
        "SELECT occurred_on FROM {} WHERE {} = $1 ORDER BY id DESC LIMIT 1",
        subject.table(),
        subject.key()
    );
    on_db!(db, pool => sqlx::query_scalar::<_, NaiveDate>(&sql).bind(subject_id).fetch_optional(pool).await)
}

/// What a timeline shows of a step, whichever the subject.
pub trait TimelineEvent {
    fn occurred_on(&self) -> NaiveDate;
    fn at(&self) -> DateTime<Utc>;
    fn action(&self) -> &str;
    fn to_status(&self) -> &str;
    fn username(&self) -> Option<&str>;
    /// The display name of who took the step (their account's, now).
    fn user_name(&self) -> Option<&str>;
    fn note(&self) -> Option<&str>;
    fn detail(&self) -> Option<&str>;
}

macro_rules! timeline_event {
    ($($row:ty),*) => {$(
        impl TimelineEvent for $row {
            fn occurred_on(&self) -> NaiveDate { self.occurred_on }
            fn at(&self) -> DateTime<Utc> { self.at }
            fn action(&self) -> &str { &self.action }
            fn to_status(&self) -> &str { &self.to_status }
            fn username(&self) -> Option<&str> { self.username.as_deref() }
            fn user_name(&self) -> Option<&str> { self.user_name.as_deref() }
            fn note(&self) -> Option<&str> { self.note.as_deref() }
            fn detail(&self) -> Option<&str> { self.detail.as_deref() }
        }
    )*};
}

timeline_event!(CaseEvent, ProposalEvent, InfoEvent);
