//! TraceQL over 1M generated spans (10k traces of 100): a plain attribute filter (the issue's
//! "simple filter", under 100 ms), a regex on the name, and a structural query. Figures in
//! docs/PERFORMANCE.md.

use criterion::{Criterion, criterion_group, criterion_main};
use tracetopo::ingest::{LoadOptions, load_bytes};
use tracetopo::model::Store;
use tracetopo::query::traceql::Query;
use tracetopo::synth::{LargeConfig, write_jsonl};

fn loaded() -> Store {
    let cfg = LargeConfig {
        traces: 10_000,
        spans_per_trace: 100,
        ..LargeConfig::default()
    };
    let mut bytes = Vec::new();
    write_jsonl(&mut bytes, &cfg, |_| {}).expect("generate");
    let mut store = Store::new();
    load_bytes(&mut store, "bench.jsonl", &bytes, &LoadOptions::default()).expect("load");
    store.build_index();
    store
}

fn traceql(c: &mut Criterion) {
    let store = loaded();
    let mut g = c.benchmark_group("traceql over 1M spans");
    g.sample_size(10);
    for (label, q) in [
        (
            "attribute filter",
            r#"{ span.db.system = "postgresql" && duration > 1ms }"#,
        ),
        ("regex on name", r#"{ name =~ "SELECT.*" }"#),
        ("structural", "{ kind = server } >> { status = error }"),
    ] {
        let q = Query::parse(q).expect("query");
        g.bench_function(label, |b| b.iter(|| q.evaluate(&store, &[]).len()));
    }
    g.finish();
}

criterion_group!(benches, traceql);
criterion_main!(benches);
