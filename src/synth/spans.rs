//! The sample scenarios' span records, a small builder for writing them as code, and their
//! OTLP/JSON form (one request, or Collector-style batches).

use super::json::Json;
use super::rng::Rng;
use crate::model::SpanKind;
use crate::model::ids::{span_hex, trace_hex};

/// Where a Go service records the goroutine a span ran on (spec §3 fallbacks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoroutineKey {
    /// `goroutine.id` as an int.
    GoroutineId,
    /// `go.goroutine.id` as an int.
    GoGoroutineId,
    /// `thread.id` as a string.
    ThreadIdText,
}

/// One process: a resource in OTLP terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proc {
    pub service: &'static str,
    pub instance: &'static str,
    pub host: &'static str,
    pub pid: i64,
    pub goroutine_key: GoroutineKey,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    Str(String),
    Int(i64),
    Bool(bool),
}

impl AttrValue {
    fn json(&self) -> Json {
        match self {
            AttrValue::Str(s) => Json::Obj(vec![("stringValue", Json::str(s.as_str()))]),
            // OTLP/JSON writes int64 as a decimal string.
            AttrValue::Int(n) => Json::Obj(vec![("intValue", Json::str(n.to_string()))]),
            AttrValue::Bool(b) => Json::Obj(vec![("boolValue", Json::Num(b.to_string()))]),
        }
    }
}

