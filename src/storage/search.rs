//! The search index's change log: every write to a searchable record appends
//! a row here in the same transaction, and each server's index replays the
//! rows it has not seen, so several servers on one database stay current.

use chrono::Utc;

use super::{Db, Tx};
use crate::{on_db, on_tx};

/// Note that the record `kind`/`object_id` changed (created, edited or moved on).
pub async fn record_change(tx: &mut Tx, kind: &str, object_id: i64) -> Result<(), sqlx::Error> {
    on_tx!(tx, conn => sqlx::query("INSERT INTO search_changes (kind, object_id, at) VALUES ($1, $2, $3)")
        .bind(kind).bind(object_id).bind(Utc::now()).execute(conn).await.map(|_| ()))
}

/// Changes after `after`, oldest first: (change id, kind, object id).
pub async fn changes_since(
    db: &Db,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, String, i64)>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, (i64, String, i64)>(
        "SELECT id, kind, object_id FROM search_changes WHERE id > $1 ORDER BY id LIMIT $2")
        .bind(after).bind(limit).fetch_all(pool).await)
}

/// Forget changes older than `before`: every server has replayed them long
/// since, and one that has not rebuilds (see [`oldest_change`]). The last
/// change the index snapshot holds stays, and those after it: the next
/// server to start checks the snapshot against it and replays the rest.
pub async fn prune_changes(db: &Db, before: chrono::DateTime<Utc>) -> Result<u64, sqlx::Error> {
    on_db!(db, pool => sqlx::query(
        "DELETE FROM search_changes WHERE at < $1 \
         AND id < COALESCE((SELECT seen FROM search_snapshots WHERE id = 1), 9223372036854775807)")
        .bind(before).execute(pool).await.map(|r| r.rows_affected()))
}

/// The oldest change still kept (None when none is).
pub async fn oldest_change(db: &Db) -> Result<Option<i64>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_scalar::<_, Option<i64>>("SELECT MIN(id) FROM search_changes")
        .fetch_one(pool).await)
}

/// The newest change id (0 when none): where a freshly built index starts.
pub async fn latest_change(db: &Db) -> Result<i64, sqlx::Error> {
    on_db!(db, pool => sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(id) FROM search_changes")
        .fetch_one(pool).await.map(|v| v.unwrap_or(0)))
}

/// When change `id` was recorded (None when it is not in the log).
pub async fn change_at(db: &Db, id: i64) -> Result<Option<chrono::DateTime<Utc>>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_scalar::<_, chrono::DateTime<Utc>>(
        "SELECT at FROM search_changes WHERE id = $1")
        .bind(id).fetch_optional(pool).await)
}

/// The search index as a server last wrote it (see [`save_snapshot`]).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Snapshot {
    pub format: i64,
    pub analyser: String,
    /// The last change it holds, and that change's time.
    pub seen: i64,
    pub seen_at: Option<chrono::DateTime<Utc>>,
    pub documents: i64,
    /// SHA-256 of `bytes`, hex.
    pub digest: String,
    pub bytes: Vec<u8>,
}

pub async fn snapshot(db: &Db) -> Result<Option<Snapshot>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, Snapshot>(
        "SELECT format, analyser, seen, seen_at, documents, digest, bytes FROM search_snapshots WHERE id = 1")
        .fetch_optional(pool).await)
}

/// Keep `snapshot` unless the one kept already holds later changes (two
/// servers sharing a database both write theirs). True when it was kept.
pub async fn save_snapshot(db: &Db, snapshot: &Snapshot) -> Result<bool, sqlx::Error> {
    on_db!(db, pool => sqlx::query(
        "INSERT INTO search_snapshots (id, format, analyser, seen, seen_at, documents, digest, bytes, made_at) \
         VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (id) DO UPDATE SET format = excluded.format, analyser = excluded.analyser, \
         seen = excluded.seen, seen_at = excluded.seen_at, documents = excluded.documents, \
         digest = excluded.digest, bytes = excluded.bytes, made_at = excluded.made_at \
         WHERE search_snapshots.seen <= excluded.seen")
        .bind(snapshot.format).bind(&snapshot.analyser).bind(snapshot.seen).bind(snapshot.seen_at)
        .bind(snapshot.documents).bind(&snapshot.digest).bind(&snapshot.bytes).bind(Utc::now())
        .execute(pool).await.map(|r| r.rows_affected() > 0))
}

