//! The roster import through HTTP: a generated roster of `--rows` members
//! (30,000 by default; names, phones, sectors from the generator of
//! `lvzhi demo --scale`, unique valid ID numbers) posted as `.csv` and as
//! `.xlsx` to `POST /api/v1/members/import` of a server running in this
//! process on 127.0.0.1, on the demo committee. Prints a table: the preview
//! of the new roster, its import (every member created), the preview and
//! import of the `.xlsx` with a tenth of the phones changed (updates, the
//! rest unchanged).
//!
//!     cargo run --release --example import_bench -- [--rows 30000] [--database postgres://…/EMPTY_DB]
//!
//! Without `--database` a SQLite file in a temporary folder is used; a
//! PostgreSQL database must be empty (the demo is loaded into it).

use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

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
const PARTIES: [&str; 6] = [
    "中共党员",
    "无党派人士",
    "民建会员",
    "九三学社社员",
    "群众",
    "民盟盟员",
];

/// `rows` members: each a row of the template's 13 columns.
fn roster(rows: usize) -> Vec<Vec<String>> {
    let mut rng = StdRng::seed_from_u64(2012);
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(rows);
    while out.len() < rows {
        let [name, phone, sector, workplace, title] = lvzhi::demo::scale::sample_person(&mut rng);
        let birth = chrono::NaiveDate::from_ymd_opt(1955, 1, 1).unwrap()
            + chrono::Duration::days(rng.gen_range(0..15_000));
        let male = rng.gen_bool(0.6);
        let seq = rng.gen_range(0..500u32) * 2 + u32::from(male);
        let first17 = format!("320102{}{seq:03}", birth.format("%Y%m%d"));
        let Some(id) = lvzhi::domain::id_number::with_check_char(&first17) else {
            continue;
        };
        if !seen.insert(id.clone()) {
            continue;
        }
        let joined = birth + chrono::Duration::days(365 * 30);
        let joined = joined.min(chrono::NaiveDate::from_ymd_opt(2020, 1, 8).unwrap());
        out.push(vec![
            name,
            if male { "男" } else { "女" }.into(),
            "汉族".into(),
            PARTIES[rng.gen_range(0..PARTIES.len())].into(),
            sector,
            workplace,
            title,
            phone,
            id,
            "7".into(),
            "在任".into(),
            joined.format("%Y-%m-%d").to_string(),
            String::new(),
        ]);
    }
    out
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

fn xlsx(rows: &[Vec<String>]) -> Vec<u8> {
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
    book.save_to_buffer().unwrap()
}

fn multipart(name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(b"\r\n--B--\r\n");
    body
}

#[tokio::main]
async fn main() {
    let mut rows = 30_000;
    let mut database = None;
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        match (pair[0].as_str(), pair.get(1)) {
            ("--rows", Some(v)) => rows = v.parse().expect("--rows N"),
            ("--database", Some(v)) => database = Some(v.clone()),
            (other, _) => panic!("unknown option {other}"),
        }
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let url =
        database.unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let db = lvzhi::storage::Db::connect(&url).await.expect("connect");
    db.migrate().await.expect("migrate");
    let cipher = lvzhi::security::crypto::FieldCipher::from_master_key(&[7u8; 32]);
    lvzhi::demo::load(&db, &cipher).await.expect("demo");
    let token = lvzhi::services::auth::create_token(&db, "staff", "bench")
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

    let t = Instant::now();
    let members = roster(rows);
    let first = csv(&members);
    let mut changed = members.clone();
    for (i, m) in changed.iter_mut().enumerate() {
        if i % 10 == 0 {
            m[7] = format!("1990000{:04}", i % 10_000);
        }
    }
    let second = xlsx(&changed);
    let generated = t.elapsed();
    println!(
        "engine: {}; {rows} rows generated in {:.2} s (.csv {} KiB, .xlsx {} KiB)",
        if url.starts_with("sqlite") {
            "SQLite"
        } else {
            "PostgreSQL"
        },
        generated.as_secs_f64(),
        first.len() / 1024,
        second.len() / 1024
    );
    println!("| request | file | created | updated | unchanged | seconds |");
    println!("|---|---|---|---|---|---|");
    for (label, name, bytes, dry_run) in [
        ("preview (dry_run=true)", "roster.csv", &first, true),
        ("import (dry_run=false)", "roster.csv", &first, false),
        ("preview (dry_run=true)", "roster.xlsx", &second, true),
        ("import (dry_run=false)", "roster.xlsx", &second, false),
    ] {
        let t = Instant::now();
        let r = client
            .post(format!("{base}/api/v1/members/import?dry_run={dry_run}"))
            .bearer_auth(&token)
            .header("content-type", "multipart/form-data; boundary=B")
            .body(multipart(name, bytes))
            .send()
            .await
            .expect("POST");
        let status = r.status();
        let report: serde_json::Value = r.json().await.expect("JSON");
        let seconds = t.elapsed().as_secs_f64();
        assert!(status.is_success(), "{status}: {}", report["message"]);
        assert!(report["problems"].as_array().is_some_and(|p| p.is_empty()));
        println!(
            "| {label} | {name} | {} | {} | {} | {seconds:.2} |",
            report["created"], report["updated"], report["unchanged"]
        );
    }
    let audit_rows: i64 = lvzhi::on_db!(&db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM audit_log").fetch_one(pool).await)
    .expect("count");
    let chain = lvzhi::storage::audit::verify(&db).await.expect("verify");
    println!("audit rows: {audit_rows}; chain: {chain:?}");
}
