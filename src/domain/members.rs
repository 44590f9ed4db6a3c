//! Committee member attributes: gender, party, status, ethnicity and term.

use serde::{Deserialize, Serialize};

use super::choice::choice_enum;
use super::validation::FieldError;

choice_enum! {
    /// 性别.
    pub enum Gender: "gender" {
        Male => "male",
        Female => "female",
    }
}

choice_enum! {
    /// 政治面貌.
    pub enum Party: "party" {
        /// 中共党员
        Ccp => "ccp",
        /// 民革党员
        Rcck => "rcck",
        /// 民盟盟员
        Cdl => "cdl",
        /// 民建会员
        Cndca => "cndca",
        /// 民进会员
        Capd => "capd",
        /// 农工党党员
        Cpwdp => "cpwdp",
        /// 致公党党员
        Zhigong => "zhigong",
        /// 九三学社社员
        Jiusan => "jiusan",
        /// 台盟盟员
        Tdsl => "tdsl",
        /// 无党派人士
        NonParty => "non_party",
        /// 群众
        Masses => "masses",
    }
}

choice_enum! {
    /// Whether a member currently serves.
    pub enum MemberStatus: "member_status" {
        /// 在任
        Active => "active",
        /// 届满离任
        Ended => "ended",
        /// 辞去委员
        Resigned => "resigned",
        /// 撤销委员资格
        Removed => "removed",
    }
}

impl MemberStatus {
    pub fn is_active(&self) -> bool {
        matches!(self, Self::Active)
    }
}

/// The 56 officially recognised ethnic groups (GB/T 3304 order).
pub const ETHNICITIES: [&str; 56] = [
    "汉族",
    "蒙古族",
    "回族",
    "藏族",
    "维吾尔族",
    "苗族",
    "彝族",
    "壮族",
    "布依族",
    "朝鲜族",
    "满族",
    "侗族",
    "瑶族",
    "白族",
    "土家族",
    "哈尼族",
    "哈萨克族",
    "傣族",
    "黎族",
    "傈僳族",
    "佤族",
    "畲族",
    "高山族",
    "拉祜族",
    "水族",
    "东乡族",
    "纳西族",
    "景颇族",
    "柯尔克孜族",
    "土族",
    "达斡尔族",
    "仫佬族",
    "羌族",
    "布朗族",
    "撒拉族",
    "毛南族",
    "仡佬族",
    "锡伯族",
    "阿昌族",
    "普米族",
    "塔吉克族",
    "怒族",
    "乌孜别克族",
    "俄罗斯族",
    "鄂温克族",
    "德昂族",
    "保安族",
    "裕固族",
    "京族",
    "塔塔尔族",
    "独龙族",
    "鄂伦春族",
    "赫哲族",
    "门巴族",
    "珞巴族",
    "基诺族",
];

/// Parse an ethnicity; accepts the official name, or the name without the
/// trailing `族` (`汉` → `汉族`). Returns the official name.
pub fn parse_ethnicity(field: &'static str, input: &str) -> Result<String, FieldError> {
    let value = input.trim();
    if value.is_empty() {
        return Err(FieldError::new(field, "required"));
    }
    ETHNICITIES
        .iter()
        .find(|name| **name == value || name.strip_suffix('族') == Some(value))
        .map(|name| (*name).to_string())
        .ok_or_else(|| FieldError::new(field, "invalid_choice"))
}

/// A committee term (届次), 1 to 99.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Term(u8);

impl Term {
    pub const MIN: u8 = 1;
    pub const MAX: u8 = 99;

    /// `None` outside 1..=99 (for values loaded from storage).
    pub fn new(number: u8) -> Option<Self> {
        (Self::MIN..=Self::MAX)
            .contains(&number)
            .then_some(Self(number))
    }

    /// Parse a decimal term number; codes `required`, `term_range`.
    pub fn parse(field: &'static str, input: &str) -> Result<Self, FieldError> {
        let value = input.trim();
        if value.is_empty() {
            return Err(FieldError::new(field, "required"));
        }
        value.parse::<u8>().ok().and_then(Self::new).ok_or_else(|| {
            FieldError::new(field, "term_range")
                .with("min", Self::MIN)
                .with("max", Self::MAX)
        })
    }

    pub fn number(&self) -> u8 {
        self.0
    }

    /// Chinese label, e.g. `第十二届`.
    pub fn zh_label(&self) -> String {
        const DIGITS: [&str; 10] = ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
        let n = usize::from(self.0);
        let (tens, ones) = (n / 10, n % 10);
        let mut out = String::from("第");
        if tens > 1 {
            out.push_str(DIGITS[tens]);
        }
        if tens > 0 {
            out.push('十');
        }
        if ones > 0 || tens == 0 {
            out.push_str(DIGITS[ones]);
        }
        out.push('届');
        out
    }

    /// English ordinal, e.g. `12th`, `21st`.
    pub fn en_label(&self) -> String {
        let n = self.0;
        let suffix = match (n % 10, n % 100) {
            (_, 11..=13) => "th",
            (1, _) => "st",
            (2, _) => "nd",
            (3, _) => "rd",
            _ => "th",
        };
        format!("{n}{suffix}")
    }
}

impl TryFrom<u8> for Term {
    type Error = String;

    fn try_from(number: u8) -> Result<Self, Self::Error> {
        Self::new(number).ok_or_else(|| format!("term {number} out of range 1..=99"))
    }
}

