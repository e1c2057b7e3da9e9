//! The collector behind a search: in one pass over the matching passages it counts
//! them per document (from the `doc_ix` fast field, into a table by document number)
//! and keeps the passages of the page asked for, ordered by relevance or by document
//! (the document's place in document order and the turn's ordinal, both from fast
//! fields). No stored field is read; the counts per participant and wave come from the
//! per-document counts through the catalog.

use super::catalog::NO_RANK;
use std::cmp::Ordering;
use std::sync::Arc;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

/// A matching passage and where it goes in the order asked for.
#[derive(Debug, Clone, Copy)]
pub(super) struct Passage {
    pub(super) score: Score,
    /// Its document's place in document order; [`NO_RANK`] for memos and codes.
    pub(super) rank: u32,
    /// Its document's number (turns only).
    pub(super) ix: Option<u64>,
    pub(super) ordinal: u64,
    pub(super) addr: DocAddress,
}

/// How the kept passages are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Order {
    /// Best score first; equal scores in document order.
    Relevance,
    /// Document order; memos and code descriptions are kept apart, all of them.
    Document,
}

impl Order {
    fn compare(self, a: &Passage, b: &Passage) -> Ordering {
        let place = |p: &Passage| (p.rank, p.ordinal, p.addr.segment_ord, p.addr.doc_id);
        match self {
            Order::Relevance => b.score.total_cmp(&a.score).then_with(|| place(a).cmp(&place(b))),
            Order::Document => place(a).cmp(&place(b)),
        }
    }
}

/// Counts every matching passage and keeps the first `keep` in `order` (all when `None`).
pub(super) struct Tally {
    /// Document number → place in document order.
    pub(super) ranks: Arc<Vec<u32>>,
    pub(super) order: Order,
    pub(super) keep: Option<usize>,
}

/// What a [`Tally`] found.
#[derive(Debug, Default)]
pub(super) struct Tallied {
    /// Matching passages by document number.
    pub(super) per_document: Vec<u32>,
    /// Matching passages in all.
    pub(super) passages: usize,
    /// Matching memos and code descriptions.
    pub(super) other: usize,
    /// The first passages in order (turns, and in relevance order memos and codes too).
    pub(super) kept: Vec<Passage>,
    /// In document order: every matching memo and code description.
    pub(super) others: Vec<Passage>,
}

/// Keeps the first `keep` passages of a stream: collects up to twice that many, then
/// cuts back to the best `keep`, so each passage costs a constant on average. Once a cut
/// has been made, a passage that comes after the last one kept is let go at once: it can
/// never be among the first `keep`.
struct Best {
    order: Order,
    keep: Option<usize>,
    items: Vec<Passage>,
    /// After a cut, the last passage kept (in `order`).
    last_kept: Option<Passage>,
}

impl Best {
    fn new(order: Order, keep: Option<usize>) -> Best {
        Best { order, keep, items: Vec::new(), last_kept: None }
    }

    /// Whether a passage is certainly let go, from its score (in relevance order) or its
    /// document's place (in document order) alone: so its turn's ordinal need not be read.
    fn lets_go(&self, score: Score, rank: u32) -> bool {
        if self.keep == Some(0) {
            return true;
        }
        let Some(last) = &self.last_kept else { return false };
        match self.order {
            Order::Relevance => score.total_cmp(&last.score) == Ordering::Less,
            Order::Document => rank > last.rank,
        }
    }

    fn push(&mut self, p: Passage) {
        if self.keep == Some(0) || self.last_kept.is_some_and(|last| self.order.compare(&p, &last) != Ordering::Less) {
            return;
        }
        self.items.push(p);
        if let Some(k) = self.keep
            && self.items.len() >= 2 * k.max(1)
        {
            self.cut(k);
        }
    }

    fn cut(&mut self, k: usize) {
        let order = self.order;
        if self.items.len() > k {
            if k > 0 {
                self.items.select_nth_unstable_by(k - 1, |a, b| order.compare(a, b));
                self.last_kept = Some(self.items[k - 1]);
            }
            self.items.truncate(k);
        }
    }

    fn finish(mut self) -> Vec<Passage> {
        if let Some(k) = self.keep {
            self.cut(k);
        }
        let order = self.order;
        self.items.sort_by(|a, b| order.compare(a, b));
        self.items
    }
}

