//! The Trace tab: one trace's flame chart (time across, depth down), coloured by service, with
//! conversion steps, goroutine and process hops, breaks and the missing-parent rows marked;
//! zoom on the cursor, pan, a minimap, and the traces joined by a stitch drawn under the span
//! they belong to. How bars, the minimap and tooltips are painted: `trace_paint`. The lanes
//! mode (`Lanes`, key L) draws the same spans in lanes by goroutine: `lanes_paint`.
//!
//! The layout comes from `analysis::flame` and is built once per trace; a frame only walks
//! the visible lanes, finds the visible bars by binary search and merges sub-pixel bars.

use std::sync::Arc;

use egui::{Key, Modifiers, Rect, Sense, Shape, Stroke, StrokeKind, Ui, pos2, vec2};

use super::lanes_paint::LanesChart;
use super::trace_paint::{
    LANE_H, MIN_WINDOW, MINIMAP_H, bar_rect, focus_bar, hit, minimap, paint_bar, tooltip,
};
use crate::analysis::flame::{FlameIndex, TraceLayout, marks};
use crate::analysis::lanes::LaneLayout;
use crate::app::exporter::Exporter;
use crate::app::state::{Selection, Session, View, ViewCtx};
use crate::app::task::{Task, build_keyed};
use crate::app::theme::{self, BREAK, MATCH, SELECTED};
use crate::app::timeline::{AXIS_H, MergedRun, Zoom, paint_axis, paint_row};
use crate::export::ExportView;
use crate::model::NONE;
use crate::units::duration_f64;

/// Traces with more spans than this are laid out on a thread (a 100k-span trace takes ~140 ms).
const ASYNC_SPANS: u32 = 20_000;

/// The Trace tab's view state.
pub struct FlameChartView {
    /// The session's flame index (breaks and stitches by trace), shared with layout threads.
    fx: Option<Arc<FlameIndex>>,
    /// A layout being built on a thread: (trace, stitch) and where it arrives.
    pending: Option<((u32, bool), Task<TraceLayout>)>,
    layout: Option<TraceLayout>,
    /// What the user asked for, and what the current layout was built with.
    stitch: bool,
    layout_stitch: bool,
    zoom: Option<Zoom>,
    last_selection: Selection,
    /// The lanes' area of the last frame (below the time axis), for hit tests and `span_rect`.
    lanes_rect: Rect,
    /// Export ▾ of the trace's topology (its span graph).
    exporter: Exporter,
    /// The trace shown (id) and its layout's start time, to recognise it in a new session.
    shown: Option<(u128, u64)>,
    /// The window over the trace shown in the previous session, restored when the new
    /// session (a live snapshot) shows the same trace.
    carried: Option<(u128, u64, Zoom)>,
    /// Lanes by goroutine instead of the flame chart, and their state.
    lanes_on: bool,
    lanes: LanesChart,
}

impl Default for FlameChartView {
    fn default() -> Self {
        FlameChartView {
            fx: None,
            pending: None,
            layout: None,
            stitch: false,
            layout_stitch: false,
            zoom: None,
            last_selection: Selection::None,
            lanes_rect: Rect::NOTHING,
            exporter: Exporter::default(),
            shown: None,
            carried: None,
            lanes_on: false,
            lanes: LanesChart::default(),
        }
    }
}

impl View for FlameChartView {
    fn reset(&mut self, session: &Arc<Session>) {
        let carried = self
            .shown
            .zip(self.zoom)
            .map(|((id, start), z)| (id, start, z));
        *self = FlameChartView {
            fx: Some(Arc::clone(session.index.flame())),
            stitch: self.stitch,
            lanes_on: self.lanes_on,
            carried,
            ..FlameChartView::default()
        };
    }

