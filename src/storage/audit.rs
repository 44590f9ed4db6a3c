//! The audit log: one row per login, logout, change and export, written in the
//! same transaction as the change it records, hash-chained and append-only.
//!
//! On SQLite a row is linked into the chain as it is written (writers take
//! turns anyway). On PostgreSQL writers run side by side: a row is written
//! unlinked and the sequencer ([`chain_pending`], run by every server twice a
//! second, and before the chain is read) links committed rows afterwards,
//! so that no writer holds the chain's lock through its commit.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::{Arg, Args, Db, Tx};
use crate::domain::audit::{chain_hash, ChainedFields, GENESIS};
use crate::{bind_args, on_db, on_tx};

#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub user_id: Option<i64>,
    pub username: Option<String>,
    pub role: Option<String>,
    pub ip: Option<String>,
    pub action: String,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    /// ok | failed | denied | locked
    pub outcome: String,
    /// What changed, with personal data masked.
    pub detail: Option<String>,
    /// The row's place in the hash chain, from 1. Empty for a moment after
    /// the row is written on PostgreSQL, until the sequencer links it.
    pub seq: Option<i64>,
    /// The hash of the row before it in the chain (empty until linked).
    pub prev_hash: Option<String>,
    /// This row's hash, over `prev_hash` and its fields (empty until linked).
    pub hash: Option<String>,
}

impl AuditEntry {
    /// The fields the chain's hash covers, with the time as it is hashed.
    fn chained_fields<'a>(&'a self, stamped: &'a str) -> ChainedFields<'a> {
        ChainedFields {
            at: stamped,
            user_id: self.user_id,
            username: self.username.as_deref(),
            role: self.role.as_deref(),
            ip: self.ip.as_deref(),
            action: &self.action,
            object_type: self.object_type.as_deref(),
            object_id: self.object_id.as_deref(),
            outcome: &self.outcome,
            detail: self.detail.as_deref(),
        }
    }
}

/// An audit row before it is written.
#[derive(Debug, Clone, Default)]
pub struct NewAuditEntry {
    pub user_id: Option<i64>,
    pub username: Option<String>,
    pub role: Option<String>,
    pub ip: Option<String>,
    pub action: &'static str,
    pub object_type: Option<&'static str>,
    pub object_id: Option<String>,
    pub outcome: &'static str,
    pub detail: Option<String>,
}

