//! The drawing of a topology view as plain primitives (rounded boxes, paths, text): built once
//! from the layout, then painted by the egui views and written by the SVG exporter, so a
//! snapshot looks exactly like the app. Knows nothing of egui.

use petgraph::visit::EdgeRef;

use crate::analysis::Analysis;
use crate::analysis::layout::{self, Layout, LayoutOptions, Point, Size, text_width};
use crate::analysis::peer::PeerKind;
use crate::analysis::service_view::ServiceView;
use crate::analysis::services::NodeKind;
use crate::analysis::span_graph::{SpanEdge, span_graph};
use crate::model::ids::span_hex;
use crate::model::{StatusCode, Store, TraceInfo};

/// A colour with alpha.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgba {
    pub r: u8,
    pub g: u8,
    pub b: u8,
    pub a: u8,
}

impl Rgba {
    pub const fn rgb(r: u8, g: u8, b: u8) -> Self {
        Rgba { r, g, b, a: 255 }
    }
    pub const fn with_alpha(self, a: u8) -> Self {
        Rgba { a, ..self }
    }
    /// `#rrggbb` (alpha is written separately as an opacity).
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.r, self.g, self.b)
    }
}

/// The canvas behind every topology drawing (light in both themes, like paper, so the app and
/// the exported files share one palette).
pub const BACKGROUND: Rgba = Rgba::rgb(0xf8, 0xfa, 0xfc);
pub const TEXT: Rgba = Rgba::rgb(0x1f, 0x29, 0x37);
pub const MUTED_TEXT: Rgba = Rgba::rgb(0x4b, 0x55, 0x63);
pub const EDGE: Rgba = Rgba::rgb(0x6b, 0x72, 0x80);
pub const ERROR_EDGE: Rgba = Rgba::rgb(0xd9, 0x77, 0x06);
pub const BROKEN: Rgba = Rgba::rgb(0xdc, 0x26, 0x26);
pub const UNPAIRED: Rgba = Rgba::rgb(0x9c, 0xa3, 0xaf);
/// Calls made by span links (asynchronous, the context carried by a link), and the flame
/// chart's link joints.
pub const LINKED: Rgba = Rgba::rgb(0x0d, 0x94, 0x88);
/// Selection and chain highlights (drawn by the app only).
pub const HIGHLIGHT: Rgba = Rgba::rgb(0x25, 0x63, 0xeb);
const PEER_FILL: Rgba = Rgba::rgb(0xee, 0xf2, 0xf7);
const PEER_STROKE: Rgba = Rgba::rgb(0x64, 0x74, 0x8b);
const TYPE_FILL: Rgba = Rgba::rgb(0xf5, 0xf3, 0xff);
const TYPE_STROKE: Rgba = Rgba::rgb(0x7c, 0x3a, 0xed);
const LABEL_BG: Rgba = Rgba::rgb(0xff, 0xff, 0xff).with_alpha(230);

/// Service colours: distinct hues, dark enough for a border, tinted for a fill.
const PALETTE: [Rgba; 12] = [
    Rgba::rgb(0x25, 0x63, 0xeb),
    Rgba::rgb(0x05, 0x96, 0x69),
    Rgba::rgb(0xd9, 0x46, 0xef),
    Rgba::rgb(0xea, 0x58, 0x0c),
    Rgba::rgb(0x08, 0x91, 0xb2),
    Rgba::rgb(0x65, 0xa3, 0x0d),
    Rgba::rgb(0x7c, 0x3a, 0xed),
    Rgba::rgb(0xdb, 0x27, 0x77),
    Rgba::rgb(0xca, 0x8a, 0x04),
    Rgba::rgb(0x0d, 0x94, 0x88),
    Rgba::rgb(0x4f, 0x46, 0xe5),
    Rgba::rgb(0x9f, 0x12, 0x39),
];

/// The colour of a service, stable across sessions (a hash of its name picks the hue).
pub fn service_color(name: &str) -> Rgba {
    // FNV-1a: stable across runs and platforms, unlike the std hasher.
    let h = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    PALETTE[(h % PALETTE.len() as u64) as usize]
}

/// A light tint of `c` (mixed with white), for box fills.
pub fn tint(c: Rgba) -> Rgba {
    let mix = |v: u8| (u16::from(v) + 6 * 255).div_ceil(7) as u8;
    Rgba::rgb(mix(c.r), mix(c.g), mix(c.b))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dash {
    Solid,
    Dashed,
}

/// Dash pattern (drawn length, gap), shared by egui and SVG.
pub const DASH: (f32, f32) = (6.0, 4.0);

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stroke {
    pub color: Rgba,
    pub width: f32,
    pub dash: Dash,
}

impl Stroke {
    pub const fn solid(color: Rgba, width: f32) -> Self {
        Stroke {
            color,
            width,
            dash: Dash::Solid,
        }
    }
}

/// One drawing primitive.
#[derive(Debug, Clone, PartialEq)]
pub enum Prim {
    Rect {
        min: Point,
        max: Point,
        radius: f32,
        fill: Option<Rgba>,
        stroke: Option<Stroke>,
    },
    /// A polyline; when `closed` it is a convex polygon and may be filled.
    Path {
        points: Vec<Point>,
        closed: bool,
        fill: Option<Rgba>,
        stroke: Option<Stroke>,
    },
    /// One line of text centred on `at`.
    Text {
        at: Point,
        text: String,
        size: f32,
        color: Rgba,
        bold: bool,
    },
    /// Lines of text on a box (an edge's figures, a group's name): painted as one, so a
    /// painter that skips text too small to read skips the box too (no empty boxes).
    Label {
        min: Point,
        max: Point,
        fill: Rgba,
        lines: Vec<String>,
        size: f32,
        color: Rgba,
    },
}

/// How a box or a path is painted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Paint {
    pub fill: Option<Rgba>,
    pub stroke: Option<Stroke>,
}

