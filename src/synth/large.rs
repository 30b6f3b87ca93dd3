//! A fast generator of large OTLP/JSON-lines dumps (load and UI tests): many Go-style services,
//! realistic attributes, conversions, goroutine hops and a small share of deliberate breaks.
//! Output is hand-formatted into reused buffers; each line is one service's Collector batch.

use std::io::{self, BufWriter, Write};
use std::mem::take;

use super::rng::Rng;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LargeConfig {
    /// Requests (traces started at the gateway).
    pub traces: u64,
    /// Spans per request, including spans a break moved into a trace of their own.
    pub spans_per_trace: u32,
    /// Services, the gateway included (at least 1).
    pub services: u32,
    pub seed: u64,
    /// Requests per thousand that get one deliberate break.
    pub breaks_per_mille: u32,
    /// When the first request starts (unix ns).
    pub start_unix_nano: u64,
    /// Time between the starts of consecutive requests, so requests overlap like real load.
    pub trace_gap_ns: u64,
    /// Every span below a request's root gets a random interval anywhere in the root's, not
    /// inside its parent's: a dump with breaks (skew, outliving children) on most spans, the
    /// worst case for the report's size.
    pub random_timings: bool,
}

impl Default for LargeConfig {
    fn default() -> Self {
        LargeConfig {
            traces: 10_000,
            spans_per_trace: 100,
            services: 40,
            seed: 1,
            breaks_per_mille: 20,
            // 2025-06-12T03:00:00Z
            start_unix_nano: 1_749_697_200_000_000_000,
            trace_gap_ns: 2_000_000,
            random_timings: false,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub spans: u64,
    /// Distinct trace ids: the requests plus the traces that propagation breaks and detached
    /// roots split off.
    pub traces: u64,
    pub bytes: u64,
    pub lines: u64,
    /// Deliberate breaks written (orphans, detached roots, propagation breaks, outliving
    /// children, failed conversions).
    pub breaks: u64,
}

const FIXED_SERVICES: [&str; 6] = [
    "api-gateway",
    "order-svc",
    "user-svc",
    "payment-svc",
    "inventory-consumer",
    "audit-svc",
];

const GATEWAY_ROUTES: [&str; 7] = [
    "/orders",
    "/orders/{id}",
    "/users/{id}",
    "/cart/items",
    "/checkout",
    "/products/{id}",
    "/search",
];
const SERVICE_ROUTES: [&str; 5] = [
    "/v1/items",
    "/v1/items/{id}",
    "/v1/batch",
    "/v1/status/{id}",
    "/v1/events",
];
const METHODS: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];
const RPC_METHODS: [&str; 6] = ["Get", "List", "Create", "Update", "Delete", "BatchGet"];
const TABLES: [&str; 8] = [
    "orders", "users", "stock", "payments", "sessions", "products", "events", "carts",
];
const DB_HOSTS: [&str; 3] = [
    "pg-1.acme.internal",
    "pg-2.acme.internal",
    "pg-3.acme.internal",
];
const DB_OPS: [&str; 4] = ["SELECT", "INSERT", "UPDATE", "DELETE"];
const TYPES: [&str; 14] = [
    "[]byte",
    "*dto.CreateOrderReq",
    "*orderpb.CreateOrderRequest",
    "*domain.Order",
    "*model.OrderRow",
    "*userpb.User",
    "*domain.User",
    "*ent.User",
    "map[string]any",
    "*cartpb.Cart",
    "*domain.Cart",
    "json.RawMessage",
    "*paymentpb.ChargeRequest",
    "*stripe.ChargeParams",
];
const INTERNAL_OPS: [&str; 8] = [
    "validate",
    "authorize",
    "cache.Get",
    "cache.Set",
    "repo.Load",
    "pricing.Compute",
    "rules.Evaluate",
    "render",
];

const SCOPE_HTTP: usize = 0;
const SCOPE_GRPC: usize = 1;
const SCOPE_SQL: usize = 2;
const SCOPE_KAFKA: usize = 3;
const SCOPE_APP: usize = 4;
const SCOPES: usize = 5;

const MS: u64 = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Http,
    Grpc,
    Consumer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GoKey {
    Goroutine,
    GoGoroutine,
    ThreadText,
}

struct Service {
    name: String,
    role: Role,
    go_key: GoKey,
    /// Go package name: the service name without `-svc` and dashes.
    pkg: String,
    /// `acme.<pkg>.<Pkg>Service` for gRPC services.
    rpc_service: String,
    /// `{"resource":{...},"scopeSpans":[` for this service's lines.
    head: Vec<u8>,
    /// `{"scope":{...},"spans":[` per scope.
    scope_heads: [Vec<u8>; SCOPES],
}

/// Spans waiting to leave one service, per scope, and the size of the batch being filled.
struct Pending {
    spans: [Vec<u8>; SCOPES],
    count: u64,
    target: u64,
}

/// A span that can have children.
#[derive(Debug, Clone, Copy)]
struct Node {
    trace: u128,
    id: u64,
    svc: usize,
    start: u64,
    end: u64,
    goroutine: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BreakPlan {
    Orphan,
    Detached,
    Propagation,
    Outlives,
    ConversionError,
}

/// Writes `cfg.traces × cfg.spans_per_trace` spans as OTLP/JSON lines to `out`; `progress` is
/// called with the number of spans written so far after every line.
pub fn write_jsonl(
    out: impl Write,
    cfg: &LargeConfig,
    mut progress: impl FnMut(u64),
) -> io::Result<Stats> {
    let mut out = BufWriter::with_capacity(1 << 20, out);
    let mut g = Gen::new(cfg);
    for t in 0..cfg.traces {
        g.trace(t, &mut out, &mut progress)?;
    }
    for svc in 0..g.services.len() {
        g.flush(svc, &mut out, &mut progress)?;
    }
    out.flush()?;
    Ok(g.stats)
}

struct Gen<'c> {
    cfg: &'c LargeConfig,
    rng: Rng,
    services: Vec<Service>,
    pending: Vec<Pending>,
    consumer: Option<usize>,
    stats: Stats,
    open: Vec<Node>,
    /// The current request's root interval (for `random_timings`).
    window: (u64, u64),
    line: Vec<u8>,
    /// The buffer spans are formatted into, reused.
    scratch: Vec<u8>,
}

impl<'c> Gen<'c> {
    fn new(cfg: &'c LargeConfig) -> Self {
        let mut rng = Rng::new(cfg.seed);
        let n = cfg.services.max(1) as usize;
        let services: Vec<Service> = (0..n).map(|k| make_service(k, &mut rng)).collect();
        let pending = (0..n)
            .map(|_| Pending {
                spans: Default::default(),
                count: 0,
                target: rng.range(50, 200),
            })
            .collect();
        let consumer = services.iter().position(|s| s.role == Role::Consumer);
        Gen {
            cfg,
            rng,
            services,
            pending,
            consumer,
            stats: Stats::default(),
            open: Vec::new(),
            window: (0, 0),
            line: Vec::with_capacity(1 << 18),
            scratch: Vec::new(),
        }
    }

