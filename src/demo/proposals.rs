//! The demo committee's proposals (`demo/proposals.toml`), loaded through
//! the services so every step is validated, audited and on the timeline.
//! Steps of departments and authors other than the demo accounts run as
//! stand-in actors named `demo:<name>` in the audit log. Loading twice adds nothing.

use std::collections::HashMap;

use serde::Deserialize;

use super::actor_of;
use crate::domain::roles::Role;
use crate::services::error::AppError;
use crate::services::proposals::{self as service, ProposalInput, StepInput};
use crate::services::Actor;
use crate::storage::members::MemberFilter;
use crate::storage::{self, Db};

const PROPOSALS: &str = include_str!("../../demo/proposals.toml");

#[derive(Deserialize)]
struct DemoFile {
    committee: String,
    proposals: Vec<DemoProposal>,
}

#[derive(Deserialize)]
struct DemoProposal {
    title: String,
    body: String,
    category: String,
    #[serde(default)]
    lead: Option<String>,
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    cosigners: Vec<String>,
    #[serde(default)]
    submitted_on: Option<String>,
    #[serde(default)]
    draft: bool,
    steps: Vec<DemoStep>,
}

#[derive(Deserialize)]
struct DemoStep {
    action: String,
    on: String,
    #[serde(default)]
    by: Option<String>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    lead_department: Option<String>,
    #[serde(default)]
    co_departments: Vec<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    class: Option<String>,
    #[serde(default)]
    rating: Option<String>,
}

fn demo_error(what: &str) -> AppError {
    AppError::internal(format!("demo proposals: {what}"))
}

/// A stand-in for an author or a department without a demo account.
fn stand_in(base: &Actor, name: &str, role: Role) -> Actor {
    Actor {
        username: format!("demo:{name}"),
        display_name: name.to_string(),
        role,
        member_id: None,
        department_id: None,
        ..base.clone()
    }
}

pub async fn load_proposals(db: &Db) -> Result<(), AppError> {
    let demo: DemoFile = toml::from_str(PROPOSALS).map_err(|e| demo_error(&e.to_string()))?;
    let Some(committee) = storage::orgs::find_org_by_name(db, &demo.committee)
        .await?
        .into_iter()
        .next()
    else {
        return Ok(());
    };
    let Ok(staff) = actor_of(db, "staff").await else {
        return Ok(());
    };
    let mut names = Names::read(db, &committee, staff).await?;
    let mut created_now: Vec<(&DemoProposal, i64)> = Vec::new();
    for p in &demo.proposals {
        if names.proposals.contains_key(&p.title) {
            continue;
        }
        let id = create_proposal(db, &names, p).await?;
        names.proposals.insert(p.title.clone(), id);
        created_now.push((p, id));
    }
    // Steps run in date order across proposals, as they happened: a merge
    // finds its target accepted but not yet closed.
    let mut steps: Vec<(&DemoProposal, i64, &DemoStep)> = created_now
        .iter()
        .flat_map(|(p, id)| p.steps.iter().map(move |s| (*p, *id, s)))
        .collect();
    steps.sort_by(|a, b| a.2.on.cmp(&b.2.on));
    for (p, id, s) in steps {
        take_step(db, &names, p, id, s).await?;
    }
    Ok(())
}

/// What the demo file names, by name: members, departments, groups and the
/// proposals there already, with the accounts that act.
struct Names {
    staff: Actor,
    member_account: Option<Actor>,
    members: HashMap<String, i64>,
    departments: HashMap<String, i64>,
    groups: HashMap<String, i64>,
    proposals: HashMap<String, i64>,
}

impl Names {
    async fn read(db: &Db, committee: &storage::orgs::Org, staff: Actor) -> Result<Self, AppError> {
        let member_account = actor_of(db, "member").await.ok();
        let filter = MemberFilter {
            scope_path: committee.path.clone(),
            ..Default::default()
        };
        let (found, _) = storage::members::list(db, &filter, "m.id", "ASC", 1000, 0).await?;
        let members = found.into_iter().map(|m| (m.name, m.id)).collect();
        let departments = storage::orgs::list_departments(db, &staff.org_path)
            .await?
            .into_iter()
            .map(|d| (d.name, d.id))
            .collect();
        let groups = storage::orgs::list_orgs(db, &committee.path, Some("group"))
            .await?
            .into_iter()
            .map(|g| (g.name, g.id))
            .collect();
        let mut proposals = HashMap::new();
        for p in storage::proposals::for_index(db, None).await? {
            proposals.insert(p.title, p.id);
        }
        Ok(Self {
            staff,
            member_account,
            members,
            departments,
            groups,
            proposals,
        })
    }

