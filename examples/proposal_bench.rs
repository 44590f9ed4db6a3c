//! The everyday proposal operations through the HTTP API, on the embedded
//! SQLite default (WAL, synchronous=FULL: durable commits) with the demo
//! committee: creating proposals one after another from one client (each
//! with its audit row, timeline event and search-index change), reading a
//! random proposal under concurrent connections, listing all of them in one
//! answer, and similar-proposal queries. Prints a table.
//!
//!     cargo run --release --example proposal_bench -- [--creates 2000] \
//!         [--reads 10000] [--connections 10] [--lists 20] [--list-connections 10] [--seed 2012] \
//!         [--database postgres://…]
//!
//! The server runs in this process on 127.0.0.1 (the client shares the CPU).

use std::sync::Arc;
use std::time::{Duration, Instant};

// The server binary's allocator (`src/main.rs`), so that the server in this
// process allocates as `lvzhi serve` does: under glibc's `malloc` the long
// list spent a fifth of its samples in `malloc`/`free`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

const TOPICS: &[&str] = &[
    "城中村改造",
    "安置房建设",
    "拆迁补偿",
    "创建文明城市",
    "背街小巷整治",
    "居家养老",
    "老年助餐",
    "学前教育",
    "中小学学位",
    "校园周边交通",
    "公交线路优化",
    "停车难",
    "老旧小区改造",
    "加装电梯",
    "垃圾分类",
    "社区医疗",
    "法律援助",
    "夜市管理",
    "电动车充电",
    "公共文化设施",
];
const ASKS: &[&str] = &[
    "加快推进",
    "完善",
    "规范",
    "加大投入",
    "建立长效机制",
    "统筹规划",
    "强化监管",
    "优化服务",
];
const SENTENCES: &[&str] = &[
    "群众反映强烈，亟待解决。",
    "现有设施不足，与群众需求存在差距。",
    "建议有关部门深入调研，制定切实可行的实施方案。",
    "明确责任分工，倒排工期，按期完成。",
    "加大财政投入，鼓励社会力量参与。",
    "建立定期通报和群众监督机制。",
    "结合辖区实际，先行试点，逐步推开。",
];

struct Options {
    creates: usize,
    reads: usize,
    connections: usize,
    lists: usize,
    /// Connections asking for the whole list at once (0: that phase is skipped).
    list_connections: usize,
    seed: u64,
    database: Option<String>,
}

fn options() -> Options {
    let mut o = Options {
        creates: 2000,
        reads: 10_000,
        connections: 10,
        lists: 20,
        list_connections: 0,
        seed: 2012,
        database: None,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).cloned().unwrap_or_default();
        match pair[0].as_str() {
            "--creates" => o.creates = value.parse().unwrap_or(o.creates),
            "--reads" => o.reads = value.parse().unwrap_or(o.reads),
            "--connections" => o.connections = value.parse().unwrap_or(o.connections),
            "--lists" => o.lists = value.parse().unwrap_or(o.lists),
            "--list-connections" => {
                o.list_connections = value.parse().unwrap_or(o.list_connections)
            }
            "--seed" => o.seed = value.parse().unwrap_or(o.seed),
            "--database" => o.database = Some(value),
            other => {
                eprintln!("unknown option {other}");
                std::process::exit(2);
            }
        }
    }
    o
}

