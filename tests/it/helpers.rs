//! `spawn_app`: a real server on port 0 over a fresh database with the demo
//! committee, and an HTTP client that keeps cookies.

#![allow(dead_code)]

use lvzhi::app::config::Settings;
use lvzhi::app::App;
use lvzhi::security::crypto::FieldCipher;
use lvzhi::storage::{Backend, Db};
use reqwest::{Client, Response, StatusCode};
use serde_json::Value;

/// Where the PostgreSQL side creates its throw-away databases. Set
/// `LVZHI_TEST_POSTGRES=skip` to run the SQLite side alone.
fn pg_admin_url() -> String {
    std::env::var("LVZHI_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub fn postgres_skipped() -> bool {
    pg_admin_url() == "skip"
}

/// Run a test body once on SQLite and once on PostgreSQL; with `empty`, on
/// an empty database instead of the demo committee.
#[macro_export]
macro_rules! dual_test {
    ($name:ident, $body:ident, empty) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app =
                    $crate::helpers::spawn_app_with(lvzhi::storage::Backend::Sqlite, false).await;
                super::$body(app).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::helpers::postgres_skipped() {
                    eprintln!("PostgreSQL side skipped (LVZHI_TEST_POSTGRES=skip)");
                    return;
                }
                let app =
                    $crate::helpers::spawn_app_with(lvzhi::storage::Backend::Postgres, false).await;
                super::$body(app).await;
            }
        }
    };
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::helpers::spawn_app(lvzhi::storage::Backend::Sqlite).await;
                super::$body(app).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::helpers::postgres_skipped() {
                    eprintln!("PostgreSQL side skipped (LVZHI_TEST_POSTGRES=skip)");
                    return;
                }
                let app = $crate::helpers::spawn_app(lvzhi::storage::Backend::Postgres).await;
                super::$body(app).await;
            }
        }
    };
}

pub struct TestApp {
    pub address: String,
    pub client: Client,
    pub db: Db,
    pub backend: Backend,
    pub database_url: String,
    /// The form token of the signed-in session, after `login`.
    pub csrf: String,
    pg_database: Option<String>,
    /// The server's background imports and exports, for tests that hold one open.
    pub imports: std::sync::Arc<lvzhi::services::imports::ImportJobs>,
    pub exports: std::sync::Arc<lvzhi::services::jobs::Jobs<lvzhi::services::exports::Workbook>>,
    /// The server's search index, for tests of its warm-up.
    pub search: std::sync::Arc<lvzhi::services::search::SearchIndex>,
    server: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

pub const DEMO_PASSWORD: &str = "Lvzhi-Demo-2012";
/// The password of the accounts tests add with [`add_account`].
pub const ADDED_PASSWORD: &str = "Another-Account-2012";

pub fn cipher() -> FieldCipher {
    FieldCipher::from_master_key(&[42u8; 32])
}

fn random_suffix() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..12)
        .map(|_| (b'a' + rng.gen_range(0..26)) as char)
        .collect()
}

/// A fresh, empty database of the given backend: its URL and, for
/// PostgreSQL, its name (to drop it afterwards).
pub async fn fresh_database(backend: Backend, dir: &std::path::Path) -> (String, Option<String>) {
    match backend {
        Backend::Sqlite => (format!("sqlite://{}/lvzhi.db", dir.display()), None),
        Backend::Postgres => {
            let admin_url = pg_admin_url();
            let name = format!("lvzhi_test_{}", random_suffix());
            let admin = Db::connect(&admin_url).await.unwrap_or_else(|e| {
                panic!("PostgreSQL at {admin_url} is needed for the PostgreSQL side of the tests ({e}); set LVZHI_TEST_POSTGRES=skip to run SQLite only")
            });
            lvzhi::on_db!(&admin, pool => sqlx::query(&format!("CREATE DATABASE {name}")).execute(pool).await.map(|_| ())).expect("create test database");
            admin.close().await;
            let base = admin_url
                .rsplit_once('/')
                .map(|(b, _)| b.to_string())
                .unwrap_or(admin_url);
            (format!("{base}/{name}"), Some(name))
        }
    }
}

/// Drop a test database, whatever state its connections are in.
pub fn drop_database(name: &str) {
    let name = name.to_string();
    let admin_url = pg_admin_url();
    // Drop runs outside any runtime, so it gets a small one of its own.
    let _ = std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
        rt.block_on(async move {
            if let Ok(admin) = Db::connect(&admin_url).await {
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                let _ = lvzhi::on_db!(&admin, pool => sqlx::query(&sql).execute(pool).await.map(|_| ()));
                admin.close().await;
            }
        });
    })
    .join();
}

