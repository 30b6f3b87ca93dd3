//! The Flame graph tab: spans of all traces (or of the Traces view's filter) merged by their
//! (service, span name) path from the root, width = total time. Clicking a frame asks the
//! Traces view to list the traces through it; double-clicking zooms into it.
//!
//! The tree comes from `analysis::flame::FlameGraph`, built once per session and filter; a
//! frame only draws the visible depths, finds the visible frames by binary search and merges
//! sub-pixel frames.

use std::sync::Arc;

use egui::{CornerRadius, Rect, Sense, Stroke, StrokeKind, Ui, pos2, vec2};

use crate::analysis::flame::{FlameGraph, Frame};
use crate::app::state::{Nav, Session, View, ViewCtx};
use crate::app::theme::{self, ROOT, SELECTED};
use crate::app::timeline::{MergedRun, Zoom, paint_label};
use crate::export::flame::{frame_label, service_of};
use crate::model::NONE;
use crate::units::duration_f64;

const ROW_H: f32 = 20.0;
const LABEL_MIN_W: f32 = 32.0;
/// The narrowest zoom, as a fraction of the whole graph.
const MIN_WINDOW: f64 = 1e-9;

/// The Flame graph tab's view state.
#[derive(Default)]
pub struct FlameGraphView {
    filter: Option<Vec<u32>>,
    /// The generation of the context's trace filter last taken.
    taken: Option<u64>,
    graph: Option<FlameGraph>,
    zoom: Option<Zoom>,
    /// The frame last clicked, outlined.
    clicked: Option<u32>,
    rows_rect: Option<Rect>,
}

impl View for FlameGraphView {
    fn reset(&mut self, _: &Arc<Session>) {
        self.graph = None;
        // The filter's trace numbers are the old session's: take the list again.
        self.taken = None;
    }

    fn ui(&mut self, ui: &mut Ui, ctx: &mut ViewCtx<'_>) {
        let session = ctx.session;
        let f = &ctx.filter;
        if f.generation != 0 && self.taken != Some(f.generation) {
            self.set_trace_filter(f.traces.as_deref().map(<[u32]>::to_vec));
            self.taken = Some(f.generation);
        }
        if self.graph.is_none() {
            self.graph = Some(FlameGraph::build(&session.store, self.filter.as_deref()));
            self.zoom = Some(Zoom::new(1.0));
            self.clicked = None;
        }
        let (Some(g), Some(z)) = (&self.graph, &mut self.zoom) else {
            return;
        };
        let store = &session.store;
        let mut fit = false;
        ui.horizontal(|ui| {
            let scope = if self.filter.is_some() {
                "filtered traces"
            } else {
                "traces"
            };
            ui.strong(format!("{} {scope}", g.traces));
            ui.label(format!(
                "{} frames · {} total · click a frame to list its traces, double-click to zoom",
                g.frames.len().saturating_sub(1),
                duration_f64(g.frames.first().map_or(0, |f| f.total) as f64)
            ));
            fit = ui
                .button("Fit")
                .on_hover_text("Show the whole graph")
                .clicked();
        });
        if fit {
            z.animate_to(ui.input(|i| i.time), 0.0, 1.0);
        }
        let avail = ui.available_size();
        let (rect, response) = ui.allocate_exact_size(
            vec2(avail.x.max(100.0), avail.y.max(3.0 * ROW_H)),
            Sense::click_and_drag(),
        );
        self.rows_rect = Some(rect);
        z.handle_input(
            ui,
            &response,
            rect,
            1.0,
            MIN_WINDOW,
            g.depths() as f32 * ROW_H,
        );
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 0.0, ui.visuals().extreme_bg_color);

