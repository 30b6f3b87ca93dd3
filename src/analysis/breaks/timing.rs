//! `span_outlives_parent` (same process) and `clock_skew` (across processes): a child whose
//! times do not fit inside its parent's.

use super::{Break, BreakKind, Ctx, Facts, brk, fmt_ns, name};
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
        if ends_late {
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

pub(super) fn message(store: &Store, b: &Break) -> String {
    let (i, p) = (b.span, b.related.unwrap_or(b.span));
    match b.facts {
        Facts::Late(late) => format!(
            "\"{}\" in {} ended {} after its parent \"{}\": async work nobody waited \
             for, the trace looked finished before it was",
            name(store, i),
            store.service_name(i),
            fmt_ns(late),
            name(store, p)
        ),
        Facts::Skew { early, late } => {
            let mut what = Vec::new();
            if early > 0 {
                what.push(format!("starts {} before", fmt_ns(early)));
            }
            if late > 0 {
                what.push(format!("ends {} after", fmt_ns(late)));
            }
            format!(
                "\"{}\" in {} {} its parent \"{}\" in {}: the two hosts' clocks probably disagree",
                name(store, i),
                store.service_name(i),
                what.join(" and "),
                name(store, p),
                store.service_name(p)
            )
        }
        _ => String::new(),
    }
}
