//! The demo committee's information reports (`demo/info.toml`), loaded
//! through the services (staff, or the member account for `by_member`), so
//! they pass every validation and write their audit rows, timelines and duty
//! files. Loading twice adds nothing.

use std::collections::HashMap;

use serde::Deserialize;

use super::actor_of;
use crate::domain::info::DEFAULT_MAX_CHARS;
use crate::services::error::AppError;
use crate::services::info::{self as info, InfoInput, InfoStepInput};
use crate::storage::members::MemberFilter;
use crate::storage::{self, Db};

pub(crate) const INFO: &str = include_str!("../../demo/info.toml");

#[derive(Deserialize)]
pub(crate) struct DemoFile {
    pub committee: String,
    pub reports: Vec<DemoReport>,
}

#[derive(Deserialize)]
pub(crate) struct DemoReport {
    /// A member of the committee; none: the committee's own.
    #[serde(default)]
    pub author: Option<String>,
    /// Submitted through the member account (the author must be its member).
    #[serde(default)]
    pub by_member: bool,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub submitted_on: String,
    #[serde(default)]
    pub edited_on: Option<String>,
    #[serde(default)]
    pub forwarded_on: Option<String>,
    #[serde(default)]
    pub adoptions: Vec<DemoAdoption>,
    #[serde(default)]
    pub instructions: Vec<DemoInstruction>,
    #[serde(default)]
    pub withdrawn_on: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct DemoAdoption {
    pub level: String,
    pub on: String,
    #[serde(default)]
    pub publication: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct DemoInstruction {
    pub leader: String,
    pub content: String,
    pub on: String,
}

pub(crate) fn parse() -> Result<DemoFile, AppError> {
    toml::from_str(INFO).map_err(|e| demo_error(&e.to_string()))
}

fn demo_error(what: &str) -> AppError {
    AppError::internal(format!("demo info: {what}"))
}

/// The adoptions and instructions of a report, in date order, as steps.
fn later_steps(r: &DemoReport) -> Vec<(String, InfoStepInput)> {
    let mut steps: Vec<(String, InfoStepInput)> = Vec::new();
    for a in &r.adoptions {
        steps.push((
            a.on.clone(),
            InfoStepInput {
                action: "adopt".into(),
                on: Some(a.on.clone()),
                level: Some(a.level.clone()),
                publication: a.publication.clone(),
                note: a.note.clone(),
                ..Default::default()
            },
        ));
    }
    for i in &r.instructions {
        steps.push((
            i.on.clone(),
            InfoStepInput {
                action: "instruct".into(),
                on: Some(i.on.clone()),
                leader: Some(i.leader.clone()),
                content: Some(i.content.clone()),
                ..Default::default()
            },
        ));
    }
    // ISO dates sort as text; the sort is stable, so a tie keeps file order.
    steps.sort_by(|a, b| a.0.cmp(&b.0));
    steps
}

/// Load the demo information reports into the demo committee, skipping those
/// already there.
pub async fn load_info(db: &Db) -> Result<(), AppError> {
    let demo = parse()?;
    let Some(committee) = storage::orgs::find_org_by_name(db, &demo.committee)
        .await?
        .into_iter()
        .next()
    else {
        return Ok(());
    };
    // Without the demo's staff account this is not the demo committee.
    let Ok(staff) = actor_of(db, "staff").await else {
        return Ok(());
    };
    let member_account = actor_of(db, "member").await.ok();
    let filter = MemberFilter {
        scope_path: committee.path.clone(),
        ..Default::default()
    };
    let (found, _) = storage::members::list(db, &filter, "m.id", "ASC", 1000, 0).await?;
    let ids: HashMap<String, i64> = found.into_iter().map(|m| (m.name, m.id)).collect();
    let limit = DEFAULT_MAX_CHARS;

    for r in &demo.reports {
        if storage::info::find_by_title(db, committee.id, &r.title)
            .await?
            .is_some()
        {
            continue;
        }
        let author = match &r.author {
            Some(name) => Some(
                *ids.get(name)
                    .ok_or_else(|| demo_error(&format!("unknown member {name}")))?,
            ),
            None => None,
        };
        let submitter = if r.by_member {
            match &member_account {
                Some(m) if m.member_id == author => m,
                _ => continue,
            }
        } else {
            &staff
        };
        let input = InfoInput {
            kind: r.kind.clone(),
            headline: r.title.clone(),
            text: r.body.clone(),
            author_member_id: author.map(|id| id.to_string()),
            org_id: None,
            submitted_on: Some(r.submitted_on.clone()),
            version: None,
            on: None,
        };
        let mut report = info::create(db, submitter, limit, &input).await?;
        if let Some(on) = &r.withdrawn_on {
            let step = InfoStepInput {
                action: "withdraw".into(),
                version: Some(report.version.to_string()),
                on: Some(on.clone()),
                ..Default::default()
            };
            info::step(db, submitter, report.id, &step).await?;
            continue;
        }
        if let Some(on) = &r.edited_on {
            let edit = InfoInput {
                version: Some(report.version.to_string()),
                on: Some(on.clone()),
                ..input.clone()
            };
            report = info::update(db, &staff, limit, report.id, &edit).await?;
        }
        if let Some(on) = &r.forwarded_on {
            let step = InfoStepInput {
                action: "forward".into(),
                version: Some(report.version.to_string()),
                on: Some(on.clone()),
                ..Default::default()
            };
            report = info::step(db, &staff, report.id, &step).await?;
        }
        for (_, mut step) in later_steps(r) {
            step.version = Some(report.version.to_string());
            report = info::step(db, &staff, report.id, &step).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::panic, clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::domain::info::{plan_met, quarter_of, AdoptionLevel, InfoKind};
    use chrono::{Datelike, NaiveDate};

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_demo_meets_the_plan_in_every_2011_quarter_but_the_third() {
        let demo = parse().unwrap();
        let mut forwarded = [[0i64; 2]; 4];
        for r in &demo.reports {
            let kind = InfoKind::parse("kind", &r.kind).unwrap();
            assert!(r.body.chars().count() <= DEFAULT_MAX_CHARS as usize);
            if let Some(f) = r.forwarded_on.as_deref().map(date) {
                assert!(f >= date(&r.submitted_on), "{}", r.title);
                if f.year() == 2011 {
                    let k = usize::from(kind == InfoKind::Work);
                    forwarded[(quarter_of(f) - 1) as usize][k] += 1;
                }
            }
            for a in &r.adoptions {
                AdoptionLevel::parse("level", &a.level).unwrap();
                assert!(r.forwarded_on.is_some(), "{}: adopted unforwarded", r.title);
            }
            assert!(r.withdrawn_on.is_none() || (r.by_member && r.forwarded_on.is_none()));
        }
        let met: Vec<bool> = forwarded.iter().map(|q| plan_met(q[0], q[1])).collect();
        assert_eq!(met, vec![true, true, false, true]);
    }

    #[test]
    fn the_demo_has_every_stage_and_the_seed_topics() {
        let demo = parse().unwrap();
        let r = &demo.reports;
        assert!(r.iter().any(|x| x.forwarded_on.is_none()
            && x.edited_on.is_none()
            && x.withdrawn_on.is_none()));
        assert!(r
            .iter()
            .any(|x| x.edited_on.is_some() && x.forwarded_on.is_none()));
        assert!(r.iter().any(|x| x.withdrawn_on.is_some()));
        assert!(r.iter().any(|x| x
            .adoptions
            .iter()
            .any(|a| a.level == "city" && a.publication.is_some())
            && x.adoptions.iter().any(|a| a.level == "district")));
        assert!(r
            .iter()
            .any(|x| x.instructions.iter().any(|i| i.leader == "区委副书记")));
        for topic in ["城中村", "创文", "爱馨老年公寓", "学校", "交通"] {
            assert!(
                r.iter()
                    .any(|x| x.title.contains(topic) || x.body.contains(topic)),
                "{topic}"
            );
        }
        for year in ["2011", "2012"] {
            assert!(r.iter().any(|x| x.submitted_on.starts_with(year)));
        }
    }
}