    fn ui(&mut self, ui: &mut Ui, ctx: &mut ViewCtx<'_>) {
        let (session, selection) = (ctx.session, ctx.selection);
        if self.fx.is_none() {
            self.reset(session);
        }
        let Some(t) = self.wanted_trace(session, selection) else {
            ui.label("No traces loaded.");
            return;
        };
        if self.layout.as_ref().map(|l| (l.trace, self.layout_stitch)) != Some((t, self.stitch))
            && !self.set_trace(ui.ctx(), session, t)
        {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(format!(
                    "Laying out {} spans…",
                    session
                        .store
                        .index
                        .traces
                        .get(t as usize)
                        .map_or(0, |i| i.len)
                ));
            });
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_millis(50));
            return;
        }
        let (Some(layout), Some(fx)) = (self.layout.as_ref(), self.fx.as_ref()) else {
            return;
        };
        let store = &session.store;
        let can_stitch = TraceLayout::can_stitch(fx, t);
        let mut stitch = self.stitch;
        let mut lanes_on = self.lanes_on;
        if !ui.ctx().egui_wants_keyboard_input()
            && ui.input_mut(|i| i.consume_key(Modifiers::NONE, Key::L))
        {
            lanes_on = !lanes_on;
        }
        let mut fit = false;
        ui.horizontal(|ui| {
            let id = store.index.traces.get(t as usize).map_or(0, |i| i.id);
            ui.strong(format!("Trace {id:032x}"));
            let spans = layout.span_count();
            let breaks: u32 = layout.traces.iter().map(|&t| fx.break_count(t)).sum();
            ui.label(format!(
                "{} · {} · {}",
                crate::units::count(spans as u64, "span"),
                duration_f64((layout.end - layout.start) as f64),
                crate::units::count(u64::from(breaks), "break"),
            ));
            if can_stitch {
                ui.checkbox(&mut stitch, "Stitch").on_hover_text(
                    "Draw the traces joined to this one by a propagation_break, a \
                     detached_root or a span link under the span they belong to",
                );
                if layout.traces.len() > 1 {
                    ui.label(format!("{} traces", layout.traces.len()));
                }
            }
            ui.toggle_value(&mut lanes_on, "Lanes").on_hover_text(
                "Lanes by goroutine (L): one lane group per goroutine of each process, \
                 arrows where control hopped or came from a parent long finished or lost",
            );
            fit = ui
                .button("Fit")
                .on_hover_text("Show the whole trace")
                .clicked();
            self.exporter.menu(
                ui,
                session,
                ExportView::Trace(id),
                &format!("trace-{id:032x}"),
            );
        });
        ui.horizontal_wrapped(|ui| {
            for &s in &layout.services {
                let name = store
                    .index
                    .services
                    .get(s as usize)
                    .map_or("", |&n| store.str(n));
                let color = theme::of_service(&session.index, s);
                let (r, _) = ui.allocate_exact_size(vec2(12.0, 12.0), Sense::hover());
                ui.painter().rect_filled(r, 2.0, color);
                ui.label(name);
            }
        });
        self.lanes_on = lanes_on;
        if stitch != self.stitch {
            self.stitch = stitch;
            self.set_trace(ui.ctx(), session, t);
        }
        if fit && let Some(l) = &self.layout {
            let now = ui.input(|i| i.time);
            if let Some(z) = &mut self.zoom {
                z.animate_to(now, 0.0, (l.end - l.start) as f64);
            }
        }
        if selection != self.last_selection {
            self.last_selection = selection;
            if let Selection::Span(i) = selection {
                self.focus(ui, i, false);
            }
        }
        if self.lanes_on {
            if let (Some(l), Some(fx), Some(z)) = (&self.layout, &self.fx, &mut self.zoom) {
                self.lanes.ui(ui, ctx, fx, l, z);
            }
        } else {
            self.chart(ui, ctx);
        }
    }
}

impl FlameChartView {
    /// The trace the selection asks for: a selected trace, the trace of a selected span or
    /// break (unless the current chart already draws that span), else the current one, else
    /// the trace with the most breaks.
    fn wanted_trace(&self, session: &Session, selection: Selection) -> Option<u32> {
        let store = &session.store;
        let current = self.layout.as_ref().map(|l| l.trace);
        let in_chart = |i: u32| {
            self.layout
                .as_ref()
                .is_some_and(|l| l.bar_of_span(i).is_some())
        };
        let of_span = |i: u32| {
            if in_chart(i) {
                current
            } else {
                session.trace_of(i)
            }
        };
        let picked = match selection {
            Selection::Trace(t) if (t as usize) < store.index.traces.len() => Some(t),
            Selection::Span(i) => of_span(i),
            Selection::Break(b) => session
                .analysis
                .breaks
                .get(b as usize)
                .and_then(|b| of_span(b.span)),
            _ => None,
        };
        picked
            .or(current)
            .or_else(|| session.index.most_broken_trace())
    }

