//! The member pages: list (search, filters, sort, pages), the form with its
//! error and conflict answers, the duty file with masked and revealed numbers,
//! who may see which page, the English interface, and subtree scoping.

use lvzhi::domain::roles::Role;
use lvzhi::services::orgs::OrgInput;
use lvzhi::services::users::{Creator, UserInput};
use reqwest::StatusCode;

use crate::dual_test;
use crate::helpers::{id_number, TestApp};

/// Marker of one row of the member list (the name cell, Chinese interface).
const ROW: &str = "<td data-label=\"姓名\"><a href=\"/members/";

/// The names of the list's rows, in order.
fn row_names(html: &str) -> Vec<String> {
    html.split(ROW)
        .skip(1)
        .map(|rest| {
            let after = &rest[rest.find("\">").unwrap() + 2..];
            after[..after.find("</a>").unwrap()].to_string()
        })
        .collect()
}

/// The list's total, as the heading shows it ("共 14").
fn total(html: &str) -> i64 {
    let start = html
        .find("共 ")
        .unwrap_or_else(|| panic!("no total in the page"))
        + "共 ".len();
    let rest = &html[start..];
    rest[..rest.find("</small>").unwrap()]
        .trim()
        .parse()
        .unwrap()
}

/// Undo the HTML escaping of an attribute value.
fn unescape(s: &str) -> String {
    [
        ("&lt;", "<"),
        ("&#60;", "<"),
        ("&gt;", ">"),
        ("&#62;", ">"),
        ("&quot;", "\""),
        ("&#34;", "\""),
        ("&#39;", "'"),
    ]
    .iter()
    .fold(s.to_string(), |acc, (from, to)| acc.replace(from, to))
    .replace("&#38;", "&")
    .replace("&amp;", "&")
}

/// The href of the pager link with this `rel`, unescaped.
fn pager_link(html: &str, rel: &str) -> Option<String> {
    let end = html.find(&format!("\" rel=\"{rel}\""))?;
    let start = html[..end].rfind("href=\"")? + "href=\"".len();
    Some(unescape(&html[start..end]))
}

/// The href of the sortable column header with this label, and its mark.
fn header_link(html: &str, label: &str) -> (String, String) {
    for cell in html.split("<th><a href=\"").skip(1) {
        let (href, rest) = cell.split_once("\">").unwrap();
        let text = &rest[..rest.find("</a>").unwrap()];
        if let Some(mark) = text.strip_prefix(label) {
            return (unescape(href), mark.trim().to_string());
        }
    }
    panic!("no sortable header {label}");
}

/// The value of the input named `name`.
fn input_value(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\""))
        .unwrap_or_else(|| panic!("no input {name}"));
    let start = html[..at].rfind('<').unwrap();
    let tag = &html[start..start + html[start..].find('>').unwrap()];
    let value = &tag[tag
        .find("value=\"")
        .unwrap_or_else(|| panic!("input {name} has no value"))
        + "value=\"".len()..];
    value[..value.find('"').unwrap()].to_string()
}

async fn member_id(app: &TestApp, name: &str) -> i64 {
    lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>("SELECT id FROM members WHERE name = $1")
        .bind(name).fetch_one(pool).await)
    .unwrap()
}

async fn user_id(app: &TestApp, username: &str) -> i64 {
    lvzhi::storage::users::find_by_username(&app.db, username)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// A complete, valid member form (without the CSRF token, which `post_form` adds).
fn member_form(name: &str, id: &str, group: i64) -> Vec<(&'static str, String)> {
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
        ("joined_on", "2012-03-01".into()),
        ("status", "active".into()),
        ("group_id", group.to_string()),
    ]
}

