//! Lock-out, per-address limits, password rules, and the audit log's integrity.

use reqwest::StatusCode;

use crate::dual_test;
use crate::helpers::{new_client, TestApp, DEMO_PASSWORD};

async fn five_failures_lock_the_account_for_a_while(mut app: TestApp) {
    for _ in 0..5 {
        let r = app.login_as("staff", "Wrong-Password-1").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // The right password no longer opens it…
    let r = app.login_as("staff", DEMO_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("账号已临时锁定，请 15 分钟后再试"));
    let locked: i64 = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'login' AND outcome = 'locked'").fetch_one(pool).await).unwrap();
    assert_eq!(locked, 1);
    // …other accounts are not affected…
    let r = app.login_as("member", DEMO_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // …and once the failures are older than the window, it opens again.
    lvzhi::on_db!(&app.db, pool => sqlx::query("UPDATE login_attempts SET at = $1")
        .bind(chrono::Utc::now() - chrono::Duration::minutes(16)).execute(pool).await.map(|_| ()))
    .unwrap();
    let r = app.login_as("staff", DEMO_PASSWORD).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "the lock is not for ever"
    );
}
dual_test!(
    five_failures_lock_the_account_for_a_while_t,
    five_failures_lock_the_account_for_a_while
);

async fn parallel_guesses_cannot_pass_the_limit(app: TestApp) {
    let url = app.url("/login");
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let client = new_client();
            let page = client.get(&url).send().await.unwrap().text().await.unwrap();
            let csrf = crate::helpers::csrf_in(&page);
            client
                .post(&url)
                .form(&[
                    ("username", "auditor"),
                    ("password", "Wrong-Password-1"),
                    ("csrf", csrf.as_str()),
                    ("next", "/"),
                ])
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::UNAUTHORIZED);
    }
    let checked: i64 = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM login_attempts WHERE username = 'auditor' AND outcome = 'failed'").fetch_one(pool).await).unwrap();
    assert_eq!(
        checked, 5,
        "only five guesses were ever checked against the password"
    );
    let refused: i64 = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM login_attempts WHERE username = 'auditor' AND outcome = 'refused'").fetch_one(pool).await).unwrap();
    assert_eq!(refused, 7);
}
dual_test!(
    parallel_guesses_cannot_pass_the_limit_t,
    parallel_guesses_cannot_pass_the_limit
);

async fn one_address_spraying_many_accounts_is_stopped(mut app: TestApp) {
    // Four failures each on six names: no account reaches its own limit,
    // but the address passes its limit of twenty.
    for name in ["a1", "a2", "a3", "a4", "a5", "a6"] {
        for _ in 0..4 {
            let r = app.login_as(name, "Wrong-Password-1").await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        }
    }
    let r = app.login_as("staff", DEMO_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.unwrap().contains("该地址登录失败次数过多"));
}
dual_test!(
    one_address_spraying_many_accounts_is_stopped_t,
    one_address_spraying_many_accounts_is_stopped
);

