//! The Go SDK's `stdouttrace` exporter: one `tracetest.SpanStub` per JSON object
//! (go.opentelemetry.io/otel/sdk/trace/tracetest/span.go). Its fields: `Name`; `SpanContext`
//! and `Parent` (`TraceID`, `SpanID` hex, `TraceFlags`, `TraceState`, `Remote`); `SpanKind`
//! (0-5, OTLP's numbering); `StartTime`, `EndTime` (RFC 3339, Go's zero time with
//! `WithoutTimestamps`); `Attributes` (`[{Key, Value: {Type, Value}}]`); `Events` (`Name`,
//! `Attributes`, `Time`); `Links` (`SpanContext`, `Attributes`); `Status` (`Code` `Unset`,
//! `Error`, `Ok`; `Description`); `Dropped*`, `ChildSpanCount`; `Resource` (an attribute
//! list); `InstrumentationScope` (SDK 1.x from 1.10) and/or `InstrumentationLibrary` (older
//! SDKs, and kept alongside since), each `{Name, Version, SchemaURL}`.

use serde_json::{Map, Value};

use super::span::Sink;
use crate::model::{Span, SpanKind, StatusCode, WarningKind};

/// Pushes each `{Key, Value: {Type, Value}}` of a Go attribute list.
fn attrs(s: &mut Sink, list: Option<&Value>) {
    for kv in list.and_then(Value::as_array).into_iter().flatten() {
        let Some(key) = kv.get("Key").and_then(Value::as_str) else {
            s.warn(
                WarningKind::SkippedField,
                "attribute without a Key: skipped",
            );
            continue;
        };
        let typed = kv.get("Value").unwrap_or(&Value::Null);
        let ty = typed.get("Type").and_then(Value::as_str);
        s.push_attr(key, &plain(typed), ty == Some("BYTESLICE"));
    }
}

/// A typed value `{Type, Value}` as plain JSON: `SLICE` elements and `MAP` entries (newer
/// SDKs) are typed values themselves, unwrapped so they read as OTLP arrays and kvlists do.
fn plain(typed: &Value) -> Value {
    let v = typed.get("Value").cloned().unwrap_or(Value::Null);
    match (typed.get("Type").and_then(Value::as_str), v) {
        (Some("SLICE"), Value::Array(items)) => Value::Array(items.iter().map(plain).collect()),
        (Some("MAP"), Value::Array(entries)) => Value::Object(
            entries
                .iter()
                .filter_map(|kv| {
                    let k = kv.get("Key")?.as_str()?;
                    Some((k.to_string(), plain(kv.get("Value")?)))
                })
                .collect(),
        ),
        (_, v) => v,
    }
}

/// Reads one span object into the sink.
pub fn span(s: &mut Sink, o: &Map<String, Value>) {
    let ctx = o.get("SpanContext");
    let Some((trace_id, span_id, id_flags)) = s.ids(
        ctx.and_then(|c| c.get("TraceID")),
        ctx.and_then(|c| c.get("SpanID")),
    ) else {
        return;
    };
    let (parent_id, parent_flags) = s.parent(o.get("Parent").and_then(|p| p.get("SpanID")));
    let res = s.b.attr_mark();
    attrs(s, o.get("Resource"));
    let resource = s.resource(res);
    let scope = ["InstrumentationScope", "InstrumentationLibrary"]
        .iter()
        .filter_map(|k| o.get(*k)?.get("Name")?.as_str())
        .find(|n| !n.is_empty())
        .unwrap_or_default();
    let kind = match o.get("SpanKind").and_then(Value::as_i64) {
        None => SpanKind::Unspecified,
        Some(k) => SpanKind::from_i64(k).unwrap_or_else(|| {
            s.warn(
                WarningKind::EnumValue,
                "unknown SpanKind: read as unspecified",
            );
            SpanKind::Unspecified
        }),
    };
    let status = o.get("Status");
    let code = status.and_then(|st| st.get("Code"));
    let status_code = match code {
        None | Some(Value::Null) => Some(StatusCode::Unset),
        Some(Value::String(c)) => StatusCode::from_name(c),
        Some(v) => v.as_i64().and_then(StatusCode::from_i64),
    }
    .unwrap_or_else(|| {
        s.warn(WarningKind::EnumValue, "unknown Status.Code: read as unset");
        StatusCode::Unset
    });
    let message = status
        .and_then(|st| st.get("Description"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let start = s.time(o.get("StartTime"), "StartTime");
    let end = s.time(o.get("EndTime"), "EndTime");
    let mark = s.b.attr_mark();
    attrs(s, o.get("Attributes"));
    let span_attrs = s.b.attrs_since(mark);
    let (events, links) = (s.b.events.len() as u32, s.b.links.len() as u32);
    for e in o
        .get("Events")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let mark = s.b.attr_mark();
        attrs(s, e.get("Attributes"));
        let time = s.time(e.get("Time"), "Events[].Time").unwrap_or(0);
        let name = e.get("Name").and_then(Value::as_str).unwrap_or_default();
        s.event(time, name, mark);
    }
    for l in o
        .get("Links")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let mark = s.b.attr_mark();
        attrs(s, l.get("Attributes"));
        let ctx = l.get("SpanContext");
        s.link(
            ctx.and_then(|c| c.get("TraceID")),
            ctx.and_then(|c| c.get("SpanID")),
            mark,
        );
    }
    let name = o.get("Name").and_then(Value::as_str).unwrap_or_default();
    let span = Span {
        trace_id,
        span_id,
        parent_id,
        start: start.unwrap_or(0),
        end: end.or(start).unwrap_or(0),
        name: s.b.intern(name),
        resource,
        scope: s.b.intern(scope),
        status_message: s.b.intern(message),
        attrs: span_attrs,
        kind,
        status: status_code,
        flags: id_flags | parent_flags,
        ..Span::default()
    };
    s.finish(span, events, links);
}
