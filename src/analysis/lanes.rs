//! Lanes by goroutine: the layout of the Trace tab's lanes mode, built once per trace (never per
//! frame). One lane group per goroutine of each process (goroutine ids are per process), spans
//! without a goroutine id in one "unknown" group per service, groups under a header row per
//! service; inside a group, spans stacked by nesting into rows where no two bars overlap.
//! Wherever a child runs on another lane than its parent (a goroutine or process hop), and
//! wherever a span lost its parent (a stale parent, a detached root, a call that did not
//! propagate, a parent not loaded), an arrow says where control came from.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};

use rustc_hash::FxHashMap;

use super::breaks::BreakKind;
use super::flame::{Chart, FlameIndex, Timed, Via};
use super::span_graph::{SpanEdge, hop_kind};
use crate::model::{NONE, Store};

/// What a row of the lanes chart holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    /// The header of a service (index into `Store::index.services`): no bars.
    Service(u32),
    /// Row `k` of lane group `group`.
    Lane { group: u32, k: u32 },
}

/// The spans of one goroutine of one process, or the spans of a service with no goroutine id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LaneGroup {
    /// Service index (into `Store::index.services`).
    pub service: u32,
    /// Process (index into `Store::processes`); `NONE` for the unknown group of a service.
    pub process: u32,
    /// `None`: the service's spans without a goroutine id.
    pub goroutine: Option<i64>,
    pub spans: u32,
    /// The group's rows are `first_row..first_row + rows`.
    pub first_row: u32,
    pub rows: u32,
    /// The service has groups of more than one process in this layout: labels name the process.
    pub multi_process: bool,
}

/// One span's bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LaneBar {
    pub span: u32,
    pub start: u64,
    /// Never before `start`.
    pub end: u64,
    pub row: u32,
    pub group: u32,
    /// The arrow into this bar (index into `LaneLayout::arrows`), `NONE` when none.
    pub arrow: u32,
}

impl Timed for LaneBar {
    fn start(&self) -> u64 {
        self.start
    }
    fn end(&self) -> u64 {
        self.end
    }
}

/// Why an arrow is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ArrowKind {
    /// Same process, both goroutine ids known and different.
    GoroutineHop,
    /// Another process or service.
    ProcessHop,
    /// Same process, another lane, but one goroutine id is unknown: no hop claimed.
    OtherLane,
    /// Same process (not PRODUCER→CONSUMER), the child started more than the tolerance after
    /// its parent ended: the arrow comes from the end of a bar long finished.
    StaleParent,
    /// The root of a `detached_root` break: from the span it was started in when that span's
    /// trace is drawn (stitched), else from nowhere.
    DetachedRoot,
    /// The server root of a `propagation_break`: from the client call when drawn, else from
    /// nowhere.
    PropagationBreak,
    /// A span whose parent is not loaded: from nowhere.
    MissingParent,
    /// A root linked to a span of another trace drawn with it (stitched): the context was
    /// carried on purpose, not lost.
    Link,
}

impl ArrowKind {
    /// What the arrow says, for a tooltip.
    pub fn describe(self) -> &'static str {
        match self {
            ArrowKind::GoroutineHop => "goroutine hop from its parent",
            ArrowKind::ProcessHop => "process hop from its parent",
            ArrowKind::OtherLane => "another lane than its parent (a goroutine id is unknown)",
            ArrowKind::StaleParent => "stale parent: started after its parent had ended",
            ArrowKind::DetachedRoot => {
                "detached root: started inside a request with a new trace (detached_root)"
            }
            ArrowKind::PropagationBreak => {
                "reached by a call that did not propagate its context (propagation_break)"
            }
            ArrowKind::MissingParent => "its parent is not loaded (orphan_span)",
            ArrowKind::Link => "a new trace linked to this span (span link, not a break)",
        }
    }
}

/// Where control came from: `from` (a bar, or `NONE` for a stub from nowhere) at `from_time`,
/// to bar `to` at `to_time` (its start).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrow {
    pub from: u32,
    pub to: u32,
    pub from_time: u64,
    pub to_time: u64,
    pub kind: ArrowKind,
}

