//! Mainland resident identity card numbers (18 characters, GB 11643-1999).

use chrono::{Local, NaiveDate};

use super::members::Gender;
use super::validation::FieldError;

/// Weights of the first 17 digits in the ISO 7064 MOD 11-2 checksum.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character for each `sum % 11`.
const CHECK_CHARS: [u8; 11] = *b"10X98765432";
/// Two-digit province-level codes that exist.
const PROVINCE_CODES: [u8; 35] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83,
];

/// A validated 18-character resident ID number (身份证号).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResidentId(String);

impl ResidentId {
    /// Parse and validate against today's local date.
    pub fn parse(field: &'static str, input: &str) -> Result<Self, FieldError> {
        Self::parse_at(field, input, Local::now().date_naive())
    }

    /// Parse and validate; birth dates after `today` are rejected.
    pub fn parse_at(
        field: &'static str,
        input: &str,
        today: NaiveDate,
    ) -> Result<Self, FieldError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(FieldError::new(field, "required"));
        }
        let value = match trimmed.strip_suffix('x') {
            Some(head) => format!("{head}X"),
            None => trimmed.to_string(),
        };
        if value.chars().count() != 18 {
            return Err(FieldError::new(field, "id_number_length"));
        }
        let bytes = value.as_bytes();
        // 18 chars and all ASCII checked below; a non-ASCII char makes len != 18 or fails here.
        if bytes.len() != 18
            || !bytes[..17].iter().all(u8::is_ascii_digit)
            || !(bytes[17].is_ascii_digit() || bytes[17] == b'X')
        {
            return Err(FieldError::new(field, "id_number_chars"));
        }
        let province = (bytes[0] - b'0') * 10 + (bytes[1] - b'0');
        if !PROVINCE_CODES.contains(&province) {
            return Err(FieldError::new(field, "id_number_region"));
        }
        let birth = birth_of(&value).ok_or_else(|| FieldError::new(field, "id_number_birth"))?;
        let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN);
        if birth < earliest || birth > today {
            return Err(FieldError::new(field, "id_number_birth"));
        }
        if check_char(&bytes[..17]) != bytes[17] {
            return Err(FieldError::new(field, "id_number_checksum"));
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// Date of birth encoded in characters 7-14.
    pub fn birth_date(&self) -> NaiveDate {
        // Validated in `parse_at`, so the fallback is never used.
        birth_of(&self.0).unwrap_or(NaiveDate::MIN)
    }

    /// Gender encoded by the parity of the 17th digit (odd = male).
    pub fn gender(&self) -> Gender {
        let digit = self.0.as_bytes()[16] - b'0';
        if digit % 2 == 1 {
            Gender::Male
        } else {
            Gender::Female
        }
    }

    /// First 4 and last 4 characters, the rest hidden.
    pub fn masked(&self) -> String {
        mask_id_number(&self.0)
    }
}

impl std::fmt::Display for ResidentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for ResidentId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Complete 17 digits (region, birth date, sequence) with their check
/// character: a number that [`ResidentId::parse`] accepts when the region and
/// date are valid. `None` unless given exactly 17 ASCII digits.
pub fn with_check_char(first17: &str) -> Option<String> {
    let bytes = first17.as_bytes();
    if bytes.len() != 17 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(format!("{first17}{}", char::from(check_char(bytes))))
}

