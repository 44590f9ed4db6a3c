//! Lists exported as Excel workbooks: the files are opened again and read
//! (sheet names, headers, the type of each cell), the rows match the JSON
//! list's total for the same filters, numbers are masked, a formula-looking
//! text stays text, every export is audited, and whoever may not read the
//! list may not export it.

use std::io::Cursor;

use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::dual_test;
use crate::helpers::{id_number, member_body, TestApp};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A workbook read back: each sheet's name and its cells.
struct Book {
    bytes: Vec<u8>,
    sheets: Vec<(String, Vec<Vec<Data>>)>,
}

impl Book {
    fn read(bytes: Vec<u8>) -> Self {
        let mut xlsx: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.clone())).expect("xlsx");
        let sheets = xlsx
            .sheet_names()
            .into_iter()
            .map(|name| {
                let range = xlsx.worksheet_range(&name).expect("sheet");
                let rows = range.rows().map(|r| r.to_vec()).collect();
                (name, rows)
            })
            .collect();
        Self { bytes, sheets }
    }

    fn names(&self) -> Vec<&str> {
        self.sheets.iter().map(|(n, _)| n.as_str()).collect()
    }

    fn sheet(&self, name: &str) -> &Vec<Vec<Data>> {
        &self
            .sheets
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no sheet {name} in {:?}", self.names()))
            .1
    }

    fn headers(&self, name: &str) -> Vec<String> {
        self.sheet(name)[0].iter().map(|c| c.to_string()).collect()
    }

    /// Rows below the header.
    fn rows(&self, name: &str) -> usize {
        self.sheet(name).len().saturating_sub(1)
    }

    fn column(&self, sheet: &str, header: &str) -> usize {
        self.headers(sheet)
            .iter()
            .position(|h| h == header)
            .unwrap_or_else(|| panic!("no column {header} in {sheet}"))
    }

    /// The XML of every worksheet, to look for formulas.
    fn sheet_xml(&self) -> String {
        let mut zip = zip::ZipArchive::new(Cursor::new(self.bytes.clone())).expect("zip");
        let mut all = String::new();
        for i in 0..zip.len() {
            let mut file = zip.by_index(i).expect("part");
            if file.name().starts_with("xl/worksheets/") {
                std::io::Read::read_to_string(&mut file, &mut all).expect("xml");
            }
        }
        all
    }
}

/// GET `path` with a token: the status, the content type and the body.
async fn download(app: &TestApp, token: &str, path: &str) -> (StatusCode, String, Vec<u8>) {
    let r = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET");
    let status = r.status();
    let kind = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, kind, r.bytes().await.expect("body").to_vec())
}

async fn workbook(app: &TestApp, token: &str, path: &str) -> Book {
    let (status, kind, bytes) = download(app, token, path).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{path}: {}",
        String::from_utf8_lossy(&bytes)
    );
    assert_eq!(kind, XLSX, "{path}");
    Book::read(bytes)
}

async fn total(app: &TestApp, token: &str, path: &str) -> i64 {
    let (status, body) = app.api_get(token, path).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body["total"].as_i64().expect("total")
}

/// The newest audit row of an export: object type and detail.
async fn last_export(app: &TestApp) -> (String, Value) {
    let (object, detail): (Option<String>, Option<String>) = lvzhi::on_db!(&app.db, pool => sqlx::query_as(
        "SELECT object_type, detail FROM audit_log WHERE action = 'export' ORDER BY id DESC LIMIT 1")
        .fetch_one(pool).await)
    .expect("audit row");
    (
        object.unwrap_or_default(),
        serde_json::from_str(&detail.unwrap_or_default()).expect("detail is JSON"),
    )
}

