//! Layered ("Sugiyama") layout of a directed graph, left to right: the geometry shared by the
//! Services/Types views and every exporter, so a snapshot looks like the app.
//!
//! Steps: back edges found by a depth-first search are ignored (drawn reversed); layers are the
//! longest path from the sources; edges spanning several layers get one dummy node per layer
//! crossed (their bend points); a few barycenter sweeps order each layer to reduce crossings
//! (the order with the fewest crossings wins); y positions follow the neighbours' mean under
//! the order's spacing constraints (isotonic regression, so no two boxes in a layer overlap);
//! edges leave a box on its right side and enter on the left, parallel edges between the same
//! pair fanned out. Everything is deterministic: ties break by node index.

/// A point in layout space (pixels at zoom 1, y down).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Point {
    pub x: f32,
    pub y: f32,
}

impl Point {
    pub const fn new(x: f32, y: f32) -> Self {
        Point { x, y }
    }
}

/// A node's box: centre and size.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct NodePos {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
    /// Column, 0 = leftmost.
    pub layer: u32,
    /// Position within the column, 0 = top.
    pub order: u32,
}

impl NodePos {
    pub fn left(&self) -> f32 {
        self.x - self.w / 2.0
    }
    pub fn right(&self) -> f32 {
        self.x + self.w / 2.0
    }
    pub fn top(&self) -> f32 {
        self.y - self.h / 2.0
    }
    pub fn bottom(&self) -> f32 {
        self.y + self.h / 2.0
    }
}

/// An edge's route: `points[0]` on the source box, the last point on the target box, bend
/// points between. `reversed` marks a back edge (it runs right to left), `self_loop` an edge
/// from a node to itself (routed as a loop above the box).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EdgeRoute {
    pub points: Vec<Point>,
    pub reversed: bool,
    pub self_loop: bool,
    /// `points` are a quadratic curve's start, control point and end (the circular layout's
    /// edges, bent towards the centre so they bundle there), not bend points.
    pub bundled: bool,
}

/// The whole layout: `nodes[k]` and `edges[k]` follow the input's node and edge indexes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Layout {
    pub nodes: Vec<NodePos>,
    pub edges: Vec<EdgeRoute>,
    /// Size of the drawing, margins included (every box and route lies inside `0..width`,
    /// `0..height`).
    pub width: f32,
    pub height: f32,
}

/// Spacing of the drawing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayoutOptions {
    /// Horizontal room between columns (edge labels live there).
    pub layer_gap: f32,
    /// Vertical room between boxes of a column.
    pub node_gap: f32,
    /// Vertical distance between fanned-out parallel edges.
    pub fan_gap: f32,
    pub margin: f32,
    /// Barycenter sweeps (each one down and one up).
    pub sweeps: u32,
    /// Bend points allowed in all (`None`: 4 × (nodes + edges)); edges past the budget, the
    /// longest first, are drawn as direct curves.
    pub max_bends: Option<usize>,
}

impl Default for LayoutOptions {
    fn default() -> Self {
        LayoutOptions {
            layer_gap: 170.0,
            node_gap: 36.0,
            fan_gap: 10.0,
            margin: 24.0,
            sweeps: 6,
            max_bends: None,
        }
    }
}

/// A box's size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Size {
    pub w: f32,
    pub h: f32,
}

/// Approximate width of `text` at `font_px`: a wide (CJK, fullwidth) character counts one em,
/// anything else 0.6 em — close to proportional sans fonts, so boxes fit their labels.
pub fn text_width(text: &str, font_px: f32) -> f32 {
    let ems: f32 = text
        .chars()
        .map(|c| if is_wide(c) { 1.0 } else { 0.6 })
        .sum();
    ems * font_px
}

/// East Asian wide and fullwidth ranges (enough for labels; not the whole Unicode table).
fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
}

/// The cluster of a node in no cluster.
pub const NO_CLUSTER: u32 = u32::MAX;

/// A graph to lay out: nodes `0..sizes.len()` with their boxes' sizes, joined by `edges`
/// (source, target; an edge naming a node out of range is left unrouted, empty `points`), and
/// each node's cluster (`cluster[k]`, `NO_CLUSTER` for none; missing entries are none).
#[derive(Debug, Clone, Copy)]
pub struct Graph<'a> {
    pub sizes: &'a [Size],
    pub edges: &'a [(u32, u32)],
    pub cluster: &'a [u32],
}

impl Graph<'_> {
    /// On a circle when the graph is dense (`is_dense`), else in layers with the nodes of
    /// each cluster kept next to each other in every column.
    pub fn layout(&self, opts: &LayoutOptions) -> Layout {
        if is_dense(self.sizes.len(), self.edges.len()) {
            circular(self, opts)
        } else {
            layered(self, opts)
        }
    }
}

/// Whether a graph is dense enough that layers would make a long chain of one node each
/// (every service calling most others): then `circular` draws it.
fn is_dense(nodes: usize, edges: usize) -> bool {
    (4..=DENSE_MAX_NODES).contains(&nodes) && edges >= 3 * nodes
}

/// Above this many nodes a circle grows too large to read; the layers stay.
const DENSE_MAX_NODES: usize = 40;
/// How far edges bend towards the centre (0: straight chords, 1: through the centre).
const BUNDLE_PULL: f32 = 0.5;

