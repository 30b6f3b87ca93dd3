//! Trace backends as inputs: search Grafana Tempo or Jaeger and pull the matching traces, read
//! by the same readers as files (`ingest::read_batches`) into the same store.
//!
//! `Backend::connect` checks the URL and tells Tempo from Jaeger when not told; `pull` runs a
//! `Query` (search, complete by cutting full time windows, fetch several traces at a time) and
//! hands each answer's batches to a sink as it arrives, with a progress figure and a cancel
//! flag; `pull_into` is `pull` into a store. `follow` asks the backend for the other half of
//! the breaks found. What is fetched, when and how much: docs/backends.md.

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::ingest;
use crate::model::{Batch, Position, Store, WarningKind};

mod detect;
mod error;
pub mod follow;
pub mod http;
mod jaeger;
mod tempo;
pub mod window;

pub use error::{BackendError, ErrorKind};
pub use http::HttpConfig;
pub use window::Window;

/// Which API a URL speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Tempo,
    Jaeger,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Tempo => "tempo",
            Kind::Jaeger => "jaeger",
        }
    }
}

/// The search window when none is given: the last hour (what both UIs start with).
pub const DEFAULT_SINCE: Duration = Duration::from_secs(3600);
/// Traces asked for per search request.
pub const DEFAULT_LIMIT: u32 = 100;
/// Traces pulled at most by one query.
pub const DEFAULT_MAX_TRACES: usize = 1000;
/// Traces fetched at a time.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// What to pull.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// TraceQL (Tempo only); else built from `service` and `operation`.
    pub traceql: Option<String>,
    /// Jaeger: the service searched (none: every service the backend lists).
    pub service: Option<String>,
    pub operation: Option<String>,
    /// Span attributes a matching trace has (key, value).
    pub attributes: Vec<(String, String)>,
    /// Bounds on the duration of a matching span.
    pub min_duration: Option<Duration>,
    pub max_duration: Option<Duration>,
    /// The time range searched (and sent with fetches by id, when given).
    pub window: Option<Window>,
    /// Traces per search request (Tempo `limit`, Jaeger `query.num_traces`).
    pub limit: u32,
    pub max_traces: usize,
    /// Fetch these traces by id instead of searching.
    pub trace_ids: Vec<u128>,
}

impl Default for Query {
    fn default() -> Self {
        Query {
            traceql: None,
            service: None,
            operation: None,
            attributes: Vec::new(),
            min_duration: None,
            max_duration: None,
            window: None,
            limit: DEFAULT_LIMIT,
            max_traces: DEFAULT_MAX_TRACES,
            trace_ids: Vec::new(),
        }
    }
}

impl Query {
    /// The window searched: the given one, else the last hour before `now`.
    pub fn search_window(&self, now: SystemTime) -> Window {
        self.window.unwrap_or_else(|| {
            let end = unix_seconds(now);
            Window {
                start: end - DEFAULT_SINCE.as_secs() as i64,
                end,
            }
        })
    }

    /// Search requests at most: enough to cut every full window down to pages of `limit`
    /// for `max_traces` traces, four times over, and a few for windows that come back empty.
    pub fn max_searches(&self) -> u32 {
        let pages = self.max_traces.div_ceil(self.limit.max(1) as usize);
        (pages.saturating_mul(4).saturating_add(16)).min(u32::MAX as usize) as u32
    }
}

fn unix_seconds(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A time on the command line: RFC 3339 (`2026-11-28T10:00:00Z`) or Unix seconds.
pub fn parse_time(s: &str) -> Result<i64, String> {
    let s = s.trim();
    if let Ok(n) = s.parse::<i64>() {
        return Ok(n);
    }
    humantime::parse_rfc3339_weak(s)
        .map(unix_seconds)
        .map_err(|e| {
            format!("\"{s}\" is neither RFC 3339 (2026-11-28T10:00:00Z) nor Unix seconds: {e}")
        })
}

/// A duration on the command line: `15m`, `1h`, `2h30m`, `1d`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim())
        .map_err(|e| format!("\"{s}\" is not a duration such as 15m, 1h or 1d: {e}"))
}

