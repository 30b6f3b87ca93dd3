//! The part of the service graph some traces use, for the views that follow the Traces
//! view's filter and query.

use rustc_hash::FxHashSet;

use super::Session;

/// Service-graph nodes and edges (numbers, ascending) used by a set of traces.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GraphPart {
    pub nodes: Vec<u32>,
    pub edges: Vec<u32>,
}

impl Session {
    /// The services of `traces` (trace numbers) and the edges their parent→child calls
    /// between services take: one pass over those traces' spans.
    pub fn graph_part(&self, traces: &[u32]) -> GraphPart {
        let store = &self.store;
        let mut nodes = FxHashSet::default();
        let mut edges = FxHashSet::default();
        for info in traces
            .iter()
            .filter_map(|&t| store.index.traces.get(t as usize))
        {
            for i in info.range().map(|i| i as u32) {
                let s = store.service_idx(i);
                let Some(n) = self.service_node_of(s) else {
                    continue;
                };
                nodes.insert(n);
                let Some(p) = store.parent(i) else {
                    continue;
                };
                let ps = store.service_idx(p);
                if ps != s
                    && let Some(pn) = self.service_node_of(ps)
                    && let Some(e) = self.find_service_edge(pn, n)
                {
                    edges.insert(e);
                }
            }
        }
        let mut part = GraphPart {
            nodes: nodes.into_iter().collect(),
            edges: edges.into_iter().collect(),
        };
        part.nodes.sort_unstable();
        part.edges.sort_unstable();
        part
    }
}
