//! Bulk loading for generated data (`lvzhi demo --scale`): rows are buffered
//! per table and written in dependency order, as multi-row `INSERT`s on
//! SQLite and `COPY … FROM STDIN` on PostgreSQL, in large transactions.
//!
//! Ids are given by the caller (the tables are empty when a load starts), so
//! no row needs a round trip; PostgreSQL's identity sequences are moved past
//! the loaded ids at the end.

use chrono::{DateTime, NaiveDate, Utc};

use super::{Db, Tx};

/// One column value of a buffered row.
#[derive(Debug, Clone)]
pub enum Val {
    Int(i64),
    Text(String),
    Date(NaiveDate),
    Ts(DateTime<Utc>),
    Bool(bool),
    Null,
}

impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Val::Int(v)
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Self {
        Val::Text(v.to_string())
    }
}
impl From<String> for Val {
    fn from(v: String) -> Self {
        Val::Text(v)
    }
}
impl From<NaiveDate> for Val {
    fn from(v: NaiveDate) -> Self {
        Val::Date(v)
    }
}
impl From<DateTime<Utc>> for Val {
    fn from(v: DateTime<Utc>) -> Self {
        Val::Ts(v)
    }
}
impl From<bool> for Val {
    fn from(v: bool) -> Self {
        Val::Bool(v)
    }
}
impl<T: Into<Val>> From<Option<T>> for Val {
    fn from(v: Option<T>) -> Self {
        v.map_or(Val::Null, Into::into)
    }
}

/// A table the loader writes: its name and columns, in the order rows give them.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    pub name: &'static str,
    pub columns: &'static [&'static str],
}

struct Buffer {
    table: Table,
    /// Row-major values: `columns.len()` per row.
    values: Vec<Val>,
    written: u64,
}

/// Rows buffered per table, flushed (parents first, in the order the tables
/// were given) whenever enough have gathered; each flush is one transaction.
pub struct Loader {
    db: Db,
    buffers: Vec<Buffer>,
    pending: usize,
    flush_at: usize,
}

/// Rows buffered before a flush.
const FLUSH_AT: usize = 200_000;
/// Bound variables per SQLite statement (SQLite allows 32766).
const SQLITE_MAX_VARS: usize = 30_000;
/// Bytes per COPY message.
const COPY_CHUNK: usize = 1 << 20;

impl Loader {
    /// A loader for `tables`, listed parents before children.
    pub fn new(db: &Db, tables: &[Table]) -> Self {
        Loader {
            db: db.clone(),
            buffers: tables
                .iter()
                .map(|t| Buffer {
                    table: *t,
                    values: Vec::new(),
                    written: 0,
                })
                .collect(),
            pending: 0,
            flush_at: FLUSH_AT,
        }
    }

    /// Buffer one row of table number `table` (its index in `new`'s list).
    pub async fn push(&mut self, table: usize, row: Vec<Val>) -> Result<(), sqlx::Error> {
        let buffer = &mut self.buffers[table];
        debug_assert_eq!(
            row.len(),
            buffer.table.columns.len(),
            "{}",
            buffer.table.name
        );
        buffer.values.extend(row);
        self.pending += 1;
        if self.pending >= self.flush_at {
            self.flush().await?;
        }
        Ok(())
    }

    /// Write everything buffered, in one transaction.
    pub async fn flush(&mut self) -> Result<(), sqlx::Error> {
        if self.pending == 0 {
            return Ok(());
        }
        let mut tx = self.db.begin().await?;
        if let Tx::Sqlite(conn) = &mut tx {
            // A large page cache for this connection: the indexes are written
            // in no particular order.
            sqlx::query("PRAGMA cache_size = -262144")
                .execute(&mut **conn)
                .await?;
        }
        for buffer in &mut self.buffers {
            if buffer.values.is_empty() {
                continue;
            }
            let values = std::mem::take(&mut buffer.values);
            let rows = values.len() / buffer.table.columns.len();
            match &mut tx {
                Tx::Sqlite(conn) => insert_sqlite(conn, buffer.table, values).await?,
                Tx::Postgres(conn) => copy_postgres(conn, buffer.table, &values).await?,
            }
            buffer.written += rows as u64;
        }
        tx.commit().await?;
        self.pending = 0;
        Ok(())
    }

    /// Flush the rest; return the rows written per table.
    pub async fn finish(mut self) -> Result<Vec<(&'static str, u64)>, sqlx::Error> {
        self.flush().await?;
        if let Db::Postgres(pool) = &self.db {
            // Explicit ids do not move identity sequences: move them past the data.
            for buffer in &self.buffers {
                if buffer.table.columns.first() == Some(&"id") && buffer.written > 0 {
                    let name = buffer.table.name;
                    let sql = format!(
                        "SELECT setval(pg_get_serial_sequence('{name}', 'id'), \
                         (SELECT MAX(id) FROM {name}))"
                    );
                    sqlx::query(&sql).execute(pool).await?;
                }
            }
        }
        Ok(self
            .buffers
            .iter()
            .map(|b| (b.table.name, b.written))
            .collect())
    }
}