/// A trace id as the APIs and users write it: up to 32 hex digits (Tempo drops leading zeros).
pub fn hex_id(s: &str) -> Option<u128> {
    let s = s.trim();
    if s.is_empty() || s.len() > 32 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u128::from_str_radix(s, 16).ok()
}

/// A query-string value, percent-encoded.
fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The `Authorization` value from environment variable `var`: used as it is when it starts
/// with a scheme (`Bearer …`, `Basic …`); `user:password` becomes basic auth (Tempo behind a
/// proxy, Grafana Cloud's `tenant:token`); anything else is a bearer token.
pub fn authorization_from_env(var: &str) -> Result<String, BackendError> {
    let value = std::env::var(var).map_err(|_| {
        BackendError::new(
            &format!("${var}"),
            ErrorKind::Config,
            "--token-env names this environment variable, but it is not set (or not UTF-8)",
        )
    })?;
    let value = value.trim();
    let lower = value.to_ascii_lowercase();
    if lower.starts_with("bearer ") || lower.starts_with("basic ") {
        return Ok(value.to_string());
    }
    if value.contains(':') {
        use base64::Engine;
        let b = base64::engine::general_purpose::STANDARD.encode(value);
        return Ok(format!("Basic {b}"));
    }
    Ok(format!("Bearer {value}"))
}

/// A connected backend: the base URL (path prefix included, no trailing `/`) and the client.
pub struct Backend {
    kind: Kind,
    base: String,
    http: http::Http,
    /// Tempo without `/api/v2/traces` (before 2.6): found once, then v1 is asked first.
    tempo_v1_only: AtomicBool,
}

impl Backend {
    /// Checks `url` (http or https, no credentials in it, no query) and, when `kind` is not
    /// given, asks the server which backend it is.
    pub fn connect(
        url: &str,
        kind: Option<Kind>,
        config: HttpConfig,
        cancel: Option<&AtomicBool>,
    ) -> Result<Backend, BackendError> {
        let parsed = url::Url::parse(url.trim()).map_err(|e| {
            BackendError::new(
                url,
                ErrorKind::Config,
                format!("not a URL ({e}): give http://HOST:PORT[/PREFIX]"),
            )
        })?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(BackendError::new(
                url,
                ErrorKind::Config,
                "only http:// and https:// URLs with a host are backends",
            ));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            // Never echo the secret: name the URL without it.
            let mut shown = parsed.clone();
            let _ = shown.set_username("");
            let _ = shown.set_password(None);
            return Err(BackendError::new(
                shown.as_str(),
                ErrorKind::Config,
                "credentials in the URL are refused (they end up in logs and shell history): \
                 put them in an environment variable and name it with --token-env",
            ));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(BackendError::new(
                url,
                ErrorKind::Config,
                "the backend URL takes no query or fragment: give http://HOST:PORT[/PREFIX]",
            ));
        }
        let base = parsed.as_str().trim_end_matches('/').to_string();
        let http = http::Http::new(config);
        let kind = match kind {
            Some(k) => k,
            None => detect::detect(&http, &base, cancel)?,
        };
        Ok(Backend {
            kind,
            base,
            http,
            tempo_v1_only: AtomicBool::new(false),
        })
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The base URL (scheme, host, port and path prefix).
    pub fn url(&self) -> &str {
        &self.base
    }

    /// HTTP requests sent so far (retries included) and answer bytes read.
    pub fn requests(&self) -> u64 {
        self.http.requests()
    }

    pub fn bytes(&self) -> u64 {
        self.http.bytes()
    }

    /// Fetches one trace by id (`Ok(None)`: the backend does not have it).
    pub fn fetch(
        &self,
        id: u128,
        w: Option<Window>,
        cancel: Option<&AtomicBool>,
    ) -> Result<Option<Fetched>, BackendError> {
        match self.kind {
            Kind::Tempo => tempo::fetch(self, id, w, cancel),
            Kind::Jaeger => jaeger::fetch(self, id, w, cancel),
        }
    }

