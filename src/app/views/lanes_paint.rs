//! The Trace tab's lanes mode (lanes by goroutine): the layout of `analysis::lanes`, built once
//! per trace (on a thread for a large one), drawn in the flame chart's time window. A gutter
//! of lane labels (real labels, so screen readers and tests read them), bars painted as the
//! flame chart paints them, and arrows where control came from another lane or from nowhere.
//! A frame only walks the visible rows, finds the visible bars by binary search, merges
//! sub-pixel bars and draws at most the arrow into each bar it visits.

use std::sync::Arc;

use egui::{
    Align, Color32, Label, Layout, Painter, Pos2, Rect, RichText, Sense, Shape, Stroke, StrokeKind,
    Ui, UiBuilder, Vec2, pos2, vec2,
};

use super::trace_paint::{LANE_H, MIN_WINDOW, paint_bar, tooltip};
use crate::analysis::flame::{FlameIndex, TraceLayout};
use crate::analysis::lanes::{Arrow, ArrowKind, LaneBar, LaneLayout, Row};
use crate::app::state::{Selection, Session, ViewCtx};
use crate::app::task::{Task, build_keyed};
use crate::app::theme::{
    self, BREAK, GOROUTINE_HOP, LINK, OTHER_LANE, PROCESS_HOP, SELECTED, STALE,
};
use crate::app::timeline::{AXIS_H, MergedRun, Zoom, paint_axis, paint_row};
use crate::model::NONE;
use crate::units::duration_f64;

/// Width of the lane labels' column.
const GUTTER_W: f32 = 190.0;
/// Layouts of more spans than this are built on a thread (as the flame chart's are).
const ASYNC_SPANS: usize = 20_000;
/// Hover and click find a bar this close in pixels.
const HIT_SLOP: f32 = 3.0;
/// Where an arrow from nowhere starts, from its head.
const STUB: Vec2 = vec2(-26.0, -17.0);

/// The lanes mode's state: its layout, and its own vertical scroll (the time window is the
/// flame chart's, so switching modes keeps the time shown).
pub struct LanesChart {
    layout: Option<LaneLayout>,
    /// A layout being built on a thread: the traces it is for, and where it arrives.
    pending: Option<(Vec<u32>, Task<LaneLayout>)>,
    scroll_y: f32,
    /// The rows' area of the last frame (right of the labels, below the time axis).
    rows_rect: Rect,
    last_selection: Selection,
}

impl Default for LanesChart {
    fn default() -> Self {
        LanesChart {
            layout: None,
            pending: None,
            scroll_y: 0.0,
            rows_rect: Rect::NOTHING,
            last_selection: Selection::None,
        }
    }
}

impl LanesChart {
    pub fn layout(&self) -> Option<&LaneLayout> {
        self.layout.as_ref()
    }

    pub fn rows_rect(&self) -> Rect {
        self.rows_rect
    }

    /// Where span `i` was drawn in the last frame (clipped to the rows), if it is visible.
    pub fn span_rect(&self, i: u32, z: &Zoom, origin: u64) -> Option<Rect> {
        let lanes = self.layout.as_ref()?;
        let b = lanes.bars.get(lanes.bar_of_span(i)? as usize)?;
        let r = bar_rect(z, self.scroll_y, self.rows_rect, origin, b).intersect(self.rows_rect);
        r.is_positive().then_some(r)
    }

