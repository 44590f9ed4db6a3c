//! The archive's SQL: the Word documents filed when generated (with their
//! bytes, apart), the withdrawals of attachments, and one list over the
//! three kinds of filed item — saved summaries, generated documents and
//! attachments — by committee, year and kind, paged by the database.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::FromRow;

use super::{Arg, Args, Db, Tx};
use crate::domain::archive::ArchiveKind;
use crate::{bind_args, on_db, on_tx};

/// A generated document to file.
pub struct NewDocument<'a> {
    pub kind: &'a str,
    pub org_id: i64,
    pub year: i64,
    pub record_type: &'a str,
    pub record_id: i64,
    pub record_title: &'a str,
    pub record_url: &'a str,
    pub title: &'a str,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub bytes: &'a [u8],
    pub sha256: &'a str,
    pub body: &'a str,
    pub filed_by: Option<i64>,
    pub filed_on: NaiveDate,
}

/// File a document with its bytes; `None` when the same bytes are filed
/// already for its kind, record and year (filed or taken out).
pub async fn insert_document(tx: &mut Tx, n: &NewDocument<'_>) -> Result<Option<i64>, sqlx::Error> {
    let id: Option<i64> = on_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO archive_documents (kind, org_id, year, record_type, record_id, record_title, \
         record_url, title, file_name, content_type, size_bytes, sha256, body, filed_by, filed_on, \
         filed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
         ON CONFLICT (kind, record_type, record_id, year, sha256) DO NOTHING RETURNING id")
        .bind(n.kind).bind(n.org_id).bind(n.year).bind(n.record_type).bind(n.record_id)
        .bind(n.record_title).bind(n.record_url).bind(n.title).bind(n.file_name)
        .bind(n.content_type).bind(n.bytes.len() as i64).bind(n.sha256).bind(n.body)
        .bind(n.filed_by).bind(n.filed_on).bind(Utc::now())
        .fetch_optional(conn).await)?;
    if let Some(id) = id {
        on_tx!(tx, conn => sqlx::query(
            "INSERT INTO archive_contents (document_id, content) VALUES ($1, $2)")
            .bind(id).bind(n.bytes)
            .execute(conn).await.map(|_| ()))?;
    }
    Ok(id)
}

/// A filed document's bytes.
pub async fn document_content(db: &Db, id: i64) -> Result<Option<Vec<u8>>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_scalar::<_, Vec<u8>>(
        "SELECT content FROM archive_contents WHERE document_id = $1")
        .bind(id).fetch_optional(pool).await)
}

/// A filed document's kind, text, and its file's type, name and hash.
#[derive(Debug, Clone, FromRow)]
pub struct DocumentText {
    /// summary_file | duty_file | compilation | plan
    pub kind: String,
    pub body: String,
    pub content_type: String,
    pub file_name: String,
    pub sha256: String,
}

pub async fn document_text(db: &Db, id: i64) -> Result<Option<DocumentText>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, DocumentText>(
        "SELECT kind, body, content_type, file_name, sha256 FROM archive_documents WHERE id = $1")
        .bind(id).fetch_optional(pool).await)
}

