//! The OpenAPI document lists exactly the API the server has: every
//! documented operation answers, and every route is documented.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::dual_test;
use crate::helpers::{new_client, TestApp};

/// The API's routes as registered in `src/http/api/mod.rs` (under `/api/v1`),
/// the document itself aside. A new route means a new line here, and in the document.
const ROUTES: &[(&str, &str)] = &[
    ("get", "/members"),
    ("post", "/members"),
    ("get", "/members/{id}"),
    ("put", "/members/{id}"),
    ("delete", "/members/{id}"),
    ("get", "/members/{id}/timeline"),
    ("get", "/members/{id}/duty-file"),
    ("get", "/orgs"),
    ("post", "/orgs"),
    ("get", "/groups"),
    ("post", "/groups"),
    ("get", "/communities"),
    ("post", "/communities"),
    ("get", "/departments"),
    ("post", "/departments"),
    ("get", "/users"),
    ("post", "/users"),
    ("put", "/users/{id}/role"),
    ("post", "/users/{id}/disable"),
    ("post", "/users/{id}/enable"),
    ("post", "/users/{id}/reset-password"),
    ("get", "/audit"),
    ("get", "/audit/export"),
    ("get", "/reception-days"),
    ("post", "/reception-days"),
    ("get", "/reception-days/schedule"),
    ("get", "/reception-days/settings"),
    ("put", "/reception-days/settings"),
    ("get", "/reception-days/{id}"),
    ("post", "/reception-days/{id}/visits"),
    ("get", "/holidays"),
    ("put", "/holidays"),
    ("get", "/cases"),
    ("post", "/cases"),
    ("get", "/cases/figures"),
    ("get", "/cases/{id}"),
    ("post", "/cases/{id}/steps"),
    ("get", "/activities"),
    ("post", "/activities"),
    ("get", "/activities/{id}"),
    ("put", "/activities/{id}"),
    ("post", "/activities/{id}/invitations"),
    ("post", "/activities/{id}/reply"),
    ("post", "/activities/{id}/attendance"),
    ("post", "/activities/{id}/decision"),
    ("put", "/activities/{id}/report"),
    ("get", "/activities/{id}/attachments"),
    ("post", "/activities/{id}/attachments"),
    ("get", "/attachments/{id}"),
    ("get", "/awards"),
    ("post", "/awards"),
    ("post", "/awards/{id}/attachments"),
    ("get", "/members/{id}/five-ones"),
    ("get", "/proposals"),
    ("post", "/proposals"),
    ("post", "/proposals/similar"),
    ("get", "/proposals/figures"),
    ("get", "/proposals/compilation"),
    ("get", "/proposals/settings"),
    ("put", "/proposals/settings"),
    ("get", "/proposals/{id}"),
    ("put", "/proposals/{id}"),
    ("post", "/proposals/{id}/steps"),
    ("post", "/proposals/{id}/cosign"),
    ("get", "/search"),
    ("post", "/proposals/{id}/attachments"),
    ("get", "/info-reports"),
    ("post", "/info-reports"),
    ("get", "/info-reports/figures"),
    ("get", "/info-reports/{id}"),
    ("put", "/info-reports/{id}"),
    ("post", "/info-reports/{id}/steps"),
    ("get", "/projects"),
    ("post", "/projects"),
    ("get", "/projects/figures"),
    ("get", "/projects/{id}"),
    ("put", "/projects/{id}"),
    ("post", "/projects/{id}/updates"),
    ("get", "/reports/summary"),
    ("get", "/reports/summary/file"),
    ("get", "/reports/summaries"),
    ("post", "/reports/summaries"),
    ("get", "/reports/summaries/{id}"),
    ("get", "/reports/summaries/{id}/file"),
    ("post", "/reports/summaries/{id}/withdraw"),
    ("get", "/archive"),
    ("get", "/archive/documents/{id}"),
    ("get", "/archive/documents/{id}/file"),
    ("post", "/archive/documents/{id}/withdraw"),
    ("get", "/archive/attachments/{id}"),
    ("post", "/archive/attachments/{id}/withdraw"),
    ("post", "/members/import"),
    ("post", "/departments/import"),
    ("get", "/members/import/template"),
    ("get", "/departments/import/template"),
    ("get", "/notifications"),
    ("post", "/notifications/{id}/read"),
    ("get", "/plans"),
    ("post", "/plans"),
    ("get", "/plans/{id}"),
    ("put", "/plans/{id}"),
    ("delete", "/plans/{id}"),
    ("post", "/plans/{id}/copy"),
    ("post", "/plans/{id}/items"),
    ("put", "/plans/{id}/items/{item_id}"),
    ("delete", "/plans/{id}/items/{item_id}"),
    ("get", "/plan-status"),
    ("post", "/awards/{id}/steps"),
    ("get", "/points"),
    ("get", "/exports"),
    ("get", "/points/members/{id}"),
    ("get", "/points/rules"),
    ("put", "/points/rules"),
    ("post", "/points/members/{id}/deductions"),
    ("post", "/points/deductions/{id}/withdraw"),
];

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

