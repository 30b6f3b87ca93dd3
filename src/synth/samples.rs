//! The hand-built sample traces in `sample-traces/`: healthy checkout traces, one trace (or
//! pair) per spec §5 break kind, the healthy traces again as Collector-style JSON lines, and a
//! README describing every trace. All of it is generated here so the files stay reproducible.

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

use super::spans::{GoroutineKey, Proc, SpanRec, TraceBuilder, jsonl, request_json};
use crate::model::SpanKind::{Client, Consumer, Internal, Producer, Server};
use crate::model::ids::{span_hex, trace_hex};

const GW: GoroutineKey = GoroutineKey::GoroutineId;

const LOADGEN: Proc = Proc {
    service: "loadgen",
    instance: "loadgen-5f8c9",
    host: "bench-01",
    pid: 40120,
    goroutine_key: GW,
};
const GATEWAY: Proc = Proc {
    service: "api-gateway",
    instance: "api-gateway-7d9f8b6c5-x2kqp",
    host: "node-a3",
    pid: 1,
    goroutine_key: GW,
};
const ORDER: Proc = Proc {
    service: "order-svc",
    instance: "order-svc-6b7c9d5f4-4mzq1",
    host: "node-b1",
    pid: 1,
    goroutine_key: GW,
};
const USER: Proc = Proc {
    service: "user-svc",
    instance: "user-svc-58d6f7c9b-q8w2r",
    host: "node-b2",
    pid: 1,
    goroutine_key: GoroutineKey::GoGoroutineId,
};
const PAYMENT: Proc = Proc {
    service: "payment-svc",
    instance: "payment-svc-7f5b8c6d9-h3n6t",
    host: "node-a1",
    pid: 1,
    goroutine_key: GW,
};
const INVENTORY: Proc = Proc {
    service: "inventory-consumer",
    instance: "inventory-consumer-0",
    host: "node-c2",
    pid: 1,
    goroutine_key: GW,
};
const AUDIT: Proc = Proc {
    service: "audit-svc",
    instance: "audit-svc-6c8d7b9f5-p1k7v",
    host: "node-c1",
    pid: 1,
    goroutine_key: GoroutineKey::ThreadIdText,
};
const NOTIFY: Proc = Proc {
    service: "通知服务",
    instance: "notify-svc-5d4c3b2a1-z9y8x",
    host: "node-c3",
    pid: 1,
    goroutine_key: GW,
};

/// 2025-06-12T02:00:00Z. Healthy traces start 1.5 s apart from here; the broken scenarios
/// start an hour later, also 1.5 s apart, so no two scenarios overlap in time by accident.
const HEALTHY_BASE: u64 = 1_749_693_600_000_000_000;
const BROKEN_BASE: u64 = HEALTHY_BASE + 3_600_000_000_000;
const WINDOW: u64 = 1_500_000_000;

/// The Collector batches the live file is cut into (spans per line, at most).
const LIVE_BATCH: usize = 6;

/// What the README says about one scenario.
struct Story {
    title: &'static str,
    traces: Vec<u128>,
    text: &'static str,
    shows: Option<Shows>,
}

/// The break a scenario is built to produce, on which span.
struct Shows {
    kind: &'static str,
    span: u64,
    span_name: String,
    related: Option<(u128, u64, String)>,
}

struct Scenario {
    spans: Vec<SpanRec>,
    story: Story,
}

impl Scenario {
    /// The scenario of the one trace `t`.
    fn one_trace(
        t: TraceBuilder,
        title: &'static str,
        text: &'static str,
        shows: Option<Shows>,
    ) -> Self {
        Scenario {
            story: Story {
                title,
                traces: vec![t.trace],
                text,
                shows,
            },
            spans: t.spans,
        }
    }
}

fn loadgen<'t>(
    t: &'t mut TraceBuilder,
    method: &str,
    path: &str,
    us: (u64, u64),
    status: i64,
) -> &'t mut SpanRec {
    t.span(0, LOADGEN, Client, method, us)
        .s("http.request.method", method)
        .s("server.address", "api-gateway")
        .i("server.port", 8080)
        .s("url.full", format!("http://api-gateway:8080{path}"))
        .i("http.response.status_code", status)
        .g(17)
}

#[allow(clippy::too_many_arguments)]
fn http_server<'t>(
    t: &'t mut TraceBuilder,
    parent: u64,
    p: Proc,
    method: &str,
    route: &str,
    path: &str,
    status: i64,
    us: (u64, u64),
    g: i64,
) -> &'t mut SpanRec {
    t.span(parent, p, Server, &format!("{method} {route}"), us)
        .s("http.request.method", method)
        .s("http.route", route)
        .s("url.path", path)
        .s("url.scheme", "http")
        .i("http.response.status_code", status)
        .g(g)
}

#[allow(clippy::too_many_arguments)]
fn http_client<'t>(
    t: &'t mut TraceBuilder,
    parent: u64,
    p: Proc,
    method: &str,
    host: &str,
    path: &str,
    status: i64,
    us: (u64, u64),
    g: i64,
) -> &'t mut SpanRec {
    t.span(parent, p, Client, method, us)
        .s("http.request.method", method)
        .s("server.address", host)
        .i("server.port", 8080)
        .s("url.full", format!("http://{host}:8080{path}"))
        .i("http.response.status_code", status)
        .g(g)
}

