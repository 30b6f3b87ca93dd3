//! Shared by the integration tests that read the trace corpus of other projects.

pub mod require;

use std::path::PathBuf;

/// The corpus directory: `TRACETOPO_CORPUS`, else `../shared/corpus` beside the crate. CI has
/// it and sets `TRACETOPO_REQUIRE_CORPUS`; a user's clone does not, and the tests skip.
pub fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("TRACETOPO_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus")));
    if dir.is_dir() {
        Some(dir)
    } else {
        require::missing("TRACETOPO_REQUIRE_CORPUS", "trace corpus not found");
        None
    }
}