/// Start a server on a fresh database holding the demo committee.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, true).await
}

pub async fn spawn_app_with(backend: Backend, demo: bool) -> TestApp {
    spawn_app_configured(backend, demo, |_| {}).await
}

/// Start a server with some settings changed.
pub async fn spawn_app_configured(
    backend: Backend,
    demo: bool,
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let (database_url, pg_database) = fresh_database(backend, dir.path()).await;
    let db = Db::connect(&database_url).await.expect("connect");
    db.migrate().await.expect("migrate");
    let cipher = cipher();
    if demo {
        lvzhi::demo::load(&db, &cipher).await.expect("demo data");
    }
    let mut settings = Settings {
        database_url: database_url.clone(),
        // The administrators' second factor is on by default; the tests of
        // other things sign in with the password alone, and the second
        // factor's own tests (`totp.rs`) turn it back on.
        totp_required_roles: Some(Vec::new()),
        ..Settings::default()
    };
    configure(&mut settings);
    let state = App::new(db.clone(), cipher, settings);
    let imports = std::sync::Arc::clone(&state.imports);
    let exports = std::sync::Arc::clone(&state.exports);
    let search = std::sync::Arc::clone(&state.search);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("address"));
    let server = tokio::spawn(async move {
        let _ = lvzhi::http::serve(state, listener).await;
    });
    TestApp {
        address,
        client: new_client(),
        db,
        backend,
        database_url,
        csrf: String::new(),
        pg_database,
        imports,
        exports,
        search,
        server,
        _dir: dir,
    }
}

pub fn new_client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// A second signed-out browser on the same server, sharing nothing with the first.
pub struct Browser {
    pub client: Client,
    pub address: String,
    pub csrf: String,
}

pub async fn spawn_client_for(app: &TestApp) -> Browser {
    Browser {
        client: new_client(),
        address: app.address.clone(),
        csrf: String::new(),
    }
}

impl Browser {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// The text of a page, as this client's session sees it.
    pub async fn page_text(&self, path: &str) -> String {
        self.client
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Sign in through the login page; keeps the session cookie and form token.
    pub async fn login_as(&mut self, username: &str, password: &str) -> Response {
        let page = self
            .client
            .get(self.url("/login"))
            .send()
            .await
            .expect("login page")
            .text()
            .await
            .unwrap_or_default();
        let csrf = csrf_in(&page);
        let response = self
            .client
            .post(self.url("/login"))
            .form(&[
                ("username", username),
                ("password", password),
                ("csrf", &csrf),
                ("next", "/"),
            ])
            .send()
            .await
            .expect("login");
        if response.status() == StatusCode::SEE_OTHER {
            let html = self
                .client
                .get(self.url("/account/password"))
                .send()
                .await
                .expect("page")
                .text()
                .await
                .unwrap_or_default();
            self.csrf = csrf_in(&html);
        }
        response
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
        if let Some(name) = &self.pg_database {
            drop_database(name);
        }
    }
}

/// The value of `name="csrf"` in a page.
pub fn csrf_in(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    html.find(marker)
        .map(|i| &html[i + marker.len()..])
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_string()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_html(&self, path: &str) -> (StatusCode, String) {
        let r = self.get(path).await;
        let status = r.status();
        (status, r.text().await.unwrap_or_default())
    }

    /// Post a page form with the session's CSRF token added.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf", &self.csrf));
        self.client
            .post(self.url(path))
            .form(&all)
            .send()
            .await
            .expect("POST")
    }

    /// Sign in through the login page; keeps the session cookie and form token.
    pub async fn login_as(&mut self, username: &str, password: &str) -> Response {
        let page = self.get("/login").await.text().await.unwrap_or_default();
        let csrf = csrf_in(&page);
        let response = self
            .client
            .post(self.url("/login"))
            .form(&[
                ("username", username),
                ("password", password),
                ("csrf", &csrf),
                ("next", "/"),
            ])
            .send()
            .await
            .expect("login");
        if response.status() == StatusCode::SEE_OTHER {
            let html = self
                .get("/account/password")
                .await
                .text()
                .await
                .unwrap_or_default();
            self.csrf = csrf_in(&html);
        }
        response
    }

