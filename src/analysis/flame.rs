//! Flame layouts for the app's flame views, computed once per trace or per trace filter (never
//! per frame): the flame chart layout of one trace (bars packed into non-overlapping lanes by
//! depth, orphans hung under a "missing parent" bar, traces stitched at `propagation_break` and
//! `detached_root` and joined by span links), and the flame graph aggregated over traces (spans merged by their
//! (service, span name) path from the root).

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};

use rustc_hash::FxHashMap;

use super::Analysis;
use super::breaks::BreakKind;
use super::conversion::conversion_of;
use super::span_graph::{SpanEdge, hop_kind};
use crate::model::{NONE, StatusCode, Store, Sym};

/// Bits of `Bar::marks`.
pub mod marks {
    /// The span is a conversion step (spec §3).
    pub const CONVERSION: u16 = 1;
    /// The span runs on another goroutine than its parent, in the same process.
    pub const GOROUTINE_HOP: u16 = 2;
    /// The span runs in another process or service than its parent.
    pub const PROCESS_HOP: u16 = 4;
    /// The span is the `span` of at least one break.
    pub const BREAK: u16 = 8;
    /// The span is the root of another trace, drawn under the span it belongs to.
    pub const STITCHED: u16 = 16;
    /// The span belongs to a stitched trace, not to the one the layout was built for.
    pub const FOREIGN: u16 = 32;
    /// The span's status is ERROR.
    pub const ERROR: u16 = 64;
    /// Not a span: the placeholder for a parent id that is not loaded.
    pub const MISSING_PARENT: u16 = 128;
    /// A stitched root joined by its span link (a trace started on purpose), not by a break.
    pub const LINKED: u16 = 256;
}

/// Trace joins followed from one trace when stitching, at most: a chain of stitched traces
/// in a pathological dump must not pull the whole dump into one chart.
const MAX_STITCHED_TRACES: usize = 64;

/// Minimap resolution: cells across the whole trace and at most this many rows of lanes.
pub const OVERVIEW_COLS: usize = 400;
pub const OVERVIEW_MAX_ROWS: usize = 48;
/// An overview cell covered by a "missing parent" placeholder.
pub const OVERVIEW_PLACEHOLDER: u32 = NONE - 1;

/// One trace join the chart can stitch: `root`, the root span of one trace, belongs under
/// `holder`, a span of another trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stitch {
    pub holder: u32,
    pub root: u32,
    pub via: Via,
}

/// Why a stitch joins two traces. Break joins sort first: a root both linked and broken is
/// drawn under its break's holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Via {
    /// Break `brk` (an index into `Analysis::breaks`) of this kind.
    Break { kind: BreakKind, brk: u32 },
    /// The root links to the holder (spec §5 "Span links"): the context was carried.
    Link,
}

/// What the flame views look up per span and per trace, built once per session from the
/// analysis: breaks by span, break counts by trace, and stitches by trace.
#[derive(Debug, Clone)]
pub struct FlameIndex {
    /// (span, break index), sorted.
    span_breaks: Vec<(u32, u32)>,
    /// Breaks per trace (by the trace of each break's `span`).
    trace_breaks: Vec<u32>,
    /// (trace, stitch), sorted by trace; each stitch is listed under both of its traces.
    stitches: Vec<(u32, Stitch)>,
    /// The spans with a `stale_parent` break, sorted.
    stale: Vec<u32>,
}

impl FlameIndex {
    pub fn new(store: &Store, analysis: &Analysis) -> Self {
        let trace_of = |i: u32| store.index.span_trace.get(i as usize).copied();
        let mut span_breaks = Vec::with_capacity(analysis.breaks.len());
        let mut trace_breaks = vec![0u32; store.index.traces.len()];
        let mut stitches = Vec::new();
        let mut stale = Vec::new();
        for (k, b) in analysis.breaks.iter().enumerate() {
            let k = k as u32;
            span_breaks.push((b.span, k));
            if b.kind == BreakKind::StaleParent {
                stale.push(b.span);
            }
            if let Some(n) = trace_of(b.span).and_then(|t| trace_breaks.get_mut(t as usize)) {
                *n += 1;
            }
            let joint = match (b.kind, b.related) {
                (BreakKind::PropagationBreak, Some(server)) => Some((b.span, server)),
                (BreakKind::DetachedRoot, Some(holder)) => Some((holder, b.span)),
                _ => None,
            };
            if let Some((holder, root)) = joint
                && let (Some(th), Some(tr)) = (trace_of(holder), trace_of(root))
                && th != tr
            {
                let s = Stitch {
                    holder,
                    root,
                    via: Via::Break {
                        kind: b.kind,
                        brk: k,
                    },
                };
                stitches.push((th, s));
                stitches.push((tr, s));
            }
        }
        // A linked root joins the trace of each span it links to.
        for &(root, holder) in analysis.links.pairs() {
            if store.span(root).parent_id == 0
                && let (Some(th), Some(tr)) = (trace_of(holder), trace_of(root))
                && th != tr
            {
                let s = Stitch {
                    holder,
                    root,
                    via: Via::Link,
                };
                stitches.push((th, s));
                stitches.push((tr, s));
            }
        }
        span_breaks.sort_unstable();
        stale.sort_unstable();
        stitches.sort_by_key(|&(t, s)| (t, s.via, s.holder, s.root));
        FlameIndex {
            span_breaks,
            trace_breaks,
            stitches,
            stale,
        }
    }

    /// Whether span `i` has a `stale_parent` break (its parent had ended long before).
    pub fn has_stale_parent(&self, i: u32) -> bool {
        self.stale.binary_search(&i).is_ok()
    }

    /// Indexes into `Analysis::breaks` of the breaks whose `span` is `span`.
    pub fn breaks_of(&self, span: u32) -> impl Iterator<Item = u32> + '_ {
        super::under(&self.span_breaks, span)
    }

    pub fn has_break(&self, span: u32) -> bool {
        self.breaks_of(span).next().is_some()
    }

    /// How many breaks have their `span` in trace `t`.
    pub fn break_count(&self, t: u32) -> u32 {
        self.trace_breaks.get(t as usize).copied().unwrap_or(0)
    }

    /// The stitches that join trace `t` to another trace.
    pub fn stitches(&self, t: u32) -> impl Iterator<Item = Stitch> + '_ {
        super::under(&self.stitches, t)
    }
}

/// One bar of the flame chart: a span, or the placeholder for a missing parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bar {
    /// Store index of the span; `NONE` for a missing-parent placeholder.
    pub span: u32,
    /// Bar index of the parent bar (the holder for a stitched root); `NONE` at the top level.
    pub parent: u32,
    pub start: u64,
    /// Never before `start` (a span that ends before it starts is drawn with no width).
    pub end: u64,
    pub lane: u32,
    /// Depth in the drawn tree: 0 for roots and placeholders.
    pub depth: u32,
    /// Service index (into `Store::index.services`); `NONE` for a placeholder.
    pub service: u32,
    /// `marks::*` bits.
    pub marks: u16,
}

