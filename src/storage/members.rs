//! Members (委员). ID and phone numbers are stored encrypted with a masked copy
//! for display; the ID number's keyed hash enforces uniqueness.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::{like_pattern, Arg, Args, Db, Tx};
use crate::domain::text::name_sort_key;
use crate::{bind_args, on_db, on_tx};

#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct Member {
    pub id: i64,
    pub org_id: i64,
    pub group_id: Option<i64>,
    pub name: String,
    /// male | female
    pub gender: String,
    pub ethnicity: String,
    /// Party identifier, e.g. `ccp`, `cndca`, `non_party`.
    pub party: String,
    pub sector: String,
    pub workplace: Option<String>,
    /// 职务
    #[serde(rename = "position")]
    pub title: Option<String>,
    #[serde(skip)]
    pub phone_enc: String,
    /// Masked, e.g. `138****5678`.
    pub phone_masked: String,
    #[serde(skip)]
    pub id_number_enc: String,
    #[serde(skip)]
    pub id_number_hash: String,
    /// Masked, e.g. `4101**********1234`.
    pub id_number_masked: String,
    pub birth_date: NaiveDate,
    /// 任职日期: when the person became a member.
    pub joined_on: NaiveDate,
    /// 离任日期: when they stopped serving (a member no longer active);
    /// none while serving, or when the day was never recorded.
    pub left_on: Option<NaiveDate>,
    /// 届次, e.g. 7 for 第七届.
    pub term: i64,
    /// active | ended | resigned | removed
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version: send it back with an update.
    pub version: i64,
}

const COLUMNS: &str =
    "m.id, m.org_id, m.group_id, m.name, m.gender, m.ethnicity, m.party, m.sector, \
    m.workplace, m.title, m.phone_enc, m.phone_masked, m.id_number_enc, m.id_number_hash, \
    m.id_number_masked, m.birth_date, m.joined_on, m.left_on, m.term, m.status, m.created_at, m.updated_at, m.version";

