//! The Services and Types tabs: the service graph and the type-flow graph drawn from their
//! layered layout (`export::scene`, the same drawing the exporters write), with pan, zoom,
//! node dragging, fit, selection, chain highlights, an edge's calls with a latency histogram,
//! and an Export menu. The layout runs once per session, on a thread for large graphs.

use std::path::Path;
use std::sync::Arc;

use egui::{Align2, Color32, FontId, Pos2, Rect, Sense, Shape, Vec2, pos2, vec2};
use egui_plot::{Bar, BarChart, Plot};

use super::exporter::Exporter;
use super::state::{Nav, Selection, Session, View};
use super::task::{Poll, Task};
use crate::analysis::layout::Point;
use crate::export::scene::{self, DASH, Dash, HIGHLIGHT, Prim, Rgba, Scene, fmt_ms};
use crate::export::{self, ExportError, ExportView, Format};
use crate::model::StatusCode;
use crate::model::ids::trace_hex;

/// Graphs with more nodes than this are laid out on a thread (the view shows "laying out…").
const THREADED_LAYOUT_NODES: usize = 100;
const MIN_ZOOM: f32 = 0.05;
const MAX_ZOOM: f32 = 4.0;
/// Chains listed in the chain picker (a large dump can have thousands).
const MAX_CHAINS_LISTED: usize = 500;

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn color(c: Rgba) -> Color32 {
    Color32::from_rgba_unmultiplied(c.r, c.g, c.b, c.a)
}

/// What the canvas should emphasise this frame.
#[derive(Default)]
struct Highlight {
    nodes: Vec<usize>,
    edges: Vec<usize>,
    /// Labels along a chain: (from node, to node, edge joining them if any, text).
    hops: Vec<(usize, usize, Option<usize>, String)>,
}

/// What happened on the canvas this frame.
#[derive(Default)]
struct CanvasEvents {
    /// Some(None) = a click on the background.
    clicked: Option<Option<Hit>>,
    hovered: Option<Hit>,
    response: Option<egui::Response>,
}