/// The flame chart layout of one trace, optionally stitched to the traces joined to it.
///
/// Each top-level tree (a root, or a missing parent with its orphans) gets its own block of
/// lanes, blocks stacked by start time. Inside a block, the spans of each depth are packed
/// into as few lanes as their overlaps need (concurrent siblings side by side, first fit),
/// so no two bars of a lane overlap: a lane is sorted by start and by end, and the bars
/// visible in a time window are found by binary search.
#[derive(Debug, Clone, Default)]
pub struct TraceLayout {
    /// The bars, a row a lane.
    chart: Chart<Bar>,
    /// (placeholder bar, the missing parent span id), sorted by bar.
    missing: Vec<(u32, u64)>,
    /// (holder bar, stitched root bar) of each drawn stitch.
    pub joints: Vec<(u32, u32)>,
    /// Services drawn, in name order (service indexes).
    pub services: Vec<u32>,
    /// `OVERVIEW_COLS` × `overview_rows` cells, row-major: the service of the first lane
    /// covering the cell, `OVERVIEW_PLACEHOLDER`, or `NONE` when empty.
    pub overview: Vec<u32>,
    pub overview_rows: usize,
}

/// A flame chart is read as its chart: its bars, lanes and times.
impl std::ops::Deref for TraceLayout {
    type Target = Chart<Bar>;

    fn deref(&self) -> &Chart<Bar> {
        &self.chart
    }
}

/// What a tree node is while the layout is built.
#[derive(Clone, Copy)]
enum Node {
    Span(u32),
    Missing { trace: u32, parent_id: u64 },
}

impl TraceLayout {
    /// Lays out trace `t` (an index into `Store::index.traces`); with `stitch`, also the
    /// traces joined to it by stitches, each root under the span it belongs to.
    pub fn build(store: &Store, fx: &FlameIndex, t: u32, stitch: bool) -> TraceLayout {
        let mut traces = vec![t];
        if store.index.traces.get(t as usize).is_none() {
            return TraceLayout {
                chart: Chart::empty(t, traces),
                ..TraceLayout::default()
            };
        }
        let trace_of = |i: u32| store.index.span_trace.get(i as usize).copied();
        // Stitched root → (holder, joined by a link), following joins breadth first.
        let mut graft_of: FxHashMap<u32, (u32, bool)> = FxHashMap::default();
        // Further spans a drawn linked root links to: joints beside its one holder.
        let mut more_links: Vec<(u32, u32)> = Vec::new();
        if stitch {
            let mut k = 0;
            while k < traces.len() {
                for s in fx.stitches(traces[k]) {
                    let (Some(th), Some(tr)) = (trace_of(s.holder), trace_of(s.root)) else {
                        continue;
                    };
                    for other in [th, tr] {
                        if !traces.contains(&other) && traces.len() < MAX_STITCHED_TRACES {
                            traces.push(other);
                        }
                    }
                    if traces.contains(&th) && traces.contains(&tr) {
                        let link = s.via == Via::Link;
                        let (holder, _) = *graft_of.entry(s.root).or_insert((s.holder, link));
                        if link && holder != s.holder {
                            more_links.push((s.holder, s.root));
                        }
                    }
                }
                k += 1;
            }
        }
        let mut grafts_by_holder: Vec<(u32, u32, bool)> = graft_of
            .iter()
            .map(|(&root, &(holder, link))| (holder, root, link))
            .collect();
        grafts_by_holder.sort_unstable_by_key(|&(h, r, _)| (h, store.span(r).start, r));
        more_links.sort_unstable();
        more_links.dedup();

        // Top-level nodes: roots (not stitched ones), one placeholder per missing parent id.
        let mut tops: Vec<(u64, Node)> = Vec::new();
        let mut orphans: FxHashMap<(u32, u64), Vec<u32>> = FxHashMap::default();
        for &tr in &traces {
            let Some(info) = store.index.traces.get(tr as usize) else {
                continue;
            };
            for i in info.range() {
                let i = i as u32;
                let s = store.span(i);
                if store.parent(i).is_some() || graft_of.contains_key(&i) {
                    continue;
                }
                if s.parent_id == 0 || s.parent_id == s.span_id {
                    tops.push((s.start, Node::Span(i)));
                } else {
                    let list = orphans.entry((tr, s.parent_id)).or_default();
                    if list.is_empty() {
                        tops.push((
                            s.start,
                            Node::Missing {
                                trace: tr,
                                parent_id: s.parent_id,
                            },
                        ));
                    }
                    list.push(i);
                }
            }
        }
        tops.sort_by_key(|&(start, node)| match node {
            Node::Span(i) => (start, 0, i as u64),
            Node::Missing { parent_id, .. } => (start, 1, parent_id),
        });

        let mut b = Builder {
            store,
            fx,
            main: t,
            bars: Vec::new(),
            bar_of_span: FxHashMap::default(),
            missing: Vec::new(),
            joints: Vec::new(),
            lanes_used: 0,
            levels: Vec::new(),
        };
        for &(_, node) in &tops {
            b.tree(node, &orphans, &grafts_by_holder);
        }
        // Spans no root reaches (a parent cycle in bad input) become trees of their own.
        for &tr in &traces {
            let Some(info) = store.index.traces.get(tr as usize) else {
                continue;
            };
            for i in info.range() {
                if !b.bar_of_span.contains_key(&(i as u32)) {
                    b.tree(Node::Span(i as u32), &orphans, &grafts_by_holder);
                }
            }
        }
        for (holder, root) in more_links {
            if let (Some(h), Some(r)) = (b.bar_of_span.get(&holder), b.bar_of_span.get(&root)) {
                b.joints.push((*h, *r));
            }
        }
        b.finish(t, traces)
    }

    /// Spans drawn (bars that are not missing-parent placeholders).
    pub fn span_count(&self) -> usize {
        self.bars.len() - self.missing.len()
    }

    /// The missing parent id a placeholder bar stands for.
    pub fn missing_parent(&self, bar: u32) -> Option<u64> {
        self.missing
            .binary_search_by_key(&bar, |&(b, _)| b)
            .ok()
            .map(|k| self.missing[k].1)
    }

    /// Whether any trace could be stitched to the layout's trace.
    pub fn can_stitch(fx: &FlameIndex, t: u32) -> bool {
        fx.stitches(t).next().is_some()
    }
}

