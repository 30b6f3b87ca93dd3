//! The Details panel: everything known about the selection (a span, trace, service, service
//! edge, type, type edge, chain or break), with links that navigate through `Nav`.

use std::sync::Arc;

use egui::{RichText, Ui};
use petgraph::Direction;

use crate::analysis::conversion::conversion_of;
use crate::analysis::services::NodeKind;
use crate::app::format;
use crate::app::state::{Nav, Selection, Session, View, ViewCtx};
use crate::app::theme::{self, severity_name};
use crate::model::ids::{span_hex, trace_hex};
use crate::model::span::flags;
use crate::model::{Attr, StatusCode, Store};
use crate::query::LinkTarget;
use crate::units::latency_ms;

/// Rows of the span lists (a service's spans, an edge's calls) shown before scrolling.
const LIST_HEIGHT: f32 = 220.0;

/// The Details panel: a view like the tabs, with no state of its own (everything it lists
/// comes from the session index).
#[derive(Default)]
pub struct Details;

impl Details {
    pub fn new() -> Self {
        Self
    }
}

impl View for Details {
    fn reset(&mut self, _session: &Arc<Session>) {}

    fn ui(&mut self, ui: &mut Ui, ctx: &mut ViewCtx<'_>) {
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| match ctx.selection {
                Selection::None => {
                    ui.weak("Select a trace, span, service, edge, type or break to see it here.");
                }
                Selection::Span(i) => span_ui(ui, i, ctx),
                Selection::Trace(t) => trace_ui(ui, t, ctx),
                Selection::Service(n) => service_ui(ui, n, ctx),
                Selection::ServiceEdge(e) => service_edge_ui(ui, e, ctx),
                Selection::Type(n) => type_ui(ui, n, ctx),
                Selection::TypeEdge(e) => type_edge_ui(ui, e, ctx),
                Selection::Chain(c) => chain_ui(ui, c, ctx),
                Selection::Break(b) => break_ui(ui, b, ctx),
                Selection::Log(k) => log_ui(ui, k, ctx),
            });
    }
}

/// A log record: when and who wrote it, how it was joined, its line and attributes.
fn log_ui(ui: &mut Ui, k: u32, ctx: &mut ViewCtx<'_>) {
    let store = &ctx.session.store;
    let Some(l) = store.logs.get(k as usize) else {
        ui.weak("This log record is not in the loaded data.");
        return;
    };
    let level = crate::model::Level::of(l.severity);
    ui.heading("Log record");
    ui.colored_label(
        crate::app::theme::level_color(level),
        format!(
            "{} · {} · {}",
            level.name(),
            store.log_service(k),
            format::utc(l.time)
        ),
    );
    ui.add(egui::Label::new(store.log_body(k)).wrap());
    let join = store
        .index
        .log_join
        .get(k as usize)
        .map_or("", |j| j.name());
    ui.label(format!("join: {join}"));
    if l.trace_id != 0 {
        ui.monospace(format!(
            "trace {}",
            crate::model::ids::trace_hex(l.trace_id)
        ));
    }
    if let Some(&s) = store.index.log_span.get(k as usize)
        && s != crate::model::NONE
        && ui
            .button(format!("Open span \"{}\"", store.str(store.span(s).name)))
            .clicked()
    {
        ctx.open_span(s);
    }
    ui.separator();
    ui.strong("Attributes");
    let attrs = store.attrs.get(l.attrs.range()).unwrap_or(&[]);
    attrs_grid(ui, ("log-attrs", k), store, attrs);
}