    /// Draws the lanes of the traces of `l` in `z`'s time window.
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        ctx: &mut ViewCtx<'_>,
        fx: &Arc<FlameIndex>,
        l: &TraceLayout,
        z: &mut Zoom,
    ) {
        if !self.ensure(ui.ctx(), ctx.session, fx, l) {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(format!("Laying out lanes of {} spans…", l.span_count()));
            });
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_millis(50));
            return;
        }
        if ctx.selection != self.last_selection {
            self.last_selection = ctx.selection;
            if let Selection::Span(i) = ctx.selection {
                self.scroll_to(i);
            }
        }
        // The window's scroll is the flame chart's; the lanes scroll on their own.
        let flame_y = std::mem::replace(&mut z.scroll_y, self.scroll_y);
        self.chart(ui, ctx, l, z);
        self.scroll_y = std::mem::replace(&mut z.scroll_y, flame_y);
    }

    /// Makes the layout the one of `l`'s traces; `false` while it is built on a thread.
    fn ensure(
        &mut self,
        ctx: &egui::Context,
        session: &Arc<Session>,
        fx: &Arc<FlameIndex>,
        l: &TraceLayout,
    ) -> bool {
        if self.layout.as_ref().is_some_and(|x| x.traces == l.traces) {
            return true;
        }
        let want = l.traces.clone();
        let (s, f, traces) = (Arc::clone(session), Arc::clone(fx), want.clone());
        let build = move || LaneLayout::build(&s.store, &f, &traces);
        let large = l.span_count() > ASYNC_SPANS;
        let Some(built) = build_keyed(&mut self.pending, ctx, "lanes-layout", want, large, build)
        else {
            return false;
        };
        let same_trace = self.layout.as_ref().map(|x| x.trace) == Some(built.trace);
        self.layout = Some(built);
        if !same_trace {
            self.scroll_y = 0.0;
        }
        // A span selected before the lanes existed is scrolled to now.
        if let Selection::Span(i) = self.last_selection {
            self.scroll_to(i);
        }
        true
    }

    /// Scrolls span `i`'s row into view.
    fn scroll_to(&mut self, i: u32) {
        let Some(lanes) = &self.layout else {
            return;
        };
        let Some(b) = lanes
            .bar_of_span(i)
            .and_then(|b| lanes.bars.get(b as usize))
        else {
            return;
        };
        let h = self.rows_rect.height();
        // Before the first frame there is no chart height yet.
        let view_h = if h.is_finite() && h > 0.0 {
            h
        } else {
            10.0 * LANE_H
        };
        let y = b.row as f32 * LANE_H;
        if y < self.scroll_y || y + LANE_H > self.scroll_y + view_h {
            self.scroll_y = (y - view_h / 3.0).max(0.0);
        }
    }

    fn chart(&mut self, ui: &mut Ui, ctx: &mut ViewCtx<'_>, l: &TraceLayout, z: &mut Zoom) {
        let session = ctx.session;
        let Some(lanes) = &self.layout else {
            return;
        };
        let avail = ui.available_size();
        let (rect, response) = ui.allocate_exact_size(
            vec2(
                avail.x.max(GUTTER_W + 100.0),
                avail.y.max(AXIS_H + 3.0 * LANE_H),
            ),
            Sense::click_and_drag(),
        );
        let plot = Rect::from_min_max(pos2(rect.left() + GUTTER_W, rect.top()), rect.max);
        let rows_rect = Rect::from_min_max(pos2(plot.left(), plot.top() + AXIS_H), plot.max);
        let below_axis = Rect::from_min_max(pos2(rect.left(), rows_rect.top()), rect.max);
        self.rows_rect = rows_rect;
        let origin = l.start;
        let extent = (l.end - l.start) as f64;
        let content_h = lanes.row_count() as f32 * LANE_H;
        z.handle_input(ui, &response, rows_rect, extent, MIN_WINDOW, content_h);

        let painter = ui.painter_at(rect);
        let visuals = ui.visuals().clone();
        painter.rect_filled(rect, 0.0, visuals.extreme_bg_color);
        paint_axis(ui, &painter.with_clip_rect(plot), z, plot);
        let band = painter.with_clip_rect(below_axis);
        let rows_painter = painter.with_clip_rect(rows_rect);

        let hover = response
            .hover_pos()
            .and_then(|p| hit(z, rows_rect, origin, lanes, p));
        let first = (z.scroll_y / LANE_H).floor().max(0.0) as usize;
        let last =
            (((z.scroll_y + rows_rect.height()) / LANE_H).ceil() as usize).min(lanes.row_count());
        let t0 = origin.saturating_add(z.v0.max(0.0) as u64);
        let t1 = origin.saturating_add(z.v1.max(0.0) as u64);
        let ns_per_px = z.width() / rows_rect.width().max(1.0) as f64;
        let mut arrows: Vec<u32> = Vec::new();
        let line = Stroke::new(1.0, visuals.widgets.noninteractive.bg_stroke.color);
        for k in first..last {
            let y = rows_rect.top() + k as f32 * LANE_H - z.scroll_y;
            let full = Rect::from_min_max(pos2(rect.left(), y), pos2(rect.right(), y + LANE_H));
            match lanes.rows[k] {
                Row::Service(_) => {
                    band.rect_filled(full, 0.0, visuals.faint_bg_color);
                    band.hline(full.x_range(), y, line);
                    continue;
                }
                Row::Lane { group, k: sub } => {
                    if group % 2 == 1 {
                        band.rect_filled(full, 0.0, Color32::from_white_alpha(6));
                    }
                    if sub == 0 {
                        band.hline(full.x_range(), y, line);
                    }
                }
            }
            paint_row(
                lanes,
                k,
                (t0, t1),
                MergedRun::new(&rows_painter, y + 1.0, y + LANE_H - 1.0),
                |x| origin as f64 + z.v0 + (x - rows_rect.left()) as f64 * ns_per_px,
                |b| {
                    if b.arrow != NONE {
                        arrows.push(b.arrow);
                    }
                    bar_rect(z, z.scroll_y, rows_rect, origin, b)
                },
                |_, b, r| {
                    if let Some(fb) = l.bar_of_span(b.span) {
                        paint_bar(ui, &rows_painter, session, l, fb, r);
                        let x_of = |t: u64| z.x_of(rows_rect, t as f64 - origin as f64);
                        super::log_ticks::paint(&rows_painter, &session.store, b.span, r, x_of);
                    }
                },
            );
        }
        for &a in &arrows {
            if let Some(a) = lanes.arrows.get(a as usize) {
                paint_arrow(&rows_painter, z, rows_rect, origin, lanes, a);
            }
        }
        // Selection and hover outlines on top.
        if let Selection::Span(i) = self.last_selection
            && let Some(b) = lanes
                .bar_of_span(i)
                .and_then(|b| lanes.bars.get(b as usize))
        {
            let r = bar_rect(z, z.scroll_y, rows_rect, origin, b);
            let r = Rect::from_min_max(r.min, pos2(r.right().max(r.left() + 2.0), r.bottom()));
            rows_painter.rect_stroke(r, 2.0, Stroke::new(2.5, SELECTED), StrokeKind::Outside);
        }
        if let Some(b) = hover.and_then(|h| lanes.bars.get(h as usize)) {
            let r = bar_rect(z, z.scroll_y, rows_rect, origin, b);
            let stroke = Stroke::new(1.0, visuals.strong_text_color());
            rows_painter.rect_stroke(r, 2.0, stroke, StrokeKind::Outside);
        }
        labels(ui, session, lanes, z.scroll_y, rows_rect, first..last);

        if let Some(b) = hover.and_then(|h| lanes.bars.get(h as usize)).copied()
            && let Some(fb) = l.bar_of_span(b.span)
        {
            let flame_bar = l.bars[fb as usize];
            let response = response.on_hover_ui_at_pointer(|ui| {
                tooltip(ui, session, l, &flame_bar, Some(fb));
                ui.separator();
                ui.label(format!(
                    "lane: {} of {}",
                    lanes.group_label(&session.store, b.group),
                    session.service_name(
                        lanes
                            .groups
                            .get(b.group as usize)
                            .map_or(NONE, |g| g.service)
                    )
                ));
                if let Some(a) = lanes.arrows.get(b.arrow as usize) {
                    let mut text = a.kind.describe().to_string();
                    if a.kind == ArrowKind::StaleParent {
                        let gap = a.to_time.saturating_sub(a.from_time) as f64;
                        text.push_str(&format!(" ({} after it ended)", duration_f64(gap)));
                    }
                    ui.label(text);
                }
            });
            if response.double_clicked() {
                let (a, e) = (b.start as f64 - origin as f64, b.end as f64 - origin as f64);
                let pad = (e - a).max(MIN_WINDOW) * 0.05;
                z.animate_to(ui.input(|i| i.time), a - pad, e + pad);
            } else if response.clicked() {
                ctx.select(Selection::Span(b.span));
            }
        }
    }
}

