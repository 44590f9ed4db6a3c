//! Online backup and restore, encrypted with a subkey of the data key.
//!
//! A backup file is a header, then the snapshot encrypted with AES-256-GCM
//! (the header is authenticated with it):
//!
//! ```text
//! "LVZHIBK2" | engine name length (1 byte) | "sqlite" or "postgres" | key fingerprint (8 bytes)
//!            | audit rows (8 bytes, big-endian) | newest audit hash (32 bytes) | nonce | ciphertext + tag
//! ```
//!
//! The audit chain's head (its row count and newest hash, taken as the backup
//! starts) is kept outside the database this way, authenticated with the
//! rest: `lvzhi audit verify` reads the heads of the backups and reports a
//! chain that has since lost rows from its tail. Files of format 1
//! (`LVZHIBK1`, without the head) are still restored.
//!
//! - SQLite: `VACUUM INTO` a file next to the output. It reads inside one read
//!   transaction, so in WAL mode it is a consistent snapshot while writers go on.
//! - PostgreSQL: `pg_dump --format=custom`, which dumps from one snapshot.
//!
//! The output is written to a temporary file, flushed to disk and renamed, so
//! a crash leaves the old backup or the new one, never half of one. Restore
//! refuses a backup of the other engine, another key, a damaged file, and a
//! target that already holds data unless forced.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use rand::RngCore;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection, SqlitePool};

use crate::app::i18n::{t, t_with, Locale};
use crate::domain::audit_head::ChainHead;
use crate::on_db;
use crate::security::crypto::{FieldCipher, BACKUP_KEY_ID_LEN};
use crate::storage::audit::{self, ChainCheck};
use crate::storage::{Backend, Db, StorageError};

/// The first bytes of a backup file of format 1 (no audit head).
pub const MAGIC: &[u8; 8] = b"LVZHIBK1";

/// The first bytes of a backup file of format 2 (with the audit chain's head).
pub const MAGIC_V2: &[u8; 8] = b"LVZHIBK2";

/// The migrations table is bookkeeping, not data: a freshly migrated database is empty.
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

/// The same migrations as `Db::migrate`, run on the one connection that checks
/// a restored file before it replaces the target.
static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{0} is not an lvzhi backup")]
    NotABackup(String),
    #[error("the backup is of a {backup} database and cannot be restored into {target}")]
    EngineMismatch {
        backup: &'static str,
        target: &'static str,
    },
    #[error("the backup was encrypted with another data key")]
    WrongKey,
    #[error("the backup is damaged or was changed")]
    Damaged,
    #[error("the backup cannot be encrypted")]
    Encrypt,
    #[error("{0} is the database itself")]
    OutputIsDatabase(String),
    #[error("the target database already holds data (use --force to replace it)")]
    TargetNotEmpty,
    #[error("the target database is open in another process")]
    TargetInUse,
    #[error("{0} not found on PATH")]
    ToolMissing(&'static str),
    #[error("{tool} failed: {detail}")]
    ToolFailed { tool: &'static str, detail: String },
    #[error("integrity check failed: {0}")]
    Integrity(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
}

impl BackupError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        BackupError::Io {
            path: path.display().to_string(),
            source,
        }
    }

    /// The error as the operator reads it.
    pub fn message(&self, locale: Locale) -> String {
        match self {
            BackupError::Io { path, source } => t_with(
                locale,
                "backup.error.io",
                &[("file", path.clone()), ("detail", source.to_string())],
            ),
            BackupError::NotABackup(path) => {
                t_with(locale, "backup.error.not_backup", &[("file", path.clone())])
            }
            BackupError::EngineMismatch { backup, target } => t_with(
                locale,
                "backup.error.engine_mismatch",
                &[
                    ("backup", backup.to_string()),
                    ("target", target.to_string()),
                ],
            ),
            BackupError::WrongKey => t(locale, "backup.error.wrong_key"),
            BackupError::Damaged => t(locale, "backup.error.damaged"),
            BackupError::Encrypt => t(locale, "backup.error.encrypt"),
            BackupError::OutputIsDatabase(path) => t_with(
                locale,
                "backup.error.output_is_database",
                &[("file", path.clone())],
            ),
            BackupError::TargetNotEmpty => t(locale, "backup.error.target_not_empty"),
            BackupError::TargetInUse => t(locale, "backup.error.target_in_use"),
            BackupError::ToolMissing(tool) => t_with(
                locale,
                "backup.error.tool_missing",
                &[("tool", tool.to_string())],
            ),
            BackupError::ToolFailed { tool, detail } => t_with(
                locale,
                "backup.error.tool_failed",
                &[("tool", tool.to_string()), ("detail", detail.clone())],
            ),
            BackupError::Integrity(detail) => t_with(
                locale,
                "backup.error.integrity",
                &[("detail", detail.clone())],
            ),
            BackupError::Storage(e) => t_with(
                locale,
                "backup.error.database",
                &[("detail", e.to_string())],
            ),
            BackupError::Sqlx(e) => t_with(
                locale,
                "backup.error.database",
                &[("detail", e.to_string())],
            ),
        }
    }
}