fn span_ui(ui: &mut Ui, i: u32, ctx: &mut ViewCtx<'_>) {
    let session = ctx.session;
    let store = &session.store;
    let Some(span) = store.spans.get(i as usize) else {
        ui.weak("This span is not in the loaded data.");
        return;
    };
    ui.heading(store.str(span.name));
    ui.label(format!(
        "{} · {} · status {}",
        store.service_name(i),
        span.kind.as_str(),
        format!("{:?}", span.status).to_lowercase()
    ));
    let message = store.str(span.status_message);
    if !message.is_empty() {
        let color = if span.status == StatusCode::Error {
            theme::ERROR
        } else {
            ui.visuals().text_color()
        };
        ui.label(RichText::new(message).color(color));
    }
    let trace = session.trace_of(i);
    let trace_start = trace
        .and_then(|t| store.index.traces.get(t as usize))
        .map_or(span.start, |t| t.start);
    figures(ui, "span-figures", |ui| {
        row(ui, "start", &format::utc(span.start));
        row(
            ui,
            "at",
            &format::offset(span.start as i128 - trace_start as i128),
        );
        if span.flags & flags::NO_TIMING != 0 {
            row(
                ui,
                "timing",
                "no timing in the source (placed at its parent's start)",
            );
        } else {
            row(ui, "duration", &format::duration(span.duration()));
        }
        row(ui, "trace id", &trace_hex(span.trace_id));
        row(ui, "span id", &span_hex(span.span_id));
        let parent = match (span.parent_id, store.parent(i)) {
            (0, _) => "none (root)".to_string(),
            (p, Some(_)) => span_hex(p),
            (p, None) => format!("{} (missing)", span_hex(p)),
        };
        row(ui, "parent id", &parent);
        if let Some(g) = span.goroutine() {
            row(ui, "goroutine", &g.to_string());
        }
        if let Some(c) = conversion_of(store, i) {
            row(ui, "conversion", &format!("{} → {}", c.from, c.to));
        }
        row(ui, "scope", store.str(span.scope));
        let input = store
            .inputs
            .get(span.input as usize)
            .map_or("", |inp| inp.path.as_str());
        row(ui, "input", input);
    });
    ui.horizontal(|ui| {
        if trace.is_some() && ui.button("Open trace").clicked() {
            ctx.open_span(i);
        }
        if let Some(p) = store.parent(i) {
            let r = ui.button("Parent");
            hover_span(&r, p, ctx);
            if r.clicked() {
                ctx.select(Selection::Span(p));
            }
        }
    });

    let mine: Vec<u32> = ctx.index().breaks_naming(i).collect();
    if !mine.is_empty() {
        ui.separator();
        ui.strong(format!("Breaks ({})", mine.len()));
        for b in mine {
            break_evidence(ui, b, i, ctx);
        }
    }

    ui.separator();
    egui::CollapsingHeader::new(format!("Attributes ({})", store.span_attrs(i).len()))
        .default_open(true)
        .show(ui, |ui| {
            attrs_grid(ui, "span-attrs", store, store.span_attrs(i))
        });
    egui::CollapsingHeader::new(format!("Resource ({})", store.resource_attrs(i).len()))
        .default_open(false)
        .show(ui, |ui| {
            attrs_grid(ui, "res-attrs", store, store.resource_attrs(i));
        });
    let events = store.span_events(i);
    if !events.is_empty() {
        egui::CollapsingHeader::new(format!("Events ({})", events.len()))
            .default_open(true)
            .show(ui, |ui| {
                for (k, e) in events.iter().enumerate() {
                    ui.label(format!(
                        "{}  {}",
                        format::offset(e.time as i128 - span.start as i128),
                        store.str(e.name)
                    ));
                    let attrs = store.attrs.get(e.attrs.range()).unwrap_or(&[]);
                    if !attrs.is_empty() {
                        ui.indent(("event", k), |ui| {
                            attrs_grid(ui, ("event-attrs", k), store, attrs);
                        });
                    }
                }
            });
    }
    super::logs::span_logs_ui(ui, store, i);
    links_ui(ui, i, ctx);
}

/// A span's links both ways (spec §5 "Span links"): the spans it links to, a target that is
/// not loaded said so, and the spans that link to it; a click opens the other span's trace.
fn links_ui(ui: &mut Ui, i: u32, ctx: &mut ViewCtx<'_>) {
    let session = Arc::clone(ctx.session);
    let store = &session.store;
    let to = session.links_from(i);
    let from: Vec<u32> = session.links_to(i).collect();
    let describe = |t: u32| {
        format!(
            "{} · {} (trace {})",
            store.service_name(t),
            store.str(store.span(t).name),
            trace_hex(store.span(t).trace_id)
        )
    };
    if !to.is_empty() {
        egui::CollapsingHeader::new(format!("Links to ({})", to.len()))
            .default_open(true)
            .show(ui, |ui| {
                for l in to {
                    match l {
                        LinkTarget::Loaded(t) => span_link(ui, describe(t), t, ctx),
                        LinkTarget::NotLoaded { trace_id, span_id } => {
                            ui.label(format!(
                                "{} / {} (not loaded)",
                                trace_hex(trace_id),
                                span_hex(span_id)
                            ));
                        }
                    }
                }
            });
    }
    if !from.is_empty() {
        egui::CollapsingHeader::new(format!("Linked from ({})", from.len()))
            .default_open(true)
            .show(ui, |ui| {
                for t in from {
                    span_link(ui, describe(t), t, ctx);
                }
            });
    }
}

