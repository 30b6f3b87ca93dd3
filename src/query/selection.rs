//! The selection: what the views highlight and Details describes. `Selection` names things by
//! their number in one session (what views draw with); `SelectionKey` names the same thing by
//! identity (trace and span ids, names, break kind), so a selection survives a live snapshot
//! or a reload, where every number may move.

use super::Session;
use crate::analysis::breaks::BreakKind;

/// The one selection every view highlights and the Details view describes. Numbers are into
/// the session's store and analysis (`Store::spans`, `index.traces`, the graphs' nodes and
/// edges, `Analysis::chains`, `Analysis::breaks`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Selection {
    #[default]
    None,
    Trace(u32),
    Span(u32),
    /// A node of the service graph.
    Service(u32),
    /// An edge of the service graph.
    ServiceEdge(u32),
    /// A node of the type-flow graph.
    Type(u32),
    /// An edge of the type-flow graph.
    TypeEdge(u32),
    Chain(u32),
    Break(u32),
    /// A log record (`Store::logs`).
    Log(u32),
}

/// A span by identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpanKey {
    pub trace: u128,
    pub span: u64,
}

/// A log record by identity: its trace id, time and span id, and its text among records that
/// share those.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogKey {
    pub trace: u128,
    pub time: u64,
    pub span: u64,
    pub body: String,
}

/// A selection by identity, independent of any session's numbering.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SelectionKey {
    #[default]
    None,
    Trace(u128),
    Span(SpanKey),
    Service(String),
    ServiceEdge(String, String),
    Type(String),
    TypeEdge(String, String),
    /// A chain by its first step.
    Chain(SpanKey),
    Break(BreakKind, SpanKey),
    Log(LogKey),
}

impl Session {
    fn span_key(&self, i: u32) -> Option<SpanKey> {
        let s = self.store.spans.get(i as usize)?;
        Some(SpanKey {
            trace: s.trace_id,
            span: s.span_id,
        })
    }

    fn span_of(&self, k: SpanKey) -> Option<u32> {
        self.store.find_span(k.trace, k.span)
    }

    /// What `sel` names, by identity; `SelectionKey::None` when it names nothing here.
    pub fn key_of(&self, sel: Selection) -> SelectionKey {
        let key = match sel {
            Selection::None => None,
            Selection::Trace(t) => {
                let info = self.store.index.traces.get(t as usize);
                info.map(|i| SelectionKey::Trace(i.id))
            }
            Selection::Span(i) => self.span_key(i).map(SelectionKey::Span),
            Selection::Service(n) => self
                .service(n)
                .map(|w| SelectionKey::Service(w.name.clone())),
            Selection::ServiceEdge(e) => self
                .service_edge(e)
                .map(|e| SelectionKey::ServiceEdge(e.from_name.to_string(), e.to_name.to_string())),
            Selection::Type(n) => self
                .has_type(n)
                .then(|| SelectionKey::Type(self.type_name(n).to_string())),
            Selection::TypeEdge(e) => self
                .type_edge(e)
                .map(|e| SelectionKey::TypeEdge(e.from_name.to_string(), e.to_name.to_string())),
            Selection::Chain(c) => self
                .chain(c)
                .and_then(|ch| ch.spans.first())
                .and_then(|&i| self.span_key(i))
                .map(SelectionKey::Chain),
            Selection::Break(b) => self.analysis.breaks.get(b as usize).and_then(|br| {
                let k = self.span_key(br.span)?;
                Some(SelectionKey::Break(br.kind, k))
            }),
            Selection::Log(k) => self.store.logs.get(k as usize).map(|l| {
                SelectionKey::Log(LogKey {
                    trace: l.trace_id,
                    time: l.time,
                    span: l.span_id,
                    body: self.store.log_body(k).to_string(),
                })
            }),
        };
        key.unwrap_or_default()
    }

    /// The thing `key` names in this session; `Selection::None` when it is not here.
    pub fn resolve(&self, key: &SelectionKey) -> Selection {
        let sel = match key {
            SelectionKey::None => None,
            SelectionKey::Trace(id) => self.trace_number(*id).map(Selection::Trace),
            SelectionKey::Span(k) => self.span_of(*k).map(Selection::Span),
            SelectionKey::Service(name) => self.service_node_named(name).map(Selection::Service),
            SelectionKey::ServiceEdge(a, b) => edge_named(
                a,
                b,
                |n| self.service_node_named(n),
                |a, b| self.find_service_edge(a, b),
            )
            .map(Selection::ServiceEdge),
            SelectionKey::Type(name) => self.type_named(name).map(Selection::Type),
            SelectionKey::TypeEdge(a, b) => edge_named(
                a,
                b,
                |n| self.type_named(n),
                |a, b| self.find_type_edge(a, b),
            )
            .map(Selection::TypeEdge),
            SelectionKey::Chain(k) => self.span_of(*k).and_then(|first| {
                let chains = &self.analysis.chains;
                let c = chains
                    .iter()
                    .position(|c| c.spans.first() == Some(&first))?;
                Some(Selection::Chain(c as u32))
            }),
            // Among the breaks of the trace: a duplicate_span names a copy of a span, which
            // `find_span` does not return.
            SelectionKey::Break(kind, k) => self.trace_number(k.trace).and_then(|t| {
                let breaks = &self.analysis.breaks;
                let mut of = self.index.breaks_in(t);
                of.find(|&b| {
                    breaks
                        .get(b as usize)
                        .is_some_and(|b| b.kind == *kind && self.span_key(b.span) == Some(*k))
                })
                .map(Selection::Break)
            }),
            // Records are sorted by trace id and time (`Store::join_logs`).
            SelectionKey::Log(k) => {
                let logs = &self.store.logs;
                let from = logs.partition_point(|l| (l.trace_id, l.time) < (k.trace, k.time));
                (from..logs.len())
                    .take_while(|&i| (logs[i].trace_id, logs[i].time) == (k.trace, k.time))
                    .find(|&i| logs[i].span_id == k.span && self.store.log_body(i as u32) == k.body)
                    .map(|i| Selection::Log(i as u32))
            }
        };
        sel.unwrap_or_default()
    }

