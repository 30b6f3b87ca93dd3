//! The report document of spec §7 (`tracetopo.report/v1`): field names and order as in the
//! spec, ids as lowercase hex, every list sorted so that two runs print the same bytes.
//!
//! A dump with a break on most spans has hundreds of thousands of breaks and a report of
//! hundreds of megabytes, so the long lists (breaks, conversion chains) are kept as sorted
//! numbers into the analysis and each row is serialized only when it is written: chunks of
//! rows are formatted on all cores while the previous chunks are written out.

use std::io::{self, Write};

use rayon::prelude::*;
use serde::{Serialize, Serializer};

use crate::analysis::Analysis;
use crate::analysis::breaks::{Break, BreakKind, Severity};
use crate::analysis::chains::Chain;
use crate::analysis::services::ServiceEdge;
use crate::model::ids::hex_digits;
use crate::model::{Input, LogCounts, Store, Warning};

pub const SCHEMA: &str = "tracetopo.report/v1";

#[derive(Clone)]
pub struct Report<'a> {
    pub schema: &'static str,
    pub inputs: &'a [Input],
    pub spans: u64,
    pub traces: u64,
    pub services: Vec<ServiceOut<'a>>,
    pub service_edges: Vec<EdgeOut<'a>>,
    pub conversions: Vec<ConversionOut<'a>>,
    pub goroutine_hops: u64,
    /// How the log records were joined (spec §7).
    pub logs: LogCounts,
    pub warnings: &'a [Warning],
    store: &'a Store,
    analysis: &'a Analysis,
    /// Numbers into `analysis.chains`, in report order.
    chains: Vec<u32>,
    /// Numbers into `analysis.breaks`, in report order (by kind name, then ids).
    breaks: Vec<u32>,
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
    /// calls, errors, p50/p95/p99 ms, broken, unpaired.
    #[serde(flatten)]
    pub figures: &'a ServiceEdge,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConversionOut<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub count: u64,
    pub errors: u64,
    pub services: Vec<&'a str>,
}

/// One conversion chain as the report prints it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ChainOut<'a> {
    pub trace_id: TraceHex,
    pub span_ids: Vec<SpanHex>,
    pub types: Vec<&'a str>,
    pub services: Vec<&'a str>,
}

/// One break as the report prints it. The derived order is the report's (spec §7: kind
/// name, trace id, span id, then the rest for ties).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct BreakOut<'a> {
    pub kind: &'static str,
    pub severity: Severity,
    pub trace_id: TraceHex,
    pub span_id: SpanHex,
    pub service: &'a str,
    pub span_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related_trace_id: Option<TraceHex>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related_span_id: Option<SpanHex>,
    /// The input the related span was read from, when it is not the span's own: where the
    /// other half of the evidence came from (another file, or a backend's "other half").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related_input: Option<&'a str>,
    /// Written from the break's facts when the row is made (`Break::message`).
    pub message: String,
}

/// A trace id, serialized as 32 lowercase hex digits. Ordered as its number, which is the
/// order of its fixed-width hex text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TraceHex(pub u128);

/// A span id, serialized as 16 lowercase hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SpanHex(pub u64);

impl Serialize for TraceHex {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(hex_digits(self.0, &mut [0; 32]))
    }
}

impl Serialize for SpanHex {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(hex_digits(u128::from(self.0), &mut [0; 16]))
    }
}

impl std::fmt::Display for TraceHex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(hex_digits(self.0, &mut [0; 32]))
    }
}

impl std::fmt::Display for SpanHex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(hex_digits(u128::from(self.0), &mut [0; 16]))
    }
}

