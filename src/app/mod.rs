//! The desktop app (egui/eframe): views over a loaded `Session` (`crate::query`). Parses
//! nothing and computes no graph or index itself: it calls `ingest` to load and `analysis` and
//! `query` to analyse and index, off the UI thread.

pub mod backend;
pub mod canvas;
pub mod exporter;
pub mod fonts;
pub mod format;
pub mod live;
pub mod loading;
pub mod notice;
pub mod screenshot;
pub mod state;
pub mod task;
pub mod theme;
pub mod timeline;
pub mod views;
pub mod widgets;
pub mod window;

pub use window::{AppConfig, TracetopoApp};

/// Opens the window and runs it until it closes. `Err` when no window could be opened.
pub fn run(config: AppConfig) -> Result<(), String> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("tracetopo")
            .with_inner_size([1400.0, 860.0])
            .with_drag_and_drop(true),
        // `fonts::install` adds the system-font provider itself, for tests too.
        system_font_fallback: false,
        ..Default::default()
    };
    eframe::run_native(
        "tracetopo",
        options,
        Box::new(move |cc| Ok(Box::new(TracetopoApp::new(&cc.egui_ctx, config)))),
    )
    .map_err(|e| format!("cannot open the window: {e}"))
}