/// What draws primitives: the app's egui painter and the SVG writer. A label is drawn as its
/// box and its lines (`Prim::draw`), so a canvas draws only boxes, paths and text.
pub trait Canvas {
    fn rect(&mut self, min: Point, max: Point, radius: f32, paint: Paint);
    fn path(&mut self, points: &[Point], closed: bool, paint: Paint);
    /// One line of `text` centred on `at`.
    fn text(&mut self, at: Point, text: &str, size: f32, color: Rgba, bold: bool);
    /// Whether text of `size` is drawn at all: a label whose text is not is left out whole,
    /// never drawn as an empty box.
    fn draws_text(&self, _size: f32) -> bool {
        true
    }
}

impl Prim {
    /// Draws this primitive on `canvas`.
    pub fn draw(&self, canvas: &mut impl Canvas) {
        match self {
            Prim::Rect {
                min,
                max,
                radius,
                fill,
                stroke,
            } => canvas.rect(
                *min,
                *max,
                *radius,
                Paint {
                    fill: *fill,
                    stroke: *stroke,
                },
            ),
            Prim::Path {
                points,
                closed,
                fill,
                stroke,
            } => canvas.path(
                points,
                *closed,
                Paint {
                    fill: *fill,
                    stroke: *stroke,
                },
            ),
            Prim::Text {
                at,
                text,
                size,
                color,
                bold,
            } => canvas.text(*at, text, *size, *color, *bold),
            Prim::Label {
                min,
                max,
                fill,
                lines,
                size,
                color,
            } => {
                if !canvas.draws_text(*size) {
                    return;
                }
                let paint = Paint {
                    fill: Some(*fill),
                    stroke: None,
                };
                canvas.rect(*min, *max, 3.0, paint);
                let centres = Prim::label_line_centres(*min, *max, lines.len(), *size);
                for (line, at) in lines.iter().zip(centres) {
                    canvas.text(at, line, *size, *color, false);
                }
            }
        }
    }

    /// The centres of a label's lines (`line_h` apart, the block centred in the box).
    pub fn label_line_centres(min: Point, max: Point, lines: usize, size: f32) -> Vec<Point> {
        let line_h = size + 3.0;
        let top = (min.y + max.y) / 2.0 - line_h * lines as f32 / 2.0;
        let x = (min.x + max.x) / 2.0;
        (0..lines)
            .map(|k| Point::new(x, top + line_h * (k as f32 + 0.5)))
            .collect()
    }
}

/// What a node looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Service,
    Database,
    Queue,
    External,
    Type,
    Span,
    /// A collapsed group of services (a namespace).
    Group,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SceneNode {
    /// Unique id of the node in this scene (service or type name, span id): DOT ids.
    pub key: String,
    pub label: String,
    /// The second line (span count, peer kind, service of a span); may be empty.
    pub sub: String,
    pub shape: Shape,
    /// The graph node it draws (none for a collapsed group).
    pub source: Option<u32>,
    /// Relative to the node's centre (`layout.nodes[k]`), so a dragged node moves as a whole.
    pub prims: Vec<Prim>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SceneEdge {
    pub from: u32,
    pub to: u32,
    /// The graph edges it draws (several when grouping merged them).
    pub sources: Vec<u32>,
    /// Label lines.
    pub label: Vec<String>,
    pub stroke: Stroke,
    /// The flattened curve from the source box to the arrow's base, in layout space.
    pub path: Vec<Point>,
    /// Line, arrow head and label (when there was room for it), in layout space.
    pub prims: Vec<Prim>,
    /// Where the label was placed (min, max), `None` when it is hidden for want of room
    /// (its figures are on hover).
    pub label_box: Option<(Point, Point)>,
}

/// A box around the services of one expanded group in one column, named on its top edge.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub group: String,
    pub min: Point,
    pub max: Point,
    pub prims: Vec<Prim>,
    /// The name tag on its top edge.
    pub label_box: (Point, Point),
}

/// A whole drawing: nodes and edges index like the graph's nodes and edges.
#[derive(Debug, Clone, PartialEq)]
pub struct Scene {
    pub title: String,
    pub layout: Layout,
    pub nodes: Vec<SceneNode>,
    pub edges: Vec<SceneEdge>,
    /// Expanded groups (drawn under everything else).
    pub frames: Vec<Frame>,
    /// The layout was taken from an earlier scene of the same graph (not computed again).
    pub reused_layout: bool,
}

const LABEL_PX: f32 = 14.0;
const SUB_PX: f32 = 11.0;
const EDGE_PX: f32 = 11.0;
const ARROW_LEN: f32 = 9.0;
const ARROW_HALF: f32 = 4.5;

/// A node's box size from its label lines (and room for a shape glyph on the left).
fn node_size(label: &str, sub: &str, glyph: bool) -> Size {
    // Labels are bold in SVG, about an eighth wider than regular text.
    let text = text_width(label, LABEL_PX * 1.12).max(text_width(sub, SUB_PX));
    let extra = if glyph { 30.0 } else { 0.0 };
    Size {
        w: (text + 28.0 + extra).max(72.0),
        h: if sub.is_empty() { 32.0 } else { 46.0 },
    }
}

/// Label text cut to `max` characters (with an ellipsis) so one odd name cannot widen a column
/// across the whole drawing.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

