//! A Tempo or Jaeger query API on loopback (axum), answering in each API's real shapes from
//! trace files: Tempo with base64 ids and enum names in JSON, protobuf when asked, v2 then v1
//! trace routes, 401 without the tenant header when a tenant is set; Jaeger with hex ids,
//! numeric enums, `{"result": …}` and a 404 "No traces found" for an empty search.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use prost::Message;
use serde_json::{Value, json};

/// One trace of the served files: its resource spans (OTLP JSON, as in the file) and what a
/// search looks at.
#[derive(Clone)]
pub struct Trace {
    pub id: String,
    pub resource_spans: Vec<Value>,
    pub start_ns: u64,
    pub end_ns: u64,
    pub services: BTreeSet<String>,
    pub root_service: String,
    pub root_name: String,
    /// Spans and error spans per service (Tempo's search `serviceStats`).
    pub service_stats: BTreeMap<String, (u64, u64)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Api {
    Tempo,
    /// Tempo before 2.6: no `/api/v2/traces`.
    TempoV1,
    Jaeger,
}

/// What the server does besides answering.
#[derive(Default)]
pub struct Behaviour {
    /// Tempo: the `X-Scope-OrgID` every request must carry.
    pub tenant: Option<String>,
    /// The `Authorization` value every request must carry (as a proxy in front checks it).
    pub authorization: Option<String>,
    /// Statuses answered (in order) before the real answers, one per request.
    pub fail_first: Mutex<VecDeque<u16>>,
    /// Delay before answering a trace by id.
    pub fetch_delay: Option<Duration>,
    /// Delay before answering a search.
    pub search_delay: Option<Duration>,
    /// Tempo: trace ids answered with status PARTIAL.
    pub partial: BTreeSet<String>,
    /// Tempo: answer JSON whatever the `Accept` header asks (as a proxy might).
    pub json_only: bool,
    /// Span ids (hex) left out of the first answer for their trace: spans that reach the
    /// backend late.
    pub late: BTreeSet<String>,
    /// Answers given per trace id so far.
    pub answered: Mutex<BTreeMap<String, u32>>,
}

pub struct Server {
    pub url: String,
    pub traces: Arc<BTreeMap<String, Trace>>,
    pub requests: Arc<Mutex<Vec<String>>>,
    pub fetches: Arc<AtomicU64>,
    /// Searches answered (after their delay).
    pub searched: Arc<AtomicU64>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Ctx {
    api: Api,
    traces: Arc<BTreeMap<String, Trace>>,
    behaviour: Behaviour,
    requests: Arc<Mutex<Vec<String>>>,
    fetches: Arc<AtomicU64>,
    searched: Arc<AtomicU64>,
}

/// Reads OTLP JSON files and splits them into traces.
pub fn traces_of(files: &[&str]) -> BTreeMap<String, Trace> {
    let mut out: BTreeMap<String, Trace> = BTreeMap::new();
    for f in files {
        let path = if std::path::Path::new(f).is_absolute() {
            f.to_string()
        } else {
            format!("{}/{f}", env!("CARGO_MANIFEST_DIR"))
        };
        let text = std::fs::read_to_string(&path).expect("sample file");
        // One OTLP JSON document, or JSON lines of them.
        let docs: Vec<Value> = if path.ends_with(".jsonl") {
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| serde_json::from_str(l).expect("OTLP JSON line"))
                .collect()
        } else {
            vec![serde_json::from_str(&text).expect("OTLP JSON")]
        };
        for rs in docs
            .iter()
            .flat_map(|d| d["resourceSpans"].as_array().expect("resourceSpans"))
        {
            let service = rs["resource"]["attributes"]
                .as_array()
                .and_then(|a| a.iter().find(|kv| kv["key"] == "service.name"))
                .and_then(|kv| kv["value"]["stringValue"].as_str())
                .unwrap_or("")
                .to_string();
            for ss in rs["scopeSpans"].as_array().expect("scopeSpans") {
                let mut by_trace: BTreeMap<String, Vec<Value>> = BTreeMap::new();
                for span in ss["spans"].as_array().expect("spans") {
                    let id = span["traceId"].as_str().expect("traceId").to_string();
                    by_trace.entry(id).or_default().push(span.clone());
                }
                for (id, spans) in by_trace {
                    let t = out.entry(id.clone()).or_insert_with(|| Trace {
                        id: id.clone(),
                        resource_spans: Vec::new(),
                        start_ns: u64::MAX,
                        end_ns: 0,
                        services: BTreeSet::new(),
                        root_service: "<root span not yet received>".to_string(),
                        root_name: String::new(),
                        service_stats: BTreeMap::new(),
                    });
                    for s in &spans {
                        let n = |k: &str| {
                            s[k].as_str()
                                .and_then(|v| v.parse::<u64>().ok())
                                .unwrap_or(0)
                        };
                        t.start_ns = t.start_ns.min(n("startTimeUnixNano"));
                        t.end_ns = t.end_ns.max(n("endTimeUnixNano"));
                        let parent = s["parentSpanId"].as_str().unwrap_or("");
                        if parent.is_empty() {
                            t.root_service = service.clone();
                            t.root_name = s["name"].as_str().unwrap_or("").to_string();
                        }
                    }
                    t.services.insert(service.clone());
                    let stats = t.service_stats.entry(service.clone()).or_default();
                    stats.0 += spans.len() as u64;
                    stats.1 += spans
                        .iter()
                        .filter(|s| {
                            matches!(s["status"]["code"].as_u64(), Some(2))
                                || s["status"]["code"] == "STATUS_CODE_ERROR"
                        })
                        .count() as u64;
                    t.resource_spans.push(json!({
                        "resource": rs["resource"],
                        "scopeSpans": [{"scope": ss["scope"], "spans": spans}],
                    }));
                }
            }
        }
    }
    out
}

pub fn start(api: Api, traces: BTreeMap<String, Trace>, behaviour: Behaviour) -> Server {
    let traces = Arc::new(traces);
    let requests = Arc::new(Mutex::new(Vec::new()));
    let fetches = Arc::new(AtomicU64::new(0));
    let searched = Arc::new(AtomicU64::new(0));
    let ctx = Arc::new(Ctx {
        searched: Arc::clone(&searched),
        api,
        traces: Arc::clone(&traces),
        behaviour,
        requests: Arc::clone(&requests),
        fetches: Arc::clone(&fetches),
    });
    let app = Router::new()
        .route("/api/status/buildinfo", get(buildinfo))
        .route("/api/search", get(tempo_search))
        .route("/api/v2/traces/{id}", get(tempo_v2))
        .route("/api/traces/{id}", get(tempo_v1))
        .route("/api/v3/services", get(jaeger_services))
        .route("/api/v3/operations", get(jaeger_operations))
        .route("/api/v3/traces", get(jaeger_search))
        .route("/api/v3/traces/{id}", get(jaeger_trace))
        .with_state(ctx);
    // Behind a path prefix, as a proxy would serve it.
    let app = Router::new().nest("/prefix", app);
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let addr: SocketAddr = listener.local_addr().expect("addr");
            addr_tx.send(addr).expect("send addr");
            // As servers in production set it: no Nagle delay on small answers.
            let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
                let _ = tcp.set_nodelay(true);
            });
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
    });
    let addr = addr_rx.recv().expect("server address");
    Server {
        url: format!("http://{addr}/prefix"),
        traces,
        requests,
        fetches,
        searched,
        shutdown: Some(tx),
        thread: Some(thread),
    }
}