/// A [`Tally`] on one segment.
pub(super) struct SegmentTally {
    segment: SegmentOrdinal,
    doc_ix: Column<u64>,
    ordinal: Column<u64>,
    ranks: Arc<Vec<u32>>,
    found: Tallied,
    best: Best,
}

impl SegmentCollector for SegmentTally {
    type Fruit = Tallied;

    fn collect(&mut self, doc: DocId, score: Score) {
        let ix = self.doc_ix.first(doc);
        self.found.passages += 1;
        let rank = match ix {
            Some(ix) => {
                if let Some(n) = usize::try_from(ix).ok().and_then(|i| self.found.per_document.get_mut(i)) {
                    *n += 1;
                }
                usize::try_from(ix).ok().and_then(|i| self.ranks.get(i).copied()).unwrap_or(NO_RANK)
            }
            None => {
                self.found.other += 1;
                NO_RANK
            }
        };
        let other = ix.is_none() && self.best.order == Order::Document;
        if !other && self.best.lets_go(score, rank) {
            return;
        }
        let ordinal = self.ordinal.first(doc).unwrap_or(0);
        let passage = Passage { score, rank, ix, ordinal, addr: DocAddress::new(self.segment, doc) };
        if other {
            self.found.others.push(passage);
        } else {
            self.best.push(passage);
        }
    }

    fn harvest(self) -> Tallied {
        Tallied { kept: self.best.finish(), ..self.found }
    }
}

impl Collector for Tally {
    type Fruit = Tallied;
    type Child = SegmentTally;

    fn for_segment(&self, segment: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<SegmentTally> {
        Ok(SegmentTally {
            segment,
            doc_ix: reader.fast_fields().u64("doc_ix")?,
            ordinal: reader.fast_fields().u64("ordinal")?,
            ranks: self.ranks.clone(),
            found: Tallied { per_document: vec![0; self.ranks.len()], ..Default::default() },
            best: Best::new(self.order, self.keep),
        })
    }

    fn requires_scoring(&self) -> bool {
        self.order == Order::Relevance
    }

    fn merge_fruits(&self, fruits: Vec<Tallied>) -> tantivy::Result<Tallied> {
        let mut all = Tallied { per_document: vec![0; self.ranks.len()], ..Default::default() };
        let mut best = Best::new(self.order, self.keep);
        for f in fruits {
            for (total, n) in all.per_document.iter_mut().zip(&f.per_document) {
                *total += n;
            }
            all.passages += f.passages;
            all.other += f.other;
            all.others.extend(f.others);
            for p in f.kept {
                best.push(p);
            }
        }
        all.kept = best.finish();
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(score: f32, rank: u32, ordinal: u64, doc: u32) -> Passage {
        Passage { score, rank, ix: Some(rank as u64), ordinal, addr: DocAddress::new(0, doc) }
    }

    #[test]
    fn best_keeps_the_first_in_order_whatever_comes_in() {
        let all: Vec<Passage> =
            (0..1000u32).map(|i| p(((i * 37) % 11) as f32, (i * 7) % 13, (i % 5) as u64, i)).collect();
        for order in [Order::Relevance, Order::Document] {
            let mut sorted = all.clone();
            sorted.sort_by(|a, b| order.compare(a, b));
            for keep in [Some(0), Some(1), Some(7), Some(100), Some(500), None] {
                let want: Vec<u32> = sorted.iter().take(keep.unwrap_or(usize::MAX)).map(|x| x.addr.doc_id).collect();
                // Every passage pushed; and, as the collector does, those `lets_go` names
                // let go before their ordinal is read (none of them may be wanted).
                let mut best = Best::new(order, keep);
                let mut early = Best::new(order, keep);
                for x in all.iter().rev() {
                    best.push(*x);
                    if early.lets_go(x.score, x.rank) {
                        assert!(!want.contains(&x.addr.doc_id), "{order:?} {keep:?}: {x:?} was let go");
                    } else {
                        early.push(*x);
                    }
                }
                let got: Vec<u32> = best.finish().iter().map(|x| x.addr.doc_id).collect();
                assert_eq!(got, want, "{order:?} {keep:?}");
                let got: Vec<u32> = early.finish().iter().map(|x| x.addr.doc_id).collect();
                assert_eq!(got, want, "{order:?} {keep:?}, letting go early");
            }
        }
    }
}