/// Builds bars tree by tree, packing each tree's depths into lanes.
struct Builder<'a> {
    store: &'a Store,
    fx: &'a FlameIndex,
    main: u32,
    bars: Vec<Bar>,
    bar_of_span: FxHashMap<u32, u32>,
    missing: Vec<(u32, u64)>,
    joints: Vec<(u32, u32)>,
    lanes_used: u32,
    /// Scratch: bar indices of the current tree by depth.
    levels: Vec<Vec<u32>>,
}

impl Builder<'_> {
    fn span_bar(&mut self, i: u32, parent: u32, depth: u32, stitched: bool) -> u32 {
        let store = self.store;
        let s = store.span(i);
        let mut marks = 0;
        if conversion_of(store, i).is_some() {
            marks |= marks::CONVERSION;
        }
        if self.fx.has_break(i) {
            marks |= marks::BREAK;
        }
        if s.status == StatusCode::Error {
            marks |= marks::ERROR;
        }
        if store.index.span_trace.get(i as usize) != Some(&self.main) {
            marks |= marks::FOREIGN;
        }
        if stitched {
            marks |= marks::STITCHED;
        } else if let Some(p) = self.bars.get(parent as usize).map(|b| b.span)
            && p != NONE
        {
            marks |= match hop_kind(store, p, i) {
                SpanEdge::GoroutineHop => marks::GOROUTINE_HOP,
                SpanEdge::ProcessHop => marks::PROCESS_HOP,
                SpanEdge::SameGoroutine | SpanEdge::Link => 0,
            };
        }
        let bar = self.bars.len() as u32;
        self.bars.push(Bar {
            span: i,
            parent,
            start: s.start,
            end: s.end.max(s.start),
            lane: 0,
            depth,
            service: store.service_idx(i),
            marks,
        });
        self.bar_of_span.insert(i, bar);
        if stitched {
            self.joints.push((parent, bar));
        }
        bar
    }

    /// Adds the tree under `top` (breadth first) and packs it into the next lanes.
    fn tree(
        &mut self,
        top: Node,
        orphans: &FxHashMap<(u32, u64), Vec<u32>>,
        grafts_by_holder: &[(u32, u32, bool)],
    ) {
        let store = self.store;
        self.levels.iter_mut().for_each(Vec::clear);
        let first = self.bars.len();
        match top {
            Node::Span(i) => {
                if self.bar_of_span.contains_key(&i) {
                    return;
                }
                self.span_bar(i, NONE, 0, false);
            }
            Node::Missing { trace, parent_id } => {
                let kids = orphans
                    .get(&(trace, parent_id))
                    .map_or(&[][..], Vec::as_slice);
                let start = kids.iter().map(|&i| store.span(i).start).min();
                let end = kids.iter().map(|&i| store.span(i).end).max();
                let (Some(start), Some(end)) = (start, end) else {
                    return;
                };
                let bar = self.bars.len() as u32;
                self.missing.push((bar, parent_id));
                self.bars.push(Bar {
                    span: NONE,
                    parent: NONE,
                    start,
                    end: end.max(start),
                    lane: 0,
                    depth: 0,
                    service: NONE,
                    marks: marks::MISSING_PARENT | marks::BREAK,
                });
                for &i in kids {
                    if !self.bar_of_span.contains_key(&i) {
                        self.span_bar(i, bar, 1, false);
                    }
                }
            }
        }
        // Breadth first: bars[first..] grows as children are added behind the cursor.
        let mut cursor = first;
        while cursor < self.bars.len() {
            let bar = self.bars[cursor];
            cursor += 1;
            if bar.span == NONE {
                continue;
            }
            for &c in store.children(bar.span) {
                if !self.bar_of_span.contains_key(&c) {
                    self.span_bar(c, (cursor - 1) as u32, bar.depth + 1, false);
                }
            }
            let from = grafts_by_holder.partition_point(|&(h, _, _)| h < bar.span);
            for &(h, root, link) in &grafts_by_holder[from..] {
                if h != bar.span {
                    break;
                }
                if !self.bar_of_span.contains_key(&root) {
                    let r = self.span_bar(root, (cursor - 1) as u32, bar.depth + 1, true);
                    if link {
                        self.bars[r as usize].marks |= marks::LINKED;
                    }
                }
            }
        }
        for k in first..self.bars.len() {
            let d = self.bars[k].depth as usize;
            if self.levels.len() <= d {
                self.levels.resize_with(d + 1, Vec::new);
            }
            self.levels[d].push(k as u32);
        }
        let mut base = self.lanes_used;
        let mut busy: BinaryHeap<Reverse<(u64, u32)>> = BinaryHeap::new();
        let mut free: BTreeSet<u32> = BTreeSet::new();
        for level in &mut self.levels {
            if level.is_empty() {
                continue;
            }
            let bars = &mut self.bars;
            level.sort_unstable_by_key(|&k| (bars[k as usize].start, bars[k as usize].end, k));
            busy.clear();
            free.clear();
            let mut lanes = 0u32;
            for &k in level.iter() {
                let (start, end) = (bars[k as usize].start, bars[k as usize].end);
                while let Some(&Reverse((e, lane))) = busy.peek() {
                    if e > start {
                        break;
                    }
                    busy.pop();
                    free.insert(lane);
                }
                let lane = free.pop_first().unwrap_or_else(|| {
                    lanes += 1;
                    lanes - 1
                });
                busy.push(Reverse((end, lane)));
                bars[k as usize].lane = base + lane;
            }
            base += lanes;
        }
        self.lanes_used = base;
    }

    fn finish(self, trace: u32, traces: Vec<u32>) -> TraceLayout {
        let Builder {
            bars,
            mut bar_of_span,
            mut missing,
            mut joints,
            lanes_used,
            ..
        } = self;
        let mut order: Vec<u32> = (0..bars.len() as u32).collect();
        order.sort_unstable_by_key(|&k| (bars[k as usize].lane, bars[k as usize].start, k));
        let mut new_of = vec![0u32; bars.len()];
        for (new, &old) in order.iter().enumerate() {
            new_of[old as usize] = new as u32;
        }
        let remap = |b: u32| new_of.get(b as usize).copied().unwrap_or(NONE);
        let sorted: Vec<Bar> = order
            .iter()
            .map(|&old| {
                let mut b = bars[old as usize];
                b.parent = remap(b.parent);
                b
            })
            .collect();
        bar_of_span.values_mut().for_each(|b| *b = remap(*b));
        missing.iter_mut().for_each(|m| m.0 = remap(m.0));
        missing.sort_unstable();
        joints
            .iter_mut()
            .for_each(|j| *j = (remap(j.0), remap(j.1)));
        let mut services: Vec<u32> = sorted
            .iter()
            .map(|b| b.service)
            .filter(|&s| s != NONE)
            .collect();
        services.sort_unstable();
        services.dedup();
        let mut layout = TraceLayout {
            chart: Chart::new(
                trace,
                traces,
                sorted,
                bar_of_span,
                lanes_used as usize,
                |b| b.lane,
            ),
            missing,
            joints,
            services,
            overview: Vec::new(),
            overview_rows: 0,
        };
        layout.build_overview();
        layout
    }
}

