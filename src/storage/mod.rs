//! Storage: one set of queries over SQLite or PostgreSQL.
//!
//! The backend is chosen from the database URL's scheme. Queries are written once
//! with `$n` placeholders (SQLite accepts them) and run on either pool through the
//! [`on_db!`] and [`on_tx!`] macros, which type-check the same body once per backend.
//! Where the SQL really differs, a module matches on [`Db`] in one visible place.

pub mod activities;
pub mod archive;
pub mod attachments;
pub mod attempts;
pub mod audit;
pub mod awards;
pub mod backups;
pub mod bulk;
pub mod calendar;
pub mod cases;
pub mod events;
pub mod imports;
pub mod info;
pub mod members;
pub mod notifications;
pub mod orgs;
pub mod overview;
pub mod plans;
pub mod points;
pub mod projects;
pub mod proposals;
pub mod reception;
pub mod reports;
pub mod search;
pub mod sessions;
pub mod timeline;
pub mod todos;
pub mod users;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

/// A connection pool on one of the two supported engines.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A write transaction on one of the two engines.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    /// How many rows of `width` parameters one multi-row `INSERT` takes.
    /// SQLite binds anonymous `?` parameters by position (a numbered `$n`
    /// is a name it would look up by walking the statement's list of names,
    /// a cost that grows with the square of the parameters); PostgreSQL
    /// allows 65,535 parameters a statement.
    pub fn rows_per_insert(&self, width: usize) -> usize {
        let (rows, parameters) = match self {
            Tx::Sqlite(_) => (500, 32_000),
            Tx::Postgres(_) => (1000, 65_000),
        };
        (parameters / width.max(1)).clamp(1, rows)
    }

    /// The `VALUES` list of a multi-row `INSERT` of `rows` rows of `width`
    /// parameters: `(?, ?), (?, ?)` on SQLite, `($1, $2), ($3, $4)` on
    /// PostgreSQL. `literal` is appended to every row as it is (constant
    /// columns).
    pub fn insert_values(&self, rows: usize, width: usize, literal: &str) -> String {
        let mut out = String::with_capacity(rows * (width * 6 + literal.len() + 4));
        let mut n = 0;
        for r in 0..rows {
            if r > 0 {
                out.push_str(", ");
            }
            out.push('(');
            for c in 0..width {
                if c > 0 {
                    out.push_str(", ");
                }
                n += 1;
                match self {
                    Tx::Sqlite(_) => out.push('?'),
                    Tx::Postgres(_) => {
                        out.push('$');
                        out.push_str(&n.to_string());
                    }
                }
            }
            out.push_str(literal);
            out.push(')');
        }
        out
    }
}

/// Gather `table`'s statistics on PostgreSQL, so that the plans made next
/// know its size after a large write; nothing on SQLite, whose planner does
/// not use statistics unless asked.
pub async fn analyze(tx: &mut Tx, table: &'static str) -> Result<(), sqlx::Error> {
    if let Tx::Postgres(pg) = tx {
        sqlx::query(&format!("ANALYZE {table}"))
            .execute(&mut **pg)
            .await?;
    }
    Ok(())
}

/// Columns that hold a closed choice (a status, an approval) as its stable
/// identifier: read straight into the domain's enum, so a stored value is
/// parsed once, here, on both engines. A value the enum does not know is a
/// decoding error, not a silent default.
macro_rules! text_column {
    ($($t:ty),+ $(,)?) => {$(
        impl<DB: sqlx::Database> sqlx::Type<DB> for $t
        where
            String: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <String as sqlx::Type<DB>>::type_info()
            }
            fn compatible(ty: &DB::TypeInfo) -> bool {
                <String as sqlx::Type<DB>>::compatible(ty)
            }
        }

        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $t
        where
            String: sqlx::Decode<'r, DB>,
        {
            fn decode(
                value: <DB as sqlx::Database>::ValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <String as sqlx::Decode<'r, DB>>::decode(value)?;
                <$t>::ALL
                    .into_iter()
                    .find(|v| v.as_str() == text)
                    .ok_or_else(|| format!("{} has no value {text:?}", stringify!($t)).into())
            }
        }
    )+};
}

text_column!(
    crate::domain::cases::CaseStatus,
    crate::domain::proposals::ProposalStatus,
    crate::domain::info::InfoStatus,
    crate::domain::activities::Approval,
    crate::domain::projects::ProjectKind,
    crate::domain::projects::ProjectStatus,
    crate::domain::notifications::Channel,
    crate::domain::notifications::OutboxStatus,
);

/// Run `$body` with `$conn` bound to the pool of whichever engine `$db` is.
#[macro_export]
macro_rules! on_db {
    ($db:expr, $conn:ident => $body:expr) => {
        match $db {
            $crate::storage::Db::Sqlite($conn) => $body,
            $crate::storage::Db::Postgres($conn) => $body,
        }
    };
}

