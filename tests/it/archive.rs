//! The archive (归档) as one place: a Word document is filed when it is
//! generated, once per content (downloaded again unchanged, nothing new; a
//! record changed, a new entry); items are browsed by year and kind on the
//! page and in the API, found by the words of their text through the search
//! by their committee's staff only, taken out only with a reason (audited,
//! kept, hidden by default, never deleted); attachments are listed with
//! their record and download as they always have.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::dual_test;
use crate::helpers::{member_named, spawn_app_configured, TestApp};

/// A file as the API downloads it: status and bytes.
async fn download(app: &TestApp, token: &str, path: &str) -> (StatusCode, Vec<u8>) {
    let r = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.bytes().await.unwrap().to_vec())
}

fn items(list: &Value) -> &Vec<Value> {
    list["items"].as_array().unwrap()
}

/// `create` rows the archive wrote.
async fn filings(app: &TestApp) -> i64 {
    lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'create' AND object_type = 'archive_document'")
        .fetch_one(pool).await)
    .unwrap()
}

/// A staff account of a second committee, 建设路街道政协工委 (`jianshe`).
async fn other_committee_staff(app: &TestApp) -> String {
    crate::helpers::staff_at(app, "jianshe", Some("建设路街道政协工委")).await
}

async fn an_award_for(app: &TestApp, token: &str, member: i64, title: &str) -> i64 {
    let (status, award) = app
        .api_post(
            token,
            "/api/v1/awards",
            &json!({ "member_id": member, "year": 2011, "category": "new_suggestion",
                     "title": title, "evidence": "建议被区政府采纳", "status": "awarded" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{award}");
    award["id"].as_i64().unwrap()
}

async fn a_document_is_filed_once_per_content(app: TestApp) {
    let staff = app.token("staff").await;
    let meng = member_named(&app, "孟爱云").await;
    assert_eq!(app.count("archive_documents").await, 0);
    let duty = format!("/api/v1/members/{meng}/duty-file?year=2011");

    // Generated twice, unchanged: the same bytes, filed once, the filing audited.
    let (status, first) = download(&app, &staff, &duty).await;
    assert_eq!(status, StatusCode::OK);
    let (_, again) = download(&app, &staff, &duty).await;
    assert_eq!(first, again, "the same document is the same bytes");
    assert_eq!(app.count("archive_documents").await, 1);
    assert_eq!(filings(&app).await, 1);
    // Markdown is the same text for other uses: not filed.
    let (status, _) = download(&app, &staff, &format!("{duty}&format=md")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.count("archive_documents").await, 1);

    let (status, list) = app
        .api_get(&staff, "/api/v1/archive?year=2011&kind=duty_file")
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["total"], 1, "{list}");
    let item = &items(&list)[0];
    assert_eq!(item["kind"], "duty_file");
    assert_eq!(item["title"], "孟爱云2011年度履职情况登记表");
    assert_eq!(item["year"], 2011);
    assert_eq!(item["org_name"], "长江路街道政协工委");
    assert_eq!(item["record"]["type"], "member");
    assert_eq!(item["record"]["id"], meng);
    assert_eq!(item["record"]["title"], "孟爱云");
    assert_eq!(item["record"]["url"], format!("/members/{meng}?year=2011"));
    assert_eq!(item["file_name"], "duty_孟爱云_2011.docx");
    assert_eq!(item["size_bytes"], first.len());
    assert!(item["filed_by"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(item["withdrawn_on"].is_null());
    let id = item["id"].as_i64().unwrap();

    // Its record changes (an award of 2011 joins her duty file): a new entry.
    an_award_for(&app, &staff, meng, "关于完善社区养老服务的建议").await;
    let (_, changed) = download(&app, &staff, &duty).await;
    assert_ne!(changed, first);
    assert_eq!(app.count("archive_documents").await, 2);
    let (_, list) = app
        .api_get(&staff, "/api/v1/archive?year=2011&kind=duty_file")
        .await;
    assert_eq!(list["total"], 2);

    // The first entry reads back as filed: its text, its file (audited).
    let (status, d) = app
        .api_get(&staff, &format!("/api/v1/archive/documents/{id}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    let text = d["text"].as_str().unwrap();
    assert!(text.starts_with("# 孟爱云2011年度履职情况登记表"), "{text}");
    assert!(!text.contains("关于完善社区养老服务的建议"));
    assert_eq!(d["sha256"].as_str().unwrap().len(), 64);
    let exports = app.audit_count("export").await;
    let (status, filed) = download(
        &app,
        &staff,
        &format!("/api/v1/archive/documents/{id}/file"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(filed, first);
    assert_eq!(app.audit_count("export").await, exports + 1);

    // The other documents: a session's compilation, a half-year's summary.
    let (status, _) = download(&app, &staff, "/api/v1/proposals/compilation?session=2011").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = download(&app, &staff, "/api/v1/reports/summary/file?period=2011-H1").await;
    assert_eq!(status, StatusCode::OK);
    let (_, all) = app.api_get(&staff, "/api/v1/archive?year=2011").await;
    assert_eq!(all["total"], 4, "{all}");
    let (_, compiled) = app
        .api_get(&staff, "/api/v1/archive?kind=compilation")
        .await;
    assert_eq!(compiled["total"], 1);
    assert_eq!(
        items(&compiled)[0]["title"],
        "长江路街道政协工委2011年度提案汇编"
    );
    assert_eq!(
        items(&compiled)[0]["record"]["url"],
        format!(
            "/proposals?org={}&session=2011",
            items(&compiled)[0]["org_id"]
        )
    );
    let (_, summary) = app
        .api_get(&staff, "/api/v1/archive?kind=summary_file")
        .await;
    assert!(items(&summary)[0]["record"]["url"]
        .as_str()
        .unwrap()
        .ends_with("&period=2011-H1"));
    let (_, none) = app.api_get(&staff, "/api/v1/archive?year=2010").await;
    assert_eq!(none["total"], 0);
    // Found by words of the text; a page at a time.
    let (_, found) = app
        .api_get(&staff, "/api/v1/archive?q=关于完善社区养老服务的建议")
        .await;
    assert_eq!(found["total"], 1, "{found}");
    let (_, paged) = app
        .api_get(&staff, "/api/v1/archive?year=2011&per_page=3&page=2")
        .await;
    assert_eq!((paged["total"].as_i64(), items(&paged).len()), (Some(4), 1));
    // Bad filters are named.
    for (query, field) in [
        ("kind=xlsx", "kind"),
        ("year=11", "year"),
        ("withdrawn=maybe", "withdrawn"),
        ("page=0", "page"),
    ] {
        let (status, e) = app
            .api_get(&staff, &format!("/api/v1/archive?{query}"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {e}");
        assert_eq!(e["fields"][0]["field"], field, "{e}");
    }
    // The archive is staff's.
    for user in ["member", "department"] {
        let token = app.token(user).await;
        let (status, _) = app.api_get(&token, "/api/v1/archive").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{user}");
    }

    // The page: by year and kind, as selects; the line on Excel exports.
    let mut app = app;
    app.login("staff").await;
    let (status, html) = app
        .get_html("/reports/archive?year=2011&kind=duty_file")
        .await;
    assert_eq!(status, StatusCode::OK);
    for words in [
        "孟爱云2011年度履职情况登记表",
        "<select name=\"year\"",
        "<select name=\"kind\"",
        "<option value=\"duty_file\" selected>履职情况登记表</option>",
        "Excel导出不归档",
        &format!("/reports/archive/documents/{id}"),
        &format!("/members/{meng}?year=2011"),
    ] {
        assert!(html.contains(words), "{words} on the page");
    }
    assert!(!html.contains("提案汇编</a>"), "only the kind chosen");
    let (status, html) = app
        .get_html(&format!("/reports/archive/documents/{id}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("孟爱云2011年度履职情况登记表") && html.contains("移出档案"));
    let r = app
        .get(&format!("/reports/archive/documents/{id}/file"))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.unwrap().to_vec(), first);
    let (status, _) = app.get_html("/reports/archive?kind=nothing").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
dual_test!(
    a_document_is_filed_once_per_content_t,
    a_document_is_filed_once_per_content
);

async fn the_search_finds_filed_documents_for_their_staff_only(app: TestApp) {
    let staff = app.token("staff").await;
    let meng = member_named(&app, "孟爱云").await;
    an_award_for(&app, &staff, meng, "关于增设社区智慧书屋的建议").await;
    let (status, _) = download(
        &app,
        &staff,
        &format!("/api/v1/members/{meng}/duty-file?year=2011"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let id: i64 = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM archive_documents").fetch_one(pool).await)
    .unwrap();
    let query = "/api/v1/search?q=智慧书屋&kind=archive";
    let (status, found) = app.api_get(&staff, query).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["total"], 1, "{found}");
    let hit = &found["items"][0];
    assert_eq!(hit["kind"], "archive");
    assert_eq!(hit["url"], format!("/reports/archive/documents/{id}"));
    // Not an archive hit for the member herself, nor for a department.
    for user in ["member", "department"] {
        let token = app.token(user).await;
        let (_, found) = app.api_get(&token, query).await;
        assert_eq!(found["total"], 0, "{user}: {found}");
    }
    // Another committee's staff: not in their search, archive or by id.
    let other = other_committee_staff(&app).await;
    let (_, found) = app.api_get(&other, query).await;
    assert_eq!(found["total"], 0, "{found}");
    let (_, list) = app.api_get(&other, "/api/v1/archive").await;
    assert_eq!(list["total"], 0);
    for path in [
        format!("/api/v1/archive/documents/{id}"),
        format!("/api/v1/archive/documents/{id}/file"),
    ] {
        let (status, _) = app.api_get(&other, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (status, _) = app
        .api_post(
            &other,
            &format!("/api/v1/archive/documents/{id}/withdraw"),
            &json!({"reason": "越权"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The search page offers the kind, and shows the hit.
    let mut app = app;
    app.login("staff").await;
    let (_, html) = app.get_html("/search?q=智慧书屋&kind=archive").await;
    assert!(html.contains("<option value=\"archive\" selected>档案</option>"));
    assert!(html.contains(&format!("/reports/archive/documents/{id}")));

    // Taken out of the archive, it is no longer found.
    let (status, _) = app
        .api_post(
            &staff,
            &format!("/api/v1/archive/documents/{id}/withdraw"),
            &json!({"reason": "登记有误，重新生成"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, found) = app.api_get(&staff, query).await;
    assert_eq!(found["total"], 0, "{found}");
}
dual_test!(
    the_search_finds_filed_documents_for_their_staff_only_t,
    the_search_finds_filed_documents_for_their_staff_only
);

async fn taking_out_needs_a_reason_and_is_audited(app: TestApp) {
    let staff = app.token("staff").await;
    let compilation = "/api/v1/proposals/compilation?session=2011";
    download(&app, &staff, compilation).await;
    let (_, list) = app
        .api_get(&staff, "/api/v1/archive?kind=compilation")
        .await;
    let id = items(&list)[0]["id"].as_i64().unwrap();
    let path = format!("/api/v1/archive/documents/{id}/withdraw");

    // No reason: refused in Chinese, naming the field; nothing changes.
    let withdrawals = app.audit_count("withdraw").await;
    for body in [json!({}), json!({"reason": "   "})] {
        let (status, e) = app.api_post(&staff, &path, &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["fields"][0]["field"], "reason", "{e}");
        assert!(
            e["fields"][0]["message"]
                .as_str()
                .unwrap()
                .contains("不能为空"),
            "{e}"
        );
    }
    assert_eq!(app.audit_count("withdraw").await, withdrawals);

    let (status, out) = app
        .api_post(&staff, &path, &json!({"reason": "汇编有误，已重新编印"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["withdrawn_reason"], "汇编有误，已重新编印");
    assert!(out["withdrawn_by"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(app.audit_count("withdraw").await, withdrawals + 1);
    let detail: String = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, String>(
        "SELECT detail FROM audit_log WHERE action = 'withdraw' AND object_type = 'archive_document'")
        .fetch_one(pool).await)
    .unwrap();
    assert!(detail.contains("汇编有误，已重新编印"), "{detail}");
    // Again: already out.
    let (status, _) = app
        .api_post(&staff, &path, &json!({"reason": "再次"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Hidden by default, shown among those taken out, still readable.
    let (_, filed) = app
        .api_get(&staff, "/api/v1/archive?kind=compilation")
        .await;
    assert_eq!(filed["total"], 0);
    let (_, out) = app
        .api_get(&staff, "/api/v1/archive?kind=compilation&withdrawn=true")
        .await;
    assert_eq!(out["total"], 1);
    let (status, _) = download(
        &app,
        &staff,
        &format!("/api/v1/archive/documents/{id}/file"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // Generated again unchanged: not filed again, and still out.
    download(&app, &staff, compilation).await;
    assert_eq!(app.count("archive_documents").await, 1);
    // Never deleted, not even in the database.
    let deleted = lvzhi::on_db!(&app.db, pool => sqlx::query("DELETE FROM archive_documents")
        .execute(pool).await.map(|_| ()));
    assert!(deleted.is_err(), "the database refuses to delete");
    assert_eq!(app.count("archive_documents").await, 1);

    // The page asks first, then takes it out.
    download(&app, &staff, "/api/v1/reports/summary/file?period=2011-H1").await;
    let (_, list) = app
        .api_get(&staff, "/api/v1/archive?kind=summary_file")
        .await;
    let second = items(&list)[0]["id"].as_i64().unwrap();
    let mut app = app;
    app.login("staff").await;
    let form = format!("/reports/archive/documents/{second}/withdraw");
    let r = app.post_form(&form, &[("reason", "重复归档")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app.post_form(&form, &[("confirm", "yes")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("不能为空"), "the reason's error is shown");
    let r = app
        .post_form(&form, &[("reason", "重复归档"), ("confirm", "yes")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = app
        .get_html(&format!("/reports/archive/documents/{second}"))
        .await;
    assert!(html.contains("重复归档") && html.contains("已移出档案"));
    let (_, html) = app.get_html("/reports/archive?withdrawn=true").await;
    assert!(html.contains("重复归档"));
    let (_, html) = app.get_html("/reports/archive").await;
    assert!(!html.contains("重复归档"));
}
dual_test!(
    taking_out_needs_a_reason_and_is_audited_t,
    taking_out_needs_a_reason_and_is_audited
);

async fn saved_summaries_are_in_the_same_archive(app: TestApp) {
    let staff = app.token("staff").await;
    let (status, saved) = app
        .api_post(
            &staff,
            "/api/v1/reports/summaries",
            &json!({"period": "2011-H1", "text": "# 上半年工作总结\n\n工委认真履职，开展读书沙龙。\n"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    let id = saved["summary"]["id"].as_i64().unwrap();
    let (_, list) = app
        .api_get(&staff, "/api/v1/archive?kind=summary&year=2011")
        .await;
    assert_eq!(list["total"], 1, "{list}");
    let item = &items(&list)[0];
    assert_eq!(item["id"], id);
    assert_eq!(item["url"], format!("/reports/summaries/{id}"));
    assert!(item["record"]["url"]
        .as_str()
        .unwrap()
        .contains("from=2011-01-01&to=2011-06-30"));
    // The search finds its text.
    let (_, found) = app
        .api_get(&staff, "/api/v1/search?q=读书沙龙&kind=archive")
        .await;
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(found["items"][0]["url"], format!("/reports/summaries/{id}"));
}
dual_test!(
    saved_summaries_are_in_the_same_archive_t,
    saved_summaries_are_in_the_same_archive
);

// ---------------------------------------------------------------------------
// Attachments

async fn attachments_are_listed_with_their_record(app: TestApp) {
    let staff = app.token("staff").await;
    let meng = member_named(&app, "孟爱云").await;
    let award = an_award_for(&app, &staff, meng, "关于社区停车难的建议").await;
    let (status, saved) = crate::activities::upload(
        &app,
        &staff,
        &format!("/api/v1/awards/{award}/attachments"),
        "区政府采纳批复.pdf",
        &crate::attachments::pdf(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    let file = saved["id"].as_i64().unwrap();

    let (_, list) = app
        .api_get(&staff, "/api/v1/archive?kind=attachment&year=2011")
        .await;
    assert_eq!(list["total"], 1, "{list}");
    let item = &items(&list)[0];
    assert_eq!(item["id"], file);
    assert_eq!(item["title"], "区政府采纳批复.pdf");
    assert_eq!(item["org_name"], "长江路街道政协工委");
    assert_eq!(item["record"]["type"], "award");
    assert_eq!(item["record"]["id"], award);
    assert_eq!(item["record"]["title"], "关于社区停车难的建议");
    assert_eq!(
        item["record"]["url"],
        format!("/awards?member={meng}&year=2011")
    );
    assert_eq!(item["download_url"], format!("/attachments/{file}"));
    // Found by its name.
    let (_, found) = app
        .api_get(&staff, "/api/v1/search?q=采纳批复&kind=archive")
        .await;
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(
        found["items"][0]["url"],
        format!("/reports/archive/attachments/{file}")
    );

    // Downloaded by those who could before, and no one else.
    let other = other_committee_staff(&app).await;
    let download_path = format!("/api/v1/attachments/{file}");
    for (user, token, expected) in [
        ("staff", staff.clone(), StatusCode::OK),
        (
            "member (her own award)",
            app.token("member").await,
            StatusCode::OK,
        ),
        ("another committee", other.clone(), StatusCode::NOT_FOUND),
    ] {
        let (status, _) = download(&app, &token, &download_path).await;
        assert_eq!(status, expected, "{user}");
    }
    let (status, _) = app
        .api_get(&other, &format!("/api/v1/archive/attachments/{file}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Taken out with a reason: hidden by default, still on its record.
    let path = format!("/api/v1/archive/attachments/{file}/withdraw");
    let (status, e) = app.api_post(&staff, &path, &json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["fields"][0]["field"], "reason");
    let (status, out) = app
        .api_post(&staff, &path, &json!({"reason": "误传的文件"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let detail: String = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, String>(
        "SELECT detail FROM audit_log WHERE action = 'withdraw' AND object_type = 'attachment'")
        .fetch_one(pool).await)
    .unwrap();
    assert!(detail.contains("误传的文件"), "{detail}");
    let (_, list) = app.api_get(&staff, "/api/v1/archive?kind=attachment").await;
    assert_eq!(list["total"], 0);
    let (_, list) = app
        .api_get(&staff, "/api/v1/archive?kind=attachment&withdrawn=true")
        .await;
    assert_eq!(list["total"], 1);
    let (status, _) = download(&app, &staff, &download_path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.count("attachments").await, 1);
    let (_, found) = app
        .api_get(&staff, "/api/v1/search?q=采纳批复&kind=archive")
        .await;
    assert_eq!(found["total"], 0, "{found}");

    // The pages.
    let mut app = app;
    app.login("staff").await;
    let (status, html) = app
        .get_html("/reports/archive?kind=attachment&withdrawn=true")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("区政府采纳批复.pdf") && html.contains("误传的文件"));
    let (status, html) = app
        .get_html(&format!("/reports/archive/attachments/{file}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!("/attachments/{file}")) && html.contains("关于社区停车难的建议")
    );
}

mod attachments_are_listed_with_their_record_t {
    async fn app(backend: lvzhi::storage::Backend) -> (super::TestApp, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let files = dir.path().join("attachments");
        let app = super::spawn_app_configured(backend, true, |s| s.attachments_dir = files).await;
        (app, dir)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let (app, _dir) = app(lvzhi::storage::Backend::Sqlite).await;
        super::attachments_are_listed_with_their_record(app).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        if crate::helpers::postgres_skipped() {
            eprintln!("PostgreSQL side skipped (LVZHI_TEST_POSTGRES=skip)");
            return;
        }
        let (app, _dir) = app(lvzhi::storage::Backend::Postgres).await;
        super::attachments_are_listed_with_their_record(app).await;
    }
}
