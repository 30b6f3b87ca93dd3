//! The Details panel: everything known about the selection (a span, trace, service, service
//! edge, type, type edge, chain or break), with links that navigate through `Nav`.

use std::sync::Arc;

use egui::{RichText, Ui};
use petgraph::Direction;
use petgraph::graph::{EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;

use super::breaks_view::{severity_color, severity_name};
use super::format;
use super::state::{Nav, Selection, Session};
use crate::analysis::conversion::conversion_of;
use crate::analysis::services::NodeKind;
use crate::model::ids::{span_hex, trace_hex};
use crate::model::span::flags;
use crate::model::{Attr, StatusCode, Store};

/// Rows of the span lists (a service's spans, an edge's calls) shown before scrolling.
const LIST_HEIGHT: f32 = 220.0;

#[derive(Default)]
pub struct Details {
    session: Option<Arc<Session>>,
    /// (span, break number) for every break naming the span as `span` or `related`, sorted.
    breaks_by_span: Vec<(u32, u32)>,
    /// The spans of one traced service (number into `store.index.services`), computed when a
    /// service is selected.
    service_spans: Option<(u32, Vec<u32>)>,
    /// The figures of the selected trace.
    trace_facts: Option<(u32, TraceFacts)>,
    /// The chains through the selected type (node index), by number.
    type_chains: Option<(u32, Vec<u32>)>,
}

impl Details {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn reset(&mut self, session: &Arc<Session>) {
        let mut by_span: Vec<(u32, u32)> = Vec::new();
        for (k, b) in session.analysis.breaks.iter().enumerate() {
            by_span.push((b.span, k as u32));
            if let Some(r) = b.related {
                by_span.push((r, k as u32));
            }
        }
        by_span.sort_unstable();
        by_span.dedup();
        self.breaks_by_span = by_span;
        self.service_spans = None;
        self.trace_facts = None;
        self.type_chains = None;
        self.session = Some(session.clone());
    }

    pub fn ui(&mut self, ui: &mut Ui, session: &Arc<Session>, selection: Selection) -> Vec<Nav> {
        if !self
            .session
            .as_ref()
            .is_some_and(|s| Arc::ptr_eq(s, session))
        {
            self.reset(session);
        }
        let mut nav = Vec::new();
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| match selection {
                Selection::None => {
                    ui.weak("Select a trace, span, service, edge, type or break to see it here.");
                }
                Selection::Span(i) => self.span_ui(ui, session, i, &mut nav),
                Selection::Trace(t) => self.trace_ui(ui, session, t, &mut nav),
                Selection::Service(n) => self.service_ui(ui, session, n, &mut nav),
                Selection::ServiceEdge(e) => service_edge_ui(ui, session, e, &mut nav),
                Selection::Type(n) => self.type_ui(ui, session, n, &mut nav),
                Selection::TypeEdge(e) => type_edge_ui(ui, session, e, &mut nav),
                Selection::Chain(c) => chain_ui(ui, session, c, &mut nav),
                Selection::Break(b) => break_ui(ui, session, b, &mut nav),
            });
        nav
    }

    fn span_ui(&self, ui: &mut Ui, session: &Session, i: u32, nav: &mut Vec<Nav>) {
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
                severity_color(crate::analysis::breaks::Severity::Error)
            } else {
                ui.visuals().text_color()
            };
            ui.label(RichText::new(message).color(color));
        }
        let trace = store.index.span_trace.get(i as usize).copied();
        let trace_start = trace
            .and_then(|t| store.index.traces.get(t as usize))
            .map_or(span.start, |t| t.start);
        egui::Grid::new("span-figures")
            .num_columns(2)
            .striped(true)
            .show(ui, |ui| {
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
            if let Some(t) = trace
                && ui.button("Open trace").clicked()
            {
                nav.push(Nav::OpenTrace {
                    trace: t,
                    focus_span: Some(i),
                });
            }
            if let Some(p) = store.parent(i)
                && ui.button("Parent").clicked()
            {
                nav.push(Nav::Select(Selection::Span(p)));
            }
        });

        let from = self.breaks_by_span.partition_point(|&(s, _)| s < i);
        let mine: Vec<u32> = self.breaks_by_span[from..]
            .iter()
            .take_while(|&&(s, _)| s == i)
            .map(|&(_, b)| b)
            .collect();
        if !mine.is_empty() {
            ui.separator();
            ui.strong(format!("Breaks ({})", mine.len()));
            for b in mine {
                break_evidence(ui, session, b, i, nav);
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
        super::logs_view::span_logs_ui(ui, store, i);
        let links = store.span_links(i);
        if !links.is_empty() {
            egui::CollapsingHeader::new(format!("Links ({})", links.len()))
                .default_open(true)
                .show(ui, |ui| {
                    for l in links {
                        let text = format!("{} / {}", trace_hex(l.trace_id), span_hex(l.span_id));
                        match store.find_span(l.trace_id, l.span_id) {
                            Some(target) => {
                                if ui.link(text).clicked() {
                                    nav.push(Nav::Select(Selection::Span(target)));
                                }
                            }
                            None => {
                                ui.label(format!("{text} (not loaded)"));
                            }
                        }
                    }
                });
        }
    }

    fn service_ui(&mut self, ui: &mut Ui, session: &Session, n: u32, nav: &mut Vec<Nav>) {
        let store = &session.store;
        let g = &session.analysis.services.graph;
        let node = NodeIndex::new(n as usize);
        let Some(w) = g.node_weight(node) else {
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
            let edges: Vec<_> = g.edges_directed(node, dir).collect();
            if edges.is_empty() {
                continue;
            }
            ui.separator();
            ui.strong(format!("{title} ({})", edges.len()));
            for e in edges {
                let other = if dir == Direction::Outgoing {
                    e.target()
                } else {
                    e.source()
                };
                let name = g.node_weight(other).map_or("?", |o| o.name.as_str());
                let f = e.weight();
                let text = format!(
                    "{name}: {}, {}, p99 {:.1} ms{}",
                    format::count(f.calls, "call"),
                    format::count(f.errors, "error"),
                    f.p99_ms,
                    if f.broken > 0 {
                        format!(", {} broken", f.broken)
                    } else {
                        String::new()
                    }
                );
                if ui.link(text).clicked() {
                    nav.push(Nav::Select(Selection::ServiceEdge(e.id().index() as u32)));
                }
            }
        }
        if let NodeKind::Service(s) = w.kind {
            if self.service_spans.as_ref().is_none_or(|(k, _)| *k != s) {
                let spans = (0..store.spans.len() as u32)
                    .filter(|&i| store.service_idx(i) == s)
                    .collect();
                self.service_spans = Some((s, spans));
            }
            if let Some((_, spans)) = &self.service_spans {
                ui.separator();
                ui.strong(format!("Spans ({})", spans.len()));
                span_list(ui, "service-spans", store, spans, nav);
            }
        }
    }
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
    egui::Grid::new(id)
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            for a in attrs {
                row(ui, store.str(a.key), &a.value(&store.strings).to_text());
            }
        });
}

