//! A view's graph as JSON (`tracetopo.topology/v1`): nodes, edges with their figures, and the
//! spans behind every figure (lowercase hex ids) so a tool can go back to the evidence. Lists
//! are sorted by name so two runs write the same bytes.

use petgraph::visit::EdgeRef;
use serde::Serialize;

use super::{ExportError, ExportView};
use crate::analysis::Analysis;
use crate::analysis::flame::FlameGraph;
use crate::analysis::peer::PeerKind;
use crate::analysis::services::{NodeKind, ServiceEdge};
use crate::analysis::span_graph::{SpanEdge, span_graph};
use crate::model::ids::{span_hex, trace_hex};
use crate::model::{NONE, StatusCode, Store};

pub const SCHEMA: &str = "tracetopo.topology/v1";

/// One span, by its ids.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct SpanRef {
    pub trace_id: String,
    pub span_id: String,
}

impl SpanRef {
    fn of(store: &Store, i: u32) -> SpanRef {
        let s = store.span(i);
        SpanRef {
            trace_id: trace_hex(s.trace_id),
            span_id: span_hex(s.span_id),
        }
    }
}

#[derive(Debug, Serialize)]
struct ServicesDoc<'a> {
    nodes: Vec<ServiceNodeOut<'a>>,
    edges: Vec<ServiceEdgeOut<'a>>,
}

#[derive(Debug, Serialize)]
struct ServiceNodeOut<'a> {
    name: &'a str,
    /// `service`, or the kind of a virtual peer (`database`, `queue`, `external`, `service`).
    kind: &'static str,
    #[serde(rename = "virtual")]
    is_virtual: bool,
    spans: u64,
}

#[derive(Debug, Serialize)]
struct ServiceEdgeOut<'a> {
    from: &'a str,
    to: &'a str,
    /// calls, errors, p50/p95/p99 ms, broken, unpaired, as in the report.
    #[serde(flatten)]
    figures: &'a ServiceEdge,
    /// The measured span of each call.
    spans: Vec<SpanRef>,
}

#[derive(Debug, Serialize)]
struct TypesDoc<'a> {
    nodes: Vec<TypeNodeOut<'a>>,
    conversions: Vec<ConversionOut<'a>>,
    chains: Vec<ChainOut<'a>>,
}

#[derive(Debug, Serialize)]
struct TypeNodeOut<'a> {
    name: &'a str,
}

#[derive(Debug, Serialize)]
struct ConversionOut<'a> {
    from: &'a str,
    to: &'a str,
    count: u64,
    errors: u64,
    total_ms: f64,
    services: Vec<&'a str>,
    spans: Vec<SpanRef>,
}

#[derive(Debug, Serialize)]
struct ChainOut<'a> {
    trace_id: String,
    span_ids: Vec<String>,
    types: Vec<&'a str>,
    services: Vec<&'a str>,
    cross_process: bool,
}

#[derive(Debug, Serialize)]
struct TraceDoc<'a> {
    trace_id: String,
    nodes: Vec<SpanOut<'a>>,
    edges: Vec<SpanEdgeOut>,
}

#[derive(Debug, Serialize)]
struct SpanOut<'a> {
    span_id: String,
    /// Absent for a root (and for an orphan, whose parent id names no loaded span).
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_id: Option<String>,
    name: &'a str,
    service: &'a str,
    kind: &'static str,
    error: bool,
    start_unix_nano: u64,
    duration_ms: f64,
    /// The span's links (spec §5 "Span links"), absent when it has none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    links: Vec<LinkOut>,
}

/// One span link: the span it names, and whether that span is loaded.
#[derive(Debug, Serialize)]
struct LinkOut {
    trace_id: String,
    span_id: String,
    loaded: bool,
}

#[derive(Debug, Serialize)]
struct SpanEdgeOut {
    from: String,
    to: String,
    kind: SpanEdge,
}

#[derive(Debug, Serialize)]
struct FlameDoc<'a> {
    traces: u64,
    frames: Vec<FrameOut<'a>>,
}

/// One flame graph frame; `parent` is the index of its parent in `frames` (absent for the
/// root, "all"); `x` and `width` are fractions of the whole graph.
#[derive(Debug, Serialize)]
struct FrameOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    parent: Option<u32>,
    depth: u32,
    name: &'a str,
    service: &'a str,
    count: u64,
    total_ms: f64,
    self_ms: f64,
    x: f64,
    width: f64,
}

fn flame(store: &Store) -> FlameDoc<'_> {
    let g = FlameGraph::build(store, None);
    let frames = g
        .frames
        .iter()
        .map(|f| FrameOut {
            parent: (f.parent != NONE).then_some(f.parent),
            depth: f.depth,
            name: if f.parent == NONE {
                "all"
            } else {
                store.str(f.name)
            },
            service: super::flame::service_of(store, f),
            count: f.count,
            total_ms: f.total as f64 / 1e6,
            self_ms: f.self_time as f64 / 1e6,
            x: f.x,
            width: f.width,
        })
        .collect();
    FlameDoc {
        traces: g.traces as u64,
        frames,
    }
}

/// What every document opens with: the schema and the view, then the view's own fields.
#[derive(Serialize)]
struct Doc<T> {
    schema: &'static str,
    view: &'static str,
    #[serde(flatten)]
    body: T,
}

