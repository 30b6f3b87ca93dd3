//! How the Trace tab paints: bar geometry and hit tests, bars with their marks and labels,
//! tooltips, and the minimap.

use egui::{Color32, CornerRadius, Pos2, Rect, Sense, Shape, Stroke, StrokeKind, Ui, pos2, vec2};

use crate::analysis::conversion::conversion_of;
use crate::analysis::flame::{
    Bar, OVERVIEW_COLS, OVERVIEW_PLACEHOLDER, TraceLayout, marks, self_time,
};
use crate::app::state::{Session, SessionIndex};
use crate::app::theme::{self, BREAK, CONVERSION, GOROUTINE_HOP, PLACEHOLDER};
use crate::app::timeline::{Zoom, paint_label};
use crate::model::{NONE, StatusCode};
use crate::units::duration_f64;

pub const LANE_H: f32 = 20.0;
pub const MINIMAP_H: f32 = 44.0;
/// Bars narrower than this get no label.
const LABEL_MIN_W: f32 = 32.0;
/// Hover and click find a bar this close in pixels.
const HIT_SLOP: f32 = 3.0;
/// Smallest visible time window, ns.
pub const MIN_WINDOW: f64 = 100.0;

/// Where bar `b` is drawn (not clipped).
pub fn bar_rect(z: &Zoom, lanes: Rect, l: &TraceLayout, b: &Bar) -> Rect {
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
pub fn hit(z: &Zoom, lanes: Rect, l: &TraceLayout, p: Pos2) -> Option<u32> {
    if !lanes.contains(p) {
        return None;
    }
    let k = ((p.y - lanes.top() + z.scroll_y) / LANE_H).floor();
    if k < 0.0 || k as usize >= l.row_count() {
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
pub fn focus_bar(z: &mut Zoom, l: &TraceLayout, b: &Bar, now: f64, zoom_in: bool, view_h: f32) {
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

pub fn paint_bar(
    ui: &Ui,
    painter: &egui::Painter,
    session: &Session,
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
        PLACEHOLDER
    } else {
        theme::of_service(&session.index, b.service)
    };
    painter.rect_filled(r, CornerRadius::same(2), fill);
    if b.marks & marks::ERROR != 0 && r.width() >= 4.0 {
        let s = Rect::from_min_max(pos2(r.left(), r.bottom() - 3.0), r.right_bottom());
        painter.rect_filled(s, 0.0, BREAK);
    }
    if b.marks & marks::BREAK != 0 {
        painter.rect_stroke(r, 2.0, Stroke::new(2.0, BREAK), StrokeKind::Inside);
    } else if b.marks & marks::CONVERSION != 0 {
        painter.rect_stroke(r, 2.0, Stroke::new(2.0, CONVERSION), StrokeKind::Inside);
    }
    // Hop markers at the child's left edge: a triangle for a goroutine hop, a dot for a
    // process hop.
    if r.width() >= 4.0 {
        let p = r.left_top() + vec2(1.0, 1.0);
        let mark = Stroke::new(1.0, Color32::BLACK);
        if b.marks & marks::GOROUTINE_HOP != 0 {
            painter.add(Shape::convex_polygon(
                vec![p, p + vec2(8.0, 0.0), p + vec2(0.0, 8.0)],
                GOROUTINE_HOP,
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
        for k in session.index.breaks_of(b.span) {
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
    paint_label(ui, painter, r, text, theme::text_on(fill));
}

pub fn tooltip(ui: &mut Ui, session: &Session, l: &TraceLayout, b: &Bar, bar: Option<u32>) {
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
        duration_f64(s.duration() as f64),
        duration_f64(self_time(store, i) as f64)
    ));
    ui.label(format!(
        "starts at +{}",
        duration_f64((s.start.saturating_sub(l.start)) as f64)
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
    if b.marks & marks::LINKED != 0 {
        ui.label("linked: root of another trace that links to the span it is drawn under");
    } else if b.marks & marks::STITCHED != 0 {
        ui.label("stitched: root of another trace, drawn under the span it belongs to");
    }
    if s.status == StatusCode::Error {
        let msg = store.str(s.status_message);
        ui.colored_label(BREAK, format!("status: ERROR {msg}"));
    }
    for k in session.index.breaks_of(i) {
        if let Some(brk) = session.analysis.breaks.get(k as usize) {
            ui.colored_label(
                BREAK,
                format!("{}: {}", brk.kind.name(), brk.message(store)),
            );
        }
    }
}

/// The whole trace at a glance under the chart, with the visible window framed; click or
/// drag to move the window there.
pub fn minimap(ui: &mut Ui, z: &mut Zoom, l: &TraceLayout, index: &SessionIndex, lanes: Rect) {
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
                    PLACEHOLDER
                } else {
                    theme::of_service(index, v)
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
    let content_h = (l.row_count() as f32 * LANE_H).max(1.0);
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
        let w = z.width();
        let mid = ((p.x - rect.left()) / rect.width().max(1.0)) as f64 * extent;
        z.jump_to(mid - w / 2.0, mid + w / 2.0);
        let y = (p.y - rect.top()) / rect.height().max(1.0) * content_h;
        z.scroll_y = (y - lanes.height() / 2.0).max(0.0);
    }
}