/// `full` is `package.Service/Method`.
fn grpc<'t>(
    t: &'t mut TraceBuilder,
    parent: u64,
    p: Proc,
    kind: crate::model::SpanKind,
    full: &str,
    us: (u64, u64),
    g: i64,
) -> &'t mut SpanRec {
    let (service, method) = full.split_once('/').unwrap_or((full, ""));
    let span = t
        .span(parent, p, kind, full, us)
        .s("rpc.system", "grpc")
        .s("rpc.service", service)
        .s("rpc.method", method)
        .i("rpc.grpc.status_code", 0);
    if kind == Client {
        // The callee's DNS name is its service name, as in Kubernetes.
        let host = if service.starts_with("order.") {
            "order-svc"
        } else {
            "user-svc"
        };
        span.s("server.address", host).i("server.port", 9090);
    }
    span.g(g)
}

/// The load generator's request (`method`, the gateway's `route`, `path`, `status`) and the
/// gateway's SERVER span for it, their times as (load generator, gateway), the gateway on
/// goroutine `g`. Returns the gateway span's id.
fn gateway_request(
    t: &mut TraceBuilder,
    (method, route, path, status): (&str, &str, &str, i64),
    (lg_us, gw_us): ((u64, u64), (u64, u64)),
    g: i64,
) -> u64 {
    let lg = loadgen(t, method, path, lg_us, status).id;
    http_server(t, lg, GATEWAY, method, route, path, status, gw_us, g).id
}

/// A gRPC call to `full` (`package.Service/Method`) from `from`'s CLIENT span under `parent`
/// to `to`'s SERVER span; times and goroutines as (client, server). Returns the SERVER span's
/// id.
fn grpc_call(
    t: &mut TraceBuilder,
    parent: u64,
    (from, to, full): (Proc, Proc, &str),
    (client_us, server_us): ((u64, u64), (u64, u64)),
    (client_g, server_g): (i64, i64),
) -> u64 {
    let client = grpc(t, parent, from, Client, full, client_us, client_g).id;
    grpc(t, client, to, Server, full, server_us, server_g).id
}

#[allow(clippy::too_many_arguments)]
fn db<'t>(
    t: &'t mut TraceBuilder,
    parent: u64,
    p: Proc,
    op: &str,
    table: &str,
    statement: &str,
    us: (u64, u64),
    g: i64,
) -> &'t mut SpanRec {
    t.span(parent, p, Client, &format!("{op} acme.{table}"), us)
        .s("db.system", "postgresql")
        .s("db.namespace", "acme")
        .s("db.operation.name", op)
        .s("db.collection.name", table)
        .s("db.statement", statement)
        .s("server.address", "pg-main.acme.internal")
        .i("server.port", 5432)
        .g(g)
}

/// A conversion step named `type.convert.<from>.to.<to>`.
fn convert<'t>(
    t: &'t mut TraceBuilder,
    parent: u64,
    p: Proc,
    from: &str,
    to: &str,
    us: (u64, u64),
    g: i64,
) -> &'t mut SpanRec {
    t.span(
        parent,
        p,
        Internal,
        &format!("type.convert.{from}.to.{to}"),
        us,
    )
    .s(
        "code.namespace",
        format!("github.com/acme/shop/{}/convert", p.service),
    )
    .g(g)
}

/// A conversion step that says what it converts in `convert.from`/`convert.to`.
#[allow(clippy::too_many_arguments)]
fn mapper<'t>(
    t: &'t mut TraceBuilder,
    parent: u64,
    p: Proc,
    name: &str,
    from: &str,
    to: &str,
    us: (u64, u64),
    g: i64,
) -> &'t mut SpanRec {
    t.span(parent, p, Internal, name, us)
        .s("convert.from", from)
        .s("convert.to", to)
        .g(g)
}

fn internal<'t>(
    t: &'t mut TraceBuilder,
    parent: u64,
    p: Proc,
    name: &str,
    us: (u64, u64),
    g: i64,
) -> &'t mut SpanRec {
    t.span(parent, p, Internal, name, us).g(g)
}

fn base(first: u64, k: u64) -> u64 {
    first + k * WINDOW
}

