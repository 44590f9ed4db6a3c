//! The demo committee (`demo/committee.toml`), loaded through the same
//! services as real input, so the demo data passes every validation.

pub mod activities;
pub mod corpus;
pub mod info;
pub mod plans;
pub mod projects;
pub mod proposals;
pub mod reception;
pub mod scale;

use serde::Deserialize;

use crate::domain::roles::Role;
use crate::security::crypto::FieldCipher;
use crate::services::error::AppError;
use crate::services::members::{self, MemberInput};
use crate::services::users::{self as user_service, Creator, UserInput};
use crate::services::{auth, Actor};
use crate::storage::orgs::{self, Department, NewOrg, Org};
use crate::storage::{audit, Db};

const COMMITTEE: &str = include_str!("../../demo/committee.toml");

#[derive(Deserialize)]
struct DemoFile {
    district: String,
    committee: String,
    region: String,
    term: u8,
    joined_on: String,
    password: String,
    communities: Vec<String>,
    groups: Vec<String>,
    departments: Vec<DemoDepartment>,
    members: Vec<DemoMember>,
    users: Vec<DemoUser>,
}

#[derive(Deserialize)]
struct DemoDepartment {
    name: String,
    contact: String,
    #[serde(default)]
    level: Option<String>,
}

#[derive(Deserialize)]
struct DemoMember {
    name: String,
    gender: String,
    ethnicity: String,
    party: String,
    sector: String,
    workplace: String,
    title: String,
    phone: String,
    birth: String,
    seq: String,
    group: usize,
}

#[derive(Deserialize)]
struct DemoUser {
    username: String,
    display_name: String,
    role: String,
    level: String,
}

/// What was loaded, for the start-up message.
pub struct DemoLogins {
    pub password: String,
    /// (role, username)
    pub users: Vec<(String, String)>,
}

/// The check character of an 18-character ID number (ISO 7064 MOD 11-2).
fn id_check_char(first17: &str) -> char {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let sum: u32 = first17
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(10).unwrap_or(0) * w)
        .sum();
    CHECK[(sum % 11) as usize]
}

fn demo_error(what: &str) -> AppError {
    AppError::internal(format!("demo data: {what}"))
}

/// The demo account `username` as an actor.
async fn actor_of(db: &Db, username: &str) -> Result<Actor, AppError> {
    let user = crate::storage::users::find_by_username(db, username)
        .await?
        .ok_or_else(|| demo_error("demo account missing"))?;
    auth::actor_for_user(db, user.id, None)
        .await?
        .ok_or_else(|| demo_error("demo account unusable"))
}

/// Load the demo committee unless it is there already. Returns the logins.
pub async fn load(db: &Db, cipher: &FieldCipher) -> Result<DemoLogins, AppError> {
    let demo: DemoFile = toml::from_str(COMMITTEE).map_err(|e| demo_error(&e.to_string()))?;
    let logins = DemoLogins {
        password: demo.password.clone(),
        users: demo
            .users
            .iter()
            .map(|u| (u.role.clone(), u.username.clone()))
            .collect(),
    };
    if orgs::find_org_by_name(db, &demo.committee)
        .await?
        .is_empty()
    {
        let tree = insert_tree(db, &demo).await?;
        let (staff_id, member_user) = create_accounts(db, &demo, &tree).await?;
        let first_member = create_members(db, cipher, &demo, &tree, staff_id).await?;
        if let Some(mut input) = member_user {
            input.member_id = first_member.map(|id| id.to_string());
            user_service::create(db, Creator::Cli, &input, Some(Role::Member)).await?;
        }
    }
    crate::demo::reception::load_reception(db, cipher).await?;
    crate::demo::activities::load_activities(db, cipher).await?;
    crate::demo::proposals::load_proposals(db).await?;
    crate::demo::info::load_info(db).await?;
    crate::demo::projects::load_projects(db).await?;
    crate::demo::plans::load_plans(db).await?;
    Ok(logins)
}

/// The demo committee's organisations.
struct Tree {
    district: Org,
    committee: Org,
    groups: Vec<Org>,
    departments: Vec<Department>,
}