/// Timestamps are hashed as stored: microseconds, which both engines keep exactly.
fn stamp(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The chain's lock on PostgreSQL: one chainer at a time (the sequencer, or a
/// bulk writer chaining its own rows). SQLite's `BEGIN IMMEDIATE` already
/// serialises writers.
const CHAIN_LOCK: i64 = 0x6c767a6869_i64;

/// Take the chain's lock until the end of `tx` (PostgreSQL).
pub async fn lock_chain(
    tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(CHAIN_LOCK)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

/// How many committed rows the sequencer links in one short transaction.
const CHAIN_BATCH: i64 = 500;

/// The newest chained row's place and hash: where the next row links.
const CHAIN_END: &str =
    "SELECT seq, hash FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1";

/// Where the next row links: after the newest chained row, or at the
/// genesis link of an empty chain.
fn next_link(end: Option<(i64, String)>) -> (i64, String) {
    end.unwrap_or_else(|| (0, GENESIS.to_string()))
}

async fn chain_end(tx: &mut Tx) -> Result<(i64, String), sqlx::Error> {
    let end = on_tx!(tx, conn => sqlx::query_as(CHAIN_END).fetch_optional(conn).await)?;
    Ok(next_link(end))
}

/// The hash of a row whose fields are `e`, written at `stamped`, after `prev`.
fn link(prev: &str, stamped: &str, e: &NewAuditEntry) -> String {
    chain_hash(
        prev,
        &ChainedFields {
            at: stamped,
            user_id: e.user_id,
            username: e.username.as_deref(),
            role: e.role.as_deref(),
            ip: e.ip.as_deref(),
            action: e.action,
            object_type: e.object_type,
            object_id: e.object_id.as_deref(),
            outcome: e.outcome,
            detail: e.detail.as_deref(),
        },
    )
}

/// Write one audit row in the transaction of the change it records.
///
/// SQLite chains it at once: its writers take turns. PostgreSQL writes it
/// unchained and [`chain_pending`] links it after the commit, so that
/// writers do not queue on the chain's lock through their commits.
pub async fn insert(tx: &mut Tx, e: &NewAuditEntry) -> Result<(), sqlx::Error> {
    let Tx::Postgres(pg) = tx else {
        return insert_many(tx, std::slice::from_ref(e)).await;
    };
    let at = Utc::now().trunc_subsecs(6);
    sqlx::query(
        "INSERT INTO audit_log (at, user_id, username, role, ip, action, object_type, object_id, outcome, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(at).bind(e.user_id).bind(&e.username).bind(&e.role).bind(&e.ip)
    .bind(e.action).bind(e.object_type).bind(&e.object_id).bind(e.outcome).bind(&e.detail)
    .execute(&mut **pg)
    .await?;
    Ok(())
}

/// Write many rows in one go (an import's rows, one per member), chained as
/// they are written on both engines: the chain's end is read once and
/// extended in memory, the rows written many to a statement, so 30,000 rows
/// cost a few dozen round trips and no work for the sequencer. On
/// PostgreSQL this holds the chain's lock until the commit, as a bulk write
/// is one writer's long transaction anyway; rows other writers commit
/// meanwhile are chained after it.
pub async fn insert_many(tx: &mut Tx, entries: &[NewAuditEntry]) -> Result<(), sqlx::Error> {
    if entries.is_empty() {
        return Ok(());
    }
    if let Tx::Postgres(pg) = tx {
        lock_chain(pg).await?;
    }
    let (mut seq, mut prev) = chain_end(tx).await?;
    let at = Utc::now().trunc_subsecs(6);
    let stamped = stamp(&at);
    // As many rows to a statement as the engine takes (`Tx::rows_per_insert`).
    let rows_per_statement = tx.rows_per_insert(13);
    for chunk in entries.chunks(rows_per_statement) {
        let mut rows = Vec::with_capacity(chunk.len());
        for e in chunk {
            let hash = link(&prev, &stamped, e);
            seq += 1;
            rows.push((e, seq, std::mem::replace(&mut prev, hash.clone()), hash));
        }
        let sql = format!(
            "INSERT INTO audit_log (at, user_id, username, role, ip, action, object_type, object_id, outcome, detail, seq, prev_hash, hash) VALUES {}",
            tx.insert_values(rows.len(), 13, "")
        );
        on_tx!(tx, conn => {
            let mut query = sqlx::query(&sql);
            for (e, seq, prev, hash) in &rows {
                query = query
                    .bind(at).bind(e.user_id).bind(&e.username).bind(&e.role).bind(&e.ip)
                    .bind(e.action).bind(e.object_type).bind(&e.object_id).bind(e.outcome)
                    .bind(&e.detail).bind(*seq).bind(prev).bind(hash);
            }
            query.execute(conn).await.map(|_| ())
        })?;
    }
    Ok(())
}

/// The sequencer: link every committed unchained row into the chain, in id
/// order, in short transactions of [`CHAIN_BATCH`] rows under the chain's
/// lock. Any number of servers may run it at once; each row is linked once.
/// Returns how many rows it linked. Rows are unchained only on PostgreSQL.
pub async fn chain_pending(db: &Db) -> Result<u64, sqlx::Error> {
    let Db::Postgres(pool) = db else {
        return Ok(0);
    };
    let mut linked = 0u64;
    loop {
        // Without the lock first: at rest there is nothing to do.
        let waiting: Option<i64> =
            sqlx::query_scalar("SELECT id FROM audit_log WHERE seq IS NULL LIMIT 1")
                .fetch_optional(pool)
                .await?;
        if waiting.is_none() {
            return Ok(linked);
        }
        let mut tx = pool.begin().await?;
        lock_chain(&mut tx).await?;
        let rows: Vec<AuditEntry> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM audit_log WHERE seq IS NULL ORDER BY id LIMIT $1"
        ))
        .bind(CHAIN_BATCH)
        .fetch_all(&mut *tx)
        .await?;
        let (mut seq, mut prev) =
            next_link(sqlx::query_as(CHAIN_END).fetch_optional(&mut *tx).await?);
        let count = rows.len();
        let (mut ids, mut seqs, mut prevs, mut hashes) = (
            Vec::with_capacity(count),
            Vec::with_capacity(count),
            Vec::with_capacity(count),
            Vec::with_capacity(count),
        );
        for r in rows {
            let stamped = stamp(&r.at);
            let hash = chain_hash(&prev, &r.chained_fields(&stamped));
            seq += 1;
            ids.push(r.id);
            seqs.push(seq);
            prevs.push(std::mem::replace(&mut prev, hash.clone()));
            hashes.push(hash);
        }
        if count > 0 {
            sqlx::query(
                "UPDATE audit_log SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash \
                 FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::TEXT[]) AS v(id, seq, prev_hash, hash) \
                 WHERE audit_log.id = v.id",
            )
            .bind(&ids)
            .bind(&seqs)
            .bind(&prevs)
            .bind(&hashes)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        linked += count as u64;
        if (count as i64) < CHAIN_BATCH {
            return Ok(linked);
        }
    }
}

/// How many committed rows wait for the sequencer (none on SQLite).
pub async fn unchained(db: &Db) -> Result<i64, sqlx::Error> {
    Ok(waiting(db).await?.0)
}

/// The rows committed and not linked yet: how many, and when the oldest of
/// them was written (none on SQLite, which links each row as it writes it).
pub async fn waiting(db: &Db) -> Result<(i64, Option<DateTime<Utc>>), sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, (i64, Option<DateTime<Utc>>)>(
        "SELECT COUNT(*), MIN(at) FROM audit_log WHERE seq IS NULL").fetch_one(pool).await)
}

