//! The flame graph as a scene (`export --view flame`): every trace aggregated by (service, span
//! name) path (`analysis::flame::FlameGraph`, the app's Flame graph tab), drawn as the app draws
//! it at the export width: one row per depth, frames as wide as their share of the time in the
//! service's colour, frames under a pixel merged into grey runs, labels on frames wide enough
//! for them. The frames are the scene's nodes and each frame's parent link an edge without a
//! drawing, so DOT carries the call tree.

use super::scene::{EDGE, Prim, Rgba, Scene, SceneEdge, SceneNode, Shape, Stroke, service_color};
use crate::analysis::flame::{FlameGraph, Frame};
use crate::analysis::layout::{Layout, NodePos, Point, text_width};
use crate::model::{NONE, Store};
use crate::units::count;

/// Width of the drawing in pixels (the frames share it).
pub const WIDTH: f32 = 1600.0;
const ROW_H: f32 = 20.0;
const LABEL_MIN_W: f32 = 32.0;
const LABEL_PX: f32 = 12.0;
const MARGIN: f32 = 8.0;
const ROOT_FILL: Rgba = Rgba::rgb(170, 170, 170);
const MERGED_FILL: Rgba = Rgba::rgb(150, 150, 150);

/// What the app labels a frame with: `name · service`, or `all (N traces)` for the root.
pub fn frame_label(store: &Store, g: &FlameGraph, f: &Frame) -> String {
    if f.parent == NONE {
        return format!("all ({})", count(g.traces as u64, "trace"));
    }
    format!("{} · {}", store.str(f.name), service_of(store, f))
}

/// The frame's service name ("" for the root).
pub fn service_of<'s>(store: &'s Store, f: &Frame) -> &'s str {
    store
        .index
        .services
        .get(f.service as usize)
        .map_or("", |&s| store.str(s))
}

/// Black or white, whichever reads better on `fill` (as the app's flame views).
fn text_on(fill: Rgba) -> Rgba {
    let l = 0.299 * f32::from(fill.r) + 0.587 * f32::from(fill.g) + 0.114 * f32::from(fill.b);
    if l > 140.0 {
        Rgba::rgb(0, 0, 0)
    } else {
        Rgba::rgb(255, 255, 255)
    }
}

/// `s` cut (with an ellipsis) to fit `max_w` pixels of label text.
fn fit(s: &str, max_w: f32) -> Option<String> {
    if text_width(s, LABEL_PX) <= max_w {
        return Some(s.to_string());
    }
    let mut out = String::new();
    for c in s.chars() {
        out.push(c);
        if text_width(&out, LABEL_PX) + text_width("…", LABEL_PX) > max_w {
            out.pop();
            break;
        }
    }
    (!out.is_empty()).then(|| out + "…")
}

/// The scene's nodes with their positions, added row by row.
#[derive(Default)]
struct Rows {
    nodes: Vec<SceneNode>,
    pos: Vec<NodePos>,
    /// A run of frames under a pixel wide in the current row: (from x, to x, frames).
    run: Option<(f32, f32, u64)>,
}

impl Rows {
    fn add(&mut self, d: usize, (a, b): (f32, f32), node: SceneNode) -> u32 {
        self.pos.push(NodePos {
            x: MARGIN + (a + b) / 2.0,
            y: MARGIN + d as f32 * ROW_H + ROW_H / 2.0,
            w: b - a,
            h: ROW_H - 2.0,
            layer: d as u32,
            order: 0,
        });
        self.nodes.push(node);
        self.nodes.len() as u32 - 1
    }

    /// Adds a frame under a pixel wide at `x` to the row's grey run.
    fn narrow(&mut self, d: usize, x: f32) {
        let x = x.floor();
        match &mut self.run {
            Some((_, e, n)) if *e >= x => {
                *e = x + 1.0;
                *n += 1;
            }
            _ => {
                self.flush(d);
                self.run = Some((x, x + 1.0, 1));
            }
        }
    }

    fn flush(&mut self, d: usize) {
        if let Some((a, b, n)) = self.run.take() {
            let key = format!("merged-{}", self.nodes.len());
            self.add(
                d,
                (a, b),
                SceneNode {
                    key,
                    label: count(n, "narrow frame"),
                    sub: String::new(),
                    shape: Shape::Span,
                    source: None,
                    prims: bar(b - a, MERGED_FILL, None),
                },
            );
        }
    }
}

/// The flame graph of every trace in `store`.
pub fn scene(store: &Store) -> Scene {
    let g = FlameGraph::build(store, None);
    let width = WIDTH - 2.0 * MARGIN;
    let mut rows = Rows::default();
    let mut edges = Vec::new();
    // Scene node of each frame drawn on its own (frames merged into a run have none).
    let mut node_of = vec![NONE; g.frames.len()];
    for d in 0..g.depths() {
        for k in g.depth(d) {
            let f = &g.frames[k];
            let (a, b) = ((f.x as f32) * width, ((f.x + f.width) as f32) * width);
            if b - a < 1.0 {
                rows.narrow(d, a);
                continue;
            }
            rows.flush(d);
            let fill = if f.service == NONE {
                ROOT_FILL
            } else {
                service_color(service_of(store, f))
            };
            let label = frame_label(store, &g, f);
            let text = (b - a >= LABEL_MIN_W)
                .then(|| fit(&label, b - a - 6.0))
                .flatten();
            let node = rows.add(
                d,
                (a, b),
                SceneNode {
                    key: format!("frame-{k}"),
                    label,
                    sub: count(f.count, "span"),
                    shape: Shape::Span,
                    source: Some(k as u32),
                    prims: bar(b - a, fill, text),
                },
            );
            node_of[k] = node;
            if let Some(&p) = node_of.get(f.parent as usize)
                && p != NONE
            {
                edges.push(SceneEdge {
                    from: p,
                    to: node,
                    label: Vec::new(),
                    stroke: Stroke::solid(EDGE, 1.0),
                    path: Vec::new(),
                    prims: Vec::new(),
                    sources: Vec::new(),
                    label_box: None,
                });
            }
        }
        rows.flush(d);
    }
    Scene {
        frames: Vec::new(),
        reused_layout: false,
        title: format!(
            "tracetopo flame graph ({})",
            count(g.traces as u64, "trace")
        ),
        layout: Layout {
            nodes: rows.pos,
            edges: Vec::new(),
            width: WIDTH,
            height: 2.0 * MARGIN + g.depths() as f32 * ROW_H,
        },
        nodes: rows.nodes,
        edges,
    }
}

/// A frame's bar, `w` wide, centred on its node, with its label left-aligned when it fits.
fn bar(w: f32, fill: Rgba, text: Option<String>) -> Vec<Prim> {
    let h = ROW_H - 2.0;
    let mut prims = vec![Prim::Rect {
        min: Point::new(-w / 2.0, -h / 2.0),
        max: Point::new(w / 2.0, h / 2.0),
        radius: if w >= 4.0 { 2.0 } else { 0.0 },
        fill: Some(fill),
        stroke: None,
    }];
    if let Some(text) = text {
        // The app draws labels from the left edge; SVG text here is centred on its point.
        let tw = text_width(&text, LABEL_PX);
        prims.push(Prim::Text {
            at: Point::new(-w / 2.0 + 3.0 + tw / 2.0, 0.0),
            text,
            size: LABEL_PX,
            color: text_on(fill),
            bold: false,
        });
    }
    prims
}
