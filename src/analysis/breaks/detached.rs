//! `detached_root`: a root started inside a request of the same process, in another trace (a
//! goroutine started with `context.Background()`).
//!
//! Only processes that serve requests and have such roots are looked at. For each, one sweep
//! in start order keeps the spans open at the current root's start: a heap of end times
//! counts the finished ones, and a heap by duration (finished ones dropped when they surface)
//! gives the tightest. A root costs a few logarithmic steps plus the spans of its own trace
//! open at that moment, never a scan of all pairs.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rayon::prelude::*;

use super::{Break, BreakKind, Ctx, brk, short_trace};
use crate::model::{Span, SpanKind};

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
        if may_be_detached(s)
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
        .flat_map_iter(|(r, h)| sweep(ctx, r, h))
        .collect()
}

/// One process: every root of `roots` checked against the spans of `holders` open at its start.
fn sweep(ctx: &Ctx, mut roots: Vec<Timed>, mut holders: Vec<Timed>) -> Vec<Break> {
    let store = ctx.store;
    roots.sort_unstable_by_key(|r| (r.start, r.idx));
    holders.sort_unstable_by_key(|h| (h.start, h.idx));
    // Tightest first: shortest, then latest start, then lowest index (unique, so the end and
    // trace after it never decide the order).
    let key = |h: &Timed| {
        Reverse((
            h.end.saturating_sub(h.start),
            Reverse(h.start),
            h.idx,
            h.end,
            h.trace,
        ))
    };
    let mut next = 0;
    // Ends of the holders started so far, to count those that finished before a root.
    let mut by_end: BinaryHeap<Reverse<u64>> = BinaryHeap::new();
    let mut ended = 0usize;
    // Started holders by tightness. Finished ones are dropped lazily when they come to the
    // top: roots come in start order, so a holder that ended before one root stays ended.
    let mut open = BinaryHeap::new();
    let mut own = Vec::new();
    let mut out = Vec::new();
    for r in roots {
        let x = r.start;
        while let Some(h) = holders.get(next)
            && h.start <= x
        {
            by_end.push(Reverse(h.end));
            open.push(key(h));
            next += 1;
        }
        while by_end.peek().is_some_and(|&Reverse(end)| end < x) {
            by_end.pop();
            ended += 1;
        }
        let own_open = own_trace_open(ctx, r.idx, x);
        let candidates = (next - ended).saturating_sub(own_open);
        // The tightest open holder of another trace; open ones of the root's own trace are
        // set aside and put back.
        let mut found = None;
        while let Some(top) = open.peek().copied() {
            let Reverse((_, _, h, end, trace)) = top;
            if end < x {
                open.pop();
            } else if trace == r.trace {
                own.push(top);
                open.pop();
            } else {
                found = Some((h, trace));
                break;
            }
        }
        open.extend(own.drain(..));
        let Some((p, p_trace)) = found else {
            continue;
        };
        out.push(brk(
            BreakKind::DetachedRoot,
            r.idx,
            Some(p),
            format!(
                "{} started a new trace \"{}\" inside \"{}\" (trace {}): a goroutine started \
                 without the request context? ({candidates} candidate parent{})",
                store.service_name(r.idx),
                ctx.name(r.idx),
                ctx.name(p),
                short_trace(p_trace),
                if candidates == 1 { "" } else { "s" }
            ),
        ));
    }
    out
}

/// How many spans of the root's own trace and process are open at `x` (they sit in the open
/// set but are no candidates). The trace's spans are sorted by start, so the scan stops at `x`.
fn own_trace_open(ctx: &Ctx, r: u32, x: u64) -> usize {
    let store = ctx.store;
    let Some(t) = store
        .index
        .span_trace
        .get(r as usize)
        .and_then(|&t| store.index.traces.get(t as usize))
    else {
        return 0;
    };
    let process = store.process_of(r);
    t.range()
        .map(|k| k as u32)
        .take_while(|&k| store.span(k).start <= x)
        .filter(|&k| {
            let s = store.span(k);
            may_hold(s) && s.end >= x && store.process_of(k) == process
        })
        .count()
}
