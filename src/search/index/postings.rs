//! One term's postings: the documents holding it and the weighted count in
//! each (title words count twice).
//!
//! A term few documents hold keeps their slots and counts (six bytes a
//! posting). A term held by more than a sixth of the slots costs less as a
//! column of one byte a slot, and the common words of official writing
//! (机制, 政策, 一是…) are in nearly every proposal: as a column, they take
//! a sixth of the room, and completing a candidate's score with such a word
//! is one load instead of a search through tens of thousands of slots.

/// A column's byte for "the count is 255 or more: look in `large`".
const LARGE: u8 = u8::MAX;

#[derive(Debug, Clone)]
pub(super) enum Postings {
    /// Slots ascending, counts beside them (never 0).
    Sparse {
        slots: Vec<u32>,
        counts: Vec<u16>,
    },
    Dense(Column),
}

#[derive(Debug, Clone, Default)]
pub(super) struct Column {
    /// Per slot: 0 when the slot does not hold the term, else its count,
    /// or [`LARGE`] for a count found in `large`. Slots past the end hold 0.
    bytes: Vec<u8>,
    /// Counts of 255 and more, by slot, ascending.
    large: Vec<(u32, u16)>,
    /// How many slots hold the term.
    len: usize,
}

impl Default for Postings {
    fn default() -> Self {
        Postings::Sparse {
            slots: Vec::new(),
            counts: Vec::new(),
        }
    }
}

impl Column {
    fn count(&self, slot: u32) -> u16 {
        match self.bytes.get(slot as usize) {
            None | Some(0) => 0,
            Some(&LARGE) => self
                .large
                .binary_search_by_key(&slot, |(s, _)| *s)
                .map_or(0, |at| self.large[at].1),
            Some(byte) => u16::from(*byte),
        }
    }

    /// Add `contribution(slot, count)` to every slot's score, where a slot
    /// not holding the term has count 0 and `contribution` must give 0 for
    /// it: the whole column without a branch (the few counts of 255 and more
    /// are added after), faster than skipping the absent slots one by one.
    pub(super) fn add_to_every_slot(
        &self,
        scores: &mut [f32],
        contribution: impl Fn(u32, u16) -> f32,
    ) {
        for (slot, (score, byte)) in scores.iter_mut().zip(&self.bytes).enumerate() {
            let count = if *byte == LARGE { 0 } else { *byte };
            *score += contribution(slot as u32, u16::from(count));
        }
        for (slot, count) in &self.large {
            if let Some(score) = scores.get_mut(*slot as usize) {
                *score += contribution(*slot, *count);
            }
        }
    }

    fn set(&mut self, slot: u32, count: u16) {
        let at = slot as usize;
        if self.bytes.len() <= at {
            self.bytes.resize(at + 1, 0);
        }
        self.bytes[at] = match u8::try_from(count) {
            Ok(byte) if byte != LARGE => byte,
            _ => {
                self.large.push((slot, count));
                LARGE
            }
        };
        self.len += 1;
    }
}

impl Postings {
    /// How many slots hold the term (live or not).
    pub(super) fn len(&self) -> usize {
        match self {
            Postings::Sparse { slots, .. } => slots.len(),
            Postings::Dense(column) => column.len,
        }
    }

    /// Add `slot`, which is past every slot held so far, with `count` (> 0).
    pub(super) fn push(&mut self, slot: u32, count: u16) {
        match self {
            Postings::Sparse { slots, counts } => {
                slots.push(slot);
                counts.push(count);
            }
            Postings::Dense(column) => column.set(slot, count),
        }
    }

    /// Each (slot, count), slots ascending.
    #[inline]
    pub(super) fn for_each(&self, mut f: impl FnMut(u32, u16)) {
        match self {
            Postings::Sparse { slots, counts } => {
                for (slot, count) in slots.iter().zip(counts) {
                    f(*slot, *count);
                }
            }
            Postings::Dense(column) => {
                for (slot, byte) in column.bytes.iter().enumerate() {
                    match *byte {
                        0 => {}
                        LARGE => f(slot as u32, column.count(slot as u32)),
                        count => f(slot as u32, u16::from(count)),
                    }
                }
            }
        }
    }

    /// The count at `slot`, 0 when the slot does not hold the term.
    pub(super) fn count(&self, slot: u32) -> u16 {
        match self {
            Postings::Sparse { slots, counts } => {
                slots.binary_search(&slot).map_or(0, |at| counts[at])
            }
            Postings::Dense(column) => column.count(slot),
        }
    }

