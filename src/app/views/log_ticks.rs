//! Ticks on a flame chart bar, one per log record of its span at the record's time, coloured
//! by severity (issue 12). At most one tick per pixel column is drawn, so a span with a
//! flood of records costs its visible width, not its record count.

use egui::{Pos2, Rect, Stroke, pos2};

use crate::app::theme::level_color;
use crate::model::{Level, Store};

/// How far from a tick (pixels) the pointer still hovers it.
const TICK_SLOP: f32 = 3.0;

/// The records of span `i` with the x each is drawn at, within `bar`, one per pixel column.
fn ticks(store: &Store, i: u32, bar: Rect, x_of: &impl Fn(u64) -> f32) -> Vec<(u32, f32)> {
    let mut out: Vec<(u32, f32)> = Vec::new();
    for &k in store.span_logs(i) {
        // A record outside its span's time (clocks differ) sits at the bar's nearer end.
        let x = x_of(store.log(k).time).clamp(bar.left(), bar.right());
        if out.last().is_some_and(|&(_, px)| x.floor() == px.floor()) {
            continue;
        }
        out.push((k, x));
    }
    out
}

/// Paints the ticks of span `i` on its bar.
pub fn paint(painter: &egui::Painter, store: &Store, i: u32, bar: Rect, x_of: impl Fn(u64) -> f32) {
    if bar.width() < 2.0 {
        return;
    }
    for (k, x) in ticks(store, i, bar, &x_of) {
        let color = level_color(Level::of(store.log(k).severity));
        painter.line_segment(
            [pos2(x, bar.top()), pos2(x, bar.top() + bar.height() * 0.6)],
            Stroke::new(2.0, color),
        );
    }
}

/// The record whose tick on span `i`'s bar is under `p`.
pub fn at(store: &Store, i: u32, bar: Rect, x_of: impl Fn(u64) -> f32, p: Pos2) -> Option<u32> {
    if !bar.expand(TICK_SLOP).contains(p) {
        return None;
    }
    ticks(store, i, bar, &x_of)
        .into_iter()
        .filter(|&(_, x)| (x - p.x).abs() <= TICK_SLOP)
        .min_by(|a, b| (a.1 - p.x).abs().total_cmp(&(b.1 - p.x).abs()))
        .map(|(k, _)| k)
}
