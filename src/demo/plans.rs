//! The demo committee's work plans: the seed's 2012 plan (the built-in
//! template) and the same plan for 2011, the year of the demo's records, so
//! that the status page shows statuses computed from them. Entered through
//! the services as the committee's staff would (validated and audited).
//! Loading twice adds nothing.

use super::actor_of;
use crate::services::error::AppError;
use crate::services::plans::{self as service, PlanInput};
use crate::storage::{self, Db};

/// The demo's committee (as in `demo/committee.toml`).
const COMMITTEE: &str = "长江路街道政协工委";
/// The years that get the template's plan.
pub const YEARS: [i32; 2] = [2011, 2012];

/// Give the demo committee its plans, skipping a year that has one.
pub async fn load_plans(db: &Db) -> Result<(), AppError> {
    let Some(committee) = storage::orgs::find_org_by_name(db, COMMITTEE)
        .await?
        .into_iter()
        .next()
    else {
        return Ok(());
    };
    let Ok(staff) = actor_of(db, "staff").await else {
        return Ok(());
    };
    for year in YEARS {
        if service::of_year(db, committee.id, year).await?.is_some() {
            continue;
        }
        let input = PlanInput {
            org_id: Some(committee.id.to_string()),
            year: Some(year.to_string()),
            template: Some("2012".into()),
            ..PlanInput::default()
        };
        service::create(db, &staff, &input).await?;
    }
    Ok(())
}
