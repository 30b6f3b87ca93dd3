//! The OTLP/JSON lines writer end to end: every sample written and read back holds the same
//! spans and the same breaks, each line is a standard `ExportTraceServiceRequest`, and a batch
//! received as protobuf comes back as the request it was.

use std::collections::HashMap;
use std::path::Path;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    self as common, AnyValue, InstrumentationScope, KeyValue, any_value,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status, span};
use tracetopo::analysis::{Analysis, Options};
use tracetopo::export::otlp_jsonl::{SpanData, push_line, write_all};
use tracetopo::ingest::otlp_proto::batch_from_request;
use tracetopo::ingest::{Format, LoadOptions, Loaded, load_bytes, load_path};
use tracetopo::model::{ArenaRange, Attr, Store, Value};

use crate::util::{SAMPLES, sample};

/// Small enough that every sample takes several lines (and is read as JSON lines).
const PER_LINE: usize = 10;

fn load(path: &Path) -> (Store, Loaded) {
    let mut store = Store::new();
    let loaded = load_path(&mut store, path, &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    store.build_index();
    (store, loaded)
}

type Attrs<'a> = Vec<(&'a str, Value<'a>)>;

fn attrs<'a>(store: &'a Store, list: &[Attr]) -> Attrs<'a> {
    list.iter()
        .map(|a| (store.str(a.key), a.value(&store.strings)))
        .collect()
}

/// Everything span `i` holds, as text and values (`Sym`s differ between stores).
fn span_text(store: &Store, i: u32) -> String {
    let s = store.span(i);
    let list = |r: ArenaRange| attrs(store, &store.attrs[r.range()]);
    let events: Vec<_> = (store.span_events(i).iter())
        .map(|e| (e.time, store.str(e.name), list(e.attrs)))
        .collect();
    let links: Vec<_> = (store.span_links(i).iter())
        .map(|l| (l.trace_id, l.span_id, list(l.attrs)))
        .collect();
    format!(
        "{:032x} {:016x} {:016x} {:?} {:?} {:?} {:?} {}..{} flags {} {:?} scope {:?}\n \
         resource {:?}\n attrs {:?}\n events {events:?}\n links {links:?}",
        s.trace_id,
        s.span_id,
        s.parent_id,
        store.str(s.name),
        s.kind,
        s.status,
        store.str(s.status_message),
        s.start,
        s.end,
        s.flags,
        store.service_name(i),
        store.str(s.scope),
        attrs(store, store.resource_attrs(i)),
        attrs(store, store.span_attrs(i)),
    )
}

/// Every span's text, sorted: copies of one span id with different contents may sort either
/// way round in the store.
fn span_texts(store: &Store) -> Vec<String> {
    let mut out: Vec<String> = (0..store.spans.len() as u32)
        .map(|i| span_text(store, i))
        .collect();
    out.sort();
    out
}

/// The breaks the analysis finds, by ids: (kind, trace, span, related span).
fn breaks(store: &Store) -> Vec<String> {
    let ids = |i: u32| {
        let s = store.span(i);
        format!("{:032x}/{:016x}", s.trace_id, s.span_id)
    };
    let mut out: Vec<String> = Analysis::run(store, &Options::default())
        .breaks
        .iter()
        .map(|b| format!("{} {} {:?}", b.kind.name(), ids(b.span), b.related.map(ids)))
        .collect();
    out.sort();
    out
}

/// Spans per line, and the lines each trace id landed on, as the standard decoder reads them.
fn decode_lines(text: &str) -> (Vec<usize>, HashMap<Vec<u8>, Vec<usize>>) {
    let mut per_line = Vec::new();
    let mut lines_of_trace: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let req: ExportTraceServiceRequest =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("line {}: {e}", n + 1));
        let spans: Vec<&Span> = req
            .resource_spans
            .iter()
            .flat_map(|rs| &rs.scope_spans)
            .flat_map(|ss| &ss.spans)
            .collect();
        for s in &spans {
            let lines = lines_of_trace.entry(s.trace_id.clone()).or_default();
            if lines.last() != Some(&n) {
                lines.push(n);
            }
        }
        per_line.push(spans.len());
    }
    (per_line, lines_of_trace)
}

#[test]
fn samples_round_trip_through_jsonl() {
    for name in SAMPLES {
        let (store, _) = load(&sample(name));
        let mut file = tempfile::Builder::new()
            .suffix(".jsonl")
            .tempfile()
            .unwrap();
        let written = write_all(file.as_file_mut(), &SpanData::from(&store), PER_LINE).unwrap();
        assert_eq!(written, store.spans.len() as u64, "{name}");

        let text = std::fs::read_to_string(file.path()).unwrap();
        let (per_line, lines_of_trace) = decode_lines(&text);
        assert!(per_line.len() > 1, "{name}: {} lines", per_line.len());
        assert!(
            per_line.iter().all(|&n| (1..=PER_LINE).contains(&n)),
            "{name}: {per_line:?}"
        );
        assert_eq!(per_line.iter().sum::<usize>(), store.spans.len(), "{name}");
        for t in &store.index.traces {
            if t.len as usize <= PER_LINE {
                let id = t.id.to_be_bytes().to_vec();
                assert_eq!(lines_of_trace[&id].len(), 1, "{name}: trace {:032x}", t.id);
            }
        }

        let (again, loaded) = load(file.path());
        assert_eq!(loaded.format, Format::OtlpJsonLines, "{name}");
        assert_eq!(loaded.warnings, 0, "{name}");
        assert_eq!(span_texts(&again), span_texts(&store), "{name}");
        let found = breaks(&store);
        if name == "checkout-broken.json" {
            assert!(!found.is_empty(), "the broken sample has breaks to compare");
        }
        assert_eq!(breaks(&again), found, "{name}");
    }
}

