//! Members: register, edit, list within one's subtree, and the duty file.

use serde::Deserialize;
use utoipa::ToSchema;

use super::{non_blank, Actor};
use crate::domain::dates::{parse_optional_date, parse_optional_id};
use crate::domain::id_number::{check_gender_matches_id, ResidentId};
use crate::domain::members::{parse_ethnicity, Gender, MemberStatus, Party, Term};
use crate::domain::orgs::OrgKind;
use crate::domain::paging::{parse_sort, PageRequest, SortDir};
use crate::domain::phone::MobilePhone;
use crate::domain::roles::Role;
use crate::domain::text::{optional_line, required_line, PersonName};
use crate::domain::validation::{FieldError, FieldErrors};
use crate::security::crypto::FieldCipher;
use crate::services::error::AppError;
use crate::storage::members::{Member, MemberFilter, MemberPlace, MemberSort, MemberValues};
use crate::storage::timeline::{NewTimelineEntry, TimelineEntry};
use crate::storage::{audit, is_unique_violation, members, orgs, timeline, users, Db};

/// A member as submitted by a form or the API, before validation. Every
/// field is text so that a form can be shown again exactly as typed.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct MemberInput {
    pub name: String,
    /// `male` or `female`; must agree with the ID number.
    pub gender: String,
    /// One of the 56 official ethnic groups, e.g. `汉族`.
    pub ethnicity: String,
    /// Party identifier: ccp, rcck, cdl, cndca, capd, cpwdp, zhigong, jiusan, tdsl, non_party, masses.
    pub party: String,
    /// 界别, e.g. `经济界`.
    pub sector: String,
    pub workplace: Option<String>,
    /// 职务 (stored as the member's title).
    pub position: Option<String>,
    /// Mainland mobile number.
    pub phone: String,
    /// 18-character resident ID number (checksum verified).
    pub id_number: String,
    /// 届次 as a number, e.g. `7`.
    pub term: String,
    /// active | ended | resigned | removed; `active` when empty.
    pub status: String,
    /// 任职日期, ISO `YYYY-MM-DD`; today when empty.
    pub joined_on: String,
    /// 离任日期, ISO `YYYY-MM-DD`, for a member no longer active (not before
    /// `joined_on`, not in the future); empty while active. Empty when a
    /// serving member's status changes: the day of the change.
    pub left_on: String,
    /// The committee the member belongs to; defaults to the group's committee
    /// or the user's own committee.
    pub org_id: Option<String>,
    pub group_id: Option<String>,
    /// For updates: the version that was read.
    pub version: Option<String>,
}

/// List parameters as they arrive in the query string.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct MemberQuery {
    pub q: Option<String>,
    pub group: Option<String>,
    pub sector: Option<String>,
    pub party: Option<String>,
    pub status: Option<String>,
    pub sort: Option<String>,
    pub dir: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
    /// Set by an export (never from the query string): every matching row.
    #[serde(skip)]
    pub all_rows: bool,
}

/// One page of members.
pub struct MemberPage {
    pub items: Vec<Member>,
    pub total: i64,
    pub page: PageRequest,
    pub sort: MemberSort,
    pub dir: SortDir,
}

const STAFF_ONLY: &[Role] = &[Role::Staff];