/// Numbers into `analysis.breaks` in report order: placed by kind name (a counting sort,
/// stable), then each kind's run sorted by a stable sort on (trace id, span id), the full row
/// only on ties. `find_breaks` already orders each kind by ids, and the stable sort merely
/// checks such a run, in one pass in store order; the only memory is the 4 bytes per break
/// that the report keeps.
fn sorted_breaks(store: &Store, analysis: &Analysis) -> Vec<u32> {
    let all = &analysis.breaks;
    let mut starts = [0usize; BreakKind::ALL.len() + 1];
    for b in all {
        starts[usize::from(name_rank(b.kind)) + 1] += 1;
    }
    for k in 1..starts.len() {
        starts[k] += starts[k - 1];
    }
    let mut next = starts;
    let mut order = vec![0u32; all.len()];
    for (i, b) in all.iter().enumerate() {
        let at = &mut next[usize::from(name_rank(b.kind))];
        order[*at] = i as u32;
        *at += 1;
    }
    let ids = |i: u32| {
        let s = all
            .get(i as usize)
            .and_then(|b| store.spans.get(b.span as usize));
        s.map_or((0, 0), |s| (s.trace_id, s.span_id))
    };
    let mut runs = Vec::new();
    let mut rest = order.as_mut_slice();
    for w in starts.windows(2) {
        let (run, tail) = rest.split_at_mut(w[1] - w[0]);
        runs.push(run);
        rest = tail;
    }
    runs.into_par_iter().for_each(|run| {
        run.sort_by(|&a, &b| {
            ids(a).cmp(&ids(b)).then_with(|| {
                let row = |i: u32| break_out(store, &all[i as usize]);
                row(a).cmp(&row(b))
            })
        })
    });
    order
}

/// The rank of each kind's name in alphabetical order: the report's first sort key.
fn name_rank(kind: BreakKind) -> u8 {
    BreakKind::ALL
        .iter()
        .filter(|k| k.name() < kind.name())
        .count() as u8
}

impl<'a> Report<'a> {
    /// The report of an indexed `store` and its analysis.
    pub fn build(store: &'a Store, analysis: &'a Analysis) -> Self {
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
                Some(EdgeOut {
                    from: &sg[a].name,
                    to: &sg[b].name,
                    figures: &sg[e],
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
                    services: w.services.iter().map(|&s| svc_name(store, s)).collect(),
                })
            })
            .collect();
        conversions.sort_by(|a, b| (a.from, a.to).cmp(&(b.from, b.to)));

        // Chains by trace id, then span ids; a stable sort keeps the analysis' order on ties.
        let span_id = |i: &u32| store.spans.get(*i as usize).map_or(0, |s| s.span_id);
        let mut chains: Vec<u32> = (0..analysis.chains.len() as u32).collect();
        chains.par_sort_by(|&a, &b| {
            let (a, b) = (&analysis.chains[a as usize], &analysis.chains[b as usize]);
            a.trace_id
                .cmp(&b.trace_id)
                .then_with(|| a.spans.iter().map(span_id).cmp(b.spans.iter().map(span_id)))
        });

        let breaks = sorted_breaks(store, analysis);

        Report {
            schema: SCHEMA,
            inputs: &store.inputs,
            spans: store.spans.len() as u64,
            traces: store.index.traces.len() as u64,
            services,
            service_edges,
            conversions,
            goroutine_hops: analysis.goroutine_hops,
            logs: store.log_counts(),
            warnings: &store.diag.warnings,
            store,
            analysis,
            chains,
            breaks,
        }
    }

    /// The number of breaks.
    pub fn break_count(&self) -> usize {
        self.breaks.len()
    }

    /// The `n`th break in report order.
    pub fn break_at(&self, n: usize) -> Option<BreakOut<'a>> {
        let i = *self.breaks.get(n)?;
        Some(break_out(self.store, &self.analysis.breaks[i as usize]))
    }

    /// The breaks in report order.
    pub fn breaks(&self) -> impl ExactSizeIterator<Item = BreakOut<'a>> + '_ {
        self.breaks
            .iter()
            .map(|&i| break_out(self.store, &self.analysis.breaks[i as usize]))
    }

    /// The breaks of one kind, in report order (they are one run of the sorted list).
    pub fn breaks_of(&self, kind: BreakKind) -> impl ExactSizeIterator<Item = BreakOut<'a>> + '_ {
        let rank = name_rank(kind);
        let rank_at = |i: &u32| name_rank(self.analysis.breaks[*i as usize].kind);
        let lo = self.breaks.partition_point(|i| rank_at(i) < rank);
        let hi = self.breaks.partition_point(|i| rank_at(i) <= rank);
        self.breaks[lo..hi]
            .iter()
            .map(|&i| break_out(self.store, &self.analysis.breaks[i as usize]))
    }

    /// The number of conversion chains.
    pub fn chain_count(&self) -> usize {
        self.chains.len()
    }

    /// The conversion chains in report order.
    pub fn chains(&self) -> impl ExactSizeIterator<Item = ChainOut<'a>> + '_ {
        self.chains
            .iter()
            .map(|&i| chain_out(self.store, self.analysis, &self.analysis.chains[i as usize]))
    }

    /// Writes the document as pretty-printed JSON (no final line feed), row by row.
    pub fn write_json(&self, w: &mut impl Write) -> io::Result<()> {
        let mut doc = Doc { w, first: true };
        doc.field("schema", &self.schema)?;
        doc.field("inputs", &self.inputs)?;
        doc.field("spans", &self.spans)?;
        doc.field("traces", &self.traces)?;
        doc.field("services", &self.services)?;
        doc.field("service_edges", &self.service_edges)?;
        doc.field("conversions", &self.conversions)?;
        doc.rows("conversion_chains", &self.chains, |i| {
            chain_out(self.store, self.analysis, &self.analysis.chains[i as usize])
        })?;
        doc.field("goroutine_hops", &self.goroutine_hops)?;
        doc.field("logs", &self.logs)?;
        doc.rows("breaks", &self.breaks, |i| {
            break_out(self.store, &self.analysis.breaks[i as usize])
        })?;
        doc.field("warnings", &self.warnings)?;
        doc.w.write_all(b"\n}")
    }

    /// The document as pretty-printed JSON, in memory (tests and small inputs).
    pub fn to_json(&self) -> io::Result<String> {
        let mut out = Vec::new();
        self.write_json(&mut out)?;
        String::from_utf8(out).map_err(io::Error::other)
    }
}