impl From<Term> for u8 {
    fn from(term: Term) -> u8 {
        term.0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn gender_conventions() {
        assert_eq!(Gender::ALL, [Gender::Male, Gender::Female]);
        assert_eq!(Gender::Male.as_str(), "male");
        assert_eq!(Gender::Female.label_key(), "label.gender.female");
        assert_eq!(Gender::parse("gender", " female ").unwrap(), Gender::Female);
        assert_eq!(Gender::parse("gender", "").unwrap_err().code, "required");
        let e = Gender::parse("gender", "Male").unwrap_err();
        assert_eq!((e.field, e.code), ("gender", "invalid_choice"));
        assert_eq!(Gender::Male.to_string(), "male");
    }

    #[test]
    fn party_conventions() {
        assert_eq!(Party::ALL.len(), 11);
        assert_eq!(Party::NonParty.as_str(), "non_party");
        assert_eq!(Party::NonParty.label_key(), "label.party.non_party");
        assert_eq!(Party::Ccp.label_key(), "label.party.ccp");
        for p in Party::ALL {
            assert_eq!(Party::parse("party", p.as_str()).unwrap(), p);
        }
        assert_eq!(
            Party::parse("party", "kmt").unwrap_err().code,
            "invalid_choice"
        );
        let ids: HashSet<_> = Party::ALL.iter().map(|p| p.as_str()).collect();
        assert_eq!(ids.len(), 11);
    }

    #[test]
    fn serde_matches_identifiers() {
        // serde's snake_case must agree with as_str for every variant.
        fn check<T: Serialize + std::fmt::Debug>(value: T, ident: &str) {
            let debug = format!("{value:?}");
            let mut snake = String::new();
            for (i, c) in debug.chars().enumerate() {
                if c.is_uppercase() && i > 0 {
                    snake.push('_');
                }
                snake.extend(c.to_lowercase());
            }
            assert_eq!(snake, ident);
        }
        for p in Party::ALL {
            check(p, p.as_str());
        }
        for s in MemberStatus::ALL {
            check(s, s.as_str());
        }
        for g in Gender::ALL {
            check(g, g.as_str());
        }
    }

    #[test]
    fn member_status() {
        assert_eq!(
            MemberStatus::ALL,
            [
                MemberStatus::Active,
                MemberStatus::Ended,
                MemberStatus::Resigned,
                MemberStatus::Removed
            ]
        );
        assert!(MemberStatus::Active.is_active());
        assert!(!MemberStatus::Removed.is_active());
        assert_eq!(
            MemberStatus::Resigned.label_key(),
            "label.member_status.resigned"
        );
        assert_eq!(
            MemberStatus::parse("status", "ended").unwrap(),
            MemberStatus::Ended
        );
    }

    #[test]
    fn ethnicities() {
        let set: HashSet<_> = ETHNICITIES.iter().collect();
        assert_eq!(set.len(), 56);
        assert!(ETHNICITIES.iter().all(|e| e.ends_with('族')));
        assert_eq!(ETHNICITIES[0], "汉族");
        assert!(ETHNICITIES.contains(&"柯尔克孜族"));
        assert!(ETHNICITIES.contains(&"基诺族"));
        assert_eq!(parse_ethnicity("e", " 汉族 ").unwrap(), "汉族");
        assert_eq!(parse_ethnicity("e", "蒙古").unwrap(), "蒙古族");
        assert_eq!(parse_ethnicity("e", "土").unwrap(), "土族");
        assert_eq!(parse_ethnicity("e", "").unwrap_err().code, "required");
        assert_eq!(
            parse_ethnicity("e", "穿青人").unwrap_err().code,
            "invalid_choice"
        );
        assert_eq!(
            parse_ethnicity("e", "族").unwrap_err().code,
            "invalid_choice"
        );
        assert_eq!(
            parse_ethnicity("e", "汉族族").unwrap_err().code,
            "invalid_choice"
        );
    }

    #[test]
    fn term_parse() {
        assert_eq!(Term::parse("term", " 7 ").unwrap().number(), 7);
        assert_eq!(Term::parse("term", "1").unwrap().number(), 1);
        assert_eq!(Term::parse("term", "99").unwrap().number(), 99);
        assert_eq!(Term::parse("term", "").unwrap_err().code, "required");
        for bad in ["0", "100", "-1", "abc", "7.5", "256", "第七届"] {
            let e = Term::parse("term", bad).unwrap_err();
            assert_eq!(e.code, "term_range", "{bad}");
            assert_eq!(
                e.params,
                vec![("min", "1".to_string()), ("max", "99".to_string())]
            );
        }
        assert_eq!(Term::new(0), None);
        assert_eq!(Term::new(100), None);
        assert!(Term::new(12) > Term::new(11));
    }

    #[test]
    fn term_labels() {
        let zh = |n| Term::new(n).unwrap().zh_label();
        assert_eq!(zh(1), "第一届");
        assert_eq!(zh(7), "第七届");
        assert_eq!(zh(10), "第十届");
        assert_eq!(zh(12), "第十二届");
        assert_eq!(zh(20), "第二十届");
        assert_eq!(zh(21), "第二十一届");
        assert_eq!(zh(99), "第九十九届");
        let en = |n| Term::new(n).unwrap().en_label();
        assert_eq!(en(1), "1st");
        assert_eq!(en(2), "2nd");
        assert_eq!(en(3), "3rd");
        assert_eq!(en(4), "4th");
        assert_eq!(en(7), "7th");
        assert_eq!(en(11), "11th");
        assert_eq!(en(12), "12th");
        assert_eq!(en(13), "13th");
        assert_eq!(en(21), "21st");
        assert_eq!(en(22), "22nd");
        assert_eq!(en(93), "93rd");
    }

    #[test]
    fn term_conversions() {
        assert_eq!(u8::from(Term::new(5).unwrap()), 5);
        assert!(Term::try_from(0u8).is_err());
        assert_eq!(Term::try_from(9u8).unwrap().number(), 9);
    }
}
