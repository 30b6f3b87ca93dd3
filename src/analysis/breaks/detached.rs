//! `detached_root`: a root started inside a request of the same process, in another trace (a
//! goroutine started with `context.Background()`).
//!
//! Only processes that serve requests and have such roots are looked at. For each, one sweep
//! in start order keeps the spans open at the current root's start: a heap of end times
//! removes the finished ones, ordered sets per trace keep the open ones by tightness, and a
//! set of each trace's tightest gives the tightest of another trace than the root's. A root
//! costs a few logarithmic steps, however many spans of its own trace are open.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::{Break, BreakKind, Ctx, Facts, brk, name, short_trace};
use crate::analysis::links::is_linked_root;
use crate::model::{Span, SpanKind, Store, ops};

/// Roots of these kinds may be detached: an unexpected start of work, not an incoming request.
fn may_be_detached(s: &Span) -> bool {
    s.parent_id == 0
        && matches!(
            s.kind,
            SpanKind::Internal | SpanKind::Client | SpanKind::Producer | SpanKind::Unspecified
        )
}

/// Spans of these kinds may hold a detached root: the request (or its work) it started during.
fn may_hold(s: &Span) -> bool {
    matches!(
        s.kind,
        SpanKind::Server | SpanKind::Consumer | SpanKind::Internal
    )
}

/// How tight an open holder is: (duration, later start first, span index, place in the
/// sweep's holders); the smallest is the tightest.
type Key = (u64, Reverse<u64>, u32, usize);

/// What the sweep reads of a span, gathered in store order: sorting and sweeping by index
/// would fetch every span from far away, at every comparison.
#[derive(Clone, Copy)]
struct Timed {
    start: u64,
    end: u64,
    trace: u128,
    idx: u32,
}

impl Timed {
    fn of(s: &Span, idx: usize) -> Self {
        Timed {
            start: s.start,
            end: s.end,
            trace: s.trace_id,
            idx: idx as u32,
        }
    }
}

pub(super) fn find(ctx: &Ctx) -> Vec<Break> {
    let store = ctx.store;
    let nproc = store.processes.len();
    let mut serves = vec![false; nproc];
    let mut roots: Vec<Vec<Timed>> = vec![Vec::new(); nproc];
    for (i, s) in store.spans.iter().enumerate() {
        let p = store.process_of(i as u32) as usize;
        if s.kind.is_incoming()
            && let Some(f) = serves.get_mut(p)
        {
            *f = true;
        }
        // A linked root started its trace on purpose (spec §5 "Span links").
        if may_be_detached(s)
            && !is_linked_root(store, i as u32)
            && let Some(r) = roots.get_mut(p)
        {
            r.push(Timed::of(s, i));
        }
    }
    // Spans that may hold a root, gathered only for the processes worth a sweep.
    let mut holders: Vec<Vec<Timed>> = vec![Vec::new(); nproc];
    let wanted: Vec<bool> = (0..nproc)
        .map(|p| serves[p] && !roots[p].is_empty())
        .collect();
    for (i, s) in store.spans.iter().enumerate() {
        let p = store.process_of(i as u32) as usize;
        if may_hold(s)
            && wanted.get(p) == Some(&true)
            && let Some(h) = holders.get_mut(p)
        {
            h.push(Timed::of(s, i));
        }
    }
    roots
        .into_par_iter()
        .zip(holders)
        .filter(|(r, h)| !r.is_empty() && !h.is_empty())
        .flat_map_iter(|(r, h)| sweep(r, h))
        .collect()
}

