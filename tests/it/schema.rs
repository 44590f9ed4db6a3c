//! The SQLite and PostgreSQL migrations describe the same schema: tables,
//! columns, nullability, types that map onto each other, keys and indexes.

use std::collections::{BTreeMap, BTreeSet};

use lvzhi::storage::{Backend, Db};

use crate::helpers::{postgres_skipped, spawn_app_with};

/// One column as both engines can describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    /// As declared: `INTEGER`, `TEXT` on SQLite; `bigint`, `text`, … on PostgreSQL.
    declared: String,
    not_null: bool,
}

/// Table → column → description.
type Columns = BTreeMap<String, BTreeMap<String, Column>>;

/// (table, columns in order, unique): every index and unique constraint but
/// the primary key; an expression column is `<expr>`.
type Indexes = BTreeSet<(String, String, bool)>;

/// (table, column, referenced table, referenced column, on delete).
type ForeignKeys = BTreeSet<(String, String, String, String, String)>;

/// (table, primary key columns).
type PrimaryKeys = BTreeSet<(String, String)>;

struct Schema {
    columns: Columns,
    primary_keys: PrimaryKeys,
    indexes: Indexes,
    foreign_keys: ForeignKeys,
}

async fn sqlite_schema(db: &Db) -> Schema {
    let Db::Sqlite(pool) = db else {
        panic!("not SQLite")
    };
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut schema = Schema {
        columns: Columns::new(),
        primary_keys: PrimaryKeys::new(),
        indexes: Indexes::new(),
        foreign_keys: ForeignKeys::new(),
    };
    for table in tables {
        let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT name, type, \"notnull\", pk FROM pragma_table_info($1) ORDER BY cid",
        )
        .bind(&table)
        .fetch_all(pool)
        .await
        .unwrap();
        let mut pk: Vec<(i64, String)> = rows
            .iter()
            .filter(|r| r.3 > 0)
            .map(|r| (r.3, r.0.clone()))
            .collect();
        pk.sort();
        let single_integer_pk = pk.len() == 1;
        let mut columns = BTreeMap::new();
        for (name, declared, not_null, pk_position) in rows {
            // Only an INTEGER PRIMARY KEY (the rowid) is NOT NULL without saying
            // so; any other SQLite primary key column accepts NULL unless declared NOT NULL.
            let rowid =
                pk_position == 1 && single_integer_pk && declared.eq_ignore_ascii_case("INTEGER");
            columns.insert(
                name,
                Column {
                    declared,
                    not_null: not_null == 1 || rowid,
                },
            );
        }
        schema.columns.insert(table.clone(), columns);
        schema.primary_keys.insert((
            table.clone(),
            pk.into_iter().map(|(_, c)| c).collect::<Vec<_>>().join(","),
        ));

        let indexes: Vec<(String, i64, String)> =
            sqlx::query_as("SELECT name, \"unique\", origin FROM pragma_index_list($1)")
                .bind(&table)
                .fetch_all(pool)
                .await
                .unwrap();
        for (index, unique, origin) in indexes {
            if origin == "pk" {
                continue;
            }
            let cols: Vec<Option<String>> =
                sqlx::query_scalar("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                    .bind(&index)
                    .fetch_all(pool)
                    .await
                    .unwrap();
            let cols: Vec<String> = cols
                .into_iter()
                .map(|c| c.unwrap_or_else(|| "<expr>".into()))
                .collect();
            schema
                .indexes
                .insert((table.clone(), cols.join(","), unique == 1));
        }

        let fks: Vec<(String, String, Option<String>, String)> = sqlx::query_as(
            "SELECT \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list($1)",
        )
        .bind(&table)
        .fetch_all(pool)
        .await
        .unwrap();
        for (target, from, to, on_delete) in fks {
            // A reference without a column names the target's primary key: `id` here.
            schema.foreign_keys.insert((
                table.clone(),
                from,
                target,
                to.unwrap_or_else(|| "id".into()),
                on_delete.to_uppercase(),
            ));
        }
    }
    schema
}

