//! "The other half": a break often points outside what was pulled. For each
//! `propagation_break`, `detached_root` and `unmatched_client`, the callee's service is
//! searched in the call's time window; each trace with an `orphan_span` is fetched again (its
//! parent may have arrived since). What comes back joins the session, and the breaks it
//! explains name the backend as their source. Bounded in requests.

use std::sync::Arc;

use rustc_hash::FxHashSet;

use super::window::Window;
use super::{Backend, BackendError, Fetched, Kind, PullOptions, Query, Summary};
use crate::analysis::Analysis;
use crate::analysis::breaks::{Break, BreakKind, Facts};
use crate::model::Store;

/// Requests at most for the other half of one session's breaks.
pub const DEFAULT_MAX_REQUESTS: u32 = 50;
/// Traces asked for per search of a callee's window.
const SEARCH_LIMIT: u32 = 20;
/// Seconds added on each side of a call's window: spans are rounded to seconds, and a
/// callee's clock may be off.
const SLACK_S: i64 = 1;

/// One thing to ask the backend.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Ask {
    /// The traces of `service` in `window`.
    Search { service: String, window: Window },
    /// One trace again.
    Trace(u128),
}

/// What to ask for the breaks of an indexed `store`, each thing once, in break order.
pub fn plan(store: &Store, analysis: &Analysis) -> Vec<Ask> {
    let mut seen = FxHashSet::default();
    let mut asks = Vec::new();
    for b in &analysis.breaks {
        let ask = match b.kind {
            BreakKind::OrphanSpan => Some(Ask::Trace(store.span(b.span).trace_id)),
            BreakKind::PropagationBreak | BreakKind::DetachedRoot | BreakKind::UnmatchedClient => {
                callee_search(store, b)
            }
            _ => None,
        };
        if let Some(a) = ask
            && seen.insert(a.clone())
        {
            asks.push(a);
        }
    }
    asks
}

/// The callee of a break: the related span's service, else the peer an unmatched client
/// names; its window: the interval of both spans.
fn callee_search(store: &Store, b: &Break) -> Option<Ask> {
    let service = match (b.related, &b.facts) {
        (Some(r), _) => store.service_name(r).to_string(),
        (None, Facts::Peer(p)) => store.str(*p).to_string(),
        _ => return None,
    };
    let spans = std::iter::once(b.span).chain(b.related);
    let start = spans.clone().map(|i| store.span(i).start).min()?;
    let end = spans.map(|i| store.span(i).end).max()?;
    let s = |ns: u64| (ns / 1_000_000_000) as i64;
    Some(Ask::Search {
        service,
        window: Window {
            start: s(start) - SLACK_S,
            end: s(end) + SLACK_S,
        },
    })
}

/// What `follow` did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Followed {
    pub asks: usize,
    /// Asks not made: the request bound was reached.
    pub skipped: usize,
    pub summary: Summary,
}

/// `follow` within `DEFAULT_MAX_REQUESTS`, each answer's spans added to `into` as input `input`.
pub fn follow_into(
    backend: &Arc<Backend>,
    store: &Store,
    asks: &[Ask],
    opts: &PullOptions,
    into: &mut Store,
    input: u16,
) -> Result<Followed, BackendError> {
    let sink = &mut |f: Fetched| {
        for b in f.batches {
            into.add_batch(b, input);
        }
    };
    follow(backend, store, asks, DEFAULT_MAX_REQUESTS, opts, sink)
}

/// Asks the backend for what `plan` says, within `max_requests` requests; traces already in
/// `store` (indexed) are not fetched again, except those asked for by id, and each answer
/// goes to `sink` without the spans `store` holds.
pub fn follow(
    backend: &Arc<Backend>,
    store: &Store,
    asks: &[Ask],
    max_requests: u32,
    opts: &PullOptions,
    sink: &mut dyn FnMut(Fetched),
) -> Result<Followed, BackendError> {
    let start_requests = backend.requests();
    let spent = || (backend.requests() - start_requests) as u32;
    let mut out = Followed {
        asks: asks.len(),
        ..Followed::default()
    };
    let mut known: FxHashSet<u128> = store.index.traces.iter().map(|t| t.id).collect();
    // A trace fetched again, or found again by a search, brings only the spans not loaded yet
    // (an identical copy would merge, but a span with an invalid id would count twice).
    let mut kept = 0u64;
    let mut sink = |mut f: Fetched| {
        for b in &mut f.batches {
            b.spans
                .retain(|s| store.find_span(s.trace_id, s.span_id).is_none());
        }
        kept += f.spans();
        sink(f)
    };
    let sink: &mut dyn FnMut(Fetched) = &mut sink;
    for (n, ask) in asks.iter().enumerate() {
        let room = max_requests.saturating_sub(spent());
        if room == 0 {
            out.skipped = asks.len() - n;
            break;
        }
        let q = match ask {
            Ask::Trace(id) => Query {
                trace_ids: vec![*id],
                ..Query::default()
            },
            Ask::Search { service, window } => Query {
                traceql: None,
                service: Some(service.clone()),
                window: Some(*window),
                limit: SEARCH_LIMIT.min(room),
                max_traces: SEARCH_LIMIT.min(room) as usize,
                ..Query::default()
            },
        };
        let sum = match (ask, backend.kind()) {
            (Ask::Search { .. }, Kind::Tempo) => {
                // Search once, then fetch only the traces not in the session.
                let w = q.window.unwrap_or(Window { start: 0, end: 0 });
                let sq = q.clone();
                let page = super::cancellable(backend, opts.cancel, move |b| {
                    super::tempo::search(b, &sq)
                })?;
                let room = max_requests.saturating_sub(spent()) as usize;
                let ids = super::window::take_new(page.ids, &mut known, room);
                let mut sum = Summary {
                    searches: 1,
                    ..Summary::default()
                };
                if !ids.is_empty() {
                    let fq = Query {
                        trace_ids: ids,
                        window: Some(w),
                        ..Query::default()
                    };
                    let got = super::pull(backend, &fq, opts, sink)?;
                    sum.found = got.found;
                    sum.fetched = got.fetched;
                    sum.spans = got.spans;
                    sum.not_found = got.not_found;
                }
                sum
            }
            // A Jaeger search answers with the spans: one request per ask.
            _ => super::pull(backend, &q, opts, sink)?,
        };
        add(&mut out.summary, &sum);
    }
    // The spans that joined the session, not those the answers held.
    out.summary.spans = kept;
    if out.skipped > 0 {
        out.summary.warnings.push(format!(
            "the other half: {} not made (the bound of {max_requests} requests was reached)",
            crate::units::count(out.skipped as u64, "request")
        ));
    }
    Ok(out)
}

fn add(to: &mut Summary, s: &Summary) {
    to.searches += s.searches;
    to.found += s.found;
    to.fetched += s.fetched;
    to.spans += s.spans;
    to.not_found += s.not_found;
    to.warnings.extend(s.warnings.iter().cloned());
}

/// Whether a break's evidence came from the backend's other half: its span or related span
/// was read into input `input` (the one `follow`'s answers were added to).
pub fn from_backend(store: &Store, b: &Break, input: u16) -> bool {
    std::iter::once(b.span)
        .chain(b.related)
        .any(|i| store.span(i).input == input)
}
