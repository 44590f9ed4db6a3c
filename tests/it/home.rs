//! The first pages: staff's year at a glance (plan status with what is at
//! risk first, overdue work, the next reception day, key projects and the
//! records per month as charts, the committees under a district rolled up),
//! a member's quotas and a department's work by due date.

use reqwest::StatusCode;

use crate::dual_test;
use crate::helpers::{change_password, spawn_client_for, TestApp, ADDED_PASSWORD};

/// The SVG charts of a page, each whole.
fn charts(html: &str) -> Vec<&str> {
    html.split("<svg ")
        .skip(1)
        .map(|rest| &rest[..rest.find("</svg>").unwrap()])
        .collect()
}

async fn staff_see_the_year_at_a_glance(mut app: TestApp) {
    app.login("staff").await;
    let (status, html) = app.get_html("/").await;
    assert_eq!(status, StatusCode::OK);
    // The to-dos stay.
    assert!(html.contains("待办事项"), "{html}");
    // The plan of the latest year, every rule linked to its status page.
    assert!(html.contains("本期工作计划执行情况"));
    assert!(html.contains("/plans/status?org="), "{html}");
    assert!(html.contains("已完成"));
    // Overdue work, counted and linked.
    assert!(html.contains("逾期事项"));
    assert!(html.contains("/proposals?overdue=yes"));
    // The next reception day with the duty group's members.
    assert!(html.contains("下一个接待日"));
    assert!(html.contains("值班委员："), "{html}");
    // The seed's projects: 万达 exceeded its 2011 target by 23%.
    assert!(html.contains("2011年重点项目投资完成情况"), "{html}");
    assert!(html.contains("二七万达广场"));
    let all = charts(&html);
    assert!(all.len() >= 2, "{} charts", all.len());
    for chart in &all {
        assert!(chart.contains("role=\"img\""));
        assert!(chart.contains("<title id="));
        assert!(chart.contains("<desc id="));
        assert!(!chart.contains("<script"));
    }
    let projects = all
        .iter()
        .find(|c| c.contains("project-chart"))
        .expect("the projects' chart");
    assert!(
        projects.contains("二七万达广场完成年度投资目标的123%"),
        "{projects}"
    );
    assert!(projects.contains(">123%<"));
    // Records per month of the demo's year.
    let months = all
        .iter()
        .find(|c| c.contains("months-chart"))
        .expect("the months' chart");
    assert!(months.contains(">12月<"), "{months}");
    // A street committee has no committees under it.
    assert!(!html.contains("下辖委员会"));
}
dual_test!(
    staff_see_the_year_at_a_glance_t,
    staff_see_the_year_at_a_glance
);