/// The engine's name as written in a backup header.
pub fn engine_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

/// The engine's name as shown to people.
pub fn engine_label(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    }
}

/// What a backup wrote.
#[derive(Debug, Clone)]
pub struct BackupReport {
    pub engine: Backend,
    /// Size of the encrypted file.
    pub bytes: u64,
    /// The audit chain's head recorded in the file.
    pub head: ChainHead,
}

/// What a restore brought back.
#[derive(Debug, Clone)]
pub struct RestoreReport {
    pub engine: Backend,
    /// User tables in the restored database.
    pub tables: usize,
    /// The restored audit log's hash chain.
    pub audit: ChainCheck,
}

fn header(engine: Backend, key_id: [u8; BACKUP_KEY_ID_LEN], head: &ChainHead) -> Vec<u8> {
    let name = engine_name(engine).as_bytes();
    let mut out = Vec::with_capacity(MAGIC_V2.len() + 1 + name.len() + key_id.len() + 40);
    out.extend_from_slice(MAGIC_V2);
    // Engine names are a few ASCII letters.
    out.push(name.len() as u8);
    out.extend_from_slice(name);
    out.extend_from_slice(&key_id);
    out.extend_from_slice(&(head.rows.max(0) as u64).to_be_bytes());
    let mut hash = [0u8; 32];
    // The chain's hashes are 64 hex digits; anything else is kept as zeros.
    let _ = hex::decode_to_slice(&head.hash, &mut hash);
    out.extend_from_slice(&hash);
    out
}

/// A parsed header: the engine, the key fingerprint, the audit head (format
/// 2), and where the sealed part starts.
struct Header {
    engine: Backend,
    key_id: [u8; BACKUP_KEY_ID_LEN],
    head: Option<ChainHead>,
    len: usize,
}

fn parse_header(bytes: &[u8]) -> Option<Header> {
    let (rest, with_head) = if let Some(rest) = bytes.strip_prefix(MAGIC_V2.as_slice()) {
        (rest, true)
    } else {
        (bytes.strip_prefix(MAGIC.as_slice())?, false)
    };
    let (&name_len, rest) = rest.split_first()?;
    let name_len = usize::from(name_len);
    let head_len = if with_head { 40 } else { 0 };
    if rest.len() < name_len + BACKUP_KEY_ID_LEN + head_len {
        return None;
    }
    let engine = match &rest[..name_len] {
        b"sqlite" => Backend::Sqlite,
        b"postgres" => Backend::Postgres,
        _ => return None,
    };
    let mut key_id = [0u8; BACKUP_KEY_ID_LEN];
    key_id.copy_from_slice(&rest[name_len..name_len + BACKUP_KEY_ID_LEN]);
    let head = with_head.then(|| {
        let at = name_len + BACKUP_KEY_ID_LEN;
        let mut rows = [0u8; 8];
        rows.copy_from_slice(&rest[at..at + 8]);
        ChainHead {
            rows: i64::try_from(u64::from_be_bytes(rows)).unwrap_or(i64::MAX),
            hash: hex::encode(&rest[at + 8..at + 40]),
        }
    });
    Some(Header {
        engine,
        key_id,
        head,
        len: MAGIC.len() + 1 + name_len + BACKUP_KEY_ID_LEN + head_len,
    })
}

