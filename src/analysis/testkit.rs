//! Hand-built stores for the analysis tests, here and in `tests/it` (the `testkit` feature):
//! services with a process identity, spans with attributes, times in milliseconds or in
//! nanoseconds after an origin.

use crate::model::{Batch, Event, Link, Span, SpanKind, StatusCode, Store};

/// An attribute value in a test span.
#[derive(Clone, Copy)]
pub enum V<'a> {
    S(&'a str),
    I(i64),
}

pub const MS: u64 = 1_000_000;

/// The (service, instance) pairs of the shop most tests model: the gateway, two processes of
/// the order service, the user service.
pub const GATEWAY: (&str, &str) = ("api-gateway", "gw-1");
pub const ORDER: (&str, &str) = ("order-svc", "order-1");
pub const ORDER_2: (&str, &str) = ("order-svc", "order-2");
pub const USER: (&str, &str) = ("user-svc", "user-1");

impl<'a> From<&'a str> for V<'a> {
    fn from(s: &'a str) -> Self {
        V::S(s)
    }
}

#[derive(Default)]
pub struct Kit {
    pub batch: Batch,
    /// Added to every span time (nanoseconds since the epoch).
    origin: u64,
}

impl Kit {
    pub fn new() -> Self {
        Self::default()
    }

    /// A kit whose span times count from `origin`: a realistic epoch, so that subtracting a
    /// tolerance never reaches zero.
    pub fn starting_at(origin: u64) -> Self {
        Kit {
            origin,
            ..Self::default()
        }
    }

    /// A kit with a resource for each (service, instance), in this order, and their ids.
    pub fn with_services<const N: usize>(services: [(&str, &str); N]) -> (Self, [u32; N]) {
        let mut k = Self::new();
        let ids = services.map(|(service, instance)| k.service(service, instance));
        (k, ids)
    }

    /// A resource for `service` running as process `instance`.
    pub fn service(&mut self, service: &str, instance: &str) -> u32 {
        let mark = self.batch.attr_mark();
        self.batch.push_str_attr("service.name", service);
        self.batch.push_str_attr("service.instance.id", instance);
        self.batch.add_resource(mark)
    }

    /// Adds a span (times in ms) and returns its position in the batch.
    #[allow(clippy::too_many_arguments)]
    pub fn span(
        &mut self,
        res: u32,
        trace: u128,
        id: u64,
        parent: u64,
        (start_ms, end_ms): (u64, u64),
        kind: SpanKind,
        name: &str,
        attrs: &[(&str, V)],
    ) -> usize {
        let k = self.span_ns(
            res,
            (trace, id, parent),
            kind,
            (start_ms * MS, end_ms * MS),
            name,
        );
        self.attrs(k, attrs);
        k
    }

    /// Adds a span without attributes, `ids` = (trace, span, parent), times in nanoseconds
    /// after the origin; returns its position in the batch.
    pub fn span_ns(
        &mut self,
        res: u32,
        (trace, id, parent): (u128, u64, u64),
        kind: SpanKind,
        (start, end): (u64, u64),
        name: &str,
    ) -> usize {
        let name = self.batch.intern(name);
        self.batch.spans.push(Span {
            trace_id: trace,
            span_id: id,
            parent_id: parent,
            start: self.origin + start,
            end: self.origin + end,
            name,
            resource: res,
            kind,
            ..Span::default()
        });
        self.batch.spans.len() - 1
    }

    /// Gives span `k` these attributes (call right after adding the span: they are the
    /// batch's newest).
    pub fn attrs<'a>(&mut self, k: usize, attrs: &[(&str, impl Into<V<'a>> + Copy)]) {
        let mark = self.batch.attr_mark();
        for &(key, v) in attrs {
            match v.into() {
                V::S(s) => self.batch.push_str_attr(key, s),
                V::I(n) => self.batch.push_int_attr(key, n),
            }
        }
        let attrs = self.batch.attrs_since(mark);
        if let Some(s) = self.batch.spans.get_mut(k) {
            s.attrs = attrs;
        }
    }

    /// The services `api-gateway` (gw-1) and `order-svc` (order-1), and in `trace` the
    /// gateway's `POST /orders` (span 1, 0–100 ms) with its first conversion step,
    /// `[]byte → *dto.A` (span 2, 1–3 ms). Returns the two services.
    pub fn checkout(&mut self, trace: u128) -> (u32, u32) {
        let gw = self.service(GATEWAY.0, GATEWAY.1);
        let order = self.service(ORDER.0, ORDER.1);
        self.span(
            gw,
            trace,
            1,
            0,
            (0, 100),
            SpanKind::Server,
            "POST /orders",
            &[],
        );
        let step = "type.convert.[]byte.to.*dto.A";
        self.span(gw, trace, 2, 1, (1, 3), SpanKind::Internal, step, &[]);
        (gw, order)
    }

    pub fn error(&mut self, k: usize) {
        if let Some(s) = self.batch.spans.get_mut(k) {
            s.status = StatusCode::Error;
        }
    }

    /// Gives span `k` one event named `name` (call right after adding the span).
    pub fn event(&mut self, k: usize, name: &str) {
        let name = self.batch.intern(name);
        let start = self.batch.events.len() as u32;
        self.batch.events.push(Event {
            time: 0,
            name,
            attrs: Default::default(),
        });
        if let Some(s) = self.batch.spans.get_mut(k) {
            s.events = crate::model::ArenaRange { start, len: 1 };
        }
    }

    /// Gives span `k` links to these (trace, span) ids (call right after adding the span:
    /// a span's links are a range of the batch's).
    pub fn links(&mut self, k: usize, to: &[(u128, u64)]) {
        let start = self.batch.links.len() as u32;
        self.batch
            .links
            .extend(to.iter().map(|&(trace_id, span_id)| Link {
                trace_id,
                span_id,
                attrs: Default::default(),
            }));
        if let Some(s) = self.batch.spans.get_mut(k) {
            s.links = crate::model::ArenaRange {
                start,
                len: to.len() as u32,
            };
        }
    }

    pub fn store(self) -> Store {
        self.store_as("test.json")
    }

    /// The indexed store of the batch, read from an OTLP JSON input named `path`.
    pub fn store_as(self, path: &str) -> Store {
        let mut store = Store::new();
        let input = store.add_input(path, "otlp-json");
        store.add_batch(self.batch, input);
        store.build_index();
        store
    }
}

/// The attributes of a span that runs on goroutine `n`.
pub fn goroutine(n: i64) -> [(&'static str, V<'static>); 1] {
    [("goroutine.id", V::I(n))]
}

/// The store index of the span with this trace and span id.
pub fn idx(store: &Store, trace: u128, span: u64) -> u32 {
    store.find_span(trace, span).unwrap_or(u32::MAX)
}