impl TraceLayout {
    /// Fills the minimap cells: each lane row, in lane order, claims the cells its bars cover.
    fn build_overview(&mut self) {
        let chart = &self.chart;
        let lanes = chart.row_count();
        let rows = lanes.min(OVERVIEW_MAX_ROWS);
        self.overview_rows = rows;
        self.overview = vec![NONE; rows * OVERVIEW_COLS];
        if rows == 0 {
            return;
        }
        let span = (chart.end - chart.start).max(1) as u128;
        let last = OVERVIEW_COLS - 1;
        let col = |t: u64| {
            ((((t - chart.start) as u128) * OVERVIEW_COLS as u128 / span) as usize).min(last)
        };
        for k in 0..lanes {
            let row = k * rows / lanes;
            let cells = &mut self.overview[row * OVERVIEW_COLS..(row + 1) * OVERVIEW_COLS];
            for b in &chart.bars[chart.row(k)] {
                let v = if b.service == NONE {
                    OVERVIEW_PLACEHOLDER
                } else {
                    b.service
                };
                for c in &mut cells[col(b.start)..=col(b.end)] {
                    if *c == NONE {
                        *c = v;
                    }
                }
            }
        }
    }
}

/// Time span `i` spent outside its children: its duration minus the union of its children's
/// intervals clipped to it (concurrent children are not counted twice).
pub fn self_time(store: &Store, i: u32) -> u64 {
    let s = store.span(i);
    let (lo, hi) = (s.start, s.end.max(s.start));
    let mut covered = 0;
    let mut reach = lo;
    // Children are sorted by start time.
    for &c in store.children(i) {
        let cs = store.span(c);
        let (a, b) = (cs.start.clamp(reach, hi), cs.end.clamp(lo, hi));
        if b > a {
            covered += b - a;
            reach = b;
        }
    }
    (hi - lo) - covered
}

/// One frame of the flame graph: every span reached by the same (service, span name) path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    /// Service index; `NONE` for the root frame ("all").
    pub service: u32,
    pub name: Sym,
    /// Frame index of the parent; `NONE` for the root frame.
    pub parent: u32,
    pub depth: u32,
    /// Spans merged into this frame.
    pub count: u64,
    /// Sum of their durations (for the root frame: of the top-level frames).
    pub total: u64,
    /// Sum of their self times.
    pub self_time: u64,
    /// Horizontal position and width as fractions of the whole graph. A frame's children are
    /// laid out inside it by total time, scaled down when concurrent children add up to more
    /// than the frame itself.
    pub x: f64,
    pub width: f64,
}

/// The flame graph over a set of traces. Frame 0 is the root ("all"); frames are in breadth
/// first order, so the frames of depth `d` are `frames[depth_start[d]..depth_start[d + 1]]`,
/// sorted by `x`; siblings are ordered by total time, largest first.
#[derive(Debug, Clone, Default)]
pub struct FlameGraph {
    pub frames: Vec<Frame>,
    depth_start: Vec<u32>,
    /// Traces aggregated.
    pub traces: usize,
}

impl FlameGraph {
    /// Aggregates the traces `filter` (indexes into `Store::index.traces`), or every trace.
    /// Orphans start paths of their own at the top level, as roots do.
    pub fn build(store: &Store, filter: Option<&[u32]>) -> FlameGraph {
        struct Acc {
            service: u32,
            name: Sym,
            count: u64,
            total: u64,
            self_time: u64,
            children: Vec<u32>,
        }
        let mut acc = vec![Acc {
            service: NONE,
            name: Sym::EMPTY,
            count: 0,
            total: 0,
            self_time: 0,
            children: Vec::new(),
        }];
        let mut child_of: FxHashMap<(u32, u32, Sym), u32> = FxHashMap::default();
        let all: Vec<u32>;
        let traces = match filter {
            Some(f) => f,
            None => {
                all = (0..store.index.traces.len() as u32).collect();
                &all
            }
        };
        let mut frame_of: Vec<u32> = Vec::new();
        let mut queue: Vec<u32> = Vec::new();
        let mut used = 0;
        for &t in traces {
            let Some(info) = store.index.traces.get(t as usize) else {
                continue;
            };
            used += 1;
            let base = info.start_idx;
            frame_of.clear();
            frame_of.resize(info.len as usize, NONE);
            let mut add = |i: u32, parent_frame: u32, acc: &mut Vec<Acc>| -> u32 {
                let s = store.span(i);
                let key = (parent_frame, store.service_idx(i), s.name);
                let f = *child_of.entry(key).or_insert_with(|| {
                    acc.push(Acc {
                        service: key.1,
                        name: key.2,
                        count: 0,
                        total: 0,
                        self_time: 0,
                        children: Vec::new(),
                    });
                    let f = (acc.len() - 1) as u32;
                    if let Some(p) = acc.get_mut(parent_frame as usize) {
                        p.children.push(f);
                    }
                    f
                });
                if let Some(a) = acc.get_mut(f as usize) {
                    a.count += 1;
                    a.total += s.duration();
                    a.self_time += self_time(store, i);
                }
                f
            };
            // Roots and orphans first, then anything a parent cycle kept out of reach.
            let tops = info.range().filter(|&i| store.parent(i as u32).is_none());
            let rest = info.range();
            for i in tops.chain(rest) {
                let i = i as u32;
                if frame_of[(i - base) as usize] != NONE {
                    continue;
                }
                frame_of[(i - base) as usize] = add(i, 0, &mut acc);
                queue.clear();
                queue.push(i);
                while let Some(p) = queue.pop() {
                    let pf = frame_of[(p - base) as usize];
                    for &c in store.children(p) {
                        let slot = &mut frame_of[(c - base) as usize];
                        if *slot == NONE {
                            *slot = add(c, pf, &mut acc);
                            queue.push(c);
                        }
                    }
                }
            }
        }
        let top_total: u64 = acc[0].children.iter().map(|&c| acc[c as usize].total).sum();
        acc[0].total = top_total;
        acc[0].count = used as u64;

        // Breadth first from the root, children by total time (largest first).
        let mut frames: Vec<Frame> = Vec::with_capacity(acc.len());
        let mut old_of_new: Vec<u32> = vec![0];
        frames.push(Frame {
            service: NONE,
            name: Sym::EMPTY,
            parent: NONE,
            depth: 0,
            count: used as u64,
            total: top_total,
            self_time: 0,
            x: 0.0,
            width: 1.0,
        });
        let mut k = 0;
        while k < frames.len() {
            let parent = frames[k];
            let kids = &mut acc[old_of_new[k] as usize].children;
            let mut kids = std::mem::take(kids);
            kids.sort_by_key(|&c| (Reverse(acc[c as usize].total), c));
            let sum: u64 = kids.iter().map(|&c| acc[c as usize].total).sum();
            let unit = if sum.max(parent.total) == 0 {
                0.0
            } else {
                parent.width / sum.max(parent.total) as f64
            };
            let mut x = parent.x;
            for c in kids {
                let a = &acc[c as usize];
                let width = a.total as f64 * unit;
                frames.push(Frame {
                    service: a.service,
                    name: a.name,
                    parent: k as u32,
                    depth: parent.depth + 1,
                    count: a.count,
                    total: a.total,
                    self_time: a.self_time,
                    x,
                    width,
                });
                old_of_new.push(c);
                x += width;
            }
            k += 1;
        }
        let mut depth_start = Vec::new();
        for (k, f) in frames.iter().enumerate() {
            while depth_start.len() <= f.depth as usize {
                depth_start.push(k as u32);
            }
        }
        depth_start.push(frames.len() as u32);
        FlameGraph {
            frames,
            depth_start,
            traces: used,
        }
    }

