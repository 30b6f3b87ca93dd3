//! The desktop app (egui/eframe): views over a loaded `Session`. Parses nothing and computes no
//! graph itself: it calls `ingest` to load and `analysis` to analyse, off the UI thread.

pub mod flame_chart;
pub mod flame_graph;
pub mod state;
