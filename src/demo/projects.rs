//! The demo committee's key projects (`demo/projects.toml`): the seed's
//! 2011 projects with their figures, entered through the services as the
//! committee's staff would (so every amount and update is validated and
//! audited). Loading twice adds nothing.

use serde::Deserialize;

use super::actor_of;
use crate::services::error::AppError;
use crate::services::projects::{self as service, ProjectInput, UpdateInput};
use crate::storage::{self, Db};

pub(crate) const PROJECTS: &str = include_str!("../../demo/projects.toml");

#[derive(Deserialize)]
pub(crate) struct DemoFile {
    pub committee: String,
    pub year: i32,
    pub projects: Vec<DemoProject>,
}

#[derive(Deserialize)]
pub(crate) struct DemoProject {
    pub name: String,
    pub kind: String,
    pub status: String,
    #[serde(default)]
    pub total_investment: Option<String>,
    #[serde(default)]
    pub annual_target: Option<String>,
    #[serde(default)]
    pub households: Option<i64>,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub updates: Vec<DemoUpdate>,
}

#[derive(Deserialize)]
pub(crate) struct DemoUpdate {
    pub on: String,
    #[serde(default)]
    pub invested: Option<String>,
    #[serde(default)]
    pub compensated: Option<i64>,
    #[serde(default)]
    pub demolished: Option<i64>,
    #[serde(default)]
    pub note: Option<String>,
}

pub(crate) fn parse() -> Result<DemoFile, AppError> {
    toml::from_str(PROJECTS).map_err(|e| AppError::internal(format!("demo projects: {e}")))
}

/// Load the demo projects into the demo committee, skipping those already there.
pub async fn load_projects(db: &Db) -> Result<(), AppError> {
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
    for p in &demo.projects {
        let found =
            storage::projects::find_by_name(db, committee.id, i64::from(demo.year), &p.name)
                .await?;
        if found.is_some() {
            continue;
        }
        let input = ProjectInput {
            org_id: Some(committee.id.to_string()),
            year: demo.year.to_string(),
            project_name: p.name.clone(),
            kind: p.kind.clone(),
            status: p.status.clone(),
            total_investment: p.total_investment.clone(),
            annual_target: p.annual_target.clone(),
            households: p.households.map(|h| h.to_string()),
            notes: p.notes.clone(),
            version: None,
        };
        let project = service::create(db, &staff, &input).await?;
        let mut version = project.version;
        for u in &p.updates {
            let update = UpdateInput {
                on: Some(u.on.clone()),
                invested: u.invested.clone(),
                compensated: u.compensated.map(|n| n.to_string()),
                demolished: u.demolished.map(|n| n.to_string()),
                note: u.note.clone(),
                version: Some(version.to_string()),
            };
            version = service::add_update(db, &staff, project.id, &update)
                .await?
                .project
                .version;
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::panic, clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::domain::projects::{count, ProjectKind, ProjectStatus};

    #[test]
    fn the_demo_holds_the_seeds_projects() {
        let demo = parse().unwrap();
        let pairs: Vec<(ProjectKind, ProjectStatus)> = demo
            .projects
            .iter()
            .map(|p| {
                (
                    ProjectKind::parse("kind", &p.kind).unwrap(),
                    ProjectStatus::parse("status", &p.status).unwrap(),
                )
            })
            .collect();
        let c = count(&pairs);
        assert_eq!((c.key, c.self_set), (7, 4));
        assert_eq!(c.by_status[0], (ProjectStatus::UnderConstruction, 3));
        assert_eq!(c.by_status[1], (ProjectStatus::Continuing, 3));
        for named in [
            "二七万达广场",
            "高砦城中村改造",
            "孙八砦城中村改造",
            "万达广场安置区",
            "富华花苑二期",
            "东方威尼斯水世界大酒店",
            "润翔京沙广场",
        ] {
            assert!(
                demo.projects
                    .iter()
                    .any(|p| p.name == named && p.kind == "key"),
                "{named}"
            );
        }
    }
}
