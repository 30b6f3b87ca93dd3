//! Span links resolved to spans (spec §5 "Span links"): which loaded span each link names,
//! and the reverse, which spans link to a span.
//!
//! A link is how OpenTelemetry *means* a new trace to start from another one: a batch consumer
//! links each message's PRODUCER span, work that outlives a request links the request. Jaeger
//! `FOLLOWS_FROM` references across traces are read as links (`ingest/jaeger.rs`), so they
//! count the same. Built once per store: each link is looked up by (trace, span) id with
//! `Store::find_span` (two binary searches), then the pairs are sorted both ways, O(L log n)
//! for L links.

use rayon::prelude::*;

use super::under;
use crate::model::Store;

/// The links of a store whose target span is loaded, both ways.
#[derive(Debug, Clone, Default)]
pub struct SpanLinks {
    /// (from, to) store indexes, sorted.
    forward: Vec<(u32, u32)>,
    /// (to, from), sorted.
    reverse: Vec<(u32, u32)>,
}

impl SpanLinks {
    pub fn build(store: &Store) -> Self {
        let n = store.spans.len() as u32;
        let mut forward: Vec<(u32, u32)> = (0..n)
            .into_par_iter()
            .filter(|&i| store.span(i).links.len > 0)
            .flat_map_iter(|i| {
                store
                    .span_links(i)
                    .iter()
                    .filter_map(move |l| Some((i, store.find_span(l.trace_id, l.span_id)?)))
            })
            .collect();
        // Several links of one span to one target count once.
        forward.par_sort_unstable();
        forward.dedup();
        let mut reverse: Vec<(u32, u32)> = forward.iter().map(|&(f, t)| (t, f)).collect();
        reverse.par_sort_unstable();
        SpanLinks { forward, reverse }
    }

    pub fn is_empty(&self) -> bool {
        self.forward.is_empty()
    }

    /// Every resolved link as (from, to), sorted by `from`.
    pub fn pairs(&self) -> &[(u32, u32)] {
        &self.forward
    }

    /// The loaded spans span `i` links to.
    pub fn targets(&self, i: u32) -> impl Iterator<Item = u32> + '_ {
        under(&self.forward, i)
    }

    /// The spans that link to span `i`.
    pub fn sources(&self, i: u32) -> impl Iterator<Item = u32> + '_ {
        under(&self.reverse, i)
    }

    /// Whether a span of another trace than `i`'s links to `i`: the call `i` made was
    /// received by a trace that started on purpose (a consumer batch, a linked job).
    pub fn linked_from_other_trace(&self, store: &Store, i: u32) -> bool {
        let trace = store.span(i).trace_id;
        self.sources(i).any(|s| store.span(s).trace_id != trace)
    }
}

/// Whether root span `i` is *linked*: it has a link into another trace, loaded or not. Such a
/// root starts a new trace on purpose (spec §5), so it is never a `detached_root` and never
/// the lost half of a `propagation_break`.
pub fn is_linked_root(store: &Store, i: u32) -> bool {
    let s = store.span(i);
    s.parent_id == 0
        && s.links.len > 0
        && store.span_links(i).iter().any(|l| l.trace_id != s.trace_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::testkit::{Kit, idx};
    use crate::model::SpanKind::{Consumer, Producer};

    /// n/2 producer traces and n/2 consumer roots, each linking one producer and one span
    /// that is not loaded: the steps of the lookups, for `assert_n_log_n`.
    fn resolve_steps(n: u64) -> u64 {
        let (mut k, [p, c]) = Kit::with_services([("orders", "o1"), ("shipping", "s1")]);
        for t in 0..n / 2 {
            let t = u128::from(t);
            k.span(p, 2 * t + 1, 1, 0, (0, 5), Producer, "publish", &[]);
            let r = k.span(c, 2 * t + 2, 1, 0, (10, 20), Consumer, "process", &[]);
            k.links(r, &[(2 * t + 1, 1), (2 * t + 1, 99)]);
        }
        let store = k.store();
        let (links, steps) = crate::model::ops::counted(|| SpanLinks::build(&store));
        assert_eq!(links.pairs().len() as u64, n / 2);
        steps
    }

    #[test]
    fn resolving_links_costs_n_log_n() {
        crate::model::ops::assert_steps_n_log_n("span links resolved", resolve_steps);
    }

    #[test]
    fn links_resolve_both_ways_and_unloaded_targets_are_left_out() {
        let (mut k, [p, c]) = Kit::with_services([("orders", "o1"), ("shipping", "s1")]);
        k.span(p, 1, 1, 0, (0, 5), Producer, "orders publish", &[]);
        k.span(p, 2, 1, 0, (1, 6), Producer, "orders publish", &[]);
        let batch = k.span(c, 3, 1, 0, (10, 20), Consumer, "orders process", &[]);
        k.links(batch, &[(1, 1), (2, 1), (9, 9), (1, 1)]);
        let store = k.store();
        let links = SpanLinks::build(&store);
        let (p1, p2, cb) = (idx(&store, 1, 1), idx(&store, 2, 1), idx(&store, 3, 1));
        let mut want = vec![p1, p2];
        want.sort_unstable();
        assert_eq!(links.targets(cb).collect::<Vec<_>>(), want);
        assert_eq!(links.sources(p1).collect::<Vec<_>>(), [cb]);
        assert_eq!(links.sources(p2).collect::<Vec<_>>(), [cb]);
        assert_eq!(links.sources(cb).count(), 0);
        assert!(links.linked_from_other_trace(&store, p1));
        assert!(is_linked_root(&store, cb));
        assert!(!is_linked_root(&store, p1));
    }
}
