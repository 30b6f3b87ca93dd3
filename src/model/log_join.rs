//! The join of log records to the spans and traces they name, once after indexing: records
//! are sorted by (trace id, time), the traces already are by id, so one merge pass finds each
//! record's trace; a span id is looked up in the trace's id-sorted spans.

use std::collections::BinaryHeap;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::log::{Join, LogRecord};
use super::store::{NONE, Store, group_by_owner};

/// The counts of the report's `logs` object (spec §7).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct LogCounts {
    pub records: u64,
    pub joined_to_span: u64,
    pub joined_to_trace: u64,
    pub unknown_trace: u64,
    pub without_trace: u64,
}

impl Store {
    /// A record that names no service, read from an input whose spans are all of one service,
    /// is that service's: a service's console output (`go run ./cmd/order-svc 2>&1 |
    /// tracetopo -`) holds its spans and its logger's JSON lines, which seldom name the
    /// service; without it a line logged inside a request could not be told from one logged
    /// by nobody (spec §1). One pass over spans and records.
    fn adopt_input_service(&mut self) {
        let Some(unknown) = self.strings.get("unknown_service") else {
            return;
        };
        let lacks = |l: &LogRecord| self.resources[l.resource as usize].service == unknown;
        if !self.logs.iter().any(lacks) {
            return;
        }
        // Per input: the resource of its spans' one service, `Some(None)` when they have
        // several, `None` when it has no spans.
        let mut only: Vec<Option<Option<u32>>> = vec![None; self.inputs.len()];
        for s in &self.spans {
            let Some(slot) = only.get_mut(s.input as usize) else {
                continue;
            };
            match *slot {
                None => *slot = Some(Some(s.resource)),
                Some(Some(r))
                    if self.resources[r as usize].service
                        != self.resources[s.resource as usize].service =>
                {
                    *slot = Some(None);
                }
                _ => {}
            }
        }
        for l in &mut self.logs {
            if self.resources[l.resource as usize].service == unknown
                && let Some(Some(Some(r))) = only.get(l.input as usize)
            {
                l.resource = *r;
            }
        }
    }

    /// Sorts the records and places each (`Index::log_span`, `log_join`, `span_logs`).
    /// Called by `build_index`.
    pub(crate) fn join_logs(&mut self) {
        self.adopt_input_service();
        self.logs
            .par_sort_unstable_by_key(|l| (l.trace_id, l.time, l.span_id, l.input, l.body.start));
        let n = self.logs.len();
        let mut log_span = vec![NONE; n];
        let mut log_join = vec![Join::WithoutTrace; n];
        let traces = &self.index.traces;
        let mut t = 0usize;
        let mut i = 0usize;
        while i < n {
            let id = self.logs[i].trace_id;
            let run_end = i + self.logs[i..].partition_point(|l| l.trace_id == id);
            if id != 0 {
                while t < traces.len() && traces[t].id < id {
                    t += 1;
                }
                if t < traces.len() && traces[t].id == id {
                    let mut unplaced = Vec::new();
                    for k in i..run_end {
                        let l = &self.logs[k];
                        match (l.span_id != 0)
                            .then(|| self.find_span(id, l.span_id))
                            .flatten()
                        {
                            Some(s) => {
                                log_span[k] = s;
                                log_join[k] = Join::Span;
                            }
                            None => {
                                log_join[k] = Join::Trace;
                                unplaced.push(k as u32);
                            }
                        }
                    }
                    if !unplaced.is_empty() {
                        let range = traces[t].range();
                        let spans: Vec<u32> = (range.start as u32..range.end as u32).collect();
                        let placed = self.innermost_open(&spans, &unplaced);
                        for (k, s) in unplaced.iter().zip(placed) {
                            log_span[*k as usize] = s;
                        }
                    }
                } else {
                    log_join[i..run_end].fill(Join::UnknownTrace);
                }
            }
            i = run_end;
        }

        let (start, span_logs) = group_by_owner(&log_span, self.spans.len());
        self.index.log_span = log_span;
        self.index.log_join = log_join;
        self.index.span_log_start = start;
        self.index.span_logs = span_logs;
    }

    /// For each record of `logs` (indexes into `Store::logs`, in time order), the
    /// latest-starting span of `spans` (indexes sorted by start) of the record's service open
    /// at its time, or `NONE`. One sweep: a span is pushed when the sweep passes its start and
    /// dropped once a record comes after its end, so the cost is O((spans + logs) log spans).
    pub fn innermost_open(&self, spans: &[u32], logs: &[u32]) -> Vec<u32> {
        let mut open: FxHashMap<u32, BinaryHeap<(u64, u32)>> = FxHashMap::default();
        let mut next = 0usize;
        logs.iter()
            .map(|&k| {
                let l = &self.logs[k as usize];
                while next < spans.len() && self.spans[spans[next] as usize].start <= l.time {
                    let s = spans[next];
                    open.entry(self.service_idx(s))
                        .or_default()
                        .push((self.spans[s as usize].start, s));
                    next += 1;
                }
                let Some(heap) = open.get_mut(&self.log_service_idx(k)) else {
                    return NONE;
                };
                while let Some(&(_, s)) = heap.peek() {
                    if self.spans[s as usize].end >= l.time {
                        return s;
                    }
                    heap.pop();
                }
                NONE
            })
            .collect()
    }

    pub fn log(&self, k: u32) -> &LogRecord {
        &self.logs[k as usize]
    }

    /// The body as text (bodies are stored as UTF-8; anything else shows replaced).
    pub fn log_body(&self, k: u32) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.log_bytes[self.logs[k as usize].body.range()])
    }

    pub fn log_attrs(&self, k: u32) -> &[super::attr::Attr] {
        &self.attrs[self.logs[k as usize].attrs.range()]
    }

    /// Service number (into `index.services`) of record `k`.
    pub fn log_service_idx(&self, k: u32) -> u32 {
        self.index.service_of_resource[self.logs[k as usize].resource as usize]
    }

    pub fn log_service(&self, k: u32) -> &str {
        self.str(self.resources[self.logs[k as usize].resource as usize].service)
    }

    /// The records placed on span `i`, in time order.
    pub fn span_logs(&self, i: u32) -> &[u32] {
        match (
            self.index.span_log_start.get(i as usize),
            self.index.span_log_start.get(i as usize + 1),
        ) {
            (Some(&a), Some(&b)) => &self.index.span_logs[a as usize..b as usize],
            _ => &[],
        }
    }

    /// How the records were joined (valid after `build_index`).
    pub fn log_counts(&self) -> LogCounts {
        let mut c = LogCounts {
            records: self.logs.len() as u64,
            ..LogCounts::default()
        };
        for j in &self.index.log_join {
            match j {
                Join::Span => c.joined_to_span += 1,
                Join::Trace => c.joined_to_trace += 1,
                Join::UnknownTrace => c.unknown_trace += 1,
                Join::WithoutTrace => c.without_trace += 1,
            }
        }
        c
    }
}