    /// Sign in as one of the demo accounts (admin, security, auditor, staff, member, department).
    pub async fn login(&mut self, username: &str) {
        let r = self.login_as(username, DEMO_PASSWORD).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "login as {username}");
    }

    /// A fresh API token for a demo account.
    pub async fn token(&self, username: &str) -> String {
        lvzhi::services::auth::create_token(&self.db, username, "test")
            .await
            .expect("token")
    }

    pub async fn api_get(&self, token: &str, path: &str) -> (StatusCode, Value) {
        let r = self
            .client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("GET");
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn api_send(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: &Value,
    ) -> (StatusCode, Value) {
        let r = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("send");
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn api_post(&self, token: &str, path: &str, body: &Value) -> (StatusCode, Value) {
        self.api_send(reqwest::Method::POST, token, path, body)
            .await
    }

    /// Rows in the audit log with this action.
    pub async fn audit_count(&self, action: &str) -> i64 {
        lvzhi::on_db!(&self.db, pool => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM audit_log WHERE action = $1")
            .bind(action).fetch_one(pool).await).expect("audit count")
    }

    pub async fn count(&self, table: &str) -> i64 {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        lvzhi::on_db!(&self.db, pool => sqlx::query_scalar::<_, i64>(&sql).fetch_one(pool).await)
            .expect("count")
    }

    /// The id of the demo group with this name.
    pub async fn group_id(&self, name: &str) -> i64 {
        lvzhi::storage::orgs::find_org_by_name(&self.db, name)
            .await
            .expect("group")[0]
            .id
    }
}

/// A valid ID number for a birth date (YYYYMMDD) and a 3-digit sequence
/// (odd: male, even: female), with its check character computed.
pub fn id_number(birth: &str, seq: &str) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let first17 = format!("410103{birth}{seq}");
    let sum: u32 = first17
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(10).unwrap() * w)
        .sum();
    format!("{first17}{}", CHECK[(sum % 11) as usize])
}

/// A complete, valid member body for the API.
pub fn member_body(name: &str, birth: &str, seq: &str) -> Value {
    let gender = if seq.chars().last().and_then(|c| c.to_digit(10)).unwrap_or(0) % 2 == 1 {
        "male"
    } else {
        "female"
    };
    serde_json::json!({
        "name": name, "gender": gender, "ethnicity": "汉族", "party": "ccp", "sector": "经济界",
        "workplace": "测试单位", "position": "经理", "phone": "13812345678",
        "id_number": id_number(birth, seq), "term": 7
    })
}

