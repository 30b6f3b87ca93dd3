//! The service graph (spec §4.1): which service calls which, with call counts, errors and
//! callee latency.
//!
//! Nodes `0..store.index.services.len()` are the traced services in the same order (by name);
//! virtual peers (uninstrumented callees) follow in order of first appearance.
//!
//! Choices where the spec is silent:
//! - A CLIENT/PRODUCER span counts as paired when it has a SERVER/CONSUMER child or any child
//!   in another service (that pair already makes the edge, so it is not counted twice).
//! - Calls within one service make no edge (no self loops), whichever rule found them.
//! - A virtual peer never shares a name with a traced service: a peer name that names a traced
//!   service sends the call to that service, counted as unpaired.
//! - A virtual peer keeps the kind it was first seen with (spans are visited in store order,
//!   so this is deterministic).
//! - A span link from a CLIENT/PRODUCER span to a SERVER/CONSUMER root of another trace (a
//!   batch consumer linking each message's producer) is one call on the edge between their
//!   services, counted `linked` (asynchronous), and the linked span is no unpaired call. Each
//!   link is measured on its CLIENT/PRODUCER side: one consumer span answers a whole batch.

use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::breaks::{Break, BreakKind};
use super::keys::{Key, Keys};
use super::links::SpanLinks;
use super::peer::{PeerKind, TracedServices, peer_of};
use crate::model::{StatusCode, Store};

/// The name of the virtual peer of a call with no peer attribute at all.
pub const UNKNOWN_PEER: &str = "unknown";

/// What a node stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// A traced service: its number in `store.index.services`.
    Service(u32),
    /// An uninstrumented callee, named from the caller's attributes.
    Virtual(PeerKind),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServiceNode {
    pub name: String,
    pub kind: NodeKind,
    /// Spans the service emitted (0 for a virtual peer).
    pub spans: u64,
}

impl ServiceNode {
    pub fn is_virtual(&self) -> bool {
        matches!(self.kind, NodeKind::Virtual(_))
    }
}

/// The calls from one service to another. Serialized as the figures the report and the JSON
/// export print (without `spans`).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ServiceEdge {
    pub calls: u64,
    /// Calls whose measured span (see `spans`) has status Error.
    pub errors: u64,
    /// Latency percentiles of the measured spans, in ms.
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    /// Unpaired calls stitched to their server by a `propagation_break`.
    pub broken: u64,
    /// Unpaired calls to a traced service found by `peer.service`/`server.address`.
    pub unpaired: u64,
    /// Calls made by a span link to a root of another trace (spec §4.1); printed only when
    /// there are some, so graphs without links read as before.
    #[serde(skip_serializing_if = "is_zero")]
    pub linked: u64,
    /// The measured span of each call, in store order: the callee span of a parent/child pair,
    /// the client span of an unpaired call.
    #[serde(skip)]
    pub spans: Vec<u32>,
}

#[derive(Debug, Clone, Default)]
pub struct ServiceGraph {
    pub graph: DiGraph<ServiceNode, ServiceEdge>,
}

/// Where a call goes.
#[derive(Clone, Copy)]
enum Target<'s> {
    Service(u32),
    Peer(&'s str, PeerKind),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum How {
    Paired,
    Broken,
    Unpaired,
    Virtual,
    Linked,
}

#[derive(Clone, Copy)]
struct Call<'s> {
    from: u32,
    to: Target<'s>,
    span: u32,
    how: How,
    /// The measured span's duration and status, read in the parallel pass (where the span is
    /// at hand) rather than in the sequential one, which would fetch each from far away.
    ns: u64,
    error: bool,
}

/// What the pass over spans reads besides the store.
struct Lookup<'s> {
    store: &'s Store,
    keys: Keys,
    stitched: FxHashMap<u32, u32>,
    traced: TracedServices<'s>,
    links: &'s SpanLinks,
}

