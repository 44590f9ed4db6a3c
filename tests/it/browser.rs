//! End-to-end flows in headless Chromium (Debian's chromium and
//! chromium-driver), driving the real pages. A failing flow leaves a
//! screenshot in `target/browser-screenshots/`. `LVZHI_TEST_BROWSER=skip`
//! skips them on a machine without Chromium.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::helpers::{spawn_app, TestApp, DEMO_PASSWORD};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

fn skipped() -> bool {
    std::env::var("LVZHI_TEST_BROWSER").is_ok_and(|v| v == "skip")
}

/// A chromedriver process, ended when dropped.
struct Driver {
    child: Child,
    port: u16,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Start chromedriver and a headless Chromium window of the given size.
async fn open_browser(width: u32, height: u32) -> (Driver, Client) {
    assert!(
        std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists(),
        "browser tests need Debian's chromium and chromium-driver (apt-get install chromium chromium-driver), or LVZHI_TEST_BROWSER=skip"
    );
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let profile = tempfile::tempdir().unwrap();
    let driver = Driver {
        child,
        port,
        _profile: profile,
    };
    let capabilities = json!({
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--lang=zh-CN",
                format!("--user-data-dir={}", driver._profile.path().display()),
                format!("--window-size={width},{height}"),
            ]
        }
    });
    let capabilities = capabilities.as_object().unwrap().clone();
    let url = format!("http://127.0.0.1:{}", driver.port);
    // chromedriver takes a moment to listen.
    let mut last_error = String::new();
    for _ in 0..50 {
        let mut builder =
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        builder.capabilities(capabilities.clone());
        match builder.connect(&url).await {
            Ok(client) => {
                // Chromium opens no narrower than 500 px from its flags; a
                // phone's width is set once the window is there.
                let _ = client.set_window_size(width, height).await;
                return (driver, client);
            }
            Err(e) => last_error = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("cannot connect to chromedriver: {last_error}");
}

/// Run a flow; on failure keep a screenshot of the page and fail with its path.
async fn run_flow<F, Fut>(name: &str, client: &Client, flow: F)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let result = flow().await;
    let folder =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser-screenshots");
    let _ = std::fs::create_dir_all(&folder);
    let shot = folder.join(format!("{name}.png"));
    if let Ok(png) = client.screenshot().await {
        let _ = std::fs::write(&shot, png);
    }
    if let Err(message) = result {
        panic!("{name}: {message} (screenshot: {})", shot.display());
    }
}

fn fail(what: impl std::fmt::Display) -> String {
    what.to_string()
}

async fn text_of_page(client: &Client) -> Result<String, String> {
    client
        .find(Locator::Css("body"))
        .await
        .map_err(fail)?
        .text()
        .await
        .map_err(fail)
}

async fn sign_in(client: &Client, app: &TestApp, username: &str) -> Result<(), String> {
    client.goto(&app.url("/login")).await.map_err(fail)?;
    client
        .find(Locator::Css("input[name=username]"))
        .await
        .map_err(fail)?
        .send_keys(username)
        .await
        .map_err(fail)?;
    client
        .find(Locator::Css("input[name=password]"))
        .await
        .map_err(fail)?
        .send_keys(DEMO_PASSWORD)
        .await
        .map_err(fail)?;
    client
        .find(Locator::Css("form button[type=submit]"))
        .await
        .map_err(fail)?
        .click()
        .await
        .map_err(fail)?;
    wait_for(client, "header nav")
        .await
        .map_err(|e| format!("{username} could not sign in ({e})"))
}

/// Wait until the page that a click leads to shows `css`.
async fn wait_for(client: &Client, css: &str) -> Result<(), String> {
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .map(|_| ())
        .map_err(|e| format!("waiting for {css}: {e}"))
}

/// Wait until the address satisfies `arrived`.
async fn wait_for_url(client: &Client, arrived: impl Fn(&str) -> bool) -> Result<(), String> {
    for _ in 0..100 {
        let url = client.current_url().await.map_err(fail)?;
        if arrived(url.as_str()) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!(
        "the page did not move on from {}",
        client.current_url().await.map_err(fail)?
    ))
}

async fn fill(client: &Client, name: &str, value: &str) -> Result<(), String> {
    let field = client
        .find(Locator::Css(&format!("[name={name}]")))
        .await
        .map_err(fail)?;
    field.clear().await.map_err(fail)?;
    field.send_keys(value).await.map_err(fail)
}

