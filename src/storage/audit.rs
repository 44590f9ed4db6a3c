//! The audit log: one row per login, logout, change and export, written in the
//! same transaction as the change it records, hash-chained and append-only.
//!
//! A row is written without its chain fields and chained afterwards, in the
//! order rows become visible: [`chain_pending`] gives each unchained row,
//! in id order, the next position `seq` after the chain's head, the head's
//! hash as `prev_hash` and its own `hash` (over that and its content). On
//! SQLite that happens in the writing transaction itself (`BEGIN IMMEDIATE`
//! already makes writers take turns), so a committed row is always chained.
//! On PostgreSQL a writer takes no lock: the sequencer ([`settle`]) chains
//! what has committed, in a short transaction of its own under the chain's
//! advisory lock, so one sequencer at a time extends the chain whatever the
//! number of servers on the database. A server runs it after each of its
//! commits and every second (rows of another server, or of a process that
//! died before it ran); a row whose writer commits late, after rows with
//! higher ids were chained, simply takes a later position.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use serde::Serialize;
use sqlx::FromRow;
use tokio::sync::watch;
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
    /// The previous row's hash in the chain (none until the row is chained).
    pub prev_hash: Option<String>,
    /// The hash over `prev_hash` and this row's content (none until chained).
    pub hash: Option<String>,
    /// The row's position in the chain, 1 for the first (none until chained,
    /// a moment after its commit on PostgreSQL).
    #[sqlx(default)]
    pub seq: Option<i64>,
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

/// The hash a stored row must carry after `prev_hash`.
fn entry_hash(prev_hash: &str, e: &AuditEntry) -> String {
    let stamped = stamp(&e.at);
    chain_hash(
        prev_hash,
        &ChainedFields {
            at: &stamped,
            user_id: e.user_id,
            username: e.username.as_deref(),
            role: e.role.as_deref(),
            ip: e.ip.as_deref(),
            action: &e.action,
            object_type: e.object_type.as_deref(),
            object_id: e.object_id.as_deref(),
            outcome: &e.outcome,
            detail: e.detail.as_deref(),
        },
    )
}

/// PostgreSQL: one sequencer at a time extends the chain, across every
/// server on the database (an advisory lock held until its commit).
const CHAIN_LOCK: i64 = 0x6c767a6869_i64;

/// Rows are read and chained this many at a time.
const CHAIN_BATCH: i64 = 1000;

/// How long a committed row may stay unchained before [`verify`] reports it:
/// far beyond the sequencer's second, and beyond the longest transaction
/// (a row is stamped when written, chained only once its writer commits).
pub const UNCHAINED_GRACE: Duration = Duration::from_secs(15 * 60);

/// How often a server's sequencer looks for rows to chain without being told
/// (rows of another server on the database, or left by a process that died).
pub const SEQUENCER_PERIOD: Duration = Duration::from_secs(1);

/// Bumped after every PostgreSQL commit of this process: a sequencer waiting
/// on it wakes, and any number of commits while it works wake it once more.
fn commits() -> &'static watch::Sender<u64> {
    static COMMITS: OnceLock<watch::Sender<u64>> = OnceLock::new();
    COMMITS.get_or_init(|| watch::channel(0).0)
}

/// A write transaction committed (PostgreSQL): rows may wait to be chained.
pub(crate) fn committed() {
    commits().send_modify(|n| *n = n.wrapping_add(1));
}

pub async fn insert(tx: &mut Tx, e: &NewAuditEntry) -> Result<(), sqlx::Error> {
    let at = Utc::now().trunc_subsecs(6);
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO audit_log (at, user_id, username, role, ip, action, object_type, object_id, outcome, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
        .bind(at).bind(e.user_id).bind(&e.username).bind(&e.role).bind(&e.ip)
        .bind(e.action).bind(e.object_type).bind(&e.object_id).bind(e.outcome).bind(&e.detail)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    chain_if_sqlite(tx).await
}

/// Write many rows in one go (an import's rows, one per member), a thousand
/// to a statement, so 30,000 rows cost a few dozen round trips instead of
/// 30,000. Ids, and so the chain, follow the order of `entries`.
pub async fn insert_many(tx: &mut Tx, entries: &[NewAuditEntry]) -> Result<(), sqlx::Error> {
    if entries.is_empty() {
        return Ok(());
    }
    let at = Utc::now().trunc_subsecs(6);
    for chunk in entries.chunks(1000) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| {
                let n = i * 10;
                let p: Vec<String> = (1..=10).map(|k| format!("${}", n + k)).collect();
                format!("({})", p.join(", "))
            })
            .collect();
        // Ids follow the order of VALUES on both engines.
        let sql = format!(
            "INSERT INTO audit_log (at, user_id, username, role, ip, action, object_type, object_id, outcome, detail) VALUES {}",
            values.join(", ")
        );
        on_tx!(tx, conn => {
            let mut query = sqlx::query(&sql);
            for e in chunk {
                query = query
                    .bind(at).bind(e.user_id).bind(&e.username).bind(&e.role).bind(&e.ip)
                    .bind(e.action).bind(e.object_type).bind(&e.object_id).bind(e.outcome)
                    .bind(&e.detail);
            }
            query.execute(conn).await.map(|_| ())
        })?;
    }
    chain_if_sqlite(tx).await
}