impl ServiceGraph {
    /// Builds the graph of an indexed store; `breaks` supplies the `propagation_break`
    /// stitches. One parallel pass over spans, then one sequential pass over the calls found.
    pub fn build(store: &Store, keys: &Keys, breaks: &[Break], links: &SpanLinks) -> Self {
        let services = &store.index.services;
        let look = Lookup {
            store,
            keys: *keys,
            stitched: breaks
                .iter()
                .filter(|b| b.kind == BreakKind::PropagationBreak)
                .filter_map(|b| Some((b.span, b.related?)))
                .collect(),
            traced: TracedServices::new(store),
            links,
        };
        let n = store.spans.len() as u32;
        let (calls, counts): (Vec<Call>, Vec<u64>) = rayon::join(
            || {
                (0..n)
                    .into_par_iter()
                    .flat_map_iter(|i| calls_of(&look, i))
                    .collect()
            },
            || {
                (0..n)
                    .into_par_iter()
                    .fold(
                        || vec![0u64; services.len()],
                        |mut c, i| {
                            if let Some(c) = c.get_mut(store.service_idx(i) as usize) {
                                *c += 1;
                            }
                            c
                        },
                    )
                    .reduce(
                        || vec![0u64; services.len()],
                        |a, b| a.iter().zip(&b).map(|(x, y)| x + y).collect(),
                    )
            },
        );
        let mut graph = DiGraph::with_capacity(services.len(), 0);
        for (k, (&sym, &spans)) in services.iter().zip(&counts).enumerate() {
            graph.add_node(ServiceNode {
                name: store.str(sym).to_string(),
                kind: NodeKind::Service(k as u32),
                spans,
            });
        }

        let mut peers: FxHashMap<&str, NodeIndex> = FxHashMap::default();
        let mut edges: FxHashMap<(NodeIndex, NodeIndex), EdgeIndex> = FxHashMap::default();
        // Durations of each edge's measured spans, by edge index.
        let mut durations: Vec<Vec<u64>> = Vec::new();
        for c in calls {
            let from = NodeIndex::new(c.from as usize);
            let to = match c.to {
                Target::Service(s) => NodeIndex::new(s as usize),
                Target::Peer(name, kind) => *peers.entry(name).or_insert_with(|| {
                    graph.add_node(ServiceNode {
                        name: name.to_string(),
                        kind: NodeKind::Virtual(kind),
                        spans: 0,
                    })
                }),
            };
            let e = *edges.entry((from, to)).or_insert_with(|| {
                durations.push(Vec::new());
                graph.add_edge(from, to, ServiceEdge::default())
            });
            let w = &mut graph[e];
            w.calls += 1;
            w.errors += u64::from(c.error);
            w.broken += u64::from(c.how == How::Broken);
            w.unpaired += u64::from(c.how == How::Unpaired);
            w.linked += u64::from(c.how == How::Linked);
            w.spans.push(c.span);
            durations[e.index()].push(c.ns);
        }

        let mut weights: Vec<(&mut ServiceEdge, Vec<u64>)> =
            graph.edge_weights_mut().zip(durations).collect();
        weights.par_iter_mut().for_each(|(w, durations)| {
            durations.sort_unstable();
            let ms = |p| nearest_rank(durations, p).map_or(0.0, |ns| ns as f64 / 1e6);
            (w.p50_ms, w.p95_ms, w.p99_ms) = (ms(50), ms(95), ms(99));
        });
        ServiceGraph { graph }
    }

    /// The node of traced service number `service` (into `store.index.services`).
    pub fn service_node(&self, service: u32) -> Option<NodeIndex> {
        let n = NodeIndex::new(service as usize);
        matches!(self.graph.node_weight(n), Some(w) if w.kind == NodeKind::Service(service))
            .then_some(n)
    }
}

/// The `p`-th percentile of `sorted` by nearest rank: the value at rank ⌈p/100 · n⌉ (1-based),
/// always one of the measured values, never interpolated. `None` when empty.
pub fn nearest_rank(sorted: &[u64], p: u32) -> Option<u64> {
    let n = sorted.len();
    let rank = (p as usize * n).div_ceil(100).max(1);
    sorted.get(rank.min(n).checked_sub(1)?).copied()
}

