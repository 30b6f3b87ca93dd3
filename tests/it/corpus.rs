//! Every file of the shared corpus of real trace dumps loads (or fails exactly where it should),
//! with spot checks against the numbers in the corpus MANIFEST.

use crate::util::corpus;

use std::path::{Path, PathBuf};

use tracetopo::ingest::{Format, LoadOptions, Loaded, load_path};
use tracetopo::model::span::flags;
use tracetopo::model::{SpanKind, StatusCode, Store, Value, WarningKind};

/// Trace files under `dir`, sorted. The two notes and the otel-desktop-viewer fixture
/// manifests (`{"description", "requests": [file names]}`) are not traces.
fn trace_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if p.is_dir() {
                stack.push(p);
            } else if !matches!(
                name.as_str(),
                "MANIFEST.md" | "OTLP_JSON_NOTES.md" | "manifest.json"
            ) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn is_invalid_fixture(p: &Path) -> bool {
    p.parent()
        .is_some_and(|d| d.ends_with("otlp2parquet/invalid"))
}

/// Loads each file into a fresh store; returns the failures as messages.
fn check_all(files: &[PathBuf]) -> Vec<String> {
    let mut failures = Vec::new();
    for f in files {
        let mut store = Store::new();
        let res = load_path(&mut store, f, &LoadOptions::default());
        if is_invalid_fixture(f) {
            match res {
                Err(e) => {
                    let msg = e.to_string();
                    let named = msg.starts_with(&f.display().to_string());
                    let placed = msg.contains(": line ") && msg.contains(" column ");
                    if !named || !placed || msg.contains('\n') {
                        failures.push(format!(
                            "{}: error not one line with position: {msg}",
                            f.display()
                        ));
                    }
                }
                Ok(l) => failures.push(format!(
                    "{}: invalid file loaded {} spans",
                    f.display(),
                    l.spans
                )),
            }
            continue;
        }
        match res {
            Ok(l) if l.spans >= 1 => {
                store.build_index();
                if store.spans.is_empty() {
                    failures.push(format!("{}: no spans after indexing", f.display()));
                }
            }
            Ok(l) => failures.push(format!("{}: loaded {} spans", f.display(), l.spans)),
            Err(e) => failures.push(e.to_string()),
        }
    }
    failures
}

