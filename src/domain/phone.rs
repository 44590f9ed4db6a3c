//! Mainland mobile phone numbers.

use super::validation::FieldError;

/// A validated 11-digit mainland mobile number, stored without prefix or separators.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MobilePhone(String);

impl MobilePhone {
    /// Accepts spaces and `-` as separators and an optional `+86` / `86`
    /// country prefix in front of 11 digits.
    pub fn parse(field: &'static str, input: &str) -> Result<Self, FieldError> {
        let compact: String = input
            .trim()
            .chars()
            .filter(|c| *c != ' ' && *c != '-')
            .collect();
        if compact.is_empty() {
            return Err(FieldError::new(field, "required"));
        }
        let digits = ["+86", "86"]
            .iter()
            .find_map(|prefix| {
                compact
                    .strip_prefix(prefix)
                    .filter(|rest| rest.len() == 11 && rest.bytes().all(|b| b.is_ascii_digit()))
            })
            .unwrap_or(&compact);
        let bytes = digits.as_bytes();
        let valid = bytes.len() == 11
            && bytes.iter().all(u8::is_ascii_digit)
            && bytes[0] == b'1'
            && (b'3'..=b'9').contains(&bytes[1]);
        if !valid {
            return Err(FieldError::new(field, "phone_format"));
        }
        Ok(Self(digits.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// First 3 and last 4 digits, e.g. `138****5678`.
    pub fn masked(&self) -> String {
        mask_phone(&self.0)
    }
}

impl std::fmt::Display for MobilePhone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for MobilePhone {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Mask any stored phone string: 11 or more characters show the first 3 and
/// last 4 around `****`; shorter strings are starred entirely.
pub fn mask_phone(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    if n < 11 {
        return "*".repeat(n);
    }
    let mut out: String = chars[..3].iter().collect();
    out.push_str("****");
    out.extend(&chars[n - 4..]);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn ok(input: &str) -> String {
        MobilePhone::parse("phone", input)
            .unwrap()
            .as_str()
            .to_string()
    }

    fn code(input: &str) -> &'static str {
        MobilePhone::parse("phone", input).unwrap_err().code
    }

    #[test]
    fn accepts_common_forms() {
        assert_eq!(ok("13812345678"), "13812345678");
        assert_eq!(ok(" 138 1234 5678 "), "13812345678");
        assert_eq!(ok("138-1234-5678"), "13812345678");
        assert_eq!(ok("+8613812345678"), "13812345678");
        assert_eq!(ok("+86 138 1234 5678"), "13812345678");
        assert_eq!(ok("8613812345678"), "13812345678");
        assert_eq!(ok("86-19912345678"), "19912345678");
        // An 11-digit number that itself starts with 86 is not a prefix case.
        assert_eq!(code("86123456789"), "phone_format");
    }

    #[test]
    fn rejects_bad_numbers() {
        assert_eq!(code(""), "required");
        assert_eq!(code(" - "), "required");
        assert_eq!(code("1381234567"), "phone_format");
        assert_eq!(code("138123456789"), "phone_format");
        assert_eq!(code("23812345678"), "phone_format");
        assert_eq!(code("12812345678"), "phone_format");
        assert_eq!(code("10812345678"), "phone_format");
        assert_eq!(code("1381234567a"), "phone_format");
        assert_eq!(code("+8513812345678"), "phone_format");
        assert_eq!(code("+86138123456"), "phone_format");
        assert_eq!(code("１３８１２３４５６７８"), "phone_format");
        assert_eq!(code("(010)12345678"), "phone_format");
        assert_eq!(
            MobilePhone::parse("mobile", "x").unwrap_err().field,
            "mobile"
        );
    }

    #[test]
    fn every_second_digit_3_to_9() {
        for d in 3..=9 {
            assert!(MobilePhone::parse("p", &format!("1{d}012345678")).is_ok());
        }
    }

    #[test]
    fn masking() {
        let p = MobilePhone::parse("p", "13812345678").unwrap();
        assert_eq!(p.masked(), "138****5678");
        assert_eq!(p.to_string(), "13812345678");
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("+8613812345678"), "+86****5678");
        assert_eq!(mask_phone("1381234"), "*******");
        assert_eq!(mask_phone(""), "");
    }
}
