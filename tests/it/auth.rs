//! Sign-in, sessions, CSRF, tokens, and the audit rows they leave.

use reqwest::StatusCode;

use crate::dual_test;
use crate::helpers::{new_client, TestApp, DEMO_PASSWORD};

async fn login_and_logout_are_audited(mut app: TestApp) {
    let (status, _) = app.get_html("/members").await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "signed out: sent to the login page"
    );

    let failed = app.login_as("staff", "Wrong-Password-1").await;
    assert_eq!(failed.status(), StatusCode::UNAUTHORIZED);
    assert!(failed.text().await.unwrap().contains("用户名或密码不正确"));
    assert_eq!(app.audit_count("login").await, 1);

    app.login("staff").await;
    let (status, html) = app.get_html("/members").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("孟爱云"));

    let r = app.post_form("/logout", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, _) = app.get_html("/members").await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "the session ended on the server"
    );
    assert_eq!(app.audit_count("logout").await, 1);

    let outcomes: Vec<String> = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, String>(
        "SELECT outcome FROM audit_log WHERE action = 'login' ORDER BY id").fetch_all(pool).await)
    .unwrap();
    assert_eq!(outcomes, ["failed", "ok"]);
}
dual_test!(login_and_logout_are_audited_t, login_and_logout_are_audited);

async fn unknown_user_fails_like_a_wrong_password(mut app: TestApp) {
    let r = app.login_as("nobody", DEMO_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.unwrap().contains("用户名或密码不正确"));
}
dual_test!(
    unknown_user_fails_like_a_wrong_password_t,
    unknown_user_fails_like_a_wrong_password
);

async fn forms_without_the_csrf_token_are_refused(mut app: TestApp) {
    app.login("staff").await;
    let before = app.count("members").await;
    let r = app
        .client
        .post(app.url("/members"))
        .form(&[("name", "无令牌"), ("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("members").await, before);

    // The login form too: a missing login token is refused.
    let r = new_client()
        .post(app.url("/login"))
        .form(&[("username", "staff"), ("password", DEMO_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}
dual_test!(
    forms_without_the_csrf_token_are_refused_t,
    forms_without_the_csrf_token_are_refused
);

async fn api_needs_a_token(app: TestApp) {
    let r = new_client()
        .get(app.url("/api/v1/members"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized");

    let (status, _) = app.api_get("not-a-token", "/api/v1/members").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let token = app.token("staff").await;
    let (status, body) = app.api_get(&token, "/api/v1/members").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["total"], 14);
}
dual_test!(api_needs_a_token_t, api_needs_a_token);

async fn session_cookie_is_http_only_and_changes_at_login(mut app: TestApp) {
    let page = app.get("/login").await;
    let csrf = crate::helpers::csrf_in(&page.text().await.unwrap());
    let r = app
        .client
        .post(app.url("/login"))
        .form(&[
            ("username", "staff"),
            ("password", DEMO_PASSWORD),
            ("csrf", &csrf),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("lvzhi_session="))
        .unwrap()
        .to_string();
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    let first = cookie.split(';').next().unwrap().to_string();
    app.login("staff").await;
    let sessions = app.count("sessions").await;
    assert_eq!(sessions, 2, "every login is a new session");
    assert!(!first.is_empty());
}
dual_test!(
    session_cookie_is_http_only_and_changes_at_login_t,
    session_cookie_is_http_only_and_changes_at_login
);

async fn first_start_creates_an_admin_who_must_change_the_password(app: TestApp) {
    // A database without the demo: the bootstrap path of `serve`.
    let backend = app.backend;
    drop(app);
    let mut app = crate::helpers::spawn_app_with(backend, false).await;
    let (username, password) = lvzhi::services::users::bootstrap_admin(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(
        lvzhi::services::users::bootstrap_admin(&app.db)
            .await
            .unwrap()
            .is_none(),
        "only once"
    );
    let r = app.login_as(&username, &password).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app.get("/admin/users").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/account/password");

    let weak = app
        .post_form(
            "/account/password",
            &[
                ("current_password", &password),
                ("new_password", "short"),
                ("confirm_password", "short"),
            ],
        )
        .await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.text().await.unwrap().contains("至少需要 12 个字符"));

    let ok = app
        .post_form(
            "/account/password",
            &[
                ("current_password", &password),
                ("new_password", "Committee-2026-new"),
                ("confirm_password", "Committee-2026-new"),
            ],
        )
        .await;
    assert_eq!(ok.status(), StatusCode::OK);
    let html = ok.text().await.unwrap();
    app.csrf = crate::helpers::csrf_in(&html);
    let (status, _) = app.get_html("/admin/users").await;
    assert_eq!(status, StatusCode::OK);
}
dual_test!(
    first_start_creates_an_admin_who_must_change_the_password_t,
    first_start_creates_an_admin_who_must_change_the_password
);
