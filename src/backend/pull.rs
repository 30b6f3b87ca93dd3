//! Running a query: search (cutting full windows), fetch several traces at a time, hand each
//! answer to a sink as it arrives, with progress and a cancel flag that returns at once.

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use super::error::{BackendError, ErrorKind};
use super::window::{self, Window};
use super::{Backend, DEFAULT_CONCURRENCY, Fetched, Kind, Query, jaeger, tempo};
use crate::model::{Position, Store, WarningKind};

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
    for service in services {
        let room = q.max_traces.saturating_sub(seen.len());
        if room == 0 {
            sum.max_reached = true;
            break;
        }
        let search = |win, limit| {
            check_cancel(backend, opts.cancel)?;
            let page = match backend.kind {
                Kind::Tempo => {
                    search_page(backend, opts.cancel, q.page(win, limit), tempo::search)?
                }
                Kind::Jaeger => {
                    let p = jaeger_page(backend, opts.cancel, q, &service, win, limit)?;
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
        };
        let keep = |page_hits: Vec<Hit>, new: &[u128]| {
            let new: rustc_hash::FxHashSet<u128> = new.iter().copied().collect();
            hits.extend(
                page_hits
                    .into_iter()
                    .filter(|h| new.contains(&h.trace_id) && seen.insert(h.trace_id)),
            );
            Ok(())
        };
        let page_limit = q.limit.min(room as u32);
        let got = window::collect(w, page_limit, room, q.max_searches(), search, keep)?;
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

/// `Err(Cancelled)` once `c` is set.
fn check_cancel(b: &Backend, c: Option<&AtomicBool>) -> Result<(), BackendError> {
    if cancelled(c) {
        return Err(cancelled_error(b));
    }
    Ok(())
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
            let got = window::collect(
                w,
                q.limit,
                q.max_traces,
                q.max_searches(),
                |win, limit| {
                    check_cancel(backend, opts.cancel)?;
                    let page = search_page(backend, opts.cancel, q.page(win, limit), tempo::search);
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
                let search = |win, limit| {
                    check_cancel(backend, opts.cancel)?;
                    let page = jaeger_page(backend, opts.cancel, q, &service, win, limit);
                    bump(&|p| p.searches += 1);
                    page
                };
                let keep = |payload: Option<Fetched>, _: &[u128]| {
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
                };
                let page_limit = q.limit.min(room as u32);
                let got = window::collect(w, page_limit, room, sq.max_searches(), search, keep)?;
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

/// One Jaeger search of `service` in `win`.
fn jaeger_page(
    backend: &Arc<Backend>,
    cancel: Option<&AtomicBool>,
    q: &Query,
    service: &str,
    win: Window,
    limit: u32,
) -> Result<window::Page<Option<Fetched>>, BackendError> {
    let page = Query {
        service: Some(service.to_string()),
        ..q.page(win, limit)
    };
    search_page(backend, cancel, page, jaeger::search)
}

/// One search request (`Query::page`), cancellable; a window too large to answer is cut.
fn search_page<T: Default + Send + 'static>(
    backend: &Arc<Backend>,
    cancel: Option<&AtomicBool>,
    page: Query,
    search: fn(&Backend, &Query) -> Result<window::Page<T>, BackendError>,
) -> Result<window::Page<T>, BackendError> {
    let win = page.search_window(SystemTime::now());
    cut_if_too_large(cancellable(backend, cancel, move |b| search(b, &page)), win)
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
pub(super) fn cancellable<T: Send + 'static>(
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
        check_cancel(backend, cancel)?;
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
pub fn warn_all(store: &mut Store, input: u16, input_name: &str, warnings: &[String]) {
    for w in warnings {
        store
            .diag
            .warn(WarningKind::Incomplete, input_name, Position::Unknown, w);
        store.inputs[input as usize].warnings += 1;
    }
}
