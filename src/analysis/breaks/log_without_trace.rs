//! `log_without_trace` (issue 12): a record with no trace id written by a service while one of
//! its SERVER or CONSUMER spans was open — a logger not given the request's context. One
//! sweep over the request spans by start and the records by time
//! (`Store::innermost_open`): O((spans + records) log spans).

use rayon::prelude::*;

use super::{Break, BreakKind, Ctx, Facts, brk, name};
use crate::model::{NONE, Store};

/// Bodies are quoted up to this many characters in a message.
const QUOTED_CHARS: usize = 120;

pub(super) fn find(ctx: &Ctx) -> Vec<Break> {
    let store = ctx.store;
    // Records are sorted by (trace id, time): those without one come first, in time order.
    let without = store.logs.partition_point(|l| l.trace_id == 0);
    if without == 0 {
        return Vec::new();
    }
    let mut requests: Vec<u32> = (0..store.spans.len() as u32)
        .into_par_iter()
        .filter(|&i| store.span(i).kind.is_incoming())
        .collect();
    requests.par_sort_unstable_by_key(|&i| (store.span(i).start, i));
    let records: Vec<u32> = (0..without as u32).collect();
    let placed = store.innermost_open(&requests, &records);
    records
        .into_iter()
        .zip(placed)
        .filter(|&(_, s)| s != NONE)
        .map(|(k, s)| brk(BreakKind::LogWithoutTrace, s, None, Facts::Log(k)))
        .collect()
}

pub(super) fn message(store: &Store, b: &Break) -> String {
    let Facts::Log(k) = b.facts else {
        return String::new();
    };
    if k as usize >= store.logs.len() {
        return String::new();
    }
    let body = store.log_body(k);
    let mut quoted: String = body.chars().take(QUOTED_CHARS).collect();
    if body.chars().nth(QUOTED_CHARS).is_some() {
        quoted.push('…');
    }
    format!(
        "{} logged \"{}\" inside {} without a trace id: is the logger taking the request's \
         context?",
        store.log_service(k),
        quoted,
        name(store, b.span)
    )
}