/// A searchable record as the index needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DocRow {
    pub id: i64,
    pub org_path: String,
    pub day: chrono::NaiveDate,
    pub title: String,
    pub body: String,
    /// proposal: its status; case: its status; activity: its approval.
    pub state: String,
    /// proposal: lead member; case: department; activity: member who logged it.
    pub person: Option<i64>,
}

/// (record id, member or department id) pairs.
pub type Links = Vec<(i64, i64)>;

/// `ids` as an `IN (…)` list of placeholders, or the whole table when `None`.
fn id_clause(column: &str, ids: Option<&[i64]>, args: &mut super::Args) -> String {
    match ids {
        None => String::new(),
        Some(ids) => {
            let list: Vec<String> = ids
                .iter()
                .map(|id| args.push(super::Arg::Int(*id)))
                .collect();
            format!(" AND {column} IN ({})", list.join(", "))
        }
    }
}

async fn rows(
    db: &Db,
    select: &str,
    column: &str,
    ids: Option<&[i64]>,
) -> Result<Vec<DocRow>, sqlx::Error> {
    if ids.is_some_and(<[i64]>::is_empty) {
        return Ok(Vec::new());
    }
    let mut args = super::Args::default();
    let sql = format!("{select}{}", id_clause(column, ids, &mut args));
    on_db!(db, pool => crate::bind_args!(sqlx::query_as::<_, DocRow>(&sql), args).fetch_all(pool).await)
}

async fn links(
    db: &Db,
    select: &str,
    column: &str,
    ids: Option<&[i64]>,
) -> Result<Links, sqlx::Error> {
    if ids.is_some_and(<[i64]>::is_empty) {
        return Ok(Vec::new());
    }
    let mut args = super::Args::default();
    let sql = format!("{select}{}", id_clause(column, ids, &mut args));
    on_db!(db, pool => crate::bind_args!(sqlx::query_as::<_, (i64, i64)>(&sql), args).fetch_all(pool).await)
}

/// Proposals past the draft stage (drafts are their author's alone).
pub async fn proposals(db: &Db, ids: Option<&[i64]>) -> Result<Vec<DocRow>, sqlx::Error> {
    rows(
        db,
        "SELECT p.id, o.path AS org_path, p.submitted_on AS day, p.title, p.body, p.status AS state, \
         p.lead_member_id AS person FROM proposals p JOIN orgs o ON o.id = p.org_id \
         WHERE p.status NOT IN ('draft', 'withdrawn') AND p.submitted_on IS NOT NULL",
        "p.id",
        ids,
    )
    .await
}

/// Co-signers who have not declined, by proposal.
pub async fn proposal_members(db: &Db, ids: Option<&[i64]>) -> Result<Links, sqlx::Error> {
    links(
        db,
        "SELECT proposal_id, member_id FROM proposal_cosigners WHERE status <> 'declined'",
        "proposal_id",
        ids,
    )
    .await
}

/// Handling departments, by proposal.
pub async fn proposal_departments(db: &Db, ids: Option<&[i64]>) -> Result<Links, sqlx::Error> {
    links(
        db,
        "SELECT proposal_id, department_id FROM proposal_handlers WHERE 1 = 1",
        "proposal_id",
        ids,
    )
    .await
}

pub async fn cases(db: &Db, ids: Option<&[i64]>) -> Result<Vec<DocRow>, sqlx::Error> {
    rows(
        db,
        "SELECT c.id, o.path AS org_path, c.received_on AS day, c.title, c.description AS body, c.status AS state, \
         c.department_id AS person FROM cases c JOIN orgs o ON o.id = c.org_id WHERE 1 = 1",
        "c.id",
        ids,
    )
    .await
}

