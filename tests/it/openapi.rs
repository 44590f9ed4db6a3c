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
        let url = path.replace("{id}", &id.to_string());
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
        // The export answers CSV, not JSON.
        if path == "/api/v1/audit/export" {
            assert_eq!(status, StatusCode::OK, "{method} {url}");
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
