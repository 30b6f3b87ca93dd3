//! The Python SDK's `ConsoleSpanExporter`: `ReadableSpan.to_json()` objects, indented, back to
//! back (opentelemetry-sdk, `opentelemetry/sdk/trace/__init__.py`): `name`; `context`
//! (`trace_id`, `span_id` as `0x` hex, `trace_state`); `kind` (`SpanKind.SERVER`);
//! `parent_id` (`0x` hex or null); `start_time`, `end_time` (ISO 8601 UTC, `Z`); `status`
//! (`status_code` `UNSET`/`OK`/`ERROR`, `description`); `attributes` (a plain object);
//! `events` (`name`, `timestamp`, `attributes`); `links` (`context`, `attributes`);
//! `resource` (`attributes`, `schema_url`).

use serde_json::{Map, Value};

use super::span::Sink;
use crate::model::{Span, SpanKind, StatusCode, WarningKind};

fn attrs(s: &mut Sink, obj: Option<&Value>) {
    for (k, v) in obj.and_then(Value::as_object).into_iter().flatten() {
        s.push_attr(k, v, false);
    }
}

/// Reads one span object into the sink.
pub fn span(s: &mut Sink, o: &Map<String, Value>) {
    let ctx = o.get("context");
    let Some((trace_id, span_id, id_flags)) = s.ids(
        ctx.and_then(|c| c.get("trace_id")),
        ctx.and_then(|c| c.get("span_id")),
    ) else {
        return;
    };
    let (parent_id, parent_flags) = s.parent(o.get("parent_id"));
    let res = s.b.attr_mark();
    attrs(s, o.get("resource").and_then(|r| r.get("attributes")));
    let resource = s.resource(res);
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
    let message = status
        .and_then(|st| st.get("description"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let start = s.time(o.get("start_time"), "start_time");
    let end = s.time(o.get("end_time"), "end_time");
    let mark = s.b.attr_mark();
    attrs(s, o.get("attributes"));
    let span_attrs = s.b.attrs_since(mark);
    let (events, links) = (s.b.events.len() as u32, s.b.links.len() as u32);
    for e in o
        .get("events")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let mark = s.b.attr_mark();
        attrs(s, e.get("attributes"));
        let time = s
            .time(e.get("timestamp"), "events[].timestamp")
            .unwrap_or(0);
        let name = e.get("name").and_then(Value::as_str).unwrap_or_default();
        s.event(time, name, mark);
    }
    for l in o
        .get("links")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let mark = s.b.attr_mark();
        attrs(s, l.get("attributes"));
        let ctx = l.get("context");
        s.link(
            ctx.and_then(|c| c.get("trace_id")),
            ctx.and_then(|c| c.get("span_id")),
            mark,
        );
    }
    let name = o.get("name").and_then(Value::as_str).unwrap_or_default();
    let span = Span {
        trace_id,
        span_id,
        parent_id,
        start: start.unwrap_or(0),
        end: end.or(start).unwrap_or(0),
        name: s.b.intern(name),
        resource,
        status_message: s.b.intern(message),
        attrs: span_attrs,
        kind,
        status: status_code,
        flags: id_flags | parent_flags,
        ..Span::default()
    };
    s.finish(span, events, links);
}