/// Write one audit row in a transaction of its own (sign-in attempts, denials).
pub async fn insert_alone(db: &Db, e: &NewAuditEntry) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    insert(&mut tx, e).await?;
    tx.commit().await
}

const COLUMNS: &str = "id, at, user_id, username, role, ip, action, object_type, object_id, outcome, detail, seq, prev_hash, hash";

/// Which rows a listing or an export selects; every part is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Rows at or after this instant…
    pub from: Option<DateTime<Utc>>,
    /// …and before this one (exclusive).
    pub until: Option<DateTime<Utc>>,
    /// Exactly this action (`login`, `export`, …).
    pub action: Option<String>,
    /// Exactly this object type (`member`, `case`, …).
    pub object_type: Option<String>,
    /// Exactly this user name, or the display name of the account.
    pub username: Option<String>,
    /// Rows up to this id: an export reads one consistent snapshot.
    pub max_id: Option<i64>,
}

/// A timestamp bound as the engine compares it: SQLite keeps the text sqlx
/// writes (RFC 3339, which sorts as time does); PostgreSQL casts it back.
fn time_condition(db: &Db, args: &mut Args, op: &str, at: &DateTime<Utc>) -> String {
    let p = args.push(Arg::Text(at.to_rfc3339_opts(SecondsFormat::AutoSi, false)));
    match db {
        Db::Sqlite(_) => format!("at {op} {p}"),
        Db::Postgres(_) => format!("at {op} CAST({p} AS TIMESTAMPTZ)"),
    }
}

