//! Synthetic traces: the reviewed sample files in `sample-traces/` and a fast generator of
//! large OTLP/JSON-lines dumps for load tests. Deterministic: same input, same bytes.

mod json;
pub mod large;
pub mod logs;
pub mod mesh;
mod rng;
pub mod sample_logs;
pub mod samples;
mod spans;

pub use large::{LargeConfig, Stats, write_jsonl};
pub use logs::write_logs_jsonl;
pub use mesh::{MeshConfig, MeshStats, write_mesh};
pub use samples::write_samples;