/// Nodes on a circle in cluster order (then index order), edges as curves pulled towards the
/// centre so that edges between the same regions bundle together, and away from the nodes on
/// the rim. For dense graphs (`is_dense`), which layers would draw as a chain.
fn circular(g: &Graph, opts: &LayoutOptions) -> Layout {
    let n = g.sizes.len();
    let of = |v: usize| g.cluster.get(v).copied().unwrap_or(NO_CLUSTER);
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&v| (of(v), v));
    // Room on the rim for every box as if each lay across it: boxes never touch.
    let rim: f32 = g.sizes.iter().map(|s| s.w.max(s.h) + opts.node_gap).sum();
    let r = (rim / std::f32::consts::TAU).max(60.0);
    let mut nodes = vec![NodePos::default(); n];
    let mut at = 0.0;
    for (o, &v) in order.iter().enumerate() {
        let step = g.sizes[v].w.max(g.sizes[v].h) + opts.node_gap;
        let a = (at + step / 2.0) / rim * std::f32::consts::TAU - std::f32::consts::FRAC_PI_2;
        at += step;
        nodes[v] = NodePos {
            x: r * a.cos(),
            y: r * a.sin(),
            w: g.sizes[v].w,
            h: g.sizes[v].h,
            layer: 0,
            order: o as u32,
        };
    }
    // Where the line from a box's centre towards `p` leaves the box.
    let exit = |b: &NodePos, p: Point| {
        let (dx, dy) = (p.x - b.x, p.y - b.y);
        let t = ((b.w / 2.0) / dx.abs().max(1e-3)).min((b.h / 2.0) / dy.abs().max(1e-3));
        Point::new(b.x + dx * t, b.y + dy * t)
    };
    let mut pairs: rustc_hash::FxHashMap<(u32, u32), u32> = Default::default();
    let routes = g
        .edges
        .iter()
        .map(|&(a, b)| {
            if a as usize >= n || b as usize >= n {
                return EdgeRoute::default();
            }
            let (pa, pb) = (nodes[a as usize], nodes[b as usize]);
            if a == b {
                return self_loop_route(&pa);
            }
            // The control point: the chord's middle pulled towards the centre, moved aside a
            // little for each further edge between the same two nodes (either way).
            let k = pairs.entry((a.min(b), a.max(b))).or_insert(0);
            let side = *k as f32 * if a < b { 1.0 } else { -1.0 };
            *k += 1;
            let (mx, my) = ((pa.x + pb.x) / 2.0, (pa.y + pb.y) / 2.0);
            let (dx, dy) = (pb.x - pa.x, pb.y - pa.y);
            let len = (dx * dx + dy * dy).sqrt().max(1e-3);
            let fan = (side + if a < b { 0.5 } else { -0.5 }) * opts.fan_gap;
            let c = Point::new(
                mx * (1.0 - BUNDLE_PULL) - dy / len * fan,
                my * (1.0 - BUNDLE_PULL) + dx / len * fan,
            );
            EdgeRoute {
                points: vec![exit(&pa, c), c, exit(&pb, c)],
                reversed: false,
                self_loop: false,
                bundled: true,
            }
        })
        .collect();
    normalised(nodes, routes, opts.margin)
}

/// Lays out nodes `0..sizes.len()` joined by `edges` (source, target) in layers. Edges naming
/// a node out of range are left unrouted (empty `points`).
pub fn layout(sizes: &[Size], edges: &[(u32, u32)], opts: &LayoutOptions) -> Layout {
    layered(
        &Graph {
            sizes,
            edges,
            cluster: &[],
        },
        opts,
    )
}

