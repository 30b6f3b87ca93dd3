//! The Trace tab: one trace's flame chart (time across, depth down), coloured by service, with
//! conversion steps, goroutine and process hops, breaks and the missing-parent rows marked;
//! zoom on the cursor, pan, a minimap, and the traces joined by a stitch drawn under the span
//! they belong to. Also the pieces the flame graph view shares: the service palette, the
//! horizontal zoom state and bar labels.
//!
//! The layout comes from `analysis::flame` and is built once per trace; a frame only walks
//! the visible lanes, finds the visible bars by binary search and merges sub-pixel bars.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError, channel};

use egui::{
    Align2, Color32, CornerRadius, FontId, Pos2, Rect, Response, Sense, Shape, Stroke, StrokeKind,
    Ui, Vec2, pos2, vec2,
};

use super::exporter::Exporter;
use super::state::{Nav, Selection, Session, View};
use crate::analysis::conversion::conversion_of;
use crate::analysis::flame::{
    Bar, FlameIndex, OVERVIEW_COLS, OVERVIEW_PLACEHOLDER, TraceLayout, marks, self_time,
};
use crate::export::ExportView;
use crate::model::{NONE, StatusCode};

const LANE_H: f32 = 20.0;
const AXIS_H: f32 = 18.0;
const MINIMAP_H: f32 = 44.0;
/// Bars narrower than this get no label.
const LABEL_MIN_W: f32 = 32.0;
/// Hover and click find a bar this close in pixels.
const HIT_SLOP: f32 = 3.0;
const ZOOM_ANIM_S: f64 = 0.25;
/// Smallest visible time window, ns.
const MIN_WINDOW: f64 = 100.0;

pub const BREAK_RED: Color32 = Color32::from_rgb(220, 30, 30);
const CONVERSION_OUTLINE: Color32 = Color32::from_rgb(110, 40, 190);
const SELECTED: Color32 = Color32::from_rgb(255, 200, 0);
const PLACEHOLDER_FILL: Color32 = Color32::from_gray(190);
const MERGED_FILL: Color32 = Color32::from_gray(150);

/// Traces with more spans than this are laid out on a thread (a 100k-span trace takes ~140 ms).
const ASYNC_SPANS: u32 = 20_000;

/// The colour of a service: the topology views' palette colour for its name, so a service
/// has one colour in every view, trace and session.
pub fn service_color(name: &str) -> Color32 {
    let c = crate::export::scene::service_color(name);
    Color32::from_rgb(c.r, c.g, c.b)
}

/// Colours of every service of a session, by service index.
pub fn service_colors(session: &Session) -> Vec<Color32> {
    let store = &session.store;
    store
        .index
        .services
        .iter()
        .map(|&s| service_color(store.str(s)))
        .collect()
}

/// Black or white, whichever reads better on `fill`.
pub fn text_on(fill: Color32) -> Color32 {
    let l = 0.299 * fill.r() as f32 + 0.587 * fill.g() as f32 + 0.114 * fill.b() as f32;
    if l > 140.0 {
        Color32::BLACK
    } else {
        Color32::WHITE
    }
}

