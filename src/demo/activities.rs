//! The demo committee's activities and awards (`demo/activities.toml`),
//! loaded through the services as staff (and a member's own log through the
//! member account), so they pass every validation. Loading twice adds nothing.

use std::collections::HashMap;

use serde::Deserialize;

use super::actor_of;
use crate::security::crypto::FieldCipher;
use crate::services::activities::{self as activities, ActivityInput, ReportInput};
use crate::services::awards::{self as awards, AwardInput};
use crate::services::error::AppError;
use crate::services::Actor;
use crate::storage::members::MemberFilter;
use crate::storage::{self, Db};

const ACTIVITIES: &str = include_str!("../../demo/activities.toml");

#[derive(Deserialize)]
struct DemoFile {
    committee: String,
    activities: Vec<DemoActivity>,
    awards: Vec<DemoAward>,
}

#[derive(Deserialize)]
struct DemoActivity {
    kind: String,
    title: String,
    held_on: String,
    place: String,
    organiser: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    amount_yuan: Option<i64>,
    #[serde(default)]
    five_ones: Option<String>,
    #[serde(default)]
    invite: Vec<String>,
    #[serde(default)]
    present: Vec<String>,
    #[serde(default)]
    excused: Vec<(String, String)>,
    #[serde(default)]
    logged_by_member: bool,
    #[serde(default)]
    report: Option<DemoReport>,
}

#[derive(Deserialize)]
struct DemoReport {
    title: String,
    body: String,
    submitted_to: String,
    submitted_on: String,
}

#[derive(Deserialize)]
struct DemoAward {
    member: String,
    year: i32,
    category: String,
    title: String,
    evidence: String,
    status: String,
}

fn demo_error(what: &str) -> AppError {
    AppError::internal(format!("demo activities: {what}"))
}

/// Load the demo activities and awards into the demo committee, skipping
/// those already there.
pub async fn load_activities(db: &Db, _cipher: &FieldCipher) -> Result<(), AppError> {
    let demo: DemoFile = toml::from_str(ACTIVITIES).map_err(|e| demo_error(&e.to_string()))?;
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
    let id_of = |name: &str| member_id(&ids, name);

    for a in &demo.activities {
        let held_on = crate::domain::dates::parse_date("held_on", &a.held_on)
            .map_err(|_| demo_error("bad date"))?;
        if storage::activities::find_by_title(db, committee.id, &a.title, held_on)
            .await?
            .is_some()
        {
            continue;
        }
        let input = ActivityInput {
            kind: a.kind.clone(),
            title: a.title.clone(),
            held_on: a.held_on.clone(),
            place: a.place.clone(),
            organiser: a.organiser.clone(),
            description: a.description.clone(),
            amount_yuan: a.amount_yuan.map(|v| v.to_string()),
            five_ones: a.five_ones.clone(),
            org_id: None,
            group_id: None,
            version: None,
        };
        if a.logged_by_member {
            // A member's own log, approved by staff.
            let Some(member) = &member_account else {
                continue;
            };
            let logged = activities::create(db, member, &input).await?;
            activities::decide(
                db,
                &staff,
                logged.id,
                "approve",
                None,
                &Some(logged.version.to_string()),
            )
            .await?;
            continue;
        }
        let activity = activities::create(db, &staff, &input).await?;
        let invited: Vec<String> = a
            .invite
            .iter()
            .map(|n| id_of(n).map(|id| id.to_string()))
            .collect::<Result<_, _>>()?;
        if !invited.is_empty() {
            activities::invite(db, &staff, activity.id, &invited).await?;
        }
        for name in &a.invite {
            let id = id_of(name)?.to_string();
            let (attendance, reason) = if a.present.contains(name) {
                ("present", None)
            } else if let Some((_, why)) = a.excused.iter().find(|(n, _)| n == name) {
                ("excused", Some(why.as_str()))
            } else {
                ("absent", None)
            };
            activities::record_attendance(db, &staff, activity.id, &id, attendance, reason).await?;
        }
        if let Some(r) = &a.report {
            let report = ReportInput {
                title: r.title.clone(),
                body: r.body.clone(),
                submitted_to: r.submitted_to.clone(),
                submitted_on: r.submitted_on.clone(),
                version: None,
            };
            activities::save_report(db, &staff, activity.id, &report).await?;
        }
    }

    load_awards(db, &staff, &demo.awards, &ids).await
}

fn member_id(ids: &HashMap<String, i64>, name: &str) -> Result<i64, AppError> {
    ids.get(name)
        .copied()
        .ok_or_else(|| demo_error(&format!("unknown member {name}")))
}

/// The awards, each unless the member has it already for that year.
async fn load_awards(
    db: &Db,
    staff: &Actor,
    demo_awards: &[DemoAward],
    ids: &HashMap<String, i64>,
) -> Result<(), AppError> {
    for w in demo_awards {
        let member_id = member_id(ids, &w.member)?;
        let existing = storage::awards::list(
            db,
            &storage::awards::AwardFilter {
                member_id: Some(member_id),
                year: Some(i64::from(w.year)),
                ..Default::default()
            },
        )
        .await?;
        if existing.iter().any(|x| x.title == w.title) {
            continue;
        }
        let input = AwardInput {
            member_id: member_id.to_string(),
            year: w.year.to_string(),
            category: w.category.clone(),
            title: w.title.clone(),
            evidence: w.evidence.clone(),
            status: w.status.clone(),
            level: String::new(),
        };
        awards::create(db, staff, &input).await?;
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::panic, clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::domain::activities::{ActivityKind, FiveOnesItem};

    #[test]
    fn demo_activities_follow_the_seed() {
        let demo: DemoFile = toml::from_str(ACTIVITIES).unwrap();
        let lantern = &demo.activities[0];
        assert!(lantern.title.contains("爱馨老年公寓"));
        assert_eq!(lantern.amount_yuan, Some(2000));
        assert!(demo
            .activities
            .iter()
            .any(|a| a.title.contains("大学路小学")));
        for year in ["2011", "2012"] {
            let studies = demo
                .activities
                .iter()
                .filter(|a| a.kind == "study" && a.held_on.starts_with(year))
                .count();
            assert_eq!(studies, 4, "quarterly study sessions in {year}");
        }
        let hearings = demo
            .activities
            .iter()
            .filter(|a| a.kind == "party_hearing" && a.held_on.starts_with("2012"))
            .count();
        assert_eq!(hearings, 2);
        assert!(demo
            .activities
            .iter()
            .any(|a| a.kind == "research" && a.report.is_some()));
        for a in &demo.activities {
            let kind = ActivityKind::parse("kind", &a.kind).unwrap();
            if let Some(f) = &a.five_ones {
                assert!(FiveOnesItem::parse("five_ones", f)
                    .unwrap()
                    .allowed_for(kind));
            }
            for p in &a.present {
                assert!(
                    a.invite.contains(p),
                    "{}: {p} present but not invited",
                    a.title
                );
            }
        }
        assert!(demo.awards[0].evidence.contains("2000万元"));
    }
}
