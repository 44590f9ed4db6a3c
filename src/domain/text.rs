//! Free-text fields and personal names.

use super::validation::FieldError;

/// Maximum length of a person's name, in characters.
pub const NAME_MAX_CHARS: usize = 50;

fn is_forbidden_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\n' | '\r' | '\t')
}

/// Checks a trimmed, non-empty value for control characters and length.
fn check_text(field: &'static str, value: &str, max_chars: usize) -> Result<(), FieldError> {
    if value.chars().any(is_forbidden_control) {
        return Err(FieldError::new(field, "control_chars"));
    }
    if value.chars().count() > max_chars {
        return Err(FieldError::new(field, "too_long").with("max", max_chars));
    }
    Ok(())
}

/// A required text value: trimmed, at most `max_chars` characters (not
/// bytes), without control characters other than newline, carriage return and tab.
pub fn required_text(
    field: &'static str,
    input: &str,
    max_chars: usize,
) -> Result<String, FieldError> {
    let value = input.trim();
    if value.is_empty() {
        return Err(FieldError::new(field, "required"));
    }
    check_text(field, value, max_chars)?;
    Ok(value.to_string())
}

/// Characters that change the direction of the text around them: in a name
/// they can make it read as something else.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// A single-line value (a name, a title, a workplace): like [`required_text`]
/// but without any control character (no tab or line break) or direction override.
pub fn required_line(
    field: &'static str,
    input: &str,
    max_chars: usize,
) -> Result<String, FieldError> {
    let value = required_text(field, input, max_chars)?;
    if value.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return Err(FieldError::new(field, "control_chars"));
    }
    Ok(value)
}

/// Like [`required_line`], but an empty (or blank) input is `None`.
pub fn optional_line(
    field: &'static str,
    input: &str,
    max_chars: usize,
) -> Result<Option<String>, FieldError> {
    if input.trim().is_empty() {
        return Ok(None);
    }
    required_line(field, input, max_chars).map(Some)
}

/// Like [`required_text`], but an empty (or blank) input is `None`.
pub fn optional_text(
    field: &'static str,
    input: &str,
    max_chars: usize,
) -> Result<Option<String>, FieldError> {
    let value = input.trim();
    if value.is_empty() {
        return Ok(None);
    }
    check_text(field, value, max_chars)?;
    Ok(Some(value.to_string()))
}

/// A person's name in any script, e.g. `张三`, `阿依古丽·买买提`, `John Smith`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PersonName(String);

