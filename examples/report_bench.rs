//! Work summaries drafted from the records: in-process (the service that
//! counts and drafts), through HTTP as JSON, and as the Word file, for the
//! demo committee's year; with `--database URL --org NAME` for a committee of
//! data already loaded (e.g. a district of `lvzhi demo --scale province`).
//! Prints a table.
//!
//!     cargo run --release --example report_bench -- [--runs 50] [--period 2011] \
//!         [--database postgres://… --org 'NAME' --username staff-…]
//!
//! The server runs in this process on 127.0.0.1 (the client shares the CPU).

use std::time::{Duration, Instant};

struct Options {
    runs: usize,
    period: String,
    database: Option<String>,
    org: Option<String>,
    username: String,
}

fn options() -> Options {
    let mut o = Options {
        runs: 50,
        period: "2011".into(),
        database: None,
        org: None,
        username: "staff".into(),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i + 1 < args.len() {
        let v = args[i + 1].clone();
        match args[i].as_str() {
            "--runs" => o.runs = v.parse().expect("--runs N"),
            "--period" => o.period = v,
            "--database" => o.database = Some(v),
            "--org" => o.org = Some(v),
            "--username" => o.username = v,
            other => panic!("unknown option {other}"),
        }
        i += 2;
    }
    o
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn row(name: &str, mut times: Vec<Duration>, note: &str) {
    times.sort();
    println!(
        "| {name} | {} | {:.2} | {:.2} | {:.2} | {note} |",
        times.len(),
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        percentile(&times, 1.0),
    );
}

#[tokio::main]
async fn main() {
    let o = options();
    let dir = tempfile::tempdir().expect("temp dir");
    // A committee named: its data is already in the database; else the demo's.
    let loaded = o.org.is_some();
    let url = o
        .database
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let db = lvzhi::storage::Db::connect(&url).await.expect("connect");
    db.migrate().await.expect("migrate");
    let cipher = lvzhi::security::crypto::FieldCipher::from_master_key(&[7u8; 32]);
    if !loaded {
        lvzhi::demo::load(&db, &cipher).await.expect("demo");
    }
    let org_name = o.org.clone().unwrap_or_else(|| "长江路街道政协工委".into());
    let org = lvzhi::services::orgs::resolve(&db, &org_name)
        .await
        .expect("committee");
    let token = lvzhi::services::auth::create_token(&db, &o.username, "bench")
        .await
        .expect("token");
    let state = lvzhi::app::App::new(
        db.clone(),
        cipher,
        lvzhi::app::config::Settings {
            database_url: url.clone(),
            ..lvzhi::app::config::Settings::default()
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listen");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        let _ = lvzhi::http::serve(state, listener).await;
    });
    let client = reqwest::Client::new();
    let query = lvzhi::services::reports::SummaryQuery {
        period: Some(o.period.clone()),
        ..Default::default()
    };
    let period = lvzhi::services::reports::parse_period(&query)
        .expect("period")
        .expect("a period");
    println!(
        "engine: {}; committee: {} (id {}); period: {}",
        if url.starts_with("sqlite") {
            "SQLite"
        } else {
            "PostgreSQL"
        },
        org.name,
        org.id,
        o.period
    );
    println!("| operation | n | p50 ms | p99 ms | max ms | note |");
    println!("|---|---|---|---|---|---|");

    let mut times = Vec::new();
    let mut words = 0;
    for _ in 0..o.runs {
        let t = Instant::now();
        let (_, s) =
            lvzhi::services::reports::draft(&db, &org, period, lvzhi::app::i18n::Locale::ZhCn)
                .await
                .expect("draft");
        times.push(t.elapsed());
        words = s.plain_text().chars().count();
    }
    row(
        "draft in-process (count + text)",
        times,
        &format!("{words} characters"),
    );

    let path = format!(
        "{base}/api/v1/reports/summary?org={}&period={}",
        org.id, o.period
    );
    let mut times = Vec::new();
    for _ in 0..o.runs {
        let t = Instant::now();
        let r = client
            .get(&path)
            .bearer_auth(&token)
            .send()
            .await
            .expect("GET");
        assert!(r.status().is_success(), "{}", r.status());
        let _: serde_json::Value = r.json().await.expect("JSON");
        times.push(t.elapsed());
    }
    row(
        "GET /api/v1/reports/summary (JSON)",
        times,
        "parsed by the client",
    );

    let path = format!(
        "{base}/api/v1/reports/summary/file?org={}&period={}&format=docx",
        org.id, o.period
    );
    let mut times = Vec::new();
    let mut bytes = 0;
    for _ in 0..o.runs {
        let t = Instant::now();
        let r = client
            .get(&path)
            .bearer_auth(&token)
            .send()
            .await
            .expect("GET");
        assert!(r.status().is_success(), "{}", r.status());
        bytes = r.bytes().await.expect("bytes").len();
        times.push(t.elapsed());
    }
    row(
        "GET …/summary/file?format=docx",
        times,
        &format!("{bytes} bytes, each download audited"),
    );
}