/// The top-level object of the document, written field by field with serde_json's pretty
/// layout (two-space indent, `": "`), so the bytes are those of `to_string_pretty` of the
/// whole document.
struct Doc<'w, W: Write> {
    w: &'w mut W,
    first: bool,
}

/// Rows formatted per parallel task, and tasks per window written before the next is formatted
/// (two windows of ~550-byte break rows in memory: ~4 MB).
const ROWS_PER_TASK: usize = 1024;
const TASKS_PER_WINDOW: usize = 4;

impl<W: Write> Doc<'_, W> {
    fn key(&mut self, key: &str) -> io::Result<()> {
        self.w
            .write_all(if self.first { b"{\n  " } else { b",\n  " })?;
        self.first = false;
        serde_json::to_writer(&mut *self.w, key)?;
        self.w.write_all(b": ")
    }

    fn field(&mut self, key: &str, value: &impl Serialize) -> io::Result<()> {
        self.key(key)?;
        let mut buf = Vec::new();
        serde_json::to_writer_pretty(&mut buf, value)?;
        let mut out = Vec::with_capacity(buf.len());
        indent_into(&mut out, &buf, b"  ");
        self.w.write_all(&out)
    }

    /// A list whose rows are made from `items` one at a time: formatted on all cores a window
    /// at a time, each window written while the next is formatted.
    fn rows<T: Row>(
        &mut self,
        key: &str,
        items: &[u32],
        row: impl Fn(u32) -> T + Sync,
    ) -> io::Result<()> {
        self.key(key)?;
        if items.is_empty() {
            return self.w.write_all(b"[]");
        }
        self.w.write_all(b"[")?;
        let format = |window: &[u32], first: bool| -> io::Result<Vec<Vec<u8>>> {
            window
                .par_chunks(ROWS_PER_TASK)
                .enumerate()
                .map(|(k, task)| {
                    let mut out = Vec::with_capacity(task.len() * 512);
                    let mut scratch = Vec::new();
                    for (j, &i) in task.iter().enumerate() {
                        let lead: &[u8] = if first && k == 0 && j == 0 {
                            b"\n"
                        } else {
                            b",\n"
                        };
                        out.extend_from_slice(lead);
                        out.extend_from_slice(b"    ");
                        row(i).write_row(&mut out, &mut scratch)?;
                    }
                    Ok(out)
                })
                .collect()
        };
        let mut windows = items.chunks(ROWS_PER_TASK * TASKS_PER_WINDOW);
        let mut pending = match windows.next() {
            Some(w) => format(w, true)?,
            None => Vec::new(),
        };
        for window in windows {
            // The writer stays on this thread (a locked stdout cannot move) while the pool
            // formats the next window.
            let mut next = None;
            let mut written = Ok(());
            rayon::in_place_scope(|s| {
                s.spawn(|_| next = Some(format(window, false)));
                written = pending.iter().try_for_each(|b| self.w.write_all(b));
            });
            written?;
            pending = next.unwrap_or_else(|| Ok(Vec::new()))?;
        }
        for b in &pending {
            self.w.write_all(b)?;
        }
        self.w.write_all(b"\n  ]")
    }
}