#[test]
fn an_empty_store_writes_a_request_that_loads() {
    let mut out = Vec::new();
    assert_eq!(
        write_all(&mut out, &SpanData::from(&Store::new()), 100).unwrap(),
        0
    );
    assert_eq!(out, b"{\"resourceSpans\":[]}\n");
    let mut store = Store::new();
    let loaded = load_bytes(&mut store, "empty", &out, &LoadOptions::default()).unwrap();
    assert_eq!((loaded.format, loaded.spans), (Format::OtlpJson, 0));
}

fn any(v: any_value::Value) -> AnyValue {
    AnyValue { value: Some(v) }
}

fn kv(key: &str, v: Option<any_value::Value>) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: v }),
        ..Default::default()
    }
}

fn pb_span(id: u8, parent: u8, name: &str, attributes: Vec<KeyValue>) -> Span {
    Span {
        trace_id: vec![0xa1; 16],
        span_id: vec![id; 8],
        parent_span_id: if parent == 0 { vec![] } else { vec![parent; 8] },
        name: name.into(),
        kind: 2,
        start_time_unix_nano: 1_700_000_000_000_000_000 + id as u64,
        end_time_unix_nano: 1_700_000_001_000_000_000,
        attributes,
        status: Some(Status::default()),
        ..Default::default()
    }
}

/// A request with every kind of value the model keeps, events, links, two resources and
/// scopes; only fields the model keeps are set, so it comes back equal.
fn request() -> ExportTraceServiceRequest {
    use any_value::Value::*;
    let list = |values| ArrayValue(common::ArrayValue { values });
    let kvlist = |values| KvlistValue(common::KeyValueList { values });
    let mut root = pb_span(
        1,
        0,
        "GET /orders",
        vec![
            kv(
                "s",
                Some(StringValue("quote \" back\\slash\nnewline é".into())),
            ),
            kv("i", Some(IntValue(i64::MIN))),
            kv("d", Some(DoubleValue(0.1))),
            kv("b", Some(BoolValue(false))),
            kv("raw", Some(BytesValue(vec![0, 255, 7]))),
            kv("none", None),
            kv(
                "arr",
                Some(list(vec![
                    any(StringValue("x".into())),
                    any(IntValue(-2)),
                    any(DoubleValue(2.5)),
                    any(BoolValue(true)),
                    AnyValue { value: None },
                    any(list(vec![])),
                ])),
            ),
            kv(
                "kv",
                Some(kvlist(vec![
                    kv("a", Some(IntValue(1))),
                    kv(
                        "nested",
                        Some(kvlist(vec![kv("b", Some(StringValue("c".into())))])),
                    ),
                    kv("e", None),
                ])),
            ),
        ],
    );
    root.events = vec![span::Event {
        time_unix_nano: 1_700_000_000_500_000_000,
        name: "exception".into(),
        attributes: vec![kv("exception.message", Some(StringValue("boom".into())))],
        ..Default::default()
    }];
    root.status = Some(Status {
        code: 2,
        message: "failed".into(),
    });
    let mut child = pb_span(2, 1, "SELECT", vec![]);
    child.kind = 3;
    child.links = vec![span::Link {
        trace_id: vec![0x11; 16],
        span_id: vec![0x22; 8],
        attributes: vec![kv("link.kind", Some(StringValue("retry".into())))],
        ..Default::default()
    }];
    let resource = |service: &str| Resource {
        attributes: vec![
            kv("service.name", Some(StringValue(service.into()))),
            kv("process.pid", Some(IntValue(42))),
        ],
        ..Default::default()
    };
    let scope = |name: &str, spans| ScopeSpans {
        scope: Some(InstrumentationScope {
            name: name.into(),
            ..Default::default()
        }),
        spans,
        ..Default::default()
    };
    let mut remote = pb_span(3, 2, "GetUser", vec![]);
    remote.status = Some(Status {
        code: 1,
        message: String::new(),
    });
    ExportTraceServiceRequest {
        resource_spans: vec![
            ResourceSpans {
                resource: Some(resource("order-svc")),
                scope_spans: vec![scope("lib-a", vec![root]), scope("lib-b", vec![child])],
                ..Default::default()
            },
            ResourceSpans {
                resource: Some(resource("user-svc")),
                scope_spans: vec![scope("", vec![remote])],
                ..Default::default()
            },
        ],
    }
}

#[test]
fn a_received_batch_round_trips_through_push_line() {
    let req = request();
    let batch = batch_from_request(&req, "live");
    let mut line = String::new();
    push_line(
        &mut line,
        &SpanData::from(&batch),
        0..batch.spans.len() as u32,
    );
    assert_eq!(line.find('\n'), Some(line.len() - 1));

    let decoded: ExportTraceServiceRequest = serde_json::from_str(&line).unwrap();
    assert_eq!(decoded, req);

    let mut direct = Store::new();
    direct.add_batch(batch, 0);
    direct.build_index();
    let mut again = Store::new();
    load_bytes(&mut again, "line", line.as_bytes(), &LoadOptions::default()).unwrap();
    again.build_index();
    assert_eq!(span_texts(&again), span_texts(&direct));
}