    /// Number of depths (rows), the root's included.
    pub fn depths(&self) -> usize {
        self.depth_start.len().saturating_sub(1)
    }

    /// Frame index range of depth `d`.
    pub fn depth(&self, d: usize) -> std::ops::Range<usize> {
        row(&self.depth_start, d)
    }

    /// Frame index range of depth `d` overlapping `[x0, x1]`.
    pub fn visible(&self, d: usize, x0: f64, x1: f64) -> std::ops::Range<usize> {
        in_window(
            &self.frames,
            self.depth(d),
            |f| f.x + f.width < x0,
            |f| f.x <= x1,
        )
    }

    /// The frame of depth `d` under `x`.
    pub fn frame_at(&self, d: usize, x: f64) -> Option<u32> {
        let r = self.depth(d);
        let frames = &self.frames[r.clone()];
        let k = frames.partition_point(|f| f.x + f.width < x);
        frames
            .get(k)
            .filter(|f| f.x <= x && f.width > 0.0)
            .map(|_| (r.start + k) as u32)
    }

    /// The (service, span name) path from the top level down to `frame` (the root's is empty).
    pub fn path(&self, store: &Store, frame: u32) -> Vec<(String, String)> {
        let mut path = Vec::new();
        let mut f = frame;
        while let Some(fr) = self.frames.get(f as usize) {
            if fr.parent == NONE {
                break;
            }
            let service = store
                .index
                .services
                .get(fr.service as usize)
                .map_or("", |&s| store.str(s));
            path.push((service.to_string(), store.str(fr.name).to_string()));
            f = fr.parent;
        }
        path.reverse();
        path
    }

    /// The frame at the end of a (service, span name) path from the top level.
    pub fn find(&self, store: &Store, path: &[(&str, &str)]) -> Option<u32> {
        let mut at = 0u32;
        for &(service, name) in path {
            let d = self.frames.get(at as usize)?.depth as usize + 1;
            let r = self.depth(d);
            at = r
                .clone()
                .find(|&k| {
                    let f = &self.frames[k];
                    f.parent == at
                        && store.str(f.name) == name
                        && store
                            .index
                            .services
                            .get(f.service as usize)
                            .is_some_and(|&s| store.str(s) == service)
                })
                .map(|k| k as u32)?;
        }
        Some(at)
    }
}

/// Row `k` of items cut into rows at `starts` (`starts[k]..starts[k + 1]`); empty when there
/// is no row `k`.
fn row(starts: &[u32], k: usize) -> std::ops::Range<usize> {
    match (starts.get(k), starts.get(k + 1)) {
        (Some(&a), Some(&b)) => a as usize..b as usize,
        _ => 0..0,
    }
}

/// The part of `row` (items in start order, none inside another) that overlaps a window:
/// `ends_before` is true of the items that end before it, `starts_in` of those that start
/// before its end.
fn in_window<T>(
    items: &[T],
    row: std::ops::Range<usize>,
    ends_before: impl Fn(&T) -> bool,
    starts_in: impl Fn(&T) -> bool,
) -> std::ops::Range<usize> {
    let in_row = &items[row.clone()];
    let a = in_row.partition_point(ends_before);
    let z = in_row.partition_point(starts_in);
    row.start + a..row.start + z.max(a)
}

/// A bar on a time axis.
pub trait Timed {
    fn start(&self) -> u64;
    fn end(&self) -> u64;
}

impl Timed for Bar {
    fn start(&self) -> u64 {
        self.start
    }
    fn end(&self) -> u64 {
        self.end
    }
}

/// The bars of a trace, and of the traces stitched to it, cut into rows, each in start order
/// with no bar inside another: the flame chart's lanes and the goroutine lanes' rows, searched
/// by time the same way.
#[derive(Debug, Clone)]
pub struct Chart<B> {
    /// The trace (index into `Store::index.traces`) the chart was built for.
    pub trace: u32,
    /// Every trace drawn: `trace` first, then the stitched ones.
    pub traces: Vec<u32>,
    pub start: u64,
    pub end: u64,
    /// Sorted by (row, start).
    pub bars: Vec<B>,
    /// Row `k` holds `bars[row_start[k]..row_start[k + 1]]`.
    row_start: Vec<u32>,
    bar_of_span: FxHashMap<u32, u32>,
}

/// No bars, so no bar's default is needed.
impl<B> Default for Chart<B> {
    fn default() -> Self {
        Chart {
            trace: 0,
            traces: Vec::new(),
            start: 0,
            end: 0,
            bars: Vec::new(),
            row_start: Vec::new(),
            bar_of_span: FxHashMap::default(),
        }
    }
}

impl<B: Timed> Chart<B> {
    /// The chart of `traces` when there is nothing to draw.
    pub(super) fn empty(trace: u32, traces: Vec<u32>) -> Self {
        Chart {
            trace,
            traces,
            ..Chart::default()
        }
    }

    /// The chart of `bars`, sorted by (row, start), in `rows` rows (`row_of` gives a bar's
    /// row); `bar_of_span` finds the bar of each span drawn.
    pub(super) fn new(
        trace: u32,
        traces: Vec<u32>,
        bars: Vec<B>,
        bar_of_span: FxHashMap<u32, u32>,
        rows: usize,
        row_of: impl Fn(&B) -> u32,
    ) -> Self {
        let mut row_start = vec![0u32; rows + 1];
        for b in &bars {
            if let Some(n) = row_start.get_mut(row_of(b) as usize + 1) {
                *n += 1;
            }
        }
        for k in 1..row_start.len() {
            row_start[k] += row_start[k - 1];
        }
        let start = bars.iter().map(|b| b.start()).min().unwrap_or(0);
        let end = bars.iter().map(|b| b.end()).max().unwrap_or(start);
        Chart {
            trace,
            traces,
            start,
            end,
            bars,
            row_start,
            bar_of_span,
        }
    }