/// The values a create or update writes (already validated and encrypted).
#[derive(Debug, Clone)]
pub struct MemberValues {
    pub org_id: i64,
    pub group_id: Option<i64>,
    pub name: String,
    pub gender: String,
    pub ethnicity: String,
    pub party: String,
    pub sector: String,
    pub workplace: Option<String>,
    pub title: Option<String>,
    pub phone_enc: String,
    pub phone_masked: String,
    pub id_number_enc: String,
    pub id_number_hash: String,
    pub id_number_masked: String,
    pub birth_date: NaiveDate,
    pub joined_on: NaiveDate,
    pub left_on: Option<NaiveDate>,
    pub term: i64,
    pub status: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberSort {
    Name,
    Term,
    Group,
    Created,
}

impl crate::domain::paging::SortKey for MemberSort {
    const ALL: &'static [Self] = &[Self::Name, Self::Term, Self::Group, Self::Created];
    fn as_str(&self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Term => "term",
            Self::Group => "group",
            Self::Created => "created",
        }
    }
    fn column(&self) -> &'static str {
        match self {
            // By pinyin: the key is filled at every write and at start-up.
            Self::Name => "m.name_key",
            Self::Term => "m.term",
            Self::Group => "g.name",
            Self::Created => "m.created_at",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct MemberFilter {
    /// Only members of organisations within this path (the user's subtree).
    pub scope_path: String,
    pub name: Option<String>,
    pub group_id: Option<i64>,
    pub sector: Option<String>,
    pub party: Option<String>,
    pub status: Option<String>,
}

fn where_clause(db: &Db, filter: &MemberFilter, args: &mut Args) -> String {
    let scope = args.push(Arg::Text(filter.scope_path.clone()));
    let mut sql = format!(" WHERE m.org_id IN {}", super::scope_ids(db, &scope));
    if let Some(name) = &filter.name {
        let p = args.push(Arg::Text(like_pattern(name)));
        sql.push_str(&format!(" AND m.name LIKE {p} ESCAPE '\\'"));
    }
    if let Some(group) = filter.group_id {
        let p = args.push(Arg::Int(group));
        sql.push_str(&format!(" AND m.group_id = {p}"));
    }
    for (column, value) in [
        ("m.sector", &filter.sector),
        ("m.party", &filter.party),
        ("m.status", &filter.status),
    ] {
        if let Some(value) = value {
            let p = args.push(Arg::Text(value.clone()));
            sql.push_str(&format!(" AND {column} = {p}"));
        }
    }
    sql
}

pub async fn list(
    db: &Db,
    filter: &MemberFilter,
    sort_column: &str,
    sort_dir: &str,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Member>, i64), sqlx::Error> {
    let mut args = Args::default();
    let where_sql = where_clause(db, filter, &mut args);
    let filter_args = Args(args.0.clone());
    let l = args.push(Arg::Int(limit));
    let o = args.push(Arg::Int(offset));
    // The page and the count of the whole list in one query. The list is
    // sorted on its keys alone (rows carry long encrypted fields) and only
    // the page's rows are read whole. sort_column comes from the MemberSort
    // whitelist, never from the request.
    let order = format!("{sort_column} {sort_dir}, m.id {sort_dir}");
    let sql = format!(
        "SELECT {COLUMNS}, p.total FROM \
         (SELECT m.id AS page_id, COUNT(*) OVER () AS total FROM members m \
          LEFT JOIN orgs g ON g.id = m.group_id{where_sql} ORDER BY {order} LIMIT {l} OFFSET {o}) p \
         JOIN members m ON m.id = p.page_id LEFT JOIN orgs g ON g.id = m.group_id ORDER BY {order}"
    );
    let rows: Vec<Counted> = on_db!(db, pool => bind_args!(sqlx::query_as::<_, Counted>(&sql), args).fetch_all(pool).await)?;
    let total = match rows.first() {
        Some(row) => row.total,
        None if offset == 0 => 0,
        // A page past the end: count on its own. The filter names members'
        // columns only, so counting needs no join.
        None => {
            let count_sql = format!("SELECT COUNT(*) FROM members m{where_sql}");
            on_db!(db, pool => bind_args!(sqlx::query_scalar(&count_sql), filter_args).fetch_one(pool).await)?
        }
    };
    Ok((rows.into_iter().map(|row| row.member).collect(), total))
}

/// A member with the number of members the list selects.
#[derive(FromRow)]
struct Counted {
    #[sqlx(flatten)]
    member: Member,
    total: i64,
}

pub async fn get(db: &Db, id: i64) -> Result<Option<Member>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM members m WHERE m.id = $1");
    on_db!(db, pool => sqlx::query_as::<_, Member>(&sql).bind(id).fetch_optional(pool).await)
}

/// Where a member sits: their organisation, and their group's name and
/// community, for the duty file's heading and the scope check.
#[derive(Debug, Clone, FromRow)]
pub struct MemberPlace {
    pub org_path: String,
    pub org_name: String,
    pub group_name: Option<String>,
    pub community: Option<String>,
}

pub async fn place(db: &Db, id: i64) -> Result<Option<MemberPlace>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, MemberPlace>(
        "SELECT o.path AS org_path, o.name AS org_name, g.name AS group_name, cm.name AS community \
         FROM members m JOIN orgs o ON o.id = m.org_id LEFT JOIN orgs g ON g.id = m.group_id \
         LEFT JOIN communities cm ON cm.id = g.community_id WHERE m.id = $1")
        .bind(id).fetch_optional(pool).await)
}

pub async fn count_in_group(db: &Db, group_id: i64) -> Result<i64, sqlx::Error> {
    on_db!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM members WHERE group_id = $1")
        .bind(group_id).fetch_one(pool).await)
}