async fn admin_passwords_expire_and_recent_ones_cannot_return(mut app: TestApp) {
    lvzhi::on_db!(&app.db, pool => sqlx::query("UPDATE users SET password_changed_at = $1 WHERE username = 'security'")
        .bind(chrono::Utc::now() - chrono::Duration::days(91)).execute(pool).await.map(|_| ())).unwrap();
    app.login("security").await;
    let r = app.get("/admin/users").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"],
        "/account/password",
        "an expired admin password must be changed first"
    );
    let token = app.token("security").await;
    let (status, body) = app.api_get(&token, "/api/v1/users").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "password_change_required");

    // The current password is among the last five: refused.
    let r = app
        .post_form(
            "/account/password",
            &[
                ("current_password", DEMO_PASSWORD),
                ("new_password", DEMO_PASSWORD),
                ("confirm_password", DEMO_PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("不能与最近 5 次使用过的密码相同"));

    let mut current = DEMO_PASSWORD.to_string();
    for n in 1..=2 {
        let next = format!("Rotated-Secret-{n}x");
        let r = app
            .post_form(
                "/account/password",
                &[
                    ("current_password", &current),
                    ("new_password", &next),
                    ("confirm_password", &next),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        app.csrf = crate::helpers::csrf_in(&r.text().await.unwrap());
        current = next;
    }
    // Going back two steps is refused too.
    let r = app
        .post_form(
            "/account/password",
            &[
                ("current_password", &current),
                ("new_password", "Rotated-Secret-1x"),
                ("confirm_password", "Rotated-Secret-1x"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = app.get_html("/admin/users").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "after the change the account works again"
    );
}
dual_test!(
    admin_passwords_expire_and_recent_ones_cannot_return_t,
    admin_passwords_expire_and_recent_ones_cannot_return
);

async fn audit_log_is_append_only_and_its_chain_finds_tampering(mut app: TestApp) {
    app.login("staff").await;
    let _ = app.login_as("staff", "Wrong-Password-1").await;
    use lvzhi::storage::audit::{verify, ChainCheck};
    let rows = match verify(&app.db).await.unwrap() {
        ChainCheck::Intact { rows } => rows,
        broken => panic!("fresh log reported {broken:?}"),
    };
    assert!(rows >= 20, "demo load, logins: {rows}");

    // The application's connection can neither change nor remove a row.
    let update = lvzhi::on_db!(&app.db, pool => sqlx::query("UPDATE audit_log SET outcome = 'ok' WHERE outcome = 'failed'")
        .execute(pool).await.map(|_| ()));
    assert!(update.is_err(), "update refused");
    let delete = lvzhi::on_db!(&app.db, pool => sqlx::query("DELETE FROM audit_log").execute(pool).await.map(|_| ()));
    assert!(delete.is_err(), "delete refused");
    assert_eq!(verify(&app.db).await.unwrap(), ChainCheck::Intact { rows });

    // Someone with the database's owner rights disables the guard and edits a
    // row: the chain names the row.
    let target: i64 = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM audit_log WHERE outcome = 'failed' ORDER BY id LIMIT 1").fetch_one(pool).await).unwrap();
    match &app.db {
        lvzhi::storage::Db::Sqlite(pool) => {
            sqlx::query("DROP TRIGGER audit_log_no_update")
                .execute(pool)
                .await
                .unwrap();
        }
        lvzhi::storage::Db::Postgres(pool) => {
            sqlx::query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
                .execute(pool)
                .await
                .unwrap();
        }
    }
    lvzhi::on_db!(&app.db, pool => sqlx::query("UPDATE audit_log SET outcome = 'ok' WHERE id = $1")
        .bind(target).execute(pool).await.map(|_| ()))
    .unwrap();
    assert_eq!(
        verify(&app.db).await.unwrap(),
        ChainCheck::Broken {
            id: target,
            reason: "content"
        }
    );
}
dual_test!(
    audit_log_is_append_only_and_its_chain_finds_tampering_t,
    audit_log_is_append_only_and_its_chain_finds_tampering
);

/// Writers in parallel extend one chain: each takes the chain's lock before
/// it reads the newest hash (PostgreSQL) or writes in its turn (SQLite), so
/// no two rows follow the same one. (Without the lock, PostgreSQL's chain
/// broke at the first pair of writers that read the same newest hash.)
async fn parallel_writers_extend_one_audit_chain(app: TestApp) {
    use lvzhi::storage::audit::{insert_alone, insert_many, verify, ChainCheck, NewAuditEntry};
    let ChainCheck::Intact { rows: before } = verify(&app.db).await.unwrap() else {
        panic!("the demo's chain is intact")
    };
    let writers: Vec<_> = (0..12)
        .map(|writer| {
            let db = app.db.clone();
            tokio::spawn(async move {
                for n in 0..10 {
                    let entry = NewAuditEntry {
                        username: Some(format!("writer-{writer}")),
                        action: "export",
                        object_id: Some(n.to_string()),
                        outcome: "ok",
                        ..Default::default()
                    };
                    insert_alone(&db, &entry).await.unwrap();
                }
            })
        })
        .collect();
    // Bulk writers (an import's rows) chain their own rows as they write,
    // between the single rows the sequencer links.
    let bulk: Vec<_> = (0..2)
        .map(|writer| {
            let db = app.db.clone();
            tokio::spawn(async move {
                for batch in 0..3 {
                    let entries: Vec<NewAuditEntry> = (0..200)
                        .map(|n| NewAuditEntry {
                            username: Some(format!("bulk-{writer}")),
                            action: "create",
                            object_type: Some("member"),
                            object_id: Some(format!("{batch}-{n}")),
                            outcome: "ok",
                            ..Default::default()
                        })
                        .collect();
                    let mut tx = db.begin().await.unwrap();
                    insert_many(&mut tx, &entries).await.unwrap();
                    tx.commit().await.unwrap();
                }
            })
        })
        .collect();
    for writer in writers.into_iter().chain(bulk) {
        writer.await.unwrap();
    }
    assert_eq!(
        verify(&app.db).await.unwrap(),
        ChainCheck::Intact {
            rows: before + 120 + 1200
        }
    );
}
dual_test!(
    parallel_writers_extend_one_audit_chain_t,
    parallel_writers_extend_one_audit_chain
);

/// Writers through the API side by side, and nobody reads the chain: the
/// server's sequencer links every committed row on its own, soon, into one
/// intact chain with no place missing (PostgreSQL writes a row unlinked and
/// links it after the commit; SQLite links it as it is written).
async fn every_audit_row_is_linked_without_a_reader(app: TestApp) {
    use lvzhi::storage::audit::{unchained, verify, ChainCheck};
    let token = app.token("staff").await;
    let writes = (0..24).map(|n| {
        let body = serde_json::json!({
            "kind": "study", "title": format!("委员学习会第{n}次"), "held_on": "2025-03-12",
            "place": "长江路街道办事处会议室", "organiser": "长江路街道政协工委",
            "description": "学习全国两会精神"
        });
        let app = &app;
        let token = &token;
        async move { app.api_post(token, "/api/v1/activities", &body).await }
    });
    for (status, answer) in futures_util::future::join_all(writes).await {
        assert_eq!(status, StatusCode::CREATED, "{answer}");
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let waiting = unchained(&app.db).await.unwrap();
        if waiting == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{waiting} audit rows still unlinked after 10 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (rows, last): (i64, Option<i64>) = lvzhi::on_db!(&app.db, pool => sqlx::query_as(
        "SELECT COUNT(*), MAX(seq) FROM audit_log").fetch_one(pool).await)
    .unwrap();
    assert!(rows > 24, "{rows} rows");
    assert_eq!(
        last,
        Some(rows),
        "places 1 to {rows}, none missing or twice"
    );
    assert_eq!(verify(&app.db).await.unwrap(), ChainCheck::Intact { rows });
}
dual_test!(
    every_audit_row_is_linked_without_a_reader_t,
    every_audit_row_is_linked_without_a_reader
);

/// The sequencer's one allowed change, linking an unlinked row, cannot be
/// used to change what a row records or to move a linked row; and a row
/// committed while no server ran (a crash after the commit) is linked by the
/// next sequencer, after the rows already linked.
async fn linking_changes_no_record_and_finds_rows_left_unlinked(app: TestApp) {
    use lvzhi::storage::audit::{
        chain_pending, insert, unchained, verify, ChainCheck, NewAuditEntry,
    };
    let ChainCheck::Intact { rows: before } = verify(&app.db).await.unwrap() else {
        panic!("the demo's chain is intact")
    };
    let entry = NewAuditEntry {
        username: Some("sequencer-test".into()),
        action: "export",
        outcome: "ok",
        ..Default::default()
    };
    let mut tx = app.db.begin().await.unwrap();
    insert(&mut tx, &entry).await.unwrap();
    // Before its commit the row is the writer's: on PostgreSQL unlinked, and
    // still not to be edited.
    let edit = lvzhi::on_tx!(&mut tx, conn => sqlx::query(
        "UPDATE audit_log SET outcome = 'failed' WHERE username = 'sequencer-test'")
        .execute(conn).await.map(|_| ()));
    assert!(edit.is_err(), "an unlinked row's record cannot change");
    drop(tx);

    let mut tx = app.db.begin().await.unwrap();
    insert(&mut tx, &entry).await.unwrap();
    tx.commit().await.unwrap();
    // What a crash right after the commit leaves, until a sequencer runs
    // (the test server's may already have).
    assert!(unchained(&app.db).await.unwrap() <= 1);
    chain_pending(&app.db).await.unwrap();
    assert_eq!(unchained(&app.db).await.unwrap(), 0);
    assert_eq!(
        verify(&app.db).await.unwrap(),
        ChainCheck::Intact { rows: before + 1 }
    );
    let (seq, id): (Option<i64>, i64) = lvzhi::on_db!(&app.db, pool => sqlx::query_as(
        "SELECT seq, id FROM audit_log WHERE username = 'sequencer-test'").fetch_one(pool).await)
    .unwrap();
    assert_eq!(seq, Some(before + 1), "linked after every row before it");

    // A linked row cannot be moved or re-linked.
    for change in [
        "UPDATE audit_log SET seq = seq + 1000000 WHERE id = $1",
        "UPDATE audit_log SET seq = NULL, prev_hash = NULL, hash = NULL WHERE id = $1",
        "UPDATE audit_log SET hash = prev_hash WHERE id = $1",
    ] {
        let moved = lvzhi::on_db!(&app.db, pool => sqlx::query(change).bind(id).execute(pool).await.map(|_| ()));
        assert!(moved.is_err(), "refused: {change}");
    }
    assert_eq!(
        verify(&app.db).await.unwrap(),
        ChainCheck::Intact { rows: before + 1 }
    );
}
dual_test!(
    linking_changes_no_record_and_finds_rows_left_unlinked_t,
    linking_changes_no_record_and_finds_rows_left_unlinked
);

/// Rows that no server links (here the chain's lock held by a stuck
/// session) are named on the audit page once they have waited a minute, and
/// the line goes once they are linked. SQLite links each row as it writes
/// it: its page never shows the line.
async fn rows_left_unlinked_are_shown_to_the_auditor(mut app: TestApp) {
    app.login("auditor").await;
    let (status, html) = app.get_html("/audit").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("chain-waiting"), "nothing waits: {html}");
    let lvzhi::storage::Db::Postgres(pool) = &app.db else {
        return;
    };
    let mut stuck = pool.begin().await.unwrap();
    lvzhi::storage::audit::lock_chain(&mut stuck).await.unwrap();
    let now = chrono::Utc::now();
    let insert = |at| {
        sqlx::query(
            "INSERT INTO audit_log (at, username, action, outcome) VALUES ($1, 'waiting-row', 'export', 'ok')",
        )
        .bind(at)
        .execute(pool)
    };
    insert(now).await.unwrap();
    // Written now, it is not late yet (the sign-in's row may wait too).
    let (status, html) = app.get_html("/audit").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("chain-waiting"), "{html}");
    let oldest = now - chrono::TimeDelta::minutes(3);
    insert(oldest).await.unwrap();
    let (status, html) = app.get_html("/audit").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"chain-waiting\""), "{html}");
    assert!(
        html.contains(&format!(
            "条审计记录自 {} 起仍未链入哈希链",
            lvzhi::app::clock::shown_to_second(oldest)
        )),
        "{html}"
    );
    stuck.rollback().await.unwrap();
    lvzhi::storage::audit::chain_pending(&app.db).await.unwrap();
    let (_, html) = app.get_html("/audit").await;
    assert!(!html.contains("chain-waiting"), "linked now: {html}");
}
dual_test!(
    rows_left_unlinked_are_shown_to_the_auditor_t,
    rows_left_unlinked_are_shown_to_the_auditor
);

async fn audit_rows_never_hold_secrets(mut app: TestApp) {
    app.login("staff").await;
    let _ = app.login_as("staff", "Secret-Typo-Password-9").await;
    let token = app.token("staff").await;
    let details: Vec<String> = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, String>(
        "SELECT COALESCE(detail, '') || ' ' || COALESCE(username, '') FROM audit_log").fetch_all(pool).await).unwrap();
    let all = details.join("\n");
    assert!(!all.contains(DEMO_PASSWORD));
    assert!(!all.contains("Secret-Typo-Password-9"));
    assert!(!all.contains(&token));
    // The demo ID numbers start with the district code and birth date; only masked forms appear.
    assert!(!all.contains("41010319680312"), "no unmasked ID number");
    assert!(!all.contains("13903710001"), "no unmasked phone number");
}
dual_test!(
    audit_rows_never_hold_secrets_t,
    audit_rows_never_hold_secrets
);
