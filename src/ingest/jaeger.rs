//! Jaeger JSON reader: the UI download `{"data":[trace, …]}`, a bare trace object
//! `{traceID, spans, processes}`, a bare array of spans that embed their `process`, and the
//! UI's redux shape `{"data":{trace}, "id", "state"}`.
//!
//! Times are microseconds. The parent is the first CHILD_OF reference into the same trace, else
//! the older `parentSpanID` field, else the first FOLLOWS_FROM into the same trace (Jaeger's own
//! rule); every other reference, and every FOLLOWS_FROM, becomes a link. Each process becomes a
//! resource (`hostname` is renamed `host.name`, `pid` `process.pid`; without a host name the
//! `ip` tag stands in for it so that two hosts stay two processes).

use std::borrow::Cow;

use rustc_hash::FxHashMap;
use serde::Deserialize;
use serde::de::Deserializer;

use super::ids::{self, BadId, Decoded};
use super::scalar::{
    Entries, ListOrOne, MicrosReader, Place, ResourceCache, Scalar, json_error, micros_to_nanos,
    range_since,
};
use crate::model::ops;
use crate::model::span::flags;
use crate::model::{
    ArenaRange, Attr, Batch, Link, LoadError, Position, Span, SpanKind, StatusCode, Sym,
    WarningKind,
};

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase", bound(deserialize = "'de: 'a"))]
struct JTrace<'a> {
    #[serde(rename = "traceID")]
    trace_id: Scalar<'a>,
    spans: Option<Vec<JSpan<'a>>>,
    processes: Entries<'a, Option<JProcess<'a>>>,
    #[serde(deserialize_with = "data")]
    data: Option<Data<'a>>,
}

/// A trace's `processes` by key, and the resource each key used so far became.
#[derive(Default)]
struct Procs<'t> {
    table: FxHashMap<&'t str, Option<&'t JProcess<'t>>>,
    resources: FxHashMap<&'t str, u32>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase", bound(deserialize = "'de: 'a"))]
struct JSpan<'a> {
    #[serde(rename = "traceID")]
    trace_id: Scalar<'a>,
    #[serde(rename = "spanID")]
    span_id: Scalar<'a>,
    #[serde(rename = "parentSpanID")]
    parent_span_id: Scalar<'a>,
    operation_name: Scalar<'a>,
    references: Option<Vec<JRef<'a>>>,
    start_time: Scalar<'a>,
    duration: Scalar<'a>,
    tags: Option<Vec<JTag<'a>>>,
    logs: Option<Vec<JLog<'a>>>,
    #[serde(rename = "processID")]
    process_id: Scalar<'a>,
    process: Option<JProcess<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase", bound(deserialize = "'de: 'a"))]
struct JRef<'a> {
    ref_type: Scalar<'a>,
    #[serde(rename = "traceID")]
    trace_id: Scalar<'a>,
    #[serde(rename = "spanID")]
    span_id: Scalar<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default, bound(deserialize = "'de: 'a"))]
struct JTag<'a> {
    key: Scalar<'a>,
    #[serde(rename = "type")]
    ty: Scalar<'a>,
    value: Scalar<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default, bound(deserialize = "'de: 'a"))]
struct JLog<'a> {
    timestamp: Scalar<'a>,
    fields: Option<Vec<JTag<'a>>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase", bound(deserialize = "'de: 'a"))]
struct JProcess<'a> {
    service_name: Scalar<'a>,
    tags: Option<Vec<JTag<'a>>>,
}

/// The `data` member: a list of traces (UI download; `null` for an empty search result) or
/// one trace (redux state).
fn data<'de: 'a, 'a, D: Deserializer<'de>>(d: D) -> Result<Option<Data<'a>>, D::Error> {
    ListOrOne::read(d, "a trace or a list of traces", true).map(Some)
}

type Data<'a> = ListOrOne<JTrace<'a>, Box<JTrace<'a>>>;

