//! The demo committee's reception days and cases (`demo/reception.toml`),
//! loaded through the services as staff would enter them from the records.

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use crate::domain::calendar::Calendar;
use crate::domain::reception::scheduled_day;
use crate::security::crypto::FieldCipher;
use crate::services::cases::{self as case_service, StepInput};
use crate::services::error::AppError;
use crate::services::reception::{
    self as reception_service, DayInput, HolidaysInput, VisitCaseInput, VisitInput,
};
use crate::services::{auth, Actor};
use crate::storage::orgs::{self, Department, Org};
use crate::storage::{calendar, reception, users, Db};

const RECEPTION: &str = include_str!("../../demo/reception.toml");
const COMMITTEE: &str = "长江路街道政协工委";

#[derive(Deserialize)]
struct DemoFile {
    holidays: Vec<DemoHolidays>,
    days: Vec<DemoDay>,
}

#[derive(Deserialize)]
struct DemoHolidays {
    year: i32,
    lines: String,
}

#[derive(Deserialize)]
struct DemoDay {
    /// An exact date, or …
    #[serde(default)]
    held_on: Option<String>,
    /// … a month (`2012-01`) whose scheduled day it is.
    #[serde(default)]
    month: Option<String>,
    #[serde(default)]
    visits: Vec<DemoVisit>,
}

#[derive(Deserialize)]
struct DemoVisit {
    people: i64,
    community: String,
    summary: String,
    outcome: String,
    #[serde(default)]
    answer: Option<String>,
    /// The member on duty who received the visitor, by name (default: the
    /// first on duty).
    #[serde(default)]
    received_by: Option<String>,
    #[serde(default)]
    cases: Vec<DemoCase>,
}

#[derive(Deserialize)]
struct DemoCase {
    subject: String,
    description: String,
    #[serde(default)]
    steps: Vec<DemoStep>,
}

#[derive(Deserialize)]
struct DemoStep {
    action: String,
    on: String,
    #[serde(default)]
    department: Option<String>,
    #[serde(default)]
    reply: Option<String>,
    #[serde(default)]
    satisfaction: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

fn demo_error(what: &str) -> AppError {
    AppError::internal(format!("demo reception data: {what}"))
}

/// Load the demo reception days and cases unless they are there already.
pub async fn load_reception(db: &Db, cipher: &FieldCipher) -> Result<(), AppError> {
    let demo: DemoFile = toml::from_str(RECEPTION).map_err(|e| demo_error(&e.to_string()))?;
    let Some(committee) = orgs::find_org_by_name(db, COMMITTEE)
        .await?
        .into_iter()
        .next()
    else {
        return Ok(());
    };
    let staff_user = users::find_by_username(db, "staff")
        .await?
        .ok_or_else(|| demo_error("no staff account"))?;
    let staff: Actor = auth::actor_for_user(db, staff_user.id, None)
        .await?
        .ok_or_else(|| demo_error("staff account unusable"))?;
    let first = NaiveDate::from_ymd_opt(2011, 1, 15).ok_or_else(|| demo_error("date"))?;
    if reception::find_day(db, committee.id, first)
        .await?
        .is_some()
    {
        return Ok(());
    }
    for h in &demo.holidays {
        reception_service::load_holidays(
            db,
            &staff,
            &HolidaysInput {
                year: h.year.to_string(),
                lines: h.lines.clone(),
            },
        )
        .await?;
    }
    // After the holidays: the calendar the scheduled days follow includes them.
    let desk = Desk {
        db,
        cipher,
        departments: orgs::list_departments(db, &committee.path).await?,
        calendar: calendar::calendar(db).await?,
        committee,
        staff,
    };
    for day in &demo.days {
        desk.enter_day(day).await?;
    }
    Ok(())
}

/// What entering the records needs: the committee, its staff account (who
/// enters everything), the departments cases are forwarded to and the
/// calendar of working days.
struct Desk<'a> {
    db: &'a Db,
    cipher: &'a FieldCipher,
    committee: Org,
    staff: Actor,
    departments: Vec<Department>,
    calendar: Calendar,
}