/// A query string's parameters, decoded.
fn params(q: Option<String>) -> BTreeMap<String, String> {
    url::form_urlencoded::parse(q.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

/// Logs the request; the injected failure or the tenant check, if any.
fn gate(ctx: &Ctx, what: String, headers: &HeaderMap) -> Option<Response> {
    ctx.requests.lock().expect("log").push(what);
    if let Some(s) = ctx.behaviour.fail_first.lock().expect("fail").pop_front() {
        let mut r = (
            StatusCode::from_u16(s).expect("status"),
            "try again later".to_string(),
        )
            .into_response();
        if s == 429 {
            r.headers_mut()
                .insert(header::RETRY_AFTER, "0".parse().expect("header"));
        }
        return Some(r);
    }
    if let Some(a) = &ctx.behaviour.authorization {
        let got = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        if got != Some(a.as_str()) {
            return Some((StatusCode::UNAUTHORIZED, "unauthorized\n").into_response());
        }
    }
    if let Some(t) = &ctx.behaviour.tenant {
        let got = headers.get("x-scope-orgid").and_then(|v| v.to_str().ok());
        if got != Some(t.as_str()) {
            return Some((StatusCode::UNAUTHORIZED, "no org id\n").into_response());
        }
    }
    None
}

fn json_response(status: StatusCode, v: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

async fn buildinfo(State(ctx): State<Arc<Ctx>>, headers: HeaderMap) -> Response {
    if ctx.api == Api::Jaeger {
        // Jaeger's UI answers unknown paths with its index page.
        return (StatusCode::OK, "<!doctype html><html></html>").into_response();
    }
    if let Some(r) = gate(&ctx, "buildinfo".into(), &headers) {
        return r;
    }
    json_response(
        StatusCode::OK,
        json!({"version": "2.9.0", "revision": "0000000", "branch": "HEAD"}),
    )
}

fn seconds(p: &BTreeMap<String, String>, k: &str) -> Option<u64> {
    p.get(k).and_then(|v| v.parse().ok())
}

/// The traces of `service` (any, for `None`) starting in [start, end) nanoseconds.
fn matching<'a>(ctx: &'a Ctx, service: Option<&str>, start: u64, end: u64) -> Vec<&'a Trace> {
    let mut v: Vec<&Trace> = ctx
        .traces
        .values()
        .filter(|t| start <= t.start_ns && t.start_ns < end)
        .filter(|t| service.is_none_or(|s| t.services.contains(s)))
        .collect();
    // Newest first, as both backends list them.
    v.sort_by_key(|t| std::cmp::Reverse(t.start_ns));
    v
}

/// The TraceQL this server understands: `{}` and `{resource.service.name = "S"}`.
fn traceql_service(q: &str) -> Result<Option<String>, ()> {
    let inner = q
        .trim()
        .strip_prefix('{')
        .and_then(|r| r.strip_suffix('}'))
        .ok_or(())?;
    let inner = inner.trim();
    if inner.is_empty() {
        return Ok(None);
    }
    let v = inner
        .strip_prefix("resource.service.name = ")
        .ok_or(())?
        .trim_matches('"');
    Ok(Some(v.to_string()))
}

async fn tempo_search(
    State(ctx): State<Arc<Ctx>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let p = params(q);
    let q = p.get("q").cloned().unwrap_or_default();
    if let Some(r) = gate(
        &ctx,
        format!("search {q} {:?}-{:?}", p.get("start"), p.get("end")),
        &headers,
    ) {
        return r;
    }
    if let Some(d) = ctx.behaviour.search_delay {
        tokio::time::sleep(d).await;
    }
    ctx.searched.fetch_add(1, Ordering::Relaxed);
    let Ok(service) = traceql_service(&q) else {
        return (StatusCode::BAD_REQUEST, "invalid TraceQL query\n").into_response();
    };
    let (Some(start), Some(end)) = (seconds(&p, "start"), seconds(&p, "end")) else {
        return (StatusCode::BAD_REQUEST, "start and end required\n").into_response();
    };
    let limit = seconds(&p, "limit").unwrap_or(20) as usize;
    let found = matching(
        &ctx,
        service.as_deref(),
        start * 1_000_000_000,
        end * 1_000_000_000,
    );
    let traces: Vec<Value> = found
        .iter()
        .take(limit)
        .map(|t| {
            json!({
                // Tempo drops leading zeros.
                "traceID": t.id.trim_start_matches('0'),
                "rootServiceName": t.root_service,
                "rootTraceName": t.root_name,
                "startTimeUnixNano": t.start_ns.to_string(),
                "durationMs": (t.end_ns - t.start_ns) / 1_000_000,
                "serviceStats": t.service_stats.iter()
                    .map(|(svc, (spans, errors))| {
                        (svc.clone(), json!({"spanCount": spans, "errorCount": errors}))
                    })
                    .collect::<serde_json::Map<String, Value>>(),
            })
        })
        .collect();
    json_response(
        StatusCode::OK,
        json!({"traces": traces, "metrics": {"inspectedTraces": found.len(), "inspectedBytes": "1000"}}),
    )
}

/// Tempo's JSON: base64 ids and enum names (the protobuf JSON mapping of gogo jsonpb).
fn tempo_json(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let v = match (k.as_str(), v) {
                        ("traceId" | "spanId" | "parentSpanId", Value::String(h)) => {
                            let bytes: Vec<u8> = (0..h.len() / 2)
                                .map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap_or(0))
                                .collect();
                            Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
                        }
                        ("kind", Value::Number(n)) => Value::String(
                            [
                                "SPAN_KIND_UNSPECIFIED",
                                "SPAN_KIND_INTERNAL",
                                "SPAN_KIND_SERVER",
                                "SPAN_KIND_CLIENT",
                                "SPAN_KIND_PRODUCER",
                                "SPAN_KIND_CONSUMER",
                            ][n.as_u64().unwrap_or(0).min(5) as usize]
                                .to_string(),
                        ),
                        ("code", Value::Number(n)) => Value::String(
                            ["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"]
                                [n.as_u64().unwrap_or(0).min(2) as usize]
                                .to_string(),
                        ),
                        _ => tempo_json(v),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(tempo_json).collect()),
        v => v.clone(),
    }
}