    fn trace(
        &mut self,
        t: u64,
        out: &mut impl Write,
        progress: &mut impl FnMut(u64),
    ) -> io::Result<()> {
        let n = u64::from(self.cfg.spans_per_trace);
        if n == 0 {
            return Ok(());
        }
        let trace = self.rng.trace_id();
        self.stats.traces += 1;
        let plan = self
            .rng
            .chance(u64::from(self.cfg.breaks_per_mille))
            .then(|| {
                let kind = match self.rng.range(0, 4) {
                    0 => BreakPlan::Orphan,
                    1 => BreakPlan::Detached,
                    2 => BreakPlan::Propagation,
                    3 => BreakPlan::Outlives,
                    _ => BreakPlan::ConversionError,
                };
                (kind, self.rng.range(1, n.saturating_sub(1).max(1)))
            });
        let mut plan = plan.filter(|_| n > 1);
        let start = self
            .cfg
            .start_unix_nano
            .saturating_add(t.saturating_mul(self.cfg.trace_gap_ns))
            .saturating_add(self.rng.range(0, self.cfg.trace_gap_ns));
        let end = start.saturating_add(self.rng.range(20 * MS, 400 * MS));
        self.window = (start, end);
        let user = self.rng.range(1, 9_999_999);
        let mut ty = self.rng.range(0, TYPES.len() as u64 - 1) as usize;

        let root = Node {
            trace,
            id: self.rng.span_id(),
            svc: 0,
            start,
            end,
            goroutine: self.rng.range(30, 200_000) as i64,
        };
        let route = *self.rng.pick(&GATEWAY_ROUTES).unwrap_or(&"/");
        let method = *self.rng.pick(&METHODS).unwrap_or(&"GET");
        self.http(root, 0, root.svc, (route, method), user, false);
        self.stats.spans += 1;
        self.open.clear();
        self.open.push(root);
        let mut emitted = 1;
        while emitted < n {
            let remaining = n - emitted;
            let k = self
                .rng
                .range(0, (self.open.len() as u64).saturating_sub(1)) as usize;
            let Some(parent) = self.open.get(k).copied() else {
                break;
            };
            let due = plan.filter(|(_, at)| emitted >= *at).map(|(kind, _)| kind);
            let parent_id = if due == Some(BreakPlan::Orphan) {
                plan = None;
                self.stats.breaks += 1;
                // A parent id that no span has: the parent never arrived.
                self.rng.span_id()
            } else {
                parent.id
            };
            let made = match due {
                Some(BreakPlan::Detached) => {
                    plan = None;
                    self.detached(parent, user);
                    1
                }
                Some(BreakPlan::Outlives) => {
                    plan = None;
                    self.outliving(parent, user);
                    1
                }
                Some(BreakPlan::ConversionError) => {
                    plan = None;
                    self.stats.breaks += 1;
                    self.conversion(parent, &mut ty, user, true);
                    1
                }
                Some(BreakPlan::Propagation) if remaining >= 2 => match self.callee(parent.svc) {
                    Some(callee) => {
                        plan = None;
                        self.stats.breaks += 1;
                        self.call(parent, parent_id, callee, user, true)
                    }
                    None => self.step(parent, parent_id, remaining, &mut ty, user),
                },
                _ => self.step(parent, parent_id, remaining, &mut ty, user),
            };
            emitted += made;
            self.stats.spans += made;
            for svc in 0..self.services.len() {
                if self.pending.get(svc).is_some_and(|p| p.count >= p.target) {
                    self.flush(svc, out, progress)?;
                }
            }
        }
        Ok(())
    }