/// POST /orders through gateway, order, payment, postgres and Kafka to the inventory consumer.
fn healthy_checkout(k: u64) -> Scenario {
    let mut t = TraceBuilder::new(
        0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736,
        base(HEALTHY_BASE, k),
    );
    let lg = loadgen(&mut t, "POST", "/orders", (0, 182_000), 201).id;
    let gw = http_server(
        &mut t,
        lg,
        GATEWAY,
        "POST",
        "/orders",
        "/orders",
        201,
        (400, 181_500),
        1041,
    )
    .s("user.id", "u-20481")
    .id;
    convert(
        &mut t,
        gw,
        GATEWAY,
        "[]byte",
        "*dto.CreateOrderReq",
        (600, 1_100),
        1041,
    );
    convert(
        &mut t,
        gw,
        GATEWAY,
        "*dto.CreateOrderReq",
        "*orderpb.CreateOrderRequest",
        (1_200, 1_450),
        1041,
    );
    let os = grpc_call(
        &mut t,
        gw,
        (GATEWAY, ORDER, "order.OrderService/CreateOrder"),
        ((1_600, 178_900), (2_100, 178_300)),
        (1041, 233),
    );
    convert(
        &mut t,
        os,
        ORDER,
        "*orderpb.CreateOrderRequest",
        "*domain.Order",
        (2_300, 2_900),
        233,
    );
    let pc = http_client(
        &mut t,
        os,
        ORDER,
        "POST",
        "payment-svc",
        "/v1/payments",
        200,
        (3_200, 96_800),
        233,
    )
    .id;
    let ps = http_server(
        &mut t,
        pc,
        PAYMENT,
        "POST",
        "/v1/payments",
        "/v1/payments",
        200,
        (3_900, 96_100),
        512,
    )
    .id;
    mapper(
        &mut t,
        ps,
        PAYMENT,
        "mapper.ToCharge",
        "*dto.PaymentReq",
        "*stripe.ChargeParams",
        (4_200, 4_700),
        512,
    );
    internal(&mut t, ps, PAYMENT, "payment.Charge", (4_900, 95_600), 519)
        .i("payment.amount_cents", 12_900)
        .b("payment.captured", true);
    mapper(
        &mut t,
        os,
        ORDER,
        "orderRepo.toRow",
        "*domain.Order",
        "*model.OrderRow",
        (97_200, 97_500),
        233,
    );
    db(
        &mut t,
        os,
        ORDER,
        "INSERT",
        "orders",
        "INSERT INTO orders (id, user_id, amount_cents, status) VALUES ($1, $2, $3, $4)",
        (97_800, 121_400),
        233,
    );
    let pr = t
        .span(os, ORDER, Producer, "orders publish", (122_000, 125_600))
        .s("messaging.system", "kafka")
        .s("messaging.destination.name", "orders")
        .s("messaging.operation.type", "publish")
        .s("messaging.kafka.message.key", "900117")
        .s("server.address", "kafka-0.kafka.acme.internal")
        .g(247)
        .id;
    let co = t
        .span(
            pr,
            INVENTORY,
            Consumer,
            "orders process",
            (131_000, 163_000),
        )
        .s("messaging.system", "kafka")
        .s("messaging.destination.name", "orders")
        .s("messaging.operation.type", "process")
        .s("messaging.consumer.group.name", "inventory")
        .i("messaging.kafka.offset", 88_412)
        .g(58)
        .id;
    let rs = internal(
        &mut t,
        co,
        INVENTORY,
        "inventory.Reserve",
        (131_400, 162_500),
        58,
    )
    .id;
    db(
        &mut t,
        rs,
        INVENTORY,
        "UPDATE",
        "stock",
        "UPDATE stock SET reserved = reserved + $1 WHERE sku = $2",
        (132_000, 160_900),
        58,
    );
    Scenario::one_trace(
        t,
        "POST /orders: a whole checkout",
        "loadgen posts an order. api-gateway converts the body `[]byte` → `*dto.CreateOrderReq` → \
        `*orderpb.CreateOrderRequest` and calls order-svc over gRPC, which converts it on to \
        `*domain.Order` (a conversion chain across two services), charges payment-svc over HTTP \
        (payment-svc runs the charge on its own goroutine 519), maps the order to a row \
        (`convert.from`/`convert.to` attributes), inserts it into postgres and publishes to the Kafka \
        topic `orders` from a new goroutine (247). inventory-consumer consumes the message 5.4 ms after \
        the producer span ended, in the same trace, and updates the stock table.",
        None,
    )
}

const SHIPPING: Proc = Proc {
    service: "shipping-svc",
    instance: "shipping-svc-74c9b8d6f-k5r2m",
    host: "node-c4",
    pid: 1,
    goroutine_key: GW,
};

/// Three order cancellations each publish an event; shipping-svc consumes the three in one
/// batch, a new trace whose CONSUMER root links each message's PRODUCER span (spec §5 "Span
/// links"): linked, not broken.
fn healthy_batch(k: u64) -> Scenario {
    let at = base(HEALTHY_BASE, k);
    let ids = [
        (0x5c1e_7a90_3d2b_4f68_8e41_b2c7_d9f0_1a35, 900_301),
        (0x6d2f_8ba1_4e3c_4079_9f52_c3d8_e0a1_2b46, 900_302),
        (0x7e30_9cb2_5f4d_418a_a063_d4e9_f1b2_3c57, 900_303),
    ];
    let mut spans = Vec::new();
    let mut traces = Vec::new();
    let mut producers = Vec::new();
    for (n, &(trace, order)) in ids.iter().enumerate() {
        let n = n as u64;
        // 1.1 s apart: a backend search cut to one-second windows finds each trace.
        let mut t = TraceBuilder::new(trace, at + n * 1_100_000_000);
        let path = format!("/orders/{order}/cancel");
        let g = 612 + n as i64;
        let sv = http_server(
            &mut t,
            0,
            ORDER,
            "POST",
            "/orders/{id}/cancel",
            &path,
            202,
            (0, 9_800),
            g,
        )
        .id;
        internal(
            &mut t,
            sv,
            ORDER,
            "order.(*Service).Cancel",
            (300, 6_100),
            g,
        );
        let pr = t
            .span(sv, ORDER, Producer, "order-events publish", (6_400, 9_200))
            .s("messaging.system", "kafka")
            .s("messaging.destination.name", "order-events")
            .s("messaging.operation.type", "publish")
            .s("messaging.kafka.message.key", order.to_string())
            .g(g)
            .id;
        producers.push((trace, pr));
        traces.push(trace);
        spans.extend(t.spans);
    }
    let mut c = TraceBuilder::new(
        0x8f41_adc3_6a5e_42ab_b174_e5fa_02c3_4d68,
        at + 2_500_000_000,
    );
    let co = c
        .span(0, SHIPPING, Consumer, "order-events process", (0, 24_000))
        .s("messaging.system", "kafka")
        .s("messaging.destination.name", "order-events")
        .s("messaging.operation.type", "process")
        .s("messaging.consumer.group.name", "shipping")
        .i("messaging.batch.message_count", 3)
        .g(88);
    for &(trace, span) in &producers {
        co.link(trace, span);
    }
    let co = co.id;
    internal(
        &mut c,
        co,
        SHIPPING,
        "shipping.(*Planner).CancelShipments",
        (500, 23_200),
        88,
    );
    traces.push(c.trace);
    spans.extend(c.spans);
    Scenario {
        spans,
        story: Story {
            title: "order-events: a Kafka batch consumer linked to its producers",
            traces,
            text: "Three `POST /orders/{id}/cancel` requests to order-svc each publish an event to the Kafka topic \
                   `order-events` (goroutines 612-614), 1.1 s apart. shipping-svc's consumer group handler takes the \
                   three in one batch 0.3 s after the third: a new trace whose CONSUMER root `order-events process` has a span link \
                   to each message's PRODUCER span, as the messaging semantic conventions ask. tracetopo reports \
                   no break (linked, not broken); the service graph counts the three as linked calls \
                   order-svc → shipping-svc, and the flame chart's Stitch mode draws the batch under the \
                   producers.",
            shows: None,
        },
    }
}

