//! Organisations, member groups, communities and departments.

use serde::Deserialize;
use utoipa::ToSchema;

use super::{non_blank, Actor};
use crate::domain::dates::parse_optional_id;
use crate::domain::orgs::{validate_parent, OrgKind};
use crate::domain::roles::Role;
use crate::domain::text::{optional_line, required_line};
use crate::domain::validation::{FieldError, FieldErrors};
use crate::services::error::AppError;
use crate::storage::orgs::{Community, Department, NewOrg, Org};
use crate::storage::{audit, is_unique_violation, orgs, Db};

const MANAGERS: &[Role] = &[Role::Admin, Role::Staff];

/// A new organisation or group as submitted.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct OrgInput {
    pub name: String,
    /// province | city | district | subdistrict | group
    pub kind: String,
    pub parent_id: Option<String>,
    /// For a group: the community it is linked to.
    pub community_id: Option<String>,
}

/// A new community or department as submitted.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct UnitInput {
    pub name: String,
    /// The owning organisation; the user's own when empty.
    pub org_id: Option<String>,
    /// Departments only: a contact person or office telephone.
    pub contact: Option<String>,
}

/// Organisations within the actor's subtree, optionally of one kind.
pub async fn list(db: &Db, actor: &Actor, kind: Option<OrgKind>) -> Result<Vec<Org>, AppError> {
    actor.require(&[Role::Admin, Role::Security, Role::Staff])?;
    Ok(orgs::list_orgs(db, &actor.org_path, kind.map(|k| k.as_str())).await?)
}

/// An organisation within the actor's subtree.
pub async fn get(db: &Db, actor: &Actor, id: i64) -> Result<Org, AppError> {
    actor.require(&[Role::Admin, Role::Security, Role::Staff])?;
    match orgs::get_org(db, id).await? {
        Some(org) if actor.sees(&org.path) => Ok(org),
        _ => Err(AppError::NotFound),
    }
}

/// Resolve an organisation id or exact name, as the CLI's `--org` takes it.
pub async fn resolve(db: &Db, id_or_name: &str) -> Result<Org, AppError> {
    let not_found = || AppError::Validation(FieldError::new("org", "unknown_org").into());
    if let Ok(id) = id_or_name.trim().parse::<i64>() {
        return orgs::get_org(db, id).await?.ok_or_else(not_found);
    }
    let mut found = orgs::find_org_by_name(db, id_or_name.trim()).await?;
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(not_found()),
        _ => Err(AppError::Validation(
            FieldError::new("org", "org_name_ambiguous").into(),
        )),
    }
}

/// Create an organisation. Admins create any kind; staff create groups only.
pub async fn create(db: &Db, actor: &Actor, input: &OrgInput) -> Result<Org, AppError> {
    actor.require(MANAGERS)?;
    let mut errors = FieldErrors::new();
    let name = errors.check(required_line("name", &input.name, 50));
    let kind = errors.check(OrgKind::parse("kind", &input.kind));
    let parent_id = errors
        .check(parse_optional_id(
            "parent_id",
            input.parent_id.as_deref().unwrap_or(""),
        ))
        .flatten();
    let community_id = errors
        .check(parse_optional_id(
            "community_id",
            input.community_id.as_deref().unwrap_or(""),
        ))
        .flatten();
    if actor.role == Role::Staff && kind.is_some_and(|k| k != OrgKind::Group) {
        return Err(AppError::Forbidden);
    }
    let parent = match parent_id {
        Some(id) => match orgs::get_org(db, id).await? {
            Some(p) if actor.sees(&p.path) => Some(p),
            _ => {
                errors.push(FieldError::new("parent_id", "unknown_org"));
                None
            }
        },
        None => None,
    };
    if let Some(kind) = kind {
        if parent_id.is_none() || parent.is_some() {
            let parent_kind = parent
                .as_ref()
                .and_then(|p| OrgKind::parse("parent_id", &p.kind).ok());
            errors.check(validate_parent("parent_id", parent_kind, kind));
        }
        // Only an administrator of the whole installation starts a new tree.
        if parent_id.is_none() && actor.org_path != format!("/{}/", actor.org_id) {
            errors.push(FieldError::new("parent_id", "org_parent_required"));
        }
        if community_id.is_some() && kind != OrgKind::Group {
            errors.push(FieldError::new("community_id", "community_only_for_groups"));
        }
    }
    if let (Some(community_id), Some(parent)) = (community_id, &parent) {
        match orgs::get_community(db, community_id).await? {
            Some(c) if c.org_id == parent.id => {}
            _ => errors.push(FieldError::new("community_id", "unknown_community")),
        }
    }
    errors.into_result()?;
    let (Some(name), Some(kind)) = (name, kind) else {
        return Err(AppError::internal("validated fields missing"));
    };
    let mut tx = db.begin().await?;
    let new = NewOrg {
        parent: parent.as_ref(),
        kind: kind.as_str(),
        name: &name,
        community_id,
    };
    let org = match orgs::insert_org(&mut tx, &new).await {
        Ok(org) => org,
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::Validation(
                FieldError::new("name", "name_taken").into(),
            ))
        }
        Err(e) => return Err(e.into()),
    };
    let detail =
        serde_json::json!({"kind": org.kind, "name": org.name, "parent_id": org.parent_id})
            .to_string();
    audit::insert(&mut tx, &actor.audit("create", "org", org.id, Some(detail))).await?;
    tx.commit().await?;
    Ok(org)
}