pub async fn list(db: &Db, actor: &Actor, query: &MemberQuery) -> Result<MemberPage, AppError> {
    actor.require(STAFF_ONLY)?;
    let mut errors = FieldErrors::new();
    let page = match PageRequest::parse_or_all(
        query.all_rows,
        query.page.as_deref(),
        query.per_page.as_deref(),
    ) {
        Ok(p) => Some(p),
        Err(e) => {
            errors.0.extend(e.0);
            None
        }
    };
    let sort = errors.check(parse_sort(query.sort.as_deref(), MemberSort::Name));
    let dir = errors.check(SortDir::parse(query.dir.as_deref()));
    let group_id = errors
        .check(parse_optional_id(
            "group",
            query.group.as_deref().unwrap_or(""),
        ))
        .flatten();
    let party = match non_blank(&query.party) {
        Some(p) => errors
            .check(Party::parse("party", p))
            .map(|p| p.as_str().to_string()),
        None => None,
    };
    let status = match non_blank(&query.status) {
        Some(s) => errors
            .check(MemberStatus::parse("status", s))
            .map(|s| s.as_str().to_string()),
        None => None,
    };
    let name = non_blank(&query.q).map(|q| q.chars().take(50).collect::<String>());
    let (Some(page), Some(sort), Some(dir)) = (page, sort, dir) else {
        return Err(AppError::BadRequest(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::BadRequest(errors));
    }
    let filter = MemberFilter {
        scope_path: actor.org_path.clone(),
        name,
        group_id,
        sector: non_blank(&query.sector).map(str::to_string),
        party,
        status,
    };
    use crate::domain::paging::SortKey;
    let (items, total) = members::list(
        db,
        &filter,
        sort.column(),
        dir.sql(),
        page.limit(),
        page.offset(),
    )
    .await?;
    Ok(MemberPage {
        items,
        total,
        page,
        sort,
        dir,
    })
}

/// The members of the staff's committee and below by name, to choose from
/// in a form: `(id, name)`; `active_only` leaves out those who have left.
pub async fn names(
    db: &Db,
    actor: &Actor,
    active_only: bool,
) -> Result<Vec<(i64, String)>, AppError> {
    actor.require(STAFF_ONLY)?;
    let filter = MemberFilter {
        scope_path: actor.org_path.clone(),
        status: active_only.then(|| MemberStatus::Active.as_str().to_string()),
        ..Default::default()
    };
    let (found, _) = members::list(db, &filter, "m.name_key", "ASC", 500, 0).await?;
    Ok(found.into_iter().map(|m| (m.id, m.name)).collect())
}

/// Active members of the staff's scope with their group, by name: the
/// people an activity may invite (its group's members are offered at once).
pub async fn invitable(
    db: &Db,
    actor: &Actor,
) -> Result<Vec<(i64, String, Option<i64>)>, AppError> {
    actor.require(STAFF_ONLY)?;
    let filter = MemberFilter {
        scope_path: actor.org_path.clone(),
        status: Some(MemberStatus::Active.as_str().to_string()),
        ..Default::default()
    };
    let (found, _) = members::list(db, &filter, "m.name_key", "ASC", 500, 0).await?;
    Ok(found
        .into_iter()
        .map(|m| (m.id, m.name, m.group_id))
        .collect())
}

/// The sectors (界别) the staff's members come from, for the list's filter.
pub async fn sectors(db: &Db, actor: &Actor) -> Result<Vec<String>, AppError> {
    actor.require(STAFF_ONLY)?;
    Ok(members::distinct_sectors(db, &actor.org_path).await?)
}

/// A member the actor may see: staff within their subtree, a member only
/// themself. Anything else is "not found", so ids reveal nothing.
pub async fn get(db: &Db, actor: &Actor, id: i64) -> Result<Member, AppError> {
    Ok(get_placed(db, actor, id).await?.0)
}

/// A member the actor may see, with where they sit.
async fn get_placed(db: &Db, actor: &Actor, id: i64) -> Result<(Member, MemberPlace), AppError> {
    let member = members::get(db, id).await?.ok_or(AppError::NotFound)?;
    let place = members::place(db, id).await?.ok_or(AppError::NotFound)?;
    match actor.role {
        Role::Staff if actor.sees(&place.org_path) => Ok((member, place)),
        Role::Staff => Err(AppError::NotFound),
        Role::Member if actor.member_id == Some(id) => Ok((member, place)),
        Role::Member => Err(AppError::NotFound),
        _ => Err(AppError::Forbidden),
    }
}

/// The duty file: the member, where they sit, and their timeline.
pub async fn duty_file(
    db: &Db,
    actor: &Actor,
    id: i64,
) -> Result<(Member, MemberPlace, Vec<TimelineEntry>), AppError> {
    let (member, place) = get_placed(db, actor, id).await?;
    let entries = timeline::for_member(db, id).await?;
    Ok((member, place, entries))
}

/// A submission's fields, checked: all but where the member sits.
struct Checked {
    name: PersonName,
    gender: Gender,
    ethnicity: String,
    party: Party,
    sector: String,
    workplace: Option<String>,
    title: Option<String>,
    phone: MobilePhone,
    id_number: ResidentId,
    term: Term,
    status: MemberStatus,
    joined_on: chrono::NaiveDate,
    left_on: Option<chrono::NaiveDate>,
}

/// The checks of the form that need no database, every problem recorded.
fn check_fields(input: &MemberInput, errors: &mut FieldErrors) -> Option<Checked> {
    let name = errors.check(PersonName::parse("name", &input.name));
    let gender = errors.check(Gender::parse("gender", &input.gender));
    let ethnicity = errors.check(parse_ethnicity("ethnicity", &input.ethnicity));
    let party = errors.check(Party::parse("party", &input.party));
    let sector = errors.check(required_line("sector", &input.sector, 30));
    let workplace = errors.check(optional_line(
        "workplace",
        input.workplace.as_deref().unwrap_or(""),
        100,
    ));
    let title = errors.check(optional_line(
        "position",
        input.position.as_deref().unwrap_or(""),
        100,
    ));
    let phone = errors.check(MobilePhone::parse("phone", &input.phone));
    let id_number = errors.check(ResidentId::parse("id_number", &input.id_number));
    let term = errors.check(Term::parse("term", &input.term));
    let status = if input.status.trim().is_empty() {
        Some(MemberStatus::Active)
    } else {
        errors.check(MemberStatus::parse("status", &input.status))
    };
    if let (Some(gender), Some(id)) = (gender, &id_number) {
        errors.check(check_gender_matches_id("gender", gender, id));
    }
    let today = crate::app::clock::today();
    let joined_on = match errors.check(parse_optional_date("joined_on", &input.joined_on)) {
        Some(Some(date)) if date > today => {
            errors.push(FieldError::new("joined_on", "date_in_future"));
            None
        }
        Some(Some(date)) if id_number.as_ref().is_some_and(|id| date <= id.birth_date()) => {
            errors.push(FieldError::new("joined_on", "joined_before_birth"));
            None
        }
        Some(date) => Some(date.unwrap_or(today)),
        None => None,
    };
    let left_on = match errors.check(parse_optional_date("left_on", &input.left_on)) {
        Some(Some(_)) if status.is_some_and(|s| s.is_active()) => {
            errors.push(FieldError::new("left_on", "left_while_active"));
            None
        }
        Some(Some(date)) if date > today => {
            errors.push(FieldError::new("left_on", "date_in_future"));
            None
        }
        Some(Some(date)) if joined_on.is_some_and(|j| date < j) => {
            errors.push(FieldError::new("left_on", "left_before_joined"));
            None
        }
        Some(date) => Some(date),
        None => None,
    };
    let (Some(name), Some(gender), Some(ethnicity), Some(party), Some(sector)) =
        (name, gender, ethnicity, party, sector)
    else {
        return None;
    };
    let (Some(workplace), Some(title), Some(phone), Some(id_number)) =
        (workplace, title, phone, id_number)
    else {
        return None;
    };
    let (Some(term), Some(status), Some(joined_on), Some(left_on)) =
        (term, status, joined_on, left_on)
    else {
        return None;
    };
    Some(Checked {
        name,
        gender,
        ethnicity,
        party,
        sector,
        workplace,
        title,
        phone,
        id_number,
        term,
        status,
        joined_on,
        left_on,
    })
}

/// The values to store for checked fields placed at `org_id` and `group_id`.
fn values_of(
    cipher: &FieldCipher,
    c: Checked,
    org_id: i64,
    group_id: Option<i64>,
) -> Result<MemberValues, AppError> {
    Ok(MemberValues {
        org_id,
        group_id,
        name: c.name.into_string(),
        gender: c.gender.as_str().to_string(),
        ethnicity: c.ethnicity,
        party: c.party.as_str().to_string(),
        sector: c.sector,
        workplace: c.workplace,
        title: c.title,
        phone_enc: cipher.encrypt(c.phone.as_str())?,
        phone_masked: c.phone.masked(),
        id_number_enc: cipher.encrypt(c.id_number.as_str())?,
        id_number_hash: cipher.lookup_hash(c.id_number.as_str()),
        id_number_masked: c.id_number.masked(),
        birth_date: c.id_number.birth_date(),
        joined_on: c.joined_on,
        left_on: c.left_on,
        term: i64::from(c.term.number()),
        status: c.status.as_str().to_string(),
    })
}

/// The form's checks of one submission whose committee and group are
/// already known and within the actor's scope (an import resolves them once
/// for the whole file): the values to store, or every problem at once.
pub(crate) fn validate_placed(
    cipher: &FieldCipher,
    input: &MemberInput,
    org_id: i64,
    group_id: Option<i64>,
) -> Result<MemberValues, AppError> {
    let mut errors = FieldErrors::new();
    let checked = check_fields(input, &mut errors);
    errors.into_result()?;
    let checked = checked.ok_or_else(|| AppError::internal("validated fields missing"))?;
    values_of(cipher, checked, org_id, group_id)
}

/// Validate a submission into the values to store; every problem is reported at once.
async fn validate(
    db: &Db,
    actor: &Actor,
    cipher: &FieldCipher,
    input: &MemberInput,
) -> Result<MemberValues, AppError> {
    let mut errors = FieldErrors::new();
    let checked = check_fields(input, &mut errors);
    let group_id = errors
        .check(parse_optional_id(
            "group_id",
            input.group_id.as_deref().unwrap_or(""),
        ))
        .flatten();
    let org_id = errors
        .check(parse_optional_id(
            "org_id",
            input.org_id.as_deref().unwrap_or(""),
        ))
        .flatten();

    // The group must be a group the actor sees; it decides the committee.
    let mut committee = None;
    if let Some(group_id) = group_id {
        match orgs::get_org(db, group_id).await? {
            Some(group) if group.kind == OrgKind::Group.as_str() && actor.sees(&group.path) => {
                committee = group.parent_id;
            }
            _ => errors.push(FieldError::new("group_id", "unknown_group")),
        }
    }
    let org_id = match (org_id, committee) {
        (Some(given), Some(of_group)) if given != of_group => {
            errors.push(FieldError::new("group_id", "group_not_in_org"));
            None
        }
        (Some(given), _) => match orgs::get_org(db, given).await? {
            Some(org) if org.kind != OrgKind::Group.as_str() && actor.sees(&org.path) => {
                Some(org.id)
            }
            _ => {
                errors.push(FieldError::new("org_id", "unknown_org"));
                None
            }
        },
        (None, Some(of_group)) => Some(of_group),
        (None, None) => Some(actor.org_id),
    };
    errors.into_result()?;
    let (Some(checked), Some(org_id)) = (checked, org_id) else {
        return Err(AppError::internal("validated fields missing"));
    };
    values_of(cipher, checked, org_id, group_id)
}

fn duplicate_id_number() -> AppError {
    AppError::Validation(FieldError::new("id_number", "id_number_taken").into())
}

/// What an audit row says about a member: never the plain ID or phone number.
pub(crate) fn audit_detail(v: &MemberValues) -> String {
    serde_json::json!({
        "name": v.name, "gender": v.gender, "ethnicity": v.ethnicity, "party": v.party,
        "sector": v.sector, "workplace": v.workplace, "position": v.title,
        "phone": v.phone_masked, "id_number": v.id_number_masked, "term": v.term,
        "status": v.status, "org_id": v.org_id, "group_id": v.group_id, "joined_on": v.joined_on,
        "left_on": v.left_on,
    })
    .to_string()
}

/// What an update's audit row says: the version it changed, and the values after.
pub(crate) fn update_audit_detail(before_version: i64, values: &MemberValues) -> String {
    serde_json::json!({ "before_version": before_version, "after": serde_json::from_str::<serde_json::Value>(&audit_detail(values)).unwrap_or_default() }).to_string()
}

pub async fn create(
    db: &Db,
    actor: &Actor,
    cipher: &FieldCipher,
    input: &MemberInput,
) -> Result<Member, AppError> {
    actor.require(STAFF_ONLY)?;
    let values = validate(db, actor, cipher, input).await?;
    let mut tx = db.begin().await?;
    let id = match members::insert(&mut tx, &values).await {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => return Err(duplicate_id_number()),
        Err(e) => return Err(e.into()),
    };
    timeline::insert(
        &mut tx,
        &NewTimelineEntry {
            member_id: id,
            occurred_on: values.joined_on,
            kind: "registered",
            title: &values.name,
            object_type: Some("member"),
            object_id: Some(id),
            created_by: Some(actor.user_id),
        },
    )
    .await?;
    audit::insert(
        &mut tx,
        &actor.audit("create", "member", id, Some(audit_detail(&values))),
    )
    .await?;
    tx.commit().await?;
    members::get(db, id).await?.ok_or(AppError::NotFound)
}

fn parse_version(input: &Option<String>) -> Result<i64, AppError> {
    non_blank(input)
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|v| *v > 0)
        .ok_or_else(|| AppError::Validation(FieldError::new("version", "version_required").into()))
}

