//! Search and similar-proposal benchmark over a generated corpus.
//!
//!     cargo run --release --example search_bench -- [--docs 100000] [--queries 500] [--seed 2012]
//!         [--naive 1] [--exhaustive 100] [--approximations 150000:2000,300000:4000]
//!
//! Prints a Markdown table: index build time, similar-proposal latency
//! (p50/p99), search latency (p50/p99), recall@10 of the similar list against
//! an exhaustive TF-IDF cosine ranking, and how often a proposal that shares
//! only filler words with the draft reaches the top 10 (with filler words
//! dropped, as lvzhi does, and kept, for comparison).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use lvzhi::demo::corpus::{Corpus, Generated, TOPICS};
use lvzhi::search::index::{Approximation, Entry, Everyone, SIMILAR_APPROXIMATION};
use lvzhi::search::segment::FILLER_WORDS;
use lvzhi::search::{segmenter, Doc, DocKind, Index};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// Topics held out of the corpus: drafts on them can only match through
/// shared filler and general words, which is where a naive ranking goes wrong.
const HELD_OUT: usize = 4;

const FILLER_SENTENCES: &[&str] = &[
    "这一问题群众反映强烈，建议有关部门高度重视。",
    "建议进一步加强组织领导，切实落实工作责任。",
    "目前存在的主要问题是措施不够有力，工作推进不够及时。",
    "建议加大投入力度，完善相关制度，确保取得实效。",
    "希望相关部门积极推进，不断提高服务水平。",
];

/// A decoy: written almost only in filler words, on a topic's name alone.
fn decoy(rng: &mut StdRng, topic: usize) -> (String, String) {
    let title = format!("关于进一步加强{}工作的建议", TOPICS[topic].name);
    let body: String = (0..12)
        .map(|_| FILLER_SENTENCES.choose(rng).copied().unwrap_or(""))
        .collect();
    (title, body)
}