fn service_ui(ui: &mut Ui, n: u32, ctx: &mut ViewCtx<'_>) {
    let session = ctx.session;
    let Some(w) = session.service(n) else {
        ui.weak("This service is not in the graph.");
        return;
    };
    ui.heading(&w.name);
    match w.kind {
        NodeKind::Service(_) => ui.label(format!("traced service · {} spans", w.spans)),
        NodeKind::Virtual(kind) => ui.label(format!(
            "uninstrumented peer ({kind:?}), named by its callers' attributes"
        )),
    };
    for (title, dir) in [
        ("Calls out", Direction::Outgoing),
        ("Called by", Direction::Incoming),
    ] {
        let edges = session.service_edges(n, dir);
        if edges.is_empty() {
            continue;
        }
        ui.separator();
        ui.strong(format!("{title} ({})", edges.len()));
        for e in edges {
            let name = if dir == Direction::Outgoing {
                e.to_name
            } else {
                e.from_name
            };
            let f = e.weight;
            let text = format!(
                "{name}: {}, {}, p99 {}{}",
                format::count(f.calls, "call"),
                format::count(f.errors, "error"),
                latency_ms(f.p99_ms),
                if f.broken > 0 {
                    format!(", {} broken", f.broken)
                } else {
                    String::new()
                }
            );
            if ui.link(text).clicked() {
                ctx.select(Selection::ServiceEdge(e.number));
            }
        }
    }
    if let NodeKind::Service(s) = w.kind {
        let spans = ctx.index().spans_of_service(s);
        span_list(ui, "Spans", "service-spans", spans, ctx);
    }
}

/// A striped grid of names and values: how Details shows every set of figures.
fn figures(ui: &mut Ui, id: impl egui::AsIdSalt, add_rows: impl FnOnce(&mut Ui)) {
    egui::Grid::new(id)
        .num_columns(2)
        .striped(true)
        .show(ui, add_rows);
}

fn row(ui: &mut Ui, key: &str, value: &str) {
    ui.weak(key);
    ui.add(egui::Label::new(value).selectable(true).truncate());
    ui.end_row();
}

fn attrs_grid(ui: &mut Ui, id: impl egui::AsIdSalt, store: &Store, attrs: &[Attr]) {
    if attrs.is_empty() {
        ui.weak("none");
        return;
    }
    figures(ui, id, |ui| {
        for a in attrs {
            row(ui, store.str(a.key), &a.value(&store.strings).to_text());
        }
    });
}

/// A section headed "`title` (count)" with a scrolling list of spans (service · name ·
/// duration); a click opens the span's trace.
fn span_list(ui: &mut Ui, title: &str, id: &str, spans: &[u32], ctx: &mut ViewCtx<'_>) {
    ui.separator();
    ui.strong(format!("{title} ({})", spans.len()));
    span_rows(ui, id, spans.len(), |k| spans.get(k).copied(), ctx);
}

/// The rows of `span_list` over `len` spans given by position (only the visible ones are asked
/// for).
fn span_rows(
    ui: &mut Ui,
    id: &str,
    len: usize,
    at: impl Fn(usize) -> Option<u32>,
    ctx: &mut ViewCtx<'_>,
) {
    let store = &ctx.session.store;
    let row_h = ui.text_style_height(&egui::TextStyle::Body);
    egui::ScrollArea::vertical()
        .id_salt(id)
        .max_height(LIST_HEIGHT)
        .auto_shrink([false, true])
        .show_rows(ui, row_h, len, |ui, range| {
            for i in range.filter_map(&at) {
                let Some(s) = store.spans.get(i as usize) else {
                    continue;
                };
                let text = format!(
                    "{} · {} · {}",
                    store.service_name(i),
                    store.str(s.name),
                    format::duration(s.duration())
                );
                // The span the pointer is over in another view (a bar of the Trace view).
                let text = if ctx.hovered == Selection::Span(i) {
                    RichText::new(text).strong().underline()
                } else {
                    RichText::new(text)
                };
                span_link(ui, text, i, ctx);
            }
        });
}

