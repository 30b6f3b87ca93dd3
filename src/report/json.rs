//! The report document of SPEC §7 (`tracetopo.report/v1`): field names and order as in the
//! SPEC, ids as lowercase hex, every list sorted so that two runs print the same bytes.

use rayon::prelude::*;
use serde::Serialize;

use crate::analysis::Analysis;
use crate::analysis::breaks::{Break, Severity};
use crate::model::ids::{span_hex, trace_hex};
use crate::model::{Input, Store, Warning};

pub const SCHEMA: &str = "tracetopo.report/v1";

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report<'a> {
    pub schema: &'static str,
    pub inputs: &'a [Input],
    pub spans: u64,
    pub traces: u64,
    pub services: Vec<ServiceOut<'a>>,
    pub service_edges: Vec<EdgeOut<'a>>,
    pub conversions: Vec<ConversionOut<'a>>,
    pub conversion_chains: Vec<ChainOut<'a>>,
    pub goroutine_hops: u64,
    pub breaks: Vec<BreakOut<'a>>,
    pub warnings: &'a [Warning],
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceOut<'a> {
    pub name: &'a str,
    pub spans: u64,
    #[serde(rename = "virtual")]
    pub is_virtual: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EdgeOut<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub calls: u64,
    pub errors: u64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub broken: u64,
    pub unpaired: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConversionOut<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub count: u64,
    pub errors: u64,
    pub services: Vec<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ChainOut<'a> {
    pub trace_id: String,
    pub span_ids: Vec<String>,
    pub types: Vec<&'a str>,
    pub services: Vec<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct BreakOut<'a> {
    pub kind: &'static str,
    pub severity: Severity,
    pub trace_id: String,
    pub span_id: String,
    pub service: &'a str,
    pub span_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related_trace_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related_span_id: Option<String>,
    pub message: &'a str,
}

impl<'a> Report<'a> {
    /// The report of an indexed `store` and its analysis.
    pub fn build(store: &'a Store, analysis: &'a Analysis) -> Self {
        let svc_name = |k: u32| {
            store
                .index
                .services
                .get(k as usize)
                .map_or("", |&s| store.str(s))
        };

        let sg = &analysis.services.graph;
        let mut services: Vec<ServiceOut> = sg
            .node_weights()
            .map(|n| ServiceOut {
                name: &n.name,
                spans: n.spans,
                is_virtual: n.is_virtual(),
            })
            .collect();
        services.sort_by(|a, b| (a.name, a.is_virtual).cmp(&(b.name, b.is_virtual)));

        let mut service_edges: Vec<EdgeOut> = sg
            .edge_indices()
            .filter_map(|e| {
                let (a, b) = sg.edge_endpoints(e)?;
                let w = &sg[e];
                Some(EdgeOut {
                    from: &sg[a].name,
                    to: &sg[b].name,
                    calls: w.calls,
                    errors: w.errors,
                    p50_ms: w.p50_ms,
                    p95_ms: w.p95_ms,
                    p99_ms: w.p99_ms,
                    broken: w.broken,
                    unpaired: w.unpaired,
                })
            })
            .collect();
        service_edges.sort_by(|a, b| (a.from, a.to).cmp(&(b.from, b.to)));

        let tg = &analysis.types;
        let mut conversions: Vec<ConversionOut> = tg
            .graph
            .edge_indices()
            .filter_map(|e| {
                let (a, b) = tg.graph.edge_endpoints(e)?;
                let w = &tg.graph[e];
                Some(ConversionOut {
                    from: tg.type_name(a),
                    to: tg.type_name(b),
                    count: w.count,
                    errors: w.errors,
                    services: w.services.iter().map(|&s| svc_name(s)).collect(),
                })
            })
            .collect();
        conversions.sort_by(|a, b| (a.from, a.to).cmp(&(b.from, b.to)));

        // Chains and breaks can be tens of thousands of rows of hex ids: built on all cores.
        let mut conversion_chains: Vec<ChainOut> = analysis
            .chains
            .par_iter()
            .map(|c| ChainOut {
                trace_id: trace_hex(c.trace_id),
                span_ids: c
                    .spans
                    .iter()
                    .map(|&i| span_hex(store.spans.get(i as usize).map_or(0, |s| s.span_id)))
                    .collect(),
                types: c.types.iter().map(|&t| tg.type_name(t)).collect(),
                services: c.services.iter().map(|&s| svc_name(s)).collect(),
            })
            .collect();
        conversion_chains
            .par_sort_by(|a, b| (&a.trace_id, &a.span_ids).cmp(&(&b.trace_id, &b.span_ids)));

        let mut breaks: Vec<BreakOut> = analysis
            .breaks
            .par_iter()
            .map(|b| break_out(store, b))
            .collect();
        breaks.par_sort();

        Report {
            schema: SCHEMA,
            inputs: &store.inputs,
            spans: store.spans.len() as u64,
            traces: store.index.traces.len() as u64,
            services,
            service_edges,
            conversions,
            conversion_chains,
            goroutine_hops: analysis.goroutine_hops,
            breaks,
            warnings: &store.diag.warnings,
        }
    }