/// Run `$body` with `$conn` bound to the open transaction's connection.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::storage::Tx::Sqlite(tx) => {
                let $conn = &mut **tx;
                $body
            }
            $crate::storage::Tx::Postgres(tx) => {
                let $conn = &mut **tx;
                $body
            }
        }
    };
}

/// Which engine a URL selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Self, StorageError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StorageError::UnsupportedUrl(redact_url(url)))
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("unsupported database URL {0}: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("cannot create the database folder {0}: {1}")]
    Folder(String, std::io::Error),
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Hide a password in a URL before it reaches a log or an error.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// A PostgreSQL connection idle this long is pinged before it is used again.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(30);

impl Db {
    /// Open a pool for `url`, creating a SQLite file (and its folder) if needed.
    pub async fn connect(url: &str) -> Result<Db, StorageError> {
        match Backend::from_url(url)? {
            Backend::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    // FULL: a commit that returned survives a power loss.
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
                    // Statistics follow the data: each connection leaving the
                    // pool refreshes those that drifted.
                    .optimize_on_close(true, Some(1000))
                    // A connection's thread hands rows over through a channel of
                    // this many; at sqlx's 50 it stopped and was woken again every
                    // 50 rows of a long list; the whole list of 2,013 proposals
                    // at 10 connections went from 57 answers a second to 67 at
                    // 1,024, and the load mix lost nothing (BENCHMARKS.md, "Rows
                    // handed over").
                    .row_buffer_size(1024);
                if let Some(parent) = options.get_filename().parent() {
                    if !parent.as_os_str().is_empty() {
                        std::fs::create_dir_all(parent)
                            .map_err(|e| StorageError::Folder(parent.display().to_string(), e))?;
                    }
                }
                // Each SQLite connection runs on a thread of its own, and one
                // writer works at a time. On the two cores measured (BENCHMARKS.md,
                // "Fifth run") 6 connections served 1,714–1,719 requests/s at 32
                // clients against 1,483–1,570 with 4; 8 added little more
                // (1,717–1,858) for 8 MB more peak memory.
                // sqlx pings a pooled connection before every use by default:
                // a round trip to its thread for a file that cannot hang up.
                let pool = SqlitePoolOptions::new()
                    .max_connections(6)
                    .test_before_acquire(false)
                    .connect_with(options)
                    .await?;
                Ok(Db::Sqlite(pool))
            }
            Backend::Postgres => {
                // lvzhi's working set is small enough to stay in memory, where
                // a random read costs about as much as a sequential one; with
                // the default cost of 4 the planner scans whole tables (34,560
                // reception days for a district's 360) rather than read an
                // index. A URL that sets it in its `options` keeps its own.
                let mut options = PgConnectOptions::from_str(url)?;
                if !url.contains("random_page_cost") {
                    options = options.options([("random_page_cost", "1.1")]);
                }
                // JIT compiles the expressions of every query estimated above
                // `jit_above_cost`: the year's points across a province (a
                // union of 17 parts over a year's records) spent seconds
                // compiling, parts that run in 150 ms took 500 with it.
                // lvzhi's queries are short; a URL that sets it keeps its own.
                if !url.contains("jit") {
                    options = options.options([("jit", "off")]);
                }
                // sqlx pings a pooled connection before every use by default:
                // a network round trip for each query. Only a connection idle
                // for a while is checked (a server restart or a firewall may
                // have dropped it); a busy one proves itself with each query.
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .test_before_acquire(false)
                    .before_acquire(|conn, meta| {
                        Box::pin(async move {
                            if meta.idle_for > IDLE_BEFORE_PING {
                                sqlx::Connection::ping(conn).await?;
                            }
                            Ok(true)
                        })
                    })
                    .connect_with(options)
                    .await?;
                Ok(Db::Postgres(pool))
            }
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Bring the schema up to date; safe to run at every start.
    pub async fn migrate(&self) -> Result<(), StorageError> {
        match self {
            Db::Sqlite(pool) => {
                sqlx::migrate!("migrations/sqlite").run(pool).await?;
                // SQLite keeps no statistics by itself; the planner's choice
                // of index depends on them as tables grow. Bounded, so cheap.
                sqlx::raw_sql("PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002;")
                    .execute(pool)
                    .await?;
            }
            Db::Postgres(pool) => sqlx::migrate!("migrations/postgres").run(pool).await?,
        }
        members::fill_name_keys(self).await?;
        Ok(())
    }

    /// Start a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so two writers queue instead of failing half-way.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// Start a read-only transaction: what it reads is one snapshot of the
    /// data, however many statements read it. On SQLite a deferred `BEGIN`
    /// (in WAL mode the snapshot is taken at the first read and no lock is
    /// held against writers); on PostgreSQL repeatable read.
    pub async fn snapshot(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN").await?),
            Db::Postgres(pool) => Tx::Postgres(
                pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .await?,
            ),
        })
    }

    /// Settings of the server that put committed data at risk. SQLite's are
    /// set by us at connect time (WAL, synchronous=FULL); PostgreSQL's are the
    /// server administrator's, so they are checked and reported.
    pub async fn durability_warnings(&self) -> Result<Vec<String>, sqlx::Error> {
        let Db::Postgres(pool) = self else {
            return Ok(Vec::new());
        };
        let mut warnings = Vec::new();
        for (setting, safe) in [
            ("fsync", "on"),
            ("synchronous_commit", "on"),
            ("full_page_writes", "on"),
        ] {
            let value: String = sqlx::query_scalar(&format!("SHOW {setting}"))
                .fetch_one(pool)
                .await?;
            if value != safe
                && !(setting == "synchronous_commit"
                    && matches!(value.as_str(), "remote_write" | "remote_apply"))
            {
                warnings.push(format!(
                    "PostgreSQL {setting} = {value}: committed records can be lost in a crash; set {setting} = {safe}"
                ));
            }
        }
        Ok(warnings)
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        on_db!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))
    }

    pub async fn close(&self) {
        on_db!(self, pool => pool.close().await)
    }
}

