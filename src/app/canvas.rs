//! The egui painter of `export::scene` (the drawing the SVG and PNG exporters write, so the
//! app and the files look alike): a pannable, zoomable canvas with draggable nodes, hit tests
//! and highlights, used by the Services and Types tabs. The layout runs once per session, on
//! a thread for large graphs.

use std::sync::Arc;

use egui::{Align2, Color32, FontId, Pos2, Rect, Sense, Shape, Vec2, pos2, vec2};

use super::state::{Selection, Session};
use super::task::{Poll, Task};
use super::theme::color;
use crate::analysis::layout::Point;
use crate::analysis::service_view::ServiceFilter;
use crate::export::scene::{self, DASH, Dash, HIGHLIGHT, Prim, Scene};
use crate::export::{self, ExportView};

/// Graphs with more nodes and edges than this are laid out on a thread (the view shows
/// "laying out…"); smaller ones take well under a millisecond.
const THREADED_LAYOUT_ITEMS: usize = 100;
const MIN_ZOOM: f32 = 0.05;
/// Text smaller than this on screen is not drawn (nor the box of an edge label).
const MIN_TEXT_PX: f32 = 5.0;
const MAX_ZOOM: f32 = 4.0;

/// What the canvas should emphasise this frame.
#[derive(Default)]
pub struct Highlight {
    pub nodes: Vec<usize>,
    pub edges: Vec<usize>,
    /// Labels along a chain: (from node, to node, edge joining them if any, text).
    pub hops: Vec<(usize, usize, Option<usize>, String)>,
}

/// What happened on the canvas this frame.
#[derive(Default)]
pub struct CanvasEvents {
    /// Some(None) = a click on the background.
    pub clicked: Option<Option<Hit>>,
    pub double_clicked: Option<Hit>,
    pub hovered: Option<Hit>,
    response: Option<egui::Response>,
}

impl CanvasEvents {
    /// What a click selects: a node or an edge, made a selection by `node` or `edge`;
    /// `Selection::None` on the background; `None` without a click.
    pub fn clicked_selection(
        &self,
        node: fn(u32) -> Selection,
        edge: fn(u32) -> Selection,
    ) -> Option<Selection> {
        Some(match self.clicked? {
            Some(Hit::Node(k)) => node(k as u32),
            Some(Hit::Edge(k)) => edge(k as u32),
            None => Selection::None,
        })
    }

