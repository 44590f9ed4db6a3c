//! Word segmentation for Chinese (jieba's search mode), with the filler words
//! of official writing removed so that "关于进一步加强……的建议" does not make
//! two unrelated proposals look alike.

use std::collections::HashSet;
use std::sync::OnceLock;

use jieba_rs::Jieba;

/// Words that carry no topic in proposals and reports: function words and the
/// set phrases of official writing. Measured in the search benchmark: with
/// them, a proposal sharing only these words with a draft reaches its top 10.
pub const FILLER_WORDS: &[&str] = &[
    // Function words.
    "的",
    "了",
    "和",
    "与",
    "及",
    "以及",
    "或",
    "在",
    "是",
    "对",
    "为",
    "把",
    "将",
    "等",
    "中",
    "上",
    "下",
    "由",
    "从",
    "向",
    "给",
    "被",
    "这",
    "那",
    "其",
    "之",
    "并",
    "而",
    "且",
    "也",
    "都",
    "还",
    "就",
    "又",
    "要",
    "能",
    "可",
    "应",
    "应当",
    "应该",
    "需要",
    "一些",
    "一个",
    "有",
    "无",
    "不",
    "我们",
    "他们",
    "我",
    "你",
    "个",
    "各",
    "该",
    "此",
    "如",
    "如何",
    "什么",
    "为了",
    "因为",
    "所以",
    "但是",
    "如果",
    "通过",
    "对于",
    "关于",
    "按照",
    "根据",
    "目前",
    "当前",
    "现在",
    "今年",
    "近年来",
    // Set phrases of proposals and reports.
    "建议",
    "提案",
    "意见",
    "问题",
    "工作",
    "进一步",
    "一步",
    "进一",
    "加强",
    "推进",
    "做好",
    "切实",
    "积极",
    "有关",
    "相关",
    "进行",
    "开展",
    "加大",
    "力度",
    "提高",
    "完善",
    "落实",
    "解决",
    "方面",
    "情况",
    "全面",
    "不断",
    "努力",
    "有效",
    "及时",
    "更好",
    "大力",
    "深入",
    "着力",
    "加快",
    "确保",
    "促进",
    "强化",
    "推动",
    "实施",
    "建立",
    "健全",
    "方案",
    "措施",
    "我区",
    "我市",
    "我省",
    "辖区",
    "有关部门",
    "部门",
    "政府",
    "群众",
    "工作者",
    "存在",
    "主要",
    "重要",
    "作用",
    "发展",
    "建设",
    "管理",
    "服务",
    "关注",
    "重视",
    "高度",
    "反映",
    "强烈",
    "希望",
    "实效",
    "取得",
    "水平",
    "责任",
    "组织",
    "领导",
    "投入",
    "制度",
    "有力",
    "不够",
    "要求",
    "认真",
    "及早",
    "尽快",
    "一定",
    "得到",
];

/// Words of committee work that jieba's general dictionary cuts apart: each
/// becomes a term of its own (search mode still yields its parts).
pub const DOMAIN_WORDS: &[&str] = &[
    "政协委员",
    "委员之家",
    "社情民意",
    "城中村",
    "安置房",
    "老旧小区",
    "加装电梯",
    "停车难",
    "停车位",
    "充电桩",
    "垃圾分类",
    "课后服务",
    "课后托管",
    "托育",
    "适老化",
    "医养结合",
    "家庭医生",
    "医共体",
    "网约车",
    "电动自行车",
    "预制菜",
    "营商环境",
    "乡村振兴",
    "河长制",
    "黑臭水体",
    "心理健康",
    "特殊教育",
    "学前教育",
    "公共厕所",
    "背街小巷",
];

/// Near-synonyms of proposal writing, each read as the first word of its
/// row, so that two texts saying the same thing in other words meet:
/// general pairs of the trade, not fitted to single titles.
pub const SYNONYMS: &[(&str, &[&str])] = &[
    ("加装", &["增设", "增装"]),
    ("老旧小区", &["老小区", "旧小区", "老旧住宅小区"]),
    ("停车位", &["车位", "泊位", "停车泊位"]),
    ("充电桩", &["充电设施", "充电站"]),
    ("课后服务", &["课后托管", "放学后托管", "课后看护"]),
    ("养老机构", &["养老院", "敬老院"]),
    ("残疾人", &["残障人士", "残障人"]),
    ("农村", &["乡村"]),
    ("电动自行车", &["电瓶车", "电单车"]),
    ("新能源汽车", &["电动汽车"]),
    ("公共厕所", &["公厕"]),
    ("托育", &["托幼"]),
];