pub async fn activities(db: &Db, ids: Option<&[i64]>) -> Result<Vec<DocRow>, sqlx::Error> {
    rows(
        db,
        "SELECT a.id, o.path AS org_path, a.held_on AS day, a.title, \
         COALESCE(a.description, '') AS body, a.approval AS state, a.logged_by AS person \
         FROM activities a JOIN orgs o ON o.id = a.org_id WHERE 1 = 1",
        "a.id",
        ids,
    )
    .await
}

/// Information reports (withdrawn ones are no longer searchable).
pub async fn infos(db: &Db, ids: Option<&[i64]>) -> Result<Vec<DocRow>, sqlx::Error> {
    rows(
        db,
        "SELECT r.id, o.path AS org_path, r.submitted_on AS day, r.title, r.body, r.status AS state, \
         r.author_member_id AS person FROM info_reports r JOIN orgs o ON o.id = r.org_id \
         WHERE r.status <> 'withdrawn'",
        "r.id",
        ids,
    )
    .await
}

/// Invited members, by activity.
pub async fn activity_members(db: &Db, ids: Option<&[i64]>) -> Result<Links, sqlx::Error> {
    links(
        db,
        "SELECT activity_id, member_id FROM activity_invitations WHERE 1 = 1",
        "activity_id",
        ids,
    )
    .await
}

/// The ids of every record of a kind, in order (the index is built in chunks).
pub async fn ids(db: &Db, table: &str) -> Result<Vec<i64>, sqlx::Error> {
    // `table` is one of the index's own table names, never from a request.
    let sql = format!("SELECT id FROM {table} ORDER BY id");
    on_db!(db, pool => sqlx::query_scalar::<_, i64>(&sql).fetch_all(pool).await)
}

/// Generated documents filed in the archive, by the text they were written
/// from (not those taken out of it).
pub async fn archive_documents(db: &Db, ids: Option<&[i64]>) -> Result<Vec<DocRow>, sqlx::Error> {
    rows(
        db,
        "SELECT d.id, o.path AS org_path, d.filed_on AS day, d.title, d.body, d.kind AS state, \
         CAST(NULL AS BIGINT) AS person FROM archive_documents d JOIN orgs o ON o.id = d.org_id \
         WHERE d.withdrawn_on IS NULL",
        "d.id",
        ids,
    )
    .await
}

/// Saved work summaries in the archive, by their latest version's text.
pub async fn summaries(db: &Db, ids: Option<&[i64]>) -> Result<Vec<DocRow>, sqlx::Error> {
    rows(
        db,
        "SELECT s.id, o.path AS org_path, s.filed_on AS day, s.title, v.body, \
         'summary' AS state, CAST(NULL AS BIGINT) AS person \
         FROM summaries s JOIN orgs o ON o.id = s.org_id \
         JOIN summary_versions v ON v.summary_id = s.id AND v.number = s.versions \
         WHERE s.withdrawn_on IS NULL",
        "s.id",
        ids,
    )
    .await
}

/// Attachments in the archive, by their file's name, in their record's
/// committee, dated the day they were uploaded.
pub async fn attachments(db: &Db, ids: Option<&[i64]>) -> Result<Vec<DocRow>, sqlx::Error> {
    let day = match db {
        Db::Sqlite(_) => "substr(t.created_at, 1, 10)",
        Db::Postgres(_) => "CAST(t.created_at AS DATE)",
    };
    let select = format!(
        "SELECT t.id, o.path AS org_path, {day} AS day, t.original_name AS title, '' AS body, \
         'attachment' AS state, CAST(NULL AS BIGINT) AS person \
         FROM {records} t JOIN orgs o ON o.id = t.record_org \
         LEFT JOIN attachment_withdrawals w ON w.attachment_id = t.id \
         WHERE w.attachment_id IS NULL",
        records = super::archive::attachment_records(db),
    );
    rows(db, &select, "t.id", ids).await
}