/// A scrolling list of spans (service · name · duration); a click opens the span's trace.
fn span_list(ui: &mut Ui, id: &str, store: &Store, spans: &[u32], nav: &mut Vec<Nav>) {
    span_rows(ui, id, store, spans.len(), |k| spans.get(k).copied(), nav);
}

/// `span_list` over `len` spans given by position (only the visible ones are asked for).
fn span_rows(
    ui: &mut Ui,
    id: &str,
    store: &Store,
    len: usize,
    at: impl Fn(usize) -> Option<u32>,
    nav: &mut Vec<Nav>,
) {
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
                if ui.link(text).clicked() {
                    nav.push(Nav::OpenTrace {
                        trace: store.index.span_trace.get(i as usize).copied().unwrap_or(0),
                        focus_span: Some(i),
                    });
                }
            }
        });
}

/// One break naming span `me`: its kind and message, and a link to the other span.
fn break_evidence(ui: &mut Ui, session: &Session, b: u32, me: u32, nav: &mut Vec<Nav>) {
    let store = &session.store;
    let Some(br) = session.analysis.breaks.get(b as usize) else {
        return;
    };
    ui.horizontal_wrapped(|ui| {
        let sev = br.kind.severity();
        ui.label(
            RichText::new(br.kind.name())
                .color(severity_color(sev))
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
        let text = format!(
            "{role} span: {} · {} ({})",
            store.service_name(o),
            store.str(s.name),
            span_hex(s.span_id)
        );
        if ui.link(text).clicked() {
            nav.push(Nav::OpenTrace {
                trace: store.index.span_trace.get(o as usize).copied().unwrap_or(0),
                focus_span: Some(o),
            });
        }
    }
}

impl Details {
    fn trace_ui(&mut self, ui: &mut Ui, session: &Session, t: u32, nav: &mut Vec<Nav>) {
        let store = &session.store;
        let Some(info) = store.index.traces.get(t as usize) else {
            ui.weak("This trace is not in the loaded data.");
            return;
        };
        ui.heading("Trace");
        let range = info.range();
        if self.trace_facts.as_ref().is_none_or(|(k, _)| *k != t) {
            self.trace_facts = Some((t, TraceFacts::of(session, info)));
        }
        let Some((_, facts)) = &self.trace_facts else {
            return;
        };
        egui::Grid::new("trace-figures")
            .num_columns(2)
            .striped(true)
            .show(ui, |ui| {
                row(ui, "trace id", &trace_hex(info.id));
                row(ui, "start", &format::utc(info.start));
                row(
                    ui,
                    "duration",
                    &format::duration(info.end.saturating_sub(info.start)),
                );
                row(ui, "spans", &info.len.to_string());
                row(ui, "errors", &facts.errors.to_string());
                row(ui, "services", &facts.services);
            });
        if ui.button("Open trace").clicked() {
            nav.push(Nav::OpenTrace {
                trace: t,
                focus_span: None,
            });
        }
        if !facts.breaks.is_empty() {
            ui.separator();
            ui.strong(format!("Breaks ({})", facts.breaks.len()));
            for &k in &facts.breaks {
                let Some(b) = session.analysis.breaks.get(k as usize) else {
                    continue;
                };
                let text = format!("{}: {}", b.kind.name(), b.message(&session.store));
                if ui
                    .link(RichText::new(text).color(severity_color(b.kind.severity())))
                    .clicked()
                {
                    nav.push(Nav::Select(Selection::Break(k)));
                }
            }
        }
        ui.separator();
        ui.strong("Spans");
        let first = range.start;
        span_rows(
            ui,
            "trace-spans",
            store,
            range.len(),
            |k| Some((first + k) as u32),
            nav,
        );
    }

    fn type_ui(&mut self, ui: &mut Ui, session: &Session, n: u32, nav: &mut Vec<Nav>) {
        let types = &session.analysis.types;
        let node = NodeIndex::new(n as usize);
        let Some(name) = types.graph.node_weight(node) else {
            ui.weak("This type is not in the graph.");
            return;
        };
        ui.heading(name);
        for (title, dir) in [
            ("Converted to", Direction::Outgoing),
            ("Converted from", Direction::Incoming),
        ] {
            let edges: Vec<_> = types.graph.edges_directed(node, dir).collect();
            if edges.is_empty() {
                continue;
            }
            ui.strong(title);
            for e in edges {
                let other = if dir == Direction::Outgoing {
                    e.target()
                } else {
                    e.source()
                };
                let f = e.weight();
                let text = format!(
                    "{}: {}×, {} errors",
                    types.type_name(other),
                    f.count,
                    f.errors
                );
                if ui.link(text).clicked() {
                    nav.push(Nav::Select(Selection::TypeEdge(e.id().index() as u32)));
                }
            }
        }
        if self.type_chains.as_ref().is_none_or(|(k, _)| *k != n) {
            let chains = session
                .analysis
                .chains
                .iter()
                .enumerate()
                .filter(|(_, c)| c.types.contains(&node))
                .map(|(k, _)| k as u32)
                .collect();
            self.type_chains = Some((n, chains));
        }
        let Some((_, chains)) = &self.type_chains else {
            return;
        };
        ui.separator();
        ui.strong(format!("Chains through {name} ({})", chains.len()));
        let row_h = ui.text_style_height(&egui::TextStyle::Body);
        egui::ScrollArea::vertical()
            .id_salt("type-chains")
            .max_height(LIST_HEIGHT)
            .auto_shrink([false, true])
            .show_rows(ui, row_h, chains.len(), |ui, range| {
                for &k in chains.get(range).unwrap_or(&[]) {
                    if let Some(c) = session.analysis.chains.get(k as usize)
                        && ui.link(chain_text(session, c)).clicked()
                    {
                        nav.push(Nav::Select(Selection::Chain(k)));
                    }
                }
            });
    }
}

/// What the trace summary in Details shows, computed once per selected trace.
struct TraceFacts {
    /// Service names, comma separated.
    services: String,
    errors: usize,
    /// Breaks whose span lies in the trace.
    breaks: Vec<u32>,
}

impl TraceFacts {
    fn of(session: &Session, info: &crate::model::TraceInfo) -> Self {
        let store = &session.store;
        let range = info.range();
        let mut services: Vec<u32> = range.clone().map(|i| store.service_idx(i as u32)).collect();
        services.sort_unstable();
        services.dedup();
        let services = services
            .iter()
            .filter_map(|&s| store.index.services.get(s as usize))
            .map(|&sym| store.str(sym))
            .collect::<Vec<_>>()
            .join(", ");
        let errors = store.spans[range.clone()]
            .iter()
            .filter(|s| s.status == StatusCode::Error)
            .count();
        let breaks = session
            .analysis
            .breaks
            .iter()
            .enumerate()
            .filter(|(_, b)| range.contains(&(b.span as usize)))
            .map(|(k, _)| k as u32)
            .collect();
        TraceFacts {
            services,
            errors,
            breaks,
        }
    }
}

fn service_edge_ui(ui: &mut Ui, session: &Session, e: u32, nav: &mut Vec<Nav>) {
    let store = &session.store;
    let g = &session.analysis.services.graph;
    let edge = EdgeIndex::new(e as usize);
    let (Some(f), Some((a, b))) = (g.edge_weight(edge), g.edge_endpoints(edge)) else {
        ui.weak("This edge is not in the graph.");
        return;
    };
    let name = |n| g.node_weight(n).map_or("?", |w| w.name.as_str());
    ui.heading(format!("{} → {}", name(a), name(b)));
    egui::Grid::new("edge-figures")
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            row(ui, "calls", &f.calls.to_string());
            row(ui, "errors", &f.errors.to_string());
            row(ui, "p50", &format!("{:.2} ms", f.p50_ms));
            row(ui, "p95", &format!("{:.2} ms", f.p95_ms));
            row(ui, "p99", &format!("{:.2} ms", f.p99_ms));
            row(ui, "broken", &f.broken.to_string());
            row(ui, "unpaired", &f.unpaired.to_string());
        });
    ui.horizontal(|ui| {
        if ui.link(name(a)).clicked() {
            nav.push(Nav::Select(Selection::Service(a.index() as u32)));
        }
        ui.label("→");
        if ui.link(name(b)).clicked() {
            nav.push(Nav::Select(Selection::Service(b.index() as u32)));
        }
    });
    ui.separator();
    ui.strong(format!("Calls ({})", f.spans.len()));
    span_list(ui, "edge-calls", store, &f.spans, nav);
}

