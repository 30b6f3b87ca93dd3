//! `orphan_span`: a span whose parent id names no loaded span of its trace.

use super::{Break, BreakKind, Ctx, Facts, brk, name};
use crate::model::Store;
use crate::model::ids::span_hex;

/// A span naming itself as its parent has no usable parent either (the store links it to
/// none), so it is reported here rather than left out of the tree without a word.
pub(super) fn check(ctx: &Ctx, i: u32, out: &mut Vec<Break>) {
    let store = ctx.store;
    let s = store.span(i);
    if s.parent_id == 0 || store.parent(i).is_some() {
        return;
    }
    out.push(brk(BreakKind::OrphanSpan, i, None, Facts::None));
}

pub(super) fn message(store: &Store, i: u32) -> String {
    let s = store.span(i);
    if s.parent_id == s.span_id {
        format!(
            "\"{}\" in {} names itself as its parent",
            name(store, i),
            store.service_name(i)
        )
    } else {
        format!(
            "\"{}\" in {} has parent {} which is not in the trace: the parent span was not \
             exported, was sampled out or was lost",
            name(store, i),
            store.service_name(i),
            span_hex(s.parent_id)
        )
    }
}