    /// One ordinary piece of work under `parent`; returns the spans it wrote.
    fn step(
        &mut self,
        parent: Node,
        parent_id: u64,
        remaining: u64,
        ty: &mut usize,
        user: u64,
    ) -> u64 {
        // Weights per action, tuned so ~10% of spans are conversions and ~55% are halves of
        // remote calls.
        let roll = self.rng.range(0, 99);
        if roll < 40
            && remaining >= 2
            && let Some(callee) = self.callee(parent.svc)
        {
            return self.call(parent, parent_id, callee, user, false);
        }
        if (40..45).contains(&roll)
            && remaining >= 2
            && let Some(consumer) = self.consumer.filter(|c| *c != parent.svc)
        {
            return self.message(parent, parent_id, consumer, user);
        }
        match roll {
            45..=59 => self.conversion_under(parent, parent_id, ty, user),
            60..=76 => self.db(parent, parent_id, user),
            _ => self.internal(parent, parent_id, user),
        }
        1
    }

    /// A random service `from` can call (never the gateway, never the consumer).
    fn callee(&mut self, from: usize) -> Option<usize> {
        let n = self.services.len() as u64;
        if n < 2 {
            return None;
        }
        let ok = |k: usize| {
            k != from
                && self
                    .services
                    .get(k)
                    .is_some_and(|s| s.role != Role::Consumer)
        };
        let first = self.rng.range(1, n - 1) as usize;
        (0..n as usize - 1)
            .map(|step| 1 + (first - 1 + step) % (n as usize - 1))
            .find(|&k| ok(k))
    }

    /// A random interval inside the parent's (with `random_timings`, anywhere in the request's).
    fn inside(&mut self, p: &Node) -> (u64, u64) {
        if self.cfg.random_timings {
            return self.random_interval();
        }
        let len = p.end.saturating_sub(p.start);
        let start = p.start + frac(len, self.rng.range(0, 600));
        let end = start + frac(p.end.saturating_sub(start), self.rng.range(50, 950));
        (start, end)
    }

    /// A random interval inside the current request's (for `random_timings`).
    fn random_interval(&mut self) -> (u64, u64) {
        let (ws, we) = self.window;
        let start = self.rng.range(ws, we);
        (start, self.rng.range(start, we))
    }

    /// A span inside `parent` (its trace and service, times within it) on the goroutine
    /// `goroutine` picks, drawn after the span's times and id.
    fn inner(&mut self, parent: &Node, goroutine: impl FnOnce(&mut Self) -> i64) -> Node {
        let (start, end) = self.inside(parent);
        let id = self.rng.span_id();
        let goroutine = goroutine(self);
        Node {
            trace: parent.trace,
            id,
            svc: parent.svc,
            start,
            end,
            goroutine,
        }
    }

    fn child_goroutine(&mut self, parent: &Node, hop_per_mille: u64) -> i64 {
        if self.rng.chance(hop_per_mille) {
            self.rng.range(30, 200_000) as i64
        } else {
            parent.goroutine
        }
    }

    /// A CLIENT span in the parent's service and the callee's SERVER span. `broken`: the
    /// context was not propagated, so the server starts a new trace.
    fn call(
        &mut self,
        parent: Node,
        parent_id: u64,
        callee: usize,
        user: u64,
        broken: bool,
    ) -> u64 {
        let (cs, ce) = self.inside(&parent);
        let net = ((ce - cs) / 8).min(300_000);
        let client = Node {
            trace: parent.trace,
            id: self.rng.span_id(),
            svc: parent.svc,
            start: cs,
            end: ce,
            goroutine: self.child_goroutine(&parent, 200),
        };
        let mut server = Node {
            trace: parent.trace,
            id: self.rng.span_id(),
            svc: callee,
            start: cs + net,
            end: ce - net,
            goroutine: self.rng.range(30, 200_000) as i64,
        };
        if self.cfg.random_timings {
            // The server's clock is as random as everything else: skew across processes.
            (server.start, server.end) = self.random_interval();
        }
        let server_parent = if broken {
            server.trace = self.rng.trace_id();
            self.stats.traces += 1;
            0
        } else {
            client.id
        };
        let role = self.services.get(callee).map_or(Role::Grpc, |s| s.role);
        if role == Role::Http {
            let route = *self.rng.pick(&SERVICE_ROUTES).unwrap_or(&"/");
            let method = *self.rng.pick(&METHODS).unwrap_or(&"GET");
            self.http(client, parent_id, callee, (route, method), user, true);
            self.http(server, server_parent, callee, (route, method), user, false);
        } else {
            let method = *self.rng.pick(&RPC_METHODS).unwrap_or(&"Get");
            self.grpc(client, parent_id, callee, method, user, true);
            self.grpc(server, server_parent, callee, method, user, false);
        }
        self.open.push(server);
        2
    }

