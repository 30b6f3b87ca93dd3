//! `span_outlives_parent` (same process) and `clock_skew` (across processes): a child whose
//! times do not fit inside its parent's.

use super::{Break, BreakKind, Ctx, brk, fmt_ns};
use crate::model::SpanKind;

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
                format!(
                    "\"{}\" in {} ended {} after its parent \"{}\": async work nobody waited \
                     for, the trace looked finished before it was",
                    ctx.name(i),
                    store.service_name(i),
                    fmt_ns(late),
                    ctx.name(p)
                ),
            ));
        }
        return;
    }
    let early = parent.start.saturating_sub(child.start);
    let starts_early = early > ctx.tolerance;
    if !starts_early && !ends_late {
        return;
    }
    let mut what = Vec::new();
    if starts_early {
        what.push(format!("starts {} before", fmt_ns(early)));
    }
    if ends_late {
        what.push(format!("ends {} after", fmt_ns(late)));
    }
    out.push(brk(
        BreakKind::ClockSkew,
        i,
        Some(p),
        format!(
            "\"{}\" in {} {} its parent \"{}\" in {}: the two hosts' clocks probably disagree",
            ctx.name(i),
            store.service_name(i),
            what.join(" and "),
            ctx.name(p),
            store.service_name(p)
        ),
    ));
}