    /// The operations of `service` a Jaeger backend lists (Tempo: none).
    pub fn operations(
        &self,
        service: &str,
        cancel: Option<&AtomicBool>,
    ) -> Result<Vec<String>, BackendError> {
        match self.kind {
            Kind::Tempo => Ok(Vec::new()),
            Kind::Jaeger => jaeger::operations(self, service, cancel),
        }
    }

    /// The services a Jaeger backend lists (Tempo: none; its search needs no service).
    pub fn services(&self, cancel: Option<&AtomicBool>) -> Result<Vec<String>, BackendError> {
        match self.kind {
            Kind::Tempo => Ok(Vec::new()),
            Kind::Jaeger => jaeger::services(self, cancel),
        }
    }
}

/// One answer read into batches.
pub struct Fetched {
    /// The request's URL.
    pub url: String,
    pub batches: Vec<Batch>,
}

impl Fetched {
    /// Reads `body` with the file readers; an empty body is an empty trace. `partial`: the
    /// backend's message for a trace it could only give in part, kept as a warning.
    fn read(url: &str, body: &[u8], partial: Option<String>) -> Result<Fetched, BackendError> {
        let mut batches = if body.iter().all(u8::is_ascii_whitespace) {
            Vec::new()
        } else {
            ingest::read_batches(url, body)
                .map_err(|e| BackendError::load(url, e))?
                .1
        };
        if let Some(msg) = partial {
            let mut b = Batch::new();
            let msg = if msg.is_empty() {
                "the backend marked this trace PARTIAL: some of its spans may be missing"
                    .to_string()
            } else {
                format!("the backend marked this trace PARTIAL: {msg}")
            };
            b.diag
                .warn(WarningKind::Incomplete, url, Position::Unknown, &msg);
            batches.push(b);
        }
        Ok(Fetched {
            url: url.to_string(),
            batches,
        })
    }

    pub fn spans(&self) -> u64 {
        self.batches.iter().map(|b| b.spans.len() as u64).sum()
    }
}

/// One trace a search found, as a results list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub trace_id: u128,
    /// Empty when the backend has not received the root span (Tempo says `<root span not
    /// yet received>`).
    pub root_service: String,
    pub root_name: String,
    pub start_unix_nano: u64,
    pub duration_ms: u64,
    /// Spans of the trace, when the search tells (Jaeger's answers hold them).
    pub spans: Option<u64>,
}

impl Hit {
    /// The traces of a Jaeger search answer, in order of first appearance.
    fn of(f: &Fetched) -> Vec<Hit> {
        let mut hits: Vec<Hit> = Vec::new();
        let mut at = rustc_hash::FxHashMap::default();
        for b in &f.batches {
            for s in &b.spans {
                let i = *at.entry(s.trace_id).or_insert_with(|| {
                    hits.push(Hit {
                        trace_id: s.trace_id,
                        root_service: String::new(),
                        root_name: String::new(),
                        start_unix_nano: u64::MAX,
                        duration_ms: 0,
                        spans: Some(0),
                    });
                    hits.len() - 1
                });
                let h = &mut hits[i];
                h.spans = h.spans.map(|n| n + 1);
                // Reused as the end until the duration is worked out below.
                h.duration_ms = h.duration_ms.max(s.end);
                h.start_unix_nano = h.start_unix_nano.min(s.start);
                if s.parent_id == 0 {
                    let service = b
                        .resources
                        .get(s.resource as usize)
                        .map(|r| b.strings.resolve(r.service))
                        .unwrap_or_default();
                    h.root_service = service.to_string();
                    h.root_name = b.strings.resolve(s.name).to_string();
                }
            }
        }
        for h in &mut hits {
            h.duration_ms = h.duration_ms.saturating_sub(h.start_unix_nano) / 1_000_000;
        }
        hits
    }
}

