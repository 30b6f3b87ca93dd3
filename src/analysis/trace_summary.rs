//! Per-trace summary rows for the trace list (root, timing, counts, break kinds, the services
//! and span names each trace holds), built once per session; and the frame-path query the
//! flame graph's "filter traces by frame" asks.

use rayon::prelude::*;

use super::breaks::{Break, BreakKind};
use crate::model::{StatusCode, Store, Sym, TraceInfo, span::flags};

/// One trace, summarised for listing, sorting and filtering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceSummary {
    /// Number of the trace in `store.index.traces`.
    pub trace: u32,
    /// The span the trace is named after: its first true root (no parent id) by start time,
    /// else its first span whose parent is missing, else its first span.
    pub root: u32,
    pub start: u64,
    pub duration_ns: u64,
    pub spans: u32,
    /// Distinct services (numbers into `store.index.services`), sorted.
    pub services: Vec<u32>,
    /// Spans with status Error.
    pub errors: u32,
    /// Breaks whose `span` lies in this trace.
    pub breaks: u32,
    /// Bit `k` set when a break of kind `BreakKind::ALL[k]` lies in this trace.
    pub break_kinds: u16,
    /// Distinct span names, sorted by symbol.
    pub names: Vec<Sym>,
}

impl TraceSummary {
    pub fn has_break_kind(&self, kind: BreakKind) -> bool {
        self.break_kinds & kind_bit(kind) != 0
    }
}

fn kind_bit(kind: BreakKind) -> u16 {
    let k = BreakKind::ALL.iter().position(|&x| x == kind).unwrap_or(0);
    1 << k
}

/// One summary per trace of an indexed store, in `index.traces` order.
pub fn summarize(store: &Store, breaks: &[Break]) -> Vec<TraceSummary> {
    let traces = &store.index.traces;
    let mut counts = vec![(0u32, 0u16); traces.len()];
    for b in breaks {
        let t = store.index.span_trace.get(b.span as usize).copied();
        if let Some(c) = t.and_then(|t| counts.get_mut(t as usize)) {
            c.0 += 1;
            c.1 |= kind_bit(b.kind);
        }
    }
    traces
        .par_iter()
        .zip(counts.par_iter())
        .enumerate()
        .map(|(t, (info, &(breaks, break_kinds)))| {
            summarize_one(store, t as u32, info, breaks, break_kinds)
        })
        .collect()
}

/// The span trace `info` is named after (`TraceSummary::root`).
pub fn root_of(store: &Store, info: &TraceInfo) -> u32 {
    let spans = info.range().map(|i| i as u32);
    spans
        .clone()
        .find(|&i| store.span(i).parent_id == 0 && store.span(i).flags & flags::DUPLICATE == 0)
        .or_else(|| spans.clone().find(|&i| store.parent(i).is_none()))
        .unwrap_or(info.start_idx)
}

fn summarize_one(
    store: &Store,
    trace: u32,
    info: &TraceInfo,
    breaks: u32,
    break_kinds: u16,
) -> TraceSummary {
    let spans = info.range().map(|i| i as u32);
    let root = root_of(store, info);
    let mut services: Vec<u32> = spans.clone().map(|i| store.service_idx(i)).collect();
    services.sort_unstable();
    services.dedup();
    let mut names: Vec<Sym> = spans.clone().map(|i| store.span(i).name).collect();
    names.sort_unstable_by_key(|s| s.0);
    names.dedup();
    let errors = spans
        .filter(|&i| store.span(i).status == StatusCode::Error)
        .count() as u32;
    TraceSummary {
        trace,
        root,
        start: info.start,
        duration_ns: info.end.saturating_sub(info.start),
        spans: info.len,
        services,
        errors,
        breaks,
        break_kinds,
        names,
    }
}

/// The trace with the most breaks (the earliest such in `index.traces` order on a tie);
/// `None` when there is no trace.
pub fn most_broken(summaries: &[TraceSummary]) -> Option<u32> {
    summaries
        .iter()
        .rev()
        .max_by_key(|s| s.breaks)
        .map(|s| s.trace)
}