fn draft(rng: &mut StdRng) -> (String, String) {
    let topic = TOPICS[rng.gen_range(0..TOPICS.len())];
    let ask = ASKS[rng.gen_range(0..ASKS.len())];
    let title = format!("关于{ask}{topic}工作的建议（{}）", rng.gen_range(1..10_000));
    let body: String = (0..rng.gen_range(4..9))
        .map(|_| SENTENCES[rng.gen_range(0..SENTENCES.len())])
        .collect::<Vec<_>>()
        .join("");
    (title, format!("{topic}方面，{body}"))
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn row(name: &str, n: usize, mut times: Vec<Duration>, note: String) {
    times.sort();
    println!(
        "| {name} | {n} | {:.2} | {:.2} | {:.2} | {note} |",
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        percentile(&times, 1.0),
    );
}

#[tokio::main]
async fn main() {
    let o = options();
    let dir = tempfile::tempdir().expect("temp dir");
    let url = o
        .database
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let db = lvzhi::storage::Db::connect(&url).await.expect("connect");
    db.migrate().await.expect("migrate");
    let cipher = lvzhi::security::crypto::FieldCipher::from_master_key(&[7u8; 32]);
    lvzhi::demo::load(&db, &cipher).await.expect("demo");
    let token = lvzhi::services::auth::create_token(&db, "staff", "bench")
        .await
        .expect("token");
    let search = Arc::new(lvzhi::services::search::SearchIndex::default());
    search.rebuild(&db).await.expect("index");
    let state = lvzhi::app::App::new(
        db.clone(),
        cipher,
        lvzhi::app::config::Settings {
            database_url: url.clone(),
            ..lvzhi::app::config::Settings::default()
        },
    )
    .with_search(search);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listen");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        let _ = lvzhi::http::serve(state, listener).await;
    });
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .expect("client");
    let mut rng = StdRng::seed_from_u64(o.seed);

    println!(
        "engine: {}",
        if url.starts_with("sqlite") {
            "SQLite (WAL, synchronous=FULL)"
        } else {
            "PostgreSQL"
        }
    );
    println!();
    println!("| operation | n | p50 ms | p99 ms | max ms | note |");
    println!("|---|---|---|---|---|---|");

    // 1. Creates, one after another from one client.
    let mut ids = Vec::with_capacity(o.creates);
    let mut times = Vec::with_capacity(o.creates);
    let started = Instant::now();
    for _ in 0..o.creates {
        let (title, body) = draft(&mut rng);
        let t = Instant::now();
        let r = client
            .post(format!("{base}/api/v1/proposals"))
            .bearer_auth(&token)
            .json(
                &json!({"headline": title, "text": body, "category": "urban",
                          "submitter_kind": "committee", "submit": "yes"}),
            )
            .send()
            .await
            .expect("create");
        let status = r.status();
        let created: Value = r.json().await.unwrap_or(Value::Null);
        times.push(t.elapsed());
        assert_eq!(status, reqwest::StatusCode::CREATED, "{created}");
        ids.push(created["id"].as_i64().expect("id"));
    }
    let elapsed = started.elapsed().as_secs_f64();
    row(
        "create a proposal (POST, sequential)",
        o.creates,
        times,
        format!("{:.0} per second", o.creates as f64 / elapsed),
    );

    // 2. Random reads under concurrent connections.
    let ids = Arc::new(ids);
    let per_task = o.reads / o.connections.max(1);
    let mut tasks = Vec::new();
    let started = Instant::now();
    for c in 0..o.connections {
        let client = client.clone();
        let ids = Arc::clone(&ids);
        let token = token.clone();
        let base = base.clone();
        let seed = o.seed + c as u64;
        tasks.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(seed);
            let mut times = Vec::with_capacity(per_task);
            for _ in 0..per_task {
                let id = ids[rng.gen_range(0..ids.len())];
                let t = Instant::now();
                let r = client
                    .get(format!("{base}/api/v1/proposals/{id}"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .expect("read");
                let ok = r.status().is_success();
                let _ = r.bytes().await;
                times.push(t.elapsed());
                assert!(ok, "read {id}");
            }
            times
        }));
    }
    let mut times = Vec::new();
    for t in tasks {
        times.extend(t.await.expect("task"));
    }
    let elapsed = started.elapsed().as_secs_f64();
    let n = times.len();
    row(
        "read a random proposal (GET)",
        n,
        times,
        format!(
            "{} connections, {:.0} per second",
            o.connections,
            n as f64 / elapsed
        ),
    );

    // 3. The whole list in one answer.
    let mut times = Vec::new();
    let mut count = 0;
    for _ in 0..o.lists {
        let t = Instant::now();
        let r = get_whole_list(&client, &base, &token).await;
        let page: Value = r.json().await.expect("json");
        times.push(t.elapsed());
        count = page["items"].as_array().map(|a| a.len()).unwrap_or(0);
    }
    row(
        "list all proposals in one answer (GET)",
        o.lists,
        times,
        format!("{count} proposals per answer"),
    );

    // 3b. The whole list asked by several connections at once: answers a
    // second and the peak memory (the client only counts the bytes).
    if o.list_connections > 0 {
        // The peak of this phase alone: the earlier ones (creating
        // thousands of proposals) have their own.
        let before = memory_line("VmRSS");
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..o.list_connections {
            let (client, base, token) = (client.clone(), base.clone(), token.clone());
            let each = o.lists.div_ceil(o.list_connections);
            tasks.push(tokio::spawn(async move {
                let mut times = Vec::new();
                let mut bytes = 0;
                for _ in 0..each {
                    let t = Instant::now();
                    let r = get_whole_list(&client, &base, &token).await;
                    assert!(r.status().is_success());
                    bytes = r.bytes().await.expect("body").len();
                    times.push(t.elapsed());
                }
                (times, bytes)
            }));
        }
        let mut times = Vec::new();
        let mut bytes = 0;
        for t in tasks {
            let (mine, b) = t.await.expect("task");
            times.extend(mine);
            bytes = b;
        }
        let n = times.len();
        let per_second = n as f64 / started.elapsed().as_secs_f64();
        row(
            "list all proposals in one answer (GET, concurrent)",
            n,
            times,
            format!(
                "{} connections, {per_second:.1} per second, {:.1} MB each; RSS of server and client {} before, peak {}",
                o.list_connections,
                bytes as f64 / 1e6,
                before,
                memory_line("VmHWM")
            ),
        );
    }

    // 4. Similar proposals for a draft, through the API.
    let mut times = Vec::new();
    for _ in 0..200 {
        let (title, body) = draft(&mut rng);
        let t = Instant::now();
        let r = client
            .post(format!("{base}/api/v1/proposals/similar"))
            .bearer_auth(&token)
            .json(&json!({"headline": title, "text": body}))
            .send()
            .await
            .expect("similar");
        let ok = r.status().is_success();
        let _ = r.bytes().await;
        times.push(t.elapsed());
        assert!(ok);
    }
    row(
        "similar proposals for a draft (POST)",
        200,
        times,
        "top 10".into(),
    );
    db.close().await;
}

/// Every proposal in one answer, as the list phases ask for it.
async fn get_whole_list(client: &reqwest::Client, base: &str, token: &str) -> reqwest::Response {
    client
        .get(format!("{base}/api/v1/proposals?per_page=5000&sort=number"))
        .bearer_auth(token)
        .send()
        .await
        .expect("list")
}

/// A line of `/proc/self/status`: `VmRSS` (resident memory now) or
/// `VmHWM` (its peak since start, or since the peak was reset).
fn memory_line(name: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(name))
                .map(|l| l[name.len() + 1..].trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}
