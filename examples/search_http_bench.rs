//! Similar proposals and the search box through the HTTP API, over proposals
//! whose words are distributed like real ones (`lvzhi::demo::corpus`).
//!
//!     cargo run --release --example search_http_bench -- [--docs 100000] \
//!         [--queries 300] [--seed 2012] [--database URL]
//!     cargo run --release --example search_http_bench -- --url http://127.0.0.1:8080 \
//!         --token TOKEN [--queries 300]
//!
//! Without `--url`, it loads the demo committee into a fresh SQLite file (or
//! the empty database at `--database`), adds `--docs` generated proposals to
//! it (bulk-loaded; 70% accepted, so that members read them too), builds the
//! index, starts the real server in this process and asks it, one request at
//! a time: `POST /api/v1/proposals/similar` with a whole draft (title and a
//! body of 300–1,500 characters) as staff, the same as a member, and
//! `GET /api/v1/search` with a 20-character query as staff. Beside each, the
//! same call in-process (the service function, without HTTP). With `--url`
//! it asks a running server (e.g. `serve` on `demo --scale province`) with
//! the API token given. Prints a Markdown table (p50/p99).

use std::sync::Arc;
use std::time::{Duration, Instant};

use lvzhi::demo::corpus::Corpus;
use lvzhi::storage::bulk::{Loader, Table, Val};
use lvzhi::storage::Db;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

struct Options {
    docs: usize,
    queries: usize,
    seed: u64,
    database: Option<String>,
    url: Option<String>,
    token: Option<String>,
}

fn options() -> Options {
    let mut o = Options {
        docs: 100_000,
        queries: 300,
        seed: 2012,
        database: None,
        url: None,
        token: None,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).cloned().unwrap_or_default();
        match pair[0].as_str() {
            "--docs" => o.docs = value.parse().unwrap_or(o.docs),
            "--queries" => o.queries = value.parse().unwrap_or(o.queries),
            "--seed" => o.seed = value.parse().unwrap_or(o.seed),
            "--database" => o.database = Some(value),
            "--url" => o.url = Some(value),
            "--token" => o.token = Some(value),
            other => {
                eprintln!("unknown option {other}");
                std::process::exit(2);
            }
        }
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

fn row(name: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "| {name} | {} | {:.2} | {:.2} | {:.2} |",
        times.len(),
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        percentile(&times, 1.0),
    );
}

const PROPOSAL_COLUMNS: &[&str] = &[
    "id",
    "org_id",
    "session",
    "number",
    "submitter_kind",
    "lead_member_id",
    "title",
    "body",
    "category",
    "status",
    "submitted_on",
    "reviewed_on",
    "round",
    "is_key",
    "supervisions",
    "created_at",
    "updated_at",
    "version",
];

async fn scalar(db: &Db, sql: &str) -> i64 {
    let value: Option<i64> = lvzhi::on_db!(db, pool => sqlx::query_scalar(sql)
        .fetch_one(pool).await.expect(sql));
    value.unwrap_or(0)
}

/// `docs` generated proposals of the demo committee's members.
async fn load(db: &Db, corpus: &Corpus, docs: usize, rng: &mut StdRng) {
    let org = scalar(db, "SELECT org_id FROM members ORDER BY id LIMIT 1").await;
    let members: Vec<i64> = lvzhi::on_db!(db, pool => sqlx::query_scalar(
        "SELECT id FROM members WHERE org_id = $1 ORDER BY id")
        .bind(org).fetch_all(pool).await.expect("members"));
    let first = scalar(db, "SELECT MAX(id) FROM proposals").await + 1;
    let table = Table {
        name: "proposals",
        columns: PROPOSAL_COLUMNS,
    };
    let mut loader = Loader::new(db, &[table]);
    let mut numbers = std::collections::HashMap::new();
    for i in 0..docs {
        let p = corpus.proposal(rng);
        let session: i64 = rng.gen_range(2016..=2025);
        let accepted = rng.gen_bool(0.7);
        let number = accepted.then(|| {
            let n = numbers.entry(session).or_insert(1000i64);
            *n += 1;
            *n
        });
        let day = chrono::NaiveDate::from_ymd_opt(session as i32, 3, 1).unwrap_or_default();
        let at = chrono::Utc::now();
        loader
            .push(
                0,
                vec![
                    (first + i as i64).into(),
                    org.into(),
                    session.into(),
                    number.into(),
                    "member".into(),
                    members[i % members.len()].into(),
                    p.title.into(),
                    p.body.into(),
                    "welfare".into(),
                    if accepted { "accepted" } else { "submitted" }.into(),
                    Val::Date(day),
                    accepted.then_some(day).into(),
                    1i64.into(),
                    false.into(),
                    0i64.into(),
                    at.into(),
                    at.into(),
                    1i64.into(),
                ],
            )
            .await
            .expect("row");
    }
    loader.finish().await.expect("load");
}

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    async fn similar(&self, token: &str, title: &str, body: &str) -> Duration {
        let t = Instant::now();
        let r = self
            .http
            .post(format!("{}/api/v1/proposals/similar", self.base))
            .bearer_auth(token)
            .json(&json!({"headline": title, "text": body}))
            .send()
            .await
            .expect("similar");
        let ok = r.status().is_success();
        let _ = r.bytes().await;
        let took = t.elapsed();
        assert!(ok, "similar failed");
        took
    }

    async fn search(&self, token: &str, q: &str) -> Duration {
        let t = Instant::now();
        let r = self
            .http
            .get(format!("{}/api/v1/search", self.base))
            .query(&[("q", q)])
            .bearer_auth(token)
            .send()
            .await
            .expect("search");
        let ok = r.status().is_success();
        let _ = r.bytes().await;
        let took = t.elapsed();
        assert!(ok, "search failed");
        took
    }
}

