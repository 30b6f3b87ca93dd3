//! Logs joined to traces (issue 12): loading and joining a dump with one log record per span
//! against the spans alone, on the same generated data. The full-size figures (1M spans + 1M
//! records) and their command are in docs/PERFORMANCE.md.

use criterion::{Criterion, criterion_group, criterion_main};
use tracetopo::ingest::{LoadOptions, load_bytes};
use tracetopo::model::Store;
use tracetopo::synth::{LargeConfig, write_jsonl, write_logs_jsonl};

fn load(inputs: &[(&str, &[u8])]) -> Store {
    let mut store = Store::new();
    for (name, bytes) in inputs {
        load_bytes(&mut store, name, bytes, &LoadOptions::default()).expect("load");
    }
    store.build_index();
    store
}

fn logs(c: &mut Criterion) {
    let cfg = LargeConfig {
        traces: 200,
        spans_per_trace: 100,
        ..LargeConfig::default()
    };
    let mut spans = Vec::new();
    write_jsonl(&mut spans, &cfg, |_| {}).expect("generate");
    let mut records = Vec::new();
    write_logs_jsonl(&mut records, &load(&[("spans.jsonl", &spans)])).expect("logs");
    let mut g = c.benchmark_group("load and index 20k spans, with and without 20k log records");
    g.sample_size(10);
    g.bench_function("spans", |b| {
        b.iter(|| load(&[("spans.jsonl", &spans)]).spans.len())
    });
    g.bench_function("spans + logs, joined", |b| {
        b.iter(|| {
            load(&[("spans.jsonl", &spans), ("logs.jsonl", &records)])
                .index
                .log_span
                .len()
        })
    });
    g.finish();
}

criterion_group!(benches, logs);
criterion_main!(benches);
