//! Grafana Tempo's HTTP API: TraceQL search (`/api/search`) and traces by id
//! (`/api/v2/traces/<id>`, falling back to `/api/traces/<id>` on servers before 2.6), asked
//! for as protobuf (smaller, and no base64 ids to convert).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use prost::Message;
use serde::Deserialize;

use super::error::BackendError;
use super::window::{Page, Window};
use super::{Backend, Fetched, Hit, Query, enc, hex_id};

/// Protobuf first; JSON when a proxy or an old server will not give it.
const ACCEPT: &str = "application/protobuf, application/json;q=0.5";

/// The TraceQL of a query: `--query` as given, else one built from `--service` and
/// `--operation`, else every trace (`{}`).
pub fn traceql(q: &Query) -> String {
    if let Some(t) = q.traceql.as_deref().filter(|t| !t.trim().is_empty()) {
        return t.to_string();
    }
    let mut conds = Vec::new();
    if let Some(s) = &q.service {
        conds.push(format!("resource.service.name = {}", quote(s)));
    }
    if let Some(o) = &q.operation {
        conds.push(format!("name = {}", quote(o)));
    }
    for (k, v) in &q.attributes {
        conds.push(format!("span.{k} = {}", quote(v)));
    }
    if let Some(d) = q.min_duration {
        conds.push(format!("duration >= {}ns", d.as_nanos()));
    }
    if let Some(d) = q.max_duration {
        conds.push(format!("duration <= {}ns", d.as_nanos()));
    }
    format!("{{{}}}", conds.join(" && "))
}

/// A TraceQL string literal.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[derive(Deserialize)]
struct SearchAnswer {
    #[serde(default)]
    traces: Vec<TraceMeta>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TraceMeta {
    #[serde(rename = "traceID")]
    trace_id: String,
    #[serde(default)]
    root_service_name: String,
    #[serde(default)]
    root_trace_name: String,
    /// A 64-bit integer: a string in the protobuf JSON mapping.
    #[serde(default)]
    start_time_unix_nano: Option<serde_json::Value>,
    #[serde(default)]
    duration_ms: Option<u64>,
    /// Spans per service of the trace (Tempo 2.3+), whose sum is the trace's span count.
    #[serde(default)]
    service_stats: std::collections::BTreeMap<String, ServiceStats>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ServiceStats {
    #[serde(default)]
    span_count: u64,
}

/// A JSON number or a string holding one.
fn u64_of(v: &Option<serde_json::Value>) -> u64 {
    match v {
        Some(serde_json::Value::String(s)) => s.parse().unwrap_or(0),
        Some(v) => v.as_u64().unwrap_or(0),
        None => 0,
    }
}

/// One search of `q`'s window (`Query::page`), listing at most `q.limit` traces. Tempo drops
/// leading zeros from the hex ids it lists. Not cancellable itself: see `pull::cancellable`.
pub fn search(b: &Backend, q: &Query) -> Result<Page<Vec<Hit>>, BackendError> {
    let w = q.search_window(SystemTime::now());
    // `end` is exclusive in Tempo's search: one second more covers the window's last second.
    let url = format!(
        "{}/api/search?q={}&start={}&end={}&limit={}&spss=1",
        b.base,
        enc(&traceql(q)),
        w.start,
        w.end + 1,
        q.limit
    );
    let a = b.http.get(&url, "application/json", None)?;
    if a.status != 200 {
        return Err(BackendError::status(&url, a.status, &a.body, "Tempo"));
    }
    let answer: SearchAnswer =
        serde_json::from_slice(&a.body).map_err(|e| BackendError::bad_answer(&url, e))?;
    let hits: Vec<Hit> = answer
        .traces
        .iter()
        .map(|t| {
            let trace_id = hex_id(&t.trace_id).ok_or_else(|| {
                BackendError::bad_answer(&url, format!("trace id {:?} is not hex", t.trace_id))
            })?;
            Ok(Hit {
                trace_id,
                root_service: t.root_service_name.clone(),
                root_name: t.root_trace_name.clone(),
                start_unix_nano: u64_of(&t.start_time_unix_nano),
                duration_ms: t.duration_ms.unwrap_or(0),
                // Older servers send no figures: the count is unknown, not zero.
                spans: (!t.service_stats.is_empty())
                    .then(|| t.service_stats.values().map(|s| s.span_count).sum()),
            })
        })
        .collect::<Result<_, BackendError>>()?;
    Ok(Page::new(hits.iter().map(|h| h.trace_id).collect(), hits))
}

/// `TraceByIDResponse` (Tempo's `tempopb`): only the fields read here.
#[derive(Message)]
struct TraceByIdResponse {
    /// A `Trace`: field 1 is repeated `ResourceSpans`, the bytes of an OTLP `TracesData`.
    #[prost(bytes = "vec", tag = "1")]
    trace: Vec<u8>,
    /// COMPLETE = 0, PARTIAL = 1.
    #[prost(int32, tag = "3")]
    status: i32,
    #[prost(string, tag = "4")]
    message: String,
}

#[derive(Deserialize)]
struct TraceByIdJson<'a> {
    #[serde(borrow)]
    trace: Option<&'a serde_json::value::RawValue>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// Fetches one trace: v2, else (a 404 from a server without v2) v1, remembered for the
/// next ones. `Ok(None)` when the trace is not found.
pub fn fetch(
    b: &Backend,
    id: u128,
    w: Option<Window>,
    cancel: Option<&AtomicBool>,
) -> Result<Option<Fetched>, BackendError> {
    let range = w
        .map(|w| format!("?start={}&end={}", w.start, w.end + 1))
        .unwrap_or_default();
    if !b.tempo_v1_only.load(Ordering::Relaxed) {
        let url = format!("{}/api/v2/traces/{id:032x}{range}", b.base);
        if let Some(a) = b.get_trace(&url, ACCEPT, cancel)? {
            return v2(&url, &a).map(Some);
        }
    }
    let url = format!("{}/api/traces/{id:032x}{range}", b.base);
    let Some(a) = b.get_trace(&url, ACCEPT, cancel)? else {
        return Ok(None);
    };
    b.tempo_v1_only.store(true, Ordering::Relaxed);
    Fetched::read(&url, &a.body, None).map(Some)
}

fn v2(url: &str, a: &super::http::Answer) -> Result<Fetched, BackendError> {
    if a.is_protobuf() {
        let r = TraceByIdResponse::decode(a.body.as_slice())
            .map_err(|e| BackendError::bad_answer(url, e))?;
        let partial = (r.status == 1).then_some(r.message);
        return Fetched::read(url, &r.trace, partial);
    }
    let r: TraceByIdJson =
        serde_json::from_slice(&a.body).map_err(|e| BackendError::bad_answer(url, e))?;
    let partial = (r.status.as_deref() == Some("PARTIAL")).then(|| r.message.unwrap_or_default());
    let trace = r.trace.map(|t| t.get().as_bytes()).unwrap_or(b"");
    Fetched::read(url, trace, partial)
}
