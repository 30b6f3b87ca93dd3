//! The `stale_parent` breaks of one goroutine, together: a pooled goroutine that kept an old
//! request's context parents the work of every later request it serves to it, so one bug
//! gives a break per request. The Breaks view shows them as one group.

use crate::analysis::breaks::Break;
use crate::model::Store;

/// The breaks of one goroutine (its process and id), when it has several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoroutineGroup {
    pub process: u32,
    pub goroutine: i64,
    /// Break numbers (into `Analysis::breaks`), in break order; at least two.
    pub breaks: Vec<u32>,
}

/// The groups among `numbers` (break numbers, in break order), ordered by their first break.
/// Breaks on a span without a goroutine id are in none.
pub fn groups(store: &Store, breaks: &[Break], numbers: &[u32]) -> Vec<GoroutineGroup> {
    let mut keyed: Vec<(u32, i64, u32)> = numbers
        .iter()
        .filter_map(|&k| {
            let span = breaks.get(k as usize)?.span;
            let g = store.spans.get(span as usize)?.goroutine()?;
            Some((store.process_of(span), g, k))
        })
        .collect();
    keyed.sort_unstable();
    let mut out: Vec<GoroutineGroup> = Vec::new();
    for (process, goroutine, k) in keyed {
        match out.last_mut() {
            Some(g) if g.process == process && g.goroutine == goroutine => g.breaks.push(k),
            _ => out.push(GoroutineGroup {
                process,
                goroutine,
                breaks: vec![k],
            }),
        }
    }
    out.retain(|g| g.breaks.len() > 1);
    out.sort_unstable_by_key(|g| g.breaks[0]);
    out
}