    /// A Kafka PRODUCER span and the consumer's CONSUMER span, which starts after it ends.
    fn message(&mut self, parent: Node, parent_id: u64, consumer: usize, user: u64) -> u64 {
        let (ps, pe) = self.inside(&parent);
        let producer = Node {
            trace: parent.trace,
            id: self.rng.span_id(),
            svc: parent.svc,
            start: ps,
            end: pe.min(ps.saturating_add(5 * MS)),
            goroutine: self.child_goroutine(&parent, 500),
        };
        let cs = producer.end.saturating_add(self.rng.range(MS / 5, 8 * MS));
        let cons = Node {
            trace: parent.trace,
            id: self.rng.span_id(),
            svc: consumer,
            start: cs,
            end: cs.saturating_add(self.rng.range(MS, 40 * MS)),
            goroutine: self.rng.range(30, 200_000) as i64,
        };
        let key = self.rng.range(100_000, 999_999);
        let offset = self.rng.range(1, 50_000_000);
        let partition = self.rng.range(0, 11);
        let topic = TABLES
            .get((key % TABLES.len() as u64) as usize)
            .copied()
            .unwrap_or("orders");
        let mut w = SpanWriter::open(take(&mut self.scratch), producer, parent_id, SCOPE_KAFKA, 4);
        w.name_parts(&[topic, " publish"]);
        w.str_attr("messaging.system", "kafka");
        w.str_attr("messaging.destination.name", topic);
        w.str_attr("messaging.operation.type", "publish");
        w.int_attr("messaging.kafka.message.key", key as i64);
        w.str_attr("server.address", "kafka-0.kafka.acme.internal");
        w.int_attr("server.port", 9092);
        self.end_common(w, producer, user, false);
        let mut w = SpanWriter::open(take(&mut self.scratch), cons, producer.id, SCOPE_KAFKA, 5);
        w.name_parts(&[topic, " process"]);
        w.str_attr("messaging.system", "kafka");
        w.str_attr("messaging.destination.name", topic);
        w.str_attr("messaging.operation.type", "process");
        w.str_attr("messaging.consumer.group.name", "inventory");
        w.int_attr("messaging.kafka.offset", offset as i64);
        w.int_attr("messaging.destination.partition.id", partition as i64);
        self.end_common(w, cons, user, false);
        self.open.push(cons);
        2
    }

    fn internal(&mut self, parent: Node, parent_id: u64, user: u64) {
        let node = self.inner(&parent, |g| g.child_goroutine(&parent, 300));
        self.internal_span(node, parent_id, user);
        self.open.push(node);
    }

    fn internal_span(&mut self, node: Node, parent_id: u64, user: u64) {
        let op = *self.rng.pick(&INTERNAL_OPS).unwrap_or(&"work");
        let line = self.rng.range(20, 900) as i64;
        let items = self.rng.range(0, 64) as i64;
        let pkg = self
            .services
            .get(node.svc)
            .map_or("app", |s| s.pkg.as_str());
        let mut w = SpanWriter::open(take(&mut self.scratch), node, parent_id, SCOPE_APP, 1);
        w.name_parts(&[pkg, ".", op]);
        w.str_attr("code.function", op);
        w.str_attr_parts("code.namespace", &["github.com/acme/shop/", pkg]);
        w.int_attr("code.lineno", line);
        w.int_attr("app.items", items);
        self.end_common(w, node, user, false);
    }

    /// An INTERNAL root in the parent's process, inside the parent's interval, in a new trace:
    /// a goroutine started with `context.Background()`.
    fn detached(&mut self, parent: Node, user: u64) {
        let (s, e) = self.inside(&parent);
        let node = Node {
            trace: self.rng.trace_id(),
            id: self.rng.span_id(),
            svc: parent.svc,
            start: s,
            end: e,
            goroutine: self.rng.range(30, 200_000) as i64,
        };
        self.stats.traces += 1;
        self.stats.breaks += 1;
        self.internal_span(node, 0, user);
    }

    /// A child on its own goroutine that ends 5–50 ms after its parent.
    fn outliving(&mut self, parent: Node, user: u64) {
        let (s, _) = self.inside(&parent);
        let node = Node {
            trace: parent.trace,
            id: self.rng.span_id(),
            svc: parent.svc,
            start: s,
            end: parent.end.saturating_add(self.rng.range(5 * MS, 50 * MS)),
            goroutine: self.rng.range(30, 200_000) as i64,
        };
        self.stats.breaks += 1;
        self.internal_span(node, parent.id, user);
    }

    fn conversion_under(&mut self, parent: Node, parent_id: u64, ty: &mut usize, user: u64) {
        let p = Node {
            id: parent_id,
            ..parent
        };
        self.conversion(p, ty, user, false);
    }