/// Reads a Jaeger JSON file. `input` names the file in errors and warnings.
pub fn read(input: &str, bytes: &[u8]) -> Result<Batch, LoadError> {
    let top =
        ListOrOne::<JSpan, JTrace>::from_slice(bytes, "a Jaeger trace object or an array of spans")
            .map_err(|e| json_error(input, &e))?;
    let traces: Vec<JTrace> = match top {
        ListOrOne::List(spans) => vec![JTrace {
            spans: Some(spans),
            ..JTrace::default()
        }],
        ListOrOne::One(mut t) => {
            let data = t.data.take();
            if data.is_none() && t.spans.is_none() {
                return Err(LoadError::new(
                    input,
                    Position::Unknown,
                    "no \"data\" or \"spans\" member: not Jaeger JSON",
                ));
            }
            let mut out = match data {
                Some(ListOrOne::List(v)) => v,
                Some(ListOrOne::One(one)) => vec![*one],
                None => Vec::new(),
            };
            if t.spans.is_some() {
                out.push(t);
            }
            out
        }
    };
    let mut r = Reader {
        at: Place::new(input, bytes),
        b: Batch::new(),
        resources: ResourceCache::default(),
    };
    for t in &traces {
        let mut procs = Procs::default();
        for (k, p) in &t.processes.0 {
            ops::count(1);
            // The first entry of a repeated key is the one used.
            procs.table.entry(k.as_ref()).or_insert(p.as_ref());
        }
        for s in t.spans.as_deref().unwrap_or_default() {
            r.span(t, s, &mut procs);
        }
    }
    Ok(r.b)
}

/// A decoded id; `synthetic` when the text was not an id at all.
struct Id<T> {
    value: T,
    flags: u8,
    synthetic: bool,
}

/// Decodes an id field; `None` when it is absent or empty. Text that is neither hex nor
/// base64 (Jaeger UI fixtures use `"span-1"`) gets a stable synthetic id.
fn id<T>(
    s: &Scalar,
    decode: fn(&str) -> Result<Decoded<T>, BadId>,
    synth: fn(u64) -> T,
) -> Option<Id<T>> {
    let text = s.text().filter(|t| !t.is_empty())?;
    Some(match decode(&text) {
        Ok(d) => Id {
            value: d.value,
            flags: d.flags,
            synthetic: false,
        },
        Err(_) => Id {
            value: synth(ids::synthetic_id(&text)),
            flags: 0,
            synthetic: true,
        },
    })
}

fn trace_id(s: &Scalar) -> Option<Id<u128>> {
    id(s, ids::trace_id, u128::from)
}

fn span_id(s: &Scalar) -> Option<Id<u64>> {
    id(s, ids::span_id, |v| v)
}

fn parent_id(s: &Scalar) -> Option<Id<u64>> {
    id(s, ids::parent_id, |v| v)
}

/// A reference after decoding.
struct Ref {
    trace: u128,
    span: u64,
    flags: u8,
    follows: bool,
}

struct Reader<'i> {
    at: Place<'i>,
    b: Batch,
    resources: ResourceCache,
}

impl MicrosReader for Reader<'_> {
    fn parts(&mut self) -> (&Place<'_>, &mut Batch) {
        (&self.at, &mut self.b)
    }
}