fn chain_text(session: &Session, c: &crate::analysis::chains::Chain) -> String {
    c.types
        .iter()
        .map(|&t| session.analysis.types.type_name(t))
        .collect::<Vec<_>>()
        .join(" → ")
}

fn type_edge_ui(ui: &mut Ui, session: &Session, e: u32, nav: &mut Vec<Nav>) {
    let store = &session.store;
    let types = &session.analysis.types;
    let edge = EdgeIndex::new(e as usize);
    let (Some(f), Some((a, b))) = (
        types.graph.edge_weight(edge),
        types.graph.edge_endpoints(edge),
    ) else {
        ui.weak("This conversion is not in the graph.");
        return;
    };
    ui.heading(format!("{} → {}", types.type_name(a), types.type_name(b)));
    let services: Vec<&str> = f
        .services
        .iter()
        .filter_map(|&s| store.index.services.get(s as usize))
        .map(|&sym| store.str(sym))
        .collect();
    egui::Grid::new("type-edge-figures")
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            row(ui, "count", &f.count.to_string());
            row(ui, "errors", &f.errors.to_string());
            row(ui, "total time", &format::duration(f.total_ns));
            row(
                ui,
                "mean",
                &format::duration(f.total_ns.checked_div(f.count).unwrap_or(0)),
            );
            row(ui, "services", &services.join(", "));
        });
    ui.separator();
    ui.strong(format!("Steps ({})", f.spans.len()));
    span_list(ui, "type-edge-steps", store, &f.spans, nav);
}

