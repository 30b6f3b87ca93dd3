//! What the Services view and `tracetopo export --view services` draw of the service graph:
//! the edges that pass the filters (calls, error rate, p99, problems only), the part around a
//! focused service (callers and callees `depth` hops out), and services grouped by namespace
//! into one node per collapsed group. Computed here, outside egui, so the app and the export
//! draw the same graph.
//!
//! Order of the steps: edge filters, then focus (over the edges left), then grouping.
//! - Focus keeps the service, every service that reaches it in at most `depth` calls (its
//!   callers, theirs, …) and every one it reaches in at most `depth` calls (its callees, …),
//!   and the edges one hop nearer the service on those paths (a caller's call to the
//!   service's caller, the service's callee's own call): not the calls between two callees
//!   or two callers, nor callees of its callers (siblings), which are on no path through it.
//! - With an edge filter on, a service left without an edge is hidden (the focus never is);
//!   without one every service is drawn, even one with no edge.
//! - A collapsed group is one node for all its members; edges between two nodes become one,
//!   with the calls, errors, broken, unpaired and linked summed and the highest p99 of the merged
//!   edges; calls inside a group are counted on its node. Virtual peers and services without
//!   the namespace attribute are never grouped.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use petgraph::Direction;
use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;

use super::services::{NodeKind, ServiceGraph};
use crate::model::Store;

/// The resource attribute services are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Grouping {
    #[default]
    None,
    /// `service.namespace`.
    ServiceNamespace,
    /// `k8s.namespace.name`.
    K8sNamespace,
}

impl Grouping {
    pub const ALL: [Grouping; 3] = [
        Grouping::None,
        Grouping::ServiceNamespace,
        Grouping::K8sNamespace,
    ];

    /// The resource attribute (none for `None`).
    pub fn key(self) -> Option<&'static str> {
        match self {
            Grouping::None => None,
            Grouping::ServiceNamespace => Some("service.namespace"),
            Grouping::K8sNamespace => Some("k8s.namespace.name"),
        }
    }
}

/// The user's choices.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServiceFilter {
    /// The service to focus on, by name.
    pub focus: Option<String>,
    /// Hops out from the focus (callers and callees).
    pub depth: u32,
    /// Edges with fewer calls are hidden.
    pub min_calls: u64,
    /// Edges whose share of failed calls is below this (0 to 1) are hidden.
    pub min_error_rate: f64,
    /// Edges whose p99 is below this many ms are hidden.
    pub min_p99_ms: f64,
    /// Only edges with broken or unpaired calls.
    pub only_problems: bool,
    pub group: Grouping,
    /// Groups drawn as their services (the others are one node each).
    pub expanded: BTreeSet<String>,
}

impl ServiceFilter {
    /// Whether some edge filter is on (then services left without an edge are hidden).
    pub fn filters_edges(&self) -> bool {
        self.min_calls > 1
            || self.min_error_rate > 0.0
            || self.min_p99_ms > 0.0
            || self.only_problems
    }

    /// Whether the whole graph is drawn as it is.
    pub fn is_identity(&self) -> bool {
        self.focus.is_none() && !self.filters_edges() && self.group == Grouping::None
    }
}

/// A drawn node: one service (or virtual peer), or a collapsed group.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewNode {
    /// Service-graph nodes it stands for (one unless it is a collapsed group).
    pub members: Vec<u32>,
    /// The group it is (collapsed) or belongs to (expanded), when grouping.
    pub group: Option<String>,
    pub collapsed: bool,
    /// Calls between members of a collapsed group.
    pub inner_calls: u64,
}

impl ViewNode {
    /// The service-graph node, unless this is a collapsed group.
    pub fn node(&self) -> Option<u32> {
        match (self.collapsed, self.members.as_slice()) {
            (false, [n]) => Some(*n),
            _ => None,
        }
    }
}

/// A drawn edge: one service-graph edge or several merged by grouping.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewEdge {
    pub from: u32,
    pub to: u32,
    /// Service-graph edges it stands for, in index order.
    pub edges: Vec<u32>,
    pub calls: u64,
    pub errors: u64,
    pub p99_ms: f64,
    pub broken: u64,
    pub unpaired: u64,
    /// Calls made by span links (asynchronous messaging).
    pub linked: u64,
}

/// The graph to draw.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServiceView {
    pub nodes: Vec<ViewNode>,
    pub edges: Vec<ViewEdge>,
}

impl ServiceView {
    /// The drawn node standing for service-graph node `n` (its group's when collapsed).
    pub fn node_of(&self, n: u32) -> Option<usize> {
        self.nodes.iter().position(|v| v.members.contains(&n))
    }
}

