//! The SDKs' console output (issue 15): the Go `stdouttrace` exporter of a real Go program
//! (Debian's golang-go and golang-opentelemetry-otel-dev, built offline), the Python
//! `ConsoleSpanExporter` (the SDK `.ci/run` installs), a current Go SDK's fields (a fixture
//! written from its source), and following: a file that grows, is truncated and is renamed;
//! a pipe read as it is written; the app in live mode following a file.
//!
//! Go and Python are gated as the other tools are: without them the test says `SKIPPED:`;
//! with `TRACETOPO_REQUIRE_GO` / `TRACETOPO_REQUIRE_PYTHON` set (`.ci/run`), a missing one fails.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tracetopo::analysis::{Analysis, Options};
use tracetopo::app::{AppConfig, TracetopoApp};
use tracetopo::ingest::{self, LoadOptions};
use tracetopo::live::follow::{Followed, Follower};
use tracetopo::live::server;
use tracetopo::live::stats::Stats;
use tracetopo::model::{AttrType, SpanKind, StatusCode, Store};

const HERE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/console");
const GOCODE: &str = "/usr/share/gocode";

/// `tracetopo analyze ARGS --format json`, `stdin` written to it; the report.
fn analyze(args: &[&str], stdin: &[u8]) -> Value {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tracetopo"))
        .arg("analyze")
        .args(args)
        .args(["--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut w = child.stdin.take().unwrap();
    let input = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        // In steps, so that objects are cut across reads of the pipe.
        for part in input.chunks(777) {
            w.write_all(part).unwrap();
            w.flush().unwrap();
        }
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// (kind, span name) of each break, sorted.
fn breaks(report: &Value) -> Vec<(String, String)> {
    let mut b: Vec<(String, String)> = report["breaks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["kind"].as_str().unwrap().to_string(),
                b["span_name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    b.sort();
    b
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// The count of the warning with this message in a report (0 when absent).
fn warned(report: &Value, message: &str) -> u64 {
    report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["message"] == message)
        .map(|w| w["count"].as_u64().unwrap())
        .sum()
}

const TEXT_LINE: &str = "line that is not part of a span object: skipped";
/// A JSON object that is neither a span nor a log record (issue 12: JSON log lines are records).
const OTHER_OBJECT: &str = "JSON object that is neither a span nor a log record: skipped";

/// `go` with the OpenTelemetry Go SDK's stdout exporter in Debian's GOPATH, or a skip.
fn go() -> Option<()> {
    let ok = Command::new("go")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    let sdk = Path::new(GOCODE).join("src/go.opentelemetry.io/otel/exporters/stdout/stdouttrace");
    if ok && sdk.is_dir() {
        return Some(());
    }
    crate::util::missing(
        "TRACETOPO_REQUIRE_GO",
        "go or the OpenTelemetry Go SDK not installed (apt-get install golang-go \
         golang-opentelemetry-otel-dev)",
    );
    None
}

#[test]
fn go_stdout_exporter_of_a_real_program() {
    if go().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("shop");
    let build = Command::new("go")
        .args(["build", "-o"])
        .arg(&exe)
        .arg("shop")
        .env("GO111MODULE", "off")
        .env("GOPATH", format!("{HERE}/go:{GOCODE}"))
        .env(
            "GOCACHE",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("go-cache"),
        )
        .env("GOFLAGS", "")
        .output()
        .unwrap();
    assert!(
        build.status.success(),
        "go build: {}",
        String::from_utf8_lossy(&build.stderr)
    );
    let run = Command::new(&exe).output().unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let text = String::from_utf8(run.stdout).unwrap();
    // What the program printed, counted independently of the reader.
    let spans = text.matches("\"SpanContext\"").count() as u64;
    let text_lines = text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with(['{', '\t', '}']))
        .count() as u64;
    let logs = text.lines().filter(|l| l.starts_with("{\"level\"")).count() as u64;
    assert!(spans > 0 && text_lines > 0 && logs > 0, "{text}");

    let file = dir.path().join("stdout.txt");
    std::fs::write(&file, &text).unwrap();
    let want = pairs(&[
        ("detached_root", "audit order"),
        ("propagation_break", "GET /stock"),
    ]);
    for report in [
        analyze(&[file.to_str().unwrap()], b""),
        analyze(&["-"], text.as_bytes()),
    ] {
        assert_eq!(report["inputs"][0]["format"], "otel-go-stdout");
        assert_eq!(report["inputs"][0]["spans"], spans);
        assert_eq!(breaks(&report), want);
        assert_eq!(warned(&report, TEXT_LINE), text_lines);
        assert_eq!(warned(&report, OTHER_OBJECT), 0);
        assert_eq!(report["inputs"][0]["logs"], logs);
    }
}

#[test]
fn current_go_sdk_fields() {
    let mut store = Store::new();
    let path = Path::new(HERE).join("go-current-sdk.jsonl");
    let loaded = ingest::load_path(&mut store, &path, &LoadOptions::default()).unwrap();
    assert_eq!(loaded.format.name(), "otel-go-stdout");
    assert_eq!(store.diag.warnings, []);
    let s = |name: &str| {
        *store
            .spans
            .iter()
            .find(|s| store.strings.resolve(s.name) == name)
            .unwrap()
    };
    let (root, child) = (s("POST /checkout"), s("charge card"));
    let text = |sym| store.strings.resolve(sym).to_string();
    assert_eq!(root.trace_id, 0x5b8efff798038103d269b633813fc60c);
    assert_eq!((root.parent_id, child.parent_id), (0, root.span_id));
    assert_eq!(
        (root.kind, child.kind),
        (SpanKind::Server, SpanKind::Client)
    );
    assert_eq!(
        (root.status, child.status),
        (StatusCode::Error, StatusCode::Ok)
    );
    assert_eq!(text(root.status_message), "payment declined");
    assert_eq!(
        (text(root.scope), text(child.scope)),
        ("shop/checkout".into(), "shop/payments".into())
    );
    // 2025-03-04T11:00:00Z is 1741086000 (`date -u -d 2025-03-04T11:00:00Z +%s`); the root
    // is written with +01:00.
    assert_eq!(root.start, 1_741_086_000_000_000_001);
    assert_eq!(root.duration(), 250_000_000);
    assert_eq!(child.start, 1_741_086_000_010_000_000);
    let attrs: HashMap<String, (AttrType, String)> = store.attrs[root.attrs.range()]
        .iter()
        .map(|a| {
            let v = a.value(&store.strings);
            (text(a.key), (a.ty, v.to_text()))
        })
        .collect();
    let want: &[(&str, AttrType, &str)] = &[
        ("b", AttrType::Bool, "true"),
        ("i", AttrType::Int, "-7"),
        ("f", AttrType::Double, "0.25"),
        ("s", AttrType::Str, "x"),
        ("bs", AttrType::Json, "[true,false]"),
        ("is", AttrType::Json, "[1,2]"),
        ("fs", AttrType::Json, "[0.5]"),
        ("ss", AttrType::Json, "[\"a\",\"b\"]"),
        ("raw", AttrType::Bytes, "aGk="),
        ("mixed", AttrType::Json, "[\"a\",1]"),
        ("m", AttrType::Json, "{\"k\":false}"),
        ("none", AttrType::Empty, ""),
    ];
    assert_eq!(attrs.len(), want.len());
    for (k, ty, v) in want {
        assert_eq!(attrs[*k], (*ty, v.to_string()), "attribute {k}");
    }
    let ev = store.events[root.events.range()][0];
    assert_eq!(text(ev.name), "exception");
    assert_eq!(ev.time, 1_741_086_000_200_000_000);
    let link = store.links[child.links.range()][0];
    assert_eq!(
        (link.trace_id, link.span_id),
        (0x0102030405060708090a0b0c0d0e0f10, 0x0102030405060708)
    );
    let res = &store.resources[root.resource as usize];
    assert_eq!(text(res.service), "checkout");
    assert_eq!(root.resource, child.resource, "one resource, stored once");
}

/// The venv's Python with the SDK's console exporter, or a skip.
fn python() -> Option<PathBuf> {
    let py = std::env::var_os("TRACETOPO_PYTHON").map_or_else(|| "python3".into(), PathBuf::from);
    let ok = Command::new(&py)
        .args([
            "-c",
            "from opentelemetry.sdk.trace.export import ConsoleSpanExporter",
        ])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return Some(py);
    }
    crate::util::missing(
        "TRACETOPO_REQUIRE_PYTHON",
        "the OpenTelemetry Python SDK not importable (bash scripts/setup-python.sh, then set \
         TRACETOPO_PYTHON)",
    );
    None
}

#[test]
fn python_console_exporter() {
    let Some(py) = python() else { return };
    let run = Command::new(py)
        .arg(format!("{HERE}/console_spans.py"))
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let text = String::from_utf8(run.stdout).unwrap();
    // Top-level keys are indented by 4 spaces (`to_json(indent=4)`); a link's context deeper.
    let spans = text.matches("\n    \"context\": {").count();
    let mut store = Store::new();
    let loaded =
        ingest::load_bytes(&mut store, "py", text.as_bytes(), &LoadOptions::default()).unwrap();
    assert_eq!(loaded.format.name(), "otel-python-console");
    assert_eq!(store.spans.len(), spans);
    let text_lines = text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with(['{', ' ', '}']))
        .count() as u64;
    let folded = |m: &str| {
        store
            .diag
            .warnings
            .iter()
            .filter(|w| w.message == m)
            .map(|w| w.count)
            .sum::<u64>()
    };
    assert_eq!(folded(TEXT_LINE), text_lines);
    // Its one JSON log line is a log record.
    assert_eq!(folded(OTHER_OBJECT), 0);
    assert_eq!(store.logs.len(), 1);

    let by_name = |n: &str| {
        *store
            .spans
            .iter()
            .find(|s| store.strings.resolve(s.name) == n && s.kind != SpanKind::Client)
            .unwrap()
    };
    let (cart, render) = (by_name("GET /cart"), by_name("render cart"));
    assert_eq!(cart.kind, SpanKind::Server);
    assert_eq!(render.parent_id, cart.span_id);
    assert_eq!(render.trace_id, cart.trace_id);
    let items = store.attrs[cart.attrs.range()]
        .iter()
        .find(|a| store.strings.resolve(a.key) == "cart.items")
        .unwrap();
    assert_eq!(items.value(&store.strings).to_text(), "[1,2,3]");
    let ev = store.events[cart.events.range()][0];
    assert_eq!(store.strings.resolve(ev.name), "cache miss");
    assert!(cart.start <= ev.time && ev.time <= cart.end);

    store.build_index();
    let analysis = Analysis::run(&store, &Options::default());
    let mut found: Vec<(String, String)> = analysis
        .breaks
        .iter()
        .map(|b| {
            let s = store.spans[b.span as usize];
            (
                b.kind.name().to_string(),
                store.strings.resolve(s.name).to_string(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        pairs(&[
            ("detached_root", "refresh recommendations"),
            ("propagation_break", "GET /prices"),
        ])
    );
}

/// A Go `stdouttrace` span (compact) with span id `id`, in trace 1.
fn go_span(id: u64) -> String {
    format!(
        "{{\"Name\":\"step {id}\",\"SpanContext\":{{\"TraceID\":\"00000000000000000000000000000001\",\
         \"SpanID\":\"{id:016x}\"}},\"Parent\":{{\"SpanID\":\"0000000000000000\"}},\"SpanKind\":1,\
         \"StartTime\":\"2025-03-04T11:00:00Z\",\"EndTime\":\"2025-03-04T11:00:01Z\",\
         \"Resource\":[{{\"Key\":\"service.name\",\"Value\":{{\"Type\":\"STRING\",\"Value\":\"s\"}}}}]}}\n"
    )
}

/// Span ids received through a live sink, as they arrive.
struct Received(Arc<Mutex<Vec<u64>>>);

impl Received {
    fn start() -> (server::Sink, Received) {
        let (sink, mut rx) = server::sink();
        let got: Arc<Mutex<Vec<u64>>> = Arc::default();
        let g = Arc::clone(&got);
        std::thread::spawn(move || {
            while let Some(d) = rx.blocking_recv() {
                g.lock()
                    .unwrap()
                    .extend(d.batch.spans.iter().map(|s| s.span_id));
            }
        });
        (sink, Received(got))
    }

    /// Waits until `n` spans arrived (bounded: 30 s), then returns them.
    fn wait(&self, n: usize) -> Vec<u64> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let got = self.0.lock().unwrap().clone();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {n} spans arrived",
                got.len()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

#[test]
fn a_followed_file_survives_truncation_and_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spans.log");
    let (sink, got) = Received::start();
    // Started before the file exists: it is waited for.
    let follower = Follower::start(
        Followed::File(path.clone()),
        sink,
        Arc::new(Stats::default()),
    )
    .unwrap();
    append(&path, &format!("starting\n{}{}", go_span(1), go_span(2)));
    got.wait(2);
    // An object written in two steps arrives once it is whole.
    let third = go_span(3);
    let (a, b) = third.split_at(40);
    append(&path, &format!("{}{a}", go_span(4)));
    got.wait(3);
    append(&path, b);
    got.wait(4);
    // Copy-truncate: the file starts again, shorter than what was read.
    std::fs::File::create(&path).unwrap();
    append(&path, &go_span(5));
    got.wait(5);
    // Rename: the old file gets one more span before the new one appears.
    std::fs::rename(&path, dir.path().join("spans.log.1")).unwrap();
    append(&dir.path().join("spans.log.1"), &go_span(6));
    append(&path, &format!("{}{}", go_span(7), go_span(8)));
    got.wait(8);
    // Three more polls: nothing is read twice.
    std::thread::sleep(Duration::from_millis(300));
    drop(follower);
    let mut ids = got.wait(8);
    ids.sort_unstable();
    assert_eq!(ids, (1..=8).collect::<Vec<u64>>());
}

#[test]
fn a_pipe_streams_spans_as_they_are_written() {
    let (r, mut w) = std::io::pipe().unwrap();
    let (sink, got) = Received::start();
    let _follower = Follower::start_reader(r, sink, Arc::new(Stats::default())).unwrap();
    let second = go_span(2);
    let (a, b) = second.split_at(25);
    w.write_all(format!("go: listening\n{}{a}", go_span(1)).as_bytes())
        .unwrap();
    // The first span arrives while the pipe is still open.
    assert_eq!(got.wait(1), [1]);
    w.write_all(b.as_bytes()).unwrap();
    assert_eq!(got.wait(2), [1, 2]);
    drop(w);
}

#[test]
fn the_app_follows_a_file_in_live_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.txt");
    append(
        &path,
        &format!("go: starting\n{}{}", go_span(1), go_span(2)),
    );
    let mut h = egui_kittest::Harness::builder()
        .with_size([1200.0, 800.0])
        .build_eframe(|cc| {
            TracetopoApp::new(
                &cc.egui_ctx,
                AppConfig {
                    follow: vec![path.clone()],
                    ..AppConfig::default()
                },
            )
        });
    let shown = |a: &TracetopoApp| a.session().map_or(0, |s| s.store.spans.len());
    let step_until = |h: &mut egui_kittest::Harness<'_, TracetopoApp>, n: usize| {
        let deadline = Instant::now() + Duration::from_secs(30);
        while shown(h.state()) != n {
            assert!(
                Instant::now() < deadline,
                "{} of {n} spans shown",
                shown(h.state())
            );
            h.step();
            std::thread::sleep(Duration::from_millis(20));
        }
        h.state().live().expect("live mode").followed()
    };
    assert_eq!(step_until(&mut h, 2), [path.display().to_string()]);
    // The skipped service line is counted where the app shows its warnings.
    let warnings = h.state().session().unwrap().store.diag.warnings.clone();
    assert!(
        warnings
            .iter()
            .any(|w| w.message == TEXT_LINE && w.count == 1),
        "{warnings:?}"
    );
    append(&path, &go_span(3));
    step_until(&mut h, 3);
}

/// The captured runs (tests/console/README.md) through `analyze -`: standard input, written in
/// steps, read to its end; the same report as the file gives.
#[test]
fn analyze_reads_standard_input_to_its_end() {
    for (file, format) in [
        ("go-shop-stdout.txt", "otel-go-stdout"),
        ("python-console.txt", "otel-python-console"),
    ] {
        let path = format!("{HERE}/{file}");
        let text = std::fs::read(&path).unwrap();
        let from_file = analyze(&[&path], b"");
        let from_stdin = analyze(&["-"], &text);
        assert_eq!(from_stdin["inputs"][0]["path"], "<stdin>");
        assert_eq!(from_stdin["inputs"][0]["format"], format);
        assert_eq!(
            from_stdin["inputs"][0]["spans"],
            from_file["inputs"][0]["spans"]
        );
        assert_eq!(breaks(&from_stdin), breaks(&from_file));
        assert_eq!(breaks(&from_stdin).len(), 2, "{file}");
        assert_eq!(
            warned(&from_stdin, TEXT_LINE),
            warned(&from_file, TEXT_LINE)
        );
    }
}

/// `tracetopo -` with the real window under Xvfb: the captured Go output arrives on standard
/// input, which stays open; `--screenshot` waits in live mode for the first snapshot, and
/// `--view trace:<id>` exits 0 only when that trace is in it (2 when it is not).
#[cfg(target_os = "linux")]
#[test]
fn the_binary_streams_standard_input_into_live_mode() {
    let path = format!("{HERE}/go-shop-stdout.txt");
    let text = std::fs::read(&path).unwrap();
    let mut store = Store::new();
    ingest::load_path(&mut store, Path::new(&path), &LoadOptions::default()).unwrap();
    let checkout = store
        .spans
        .iter()
        .find(|s| store.strings.resolve(s.name) == "checkout")
        .unwrap()
        .trace_id;
    let dir = tempfile::tempdir().unwrap();
    let run = |trace: u128| {
        let png = dir.path().join(format!("{trace:032x}.png"));
        let view = format!("trace:{trace:032x}");
        let args = ["-", "--screenshot", &png.to_string_lossy(), "--view", &view];
        // The spans arrive while the pipe is still open.
        crate::util::in_xvfb(&args, Some(&text)).map(|out| (out, png))
    };
    let Some((out, png)) = run(checkout) else {
        return;
    };
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(png.is_file());
    let (out, _) = run(checkout ^ 1).expect("xvfb-run");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is not in the loaded files"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