/// The owning organisation of a new community or department: given, or the actor's own.
async fn owner(
    db: &Db,
    actor: &Actor,
    org_id: &Option<String>,
    errors: &mut FieldErrors,
) -> Result<Option<Org>, AppError> {
    let id = errors
        .check(parse_optional_id("org_id", org_id.as_deref().unwrap_or("")))
        .flatten();
    let id = id.unwrap_or(actor.org_id);
    Ok(match orgs::get_org(db, id).await? {
        Some(org) if actor.sees(&org.path) && org.kind != OrgKind::Group.as_str() => Some(org),
        _ => {
            errors.push(FieldError::new("org_id", "unknown_org"));
            None
        }
    })
}

pub async fn list_communities(db: &Db, actor: &Actor) -> Result<Vec<Community>, AppError> {
    actor.require(MANAGERS)?;
    Ok(orgs::list_communities(db, &actor.org_path).await?)
}

pub async fn create_community(
    db: &Db,
    actor: &Actor,
    input: &UnitInput,
) -> Result<Community, AppError> {
    actor.require(MANAGERS)?;
    let mut errors = FieldErrors::new();
    let name = errors.check(required_line("name", &input.name, 50));
    let org = owner(db, actor, &input.org_id, &mut errors).await?;
    errors.into_result()?;
    let (Some(name), Some(org)) = (name, org) else {
        return Err(AppError::internal("validated fields missing"));
    };
    let mut tx = db.begin().await?;
    let community = match orgs::insert_community(&mut tx, org.id, &name).await {
        Ok(c) => c,
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::Validation(
                FieldError::new("name", "name_taken").into(),
            ))
        }
        Err(e) => return Err(e.into()),
    };
    audit::insert(
        &mut tx,
        &actor.audit(
            "create",
            "community",
            community.id,
            Some(serde_json::json!({"name": name, "org_id": org.id}).to_string()),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(community)
}

pub async fn list_departments(db: &Db, actor: &Actor) -> Result<Vec<Department>, AppError> {
    match actor.role {
        Role::Admin | Role::Staff => Ok(orgs::list_departments(db, &actor.org_path).await?),
        // A handler sees their own department only.
        Role::Department => {
            let own = match actor.department_id {
                Some(id) => orgs::get_department(db, id).await?,
                None => None,
            };
            Ok(own.into_iter().collect())
        }
        _ => Err(AppError::Forbidden),
    }
}

/// A department's name and contact as the form checks them (an import too).
pub(crate) fn check_department(
    input: &UnitInput,
    errors: &mut FieldErrors,
) -> Option<(String, Option<String>)> {
    let name = errors.check(required_line("name", &input.name, 80));
    let contact = errors.check(optional_line(
        "contact",
        non_blank(&input.contact).unwrap_or(""),
        100,
    ));
    Some((name?, contact?))
}

pub async fn create_department(
    db: &Db,
    actor: &Actor,
    input: &UnitInput,
) -> Result<Department, AppError> {
    actor.require(MANAGERS)?;
    let mut errors = FieldErrors::new();
    let fields = check_department(input, &mut errors);
    let org = owner(db, actor, &input.org_id, &mut errors).await?;
    errors.into_result()?;
    let (Some((name, contact)), Some(org)) = (fields, org) else {
        return Err(AppError::internal("validated fields missing"));
    };
    let mut tx = db.begin().await?;
    let department = match orgs::insert_department(&mut tx, org.id, &name, contact.as_deref()).await
    {
        Ok(d) => d,
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::Validation(
                FieldError::new("name", "name_taken").into(),
            ))
        }
        Err(e) => return Err(e.into()),
    };
    audit::insert(
        &mut tx,
        &actor.audit(
            "create",
            "department",
            department.id,
            Some(serde_json::json!({"name": name, "org_id": org.id}).to_string()),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(department)
}

/// The name of the committee that takes citizens' cases at `id` (a district
/// or sub-district committee), for the public form; `None` for anything else.
pub async fn public_committee_name(db: &Db, id: i64) -> Result<Option<String>, AppError> {
    let org = orgs::get_org(db, id).await?;
    Ok(org
        .filter(|o| o.kind == "subdistrict" || o.kind == "district")
        .map(|o| o.name))
}