impl Reader<'_> {
    fn span<'t>(&mut self, t: &'t JTrace, s: &'t JSpan<'t>, procs: &mut Procs<'t>) {
        self.at.near = [&s.span_id, &s.operation_name]
            .into_iter()
            .find_map(|v| v.text().filter(|t| !t.is_empty()).map(Cow::into_owned));
        let tid = if s.trace_id.is_null() {
            trace_id(&t.trace_id)
        } else {
            trace_id(&s.trace_id)
        };
        let (Some(tid), Some(sid)) = (tid, span_id(&s.span_id)) else {
            self.warn(WarningKind::SkippedSpan, "span without a traceID or spanID");
            return;
        };
        let Some(start) = s.start_time.as_u64().and_then(micros_to_nanos) else {
            self.warn(
                WarningKind::SkippedSpan,
                "span without a usable startTime (microseconds)",
            );
            return;
        };
        let mut synthetic = tid.synthetic || sid.synthetic;
        let mut span_flags = tid.flags | sid.flags;

        let end = self.end_after(start, &s.duration);

        let resource = self.resource(s, procs);

        let mut refs = Vec::new();
        for r in s.references.as_deref().unwrap_or_default() {
            let follows = match r.ref_type.text().as_deref() {
                None | Some("") => false,
                Some(k) if k.eq_ignore_ascii_case("CHILD_OF") => false,
                Some(k) if k.eq_ignore_ascii_case("FOLLOWS_FROM") => true,
                Some(_) => {
                    self.warn(WarningKind::SkippedField, "reference of an unknown refType");
                    continue;
                }
            };
            let rt = if r.trace_id.is_null() {
                Some(Id {
                    value: tid.value,
                    flags: 0,
                    synthetic: false,
                })
            } else {
                trace_id(&r.trace_id)
            };
            match (rt, parent_id(&r.span_id)) {
                (Some(rt), Some(rs)) if rs.value != 0 => {
                    synthetic |= rt.synthetic || rs.synthetic;
                    refs.push(Ref {
                        trace: rt.value,
                        span: rs.value,
                        flags: rs.flags,
                        follows,
                    });
                }
                _ => self.warn(
                    WarningKind::SkippedField,
                    "reference without a usable traceID or spanID",
                ),
            }
        }
        // Jaeger's rule: the first CHILD_OF into this trace, else the first FOLLOWS_FROM.
        let child_of = refs.iter().position(|r| !r.follows && r.trace == tid.value);
        let mut parent = child_of
            .and_then(|i| refs.get(i))
            .map(|r| (r.span, r.flags));
        if parent.is_none()
            && let Some(p) = parent_id(&s.parent_span_id)
            && p.value != 0
        {
            synthetic |= p.synthetic;
            parent = Some((p.value, p.flags));
        }
        if parent.is_none() {
            parent = refs
                .iter()
                .find(|r| r.follows && r.trace == tid.value)
                .map(|r| (r.span, r.flags));
        }
        let (parent_id, parent_flags) = parent.unwrap_or((0, 0));
        span_flags |= parent_flags;
        if synthetic {
            self.warn(
                WarningKind::SkippedField,
                "ids that are neither hex nor base64 were replaced by synthetic ids",
            );
        }
        if span_flags & flags::BASE64_IDS != 0 {
            self.warn(WarningKind::Base64Ids, "ids written as base64, accepted");
        }

        let mut kind = SpanKind::Unspecified;
        let mut status = StatusCode::Unset;
        let mut error = false;
        let mut status_message = Sym::EMPTY;
        let mut scope = Sym::EMPTY;
        let mark = self.b.attr_mark();
        for tag in s.tags.as_deref().unwrap_or_default() {
            let Some(key) = tag.key.text().filter(|k| !k.is_empty()) else {
                self.warn(WarningKind::SkippedField, "tag without a key");
                continue;
            };
            match key.as_ref() {
                "span.kind" => match tag.value.text().and_then(|v| SpanKind::from_name(&v)) {
                    Some(k) => kind = k,
                    None => self.warn(WarningKind::EnumValue, "unknown span.kind tag value"),
                },
                "otel.status_code" => {
                    match tag.value.text().and_then(|v| StatusCode::from_name(&v)) {
                        Some(c) => status = c,
                        None => self.warn(WarningKind::EnumValue, "unknown otel.status_code value"),
                    }
                }
                "error" => error |= tag.value.as_bool() == Some(true),
                "otel.status_description" => {
                    if let Some(m) = tag.value.text() {
                        status_message = self.b.intern(&m);
                    }
                }
                "otel.scope.name" | "otel.library.name" if scope == Sym::EMPTY => {
                    if let Some(m) = tag.value.text() {
                        scope = self.b.intern(&m);
                    }
                }
                _ => {}
            }
            self.push_tag(&key, tag);
        }
        let attrs = self.b.attrs_since(mark);

        let events = self.events(
            s.logs.as_deref().unwrap_or_default(),
            |log| &log.timestamp,
            "log without a usable timestamp (microseconds)",
            Self::log_event,
        );

        let link_start = self.b.links.len() as u32;
        for (i, r) in refs.iter().enumerate() {
            if Some(i) == child_of {
                continue;
            }
            let mark = self.b.attr_mark();
            let ty = if r.follows {
                "follows_from"
            } else {
                "child_of"
            };
            self.b.push_str_attr("opentracing.ref_type", ty);
            let attrs = self.b.attrs_since(mark);
            self.b.links.push(Link {
                trace_id: r.trace,
                span_id: r.span,
                attrs,
            });
        }
        let links = range_since(link_start, self.b.links.len());

        let name = match s.operation_name.text() {
            Some(n) => self.b.intern(&n),
            None => Sym::EMPTY,
        };
        self.b.spans.push(Span {
            trace_id: tid.value,
            span_id: sid.value,
            parent_id,
            start,
            end,
            name,
            resource,
            scope,
            status_message,
            attrs,
            events,
            links,
            kind,
            status: if error { StatusCode::Error } else { status },
            flags: span_flags,
            ..Span::default()
        });
    }

    /// A log's name (its `event` field, else "log") and its other fields as attributes.
    fn log_event(&mut self, log: &JLog) -> (Sym, ArenaRange) {
        let fields = log.fields.as_deref().unwrap_or_default();
        let event_field = fields
            .iter()
            .position(|f| f.key.text().as_deref() == Some("event") && f.value.text().is_some());
        let name = match event_field
            .and_then(|i| fields.get(i))
            .and_then(|f| f.value.text())
        {
            Some(n) => self.b.intern(&n),
            None => self.b.intern("log"),
        };
        let mark = self.b.attr_mark();
        for (i, f) in fields.iter().enumerate() {
            if Some(i) == event_field {
                continue;
            }
            match f.key.text().filter(|k| !k.is_empty()) {
                Some(key) => self.push_tag(&key, f),
                None => self.warn(WarningKind::SkippedField, "tag without a key"),
            }
        }
        (name, self.b.attrs_since(mark))
    }

    /// Pushes one tag as a span attribute; a value that does not fit its type is counted.
    fn push_tag(&mut self, key: &str, tag: &JTag) {
        match tag_attr(&mut self.b, key, &tag.ty, &tag.value) {
            Some(a) => self.b.attrs.push(a),
            None => self.warn(
                WarningKind::SkippedField,
                "tag value missing or not of its declared type",
            ),
        }
    }

    /// The span's resource: its `processID` in the trace's `processes`, else its embedded
    /// `process`, else `unknown_service` (counted).
    fn resource<'t>(&mut self, s: &'t JSpan<'t>, procs: &mut Procs<'t>) -> u32 {
        if let Scalar::Str(pid) = &s.process_id {
            ops::count(1);
            if let Some(&r) = procs.resources.get(pid.as_ref()) {
                return r;
            }
            if let Some(Some(p)) = procs.table.get(pid.as_ref()) {
                let r = self.process_resource(p);
                procs.resources.insert(pid.as_ref(), r);
                return r;
            }
        }
        if let Some(p) = &s.process {
            return self.process_resource(p);
        }
        self.warn(
            WarningKind::SkippedField,
            "span without a known process; service is unknown_service",
        );
        let mark = self.b.attr_mark();
        self.resources.resource_since(&mut self.b, mark)
    }

    fn process_resource(&mut self, p: &JProcess) -> u32 {
        let mark = self.b.attr_mark();
        if let Some(name) = p.service_name.text().filter(|n| !n.is_empty()) {
            self.b.push_str_attr("service.name", &name);
        }
        let tags = p.tags.as_deref().unwrap_or_default();
        let has = |k: &str| tags.iter().any(|t| t.key.text().as_deref() == Some(k));
        let has_host = has("hostname") || has("host.name");
        let has_pid = has("process.pid");
        for tag in tags {
            let Some(key) = tag.key.text().filter(|k| !k.is_empty()) else {
                self.warn(WarningKind::SkippedField, "tag without a key");
                continue;
            };
            let key = match key.as_ref() {
                "hostname" => "host.name",
                "pid" if !has_pid => "process.pid",
                k => k,
            };
            self.push_tag(key, tag);
        }
        if !has_host
            && let Some(ip) = tags
                .iter()
                .find(|t| t.key.text().as_deref() == Some("ip"))
                .and_then(|t| t.value.text())
        {
            self.b.push_str_attr("host.name", &ip);
        }
        self.resources.resource_since(&mut self.b, mark)
    }
}