    /// For each item (ascending by `slot_of`) whose slot holds the term,
    /// `f(item, count)`: a galloping search from the last place found, or
    /// one load a slot for a column.
    #[inline]
    pub(super) fn for_each_held<T>(
        &self,
        items: &mut [T],
        slot_of: impl Fn(&T) -> u32,
        mut f: impl FnMut(&mut T, u16),
    ) {
        match self {
            // Fewer postings than items: walk the postings, seeking the items.
            Postings::Sparse { slots, counts } if slots.len() < items.len() => {
                let mut at = 0;
                for (slot, count) in slots.iter().zip(counts) {
                    at = seek_by(items, at, *slot, &slot_of);
                    if at == items.len() {
                        break;
                    }
                    if slot_of(&items[at]) == *slot {
                        f(&mut items[at], *count);
                    }
                }
            }
            Postings::Sparse { slots, counts } => {
                let mut at = 0;
                for item in items {
                    let slot = slot_of(item);
                    at = seek(slots, at, slot);
                    if at == slots.len() {
                        break;
                    }
                    if slots[at] == slot {
                        f(item, counts[at]);
                    }
                }
            }
            Postings::Dense(column) => {
                for item in items {
                    let count = column.count(slot_of(item));
                    if count > 0 {
                        f(item, count);
                    }
                }
            }
        }
    }

    /// Become a column when that takes less room than the postings, among
    /// `slot_count` slots (a column never goes back: the term stays common).
    pub(super) fn densify(&mut self, slot_count: usize) {
        let Postings::Sparse { slots, counts } = self else {
            return;
        };
        if slots.len() * 6 <= slot_count {
            return;
        }
        let mut column = Column {
            bytes: vec![0; slot_count.max(slots.last().map_or(0, |s| *s as usize + 1))],
            large: Vec::new(),
            len: 0,
        };
        for (slot, count) in slots.iter().zip(counts.iter()) {
            column.set(*slot, *count);
        }
        *self = Postings::Dense(column);
    }

    pub(super) fn is_dense(&self) -> bool {
        matches!(self, Postings::Dense(_))
    }

    /// Give back the room grown into while the index was built.
    pub(super) fn shrink_to_fit(&mut self) {
        match self {
            Postings::Sparse { slots, counts } => {
                slots.shrink_to_fit();
                counts.shrink_to_fit();
            }
            Postings::Dense(column) => {
                column.bytes.shrink_to_fit();
                column.large.shrink_to_fit();
            }
        }
    }

    pub(super) fn heap_bytes(&self) -> usize {
        match self {
            Postings::Sparse { slots, counts } => slots.capacity() * 4 + counts.capacity() * 2,
            Postings::Dense(column) => column.bytes.capacity() + column.large.capacity() * 8,
        }
    }
}

/// Scores summed term by term over the slots, and which slots have one:
/// listed while only sparse postings have been read, all of them once a
/// column has been (then nearly every slot has, and listing them would
/// cost more than looking at all).
pub(super) struct Accumulator {
    pub(super) scores: Vec<f32>,
    touched: Option<Vec<u32>>,
}

impl Accumulator {
    pub(super) fn new(slot_count: usize) -> Self {
        Accumulator {
            scores: vec![0.0; slot_count],
            touched: Some(Vec::new()),
        }
    }

    /// Add `contribution(slot, count)` for every slot holding the term;
    /// `contribution` must give more than 0 for a count above 0, and 0 for
    /// a count of 0 (a column adds it to every slot).
    #[inline]
    pub(super) fn add(&mut self, postings: &Postings, contribution: impl Fn(u32, u16) -> f32) {
        let scores = &mut self.scores;
        match (postings, &mut self.touched) {
            (Postings::Dense(column), _) => {
                column.add_to_every_slot(scores, contribution);
                self.touched = None;
            }
            (postings, Some(touched)) => postings.for_each(|slot, count| {
                let score = &mut scores[slot as usize];
                if *score == 0.0 {
                    touched.push(slot);
                }
                *score += contribution(slot, count);
            }),
            (postings, None) => postings.for_each(|slot, count| {
                scores[slot as usize] += contribution(slot, count);
            }),
        }
    }

    /// How many slots hold a score (every slot once a column was read).
    pub(super) fn found(&self) -> usize {
        self.touched.as_ref().map_or(self.scores.len(), Vec::len)
    }