/// A row of a list of the document (two levels deep).
trait Row: Serialize {
    /// Appends the row as serde_json's pretty printer writes it two levels deep.
    fn write_row(&self, out: &mut Vec<u8>, scratch: &mut Vec<u8>) -> io::Result<()> {
        scratch.clear();
        serde_json::to_writer_pretty(&mut *scratch, self)?;
        indent_into(out, scratch, b"    ");
        Ok(())
    }
}

impl Row for ChainOut<'_> {}

/// Breaks can number in the hundreds of thousands: their rows are written field by field, the
/// bytes serde_json's pretty printer gives (a test compares the two), without its per-field
/// dispatch and the second pass that indents.
impl Row for BreakOut<'_> {
    fn write_row(&self, out: &mut Vec<u8>, _: &mut Vec<u8>) -> io::Result<()> {
        let mut hex = [0u8; 32];
        out.extend_from_slice(b"{\n      \"kind\": ");
        serde_json::to_writer(&mut *out, self.kind)?;
        out.extend_from_slice(b",\n      \"severity\": \"");
        out.extend_from_slice(severity_name(self.severity).as_bytes());
        out.extend_from_slice(b"\",\n      \"trace_id\": \"");
        out.extend_from_slice(hex_digits(self.trace_id.0, &mut hex).as_bytes());
        out.extend_from_slice(b"\",\n      \"span_id\": \"");
        out.extend_from_slice(hex_digits(u128::from(self.span_id.0), &mut hex[..16]).as_bytes());
        out.extend_from_slice(b"\",\n      \"service\": ");
        serde_json::to_writer(&mut *out, self.service)?;
        out.extend_from_slice(b",\n      \"span_name\": ");
        serde_json::to_writer(&mut *out, self.span_name)?;
        if let Some(t) = self.related_trace_id {
            out.extend_from_slice(b",\n      \"related_trace_id\": \"");
            out.extend_from_slice(hex_digits(t.0, &mut hex).as_bytes());
            out.push(b'"');
        }
        if let Some(s) = self.related_span_id {
            out.extend_from_slice(b",\n      \"related_span_id\": \"");
            out.extend_from_slice(hex_digits(u128::from(s.0), &mut hex[..16]).as_bytes());
            out.push(b'"');
        }
        if let Some(input) = self.related_input {
            out.extend_from_slice(b",\n      \"related_input\": ");
            serde_json::to_writer(&mut *out, input)?;
        }
        out.extend_from_slice(b",\n      \"message\": ");
        serde_json::to_writer(&mut *out, &self.message)?;
        out.extend_from_slice(b"\n    }");
        Ok(())
    }
}

