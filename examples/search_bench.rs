//! Search and similar-proposal benchmark over a generated corpus.
//!
//!     cargo run --release --example search_bench -- [--docs 100000] [--queries 500] [--seed 2012]
//!
//! Prints a Markdown table: index build time, similar-proposal latency
//! (p50/p99), search latency (p50/p99), recall@10 of the similar list against
//! an exhaustive TF-IDF cosine ranking, and how often a proposal that shares
//! only filler words with the draft reaches the top 10 (with filler words
//! dropped, as lvzhi does, and kept, for comparison).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use lvzhi::search::segment::FILLER_WORDS;
use lvzhi::search::{segmenter, Doc, DocKind, Index};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// Topics of a district's proposals, each with words that mark it.
const TOPICS: &[(&str, &[&str])] = &[
    (
        "城中村改造",
        &[
            "城中村",
            "拆迁",
            "补偿",
            "安置房",
            "回迁",
            "宅基地",
            "集体房屋",
            "过渡费",
        ],
    ),
    (
        "安置区配套",
        &[
            "安置区",
            "配套",
            "幼儿园",
            "菜市场",
            "物业",
            "供暖",
            "燃气",
            "电梯",
        ],
    ),
    (
        "创建文明城市",
        &[
            "文明城市",
            "创文",
            "卫生死角",
            "占道经营",
            "宣传栏",
            "志愿者",
            "环境整治",
            "五小门店",
        ],
    ),
    (
        "居家养老",
        &[
            "老年人",
            "养老",
            "助餐",
            "日间照料",
            "老年公寓",
            "护理",
            "适老化",
            "空巢",
        ],
    ),
    (
        "中小学教育",
        &[
            "小学",
            "中学",
            "学位",
            "校舍",
            "教师",
            "课后服务",
            "午餐",
            "操场",
        ],
    ),
    (
        "交通秩序",
        &[
            "交通",
            "拥堵",
            "停车",
            "红绿灯",
            "公交",
            "非机动车",
            "交警",
            "斑马线",
        ],
    ),
    (
        "老旧小区",
        &[
            "老旧小区",
            "加装电梯",
            "管网",
            "屋顶漏水",
            "楼道",
            "外墙",
            "化粪池",
            "路灯",
        ],
    ),
    (
        "社区医疗",
        &[
            "社区医院",
            "家庭医生",
            "慢性病",
            "医保",
            "药品",
            "体检",
            "疫苗",
            "急救",
        ],
    ),
    (
        "垃圾分类",
        &[
            "垃圾分类",
            "垃圾桶",
            "清运",
            "厨余",
            "回收站",
            "中转站",
            "保洁",
            "异味",
        ],
    ),
    (
        "就业创业",
        &[
            "就业",
            "创业",
            "培训",
            "小微企业",
            "贷款",
            "招聘会",
            "灵活就业",
            "零工",
        ],
    ),
    (
        "食品安全",
        &[
            "食品安全",
            "小餐饮",
            "后厨",
            "抽检",
            "农贸市场",
            "过期",
            "冷链",
            "餐具",
        ],
    ),
    (
        "招商引资",
        &[
            "招商",
            "项目",
            "投资",
            "营商环境",
            "审批",
            "企业",
            "商业综合体",
            "税收",
        ],
    ),
    (
        "河道治理",
        &[
            "河道",
            "污水",
            "雨污分流",
            "排水",
            "内涝",
            "绿化带",
            "堤岸",
            "黑臭水体",
        ],
    ),
    (
        "社区治理",
        &[
            "网格",
            "居委会",
            "楼栋长",
            "议事会",
            "物业纠纷",
            "矛盾调解",
            "信访",
            "流动人口",
        ],
    ),
    (
        "文化体育",
        &[
            "文化广场",
            "健身器材",
            "图书室",
            "广场舞",
            "文化馆",
            "全民健身",
            "非遗",
            "篮球场",
        ],
    ),
    (
        "困难群众帮扶",
        &[
            "低保",
            "困难家庭",
            "残疾人",
            "临时救助",
            "慰问",
            "帮扶",
            "孤儿",
            "廉租房",
        ],
    ),
];