/// The check character for 17 ASCII digits.
fn check_char(digits: &[u8]) -> u8 {
    let sum: u32 = digits
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

fn birth_of(value: &str) -> Option<NaiveDate> {
    let part = value.get(6..14)?;
    let year: i32 = part.get(0..4)?.parse().ok()?;
    let month: u32 = part.get(4..6)?.parse().ok()?;
    let day: u32 = part.get(6..8)?.parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Mask any stored ID number for display. 18 or more characters show the
/// first 4 and last 4 around ten `*` (so the length of an overlong value is
/// not revealed); 8-17 characters reveal at most a quarter of the string at
/// each end (up to 4) and star the rest; shorter strings are starred entirely.
pub fn mask_id_number(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    if n < 8 {
        return "*".repeat(n);
    }
    let (reveal, stars) = if n >= 18 {
        (4, 10)
    } else {
        let reveal = (n / 4).min(4);
        (reveal, n - 2 * reveal)
    };
    let mut out: String = chars[..reveal].iter().collect();
    out.push_str(&"*".repeat(stars));
    out.extend(&chars[n - reveal..]);
    out
}

/// The gender given on a form must match the one encoded in the ID number.
pub fn check_gender_matches_id(
    field: &'static str,
    gender: Gender,
    id: &ResidentId,
) -> Result<(), FieldError> {
    if id.gender() == gender {
        Ok(())
    } else {
        Err(FieldError::new(field, "gender_mismatch"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 6, 1).unwrap()
    }

    /// Independent implementation of the ISO 7064 MOD 11-2 check digit.
    fn independent_check(first17: &str) -> char {
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        let mut sum = 0;
        for (i, c) in first17.chars().enumerate() {
            sum += c.to_digit(10).unwrap() * weights[i];
        }
        ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'][(sum % 11) as usize]
    }

    fn with_check(first17: &str) -> String {
        format!("{first17}{}", independent_check(first17))
    }

    fn code(input: &str) -> &'static str {
        ResidentId::parse_at("id_number", input, today())
            .unwrap_err()
            .code
    }

    #[test]
    fn with_check_char_completes_valid_numbers() {
        assert_eq!(
            with_check_char("11010519491231002").as_deref(),
            Some("11010519491231002X")
        );
        let raw = with_check_char("41010219800101151").unwrap();
        assert!(ResidentId::parse_at("id", &raw, today()).is_ok());
        assert_eq!(with_check_char("4101021980010115"), None);
        assert_eq!(with_check_char("4101021980010115a"), None);
    }

    #[test]
    fn known_valid_numbers() {
        // Standard published example (GB 11643 sample): check digit X.
        assert_eq!(independent_check("11010519491231002"), 'X');
        let id = ResidentId::parse_at("id", "11010519491231002X", today()).unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        assert_eq!(id.gender(), Gender::Female);

        let raw = with_check("41010219800101151");
        assert_eq!(raw, "410102198001011512");
        let id = ResidentId::parse_at("id", &raw, today()).unwrap();
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1980, 1, 1).unwrap()
        );
        assert_eq!(id.gender(), Gender::Male);
        assert_eq!(id.masked(), "4101**********1512");
    }

    #[test]
    fn lowercase_x_and_whitespace() {
        let id = ResidentId::parse_at("id", "  11010519491231002x \n", today()).unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id.to_string(), "11010519491231002X");
    }

    #[test]
    fn female_example() {
        let raw = with_check("41010219900229002"); // 1990 is not a leap year
        assert_eq!(code(&raw), "id_number_birth");
        let raw = with_check("41010220000229002"); // 2000 is
        let id = ResidentId::parse_at("id", &raw, today()).unwrap();
        assert_eq!(id.gender(), Gender::Female);
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(2000, 2, 29).unwrap()
        );
    }

    #[test]
    fn errors() {
        assert_eq!(code(""), "required");
        assert_eq!(code("   "), "required");
        assert_eq!(code("41010219800101123"), "id_number_length");
        assert_eq!(code("4101021980010115127"), "id_number_length");
        assert_eq!(code("41010219800101123Y"), "id_number_chars");
        assert_eq!(code("4101021980010112X7"), "id_number_chars");
        assert_eq!(code("41010219800101123７"), "id_number_chars");
        assert_eq!(code("410102１98001011237"), "id_number_chars");
        assert_eq!(code(&with_check("99010219800101123")), "id_number_region");
        assert_eq!(code(&with_check("00010219800101123")), "id_number_region");
        assert_eq!(code(&with_check("84010219800101123")), "id_number_region");
        assert_eq!(code(&with_check("41010219801301123")), "id_number_birth");
        assert_eq!(code(&with_check("41010219800132123")), "id_number_birth");
        assert_eq!(code(&with_check("41010218991231123")), "id_number_birth");
        assert_eq!(code(&with_check("41010220240602123")), "id_number_birth");
        assert_eq!(code("410102198001011513"), "id_number_checksum");
        assert_eq!(code("110105194912310021"), "id_number_checksum");
    }

    #[test]
    fn boundaries_of_birth_date() {
        let raw = with_check("41010219000101123");
        assert!(ResidentId::parse_at("id", &raw, today()).is_ok());
        let raw = with_check("41010220240601123");
        assert!(ResidentId::parse_at("id", &raw, today()).is_ok());
    }

    #[test]
    fn all_region_codes_accepted() {
        for p in PROVINCE_CODES {
            let raw = with_check(&format!("{p:02}010219800101123"));
            assert!(ResidentId::parse_at("id", &raw, today()).is_ok(), "{p}");
        }
    }

    #[test]
    fn error_field_is_kept() {
        let e = ResidentId::parse_at("id_number", "x", today()).unwrap_err();
        assert_eq!(e.field, "id_number");
        assert!(e.params.is_empty());
    }

    #[test]
    fn parse_uses_current_date() {
        assert!(ResidentId::parse("id", "410102198001011512").is_ok());
    }

    #[test]
    fn masking() {
        assert_eq!(mask_id_number("410102198001011512"), "4101**********1512");
        assert_eq!(mask_id_number("12345678"), "12****78");
        assert_eq!(mask_id_number("1234567890"), "12******90");
        assert_eq!(mask_id_number("123456789012"), "123******012");
        assert_eq!(mask_id_number("1234567890123456"), "1234********3456");
        assert_eq!(
            mask_id_number("身份证号码一二三四五六七八九十"),
            "身份证*********八九十"
        );
        assert_eq!(mask_id_number("1234567"), "*******");
        assert_eq!(mask_id_number(""), "");
        assert_eq!(mask_id_number("4101021980010115121"), "4101**********5121");
    }

    #[test]
    fn gender_vs_id() {
        let today = NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
        let male = ResidentId::parse_at("id", "410102198001011512", today).unwrap();
        let female = ResidentId::parse_at("id", "11010519491231002X", today).unwrap();
        assert!(check_gender_matches_id("gender", Gender::Male, &male).is_ok());
        assert!(check_gender_matches_id("gender", Gender::Female, &female).is_ok());
        let e = check_gender_matches_id("gender", Gender::Female, &male).unwrap_err();
        assert_eq!((e.field, e.code), ("gender", "gender_mismatch"));
        assert!(check_gender_matches_id("gender", Gender::Male, &female).is_err());
    }
}
