//! An in-memory inverted index over segmented texts.
//!
//! Similar texts are ranked by TF-IDF cosine, term at a time over the
//! postings of the draft's terms only: exact on a small index, on a large
//! one with a bounded first pass (the scores it returns stay exact; the
//! benchmark compares its top ten with the exact and the exhaustive
//! rankings). The search box ranks by BM25 and filters by kind, date,
//! organisation and a visibility rule of the caller's.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;

use chrono::NaiveDate;

use super::segment::{segmenter, Located};

mod postings;
mod snapshot;
use postings::{Accumulator, Postings};
pub use snapshot::SnapshotError;

/// What a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocKind {
    Proposal,
    InfoReport,
    Case,
    Activity,
    /// A Word document generated from the records and filed in the archive.
    ArchiveDocument,
    /// A saved work summary (its latest version), filed in the archive.
    Summary,
    /// A file uploaded to a record, found by its name.
    Attachment,
}

/// A text to index, with what filters need.
#[derive(Debug, Clone)]
pub struct Doc {
    pub kind: DocKind,
    pub id: i64,
    /// The owning organisation's materialized path (for scope filters).
    pub org_path: String,
    pub date: NaiveDate,
    pub title: String,
    pub body: String,
    /// Who may read it besides the staff of its committee: members who wrote
    /// it (or were invited to), departments handling it, and whether every
    /// member of the committee may (an accepted proposal is a public record).
    pub members: Vec<i64>,
    pub departments: Vec<i64>,
    pub public: bool,
}

/// What the index keeps of a document: only what filters and visibility
/// need. Titles and bodies stay in the database (a search page reads the
/// texts of the hits it shows), which keeps the index small.
#[derive(Debug, Clone)]
pub struct Entry {
    pub kind: DocKind,
    pub id: i64,
    /// Shared between the documents of one organisation.
    pub org_path: Arc<str>,
    pub date: NaiveDate,
    pub members: Box<[i64]>,
    pub departments: Box<[i64]>,
    pub public: bool,
}

/// Which documents a caller may have listed. A closure over [`Entry`] is
/// one; a rule that can answer for every document of an organisation, kind
/// and publicity at once says so in [`Visible::by_org`], and the index then
/// asks it once per such group instead of reading each document's entry (a
/// search for a common word matches nearly every document).
pub trait Visible {
    /// `Some` when every document of `kind` of the organisation at
    /// `org_path` that is (or is not) `public` is visible, or none is;
    /// `None` to ask [`Visible::entry`].
    fn by_org(&self, _org_path: &str, _kind: DocKind, _public: bool) -> Option<bool> {
        None
    }

    fn entry(&self, entry: &Entry) -> bool;
}

impl<F: Fn(&Entry) -> bool> Visible for F {
    fn entry(&self, entry: &Entry) -> bool {
        self(entry)
    }
}

/// Every document is visible (benchmarks and tests).
#[derive(Debug, Clone, Copy)]
pub struct Everyone;

impl Visible for Everyone {
    fn by_org(&self, _org_path: &str, _kind: DocKind, _public: bool) -> Option<bool> {
        Some(true)
    }

    fn entry(&self, _entry: &Entry) -> bool {
        true
    }
}

/// What a [`Visible`] answered per organisation, kind and publicity during
/// one query:
/// 0 not asked yet, 1 visible, 2 not visible, 3 ask each entry.
struct Verdicts(Vec<u8>);

/// Kinds of document ([`DocKind`]), numbered as the snapshot codes them.
const KIND_COUNT: usize = 7;

fn kind_number(kind: DocKind) -> usize {
    usize::from(snapshot::kind_code(kind))
}

#[derive(Debug, Clone)]
struct Stored {
    entry: Entry,
    /// Its distinct terms (to forget them when it is removed).
    terms: TermList,
    /// Weighted length, for BM25.
    length: f32,
    live: bool,
}

/// A document's distinct term ids, ascending, kept as the gaps between
/// them in LEB128 (seven bits a byte): most gaps are under 128, so a list
/// takes about a byte a term instead of four. Only removing a document and
/// the exhaustive ranking kept for comparison read it.
#[derive(Debug, Clone, Default)]
struct TermList(Box<[u8]>);

impl TermList {
    fn new(ids: &[u32]) -> Self {
        let mut sorted = ids.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let mut bytes = Vec::with_capacity(sorted.len() + sorted.len() / 4);
        let mut previous = 0u32;
        for id in sorted {
            let mut gap = id - previous;
            previous = id;
            loop {
                let low = (gap & 0x7f) as u8;
                gap >>= 7;
                if gap == 0 {
                    bytes.push(low);
                    break;
                }
                bytes.push(low | 0x80);
            }
        }
        TermList(bytes.into_boxed_slice())
    }

    fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        let mut bytes = self.0.iter();
        let mut previous = 0u32;
        std::iter::from_fn(move || {
            let mut gap = 0u32;
            let mut shift = 0;
            loop {
                let byte = *bytes.next()?;
                gap |= u32::from(byte & 0x7f) << shift;
                if byte & 0x80 == 0 {
                    break;
                }
                shift += 7;
            }
            previous += gap;
            Some(previous)
        })
    }
}

/// Where an index's memory goes ([`Index::heap_bytes`]), in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexMemory {
    /// Each term's document slots (`u32`) and counts (`u16`), or for a
    /// common term a column of a byte a slot.
    pub postings: usize,
    /// What filters and visibility need of each document, and the
    /// per-document arrays ranking reads (live, kind, length, norm).
    pub documents: usize,
    /// Each document's term ids, as gaps (to remove it).
    pub term_lists: usize,
    /// Kind and id to slot.
    pub keys: usize,
    /// The terms, their document frequencies and bounds.
    pub vocabulary: usize,
}

impl IndexMemory {
    pub fn total(&self) -> usize {
        self.postings + self.documents + self.term_lists + self.keys + self.vocabulary
    }
}

/// A similar document and its cosine score (0–1).
#[derive(Debug, Clone, PartialEq)]
pub struct Similar {
    pub kind: DocKind,
    pub id: i64,
    pub score: f32,
}

/// A search hit; the caller highlights its texts with [`highlight`] and
/// [`query_terms`].
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub kind: DocKind,
    pub id: i64,
    pub score: f32,
    pub date: NaiveDate,
}

/// The words of a query, as they are matched (for highlighting).
pub fn query_terms(query: &str) -> Vec<String> {
    segmenter().terms(query)
}

/// Title words weigh twice: a title says what a proposal is about.
const TITLE_WEIGHT: f32 = 2.0;

/// How [`Index::similar`] bounds its work on a large index: candidates are
/// found by the postings of the draft's rarer words (sparse terms, the
/// largest bounds first) until `postings` have been read and at least
/// `candidates` documents found; only the `candidates` with the best scores
/// so far are completed with the rest of the words, the common ones
/// included, to their exact scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Approximation {
    pub postings: usize,
    pub candidates: usize,
}

/// What [`Index::similar`] reads and completes at most (measured by
/// `search_bench`: recall@10 against the exact ranking, 100,000 proposals).
pub const SIMILAR_APPROXIMATION: Approximation = Approximation {
    postings: 150_000,
    candidates: 4_000,
};