/// The spec name of a severity, as serde writes it.
pub fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

/// Appends `pretty` (serde_json's pretty output of one value) with `indent` after each line
/// break: the same value pretty-printed one level deeper. JSON strings escape their line
/// breaks, so every raw `\n` is layout.
fn indent_into(out: &mut Vec<u8>, pretty: &[u8], indent: &[u8]) {
    let mut rest = pretty;
    while let Some(at) = memchr::memchr(b'\n', rest) {
        out.extend_from_slice(&rest[..=at]);
        out.extend_from_slice(indent);
        rest = &rest[at + 1..];
    }
    out.extend_from_slice(rest);
}

fn svc_name(store: &Store, k: u32) -> &str {
    store
        .index
        .services
        .get(k as usize)
        .map_or("", |&s| store.str(s))
}

fn chain_out<'a>(store: &'a Store, analysis: &'a Analysis, c: &Chain) -> ChainOut<'a> {
    ChainOut {
        trace_id: TraceHex(c.trace_id),
        span_ids: c
            .spans
            .iter()
            .map(|&i| SpanHex(store.spans.get(i as usize).map_or(0, |s| s.span_id)))
            .collect(),
        types: c
            .types
            .iter()
            .map(|&t| analysis.types.type_name(t))
            .collect(),
        services: c.services.iter().map(|&s| svc_name(store, s)).collect(),
    }
}