/// (method, path) of every route in the server's API table, under `/api/v1`.
fn api_routes() -> BTreeSet<(String, String)> {
    lvzhi::http::api::routes()
        .iter()
        .map(|spec| {
            (
                spec.method.as_str().to_lowercase(),
                spec.path
                    .strip_prefix("/api/v1")
                    .unwrap_or(spec.path)
                    .to_string(),
            )
        })
        .collect()
}

async fn openapi_document(app: &TestApp) -> Value {
    let r = new_client()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "the document needs no token");
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    r.json().await.unwrap()
}

/// (method, path) of every operation in the document.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|k| METHODS.contains(&k.as_str()))
                .map(move |m| (m.clone(), path.clone()))
        })
        .collect()
}

async fn the_document_lists_every_route(app: TestApp) {
    let doc = openapi_document(&app).await;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3."),
        "OpenAPI 3: {}",
        doc["openapi"]
    );
    assert!(doc["info"]["title"].as_str().unwrap().contains("lvzhi"));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());

    let table = api_routes();
    assert!(
        table.contains(&("get".to_string(), "/openapi.json".to_string())),
        "the document is served from the table"
    );
    let table: BTreeSet<(String, String)> = table
        .into_iter()
        .filter(|(_, p)| p != "/openapi.json")
        .collect();
    let listed: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(
        table, listed,
        "the server's API routes are the ones listed in this test"
    );
    assert!(
        lvzhi::http::routes()
            .iter()
            .filter(|r| r.path.starts_with("/api/"))
            .count()
            == ROUTES.len() + 1,
        "no API route outside the API table"
    );

    let in_doc = documented(&doc);
    let expected: BTreeSet<(String, String)> = listed
        .iter()
        .map(|(m, p)| (m.clone(), format!("/api/v1{p}")))
        .collect();
    let undocumented: Vec<_> = expected.difference(&in_doc).collect();
    let unknown: Vec<_> = in_doc.difference(&expected).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from the document: {undocumented:?}"
    );
    assert!(
        unknown.is_empty(),
        "documented operations the server does not have: {unknown:?}"
    );

    for (method, path) in &in_doc {
        let op = &doc["paths"][path][method];
        assert!(
            op["responses"].as_object().is_some_and(|r| !r.is_empty()),
            "{method} {path} documents its answers"
        );
        if path.contains("{id}") {
            let params = op["parameters"].as_array().unwrap();
            assert!(
                params
                    .iter()
                    .any(|p| p["name"] == "id" && p["in"] == "path"),
                "{method} {path} documents its id"
            );
        }
    }
}
dual_test!(
    the_document_lists_every_route_t,
    the_document_lists_every_route
);