/// A record that moves through lifecycle steps, as a test holds it.
#[derive(Clone, Copy)]
pub enum Record<'a> {
    /// A case (个案) as the API returned it: the step goes at that version.
    Case(&'a Value),
    /// An information report (社情民意信息) as the API returned it: the step goes at that version.
    InfoReport(&'a Value),
    /// A proposal by id: the step goes at the version it has now, unless the body names one.
    Proposal(i64),
}

/// Post a lifecycle step for `record`.
pub async fn step(
    app: &TestApp,
    token: &str,
    record: Record<'_>,
    mut body: Value,
) -> (StatusCode, Value) {
    let path = match record {
        Record::Case(case) => {
            body["version"] = case["version"].clone();
            format!("/api/v1/cases/{}/steps", case["id"])
        }
        Record::InfoReport(report) => {
            body["version"] = report["version"].clone();
            format!("/api/v1/info-reports/{}/steps", report["id"])
        }
        Record::Proposal(id) => {
            let staff = app.token("staff").await;
            let (_, current) = app
                .api_get(&staff, &format!("/api/v1/proposals/{id}"))
                .await;
            if body.get("version").is_none() {
                body["version"] = current["version"].clone();
            }
            format!("/api/v1/proposals/{id}/steps")
        }
    };
    app.api_post(token, &path, &body).await
}

/// A lifecycle step that must succeed; its answer.
pub async fn ok_step(app: &TestApp, token: &str, record: Record<'_>, body: Value) -> Value {
    let (status, answer) = step(app, token, record, body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}: {answer}");
    answer
}

/// The department of the demo `department` account, and another one.
pub async fn departments(app: &TestApp) -> (i64, i64) {
    let own = lvzhi::storage::users::find_by_username(&app.db, "department")
        .await
        .unwrap()
        .unwrap()
        .department_id
        .unwrap();
    let staff = app.token("staff").await;
    let (_, all) = app.api_get(&staff, "/api/v1/departments").await;
    let other = all["items"]
        .as_array()
        .or_else(|| all.as_array())
        .unwrap()
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .find(|id| *id != own)
        .unwrap();
    (own, other)
}

/// Add an account for a member (`member`) or a department handler
/// (`department`) of the demo committee, with [`ADDED_PASSWORD`].
pub async fn add_account(
    app: &TestApp,
    username: &str,
    member: Option<i64>,
    department: Option<i64>,
) {
    let like = if member.is_some() {
        "member"
    } else {
        "department"
    };
    let org_id = lvzhi::storage::users::find_by_username(&app.db, like)
        .await
        .unwrap()
        .unwrap()
        .org_id;
    let role = if member.is_some() {
        lvzhi::domain::roles::Role::Member
    } else {
        lvzhi::domain::roles::Role::Department
    };
    lvzhi::services::users::create(
        &app.db,
        lvzhi::services::users::Creator::Cli,
        &lvzhi::services::users::UserInput {
            username: username.into(),
            display_name: username.into(),
            org_id: Some(org_id.to_string()),
            member_id: member.map(|m| m.to_string()),
            department_id: department.map(|d| d.to_string()),
            password: Some(ADDED_PASSWORD.into()),
        },
        Some(role),
    )
    .await
    .unwrap();
}

/// Sign in as `username` and set a password of their own on the account page
/// (an account whose password someone else chose must do so first).
pub async fn change_password(app: &TestApp, username: &str, current: &str, new: &str) {
    let mut browser = spawn_client_for(app).await;
    let r = browser.login_as(username, current).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign in as {username}");
    let r = browser
        .client
        .post(browser.url("/account/password"))
        .form(&[
            ("csrf", browser.csrf.as_str()),
            ("current_password", current),
            ("new_password", new),
            ("confirm_password", new),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "{username} sets their own password"
    );
}

/// The id of the member of that name.
pub async fn member_named(app: &TestApp, name: &str) -> i64 {
    lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>("SELECT id FROM members WHERE name = $1")
        .bind(name).fetch_one(pool).await)
    .unwrap()
}

/// A staff account at a new committee under the district (or at the district).
pub async fn staff_at(app: &TestApp, username: &str, committee: Option<&str>) -> String {
    let admin_id = lvzhi::storage::users::find_by_username(&app.db, "admin")
        .await
        .unwrap()
        .unwrap()
        .id;
    let admin = lvzhi::services::auth::actor_for_user(&app.db, admin_id, None)
        .await
        .unwrap()
        .unwrap();
    let district = app.group_id("二七区政协").await;
    let org_id = match committee {
        Some(name) => {
            lvzhi::services::orgs::create(
                &app.db,
                &admin,
                &lvzhi::services::orgs::OrgInput {
                    name: name.into(),
                    kind: "subdistrict".into(),
                    parent_id: Some(district.to_string()),
                    community_id: None,
                },
            )
            .await
            .unwrap()
            .id
        }
        None => district,
    };
    let input = lvzhi::services::users::UserInput {
        username: username.into(),
        display_name: format!("{username} 工作人员"),
        org_id: Some(org_id.to_string()),
        password: Some("Other-Committee-2026".into()),
        ..Default::default()
    };
    lvzhi::services::users::create(
        &app.db,
        lvzhi::services::users::Creator::Cli,
        &input,
        Some(lvzhi::domain::roles::Role::Staff),
    )
    .await
    .unwrap();
    app.token(username).await
}

/// A background job of the server's `jobs`, held open by the test: started
/// for `username` under `token`, it reports `done` of `total` rows written
/// and waits; sending on the returned channel ends it with `outcome`.
pub async fn held_job<T: Send + 'static>(
    app: &TestApp,
    jobs: &lvzhi::services::jobs::Jobs<T>,
    token: &str,
    username: &str,
    (done, total): (usize, usize),
    outcome: T,
) -> (
    tokio::sync::oneshot::Sender<()>,
    std::sync::Arc<lvzhi::services::jobs::Job<T>>,
) {
    use lvzhi::services::jobs::Stage;
    let user = lvzhi::storage::users::find_by_username(&app.db, username)
        .await
        .unwrap()
        .unwrap()
        .id;
    let (end, ended) = tokio::sync::oneshot::channel::<()>();
    let job = jobs.start(token, user, move |job| async move {
        job.report(Stage::Write, done, total);
        let _ = ended.await;
        Ok(outcome)
    });
    // The job reports from its own task: wait until it has.
    for _ in 0..200 {
        if job.progress().done == done {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    (end, job)
}

/// Another staff member's browser (a new account at the district), signed in.
pub async fn other_staff_browser(app: &TestApp, username: &str) -> Browser {
    staff_at(app, username, None).await;
    let mut browser = spawn_client_for(app).await;
    browser.login_as(username, "Other-Committee-2026").await;
    browser
}