/// Date a member's record as registered at `at` (the demo loads records of
/// years past; nothing else rewrites it).
pub async fn set_created_at(db: &Db, id: i64, at: DateTime<Utc>) -> Result<(), sqlx::Error> {
    on_db!(db, pool => sqlx::query("UPDATE members SET created_at = $1 WHERE id = $2")
        .bind(at).bind(id).execute(pool).await.map(|_| ()))
}

pub async fn distinct_sectors(db: &Db, scope_path: &str) -> Result<Vec<String>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_scalar(
        &format!("SELECT DISTINCT m.sector FROM members m \
         WHERE m.org_id IN {scope} ORDER BY m.sector", scope = super::scope_ids(db, "$1")))
        .bind(scope_path).fetch_all(pool).await)
}

pub async fn insert(tx: &mut Tx, v: &MemberValues) -> Result<i64, sqlx::Error> {
    let now = Utc::now();
    on_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO members (org_id, group_id, name, gender, ethnicity, party, sector, workplace, title, \
         phone_enc, phone_masked, id_number_enc, id_number_hash, id_number_masked, birth_date, term, status, \
         created_at, updated_at, version, joined_on, name_key, left_on) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18, 1, $19, $20, $21) \
         RETURNING id")
        .bind(v.org_id).bind(v.group_id).bind(&v.name).bind(&v.gender).bind(&v.ethnicity)
        .bind(&v.party).bind(&v.sector).bind(&v.workplace).bind(&v.title)
        .bind(&v.phone_enc).bind(&v.phone_masked).bind(&v.id_number_enc).bind(&v.id_number_hash)
        .bind(&v.id_number_masked).bind(v.birth_date).bind(v.term).bind(&v.status).bind(now)
        .bind(v.joined_on).bind(name_sort_key(&v.name)).bind(v.left_on)
        .fetch_one(conn).await)
}

/// Insert many members, as many to a statement as the engine takes; their
/// ids in the order given. Rows are matched to the ids returned by their ID
/// number (unique among members), not by the order rows come back in.
pub async fn insert_many(tx: &mut Tx, all: &[&MemberValues]) -> Result<Vec<i64>, sqlx::Error> {
    const WIDTH: usize = 22;
    let now = Utc::now();
    let mut ids = Vec::with_capacity(all.len());
    for chunk in all.chunks(tx.rows_per_insert(WIDTH)) {
        let sql = format!(
            "INSERT INTO members (org_id, group_id, name, gender, ethnicity, party, sector, workplace, title, \
             phone_enc, phone_masked, id_number_enc, id_number_hash, id_number_masked, birth_date, term, status, \
             created_at, updated_at, joined_on, name_key, left_on, version) VALUES {} RETURNING id, id_number_hash",
            tx.insert_values(chunk.len(), WIDTH, ", 1")
        );
        let returned: Vec<(i64, String)> = on_tx!(tx, conn => {
            let mut query = sqlx::query_as(&sql);
            for v in chunk {
                query = query
                    .bind(v.org_id).bind(v.group_id).bind(&v.name).bind(&v.gender).bind(&v.ethnicity)
                    .bind(&v.party).bind(&v.sector).bind(&v.workplace).bind(&v.title)
                    .bind(&v.phone_enc).bind(&v.phone_masked).bind(&v.id_number_enc).bind(&v.id_number_hash)
                    .bind(&v.id_number_masked).bind(v.birth_date).bind(v.term).bind(&v.status).bind(now)
                    .bind(now).bind(v.joined_on).bind(name_sort_key(&v.name)).bind(v.left_on);
            }
            query.fetch_all(conn).await
        })?;
        let by_hash: std::collections::HashMap<&str, i64> = returned
            .iter()
            .map(|(id, hash)| (hash.as_str(), *id))
            .collect();
        for v in chunk {
            match by_hash.get(v.id_number_hash.as_str()) {
                Some(id) => ids.push(*id),
                None => return Err(sqlx::Error::RowNotFound),
            }
        }
    }
    Ok(ids)
}

