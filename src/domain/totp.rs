//! Time-based one-time passwords (RFC 6238: SHA-1, 6 digits, 30 s), with the
//! step that matched, so that a code cannot be used twice.

use totp_rs::{Algorithm, TOTP};

pub const STEP_SECONDS: u64 = 30;
/// Codes one step early or late are accepted: clocks drift.
const SKEW_STEPS: u64 = 1;

fn totp(secret: &[u8]) -> Option<TOTP> {
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP_SECONDS,
        secret.to_vec(),
        None,
        "lvzhi".into(),
    )
    .ok()
}

/// The time step whose code equals `code` around `now_unix`, if any.
pub fn matching_step(secret: &[u8], code: &str, now_unix: u64) -> Option<u64> {
    let code = code.trim();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let totp = totp(secret)?;
    let current = now_unix / STEP_SECONDS;
    (current.saturating_sub(SKEW_STEPS)..=current + SKEW_STEPS)
        .find(|step| same_code(&totp.generate(step * STEP_SECONDS), code))
}

/// Compared in constant time, so a guess learns nothing from how long it took.
fn same_code(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The code for a time (for tests and for showing nothing else).
pub fn code_at(secret: &[u8], unix: u64) -> Option<String> {
    totp(secret).map(|t| t.generate(unix))
}

/// The `otpauth://` address an authenticator app reads.
pub fn otpauth_url(secret: &[u8], issuer: &str, account: &str) -> Option<String> {
    let issuer = issuer.replace(':', " ");
    let account = account.replace(':', " ");
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP_SECONDS,
        secret.to_vec(),
        Some(issuer),
        account,
    )
    .ok()
    .map(|t| t.get_url())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    // RFC 6238's SHA-1 test key.
    const KEY: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc_6238_vectors() {
        // RFC 6238 gives 8-digit codes; the 6-digit code is their last six.
        assert_eq!(code_at(KEY, 59).unwrap(), "287082");
        assert_eq!(code_at(KEY, 1111111109).unwrap(), "081804");
        assert_eq!(code_at(KEY, 1234567890).unwrap(), "005924");
    }

    #[test]
    fn a_code_matches_its_step_and_its_neighbours_only() {
        let now = 1234567890;
        let code = code_at(KEY, now).unwrap();
        assert_eq!(matching_step(KEY, &code, now), Some(now / 30));
        assert_eq!(matching_step(KEY, &code, now + 30), Some(now / 30));
        assert_eq!(matching_step(KEY, &code, now + 90), None);
        assert_eq!(matching_step(KEY, "12345", now), None);
        assert_eq!(matching_step(KEY, "abcdef", now), None);
    }

    #[test]
    fn otpauth_url_names_issuer_and_account() {
        let url = otpauth_url(KEY, "lvzhi", "staff").unwrap();
        assert!(url.starts_with("otpauth://totp/"));
        assert!(url.contains("issuer=lvzhi"));
        assert!(url.contains("staff"));
    }
}