/// The audit head a backup file recorded (`None` for a format-1 file),
/// authenticated: the file is decrypted with the data key, so a head that was
/// edited, or a file made with another key, is refused.
pub async fn recorded_head(
    cipher: &FieldCipher,
    input: &Path,
) -> Result<Option<ChainHead>, BackupError> {
    let path = input.to_path_buf();
    let bytes =
        blocking(move || std::fs::read(&path).map_err(|e| BackupError::io(&path, e))).await?;
    let header =
        parse_header(&bytes).ok_or_else(|| BackupError::NotABackup(input.display().to_string()))?;
    if header.key_id != cipher.backup_key_id() {
        return Err(BackupError::WrongKey);
    }
    let (head, sealed) = bytes.split_at(header.len);
    cipher
        .decrypt_bytes(sealed, head)
        .map_err(|_| BackupError::Damaged)?;
    Ok(header.head)
}

/// The backup files in a folder (those that start like one), by name.
pub fn backup_files(dir: &Path) -> Result<Vec<PathBuf>, BackupError> {
    use std::io::Read;
    let mut files = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        // No folder yet: no backups yet.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(files),
        other => other.map_err(|e| BackupError::io(dir, e))?,
    };
    for entry in entries {
        let path = entry.map_err(|e| BackupError::io(dir, e))?.path();
        if !path.is_file() {
            continue;
        }
        let mut first = [0u8; 8];
        let read = std::fs::File::open(&path).and_then(|mut f| f.read_exact(&mut first));
        if read.is_ok() && looks_like_backup(&first) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Whether a file starts like an lvzhi backup (of either format).
pub fn looks_like_backup(first_bytes: &[u8]) -> bool {
    first_bytes.starts_with(MAGIC) || first_bytes.starts_with(MAGIC_V2)
}

/// Take a consistent online backup of `db` (whose URL is `url`) into `output`,
/// encrypted with the backup subkey of `cipher`'s master key.
pub async fn backup(
    db: &Db,
    url: &str,
    cipher: &FieldCipher,
    output: &Path,
) -> Result<BackupReport, BackupError> {
    let engine = db.backend();
    // Taken before the snapshot: the snapshot's chain holds at least this head.
    let head = audit::head(db).await?;
    let snapshot = match db {
        Db::Sqlite(pool) => sqlite_snapshot(pool, output).await?,
        Db::Postgres(_) => pg_dump(url).await?,
    };
    let header = header(engine, cipher.backup_key_id(), &head);
    let sealed = cipher
        .encrypt_bytes(&snapshot, &header)
        .map_err(|_| BackupError::Encrypt)?;
    drop(snapshot);
    let output = output.to_path_buf();
    let bytes = (header.len() + sealed.len()) as u64;
    blocking(move || write_atomically(&output, &[&header, &sealed])).await?;
    Ok(BackupReport {
        engine,
        bytes,
        head,
    })
}

/// Bring a backup back into the database at `url`. A target that already holds
/// data is refused unless `force`. The schema is then brought up to date (a
/// backup made by an older version), checked, and the audit chain verified.
pub async fn restore(
    url: &str,
    cipher: &FieldCipher,
    input: &Path,
    force: bool,
) -> Result<RestoreReport, BackupError> {
    let target = Backend::from_url(url)?;
    let path = input.to_path_buf();
    let bytes =
        blocking(move || std::fs::read(&path).map_err(|e| BackupError::io(&path, e))).await?;
    let header =
        parse_header(&bytes).ok_or_else(|| BackupError::NotABackup(input.display().to_string()))?;
    if header.engine != target {
        return Err(BackupError::EngineMismatch {
            backup: engine_label(header.engine),
            target: engine_label(target),
        });
    }
    if header.key_id != cipher.backup_key_id() {
        return Err(BackupError::WrongKey);
    }
    let (head, sealed) = bytes.split_at(header.len);
    let plain = cipher
        .decrypt_bytes(sealed, head)
        .map_err(|_| BackupError::Damaged)?;
    drop(bytes);
    match target {
        Backend::Sqlite => restore_sqlite(url, plain, force).await?,
        Backend::Postgres => restore_postgres(url, plain, force).await?,
    }

    let db = Db::connect(url).await?;
    let checked = async {
        db.migrate().await?;
        if let Db::Sqlite(pool) = &db {
            integrity_check(&mut *pool.acquire().await?).await?;
        }
        let tables = user_tables(&db).await?.len();
        let audit = audit::verify(&db).await?;
        Ok::<_, BackupError>(RestoreReport {
            engine: target,
            tables,
            audit,
        })
    }
    .await;
    db.close().await;
    checked
}

/// The tables that hold the application's data (the engine's own excluded),
/// sorted by name.
pub async fn user_tables(db: &Db) -> Result<Vec<String>, sqlx::Error> {
    let sql = match db {
        Db::Sqlite(_) => {
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
        }
        Db::Postgres(_) => {
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
        }
    };
    on_db!(db, pool => sqlx::query_scalar::<_, String>(sql).fetch_all(pool).await)
}

/// True when any table other than the migrations' bookkeeping has a row.
pub async fn has_data(db: &Db) -> Result<bool, sqlx::Error> {
    for table in user_tables(db).await? {
        if table == MIGRATIONS_TABLE {
            continue;
        }
        let sql = format!("SELECT 1 FROM {} LIMIT 1", quote_ident(&table));
        let row: Option<i32> =
            on_db!(db, pool => sqlx::query_scalar(&sql).fetch_optional(pool).await)?;
        if row.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// `name` as an SQL identifier, in double quotes.
fn quote_ident(name: &str) -> String {
    const DQ: char = '\u{22}';
    let mut out = String::with_capacity(name.len() + 2);
    out.push(DQ);
    for c in name.chars() {
        if c == DQ {
            out.push(DQ);
        }
        out.push(c);
    }
    out.push(DQ);
    out
}

// ---- SQLite ----

/// `VACUUM INTO` a private temporary file beside `output`, read it, remove it.
async fn sqlite_snapshot(pool: &SqlitePool, output: &Path) -> Result<Vec<u8>, BackupError> {
    // Renaming the backup over the live database would lose it.
    let database = pool.connect_options().get_filename().to_path_buf();
    if let (Ok(a), Ok(b)) = (output.canonicalize(), database.canonicalize()) {
        if a == b {
            return Err(BackupError::OutputIsDatabase(output.display().to_string()));
        }
    }
    let dir = parent_dir(output);
    std::fs::create_dir_all(&dir).map_err(|e| BackupError::io(&dir, e))?;
    let temp = TempFile::new(sibling(output, "snapshot"));
    // An empty file is a valid VACUUM INTO target; creating it first makes it private.
    create_private(&temp.0)
        .and_then(|f| f.sync_all())
        .map_err(|e| BackupError::io(&temp.0, e))?;
    let Some(target) = temp.0.to_str() else {
        return Err(BackupError::io(
            &temp.0,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "path is not UTF-8"),
        ));
    };
    sqlx::query("VACUUM INTO $1")
        .bind(target.to_string())
        .execute(pool)
        .await?;
    let path = temp.0.clone();
    let bytes =
        blocking(move || std::fs::read(&path).map_err(|e| BackupError::io(&path, e))).await?;
    drop(temp);
    Ok(bytes)
}

/// `PRAGMA integrity_check` is "ok" and no row points at a missing row.
async fn integrity_check(conn: &mut SqliteConnection) -> Result<(), BackupError> {
    let problems: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut *conn)
        .await?;
    if problems.len() != 1 || problems[0] != "ok" {
        return Err(BackupError::Integrity(problems.join("; ")));
    }
    let broken_links = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(&mut *conn)
        .await?;
    if !broken_links.is_empty() {
        return Err(BackupError::Integrity(format!(
            "{} rows point at missing rows (foreign_key_check)",
            broken_links.len()
        )));
    }
    Ok(())
}

/// Like [`has_data`], on one SQLite connection.
async fn sqlite_has_data(conn: &mut SqliteConnection) -> Result<bool, sqlx::Error> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await?;
    for table in tables {
        if table == MIGRATIONS_TABLE {
            continue;
        }
        let sql = format!("SELECT 1 FROM {} LIMIT 1", quote_ident(&table));
        let row: Option<i32> = sqlx::query_scalar(&sql).fetch_optional(&mut *conn).await?;
        if row.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Open the existing SQLite target alone. Leaving WAL mode needs every other
/// connection closed, so this doubles as the in-use check (SQLite does not
/// wait for it, hence the retries), and it folds a WAL left by a crash into
/// the file first.
async fn open_target_alone(
    options: &SqliteConnectOptions,
) -> Result<SqliteConnection, BackupError> {
    let options = options
        .clone()
        .create_if_missing(false)
        .journal_mode(SqliteJournalMode::Delete)
        .busy_timeout(Duration::from_secs(2));
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    loop {
        match SqliteConnection::connect_with(&options).await {
            Ok(conn) => return Ok(conn),
            Err(sqlx::Error::Database(d)) if d.code().as_deref() == Some("5") => {
                if std::time::Instant::now() >= deadline {
                    return Err(BackupError::TargetInUse);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

async fn restore_sqlite(url: &str, plain: Vec<u8>, force: bool) -> Result<(), BackupError> {
    let options = SqliteConnectOptions::from_str(url).map_err(StorageError::from)?;
    let target = options.get_filename().to_path_buf();

    // The target, if there is one: not open elsewhere, and empty unless forced.
    // Single connections, not pools, so that each is closed when `close` returns.
    if target.exists() {
        let mut conn = open_target_alone(&options).await?;
        let occupied = sqlite_has_data(&mut conn).await;
        conn.close().await?;
        if occupied? && !force {
            return Err(BackupError::TargetNotEmpty);
        }
    }

    // Write the snapshot beside the target, check and migrate it there, and only
    // then put it in place.
    let dir = parent_dir(&target);
    std::fs::create_dir_all(&dir).map_err(|e| BackupError::io(&dir, e))?;
    let mut temp = TempFile::new(sibling(&target, "restore"));
    let path = temp.0.clone();
    blocking(move || {
        let mut file = create_private(&path).map_err(|e| BackupError::io(&path, e))?;
        file.write_all(&plain)
            .and_then(|_| file.sync_all())
            .map_err(|e| BackupError::io(&path, e))
    })
    .await?;
    let mut conn = SqliteConnection::connect_with(
        &SqliteConnectOptions::new()
            .filename(&temp.0)
            .create_if_missing(false)
            // No WAL beside the temporary file: everything is in the file itself.
            .journal_mode(SqliteJournalMode::Delete)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true),
    )
    .await?;
    let checked = async {
        integrity_check(&mut conn).await?;
        SQLITE_MIGRATIONS
            .run(&mut conn)
            .await
            .map_err(StorageError::from)?;
        Ok::<_, BackupError>(())
    }
    .await;
    conn.close().await?;
    checked?;

    let path = temp.0.clone();
    blocking(move || {
        for suffix in ["-wal", "-shm", "-journal"] {
            let mut stale = target.clone().into_os_string();
            stale.push(suffix);
            let stale = PathBuf::from(stale);
            match std::fs::remove_file(&stale) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(BackupError::io(&stale, e));
                }
                _ => {}
            }
        }
        std::fs::rename(&path, &target).map_err(|e| BackupError::io(&target, e))?;
        sync_dir(&parent_dir(&target))
    })
    .await?;
    temp.disarm();
    Ok(())
}

// ---- PostgreSQL ----

async fn pg_dump(url: &str) -> Result<Vec<u8>, BackupError> {
    const TOOL: &str = "pg_dump";
    let program = find_tool(TOOL)?;
    let (dbname, password) = split_password(url);
    let output = blocking(move || {
        let mut command = std::process::Command::new(&program);
        command
            .arg("--format=custom")
            .arg("--no-password")
            .arg(format!("--dbname={dbname}"))
            .stdin(std::process::Stdio::null());
        if let Some(password) = password {
            command.env("PGPASSWORD", password);
        }
        command.output().map_err(|e| BackupError::io(&program, e))
    })
    .await?;
    if !output.status.success() {
        return Err(tool_failed(TOOL, &output.status, &output.stderr));
    }
    // The custom format starts with "PGDMP".
    if !output.stdout.starts_with(b"PGDMP") {
        return Err(BackupError::ToolFailed {
            tool: TOOL,
            detail: "unexpected output".into(),
        });
    }
    Ok(output.stdout)
}

async fn restore_postgres(url: &str, plain: Vec<u8>, force: bool) -> Result<(), BackupError> {
    const TOOL: &str = "pg_restore";
    let program = find_tool(TOOL)?;
    let db = Db::connect(url).await?;
    let occupied = has_data(&db).await;
    db.close().await;
    if occupied? && !force {
        return Err(BackupError::TargetNotEmpty);
    }
    let (dbname, password) = split_password(url);
    let output = blocking(move || {
        let mut command = std::process::Command::new(&program);
        command
            .args([
                "--clean",
                "--if-exists",
                "--no-owner",
                "--exit-on-error",
                "--single-transaction",
                "--no-password",
            ])
            .arg(format!("--dbname={dbname}"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        if let Some(password) = password {
            command.env("PGPASSWORD", password);
        }
        let mut child = command.spawn().map_err(|e| BackupError::io(&program, e))?;
        // The archive goes through a pipe: the plain dump never touches the disk.
        let feeder = child.stdin.take().map(|mut stdin| {
            std::thread::spawn(move || {
                let _ = stdin.write_all(&plain);
            })
        });
        let output = child
            .wait_with_output()
            .map_err(|e| BackupError::io(&program, e));
        if let Some(feeder) = feeder {
            let _ = feeder.join();
        }
        output
    })
    .await?;
    if !output.status.success() {
        return Err(tool_failed(TOOL, &output.status, &output.stderr));
    }
    Ok(())
}

fn tool_failed(
    tool: &'static str,
    status: &std::process::ExitStatus,
    stderr: &[u8],
) -> BackupError {
    let text = String::from_utf8_lossy(stderr);
    let detail = text.trim();
    BackupError::ToolFailed {
        tool,
        detail: if detail.is_empty() {
            status.to_string()
        } else {
            detail.chars().take(2000).collect()
        },
    }
}

/// The program `name` from the directories on `PATH`, as `which` finds it.
fn find_tool(name: &'static str) -> Result<PathBuf, BackupError> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
        .ok_or(BackupError::ToolMissing(name))
}

fn is_executable(path: &Path) -> bool {
    match std::fs::metadata(path) {
        #[cfg(unix)]
        Ok(meta) => {
            use std::os::unix::fs::PermissionsExt;
            meta.is_file() && meta.permissions().mode() & 0o111 != 0
        }
        #[cfg(not(unix))]
        Ok(meta) => meta.is_file(),
        Err(_) => false,
    }
}

/// The URL without its password, and the password (percent-decoded), so the
/// password reaches the PostgreSQL tools through `PGPASSWORD`, never the
/// command line that `ps` shows.
pub fn split_password(url: &str) -> (String, Option<String>) {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return (url.to_string(), None);
    };
    let authority_end = url[scheme_end..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| scheme_end + i);
    let authority = &url[scheme_end..authority_end];
    let Some(at) = authority.rfind('@') else {
        return (url.to_string(), None);
    };
    let userinfo = &authority[..at];
    let Some(colon) = userinfo.find(':') else {
        return (url.to_string(), None);
    };
    let stripped = format!(
        "{}{}{}",
        &url[..scheme_end],
        &userinfo[..colon],
        &url[scheme_end + at..]
    );
    (stripped, Some(percent_decode(&userinfo[colon + 1..])))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            if let Some(Ok(byte)) = text.get(i + 1..i + 3).map(|h| u8::from_str_radix(h, 16)) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---- files ----

/// Run blocking file or process work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, BackupError> + Send + 'static,
) -> Result<T, BackupError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| BackupError::io(Path::new("."), std::io::Error::other(e.to_string())))?
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// `FILE.KIND-RANDOM` beside `path`: same folder, so a rename is atomic.
fn sibling(path: &Path, kind: &str) -> PathBuf {
    let mut random = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut random);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "lvzhi".into());
    parent_dir(path).join(format!("{name}.{kind}-{}", hex::encode(random)))
}

/// A new file only its owner can read (it may hold a plain snapshot).
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

fn sync_dir(dir: &Path) -> Result<(), BackupError> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| BackupError::io(dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Write `parts` to `path` all or nothing: a temporary file, flushed, renamed
/// over `path`, and the folder flushed so the rename itself survives a crash.
fn write_atomically(path: &Path, parts: &[&[u8]]) -> Result<(), BackupError> {
    let dir = parent_dir(path);
    std::fs::create_dir_all(&dir).map_err(|e| BackupError::io(&dir, e))?;
    let mut temp = TempFile::new(sibling(path, "part"));
    let mut file = create_private(&temp.0).map_err(|e| BackupError::io(&temp.0, e))?;
    for part in parts {
        file.write_all(part)
            .map_err(|e| BackupError::io(&temp.0, e))?;
    }
    file.sync_all().map_err(|e| BackupError::io(&temp.0, e))?;
    drop(file);
    std::fs::rename(&temp.0, path).map_err(|e| BackupError::io(path, e))?;
    temp.disarm();
    sync_dir(&dir)
}

/// A temporary file removed (with any SQLite side files) unless disarmed.
struct TempFile(PathBuf, bool);

impl TempFile {
    fn new(path: PathBuf) -> Self {
        TempFile(path, true)
    }

    fn disarm(&mut self) {
        self.1 = false;
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.1 {
            return;
        }
        let _ = std::fs::remove_file(&self.0);
        for suffix in ["-wal", "-shm", "-journal"] {
            let mut side = self.0.clone().into_os_string();
            side.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(side));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip_and_reject_other_files() {
        let head = ChainHead {
            rows: 1234,
            hash: "5a".repeat(32),
        };
        for engine in [Backend::Sqlite, Backend::Postgres] {
            let bytes = header(engine, [9; BACKUP_KEY_ID_LEN], &head);
            assert!(looks_like_backup(&bytes));
            let parsed = parse_header(&bytes).unwrap();
            assert_eq!(parsed.engine, engine);
            assert_eq!(parsed.key_id, [9; BACKUP_KEY_ID_LEN]);
            assert_eq!(parsed.head.as_ref(), Some(&head));
            assert_eq!(parsed.len, bytes.len());
        }
        // Format 1: no head, still read.
        let mut v1 = MAGIC.to_vec();
        v1.push(6);
        v1.extend(b"sqlite");
        v1.extend([9; BACKUP_KEY_ID_LEN]);
        let parsed = parse_header(&v1).unwrap();
        assert_eq!((parsed.head, parsed.len), (None, v1.len()));
        assert!(parse_header(b"SQLite format 3\0").is_none());
        assert!(parse_header(b"LVZHIBK1").is_none());
        let mut other = header(Backend::Sqlite, [0; BACKUP_KEY_ID_LEN], &ChainHead::empty());
        other[9] = b'm';
        assert!(parse_header(&other).is_none());
    }

    #[test]
    fn passwords_leave_the_url_for_the_environment() {
        assert_eq!(
            split_password("postgres://u:s%40cret@h:5432/db?sslmode=disable"),
            (
                "postgres://u@h:5432/db?sslmode=disable".to_string(),
                Some("s@cret".to_string())
            )
        );
        assert_eq!(
            split_password("postgres://u@h/db"),
            ("postgres://u@h/db".to_string(), None)
        );
        assert_eq!(
            split_password("postgresql://h/db"),
            ("postgresql://h/db".to_string(), None)
        );
        // An @ in the path is not user information.
        assert_eq!(
            split_password("postgres://h/db?options=a:b@c"),
            ("postgres://h/db?options=a:b@c".to_string(), None)
        );
        assert_eq!(percent_decode("a%2Fb%"), "a/b%");
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident("members"), "\"members\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn missing_tools_are_named_in_chinese() {
        let e = BackupError::ToolMissing("pg_dump");
        assert!(e.message(Locale::ZhCn).contains("找不到 pg_dump"));
        assert!(find_tool("no-such-tool-lvzhi").is_err());
    }
}
