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

use super::span::{Dialect, Head, Keys, Sink};
use crate::model::{SpanKind, StatusCode, WarningKind};

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

pub const DIALECT: Dialect = Dialect {
    keys: Keys {
        context: ["SpanContext", "TraceID", "SpanID"],
        name: "Name",
        attributes: "Attributes",
        times: ["StartTime", "EndTime"],
        events: ["Events", "Time", "Events[].Time"],
        links: "Links",
        status: ["Status", "Description"],
    },
    attrs,
    parent: |o| o.get("Parent")?.get("SpanID"),
    resource: |o| o.get("Resource"),
    head,
};

/// Scope, kind (a number) and status (a name or a number).
fn head<'o>(s: &mut Sink, o: &'o Map<String, Value>) -> Head<'o> {
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
    Head {
        scope,
        kind,
        status: status_code,
    }
}