fn chain_ui(ui: &mut Ui, session: &Session, c: u32, nav: &mut Vec<Nav>) {
    let store = &session.store;
    let Some(chain) = session.analysis.chains.get(c as usize) else {
        ui.weak("This chain is not in the analysis.");
        return;
    };
    ui.heading("Conversion chain");
    ui.label(chain_text(session, chain));
    let services: Vec<&str> = chain
        .services
        .iter()
        .filter_map(|&s| store.index.services.get(s as usize))
        .map(|&sym| store.str(sym))
        .collect();
    ui.label(format!(
        "across {}{}",
        services.join(" → "),
        if chain.cross_process {
            " (crosses a process boundary)"
        } else {
            ""
        }
    ));
    ui.label(format!("trace {}", trace_hex(chain.trace_id)));
    ui.separator();
    ui.strong(format!("Steps ({})", chain.spans.len()));
    span_list(ui, "chain-steps", store, &chain.spans, nav);
}

fn break_ui(ui: &mut Ui, session: &Session, b: u32, nav: &mut Vec<Nav>) {
    let store = &session.store;
    let Some(br) = session.analysis.breaks.get(b as usize) else {
        ui.weak("This break is not in the analysis.");
        return;
    };
    let sev = br.kind.severity();
    ui.heading(RichText::new(br.kind.name()).color(severity_color(sev)));
    ui.label(format!("severity: {}", severity_name(sev)));
    ui.label(br.message(store));
    ui.separator();
    for (role, span) in [("span", Some(br.span)), ("related", br.related)] {
        let Some(i) = span else { continue };
        let Some(s) = store.spans.get(i as usize) else {
            continue;
        };
        let text = format!(
            "{role}: {} · {} ({})",
            store.service_name(i),
            store.str(s.name),
            span_hex(s.span_id)
        );
        if ui.link(text).clicked() {
            nav.push(Nav::OpenTrace {
                trace: store.index.span_trace.get(i as usize).copied().unwrap_or(0),
                focus_span: Some(i),
            });
        }
    }
}