struct NodeSpec {
    key: String,
    label: String,
    sub: String,
    shape: Shape,
    fill: Rgba,
    stroke: Stroke,
    source: Option<u32>,
    /// The expanded group it is drawn in (kept together in its column, framed).
    cluster: Option<String>,
}

struct EdgeSpec {
    label: Vec<String>,
    stroke: Stroke,
    sources: Vec<u32>,
    /// Labels are placed in this order (lowest first) while there is room.
    rank: (u8, u8, u8, u64),
}

/// Node labels longer than this are cut with `…` (the full name is on hover), so one long
/// name cannot widen a column across the whole drawing.
pub const NODE_LABEL_CHARS: usize = 40;
/// The same for type names in the Types view.
pub const TYPE_LABEL_CHARS: usize = 32;

impl Scene {
    /// The service graph (spec §4.1) as `view` shows it (`analysis::service_view`: focused,
    /// filtered, grouped): services as boxes, virtual peers as their kind, collapsed groups as
    /// double boxes, edges labelled with calls, errors and p99; broken edges red dashed,
    /// unpaired grey dashed, edges with calls made by span links (asynchronous) teal dashed.
    pub fn services(analysis: &Analysis, view: &ServiceView) -> Scene {
        Self::services_reusing(analysis, view, None)
    }

    /// `services`, keeping `prior`'s layout when it drew the same graph (same nodes and edges,
    /// boxes no wider): a live snapshot that adds nothing new is not laid out again.
    pub fn services_reusing(
        analysis: &Analysis,
        view: &ServiceView,
        prior: Option<&Scene>,
    ) -> Scene {
        let g = &analysis.services.graph;
        let nodes = view.nodes.iter().filter_map(|v| {
            let Some(m) = v.node() else {
                let name = v.group.clone().unwrap_or_default();
                let c = service_color(&name);
                let mut sub = plural(v.members.len() as u64, "service", "services");
                if v.inner_calls > 0 {
                    sub.push_str(" · ");
                    sub.push_str(&plural(v.inner_calls, "call", "calls"));
                    sub.push_str(" inside");
                }
                return Some(NodeSpec {
                    key: format!("{name}/*"),
                    label: clip(&name, NODE_LABEL_CHARS),
                    sub,
                    shape: Shape::Group,
                    fill: tint(c),
                    stroke: Stroke::solid(c, 2.5),
                    source: None,
                    cluster: None,
                });
            };
            let n = g.node_weight(petgraph::graph::NodeIndex::new(m as usize))?;
            let (shape, sub, fill, stroke) = match n.kind {
                NodeKind::Service(_) => {
                    let c = service_color(&n.name);
                    let sub = plural(n.spans, "span", "spans");
                    (Shape::Service, sub, tint(c), Stroke::solid(c, 1.5))
                }
                NodeKind::Virtual(kind) => {
                    let (shape, sub) = match kind {
                        PeerKind::Database => (Shape::Database, "database"),
                        PeerKind::Queue => (Shape::Queue, "queue"),
                        PeerKind::External => (Shape::External, "external"),
                        PeerKind::Service => (Shape::External, "untraced service"),
                    };
                    let stroke = Stroke {
                        color: PEER_STROKE,
                        width: 1.3,
                        dash: Dash::Solid,
                    };
                    (shape, sub.to_string(), PEER_FILL, stroke)
                }
            };
            Some(NodeSpec {
                key: n.name.clone(),
                label: clip(&n.name, NODE_LABEL_CHARS),
                sub,
                shape,
                fill,
                stroke,
                source: Some(m),
                cluster: v.group.clone(),
            })
        });
        let edges = view.edges.iter().map(|e| {
            let mut first = plural(e.calls, "call", "calls");
            // Merged edges show the highest p99 of those they merge.
            first.push_str(if e.edges.len() > 1 {
                " · p99 ≤ "
            } else {
                " · p99 "
            });
            first.push_str(&crate::units::latency_ms(e.p99_ms));
            let mut second = Vec::new();
            if e.errors > 0 {
                second.push(plural(e.errors, "error", "errors"));
            }
            if e.broken > 0 {
                second.push(format!("{} broken", e.broken));
            }
            if e.unpaired > 0 {
                second.push(format!("{} unpaired", e.unpaired));
            }
            if e.linked > 0 {
                second.push(format!("{} linked", e.linked));
            }
            let mut label = vec![first];
            if !second.is_empty() {
                label.push(second.join(" · "));
            }
            // Thicker with more calls, so the main paths stand out.
            let width = (1.2 + (e.calls as f32).log10() * 0.8).min(4.0);
            let stroke = if e.broken > 0 {
                Stroke {
                    color: BROKEN,
                    width: width.max(2.0),
                    dash: Dash::Dashed,
                }
            } else if e.unpaired > 0 {
                Stroke {
                    color: if e.errors > 0 { ERROR_EDGE } else { UNPAIRED },
                    width,
                    dash: Dash::Dashed,
                }
            } else if e.linked > 0 {
                Stroke {
                    color: if e.errors > 0 { ERROR_EDGE } else { LINKED },
                    width,
                    dash: Dash::Dashed,
                }
            } else if e.errors > 0 {
                Stroke::solid(ERROR_EDGE, width)
            } else {
                Stroke::solid(EDGE, width)
            };
            // Problems first, then the busiest: they get the room for their labels.
            let rank = (
                u8::from(e.broken == 0),
                u8::from(e.unpaired == 0),
                u8::from(e.errors == 0),
                u64::MAX - e.calls,
            );
            EdgeSpec {
                label,
                stroke,
                sources: e.edges.clone(),
                rank,
            }
        });
        let ends = view.edges.iter().map(|e| (e.from, e.to));
        build(
            "Services",
            nodes.collect(),
            edges.collect(),
            ends.collect(),
            170.0,
            prior,
        )
    }