impl Desk<'_> {
    /// A reception day and its visits.
    async fn enter_day(&self, day: &DemoDay) -> Result<(), AppError> {
        let created = reception_service::create_day(
            self.db,
            &self.staff,
            &DayInput {
                org_id: Some(self.committee.id.to_string()),
                held_on: Some(self.held_on(day)?),
                duty_member_ids: None,
                note: None,
            },
        )
        .await?;
        let duty = reception::duty_members(self.db, created.id).await?;
        for visit in &day.visits {
            let received_by = match &visit.received_by {
                None => duty.first(),
                Some(name) => Some(duty.iter().find(|d| &d.name == name).ok_or_else(|| {
                    AppError::internal(format!("demo: {name} is not on duty that day"))
                })?),
            }
            .map(|d| d.member_id.to_string());
            self.enter_visit(created.id, visit, received_by).await?;
        }
        Ok(())
    }

    /// The day's date: given, or the month's scheduled day.
    fn held_on(&self, day: &DemoDay) -> Result<String, AppError> {
        match (&day.held_on, &day.month) {
            (Some(d), _) => Ok(d.clone()),
            (None, Some(m)) => {
                let first = NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
                    .map_err(|_| demo_error("month"))?;
                Ok(
                    scheduled_day(first.year(), first.month(), 15, &self.calendar)
                        .ok_or_else(|| demo_error("schedule"))?
                        .held_on
                        .to_string(),
                )
            }
            (None, None) => Err(demo_error("a day needs held_on or month")),
        }
    }

    /// A visit, the cases it raised and each case's steps.
    async fn enter_visit(
        &self,
        day_id: i64,
        visit: &DemoVisit,
        received_by: Option<String>,
    ) -> Result<(), AppError> {
        let (_, case_ids) = reception_service::add_visit(
            self.db,
            &self.staff,
            self.cipher,
            day_id,
            &VisitInput {
                people: visit.people.to_string(),
                community: visit.community.clone(),
                summary: visit.summary.clone(),
                visitor_name: None,
                phone: None,
                outcome: visit.outcome.clone(),
                answer: visit.answer.clone(),
                received_by,
                cases: visit
                    .cases
                    .iter()
                    .map(|c| VisitCaseInput {
                        subject: c.subject.clone(),
                        description: c.description.clone(),
                    })
                    .collect(),
            },
        )
        .await?;
        for (case, id) in visit.cases.iter().zip(case_ids) {
            for s in &case.steps {
                self.enter_step(id, s).await?;
            }
        }
        Ok(())
    }

    /// One step of a case, against the case's current version.
    async fn enter_step(&self, case_id: i64, s: &DemoStep) -> Result<(), AppError> {
        let current = case_service::get(self.db, &self.staff, case_id).await?;
        let department_id = match &s.department {
            Some(name) => Some(
                self.departments
                    .iter()
                    .find(|d| &d.name == name)
                    .ok_or_else(|| demo_error("unknown department"))?
                    .id
                    .to_string(),
            ),
            None => None,
        };
        case_service::step(
            self.db,
            &self.staff,
            case_id,
            &StepInput {
                action: s.action.clone(),
                version: Some(current.version.to_string()),
                on: Some(s.on.clone()),
                department_id,
                due_on: None,
                reply: s.reply.clone(),
                satisfaction: s.satisfaction.clone(),
                note: s.note.clone(),
            },
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_first_half_of_2011_has_the_reports_figures() {
        let demo: DemoFile = toml::from_str(RECEPTION).unwrap();
        let h1: Vec<&DemoDay> = demo
            .days
            .iter()
            .filter(|d| d.held_on.as_deref().is_some_and(|h| h < "2011-07-01"))
            .collect();
        assert_eq!(h1.len(), 6);
        let people: i64 = h1.iter().flat_map(|d| &d.visits).map(|v| v.people).sum();
        let cases: usize = h1
            .iter()
            .flat_map(|d| &d.visits)
            .map(|v| v.cases.len())
            .sum();
        assert_eq!((people, cases), (12, 5));
    }
}
