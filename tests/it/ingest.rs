//! The load entry point end to end: compression, JSON lines with bad lines, protobuf against
//! its JSON twin, progress and cancellation.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    self as common, AnyValue, InstrumentationScope, KeyValue, any_value,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status, span};
use prost::Message;
use tracetopo::ingest::{Format, LoadOptions, load_bytes, load_path};
use tracetopo::model::{Position, Store, WarningKind};

/// Two spans of one trace, with every kind of attribute value, an event and a link.
const DOC: &str = r#"{"resourceSpans":[{
  "resource":{"attributes":[{"key":"service.name","value":{"stringValue":"order-svc"}},
                            {"key":"host.name","value":{"stringValue":"h1"}}]},
  "scopeSpans":[{"scope":{"name":"lib","version":"1"},"spans":[
    {"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","name":"GET /orders",
     "kind":2,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000500000000",
     "attributes":[{"key":"http.status_code","value":{"intValue":"200"}},
                   {"key":"ratio","value":{"doubleValue":0.5}},
                   {"key":"ok","value":{"boolValue":true}},
                   {"key":"raw","value":{"bytesValue":"AQID"}},
                   {"key":"tags","value":{"arrayValue":{"values":[{"stringValue":"a"},{"intValue":"2"}]}}},
                   {"key":"none","value":{}}],
     "events":[{"timeUnixNano":"1700000000100000000","name":"exception",
                "attributes":[{"key":"exception.message","value":{"stringValue":"boom"}}]}],
     "status":{"code":2,"message":"failed"}},
    {"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"00f067aa0ba902b7",
     "parentSpanId":"b7ad6b7169203331","name":"SELECT","kind":3,
     "startTimeUnixNano":"1700000000100000000","endTimeUnixNano":"1700000000200000000",
     "links":[{"traceId":"11111111111111111111111111111111","spanId":"2222222222222222",
               "attributes":[{"key":"link.kind","value":{"stringValue":"retry"}}]}]}
  ]}]}]}"#;

fn kv(key: &str, v: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(v) }),
        ..Default::default()
    }
}

/// `DOC` built as protobuf messages.
fn doc_proto() -> ExportTraceServiceRequest {
    use any_value::Value::*;
    let trace = 0x0af7651916cd43dd8448eb211c80319c_u128
        .to_be_bytes()
        .to_vec();
    let root = Span {
        trace_id: trace.clone(),
        span_id: 0xb7ad6b7169203331_u64.to_be_bytes().to_vec(),
        name: "GET /orders".into(),
        kind: 2,
        start_time_unix_nano: 1_700_000_000_000_000_000,
        end_time_unix_nano: 1_700_000_000_500_000_000,
        attributes: vec![
            kv("http.status_code", IntValue(200)),
            kv("ratio", DoubleValue(0.5)),
            kv("ok", BoolValue(true)),
            kv("raw", BytesValue(vec![1, 2, 3])),
            kv(
                "tags",
                ArrayValue(common::ArrayValue {
                    values: vec![
                        AnyValue {
                            value: Some(StringValue("a".into())),
                        },
                        AnyValue {
                            value: Some(IntValue(2)),
                        },
                    ],
                }),
            ),
            KeyValue {
                key: "none".into(),
                value: Some(AnyValue { value: None }),
                ..Default::default()
            },
        ],
        events: vec![span::Event {
            time_unix_nano: 1_700_000_000_100_000_000,
            name: "exception".into(),
            attributes: vec![kv("exception.message", StringValue("boom".into()))],
            ..Default::default()
        }],
        status: Some(Status {
            code: 2,
            message: "failed".into(),
        }),
        ..Default::default()
    };
    let child = Span {
        trace_id: trace,
        span_id: 0x00f067aa0ba902b7_u64.to_be_bytes().to_vec(),
        parent_span_id: 0xb7ad6b7169203331_u64.to_be_bytes().to_vec(),
        name: "SELECT".into(),
        kind: 3,
        start_time_unix_nano: 1_700_000_000_100_000_000,
        end_time_unix_nano: 1_700_000_000_200_000_000,
        links: vec![span::Link {
            trace_id: vec![0x11; 16],
            span_id: vec![0x22; 8],
            attributes: vec![kv("link.kind", StringValue("retry".into()))],
            ..Default::default()
        }],
        ..Default::default()
    };
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![
                    kv("service.name", StringValue("order-svc".into())),
                    kv("host.name", StringValue("h1".into())),
                ],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: "lib".into(),
                    version: "1".into(),
                    ..Default::default()
                }),
                spans: vec![root, child],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// Everything a loaded store holds about its spans, as text, in a stable order.
