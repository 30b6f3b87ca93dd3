//! The Services tab: the service graph drawn from its layered layout (`app::canvas`), with a
//! chain picker that highlights a conversion chain's services and hops, and for a selected
//! edge its calls (slowest first) with their latency histogram, from the session index.
//! A second toolbar row chooses what is drawn (`analysis::service_view`): a focused service
//! found by name with its callers and callees n hops out, edge filters, namespace groups.

use std::sync::Arc;

use egui::{Pos2, Vec2};
use egui_plot::{Bar, BarChart, Plot};

use crate::analysis::service_view::{Grouping, ServiceFilter, find_service, groups_of};
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
/// Services offered under the search field.
const MAX_MATCHES_LISTED: usize = 8;
/// Graphs with more services open grouped by namespace (when they have namespaces).
const GROUP_ABOVE_SERVICES: usize = 60;
/// The depth slider's range (hops out from the focus).
const MAX_DEPTH: u32 = 6;

/// The `Tab::Services` view.
pub struct ServicesView {
    canvas: Canvas,
    exporter: Exporter,
    /// The chain the highlight was computed for, and the highlight.
    chain: Option<(u32, Highlight)>,
    /// What is drawn of the graph.
    filter: ServiceFilter,
    /// The search field's text.
    search: String,
    /// A large graph was grouped for the user once (a later "no groups" stays).
    auto_grouped: bool,
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
            filter: ServiceFilter {
                depth: 1,
                ..ServiceFilter::default()
            },
            search: String::new(),
            auto_grouped: false,
            listed: None,
        }
    }

    /// Keeps the graph part of the listed traces (computed once per filter generation).
    fn update_listed(&mut self, ctx: &ViewCtx<'_>) {
        let f = &ctx.filter;
        if self.listed.as_ref().is_none_or(|(g, _)| *g != f.generation) {
            let part = f.traces.as_deref().map(|t| ctx.session.graph_part(t));
            self.listed = Some((f.generation, part));
        }
    }

    /// Draws what `filter` chooses (the search field shows its focus).
    pub fn set_filter(&mut self, filter: ServiceFilter) {
        self.search = filter.focus.clone().unwrap_or_default();
        self.filter = filter;
    }

    /// What is drawn of the graph (focus, filters, groups).
    pub fn filter(&self) -> &ServiceFilter {
        &self.filter
    }

    /// Layouts computed since the view was made (a live snapshot of the same graph reuses
    /// the last one).
    pub fn layouts(&self) -> u32 {
        self.canvas.layouts()
    }

    /// Service-graph nodes drawn now (collapsed groups: none).
    pub fn drawn_services(&self) -> Vec<u32> {
        let Some(scene) = &self.canvas.scene else {
            return Vec::new();
        };
        scene.nodes.iter().filter_map(|n| n.source).collect()
    }

    /// A graph of more than `GROUP_ABOVE_SERVICES` services opens grouped by namespace when
    /// its services have one (`service.namespace`, else `k8s.namespace.name`, at least two
    /// groups): hundreds of boxes fit no window, a dozen groups do. Once, and only while the
    /// user has chosen nothing (the whole graph, ungrouped).
    fn group_large_graph(&mut self, session: &Session) {
        let untouched = ServiceFilter {
            depth: self.filter.depth,
            ..ServiceFilter::default()
        };
        if self.auto_grouped
            || self.filter != untouched
            || session.analysis.services.graph.node_count() <= GROUP_ABOVE_SERVICES
        {
            return;
        }
        self.auto_grouped = true;
        for g in [Grouping::ServiceNamespace, Grouping::K8sNamespace] {
            let mut names: Vec<String> =
                groups_of(&session.store, g).into_iter().flatten().collect();
            names.sort_unstable();
            names.dedup();
            if names.len() >= 2 {
                self.filter.group = g;
                return;
            }
        }
    }

    /// Focuses on the service named `name` (as the search does).
    fn focus_on(&mut self, name: &str) {
        self.filter.focus = Some(name.to_string());
        self.search = name.to_string();
    }

    /// Services whose name contains the search text (any case), exact match first.
    fn matches<'s>(&self, session: &'s Session) -> Vec<&'s str> {
        let needle = self.search.trim().to_lowercase();
        if needle.is_empty() {
            return Vec::new();
        }
        let mut out: Vec<&str> = session
            .analysis
            .services
            .graph
            .node_weights()
            .map(|n| n.name.as_str())
            .filter(|n| n.to_lowercase().contains(&needle))
            .collect();
        out.sort_by_key(|n| (n.to_lowercase() != needle, n.len(), *n));
        out
    }

    /// The second toolbar row: search and focus, depth, edge filters, grouping.
    fn filter_bar(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
        let session = ctx.session;
        let mut enter = false;
        // Wrapped, so a narrow window does not push the canvas past its panel.
        ui.horizontal_wrapped(|ui| {
            let edit = ui.add(
                egui::TextEdit::singleline(&mut self.search)
                    .hint_text("find a service…")
                    .desired_width(200.0),
            );
            enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if let Some(focus) = self.filter.focus.clone() {
                ui.label(format!("focus: {focus}"));
                ui.add(
                    egui::Slider::new(&mut self.filter.depth, 1..=MAX_DEPTH)
                        .text("hops")
                        .integer(),
                )
                .on_hover_text("callers and callees this many calls away");
                if ui.button("✕ all services").clicked() {
                    self.filter.focus = None;
                    self.search.clear();
                }
            } else if let Selection::Service(n) = ctx.selection
                && let Some(node) = session.service(n)
                && ui
                    .button("Focus")
                    .on_hover_text("show the selected service with its callers and callees")
                    .clicked()
            {
                let name = node.name.clone();
                self.focus_on(&name);
            }
            ui.separator();
            let l = ui.label("calls ≥");
            ui.add(egui::DragValue::new(&mut self.filter.min_calls).range(0..=1_000_000))
                .labelled_by(l.id);
            let l = ui.label("errors ≥");
            let mut pct = self.filter.min_error_rate * 100.0;
            ui.add(
                egui::DragValue::new(&mut pct)
                    .range(0.0..=100.0)
                    .suffix(" %"),
            )
            .labelled_by(l.id);
            self.filter.min_error_rate = pct / 100.0;
            let l = ui.label("p99 ≥");
            ui.add(
                egui::DragValue::new(&mut self.filter.min_p99_ms)
                    .range(0.0..=1e7)
                    .suffix(" ms"),
            )
            .labelled_by(l.id);
            ui.checkbox(&mut self.filter.only_problems, "broken/unpaired only");
            ui.separator();
            let name = |g: Grouping| g.key().unwrap_or("no groups");
            egui::ComboBox::new("services-group", "group by")
                .selected_text(name(self.filter.group))
                .show_ui(ui, |ui| {
                    for g in Grouping::ALL {
                        ui.selectable_value(&mut self.filter.group, g, name(g));
                    }
                });
            if self.filter.group != Grouping::None {
                let mut groups: Vec<String> = groups_of(&session.store, self.filter.group)
                    .into_iter()
                    .flatten()
                    .collect();
                groups.sort_unstable();
                groups.dedup();
                ui.menu_button("open groups ▾", |ui| {
                    for g in groups {
                        let mut open = self.filter.expanded.contains(&g);
                        if ui.checkbox(&mut open, g.as_str()).changed() {
                            if open {
                                self.filter.expanded.insert(g);
                            } else {
                                self.filter.expanded.remove(&g);
                            }
                        }
                    }
                });
            }
        });
        let matches = self.matches(session);
        let settled = self.filter.focus.as_deref() == Some(self.search.trim());
        if enter && let Some(first) = matches.first() {
            let first = first.to_string();
            self.focus_on(&first);
        } else if !settled && !matches.is_empty() {
            ui.horizontal_wrapped(|ui| {
                for m in matches.iter().take(MAX_MATCHES_LISTED) {
                    if ui
                        .button(*m)
                        .on_hover_text("focus on this service")
                        .clicked()
                    {
                        let m = m.to_string();
                        self.focus_on(&m);
                    }
                }
                if matches.len() > MAX_MATCHES_LISTED {
                    ui.label(format!("{} more", matches.len() - MAX_MATCHES_LISTED));
                }
            });
        } else if !settled && !self.search.trim().is_empty() {
            ui.label(format!("no service matches \"{}\"", self.search.trim()));
        }
        // A focus that names no service of this session (a live snapshot lost it) is dropped.
        if let Some(f) = &self.filter.focus
            && find_service(&session.analysis.services, f).is_err()
        {
            self.filter.focus = None;
        }
    }

    /// Whether the layout is ready.
    pub fn is_laid_out(&self) -> bool {
        self.canvas.is_laid_out()
    }

    /// Screen position of service-graph node `k`'s centre in the last frame.
    pub fn node_screen_pos(&self, k: usize) -> Option<Pos2> {
        let at = self.canvas.scene_node_of(k as u32)?;
        self.canvas.node_screen_pos(at)
    }

    /// A screen point on service-graph edge `k`'s line (the middle of its path) in the last
    /// frame.
    pub fn edge_screen_pos(&self, k: usize) -> Option<Pos2> {
        let at = self.canvas.scene_edge_of(k as u32)?;
        let e = self.canvas.scene.as_ref()?.edges.get(at)?;
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
        self.group_large_graph(session);
    }

    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
        let (session, selection) = (ctx.session, ctx.selection);
        match selection {
            Selection::Chain(c) if self.chain.as_ref().is_none_or(|(k, _)| *k != c) => {
                self.chain = Some((c, Self::chain_highlight(session, c)));
            }
            Selection::Chain(_) => {}
            _ => self.chain = None,
        }
        self.toolbar(ui, ctx);
        self.filter_bar(ui, ctx);
        self.canvas.set_filter(&self.filter);
        self.exporter.filter.clone_from(&self.filter);

        let mut hl = Highlight::default();
        match selection {
            Selection::Service(n) => hl.nodes.extend(self.canvas.scene_node_of(n)),
            Selection::ServiceEdge(e) => {
                hl.edges.extend(self.canvas.scene_edge_of(e));
                egui::Panel::right("service-edge-calls")
                    .default_size(320.0)
                    .show(ui, |ui| Self::edge_panel(ui, e, ctx));
            }
            Selection::Chain(_) => {
                if let Some((_, chain)) = &self.chain {
                    // Graph numbers to the scene's (nodes and edges not drawn drop out).
                    let node = |n: usize| self.canvas.scene_node_of(n as u32);
                    let edge = |e: usize| self.canvas.scene_edge_of(e as u32);
                    hl.nodes = chain.nodes.iter().filter_map(|&n| node(n)).collect();
                    hl.edges = chain.edges.iter().filter_map(|&e| edge(e)).collect();
                    hl.hops = chain
                        .hops
                        .iter()
                        .filter_map(|(a, b, e, t)| {
                            Some((node(*a)?, node(*b)?, e.and_then(edge), t.clone()))
                        })
                        .collect();
                }
            }
            _ => {
                // Nothing selected: the services and calls of the traces the Traces view
                // lists, when its filters or query hide some (sorted numbers: one pass over
                // the scene).
                self.update_listed(ctx);
                if let Some((_, Some(part))) = &self.listed
                    && let Some(scene) = &self.canvas.scene
                {
                    let has = |v: &[u32], x: u32| v.binary_search(&x).is_ok();
                    hl.nodes = (0..scene.nodes.len())
                        .filter(|&k| scene.nodes[k].source.is_some_and(|n| has(&part.nodes, n)))
                        .collect();
                    hl.edges = (0..scene.edges.len())
                        .filter(|&k| scene.edges[k].sources.iter().any(|&e| has(&part.edges, e)))
                        .collect();
                }
            }
        }
        // The focused service stands out too.
        if let Some(f) = &self.filter.focus
            && let Ok(n) = find_service(&session.analysis.services, f)
        {
            hl.nodes.extend(self.canvas.scene_node_of(n));
        }

        let events = self.canvas.ui(ui, &hl);
        let scene = self.canvas.scene.as_ref();
        let node_source = |k: usize| scene.and_then(|s| s.nodes.get(k)).and_then(|n| n.source);
        let group_of = |k: usize| {
            scene
                .and_then(|s| s.nodes.get(k))
                .filter(|n| n.source.is_none())
                .and_then(|n| n.key.strip_suffix("/*"))
                .map(str::to_string)
        };
        let edge_sources = |k: usize| {
            scene
                .and_then(|s| s.edges.get(k))
                .map_or(&[][..], |e| &e.sources[..])
        };
        match events.clicked {
            Some(Some(Hit::Node(k))) => match (node_source(k), group_of(k)) {
                (Some(n), _) => ctx.select(Selection::Service(n)),
                // A collapsed group opens.
                (None, Some(g)) => {
                    self.filter.expanded.insert(g);
                }
                (None, None) => {}
            },
            Some(Some(Hit::Edge(k))) => {
                if let [e] = edge_sources(k) {
                    ctx.select(Selection::ServiceEdge(*e));
                }
            }
            Some(None) => ctx.select(Selection::None),
            None => {}
        }
        let focus_on = match events.double_clicked {
            Some(Hit::Node(k)) => node_source(k)
                .and_then(|n| session.service(n))
                .map(|n| n.name.clone()),
            _ => None,
        };
        let merged = |k: usize| match edge_sources(k) {
            [] | [_] => None,
            many => Some(many.len()),
        };
        let text = match events.hovered {
            Some(Hit::Node(k)) if node_source(k).is_none() => group_of(k).map(|g| {
                format!("{g}: a group of services\nclick to open it (open groups ▾ closes it)")
            }),
            Some(Hit::Node(k)) => node_source(k).and_then(|m| session.service(m)).map(|n| {
                if n.is_virtual() {
                    format!("{} (not traced: named by its callers)\ndouble-click to focus", n.name)
                } else {
                    format!("{}: {} spans\ndouble-click to focus", n.name, n.spans)
                }
            }),
            Some(Hit::Edge(k)) if merged(k).is_some() => scene
                .and_then(|s| s.edges.get(k))
                .map(|e| format!("{} edges merged by grouping\n{}", merged(k).unwrap_or(0), e.label.join("\n"))),
            Some(Hit::Edge(k)) => edge_sources(k).first().and_then(|&e| session.service_edge(e)).map(|e| {
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
        if let Some(name) = focus_on {
            self.focus_on(&name);
        }
    }
}