fn filter_sql(db: &Db, f: &AuditFilter, args: &mut Args) -> String {
    let mut conditions = Vec::new();
    if let Some(from) = &f.from {
        conditions.push(time_condition(db, args, ">=", from));
    }
    if let Some(until) = &f.until {
        conditions.push(time_condition(db, args, "<", until));
    }
    if let Some(action) = &f.action {
        conditions.push(format!("action = {}", args.push(Arg::Text(action.clone()))));
    }
    if let Some(object_type) = &f.object_type {
        conditions.push(format!(
            "object_type = {}",
            args.push(Arg::Text(object_type.clone()))
        ));
    }
    if let Some(username) = &f.username {
        let p = args.push(Arg::Text(username.clone()));
        conditions.push(format!(
            "(username = {p} OR user_id IN (SELECT id FROM users WHERE display_name = {p}))"
        ));
    }
    if let Some(max_id) = f.max_id {
        conditions.push(format!("id <= {}", args.push(Arg::Int(max_id))));
    }
    if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    }
}

/// One page of the rows a filter selects, newest first, and how many it selects.
pub async fn list(
    db: &Db,
    f: &AuditFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<AuditEntry>, i64), sqlx::Error> {
    let total = count(db, f).await?;
    let mut args = Args::default();
    let mut sql = format!(
        "SELECT {COLUMNS} FROM audit_log{}",
        filter_sql(db, f, &mut args)
    );
    let l = args.push(Arg::Int(limit));
    let o = args.push(Arg::Int(offset));
    sql.push_str(&format!(" ORDER BY id DESC LIMIT {l} OFFSET {o}"));
    let rows = on_db!(db, pool => bind_args!(sqlx::query_as::<_, AuditEntry>(&sql), args).fetch_all(pool).await)?;
    Ok((rows, total))
}

/// How many rows a filter selects.
pub async fn count(db: &Db, f: &AuditFilter) -> Result<i64, sqlx::Error> {
    let mut args = Args::default();
    let sql = format!(
        "SELECT COUNT(*) FROM audit_log{}",
        filter_sql(db, f, &mut args)
    );
    on_db!(db, pool => bind_args!(sqlx::query_scalar::<_, i64>(&sql), args).fetch_one(pool).await)
}

/// The next `limit` rows a filter selects after `after_id`, oldest first (for exports).
pub async fn batch_after(
    db: &Db,
    f: &AuditFilter,
    after_id: i64,
    limit: i64,
) -> Result<Vec<AuditEntry>, sqlx::Error> {
    let mut args = Args::default();
    let filter = filter_sql(db, f, &mut args);
    let after = args.push(Arg::Int(after_id));
    let l = args.push(Arg::Int(limit));
    let joiner = if filter.is_empty() { " WHERE" } else { " AND" };
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_log{filter}{joiner} id > {after} ORDER BY id LIMIT {l}"
    );
    on_db!(db, pool => bind_args!(sqlx::query_as::<_, AuditEntry>(&sql), args).fetch_all(pool).await)
}

/// The newest row's id (0 for an empty log).
pub async fn max_id(db: &Db) -> Result<i64, sqlx::Error> {
    let id: Option<i64> = on_db!(db, pool => sqlx::query_scalar("SELECT MAX(id) FROM audit_log").fetch_one(pool).await)?;
    Ok(id.unwrap_or(0))
}

/// When the first row of the log was written: how far back it reaches.
pub async fn oldest(db: &Db) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_scalar("SELECT at FROM audit_log ORDER BY id LIMIT 1").fetch_optional(pool).await)
}

/// The tables whose records an audit row names by id, and that have a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named {
    Member,
    Org,
    Department,
    Community,
}

/// The names of the records with these ids (one query; ids without a
/// record, e.g. a member deleted since, are left out).
pub async fn names(db: &Db, of: Named, ids: &[i64]) -> Result<HashMap<i64, String>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let table = match of {
        Named::Member => "members",
        Named::Org => "orgs",
        Named::Department => "departments",
        Named::Community => "communities",
    };
    let mut args = Args::default();
    let list: Vec<String> = ids.iter().map(|id| args.push(Arg::Int(*id))).collect();
    let sql = format!(
        "SELECT id, name FROM {table} WHERE id IN ({})",
        list.join(", ")
    );
    let rows: Vec<(i64, String)> = on_db!(db, pool => bind_args!(sqlx::query_as::<_, (i64, String)>(&sql), args).fetch_all(pool).await)?;
    Ok(rows.into_iter().collect())
}