fn summary(store: &Store) -> Vec<String> {
    let attrs = |r: tracetopo::model::ArenaRange| -> Vec<String> {
        store.attrs[r.range()]
            .iter()
            .map(|a| format!("{}={:?}", store.str(a.key), a.value(&store.strings)))
            .collect()
    };
    (0..store.spans.len() as u32)
        .map(|i| {
            let s = store.span(i);
            let events: Vec<_> = store
                .span_events(i)
                .iter()
                .map(|e| format!("{}@{}{:?}", store.str(e.name), e.time, attrs(e.attrs)))
                .collect();
            let links: Vec<_> = store
                .span_links(i)
                .iter()
                .map(|l| format!("{:x}/{:x}{:?}", l.trace_id, l.span_id, attrs(l.attrs)))
                .collect();
            format!(
                "{:x}/{:x}<{:x} {} {:?} {:?}:{} {}..{} svc={} scope={} flags={} attrs={:?} events={:?} links={:?}",
                s.trace_id,
                s.span_id,
                s.parent_id,
                store.str(s.name),
                s.kind,
                s.status,
                store.str(s.status_message),
                s.start,
                s.end,
                store.service_name(i),
                store.str(s.scope),
                s.flags,
                attrs(s.attrs),
                events,
                links
            )
        })
        .collect()
}