async fn a_district_sees_its_committees_rolled_up(app: TestApp) {
    let committee = lvzhi::storage::users::find_by_username(&app.db, "staff")
        .await
        .unwrap()
        .unwrap()
        .org_id;
    let district = lvzhi::storage::orgs::get_org(&app.db, committee)
        .await
        .unwrap()
        .unwrap()
        .parent_id
        .unwrap();
    lvzhi::services::users::create(
        &app.db,
        lvzhi::services::users::Creator::Cli,
        &lvzhi::services::users::UserInput {
            username: "staff-district".into(),
            display_name: "区政协工作人员".into(),
            org_id: Some(district.to_string()),
            member_id: None,
            department_id: None,
            password: Some(ADDED_PASSWORD.into()),
        },
        Some(lvzhi::domain::roles::Role::Staff),
    )
    .await
    .unwrap();
    let own = "District-Staff-2012x";
    change_password(&app, "staff-district", ADDED_PASSWORD, own).await;
    let mut browser = spawn_client_for(&app).await;
    assert_eq!(
        browser.login_as("staff-district", own).await.status(),
        StatusCode::SEE_OTHER
    );
    let html = browser.page_text("/").await;
    assert!(html.contains("下辖委员会"), "{html}");
    assert!(
        html.contains(&format!("/plans/status?org={committee}")),
        "{html}"
    );
    assert!(html.contains(&format!("/cases?org={committee}")));
    // The committee's row: its own figures, counted one committee at a time.
    let row = &html[html.find(&format!("/cases?org={committee}")).unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    let shown: Vec<i64> = row
        .split("\">")
        .skip(1)
        .filter_map(|cell| cell.split('<').next()?.trim().parse().ok())
        .collect();
    let path = lvzhi::storage::orgs::get_org(&app.db, committee)
        .await
        .unwrap()
        .unwrap()
        .path;
    let today = lvzhi::app::clock::today();
    let scope = Some(path);
    use lvzhi::storage::{cases, info, proposals};
    let open = cases::CaseFilter {
        scope_path: scope.clone(),
        open_only: true,
        ..Default::default()
    };
    let late = cases::CaseFilter {
        scope_path: scope.clone(),
        overdue_on: Some(today),
        ..Default::default()
    };
    let late_proposals = proposals::ProposalFilter {
        scope_path: scope.clone(),
        overdue_on: Some(today),
        ..Default::default()
    };
    let waiting = info::InfoFilter {
        scope_path: scope,
        status: Some("submitted".into()),
        to: Some(today - chrono::Duration::days(lvzhi::services::overview::INFO_WAIT_DAYS + 1)),
        ..Default::default()
    };
    let counted = vec![
        cases::count(&app.db, &open).await.unwrap(),
        cases::count(&app.db, &late).await.unwrap(),
        proposals::count(&app.db, &late_proposals).await.unwrap(),
        info::count(&app.db, &waiting).await.unwrap(),
    ];
    assert_eq!(shown, counted, "{row}");
    assert!(
        counted.iter().sum::<i64>() > 0,
        "the demo has open work: {counted:?}"
    );
    // The district has no plan of its own.
    assert!(html.contains("本委员会还没有工作计划。"));
}
dual_test!(
    a_district_sees_its_committees_rolled_up_t,
    a_district_sees_its_committees_rolled_up
);

async fn a_member_sees_their_quotas(mut app: TestApp) {
    app.login("member").await;
    let (status, html) = app.get_html("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("我的2012年履职要求"), "{html}");
    assert!(html.contains("截至2012-12-31"));
    assert!(html.contains("全年已完成"));
    let all = charts(&html);
    assert_eq!(all.len(), 1, "{html}");
    assert!(all[0].contains("my-quota-chart"));
    assert!(all[0].contains("第1项完成"), "{}", all[0]);
    // Their points stay.
    assert!(html.contains("/points/members/"));

    // Their quotas, read from their own records alone, are what the whole
    // committee's status says of them.
    let user = lvzhi::storage::users::find_by_username(&app.db, "member")
        .await
        .unwrap()
        .unwrap();
    let actor = lvzhi::services::auth::actor_for_user(&app.db, user.id, None)
        .await
        .unwrap()
        .unwrap();
    let me = actor.member_id.unwrap();
    use lvzhi::services::plans::{own_quotas, status_counts, StatusQuery};
    for period in ["2011", "2012", "2011-Q2", "2012-05"] {
        let q = StatusQuery {
            org: None,
            period: Some(period.into()),
        };
        let own = own_quotas(&app.db, &actor, &q).await.unwrap();
        let all = status_counts(&app.db, &actor, &q).await.unwrap();
        let mine = |r: &lvzhi::services::plans::PlanStatusReport| {
            let mut out = Vec::new();
            for i in &r.items {
                if i.scope != lvzhi::domain::plans::Scope::EachMember {
                    continue;
                }
                for p in &i.periods {
                    for s in &p.scopes {
                        if s.kind == "member" && s.id == me {
                            out.push((i.item_id, p.period.clone(), s.status, s.figures.clone()));
                        }
                    }
                }
            }
            out
        };
        assert_eq!(mine(&own), mine(&all), "{period}");
        assert!(own
            .items
            .iter()
            .all(|i| i.scope == lvzhi::domain::plans::Scope::EachMember));
    }
    assert!(
        !mine_is_empty(&app, &actor).await,
        "the demo member has quotas"
    );
}

async fn mine_is_empty(app: &TestApp, actor: &lvzhi::services::Actor) -> bool {
    let q = lvzhi::services::plans::StatusQuery {
        org: None,
        period: Some("2011".into()),
    };
    lvzhi::services::plans::own_quotas(&app.db, actor, &q)
        .await
        .unwrap()
        .items
        .is_empty()
}
dual_test!(a_member_sees_their_quotas_t, a_member_sees_their_quotas);

/// The due dates of a section's lines, in order (`YYYY-MM-DD到期`).
fn due_dates(section: &str) -> Vec<String> {
    section
        .match_indices("到期，")
        .map(|(i, _)| section[i - 10..i].to_string())
        .collect()
}

async fn a_department_sees_its_work_by_due_date(mut app: TestApp) {
    app.login("department").await;
    let (status, html) = app.get_html("/").await;
    assert_eq!(status, StatusCode::OK);
    let cases_at = html.find("待办结的群众诉求（按期限）").expect(&html);
    let proposals_at = html.find("待答复的提案（按期限）").expect(&html);
    for section in [&html[cases_at..proposals_at], &html[proposals_at..]] {
        let dates = due_dates(section);
        let mut sorted = dates.clone();
        sorted.sort();
        assert_eq!(dates, sorted, "soonest first");
        assert!(
            !dates.is_empty() || section.contains("没有待办的。") || section.contains("未设期限"),
            "{section}"
        );
    }
    // The demo's department holds overdue work, marked.
    assert!(html.contains("已逾期"), "{html}");
}
dual_test!(
    a_department_sees_its_work_by_due_date_t,
    a_department_sees_its_work_by_due_date
);