    pub fn row_count(&self) -> usize {
        self.row_start.len().saturating_sub(1)
    }

    /// Bar index range of row `k`.
    pub fn row(&self, k: usize) -> std::ops::Range<usize> {
        row(&self.row_start, k)
    }

    pub fn bar_of_span(&self, span: u32) -> Option<u32> {
        self.bar_of_span.get(&span).copied()
    }

    /// Bar index range of the bars of row `k` that overlap `[t0, t1]`.
    pub fn visible(&self, k: usize, t0: u64, t1: u64) -> std::ops::Range<usize> {
        in_window(
            &self.bars,
            self.row(k),
            |b| b.end() < t0,
            |b| b.start() <= t1,
        )
    }

    /// Index of the first bar of row `k` starting at or after `t`, within `from..row end`.
    pub fn next_starting(&self, k: usize, from: usize, t: u64) -> usize {
        let r = self.row(k);
        let from = from.clamp(r.start, r.end);
        from + self.bars[from..r.end].partition_point(|b| b.start() < t)
    }

    /// The bar of row `k` under time `t`, or the nearest one within `tolerance` ns.
    pub fn bar_at(&self, k: usize, t: u64, tolerance: u64) -> Option<u32> {
        let r = self.row(k);
        let bars = &self.bars[r.clone()];
        let at = bars.partition_point(|b| b.end() < t);
        let after = bars.get(at).map(|b| (b.start().saturating_sub(t), at));
        let before = at
            .checked_sub(1)
            .and_then(|p| bars.get(p))
            .map(|b| (t.saturating_sub(b.end()), at - 1));
        [after, before]
            .into_iter()
            .flatten()
            .filter(|&(gap, _)| gap <= tolerance)
            .min()
            .map(|(_, k)| (r.start + k) as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::super::breaks::{Break, Facts};
    use super::super::testkit::{GATEWAY, Kit, MS, goroutine as g, idx};
    use super::super::{Analysis, Options};
    use super::*;
    use crate::model::SpanKind::{self, Client, Internal, Server};

    fn index(store: &Store, breaks: Vec<Break>) -> FlameIndex {
        FlameIndex::new(
            store,
            &Analysis::with_breaks(store, &Options::default(), breaks),
        )
    }

    /// The layout of the first trace of `store`, with no breaks and nothing stitched.
    fn first_trace(store: &Store) -> TraceLayout {
        TraceLayout::build(store, &index(store, Vec::new()), 0, false)
    }

    /// A span of [`order_trace`]: id, parent, (start, end) in ms, kind, name.
    type Row<'a> = (u64, u64, (u64, u64), SpanKind, &'a str);

    /// A store of trace 1 in one process of `order-svc`, spans without attributes.
    fn order_trace(spans: &[Row]) -> Store {
        let (mut k, [s]) = Kit::with_services([("order-svc", "o-1")]);
        for &(id, parent, times, kind, name) in spans {
            k.span(s, 1, id, parent, times, kind, name, &[]);
        }
        k.store()
    }

    /// The store of [`order_trace`] and the layout of its trace.
    fn order_layout(spans: &[Row]) -> (Store, TraceLayout) {
        let store = order_trace(spans);
        let l = first_trace(&store);
        (store, l)
    }

    /// (lane, depth) of the bar of span `id` of trace `trace`.
    fn at(store: &Store, l: &TraceLayout, trace: u128, id: u64) -> (u32, u32) {
        let b = l
            .bar_of_span(idx(store, trace, id))
            .and_then(|b| l.bars.get(b as usize))
            .expect("span drawn");
        (b.lane, b.depth)
    }

    #[test]
    fn depths_pack_concurrent_siblings_into_lanes() {
        let (mut k, [gw]) = Kit::with_services([GATEWAY]);
        k.span(gw, 1, 1, 0, (0, 100), Server, "GET /users", &g(1));
        k.span(gw, 1, 2, 1, (10, 40), Internal, "a", &g(2));
        k.span(gw, 1, 3, 1, (20, 60), Internal, "b", &g(1));
        k.span(gw, 1, 4, 2, (15, 20), Internal, "a.1", &g(2));
        k.span(gw, 1, 5, 3, (50, 55), Internal, "b.1", &g(1));
        // Starts when a.1 ends: fits in the same lane.
        k.span(gw, 1, 6, 2, (20, 30), Internal, "a.2", &g(2));
        let store = k.store();
        let l = first_trace(&store);
        assert_eq!(l.row_count(), 4);
        assert_eq!(at(&store, &l, 1, 1), (0, 0));
        assert_eq!(at(&store, &l, 1, 2), (1, 1));
        assert_eq!(at(&store, &l, 1, 3), (2, 1), "overlaps a: next lane");
        assert_eq!(at(&store, &l, 1, 4), (3, 2));
        assert_eq!(at(&store, &l, 1, 6), (3, 2));
        assert_eq!(at(&store, &l, 1, 5), (3, 2));
        assert_eq!((l.start, l.end), (0, 100 * MS));
        // a hops from goroutine 1 to 2; b stays on 1.
        let marks_of = |id| l.bars[l.bar_of_span(idx(&store, 1, id)).unwrap_or(0) as usize].marks;
        assert_eq!(marks_of(2) & marks::GOROUTINE_HOP, marks::GOROUTINE_HOP);
        assert_eq!(marks_of(3) & marks::GOROUTINE_HOP, 0);
        // Lane 3 holds a.1, a.2, b.1 in start order; culling finds only those in the window.
        let lane3: Vec<u64> = l.bars[l.row(3)].iter().map(|b| b.start / MS).collect();
        assert_eq!(lane3, vec![15, 20, 50]);
        let vis: Vec<u64> = l.bars[l.visible(3, 31 * MS, 49 * MS)]
            .iter()
            .map(|b| b.start)
            .collect();
        assert!(
            vis.is_empty(),
            "nothing of lane 3 between 31 and 49 ms: {vis:?}"
        );
        let vis: Vec<u64> = l.bars[l.visible(3, 25 * MS, 52 * MS)]
            .iter()
            .map(|b| b.start / MS)
            .collect();
        assert_eq!(vis, vec![20, 50]);
        // Hit testing: inside a bar, near one within tolerance, and in a gap.
        let hit = |t, tol| {
            l.bar_at(3, t * MS, tol * MS)
                .map(|b| store.span(l.bars[b as usize].span).span_id)
        };
        assert_eq!(hit(52, 0), Some(5));
        assert_eq!(hit(32, 3), Some(6));
        assert_eq!(hit(45, 3), None);
    }

    #[test]
    fn orphans_hang_under_a_missing_parent_and_roots_stack() {
        let (store, l) = order_layout(&[
            (1, 0, (0, 50), Server, "root-a"),
            (2, 1, (5, 10), Internal, "a.child"),
            (3, 0, (20, 80), Server, "root-b"),
            (4, 0xdead, (30, 40), Internal, "orphan-1"),
            (5, 0xdead, (35, 70), Internal, "orphan-2"),
            (6, 4, (31, 33), Internal, "orphan-1.child"),
        ]);
        // Blocks by start: root-a (2 lanes), root-b (1), the missing parent (1 + 2 + 1).
        assert_eq!(at(&store, &l, 1, 1), (0, 0));
        assert_eq!(at(&store, &l, 1, 2), (1, 1));
        assert_eq!(at(&store, &l, 1, 3), (2, 0));
        let ph = l
            .bars
            .iter()
            .position(|b| b.marks & marks::MISSING_PARENT != 0)
            .expect("placeholder");
        let bar = l.bars[ph];
        assert_eq!((bar.span, bar.lane, bar.depth), (NONE, 3, 0));
        assert_eq!((bar.start, bar.end), (30 * MS, 70 * MS));
        assert_eq!(l.missing_parent(ph as u32), Some(0xdead));
        assert_eq!(at(&store, &l, 1, 4), (4, 1));
        assert_eq!(at(&store, &l, 1, 5), (5, 1));
        assert_eq!(at(&store, &l, 1, 6), (6, 2));
        let orphan = l.bars[l.bar_of_span(idx(&store, 1, 4)).unwrap_or(0) as usize];
        assert_eq!(orphan.parent, ph as u32);
        assert_eq!(l.row_count(), 7);
        assert_eq!(l.bars.len(), 7, "six spans and one placeholder");
    }

    #[test]
    fn a_parent_cycle_loses_no_span() {
        let (store, l) = order_layout(&[
            (1, 2, (0, 10), Internal, "x"),
            (2, 1, (1, 5), Internal, "y"),
        ]);
        assert_eq!(l.bars.len(), 2);
        assert_eq!(at(&store, &l, 1, 1), (0, 0));
        assert_eq!(at(&store, &l, 1, 2), (1, 1));
        let g = FlameGraph::build(&store, None);
        assert_eq!(g.frames.iter().skip(1).map(|f| f.count).sum::<u64>(), 2);
    }

    /// Trace 1: gateway server → client call with no server child. Trace 2: the payment
    /// server root that the call reached, and its child. Trace 3: a detached root started
    /// inside the payment server.
    fn stitched_store() -> (Store, Vec<Break>) {
        let (mut k, [gw, pay]) = Kit::with_services([GATEWAY, ("payment-svc", "pay-1")]);
        k.span(gw, 1, 1, 0, (0, 100), Server, "POST /orders", &[]);
        k.span(gw, 1, 2, 1, (10, 90), Client, "POST", &[]);
        k.span(pay, 2, 3, 0, (20, 80), Server, "POST /v1/payments", &[]);
        k.span(pay, 2, 4, 3, (30, 40), Internal, "charge", &[]);
        k.span(pay, 3, 5, 0, (50, 95), Internal, "audit.Write", &[]);
        let store = k.store();
        let brk = |kind, span, related| Break {
            kind,
            span,
            related: Some(related),
            facts: Facts::None,
        };
        let breaks = vec![
            brk(
                BreakKind::PropagationBreak,
                idx(&store, 1, 2),
                idx(&store, 2, 3),
            ),
            brk(
                BreakKind::DetachedRoot,
                idx(&store, 3, 5),
                idx(&store, 2, 3),
            ),
        ];
        (store, breaks)
    }

    /// A batch consumer (trace 10) linked to the producers of traces 1, 2 and 3, in stitch
    /// mode from trace 1: the batch under the first producer by its link, the other two
    /// traces drawn beside it with a link joint each, and no break anywhere.
    #[test]
    fn stitching_joins_linked_traces_by_their_links() {
        use crate::model::SpanKind::{Consumer, Producer};
        let (mut k, [o, sh]) = Kit::with_services([("order-svc", "o1"), ("shipping-svc", "s1")]);
        for t in 1..=3u128 {
            let at = t as u64 * 10;
            k.span(o, t, 1, 0, (at, at + 8), Server, "POST /orders", &[]);
            k.span(
                o,
                t,
                2,
                1,
                (at + 1, at + 2),
                Producer,
                "orders publish",
                &[],
            );
        }
        let c = k.span(sh, 10, 1, 0, (50, 60), Consumer, "orders process", &[]);
        k.links(c, &[(1, 2), (2, 2), (3, 2)]);
        k.span(sh, 10, 2, 1, (51, 59), Internal, "shipping.Schedule", &[]);
        let store = k.store();
        let analysis = Analysis::run(&store, &Options::default());
        assert!(analysis.breaks.is_empty());
        let fx = FlameIndex::new(&store, &analysis);
        let t = |id| store.index.span_trace[idx(&store, id, 1) as usize];
        assert!(TraceLayout::can_stitch(&fx, t(1)));
        let l = TraceLayout::build(&store, &fx, t(1), true);
        assert_eq!(l.traces, vec![t(1), t(10), t(2), t(3)]);
        let bar = |tr, id| l.bar_of_span(idx(&store, tr, id)).unwrap_or(NONE);
        let root = &l.bars[bar(10, 1) as usize];
        assert_eq!(
            root.parent,
            bar(1, 2),
            "the batch under the producer it links first"
        );
        assert_eq!(
            root.marks & (marks::LINKED | marks::STITCHED | marks::BREAK),
            marks::LINKED | marks::STITCHED
        );
        assert_eq!(at(&store, &l, 10, 2).1, 3);
        let mut joints = l.joints.clone();
        joints.sort_unstable();
        let mut want = vec![
            (bar(1, 2), bar(10, 1)),
            (bar(2, 2), bar(10, 1)),
            (bar(3, 2), bar(10, 1)),
        ];
        want.sort_unstable();
        assert_eq!(joints, want);
        assert!(l.bars.iter().all(|b| b.marks & marks::BREAK == 0));
        // Without stitching, the producer's trace alone.
        let plain = TraceLayout::build(&store, &fx, t(1), false);
        assert_eq!((plain.traces.len(), plain.joints.len()), (1, 0));
    }

    #[test]
    fn stitching_draws_joined_traces_under_their_spans() {
        let (store, breaks) = stitched_store();
        let summaries = crate::analysis::trace_summary::summarize(&store, &breaks);
        let fx = index(&store, breaks);
        let t1 = store.index.span_trace[idx(&store, 1, 1) as usize];
        let t2 = store.index.span_trace[idx(&store, 2, 3) as usize];
        let t3 = store.index.span_trace[idx(&store, 3, 5) as usize];
        assert!(TraceLayout::can_stitch(&fx, t1));
        assert_eq!(fx.stitches(t2).count(), 2);

        let plain = TraceLayout::build(&store, &fx, t1, false);
        assert_eq!((plain.bars.len(), plain.joints.len()), (2, 0));
        assert_eq!(plain.traces, vec![t1]);

        let l = TraceLayout::build(&store, &fx, t1, true);
        assert_eq!(l.traces, vec![t1, t2, t3]);
        assert_eq!(l.bars.len(), 5);
        assert_eq!(at(&store, &l, 1, 2), (1, 1));
        assert_eq!(
            at(&store, &l, 2, 3),
            (2, 2),
            "server root under the client call"
        );
        assert_eq!(at(&store, &l, 2, 4), (3, 3));
        assert_eq!(
            at(&store, &l, 3, 5),
            (3, 3),
            "detached root under the server"
        );
        let bar = |t, id| l.bar_of_span(idx(&store, t, id)).unwrap_or(NONE);
        assert_eq!(
            l.joints,
            vec![(bar(1, 2), bar(2, 3)), (bar(2, 3), bar(3, 5))]
        );
        let m = l.bars[bar(2, 3) as usize].marks;
        assert_eq!(
            m & (marks::STITCHED | marks::FOREIGN),
            marks::STITCHED | marks::FOREIGN
        );
        assert_eq!(m & marks::PROCESS_HOP, 0, "a stitch is not a hop");
        assert_eq!(l.bars[bar(2, 3) as usize].parent, bar(1, 2));
        assert_eq!(
            l.bars[bar(1, 2) as usize].marks & marks::BREAK,
            marks::BREAK
        );

        // From the middle trace, the gateway's trace comes on top and holds it.
        let l2 = TraceLayout::build(&store, &fx, t2, true);
        assert_eq!(l2.bars.len(), 5);
        assert_eq!(at(&store, &l2, 1, 1), (0, 0));
        assert_eq!(at(&store, &l2, 2, 3), (2, 2));
        assert_eq!(
            l2.bars[l2.bar_of_span(idx(&store, 2, 3)).unwrap_or(0) as usize].marks & marks::FOREIGN,
            0
        );
        assert_eq!(
            crate::analysis::trace_summary::most_broken(&summaries),
            Some(t1),
            "one break each; trace 1 comes first"
        );
    }

    #[test]
    fn self_time_counts_concurrent_children_once() {
        let store = order_trace(&[
            (1, 0, (0, 100), Server, "root"),
            (2, 1, (10, 40), Internal, "a"),
            (3, 1, (20, 60), Internal, "b"),
            // Outlives the parent: only its part inside counts.
            (4, 1, (90, 130), Internal, "late"),
        ]);
        assert_eq!(self_time(&store, idx(&store, 1, 1)), 40 * MS);
        assert_eq!(self_time(&store, idx(&store, 1, 4)), 40 * MS);
    }

    #[test]
    fn flame_graph_merges_paths_and_fits_children_in_parents() {
        let (mut k, [gw, user]) = Kit::with_services([GATEWAY, ("user-svc", "u-1")]);
        // Two traces with the same path, one with an extra concurrent call.
        for (t, root, call) in [(1, (0, 100), (10, 50)), (2, (0, 60), (5, 55))] {
            k.span(gw, t, 1, 0, root, Server, "GET /users", &[]);
            k.span(user, t, 2, 1, call, Server, "GetUser", &[]);
        }
        k.span(user, 2, 3, 1, (5, 45), Server, "GetUser", &[]);
        k.span(gw, 2, 4, 1, (6, 46), Internal, "render", &[]);
        let store = k.store();
        let g = FlameGraph::build(&store, None);
        assert_eq!(g.traces, 2);
        assert_eq!(g.depths(), 3);
        let root = g.frames[0];
        assert_eq!((root.count, root.total, root.width), (2, 160 * MS, 1.0));
        let get_users = ("api-gateway", "GET /users");
        let frame = |path: &[(&str, &str)]| {
            g.find(&store, path)
                .unwrap_or_else(|| panic!("no frame {path:?}"))
        };
        let top = frame(&[get_users]);
        let f = g.frames[top as usize];
        assert_eq!((f.count, f.total), (2, 160 * MS));
        // Self: trace 1 100 - 40; trace 2 60 - union(5..55) = 10.
        assert_eq!(f.self_time, 70 * MS);
        let call = frame(&[get_users, ("user-svc", "GetUser")]);
        let c = g.frames[call as usize];
        assert_eq!((c.count, c.total, c.self_time), (3, 130 * MS, 130 * MS));
        // Children add up to 170 ms inside a 160 ms frame: scaled to fit, largest first.
        let render = frame(&[get_users, ("api-gateway", "render")]);
        let r = g.frames[render as usize];
        assert!((c.width - 130.0 / 170.0).abs() < 1e-9, "{}", c.width);
        assert!((r.x - c.width).abs() < 1e-9);
        assert!((r.x + r.width - 1.0).abs() < 1e-9);
        assert_eq!(
            g.path(&store, render),
            vec![
                ("api-gateway".to_string(), "GET /users".to_string()),
                ("api-gateway".to_string(), "render".to_string())
            ]
        );
        assert_eq!(g.frame_at(2, 0.5), Some(call));
        assert_eq!(g.frame_at(2, 0.9), Some(render));
        assert_eq!(g.visible(2, 0.8, 0.9), render as usize..render as usize + 1);
        // Only trace 2.
        let t2 = store.index.span_trace[idx(&store, 2, 1) as usize];
        let g2 = FlameGraph::build(&store, Some(&[t2]));
        let c2 = g2.find(&store, &[get_users, ("user-svc", "GetUser")]);
        assert_eq!(c2.map(|f| g2.frames[f as usize].count), Some(2));
    }

    #[test]
    fn overview_marks_where_lanes_have_bars() {
        let (store, l) = order_layout(&[
            (1, 0, (0, 100), Server, "root"),
            (2, 1, (50, 100), Internal, "second-half"),
        ]);
        assert_eq!(l.overview_rows, 2);
        let svc = store.service_idx(0);
        let row1 = &l.overview[OVERVIEW_COLS..];
        assert!(l.overview[..OVERVIEW_COLS].iter().all(|&c| c == svc));
        assert!(row1[..OVERVIEW_COLS / 2].iter().all(|&c| c == NONE));
        assert!(row1[OVERVIEW_COLS / 2..].iter().all(|&c| c == svc));
    }
}
