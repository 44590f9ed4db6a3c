//! Imports of the roster and the departments: good files create and update
//! (read back through the API), every bad file is refused with its row and
//! column named and nothing written, a dry run writes nothing, a preview
//! that went stale is refused, the audit rows, the templates, the page and
//! the command line.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::dual_test;
use crate::helpers::{csrf_in, id_number, TestApp};

const BOUNDARY: &str = "lvzhi-import-test-boundary";

const HEADER: [&str; 13] = [
    "姓名",
    "性别",
    "民族",
    "党派",
    "界别",
    "工作单位",
    "职务",
    "手机号",
    "身份证号",
    "届次",
    "状态",
    "任职日期",
    "委员小组",
];

/// A roster row: the member's name, ID number, phone, date joined and group.
fn row(name: &str, id: &str, phone: &str, joined: &str, group: &str) -> Vec<String> {
    let male = id
        .chars()
        .nth(16)
        .and_then(|c| c.to_digit(10))
        .is_some_and(|d| d % 2 == 1);
    [
        name,
        if male { "男" } else { "女" },
        "汉族",
        "中共党员",
        "经济界",
        "长江路小学",
        "校长",
        phone,
        id,
        "7",
        "在任",
        joined,
        group,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn csv(rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    out.push_str(&HEADER.join(","));
    out.push_str("\r\n");
    for r in rows {
        out.push_str(&r.join(","));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// An .xlsx of the header and `rows`, text cells, then `edit` changes the sheet.
fn xlsx_with(rows: &[Vec<String>], edit: impl FnOnce(&mut rust_xlsxwriter::Worksheet)) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in HEADER.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (r, cells) in rows.iter().enumerate() {
        for (c, v) in cells.iter().enumerate() {
            if !v.is_empty() {
                sheet.write_string(r as u32 + 1, c as u16, v).unwrap();
            }
        }
    }
    edit(sheet);
    book.save_to_buffer().unwrap()
}

fn multipart(fields: &[(&str, &str)], file_name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// POST a file to an import route; the status and the JSON answer.
async fn send(
    app: &TestApp,
    token: &str,
    path: &str,
    name: &str,
    bytes: &[u8],
) -> (StatusCode, Value) {
    let r = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(multipart(&[], name, bytes))
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn member_named(app: &TestApp, token: &str, name: &str) -> Value {
    let (status, list) = app
        .api_get(token, &format!("/api/v1/members?q={}", urlencode(name)))
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "one member named {name}: {list}");
    items[0].clone()
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// Every message of a refusal, joined.
fn messages(answer: &Value) -> String {
    answer["fields"]
        .as_array()
        .map(|f| {
            f.iter()
                .map(|e| e["message"].as_str().unwrap_or("").to_string())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_else(|| answer["message"].as_str().unwrap_or("").to_string())
}

const IMPORT: &str = "/api/v1/members/import?dry_run=false";
const PREVIEW: &str = "/api/v1/members/import?dry_run=true";

async fn good_csv_and_xlsx_create_and_update(app: TestApp) {
    let token = app.token("staff").await;
    let before = app.count("members").await;
    let group = app.group_id("第二委员小组").await;
    let a = id_number("19800101", "011");
    let b = id_number("19820202", "022");
    let file = csv(&[
        row("导入甲", &a, "13900000001", "2011/3/1", ""),
        row("导入乙", &b, "13900000002", "40603", "第二委员小组"),
    ]);

    // The preview names what it will do, and writes nothing.
    let (status, preview) = send(&app, &token, PREVIEW, "roster.csv", &file).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["created"], 2, "{preview}");
    assert_eq!(preview["imported"], false);
    assert_eq!(preview["rows"][0]["action"], "create");
    assert_eq!(preview["rows"][0]["row"], 2);
    assert_eq!(
        app.count("members").await,
        before,
        "a dry run writes nothing"
    );
    assert_eq!(app.audit_count("import").await, 0);

    let fingerprint = preview["preview"].as_str().unwrap().to_string();
    let (status, done) = send(
        &app,
        &token,
        &format!("{IMPORT}&preview={fingerprint}"),
        "roster.csv",
        &file,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["imported"], true);
    assert_eq!(done["created"], 2);
    assert_eq!(app.count("members").await, before + 2);

    let first = member_named(&app, &token, "导入甲").await;
    assert_eq!(first["joined_on"], "2011-03-01", "a date written as text");
    assert_eq!(first["party"], "ccp");
    assert_eq!(first["gender"], "male");
    assert_eq!(first["phone_masked"], "139****0001");
    assert_eq!(first["status"], "active");
    let second = member_named(&app, &token, "导入乙").await;
    assert_eq!(
        second["joined_on"], "2011-03-01",
        "a date as a serial number"
    );
    assert_eq!(second["group_id"], group);
    assert_eq!(second["gender"], "female");

    // Audited: one row for the import, and each member as the form does.
    assert_eq!(app.audit_count("import").await, 1);
    let detail: String = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, String>(
        "SELECT detail FROM audit_log WHERE action = 'import'").fetch_one(pool).await)
    .unwrap();
    let detail: Value = serde_json::from_str(&detail).unwrap();
    assert_eq!(detail["created"], 2);
    assert_eq!(detail["import_of"], "member");
    assert_eq!(detail["via"], "api");
    let member_rows: i64 = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'create' AND object_type = 'member' AND object_id = $1")
        .bind(first["id"].as_i64().unwrap().to_string()).fetch_one(pool).await)
    .unwrap();
    assert_eq!(member_rows, 1);
    let (status, timeline) = app
        .api_get(&token, &format!("/api/v1/members/{}/timeline", first["id"]))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(timeline["items"][0]["kind"], "registered");

    // An .xlsx: the first member's phone changes, the second stays, a third
    // is new, with a date cell and the term as a number.
    let c = id_number("19750505", "033");
    let rows = vec![
        row("导入甲", &a, "13900000009", "2011-03-01", ""),
        row("导入乙", &b, "13900000002", "2011-03-01", "第二委员小组"),
        row("导入丙", &c, "13900000003", "", ""),
    ];
    let file = xlsx_with(&rows, |sheet| {
        let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        let d = rust_xlsxwriter::ExcelDateTime::from_ymd(2012, 6, 30).unwrap();
        sheet.write_datetime_with_format(3, 11, &d, &date).unwrap();
        sheet.write_number(3, 9, 8).unwrap();
    });
    let (status, preview) = send(&app, &token, PREVIEW, "roster.xlsx", &file).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(
        (
            &preview["created"],
            &preview["updated"],
            &preview["unchanged"]
        ),
        (&json!(1), &json!(1), &json!(1)),
        "{preview}"
    );
    let update = &preview["rows"][0];
    assert_eq!(update["action"], "update");
    assert_eq!(update["changes"][0]["field"], "phone");
    assert_eq!(update["changes"][0]["column"], "手机号");
    assert_eq!(update["changes"][0]["before"], "139****0001");
    assert_eq!(update["changes"][0]["after"], "139****0009");
    let (status, done) = send(&app, &token, IMPORT, "roster.xlsx", &file).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(app.count("members").await, before + 3);
    let first = member_named(&app, &token, "导入甲").await;
    assert_eq!(first["phone_masked"], "139****0009");
    assert_eq!(first["version"], 2);
    let third = member_named(&app, &token, "导入丙").await;
    assert_eq!(third["joined_on"], "2012-06-30", "a date cell");
    assert_eq!(third["term"], 8, "a number cell");
    assert_eq!(app.audit_count("import").await, 2);
    let updates: i64 = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'update' AND object_type = 'member'").fetch_one(pool).await)
    .unwrap();
    assert_eq!(updates, 1, "the unchanged member is not written");

    // The audit chain still holds.
    let chained = lvzhi::storage::audit::verify(&app.db).await.unwrap();
    assert!(
        matches!(chained, lvzhi::storage::audit::ChainCheck::Intact { .. }),
        "{chained:?}"
    );
}
dual_test!(
    good_csv_and_xlsx_create_and_update_t,
    good_csv_and_xlsx_create_and_update
);

/// Each bad file: refused (422) with these words in its messages, nothing written.
/// Preview `file`, then import it as previewed; the import's answer.
async fn preview_and_import(app: &TestApp, token: &str, file: &[u8]) -> Value {
    let (status, preview) = send(app, token, PREVIEW, "roster.csv", file).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    let fingerprint = preview["preview"].as_str().unwrap().to_string();
    let path = format!("{IMPORT}&preview={fingerprint}");
    let (status, done) = send(app, token, &path, "roster.csv", file).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    done
}

/// The roster has no leaving day: a member who leaves through an import
/// leaves that day (as on the form), and one who stays gone keeps the day
/// recorded.
async fn leaving_through_an_import(app: TestApp) {
    let token = app.token("staff").await;
    let id = id_number("19700303", "031");
    let mut line = row("导入丙", &id, "13900000003", "2010-01-04", "");
    preview_and_import(&app, &token, &csv(std::slice::from_ref(&line))).await;
    assert_eq!(
        member_named(&app, &token, "导入丙").await["left_on"],
        Value::Null
    );

    line[10] = "辞去委员".into();
    preview_and_import(&app, &token, &csv(std::slice::from_ref(&line))).await;
    let gone = member_named(&app, &token, "导入丙").await;
    assert_eq!(gone["status"], "resigned");
    let today = lvzhi::app::clock::today().to_string();
    assert_eq!(gone["left_on"].as_str(), Some(today.as_str()), "{gone}");

    // The day corrected on the form stays through the next import.
    let body = json!({
        "name": "导入丙", "gender": gone["gender"], "ethnicity": "汉族", "party": "ccp",
        "sector": "经济界", "workplace": "长江路小学", "position": "校长",
        "phone": "13900000003", "id_number": id, "term": 7, "joined_on": "2010-01-04",
        "status": "resigned", "left_on": "2012-06-30", "version": gone["version"],
    });
    let path = format!("/api/v1/members/{}", gone["id"]);
    let (status, fixed) = app.api_send(Method::PUT, &token, &path, &body).await;
    assert_eq!(status, StatusCode::OK, "{fixed}");
    preview_and_import(&app, &token, &csv(std::slice::from_ref(&line))).await;
    let kept = member_named(&app, &token, "导入丙").await;
    assert_eq!(kept["left_on"], "2012-06-30", "{kept}");
}
dual_test!(leaving_through_an_import_t, leaving_through_an_import);

async fn refused(app: &TestApp, token: &str, what: &str, name: &str, bytes: &[u8], words: &[&str]) {
    let before = app.count("members").await;
    let (status, answer) = send(app, token, IMPORT, name, bytes).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {answer}");
    let text = messages(&answer);
    for w in words {
        assert!(text.contains(w), "{what}: «{w}» not in «{text}»");
    }
    assert_eq!(
        app.count("members").await,
        before,
        "{what}: nothing imported"
    );
}

async fn bad_files_are_refused_by_row_and_column(app: TestApp) {
    let token = app.token("staff").await;
    let good = |n: u32| {
        row(
            &format!(
                "测试{}",
                "零一二三四五六七八九".chars().nth(n as usize).unwrap()
            ),
            &id_number("19800101", &format!("{:03}", 100 + n)),
            "13900000001",
            "2011-03-01",
            "",
        )
    };

    refused(
        &app,
        &token,
        "a PDF",
        "名册.xlsx",
        b"%PDF-1.4\n%%EOF\n",
        &["不是电子表格"],
    )
    .await;
    refused(
        &app,
        &token,
        "a PNG",
        "名册.csv",
        b"\x89PNG\r\n\x1a\n\0\0",
        &["不是电子表格"],
    )
    .await;
    refused(
        &app,
        &token,
        "a zip",
        "名册.xlsx",
        b"PK\x03\x04junk",
        &["文件"],
    )
    .await;
    refused(
        &app,
        &token,
        "an empty file",
        "名册.csv",
        b"",
        &["文件是空的"],
    )
    .await;
    refused(
        &app,
        &token,
        "a header alone",
        "名册.csv",
        &csv(&[]),
        &["没有要导入的行"],
    )
    .await;

    let renamed = String::from_utf8(csv(&[good(1)]))
        .unwrap()
        .replacen("身份证号", "身份证号码", 1);
    refused(
        &app,
        &token,
        "a renamed column",
        "名册.csv",
        renamed.as_bytes(),
        &["第1行 I列", "身份证号码", "缺少“身份证号”列"],
    )
    .await;
    let missing = String::from_utf8(csv(&[good(1)]))
        .unwrap()
        .replacen("性别,", "", 1);
    refused(
        &app,
        &token,
        "a missing column",
        "名册.csv",
        missing.as_bytes(),
        &["缺少“性别”列"],
    )
    .await;

    let merged = xlsx_with(&[good(1), good(2)], |sheet| {
        let f = rust_xlsxwriter::Format::new();
        sheet.merge_range(1, 4, 2, 4, "经济界", &f).unwrap();
    });
    refused(
        &app,
        &token,
        "merged cells",
        "名册.xlsx",
        &merged,
        &["第2行 E列（界别）", "E2:E3", "合并单元格"],
    )
    .await;

    let mut bad_date = good(1);
    bad_date[11] = "2011-13-45".into();
    refused(
        &app,
        &token,
        "a date that is no date",
        "名册.csv",
        &csv(&[bad_date]),
        &["第2行 L列（任职日期）", "2011-13-45"],
    )
    .await;

    let as_number = xlsx_with(&[good(1), good(2)], |sheet| {
        sheet.write_number(2, 8, 4.10103198001011e17).unwrap();
    });
    refused(
        &app,
        &token,
        "an ID number Excel made a number",
        "名册.xlsx",
        &as_number,
        &["第3行 I列（身份证号）", "E+17", "文本"],
    )
    .await;
    let mut scientific = good(1);
    scientific[8] = "4.10103E+17".into();
    refused(
        &app,
        &token,
        "an ID number saved as 4.10103E+17",
        "名册.csv",
        &csv(&[scientific]),
        &["第2行 I列（身份证号）", "4.10103E+17", "文本"],
    )
    .await;

    let mut twice = good(2);
    twice[0] = "另一个名字".into();
    twice[8] = good(1)[8].clone();
    refused(
        &app,
        &token,
        "the same ID number twice",
        "名册.csv",
        &csv(&[good(1), good(3), twice]),
        &["第4行 I列（身份证号）", "与第2行的身份证号相同"],
    )
    .await;

    let formula = xlsx_with(&[good(1)], |sheet| {
        sheet.write_formula(1, 9, "=3+4").unwrap();
    });
    refused(
        &app,
        &token,
        "a formula",
        "名册.xlsx",
        &formula,
        &["第2行 J列（届次）", "公式"],
    )
    .await;

    // One bad row among good ones: none of them is imported.
    let mut bad_phone = good(5);
    bad_phone[7] = "12345".into();
    let mut bad_party = good(6);
    bad_party[3] = "国民党".into();
    refused(
        &app,
        &token,
        "one bad row",
        "名册.csv",
        &csv(&[good(4), bad_phone, bad_party, good(7)]),
        &[
            "第3行 H列（手机号）",
            "第4行 D列（党派）",
            "国民党",
            "九三学社社员",
        ],
    )
    .await;

    // A dry run lists the same problems with a 200, and imports nothing.
    let mut bad_phone = good(5);
    bad_phone[7] = "12345".into();
    let (status, preview) = send(
        &app,
        &token,
        PREVIEW,
        "名册.csv",
        &csv(&[good(4), bad_phone]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["invalid"], 1);
    assert_eq!(preview["rows"][1]["action"], "invalid");
    assert_eq!(preview["problems"][0]["row"], 3);
    assert_eq!(preview["problems"][0]["column"], "H");
    assert_eq!(preview["problems"][0]["header"], "手机号");

    // 50 MB: refused before it is read, with the limit named.
    let big = vec![b'a'; 50 * 1024 * 1024];
    refused(&app, &token, "a 50 MB file", "名册.csv", &big, &["16 MiB"]).await;
    assert_eq!(app.audit_count("import").await, 0);
}
dual_test!(
    bad_files_are_refused_by_row_and_column_t,
    bad_files_are_refused_by_row_and_column
);

async fn a_stale_preview_is_refused(app: TestApp) {
    let token = app.token("staff").await;
    let a = id_number("19800101", "211");
    let file = csv(&[row("预览甲", &a, "13900000001", "2011-03-01", "")]);
    let (status, _) = send(&app, &token, IMPORT, "r.csv", &file).await;
    assert_eq!(status, StatusCode::OK);
    let changed = csv(&[row("预览甲", &a, "13900000002", "2011-03-01", "")]);
    let (_, preview) = send(&app, &token, PREVIEW, "r.csv", &changed).await;
    assert_eq!(preview["updated"], 1);
    let fingerprint = preview["preview"].as_str().unwrap().to_string();

    // Someone edits the member between the preview and the confirmation.
    let member = member_named(&app, &token, "预览甲").await;
    let mut body = member.clone();
    body["position"] = json!("副校长");
    body["id_number"] = json!(a);
    body["phone"] = json!("13900000001");
    let (status, saved) = app
        .api_send(
            Method::PUT,
            &token,
            &format!("/api/v1/members/{}", member["id"]),
            &body,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");

    let (status, answer) = send(
        &app,
        &token,
        &format!("{IMPORT}&preview={fingerprint}"),
        "r.csv",
        &changed,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(answer["error"], "import_preview_stale");
    let after = member_named(&app, &token, "预览甲").await;
    assert_eq!(after["position"], "副校长", "the edit is kept");
    assert_eq!(
        after["phone_masked"], "139****0001",
        "the import wrote nothing"
    );
}
dual_test!(a_stale_preview_is_refused_t, a_stale_preview_is_refused);

async fn only_staff_import(app: TestApp) {
    let file = csv(&[row(
        "越权",
        &id_number("19800101", "311"),
        "13900000001",
        "",
        "",
    )]);
    for user in ["member", "admin", "department", "auditor"] {
        let token = app.token(user).await;
        let (status, _) = send(&app, &token, IMPORT, "r.csv", &file).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{user}");
        let (status, _) = app.api_get(&token, "/api/v1/members/import/template").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{user}");
    }
}
dual_test!(only_staff_import_t, only_staff_import);

async fn get_bytes(app: &TestApp, token: &str, path: &str) -> (StatusCode, String, Vec<u8>) {
    let r = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let content_type = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, content_type, r.bytes().await.unwrap().to_vec())
}

async fn templates_download_and_import_cleanly(app: TestApp) {
    use calamine::{Data, Reader, Xlsx};
    let token = app.token("staff").await;
    let before = app.count("members").await;
    let (status, content_type, bytes) =
        get_bytes(&app, &token, "/api/v1/members/import/template?format=xlsx").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.contains("spreadsheetml"), "{content_type}");
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.clone())).unwrap();
    let sheets = book.sheet_names();
    assert_eq!(sheets, vec!["委员名册".to_string(), "填写说明".to_string()]);
    let range = book.worksheet_range("委员名册").unwrap();
    let header: Vec<String> = range
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(header, HEADER.map(String::from).to_vec());
    let example: Vec<&Data> = range.rows().nth(1).unwrap().iter().collect();
    assert!(
        matches!(example[8], Data::String(s) if s.len() == 18),
        "the ID number is text: {:?}",
        example[8]
    );
    assert!(
        matches!(example[11], Data::DateTime(_)),
        "{:?}",
        example[11]
    );
    let notes = book.worksheet_range("填写说明").unwrap();
    assert!(notes.rows().any(|r| r[0].to_string().contains("身份证号")));

    // Imported as downloaded: the example row is left out, nothing else happens.
    let (status, done) = send(&app, &token, IMPORT, "模板.xlsx", &bytes).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!((&done["skipped"], &done["created"]), (&json!(1), &json!(0)));
    assert_eq!(done["rows"][0]["action"], "example");

    let (status, content_type, csv_bytes) =
        get_bytes(&app, &token, "/api/v1/members/import/template?format=csv").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/csv"));
    assert!(String::from_utf8_lossy(&csv_bytes).contains("姓名,性别,民族"));
    let (status, done) = send(&app, &token, IMPORT, "模板.csv", &csv_bytes).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["skipped"], 1);
    assert_eq!(app.count("members").await, before);

    // The template filled in: the example replaced by a member.
    let filled = xlsx_with(
        &[row(
            "模板填写",
            &id_number("19900909", "411"),
            "13900000004",
            "2011-03-01",
            "",
        )],
        |_| {},
    );
    let (status, done) = send(&app, &token, IMPORT, "模板.xlsx", &filled).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["created"], 1);

    let (status, _, dept) = get_bytes(
        &app,
        &token,
        "/api/v1/departments/import/template?format=xlsx",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, done) = send(
        &app,
        &token,
        "/api/v1/departments/import?dry_run=false",
        "d.xlsx",
        &dept,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["skipped"], 1);
    let (status, answer) = app
        .api_get(&token, "/api/v1/members/import/template?format=pdf")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
}
dual_test!(
    templates_download_and_import_cleanly_t,
    templates_download_and_import_cleanly
);

async fn departments_are_created_and_updated(app: TestApp) {
    let token = app.token("staff").await;
    let before = app.count("departments").await;
    let file = "\u{feff}单位名称,联系方式\r\n区教育局,025-1111\r\n区卫健委,\r\n";
    let path = "/api/v1/departments/import?dry_run=false";
    let (status, done) = send(&app, &token, path, "d.csv", file.as_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["created"], 2);
    assert_eq!(app.count("departments").await, before + 2);
    let file = "单位名称,联系方式\r\n区教育局,025-2222\r\n区卫健委,\r\n区教育局,025-3333\r\n";
    let (status, answer) = send(&app, &token, path, "d.csv", file.as_bytes()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        messages(&answer).contains("与第2行的单位名称相同"),
        "{answer}"
    );
    let file = "单位名称,联系方式\r\n区教育局,025-2222\r\n区卫健委,\r\n";
    let (status, done) = send(&app, &token, path, "d.csv", file.as_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(
        (&done["updated"], &done["unchanged"]),
        (&json!(1), &json!(1))
    );
    let (_, list) = app
        .api_get(&token, "/api/v1/departments?per_page=200")
        .await;
    let found = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "区教育局")
        .cloned()
        .unwrap();
    assert_eq!(found["contact"], "025-2222");
    assert_eq!(app.audit_count("import").await, 2);
}
dual_test!(
    departments_are_created_and_updated_t,
    departments_are_created_and_updated
);

async fn the_page_previews_then_imports(mut app: TestApp) {
    app.login("staff").await;
    let (status, html) = app.get_html("/members/import").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("下载模板"), "{html}");
    let csrf = csrf_in(&html);
    let before = app.count("members").await;
    let file = csv(&[row(
        "页面导入",
        &id_number("19881212", "511"),
        "13900000005",
        "",
        "",
    )]);
    let upload = |bytes: Vec<u8>| {
        app.client
            .post(app.url("/members/import"))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(multipart(
                &[("csrf", csrf.as_str()), ("kind", "members")],
                "名册.csv",
                &bytes,
            ))
            .send()
    };
    let r = upload(file.clone()).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("页面导入") && html.contains("新建"), "{html}");
    assert_eq!(
        app.count("members").await,
        before,
        "the preview writes nothing"
    );
    let value = |name: &str| {
        let marker = format!("name=\"{name}\" value=\"");
        let at = html.find(&marker).unwrap() + marker.len();
        html[at..].split('"').next().unwrap().to_string()
    };
    let (token, preview) = (value("token"), value("preview"));
    let r = app
        .post_form(
            "/members/import/confirm",
            &[("token", &token), ("preview", &preview)],
        )
        .await;
    let (status, html) = settled(&app, r).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("已导入"), "{html}");
    assert_eq!(app.count("members").await, before + 1);
    // Once imported, the token is spent.
    let r = app
        .post_form(
            "/members/import/confirm",
            &[("token", &token), ("preview", &preview)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(app.count("members").await, before + 1);

    // A bad file: the problems with their rows, and no confirm button.
    let mut bad = row("页面坏行", &id_number("19881212", "513"), "1", "", "");
    bad[1] = "男".into();
    let r = upload(csv(&[bad])).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("第2行 H列（手机号）"), "{html}");
    assert!(!html.contains("name=\"token\""));
    // The template downloads from the page.
    let r = app
        .get("/members/import/template?kind=members&format=csv")
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}
dual_test!(
    the_page_previews_then_imports_t,
    the_page_previews_then_imports
);

