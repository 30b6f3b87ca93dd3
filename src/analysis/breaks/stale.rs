//! `stale_parent`: in one process, a child that started after its parent had ended. A pooled
//! goroutine kept the context of the request that started it and parents later requests'
//! work to that old span, in the old trace.
//!
//! Finding the stale children is one pass over the spans with their parents. Only the
//! processes that have some are swept for the request they probably belonged to: their SERVER
//! and CONSUMER spans by start (`OpenSpans`), the children by start, each child a few
//! logarithmic steps.

use std::fmt::Write as _;

use rayon::prelude::*;

use super::open::{OpenSpans, Timed};
use super::{Break, BreakKind, Ctx, Facts, brk, name, short_trace};
use crate::model::{Span, SpanKind, Store};

/// How long after its parent's end `child` (of the parent's process) started, when that is
/// past the tolerance. Not for incoming work: a SERVER or CONSUMER child took its parent from
/// the request or message that carried it, whatever the sender did meanwhile (a browser
/// following a redirect, a message delivered late). Not under messaging spans either: a
/// PRODUCER's message is handled whenever it is delivered, and the messages a CONSUMER span
/// received (a Kafka poll) are processed after it returned.
fn late_start(ctx: &Ctx, child: &Span, parent: &Span) -> Option<u64> {
    if child.kind.is_incoming() || matches!(parent.kind, SpanKind::Producer | SpanKind::Consumer) {
        return None;
    }
    let gap = child.start.saturating_sub(parent.end);
    (gap > ctx.tolerance).then_some(gap)
}

pub(super) fn find(ctx: &Ctx) -> Vec<Break> {
    let store = ctx.store;
    let found: Vec<(u32, Timed, u64)> = (0..store.spans.len() as u32)
        .into_par_iter()
        .filter_map(|i| {
            let p = store.parent(i)?;
            let process = store.process_of(i);
            if process != store.process_of(p) {
                return None;
            }
            let child = store.span(i);
            let gap = late_start(ctx, child, store.span(p))?;
            Some((process, Timed::of(child, i), gap))
        })
        .collect();
    if found.is_empty() {
        return Vec::new();
    }
    let nproc = store.processes.len();
    let mut stale: Vec<Vec<(Timed, u64)>> = vec![Vec::new(); nproc];
    for (process, child, gap) in found {
        if let Some(v) = stale.get_mut(process as usize) {
            v.push((child, gap));
        }
    }
    // The request spans, only of the processes with stale children.
    let mut requests: Vec<Vec<Timed>> = vec![Vec::new(); nproc];
    for (i, s) in store.spans.iter().enumerate() {
        let process = store.process_of(i as u32) as usize;
        if s.kind.is_incoming()
            && stale.get(process).is_some_and(|v| !v.is_empty())
            && let Some(r) = requests.get_mut(process)
        {
            r.push(Timed::of(s, i as u32));
        }
    }
    stale
        .into_par_iter()
        .zip(requests)
        .filter(|(c, _)| !c.is_empty())
        .flat_map_iter(|(c, r)| sweep(c, r))
        .collect()
}

/// One process: each stale child and the tightest request of another trace open at its start.
fn sweep(mut children: Vec<(Timed, u64)>, requests: Vec<Timed>) -> Vec<Break> {
    children.sort_unstable_by_key(|(c, _)| (c.start, c.idx));
    let mut open = OpenSpans::new(requests);
    children
        .into_iter()
        .map(|(c, gap)| {
            open.advance(c.start);
            let related = open.tightest_not_in(c.trace);
            brk(BreakKind::StaleParent, c.idx, related, Facts::Late(gap))
        })
        .collect()
}

/// `goroutine 500 ran "stock.Reserve" 2.0 s after its parent "inventory.Stock/Reserve"
/// ended: …; it probably served the request in trace 4bf92f35…`; the service instead of the
/// goroutine when its id is unknown, no request when none was open.
pub(super) fn message(store: &Store, b: &Break) -> String {
    let i = b.span;
    let gap = match b.facts {
        Facts::Late(gap) => gap,
        _ => 0,
    };
    let mut m = match store.span(i).goroutine() {
        Some(g) => format!("goroutine {g}"),
        None => store.service_name(i).to_string(),
    };
    let parent = store.parent(i).map_or("", |p| name(store, p));
    let _ = write!(
        m,
        " ran \"{}\" {} after its parent \"{parent}\" ended: a pooled goroutine kept an old \
         request's context",
        name(store, i),
        super::Ns(gap)
    );
    if let Some(r) = b.related {
        let _ = write!(
            m,
            "; it probably served the request in trace {}",
            short_trace(store.span(r).trace_id)
        );
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::testkit::{Kit, idx};
    use crate::model::ops;

    /// One process: a request of trace 1 that ended at once, n/2 stale children of it, n/2
    /// requests of trace 1 open around them all, and one long request of trace 2. Each child
    /// must find trace 2's request past the open requests of its own trace.
    fn own_trace_steps(n: u64) -> u64 {
        let (mut kit, [p]) = Kit::with_services([("inventory", "i1")]);
        kit.span(p, 1, 1, 0, (0, 1), SpanKind::Server, "old", &[]);
        kit.span(p, 2, 1, 0, (0, 20 * n), SpanKind::Server, "new", &[]);
        for k in 0..n / 2 {
            let at = 10 + k;
            kit.span(p, 1, k + 10, 0, (at, 10 * n), SpanKind::Server, "own", &[]);
            let child = k + 10 + n;
            kit.span(p, 1, child, 1, (at, at + 1), SpanKind::Internal, "job", &[]);
        }
        let store = kit.store();
        let (breaks, steps) = super::super::find_counted(&store, find);
        assert_eq!(breaks.len() as u64, n / 2);
        let request = idx(&store, 2, 1);
        assert!(breaks.iter().all(|b| b.related == Some(request)));
        steps
    }

    #[test]
    fn many_open_requests_of_the_childs_own_trace_cost_n_log_n() {
        ops::assert_steps_n_log_n(
            "stale children among open requests of their own trace",
            own_trace_steps,
        );
    }
}