/// The trace as protobuf `TracesData` (the same bytes as Tempo's `Trace`).
fn trace_proto(t: &Trace) -> Vec<u8> {
    use opentelemetry_proto::tonic::trace::v1::TracesData;
    let doc = json!({"resourceSpans": t.resource_spans});
    let data: TracesData = serde_json::from_value(doc).expect("OTLP JSON to protobuf");
    data.encode_to_vec()
}

#[derive(Message)]
struct TraceByIdResponse {
    #[prost(bytes = "vec", tag = "1")]
    trace: Vec<u8>,
    #[prost(int32, tag = "3")]
    status: i32,
    #[prost(string, tag = "4")]
    message: String,
}

fn wants_protobuf(ctx: &Ctx, h: &HeaderMap) -> bool {
    !ctx.behaviour.json_only
        && h.get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/protobuf"))
}

/// The trace as the backend has it now: without its late spans on the first answer.
fn find(ctx: &Ctx, id: &str) -> Option<Trace> {
    let id = format!("{:0>32}", id.to_ascii_lowercase());
    let mut t = ctx.traces.get(&id)?.clone();
    let mut answered = ctx.behaviour.answered.lock().expect("answered");
    let n = answered.entry(id).or_insert(0);
    *n += 1;
    if *n == 1 && !ctx.behaviour.late.is_empty() {
        for rs in &mut t.resource_spans {
            for ss in rs["scopeSpans"].as_array_mut().into_iter().flatten() {
                if let Some(spans) = ss["spans"].as_array_mut() {
                    spans.retain(|s| {
                        !s["spanId"]
                            .as_str()
                            .is_some_and(|id| ctx.behaviour.late.contains(id))
                    });
                }
            }
        }
    }
    Some(t)
}

