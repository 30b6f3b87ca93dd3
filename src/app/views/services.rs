//! The Services tab: the service graph drawn from its layered layout (`app::canvas`), with a
//! chain picker that highlights a conversion chain's services and hops, and for a selected
//! edge its calls (slowest first) with their latency histogram, from the session index.

use std::sync::Arc;

use egui::{Pos2, Vec2};
use egui_plot::{Bar, BarChart, Plot};

use crate::app::canvas::{Canvas, Highlight, Hit};
use crate::app::exporter::Exporter;
use crate::app::state::{Selection, Session, View, ViewCtx};
use crate::app::theme::{self, color};
use crate::export::ExportView;
use crate::export::scene::HIGHLIGHT;
use crate::model::StatusCode;
use crate::model::ids::trace_hex;
use crate::units::{count, latency_ms};

/// Chains listed in the chain picker (a large dump can have thousands).
const MAX_CHAINS_LISTED: usize = 500;

/// The `Tab::Services` view.
pub struct ServicesView {
    canvas: Canvas,
    exporter: Exporter,
    /// The chain the highlight was computed for, and the highlight.
    chain: Option<(u32, Highlight)>,
    /// The Traces view's filter (by generation) and the part of the graph its traces use.
    listed: Option<(u64, Option<crate::query::GraphPart>)>,
}

impl Default for ServicesView {
    fn default() -> Self {
        Self::new()
    }
}

impl ServicesView {
    pub fn new() -> Self {
        ServicesView {
            canvas: Canvas::new(ExportView::Services),
            exporter: Exporter::default(),
            chain: None,
            listed: None,
        }
    }

    /// Whether the layout is ready.
    pub fn is_laid_out(&self) -> bool {
        self.canvas.is_laid_out()
    }

    /// Screen position of node `k`'s centre in the last frame.
    pub fn node_screen_pos(&self, k: usize) -> Option<Pos2> {
        self.canvas.node_screen_pos(k)
    }

    /// A screen point on edge `k`'s line (the middle of its path) in the last frame.
    pub fn edge_screen_pos(&self, k: usize) -> Option<Pos2> {
        let e = self.canvas.scene.as_ref()?.edges.get(k)?;
        e.path
            .get(e.path.len() / 2)
            .map(|&p| self.canvas.to_screen(p))
    }

    /// Pan offset and zoom of the canvas.
    pub fn camera(&self) -> (Vec2, f32) {
        (self.canvas.pan, self.canvas.zoom)
    }

    /// Service-graph nodes highlighted for the selected chain.
    pub fn highlighted_nodes(&self) -> Vec<usize> {
        self.chain
            .as_ref()
            .map_or_else(Vec::new, |(_, h)| h.nodes.clone())
    }

    /// The services of chain `c` and, where consecutive steps run in different services, the
    /// hop between them labelled with the type passed.
    fn chain_highlight(session: &Session, c: u32) -> Highlight {
        let mut hl = Highlight::default();
        let Some(chain) = session.chain(c) else {
            return hl;
        };
        let node = |s: u32| session.service_node_of(s);
        hl.nodes = chain
            .services
            .iter()
            .filter_map(|&s| node(s))
            .map(|n| n as usize)
            .collect();
        let types = session.chain_types(c);
        for (k, pair) in chain.spans.windows(2).enumerate() {
            let (sa, sb) = (
                session.store.service_idx(pair[0]),
                session.store.service_idx(pair[1]),
            );
            if sa == sb {
                continue;
            }
            let (Some(na), Some(nb)) = (node(sa), node(sb)) else {
                continue;
            };
            let ty = types.get(k + 1).map_or("", |&t| session.type_name(t));
            let edge = session
                .find_service_edge(na, nb)
                .or_else(|| session.find_service_edge(nb, na))
                .map(|e| e as usize);
            hl.edges.extend(edge);
            hl.hops
                .push((na as usize, nb as usize, edge, ty.to_string()));
        }
        hl
    }

    fn chain_label(session: &Session, c: u32) -> String {
        let Some(chain) = session.chain(c) else {
            return String::new();
        };
        let hex = trace_hex(chain.trace_id);
        format!(
            "{} ({}…)",
            session.chain_text(c),
            hex.get(..8).unwrap_or(&hex)
        )
    }

    fn edge_panel(ui: &mut egui::Ui, edge: u32, ctx: &mut ViewCtx<'_>) {
        let session = ctx.session;
        let (Some(e), Some(calls)) = (session.service_edge(edge), ctx.index().edge_calls(edge))
        else {
            return;
        };
        let w = e.weight;
        ui.heading(format!("{} → {}", e.from_name, e.to_name));
        ui.label(format!(
            "{} · {} errors · {} broken · {} unpaired",
            count(w.calls, "call"),
            w.errors,
            w.broken,
            w.unpaired
        ));
        ui.label(format!(
            "p50 {} · p95 {} · p99 {}",
            latency_ms(w.p50_ms),
            latency_ms(w.p95_ms),
            latency_ms(w.p99_ms)
        ));
        let bars: Vec<Bar> = calls
            .bins
            .iter()
            .map(|b| Bar::new(b.centre, b.count as f64).width(b.width * 0.95))
            .collect();
        Plot::new(("edge-latency", edge))
            .height(130.0)
            .allow_scroll(false)
            .allow_zoom(false)
            .allow_drag(false)
            .x_axis_label("latency (ms)")
            .show(ui, |p| {
                p.bar_chart(BarChart::new("calls", bars).color(color(HIGHLIGHT)))
            });
        ui.separator();
        ui.label(format!(
            "{}, slowest first",
            count(calls.slowest.len() as u64, "call")
        ));
        let store = &session.store;
        let row_h = ui.text_style_height(&egui::TextStyle::Button) + 4.0;
        egui::ScrollArea::vertical()
            .id_salt("edge-calls")
            .show_rows(ui, row_h, calls.slowest.len(), |ui, rows| {
                for &i in calls.slowest.get(rows).unwrap_or_default() {
                    let s = store.span(i);
                    let error = s.status == StatusCode::Error;
                    let mark = if error { "  ✖ error" } else { "" };
                    let hex = trace_hex(s.trace_id);
                    let text = format!(
                        "{}…  {}{mark}",
                        hex.get(..12).unwrap_or(&hex),
                        latency_ms(s.duration() as f64 / 1e6)
                    );
                    let mut rich = egui::RichText::new(text).monospace();
                    if error {
                        rich = rich.color(theme::BROKEN);
                    }
                    if ui
                        .selectable_label(false, rich)
                        .on_hover_text("open this call's trace")
                        .clicked()
                    {
                        ctx.open_span(i);
                    }
                }
            });
    }