/// A break with its span's ids, service and name. A span index outside the store (a detector
/// bug) prints zero ids and empty names rather than failing the report.
fn break_out<'a>(store: &'a Store, b: &'a Break) -> BreakOut<'a> {
    let ids = |i: u32| {
        store
            .spans
            .get(i as usize)
            .map(|s| (TraceHex(s.trace_id), SpanHex(s.span_id)))
    };
    let (trace_id, span_id) = ids(b.span).unwrap_or((TraceHex(0), SpanHex(0)));
    let known = (b.span as usize) < store.spans.len();
    let (related_trace_id, related_span_id) = b.related.and_then(ids).unzip();
    let input_of = |i: u32| store.spans.get(i as usize).map(|s| s.input);
    let related_input = b
        .related
        .and_then(input_of)
        .filter(|&r| Some(r) != input_of(b.span))
        .and_then(|r| store.inputs.get(r as usize))
        .map(|i| i.path.as_str());
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
        related_input,
        message: b.message(store),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Options;
    use crate::analysis::breaks::{BreakKind, Facts};
    use crate::analysis::testkit::Kit;
    use crate::model::SpanKind;
    use crate::model::SpanKind::{Client, Internal, Server};

    /// The fixture: gateway → order (one call, 20 ms), order → postgresql, a conversion chain
    /// across both, a goroutine hop in the order service. `reversed` feeds the spans in the
    /// opposite order, which must not change a byte of the report.
    fn fixture(reversed: bool) -> Store {
        let mut kit = Kit::new();
        let gw = kit.batch.add_service_resource("api-gateway");
        let order = kit.batch.add_service_resource("order-svc");
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
            let at = kit.span(r, 0xfeed, id, parent, (s, e), kind, name, &[]);
            kit.attrs(at, attrs);
            if id == 0xb1 {
                kit.error(at);
            }
        }
        kit.store_as("a.json")
    }

    fn breaks(store: &Store) -> Vec<Break> {
        let find = |id| store.find_span(0xfeed, id).unwrap_or(u32::MAX);
        // Deliberately out of order: the report sorts them.
        vec![
            Break {
                kind: BreakKind::SpanOutlivesParent,
                span: find(0xb2),
                related: Some(find(0xb1)),
                facts: Facts::Text("outlived".into()),
            },
            Break {
                kind: BreakKind::OrphanSpan,
                span: find(0xb4),
                related: None,
                facts: Facts::Text("parent 0000000000000fff not loaded".into()),
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

    /// The whole document in memory, serialized by serde_json in one call: what the streamed
    /// writer must reproduce byte for byte.
    #[derive(Serialize)]
    struct Whole<'a> {
        schema: &'static str,
        inputs: &'a [Input],
        spans: u64,
        traces: u64,
        services: &'a [ServiceOut<'a>],
        service_edges: &'a [EdgeOut<'a>],
        conversions: &'a [ConversionOut<'a>],
        conversion_chains: Vec<ChainOut<'a>>,
        goroutine_hops: u64,
        logs: LogCounts,
        breaks: Vec<BreakOut<'a>>,
        warnings: &'a [Warning],
    }

    fn whole(r: &Report) -> String {
        serde_json::to_string_pretty(&Whole {
            schema: r.schema,
            inputs: r.inputs,
            spans: r.spans,
            traces: r.traces,
            services: &r.services,
            service_edges: &r.service_edges,
            conversions: &r.conversions,
            conversion_chains: r.chains().collect(),
            goroutine_hops: r.goroutine_hops,
            logs: r.logs,
            breaks: r.breaks().collect(),
            warnings: r.warnings,
        })
        .unwrap_or_default()
    }

    #[test]
    fn streamed_rows_are_the_bytes_of_the_whole_document() {
        let store = fixture(false);
        // Enough breaks for several windows of parallel tasks, with ties on kind and span
        // that only the message (or the related span) orders, fed in reverse.
        let n = ROWS_PER_TASK * TASKS_PER_WINDOW * 2 + 7;
        let mut brk = breaks(&store);
        let spans = store.spans.len() as u32;
        brk.extend((0..n).rev().map(|k| Break {
            kind: BreakKind::ALL[k % BreakKind::ALL.len()],
            span: k as u32 % spans,
            related: (k % 3 == 0).then_some((k as u32 / 3) % spans),
            facts: Facts::Text(format!("m\"{}\n\u{1b}é\\", k % 5).into()),
        }));
        let analysis = Analysis::with_breaks(&store, &Options::default(), brk);
        let report = Report::build(&store, &analysis);
        let streamed = report.to_json().unwrap_or_default();
        assert_eq!(streamed.len(), whole(&report).len());
        assert!(streamed == whole(&report));
        let rows: Vec<BreakOut> = report.breaks().collect();
        assert_eq!(rows.len(), n + 2);
        assert!(rows.windows(2).all(|w| w[0] <= w[1]), "rows are sorted");

        // The small fixture too, and with no rows at all.
        let analysis = Analysis::with_breaks(&store, &Options::default(), breaks(&store));
        let report = Report::build(&store, &analysis);
        assert_eq!(report.to_json().unwrap_or_default(), whole(&report));
        let mut empty = Store::new();
        empty.build_index();
        let analysis = Analysis::run(&empty, &Options::default());
        let report = Report::build(&empty, &analysis);
        let json = report.to_json().unwrap_or_default();
        assert_eq!(json, whole(&report));
        assert!(json.contains("\"breaks\": [],"), "{json}");
    }

    /// A related span read from another input (a second file, or a backend's "other half")
    /// names that input in the row; a related span of the same input does not.
    #[test]
    fn a_related_span_of_another_input_names_it() {
        let mut store = fixture(false);
        let other = store.add_input("tempo http://t:3200 (other half)", "tempo");
        let b1 = store.find_span(0xfeed, 0xb1).unwrap_or(u32::MAX);
        store.spans[b1 as usize].input = other;
        let analysis = Analysis::with_breaks(&store, &Options::default(), breaks(&store));
        let report = Report::build(&store, &analysis);
        let json = report.to_json().unwrap_or_default();
        assert_eq!(json, whole(&report));
        let v: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
        let b = &v["breaks"];
        assert_eq!(b[1]["related_span_id"], "00000000000000b1");
        assert_eq!(b[1]["related_input"], "tempo http://t:3200 (other half)");
        assert!(b[0].get("related_input").is_none());
        let plain = report_text(false);
        assert!(!plain.contains("related_input"), "same input: no field");
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
                "logs",
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
