//! `SessionIndex`: everything the views look up in one session, built once with it (off the
//! UI thread), and the typed accessors over the analysis graphs, so that views never build an
//! index, never touch petgraph indices and never guess a missing trace.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use petgraph::Direction;
use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef as _;

use super::Session;
use super::goroutines::{self, GoroutineGroup};
use super::traceql::complete::Vocabulary;
use crate::analysis::breaks::BreakKind;
use crate::analysis::chains::Chain;
use crate::analysis::flame::FlameIndex;
use crate::analysis::services::{ServiceEdge, ServiceNode};
use crate::analysis::trace_summary::{self, TraceSummary};
use crate::analysis::types::TypeEdge;
use crate::analysis::{Analysis, under};
use crate::export::scene::{Rgba, service_color};
use crate::model::Store;

/// Bins of an edge's latency histogram.
const HISTOGRAM_BINS: usize = 20;

/// Sessions are numbered in the order they are built, so a view knows a new one from the
/// one it drew (an `Arc` address can be reused once the old session is freed).
static GENERATIONS: AtomicU64 = AtomicU64::new(0);

/// One bar of a latency histogram, in ms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bin {
    pub centre: f64,
    pub width: f64,
    pub count: u64,
}

/// The calls of one service edge, slowest first, and their latency histogram.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EdgeCalls {
    /// The measured span of each call (`ServiceEdge::spans`), slowest first, then by number.
    pub slowest: Vec<u32>,
    pub bins: Vec<Bin>,
}

/// An edge of a graph by its number, with its endpoints (node numbers and names).
#[derive(Debug, Clone, Copy)]
pub struct EdgeRef<'a, W> {
    pub number: u32,
    pub from: u32,
    pub to: u32,
    pub from_name: &'a str,
    pub to_name: &'a str,
    pub weight: &'a W,
}

/// What the views look up, per session.
pub struct SessionIndex {
    generation: u64,
    /// One summary row per trace (`index.traces` order).
    traces: Arc<[TraceSummary]>,
    /// Breaks by span and trace, stitches by trace: what the flame chart lays out with.
    flame: Arc<FlameIndex>,
    /// (span, break) for every break naming the span as its `span` or its `related`, sorted.
    naming: Vec<(u32, u32)>,
    /// (trace, break) by the trace of each break's `span`, sorted.
    by_trace: Vec<(u32, u32)>,
    /// Break numbers per kind, in `BreakKind::ALL` order, kinds without breaks left out.
    by_kind: Vec<(BreakKind, Vec<u32>)>,
    /// The `stale_parent` breaks of each goroutine that has several.
    stale_groups: Vec<GoroutineGroup>,
    /// (type node, chain) for every chain through the type, sorted.
    type_chains: Vec<(u32, u32)>,
    /// The spans of traced service `s` are `service_spans[service_start[s]..service_start[s + 1]]`.
    service_start: Vec<u32>,
    service_spans: Vec<u32>,
    /// By service-graph edge number.
    edge_calls: Vec<EdgeCalls>,
    /// By traced service number: the palette colour of its name (one colour per name in every
    /// view, trace and session).
    colors: Vec<Rgba>,
    /// Attribute names and values, for the query bar's completion.
    vocabulary: Vocabulary,
}