async fn postgres_schema(db: &Db) -> Schema {
    let Db::Postgres(pool) = db else {
        panic!("not PostgreSQL")
    };
    let mut schema = Schema {
        columns: Columns::new(),
        primary_keys: PrimaryKeys::new(),
        indexes: Indexes::new(),
        foreign_keys: ForeignKeys::new(),
    };
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text \
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations' \
         ORDER BY table_name, ordinal_position",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for (table, column, declared, nullable) in rows {
        schema.columns.entry(table).or_default().insert(
            column,
            Column {
                declared,
                not_null: nullable == "NO",
            },
        );
    }

    let indexes: Vec<(String, bool, bool, String)> = sqlx::query_as(
        "SELECT t.relname::text, ix.indisunique, ix.indisprimary, \
                array_to_string(ARRAY(SELECT COALESCE(a.attname::text, '<expr>') \
                    FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
                    LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
                    ORDER BY k.ord), ',') \
         FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = 'public' AND t.relname <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for (table, unique, primary, cols) in indexes {
        if primary {
            schema.primary_keys.insert((table, cols));
        } else {
            schema.indexes.insert((table, cols, unique));
        }
    }

    let fks: Vec<(String, String, String, String, String)> = sqlx::query_as(
        "SELECT t.relname::text, a.attname::text, r.relname::text, ra.attname::text, \
                CASE c.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT' \
                                   WHEN 'r' THEN 'RESTRICT' ELSE 'NO ACTION' END \
         FROM pg_constraint c \
         JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
         JOIN pg_class r ON r.oid = c.confrelid \
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] \
         JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = c.confkey[1] \
         WHERE c.contype = 'f' AND n.nspname = 'public' AND array_length(c.conkey, 1) = 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    schema.foreign_keys.extend(fks);
    let multi_column: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace \
         WHERE c.contype = 'f' AND n.nspname = 'public' AND array_length(c.conkey, 1) <> 1",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(
        multi_column, 0,
        "multi-column foreign keys: extend this test to compare them"
    );
    schema
}

