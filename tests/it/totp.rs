//! Two-step sign-in with one-time codes (TOTP).

use reqwest::StatusCode;

use crate::dual_test;
use crate::helpers::{spawn_client_for, TestApp, DEMO_PASSWORD};

fn value_of(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    html.find(&marker)
        .map(|i| &html[i + marker.len()..])
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_string()
}

fn code(secret: &str, offset_seconds: i64) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_string())
        .to_bytes()
        .unwrap();
    let at = (chrono::Utc::now().timestamp() + offset_seconds) as u64;
    lvzhi::domain::totp::code_at(&bytes, at).unwrap()
}

/// Set up the second factor through the page; returns the secret.
async fn enable(app: &TestApp) -> String {
    let (status, html) = app.get_html("/account/totp").await;
    assert_eq!(status, StatusCode::OK);
    let secret = value_of(&html, "secret");
    assert!(
        secret.len() >= 26,
        "a base32 secret of at least 128 bits: {secret}"
    );
    assert!(html.contains("otpauth://totp/"));

    let wrong = app
        .post_form(
            "/account/totp/enable",
            &[("secret", &secret), ("code", "000000")],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.text().await.unwrap().contains("验证码不正确或已过期"));

    let ok = app
        .post_form(
            "/account/totp/enable",
            &[("secret", &secret), ("code", &code(&secret, 0))],
        )
        .await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get_html("/account/totp").await;
    assert!(html.contains("已启用"));
    secret
}

async fn second_factor_is_asked_and_codes_work_once(mut app: TestApp) {
    app.login("staff").await;
    let secret = enable(&app).await;
    assert_eq!(app.audit_count("totp_enable").await, 1);

    let mut browser = spawn_client_for(&app).await;
    let r = browser.login_as("staff", DEMO_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.unwrap().contains("请输入 6 位动态验证码"));

    // Sign in with the code of the next step (the current one was spent on enabling).
    let next = code(&secret, 30);
    let page = browser
        .client
        .get(browser.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = crate::helpers::csrf_in(&page);
    let form = [
        ("username", "staff"),
        ("password", DEMO_PASSWORD),
        ("code", next.as_str()),
        ("csrf", csrf.as_str()),
        ("next", "/"),
    ];
    let r = browser
        .client
        .post(browser.url("/login"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "password and code open the account"
    );

    // The same code again is refused: it was used.
    let page = browser
        .client
        .get(browser.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = crate::helpers::csrf_in(&page);
    let form = [
        ("username", "staff"),
        ("password", DEMO_PASSWORD),
        ("code", next.as_str()),
        ("csrf", csrf.as_str()),
        ("next", "/"),
    ];
    let r = browser
        .client
        .post(browser.url("/login"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.unwrap().contains("该验证码已使用过"));

    // Turning it off needs a valid code too.
    let r = app
        .post_form("/account/totp/disable", &[("code", "123")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post_form("/account/totp/disable", &[("code", &code(&secret, 0))])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.audit_count("totp_disable").await, 1);
    let r = browser.login_as("staff", DEMO_PASSWORD).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "without the second factor the password is enough again"
    );
}
dual_test!(
    second_factor_is_asked_and_codes_work_once_t,
    second_factor_is_asked_and_codes_work_once
);

async fn roles_that_require_it_must_set_it_up_first(app: TestApp) {
    let backend = app.backend;
    drop(app);
    let mut app = crate::helpers::spawn_app_configured(backend, true, |s| {
        s.totp_required_roles = Some(vec!["staff".into(), "admin".into()]);
    })
    .await;
    app.login("staff").await;
    let r = app.get("/members").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/account/totp");
    let token = app.token("staff").await;
    let (status, body) = app.api_get(&token, "/api/v1/members").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "totp_enrollment_required");

    let (_, html) = app.get_html("/account/totp").await;
    assert!(html.contains("您的角色要求启用双重验证"));
    let secret = enable(&app).await;
    let (status, _) = app.get_html("/members").await;
    assert_eq!(status, StatusCode::OK, "set up: the work pages open");
    let r = app
        .post_form("/account/totp/disable", &[("code", &code(&secret, 30))])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("不能停用"));

    // Members are not in the required list: they go straight in.
    let mut member = spawn_client_for(&app).await;
    assert_eq!(
        member.login_as("member", DEMO_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let r = member.client.get(member.url("/")).send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "her first page, not the enrolment"
    );
}
dual_test!(
    roles_that_require_it_must_set_it_up_first_t,
    roles_that_require_it_must_set_it_up_first
);

/// Without a setting, the three administrators must set up the second factor
/// at their first sign-in, and their API tokens wait for it; staff do too
/// under the demo's settings, members never unless they choose to.
async fn administrators_need_a_second_factor_by_default(app: TestApp) {
    let backend = app.backend;
    drop(app);
    let app = crate::helpers::spawn_app_configured(backend, true, |s| {
        s.totp_required_roles = None;
    })
    .await;
    for role in ["admin", "security", "auditor"] {
        let mut browser = spawn_client_for(&app).await;
        assert_eq!(
            browser.login_as(role, DEMO_PASSWORD).await.status(),
            StatusCode::SEE_OTHER
        );
        let r = browser.client.get(browser.url("/")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{role}");
        assert_eq!(r.headers()["location"], "/account/totp", "{role}");
        let text = browser.page_text("/account/totp").await;
        assert!(text.contains("您的角色要求启用双重验证"), "{role}: {text}");
        let token = app.token(role).await;
        let (status, body) = app.api_get(&token, "/api/v1/users").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}");
        assert_eq!(body["error"], "totp_enrollment_required", "{role}");
    }
    for role in ["staff", "member"] {
        let mut browser = spawn_client_for(&app).await;
        browser.login_as(role, DEMO_PASSWORD).await;
        let r = browser.client.get(browser.url("/")).send().await.unwrap();
        assert!(
            r.headers()
                .get("location")
                .is_none_or(|l| l != "/account/totp"),
            "{role} goes straight in"
        );
    }
    drop(app);

    let mut app = crate::helpers::spawn_app_configured(backend, true, |s| {
        s.totp_required_roles = None;
        *s = std::mem::take(s).with_demo_totp();
    })
    .await;
    app.login("staff").await;
    let r = app.get("/members").await;
    assert_eq!(r.headers()["location"], "/account/totp", "the demo's staff");
    enable(&app).await;
    let (status, _) = app.get_html("/members").await;
    assert_eq!(status, StatusCode::OK);
}
dual_test!(
    administrators_need_a_second_factor_by_default_t,
    administrators_need_a_second_factor_by_default
);