impl PersonName {
    /// Trimmed; at most 50 characters; letters of any script, the separators
    /// `·` `•` `.` `-`, and single spaces between parts.
    pub fn parse(field: &'static str, input: &str) -> Result<Self, FieldError> {
        let value = required_text(field, input, NAME_MAX_CHARS)?;
        let mut previous_space = false;
        for c in value.chars() {
            let ok = if c == ' ' {
                !previous_space
            } else {
                c.is_alphabetic() || matches!(c, '·' | '•' | '.' | '-')
            };
            if !ok {
                return Err(FieldError::new(field, "name_chars"));
            }
            previous_space = c == ' ';
        }
        if !value.chars().any(char::is_alphabetic) {
            return Err(FieldError::new(field, "name_chars"));
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Display for PersonName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for PersonName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn required_text_trims_and_counts_chars() {
        assert_eq!(required_text("t", "  提案标题 ", 4).unwrap(), "提案标题");
        let e = required_text("title", "提案标题五", 4).unwrap_err();
        assert_eq!(e.field, "title");
        assert_eq!(e.code, "too_long");
        assert_eq!(e.params, vec![("max", "4".to_string())]);
        // 4 Chinese chars are 12 bytes but only 4 characters.
        assert!(required_text("t", "一二三四", 4).is_ok());
        assert_eq!(required_text("t", "", 10).unwrap_err().code, "required");
        assert_eq!(
            required_text("t", " \n\t ", 10).unwrap_err().code,
            "required"
        );
    }

    #[test]
    fn single_lines_refuse_breaks_tabs_and_direction_overrides() {
        assert_eq!(
            required_line("name", " 第一委员小组 ", 50).unwrap(),
            "第一委员小组"
        );
        for bad in ["甲\n乙", "甲\t乙", "甲\u{202E}乙"] {
            assert_eq!(
                required_line("name", bad, 50).unwrap_err().code,
                "control_chars",
                "{bad:?}"
            );
        }
        assert_eq!(optional_line("title", "  ", 50).unwrap(), None);
        assert_eq!(
            optional_line("title", "主任\r", 50).unwrap(),
            Some("主任".into())
        );
    }

    #[test]
    fn control_characters() {
        assert_eq!(
            required_text("t", "line1\nline2\r\n\tx", 100).unwrap(),
            "line1\nline2\r\n\tx"
        );
        assert_eq!(
            required_text("t", "a\u{0}b", 100).unwrap_err().code,
            "control_chars"
        );
        assert_eq!(
            required_text("t", "a\u{7}b", 100).unwrap_err().code,
            "control_chars"
        );
        assert_eq!(
            required_text("t", "a\u{1b}[0m", 100).unwrap_err().code,
            "control_chars"
        );
        assert_eq!(
            optional_text("t", "a\u{85}b", 100).unwrap_err().code,
            "control_chars"
        );
    }

    #[test]
    fn optional_text_values() {
        assert_eq!(optional_text("t", "", 5).unwrap(), None);
        assert_eq!(optional_text("t", "   ", 5).unwrap(), None);
        assert_eq!(
            optional_text("t", " 备注 ", 5).unwrap(),
            Some("备注".to_string())
        );
        let e = optional_text("t", "123456", 5).unwrap_err();
        assert_eq!(e.code, "too_long");
        assert_eq!(e.params, vec![("max", "5".to_string())]);
    }

    #[test]
    fn valid_names() {
        for name in [
            "张三",
            "欧阳修",
            "阿依古丽·买买提",
            "爱新觉罗•溥仪",
            "John Smith",
            "Jean-Luc Picard",
            "J. R. R. Tolkien",
            "Ölçer",
            "ᠮᠣᠩᠭᠣᠯ",
        ] {
            assert_eq!(PersonName::parse("name", name).unwrap().as_str(), name);
        }
        assert_eq!(
            PersonName::parse("name", "  李四 ").unwrap().into_string(),
            "李四"
        );
    }

    #[test]
    fn invalid_names() {
        let code = |s: &str| PersonName::parse("name", s).unwrap_err().code;
        assert_eq!(code(""), "required");
        assert_eq!(code("张三1"), "name_chars");
        assert_eq!(code("John  Smith"), "name_chars");
        assert_eq!(code("张三<script>"), "name_chars");
        assert_eq!(code("张_三"), "name_chars");
        assert_eq!(code("张\t三"), "name_chars");
        assert_eq!(code("·-."), "name_chars");
        assert_eq!(code("张\u{0}三"), "control_chars");
        let long: String = "名".repeat(51);
        let e = PersonName::parse("name", &long).unwrap_err();
        assert_eq!(e.code, "too_long");
        assert_eq!(e.params, vec![("max", "50".to_string())]);
        assert!(PersonName::parse("name", &"名".repeat(50)).is_ok());
    }
}

/// How a surname is read where the character has another common reading
/// (曾 zēng, not céng): the sort key uses these for a name's first character.
const SURNAME_READINGS: [(char, &str); 14] = [
    ('曾', "zeng"),
    ('单', "shan"),
    ('解', "xie"),
    ('区', "ou"),
    ('仇', "qiu"),
    ('朴', "piao"),
    ('查', "zha"),
    ('覃', "qin"),
    ('盖', "ge"),
    ('缪', "miao"),
    ('乐', "yue"),
    ('翟', "zhai"),
    ('尉', "yu"),
    ('种', "chong"),
];

/// The key a person's name sorts by, as Chinese lists are ordered: by the
/// pinyin of each character (surnames read as surnames), other letters in
/// lower case, e.g. `孟爱云` → `meng ai yun`.
pub fn name_sort_key(name: &str) -> String {
    use pinyin::ToPinyin;
    let mut parts: Vec<String> = Vec::new();
    let mut word = String::new();
    for (i, c) in name.trim().chars().enumerate() {
        let surname = SURNAME_READINGS
            .iter()
            .find(|(s, _)| i == 0 && *s == c)
            .map(|(_, reading)| *reading);
        let reading = surname.or_else(|| c.to_pinyin().map(|p| p.plain()));
        if (reading.is_some() || c.is_whitespace() || c == '·') && !word.is_empty() {
            parts.push(std::mem::take(&mut word));
        }
        match reading {
            Some(r) => parts.push(r.to_string()),
            None if c.is_whitespace() || c == '·' => {}
            None => word.extend(c.to_lowercase()),
        }
    }
    if !word.is_empty() {
        parts.push(word);
    }
    parts.join(" ")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod name_key_tests {
    use super::name_sort_key;

    #[test]
    fn names_sort_by_pinyin_with_surnames_read_as_surnames() {
        assert_eq!(name_sort_key("孟爱云"), "meng ai yun");
        assert_eq!(name_sort_key("曾华"), "zeng hua");
        assert_eq!(name_sort_key(" 单田芳 "), "shan tian fang");
        assert_eq!(name_sort_key("John Smith"), "john smith");
        assert_eq!(name_sort_key("阿依古丽·买买提"), "a yi gu li mai mai ti");
        let mut names = vec!["孙郑华", "豆雨霞", "孟爱云", "王建国", "安然"];
        names.sort_by_key(|n| name_sort_key(n));
        assert_eq!(names, ["安然", "豆雨霞", "孟爱云", "孙郑华", "王建国"]);
    }
}