    /// The type-flow graph (spec §4.2): types as boxes, one edge per conversion labelled with
    /// its count, failing conversions red.
    pub fn types(store: &Store, analysis: &Analysis) -> Scene {
        Self::types_reusing(store, analysis, None)
    }

    /// `types`, keeping `prior`'s layout as `services_reusing` does.
    pub fn types_reusing(store: &Store, analysis: &Analysis, prior: Option<&Scene>) -> Scene {
        let g = &analysis.types.graph;
        let nodes = g.node_indices().map(|n| NodeSpec {
            key: g[n].clone(),
            // Long Go type names (generics, package paths) are cut: a chain of them would
            // widen every column and shrink the whole drawing; the full name is on hover.
            label: clip(&g[n], TYPE_LABEL_CHARS),
            sub: String::new(),
            shape: Shape::Type,
            fill: TYPE_FILL,
            stroke: Stroke::solid(TYPE_STROKE, 1.3),
            source: Some(n.index() as u32),
            cluster: None,
        });
        let edges = g.edge_references().map(|r| {
            let e = r.weight();
            let mut first = format!("×{}", e.count);
            if e.errors > 0 {
                first.push_str(" · ");
                first.push_str(&plural(e.errors, "error", "errors"));
            }
            let services: Vec<&str> = e
                .services
                .iter()
                .filter_map(|&s| store.index.services.get(s as usize))
                .map(|&sym| store.str(sym))
                .collect();
            let mut label = vec![first];
            if !services.is_empty() {
                label.push(clip(&services.join(", "), 28));
            }
            let color = if e.errors > 0 { BROKEN } else { EDGE };
            let width = (1.2 + (e.count as f32).log10() * 0.8).min(4.0);
            EdgeSpec {
                label,
                stroke: Stroke::solid(color, width),
                sources: vec![r.id().index() as u32],
                rank: (u8::from(e.errors == 0), 1, 1, u64::MAX - e.count),
            }
        });
        let ends = g
            .edge_references()
            .map(|e| (e.source().index() as u32, e.target().index() as u32));
        build(
            "Types",
            nodes.collect(),
            edges.collect(),
            ends.collect(),
            110.0,
            prior,
        )
    }

    /// The span graph of a trace (spec §4.4): spans coloured by service, edges labelled by
    /// how control moved, links dashed.
    pub fn trace(store: &Store, info: &TraceInfo) -> Scene {
        let g = span_graph(store, info);
        let mut seen: rustc_hash::FxHashMap<u64, u32> = Default::default();
        let nodes = g.node_indices().map(|n| {
            let i = g[n];
            let s = store.span(i);
            let service = store.service_name(i);
            let c = service_color(service);
            let copies = seen.entry(s.span_id).or_insert(0);
            *copies += 1;
            // A duplicate span id still needs a unique key.
            let key = match *copies {
                1 => span_hex(s.span_id),
                k => format!("{}#{k}", span_hex(s.span_id)),
            };
            let width = if s.status == StatusCode::Error {
                2.5
            } else {
                1.5
            };
            let border = if s.status == StatusCode::Error {
                BROKEN
            } else {
                c
            };
            NodeSpec {
                key,
                label: clip(store.str(s.name), 40),
                sub: clip(service, 40),
                shape: Shape::Span,
                fill: tint(c),
                stroke: Stroke::solid(border, width),
                source: Some(n.index() as u32),
                cluster: None,
            }
        });
        let nodes: Vec<NodeSpec> = nodes.collect();
        let edges = g.edge_references().map(|r| {
            let k = *r.weight();
            let name = match k {
                SpanEdge::SameGoroutine => "same_goroutine",
                SpanEdge::GoroutineHop => "goroutine_hop",
                SpanEdge::ProcessHop => "process_hop",
                SpanEdge::Link => "link",
            };
            let stroke = match k {
                SpanEdge::SameGoroutine => Stroke::solid(UNPAIRED, 1.3),
                SpanEdge::GoroutineHop => Stroke::solid(ERROR_EDGE, 1.8),
                SpanEdge::ProcessHop => Stroke::solid(EDGE, 1.8),
                SpanEdge::Link => Stroke {
                    color: TYPE_STROKE,
                    width: 1.5,
                    dash: Dash::Dashed,
                },
            };
            EdgeSpec {
                label: vec![name.to_string()],
                stroke,
                sources: vec![r.id().index() as u32],
                rank: (u8::from(k != SpanEdge::GoroutineHop), 1, 1, 0),
            }
        });
        let ends = g
            .edge_references()
            .map(|e| (e.source().index() as u32, e.target().index() as u32));
        let title = format!("Trace {}", crate::model::ids::trace_hex(info.id));
        build(&title, nodes, edges.collect(), ends.collect(), 120.0, None)
    }

