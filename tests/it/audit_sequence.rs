//! The audit chain's sequencer: rows written side by side (on PostgreSQL
//! without any lock) end up in one chain, each at its own position, in the
//! order they became visible; rows left unchained (another server, a process
//! that died) are chained by a server's periodic pass; two sequencers on one
//! database never fork the chain; a row left unchained too long is reported.

use std::time::{Duration, Instant};

use chrono::Utc;
use lvzhi::storage::audit::{self, ChainCheck, NewAuditEntry};
use lvzhi::storage::{Backend, Db};
use reqwest::StatusCode;

use crate::dual_test;
use crate::helpers::{drop_database, fresh_database, member_body, postgres_skipped, TestApp};

/// (rows, distinct positions, lowest, highest, rows without a position).
async fn positions(db: &Db) -> (i64, i64, Option<i64>, Option<i64>, i64) {
    lvzhi::on_db!(db, pool => sqlx::query_as::<_, (i64, i64, Option<i64>, Option<i64>, i64)>(
        "SELECT COUNT(*), COUNT(DISTINCT seq), MIN(seq), MAX(seq), \
         COUNT(*) - COUNT(seq) FROM audit_log")
        .fetch_one(pool).await)
    .unwrap()
}

/// Every row at its own position, 1 to the number of rows.
async fn assert_dense(db: &Db) -> i64 {
    let (rows, distinct, low, high, unchained) = positions(db).await;
    assert_eq!(unchained, 0, "every row chained");
    assert_eq!(distinct, rows, "no position held twice");
    if rows > 0 {
        assert_eq!((low, high), (Some(1), Some(rows)), "positions 1 to {rows}");
    }
    rows
}

