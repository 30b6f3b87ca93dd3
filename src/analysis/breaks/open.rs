//! The request spans open at a moving time, tightest first, per trace: which request of
//! another trace than a given one was running at that moment. Times only move forward, so a
//! sweep over the spans sorted by start answers each question in a few logarithmic steps.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};

use rustc_hash::FxHashMap;

use crate::model::{Span, ops};

/// What the sweep reads of a span, gathered in store order: sorting and sweeping by index
/// would fetch every span from far away, at every comparison.
#[derive(Clone, Copy)]
pub(super) struct Timed {
    pub start: u64,
    pub end: u64,
    pub trace: u128,
    pub idx: u32,
}

impl Timed {
    pub fn of(s: &Span, idx: u32) -> Self {
        Timed {
            start: s.start,
            end: s.end,
            trace: s.trace_id,
            idx,
        }
    }
}

/// How tight an open span is: (duration, later start first, span index); the smallest is the
/// tightest, and the index makes every key unique.
type Key = (u64, Reverse<u64>, u32);

fn key(s: &Timed) -> Key {
    (s.end.saturating_sub(s.start), Reverse(s.start), s.idx)
}

pub(super) struct OpenSpans {
    /// Sorted by start; `spans[..next]` have started.
    spans: Vec<Timed>,
    next: usize,
    /// Ends of the started spans still held: those that ended before the current time leave.
    by_end: BinaryHeap<Reverse<(u64, usize)>>,
    /// The open spans of each trace by tightness, and the tightest of each trace: the
    /// tightest of another trace than a given one is among the first two of `best`, however
    /// many spans of that trace are open.
    open: FxHashMap<u128, BTreeSet<Key>>,
    best: BTreeSet<(Key, u128)>,
}

impl OpenSpans {
    pub fn new(mut spans: Vec<Timed>) -> Self {
        spans.sort_unstable_by_key(|s| (s.start, s.idx));
        OpenSpans {
            spans,
            next: 0,
            by_end: BinaryHeap::new(),
            open: FxHashMap::default(),
            best: BTreeSet::new(),
        }
    }

    /// Moves to time `t` (never backwards): the spans with start ≤ t ≤ end are open.
    pub fn advance(&mut self, t: u64) {
        while let Some(s) = self.spans.get(self.next)
            && s.start <= t
        {
            ops::count(1);
            let (k, trace) = (key(s), s.trace);
            self.by_end.push(Reverse((s.end, self.next)));
            let set = self.open.entry(trace).or_default();
            let old = set.first().copied();
            set.insert(k);
            if old.is_none_or(|o| k < o) {
                if let Some(o) = old {
                    self.best.remove(&(o, trace));
                }
                self.best.insert((k, trace));
            }
            self.next += 1;
        }
        while let Some(&Reverse((end, j))) = self.by_end.peek()
            && end < t
        {
            self.by_end.pop();
            ops::count(1);
            let s = &self.spans[j];
            let (k, trace) = (key(s), s.trace);
            if let Some(set) = self.open.get_mut(&trace) {
                set.remove(&k);
                if self.best.remove(&(k, trace))
                    && let Some(&m) = set.first()
                {
                    self.best.insert((m, trace));
                }
                if set.is_empty() {
                    self.open.remove(&trace);
                }
            }
        }
    }

    /// The tightest open span of another trace than `trace` (its store index).
    pub fn tightest_not_in(&self, trace: u128) -> Option<u32> {
        self.best
            .iter()
            .inspect(|_| ops::count(1))
            .find(|(_, t)| *t != trace)
            .map(|&((_, _, idx), _)| idx)
    }
}
