//! What the integration tests share: the bundled samples loaded the way users load them, the
//! `tracetopo` binary, the trace corpus of other projects, and the skip rule for what lives
//! outside the repository.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use tracetopo::analysis::{Analysis, Options};
use tracetopo::app::state::Session;
use tracetopo::ingest::{self, LoadOptions};
use tracetopo::model::Store;

/// The bundled samples (`sample-traces/README.md`).
pub const SAMPLES: [&str; 3] = [
    "checkout-healthy.json",
    "checkout-broken.json",
    "checkout-live.jsonl",
];

/// The path of a bundled sample.
pub fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-traces")
        .join(name)
}

/// A bundled sample loaded into an unindexed store; a load error fails the test with its line.
fn store_of(name: &str) -> Store {
    let mut store = Store::new();
    if let Err(e) = ingest::load_path(&mut store, &sample(name), &LoadOptions::default()) {
        panic!("{e}");
    }
    store
}

/// A bundled sample indexed and analysed, as the CLI does.
pub fn load(name: &str) -> (Store, Analysis) {
    let mut store = store_of(name);
    store.build_index();
    let analysis = Analysis::run(&store, &Options::default());
    (store, analysis)
}

/// A bundled sample as the app's session of it.
pub fn session(name: &str) -> Arc<Session> {
    Session::build(store_of(name), Options::default())
}

/// Runs the `tracetopo` binary with `args` and waits for it.
pub fn tracetopo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tracetopo"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run tracetopo: {e}"))
}

/// The corpus directory: `TRACETOPO_CORPUS`, else `../shared/corpus` beside the crate. CI has
/// it and sets `TRACETOPO_REQUIRE_CORPUS`; a user's clone does not, and the tests skip.
pub fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("TRACETOPO_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus")));
    if dir.is_dir() {
        Some(dir)
    } else {
        missing("TRACETOPO_REQUIRE_CORPUS", "trace corpus not found");
        None
    }
}

/// Ends a test whose `what` (the corpus, Graphviz, Xvfb, the Python SDK) is missing: a failure
/// when the environment variable `require` is set (`.ci/run` sets it where the thing must be
/// there), else a `SKIPPED: what` line. The line is written to stderr directly, past the
/// harness's capture of `println!`, so that `.ci/run` sees and counts it; in one write, so
/// that the output of tests running beside it cannot split it.
pub fn missing(require: &str, what: &str) {
    assert!(
        std::env::var_os(require).is_none(),
        "{what}, and {require} is set: it is required here"
    );
    let line = format!("SKIPPED: {what}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// Runs `tracetopo ARGS` in a fresh X server (`xvfb-run -a`, `WAYLAND_DISPLAY` unset so that
/// the window is an X window), with `stdin` written to it and kept open until it exits; `None`
/// (after `missing`) when xvfb-run is not installed. xvfb-run exits 5 when it cannot remove its
/// own temporary directory after the app ended (seen once in CI, among tests running beside
/// it): such a run says nothing about tracetopo, so it runs again, twice at most.
pub fn in_xvfb(args: &[&str], stdin: Option<&[u8]>) -> Option<Output> {
    let has_xvfb = Command::new("sh")
        .args(["-c", "command -v xvfb-run"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_xvfb {
        missing("TRACETOPO_REQUIRE_XVFB", "xvfb-run not found");
        return None;
    }
    let run = || {
        let mut child = Command::new("xvfb-run")
            .args(["-a", "-s", "-screen 0 1600x1000x24"])
            .arg(env!("CARGO_BIN_EXE_tracetopo"))
            .args(args)
            .env_remove("WAYLAND_DISPLAY")
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run xvfb-run: {e}"));
        // Written and left open: what arrives must arrive while the pipe is still open.
        let pipe = stdin.map(|bytes| {
            let mut w = child.stdin.take().expect("a piped stdin");
            w.write_all(bytes)
                .and_then(|()| w.flush())
                .unwrap_or_else(|e| panic!("writing to tracetopo's stdin: {e}"));
            w
        });
        let out = child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("xvfb-run: {e}"));
        drop(pipe);
        out
    };
    let xvfb_cleanup_failed = |o: &Output| {
        o.status.code() == Some(5)
            && String::from_utf8_lossy(&o.stderr)
                .contains("problem while cleaning up temporary directory")
    };
    let mut out = run();
    for _ in 0..2 {
        if !xvfb_cleanup_failed(&out) {
            break;
        }
        out = run();
    }
    Some(out)
}
