//! The Python SDK's `ConsoleSpanExporter`: `ReadableSpan.to_json()` objects, indented, back to
//! back (opentelemetry-sdk, `opentelemetry/sdk/trace/__init__.py`): `name`; `context`
//! (`trace_id`, `span_id` as `0x` hex, `trace_state`); `kind` (`SpanKind.SERVER`);
//! `parent_id` (`0x` hex or null); `start_time`, `end_time` (ISO 8601 UTC, `Z`); `status`
//! (`status_code` `UNSET`/`OK`/`ERROR`, `description`); `attributes` (a plain object);
//! `events` (`name`, `timestamp`, `attributes`); `links` (`context`, `attributes`);
//! `resource` (`attributes`, `schema_url`).

use serde_json::{Map, Value};

use super::span::{Dialect, Head, Keys, Sink};
use crate::model::{SpanKind, StatusCode, WarningKind};

/// Pushes each entry of a plain attribute object.
fn attrs(s: &mut Sink, obj: Option<&Value>) {
    for (k, v) in obj.and_then(Value::as_object).into_iter().flatten() {
        s.push_attr(k, v, false);
    }
}

pub const DIALECT: Dialect = Dialect {
    keys: Keys {
        context: ["context", "trace_id", "span_id"],
        name: "name",
        attributes: "attributes",
        times: ["start_time", "end_time"],
        events: ["events", "timestamp", "events[].timestamp"],
        links: "links",
        status: ["status", "description"],
    },
    attrs,
    parent: |o| o.get("parent_id"),
    resource: |o| o.get("resource")?.get("attributes"),
    head,
};

/// Kind and status as the SDK's enum names (`SpanKind.SERVER`); no scope.
fn head<'o>(s: &mut Sink, o: &'o Map<String, Value>) -> Head<'o> {
    let kind = match o.get("kind").and_then(Value::as_str) {
        None => SpanKind::Unspecified,
        Some(k) => {
            SpanKind::from_name(k.strip_prefix("SpanKind.").unwrap_or(k)).unwrap_or_else(|| {
                s.warn(WarningKind::EnumValue, "unknown kind: read as unspecified");
                SpanKind::Unspecified
            })
        }
    };
    let status = o.get("status");
    let status_code = match status
        .and_then(|st| st.get("status_code"))
        .and_then(Value::as_str)
    {
        None => StatusCode::Unset,
        Some(c) => StatusCode::from_name(c.strip_prefix("StatusCode.").unwrap_or(c))
            .unwrap_or_else(|| {
                s.warn(WarningKind::EnumValue, "unknown status_code: read as unset");
                StatusCode::Unset
            }),
    };
    Head {
        scope: "",
        kind,
        status: status_code,
    }
}
