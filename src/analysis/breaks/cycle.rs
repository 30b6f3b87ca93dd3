//! `parent_cycle`: spans whose parent links lead back to themselves (A's parent is B, B's
//! parent is A), so no root reaches them and no tree can be drawn. One break per cycle, on its
//! span with the lowest id, naming how many spans the cycle holds.

use super::{Break, BreakKind, Ctx, Facts, brk, name, short_trace};
use crate::model::TraceInfo;
use crate::model::ids::span_hex;

/// Spans of the cycle named in the message, at most.
const NAMED: usize = 3;

/// Each span's parent link is followed once (a walk stops at a span already walked), so a
/// trace costs O(n) however long its chains and cycles are, with no recursion.
pub(super) fn check(ctx: &Ctx, t: &TraceInfo, out: &mut Vec<Break>) {
    const NEW: u8 = 0;
    const ON_PATH: u8 = 1;
    const DONE: u8 = 2;
    let store = ctx.store;
    let base = t.start_idx;
    let mut state = vec![NEW; t.len as usize];
    let mut path: Vec<u32> = Vec::new();
    for first in t.range() {
        let mut at = Some(first as u32);
        path.clear();
        while let Some(i) = at
            && state[(i - base) as usize] == NEW
        {
            state[(i - base) as usize] = ON_PATH;
            path.push(i);
            at = store.parent(i);
        }
        // The walk stopped at a span of its own path: from there on, the path is a cycle.
        if let Some(i) = at
            && state[(i - base) as usize] == ON_PATH
            && let Some(k) = path.iter().position(|&s| s == i)
        {
            out.push(cycle_break(ctx, &path[k..]));
        }
        for &s in &path {
            state[(s - base) as usize] = DONE;
        }
    }
}

fn cycle_break(ctx: &Ctx, cycle: &[u32]) -> Break {
    let store = ctx.store;
    let lowest = cycle
        .iter()
        .copied()
        .min_by_key(|&i| (store.span(i).span_id, i))
        .unwrap_or(cycle[0]);
    let named: Vec<String> = cycle
        .iter()
        .take(NAMED)
        .map(|&i| format!("\"{}\" {}", name(store, i), span_hex(store.span(i).span_id)))
        .collect();
    let more = if cycle.len() > NAMED { " → …" } else { "" };
    brk(
        BreakKind::ParentCycle,
        lowest,
        store.parent(lowest),
        Facts::Text(
            format!(
                "{} spans of trace {} are each other's ancestors ({}{more} → back to the \
                 first): their parent ids loop, so no root reaches them",
                cycle.len(),
                short_trace(store.span(lowest).trace_id),
                named.join(" → ")
            )
            .into(),
        ),
    )
}