/// GET /users/{id} with a fan-out to user-svc and the Chinese-named notification service.
fn healthy_user(k: u64) -> Scenario {
    let mut t = TraceBuilder::new(
        0x0af7_6519_16cd_43dd_8448_eb21_1c80_319c,
        base(HEALTHY_BASE, k),
    );
    let lg = loadgen(&mut t, "GET", "/users/20481", (0, 64_000), 200).id;
    let gw = http_server(
        &mut t,
        lg,
        GATEWAY,
        "GET",
        "/users/{id}",
        "/users/20481",
        200,
        (300, 63_600),
        1102,
    )
    .s("user.id", "u-20481")
    .id;
    let us = grpc_call(
        &mut t,
        gw,
        (GATEWAY, USER, "user.UserService/GetUser"),
        ((700, 41_800), (1_200, 41_200)),
        (1107, 88),
    );
    let q = internal(&mut t, us, USER, "查询用户", (1_400, 38_900), 88)
        .s("user.id", "u-20481")
        .id;
    db(
        &mut t,
        q,
        USER,
        "SELECT",
        "users",
        "SELECT id, name, email, created_at FROM users WHERE id = $1",
        (1_700, 37_800),
        88,
    );
    mapper(
        &mut t,
        us,
        USER,
        "mapper.ToProto",
        "*ent.User",
        "*userpb.User",
        (39_100, 39_600),
        88,
    );
    let gn = http_client(
        &mut t,
        gw,
        GATEWAY,
        "POST",
        "notify-svc",
        "/api/v1/notify",
        202,
        (800, 22_400),
        1108,
    )
    .s("peer.service", "通知服务")
    .id;
    let ns = http_server(
        &mut t,
        gn,
        NOTIFY,
        "POST",
        "/api/v1/notify",
        "/api/v1/notify",
        202,
        (1_300, 21_900),
        77,
    )
    .id;
    internal(&mut t, ns, NOTIFY, "发送通知", (1_600, 21_500), 77).s("notify.channel", "短信");
    convert(
        &mut t,
        gw,
        GATEWAY,
        "*userpb.User",
        "*dto.UserResp",
        (42_000, 42_400),
        1102,
    );
    Scenario::one_trace(
        t,
        "GET /users/{id}: fan-out, Chinese names",
        "api-gateway fans out on two errgroup goroutines (1107, 1108; the handler runs on 1102): a gRPC \
        call to user-svc, whose spans carry `go.goroutine.id` instead of `goroutine.id` and include \
        `查询用户` (query user) around a postgres SELECT and a `convert.from`/`convert.to` mapper \
        `*ent.User` → `*userpb.User`, and an HTTP call to the service `通知服务` (notification service, \
        `peer.service` set) whose `发送通知` (send notification) span uses channel `短信` (SMS). The \
        gateway then converts `*userpb.User` → `*dto.UserResp`, continuing user-svc's chain.",
        None,
    )
}

/// GET /orders/{id}: a read with an audit call whose spans use `thread.id`.
fn healthy_order_read(k: u64) -> Scenario {
    let mut t = TraceBuilder::new(
        0x5b8e_fff7_9803_8103_d269_b633_813f_c60c,
        base(HEALTHY_BASE, k),
    );
    let gw = gateway_request(
        &mut t,
        ("GET", "/orders/{id}", "/orders/900117", 200),
        ((0, 48_000), (250, 47_700)),
        1163,
    );
    let os = grpc_call(
        &mut t,
        gw,
        (GATEWAY, ORDER, "order.OrderService/GetOrder"),
        ((500, 45_900), (900, 45_400)),
        (1163, 301),
    );
    db(
        &mut t,
        os,
        ORDER,
        "SELECT",
        "orders",
        "SELECT id, user_id, amount_cents, status FROM orders WHERE id = $1",
        (1_100, 18_700),
        301,
    );
    convert(
        &mut t,
        os,
        ORDER,
        "*model.OrderRow",
        "*orderpb.Order",
        (18_900, 19_300),
        301,
    );
    let ac = http_client(
        &mut t,
        os,
        ORDER,
        "POST",
        "audit-svc",
        "/v1/audit",
        204,
        (19_600, 44_800),
        309,
    )
    .id;
    let au = http_server(
        &mut t,
        ac,
        AUDIT,
        "POST",
        "/v1/audit",
        "/v1/audit",
        204,
        (20_100, 44_300),
        14,
    )
    .id;
    internal(&mut t, au, AUDIT, "auditlog.Append", (20_400, 43_900), 14);
    convert(
        &mut t,
        gw,
        GATEWAY,
        "*orderpb.Order",
        "*dto.OrderResp",
        (46_100, 46_500),
        1163,
    );
    Scenario::one_trace(
        t,
        "GET /orders/{id}: read with an audit call",
        "order-svc reads the order from postgres, converts `*model.OrderRow` → `*orderpb.Order` and \
        records an audit entry with audit-svc from a goroutine it waits for (309; the handler runs on \
        301). audit-svc's spans carry `thread.id` as a string. The gateway converts \
        `*orderpb.Order` → `*dto.OrderResp` (a chain from order-svc to api-gateway).",
        None,
    )
}

