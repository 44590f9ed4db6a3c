//! What every page shares: the first page each role lands on, with its
//! to-dos counted from the records; the message after a save, said once.

use chrono::Datelike;
use reqwest::StatusCode;
use serde_json::json;

use crate::dual_test;
use crate::helpers::TestApp;

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await).unwrap()
}

/// The to-do line with this label, as the first page shows it.
fn todo_line(count: i64, label: &str) -> String {
    format!("<span class=\"count\">{count}</span> <span class=\"label\">{label}</span>")
}

async fn each_role_lands_on_what_waits_on_it(mut app: TestApp) {
    let meng = scalar(&app, "SELECT id FROM members WHERE name = '孟爱云'").await;

    // A member: her drafts, and an invitation to answer once staff invite her.
    app.login("member").await;
    let (status, html) = app.get_html("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("孟爱云，您好"), "{html}");
    let drafts = scalar(
        &app,
        &format!(
            "SELECT COUNT(*) FROM proposals WHERE lead_member_id = {meng} AND status = 'draft'"
        ),
    )
    .await;
    if drafts > 0 {
        assert!(
            html.contains(&todo_line(drafts, "件提案草稿未提交")),
            "{html}"
        );
    } else {
        assert!(
            !html.contains("件提案草稿未提交"),
            "nothing waiting is left out"
        );
    }
    assert!(
        !html.contains("项活动邀请待回复"),
        "no invitation yet: {html}"
    );
    assert!(
        html.contains("href=\"/info/new\""),
        "the shortcut to write a report"
    );

    let staff = app.token("staff").await;
    let (status, created) = app
        .api_post(
            &staff,
            "/api/v1/activities",
            &json!({"kind": "study", "title": "委员集中学习", "held_on": "2099-03-14",
                    "place": "委员之家", "organiser": "长江路街道政协工委"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (status, _) = app
        .api_post(
            &staff,
            &format!("/api/v1/activities/{}/invitations", created["id"]),
            &json!({"member_ids": [meng]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, html) = app.get_html("/").await;
    assert!(
        html.contains(&todo_line(1, "项活动邀请待回复")),
        "the invitation waits on her: {html}"
    );
    // One invitation leads straight to its activity: fewer screens on a phone.
    assert!(
        html.contains(&format!("<a href=\"/activities/{}\">", created["id"])),
        "{html}"
    );
    // Her open cases, counted from the records, link to her list.
    let (status, day) = app
        .api_post(
            &staff,
            "/api/v1/reception-days",
            &json!({"held_on": "2024-06-14", "duty_member_ids": [meng]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{day}");
    let member = app.token("member").await;
    let (status, _) = app
        .api_post(
            &member,
            &format!("/api/v1/reception-days/{}/visits", day["id"]),
            &json!({"people": 1, "community": "高砦社区", "summary": "路灯", "outcome": "case",
                    "cases": [{"subject": "路灯不亮", "description": "小区东门路灯不亮"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let open = scalar(
        &app,
        &format!(
            "SELECT COUNT(*) FROM cases WHERE raised_by = {meng} \
             AND status IN ('registered', 'forwarded', 'in_progress')"
        ),
    )
    .await;
    assert!(open >= 1);
    let (_, html) = app.get_html("/").await;
    assert!(
        html.contains(&todo_line(open, "件您受理的来访事件尚未办结")),
        "{html}"
    );
    // Her next duty day: her group's next scheduled reception day.
    let (_, schedule) = app
        .api_get(
            &staff,
            &format!(
                "/api/v1/reception-days/schedule?year={}",
                lvzhi::app::clock::today().year()
            ),
        )
        .await;
    let group = scalar(
        &app,
        &format!("SELECT group_id FROM members WHERE id = {meng}"),
    )
    .await;
    let today = lvzhi::app::clock::today().to_string();
    let next = schedule
        .as_array()
        .and_then(|days| {
            days.iter().find(|d| {
                d["duty_group_id"] == group
                    && d["held_on"].as_str().is_some_and(|h| h >= today.as_str())
            })
        })
        .map(|d| d["held_on"].as_str().unwrap().to_string());
    if let Some(next) = next {
        assert!(
            html.contains(&format!("<time>{next}</time>")),
            "her next duty day {next}: {html}"
        );
    }

    // Staff: the cases waiting to be forwarded, counted in their scope.
    app.login("staff").await;
    let registered = scalar(
        &app,
        "SELECT COUNT(*) FROM cases WHERE status = 'registered'",
    )
    .await;
    let (status, html) = app.get_html("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&todo_line(registered, "件来访事件待转办")),
        "{html}"
    );
    assert!(html.contains("href=\"/cases?status=registered\""));

    // A department handler: what their department has to accept or finish.
    app.login("department").await;
    let (status, html) = app.get_html("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("待办事项"), "{html}");

    // The administrator trio land on their one page.
    app.login("auditor").await;
    let response = app.get("/").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/audit");
}
dual_test!(
    each_role_lands_on_what_waits_on_it_t,
    each_role_lands_on_what_waits_on_it
);

/// After a save the next page says what was done, once.
async fn a_save_is_confirmed_once(mut app: TestApp) {
    app.login("staff").await;
    let (_, html) = app.get_html("/reception").await;
    assert!(!html.contains("class=\"flash\""));
    let response = app
        .post_form("/reception", &[("held_on", "2024-07-13"), ("org_id", "")])
        .await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "{:?}",
        response.text().await
    );
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let (status, html) = app.get_html(&location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("<p class=\"flash\" role=\"status\">已创建。</p>"),
        "{html}"
    );
    // Said once: the next page is quiet.
    let (_, html) = app.get_html(&location).await;
    assert!(!html.contains("class=\"flash\""), "the message shows once");
    // A value the server does not know is ignored, never echoed.
    let r = app
        .client
        .get(app.url(&location))
        .header("cookie", "lvzhi_flash=%3Cb%3Ehi")
        .send()
        .await
        .unwrap();
    assert!(!r.text().await.unwrap().contains("class=\"flash\""));
}
dual_test!(a_save_is_confirmed_once_t, a_save_is_confirmed_once);

/// The living style page: every component at once, for staff only.
async fn the_style_page_shows_the_components_to_staff(mut app: TestApp) {
    app.login("staff").await;
    let (status, html) = app.get_html("/style").await;
    assert_eq!(status, StatusCode::OK);
    for component in [
        "class=\"flash\"",
        "class=\"tag tone-wait\"",
        "class=\"tag tone-done\"",
        "class=\"tag tone-stop\"",
        "<table class=\"list\">",
        "<ol class=\"timeline\">",
        "<ul class=\"todos\">",
        "name=\"confirm\"",
        "button type=\"button\" class=\"secondary\"",
    ] {
        assert!(html.contains(component), "{component} on the style page");
    }
    app.login("member").await;
    let (status, _) = app.get_html("/style").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
dual_test!(
    the_style_page_shows_the_components_to_staff_t,
    the_style_page_shows_the_components_to_staff
);

/// A new account is linked to a member or a department chosen by name,
/// never by an internal number typed in.
async fn an_account_is_linked_by_name(mut app: TestApp) {
    app.login("admin").await;
    let (status, html) = app.get_html("/admin/users").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("inputmode=\"numeric\""), "no number to type");
    let sun = scalar(&app, "SELECT id FROM members WHERE name = '孙郑华'").await;
    let meng = scalar(&app, "SELECT id FROM members WHERE name = '孟爱云'").await;
    assert!(
        html.contains("<optgroup label=\"长江路街道政协工委\">"),
        "{html}"
    );
    assert!(html.contains(&format!("<option value=\"{sun}\">孙郑华</option>")));
    assert!(
        !html.contains(&format!("<option value=\"{meng}\">孟爱云</option>")),
        "a member who has an account is not offered again"
    );
    assert!(
        html.contains("住建局") || html.contains("住房和城乡建设局"),
        "departments by name"
    );
    let org = scalar(&app, "SELECT org_id FROM members WHERE name = '孙郑华'").await;
    let response = app
        .post_form(
            "/admin/users",
            &[
                ("username", "sunzhenghua"),
                ("display_name", "孙郑华"),
                ("org_id", &org.to_string()),
                ("member_id", &sun.to_string()),
                ("department_id", ""),
            ],
        )
        .await;
    assert!(response.status().is_success() || response.status().is_redirection());
    let linked = scalar(
        &app,
        "SELECT COALESCE(MAX(member_id), 0) FROM users WHERE username = 'sunzhenghua'",
    )
    .await;
    assert_eq!(linked, sun);
}
dual_test!(an_account_is_linked_by_name_t, an_account_is_linked_by_name);

/// Names sort as a Chinese list is read: by pinyin, not by code point.
async fn members_sort_by_pinyin(mut app: TestApp) {
    app.login("staff").await;
    let (status, html) = app.get_html("/members?sort=name&dir=asc&per_page=50").await;
    assert_eq!(status, StatusCode::OK);
    let marker = "<td data-label=\"姓名\"><a href=\"/members/";
    let names: Vec<String> = html
        .split(marker)
        .skip(1)
        .map(|rest| {
            let after = &rest[rest.find("\">").unwrap() + 2..];
            after[..after.find("</a>").unwrap()].to_string()
        })
        .collect();
    assert_eq!(names.len(), 14, "{html}");
    let mut by_pinyin = names.clone();
    by_pinyin.sort_by_key(|n| lvzhi::domain::text::name_sort_key(n));
    assert_eq!(names, by_pinyin);
    let mut by_code_point = names.clone();
    by_code_point.sort();
    assert_ne!(
        names, by_code_point,
        "the demo's names tell the two orders apart"
    );
    // And backwards.
    let (_, list) = app
        .get_html("/members?sort=name&dir=desc&per_page=50")
        .await;
    assert!(list.find(&names[0]).unwrap() > list.find(&names[13]).unwrap());
}
dual_test!(members_sort_by_pinyin_t, members_sort_by_pinyin);