/// Below this many documents [`Index::similar`] is exact: every document
/// that may enter the k best is completed.
pub const SIMILAR_EXACT_BELOW: usize = 20_000;

const BM25_K1: f32 = 1.2;
const BM25_B: f32 = 0.75;

#[derive(Default)]
pub struct Index {
    vocabulary: HashMap<String, u32>,
    postings: Vec<Postings>,
    /// Organisation paths, shared by the documents that have them, by
    /// number (`orgs`), and the number of each path.
    org_paths: Vec<Arc<str>>,
    paths: HashMap<Arc<str>, u32>,
    /// Per slot: its organisation's number and whether it is public
    /// (visibility decided per organisation reads these small arrays, not
    /// the entries).
    orgs: Vec<u32>,
    public: Vec<bool>,
    /// Per term: live documents containing it.
    doc_freq: Vec<u32>,
    slots: Vec<Stored>,
    by_key: HashMap<(DocKind, i64), u32>,
    live: u32,
    total_length: f64,
    /// Cosine norms per slot, valid for `norms_at` live documents.
    norms: Vec<f32>,
    norms_at: u32,
    /// Per term: the largest `tf_weight(count) / norm` of its postings, an
    /// upper bound of what the term adds to any document's cosine (times
    /// the query's weight and the IDF), by which `similar` prunes.
    max_weight: Vec<f32>,
    /// Index filler words too (only to measure what dropping them is worth).
    keep_filler: bool,
    /// Segment with jieba's dictionary alone: no domain words, synonyms or
    /// paired characters (only to measure what they are worth).
    plain: bool,
    /// Per slot, kept apart from the documents so that ranking reads small,
    /// contiguous arrays: whether the slot is live, and its kind.
    alive: Vec<bool>,
    kinds: Vec<DocKind>,
    /// Weighted lengths per slot, for BM25 (read for every posting).
    lengths: Vec<f32>,
}

/// A document being completed by [`Index::similar`].
struct Candidate {
    slot: u32,
    /// Its score so far, not yet divided by its norm.
    raw: f32,
    norm: f32,
}

impl Candidate {
    fn score(&self) -> f32 {
        self.raw / self.norm
    }
}

#[derive(PartialEq)]
struct Ranked(f32, u32);

impl Eq for Ranked {}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ranked {
    // Reversed on score so that a max-heap keeps the k best at hand; ties go
    // to the lower slot (the older document), so results are stable.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .0
            .partial_cmp(&self.0)
            .unwrap_or(Ordering::Equal)
            .then(self.1.cmp(&other.1))
    }
}

/// The k best (score, slot) pairs, best first.
fn top_k(scores: impl Iterator<Item = (u32, f32)>, k: usize) -> Vec<(u32, f32)> {
    let mut heap: BinaryHeap<Ranked> = BinaryHeap::with_capacity(k + 1);
    for (slot, score) in scores {
        if score <= 0.0 {
            continue;
        }
        heap.push(Ranked(score, slot));
        if heap.len() > k {
            heap.pop();
        }
    }
    let mut best: Vec<(u32, f32)> = heap.into_iter().map(|Ranked(s, slot)| (slot, s)).collect();
    best.sort_by(|a, b| {
        b.1.partial_cmp(&a.1)
            .unwrap_or(Ordering::Equal)
            .then(a.0.cmp(&b.0))
    });
    best
}

/// Weighted term counts of a title and body.
fn weighted_counts(title: &[String], body: &[String]) -> HashMap<String, f32> {
    let mut counts: HashMap<String, f32> = HashMap::new();
    for t in title {
        *counts.entry(t.clone()).or_default() += TITLE_WEIGHT;
    }
    for t in body {
        *counts.entry(t.clone()).or_default() += 1.0;
    }
    counts
}

/// How texts are cut into terms: segmenting is most of the cost of
/// indexing, and needs nothing of the index, so a rebuild does it on every
/// core while the index itself is filled on one.
#[derive(Debug, Clone, Copy)]
pub struct Analyser {
    keep_filler: bool,
    plain: bool,
}

/// A document with its weighted term counts (title words twice).
pub struct Analysed {
    doc: Doc,
    counts: HashMap<String, f32>,
}

/// Bump when the code that cuts texts into terms or weighs them changes
/// (the word lists are hashed in as they are; a probe text's terms catch a
/// new jieba dictionary): an index snapshot written by another analyser
/// is not read.
const ANALYSER_VERSION: u32 = 1;

/// Cut by every analyser when its fingerprint is taken.
const PROBE_TEXT: &str = "关于加快老旧小区加装电梯和停车位建设的提案：\
    建议市政府统筹城中村改造、居家养老服务与义务教育学校布局，完善社区治理。";

impl Analyser {
    /// What a snapshot records of how its texts were cut, to be read only
    /// by an index that cuts them the same way (hex, 32 digits).
    pub fn fingerprint(&self) -> String {
        use super::segment::{DOMAIN_WORDS, FILLER_WORDS, SYNONYMS};
        use sha2::{Digest, Sha256};
        let mut hash = Sha256::new();
        hash.update(ANALYSER_VERSION.to_le_bytes());
        hash.update([u8::from(self.keep_filler), u8::from(self.plain)]);
        hash.update(TITLE_WEIGHT.to_bits().to_le_bytes());
        let rows = [FILLER_WORDS, DOMAIN_WORDS]
            .into_iter()
            .chain(SYNONYMS.iter().map(|(_, variants)| *variants));
        for (n, row) in rows.enumerate() {
            if let Some((word, _)) = n.checked_sub(2).and_then(|i| SYNONYMS.get(i)) {
                hash.update(word.as_bytes());
                hash.update([0]);
            }
            for word in row {
                hash.update(word.as_bytes());
                hash.update([0]);
            }
            hash.update([1]);
        }
        for term in self.terms(PROBE_TEXT) {
            hash.update(term.as_bytes());
            hash.update([0]);
        }
        hex::encode(&hash.finalize()[..16])
    }

    fn terms(&self, text: &str) -> Vec<String> {
        if self.keep_filler {
            segmenter().terms_with_filler(text)
        } else if self.plain {
            super::segment::plain_segmenter().terms(text)
        } else {
            segmenter().terms(text)
        }
    }

    pub fn analyse(&self, doc: Doc) -> Analysed {
        let counts = weighted_counts(&self.terms(&doc.title), &self.terms(&doc.body));
        Analysed { doc, counts }
    }
}

