//! Work summaries: the demo committee's first half of 2011 states the seed's
//! figures because the records hold them; a new visitor changes the draft;
//! the Word file opens with its text and official layout; every download is
//! audited; bad input is named in Chinese; only staff draft, within scope.

use std::io::Read;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::dual_test;
use crate::helpers::TestApp;

const H1: &str = "/api/v1/reports/summary?period=2011-H1";

fn text_of(draft: &Value) -> String {
    let mut out = vec![draft["title"].as_str().unwrap_or_default().to_string()];
    for b in draft["blocks"].as_array().unwrap() {
        match b["kind"].as_str() {
            Some("table") => {
                for r in b["rows"].as_array().unwrap() {
                    let cells: Vec<&str> = r
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|c| c.as_str().unwrap())
                        .collect();
                    out.push(cells.join("\t"));
                }
            }
            Some("chart") => {
                out.push(b["caption"].as_str().unwrap().to_string());
                for r in b["rows"].as_array().unwrap() {
                    let mut cells = vec![r["label"].as_str().unwrap().to_string()];
                    cells.extend(
                        r["values"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|v| v.as_i64().unwrap().to_string()),
                    );
                    out.push(cells.join("\t"));
                }
            }
            _ => out.push(b["text"].as_str().unwrap().to_string()),
        }
    }
    out.join("\n")
}

fn docx_part(bytes: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut file = archive.by_name(name).unwrap();
    let mut text = String::new();
    file.read_to_string(&mut text).unwrap();
    text
}

async fn first_reception_day_of_2011(app: &TestApp) -> i64 {
    lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT d.id FROM reception_days d JOIN orgs o ON o.id = d.org_id \
         WHERE o.name = '长江路街道政协工委' AND d.held_on >= '2011-01-01' AND d.held_on <= '2011-06-30' \
         ORDER BY d.held_on LIMIT 1")
        .fetch_one(pool).await)
    .unwrap()
}