    /// Re-routes edge `k` after its end nodes moved by `from_shift` and `to_shift` (a node
    /// dragged in the app): the ends follow their boxes, bend points stay, the label moves by
    /// the mean of the two shifts.
    pub fn reroute(&mut self, k: usize, from_shift: Point, to_shift: Point) {
        let (Some(route), Some(edge)) = (self.layout.edges.get(k), self.edges.get_mut(k)) else {
            return;
        };
        let mut points = route.points.clone();
        let last = points.len().saturating_sub(1);
        for (i, p) in points.iter_mut().enumerate() {
            let shift = if route.self_loop || i == 0 {
                from_shift
            } else if i == last {
                to_shift
            } else {
                continue;
            };
            p.x += shift.x;
            p.y += shift.y;
        }
        let (path, mut prims) = edge_drawing(route, &points, edge.stroke);
        let mid = Point::new(
            (from_shift.x + to_shift.x) / 2.0,
            (from_shift.y + to_shift.y) / 2.0,
        );
        if let Some((min, max)) = edge.label_box {
            let moved = |p: Point| Point::new(p.x + mid.x, p.y + mid.y);
            prims.push(label_prim(
                moved(min),
                moved(max),
                &edge.label,
                edge_text_color(edge.stroke),
            ));
        }
        edge.path = path;
        edge.prims = prims;
    }

    /// Every placed label's box: edge labels and group frames' name tags (for overlap tests
    /// and hit tests).
    pub fn label_boxes(&self) -> impl Iterator<Item = (Point, Point)> + '_ {
        self.edges
            .iter()
            .filter_map(|e| e.label_box)
            .chain(self.frames.iter().map(|f| f.label_box))
    }

    /// Every node's box, in layout space.
    pub fn node_boxes(&self) -> impl Iterator<Item = (Point, Point)> + '_ {
        self.layout.nodes.iter().map(|n| {
            (
                Point::new(n.left(), n.top()),
                Point::new(n.right(), n.bottom()),
            )
        })
    }

    /// The node under layout point `p` (topmost box first), if any.
    pub fn node_at(&self, p: Point, shift: impl Fn(usize) -> Point) -> Option<usize> {
        self.layout
            .nodes
            .iter()
            .enumerate()
            .rev()
            .find_map(|(k, n)| {
                let s = shift(k);
                let (dx, dy) = ((p.x - n.x - s.x).abs(), (p.y - n.y - s.y).abs());
                (dx <= n.w / 2.0 && dy <= n.h / 2.0).then_some(k)
            })
    }

    /// The edge whose line passes within `tolerance` of `p`, the nearest one.
    pub fn edge_at(&self, p: Point, tolerance: f32) -> Option<usize> {
        let mut best = None;
        let mut best_d = tolerance;
        for (k, e) in self.edges.iter().enumerate() {
            for w in e.path.windows(2) {
                let d = segment_distance(p, w[0], w[1]);
                if d <= best_d {
                    best_d = d;
                    best = Some(k);
                }
            }
        }
        best
    }
}

/// Distance from `p` to the segment `a`–`b`.
pub fn segment_distance(p: Point, a: Point, b: Point) -> f32 {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p.x - a.x) * dx + (p.y - a.y) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (cx, cy) = (a.x + t * dx, a.y + t * dy);
    ((p.x - cx).powi(2) + (p.y - cy).powi(2)).sqrt()
}

fn build(
    title: &str,
    nodes: Vec<NodeSpec>,
    edges: Vec<EdgeSpec>,
    ends: Vec<(u32, u32)>,
    layer_gap: f32,
    prior: Option<&Scene>,
) -> Scene {
    let mut sizes: Vec<Size> = nodes
        .iter()
        .map(|n| {
            node_size(
                &n.label,
                &n.sub,
                matches!(n.shape, Shape::Database | Shape::Queue | Shape::External),
            )
        })
        .collect();
    // Members of one expanded group share a cluster number (kept together in each column).
    let mut names: Vec<&str> = nodes.iter().filter_map(|n| n.cluster.as_deref()).collect();
    names.sort_unstable();
    names.dedup();
    let clusters: Vec<u32> = nodes
        .iter()
        .map(|n| {
            n.cluster
                .as_deref()
                .and_then(|c| names.binary_search(&c).ok())
                .map_or(layout::NO_CLUSTER, |k| k as u32)
        })
        .collect();
    let opts = LayoutOptions {
        layer_gap,
        ..LayoutOptions::default()
    };
    let same_graph = |p: &&Scene| {
        p.nodes.len() == nodes.len()
            && p.edges.len() == ends.len()
            && p.nodes.iter().zip(&nodes).all(|(a, b)| a.key == b.key)
            && p.edges
                .iter()
                .zip(&ends)
                .all(|(e, &(from, to))| (e.from, e.to) == (from, to))
            && p.layout
                .nodes
                .iter()
                .zip(&sizes)
                .all(|(old, new)| new.w <= old.w && new.h == old.h)
            && p.frames.is_empty() == clusters.iter().all(|&c| c == layout::NO_CLUSTER)
    };
    let reused = prior.filter(same_graph);
    let layout = match reused {
        Some(p) => {
            // The old boxes (each at least as wide as the new one needs).
            for (s, n) in sizes.iter_mut().zip(&p.layout.nodes) {
                s.w = n.w;
            }
            p.layout.clone()
        }
        None => layout::Graph {
            sizes: &sizes,
            edges: &ends,
            cluster: &clusters,
        }
        .layout(&opts),
    };
    // On a circle a group's members are one arc (and their names say the group): frames
    // are for columns.
    let circle = layout.edges.iter().any(|r| r.bundled);
    let frames = if circle {
        Vec::new()
    } else {
        frames(&layout, &clusters, &names)
    };
    let scene_nodes = nodes
        .into_iter()
        .zip(&sizes)
        .map(|(n, s)| SceneNode {
            prims: node_prims(&n, *s),
            key: n.key,
            label: n.label,
            sub: n.sub,
            shape: n.shape,
            source: n.source,
        })
        .collect();
    let mut scene_edges: Vec<SceneEdge> = edges
        .iter()
        .zip(&ends)
        .zip(&layout.edges)
        .map(|((e, &(from, to)), route)| {
            let (path, prims) = edge_drawing(route, &route.points, e.stroke);
            SceneEdge {
                from,
                to,
                sources: e.sources.clone(),
                label: e.label.clone(),
                stroke: e.stroke,
                path,
                prims,
                label_box: None,
            }
        })
        .collect();
    // In a dense (circular) drawing only edges with a problem are labelled: a label on each of
    // a hundred chords through the middle hides the chords; the rest are on hover.
    let dense = circle;
    let ranks: Vec<_> = edges
        .iter()
        .map(|e| (!dense || e.rank.0 + e.rank.1 + e.rank.2 < 3).then_some(e.rank))
        .collect();
    place_labels(&layout, &frames, &mut scene_edges, &ranks);
    Scene {
        title: title.to_string(),
        layout,
        nodes: scene_nodes,
        edges: scene_edges,
        frames,
        reused_layout: reused.is_some(),
    }
}