/// Where bar `b` is drawn (not clipped).
fn bar_rect(z: &Zoom, scroll_y: f32, rows: Rect, origin: u64, b: &LaneBar) -> Rect {
    let y = rows.top() + b.row as f32 * LANE_H - scroll_y;
    let x0 = z.x_of(rows, b.start as f64 - origin as f64);
    let x1 = z.x_of(rows, b.end as f64 - origin as f64);
    // Keep far off-screen ends finite and near the view so shapes stay well-formed.
    let (lo, hi) = (rows.left() - 10.0, rows.right() + 10.0);
    Rect::from_min_max(
        pos2(x0.clamp(lo, hi), y + 1.0),
        pos2(x1.clamp(lo, hi), y + LANE_H - 1.0),
    )
}

/// The bar under `p`, within `HIT_SLOP` pixels.
fn hit(z: &Zoom, rows: Rect, origin: u64, lanes: &LaneLayout, p: Pos2) -> Option<u32> {
    if !rows.contains(p) {
        return None;
    }
    let k = ((p.y - rows.top() + z.scroll_y) / LANE_H).floor();
    if k < 0.0 || k as usize >= lanes.row_count() {
        return None;
    }
    let t = origin as f64 + z.v_of(rows, p.x);
    if t < 0.0 {
        return None;
    }
    let slop = (HIT_SLOP as f64 * z.width() / rows.width().max(1.0) as f64) as u64;
    lanes.bar_at(k as usize, t as u64, slop)
}