    fn member(&self, name: &str) -> Result<i64, AppError> {
        self.members
            .get(name)
            .copied()
            .ok_or_else(|| demo_error(&format!("unknown member {name}")))
    }

    fn department(&self, name: &str) -> Result<i64, AppError> {
        self.departments
            .get(name)
            .copied()
            .ok_or_else(|| demo_error(&format!("unknown department {name}")))
    }

    fn group(&self, name: &str) -> Result<i64, AppError> {
        self.groups
            .get(name)
            .copied()
            .ok_or_else(|| demo_error(&format!("unknown group {name}")))
    }

    fn proposal(&self, title: &str) -> Result<i64, AppError> {
        self.proposals
            .get(title)
            .copied()
            .ok_or_else(|| demo_error(&format!("unknown target {title}")))
    }

    /// The member's own account when it has one, else a stand-in for the member.
    fn member_actor(&self, name: &str) -> Result<Actor, AppError> {
        let id = self.member(name)?;
        match &self.member_account {
            Some(a) if a.member_id == Some(id) => Ok(a.clone()),
            _ => Ok(Actor {
                member_id: Some(id),
                ..stand_in(&self.staff, name, Role::Member)
            }),
        }
    }
}

/// Enter (and submit, unless a draft) one proposal, with its cosignatures.
async fn create_proposal(db: &Db, names: &Names, p: &DemoProposal) -> Result<i64, AppError> {
    let author_actor = match (&p.lead, p.draft) {
        (Some(lead), true) => names.member_actor(lead)?,
        _ => names.staff.clone(),
    };
    let cosigner_ids = p
        .cosigners
        .iter()
        .map(|n| names.member(n).map(|id| id.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let input = ProposalInput {
        submitter_kind: Some(
            match (&p.lead, &p.group) {
                (Some(_), _) => "member",
                (None, Some(_)) => "group",
                _ => "committee",
            }
            .into(),
        ),
        lead_member_id: match (&p.lead, p.draft) {
            (Some(l), false) => Some(names.member(l)?.to_string()),
            _ => None,
        },
        group_id: match &p.group {
            Some(g) => Some(names.group(g)?.to_string()),
            None => None,
        },
        headline: p.title.clone(),
        text: p.body.clone(),
        category: p.category.clone(),
        cosigner_ids,
        submit: (!p.draft).then(|| "yes".into()),
        submitted_on: p.submitted_on.clone(),
        ..Default::default()
    };
    let created = service::create(db, &author_actor, &input).await?;
    for c in &p.cosigners {
        service::cosign(
            db,
            &names.member_actor(c)?,
            created.id,
            &service::CosignInput {
                response: "accepted".into(),
                // Signed with the proposal, as the paper form was.
                on: p.submitted_on.clone(),
            },
        )
        .await?;
    }
    Ok(created.id)
}

/// One lifecycle step of proposal `id`, by whoever the demo file says took it.
async fn take_step(
    db: &Db,
    names: &Names,
    p: &DemoProposal,
    id: i64,
    s: &DemoStep,
) -> Result<(), AppError> {
    let staff = &names.staff;
    let by = match (s.action.as_str(), &s.by) {
        ("rate", Some(name)) => names.member_actor(name)?,
        ("answer" | "view" | "return", Some(name)) => Actor {
            department_id: Some(names.department(name)?),
            ..stand_in(staff, name, Role::Department)
        },
        ("withdraw", _) => match &p.lead {
            Some(name) => names.member_actor(name)?,
            None => staff.clone(),
        },
        _ => staff.clone(),
    };
    let current = storage::proposals::get(db, id)
        .await?
        .ok_or_else(|| demo_error("proposal vanished"))?;
    let input = StepInput {
        action: s.action.clone(),
        version: Some(current.version.to_string()),
        on: Some(s.on.clone()),
        note: s.note.clone(),
        target_id: match &s.target {
            Some(t) => Some(names.proposal(t)?.to_string()),
            None => None,
        },
        lead_department_id: match &s.lead_department {
            Some(d) => Some(names.department(d)?.to_string()),
            None => None,
        },
        co_department_ids: s
            .co_departments
            .iter()
            .map(|d| names.department(d).map(|id| id.to_string()))
            .collect::<Result<Vec<_>, _>>()?,
        reply: s.text.clone(),
        answer_class: s.class.clone(),
        rating: s.rating.clone(),
        key: (s.action == "mark_key").then(|| "yes".into()),
        ..Default::default()
    };
    service::step(db, &by, id, &input, crate::domain::info::DEFAULT_MAX_CHARS)
        .await
        .map_err(|e| demo_error(&format!("{} {}: {e:?}", p.title, s.action)))?;
    Ok(())
}