/// SQLite chains in the writing transaction, which holds the write lock.
async fn chain_if_sqlite(tx: &mut Tx) -> Result<(), sqlx::Error> {
    if let Tx::Sqlite(_) = tx {
        chain_pending(tx).await?;
    }
    Ok(())
}

/// Write one audit row in a transaction of its own (sign-in attempts, denials).
pub async fn insert_alone(db: &Db, e: &NewAuditEntry) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    insert(&mut tx, e).await?;
    tx.commit().await
}

/// Chain every row `tx` sees unchained, in id order, after the chain's head;
/// how many. On PostgreSQL it first takes the chain's lock, so the head it
/// reads next is the last one any sequencer committed (each statement of a
/// READ COMMITTED transaction sees what committed before it began).
pub async fn chain_pending(tx: &mut Tx) -> Result<u64, sqlx::Error> {
    if let Tx::Postgres(pg) = tx {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(CHAIN_LOCK)
            .execute(&mut **pg)
            .await?;
    }
    let head: Option<(i64, String)> = on_tx!(tx, conn => sqlx::query_as(
        "SELECT seq, hash FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1")
        .fetch_optional(conn).await)?;
    let (mut seq, mut prev) = head.unwrap_or_else(|| (0, GENESIS.to_string()));
    let select = format!(
        "SELECT {COLUMNS} FROM audit_log WHERE seq IS NULL ORDER BY id LIMIT {CHAIN_BATCH}"
    );
    let mut chained = 0u64;
    loop {
        let batch =
            on_tx!(tx, conn => sqlx::query_as::<_, AuditEntry>(&select).fetch_all(conn).await)?;
        if batch.is_empty() {
            return Ok(chained);
        }
        let mut links = Vec::with_capacity(batch.len());
        for e in &batch {
            seq += 1;
            let hash = entry_hash(&prev, e);
            links.push((e.id, seq, std::mem::replace(&mut prev, hash.clone()), hash));
        }
        let values: Vec<String> = (0..links.len())
            .map(|i| {
                let n = i * 4;
                format!("(${}, ${}, ${}, ${})", n + 1, n + 2, n + 3, n + 4)
            })
            .collect();
        // VALUES names its columns column1… on both engines. `seq IS NULL`:
        // a row is chained once (the table's trigger refuses a second time).
        let sql = format!(
            "UPDATE audit_log SET seq = v.column2, prev_hash = v.column3, hash = v.column4 \
             FROM (VALUES {}) AS v WHERE audit_log.id = v.column1 AND audit_log.seq IS NULL",
            values.join(", ")
        );
        let updated = on_tx!(tx, conn => {
            let mut query = sqlx::query(&sql);
            for (id, seq, prev, hash) in &links {
                query = query.bind(*id).bind(*seq).bind(prev).bind(hash);
            }
            query.execute(conn).await.map(|r| r.rows_affected())
        })?;
        if updated != links.len() as u64 {
            // Another sequencer chained a row under our feet: give up, chain nothing.
            return Err(sqlx::Error::Protocol(format!(
                "audit chain: {updated} of {} rows chained; another sequencer ran without the lock",
                links.len()
            )));
        }
        chained += updated;
    }
}

/// Chain every row committed before this call (any server's): the
/// sequencer's pass, and what a caller awaits when it needs the whole chain
/// (verify, the head, a backup, an export). How many rows it chained.
pub async fn settle(db: &Db) -> Result<u64, sqlx::Error> {
    // Nothing waiting (the common case): no transaction, no lock.
    let waiting: Option<i64> = on_db!(db, pool => sqlx::query_scalar(
        "SELECT id FROM audit_log WHERE seq IS NULL LIMIT 1").fetch_optional(pool).await)?;
    if waiting.is_none() {
        return Ok(0);
    }
    let mut tx = db.begin().await?;
    let chained = chain_pending(&mut tx).await?;
    // Its own commit wakes no sequencer: it leaves nothing unchained.
    tx.commit_quietly().await?;
    Ok(chained)
}

/// A server's sequencer: chains what it finds at start, then after each
/// commit of this process (a burst of commits wakes it once) and every
/// [`SEQUENCER_PERIOD`] besides.
pub async fn run_sequencer(db: Db) {
    let mut commits = commits().subscribe();
    loop {
        if let Err(e) = settle(&db).await {
            tracing::warn!(error = %e, "audit sequencer failed; it tries again");
            tokio::time::sleep(SEQUENCER_PERIOD).await;
        }
        let _ = tokio::time::timeout(SEQUENCER_PERIOD, commits.changed()).await;
    }
}