/// Layers, with the nodes of one cluster kept next to each other in every column, so a box
/// can be drawn around them that holds nothing else.
fn layered(g: &Graph, opts: &LayoutOptions) -> Layout {
    let n = g.sizes.len();
    let valid = |&(a, b): &(u32, u32)| (a as usize) < n && (b as usize) < n;
    let mut reversed = back_edges(n, g.edges);
    // The acyclic edges used for layering: back edges flipped, self loops and invalid left out.
    let dag_of = |reversed: &[bool], layer: Option<&[u32]>| -> Vec<(u32, u32)> {
        g.edges
            .iter()
            .zip(reversed)
            .filter(|(e, _)| valid(e) && e.0 != e.1)
            .filter(|(e, _)| layer.is_none_or(|l| l[e.0 as usize] != l[e.1 as usize]))
            .map(|(&(a, b), &r)| if r { (b, a) } else { (a, b) })
            .collect()
    };
    let mut dag = dag_of(&reversed, None);
    let mut layer = longest_path_layers(n, &dag);
    // A graph with no hierarchy (services calling each other every which way) makes paths as
    // long as the graph: hundreds of one-node columns. Layers by calls from the entry points
    // instead (breadth first): few columns, every forward edge one column long; edges back are
    // reversed, edges within a column routed through the gap on its right.
    let mut flat = vec![false; g.edges.len()];
    let deepest = layer.iter().copied().max().unwrap_or(0) as usize + 1;
    if deepest > max_layers(n) {
        layer = breadth_first_layers(n, g.edges);
        for (k, &(a, b)) in g.edges.iter().enumerate() {
            if valid(&(a, b)) && a != b {
                reversed[k] = layer[a as usize] > layer[b as usize];
                flat[k] = layer[a as usize] == layer[b as usize];
            }
        }
        dag = dag_of(&reversed, Some(&layer));
    }

    // Proper graph: real nodes, then one dummy per layer crossed by a long edge. `chains[k]`
    // is the node sequence of `dag` edge k from source to target. A dense graph can make
    // long paths and so very long edges: dummies go to the shortest long edges first, up to a
    // budget; the rest are drawn as direct curves (outside the crossing reduction).
    let bends = |&(a, b): &(u32, u32)| layer[b as usize] - layer[a as usize] - 1;
    let mut long: Vec<(u32, usize)> = dag
        .iter()
        .enumerate()
        .map(|(k, e)| (bends(e), k))
        .filter(|&(span, _)| span > 0)
        .collect();
    long.sort_unstable();
    let mut bent = vec![true; dag.len()];
    let mut budget = opts.max_bends.unwrap_or(4 * (n + dag.len()));
    for (span, k) in long {
        if span as usize <= budget {
            budget -= span as usize;
        } else {
            bent[k] = false;
        }
    }
    let mut node_layer = layer.clone();
    let mut height: Vec<f32> = g.sizes.iter().map(|s| s.h).collect();
    let mut chains: Vec<Vec<u32>> = Vec::with_capacity(dag.len());
    let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(dag.len());
    for (&(a, b), &bent) in dag.iter().zip(&bent) {
        if !bent {
            chains.push(vec![a, b]);
            continue;
        }
        let mut chain = vec![a];
        let mut prev = a;
        for l in layer[a as usize] + 1..layer[b as usize] {
            let d = node_layer.len() as u32;
            node_layer.push(l);
            height.push(opts.fan_gap);
            pairs.push((prev, d));
            chain.push(d);
            prev = d;
        }
        pairs.push((prev, b));
        chain.push(b);
        chains.push(chain);
    }
    let total = node_layer.len();
    let layers_n = node_layer
        .iter()
        .map(|&l| l as usize + 1)
        .max()
        .unwrap_or(0);
    let (preds, succs) = adjacency(total, &pairs);

    let mut layers = initial_order(total, layers_n, &node_layer, &succs, n);
    order_layers(&mut layers, &preds, &succs, opts.sweeps);
    if g.cluster.iter().any(|&c| c != NO_CLUSTER) {
        gather_clusters(&mut layers, g.cluster);
    }

    // x: columns as wide as their widest real box.
    let mut col_w = vec![0f32; layers_n];
    for (k, s) in g.sizes.iter().enumerate() {
        let l = layer[k] as usize;
        col_w[l] = col_w[l].max(s.w);
    }
    let mut col_x = Vec::with_capacity(layers_n);
    let mut x = opts.margin;
    for w in &col_w {
        col_x.push(x + w / 2.0);
        x += w + opts.layer_gap;
    }
    let ys = assign_y(&layers, &height, &preds, &succs, opts);

    let mut nodes: Vec<NodePos> = Vec::with_capacity(n);
    for (k, s) in g.sizes.iter().enumerate() {
        let l = layer[k] as usize;
        nodes.push(NodePos {
            x: col_x[l],
            y: ys[k],
            w: s.w,
            h: s.h,
            layer: layer[k],
            order: 0,
        });
    }
    for layer in &layers {
        for (o, &v) in layer.iter().enumerate() {
            if let Some(p) = nodes.get_mut(v as usize) {
                p.order = o as u32;
            }
        }
    }
    let point_of = |v: u32| Point::new(col_x[node_layer[v as usize] as usize], ys[v as usize]);

    // Routes, then fan out edges sharing the same pair of nodes (either direction).
    let mut routes = vec![EdgeRoute::default(); g.edges.len()];
    let mut next_chain = chains.iter();
    for (k, (&(a, b), &rev)) in g.edges.iter().zip(&reversed).enumerate() {
        if !valid(&(a, b)) {
            continue;
        }
        let (pa, pb) = (nodes[a as usize], nodes[b as usize]);
        if a == b {
            routes[k] = self_loop_route(&pa);
            continue;
        }
        if flat[k] {
            // Out of the right side, through the middle of the gap, back into the right side.
            let l = layer[a as usize] as usize;
            let gap_x = col_x[l] + col_w[l] / 2.0 + opts.layer_gap / 2.0;
            routes[k] = EdgeRoute {
                points: vec![
                    Point::new(pa.right(), pa.y),
                    Point::new(gap_x, (pa.y + pb.y) / 2.0),
                    Point::new(pb.right(), pb.y),
                ],
                reversed: false,
                self_loop: false,
                bundled: false,
            };
            continue;
        }
        let Some(chain) = next_chain.next() else {
            continue;
        };
        let (src, dst) = if rev { (pb, pa) } else { (pa, pb) };
        let mut points = Vec::with_capacity(chain.len());
        points.push(Point::new(src.right(), src.y));
        points.extend(chain[1..chain.len() - 1].iter().map(|&d| point_of(d)));
        points.push(Point::new(dst.left(), dst.y));
        if rev {
            points.reverse();
        }
        routes[k] = EdgeRoute {
            points,
            reversed: rev,
            self_loop: false,
            bundled: false,
        };
    }
    fan_out(&mut routes, g.edges, opts.fan_gap);

    normalised(nodes, routes, opts.margin)
}

