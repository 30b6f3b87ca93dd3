//! Topology snapshots without a window: the Services, Types and trace views as SVG, PNG,
//! Graphviz DOT or JSON. The drawing (`scene`) is the one the app paints, so SVG and PNG look
//! like the app; DOT and JSON carry the same graph for other tools. `otlp_jsonl` writes the
//! spans themselves back out, as OTLP/JSON lines.

pub mod dot;
pub mod flame;
pub mod json;
pub mod otlp_jsonl;
pub mod otlp_logs_jsonl;
pub mod png;
pub mod scene;
pub mod svg;

use crate::analysis::service_view::{ServiceFilter, service_view};
use crate::analysis::{Analysis, trace_summary};
use crate::model::Store;
use crate::model::ids::trace_hex;
use scene::Scene;

/// Which graph to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportView {
    Services,
    Types,
    /// The span graph of the trace with this id.
    Trace(u128),
    /// The span graph of the trace with the most breaks (the app's `trace` view).
    MostBrokenTrace,
    /// The flame graph of every trace (the app's Flame graph tab).
    Flame,
}

impl ExportView {
    /// Parses the `--view` value of `tracetopo export`: `services`, `types`, `trace`,
    /// `trace:<trace_id>` (hex, up to 32 digits, any case) or `flame`.
    pub fn parse(s: &str) -> Result<ExportView, String> {
        match s.trim() {
            "services" => Ok(ExportView::Services),
            "types" => Ok(ExportView::Types),
            "trace" => Ok(ExportView::MostBrokenTrace),
            "flame" => Ok(ExportView::Flame),
            other => {
                let hex = other.strip_prefix("trace:").ok_or_else(|| {
                    format!(
                        "unknown view \"{s}\"; expected services, types, trace, \
                         trace:<trace_id> or flame"
                    )
                })?;
                let valid = !hex.is_empty()
                    && hex.len() <= 32
                    && hex.bytes().all(|b| b.is_ascii_hexdigit());
                valid
                    .then(|| u128::from_str_radix(hex, 16).ok())
                    .flatten()
                    .map(ExportView::Trace)
                    .ok_or_else(|| format!("\"{hex}\" is not a trace id (up to 32 hex digits)"))
            }
        }
    }
}