    /// A conversion step from the trace's current type to another; `failed` gives it status
    /// ERROR and an `exception` event.
    fn conversion(&mut self, parent: Node, ty: &mut usize, user: u64, failed: bool) {
        let mut node = self.inner(&parent, |_| parent.goroutine);
        node.end = node.start + (node.end - node.start).min(2 * MS);
        let next = (*ty + self.rng.range(1, TYPES.len() as u64 - 1) as usize) % TYPES.len();
        let from = TYPES.get(*ty).copied().unwrap_or("[]byte");
        let to = TYPES.get(next).copied().unwrap_or("[]byte");
        *ty = next;
        let by_attrs = self.rng.chance(333);
        let bytes = self.rng.range(64, 65_536) as i64;
        let pkg = self
            .services
            .get(node.svc)
            .map_or("app", |s| s.pkg.as_str());
        let mut w = SpanWriter::open(take(&mut self.scratch), node, parent.id, SCOPE_APP, 1);
        if by_attrs {
            w.name_parts(&["mapper.Convert"]);
            w.str_attr("convert.from", from);
            w.str_attr("convert.to", to);
        } else {
            w.name_parts(&["type.convert.", from, ".to.", to]);
        }
        w.str_attr_parts(
            "code.namespace",
            &["github.com/acme/shop/", pkg, "/convert"],
        );
        w.int_attr("app.payload.bytes", bytes);
        if failed {
            w.exception(
                node.end,
                "*json.UnmarshalTypeError",
                "json: cannot unmarshal string into Go value of type int64",
            );
        }
        self.end_common(w, node, user, failed);
    }

    fn db(&mut self, parent: Node, parent_id: u64, user: u64) {
        let node = self.inner(&parent, |_| parent.goroutine);
        let op = *self.rng.pick(&DB_OPS).unwrap_or(&"SELECT");
        let table = *self.rng.pick(&TABLES).unwrap_or(&"orders");
        let shard = *self.rng.pick(&DB_HOSTS).unwrap_or(&"pg-1.acme.internal");
        let mut w = SpanWriter::open(take(&mut self.scratch), node, parent_id, SCOPE_SQL, 3);
        w.name_parts(&[op, " acme.", table]);
        w.str_attr("db.system", "postgresql");
        w.str_attr("db.namespace", "acme");
        w.str_attr("db.operation.name", op);
        w.str_attr("db.collection.name", table);
        let statement: [&str; 4] = match op {
            "SELECT" => ["SELECT * FROM ", table, " WHERE id = $1", ""],
            "INSERT" => [
                "INSERT INTO ",
                table,
                " (id, user_id, payload) VALUES ($1, $2, $3)",
                "",
            ],
            "UPDATE" => [
                "UPDATE ",
                table,
                " SET payload = $2, updated_at = now() WHERE id = $1",
                "",
            ],
            _ => ["DELETE FROM ", table, " WHERE id = $1", ""],
        };
        w.str_attr_parts("db.statement", &statement);
        w.str_attr("server.address", shard);
        w.int_attr("server.port", 5432);
        self.end_common(w, node, user, false);
    }

    /// An HTTP span: the CLIENT span of `node` calling `callee`, or the SERVER span of `callee`
    /// (then `node.svc`), the same shape as `grpc`.
    fn http(
        &mut self,
        node: Node,
        parent_id: u64,
        callee: usize,
        (route, method): (&str, &str),
        user: u64,
        client: bool,
    ) {
        let id = self.rng.range(1, 999_999);
        let status = self.status();
        let peer_port = (!client).then(|| self.rng.range(32_768, 60_999) as i64);
        let host = self.services.get(callee).map_or("", |s| s.name.as_str());
        let mut digits = [0; 20];
        let (before, num, after) = fill_id(route, id, &mut digits);
        let kind = if client { 3 } else { 2 };
        let mut w = SpanWriter::open(take(&mut self.scratch), node, parent_id, SCOPE_HTTP, kind);
        if client {
            w.name_parts(&[method]);
            w.str_attr("http.request.method", method);
            w.str_attr_parts("url.full", &["http://", host, ":8080", before, num, after]);
        } else {
            w.name_parts(&[method, " ", route]);
            w.str_attr("http.request.method", method);
            w.str_attr("http.route", route);
            w.str_attr_parts("url.path", &[before, num, after]);
            w.str_attr("url.scheme", "http");
        }
        w.str_attr("server.address", host);
        w.int_attr("server.port", 8080);
        if let Some(port) = peer_port {
            w.int_attr("net.peer.port", port);
        }
        w.int_attr("http.response.status_code", status);
        // A client counts a 4xx answer as an error, a server only its own 5xx.
        let failed = status >= if client { 400 } else { 500 };
        self.end_common(w, node, user, failed);
    }

    fn grpc(
        &mut self,
        node: Node,
        parent_id: u64,
        callee: usize,
        method: &str,
        user: u64,
        client: bool,
    ) {
        let code = if self.rng.chance(5) { 13 } else { 0 };
        let peer_port = self.rng.range(32_768, 60_999) as i64;
        let (svc_name, rpc_service) = self
            .services
            .get(callee)
            .map_or(("", ""), |s| (s.name.as_str(), s.rpc_service.as_str()));
        let kind = if client { 3 } else { 2 };
        let mut w = SpanWriter::open(take(&mut self.scratch), node, parent_id, SCOPE_GRPC, kind);
        w.name_parts(&[rpc_service, "/", method]);
        w.str_attr("rpc.system", "grpc");
        w.str_attr("rpc.service", rpc_service);
        w.str_attr("rpc.method", method);
        w.int_attr("rpc.grpc.status_code", code);
        w.str_attr("server.address", svc_name);
        w.int_attr("server.port", 9090);
        if !client {
            w.int_attr("net.peer.port", peer_port);
        }
        self.end_common(w, node, user, code != 0);
    }