impl Tx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
    }
}

/// True when the error is a unique-constraint violation. Matched on the kind,
/// since SQLite does not report constraint names the way PostgreSQL does.
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.kind() == sqlx::error::ErrorKind::UniqueViolation)
}

/// True when the error is a foreign-key violation (a row still referenced).
pub fn is_foreign_key_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.kind() == sqlx::error::ErrorKind::ForeignKeyViolation)
}

/// A bound value for queries whose shape is built at run time (filters, sorting).
#[derive(Clone, Debug)]
pub enum Arg {
    Int(i64),
    Text(String),
}

/// Collects the values of a dynamic query and hands out their `$n` placeholders.
#[derive(Default, Debug)]
pub struct Args(pub Vec<Arg>);

impl Args {
    pub fn push(&mut self, arg: Arg) -> String {
        self.0.push(arg);
        format!("${}", self.0.len())
    }
}

/// Bind every collected value onto a query, in order.
#[macro_export]
macro_rules! bind_args {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args.0.iter() {
            query = match arg {
                $crate::storage::Arg::Int(v) => query.bind(*v),
                $crate::storage::Arg::Text(v) => query.bind(v.clone()),
            };
        }
        query
    }};
}

/// `(SELECT id FROM orgs …)`: the ids of the organisations within the scope
/// path bound at `placeholder`. Filtering a large table by `org_id IN` this
/// list lets both engines read it through its `org_id` index, where a
/// condition on the joined organisation's path made them scan it whole.
pub fn scope_ids(db: &Db, placeholder: &str) -> String {
    format!(
        "(SELECT id FROM orgs WHERE {})",
        within_scope(db, "path", placeholder)
    )
}

/// `column` (an organisation path) lies within the scope path bound at
/// `placeholder`. Paths are made of digits and `/` only (see
/// `domain::orgs::child_path`), so the paths within a scope are exactly
/// those between the scope path and the scope path followed by `~` in
/// bytewise order: that range is read from an index (`orgs_path` on SQLite,
/// whose text order is bytewise; `orgs_path_pattern` on PostgreSQL, through
/// the `text_pattern_ops` operators that compare bytes whatever the
/// database's collation). On SQLite a prefix test is added for good
/// measure; PostgreSQL does without it, because it would estimate the
/// scope at one organisation and plan every join and grouping for a
/// handful of rows instead of thousands (a sort where hashing is faster).
pub fn within_scope(db: &Db, column: &str, placeholder: &str) -> String {
    match db {
        Db::Sqlite(_) => format!(
            "{column} >= {placeholder} AND {column} < {placeholder} || '~' \
             AND substr({column}, 1, length({placeholder})) = {placeholder}"
        ),
        Db::Postgres(_) => {
            format!("{column} ~>=~ {placeholder} AND {column} ~<~ ({placeholder} || '~')")
        }
    }
}

/// Escape `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub fn like_pattern(needle: &str) -> String {
    let mut out = String::with_capacity(needle.len() + 2);
    out.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_is_chosen_from_the_scheme() {
        assert_eq!(
            Backend::from_url("sqlite://data/x.db").ok(),
            Some(Backend::Sqlite)
        );
        assert_eq!(
            Backend::from_url("postgres://u@h/db").ok(),
            Some(Backend::Postgres)
        );
        assert_eq!(
            Backend::from_url("postgresql://u@h/db").ok(),
            Some(Backend::Postgres)
        );
        assert!(Backend::from_url("mysql://u@h/db").is_err());
    }

    #[test]
    fn passwords_are_hidden_in_urls() {
        assert_eq!(
            redact_url("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite://data/x.db"), "sqlite://data/x.db");
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("孙"), "%孙%");
        assert_eq!(like_pattern("a%b_c\\"), "%a\\%b\\_c\\\\%");
    }
}