/// An arrow from its source bar (at the time control left it) to the child's start, with a
/// head; from nowhere, a short dashed stub with an open tail.
fn paint_arrow(p: &Painter, z: &Zoom, rows: Rect, origin: u64, lanes: &LaneLayout, a: &Arrow) {
    let Some(to) = lanes.bars.get(a.to as usize) else {
        return;
    };
    let tr = bar_rect(z, z.scroll_y, rows, origin, to);
    // Far off-screen ends are brought near the view: the clipped part keeps its direction
    // closely enough, and shapes stay finite.
    let x_of = |t: u64| {
        z.x_of(rows, t as f64 - origin as f64)
            .clamp(rows.left() - 400.0, rows.right() + 400.0)
    };
    let y_near = |y: f32| y.clamp(rows.top() - 400.0, rows.bottom() + 400.0);
    let color = match a.kind {
        ArrowKind::GoroutineHop => GOROUTINE_HOP,
        ArrowKind::ProcessHop => PROCESS_HOP,
        ArrowKind::OtherLane => OTHER_LANE,
        ArrowKind::StaleParent => STALE,
        ArrowKind::DetachedRoot | ArrowKind::PropagationBreak | ArrowKind::MissingParent => BREAK,
        ArrowKind::Link => LINK,
    };
    // Lost parents are what the user looks for: a little heavier, dashed.
    let lost = !matches!(
        a.kind,
        ArrowKind::GoroutineHop | ArrowKind::ProcessHop | ArrowKind::OtherLane | ArrowKind::Link
    );
    let stroke = Stroke::new(if lost { 2.0 } else { 1.5 }, color);
    let head_x = x_of(a.to_time);
    let (tail, head, sourced) = match lanes.bars.get(a.from as usize) {
        Some(from) => {
            let fr = bar_rect(z, z.scroll_y, rows, origin, from);
            let head_y = match from.row.cmp(&to.row) {
                std::cmp::Ordering::Less => tr.top(),
                std::cmp::Ordering::Greater => tr.bottom(),
                std::cmp::Ordering::Equal => tr.center().y,
            };
            let tail = pos2(x_of(a.from_time), y_near(fr.center().y));
            (tail, pos2(head_x, y_near(head_y)), true)
        }
        None => {
            // Onto the bar's top-left corner from above it, from the right when the bar
            // starts at the chart's left edge (not from behind the labels).
            let head = pos2(head_x + 1.0, tr.top());
            let tail = head + STUB;
            let tail = if tail.x < rows.left() + 4.0 {
                head + vec2(-STUB.x * 0.7, STUB.y)
            } else {
                tail
            };
            (tail, head, false)
        }
    };
    if lost {
        p.extend(Shape::dashed_line(&[tail, head], stroke, 4.0, 3.0));
    } else {
        p.line_segment([tail, head], stroke);
    }
    if sourced {
        p.circle_filled(tail, 2.5, color);
    } else {
        p.circle_stroke(tail, 3.5, stroke);
    }
    let d = head - tail;
    let n = if d.length() < 0.5 {
        vec2(0.0, 1.0)
    } else {
        d.normalized()
    };
    let perp = vec2(-n.y, n.x);
    p.add(Shape::convex_polygon(
        vec![
            head,
            head - n * 7.0 + perp * 3.5,
            head - n * 7.0 - perp * 3.5,
        ],
        color,
        Stroke::NONE,
    ));
}

