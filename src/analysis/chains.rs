//! Conversion chains (spec §4.3): the path a value takes through conversion steps within one
//! trace, e.g. `[]byte → *dto.CreateOrderReq → *pb.CreateOrderRequest`.
//!
//! Choices:
//! - Steps of a trace are taken in start order (the store's order). Step `i` links to step
//!   `j` when `j` comes later in that order, `j.from == i.to`, and `j` starts at or after
//!   `i`'s end minus the tolerance. Start order stands in for the causal order of the spec,
//!   which holds both "same subtree" and "later span of the trace, across services".
//! - Each `i` (in start order) takes the earliest such `j` that no earlier step took, so every
//!   step has at most one successor and one predecessor and chains are simple paths.
//! - A chain is a maximal path of at least 2 steps.
//! - A chain crosses a process boundary (a cross-service type flow) when its steps ran in
//!   more than one process.
//!
//! Per trace the linking is O(m log m) for m steps (binary search plus a "next untaken"
//! union-find), and traces run in parallel.

use petgraph::graph::NodeIndex;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use super::Options;
use super::types::{Step, TypeGraph};
use crate::model::{NONE, Store};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    pub trace_id: u128,
    /// The step spans, in chain order.
    pub spans: Vec<u32>,
    /// Type nodes of `TypeGraph::graph`: the first step's `from`, then each step's `to`.
    pub types: Vec<NodeIndex>,
    /// Services (numbers into `store.index.services`) in order of appearance, distinct.
    pub services: Vec<u32>,
    pub cross_process: bool,
}

/// Every chain of every trace, by trace (in id order), then by first step.
pub fn find_chains(store: &Store, types: &TypeGraph, opts: &Options) -> Vec<Chain> {
    let trace_of = |s: &Step| store.index.span_trace.get(s.span as usize).copied();
    let groups: Vec<&[Step]> = types
        .steps
        .chunk_by(|a, b| trace_of(a) == trace_of(b))
        .filter(|g| g.len() >= 2)
        .collect();
    groups
        .par_iter()
        .flat_map_iter(|g| chains_in_trace(store, g, opts.tolerance_ns))
        .collect()
}

/// The chains among `steps`, all of one trace and in start order.
fn chains_in_trace(store: &Store, steps: &[Step], tolerance_ns: u64) -> Vec<Chain> {
    let m = steps.len();
    // Positions of the steps converting from each type, in start order, each with a
    // "next untaken position" union-find (one extra slot as the end sentinel).
    let mut by_from: FxHashMap<NodeIndex, (Vec<u32>, Vec<u32>)> = FxHashMap::default();
    for (pos, s) in steps.iter().enumerate() {
        by_from.entry(s.from).or_default().0.push(pos as u32);
    }
    for (list, free) in by_from.values_mut() {
        free.extend(0..=list.len() as u32);
    }

    let start = |p: u32| store.span(steps[p as usize].span).start;
    let mut succ = vec![NONE; m];
    let mut has_pred = vec![false; m];
    for (i, s) in steps.iter().enumerate() {
        let Some((list, free)) = by_from.get_mut(&s.to) else {
            continue;
        };
        let threshold = store.span(s.span).end.saturating_sub(tolerance_ns);
        let first = list.partition_point(|&p| p as usize <= i || start(p) < threshold);
        let k = find_free(free, first as u32);
        if let Some(&j) = list.get(k as usize) {
            succ[i] = j;
            has_pred[j as usize] = true;
            free[k as usize] = k + 1;
        }
    }

    let mut chains = Vec::new();
    for i in 0..m {
        if has_pred[i] || succ[i] == NONE {
            continue;
        }
        let trace_id = store.span(steps[i].span).trace_id;
        let mut chain = Chain {
            trace_id,
            spans: Vec::new(),
            types: vec![steps[i].from],
            services: Vec::new(),
            cross_process: false,
        };
        let first_process = store.process_of(steps[i].span);
        // A set, not `contains` on the list: a long chain can cross many services.
        let mut seen = FxHashSet::default();
        let mut at = i as u32;
        while at != NONE {
            let s = steps[at as usize];
            chain.spans.push(s.span);
            chain.types.push(s.to);
            let svc = store.service_idx(s.span);
            if seen.insert(svc) {
                chain.services.push(svc);
            }
            chain.cross_process |= store.process_of(s.span) != first_process;
            at = succ[at as usize];
        }
        chains.push(chain);
    }
    chains
}

