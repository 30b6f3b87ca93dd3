//! Layered layout of a 300-service graph with 1000 edges (a few of them closing cycles): what
//! the Services view and the exporters lay out once per session. The figure is in
//! docs/topology.md.

use criterion::{Criterion, criterion_group, criterion_main};
use tracetopo::analysis::layout::{LayoutOptions, Size, layout, text_width};

/// A deterministic service-like graph: calls mostly go "downstream" (to a higher number),
/// one in twenty goes back up (a cycle), no self calls, no duplicate pairs.
fn graph(nodes: u32, edges: usize) -> (Vec<Size>, Vec<(u32, u32)>) {
    let sizes = (0..nodes)
        .map(|k| Size {
            w: text_width(&format!("service-{k}-svc"), 14.0) + 28.0,
            h: 46.0,
        })
        .collect();
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: u32| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % u64::from(n)) as u32
    };
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(edges);
    while out.len() < edges {
        let a = next(nodes);
        // Callees sit close downstream, as in a real call graph.
        let b = (a + 1 + next(12)).min(nodes - 1);
        let (a, b) = if next(20) == 0 { (b, a) } else { (a, b) };
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
