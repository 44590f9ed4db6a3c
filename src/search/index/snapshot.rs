//! The index written to bytes and read back, so that a server starts from
//! the last one written instead of reading and segmenting every text (the
//! build is most of a minute of CPU on a province's records; reading a
//! snapshot is a fraction of a second).
//!
//! Only live documents are written, renumbered in slot order; everything
//! derived (document frequencies, norms, bounds, lengths' total, the key
//! map) is computed again on reading. Integers are LEB128 (seven bits a
//! byte), slots in a term's postings as gaps, signed numbers zigzagged:
//!
//! ```text
//! "LVZHIIX1"
//! terms:     n, then n × (byte length, UTF-8)
//! paths:     n, then n × (byte length, UTF-8)
//! documents: n, then n × (kind, id, path number, day, public,
//!            members: n × id, departments: n × id, length (f32 bits),
//!            term list: byte length, its bytes)
//! postings:  per term, n, then n slot gaps, then n counts
//! ```
//!
//! Reading checks every number against what it indexes and never panics:
//! a damaged or foreign snapshot is an error, and the caller builds afresh.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};

use super::{DocKind, Entry, Index, Postings, Stored, TermList};

const MAGIC: &[u8; 8] = b"LVZHIIX1";

/// Why bytes are not a snapshot this build can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    #[error("not an index snapshot (magic)")]
    Magic,
    #[error("snapshot ends early")]
    Truncated,
    #[error("snapshot damaged: {0}")]
    Invalid(&'static str),
}

pub(super) fn kind_code(kind: DocKind) -> u8 {
    match kind {
        DocKind::Proposal => 0,
        DocKind::InfoReport => 1,
        DocKind::Case => 2,
        DocKind::Activity => 3,
        DocKind::ArchiveDocument => 4,
        DocKind::Summary => 5,
        DocKind::Attachment => 6,
    }
}

fn kind_of_code(code: u8) -> Option<DocKind> {
    Some(match code {
        0 => DocKind::Proposal,
        1 => DocKind::InfoReport,
        2 => DocKind::Case,
        3 => DocKind::Activity,
        4 => DocKind::ArchiveDocument,
        5 => DocKind::Summary,
        6 => DocKind::Attachment,
        _ => return None,
    })
}

struct Writer(Vec<u8>);

impl Writer {
    fn unsigned(&mut self, mut value: u64) {
        loop {
            let low = (value & 0x7f) as u8;
            value >>= 7;
            if value == 0 {
                self.0.push(low);
                return;
            }
            self.0.push(low | 0x80);
        }
    }

    fn signed(&mut self, value: i64) {
        self.unsigned(((value << 1) ^ (value >> 63)) as u64);
    }

    fn len(&mut self, n: usize) {
        self.unsigned(n as u64);
    }