fn shows(kind: &'static str, span: &SpanRec) -> Option<Shows> {
    Some(Shows {
        kind,
        span: span.id,
        span_name: span.name.clone(),
        related: None,
    })
}

/// The user-svc SELECT whose parent span never reached the collector.
fn broken_orphan(k: u64) -> Scenario {
    let mut t = TraceBuilder::new(
        0x6e0f_1a2b_3c4d_4e5f_8a9b_0c1d_2e3f_4a51,
        base(BROKEN_BASE, k),
    );
    let gw = gateway_request(
        &mut t,
        ("GET", "/users/{id}", "/users/7", 200),
        ((0, 52_000), (300, 51_700)),
        1201,
    );
    let us = grpc_call(
        &mut t,
        gw,
        (GATEWAY, USER, "user.UserService/GetUser"),
        ((600, 50_900), (1_000, 50_300)),
        (1201, 91),
    );
    let lost = internal(&mut t, us, USER, "userRepo.FindByID", (1_200, 49_800), 91).id;
    let sel = db(
        &mut t,
        lost,
        USER,
        "SELECT",
        "users",
        "SELECT id, name, email FROM users WHERE id = $1",
        (1_500, 49_000),
        91,
    )
    .id;
    t.spans.retain(|s| s.id != lost);
    let shown = t.get(sel).and_then(|s| shows("orphan_span", s));
    Scenario::one_trace(
        t,
        "orphan_span: a parent that never arrived",
        "user-svc's `userRepo.FindByID` span was lost on the way (its batch was dropped), so the postgres \
        `SELECT acme.users` under it names a parent that is not in the file.",
        shown,
    )
}

/// The gateway calls payment-svc without injecting the context; payment-svc starts a new trace.
fn broken_propagation(k: u64) -> Scenario {
    let at = base(BROKEN_BASE, k);
    let mut a = TraceBuilder::new(0xa7d2_c41e_9b3f_4e08_b5c6_d7e8_f9a0_b1c2, at);
    let gw = gateway_request(
        &mut a,
        ("POST", "/orders/{id}/pay", "/orders/900231/pay", 200),
        ((0, 90_000), (300, 89_600)),
        1230,
    );
    let gp = http_client(
        &mut a,
        gw,
        GATEWAY,
        "POST",
        "payment-svc",
        "/v1/payments",
        200,
        (700, 88_900),
        1230,
    )
    .id;
    let mut b = TraceBuilder::new(0x3f9e_8d7c_6b5a_4938_2716_0594_8372_6150, at);
    let ps = http_server(
        &mut b,
        0,
        PAYMENT,
        "POST",
        "/v1/payments",
        "/v1/payments",
        200,
        (1_300, 88_200),
        530,
    )
    .id;
    convert(
        &mut b,
        ps,
        PAYMENT,
        "[]byte",
        "*paymentpb.ChargeRequest",
        (1_500, 1_900),
        530,
    );
    internal(&mut b, ps, PAYMENT, "payment.Charge", (2_100, 87_700), 530)
        .i("payment.amount_cents", 4_500);
    let mut shown = a.get(gp).and_then(|s| shows("propagation_break", s));
    if let (Some(sh), Some(root)) = (shown.as_mut(), b.get(ps)) {
        sh.related = Some((b.trace, root.id, root.name.clone()));
    }
    let mut spans = a.spans;
    spans.extend(b.spans);
    Scenario {
        spans,
        story: Story {
            title: "propagation_break: payment-svc starts its own trace",
            traces: vec![a.trace, b.trace],
            text: "api-gateway's HTTP client call `POST http://payment-svc:8080/v1/payments` went out without a \
                   `traceparent` header (a plain `http.Client` instead of the otelhttp transport), so it has no \
                   server child; payment-svc's `POST /v1/payments` is the SERVER root of a second trace that \
                   starts 0.6 ms into the client span, on the same path.",
            shows: shown,
        },
    }
}

/// order-svc writes an audit record from a goroutine started with `context.Background()`.
fn broken_detached(k: u64) -> Scenario {
    let at = base(BROKEN_BASE, k);
    let mut a = TraceBuilder::new(0xc0a8_016e_5d4c_4b3a_9f8e_7d6c_5b4a_3921, at);
    let gw = gateway_request(
        &mut a,
        ("POST", "/orders", "/orders", 201),
        ((0, 120_000), (300, 119_600)),
        1250,
    );
    let os = grpc_call(
        &mut a,
        gw,
        (GATEWAY, ORDER, "order.OrderService/CreateOrder"),
        ((600, 118_800), (1_000, 118_200)),
        (1250, 260),
    );
    db(
        &mut a,
        os,
        ORDER,
        "INSERT",
        "orders",
        "INSERT INTO orders (id, user_id, amount_cents, status) VALUES ($1, $2, $3, $4)",
        (1_400, 30_500),
        260,
    );
    let mut b = TraceBuilder::new(0x91d3_5e7a_0c2b_4f6e_8d1a_3c5e_7f9b_2d40, at);
    let aw = internal(&mut b, 0, ORDER, "audit.Write", (31_000, 58_000), 268).id;
    let ac = http_client(
        &mut b,
        aw,
        ORDER,
        "POST",
        "audit-svc",
        "/v1/audit",
        204,
        (31_300, 57_600),
        268,
    )
    .id;
    http_server(
        &mut b,
        ac,
        AUDIT,
        "POST",
        "/v1/audit",
        "/v1/audit",
        204,
        (31_800, 57_100),
        21,
    );
    let mut shown = b.get(aw).and_then(|s| shows("detached_root", s));
    if let (Some(sh), Some(p)) = (shown.as_mut(), a.get(os)) {
        sh.related = Some((a.trace, p.id, p.name.clone()));
    }
    let mut spans = a.spans;
    spans.extend(b.spans);
    Scenario {
        spans,
        story: Story {
            title: "detached_root: a goroutine with context.Background()",
            traces: vec![a.trace, b.trace],
            text: "While order-svc serves `CreateOrder` (after its INSERT finished), it starts `go audit.Write(context.Background(), …)` \
                   on goroutine 268: the INTERNAL root `audit.Write` of a second trace, in the same process, \
                   30 ms into the SERVER span. Its call to audit-svc is traced properly inside that second trace. \
                   The only span of order-svc's process in the first trace that contains the root's start is \
                   the SERVER span, so that is the one candidate.",
            shows: shown,
        },
    }
}