/// Edges to drop for layering: the back edges of a depth-first search started from each
/// unvisited node in index order (iterative, so deep graphs do not overflow the stack).
/// Self loops count as back edges.
fn back_edges(n: usize, edges: &[(u32, u32)]) -> Vec<bool> {
    let mut out: Vec<Vec<(u32, usize)>> = vec![Vec::new(); n];
    for (k, &(a, b)) in edges.iter().enumerate() {
        if (a as usize) < n && (b as usize) < n {
            out[a as usize].push((b, k));
        }
    }
    // 0 = unvisited, 1 = on the stack, 2 = done.
    let mut state = vec![0u8; n];
    let mut back = vec![false; edges.len()];
    let mut stack: Vec<(u32, usize)> = Vec::new();
    for root in 0..n {
        if state[root] != 0 {
            continue;
        }
        state[root] = 1;
        stack.push((root as u32, 0));
        while let Some(top) = stack.last_mut() {
            let (v, next) = *top;
            let Some(&(w, k)) = out[v as usize].get(next) else {
                state[v as usize] = 2;
                stack.pop();
                continue;
            };
            top.1 += 1;
            match state[w as usize] {
                0 => {
                    state[w as usize] = 1;
                    stack.push((w, 0));
                }
                1 => back[k] = true,
                _ => {}
            }
        }
    }
    back
}

/// Columns the longest-path layers may take before breadth-first layers replace them.
fn max_layers(n: usize) -> usize {
    (2.0 * (n as f32).sqrt()) as usize + 12
}

/// Layer of each node: its distance in calls from the entry points (nodes nobody calls; in a
/// part of the graph without one, the node calling most more than it is called, then the
/// lowest index). O(nodes + edges log nodes).
fn breadth_first_layers(n: usize, edges: &[(u32, u32)]) -> Vec<u32> {
    let mut out: Vec<Vec<u32>> = vec![Vec::new(); n];
    let mut balance = vec![0i64; n];
    for &(a, b) in edges {
        if (a as usize) < n && (b as usize) < n && a != b {
            out[a as usize].push(b);
            balance[a as usize] += 1;
            balance[b as usize] -= 1;
        }
    }
    let mut called = vec![false; n];
    for list in &out {
        for &b in list {
            called[b as usize] = true;
        }
    }
    let mut layer = vec![u32::MAX; n];
    let mut queue: std::collections::VecDeque<u32> =
        (0..n as u32).filter(|&v| !called[v as usize]).collect();
    for &v in &queue {
        layer[v as usize] = 0;
    }
    // Unreached nodes as further starts, the most calling first.
    let mut starts: Vec<u32> = (0..n as u32).collect();
    starts.sort_by_key(|&v| (std::cmp::Reverse(balance[v as usize]), v));
    let mut next_start = starts.into_iter();
    loop {
        while let Some(v) = queue.pop_front() {
            for &w in &out[v as usize] {
                if layer[w as usize] == u32::MAX {
                    layer[w as usize] = layer[v as usize] + 1;
                    queue.push_back(w);
                }
            }
        }
        let Some(s) = next_start.find(|&v| layer[v as usize] == u32::MAX) else {
            break;
        };
        layer[s as usize] = 0;
        queue.push_back(s);
    }
    layer
}

/// Layer of each node: the longest path to it from a source (Kahn's order over an acyclic
/// edge list).
fn longest_path_layers(n: usize, dag: &[(u32, u32)]) -> Vec<u32> {
    let (_, succs) = adjacency(n, dag);
    let mut indeg = vec![0u32; n];
    for &(_, b) in dag {
        indeg[b as usize] += 1;
    }
    let mut layer = vec![0u32; n];
    let mut queue: Vec<u32> = (0..n as u32).filter(|&v| indeg[v as usize] == 0).collect();
    let mut head = 0;
    while let Some(&v) = queue.get(head) {
        head += 1;
        for &w in &succs[v as usize] {
            layer[w as usize] = layer[w as usize].max(layer[v as usize] + 1);
            indeg[w as usize] -= 1;
            if indeg[w as usize] == 0 {
                queue.push(w);
            }
        }
    }
    layer
}

/// Predecessor and successor lists (targets in edge order).
fn adjacency(n: usize, edges: &[(u32, u32)]) -> (Vec<Vec<u32>>, Vec<Vec<u32>>) {
    let mut preds = vec![Vec::new(); n];
    let mut succs = vec![Vec::new(); n];
    for &(a, b) in edges {
        succs[a as usize].push(b);
        preds[b as usize].push(a);
    }
    (preds, succs)
}

/// First order: a depth-first walk from the real nodes in index order, so a node's
/// descendants start out near it.
fn initial_order(
    total: usize,
    layers_n: usize,
    node_layer: &[u32],
    succs: &[Vec<u32>],
    real: usize,
) -> Vec<Vec<u32>> {
    let mut layers = vec![Vec::new(); layers_n];
    let mut seen = vec![false; total];
    let mut stack = Vec::new();
    for root in (0..real as u32).chain(real as u32..total as u32) {
        if seen[root as usize] {
            continue;
        }
        stack.push(root);
        while let Some(v) = stack.pop() {
            if std::mem::replace(&mut seen[v as usize], true) {
                continue;
            }
            layers[node_layer[v as usize] as usize].push(v);
            stack.extend(
                succs[v as usize]
                    .iter()
                    .rev()
                    .filter(|&&w| !seen[w as usize]),
            );
        }
    }
    layers
}