/// One process: every root of `roots` checked against the spans of `holders` open at its start.
fn sweep(mut roots: Vec<Timed>, mut holders: Vec<Timed>) -> Vec<Break> {
    roots.sort_unstable_by_key(|r| (r.start, r.idx));
    holders.sort_unstable_by_key(|h| (h.start, h.idx));
    // Tightest first: shortest, then latest start, then lowest index (unique), then the
    // holder's place in `holders`.
    let key = |j: usize| {
        let h = &holders[j];
        (h.end.saturating_sub(h.start), Reverse(h.start), h.idx, j)
    };
    let mut next = 0;
    // Ends of the holders started so far: those that ended before a root leave the open set.
    let mut by_end: BinaryHeap<Reverse<(u64, usize)>> = BinaryHeap::new();
    // The open holders of each trace by tightness, and the tightest of each trace: the
    // tightest of another trace than the root's is among the first two, however many of its
    // own trace are open, and its own trace's count is the size of one set.
    let mut open: FxHashMap<u128, BTreeSet<Key>> = FxHashMap::default();
    let mut best: BTreeSet<(Key, u128)> = BTreeSet::new();
    let mut out = Vec::new();
    for r in roots {
        let x = r.start;
        while let Some(h) = holders.get(next)
            && h.start <= x
        {
            ops::count(1);
            by_end.push(Reverse((h.end, next)));
            let set = open.entry(h.trace).or_default();
            let old = set.first().copied();
            let k = key(next);
            set.insert(k);
            if old.is_none_or(|o| k < o) {
                if let Some(o) = old {
                    best.remove(&(o, h.trace));
                }
                best.insert((k, h.trace));
            }
            next += 1;
        }
        while let Some(&Reverse((end, j))) = by_end.peek()
            && end < x
        {
            by_end.pop();
            ops::count(1);
            let trace = holders[j].trace;
            let k = key(j);
            if let Some(set) = open.get_mut(&trace) {
                set.remove(&k);
                if best.remove(&(k, trace))
                    && let Some(&m) = set.first()
                {
                    best.insert((m, trace));
                }
                if set.is_empty() {
                    open.remove(&trace);
                }
            }
        }
        // Open spans of other traces: the root's own are no candidates.
        let own_open = open.get(&r.trace).map_or(0, BTreeSet::len);
        let candidates = by_end.len().saturating_sub(own_open);
        let found = best
            .iter()
            .inspect(|_| ops::count(1))
            .find(|(_, t)| *t != r.trace)
            .map(|&((_, _, h, _), _)| h);
        let Some(p) = found else {
            continue;
        };
        out.push(brk(
            BreakKind::DetachedRoot,
            r.idx,
            Some(p),
            Facts::Candidates(candidates as u32),
        ));
    }
    out
}

pub(super) fn message(store: &Store, b: &Break) -> String {
    let (r, p) = (b.span, b.related.unwrap_or(b.span));
    let candidates = match b.facts {
        Facts::Candidates(n) => n,
        _ => 0,
    };
    format!(
        "{} started a new trace \"{}\" inside \"{}\" (trace {}): a goroutine started \
         without the request context? ({candidates} candidate parent{})",
        store.service_name(r),
        name(store, r),
        name(store, p),
        short_trace(store.span(p).trace_id),
        if candidates == 1 { "" } else { "s" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::testkit::{Kit, idx};

    /// One serving process with n/2 overlapping INTERNAL roots in one trace (each may hold the
    /// next) and one long request of another trace around them all: each root must find that
    /// request past the open spans of its own trace.
    fn own_trace_steps(n: u64) -> u64 {
        let (mut kit, [p]) = Kit::with_services([("api", "p1")]);
        kit.span(p, 1, 1, 0, (0, 10 * n), SpanKind::Server, "GET /", &[]);
        for k in 0..n / 2 {
            kit.span(
                p,
                2,
                k + 1,
                0,
                (k + 1, 5 * n),
                SpanKind::Internal,
                "job",
                &[],
            );
        }
        let store = kit.store();
        let (breaks, steps) = super::super::find_counted(&store, find);
        assert_eq!(breaks.len() as u64, n / 2);
        let request = idx(&store, 1, 1);
        assert!(breaks.iter().all(|b| b.related == Some(request)));
        let message = breaks[0].message(&store);
        assert!(message.ends_with("(1 candidate parent)"), "{message}");
        steps
    }

    #[test]
    fn many_open_spans_of_the_roots_own_trace_cost_n_log_n() {
        ops::assert_steps_n_log_n(
            "detached roots among open spans of their own trace",
            own_trace_steps,
        );
    }
}