/// Segments texts into index terms.
pub struct Segmenter {
    jieba: Jieba,
    /// Pair neighbouring lone characters (see [`Segmenter::located`]).
    pairs: bool,
    filler: HashSet<&'static str>,
    /// Variant → the word it is read as ([`SYNONYMS`]).
    synonyms: std::collections::HashMap<&'static str, &'static str>,
}

/// The segmenter, built once (loading the dictionary takes a moment).
pub fn segmenter() -> &'static Segmenter {
    static SEGMENTER: OnceLock<Segmenter> = OnceLock::new();
    SEGMENTER.get_or_init(Segmenter::new)
}

/// jieba's dictionary alone, without the domain's words, the synonyms or
/// paired characters: only to measure what they are worth.
pub fn plain_segmenter() -> &'static Segmenter {
    static PLAIN: OnceLock<Segmenter> = OnceLock::new();
    PLAIN.get_or_init(|| Segmenter {
        jieba: Jieba::new(),
        pairs: false,
        filler: FILLER_WORDS.iter().copied().collect(),
        synonyms: std::collections::HashMap::new(),
    })
}

/// A term and where it stands in the text (byte offsets), for highlighting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub term: String,
    pub start: usize,
    pub end: usize,
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}')
}

impl Default for Segmenter {
    fn default() -> Self {
        Self::new()
    }
}

impl Segmenter {
    pub fn new() -> Self {
        let mut jieba = Jieba::new();
        // The domain's words, and every word of the synonyms' rows, so that
        // a variant jieba would cut apart ("旧小区") is found whole.
        let synonym_words = SYNONYMS
            .iter()
            .flat_map(|(word, variants)| std::iter::once(word).chain(variants.iter()));
        for word in DOMAIN_WORDS.iter().chain(synonym_words) {
            jieba.add_word(word, None, None);
        }
        let synonyms = SYNONYMS
            .iter()
            .flat_map(|(word, variants)| variants.iter().map(move |v| (*v, *word)))
            .collect();
        Self {
            jieba,
            pairs: true,
            filler: FILLER_WORDS.iter().copied().collect(),
            synonyms,
        }
    }

    /// The term a kept word is indexed as: lowercased, a variant read as
    /// its word.
    fn term(&self, word: &str) -> String {
        match self.synonyms.get(word) {
            Some(canonical) => (*canonical).to_string(),
            None => word.to_lowercase(),
        }
    }

    /// Whether a word carries meaning for search: not filler, not
    /// punctuation, and not a lone Chinese character (almost always a
    /// particle once jieba has found the words).
    fn keeps(&self, word: &str) -> bool {
        let mut chars = word.chars();
        let Some(first) = chars.next() else {
            return false;
        };
        if !word.chars().any(|c| c.is_alphanumeric()) {
            return false;
        }
        if chars.next().is_none() && is_cjk(first) {
            return false;
        }
        !self.filler.contains(word)
    }

    /// The index terms of a text, in order, with repeats.
    pub fn terms(&self, text: &str) -> Vec<String> {
        self.located(text).into_iter().map(|l| l.term).collect()
    }