/// The accounts with these ids: their user name and display name (one query).
pub async fn accounts(db: &Db, ids: &[i64]) -> Result<HashMap<i64, (String, String)>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut args = Args::default();
    let list: Vec<String> = ids.iter().map(|id| args.push(Arg::Int(*id))).collect();
    let sql = format!(
        "SELECT id, username, display_name FROM users WHERE id IN ({})",
        list.join(", ")
    );
    let rows: Vec<(i64, String, String)> = on_db!(db, pool => bind_args!(sqlx::query_as::<_, (i64, String, String)>(&sql), args).fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .map(|(id, username, display)| (id, (username, display)))
        .collect())
}

/// The result of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainCheck {
    /// Every row links to the one before and its hash matches its content.
    Intact { rows: i64 },
    /// The first row whose link or content does not match.
    Broken { id: i64, reason: &'static str },
}

/// Recompute the chain from the first row, in batches, after linking the
/// rows committed so far.
pub async fn verify(db: &Db) -> Result<ChainCheck, sqlx::Error> {
    chain_pending(db).await?;
    let mut expected_prev = GENESIS.to_string();
    let mut last_seq = 0i64;
    let mut rows = 0i64;
    let sql = format!("SELECT {COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 1000");
    loop {
        let batch = on_db!(db, pool => sqlx::query_as::<_, AuditEntry>(&sql).bind(last_seq).fetch_all(pool).await)?;
        if batch.is_empty() {
            return Ok(ChainCheck::Intact { rows });
        }
        for e in batch {
            // Read by `seq`, so linked; a row missing its hashes has been
            // tampered with past the table's check.
            let (Some(prev_hash), Some(hash)) = (&e.prev_hash, &e.hash) else {
                return Ok(ChainCheck::Broken {
                    id: e.id,
                    reason: "link",
                });
            };
            if *prev_hash != expected_prev {
                return Ok(ChainCheck::Broken {
                    id: e.id,
                    reason: "link",
                });
            }
            let stamped = stamp(&e.at);
            if chain_hash(prev_hash, &e.chained_fields(&stamped)) != *hash {
                return Ok(ChainCheck::Broken {
                    id: e.id,
                    reason: "content",
                });
            }
            expected_prev.clone_from(hash);
            last_seq = e.seq.unwrap_or(last_seq);
            rows += 1;
        }
    }
}

/// The chain's head now (after linking the rows committed so far): how many
/// rows, and the newest row's hash.
pub async fn head(db: &Db) -> Result<crate::domain::audit_head::ChainHead, sqlx::Error> {
    chain_pending(db).await?;
    // One snapshot for both reads: a row linked between them would pair one
    // count with the next row's hash.
    let mut tx = db.snapshot().await?;
    let rows: i64 = on_tx!(&mut tx, conn => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM audit_log WHERE seq IS NOT NULL").fetch_one(conn).await)?;
    let hash: Option<String> = on_tx!(&mut tx, conn => sqlx::query_scalar::<_, String>(
        "SELECT hash FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1").fetch_optional(conn).await)?;
    tx.commit().await?;
    Ok(match hash {
        Some(hash) => crate::domain::audit_head::ChainHead { rows, hash },
        None => crate::domain::audit_head::ChainHead::empty(),
    })
}

/// The hash of the chain's row at `position` (1 for the oldest).
pub async fn hash_at(db: &Db, position: i64) -> Result<Option<String>, sqlx::Error> {
    if position < 1 {
        return Ok(None);
    }
    on_db!(db, pool => sqlx::query_scalar::<_, String>(
        "SELECT hash FROM audit_log WHERE seq IS NOT NULL ORDER BY seq LIMIT 1 OFFSET $1")
        .bind(position - 1).fetch_optional(pool).await)
}
