//! Similar-proposal quality on real published proposal titles.
//!
//!     cargo run --release --example title_quality -- [--distractors 100000] [--seed 2012]
//!
//! Reads `tests/fixtures/real_proposal_titles.tsv` (real CPPCC proposal
//! titles grouped by topic, with their sources). Each title of a topic
//! holding at least three is asked, as a draft of a title alone, against
//! the other titles (its own left out): a hit at 5 when a title of the same
//! topic is among the first five, and the reciprocal rank of the first one
//! (MRR). Measured on the titles alone, then among `--distractors`
//! generated proposals (`lvzhi::demo::corpus`), and among them again with a
//! generated proposal counted relevant when its generator topic is on the
//! asked title's subject (`SAME_SUBJECT`: the generator writes proposals on
//! many of the fixture's subjects, and a strict count takes a generated
//! parking proposal ranked above a real parking title for a miss). With `--dump FILE` the
//! distractors are also written there (title, tab, body per line) for
//! `scripts/title_quality_baseline.py`, the Python TF-IDF beside it. With
//! `--misses`, every title whose topic is not in its first five is printed
//! (titles alone, then among the distractors) with the five found instead.

use std::collections::HashMap;

use chrono::NaiveDate;
use lvzhi::demo::corpus::{Corpus, TOPICS};
use lvzhi::search::index::Entry;
use lvzhi::search::{segmenter, Doc, DocKind, Index};
use rand::rngs::StdRng;
use rand::SeedableRng;

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn dump_path() -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    let at = args.iter().position(|a| a == "--dump")?;
    args.get(at + 1).cloned()
}

fn doc(id: i64, title: &str, body: &str) -> Doc {
    Doc {
        kind: DocKind::Proposal,
        id,
        org_path: "/1/".into(),
        date: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default(),
        title: title.into(),
        body: body.into(),
        members: Vec::new(),
        departments: Vec::new(),
        public: true,
    }
}

/// (hit@5, MRR, titles asked) of the fixture's titles in `index`, where
/// ids below `titles.len()` are the titles. With `generated` (each
/// distractor's generator topic, by id after the titles), a distractor
/// whose generator topic is the asked title's subject ([`SAME_SUBJECT`])
/// counts as relevant too.
fn measure(
    index: &Index,
    titles: &[(String, String)],
    counts: &HashMap<&str, usize>,
    generated: Option<&[usize]>,
) -> (f64, f64, usize) {
    let (mut hits, mut rr, mut asked) = (0usize, 0.0f64, 0usize);
    for (i, (topic, title)) in titles.iter().enumerate() {
        if counts.get(topic.as_str()).copied().unwrap_or(0) < 3 {
            continue;
        }
        asked += 1;
        let found = index.similar(DocKind::Proposal, title, "", 50, |e: &Entry| {
            e.id != i as i64
        });
        let relevant = |id: usize| match titles.get(id) {
            Some((t, _)) => t == topic,
            None => generated
                .and_then(|g| g.get(id - titles.len()))
                .is_some_and(|g| same_subject(topic, *g)),
        };
        let first = found.iter().position(|s| relevant(s.id as usize));
        if let Some(rank) = first {
            if rank < 5 {
                hits += 1;
            }
            rr += 1.0 / (rank + 1) as f64;
        }
    }
    (
        hits as f64 / asked.max(1) as f64,
        rr / asked.max(1) as f64,
        asked,
    )
}

/// The fixture's topics and the generator's topics (`demo::corpus::TOPICS`)
/// on the same subject, read from the generator's phrases (停车难问题,
/// 中小学课后服务, 农村人居环境整治, 特殊教育发展 …), topic by topic and not
/// from any title's results. The fixture's other topics (drinking water,
/// tourism, industry, dogs, toilets …) have no generator topic on their
/// subject.
const SAME_SUBJECT: &[(&str, &str)] = &[
    ("parking", "停车与交通"),
    ("traffic", "停车与交通"),
    ("school_traffic", "停车与交通"),
    ("waste", "垃圾分类与环境"),
    ("rural_environment", "垃圾分类与环境"),
    ("elderly", "居家养老"),
    ("food_safety", "食品安全"),
    ("rivers", "河湖治理"),
    ("mental_health", "心理健康"),
    ("after_school", "中小学教育"),
    ("education", "中小学教育"),
    ("preschool", "学前教育与托育"),
    ("special_education", "残疾人与困难群体"),
    ("property", "物业管理"),
    ("old_neighbourhood_renovation", "老旧小区改造"),
    ("community", "社区治理"),
    ("hospital", "基层医疗"),
    ("agriculture", "乡村振兴"),
    ("talent", "青年人才"),
    ("culture", "文化事业"),
    ("culture_industry", "文化事业"),
];

fn same_subject(fixture_topic: &str, generator_topic: usize) -> bool {
    let Some(name) = TOPICS.get(generator_topic).map(|t| t.name) else {
        return false;
    };
    SAME_SUBJECT
        .iter()
        .any(|(fixture, generator)| *fixture == fixture_topic && *generator == name)
}