/// A link to span `i` that opens its trace, and notes the span as hovered under the pointer.
fn span_link(ui: &mut Ui, text: impl Into<egui::WidgetText>, i: u32, ctx: &mut ViewCtx<'_>) {
    let r = ui.link(text);
    hover_span(&r, i, ctx);
    if r.clicked() {
        ctx.open_span(i);
    }
}

/// Notes span `i` as hovered when `r` is: the views that show it outline it.
fn hover_span(r: &egui::Response, i: u32, ctx: &mut ViewCtx<'_>) {
    if r.hovered() {
        ctx.hover(Selection::Span(i));
    }
}

/// One break naming span `me`: its kind and message, and a link to the other span.
fn break_evidence(ui: &mut Ui, b: u32, me: u32, ctx: &mut ViewCtx<'_>) {
    let store = &ctx.session.store;
    let Some(br) = ctx.session.analysis.breaks.get(b as usize) else {
        return;
    };
    ui.horizontal_wrapped(|ui| {
        let sev = br.kind.severity();
        ui.label(
            RichText::new(br.kind.name())
                .color(theme::severity(sev))
                .strong(),
        );
        ui.label(br.message(store));
    });
    let other = if br.span == me {
        br.related
    } else {
        Some(br.span)
    };
    if let Some(o) = other
        && let Some(s) = store.spans.get(o as usize)
    {
        let role = if br.span == me { "related" } else { "broken" };
        span_link(
            ui,
            format!("{role} span: {}", span_label(store, o, s)),
            o,
            ctx,
        );
    }
}

fn trace_ui(ui: &mut Ui, t: u32, ctx: &mut ViewCtx<'_>) {
    let session = ctx.session;
    let store = &session.store;
    let (Some(info), Some(summary)) =
        (store.index.traces.get(t as usize), session.index.summary(t))
    else {
        ui.weak("This trace is not in the loaded data.");
        return;
    };
    ui.heading("Trace");
    figures(ui, "trace-figures", |ui| {
        row(ui, "trace id", &trace_hex(info.id));
        row(ui, "start", &format::utc(info.start));
        row(
            ui,
            "duration",
            &format::duration(info.end.saturating_sub(info.start)),
        );
        row(ui, "spans", &info.len.to_string());
        row(ui, "errors", &summary.errors.to_string());
        row(
            ui,
            "services",
            &session.service_names(&summary.services).join(", "),
        );
    });
    if ui.button("Open trace").clicked() {
        ctx.navigate(Nav::OpenTrace {
            trace: t,
            focus_span: None,
        });
    }
    let breaks: Vec<u32> = session.index.breaks_in(t).collect();
    if !breaks.is_empty() {
        ui.separator();
        ui.strong(format!("Breaks ({})", breaks.len()));
        for k in breaks {
            let Some(b) = session.analysis.breaks.get(k as usize) else {
                continue;
            };
            let text = format!("{}: {}", b.kind.name(), b.message(store));
            if ui
                .link(RichText::new(text).color(theme::severity(b.kind.severity())))
                .clicked()
            {
                ctx.select(Selection::Break(k));
            }
        }
    }
    ui.separator();
    ui.strong("Spans");
    let range = info.range();
    let first = range.start;
    span_rows(
        ui,
        "trace-spans",
        range.len(),
        |k| Some((first + k) as u32),
        ctx,
    );
}

fn type_ui(ui: &mut Ui, n: u32, ctx: &mut ViewCtx<'_>) {
    let session = ctx.session;
    if !session.has_type(n) {
        ui.weak("This type is not in the graph.");
        return;
    }
    let name = session.type_name(n);
    ui.heading(name);
    for (title, dir) in [
        ("Converted to", Direction::Outgoing),
        ("Converted from", Direction::Incoming),
    ] {
        let edges = session.type_edges(n, dir);
        if edges.is_empty() {
            continue;
        }
        ui.strong(title);
        for e in edges {
            let other = if dir == Direction::Outgoing {
                e.to_name
            } else {
                e.from_name
            };
            let f = e.weight;
            let text = format!("{other}: {}×, {} errors", f.count, f.errors);
            if ui.link(text).clicked() {
                ctx.select(Selection::TypeEdge(e.number));
            }
        }
    }
    let chains: Vec<u32> = ctx.index().chains_through(n).collect();
    ui.separator();
    ui.strong(format!("Chains through {name} ({})", chains.len()));
    let row_h = ui.text_style_height(&egui::TextStyle::Body);
    egui::ScrollArea::vertical()
        .id_salt("type-chains")
        .max_height(LIST_HEIGHT)
        .auto_shrink([false, true])
        .show_rows(ui, row_h, chains.len(), |ui, range| {
            for &k in chains.get(range).unwrap_or(&[]) {
                if ui.link(session.chain_text(k)).clicked() {
                    ctx.select(Selection::Chain(k));
                }
            }
        });
}