/// The smallest untaken position at or after `k` (`free[p] == p` means untaken), with path
/// compression.
fn find_free(free: &mut [u32], k: u32) -> u32 {
    let mut root = k;
    while free[root as usize] != root {
        root = free[root as usize];
    }
    let mut x = k;
    while free[x as usize] != root {
        let next = free[x as usize];
        free[x as usize] = root;
        x = next;
    }
    root
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{GATEWAY, Kit, idx};
    use super::*;
    use crate::model::SpanKind::{Client, Internal, Server};

    fn names<'t>(t: &'t TypeGraph, c: &Chain) -> Vec<&'t str> {
        c.types.iter().map(|&n| t.type_name(n)).collect()
    }

    /// `[]byte → *dto.A` in the gateway, then `*dto.A → *pb.B` in the order service.
    #[test]
    fn chain_across_two_services() {
        let mut k = Kit::new();
        let t = 7;
        let (gw, order) = k.checkout(t);
        k.span(gw, t, 3, 1, (4, 90), Client, "CreateOrder", &[]);
        k.span(order, t, 4, 3, (5, 85), Server, "CreateOrder", &[]);
        k.span(
            order,
            t,
            5,
            4,
            (6, 8),
            Internal,
            "type.convert.*dto.A.to.*pb.B",
            &[],
        );
        // Unrelated steps: a lone one, and one that starts before the first ends.
        k.span(
            order,
            t,
            6,
            4,
            (9, 10),
            Internal,
            "type.convert.int.to.string",
            &[],
        );
        k.span(
            gw,
            t,
            7,
            1,
            (2, 3),
            Internal,
            "type.convert.*dto.A.to.*pb.C",
            &[],
        );
        let store = k.store();
        let types = TypeGraph::build(&store);
        let chains = find_chains(&store, &types, &Options { tolerance_ns: 0 });

        assert_eq!(chains.len(), 1, "{chains:?}");
        let c = &chains[0];
        assert_eq!(c.trace_id, 7);
        assert_eq!(c.spans, vec![idx(&store, t, 2), idx(&store, t, 5)]);
        assert_eq!(names(&types, c), ["[]byte", "*dto.A", "*pb.B"]);
        assert_eq!(c.services, vec![0, 1], "api-gateway then order-svc");
        assert!(c.cross_process);

        // With 1 ms tolerance the *pb.C step (starts 2 ms, the first ends at 3 ms) is the
        // earliest successor and takes the link instead.
        let chains = find_chains(&store, &types, &Options::default());
        assert_eq!(chains.len(), 1);
        assert_eq!(names(&types, &chains[0]), ["[]byte", "*dto.A", "*pb.C"]);
        assert_eq!(chains[0].services, vec![0]);
        assert!(!chains[0].cross_process);
    }

    #[test]
    fn each_step_is_taken_once_and_traces_stay_apart() {
        let (mut k, [gw]) = Kit::with_services([GATEWAY]);
        let name_ab = "type.convert.A.to.B";
        let name_bc = "type.convert.B.to.C";
        // Two A→B steps, then two B→C steps: pairs (1,3) and (2,4), not (1,3) alone.
        k.span(gw, 1, 1, 0, (0, 1), Internal, name_ab, &[]);
        k.span(gw, 1, 2, 0, (2, 3), Internal, name_ab, &[]);
        k.span(gw, 1, 3, 0, (4, 5), Internal, name_bc, &[]);
        k.span(gw, 1, 4, 0, (6, 7), Internal, name_bc, &[]);
        // A B→C step in another trace never links to trace 1.
        k.span(gw, 2, 1, 0, (0, 1), Internal, name_ab, &[]);
        k.span(gw, 3, 1, 0, (8, 9), Internal, name_bc, &[]);
        // A→A twice: links to the later one, never to itself.
        k.span(gw, 4, 1, 0, (0, 1), Internal, "type.convert.A.to.A", &[]);
        k.span(gw, 4, 2, 0, (1, 2), Internal, "type.convert.A.to.A", &[]);
        let store = k.store();
        let types = TypeGraph::build(&store);
        let chains = find_chains(&store, &types, &Options { tolerance_ns: 0 });

        let got: Vec<(u128, Vec<u32>)> = chains
            .iter()
            .map(|c| (c.trace_id, c.spans.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, vec![idx(&store, 1, 1), idx(&store, 1, 3)]),
                (1, vec![idx(&store, 1, 2), idx(&store, 1, 4)]),
                (4, vec![idx(&store, 4, 1), idx(&store, 4, 2)]),
            ]
        );
    }

    #[test]
    fn union_find_skips_taken_positions() {
        let mut free = vec![0, 1, 2, 3, 4];
        free[1] = 2;
        free[2] = 3;
        assert_eq!(find_free(&mut free, 1), 3);
        assert_eq!(free[1], 3, "path compressed");
        assert_eq!(find_free(&mut free, 0), 0);
        free[3] = 4;
        assert_eq!(find_free(&mut free, 1), 4, "the sentinel: nothing left");
    }
}
