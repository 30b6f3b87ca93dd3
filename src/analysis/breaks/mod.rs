//! Breaks: the places where trace context was lost or timing does not add up (spec §5).
//!
//! `find_breaks` runs the per-span detectors in parallel over the traces, and the cross-trace
//! ones (`propagation_break`/`unmatched_client`, `detached_root`, `stale_parent`) over indexes
//! built once, then sorts everything by kind, trace id and span id so that two runs print the
//! same bytes.

mod conversion_error;
mod cycle;
mod detached;
mod ids;
mod log_without_trace;
mod open;
mod orphan;
mod propagation;
mod stale;
mod timing;

use rayon::prelude::*;
use serde::Serialize;

use super::Options;
use super::keys::Keys;
use super::links::SpanLinks;
use crate::model::{Store, Sym};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakKind {
    OrphanSpan,
    ParentCycle,
    PropagationBreak,
    DetachedRoot,
    SpanOutlivesParent,
    StaleParent,
    ConversionError,
    ClockSkew,
    InvalidId,
    DuplicateSpan,
    UnmatchedClient,
    LogWithoutTrace,
}

impl BreakKind {
    pub const ALL: [BreakKind; 12] = [
        BreakKind::OrphanSpan,
        BreakKind::ParentCycle,
        BreakKind::PropagationBreak,
        BreakKind::DetachedRoot,
        BreakKind::SpanOutlivesParent,
        BreakKind::StaleParent,
        BreakKind::ConversionError,
        BreakKind::ClockSkew,
        BreakKind::InvalidId,
        BreakKind::DuplicateSpan,
        BreakKind::UnmatchedClient,
        BreakKind::LogWithoutTrace,
    ];

    /// The spec name (`orphan_span`, ...).
    pub fn name(self) -> &'static str {
        match self {
            BreakKind::OrphanSpan => "orphan_span",
            BreakKind::ParentCycle => "parent_cycle",
            BreakKind::PropagationBreak => "propagation_break",
            BreakKind::DetachedRoot => "detached_root",
            BreakKind::SpanOutlivesParent => "span_outlives_parent",
            BreakKind::StaleParent => "stale_parent",
            BreakKind::ConversionError => "conversion_error",
            BreakKind::ClockSkew => "clock_skew",
            BreakKind::InvalidId => "invalid_id",
            BreakKind::DuplicateSpan => "duplicate_span",
            BreakKind::UnmatchedClient => "unmatched_client",
            BreakKind::LogWithoutTrace => "log_without_trace",
        }
    }

    pub fn from_name(s: &str) -> Option<BreakKind> {
        BreakKind::ALL.into_iter().find(|k| k.name() == s)
    }

    pub fn severity(self) -> Severity {
        match self {
            BreakKind::OrphanSpan
            | BreakKind::ParentCycle
            | BreakKind::PropagationBreak
            | BreakKind::DetachedRoot
            | BreakKind::ConversionError => Severity::Error,
            BreakKind::SpanOutlivesParent
            | BreakKind::StaleParent
            | BreakKind::InvalidId
            | BreakKind::DuplicateSpan
            | BreakKind::LogWithoutTrace => Severity::Warning,
            BreakKind::ClockSkew | BreakKind::UnmatchedClient => Severity::Info,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

/// One break. `span` and `related` are indexes into `Store::spans`; the report turns them
/// into hex ids, service and span name. The message is written from the store and `facts`
/// only when it is shown (`message`): a dump with skewed clocks has a break on half its
/// spans, and formatting and holding all their messages up front cost more than finding them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    pub kind: BreakKind,
    pub span: u32,
    pub related: Option<u32>,
    pub facts: Facts,
}

/// What a detector measured that the message needs and the store does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Facts {
    /// The message says only what the store holds (names, ids, flags, attributes).
    None,
    /// `span_outlives_parent`: how long the span ran past its parent's end; `stale_parent`:
    /// how long after its parent's end it started.
    Late(u64),
    /// `clock_skew`: how long the span started before and ended after its parent, 0 where
    /// within the tolerance.
    Skew { early: u64, late: u64 },
    /// `detached_root`: the spans of other traces open at the root's start.
    Candidates(u32),
    /// `unmatched_client`: the attribute value that names the traced peer.
    Peer(Sym),
    /// `log_without_trace`: the record (index into `Store::logs`).
    Log(u32),
    /// The message itself: a parent cycle's (rare, it names a path of spans).
    Text(Box<str>),
}