    /// The slots that may have a score (some of them 0 once every slot is).
    pub(super) fn slots(&self) -> impl Iterator<Item = u32> + '_ {
        let (listed, all): (&[u32], usize) = match &self.touched {
            Some(touched) => (touched, 0),
            None => (&[], self.scores.len()),
        };
        listed.iter().copied().chain(0..all as u32)
    }

    /// The slots with a score for which `keep(slot, score)` holds.
    pub(super) fn kept(&self, mut keep: impl FnMut(u32, f32) -> bool) -> Vec<u32> {
        self.slots()
            .filter(|slot| {
                let score = self.scores[*slot as usize];
                score > 0.0 && keep(*slot, score)
            })
            .collect()
    }
}

/// The first position at or after `from` whose slot is at least `target`
/// (galloping: candidates are visited in slot order, often close together).
fn seek(slots: &[u32], from: usize, target: u32) -> usize {
    seek_by(slots, from, target, |slot| *slot)
}

/// [`seek`] over items ascending by `slot_of`.
#[inline]
fn seek_by<T>(items: &[T], from: usize, target: u32, slot_of: impl Fn(&T) -> u32) -> usize {
    let mut step = 1;
    let mut low = from;
    let mut high = from;
    while high < items.len() && slot_of(&items[high]) < target {
        low = high + 1;
        high += step;
        step *= 2;
    }
    let high = high.min(items.len());
    low + items[low..high].partition_point(|item| slot_of(item) < target)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn pairs(postings: &Postings) -> Vec<(u32, u16)> {
        let mut all = Vec::new();
        postings.for_each(|slot, count| all.push((slot, count)));
        all
    }

    /// Both forms hold the same postings and answer every question alike,
    /// counts of 254, 255 and more included.
    #[test]
    fn a_column_answers_as_the_postings_it_replaces() {
        let held: Vec<(u32, u16)> = vec![
            (0, 1),
            (3, 2),
            (4, 254),
            (9, 255),
            (10, 7),
            (17, 300),
            (18, u16::MAX),
            (30, 1),
        ];
        let mut sparse = Postings::default();
        for (slot, count) in &held {
            sparse.push(*slot, *count);
        }
        let mut dense = sparse.clone();
        dense.densify(40);
        assert!(dense.is_dense() && !sparse.is_dense());
        for postings in [&sparse, &dense] {
            assert_eq!(pairs(postings), held);
            assert_eq!(postings.len(), held.len());
            for slot in 0..45 {
                let expected = held.iter().find(|(s, _)| *s == slot).map_or(0, |p| p.1);
                assert_eq!(postings.count(slot), expected, "slot {slot}");
            }
            // More items than postings (the postings walked) and fewer
            // (the items walked).
            for step in [3, 11] {
                let mut items: Vec<(u32, u16)> = (0..45).step_by(step).map(|s| (s, 0)).collect();
                postings.for_each_held(&mut items, |i| i.0, |i, count| i.1 = count);
                for (slot, count) in items {
                    assert_eq!(count, postings.count(slot), "slot {slot}");
                }
            }
        }
        // The whole column added at once: the same sums as each posting.
        let contribution = |slot: u32, count: u16| f32::from(count) * (1.0 + slot as f32);
        let mut each = vec![0.5f32; 45];
        sparse.for_each(|slot, count| each[slot as usize] += contribution(slot, count));
        let mut every = vec![0.5f32; 45];
        if let Postings::Dense(column) = &dense {
            column.add_to_every_slot(&mut every, contribution);
        }
        assert_eq!(every, each);
        // Growing after becoming a column: past its end, and a large count.
        sparse.push(50, 3);
        sparse.push(51, 1000);
        dense.push(50, 3);
        dense.push(51, 1000);
        assert_eq!(pairs(&dense), pairs(&sparse));
        assert_eq!(dense.count(51), 1000);
        assert_eq!(dense.len(), held.len() + 2);
    }

    #[test]
    fn only_a_common_term_becomes_a_column() {
        let mut rare = Postings::default();
        for slot in 0..10 {
            rare.push(slot * 10, 1);
        }
        rare.densify(60);
        assert!(!rare.is_dense(), "10 postings among 60 slots stay postings");
        rare.densify(59);
        assert!(
            rare.is_dense(),
            "10 postings among 59 slots cost more than a column"
        );
        let column = rare.heap_bytes();
        rare.shrink_to_fit();
        assert!(rare.heap_bytes() <= column && rare.heap_bytes() >= 91);
    }

    #[test]
    fn seeking_finds_the_first_slot_not_below() {
        let slots = [2, 4, 4, 9, 20, 21, 22, 40];
        for target in 0..45 {
            for from in 0..slots.len() {
                let expected = from + slots[from..].iter().take_while(|s| **s < target).count();
                assert_eq!(seek(&slots, from, target), expected, "{from} {target}");
            }
        }
    }
}
