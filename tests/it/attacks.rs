//! The attacks that hit peer systems, tried on every input we have today:
//! stored and reflected XSS, missing response headers, SQL in sort and filter
//! parameters, other committees' record ids, parallel duplicate submissions,
//! cross-site requests riding a browser session on the API, and oversized or
//! malformed bodies.

use std::collections::BTreeSet;

use lvzhi::domain::roles::Role;
use lvzhi::services::orgs::OrgInput;
use lvzhi::services::users::{Creator, UserInput};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::dual_test;
use crate::helpers::{csrf_in, id_number, member_body, spawn_client_for, TestApp};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// `<script>alert(n)</script>`
fn script(n: u32) -> String {
    format!("<script>alert({n})</script>")
}

/// `"><img src=x onerror=alert(n)>`: breaks out of an attribute (30 characters).
fn img(n: u32) -> String {
    format!("\"><img src=x onerror=alert({n})>")
}

/// A `javascript:` URL followed by a tag.
fn js(n: u32) -> String {
    format!("javascript:alert({n})//<svg onload=alert({n})>")
}

/// HTML-escape as a template engine may: numeric entities (askama) or named ones.
fn escaped(raw: &str) -> [String; 2] {
    let numeric = raw
        .replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;");
    let named = raw
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;");
    [numeric, named]
}

/// No executable markup from any payload, and no `javascript:` link.
fn assert_no_raw_markup(html: &str, what: &str) {
    for raw in [
        "<script>alert",
        "<img src=x",
        "<svg onload",
        "\"><img",
        "href=\"javascript:",
        "src=\"javascript:",
        "action=\"javascript:",
    ] {
        assert!(
            !html.contains(raw),
            "{what}: raw markup {raw:?} in the page"
        );
    }
}

/// The payload is shown, but only in its escaped form.
fn assert_escaped(html: &str, raw: &str, what: &str) {
    assert!(
        !html.contains(raw),
        "{what}: the payload {raw:?} appears unescaped"
    );
    let [numeric, named] = escaped(raw);
    assert!(
        html.contains(&numeric) || html.contains(&named),
        "{what}: the escaped form of {raw:?} is not on the page"
    );
    assert_no_raw_markup(html, what);
}