/// Padding of a group frame around its boxes, and the height of its name tag.
const FRAME_PAD: f32 = 8.0;
const FRAME_TAG_H: f32 = 15.0;
const FRAME_TAG_PX: f32 = 11.0;

/// A frame per run of one cluster's boxes in a column (the layout keeps each run together).
fn frames(layout: &Layout, clusters: &[u32], names: &[&str]) -> Vec<Frame> {
    let mut runs: Vec<(u32, u32, u32)> = layout
        .nodes
        .iter()
        .zip(clusters)
        .enumerate()
        .filter(|(_, (_, c))| **c != layout::NO_CLUSTER)
        .map(|(k, (n, &c))| (c, n.layer, k as u32))
        .collect();
    runs.sort_unstable();
    runs.chunk_by(|a, b| a.0 == b.0 && a.1 == b.1)
        .map(|run| {
            let mut min = Point::new(f32::INFINITY, f32::INFINITY);
            let mut max = Point::new(f32::NEG_INFINITY, f32::NEG_INFINITY);
            for &(_, _, k) in run {
                let n = &layout.nodes[k as usize];
                min = Point::new(min.x.min(n.left()), min.y.min(n.top()));
                max = Point::new(max.x.max(n.right()), max.y.max(n.bottom()));
            }
            let group = names.get(run[0].0 as usize).copied().unwrap_or_default();
            let min = Point::new(min.x - FRAME_PAD, min.y - FRAME_PAD - FRAME_TAG_H / 2.0);
            let max = Point::new(max.x + FRAME_PAD, max.y + FRAME_PAD);
            let c = service_color(group);
            let tag = clip(group, NODE_LABEL_CHARS);
            let w = (text_width(&tag, FRAME_TAG_PX) + 10.0).min(max.x - min.x);
            let tag_min = Point::new(min.x + 6.0, min.y - FRAME_TAG_H / 2.0);
            let tag_max = Point::new(tag_min.x + w, min.y + FRAME_TAG_H / 2.0);
            let prims = vec![
                Prim::Rect {
                    min,
                    max,
                    radius: 10.0,
                    fill: Some(tint(c).with_alpha(150)),
                    stroke: Some(Stroke {
                        color: c,
                        width: 1.2,
                        dash: Dash::Dashed,
                    }),
                },
                Prim::Label {
                    min: tag_min,
                    max: tag_max,
                    fill: tint(c),
                    lines: vec![tag],
                    size: FRAME_TAG_PX,
                    color: c,
                },
            ];
            Frame {
                group: group.to_string(),
                min,
                max,
                prims,
                label_box: (tag_min, tag_max),
            }
        })
        .collect()
}

/// Grid cells for label placement, in layout px.
const CELL: f32 = 64.0;
/// Room kept between a label and anything else.
const LABEL_CLEAR: f32 = 2.0;
/// Where along an edge's path (a fraction of its length) a label may go, best first.
const LABEL_SPOTS: [f32; 9] = [0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8, 0.12, 0.88];

/// Boxes already taken, bucketed by grid cell so a query looks at its neighbourhood only.
struct Taken {
    cells: rustc_hash::FxHashMap<(i32, i32), Vec<(Point, Point)>>,
}

impl Taken {
    fn cells_of(min: Point, max: Point) -> impl Iterator<Item = (i32, i32)> {
        let (x0, y0) = ((min.x / CELL).floor() as i32, (min.y / CELL).floor() as i32);
        let (x1, y1) = ((max.x / CELL).floor() as i32, (max.y / CELL).floor() as i32);
        (x0..=x1).flat_map(move |x| (y0..=y1).map(move |y| (x, y)))
    }

    fn add(&mut self, min: Point, max: Point) {
        for c in Self::cells_of(min, max) {
            self.cells.entry(c).or_default().push((min, max));
        }
    }

    fn free(&self, min: Point, max: Point) -> bool {
        let (a, b) = (
            Point::new(min.x - LABEL_CLEAR, min.y - LABEL_CLEAR),
            Point::new(max.x + LABEL_CLEAR, max.y + LABEL_CLEAR),
        );
        Self::cells_of(a, b).all(|c| {
            self.cells.get(&c).is_none_or(|list| {
                list.iter()
                    .all(|&(p, q)| q.x <= a.x || p.x >= b.x || q.y <= a.y || p.y >= b.y)
            })
        })
    }
}