/// Searches without fetching: the traces `q` matches (complete as `pull` makes it, within
/// `max_traces`), newest windows first, for a results list; load them with `pull` and
/// `Query::trace_ids`.
pub fn search(
    backend: &Arc<Backend>,
    q: &Query,
    opts: &PullOptions,
) -> Result<(Vec<Hit>, Summary), BackendError> {
    let mut sum = Summary::default();
    let mut hits = Vec::new();
    let w = q.search_window(SystemTime::now());
    let searches = std::cell::Cell::new(0u32);
    let report = || {
        searches.set(searches.get() + 1);
        if let Some(f) = opts.progress {
            f(&Progress {
                searches: searches.get(),
                bytes: backend.bytes(),
                ..Progress::default()
            })
        }
    };
    let services = match (backend.kind, &q.service) {
        (Kind::Tempo, _) => vec![String::new()],
        (Kind::Jaeger, Some(s)) => vec![s.clone()],
        (Kind::Jaeger, None) => cancellable(backend, opts.cancel, |b| b.services(None))?,
    };
    let mut seen = rustc_hash::FxHashSet::default();
    let traceql = tempo::traceql(q);
    for service in services {
        let room = q.max_traces.saturating_sub(seen.len());
        if room == 0 {
            sum.max_reached = true;
            break;
        }
        let got = window::collect(
            w,
            q.limit.min(room as u32),
            room,
            q.max_searches(),
            |win, limit| {
                if cancelled(opts.cancel) {
                    return Err(cancelled_error(backend));
                }
                let page = match backend.kind {
                    Kind::Tempo => {
                        let traceql = traceql.clone();
                        cut_if_too_large(
                            cancellable(backend, opts.cancel, move |b| {
                                tempo::search(b, &traceql, win, limit, None)
                            }),
                            win,
                        )?
                    }
                    Kind::Jaeger => {
                        let (q, service) = (q.clone(), service.clone());
                        let p = cut_if_too_large(
                            cancellable(backend, opts.cancel, move |b| {
                                jaeger::search(b, &q, &service, win, limit, None)
                            }),
                            win,
                        )?;
                        let hits = p.payload.as_ref().map(Hit::of).unwrap_or_default();
                        window::Page {
                            ids: p.ids,
                            payload: hits,
                            cut: p.cut,
                        }
                    }
                };
                report();
                Ok(page)
            },
            |page_hits, new| {
                let new: rustc_hash::FxHashSet<u128> = new.iter().copied().collect();
                hits.extend(
                    page_hits
                        .into_iter()
                        .filter(|h| new.contains(&h.trace_id) && seen.insert(h.trace_id)),
                );
                Ok(())
            },
        )?;
        note_search(&mut sum, &got, q);
    }
    sum.found = hits.len() as u64;
    Ok((hits, finish(sum, q)))
}

/// Where a pull is, for a progress figure.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub searches: u32,
    /// Traces found by the searches so far (or asked for by id).
    pub found: u64,
    /// Traces fetched so far, and how many are to be fetched.
    pub fetched: u64,
    pub to_fetch: u64,
    pub spans: u64,
    pub bytes: u64,
}

/// How a pull reports progress, can be cancelled, and how many fetches run at once.
#[derive(Clone, Copy)]
pub struct PullOptions<'a> {
    pub progress: Option<&'a (dyn Fn(&Progress) + Sync)>,
    /// Set it to stop: `pull` returns a `Cancelled` error at once (requests in flight are
    /// abandoned to their threads, which stop after them).
    pub cancel: Option<&'a AtomicBool>,
    pub concurrency: usize,
}

impl Default for PullOptions<'_> {
    fn default() -> Self {
        PullOptions {
            progress: None,
            cancel: None,
            concurrency: DEFAULT_CONCURRENCY,
        }
    }
}

/// What a pull did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub searches: u32,
    pub found: u64,
    pub fetched: u64,
    pub spans: u64,
    /// Traces the backend did not have (asked by id, or gone between search and fetch).
    pub not_found: u64,
    /// `max_traces` was reached: more traces may match.
    pub max_reached: bool,
    /// Things the user should know about the result (also warnings in the store).
    pub warnings: Vec<String>,
}

fn cancelled(c: Option<&AtomicBool>) -> bool {
    c.is_some_and(|c| c.load(Ordering::Relaxed))
}

fn cancelled_error(b: &Backend) -> BackendError {
    BackendError::new(&b.base, ErrorKind::Cancelled, "cancelled")
}