    /// The graph part of the listed traces (computed once per filter generation).
    fn listed_part(&mut self, ctx: &ViewCtx<'_>) -> Option<&crate::query::GraphPart> {
        let f = &ctx.filter;
        if self.listed.as_ref().is_none_or(|(g, _)| *g != f.generation) {
            let part = f.traces.as_deref().map(|t| ctx.session.graph_part(t));
            self.listed = Some((f.generation, part));
        }
        self.listed.as_ref().and_then(|(_, p)| p.as_ref())
    }

    fn toolbar(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
        let (session, selection) = (ctx.session, ctx.selection);
        ui.horizontal(|ui| {
            self.canvas.fit_button(ui);
            self.exporter
                .menu(ui, session, ExportView::Services, "services");
            ui.separator();
            let chains = session.analysis.chains.len();
            let current = match selection {
                Selection::Chain(c) => Self::chain_label(session, c),
                _ => format!("none ({chains} chains)"),
            };
            egui::ComboBox::new("services-chain", "conversion chain")
                .width(360.0)
                .selected_text(current)
                .show_ui(ui, |ui| {
                    if ui
                        .selectable_label(matches!(selection, Selection::Chain(_)), "none")
                        .clicked()
                    {
                        ctx.select(Selection::None);
                    }
                    for c in 0..chains.min(MAX_CHAINS_LISTED) as u32 {
                        let on = selection == Selection::Chain(c);
                        if ui
                            .selectable_label(on, Self::chain_label(session, c))
                            .clicked()
                        {
                            ctx.select(Selection::Chain(c));
                        }
                    }
                });
        });
    }
}

impl View for ServicesView {
    fn reset(&mut self, session: &Arc<Session>) {
        self.canvas.reset(session);
        self.chain = None;
        self.listed = None;
    }

    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
        let (session, selection) = (ctx.session, ctx.selection);
        if self.canvas.is_stale(session) {
            self.reset(session);
        }
        match selection {
            Selection::Chain(c) if self.chain.as_ref().is_none_or(|(k, _)| *k != c) => {
                self.chain = Some((c, Self::chain_highlight(session, c)));
            }
            Selection::Chain(_) => {}
            _ => self.chain = None,
        }
        self.toolbar(ui, ctx);

        let mut hl = Highlight::default();
        match selection {
            Selection::Service(n) => hl.nodes.push(n as usize),
            Selection::ServiceEdge(e) => {
                hl.edges.push(e as usize);
                egui::Panel::right("service-edge-calls")
                    .default_size(320.0)
                    .show(ui, |ui| Self::edge_panel(ui, e, ctx));
            }
            Selection::Chain(_) => {
                if let Some((_, chain)) = &self.chain {
                    hl.nodes.clone_from(&chain.nodes);
                    hl.edges.clone_from(&chain.edges);
                    hl.hops.clone_from(&chain.hops);
                }
            }
            _ => {
                // Nothing selected: the services and calls of the traces the Traces view
                // lists, when its filters or query hide some.
                if let Some(part) = self.listed_part(ctx) {
                    hl.nodes = part.nodes.iter().map(|&n| n as usize).collect();
                    hl.edges = part.edges.iter().map(|&e| e as usize).collect();
                }
            }
        }

        let events = self.canvas.ui(ui, &hl);
        if let Some(s) = events.clicked_selection(Selection::Service, Selection::ServiceEdge) {
            ctx.select(s);
        }
        let text = match events.hovered {
            Some(Hit::Node(k)) => session.service(k as u32).map(|n| {
                if n.is_virtual() {
                    format!("{} (not traced: named by its callers)", n.name)
                } else {
                    format!("{}: {} spans", n.name, n.spans)
                }
            }),
            Some(Hit::Edge(k)) => session.service_edge(k as u32).map(|e| {
                let w = e.weight;
                format!(
                    "{} → {}\n{} · {}\np50 {} · p95 {} · p99 {}\n{} broken · {} unpaired\nclick for the calls",
                    e.from_name,
                    e.to_name,
                    count(w.calls, "call"),
                    count(w.errors, "error"),
                    latency_ms(w.p50_ms),
                    latency_ms(w.p95_ms),
                    latency_ms(w.p99_ms),
                    w.broken,
                    w.unpaired
                )
            }),
            None => None,
        };
        if let Some(text) = text {
            events.tooltip(text);
        }
    }
}
