//! The audit log's hash chain: each row's hash covers its content and the hash
//! of the row before, so changing or removing any row breaks every later link.

use sha2::{Digest, Sha256};

/// The hash of the first row's predecessor.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of a row that the hash covers, in a fixed order.
#[derive(Debug, Clone, Copy)]
pub struct ChainedFields<'a> {
    /// RFC 3339 with microseconds, as stored.
    pub at: &'a str,
    pub user_id: Option<i64>,
    pub username: Option<&'a str>,
    pub role: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub action: &'a str,
    pub object_type: Option<&'a str>,
    pub object_id: Option<&'a str>,
    pub outcome: &'a str,
    pub detail: Option<&'a str>,
}

/// SHA-256 over the previous hash and every field, each length-prefixed so
/// that no two different rows serialise alike.
pub fn chain_hash(prev_hash: &str, f: &ChainedFields<'_>) -> String {
    let mut hasher = Sha256::new();
    let user_id = f.user_id.map(|v| v.to_string());
    let parts: [Option<&str>; 11] = [
        Some(prev_hash),
        Some(f.at),
        user_id.as_deref(),
        f.username,
        f.role,
        f.ip,
        Some(f.action),
        f.object_type,
        f.object_id,
        Some(f.outcome),
        f.detail,
    ];
    for part in parts {
        match part {
            // A missing value and an empty one hash differently.
            None => hasher.update(b"-"),
            Some(text) => {
                hasher.update(format!("{}:", text.len()).as_bytes());
                hasher.update(text.as_bytes());
            }
        }
        hasher.update(b"|");
    }
    hex::encode(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields<'a>(action: &'a str, detail: Option<&'a str>) -> ChainedFields<'a> {
        ChainedFields {
            at: "2026-11-27T10:00:00.000000Z",
            user_id: Some(3),
            username: Some("staff"),
            role: Some("staff"),
            ip: Some("127.0.0.1"),
            action,
            object_type: Some("member"),
            object_id: Some("7"),
            outcome: "ok",
            detail,
        }
    }

    #[test]
    fn hash_covers_every_field_and_the_predecessor() {
        let a = chain_hash(GENESIS, &fields("create", Some("x")));
        assert_eq!(a.len(), 64);
        assert_eq!(a, chain_hash(GENESIS, &fields("create", Some("x"))));
        assert_ne!(a, chain_hash(GENESIS, &fields("update", Some("x"))));
        assert_ne!(a, chain_hash(GENESIS, &fields("create", Some("y"))));
        assert_ne!(a, chain_hash(GENESIS, &fields("create", None)));
        assert_ne!(a, chain_hash(&a, &fields("create", Some("x"))));
    }

    #[test]
    fn empty_and_missing_values_differ() {
        assert_ne!(
            chain_hash(GENESIS, &fields("create", Some(""))),
            chain_hash(GENESIS, &fields("create", None))
        );
    }
}