/// Whether a SQLite declared type and a PostgreSQL data type store the same values.
fn types_map(sqlite: &str, postgres: &str) -> bool {
    match sqlite.to_ascii_uppercase().as_str() {
        // Integers, and booleans as 0/1.
        "INTEGER" => matches!(postgres, "bigint" | "boolean"),
        // Text, and timestamps (RFC 3339) and dates (ISO 8601) as text.
        "TEXT" => matches!(postgres, "text" | "timestamp with time zone" | "date"),
        // Bytes (the archive's filed documents).
        "BLOB" => postgres == "bytea",
        _ => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_parity() {
    if postgres_skipped() {
        eprintln!("schema parity needs PostgreSQL (LVZHI_TEST_POSTGRES=skip)");
        return;
    }
    let sqlite_app = spawn_app_with(Backend::Sqlite, false).await;
    let postgres_app = spawn_app_with(Backend::Postgres, false).await;
    let sqlite = sqlite_schema(&sqlite_app.db).await;
    let postgres = postgres_schema(&postgres_app.db).await;

    let sqlite_tables: Vec<&String> = sqlite.columns.keys().collect();
    let postgres_tables: Vec<&String> = postgres.columns.keys().collect();
    assert_eq!(sqlite_tables, postgres_tables, "the same tables");
    for table in [
        "orgs",
        "communities",
        "departments",
        "members",
        "users",
        "sessions",
        "api_tokens",
        "audit_log",
        "timeline_entries",
    ] {
        assert!(sqlite.columns.contains_key(table), "{table} exists");
    }

    let mut differences = Vec::new();
    for (table, sqlite_columns) in &sqlite.columns {
        let postgres_columns = &postgres.columns[table];
        let a: Vec<&String> = sqlite_columns.keys().collect();
        let b: Vec<&String> = postgres_columns.keys().collect();
        if a != b {
            differences.push(format!(
                "{table}: columns {a:?} (SQLite) vs {b:?} (PostgreSQL)"
            ));
            continue;
        }
        for (name, s) in sqlite_columns {
            let p = &postgres_columns[name];
            // On purpose: PostgreSQL writes an audit row unlinked and links
            // it after the commit; SQLite links it as it is written, so its
            // hashes are never empty (see `storage::audit`).
            let linked_later = table == "audit_log" && (name == "prev_hash" || name == "hash");
            if s.not_null != p.not_null && !(linked_later && s.not_null) {
                differences.push(format!(
                    "{table}.{name}: {} on SQLite, {} on PostgreSQL",
                    if s.not_null { "NOT NULL" } else { "nullable" },
                    if p.not_null { "NOT NULL" } else { "nullable" }
                ));
            }
            if !types_map(&s.declared, &p.declared) {
                differences.push(format!(
                    "{table}.{name}: {} on SQLite, {} on PostgreSQL",
                    s.declared, p.declared
                ));
            }
        }
    }
    assert!(
        differences.is_empty(),
        "the schemas differ:\n{}",
        differences.join("\n")
    );

    // A boolean column on PostgreSQL, an integer on SQLite: and nothing else is boolean.
    let booleans: Vec<String> = postgres
        .columns
        .iter()
        .flat_map(|(t, cols)| {
            cols.iter()
                .filter(|(_, c)| c.declared == "boolean")
                .map(move |(c, _)| format!("{t}.{c}"))
        })
        .collect();
    assert_eq!(
        booleans,
        [
            "proposals.is_key",
            "users.disabled",
            "users.must_change_password"
        ]
    );

    assert_eq!(
        sqlite.primary_keys, postgres.primary_keys,
        "the same primary keys"
    );
    assert_eq!(
        sqlite.indexes, postgres.indexes,
        "the same unique constraints and indexes"
    );
    assert!(sqlite
        .indexes
        .contains(&("users".into(), "username".into(), true)));
    assert!(sqlite
        .indexes
        .contains(&("orgs".into(), "<expr>,name".into(), true)));
    assert_eq!(
        sqlite.foreign_keys, postgres.foreign_keys,
        "the same foreign keys"
    );
    assert!(sqlite.foreign_keys.contains(&(
        "sessions".into(),
        "user_id".into(),
        "users".into(),
        "id".into(),
        "CASCADE".into()
    )));
}

/// Migrating again changes nothing, and both engines have the same migrations.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_are_idempotent_and_recorded() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if backend == Backend::Postgres && postgres_skipped() {
            continue;
        }
        let app = spawn_app_with(backend, false).await;
        app.db.migrate().await.unwrap();
        let applied: i64 = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM _sqlx_migrations WHERE success").fetch_one(pool).await)
        .unwrap();
        let names = |dir: &str| -> Vec<String> {
            let mut v: Vec<String> =
                std::fs::read_dir(format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR")))
                    .unwrap()
                    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect();
            v.sort();
            v
        };
        assert_eq!(
            names("sqlite"),
            names("postgres"),
            "the same migration files for both engines"
        );
        let files = names("sqlite").len() as i64;
        assert_eq!(applied, files, "{backend:?}: every migration applied once");
        assert_eq!(
            app.count("users").await,
            0,
            "{backend:?}: an empty database"
        );
    }
}

/// A SQLite file is opened as durability asks (WAL, every commit synced,
/// foreign keys enforced), with the SQLite lvzhi builds: without the shared
/// page cache and the allocation statistics whose global locks held the
/// connections' threads back (`.cargo/config.toml`, BENCHMARKS.md).
#[tokio::test]
async fn sqlite_is_opened_durable_and_built_without_global_locks() {
    let app = spawn_app_with(Backend::Sqlite, false).await;
    let Db::Sqlite(pool) = &app.db else {
        panic!("not SQLite")
    };
    let mut conn = pool.acquire().await.unwrap();
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(journal, "wal");
    let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(synchronous, 2, "synchronous=FULL");
    let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(foreign_keys, 1);
    let options: Vec<String> = sqlx::query_scalar("PRAGMA compile_options")
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    assert!(
        options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
        "memory statistics off: {options:?}"
    );
    assert!(
        !options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"),
        "one page cache per connection: {options:?}"
    );
    assert!(options.iter().any(|o| o == "THREADSAFE=1"), "{options:?}");
}
