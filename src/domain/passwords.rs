//! Password policy: long enough and mixed enough, not a common or breached
//! password, not one a strength estimator can guess; never truncated.

use std::collections::HashSet;
use std::io::Read;
use std::sync::OnceLock;

use super::validation::FieldError;

/// Common and breached passwords, lowercased, one a line, gzip-compressed:
/// the 19,640 of Django's `common-passwords.txt.gz` (BSD-3-Clause, Django
/// Software Foundation; compiled by Royce Williams from breach corpora).
/// See NOTICE.
const COMMON_PASSWORDS_GZ: &[u8] = include_bytes!("common-passwords.txt.gz");

/// The list, read once.
fn common_passwords() -> &'static HashSet<String> {
    static LIST: OnceLock<HashSet<String>> = OnceLock::new();
    LIST.get_or_init(|| {
        let mut text = String::new();
        // The file is part of the build: a test reads it, so a failure here cannot ship.
        let read = libflate::gzip::Decoder::new(COMMON_PASSWORDS_GZ)
            .and_then(|mut d| d.read_to_string(&mut text));
        debug_assert!(read.is_ok(), "common-passwords.txt.gz reads");
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    })
}

/// `password` with the usual letter-for-symbol swaps undone (`P@ssw0rd` → `password`).
fn unleet(password: &str) -> String {
    password
        .chars()
        .map(|c| match c {
            '@' | '4' => 'a',
            '0' => 'o',
            '1' | '!' => 'i',
            '3' => 'e',
            '$' | '5' => 's',
            '7' => 't',
            other => other,
        })
        .collect()
}

/// Whether `password`, or the word it is made of with digits and symbols
/// added at the end or swapped for letters, is on the list of common and
/// breached passwords. Case does not count.
pub fn is_common(password: &str) -> bool {
    let list = common_passwords();
    let lower = password.to_lowercase();
    let stem = lower.trim_end_matches(|c: char| !c.is_alphabetic());
    let candidates = [
        lower.clone(),
        stem.to_string(),
        unleet(&lower),
        unleet(stem),
        unleet(&lower)
            .trim_end_matches(|c: char| !c.is_alphabetic())
            .to_string(),
    ];
    candidates
        .iter()
        .any(|c| c.chars().count() >= 4 && list.contains(c.as_str()))
}

/// The catalogue code saying why the estimator rates a password weak.
fn weakness(estimate: &zxcvbn::Entropy) -> &'static str {
    use zxcvbn::feedback::Warning::*;
    match estimate.feedback().and_then(|f| f.warning()) {
        Some(StraightRowsOfKeysAreEasyToGuess | ShortKeyboardPatternsAreEasyToGuess) => {
            "password_weak_keyboard"
        }
        Some(RepeatsLikeAaaAreEasyToGuess | RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess) => {
            "password_weak_repeat"
        }
        Some(SequencesLikeAbcAreEasyToGuess) => "password_weak_sequence",
        Some(RecentYearsAreEasyToGuess | DatesAreOftenEasyToGuess) => "password_weak_date",
        Some(
            ThisIsATop10Password
            | ThisIsATop100Password
            | ThisIsACommonPassword
            | ThisIsSimilarToACommonlyUsedPassword,
        ) => "password_common",
        Some(
            AWordByItselfIsEasyToGuess
            | NamesAndSurnamesByThemselvesAreEasyToGuess
            | CommonNamesAndSurnamesAreEasyToGuess,
        ) => "password_weak_word",
        _ => "password_weak",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub min_chars: usize,
    /// How many of the four classes (lower, upper, digit, other) must appear.
    pub min_classes: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_chars: 12,
            min_classes: 3,
        }
    }
}

/// Longest password accepted: far above any real one, but bounds hashing work.
pub const MAX_PASSWORD_CHARS: usize = 256;