async fn delay(ctx: &Ctx) {
    ctx.fetches.fetch_add(1, Ordering::Relaxed);
    if let Some(d) = ctx.behaviour.fetch_delay {
        tokio::time::sleep(d).await;
    }
}

async fn tempo_v2(
    State(ctx): State<Arc<Ctx>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if ctx.api == Api::TempoV1 {
        return (StatusCode::NOT_FOUND, "404 page not found\n").into_response();
    }
    if let Some(r) = gate(&ctx, format!("v2 {id}"), &headers) {
        return r;
    }
    delay(&ctx).await;
    let Some(t) = find(&ctx, &id) else {
        return (StatusCode::NOT_FOUND, "trace not found\n").into_response();
    };
    let partial = ctx.behaviour.partial.contains(&t.id);
    let t = &t;
    let message = if partial {
        "some blocks could not be read"
    } else {
        ""
    };
    if wants_protobuf(&ctx, &headers) {
        let body = TraceByIdResponse {
            trace: trace_proto(t),
            status: i32::from(partial),
            message: message.to_string(),
        }
        .encode_to_vec();
        return ([(header::CONTENT_TYPE, "application/protobuf")], body).into_response();
    }
    let mut v = json!({
        "trace": tempo_json(&json!({"resourceSpans": t.resource_spans})),
        "status": if partial { "PARTIAL" } else { "COMPLETE" },
    });
    if partial {
        v["message"] = json!(message);
    }
    json_response(StatusCode::OK, v)
}

async fn tempo_v1(
    State(ctx): State<Arc<Ctx>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(r) = gate(&ctx, format!("v1 {id}"), &headers) {
        return r;
    }
    delay(&ctx).await;
    let Some(t) = find(&ctx, &id) else {
        return (StatusCode::NOT_FOUND, "trace not found\n").into_response();
    };
    if wants_protobuf(&ctx, &headers) {
        return (
            [(header::CONTENT_TYPE, "application/protobuf")],
            trace_proto(&t),
        )
            .into_response();
    }
    json_response(
        StatusCode::OK,
        tempo_json(&json!({"batches": t.resource_spans})),
    )
}

