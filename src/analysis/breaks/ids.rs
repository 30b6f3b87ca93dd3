//! `invalid_id` and `duplicate_span`: what the readers and the store flagged on a span's ids.

use super::{Break, BreakKind, Ctx, Facts, brk, name, short_trace};
use crate::model::Store;
use crate::model::ids::span_hex;
use crate::model::span::flags;

pub(super) fn check(ctx: &Ctx, i: u32, out: &mut Vec<Break>) {
    let store = ctx.store;
    let s = store.span(i);
    if s.flags & (flags::BAD_TRACE_ID | flags::BAD_SPAN_ID | flags::BAD_PARENT_ID) != 0 {
        out.push(brk(BreakKind::InvalidId, i, None, Facts::None));
    }
    if s.flags & flags::DUPLICATE != 0 {
        out.push(brk(
            BreakKind::DuplicateSpan,
            i,
            store.find_span(s.trace_id, s.span_id),
            Facts::None,
        ));
    }
}

pub(super) fn message(store: &Store, b: &Break) -> String {
    let i = b.span;
    let s = store.span(i);
    if b.kind == BreakKind::DuplicateSpan {
        return format!(
            "span id {} appears more than once in trace {} with different contents \
             (\"{}\" in {}); both copies are kept",
            span_hex(s.span_id),
            short_trace(s.trace_id),
            name(store, i),
            store.service_name(i)
        );
    }
    let bad: Vec<&str> = [
        (flags::BAD_TRACE_ID, "trace id"),
        (flags::BAD_SPAN_ID, "span id"),
        (flags::BAD_PARENT_ID, "parent id"),
    ]
    .into_iter()
    .filter(|(f, _)| s.flags & f != 0)
    .map(|(_, what)| what)
    .collect();
    format!(
        "\"{}\" in {} has an invalid {} (all zeros or wrong length); the span is kept",
        name(store, i),
        store.service_name(i),
        bad.join(" and ")
    )
}