/// The labels of the visible rows in the gutter: each service's name on its header row, each
/// group's `g500 · 12 spans` on its first visible row.
fn labels(
    ui: &mut Ui,
    session: &Session,
    lanes: &LaneLayout,
    scroll_y: f32,
    rows: Rect,
    visible: std::ops::Range<usize>,
) {
    let gutter = Rect::from_min_max(
        pos2(rows.left() - GUTTER_W, rows.top()),
        pos2(rows.left(), rows.bottom()),
    );
    let mut gui = ui.new_child(
        UiBuilder::new()
            .max_rect(gutter)
            .layout(Layout::top_down(Align::Min)),
    );
    gui.set_clip_rect(gutter.intersect(ui.clip_rect()));
    let y_of = |row: usize| rows.top() + row as f32 * LANE_H - scroll_y;
    let put = |ui: &mut Ui, row_y: f32, indent: f32, text: RichText, hover: String| {
        let r = Rect::from_min_size(
            pos2(gutter.left() + indent, row_y),
            vec2(GUTTER_W - indent - 6.0, LANE_H),
        );
        ui.scope_builder(
            UiBuilder::new()
                .max_rect(r)
                .layout(Layout::left_to_right(Align::Center)),
            |ui| {
                ui.add(Label::new(text).truncate().selectable(false))
                    .on_hover_text(hover);
            },
        );
    };
    for k in visible.clone() {
        if let Some(Row::Service(s)) = lanes.rows.get(k) {
            let y = y_of(k);
            let swatch = Rect::from_min_size(pos2(gutter.left() + 4.0, y + 5.0), vec2(10.0, 10.0));
            gui.painter()
                .rect_filled(swatch, 2.0, theme::of_service(&session.index, *s));
            let name = session.service_name(*s).to_string();
            put(&mut gui, y, 18.0, RichText::new(&name).strong(), name);
        }
    }
    // Groups are in row order: those overlapping the visible rows, each labelled on its
    // first visible row.
    let from = lanes
        .groups
        .partition_point(|g| (g.first_row + g.rows) as usize <= visible.start);
    for (g, grp) in lanes.groups.iter().enumerate().skip(from) {
        if grp.first_row as usize >= visible.end {
            break;
        }
        let row = (grp.first_row as usize).max(visible.start);
        let label = lanes.group_label(&session.store, g as u32);
        let mut hover = format!("{label} in {}", session.service_name(grp.service));
        if let Some(p) = session.store.processes.get(grp.process as usize) {
            let key = session.store.str(p.key);
            if !key.is_empty() {
                hover.push_str(&format!(" (process {key})"));
            }
        }
        if grp.goroutine.is_none() {
            hover.push_str(": spans without a goroutine id");
        }
        put(&mut gui, y_of(row), 24.0, RichText::new(label), hover);
    }
}