fn attrs_json(attrs: &[(&'static str, AttrValue)]) -> Json {
    Json::Arr(
        attrs
            .iter()
            .map(|(k, v)| Json::Obj(vec![("key", Json::str(*k)), ("value", v.json())]))
            .collect(),
    )
}

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub name: &'static str,
    pub time: u64,
    pub attrs: Vec<(&'static str, AttrValue)>,
}

/// One span as the samples write it. `id` 0 is written as `0000000000000000` (the invalid-id
/// scenario); `parent` 0 means root and is left out.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanRec {
    pub proc: Proc,
    pub trace: u128,
    pub id: u64,
    pub parent: u64,
    pub name: String,
    pub kind: SpanKind,
    pub start: u64,
    pub end: u64,
    pub attrs: Vec<(&'static str, AttrValue)>,
    pub events: Vec<Event>,
    pub error: Option<String>,
    /// Span links, as (trace, span) ids.
    pub links: Vec<(u128, u64)>,
}

impl SpanRec {
    /// Links the span to span `span` of trace `trace`.
    pub fn link(&mut self, trace: u128, span: u64) -> &mut Self {
        self.links.push((trace, span));
        self
    }

    pub fn s(&mut self, key: &'static str, value: impl Into<String>) -> &mut Self {
        self.attrs.push((key, AttrValue::Str(value.into())));
        self
    }

    pub fn i(&mut self, key: &'static str, value: i64) -> &mut Self {
        self.attrs.push((key, AttrValue::Int(value)));
        self
    }

    pub fn b(&mut self, key: &'static str, value: bool) -> &mut Self {
        self.attrs.push((key, AttrValue::Bool(value)));
        self
    }

    /// Records the goroutine under the key this process's instrumentation uses.
    pub fn g(&mut self, goroutine: i64) -> &mut Self {
        match self.proc.goroutine_key {
            GoroutineKey::GoroutineId => self.i("goroutine.id", goroutine),
            GoroutineKey::GoGoroutineId => self.i("go.goroutine.id", goroutine),
            GoroutineKey::ThreadIdText => self.s("thread.id", goroutine.to_string()),
        }
    }

    /// Marks the span failed with `message` (status ERROR).
    pub fn fail(&mut self, message: &str) -> &mut Self {
        self.error = Some(message.to_string());
        self
    }

    /// Adds an `exception` event at the span's end.
    pub fn exception(&mut self, ty: &str, message: &str) -> &mut Self {
        self.events.push(Event {
            name: "exception",
            time: self.end,
            attrs: vec![
                ("exception.type", AttrValue::Str(ty.to_string())),
                ("exception.message", AttrValue::Str(message.to_string())),
            ],
        });
        self
    }

    fn has(&self, key: &str) -> bool {
        self.attrs.iter().any(|(k, _)| *k == key)
    }

    /// The instrumentation scope a Go service would report this span under.
    fn scope(&self) -> (String, &'static str) {
        let lib = if self.has("rpc.system") {
            Some((
                "go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc",
                "0.61.0",
            ))
        } else if self.has("db.system") {
            Some(("github.com/XSAM/otelsql", "0.38.0"))
        } else if self.has("messaging.system") {
            Some(("github.com/dnwe/otelsarama", "0.3.0"))
        } else if self.has("http.request.method") {
            Some((
                "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp",
                "0.61.0",
            ))
        } else {
            None
        };
        match lib {
            Some((name, version)) => (name.to_string(), version),
            None => (
                format!("github.com/acme/shop/{}", app_package(self.proc)),
                "1.4.2",
            ),
        }
    }

    fn json(&self) -> Json {
        let mut f = vec![
            ("traceId", Json::str(trace_hex(self.trace))),
            ("spanId", Json::str(span_hex(self.id))),
        ];
        if self.parent != 0 {
            f.push(("parentSpanId", Json::str(span_hex(self.parent))));
        }
        f.push(("name", Json::str(self.name.as_str())));
        f.push(("kind", Json::int(self.kind as i64)));
        f.push(("startTimeUnixNano", Json::str(self.start.to_string())));
        f.push(("endTimeUnixNano", Json::str(self.end.to_string())));
        f.push(("attributes", attrs_json(&self.attrs)));
        if !self.events.is_empty() {
            let events = self.events.iter().map(|e| {
                Json::Obj(vec![
                    ("timeUnixNano", Json::str(e.time.to_string())),
                    ("name", Json::str(e.name)),
                    ("attributes", attrs_json(&e.attrs)),
                ])
            });
            f.push(("events", Json::Arr(events.collect())));
        }
        if !self.links.is_empty() {
            let links = self.links.iter().map(|&(trace, span)| {
                Json::Obj(vec![
                    ("traceId", Json::str(trace_hex(trace))),
                    ("spanId", Json::str(span_hex(span))),
                ])
            });
            f.push(("links", Json::Arr(links.collect())));
        }
        if let Some(message) = &self.error {
            f.push((
                "status",
                Json::Obj(vec![
                    ("message", Json::str(message.as_str())),
                    ("code", Json::int(2)),
                ]),
            ));
        }
        Json::Obj(f)
    }
}

/// The Go package name used for a service's own (non-library) spans.
fn app_package(p: Proc) -> &'static str {
    if p.service.is_ascii() {
        p.service
    } else {
        "notify"
    }
}

fn resource_json(p: Proc) -> Json {
    let attrs = [
        ("service.name", AttrValue::Str(p.service.to_string())),
        ("service.version", AttrValue::Str("1.4.2".to_string())),
        (
            "service.instance.id",
            AttrValue::Str(p.instance.to_string()),
        ),
        ("host.name", AttrValue::Str(p.host.to_string())),
        ("process.pid", AttrValue::Int(p.pid)),
        ("process.runtime.name", AttrValue::Str("go".to_string())),
        (
            "process.runtime.version",
            AttrValue::Str("go1.24.3".to_string()),
        ),
        ("telemetry.sdk.language", AttrValue::Str("go".to_string())),
        (
            "telemetry.sdk.name",
            AttrValue::Str("opentelemetry".to_string()),
        ),
        (
            "telemetry.sdk.version",
            AttrValue::Str("1.36.0".to_string()),
        ),
    ];
    Json::Obj(vec![("attributes", attrs_json(&attrs))])
}

/// The list kept for `proc` in `groups`, appended empty on its first appearance (so groups
/// keep the order processes first appear in).
fn group_of<T>(groups: &mut Vec<(Proc, Vec<T>)>, proc: Proc) -> &mut Vec<T> {
    let k = match groups.iter().position(|(p, _)| *p == proc) {
        Some(k) => k,
        None => {
            groups.push((proc, Vec::new()));
            groups.len() - 1
        }
    };
    &mut groups[k].1
}

/// A scope's name, version and spans.
type ScopeGroup = (String, &'static str, Vec<Json>);

/// One `ExportTraceServiceRequest` holding `spans`: a `resourceSpans` entry per process and a
/// `scopeSpans` entry per scope, both in order of first appearance; spans keep their order.
pub fn request_json(spans: &[&SpanRec]) -> Json {
    let mut procs: Vec<(Proc, Vec<ScopeGroup>)> = Vec::new();
    for span in spans {
        let scopes = group_of(&mut procs, span.proc);
        let (scope, version) = span.scope();
        match scopes.iter_mut().find(|(s, _, _)| *s == scope) {
            Some((_, _, list)) => list.push(span.json()),
            None => scopes.push((scope, version, vec![span.json()])),
        }
    }
    let resource_spans = procs.into_iter().map(|(p, scopes)| {
        let scope_spans = scopes.into_iter().map(|(name, version, list)| {
            Json::Obj(vec![
                (
                    "scope",
                    Json::Obj(vec![
                        ("name", Json::Str(name)),
                        ("version", Json::str(version)),
                    ]),
                ),
                ("spans", Json::Arr(list)),
            ])
        });
        Json::Obj(vec![
            ("resource", resource_json(p)),
            ("scopeSpans", Json::Arr(scope_spans.collect())),
            (
                "schemaUrl",
                Json::str("https://opentelemetry.io/schemas/1.26.0"),
            ),
        ])
    });
    Json::Obj(vec![("resourceSpans", Json::Arr(resource_spans.collect()))])
}

/// The spans as OTLP/JSON lines the way a Collector `file` exporter fed by batching SDKs
/// writes them: spans leave each process in the order they end, a process sends a batch once
/// it holds `batch` spans (and whatever is left at the end), and every batch is one line.
pub fn jsonl(spans: &[SpanRec], batch: usize) -> String {
    let mut order: Vec<&SpanRec> = spans.iter().collect();
    order.sort_by_key(|s| s.end);
    let mut pending: Vec<(Proc, Vec<&SpanRec>)> = Vec::new();
    let mut out = String::new();
    let flush = |list: &[&SpanRec], out: &mut String| {
        out.push_str(&request_json(list).compact());
        out.push('\n');
    };
    for span in order {
        let list = group_of(&mut pending, span.proc);
        list.push(span);
        if list.len() >= batch.max(1) {
            flush(list, &mut out);
            list.clear();
        }
    }
    for (_, list) in &pending {
        if !list.is_empty() {
            flush(list, &mut out);
        }
    }
    out
}

/// Builds the spans of one trace. Times are given in microseconds after the trace's `base`.
pub struct TraceBuilder {
    pub trace: u128,
    base: u64,
    rng: Rng,
    pub spans: Vec<SpanRec>,
}

impl TraceBuilder {
    /// Span ids come from a PRNG seeded with the trace id, so they are stable.
    pub fn new(trace: u128, base_ns: u64) -> Self {
        TraceBuilder {
            trace,
            base: base_ns,
            rng: Rng::new(trace as u64 ^ (trace >> 64) as u64),
            spans: Vec::new(),
        }
    }

    /// Adds a span under `parent` (0 for a root) running from `start_us` to `end_us`.
    pub fn span(
        &mut self,
        parent: u64,
        proc: Proc,
        kind: SpanKind,
        name: &str,
        (start_us, end_us): (u64, u64),
    ) -> &mut SpanRec {
        let id = self.rng.span_id();
        let k = self.spans.len();
        self.spans.push(SpanRec {
            proc,
            trace: self.trace,
            id,
            parent,
            name: name.to_string(),
            kind,
            start: self.base + start_us * 1000,
            end: self.base + end_us * 1000,
            attrs: Vec::new(),
            events: Vec::new(),
            error: None,
            links: Vec::new(),
        });
        &mut self.spans[k]
    }

    /// The span with id `id` (the last one when ids repeat).
    pub fn get(&self, id: u64) -> Option<&SpanRec> {
        self.spans.iter().rev().find(|s| s.id == id)
    }
}