/// Runs `q` against `backend`: each answer's batches go to `sink` as they arrive.
pub fn pull(
    backend: &Arc<Backend>,
    q: &Query,
    opts: &PullOptions,
    sink: &mut dyn FnMut(Fetched),
) -> Result<Summary, BackendError> {
    let mut sum = Summary::default();
    // Shared by the search and keep closures of one `collect`.
    let progress = Cell::new(Progress::default());
    let bump = |f: &dyn Fn(&mut Progress)| {
        let mut p = progress.get();
        f(&mut p);
        p.bytes = backend.bytes();
        progress.set(p);
        if let Some(report) = opts.progress {
            report(&p)
        }
    };
    if !q.trace_ids.is_empty() {
        let mut ids = q.trace_ids.clone();
        ids.truncate(q.max_traces);
        sum.max_reached = q.trace_ids.len() > ids.len();
        sum.found = ids.len() as u64;
        let mut p = Progress {
            found: sum.found,
            ..progress.get()
        };
        fetch_all(backend, ids, q.window, opts, &mut p, &mut sum, sink)?;
        return Ok(finish(sum, q));
    }
    let w = q.search_window(SystemTime::now());
    match backend.kind {
        Kind::Tempo => {
            let traceql = tempo::traceql(q);
            let got = window::collect(
                w,
                q.limit,
                q.max_traces,
                q.max_searches(),
                |win, limit| {
                    if cancelled(opts.cancel) {
                        return Err(cancelled_error(backend));
                    }
                    let traceql = traceql.clone();
                    let page = cut_if_too_large(
                        cancellable(backend, opts.cancel, move |b| {
                            tempo::search(b, &traceql, win, limit, None)
                        }),
                        win,
                    );
                    bump(&|p| p.searches += 1);
                    page
                },
                |_, _| Ok(()),
            )?;
            note_search(&mut sum, &got, q);
            let mut p = Progress {
                found: got.ids.len() as u64,
                ..progress.get()
            };
            fetch_all(backend, got.ids, Some(w), opts, &mut p, &mut sum, sink)?;
        }
        Kind::Jaeger => {
            let services = match &q.service {
                Some(s) => vec![s.clone()],
                None => cancellable(backend, opts.cancel, |b| b.services(None))?,
            };
            // A trace holding spans of several services is found by each of their searches:
            // it is kept from the first answer only, so that no span is read twice.
            let mut delivered = rustc_hash::FxHashSet::default();
            // Traces new in an answer that also held known ones: fetched by id.
            let mut refetch = Vec::new();
            for service in services {
                let room = q.max_traces.saturating_sub(delivered.len());
                if room == 0 {
                    sum.max_reached = true;
                    break;
                }
                let sq = Query {
                    max_traces: room,
                    ..q.clone()
                };
                let got = window::collect(
                    w,
                    q.limit.min(room as u32),
                    room,
                    sq.max_searches(),
                    |win, limit| {
                        if cancelled(opts.cancel) {
                            return Err(cancelled_error(backend));
                        }
                        let (q, service) = (q.clone(), service.clone());
                        let page = cut_if_too_large(
                            cancellable(backend, opts.cancel, move |b| {
                                jaeger::search(b, &q, &service, win, limit, None)
                            }),
                            win,
                        );
                        bump(&|p| p.searches += 1);
                        page
                    },
                    |payload, _| {
                        let Some(f) = payload else { return Ok(()) };
                        let ids = jaeger::trace_ids(&f);
                        let fresh: Vec<u128> = ids
                            .iter()
                            .copied()
                            .filter(|id| !delivered.contains(id))
                            .collect();
                        delivered.extend(fresh.iter().copied());
                        if fresh.len() < ids.len() {
                            refetch.extend(fresh);
                            return Ok(());
                        }
                        let spans = f.spans();
                        sum.spans += spans;
                        sum.fetched += fresh.len() as u64;
                        sink(f);
                        bump(&|p| {
                            p.found += fresh.len() as u64;
                            p.fetched += fresh.len() as u64;
                            p.to_fetch = p.found;
                            p.spans += spans;
                        });
                        Ok(())
                    },
                )?;
                note_search(&mut sum, &got, q);
            }
            sum.found = delivered.len() as u64;
            let mut p = progress.get();
            p.found = sum.found;
            fetch_all(backend, refetch, q.window, opts, &mut p, &mut sum, sink)?;
        }
    }
    Ok(finish(sum, q))
}

