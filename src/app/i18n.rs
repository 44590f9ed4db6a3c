//! Message catalogues (`locales/*.yml`): every text a user reads comes from here.

use crate::domain::validation::{FieldError, FieldErrors};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Locale {
    #[default]
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "en")]
    En,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::ZhCn, Locale::En];

    pub fn as_str(&self) -> &'static str {
        match self {
            Locale::ZhCn => "zh-CN",
            Locale::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Locale> {
        match s {
            "zh-CN" | "zh" | "zh-cn" => Some(Locale::ZhCn),
            "en" | "en-US" | "en-GB" => Some(Locale::En),
            _ => None,
        }
    }

    /// The first supported language of an `Accept-Language` header.
    pub fn from_accept_language(header: Option<&str>) -> Locale {
        header
            .into_iter()
            .flat_map(|h| h.split(','))
            .filter_map(|part| part.split(';').next())
            .find_map(|tag| {
                let tag = tag.trim();
                Locale::parse(tag).or_else(|| {
                    let primary = tag.split('-').next().unwrap_or("");
                    Locale::parse(primary)
                })
            })
            .unwrap_or_default()
    }
}

/// The text for `key`; the key itself when the catalogue lacks it (a test
/// checks that both catalogues have every key the code uses).
pub fn t(locale: Locale, key: &str) -> String {
    rust_i18n::t!(key, locale = locale.as_str()).into_owned()
}

/// The text for `key` with `%{name}` placeholders filled.
pub fn t_with(locale: Locale, key: &str, params: &[(&str, String)]) -> String {
    let mut text = t(locale, key);
    for (name, value) in params {
        text = text.replace(&format!("%{{{name}}}"), value);
    }
    text
}

/// "姓名：不能为空" — the field's label, then what is wrong with it.
pub fn field_message(locale: Locale, error: &FieldError) -> String {
    let label = t(locale, &format!("field.{}", error.field));
    let message = t_with(locale, &format!("error.{}", error.code), &error.params);
    let separator = if locale == Locale::ZhCn { "：" } else { ": " };
    format!("{label}{separator}{message}")
}

pub fn field_messages(locale: Locale, errors: &FieldErrors) -> Vec<String> {
    errors.0.iter().map(|e| field_message(locale, e)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_first_supported() {
        assert_eq!(
            Locale::from_accept_language(Some("en-US,en;q=0.9")),
            Locale::En
        );
        assert_eq!(
            Locale::from_accept_language(Some("fr,zh-CN;q=0.8")),
            Locale::ZhCn
        );
        assert_eq!(Locale::from_accept_language(None), Locale::ZhCn);
    }

    #[test]
    fn field_messages_name_the_field_in_each_language() {
        let e = FieldError::new("name", "too_long").with("max", 50);
        assert_eq!(field_message(Locale::ZhCn, &e), "姓名：不能超过 50 个字");
        assert_eq!(
            field_message(Locale::En, &e),
            "Name: must be at most 50 characters"
        );
    }
}