/// The lanes layout of the traces of one flame chart (the trace, and the traces stitched to it).
#[derive(Debug, Clone, Default)]
pub struct LaneLayout {
    /// The bars, a chart row for each of `rows` (none on a service's header row).
    chart: Chart<LaneBar>,
    /// In drawing order.
    pub groups: Vec<LaneGroup>,
    pub rows: Vec<Row>,
    pub arrows: Vec<Arrow>,
}

/// The lanes are read as their chart: its bars, rows and times.
impl std::ops::Deref for LaneLayout {
    type Target = Chart<LaneBar>;

    fn deref(&self) -> &Chart<LaneBar> {
        &self.chart
    }
}

/// A lane group's identity while building: (service, process or `NONE`, goroutine).
type GroupKey = (u32, u32, Option<i64>);

impl LaneLayout {
    /// Lays out the spans of `traces` (`traces[0]` is the trace shown) into lanes; a span
    /// with a `stale_parent` break gets its arrow from its parent's finished bar.
    pub fn build(store: &Store, fx: &FlameIndex, traces: &[u32]) -> Self {
        let mut spans: Vec<u32> = Vec::new();
        for &t in traces {
            if let Some(info) = store.index.traces.get(t as usize) {
                spans.extend(info.range().map(|i| i as u32));
            }
        }
        let trace = traces.first().copied().unwrap_or(NONE);
        let mut layout = LaneLayout::default();
        if spans.is_empty() {
            layout.chart = Chart::empty(trace, traces.to_vec());
            return layout;
        }
        let depth = tree_depths(store, &spans);

        // Groups, and the first start of each service and process (to order them by time).
        let mut group_of: FxHashMap<GroupKey, u32> = FxHashMap::default();
        let mut members: Vec<Vec<Member>> = Vec::new();
        let mut keys: Vec<GroupKey> = Vec::new();
        let mut first: FxHashMap<(u32, u32), u64> = FxHashMap::default();
        for (k, &i) in spans.iter().enumerate() {
            let s = store.span(i);
            let service = store.service_idx(i);
            let process = store.process_of(i);
            let key = match s.goroutine() {
                Some(g) => (service, process, Some(g)),
                None => (service, NONE, None),
            };
            let g = *group_of.entry(key).or_insert_with(|| {
                keys.push(key);
                members.push(Vec::new());
                (keys.len() - 1) as u32
            });
            members[g as usize].push(Member {
                start: s.start,
                end: s.end.max(s.start),
                depth: depth[k],
                span: i,
                row: 0,
            });
            for at in [(service, NONE), (service, process)] {
                let t = first.entry(at).or_insert(s.start);
                *t = (*t).min(s.start);
            }
        }
        let group_first = |g: usize| members[g].iter().map(|m| m.start).min().unwrap_or(0);
        let firsts: Vec<u64> = (0..keys.len()).map(group_first).collect();
        let mut order: Vec<u32> = (0..keys.len() as u32).collect();
        order.sort_by_key(|&g| {
            let (service, process, gid) = keys[g as usize];
            let of = |p| first.get(&(service, p)).copied().unwrap_or(0);
            (
                of(NONE),
                service,
                gid.is_none(),
                of(process),
                process,
                firsts[g as usize],
                gid,
            )
        });
        let mut processes: FxHashMap<u32, BTreeSet<u32>> = FxHashMap::default();
        for &(service, process, _) in &keys {
            if process != NONE {
                processes.entry(service).or_default().insert(process);
            }
        }

        // Rows: a header per service, then each group's rows.
        // (row, start, span, group, end): sorted by the first three without touching spans.
        let mut placed: Vec<(u32, u64, u32, u32, u64)> = Vec::with_capacity(spans.len());
        let mut last_service = NONE;
        for &g in &order {
            let (service, process, goroutine) = keys[g as usize];
            if service != last_service {
                layout.rows.push(Row::Service(service));
                last_service = service;
            }
            let first_row = layout.rows.len() as u32;
            let group = layout.groups.len() as u32;
            let list = &mut members[g as usize];
            let rows = stack(store, list);
            placed.extend(
                list.iter()
                    .map(|m| (first_row + m.row, m.start, m.span, group, m.end)),
            );
            layout
                .rows
                .extend((0..rows).map(|k| Row::Lane { group, k }));
            layout.groups.push(LaneGroup {
                service,
                process,
                goroutine,
                spans: list.len() as u32,
                first_row,
                rows,
                multi_process: processes.get(&service).is_some_and(|p| p.len() > 1),
            });
        }
        placed.sort_unstable_by_key(|&(r, start, i, _, _)| (r, start, i));
        let bar_of_span = placed
            .iter()
            .enumerate()
            .map(|(k, &(_, _, i, _, _))| (i, k as u32))
            .collect();
        let bars = placed
            .into_iter()
            .map(|(r, start, i, group, end)| LaneBar {
                span: i,
                start,
                end,
                row: r,
                group,
                arrow: NONE,
            })
            .collect();
        let rows = layout.rows.len();
        layout.chart = Chart::new(trace, traces.to_vec(), bars, bar_of_span, rows, |b| b.row);
        layout.arrows(store, fx);
        layout
    }