impl PasswordPolicy {
    /// Check a new password. Characters outside ASCII letters and digits
    /// (including Chinese) count as the "other" class.
    pub fn check(
        &self,
        field: &'static str,
        password: &str,
        username: &str,
    ) -> Result<(), FieldError> {
        let chars = password.chars().count();
        if chars == 0 {
            return Err(FieldError::new(field, "required"));
        }
        if chars < self.min_chars {
            return Err(FieldError::new(field, "password_short").with("min", self.min_chars));
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(FieldError::new(field, "too_long").with("max", MAX_PASSWORD_CHARS));
        }
        let classes = [
            password.chars().any(|c| c.is_ascii_lowercase()),
            password.chars().any(|c| c.is_ascii_uppercase()),
            password.chars().any(|c| c.is_ascii_digit()),
            password.chars().any(|c| !c.is_ascii_alphanumeric()),
        ]
        .iter()
        .filter(|present| **present)
        .count();
        if classes < self.min_classes {
            return Err(
                FieldError::new(field, "password_classes").with("classes", self.min_classes)
            );
        }
        if username.chars().count() >= 3
            && password.to_lowercase().contains(&username.to_lowercase())
        {
            return Err(FieldError::new(field, "password_contains_username"));
        }
        if is_common(password) {
            return Err(FieldError::new(field, "password_common"));
        }
        // zxcvbn: 3 is "safely unguessable" (about 10^10 guesses); below is refused.
        let estimate = zxcvbn::zxcvbn(password, &[username]);
        if estimate.score() < zxcvbn::Score::Three {
            return Err(FieldError::new(field, weakness(&estimate)));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(r: Result<(), FieldError>) -> &'static str {
        r.err().map(|e| e.code).unwrap_or("ok")
    }

    #[test]
    fn policy_requires_length_and_three_classes() {
        let p = PasswordPolicy::default();
        assert_eq!(code(p.check("password", "", "u")), "required");
        assert_eq!(
            code(p.check("password", "Ab1-short", "u")),
            "password_short"
        );
        assert_eq!(
            code(p.check("password", "alllowercaseletters", "u")),
            "password_classes"
        );
        assert_eq!(
            code(p.check("password", "lowerUPPERonly", "u")),
            "password_classes"
        );
        assert_eq!(code(p.check("password", "lowerUPPER1234", "u")), "ok");
        assert_eq!(code(p.check("password", "Lvzhi-Demo-2012", "u")), "ok");
        assert_eq!(code(p.check("password", "委员之家lower1234", "u")), "ok");
        assert_eq!(
            code(p.check("password", "Xiaoming-2012!", "xiaoming")),
            "password_contains_username"
        );
        assert_eq!(
            code(p.check("password", &"Aa1-".repeat(100), "u")),
            "too_long"
        );
    }

    #[test]
    fn the_list_is_read_whole() {
        let list = common_passwords();
        assert!(list.len() > 19_000, "{}", list.len());
        assert!(list.contains("password") && list.contains("qwerty"));
    }

    #[test]
    fn common_and_guessable_passwords_are_refused_saying_why() {
        let p = PasswordPolicy::default();
        for common in [
            "Password1234!",
            "P@ssw0rd1234",
            "Qwerty123456!",
            "Iloveyou2012!",
        ] {
            assert_eq!(
                code(p.check("password", common, "u")),
                "password_common",
                "{common}"
            );
        }
        for common in ["Abcdefgh1234", "Qazwsxedc123!", "Mnbvcxz-98765"] {
            assert_eq!(
                code(p.check("password", common, "u")),
                "password_common",
                "{common}"
            );
        }
        // Not on the list, but guessed by the estimator (zxcvbn's score < 3).
        assert_eq!(
            code(p.check("password", "Aaaaaaaaaaaaaa1B", "u")),
            "password_weak"
        );
        assert_eq!(
            code(p.check("password", "冬日-Guangming-Road-7", "u")),
            "ok"
        );
    }
}