impl CanvasEvents {
    /// A tooltip at the pointer while the canvas is hovered.
    fn tooltip(&self, text: String) {
        if let Some(r) = &self.response {
            r.clone().on_hover_ui_at_pointer(|ui| {
                ui.label(text);
            });
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Hit {
    Node(usize),
    Edge(usize),
}

/// A pannable, zoomable drawing of a scene with draggable nodes. Positions are in layout
/// space; `screen = origin + pan + p * zoom`.
struct Canvas {
    view: ExportView,
    scene: Option<Scene>,
    pending: Option<Task<Option<Scene>>>,
    /// The session to lay out at the next frame.
    unlaid: Option<Arc<Session>>,
    /// Why the layout thread gave no scene (it could not start or died).
    failed: Option<String>,
    /// Drag offsets of each node, on top of the layout.
    shift: Vec<Point>,
    /// Edges touching each node (to re-route them when it is dragged).
    incident: Vec<Vec<usize>>,
    /// Bounding box of each edge's primitives, for culling.
    edge_bounds: Vec<Rect>,
    pan: Vec2,
    zoom: f32,
    fit_pending: bool,
    /// The camera is the fitted one (no pan or zoom since): refit when the canvas resizes,
    /// e.g. when a side panel opens.
    fitted_size: Option<Vec2>,
    dragging: Option<usize>,
    /// Keep the camera for the next scene instead of fitting it.
    hold_camera: bool,
    /// The session the scene was built from (its `Arc` address).
    session: usize,
    /// The canvas rectangle of the last frame (to map layout points for tests and tooltips).
    origin: Pos2,
}

impl Canvas {
    fn new(view: ExportView) -> Self {
        Canvas {
            view,
            scene: None,
            pending: None,
            unlaid: None,
            failed: None,
            shift: Vec::new(),
            incident: Vec::new(),
            edge_bounds: Vec::new(),
            pan: Vec2::ZERO,
            zoom: 1.0,
            fit_pending: true,
            fitted_size: None,
            dragging: None,
            hold_camera: false,
            session: 0,
            origin: Pos2::ZERO,
        }
    }

    fn reset(&mut self, session: &Arc<Session>) {
        // A camera the user moved stays where it is when a new (live) session arrives.
        let moved = self.scene.is_some() && self.fitted_size.is_none() && !self.fit_pending;
        let camera = (self.pan, self.zoom);
        *self = Canvas::new(self.view);
        if moved {
            (self.pan, self.zoom) = camera;
            self.hold_camera = true;
        }
        self.session = Arc::as_ptr(session) as usize;
        self.unlaid = Some(Arc::clone(session));
    }

    /// Lays out the session `reset` was given: here for small graphs, on a thread for large.
    fn start_layout(&mut self, ctx: &egui::Context) {
        let Some(session) = self.unlaid.take() else {
            return;
        };
        let nodes = match self.view {
            ExportView::Services => session.analysis.services.graph.node_count(),
            _ => session.analysis.types.graph.node_count(),
        };
        let build = {
            let view = self.view;
            move |s: &Session| export::scene(&s.store, &s.analysis, view).ok()
        };
        if nodes > THREADED_LAYOUT_NODES {
            match Task::spawn("layout", ctx, move || build(&session)) {
                Ok(task) => self.pending = Some(task),
                Err(e) => self.failed = Some(e),
            }
        } else if let Some(scene) = build(&session) {
            self.set_scene(scene);
        }
    }

    /// Whether `session` is not the one the scene was built from (a new load or live snapshot).
    fn is_stale(&self, session: &Arc<Session>) -> bool {
        self.session != Arc::as_ptr(session) as usize
    }

    fn set_scene(&mut self, scene: Scene) {
        self.shift = vec![Point::default(); scene.nodes.len()];
        self.incident = vec![Vec::new(); scene.nodes.len()];
        for (k, e) in scene.edges.iter().enumerate() {
            for end in [e.from, e.to] {
                if let Some(list) = self.incident.get_mut(end as usize)
                    && !list.contains(&k)
                {
                    list.push(k);
                }
            }
        }
        self.edge_bounds = scene.edges.iter().map(|e| prims_bounds(&e.prims)).collect();
        self.scene = Some(scene);
        self.fit_pending = !std::mem::take(&mut self.hold_camera);
    }

    /// Takes the layout from its thread when it is ready.
    fn poll(&mut self, ctx: &egui::Context) {
        self.start_layout(ctx);
        let Some(rx) = &self.pending else {
            return;
        };
        match rx.poll() {
            Poll::Pending => {}
            Poll::Ready(scene) => {
                self.pending = None;
                if let Some(scene) = scene {
                    self.set_scene(scene);
                }
            }
            Poll::Lost(e) => {
                self.pending = None;
                self.failed = Some(e);
            }
        }
    }

    fn to_screen(&self, p: Point) -> Pos2 {
        self.origin + self.pan + vec2(p.x, p.y) * self.zoom
    }

    fn to_layout(&self, p: Pos2) -> Point {
        let v = (p - self.origin - self.pan) / self.zoom;
        Point::new(v.x, v.y)
    }

    fn node_center(&self, k: usize) -> Option<Point> {
        let n = self.scene.as_ref()?.layout.nodes.get(k)?;
        let s = self.shift.get(k).copied().unwrap_or_default();
        Some(Point::new(n.x + s.x, n.y + s.y))
    }

    fn fit(&mut self, rect: Rect) {
        let Some(scene) = &self.scene else {
            return;
        };
        let (w, h) = (scene.layout.width.max(1.0), scene.layout.height.max(1.0));
        self.zoom = (rect.width() / w)
            .min(rect.height() / h)
            .clamp(MIN_ZOOM, 1.5);
        self.pan = (rect.size() - vec2(w, h) * self.zoom) / 2.0;
        self.fit_pending = false;
        self.fitted_size = Some(rect.size());
    }

    fn hit(&self, p: Pos2) -> Option<Hit> {
        let scene = self.scene.as_ref()?;
        let q = self.to_layout(p);
        let shift = |k: usize| self.shift.get(k).copied().unwrap_or_default();
        if let Some(k) = scene.node_at(q, shift) {
            return Some(Hit::Node(k));
        }
        scene.edge_at(q, 6.0 / self.zoom).map(Hit::Edge)
    }

    fn drag_node(&mut self, k: usize, delta: Vec2) {
        let d = delta / self.zoom;
        if let Some(s) = self.shift.get_mut(k) {
            s.x += d.x;
            s.y += d.y;
        }
        let Some(edges) = self.incident.get(k) else {
            return;
        };
        let Some(scene) = &mut self.scene else {
            return;
        };
        for &e in edges {
            let Some(edge) = scene.edges.get(e) else {
                continue;
            };
            let (from, to) = (edge.from as usize, edge.to as usize);
            let at = |n: usize| self.shift.get(n).copied().unwrap_or_default();
            scene.reroute(e, at(from), at(to));
            if let (Some(b), Some(edge)) = (self.edge_bounds.get_mut(e), scene.edges.get(e)) {
                *b = prims_bounds(&edge.prims);
            }
        }
    }

    /// Draws the scene in the remaining space and handles pan, zoom, drag, click and hover.
    fn ui(&mut self, ui: &mut egui::Ui, hl: &Highlight) -> CanvasEvents {
        self.poll(ui.ctx());
        let (response, painter) = ui.allocate_painter(ui.available_size(), Sense::click_and_drag());
        let rect = response.rect;
        self.origin = rect.min;
        painter.rect_filled(rect, 0.0, color(scene::BACKGROUND));
        let mut events = CanvasEvents::default();
        if self.scene.is_none() {
            let text = match (&self.pending, &self.failed) {
                (Some(_), _) => "laying out…",
                (None, Some(e)) => e.as_str(),
                (None, None) => "nothing to draw: no edges or nodes in the loaded traces",
            };
            painter.text(
                rect.center(),
                Align2::CENTER_CENTER,
                text,
                FontId::proportional(16.0),
                color(scene::MUTED_TEXT),
            );
            return events;
        }
        if self.fit_pending || self.fitted_size.is_some_and(|s| s != rect.size()) {
            self.fit(rect);
        }

        // Zoom around the cursor: wheel, ctrl+wheel or pinch.
        if let Some(cursor) = response.hover_pos() {
            let (scroll, pinch) = ui.input(|i| (i.smooth_scroll_delta().y, i.zoom_delta()));
            let factor = pinch * (scroll * 0.002).exp();
            if (factor - 1.0).abs() > 1e-4 {
                let before = self.to_layout(cursor);
                self.zoom = (self.zoom * factor).clamp(MIN_ZOOM, MAX_ZOOM);
                self.fitted_size = None;
                let after = self.to_screen(before);
                self.pan += cursor - after;
            }
        }
        if response.drag_started() {
            let origin = ui.input(|i| i.pointer.press_origin());
            self.dragging = origin.and_then(|p| match self.hit(p) {
                Some(Hit::Node(k)) => Some(k),
                _ => None,
            });
        }
        if response.dragged() {
            let delta = response.drag_delta();
            match self.dragging {
                Some(k) => self.drag_node(k, delta),
                None => {
                    self.pan += delta;
                    self.fitted_size = None;
                }
            }
        }
        if response.drag_stopped() {
            self.dragging = None;
        }
        if response.clicked() {
            events.clicked = Some(response.interact_pointer_pos().and_then(|p| self.hit(p)));
        }
        events.hovered = response.hover_pos().and_then(|p| self.hit(p));
        events.response = Some(response);

        let painter = painter.with_clip_rect(rect);
        self.paint(&painter, rect, hl);
        events
    }

    fn paint(&self, painter: &egui::Painter, rect: Rect, hl: &Highlight) {
        let Some(scene) = &self.scene else {
            return;
        };
        let zoom = self.zoom;
        let to_screen = |p: Point| self.to_screen(p);
        let visible = |b: &Rect| {
            let r = Rect::from_min_max(
                to_screen(Point::new(b.min.x, b.min.y)),
                to_screen(Point::new(b.max.x, b.max.y)),
            );
            r.intersects(rect)
        };
        for (k, e) in scene.edges.iter().enumerate() {
            if self.edge_bounds.get(k).is_some_and(visible) {
                let marked = hl.edges.contains(&k);
                if marked {
                    let pts: Vec<Pos2> = e.path.iter().map(|&p| to_screen(p)).collect();
                    let glow = Color32::from_rgba_unmultiplied(0x25, 0x63, 0xeb, 70);
                    painter.add(Shape::line(
                        pts,
                        egui::Stroke::new((e.stroke.width + 6.0) * zoom, glow),
                    ));
                }
                for p in &e.prims {
                    paint_prim(painter, p, Point::default(), zoom, &to_screen);
                }
            }
        }
        for (k, n) in scene.nodes.iter().enumerate() {
            let (Some(pos), Some(c)) = (scene.layout.nodes.get(k), self.node_center(k)) else {
                continue;
            };
            let r = Rect::from_center_size(to_screen(c), vec2(pos.w, pos.h) * zoom);
            if !r.intersects(rect) {
                continue;
            }
            for p in &n.prims {
                paint_prim(painter, p, c, zoom, &to_screen);
            }
            if hl.nodes.contains(&k) {
                painter.rect_stroke(
                    r.expand(3.0),
                    8.0 * zoom + 3.0,
                    egui::Stroke::new(3.0, color(HIGHLIGHT)),
                    egui::StrokeKind::Outside,
                );
            }
        }
        for (from, to, edge, text) in &hl.hops {
            let (Some(a), Some(b)) = (self.node_center(*from), self.node_center(*to)) else {
                continue;
            };
            let at = match edge.and_then(|e| scene.edges.get(e)) {
                // On the edge's line, below its own label.
                Some(e) => {
                    let mid = e.path.get(e.path.len() / 2).copied().unwrap_or(a);
                    Point::new(mid.x, mid.y + 7.0 * e.label.len() as f32 + 4.0)
                }
                None => {
                    let (pa, pb) = (to_screen(a), to_screen(b));
                    painter.extend(Shape::dashed_line(
                        &[pa, pb],
                        egui::Stroke::new(2.0, color(HIGHLIGHT)),
                        DASH.0,
                        DASH.1,
                    ));
                    Point::new((a.x + b.x) / 2.0, (a.y + b.y) / 2.0)
                }
            };
            let galley =
                painter.layout_no_wrap(text.clone(), FontId::proportional(12.0), Color32::WHITE);
            let r = Rect::from_center_size(
                to_screen(at) + vec2(0.0, 16.0),
                galley.size() + vec2(10.0, 4.0),
            );
            painter.rect_filled(r, 4.0, color(HIGHLIGHT));
            painter.galley(r.min + vec2(5.0, 2.0), galley, Color32::WHITE);
        }
    }
}

/// Paints one primitive; node primitives are relative to `at`.
fn paint_prim(
    painter: &egui::Painter,
    p: &Prim,
    at: Point,
    zoom: f32,
    to_screen: &impl Fn(Point) -> Pos2,
) {
    let place = |q: Point| to_screen(Point::new(q.x + at.x, q.y + at.y));
    let stroke_of =
        |s: &scene::Stroke| egui::Stroke::new((s.width * zoom).max(0.6), color(s.color));
    match p {
        Prim::Rect {
            min,
            max,
            radius,
            fill,
            stroke,
        } => {
            let r = Rect::from_min_max(place(*min), place(*max));
            let fill = fill.map_or(Color32::TRANSPARENT, color);
            match stroke {
                Some(s) if s.dash == Dash::Dashed => {
                    painter.rect_filled(r, radius * zoom, fill);
                    let pts = [
                        r.left_top(),
                        r.right_top(),
                        r.right_bottom(),
                        r.left_bottom(),
                        r.left_top(),
                    ];
                    painter.extend(Shape::dashed_line(
                        &pts,
                        stroke_of(s),
                        DASH.0 * zoom,
                        DASH.1 * zoom,
                    ));
                }
                Some(s) => {
                    painter.rect(
                        r,
                        radius * zoom,
                        fill,
                        stroke_of(s),
                        egui::StrokeKind::Middle,
                    );
                }
                None => {
                    painter.rect_filled(r, radius * zoom, fill);
                }
            }
        }
        Prim::Path {
            points,
            closed,
            fill,
            stroke,
        } => {
            let pts: Vec<Pos2> = points.iter().map(|&q| place(q)).collect();
            match (closed, fill, stroke) {
                (true, Some(f), s) if s.is_none_or(|s| s.dash == Dash::Solid) => {
                    let s = s.as_ref().map_or(egui::Stroke::NONE, stroke_of);
                    painter.add(Shape::convex_polygon(pts, color(*f), s));
                }
                (_, _, Some(s)) if s.dash == Dash::Dashed => {
                    painter.extend(Shape::dashed_line(
                        &pts,
                        stroke_of(s),
                        DASH.0 * zoom,
                        DASH.1 * zoom,
                    ));
                }
                (true, _, Some(s)) => {
                    painter.add(Shape::closed_line(pts, stroke_of(s)));
                }
                (false, _, Some(s)) => {
                    painter.add(Shape::line(pts, stroke_of(s)));
                }
                _ => {}
            }
        }
        // egui's default fonts have no bold face; the SVG's bold labels are the only difference.
        Prim::Text {
            at: pos,
            text,
            size,
            color: c,
            ..
        } => {
            let px = size * zoom;
            // Unreadably small text is skipped (and costs nothing).
            if px < 4.0 {
                return;
            }
            let pos = place(*pos);
            painter.text(
                pos,
                Align2::CENTER_CENTER,
                text,
                FontId::proportional(px),
                color(*c),
            );
        }
    }
}

/// Bounding box (layout space) of absolute primitives.
fn prims_bounds(prims: &[Prim]) -> Rect {
    let mut r = Rect::NOTHING;
    for p in prims {
        match p {
            Prim::Rect { min, max, .. } => {
                r.extend_with(pos2(min.x, min.y));
                r.extend_with(pos2(max.x, max.y));
            }
            Prim::Path { points, .. } => {
                for q in points {
                    r.extend_with(pos2(q.x, q.y));
                }
            }
            Prim::Text { at, size, text, .. } => {
                let w = crate::analysis::layout::text_width(text, *size) / 2.0;
                r.extend_with(pos2(at.x - w, at.y - size));
                r.extend_with(pos2(at.x + w, at.y + size));
            }
        }
    }
    r
}

/// One call on a service edge, for the calls list.
struct Call {
    span: u32,
    trace: u32,
    trace_hex: String,
    ms: f64,
    error: bool,
}

/// The selected edge's calls (slowest first) and their latency histogram, computed once per
/// selected edge.
struct EdgeCalls {
    edge: u32,
    calls: Vec<Call>,
    /// (bin centre ms, bin width ms, count).
    bins: Vec<(f64, f64, u64)>,
}

impl EdgeCalls {
    fn new(session: &Session, edge: u32) -> Option<EdgeCalls> {
        let g = &session.analysis.services.graph;
        let w = g.edge_weight(petgraph::graph::EdgeIndex::new(edge as usize))?;
        let store = &session.store;
        let mut calls: Vec<Call> = w
            .spans
            .iter()
            .map(|&i| {
                let s = store.span(i);
                let trace = store.index.span_trace.get(i as usize).copied().unwrap_or(0);
                Call {
                    span: i,
                    trace,
                    trace_hex: trace_hex(s.trace_id),
                    ms: s.duration() as f64 / 1e6,
                    error: s.status == StatusCode::Error,
                }
            })
            .collect();
        calls.sort_by(|a, b| b.ms.total_cmp(&a.ms).then(a.span.cmp(&b.span)));
        let bins = histogram(calls.iter().map(|c| c.ms), 20);
        Some(EdgeCalls { edge, calls, bins })
    }
}

/// `count` equal-width bins from the smallest to the largest value: (centre, width, count).
fn histogram(values: impl Iterator<Item = f64> + Clone, count: usize) -> Vec<(f64, f64, u64)> {
    let (lo, hi) = values
        .clone()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return Vec::new();
    }
    let width = ((hi - lo) / count as f64).max(1e-3);
    let mut bins = vec![0u64; count];
    for v in values {
        let k = (((v - lo) / width) as usize).min(count - 1);
        bins[k] += 1;
    }
    bins.into_iter()
        .enumerate()
        .map(|(k, n)| (lo + width * (k as f64 + 0.5), width, n))
        .collect()
}

/// The `Tab::Services` view.
pub struct ServicesView {
    canvas: Canvas,
    exporter: Exporter,
    edge_calls: Option<EdgeCalls>,
    /// The chain the highlight was computed for, and the highlight.
    chain: Option<(u32, Highlight)>,
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
            edge_calls: None,
            chain: None,
        }
    }