/// A duration for labels and tooltips: `850 ns`, `12.5 µs`, `3.20 ms`, `1.50 s`.
pub fn fmt_ns(ns: f64) -> String {
    let a = ns.abs();
    if a < 1e3 {
        format!("{ns:.0} ns")
    } else if a < 1e6 {
        format!("{:.1} µs", ns / 1e3)
    } else if a < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

/// Paints `text` inside `rect`, elided with `…` when it does not fit.
pub fn paint_label(ui: &Ui, painter: &egui::Painter, rect: Rect, text: String, color: Color32) {
    let font = FontId::proportional(12.0);
    let mut job = egui::text::LayoutJob::simple_singleline(text, font, color);
    job.wrap = egui::text::TextWrapping {
        max_width: (rect.width() - 6.0).max(0.0),
        max_rows: 1,
        break_anywhere: true,
        overflow_character: Some('…'),
    };
    let galley = ui.fonts_mut(|f| f.layout_job(job));
    let pos = pos2(rect.left() + 3.0, rect.center().y - galley.size().y / 2.0);
    painter.with_clip_rect(rect).galley(pos, galley, color);
}

/// The horizontal window of a zoomable chart over `[0, extent]` (ns for the flame chart,
/// fractions for the flame graph), its vertical scroll, and a zoom animation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Zoom {
    pub v0: f64,
    pub v1: f64,
    pub scroll_y: f32,
    anim: Option<Anim>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Anim {
    from: (f64, f64),
    to: (f64, f64),
    started: f64,
}

impl Zoom {
    pub fn new(extent: f64) -> Self {
        Zoom {
            v0: 0.0,
            v1: if extent > 0.0 { extent } else { 1.0 },
            scroll_y: 0.0,
            anim: None,
        }
    }

    pub fn width(&self) -> f64 {
        (self.v1 - self.v0).max(f64::MIN_POSITIVE)
    }

    pub fn x_of(&self, rect: Rect, v: f64) -> f32 {
        rect.left() + ((v - self.v0) / self.width() * rect.width() as f64) as f32
    }

    pub fn v_of(&self, rect: Rect, x: f32) -> f64 {
        self.v0 + (x - rect.left()) as f64 / rect.width().max(1.0) as f64 * self.width()
    }

    /// Keeps the window inside the extent (with a 2% margin) and no narrower than `min`; a
    /// window wider than the extent (a zero-length trace) is centred on it.
    fn clamp(&mut self, extent: f64, min: f64) {
        let margin = extent * 0.02;
        let w = self.width().min(extent + 2.0 * margin).max(min);
        let (lo, hi) = (-margin, extent + margin - w);
        let v0 = if hi >= lo {
            self.v0.clamp(lo, hi)
        } else {
            (extent - w) / 2.0
        };
        if v0.is_finite() && w.is_finite() {
            (self.v0, self.v1) = (v0, v0 + w);
        } else {
            *self = Zoom::new(extent);
        }
    }

    /// Animates the window to `[a, b]`.
    pub fn animate_to(&mut self, now: f64, a: f64, b: f64) {
        self.anim = Some(Anim {
            from: (self.v0, self.v1),
            to: (a, b),
            started: now,
        });
    }

    /// Steps a running animation; true while it runs.
    fn step(&mut self, now: f64) -> bool {
        let Some(a) = self.anim else {
            return false;
        };
        let p = ((now - a.started) / ZOOM_ANIM_S).clamp(0.0, 1.0);
        let e = 1.0 - (1.0 - p) * (1.0 - p);
        self.v0 = a.from.0 + (a.to.0 - a.from.0) * e;
        self.v1 = a.from.1 + (a.to.1 - a.from.1) * e;
        if p >= 1.0 {
            self.anim = None;
        }
        self.anim.is_some()
    }

    /// Applies scroll / pinch zoom around the cursor, horizontal scroll and drag pan, and the
    /// running animation. `content_h` is the scrollable height, `view_h` the visible one.
    pub fn handle_input(
        &mut self,
        ui: &Ui,
        response: &Response,
        rect: Rect,
        extent: f64,
        min: f64,
        content_h: f32,
    ) {
        if response.hovered() {
            let (scroll, zoom, pointer) = ui.input_mut(|i| {
                let s = i.smooth_scroll_delta;
                i.smooth_scroll_delta = Vec2::ZERO;
                (s, i.zoom_delta(), i.pointer.hover_pos())
            });
            let factor = zoom as f64 * (scroll.y as f64 * 0.004).exp();
            if factor != 1.0
                && let Some(p) = pointer
            {
                self.anim = None;
                let at = self.v_of(rect, p.x);
                let w = (self.width() / factor).max(min);
                let frac = (p.x - rect.left()) as f64 / rect.width().max(1.0) as f64;
                self.v0 = at - frac * w;
                self.v1 = self.v0 + w;
            }
            if scroll.x != 0.0 {
                self.anim = None;
                let dv = -scroll.x as f64 / rect.width().max(1.0) as f64 * self.width();
                (self.v0, self.v1) = (self.v0 + dv, self.v1 + dv);
            }
        }
        if response.dragged() {
            self.anim = None;
            let d = response.drag_delta();
            let dv = -d.x as f64 / rect.width().max(1.0) as f64 * self.width();
            (self.v0, self.v1) = (self.v0 + dv, self.v1 + dv);
            self.scroll_y -= d.y;
        }
        if self.step(ui.input(|i| i.time)) {
            ui.ctx().request_repaint();
        } else {
            self.clamp(extent, min);
        }
        self.scroll_y = self
            .scroll_y
            .clamp(0.0, (content_h - rect.height()).max(0.0));
    }
}

/// The Trace tab's view state.
pub struct FlameChartView {
    session: usize,
    fx: Option<Arc<FlameIndex>>,
    /// A layout being built on a thread: (trace, stitch) and where it arrives.
    pending: Option<((u32, bool), Receiver<TraceLayout>)>,
    colors: Vec<Color32>,
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
}

impl Default for FlameChartView {
    fn default() -> Self {
        FlameChartView {
            session: 0,
            fx: None,
            pending: None,
            colors: Vec::new(),
            layout: None,
            stitch: false,
            layout_stitch: false,
            zoom: None,
            last_selection: Selection::None,
            lanes_rect: Rect::NOTHING,
            exporter: Exporter::default(),
            shown: None,
            carried: None,
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
            session: Arc::as_ptr(session) as usize,
            fx: Some(Arc::new(FlameIndex::new(&session.store, &session.analysis))),
            colors: service_colors(session),
            stitch: self.stitch,
            carried,
            ..FlameChartView::default()
        };
    }

    fn ui(&mut self, ui: &mut Ui, session: &Arc<Session>, selection: Selection) -> Vec<Nav> {
        if self.session != Arc::as_ptr(session) as usize || self.fx.is_none() {
            self.reset(session);
        }
        let mut nav = Vec::new();
        let Some(t) = self.wanted_trace(session, selection) else {
            ui.label("No traces loaded.");
            return nav;
        };
        if self.layout.as_ref().map(|l| (l.trace, self.layout_stitch)) != Some((t, self.stitch))
            && !self.set_trace(session, t)
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
            return nav;
        }
        let (Some(layout), Some(fx)) = (self.layout.as_ref(), self.fx.as_ref()) else {
            return nav;
        };
        let store = &session.store;
        let can_stitch = TraceLayout::can_stitch(fx, t);
        let mut stitch = self.stitch;
        let mut fit = false;
        ui.horizontal(|ui| {
            let id = store.index.traces.get(t as usize).map_or(0, |i| i.id);
            ui.strong(format!("Trace {id:032x}"));
            let spans = layout.span_count();
            let breaks: u32 = layout.traces.iter().map(|&t| fx.break_count(t)).sum();
            ui.label(format!(
                "{} · {} · {}",
                crate::units::count(spans as u64, "span"),
                fmt_ns((layout.end - layout.start) as f64),
                crate::units::count(u64::from(breaks), "break"),
            ));
            if can_stitch {
                ui.checkbox(&mut stitch, "Stitch").on_hover_text(
                    "Draw the traces joined to this one by a propagation_break or a \
                     detached_root under the span they belong to",
                );
                if layout.traces.len() > 1 {
                    ui.label(format!("{} traces", layout.traces.len()));
                }
            }
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
                let color = self.colors.get(s as usize).copied().unwrap_or(MERGED_FILL);
                let (r, _) = ui.allocate_exact_size(vec2(12.0, 12.0), Sense::hover());
                ui.painter().rect_filled(r, 2.0, color);
                ui.label(name);
            }
        });
        if stitch != self.stitch {
            self.stitch = stitch;
            self.set_trace(session, t);
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
        nav.extend(self.chart(ui, session));
        nav
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
                store.index.span_trace.get(i as usize).copied()
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
            .or_else(|| self.fx.as_ref()?.default_trace(store))
    }

    /// Makes trace `t` the one drawn; `false` while its layout is still being built. Large
    /// traces are laid out on a thread so that opening one never stalls the UI.
    fn set_trace(&mut self, session: &Arc<Session>, t: u32) -> bool {
        let Some(fx) = &self.fx else {
            return true;
        };
        let want = (t, self.stitch);
        let layout = match self.pending.take() {
            Some((key, rx)) if key == want => match rx.try_recv() {
                Ok(layout) => layout,
                Err(TryRecvError::Empty) => {
                    self.pending = Some((key, rx));
                    return false;
                }
                // The thread died (it cannot panic on valid indexes): build here instead.
                Err(TryRecvError::Disconnected) => {
                    TraceLayout::build(&session.store, fx, t, self.stitch)
                }
            },
            _ if session
                .store
                .index
                .traces
                .get(t as usize)
                .is_some_and(|i| i.len > ASYNC_SPANS) =>
            {
                let (tx, rx) = channel();
                let (session, fx, stitch) = (Arc::clone(session), Arc::clone(fx), self.stitch);
                std::thread::spawn(move || {
                    let _ = tx.send(TraceLayout::build(&session.store, &fx, t, stitch));
                });
                self.pending = Some((want, rx));
                return false;
            }
            _ => TraceLayout::build(&session.store, fx, t, self.stitch),
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
            z.anim = None;
            z.v0 = start as f64 - l.start as f64;
            z.v1 = z.v0 + (end.saturating_sub(start) as f64).max(MIN_WINDOW);
        }
    }

    /// The lanes' area (below the time axis) of the last frame.
    pub fn lanes_rect(&self) -> Rect {
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
        let b = l.bars.get(l.bar_of_span(i)? as usize)?;
        let r = bar_rect(z, self.lanes_rect, l, b).intersect(self.lanes_rect);
        r.is_positive().then_some(r)
    }

    /// The trace shown (index into `Store::index.traces`).
    pub fn trace(&self) -> Option<u32> {
        self.layout.as_ref().map(|l| l.trace)
    }

    fn chart(&mut self, ui: &mut Ui, session: &Session) -> Vec<Nav> {
        let mut nav = Vec::new();
        let (Some(l), Some(fx), Some(z)) = (&self.layout, &self.fx, &mut self.zoom) else {
            return nav;
        };
        let avail = ui.available_size();
        let chart_h = (avail.y - MINIMAP_H - ui.spacing().item_spacing.y).max(3.0 * LANE_H);
        let (rect, response) =
            ui.allocate_exact_size(vec2(avail.x.max(100.0), chart_h), Sense::click_and_drag());
        let lanes_rect = Rect::from_min_max(pos2(rect.left(), rect.top() + AXIS_H), rect.max);
        self.lanes_rect = lanes_rect;
        let extent = (l.end - l.start) as f64;
        let content_h = l.lanes() as f32 * LANE_H;
        z.handle_input(ui, &response, lanes_rect, extent, MIN_WINDOW, content_h);

        let painter = ui.painter_at(rect);
        let visuals = ui.visuals();
        painter.rect_filled(rect, 0.0, visuals.extreme_bg_color);
        paint_axis(ui, &painter, z, rect);

        // The hovered bar, found by lane and binary search.
        let hover = response.hover_pos().and_then(|p| hit(z, lanes_rect, l, p));
        let lane_painter = painter.with_clip_rect(lanes_rect);
        let first = (z.scroll_y / LANE_H).floor().max(0.0) as usize;
        let last = (((z.scroll_y + lanes_rect.height()) / LANE_H).ceil() as usize).min(l.lanes());
        let t0 = l.start.saturating_add(z.v0.max(0.0) as u64);
        let t1 = l.start.saturating_add(z.v1.max(0.0) as u64);
        let ns_per_px = z.width() / lanes_rect.width().max(1.0) as f64;
        for k in first..last {
            let y = lanes_rect.top() + k as f32 * LANE_H - z.scroll_y;
            let range = l.visible(k, t0, t1);
            let mut i = range.start;
            // A run of merged sub-pixel bars, [x0, x1).
            let mut run: Option<(f32, f32)> = None;
            let flush = |run: &mut Option<(f32, f32)>| {
                if let Some((a, b)) = run.take() {
                    let r = Rect::from_min_max(pos2(a, y + 1.0), pos2(b, y + LANE_H - 1.0));
                    lane_painter.rect_filled(r, 0.0, MERGED_FILL);
                }
            };
            while i < range.end {
                let b = &l.bars[i];
                let r = bar_rect(z, lanes_rect, l, b);
                if r.width() < 1.0 {
                    let px = r.left().floor();
                    run = match run {
                        Some((a, e)) if e >= px => Some((a, px + 1.0)),
                        other => {
                            let mut other = other;
                            flush(&mut other);
                            Some((px, px + 1.0))
                        }
                    };
                    // Every later bar starting inside this pixel column is covered by it.
                    let next_t =
                        l.start as f64 + z.v0 + (px + 1.0 - lanes_rect.left()) as f64 * ns_per_px;
                    i = l.next_starting(k, i + 1, next_t.max(0.0) as u64);
                    continue;
                }
                flush(&mut run);
                paint_bar(ui, &lane_painter, session, fx, &self.colors, l, i as u32, r);
                if b.span != NONE {
                    let x_of = |t: u64| z.x_of(lanes_rect, t as f64 - l.start as f64);
                    super::log_ticks::paint(&lane_painter, &session.store, b.span, r, x_of);
                }
                i += 1;
            }
            flush(&mut run);
        }
        // Stitch joints: dashed from the holder down to the stitched root.
        for &(h, s) in &l.joints {
            let (Some(hb), Some(sb)) = (l.bars.get(h as usize), l.bars.get(s as usize)) else {
                continue;
            };
            let (hr, sr) = (
                bar_rect(z, lanes_rect, l, hb),
                bar_rect(z, lanes_rect, l, sb),
            );
            let x = sr.left().clamp(hr.left(), hr.right().max(hr.left()));
            let stroke = Stroke::new(1.5, BREAK_RED);
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
        if let Some(b) = hover.and_then(|h| l.bars.get(h as usize)) {
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
                Some(k) => response
                    .on_hover_text_at_pointer(super::logs_view::record_line(&session.store, k)),
                None => {
                    response.on_hover_ui_at_pointer(|ui| tooltip(ui, session, fx, l, &b, hover))
                }
            };
            if response.double_clicked() && b.span != NONE {
                let now = ui.input(|i| i.time);
                focus_bar(z, l, &b, now, true, lanes_rect.height());
            } else if response.clicked() && b.span != NONE {
                nav.push(Nav::Select(Selection::Span(b.span)));
            }
        }
        minimap(ui, z, l, &self.colors, lanes_rect);
        nav
    }
}