/// The focus names no service.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("no service named \"{name}\" in the loaded traces{hint}")]
pub struct UnknownService {
    pub name: String,
    /// ` (did you mean …?)` or empty.
    pub hint: String,
}

/// The group of every traced service (by `store.index.services` number) under `grouping`:
/// the attribute's value on the service's first resource that has it.
pub fn groups_of(store: &Store, grouping: Grouping) -> Vec<Option<String>> {
    let mut out = vec![None; store.index.services.len()];
    let Some(key) = grouping.key().and_then(|k| store.strings.get(k)) else {
        return out;
    };
    for (r, res) in store.resources.iter().enumerate() {
        let Some(&s) = store.index.service_of_resource.get(r) else {
            continue;
        };
        let Some(slot) = out.get_mut(s as usize) else {
            continue;
        };
        if slot.is_some() {
            continue;
        }
        let attrs = store.res_attrs.get(res.attrs.range()).unwrap_or_default();
        *slot = attrs
            .iter()
            .find(|a| a.key == key)
            .map(|a| a.value(&store.strings).to_text())
            .filter(|v| !v.is_empty());
    }
    out
}

/// The service-graph node named `name`; else an error suggesting names that contain it.
pub fn find_service(g: &ServiceGraph, name: &str) -> Result<u32, UnknownService> {
    let graph = &g.graph;
    if let Some(n) = graph.node_indices().find(|&n| graph[n].name == name) {
        return Ok(n.index() as u32);
    }
    let needle = name.to_lowercase();
    let mut like: Vec<&str> = graph
        .node_weights()
        .map(|n| n.name.as_str())
        .filter(|n| n.to_lowercase().contains(&needle))
        .collect();
    like.sort_unstable();
    let hint = match like.as_slice() {
        [] => String::new(),
        some => format!(
            " (did you mean {}?)",
            some.iter()
                .take(3)
                .map(|n| format!("\"{n}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    Err(UnknownService {
        name: name.to_string(),
        hint,
    })
}

/// The graph `filter` asks for. O((nodes + edges) log nodes).
pub fn service_view(
    store: &Store,
    g: &ServiceGraph,
    filter: &ServiceFilter,
) -> Result<ServiceView, UnknownService> {
    let graph = &g.graph;
    let n = graph.node_count();
    let focus = filter
        .focus
        .as_deref()
        .map(|name| find_service(g, name))
        .transpose()?;

    // 1. Edge filters.
    let kept_edge = |e: &super::services::ServiceEdge| {
        let rate = if e.calls > 0 {
            e.errors as f64 / e.calls as f64
        } else {
            0.0
        };
        e.calls >= filter.min_calls
            && (filter.min_error_rate <= 0.0 || rate >= filter.min_error_rate)
            && (filter.min_p99_ms <= 0.0 || e.p99_ms >= filter.min_p99_ms)
            && (!filter.only_problems || e.broken > 0 || e.unpaired > 0)
    };
    let edge_ok: Vec<bool> = graph.edge_weights().map(kept_edge).collect();

    // 2. Nodes: around the focus, or all (those with an edge left when filtering edges).
    let mut node_ok = vec![focus.is_none(); n];
    // Hops from the focus to each node (down) and from each node to the focus (up).
    let mut down = vec![u32::MAX; n];
    let mut up = vec![u32::MAX; n];
    if let Some(f) = focus {
        node_ok[f as usize] = true;
        for dir in [Direction::Outgoing, Direction::Incoming] {
            let hops = match dir {
                Direction::Outgoing => &mut down,
                Direction::Incoming => &mut up,
            };
            hops[f as usize] = 0;
            let mut queue = VecDeque::from([f]);
            while let Some(v) = queue.pop_front() {
                let h = hops[v as usize];
                if h >= filter.depth {
                    continue;
                }
                for e in graph.edges_directed(NodeIndex::new(v as usize), dir) {
                    if !edge_ok[e.id().index()] {
                        continue;
                    }
                    let w = match dir {
                        Direction::Outgoing => e.target(),
                        Direction::Incoming => e.source(),
                    }
                    .index();
                    if hops[w] == u32::MAX {
                        hops[w] = h + 1;
                        node_ok[w] = true;
                        queue.push_back(w as u32);
                    }
                }
            }
        }
    }
    let on_path = |a: usize, b: usize| {
        focus.is_none()
            || (down[a] != u32::MAX && down[b] == down[a] + 1)
            || (up[b] != u32::MAX && up[a] == up[b] + 1)
    };
    let edge_kept = |e: petgraph::graph::EdgeReference<'_, _>, node_ok: &[bool]| {
        let (a, b) = (e.source().index(), e.target().index());
        edge_ok[e.id().index()] && node_ok[a] && node_ok[b] && on_path(a, b)
    };
    if filter.filters_edges() {
        let mut touched = vec![false; n];
        for e in graph.edge_references().filter(|&e| edge_kept(e, &node_ok)) {
            touched[e.source().index()] = true;
            touched[e.target().index()] = true;
        }
        for (k, ok) in node_ok.iter_mut().enumerate() {
            *ok = *ok && (touched[k] || focus == Some(k as u32));
        }
    }

    // 3. Grouping: each kept node goes to its own drawn node or its collapsed group's.
    let groups = groups_of(store, filter.group);
    let group_of = |k: usize| match graph[NodeIndex::new(k)].kind {
        NodeKind::Service(s) => groups.get(s as usize).cloned().flatten(),
        NodeKind::Virtual(_) => None,
    };
    let mut view = ServiceView::default();
    let mut drawn = vec![u32::MAX; n];
    let mut collapsed: BTreeMap<String, u32> = BTreeMap::new();
    for k in (0..n).filter(|&k| node_ok[k]) {
        let group = group_of(k);
        match group {
            Some(gname) if !filter.expanded.contains(&gname) => {
                let at = *collapsed.entry(gname.clone()).or_insert_with(|| {
                    view.nodes.push(ViewNode {
                        members: Vec::new(),
                        group: Some(gname),
                        collapsed: true,
                        inner_calls: 0,
                    });
                    view.nodes.len() as u32 - 1
                });
                view.nodes[at as usize].members.push(k as u32);
                drawn[k] = at;
            }
            group => {
                view.nodes.push(ViewNode {
                    members: vec![k as u32],
                    group,
                    collapsed: false,
                    inner_calls: 0,
                });
                drawn[k] = view.nodes.len() as u32 - 1;
            }
        }
    }
    let mut merged: BTreeMap<(u32, u32), usize> = BTreeMap::new();
    for e in graph.edge_references().filter(|&e| edge_kept(e, &node_ok)) {
        let (a, b) = (drawn[e.source().index()], drawn[e.target().index()]);
        let w = e.weight();
        if a == b {
            view.nodes[a as usize].inner_calls += w.calls;
            continue;
        }
        let k = *merged.entry((a, b)).or_insert_with(|| {
            view.edges.push(ViewEdge {
                from: a,
                to: b,
                edges: Vec::new(),
                calls: 0,
                errors: 0,
                p99_ms: 0.0,
                broken: 0,
                unpaired: 0,
                linked: 0,
            });
            view.edges.len() - 1
        });
        let v = &mut view.edges[k];
        v.edges.push(e.id().index() as u32);
        v.calls += w.calls;
        v.errors += w.errors;
        v.p99_ms = v.p99_ms.max(w.p99_ms);
        v.broken += w.broken;
        v.unpaired += w.unpaired;
        v.linked += w.linked;
    }
    Ok(view)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::services::{ServiceEdge, ServiceNode};

    /// A graph of named services (no store: grouping is tested with a real store in
    /// tests/it/topology.rs) and edges (from, to, calls, errors, p99, broken, unpaired).
    fn graph(names: &[&str], edges: &[(usize, usize, u64, u64, f64, u64, u64)]) -> ServiceGraph {
        let mut g = ServiceGraph::default();
        let ids: Vec<_> = names
            .iter()
            .enumerate()
            .map(|(k, n)| {
                g.graph.add_node(ServiceNode {
                    name: n.to_string(),
                    kind: NodeKind::Service(k as u32),
                    spans: 1,
                })
            })
            .collect();
        for &(a, b, calls, errors, p99_ms, broken, unpaired) in edges {
            g.graph.add_edge(
                ids[a],
                ids[b],
                ServiceEdge {
                    calls,
                    errors,
                    p99_ms,
                    broken,
                    unpaired,
                    ..ServiceEdge::default()
                },
            );
        }
        g
    }

    fn names(g: &ServiceGraph, v: &ServiceView) -> Vec<String> {
        let mut out: Vec<String> = v
            .nodes
            .iter()
            .flat_map(|n| n.members.iter())
            .map(|&m| g.graph[NodeIndex::new(m as usize)].name.clone())
            .collect();
        out.sort();
        out
    }

    fn edges(g: &ServiceGraph, v: &ServiceView) -> Vec<(String, String)> {
        let name = |k: u32| {
            let n = &v.nodes[k as usize];
            match n.node() {
                Some(m) => g.graph[NodeIndex::new(m as usize)].name.clone(),
                None => format!("[{}]", n.group.clone().unwrap_or_default()),
            }
        };
        let mut out: Vec<_> = v.edges.iter().map(|e| (name(e.from), name(e.to))).collect();
        out.sort();
        out
    }

    /// gw → api → db, api → cache, web → api, api → mail → smtp; admin → db (a sibling path),
    /// db → cache (between two callees of api).
    fn chain() -> ServiceGraph {
        graph(
            &["gw", "api", "db", "cache", "web", "mail", "smtp", "admin"],
            &[
                (0, 1, 10, 0, 5.0, 0, 0),
                (1, 2, 8, 4, 50.0, 0, 0),
                (1, 3, 2, 0, 1.0, 0, 0),
                (4, 1, 3, 0, 9.0, 1, 0),
                (1, 5, 1, 0, 2.0, 0, 1),
                (5, 6, 1, 0, 2.0, 0, 0),
                (7, 2, 5, 0, 3.0, 0, 0),
                (2, 3, 1, 0, 1.0, 0, 0),
            ],
        )
    }

    fn view(g: &ServiceGraph, f: &ServiceFilter) -> ServiceView {
        service_view(&Store::new(), g, f).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn focus_keeps_callers_and_callees_depth_hops_out() {
        let g = chain();
        let f = ServiceFilter {
            focus: Some("api".into()),
            depth: 1,
            ..ServiceFilter::default()
        };
        let v = view(&g, &f);
        // admin calls db, a callee of api: not on a path through api.
        assert_eq!(names(&g, &v), ["api", "cache", "db", "gw", "mail", "web"]);
        // db → cache joins two callees: not drawn.
        assert_eq!(
            edges(&g, &v),
            [
                ("api".into(), "cache".into()),
                ("api".into(), "db".into()),
                ("api".into(), "mail".into()),
                ("gw".into(), "api".into()),
                ("web".into(), "api".into())
            ]
        );
        let deeper = view(
            &g,
            &ServiceFilter {
                depth: 2,
                ..f.clone()
            },
        );
        assert_eq!(
            names(&g, &deeper),
            ["api", "cache", "db", "gw", "mail", "smtp", "web"]
        );
        assert_eq!(deeper.edges.len(), 6, "mail → smtp added");
        let alone = view(&g, &ServiceFilter { depth: 0, ..f });
        assert_eq!(names(&g, &alone), ["api"]);
        assert!(alone.edges.is_empty());
    }

    #[test]
    fn edge_filters_hide_edges_and_the_services_they_leave_alone() {
        let g = chain();
        // Each filter on its own: the default filter with one field set.
        let only = |set: fn(&mut ServiceFilter)| {
            let mut f = ServiceFilter::default();
            set(&mut f);
            view(&g, &f)
        };
        let calls = only(|f| f.min_calls = 5);
        assert_eq!(
            edges(&g, &calls),
            [
                ("admin".into(), "db".into()),
                ("api".into(), "db".into()),
                ("gw".into(), "api".into())
            ]
        );
        assert_eq!(names(&g, &calls), ["admin", "api", "db", "gw"]);
        let errors = only(|f| f.min_error_rate = 0.5);
        assert_eq!(edges(&g, &errors), [("api".into(), "db".into())]);
        let slow = only(|f| f.min_p99_ms = 9.0);
        assert_eq!(
            edges(&g, &slow),
            [("api".into(), "db".into()), ("web".into(), "api".into())]
        );
        let problems = only(|f| f.only_problems = true);
        assert_eq!(
            edges(&g, &problems),
            [("api".into(), "mail".into()), ("web".into(), "api".into())]
        );
        // Focus after filters: gw → api is filtered out, so gw is not a caller any more, but
        // the focus stays even with no edge.
        let f = ServiceFilter {
            focus: Some("gw".into()),
            depth: 3,
            only_problems: true,
            ..ServiceFilter::default()
        };
        let v = view(&g, &f);
        assert_eq!(names(&g, &v), ["gw"]);
        // No filter: every node, even one without an edge.
        assert_eq!(view(&g, &ServiceFilter::default()).nodes.len(), 8);
    }

    #[test]
    fn an_unknown_focus_suggests_names() {
        let g = chain();
        let f = ServiceFilter {
            focus: Some("ap".into()),
            ..ServiceFilter::default()
        };
        let e = service_view(&Store::new(), &g, &f).err();
        assert_eq!(
            e.map(|e| e.to_string()),
            Some("no service named \"ap\" in the loaded traces (did you mean \"api\"?)".into())
        );
    }
}