/// Whether trace `info` holds the frame path `path`: a span whose chain of ancestors, from a
/// span without a loaded parent down to it, has exactly these (service, span name) pairs.
/// This is how the flame graph merges frames, so a frame's traces are exactly these.
pub fn has_frame_path(store: &Store, info: &TraceInfo, path: &[(String, String)]) -> bool {
    let Some(last) = path.len().checked_sub(1) else {
        return false;
    };
    let matches = |i: u32, k: usize| {
        let (service, name) = &path[k];
        store.str(store.span(i).name) == name && store.service_name(i) == service
    };
    // Down from the spans without a loaded parent, into children that match the path so far:
    // each span is looked at once, however deep the trace (walking up from every candidate
    // would be quadratic on a deep chain of one name).
    let mut stack: Vec<(u32, usize)> = info
        .range()
        .map(|i| i as u32)
        .filter(|&i| store.parent(i).is_none() && matches(i, 0))
        .map(|i| (i, 0))
        .collect();
    while let Some((i, k)) = stack.pop() {
        if k == last {
            return true;
        }
        for &c in store.children(i) {
            if matches(c, k + 1) {
                stack.push((c, k + 1));
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{Analysis, Options};
    use crate::ingest::{LoadOptions, load_bytes};

    fn broken_sample() -> (Store, Analysis) {
        let mut store = Store::new();
        let bytes = include_bytes!("../../sample-traces/checkout-broken.json");
        if let Err(e) = load_bytes(&mut store, "broken", bytes, &LoadOptions::default()) {
            panic!("sample does not load: {e}");
        }
        store.build_index();
        let analysis = Analysis::run(&store, &Options::default());
        (store, analysis)
    }

    fn summary_of<'a>(store: &Store, rows: &'a [TraceSummary], hex: &str) -> &'a TraceSummary {
        let id = u128::from_str_radix(hex, 16).unwrap_or_default();
        let t = store
            .index
            .traces
            .iter()
            .position(|t| t.id == id)
            .unwrap_or(usize::MAX);
        match rows.get(t) {
            Some(r) => r,
            None => panic!("trace {hex} not found"),
        }
    }

    #[test]
    fn orphan_trace_is_summarised_from_the_sample_readme() {
        let (store, analysis) = broken_sample();
        let rows = summarize(&store, &analysis.breaks);
        assert_eq!(rows.len(), store.index.traces.len());
        // sample-traces/README.md: the orphan_span trace has 5 spans and its only break is
        // the orphan `SELECT acme.users`.
        let r = summary_of(&store, &rows, "6e0f1a2b3c4d4e5f8a9b0c1d2e3f4a51");
        assert_eq!(r.spans, 5);
        assert_eq!(r.breaks, 1);
        assert!(r.has_break_kind(BreakKind::OrphanSpan));
        assert!(!r.has_break_kind(BreakKind::DetachedRoot));
        assert!(store.span(r.root).parent_id == 0);
        let names: Vec<&str> = r.names.iter().map(|&s| store.str(s)).collect();
        assert!(names.contains(&"SELECT acme.users"), "{names:?}");
        let info = &store.index.traces[r.trace as usize];
        assert_eq!(r.duration_ns, info.end - info.start);
    }

    #[test]
    fn break_counts_add_up_and_the_most_broken_trace_has_the_most() {
        let (store, analysis) = broken_sample();
        let rows = summarize(&store, &analysis.breaks);
        let total: u32 = rows.iter().map(|r| r.breaks).sum();
        assert_eq!(total as usize, analysis.breaks.len());
        let best = most_broken(&rows).unwrap_or(u32::MAX);
        let max = rows.iter().map(|r| r.breaks).max().unwrap_or(0);
        assert!(max > 0);
        assert_eq!(rows[best as usize].breaks, max);
        // Ties go to the first trace in index order.
        let first_max = rows
            .iter()
            .position(|r| r.breaks == max)
            .unwrap_or(usize::MAX);
        assert_eq!(best as usize, first_max);
        assert_eq!(most_broken(&[]), None);
    }

    #[test]
    fn frame_paths_follow_the_parent_chain_from_a_root() {
        let (store, _) = broken_sample();
        let t = store.trace(0x6e0f1a2b3c4d4e5f8a9b0c1d2e3f4a51);
        let Some(info) = t else {
            panic!("orphan trace missing");
        };
        // Pick a child span with a parent and build its path by hand.
        let child = info
            .range()
            .map(|i| i as u32)
            .find(|&i| store.parent(i).is_some_and(|p| store.parent(p).is_none()));
        let Some(child) = child else {
            panic!("no depth-1 span in the orphan trace");
        };
        let Some(parent) = store.parent(child) else {
            panic!("child without parent");
        };
        let pair = |i: u32| {
            (
                store.service_name(i).to_string(),
                store.str(store.span(i).name).to_string(),
            )
        };
        assert!(has_frame_path(&store, info, &[pair(parent), pair(child)]));
        assert!(has_frame_path(&store, info, &[pair(parent)]));
        // The child alone is not a path from a root.
        assert!(!has_frame_path(&store, info, &[pair(child)]));
        assert!(!has_frame_path(&store, info, &[pair(child), pair(parent)]));
        assert!(!has_frame_path(&store, info, &[]));
    }
}