/// Where bar `b` is drawn (not clipped).
fn bar_rect(z: &Zoom, lanes: Rect, l: &TraceLayout, b: &Bar) -> Rect {
    let y = lanes.top() + b.lane as f32 * LANE_H - z.scroll_y;
    let x0 = z.x_of(lanes, (b.start - l.start) as f64);
    let x1 = z.x_of(lanes, (b.end - l.start) as f64);
    // Keep far off-screen ends finite and near the view so shapes stay well-formed.
    let (lo, hi) = (lanes.left() - 10.0, lanes.right() + 10.0);
    Rect::from_min_max(
        pos2(x0.clamp(lo, hi), y + 1.0),
        pos2(x1.clamp(lo, hi), y + LANE_H - 1.0),
    )
}

/// The bar under `p`, within `HIT_SLOP` pixels.
fn hit(z: &Zoom, lanes: Rect, l: &TraceLayout, p: Pos2) -> Option<u32> {
    if !lanes.contains(p) {
        return None;
    }
    let k = ((p.y - lanes.top() + z.scroll_y) / LANE_H).floor();
    if k < 0.0 || k as usize >= l.lanes() {
        return None;
    }
    let v = z.v_of(lanes, p.x);
    let t = l.start as f64 + v;
    if t < 0.0 {
        return None;
    }
    let slop = (HIT_SLOP as f64 * z.width() / lanes.width().max(1.0) as f64) as u64;
    l.bar_at(k as usize, t as u64, slop)
}