fn load_mem(name: &str, bytes: &[u8]) -> (Store, tracetopo::ingest::Loaded) {
    let mut store = Store::new();
    let l = load_bytes(&mut store, name, bytes, &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    store.build_index();
    (store, l)
}

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

#[test]
fn json_document_loads_everything() {
    let (store, l) = load_mem("doc.json", DOC.as_bytes());
    assert_eq!((l.format, l.spans, l.warnings), (Format::OtlpJson, 2, 0));
    let s = summary(&store);
    assert_eq!(
        s[0],
        "af7651916cd43dd8448eb211c80319c/b7ad6b7169203331<0 GET /orders Server Error:failed \
         1700000000000000000..1700000000500000000 svc=order-svc scope=lib flags=0 \
         attrs=[\"http.status_code=Int(200)\", \"ratio=Double(0.5)\", \"ok=Bool(true)\", \
         \"raw=Bytes(\\\"AQID\\\")\", \"tags=Json(\\\"[\\\\\\\"a\\\\\\\",2]\\\")\", \"none=Empty\"] \
         events=[\"exception@1700000000100000000[\\\"exception.message=Str(\\\\\\\"boom\\\\\\\")\\\"]\"] links=[]"
    );
    assert!(s[1].contains("/f067aa0ba902b7<b7ad6b7169203331 SELECT Client"));
    assert!(s[1].contains("links=[\"11111111111111111111111111111111/2222222222222222[\\\"link.kind=Str(\\\\\\\"retry\\\\\\\")\\\"]\"]"));
    assert_eq!(store.inputs[0].path, "doc.json");
    assert_eq!(store.inputs[0].format, "otlp-json");
}

#[test]
fn protobuf_loads_the_same_spans_as_its_json_twin() {
    let (json, _) = load_mem("doc.json", DOC.as_bytes());
    let pb = doc_proto().encode_to_vec();
    let (proto, l) = load_mem("doc.pb", &pb);
    assert_eq!((l.format, l.spans, l.warnings), (Format::OtlpProto, 2, 0));
    assert_eq!(summary(&proto), summary(&json));

    // The Collector file exporter's framing: 4-byte big-endian length before each message.
    let mut stream = Vec::new();
    for _ in 0..3 {
        stream.extend((pb.len() as u32).to_be_bytes());
        stream.extend(&pb);
    }
    let mut store = Store::new();
    let l = load_bytes(&mut store, "s.bin", &stream, &LoadOptions::default()).unwrap();
    assert_eq!((l.format, l.spans), (Format::OtlpProto, 6));
    store.build_index();
    assert_eq!(summary(&store), summary(&json), "identical copies merge");

    // A stream cut short names the byte where its last message starts.
    let cut = &stream[..stream.len() - 5];
    let e = load_bytes(&mut Store::new(), "cut.bin", cut, &LoadOptions::default()).unwrap_err();
    let offset = 2 * (pb.len() as u64 + 4);
    assert_eq!(e.position, Position::Byte { offset });
    assert!(
        e.to_string()
            .starts_with(&format!("cut.bin: byte {offset}: ")),
        "{e}"
    );
}

#[test]
fn gzip_and_zstd_round_trip() {
    let (plain, _) = load_mem("doc.json", DOC.as_bytes());
    let lines = format!("{}\n{}\n", DOC.replace('\n', ""), DOC.replace('\n', ""));
    let (plain_lines, _) = load_mem("doc.jsonl", lines.as_bytes());
    let pb = doc_proto().encode_to_vec();
    for (name, raw, format) in [
        ("doc", DOC.as_bytes(), Format::OtlpJson),
        ("lines", lines.as_bytes(), Format::OtlpJsonLines),
        ("pb", &pb[..], Format::OtlpProto),
    ] {
        for (ext, packed) in [
            ("gz", gzip(raw)),
            ("zst", zstd::encode_all(raw, 3).unwrap()),
        ] {
            // The name says nothing: content decides.
            let (store, l) = load_mem(&format!("{name}.{ext}.data"), &packed);
            assert_eq!(l.format, format, "{name}.{ext}");
            let want = if format == Format::OtlpJsonLines {
                summary(&plain_lines)
            } else {
                summary(&plain)
            };
            assert_eq!(summary(&store), want, "{name}.{ext}");
        }
    }
}

#[test]
fn json_lines_skip_a_bad_line_and_load_the_rest() {
    let good = |span: &str| {
        format!(
            r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"svc"}}}}]}},"scopeSpans":[{{"spans":[{{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"{span}","name":"n"}}]}}]}}]}}"#
        )
    };
    // Line 2 holds a good span and then a bad one: the whole line is skipped.
    let bad = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"00000000000000aa"},{"traceId":"zzz"}]}]}]}"#;
    let text = format!(
        "{}\n{bad}\n\n{}\r\n{{\"resourceMetrics\":[]}}\n{}",
        good("0000000000000001"),
        good("0000000000000002"),
        good("0000000000000003")
    );
    let mut store = Store::new();
    let l = load_bytes(
        &mut store,
        "a.jsonl",
        text.as_bytes(),
        &LoadOptions::default(),
    )
    .unwrap();
    assert_eq!(l.format, Format::OtlpJsonLines);
    assert_eq!(l.spans, 3);
    assert_eq!(l.warnings, 2);
    store.build_index();
    let ids: Vec<u64> = store.spans.iter().map(|s| s.span_id).collect();
    assert_eq!(ids, vec![1, 2, 3]);
    assert!((0..3).all(|i| store.service_name(i) == "svc"));
    let skipped = store
        .diag
        .warnings
        .iter()
        .find(|w| w.kind == WarningKind::SkippedLine)
        .unwrap();
    assert_eq!(skipped.count, 1);
    let Position::LineCol { line, column } = skipped.position else {
        panic!("{skipped}");
    };
    assert_eq!(line, 2);
    assert!(
        column > 100,
        "the column of the bad id, not the start: {column}"
    );
    assert!(skipped.message.contains("invalid trace id"), "{skipped}");
    let other = store
        .diag
        .warnings
        .iter()
        .find(|w| w.kind == WarningKind::OtherSignal)
        .unwrap();
    assert_eq!(
        (other.count, &other.position),
        (1, &Position::Line { line: 5 })
    );
}