async fn the_demo_half_year_states_the_seed_figures(app: TestApp) {
    let staff = app.token("staff").await;
    let (status, d) = app.api_get(&staff, H1).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["title"], "长江路街道政协工委2011年上半年工作总结");
    let f = &d["figures"];
    assert_eq!(
        (&f["members"], &f["groups"], &f["communities"]),
        (&json!(14), &json!(4), &json!(4))
    );
    assert_eq!(
        (&f["projects"]["key"], &f["projects"]["self_set"]),
        (&json!(7), &json!(4))
    );
    assert_eq!(
        (&f["reception"]["visitors"], &f["reception"]["cases"]),
        (&json!(12), &json!(5))
    );
    let text = text_of(&d);
    for expected in [
        "工委现有政协委员14名，分为4个小组，联系辖区4个社区。",
        "2011年，辖区共有重点项目7个、自定项目4个。其中，动工在建项目3个、续建项目3个",
        "二七万达广场项目，该项目总投资40亿元，截至2011年12月31日，已完成投资16亿元，超额完成全年目标13亿元的23%",
        "高砦城中村改造项目，截至2011年12月31日，房屋已兑付394宅，约90%，已拆除347宅，约79%",
        // Each project's share of its year's target, as a chart (values in
        // hundredths of a percent).
        "重点项目全年投资目标完成情况（%）\n二七万达广场\t12300",
        "接待群众12人、来访事件5起",
        // The demo's 2011 plan, checked as the half-year closed: a year's
        // rule is still running, a monthly one kept.
        "对照工作计划，各项指标完成情况",
        "委员会每月举办委员接待日不少于1次\t已完成",
        "每位委员全年提交提案不少于1件\t应完成14人次，已完成10人次，尚在进行4人次",
        "2011年下半年工作计划",
        "1、认真参加区政协组织的各项会议和活动",
    ] {
        assert!(text.contains(expected), "{expected}\n--- in ---\n{text}");
    }
    // No clause of nothing: the wording follows the numbers.
    assert!(
        !text.contains("0起") && !text.contains("0件") && !text.contains("0条"),
        "{text}"
    );
    assert!(d["markdown"]
        .as_str()
        .unwrap()
        .starts_with("# 长江路街道政协工委2011年上半年工作总结\n"));

    // A citizen more, with a case: drafted again, the figures follow.
    let day = first_reception_day_of_2011(&app).await;
    let (status, v) = app
        .api_post(
            &staff,
            &format!("/api/v1/reception-days/{day}/visits"),
            &json!({"people": 1, "community": "高砦社区", "summary": "路灯不亮", "outcome": "case",
                    "cases": [{"subject": "路灯不亮", "description": "高砦村北口路灯损坏"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let (_, d) = app.api_get(&staff, H1).await;
    assert!(
        text_of(&d).contains("接待群众13人、来访事件6起"),
        "{}",
        text_of(&d)
    );
}

dual_test!(
    the_demo_half_year_states_the_seed_figures_t,
    the_demo_half_year_states_the_seed_figures
);

/// A summary counts the members serving on its last day: one who left in
/// August is among the half-year's members, not the year's.
async fn a_summary_counts_who_served_on_its_last_day(app: TestApp) {
    let staff = app.token("staff").await;
    let mut body = crate::helpers::member_body("八月离任", "19760202", "045");
    body["joined_on"] = json!("2010-03-01");
    let (status, m) = app.api_post(&staff, "/api/v1/members", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    let members = |period: &'static str| {
        let app = &app;
        let staff = staff.clone();
        async move {
            let (status, d) = app
                .api_get(&staff, &format!("/api/v1/reports/summary?period={period}"))
                .await;
            assert_eq!(status, StatusCode::OK, "{d}");
            d["figures"]["members"].as_i64().unwrap()
        }
    };
    assert_eq!((members("2011-H1").await, members("2011").await), (15, 15));
    body["status"] = json!("resigned");
    body["left_on"] = json!("2011-08-15");
    body["version"] = m["version"].clone();
    let (status, left) = app
        .api_send(
            reqwest::Method::PUT,
            &staff,
            &format!("/api/v1/members/{}", m["id"]),
            &body,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{left}");
    assert_eq!((members("2011-H1").await, members("2011").await), (15, 14));
}
dual_test!(
    a_summary_counts_who_served_on_its_last_day_t,
    a_summary_counts_who_served_on_its_last_day
);

async fn the_word_file_reads_back_and_is_audited(app: TestApp) {
    let staff = app.token("staff").await;
    let exports = app.audit_count("export").await;
    let r = app
        .client
        .get(app.url("/api/v1/reports/summary/file?period=2011-H1&format=docx"))
        .bearer_auth(&staff)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    let bytes = r.bytes().await.unwrap();
    let doc = docx_part(&bytes, "word/document.xml");
    for expected in [
        "长江路街道政协工委2011年上半年工作总结",
        "超额完成全年目标13亿元的23%",
        "接待群众12人、来访事件5起",
        // The issuer and the date close it.
        "2011年6月30日",
        // GB/T 9704: A4, 37 mm top and 28 mm left margins, 22 lines a page,
        // the title in 小标宋 and the body in 仿宋.
        "w:w=\"11906\"",
        "w:h=\"16838\"",
        "w:top=\"2098\"",
        "w:left=\"1587\"",
        "w:linePitch=\"580\"",
        "w:eastAsia=\"方正小标宋简体\"",
        "w:eastAsia=\"仿宋_GB2312\"",
        "w:eastAsia=\"黑体\"",
    ] {
        assert!(doc.contains(expected), "{expected} in document.xml");
    }
    // The investment chart is a native Word chart with the figures.
    assert!(
        doc.contains("r:id=\"rIdLvzhiChart1\""),
        "the chart's drawing"
    );
    let chart = docx_part(&bytes, "word/charts/chart1.xml");
    for expected in [
        "<a:t>重点项目全年投资目标完成情况（%）</a:t>",
        "<c:v>二七万达广场</c:v>",
        "<c:v>123</c:v>",
    ] {
        assert!(chart.contains(expected), "{expected} in chart1.xml");
    }
    let footers: Vec<String> = (1..=2)
        .map(|i| docx_part(&bytes, &format!("word/footer{i}.xml")))
        .collect();
    assert!(footers
        .iter()
        .all(|f| f.contains("PAGE") && f.contains("— ")));
    assert_eq!(app.audit_count("export").await, exports + 1);
    let detail: String = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, String>(
        "SELECT detail FROM audit_log WHERE action = 'export' AND object_type = 'summary' ORDER BY id DESC LIMIT 1")
        .fetch_one(pool).await)
    .unwrap();
    assert!(
        detail.contains("format=docx")
            && detail.contains("via=api")
            && detail.contains("from=2011-01-01"),
        "{detail}"
    );

    // Markdown and HTML, from the page as well.
    let mut app = app;
    app.login("staff").await;
    let r = app
        .get("/reports/summary/file?period=2011-H1&format=md")
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/markdown"));
    let md = r.text().await.unwrap();
    assert!(md.contains("## 一、服务大局"), "{md}");
    let r = app
        .get("/reports/summary/file?period=2011-H1&format=html")
        .await;
    let html = r.text().await.unwrap();
    assert!(html.contains("<h1>长江路街道政协工委2011年上半年工作总结</h1>"));
    assert_eq!(app.audit_count("export").await, exports + 3);
    // The page shows the draft and offers the downloads.
    let (status, page) = app.get_html("/reports/summary?period=2011-H1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("接待群众12人、来访事件5起"));
    assert!(page.contains("/reports/summary/file?org=") && page.contains("format=docx"));
}

dual_test!(
    the_word_file_reads_back_and_is_audited_t,
    the_word_file_reads_back_and_is_audited
);

async fn bad_input_is_named_and_only_staff_draft(app: TestApp) {
    let staff = app.token("staff").await;
    let cases: [(&str, &str, &str); 6] = [
        ("period=2011-H3", "period", "周期"),
        ("from=2011-07-01", "to", "截止"),
        ("to=2011-07-01", "from", ""),
        ("from=2011-07-01&to=2011-06-01", "to", ""),
        (
            "period=2011&from=2011-01-01&to=2011-02-01",
            "period",
            "二者选一",
        ),
        ("org=99999", "org", ""),
    ];
    for (query, field, words) in cases {
        let (status, e) = app
            .api_get(&staff, &format!("/api/v1/reports/summary?{query}"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {e}");
        let found = e["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["field"] == field)
            .unwrap_or_else(|| panic!("{query}: no error on {field}: {e}"));
        assert!(
            found["message"].as_str().unwrap().contains(words),
            "{query}: {found}"
        );
    }
    let (status, e) = app
        .api_get(
            &staff,
            "/api/v1/reports/summary/file?period=2011&format=pdf",
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(e.to_string().contains("docx"), "{e}");
    // A member and a department handler do not draft summaries.
    for user in ["member", "department"] {
        let token = app.token(user).await;
        let (status, _) = app.api_get(&token, H1).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{user}");
    }
}

dual_test!(
    bad_input_is_named_and_only_staff_draft_t,
    bad_input_is_named_and_only_staff_draft
);

/// The plan's work-summary rule for a half-year: its status and count.
async fn summary_rule(app: &TestApp, token: &str, period: &str) -> (String, i64) {
    let (status, report) = app
        .api_get(token, &format!("/api/v1/plan-status?period={period}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let rule = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule_text"].as_str().unwrap_or("").contains("工作总结"))
        .unwrap_or_else(|| panic!("no work-summary rule in {report}"));
    let scope = &rule["periods"][0]["scopes"][0];
    (
        scope["status"].as_str().unwrap().to_string(),
        scope["conditions"][0]["count"].as_i64().unwrap(),
    )
}

async fn saved_versions_are_filed_and_count_for_the_plan(app: TestApp) {
    let staff = app.token("staff").await;
    let (_, draft) = app.api_get(&staff, H1).await;
    let markdown = draft["markdown"].as_str().unwrap().to_string();
    assert_eq!(
        summary_rule(&app, &staff, "2011-H1").await,
        ("missed".to_string(), 0)
    );
    let (creates, updates) = (
        app.audit_count("create").await,
        app.audit_count("update").await,
    );

    // The first save files version 1, with what was typed kept whole.
    let edited = format!("{markdown}\n补充：社区居民对委员之家的评价很好。\n");
    let (status, saved) = app
        .api_post(
            &staff,
            "/api/v1/reports/summaries",
            &json!({"period": "2011-H1", "text": edited, "note": "初稿"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    let id = saved["summary"]["id"].as_i64().unwrap();
    assert_eq!(saved["summary"]["versions"], 1);
    assert_eq!(saved["summary"]["period_code"], "2011-H1");
    assert_eq!(
        saved["summary"]["title"],
        "长江路街道政协工委2011年上半年工作总结"
    );
    let v1 = &saved["versions"][0];
    assert_eq!(v1["number"], 1);
    assert_eq!(v1["note"], "初稿");
    assert!(
        v1["saved_by"].as_str().is_some_and(|s| !s.is_empty()),
        "{v1}"
    );
    assert!(v1["text"]
        .as_str()
        .unwrap()
        .contains("补充：社区居民对委员之家的评价很好。"));
    assert_eq!(app.audit_count("create").await, creates + 1);
    // The plan's half-year rule now counts it, with a link to it.
    assert_eq!(
        summary_rule(&app, &staff, "2011-H1").await,
        ("met".to_string(), 1)
    );

    // A save made on a stale read changes nothing; on the fresh one it is version 2.
    let second =
        json!({"period": "2011-H1", "text": format!("{markdown}\n第二稿。"), "versions": "0"});
    let (status, e) = app
        .api_post(&staff, "/api/v1/reports/summaries", &second)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{e}");
    let mut second = second;
    second["versions"] = json!(1);
    let (status, saved) = app
        .api_post(&staff, "/api/v1/reports/summaries", &second)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    assert_eq!(saved["summary"]["versions"], 2);
    assert_eq!(app.audit_count("update").await, updates + 1);
    let (_, detail) = app
        .api_get(&staff, &format!("/api/v1/reports/summaries/{id}"))
        .await;
    let numbers: Vec<i64> = detail["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["number"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [2, 1]);
    // Still one summary for the half-year in the plan.
    assert_eq!(summary_rule(&app, &staff, "2011-H1").await.1, 1);

    // Each version downloads as it was saved; the download is audited.
    let exports = app.audit_count("export").await;
    let r = app
        .client
        .get(app.url(&format!(
            "/api/v1/reports/summaries/{id}/file?version=1&format=md"
        )))
        .bearer_auth(&staff)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let md = r.text().await.unwrap();
    assert!(md.contains("补充：社区居民对委员之家的评价很好。") && !md.contains("第二稿"));
    let r = app
        .client
        .get(app.url(&format!("/api/v1/reports/summaries/{id}/file")))
        .bearer_auth(&staff)
        .send()
        .await
        .unwrap();
    let bytes = r.bytes().await.unwrap();
    let doc = docx_part(&bytes, "word/document.xml");
    assert!(doc.contains("第二稿") && doc.contains("w:linePitch=\"580\""));
    assert_eq!(app.audit_count("export").await, exports + 2);

    // The archive lists it, found by a word of its text.
    let (_, list) = app
        .api_get(&staff, "/api/v1/reports/summaries?year=2011&q=第二稿")
        .await;
    assert_eq!(list["total"], 1, "{list}");
    let (_, none) = app
        .api_get(&staff, "/api/v1/reports/summaries?q=没有这句话")
        .await;
    assert_eq!(none["total"], 0);

    // Taken out of the archive only with a reason; then the plan misses it again.
    let (status, e) = app
        .api_post(
            &staff,
            &format!("/api/v1/reports/summaries/{id}/withdraw"),
            &json!({"versions": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["fields"][0]["field"], "reason");
    let (status, out) = app
        .api_post(
            &staff,
            &format!("/api/v1/reports/summaries/{id}/withdraw"),
            &json!({"versions": 2, "reason": "期间选错，应为全年总结"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["summary"]["withdrawn_reason"], "期间选错，应为全年总结");
    assert_eq!(app.audit_count("withdraw").await, 1);
    assert_eq!(summary_rule(&app, &staff, "2011-H1").await.1, 0);
    let (_, filed) = app.api_get(&staff, "/api/v1/reports/summaries").await;
    assert_eq!(filed["total"], 0);
    let (_, out_list) = app
        .api_get(&staff, "/api/v1/reports/summaries?withdrawn=true")
        .await;
    assert_eq!(out_list["total"], 1);
    // Its versions stay readable.
    let (status, _) = app
        .api_get(&staff, &format!("/api/v1/reports/summaries/{id}"))
        .await;
    assert_eq!(status, StatusCode::OK);
}
dual_test!(
    saved_versions_are_filed_and_count_for_the_plan_t,
    saved_versions_are_filed_and_count_for_the_plan
);

async fn an_edit_that_cannot_be_kept_is_refused_by_line(app: TestApp) {
    let staff = app.token("staff").await;
    let cases = [
        (
            json!({"period": "2011-H1", "text": "正文在前\n# 标题"}),
            "text",
            "第1行",
        ),
        (
            json!({"period": "2011-H1", "text": "# 标题\n\n| a |\n| --- |\n| 1 | 2 |"}),
            "text",
            "第5行",
        ),
        (json!({"period": "2011-H1", "text": "  "}), "text", ""),
        (json!({"text": "# 标题"}), "period", ""),
        (json!({"period": "2011-H7", "text": "# 标题"}), "period", ""),
        (
            json!({"period": "2011-H1", "text": "# 标题", "versions": "-1"}),
            "versions",
            "",
        ),
        (
            json!({"period": "2011-H1", "text": "# 标题", "note": "说".repeat(501)}),
            "note",
            "500",
        ),
    ];
    for (body, field, words) in cases {
        let (status, e) = app
            .api_post(&staff, "/api/v1/reports/summaries", &body)
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {e}");
        let found = e["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["field"] == field)
            .unwrap_or_else(|| panic!("{body}: no error on {field}: {e}"));
        assert!(
            found["message"].as_str().unwrap().contains(words),
            "{found}"
        );
    }
    assert_eq!(app.count("summaries").await, 0);
    assert_eq!(app.count("summary_versions").await, 0);
    for user in ["member", "department"] {
        let token = app.token(user).await;
        let (status, _) = app
            .api_post(
                &token,
                "/api/v1/reports/summaries",
                &json!({"period": "2011-H1", "text": "# 标题"}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{user}");
        let (status, _) = app.api_get(&token, "/api/v1/reports/summaries").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{user}");
    }
    let (status, _) = app
        .api_get(&staff, "/api/v1/reports/summaries/999999")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
dual_test!(
    an_edit_that_cannot_be_kept_is_refused_by_line_t,
    an_edit_that_cannot_be_kept_is_refused_by_line
);

async fn staff_edit_save_and_withdraw_in_the_pages(app: TestApp) {
    let mut app = app;
    app.login("staff").await;
    let (status, page) = app.get_html("/reports/summary?period=2011-H1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("name=\"text\"") && page.contains("# 长江路街道政协工委2011年上半年工作总结")
    );
    let r = app
        .post_form(
            "/reports/summary/save",
            &[
                ("period", "2011-H1"),
                ("versions", "0"),
                (
                    "text",
                    "# 上半年工作总结\n\n## 一、总体情况\n\n今年上半年，工委认真履职。\n",
                ),
                ("note", "按主任意见修改"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/reports/summaries/"), "{to}");
    let (_, shown) = app.get_html(&to).await;
    for words in [
        "上半年工作总结",
        "今年上半年，工委认真履职。",
        "按主任意见修改",
        "移出档案",
    ] {
        assert!(shown.contains(words), "{words}");
    }
    // The drafting page now edits the saved text and says it is filed.
    let (_, page) = app.get_html("/reports/summary?period=2011-H1").await;
    assert!(page.contains("今年上半年，工委认真履职。") && page.contains("已归档"));
    let (_, archive) = app.get_html("/reports/archive?year=2011").await;
    assert!(archive.contains("上半年工作总结") && archive.contains(&to));
    // A bad text comes back with what was typed and the line named.
    let typed = "没有标题的一段话";
    let r = app
        .post_form(
            "/reports/summary/save",
            &[("period", "2011-H1"), ("versions", "1"), ("text", typed)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains(typed) && html.contains("第1行"), "{html}");
    // Withdrawing asks first.
    let id = to.rsplit('/').next().unwrap();
    let r = app
        .post_form(
            &format!("/reports/summaries/{id}/withdraw"),
            &[("versions", "1"), ("reason", "重复归档")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.audit_count("withdraw").await, 0);
    let r = app
        .post_form(
            &format!("/reports/summaries/{id}/withdraw"),
            &[
                ("versions", "1"),
                ("reason", "重复归档"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, shown) = app.get_html(&to).await;
    assert!(shown.contains("重复归档") && shown.contains("已移出档案"));
}
dual_test!(
    staff_edit_save_and_withdraw_in_the_pages_t,
    staff_edit_save_and_withdraw_in_the_pages
);

async fn a_members_year_of_duty_is_a_document(app: TestApp) {
    let own = crate::helpers::member_named(&app, "孟爱云").await;
    let other = crate::helpers::member_named(&app, "孙郑华").await;
    let staff = app.token("staff").await;
    // The demo's duty files are dated by their records (co-signatures too).
    let late: i64 = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM timeline_entries WHERE occurred_on > '2012-12-31'")
        .fetch_one(pool).await)
    .unwrap();
    assert_eq!(late, 0);
    let exports = app.audit_count("export").await;
    let get = |token: String, path: String| {
        let app = &app;
        async move {
            app.client
                .get(app.url(&path))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
        }
    };
    let r = get(
        staff.clone(),
        format!("/api/v1/members/{own}/duty-file?year=2011&format=md"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let md = r.text().await.unwrap();
    assert!(md.starts_with("# 孟爱云2011年度履职情况登记表"), "{md}");
    for words in [
        "## 一、基本情况",
        "| 姓名 | 孟爱云 |",
        "## 二、履职记录",
        "2011年共有履职记录",
        "履职积分",
        "评定等次为",
    ] {
        assert!(md.contains(words), "{words} in {md}");
    }
    // Only 2011's records, each dated in 2011.
    assert!(!md.contains("| 2012-"), "{md}");
    // Not the full ID or phone number.
    assert!(!md.contains("身份证") && !md.contains("手机"), "{md}");
    let r = get(
        staff.clone(),
        format!("/api/v1/members/{own}/duty-file?year=2011"),
    )
    .await;
    let bytes = r.bytes().await.unwrap();
    let doc = docx_part(&bytes, "word/document.xml");
    assert!(doc.contains("孟爱云2011年度履职情况登记表") && doc.contains("w:tbl"));
    assert_eq!(app.audit_count("export").await, exports + 2);
    // The member downloads her own, not another's.
    let member = app.token("member").await;
    let r = get(
        member.clone(),
        format!("/api/v1/members/{own}/duty-file?year=2011"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = get(
        member,
        format!("/api/v1/members/{other}/duty-file?year=2011"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Bad input is named.
    for (query, field) in [("year=11", "year"), ("format=pdf", "format")] {
        let r = get(
            staff.clone(),
            format!("/api/v1/members/{own}/duty-file?{query}"),
        )
        .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{query}");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["fields"][0]["field"], field, "{e}");
    }
    // The page shows one year at a time and offers the year's file.
    let mut app = app;
    app.login("staff").await;
    let (status, html) = app.get_html(&format!("/members/{own}?year=2011")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!("/members/{own}/duty-file?year=2011")),
        "{html}"
    );
    let (status, _) = app.get_html(&format!("/members/{own}?year=abc")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
dual_test!(
    a_members_year_of_duty_is_a_document_t,
    a_members_year_of_duty_is_a_document
);

async fn a_sessions_proposals_are_compiled(app: TestApp) {
    let staff = app.token("staff").await;
    let numbered: i64 = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM proposals p JOIN orgs o ON o.id = p.org_id \
         WHERE o.name = '长江路街道政协工委' AND p.session = 2011 AND p.number IS NOT NULL")
        .fetch_one(pool).await)
    .unwrap();
    assert!(numbered >= 2, "the demo has numbered proposals in 2011");
    let exports = app.audit_count("export").await;
    let r = app
        .client
        .get(app.url("/api/v1/proposals/compilation?session=2011&format=md"))
        .bearer_auth(&staff)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let md = r.text().await.unwrap();
    assert!(
        md.starts_with("# 长江路街道政协工委2011年度提案汇编"),
        "{md}"
    );
    assert!(
        md.contains(&format!("2011年度立案提案{numbered}件")),
        "{md}"
    );
    let headings = md.lines().filter(|l| l.starts_with("## 第")).count() as i64;
    assert_eq!(headings, numbered, "{md}");
    for words in [
        "## 第1号　",
        "提案人：孙郑华（附议：孟爱云）",
        "主办单位：二七区住房和城乡建设局；协办单位：长江路街道办事处",
        "### 办理答复（B类（列入计划逐步解决），2011年5月30日）",
        "孙八砦安置房一期已于5月开工",
    ] {
        assert!(md.contains(words), "{words} in {md}");
    }
    let r = app
        .client
        .get(app.url("/api/v1/proposals/compilation?session=2011"))
        .bearer_auth(&staff)
        .send()
        .await
        .unwrap();
    let doc = docx_part(&r.bytes().await.unwrap(), "word/document.xml");
    assert!(doc.contains("长江路街道政协工委2011年度提案汇编"));
    assert_eq!(app.audit_count("export").await, exports + 2);
    let (status, e) = app
        .api_get(&staff, "/api/v1/proposals/compilation?session=20x1")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(e["fields"][0]["field"], "session", "{e}");
    let member = app.token("member").await;
    let (status, _) = app
        .api_get(&member, "/api/v1/proposals/compilation?session=2011")
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
dual_test!(
    a_sessions_proposals_are_compiled_t,
    a_sessions_proposals_are_compiled
);