#[tokio::main]
async fn main() {
    let o = options();
    let corpus = Corpus::new();
    let mut rng = StdRng::seed_from_u64(o.seed);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(8)
        .build()
        .expect("client");
    let drafts: Vec<_> = (0..o.queries).map(|_| corpus.proposal(&mut rng)).collect();
    let queries: Vec<String> = (0..o.queries).map(|_| corpus.query(&mut rng, 20)).collect();

    println!("| operation | n | p50 ms | p99 ms | max ms |");
    println!("|---|---|---|---|---|");
    if let Some(url) = o.url.clone() {
        let client = Client { http, base: url };
        let token = o.token.clone().unwrap_or_default();
        for p in drafts.iter().take(5) {
            client.similar(&token, &p.title, &p.body).await;
        }
        let mut times = Vec::new();
        for p in &drafts {
            times.push(client.similar(&token, &p.title, &p.body).await);
        }
        row("similar, whole draft (HTTP)", times);
        let mut times = Vec::new();
        for q in &queries {
            times.push(client.search(&token, q).await);
        }
        row("search, 20 characters (HTTP)", times);
        return;
    }

    let dir = tempfile::tempdir().expect("temp dir");
    let url = o
        .database
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let db = Db::connect(&url).await.expect("connect");
    db.migrate().await.expect("migrate");
    let cipher = lvzhi::security::crypto::FieldCipher::from_master_key(&[7u8; 32]);
    lvzhi::demo::load(&db, &cipher).await.expect("demo");
    let started = Instant::now();
    load(&db, &corpus, o.docs, &mut StdRng::seed_from_u64(o.seed + 1)).await;
    let loaded = started.elapsed();
    let staff = lvzhi::services::auth::create_token(&db, "staff", "bench")
        .await
        .expect("token");
    let member = lvzhi::services::auth::create_token(&db, "member", "bench")
        .await
        .expect("token");
    let search = Arc::new(lvzhi::services::search::SearchIndex::default());
    let started = Instant::now();
    let indexed = search.rebuild(&db).await.expect("index");
    let built = started.elapsed();
    let state = lvzhi::app::App::new(
        db.clone(),
        cipher,
        lvzhi::app::config::Settings {
            database_url: url.clone(),
            ..lvzhi::app::config::Settings::default()
        },
    )
    .with_search(Arc::clone(&search));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listen");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        let _ = lvzhi::http::serve(state, listener).await;
    });
    let client = Client { http, base };
    for p in drafts.iter().take(5) {
        client.similar(&staff, &p.title, &p.body).await;
    }

    let mut times = Vec::new();
    for p in &drafts {
        times.push(client.similar(&staff, &p.title, &p.body).await);
    }
    row("similar, whole draft, staff (HTTP)", times);
    let mut times = Vec::new();
    for p in &drafts {
        times.push(client.similar(&member, &p.title, &p.body).await);
    }
    row("similar, whole draft, member (HTTP)", times);
    let mut times = Vec::new();
    for q in &queries {
        times.push(client.search(&staff, q).await);
    }
    row("search, 20 characters, staff (HTTP)", times);

    // The same in-process: the service functions, without HTTP.
    let actor = lvzhi::services::auth::actor_from_token(
        &db,
        &lvzhi::app::config::Policies::default(),
        &staff,
        None,
    )
    .await
    .expect("actor")
    .expect("staff");
    let mut times = Vec::new();
    for p in &drafts {
        let input = lvzhi::services::search::SimilarInput {
            headline: p.title.clone(),
            text: p.body.clone(),
            ..Default::default()
        };
        let t = Instant::now();
        lvzhi::services::search::similar(&search, &db, &actor, &input)
            .await
            .expect("similar");
        times.push(t.elapsed());
    }
    row("similar, whole draft, staff (in-process)", times);
    let mut times = Vec::new();
    for q in &queries {
        let query = lvzhi::services::search::SearchQuery {
            q: Some(q.clone()),
            ..Default::default()
        };
        let t = Instant::now();
        lvzhi::services::search::search(&search, &db, &actor, &query)
            .await
            .expect("search");
        times.push(t.elapsed());
    }
    row("search, 20 characters, staff (in-process)", times);
    println!();
    println!(
        "{} proposals generated and loaded in {:.1} s; index of {indexed} documents built in {:.1} s",
        o.docs,
        loaded.as_secs_f64(),
        built.as_secs_f64()
    );
    db.close().await;
}