const COLUMNS: &str = "id, at, user_id, username, role, ip, action, object_type, object_id, outcome, detail, prev_hash, hash, seq";

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
    /// The first row whose link, content or position does not match, or a
    /// row left unchained for longer than [`UNCHAINED_GRACE`].
    Broken { id: i64, reason: &'static str },
}

/// Recompute the chain from its first position, in batches, as stored (it
/// writes nothing: call [`settle`] first to include the rows just written).
/// Each position from 1 holds exactly one row, which links to the row
/// before and whose hash matches its content; every row has a position,
/// but those committed in the last [`UNCHAINED_GRACE`] that the sequencer
/// has not reached yet.
pub async fn verify(db: &Db) -> Result<ChainCheck, sqlx::Error> {
    let mut expected_prev = GENESIS.to_string();
    let mut position = 0i64;
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq, id LIMIT {CHAIN_BATCH}"
    );
    // Looked for before the walk: a row that commits during it, however
    // old its stamp (a long transaction), is not taken for a stale one.
    let stale = stale_unchained(db).await?;
    loop {
        let batch = on_db!(db, pool => sqlx::query_as::<_, AuditEntry>(&sql).bind(position).fetch_all(pool).await)?;
        if batch.is_empty() {
            break;
        }
        for e in batch {
            position += 1;
            // A gap: the row at this position was removed.
            if e.seq != Some(position) || e.prev_hash.as_deref() != Some(expected_prev.as_str()) {
                return Ok(ChainCheck::Broken {
                    id: e.id,
                    reason: "link",
                });
            }
            let hash = entry_hash(&expected_prev, &e);
            if e.hash.as_deref() != Some(hash.as_str()) {
                return Ok(ChainCheck::Broken {
                    id: e.id,
                    reason: "content",
                });
            }
            expected_prev = hash;
        }
    }
    // A position held twice, or below 1, is a row the walk did not check.
    let (held, first): (i64, Option<i64>) = on_db!(db, pool => sqlx::query_as(
        "SELECT COUNT(*), MIN(id) FROM audit_log WHERE seq <= $1").bind(position).fetch_one(pool).await)?;
    if held != position {
        let id: Option<i64> = on_db!(db, pool => sqlx::query_scalar(
            "SELECT a.id FROM audit_log a WHERE a.seq < 1 OR EXISTS \
             (SELECT 1 FROM audit_log b WHERE b.seq = a.seq AND b.id < a.id) ORDER BY a.id LIMIT 1")
            .fetch_optional(pool).await)?;
        return Ok(ChainCheck::Broken {
            id: id.or(first).unwrap_or(0),
            reason: "position",
        });
    }
    if let Some(id) = stale {
        let still: Option<i64> = on_db!(db, pool => sqlx::query_scalar(
            "SELECT id FROM audit_log WHERE id = $1 AND seq IS NULL").bind(id).fetch_optional(pool).await)?;
        if still.is_some() {
            return Ok(ChainCheck::Broken {
                id,
                reason: "unchained",
            });
        }
    }
    Ok(ChainCheck::Intact { rows: position })
}

/// The oldest row left unchained for longer than [`UNCHAINED_GRACE`], if
/// any: no sequencer has run since it committed (no server, or a failing one).
pub async fn stale_unchained(db: &Db) -> Result<Option<i64>, sqlx::Error> {
    let bound = Utc::now() - chrono::Duration::from_std(UNCHAINED_GRACE).unwrap_or_default();
    on_db!(db, pool => sqlx::query_scalar(
        "SELECT id FROM audit_log WHERE seq IS NULL AND at < $1 ORDER BY id LIMIT 1")
        .bind(bound).fetch_optional(pool).await)
}

/// The chain's head now: how many rows it holds, and the last one's hash
/// (rows not yet chained are not part of it: [`settle`] first).
pub async fn head(db: &Db) -> Result<crate::domain::audit_head::ChainHead, sqlx::Error> {
    let last: Option<(i64, String)> = on_db!(db, pool => sqlx::query_as(
        "SELECT seq, hash FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1")
        .fetch_optional(pool).await)?;
    Ok(match last {
        Some((rows, hash)) => crate::domain::audit_head::ChainHead { rows, hash },
        None => crate::domain::audit_head::ChainHead::empty(),
    })
}

/// The hash of the chain's row at `position` (1 for the oldest).
pub async fn hash_at(db: &Db, position: i64) -> Result<Option<String>, sqlx::Error> {
    if position < 1 {
        return Ok(None);
    }
    on_db!(db, pool => sqlx::query_scalar::<_, String>(
        "SELECT hash FROM audit_log WHERE seq = $1")
        .bind(position).fetch_optional(pool).await)
}