    /// One arrow into each bar whose control came from elsewhere: its parent on another lane,
    /// a stale parent, or a lost one.
    fn arrows(&mut self, store: &Store, fx: &FlameIndex) {
        for to in 0..self.bars.len() as u32 {
            let b = self.bars[to as usize];
            let s = store.span(b.span);
            let arrow = match store.parent(b.span) {
                Some(p) => {
                    let Some(from) = self.bar_of_span(p) else {
                        continue;
                    };
                    let pb = self.bars[from as usize];
                    let hop = hop_kind(store, p, b.span);
                    let kind = if fx.has_stale_parent(b.span) {
                        ArrowKind::StaleParent
                    } else if pb.group == b.group {
                        continue;
                    } else {
                        match hop {
                            SpanEdge::GoroutineHop => ArrowKind::GoroutineHop,
                            SpanEdge::ProcessHop => ArrowKind::ProcessHop,
                            SpanEdge::SameGoroutine | SpanEdge::Link => ArrowKind::OtherLane,
                        }
                    };
                    Arrow {
                        from,
                        to,
                        from_time: b.start.clamp(pb.start, pb.end),
                        to_time: b.start,
                        kind,
                    }
                }
                None if s.parent_id != 0 && s.parent_id != s.span_id => Arrow {
                    from: NONE,
                    to,
                    from_time: b.start,
                    to_time: b.start,
                    kind: ArrowKind::MissingParent,
                },
                None => continue,
            };
            self.push(arrow);
        }
        // Roots that lost their parent across traces: from the span they belong under when
        // its trace is drawn too, else from nowhere.
        for k in 0..self.traces.len() {
            for st in fx.stitches(self.traces[k]) {
                let kind = match st.via {
                    Via::Break {
                        kind: BreakKind::DetachedRoot,
                        ..
                    } => ArrowKind::DetachedRoot,
                    Via::Break {
                        kind: BreakKind::PropagationBreak,
                        ..
                    } => ArrowKind::PropagationBreak,
                    Via::Link => ArrowKind::Link,
                    Via::Break { .. } => continue,
                };
                let Some(to) = self.bar_of_span(st.root) else {
                    continue;
                };
                let b = self.bars[to as usize];
                if b.arrow != NONE {
                    continue;
                }
                let (from, from_time) = match self.bar_of_span(st.holder) {
                    Some(h) => {
                        let hb = self.bars[h as usize];
                        (h, b.start.clamp(hb.start, hb.end))
                    }
                    None => (NONE, b.start),
                };
                self.push(Arrow {
                    from,
                    to,
                    from_time,
                    to_time: b.start,
                    kind,
                });
            }
        }
    }

