//! The authorization matrix: every route the router has, for every role and
//! for a visitor who is not signed in, answers as this table says. The routes
//! come from the same list the router is built from, so a new route without
//! an entry here fails the test.

use std::collections::HashMap;

use reqwest::{Method, StatusCode};

use crate::dual_test;
use crate::helpers::{new_client, TestApp, DEMO_PASSWORD};

/// What a request may answer, by class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Let through: any answer but the ones below (a 422 for an empty form is "let through").
    Allowed,
    /// 403.
    Forbidden,
    /// 401, or a redirect to the login page.
    Login,
}

use Outcome::{Allowed as A, Forbidden as F, Login as L};

const ROLES: [&str; 6] = [
    "admin",
    "security",
    "auditor",
    "staff",
    "member",
    "department",
];

/// Per route: the outcome for admin, security, auditor, staff, member,
/// department, and a visitor without a session (in that order).
fn expectations() -> HashMap<(Method, &'static str), [Outcome; 7]> {
    use Method as M;
    let everyone = [A, A, A, A, A, A, L];
    let public = [A, A, A, A, A, A, A];
    let staff_only = [F, F, F, A, F, F, L];
    let staff_and_own_member = [F, F, F, A, A, F, L];
    let member_only = [F, F, F, F, A, F, L];
    let managers = [A, F, F, A, F, F, L];
    let account_admins = [A, A, F, F, F, F, L];
    let case_handlers = [F, F, F, A, F, A, L];
    let case_readers = [F, F, F, A, A, A, L];
    let proposal_readers = [F, F, F, A, A, A, L];
    HashMap::from([
        ((M::GET, "/healthz"), public),
        ((M::GET, "/static/app.css"), public),
        ((M::GET, "/static/app.js"), public),
        ((M::GET, "/"), everyone),
        ((M::GET, "/login"), public),
        // Without the login page's token every sign-in is refused (CSRF).
        ((M::POST, "/login"), [F, F, F, F, F, F, F]),
        ((M::POST, "/logout"), everyone),
        ((M::GET, "/account/password"), everyone),
        ((M::POST, "/account/password"), everyone),
        ((M::POST, "/account/locale"), everyone),
        ((M::GET, "/account/totp"), everyone),
        ((M::POST, "/account/totp/enable"), everyone),
        ((M::POST, "/account/totp/disable"), everyone),
        ((M::GET, "/members"), staff_only),
        ((M::POST, "/members"), staff_only),
        ((M::GET, "/members/new"), staff_only),
        ((M::GET, "/members/{id}"), staff_and_own_member),
        ((M::GET, "/members/{id}/duty-file"), staff_and_own_member),
        ((M::POST, "/members/{id}"), staff_only),
        ((M::GET, "/members/{id}/edit"), staff_only),
        ((M::POST, "/members/{id}/delete"), staff_only),
        ((M::POST, "/members/{id}/reveal"), staff_only),
        ((M::GET, "/orgs"), managers),
        ((M::POST, "/orgs/new"), managers),
        ((M::POST, "/communities"), managers),
        ((M::POST, "/departments"), managers),
        ((M::GET, "/admin/users"), account_admins),
        ((M::POST, "/admin/users"), [A, F, F, F, F, F, L]),
        ((M::POST, "/admin/users/{id}/role"), [F, A, F, F, F, F, L]),
        (
            (M::POST, "/admin/users/{id}/disable"),
            [A, F, F, F, F, F, L],
        ),
        ((M::POST, "/admin/users/{id}/enable"), [A, F, F, F, F, F, L]),
        (
            (M::POST, "/admin/users/{id}/reset-password"),
            [A, F, F, F, F, F, L],
        ),
        ((M::GET, "/audit"), [F, F, A, F, F, F, L]),
        ((M::GET, "/audit/export"), [F, F, A, F, F, F, L]),
        ((M::GET, "/reception"), staff_only),
        ((M::POST, "/reception"), staff_only),
        ((M::POST, "/reception/settings"), staff_only),
        ((M::GET, "/reception/{id}"), staff_and_own_member),
        ((M::POST, "/reception/{id}/visits"), staff_and_own_member),
        ((M::GET, "/holidays"), staff_only),
        ((M::POST, "/holidays"), staff_only),
        // A member reads the cases they took up.
        ((M::GET, "/cases"), staff_and_own_member),
        ((M::POST, "/cases"), staff_only),
        ((M::GET, "/cases/{id}"), case_readers),
        ((M::POST, "/cases/{id}/steps"), case_handlers),
        ((M::GET, "/inbox"), [F, F, F, F, F, A, L]),
        ((M::GET, "/proposals"), proposal_readers),
        ((M::GET, "/proposals/new"), staff_and_own_member),
        ((M::POST, "/proposals"), staff_and_own_member),
        ((M::GET, "/proposals/figures"), staff_only),
        ((M::GET, "/proposals/compilation"), staff_only),
        ((M::POST, "/proposals/settings"), staff_only),
        ((M::GET, "/proposals/{id}"), proposal_readers),
        ((M::GET, "/proposals/{id}/edit"), staff_and_own_member),
        ((M::POST, "/proposals/{id}"), staff_and_own_member),
        ((M::POST, "/proposals/{id}/steps"), proposal_readers),
        ((M::POST, "/proposals/{id}/cosign"), member_only),
        ((M::GET, "/proposals/{id}/print"), proposal_readers),
        ((M::POST, "/proposals/{id}/attachments"), proposal_readers),
        ((M::GET, "/search"), proposal_readers),
        ((M::GET, "/public/{id}"), public),
        // Without the public form's token every submission is refused (CSRF).
        ((M::POST, "/public/{id}"), [F, F, F, F, F, F, F]),
        ((M::GET, "/track"), public),
        ((M::POST, "/track"), public),
        ((M::GET, "/api/v1/openapi.json"), public),
        ((M::GET, "/api/v1/members"), staff_only),
        ((M::POST, "/api/v1/members"), staff_only),
        ((M::GET, "/api/v1/members/{id}"), staff_and_own_member),
        ((M::PUT, "/api/v1/members/{id}"), staff_only),
        ((M::DELETE, "/api/v1/members/{id}"), staff_only),
        (
            (M::GET, "/api/v1/members/{id}/timeline"),
            staff_and_own_member,
        ),
        (
            (M::GET, "/api/v1/members/{id}/duty-file"),
            staff_and_own_member,
        ),
        ((M::GET, "/api/v1/orgs"), [A, A, F, A, F, F, L]),
        ((M::POST, "/api/v1/orgs"), managers),
        ((M::GET, "/api/v1/groups"), [A, A, F, A, F, F, L]),
        ((M::POST, "/api/v1/groups"), managers),
        ((M::GET, "/api/v1/communities"), managers),
        ((M::POST, "/api/v1/communities"), managers),
        ((M::GET, "/api/v1/departments"), [A, F, F, A, F, A, L]),
        ((M::POST, "/api/v1/departments"), managers),
        ((M::GET, "/api/v1/users"), account_admins),
        ((M::POST, "/api/v1/users"), [A, F, F, F, F, F, L]),
        ((M::PUT, "/api/v1/users/{id}/role"), [F, A, F, F, F, F, L]),
        (
            (M::POST, "/api/v1/users/{id}/disable"),
            [A, F, F, F, F, F, L],
        ),
        (
            (M::POST, "/api/v1/users/{id}/enable"),
            [A, F, F, F, F, F, L],
        ),
        (
            (M::POST, "/api/v1/users/{id}/reset-password"),
            [A, F, F, F, F, F, L],
        ),
        ((M::GET, "/api/v1/audit"), [F, F, A, F, F, F, L]),
        ((M::GET, "/api/v1/audit/export"), [F, F, A, F, F, F, L]),
        ((M::GET, "/api/v1/reception-days"), staff_only),
        ((M::POST, "/api/v1/reception-days"), staff_only),
        ((M::GET, "/api/v1/reception-days/schedule"), staff_only),
        ((M::GET, "/api/v1/reception-days/settings"), staff_only),
        ((M::PUT, "/api/v1/reception-days/settings"), staff_only),
        (
            (M::GET, "/api/v1/reception-days/{id}"),
            staff_and_own_member,
        ),
        (
            (M::POST, "/api/v1/reception-days/{id}/visits"),
            staff_and_own_member,
        ),
        ((M::GET, "/api/v1/holidays"), staff_only),
        ((M::PUT, "/api/v1/holidays"), staff_only),
        ((M::GET, "/api/v1/cases"), case_readers),
        ((M::POST, "/api/v1/cases"), staff_only),
        ((M::GET, "/api/v1/cases/figures"), staff_only),
        ((M::GET, "/api/v1/cases/{id}"), case_readers),
        ((M::POST, "/api/v1/cases/{id}/steps"), case_handlers),
        ((M::GET, "/api/v1/proposals"), proposal_readers),
        ((M::POST, "/api/v1/proposals"), staff_and_own_member),
        ((M::POST, "/api/v1/proposals/similar"), staff_and_own_member),
        ((M::GET, "/api/v1/proposals/figures"), staff_only),
        ((M::GET, "/api/v1/proposals/compilation"), staff_only),
        ((M::GET, "/api/v1/proposals/settings"), staff_only),
        ((M::PUT, "/api/v1/proposals/settings"), staff_only),
        ((M::GET, "/api/v1/proposals/{id}"), proposal_readers),
        ((M::PUT, "/api/v1/proposals/{id}"), staff_and_own_member),
        ((M::POST, "/api/v1/proposals/{id}/steps"), proposal_readers),
        ((M::POST, "/api/v1/proposals/{id}/cosign"), member_only),
        ((M::GET, "/api/v1/search"), proposal_readers),
        (
            (M::POST, "/api/v1/proposals/{id}/attachments"),
            proposal_readers,
        ),
        // Activities, attachments, awards, 'five-ones'.
        ((M::GET, "/activities"), staff_and_own_member),
        ((M::POST, "/activities"), staff_and_own_member),
        ((M::GET, "/activities/calendar"), staff_and_own_member),
        ((M::GET, "/activities/new"), staff_and_own_member),
        ((M::GET, "/activities/{id}"), staff_and_own_member),
        ((M::POST, "/activities/{id}"), staff_only),
        ((M::GET, "/activities/{id}/edit"), staff_only),
        ((M::POST, "/activities/{id}/invitations"), staff_only),
        ((M::POST, "/activities/{id}/reply"), member_only),
        ((M::POST, "/activities/{id}/attendance"), staff_only),
        ((M::POST, "/activities/{id}/decision"), staff_only),
        ((M::POST, "/activities/{id}/report"), staff_only),
        (
            (M::POST, "/activities/{id}/attachments"),
            staff_and_own_member,
        ),
        ((M::GET, "/attachments/{id}"), proposal_readers),
        ((M::GET, "/awards"), staff_and_own_member),
        ((M::POST, "/awards"), staff_only),
        ((M::GET, "/members/{id}/five-ones"), staff_and_own_member),
        ((M::GET, "/api/v1/activities"), staff_and_own_member),
        ((M::POST, "/api/v1/activities"), staff_and_own_member),
        ((M::GET, "/api/v1/activities/{id}"), staff_and_own_member),
        ((M::PUT, "/api/v1/activities/{id}"), staff_only),
        ((M::POST, "/api/v1/activities/{id}/invitations"), staff_only),
        ((M::POST, "/api/v1/activities/{id}/reply"), member_only),
        ((M::POST, "/api/v1/activities/{id}/attendance"), staff_only),
        ((M::POST, "/api/v1/activities/{id}/decision"), staff_only),
        ((M::PUT, "/api/v1/activities/{id}/report"), staff_only),
        (
            (M::GET, "/api/v1/activities/{id}/attachments"),
            staff_and_own_member,
        ),
        (
            (M::POST, "/api/v1/activities/{id}/attachments"),
            staff_and_own_member,
        ),
        ((M::GET, "/api/v1/attachments/{id}"), proposal_readers),
        ((M::GET, "/api/v1/awards"), staff_and_own_member),
        ((M::POST, "/api/v1/awards"), staff_only),
        ((M::POST, "/api/v1/awards/{id}/attachments"), staff_only),
        (
            (M::GET, "/api/v1/members/{id}/five-ones"),
            staff_and_own_member,
        ),
        // Information reports: a member's own, staff's subtree.
        ((M::GET, "/info"), staff_and_own_member),
        ((M::POST, "/info"), staff_and_own_member),
        ((M::GET, "/info/new"), staff_and_own_member),
        ((M::GET, "/info/figures"), staff_only),
        ((M::GET, "/info/{id}"), staff_and_own_member),
        ((M::POST, "/info/{id}"), staff_and_own_member),
        ((M::GET, "/info/{id}/edit"), staff_and_own_member),
        ((M::POST, "/info/{id}/steps"), staff_and_own_member),
        ((M::GET, "/api/v1/info-reports"), staff_and_own_member),
        ((M::POST, "/api/v1/info-reports"), staff_and_own_member),
        ((M::GET, "/api/v1/info-reports/figures"), staff_only),
        ((M::GET, "/api/v1/info-reports/{id}"), staff_and_own_member),
        ((M::PUT, "/api/v1/info-reports/{id}"), staff_and_own_member),
        (
            (M::POST, "/api/v1/info-reports/{id}/steps"),
            staff_and_own_member,
        ),
        // Key projects: the committee's members read, staff write.
        ((M::GET, "/projects"), staff_and_own_member),
        ((M::POST, "/projects"), staff_only),
        ((M::GET, "/projects/new"), staff_only),
        ((M::GET, "/projects/{id}"), staff_and_own_member),
        ((M::POST, "/projects/{id}"), staff_only),
        ((M::GET, "/projects/{id}/edit"), staff_only),
        ((M::POST, "/projects/{id}/updates"), staff_only),
        ((M::GET, "/api/v1/projects"), staff_and_own_member),
        ((M::POST, "/api/v1/projects"), staff_only),
        ((M::GET, "/api/v1/projects/figures"), staff_and_own_member),
        ((M::GET, "/api/v1/projects/{id}"), staff_and_own_member),
        ((M::PUT, "/api/v1/projects/{id}"), staff_only),
        ((M::POST, "/api/v1/projects/{id}/updates"), staff_only),
        // Work summaries: drafted and downloaded by staff.
        ((M::GET, "/reports/summary"), staff_only),
        ((M::GET, "/reports/summary/file"), staff_only),
        ((M::GET, "/api/v1/reports/summary"), staff_only),
        ((M::GET, "/api/v1/reports/summary/file"), staff_only),
        // Saved summaries and the archive: staff's.
        ((M::POST, "/reports/summary/save"), staff_only),
        ((M::GET, "/reports/archive"), staff_only),
        ((M::GET, "/reports/summaries/{id}"), staff_only),
        ((M::GET, "/reports/summaries/{id}/file"), staff_only),
        ((M::POST, "/reports/summaries/{id}/withdraw"), staff_only),
        ((M::GET, "/api/v1/reports/summaries"), staff_only),
        ((M::POST, "/api/v1/reports/summaries"), staff_only),
        ((M::GET, "/api/v1/reports/summaries/{id}"), staff_only),
        ((M::GET, "/api/v1/reports/summaries/{id}/file"), staff_only),
        (
            (M::POST, "/api/v1/reports/summaries/{id}/withdraw"),
            staff_only,
        ),
        // The archive's documents and attachments: staff's.
        ((M::GET, "/reports/archive/documents/{id}"), staff_only),
        ((M::GET, "/reports/archive/documents/{id}/file"), staff_only),
        (
            (M::POST, "/reports/archive/documents/{id}/withdraw"),
            staff_only,
        ),
        ((M::GET, "/reports/archive/attachments/{id}"), staff_only),
        (
            (M::POST, "/reports/archive/attachments/{id}/withdraw"),
            staff_only,
        ),
        ((M::GET, "/api/v1/archive"), staff_only),
        ((M::GET, "/api/v1/archive/documents/{id}"), staff_only),
        ((M::GET, "/api/v1/archive/documents/{id}/file"), staff_only),
        (
            (M::POST, "/api/v1/archive/documents/{id}/withdraw"),
            staff_only,
        ),
        ((M::GET, "/api/v1/archive/attachments/{id}"), staff_only),
        (
            (M::POST, "/api/v1/archive/attachments/{id}/withdraw"),
            staff_only,
        ),
        // Reminders: everyone reads and marks their own (another's is 404,
        // tests/it/notifications.rs); the outbox is the administrator's.
        ((M::GET, "/notifications"), everyone),
        ((M::POST, "/notifications/read-all"), everyone),
        ((M::POST, "/notifications/email"), everyone),
        ((M::POST, "/notifications/{id}/read"), everyone),
        ((M::GET, "/admin/outbox"), [A, F, F, F, F, F, L]),
        ((M::GET, "/api/v1/notifications"), everyone),
        ((M::POST, "/api/v1/notifications/{id}/read"), everyone),
        // Work plans: the committee's members read (their own quotas), staff write.
        ((M::GET, "/plans"), staff_and_own_member),
        ((M::POST, "/plans"), staff_only),
        ((M::GET, "/plans/status"), staff_and_own_member),
        ((M::POST, "/plans/{id}/copy"), staff_only),
        ((M::GET, "/plans/{id}/items/new"), staff_only),
        ((M::POST, "/plans/{id}/items"), staff_only),
        ((M::GET, "/plans/items/{id}/edit"), staff_only),
        ((M::POST, "/plans/items/{id}"), staff_only),
        ((M::POST, "/plans/items/{id}/delete"), staff_only),
        ((M::GET, "/api/v1/plans"), staff_and_own_member),
        ((M::POST, "/api/v1/plans"), staff_only),
        ((M::GET, "/api/v1/plans/{id}"), staff_and_own_member),
        ((M::PUT, "/api/v1/plans/{id}"), staff_only),
        ((M::DELETE, "/api/v1/plans/{id}"), staff_only),
        ((M::POST, "/api/v1/plans/{id}/copy"), staff_only),
        ((M::POST, "/api/v1/plans/{id}/items"), staff_only),
        ((M::PUT, "/api/v1/plans/{id}/items/{item_id}"), staff_only),
        (
            (M::DELETE, "/api/v1/plans/{id}/items/{item_id}"),
            staff_only,
        ),
        ((M::GET, "/api/v1/plan-status"), staff_and_own_member),
        // Duty points: staff rank and set the rules; a member reads their own breakdown.
        ((M::GET, "/points"), staff_only),
        ((M::GET, "/exports"), staff_only),
        ((M::GET, "/exports/progress"), everyone),
        ((M::GET, "/exports/download"), everyone),
        ((M::GET, "/api/v1/exports"), staff_only),
        ((M::GET, "/points/rules"), staff_only),
        ((M::POST, "/points/rules"), staff_only),
        ((M::GET, "/points/members/{id}"), staff_and_own_member),
        ((M::GET, "/api/v1/points"), staff_only),
        (
            (M::GET, "/api/v1/points/members/{id}"),
            staff_and_own_member,
        ),
        ((M::GET, "/api/v1/points/rules"), staff_only),
        ((M::PUT, "/api/v1/points/rules"), staff_only),
        ((M::POST, "/points/members/{id}/deductions"), staff_only),
        ((M::POST, "/points/deductions/{id}/withdraw"), staff_only),
        (
            (M::POST, "/api/v1/points/members/{id}/deductions"),
            staff_only,
        ),
        (
            (M::POST, "/api/v1/points/deductions/{id}/withdraw"),
            staff_only,
        ),
        ((M::POST, "/awards/{id}/steps"), staff_only),
        ((M::POST, "/api/v1/awards/{id}/steps"), staff_only),
        // Imports of the roster and the departments: staff.
        ((M::GET, "/members/import"), staff_only),
        ((M::POST, "/members/import"), staff_only),
        ((M::POST, "/members/import/confirm"), staff_only),
        ((M::GET, "/members/import/progress"), staff_only),
        ((M::GET, "/members/import/template"), staff_only),
        ((M::POST, "/api/v1/members/import"), staff_only),
        ((M::POST, "/api/v1/departments/import"), staff_only),
        ((M::GET, "/api/v1/members/import/template"), staff_only),
        ((M::GET, "/api/v1/departments/import/template"), staff_only),
        // The living style page.
        ((M::GET, "/style"), staff_only),
    ])
}

