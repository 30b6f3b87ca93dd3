//! Span links (spec §5 "Span links") in traces written by the real OpenTelemetry Python SDK
//! (`tests/clients/linked_traces.py`, its `ConsoleSpanExporter` output read by the console
//! reader as `tracetopo` reads a service's stdout): a Kafka batch consumer linked to three
//! producers and an async job linked to its request are no breaks, and the same code without
//! the links still is; the linked calls are a service edge; the query layer lists each link
//! both ways; the CLI report and the JSON export carry them.
//!
//! The SDK comes as for `live::python`: `TRACETOPO_PYTHON` names an interpreter with
//! `tests/clients/requirements.txt` installed; without one these tests skip (fail when
//! `TRACETOPO_REQUIRE_PYTHON` is set).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use tracetopo::analysis::Options;
use tracetopo::analysis::breaks::BreakKind;
use tracetopo::app::state::Session;
use tracetopo::ingest::{self, LoadOptions};
use tracetopo::model::Store;
use tracetopo::query::LinkTarget;

use crate::util::{missing, tracetopo};

const CLIENT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/clients/linked_traces.py"
);

fn python() -> Option<PathBuf> {
    let py = std::env::var_os("TRACETOPO_PYTHON").map_or_else(|| "python3".into(), PathBuf::from);
    let ok = Command::new(&py)
        .args(["-c", "import opentelemetry.sdk.trace.export"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        let msg = format!(
            "the OpenTelemetry Python SDK is not importable by {} (pip install -r \
             tests/clients/requirements.txt, then set TRACETOPO_PYTHON)",
            py.display()
        );
        missing("TRACETOPO_REQUIRE_PYTHON", &msg);
        return None;
    }
    Some(py)
}

/// Ids the client printed, as (trace, span).
struct Written {
    producers: Vec<(u128, u64)>,
    consumer: (u128, u64),
    request: (u128, u64),
    job: (u128, u64),
}

/// Runs the client into `dir`/`name` and returns the file and the ids it wrote.
fn write(py: &Path, dir: &Path, name: &str, links: bool) -> (PathBuf, Written) {
    let path = dir.join(name);
    let mut cmd = Command::new(py);
    cmd.arg(CLIENT).arg("--out").arg(&path);
    if links {
        cmd.arg("--links");
    }
    let out = cmd.output().expect("run the Python client");
    assert!(
        out.status.success(),
        "client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let pair = |v: &serde_json::Value| {
        let t = u128::from_str_radix(v[0].as_str().unwrap(), 16).unwrap();
        let s = u64::from_str_radix(v[1].as_str().unwrap(), 16).unwrap();
        (t, s)
    };
    let written = Written {
        producers: v["producers"]
            .as_array()
            .unwrap()
            .iter()
            .map(pair)
            .collect(),
        consumer: pair(&v["consumer"]),
        request: pair(&v["request"]),
        job: pair(&v["job"]),
    };
    (path, written)
}

/// The file loaded as the app loads it.
fn session(path: &Path) -> Arc<Session> {
    let mut store = Store::new();
    ingest::load_path(&mut store, path, &LoadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    Session::build(store, Options::default())
}

/// Every break as (kind, (trace, span), related (trace, span)), in report order.
type Found = (BreakKind, (u128, u64), Option<(u128, u64)>);

fn breaks(s: &Session) -> Vec<Found> {
    let ids = |i: u32| {
        let sp = s.store.span(i);
        (sp.trace_id, sp.span_id)
    };
    s.analysis
        .breaks
        .iter()
        .map(|b| (b.kind, ids(b.span), b.related.map(ids)))
        .collect()
}

/// (calls, linked, broken) of the order-svc → shipping-svc edge.
fn order_to_shipping(s: &Session) -> (u64, u64, u64) {
    let g = &s.analysis.services.graph;
    let node = |n: &str| g.node_indices().find(|&k| g[k].name == n).unwrap();
    let e = g
        .find_edge(node("order-svc"), node("shipping-svc"))
        .expect("order-svc → shipping-svc");
    (g[e].calls, g[e].linked, g[e].broken)
}

#[test]
fn linked_batch_consumer_and_async_job_are_no_breaks() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (path, w) = write(&py, dir.path(), "linked.txt", true);
    let s = session(&path);
    assert_eq!(s.store.spans.len(), 11);
    assert_eq!(breaks(&s), vec![]);
    assert_eq!(order_to_shipping(&s), (3, 3, 0));

    // Details' data, both ways: the batch links the three producers, each is linked from it.
    let find = |(t, id)| s.store.find_span(t, id).expect("loaded");
    let consumer = find(w.consumer);
    let mut to: Vec<LinkTarget> = s.links_from(consumer);
    let mut want: Vec<LinkTarget> = w
        .producers
        .iter()
        .map(|&p| LinkTarget::Loaded(find(p)))
        .collect();
    to.sort_by_key(|l| format!("{l:?}"));
    want.sort_by_key(|l| format!("{l:?}"));
    assert_eq!(to, want);
    for &p in &w.producers {
        assert_eq!(s.links_to(find(p)).collect::<Vec<_>>(), [consumer]);
    }
    let (job, request) = (find(w.job), find(w.request));
    assert_eq!(s.links_from(job), [LinkTarget::Loaded(request)]);
    assert_eq!(s.links_to(request).collect::<Vec<_>>(), [job]);
    assert_eq!(s.links_to(consumer).count(), 0);

    // The CLI report says the same: no break, a linked edge.
    let out = tracetopo(&["analyze", path.to_str().unwrap(), "--format", "json"]);
    assert!(out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["breaks"], serde_json::json!([]));
    let edges = report["service_edges"].as_array().unwrap();
    let edge = edges
        .iter()
        .find(|e| e["from"] == "order-svc" && e["to"] == "shipping-svc")
        .expect("the linked edge in the report");
    assert_eq!(
        (edge["calls"].as_u64(), edge["linked"].as_u64()),
        (Some(3), Some(3))
    );
    let text = tracetopo(&["analyze", path.to_str().unwrap(), "--format", "text"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("order-svc → shipping-svc: 3 calls by span links (asynchronous)"),
        "{text}"
    );

    // The JSON export of the consumer's trace carries its links, each loaded.
    let view = format!("trace:{:032x}", w.consumer.0);
    let out = tracetopo(&[
        "export",
        path.to_str().unwrap(),
        "--view",
        &view,
        "--format",
        "json",
        "-o",
        "-",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let root = doc["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["span_id"] == format!("{:016x}", w.consumer.1))
        .expect("the consumer in the export");
    let mut linked: Vec<(String, bool)> = root["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["span_id"].as_str().unwrap().to_string(),
                l["loaded"] == true,
            )
        })
        .collect();
    linked.sort();
    let mut want: Vec<(String, bool)> = w
        .producers
        .iter()
        .map(|p| (format!("{:016x}", p.1), true))
        .collect();
    want.sort();
    assert_eq!(linked, want);
}

#[test]
fn the_same_code_without_links_is_still_broken() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (path, w) = write(&py, dir.path(), "unlinked.txt", false);
    let s = session(&path);
    let mut want: Vec<Found> = w
        .producers
        .iter()
        .map(|&p| (BreakKind::PropagationBreak, p, Some(w.consumer)))
        .collect();
    want.push((BreakKind::DetachedRoot, w.job, Some(w.request)));
    want.sort_by_key(|&(k, (t, id), _)| (k, t, id));
    assert_eq!(breaks(&s), want);
    assert_eq!(order_to_shipping(&s), (3, 0, 3));
    assert!(s.analysis.links.is_empty());
    assert_eq!(
        s.links_from(s.store.find_span(w.consumer.0, w.consumer.1).unwrap()),
        []
    );
}

#[test]
fn a_link_to_a_span_not_loaded_is_said_so_and_is_no_break() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (path, w) = write(&py, dir.path(), "linked.txt", true);
    // Keep only shipping-svc's and report-svc's spans: the producers' traces are not loaded.
    let text = std::fs::read_to_string(&path).unwrap();
    let kept: Vec<&str> = text
        .split("\n}\n")
        .filter(|o| !o.trim().is_empty() && !o.contains("\"service.name\": \"order-svc\""))
        .collect();
    let part = dir.path().join("part.txt");
    std::fs::write(&part, kept.join("\n}\n") + "\n}\n").unwrap();
    let s = session(&part);
    assert_eq!(s.store.spans.len(), 5);
    assert_eq!(breaks(&s), vec![]);
    let consumer = s.store.find_span(w.consumer.0, w.consumer.1).unwrap();
    let mut to = s.links_from(consumer);
    to.sort_by_key(|l| format!("{l:?}"));
    let mut want: Vec<LinkTarget> = w
        .producers
        .iter()
        .map(|&(trace_id, span_id)| LinkTarget::NotLoaded { trace_id, span_id })
        .collect();
    want.sort_by_key(|l| format!("{l:?}"));
    assert_eq!(to, want);
}
