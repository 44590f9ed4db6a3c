//! What waits on the signed-in user: the first page each role lands on lists
//! it, every item counted from the records and linked to where it is done.

use chrono::NaiveDate;

use super::Actor;
use crate::domain::plans::{Period, PlanPeriod};
use crate::domain::roles::Role;
use crate::services::error::AppError;
use crate::storage::activities::{self, ActivityFilter};
use crate::storage::cases::{self, CaseFilter};
use crate::storage::info::{self, InfoFilter};
use crate::storage::proposals::{self, ProposalFilter};
use crate::storage::{todos, Db};

/// One thing to do (or to know), with how many and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Todo {
    pub kind: TodoKind,
    pub count: i64,
    pub href: String,
}

/// The kinds of to-do; each has its words in the catalogues (`todo.<kind>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TodoKind {
    // A member's.
    AnswerInvitations,
    FinishDrafts,
    AnswerCosign,
    RateAnswers,
    FollowCases,
    InfoThisQuarter,
    // Staff's.
    ForwardCases,
    FollowUpCases,
    ReviewProposals,
    EditInfo,
    DecideLogs,
    // A department's.
    AcceptCases,
    ResolveCases,
    AnswerProposals,
}

impl TodoKind {
    pub fn label_key(self) -> &'static str {
        match self {
            TodoKind::AnswerInvitations => "todo.answer_invitations",
            TodoKind::FinishDrafts => "todo.finish_drafts",
            TodoKind::AnswerCosign => "todo.answer_cosign",
            TodoKind::RateAnswers => "todo.rate_answers",
            TodoKind::FollowCases => "todo.follow_cases",
            TodoKind::InfoThisQuarter => "todo.info_this_quarter",
            TodoKind::ForwardCases => "todo.forward_cases",
            TodoKind::FollowUpCases => "todo.follow_up_cases",
            TodoKind::ReviewProposals => "todo.review_proposals",
            TodoKind::EditInfo => "todo.edit_info",
            TodoKind::DecideLogs => "todo.decide_logs",
            TodoKind::AcceptCases => "todo.accept_cases",
            TodoKind::ResolveCases => "todo.resolve_cases",
            TodoKind::AnswerProposals => "todo.answer_proposals",
        }
    }

    /// Whether the item is work waiting (shown even at 0 only when it is a
    /// standing duty, like the quarter's information reports).
    pub fn is_standing(self) -> bool {
        matches!(self, TodoKind::InfoThisQuarter)
    }
}

/// The user's first page: their to-dos, and for a member the next duty day.
#[derive(Debug, Clone, Default)]
pub struct Home {
    pub todos: Vec<Todo>,
    pub next_duty: Option<NaiveDate>,
}

/// The first and last day of the quarter `day` falls in.
pub fn quarter_around(day: NaiveDate) -> (NaiveDate, NaiveDate) {
    let quarter = PlanPeriod::containing(Period::Quarter, day);
    (quarter.first_day(), quarter.last_day())
}

pub async fn home(db: &Db, actor: &Actor, today: NaiveDate) -> Result<Home, AppError> {
    match actor.role {
        Role::Member => member_home(db, actor, today).await,
        Role::Staff => Ok(Home {
            todos: staff_todos(db, actor).await?,
            next_duty: None,
        }),
        Role::Department => Ok(Home {
            todos: department_todos(db, actor).await?,
            next_duty: None,
        }),
        _ => Ok(Home::default()),
    }
}

fn todo(kind: TodoKind, count: i64, href: &str) -> Todo {
    Todo {
        kind,
        count,
        href: href.to_string(),
    }
}

/// Where a to-do leads: straight to its record when there is just one
/// (a member's month of duty takes fewer screens on a phone), else the list.
fn only_one(count: i64, first: Option<i64>, list: &str) -> String {
    match (count, first) {
        (1, Some(id)) => format!("{list}/{id}"),
        _ => list.to_string(),
    }
}

