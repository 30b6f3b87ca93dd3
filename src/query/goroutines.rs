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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Options;
    use crate::analysis::breaks::{BreakKind, find_breaks};
    use crate::analysis::testkit::{Kit, goroutine as g};
    use crate::model::SpanKind;

    /// Stale children of two processes of one service: only the goroutine with several in one
    /// process is a group; the same id in another process, another goroutine and a span
    /// without a goroutine id stay single.
    #[test]
    fn one_goroutine_of_one_process_with_several_breaks_is_a_group() {
        let (mut kit, [a, b]) = Kit::with_services([("inventory", "i1"), ("inventory", "i2")]);
        let (server, job) = (SpanKind::Server, SpanKind::Internal);
        kit.span(a, 1, 1, 0, (0, 10), server, "old", &[]);
        kit.span(b, 2, 1, 0, (0, 10), server, "old", &[]);
        for (id, at) in [(2, 1_000), (3, 2_000)] {
            kit.span(a, 1, id, 1, (at, at + 5), job, "stock.Reserve", &g(500));
        }
        kit.span(a, 1, 4, 1, (3_000, 3_005), job, "stock.Reserve", &g(7));
        kit.span(a, 1, 5, 1, (4_000, 4_005), job, "stock.Reserve", &[]);
        kit.span(b, 2, 2, 1, (1_000, 1_005), job, "stock.Reserve", &g(500));
        let store = kit.store();
        let breaks = find_breaks(&store, &Options::default());
        let stale: Vec<u32> = (0..breaks.len() as u32)
            .filter(|&k| breaks[k as usize].kind == BreakKind::StaleParent)
            .collect();
        assert_eq!(stale.len(), 5);
        let found = groups(&store, &breaks, &stale);
        let ids = |g: &GoroutineGroup| -> Vec<(u128, u64)> {
            g.breaks
                .iter()
                .map(|&k| {
                    let s = store.span(breaks[k as usize].span);
                    (s.trace_id, s.span_id)
                })
                .collect()
        };
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].goroutine, 500);
        assert_eq!(
            found[0].process,
            store.process_of(breaks[stale[0] as usize].span)
        );
        assert_eq!(ids(&found[0]), [(1, 2), (1, 3)]);
    }
}
