//! Layered layout of 300-service graphs with 1000 and 2000 edges (a few of them closing
//! cycles), and the whole Services scene (layout, routes, label placement) of the generated
//! 300 × 2,000 mesh: what the Services view and the exporters build once per session and
//! filter. The figures are in docs/PERFORMANCE.md.

use criterion::{Criterion, criterion_group, criterion_main};
use tracetopo::analysis::layout::{LayoutOptions, Size, layout, text_width};
use tracetopo::analysis::service_view::ServiceFilter;
use tracetopo::analysis::{Analysis, Options};
use tracetopo::export::{ExportView, scene_filtered};
use tracetopo::model::Store;

/// The mesh `tracetopo generate mesh --services S --edges E` writes, loaded and analysed.
fn mesh(services: u32, edges: u32) -> (Store, Analysis) {
    let cfg = tracetopo::synth::MeshConfig {
        services,
        edges,
        seed: 1,
    };
    let mut bytes = Vec::new();
    tracetopo::synth::write_mesh(&mut bytes, &cfg).expect("generate");
    let mut store = Store::new();
    tracetopo::ingest::load_bytes(&mut store, "mesh.jsonl", &bytes, &Default::default())
        .expect("load");
    store.build_index();
    let analysis = Analysis::run(&store, &Options::default());
    (store, analysis)
}

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
    let (sizes, edges) = graph(300, 2000);
    g.bench_function("300 nodes, 2000 edges", |b| {
        b.iter(|| layout(&sizes, &edges, &opts).edges.len())
    });
    let (store, analysis) = mesh(300, 2000);
    let filter = ServiceFilter::default();
    g.bench_function("scene of the 300 x 2000 mesh", |b| {
        b.iter(|| {
            scene_filtered(&store, &analysis, ExportView::Services, &filter)
                .map(|s| s.edges.len())
                .unwrap_or(0)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