/// Barycenter sweeps, down (by predecessors) then up (by successors); keeps the order with
/// the fewest crossings seen.
fn order_layers(layers: &mut [Vec<u32>], preds: &[Vec<u32>], succs: &[Vec<u32>], sweeps: u32) {
    let mut pos = vec![0f32; preds.len()];
    let set_pos = |pos: &mut [f32], layer: &[u32]| {
        for (o, &v) in layer.iter().enumerate() {
            pos[v as usize] = o as f32;
        }
    };
    for layer in layers.iter() {
        set_pos(&mut pos, layer);
    }
    let mut best = layers.to_vec();
    let mut best_cross = crossings(layers, succs, &pos);
    let mut keyed: Vec<(f32, u32)> = Vec::new();
    for _ in 0..sweeps {
        for down in [true, false] {
            let order: Vec<usize> = if down {
                (1..layers.len()).collect()
            } else {
                (0..layers.len().saturating_sub(1)).rev().collect()
            };
            for l in order {
                let adj = if down { preds } else { succs };
                keyed.clear();
                keyed.extend(layers[l].iter().map(|&v| {
                    let ns = &adj[v as usize];
                    let bary = if ns.is_empty() {
                        pos[v as usize]
                    } else {
                        ns.iter().map(|&w| pos[w as usize]).sum::<f32>() / ns.len() as f32
                    };
                    (bary, v)
                }));
                // Stable by current position on ties, so nodes without neighbours stay put.
                keyed.sort_by(|a, b| {
                    a.0.total_cmp(&b.0)
                        .then(pos[a.1 as usize].total_cmp(&pos[b.1 as usize]))
                });
                layers[l].clear();
                layers[l].extend(keyed.iter().map(|&(_, v)| v));
                set_pos(&mut pos, &layers[l]);
            }
            let c = crossings(layers, succs, &pos);
            if c < best_cross {
                best_cross = c;
                best.clone_from_slice(layers);
            }
        }
    }
    layers.clone_from_slice(&best);
}

/// Puts each cluster's nodes of a layer together, at their mean position, the rest (and
/// bend points) staying in order around them.
fn gather_clusters(layers: &mut [Vec<u32>], cluster: &[u32]) {
    let of = |v: u32| cluster.get(v as usize).copied().unwrap_or(NO_CLUSTER);
    let mut sum: rustc_hash::FxHashMap<u32, (f32, f32)> = Default::default();
    for layer in layers.iter_mut() {
        sum.clear();
        for (o, &v) in layer.iter().enumerate() {
            if of(v) != NO_CLUSTER {
                let e = sum.entry(of(v)).or_insert((0.0, 0.0));
                e.0 += o as f32;
                e.1 += 1.0;
            }
        }
        let mut keyed: Vec<(f32, u32, usize, u32)> = layer
            .iter()
            .enumerate()
            .map(|(o, &v)| match sum.get(&of(v)) {
                Some(&(s, c)) => (s / c, of(v), o, v),
                None => (o as f32, NO_CLUSTER, o, v),
            })
            .collect();
        // Equal keys: a cluster's members before a loose node, clusters by number, so each
        // cluster stays one run.
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        layer.clear();
        layer.extend(keyed.iter().map(|k| k.3));
    }
}

/// Edge crossings between adjacent layers (inversions counted with a Fenwick tree).
fn crossings(layers: &[Vec<u32>], succs: &[Vec<u32>], pos: &[f32]) -> u64 {
    let mut total = 0u64;
    let mut ends: Vec<(u32, u32)> = Vec::new();
    let mut tree: Vec<u32> = Vec::new();
    for pair in layers.windows(2) {
        let (upper, lower) = (&pair[0], &pair[1]);
        ends.clear();
        for &v in upper {
            for &w in &succs[v as usize] {
                ends.push((pos[v as usize] as u32, pos[w as usize] as u32));
            }
        }
        ends.sort_unstable();
        tree.clear();
        tree.resize(lower.len() + 1, 0);
        for (seen, &(_, b)) in ends.iter().enumerate() {
            // Edges seen so far ending strictly after b cross this one.
            let mut at_most_b = 0u64;
            let mut i = b as usize + 1;
            while i > 0 {
                at_most_b += u64::from(tree[i]);
                i &= i - 1;
            }
            total += seen as u64 - at_most_b;
            let mut i = b as usize + 1;
            while i < tree.len() {
                tree[i] += 1;
                i += i & i.wrapping_neg();
            }
        }
    }
    total
}