    /// Writes this view's snapshot to `path` (what the Export menu does after its dialog).
    pub fn export_to(
        &self,
        session: &Session,
        format: Format,
        path: &Path,
    ) -> Result<(), ExportError> {
        export::export_to_file(
            &session.store,
            &session.analysis,
            ExportView::Services,
            format,
            path,
        )
    }

    /// Whether the layout is ready.
    pub fn is_laid_out(&self) -> bool {
        self.canvas.scene.is_some()
    }

    /// Screen position of node `k`'s centre in the last frame.
    pub fn node_screen_pos(&self, k: usize) -> Option<Pos2> {
        self.canvas.node_center(k).map(|p| self.canvas.to_screen(p))
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

    fn chain_highlight(session: &Session, c: u32) -> Highlight {
        let a = &session.analysis;
        let mut hl = Highlight::default();
        let Some(chain) = a.chains.get(c as usize) else {
            return hl;
        };
        let g = &a.services.graph;
        for &s in &chain.services {
            if let Some(n) = a.services.service_node(s) {
                hl.nodes.push(n.index());
            }
        }
        // Hops: consecutive steps in different services pass the first step's output type.
        for (k, pair) in chain.spans.windows(2).enumerate() {
            let (sa, sb) = (
                session.store.service_idx(pair[0]),
                session.store.service_idx(pair[1]),
            );
            if sa == sb {
                continue;
            }
            let (Some(na), Some(nb)) = (a.services.service_node(sa), a.services.service_node(sb))
            else {
                continue;
            };
            let ty = chain.types.get(k + 1).map_or("", |&t| a.types.type_name(t));
            let edge = g
                .find_edge(na, nb)
                .or_else(|| g.find_edge(nb, na))
                .map(|e| e.index());
            if let Some(e) = edge {
                hl.edges.push(e);
            }
            hl.hops.push((na.index(), nb.index(), edge, ty.to_string()));
        }
        hl
    }

    fn chain_label(session: &Session, c: usize) -> String {
        let a = &session.analysis;
        let Some(chain) = a.chains.get(c) else {
            return String::new();
        };
        let types: Vec<&str> = chain.types.iter().map(|&t| a.types.type_name(t)).collect();
        let hex = trace_hex(chain.trace_id);
        format!("{} ({}…)", types.join(" → "), hex.get(..8).unwrap_or(&hex))
    }

    fn edge_panel(&mut self, ui: &mut egui::Ui, session: &Session, edge: u32, navs: &mut Vec<Nav>) {
        if self.edge_calls.as_ref().is_none_or(|c| c.edge != edge) {
            self.edge_calls = EdgeCalls::new(session, edge);
        }
        let g = &session.analysis.services.graph;
        let idx = petgraph::graph::EdgeIndex::new(edge as usize);
        let (Some(w), Some((a, b))) = (g.edge_weight(idx), g.edge_endpoints(idx)) else {
            return;
        };
        ui.heading(format!("{} → {}", g[a].name, g[b].name));
        ui.label(format!(
            "{} · {} errors · {} broken · {} unpaired",
            plural(w.calls, "call", "calls"),
            w.errors,
            w.broken,
            w.unpaired
        ));
        ui.label(format!(
            "p50 {} · p95 {} · p99 {}",
            fmt_ms(w.p50_ms),
            fmt_ms(w.p95_ms),
            fmt_ms(w.p99_ms)
        ));
        let Some(calls) = &self.edge_calls else {
            return;
        };
        let bars: Vec<Bar> = calls
            .bins
            .iter()
            .map(|&(x, width, n)| Bar::new(x, n as f64).width(width * 0.95))
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
            plural(calls.calls.len() as u64, "call", "calls")
        ));
        let row_h = ui.text_style_height(&egui::TextStyle::Button) + 4.0;
        egui::ScrollArea::vertical()
            .id_salt("edge-calls")
            .show_rows(ui, row_h, calls.calls.len(), |ui, rows| {
                for c in calls.calls.get(rows).unwrap_or_default() {
                    let mark = if c.error { "  ✖ error" } else { "" };
                    let text = format!(
                        "{}…  {}{mark}",
                        c.trace_hex.get(..12).unwrap_or(&c.trace_hex),
                        fmt_ms(c.ms)
                    );
                    let mut rich = egui::RichText::new(text).monospace();
                    if c.error {
                        rich = rich.color(color(scene::BROKEN));
                    }
                    if ui
                        .selectable_label(false, rich)
                        .on_hover_text("open this call's trace")
                        .clicked()
                    {
                        navs.push(Nav::OpenTrace {
                            trace: c.trace,
                            focus_span: Some(c.span),
                        });
                    }
                }
            });
    }
}

