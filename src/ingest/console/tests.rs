use super::*;
use crate::ingest::{LoadOptions, load_bytes};
use crate::model::{SpanKind, StatusCode};

const GO_SPAN: &str = r#"{"Name":"GET /orders","SpanContext":{"TraceID":"0af7651916cd43dd8448eb211c80319c","SpanID":"b7ad6b7169203331","TraceFlags":"01","TraceState":"","Remote":false},"Parent":{"TraceID":"00000000000000000000000000000000","SpanID":"0000000000000000","TraceFlags":"00","TraceState":"","Remote":false},"SpanKind":2,"StartTime":"2024-05-01T10:00:00.5+02:00","EndTime":"2024-05-01T10:00:01.5+02:00","Attributes":[{"Key":"http.method","Value":{"Type":"STRING","Value":"GET"}},{"Key":"n","Value":{"Type":"INT64","Value":3}},{"Key":"ids","Value":{"Type":"INT64SLICE","Value":[1,2]}}],"Events":[{"Name":"retry","Attributes":null,"DroppedAttributeCount":0,"Time":"2024-05-01T10:00:01+02:00"}],"Links":null,"Status":{"Code":"Error","Description":"boom"},"DroppedAttributes":0,"DroppedEvents":0,"DroppedLinks":0,"ChildSpanCount":0,"Resource":[{"Key":"service.name","Value":{"Type":"STRING","Value":"orders"}}],"InstrumentationScope":{"Name":"orders/http","Version":"","SchemaURL":""},"InstrumentationLibrary":{"Name":"orders/http","Version":"","SchemaURL":""}}"#;

fn load(text: &str) -> Store {
    let mut store = Store::new();
    load_bytes(&mut store, "t", text.as_bytes(), &LoadOptions::default()).unwrap();
    store
}

#[test]
fn go_span_fields() {
    let store = load(&format!("{GO_SPAN}\n"));
    assert_eq!(store.inputs[0].format, "otel-go-stdout");
    let s = store.spans[0];
    assert_eq!(s.trace_id, 0x0af7651916cd43dd8448eb211c80319c);
    assert_eq!(s.span_id, 0xb7ad6b7169203331);
    assert_eq!(s.parent_id, 0);
    assert_eq!(s.kind, SpanKind::Server);
    assert_eq!(s.status, StatusCode::Error);
    assert_eq!(s.end - s.start, 1_000_000_000);
    assert_eq!(store.strings.resolve(s.scope), "orders/http");
    assert_eq!(store.strings.resolve(s.status_message), "boom");
    assert_eq!(s.attrs.len, 3);
    assert_eq!(s.events.len, 1);
    let svc = store.resources[s.resource as usize].service;
    assert_eq!(store.strings.resolve(svc), "orders");
}

#[test]
fn mixed_output_counts_what_it_skips() {
    let pretty =
        serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(GO_SPAN).unwrap())
            .unwrap()
            .replace("b7ad6b7169203331", "b7ad6b7169203332");
    let text = format!(
        "2024/05/01 listening on :8080\n{GO_SPAN}\n{{\"level\":\"info\",\"msg\":\"hi\"}}\n{pretty}\nbye\n"
    );
    let store = load(&text);
    assert_eq!(store.spans.len(), 2);
    let skipped: Vec<(u64, String)> = store
        .diag
        .warnings
        .iter()
        .map(|w| (w.count, w.message.clone()))
        .collect();
    assert!(
        skipped.contains(&(2, "line that is not part of a span object: skipped".into())),
        "{skipped:?}"
    );
    // The JSON log line is a log record now (issue 12), not a skipped line.
    assert_eq!(store.logs.len(), 1);
    assert_eq!(skipped.len(), 1, "{skipped:?}");
}

#[test]
fn text_without_spans_is_still_refused() {
    let mut store = Store::new();
    let e = load_bytes(
        &mut store,
        "t",
        b"hello\n{\"level\":\"info\"}\n",
        &LoadOptions::default(),
    )
    .unwrap_err();
    assert!(e.message.starts_with("not a trace file"), "{e}");
}