async fn select(client: &Client, name: &str, value: &str) -> Result<(), String> {
    client
        .find(Locator::Css(&format!("select[name={name}]")))
        .await
        .map_err(fail)?
        .select_by_value(value)
        .await
        .map_err(fail)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_registers_a_member_in_the_browser() {
    if skipped() {
        return;
    }
    let app = spawn_app(lvzhi::storage::Backend::Sqlite).await;
    let (_driver, client) = open_browser(1280, 900).await;
    run_flow("staff_registers_a_member", &client, || async {
        sign_in(&client, &app, "staff").await?;
        // Staff land on their to-dos; the menu leads to the member list.
        wait_for(&client, "ul.todos").await?;
        click_and_load(&client, "header nav a[href='/members']").await?;
        if client.current_url().await.map_err(fail)?.path() != "/members" {
            return Err("the menu should lead to the member list".into());
        }
        // Search by name.
        fill(&client, "q", "孟").await?;
        client
            .find(Locator::Css("form.filters button"))
            .await
            .map_err(fail)?
            .click()
            .await
            .map_err(fail)?;
        wait_for_url(&client, |u| u.contains("q=")).await?;
        let page = text_of_page(&client).await?;
        if !page.contains("孟爱云") || page.contains("孙郑华") {
            return Err(format!("search for 孟 should list 孟爱云 only: {page}"));
        }
        // Register a member, first with a wrong check digit.
        client.goto(&app.url("/members/new")).await.map_err(fail)?;
        fill(&client, "name", "林小雨").await?;
        select(&client, "gender", "female").await?;
        select(&client, "party", "cdl").await?;
        fill(&client, "sector", "教育界").await?;
        fill(&client, "phone", "13812345678").await?;
        let good_id = crate::helpers::id_number("19850304", "026");
        let bad_id = format!(
            "{}{}",
            &good_id[..17],
            if good_id.ends_with('0') { '1' } else { '0' }
        );
        fill(&client, "id_number", &bad_id).await?;
        fill(&client, "term", "7").await?;
        client
            .find(Locator::Css("form.grid button[type=submit]"))
            .await
            .map_err(fail)?
            .click()
            .await
            .map_err(fail)?;
        wait_for(&client, "p.error").await?;
        let page = text_of_page(&client).await?;
        if !page.contains("身份证号：校验位不正确") {
            return Err(format!("the wrong check digit should be named: {page}"));
        }
        let kept = client
            .find(Locator::Css("input[name=name]"))
            .await
            .map_err(fail)?
            .prop("value")
            .await
            .map_err(fail)?;
        if kept.as_deref() != Some("林小雨") {
            return Err(format!("the typed name should be kept, got {kept:?}"));
        }
        fill(&client, "phone", "13812345678").await?;
        fill(&client, "id_number", &good_id).await?;
        client
            .find(Locator::Css("form.grid button[type=submit]"))
            .await
            .map_err(fail)?
            .click()
            .await
            .map_err(fail)?;
        wait_for(&client, "dl.profile").await?;
        let url = client.current_url().await.map_err(fail)?;
        if !url.path().starts_with("/members/") {
            return Err(format!("saving should open the duty file, not {url}"));
        }
        let page = text_of_page(&client).await?;
        if !page.contains("林小雨") || !page.contains("138****5678") || page.contains("13812345678")
        {
            return Err(format!(
                "the duty file shows the member with a masked phone: {page}"
            ));
        }
        Ok(())
    })
    .await;
    let _ = client.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_members_first_page_fits_a_phone() {
    if skipped() {
        return;
    }
    let app = spawn_app(lvzhi::storage::Backend::Sqlite).await;
    let (_driver, client) = open_browser(390, 844).await;
    run_flow("member_first_page_on_a_phone", &client, || async {
        sign_in(&client, &app, "member").await?;
        // She lands on what waits on her, one tap from her duty file.
        wait_for(&client, "ul.todos").await?;
        let home = text_of_page(&client).await?;
        if !home.contains("孟爱云，您好") || !home.contains("待办事项") {
            return Err(format!("a member lands on her to-dos: {home}"));
        }
        click_and_load(&client, ".shortcuts a[href^='/members/']").await?;
        wait_for(&client, "dl.profile").await?;
        let url = client.current_url().await.map_err(fail)?;
        if !url.path().starts_with("/members/") {
            return Err(format!("the shortcut opens her duty file, not {url}"));
        }
        let page = text_of_page(&client).await?;
        for expected in ["孟爱云", "履职档案", "第一委员小组", "139****0001"] {
            if !page.contains(expected) {
                return Err(format!("the phone page shows {expected}: {page}"));
            }
        }
        let nav = client
            .find(Locator::Css("header nav"))
            .await
            .map_err(fail)?
            .text()
            .await
            .map_err(fail)?;
        let mut entries: Vec<&str> = nav.split_whitespace().collect();
        let count = entries.len();
        entries.sort_unstable();
        entries.dedup();
        if entries.len() != count {
            return Err(format!("each navigation entry appears once: {nav}"));
        }
        let widths = client
            .execute(
                "return [document.documentElement.scrollWidth, window.innerWidth];",
                vec![],
            )
            .await
            .map_err(fail)?;
        let (scroll, inner) = (
            widths[0].as_i64().unwrap_or(0),
            widths[1].as_i64().unwrap_or(0),
        );
        if inner == 0 || scroll > inner {
            return Err(format!(
                "no sideways scrolling on a phone: content {scroll}px in a {inner}px window"
            ));
        }
        Ok(())
    })
    .await;
    let _ = client.close().await;
}

async fn click(client: &Client, css: &str) -> Result<(), String> {
    client
        .find(Locator::Css(css))
        .await
        .map_err(|e| format!("{css}: {e}"))?
        .click()
        .await
        .map_err(fail)
}

/// Click, then wait until the browser has loaded the page the click leads to
/// (a new document: the mark set on the old one is gone).
async fn click_and_load(client: &Client, css: &str) -> Result<(), String> {
    client
        .execute("window.__lvzhi_old_page = true; return true;", vec![])
        .await
        .map_err(fail)?;
    click(client, css).await?;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let loaded = client
            .execute(
                "return window.__lvzhi_old_page === undefined && document.readyState === 'complete';",
                vec![],
            )
            .await;
        if matches!(loaded, Ok(serde_json::Value::Bool(true))) {
            return Ok(());
        }
    }
    Err(format!("clicking {css} loaded no new page"))
}

async fn sign_out(client: &Client) -> Result<(), String> {
    click_and_load(client, "form[action='/logout'] button").await?;
    wait_for(client, "input[name=username]").await
}

/// Take a step with the step form of a case or proposal page, and wait for the page again.
async fn take_step(client: &Client, fields: &[(&str, &str)]) -> Result<String, String> {
    for (name, value) in fields {
        let css = format!("form[action$='/steps'] [name={name}]");
        let field = client
            .find(Locator::Css(&css))
            .await
            .map_err(|e| format!("{css}: {e}"))?;
        if field.tag_name().await.map_err(fail)? == "select" {
            field.select_by_value(value).await.map_err(fail)?;
        } else {
            field.clear().await.map_err(fail)?;
            field.send_keys(value).await.map_err(fail)?;
        }
    }
    click_and_load(client, "form[action$='/steps'] button[type=submit]").await?;
    // The page comes back (redirect after the step) with its timeline.
    wait_for(client, "ol.timeline").await?;
    let page = text_of_page(client).await?;
    if client.find(Locator::Css("p.error")).await.is_ok() {
        return Err(format!("the step {fields:?} was refused: {page}"));
    }
    Ok(page)
}

async fn open_link_with_text(client: &Client, text: &str) -> Result<(), String> {
    client
        .execute("window.__lvzhi_old_page = true; return true;", vec![])
        .await
        .map_err(fail)?;
    client
        .find(Locator::LinkText(text))
        .await
        .map_err(|e| format!("link {text}: {e}"))?
        .click()
        .await
        .map_err(fail)?;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if let Ok(serde_json::Value::Bool(true)) = client
            .execute("return window.__lvzhi_old_page === undefined;", vec![])
            .await
        {
            break;
        }
    }
    wait_for(client, "ol.timeline").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reception_visit_becomes_a_case_and_is_answered() {
    if skipped() {
        return;
    }
    let app = spawn_app(lvzhi::storage::Backend::Sqlite).await;
    let day: i64 = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM reception_days ORDER BY held_on DESC LIMIT 1").fetch_one(pool).await)
    .unwrap();
    let department = lvzhi::storage::users::find_by_username(&app.db, "department")
        .await
        .unwrap()
        .unwrap()
        .department_id
        .unwrap()
        .to_string();
    let (_driver, client) = open_browser(1280, 900).await;
    run_flow("reception_visit_to_answered_case", &client, || async {
        // Staff register a visitor whose matter becomes a case.
        sign_in(&client, &app, "staff").await?;
        client
            .goto(&app.url(&format!("/reception/{day}")))
            .await
            .map_err(fail)?;
        wait_for(&client, "form[action$='/visits']").await?;
        fill(&client, "people", "2").await?;
        select(&client, "community", "孙八砦社区").await?;
        fill(&client, "summary", "反映小区门口路灯长期不亮").await?;
        fill(&client, "visitor_name", "李大爷").await?;
        select(&client, "outcome", "case").await?;
        fill(&client, "subject_1", "孙八砦社区门口路灯不亮").await?;
        fill(&client, "description_1", "路灯坏了三个月，夜间出行不便").await?;
        click_and_load(&client, "form[action$='/visits'] button[type=submit]").await?;
        wait_for_url(&client, |u| u.ends_with(&format!("/reception/{day}"))).await?;
        let page = text_of_page(&client).await?;
        if !page.contains("反映小区门口路灯长期不亮") {
            return Err(format!("the visit is listed on its day: {page}"));
        }
        // Forward it to the department.
        client.goto(&app.url("/cases")).await.map_err(fail)?;
        open_link_with_text(&client, "孙八砦社区门口路灯不亮").await?;
        let case_url = client.current_url().await.map_err(fail)?.to_string();
        take_step(
            &client,
            &[("action", "forward"), ("department_id", &department)],
        )
        .await?;
        sign_out(&client).await?;
        // The department finds it in its inbox and replies.
        sign_in(&client, &app, "department").await?;
        client.goto(&app.url("/inbox")).await.map_err(fail)?;
        open_link_with_text(&client, "孙八砦社区门口路灯不亮").await?;
        let page = take_step(
            &client,
            &[
                ("action", "resolve"),
                ("reply", "已更换路灯灯具三盏，恢复照明。"),
            ],
        )
        .await?;
        if !page.contains("已更换路灯灯具三盏") {
            return Err(format!("the reply is on the case: {page}"));
        }
        sign_out(&client).await?;
        // Staff follow up with the visitor.
        sign_in(&client, &app, "staff").await?;
        client.goto(&case_url).await.map_err(fail)?;
        wait_for(&client, "ol.timeline").await?;
        let page = take_step(
            &client,
            &[("action", "follow_up"), ("satisfaction", "satisfied")],
        )
        .await?;
        if !page.contains("已回访") || !page.contains("满意") {
            return Err(format!("the case is followed up: {page}"));
        }
        Ok(())
    })
    .await;
    let _ = client.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proposal_from_draft_to_rating() {
    if skipped() {
        return;
    }
    let app = spawn_app(lvzhi::storage::Backend::Sqlite).await;
    let department = lvzhi::storage::users::find_by_username(&app.db, "department")
        .await
        .unwrap()
        .unwrap()
        .department_id
        .unwrap()
        .to_string();
    let (_driver, client) = open_browser(1280, 900).await;
    run_flow("proposal_draft_to_rating", &client, || async {
        // A member drafts; the similar proposals appear beside the draft as they type.
        sign_in(&client, &app, "member").await?;
        client
            .goto(&app.url("/proposals/new"))
            .await
            .map_err(fail)?;
        wait_for(&client, "#proposal-form").await?;
        fill(&client, "headline", "关于城中村改造安置房尽快交付的建议").await?;
        fill(
            &client,
            "text",
            "城中村改造后安置房迟迟不能交付，拆迁群众在外过渡时间长，意见很大。",
        )
        .await?;
        wait_for(&client, "#similar ol.similar li a").await?;
        let similar = client
            .find(Locator::Css("#similar"))
            .await
            .map_err(fail)?
            .text()
            .await
            .map_err(fail)?;
        if !similar.contains("孙八砦城中村改造安置房") {
            return Err(format!(
                "the similar list names the earlier proposal: {similar}"
            ));
        }
        select(&client, "category", "urban").await?;
        click_and_load(&client, "button[name=intent][value=submit]").await?;
        wait_for(&client, "ol.timeline").await?;
        let proposal_url = client.current_url().await.map_err(fail)?.to_string();
        let page = text_of_page(&client).await?;
        if !page.contains("已提交") {
            return Err(format!("the proposal is submitted: {page}"));
        }
        sign_out(&client).await?;
        // Staff accept and assign it.
        sign_in(&client, &app, "staff").await?;
        client.goto(&proposal_url).await.map_err(fail)?;
        wait_for(&client, "ol.timeline").await?;
        let page = text_of_page(&client).await?;
        if !page.contains("相似提案") {
            return Err(format!("staff reviewing see the similar proposals: {page}"));
        }
        let page = take_step(&client, &[("action", "accept")]).await?;
        if !page.contains("号") {
            return Err(format!("accepted with a number: {page}"));
        }
        take_step(
            &client,
            &[("action", "assign"), ("lead_department_id", &department)],
        )
        .await?;
        sign_out(&client).await?;
        // The department answers.
        sign_in(&client, &app, "department").await?;
        client.goto(&app.url("/proposals")).await.map_err(fail)?;
        open_link_with_text(&client, "关于城中村改造安置房尽快交付的建议").await?;
        take_step(
            &client,
            &[
                ("action", "answer"),
                ("answer_class", "b"),
                ("reply", "安置房二期已列入明年计划，年底前交付一期。"),
            ],
        )
        .await?;
        sign_out(&client).await?;
        // The member rates the answer: the proposal is closed.
        sign_in(&client, &app, "member").await?;
        client.goto(&proposal_url).await.map_err(fail)?;
        wait_for(&client, "ol.timeline").await?;
        let page = take_step(&client, &[("action", "rate"), ("rating", "satisfied")]).await?;
        if !page.contains("已办结") || !page.contains("安置房二期已列入明年计划") {
            return Err(format!("rated and closed, with the answer shown: {page}"));
        }
        Ok(())
    })
    .await;
    let _ = client.close().await;
}

/// axe-core's script, installed by the tests' own setup (`npm ci` in
/// `tests/browser`) the first time it is needed.
fn axe_source() -> String {
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let script = folder.join("node_modules/axe-core/axe.min.js");
    let _guard = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    if !script.exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--silent"])
            .current_dir(&folder)
            .status()
            .expect("npm, to install axe-core for the browser checks");
        assert!(status.success(), "npm ci in tests/browser failed");
    }
    std::fs::read_to_string(&script).expect("axe-core's axe.min.js")
}

/// Words the Chinese interface must never show: the codes behind statuses,
/// steps and outcomes (a page shows their words).
const CODES: [&str; 24] = [
    "registered",
    "forwarded",
    "in_progress",
    "resolved",
    "followed_up",
    "draft",
    "submitted",
    "accepted",
    "not_accepted",
    "merged",
    "assigned",
    "answered",
    "withdrawn",
    "edited",
    "adopted",
    "pending",
    "approved",
    "rejected",
    "confirmed",
    "excused",
    "present",
    "absent",
    "info_step",
    "case_step",
];

/// What one page must hold to: no sideways scrolling, no catalogue key or
/// code in its words, no field narrower than its label, and (when `axe` is
/// given) no serious or critical accessibility violation.
async fn check_page(client: &Client, axe: Option<&str>) -> Vec<String> {
    let mut problems = Vec::new();
    let measured = client
        .execute(
            "const fields = [...document.querySelectorAll('main label')].flatMap(label => {
                 const control = label.querySelector('input:not([type=checkbox]):not([type=radio]):not([type=hidden]), select, textarea');
                 if (!control || control.offsetParent === null) { return []; }
                 const text = [...label.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join('').trim();
                 const probe = document.createElement('span');
                 probe.textContent = text;
                 probe.style.font = getComputedStyle(label).font;
                 probe.style.position = 'absolute';
                 document.body.appendChild(probe);
                 const needed = probe.getBoundingClientRect().width;
                 probe.remove();
                 const width = control.getBoundingClientRect().width;
                 return width + 1 < needed ? [text + ' (' + Math.round(width) + 'px < ' + Math.round(needed) + 'px)'] : [];
             });
             return [document.documentElement.scrollWidth, window.innerWidth, document.body.innerText, fields];",
            vec![],
        )
        .await;
    let Ok(measured) = measured else {
        return vec![format!("could not measure the page: {measured:?}")];
    };
    let (scroll, inner) = (
        measured[0].as_i64().unwrap_or(0),
        measured[1].as_i64().unwrap_or(0),
    );
    if scroll > inner {
        problems.push(format!("scrolls sideways: {scroll}px in {inner}px"));
    }
    let text = measured[2].as_str().unwrap_or("");
    for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.')) {
        let is_key = word.contains('.')
            && word.split('.').count() >= 2
            && word.split('.').all(|part| {
                !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase() || c == '_')
            });
        let problem = format!("shows a code: {word}");
        if (is_key || CODES.contains(&word)) && !problems.contains(&problem) {
            problems.push(problem);
        }
    }
    for field in measured[3].as_array().into_iter().flatten() {
        problems.push(format!("a field narrower than its label: {field}"));
    }
    if let Some(axe) = axe {
        let injected = client.execute(axe, vec![]).await;
        if let Err(e) = injected {
            problems.push(format!("axe-core did not load: {e}"));
            return problems;
        }
        let found = client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document).then(r => done({
                     passes: r.passes.length,
                     violations: r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                         .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))
                 })).catch(e => done({passes: 0, violations: ['axe failed: ' + e]}));",
                vec![],
            )
            .await;
        match found {
            // A run that passed no rule did not look at the page.
            Ok(result) if result["passes"].as_i64().unwrap_or(0) == 0 => {
                problems.push(format!("axe-core checked nothing: {result}"));
            }
            Ok(result) => problems.extend(
                result["violations"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|v| format!("accessibility: {}", v.as_str().unwrap_or(""))),
            ),
            Err(e) => problems.push(format!("axe-core did not run: {e}")),
        }
    }
    problems
}

