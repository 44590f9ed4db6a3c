//! Reminders: a case falling due notifies its department once however often
//! the sweep runs, in the app (the unread count on every page, mark read,
//! another's notification is not found) and out of it (an e-mail to a local
//! SMTP sink, a post to a local group-robot receiver, both started here);
//! two servers on one database send each message once; a failed send is
//! retried and shown to the administrator.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use lvzhi::app::config::Settings;
use lvzhi::services::notifications::{self as service, Notifiers, Outlets};
use lvzhi::storage::Db;

use crate::dual_test;
use crate::helpers::{departments, ok_step, Record::Case, TestApp};

/// The messages an SMTP sink took: (recipients, data) of each.
type Mailbag = Arc<Mutex<Vec<(Vec<String>, String)>>>;

/// A local SMTP server that accepts every message: (recipients, data) of each.
#[derive(Clone, Default)]
struct SmtpSink {
    messages: Mailbag,
    port: u16,
}

impl SmtpSink {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let sink = SmtpSink {
            messages: Default::default(),
            port,
        };
        let messages = Arc::clone(&sink.messages);
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let messages = Arc::clone(&messages);
                tokio::spawn(async move {
                    let _ = session(socket, messages).await;
                });
            }
        });
        sink
    }

    fn received(&self) -> Vec<(Vec<String>, String)> {
        self.messages.lock().unwrap().clone()
    }
}

/// Enough SMTP to take a message: greeting, EHLO, MAIL, RCPT, DATA, QUIT.
async fn session(socket: tokio::net::TcpStream, messages: Mailbag) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 sink ESMTP\r\n").await?;
    let mut recipients = Vec::new();
    loop {
        let mut line = String::new();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_ascii_uppercase();
        if command.starts_with("EHLO") {
            write.write_all(b"250-sink\r\n250 8BITMIME\r\n").await?;
        } else if command.starts_with("HELO") || command.starts_with("MAIL") {
            write.write_all(b"250 OK\r\n").await?;
        } else if command.starts_with("RCPT") {
            recipients.push(line.trim_end()[8..].trim().to_string());
            write.write_all(b"250 OK\r\n").await?;
        } else if command == "DATA" {
            write.write_all(b"354 go on\r\n").await?;
            let mut data = String::new();
            loop {
                let mut l = String::new();
                if lines.read_line(&mut l).await? == 0 {
                    return Ok(());
                }
                if l == ".\r\n" || l == ".\n" {
                    break;
                }
                data.push_str(&l);
            }
            messages
                .lock()
                .unwrap()
                .push((std::mem::take(&mut recipients), data));
            write.write_all(b"250 queued\r\n").await?;
        } else if command == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            write.write_all(b"250 OK\r\n").await?;
        }
    }
}

/// A local group-robot webhook: keeps each text message; answers 500 to
/// the first `fail` posts.
#[derive(Clone)]
struct Robot {
    texts: Arc<Mutex<Vec<String>>>,
    fail: Arc<AtomicUsize>,
    url: String,
}

impl Robot {
    async fn start() -> Self {
        use axum::extract::State;
        use axum::routing::post;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://{}/robot/send?key=test",
            listener.local_addr().unwrap()
        );
        let robot = Robot {
            texts: Default::default(),
            fail: Default::default(),
            url,
        };
        let state = robot.clone();
        let app = axum::Router::new()
            .route(
                "/robot/send",
                post(
                    |State(robot): State<Robot>, axum::Json(body): axum::Json<Value>| async move {
                        // A little work per message, so that two workers overlap.
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        let failing = robot
                            .fail
                            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                            .is_ok();
                        if failing {
                            return (
                                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                                "robot down".to_string(),
                            );
                        }
                        assert_eq!(body["msgtype"], "text", "{body}");
                        let text = body["text"]["content"].as_str().unwrap().to_string();
                        robot.texts.lock().unwrap().push(text);
                        (
                            axum::http::StatusCode::OK,
                            r#"{"errcode":0,"errmsg":"ok"}"#.to_string(),
                        )
                    },
                ),
            )
            .with_state(state);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        robot
    }

    fn texts(&self) -> Vec<String> {
        self.texts.lock().unwrap().clone()
    }
}