/// A search answer over the body bound is cut like a full one, down to one second; there the
/// error stands.
fn cut_if_too_large<T: Default>(
    r: Result<window::Page<T>, BackendError>,
    w: Window,
) -> Result<window::Page<T>, BackendError> {
    match r {
        Err(e) if e.kind == ErrorKind::TooLarge && w.start < w.end => Ok(window::Page {
            ids: Vec::new(),
            payload: T::default(),
            cut: true,
        }),
        r => r,
    }
}

/// Runs one blocking request so that `cancel` returns at once: on its own thread when there
/// is a cancel flag (the abandoned request ends by its timeout and its answer is dropped).
fn cancellable<T: Send + 'static>(
    backend: &Arc<Backend>,
    cancel: Option<&AtomicBool>,
    f: impl FnOnce(&Backend) -> Result<T, BackendError> + Send + 'static,
) -> Result<T, BackendError> {
    if cancel.is_none() {
        return f(backend);
    }
    let (tx, rx) = mpsc::channel();
    let b = Arc::clone(backend);
    std::thread::spawn(move || {
        let _ = tx.send(f(&b));
    });
    loop {
        if cancelled(cancel) {
            return Err(cancelled_error(backend));
        }
        match rx.recv_timeout(Duration::from_millis(20)) {
            Ok(r) => return r,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => return Err(cancelled_error(backend)),
        }
    }
}

/// Adds one `collect`'s counts and bounds to the summary.
fn note_search(sum: &mut Summary, got: &window::Collected, q: &Query) {
    sum.searches += got.searches;
    sum.found += got.ids.len() as u64;
    sum.max_reached |= got.max_reached;
    if got.saturated > 0 {
        sum.warnings.push(format!(
            "{} of one second still held {} or more matching traces: some may be missing \
             there; give a larger --limit",
            crate::units::count(u64::from(got.saturated), "search window"),
            q.limit
        ));
    }
    if got.budget_spent {
        sum.warnings.push(format!(
            "the search stopped after {} (its bound): some traces in the range were not \
             searched; narrow the range or raise --limit",
            crate::units::count(u64::from(got.searches), "request")
        ));
    }
}

fn finish(mut sum: Summary, q: &Query) -> Summary {
    if sum.max_reached {
        sum.warnings.push(format!(
            "stopped at --max-traces {}: more traces may match",
            q.max_traces
        ));
    }
    if sum.not_found > 0 {
        sum.warnings.push(format!(
            "{} not found by the backend",
            crate::units::count(sum.not_found, "trace")
        ));
    }
    sum
}