fn service_edge_ui(ui: &mut Ui, e: u32, ctx: &mut ViewCtx<'_>) {
    let Some(edge) = ctx.session.service_edge(e) else {
        ui.weak("This edge is not in the graph.");
        return;
    };
    let f = edge.weight;
    ui.heading(format!("{} → {}", edge.from_name, edge.to_name));
    figures(ui, "edge-figures", |ui| {
        row(ui, "calls", &f.calls.to_string());
        row(ui, "errors", &f.errors.to_string());
        row(ui, "p50", &latency_ms(f.p50_ms));
        row(ui, "p95", &latency_ms(f.p95_ms));
        row(ui, "p99", &latency_ms(f.p99_ms));
        row(ui, "broken", &f.broken.to_string());
        row(ui, "unpaired", &f.unpaired.to_string());
    });
    ui.horizontal(|ui| {
        if ui.link(edge.from_name).clicked() {
            ctx.select(Selection::Service(edge.from));
        }
        ui.label("→");
        if ui.link(edge.to_name).clicked() {
            ctx.select(Selection::Service(edge.to));
        }
    });
    span_list(ui, "Calls", "edge-calls", &f.spans, ctx);
}

fn type_edge_ui(ui: &mut Ui, e: u32, ctx: &mut ViewCtx<'_>) {
    let session = ctx.session;
    let Some(edge) = session.type_edge(e) else {
        ui.weak("This conversion is not in the graph.");
        return;
    };
    let f = edge.weight;
    ui.heading(format!("{} → {}", edge.from_name, edge.to_name));
    figures(ui, "type-edge-figures", |ui| {
        row(ui, "count", &f.count.to_string());
        row(ui, "errors", &f.errors.to_string());
        row(ui, "total time", &format::duration(f.total_ns));
        row(
            ui,
            "mean",
            &format::duration(f.total_ns.checked_div(f.count).unwrap_or(0)),
        );
        row(
            ui,
            "services",
            &session.service_names(&f.services).join(", "),
        );
    });
    span_list(ui, "Steps", "type-edge-steps", &f.spans, ctx);
}

fn chain_ui(ui: &mut Ui, c: u32, ctx: &mut ViewCtx<'_>) {
    let session = ctx.session;
    let Some(chain) = session.chain(c) else {
        ui.weak("This chain is not in the analysis.");
        return;
    };
    ui.heading("Conversion chain");
    ui.label(session.chain_text(c));
    ui.label(format!(
        "across {}{}",
        session.service_names(&chain.services).join(" → "),
        if chain.cross_process {
            " (crosses a process boundary)"
        } else {
            ""
        }
    ));
    ui.label(format!("trace {}", trace_hex(chain.trace_id)));
    span_list(ui, "Steps", "chain-steps", &chain.spans, ctx);
}

fn break_ui(ui: &mut Ui, b: u32, ctx: &mut ViewCtx<'_>) {
    let store = &ctx.session.store;
    let Some(br) = ctx.session.analysis.breaks.get(b as usize) else {
        ui.weak("This break is not in the analysis.");
        return;
    };
    let sev = br.kind.severity();
    ui.heading(RichText::new(br.kind.name()).color(theme::severity(sev)));
    ui.label(format!("severity: {}", severity_name(sev)));
    ui.label(br.message(store));
    ui.separator();
    for (role, span) in [("span", Some(br.span)), ("related", br.related)] {
        let Some(i) = span else { continue };
        let Some(s) = store.spans.get(i as usize) else {
            continue;
        };
        if ui
            .link(format!("{role}: {}", span_label(store, i, s)))
            .clicked()
        {
            ctx.open_span(i);
        }
    }
}

/// How a break names its spans: "service · name (span id)".
fn span_label(store: &Store, i: u32, s: &crate::model::Span) -> String {
    format!(
        "{} · {} ({})",
        store.service_name(i),
        store.str(s.name),
        span_hex(s.span_id)
    )
}