async fn every_documented_operation_answers(app: TestApp) {
    let doc = openapi_document(&app).await;
    let token = app.token("staff").await;
    let security = app.token("security").await;
    let auditor = app.token("auditor").await;
    let member: i64 = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM members WHERE name = '孟爱云'").fetch_one(pool).await)
    .unwrap();
    let user = lvzhi::storage::users::find_by_username(&app.db, "member")
        .await
        .unwrap()
        .unwrap()
        .id;
    let members_before = app.count("members").await;

    // The checks below can tell: an unknown path is the API's 404, a wrong method a 405.
    let (status, answer) = app.api_get(&token, "/api/v1/no-such-thing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(answer["error"], "not_found");
    let (status, _) = app
        .api_send(Method::PATCH, &token, "/api/v1/members", &json!({}))
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);

    let operations = documented(&doc);
    assert_eq!(operations.len(), ROUTES.len());
    for (method, path) in &operations {
        // Accounts are the security administrator's; everything else the staff's.
        let (id, token) = if path.starts_with("/api/v1/users") {
            (user, &security)
        } else if path.starts_with("/api/v1/audit") {
            (user, &auditor)
        } else {
            (member, &token)
        };
        // A plan's item: the demo's first plan (its id is the member's, 1)
        // has items 1 to 12.
        let url = path
            .replace("{id}", &id.to_string())
            .replace("{item_id}", &id.to_string());
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();

        // Without a token: 401 in the API's format.
        let r = new_client()
            .request(method.clone(), app.url(&url))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::UNAUTHORIZED,
            "{method} {url} without a token"
        );
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "unauthorized");

        // With a token and an empty body: an answer from the handler,
        // not the router's 404 or 405.
        let (status, answer) = app.api_send(method.clone(), token, &url, &json!({})).await;
        assert_ne!(
            status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {url}: {answer}"
        );
        // A download needs a stored file, which the demo has none of: its 404
        // comes from the handler, in the API's format.
        if path == "/api/v1/attachments/{id}" {
            assert_eq!(answer["error"], "not_found", "{method} {url}");
            continue;
        }
        // Only one's own notification can be marked read: the probe's id is
        // none of staff's, and the 404 comes from the handler.
        if path == "/api/v1/notifications/{id}/read" {
            assert_eq!(answer["error"], "not_found", "{method} {url}");
            continue;
        }
        // The archive holds no attachment, and a document only once a probe
        // generated one (a Word download files it): else a 404 from the handler.
        if path.starts_with("/api/v1/archive/") && answer["error"] == "not_found" {
            continue;
        }
        // The demo has filed no summary and taken no points off: the 404
        // comes from the handler.
        if path.starts_with("/api/v1/reports/summaries/{id}")
            || path == "/api/v1/points/deductions/{id}/withdraw"
        {
            assert_eq!(answer["error"], "not_found", "{method} {url}");
            continue;
        }
        // The exports answer CSV and Word, not JSON.
        if path == "/api/v1/audit/export"
            || path == "/api/v1/reports/summary/file"
            || path == "/api/v1/members/{id}/duty-file"
            || path == "/api/v1/proposals/compilation"
            || path == "/api/v1/exports"
            || path.ends_with("/import/template")
        {
            assert_eq!(status, StatusCode::OK, "{method} {url}");
            continue;
        }
        // The search needs its words (`q`, required in the document).
        if path == "/api/v1/search" {
            assert_eq!(status, StatusCode::BAD_REQUEST, "{method} {url}: {answer}");
            assert_eq!(answer["fields"][0]["field"], "q", "{answer}");
            continue;
        }
        assert_ne!(status, StatusCode::NOT_FOUND, "{method} {url}: {answer}");
        assert!(answer.is_object(), "{method} {url} answers JSON: {answer}");
        if method == Method::GET {
            assert_eq!(status, StatusCode::OK, "{method} {url}: {answer}");
        } else {
            assert!(
                status.is_client_error(),
                "{method} {url} with an empty body is refused: {status} {answer}"
            );
        }
    }
    assert_eq!(
        app.count("members").await,
        members_before,
        "the probes changed nothing"
    );
}
dual_test!(
    every_documented_operation_answers_t,
    every_documented_operation_answers
);

