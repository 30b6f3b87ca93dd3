//! The OpenTelemetry Python SDK's OTLP exporters (`tests/clients/send_traces.py`) against
//! `tracetopo listen --headless` and the in-process live store.
//!
//! The SDK comes from PyPI: `.ci/run` installs `tests/clients/requirements.txt` into a venv and
//! sets `TRACETOPO_PYTHON` and `TRACETOPO_REQUIRE_PYTHON`. Without them (a user's clone
//! without the packages) these tests say so and skip; with them, a missing SDK fails.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tracetopo::analysis::breaks::BreakKind;
use tracetopo::analysis::{Analysis, Options};
use tracetopo::ingest::{self, LoadOptions};
use tracetopo::live::LiveConfig;
use tracetopo::live::collector::{Collector, Snapshot};
use tracetopo::live::server::Server;
use tracetopo::model::Store;

const CLIENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/send_traces.py");

fn python() -> Option<PathBuf> {
    let py = std::env::var_os("TRACETOPO_PYTHON").map_or_else(|| "python3".into(), PathBuf::from);
    let ok = Command::new(&py)
        .args([
            "-c",
            "import opentelemetry.exporter.otlp.proto.grpc.trace_exporter, \
             opentelemetry.exporter.otlp.proto.http.trace_exporter",
        ])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return Some(py);
    }
    let msg = format!(
        "the OpenTelemetry Python SDK with its OTLP exporters is not importable by {} \
         (pip install -r tests/clients/requirements.txt, then set TRACETOPO_PYTHON)",
        py.display()
    );
    crate::util::missing("TRACETOPO_REQUIRE_PYTHON", &msg);
    None
}

/// What the client says it sent: span ids by trace id (hex).
struct Sent {
    spans: usize,
    traces: HashMap<String, Vec<String>>,
}

fn send(py: &Path, protocol: &str, endpoint: &str, traces: u32, batch: u32, gzip: bool) -> Sent {
    let mut cmd = Command::new(py);
    cmd.args([CLIENT, "--protocol", protocol, "--endpoint", endpoint])
        .args([
            "--traces",
            &traces.to_string(),
            "--batch",
            &batch.to_string(),
        ]);
    if gzip {
        cmd.arg("--gzip");
    }
    let out = cmd.output().expect("run the Python client");
    assert!(
        out.status.success(),
        "client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let traces: HashMap<String, Vec<String>> = serde_json::from_value(v["traces"].clone()).unwrap();
    Sent {
        spans: v["spans"].as_u64().unwrap() as usize,
        traces,
    }
}

/// `tracetopo listen --headless` on free ports.
struct Headless {
    child: Child,
    stderr: BufReader<ChildStderr>,
    grpc: String,
    http: String,
    out: PathBuf,
    _dir: tempfile::TempDir,
}

fn headless(extra: &[&str]) -> Headless {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("received.jsonl");
    let mut child = Command::new(env!("CARGO_BIN_EXE_tracetopo"))
        .args(["listen", "--headless", "--out"])
        .arg(&out)
        .args(["--grpc", "127.0.0.1:0", "--http", "127.0.0.1:0"])
        .args(extra)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let addr = |proto: &str| {
        line.split(&format!("OTLP/{proto} "))
            .nth(1)
            .and_then(|r| r.split([' ', ',']).next())
            .unwrap_or_else(|| panic!("no {proto} address in {line:?}"))
            .to_string()
    };
    let (grpc, http) = (addr("gRPC"), addr("HTTP"));
    Headless {
        child,
        stderr,
        grpc,
        http,
        out,
        _dir: dir,
    }
}

impl Headless {
    /// Waits for the process to end by itself; returns the rest of its stderr.
    fn wait(mut self) -> (String, Store) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                assert!(st.success(), "listen exited with {st}");
                break;
            }
            assert!(Instant::now() < deadline, "listen did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut rest = String::new();
        for l in self.stderr.lines() {
            rest.push_str(&l.unwrap());
            rest.push('\n');
        }
        let mut store = Store::new();
        ingest::load_path(&mut store, &self.out, &LoadOptions::default())
            .expect("the recording loads");
        store.build_index();
        (rest, store)
    }

    fn interrupt(self) -> (String, Store) {
        let ok = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
        self.wait()
    }
}