    /// An HTTP status: mostly 200, a few 404 and 500.
    fn status(&mut self) -> i64 {
        match self.rng.range(0, 999) {
            0..=4 => 500,
            5..=14 => 404,
            _ => 200,
        }
    }

    /// Adds the attributes every span has, closes the span and queues it for its service.
    fn end_common(&mut self, mut w: SpanWriter, node: Node, user: u64, error: bool) {
        let go_key = self
            .services
            .get(node.svc)
            .map_or(GoKey::Goroutine, |s| s.go_key);
        match go_key {
            GoKey::Goroutine => w.int_attr("goroutine.id", node.goroutine),
            GoKey::GoGoroutine => w.int_attr("go.goroutine.id", node.goroutine),
            GoKey::ThreadText => {
                let mut digits = [0; 20];
                w.str_attr(
                    "thread.id",
                    u64_text(node.goroutine.unsigned_abs(), &mut digits),
                );
            }
        }
        let mut digits = [0; 20];
        w.str_attr_parts("user.id", &["u-", u64_text(user, &mut digits)]);
        let (buf, scope) = w.close(error);
        if let Some(p) = self.pending.get_mut(node.svc) {
            if let Some(list) = p.spans.get_mut(scope) {
                if !list.is_empty() {
                    list.push(b',');
                }
                list.extend_from_slice(&buf);
            }
            p.count += 1;
        }
        self.scratch = buf;
    }

    /// Writes service `svc`'s pending spans as one line.
    fn flush(
        &mut self,
        svc: usize,
        out: &mut impl Write,
        progress: &mut impl FnMut(u64),
    ) -> io::Result<()> {
        let (Some(service), Some(p)) = (self.services.get(svc), self.pending.get_mut(svc)) else {
            return Ok(());
        };
        if p.count == 0 {
            return Ok(());
        }
        self.line.clear();
        self.line.extend_from_slice(b"{\"resourceSpans\":[");
        self.line.extend_from_slice(&service.head);
        let mut first = true;
        for (spans, head) in p.spans.iter_mut().zip(&service.scope_heads) {
            if spans.is_empty() {
                continue;
            }
            if !first {
                self.line.push(b',');
            }
            first = false;
            self.line.extend_from_slice(head);
            self.line.extend_from_slice(spans);
            self.line.extend_from_slice(b"]}");
            spans.clear();
        }
        self.line
            .extend_from_slice(b"],\"schemaUrl\":\"https://opentelemetry.io/schemas/1.26.0\"}]}\n");
        p.count = 0;
        p.target = self.rng.range(50, 200);
        out.write_all(&self.line)?;
        self.stats.bytes += self.line.len() as u64;
        self.stats.lines += 1;
        progress(self.stats.spans);
        Ok(())
    }
}

/// `len × per_mille / 1000` without overflow.
fn frac(len: u64, per_mille: u64) -> u64 {
    (u128::from(len) * u128::from(per_mille) / 1000) as u64
}

fn make_service(k: usize, rng: &mut Rng) -> Service {
    let name = match FIXED_SERVICES.get(k) {
        Some(fixed) => fixed.to_string(),
        None => format!("svc-{k:02}"),
    };
    let role = match name.as_str() {
        "api-gateway" | "payment-svc" | "audit-svc" => Role::Http,
        "inventory-consumer" => Role::Consumer,
        "order-svc" | "user-svc" => Role::Grpc,
        _ if k.is_multiple_of(3) => Role::Http,
        _ => Role::Grpc,
    };
    let go_key = match name.as_str() {
        "user-svc" => GoKey::GoGoroutine,
        "audit-svc" => GoKey::ThreadText,
        _ => GoKey::Goroutine,
    };
    let pkg = name.trim_end_matches("-svc").replace('-', "");
    let mut upper = pkg.clone();
    if let Some(c) = upper.get_mut(0..1) {
        c.make_ascii_uppercase();
    }
    let rpc_service = format!("acme.{pkg}.{upper}Service");
    let pod = format!("{:x}", rng.next_u64() & 0xff_ffff_ffff);
    let mut head = Vec::new();
    head.extend_from_slice(b"{\"resource\":{\"attributes\":[");
    let mut w = AttrList::default();
    w.str(&mut head, "service.name", &name);
    w.str(&mut head, "service.version", "1.4.2");
    w.str(&mut head, "service.instance.id", &format!("{name}-{pod}"));
    w.str(
        &mut head,
        "host.name",
        &format!("node-{}", rng.range(1, 24)),
    );
    w.int(&mut head, "process.pid", 1);
    w.str(&mut head, "process.runtime.name", "go");
    w.str(&mut head, "process.runtime.version", "go1.24.3");
    w.str(&mut head, "telemetry.sdk.language", "go");
    w.str(&mut head, "telemetry.sdk.name", "opentelemetry");
    w.str(&mut head, "telemetry.sdk.version", "1.36.0");
    head.extend_from_slice(b"]},\"scopeSpans\":[");
    let app = format!("github.com/acme/shop/{pkg}");
    let scope = |name: &str, version: &str| {
        let mut s = b"{\"scope\":{\"name\":".to_vec();
        push_json_str(&mut s, name);
        s.extend_from_slice(b",\"version\":");
        push_json_str(&mut s, version);
        s.extend_from_slice(b"},\"spans\":[");
        s
    };
    Service {
        scope_heads: [
            scope(
                "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp",
                "0.61.0",
            ),
            scope(
                "go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc",
                "0.61.0",
            ),
            scope("github.com/XSAM/otelsql", "0.38.0"),
            scope("github.com/dnwe/otelsarama", "0.3.0"),
            scope(&app, "1.4.2"),
        ],
        name,
        pkg,
        role,
        go_key,
        rpc_service,
        head,
    }
}

/// Comma placement for a JSON list of OTLP `KeyValue`s.
#[derive(Default)]
struct AttrList {
    any: bool,
}

impl AttrList {
    fn key(&mut self, buf: &mut Vec<u8>, key: &str) {
        if self.any {
            buf.push(b',');
        }
        self.any = true;
        buf.extend_from_slice(b"{\"key\":");
        push_json_str(buf, key);
        buf.extend_from_slice(b",\"value\":");
    }