impl SessionIndex {
    pub fn build(store: &Store, analysis: &Analysis) -> SessionIndex {
        let trace_of = |i: u32| store.index.span_trace.get(i as usize).copied();
        let mut naming = Vec::with_capacity(analysis.breaks.len());
        let mut by_trace = Vec::with_capacity(analysis.breaks.len());
        for (k, b) in analysis.breaks.iter().enumerate() {
            let k = k as u32;
            naming.push((b.span, k));
            naming.extend(b.related.map(|r| (r, k)));
            by_trace.extend(trace_of(b.span).map(|t| (t, k)));
        }
        naming.sort_unstable();
        naming.dedup();
        by_trace.sort_unstable();
        let mut by_kind: Vec<(BreakKind, Vec<u32>)> =
            BreakKind::ALL.iter().map(|&k| (k, Vec::new())).collect();
        for (k, b) in analysis.breaks.iter().enumerate() {
            if let Some((_, list)) = by_kind.iter_mut().find(|(kind, _)| *kind == b.kind) {
                list.push(k as u32);
            }
        }
        by_kind.retain(|(_, list)| !list.is_empty());
        let stale_groups = by_kind
            .iter()
            .find(|(kind, _)| *kind == BreakKind::StaleParent)
            .map_or_else(Vec::new, |(_, list)| {
                goroutines::groups(store, &analysis.breaks, list)
            });

        let mut type_chains: Vec<(u32, u32)> = Vec::new();
        for (c, chain) in analysis.chains.iter().enumerate() {
            type_chains.extend(chain.types.iter().map(|t| (t.index() as u32, c as u32)));
        }
        type_chains.sort_unstable();
        type_chains.dedup();

        // Spans by service: a counting sort, spans in store order within a service.
        let services = store.index.services.len();
        let mut service_start = vec![0u32; services + 1];
        for i in 0..store.spans.len() as u32 {
            if let Some(n) = service_start.get_mut(store.service_idx(i) as usize + 1) {
                *n += 1;
            }
        }
        for s in 0..services {
            service_start[s + 1] += service_start[s];
        }
        let mut next = service_start.clone();
        let mut service_spans = vec![0u32; service_start[services] as usize];
        for i in 0..store.spans.len() as u32 {
            if let Some(at) = next.get_mut(store.service_idx(i) as usize) {
                service_spans[*at as usize] = i;
                *at += 1;
            }
        }

        let edge_calls = analysis
            .services
            .graph
            .edge_weights()
            .map(|w| edge_calls(store, &w.spans))
            .collect();
        let colors = store
            .index
            .services
            .iter()
            .map(|&s| service_color(store.str(s)))
            .collect();
        SessionIndex {
            generation: GENERATIONS.fetch_add(1, Ordering::Relaxed) + 1,
            traces: trace_summary::summarize(store, &analysis.breaks).into(),
            flame: Arc::new(FlameIndex::new(store, analysis)),
            naming,
            by_trace,
            by_kind,
            stale_groups,
            type_chains,
            service_start,
            service_spans,
            edge_calls,
            colors,
            vocabulary: Vocabulary::build(store),
        }
    }

    /// The attribute names and values the session's data uses (query completion).
    pub fn vocabulary(&self) -> &Vocabulary {
        &self.vocabulary
    }

    /// Larger for every session built later.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// One summary row per trace, in `index.traces` order.
    pub fn traces(&self) -> &Arc<[TraceSummary]> {
        &self.traces
    }

    pub fn summary(&self, t: u32) -> Option<&TraceSummary> {
        self.traces.get(t as usize)
    }

    /// The trace with the most breaks, the first in trace-id order on a tie (spec §6: what
    /// `--view trace` shows and the Trace tab opens with nothing selected).
    pub fn most_broken_trace(&self) -> Option<u32> {
        trace_summary::most_broken(&self.traces)
    }

    pub fn flame(&self) -> &Arc<FlameIndex> {
        &self.flame
    }

    /// Breaks whose `span` is `span` (numbers into `Analysis::breaks`).
    pub fn breaks_of(&self, span: u32) -> impl Iterator<Item = u32> + '_ {
        self.flame.breaks_of(span)
    }

    /// Breaks naming `span` as their span or their related span.
    pub fn breaks_naming(&self, span: u32) -> impl Iterator<Item = u32> + '_ {
        under(&self.naming, span)
    }

    /// Breaks whose span lies in trace `t`.
    pub fn breaks_in(&self, t: u32) -> impl Iterator<Item = u32> + '_ {
        under(&self.by_trace, t)
    }

    /// Break numbers by kind, in `BreakKind::ALL` order, kinds without breaks left out.
    pub fn breaks_by_kind(&self) -> &[(BreakKind, Vec<u32>)] {
        &self.by_kind
    }

    /// The `stale_parent` breaks grouped by goroutine (those with several), by first break.
    pub fn stale_groups(&self) -> &[GoroutineGroup] {
        &self.stale_groups
    }

    /// Chains through type node `ty` (numbers into `Analysis::chains`).
    pub fn chains_through(&self, ty: u32) -> impl Iterator<Item = u32> + '_ {
        under(&self.type_chains, ty)
    }

    /// The spans of traced service `s`, in store order.
    pub fn spans_of_service(&self, s: u32) -> &[u32] {
        let s = s as usize;
        match (self.service_start.get(s), self.service_start.get(s + 1)) {
            (Some(&a), Some(&b)) => self.service_spans.get(a as usize..b as usize),
            _ => None,
        }
        .unwrap_or(&[])
    }

    /// The calls of service edge `e`, slowest first, with their histogram.
    pub fn edge_calls(&self, e: u32) -> Option<&EdgeCalls> {
        self.edge_calls.get(e as usize)
    }

    /// The colour of traced service `s`.
    pub fn service_color(&self, s: u32) -> Option<Rgba> {
        self.colors.get(s as usize).copied()
    }
}