fn jaeger_error(status: StatusCode, message: &str) -> Response {
    json_response(
        status,
        json!({"error": {"httpCode": status.as_u16(), "message": message}}),
    )
}

async fn jaeger_services(State(ctx): State<Arc<Ctx>>, headers: HeaderMap) -> Response {
    if ctx.api != Api::Jaeger {
        return (StatusCode::NOT_FOUND, "404 page not found\n").into_response();
    }
    if let Some(r) = gate(&ctx, "services".into(), &headers) {
        return r;
    }
    let all: BTreeSet<&String> = ctx.traces.values().flat_map(|t| &t.services).collect();
    json_response(StatusCode::OK, json!({"services": all}))
}

fn rfc3339_ns(p: &BTreeMap<String, String>, k: &str) -> Option<u64> {
    let t = humantime::parse_rfc3339_weak(p.get(k)?).ok()?;
    Some(t.duration_since(std::time::UNIX_EPOCH).ok()?.as_nanos() as u64)
}

async fn jaeger_search(
    State(ctx): State<Arc<Ctx>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let p = params(q);
    let service = p.get("query.service_name").cloned();
    if let Some(r) = gate(&ctx, format!("search {service:?}"), &headers) {
        return r;
    }
    ctx.requests.lock().expect("log").push(format!(
        "params {}",
        serde_json::to_string(&p).expect("params")
    ));
    if let Some(a) = p.get("query.attributes")
        && serde_json::from_str::<BTreeMap<String, String>>(a).is_err()
    {
        return jaeger_error(
            StatusCode::BAD_REQUEST,
            "malformed parameter query.attributes",
        );
    }
    let Some(service) = service else {
        return jaeger_error(StatusCode::BAD_REQUEST, "service name must not be empty");
    };
    let (Some(start), Some(end)) = (
        rfc3339_ns(&p, "query.start_time_min"),
        rfc3339_ns(&p, "query.start_time_max"),
    ) else {
        return jaeger_error(
            StatusCode::BAD_REQUEST,
            "start time min and max are required",
        );
    };
    let n = seconds(&p, "query.num_traces").unwrap_or(20) as usize;
    let found = matching(&ctx, Some(&service), start, end);
    if found.is_empty() {
        return jaeger_error(StatusCode::NOT_FOUND, "No traces found");
    }
    let rs: Vec<Value> = found
        .iter()
        .take(n)
        .flat_map(|t| t.resource_spans.iter().cloned())
        .collect();
    json_response(StatusCode::OK, json!({"result": {"resourceSpans": rs}}))
}

/// The span names of a service's spans.
async fn jaeger_operations(
    State(ctx): State<Arc<Ctx>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let p = params(q);
    if let Some(r) = gate(&ctx, "operations".into(), &headers) {
        return r;
    }
    let service = p.get("service").cloned().unwrap_or_default();
    let names: BTreeSet<&str> = ctx
        .traces
        .values()
        .flat_map(|t| &t.resource_spans)
        .filter(|rs| {
            rs["resource"]["attributes"].as_array().is_some_and(|a| {
                a.iter().any(|kv| {
                    kv["key"] == "service.name" && kv["value"]["stringValue"] == service.as_str()
                })
            })
        })
        .flat_map(|rs| rs["scopeSpans"].as_array().into_iter().flatten())
        .flat_map(|ss| ss["spans"].as_array().into_iter().flatten())
        .filter_map(|s| s["name"].as_str())
        .collect();
    let ops: Vec<Value> = names
        .iter()
        .map(|n| json!({"name": n, "spanKind": ""}))
        .collect();
    json_response(StatusCode::OK, json!({"operations": ops}))
}

async fn jaeger_trace(
    State(ctx): State<Arc<Ctx>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(r) = gate(&ctx, format!("trace {id}"), &headers) {
        return r;
    }
    delay(&ctx).await;
    match find(&ctx, &id) {
        Some(t) => json_response(
            StatusCode::OK,
            json!({"result": {"resourceSpans": t.resource_spans}}),
        ),
        None => jaeger_error(StatusCode::NOT_FOUND, "trace not found"),
    }
}