/// Pans (or zooms, `zoom_in` or when it does not fit) so that bar `b` is in view, and
/// scrolls its lane into view.
fn focus_bar(z: &mut Zoom, l: &TraceLayout, b: &Bar, now: f64, zoom_in: bool, view_h: f32) {
    let (a, e) = ((b.start - l.start) as f64, (b.end - l.start) as f64);
    let len = (e - a).max(MIN_WINDOW);
    if zoom_in || len > z.width() * 0.95 {
        let pad = len * 0.05;
        z.animate_to(now, a - pad, e + pad);
    } else if a < z.v0 || e > z.v1 {
        let w = z.width();
        let mid = (a + e) / 2.0;
        z.animate_to(now, mid - w / 2.0, mid + w / 2.0);
    }
    // Before the first frame there is no chart height yet.
    let view_h = if view_h.is_finite() && view_h > 0.0 {
        view_h
    } else {
        10.0 * LANE_H
    };
    let y = b.lane as f32 * LANE_H;
    if y < z.scroll_y || y + LANE_H > z.scroll_y + view_h {
        z.scroll_y = (y - view_h / 3.0).max(0.0);
    }
}

/// Time ticks across the top: about one per 100 px, at round values.
fn paint_axis(ui: &Ui, painter: &egui::Painter, z: &Zoom, rect: Rect) {
    let axis = Rect::from_min_size(rect.min, vec2(rect.width(), AXIS_H));
    let visuals = ui.visuals();
    painter.rect_filled(axis, 0.0, visuals.faint_bg_color);
    let step = nice_step(z.width() * 100.0 / rect.width().max(1.0) as f64);
    let mut v = (z.v0 / step).ceil() * step;
    let color = visuals.weak_text_color();
    let mut ticks = 0;
    while v <= z.v1 && ticks < 64 {
        let x = z.x_of(rect, v);
        painter.line_segment(
            [pos2(x, axis.top()), pos2(x, rect.bottom())],
            Stroke::new(1.0, visuals.faint_bg_color),
        );
        painter.text(
            pos2(x + 3.0, axis.center().y),
            Align2::LEFT_CENTER,
            fmt_ns(v),
            FontId::proportional(11.0),
            color,
        );
        v += step;
        ticks += 1;
    }
}