    /// The document as pretty-printed JSON.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(self)
    }
}

/// A break with its span's ids, service and name. A span index outside the store (a detector
/// bug) prints zero ids and empty names rather than failing the report.
fn break_out<'a>(store: &'a Store, b: &'a Break) -> BreakOut<'a> {
    let ids = |i: u32| {
        store
            .spans
            .get(i as usize)
            .map(|s| (trace_hex(s.trace_id), span_hex(s.span_id)))
    };
    let (trace_id, span_id) = ids(b.span).unwrap_or_else(|| (trace_hex(0), span_hex(0)));
    let known = (b.span as usize) < store.spans.len();
    let (related_trace_id, related_span_id) = b.related.and_then(ids).unzip();
    BreakOut {
        kind: b.kind.name(),
        severity: b.kind.severity(),
        trace_id,
        span_id,
        service: if known {
            store.service_name(b.span)
        } else {
            ""
        },
        span_name: if known {
            store.str(store.span(b.span).name)
        } else {
            ""
        },
        related_trace_id,
        related_span_id,
        message: &b.message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Options;
    use crate::analysis::breaks::BreakKind;
    use crate::model::SpanKind::{Client, Internal, Server};
    use crate::model::{Batch, Span, SpanKind, StatusCode};

    const MS: u64 = 1_000_000;

    /// The fixture: gateway → order (one call, 20 ms), order → postgresql, a conversion chain
    /// across both, a goroutine hop in the order service. `reversed` feeds the spans in the
    /// opposite order, which must not change a byte of the report.
    fn fixture(reversed: bool) -> Store {
        let mut b = Batch::new();
        let gw = b.add_service_resource("api-gateway");
        let order = b.add_service_resource("order-svc");
        #[allow(clippy::type_complexity)]
        let rows: [(u32, u64, u64, u64, u64, SpanKind, &str, &[(&str, &str)]); 7] = [
            (gw, 0xa1, 0, 0, 100, Server, "POST /orders", &[]),
            (
                gw,
                0xa2,
                0xa1,
                1,
                3,
                Internal,
                "type.convert.[]byte.to.*dto.A",
                &[],
            ),
            (gw, 0xa3, 0xa1, 5, 50, Client, "CreateOrder", &[]),
            (
                order,
                0xb1,
                0xa3,
                10,
                30,
                Server,
                "CreateOrder",
                &[("goroutine.id", "1")],
            ),
            (
                order,
                0xb2,
                0xb1,
                11,
                12,
                Internal,
                "type.convert.*dto.A.to.*pb.B",
                &[("goroutine.id", "2")],
            ),
            (
                order,
                0xb3,
                0xb1,
                13,
                16,
                Client,
                "INSERT",
                &[("db.system", "postgresql")],
            ),
            (order, 0xb4, 0xfff, 40, 41, Internal, "lost", &[]),
        ];
        let order_of: Vec<usize> = if reversed {
            (0..rows.len()).rev().collect()
        } else {
            (0..rows.len()).collect()
        };
        for k in order_of {
            let (r, id, parent, s, e, kind, name, attrs) = rows[k];
            let mark = b.attr_mark();
            for (k, v) in attrs {
                b.push_str_attr(k, v);
            }
            let attrs = b.attrs_since(mark);
            let name = b.intern(name);
            b.spans.push(Span {
                trace_id: 0xfeed,
                span_id: id,
                parent_id: parent,
                start: s * MS,
                end: e * MS,
                name,
                resource: r,
                attrs,
                kind,
                status: if id == 0xb1 {
                    StatusCode::Error
                } else {
                    StatusCode::Unset
                },
                ..Span::default()
            });
        }
        let mut store = Store::new();
        let input = store.add_input("a.json", "otlp-json");
        store.add_batch(b, input);
        store.build_index();
        store
    }

    fn breaks(store: &Store) -> Vec<Break> {
        let find = |id| store.find_span(0xfeed, id).unwrap_or(u32::MAX);
        // Deliberately out of order: the report sorts them.
        vec![
            Break {
                kind: BreakKind::SpanOutlivesParent,
                span: find(0xb2),
                related: Some(find(0xb1)),
                message: "outlived".into(),
            },
            Break {
                kind: BreakKind::OrphanSpan,
                span: find(0xb4),
                related: None,
                message: "parent 0000000000000fff not loaded".into(),
            },
        ]
    }

    fn report_text(reversed: bool) -> String {
        let store = fixture(reversed);
        let brk = breaks(&store);
        let analysis = Analysis::with_breaks(&store, &Options::default(), brk);
        Report::build(&store, &analysis)
            .to_json()
            .unwrap_or_default()
    }

    /// Keys in document order, each with its nesting depth (2 spaces per level).
    fn keys(json: &str) -> Vec<(usize, String)> {
        json.lines()
            .filter_map(|l| {
                let t = l.trim_start();
                let depth = (l.len() - t.len()) / 2;
                let key = t.strip_prefix('"')?.split_once("\":")?.0;
                Some((depth, key.to_string()))
            })
            .collect()
    }

    #[test]
    fn keys_follow_the_spec_in_order() {
        let json = report_text(false);
        let top: Vec<String> = keys(&json)
            .into_iter()
            .filter(|(d, _)| *d == 1)
            .map(|(_, k)| k)
            .collect();
        assert_eq!(
            top,
            [
                "schema",
                "inputs",
                "spans",
                "traces",
                "services",
                "service_edges",
                "conversions",
                "conversion_chains",
                "goroutine_hops",
                "breaks",
                "warnings"
            ]
        );
        // Objects inside the lists open at depth 2 and hold their keys at depth 3.
        let objects = |name: &str| -> Vec<Vec<String>> {
            let mut in_it = false;
            let mut out: Vec<Vec<String>> = Vec::new();
            for line in json.lines() {
                let depth = (line.len() - line.trim_start().len()) / 2;
                if let Some((1, k)) = keys(line).pop() {
                    in_it = k == name;
                } else if in_it && depth == 2 && line.trim() == "{" {
                    out.push(Vec::new());
                } else if let (true, Some((3, k)), Some(obj)) =
                    (in_it, keys(line).pop(), out.last_mut())
                {
                    obj.push(k);
                }
            }
            out
        };
        assert_eq!(objects("inputs"), [["path", "format", "spans", "warnings"]]);
        for o in objects("services") {
            assert_eq!(o, ["name", "spans", "virtual"]);
        }
        let edges = objects("service_edges");
        assert_eq!(edges.len(), 2);
        for o in edges {
            assert_eq!(
                o,
                [
                    "from", "to", "calls", "errors", "p50_ms", "p95_ms", "p99_ms", "broken",
                    "unpaired"
                ]
            );
        }
        for o in objects("conversions") {
            assert_eq!(o, ["from", "to", "count", "errors", "services"]);
        }
        assert_eq!(
            objects("conversion_chains"),
            [["trace_id", "span_ids", "types", "services"]]
        );
        let breaks = objects("breaks");
        let base = [
            "kind",
            "severity",
            "trace_id",
            "span_id",
            "service",
            "span_name",
        ];
        let mut related: Vec<&str> = base.to_vec();
        related.extend(["related_trace_id", "related_span_id", "message"]);
        let mut plain: Vec<&str> = base.to_vec();
        plain.push("message");
        assert_eq!(breaks, [plain, related]);
    }

    #[test]
    fn values_are_sorted_and_deterministic() {
        let json = report_text(false);
        assert_eq!(json, report_text(true), "input order must not matter");
        let v: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(v["schema"], "tracetopo.report/v1");
        assert_eq!(
            (v["spans"].as_u64(), v["traces"].as_u64()),
            (Some(7), Some(1))
        );
        assert_eq!(v["inputs"][0]["spans"], 7);

        let names: Vec<&str> = v["services"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s["name"].as_str())
            .collect();
        assert_eq!(names, ["api-gateway", "order-svc", "postgresql"]);
        assert_eq!(v["services"][0]["spans"], 3);
        assert_eq!(v["services"][2]["virtual"], true);

        let e = &v["service_edges"];
        assert_eq!(e[0]["from"], "api-gateway");
        assert_eq!(e[0]["to"], "order-svc");
        // One call measured on the 20 ms server span, which failed.
        assert_eq!(e[0]["calls"], 1);
        assert_eq!(e[0]["errors"], 1);
        assert_eq!(e[0]["p99_ms"], 20.0);
        assert_eq!(e[1]["to"], "postgresql");
        assert_eq!(e[1]["p50_ms"], 3.0);

        let c = &v["conversion_chains"][0];
        assert_eq!(c["trace_id"], "0000000000000000000000000000feed");
        assert_eq!(
            c["span_ids"],
            serde_json::json!(["00000000000000a2", "00000000000000b2"])
        );
        assert_eq!(c["types"], serde_json::json!(["[]byte", "*dto.A", "*pb.B"]));
        assert_eq!(
            c["services"],
            serde_json::json!(["api-gateway", "order-svc"])
        );
        assert_eq!(v["conversions"][0]["from"], "*dto.A", "sorted by from");
        assert_eq!(v["goroutine_hops"], 1);

        let b = &v["breaks"];
        assert_eq!(b[0]["kind"], "orphan_span");
        assert_eq!(b[0]["severity"], "error");
        assert_eq!(b[0]["span_id"], "00000000000000b4");
        assert_eq!(b[0]["service"], "order-svc");
        assert_eq!(b[0]["span_name"], "lost");
        assert!(b[0].get("related_span_id").is_none(), "absent, not null");
        assert_eq!(b[1]["kind"], "span_outlives_parent");
        assert_eq!(b[1]["severity"], "warning");
        assert_eq!(b[1]["related_span_id"], "00000000000000b1");
        assert_eq!(v["warnings"], serde_json::json!([]));
    }
}