/// Topics no proposal in the corpus is about: drafts on them can only match
/// through shared filler words, which is where a naive ranking goes wrong.
const NEW_TOPICS: &[(&str, &[&str])] = &[
    (
        "共享单车",
        &[
            "共享单车",
            "乱停放",
            "电子围栏",
            "骑行",
            "押金",
            "运维",
            "单车",
            "停放点",
        ],
    ),
    (
        "电动车充电",
        &[
            "电动车",
            "充电桩",
            "飞线充电",
            "火灾",
            "车棚",
            "电瓶",
            "充电柜",
            "消防",
        ],
    ),
    (
        "宠物管理",
        &[
            "养犬",
            "犬只",
            "遛狗",
            "狂犬病",
            "牵绳",
            "宠物",
            "粪便",
            "咬伤",
        ],
    ),
    (
        "快递末端",
        &[
            "快递",
            "驿站",
            "快递柜",
            "包裹",
            "配送",
            "丢件",
            "取件",
            "末端",
        ],
    ),
];

const PLACES: &[&str] = &[
    "孙八砦",
    "高砦",
    "大学路",
    "京沙",
    "长江路",
    "二七",
    "连云路",
    "兴华街",
    "淮河路",
    "政通路",
];
const OPENERS: &[&str] = &[
    "关于",
    "关于进一步加强",
    "关于加快",
    "关于切实做好",
    "关于推进",
    "关于完善",
    "关于解决",
];
const CLOSERS: &[&str] = &["的建议", "问题的建议", "工作的建议", "的提案", "的意见建议"];
const FILLER_SENTENCES: &[&str] = &[
    "这一问题群众反映强烈，建议有关部门高度重视。",
    "建议进一步加强组织领导，切实落实工作责任。",
    "目前存在的主要问题是措施不够有力，工作推进不够及时。",
    "建议加大投入力度，完善相关制度，确保取得实效。",
    "希望相关部门积极推进，不断提高服务水平。",
];

/// Streets outside the district: a draft about them shares no place with the corpus.
const OTHER_PLACES: &[&str] = &["花园路", "紫荆山", "经三路", "纬五路"];

fn proposal(rng: &mut StdRng, topic: usize) -> (String, String) {
    proposal_on(rng, TOPICS[topic], PLACES)
}

fn proposal_on(
    rng: &mut StdRng,
    (name, words): (&str, &[&str]),
    places: &[&str],
) -> (String, String) {
    let place = places.choose(rng).copied().unwrap_or("辖区");
    let a = words.choose(rng).copied().unwrap_or(name);
    let title = format!(
        "{}{}{}{}",
        OPENERS.choose(rng).copied().unwrap_or("关于"),
        place,
        if rng.gen_bool(0.5) { a } else { name },
        CLOSERS.choose(rng).copied().unwrap_or("的建议")
    );
    let mut body = String::new();
    for _ in 0..rng.gen_range(3..7) {
        if rng.gen_bool(0.35) {
            body.push_str(FILLER_SENTENCES.choose(rng).copied().unwrap_or(""));
        } else {
            let picked: Vec<&str> = words.choose_multiple(rng, 2).copied().collect();
            body.push_str(&format!(
                "{place}{}方面，{}和{}的情况需要关注。",
                name, picked[0], picked[1]
            ));
        }
    }
    (title, body)
}

/// A decoy: written almost only in filler words, on another topic's lone word.
fn decoy(rng: &mut StdRng, topic: usize) -> (String, String) {
    let (name, _) = TOPICS[topic];
    let title = format!("关于进一步加强{}工作的建议", name);
    let body: String = (0..4)
        .map(|_| FILLER_SENTENCES.choose(rng).copied().unwrap_or(""))
        .collect();
    (title, body)
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
    (index, started.elapsed())
}

