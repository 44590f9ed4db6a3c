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
    use lvzhi::storage::audit::{insert_alone, verify, ChainCheck, NewAuditEntry};
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
    for writer in writers {
        writer.await.unwrap();
    }
    assert_eq!(
        verify(&app.db).await.unwrap(),
        ChainCheck::Intact { rows: before + 120 }
    );
}
dual_test!(
    parallel_writers_extend_one_audit_chain_t,
    parallel_writers_extend_one_audit_chain
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