    fn bytes(&mut self, bytes: &[u8]) {
        self.len(bytes.len());
        self.0.extend_from_slice(bytes);
    }
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SnapshotError> {
        if n > self.rest.len() {
            return Err(SnapshotError::Truncated);
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn byte(&mut self) -> Result<u8, SnapshotError> {
        Ok(self.take(1)?[0])
    }

    fn unsigned(&mut self) -> Result<u64, SnapshotError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            let part = u64::from(byte & 0x7f);
            if shift == 63 && part > 1 {
                return Err(SnapshotError::Invalid("number too large"));
            }
            value |= part << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(SnapshotError::Invalid("number too large"))
    }

    fn signed(&mut self) -> Result<i64, SnapshotError> {
        let raw = self.unsigned()?;
        Ok((raw >> 1) as i64 ^ -((raw & 1) as i64))
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, SnapshotError> {
        u32::try_from(self.unsigned()?).map_err(|_| SnapshotError::Invalid(what))
    }

    /// A count of items each taking at least one byte: never more than
    /// the bytes left (so a damaged count cannot ask for a huge allocation).
    fn len(&mut self) -> Result<usize, SnapshotError> {
        let n = self.unsigned()?;
        if n > self.rest.len() as u64 {
            return Err(SnapshotError::Truncated);
        }
        Ok(n as usize)
    }

    fn text(&mut self) -> Result<&'a str, SnapshotError> {
        let n = self.len()?;
        std::str::from_utf8(self.take(n)?).map_err(|_| SnapshotError::Invalid("text not UTF-8"))
    }

    fn ids(&mut self) -> Result<Box<[i64]>, SnapshotError> {
        let n = self.len()?;
        (0..n).map(|_| self.signed()).collect()
    }
}

/// The term ids a term list holds, if it is well formed and every id is
/// below `terms` (ascending, as [`TermList::new`] writes them).
fn checked_term_list(bytes: &[u8], terms: u32) -> Result<(), SnapshotError> {
    let mut reader = Reader { rest: bytes };
    let mut previous: Option<u32> = None;
    while !reader.rest.is_empty() {
        let gap = reader.unsigned()?;
        let id = match previous {
            None => gap,
            Some(p) => {
                if gap == 0 {
                    return Err(SnapshotError::Invalid("term list not ascending"));
                }
                u64::from(p) + gap
            }
        };
        let id = u32::try_from(id)
            .ok()
            .filter(|id| *id < terms)
            .ok_or(SnapshotError::Invalid("term list names an unknown term"))?;
        previous = Some(id);
    }
    Ok(())
}

impl Index {
    /// The index as bytes (see the module's comment); read back with
    /// [`Index::from_snapshot`].
    pub fn to_snapshot(&self) -> Vec<u8> {
        let (postings, _) = self.size();
        let mut out = Writer(Vec::with_capacity(postings * 3 + self.slots.len() * 32));
        out.0.extend_from_slice(MAGIC);
        let mut terms: Vec<(&str, u32)> = self
            .vocabulary
            .iter()
            .map(|(term, id)| (term.as_str(), *id))
            .collect();
        terms.sort_unstable_by_key(|(_, id)| *id);
        out.len(terms.len());
        for (term, _) in &terms {
            out.bytes(term.as_bytes());
        }
        let mut path_numbers: HashMap<&str, u64> = HashMap::new();
        let mut paths: Vec<&str> = Vec::new();
        for stored in self.slots.iter().filter(|s| s.live) {
            let path: &str = &stored.entry.org_path;
            path_numbers.entry(path).or_insert_with(|| {
                paths.push(path);
                paths.len() as u64 - 1
            });
        }
        out.len(paths.len());
        for path in &paths {
            out.bytes(path.as_bytes());
        }
        // Live documents, renumbered in slot order.
        let mut renumbered = vec![u32::MAX; self.slots.len()];
        let mut live = 0u32;
        for (slot, stored) in self.slots.iter().enumerate() {
            if stored.live {
                renumbered[slot] = live;
                live += 1;
            }
        }
        out.len(live as usize);
        for stored in self.slots.iter().filter(|s| s.live) {
            let entry = &stored.entry;
            out.0.push(kind_code(entry.kind));
            out.signed(entry.id);
            out.unsigned(path_numbers[&*entry.org_path]);
            out.signed(i64::from(entry.date.num_days_from_ce()));
            out.0.push(u8::from(entry.public));
            out.len(entry.members.len());
            for m in &entry.members {
                out.signed(*m);
            }
            out.len(entry.departments.len());
            for d in &entry.departments {
                out.signed(*d);
            }
            out.0
                .extend_from_slice(&stored.length.to_bits().to_le_bytes());
            out.bytes(&stored.terms.0);
        }
        for (_, id) in &terms {
            let mut kept: Vec<(u32, u16)> = Vec::new();
            self.postings[*id as usize].for_each(|slot, count| {
                let new = renumbered[slot as usize];
                if new != u32::MAX {
                    kept.push((new, count));
                }
            });
            out.len(kept.len());
            let mut previous = 0u32;
            for (i, (slot, _)) in kept.iter().enumerate() {
                // The first slot as is, then the gaps (never 0: slots ascend).
                out.unsigned(u64::from(if i == 0 { *slot } else { slot - previous }));
                previous = *slot;
            }
            for (_, count) in &kept {
                out.unsigned(u64::from(*count));
            }
        }
        out.0
    }