#[test]
fn every_otlp_file_loads_or_fails_with_its_position() {
    let Some(dir) = corpus() else { return };
    let files = trace_files(&dir.join("otlp-json"));
    assert!(files.len() >= 60, "found only {} OTLP files", files.len());
    assert_eq!(files.iter().filter(|f| is_invalid_fixture(f)).count(), 3);
    let failures = check_all(&files);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Needs the Jaeger and Zipkin readers.
#[test]
fn every_jaeger_and_zipkin_file_loads() {
    let Some(dir) = corpus() else { return };
    let mut files = trace_files(&dir.join("jaeger-json"));
    files.extend(trace_files(&dir.join("zipkin-json")));
    assert!(files.len() >= 30, "found only {} files", files.len());
    let failures = check_all(&files);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn load(store: &mut Store, p: &Path) -> Loaded {
    load_path(store, p, &LoadOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn desktop_viewer_demo_set_matches_manifest() {
    let Some(dir) = corpus() else { return };
    let files = trace_files(&dir.join("otlp-json/otel-desktop-viewer/demo"));
    assert_eq!(files.len(), 18);
    let mut store = Store::new();
    for f in &files {
        assert_eq!(load(&mut store, f).format, Format::OtlpJson);
    }
    store.build_index();
    assert_eq!(store.spans.len(), 101);
    assert_eq!(store.index.traces.len(), 18);
    assert_eq!(store.index.services.len(), 16);
    assert_eq!(store.links.len(), 27);
    assert_eq!(store.events.len(), 67);
    let exceptions = store
        .events
        .iter()
        .filter(|e| store.str(e.name) == "exception")
        .count();
    assert_eq!(exceptions, 4);
    let errors = store
        .spans
        .iter()
        .filter(|s| s.status == StatusCode::Error)
        .count();
    assert_eq!(errors, 6);
    let orphans = (0..store.spans.len() as u32)
        .filter(|&i| !store.span(i).is_root() && store.parent(i).is_none())
        .count();
    assert_eq!(orphans, 4);
    assert!(
        store.spans.iter().all(|s| s.flags == 0),
        "all ids are valid hex"
    );
    // traces-02 alone: one 41-span trace.
    let biggest = store.index.traces.iter().map(|t| t.len).max().unwrap();
    assert_eq!(biggest, 41);
}

#[test]
fn checkout_fails_with_exception_and_messages() {
    let Some(dir) = corpus() else { return };
    let mut store = Store::new();
    load(
        &mut store,
        &dir.join("otlp-json/otel-desktop-viewer/checkout/traces.json"),
    );
    store.build_index();
    assert_eq!(store.spans.len(), 6);
    assert_eq!(store.index.services.len(), 5);
    let errors: Vec<_> = store
        .spans
        .iter()
        .filter(|s| s.status == StatusCode::Error)
        .collect();
    assert_eq!(errors.len(), 3);
    assert!(
        errors
            .iter()
            .any(|s| !store.str(s.status_message).is_empty())
    );
    let exceptions = store
        .events
        .iter()
        .filter(|e| store.str(e.name) == "exception")
        .count();
    assert_eq!(exceptions, 1);
}

#[test]
fn base64_ids_and_enum_names_load_with_warnings() {
    let Some(dir) = corpus() else { return };
    let mut store = Store::new();
    let l = load(&mut store, &dir.join("otlp-json/otlp2parquet/trace.json"));
    assert_eq!(l.spans, 2);
    assert!(l.warnings >= 1);
    let kinds: Vec<_> = store.diag.warnings.iter().map(|w| w.kind).collect();
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == WarningKind::Base64Ids)
            .count(),
        1,
        "{kinds:?}"
    );
    store.build_index();
    // "nXmxo38xgBzRGmcG+0DWvQ==" decodes to 9d 79 b1 a3 ...; "V1JoRpA7sT4=" to 57 52 68 46 90 3b b1 3e.
    assert!(store.spans.iter().all(|s| s.trace_id >> 96 == 0x9d79b1a3));
    assert!(store.spans.iter().all(|s| s.flags & flags::BASE64_IDS != 0));
    let trace = store.spans[0].trace_id;
    let server = store.find_span(trace, 0x5752_6846_903b_b13e).unwrap();
    assert_eq!(store.span(server).kind, SpanKind::Server);
    let client = store.children(server);
    assert_eq!(client.len(), 1);
    assert_eq!(store.span(client[0]).kind, SpanKind::Client);
    assert_eq!(
        store.service_name(server),
        "opentelemetry-demo/frontend-proxy"
    );
}

#[test]
fn spec_example_has_uppercase_hex_ids() {
    let Some(dir) = corpus() else { return };
    let mut store = Store::new();
    load(
        &mut store,
        &dir.join("otlp-json/otel-proto__examples__trace.json"),
    );
    store.build_index();
    assert_eq!(store.spans.len(), 1);
    let s = store.spans[0];
    assert_eq!(s.trace_id, 0x5b8efff798038103d269b633813fc60c);
    assert_eq!(s.span_id, 0xeee19b7ec3c1b174);
    assert_eq!(s.flags, 0);
    assert_ne!(s.parent_id, 0, "orphan: its parent is not in the file");
    assert_eq!(store.parent(0), None);
}

#[test]
fn tempo_batches_wrapper() {
    let Some(dir) = corpus() else { return };
    let mut store = Store::new();
    let l = load(
        &mut store,
        &dir.join("otlp-json/tempo__tempopb__trace_batches.json"),
    );
    assert_eq!((l.format, l.spans), (Format::OtlpJson, 1));
    store.build_index();
    assert_eq!(store.service_name(0), "my.service");
    assert_eq!(store.str(store.spans[0].scope), "my.library");
    assert_eq!(store.spans[0].trace_id, 0x5b8efff798038103d269b633813fc60c);
}

#[test]
fn jaeger_api_v3_result_wrapper() {
    let Some(dir) = corpus() else { return };
    for name in [
        "jaeger__apiv3__FindTraces.json",
        "jaeger__apiv3__GetTrace.json",
    ] {
        let mut store = Store::new();
        load(&mut store, &dir.join("otlp-json").join(name));
        store.build_index();
        assert_eq!(store.spans.len(), 1, "{name}");
        let s = store.spans[0];
        assert_eq!((s.trace_id, s.span_id), (1, 2), "{name}");
        assert_eq!((s.kind, s.status), (SpanKind::Server, StatusCode::Error));
        assert_eq!(store.str(s.name), "foobar");
        assert_eq!(store.service_name(0), "unknown_service", "empty resource");
    }
}

#[test]
fn identical_duplicate_spans_merge() {
    let Some(dir) = corpus() else { return };
    for name in [
        "jaeger__otlp2jaeger-in.json",
        "jaeger-ui__otlp2jaeger-in.json",
    ] {
        let mut store = Store::new();
        assert_eq!(load(&mut store, &dir.join("otlp-json").join(name)).spans, 2);
        store.build_index();
        // The two copies are identical (checked with a JSON diff): merged silently.
        assert_eq!(store.spans.len(), 1, "{name}");
        assert_eq!(store.inputs[0].spans, 1);
        assert_eq!(store.str(store.spans[0].name), "okey-dokey-0");
    }
}

#[test]
fn dense_fixture_keeps_links_events_and_typed_values() {
    let Some(dir) = corpus() else { return };
    let mut store = Store::new();
    load(
        &mut store,
        &dir.join("otlp-json/jaeger__memory__otel_traces_01.json"),
    );
    store.build_index();
    assert_eq!(store.spans.len(), 4);
    assert_eq!(store.links.len(), 8);
    assert_eq!(store.events.len(), 8);
    let errors = store
        .spans
        .iter()
        .filter(|s| s.status == StatusCode::Error)
        .count();
    assert_eq!(errors, 4);
    let values: Vec<Value> = store
        .attrs
        .iter()
        .map(|a| a.value(&store.strings))
        .collect();
    assert!(values.iter().any(|v| matches!(v, Value::Bytes(_))));
    assert!(values.iter().any(|v| matches!(v, Value::Double(_))));
}

/// No file of the corpus has a `stale_parent` (issue 14): real captures of other projects
/// have async work and messaging, but no pooled goroutine with an old request's context.
#[test]
fn no_stale_parent_in_the_corpus() {
    use tracetopo::analysis::breaks::{BreakKind, find_breaks};
    let Some(dir) = corpus() else { return };
    let files = trace_files(&dir);
    let mut stale = Vec::new();
    let mut analysed = 0;
    for f in files.iter().filter(|f| !is_invalid_fixture(f)) {
        let mut store = Store::new();
        if load_path(&mut store, f, &LoadOptions::default()).is_err() {
            continue;
        }
        store.build_index();
        analysed += 1;
        for b in find_breaks(&store, &tracetopo::analysis::Options::default()) {
            if b.kind == BreakKind::StaleParent {
                stale.push(format!("{}: {}", f.display(), b.message(&store)));
            }
        }
    }
    assert!(analysed >= 90, "analysed only {analysed} files");
    assert!(stale.is_empty(), "{}", stale.join("\n"));
}