async fn members_export(app: TestApp) {
    let staff = app.token("staff").await;
    // A member whose workplace and position look like formulas.
    let mut body = member_body("郑测试", "19700101", "011");
    body["workplace"] = json!("=HYPERLINK(\"http://x\")");
    body["position"] = json!("@SUM(A1)");
    let (status, created) = app.api_post(&staff, "/api/v1/members", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let plain_id = id_number("19700101", "011");

    let exports_before = app.audit_count("export").await;
    let book = workbook(
        &app,
        &staff,
        "/api/v1/members?format=xlsx&status=active&sort=name",
    )
    .await;
    assert_eq!(book.names(), ["委员名单"]);
    let headers = book.headers("委员名单");
    for h in [
        "姓名",
        "性别",
        "党派",
        "届次",
        "任职日期",
        "手机号码",
        "身份证号码",
    ] {
        assert!(headers.contains(&h.to_string()), "{h} in {headers:?}");
    }
    // Every active member, not a page of 20: as many rows as the list's total.
    let listed = total(&app, &staff, "/api/v1/members?status=active&per_page=1").await;
    assert_eq!(book.rows("委员名单") as i64, listed);
    assert!(listed > 14, "the demo's members and the new one");

    let sheet = book.sheet("委员名单");
    let name = book.column("委员名单", "姓名");
    let row = sheet
        .iter()
        .find(|r| r[name] == Data::String("郑测试".into()))
        .expect("the new member's row");
    // Typed cells: a date is a date, the term a number, the rest text.
    assert!(
        matches!(row[book.column("委员名单", "任职日期")], Data::DateTime(_)),
        "{:?}",
        row
    );
    assert!(matches!(row[book.column("委员名单", "届次")], Data::Float(f) if f == 7.0));
    // Masked exactly as the list shows them; the plain number is nowhere.
    let id_col = book.column("委员名单", "身份证号码");
    assert_eq!(
        row[id_col],
        Data::String(created["id_number_masked"].as_str().unwrap().into())
    );
    assert_eq!(
        row[book.column("委员名单", "手机号码")],
        Data::String(created["phone_masked"].as_str().unwrap().into())
    );
    assert!(!sheet
        .iter()
        .flatten()
        .any(|c| c.to_string().contains(&plain_id)));
    assert!(!sheet
        .iter()
        .flatten()
        .any(|c| matches!(c, Data::String(s) if s == "13812345678")));
    // Formula-looking text is a string cell, never a formula.
    assert_eq!(
        row[book.column("委员名单", "工作单位")],
        Data::String("=HYPERLINK(\"http://x\")".into())
    );
    assert_eq!(
        row[book.column("委员名单", "职务")],
        Data::String("@SUM(A1)".into())
    );
    assert!(!book.sheet_xml().contains("<f>"), "no formula in any sheet");

    // Audited: the object, the format, the filters and the rows.
    assert_eq!(app.audit_count("export").await, exports_before + 1);
    let (object, detail) = last_export(&app).await;
    assert_eq!(object, "member");
    assert_eq!(detail["format"], "xlsx");
    assert_eq!(detail["via"], "api");
    assert_eq!(detail["filters"], "status=active&sort=name");
    assert_eq!(detail["rows"], json!(listed));

    // Filters honoured: a name that matches one member.
    let one = workbook(
        &app,
        &staff,
        "/api/v1/members?format=xlsx&q=%E9%83%91%E6%B5%8B%E8%AF%95",
    )
    .await;
    assert_eq!(one.rows("委员名单"), 1);
}
dual_test!(
    members_are_exported_typed_masked_and_audited,
    members_export
);

async fn refusals(app: TestApp) {
    let staff = app.token("staff").await;
    // A format that is neither json nor xlsx names the field in Chinese.
    let (status, body) = app.api_get(&staff, "/api/v1/members?format=pdf").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["fields"][0]["field"], "format");
    assert!(
        body["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("文件格式"),
        "{body}"
    );
    let (status, _) = app.api_get(&staff, "/api/v1/cases?format=XLSX").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // An export reads every row, yet a malformed page is named, not passed over.
    for list in [
        "members",
        "activities",
        "reception-days",
        "cases",
        "proposals",
        "info-reports",
        "points",
    ] {
        for (query, field) in [("page=%C2%91", "page"), ("per_page=0", "per_page")] {
            let path = format!("/api/v1/{list}?format=xlsx&{query}");
            let (status, body) = app.api_get(&staff, &path).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
            assert_eq!(body["fields"][0]["field"], field, "{path}: {body}");
        }
    }
    // Who may not read a list may not export it.
    let exports_before = app.audit_count("export").await;
    for who in ["member", "department"] {
        let token = app.token(who).await;
        for path in [
            "/api/v1/members?format=xlsx",
            "/api/v1/reception-days?format=xlsx",
            "/api/v1/points?format=xlsx",
            "/api/v1/exports?year=2011",
        ] {
            let (status, _, _) = download(&app, &token, path).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{who} {path}");
        }
    }
    let (status, _, _) = download(
        &app,
        &app.token("department").await,
        "/api/v1/info-reports?format=xlsx",
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(app.audit_count("export").await, exports_before);
}
dual_test!(a_bad_format_and_other_roles_are_refused, refusals);

async fn activities_export(app: TestApp) {
    let staff = app.token("staff").await;
    let filters = "from=2011-01-01&to=2011-12-31";
    let book = workbook(
        &app,
        &staff,
        &format!("/api/v1/activities?format=xlsx&{filters}"),
    )
    .await;
    assert_eq!(book.names(), ["活动", "出勤"]);
    let listed = total(&app, &staff, &format!("/api/v1/activities?{filters}")).await;
    assert_eq!(book.rows("活动") as i64, listed);
    let activities = book.sheet("活动");
    let invited = book.column("活动", "邀请人数");
    assert!(activities[1..]
        .iter()
        .all(|r| matches!(r[0], Data::DateTime(_))));
    assert!(activities[1..]
        .iter()
        .all(|r| matches!(r[invited], Data::Float(_))));
    let invitations: f64 = activities[1..]
        .iter()
        .map(|r| match r[invited] {
            Data::Float(f) => f,
            _ => 0.0,
        })
        .sum();
    assert!(book.rows("出勤") > 0);
    assert_eq!(
        book.rows("出勤") as f64,
        invitations,
        "one row per invitation"
    );
    assert_eq!(last_export(&app).await.0, "activity");

    // A member exports what they are invited to, and only their own attendance.
    let member = app.token("member").await;
    let theirs = workbook(&app, &member, "/api/v1/activities?format=xlsx").await;
    let listed = total(&app, &member, "/api/v1/activities").await;
    assert_eq!(theirs.rows("活动") as i64, listed);
    let col = theirs.column("出勤", "委员");
    let names: std::collections::BTreeSet<String> = theirs.sheet("出勤")[1..]
        .iter()
        .map(|r| r[col].to_string())
        .collect();
    assert!(names.len() <= 1, "{names:?}");
}
dual_test!(activities_come_with_their_attendance, activities_export);

async fn every_list(app: TestApp) {
    let staff = app.token("staff").await;
    for (list, sheets, object) in [
        (
            "/api/v1/reception-days?from=2011-01-01&to=2011-06-30",
            vec!["接待日", "来访"],
            "reception_day",
        ),
        (
            "/api/v1/cases?from=2011-01-01&to=2011-12-31",
            vec!["来访事件"],
            "case",
        ),
        ("/api/v1/proposals?session=2011", vec!["提案"], "proposal"),
        (
            "/api/v1/info-reports?from=2011-01-01&to=2011-12-31",
            vec!["信息报送"],
            "info_report",
        ),
        ("/api/v1/points?year=2011", vec!["履职积分"], "points"),
    ] {
        let book = workbook(&app, &staff, &format!("{list}&format=xlsx")).await;
        assert_eq!(book.names(), sheets, "{list}");
        let listed = total(&app, &staff, list).await;
        assert_eq!(book.rows(sheets[0]) as i64, listed, "{list}");
        assert!(listed > 0, "{list}");
        assert_eq!(last_export(&app).await.0, object);
    }
    // The first half of 2011: 6 reception days, 12 citizens in the visits.
    let book = workbook(
        &app,
        &staff,
        "/api/v1/reception-days?from=2011-01-01&to=2011-06-30&format=xlsx",
    )
    .await;
    let people = book.column("来访", "人数");
    let citizens: f64 = book.sheet("来访")[1..]
        .iter()
        .map(|r| match r[people] {
            Data::Float(f) => f,
            ref other => panic!("people is a number, not {other:?}"),
        })
        .sum();
    assert_eq!((book.rows("接待日"), citizens), (6, 12.0));
    // Scores are numbers.
    let points = workbook(&app, &staff, "/api/v1/points?year=2011&format=xlsx").await;
    let score = points.column("履职积分", "积分");
    assert!(points.sheet("履职积分")[1..]
        .iter()
        .all(|r| matches!(r[score], Data::Float(_))));
    // The plan's status: a row per rule, period and scope.
    let status = workbook(&app, &staff, "/api/v1/plan-status?period=2011&format=xlsx").await;
    assert_eq!(status.names(), ["计划完成情况"]);
    assert!(status.rows("计划完成情况") > 0);
}
dual_test!(every_list_exports_what_it_lists, every_list);

async fn export_all(app: TestApp) {
    let staff = app.token("staff").await;
    let (status, body) = app.api_get(&staff, "/api/v1/exports?year=20x1").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["fields"][0]["field"], "year");
    let book = workbook(&app, &staff, "/api/v1/exports?year=2011").await;
    assert_eq!(
        book.names(),
        [
            "委员名单",
            "活动",
            "出勤",
            "接待日",
            "来访",
            "来访事件",
            "提案",
            "信息报送",
            "履职积分",
            "计划完成情况"
        ]
    );
    assert_eq!(book.rows("接待日"), 6, "the demo's first half of 2011");
    let (object, detail) = last_export(&app).await;
    assert_eq!(object, "org");
    assert_eq!(detail["year"], 2011);
}
dual_test!(export_all_gives_a_sheet_per_kind, export_all);

/// The address of the page's "export to Excel" link, as a browser reads it.
fn export_link(html: &str) -> String {
    let at = html.find("format=xlsx").expect("an export link");
    let start = html[..at].rfind("href=\"").expect("its href") + 6;
    let end = start + html[start..].find('"').expect("its end");
    html[start..end]
        .replace("&amp;", "&")
        .replace("&#38;", "&")
        .replace("&#x26;", "&")
        .replace("&#x2f;", "/")
        .replace("&#47;", "/")
}

/// A page's export as the browser gets it: the file at once, or after the
/// progress page (a machine slow enough may send there).
async fn page_file(app: &TestApp, path: &str) -> reqwest::Response {
    let r = app.get(path).await;
    if r.status() != StatusCode::SEE_OTHER {
        return r;
    }
    let progress = r.headers()["location"].to_str().unwrap().to_string();
    assert!(
        progress.starts_with("/exports/progress?token="),
        "{progress}"
    );
    for _ in 0..600 {
        let (_, html) = app.get_html(&progress).await;
        if html.contains("下载文件") {
            return app.get(&progress.replace("/progress?", "/download?")).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the export did not end");
}

/// An export still being written when its request returns: the page shows
/// how far it has got, asking again by itself, only to the one who asked;
/// once written, it downloads from there, once.
async fn a_long_export_is_followed_on_its_progress_page(mut app: TestApp) {
    app.login("staff").await;
    let book = lvzhi::services::exports::Workbook {
        bytes: b"PK-a-workbook".to_vec(),
        file_name: "活动_2024.xlsx".into(),
        rows: 247_928,
    };
    let (end, job) = crate::helpers::held_job(
        &app,
        &app.exports,
        "held-open",
        "staff",
        (1000, 247_928),
        book,
    )
    .await;
    let path = "/exports/progress?token=held-open";
    let (status, html) = app.get_html(path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(
            "<meta http-equiv=\"refresh\" content=\"2;url=/exports/progress?token=held-open\">"
        ),
        "{html}"
    );
    assert!(
        html.contains("<progress max=\"247928\" value=\"1000\">"),
        "{html}"
    );
    assert!(html.contains("已写入 1000 行，共 247928 行"), "{html}");
    // Not ready: nothing to download yet.
    let r = app.get("/exports/download?token=held-open").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Nobody else follows it.
    let watcher = crate::helpers::other_staff_browser(&app, "watcher").await;
    let r = watcher.client.get(watcher.url(path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Written: the page downloads it by itself, and offers a button.
    end.send(()).unwrap();
    assert!(job.wait(std::time::Duration::from_secs(10)).await);
    let (status, html) = app.get_html(path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("content=\"0;url=/exports/download?token=held-open\"")
            && html.contains("下载文件")
            && html.contains("<h1>导出完成</h1>"),
        "{html}"
    );
    let r = watcher
        .client
        .get(watcher.url("/exports/download?token=held-open"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "not the watcher's");
    let r = app.get("/exports/download?token=held-open").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], XLSX);
    assert_eq!(r.headers()["x-row-count"], "247928");
    assert_eq!(&r.bytes().await.unwrap()[..], b"PK-a-workbook");
    let r = app.get("/exports/download?token=held-open").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "once");
}
dual_test!(
    a_long_export_is_followed_on_its_progress_page_t,
    a_long_export_is_followed_on_its_progress_page
);

async fn pages(mut app: TestApp) {
    app.login("staff").await;
    let (status, html) = app.get_html("/members?status=active&page=1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        export_link(&html),
        "/members?status=active&format=xlsx",
        "the link keeps the filters, not the page"
    );
    let r = page_file(&app, "/members?status=active&format=xlsx").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], XLSX);
    let book = Book::read(r.bytes().await.unwrap().to_vec());
    assert_eq!(book.names(), ["委员名单"]);
    assert_eq!(last_export(&app).await.1["via"], "page");
    for (page, link) in [
        ("/activities", "format=xlsx"),
        ("/reception?year=2011", "/reception?year=2011&format=xlsx"),
        ("/cases", "format=xlsx"),
        ("/proposals?session=2011", "session=2011"),
        ("/info", "format=xlsx"),
        ("/points?year=2011", "format=xlsx"),
        ("/plans/status?period=2011", "format=xlsx"),
        ("/exports", "name=\"format\" value=\"xlsx\""),
    ] {
        let (status, html) = app.get_html(page).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(
            html.contains(link) || export_link(&html).contains(link),
            "{page} links its export: {}",
            export_link(&html)
        );
    }
    let r = page_file(&app, "/exports?year=2011&format=xlsx").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], XLSX);
    let (status, html) = app.get_html("/members?format=csv").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("文件格式"));
    // In English for a user who reads English: sheet names and headers.
    let r = app.post_form("/account/locale", &[("locale", "en")]).await;
    assert!(r.status().is_redirection(), "{}", r.status());
    let r = page_file(&app, "/activities?format=xlsx").await;
    let book = Book::read(r.bytes().await.unwrap().to_vec());
    assert_eq!(book.names(), ["Activities", "Attendance"]);
    assert_eq!(book.headers("Attendance")[3], "Member");
}
dual_test!(pages_link_and_download_their_exports, pages);