    /// An index read back from [`Index::to_snapshot`]'s bytes, ready to
    /// rank (norms and bounds computed afresh).
    pub fn from_snapshot(bytes: &[u8]) -> Result<Index, SnapshotError> {
        let mut input = Reader { rest: bytes };
        if input.take(MAGIC.len()).map_err(|_| SnapshotError::Magic)? != MAGIC {
            return Err(SnapshotError::Magic);
        }
        let mut index = Index::new();
        let term_count = input.len()?;
        index.vocabulary.reserve(term_count);
        for id in 0..term_count {
            let term = input.text()?;
            if index
                .vocabulary
                .insert(term.to_string(), id as u32)
                .is_some()
            {
                return Err(SnapshotError::Invalid("a term twice"));
            }
        }
        let path_count = input.len()?;
        let mut paths: Vec<(u32, Arc<str>)> = Vec::with_capacity(path_count);
        for _ in 0..path_count {
            paths.push(index.org_number(input.text()?));
        }
        let documents = input.len()?;
        index.reserve(documents);
        for slot in 0..documents {
            let kind = kind_of_code(input.byte()?).ok_or(SnapshotError::Invalid("kind"))?;
            let id = input.signed()?;
            let (org, path) = usize::try_from(input.unsigned()?)
                .ok()
                .and_then(|n| paths.get(n))
                .ok_or(SnapshotError::Invalid("path number"))?;
            let date = i32::try_from(input.signed()?)
                .ok()
                .and_then(NaiveDate::from_num_days_from_ce_opt)
                .ok_or(SnapshotError::Invalid("date"))?;
            let public = match input.byte()? {
                0 => false,
                1 => true,
                _ => return Err(SnapshotError::Invalid("public")),
            };
            let members = input.ids()?;
            let departments = input.ids()?;
            let length_bytes: [u8; 4] = input
                .take(4)?
                .try_into()
                .map_err(|_| SnapshotError::Truncated)?;
            let length = f32::from_bits(u32::from_le_bytes(length_bytes));
            if !length.is_finite() || length < 0.0 {
                return Err(SnapshotError::Invalid("length"));
            }
            let term_bytes = {
                let n = input.len()?;
                input.take(n)?
            };
            checked_term_list(term_bytes, term_count as u32)?;
            if index.by_key.insert((kind, id), slot as u32).is_some() {
                return Err(SnapshotError::Invalid("a document twice"));
            }
            index.alive.push(true);
            index.kinds.push(kind);
            index.orgs.push(*org);
            index.public.push(public);
            index.lengths.push(length);
            index.total_length += f64::from(length);
            index.slots.push(Stored {
                entry: Entry {
                    kind,
                    id,
                    org_path: Arc::clone(path),
                    date,
                    members,
                    departments,
                    public,
                },
                terms: TermList(term_bytes.into()),
                length,
                live: true,
            });
        }
        index.live = documents as u32;
        index.postings.reserve_exact(term_count);
        index.doc_freq.reserve_exact(term_count);
        for _ in 0..term_count {
            let n = input.len()?;
            let mut slots = Vec::with_capacity(n);
            let mut previous: Option<u32> = None;
            for _ in 0..n {
                let gap = input.u32("slot")?;
                let slot = match previous {
                    None => gap,
                    Some(_) if gap == 0 => {
                        return Err(SnapshotError::Invalid("postings not ascending"))
                    }
                    Some(p) => p.checked_add(gap).ok_or(SnapshotError::Invalid("slot"))?,
                };
                if slot as usize >= documents {
                    return Err(SnapshotError::Invalid("slot"));
                }
                slots.push(slot);
                previous = Some(slot);
            }
            let mut counts = Vec::with_capacity(n);
            for _ in 0..n {
                let count = u16::try_from(input.unsigned()?)
                    .ok()
                    .filter(|c| *c > 0)
                    .ok_or(SnapshotError::Invalid("count"))?;
                counts.push(count);
            }
            index.doc_freq.push(n as u32);
            let mut postings = Postings::Sparse { slots, counts };
            postings.densify(documents);
            index.postings.push(postings);
        }
        if !input.rest.is_empty() {
            return Err(SnapshotError::Invalid("bytes after the end"));
        }
        index.max_weight = vec![0.0; term_count];
        index.norms = vec![0.0; documents];
        index.norms_at = 0;
        index.refresh_norms();
        Ok(index)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::tests::{doc, sample};
    use super::super::Everyone;
    use super::*;

    fn same_rankings(a: &Index, b: &Index) {
        assert_eq!(a.len(), b.len());
        let drafts = [
            ("关于城中村改造安置房尽快交付的建议", "安置房迟迟不能交付。"),
            ("关于居家养老服务的建议", "老年人助餐点太少。"),
            ("关于学校周边交通的建议", "高峰期拥堵。"),
        ];
        for (title, body) in drafts {
            let x = a.similar(DocKind::Proposal, title, body, 10, Everyone);
            let y = b.similar(DocKind::Proposal, title, body, 10, Everyone);
            assert_eq!(x.len(), y.len(), "{title}");
            for (x, y) in x.iter().zip(&y) {
                assert_eq!((x.kind, x.id), (y.kind, y.id), "{title}");
                assert!((x.score - y.score).abs() < 1e-5, "{x:?} {y:?}");
            }
            let (x, total_x) = a.search(title, Everyone, 0, 10);
            let (y, total_y) = b.search(title, Everyone, 0, 10);
            assert_eq!(total_x, total_y);
            assert_eq!(
                x.iter().map(|h| (h.id, h.date)).collect::<Vec<_>>(),
                y.iter().map(|h| (h.id, h.date)).collect::<Vec<_>>()
            );
        }
    }

    /// Common terms kept as columns rank, and write, as their postings did.
    #[test]
    fn columns_rank_and_write_as_postings() {
        let postings = sample();
        assert!(postings.postings.iter().all(|p| !p.is_dense()));
        let mut columns = sample();
        columns.compact();
        assert!(columns.postings.iter().any(|p| p.is_dense()));
        same_rankings(&postings, &columns);
        // Read back, a snapshot's common terms are columns; written again,
        // the same bytes.
        let bytes = postings.to_snapshot();
        let read = Index::from_snapshot(&bytes).unwrap();
        assert!(read.postings.iter().any(|p| p.is_dense()));
        same_rankings(&postings, &read);
        assert_eq!(read.to_snapshot(), bytes);
    }

    #[test]
    fn a_snapshot_reads_back_to_the_same_rankings() {
        let mut index = sample();
        // A removed document and a replaced one are not written.
        index.remove(DocKind::Proposal, 3);
        let mut replaced = doc(2, "关于加强居家养老服务的建议", "增加助餐点。");
        replaced.members = vec![7, -3];
        replaced.departments = vec![40];
        replaced.public = false;
        replaced.org_path = "/1/5/".into();
        index.upsert(replaced);
        index.refresh_norms();
        let bytes = index.to_snapshot();
        let read = Index::from_snapshot(&bytes).unwrap();
        same_rankings(&index, &read);
        // Only the live documents' postings.
        let live_terms: usize = index
            .slots
            .iter()
            .filter(|s| s.live)
            .map(|s| s.terms.iter().count())
            .sum();
        assert_eq!(read.size().0, live_terms);
        let entry = &read.slots[read.by_key[&(DocKind::Proposal, 2)] as usize].entry;
        assert_eq!(&*entry.members, &[7, -3]);
        assert_eq!(&*entry.departments, &[40]);
        assert!(!entry.public);
        assert_eq!(&*entry.org_path, "/1/5/");
        // Written again, the same bytes.
        assert_eq!(read.to_snapshot(), bytes);
        // And it keeps taking changes.
        let mut read = read;
        read.upsert(doc(
            9,
            "关于学校周边交通的建议",
            "高峰期拥堵，建议增派交警。",
        ));
        read.refresh_norms();
        let found = read.similar(DocKind::Proposal, "学校周边交通拥堵", "", 1, Everyone);
        assert_eq!(found[0].id, 9);
    }

    #[test]
    fn an_empty_index_reads_back_empty() {
        let read = Index::from_snapshot(&Index::new().to_snapshot()).unwrap();
        assert!(read.is_empty());
        assert!(read
            .similar(DocKind::Proposal, "城中村", "", 5, Everyone)
            .is_empty());
    }

    #[test]
    fn damaged_bytes_are_refused_never_a_panic() {
        let bytes = sample().to_snapshot();
        assert_eq!(
            Index::from_snapshot(b"LVZHIBK2").err(),
            Some(SnapshotError::Magic)
        );
        assert_eq!(Index::from_snapshot(b"").err(), Some(SnapshotError::Magic));
        // Every cut short.
        for end in 0..bytes.len() {
            assert!(Index::from_snapshot(&bytes[..end]).is_err(), "cut at {end}");
        }
        // Extra bytes.
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(Index::from_snapshot(&longer).is_err());
        // Every byte changed: refused, or read as some index, never a panic.
        for at in MAGIC.len()..bytes.len() {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut damaged = bytes.clone();
                damaged[at] ^= flip;
                if let Ok(index) = Index::from_snapshot(&damaged) {
                    let _ = index.similar(DocKind::Proposal, "城中村改造", "安置房", 5, Everyone);
                    let _ = index.search("城中村", Everyone, 0, 5);
                }
            }
        }
    }

    #[test]
    fn numbers_round_trip() {
        let values = [0i64, 1, -1, 63, -64, 64, 1 << 40, i64::MAX, i64::MIN];
        let mut out = Writer(Vec::new());
        for v in values {
            out.signed(v);
            out.unsigned(v as u64);
        }
        let mut input = Reader { rest: &out.0 };
        for v in values {
            assert_eq!(input.signed().unwrap(), v);
            assert_eq!(input.unsigned().unwrap(), v as u64);
        }
        assert!(input.rest.is_empty());
        // Eleven bytes of continuation: too large for 64 bits.
        let mut input = Reader { rest: &[0xff; 11] };
        assert!(input.unsigned().is_err());
    }
}
