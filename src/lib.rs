//! tracetopo: how a request travelled through a set of services.
//!
//! Data flows one way: `ingest` (readers) → `model` (the compact store) → `analysis`
//! (graphs and breaks) → `report` (what the CLI prints). `synth` writes the sample traces
//! and the large dumps the benchmarks load.

#![forbid(unsafe_code)]

pub mod analysis;
pub mod app;
pub mod backend;
pub mod cli;
pub mod escape;
pub mod export;
pub mod ingest;
pub(crate) mod json_write;
pub mod live;
pub mod model;
pub mod query;
pub mod report;
pub mod synth;
pub mod units;