async fn user_id(app: &TestApp, username: &str) -> i64 {
    lvzhi::storage::users::find_by_username(&app.db, username)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// Everything about every member row that an edit or a delete would change.
async fn members_snapshot(app: &TestApp) -> Vec<(i64, i64, String, String, String, String)> {
    lvzhi::on_db!(&app.db, pool => sqlx::query_as::<_, (i64, i64, String, String, String, String)>(
        "SELECT id, version, name, sector, COALESCE(title, ''), status FROM members ORDER BY id")
        .fetch_all(pool).await)
    .unwrap()
}

async fn member_ids(app: &TestApp) -> Vec<(i64, i64)> {
    lvzhi::on_db!(&app.db, pool => sqlx::query_as::<_, (i64, i64)>(
        "SELECT id, version FROM members ORDER BY id").fetch_all(pool).await)
    .unwrap()
}

/// A complete page form for a member (the CSRF token is added by `post_form`).
fn member_form(name: &str, id: &str, group: &str, version: &str) -> Vec<(&'static str, String)> {
    vec![
        ("name", name.to_string()),
        ("gender", "female".into()),
        ("ethnicity", "汉族".into()),
        ("party", "ccp".into()),
        ("sector", "经济界".into()),
        ("workplace", "测试单位".into()),
        ("position", "经理".into()),
        ("phone", "13812345678".into()),
        ("id_number", id.to_string()),
        ("term", "7".into()),
        ("status", "active".into()),
        ("group_id", group.to_string()),
        ("version", version.to_string()),
    ]
}

async fn post_fields(app: &TestApp, path: &str, form: &[(&'static str, String)]) -> StatusCode {
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    app.post_form(path, &fields).await.status()
}

/// A second sub-district committee beside the demo one, with its own staff
/// account `jianshe`, made as the operator would.
async fn second_committee(app: &TestApp) -> i64 {
    let admin = lvzhi::services::auth::actor_for_user(&app.db, user_id(app, "admin").await, None)
        .await
        .unwrap()
        .unwrap();
    let district = app.group_id("二七区政协").await;
    let org = lvzhi::services::orgs::create(
        &app.db,
        &admin,
        &OrgInput {
            name: "建设路街道政协工委".into(),
            kind: "subdistrict".into(),
            parent_id: Some(district.to_string()),
            community_id: None,
        },
    )
    .await
    .unwrap();
    let input = UserInput {
        username: "jianshe".into(),
        display_name: "建设路 工作人员".into(),
        org_id: Some(org.id.to_string()),
        password: Some("Other-Committee-2026".into()),
        ..Default::default()
    };
    let (user, _) =
        lvzhi::services::users::create(&app.db, Creator::Cli, &input, Some(Role::Staff))
            .await
            .unwrap();
    assert_eq!(user.role.as_deref(), Some("staff"));
    org.id
}

// ---------------------------------------------------------------------------
// Stored and reflected XSS
// ---------------------------------------------------------------------------

async fn stored_xss_is_escaped_on_every_page(mut app: TestApp) {
    let staff = app.token("staff").await;
    let admin = app.token("admin").await;
    let security = app.token("security").await;

    // Member names are letters only: markup is refused outright.
    for name in [script(0), img(0), "javascript:alert(0)".to_string()] {
        let mut body = member_body("韩晓梅", "19900101", "022");
        body["name"] = json!(name);
        let (status, answer) = app.api_post(&staff, "/api/v1/members", &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {answer}");
        assert_eq!(answer["fields"][0]["field"], "name", "{answer}");
    }

    // Every free-text input gets a payload of its own.
    let committee = app.group_id("长江路街道政协工委").await;
    let (status, community) = app
        .api_post(&staff, "/api/v1/communities", &json!({ "name": img(5) }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{community}");
    let (status, group) = app
        .api_post(
            &staff,
            "/api/v1/groups",
            &json!({ "name": script(4), "parent_id": committee, "community_id": community["id"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{group}");
    let (status, department) = app
        .api_post(
            &staff,
            "/api/v1/departments",
            &json!({ "name": script(6), "contact": img(7) }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{department}");
    let mut body = member_body("韩晓梅", "19900101", "022");
    body["position"] = json!(script(1));
    body["sector"] = json!(img(2));
    body["workplace"] = json!(js(3));
    body["group_id"] = group["id"].clone();
    let (status, member) = app.api_post(&staff, "/api/v1/members", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{member}");
    let member_id = member["id"].as_i64().unwrap();

    let district = app.group_id("二七区政协").await;
    let (status, org) = app
        .api_post(
            &admin,
            "/api/v1/orgs",
            &json!({ "name": img(8), "kind": "subdistrict", "parent_id": district }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{org}");
    let (status, user) = app
        .api_post(
            &admin,
            "/api/v1/users",
            &json!({ "username": "xss.staff", "display_name": script(9), "org_id": org["id"], "password": "Payload-Test-2026" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    let (status, granted) = app
        .api_send(
            Method::PUT,
            &security,
            &format!("/api/v1/users/{}/role", user["user"]["id"]),
            &json!({ "role": "staff", "version": user["user"]["version"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{granted}");

    // The API answers them as the plain strings they are.
    let (_, got) = app
        .api_get(&staff, &format!("/api/v1/members/{member_id}"))
        .await;
    assert_eq!(got["position"], script(1));
    assert_eq!(got["sector"], img(2));
    assert_eq!(got["workplace"], js(3));
    let raw = app
        .client
        .get(app.url(&format!("/api/v1/members/{member_id}")))
        .bearer_auth(&staff)
        .send()
        .await
        .unwrap();
    let content_type = raw.headers()["content-type"].to_str().unwrap().to_string();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let text = raw.text().await.unwrap();
    assert!(
        text.contains(&script(1)),
        "JSON carries the text unchanged: {text}"
    );
    let named = |list: &Value, key: &str, value: &str| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|item| item[key] == value)
    };
    let (_, groups) = app.api_get(&staff, "/api/v1/groups?per_page=200").await;
    assert!(named(&groups, "name", &script(4)), "{groups}");
    let (_, communities) = app
        .api_get(&staff, "/api/v1/communities?per_page=200")
        .await;
    assert!(named(&communities, "name", &img(5)), "{communities}");
    let (_, departments) = app
        .api_get(&staff, "/api/v1/departments?per_page=200")
        .await;
    assert!(named(&departments, "name", &script(6)), "{departments}");
    assert!(named(&departments, "contact", &img(7)), "{departments}");
    let (_, orgs) = app.api_get(&admin, "/api/v1/orgs?per_page=200").await;
    assert!(named(&orgs, "name", &img(8)), "{orgs}");
    let (_, users) = app.api_get(&admin, "/api/v1/users?per_page=200").await;
    assert!(named(&users, "display_name", &script(9)), "{users}");

    // Staff pages.
    app.login("staff").await;
    let (status, html) = app.get_html("/members").await;
    assert_eq!(status, StatusCode::OK);
    for raw in [img(2), script(4)] {
        assert_escaped(&html, &raw, "member list");
    }
    let (status, html) = app
        .get_html(&format!("/members?group={}", group["id"]))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("共 1"), "the group filter finds the member");
    assert_escaped(&html, &img(2), "filtered member list");
    let (status, html) = app.get_html(&format!("/members/{member_id}")).await;
    assert_eq!(status, StatusCode::OK);
    for raw in [script(1), img(2), js(3), script(4)] {
        assert_escaped(&html, &raw, "duty file");
    }
    let (status, html) = app.get_html(&format!("/members/{member_id}/edit")).await;
    assert_eq!(status, StatusCode::OK);
    for raw in [script(1), img(2), js(3), script(4)] {
        assert_escaped(&html, &raw, "edit form");
    }
    let (status, html) = app.get_html("/members/new").await;
    assert_eq!(status, StatusCode::OK);
    assert_escaped(&html, &script(4), "new member form");
    let (status, html) = app.get_html("/orgs").await;
    assert_eq!(status, StatusCode::OK);
    for raw in [script(4), img(5), script(6), img(7)] {
        assert_escaped(&html, &raw, "orgs page (staff)");
    }
    // A form shown again after a refusal keeps what was typed, escaped.
    let mut form = member_form(
        "韩晓梅",
        &id_number("19900101", "022"),
        &group["id"].to_string(),
        "",
    );
    form.retain(|(k, _)| *k != "version");
    for (key, value) in form.iter_mut() {
        match *key {
            "position" => *value = script(1),
            "workplace" => *value = js(3),
            _ => {}
        }
    }
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = app.post_form("/members", &fields).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "duplicate ID");
    let html = r.text().await.unwrap();
    assert!(html.contains("该身份证号已登记"));
    for raw in [script(1), js(3)] {
        assert_escaped(&html, &raw, "refused member form");
    }

    // Reflected: search words and the login page's `next`.
    let (status, html) = app
        .get_html(&format!(
            "/members?{}",
            serde_urlencoded::to_string([("q", script(10)), ("sector", img(11))]).unwrap()
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("共 0"));
    assert_escaped(&html, &script(10), "search box");
    let visitor = crate::helpers::new_client();
    let html = visitor
        .get(app.url(&format!(
            "/login?{}",
            serde_urlencoded::to_string([("next", format!("/{}", img(12)))]).unwrap()
        )))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_escaped(&html, &img(12), "login next");

    // Administrators' pages.
    app.login("admin").await;
    let (status, html) = app.get_html("/orgs").await;
    assert_eq!(status, StatusCode::OK);
    for raw in [script(4), img(5), script(6), img(7), img(8)] {
        assert_escaped(&html, &raw, "orgs page (admin)");
    }
    let (status, html) = app.get_html("/admin/users?per_page=200").await;
    assert_eq!(status, StatusCode::OK);
    for raw in [img(8), script(9)] {
        assert_escaped(&html, &raw, "users page (admin)");
    }
    app.login("security").await;
    let (status, html) = app.get_html("/admin/users?per_page=200").await;
    assert_eq!(status, StatusCode::OK);
    for raw in [img(8), script(9)] {
        assert_escaped(&html, &raw, "users page (security)");
    }

    // The audit log, every page of it.
    app.login("auditor").await;
    let total = app.count("audit_log").await;
    let mut all = String::new();
    for page in 1..=(total + 199) / 200 {
        let (status, html) = app
            .get_html(&format!("/audit?per_page=200&page={page}"))
            .await;
        assert_eq!(status, StatusCode::OK, "audit page {page}");
        all.push_str(&html);
    }
    for raw in [
        script(1),
        img(2),
        js(3),
        script(4),
        img(5),
        script(6),
        img(8),
    ] {
        assert_escaped(&all, &raw, "audit log");
    }

    // The account named with markup, signed in: its name in the page header.
    crate::helpers::change_password(
        &app,
        "xss.staff",
        "Payload-Test-2026",
        "Payload-Own-Choice-2026",
    )
    .await;
    let mut browser = spawn_client_for(&app).await;
    let r = browser
        .login_as("xss.staff", "Payload-Own-Choice-2026")
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    for path in ["/members", "/orgs"] {
        let r = browser.client.get(browser.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let html = r.text().await.unwrap();
        assert_escaped(&html, &script(9), &format!("header of {path}"));
    }
    let r = browser
        .client
        .get(browser.url("/orgs"))
        .send()
        .await
        .unwrap();
    assert_escaped(&r.text().await.unwrap(), &img(8), "own committee's name");
}
dual_test!(
    stored_xss_is_escaped_on_every_page_t,
    stored_xss_is_escaped_on_every_page
);

// ---------------------------------------------------------------------------
// Response headers
// ---------------------------------------------------------------------------

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .map(|v| v.to_str().unwrap_or_default().to_string())
}

/// A directive of a Content-Security-Policy and its sources.
fn csp_directive(csp: &str, name: &str) -> Option<Vec<String>> {
    csp.split(';').map(str::trim).find_map(|d| {
        let mut parts = d.split_whitespace();
        (parts.next() == Some(name)).then(|| parts.map(str::to_string).collect())
    })
}

fn check_security_headers(headers: &HeaderMap, what: &str) {
    let csp = header(headers, "content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no Content-Security-Policy"));
    let scripts = csp_directive(&csp, "script-src")
        .or_else(|| csp_directive(&csp, "default-src"))
        .unwrap_or_else(|| panic!("{what}: CSP restricts no scripts: {csp}"));
    for unsafe_source in ["'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:"] {
        assert!(
            !scripts.iter().any(|s| s == unsafe_source),
            "{what}: scripts may come from {unsafe_source}: {csp}"
        );
    }
    assert_eq!(
        csp_directive(&csp, "frame-ancestors"),
        Some(vec!["'none'".to_string()]),
        "{what}: {csp}"
    );
    assert_eq!(
        csp_directive(&csp, "object-src"),
        Some(vec!["'none'".to_string()]),
        "{what}: {csp}"
    );
    assert_eq!(
        header(headers, "x-content-type-options").as_deref(),
        Some("nosniff"),
        "{what}"
    );
    let referrer =
        header(headers, "referrer-policy").unwrap_or_else(|| panic!("{what}: no Referrer-Policy"));
    assert!(
        [
            "no-referrer",
            "same-origin",
            "strict-origin",
            "strict-origin-when-cross-origin"
        ]
        .contains(&referrer.as_str()),
        "{what}: Referrer-Policy {referrer}"
    );
    for banner in ["server", "x-powered-by", "x-aspnet-version", "via"] {
        assert!(
            headers.get(banner).is_none(),
            "{what}: banner header {banner}: {:?}",
            headers.get(banner)
        );
    }
    for (name, value) in headers {
        let value = value.to_str().unwrap_or_default().to_ascii_lowercase();
        for product in ["axum", "hyper", "tower", "lvzhi/"] {
            assert!(
                !value.contains(product),
                "{what}: {name} names the software: {value}"
            );
        }
    }
}

async fn pages_and_api_send_the_security_headers(mut app: TestApp) {
    let token = app.token("staff").await;
    let mut checked = Vec::new();
    // As a visitor.
    for (path, expected) in [
        ("/login", StatusCode::OK),
        ("/members", StatusCode::SEE_OTHER),
        ("/healthz", StatusCode::OK),
        ("/static/app.js", StatusCode::OK),
        ("/static/app.css", StatusCode::OK),
        ("/api/v1/openapi.json", StatusCode::OK),
        ("/api/v1/members", StatusCode::UNAUTHORIZED),
        ("/api/v1/no-such-thing", StatusCode::NOT_FOUND),
        ("/no-such-page", StatusCode::NOT_FOUND),
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), expected, "{path}");
        check_security_headers(r.headers(), path);
        assert!(
            r.headers().get("strict-transport-security").is_none(),
            "{path}: no HSTS over plain HTTP"
        );
        checked.push(path);
    }
    // Signed in, pages and errors.
    app.login("staff").await;
    for (path, expected) in [
        ("/members", StatusCode::OK),
        ("/members/new", StatusCode::OK),
        ("/orgs", StatusCode::OK),
        ("/members/99999999", StatusCode::NOT_FOUND),
        ("/members?sort=nope", StatusCode::BAD_REQUEST),
        ("/audit", StatusCode::FORBIDDEN),
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), expected, "{path}");
        check_security_headers(r.headers(), path);
        assert!(r.headers().get("strict-transport-security").is_none());
    }
    let r = app.post_form("/members", &[("name", "")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    check_security_headers(r.headers(), "POST /members");
    // The API, answers and refusals.
    for (method, path, expected) in [
        (Method::GET, "/api/v1/members", StatusCode::OK),
        (
            Method::GET,
            "/api/v1/members/99999999",
            StatusCode::NOT_FOUND,
        ),
        (Method::POST, "/api/v1/members", StatusCode::BAD_REQUEST),
        (Method::GET, "/api/v1/users", StatusCode::FORBIDDEN),
    ] {
        let mut request = app
            .client
            .request(method.clone(), app.url(path))
            .bearer_auth(&token);
        if method == Method::POST {
            request = request.json(&json!({}));
        }
        let r = request.send().await.unwrap();
        assert_eq!(r.status(), expected, "{method} {path}");
        check_security_headers(r.headers(), path);
        assert!(r.headers().get("strict-transport-security").is_none());
        // Personal data is never kept in shared caches.
        assert_eq!(
            header(r.headers(), "cache-control").as_deref(),
            Some("no-store"),
            "{path}"
        );
    }

    // Behind TLS (`secure_cookies`), the same server adds HSTS.
    let settings = lvzhi::app::config::Settings {
        database_url: app.database_url.clone(),
        secure_cookies: true,
        ..lvzhi::app::config::Settings::default()
    };
    let state = lvzhi::app::App::new(app.db.clone(), crate::helpers::cipher(), settings);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let _ = lvzhi::http::serve(state, listener).await;
    });
    let r = app
        .client
        .get(format!("{address}/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    check_security_headers(r.headers(), "/login behind TLS");
    let hsts = header(r.headers(), "strict-transport-security").unwrap_or_default();
    assert!(hsts.contains("max-age=31536000"), "HSTS: {hsts:?}");
    server.abort();
}
dual_test!(
    pages_and_api_send_the_security_headers_t,
    pages_and_api_send_the_security_headers
);

// ---------------------------------------------------------------------------
// SQL in sort and filter parameters
// ---------------------------------------------------------------------------

async fn sql_in_sort_and_filter_parameters_changes_nothing(mut app: TestApp) {
    let token = app.token("staff").await;
    let before = members_snapshot(&app).await;
    assert_eq!(before.len(), 14);
    let refused: [(&[(&str, &str)], &str); 12] = [
        (&[("sort", "id_number_enc")], "sort"),
        (&[("sort", "phone_enc")], "sort"),
        (&[("sort", "name desc; drop table members")], "sort"),
        (&[("sort", "(SELECT 1)")], "sort"),
        (&[("sort", "m.name")], "sort"),
        (&[("dir", "asc,1")], "dir"),
        (&[("dir", "asc; delete from members")], "dir"),
        (&[("group", "1 OR 1=1")], "group"),
        (&[("group", "-1")], "group"),
        (&[("status", "active' --")], "status"),
        (&[("party", "ccp' OR '1'='1")], "party"),
        (&[("per_page", "1; drop table members")], "per_page"),
    ];
    for (params, field) in refused {
        let query = serde_urlencoded::to_string(params).unwrap();
        let (status, answer) = app
            .api_get(&token, &format!("/api/v1/members?{query}"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {answer}");
        assert_eq!(answer["error"], "bad_request", "{query}");
        assert_eq!(answer["fields"][0]["field"], field, "{query}: {answer}");
    }
    // A parameter given twice is refused as a whole, not half-applied.
    let (status, answer) = app
        .api_get(&token, "/api/v1/members?sort=name&sort=id_number_enc")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["error"], "bad_request");

    // Quotes and wildcards are searched for as text: nothing matches.
    for (params, found) in [
        (vec![("q", "%' OR '1'='1")], 0),
        (vec![("q", "%")], 0),
        (vec![("q", "_")], 0),
        (vec![("q", "\\")], 0),
        (vec![("q", "孟'; DROP TABLE members; --")], 0),
        (vec![("sector", "' OR '1'='1")], 0),
        (vec![("sector", "经济界' --")], 0),
        (vec![("q", "孟"), ("sort", "term"), ("dir", "DESC")], 1),
    ] {
        let query = serde_urlencoded::to_string(&params).unwrap();
        let (status, answer) = app
            .api_get(&token, &format!("/api/v1/members?{query}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{query}: {answer}");
        assert_eq!(answer["total"], found, "{query}: {answer}");
        assert_eq!(answer["items"].as_array().unwrap().len(), found, "{query}");
    }

    // The list page: a 400 page naming the problem, or a normal page.
    app.login("staff").await;
    for (params, expected) in [
        (vec![("sort", "id_number_enc")], StatusCode::BAD_REQUEST),
        (
            vec![("sort", "name desc; drop table members")],
            StatusCode::BAD_REQUEST,
        ),
        (vec![("dir", "asc,1")], StatusCode::BAD_REQUEST),
        (vec![("group", "1 OR 1=1")], StatusCode::BAD_REQUEST),
        (vec![("q", "%' OR '1'='1")], StatusCode::OK),
        (vec![("sector", "' OR '1'='1")], StatusCode::OK),
    ] {
        let query = serde_urlencoded::to_string(&params).unwrap();
        let (status, html) = app.get_html(&format!("/members?{query}")).await;
        assert_eq!(status, expected, "page {query}");
        if expected == StatusCode::OK {
            assert!(html.contains("共 0"), "page {query}: nothing found");
        } else {
            assert!(html.contains("400"), "page {query}: an error page");
            assert!(!html.contains("孟爱云"), "page {query}: no rows");
        }
    }
    // The other paginated pages take the same hostile paging values.
    app.login("admin").await;
    for query in ["page=1%20OR%201=1", "per_page=-5", "page=0"] {
        let (status, _) = app.get_html(&format!("/admin/users?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "users {query}");
    }

    assert_eq!(
        members_snapshot(&app).await,
        before,
        "the members table is untouched"
    );
}
dual_test!(
    sql_in_sort_and_filter_parameters_changes_nothing_t,
    sql_in_sort_and_filter_parameters_changes_nothing
);

// ---------------------------------------------------------------------------
// Another committee's record ids
// ---------------------------------------------------------------------------

async fn another_committee_cannot_reach_demo_records_by_id(mut app: TestApp) {
    let own_org = second_committee(&app).await;
    let before = members_snapshot(&app).await;
    let demo = member_ids(&app).await;
    assert_eq!(demo.len(), 14);
    let units_before = (
        app.count("orgs").await,
        app.count("communities").await,
        app.count("departments").await,
        app.count("timeline_entries").await,
    );

    let r = app.login_as("jianshe", "Other-Committee-2026").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let token = app.token("jianshe").await;

    // A record that does not exist answers exactly like another committee's.
    let (status, missing) = app.api_get(&token, "/api/v1/members/99999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let demo_group = app.group_id("第一委员小组").await.to_string();
    let mut wrong = Vec::new();
    for (id, version) in &demo {
        let version = version.to_string();
        let form = member_form(
            "孟爱云",
            &id_number("19680312", "042"),
            &demo_group,
            &version,
        );
        let own_group_form = member_form("孟爱云", &id_number("19680312", "042"), "", &version);
        let mut answers: Vec<(String, StatusCode)> = Vec::new();
        for path in [format!("/members/{id}"), format!("/members/{id}/edit")] {
            let r = app.get(&path).await;
            answers.push((format!("GET {path}"), r.status()));
            let html = r.text().await.unwrap();
            assert!(!html.contains("孟爱云"), "GET {path} shows nothing");
        }
        for (path, fields) in [
            (format!("/members/{id}"), form.clone()),
            (format!("/members/{id}"), own_group_form.clone()),
            (format!("/members/{id}/reveal"), vec![]),
            (
                format!("/members/{id}/delete"),
                vec![("version", version.clone())],
            ),
        ] {
            let status = post_fields(&app, &path, &fields).await;
            answers.push((format!("POST {path}"), status));
        }
        let path = format!("/api/v1/members/{id}");
        let (status, answer) = app.api_get(&token, &path).await;
        assert_eq!(answer, missing, "GET {path}: no oracle");
        answers.push((format!("GET {path}"), status));
        let mut body = member_body("孟爱云", "19680312", "042");
        body["version"] = json!(version);
        body["position"] = json!("越权修改");
        let (status, answer) = app.api_send(Method::PUT, &token, &path, &body).await;
        assert_eq!(answer, missing, "PUT {path}: no oracle");
        answers.push((format!("PUT {path}"), status));
        let (status, _) = app
            .api_send(
                Method::DELETE,
                &token,
                &format!("{path}?version={version}"),
                &json!({}),
            )
            .await;
        answers.push((format!("DELETE {path}"), status));
        let (status, _) = app.api_get(&token, &format!("{path}/timeline")).await;
        answers.push((format!("GET {path}/timeline"), status));
        for (what, status) in answers {
            if status != StatusCode::NOT_FOUND {
                wrong.push(format!("{what}: {status}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "another committee's staff reached demo records:\n{}",
        wrong.join("\n")
    );

    // Demo ids inside bodies: groups, committees, communities.
    let demo_committee = app.group_id("长江路街道政协工委").await;
    let demo_community: i64 = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM communities WHERE name = '孙八砦社区'").fetch_one(pool).await)
    .unwrap();
    let mut body = member_body("建设路委员", "19800808", "024");
    body["group_id"] = json!(demo_group.parse::<i64>().unwrap());
    let (status, answer) = app.api_post(&token, "/api/v1/members", &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["fields"][0]["field"], "group_id", "{answer}");
    let mut body = member_body("建设路委员", "19800808", "024");
    body["org_id"] = json!(demo_committee);
    let (status, answer) = app.api_post(&token, "/api/v1/members", &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["fields"][0]["field"], "org_id", "{answer}");
    let form = member_form("建设路委员", &id_number("19800808", "024"), &demo_group, "");
    assert_eq!(
        post_fields(&app, "/members", &form).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    for (path, body, field) in [
        (
            "/api/v1/groups",
            json!({ "name": "越权小组", "parent_id": demo_committee }),
            "parent_id",
        ),
        (
            "/api/v1/groups",
            json!({ "name": "越权小组", "parent_id": own_org, "community_id": demo_community }),
            "community_id",
        ),
        (
            "/api/v1/communities",
            json!({ "name": "越权社区", "org_id": demo_committee }),
            "org_id",
        ),
        (
            "/api/v1/departments",
            json!({ "name": "越权单位", "org_id": demo_committee }),
            "org_id",
        ),
    ] {
        let (status, answer) = app.api_post(&token, path, &body).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path} {body}: {answer}"
        );
        assert!(
            answer["fields"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["field"] == field),
            "{path} {body}: {answer}"
        );
    }

    assert_eq!(members_snapshot(&app).await, before, "no member changed");
    assert_eq!(
        (
            app.count("orgs").await,
            app.count("communities").await,
            app.count("departments").await,
            app.count("timeline_entries").await,
        ),
        units_before,
        "nothing was created"
    );
    assert_eq!(app.audit_count("reveal_personal_data").await, 0);
    let written: i64 = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM audit_log WHERE username = 'jianshe' AND action NOT IN ('login', 'token_create')")
        .fetch_one(pool).await)
    .unwrap();
    assert_eq!(written, 0, "no audited change by the other committee");
}
dual_test!(
    another_committee_cannot_reach_demo_records_by_id_t,
    another_committee_cannot_reach_demo_records_by_id
);

// ---------------------------------------------------------------------------
// Parallel duplicate submissions
// ---------------------------------------------------------------------------

async fn parallel_duplicates_are_written_once(app: TestApp) {
    let token = app.token("staff").await;
    let before = app.count("members").await;
    let body = member_body("并发委员", "19880808", "046");
    let url = app.url("/api/v1/members");
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let (client, url, token, body) =
            (app.client.clone(), url.clone(), token.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = r.status();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }));
    }
    let mut created = Vec::new();
    let mut refused = 0;
    for task in tasks {
        let (status, answer) = task.await.unwrap();
        match status {
            StatusCode::CREATED => created.push(answer),
            StatusCode::UNPROCESSABLE_ENTITY => {
                assert!(
                    answer["message"]
                        .as_str()
                        .unwrap_or_default()
                        .contains("该身份证号已登记"),
                    "{answer}"
                );
                assert_eq!(answer["fields"][0]["field"], "id_number");
                refused += 1;
            }
            other => panic!("a duplicate answered {other}: {answer}"),
        }
    }
    assert_eq!(created.len(), 1, "exactly one registration");
    assert_eq!(refused, 9);
    assert_eq!(app.count("members").await, before + 1);
    let rows: i64 = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM members WHERE name = '并发委员'").fetch_one(pool).await)
    .unwrap();
    assert_eq!(rows, 1);
    let id = created[0]["id"].as_i64().unwrap();
    let registered: i64 = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM timeline_entries WHERE member_id = $1").bind(id).fetch_one(pool).await)
    .unwrap();
    assert_eq!(registered, 1, "one registration in the duty file");

    // Ten saves of the same version: one wins, the others are told.
    let version = created[0]["version"].as_i64().unwrap();
    let url = app.url(&format!("/api/v1/members/{id}"));
    let mut tasks = Vec::new();
    for i in 0..10 {
        let (client, url, token) = (app.client.clone(), url.clone(), token.clone());
        let mut body = body.clone();
        body["position"] = json!(format!("职务{i}"));
        body["version"] = json!(version);
        tasks.push(tokio::spawn(async move {
            let r = client
                .put(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = r.status();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }));
    }
    let mut saved = Vec::new();
    let mut conflicts = 0;
    for task in tasks {
        let (status, answer) = task.await.unwrap();
        match status {
            StatusCode::OK => saved.push(answer),
            StatusCode::CONFLICT => {
                assert_eq!(answer["error"], "stale_version", "{answer}");
                conflicts += 1;
            }
            other => panic!("a parallel save answered {other}: {answer}"),
        }
    }
    assert_eq!(saved.len(), 1, "exactly one save");
    assert_eq!(conflicts, 9);
    let (_, now) = app.api_get(&token, &format!("/api/v1/members/{id}")).await;
    assert_eq!(now["version"], version + 1);
    assert_eq!(
        now["position"], saved[0]["position"],
        "the winner's values stand"
    );
    let updates: i64 = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'update' AND object_type = 'member' AND object_id = $1")
        .bind(id.to_string()).fetch_one(pool).await)
    .unwrap();
    assert_eq!(updates, 1, "one audited update");
    assert!(
        matches!(
            lvzhi::storage::audit::verify(&app.db).await.unwrap(),
            lvzhi::storage::audit::ChainCheck::Intact { .. }
        ),
        "the audit chain survives parallel writers"
    );
}
dual_test!(
    parallel_duplicates_are_written_once_t,
    parallel_duplicates_are_written_once
);

// ---------------------------------------------------------------------------
// A browser session on the API: CSRF
// ---------------------------------------------------------------------------

async fn browser_session_needs_the_csrf_header_on_the_api(mut app: TestApp) {
    app.login("staff").await;
    let (status, html) = app.get_html("/members/new").await;
    assert_eq!(status, StatusCode::OK);
    let csrf = csrf_in(&html);
    assert!(csrf.len() >= 20, "the page carries the form token");
    let before = members_snapshot(&app).await;
    let url = app.url("/api/v1/members");
    let body = member_body("跨站委员", "19870707", "024");

    // Reading needs no token.
    let r = app.client.get(&url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // Another session's token does not count either.
    let mut other = spawn_client_for(&app).await;
    let r = other.login_as("staff", crate::helpers::DEMO_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_ne!(other.csrf, csrf);

    let (target, version): (i64, i64) = lvzhi::on_db!(&app.db, pool => sqlx::query_as(
        "SELECT id, version FROM members WHERE name = '孟爱云'").fetch_one(pool).await)
    .unwrap();
    let member_url = app.url(&format!("/api/v1/members/{target}"));
    let mut update = member_body("孟爱云", "19680312", "042");
    update["version"] = json!(version);
    update["position"] = json!("跨站修改");
    for token in [None, Some(""), Some("forged"), Some(other.csrf.as_str())] {
        let with = |request: reqwest::RequestBuilder| match token {
            Some(t) => request.header("X-CSRF-Token", t),
            None => request,
        };
        let r = with(app.client.post(&url).json(&body))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "POST with {token:?}");
        let answer: Value = r.json().await.unwrap();
        assert_eq!(answer["error"], "forbidden");
        let r = with(app.client.put(&member_url).json(&update))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "PUT with {token:?}");
        let r = with(app.client.delete(format!("{member_url}?version={version}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "DELETE with {token:?}");
        // A cross-site form (no JSON content type) is refused the same way.
        let r = with(
            app.client
                .post(&url)
                .header("content-type", "text/plain")
                .body(body.to_string()),
        )
        .send()
        .await
        .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::FORBIDDEN,
            "text/plain with {token:?}"
        );
    }
    assert_eq!(members_snapshot(&app).await, before, "nothing changed");

    // With the page's token the same session may write.
    let r = app
        .client
        .post(&url)
        .header("X-CSRF-Token", &csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let created: Value = r.json().await.unwrap();
    assert_eq!(created["name"], "跨站委员");
    let r = app
        .client
        .put(&member_url)
        .header("X-CSRF-Token", &csrf)
        .json(&update)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let updated: Value = r.json().await.unwrap();
    assert_eq!(updated["position"], "跨站修改");
    assert_eq!(app.count("members").await, before.len() as i64 + 1);
}
dual_test!(
    browser_session_needs_the_csrf_header_on_the_api_t,
    browser_session_needs_the_csrf_header_on_the_api
);

// ---------------------------------------------------------------------------
// Oversized and malformed bodies
// ---------------------------------------------------------------------------

/// Every API route that takes a body, with an account that may call it.
async fn write_routes(app: &TestApp) -> Vec<(Method, String, String)> {
    let member = member_ids(app).await[0].0;
    let staff_user = user_id(app, "staff").await;
    let staff = app.token("staff").await;
    let admin = app.token("admin").await;
    let security = app.token("security").await;
    let member_token = app.token("member").await;
    let routes = vec![
        (Method::POST, "/api/v1/members".to_string(), staff.clone()),
        (
            Method::PUT,
            format!("/api/v1/members/{member}"),
            staff.clone(),
        ),
        (Method::POST, "/api/v1/orgs".to_string(), admin.clone()),
        (Method::POST, "/api/v1/groups".to_string(), staff.clone()),
        (
            Method::POST,
            "/api/v1/communities".to_string(),
            staff.clone(),
        ),
        (
            Method::POST,
            "/api/v1/departments".to_string(),
            staff.clone(),
        ),
        (Method::POST, "/api/v1/users".to_string(), admin.clone()),
        (
            Method::POST,
            format!("/api/v1/users/{staff_user}/disable"),
            admin.clone(),
        ),
        (
            Method::POST,
            format!("/api/v1/users/{staff_user}/enable"),
            admin.clone(),
        ),
        (
            Method::POST,
            format!("/api/v1/users/{staff_user}/reset-password"),
            admin,
        ),
        (
            Method::POST,
            "/api/v1/reception-days".to_string(),
            staff.clone(),
        ),
        (
            Method::POST,
            format!("/api/v1/reception-days/{member}/visits"),
            staff.clone(),
        ),
        (
            Method::PUT,
            "/api/v1/reception-days/settings".to_string(),
            staff.clone(),
        ),
        (Method::PUT, "/api/v1/holidays".to_string(), staff.clone()),
        (Method::POST, "/api/v1/cases".to_string(), staff.clone()),
        (
            Method::POST,
            format!("/api/v1/cases/{member}/steps"),
            staff.clone(),
        ),
        (
            Method::PUT,
            format!("/api/v1/users/{staff_user}/role"),
            security,
        ),
        (
            Method::POST,
            "/api/v1/activities".to_string(),
            staff.clone(),
        ),
        (
            Method::PUT,
            format!("/api/v1/activities/{member}"),
            staff.clone(),
        ),
        (
            Method::POST,
            format!("/api/v1/activities/{member}/invitations"),
            staff.clone(),
        ),
        (
            Method::POST,
            format!("/api/v1/activities/{member}/reply"),
            member_token.clone(),
        ),
        (
            Method::POST,
            format!("/api/v1/activities/{member}/attendance"),
            staff.clone(),
        ),
        (
            Method::POST,
            format!("/api/v1/activities/{member}/decision"),
            staff.clone(),
        ),
        (
            Method::PUT,
            format!("/api/v1/activities/{member}/report"),
            staff.clone(),
        ),
        (
            Method::POST,
            format!("/api/v1/activities/{member}/attachments"),
            staff.clone(),
        ),
        (Method::POST, "/api/v1/awards".to_string(), staff.clone()),
        (
            Method::POST,
            format!("/api/v1/awards/{member}/attachments"),
            staff.clone(),
        ),
        (Method::POST, "/api/v1/proposals".to_string(), staff.clone()),
        (
            Method::POST,
            "/api/v1/proposals/similar".to_string(),
            staff.clone(),
        ),
        (
            Method::PUT,
            "/api/v1/proposals/settings".to_string(),
            staff.clone(),
        ),
        (
            Method::PUT,
            format!("/api/v1/proposals/{member}"),
            staff.clone(),
        ),
        (
            Method::POST,
            format!("/api/v1/proposals/{member}/steps"),
            staff.clone(),
        ),
        (
            Method::POST,
            format!("/api/v1/proposals/{member}/cosign"),
            member_token.clone(),
        ),
        (
            Method::POST,
            format!("/api/v1/proposals/{member}/attachments"),
            staff.clone(),
        ),
        (
            Method::POST,
            "/api/v1/info-reports".to_string(),
            staff.clone(),
        ),
        (
            Method::PUT,
            format!("/api/v1/info-reports/{member}"),
            staff.clone(),
        ),
        (
            Method::POST,
            format!("/api/v1/info-reports/{member}/steps"),
            staff.clone(),
        ),
        (Method::POST, "/api/v1/projects".to_string(), staff.clone()),
        (
            Method::PUT,
            format!("/api/v1/projects/{member}"),
            staff.clone(),
        ),
        (
            Method::POST,
            format!("/api/v1/projects/{member}/updates"),
            staff.clone(),
        ),
        (
            Method::POST,
            format!("/api/v1/awards/{member}/steps"),
            staff.clone(),
        ),
        (
            Method::POST,
            "/api/v1/reports/summaries".to_string(),
            staff.clone(),
        ),
        (
            Method::POST,
            format!("/api/v1/reports/summaries/{member}/withdraw"),
            staff.clone(),
        ),
        (
            Method::POST,
            format!("/api/v1/archive/documents/{member}/withdraw"),
            staff.clone(),
        ),
        (
            Method::POST,
            format!("/api/v1/archive/attachments/{member}/withdraw"),
            staff.clone(),
        ),
        (Method::POST, "/api/v1/plans".to_string(), staff.clone()),
        (
            Method::PUT,
            format!("/api/v1/plans/{member}"),
            staff.clone(),
        ),
        (
            Method::POST,
            format!("/api/v1/plans/{member}/copy"),
            staff.clone(),
        ),
        (
            Method::POST,
            format!("/api/v1/plans/{member}/items"),
            staff.clone(),
        ),
        (
            Method::PUT,
            format!("/api/v1/plans/{member}/items/{member}"),
            staff.clone(),
        ),
        (
            Method::PUT,
            "/api/v1/points/rules".to_string(),
            staff.clone(),
        ),
        (
            Method::POST,
            format!("/api/v1/points/members/{member}/deductions"),
            staff.clone(),
        ),
        (
            Method::POST,
            format!("/api/v1/points/deductions/{member}/withdraw"),
            staff.clone(),
        ),
        (
            Method::POST,
            "/api/v1/members/import".to_string(),
            staff.clone(),
        ),
        (
            Method::POST,
            "/api/v1/departments/import".to_string(),
            staff.clone(),
        ),
    ];
    // A new API route that takes a body joins this list, or this fails.
    let known: BTreeSet<(String, String)> = routes
        .iter()
        .map(|(m, p, _)| {
            let template = p
                .replace(&format!("/{member}"), "/{id}")
                .replace(&format!("/{staff_user}/"), "/{id}/")
                .replace("/items/{id}", "/items/{item_id}");
            (m.to_string(), template)
        })
        .collect();
    let all: BTreeSet<(String, String)> = lvzhi::http::routes()
        .iter()
        .filter(|r| r.path.starts_with("/api/") && matches!(r.method, Method::POST | Method::PUT))
        // Marking a notification read takes no body.
        .filter(|r| r.path != "/api/v1/notifications/{id}/read")
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect();
    assert_eq!(known, all, "every API route with a body is tried");
    routes
}

async fn table_counts(app: &TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in [
        "members",
        "orgs",
        "communities",
        "departments",
        "users",
        "activities",
        "activity_invitations",
        "research_reports",
        "awards",
        "attachments",
        "proposals",
        "proposal_events",
        "proposal_settings",
        "info_reports",
        "info_events",
        "info_adoptions",
        "info_instructions",
        "projects",
        "project_updates",
    ] {
        counts.push(app.count(table).await);
    }
    counts
}

async fn oversized_and_malformed_bodies_are_refused_cleanly(mut app: TestApp) {
    let routes = write_routes(&app).await;
    let before = table_counts(&app).await;
    let snapshot = members_snapshot(&app).await;

    // Over 1 MiB: 413 or 400, never a crash and never a write.
    let huge_json = json!({ "name": "大".repeat(400_000), "display_name": "x", "username": "big", "org_id": 1, "role": "staff", "version": 1 })
        .to_string();
    assert!(huge_json.len() > 1024 * 1024);
    for (method, path, token) in &routes {
        let r = app
            .client
            .request(method.clone(), app.url(path))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(huge_json.clone())
            .send()
            .await
            .unwrap();
        let status = r.status();
        assert!(
            status == StatusCode::PAYLOAD_TOO_LARGE || status == StatusCode::BAD_REQUEST,
            "{method} {path}: {status}"
        );
        if status == StatusCode::BAD_REQUEST {
            let answer: Value = r.json().await.unwrap();
            assert_eq!(answer["error"], "bad_request", "{method} {path}");
        }
    }

    // Malformed JSON: 400 with `bad_request`, on every route.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let malformed: Vec<(&str, Vec<u8>)> = vec![
        ("truncated", b"{\"name\": ".to_vec()),
        ("not JSON", b"name=x&term=7".to_vec()),
        ("trailing comma", b"{\"name\": \"x\",}".to_vec()),
        ("invalid UTF-8", b"{\"name\": \"\xff\xfe\"}".to_vec()),
        ("a string", b"\"member\"".to_vec()),
        ("null", b"null".to_vec()),
        ("an array", b"[]".to_vec()),
        ("nested 100000 deep", deep.into_bytes()),
        ("a number out of range", b"{\"name\": 1e400}".to_vec()),
        ("empty", Vec::new()),
    ];
    for (method, path, token) in &routes {
        for (what, bytes) in &malformed {
            let r = app
                .client
                .request(method.clone(), app.url(path))
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(bytes.clone())
                .send()
                .await
                .unwrap();
            let status = r.status();
            let answer: Value = r.json().await.unwrap_or(Value::Null);
            assert_eq!(
                status,
                StatusCode::BAD_REQUEST,
                "{method} {path} {what}: {answer}"
            );
            assert_eq!(answer["error"], "bad_request", "{method} {path} {what}");
        }
        // Valid JSON without the JSON content type is refused, not guessed.
        let r = app
            .client
            .request(method.clone(), app.url(path))
            .bearer_auth(token)
            .header("content-type", "text/plain")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert!(
            matches!(
                r.status(),
                StatusCode::BAD_REQUEST | StatusCode::UNSUPPORTED_MEDIA_TYPE
            ),
            "{method} {path} text/plain: {}",
            r.status()
        );
    }

    // Page forms over 1 MiB: signed in, and at the login page.
    app.login("staff").await;
    let big = "大".repeat(400_000);
    let r = app
        .post_form("/members", &[("name", big.as_str()), ("term", "7")])
        .await;
    assert!(
        matches!(
            r.status(),
            StatusCode::PAYLOAD_TOO_LARGE | StatusCode::BAD_REQUEST
        ),
        "POST /members: {}",
        r.status()
    );
    let r = app.post_form("/orgs/new", &[("name", big.as_str())]).await;
    assert!(
        matches!(
            r.status(),
            StatusCode::PAYLOAD_TOO_LARGE | StatusCode::BAD_REQUEST
        ),
        "POST /orgs/new: {}",
        r.status()
    );
    let visitor = crate::helpers::new_client();
    let r = visitor
        .post(app.url("/login"))
        .form(&[("username", big.as_str()), ("password", "x")])
        .send()
        .await
        .unwrap();
    assert!(
        matches!(
            r.status(),
            StatusCode::PAYLOAD_TOO_LARGE | StatusCode::BAD_REQUEST
        ),
        "POST /login: {}",
        r.status()
    );
    // A malformed page form is a 400 page.
    let r = app
        .client
        .post(app.url("/members"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={}&term=%ZZ&name=%ff%fe", app.csrf))
        .send()
        .await
        .unwrap();
    assert!(
        matches!(
            r.status(),
            StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY
        ),
        "malformed form: {}",
        r.status()
    );

    let r = app.get("/healthz").await;
    assert_eq!(r.status(), StatusCode::OK, "the server is still up");
    assert_eq!(table_counts(&app).await, before, "nothing was written");
    assert_eq!(members_snapshot(&app).await, snapshot);
}
dual_test!(
    oversized_and_malformed_bodies_are_refused_cleanly_t,
    oversized_and_malformed_bodies_are_refused_cleanly
);

// ---------------------------------------------------------------------------
// Redirects after sign-in and language switch
// ---------------------------------------------------------------------------

/// Where a browser goes for a `Location` value on this site: it trims
/// leading and trailing spaces and control characters, drops ASCII tabs and
/// newlines, and treats `\` like `/` (WHATWG URL parsing).
fn browser_target(location: &str) -> String {
    location
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .map(|c| if c == '\\' { '/' } else { c })
        .collect()
}

fn stays_on_site(location: &str) -> bool {
    let target = browser_target(location);
    target.starts_with('/') && !target.starts_with("//")
}

const FOREIGN_TARGETS: [&str; 10] = [
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https://evil.example/",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "/\t\\evil.example",
    " //evil.example",
    "javascript:alert(1)",
];

async fn redirects_stay_on_this_site(mut app: TestApp) {
    let mut wrong = Vec::new();
    for next in FOREIGN_TARGETS {
        // The login page carries `next` in its form; signing in follows it.
        let client = crate::helpers::new_client();
        let page = client
            .get(app.url(&format!(
                "/login?{}",
                serde_urlencoded::to_string([("next", next)]).unwrap()
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::OK, "{next:?}");
        let csrf = csrf_in(&page.text().await.unwrap());
        let answer = client
            .post(app.url("/login"))
            .form(&[
                ("username", "staff"),
                ("password", crate::helpers::DEMO_PASSWORD),
                ("csrf", csrf.as_str()),
                ("next", next),
            ])
            .send()
            .await;
        match answer {
            Err(e) => wrong.push(format!("login next={next:?}: no answer ({e})")),
            Ok(r) => {
                let location = header(r.headers(), "location").unwrap_or_default();
                if r.status() != StatusCode::SEE_OTHER || !stays_on_site(&location) {
                    wrong.push(format!(
                        "login next={next:?}: {} to {location:?}",
                        r.status()
                    ));
                }
            }
        }
    }
    // The language switch's `back` is followed the same way.
    app.login("staff").await;
    for back in FOREIGN_TARGETS {
        let client = app.client.clone();
        let answer = client
            .post(app.url("/account/locale"))
            .form(&[
                ("locale", "zh-CN"),
                ("back", back),
                ("csrf", app.csrf.as_str()),
            ])
            .send()
            .await;
        match answer {
            Err(e) => wrong.push(format!("locale back={back:?}: no answer ({e})")),
            Ok(r) => {
                let location = header(r.headers(), "location").unwrap_or_default();
                if r.status() != StatusCode::SEE_OTHER || !stays_on_site(&location) {
                    wrong.push(format!(
                        "locale back={back:?}: {} to {location:?}",
                        r.status()
                    ));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "redirects that leave the site or fail:\n{}",
        wrong.join("\n")
    );
    // The server is still answering after all that.
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
}
dual_test!(redirects_stay_on_this_site_t, redirects_stay_on_this_site);

// ---------------------------------------------------------------------------
// Mass assignment: fields the server owns cannot be sent
// ---------------------------------------------------------------------------

async fn server_owned_fields_in_bodies_are_ignored(app: TestApp) {
    let token = app.token("staff").await;
    let (first, first_version): (i64, i64) = lvzhi::on_db!(&app.db, pool => sqlx::query_as(
        "SELECT id, version FROM members WHERE name = '孟爱云'").fetch_one(pool).await)
    .unwrap();
    let mut body = member_body("赋值委员", "19860606", "028");
    for (key, value) in [
        ("id", json!(first)),
        ("version", json!(77)),
        ("created_at", json!("2000-01-01T00:00:00Z")),
        ("id_number_hash", json!("forged")),
        ("id_number_masked", json!("forged")),
        ("phone_masked", json!("forged")),
        ("phone_enc", json!("forged")),
        ("birth_date", json!("1900-01-01")),
    ] {
        body[key] = value;
    }
    let (status, created) = app.api_post(&token, "/api/v1/members", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    assert_ne!(id, first, "the id is the server's");
    assert_eq!(created["version"], 1);
    assert_eq!(created["phone_masked"], "138****5678");
    assert_eq!(created["birth_date"], "1986-06-06", "from the ID number");
    assert_ne!(created["created_at"], "2000-01-01T00:00:00Z");
    let id_number = id_number("19860606", "028");
    assert_eq!(
        created["id_number_masked"],
        format!("4101**********{}", &id_number[14..]),
        "masked by the server"
    );

    // An update names its record in the path only.
    let mut update = member_body("赋值委员", "19860606", "028");
    update["version"] = json!(1);
    update["id"] = json!(first);
    update["position"] = json!("只改自己");
    let (status, updated) = app
        .api_send(
            Method::PUT,
            &token,
            &format!("/api/v1/members/{id}"),
            &update,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["id"], id);
    assert_eq!(updated["position"], "只改自己");
    let (_, untouched) = app
        .api_get(&token, &format!("/api/v1/members/{first}"))
        .await;
    assert_eq!(untouched["version"], first_version);
    assert_ne!(untouched["position"], "只改自己");
}
dual_test!(
    server_owned_fields_in_bodies_are_ignored_t,
    server_owned_fields_in_bodies_are_ignored
);
