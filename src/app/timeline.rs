//! Helpers of the zoomable time and width charts (the Trace and Flame graph tabs): the visible
//! window with its zoom animation and input handling, the time axis, elided bar labels.

use egui::{Align2, Color32, FontId, Rect, Response, Stroke, Ui, Vec2, pos2, vec2};

use super::theme::MERGED;
use crate::analysis::flame::{Chart, Timed};
use crate::units::duration_f64;

/// Length of the zoom animation, s.
const ZOOM_ANIM_S: f64 = 0.25;
/// Height of the time axis.
pub const AXIS_H: f32 = 18.0;

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

    /// Shows `[a, b]` at once (stopping an animation).
    pub fn jump_to(&mut self, a: f64, b: f64) {
        self.anim = None;
        (self.v0, self.v1) = (a, b);
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

/// Time ticks across the top: about one per 100 px, at round values.
pub fn paint_axis(ui: &Ui, painter: &egui::Painter, z: &Zoom, rect: Rect) {
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
            duration_f64(v),
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

/// The bars of one row narrower than a pixel, merged into grey runs of whole pixels, so a
/// frame draws at most one shape per pixel column however many bars fall there.
pub struct MergedRun<'p> {
    painter: &'p egui::Painter,
    top: f32,
    bottom: f32,
    /// The run being extended, [x0, x1).
    run: Option<(f32, f32)>,
}

impl<'p> MergedRun<'p> {
    pub fn new(painter: &'p egui::Painter, top: f32, bottom: f32) -> Self {
        MergedRun {
            painter,
            top,
            bottom,
            run: None,
        }
    }

    /// Adds a sub-pixel bar starting at `left`; the right edge of its pixel column (every
    /// later bar starting before it is covered).
    pub fn add(&mut self, left: f32) -> f32 {
        let px = left.floor();
        match &mut self.run {
            Some((_, e)) if *e >= px => *e = px + 1.0,
            _ => {
                self.flush();
                self.run = Some((px, px + 1.0));
            }
        }
        px + 1.0
    }

    /// Paints the run so far (before a wide bar, and at the end of the row).
    pub fn flush(&mut self) {
        if let Some((a, b)) = self.run.take() {
            let r = Rect::from_min_max(pos2(a, self.top), pos2(b, self.bottom));
            self.painter.rect_filled(r, 0.0, MERGED);
        }
    }
}

/// Paints the bars of row `k` of `rows` that overlap `[t0, t1]` (ns on the rows' time axis).
/// `place` is called for each bar walked and gives its rectangle; `paint` draws the ones at
/// least a pixel wide. Narrower bars merge into `run`, and the bars that start inside a merged
/// pixel column are skipped by binary search (`time_at` is the time at a screen x).
pub fn paint_row<B: Timed>(
    rows: &Chart<B>,
    k: usize,
    (t0, t1): (u64, u64),
    mut run: MergedRun<'_>,
    time_at: impl Fn(f32) -> f64,
    mut place: impl FnMut(&B) -> Rect,
    mut paint: impl FnMut(usize, &B, Rect),
) {
    let range = rows.visible(k, t0, t1);
    let mut i = range.start;
    while i < range.end {
        let b = &rows.bars[i];
        let r = place(b);
        if r.width() < 1.0 {
            let x1 = run.add(r.left());
            // Every later bar starting inside this pixel column is covered by it.
            i = rows.next_starting(k, i + 1, time_at(x1).max(0.0) as u64);
            continue;
        }
        run.flush();
        paint(i, b, r);
        i += 1;
    }
    run.flush();
}