/// Every role's pages (their menu, and the first record each list links
/// to) at desk and phone width: each page saved as a screenshot under
/// `target/browser-screenshots/tour/`, and each checked by `check_page`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_roles_pages_hold_at_desk_and_phone_width() {
    if skipped() {
        return;
    }
    let axe = axe_source();
    let app = spawn_app(lvzhi::storage::Backend::Sqlite).await;
    let folder =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser-screenshots/tour");
    let _ = std::fs::create_dir_all(&folder);
    let mut problems: Vec<String> = Vec::new();
    let mut pages_checked = 0;
    for (width, height) in [(390, 844), (1366, 900)] {
        let (_driver, client) = open_browser(width, height).await;
        for role in [
            "staff",
            "member",
            "department",
            "admin",
            "security",
            "auditor",
        ] {
            let _ = client.delete_all_cookies().await;
            if let Err(e) = sign_in(&client, &app, role).await {
                problems.push(format!("{role}: {e}"));
                continue;
            }
            let menu = client
                .execute(
                    "return [...document.querySelectorAll('header nav a')].map(a => a.getAttribute('href'));",
                    vec![],
                )
                .await
                .unwrap_or_default();
            let mut paths: Vec<String> = menu
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect();
            let mut index = 0;
            while index < paths.len() && index < 24 {
                let path = paths[index].clone();
                index += 1;
                if client.goto(&app.url(&path)).await.is_err() {
                    problems.push(format!("{role} {width}px {path}: did not open"));
                    continue;
                }
                // The first record a list links to, once per list.
                if index <= menu.as_array().map_or(0, Vec::len) {
                    let first = client
                        .execute(
                            "const a = [...document.querySelectorAll('main a[href]')]
                                 .find(a => /^\\/[a-z-]+\\/\\d+$/.test(a.getAttribute('href')));
                             return a ? a.getAttribute('href') : null;",
                            vec![],
                        )
                        .await
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string));
                    if let Some(first) = first.filter(|f| !paths.contains(f)) {
                        paths.push(first);
                    }
                }
                let slug: String = path
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                    .collect();
                if let Ok(png) = client.screenshot().await {
                    let _ = std::fs::write(folder.join(format!("{role}{slug}-{width}.png")), png);
                }
                // The accessibility engine once per page, at phone width.
                let axe = (width == 390).then_some(axe.as_str());
                for problem in check_page(&client, axe).await {
                    problems.push(format!("{role} {width}px {path}: {problem}"));
                }
                pages_checked += 1;
            }
        }
        let _ = client.close().await;
    }
    assert!(pages_checked >= 40, "the tour saw {pages_checked} pages");
    assert!(
        problems.is_empty(),
        "{} problems on {pages_checked} pages:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