/// Places edge labels, best ranked first, each at the first spot along its path where its
/// box overlaps no node, frame tag or label placed before; a label with no such spot is
/// hidden (its figures are on hover). O(edges × spots × labels nearby).
/// Edges ranked `None` get no label.
fn place_labels(
    layout: &Layout,
    frames: &[Frame],
    edges: &mut [SceneEdge],
    ranks: &[Option<(u8, u8, u8, u64)>],
) {
    let mut taken = Taken {
        cells: Default::default(),
    };
    for n in &layout.nodes {
        taken.add(
            Point::new(n.left(), n.top()),
            Point::new(n.right(), n.bottom()),
        );
    }
    for f in frames {
        taken.add(f.label_box.0, f.label_box.1);
    }
    let mut order: Vec<usize> = (0..edges.len())
        .filter(|&k| ranks.get(k).is_some_and(Option::is_some))
        .collect();
    order.sort_by_key(|&k| (ranks.get(k).copied(), k));
    for k in order {
        let e = &mut edges[k];
        if e.label.is_empty() || e.path.len() < 2 {
            continue;
        }
        let w = e
            .label
            .iter()
            .map(|l| text_width(l, EDGE_PX))
            .fold(0.0, f32::max)
            + 8.0;
        let h = (EDGE_PX + 3.0) * e.label.len() as f32 + 2.0;
        let spot = spots(&e.path).find_map(|c| {
            let (min, max) = (
                Point::new(c.x - w / 2.0, c.y - h / 2.0),
                Point::new(c.x + w / 2.0, c.y + h / 2.0),
            );
            taken.free(min, max).then_some((min, max))
        });
        if let Some((min, max)) = spot {
            taken.add(min, max);
            e.label_box = Some((min, max));
            e.prims
                .push(label_prim(min, max, &e.label, edge_text_color(e.stroke)));
        }
    }
}

/// Candidate label centres along a path, at `LABEL_SPOTS` of its length.
fn spots(path: &[Point]) -> impl Iterator<Item = Point> + '_ {
    let seg = |w: &[Point]| ((w[1].x - w[0].x).powi(2) + (w[1].y - w[0].y).powi(2)).sqrt();
    let total: f32 = path.windows(2).map(seg).sum();
    LABEL_SPOTS.iter().map(move |&t| {
        let mut left = total * t;
        for w in path.windows(2) {
            let l = seg(w);
            if l > 0.0 && left <= l {
                let f = left / l;
                return Point::new(
                    w[0].x + (w[1].x - w[0].x) * f,
                    w[0].y + (w[1].y - w[0].y) * f,
                );
            }
            left -= l;
        }
        path[path.len() - 1]
    })
}

fn edge_text_color(stroke: Stroke) -> Rgba {
    if stroke.color == EDGE || stroke.color == UNPAIRED {
        MUTED_TEXT
    } else {
        stroke.color
    }
}

fn label_prim(min: Point, max: Point, lines: &[String], color: Rgba) -> Prim {
    Prim::Label {
        min,
        max,
        fill: LABEL_BG,
        lines: lines.to_vec(),
        size: EDGE_PX,
        color,
    }
}

/// A node's primitives around (0, 0).
fn node_prims(n: &NodeSpec, size: Size) -> Vec<Prim> {
    let (hw, hh) = (size.w / 2.0, size.h / 2.0);
    let mut prims = Vec::new();
    let rect = |radius: f32| Prim::Rect {
        min: Point::new(-hw, -hh),
        max: Point::new(hw, hh),
        radius,
        fill: Some(n.fill),
        stroke: Some(n.stroke),
    };
    // Text sits right of a glyph when there is one.
    let mut text_x = 0.0;
    match n.shape {
        Shape::Service | Shape::Span => prims.push(rect(8.0)),
        Shape::Group => {
            // A stack: a second box peeking out behind the first.
            prims.push(Prim::Rect {
                min: Point::new(-hw + 4.0, -hh - 4.0),
                max: Point::new(hw + 4.0, hh - 4.0),
                radius: 8.0,
                fill: Some(n.fill),
                stroke: Some(Stroke::solid(n.stroke.color, 1.2)),
            });
            prims.push(Prim::Rect {
                min: Point::new(-hw, -hh),
                max: Point::new(hw - 4.0, hh),
                radius: 8.0,
                fill: Some(n.fill),
                stroke: Some(n.stroke),
            });
        }
        Shape::Type => prims.push(rect(3.0)),
        Shape::Queue => {
            prims.push(rect(hh.min(16.0)));
            // Three message slots, like a queue icon.
            for k in 0..3 {
                let x = -hw + 12.0 + k as f32 * 6.0;
                prims.push(Prim::Rect {
                    min: Point::new(x, -8.0),
                    max: Point::new(x + 4.0, 8.0),
                    radius: 1.0,
                    fill: Some(n.stroke.color),
                    stroke: None,
                });
            }
            text_x = 15.0;
        }
        Shape::Database => {
            // A cylinder: a convex outline with elliptical caps, and the top rim's front arc.
            let ry = 6.0;
            let mut outline = ellipse_arc(0.0, -hh + ry, hw, ry, 180.0, 360.0);
            outline.extend(ellipse_arc(0.0, hh - ry, hw, ry, 0.0, 180.0));
            prims.push(Prim::Path {
                points: outline,
                closed: true,
                fill: Some(n.fill),
                stroke: Some(n.stroke),
            });
            prims.push(Prim::Path {
                points: ellipse_arc(0.0, -hh + ry, hw, ry, 0.0, 180.0),
                closed: false,
                fill: None,
                stroke: Some(n.stroke),
            });
            let gx = -hw + 20.0;
            for (cy, from, to) in [(-5.0, 0.0, 360.0), (0.0, 0.0, 180.0), (5.0, 0.0, 180.0)] {
                prims.push(Prim::Path {
                    points: ellipse_arc(gx, cy, 8.0, 3.0, from, to),
                    closed: false,
                    fill: None,
                    stroke: Some(Stroke::solid(n.stroke.color, 1.2)),
                });
            }
            text_x = 15.0;
        }
        Shape::External => {
            prims.push(rect(hh));
            // A globe: a circle, its equator and one meridian.
            let (gx, r) = (-hw + 20.0, 9.0);
            let glyph = Stroke::solid(n.stroke.color, 1.2);
            prims.push(Prim::Path {
                points: ellipse_arc(gx, 0.0, r, r, 0.0, 360.0),
                closed: true,
                fill: None,
                stroke: Some(glyph),
            });
            prims.push(Prim::Path {
                points: ellipse_arc(gx, 0.0, r * 0.45, r, 0.0, 360.0),
                closed: true,
                fill: None,
                stroke: Some(glyph),
            });
            prims.push(Prim::Path {
                points: vec![Point::new(gx - r, 0.0), Point::new(gx + r, 0.0)],
                closed: false,
                fill: None,
                stroke: Some(glyph),
            });
            text_x = 15.0;
        }
    }
    if n.sub.is_empty() {
        prims.push(text(
            Point::new(text_x, 0.0),
            &n.label,
            LABEL_PX,
            TEXT,
            true,
        ));
    } else {
        prims.push(text(
            Point::new(text_x, -7.0),
            &n.label,
            LABEL_PX,
            TEXT,
            true,
        ));
        prims.push(text(
            Point::new(text_x, 11.0),
            &n.sub,
            SUB_PX,
            MUTED_TEXT,
            false,
        ));
    }
    prims
}