/// y of every node: packed first, then a few passes pulling each layer towards the mean y of
/// its neighbours while keeping its order and spacing.
fn assign_y(
    layers: &[Vec<u32>],
    height: &[f32],
    preds: &[Vec<u32>],
    succs: &[Vec<u32>],
    opts: &LayoutOptions,
) -> Vec<f32> {
    let mut y = vec![0f32; height.len()];
    let gap_between = |a: u32, b: u32| {
        let (ha, hb) = (height[a as usize], height[b as usize]);
        // Dummies (edge bends) sit closer to each other than boxes do.
        let gap = if ha <= opts.fan_gap && hb <= opts.fan_gap {
            opts.fan_gap
        } else {
            opts.node_gap
        };
        (ha + hb) / 2.0 + gap
    };
    for layer in layers {
        let mut at = 0.0;
        for (o, &v) in layer.iter().enumerate() {
            if o > 0 {
                at += gap_between(layer[o - 1], v);
            }
            y[v as usize] = at;
        }
    }
    // Centre each packed layer on the tallest one.
    let extent = |layer: &[u32], y: &[f32]| match (layer.first(), layer.last()) {
        (Some(&a), Some(&b)) => y[b as usize] - y[a as usize],
        _ => 0.0,
    };
    let tallest = layers.iter().map(|l| extent(l, &y)).fold(0.0, f32::max);
    for layer in layers {
        let shift = (tallest - extent(layer, &y)) / 2.0;
        for &v in layer {
            y[v as usize] += shift;
        }
    }

    let mut want: Vec<f32> = Vec::new();
    let mut offset: Vec<f32> = Vec::new();
    for pass in 0..4 {
        let down = pass % 2 == 0;
        let order: Vec<usize> = if down {
            (0..layers.len()).collect()
        } else {
            (0..layers.len()).rev().collect()
        };
        for l in order {
            let layer = &layers[l];
            let adj = if down { preds } else { succs };
            want.clear();
            offset.clear();
            let mut acc = 0.0;
            for (o, &v) in layer.iter().enumerate() {
                if o > 0 {
                    acc += gap_between(layer[o - 1], v);
                }
                offset.push(acc);
                let ns = &adj[v as usize];
                let target = if ns.is_empty() {
                    y[v as usize]
                } else {
                    ns.iter().map(|&w| y[w as usize]).sum::<f32>() / ns.len() as f32
                };
                // In z = y - offset the spacing constraints become z non-decreasing.
                want.push(target - acc);
            }
            isotonic(&mut want);
            for (o, &v) in layer.iter().enumerate() {
                y[v as usize] = want[o] + offset[o];
            }
        }
    }
    y
}

/// Replaces `v` by the non-decreasing sequence closest to it in least squares (pool adjacent
/// violators).
fn isotonic(v: &mut [f32]) {
    // Blocks of (mean, count).
    let mut blocks: Vec<(f32, usize)> = Vec::with_capacity(v.len());
    for &x in v.iter() {
        let mut cur = (x, 1usize);
        while let Some(&(m, c)) = blocks.last() {
            if m <= cur.0 {
                break;
            }
            blocks.pop();
            let n = c + cur.1;
            cur = ((m * c as f32 + cur.0 * cur.1 as f32) / n as f32, n);
        }
        blocks.push(cur);
    }
    let mut i = 0;
    for (m, c) in blocks {
        for x in &mut v[i..i + c] {
            *x = m;
        }
        i += c;
    }
}

/// A loop over the top of the box, leaving and entering at its top edge.
fn self_loop_route(p: &NodePos) -> EdgeRoute {
    let top = p.top();
    let dx = (p.w / 4.0).min(24.0);
    EdgeRoute {
        points: vec![
            Point::new(p.x + dx, top),
            Point::new(p.x + dx, top - 20.0),
            Point::new(p.x - dx, top - 20.0),
            Point::new(p.x - dx, top),
        ],
        reversed: false,
        self_loop: true,
        bundled: false,
    }
}

/// Spreads edges that join the same two nodes (either way) apart vertically, so they do not
/// draw on top of each other.
fn fan_out(routes: &mut [EdgeRoute], edges: &[(u32, u32)], gap: f32) {
    let mut groups: Vec<((u32, u32), usize)> = edges
        .iter()
        .enumerate()
        .filter(|&(k, &(a, b))| a != b && !routes[k].points.is_empty())
        .map(|(k, &(a, b))| ((a.min(b), a.max(b)), k))
        .collect();
    groups.sort_unstable();
    for group in groups.chunk_by(|x, y| x.0 == y.0) {
        if group.len() < 2 {
            continue;
        }
        let mid = (group.len() - 1) as f32 / 2.0;
        for (i, &(_, k)) in group.iter().enumerate() {
            let dy = (i as f32 - mid) * gap;
            for p in &mut routes[k].points {
                p.y += dy;
            }
        }
    }
}