/// The page a confirmation leads to once its import has ended: at once, or
/// after following the progress page (a machine slow enough may send there).
async fn settled(app: &TestApp, mut r: reqwest::Response) -> (StatusCode, String) {
    for _ in 0..600 {
        let location = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let status = r.status();
        let html = r.text().await.unwrap();
        let next = match (status, location) {
            (StatusCode::SEE_OTHER, Some(to)) => to,
            _ if html.contains("class=\"import-progress\"") => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                let at = html.find("url=").unwrap() + 4;
                html[at..].split('"').next().unwrap().replace("&amp;", "&")
            }
            _ => return (status, html),
        };
        r = app.get(&next).await;
    }
    panic!("the import did not end");
}

/// An import still running when its confirmation returns: the page shows
/// how far it has got and asks again by itself (no script), only to the
/// one who started it; once it has ended, the next visit shows its outcome,
/// once.
async fn a_long_import_is_followed_on_its_progress_page(mut app: TestApp) {
    app.login("staff").await;
    let report = lvzhi::services::imports::ImportReport {
        kind: "members".into(),
        org_name: "进度测试委员会".into(),
        imported: true,
        created: 30_000,
        ..Default::default()
    };
    let (end, job) = crate::helpers::held_job(
        &app,
        &app.imports,
        "held-open",
        "staff",
        (12_000, 30_000),
        report,
    )
    .await;
    let path = "/members/import/progress?token=held-open";
    let (status, html) = app.get_html(path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("<meta http-equiv=\"refresh\" content=\"2;url=/members/import/progress?token=held-open\">"),
        "{html}"
    );
    assert!(
        html.contains("<progress max=\"30000\" value=\"12000\">"),
        "{html}"
    );
    assert!(html.contains("已写入 12000 行，共 30000 行"), "{html}");
    assert!(html.contains("离开本页不会中断导入"), "{html}");
    // Nobody else watches it; an unknown upload has no page.
    let watcher = crate::helpers::other_staff_browser(&app, "watcher").await;
    let r = watcher.client.get(watcher.url(path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let (status, _) = app
        .get_html("/members/import/progress?token=no-such-upload")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // It ends: the next visit shows the outcome, and only once.
    end.send(()).unwrap();
    assert!(job.wait(std::time::Duration::from_secs(10)).await);
    let (status, html) = app.get_html(path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("已导入进度测试委员会：新建 30000，更新 0，不变 0。"),
        "{html}"
    );
    assert!(!html.contains("import-progress") && !html.contains("http-equiv"));
    let (status, _) = app.get_html(path).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "taken once");
}
dual_test!(
    a_long_import_is_followed_on_its_progress_page_t,
    a_long_import_is_followed_on_its_progress_page
);

/// `lvzhi import members` on a SQLite file: a preview, the import, a refusal.
#[test]
fn the_command_line_imports() {
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_lvzhi"));
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
        let o = command.output().unwrap();
        (
            o.status.success(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (ok, _, err) = run(&["demo"]);
    assert!(ok, "{err}");
    let file = dir.path().join("roster.csv");
    std::fs::write(
        &file,
        csv(&[
            row(
                "命令甲",
                &id_number("19800101", "611"),
                "13900000006",
                "",
                "",
            ),
            row(
                "命令乙",
                &id_number("19800101", "612"),
                "13900000007",
                "",
                "",
            ),
        ]),
    )
    .unwrap();
    let file = file.display().to_string();
    let org = "长江路街道政协工委";
    let (ok, out, err) = run(&[
        "import",
        "members",
        "--org",
        org,
        "--file",
        &file,
        "--dry-run",
    ]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("新建 2"), "{out}");
    assert!(out.contains("没有写入"), "{out}");
    let (ok, out, err) = run(&["import", "members", "--org", org, "--file", &file]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("已导入"), "{out}");
    let (ok, out, _) = run(&["import", "members", "--org", org, "--file", &file]);
    assert!(ok);
    assert!(out.contains("不变 2"), "{out}");

    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        csv(&[row("命令丙", &id_number("19800101", "613"), "1", "", "")]),
    )
    .unwrap();
    let (ok, out, err) = run(&[
        "import",
        "members",
        "--org",
        org,
        "--file",
        &bad.display().to_string(),
    ]);
    assert!(!ok);
    assert!(out.contains("第2行 H列（手机号）"), "{out}");
    assert!(err.contains("没有导入任何记录"), "{err}");
}