/// A Jaeger tag as an attribute, by its declared `type` (value given as a number or as a
/// string), or by the JSON type of the value when `type` is absent or unknown.
fn tag_attr(b: &mut Batch, key: &str, ty: &Scalar, v: &Scalar) -> Option<Attr> {
    let k = b.intern(key);
    let ty = ty.text().map(|t| t.to_ascii_lowercase());
    match ty.as_deref() {
        Some("string") => v.text().map(|s| Attr::str(k, b.intern(&s))),
        Some("bool") => v.as_bool().map(|x| Attr::bool(k, x)),
        Some("int64") => v.as_i64().map(|x| Attr::int(k, x)),
        Some("float64") => v.as_f64().map(|x| Attr::double(k, x)),
        Some("binary") => match v {
            Scalar::Str(s) => Some(Attr::bytes(k, b.intern(s))),
            _ => None,
        },
        _ => match v {
            Scalar::Bool(x) => Some(Attr::bool(k, *x)),
            Scalar::Int(x) => Some(Attr::int(k, *x)),
            Scalar::UInt(x) => Some(match i64::try_from(*x) {
                Ok(i) => Attr::int(k, i),
                Err(_) => Attr::double(k, *x as f64),
            }),
            Scalar::Float(x) => Some(Attr::double(k, *x)),
            Scalar::Str(s) => Some(Attr::str(k, b.intern(s))),
            Scalar::Null | Scalar::Nested => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::scalar::read_back::{attr, one, resource_attr, service, warned};
    use crate::model::Value;

    fn load(json: &str) -> Batch {
        read("t.json", json.as_bytes()).unwrap()
    }

    const TRACE: &str = r#"{"data":[{"traceID":"0af7651916cd43dd8448eb211c80319c","spans":[
      {"traceID":"0af7651916cd43dd8448eb211c80319c","spanID":"00000000000000a1",
       "operationName":"GET /order","references":[],"startTime":1700000000000001,"duration":2500,
       "tags":[{"key":"span.kind","type":"string","value":"server"},
               {"key":"http.status_code","type":"int64","value":"500"},
               {"key":"ratio","type":"float64","value":0.25},
               {"key":"blob","type":"binary","value":"AAAwOQ=="},
               {"key":"error","type":"bool","value":"true"},
               {"key":"otel.status_description","type":"string","value":"boom"}],
       "logs":[{"timestamp":1700000000000100,"fields":[{"key":"event","type":"string","value":"retry"},
                                                       {"key":"attempt","type":"int64","value":2}]},
               {"timestamp":1700000000000200,"fields":[{"key":"msg","type":"string","value":"x"}]}],
       "processID":"p1"},
      {"traceID":"0af7651916cd43dd8448eb211c80319c","spanID":"00000000000000b2","operationName":"query",
       "references":[{"refType":"CHILD_OF","traceID":"00000000000000000000000000000fff","spanID":"0000000000000fff"},
                     {"refType":"CHILD_OF","traceID":"0af7651916cd43dd8448eb211c80319c","spanID":"00000000000000a1"}],
       "startTime":1700000000000010,"duration":5,
       "tags":[{"key":"span.kind","type":"string","value":"client"},
               {"key":"otel.status_code","type":"string","value":"OK"}],
       "processID":"p2"},
      {"traceID":"0af7651916cd43dd8448eb211c80319c","spanID":"00000000000000c3","operationName":"async",
       "references":[{"refType":"FOLLOWS_FROM","traceID":"0af7651916cd43dd8448eb211c80319c","spanID":"00000000000000b2"}],
       "startTime":1700000000000020,"duration":1,"tags":[{"key":"span.kind","type":"string","value":"consumer"}],
       "processID":"p3"},
      {"traceID":"0af7651916cd43dd8448eb211c80319c","spanID":"00000000000000d4","operationName":"old-style",
       "parentSpanID":"00000000000000c3","startTime":1700000000000030,"duration":1,"processID":"p3"}
     ],
     "processes":{
       "p1":{"serviceName":"order-svc","tags":[{"key":"hostname","type":"string","value":"h1"},
                                               {"key":"pid","type":"int64","value":42}]},
       "p2":{"serviceName":"order-svc","tags":[{"key":"hostname","type":"string","value":"h2"},
                                               {"key":"pid","type":"int64","value":42}]},
       "p3":{"serviceName":"worker","tags":[{"key":"ip","type":"string","value":"10.0.0.7"}]}}}]}"#;

    #[test]
    fn times_are_microseconds() {
        let b = load(TRACE);
        let s = one(&b, "GET /order");
        assert_eq!(s.start, 1_700_000_000_000_001_000);
        assert_eq!(s.end - s.start, 2_500_000, "2500 µs");
        assert_eq!(s.trace_id, 0x0af7651916cd43dd8448eb211c80319c);
        assert_eq!(s.span_id, 0xa1);
        assert_eq!(b.diag.total(), 0, "{:?}", b.diag.warnings);
    }

    #[test]
    fn references_pick_parent_and_links() {
        let b = load(TRACE);
        let root = one(&b, "GET /order");
        assert_eq!(root.parent_id, 0);
        assert_eq!(root.links.len, 0);
        // The first CHILD_OF points into another trace: the parent is the CHILD_OF into
        // this trace, the other one is kept as a link.
        let q = one(&b, "query");
        assert_eq!(q.parent_id, 0xa1);
        assert_eq!(q.links.len, 1);
        let l = b.links[q.links.start as usize];
        assert_eq!((l.trace_id, l.span_id), (0xfff, 0xfff));
        assert_eq!(
            attr(&b, &b.attrs, l.attrs, "opentracing.ref_type"),
            Some(Value::Str("child_of"))
        );
        // A lone FOLLOWS_FROM is the parent and a link.
        let a = one(&b, "async");
        assert_eq!(a.parent_id, 0xb2);
        assert_eq!(a.links.len, 1);
        let l = b.links[a.links.start as usize];
        assert_eq!(l.span_id, 0xb2);
        assert_eq!(
            attr(&b, &b.attrs, l.attrs, "opentracing.ref_type"),
            Some(Value::Str("follows_from"))
        );
        assert_eq!(one(&b, "old-style").parent_id, 0xc3);
    }

    /// One trace of n spans, each in its own process of the trace's `processes`.
    fn many_processes(n: u64) -> String {
        let procs: Vec<String> = (0..n)
            .map(|k| format!(r#""p{k}":{{"serviceName":"svc{k}"}}"#))
            .collect();
        let spans: Vec<String> = (0..n)
            .map(|k| {
                format!(
                    r#"{{"traceID":"1","spanID":"{:x}","operationName":"op","startTime":1,"duration":1,"processID":"p{k}"}}"#,
                    k + 1
                )
            })
            .collect();
        format!(
            r#"{{"data":[{{"traceID":"1","spans":[{}],"processes":{{{}}}}}]}}"#,
            spans.join(","),
            procs.join(",")
        )
    }

    #[test]
    fn many_processes_cost_n_log_n() {
        let steps = |n: u64| {
            let json = many_processes(n);
            let (b, steps) = crate::model::ops::counted(|| load(&json));
            assert_eq!(b.spans.len() as u64, n);
            assert_eq!(b.processes.len() as u64, n);
            let last = b.spans[n as usize - 1];
            assert_eq!(service(&b, &last), format!("svc{}", n - 1));
            steps
        };
        crate::model::ops::assert_steps_n_log_n("Jaeger spans each in their own process", steps);
    }

    #[test]
    fn processes_become_resources() {
        let b = load(TRACE);
        let root = one(&b, "GET /order");
        let q = one(&b, "query");
        let a = one(&b, "async");
        assert_eq!(service(&b, root), "order-svc");
        assert_eq!(service(&b, a), "worker");
        assert_eq!(resource_attr(&b, root, "host.name"), Some(Value::Str("h1")));
        assert_eq!(resource_attr(&b, root, "process.pid"), Some(Value::Int(42)));
        assert_eq!(resource_attr(&b, root, "hostname"), None);
        // Same service on two hosts: two processes.
        let p1 = b.resources[root.resource as usize].process;
        let p2 = b.resources[q.resource as usize].process;
        assert_ne!(p1, p2);
        assert_eq!(b.strings.resolve(b.processes[p1 as usize].key), "h1/42");
        // Without a hostname the ip stands in for it.
        let p3 = b.resources[a.resource as usize].process;
        assert_eq!(b.strings.resolve(b.processes[p3 as usize].key), "10.0.0.7/");
        // Two spans of p3 share one resource.
        assert_eq!(one(&b, "old-style").resource, a.resource);
        assert_eq!(b.resources.len(), 3);
    }

    #[test]
    fn kinds_status_and_typed_tags() {
        let b = load(TRACE);
        let root = one(&b, "GET /order");
        assert_eq!(root.kind, SpanKind::Server);
        assert_eq!(one(&b, "query").kind, SpanKind::Client);
        assert_eq!(one(&b, "async").kind, SpanKind::Consumer);
        assert_eq!(one(&b, "old-style").kind, SpanKind::Unspecified);
        assert_eq!(root.status, StatusCode::Error, "error=\"true\" tag");
        assert_eq!(b.strings.resolve(root.status_message), "boom");
        assert_eq!(one(&b, "query").status, StatusCode::Ok);
        let get = |k| attr(&b, &b.attrs, root.attrs, k);
        assert_eq!(get("http.status_code"), Some(Value::Int(500)));
        assert_eq!(get("ratio"), Some(Value::Double(0.25)));
        assert_eq!(get("blob"), Some(Value::Bytes("AAAwOQ==")));
        assert_eq!(get("error"), Some(Value::Bool(true)));
        assert_eq!(
            get("span.kind"),
            Some(Value::Str("server")),
            "kept as attribute"
        );
    }

    #[test]
    fn logs_become_events() {
        let b = load(TRACE);
        let root = one(&b, "GET /order");
        assert_eq!(root.events.len, 2);
        let e = &b.events[root.events.range()];
        assert_eq!(b.strings.resolve(e[0].name), "retry");
        assert_eq!(e[0].time, 1_700_000_000_000_100_000);
        assert_eq!(
            e[0].attrs.len, 1,
            "the event field is the name, not an attribute"
        );
        assert_eq!(
            attr(&b, &b.attrs, e[0].attrs, "attempt"),
            Some(Value::Int(2))
        );
        assert_eq!(b.strings.resolve(e[1].name), "log");
        assert_eq!(attr(&b, &b.attrs, e[1].attrs, "msg"), Some(Value::Str("x")));
    }

    #[test]
    fn non_hex_ids_are_synthesised_once_per_span() {
        let b = load(
            r#"{"traceID":"trace-123","spans":[
              {"traceID":"trace-123","spanID":"span-1","operationName":"a","startTime":1,"duration":1,"processID":"p"},
              {"spanID":"span-2","operationName":"b","startTime":2,"duration":1,"processID":"p",
               "references":[{"refType":"CHILD_OF","traceID":"trace-123","spanID":"span-1"}]}],
             "processes":{"p":{"serviceName":"s"}}}"#,
        );
        assert_eq!(b.spans.len(), 2);
        let (a, c) = (one(&b, "a"), one(&b, "b"));
        assert_eq!(a.span_id, ids::synthetic_id("span-1"));
        assert_eq!(a.trace_id, ids::synthetic_id("trace-123") as u128);
        assert_eq!(
            c.trace_id, a.trace_id,
            "the trace's traceID fills a missing one"
        );
        assert_eq!(c.parent_id, a.span_id);
        assert_eq!(b.diag.warnings.len(), 1);
        assert_eq!(b.diag.warnings[0].kind, WarningKind::SkippedField);
        assert_eq!(b.diag.warnings[0].count, 2);
        assert!(b.diag.warnings[0].message.contains("synthetic"));
    }

    #[test]
    fn bare_span_array_with_embedded_process() {
        let b = load(
            r#"[{"traceID":"2be38093ead7a083","spanID":"7606ddfe69932d34","operationName":"x",
                 "startTime":1605223981761425,"duration":267037,
                 "process":{"serviceName":"svc-a","tags":[]}},
                {"traceID":"2be38093ead7a083","spanID":"7bd66f09ba90ea3d","operationName":"y",
                 "startTime":1605223981965074,"duration":32782,
                 "process":{"serviceName":"svc-a","tags":[]}}]"#,
        );
        assert_eq!(b.spans.len(), 2);
        assert_eq!(b.spans[0].trace_id, 0x2be38093ead7a083, "64-bit trace id");
        assert_eq!(service(&b, &b.spans[1]), "svc-a");
        assert_eq!(b.spans[0].resource, b.spans[1].resource);
    }

    #[test]
    fn redux_shape_with_one_trace_in_data() {
        let b = load(
            r#"{"data":{"traceID":"1","spans":[{"traceID":"1","spanID":"2","operationName":"x",
                 "startTime":5,"duration":1,"processID":"p1","process":{"serviceName":"emb"}}],
                 "processes":{"p1":{"serviceName":"mapped"}}},"id":"1","state":"FETCH_DONE"}"#,
        );
        assert_eq!(b.spans.len(), 1);
        assert_eq!(service(&b, &b.spans[0]), "mapped", "processes map first");
    }

    #[test]
    fn bad_values_are_counted_not_fatal() {
        let b = load(
            r#"{"traceID":"1","spans":[
              {"spanID":"","operationName":"no-id","startTime":5},
              {"spanID":"3","operationName":"no-start","duration":1},
              {"spanID":"4","operationName":"ok","startTime":5,"duration":"soon",
               "tags":[{"key":"n","type":"int64","value":"many"},{"type":"string","value":"v"},
                       {"key":"span.kind","type":"string","value":"sideways"}],
               "processID":"missing"}]}"#,
        );
        assert_eq!(b.spans.len(), 1);
        let s = &b.spans[0];
        assert_eq!((s.start, s.end), (5000, 5000), "bad duration read as 0");
        assert_eq!(s.kind, SpanKind::Unspecified);
        assert_eq!(service(&b, s), "unknown_service");
        assert_eq!(warned(&b, WarningKind::SkippedSpan), 2);
        // Warnings point at the span: the one without ids by its name, on line 2.
        let w = &b.diag.warnings[0];
        assert_eq!(w.kind, WarningKind::SkippedSpan);
        assert!(
            matches!(w.position, Position::LineCol { line: 2, .. }),
            "{w}"
        );
        // duration, int64 tag, keyless tag, unknown process.
        assert_eq!(warned(&b, WarningKind::SkippedField), 4);
        assert_eq!(warned(&b, WarningKind::EnumValue), 1);
    }

    #[test]
    fn syntax_error_has_line_and_column() {
        let Err(e) = read("bad.json", b"{\"data\": [\n  {\"traceID\": }\n]}") else {
            panic!("syntax error accepted");
        };
        assert_eq!(e.input, "bad.json");
        assert_eq!(
            e.position,
            Position::LineCol {
                line: 2,
                column: 15
            }
        );
        let Err(e) = read("x.json", b"42") else {
            panic!("a number accepted as a trace");
        };
        assert!(e.message.contains("Jaeger trace object"), "{}", e.message);
        let Err(e) = read("o.json", br#"{"resourceSpans":[]}"#) else {
            panic!("OTLP/JSON accepted as Jaeger");
        };
        assert!(e.message.contains("not Jaeger JSON"), "{}", e.message);
        assert_eq!(
            load(r#"{"data":null,"total":0}"#).spans.len(),
            0,
            "an empty search result"
        );
    }
}
