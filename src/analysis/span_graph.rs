//! The span graph of one trace (spec §4.4): parent→child edges labelled by how control moved
//! (same goroutine, goroutine hop, process hop), plus span links within the trace.

use petgraph::graph::{DiGraph, NodeIndex};
use rayon::prelude::*;
use serde::Serialize;

use crate::model::span::flags;
use crate::model::{Store, TraceInfo};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SpanEdge {
    /// Same process, and the goroutine did not visibly change (same id, or an id unknown).
    SameGoroutine,
    /// Same process, both goroutine ids known and different.
    GoroutineHop,
    /// Different process or service.
    ProcessHop,
    /// A span link: from the linked span to the span that links to it (causal order).
    Link,
}

/// How control moved from `parent` to `child`.
pub fn hop_kind(store: &Store, parent: u32, child: u32) -> SpanEdge {
    if store.process_of(parent) != store.process_of(child)
        || store.service_idx(parent) != store.service_idx(child)
    {
        return SpanEdge::ProcessHop;
    }
    match (
        store.span(parent).goroutine(),
        store.span(child).goroutine(),
    ) {
        (Some(a), Some(b)) if a != b => SpanEdge::GoroutineHop,
        _ => SpanEdge::SameGoroutine,
    }
}

/// The span graph of `trace`. Node `k` holds the span `trace.start_idx + k` (the store index),
/// so nodes follow the trace's start order.
pub fn span_graph(store: &Store, trace: &TraceInfo) -> DiGraph<u32, SpanEdge> {
    let range = trace.range();
    let base = trace.start_idx;
    let node = |i: u32| NodeIndex::new((i - base) as usize);
    let mut g = DiGraph::with_capacity(range.len(), range.len());
    for i in range.clone() {
        g.add_node(i as u32);
    }
    let mut has_links = false;
    for i in range.clone() {
        let i = i as u32;
        if let Some(p) = store.parent(i) {
            g.add_edge(node(p), node(i), hop_kind(store, p, i));
        }
        has_links |= store.span(i).links.len > 0;
    }
    if !has_links {
        return g;
    }
    // Span id → index for link targets, first non-duplicate copy of each id.
    let mut ids: Vec<(u64, u32)> = range
        .clone()
        .filter(|&k| store.spans[k].flags & flags::DUPLICATE == 0)
        .map(|k| (store.spans[k].span_id, k as u32))
        .collect();
    ids.sort_unstable();
    for i in range {
        let i = i as u32;
        for l in store.span_links(i) {
            if l.trace_id != trace.id {
                continue;
            }
            if let Ok(k) = ids.binary_search_by_key(&l.span_id, |&(id, _)| id) {
                g.add_edge(node(ids[k].1), node(i), SpanEdge::Link);
            }
        }
    }
    g
}

/// How many parent→child edges over all traces are goroutine hops, without building graphs.
pub fn count_goroutine_hops(store: &Store) -> u64 {
    (0..store.spans.len() as u32)
        .into_par_iter()
        .filter(|&i| {
            store
                .parent(i)
                .is_some_and(|p| hop_kind(store, p, i) == SpanEdge::GoroutineHop)
        })
        .count() as u64
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Kit, ORDER, ORDER_2, USER, V, goroutine as g, idx};
    use super::*;
    use crate::model::Link;
    use crate::model::SpanKind::{Client, Internal, Server};
    use petgraph::visit::EdgeRef;

    #[test]
    fn edges_are_labelled_by_hop() {
        let (mut k, [order1, order2, user]) = Kit::with_services([ORDER, ORDER_2, USER]);
        k.span(order1, 1, 1, 0, (0, 100), Server, "CreateOrder", &g(1));
        // Same goroutine; a goroutine hop; unknown id (no hop claimed); thread.id as text.
        k.span(order1, 1, 2, 1, (1, 5), Internal, "validate", &g(1));
        k.span(order1, 1, 3, 1, (6, 50), Internal, "worker", &g(7));
        k.span(order1, 1, 4, 1, (7, 8), Internal, "no-id", &[]);
        let t = [("thread.id", V::S("9"))];
        k.span(order1, 1, 5, 3, (9, 10), Internal, "inner", &t);
        // Another instance of the same service, and another service: process hops even when
        // goroutine ids differ.
        k.span(order1, 1, 6, 1, (51, 60), Client, "call", &g(1));
        k.span(order2, 1, 7, 6, (52, 59), Server, "replica", &g(3));
        k.span(user, 1, 8, 6, (53, 58), Server, "GetUser", &g(1));
        let store = k.store();
        let trace = *store.trace(1).expect("trace 1");
        let graph = span_graph(&store, &trace);

        assert_eq!(graph.node_count(), 8);
        let label = |parent: u64, child: u64| {
            let (p, c) = (idx(&store, 1, parent), idx(&store, 1, child));
            let e = graph.find_edge(
                NodeIndex::new((p - trace.start_idx) as usize),
                NodeIndex::new((c - trace.start_idx) as usize),
            )?;
            Some(graph[e])
        };
        assert_eq!(label(1, 2), Some(SpanEdge::SameGoroutine));
        assert_eq!(label(1, 3), Some(SpanEdge::GoroutineHop));
        assert_eq!(label(1, 4), Some(SpanEdge::SameGoroutine));
        assert_eq!(label(3, 5), Some(SpanEdge::GoroutineHop), "7 → thread 9");
        assert_eq!(label(1, 6), Some(SpanEdge::SameGoroutine));
        assert_eq!(label(6, 7), Some(SpanEdge::ProcessHop));
        assert_eq!(label(6, 8), Some(SpanEdge::ProcessHop));
        assert_eq!(graph.edge_count(), 7);
        for n in graph.node_indices() {
            assert_eq!(graph[n], trace.start_idx + n.index() as u32);
        }
        assert_eq!(count_goroutine_hops(&store), 2);
    }

    #[test]
    fn links_within_the_trace_become_edges() {
        let (mut k, [svc]) = Kit::with_services([("worker", "w-1")]);
        k.span(svc, 1, 1, 0, (0, 10), Server, "enqueue", &[]);
        let consumer = k.span(svc, 1, 2, 0, (20, 30), Internal, "process", &[]);
        let start = k.batch.links.len() as u32;
        let to = |trace_id, span_id| Link {
            trace_id,
            span_id,
            attrs: Default::default(),
        };
        // One link inside the trace, one to another trace, one to a span not loaded.
        k.batch.links.extend([to(1, 1), to(2, 1), to(1, 99)]);
        k.batch.spans[consumer].links = crate::model::ArenaRange { start, len: 3 };
        k.span(svc, 2, 1, 0, (0, 1), Server, "other", &[]);
        let store = k.store();
        let trace = *store.trace(1).expect("trace 1");
        let graph = span_graph(&store, &trace);
        let edges: Vec<(u32, u32, SpanEdge)> = graph
            .edge_references()
            .map(|e| (graph[e.source()], graph[e.target()], *e.weight()))
            .collect();
        assert_eq!(
            edges,
            vec![(idx(&store, 1, 1), idx(&store, 1, 2), SpanEdge::Link)]
        );
    }
}
