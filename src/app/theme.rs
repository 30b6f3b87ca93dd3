//! The app's colours in one place: what marks an error, a break, a warning, a selection, and
//! the service colours (the palette of `export::scene`, so a service has one colour on screen,
//! in every session and in every file).

use egui::Color32;

use crate::analysis::breaks::Severity;
use crate::export::scene::{self, Rgba};
use crate::query::SessionIndex;

/// An error, a failed file, a trace with errors or breaks, an error severity.
pub const ERROR: Color32 = Color32::from_rgb(220, 60, 50);
/// A warning (reader warnings, refused requests, warning severity).
pub const WARNING: Color32 = Color32::from_rgb(225, 150, 30);
/// Info severity.
pub const INFO: Color32 = Color32::from_rgb(90, 140, 210);
/// The notice frame behind errors and warnings.
pub const ERROR_FILL: Color32 = Color32::from_rgb(90, 30, 30);
pub const WARNING_FILL: Color32 = Color32::from_rgb(80, 60, 20);
/// A broken bar, an error stripe and a stitch in the flame chart (brighter than `ERROR` so it
/// reads on every service colour).
pub const BREAK: Color32 = Color32::from_rgb(220, 30, 30);
/// A broken or failed call in the topology views (the exports' colour for a broken edge).
pub const BROKEN: Color32 = Color32::from_rgb(scene::BROKEN.r, scene::BROKEN.g, scene::BROKEN.b);
/// A span link: the flame chart's joint to a linked trace (the exports' linked edge colour).
pub const LINK: Color32 = Color32::from_rgb(scene::LINKED.r, scene::LINKED.g, scene::LINKED.b);
/// A conversion step's outline in the flame chart.
pub const CONVERSION: Color32 = Color32::from_rgb(110, 40, 190);
/// A goroutine hop's marker in the flame chart.
pub const GOROUTINE_HOP: Color32 = Color32::from_rgb(255, 140, 0);
/// The lanes chart's arrows: a process hop, a parent on another lane whose goroutine is
/// unknown, a stale parent (from a bar long finished); a goroutine hop is `GOROUTINE_HOP`, a
/// lost parent (detached root, propagation break, orphan) `BREAK`.
pub const PROCESS_HOP: Color32 = Color32::from_rgb(80, 160, 235);
pub const OTHER_LANE: Color32 = Color32::from_gray(160);
pub const STALE: Color32 = WARNING;
/// The selected bar or the clicked frame.
pub const SELECTED: Color32 = Color32::from_rgb(255, 200, 0);
/// A "missing parent" placeholder bar.
pub const PLACEHOLDER: Color32 = Color32::from_gray(190);
/// Sub-pixel bars merged into one.
pub const MERGED: Color32 = Color32::from_gray(150);
/// The flame graph's root frame.
pub const ROOT: Color32 = Color32::from_gray(170);
/// A healthy trace in the Traces scatter.
pub const OK_POINT: Color32 = Color32::from_rgb(70, 130, 200);
/// A pending (live, may yet resolve) break.
pub const PENDING: Color32 = Color32::from_rgb(150, 150, 160);

/// A scene colour (`export::scene`) for egui.
pub fn color(c: Rgba) -> Color32 {
    Color32::from_rgba_unmultiplied(c.r, c.g, c.b, c.a)
}

/// The colour of traced service `s` of a session (grey for a number it does not have).
pub fn of_service(index: &SessionIndex, s: u32) -> Color32 {
    index.service_color(s).map_or(MERGED, color)
}

/// The colour of a severity.
pub fn severity(s: Severity) -> Color32 {
    match s {
        Severity::Error => ERROR,
        Severity::Warning => WARNING,
        Severity::Info => INFO,
    }
}

pub fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
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

/// A log record's colour by severity (the flame chart's ticks, the Logs view's rows).
pub fn level_color(level: crate::model::Level) -> Color32 {
    use crate::model::Level;
    match level {
        Level::Unspecified | Level::Trace | Level::Debug => Color32::from_rgb(140, 140, 150),
        Level::Info => Color32::from_rgb(90, 140, 210),
        Level::Warn => WARNING,
        Level::Error | Level::Fatal => ERROR,
    }
}

/// A span the query bar's query matched, outlined in the flame chart.
pub const MATCH: Color32 = Color32::from_rgb(0, 200, 220);
/// The query bar's syntax colours.
pub const QL_FIELD: Color32 = Color32::from_rgb(90, 160, 230);
pub const QL_STRING: Color32 = Color32::from_rgb(110, 180, 90);
pub const QL_NUMBER: Color32 = Color32::from_rgb(200, 140, 60);
pub const QL_KEYWORD: Color32 = Color32::from_rgb(190, 110, 200);