/// Fetches `ids` on `opts.concurrency` threads; each answer goes to `sink` on this thread as
/// it arrives. Cancel returns at once; the first error stops the rest.
fn fetch_all(
    backend: &Arc<Backend>,
    ids: Vec<u128>,
    w: Option<Window>,
    opts: &PullOptions,
    progress: &mut Progress,
    sum: &mut Summary,
    sink: &mut dyn FnMut(Fetched),
) -> Result<(), BackendError> {
    progress.to_fetch = progress.fetched + ids.len() as u64;
    let first = progress.fetched;
    if ids.is_empty() {
        return Ok(());
    }
    let ids = Arc::new(ids);
    let next = Arc::new(AtomicUsize::new(0));
    // The workers' own stop flag: the caller's cancel flag may not outlive this call.
    let stop = Arc::new(AtomicBool::new(false));
    let threads = opts.concurrency.clamp(1, ids.len());
    // Bounded: a slow sink holds back the fetch threads instead of piling answers up.
    let (tx, rx) = mpsc::sync_channel(threads);
    for _ in 0..threads {
        let (backend, ids, next, stop, tx) = (
            Arc::clone(backend),
            Arc::clone(&ids),
            Arc::clone(&next),
            Arc::clone(&stop),
            tx.clone(),
        );
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&id) = ids.get(i) else { break };
                let got = backend.fetch(id, w, Some(&stop));
                if tx.send(got).is_err() {
                    break;
                }
            }
        });
    }
    drop(tx);
    let stop_all = || stop.store(true, Ordering::Relaxed);
    let mut done = 0;
    while done < ids.len() {
        if cancelled(opts.cancel) {
            stop_all();
            return Err(cancelled_error(backend));
        }
        let got = match rx.recv_timeout(Duration::from_millis(20)) {
            Ok(got) => got,
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        done += 1;
        match got {
            Ok(Some(f)) => {
                sum.fetched += 1;
                sum.spans += f.spans();
                progress.spans += f.spans();
                sink(f);
            }
            Ok(None) => sum.not_found += 1,
            Err(e) => {
                stop_all();
                return Err(e);
            }
        }
        progress.fetched = first + done as u64;
        progress.bytes = backend.bytes();
        if let Some(p) = opts.progress {
            p(progress);
        }
    }
    Ok(())
}

/// `pull` into `store` under one input named `input_name` (format: the backend's name); the
/// summary's warnings become the input's warnings. Call `Store::build_index` afterwards.
pub fn pull_into(
    backend: &Arc<Backend>,
    q: &Query,
    opts: &PullOptions,
    store: &mut Store,
    input_name: &str,
) -> Result<Summary, BackendError> {
    let input = store.add_input(input_name, backend.kind.name());
    let sum = pull(backend, q, opts, &mut |f| {
        for b in f.batches {
            store.add_batch(b, input);
        }
    })?;
    warn_all(store, input, input_name, &sum.warnings);
    Ok(sum)
}

/// Records `warnings` as the input's `Incomplete` warnings.
fn warn_all(store: &mut Store, input: u16, input_name: &str, warnings: &[String]) {
    for w in warnings {
        store
            .diag
            .warn(WarningKind::Incomplete, input_name, Position::Unknown, w);
        store.inputs[input as usize].warnings += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_durations_parse() {
        assert_eq!(parse_time("1700000000"), Ok(1_700_000_000));
        assert_eq!(parse_time("2023-11-14T22:13:20Z"), Ok(1_700_000_000));
        assert!(parse_time("yesterday").is_err());
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn ids_may_lack_leading_zeros() {
        assert_eq!(hex_id("1"), Some(1));
        assert_eq!(hex_id("00000000000000000000000000000aBc"), Some(0xabc));
        assert_eq!(hex_id(""), None);
        assert_eq!(hex_id("xyz"), None);
        assert_eq!(hex_id(&"f".repeat(33)), None);
    }

    #[test]
    fn tempo_queries_from_service_and_operation() {
        let q = Query {
            service: Some("check\"out".into()),
            operation: Some("GET /".into()),
            ..Query::default()
        };
        assert_eq!(
            tempo::traceql(&q),
            r#"{resource.service.name = "check\"out" && name = "GET /"}"#
        );
        assert_eq!(tempo::traceql(&Query::default()), "{}");
        let q = Query {
            attributes: vec![("http.route".into(), "/orders".into())],
            min_duration: Some(Duration::from_millis(150)),
            max_duration: Some(Duration::from_secs(2)),
            ..Query::default()
        };
        assert_eq!(
            tempo::traceql(&q),
            r#"{span.http.route = "/orders" && duration >= 150000000ns && duration <= 2000000000ns}"#
        );
    }

    #[test]
    fn credentials_in_the_url_are_refused_without_echoing_them() {
        let e = Backend::connect(
            "http://user:s3cret@localhost:3200",
            Some(Kind::Tempo),
            HttpConfig::default(),
            None,
        )
        .err();
        let Some(e) = e else {
            panic!("accepted credentials in the URL")
        };
        assert_eq!(e.kind, ErrorKind::Config);
        assert!(!e.to_string().contains("s3cret"), "{e}");
    }
}
