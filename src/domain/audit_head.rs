//! The audit chain's head, kept outside the table: how many rows the chain
//! holds and the hash of the newest. The chain itself shows a changed or
//! removed row, but not a removed tail (the newest rows deleted by someone who
//! drops the triggers first): what is left is still a valid chain. A head
//! written down earlier — in a backup, in the log, by an operator — shows it:
//! the chain must still hold that many rows, and its row at that position must
//! still have that hash. Pure: no I/O.

use std::fmt;

use super::audit::GENESIS;

/// `rows` rows, the newest with hash `hash` (the genesis hash when empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    pub rows: i64,
    pub hash: String,
}

impl ChainHead {
    pub fn empty() -> Self {
        ChainHead {
            rows: 0,
            hash: GENESIS.to_string(),
        }
    }

    /// `COUNT:HASH`, as `lvzhi audit verify` prints it (64 hex digits).
    pub fn parse(text: &str) -> Option<Self> {
        let (rows, hash) = text.trim().split_once(':')?;
        let rows: i64 = rows.trim().parse().ok().filter(|r| *r >= 0)?;
        let hash = hash.trim().to_ascii_lowercase();
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        if rows == 0 && hash != GENESIS {
            return None;
        }
        Some(ChainHead { rows, hash })
    }
}

impl fmt::Display for ChainHead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.rows, self.hash)
    }
}

/// How the chain as it is now stands to an earlier head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Against {
    /// The earlier head is in the chain: nothing was taken from its tail.
    Kept,
    /// The chain holds fewer rows than it did: its newest rows were removed.
    Backwards { rows_now: i64 },
    /// The chain holds as many rows, but another one at that position: rows
    /// were removed and others written since, or the chain was rebuilt.
    Diverged { hash_now: String },
}

/// Compare an earlier head with the chain now: `rows_now` rows, and the hash
/// of the row at the earlier head's position (`None` when there is none).
pub fn compare(earlier: &ChainHead, rows_now: i64, hash_at_position: Option<&str>) -> Against {
    if rows_now < earlier.rows {
        return Against::Backwards { rows_now };
    }
    let hash_now = if earlier.rows == 0 {
        GENESIS
    } else {
        hash_at_position.unwrap_or("")
    };
    if hash_now == earlier.hash {
        Against::Kept
    } else {
        Against::Diverged {
            hash_now: hash_now.to_string(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn heads_are_written_and_read_as_count_and_hash() {
        let h = ChainHead {
            rows: 42,
            hash: "ab".repeat(32),
        };
        assert_eq!(h.to_string(), format!("42:{}", "ab".repeat(32)));
        assert_eq!(ChainHead::parse(&h.to_string()), Some(h.clone()));
        assert_eq!(
            ChainHead::parse(&format!(" 42 : {} ", "AB".repeat(32))),
            Some(h)
        );
        assert_eq!(
            ChainHead::parse(&ChainHead::empty().to_string()),
            Some(ChainHead::empty())
        );
        for bad in [
            "",
            "42",
            "x:ab",
            "-1:00",
            "42:abc",
            &format!("0:{}", "ab".repeat(32)),
        ] {
            assert_eq!(ChainHead::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_shorter_chain_went_backwards() {
        let earlier = ChainHead {
            rows: 10,
            hash: "cd".repeat(32),
        };
        let same = "cd".repeat(32);
        assert_eq!(compare(&earlier, 10, Some(&same)), Against::Kept);
        assert_eq!(compare(&earlier, 15, Some(&same)), Against::Kept);
        assert_eq!(
            compare(&earlier, 8, None),
            Against::Backwards { rows_now: 8 }
        );
        assert_eq!(
            compare(&earlier, 12, Some(&"ef".repeat(32))),
            Against::Diverged {
                hash_now: "ef".repeat(32)
            }
        );
        assert_eq!(compare(&ChainHead::empty(), 3, None), Against::Kept);
    }
}