fn edge_calls(store: &Store, spans: &[u32]) -> EdgeCalls {
    let ms = |i: u32| store.span(i).duration() as f64 / 1e6;
    let mut slowest = spans.to_vec();
    slowest.sort_by(|&a, &b| ms(b).total_cmp(&ms(a)).then(a.cmp(&b)));
    let bins = histogram(slowest.iter().map(|&i| ms(i)), HISTOGRAM_BINS);
    EdgeCalls { slowest, bins }
}

/// `count` equal-width bins from the smallest to the largest value.
fn histogram(values: impl Iterator<Item = f64> + Clone, count: usize) -> Vec<Bin> {
    let (lo, hi) = values
        .clone()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return Vec::new();
    }
    let width = ((hi - lo) / count as f64).max(1e-3);
    let mut bins = vec![0u64; count];
    for v in values {
        let k = (((v - lo) / width) as usize).min(count - 1);
        bins[k] += 1;
    }
    bins.into_iter()
        .enumerate()
        .map(|(k, n)| Bin {
            centre: lo + width * (k as f64 + 0.5),
            width,
            count: n,
        })
        .collect()
}

/// Edge `e` of `g`, its endpoints named by `name`.
fn edge_of<'a, N, W>(
    g: &'a DiGraph<N, W>,
    e: u32,
    name: impl Fn(&'a N) -> &'a str,
) -> Option<EdgeRef<'a, W>> {
    let idx = EdgeIndex::new(e as usize);
    let (w, (a, b)) = (g.edge_weight(idx)?, g.edge_endpoints(idx)?);
    Some(EdgeRef {
        number: e,
        from: a.index() as u32,
        to: b.index() as u32,
        from_name: name(&g[a]),
        to_name: name(&g[b]),
        weight: w,
    })
}

/// The edges of `g` leaving (or entering) node `n`; none for a node not in `g`.
fn edges_of<'a, N, W>(
    g: &'a DiGraph<N, W>,
    n: u32,
    dir: Direction,
    name: impl Fn(&'a N) -> &'a str + Copy,
) -> Vec<EdgeRef<'a, W>> {
    let node = NodeIndex::new(n as usize);
    if g.node_weight(node).is_none() {
        return Vec::new();
    }
    g.edges_directed(node, dir)
        .filter_map(|e| edge_of(g, e.id().index() as u32, name))
        .collect()
}

/// The edge of `g` from node `a` to node `b`.
fn find_edge<N, W>(g: &DiGraph<N, W>, a: u32, b: u32) -> Option<u32> {
    let (a, b) = (NodeIndex::new(a as usize), NodeIndex::new(b as usize));
    if g.node_weight(a).is_none() || g.node_weight(b).is_none() {
        return None;
    }
    g.find_edge(a, b).map(|e| e.index() as u32)
}

fn service_name(n: &ServiceNode) -> &str {
    &n.name
}

/// Typed lookups into the analysis graphs by node and edge number.
/// Where one link of a span leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkTarget {
    /// A loaded span (store index).
    Loaded(u32),
    /// A span that is not in the session: its ids.
    NotLoaded { trace_id: u128, span_id: u64 },
}

impl Session {
    /// The trace span `i` belongs to; `None` for a span number not in the store.
    pub fn trace_of(&self, i: u32) -> Option<u32> {
        self.store.index.span_trace.get(i as usize).copied()
    }

    /// The links of span `i`, in its order, each to a loaded span or not (spec §5 "Span
    /// links"): a few binary searches per link, for the one span shown.
    pub fn links_from(&self, i: u32) -> Vec<LinkTarget> {
        if i as usize >= self.store.spans.len() {
            return Vec::new();
        }
        self.store
            .span_links(i)
            .iter()
            .map(|l| match self.store.find_span(l.trace_id, l.span_id) {
                Some(t) => LinkTarget::Loaded(t),
                None => LinkTarget::NotLoaded {
                    trace_id: l.trace_id,
                    span_id: l.span_id,
                },
            })
            .collect()
    }