/// A proposal on a topic of the corpus (not a held-out one).
fn proposal(corpus: &Corpus, rng: &mut StdRng) -> Generated {
    loop {
        let topic = corpus.draw_topic(rng);
        if topic < TOPICS.len() - HELD_OUT {
            return corpus.proposal_on(rng, topic);
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Words a draft and a proposal share, other than filler.
fn shares_only_filler(a: &str, b: &str) -> bool {
    let filler: HashSet<&str> = FILLER_WORDS.iter().copied().collect();
    let words =
        |t: &str| -> HashSet<String> { segmenter().terms_with_filler(t).into_iter().collect() };
    let (wa, wb) = (words(a), words(b));
    wa.intersection(&wb)
        .all(|w| filler.contains(w.as_str()) || w.chars().count() < 2)
}

fn build(docs: &[Doc], keep_filler: bool) -> (Index, Duration) {
    let mut index = if keep_filler {
        Index::keeping_filler()
    } else {
        Index::new()
    };
    let started = Instant::now();
    for doc in docs {
        index.upsert(doc.clone());
    }
    index.refresh_norms();
    // As the server does after a build: common terms become columns.
    index.compact();
    (index, started.elapsed())
}

fn main() {
    let n_docs = arg("--docs", 100_000) as usize;
    let n_queries = arg("--queries", 500) as usize;
    let seed = arg("--seed", 2012);
    let naive_too = arg("--naive", 1) == 1;
    // The exhaustive ranking reads every proposal: checked on the first drafts only.
    let n_exhaustive = arg("--exhaustive", 100) as usize;
    let mut rng = StdRng::seed_from_u64(seed);
    let date = NaiveDate::from_ymd_opt(2012, 1, 1).unwrap_or_default();
    let corpus = Corpus::new();

    let decoys = n_docs / 100;
    let mut docs = Vec::with_capacity(n_docs);
    let mut texts = Vec::with_capacity(n_docs);
    let mut topics = Vec::with_capacity(n_docs);
    let mut body_chars = 0usize;
    for id in 0..n_docs {
        let (title, body, topic) = if id < decoys {
            let topic = rng.gen_range(0..TOPICS.len() - HELD_OUT);
            let (title, body) = decoy(&mut rng, topic);
            (title, body, usize::MAX)
        } else {
            let p = proposal(&corpus, &mut rng);
            (p.title, p.body, p.topic)
        };
        body_chars += body.chars().count();
        texts.push(format!("{title} {body}"));
        topics.push(topic);
        docs.push(Doc {
            kind: DocKind::Proposal,
            id: id as i64,
            org_path: "/1/".into(),
            date,
            title,
            body,
            members: Vec::new(),
            departments: Vec::new(),
            public: true,
        });
    }
    segmenter(); // load the dictionary before timing
    let (mut index, build_time) = build(&docs, false);
    let (postings, terms) = index.size();
    let shares = index.common_term_shares(10);

    let drafts: Vec<Generated> = (0..n_queries)
        .map(|_| proposal(&corpus, &mut rng))
        .collect();

    // Other bounds on the work of `similar`, measured beside the one served
    // (`--approximations 150000:2000,300000:4000`: postings read to find
    // candidates, candidates completed).
    let limits: Vec<Approximation> = std::env::args()
        .collect::<Vec<_>>()
        .windows(2)
        .find(|w| w[0] == "--approximations")
        .map(|w| {
            w[1].split(',')
                .filter_map(|v| {
                    let (postings, candidates) = v.split_once(':')?;
                    Some(Approximation {
                        postings: postings.parse().ok()?,
                        candidates: candidates.parse().ok()?,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let mut limit_times = vec![Vec::with_capacity(n_queries); limits.len()];
    let mut limit_found = vec![0usize; limits.len()];
    let mut exact_times = Vec::with_capacity(n_queries);
    let (mut served_found, mut exact_listed) = (0usize, 0usize);
    let mut similar_times = Vec::with_capacity(n_queries);
    let mut unpruned_times = Vec::with_capacity(n_queries);
    let mut exhaustive_times = Vec::with_capacity(n_queries);
    let mut recall_sum = 0.0;
    let mut filler_hits = 0usize;
    let mut same_topic = 0usize;
    let mut listed = 0usize;
    for d in &drafts {
        let started = Instant::now();
        let found = index.similar(DocKind::Proposal, &d.title, &d.body, 10, Everyone);
        similar_times.push(started.elapsed());
        let started = Instant::now();
        let exact = index.similar_exact(DocKind::Proposal, &d.title, &d.body, 10, Everyone);
        exact_times.push(started.elapsed());
        let exact_ids: HashSet<i64> = exact.iter().map(|s| s.id).collect();
        exact_listed += exact_ids.len();
        served_found += found.iter().filter(|s| exact_ids.contains(&s.id)).count();
        for (i, limit) in limits.iter().enumerate() {
            let started = Instant::now();
            let cut = index.similar_among(
                DocKind::Proposal,
                &d.title,
                &d.body,
                10,
                Some(*limit),
                Everyone,
            );
            limit_times[i].push(started.elapsed());
            limit_found[i] += cut.iter().filter(|s| exact_ids.contains(&s.id)).count();
        }
        let started = Instant::now();
        let _ = index.similar_unpruned(DocKind::Proposal, &d.title, &d.body, 10, |_| true);
        unpruned_times.push(started.elapsed());
        if exhaustive_times.len() < n_exhaustive {
            let started = Instant::now();
            let exact = index.similar_exhaustive(DocKind::Proposal, &d.title, &d.body, 10);
            exhaustive_times.push(started.elapsed());
            let exact_ids: HashSet<i64> = exact.iter().map(|s| s.id).collect();
            if !exact_ids.is_empty() {
                let hit = found.iter().filter(|s| exact_ids.contains(&s.id)).count();
                recall_sum += hit as f64 / exact_ids.len() as f64;
            } else {
                recall_sum += 1.0;
            }
        }
        same_topic += found
            .iter()
            .filter(|s| topics[s.id as usize] == d.topic)
            .count();
        listed += found.len();
        let draft = format!("{} {}", d.title, d.body);
        if found
            .iter()
            .any(|s| shares_only_filler(&draft, &texts[s.id as usize]))
        {
            filler_hits += 1;
        }
    }
    similar_times.sort();
    exact_times.sort();
    for times in &mut limit_times {
        times.sort();
    }
    unpruned_times.sort();
    exhaustive_times.sort();

    // Drafts on topics held out of the corpus.
    let novel: Vec<Generated> = (0..n_queries)
        .map(|i| corpus.proposal_on(&mut rng, TOPICS.len() - 1 - i % HELD_OUT))
        .collect();
    let filler_only = |index: &mut Index| {
        novel
            .iter()
            .filter(|d| {
                let draft = format!("{} {}", d.title, d.body);
                index
                    .similar(DocKind::Proposal, &d.title, &d.body, 10, Everyone)
                    .iter()
                    .any(|s| shares_only_filler(&draft, &texts[s.id as usize]))
            })
            .count()
    };
    let novel_hits = filler_only(&mut index);

    // The same drafts against an index that keeps filler words.
    let (naive_filler_hits, novel_naive_hits) = if naive_too {
        let (mut naive, _) = build(&docs, true);
        let mut hits = 0usize;
        for d in &drafts {
            let found = naive.similar(DocKind::Proposal, &d.title, &d.body, 10, Everyone);
            let draft = format!("{} {}", d.title, d.body);
            if found
                .iter()
                .any(|s| shares_only_filler(&draft, &texts[s.id as usize]))
            {
                hits += 1;
            }
        }
        (Some(hits), Some(filler_only(&mut naive)))
    } else {
        (None, None)
    };

    let mut search_times = Vec::with_capacity(n_queries);
    for _ in 0..n_queries {
        let query = corpus.query(&mut rng, 20);
        let started = Instant::now();
        let _ = index.search(&query, |d: &Entry| d.org_path.starts_with("/1/"), 0, 20);
        search_times.push(started.elapsed());
    }
    search_times.sort();

    let pct = |hits: usize| 100.0 * hits as f64 / n_queries as f64;
    let opt =
        |v: Option<usize>| v.map_or("not run".to_string(), |h| format!("{h} ({:.1}%)", pct(h)));
    println!("| measure | value |");
    println!("|---|---|");
    println!("| proposals in the corpus (of which filler-only decoys) | {n_docs} ({decoys}) |");
    println!(
        "| mean body length | {} characters |",
        body_chars / n_docs.max(1)
    );
    println!("| distinct terms / postings | {terms} / {postings} |");
    println!(
        "| share of proposals holding each of the 10 commonest terms | {} |",
        shares
            .iter()
            .map(|(t, s)| format!("{t} {:.0}%", s * 100.0))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("| drafts queried (whole drafts: title and body) | {n_queries} |");
    println!("| index build | {:.2} s |", build_time.as_secs_f64());
    let memory = index.heap_bytes();
    println!(
        "| index memory (postings / all) | {:.1} / {:.1} MB |",
        memory.postings as f64 / 1e6,
        memory.total() as f64 / 1e6
    );
    let recall = |found: usize| found as f64 / exact_listed.max(1) as f64;
    println!(
        "| similar proposals (as served: {} postings read, {} completed at most) p50 / p99; recall@10 against the exact top ten | {} / {}; {:.4} |",
        SIMILAR_APPROXIMATION.postings,
        SIMILAR_APPROXIMATION.candidates,
        ms(percentile(&similar_times, 50.0)),
        ms(percentile(&similar_times, 99.0)),
        recall(served_found)
    );
    for (i, limit) in limits.iter().enumerate() {
        println!(
            "| similar, {} postings read, {} completed at most: p50 / p99; recall@10 against the exact top ten | {} / {}; {:.4} |",
            limit.postings,
            limit.candidates,
            ms(percentile(&limit_times[i], 50.0)),
            ms(percentile(&limit_times[i], 99.0)),
            recall(limit_found[i])
        );
    }
    println!(
        "| similar, exact (pruned, every document within reach completed) p50 / p99 | {} / {} |",
        ms(percentile(&exact_times, 50.0)),
        ms(percentile(&exact_times, 99.0))
    );
    println!(
        "| same, every posting read (term at a time, unpruned) p50 / p99 | {} / {} |",
        ms(percentile(&unpruned_times, 50.0)),
        ms(percentile(&unpruned_times, 99.0))
    );
    println!(
        "| exhaustive cosine (every proposal) p50 / p99 | {} / {} |",
        ms(percentile(&exhaustive_times, 50.0)),
        ms(percentile(&exhaustive_times, 99.0))
    );
    println!(
        "| search (20 characters) p50 / p99 | {} / {} |",
        ms(percentile(&search_times, 50.0)),
        ms(percentile(&search_times, 99.0))
    );
    println!(
        "| recall@10 against exhaustive TF-IDF cosine ({} drafts) | {:.3} |",
        exhaustive_times.len(),
        recall_sum / exhaustive_times.len().max(1) as f64
    );
    println!(
        "| similar proposals on the draft's topic | {:.1}% |",
        100.0 * same_topic as f64 / listed.max(1) as f64
    );
    println!(
        "| drafts whose top 10 holds a filler-only match: filler dropped / kept | {filler_hits} ({:.1}%) / {} |",
        pct(filler_hits),
        opt(naive_filler_hits)
    );
    println!(
        "| drafts on topics new to the corpus with a filler-only match in the top 10: filler dropped / kept | {novel_hits} ({:.1}%) / {} |",
        pct(novel_hits),
        opt(novel_naive_hits)
    );
}