impl View for ServicesView {
    fn reset(&mut self, session: &Arc<Session>) {
        self.canvas.reset(session);
        self.edge_calls = None;
        self.chain = None;
    }

    fn ui(&mut self, ui: &mut egui::Ui, session: &Arc<Session>, selection: Selection) -> Vec<Nav> {
        if self.canvas.is_stale(session) {
            self.reset(session);
        }
        let mut navs = Vec::new();
        let a = &session.analysis;
        match selection {
            Selection::Chain(c) if self.chain.as_ref().is_none_or(|(k, _)| *k != c) => {
                self.chain = Some((c, Self::chain_highlight(session, c)));
            }
            Selection::Chain(_) => {}
            _ => self.chain = None,
        }

        ui.horizontal(|ui| {
            if ui
                .button("Fit")
                .on_hover_text("fit the graph to the window (F)")
                .clicked()
            {
                self.canvas.fit_pending = true;
            }
            self.exporter
                .menu(ui, session, ExportView::Services, "services");
            ui.separator();
            let current = match selection {
                Selection::Chain(c) => Self::chain_label(session, c as usize),
                _ => format!("none ({} chains)", a.chains.len()),
            };
            egui::ComboBox::new("services-chain", "conversion chain")
                .width(360.0)
                .selected_text(current)
                .show_ui(ui, |ui| {
                    if ui
                        .selectable_label(matches!(selection, Selection::Chain(_)), "none")
                        .clicked()
                    {
                        navs.push(Nav::Select(Selection::None));
                    }
                    for c in 0..a.chains.len().min(MAX_CHAINS_LISTED) {
                        let on = selection == Selection::Chain(c as u32);
                        if ui
                            .selectable_label(on, Self::chain_label(session, c))
                            .clicked()
                        {
                            navs.push(Nav::Select(Selection::Chain(c as u32)));
                        }
                    }
                });
        });
        if !ui.ctx().egui_wants_keyboard_input() && ui.input(|i| i.key_pressed(egui::Key::F)) {
            self.canvas.fit_pending = true;
        }

        let mut hl = Highlight::default();
        match selection {
            Selection::Service(n) => hl.nodes.push(n as usize),
            Selection::ServiceEdge(e) => {
                hl.edges.push(e as usize);
                egui::Panel::right("service-edge-calls")
                    .default_size(320.0)
                    .show(ui, |ui| self.edge_panel(ui, session, e, &mut navs));
            }
            Selection::Chain(_) => {
                if let Some((_, chain)) = &self.chain {
                    hl.nodes.clone_from(&chain.nodes);
                    hl.edges.clone_from(&chain.edges);
                    hl.hops.clone_from(&chain.hops);
                }
            }
            _ => {}
        }

        let events = self.canvas.ui(ui, &hl);
        let g = &a.services.graph;
        match events.clicked {
            Some(Some(Hit::Node(k))) => navs.push(Nav::Select(Selection::Service(k as u32))),
            Some(Some(Hit::Edge(k))) => navs.push(Nav::Select(Selection::ServiceEdge(k as u32))),
            Some(None) => navs.push(Nav::Select(Selection::None)),
            None => {}
        }
        match events.hovered {
            Some(Hit::Node(k)) => {
                if let Some(n) = g.node_weight(petgraph::graph::NodeIndex::new(k)) {
                    let text = if n.is_virtual() {
                        format!("{} (not traced: named by its callers)", n.name)
                    } else {
                        format!("{}: {} spans", n.name, n.spans)
                    };
                    events.tooltip(text);
                }
            }
            Some(Hit::Edge(k)) => {
                let idx = petgraph::graph::EdgeIndex::new(k);
                if let (Some(w), Some((x, y))) = (g.edge_weight(idx), g.edge_endpoints(idx)) {
                    let text = format!(
                        "{} → {}\n{} · {}\np50 {} · p95 {} · p99 {}\n{} broken · {} unpaired\nclick for the calls",
                        g[x].name,
                        g[y].name,
                        crate::units::count(w.calls, "call"),
                        crate::units::count(w.errors, "error"),
                        fmt_ms(w.p50_ms),
                        fmt_ms(w.p95_ms),
                        fmt_ms(w.p99_ms),
                        w.broken,
                        w.unpaired
                    );
                    events.tooltip(text);
                }
            }
            None => {}
        }
        navs
    }
}