    fn str(&mut self, buf: &mut Vec<u8>, key: &str, value: &str) {
        self.str_parts(buf, key, &[value]);
    }

    fn str_parts(&mut self, buf: &mut Vec<u8>, key: &str, parts: &[&str]) {
        self.key(buf, key);
        buf.extend_from_slice(b"{\"stringValue\":\"");
        for p in parts {
            push_escaped(buf, p);
        }
        buf.extend_from_slice(b"\"}}");
    }

    fn int(&mut self, buf: &mut Vec<u8>, key: &str, value: i64) {
        self.key(buf, key);
        // OTLP/JSON writes int64 as a decimal string.
        buf.extend_from_slice(b"{\"intValue\":\"");
        push_i64(buf, value);
        buf.extend_from_slice(b"\"}}");
    }
}

/// One span being written: ids and times first, then the name, then attributes.
struct SpanWriter {
    buf: Vec<u8>,
    node: Node,
    kind: u8,
    scope: usize,
    attrs: AttrList,
    events: Vec<u8>,
}

impl SpanWriter {
    fn open(mut buf: Vec<u8>, node: Node, parent_id: u64, scope: usize, kind: u8) -> Self {
        buf.clear();
        buf.extend_from_slice(b"{\"traceId\":\"");
        push_hex(&mut buf, node.trace, 32);
        buf.extend_from_slice(b"\",\"spanId\":\"");
        push_hex(&mut buf, u128::from(node.id), 16);
        if parent_id != 0 {
            buf.extend_from_slice(b"\",\"parentSpanId\":\"");
            push_hex(&mut buf, u128::from(parent_id), 16);
        }
        buf.extend_from_slice(b"\",\"name\":\"");
        SpanWriter {
            buf,
            node,
            kind,
            scope,
            attrs: AttrList::default(),
            events: Vec::new(),
        }
    }

    /// Writes the name (the concatenation of `parts`) and the fields before the attributes.
    fn name_parts(&mut self, parts: &[&str]) {
        for p in parts {
            push_escaped(&mut self.buf, p);
        }
        self.buf.extend_from_slice(b"\",\"kind\":");
        push_i64(&mut self.buf, i64::from(self.kind));
        self.buf.extend_from_slice(b",\"startTimeUnixNano\":\"");
        push_u64(&mut self.buf, self.node.start);
        self.buf.extend_from_slice(b"\",\"endTimeUnixNano\":\"");
        push_u64(&mut self.buf, self.node.end);
        self.buf.extend_from_slice(b"\",\"attributes\":[");
    }

    fn str_attr(&mut self, key: &str, value: &str) {
        self.attrs.str(&mut self.buf, key, value);
    }

    fn str_attr_parts(&mut self, key: &str, parts: &[&str]) {
        self.attrs.str_parts(&mut self.buf, key, parts);
    }

    fn int_attr(&mut self, key: &str, value: i64) {
        self.attrs.int(&mut self.buf, key, value);
    }

    fn exception(&mut self, time: u64, ty: &str, message: &str) {
        let e = &mut self.events;
        e.extend_from_slice(b"{\"timeUnixNano\":\"");
        push_u64(e, time);
        e.extend_from_slice(b"\",\"name\":\"exception\",\"attributes\":[");
        let mut list = AttrList::default();
        list.str(e, "exception.type", ty);
        list.str(e, "exception.message", message);
        e.extend_from_slice(b"]}");
    }