/// A goroutine nobody waited for: order-svc's child ends 50 ms after its SERVER span.
fn broken_outlives(k: u64) -> Scenario {
    let mut t = TraceBuilder::new(
        0x5d2c_7e9a_1b3f_4c6d_8e0a_2b4c_6d8e_0f13,
        base(BROKEN_BASE, k),
    );
    let gw = gateway_request(
        &mut t,
        ("POST", "/orders", "/orders", 201),
        ((0, 80_000), (300, 79_600)),
        1270,
    );
    let os = grpc_call(
        &mut t,
        gw,
        (GATEWAY, ORDER, "order.OrderService/CreateOrder"),
        ((600, 78_800), (1_000, 78_200)),
        (1270, 275),
    );
    let nw = internal(
        &mut t,
        os,
        ORDER,
        "order.notifyWarehouse",
        (2_000, 128_200),
        281,
    )
    .id;
    let shown = t.get(nw).and_then(|s| shows("span_outlives_parent", s));
    Scenario::one_trace(
        t,
        "span_outlives_parent: fire-and-forget goroutine",
        "`CreateOrder` starts `order.notifyWarehouse` on goroutine 281 with the request's context and \
        returns without waiting; the child ends 50 ms after its SERVER parent ended, in the same \
        process.",
        shown,
    )
}

/// order-svc's stock worker, goroutine 500, was started by the first `CreateOrder` with that
/// request's context and kept it: it parents the reservations of the next three requests
/// (each its own trace) to the first request's span, long after it ended.
fn broken_stale(k: u64) -> Scenario {
    let at = base(BROKEN_BASE, k);
    let mut old = TraceBuilder::new(0xc0de_5a1e_7b2f_4e91_8d3c_6a0b_2e4f_7d19, at);
    let create = "order.OrderService/CreateOrder";
    let gw = gateway_request(
        &mut old,
        ("POST", "/orders", "/orders", 201),
        ((0, 40_000), (300, 39_700)),
        1310,
    );
    let os = grpc_call(
        &mut old,
        gw,
        (GATEWAY, ORDER, create),
        ((600, 38_900), (1_000, 38_300)),
        (1310, 1320),
    );
    internal(&mut old, os, ORDER, "stock.Reserve", (2_000, 30_000), 500);
    let mut spans = Vec::new();
    let mut traces = vec![old.trace];
    let mut shown = None;
    for (n, trace) in [
        0x5e1f_8c30_4fa2_49e4_8d7b_1c3f_508e_2a61_u128,
        0x6f20_9d41_40b3_4af5_9e8c_2d40_619f_3b72,
        0x7031_ae52_41c4_4b06_af9d_3e51_72a0_4c83,
    ]
    .into_iter()
    .enumerate()
    {
        let us = 400_000 * (n as u64 + 1);
        let mut t = TraceBuilder::new(trace, at);
        // A client that does not trace: order-svc's SERVER span is the request's root.
        let served = grpc(
            &mut t,
            0,
            ORDER,
            Server,
            create,
            (us + 1_000, us + 38_300),
            1330 + 10 * n as i64,
        )
        .id;
        let job = internal(
            &mut old,
            os,
            ORDER,
            "stock.Reserve",
            (us + 2_000, us + 30_000),
            500,
        )
        .id;
        if shown.is_none() {
            shown = old.get(job).and_then(|s| shows("stale_parent", s));
            if let (Some(sh), Some(r)) = (shown.as_mut(), t.get(served)) {
                sh.related = Some((t.trace, r.id, r.name.clone()));
            }
        }
        traces.push(t.trace);
        spans.extend(t.spans);
    }
    spans.extend(old.spans);
    Scenario {
        spans,
        story: Story {
            title: "stale_parent: a pooled goroutine kept an old request's context",
            traces,
            text: "order-svc hands each order's stock reservation to a worker goroutine. The worker, goroutine 500, \
                   was started by the first `CreateOrder` with that request's context and kept it: the first \
                   `stock.Reserve` runs inside its request, but those of the next three requests (400 ms apart, \
                   from a client that does not trace, so each is a trace of one SERVER span) are children of the \
                   first request's SERVER span, started long after it ended. Each is a `stale_parent`, related \
                   to the `CreateOrder` SERVER span of the request it served; the three later traces lack their \
                   reservation.",
            shows: shown,
        },
    }
}