impl Break {
    /// The message in plain words. Empty for a span index outside `store` (a detector bug),
    /// as the report prints empty names for it.
    pub fn message(&self, store: &Store) -> String {
        let n = store.spans.len() as u32;
        if self.span >= n || self.related.is_some_and(|r| r >= n) {
            return String::new();
        }
        match (&self.facts, self.kind) {
            (Facts::Text(t), _) => t.to_string(),
            (_, BreakKind::OrphanSpan) => orphan::message(store, self.span),
            (_, BreakKind::SpanOutlivesParent | BreakKind::ClockSkew) => {
                timing::message(store, self)
            }
            (_, BreakKind::StaleParent) => stale::message(store, self),
            (_, BreakKind::ConversionError) => conversion_error::message(store, self.span),
            (_, BreakKind::InvalidId | BreakKind::DuplicateSpan) => ids::message(store, self),
            (_, BreakKind::DetachedRoot) => detached::message(store, self),
            (_, BreakKind::PropagationBreak | BreakKind::UnmatchedClient) => {
                propagation::message(store, self)
            }
            (_, BreakKind::LogWithoutTrace) => log_without_trace::message(store, self),
            (_, BreakKind::ParentCycle) => String::new(),
        }
    }
}

/// Every break in an indexed store (call after `Store::build_index`), sorted by kind, trace
/// id and span id.
pub fn find_breaks(store: &Store, opts: &Options) -> Vec<Break> {
    find_breaks_linked(store, opts, &SpanLinks::build(store))
}

/// `find_breaks` with the store's span links already resolved.
pub fn find_breaks_linked(store: &Store, opts: &Options, links: &SpanLinks) -> Vec<Break> {
    let ctx = Ctx::new(store, opts, links);
    let ((mut out, detached), ((cross, logs), stale)) = rayon::join(
        || rayon::join(|| per_span(&ctx), || detached::find(&ctx)),
        || {
            rayon::join(
                || rayon::join(|| propagation::find(&ctx), || log_without_trace::find(&ctx)),
                || stale::find(&ctx),
            )
        },
    );
    out.extend(detached);
    out.extend(stale);
    out.extend(cross);
    out.extend(logs);
    out.par_sort_unstable_by_key(|b| {
        let s = store.span(b.span);
        (b.kind, s.trace_id, s.span_id, b.span, b.related)
    });
    out
}

/// The detectors that look at one span and its parent, run trace by trace.
fn per_span(ctx: &Ctx) -> Vec<Break> {
    ctx.store
        .index
        .traces
        .par_iter()
        .flat_map_iter(|t| {
            let mut out = Vec::new();
            cycle::check(ctx, t, &mut out);
            for i in t.range() {
                let i = i as u32;
                orphan::check(ctx, i, &mut out);
                timing::check(ctx, i, &mut out);
                conversion_error::check(ctx, i, &mut out);
                ids::check(ctx, i, &mut out);
            }
            out
        })
        .collect()
}

/// What every detector reads: the store, its interned keys, its span links and the options.
struct Ctx<'s> {
    store: &'s Store,
    keys: Keys,
    links: &'s SpanLinks,
    tolerance: u64,
    exception: Option<Sym>,
}

impl<'s> Ctx<'s> {
    fn new(store: &'s Store, opts: &Options, links: &'s SpanLinks) -> Self {
        Ctx {
            store,
            keys: Keys::new(store),
            links,
            tolerance: opts.tolerance_ns,
            exception: store.strings.get("exception"),
        }
    }
}

/// What a detector finds in `store` with the default options, and the steps it counted (for
/// the detectors' n log n tests).
#[cfg(test)]
fn find_counted(store: &Store, find: fn(&Ctx) -> Vec<Break>) -> (Vec<Break>, u64) {
    let links = SpanLinks::build(store);
    let ctx = Ctx::new(store, &Options::default(), &links);
    crate::model::ops::counted(|| find(&ctx))
}

fn brk(kind: BreakKind, span: u32, related: Option<u32>, facts: Facts) -> Break {
    Break {
        kind,
        span,
        related,
        facts,
    }
}

/// A span's name, for messages.
fn name(store: &Store, i: u32) -> &str {
    store.str(store.span(i).name)
}

/// A duration for messages: `850 ns`, `12.5 µs`, `3.2 ms`, `1.5 s`. Displayed in place, so a
/// message is one allocation (the report writes one per break).
struct Ns(u64);

impl std::fmt::Display for Ns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (ns, x) = (self.0, self.0 as f64);
        if ns < 1_000 {
            write!(f, "{ns} ns")
        } else if ns < 1_000_000 {
            write!(f, "{:.1} µs", x / 1e3)
        } else if ns < 1_000_000_000 {
            write!(f, "{:.1} ms", x / 1e6)
        } else {
            write!(f, "{:.1} s", x / 1e9)
        }
    }
}

/// The first 8 hex digits of a trace id, for messages (the report carries the full id).
fn short_trace(id: u128) -> String {
    let mut hex = [0; 8];
    format!("{}…", crate::model::ids::hex_digits(id >> 96, &mut hex))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_trace_prefixes_read_well() {
        assert_eq!(Ns(850).to_string(), "850 ns");
        assert_eq!(Ns(12_500).to_string(), "12.5 µs");
        assert_eq!(Ns(3_200_000).to_string(), "3.2 ms");
        assert_eq!(Ns(1_500_000_000).to_string(), "1.5 s");
        assert_eq!(short_trace(0x4bf92f3577b34da6a3ce929d0e0e4736), "4bf92f35…");
    }
}