fn classify(status: StatusCode, location: Option<&str>) -> Outcome {
    match status {
        StatusCode::UNAUTHORIZED => L,
        // The gate sends visitors to `/login?next=…`; signing out lands on plain `/login`.
        StatusCode::SEE_OTHER if location.is_some_and(|l| l.starts_with("/login?")) => L,
        StatusCode::FORBIDDEN => F,
        _ => A,
    }
}

async fn every_route_answers_every_role_as_the_matrix_says(app: TestApp) {
    let expected = expectations();
    let routes = lvzhi::http::routes();
    let mut missing = Vec::new();
    for spec in &routes {
        if !expected.contains_key(&(spec.method.clone(), spec.path)) {
            missing.push(format!("{} {}", spec.method, spec.path));
        }
    }
    assert!(
        missing.is_empty(),
        "routes without an entry in the authorization matrix: {missing:?}"
    );
    assert_eq!(
        routes.len(),
        expected.len(),
        "the matrix names a route the router does not have"
    );

    // The member account belongs to 孟爱云: use her record for {id} paths, and
    // the staff account for user paths.
    let staff_token = app.token("staff").await;
    let (_, found) = app
        .api_get(
            &staff_token,
            "/api/v1/members?q=%E5%AD%9F%E7%88%B1%E4%BA%91",
        )
        .await;
    let member_id = found["items"][0]["id"].as_i64().unwrap();
    let user_id = lvzhi::storage::users::find_by_username(&app.db, "staff")
        .await
        .unwrap()
        .unwrap()
        .id;

    // One signed-in client and one API token per role, and a visitor.
    let mut sessions = Vec::new();
    for role in ROLES {
        let mut signed_in = crate::helpers::spawn_client_for(&app).await;
        let r = signed_in.login_as(role, DEMO_PASSWORD).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{role} signs in");
        sessions.push((Some(signed_in), Some(app.token(role).await)));
    }
    sessions.push((None, None));

    // Signing out ends the sessions the other routes need: it goes last.
    let mut ordered: Vec<_> = routes.iter().collect();
    ordered.sort_by_key(|spec| spec.path == "/logout");
    let mut wrong = Vec::new();
    for spec in ordered {
        let path = spec.path.replace(
            "{id}",
            &if spec.path.contains("/users/") {
                user_id
            } else {
                member_id
            }
            .to_string(),
        );
        let row = expected[&(spec.method.clone(), spec.path)];
        for (who, (session, token)) in sessions.iter().enumerate() {
            let client = session
                .as_ref()
                .map(|s| s.client.clone())
                .unwrap_or_else(new_client);
            let mut request = client.request(spec.method.clone(), app.url(&path));
            if path.starts_with("/api/") {
                if let Some(token) = token {
                    request = request.bearer_auth(token);
                }
                if spec.method != Method::GET {
                    request = request.json(&serde_json::json!({}));
                }
            } else if spec.method == Method::POST {
                let csrf = session.as_ref().map(|s| s.csrf.clone()).unwrap_or_default();
                request = request.form(&[("csrf", csrf)]);
            }
            let response = request.send().await.unwrap();
            let location = response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let got = classify(response.status(), location.as_deref());
            if got != row[who] {
                let name = ROLES.get(who).copied().unwrap_or("visitor");
                wrong.push(format!(
                    "{} {path} as {name}: expected {:?}, got {:?} ({})",
                    spec.method,
                    row[who],
                    got,
                    response.status()
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "answers that break the matrix:\n{}",
        wrong.join("\n")
    );
}
dual_test!(
    every_route_answers_every_role_as_the_matrix_says_t,
    every_route_answers_every_role_as_the_matrix_says
);