/// The gateway cannot decode the request body.
fn broken_conversion(k: u64) -> Scenario {
    let mut t = TraceBuilder::new(
        0x9c8b_7a6f_5e4d_4c3b_2a19_087f_6e5d_4c3b,
        base(BROKEN_BASE, k),
    );
    let lg = loadgen(&mut t, "POST", "/orders", (0, 9_000), 400)
        .fail("400 Bad Request")
        .id;
    let gw = http_server(
        &mut t,
        lg,
        GATEWAY,
        "POST",
        "/orders",
        "/orders",
        400,
        (300, 8_600),
        1290,
    )
    .id;
    let message = "json: cannot unmarshal string into Go struct field CreateOrderReq.amount_cents of type int64";
    let cv = convert(
        &mut t,
        gw,
        GATEWAY,
        "[]byte",
        "*dto.CreateOrderReq",
        (500, 1_300),
        1290,
    )
    .fail(message)
    .exception("*json.UnmarshalTypeError", message)
    .id;
    let shown = t.get(cv).and_then(|s| shows("conversion_error", s));
    Scenario::one_trace(
        t,
        "conversion_error: the body does not decode",
        "The request body has `amount_cents` as a string; the gateway's conversion step \
        `[]byte` → `*dto.CreateOrderReq` fails with status ERROR and an `exception` event, and the \
        gateway answers 400.",
        shown,
    )
}

/// user-svc's clock runs 30 ms behind the gateway's.
fn broken_skew(k: u64) -> Scenario {
    let mut t = TraceBuilder::new(
        0x2b7e_1516_28ae_d2a6_abf7_1588_09cf_4f3c,
        base(BROKEN_BASE, k),
    );
    let gw = gateway_request(
        &mut t,
        ("GET", "/users/{id}", "/users/42", 200),
        ((0, 100_000), (400, 99_500)),
        1310,
    );
    let us = grpc_call(
        &mut t,
        gw,
        (GATEWAY, USER, "user.UserService/GetUser"),
        ((40_000, 70_000), (10_000, 38_000)),
        (1310, 95),
    );
    db(
        &mut t,
        us,
        USER,
        "SELECT",
        "users",
        "SELECT id, name, email FROM users WHERE id = $1",
        (15_000, 30_000),
        95,
    );
    let shown = t.get(us).and_then(|s| shows("clock_skew", s));
    Scenario::one_trace(
        t,
        "clock_skew: user-svc's clock is behind",
        "The node running user-svc has a clock 30 ms behind: its SERVER span starts 30 ms before the \
        gateway's gRPC client span that called it (and ends well inside it). Spans inside user-svc \
        are consistent with each other.",
        shown,
    )
}

/// order-svc emits a span whose id is all zeros.
fn broken_invalid_id(k: u64) -> Scenario {
    let mut t = TraceBuilder::new(
        0xe3b0_c442_98fc_4c14_9afb_f4c8_996f_b924,
        base(BROKEN_BASE, k),
    );
    let gw = gateway_request(
        &mut t,
        ("POST", "/orders", "/orders", 201),
        ((0, 60_000), (300, 59_600)),
        1330,
    );
    let os = grpc_call(
        &mut t,
        gw,
        (GATEWAY, ORDER, "order.OrderService/CreateOrder"),
        ((600, 58_800), (1_000, 58_200)),
        (1330, 290),
    );
    let v = internal(&mut t, os, ORDER, "order.validate", (1_200, 2_000), 290);
    v.id = 0;
    let shown = shows("invalid_id", v);
    Scenario::one_trace(
        t,
        "invalid_id: an all-zero span id",
        "A hand-rolled span in order-svc (`order.validate`, a leaf) was exported with span id \
        `0000000000000000`. It must still be loaded and shown.",
        shown,
    )
}

/// Two different spans in one trace with the same span id.
fn broken_duplicate(k: u64) -> Scenario {
    let mut t = TraceBuilder::new(
        0x7f3a_9c2e_5b1d_4f8a_6c0e_2a4b_6d8f_0a1c,
        base(BROKEN_BASE, k),
    );
    let gw = gateway_request(
        &mut t,
        ("GET", "/orders/{id}", "/orders/900311", 200),
        ((0, 40_000), (300, 39_600)),
        1350,
    );
    let os = grpc_call(
        &mut t,
        gw,
        (GATEWAY, ORDER, "order.OrderService/GetOrder"),
        ((600, 38_800), (1_000, 38_200)),
        (1350, 310),
    );
    let first = internal(&mut t, os, ORDER, "orderCache.Get", (1_200, 1_900), 310).id;
    let again = internal(&mut t, os, ORDER, "orderRepo.Get", (2_100, 37_500), 310);
    again.id = first;
    let shown = shows("duplicate_span", again);
    Scenario::one_trace(
        t,
        "duplicate_span: one span id, two spans",
        "order-svc reused a span id (a copied `SpanContext`): `orderCache.Get` and `orderRepo.Get` are \
        two different leaf spans under `GetOrder` with the same span id.",
        shown,
    )
}

