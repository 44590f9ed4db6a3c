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

/// Segments texts into index terms.
pub struct Segmenter {
    jieba: Jieba,
    filler: HashSet<&'static str>,
}

/// The segmenter, built once (loading the dictionary takes a moment).
pub fn segmenter() -> &'static Segmenter {
    static SEGMENTER: OnceLock<Segmenter> = OnceLock::new();
    SEGMENTER.get_or_init(Segmenter::new)
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
        Self {
            jieba: Jieba::new(),
            filler: FILLER_WORDS.iter().copied().collect(),
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

    /// The index terms with their byte positions.
    pub fn located(&self, text: &str) -> Vec<Located> {
        self.jieba
            .cut_for_search(text, true)
            .into_iter()
            .filter(|t| self.keeps(t.word))
            .map(|t| Located {
                term: t.word.to_lowercase(),
                start: t.byte_start,
                end: t.byte_end,
            })
            .collect()
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
    fn latin_words_and_numbers_are_kept_lowercased() {
        let terms = segmenter().terms("建设5G基站和WiFi覆盖");
        assert!(terms.iter().any(|t| t.contains("5g")), "{terms:?}");
        assert!(terms.iter().any(|t| t.contains("wifi")), "{terms:?}");
    }
}