    /// The index terms with their byte positions. Where jieba leaves
    /// Chinese characters standing alone one after another (a word it does
    /// not know), each pair of neighbours is a term too: lone characters
    /// say little, but "犬只" cut as 犬 and 只 still meets "犬只".
    pub fn located(&self, text: &str) -> Vec<Located> {
        let tokens = self.jieba.cut_for_search(text, true);
        let mut out = Vec::with_capacity(tokens.len());
        // The run of lone characters seen last: (character, start, end).
        let mut run: Vec<(char, usize, usize)> = Vec::new();
        let flush = |run: &mut Vec<(char, usize, usize)>, out: &mut Vec<Located>| {
            for pair in run.windows(2) {
                let term: String = [pair[0].0, pair[1].0].iter().collect();
                if !self.filler.contains(term.as_str()) {
                    out.push(Located {
                        term: self.term(&term),
                        start: pair[0].1,
                        end: pair[1].2,
                    });
                }
            }
            run.clear();
        };
        for t in tokens {
            let mut chars = t.word.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if self.pairs && is_cjk(c) && !self.filler.contains(t.word) => {
                    // Tokens of search mode overlap; a lone character
                    // continues the run only where the last one ended.
                    if run.last().is_some_and(|last| last.2 != t.byte_start) {
                        flush(&mut run, &mut out);
                    }
                    run.push((c, t.byte_start, t.byte_end));
                    continue;
                }
                _ => flush(&mut run, &mut out),
            }
            if self.keeps(t.word) {
                out.push(Located {
                    term: self.term(t.word),
                    start: t.byte_start,
                    end: t.byte_end,
                });
            }
        }
        flush(&mut run, &mut out);
        out
    }

    /// The terms of a text without dropping filler words (for the benchmark's
    /// comparison only).
    pub fn terms_with_filler(&self, text: &str) -> Vec<String> {
        self.jieba
            .cut_for_search(text, true)
            .into_iter()
            .filter(|t| t.word.chars().any(|c| c.is_alphanumeric()))
            .map(|t| t.word.to_lowercase())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_words_stay_and_filler_goes() {
        let terms = segmenter().terms("关于进一步加强城中村改造安置房建设的建议");
        assert!(terms.contains(&"城中村".to_string()), "{terms:?}");
        assert!(terms.iter().any(|t| t.contains("安置")), "{terms:?}");
        for filler in ["关于", "进一步", "加强", "建议", "的"] {
            assert!(
                !terms.contains(&filler.to_string()),
                "{filler} kept: {terms:?}"
            );
        }
    }

    #[test]
    fn two_proposals_sharing_only_filler_share_no_terms() {
        let a: HashSet<String> = segmenter()
            .terms("关于进一步加强老年人居家养老服务的建议")
            .into_iter()
            .collect();
        let b: HashSet<String> = segmenter()
            .terms("关于进一步加强中小学校园周边交通秩序的建议")
            .into_iter()
            .collect();
        assert!(
            a.is_disjoint(&b),
            "shared: {:?}",
            a.intersection(&b).collect::<Vec<_>>()
        );
    }

    #[test]
    fn positions_point_at_the_words() {
        let text = "孙八砦城中村改造";
        for l in segmenter().located(text) {
            assert_eq!(&text[l.start..l.end].to_lowercase(), &l.term);
        }
    }

    #[test]
    fn near_synonyms_meet() {
        let terms = |text| -> HashSet<String> { segmenter().terms(text).into_iter().collect() };
        let a = terms("关于老旧小区加装电梯的建议");
        let b = terms("关于旧小区增设电梯的提案");
        assert!(a.contains("加装") && b.contains("加装"), "{a:?} {b:?}");
        assert!(
            a.contains("老旧小区") && b.contains("老旧小区"),
            "{a:?} {b:?}"
        );
        let c = terms("解决车位不足问题");
        assert!(c.contains("停车位"), "{c:?}");
    }

    #[test]
    fn lone_characters_in_a_row_pair_up() {
        // Two characters jieba keeps apart in this text, then a word.
        // jieba cuts 犬只 and 占道 into lone characters.
        let located = segmenter().located("犬只管理");
        for l in &located {
            assert_eq!(&"犬只管理"[l.start..l.end], l.term, "{located:?}");
        }
        let terms: Vec<&str> = located.iter().map(|l| l.term.as_str()).collect();
        assert_eq!(terms, ["犬只"]);
        let terms = segmenter().terms("规范占道经营");
        assert!(terms.contains(&"占道".to_string()), "{terms:?}");
        // Filler stays out even when paired: "的" never starts a pair.
        let terms = segmenter().terms("关于的建议");
        assert!(terms.is_empty(), "{terms:?}");
    }

    #[test]
    fn domain_words_are_terms() {
        let terms = segmenter().terms("委员之家接待群众");
        assert!(terms.contains(&"委员之家".to_string()), "{terms:?}");
    }

    #[test]
    fn latin_words_and_numbers_are_kept_lowercased() {
        let terms = segmenter().terms("建设5G基站和WiFi覆盖");
        assert!(terms.iter().any(|t| t.contains("5g")), "{terms:?}");
        assert!(terms.iter().any(|t| t.contains("wifi")), "{terms:?}");
    }
}
