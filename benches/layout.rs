//! Layered layout of a 300-service graph with 1000 edges (a few of them closing cycles): what
//! the Services view and the exporters lay out once per session. The figure is in
//! docs/topology.md.

use criterion::{Criterion, criterion_group, criterion_main};
use tracetopo::analysis::layout::{LayoutOptions, Size, layout, text_width};

/// A deterministic service-like graph: services in 8 tiers (gateways, APIs, domain services,
/// stores, …); most calls go one or two tiers down, one in ten stays in its tier and one in
/// ten goes back up (closing cycles). No self calls, no duplicate pairs.
fn graph(nodes: u32, edges: usize) -> (Vec<Size>, Vec<(u32, u32)>) {
    const TIERS: u32 = 8;
    let sizes = (0..nodes)
        .map(|k| Size {
            w: text_width(&format!("service-{k}-svc"), 14.0) + 28.0,
            h: 46.0,
        })
        .collect();
    let per_tier = nodes.div_ceil(TIERS);
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: u32| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % u64::from(n.max(1))) as u32
    };
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(edges);
    while out.len() < edges {
        let a = next(nodes);
        let tier = a / per_tier;
        let to_tier = match next(10) {
            0 => tier,
            1 => next(tier + 1),
            _ => (tier + 1 + next(2)).min(TIERS - 1),
        };
        let b = (to_tier * per_tier + next(per_tier)).min(nodes - 1);
        if a != b && seen.insert((a, b)) {
            out.push((a, b));
        }
    }
    (sizes, out)
}

fn bench(c: &mut Criterion) {
    let (sizes, edges) = graph(300, 1000);
    let opts = LayoutOptions::default();
    let mut g = c.benchmark_group("layout");
    g.sample_size(20);
    g.bench_function("300 nodes, 1000 edges", |b| {
        b.iter(|| layout(&sizes, &edges, &opts).edges.len())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
