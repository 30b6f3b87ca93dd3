//! What the Go and Python console formats share: the order a span object is read in, and
//! attribute values, ids, times, resources turned into the batch's records. Each reader
//! (`go`, `python`) is a `Dialect`: its field names and the parts it writes its own way.

use serde_json::{Map, Value};

use super::super::ids;
use super::super::scalar::{ResourceCache, range_since};
use super::time::unix_nanos;
use crate::model::{Attr, Batch, Event, Link, Position, Span, SpanKind, StatusCode, WarningKind};

/// The keys one SDK names a span's parts with.
pub struct Keys {
    /// The span context, its trace id and its span id (a link's context uses the same).
    pub context: [&'static str; 3],
    /// A span's name (an event's too) and attributes (those of events and links too).
    pub name: &'static str,
    pub attributes: &'static str,
    /// Start and end time.
    pub times: [&'static str; 2],
    /// The events, an event's time, and that time as a warning names it.
    pub events: [&'static str; 3],
    pub links: &'static str,
    /// The status object and its message.
    pub status: [&'static str; 2],
}

/// The parts of a span an SDK writes its own way (enum values as names or numbers), read by
/// its `Dialect::head`.
pub struct Head<'o> {
    pub scope: &'o str,
    pub kind: SpanKind,
    pub status: StatusCode,
}

/// One SDK's console span: its keys, and how it writes attributes, the parent, the resource
/// and the `Head`.
pub struct Dialect {
    pub keys: Keys,
    /// Pushes an attribute list (absent: nothing).
    pub attrs: fn(&mut Sink, Option<&Value>),
    /// The parent's span id.
    pub parent: fn(&Map<String, Value>) -> Option<&Value>,
    /// The resource's attribute list.
    pub resource: fn(&Map<String, Value>) -> Option<&Value>,
    pub head: for<'o> fn(&mut Sink, &'o Map<String, Value>) -> Head<'o>,
}

/// Reads one span object into the sink.
pub fn read(s: &mut Sink, o: &Map<String, Value>, d: &Dialect) {
    let Keys {
        context: [context, trace_key, span_key],
        name: name_key,
        attributes,
        times: [start_key, end_key],
        events: [events_key, event_time, event_time_field],
        links: links_key,
        status: [status_key, description],
    } = d.keys;
    let ctx = o.get(context);
    let Some((trace_id, span_id, id_flags)) = s.ids(
        ctx.and_then(|c| c.get(trace_key)),
        ctx.and_then(|c| c.get(span_key)),
    ) else {
        return;
    };
    let (parent_id, parent_flags) = s.parent((d.parent)(o));
    let res = s.b.attr_mark();
    (d.attrs)(s, (d.resource)(o));
    let resource = s.resource(res);
    let head = (d.head)(s, o);
    let message = o
        .get(status_key)
        .and_then(|st| st.get(description))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let start = s.time(o.get(start_key), start_key);
    let end = s.time(o.get(end_key), end_key);
    let mark = s.b.attr_mark();
    (d.attrs)(s, o.get(attributes));
    let span_attrs = s.b.attrs_since(mark);
    let (events, links) = (s.b.events.len() as u32, s.b.links.len() as u32);
    for e in list(o.get(events_key)) {
        let mark = s.b.attr_mark();
        (d.attrs)(s, e.get(attributes));
        let time = s.time(e.get(event_time), event_time_field).unwrap_or(0);
        let name = e.get(name_key).and_then(Value::as_str).unwrap_or_default();
        s.event(time, name, mark);
    }
    for l in list(o.get(links_key)) {
        let mark = s.b.attr_mark();
        (d.attrs)(s, l.get(attributes));
        let ctx = l.get(context);
        s.link(
            ctx.and_then(|c| c.get(trace_key)),
            ctx.and_then(|c| c.get(span_key)),
            mark,
        );
    }
    let name = o.get(name_key).and_then(Value::as_str).unwrap_or_default();
    let span = Span {
        trace_id,
        span_id,
        parent_id,
        start: start.unwrap_or(0),
        end: end.or(start).unwrap_or(0),
        name: s.b.intern(name),
        resource,
        scope: s.b.intern(head.scope),
        status_message: s.b.intern(message),
        attrs: span_attrs,
        kind: head.kind,
        status: head.status,
        flags: id_flags | parent_flags,
        ..Span::default()
    };
    s.finish(span, events, links);
}

/// The items of a JSON array; none when absent or not an array.
fn list(v: Option<&Value>) -> impl Iterator<Item = &Value> {
    v.and_then(Value::as_array).into_iter().flatten()
}

/// Where one span object's records go, with what its warnings need.
pub struct Sink<'a> {
    pub b: &'a mut Batch,
    pub resources: &'a mut ResourceCache,
    pub input: &'a str,
    pub line: u64,
}

impl Sink<'_> {
    pub fn warn(&mut self, kind: WarningKind, message: &str) {
        self.b.diag.warn(
            kind,
            self.input,
            Position::Line { line: self.line },
            message,
        );
    }