    /// Makes trace `t` the one drawn; `false` while its layout is still being built. Large
    /// traces are laid out on a thread so that opening one never stalls the UI.
    fn set_trace(&mut self, ctx: &egui::Context, session: &Arc<Session>, t: u32) -> bool {
        let Some(fx) = &self.fx else {
            return true;
        };
        let want = (t, self.stitch);
        let large = session
            .store
            .index
            .traces
            .get(t as usize)
            .is_some_and(|i| i.len > ASYNC_SPANS);
        let (s, f, stitch) = (Arc::clone(session), Arc::clone(fx), self.stitch);
        let build = move || TraceLayout::build(&s.store, &f, t, stitch);
        let Some(layout) = build_keyed(&mut self.pending, ctx, "trace-layout", want, large, build)
        else {
            return false;
        };
        self.install(session, t, layout);
        true
    }

    fn install(&mut self, session: &Session, t: u32, layout: TraceLayout) {
        let extent = (layout.end - layout.start) as f64;
        let keep = self.layout.as_ref().is_some_and(|l| l.trace == t);
        let id = session.store.index.traces.get(t as usize).map(|i| i.id);
        // The same trace in a new session (more of its spans arrived): same window in time.
        let carried = self.carried.take().filter(|c| Some(c.0) == id);
        if let Some((_, old_start, mut z)) = carried {
            let shift = old_start as f64 - layout.start as f64;
            (z.v0, z.v1) = (z.v0 + shift, z.v1 + shift);
            self.zoom = Some(z);
        } else if !keep || self.zoom.is_none() {
            self.zoom = Some(Zoom::new(extent));
        }
        self.shown = id.map(|id| (id, layout.start));
        self.layout = Some(layout);
        self.layout_stitch = self.stitch;
        // A span selected before the chart existed is brought into view now.
        if let Selection::Span(i) = self.last_selection
            && let Some(z) = &mut self.zoom
            && let Some(l) = &self.layout
            && let Some(b) = l.bar_of_span(i).and_then(|b| l.bars.get(b as usize))
        {
            let (a, e) = ((b.start - l.start) as f64, (b.end - l.start) as f64);
            if a < z.v0 || e > z.v1 {
                let pad = (e - a).max(MIN_WINDOW) * 0.1;
                (z.v0, z.v1) = (a - pad, e + pad);
            }
        }
    }

    /// Brings span `i` into view: pans to it when it fits the window, else zooms out to it;
    /// `zoom_in` zooms to exactly the span.
    fn focus(&mut self, ui: &Ui, i: u32, zoom_in: bool) {
        let (Some(l), Some(z)) = (&self.layout, &mut self.zoom) else {
            return;
        };
        let Some(b) = l.bar_of_span(i).and_then(|b| l.bars.get(b as usize)) else {
            return;
        };
        let now = ui.input(|i| i.time);
        focus_bar(z, l, b, now, zoom_in, self.lanes_rect.height());
    }

    /// Draws the traces joined by a stitch under the span they belong to (from the next frame).
    pub fn set_stitch(&mut self, on: bool) {
        self.stitch = on;
    }

    /// Draws lanes by goroutine instead of the flame chart (from the next frame).
    pub fn set_lanes(&mut self, on: bool) {
        self.lanes_on = on;
    }

    pub fn lanes_on(&self) -> bool {
        self.lanes_on
    }

    /// The lanes layout, once the lanes were drawn.
    pub fn lane_layout(&self) -> Option<&LaneLayout> {
        self.lanes.layout()
    }

    /// Shows the whole trace, at once.
    pub fn fit(&mut self) {
        if let (Some(l), Some(z)) = (&self.layout, &mut self.zoom) {
            let scroll_y = z.scroll_y;
            *z = Zoom::new((l.end - l.start) as f64);
            z.scroll_y = scroll_y;
        }
    }

    /// Shows the time window `[start, end]` (unix ns) of the current trace, at once.
    pub fn show_time(&mut self, start: u64, end: u64) {
        if let (Some(l), Some(z)) = (&self.layout, &mut self.zoom) {
            let v0 = start as f64 - l.start as f64;
            z.jump_to(v0, v0 + (end.saturating_sub(start) as f64).max(MIN_WINDOW));
        }
    }

    /// The lanes' area (below the time axis) of the last frame; in lanes mode, the rows'.
    pub fn lanes_rect(&self) -> Rect {
        if self.lanes_on {
            return self.lanes.rows_rect();
        }
        self.lanes_rect
    }