fn text(at: Point, s: &str, size: f32, color: Rgba, bold: bool) -> Prim {
    Prim::Text {
        at,
        text: s.to_string(),
        size,
        color,
        bold,
    }
}

/// Points of an elliptical arc from `from` to `to` degrees (0 = right, 90 = down), one per
/// 15 degrees.
fn ellipse_arc(cx: f32, cy: f32, rx: f32, ry: f32, from: f32, to: f32) -> Vec<Point> {
    let steps = (((to - from) / 15.0).abs().ceil() as usize).max(1);
    (0..=steps)
        .map(|k| {
            let a = (from + (to - from) * k as f32 / steps as f32).to_radians();
            Point::new(cx + rx * a.cos(), cy + ry * a.sin())
        })
        .collect()
}

/// The flattened curve and the primitives (line, arrow head) of an edge routed through
/// `points`. Each segment is a cubic with horizontal tangents at both ends, so edges leave and
/// enter boxes level and bend smoothly.
fn edge_drawing(
    route: &layout::EdgeRoute,
    points: &[Point],
    stroke: Stroke,
) -> (Vec<Point>, Vec<Prim>) {
    let mut path = Vec::new();
    if route.self_loop {
        path.extend_from_slice(points);
    } else if let (true, [p, c, q]) = (route.bundled, points) {
        // A quadratic curve through the control point's pull, 24 steps.
        for s in 0..=24 {
            let t = s as f32 / 24.0;
            let u = 1.0 - t;
            path.push(Point::new(
                u * u * p.x + 2.0 * u * t * c.x + t * t * q.x,
                u * u * p.y + 2.0 * u * t * c.y + t * t * q.y,
            ));
        }
    } else {
        for (k, w) in points.windows(2).enumerate() {
            let (p, q) = (w[0], w[1]);
            // A point per 4 px of rise: straight runs cost two points, steep bends 16.
            let steps = ((q.y - p.y).abs() / 4.0).ceil().clamp(1.0, 16.0) as usize;
            let mx = (p.x + q.x) / 2.0;
            for s in usize::from(k > 0)..=steps {
                let t = s as f32 / steps as f32;
                let u = 1.0 - t;
                // Control points (mx, p.y) and (mx, q.y).
                let x =
                    u * u * u * p.x + 3.0 * u * u * t * mx + 3.0 * u * t * t * mx + t * t * t * q.x;
                let y = u * u * u * p.y
                    + 3.0 * u * u * t * p.y
                    + 3.0 * u * t * t * q.y
                    + t * t * t * q.y;
                path.push(Point::new(x, y));
            }
        }
    }
    let mut prims = Vec::new();
    let (Some(&tip), Some(&before)) = (
        path.last(),
        path.len().checked_sub(2).and_then(|k| path.get(k)),
    ) else {
        return (path, prims);
    };
    let (dx, dy) = (tip.x - before.x, tip.y - before.y);
    let len = (dx * dx + dy * dy).sqrt();
    let (ux, uy) = if len > 0.0 {
        (dx / len, dy / len)
    } else {
        (1.0, 0.0)
    };
    let base = Point::new(tip.x - ux * ARROW_LEN, tip.y - uy * ARROW_LEN);
    // The line stops at the arrow's base so a thick line does not blunt the tip.
    if let Some(last) = path.last_mut() {
        *last = base;
    }
    prims.push(Prim::Path {
        points: path.clone(),
        closed: false,
        fill: None,
        stroke: Some(stroke),
    });
    prims.push(Prim::Path {
        points: vec![
            tip,
            Point::new(base.x - uy * ARROW_HALF, base.y + ux * ARROW_HALF),
            Point::new(base.x + uy * ARROW_HALF, base.y - ux * ARROW_HALF),
        ],
        closed: true,
        fill: Some(stroke.color),
        stroke: None,
    });
    (path, prims)
}