    fn close(mut self, error: bool) -> (Vec<u8>, usize) {
        self.buf.push(b']');
        if !self.events.is_empty() {
            self.buf.extend_from_slice(b",\"events\":[");
            self.buf.extend_from_slice(&self.events);
            self.buf.push(b']');
        }
        if error {
            self.buf.extend_from_slice(b",\"status\":{\"code\":2}");
        }
        self.buf.push(b'}');
        (self.buf, self.scope)
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The low `digits` hex digits of `v`, lowercase, zero-padded.
fn push_hex(buf: &mut Vec<u8>, v: u128, digits: u32) {
    for k in (0..digits).rev() {
        let nibble = ((v >> (4 * k)) & 0xf) as usize;
        buf.push(HEX.get(nibble).copied().unwrap_or(b'0'));
    }
}

fn push_i64(buf: &mut Vec<u8>, v: i64) {
    if v < 0 {
        buf.push(b'-');
    }
    push_u64(buf, v.unsigned_abs());
}

fn push_u64(buf: &mut Vec<u8>, n: u64) {
    let mut digits = [0; 20];
    buf.extend_from_slice(u64_text(n, &mut digits).as_bytes());
}

/// The decimal text of `n`, written into the end of `digits` (20 digits fit any u64).
fn u64_text(mut n: u64, digits: &mut [u8; 20]) -> &str {
    let mut at = digits.len();
    while at > 0 {
        at -= 1;
        if let Some(d) = digits.get_mut(at) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 {
            break;
        }
    }
    std::str::from_utf8(digits.get(at..).unwrap_or_default()).unwrap_or_default()
}

/// A route with its `{id}` filled in, as three pieces (`before`, the id or "", `after`).
fn fill_id<'a>(route: &'a str, id: u64, digits: &'a mut [u8; 20]) -> (&'a str, &'a str, &'a str) {
    match route.split_once("{id}") {
        Some((before, after)) => (before, u64_text(id, digits), after),
        None => (route, "", ""),
    }
}

fn push_json_str(buf: &mut Vec<u8>, s: &str) {
    buf.push(b'"');
    push_escaped(buf, s);
    buf.push(b'"');
}

/// The body of a JSON string literal.
fn push_escaped(buf: &mut Vec<u8>, s: &str) {
    if !s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        buf.extend_from_slice(s.as_bytes());
        return;
    }
    let mut text = String::new();
    crate::json_write::push_str(&mut text, s);
    let inner = text.get(1..text.len() - 1).unwrap_or_default();
    buf.extend_from_slice(inner.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_and_hex_formatting() {
        let mut b = Vec::new();
        push_i64(&mut b, 0);
        b.push(b' ');
        push_i64(&mut b, -42);
        b.push(b' ');
        push_i64(&mut b, i64::MAX);
        b.push(b' ');
        push_i64(&mut b, i64::MIN);
        b.push(b' ');
        push_hex(&mut b, 0xab, 4);
        b.push(b' ');
        push_hex(&mut b, u128::MAX, 32);
        assert_eq!(
            String::from_utf8(b).unwrap(),
            format!("0 -42 {} {} 00ab {}", i64::MAX, i64::MIN, "f".repeat(32))
        );
    }

    /// Breaks found in a generated dump, loaded and analysed as `analyze` does.
    fn breaks_found(cfg: &LargeConfig) -> (usize, u64) {
        use crate::analysis::{Analysis, Options};
        let mut out = Vec::new();
        let stats = write_jsonl(&mut out, cfg, |_| {}).unwrap();
        let mut store = crate::model::Store::new();
        crate::ingest::load_bytes(&mut store, "g.jsonl", &out, &Default::default()).unwrap();
        store.build_index();
        let analysis = Analysis::run(&store, &Options::default());
        (analysis.breaks.len(), stats.spans)
    }

    #[test]
    fn random_timings_put_a_break_on_a_third_of_the_spans_or_more() {
        let plain = LargeConfig {
            traces: 30,
            spans_per_trace: 60,
            ..LargeConfig::default()
        };
        let random = LargeConfig {
            random_timings: true,
            ..plain.clone()
        };
        let (few, spans) = breaks_found(&plain);
        let (many, same) = breaks_found(&random);
        assert_eq!(spans, same);
        assert!(few * 20 < many, "{few} vs {many}");
        assert!(many as u64 * 3 > spans, "{many} breaks in {spans} spans");
    }

    #[test]
    fn edge_configs_write_exactly_what_they_ask_for() {
        for (traces, spans, services, start) in [
            (0, 10, 40, 0),
            (3, 0, 40, 0),
            (3, 1, 1, 0),
            (5, 7, 0, 0),
            (5, 30, 2, 0),
            (4, 25, 40, u64::MAX - 1),
        ] {
            let cfg = LargeConfig {
                traces,
                spans_per_trace: spans,
                services,
                breaks_per_mille: 500,
                start_unix_nano: start,
                ..LargeConfig::default()
            };
            let mut out = Vec::new();
            let stats = write_jsonl(&mut out, &cfg, |_| {}).unwrap();
            assert_eq!(stats.spans, traces * u64::from(spans), "{cfg:?}");
            let text = String::from_utf8(out).unwrap();
            assert_eq!(stats.lines, text.lines().count() as u64);
            let mut written = 0;
            for line in text.lines() {
                let doc: serde_json::Value = serde_json::from_str(line).unwrap();
                for scope in doc["resourceSpans"][0]["scopeSpans"].as_array().unwrap() {
                    written += scope["spans"].as_array().unwrap().len() as u64;
                }
            }
            assert_eq!(written, stats.spans);
            if spans > 0 {
                assert!(stats.traces >= traces);
            }
        }
    }

    #[test]
    fn escaping_matches_json() {
        let mut b = Vec::new();
        push_json_str(&mut b, "a\"b\\c\nd");
        let back: String = serde_json::from_slice(&b).unwrap();
        assert_eq!(back, "a\"b\\c\nd");
    }
}