fn set(form: &mut [(&'static str, String)], field: &str, value: &str) {
    form.iter_mut().find(|(k, _)| *k == field).unwrap().1 = value.to_string();
}

/// Post a page form; the status, the location header (if any) and the body.
async fn post(
    app: &TestApp,
    path: &str,
    form: &[(&'static str, String)],
) -> (StatusCode, String, String) {
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = app.post_form(path, &fields).await;
    let status = r.status();
    let location = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, location, r.text().await.unwrap())
}

async fn list_searches_filters_sorts_and_pages(mut app: TestApp) {
    app.login("staff").await;
    let (status, html) = app.get_html("/members").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(total(&html), 14, "total shown");
    let names = row_names(&html);
    assert_eq!(
        names.len(),
        14,
        "all 14 demo members on the first page of 20"
    );
    for named in ["孟爱云", "孙郑华", "豆雨霞"] {
        assert!(names.iter().any(|n| n == named), "{named} listed");
    }
    assert!(
        html.contains("139****0001"),
        "phones are masked in the list"
    );
    assert!(
        !html.contains("13903710001"),
        "no plain phone number in the list"
    );

    // Filter by group: the select offers every group, the filter keeps it selected.
    let group = app.group_id("第一委员小组").await;
    let (status, html) = app.get_html(&format!("/members?group={group}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(total(&html), 3);
    let mut names = row_names(&html);
    names.sort();
    let mut expected = vec!["孟爱云".to_string(), "孙郑华".into(), "王建国".into()];
    expected.sort();
    assert_eq!(names, expected);
    assert!(html.contains(&format!(
        "<option value=\"{group}\" selected>第一委员小组</option>"
    )));

    // Search by part of a name; the search box keeps the text.
    let (_, html) = app.get_html("/members?q=%E5%AD%9F").await; // 孟
    assert_eq!(row_names(&html), ["孟爱云"]);
    assert_eq!(input_value(&html, "q"), "孟");

    // Party and sector filters.
    let (_, html) = app.get_html("/members?party=ccp").await;
    assert_eq!(total(&html), 3);
    assert!(html.contains("<option value=\"ccp\" selected>中共党员</option>"));
    let (_, html) = app
        .get_html("/members?sector=%E7%BB%8F%E6%B5%8E%E7%95%8C")
        .await; // 经济界
    assert_eq!(total(&html), 3);

    // Nothing found: an empty list, not an error.
    let (status, html) = app.get_html("/members?q=%E6%97%A0%E6%AD%A4%E4%BA%BA").await; // 无此人
    assert_eq!(status, StatusCode::OK);
    assert_eq!(total(&html), 0);
    assert!(
        html.contains("没有符合条件的委员"),
        "an empty list says what to do"
    );

    // Sorting: the active column is marked and its link reverses the order.
    let (_, asc) = app.get_html("/members?sort=name&dir=asc").await;
    let (href, mark) = header_link(&asc, "姓名");
    assert_eq!(mark, "▲");
    assert!(
        href.contains("sort=name") && href.contains("dir=desc"),
        "{href}"
    );
    let (status, desc) = app.get_html(&href).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header_link(&desc, "姓名").1, "▼");
    let mut reversed = row_names(&asc);
    reversed.reverse();
    assert_eq!(row_names(&desc), reversed);
    let (term_href, term_mark) = header_link(&asc, "届次");
    assert_eq!(term_mark, "");
    assert!(
        term_href.contains("sort=term") && term_href.contains("dir=asc"),
        "{term_href}"
    );

    // Paging: 5 per page, follow the links, filters and sort kept in them.
    let (_, page1) = app.get_html("/members?per_page=5&sort=name").await;
    assert_eq!(row_names(&page1).len(), 5);
    assert!(page1.contains("1 / 3"));
    assert!(
        pager_link(&page1, "prev").is_none(),
        "no previous page on page 1"
    );
    let next = pager_link(&page1, "next").unwrap();
    assert!(
        next.contains("per_page=5") && next.contains("sort=name") && next.contains("page=2"),
        "{next}"
    );
    let (_, page2) = app.get_html(&next).await;
    assert!(page2.contains("2 / 3"));
    assert_eq!(row_names(&page2).len(), 5);
    let page3_link = pager_link(&page2, "next").unwrap();
    let (_, page3) = app.get_html(&page3_link).await;
    assert_eq!(row_names(&page3).len(), 4);
    assert!(
        pager_link(&page3, "next").is_none(),
        "no next page on the last page"
    );
    let back = pager_link(&page3, "prev").unwrap();
    assert!(back.contains("page=2"), "{back}");
    let mut all: Vec<String> = [&page1, &page2, &page3]
        .iter()
        .flat_map(|h| row_names(h))
        .collect();
    assert_eq!(all.len(), 14);
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 14, "pages do not overlap");

    let (_, filtered) = app
        .get_html(&format!("/members?group={group}&per_page=2"))
        .await;
    let next = pager_link(&filtered, "next").unwrap();
    assert!(
        next.contains(&format!("group={group}")),
        "the filter stays in the page link: {next}"
    );
    let (_, second) = app.get_html(&next).await;
    assert_eq!(row_names(&second).len(), 1);

    // Invalid parameters are a 400 page that names the parameter.
    let (status, html) = app.get_html("/members?sort=password_hash").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("排序"), "the parameter is named");
    let (status, _) = app.get_html("/members?per_page=0").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
dual_test!(
    list_searches_filters_sorts_and_pages_t,
    list_searches_filters_sorts_and_pages
);

async fn created_member_shows_masked_numbers_and_reveal_is_audited(mut app: TestApp) {
    app.login("staff").await;
    let (status, html) = app.get_html("/members/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("登记委员"));
    assert_eq!(input_value(&html, "csrf"), app.csrf);

    let group = app.group_id("第二委员小组").await;
    let id = id_number("19850304", "026");
    let (status, location, _) = post(&app, "/members", &member_form("林小雨", &id, group)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let member = member_id(&app, "林小雨").await;
    assert_eq!(
        location,
        format!("/members/{member}"),
        "on to the new duty file"
    );

    let (status, html) = app.get_html(&location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("林小雨"));
    assert!(html.contains("履职档案"));
    assert!(html.contains("第二委员小组"));
    assert!(html.contains("1985-03-04"), "birth date from the ID number");
    assert!(html.contains("<dd>2012-03-01</dd>"), "任职日期 as entered");
    assert!(
        html.contains("<time>2012-03-01</time> <span class=\"tag\">登记为委员</span>"),
        "the timeline starts on it"
    );
    assert!(html.contains("138****5678"));
    let masked_id = format!("{}**********{}", &id[..4], &id[14..]);
    assert!(html.contains(&masked_id), "masked ID number {masked_id}");
    assert!(
        !html.contains("13812345678"),
        "never the plain phone number"
    );
    assert!(!html.contains(&id), "never the plain ID number");
    assert_eq!(app.audit_count("reveal_personal_data").await, 0);

    let (_, list) = app.get_html("/members").await;
    assert_eq!(total(&list), 15);

    // Reveal: the full numbers, once, and an audit row naming the member.
    let (status, _, html) = post(&app, &format!("/members/{member}/reveal"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("13812345678"));
    assert!(html.contains(&id));
    assert_eq!(app.audit_count("reveal_personal_data").await, 1);
    let (object_type, object_id, username): (String, String, String) = lvzhi::on_db!(&app.db, pool => sqlx::query_as(
        "SELECT object_type, object_id, username FROM audit_log WHERE action = 'reveal_personal_data'")
        .fetch_one(pool).await)
    .unwrap();
    assert_eq!(
        (object_type.as_str(), username.as_str()),
        ("member", "staff")
    );
    assert_eq!(object_id, member.to_string());

    // Reading the duty file again shows the masked numbers again.
    let (_, html) = app.get_html(&location).await;
    assert!(!html.contains("13812345678"));
    assert!(html.contains("138****5678"));

    // Revealing without the form token is refused and not audited.
    let r = app
        .client
        .post(app.url(&format!("/members/{member}/reveal")))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.audit_count("reveal_personal_data").await, 1);
}
dual_test!(
    created_member_shows_masked_numbers_and_reveal_is_audited_t,
    created_member_shows_masked_numbers_and_reveal_is_audited
);

async fn invalid_form_answers_422_with_messages_and_keeps_the_input(mut app: TestApp) {
    app.login("staff").await;
    let before = app.count("members").await;
    let group = app.group_id("第三委员小组").await;
    let mut form = member_form("", "410103198503040261", group);
    set(&mut form, "phone", "12345");
    set(&mut form, "sector", "教育界<b>&</b>");
    set(&mut form, "workplace", "\"大学路\"小学");
    set(&mut form, "position", "教导主任");
    set(&mut form, "term", "100");
    set(&mut form, "party", "cdl");
    set(&mut form, "joined_on", "2999-01-01");
    let (status, _, html) = post(&app, "/members", &form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("members").await, before, "nothing was written");

    assert!(html.contains("请按提示修改标红的内容"));
    for message in [
        "姓名：不能为空",
        "身份证号：校验位不正确",
        "手机号：应为 11 位中国大陆手机号码",
        "届次：应为 1 到 99 之间的整数",
        "任职日期：不能晚于今天",
    ] {
        assert!(html.contains(message), "{message}");
    }
    // What was typed stays in the inputs, escaped.
    assert_eq!(input_value(&html, "id_number"), "410103198503040261");
    assert_eq!(input_value(&html, "phone"), "12345");
    assert_eq!(input_value(&html, "position"), "教导主任");
    assert_eq!(input_value(&html, "term"), "100");
    assert_eq!(input_value(&html, "joined_on"), "2999-01-01");
    assert_eq!(unescape(&input_value(&html, "sector")), "教育界<b>&</b>");
    assert!(!html.contains("教育界<b>"), "typed markup is escaped");
    assert_eq!(unescape(&input_value(&html, "workplace")), "\"大学路\"小学");
    assert!(
        html.contains("<option value=\"cdl\" selected>"),
        "the chosen party stays selected"
    );
    assert!(
        html.contains("<option value=\"female\" selected>"),
        "the chosen gender stays selected"
    );
    assert!(
        html.contains(&format!(
            "<option value=\"{group}\" selected>第三委员小组</option>"
        )),
        "the chosen group stays selected"
    );
    assert_eq!(
        input_value(&html, "csrf"),
        app.csrf,
        "the form can be sent again"
    );

    // A gender that contradicts the ID number, and a group outside the scope.
    let mut form = member_form("林小雨", &id_number("19850304", "026"), 999_999);
    set(&mut form, "gender", "male");
    set(&mut form, "joined_on", "1980-01-01");
    let (status, _, html) = post(&app, "/members", &form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("性别：与身份证号码中的性别不一致"));
    assert!(html.contains("委员小组：没有这个委员小组"));
    assert!(html.contains("任职日期：不能早于出生日期"));
    set(&mut form, "joined_on", "2012-02-30");
    let (status, _, html) = post(&app, "/members", &form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("任职日期：应为有效日期"));
    assert_eq!(input_value(&html, "joined_on"), "2012-02-30");

    // A duplicate ID number names the field.
    let id = id_number("19900101", "022");
    let (status, _, _) = post(&app, "/members", &member_form("甲委员", &id, group)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, html) = post(&app, "/members", &member_form("乙委员", &id, group)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("身份证号：该身份证号已登记"));
    assert_eq!(input_value(&html, "name"), "乙委员");
    assert_eq!(app.count("members").await, before + 1);
}
dual_test!(
    invalid_form_answers_422_with_messages_and_keeps_the_input_t,
    invalid_form_answers_422_with_messages_and_keeps_the_input
);

async fn stale_edit_answers_409_and_keeps_the_typed_values(mut app: TestApp) {
    app.login("staff").await;
    let member = member_id(&app, "豆雨霞").await;
    let (status, html) = app.get_html(&format!("/members/{member}/edit")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("编辑委员信息"));
    assert_eq!(input_value(&html, "name"), "豆雨霞");
    assert_eq!(input_value(&html, "version"), "1");
    assert_eq!(
        input_value(&html, "joined_on"),
        "2011-01-10",
        "the demo term's first session"
    );
    assert_eq!(
        input_value(&html, "phone"),
        "",
        "numbers are typed again, never filled in"
    );
    assert_eq!(input_value(&html, "id_number"), "");
    assert!(html.contains(&format!("action=\"/members/{member}\"")));

    let group = app.group_id("第二委员小组").await;
    let mut form = member_form("豆雨霞", &id_number("19650107", "028"), group);
    set(&mut form, "party", "non_party");
    set(&mut form, "sector", "社会福利和社会保障界");
    set(&mut form, "position", "名誉院长");
    form.push(("version", "1".into()));
    let (status, location, _) = post(&app, &format!("/members/{member}"), &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, format!("/members/{member}"));
    let (_, html) = app.get_html(&location).await;
    assert!(html.contains("名誉院长"));

    // Someone saved meanwhile: this user's second save, still at version 1.
    set(&mut form, "position", "理事长");
    set(&mut form, "workplace", "郑州爱馨养老集团");
    let (status, _, html) = post(&app, &format!("/members/{member}"), &form).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("该记录已被他人修改"));
    assert_eq!(
        input_value(&html, "position"),
        "理事长",
        "what the user typed is kept"
    );
    assert_eq!(input_value(&html, "workplace"), "郑州爱馨养老集团");
    assert_eq!(
        input_value(&html, "id_number"),
        id_number("19650107", "028")
    );
    assert_eq!(
        input_value(&html, "version"),
        "2",
        "the form now carries the current version"
    );
    let title: String = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, String>("SELECT title FROM members WHERE id = $1")
        .bind(member).fetch_one(pool).await)
    .unwrap();
    assert_eq!(title, "名誉院长", "the stale save changed nothing");

    // Saving again with the version shown is a conscious overwrite.
    form.retain(|(k, _)| *k != "version");
    form.push(("version", "2".into()));
    let (status, _, _) = post(&app, &format!("/members/{member}"), &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = app.get_html(&format!("/members/{member}")).await;
    assert!(html.contains("理事长"));

    // An edit with errors answers 422 and keeps the input too.
    form.retain(|(k, _)| *k != "version");
    form.push(("version", "3".into()));
    set(&mut form, "phone", "1390371");
    let (status, _, html) = post(&app, &format!("/members/{member}"), &form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("手机号："));
    assert_eq!(input_value(&html, "phone"), "1390371");
    assert_eq!(input_value(&html, "position"), "理事长");
}
dual_test!(
    stale_edit_answers_409_and_keeps_the_typed_values_t,
    stale_edit_answers_409_and_keeps_the_typed_values
);

async fn member_sees_own_duty_file_only(mut app: TestApp) {
    let own = member_id(&app, "孟爱云").await;
    let other = member_id(&app, "孙郑华").await;
    app.login("member").await;
    // Her first page lists what waits on her and leads to her duty file.
    let (status, home) = app.get_html("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains(&format!("href=\"/members/{own}\"")), "{home}");

    let (status, html) = app.get_html(&format!("/members/{own}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("孟爱云"));
    assert!(html.contains("我的履职档案"), "the member's own navigation");
    assert!(html.contains("139****0001"));
    assert!(
        !html.contains(&format!("/members/{own}/edit")),
        "no edit link for a member"
    );
    assert!(!html.contains("/reveal"), "no reveal button for a member");

    let (status, html) = app.get_html(&format!("/members/{other}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!html.contains("孙郑华"));
    assert!(html.contains("没有找到该记录"));
    let (status, _) = app.get_html("/members").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.get_html(&format!("/members/{own}/edit")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = post(&app, &format!("/members/{own}/reveal"), &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(app.audit_count("reveal_personal_data").await, 0);
}
dual_test!(
    member_sees_own_duty_file_only_t,
    member_sees_own_duty_file_only
);

async fn other_roles_are_refused_member_pages(mut app: TestApp) {
    let some_member = member_id(&app, "孟爱云").await;
    for role in ["admin", "auditor", "security", "department"] {
        app.login(role).await;
        let (status, html) = app.get_html("/members").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role} on /members");
        assert!(
            html.contains("无权访问"),
            "{role}: an error page in Chinese"
        );
        assert!(!html.contains("孟爱云"), "{role} sees no member");
        let (status, _) = app.get_html("/members/new").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role} on /members/new");
        let (status, html) = app.get_html(&format!("/members/{some_member}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role} on a duty file");
        assert!(!html.contains("139****0001"));
        let before = app.count("members").await;
        let (status, _, _) = post(
            &app,
            "/members",
            &member_form("越权", &id_number("19850304", "026"), 1),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role} posting a member");
        assert_eq!(app.count("members").await, before);
    }
}
dual_test!(
    other_roles_are_refused_member_pages_t,
    other_roles_are_refused_member_pages
);

async fn english_switch_translates_the_pages(mut app: TestApp) {
    app.login("staff").await;
    let (_, html) = app.get_html("/members").await;
    assert!(html.contains("<html lang=\"zh-CN\">"));
    assert!(html.contains("登记委员"));

    let (status, location, _) = post(
        &app,
        "/account/locale",
        &[("locale", "en".into()), ("back", "/members".into())],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/members");
    let (status, html) = app.get_html("/members").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("Members"));
    assert!(html.contains("Total 14</small>"));
    assert!(html.contains("Register a member"));
    assert!(html.contains("CPC member"), "party labels translated");
    assert!(!html.contains("登记委员"), "no Chinese interface text left");
    assert!(html.contains("孟爱云"), "the data stays as entered");

    for path in ["/members/999999", "/members/abc"] {
        let (status, html) = app.get_html(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            html.contains("<html lang=\"en\">"),
            "{path}: in the account's language"
        );
        assert!(html.contains("Not found"), "{path}");
    }

    let group = app.group_id("第一委员小组").await;
    let (status, _, html) = post(
        &app,
        "/members",
        &member_form("", &id_number("19850304", "026"), group),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Name: must not be empty"));

    let locale: String = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, String>("SELECT locale FROM users WHERE username = 'staff'")
        .fetch_one(pool).await)
    .unwrap();
    assert_eq!(locale, "en", "the choice is kept with the account");

    // An unknown language is refused; switching back works.
    let (status, _, _) = post(
        &app,
        "/account/locale",
        &[("locale", "fr".into()), ("back", "/".into())],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _, _) = post(
        &app,
        "/account/locale",
        &[("locale", "zh-CN".into()), ("back", "/members".into())],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = app.get_html("/members").await;
    assert_eq!(total(&html), 14);
}
dual_test!(
    english_switch_translates_the_pages_t,
    english_switch_translates_the_pages
);

async fn non_numeric_ids_are_not_found(mut app: TestApp) {
    app.login("staff").await;
    for path in [
        "/members/abc",
        "/members/abc/edit",
        "/members/1.5",
        "/members/99999999999999999999999",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        let content_type = r
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let body = r.text().await.unwrap();
        assert!(body.contains("没有找到该记录"), "{path}: {body}");
        assert!(
            content_type.starts_with("text/html"),
            "{path}: a page answers with a page, not {content_type}"
        );
    }
    let (status, _, _) = post(&app, "/members/abc/reveal", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = post(&app, "/members/abc", &member_form("某", "x", 1)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
dual_test!(
    non_numeric_ids_are_not_found_t,
    non_numeric_ids_are_not_found
);

async fn another_subtree_sees_no_demo_members(mut app: TestApp) {
    // A second sub-district committee under the same district, made the way
    // the operator would: the admin's organisation service, then the CLI's account path.
    let admin = lvzhi::services::auth::actor_for_user(&app.db, user_id(&app, "admin").await, None)
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
    let (user, generated) =
        lvzhi::services::users::create(&app.db, Creator::Cli, &input, Some(Role::Staff))
            .await
            .unwrap();
    assert_eq!(user.role.as_deref(), Some("staff"));
    assert!(generated.is_none());

    let r = app.login_as("jianshe", "Other-Committee-2026").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, html) = app.get_html("/members").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(total(&html), 0);
    assert!(
        html.contains("没有符合条件的委员"),
        "an empty list says what to do"
    );
    assert!(!html.contains("孟爱云"));
    assert!(
        !html.contains("第一委员小组"),
        "not even the other committee's groups are offered"
    );
    let demo_group = app.group_id("第一委员小组").await;
    let (status, html) = app.get_html(&format!("/members?group={demo_group}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        total(&html),
        0,
        "a foreign group id does not widen the scope"
    );

    let demo_member = member_id(&app, "孟爱云").await;
    for path in [
        format!("/members/{demo_member}"),
        format!("/members/{demo_member}/edit"),
    ] {
        let (status, html) = app.get_html(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(!html.contains("孟爱云"));
    }
    let (status, _, _) = post(&app, &format!("/members/{demo_member}/reveal"), &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(app.audit_count("reveal_personal_data").await, 0);
    let mut form = member_form("孟爱云", &id_number("19680312", "042"), demo_group);
    form.push(("version", "1".into()));
    let (status, _, _) = post(&app, &format!("/members/{demo_member}"), &form).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no edits across subtrees");

    // Its own member, registered without a group, belongs to its committee only.
    let mut form = member_form("建设路委员", &id_number("19800808", "024"), 0);
    set(&mut form, "group_id", "");
    let (status, location, _) = post(&app, "/members", &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let own = member_id(&app, "建设路委员").await;
    assert_eq!(location, format!("/members/{own}"));
    let (_, html) = app.get_html("/members").await;
    assert_eq!(total(&html), 1);

    app.login("staff").await;
    let (status, _) = app.get_html(&format!("/members/{own}")).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "and the demo staff cannot see it"
    );
    let (_, html) = app.get_html("/members").await;
    assert_eq!(total(&html), 14);
}
dual_test!(
    another_subtree_sees_no_demo_members_t,
    another_subtree_sees_no_demo_members
);