    /// `sel` of session `old`, found again in this one.
    pub fn carry(&self, old: &Session, sel: Selection) -> Selection {
        self.resolve(&old.key_of(sel))
    }
}

/// The edge between the nodes named `a` and `b` of one graph, when both are there.
fn edge_named(
    a: &str,
    b: &str,
    node: impl Fn(&str) -> Option<u32>,
    edge: impl FnOnce(u32, u32) -> Option<u32>,
) -> Option<u32> {
    edge(node(a)?, node(b)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::index::tests::{broken, samples};

    /// Every kind of selection of one session names the same thing in a later session holding
    /// more data (as a live snapshot or a reload with one more file), where numbers moved.
    #[test]
    fn every_selection_survives_a_new_session() {
        let a = broken();
        let b = samples(&[
            (
                "healthy",
                include_bytes!("../../sample-traces/checkout-healthy.json"),
            ),
            (
                "broken",
                include_bytes!("../../sample-traces/checkout-broken.json"),
            ),
        ]);
        assert!(b.store.spans.len() > a.store.spans.len());
        let mut all = vec![Selection::None];
        all.extend((0..a.store.index.traces.len() as u32).map(Selection::Trace));
        all.extend((0..a.store.spans.len() as u32).map(Selection::Span));
        let g = &a.analysis;
        all.extend((0..g.services.graph.node_count() as u32).map(Selection::Service));
        all.extend((0..g.services.graph.edge_count() as u32).map(Selection::ServiceEdge));
        all.extend((0..g.types.graph.node_count() as u32).map(Selection::Type));
        all.extend((0..g.types.graph.edge_count() as u32).map(Selection::TypeEdge));
        all.extend((0..g.chains.len() as u32).map(Selection::Chain));
        all.extend((0..g.breaks.len() as u32).map(Selection::Break));
        all.extend((0..a.store.logs.len() as u32).map(Selection::Log));
        assert!(g.chains.len() + g.types.graph.node_count() > 0);
        let mut moved = 0;
        for sel in all {
            let key = a.key_of(sel);
            assert_eq!(key == SelectionKey::None, sel == Selection::None, "{sel:?}");
            let carried = b.carry(&a, sel);
            assert_eq!(b.key_of(carried), key, "{sel:?}");
            moved += usize::from(carried != sel);
        }
        assert!(moved > 0, "no number moved: the test shows nothing");
        // Something that is not there resolves to nothing.
        assert_eq!(a.key_of(Selection::Span(u32::MAX)), SelectionKey::None);
        let gone = SelectionKey::Service("no-such-service".into());
        assert_eq!(a.resolve(&gone), Selection::None);
    }

    /// A log record is found again by identity after more records (of traces that sort
    /// before it) arrive: the numbering moves, the record does not.
    #[test]
    fn a_log_record_survives_a_new_session() {
        let broken = include_bytes!("../../sample-traces/checkout-broken.json");
        let zap = include_bytes!("../../sample-traces/order-svc.zap.log");
        let otlp = include_bytes!("../../sample-traces/checkout-broken.logs.json");
        let a = samples(&[("broken", broken), ("zap", zap)]);
        let b = samples(&[("broken", broken), ("otlp", otlp), ("zap", zap)]);
        assert!(!a.store.logs.is_empty() && b.store.logs.len() > a.store.logs.len());
        let mut moved = 0;
        for k in 0..a.store.logs.len() as u32 {
            let key = a.key_of(Selection::Log(k));
            assert!(matches!(key, SelectionKey::Log(_)), "{k}");
            let carried = b.carry(&a, Selection::Log(k));
            assert_eq!(b.key_of(carried), key, "{k}");
            moved += usize::from(carried != Selection::Log(k));
        }
        assert!(moved > 0, "no number moved: the test shows nothing");
        assert_eq!(a.key_of(Selection::Log(u32::MAX)), SelectionKey::None);
    }
}