    fn push(&mut self, a: Arrow) {
        self.chart.bars[a.to as usize].arrow = self.arrows.len() as u32;
        self.arrows.push(a);
    }

    /// The label of group `g`: `g500 · 12 spans`, `unknown · 3 spans`, with the process's
    /// instance when the service has several.
    pub fn group_label(&self, store: &Store, g: u32) -> String {
        let Some(grp) = self.groups.get(g as usize) else {
            return String::new();
        };
        let mut label = match grp.goroutine {
            Some(id) => format!("g{id}"),
            None => "unknown".to_string(),
        };
        label.push_str(" · ");
        label.push_str(&crate::units::count(u64::from(grp.spans), "span"));
        if grp.multi_process
            && let Some(p) = store.processes.get(grp.process as usize)
            && !store.str(p.key).is_empty()
        {
            label.push_str(" · ");
            label.push_str(store.str(p.key));
        }
        label
    }
}

/// Depth of each of `spans` in its trace's tree (0 for roots and for spans no root reaches),
/// by one pass from the roots down.
fn tree_depths(store: &Store, spans: &[u32]) -> Vec<u32> {
    let pos: FxHashMap<u32, usize> = spans.iter().enumerate().map(|(k, &i)| (i, k)).collect();
    let mut depth = vec![0u32; spans.len()];
    let mut queue: Vec<u32> = spans
        .iter()
        .copied()
        .filter(|&i| store.parent(i).is_none())
        .collect();
    let mut seen = vec![false; spans.len()];
    let mut at = 0;
    while at < queue.len() {
        let i = queue[at];
        at += 1;
        let d = pos.get(&i).map_or(0, |&k| depth[k]);
        for &c in store.children(i) {
            if let Some(&k) = pos.get(&c)
                && !seen[k]
            {
                seen[k] = true;
                depth[k] = d + 1;
                queue.push(c);
            }
        }
    }
    depth
}

/// A span of a group while it is stacked, with the times it sorts by (copied, so sorting does
/// not reach into the store's spans at random).
struct Member {
    start: u64,
    end: u64,
    /// Depth in its trace's tree.
    depth: u32,
    span: u32,
    /// Row within the group, once stacked.
    row: u32,
}