/// Take a filed document out of the archive; false when it is out already.
pub async fn withdraw_document(
    tx: &mut Tx,
    id: i64,
    on: NaiveDate,
    user_id: i64,
    reason: &str,
) -> Result<bool, sqlx::Error> {
    let rows = on_tx!(tx, conn => sqlx::query(
        "UPDATE archive_documents SET withdrawn_on = $1, withdrawn_by = $2, withdrawn_reason = $3 \
         WHERE id = $4 AND withdrawn_on IS NULL")
        .bind(on).bind(user_id).bind(reason).bind(id)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// Take an attachment out of the archive (it stays on its record); false
/// when it is out already.
pub async fn withdraw_attachment(
    tx: &mut Tx,
    id: i64,
    on: NaiveDate,
    user_id: i64,
    reason: &str,
) -> Result<bool, sqlx::Error> {
    let rows = on_tx!(tx, conn => sqlx::query(
        "INSERT INTO attachment_withdrawals (attachment_id, withdrawn_on, withdrawn_by, reason, at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (attachment_id) DO NOTHING")
        .bind(id).bind(on).bind(user_id).bind(reason).bind(Utc::now())
        .execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// The year of a date or timestamp column, as a whole number.
fn year_of(db: &Db, column: &str) -> String {
    match db {
        // Dates and timestamps are ISO text on SQLite.
        Db::Sqlite(_) => format!("CAST(substr({column}, 1, 4) AS INTEGER)"),
        Db::Postgres(_) => format!("CAST(EXTRACT(YEAR FROM {column}) AS BIGINT)"),
    }
}

/// Attachments with the record each belongs to: its committee
/// (`record_org`), year (`record_year`: an activity's, an award's, a
/// proposal's session or the year it was begun), title and, for an award,
/// its member (`record_member`). A derived table, aliased by the caller.
pub fn attachment_records(db: &Db) -> String {
    format!(
        "(SELECT a.id, a.owner_type, a.owner_id, a.original_name, a.size_bytes, a.created_by, \
         a.created_at, \
         CASE a.owner_type WHEN 'activity' THEN act.org_id WHEN 'award' THEN am.org_id \
           ELSE p.org_id END AS record_org, \
         CASE a.owner_type WHEN 'activity' THEN {held} WHEN 'award' THEN aw.year \
           ELSE COALESCE(p.session, {begun}) END AS record_year, \
         COALESCE(CASE a.owner_type WHEN 'activity' THEN act.title WHEN 'award' THEN aw.title \
           ELSE p.title END, '') AS record_title, \
         aw.member_id AS record_member \
         FROM attachments a \
         LEFT JOIN activities act ON a.owner_type = 'activity' AND act.id = a.owner_id \
         LEFT JOIN awards aw ON a.owner_type = 'award' AND aw.id = a.owner_id \
         LEFT JOIN members am ON am.id = aw.member_id \
         LEFT JOIN proposals p ON a.owner_type = 'proposal' AND p.id = a.owner_id)",
        held = year_of(db, "act.held_on"),
        begun = year_of(db, "p.created_at"),
    )
}

/// One filed item as the archive lists it.
#[derive(Debug, Clone, FromRow)]
pub struct ArchiveRow {
    /// summary | summary_file | duty_file | compilation | plan | attachment
    pub kind: String,
    /// The id within its kind's table (summaries, documents, attachments).
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub org_path: String,
    pub year: i64,
    pub title: String,
    pub file_name: Option<String>,
    pub size_bytes: Option<i64>,
    /// org | member | activity | award | proposal
    pub record_type: String,
    pub record_id: i64,
    pub record_title: String,
    /// A generated document's record's page, as filed.
    pub record_url: Option<String>,
    /// An award's member.
    pub record_member: Option<i64>,
    /// A saved summary's days.
    pub period_from: Option<NaiveDate>,
    pub period_to: Option<NaiveDate>,
    pub filed_by_name: Option<String>,
    pub filed_at: DateTime<Utc>,
    pub withdrawn_on: Option<NaiveDate>,
    pub withdrawn_by_name: Option<String>,
    pub withdrawn_reason: Option<String>,
}

/// What the archive lists.
#[derive(Debug, Clone, Default)]
pub struct ArchiveFilter {
    /// Committees within this path; every committee when `None`.
    pub scope_path: Option<String>,
    pub year: Option<i64>,
    pub kind: Option<ArchiveKind>,
    /// Taken out of the archive (`Some(true)`), filed (`Some(false)`) or both.
    pub withdrawn: Option<bool>,
    /// Words in the title, the file's name or the text.
    pub text: Option<String>,
    /// One entry of its kind (with `kind`).
    pub id: Option<i64>,
}

/// The list's query: one branch per kind of source the filter keeps, with
/// the filter inside each branch (where the indexes are).
fn union(db: &Db, f: &ArchiveFilter, args: &mut Args) -> String {
    let scope = f
        .scope_path
        .as_ref()
        .map(|p| super::scope_ids(db, &args.push(Arg::Text(p.clone()))));
    let year = f.year.map(|y| args.push(Arg::Int(y)));
    let text = f
        .text
        .as_ref()
        .map(|t| args.push(Arg::Text(super::like_pattern(t))));
    let id = f.id.map(|i| args.push(Arg::Int(i)));
    let withdrawn = |column: &str| match f.withdrawn {
        Some(true) => format!(" AND {column} IS NOT NULL"),
        Some(false) => format!(" AND {column} IS NULL"),
        None => String::new(),
    };
    let equals = |column: &str, value: &Option<String>| {
        value
            .as_ref()
            .map(|v| format!(" AND {column} = {v}"))
            .unwrap_or_default()
    };
    let within = |column: &str| {
        scope
            .as_ref()
            .map(|s| format!(" AND {column} IN {s}"))
            .unwrap_or_default()
    };
    let like = |columns: &[&str]| match &text {
        Some(p) => {
            let any: Vec<String> = columns
                .iter()
                .map(|c| format!("{c} LIKE {p} ESCAPE '\\'"))
                .collect();
            format!(" AND ({})", any.join(" OR "))
        }
        None => String::new(),
    };
    let wants = |k: ArchiveKind| f.kind.is_none_or(|asked| asked == k);
    let mut branches = Vec::new();
    if wants(ArchiveKind::Summary) {
        branches.push(format!(
            "SELECT 'summary' AS kind, s.id AS id, s.org_id AS org_id, o.name AS org_name, \
             o.path AS org_path, s.year AS year, s.title AS title, \
             CAST(NULL AS TEXT) AS file_name, CAST(NULL AS BIGINT) AS size_bytes, \
             'org' AS record_type, s.org_id AS record_id, o.name AS record_title, \
             CAST(NULL AS TEXT) AS record_url, CAST(NULL AS BIGINT) AS record_member, \
             s.period_from AS period_from, s.period_to AS period_to, \
             f.display_name AS filed_by_name, s.created_at AS filed_at, \
             s.withdrawn_on AS withdrawn_on, w.display_name AS withdrawn_by_name, \
             s.withdrawn_reason AS withdrawn_reason \
             FROM summaries s JOIN orgs o ON o.id = s.org_id \
             LEFT JOIN users f ON f.id = s.created_by LEFT JOIN users w ON w.id = s.withdrawn_by \
             WHERE 1 = 1{scope}{withdrawn}{year}{id}{text}",
            scope = within("s.org_id"),
            withdrawn = withdrawn("s.withdrawn_on"),
            year = equals("s.year", &year),
            id = equals("s.id", &id),
            text = match &text {
                Some(p) => format!(
                    " AND (s.title LIKE {p} ESCAPE '\\' OR EXISTS (SELECT 1 FROM summary_versions v \
                     WHERE v.summary_id = s.id AND v.number = s.versions \
                     AND v.body LIKE {p} ESCAPE '\\'))"
                ),
                None => String::new(),
            },
        ));
    }
    let generated: Vec<ArchiveKind> = ArchiveKind::GENERATED
        .into_iter()
        .filter(|k| wants(*k))
        .collect();
    if !generated.is_empty() {
        let kinds = if generated.len() == ArchiveKind::GENERATED.len() {
            String::new()
        } else {
            // Closed-list identifiers, never from a request.
            let names: Vec<String> = generated
                .iter()
                .map(|k| format!("'{}'", k.as_str()))
                .collect();
            format!(" AND d.kind IN ({})", names.join(", "))
        };
        branches.push(format!(
            "SELECT d.kind AS kind, d.id AS id, d.org_id AS org_id, o.name AS org_name, \
             o.path AS org_path, d.year AS year, d.title AS title, d.file_name AS file_name, \
             d.size_bytes AS size_bytes, d.record_type AS record_type, d.record_id AS record_id, \
             d.record_title AS record_title, d.record_url AS record_url, \
             CAST(NULL AS BIGINT) AS record_member, CAST(NULL AS DATE) AS period_from, \
             CAST(NULL AS DATE) AS period_to, f.display_name AS filed_by_name, \
             d.filed_at AS filed_at, d.withdrawn_on AS withdrawn_on, \
             w.display_name AS withdrawn_by_name, d.withdrawn_reason AS withdrawn_reason \
             FROM archive_documents d JOIN orgs o ON o.id = d.org_id \
             LEFT JOIN users f ON f.id = d.filed_by LEFT JOIN users w ON w.id = d.withdrawn_by \
             WHERE 1 = 1{kinds}{scope}{withdrawn}{year}{id}{text}",
            scope = within("d.org_id"),
            withdrawn = withdrawn("d.withdrawn_on"),
            year = equals("d.year", &year),
            id = equals("d.id", &id),
            text = like(&["d.title", "d.file_name", "d.body"]),
        ));
    }
    if wants(ArchiveKind::Attachment) {
        branches.push(format!(
            "SELECT 'attachment' AS kind, t.id AS id, t.record_org AS org_id, o.name AS org_name, \
             o.path AS org_path, t.record_year AS year, t.original_name AS title, \
             t.original_name AS file_name, t.size_bytes AS size_bytes, \
             t.owner_type AS record_type, t.owner_id AS record_id, t.record_title AS record_title, \
             CAST(NULL AS TEXT) AS record_url, t.record_member AS record_member, \
             CAST(NULL AS DATE) AS period_from, CAST(NULL AS DATE) AS period_to, \
             f.display_name AS filed_by_name, t.created_at AS filed_at, \
             w.withdrawn_on AS withdrawn_on, wu.display_name AS withdrawn_by_name, \
             w.reason AS withdrawn_reason \
             FROM {records} t JOIN orgs o ON o.id = t.record_org \
             LEFT JOIN users f ON f.id = t.created_by \
             LEFT JOIN attachment_withdrawals w ON w.attachment_id = t.id \
             LEFT JOIN users wu ON wu.id = w.withdrawn_by \
             WHERE 1 = 1{scope}{withdrawn}{year}{id}{text}",
            records = attachment_records(db),
            scope = within("t.record_org"),
            withdrawn = withdrawn("w.attachment_id"),
            year = equals("t.record_year", &year),
            id = equals("t.id", &id),
            text = like(&["t.original_name", "t.record_title"]),
        ));
    }
    branches.join(" UNION ALL ")
}

/// One page of the filter's items: the latest year first, then the latest filed.
pub async fn list(
    db: &Db,
    f: &ArchiveFilter,
    offset: i64,
    limit: i64,
) -> Result<Vec<ArchiveRow>, sqlx::Error> {
    let mut args = Args::default();
    let union = union(db, f, &mut args);
    let limit = args.push(Arg::Int(limit));
    let offset = args.push(Arg::Int(offset));
    let sql = format!(
        "SELECT * FROM ({union}) x ORDER BY x.year DESC, x.filed_at DESC, x.kind, x.id DESC \
         LIMIT {limit} OFFSET {offset}"
    );
    on_db!(db, pool => bind_args!(sqlx::query_as::<_, ArchiveRow>(&sql), args).fetch_all(pool).await)
}

/// How many items the filter keeps.
pub async fn count(db: &Db, f: &ArchiveFilter) -> Result<i64, sqlx::Error> {
    let mut args = Args::default();
    let union = union(db, f, &mut args);
    let sql = format!("SELECT COUNT(*) FROM ({union}) x");
    on_db!(db, pool => bind_args!(sqlx::query_scalar::<_, i64>(&sql), args).fetch_one(pool).await)
}

/// One item, filed or taken out, whatever its committee.
pub async fn entry(db: &Db, kind: ArchiveKind, id: i64) -> Result<Option<ArchiveRow>, sqlx::Error> {
    let filter = ArchiveFilter {
        kind: Some(kind),
        id: Some(id),
        ..Default::default()
    };
    Ok(list(db, &filter, 0, 1).await?.into_iter().next())
}
