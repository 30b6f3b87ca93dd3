//! The type-flow graph (spec §4.2): nodes are Go types, one edge from→to per distinct
//! conversion with how often it ran, how often it failed, where, and how long it took.
//! It also keeps every conversion step found, for the chains (§4.3).

use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::model::{StatusCode, Store, Sym};

/// One conversion `from`→`to` as it ran in the data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypeEdge {
    pub count: u64,
    /// Steps with status Error or an `exception` event.
    pub errors: u64,
    /// Services (numbers into `store.index.services`, hence sorted by name), distinct.
    pub services: Vec<u32>,
    pub total_ns: u64,
    /// The step spans, in store order.
    pub spans: Vec<u32>,
}

/// One conversion step: the span and its types (nodes of `TypeGraph::graph`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub span: u32,
    pub from: NodeIndex,
    pub to: NodeIndex,
}

#[derive(Debug, Clone, Default)]
pub struct TypeGraph {
    /// Nodes are type names.
    pub graph: DiGraph<String, TypeEdge>,
    /// Every step, in store order (by trace, then start time).
    pub steps: Vec<Step>,
}

impl TypeGraph {
    /// One parallel pass over spans to find the steps, one sequential pass to group them.
    pub fn build(store: &Store) -> Self {
        let found: Vec<(u32, [Sym; 2])> = (0..store.spans.len() as u32)
            .into_par_iter()
            .filter_map(|i| Some((i, store.span(i).conversion()?)))
            .collect();
        let exception = store.strings.get("exception");

        let mut graph = DiGraph::new();
        // Interned names are canonical: one `Sym` per type name.
        let mut nodes: FxHashMap<Sym, NodeIndex> = FxHashMap::default();
        let mut edges: FxHashMap<(NodeIndex, NodeIndex), EdgeIndex> = FxHashMap::default();
        let mut steps = Vec::with_capacity(found.len());
        for (span, [from, to]) in found {
            let mut node = |t: Sym| {
                *nodes
                    .entry(t)
                    .or_insert_with(|| graph.add_node(store.str(t).to_string()))
            };
            let (from, to) = (node(from), node(to));
            let e = *edges
                .entry((from, to))
                .or_insert_with(|| graph.add_edge(from, to, TypeEdge::default()));
            let w = &mut graph[e];
            w.count += 1;
            w.errors += u64::from(step_failed(store, exception, span));
            // Deduplicated once at the end: an edge can be taken by many services.
            w.services.push(store.service_idx(span));
            w.total_ns += store.span(span).duration();
            w.spans.push(span);
            steps.push(Step { span, from, to });
        }
        for w in graph.edge_weights_mut() {
            w.services.sort_unstable();
            w.services.dedup();
        }
        TypeGraph { graph, steps }
    }

    /// The name of type node `n`.
    pub fn type_name(&self, n: NodeIndex) -> &str {
        self.graph.node_weight(n).map_or("", String::as_str)
    }
}

/// A step failed when its status is Error or it recorded an `exception` event
/// (`exception` is the interned event name, `None` when no event has it).
pub fn step_failed(store: &Store, exception: Option<Sym>, i: u32) -> bool {
    store.span(i).status == StatusCode::Error
        || exception.is_some_and(|x| store.span_events(i).iter().any(|e| e.name == x))
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Kit, V, idx};
    use super::*;
    use crate::model::SpanKind::Internal;

    #[test]
    fn edges_group_distinct_conversions() {
        let mut k = Kit::new();
        // By name (the checkout's first step), then by attributes (which win over a
        // misleading name).
        let (gw, order) = k.checkout(1);
        let attrs = &[
            ("convert.from", V::S("[]byte")),
            ("convert.to", V::S("*dto.A")),
        ];
        let bad = k.span(
            order,
            1,
            3,
            1,
            (10, 15),
            Internal,
            "type.convert.x.to.y",
            attrs,
        );
        k.event(bad, "exception");
        let e = k.span(
            gw,
            2,
            1,
            0,
            (0, 4),
            Internal,
            "type.convert.[]byte.to.*dto.A",
            &[],
        );
        k.error(e);
        k.span(
            gw,
            2,
            2,
            0,
            (5, 6),
            Internal,
            "type.convert.*dto.A.to.*pb.B",
            &[],
        );
        k.span(gw, 2, 3, 0, (7, 8), Internal, "json.Marshal", &[]);
        let store = k.store();
        let t = TypeGraph::build(&store);

        let names: Vec<&str> = t.graph.node_weights().map(String::as_str).collect();
        assert_eq!(names, ["[]byte", "*dto.A", "*pb.B"]);
        assert_eq!(t.graph.edge_count(), 2);
        assert_eq!(t.steps.len(), 4);
        let e = t
            .graph
            .find_edge(NodeIndex::new(0), NodeIndex::new(1))
            .expect("[]byte→*dto.A");
        let w = &t.graph[e];
        assert_eq!(w.count, 3);
        assert_eq!(w.errors, 2, "one exception event, one Error status");
        // Services 0 = api-gateway, 1 = order-svc (sorted by name).
        assert_eq!(w.services, vec![0, 1]);
        assert_eq!(w.total_ns, (2 + 5 + 4) * 1_000_000);
        assert_eq!(
            w.spans,
            vec![idx(&store, 1, 2), idx(&store, 1, 3), idx(&store, 2, 1)]
        );
        let e = t
            .graph
            .find_edge(NodeIndex::new(1), NodeIndex::new(2))
            .expect("*dto.A→*pb.B");
        assert_eq!((t.graph[e].count, t.graph[e].errors), (1, 0));
    }
}