/// 1, 2 or 5 times a power of ten, at least `raw`.
fn nice_step(raw: f64) -> f64 {
    let raw = raw.max(1.0);
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * p)
}

#[allow(clippy::too_many_arguments)]
fn paint_bar(
    ui: &Ui,
    painter: &egui::Painter,
    session: &Session,
    fx: &FlameIndex,
    colors: &[Color32],
    l: &TraceLayout,
    bar: u32,
    r: Rect,
) {
    let Some(b) = l.bars.get(bar as usize) else {
        return;
    };
    let store = &session.store;
    let placeholder = b.span == NONE;
    let fill = if placeholder {
        PLACEHOLDER_FILL
    } else {
        colors
            .get(b.service as usize)
            .copied()
            .unwrap_or(MERGED_FILL)
    };
    painter.rect_filled(r, CornerRadius::same(2), fill);
    if b.marks & marks::ERROR != 0 && r.width() >= 4.0 {
        let s = Rect::from_min_max(pos2(r.left(), r.bottom() - 3.0), r.right_bottom());
        painter.rect_filled(s, 0.0, BREAK_RED);
    }
    if b.marks & marks::BREAK != 0 {
        painter.rect_stroke(r, 2.0, Stroke::new(2.0, BREAK_RED), StrokeKind::Inside);
    } else if b.marks & marks::CONVERSION != 0 {
        painter.rect_stroke(
            r,
            2.0,
            Stroke::new(2.0, CONVERSION_OUTLINE),
            StrokeKind::Inside,
        );
    }
    // Hop markers at the child's left edge: a triangle for a goroutine hop, a dot for a
    // process hop.
    if r.width() >= 4.0 {
        let p = r.left_top() + vec2(1.0, 1.0);
        let mark = Stroke::new(1.0, Color32::BLACK);
        if b.marks & marks::GOROUTINE_HOP != 0 {
            painter.add(Shape::convex_polygon(
                vec![p, p + vec2(8.0, 0.0), p + vec2(0.0, 8.0)],
                Color32::from_rgb(255, 140, 0),
                mark,
            ));
        } else if b.marks & marks::PROCESS_HOP != 0 {
            painter.circle(p + vec2(3.5, 3.5), 3.0, Color32::WHITE, mark);
        }
    }
    if r.width() < LABEL_MIN_W {
        return;
    }
    let text = if placeholder {
        let id = l.missing_parent(bar);
        format!("missing parent {:016x}", id.unwrap_or(0))
    } else {
        let name = store.str(store.span(b.span).name);
        let mut text = match conversion_of(store, b.span) {
            Some(c) => format!("{} → {}", c.from, c.to),
            None => name.to_string(),
        };
        for k in fx.breaks_of(b.span) {
            if let Some(brk) = session.analysis.breaks.get(k as usize) {
                text.push_str(" [");
                text.push_str(brk.kind.name());
                text.push(']');
            }
        }
        text
    };
    let r = if b.marks & (marks::GOROUTINE_HOP | marks::PROCESS_HOP) != 0 {
        Rect::from_min_max(pos2(r.left() + 8.0, r.top()), r.max)
    } else {
        r
    };
    paint_label(ui, painter, r, text, text_on(fill));
}