    /// The spans that link to span `i` (from the reverse index `Analysis::links`, built once
    /// per session), by store index.
    pub fn links_to(&self, i: u32) -> impl Iterator<Item = u32> + '_ {
        self.analysis.links.sources(i)
    }

    /// Service-graph node `n`.
    pub fn service(&self, n: u32) -> Option<&ServiceNode> {
        self.analysis
            .services
            .graph
            .node_weight(NodeIndex::new(n as usize))
    }

    /// The service-graph node named `name` (a traced service or a named peer).
    pub fn service_node_named(&self, name: &str) -> Option<u32> {
        let g = &self.analysis.services.graph;
        g.node_indices()
            .find(|&n| g[n].name == name)
            .map(|n| n.index() as u32)
    }

    /// The service-graph node of traced service number `s`.
    pub fn service_node_of(&self, s: u32) -> Option<u32> {
        let n = self.analysis.services.service_node(s)?;
        Some(n.index() as u32)
    }

    /// Service-graph edge `e`.
    pub fn service_edge(&self, e: u32) -> Option<EdgeRef<'_, ServiceEdge>> {
        edge_of(&self.analysis.services.graph, e, service_name)
    }

    /// The service-graph edges leaving (or entering) node `n`.
    pub fn service_edges(&self, n: u32, dir: Direction) -> Vec<EdgeRef<'_, ServiceEdge>> {
        edges_of(&self.analysis.services.graph, n, dir, service_name)
    }

    /// The service-graph edge from node `a` to node `b`.
    pub fn find_service_edge(&self, a: u32, b: u32) -> Option<u32> {
        find_edge(&self.analysis.services.graph, a, b)
    }

    /// The name of type node `n`; "" when there is none.
    pub fn type_name(&self, n: u32) -> &str {
        let types = &self.analysis.types;
        types
            .graph
            .node_weight(NodeIndex::new(n as usize))
            .map_or("", String::as_str)
    }

    /// Whether type node `n` exists.
    pub fn has_type(&self, n: u32) -> bool {
        (n as usize) < self.analysis.types.graph.node_count()
    }

    /// The type node named `name`.
    pub fn type_named(&self, name: &str) -> Option<u32> {
        let g = &self.analysis.types.graph;
        g.node_indices()
            .find(|&n| g[n] == name)
            .map(|n| n.index() as u32)
    }

    /// Type-graph edge `e`.
    pub fn type_edge(&self, e: u32) -> Option<EdgeRef<'_, TypeEdge>> {
        edge_of(&self.analysis.types.graph, e, String::as_str)
    }

    /// The type-graph edges leaving (or entering) node `n`.
    pub fn type_edges(&self, n: u32, dir: Direction) -> Vec<EdgeRef<'_, TypeEdge>> {
        edges_of(&self.analysis.types.graph, n, dir, String::as_str)
    }

    /// The type-graph edge from node `a` to node `b`.
    pub fn find_type_edge(&self, a: u32, b: u32) -> Option<u32> {
        find_edge(&self.analysis.types.graph, a, b)
    }

    pub fn chain(&self, c: u32) -> Option<&Chain> {
        self.analysis.chains.get(c as usize)
    }

    /// The type nodes of chain `c`, in order.
    pub fn chain_types(&self, c: u32) -> Vec<u32> {
        self.chain(c)
            .map(|ch| ch.types.iter().map(|t| t.index() as u32).collect())
            .unwrap_or_default()
    }

    /// The type names of chain `c`, joined by arrows.
    pub fn chain_text(&self, c: u32) -> String {
        let types: Vec<&str> = self
            .chain_types(c)
            .into_iter()
            .map(|t| self.type_name(t))
            .collect();
        types.join(" → ")
    }

    /// The names of traced services `services` (numbers into `store.index.services`).
    pub fn service_names(&self, services: &[u32]) -> Vec<&str> {
        services.iter().map(|&s| self.service_name(s)).collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::analysis::Options;
    use crate::ingest::{LoadOptions, load_bytes};

    /// The broken sample as the app loads it.
    pub(crate) fn broken() -> Arc<Session> {
        samples(&[(
            "broken",
            include_bytes!("../../sample-traces/checkout-broken.json"),
        )])
    }

    /// These samples in one session.
    pub(crate) fn samples(inputs: &[(&str, &[u8])]) -> Arc<Session> {
        let mut store = Store::new();
        for (name, bytes) in inputs {
            if let Err(e) = load_bytes(&mut store, name, bytes, &LoadOptions::default()) {
                panic!("sample does not load: {e}");
            }
        }
        Session::build(store, Options::default())
    }

    #[test]
    fn histogram_bins_cover_every_value() {
        let v = [1.0, 2.0, 2.5, 10.0];
        let bins = histogram(v.iter().copied(), 3);
        // Range 1..10 in 3 bins of 3 ms: [1,4) holds 1, 2, 2.5; the maximum falls in the last.
        assert_eq!(bins.len(), 3);
        assert_eq!(bins.iter().map(|b| b.count).collect::<Vec<_>>(), [3, 0, 1]);
        assert_eq!(bins[0].centre, 2.5);
        assert_eq!(bins[0].width, 3.0);
        assert!(histogram(std::iter::empty(), 5).is_empty());
        // One value: a single non-empty bin, no division by zero.
        let one = histogram([4.0].into_iter(), 4);
        assert_eq!(one.iter().map(|b| b.count).sum::<u64>(), 1);
    }

    #[test]
    fn lookups_agree_with_the_analysis() {
        let s = broken();
        assert!(!s.analysis.breaks.is_empty());
        let ix = &s.index;
        // Every break is found under its span, its related span and its trace.
        for (k, b) in s.analysis.breaks.iter().enumerate() {
            let k = k as u32;
            assert!(ix.breaks_naming(b.span).any(|x| x == k));
            if let Some(r) = b.related {
                assert!(ix.breaks_naming(r).any(|x| x == k));
            }
            let t = s.trace_of(b.span).unwrap_or(u32::MAX);
            assert!(ix.breaks_in(t).any(|x| x == k));
        }
        // Breaks by kind partition the breaks, each under its own kind.
        let by_kind: usize = ix.breaks_by_kind().iter().map(|(_, l)| l.len()).sum();
        assert_eq!(by_kind, s.analysis.breaks.len());
        for (kind, list) in ix.breaks_by_kind() {
            assert!(
                list.iter()
                    .all(|&b| s.analysis.breaks[b as usize].kind == *kind)
            );
        }
        // Spans by service partition the store.
        let services = s.store.index.services.len() as u32;
        let total: usize = (0..services).map(|v| ix.spans_of_service(v).len()).sum();
        assert_eq!(total, s.store.spans.len());
        for v in 0..services {
            assert!(
                ix.spans_of_service(v)
                    .iter()
                    .all(|&i| s.store.service_idx(i) == v)
            );
        }
        // Chains through a type are exactly those holding it.
        for (c, chain) in s.analysis.chains.iter().enumerate() {
            for t in &chain.types {
                assert!(ix.chains_through(t.index() as u32).any(|x| x == c as u32));
            }
        }
        // An edge's calls are its spans, slowest first.
        for e in 0..s.analysis.services.graph.edge_count() as u32 {
            let (Some(calls), Some(edge)) = (ix.edge_calls(e), s.service_edge(e)) else {
                panic!("edge {e} has no calls entry");
            };
            assert_eq!(calls.slowest.len(), edge.weight.spans.len());
            let d: Vec<u64> = calls
                .slowest
                .iter()
                .map(|&i| s.store.span(i).duration())
                .collect();
            assert!(d.windows(2).all(|w| w[0] >= w[1]), "{d:?}");
            let binned: u64 = calls.bins.iter().map(|b| b.count).sum();
            assert_eq!(binned as usize, calls.slowest.len());
        }
        // Out of range: nothing, never trace 0.
        assert_eq!(s.trace_of(u32::MAX), None);
        assert!(s.service_edge(u32::MAX).is_none());
        assert!(ix.spans_of_service(u32::MAX).is_empty());
    }

    #[test]
    fn generations_increase() {
        let first = broken();
        let second = broken();
        assert!(second.index.generation() > first.index.generation());
    }
}
