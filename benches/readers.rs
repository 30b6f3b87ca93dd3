//! Reader throughput: tracetopo's OTLP JSON-lines loader against the naive baseline (serde_json
//! into the opentelemetry-proto types, one line at a time, one thread) on the same bytes.
//! The full-size figures (1M spans) are in docs/PERFORMANCE.md.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use tracetopo::ingest::{LoadOptions, load_bytes};
use tracetopo::model::Store;
use tracetopo::synth::{LargeConfig, write_jsonl};

fn dump(traces: u64) -> Vec<u8> {
    let cfg = LargeConfig {
        traces,
        spans_per_trace: 100,
        ..LargeConfig::default()
    };
    let mut out = Vec::new();
    write_jsonl(&mut out, &cfg, |_| {}).expect("generate");
    out
}

fn readers(c: &mut Criterion) {
    let bytes = dump(100);
    let mut g = c.benchmark_group("load 10k spans of OTLP JSON lines");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.sample_size(10);
    g.bench_function("tracetopo", |b| {
        b.iter(|| {
            let mut store = Store::new();
            load_bytes(&mut store, "bench.jsonl", &bytes, &LoadOptions::default()).expect("load");
            store.spans.len()
        })
    });
    g.bench_function("naive serde_json into opentelemetry-proto", |b| {
        b.iter(|| {
            let mut kept = Vec::new();
            for line in bytes.split(|&c| c == b'\n').filter(|l| !l.is_empty()) {
                kept.push(serde_json::from_slice::<ExportTraceServiceRequest>(line).expect("line"));
            }
            kept.len()
        })
    });
    g.finish();
}

criterion_group!(benches, readers);
criterion_main!(benches);