fn settings(sink: Option<&SmtpSink>, robot: Option<&Robot>) -> Settings {
    Settings {
        smtp_host: sink.map(|_| "127.0.0.1".to_string()),
        smtp_port: sink.map(|s| s.port),
        smtp_tls: "none".into(),
        smtp_from: "履职平台 <lvzhi@example.org>".into(),
        webhook_url: robot.map(|r| r.url.clone()),
        ..Settings::default()
    }
}

fn today() -> chrono::NaiveDate {
    lvzhi::app::clock::today()
}

/// A case forwarded to the demo department today, due today.
async fn case_due_today(app: &TestApp, subject: &str) -> i64 {
    let staff = app.token("staff").await;
    let (own, _) = departments(app).await;
    let (status, case) = app
        .api_post(
            &staff,
            "/api/v1/cases",
            &json!({"community": "孙八砦社区", "subject": subject, "description": "路灯坏了三个月",
                    "contact_name": "李大爷", "contact_phone": "13812345678", "received_on": "2024-01-02"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let on = today().to_string();
    let case = ok_step(
        app,
        &staff,
        Case(&case),
        json!({"action": "forward", "department_id": own, "on": on, "due_on": on}),
    )
    .await;
    case["id"].as_i64().unwrap()
}

async fn user_id(app: &TestApp, username: &str) -> i64 {
    lvzhi::storage::users::find_by_username(&app.db, username)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn scalar(db: &Db, sql: &str, id: i64) -> i64 {
    lvzhi::on_db!(db, pool => sqlx::query_scalar::<_, i64>(sql).bind(id).fetch_one(pool).await)
        .unwrap()
}

async fn a_case_falling_due_reminds_its_department_once(mut app: TestApp) {
    let sink = SmtpSink::start().await;
    let robot = Robot::start().await;
    let case_id = case_due_today(&app, "路灯不亮提醒").await;
    let department = user_id(&app, "department").await;

    // The handler gives an address for e-mail (a bad one is refused, in Chinese).
    app.login("department").await;
    let r = app
        .post_form("/notifications/email", &[("email", "not an address")])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("邮箱：不是有效的邮箱地址"), "{html}");
    assert_eq!(app.count("notification_addresses").await, 0);
    let r = app
        .post_form("/notifications/email", &[("email", "handler@example.org")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let s = settings(Some(&sink), Some(&robot));
    let outlets = Outlets::from_settings(&s);
    let first = service::sweep(&app.db, today(), 3, &outlets).await.unwrap();
    assert!(first.created >= 1, "{first:?}");
    let mine = "SELECT COUNT(*) FROM notifications WHERE record_id = $1 AND kind = 'case_due_soon'";
    let for_handler = format!("{mine} AND recipient_id = {department}");
    assert_eq!(scalar(&app.db, &for_handler, case_id).await, 1);
    let (notifications, outbox) = (
        app.count("notifications").await,
        app.count("notification_outbox").await,
    );

    // Running the sweep again creates nothing twice.
    let again = service::sweep(&app.db, today(), 3, &outlets).await.unwrap();
    assert_eq!(again.created, 0, "{again:?}");
    assert_eq!(again.found, first.found);
    assert_eq!(app.count("notifications").await, notifications);
    assert_eq!(app.count("notification_outbox").await, outbox);

    // Out of the app: one e-mail to the handler and one robot message about it.
    let notifiers = Notifiers::from_settings(&s).unwrap();
    let sent = service::deliver(&app.db, &notifiers, "w1", 6)
        .await
        .unwrap();
    assert_eq!(sent.failed, 0, "{sent:?}");
    assert_eq!(sent.sent as i64, outbox);
    let key = format!("case_due_soon:{case_id}:{}", today());
    let email_rows = lvzhi::on_db!(&app.db, pool => sqlx::query_as::<_, (String, String)>(
        "SELECT address, status FROM notification_outbox WHERE channel = 'email' AND dedup_key = $1")
        .bind(&key).fetch_all(pool).await)
    .unwrap();
    assert_eq!(
        email_rows,
        vec![("handler@example.org".to_string(), "sent".to_string())]
    );
    let mails = sink.received();
    let emails_sent = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM notification_outbox WHERE channel = 'email' AND status = 'sent'")
        .fetch_one(pool).await)
    .unwrap();
    assert_eq!(mails.len() as i64, emails_sent);
    assert!(mails.iter().all(
        |(to, data)| to == &vec!["<handler@example.org>".to_string()] && data.contains("Subject:")
    ));
    let about_case: Vec<String> = robot
        .texts()
        .into_iter()
        .filter(|t| t.contains("路灯不亮提醒"))
        .collect();
    assert_eq!(about_case.len(), 1, "{about_case:?}");
    assert!(about_case[0].contains("将于") && about_case[0].contains("到期"));
    // Sent once: another run sends nothing.
    let again = service::deliver(&app.db, &notifiers, "w1", 6)
        .await
        .unwrap();
    assert_eq!((again.sent, again.failed), (0, 0));
    assert_eq!(sink.received().len(), mails.len());

    // In the app: the unread count in the header of every page.
    let unread = scalar(
        &app.db,
        "SELECT COUNT(*) FROM notifications WHERE recipient_id = $1 AND read_at IS NULL",
        department,
    )
    .await;
    assert!(unread >= 1);
    let (status, html) = app.get_html("/inbox").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!("class=\"badge\" title=\"未读\">{unread}</span>")),
        "{html}"
    );
    let (_, html) = app.get_html("/notifications").await;
    assert!(html.contains("信访件“路灯不亮提醒”将于"), "{html}");

    // The API lists them, paged, the unread ones alone on request.
    let token = app.token("department").await;
    let (status, list) = app
        .api_get(&token, "/api/v1/notifications?unread=true&per_page=200")
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["total"], unread);
    let item = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["record_id"] == case_id && i["kind"] == "case_due_soon")
        .unwrap()
        .clone();
    assert_eq!(item["href"], format!("/cases/{case_id}"));
    let nid = item["id"].as_i64().unwrap();
    let (status, page) = app
        .api_get(&token, "/api/v1/notifications?per_page=1&page=1")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let (status, bad) = app
        .api_get(&token, "/api/v1/notifications?unread=maybe")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");

    // Another user's notification is not found; nothing changes.
    let staff = app.token("staff").await;
    let (status, _) = app
        .api_post(
            &staff,
            &format!("/api/v1/notifications/{nid}/read"),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let r = app.post_form("/notifications/999999999/read", &[]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Mark read on the page: it leads to the case, and the count goes down.
    let r = app
        .post_form(&format!("/notifications/{nid}/read"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"].to_str().unwrap(),
        format!("/cases/{case_id}")
    );
    let (_, list) = app.api_get(&token, "/api/v1/notifications?unread=1").await;
    assert_eq!(list["total"], unread - 1);
    let (status, read) = app
        .api_post(
            &token,
            &format!("/api/v1/notifications/{nid}/read"),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert!(read["read_at"].is_string());

    // Mark all read: the badge goes.
    let r = app.post_form("/notifications/read-all", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get_html("/notifications").await;
    assert!(!html.contains("class=\"badge\""), "{html}");
}

dual_test!(
    a_case_falling_due_reminds_its_department_once_t,
    a_case_falling_due_reminds_its_department_once
);

async fn a_failed_send_is_retried_and_shown_to_the_admin(mut app: TestApp) {
    let robot = Robot::start().await;
    case_due_today(&app, "井盖缺失提醒").await;
    let s = settings(None, Some(&robot));
    service::sweep(&app.db, today(), 3, &Outlets::from_settings(&s))
        .await
        .unwrap();
    let queued = app.count("notification_outbox").await;
    assert!(queued >= 1);
    // The robot is down for every first attempt.
    robot.fail.store(queued as usize, Ordering::SeqCst);
    let notifiers = Notifiers::from_settings(&s).unwrap();
    let first = service::deliver(&app.db, &notifiers, "w1", 3)
        .await
        .unwrap();
    assert_eq!((first.sent, first.failed as i64), (0, queued));
    let waiting =
        lvzhi::on_db!(&app.db, pool => sqlx::query_as::<_, (String, i64, Option<String>)>(
        "SELECT status, attempts, last_error FROM notification_outbox ORDER BY id LIMIT 1")
        .fetch_one(pool).await)
        .unwrap();
    assert_eq!(waiting.0, "pending");
    assert_eq!(waiting.1, 1);
    assert!(waiting.2.as_deref().unwrap().contains("500"), "{waiting:?}");

    // The administrator sees it and why.
    app.login("admin").await;
    let (status, html) = app.get_html("/admin/outbox").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("HTTP 500") && html.contains("robot down"),
        "{html}"
    );
    assert!(html.contains("待发送"), "{html}");

    // Not before its time…
    let early = service::deliver(&app.db, &notifiers, "w1", 3)
        .await
        .unwrap();
    assert_eq!((early.sent, early.failed), (0, 0));
    // …then retried, and sent.
    let past = chrono::Utc::now() - chrono::Duration::minutes(5);
    lvzhi::on_db!(&app.db, pool => sqlx::query("UPDATE notification_outbox SET next_attempt_at = $1")
        .bind(past).execute(pool).await.map(|_| ()))
    .unwrap();
    let retried = service::deliver(&app.db, &notifiers, "w1", 3)
        .await
        .unwrap();
    assert_eq!((retried.sent as i64, retried.failed), (queued, 0));
    assert_eq!(robot.texts().len() as i64, queued);
    assert!(robot.texts().iter().any(|t| t.contains("井盖缺失提醒")));

    // A message that keeps failing is given up after the last attempt and
    // stays on the administrator's page.
    let broken = Robot::start().await;
    broken.fail.store(usize::MAX, Ordering::SeqCst);
    case_due_today(&app, "树枝挡路提醒").await;
    let s = settings(None, Some(&broken));
    service::sweep(&app.db, today(), 3, &Outlets::from_settings(&s))
        .await
        .unwrap();
    let notifiers = Notifiers::from_settings(&s).unwrap();
    for _ in 0..2 {
        service::deliver(&app.db, &notifiers, "w1", 2)
            .await
            .unwrap();
        lvzhi::on_db!(&app.db, pool => sqlx::query("UPDATE notification_outbox SET next_attempt_at = $1 WHERE status = 'pending'")
            .bind(past).execute(pool).await.map(|_| ()))
        .unwrap();
    }
    let given_up = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM notification_outbox WHERE status = 'failed' AND attempts = 2")
        .fetch_one(pool).await)
    .unwrap();
    assert!(given_up >= 1);
    let (_, html) = app.get_html("/admin/outbox").await;
    assert!(html.contains("发送失败"), "{html}");
    let after = service::deliver(&app.db, &notifiers, "w1", 2)
        .await
        .unwrap();
    assert_eq!((after.sent, after.failed), (0, 0));
}

dual_test!(
    a_failed_send_is_retried_and_shown_to_the_admin_t,
    a_failed_send_is_retried_and_shown_to_the_admin
);

/// Two servers on one database: each runs the sweep and the outbox at the
/// same moment, through its own connection pool; every message goes out once.
async fn two_servers_send_each_message_once(app: TestApp) {
    let robot = Robot::start().await;
    for i in 0..5 {
        case_due_today(&app, &format!("双服务器提醒{i}")).await;
    }
    let other = Db::connect(&app.database_url).await.unwrap();
    let s = settings(None, Some(&robot));
    let outlets = Outlets::from_settings(&s);
    let (a, b) = tokio::join!(
        service::sweep(&app.db, today(), 3, &outlets),
        service::sweep(&other, today(), 3, &outlets),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let notifications = app.count("notifications").await;
    assert_eq!((a.created + b.created) as i64, notifications);
    let queued = app.count("notification_outbox").await;
    assert_eq!((a.queued + b.queued) as i64, queued);
    assert!(queued >= 5);

    let (n1, n2) = (
        Notifiers::from_settings(&s).unwrap(),
        Notifiers::from_settings(&s).unwrap(),
    );
    let (w1, w2) = tokio::join!(
        service::deliver(&app.db, &n1, "server-1", 6),
        service::deliver(&other, &n2, "server-2", 6),
    );
    let (w1, w2) = (w1.unwrap(), w2.unwrap());
    assert_eq!((w1.sent + w2.sent) as i64, queued, "{w1:?} {w2:?}");
    let mut texts = robot.texts();
    assert_eq!(texts.len() as i64, queued);
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len() as i64, queued, "a message went out twice");
    for i in 0..5 {
        let about = format!("双服务器提醒{i}");
        assert_eq!(texts.iter().filter(|t| t.contains(&about)).count(), 1);
    }
    other.close().await;
}

dual_test!(
    two_servers_send_each_message_once_t,
    two_servers_send_each_message_once
);

/// The server's background task runs the sweep and the outbox on its own.
async fn the_background_worker_sweeps_and_sends(app: TestApp) {
    let robot = Robot::start().await;
    let case_id = case_due_today(&app, "后台提醒").await;
    let mut s = settings(None, Some(&robot));
    s.notify_interval_seconds = 1;
    service::spawn_worker(app.db.clone(), Arc::new(s));
    let department = user_id(&app, "department").await;
    let sql = format!(
        "SELECT COUNT(*) FROM notifications WHERE record_id = $1 AND kind = 'case_due_soon' AND recipient_id = {department}"
    );
    for _ in 0..100 {
        if scalar(&app.db, &sql, case_id).await == 1
            && robot.texts().iter().any(|t| t.contains("后台提醒"))
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the background worker neither notified nor sent");
}

dual_test!(
    the_background_worker_sweeps_and_sends_t,
    the_background_worker_sweeps_and_sends
);

/// A member hears of an invitation awaiting their reply and of their
/// group's reception duty in the coming week; the group robot hears of
/// neither (they are the member's own).
async fn a_member_hears_of_invitations_and_reception_duty(app: TestApp) {
    let robot = Robot::start().await;
    let staff = app.token("staff").await;
    let user = lvzhi::storage::users::find_by_username(&app.db, "member")
        .await
        .unwrap()
        .unwrap();
    let member_id = user.member_id.unwrap();
    let next = lvzhi::services::reception::next_duty_of(&app.db, member_id, today())
        .await
        .unwrap()
        .expect("the demo member's group has a reception day ahead");
    let sweep_on = next - chrono::Duration::days(3);

    let held_on = (next + chrono::Duration::days(10)).to_string();
    let (status, activity) = app
        .api_post(
            &staff,
            "/api/v1/activities",
            &json!({"kind": "study", "title": "提醒测试集中学习", "held_on": held_on,
                    "place": "长江路街道办事处会议室", "organiser": "长江路街道政协工委"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{activity}");
    let activity_id = activity["id"].as_i64().unwrap();
    let (status, invited) = app
        .api_post(
            &staff,
            &format!("/api/v1/activities/{activity_id}/invitations"),
            &json!({ "member_ids": [member_id] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{invited}");

    let s = settings(None, Some(&robot));
    service::sweep(&app.db, sweep_on, 3, &Outlets::from_settings(&s))
        .await
        .unwrap();
    let kinds =
        lvzhi::on_db!(&app.db, pool => sqlx::query_as::<_, (String, i64, chrono::NaiveDate)>(
        "SELECT kind, record_id, due_on FROM notifications WHERE recipient_id = $1 \
         AND kind IN ('invitation_to_answer', 'reception_duty') ORDER BY kind, record_id")
        .bind(user.id).fetch_all(pool).await)
        .unwrap();
    assert!(
        kinds.iter().any(|(k, id, due)| k == "invitation_to_answer"
            && *id == activity_id
            && due.to_string() == held_on),
        "{kinds:?}"
    );
    assert!(
        kinds
            .iter()
            .any(|(k, _, due)| k == "reception_duty" && *due == next),
        "{kinds:?}"
    );
    let token = app.token("member").await;
    let (_, list) = app.api_get(&token, "/api/v1/notifications").await;
    let texts: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["text"].as_str().unwrap())
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.contains("提醒测试集中学习") && t.contains("请回复")),
        "{texts:?}"
    );
    assert!(
        texts
            .iter()
            .any(|t| t.contains(&format!("于{next}值班接待"))),
        "{texts:?}"
    );
    let notifiers = Notifiers::from_settings(&s).unwrap();
    service::deliver(&app.db, &notifiers, "w1", 6)
        .await
        .unwrap();
    assert!(!robot.texts().iter().any(|t| t.contains("提醒测试集中学习")));
}

dual_test!(
    a_member_hears_of_invitations_and_reception_duty_t,
    a_member_hears_of_invitations_and_reception_duty
);