        let hover = response.hover_pos().and_then(|p| frame_at(g, z, rect, p));
        let first = (z.scroll_y / ROW_H).floor().max(0.0) as usize;
        let last = (((z.scroll_y + rect.height()) / ROW_H).ceil() as usize).min(g.depths());
        let px = z.width() / rect.width().max(1.0) as f64;
        for d in first..last {
            let y = rect.top() + d as f32 * ROW_H - z.scroll_y;
            let range = g.visible(d, z.v0, z.v1);
            let mut k = range.start;
            let mut run = MergedRun::new(&painter, y + 1.0, y + ROW_H - 1.0);
            while k < range.end {
                let f = &g.frames[k];
                let r = frame_rect(z, rect, f);
                if r.width() < 1.0 {
                    let x1 = run.add(r.left());
                    // Frames of a depth are sorted by x: skip those starting in this pixel.
                    let next = z.v0 + (x1 - rect.left()) as f64 * px;
                    let frames = &g.frames[k + 1..range.end];
                    k += 1 + frames.partition_point(|f| f.x < next);
                    continue;
                }
                run.flush();
                let fill = if f.service == NONE {
                    ROOT
                } else {
                    theme::of_service(&session.index, f.service)
                };
                painter.rect_filled(r, CornerRadius::same(2), fill);
                if self.clicked == Some(k as u32) {
                    painter.rect_stroke(r, 2.0, Stroke::new(2.5, SELECTED), StrokeKind::Inside);
                }
                if r.width() >= LABEL_MIN_W {
                    let text = frame_label(store, g, f);
                    paint_label(ui, &painter, r, text, theme::text_on(fill));
                }
                k += 1;
            }
            run.flush();
        }
        if let Some(f) = hover.and_then(|h| g.frames.get(h as usize)) {
            let r = frame_rect(z, rect, f);
            painter.rect_stroke(
                r,
                2.0,
                Stroke::new(1.0, ui.visuals().strong_text_color()),
                StrokeKind::Outside,
            );
        }
        let mut response = response;
        if let Some(h) = hover
            && let Some(f) = g.frames.get(h as usize).copied()
        {
            response = response.on_hover_ui_at_pointer(|ui| tooltip(ui, session, g, &f));
            if response.double_clicked() {
                let pad = f.width * 0.02;
                z.animate_to(ui.input(|i| i.time), f.x - pad, f.x + f.width + pad);
            } else if response.clicked() && f.parent != NONE {
                self.clicked = Some(h);
                ctx.navigate(Nav::FilterTracesByFrame(g.path(store, h)));
            }
        }
    }
}

impl FlameGraphView {
    /// Aggregates only these traces (indexes into `Store::index.traces`), or all with `None`.
    /// The graph is rebuilt on the next frame when the filter changed.
    pub fn set_trace_filter(&mut self, filter: Option<Vec<u32>>) {
        if filter != self.filter {
            self.filter = filter;
            self.graph = None;
        }
    }

    /// The graph drawn (after the first frame).
    pub fn graph(&self) -> Option<&FlameGraph> {
        self.graph.as_ref()
    }

    /// Where frame `f` was drawn in the last frame (clipped to the view), if visible.
    pub fn frame_rect(&self, f: u32) -> Option<Rect> {
        let (g, z, rect) = (self.graph.as_ref()?, self.zoom.as_ref()?, self.rows_rect?);
        let r = frame_rect(z, rect, g.frames.get(f as usize)?).intersect(rect);
        r.is_positive().then_some(r)
    }

    /// The visible horizontal window, as fractions of the whole graph.
    pub fn visible(&self) -> Option<(f64, f64)> {
        self.zoom.map(|z| (z.v0, z.v1))
    }
}

fn frame_rect(z: &Zoom, rect: Rect, f: &Frame) -> Rect {
    let y = rect.top() + f.depth as f32 * ROW_H - z.scroll_y;
    let (lo, hi) = (rect.left() - 10.0, rect.right() + 10.0);
    Rect::from_min_max(
        pos2(z.x_of(rect, f.x).clamp(lo, hi), y + 1.0),
        pos2(z.x_of(rect, f.x + f.width).clamp(lo, hi), y + ROW_H - 1.0),
    )
}

fn frame_at(g: &FlameGraph, z: &Zoom, rect: Rect, p: egui::Pos2) -> Option<u32> {
    if !rect.contains(p) {
        return None;
    }
    let d = ((p.y - rect.top() + z.scroll_y) / ROW_H).floor();
    if d < 0.0 {
        return None;
    }
    g.frame_at(d as usize, z.v_of(rect, p.x))
}

fn tooltip(ui: &mut Ui, session: &Session, g: &FlameGraph, f: &Frame) {
    let root_total = g.frames.first().map_or(0, |r| r.total).max(1);
    if f.parent == NONE {
        ui.strong(format!("all: {} traces", g.traces));
        ui.label(format!("total: {}", duration_f64(f.total as f64)));
        return;
    }
    ui.strong(session.store.str(f.name));
    ui.label(format!("service: {}", service_of(&session.store, f)));
    ui.label(format!("count: {}", f.count));
    ui.label(format!(
        "total: {} ({:.1}% of all)",
        duration_f64(f.total as f64),
        f.total as f64 * 100.0 / root_total as f64
    ));
    ui.label(format!("self: {}", duration_f64(f.self_time as f64)));
    if f.count > 0 {
        ui.label(format!(
            "mean: {}",
            duration_f64(f.total as f64 / f.count as f64)
        ));
    }
    ui.weak("click: list the traces through this frame · double-click: zoom");
}