fn tooltip(
    ui: &mut Ui,
    session: &Session,
    fx: &FlameIndex,
    l: &TraceLayout,
    b: &Bar,
    bar: Option<u32>,
) {
    let store = &session.store;
    if b.span == NONE {
        let id = bar.and_then(|k| l.missing_parent(k)).unwrap_or(0);
        ui.strong(format!("missing parent {id:016x}"));
        ui.label(
            "The spans below name this parent, but it is not among the loaded spans (orphan_span).",
        );
        return;
    }
    let i = b.span;
    let s = store.span(i);
    ui.strong(store.str(s.name));
    ui.label(format!(
        "service: {} · {}",
        store.service_name(i),
        s.kind.as_str()
    ));
    ui.label(format!(
        "duration: {} · self: {}",
        fmt_ns(s.duration() as f64),
        fmt_ns(self_time(store, i) as f64)
    ));
    ui.label(format!(
        "starts at +{}",
        fmt_ns((s.start.saturating_sub(l.start)) as f64)
    ));
    if let Some(c) = conversion_of(store, i) {
        ui.label(format!("conversion: {} → {}", c.from, c.to));
    }
    let g = store.span(i).goroutine();
    let hop = if b.marks & marks::GOROUTINE_HOP != 0 {
        " (goroutine hop from its parent)"
    } else if b.marks & marks::PROCESS_HOP != 0 {
        " (process hop from its parent)"
    } else {
        ""
    };
    match g {
        Some(g) => ui.label(format!("goroutine: {g}{hop}")),
        None => ui.label(format!("goroutine: unknown{hop}")),
    };
    if b.marks & marks::STITCHED != 0 {
        ui.label("stitched: root of another trace, drawn under the span it belongs to");
    }
    if s.status == StatusCode::Error {
        let msg = store.str(s.status_message);
        ui.colored_label(BREAK_RED, format!("status: ERROR {msg}"));
    }
    for k in fx.breaks_of(i) {
        if let Some(brk) = session.analysis.breaks.get(k as usize) {
            ui.colored_label(
                BREAK_RED,
                format!("{}: {}", brk.kind.name(), brk.message(store)),
            );
        }
    }
}

