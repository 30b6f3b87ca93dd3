//! A search that lists what matched without fetching it, for the app's search panel: one
//! request, one row per trace (root service, name, start, duration, spans when the backend
//! says). `pull` with the ids of the rows chosen then fetches them.

use std::sync::atomic::AtomicBool;

use serde::Deserialize;

use super::error::BackendError;
use super::window::Window;
use super::{Backend, Fetched, Kind, Query, enc, hex_id, jaeger, tempo};
use crate::model::Store;

/// Jaeger's search filters beyond service and operation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JaegerFilters {
    /// Span or resource attributes that must all match (`query.attributes`).
    pub attributes: Vec<(String, String)>,
    /// Go durations (`100ms`, `1.5s`): `query.duration_min` / `query.duration_max`.
    pub duration_min: Option<String>,
    pub duration_max: Option<String>,
}

/// One trace a search found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub trace_id: u128,
    pub root_service: String,
    pub root_name: String,
    /// Unix nanoseconds.
    pub start_ns: u64,
    pub duration_ns: u64,
    /// Spans in the trace (Jaeger's answer holds them all); Tempo's search does not say.
    pub spans: Option<u64>,
}

/// One search of `q.window` (default: the last hour) for at most `q.limit` traces, newest
/// first. Jaeger needs `q.service` (its API requires one).
pub fn search(
    b: &Backend,
    q: &Query,
    filters: &JaegerFilters,
    cancel: Option<&AtomicBool>,
) -> Result<Vec<Hit>, BackendError> {
    let w = q.search_window(std::time::SystemTime::now());
    let mut hits = match b.kind {
        Kind::Tempo => tempo_search(b, &tempo::traceql(q), w, q.limit, cancel)?,
        Kind::Jaeger => jaeger_search(b, q, filters, w, cancel)?,
    };
    hits.sort_by_key(|h| std::cmp::Reverse(h.start_ns));
    hits.truncate(q.limit as usize);
    Ok(hits)
}

#[derive(Deserialize)]
struct TempoAnswer {
    #[serde(default)]
    traces: Vec<TempoTrace>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TempoTrace {
    #[serde(rename = "traceID")]
    trace_id: String,
    #[serde(default)]
    root_service_name: String,
    #[serde(default)]
    root_trace_name: String,
    /// A string of digits in Tempo's JSON.
    #[serde(default)]
    start_time_unix_nano: Option<serde_json::Value>,
    #[serde(default)]
    duration_ms: Option<u64>,
}

fn tempo_search(
    b: &Backend,
    traceql: &str,
    w: Window,
    limit: u32,
    cancel: Option<&AtomicBool>,
) -> Result<Vec<Hit>, BackendError> {
    // `end` is exclusive in Tempo's search, as in `tempo::search`.
    let url = format!(
        "{}/api/search?q={}&start={}&end={}&limit={limit}&spss=1",
        b.base,
        enc(traceql),
        w.start,
        w.end + 1
    );
    let a = b.http.get(&url, "application/json", cancel)?;
    if a.status != 200 {
        return Err(BackendError::status(&url, a.status, &a.body, "Tempo"));
    }
    let answer: TempoAnswer =
        serde_json::from_slice(&a.body).map_err(|e| BackendError::bad_answer(&url, e))?;
    answer
        .traces
        .into_iter()
        .map(|t| {
            let trace_id = hex_id(&t.trace_id).ok_or_else(|| {
                BackendError::bad_answer(&url, format!("trace id {:?} is not hex", t.trace_id))
            })?;
            let start_ns = match &t.start_time_unix_nano {
                Some(serde_json::Value::String(s)) => s.parse().unwrap_or(0),
                Some(serde_json::Value::Number(n)) => n.as_u64().unwrap_or(0),
                _ => 0,
            };
            Ok(Hit {
                trace_id,
                root_service: t.root_service_name,
                root_name: t.root_trace_name,
                start_ns,
                duration_ns: t.duration_ms.unwrap_or(0).saturating_mul(1_000_000),
                spans: None,
            })
        })
        .collect()
}

#[derive(Deserialize)]
struct Operations {
    #[serde(default)]
    operations: Vec<Operation>,
}

#[derive(Deserialize)]
struct Operation {
    name: String,
}

/// Jaeger: the operations (span names) of `service`, sorted (Tempo: none).
pub fn jaeger_operations(
    b: &Backend,
    service: &str,
    cancel: Option<&AtomicBool>,
) -> Result<Vec<String>, BackendError> {
    let url = format!("{}/api/v3/operations?service={}", b.base, enc(service));
    let a = b.http.get(&url, "application/json", cancel)?;
    if a.status != 200 {
        return Err(BackendError::status(&url, a.status, &a.body, "Jaeger"));
    }
    let o: Operations =
        serde_json::from_slice(&a.body).map_err(|e| BackendError::bad_answer(&url, e))?;
    let mut names: Vec<String> = o.operations.into_iter().map(|o| o.name).collect();
    names.sort_unstable();
    names.dedup();
    Ok(names)
}

/// Jaeger answers a search with every matching trace's spans: the rows are read from them.
fn jaeger_search(
    b: &Backend,
    q: &Query,
    filters: &JaegerFilters,
    w: Window,
    cancel: Option<&AtomicBool>,
) -> Result<Vec<Hit>, BackendError> {
    let Some(service) = q.service.as_deref().filter(|s| !s.is_empty()) else {
        return Err(BackendError::new(
            &b.base,
            super::ErrorKind::Config,
            "Jaeger searches one service at a time: choose a service",
        ));
    };
    let mut extra = String::new();
    if !filters.attributes.is_empty() {
        let map: serde_json::Map<String, serde_json::Value> = filters
            .attributes
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        extra.push_str("&query.attributes=");
        extra.push_str(&enc(&serde_json::Value::Object(map).to_string()));
    }
    for (name, v) in [
        ("duration_min", &filters.duration_min),
        ("duration_max", &filters.duration_max),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.trim().is_empty()) {
            extra.push_str(&format!("&query.{name}={}", enc(v.trim())));
        }
    }
    let page = jaeger::search_with(b, q, service, w, q.limit, &extra, cancel)?;
    Ok(page.payload.map(hits_of).unwrap_or_default())
}

/// One row per trace of an answer: the root span (the earliest span without a parent, else
/// the earliest span) names it.
fn hits_of(f: Fetched) -> Vec<Hit> {
    let mut store = Store::new();
    let input = store.add_input(&f.url, "jaeger");
    for b in f.batches {
        store.add_batch(b, input);
    }
    store.build_index();
    store
        .index
        .traces
        .iter()
        .map(|t| {
            let range = t.range();
            let root = range
                .clone()
                .map(|i| i as u32)
                .find(|&i| store.span(i).parent_id == 0)
                .unwrap_or(range.start as u32);
            Hit {
                trace_id: t.id,
                root_service: store.service_name(root).to_string(),
                root_name: store.str(store.span(root).name).to_string(),
                start_ns: t.start,
                duration_ns: t.end.saturating_sub(t.start),
                spans: Some(u64::from(t.len)),
            }
        })
        .collect()
}