/// The file format of a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Svg,
    Png,
    Dot,
    Json,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Svg, Format::Png, Format::Dot, Format::Json];

    /// The usual file extension (also the menu label, upper-cased).
    pub fn extension(self) -> &'static str {
        match self {
            Format::Svg => "svg",
            Format::Png => "png",
            Format::Dot => "dot",
            Format::Json => "json",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("no trace with id {} in the loaded files", trace_hex(*.0))]
    UnknownTrace(u128),
    #[error("there is no trace to show (no spans were loaded)")]
    NoTrace,
    #[error("{0}")]
    UnknownService(#[from] crate::analysis::service_view::UnknownService),
    #[error("cannot render PNG: {0}")]
    Png(String),
    #[error("cannot write JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// `view` with `MostBrokenTrace` resolved to the trace it names, as the app picks it
/// (`trace_summary::most_broken`: most breaks, the first such on a tie).
pub fn resolve(
    store: &Store,
    analysis: &Analysis,
    view: ExportView,
) -> Result<ExportView, ExportError> {
    if view != ExportView::MostBrokenTrace {
        return Ok(view);
    }
    let summaries = trace_summary::summarize(store, &analysis.breaks);
    trace_summary::most_broken(&summaries)
        .and_then(|t| store.index.traces.get(t as usize))
        .map(|t| ExportView::Trace(t.id))
        .ok_or(ExportError::NoTrace)
}

/// The drawing of `view` (the whole service graph for `Services`).
pub fn scene(store: &Store, analysis: &Analysis, view: ExportView) -> Result<Scene, ExportError> {
    scene_filtered(store, analysis, view, &ServiceFilter::default())
}

/// The drawing of `view`, the service graph as `filter` shows it (the other views ignore it).
pub fn scene_filtered(
    store: &Store,
    analysis: &Analysis,
    view: ExportView,
    filter: &ServiceFilter,
) -> Result<Scene, ExportError> {
    scene_reusing(store, analysis, view, filter, None)
}

/// `scene_filtered`, keeping `prior`'s layout when the graph drawn is the same (the app's
/// live snapshots).
pub fn scene_reusing(
    store: &Store,
    analysis: &Analysis,
    view: ExportView,
    filter: &ServiceFilter,
    prior: Option<&Scene>,
) -> Result<Scene, ExportError> {
    match resolve(store, analysis, view)? {
        ExportView::Services => Ok(Scene::services_reusing(
            analysis,
            &service_view(store, &analysis.services, filter)?,
            prior,
        )),
        ExportView::Types => Ok(Scene::types_reusing(store, analysis, prior)),
        ExportView::Flame => Ok(flame::scene(store)),
        ExportView::Trace(id) => store
            .trace(id)
            .map(|t| Scene::trace(store, t))
            .ok_or(ExportError::UnknownTrace(id)),
        ExportView::MostBrokenTrace => Err(ExportError::NoTrace),
    }
}

/// `view` of an indexed, analysed store as the bytes of a `format` file.
pub fn export(
    store: &Store,
    analysis: &Analysis,
    view: ExportView,
    format: Format,
) -> Result<Vec<u8>, ExportError> {
    export_filtered(store, analysis, view, format, &ServiceFilter::default())
}

/// `export` with the service graph as `filter` shows it in the drawings (SVG, PNG, DOT); JSON
/// carries the whole graph with its evidence.
pub fn export_filtered(
    store: &Store,
    analysis: &Analysis,
    view: ExportView,
    format: Format,
    filter: &ServiceFilter,
) -> Result<Vec<u8>, ExportError> {
    let view = resolve(store, analysis, view)?;
    if format == Format::Json {
        return json::render(store, analysis, view);
    }
    let scene = scene_filtered(store, analysis, view, filter)?;
    Ok(match format {
        Format::Svg => svg::render(&scene).into_bytes(),
        Format::Dot => dot::render(&scene).into_bytes(),
        _ => png::render(&svg::render(&scene))?,
    })
}

/// `export`, written to `path`.
pub fn export_to_file(
    store: &Store,
    analysis: &Analysis,
    view: ExportView,
    format: Format,
    path: &std::path::Path,
) -> Result<(), ExportError> {
    export_filtered_to_file(
        store,
        analysis,
        view,
        format,
        &ServiceFilter::default(),
        path,
    )
}

/// `export_filtered`, written to `path`.
pub fn export_filtered_to_file(
    store: &Store,
    analysis: &Analysis,
    view: ExportView,
    format: Format,
    filter: &ServiceFilter,
    path: &std::path::Path,
) -> Result<(), ExportError> {
    let bytes = export_filtered(store, analysis, view, format, filter)?;
    std::fs::write(path, bytes).map_err(|source| ExportError::Write {
        path: path.display().to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_parse() {
        assert_eq!(ExportView::parse("services"), Ok(ExportView::Services));
        assert_eq!(ExportView::parse("types"), Ok(ExportView::Types));
        assert_eq!(
            ExportView::parse("trace:4BF92F3577B34DA6A3CE929D0E0E4736"),
            Ok(ExportView::Trace(0x4bf92f3577b34da6a3ce929d0e0e4736))
        );
        assert_eq!(ExportView::parse("trace:ff"), Ok(ExportView::Trace(255)));
        assert_eq!(ExportView::parse("trace"), Ok(ExportView::MostBrokenTrace));
        assert_eq!(ExportView::parse("flame"), Ok(ExportView::Flame));
        for bad in [
            "trace:",
            "trace:xyz",
            "trace:+1",
            "flames",
            "trace:0123456789abcdef0123456789abcdef0",
        ] {
            assert!(ExportView::parse(bad).is_err(), "{bad}");
        }
    }
}
