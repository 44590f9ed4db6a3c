//! Key projects (重点项目) and their dated progress updates. The updates are
//! append-only (triggers on both engines); no percentage is stored.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::{Arg, Args, Db, Tx};
use crate::domain::projects::{ProjectKind, ProjectStatus, ProjectUpdate};
use crate::{bind_args, on_db, on_tx};

#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct Project {
    pub id: i64,
    /// The committee that follows it.
    pub org_id: i64,
    pub org_name: String,
    /// The year it is reported for (its target is that year's).
    pub year: i64,
    /// The project's name; `project_name` in the API, as in its input.
    #[serde(rename = "project_name")]
    pub name: String,
    pub kind: ProjectKind,
    pub status: ProjectStatus,
    /// 总投资, whole 元.
    pub total_investment: Option<i64>,
    /// 年度目标: the year's planned investment, whole 元.
    pub annual_target: Option<i64>,
    /// Households to compensate (urban-village redevelopment).
    pub households: Option<i64>,
    pub notes: String,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version: send it back with an edit or an update.
    pub version: i64,
}

const COLUMNS: &str = "p.id, p.org_id, o.name AS org_name, p.year, p.name, p.kind, p.status, \
    p.total_investment, p.annual_target, p.households, p.notes, p.created_by, p.created_at, \
    p.updated_at, p.version";
const FROM: &str = " FROM projects p JOIN orgs o ON o.id = p.org_id";

/// One dated progress report, as stored.
#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct UpdateRow {
    pub id: i64,
    pub project_id: i64,
    /// The date the figures are as of.
    pub occurred_on: NaiveDate,
    /// Invested this year to date, whole 元.
    pub invested: Option<i64>,
    /// Households compensated (已兑付) to date.
    pub compensated: Option<i64>,
    /// Households demolished (已拆除) to date.
    pub demolished: Option<i64>,
    pub note: String,
    pub user_id: Option<i64>,
    pub username: Option<String>,
    /// Who entered it (display name).
    pub user_name: Option<String>,
    pub at: DateTime<Utc>,
}

impl UpdateRow {
    /// The update as the domain's rules read it.
    pub fn as_domain(&self) -> ProjectUpdate {
        ProjectUpdate {
            on: self.occurred_on,
            invested: self.invested,
            compensated: self.compensated,
            demolished: self.demolished,
            note: self.note.clone(),
        }
    }
}

const UPDATE_COLUMNS: &str = "u.id, u.project_id, u.occurred_on, u.invested, u.compensated, \
    u.demolished, u.note, u.user_id, u.username, us.display_name AS user_name, u.at";
const UPDATE_FROM: &str = " FROM project_updates u LEFT JOIN users us ON us.id = u.user_id";

pub struct ProjectValues {
    pub org_id: i64,
    pub year: i64,
    pub name: String,
    pub kind: ProjectKind,
    pub status: ProjectStatus,
    pub total_investment: Option<i64>,
    pub annual_target: Option<i64>,
    pub households: Option<i64>,
    pub notes: String,
}

pub struct NewUpdate<'a> {
    pub project_id: i64,
    pub update: &'a ProjectUpdate,
    pub user_id: Option<i64>,
    pub username: Option<&'a str>,
}

#[derive(Debug, Clone, Default)]
pub struct ProjectFilter {
    /// Projects of the committees within this path.
    pub scope_path: String,
    pub year: Option<i64>,
    pub kind: Option<ProjectKind>,
    pub status: Option<ProjectStatus>,
}

fn filtered(db: &Db, f: &ProjectFilter, select: &str) -> (String, Args) {
    let mut args = Args::default();
    let p = args.push(Arg::Text(f.scope_path.clone()));
    let mut sql = format!(
        "{select}{FROM} WHERE p.org_id IN {}",
        super::scope_ids(db, &p)
    );
    if let Some(y) = f.year {
        let p = args.push(Arg::Int(y));
        sql.push_str(&format!(" AND p.year = {p}"));
    }
    if let Some(k) = f.kind {
        let p = args.push(Arg::Text(k.as_str().into()));
        sql.push_str(&format!(" AND p.kind = {p}"));
    }
    if let Some(s) = f.status {
        let p = args.push(Arg::Text(s.as_str().into()));
        sql.push_str(&format!(" AND p.status = {p}"));
    }
    (sql, args)
}

/// The projects of the filter: key projects first, then by name.
pub async fn list(db: &Db, f: &ProjectFilter) -> Result<Vec<Project>, sqlx::Error> {
    let (mut sql, args) = filtered(db, f, &format!("SELECT {COLUMNS}"));
    sql.push_str(" ORDER BY p.year DESC, CASE p.kind WHEN 'key' THEN 0 ELSE 1 END, p.id");
    on_db!(db, pool => bind_args!(sqlx::query_as::<_, Project>(&sql), args).fetch_all(pool).await)
}