/// Analyse `docs` on up to `threads` threads, keeping their order.
pub fn analyse_all(analyser: Analyser, docs: Vec<Doc>, threads: usize) -> Vec<Analysed> {
    let threads = threads.clamp(1, docs.len().max(1));
    if threads == 1 {
        return docs.into_iter().map(|d| analyser.analyse(d)).collect();
    }
    let per_thread = docs.len().div_ceil(threads);
    let mut parts: Vec<Vec<Doc>> = Vec::with_capacity(threads);
    let mut rest = docs;
    while rest.len() > per_thread {
        let tail = rest.split_off(per_thread);
        parts.push(rest);
        rest = tail;
    }
    parts.push(rest);
    std::thread::scope(|scope| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| {
                scope.spawn(move || {
                    part.into_iter()
                        .map(|d| analyser.analyse(d))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(done) => done,
                // A panic in a segmenting thread is a bug: surface it here.
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// A weighted count as kept in the postings (whole numbers: the title
/// weight is 2), never zero.
fn stored_count(count: f32) -> u16 {
    count.round().clamp(1.0, f32::from(u16::MAX)) as u16
}

/// Sublinear term frequency.
fn tf_weight(count: f32) -> f32 {
    1.0 + count.ln()
}

/// `tf_weight` of the counts below 256, looked up rather than computed
/// for every posting read.
fn tf_table() -> &'static [f32; 256] {
    static TABLE: std::sync::OnceLock<[f32; 256]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = [0.0f32; 256];
        for (count, w) in table.iter_mut().enumerate().skip(1) {
            *w = tf_weight(count as f32);
        }
        table
    })
}

fn tf_of(table: &[f32; 256], count: u16) -> f32 {
    match table.get(usize::from(count)) {
        Some(w) => *w,
        None => tf_weight(f32::from(count)),
    }
}

impl Index {
    pub fn new() -> Self {
        Self::default()
    }

    /// Make room for `documents` more documents at once: a build that grows
    /// its arrays by doubling holds up to twice their size at its peak.
    pub fn reserve(&mut self, documents: usize) {
        self.slots.reserve_exact(documents);
        self.alive.reserve_exact(documents);
        self.kinds.reserve_exact(documents);
        self.orgs.reserve_exact(documents);
        self.public.reserve_exact(documents);
        self.lengths.reserve_exact(documents);
        self.by_key.reserve(documents);
    }

    /// An index that keeps filler words: the naive baseline of the benchmark.
    pub fn keeping_filler() -> Self {
        Self {
            keep_filler: true,
            ..Self::default()
        }
    }

    /// An index segmenting with jieba's dictionary alone: the baseline of
    /// the title-quality measure.
    pub fn plain() -> Self {
        Self {
            plain: true,
            ..Self::default()
        }
    }

    fn terms(&self, text: &str) -> Vec<String> {
        self.analyser().terms(text)
    }

    /// How this index cuts texts into terms, to do it apart from the index
    /// (on other threads: see [`analyse_all`]).
    pub fn analyser(&self) -> Analyser {
        Analyser {
            keep_filler: self.keep_filler,
            plain: self.plain,
        }
    }

    pub fn len(&self) -> usize {
        self.live as usize
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    fn idf(&self, term: u32) -> f32 {
        let df = self.doc_freq.get(term as usize).copied().unwrap_or(0) as f32;
        ((1.0 + self.live as f32) / (1.0 + df)).ln() + 1.0
    }

    fn term_id(&mut self, term: &str) -> u32 {
        if let Some(id) = self.vocabulary.get(term) {
            return *id;
        }
        let id = self.postings.len() as u32;
        self.vocabulary.insert(term.to_string(), id);
        self.postings.push(Postings::default());
        self.doc_freq.push(0);
        self.max_weight.push(0.0);
        id
    }

    /// The number of an organisation's path, and the path shared.
    fn org_number(&mut self, path: &str) -> (u32, Arc<str>) {
        if let Some((shared, number)) = self.paths.get_key_value(path) {
            return (*number, Arc::clone(shared));
        }
        let number = self.org_paths.len() as u32;
        let shared: Arc<str> = Arc::from(path);
        self.org_paths.push(Arc::clone(&shared));
        self.paths.insert(Arc::clone(&shared), number);
        (number, shared)
    }

    fn verdicts(&self) -> Verdicts {
        Verdicts(vec![0; self.org_paths.len() * KIND_COUNT * 2])
    }

    /// Whether `visible` lets the document in `slot` be listed, asked once
    /// per organisation, kind and publicity where the rule allows.
    fn sees(&self, slot: usize, visible: &impl Visible, verdicts: &mut Verdicts) -> bool {
        let kind = self.kinds[slot];
        let public = self.public[slot];
        let at =
            (self.orgs[slot] as usize * KIND_COUNT + kind_number(kind)) * 2 + usize::from(public);
        if verdicts.0[at] == 0 {
            let org_path = &self.org_paths[self.orgs[slot] as usize];
            verdicts.0[at] = match visible.by_org(org_path, kind, public) {
                Some(true) => 1,
                Some(false) => 2,
                None => 3,
            };
        }
        match verdicts.0[at] {
            1 => true,
            2 => false,
            _ => visible.entry(&self.slots[slot].entry),
        }
    }

    /// Add a document, or replace the one with the same kind and id.
    pub fn upsert(&mut self, doc: Doc) {
        let analysed = self.analyser().analyse(doc);
        self.upsert_analysed(analysed);
    }

    /// [`Self::upsert`] for a document already cut into terms by this
    /// index's [`Analyser`].
    pub fn upsert_analysed(&mut self, analysed: Analysed) {
        let Analysed { doc, counts } = analysed;
        self.remove(doc.kind, doc.id);
        let slot = self.slots.len() as u32;
        let mut terms = Vec::with_capacity(counts.len());
        let mut length = 0.0;
        let mut norm = 0.0f32;
        for (term, count) in counts {
            let id = self.term_id(&term);
            let count = stored_count(count);
            self.postings[id as usize].push(slot, count);
            self.doc_freq[id as usize] += 1;
            terms.push((id, count));
            length += f32::from(count);
        }
        self.live += 1;
        // Found by `similar` at once, with today's IDFs; the next refresh evens it out.
        for (id, count) in &terms {
            norm += (self.idf(*id) * tf_weight(f32::from(*count))).powi(2);
        }
        let (org, org_path) = self.org_number(&doc.org_path);
        self.orgs.push(org);
        self.public.push(doc.public);
        self.by_key.insert((doc.kind, doc.id), slot);
        self.alive.push(true);
        self.kinds.push(doc.kind);
        self.lengths.push(length);
        self.slots.push(Stored {
            entry: Entry {
                kind: doc.kind,
                id: doc.id,
                org_path,
                date: doc.date,
                members: doc.members.into_boxed_slice(),
                departments: doc.departments.into_boxed_slice(),
                public: doc.public,
            },
            terms: TermList::new(&terms.iter().map(|(id, _)| *id).collect::<Vec<_>>()),
            length,
            live: true,
        });
        let norm = norm.sqrt();
        if norm > 0.0 {
            for (id, count) in &terms {
                let w = tf_weight(f32::from(*count)) / norm;
                let max = &mut self.max_weight[*id as usize];
                *max = max.max(w);
            }
        }
        self.norms.push(norm);
        self.total_length += f64::from(length);
    }

    /// How many (term, document) pairs the index holds, and distinct terms.
    pub fn size(&self) -> (usize, usize) {
        (
            self.postings.iter().map(Postings::len).sum(),
            self.postings.len(),
        )
    }

    /// The bytes the index holds on the heap, by part (an estimate: the
    /// allocator's own overhead is not counted), to say where memory goes.
    pub fn heap_bytes(&self) -> IndexMemory {
        use std::mem::size_of;
        let postings = self
            .postings
            .iter()
            .map(Postings::heap_bytes)
            .sum::<usize>()
            + self.postings.capacity() * size_of::<Postings>();
        let documents = self.slots.capacity() * size_of::<Stored>()
            + self
                .slots
                .iter()
                .map(|s| (s.entry.members.len() + s.entry.departments.len()) * 8)
                .sum::<usize>()
            + self.alive.capacity()
            + self.kinds.capacity() * size_of::<DocKind>()
            + self.orgs.capacity() * 4
            + self.public.capacity()
            + (self.lengths.capacity() + self.norms.capacity()) * 4;
        let term_lists = self.slots.iter().map(|s| s.terms.0.len()).sum();
        // A hash map keeps a control byte beside each bucket.
        let keys = self.by_key.capacity() * (size_of::<((DocKind, i64), u32)>() + 1);
        let vocabulary = self
            .vocabulary
            .keys()
            .map(|term| term.len() + size_of::<(String, u32)>() + 1)
            .sum::<usize>()
            + (self.doc_freq.capacity() + self.max_weight.capacity()) * 4;
        IndexMemory {
            postings,
            documents,
            term_lists,
            keys,
            vocabulary,
        }
    }

    /// The `n` terms held by the most live documents, with the share of
    /// documents holding each (to describe a corpus).
    pub fn common_term_shares(&self, n: usize) -> Vec<(String, f32)> {
        let mut terms: Vec<(&String, u32)> = self
            .vocabulary
            .iter()
            .map(|(term, id)| (term, self.doc_freq[*id as usize]))
            .collect();
        terms.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let live = self.live.max(1) as f32;
        terms
            .into_iter()
            .take(n)
            .map(|(term, df)| (term.clone(), df as f32 / live))
            .collect()
    }

    /// Give back the room the postings grew into while the index was
    /// built, the common terms' as columns.
    pub fn compact(&mut self) {
        let slot_count = self.slots.len();
        for postings in &mut self.postings {
            postings.densify(slot_count);
            postings.shrink_to_fit();
        }
        self.slots.shrink_to_fit();
        self.norms.shrink_to_fit();
        self.max_weight.shrink_to_fit();
        self.alive.shrink_to_fit();
        self.kinds.shrink_to_fit();
        self.orgs.shrink_to_fit();
        self.public.shrink_to_fit();
        self.lengths.shrink_to_fit();
    }

    /// Remove a document (its postings are skipped from now on).
    pub fn remove(&mut self, kind: DocKind, id: i64) {
        let Some(slot) = self.by_key.remove(&(kind, id)) else {
            return;
        };
        if let Some(stored) = self.slots.get_mut(slot as usize) {
            stored.live = false;
            self.alive[slot as usize] = false;
            for term in stored.terms.iter() {
                self.doc_freq[term as usize] = self.doc_freq[term as usize].saturating_sub(1);
            }
            self.live -= 1;
            self.total_length -= f64::from(stored.length);
        }
    }

    /// Cosine norms depend on every IDF; recompute them when the collection
    /// has changed by more than 1% (or at all, while it is small), so that
    /// adding one document costs little. Call it after a batch of changes.
    pub fn refresh_norms(&mut self) {
        let drift = self.live.abs_diff(self.norms_at);
        if drift == 0 || (self.live > 10_000 && drift * 100 < self.live) {
            return;
        }
        let mut squares = vec![0.0f32; self.slots.len()];
        let table = tf_table();
        for (term, postings) in self.postings.iter().enumerate() {
            let idf = self.idf(term as u32);
            postings.for_each(|slot, count| {
                if self.alive[slot as usize] {
                    squares[slot as usize] += (idf * tf_of(table, count)).powi(2);
                }
            });
        }
        self.norms = squares.into_iter().map(f32::sqrt).collect();
        self.norms_at = self.live;
        for (term, postings) in self.postings.iter().enumerate() {
            let mut max = 0.0f32;
            postings.for_each(|slot, count| {
                let norm = self.norms[slot as usize];
                if self.alive[slot as usize] && norm > 0.0 {
                    max = max.max(tf_of(table, count) / norm);
                }
            });
            self.max_weight[term] = max;
        }
    }

    /// The query vector of a draft: (term, weight) for terms the index knows.
    /// In term order, so that sums over it (the draft's norm, the unpruned
    /// scores) come out the same to the last bit for the same draft.
    fn query_vector(&self, title: &str, body: &str) -> Vec<(u32, f32)> {
        let counts = weighted_counts(&self.terms(title), &self.terms(body));
        let mut vector: Vec<(u32, f32)> = counts
            .into_iter()
            .filter_map(|(term, count)| {
                let id = *self.vocabulary.get(&term)?;
                Some((id, self.idf(id) * tf_weight(count)))
            })
            .collect();
        vector.sort_unstable_by_key(|(id, _)| *id);
        vector
    }

    /// The documents most like a draft (TF-IDF cosine), best first, of the
    /// given kind, for which `visible` holds; exact, without reading every
    /// posting of the draft's common words.
    ///
    /// The draft's terms are taken in decreasing order of the most each can
    /// add to a document's score (the query's weight × IDF × the term's
    /// largest `tf / norm`). Their postings are read whole only while the
    /// bound of the terms left is at least the k-th best score found so far
    /// among documents the caller may see (`threshold`): a document none of
    /// the terms read holds cannot reach it. Then only the documents found
    /// that can still reach it are completed with the rest of the terms, and
    /// dropped as soon as their score plus the bound of the terms left falls
    /// below the threshold (MaxScore, term at a time).
    ///
    /// On an index of [`SIMILAR_EXACT_BELOW`] documents or more, the work is
    /// bounded by [`SIMILAR_APPROXIMATION`]: a document only the common
    /// words bring near the draft may be missed (recall@10 against the
    /// exact ranking is measured by `search_bench`); the scores returned
    /// are exact.
    pub fn similar(
        &self,
        kind: DocKind,
        title: &str,
        body: &str,
        k: usize,
        visible: impl Visible,
    ) -> Vec<Similar> {
        let approximation =
            (self.live as usize >= SIMILAR_EXACT_BELOW).then_some(SIMILAR_APPROXIMATION);
        self.similar_among(kind, title, body, k, approximation, visible)
    }

    /// [`Index::similar`] with every document that may still enter the k
    /// best completed: the exact top k, pruned (MaxScore) but never cut.
    pub fn similar_exact(
        &self,
        kind: DocKind,
        title: &str,
        body: &str,
        k: usize,
        visible: impl Visible,
    ) -> Vec<Similar> {
        self.similar_among(kind, title, body, k, None, visible)
    }

    /// [`Index::similar`] bounded by `approximation`, or exact without one.
    pub fn similar_among(
        &self,
        kind: DocKind,
        title: &str,
        body: &str,
        k: usize,
        approximation: Option<Approximation>,
        visible: impl Visible,
    ) -> Vec<Similar> {
        let query = self.query_vector(title, body);
        let query_norm = query.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
        if query_norm == 0.0 || k == 0 {
            return Vec::new();
        }
        let table = tf_table();
        // (term, query weight × IDF, bound), the largest bounds first.
        let mut terms: Vec<(u32, f32, f32)> = query
            .iter()
            .map(|(term, weight)| {
                let factor = weight * self.idf(*term);
                (*term, factor, factor * self.max_weight[*term as usize])
            })
            .collect();
        terms.sort_by(|a, b| {
            b.2.partial_cmp(&a.2)
                .unwrap_or(Ordering::Equal)
                .then(a.0.cmp(&b.0))
        });
        let approximate = approximation.is_some();
        if approximate {
            // The rarer words first: they find the draft's own subject.
            terms.sort_by_key(|t| self.postings[t.0 as usize].is_dense());
        }
        let Approximation {
            postings: budget,
            candidates: candidate_limit,
        } = approximation.unwrap_or(Approximation {
            postings: usize::MAX,
            candidates: usize::MAX,
        });
        let candidate_limit = candidate_limit.max(k);
        // rest[i]: the most the terms from i on can add to a normalised score.
        let mut rest = vec![0.0f32; terms.len() + 1];
        for i in (0..terms.len()).rev() {
            rest[i] = rest[i + 1] + terms[i].2;
        }
        let slot_count = self.slots.len();
        // Scores before dividing by the document's norm; whether a slot may
        // be listed is asked once (0: not yet, 1: yes, 2: no).
        let mut found = Accumulator::new(slot_count);
        let mut allowed = vec![0u8; slot_count];
        let mut verdicts = self.verdicts();
        let mut may_list = |slot: usize| -> bool {
            if allowed[slot] == 0 {
                let ok = self.alive[slot]
                    && self.kinds[slot] == kind
                    && self.norms[slot] > 0.0
                    && self.sees(slot, &visible, &mut verdicts);
                allowed[slot] = if ok { 1 } else { 2 };
            }
            allowed[slot] == 1
        };
        let mut threshold = 0.0f32;
        // The threshold is found again each time the bound left halves.
        let mut next_check = rest[0] / 2.0;
        let mut read = 0;
        let mut postings_read = 0;
        while read < terms.len() && rest[read] >= threshold {
            let (term, factor, _) = terms[read];
            let postings = &self.postings[term as usize];
            if approximate
                && (postings_read >= budget || postings.is_dense())
                && found.found() >= candidate_limit
            {
                break;
            }
            postings_read += postings.len();
            found.add(postings, |_, count| factor * tf_of(table, count));
            read += 1;
            if rest[read] <= next_check || read == terms.len() {
                next_check = rest[read] / 2.0;
                let kth = self.kth_best(found.slots(), &found.scores, k, &mut may_list);
                threshold = threshold.max(kth);
            }
        }
        // (normalised score so far, slot) of the documents that may still
        // enter the k best, cut to the best by reading one contiguous array
        // (not the scattered scores and norms per comparison). Whether the
        // caller may see one is asked first only of those the cut keeps;
        // if some may not be seen, of all the others, and the cut is taken
        // again among those.
        let mut pool: Vec<(f32, u32)> = found
            .slots()
            .filter_map(|slot| {
                let (raw, norm) = (found.scores[slot as usize], self.norms[slot as usize]);
                if raw <= 0.0 || norm <= 0.0 {
                    return None;
                }
                let score = raw / norm;
                (score + rest[read] >= threshold).then_some((score, slot))
            })
            .collect();
        let best_of = |pool: &mut Vec<(f32, u32)>, n: usize| -> Vec<(f32, u32)> {
            if pool.len() <= n {
                return Vec::new();
            }
            pool.select_nth_unstable_by(n - 1, |a, b| {
                b.0.partial_cmp(&a.0).unwrap_or(Ordering::Equal)
            });
            pool.split_off(n)
        };
        let mut others = best_of(&mut pool, candidate_limit);
        pool.retain(|(_, slot)| may_list(*slot as usize));
        if pool.len() < candidate_limit && !others.is_empty() {
            others.retain(|(_, slot)| may_list(*slot as usize));
            best_of(&mut others, candidate_limit - pool.len());
            pool.append(&mut others);
        }
        // The candidates in slot order, each with its score so far (not yet
        // divided by its norm while terms are added) and its norm beside its
        // slot: completing and pruning read one contiguous array.
        pool.sort_unstable_by_key(|(_, slot)| *slot);
        let mut candidates: Vec<Candidate> = pool
            .into_iter()
            .map(|(_, slot)| Candidate {
                slot,
                raw: found.scores[slot as usize],
                norm: self.norms[slot as usize],
            })
            .collect();
        let mut best = Vec::with_capacity(candidates.len());
        // Candidates are dropped each time the bound left has fallen by a
        // tenth (finding the k-th best costs as much as a term's lookups),
        // and after every term once fewer than a thousand are left.
        let mut next_prune = rest[read];
        for (i, (term, factor, _)) in terms.iter().enumerate().skip(read) {
            self.postings[*term as usize].for_each_held(
                &mut candidates,
                |candidate| candidate.slot,
                |candidate, count| candidate.raw += factor * tf_of(table, count),
            );
            let left = rest[i + 1];
            if candidates.len() > k && (left <= next_prune || candidates.len() < 1000) {
                next_prune = left * 0.9;
                best.clear();
                best.extend(candidates.iter().map(Candidate::score));
                let (_, kth, _) = best.select_nth_unstable_by(k - 1, |a, b| {
                    b.partial_cmp(a).unwrap_or(Ordering::Equal)
                });
                threshold = threshold.max(*kth);
                candidates.retain(|candidate| candidate.score() + left >= threshold);
            }
        }
        let best = top_k(
            candidates
                .into_iter()
                .map(|candidate| (candidate.slot, candidate.score() / query_norm)),
            k,
        );
        best.into_iter()
            .map(|(slot, score)| {
                let entry = &self.slots[slot as usize].entry;
                Similar {
                    kind: entry.kind,
                    id: entry.id,
                    score,
                }
            })
            .collect()
    }

    /// The k-th best normalised score among the `slots` that may be listed
    /// (0 when fewer than k are): a lower bound of the final k-th best.
    fn kth_best(
        &self,
        slots: impl Iterator<Item = u32>,
        scores: &[f32],
        k: usize,
        may_list: &mut impl FnMut(usize) -> bool,
    ) -> f32 {
        let mut heap: BinaryHeap<Ranked> = BinaryHeap::with_capacity(k + 1);
        for slot in slots {
            let i = slot as usize;
            let norm = self.norms[i];
            if norm <= 0.0 || scores[i] <= 0.0 {
                continue;
            }
            let score = scores[i] / norm;
            if heap.len() == k && heap.peek().is_some_and(|worst| score <= worst.0) {
                continue;
            }
            if !may_list(i) {
                continue;
            }
            heap.push(Ranked(score, slot));
            if heap.len() > k {
                heap.pop();
            }
        }
        if heap.len() < k {
            return 0.0;
        }
        heap.peek().map_or(0.0, |worst| worst.0)
    }

    /// The ranking without pruning: every posting of every term of the
    /// draft is read (kept to measure what pruning gains).
    pub fn similar_unpruned(
        &self,
        kind: DocKind,
        title: &str,
        body: &str,
        k: usize,
        visible: impl Fn(&Entry) -> bool,
    ) -> Vec<Similar> {
        let query = self.query_vector(title, body);
        let query_norm = query.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
        if query_norm == 0.0 {
            return Vec::new();
        }
        // A dense accumulator: one float per slot beats hashing on long postings.
        let mut scores = vec![0.0f32; self.slots.len()];
        let mut touched: Vec<u32> = Vec::new();
        for (term, weight) in &query {
            let factor = weight * self.idf(*term);
            self.postings[*term as usize].for_each(|slot, count| {
                let score = &mut scores[slot as usize];
                if *score == 0.0 {
                    touched.push(slot);
                }
                *score += factor * tf_weight(f32::from(count));
            });
        }
        // Keep the k best; the document itself (and the caller's visibility
        // rule) is only looked at for a score that would enter the k best.
        let mut heap: BinaryHeap<Ranked> = BinaryHeap::with_capacity(k + 1);
        for slot in touched {
            let i = slot as usize;
            let norm = self.norms[i];
            if norm <= 0.0 || !self.alive[i] || self.kinds[i] != kind {
                continue;
            }
            let score = scores[i] / (norm * query_norm);
            if heap.len() == k
                && heap
                    .peek()
                    .is_some_and(|worst| Ranked(score, slot) >= *worst)
            {
                continue;
            }
            if !visible(&self.slots[i].entry) {
                continue;
            }
            heap.push(Ranked(score, slot));
            if heap.len() > k {
                heap.pop();
            }
        }
        let mut best: Vec<(u32, f32)> = heap.into_iter().map(|Ranked(s, slot)| (slot, s)).collect();
        best.sort_by(|a, b| {
            b.1.partial_cmp(&a.1)
                .unwrap_or(Ordering::Equal)
                .then(a.0.cmp(&b.0))
        });
        best.into_iter()
            .map(|(slot, score)| {
                let entry = &self.slots[slot as usize].entry;
                Similar {
                    kind: entry.kind,
                    id: entry.id,
                    score,
                }
            })
            .collect()
    }

    /// The same ranking by brute force over every document (for the
    /// benchmark's quality check).
    pub fn similar_exhaustive(
        &mut self,
        kind: DocKind,
        title: &str,
        body: &str,
        k: usize,
    ) -> Vec<Similar> {
        self.refresh_norms();
        let query: HashMap<u32, f32> = self.query_vector(title, body).into_iter().collect();
        let query_norm = query.values().map(|w| w * w).sum::<f32>().sqrt();
        if query_norm == 0.0 {
            return Vec::new();
        }
        let scores = self.slots.iter().enumerate().filter_map(|(slot, stored)| {
            if !stored.live || stored.entry.kind != kind {
                return None;
            }
            // Each of the document's terms, its count found in the term's postings.
            let dot: f32 = stored
                .terms
                .iter()
                .filter_map(|t| {
                    let q = query.get(&t)?;
                    let count = self.postings[t as usize].count(slot as u32);
                    (count > 0).then(|| q * self.idf(t) * tf_weight(f32::from(count)))
                })
                .sum();
            let norm = self.norms[slot];
            (norm > 0.0).then(|| (slot as u32, dot / (norm * query_norm)))
        });
        top_k(scores, k)
            .into_iter()
            .map(|(slot, score)| {
                let entry = &self.slots[slot as usize].entry;
                Similar {
                    kind: entry.kind,
                    id: entry.id,
                    score,
                }
            })
            .collect()
    }

    /// Full-text search (BM25) among documents that pass `filter`, best
    /// first, skipping `offset`.
    pub fn search(
        &self,
        query: &str,
        filter: impl Visible,
        offset: usize,
        limit: usize,
    ) -> (Vec<Hit>, usize) {
        let terms: Vec<u32> = {
            let mut ids: Vec<u32> = segmenter()
                .terms(query)
                .iter()
                .filter_map(|t| self.vocabulary.get(t).copied())
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        if terms.is_empty() || self.live == 0 {
            return (Vec::new(), 0);
        }
        let average = (self.total_length / f64::from(self.live)) as f32;
        let mut found = Accumulator::new(self.slots.len());
        for term in &terms {
            let df = self.doc_freq[*term as usize] as f32;
            let idf = ((self.live as f32 - df + 0.5) / (df + 0.5) + 1.0).ln();
            // 0 for a count of 0, as a column asks.
            let bm25 = |slot: u32, count: u16| {
                let count = f32::from(count);
                let length = self.lengths[slot as usize];
                let norm = BM25_K1 * (1.0 - BM25_B + BM25_B * length / average.max(1.0));
                idf * count * (BM25_K1 + 1.0) / (count + norm)
            };
            found.add(&self.postings[*term as usize], bm25);
        }
        let mut verdicts = self.verdicts();
        let matching: Vec<(u32, f32)> = found
            .kept(|slot, _| {
                self.alive[slot as usize] && self.sees(slot as usize, &filter, &mut verdicts)
            })
            .into_iter()
            .map(|slot| (slot, found.scores[slot as usize]))
            .collect();
        let total = matching.len();
        let ranked = top_k(matching.into_iter(), offset + limit);
        let hits = ranked
            .into_iter()
            .skip(offset)
            .map(|(slot, score)| {
                let entry = &self.slots[slot as usize].entry;
                Hit {
                    kind: entry.kind,
                    date: entry.date,
                    id: entry.id,
                    score,
                }
            })
            .collect();
        (hits, total)
    }
}

/// Split a text into marked and unmarked pieces around the query's terms;
/// for long texts, a window of about `max_chars` around the first match.
pub fn highlight(text: &str, query_terms: &[String], max_chars: usize) -> Vec<(String, bool)> {
    // A long text is segmented only around the first place a query word
    // stands (segmenting a whole body of 1,500 characters for every hit
    // shown took longer than ranking): the window is cut first, with a
    // margin so that the words at its edges are segmented as in the text.
    if max_chars < usize::MAX / 2 && text.len() > 4 * (max_chars + 80) * 3 {
        let first = query_terms
            .iter()
            .filter(|t| !t.is_empty())
            .filter_map(|t| lowercase_find(text, t))
            .min()
            .unwrap_or(0);
        let start = back_chars(text, first, 40);
        let end = text[first..]
            .char_indices()
            .nth(max_chars + 40)
            .map_or(text.len(), |(i, _)| first + i);
        let mut pieces = highlight_windowed(&text[start..end], query_terms, max_chars);
        let ellipsis = |p: Option<&(String, bool)>| p.is_some_and(|(t, hit)| !hit && t == "…");
        if start > 0 && !ellipsis(pieces.first()) {
            pieces.insert(0, ("…".to_string(), false));
        }
        if end < text.len() && !ellipsis(pieces.last()) {
            pieces.push(("…".to_string(), false));
        }
        return pieces;
    }
    highlight_windowed(text, query_terms, max_chars)
}

/// Where `term` (lowercase) first stands in `text`.
fn lowercase_find(text: &str, term: &str) -> Option<usize> {
    if term.is_ascii() {
        return text.to_ascii_lowercase().find(term);
    }
    text.find(term)
}

/// The byte position `n` characters before `at`.
fn back_chars(text: &str, at: usize, n: usize) -> usize {
    text[..at]
        .char_indices()
        .rev()
        .nth(n.saturating_sub(1))
        .map_or(0, |(i, _)| i)
}

fn highlight_windowed(text: &str, query_terms: &[String], max_chars: usize) -> Vec<(String, bool)> {
    let located: Vec<Located> = segmenter()
        .located(text)
        .into_iter()
        .filter(|l| query_terms.contains(&l.term))
        .collect();
    // Search mode yields overlapping words; keep non-overlapping, longest first at each start.
    let mut marks: Vec<(usize, usize)> = Vec::new();
    let mut sorted: Vec<(usize, usize)> = located.iter().map(|l| (l.start, l.end)).collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    for (start, end) in sorted {
        if marks.last().is_none_or(|(_, last_end)| start >= *last_end) {
            marks.push((start, end));
        }
    }
    let (window_start, window_end) =
        window(text, marks.first().map(|m| m.0).unwrap_or(0), max_chars);
    let mut pieces = Vec::new();
    let mut at = window_start;
    for (start, end) in marks {
        if start < window_start || end > window_end {
            continue;
        }
        if start > at {
            pieces.push((text[at..start].to_string(), false));
        }
        pieces.push((text[start..end].to_string(), true));
        at = end;
    }
    if at < window_end {
        pieces.push((text[at..window_end].to_string(), false));
    }
    if window_start > 0 {
        pieces.insert(0, ("…".to_string(), false));
    }
    if window_end < text.len() {
        pieces.push(("…".to_string(), false));
    }
    pieces
}

/// Byte range of about `max_chars` characters starting a little before `focus`.
fn window(text: &str, focus: usize, max_chars: usize) -> (usize, usize) {
    if text.chars().count() <= max_chars {
        return (0, text.len());
    }
    let before = text[..focus].chars().count().saturating_sub(20);
    let start = text.char_indices().nth(before).map(|(i, _)| i).unwrap_or(0);
    let end = text[start..]
        .char_indices()
        .nth(max_chars)
        .map(|(i, _)| start + i)
        .unwrap_or(text.len());
    (start, end)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    pub(super) fn doc(id: i64, title: &str, body: &str) -> Doc {
        Doc {
            kind: DocKind::Proposal,
            id,
            org_path: "/1/2/".into(),
            date: NaiveDate::from_ymd_opt(2012, 3, 1).unwrap(),
            title: title.into(),
            body: body.into(),
            members: Vec::new(),
            departments: Vec::new(),
            public: true,
        }
    }

    #[test]
    fn term_lists_round_trip_in_about_a_byte_a_term() {
        let cases: [&[u32]; 5] = [
            &[],
            &[0],
            &[7, 3, 3, 0, 127, 128, 16_383, 16_384],
            &[u32::MAX, 1, u32::MAX - 1],
            &[5, 9, 14, 200, 201, 202, 9_000, 9_001],
        ];
        for ids in cases {
            let mut expected = ids.to_vec();
            expected.sort_unstable();
            expected.dedup();
            let list = TermList::new(ids);
            assert_eq!(list.iter().collect::<Vec<_>>(), expected, "{ids:?}");
        }
        // A proposal's 130 terms among 8,000: mostly one byte each.
        let spread: Vec<u32> = (0..130).map(|i| i * 61).collect();
        assert!(TermList::new(&spread).0.len() < 2 * 130);
    }

    /// Segmenting on several threads changes nothing: the same terms, in
    /// the documents' order, and the same index as one document at a time.
    #[test]
    fn analysing_on_threads_is_analysing_in_turn() {
        let texts = [
            (
                "关于加快城中村改造安置房建设的建议",
                "安置房交付滞后，建议加快建设进度。",
            ),
            (
                "关于加强居家养老服务的建议",
                "养老服务站点少，建议增加助餐点。",
            ),
            (
                "关于老旧小区加装电梯的建议",
                "老旧小区居民上下楼难，建议加装电梯。",
            ),
            ("关于缓解停车难的建议", "停车位不足，建议错时共享停车。"),
            ("关于背街小巷路灯维修的建议", "路灯不亮，夜间出行不便。"),
        ];
        let docs: Vec<Doc> = (0..23)
            .map(|i| {
                let (t, b) = texts[i % texts.len()];
                doc(i as i64 + 1, t, &format!("{b}第{i}条。"))
            })
            .collect();
        let analyser = Index::new().analyser();
        let one: Vec<_> = analyse_all(analyser, docs.clone(), 1);
        for threads in [2, 3, 8, 64] {
            let many = analyse_all(analyser, docs.clone(), threads);
            assert_eq!(many.len(), one.len());
            for (a, b) in many.iter().zip(&one) {
                assert_eq!(a.doc.id, b.doc.id, "{threads} threads keep the order");
                assert_eq!(a.counts, b.counts);
            }
        }
        let mut in_turn = Index::new();
        let mut analysed = Index::new();
        for d in docs.clone() {
            in_turn.upsert(d);
        }
        for a in analyse_all(analyser, docs, 2) {
            analysed.upsert_analysed(a);
        }
        in_turn.refresh_norms();
        analysed.refresh_norms();
        assert_eq!(in_turn.size(), analysed.size());
        let draft = ("关于加装电梯的建议", "老旧小区加装电梯");
        // The same documents with the same scores (to rounding: term ids,
        // hence the order of the sums, follow the hash maps' order).
        let a = in_turn.similar(DocKind::Proposal, draft.0, draft.1, 5, Everyone);
        let b = analysed.similar(DocKind::Proposal, draft.0, draft.1, 5, Everyone);
        assert_eq!(a.len(), 5);
        assert_eq!(a.len(), b.len());
        for x in &a {
            let y = b.iter().find(|y| y.id == x.id).unwrap();
            assert!((x.score - y.score).abs() < 1e-5, "{x:?} {y:?}");
        }
        assert!(analyse_all(analyser, Vec::new(), 2).is_empty());
    }

    pub(super) fn sample() -> Index {
        let mut index = Index::new();
        index.upsert(doc(
            1,
            "关于加快孙八砦城中村改造安置房建设的建议",
            "城中村改造后群众回迁安置房交付滞后，建议加快安置房建设进度。",
        ));
        index.upsert(doc(
            2,
            "关于进一步加强老年人居家养老服务的建议",
            "辖区老年人多，居家养老服务站点少，建议增加养老服务站和助餐点。",
        ));
        index.upsert(doc(
            3,
            "关于改善大学路小学周边交通秩序的建议",
            "上下学高峰期大学路拥堵，建议设置临时停车点并增派交警疏导。",
        ));
        index.upsert(doc(
            4,
            "关于高砦城中村改造拆迁补偿公开的建议",
            "城中村改造中拆迁补偿标准应公开，安置房分配应公平。",
        ));
        index.refresh_norms();
        index
    }

    #[test]
    fn memory_is_counted_by_part() {
        let index = sample();
        let memory = index.heap_bytes();
        let (postings, _) = index.size();
        assert!(memory.postings >= postings * 6);
        assert!(memory.documents >= 4 * std::mem::size_of::<Stored>());
        assert!(memory.term_lists >= postings);
        assert!(memory.vocabulary > 0 && memory.keys > 0);
        assert_eq!(
            memory.total(),
            memory.postings
                + memory.documents
                + memory.term_lists
                + memory.keys
                + memory.vocabulary
        );
    }

    #[test]
    fn similar_finds_the_same_topic_first() {
        let index = sample();
        let found = index.similar(
            DocKind::Proposal,
            "关于城中村改造安置房尽快交付的建议",
            "安置房迟迟不能交付，群众意见大。",
            10,
            Everyone,
        );
        let ids: Vec<i64> = found.iter().map(|s| s.id).collect();
        assert_eq!(&ids[..2], &[1, 4], "{found:?}");
        assert!(found[0].score > found[1].score);
        assert!(found.iter().all(|s| s.score > 0.0 && s.score <= 1.0 + 1e-6));
        assert!(
            !ids.contains(&2) && !ids.contains(&3),
            "only filler words are shared with 2 and 3: {found:?}"
        );
    }

    /// A rule that answers per organisation and kind lists what the same
    /// rule asked of each entry lists, in search and in similar lists, also
    /// for a snapshot's index and after a document moves organisation.
    #[test]
    fn a_rule_answered_per_organisation_lists_what_each_entry_would() {
        struct ByOrg(&'static str);
        impl Visible for ByOrg {
            fn by_org(&self, org_path: &str, kind: DocKind, public: bool) -> Option<bool> {
                Some(kind == DocKind::Proposal && public && org_path.starts_with(self.0))
            }
            // Never asked: the organisation decides (a wrong answer here
            // would show in the comparison below).
            fn entry(&self, _entry: &Entry) -> bool {
                false
            }
        }
        let each = |under: &'static str| {
            move |e: &Entry| {
                e.kind == DocKind::Proposal && e.public && e.org_path.starts_with(under)
            }
        };
        let mut index = Index::new();
        let topics = ["城中村改造安置房", "居家养老服务", "学校周边交通拥堵"];
        for id in 0..60 {
            let mut d = doc(id, topics[id as usize % 3], "群众反映强烈，建议尽快解决。");
            d.org_path = format!("/1/{}/", id % 4);
            if id % 7 == 0 {
                d.kind = DocKind::Case;
            }
            d.public = id % 5 != 0;
            index.upsert(d);
        }
        // Moved to another committee: its slot is new, its organisation too.
        let mut moved = doc(5, topics[2], "群众反映强烈。");
        moved.org_path = "/1/9/".into();
        index.upsert(moved);
        index.refresh_norms();
        let read = Index::from_snapshot(&index.to_snapshot()).unwrap();
        for index in [&index, &read] {
            for under in ["/1/", "/1/2/", "/1/9/", "/2/"] {
                for query in topics {
                    let (hits, total) = index.search(query, ByOrg(under), 0, 100);
                    let (expected, expected_total) = index.search(query, each(under), 0, 100);
                    assert_eq!((hits, total), (expected, expected_total), "{under} {query}");
                    let found = index.similar(DocKind::Proposal, query, "", 10, ByOrg(under));
                    let expected = index.similar(DocKind::Proposal, query, "", 10, each(under));
                    assert_eq!(found.len(), expected.len(), "{under} {query}");
                    for (a, b) in found.iter().zip(&expected) {
                        assert!(
                            a.id == b.id && (a.score - b.score).abs() < 1e-5,
                            "{a:?} {b:?}"
                        );
                    }
                }
            }
        }
        let (hits, _) = index.search(topics[2], ByOrg("/1/9/"), 0, 10);
        assert_eq!(hits.iter().map(|h| h.id).collect::<Vec<_>>(), vec![5]);
    }

    /// The same draft asked twice gets the same list, scores to the bit
    /// (its terms are summed in term order, not a hash map's).
    #[test]
    fn the_same_draft_gets_the_same_scores() {
        let index = sample();
        let draft = (
            "关于城中村改造安置房和居家养老的建议",
            "学校周边交通拥堵，安置房迟迟不能交付。",
        );
        let first = index.similar(DocKind::Proposal, draft.0, draft.1, 10, Everyone);
        assert!(!first.is_empty());
        for _ in 0..20 {
            let again = index.similar(DocKind::Proposal, draft.0, draft.1, 10, Everyone);
            assert_eq!(again, first);
            let every = index.similar_unpruned(DocKind::Proposal, draft.0, draft.1, 10, |_| true);
            assert_eq!(
                every,
                index.similar_unpruned(DocKind::Proposal, draft.0, draft.1, 10, |_| true)
            );
        }
    }

    #[test]
    fn term_at_a_time_equals_the_exhaustive_ranking() {
        let mut index = sample();
        let fast = index.similar(DocKind::Proposal, "城中村 养老 交通", "", 10, Everyone);
        let slow = index.similar_exhaustive(DocKind::Proposal, "城中村 养老 交通", "", 10);
        assert_eq!(
            fast.iter().map(|s| s.id).collect::<Vec<_>>(),
            slow.iter().map(|s| s.id).collect::<Vec<_>>()
        );
        for (a, b) in fast.iter().zip(&slow) {
            assert!((a.score - b.score).abs() < 1e-5);
        }
    }

    #[test]
    fn updates_and_removals_take_effect() {
        let mut index = sample();
        index.upsert(doc(3, "关于居家养老助餐的建议", "增加老年助餐点。"));
        let found = index.similar(DocKind::Proposal, "居家养老", "", 10, Everyone);
        assert!(found.iter().any(|s| s.id == 3));
        index.remove(DocKind::Proposal, 2);
        let found = index.similar(DocKind::Proposal, "居家养老", "", 10, Everyone);
        assert!(!found.iter().any(|s| s.id == 2));
        assert_eq!(index.len(), 3);
    }

    #[test]
    fn search_ranks_filters_and_highlights() {
        let index = sample();
        let (hits, total) = index.search("城中村 安置房", Everyone, 0, 10);
        assert_eq!(total, 2);
        assert_eq!(hits[0].id, 1);
        let title = highlight(
            "关于加快孙八砦城中村改造安置房建设的建议",
            &query_terms("城中村 安置房"),
            usize::MAX,
        );
        let marked: Vec<&str> = title
            .iter()
            .filter(|(_, m)| *m)
            .map(|(t, _)| t.as_str())
            .collect();
        assert!(marked.contains(&"城中村"), "{title:?}");
        let joined: String = title.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(
            joined, "关于加快孙八砦城中村改造安置房建设的建议",
            "highlighting keeps the text whole"
        );
        let (hits, total) = index.search("城中村", |d: &Entry| d.id != 1, 0, 10);
        assert_eq!(
            (total, hits[0].id),
            (1, 4),
            "the filter hides what the caller may not see"
        );
        let (hits, _) = index.search("关于 建议", Everyone, 0, 10);
        assert!(hits.is_empty(), "filler words alone find nothing");
    }

    #[test]
    fn snippets_of_long_texts_are_windows() {
        let long = format!("{}城中村改造{}", "前文".repeat(200), "后文".repeat(200));
        let pieces = highlight(&long, &["城中村".to_string()], 60);
        assert_eq!(pieces.first().unwrap().0, "…");
        assert_eq!(pieces.last().unwrap().0, "…");
        assert!(pieces.iter().any(|(t, m)| *m && t == "城中村"));
        let chars: usize = pieces.iter().map(|(t, _)| t.chars().count()).sum();
        assert!(chars <= 64, "{chars}");
    }
}
