//! What an outside assessment found (issue 17), each closed: passwords that
//! are common or guessable, administration that could be locked out, accounts
//! linked across committees, forms stored with bytes nobody typed, and
//! tracking codes looked up without limit.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::dual_test;
use crate::helpers::{change_password, spawn_client_for, TestApp, DEMO_PASSWORD};

async fn user_id(app: &TestApp, username: &str) -> (i64, i64) {
    let u = lvzhi::storage::users::find_by_username(&app.db, username)
        .await
        .unwrap()
        .unwrap();
    (u.id, u.version)
}

fn field_error<'a>(answer: &'a Value, field: &str) -> &'a Value {
    answer["fields"]
        .as_array()
        .and_then(|fields| fields.iter().find(|f| f["field"] == field))
        .unwrap_or_else(|| panic!("{field} named: {answer}"))
}

/// The examples of the assessment and the estimator's own: refused by the
/// admin API and by the account page, saying why in Chinese.
async fn common_and_guessable_passwords_are_refused(mut app: TestApp) {
    let admin = app.token("admin").await;
    let committee = app.group_id("长江路街道政协工委").await;
    for (password, why) in [
        ("Password1234!", "常见或已泄露"),
        ("P@ssw0rd1234", "常见或已泄露"),
        ("Qwerty123456!", "常见或已泄露"),
        ("Aaaaaaaaaaaaaa1B", "太容易被猜中"),
    ] {
        let (status, answer) = app
            .api_post(
                &admin,
                "/api/v1/users",
                &json!({"username": "clerk9", "display_name": "办事员", "org_id": committee, "password": password}),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{password}: {answer}"
        );
        let error = field_error(&answer, "password");
        assert!(
            error["message"].as_str().unwrap().contains(why),
            "{password}: {answer}"
        );
    }
    assert!(lvzhi::storage::users::find_by_username(&app.db, "clerk9")
        .await
        .unwrap()
        .is_none());

    app.login("member").await;
    for (password, why) in [
        ("Qwerty123456!", "常见或已泄露"),
        ("Aaaaaaaaaaaaaa1B", "太容易被猜中"),
    ] {
        let r = app
            .post_form(
                "/account/password",
                &[
                    ("current_password", DEMO_PASSWORD),
                    ("new_password", password),
                    ("confirm_password", password),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{password}");
        let html = r.text().await.unwrap();
        assert!(html.contains(why), "{password}: {html}");
    }
    // The demo's password itself is still a good one.
    let mut browser = spawn_client_for(&app).await;
    assert_eq!(
        browser.login_as("member", DEMO_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
}
dual_test!(
    common_and_guessable_passwords_are_refused_t,
    common_and_guessable_passwords_are_refused
);

/// A password the admin chose is the admin's knowledge: its owner replaces it
/// at the first sign-in, before anything else.
async fn an_admin_chosen_password_is_changed_at_first_sign_in(app: TestApp) {
    let admin = app.token("admin").await;
    let committee = app.group_id("长江路街道政协工委").await;
    let (status, created) = app
        .api_post(
            &admin,
            "/api/v1/users",
            &json!({"username": "clerk8", "display_name": "办事员", "org_id": committee, "password": "Chosen-By-Admin-2026"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["user"]["must_change_password"], true);
    let security = app.token("security").await;
    let (status, answer) = set_role(&app, &security, "clerk8", json!("staff")).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let mut browser = spawn_client_for(&app).await;
    assert_eq!(
        browser
            .login_as("clerk8", "Chosen-By-Admin-2026")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let r = browser.client.get(browser.url("/")).send().await.unwrap();
    assert_eq!(r.headers()["location"], "/account/password");
    change_password(
        &app,
        "clerk8",
        "Chosen-By-Admin-2026",
        "Clerk-Eight-Own-2026",
    )
    .await;
    let mut browser = spawn_client_for(&app).await;
    browser.login_as("clerk8", "Clerk-Eight-Own-2026").await;
    let r = browser.client.get(browser.url("/")).send().await.unwrap();
    assert_ne!(
        r.headers().get("location").map(|l| l.to_str().unwrap()),
        Some("/account/password")
    );
}
dual_test!(
    an_admin_chosen_password_is_changed_at_first_sign_in_t,
    an_admin_chosen_password_is_changed_at_first_sign_in
);

async fn set_role(
    app: &TestApp,
    security: &str,
    username: &str,
    role: Value,
) -> (StatusCode, Value) {
    let (id, version) = user_id(app, username).await;
    app.api_send(
        Method::PUT,
        security,
        &format!("/api/v1/users/{id}/role"),
        &json!({"role": role, "version": version}),
    )
    .await
}

/// The security admin cannot leave the installation without a system admin,
/// an auditor (or, through another security admin, a security admin); nor
/// make a department handler an administrator.
async fn administration_cannot_be_locked_out(mut app: TestApp) {
    let security = app.token("security").await;
    let grants_before = app.audit_count("role_revoke").await;
    for (username, why) in [("admin", "系统管理员"), ("auditor", "审计管理员")] {
        for role in [json!(null), json!("staff")] {
            let (status, answer) = set_role(&app, &security, username, role.clone()).await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{username} → {role}: {answer}"
            );
            let error = field_error(&answer, "role");
            assert!(
                error["code"].as_str().unwrap().starts_with("role_last_"),
                "{answer}"
            );
            assert!(error["message"].as_str().unwrap().contains(why), "{answer}");
        }
    }
    assert_eq!(app.audit_count("role_revoke").await, grants_before);

    // With a second system admin, the first may go; then the second is the last.
    let admin = app.token("admin").await;
    let committee = app.group_id("长江路街道政协工委").await;
    let (status, _) = app
        .api_post(
            &admin,
            "/api/v1/users",
            &json!({"username": "admin2", "display_name": "第二管理员", "org_id": committee}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, answer) = set_role(&app, &security, "admin2", json!("admin")).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (status, answer) = set_role(&app, &security, "admin", json!(null)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (status, answer) = set_role(&app, &security, "admin2", json!(null)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(field_error(&answer, "role")["code"], "role_last_admin");

    // A department handler's account is never an administrator's.
    for role in ["admin", "security", "auditor"] {
        let (status, answer) = set_role(&app, &security, "department", json!(role)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{role}: {answer}");
        assert_eq!(field_error(&answer, "role")["code"], "role_admin_linked");
    }
    // The page says the same.
    app.login("security").await;
    let (id, version) = user_id(&app, "admin2").await;
    let r = app
        .post_form(
            &format!("/admin/users/{id}/role"),
            &[
                ("version", &version.to_string()),
                ("role", ""),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("最后一个启用的系统管理员"));
    assert_eq!(
        lvzhi::storage::users::find_by_username(&app.db, "admin2")
            .await
            .unwrap()
            .unwrap()
            .role
            .as_deref(),
        Some("admin")
    );
}
dual_test!(
    administration_cannot_be_locked_out_t,
    administration_cannot_be_locked_out
);

/// An account's member is one of the account's own committee.
async fn an_account_links_a_member_of_its_own_committee_only(app: TestApp) {
    let admin = app.token("admin").await;
    let committee = app.group_id("长江路街道政协工委").await;
    let district = app.group_id("二七区政协").await;
    let member: i64 = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM members WHERE id NOT IN (SELECT member_id FROM users WHERE member_id IS NOT NULL) ORDER BY id LIMIT 1")
        .fetch_one(pool).await)
    .unwrap();
    let (status, answer) = app
        .api_post(
            &admin,
            "/api/v1/users",
            &json!({"username": "linked1", "display_name": "委员", "org_id": district, "member_id": member}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let error = field_error(&answer, "member_id");
    assert_eq!(error["code"], "member_other_committee");
    assert!(error["message"].as_str().unwrap().contains("另一个委员会"));
    let (status, answer) = app
        .api_post(
            &admin,
            "/api/v1/users",
            &json!({"username": "linked1", "display_name": "委员", "org_id": committee, "member_id": member}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "its own committee: {answer}");
}
dual_test!(
    an_account_links_a_member_of_its_own_committee_only_t,
    an_account_links_a_member_of_its_own_committee_only
);

/// `%FF%FE` in a page form would be stored as U+FFFD: the form is refused,
/// naming the field, and nothing is stored.
async fn page_forms_refuse_bytes_that_are_not_text(mut app: TestApp) {
    app.login("staff").await;
    let before = app.count("info_reports").await;
    let body = format!(
        "csrf={}&kind=social&headline=%FF%FE%E5%81%9C&text=%E5%81%9C%E8%BD%A6",
        app.csrf
    );
    let r = app
        .client
        .post(app.url("/info"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let html = r.text().await.unwrap();
    assert!(html.contains("“headline”含有无法识别的字符"), "{html}");
    assert_eq!(app.count("info_reports").await, before);

    // The public form likewise.
    let r = app
        .client
        .post(app.url("/track"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("tracking_code=%FF")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}
dual_test!(
    page_forms_refuse_bytes_that_are_not_text_t,
    page_forms_refuse_bytes_that_are_not_text
);

/// Tracking codes are looked up at most 20 times an hour from one address,
/// found or not, as the public form limits submissions.
async fn tracking_look_ups_are_limited_per_address(app: TestApp) {
    let client = crate::helpers::new_client();
    let limit = lvzhi::services::cases::TRACK_LIMIT_PER_HOUR;
    for i in 0..limit {
        let r = client
            .post(app.url("/track"))
            .form(&[("tracking_code", "ABCD-EFGH-JKLM")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "look-up {i}");
    }
    let r = client
        .post(app.url("/track"))
        .form(&[("tracking_code", "ABCD-EFGH-JKLM")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text().await.unwrap().contains("查询次数过多"));
}
dual_test!(
    tracking_look_ups_are_limited_per_address_t,
    tracking_look_ups_are_limited_per_address
);