/// The `Tab::Types` view.
pub struct TypesView {
    canvas: Canvas,
    exporter: Exporter,
    /// Chains through the selected type (indexes into `analysis.chains`).
    through: Option<(u32, Vec<u32>)>,
}

impl Default for TypesView {
    fn default() -> Self {
        Self::new()
    }
}

impl TypesView {
    pub fn new() -> Self {
        TypesView {
            canvas: Canvas::new(ExportView::Types),
            exporter: Exporter::default(),
            through: None,
        }
    }

    /// Writes this view's snapshot to `path` (what the Export menu does after its dialog).
    pub fn export_to(
        &self,
        session: &Session,
        format: Format,
        path: &Path,
    ) -> Result<(), ExportError> {
        export::export_to_file(
            &session.store,
            &session.analysis,
            ExportView::Types,
            format,
            path,
        )
    }

    pub fn is_laid_out(&self) -> bool {
        self.canvas.scene.is_some()
    }

    /// Screen position of type node `k`'s centre in the last frame.
    pub fn node_screen_pos(&self, k: usize) -> Option<Pos2> {
        self.canvas.node_center(k).map(|p| self.canvas.to_screen(p))
    }

    fn chain_panel(
        &mut self,
        ui: &mut egui::Ui,
        session: &Session,
        ty: u32,
        selection: Selection,
        navs: &mut Vec<Nav>,
    ) {
        let a = &session.analysis;
        if self.through.as_ref().is_none_or(|(t, _)| *t != ty) {
            let node = petgraph::graph::NodeIndex::new(ty as usize);
            let list = (0..a.chains.len() as u32)
                .filter(|&c| a.chains[c as usize].types.contains(&node))
                .collect();
            self.through = Some((ty, list));
        }
        let Some((_, list)) = &self.through else {
            return;
        };
        ui.heading(
            a.types
                .type_name(petgraph::graph::NodeIndex::new(ty as usize)),
        );
        ui.label(format!(
            "{} through this type",
            plural(list.len() as u64, "chain", "chains")
        ));
        ui.separator();
        egui::ScrollArea::vertical()
            .id_salt("type-chains")
            .show(ui, |ui| {
                for &c in list {
                    let Some(chain) = a.chains.get(c as usize) else {
                        continue;
                    };
                    let types: Vec<&str> =
                        chain.types.iter().map(|&t| a.types.type_name(t)).collect();
                    let services: Vec<&str> = chain
                        .services
                        .iter()
                        .filter_map(|&s| session.store.index.services.get(s as usize))
                        .map(|&s| session.store.str(s))
                        .collect();
                    let text = format!("{}\n  in {}", types.join(" → "), services.join(" → "));
                    if ui
                        .selectable_label(selection == Selection::Chain(c), text)
                        .clicked()
                    {
                        navs.push(Nav::Select(Selection::Chain(c)));
                    }
                }
            });
    }
}