pub async fn update(
    db: &Db,
    actor: &Actor,
    cipher: &FieldCipher,
    id: i64,
    input: &MemberInput,
) -> Result<Member, AppError> {
    actor.require(STAFF_ONLY)?;
    let before = get(db, actor, id).await?;
    let version = parse_version(&input.version)?;
    let mut values = validate(db, actor, cipher, input).await?;
    // A serving member whose status changes with no day given left today.
    if values.left_on.is_none() && values.status != before.status && before.status == "active" {
        values.left_on = Some(crate::app::clock::today());
    }
    let mut tx = db.begin().await?;
    let updated = match members::update(&mut tx, id, version, &values).await {
        Ok(updated) => updated,
        Err(e) if is_unique_violation(&e) => return Err(duplicate_id_number()),
        Err(e) => return Err(e.into()),
    };
    if !updated {
        return Err(AppError::Conflict("stale_version"));
    }
    audit::insert(
        &mut tx,
        &actor.audit(
            "update",
            "member",
            id,
            Some(update_audit_detail(before.version, &values)),
        ),
    )
    .await?;
    tx.commit().await?;
    members::get(db, id).await?.ok_or(AppError::NotFound)
}

/// Remove a member registered by mistake. A member with a duty record beyond
/// their registration, or with an account, is kept: set their status instead.
pub async fn delete(
    db: &Db,
    actor: &Actor,
    id: i64,
    version: &Option<String>,
) -> Result<(), AppError> {
    actor.require(STAFF_ONLY)?;
    let member = get(db, actor, id).await?;
    let version = parse_version(version)?;
    if timeline::count_for_member(db, id).await? > 1 || users::member_has_user(db, id).await? {
        return Err(AppError::Conflict("member_has_records"));
    }
    let mut tx = db.begin().await?;
    if !members::delete(&mut tx, id, version).await? {
        return Err(AppError::Conflict("stale_version"));
    }
    let detail = format!(
        "name={}; id_number={}",
        member.name, member.id_number_masked
    );
    audit::insert(&mut tx, &actor.audit("delete", "member", id, Some(detail))).await?;
    tx.commit().await?;
    Ok(())
}

/// The member's ID and phone numbers in full. Only staff may see them, and
/// every viewing is audited.
pub async fn reveal(
    db: &Db,
    actor: &Actor,
    cipher: &FieldCipher,
    id: i64,
) -> Result<(String, String), AppError> {
    actor.require(STAFF_ONLY)?;
    let member = get(db, actor, id).await?;
    let id_number = cipher
        .decrypt(&member.id_number_enc)
        .map_err(AppError::internal_from)?;
    let phone = cipher
        .decrypt(&member.phone_enc)
        .map_err(AppError::internal_from)?;
    let mut tx = db.begin().await?;
    audit::insert(
        &mut tx,
        &actor.audit("reveal_personal_data", "member", id, None),
    )
    .await?;
    tx.commit().await?;
    Ok((id_number, phone))
}