fn main() {
    let n_docs = arg("--docs", 100_000) as usize;
    let n_queries = arg("--queries", 500) as usize;
    let seed = arg("--seed", 2012);
    let mut rng = StdRng::seed_from_u64(seed);
    let date = NaiveDate::from_ymd_opt(2012, 1, 1).unwrap_or_default();

    let decoys = n_docs / 100;
    let mut docs = Vec::with_capacity(n_docs);
    let mut texts = Vec::with_capacity(n_docs);
    for id in 0..n_docs {
        let topic = rng.gen_range(0..TOPICS.len());
        let (title, body) = if id < decoys {
            decoy(&mut rng, topic)
        } else {
            proposal(&mut rng, topic)
        };
        texts.push(format!("{title} {body}"));
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

    let mut drafts = Vec::with_capacity(n_queries);
    for _ in 0..n_queries {
        let topic = rng.gen_range(0..TOPICS.len());
        drafts.push(proposal(&mut rng, topic));
    }

    let mut similar_times = Vec::with_capacity(n_queries);
    let mut recall_sum = 0.0;
    let mut filler_hits = 0usize;
    for (title, body) in &drafts {
        let started = Instant::now();
        let found = index.similar(DocKind::Proposal, title, body, 10, |_| true);
        similar_times.push(started.elapsed());
        let exact = index.similar_exhaustive(DocKind::Proposal, title, body, 10);
        let exact_ids: HashSet<i64> = exact.iter().map(|s| s.id).collect();
        if !exact_ids.is_empty() {
            let hit = found.iter().filter(|s| exact_ids.contains(&s.id)).count();
            recall_sum += hit as f64 / exact_ids.len() as f64;
        } else {
            recall_sum += 1.0;
        }
        let draft = format!("{title} {body}");
        if found
            .iter()
            .any(|s| shares_only_filler(&draft, &texts[s.id as usize]))
        {
            filler_hits += 1;
        }
    }
    similar_times.sort();

    // The same drafts against an index that keeps filler words.
    let (mut naive, _) = build(&docs, true);
    let mut naive_filler_hits = 0usize;
    for (title, body) in &drafts {
        let found = naive.similar(DocKind::Proposal, title, body, 10, |_| true);
        let draft = format!("{title} {body}");
        if found
            .iter()
            .any(|s| shares_only_filler(&draft, &texts[s.id as usize]))
        {
            naive_filler_hits += 1;
        }
    }

    // Drafts on topics new to the corpus.
    let novel: Vec<(String, String)> = (0..n_queries)
        .map(|i| proposal_on(&mut rng, NEW_TOPICS[i % NEW_TOPICS.len()], OTHER_PLACES))
        .collect();
    let filler_only = |index: &mut Index| {
        novel
            .iter()
            .filter(|(title, body)| {
                let draft = format!("{title} {body}");
                index
                    .similar(DocKind::Proposal, title, body, 10, |_| true)
                    .iter()
                    .any(|s| shares_only_filler(&draft, &texts[s.id as usize]))
            })
            .count()
    };
    let novel_hits = filler_only(&mut index);
    let novel_naive_hits = filler_only(&mut naive);

    let mut search_times = Vec::with_capacity(n_queries);
    for _ in 0..n_queries {
        let (_, words) = TOPICS[rng.gen_range(0..TOPICS.len())];
        let count = rng.gen_range(1..3);
        let query: Vec<&str> = words.choose_multiple(&mut rng, count).copied().collect();
        let query = query.join(" ");
        let started = Instant::now();
        let _ = index.search(&query, |d| d.org_path.starts_with("/1/"), 0, 20);
        search_times.push(started.elapsed());
    }
    search_times.sort();

    println!("| measure | value |");
    println!("|---|---|");
    println!("| proposals in the corpus (of which filler-only decoys) | {n_docs} ({decoys}) |");
    println!("| drafts queried | {n_queries} |");
    println!("| index build | {:.2} s |", build_time.as_secs_f64());
    println!(
        "| similar proposals p50 / p99 | {} / {} |",
        ms(percentile(&similar_times, 50.0)),
        ms(percentile(&similar_times, 99.0))
    );
    println!(
        "| search p50 / p99 | {} / {} |",
        ms(percentile(&search_times, 50.0)),
        ms(percentile(&search_times, 99.0))
    );
    println!(
        "| recall@10 against exhaustive TF-IDF cosine | {:.3} |",
        recall_sum / n_queries as f64
    );
    println!(
        "| drafts whose top 10 holds a filler-only match (filler dropped) | {} of {} ({:.1}%) |",
        filler_hits,
        n_queries,
        100.0 * filler_hits as f64 / n_queries as f64
    );
    println!(
        "| same, with filler words kept (naive) | {} of {} ({:.1}%) |",
        naive_filler_hits,
        n_queries,
        100.0 * naive_filler_hits as f64 / n_queries as f64
    );
    let pct = |hits: usize| 100.0 * hits as f64 / n_queries as f64;
    println!(
        "| drafts on topics new to the corpus with a filler-only match in the top 10: filler dropped / kept | {novel_hits} ({:.1}%) / {novel_naive_hits} ({:.1}%) |",
        pct(novel_hits),
        pct(novel_naive_hits)
    );
}