/// Each asked title whose topic is not in its first five, with the five
/// (a generated distractor by its generator's topic and its title).
fn print_misses(
    index: &Index,
    titles: &[(String, String)],
    counts: &HashMap<&str, usize>,
    generated: &[(usize, String)],
) {
    for (i, (topic, title)) in titles.iter().enumerate() {
        if counts.get(topic.as_str()).copied().unwrap_or(0) < 3 {
            continue;
        }
        let found = index.similar(DocKind::Proposal, title, "", 5, |e: &Entry| {
            e.id != i as i64
        });
        if found
            .iter()
            .any(|s| titles.get(s.id as usize).is_some_and(|(t, _)| t == topic))
        {
            continue;
        }
        println!("MISS [{topic}] {title}");
        for s in &found {
            if let Some((t, other)) = titles.get(s.id as usize) {
                println!("    {:.3} [{t}] {other}", s.score);
            } else if let Some((topic, other)) = generated.get(s.id as usize - titles.len()) {
                let name = TOPICS.get(*topic).map_or("?", |t| t.name);
                println!("    {:.3} [generated: {name}] {other}", s.score);
            }
        }
        if found.is_empty() {
            println!("    (nothing shares a word)");
        }
    }
}

fn main() {
    let distractors = arg("--distractors", 100_000) as usize;
    let seed = arg("--seed", 2012);
    let text = std::fs::read_to_string("tests/fixtures/real_proposal_titles.tsv")
        .expect("tests/fixtures/real_proposal_titles.tsv (run from the project's folder)");
    let titles: Vec<(String, String)> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let mut cols = l.split('\t');
            Some((cols.next()?.to_string(), cols.next()?.to_string()))
        })
        .collect();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for (topic, _) in &titles {
        *counts.entry(topic.as_str()).or_default() += 1;
    }
    let grouped = counts.values().filter(|n| **n >= 3).count();
    segmenter();

    // Each measure twice: with jieba's dictionary alone (plain), and with
    // the domain's words, synonyms and paired characters (as lvzhi runs).
    let mut plain = Index::plain();
    let mut index = Index::new();
    for (i, (_, title)) in titles.iter().enumerate() {
        plain.upsert(doc(i as i64, title, ""));
        index.upsert(doc(i as i64, title, ""));
    }
    plain.refresh_norms();
    index.refresh_norms();
    let plain_alone = measure(&plain, &titles, &counts, None);
    let alone = measure(&index, &titles, &counts, None);
    let misses = std::env::args().any(|a| a == "--misses");
    if misses {
        println!("## Misses, titles alone");
        print_misses(&index, &titles, &counts, &[]);
    }

    let corpus = Corpus::new();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut dump = dump_path().map(|path| {
        std::io::BufWriter::new(std::fs::File::create(&path).expect("--dump FILE: cannot create"))
    });
    let mut generated = Vec::new();
    let mut generated_topics = Vec::with_capacity(distractors);
    for n in 0..distractors {
        let p = corpus.proposal(&mut rng);
        generated_topics.push(p.topic);
        if misses {
            generated.push((p.topic, p.title.clone()));
        }
        if let Some(out) = dump.as_mut() {
            use std::io::Write;
            let line = |s: &str| s.replace(['\t', '\n'], " ");
            writeln!(out, "{}\t{}", line(&p.title), line(&p.body)).expect("--dump FILE: write");
        }
        plain.upsert(doc((titles.len() + n) as i64, &p.title, &p.body));
        index.upsert(doc((titles.len() + n) as i64, &p.title, &p.body));
    }
    drop(dump);
    plain.refresh_norms();
    index.refresh_norms();
    let plain_among = measure(&plain, &titles, &counts, None);
    let among = measure(&index, &titles, &counts, None);
    let plain_labelled = measure(&plain, &titles, &counts, Some(&generated_topics));
    let labelled = measure(&index, &titles, &counts, Some(&generated_topics));
    if misses && distractors > 0 {
        println!("## Misses among {distractors} generated proposals");
        print_misses(&index, &titles, &counts, &generated);
    }

    println!(
        "{} titles, {} topics, {} topics with 3 or more titles; {} titles asked",
        titles.len(),
        counts.len(),
        grouped,
        alone.2
    );
    println!();
    println!("| set | segmenter | hit@5 | MRR |");
    println!("|---|---|---|---|");
    for (set, plain, full) in [
        ("titles alone".to_string(), plain_alone, alone),
        (
            format!("among {distractors} generated proposals"),
            plain_among,
            among,
        ),
        (
            format!(
                "among {distractors} generated proposals, those on the title's subject relevant"
            ),
            plain_labelled,
            labelled,
        ),
    ] {
        println!("| {set} | jieba alone | {:.3} | {:.3} |", plain.0, plain.1);
        println!(
            "| {set} | domain words, synonyms, pairs | {:.3} | {:.3} |",
            full.0, full.1
        );
    }
}
