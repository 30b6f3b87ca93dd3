//! tracetopo: how a request travelled through a set of services.
//!
//! Data flows one way: `ingest` (readers) → `model` (the compact store) → `analysis`
//! (graphs and breaks) → `report` (what the CLI prints).

pub mod analysis;
pub mod ingest;
pub mod model;
pub mod synth;
