//! The integration tests, one crate with a module per topic (filter with `cargo test --test it
//! topic::`): each test binary links egui, wgpu and tonic, so one binary links them once.
//! Shared helpers are in `util`; the analysis test stores come from `tracetopo::analysis::testkit`
//! (the `testkit` feature, which the crate's dev-dependency on itself turns on).

mod util;

mod app;
mod backend_panel;
mod backend_server;
mod backends;
mod breaks;
mod cli;
mod console;
mod corpus;
mod corpus_jaeger_zipkin;
mod export;
mod flame;
mod golden;
mod hostile;
mod ingest;
mod lanes;
mod links;
mod live;
mod logs;
mod logs_app;
mod otlp_jsonl;
mod robustness;
mod samples;
mod topology;
mod traceql;