/// The gateway calls audit-svc, which traces elsewhere but sent nothing for this call.
fn broken_unmatched(k: u64) -> Scenario {
    let mut t = TraceBuilder::new(
        0x1d4e_7f0a_3b6c_4d9e_8f2a_5b8c_1d4e_7f0b,
        base(BROKEN_BASE, k),
    );
    let gw = gateway_request(
        &mut t,
        ("DELETE", "/orders/{id}", "/orders/900412", 204),
        ((0, 30_000), (300, 29_600)),
        1370,
    );
    let ga = http_client(
        &mut t,
        gw,
        GATEWAY,
        "POST",
        "audit-svc",
        "/v1/audit",
        204,
        (700, 12_400),
        1370,
    )
    .s("peer.service", "audit-svc")
    .id;
    let gc = grpc(
        &mut t,
        gw,
        GATEWAY,
        Client,
        "order.OrderService/CancelOrder",
        (12_600, 28_900),
        1370,
    )
    .id;
    grpc(
        &mut t,
        gc,
        ORDER,
        Server,
        "order.OrderService/CancelOrder",
        (13_000, 28_300),
        322,
    );
    let shown = t.get(ga).and_then(|s| shows("unmatched_client", s));
    Scenario::one_trace(
        t,
        "unmatched_client: audit-svc sent nothing",
        "The gateway's HTTP call to audit-svc (`peer.service` = `audit-svc`, a service traced \
        elsewhere in this file) has no server child and no trace of audit-svc starts during it: \
        audit-svc's spans for this call were sampled out or lost. The gRPC call to order-svc after \
        it is paired normally.",
        shown,
    )
}

fn healthy() -> Vec<Scenario> {
    vec![
        healthy_checkout(0),
        healthy_user(1),
        healthy_order_read(2),
        healthy_batch(3),
    ]
}

fn broken() -> Vec<Scenario> {
    vec![
        broken_orphan(0),
        broken_propagation(1),
        broken_detached(2),
        broken_outlives(3),
        broken_conversion(4),
        broken_skew(5),
        broken_invalid_id(6),
        broken_duplicate(7),
        broken_unmatched(8),
        broken_stale(9),
    ]
}

fn all_spans(scenarios: &[Scenario]) -> Vec<SpanRec> {
    scenarios
        .iter()
        .flat_map(|s| s.spans.iter().cloned())
        .collect()
}

fn pretty_request(spans: &[SpanRec]) -> String {
    request_json(&spans.iter().collect::<Vec<_>>()).pretty(100)
}

const README_HEAD: &str = "# Sample traces

Small, hand-built OpenTelemetry trace dumps from an imagined Go shop: `loadgen` drives
`api-gateway`, which calls `order-svc`, `user-svc`, `payment-svc`, `audit-svc` and
`通知服务` (the notification service); `order-svc` publishes to Kafka, `inventory-consumer`
consumes, and `shipping-svc` consumes order events in batches. All files are spec-conformant OTLP/JSON (lowercase hex ids, 64-bit ints as decimal
strings, enums as integers). Every span records its goroutine: `goroutine.id` (int), except
user-svc (`go.goroutine.id`) and audit-svc (`thread.id`, a string).

These files are generated by `tracetopo generate samples sample-traces` (`src/synth/samples.rs`);
`cargo test --test it samples::` checks that they are exactly what the generator writes. Edit the
generator, not the files.

| file | what |
|---|---|
| `checkout-healthy.json` | one `ExportTraceServiceRequest`, pretty-printed: healthy traces, no breaks of any kind |
| `checkout-broken.json` | one `ExportTraceServiceRequest`, pretty-printed: one scenario per spec §5 break kind |
| `checkout-live.jsonl` | the healthy traces again as a Collector `file` exporter writes them: one request per line, one process's batch (at most 6 spans, in the order they ended) per line, so each trace is spread over several lines |

Times: the healthy traces start at 2025-06-12T02:00:00Z, 1.5 s apart; the broken scenarios an
hour later, also 1.5 s apart, so scenarios never overlap in time. Within a scenario every
child lies inside its parent except where the break needs otherwise.
";

fn readme(healthy: &[Scenario], broken: &[Scenario]) -> String {
    let mut out = README_HEAD.to_string();
    for (file, list) in [
        ("checkout-healthy.json", healthy),
        ("checkout-broken.json", broken),
    ] {
        let _ = write!(out, "\n## `{file}`\n");
        for sc in list {
            let st = &sc.story;
            let _ = write!(out, "\n### {}\n\n", st.title);
            for trace in &st.traces {
                let n = sc.spans.iter().filter(|s| s.trace == *trace).count();
                let _ = writeln!(out, "- trace `{}` ({n} spans)", trace_hex(*trace));
            }
            match &st.shows {
                None => out.push_str("- breaks: none\n"),
                Some(sh) => {
                    let _ = writeln!(
                        out,
                        "- break: `{}` on span `{}` `{}`",
                        sh.kind,
                        sh.span_name,
                        span_hex(sh.span)
                    );
                    if let Some((trace, span, name)) = &sh.related {
                        let _ = writeln!(
                            out,
                            "- related: span `{name}` `{}` in trace `{}`",
                            span_hex(*span),
                            trace_hex(*trace)
                        );
                    }
                }
            }
            out.push('\n');
            out.push_str(&st.text.split_whitespace().collect::<Vec<_>>().join(" "));
            out.push('\n');
        }
    }
    out.push_str(super::sample_logs::README);
    out
}

/// Writes the sample files into `dir` (created if missing) and returns their paths.
pub fn write_samples(dir: &Path) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let healthy = healthy();
    let broken = broken();
    let healthy_spans = all_spans(&healthy);
    let broken_spans = all_spans(&broken);
    let mut files = vec![
        (
            "checkout-healthy.json".to_string(),
            pretty_request(&healthy_spans),
        ),
        (
            "checkout-broken.json".to_string(),
            pretty_request(&broken_spans),
        ),
        (
            "checkout-live.jsonl".to_string(),
            jsonl(&healthy_spans, LIVE_BATCH),
        ),
        ("README.md".to_string(), readme(&healthy, &broken)),
    ];
    files.extend(super::sample_logs::files(&broken_spans));
    let mut paths = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text)?;
        paths.push(path);
    }
    Ok(paths)
}