    /// A plain JSON attribute value: string, integer, float, bool; arrays and objects are kept
    /// as compact JSON; base64 text marks a Go byte slice (`bytes`).
    pub fn push_attr(&mut self, key: &str, v: &Value, bytes: bool) {
        let k = self.b.intern(key);
        let a = match v {
            Value::String(s) if bytes => Attr::bytes(k, self.b.intern(s)),
            Value::String(s) => Attr::str(k, self.b.intern(s)),
            Value::Bool(x) => Attr::bool(k, *x),
            Value::Number(n) => match n.as_i64() {
                Some(i) => Attr::int(k, i),
                None => Attr::double(k, n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::Null => Attr::empty(k),
            Value::Array(_) | Value::Object(_) => Attr::json(k, self.b.intern(&v.to_string())),
        };
        self.b.attrs.push(a);
    }

    /// A time field: `None` (and a warning) when present but unreadable; Go's zero time
    /// (`WithoutTimestamps`) is no time, silently.
    pub fn time(&mut self, v: Option<&Value>, field: &str) -> Option<u64> {
        let s = v?.as_str()?;
        if s.starts_with("0001-01-01T00:00:00") {
            return None;
        }
        let t = unix_nanos(s);
        if t.is_none() {
            self.warn(
                WarningKind::SkippedField,
                &format!("{field} is not an RFC 3339 time: ignored"),
            );
        }
        t
    }

    /// Trace and span id of a span (hex, `0x` allowed); `None` (and a warning) when unusable.
    pub fn ids(&mut self, trace: Option<&Value>, span: Option<&Value>) -> Option<(u128, u64, u8)> {
        let (Some(t), Some(s)) = (hex(trace), hex(span)) else {
            self.warn(
                WarningKind::SkippedSpan,
                "span without trace or span id: skipped",
            );
            return None;
        };
        match (ids::trace_id(t), ids::span_id(s)) {
            (Ok(t), Ok(s)) if t.value != 0 && s.value != 0 => {
                Some((t.value, s.value, t.flags | s.flags))
            }
            _ => {
                self.warn(
                    WarningKind::SkippedSpan,
                    "span with a zero or unreadable trace or span id: skipped",
                );
                None
            }
        }
    }

    /// A parent span id; absent, null or zero is no parent.
    pub fn parent(&mut self, v: Option<&Value>) -> (u64, u8) {
        let Some(s) = v.and_then(Value::as_str).map(strip_0x) else {
            return (0, 0);
        };
        match ids::parent_id(s) {
            Ok(d) => (d.value, d.flags),
            Err(_) => {
                self.warn(
                    WarningKind::SkippedField,
                    "unreadable parent span id: read as no parent",
                );
                (0, 0)
            }
        }
    }

    /// Ends attributes pushed since `mark` as a resource (identical ones are stored once).
    pub fn resource(&mut self, mark: u32) -> u32 {
        self.resources.resource_since(self.b, mark)
    }

    pub fn event(&mut self, time: u64, name: &str, mark: u32) {
        let name = self.b.intern(name);
        let attrs = self.b.attrs_since(mark);
        self.b.events.push(Event { time, name, attrs });
    }

    pub fn link(&mut self, trace: Option<&Value>, span: Option<&Value>, mark: u32) {
        let ids = hex(trace)
            .and_then(|t| ids::trace_id(t).ok())
            .zip(hex(span).and_then(|s| ids::span_id(s).ok()));
        match ids {
            Some((t, s)) if t.value != 0 && s.value != 0 => {
                let attrs = self.b.attrs_since(mark);
                self.b.links.push(Link {
                    trace_id: t.value,
                    span_id: s.value,
                    attrs,
                });
            }
            _ => {
                self.b.attrs.truncate(mark as usize);
                self.warn(
                    WarningKind::SkippedField,
                    "link without a usable trace or span id: skipped",
                );
            }
        }
    }

    /// Completes `span` with the events and links pushed since the marks and keeps it.
    pub fn finish(&mut self, mut span: Span, events: u32, links: u32) {
        span.events = range_since(events, self.b.events.len());
        span.links = range_since(links, self.b.links.len());
        self.b.spans.push(span);
    }
}

fn strip_0x(s: &str) -> &str {
    s.strip_prefix("0x").unwrap_or(s)
}

/// An id as text, `0x` dropped (Python writes ids so).
fn hex(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str).map(strip_0x)
}