    /// The visible time window (unix ns), after the last frame.
    pub fn visible_time(&self) -> Option<(f64, f64)> {
        let (l, z) = (self.layout.as_ref()?, self.zoom.as_ref()?);
        Some((l.start as f64 + z.v0, l.start as f64 + z.v1))
    }

    /// Where span `i` was drawn in the last frame (clipped to the chart), if it is visible.
    pub fn span_rect(&self, i: u32) -> Option<Rect> {
        let (l, z) = (self.layout.as_ref()?, self.zoom.as_ref()?);
        if self.lanes_on {
            return self.lanes.span_rect(i, z, l.start);
        }
        let b = l.bars.get(l.bar_of_span(i)? as usize)?;
        let r = bar_rect(z, self.lanes_rect, l, b).intersect(self.lanes_rect);
        r.is_positive().then_some(r)
    }

    /// The trace shown (index into `Store::index.traces`).
    pub fn trace(&self) -> Option<u32> {
        self.layout.as_ref().map(|l| l.trace)
    }

    fn chart(&mut self, ui: &mut Ui, ctx: &mut ViewCtx<'_>) {
        let session = ctx.session;
        let (Some(l), Some(z)) = (&self.layout, &mut self.zoom) else {
            return;
        };
        let avail = ui.available_size();
        let chart_h = (avail.y - MINIMAP_H - ui.spacing().item_spacing.y).max(3.0 * LANE_H);
        let (rect, response) =
            ui.allocate_exact_size(vec2(avail.x.max(100.0), chart_h), Sense::click_and_drag());
        let lanes_rect = Rect::from_min_max(pos2(rect.left(), rect.top() + AXIS_H), rect.max);
        self.lanes_rect = lanes_rect;
        let extent = (l.end - l.start) as f64;
        let content_h = l.row_count() as f32 * LANE_H;
        z.handle_input(ui, &response, lanes_rect, extent, MIN_WINDOW, content_h);

        let painter = ui.painter_at(rect);
        let visuals = ui.visuals();
        painter.rect_filled(rect, 0.0, visuals.extreme_bg_color);
        paint_axis(ui, &painter, z, rect);

        // The hovered bar, found by lane and binary search.
        let hover = response.hover_pos().and_then(|p| hit(z, lanes_rect, l, p));
        let lane_painter = painter.with_clip_rect(lanes_rect);
        let first = (z.scroll_y / LANE_H).floor().max(0.0) as usize;
        let last =
            (((z.scroll_y + lanes_rect.height()) / LANE_H).ceil() as usize).min(l.row_count());
        let t0 = l.start.saturating_add(z.v0.max(0.0) as u64);
        let t1 = l.start.saturating_add(z.v1.max(0.0) as u64);
        let ns_per_px = z.width() / lanes_rect.width().max(1.0) as f64;
        for k in first..last {
            let y = lanes_rect.top() + k as f32 * LANE_H - z.scroll_y;
            paint_row(
                l,
                k,
                (t0, t1),
                MergedRun::new(&lane_painter, y + 1.0, y + LANE_H - 1.0),
                |x| l.start as f64 + z.v0 + (x - lanes_rect.left()) as f64 * ns_per_px,
                |b| bar_rect(z, lanes_rect, l, b),
                |i, b, r| {
                    paint_bar(ui, &lane_painter, session, l, i as u32, r);
                    if b.span != NONE {
                        let x_of = |t: u64| z.x_of(lanes_rect, t as f64 - l.start as f64);
                        super::log_ticks::paint(&lane_painter, &session.store, b.span, r, x_of);
                    }
                },
            );
        }
        // Stitch joints: dashed from the holder down to the stitched root; a span link's joint
        // solid in the link colour, with no broken outline (the context was carried).
        for &(h, s) in &l.joints {
            let (Some(hb), Some(sb)) = (l.bars.get(h as usize), l.bars.get(s as usize)) else {
                continue;
            };
            let (hr, sr) = (
                bar_rect(z, lanes_rect, l, hb),
                bar_rect(z, lanes_rect, l, sb),
            );
            let x = sr.left().clamp(hr.left(), hr.right().max(hr.left()));
            if sb.marks & marks::LINKED != 0 {
                // From the linked span's end to the linked root's start: the message or job
                // went on later, asynchronously.
                let from = pos2(hr.right(), hr.center().y);
                let to = pos2(sr.left(), sr.center().y);
                let stroke = Stroke::new(2.0, theme::LINK);
                lane_painter.line_segment([from, to], stroke);
                // A head of fixed size: egui's `arrow` scales it with the length.
                let back = (from - to).normalized() * 9.0;
                for turn in [0.45_f32, -0.45] {
                    let head = egui::emath::Rot2::from_angle(turn) * back;
                    lane_painter.line_segment([to, to + head], stroke);
                }
                continue;
            }
            let stroke = Stroke::new(1.5, BREAK);
            lane_painter.extend(Shape::dashed_line(
                &[pos2(x, hr.bottom()), pos2(x, sr.top())],
                stroke,
                4.0,
                3.0,
            ));
            if sr.width() >= 1.0 {
                let c = [
                    sr.left_top(),
                    sr.right_top(),
                    sr.right_bottom(),
                    sr.left_bottom(),
                    sr.left_top(),
                ];
                lane_painter.extend(Shape::dashed_line(&c, stroke, 4.0, 3.0));
            }
        }
        paint_matched(&lane_painter, ctx, l, z, lanes_rect);
        // Selection and hover outlines on top.
        if let Selection::Span(i) = self.last_selection
            && let Some(b) = l.bar_of_span(i).and_then(|b| l.bars.get(b as usize))
        {
            let r = bar_rect(z, lanes_rect, l, b);
            let r = Rect::from_min_max(
                pos2(r.left(), r.top()),
                pos2(r.right().max(r.left() + 2.0), r.bottom()),
            );
            lane_painter.rect_stroke(r, 2.0, Stroke::new(2.5, SELECTED), StrokeKind::Outside);
        }
        // The pointer's bar, else the span hovered in another view (a row of Details).
        let outlined = hover.or(match ctx.hovered {
            Selection::Span(i) => l.bar_of_span(i),
            _ => None,
        });
        if let Some(b) = outlined.and_then(|h| l.bars.get(h as usize)) {
            let r = bar_rect(z, lanes_rect, l, b);
            lane_painter.rect_stroke(
                r,
                2.0,
                Stroke::new(1.0, visuals.strong_text_color()),
                StrokeKind::Outside,
            );
        }

        let mut response = response;
        if let Some(b) = hover.and_then(|h| l.bars.get(h as usize)).copied() {
            if b.span != NONE {
                ctx.hover(Selection::Span(b.span));
            }
            // A log tick under the pointer shows its record instead of the span.
            let tick = response
                .hover_pos()
                .filter(|_| b.span != NONE)
                .and_then(|p| {
                    let x_of = |t: u64| z.x_of(lanes_rect, t as f64 - l.start as f64);
                    let r = bar_rect(z, lanes_rect, l, &b);
                    super::log_ticks::at(&session.store, b.span, r, x_of, p)
                });
            response = match tick {
                Some(k) => {
                    response.on_hover_text_at_pointer(super::logs::record_line(&session.store, k))
                }
                None => response.on_hover_ui_at_pointer(|ui| tooltip(ui, session, l, &b, hover)),
            };
            if response.double_clicked() && b.span != NONE {
                let now = ui.input(|i| i.time);
                focus_bar(z, l, &b, now, true, lanes_rect.height());
            } else if response.clicked()
                && let Some(k) = tick
            {
                ctx.select(Selection::Log(k));
            } else if response.clicked() && b.span != NONE {
                ctx.select(Selection::Span(b.span));
            }
        }
        minimap(ui, z, l, &session.index, lanes_rect);
    }
}

/// Outlines the spans of the trace the query bar's query matched.
fn paint_matched(
    painter: &egui::Painter,
    ctx: &ViewCtx<'_>,
    l: &TraceLayout,
    z: &Zoom,
    lanes: Rect,
) {
    let (Some(m), Some(info)) = (
        &ctx.filter.matched,
        ctx.session.store.index.traces.get(l.trace as usize),
    ) else {
        return;
    };
    let lo = m.spans.partition_point(|&s| s < info.start_idx);
    let hi = m.spans.partition_point(|&s| s < info.start_idx + info.len);
    for &i in &m.spans[lo..hi] {
        if let Some(b) = l.bar_of_span(i).and_then(|b| l.bars.get(b as usize)) {
            let r = bar_rect(z, lanes, l, b);
            if r.intersects(lanes) {
                let r = Rect::from_min_max(r.min, pos2(r.right().max(r.left() + 2.0), r.bottom()));
                painter.rect_stroke(r, 2.0, Stroke::new(2.0, MATCH), StrokeKind::Outside);
            }
        }
    }
}