/// JSON lines of about 470 bytes each (20 000 cross the 8 MiB chunk); line `bad_at` is broken.
fn big_jsonl(lines: usize, bad_at: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 1..=lines {
        if i == bad_at {
            out.extend_from_slice(b"{\"resourceSpans\": [ not json\n");
            continue;
        }
        writeln!(
            out,
            r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"svc-{}"}}}}]}},"scopeSpans":[{{"scope":{{"name":"lib"}},"spans":[{{"traceId":"{:032x}","spanId":"{:016x}","name":"op {}","kind":2,"startTimeUnixNano":"{}","endTimeUnixNano":"{}","attributes":[{{"key":"http.route","value":{{"stringValue":"/orders/{{id}}"}}}},{{"key":"goroutine.id","value":{{"intValue":"{}"}}}}]}}]}}]}}]}}"#,
            i % 7,
            i as u128 + 1,
            i + 1,
            i % 13,
            1_700_000_000_000_000_000u64 + i as u64,
            1_700_000_000_000_100_000u64 + i as u64,
            i
        )
        .unwrap();
    }
    out
}

#[test]
fn json_lines_across_chunks_number_lines_and_report_progress() {
    let lines = 20_000;
    let bad_at = 19_500;
    let data = big_jsonl(lines, bad_at);
    assert!(
        data.len() > 8 << 20,
        "{} bytes: must cross a chunk",
        data.len()
    );
    let packed = zstd::encode_all(&data[..], 1).unwrap();
    let calls = AtomicU64::new(0);
    let last = AtomicU64::new(0);
    let progress = |n: u64| {
        assert!(
            n >= last.load(Ordering::Relaxed),
            "progress never goes back"
        );
        last.store(n, Ordering::Relaxed);
        calls.fetch_add(1, Ordering::Relaxed);
    };
    let opts = LoadOptions {
        progress: Some(&progress),
        cancel: None,
    };
    let mut store = Store::new();
    let l = load_bytes(&mut store, "big.jsonl.zst", &packed, &opts).unwrap();
    assert_eq!(l.format, Format::OtlpJsonLines);
    assert_eq!(l.spans, lines as u64 - 1);
    assert!(calls.load(Ordering::Relaxed) >= 2, "once per chunk");
    assert_eq!(
        last.load(Ordering::Relaxed),
        packed.len() as u64,
        "compressed bytes"
    );
    let w = &store.diag.warnings;
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].kind, WarningKind::SkippedLine);
    assert!(matches!(w[0].position, Position::LineCol { line, .. } if line == bad_at as u64));
    store.build_index();
    assert_eq!(store.index.services.len(), 7);
    assert_eq!(store.index.traces.len(), lines - 1);
    // Line i holds trace i + 1, span i + 1, "op {i % 13}", service "svc-{i % 7}".
    let t = store.trace(17_001).unwrap();
    let s = store.span(t.start_idx);
    assert_eq!((s.span_id, store.str(s.name)), (17_001, "op 9"));
    assert_eq!(store.service_name(t.start_idx), "svc-4");
    assert_eq!(
        store
            .attr(t.start_idx, "goroutine.id")
            .and_then(|v| v.as_i64()),
        Some(17_000)
    );
}

#[test]
fn cancel_stops_the_load() {
    let cancel = AtomicBool::new(true);
    let opts = LoadOptions {
        progress: None,
        cancel: Some(&cancel),
    };
    let mut store = Store::new();
    let e = load_bytes(&mut store, "doc.json", DOC.as_bytes(), &opts).unwrap_err();
    assert_eq!(e.message, "cancelled");
    assert!(store.inputs.is_empty() && store.spans.is_empty());

    // Cancelled from the progress callback after the first chunk of a two-chunk file.
    let data = big_jsonl(20_000, 0);
    let cancel = AtomicBool::new(false);
    let calls = std::sync::atomic::AtomicU64::new(0);
    let progress = |_: u64| {
        calls.fetch_add(1, Ordering::Relaxed);
        cancel.store(true, Ordering::Relaxed);
    };
    let opts = LoadOptions {
        progress: Some(&progress),
        cancel: Some(&cancel),
    };
    let mut store = Store::new();
    let e = load_bytes(&mut store, "big.jsonl", &data, &opts).unwrap_err();
    assert_eq!(e.message, "cancelled");
    assert!(e.to_string().starts_with("big.jsonl: byte "), "{e}");
    // The load stopped at the next chunk boundary instead of reading to the end.
    assert_eq!(calls.load(Ordering::Relaxed), 1);
    assert!(store.spans.len() < 20_000);
}

