//! What to search: the query, its time window, and the command line's times and ids.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::window::Window;

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

    /// One search request of this query: `window`, at most `limit` traces listed.
    pub fn page(&self, window: Window, limit: u32) -> Query {
        Query {
            window: Some(window),
            limit,
            ..self.clone()
        }
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