/// The calls span `i` takes part in: as the callee of its parent in another service, and as
/// an unpaired CLIENT/PRODUCER span.
fn calls_of<'s>(look: &Lookup<'s>, i: u32) -> impl Iterator<Item = Call<'s>> {
    let store = look.store;
    let svc = store.service_idx(i);
    let span = store.span(i);
    let call = |from, to, how| Call {
        from,
        to,
        span: i,
        how,
        ns: span.duration(),
        error: span.status == StatusCode::Error,
    };
    let pair = store
        .parent(i)
        .map(|p| store.service_idx(p))
        .filter(|&from| from != svc)
        .map(|from| call(from, Target::Service(svc), How::Paired));
    let unpaired = unpaired_target(look, i, svc)
        .filter(|(to, _)| match *to {
            Target::Service(s) => s != svc,
            Target::Peer(..) => true,
        })
        .map(|(to, how)| call(svc, to, how));
    pair.into_iter()
        .chain(unpaired)
        .chain(linked_calls(look, i, svc))
}

/// The calls root span `i` (of service `svc`) received by span links: one per linked
/// CLIENT/PRODUCER span of another trace and service, measured on that span.
fn linked_calls<'s>(look: &Lookup<'s>, i: u32, svc: u32) -> impl Iterator<Item = Call<'s>> {
    let store = look.store;
    let s = store.span(i);
    let root = s.parent_id == 0 && s.kind.is_incoming() && s.links.len > 0;
    root.then(|| look.links.targets(i))
        .into_iter()
        .flatten()
        .filter_map(move |t| {
            let (from, ts) = (store.service_idx(t), store.span(t));
            (ts.kind.is_outgoing() && ts.trace_id != s.trace_id && from != svc).then_some(Call {
                from,
                to: Target::Service(svc),
                span: t,
                how: How::Linked,
                ns: ts.duration(),
                error: ts.status == StatusCode::Error,
            })
        })
}

