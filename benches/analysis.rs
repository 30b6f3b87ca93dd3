//! Analysis cost on an indexed store of 50k spans: indexing, break detection, the graphs and
//! the report. The full-size figures (1M spans) are in docs/PERFORMANCE.md.

use criterion::{Criterion, criterion_group, criterion_main};
use tracetopo::analysis::{Analysis, Options, breaks};
use tracetopo::ingest::{LoadOptions, load_bytes};
use tracetopo::model::Store;
use tracetopo::report::Report;
use tracetopo::synth::{LargeConfig, write_jsonl};

fn loaded(traces: u64) -> Store {
    let cfg = LargeConfig {
        traces,
        spans_per_trace: 100,
        ..LargeConfig::default()
    };
    let mut bytes = Vec::new();
    write_jsonl(&mut bytes, &cfg, |_| {}).expect("generate");
    let mut store = Store::new();
    load_bytes(&mut store, "bench.jsonl", &bytes, &LoadOptions::default()).expect("load");
    store
}

fn analysis(c: &mut Criterion) {
    let mut g = c.benchmark_group("analyse 50k spans");
    g.sample_size(10);
    g.bench_function("build_index", |b| {
        b.iter_batched(
            || loaded(500),
            |mut s| s.build_index(),
            criterion::BatchSize::LargeInput,
        )
    });
    let mut store = loaded(500);
    store.build_index();
    let opts = Options::default();
    g.bench_function("find_breaks", |b| {
        b.iter(|| breaks::find_breaks(&store, &opts).len())
    });
    g.bench_function("Analysis::run", |b| {
        b.iter(|| Analysis::run(&store, &opts).breaks.len())
    });
    let analysis = Analysis::run(&store, &opts);
    g.bench_function("Report::build + to_json", |b| {
        b.iter(|| Report::build(&store, &analysis).to_json().map(|s| s.len()))
    });
    g.finish();
}

criterion_group!(benches, analysis);
criterion_main!(benches);