async fn member_home(db: &Db, actor: &Actor, today: NaiveDate) -> Result<Home, AppError> {
    let Some(member_id) = actor.member_id else {
        return Ok(Home::default());
    };
    let t = todos::for_member(db, member_id, today, quarter_around(today)).await?;
    Ok(Home {
        todos: vec![
            todo(
                TodoKind::AnswerInvitations,
                t.invitations_to_answer,
                &only_one(t.invitations_to_answer, t.first_invitation, "/activities"),
            ),
            todo(TodoKind::AnswerCosign, t.cosign_invitations, "/proposals"),
            todo(
                TodoKind::RateAnswers,
                t.answers_to_rate,
                "/proposals?status=answered",
            ),
            todo(
                TodoKind::FinishDrafts,
                t.proposal_drafts,
                "/proposals?status=draft",
            ),
            todo(
                TodoKind::FollowCases,
                t.open_cases,
                &only_one(t.open_cases, t.first_open_case, "/cases"),
            ),
            todo(TodoKind::InfoThisQuarter, t.info_in_period, "/info/new"),
        ],
        next_duty: super::reception::next_duty_of(db, member_id, today).await?,
    })
}

async fn staff_todos(db: &Db, actor: &Actor) -> Result<Vec<Todo>, AppError> {
    let scope = Some(actor.org_path.clone());
    let cases_in = |status: &str| CaseFilter {
        scope_path: scope.clone(),
        status: Some(status.to_string()),
        ..Default::default()
    };
    let (registered, resolved) = (cases_in("registered"), cases_in("resolved"));
    let submitted_proposals = ProposalFilter {
        scope_path: scope.clone(),
        status: Some("submitted".into()),
        ..Default::default()
    };
    let submitted_info = InfoFilter {
        scope_path: scope.clone(),
        status: Some("submitted".into()),
        ..Default::default()
    };
    let pending_logs = ActivityFilter {
        scope_path: scope.clone(),
        approval: Some("pending".into()),
        ..Default::default()
    };
    let (to_forward, to_follow_up, to_review, to_edit, logs) = tokio::try_join!(
        cases::count(db, &registered),
        cases::count(db, &resolved),
        proposals::count(db, &submitted_proposals),
        info::count(db, &submitted_info),
        activities::list(db, &pending_logs, 0, 0),
    )?;
    Ok(vec![
        todo(
            TodoKind::ForwardCases,
            to_forward,
            "/cases?status=registered",
        ),
        todo(
            TodoKind::FollowUpCases,
            to_follow_up,
            "/cases?status=resolved",
        ),
        todo(
            TodoKind::ReviewProposals,
            to_review,
            "/proposals?status=submitted",
        ),
        todo(TodoKind::EditInfo, to_edit, "/info?status=submitted"),
        todo(TodoKind::DecideLogs, logs.1, "/activities?approval=pending"),
    ])
}

async fn department_todos(db: &Db, actor: &Actor) -> Result<Vec<Todo>, AppError> {
    let department = actor.department_id.ok_or(AppError::Forbidden)?;
    let cases_in = |status: &str| CaseFilter {
        department_id: Some(department),
        status: Some(status.to_string()),
        ..Default::default()
    };
    let (forwarded, in_progress) = (cases_in("forwarded"), cases_in("in_progress"));
    let assigned = ProposalFilter {
        department_id: Some(department),
        status: Some("assigned".into()),
        ..Default::default()
    };
    let (to_accept, in_progress, to_answer) = tokio::try_join!(
        cases::count(db, &forwarded),
        cases::count(db, &in_progress),
        proposals::count(db, &assigned),
    )?;
    Ok(vec![
        todo(TodoKind::AcceptCases, to_accept, "/inbox"),
        todo(TodoKind::ResolveCases, in_progress, "/inbox"),
        todo(
            TodoKind::AnswerProposals,
            to_answer,
            "/proposals?status=assigned",
        ),
    ])
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn quarters_run_from_their_first_to_their_last_day() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(
            quarter_around(d(2026, 12, 3)),
            (d(2026, 10, 1), d(2026, 12, 31))
        );
        assert_eq!(
            quarter_around(d(2012, 2, 29)),
            (d(2012, 1, 1), d(2012, 3, 31))
        );
        assert_eq!(
            quarter_around(d(2011, 6, 30)),
            (d(2011, 4, 1), d(2011, 6, 30))
        );
        assert_eq!(
            quarter_around(d(2011, 7, 1)),
            (d(2011, 7, 1), d(2011, 9, 30))
        );
    }
}