async fn insert_sqlite(
    conn: &mut sqlx::SqliteConnection,
    table: Table,
    values: Vec<Val>,
) -> Result<(), sqlx::Error> {
    let width = table.columns.len();
    let per_statement = (SQLITE_MAX_VARS / width).clamp(1, 1000);
    let head = format!(
        "INSERT INTO {} ({}) VALUES ",
        table.name,
        table.columns.join(", ")
    );
    let one = format!("({})", vec!["?"; width].join(", "));
    let mut values = values.into_iter();
    let mut remaining = values.len() / width;
    while remaining > 0 {
        let rows = remaining.min(per_statement);
        let mut sql = String::with_capacity(head.len() + rows * (one.len() + 2));
        sql.push_str(&head);
        for i in 0..rows {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&one);
        }
        let mut query = sqlx::query(&sql);
        for value in values.by_ref().take(rows * width) {
            // The same Rust types the application binds, so the stored text
            // (dates, timestamps, booleans) is exactly what it writes.
            query = match value {
                Val::Int(v) => query.bind(v),
                Val::Text(v) => query.bind(v),
                Val::Date(v) => query.bind(v),
                Val::Ts(v) => query.bind(v),
                Val::Bool(v) => query.bind(v),
                Val::Null => query.bind(None::<i64>),
            };
        }
        query.execute(&mut *conn).await?;
        remaining -= rows;
    }
    Ok(())
}

/// One value in COPY's text format.
fn copy_value(out: &mut String, value: &Val) {
    use std::fmt::Write;
    match value {
        Val::Int(v) => {
            let _ = write!(out, "{v}");
        }
        Val::Text(s) => {
            for c in s.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\t' => out.push_str("\\t"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    c => out.push(c),
                }
            }
        }
        Val::Date(d) => {
            let _ = write!(out, "{}", d.format("%Y-%m-%d"));
        }
        Val::Ts(t) => {
            let _ = write!(out, "{}", t.format("%Y-%m-%d %H:%M:%S%.6f+00"));
        }
        Val::Bool(b) => out.push(if *b { 't' } else { 'f' }),
        Val::Null => out.push_str("\\N"),
    }
}

async fn copy_postgres(
    conn: &mut sqlx::PgConnection,
    table: Table,
    values: &[Val],
) -> Result<(), sqlx::Error> {
    let width = table.columns.len();
    let statement = format!(
        "COPY {} ({}) FROM STDIN",
        table.name,
        table.columns.join(", ")
    );
    let mut copy = conn.copy_in_raw(&statement).await?;
    let mut text = String::with_capacity(COPY_CHUNK + 4096);
    for row in values.chunks(width) {
        for (i, value) in row.iter().enumerate() {
            if i > 0 {
                text.push('\t');
            }
            copy_value(&mut text, value);
        }
        text.push('\n');
        if text.len() >= COPY_CHUNK {
            copy.send(std::mem::take(&mut text).into_bytes()).await?;
            text.reserve(COPY_CHUNK + 4096);
        }
    }
    if !text.is_empty() {
        copy.send(text.into_bytes()).await?;
    }
    copy.finish().await?;
    Ok(())
}

/// Refresh the planner's statistics after a load (and, on PostgreSQL, the
/// visibility map).
pub async fn analyze(db: &Db) -> Result<(), sqlx::Error> {
    match db {
        Db::Sqlite(pool) => {
            let mut conn = pool.acquire().await?;
            sqlx::query("PRAGMA analysis_limit = 2000")
                .execute(&mut *conn)
                .await?;
            sqlx::query("ANALYZE").execute(&mut *conn).await?;
        }
        // Vacuum too: it marks the freshly written pages all-visible, without
        // which no scan is index-only until autovacuum comes by.
        Db::Postgres(pool) => {
            sqlx::query("VACUUM (ANALYZE)").execute(pool).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes_what_copy_reads_specially() {
        let mut out = String::new();
        copy_value(&mut out, &Val::Text("a\tb\\c\nd".into()));
        assert_eq!(out, "a\\tb\\\\c\\nd");
        let mut out = String::new();
        copy_value(&mut out, &Val::Null);
        copy_value(&mut out, &Val::Bool(true));
        copy_value(
            &mut out,
            &Val::Date(NaiveDate::from_ymd_opt(2021, 3, 5).unwrap_or_default()),
        );
        assert_eq!(out, "\\Nt2021-03-05");
    }
}