/// Every span sent is in `store`, in its trace, and each trace is whole: one root, no orphan.
fn assert_all_arrived(store: &Store, sent: &[&Sent]) {
    let total: usize = sent.iter().map(|s| s.spans).sum();
    assert_eq!(store.spans.len(), total);
    for s in sent {
        for (trace, spans) in &s.traces {
            let id = u128::from_str_radix(trace, 16).unwrap();
            let t = store
                .trace(id)
                .unwrap_or_else(|| panic!("trace {trace} missing"));
            assert_eq!(t.len as usize, spans.len(), "trace {trace}");
            for span in spans {
                let sid = u64::from_str_radix(span, 16).unwrap();
                assert!(store.find_span(id, sid).is_some(), "span {span} missing");
            }
            let roots = t
                .range()
                .filter(|&i| store.span(i as u32).is_root())
                .count();
            assert_eq!(roots, 1, "trace {trace} has one root");
        }
    }
    let a = Analysis::run(store, &Options::default());
    let orphans = a.breaks.iter().filter(|b| b.kind == BreakKind::OrphanSpan);
    assert_eq!(orphans.count(), 0);
}

#[test]
fn python_sdk_http_and_grpc_exporters_deliver_every_span_to_the_recording() {
    let Some(py) = python() else { return };
    let l = headless(&[]);
    let http = format!("http://{}", l.http);
    let sent = [
        send(&py, "http", &http, 4, 3, false),
        send(&py, "http", &http, 3, 5, true),
        send(&py, "grpc", &l.grpc, 4, 3, false),
        send(&py, "grpc", &l.grpc, 3, 2, true),
    ];
    let (stderr, store) = l.interrupt();
    assert!(
        stderr.contains("interrupted: recorded 56 spans"),
        "{stderr}"
    );
    assert_all_arrived(&store, &sent.iter().collect::<Vec<_>>());
    // The two services and the call between them, from the recording.
    let services: Vec<&str> = store.index.services.iter().map(|&s| store.str(s)).collect();
    assert_eq!(services, ["gateway", "orders"]);
    assert_eq!(store.index.traces.len(), 14);
}

#[test]
fn headless_stops_by_itself_after_max_spans() {
    let Some(py) = python() else { return };
    let l = headless(&["--max-spans", "8"]);
    // Two traces of four spans: the recorder reaches 8 and the process ends on its own.
    let sent = send(&py, "http", &format!("http://{}", l.http), 2, 4, false);
    assert_eq!(sent.spans, 8, "the client sent every span");
    let (stderr, store) = l.wait();
    assert!(stderr.contains("reached --max-spans"), "{stderr}");
    assert_all_arrived(&store, &[&sent]);
}

#[test]
fn traces_sent_over_many_requests_become_whole_traces_in_the_live_store() {
    let Some(py) = python() else { return };
    let cfg = LiveConfig {
        grpc: "127.0.0.1:0".parse().unwrap(),
        http: "127.0.0.1:0".parse().unwrap(),
        ..LiveConfig::default()
    };
    let latest: Arc<Mutex<Option<Store>>> = Arc::default();
    let slot = Arc::clone(&latest);
    let collector = Collector::start(&cfg, Arc::default(), move |s: Snapshot| {
        *slot.lock().unwrap() = Some(s.store);
    })
    .unwrap();
    let server = Server::start(&cfg, collector.sink(), Arc::clone(&collector.stats)).unwrap();
    // Two spans per request: every trace of four spans arrives in at least two requests.
    let sent = send(&py, "grpc", &server.grpc_addr.to_string(), 6, 2, false);
    // Six traces of four spans, each reported sent by the exporter (not just attempted).
    assert_eq!(sent.spans, 24, "the client sent every span");
    assert_eq!(sent.traces.values().map(Vec::len).sum::<usize>(), 24);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut store = loop {
        if let Some(s) = latest.lock().unwrap().take()
            && s.spans.len() == sent.spans
        {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "the live store never held every span"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(collector.stats.snapshot().requests >= 12);
    store.build_index();
    assert_all_arrived(&store, &[&sent]);
}