/// The whole trace at a glance under the chart, with the visible window framed; click or
/// drag to move the window there.
fn minimap(ui: &mut Ui, z: &mut Zoom, l: &TraceLayout, colors: &[Color32], lanes: Rect) {
    let (rect, response) = ui.allocate_exact_size(
        vec2(ui.available_width().max(100.0), MINIMAP_H),
        Sense::click_and_drag(),
    );
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, ui.visuals().faint_bg_color);
    let rows = l.overview_rows.max(1);
    let row_h = rect.height() / rows as f32;
    let col_w = rect.width() / OVERVIEW_COLS as f32;
    for (r, cells) in l.overview.chunks(OVERVIEW_COLS).enumerate() {
        let y = rect.top() + r as f32 * row_h;
        let mut c = 0;
        while c < cells.len() {
            let v = cells[c];
            let mut e = c + 1;
            while e < cells.len() && cells[e] == v {
                e += 1;
            }
            if v != NONE {
                let fill = if v == OVERVIEW_PLACEHOLDER {
                    PLACEHOLDER_FILL
                } else {
                    colors.get(v as usize).copied().unwrap_or(MERGED_FILL)
                };
                let cell = Rect::from_min_max(
                    pos2(rect.left() + c as f32 * col_w, y),
                    pos2(rect.left() + e as f32 * col_w, y + row_h.max(1.0)),
                );
                painter.rect_filled(cell, 0.0, fill);
            }
            c = e;
        }
    }
    let extent = ((l.end - l.start) as f64).max(MIN_WINDOW);
    let x_of = |v: f64| rect.left() + (v / extent) as f32 * rect.width();
    let content_h = (l.lanes() as f32 * LANE_H).max(1.0);
    let y_of = |y: f32| rect.top() + (y / content_h).clamp(0.0, 1.0) * rect.height();
    let window = Rect::from_min_max(
        pos2(x_of(z.v0).max(rect.left()), y_of(z.scroll_y)),
        pos2(
            x_of(z.v1).min(rect.right()),
            y_of(z.scroll_y + lanes.height()),
        ),
    );
    painter.rect_filled(
        window,
        0.0,
        Color32::from_rgba_unmultiplied(255, 255, 255, 40),
    );
    painter.rect_stroke(
        window,
        0.0,
        Stroke::new(1.5, ui.visuals().strong_text_color()),
        StrokeKind::Inside,
    );
    if (response.clicked() || response.dragged())
        && let Some(p) = response.interact_pointer_pos()
    {
        z.anim = None;
        let w = z.width();
        let mid = ((p.x - rect.left()) / rect.width().max(1.0)) as f64 * extent;
        (z.v0, z.v1) = (mid - w / 2.0, mid + w / 2.0);
        let y = (p.y - rect.top()) / rect.height().max(1.0) * content_h;
        z.scroll_y = (y - lanes.height() / 2.0).max(0.0);
    }
}
