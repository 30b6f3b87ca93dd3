//! `span_outlives_parent` (same process) and `clock_skew` (across processes): a child whose
//! times do not fit inside its parent's. A child of the same process that started after its
//! parent ended is `stale_parent` instead (`stale.rs`).

use std::fmt;

use super::{Break, BreakKind, Ctx, Facts, Ns, brk, name};
use crate::model::{SpanKind, Store};

pub(super) fn check(ctx: &Ctx, i: u32, out: &mut Vec<Break>) {
    let store = ctx.store;
    let Some(p) = store.parent(i) else {
        return;
    };
    let (child, parent) = (store.span(i), store.span(p));
    // A consumer legitimately runs after its producer returned.
    let async_message = parent.kind == SpanKind::Producer && child.kind == SpanKind::Consumer;
    let late = child.end.saturating_sub(parent.end);
    let ends_late = !async_message && late > ctx.tolerance;
    if store.process_of(i) == store.process_of(p) {
        // Started after the parent ended: not work the parent left running (`stale.rs`).
        let started_inside = child.start.saturating_sub(parent.end) <= ctx.tolerance;
        if ends_late && started_inside {
            out.push(brk(
                BreakKind::SpanOutlivesParent,
                i,
                Some(p),
                Facts::Late(late),
            ));
        }
        return;
    }
    let early = parent.start.saturating_sub(child.start);
    let starts_early = early > ctx.tolerance;
    if !starts_early && !ends_late {
        return;
    }
    // Past the tolerance, a gap is never 0: 0 says "within it".
    let facts = Facts::Skew {
        early: if starts_early { early } else { 0 },
        late: if ends_late { late } else { 0 },
    };
    out.push(brk(BreakKind::ClockSkew, i, Some(p), facts));
}

/// `starts … before and ends … after`: the gaps past the tolerance (the others are 0).
struct Gaps {
    early: u64,
    late: u64,
}

impl fmt::Display for Gaps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.early > 0 {
            write!(f, "starts {} before", Ns(self.early))?;
            if self.late > 0 {
                f.write_str(" and ")?;
            }
        }
        if self.late > 0 {
            write!(f, "ends {} after", Ns(self.late))?;
        }
        Ok(())
    }
}

pub(super) fn message(store: &Store, b: &Break) -> String {
    let (i, p) = (b.span, b.related.unwrap_or(b.span));
    match b.facts {
        Facts::Late(late) => format!(
            "\"{}\" in {} ended {} after its parent \"{}\": async work nobody waited \
             for, the trace looked finished before it was",
            name(store, i),
            store.service_name(i),
            Ns(late),
            name(store, p)
        ),
        Facts::Skew { early, late } => format!(
            "\"{}\" in {} {} its parent \"{}\" in {}: the two hosts' clocks probably disagree",
            name(store, i),
            store.service_name(i),
            Gaps { early, late },
            name(store, p),
            store.service_name(p)
        ),
        _ => String::new(),
    }
}