/// The layout of `nodes` and `edges` shifted so the top-left corner sits at (`margin`,
/// `margin`), with its size.
fn normalised(nodes: Vec<NodePos>, edges: Vec<EdgeRoute>, margin: f32) -> Layout {
    let mut layout = Layout {
        nodes,
        edges,
        width: 0.0,
        height: 0.0,
    };
    let mut min = Point::new(f32::INFINITY, f32::INFINITY);
    let mut max = Point::new(f32::NEG_INFINITY, f32::NEG_INFINITY);
    let mut grow = |x0: f32, y0: f32, x1: f32, y1: f32| {
        min.x = min.x.min(x0);
        min.y = min.y.min(y0);
        max.x = max.x.max(x1);
        max.y = max.y.max(y1);
    };
    for p in &layout.nodes {
        grow(p.left(), p.top(), p.right(), p.bottom());
    }
    for r in &layout.edges {
        for p in &r.points {
            grow(p.x, p.y, p.x, p.y);
        }
    }
    if !min.x.is_finite() {
        layout.width = 2.0 * margin;
        layout.height = 2.0 * margin;
        return layout;
    }
    let (dx, dy) = (margin - min.x, margin - min.y);
    for p in &mut layout.nodes {
        p.x += dx;
        p.y += dy;
    }
    for r in &mut layout.edges {
        for p in &mut r.points {
            p.x += dx;
            p.y += dy;
        }
    }
    layout.width = max.x - min.x + 2.0 * margin;
    layout.height = max.y - min.y + 2.0 * margin;
    layout
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOX: Size = Size { w: 80.0, h: 30.0 };

    fn lay(n: usize, edges: &[(u32, u32)]) -> Layout {
        layout(&vec![BOX; n], edges, &LayoutOptions::default())
    }

    /// Boxes of one layer never overlap (with the node gap between them).
    fn assert_no_overlap(l: &Layout) {
        for a in &l.nodes {
            for b in &l.nodes {
                if a.layer == b.layer && a.order < b.order {
                    assert!(
                        b.top() >= a.bottom() + LayoutOptions::default().node_gap - 0.01,
                        "{a:?} overlaps {b:?}"
                    );
                }
            }
        }
    }

    fn assert_inside(l: &Layout) {
        for p in &l.nodes {
            assert!(
                p.left() >= 0.0 && p.right() <= l.width,
                "{p:?} in {}",
                l.width
            );
            assert!(
                p.top() >= 0.0 && p.bottom() <= l.height,
                "{p:?} in {}",
                l.height
            );
        }
        for r in &l.edges {
            for p in &r.points {
                assert!(p.x >= 0.0 && p.x <= l.width && p.y >= 0.0 && p.y <= l.height);
            }
        }
    }

    #[test]
    fn chain_goes_left_to_right() {
        // 0 → 1 → 2 and a shortcut 0 → 2 that needs a bend in layer 1.
        let l = lay(3, &[(0, 1), (1, 2), (0, 2)]);
        let layers: Vec<u32> = l.nodes.iter().map(|p| p.layer).collect();
        assert_eq!(layers, [0, 1, 2]);
        assert!(l.nodes[0].x < l.nodes[1].x && l.nodes[1].x < l.nodes[2].x);
        for (k, r) in l.edges.iter().enumerate() {
            assert!(!r.reversed);
            for w in r.points.windows(2) {
                assert!(w[0].x <= w[1].x, "edge {k} goes backwards: {:?}", r.points);
            }
        }
        // Edges start on the source's right side and end on the target's left side.
        assert_eq!(l.edges[0].points[0].x, l.nodes[0].right());
        assert_eq!(
            l.edges[0].points.last().map(|p| p.x),
            Some(l.nodes[1].left())
        );
        // The long edge has one bend, in layer 1's column, clear of node 1's box.
        let long = &l.edges[2].points;
        assert_eq!(long.len(), 3);
        assert_eq!(long[1].x, l.nodes[1].x);
        assert!(long[1].y < l.nodes[1].top() || long[1].y > l.nodes[1].bottom());
        assert_inside(&l);
    }

    #[test]
    fn cycle_is_broken_by_a_back_edge() {
        // 0 → 1 → 2 → 0: the DFS from 0 finds 2 → 0 as the back edge.
        let l = lay(3, &[(0, 1), (1, 2), (2, 0)]);
        let layers: Vec<u32> = l.nodes.iter().map(|p| p.layer).collect();
        assert_eq!(layers, [0, 1, 2]);
        let reversed: Vec<bool> = l.edges.iter().map(|r| r.reversed).collect();
        assert_eq!(reversed, [false, false, true]);
        // The back edge runs right to left: from node 2's left side to node 0's right side.
        let back = &l.edges[2].points;
        assert_eq!(back.first().map(|p| p.x), Some(l.nodes[2].left()));
        assert_eq!(back.last().map(|p| p.x), Some(l.nodes[0].right()));
        assert!(back.windows(2).all(|w| w[0].x >= w[1].x));
        assert_inside(&l);
    }

    #[test]
    fn parallel_edges_fan_out_and_self_loops_are_routed() {
        // 0 ⇄ 1 (two edges between one pair) and 1 → 1.
        let l = lay(2, &[(0, 1), (1, 0), (1, 1)]);
        let (a, b) = (&l.edges[0].points, &l.edges[1].points);
        assert_eq!(a.len(), 2);
        assert_eq!(b.len(), 2);
        // Same columns, different heights: the two do not draw on top of each other.
        assert!((a[0].y - b[1].y).abs() >= LayoutOptions::default().fan_gap - 0.01);
        assert!(l.edges[2].self_loop);
        assert!(l.edges[2].points.iter().all(|p| p.y <= l.nodes[1].top()));
        assert_inside(&l);
    }

    #[test]
    fn wide_layer_has_no_overlap_and_few_crossings() {
        // Two sources, each with three children, listed interleaved: a good order puts each
        // source's children together (no crossings at all).
        let edges = [(0, 2), (1, 3), (0, 4), (1, 5), (0, 6), (1, 7)];
        let l = lay(8, &edges);
        assert_no_overlap(&l);
        let pos: Vec<f32> = l.nodes.iter().map(|p| p.order as f32).collect();
        let layers: Vec<Vec<u32>> = (0..2)
            .map(|layer| {
                let mut v: Vec<u32> = (0..8)
                    .filter(|&k| l.nodes[k as usize].layer == layer)
                    .collect();
                v.sort_by_key(|&k| l.nodes[k as usize].order);
                v
            })
            .collect();
        let (_, succs) = adjacency(8, &edges);
        assert_eq!(crossings(&layers, &succs, &pos), 0);
        assert_inside(&l);
    }

    #[test]
    fn deterministic_and_total() {
        let mut edges = Vec::new();
        let mut x = 7u32;
        for _ in 0..120 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let a = (x >> 8) % 40;
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let b = (x >> 8) % 40;
            edges.push((a, b));
        }
        // An edge to a node that does not exist is left unrouted, not a panic.
        edges.push((3, 99));
        let a = lay(40, &edges);
        let b = lay(40, &edges);
        assert_eq!(a, b);
        assert_no_overlap(&a);
        assert_inside(&a);
        assert!(a.edges[120].points.is_empty());
        for (k, r) in a.edges.iter().enumerate().take(120) {
            let (s, t) = edges[k];
            if s == t {
                assert!(r.self_loop);
                continue;
            }
            // Forward edges strictly left to right; back edges strictly right to left; edges
            // within a column out of its right side, through the gap and back.
            let (ls, lt) = (a.nodes[s as usize].layer, a.nodes[t as usize].layer);
            if r.reversed {
                assert!(ls > lt, "back edge {k}");
            } else if ls == lt {
                let (ps, pt) = (&a.nodes[s as usize], &a.nodes[t as usize]);
                assert_eq!(r.points.len(), 3, "edge {k}");
                assert!(r.points[1].x > ps.right().max(pt.right()), "edge {k}");
            } else {
                assert!(ls < lt, "edge {k}");
            }
        }
    }

    #[test]
    fn bend_budget_keeps_dense_graphs_cheap() {
        // 0 → 1 → … → 9 makes ten layers; 0 → 9 and 0 → 5 need 8 and 4 bends.
        let mut edges: Vec<(u32, u32)> = (0..9).map(|k| (k, k + 1)).collect();
        edges.extend([(0, 9), (0, 5)]);
        let opts = LayoutOptions {
            max_bends: Some(5),
            ..LayoutOptions::default()
        };
        let l = layout(&[BOX; 10], &edges, &opts);
        // The shorter long edge gets its 4 bends; the longer one no longer fits: direct.
        assert_eq!(l.edges[10].points.len(), 6);
        assert_eq!(l.edges[9].points.len(), 2);
        assert_eq!(l.edges[9].points[0].x, l.nodes[0].right());
        assert_eq!(l.edges[9].points[1].x, l.nodes[9].left());
        assert_no_overlap(&l);
        assert_inside(&l);
        // With the default budget both bend.
        assert_eq!(lay(10, &edges).edges[9].points.len(), 10);
    }

    #[test]
    fn a_graph_without_hierarchy_keeps_few_columns() {
        // 200 nodes each calling five others picked pseudo-randomly: cycles everywhere, so
        // longest paths after breaking them run through most nodes (a column each);
        // breadth-first layers make a handful.
        let n = 200u32;
        let mut x = 7u32;
        let mut edges: Vec<(u32, u32)> = Vec::new();
        for a in 0..n {
            for _ in 0..5 {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                edges.push((a, (x >> 8) % n));
            }
        }
        let longest = {
            let dag: Vec<(u32, u32)> = edges
                .iter()
                .zip(back_edges(n as usize, &edges))
                .filter(|(e, _)| e.0 != e.1)
                .map(|(&(a, b), r)| if r { (b, a) } else { (a, b) })
                .collect();
            longest_path_layers(n as usize, &dag)
                .into_iter()
                .max()
                .unwrap_or(0)
                + 1
        };
        assert!(
            longest as usize > max_layers(n as usize),
            "{longest}: the test tests nothing"
        );
        let l = lay(n as usize, &edges);
        let columns = l.nodes.iter().map(|p| p.layer).max().unwrap_or(0) + 1;
        assert!(
            columns <= max_layers(n as usize) as u32,
            "{columns} columns"
        );
        assert_no_overlap(&l);
        assert_inside(&l);
        // A plain chain keeps its longest-path layers.
        let chain: Vec<(u32, u32)> = (0..9).map(|k| (k, k + 1)).collect();
        let l = lay(10, &chain);
        assert_eq!(
            l.nodes.iter().map(|p| p.layer).collect::<Vec<_>>(),
            (0..10).collect::<Vec<_>>()
        );
    }

    #[test]
    fn empty_graph_and_isotonic() {
        let l = lay(0, &[]);
        assert!(l.nodes.is_empty() && l.width > 0.0);
        let mut v = [3.0, 1.0, 2.0, 5.0];
        isotonic(&mut v);
        assert_eq!(v, [2.0, 2.0, 2.0, 5.0]);
    }

    #[test]
    fn wide_characters_count_double() {
        assert_eq!(text_width("ab", 10.0), 12.0);
        assert_eq!(text_width("通知", 10.0), 20.0);
    }
}
