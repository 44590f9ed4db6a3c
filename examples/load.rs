//! A load test against a running `lvzhi serve` (see `scripts/loadtest.sh`):
//! many users at once, a mix of page reads, API reads and writes, for a
//! bounded time; prints p50/p99 per kind of request, counts every answer that
//! is not 2xx, and checks that every acknowledged write is there afterwards.
//!
//!     cargo run --release --example load -- --url http://127.0.0.1:8080 \
//!         --token TOKEN --staff staff-c01-d01 --member m1 --password P \
//!         [--connections 32] [--seconds 60] [--only KIND]
//!
//! Exits 1 when a request failed or a write is missing.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use tokio::sync::Mutex;

#[derive(Clone)]
struct Options {
    url: String,
    token: String,
    staff: String,
    member: String,
    password: String,
    connections: usize,
    seconds: u64,
    only: Option<String>,
}

fn options() -> Options {
    let mut o = Options {
        url: "http://127.0.0.1:8080".into(),
        token: String::new(),
        staff: "staff-c01-d01".into(),
        member: "m1".into(),
        password: "Lvzhi-Scale-2025".into(),
        connections: 32,
        seconds: 60,
        only: None,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i + 1 < args.len() {
        let v = args[i + 1].clone();
        match args[i].as_str() {
            "--url" => o.url = v,
            "--token" => o.token = v,
            "--staff" => o.staff = v,
            "--member" => o.member = v,
            "--password" => o.password = v,
            "--connections" => o.connections = v.parse().unwrap_or(32),
            "--seconds" => o.seconds = v.parse().unwrap_or(60),
            "--only" => o.only = Some(v),
            other => panic!("unknown option {other}"),
        }
        i += 2;
    }
    o
}

/// Kinds of request and how often each is drawn.
const KINDS: &[(&str, u32)] = &[
    ("page_members", 10),
    ("page_member_search", 8),
    ("page_member_file", 12),
    ("page_own_file", 8),
    ("page_case", 10),
    ("page_case_board", 5),
    ("page_activities", 8),
    ("page_reception", 6),
    ("page_staff_home", 6),
    ("page_member_home", 6),
    ("api_members", 6),
    ("api_cases", 8),
    ("api_case", 6),
    ("write_case", 6),
    ("write_case_note", 6),
];

const SURNAMES: &[&str] = &["王", "李", "张", "刘", "陈", "杨", "赵", "孙"];

fn csrf_in(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    html.find(marker)
        .map(|i| &html[i + marker.len()..])
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_string()
}

async fn login(url: &str, username: &str, password: &str) -> Client {
    let client = Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(64)
        .build()
        .expect("client");
    let page = client
        .get(format!("{url}/login"))
        .send()
        .await
        .expect("login page")
        .text()
        .await
        .unwrap_or_default();
    let csrf = csrf_in(&page);
    let r = client
        .post(format!("{url}/login"))
        .form(&[
            ("username", username),
            ("password", password),
            ("csrf", &csrf),
            ("next", "/"),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "login as {username}");
    client
}

struct Shared {
    opts: Options,
    staff: Client,
    member: Client,
    api: Client,
    member_ids: Vec<i64>,
    case_ids: Vec<i64>,
    own_member: i64,
}

#[derive(Default)]
struct Tally {
    latencies: HashMap<&'static str, Vec<u32>>,
    errors: HashMap<&'static str, u64>,
    /// Cases created (acknowledged) and, per case, notes acknowledged.
    created: Vec<(i64, u32)>,
    first_error: Option<String>,
}

async fn ids(api: &Client, o: &Options, path: &str) -> (Vec<i64>, i64) {
    let v: Value = api
        .get(format!("{}{path}", o.url))
        .bearer_auth(&o.token)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    let ids = v["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["id"].as_i64()).collect())
        .unwrap_or_default();
    (ids, v["total"].as_i64().unwrap_or(0))
}

async fn worker(shared: Arc<Shared>, seed: u64, until: Instant) -> Tally {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut tally = Tally::default();
    let o = &shared.opts;
    let kinds: Vec<(&'static str, u32)> = match &o.only {
        Some(only) => KINDS.iter().filter(|(k, _)| k == only).copied().collect(),
        None => KINDS.to_vec(),
    };
    let total: u32 = kinds.iter().map(|(_, w)| w).sum();
    // This worker's own case (written by it alone, so its version is known).
    let mut mine: Option<(i64, i64)> = None;
    while Instant::now() < until {
        let mut pick = rng.gen_range(0..total);
        let mut kind = kinds[0].0;
        for (k, w) in &kinds {
            if pick < *w {
                kind = k;
                break;
            }
            pick -= w;
        }
        let member = shared.member_ids[rng.gen_range(0..shared.member_ids.len())];
        let case = shared.case_ids[rng.gen_range(0..shared.case_ids.len())];
        let page = rng.gen_range(1..=10);
        let base = &o.url;
        let request = match kind {
            "page_members" => shared.staff.get(format!("{base}/members?page={page}")),
            "page_member_search" => {
                let q = SURNAMES[rng.gen_range(0..SURNAMES.len())];
                shared.staff.get(format!("{base}/members?q={q}"))
            }
            "page_member_file" => shared.staff.get(format!("{base}/members/{member}")),
            "page_own_file" => shared
                .member
                .get(format!("{base}/members/{}", shared.own_member)),
            "page_case" => shared.staff.get(format!("{base}/cases/{case}")),
            "page_case_board" => shared.staff.get(format!("{base}/cases")),
            "page_activities" => shared.staff.get(format!("{base}/activities?page={page}")),
            "page_reception" => shared.staff.get(format!("{base}/reception")),
            // The first pages: the district's year at a glance, a member's quotas.
            "page_staff_home" => shared.staff.get(format!("{base}/")),
            "page_member_home" => shared.member.get(format!("{base}/")),
            "api_members" => shared
                .api
                .get(format!("{base}/api/v1/members?page={page}"))
                .bearer_auth(&o.token),
            "api_cases" => shared
                .api
                .get(format!("{base}/api/v1/cases?page={page}"))
                .bearer_auth(&o.token),
            "api_case" => shared
                .api
                .get(format!("{base}/api/v1/cases/{case}"))
                .bearer_auth(&o.token),
            "write_case" => shared
                .api
                .post(format!("{base}/api/v1/cases"))
                .bearer_auth(&o.token)
                .json(&json!({
                    "community": "负载测试社区",
                    "subject": format!("负载测试：路灯不亮 {seed}"),
                    "description": "负载测试写入的来访事件，请忽略。",
                })),
            _ => match mine {
                Some((id, version)) => shared
                    .api
                    .post(format!("{base}/api/v1/cases/{id}/steps"))
                    .bearer_auth(&o.token)
                    .json(&json!({"action": "note", "version": version, "note": "负载测试备注"})),
                // No case of its own yet: write one first.
                None => continue,
            },
        };
        let started = Instant::now();
        let result = request.send().await;
        let outcome = match result {
            Ok(r) => {
                let status = r.status();
                let body = if kind.starts_with("write") {
                    r.json::<Value>().await.ok()
                } else {
                    r.bytes().await.ok().map(|_| Value::Null)
                };
                if status.is_success() {
                    Ok(body)
                } else {
                    Err(format!("{kind}: HTTP {status}"))
                }
            }
            Err(e) => Err(format!("{kind}: {e}")),
        };
        let micros = started.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
        match outcome {
            Ok(body) => {
                tally.latencies.entry(kind).or_default().push(micros);
                if let Some(body) = body {
                    let id = body["id"].as_i64().unwrap_or(0);
                    let version = body["version"].as_i64().unwrap_or(0);
                    if kind == "write_case" {
                        tally.created.push((id, 0));
                        mine = Some((id, version));
                    } else if kind == "write_case_note" {
                        if let Some(last) = tally.created.last_mut() {
                            last.1 += 1;
                        }
                        mine = Some((id, version));
                    }
                }
            }
            Err(e) => {
                *tally.errors.entry(kind).or_default() += 1;
                tally.first_error.get_or_insert(e);
            }
        }
    }
    tally
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    f64::from(sorted[rank.clamp(1, sorted.len()) - 1]) / 1000.0
}

#[tokio::main]
async fn main() {
    let o = options();
    let api = Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .expect("client");
    let staff = login(&o.url, &o.staff, &o.password).await;
    let member = login(&o.url, &o.member, &o.password).await;
    let own_member: i64 = o.member.trim_start_matches('m').parse().unwrap_or(1);
    let (member_ids, _) = ids(&api, &o, "/api/v1/members?per_page=200&page=2").await;
    let (case_ids, cases_before) = ids(&api, &o, "/api/v1/cases?per_page=200&page=3").await;
    assert!(
        !member_ids.is_empty() && !case_ids.is_empty(),
        "no members or cases in scope"
    );
    let shared = Arc::new(Shared {
        opts: o.clone(),
        staff,
        member,
        api: api.clone(),
        member_ids,
        case_ids,
        own_member,
    });
    let started = Instant::now();
    let until = started + Duration::from_secs(o.seconds);
    let results = Arc::new(Mutex::new(Vec::new()));
    let mut handles = Vec::new();
    for w in 0..o.connections {
        let shared = shared.clone();
        let results = results.clone();
        handles.push(tokio::spawn(async move {
            let t = worker(shared, 7919 * (w as u64 + 1), until).await;
            results.lock().await.push(t);
        }));
    }
    for h in handles {
        let _ = h.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let tallies = std::mem::take(&mut *results.lock().await);
    let mut latencies: HashMap<&str, Vec<u32>> = HashMap::new();
    let mut errors: HashMap<&str, u64> = HashMap::new();
    let mut created = Vec::new();
    let mut first_error = None;
    for t in tallies {
        for (k, v) in t.latencies {
            latencies.entry(k).or_default().extend(v);
        }
        for (k, v) in t.errors {
            *errors.entry(k).or_default() += v;
        }
        created.extend(t.created);
        if first_error.is_none() {
            first_error = t.first_error;
        }
    }
    println!(
        "{} connections, {:.0} s, user {} (pages), {} (own duty file)",
        o.connections, elapsed, o.staff, o.member
    );
    println!(
        "| kind | requests | non-2xx | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|---:|"
    );
    let mut all = Vec::new();
    let mut failed = 0;
    for (kind, _) in KINDS {
        let mut v = latencies.remove(kind).unwrap_or_default();
        let e = errors.get(kind).copied().unwrap_or(0);
        failed += e;
        if v.is_empty() && e == 0 {
            continue;
        }
        v.sort_unstable();
        println!(
            "| {kind} | {} | {e} | {:.1} | {:.1} | {:.1} |",
            v.len(),
            percentile(&v, 50.0),
            percentile(&v, 99.0),
            percentile(&v, 100.0)
        );
        all.extend(v);
    }
    all.sort_unstable();
    println!(
        "| all | {} | {failed} | {:.1} | {:.1} | {:.1} |",
        all.len(),
        percentile(&all, 50.0),
        percentile(&all, 99.0),
        percentile(&all, 100.0)
    );
    println!("throughput: {:.0} requests/s", all.len() as f64 / elapsed);
    if let Some(e) = &first_error {
        println!("first failure: {e}");
    }
    // No lost writes: every acknowledged case is listed, and holds its
    // registration plus every acknowledged note.
    let (_, cases_after) = ids(&api, &o, "/api/v1/cases?per_page=1").await;
    let mut lost = 0i64;
    let notes: u32 = created.iter().map(|c| c.1).sum();
    for (id, acked_notes) in &created {
        let v: Value = api
            .get(format!("{}/api/v1/cases/{id}", o.url))
            .bearer_auth(&o.token)
            .send()
            .await
            .expect("case")
            .json()
            .await
            .unwrap_or(Value::Null);
        let events = v["events"].as_array().map(Vec::len).unwrap_or(0);
        if events != 1 + *acked_notes as usize {
            lost += 1;
        }
    }
    let missing_cases = created.len() as i64 - (cases_after - cases_before);
    println!(
        "writes acknowledged: {} cases, {notes} notes; cases listed afterwards: +{}; cases missing or short of events: {}",
        created.len(),
        cases_after - cases_before,
        lost + missing_cases.max(0)
    );
    if failed > 0 || lost > 0 || missing_cases != 0 {
        println!("FAILED");
        std::process::exit(1);
    }
    println!("OK: no errors, no lost writes");
}