#[test]
fn load_path_names_the_file_in_errors_and_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("t.json.gz");
    std::fs::write(&good, gzip(DOC.as_bytes())).unwrap();
    let mut store = Store::new();
    let l = load_path(&mut store, &good, &LoadOptions::default()).unwrap();
    assert_eq!((l.format, l.spans), (Format::OtlpJson, 2));
    assert_eq!(store.inputs[0].path, good.display().to_string());
    assert!(
        store.index.traces.is_empty(),
        "load_path leaves indexing to the caller"
    );

    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[\n{\"traceId\":\"xyz\"}]}]}]}",
    )
    .unwrap();
    let e = load_path(&mut store, &bad, &LoadOptions::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}: line 2 column 16: invalid trace id: id \"xyz\" is neither hex nor base64",
            bad.display()
        )
    );
    assert_eq!(store.inputs.len(), 1, "a failed file is not registered");

    let missing = dir.path().join("nope.json");
    let e = load_path(&mut store, &missing, &LoadOptions::default()).unwrap_err();
    assert!(
        e.to_string()
            .starts_with(&format!("{}: ", missing.display())),
        "{e}"
    );

    let empty = dir.path().join("empty.json");
    std::fs::write(&empty, "").unwrap();
    let e = load_path(&mut store, &empty, &LoadOptions::default()).unwrap_err();
    assert!(e.to_string().ends_with("empty input"), "{e}");

    // Text and random bytes are neither JSON nor protobuf: said so, not as a decode error.
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let random: Vec<u8> = (0..4096)
        .map(|_| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng >> 24) as u8 | 0x80
        })
        .collect();
    for (file, bytes) in [
        ("notes.txt", b"GET /orders took 12 ms\n".to_vec()),
        ("noise.bin", random),
    ] {
        let path = dir.path().join(file);
        std::fs::write(&path, &bytes).unwrap();
        let e = load_path(&mut store, &path, &LoadOptions::default()).unwrap_err();
        let line = e.to_string();
        assert!(line.starts_with(&format!("{}: ", path.display())), "{line}");
        assert!(
            line.ends_with(
                ": not a trace file tracetopo reads \
                 (tried OTLP JSON, JSON lines, protobuf, Jaeger, Zipkin)"
            ),
            "{line}"
        );
    }
}