/// Update when the stored version is still `expected_version`; false when
/// someone else changed the record first.
pub async fn update(
    tx: &mut Tx,
    id: i64,
    expected_version: i64,
    v: &MemberValues,
) -> Result<bool, sqlx::Error> {
    let now = Utc::now();
    let result = on_tx!(tx, conn => sqlx::query(
        "UPDATE members SET org_id = $1, group_id = $2, name = $3, gender = $4, ethnicity = $5, party = $6, \
         sector = $7, workplace = $8, title = $9, phone_enc = $10, phone_masked = $11, id_number_enc = $12, \
         id_number_hash = $13, id_number_masked = $14, birth_date = $15, term = $16, status = $17, \
         updated_at = $18, joined_on = $21, name_key = $22, left_on = $23, version = version + 1 \
         WHERE id = $19 AND version = $20")
        .bind(v.org_id).bind(v.group_id).bind(&v.name).bind(&v.gender).bind(&v.ethnicity)
        .bind(&v.party).bind(&v.sector).bind(&v.workplace).bind(&v.title)
        .bind(&v.phone_enc).bind(&v.phone_masked).bind(&v.id_number_enc).bind(&v.id_number_hash)
        .bind(&v.id_number_masked).bind(v.birth_date).bind(v.term).bind(&v.status).bind(now)
        .bind(id).bind(expected_version).bind(v.joined_on).bind(name_sort_key(&v.name)).bind(v.left_on)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(result == 1)
}

/// Give every member written without a sort key (before the key existed,
/// or by a bulk load) theirs; returns how many.
pub async fn fill_name_keys(db: &Db) -> Result<u64, sqlx::Error> {
    let mut filled = 0;
    loop {
        let batch: Vec<(i64, String)> = on_db!(db, pool => sqlx::query_as(
            "SELECT id, name FROM members WHERE name_key IS NULL ORDER BY id LIMIT 1000")
            .fetch_all(pool).await)?;
        if batch.is_empty() {
            return Ok(filled);
        }
        let mut tx = db.begin().await?;
        for (id, name) in &batch {
            on_tx!(&mut tx, conn => sqlx::query("UPDATE members SET name_key = $1 WHERE id = $2")
                .bind(name_sort_key(name)).bind(id).execute(conn).await.map(|_| ()))?;
        }
        tx.commit().await?;
        filled += batch.len() as u64;
    }
}

/// Delete a member together with their duty-file entries.
pub async fn delete(tx: &mut Tx, id: i64, expected_version: i64) -> Result<bool, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query("DELETE FROM timeline_entries WHERE member_id = $1")
        .bind(id).execute(&mut *conn).await.map(|r| r.rows_affected()))?;
    let result = on_tx!(tx, conn => sqlx::query("DELETE FROM members WHERE id = $1 AND version = $2")
        .bind(id).bind(expected_version).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(result == 1)
}

/// A member with their organisation's path (for the scope check).
#[derive(FromRow)]
pub struct PlacedMember {
    #[sqlx(flatten)]
    pub member: Member,
    pub org_path: String,
}

/// The members whose ID number's keyed hash is one of `hashes` (an import
/// matches its rows by ID number), read a few hundred at a time.
pub async fn by_id_hashes(db: &Db, hashes: &[String]) -> Result<Vec<PlacedMember>, sqlx::Error> {
    let mut found = Vec::with_capacity(hashes.len());
    for chunk in hashes.chunks(500) {
        let mut args = Args::default();
        let marks: Vec<String> = chunk
            .iter()
            .map(|h| args.push(Arg::Text(h.clone())))
            .collect();
        let sql = format!(
            "SELECT {COLUMNS}, o.path AS org_path FROM members m JOIN orgs o ON o.id = m.org_id \
             WHERE m.id_number_hash IN ({})",
            marks.join(", ")
        );
        let rows: Vec<PlacedMember> = on_db!(db, pool => bind_args!(sqlx::query_as::<_, PlacedMember>(&sql), args).fetch_all(pool).await)?;
        found.extend(rows);
    }
    Ok(found)
}