    /// A tooltip at the pointer while the canvas is hovered.
    pub fn tooltip(&self, text: String) {
        if let Some(r) = &self.response {
            r.clone().on_hover_ui_at_pointer(|ui| {
                ui.label(text);
            });
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Hit {
    Node(usize),
    Edge(usize),
}

/// A pannable, zoomable drawing of a scene with draggable nodes. Positions are in layout
/// space; `screen = origin + pan + p * zoom`.
pub struct Canvas {
    view: ExportView,
    pub scene: Option<Scene>,
    /// The last scene as built (before any drag): its layout is reused when a new session
    /// draws the same graph.
    fresh: Option<Arc<Scene>>,
    /// What the Services view shows of the graph.
    filter: ServiceFilter,
    /// The session drawn (to lay out again when the filter changes).
    session: Option<Arc<Session>>,
    /// Layouts computed (not reused) since the canvas was made.
    layouts: u32,
    pending: Option<Task<Result<Scene, String>>>,
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
    pub pan: Vec2,
    pub zoom: f32,
    pub fit_pending: bool,
    /// The camera is the fitted one (no pan or zoom since): refit when the canvas resizes,
    /// e.g. when a side panel opens.
    fitted_size: Option<Vec2>,
    dragging: Option<usize>,
    /// Keep the camera for the next scene instead of fitting it.
    hold_camera: bool,
    /// Fit never zooms out below this: a long chain is shown from its start, legible, and
    /// panned, rather than shrunk until no label can be read.
    min_fit_zoom: f32,
    /// The canvas rectangle of the last frame (to map layout points for tests and tooltips).
    origin: Pos2,
}

impl Canvas {
    /// The Fit button of a topology view's toolbar; F fits too while no text field has the
    /// keyboard.
    pub fn fit_button(&mut self, ui: &mut egui::Ui) {
        let clicked = ui
            .button("Fit")
            .on_hover_text("fit the graph to the window (F)")
            .clicked();
        let key =
            !ui.ctx().egui_wants_keyboard_input() && ui.input(|i| i.key_pressed(egui::Key::F));
        if clicked || key {
            self.fit_pending = true;
        }
    }

    pub fn new(view: ExportView) -> Self {
        Canvas {
            view,
            scene: None,
            fresh: None,
            filter: ServiceFilter::default(),
            session: None,
            layouts: 0,
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
            origin: Pos2::ZERO,
            min_fit_zoom: MIN_ZOOM,
        }
    }

    /// A canvas whose fit keeps at least `zoom` (`min_fit_zoom`).
    pub fn with_min_fit_zoom(mut self, zoom: f32) -> Self {
        self.min_fit_zoom = zoom;
        self
    }

    pub fn reset(&mut self, session: &Arc<Session>) {
        // A camera the user moved stays where it is when a new (live) session arrives.
        let moved = self.scene.is_some() && self.fitted_size.is_none() && !self.fit_pending;
        let camera = (self.pan, self.zoom);
        let fresh = self.fresh.take();
        let filter = std::mem::take(&mut self.filter);
        let layouts = self.layouts;
        let min_fit_zoom = self.min_fit_zoom;
        *self = Canvas::new(self.view).with_min_fit_zoom(min_fit_zoom);
        (self.fresh, self.filter, self.layouts) = (fresh, filter, layouts);
        if moved {
            (self.pan, self.zoom) = camera;
            self.hold_camera = true;
        }
        self.session = Some(Arc::clone(session));
        self.unlaid = Some(Arc::clone(session));
    }

    /// Shows the service graph as `filter` says (Services view): laid out again when it
    /// changed, and fitted.
    pub fn set_filter(&mut self, filter: &ServiceFilter) {
        if *filter == self.filter {
            return;
        }
        self.filter = filter.clone();
        if let Some(session) = &self.session {
            self.unlaid = Some(Arc::clone(session));
            self.fit_pending = true;
        }
    }

    /// Layouts computed so far (a reused one does not count).
    pub fn layouts(&self) -> u32 {
        self.layouts
    }

    /// Why there is nothing to draw (an unknown focus, a layout thread that died).
    pub fn failure(&self) -> Option<&str> {
        self.failed.as_deref()
    }

    /// Lays out the session `reset` was given: here for small graphs, on a thread for large.
    fn start_layout(&mut self, ctx: &egui::Context) {
        let Some(session) = self.unlaid.take() else {
            return;
        };
        let items = match self.view {
            ExportView::Services => {
                let g = &session.analysis.services.graph;
                g.node_count() + g.edge_count()
            }
            _ => {
                let g = &session.analysis.types.graph;
                g.node_count() + g.edge_count()
            }
        };
        let build = {
            let (view, filter, prior) = (self.view, self.filter.clone(), self.fresh.clone());
            move |s: &Session| {
                export::scene_reusing(&s.store, &s.analysis, view, &filter, prior.as_deref())
                    .map_err(|e| e.to_string())
            }
        };
        self.failed = None;
        if items > THREADED_LAYOUT_ITEMS {
            match Task::spawn("layout", ctx, move || build(&session)) {
                Ok(task) => self.pending = Some(task),
                Err(e) => self.failed = Some(e),
            }
        } else {
            self.take_built(build(&session));
        }
    }

    fn take_built(&mut self, built: Result<Scene, String>) {
        match built {
            Ok(scene) => {
                if !scene.reused_layout {
                    self.layouts += 1;
                }
                self.fresh = Some(Arc::new(scene.clone()));
                self.set_scene(scene);
            }
            Err(e) => {
                self.scene = None;
                self.failed = Some(e);
            }
        }
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
            Poll::Ready(built) => {
                self.pending = None;
                self.take_built(built);
            }
            Poll::Lost(e) => {
                self.pending = None;
                self.failed = Some(e);
            }
        }
    }

    /// The scene node drawing graph node `source`.
    pub fn scene_node_of(&self, source: u32) -> Option<usize> {
        let scene = self.scene.as_ref()?;
        scene.nodes.iter().position(|n| n.source == Some(source))
    }

    /// The scene edge drawing graph edge `source` (alone or merged with others).
    pub fn scene_edge_of(&self, source: u32) -> Option<usize> {
        let scene = self.scene.as_ref()?;
        scene.edges.iter().position(|e| e.sources.contains(&source))
    }

    /// Whether the layout is ready.
    pub fn is_laid_out(&self) -> bool {
        self.scene.is_some()
    }

    /// Screen position of node `k`'s centre in the last frame.
    pub fn node_screen_pos(&self, k: usize) -> Option<Pos2> {
        self.node_center(k).map(|p| self.to_screen(p))
    }

    pub fn to_screen(&self, p: Point) -> Pos2 {
        self.origin + self.pan + vec2(p.x, p.y) * self.zoom
    }

    fn to_layout(&self, p: Pos2) -> Point {
        let v = (p - self.origin - self.pan) / self.zoom;
        Point::new(v.x, v.y)
    }

    pub fn node_center(&self, k: usize) -> Option<Point> {
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
            .max(self.min_fit_zoom)
            .clamp(MIN_ZOOM, 1.5);
        // Centred; a drawing larger than the canvas shows its top-left (where chains start).
        let free = rect.size() - vec2(w, h) * self.zoom;
        self.pan = vec2(free.x.max(0.0), free.y.max(0.0)) / 2.0;
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
    pub fn ui(&mut self, ui: &mut egui::Ui, hl: &Highlight) -> CanvasEvents {
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
        if response.double_clicked() {
            events.double_clicked = response.interact_pointer_pos().and_then(|p| self.hit(p));
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
        for f in &scene.frames {
            for p in &f.prims {
                paint_prim(painter, p, Point::default(), zoom, &to_screen);
            }
        }
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
                    let glow = color(HIGHLIGHT.with_alpha(70));
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
    p.draw(&mut Egui {
        painter,
        at,
        zoom,
        to_screen,
    });
}

/// The egui painter as a scene canvas, at a zoom.
struct Egui<'a, F> {
    painter: &'a egui::Painter,
    at: Point,
    zoom: f32,
    to_screen: &'a F,
}

impl<F: Fn(Point) -> Pos2> Egui<'_, F> {
    fn place(&self, q: Point) -> Pos2 {
        (self.to_screen)(Point::new(q.x + self.at.x, q.y + self.at.y))
    }

    fn stroke_of(&self, s: &scene::Stroke) -> egui::Stroke {
        egui::Stroke::new((s.width * self.zoom).max(0.6), color(s.color))
    }
}

impl<F: Fn(Point) -> Pos2> scene::Canvas for Egui<'_, F> {
    fn rect(&mut self, min: Point, max: Point, radius: f32, p: scene::Paint) {
        let (painter, zoom) = (self.painter, self.zoom);
        let r = Rect::from_min_max(self.place(min), self.place(max));
        let fill = p.fill.map_or(Color32::TRANSPARENT, color);
        match p.stroke {
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
                    self.stroke_of(&s),
                    DASH.0 * zoom,
                    DASH.1 * zoom,
                ));
            }
            Some(s) => {
                painter.rect(
                    r,
                    radius * zoom,
                    fill,
                    self.stroke_of(&s),
                    egui::StrokeKind::Middle,
                );
            }
            None => {
                painter.rect_filled(r, radius * zoom, fill);
            }
        }
    }

    fn path(&mut self, points: &[Point], closed: bool, p: scene::Paint) {
        let (painter, zoom) = (self.painter, self.zoom);
        let pts: Vec<Pos2> = points.iter().map(|&q| self.place(q)).collect();
        match (closed, p.fill, p.stroke) {
            (true, Some(f), s) if s.is_none_or(|s| s.dash == Dash::Solid) => {
                let s = s.as_ref().map_or(egui::Stroke::NONE, |s| self.stroke_of(s));
                painter.add(Shape::convex_polygon(pts, color(f), s));
            }
            (_, _, Some(s)) if s.dash == Dash::Dashed => {
                painter.extend(Shape::dashed_line(
                    &pts,
                    self.stroke_of(&s),
                    DASH.0 * zoom,
                    DASH.1 * zoom,
                ));
            }
            (true, _, Some(s)) => {
                painter.add(Shape::closed_line(pts, self.stroke_of(&s)));
            }
            (false, _, Some(s)) => {
                painter.add(Shape::line(pts, self.stroke_of(&s)));
            }
            _ => {}
        }
    }

    /// egui's default fonts have no bold face; the SVG's bold labels are the only difference.
    fn text(&mut self, at: Point, text: &str, size: f32, c: scene::Rgba, _bold: bool) {
        // Unreadably small text is skipped (and costs nothing).
        if self.draws_text(size) {
            self.painter.text(
                self.place(at),
                Align2::CENTER_CENTER,
                text,
                FontId::proportional(size * self.zoom),
                color(c),
            );
        }
    }

    /// Text smaller than MIN_TEXT_PX on screen cannot be read.
    fn draws_text(&self, size: f32) -> bool {
        size * self.zoom >= MIN_TEXT_PX
    }
}

/// Bounding box (layout space) of absolute primitives.
fn prims_bounds(prims: &[Prim]) -> Rect {
    let mut r = Rect::NOTHING;
    for p in prims {
        match p {
            Prim::Rect { min, max, .. } | Prim::Label { min, max, .. } => {
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