impl View for TypesView {
    fn reset(&mut self, session: &Arc<Session>) {
        self.canvas.reset(session);
        self.through = None;
    }

    fn ui(&mut self, ui: &mut egui::Ui, session: &Arc<Session>, selection: Selection) -> Vec<Nav> {
        if self.canvas.is_stale(session) {
            self.reset(session);
        }
        let mut navs = Vec::new();
        ui.horizontal(|ui| {
            if ui
                .button("Fit")
                .on_hover_text("fit the graph to the window (F)")
                .clicked()
            {
                self.canvas.fit_pending = true;
            }
            self.exporter.menu(ui, session, ExportView::Types, "types");
        });
        if !ui.ctx().egui_wants_keyboard_input() && ui.input(|i| i.key_pressed(egui::Key::F)) {
            self.canvas.fit_pending = true;
        }
        let a = &session.analysis;
        let mut hl = Highlight::default();
        match selection {
            Selection::Type(t) => {
                hl.nodes.push(t as usize);
                egui::Panel::right("type-chains")
                    .default_size(320.0)
                    .show(ui, |ui| {
                        self.chain_panel(ui, session, t, selection, &mut navs)
                    });
            }
            Selection::TypeEdge(e) => hl.edges.push(e as usize),
            Selection::Chain(c) => {
                if let Some(chain) = a.chains.get(c as usize) {
                    hl.nodes.extend(chain.types.iter().map(|t| t.index()));
                    for w in chain.types.windows(2) {
                        if let Some(e) = a.types.graph.find_edge(w[0], w[1]) {
                            hl.edges.push(e.index());
                        }
                    }
                }
            }
            _ => {}
        }
        let events = self.canvas.ui(ui, &hl);
        match events.clicked {
            Some(Some(Hit::Node(k))) => navs.push(Nav::Select(Selection::Type(k as u32))),
            Some(Some(Hit::Edge(k))) => navs.push(Nav::Select(Selection::TypeEdge(k as u32))),
            Some(None) => navs.push(Nav::Select(Selection::None)),
            None => {}
        }
        if let Some(Hit::Edge(k)) = events.hovered {
            let g = &a.types.graph;
            let idx = petgraph::graph::EdgeIndex::new(k);
            if let (Some(w), Some((x, y))) = (g.edge_weight(idx), g.edge_endpoints(idx)) {
                let services: Vec<&str> = w
                    .services
                    .iter()
                    .filter_map(|&s| session.store.index.services.get(s as usize))
                    .map(|&s| session.store.str(s))
                    .collect();
                let text = format!(
                    "{} → {}\n{} conversions · {} errors · {} total\nin {}",
                    g[x],
                    g[y],
                    w.count,
                    w.errors,
                    fmt_ms(w.total_ns as f64 / 1e6),
                    services.join(", ")
                );
                events.tooltip(text);
            }
        }
        navs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_bins_cover_every_value() {
        let v = [1.0, 2.0, 2.5, 10.0];
        let bins = histogram(v.iter().copied(), 3);
        // Range 1..10 in 3 bins of 3 ms: [1,4) holds 1, 2, 2.5; the maximum falls in the last.
        assert_eq!(bins.len(), 3);
        assert_eq!(bins.iter().map(|b| b.2).collect::<Vec<_>>(), [3, 0, 1]);
        assert_eq!(bins[0].0, 2.5);
        assert_eq!(bins[0].1, 3.0);
        assert!(histogram(std::iter::empty(), 5).is_empty());
        // One value: a single non-empty bin, no division by zero.
        let one = histogram([4.0].into_iter(), 4);
        assert_eq!(one.iter().map(|b| b.2).sum::<u64>(), 1);
    }
}