/// Stacks the spans of one group into rows by nesting: in start order (an enclosing span
/// first), each span goes to the first free row below its parent's when the parent is in the
/// group, else to the first free row; a row is free once its last bar ended. Sets each
/// member's row; returns how many rows the group uses.
fn stack(store: &Store, list: &mut [Member]) -> u32 {
    list.sort_unstable_by_key(|m| (m.start, Reverse(m.end), m.depth, m.span));
    let mut busy: BinaryHeap<Reverse<(u64, u32)>> = BinaryHeap::new();
    let mut free: BTreeSet<u32> = BTreeSet::new();
    let mut rows = 0u32;
    let mut in_group: FxHashMap<u32, u32> = FxHashMap::default();
    for m in list.iter_mut() {
        let (i, start, end) = (m.span, m.start, m.end);
        while let Some(&Reverse((e, r))) = busy.peek() {
            if e > start {
                break;
            }
            busy.pop();
            free.insert(r);
        }
        let want = store
            .parent(i)
            .and_then(|p| in_group.get(&p))
            .map_or(0, |&r| r + 1);
        let r = match free.range(want..).next().copied() {
            Some(r) => {
                free.remove(&r);
                r
            }
            None => {
                rows += 1;
                rows - 1
            }
        };
        busy.push(Reverse((end, r)));
        in_group.insert(i, r);
        m.row = r;
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::super::breaks::{Break, Facts};
    use super::super::testkit::{GATEWAY, Kit, MS, ORDER, ORDER_2, goroutine as g, idx};
    use super::super::{Analysis, Options};
    use super::*;
    use crate::model::SpanKind::{Client, Consumer, Internal, Producer, Server};

    fn build(store: &Store, breaks: Vec<Break>, traces: &[u32]) -> LaneLayout {
        let analysis = Analysis::with_breaks(store, &Options::default(), breaks);
        let fx = FlameIndex::new(store, &analysis);
        LaneLayout::build(store, &fx, traces)
    }

    /// The bar of span `id` of `trace`.
    fn bar(store: &Store, l: &LaneLayout, trace: u128, id: u64) -> LaneBar {
        let b = l.bar_of_span(idx(store, trace, id)).expect("span drawn");
        l.bars[b as usize]
    }

    /// The arrow into span `id` of `trace`: (kind, span it comes from, or `None`).
    fn arrow_into(
        store: &Store,
        l: &LaneLayout,
        trace: u128,
        id: u64,
    ) -> Option<(ArrowKind, Option<u64>)> {
        let b = bar(store, l, trace, id);
        let a = l.arrows.get(b.arrow as usize)?;
        assert_eq!(l.bars[a.to as usize].span, b.span);
        let from = (a.from != NONE).then(|| store.span(l.bars[a.from as usize].span).span_id);
        Some((a.kind, from))
    }

    fn labels(store: &Store, l: &LaneLayout) -> Vec<String> {
        (0..l.groups.len() as u32)
            .map(|g| l.group_label(store, g))
            .collect()
    }

    #[test]
    fn groups_by_goroutine_and_process_with_an_unknown_group_per_service() {
        let (mut k, [gw, o1, o2]) = Kit::with_services([GATEWAY, ORDER, ORDER_2]);
        k.span(gw, 1, 1, 0, (0, 100), Server, "POST /orders", &g(7));
        k.span(gw, 1, 2, 1, (5, 95), Client, "CreateOrder", &g(7));
        // Goroutine 500 in two processes of order-svc: two groups.
        k.span(o1, 1, 3, 2, (10, 50), Server, "CreateOrder", &g(500));
        k.span(o2, 1, 4, 2, (10, 60), Server, "CreateOrder", &g(500));
        // No goroutine id, in both processes: one unknown group of order-svc.
        k.span(o1, 1, 5, 3, (20, 30), Internal, "validate", &[]);
        k.span(o2, 1, 6, 4, (20, 40), Internal, "validate", &[]);
        let store = k.store();
        let l = build(&store, Vec::new(), &[0]);
        assert_eq!(
            labels(&store, &l),
            vec![
                "g7 · 2 spans",
                "g500 · 1 span · order-1",
                "g500 · 1 span · order-2",
                "unknown · 2 spans",
            ]
        );
        let svc = |name: &str| {
            (0..store.index.services.len() as u32)
                .find(|&s| store.str(store.index.services[s as usize]) == name)
                .expect("service")
        };
        // A header per service, in order of first start, then its groups.
        assert_eq!(
            l.rows
                .iter()
                .filter_map(|r| match r {
                    Row::Service(s) => Some(*s),
                    Row::Lane { .. } => None,
                })
                .collect::<Vec<_>>(),
            vec![svc("api-gateway"), svc("order-svc")]
        );
        assert_eq!(l.rows[0], Row::Service(svc("api-gateway")));
        let unknown = l.groups[3];
        assert_eq!((unknown.process, unknown.goroutine), (NONE, None));
        assert_eq!(bar(&store, &l, 1, 5).group, 3);
        assert_eq!(bar(&store, &l, 1, 6).group, 3);
        // The two unknown spans overlap: two rows.
        assert_eq!(unknown.rows, 2);
        assert_ne!(bar(&store, &l, 1, 5).row, bar(&store, &l, 1, 6).row);
        assert_eq!(l.bars.len(), 6);
        assert_eq!((l.start, l.end), (0, 100 * MS));
    }

    #[test]
    fn nesting_stacks_within_a_group_without_overlap() {
        let (mut k, [s]) = Kit::with_services([ORDER]);
        k.span(s, 1, 1, 0, (0, 100), Server, "root", &g(1));
        k.span(s, 1, 2, 1, (10, 40), Internal, "a", &g(1));
        k.span(s, 1, 3, 2, (15, 20), Internal, "a.1", &g(1));
        // Sequential after a: back on the row under root.
        k.span(s, 1, 4, 1, (50, 60), Internal, "b", &g(1));
        // Overlaps a without nesting in it (bad instrumentation): another row.
        k.span(s, 1, 5, 1, (30, 45), Internal, "c", &g(1));
        // A worker goroutine: hops from root, its own group, rows from 0.
        k.span(s, 1, 6, 1, (20, 70), Internal, "worker", &g(2));
        k.span(s, 1, 7, 6, (25, 30), Internal, "worker.step", &g(2));
        let store = k.store();
        let l = build(&store, Vec::new(), &[0]);
        let at = |id| {
            let b = bar(&store, &l, 1, id);
            (b.group, b.row - l.groups[b.group as usize].first_row)
        };
        assert_eq!(at(1), (0, 0));
        assert_eq!(at(2), (0, 1));
        assert_eq!(at(3), (0, 2));
        assert_eq!(at(4), (0, 1));
        assert_eq!(at(5), (0, 2), "first free row under its parent's");
        assert_eq!(at(6), (1, 0));
        assert_eq!(at(7), (1, 1));
        assert_eq!(l.groups[0].rows, 3);
        // No two bars of a row overlap, and rows are sorted by start.
        for k in 0..l.row_count() {
            let r = &l.bars[l.row(k)];
            assert!(
                r.windows(2).all(|w| w[0].end <= w[1].start),
                "row {k}: {r:?}"
            );
            assert!(r.iter().all(|b| b.row as usize == k));
        }
        // Hit test and culling by row.
        let row2 = l.groups[0].first_row as usize + 2;
        let hit = |t, tol| {
            l.bar_at(row2, t * MS, tol * MS)
                .map(|b| store.span(l.bars[b as usize].span).span_id)
        };
        assert_eq!(hit(16, 0), Some(3));
        assert_eq!(hit(35, 0), Some(5));
        assert_eq!(hit(25, 2), None);
        assert_eq!(l.visible(row2, 21 * MS, 29 * MS).len(), 0);
        assert_eq!(l.visible(row2, 19 * MS, 31 * MS).len(), 2);
    }

    #[test]
    fn arrows_mark_hops_across_goroutines_and_processes_only() {
        let (mut k, [gw, pay]) = Kit::with_services([GATEWAY, ("payment-svc", "pay-1")]);
        k.span(gw, 1, 1, 0, (0, 100), Server, "POST /orders", &g(7));
        k.span(gw, 1, 2, 1, (5, 20), Internal, "same", &g(7));
        k.span(gw, 1, 3, 1, (30, 90), Client, "charge", &g(8));
        k.span(pay, 1, 4, 3, (35, 85), Server, "POST /pay", &g(8));
        k.span(pay, 1, 5, 4, (40, 50), Internal, "no-id", &[]);
        let store = k.store();
        let l = build(&store, Vec::new(), &[0]);
        assert_eq!(arrow_into(&store, &l, 1, 1), None);
        assert_eq!(arrow_into(&store, &l, 1, 2), None, "same goroutine");
        assert_eq!(
            arrow_into(&store, &l, 1, 3),
            Some((ArrowKind::GoroutineHop, Some(1)))
        );
        assert_eq!(
            arrow_into(&store, &l, 1, 4),
            Some((ArrowKind::ProcessHop, Some(3))),
            "goroutine 8 of another process is another lane"
        );
        assert_eq!(
            arrow_into(&store, &l, 1, 5),
            Some((ArrowKind::OtherLane, Some(4)))
        );
        assert_eq!(l.arrows.len(), 3);
        // A hop arrow leaves the parent where the child starts.
        let a = l.arrows[bar(&store, &l, 1, 3).arrow as usize];
        assert_eq!((a.from_time, a.to_time), (30 * MS, 30 * MS));
    }

    #[test]
    fn a_stale_parent_comes_from_a_lane_long_finished() {
        let (mut k, [inv, kafka]) =
            Kit::with_services([("inventory-svc", "inv-1"), ("consumer", "c-1")]);
        k.span(inv, 1, 1, 0, (0, 100), Server, "Reserve", &g(10));
        // A pooled goroutine runs work for this request 2 s after it ended.
        k.span(
            inv,
            1,
            2,
            1,
            (2100, 2200),
            Internal,
            "stock.Reserve",
            &g(500),
        );
        // The same goroutine, same as the parent's, also stale: still an arrow.
        k.span(inv, 1, 3, 1, (3000, 3010), Internal, "late", &g(10));
        // Messaging after the producer ended is no stale parent: a process hop.
        k.span(inv, 1, 4, 1, (50, 60), Producer, "publish", &g(10));
        k.span(kafka, 1, 5, 4, (500, 600), Consumer, "consume", &g(1));
        // Within the tolerance: no arrow.
        k.span(inv, 1, 6, 1, (100, 101), Internal, "just-after", &g(10));
        let store = k.store();
        let breaks = super::super::breaks::find_breaks(&store, &Options::default());
        let l = build(&store, breaks, &[0]);
        assert_eq!(
            arrow_into(&store, &l, 1, 2),
            Some((ArrowKind::StaleParent, Some(1)))
        );
        let a = l.arrows[bar(&store, &l, 1, 2).arrow as usize];
        assert_eq!(
            (a.from_time, a.to_time),
            (100 * MS, 2100 * MS),
            "from the parent's end"
        );
        assert_eq!(
            arrow_into(&store, &l, 1, 3),
            Some((ArrowKind::StaleParent, Some(1)))
        );
        assert_eq!(
            arrow_into(&store, &l, 1, 5),
            Some((ArrowKind::ProcessHop, Some(4)))
        );
        assert_eq!(arrow_into(&store, &l, 1, 6), None);
        assert_eq!(labels(&store, &l)[..2], ["g10 · 4 spans", "g500 · 1 span"]);
    }

    #[test]
    fn detached_roots_and_orphans_come_from_nowhere_or_their_holder() {
        let (mut k, [o]) = Kit::with_services([ORDER]);
        k.span(o, 1, 1, 0, (0, 100), Server, "CreateOrder", &g(1));
        k.span(o, 2, 2, 0, (30, 80), Internal, "audit.Write", &g(268));
        k.span(o, 2, 3, 2, (35, 40), Internal, "audit.step", &g(268));
        k.span(o, 3, 4, 0xdead, (10, 20), Internal, "orphan", &g(3));
        let store = k.store();
        let (t1, t2, t3) = (
            store.index.span_trace[idx(&store, 1, 1) as usize],
            store.index.span_trace[idx(&store, 2, 2) as usize],
            store.index.span_trace[idx(&store, 3, 4) as usize],
        );
        let breaks = vec![Break {
            kind: BreakKind::DetachedRoot,
            span: idx(&store, 2, 2),
            related: Some(idx(&store, 1, 1)),
            facts: Facts::None,
        }];
        // The detached trace alone: a stub from nowhere.
        let alone = build(&store, breaks.clone(), &[t2]);
        assert_eq!(
            arrow_into(&store, &alone, 2, 2),
            Some((ArrowKind::DetachedRoot, None))
        );
        assert_eq!(arrow_into(&store, &alone, 2, 3), None);
        assert_eq!(alone.arrows.len(), 1);
        // Stitched with the request it was started in: from the request's lane.
        let both = build(&store, breaks, &[t1, t2]);
        assert_eq!(
            arrow_into(&store, &both, 2, 2),
            Some((ArrowKind::DetachedRoot, Some(1)))
        );
        assert_eq!(both.arrows.len(), 1, "listed under both traces, drawn once");
        // An orphan: from nowhere.
        let orphan = build(&store, Vec::new(), &[t3]);
        assert_eq!(
            arrow_into(&store, &orphan, 3, 4),
            Some((ArrowKind::MissingParent, None))
        );
        let empty = build(&store, Vec::new(), &[99]);
        assert_eq!((empty.bars.len(), empty.row_count()), (0, 0));
    }
}