/// The tree, communities and departments in one transaction.
async fn insert_tree(db: &Db, demo: &DemoFile) -> Result<Tree, AppError> {
    let mut tx = db.begin().await?;
    let district = orgs::insert_org(
        &mut tx,
        &NewOrg {
            parent: None,
            kind: "district",
            name: &demo.district,
            community_id: None,
        },
    )
    .await?;
    let committee = orgs::insert_org(
        &mut tx,
        &NewOrg {
            parent: Some(&district),
            kind: "subdistrict",
            name: &demo.committee,
            community_id: None,
        },
    )
    .await?;
    let mut groups = Vec::new();
    for (community_name, group_name) in demo.communities.iter().zip(&demo.groups) {
        let community = orgs::insert_community(&mut tx, committee.id, community_name).await?;
        let group = orgs::insert_org(
            &mut tx,
            &NewOrg {
                parent: Some(&committee),
                kind: "group",
                name: group_name,
                community_id: Some(community.id),
            },
        )
        .await?;
        groups.push(group);
    }
    let mut departments = Vec::new();
    for d in &demo.departments {
        let owner = if d.level.as_deref() == Some("committee") {
            committee.id
        } else {
            district.id
        };
        departments.push(orgs::insert_department(&mut tx, owner, &d.name, Some(&d.contact)).await?);
    }
    audit::insert(
        &mut tx,
        &user_service::cli_audit(
            "demo_load",
            "org",
            committee.id,
            format!("committee={}", demo.committee),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Tree {
        district,
        committee,
        groups,
        departments,
    })
}

/// Accounts, through the same service as the CLI's `user add`: the staff
/// account's id, and the member's account, made once its member exists.
async fn create_accounts(
    db: &Db,
    demo: &DemoFile,
    tree: &Tree,
) -> Result<(Option<i64>, Option<UserInput>), AppError> {
    let mut member_user = None;
    let mut staff_id = None;
    for u in &demo.users {
        let role = Role::parse("role", &u.role).map_err(|_| demo_error("unknown role"))?;
        let org_id = if u.level == "committee" {
            tree.committee.id
        } else {
            tree.district.id
        };
        let input = UserInput {
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            org_id: Some(org_id.to_string()),
            member_id: None,
            department_id: (role == Role::Department)
                .then(|| tree.departments.first().map(|d| d.id.to_string()))
                .flatten(),
            password: Some(demo.password.clone()),
        };
        if role == Role::Member {
            member_user = Some(input);
            continue;
        }
        let (user, _) = user_service::create(db, Creator::Cli, &input, Some(role)).await?;
        if role == Role::Staff {
            staff_id = Some(user.id);
        }
    }
    Ok((staff_id, member_user))
}

/// Members, entered as the committee's staff would. Returns the first one's id.
async fn create_members(
    db: &Db,
    cipher: &FieldCipher,
    demo: &DemoFile,
    tree: &Tree,
    staff_id: Option<i64>,
) -> Result<Option<i64>, AppError> {
    let staff_id = staff_id.ok_or_else(|| demo_error("no staff account"))?;
    let staff: Actor = auth::actor_for_user(db, staff_id, None)
        .await?
        .ok_or_else(|| demo_error("staff account unusable"))?;
    let mut first_member = None;
    for m in &demo.members {
        let first17 = format!("{}{}{}", demo.region, m.birth, m.seq);
        let group = tree
            .groups
            .get(m.group.saturating_sub(1))
            .ok_or_else(|| demo_error("unknown group"))?;
        let input = MemberInput {
            name: m.name.clone(),
            gender: m.gender.clone(),
            ethnicity: m.ethnicity.clone(),
            party: m.party.clone(),
            sector: m.sector.clone(),
            workplace: Some(m.workplace.clone()),
            position: Some(m.title.clone()),
            phone: m.phone.clone(),
            id_number: format!("{first17}{}", id_check_char(&first17)),
            term: demo.term.to_string(),
            status: "active".into(),
            joined_on: demo.joined_on.clone(),
            left_on: String::new(),
            org_id: None,
            group_id: Some(group.id.to_string()),
            version: None,
        };
        let member = members::create(db, &staff, cipher, &input).await?;
        // The demo's records are from 2011: so is their registration.
        if let Some(joined) = member.joined_on.and_hms_opt(9, 0, 0) {
            crate::storage::members::set_created_at(db, member.id, joined.and_utc()).await?;
        }
        first_member.get_or_insert(member.id);
    }
    Ok(first_member)
}

#[cfg(test)]
#[allow(clippy::panic, clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn check_char_matches_the_published_sample() {
        assert_eq!(id_check_char("11010519491231002"), 'X');
    }

    #[test]
    fn demo_file_has_the_seed_committee() {
        let demo: DemoFile = toml::from_str(COMMITTEE).unwrap();
        assert_eq!(demo.members.len(), 14);
        assert_eq!(demo.groups.len(), 4);
        assert_eq!(demo.communities.len(), 4);
        for named in ["孟爱云", "孙郑华", "豆雨霞"] {
            assert!(
                demo.members.iter().any(|m| m.name == named),
                "{named} missing"
            );
        }
        for g in 1..=4 {
            assert!(demo.members.iter().any(|m| m.group == g), "group {g} empty");
        }
    }
}
