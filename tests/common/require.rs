//! Tests that need something outside the repository (the shared corpus, Graphviz, Xvfb) fail
//! when `.ci/run` says it is required, and otherwise skip with a line `.ci/run` counts.

use std::io::Write;

/// Ends a test whose `what` is missing: a failure when the environment variable `require` is
/// set (`.ci/run` sets it where the thing must be there), else a `SKIPPED: what` line. The
/// line is written to stderr directly, past the harness's capture of `println!`, so that
/// `.ci/run` sees it.
pub fn missing(require: &str, what: &str) {
    assert!(
        std::env::var_os(require).is_none(),
        "{what}, and {require} is set: it is required here"
    );
    let _ = writeln!(std::io::stderr(), "SKIPPED: {what}");
}