/// The latest year that has projects within the scope.
pub async fn latest_year(db: &Db, scope_path: &str) -> Result<Option<i64>, sqlx::Error> {
    let f = ProjectFilter {
        scope_path: scope_path.to_string(),
        ..Default::default()
    };
    let (sql, args) = filtered(db, &f, "SELECT MAX(p.year)");
    on_db!(db, pool => bind_args!(sqlx::query_scalar::<_, Option<i64>>(&sql), args).fetch_one(pool).await)
}

pub async fn get(db: &Db, id: i64) -> Result<Option<Project>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS}{FROM} WHERE p.id = $1");
    on_db!(db, pool => sqlx::query_as::<_, Project>(&sql).bind(id).fetch_optional(pool).await)
}

pub async fn find_by_name(
    db: &Db,
    org_id: i64,
    year: i64,
    name: &str,
) -> Result<Option<Project>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS}{FROM} WHERE p.org_id = $1 AND p.year = $2 AND p.name = $3");
    on_db!(db, pool => sqlx::query_as::<_, Project>(&sql).bind(org_id).bind(year).bind(name)
        .fetch_optional(pool).await)
}

pub async fn insert(tx: &mut Tx, v: &ProjectValues, created_by: i64) -> Result<i64, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO projects (org_id, year, name, kind, status, total_investment, annual_target, \
         households, notes, created_by, created_at, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, 1) RETURNING id")
        .bind(v.org_id).bind(v.year).bind(&v.name).bind(v.kind.as_str()).bind(v.status.as_str())
        .bind(v.total_investment).bind(v.annual_target).bind(v.households).bind(&v.notes)
        .bind(created_by).bind(Utc::now())
        .fetch_one(conn).await)
}

/// Update when the stored version is still `expected_version`; false when
/// someone changed it first.
pub async fn update(
    tx: &mut Tx,
    id: i64,
    expected_version: i64,
    v: &ProjectValues,
) -> Result<bool, sqlx::Error> {
    let rows = on_tx!(tx, conn => sqlx::query(
        "UPDATE projects SET org_id = $1, year = $2, name = $3, kind = $4, status = $5, \
         total_investment = $6, annual_target = $7, households = $8, notes = $9, updated_at = $10, \
         version = version + 1 WHERE id = $11 AND version = $12")
        .bind(v.org_id).bind(v.year).bind(&v.name).bind(v.kind.as_str()).bind(v.status.as_str())
        .bind(v.total_investment).bind(v.annual_target).bind(v.households).bind(&v.notes)
        .bind(Utc::now()).bind(id).bind(expected_version)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// A new update moves the project's version on, so that two updates made
/// on the same reading cannot both pass the checks against it.
pub async fn touch(tx: &mut Tx, id: i64, expected_version: i64) -> Result<bool, sqlx::Error> {
    let rows = on_tx!(tx, conn => sqlx::query(
        "UPDATE projects SET updated_at = $1, version = version + 1 WHERE id = $2 AND version = $3")
        .bind(Utc::now()).bind(id).bind(expected_version)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

pub async fn insert_update(tx: &mut Tx, n: &NewUpdate<'_>) -> Result<i64, sqlx::Error> {
    let u = n.update;
    on_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO project_updates (project_id, occurred_on, invested, compensated, demolished, \
         note, user_id, username, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
        .bind(n.project_id).bind(u.on).bind(u.invested).bind(u.compensated).bind(u.demolished)
        .bind(&u.note).bind(n.user_id).bind(n.username).bind(Utc::now())
        .fetch_one(conn).await)
}

/// A project's updates in the order they were entered.
pub async fn updates(db: &Db, project_id: i64) -> Result<Vec<UpdateRow>, sqlx::Error> {
    let sql = format!("SELECT {UPDATE_COLUMNS}{UPDATE_FROM} WHERE u.project_id = $1 ORDER BY u.id");
    on_db!(db, pool => sqlx::query_as::<_, UpdateRow>(&sql).bind(project_id).fetch_all(pool).await)
}

/// The updates of every project the filter selects, in the order entered.
pub async fn updates_of(db: &Db, f: &ProjectFilter) -> Result<Vec<UpdateRow>, sqlx::Error> {
    let (inner, args) = filtered(db, f, "SELECT p.id");
    let sql = format!(
        "SELECT {UPDATE_COLUMNS}{UPDATE_FROM} WHERE u.project_id IN ({inner}) ORDER BY u.id"
    );
    on_db!(db, pool => bind_args!(sqlx::query_as::<_, UpdateRow>(&sql), args).fetch_all(pool).await)
}