/// Every `$ref` in `value`, at any depth.
fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// What a client generated from the document needs: each parameter where it
/// is sent, each `$ref` resolving, and every answer class documented.
async fn the_document_says_where_parameters_go_and_every_answer(app: TestApp) {
    let doc = openapi_document(&app).await;
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut problems = Vec::new();
    for (method, path) in documented(&doc) {
        let op = &doc["paths"][&path][&method];
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        for p in &params {
            let name = p["name"].as_str().unwrap();
            let placeholder = format!("{{{name}}}");
            match p["in"].as_str().unwrap() {
                "path" if !path.contains(&placeholder) => problems.push(format!(
                    "{method} {path}: `{name}` is declared in the path, which has no {placeholder}"
                )),
                "query" if path.contains(&placeholder) => problems.push(format!(
                    "{method} {path}: `{name}` is in the path, not the query"
                )),
                _ => {}
            }
        }
        let has_query = params.iter().any(|p| p["in"] == "query");
        let has_body = op.get("requestBody").is_some();
        let mut expected = vec!["401", "403"];
        if has_query || has_body {
            expected.push("400");
            expected.push("422");
        }
        if path.contains("{id}") {
            expected.push("404");
        }
        if method != "get" {
            expected.push("409");
        }
        for status in expected {
            let answer = &op["responses"][status];
            if answer.is_null() {
                problems.push(format!("{method} {path}: {status} is not documented"));
            } else if answer["content"]["application/json"]["schema"]["$ref"]
                != "#/components/schemas/ErrorBody"
            {
                problems.push(format!("{method} {path}: {status} does not say ErrorBody"));
            }
        }
    }
    // Tuples (`prefixItems`) are read by common tools as the old array form
    // of `items`, which OpenAPI 3.1 no longer has: describe pairs otherwise.
    let text = doc.to_string();
    if text.contains("prefixItems") {
        problems.push("a tuple (prefixItems) in the document".to_string());
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    for r in all {
        let name = r.strip_prefix("#/components/schemas/").unwrap_or(&r);
        if !schemas.contains_key(name) {
            problems.push(format!("{r} names no schema"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // Two filters that a generated client must be able to send.
    let members = &doc["paths"]["/api/v1/members"]["get"]["parameters"];
    assert!(members
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "q" && p["in"] == "query"));
    let delete = &doc["paths"]["/api/v1/members/{id}"]["delete"]["parameters"];
    assert!(delete
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "version" && p["in"] == "query"));
    // Each settings and figures answer is its own type.
    let answer = |path: &str| {
        doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
            ["$ref"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_ne!(
        answer("/api/v1/reception-days/settings"),
        answer("/api/v1/proposals/settings")
    );
    assert_ne!(
        answer("/api/v1/cases/figures"),
        answer("/api/v1/proposals/figures")
    );
}
dual_test!(
    the_document_says_where_parameters_go_and_every_answer_t,
    the_document_says_where_parameters_go_and_every_answer
);

/// The `.rs` files under `dir`, at any depth.
fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The document keeps one schema per name: a second type of the same name
/// would silently replace the first. Every type the API documents has a name
/// of its own (`#[schema(as = …)]` where two types share an identifier).
#[test]
fn no_two_schema_types_share_a_name() {
    let mut files = Vec::new();
    rust_files(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut names: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if !(line.trim_start().starts_with("#[derive(") && line.contains("ToSchema")) {
                continue;
            }
            // The attributes down to the type's own line.
            let mut renamed = None;
            for next in &lines[i + 1..] {
                let t = next.trim();
                if let Some(rest) = t.strip_prefix("#[schema(as = ") {
                    renamed = Some(rest.trim_end_matches(")]").to_string());
                }
                let item = t
                    .strip_prefix("pub(crate) ")
                    .or_else(|| t.strip_prefix("pub "))
                    .unwrap_or(t);
                let ident = item
                    .strip_prefix("struct ")
                    .or_else(|| item.strip_prefix("enum "));
                if let Some(ident) = ident {
                    let ident: String = ident
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    names
                        .entry(renamed.unwrap_or(ident.clone()))
                        .or_default()
                        .push(format!("{}: {ident}", file.display()));
                    break;
                }
            }
        }
    }
    let shared: Vec<_> = names.iter().filter(|(_, types)| types.len() > 1).collect();
    assert!(names.len() > 50, "the scan finds the schema types");
    assert!(
        shared.is_empty(),
        "schema names used by two types: {shared:?}"
    );
}

/// No answer holds a key twice: JSON readers keep one of them silently.
async fn no_answer_repeats_a_key(app: TestApp) {
    let token = app.token("staff").await;
    let day: i64 = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM reception_days ORDER BY id LIMIT 1").fetch_one(pool).await)
    .unwrap();
    for path in [
        format!("/api/v1/reception-days/{day}"),
        "/api/v1/reception-days".to_string(),
        "/api/v1/cases/figures".to_string(),
        "/api/v1/proposals/figures".to_string(),
    ] {
        let r = app
            .client
            .get(app.url(&path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let text = r.bytes().await.unwrap();
        assert_eq!(
            lvzhi::http::input::first_duplicate_key(&text),
            None,
            "{path} answers a key twice"
        );
    }
    let (_, detail) = app
        .api_get(&token, &format!("/api/v1/reception-days/{day}"))
        .await;
    assert!(detail["visits"].is_array(), "{detail}");
    assert!(detail["visit_count"].is_i64(), "{detail}");
}
dual_test!(no_answer_repeats_a_key_t, no_answer_repeats_a_key);

/// A body that gives a key twice is refused, naming the key, and changes nothing.
async fn a_body_with_a_key_twice_is_refused(app: TestApp) {
    let token = app.token("staff").await;
    let members_before = app.count("members").await;
    let r = app
        .client
        .post(app.url("/api/v1/proposals/similar"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(r#"{"headline": "停车", "text": "小区停车难", "text": "另一段"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "bad_request", "{body}");
    assert_eq!(body["fields"][0]["code"], "json_duplicate_key", "{body}");
    assert!(
        body["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("text"),
        "{body}"
    );
    // A value of another type than the document gives its field is refused,
    // naming the field, not read as text.
    for (body, field) in [
        (json!({"headline": "停车", "text": []}), "text"),
        (json!({"headline": "停车", "text": false}), "text"),
        (json!({"headline": 12, "text": "小区停车难"}), "headline"),
    ] {
        let (status, answer) = app
            .api_post(&token, "/api/v1/proposals/similar", &body)
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert!(
            answer["message"]
                .as_str()
                .unwrap()
                .contains(&format!("“{field}”")),
            "{body}: {answer}"
        );
    }
    let (status, answer) = app
        .api_post(
            &token,
            "/api/v1/proposals/similar",
            &json!({"headline": "停车", "text": "小区停车难", "limit": 3}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a number where the document says integer: {answer}"
    );
    let r = app
        .client
        .post(app.url("/api/v1/members"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(r#"{"name": "甲", "name": "乙"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.count("members").await, members_before);
}
dual_test!(
    a_body_with_a_key_twice_is_refused_t,
    a_body_with_a_key_twice_is_refused
);