/// Whether a SERVER/CONSUMER root of another trace links to span `i`: its call is counted
/// there (`linked_calls`).
fn received_by_link(look: &Lookup, i: u32) -> bool {
    let store = look.store;
    let trace = store.span(i).trace_id;
    look.links.sources(i).any(|r| {
        let s = store.span(r);
        s.parent_id == 0 && s.kind.is_incoming() && s.trace_id != trace
    })
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Where unpaired CLIENT/PRODUCER span `i` (of service `svc`) calls, and how that was found.
fn unpaired_target<'s>(look: &Lookup<'s>, i: u32, svc: u32) -> Option<(Target<'s>, How)> {
    let store = look.store;
    if !store.span(i).kind.is_outgoing() {
        return None;
    }
    let paired = store
        .children(i)
        .iter()
        .any(|&c| store.span(c).kind.is_incoming() || store.service_idx(c) != svc);
    if paired || received_by_link(look, i) {
        return None;
    }
    if let Some(&server) = look.stitched.get(&i) {
        return Some((Target::Service(store.service_idx(server)), How::Broken));
    }
    let a = look.keys.strs(store, i);
    let traced = |name: &str| look.traced.number(name);
    // A database call's peer names are the database's, whatever service they name.
    let named = a.database().is_none().then(|| {
        a.get(Key::PeerService)
            .and_then(traced)
            .or_else(|| a.get(Key::ServerAddress).and_then(traced))
    });
    if let Some(s) = named.flatten() {
        return Some((Target::Service(s), How::Unpaired));
    }
    let (name, kind) = peer_of(&a).unwrap_or((UNKNOWN_PEER, PeerKind::External));
    Some(match traced(name) {
        Some(s) => (Target::Service(s), How::Unpaired),
        None => (Target::Peer(name, kind), How::Virtual),
    })
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{GATEWAY, Kit, ORDER, USER, V, idx};
    use super::*;
    use crate::analysis::breaks::Facts;
    use crate::model::SpanKind::{Client, Internal, Server};

    fn edge<'g>(g: &'g ServiceGraph, from: &str, to: &str) -> Option<&'g ServiceEdge> {
        let node = |n: &str| g.graph.node_indices().find(|&k| g.graph[k].name == n);
        let e = g.graph.find_edge(node(from)?, node(to)?)?;
        Some(&g.graph[e])
    }

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u64> = (1..=10).collect();
        // rank ⌈0.5·10⌉ = 5 → 5; ⌈0.95·10⌉ = 10 → 10; ⌈0.99·10⌉ = 10 → 10.
        assert_eq!(nearest_rank(&v, 50), Some(5));
        assert_eq!(nearest_rank(&v, 95), Some(10));
        assert_eq!(nearest_rank(&v, 99), Some(10));
        let v = [3u64, 7, 8, 12];
        // ⌈0.5·4⌉ = 2 → 7; ⌈0.25·4⌉ = 1 → 3.
        assert_eq!(nearest_rank(&v, 50), Some(7));
        assert_eq!(nearest_rank(&v, 25), Some(3));
        assert_eq!(nearest_rank(&v, 0), Some(3));
        assert_eq!(nearest_rank(&[42], 99), Some(42));
        assert_eq!(nearest_rank(&[], 50), None);
        let v: Vec<u64> = (1..=200).collect();
        // ⌈0.99·200⌉ = 198.
        assert_eq!(nearest_rank(&v, 99), Some(198));
    }

    /// gateway → order → user, with order also querying postgres (uninstrumented).
    #[test]
    fn call_chain_with_database_peer() {
        let (mut k, [gw, order, user]) = Kit::with_services([GATEWAY, ORDER, USER]);
        let t = 1;
        k.span(gw, t, 1, 0, (0, 100), Server, "GET /orders", &[]);
        k.span(gw, t, 2, 1, (5, 95), Client, "POST order", &[]);
        k.span(order, t, 3, 2, (10, 90), Server, "CreateOrder", &[]);
        k.span(order, t, 4, 3, (20, 40), Client, "GetUser", &[]);
        let u = k.span(user, t, 5, 4, (22, 38), Server, "GetUser", &[]);
        k.error(u);
        let pg = &[("db.system", V::S("postgresql"))];
        k.span(order, t, 6, 3, (50, 53), Client, "INSERT orders", pg);
        // A second trace: the same gateway→order call, 30 ms on the server.
        k.span(gw, 2, 1, 0, (0, 50), Server, "GET /orders", &[]);
        k.span(gw, 2, 2, 1, (1, 49), Client, "POST order", &[]);
        k.span(order, 2, 3, 2, (5, 35), Server, "CreateOrder", &[]);
        let store = k.store();
        let g = ServiceGraph::build(&store, &Keys::new(&store), &[], &SpanLinks::build(&store));

        assert_eq!(g.graph.node_count(), 4, "3 services + postgresql");
        assert_eq!(g.graph.edge_count(), 3);
        let go = edge(&g, "api-gateway", "order-svc").expect("gateway→order");
        assert_eq!(go.calls, 2);
        assert_eq!(go.errors, 0);
        // Server spans of 80 ms and 30 ms: p50 is rank 1 → 30, p95/p99 rank 2 → 80.
        assert_eq!((go.p50_ms, go.p95_ms, go.p99_ms), (30.0, 80.0, 80.0));
        assert_eq!((go.broken, go.unpaired), (0, 0));
        assert_eq!(go.spans, vec![idx(&store, 1, 3), idx(&store, 2, 3)]);

        let ou = edge(&g, "order-svc", "user-svc").expect("order→user");
        assert_eq!((ou.calls, ou.errors), (1, 1));
        assert_eq!(ou.p99_ms, 16.0);

        let db = edge(&g, "order-svc", "postgresql").expect("order→postgresql");
        assert_eq!((db.calls, db.unpaired, db.broken), (1, 0, 0));
        assert_eq!(db.p50_ms, 3.0, "client span measured when unpaired");
        assert_eq!(db.spans, vec![idx(&store, 1, 6)]);
        let pgnode = g
            .graph
            .node_indices()
            .find(|&n| g.graph[n].name == "postgresql");
        let pgnode = &g.graph[pgnode.expect("postgresql node")];
        assert_eq!(pgnode.kind, NodeKind::Virtual(PeerKind::Database));
        assert_eq!(pgnode.spans, 0);

        let gw_node = &g.graph[g.service_node(0).expect("node 0")];
        assert_eq!((gw_node.name.as_str(), gw_node.spans), ("api-gateway", 4));
        assert!(edge(&g, "api-gateway", "user-svc").is_none());
    }

    /// api-gateway and order-svc, and the gateway's `GET /orders` request (trace 1, span 1)
    /// that the tests' calls to order-svc are made in.
    fn gateway_request() -> (Kit, u32, u32) {
        let (mut k, [gw, order]) = Kit::with_services([GATEWAY, ORDER]);
        k.span(gw, 1, 1, 0, (0, 100), Server, "GET /orders", &[]);
        (k, gw, order)
    }

    #[test]
    fn unpaired_client_goes_to_named_traced_service() {
        let (mut k, gw, order) = gateway_request();
        let c = k.span(
            gw,
            1,
            2,
            1,
            (10, 30),
            Client,
            "POST order",
            &[("peer.service", V::S("order-svc"))],
        );
        k.error(c);
        // The order service received it in a trace of its own (context not propagated).
        k.span(order, 9, 1, 0, (12, 28), Server, "CreateOrder", &[]);
        // A client with no attributes at all, and one with only a URL.
        k.span(gw, 1, 3, 1, (40, 45), Client, "mystery", &[]);
        let url = &[("url.full", V::S("https://api.stripe.com/v1/charges"))];
        k.span(gw, 1, 4, 1, (50, 60), Client, "charge", url);
        // An internal child span in another service pairs the call (no double count).
        k.span(
            gw,
            1,
            5,
            1,
            (61, 70),
            Client,
            "odd",
            &[("peer.service", V::S("order-svc"))],
        );
        k.span(order, 1, 6, 5, (62, 69), Internal, "handler", &[]);
        let store = k.store();
        let g = ServiceGraph::build(&store, &Keys::new(&store), &[], &SpanLinks::build(&store));

        let e = edge(&g, "api-gateway", "order-svc").expect("gateway→order");
        assert_eq!(e.calls, 2);
        assert_eq!(e.unpaired, 1);
        assert_eq!(e.broken, 0);
        assert_eq!(e.errors, 1, "the unpaired client span had status Error");
        assert_eq!(e.spans, vec![idx(&store, 1, 2), idx(&store, 1, 6)]);
        // Durations 20 ms (client) and 7 ms (internal child).
        assert_eq!((e.p50_ms, e.p99_ms), (7.0, 20.0));

        let unknown = edge(&g, "api-gateway", UNKNOWN_PEER).expect("gateway→unknown");
        assert_eq!((unknown.calls, unknown.unpaired), (1, 0));
        let stripe = edge(&g, "api-gateway", "api.stripe.com").expect("gateway→stripe");
        assert_eq!(stripe.calls, 1);
        assert_eq!(g.graph.edge_count(), 3);
    }

    #[test]
    fn propagation_break_stitches_the_edge() {
        let (mut k, gw, order) = gateway_request();
        // Would go to a virtual peer "orders.internal" without the stitch.
        let addr = &[("server.address", V::S("orders.internal"))];
        k.span(gw, 1, 2, 1, (10, 30), Client, "POST order", addr);
        k.span(order, 9, 1, 0, (12, 28), Server, "CreateOrder", &[]);
        let store = k.store();
        let client = idx(&store, 1, 2);
        let server = idx(&store, 9, 1);
        let brk = Break {
            kind: BreakKind::PropagationBreak,
            span: client,
            related: Some(server),
            facts: Facts::None,
        };
        let keys = Keys::new(&store);
        let g = ServiceGraph::build(
            &store,
            &keys,
            std::slice::from_ref(&brk),
            &SpanLinks::default(),
        );
        let e = edge(&g, "api-gateway", "order-svc").expect("stitched edge");
        assert_eq!((e.calls, e.broken, e.unpaired), (1, 1, 0));
        assert_eq!(e.spans, vec![client]);
        assert!(edge(&g, "api-gateway", "orders.internal").is_none());

        let g = ServiceGraph::build(&store, &keys, &[], &SpanLinks::default());
        let e = edge(&g, "api-gateway", "orders.internal").expect("virtual peer");
        assert_eq!((e.calls, e.broken, e.unpaired), (1, 0, 0));
        assert!(edge(&g, "api-gateway", "order-svc").is_none());
    }
}