/// `lvzhi export`: the real binary on a SQLite file, as the operator runs it.
#[test]
fn the_command_line_exports_a_list_and_everything() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_lvzhi"));
        command.current_dir(dir.path());
        for (name, _) in std::env::vars() {
            if name.starts_with("LVZHI_") {
                command.env_remove(name);
            }
        }
        command
            .env("LVZHI_DATA_KEY_FILE", dir.path().join("k.key"))
            .env("LVZHI_LOG", "warn")
            .arg("--database")
            .arg(format!("sqlite://{}/x.db", dir.path().display()))
            .args(args);
        command.output().unwrap()
    };
    let ok = |out: &std::process::Output| {
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    ok(&run(&["demo"]));
    let file = dir.path().join("m.xlsx");
    let out = run(&[
        "export",
        "members",
        "--org",
        "长江路街道政协工委",
        "--output",
        file.to_str().unwrap(),
    ]);
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("已导出 14 行"));
    let book = Book::read(std::fs::read(&file).unwrap());
    assert_eq!(
        (book.names(), book.rows("委员名单")),
        (vec!["委员名单"], 14)
    );

    let all = dir.path().join("all.xlsx");
    ok(&run(&[
        "export",
        "all",
        "--org",
        "长江路街道政协工委",
        "--year",
        "2011",
        "--output",
        all.to_str().unwrap(),
    ]));
    assert_eq!(Book::read(std::fs::read(&all).unwrap()).names().len(), 10);

    let out = run(&["export", "nothing", "--org", "2", "--output", "x.xlsx"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("未知的导出类别"));
    let help = run(&["export", "--help"]);
    ok(&help);
    for flag in ["--org", "--year", "--output", "plan_status"] {
        assert!(
            String::from_utf8_lossy(&help.stdout).contains(flag),
            "{flag}"
        );
    }
}
