//! Counters the receiver and the live store update and the status line reads.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

#[derive(Debug, Default)]
pub struct Stats {
    pub requests: AtomicU64,
    /// Spans accepted (handed to the store or the recorder).
    pub spans: AtomicU64,
    /// Spans a request carried that could not be kept (reported as partial success).
    pub rejected_spans: AtomicU64,
    /// Requests answered 400 (bad payload).
    pub bad_requests: AtomicU64,
    /// Requests answered 413 (over the size limit).
    pub too_large: AtomicU64,
    /// Requests answered 415 (unknown content type or encoding).
    pub unsupported: AtomicU64,
    /// Requests answered 429 / RESOURCE_EXHAUSTED with retry advice (in-flight budget taken).
    pub busy: AtomicU64,
    /// Spans the live store holds now.
    pub held: AtomicU64,
    /// Spans evicted by the retention limit.
    pub evicted_spans: AtomicU64,
    pub evicted_traces: AtomicU64,
    /// Log records of no held trace evicted by the retention limit (those of held traces go
    /// with their trace).
    pub evicted_logs: AtomicU64,
}

/// A copy of the counters at one moment.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StatsSnapshot {
    pub requests: u64,
    pub spans: u64,
    pub rejected_spans: u64,
    pub bad_requests: u64,
    pub too_large: u64,
    pub unsupported: u64,
    pub busy: u64,
    pub held: u64,
    pub evicted_spans: u64,
    pub evicted_traces: u64,
    pub evicted_logs: u64,
}

impl Stats {
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            requests: self.requests.load(Relaxed),
            spans: self.spans.load(Relaxed),
            rejected_spans: self.rejected_spans.load(Relaxed),
            bad_requests: self.bad_requests.load(Relaxed),
            too_large: self.too_large.load(Relaxed),
            unsupported: self.unsupported.load(Relaxed),
            busy: self.busy.load(Relaxed),
            held: self.held.load(Relaxed),
            evicted_spans: self.evicted_spans.load(Relaxed),
            evicted_traces: self.evicted_traces.load(Relaxed),
            evicted_logs: self.evicted_logs.load(Relaxed),
        }
    }

    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Relaxed);
    }
}

impl StatsSnapshot {
    /// Requests refused whole (400, 413, 415, 429).
    pub fn refused_requests(&self) -> u64 {
        self.bad_requests + self.too_large + self.unsupported + self.busy
    }
}