fn document<T: Serialize>(view: &'static str, body: T) -> serde_json::Result<Vec<u8>> {
    serde_json::to_vec_pretty(&Doc {
        schema: SCHEMA,
        view,
        body,
    })
}

/// The JSON document of `view`.
pub fn render(
    store: &Store,
    analysis: &Analysis,
    view: ExportView,
) -> Result<Vec<u8>, ExportError> {
    let mut bytes = match view {
        ExportView::Services => document("services", services(store, analysis))?,
        ExportView::Types => document("types", types(store, analysis))?,
        ExportView::Trace(id) => {
            let doc = trace(store, id).ok_or(ExportError::UnknownTrace(id))?;
            document("trace", doc)?
        }
        ExportView::Flame => document("flame", flame(store))?,
        // `export::export` resolves it before it gets here.
        ExportView::MostBrokenTrace => return Err(ExportError::NoTrace),
    };
    bytes.push(b'\n');
    Ok(bytes)
}

fn services<'a>(store: &Store, analysis: &'a Analysis) -> ServicesDoc<'a> {
    let g = &analysis.services.graph;
    let mut nodes: Vec<ServiceNodeOut> = g
        .node_weights()
        .map(|n| ServiceNodeOut {
            name: &n.name,
            kind: match n.kind {
                NodeKind::Service(_) => "service",
                NodeKind::Virtual(PeerKind::Database) => "database",
                NodeKind::Virtual(PeerKind::Queue) => "queue",
                NodeKind::Virtual(PeerKind::External) => "external",
                NodeKind::Virtual(PeerKind::Service) => "untraced_service",
            },
            is_virtual: n.is_virtual(),
            spans: n.spans,
        })
        .collect();
    nodes.sort_by(|a, b| (a.name, a.is_virtual).cmp(&(b.name, b.is_virtual)));
    let mut edges: Vec<ServiceEdgeOut> = g
        .edge_references()
        .map(|e| {
            let w = e.weight();
            ServiceEdgeOut {
                from: &g[e.source()].name,
                to: &g[e.target()].name,
                figures: w,
                spans: w.spans.iter().map(|&i| SpanRef::of(store, i)).collect(),
            }
        })
        .collect();
    edges.sort_by(|a, b| (a.from, a.to).cmp(&(b.from, b.to)));
    ServicesDoc { nodes, edges }
}

fn types<'a>(store: &'a Store, analysis: &'a Analysis) -> TypesDoc<'a> {
    let t = &analysis.types;
    let svc = |k: u32| {
        store
            .index
            .services
            .get(k as usize)
            .map_or("", |&s| store.str(s))
    };
    let mut nodes: Vec<TypeNodeOut> = t
        .graph
        .node_weights()
        .map(|n| TypeNodeOut { name: n })
        .collect();
    nodes.sort_by(|a, b| a.name.cmp(b.name));
    let mut conversions: Vec<ConversionOut> = t
        .graph
        .edge_references()
        .map(|e| {
            let w = e.weight();
            ConversionOut {
                from: t.type_name(e.source()),
                to: t.type_name(e.target()),
                count: w.count,
                errors: w.errors,
                total_ms: w.total_ns as f64 / 1e6,
                services: w.services.iter().map(|&s| svc(s)).collect(),
                spans: w.spans.iter().map(|&i| SpanRef::of(store, i)).collect(),
            }
        })
        .collect();
    conversions.sort_by(|a, b| (a.from, a.to).cmp(&(b.from, b.to)));
    let chains = analysis
        .chains
        .iter()
        .map(|c| ChainOut {
            trace_id: trace_hex(c.trace_id),
            span_ids: c
                .spans
                .iter()
                .map(|&i| span_hex(store.span(i).span_id))
                .collect(),
            types: c.types.iter().map(|&n| t.type_name(n)).collect(),
            services: c.services.iter().map(|&s| svc(s)).collect(),
            cross_process: c.cross_process,
        })
        .collect();
    TypesDoc {
        nodes,
        conversions,
        chains,
    }
}

fn trace(store: &Store, id: u128) -> Option<TraceDoc<'_>> {
    let info = store.trace(id)?;
    let g = span_graph(store, info);
    let hex = |i: u32| span_hex(store.span(i).span_id);
    let nodes = g
        .node_weights()
        .map(|&i| {
            let s = store.span(i);
            SpanOut {
                span_id: hex(i),
                parent_id: store.parent(i).map(hex),
                name: store.str(s.name),
                service: store.service_name(i),
                kind: s.kind.as_str(),
                error: s.status == StatusCode::Error,
                start_unix_nano: s.start,
                duration_ms: s.duration() as f64 / 1e6,
                links: store
                    .span_links(i)
                    .iter()
                    .map(|l| LinkOut {
                        trace_id: trace_hex(l.trace_id),
                        span_id: span_hex(l.span_id),
                        loaded: store.find_span(l.trace_id, l.span_id).is_some(),
                    })
                    .collect(),
            }
        })
        .collect();
    let edges = g
        .edge_references()
        .map(|e| SpanEdgeOut {
            from: hex(g[e.source()]),
            to: hex(g[e.target()]),
            kind: *e.weight(),
        })
        .collect();
    Some(TraceDoc {
        trace_id: trace_hex(id),
        nodes,
        edges,
    })
}
