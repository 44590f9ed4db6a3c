//! Passwords, session and API tokens.

pub mod crypto;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// argon2id with 19 MiB of memory and 2 passes (the OWASP minimum).
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashing a password failed (argon2 refused its input or its parameters).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(argon2::password_hash::Error);

pub fn hash_password(password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(HashError)
}

/// A hash to verify against when the user name is unknown, so that an unknown
/// name costs the same time as a wrong password. Should hashing ever fail, the
/// unknown name is still refused (an empty hash verifies nothing).
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_password("lvzhi-dummy-password-for-timing").unwrap_or_else(|e| {
            tracing::error!(error = %e, "the timing dummy hash could not be made");
            String::new()
        })
    })
}

pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    let known_user = stored.is_some();
    let verified = match PasswordHash::new(stored.unwrap_or_else(|| dummy_hash())) {
        Ok(parsed) => argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    };
    verified && known_user
}

/// A random secret in URL-safe base64 (32 bytes of entropy).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A readable random password for generated accounts: 20 characters from four classes.
pub fn random_password() -> String {
    const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const DIGIT: &[u8] = b"23456789";
    const SYMBOL: &[u8] = b"-_.!@#%+=";
    let classes = [LOWER, UPPER, DIGIT, SYMBOL];
    let mut rng = rand::rngs::OsRng;
    let mut out = String::with_capacity(20);
    for i in 0..20 {
        let class = classes[i % 4];
        out.push(class[(rng.next_u32() as usize) % class.len()] as char);
    }
    out
}

/// Tokens are stored only as their SHA-256, so a database leak yields no usable token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compare two secrets without leaking where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn password_hash_verifies_only_the_right_password() {
        let hash = hash_password("Correct-Horse-9").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password("Correct-Horse-9", Some(&hash)));
        assert!(!verify_password("correct-horse-9", Some(&hash)));
        assert!(!verify_password("Correct-Horse-9", None));
        assert!(!verify_password("x", Some("not a hash")));
    }

    #[test]
    fn long_unicode_passwords_are_not_truncated() {
        let long = "委员之家".repeat(40);
        let hash = hash_password(&long).unwrap();
        assert!(verify_password(&long, Some(&hash)));
        assert!(!verify_password(&long[..long.len() - 3], Some(&hash)));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = random_token();
        assert_ne!(a, random_token());
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a).len(), 64);
        assert!(constant_time_eq(&a, &a.clone()));
        assert!(!constant_time_eq(&a, "x"));
    }

    #[test]
    fn generated_passwords_mix_four_classes() {
        let p = random_password();
        assert_eq!(p.chars().count(), 20);
        assert!(p.chars().any(|c| c.is_ascii_lowercase()));
        assert!(p.chars().any(|c| c.is_ascii_uppercase()));
        assert!(p.chars().any(|c| c.is_ascii_digit()));
        assert!(p.chars().any(|c| !c.is_ascii_alphanumeric()));
    }
}