/// A protobuf request starts `0x0a LEN`: when LEN (the first resource's size) is 91 or 123,
/// the bytes read `\n[` and `\n{` like indented JSON. Every size up to a one-byte varint
/// loads.
#[test]
fn small_protobuf_requests_load_whatever_their_first_length_byte() {
    let span = Span {
        trace_id: vec![1; 16],
        span_id: vec![2; 8],
        name: "s".into(),
        start_time_unix_nano: 1,
        end_time_unix_nano: 2,
        ..Default::default()
    };
    let mut lengths = Vec::new();
    for pad in 0..100 {
        let req = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(Resource {
                    attributes: vec![kv(
                        "service.name",
                        any_value::Value::StringValue("x".repeat(pad)),
                    )],
                    ..Default::default()
                }),
                scope_spans: vec![ScopeSpans {
                    spans: vec![span.clone()],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        let pb = req.encode_to_vec();
        if pb[1] >= 0x80 {
            break;
        }
        lengths.push(pb[1]);
        let (store, l) = load_mem(&format!("pad{pad}.pb"), &pb);
        assert_eq!(
            (l.format, store.spans.len()),
            (Format::OtlpProto, 1),
            "pad {pad}"
        );
    }
    assert!(
        lengths.contains(&b'[') && lengths.contains(&b'{'),
        "{lengths:?}"
    );
}

#[test]
fn truncated_inputs_fail_cleanly() {
    let pb = doc_proto().encode_to_vec();
    let lines = format!("{}\n{}\n", DOC.replace('\n', ""), DOC.replace('\n', ""));
    for (name, whole) in [
        ("doc", DOC.as_bytes().to_vec()),
        ("pb", pb),
        ("lines", lines.into_bytes()),
        ("gz", gzip(DOC.as_bytes())),
    ] {
        let first_line = whole.iter().position(|&c| c == b'\n').unwrap_or(0);
        for cut in 0..whole.len() - 1 {
            let mut store = Store::new();
            match load_bytes(&mut store, name, &whole[..cut], &LoadOptions::default()) {
                // Only JSON lines load when cut: the whole first line (alone it is a
                // document), then with the cut second line skipped.
                Ok(l) => {
                    assert_eq!(name, "lines", "{name}[..{cut}] loaded");
                    assert!(cut >= first_line, "{cut}");
                    let skipped = u64::from(cut > first_line + 1);
                    assert_eq!((l.spans, l.warnings), (2, skipped), "{name}[..{cut}]");
                }
                Err(e) => {
                    assert!(e.to_string().starts_with(&format!("{name}: ")), "{e}");
                    assert!(!e.to_string().contains('\n'), "{e}");
                }
            }
        }
    }
}

/// Throughput on a ~50 MB JSON lines dump shaped like Collector output (10 spans per line,
/// typical HTTP/DB attributes). Run once with
/// `cargo test --release --test it ingest:: -- --ignored --nocapture`.
#[test]
#[ignore]
fn throughput_of_a_large_jsonl_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.jsonl");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let services = ["api-gateway", "order-svc", "user-svc", "payment-svc"];
    let mut n = 0u64;
    let mut bytes = 0usize;
    while bytes < 50 << 20 {
        let svc = services[n as usize % services.len()];
        let mut spans = Vec::new();
        for k in 0..10u64 {
            let id = n * 10 + k + 1;
            let parent = if k == 0 {
                String::new()
            } else {
                format!("{:016x}", n * 10 + 1)
            };
            spans.push(format!(
                r#"{{"traceId":"{:032x}","spanId":"{id:016x}","parentSpanId":"{parent}","name":"GET /orders/{{id}}","kind":{},"startTimeUnixNano":"{}","endTimeUnixNano":"{}","attributes":[{{"key":"http.request.method","value":{{"stringValue":"GET"}}}},{{"key":"http.route","value":{{"stringValue":"/orders/{{id}}"}}}},{{"key":"url.full","value":{{"stringValue":"http://order-svc:8080/orders/{id}"}}}},{{"key":"http.response.status_code","value":{{"intValue":"200"}}}},{{"key":"server.address","value":{{"stringValue":"order-svc"}}}},{{"key":"goroutine.id","value":{{"intValue":"{}"}}}},{{"key":"db.system","value":{{"stringValue":"postgresql"}}}},{{"key":"db.statement","value":{{"stringValue":"SELECT * FROM orders WHERE id = $1"}}}}],"events":[{{"timeUnixNano":"{}","name":"message","attributes":[{{"key":"message.type","value":{{"stringValue":"SENT"}}}}]}}],"status":{{"code":1}}}}"#,
                n + 1,
                2 + k % 2,
                1_700_000_000_000_000_000u64 + id * 1000,
                1_700_000_000_000_500_000u64 + id * 1000,
                id % 500,
                1_700_000_000_000_100_000u64 + id * 1000,
            ));
        }
        let line = format!(
            r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"{svc}"}}}},{{"key":"service.instance.id","value":{{"stringValue":"{svc}-1"}}}},{{"key":"telemetry.sdk.language","value":{{"stringValue":"go"}}}}]}},"scopeSpans":[{{"scope":{{"name":"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp","version":"0.49.0"}},"spans":[{}]}}]}}]}}"#,
            spans.join(",")
        );
        writeln!(out, "{line}").unwrap();
        bytes += line.len() + 1;
        n += 1;
    }
    drop(out);
    let start = std::time::Instant::now();
    let mut store = Store::new();
    let l = load_path(&mut store, &path, &LoadOptions::default()).unwrap();
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(l.spans, n * 10);
    assert_eq!(l.warnings, 0);
    println!(
        "{:.1} MB, {} spans in {:.3} s: {:.0} MB/s on {} threads",
        bytes as f64 / 1e6,
        l.spans,
        secs,
        bytes as f64 / 1e6 / secs,
        rayon::current_num_threads()
    );
}
