//! Password policy: long enough and mixed enough; never truncated.

use super::validation::FieldError;

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
}