/// Wait (a bounded time) until no row is left unchained.
async fn until_chained(db: &Db, within: Duration) {
    let started = Instant::now();
    loop {
        let (_, _, _, _, unchained) = positions(db).await;
        if unchained == 0 {
            return;
        }
        assert!(
            started.elapsed() < within,
            "{unchained} rows still unchained after {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A row as another server, or a process that died before its sequencer
/// ran, leaves it: committed, unchained, and no sequencer of ours told.
async fn insert_unchained(db: &Db, username: &str, at: chrono::DateTime<Utc>) -> i64 {
    lvzhi::on_db!(db, pool => sqlx::query_scalar::<_, i64>(
        "INSERT INTO audit_log (at, username, action, outcome) VALUES ($1, $2, 'export', 'ok') RETURNING id")
        .bind(at).bind(username).fetch_one(pool).await)
    .unwrap()
}

/// A member's name for a number (names hold no digits).
fn name_for(prefix: &str, n: u32) -> String {
    const DIGITS: [char; 10] = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
    let digits: String = n
        .to_string()
        .chars()
        .map(|c| DIGITS[c.to_digit(10).unwrap_or(0) as usize])
        .collect();
    format!("{prefix}{digits}")
}

fn entry(username: String) -> NewAuditEntry {
    NewAuditEntry {
        username: Some(username),
        action: "export",
        outcome: "ok",
        ..Default::default()
    }
}

async fn concurrent_api_writes_end_in_one_dense_chain(app: TestApp) {
    let token = app.token("staff").await;
    let writes: Vec<_> = (0..50u32)
        .map(|n| {
            let client = app.client.clone();
            let url = app.url("/api/v1/members");
            let token = token.clone();
            tokio::spawn(async move {
                let body = member_body(
                    &name_for("并发", n),
                    &format!("1981{:02}{:02}", 1 + n % 12, 1 + n / 12),
                    "555",
                );
                let r = client
                    .post(url)
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let status = r.status();
                (status, r.text().await.unwrap())
            })
        })
        .collect();
    for write in writes {
        let (status, text) = write.await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{text}");
    }
    // The server's sequencer chains them on its own, told by the commits.
    until_chained(&app.db, Duration::from_secs(10)).await;
    let rows = assert_dense(&app.db).await;
    assert_eq!(
        audit::verify(&app.db).await.unwrap(),
        ChainCheck::Intact { rows }
    );
    assert!(app.audit_count("create").await >= 50);
    let head = audit::head(&app.db).await.unwrap();
    assert_eq!(head.rows, rows);
    assert_eq!(
        audit::hash_at(&app.db, rows).await.unwrap(),
        Some(head.hash)
    );
}
dual_test!(
    concurrent_api_writes_end_in_one_dense_chain_t,
    concurrent_api_writes_end_in_one_dense_chain
);

async fn a_row_left_unchained_is_chained_by_the_servers_periodic_pass(app: TestApp) {
    audit::settle(&app.db).await.unwrap();
    let before = audit::head(&app.db).await.unwrap();
    let id = insert_unchained(&app.db, "another-server", Utc::now()).await;
    // Nothing in this process committed it: the periodic pass finds it.
    until_chained(&app.db, Duration::from_secs(10)).await;
    let seq: Option<i64> = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar(
        "SELECT seq FROM audit_log WHERE id = $1").bind(id).fetch_one(pool).await)
    .unwrap();
    assert_eq!(seq, Some(before.rows + 1));
    assert_eq!(
        audit::verify(&app.db).await.unwrap(),
        ChainCheck::Intact {
            rows: before.rows + 1
        }
    );
}
dual_test!(
    a_row_left_unchained_is_chained_by_the_servers_periodic_pass_t,
    a_row_left_unchained_is_chained_by_the_servers_periodic_pass
);

/// A database with no server (so no sequencer) of its own.
struct Bare {
    db: Db,
    url: String,
    pg: Option<String>,
    _dir: tempfile::TempDir,
}

impl Bare {
    async fn new(backend: Backend) -> Bare {
        let dir = tempfile::tempdir().unwrap();
        let (url, pg) = fresh_database(backend, dir.path()).await;
        let db = Db::connect(&url).await.unwrap();
        db.migrate().await.unwrap();
        Bare {
            db,
            url,
            pg,
            _dir: dir,
        }
    }
}

impl Drop for Bare {
    fn drop(&mut self) {
        if let Some(name) = &self.pg {
            drop_database(name);
        }
    }
}

/// The engines to run a test on without a server.
fn engines() -> Vec<Backend> {
    if postgres_skipped() {
        eprintln!("PostgreSQL side skipped (LVZHI_TEST_POSTGRES=skip)");
        vec![Backend::Sqlite]
    } else {
        vec![Backend::Sqlite, Backend::Postgres]
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_unchained_too_long_is_reported_until_it_is_chained() {
    for backend in engines() {
        let bare = Bare::new(backend).await;
        let db = &bare.db;
        audit::insert_alone(db, &entry("first".into()))
            .await
            .unwrap();
        // Left by a writer long ago, never chained (no sequencer ran since).
        let old = insert_unchained(db, "old", Utc::now() - chrono::Duration::hours(1)).await;
        // Just written: the sequencer has a while to reach it.
        insert_unchained(db, "young", Utc::now()).await;
        assert_eq!(
            audit::verify(db).await.unwrap(),
            ChainCheck::Broken {
                id: old,
                reason: "unchained"
            },
            "{backend:?}"
        );
        // Its head is the chained rows only.
        let head = audit::head(db).await.unwrap();
        let chained_first = match backend {
            Backend::Sqlite => 1, // chained in its own transaction
            Backend::Postgres => 0,
        };
        assert_eq!(head.rows, chained_first, "{backend:?}");

        assert_eq!(audit::settle(db).await.unwrap(), 3 - chained_first as u64);
        assert_eq!(audit::settle(db).await.unwrap(), 0, "nothing left");
        assert_eq!(
            audit::verify(db).await.unwrap(),
            ChainCheck::Intact { rows: 3 },
            "{backend:?}"
        );
        assert_dense(db).await;
        db.close().await;
    }
}

/// Writers and sequencers on two pools (two servers) over one database,
/// all at once: one chain, each row at its own position.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequencers_racing_on_one_database_never_fork_the_chain() {
    for backend in engines() {
        let bare = Bare::new(backend).await;
        let other = Db::connect(&bare.url).await.unwrap();
        let pools = [bare.db.clone(), other.clone()];
        // The servers' own sequencers, woken by every commit in this process.
        let servers: Vec<_> = pools
            .iter()
            .map(|db| tokio::spawn(audit::run_sequencer(db.clone())))
            .collect();
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        // And passes run back to back on both, to make them collide.
        let racers: Vec<_> = pools
            .iter()
            .flat_map(|db| [db.clone(), db.clone()])
            .map(|db| {
                let done = done.clone();
                tokio::spawn(async move {
                    let mut chained = 0;
                    while !done.load(std::sync::atomic::Ordering::Relaxed) {
                        chained += audit::settle(&db).await.unwrap();
                        tokio::task::yield_now().await;
                    }
                    chained
                })
            })
            .collect();
        let writers: Vec<_> = (0..8)
            .map(|w| {
                let db = pools[w % 2].clone();
                tokio::spawn(async move {
                    for n in 0..25 {
                        audit::insert_alone(&db, &entry(format!("writer-{w}-{n}")))
                            .await
                            .unwrap();
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.await.unwrap();
        }
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        for racer in racers {
            racer.await.unwrap();
        }
        for server in servers {
            server.abort();
        }
        audit::settle(&other).await.unwrap();
        assert_eq!(assert_dense(&bare.db).await, 200, "{backend:?}");
        assert_eq!(
            audit::verify(&bare.db).await.unwrap(),
            ChainCheck::Intact { rows: 200 },
            "{backend:?}"
        );
        other.close().await;
        bare.db.close().await;
    }
}

/// PostgreSQL: a row whose writer commits after rows with higher ids were
/// chained takes the next position then; the chain follows what became
/// visible, not the ids.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_commit_takes_a_later_position() {
    if postgres_skipped() {
        return;
    }
    let bare = Bare::new(Backend::Postgres).await;
    let db = &bare.db;
    let mut late = db.begin().await.unwrap();
    audit::insert(&mut late, &entry("late".into()))
        .await
        .unwrap();
    // Another writer is not held up by the open one (no lock taken)…
    tokio::time::timeout(
        Duration::from_secs(5),
        audit::insert_alone(db, &entry("early".into())),
    )
    .await
    .expect("a writer waits for no other")
    .unwrap();
    // …and its row is chained while the first is still open.
    assert_eq!(audit::settle(db).await.unwrap(), 1);
    assert_eq!(
        audit::verify(db).await.unwrap(),
        ChainCheck::Intact { rows: 1 }
    );
    late.commit().await.unwrap();
    assert_eq!(audit::settle(db).await.unwrap(), 1);
    assert_eq!(
        audit::verify(db).await.unwrap(),
        ChainCheck::Intact { rows: 2 }
    );
    let order: Vec<(i64, String)> = lvzhi::on_db!(db, pool => sqlx::query_as(
        "SELECT id, username FROM audit_log ORDER BY seq").fetch_all(pool).await)
    .unwrap();
    assert_eq!(order[0].1, "early");
    assert_eq!(order[1].1, "late");
    assert!(order[1].0 < order[0].0, "the late row has the lower id");
    db.close().await;
}

/// A row's chain fields are written once, its content never; a removed or
/// rewritten row is found.
async fn the_chain_fields_are_written_once_and_tampering_is_found(app: TestApp) {
    audit::settle(&app.db).await.unwrap();
    let refused = |sql: &'static str| {
        let db = app.db.clone();
        async move {
            let r = lvzhi::on_db!(&db, pool => sqlx::query(sql).execute(pool).await.map(|_| ()));
            assert!(r.is_err(), "{sql} refused");
        }
    };
    // A chained row keeps its position and hashes.
    refused("UPDATE audit_log SET seq = seq + 100000 WHERE seq = 2").await;
    refused("UPDATE audit_log SET hash = prev_hash WHERE seq = 2").await;
    // An unchained one may not change its content, chained or not.
    let id = insert_unchained(&app.db, "waiting", Utc::now()).await;
    let change = format!(
        "UPDATE audit_log SET detail = 'x', seq = 999999, prev_hash = 'a', hash = 'b' WHERE id = {id}"
    );
    let r = lvzhi::on_db!(&app.db, pool => sqlx::query(&change).execute(pool).await.map(|_| ()));
    assert!(r.is_err(), "content change refused");
    until_chained(&app.db, Duration::from_secs(10)).await;
    let ChainCheck::Intact { rows } = audit::verify(&app.db).await.unwrap() else {
        panic!("intact before tampering")
    };
    assert!(rows > 20);

    // With the guard off (the owner's rights), a row in the middle goes:
    // the next one no longer links.
    match &app.db {
        Db::Sqlite(pool) => {
            sqlx::query("DROP TRIGGER audit_log_no_delete")
                .execute(pool)
                .await
                .unwrap();
        }
        Db::Postgres(pool) => {
            sqlx::query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
                .execute(pool)
                .await
                .unwrap();
        }
    }
    let next: i64 = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar(
        "SELECT id FROM audit_log WHERE seq = 11").fetch_one(pool).await)
    .unwrap();
    lvzhi::on_db!(&app.db, pool => sqlx::query("DELETE FROM audit_log WHERE seq = 10")
        .execute(pool).await.map(|_| ()))
    .unwrap();
    assert_eq!(
        audit::verify(&app.db).await.unwrap(),
        ChainCheck::Broken {
            id: next,
            reason: "link"
        }
    );
}
dual_test!(
    the_chain_fields_are_written_once_and_tampering_is_found_t,
    the_chain_fields_are_written_once_and_tampering_is_found
);

/// A row copied at a position (its guards dropped) is found: at a position
/// the walk reaches, or outside them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_position_held_twice_is_found() {
    for backend in engines() {
        let bare = Bare::new(backend).await;
        let db = &bare.db;
        for n in 0..3 {
            audit::insert_alone(db, &entry(format!("row-{n}")))
                .await
                .unwrap();
        }
        audit::settle(db).await.unwrap();
        lvzhi::on_db!(db, pool => sqlx::query("DROP INDEX audit_log_seq").execute(pool).await.map(|_| ()))
            .unwrap();
        let copy = |seq: i64| async move {
            lvzhi::on_db!(db, pool => sqlx::query_scalar::<_, i64>(
                "INSERT INTO audit_log (at, user_id, username, role, ip, action, object_type, object_id, outcome, detail, prev_hash, hash, seq) \
                 SELECT at, user_id, username, role, ip, action, object_type, object_id, outcome, detail, prev_hash, hash, $1 \
                 FROM audit_log WHERE seq = 3 RETURNING id").bind(seq).fetch_one(pool).await)
            .unwrap()
        };
        let outside = copy(0).await;
        assert_eq!(
            audit::verify(db).await.unwrap(),
            ChainCheck::Broken {
                id: outside,
                reason: "position"
            },
            "{backend:?}"
        );
        let twice = copy(3).await;
        assert_eq!(
            audit::verify(db).await.unwrap(),
            ChainCheck::Broken {
                id: twice,
                reason: "link"
            },
            "{backend:?}"
        );
        db.close().await;
    }
}

/// Not a test: a measurement. Writes `LVZHI_BENCH_WRITES` members (200 by
/// default), `LVZHI_BENCH_CONCURRENCY` at a time (all by default), through
/// the API of the server at `LVZHI_BENCH_URL` with the token
/// `LVZHI_BENCH_TOKEN`, and prints the wall time and the latencies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn measure_concurrent_writes() {
    let url = std::env::var("LVZHI_BENCH_URL").expect("LVZHI_BENCH_URL");
    let token = std::env::var("LVZHI_BENCH_TOKEN").expect("LVZHI_BENCH_TOKEN");
    let writes: u32 = std::env::var("LVZHI_BENCH_WRITES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let concurrency: usize = std::env::var("LVZHI_BENCH_CONCURRENCY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(writes as usize);
    let run: u32 = std::env::var("LVZHI_BENCH_RUN")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(concurrency));
    let started = Instant::now();
    let tasks: Vec<_> = (0..writes)
        .map(|n| {
            let (client, url, token, gate) =
                (client.clone(), url.clone(), token.clone(), gate.clone());
            tokio::spawn(async move {
                let _permit = gate.acquire_owned().await.unwrap();
                let k = run * writes + n;
                let body = member_body(
                    &name_for("测量", k),
                    &format!(
                        "19{:02}{:02}{:02}",
                        50 + k / 336 % 50,
                        1 + k / 28 % 12,
                        1 + k % 28
                    ),
                    &format!("{:03}", 100 + run % 800),
                );
                let sent = Instant::now();
                let r = client
                    .post(format!("{url}/api/v1/members"))
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let status = r.status();
                let _ = r.bytes().await;
                (status, sent.elapsed())
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        let (status, took) = task.await.unwrap();
        assert_eq!(status, StatusCode::CREATED);
        latencies.push(took);
    }
    let wall = started.elapsed();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q).ceil() as usize).saturating_sub(1)];
    eprintln!(
        "{writes} writes, {concurrency} at a time: wall {:.0} ms, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        wall.as_secs_f64() * 1000.0,
        at(0.50).as_secs_f64() * 1000.0,
        at(0.99).as_secs_f64() * 1000.0,
        latencies.last().unwrap().as_secs_f64() * 1000.0,
    );
}
