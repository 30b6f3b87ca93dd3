//! Break detectors (spec §5) on small stores built in code: for each kind a scenario that must
//! fire, with the exact span and related span, and near misses that must not.

use tracetopo::analysis::Options;
use tracetopo::analysis::breaks::{Break, BreakKind, Severity, find_breaks};
use tracetopo::analysis::testkit::{Kit, MS, V};
use tracetopo::model::span::flags;
use tracetopo::model::{Event, SpanKind, StatusCode, Store};

const TOL: u64 = MS;
/// A realistic epoch so that subtracting the tolerance never reaches zero.
const T0: u64 = 1_700_000_000_000_000_000;

/// A kit whose span times are nanoseconds after `T0`.
fn kit() -> Kit {
    Kit::starting_at(T0)
}

type Ids = (u128, u64);

/// The breaks of one kind as (trace, span) and related (trace, span).
fn found(store: &Store, breaks: &[Break], kind: BreakKind) -> Vec<(Ids, Option<Ids>)> {
    let ids = |i: u32| {
        let s = store.span(i);
        (s.trace_id, s.span_id)
    };
    breaks
        .iter()
        .filter(|b| b.kind == kind)
        .map(|b| (ids(b.span), b.related.map(ids)))
        .collect()
}

fn message(store: &Store, breaks: &[Break], kind: BreakKind) -> String {
    breaks
        .iter()
        .find(|b| b.kind == kind)
        .map_or(String::new(), |b| b.message(store))
}

fn breaks_of(store: &Store) -> Vec<Break> {
    find_breaks(store, &Options { tolerance_ns: TOL })
}

#[test]
fn orphan_span_per_missing_parent() {
    let mut d = kit();
    let r = d.service("user-svc", "u1");
    d.span_ns(r, (1, 1, 0), SpanKind::Server, (0, 10 * MS), "GET /users");
    d.span_ns(
        r,
        (1, 2, 99),
        SpanKind::Client,
        (1, 2 * MS),
        "SELECT acme.users",
    );
    d.span_ns(r, (1, 3, 1), SpanKind::Internal, (2, 3 * MS), "encode");
    d.span_ns(r, (1, 4, 4), SpanKind::Internal, (3, 4 * MS), "self");
    // The parent id exists, but in another trace: still an orphan in this one.
    d.span_ns(r, (2, 5, 1), SpanKind::Internal, (3, 4 * MS), "elsewhere");
    let store = d.store();
    let b = breaks_of(&store);
    assert_eq!(
        found(&store, &b, BreakKind::OrphanSpan),
        vec![((1, 2), None), ((1, 4), None), ((2, 5), None)]
    );
    let m = message(&store, &b, BreakKind::OrphanSpan);
    assert!(
        m.contains("SELECT acme.users") && m.contains("0000000000000063"),
        "{m}"
    );
}

/// order-svc's CLIENT span calls user-svc, whose SERVER span starts a new trace.
fn client_call(d: &mut Kit, server_start: u64) -> Store {
    let o = d.service("order-svc", "o1");
    let u = d.service("user-svc", "u1");
    d.span_ns(
        o,
        (10, 1, 0),
        SpanKind::Server,
        (0, 100 * MS),
        "POST /orders",
    );
    let c = d.span_ns(o, (10, 2, 1), SpanKind::Client, (10 * MS, 50 * MS), "GET");
    d.attrs(
        c,
        &[
            ("server.address", "user-svc"),
            ("url.full", "http://user-svc:8080/users/42?x=1"),
        ],
    );
    let s = d.span_ns(
        u,
        (20, 1, 0),
        SpanKind::Server,
        (server_start, server_start + MS),
        "GET /users/{id}",
    );
    d.attrs(s, &[("http.route", "/users/{id}")]);
    std::mem::replace(d, kit()).store()
}

#[test]
fn propagation_break_links_client_to_server_root() {
    let store = client_call(&mut kit(), 12 * MS);
    let b = breaks_of(&store);
    assert_eq!(
        found(&store, &b, BreakKind::PropagationBreak),
        vec![((10, 2), Some((20, 1)))]
    );
    assert_eq!(
        message(&store, &b, BreakKind::PropagationBreak),
        "order-svc called user-svc (GET /users/{id}) but the server span started a new trace \
         (00000000…): context not injected by the client or not extracted by the server"
    );
    assert!(found(&store, &b, BreakKind::UnmatchedClient).is_empty());
}

#[test]
fn propagation_window_edges_use_the_tolerance() {
    // The client runs 10..50 ms; the window is 9..51 ms inclusive.
    for (start, fires) in [
        (9 * MS, true),
        (9 * MS - 1, false),
        (51 * MS, true),
        (51 * MS + 1, false),
    ] {
        let store = client_call(&mut kit(), start);
        let b = breaks_of(&store);
        let got = found(&store, &b, BreakKind::PropagationBreak);
        assert_eq!(got.len(), usize::from(fires), "server root at {start} ns");
        // Outside the window the call goes to a traced service that left no server span.
        let unmatched = found(&store, &b, BreakKind::UnmatchedClient);
        assert_eq!(
            unmatched,
            if fires { vec![] } else { vec![((10, 2), None)] }
        );
    }
}

#[test]
fn disagreeing_attribute_rules_a_root_out_and_the_best_wins() {
    let mut d = kit();
    let o = d.service("order-svc", "o1");
    let u = d.service("user-svc", "u1");
    let c = d.span_ns(o, (10, 1, 0), SpanKind::Client, (10 * MS, 50 * MS), "GET");
    d.attrs(c, &[("url.full", "http://user-svc/users/42")]);
    // Closest in time but its route disagrees: ruled out.
    let s = d.span_ns(
        u,
        (20, 1, 0),
        SpanKind::Server,
        (10 * MS, 11 * MS),
        "GET /orders",
    );
    d.attrs(s, &[("http.route", "/orders/{id}")]);
    // No path attributes: a candidate with nothing agreeing, closer than the next one.
    d.span_ns(
        u,
        (21, 1, 0),
        SpanKind::Server,
        (12 * MS, 13 * MS),
        "handler",
    );
    // Its path agrees: one agreeing attribute beats a closer start.
    let s = d.span_ns(
        u,
        (22, 1, 0),
        SpanKind::Server,
        (30 * MS, 31 * MS),
        "GET /users/42",
    );
    d.attrs(s, &[("url.path", "/users/42")]);
    let store = d.store();
    let b = breaks_of(&store);
    assert_eq!(
        found(&store, &b, BreakKind::PropagationBreak),
        vec![((10, 1), Some((22, 1)))]
    );
}

#[test]
fn closest_start_breaks_a_tie_and_own_service_is_no_candidate() {
    let mut d = kit();
    let o = d.service("order-svc", "o1");
    let u = d.service("user-svc", "u1");
    d.span_ns(o, (10, 1, 0), SpanKind::Client, (10 * MS, 50 * MS), "call");
    // Same service as the client, closest of all: not a candidate.
    d.span_ns(
        o,
        (30, 1, 0),
        SpanKind::Server,
        (10 * MS, 11 * MS),
        "loopback",
    );
    d.span_ns(u, (20, 1, 0), SpanKind::Server, (40 * MS, 41 * MS), "late");
    d.span_ns(u, (21, 1, 0), SpanKind::Server, (14 * MS, 15 * MS), "early");
    let store = d.store();
    let b = breaks_of(&store);
    assert_eq!(
        found(&store, &b, BreakKind::PropagationBreak),
        vec![((10, 1), Some((21, 1)))]
    );
}

#[test]
fn rpc_method_and_peer_service_pick_the_server() {
    let mut d = kit();
    let o = d.service("order-svc", "o1");
    let u = d.service("user-svc", "u1");
    let a = d.service("auth-svc", "a1");
    let c = d.span_ns(o, (10, 1, 0), SpanKind::Client, (10 * MS, 50 * MS), "call");
    d.attrs(
        c,
        &[
            ("rpc.service", "user.UserService"),
            ("rpc.method", "GetUser"),
            ("peer.service", "user-svc"),
        ],
    );
    // Method named in the span name disagrees.
    d.span_ns(
        u,
        (20, 1, 0),
        SpanKind::Server,
        (11 * MS, 12 * MS),
        "user.UserService/ListUsers",
    );
    // Right method, wrong service for peer.service.
    d.span_ns(
        a,
        (21, 1, 0),
        SpanKind::Server,
        (12 * MS, 13 * MS),
        "user.UserService/GetUser",
    );
    d.span_ns(
        u,
        (22, 1, 0),
        SpanKind::Server,
        (40 * MS, 41 * MS),
        "user.UserService/GetUser",
    );
    let store = d.store();
    let b = breaks_of(&store);
    assert_eq!(
        found(&store, &b, BreakKind::PropagationBreak),
        vec![((10, 1), Some((22, 1)))]
    );
}

#[test]
fn producer_window_reaches_sixty_seconds_and_destinations_must_agree() {
    const S: u64 = 1_000_000_000;
    let mut d = kit();
    let o = d.service("order-svc", "o1");
    let m = d.service("mailer", "m1");
    let p = d.span_ns(
        o,
        (10, 1, 0),
        SpanKind::Producer,
        (0, 5 * MS),
        "orders publish",
    );
    d.attrs(p, &[("messaging.destination.name", "orders")]);
    // Other topic: ruled out although closer.
    let c = d.span_ns(
        m,
        (20, 1, 0),
        SpanKind::Consumer,
        (S, S + MS),
        "payments process",
    );
    d.attrs(c, &[("messaging.destination.name", "payments")]);
    let c = d.span_ns(
        m,
        (21, 1, 0),
        SpanKind::Consumer,
        (30 * S, 30 * S + MS),
        "orders process",
    );
    d.attrs(c, &[("messaging.destination.name", "orders")]);
    // A SERVER root does not answer a PRODUCER.
    d.span_ns(
        m,
        (22, 1, 0),
        SpanKind::Server,
        (2 * MS, 3 * MS),
        "GET /health",
    );
    // A second producer whose only consumer comes just too late.
    let p = d.span_ns(
        o,
        (11, 1, 0),
        SpanKind::Producer,
        (100 * S, 100 * S + 5 * MS),
        "publish",
    );
    d.attrs(p, &[("messaging.destination.name", "late")]);
    let late = 100 * S + 5 * MS + 60 * S + TOL + 1;
    let c = d.span_ns(
        m,
        (23, 1, 0),
        SpanKind::Consumer,
        (late, late + MS),
        "late process",
    );
    d.attrs(c, &[("messaging.destination.name", "late")]);
    let store = d.store();
    let b = breaks_of(&store);
    assert_eq!(
        found(&store, &b, BreakKind::PropagationBreak),
        vec![((10, 1), Some((21, 1)))]
    );
    assert!(
        message(&store, &b, BreakKind::PropagationBreak)
            .starts_with("order-svc published to mailer")
    );
    // unmatched_client is for CLIENT spans only.
    assert!(found(&store, &b, BreakKind::UnmatchedClient).is_empty());
}

#[test]
fn paired_and_database_calls_are_not_breaks() {
    let mut d = kit();
    let o = d.service("order-svc", "o1");
    let u = d.service("user-svc", "u1");
    d.span_ns(
        o,
        (10, 1, 0),
        SpanKind::Client,
        (10 * MS, 50 * MS),
        "GET /users",
    );
    d.span_ns(
        u,
        (10, 2, 1),
        SpanKind::Server,
        (11 * MS, 49 * MS),
        "GET /users",
    );
    let q = d.span_ns(
        o,
        (10, 3, 0),
        SpanKind::Client,
        (10 * MS, 50 * MS),
        "SELECT",
    );
    d.attrs(
        q,
        &[("db.system", "postgresql"), ("server.address", "10.0.0.7")],
    );
    d.span_ns(
        u,
        (20, 1, 0),
        SpanKind::Server,
        (20 * MS, 21 * MS),
        "GET /other",
    );
    let store = d.store();
    let b = breaks_of(&store);
    assert!(
        found(&store, &b, BreakKind::PropagationBreak).is_empty(),
        "{b:?}"
    );
    assert!(
        found(&store, &b, BreakKind::UnmatchedClient).is_empty(),
        "{b:?}"
    );
}

#[test]
fn unmatched_client_needs_a_traced_peer() {
    let mut d = kit();
    let o = d.service("order-svc", "o1");
    // user-svc is traced: it sent spans (another request, long after this call).
    let u = d.service("user-svc", "u1");
    d.span_ns(
        u,
        (11, 1, 0),
        SpanKind::Server,
        (50 * MS, 51 * MS),
        "GetUser",
    );
    let c = d.span_ns(o, (10, 1, 0), SpanKind::Client, (0, MS), "GetUser");
    d.attrs(c, &[("peer.service", "user-svc")]);
    let c = d.span_ns(o, (10, 2, 0), SpanKind::Client, (0, MS), "charge");
    d.attrs(c, &[("peer.service", "stripe")]);
    let store = d.store();
    let b = breaks_of(&store);
    assert_eq!(
        found(&store, &b, BreakKind::UnmatchedClient),
        vec![((10, 1), None)]
    );
    assert!(
        message(&store, &b, BreakKind::UnmatchedClient).starts_with("order-svc called user-svc")
    );
}

#[test]
fn detached_root_names_the_tightest_parent_and_counts_candidates() {
    let mut d = kit();
    let o = d.service("order-svc", "o1");
    d.span_ns(
        o,
        (1, 1, 0),
        SpanKind::Server,
        (0, 100 * MS),
        "POST /orders",
    );
    d.span_ns(
        o,
        (1, 2, 1),
        SpanKind::Internal,
        (10 * MS, 40 * MS),
        "validate",
    );
    d.span_ns(
        o,
        (3, 1, 0),
        SpanKind::Server,
        (15 * MS, 200 * MS),
        "GET /x",
    );
    // Ended before the root started: no candidate.
    d.span_ns(o, (4, 1, 0), SpanKind::Server, (0, 19 * MS), "GET /done");
    d.span_ns(
        o,
        (2, 1, 0),
        SpanKind::Internal,
        (20 * MS, 25 * MS),
        "audit.Write",
    );
    let store = d.store();
    let b = breaks_of(&store);
    assert_eq!(
        found(&store, &b, BreakKind::DetachedRoot),
        vec![((2, 1), Some((1, 2)))]
    );
    assert_eq!(
        message(&store, &b, BreakKind::DetachedRoot),
        "order-svc started a new trace \"audit.Write\" inside \"validate\" (trace 00000000…): \
         a goroutine started without the request context? (3 candidate parents)"
    );
}

#[test]
fn detached_root_edges_and_non_serving_processes() {
    let mut d = kit();
    let o = d.service("order-svc", "o1");
    let o2 = d.service("order-svc", "o2");
    let g = d.service("loadgen", "g1");
    d.span_ns(o, (1, 1, 0), SpanKind::Server, (0, 10 * MS), "POST /orders");
    // Starts exactly at the end of the request: inside (no tolerance, end inclusive).
    d.span_ns(
        o,
        (2, 1, 0),
        SpanKind::Producer,
        (10 * MS, 11 * MS),
        "publish",
    );
    // Starts 1 ns after the request ended (and after "publish", a PRODUCER, ended).
    d.span_ns(
        o,
        (3, 1, 0),
        SpanKind::Client,
        (11 * MS + 1, 12 * MS),
        "refresh",
    );
    // Another instance of the service serves requests, but not at this time.
    d.span_ns(
        o2,
        (4, 1, 0),
        SpanKind::Server,
        (500 * MS, 600 * MS),
        "GET /a",
    );
    d.span_ns(o2, (5, 1, 0), SpanKind::Internal, (5 * MS, 6 * MS), "tick");
    // A load generator starts roots inside its own long run: legitimate.
    d.span_ns(g, (6, 1, 0), SpanKind::Internal, (0, 1000 * MS), "run");
    d.span_ns(
        g,
        (7, 1, 0),
        SpanKind::Client,
        (10 * MS, 20 * MS),
        "POST /orders",
    );
    let store = d.store();
    let b = breaks_of(&store);
    assert_eq!(
        found(&store, &b, BreakKind::DetachedRoot),
        vec![((2, 1), Some((1, 1)))]
    );
    assert!(message(&store, &b, BreakKind::DetachedRoot).ends_with("(1 candidate parent)"));
}

#[test]
fn span_outlives_parent_in_one_process_only() {
    let mut d = kit();
    let o = d.service("order-svc", "o1");
    d.span_ns(o, (1, 1, 0), SpanKind::Server, (0, 10 * MS), "POST /orders");
    d.span_ns(
        o,
        (1, 2, 1),
        SpanKind::Internal,
        (5 * MS, 10 * MS + TOL + 1),
        "send email",
    );
    d.span_ns(
        o,
        (1, 3, 1),
        SpanKind::Internal,
        (5 * MS, 10 * MS + TOL),
        "at the edge",
    );
    d.span_ns(o, (1, 4, 1), SpanKind::Producer, (MS, 2 * MS), "publish");
    d.span_ns(
        o,
        (1, 5, 4),
        SpanKind::Consumer,
        (3 * MS, 50 * MS),
        "consume",
    );
    let store = d.store();
    let b = breaks_of(&store);
    assert_eq!(
        found(&store, &b, BreakKind::SpanOutlivesParent),
        vec![((1, 2), Some((1, 1)))]
    );
    assert!(found(&store, &b, BreakKind::ClockSkew).is_empty());
    assert!(
        message(&store, &b, BreakKind::SpanOutlivesParent)
            .contains("ended 1.0 ms after its parent")
    );
}

#[test]
fn clock_skew_across_processes() {
    let mut d = kit();
    let o = d.service("order-svc", "o1");
    let u = d.service("user-svc", "u1");
    let m = d.service("mailer", "m1");
    d.span_ns(o, (1, 1, 0), SpanKind::Client, (10 * MS, 20 * MS), "GET");
    // Starts more than the tolerance before its parent.
    d.span_ns(
        u,
        (1, 2, 1),
        SpanKind::Server,
        (10 * MS - TOL - 1, 15 * MS),
        "early",
    );
    // Exactly the tolerance before and after: fine.
    d.span_ns(
        u,
        (1, 3, 1),
        SpanKind::Server,
        (10 * MS - TOL, 20 * MS + TOL),
        "edge",
    );
    // Ends more than the tolerance after its parent.
    d.span_ns(
        u,
        (1, 4, 1),
        SpanKind::Server,
        (11 * MS, 20 * MS + TOL + 1),
        "late",
    );
    d.span_ns(
        o,
        (1, 5, 0),
        SpanKind::Producer,
        (30 * MS, 31 * MS),
        "publish",
    );
    // A consumer may end long after its producer; starting before it is still skew.
    d.span_ns(
        m,
        (1, 6, 5),
        SpanKind::Consumer,
        (40 * MS, 90 * MS),
        "consume",
    );
    d.span_ns(
        m,
        (1, 7, 5),
        SpanKind::Consumer,
        (28 * MS, 90 * MS),
        "consume early",
    );
    let store = d.store();
    let b = breaks_of(&store);
    assert_eq!(
        found(&store, &b, BreakKind::ClockSkew),
        vec![
            ((1, 2), Some((1, 1))),
            ((1, 4), Some((1, 1))),
            ((1, 7), Some((1, 5)))
        ]
    );
    assert!(found(&store, &b, BreakKind::SpanOutlivesParent).is_empty());
    let early = b
        .iter()
        .find(|x| x.kind == BreakKind::ClockSkew)
        .map(|x| x.message(&store));
    assert_eq!(
        early.as_deref(),
        Some(
            "\"early\" in user-svc starts 1.0 ms before its parent \"GET\" in order-svc: the \
             two hosts' clocks probably disagree"
        )
    );
}

#[test]
fn conversion_error_by_status_or_exception() {
    let mut d = kit();
    let o = d.service("api-gateway", "g1");
    let k = d.span_ns(
        o,
        (1, 1, 0),
        SpanKind::Internal,
        (0, MS),
        "type.convert.[]byte.to.*dto.CreateOrderReq",
    );
    d.batch.spans[k].status = StatusCode::Error;
    d.batch.spans[k].status_message = d.batch.intern("unexpected EOF");
    let k = d.span_ns(o, (1, 2, 0), SpanKind::Internal, (0, MS), "toDomain");
    d.attrs(
        k,
        &[("convert.from", "*pb.User"), ("convert.to", "*domain.User")],
    );
    let m = d.batch.attr_mark();
    d.batch.push_str_attr("exception.message", "nil pointer");
    let ev = Event {
        time: T0,
        name: d.batch.intern("exception"),
        attrs: d.batch.attrs_since(m),
    };
    d.batch.events.push(ev);
    d.batch.spans[k].events = tracetopo::model::ArenaRange { start: 0, len: 1 };
    // Not conversions, or conversions that went fine.
    let k = d.span_ns(o, (1, 3, 0), SpanKind::Internal, (0, MS), "handler");
    d.batch.spans[k].status = StatusCode::Error;
    d.span_ns(
        o,
        (1, 4, 0),
        SpanKind::Internal,
        (0, MS),
        "type.convert.a.to.b",
    );
    let store = d.store();
    let b = breaks_of(&store);
    assert_eq!(
        found(&store, &b, BreakKind::ConversionError),
        vec![((1, 1), None), ((1, 2), None)]
    );
    let msgs: Vec<String> = b
        .iter()
        .filter(|x| x.kind == BreakKind::ConversionError)
        .map(|x| x.message(&store))
        .collect();
    assert_eq!(
        msgs,
        [
            "conversion []byte → *dto.CreateOrderReq failed in api-gateway: unexpected EOF",
            "conversion *pb.User → *domain.User failed in api-gateway: nil pointer"
        ]
    );
}

#[test]
fn invalid_and_duplicate_ids() {
    let mut store = Store::new();
    let input = store.add_input("a.json", "otlp-json");
    let mut d = kit();
    let o = d.service("order-svc", "o1");
    d.span_ns(o, (1, 1, 0), SpanKind::Server, (0, 10 * MS), "POST /orders");
    let k = d.span_ns(o, (1, 0, 1), SpanKind::Internal, (MS, 2 * MS), "zero id");
    d.batch.spans[k].flags = flags::BAD_SPAN_ID | flags::BAD_PARENT_ID;
    store.add_batch(d.batch, input);
    // The same span again with another name: a differing copy.
    let mut d = kit();
    let o = d.service("order-svc", "o1");
    d.span_ns(
        o,
        (1, 1, 0),
        SpanKind::Server,
        (0, 10 * MS),
        "POST /orders/v2",
    );
    store.add_batch(d.batch, input);
    store.build_index();
    let b = breaks_of(&store);
    assert_eq!(store.spans.len(), 3, "invalid and duplicate spans are kept");
    assert_eq!(
        found(&store, &b, BreakKind::InvalidId),
        vec![((1, 0), None)]
    );
    assert_eq!(
        message(&store, &b, BreakKind::InvalidId),
        "\"zero id\" in order-svc has an invalid span id and parent id (all zeros or wrong \
         length); the span is kept"
    );
    let dups: Vec<&Break> = b
        .iter()
        .filter(|x| x.kind == BreakKind::DuplicateSpan)
        .collect();
    assert_eq!(dups.len(), 1);
    let first = store.find_span(1, 1);
    assert!(first.is_some());
    assert_eq!(dups[0].related, first);
    assert_ne!(Some(dups[0].span), first);
    assert_eq!(store.str(store.span(dups[0].span).name), "POST /orders/v2");
}

/// 200 request traces: gateway SERVER → gateway CLIENT → order-svc SERVER → INTERNAL, one per
/// second, with three kinds of faults injected at known traces.
#[test]
fn two_hundred_traces_give_the_expected_counts_in_order() {
    const S: u64 = 1_000_000_000;
    let mut d = kit();
    let g = d.service("api-gateway", "g1");
    let o = d.service("order-svc", "o1");
    let (mut broken, mut orphans, mut outliving) = (0, 0, 0);
    for k in 0..200u64 {
        let t = u128::from(k) + 1;
        let at = k * S;
        d.span_ns(
            g,
            (t, 1, 0),
            SpanKind::Server,
            (at, at + 100 * MS),
            "POST /orders",
        );
        let c = d.span_ns(
            g,
            (t, 2, 1),
            SpanKind::Client,
            (at + 10 * MS, at + 60 * MS),
            "POST",
        );
        d.attrs(
            c,
            &[
                ("server.address", "order-svc"),
                ("url.full", &format!("http://order-svc/orders/{k}")),
            ],
        );
        let server = if k % 10 == 3 {
            broken += 1;
            (t + 1000, 3, 0)
        } else {
            (t, 3, 2)
        };
        let s = d.span_ns(
            o,
            server,
            SpanKind::Server,
            (at + 12 * MS, at + 58 * MS),
            "POST",
        );
        d.attrs(s, &[("http.route", "/orders/{id}")]);
        let end = if k % 20 == 5 {
            outliving += 1;
            at + 63 * MS
        } else {
            at + 30 * MS
        };
        d.span_ns(
            o,
            (server.0, 4, 3),
            SpanKind::Internal,
            (at + 20 * MS, end),
            "save",
        );
        if k % 25 == 7 {
            orphans += 1;
            d.span_ns(
                o,
                (t, 5, 0xdead),
                SpanKind::Internal,
                (at + 70 * MS, at + 71 * MS),
                "late",
            );
        }
    }
    assert_eq!((broken, orphans, outliving), (20, 8, 10));
    let store = d.store();
    let b = breaks_of(&store);
    let count = |kind| b.iter().filter(|x| x.kind == kind).count();
    assert_eq!(count(BreakKind::PropagationBreak), broken);
    assert_eq!(count(BreakKind::OrphanSpan), orphans);
    assert_eq!(count(BreakKind::SpanOutlivesParent), outliving);
    assert_eq!(b.len(), broken + orphans + outliving, "{b:#?}");
    for (ids, related) in found(&store, &b, BreakKind::PropagationBreak) {
        assert_eq!(ids.1, 2);
        assert_eq!(
            related,
            Some((ids.0 + 1000, 3)),
            "stitched to its own server"
        );
    }
    let keys: Vec<_> = b
        .iter()
        .map(|x| {
            (
                x.kind,
                store.span(x.span).trace_id,
                store.span(x.span).span_id,
            )
        })
        .collect();
    assert!(keys.is_sorted(), "breaks sorted by kind, trace id, span id");
    assert_eq!(b, breaks_of(&store), "deterministic");
}

#[test]
fn empty_store_has_no_breaks() {
    let mut store = Store::new();
    store.build_index();
    assert!(breaks_of(&store).is_empty());
}

const SEC: u64 = 1_000 * MS;
/// The old request's trace and the one the pooled goroutine served next.
const OLD: u128 = 0x4bf92f3577b34da6a3ce929d0e0e4736;
const NEW: u128 = 0x7a3c01d2e4f5a6b7c8d9e0f1a2b3c4d5;

/// inventory served `inventory.Stock/Reserve` in trace OLD (0–10 ms); its worker goroutine 500
/// kept that context and ran `stock.Reserve` at `start` ns, while the request of trace NEW
/// (`new_request`, when given) was open.
fn pooled_goroutine(start: u64, new_request: Option<(u64, u64)>) -> Store {
    let mut d = kit();
    let inv = d.service("inventory", "inv-1");
    let name = "inventory.Stock/Reserve";
    d.span_ns(inv, (OLD, 1, 0), SpanKind::Server, (0, 10 * MS), name);
    if let Some(times) = new_request {
        d.span_ns(inv, (NEW, 1, 0), SpanKind::Server, times, name);
    }
    let job = d.span_ns(
        inv,
        (OLD, 2, 1),
        SpanKind::Internal,
        (start, start + 50 * MS),
        "stock.Reserve",
    );
    d.attrs(job, &[("goroutine.id", V::I(500))]);
    d.store()
}

#[test]
fn stale_parent_names_the_goroutine_and_the_request_it_served() {
    let store = pooled_goroutine(2 * SEC + 10 * MS, Some((2 * SEC, 2 * SEC + 100 * MS)));
    let b = breaks_of(&store);
    assert_eq!(
        found(&store, &b, BreakKind::StaleParent),
        vec![((OLD, 2), Some((NEW, 1)))]
    );
    assert!(found(&store, &b, BreakKind::SpanOutlivesParent).is_empty());
    assert_eq!(b.len(), 1, "{b:#?}");
    assert_eq!(
        message(&store, &b, BreakKind::StaleParent),
        "goroutine 500 ran \"stock.Reserve\" 2.0 s after its parent \
         \"inventory.Stock/Reserve\" ended: a pooled goroutine kept an old request's context; \
         it probably served the request in trace 7a3c01d2…"
    );
    assert_eq!(BreakKind::StaleParent.severity(), Severity::Warning);
}

#[test]
fn stale_parent_without_an_open_request_names_none() {
    // NEW's request ended before the goroutine ran: no request was open.
    let store = pooled_goroutine(2 * SEC, Some((SEC, SEC + 100 * MS)));
    let b = breaks_of(&store);
    assert_eq!(
        found(&store, &b, BreakKind::StaleParent),
        vec![((OLD, 2), None)]
    );
    assert_eq!(
        message(&store, &b, BreakKind::StaleParent),
        "goroutine 500 ran \"stock.Reserve\" 2.0 s after its parent \
         \"inventory.Stock/Reserve\" ended: a pooled goroutine kept an old request's context"
    );
}

#[test]
fn stale_parent_starts_past_the_tolerance_only() {
    // Starting exactly the tolerance after the parent's end still counts as inside it: the
    // child outlives its parent.
    let store = pooled_goroutine(10 * MS + TOL, Some((0, SEC)));
    let b = breaks_of(&store);
    assert!(found(&store, &b, BreakKind::StaleParent).is_empty());
    assert_eq!(
        found(&store, &b, BreakKind::SpanOutlivesParent),
        vec![((OLD, 2), Some((OLD, 1)))]
    );
    let store = pooled_goroutine(10 * MS + TOL + 1, Some((0, SEC)));
    let b = breaks_of(&store);
    assert_eq!(
        found(&store, &b, BreakKind::StaleParent),
        vec![((OLD, 2), Some((NEW, 1)))]
    );
    assert!(found(&store, &b, BreakKind::SpanOutlivesParent).is_empty());
}

#[test]
fn a_child_started_inside_its_parent_outlives_it_and_is_not_stale() {
    let store = pooled_goroutine(5 * MS, Some((0, SEC)));
    let b = breaks_of(&store);
    assert!(found(&store, &b, BreakKind::StaleParent).is_empty());
    assert_eq!(
        found(&store, &b, BreakKind::SpanOutlivesParent),
        vec![((OLD, 2), Some((OLD, 1)))]
    );
}

#[test]
fn stale_parent_takes_the_tightest_request_of_the_same_process_in_another_trace() {
    let mut d = kit();
    let inv = d.service("inventory", "inv-1");
    let other = d.service("inventory", "inv-2");
    d.span_ns(inv, (OLD, 1, 0), SpanKind::Server, (0, 10 * MS), "old");
    // A SERVER span of the child's own trace open at its start is no candidate.
    d.span_ns(inv, (OLD, 3, 0), SpanKind::Server, (SEC, 3 * SEC), "own");
    // Another instance's request, tighter than any: another process.
    d.span_ns(
        other,
        (3, 1, 0),
        SpanKind::Server,
        (2 * SEC, 2 * SEC + 1),
        "elsewhere",
    );
    // Two nested requests of NEW, and a consumer of trace 4 around them both.
    d.span_ns(inv, (4, 1, 0), SpanKind::Consumer, (0, 10 * SEC), "consume");
    d.span_ns(inv, (NEW, 1, 0), SpanKind::Server, (SEC, 4 * SEC), "outer");
    d.span_ns(
        inv,
        (NEW, 2, 1),
        SpanKind::Server,
        (2 * SEC - MS, 2 * SEC + MS),
        "inner",
    );
    d.span_ns(
        inv,
        (OLD, 2, 1),
        SpanKind::Internal,
        (2 * SEC, 2 * SEC + MS),
        "job",
    );
    // The consumer alone is open here.
    d.span_ns(
        inv,
        (OLD, 4, 1),
        SpanKind::Internal,
        (5 * SEC, 5 * SEC + MS),
        "later",
    );
    let store = d.store();
    let b = breaks_of(&store);
    assert_eq!(
        found(&store, &b, BreakKind::StaleParent),
        vec![((OLD, 2), Some((NEW, 2))), ((OLD, 4), Some((4, 1)))]
    );
    assert!(
        message(&store, &b, BreakKind::StaleParent).starts_with("inventory ran \"job\" 2.0 s"),
        "no goroutine id: the service runs it"
    );
}

#[test]
fn incoming_and_messaging_children_are_never_stale() {
    let mut d = kit();
    let inv = d.service("inventory", "inv-1");
    d.span_ns(inv, (NEW, 9, 0), SpanKind::Server, (0, 10 * SEC), "request");
    d.span_ns(
        inv,
        (OLD, 1, 0),
        SpanKind::Producer,
        (0, MS),
        "orders publish",
    );
    d.span_ns(
        inv,
        (OLD, 2, 1),
        SpanKind::Consumer,
        (SEC, 2 * SEC),
        "orders process",
    );
    // An in-process stream: each item is received long after the span that opened it ended.
    d.span_ns(inv, (OLD, 3, 0), SpanKind::Client, (0, MS), "Watch");
    d.span_ns(
        inv,
        (OLD, 4, 3),
        SpanKind::Consumer,
        (3 * SEC, 3 * SEC + MS),
        "item",
    );
    // A Kafka poll (as Brave records it): the batch is processed after the poll returned.
    d.span_ns(
        inv,
        (OLD, 5, 0),
        SpanKind::Consumer,
        (4 * SEC, 4 * SEC + MS),
        "poll",
    );
    d.span_ns(
        inv,
        (OLD, 6, 5),
        SpanKind::Internal,
        (5 * SEC, 6 * SEC),
        "on-message",
    );
    // A request whose context came with it (a redirect): its caller's span had ended.
    d.span_ns(
        inv,
        (OLD, 7, 6),
        SpanKind::Server,
        (7 * SEC, 7 * SEC + MS),
        "GET /next",
    );
    let store = d.store();
    let b = breaks_of(&store);
    assert!(
        found(&store, &b, BreakKind::StaleParent).is_empty(),
        "{b:#?}"
    );
    assert!(found(&store, &b, BreakKind::SpanOutlivesParent).is_empty());
}

/// The healthy samples have no stale parent, and the broken one only the three of its worker
/// goroutine, one group in the app.
#[test]
fn samples_have_stale_parents_only_where_built() {
    for name in ["checkout-healthy.json", "checkout-live.jsonl"] {
        let (store, analysis) = crate::util::load(name);
        assert!(
            found(&store, &analysis.breaks, BreakKind::StaleParent).is_empty(),
            "{name}"
        );
    }
    let (store, analysis) = crate::util::load("checkout-broken.json");
    let stale = found(&store, &analysis.breaks, BreakKind::StaleParent);
    assert_eq!(stale.len(), 3);
    assert!(
        stale
            .iter()
            .all(|((t, _), _)| *t == 0xc0de5a1e7b2f4e918d3c6a0b2e4f7d19)
    );
    let session = crate::util::session("checkout-broken.json");
    let groups = session.index.stale_groups();
    assert_eq!(groups.len(), 1);
    assert_eq!((groups[0].goroutine, groups[0].breaks.len()), (500, 3));
}

/// The venv's Python with the SDK's console exporter, or a skip.
fn python() -> Option<std::path::PathBuf> {
    let py = std::env::var_os("TRACETOPO_PYTHON")
        .map_or_else(|| "python3".into(), std::path::PathBuf::from);
    let ok = std::process::Command::new(&py)
        .args([
            "-c",
            "from opentelemetry.sdk.trace.export import ConsoleSpanExporter",
        ])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return Some(py);
    }
    crate::util::missing(
        "TRACETOPO_REQUIRE_PYTHON",
        "the OpenTelemetry Python SDK not importable (bash scripts/setup-python.sh, then set \
         TRACETOPO_PYTHON)",
    );
    None
}

/// Go-style traces recorded with the real Python SDK (`tests/clients/go_worker_pool.py`): a
/// worker goroutine that kept the first request's context across three more requests gives a
/// `stale_parent` per request, related to the request it served, grouped by goroutine; a
/// goroutine that starts inside its request and outlives it is `span_outlives_parent` only.
#[test]
fn python_sdk_worker_pool_with_a_stale_context() {
    use tracetopo::ingest::{self, LoadOptions};
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let expect_path = dir.path().join("expect.json");
    let run = std::process::Command::new(py)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/clients/go_worker_pool.py"
        ))
        .arg(&expect_path)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let mut store = Store::new();
    ingest::load_bytes(&mut store, "py", &run.stdout, &LoadOptions::default()).unwrap();
    let session = tracetopo::app::state::Session::build(store, Options::default());
    let (store, b) = (&session.store, &session.analysis.breaks);

    let expect: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&expect_path).unwrap()).unwrap();
    let ids = |v: &serde_json::Value| -> Ids {
        let hex = |k: &str| v[k].as_str().unwrap_or_default().to_string();
        (
            u128::from_str_radix(&hex("trace"), 16).unwrap(),
            u64::from_str_radix(&hex("span"), 16).unwrap(),
        )
    };
    let mut want: Vec<(Ids, Option<Ids>)> = expect["stale"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (ids(&s["child"]), Some(ids(&s["served"]))))
        .collect();
    want.sort();
    assert_eq!(want.len(), 3);
    assert_eq!(found(store, b, BreakKind::StaleParent), want);
    let outlives = ids(&expect["outlives"]);
    let parent = store
        .find_span(outlives.0, outlives.1)
        .and_then(|i| store.parent(i))
        .map(|p| (store.span(p).trace_id, store.span(p).span_id));
    assert_eq!(
        found(store, b, BreakKind::SpanOutlivesParent),
        vec![(outlives, parent)]
    );
    assert_eq!(b.len(), 4, "{b:#?}");
    for x in b.iter().filter(|x| x.kind == BreakKind::StaleParent) {
        let served = x.related.map_or(0, |r| store.span(r).trace_id);
        let m = x.message(store);
        assert!(
            m.starts_with("goroutine 500 ran \"stock.Reserve\" ")
                && m.ends_with(&format!(
                    " after its parent \"inventory.Stock/Reserve\" ended: a pooled goroutine \
                     kept an old request's context; it probably served the request in trace {}…",
                    &format!("{served:032x}")[..8]
                )),
            "{m}"
        );
    }
    let groups = session.index.stale_groups();
    assert_eq!(groups.len(), 1);
    assert_eq!((groups[0].goroutine, groups[0].breaks.len()), (500, 3));
}

/// Three producers of `order-svc` in traces 1..=3 and a batch consumer of `shipping-svc`, a
/// new root CONSUMER span in trace 10 that starts after them; `linked`: the consumer links
/// each producer (the messaging conventions), else it carries no link (context lost).
fn batch_consumer(linked: bool) -> Store {
    let mut d = kit();
    let o = d.service("order-svc", "o1");
    let s = d.service("shipping-svc", "s1");
    for t in 1..=3u128 {
        let at = t as u64 * 10 * MS;
        d.span_ns(
            o,
            (t, 1, 0),
            SpanKind::Server,
            (at, at + 8 * MS),
            "POST /orders",
        );
        let p = d.span_ns(
            o,
            (t, 2, 1),
            SpanKind::Producer,
            (at + MS, at + 2 * MS),
            "orders publish",
        );
        d.attrs(p, &[("messaging.destination.name", "orders")]);
    }
    let c = d.span_ns(
        s,
        (10, 1, 0),
        SpanKind::Consumer,
        (50 * MS, 60 * MS),
        "orders process",
    );
    d.attrs(c, &[("messaging.destination.name", "orders")]);
    if linked {
        d.links(c, &[(1, 2), (2, 2), (3, 2)]);
    }
    d.store()
}

#[test]
fn a_batch_consumer_linked_to_its_producers_is_no_break() {
    let store = batch_consumer(true);
    let b = breaks_of(&store);
    assert_eq!(found(&store, &b, BreakKind::PropagationBreak), vec![]);
    assert!(
        b.is_empty(),
        "{:?}",
        b.iter().map(|b| b.kind).collect::<Vec<_>>()
    );
    // Without the links, the same spans are three lost contexts, each stitched to the batch.
    let store = batch_consumer(false);
    let b = breaks_of(&store);
    assert_eq!(
        found(&store, &b, BreakKind::PropagationBreak),
        vec![
            ((1, 2), Some((10, 1))),
            ((2, 2), Some((10, 1))),
            ((3, 2), Some((10, 1)))
        ]
    );
    assert_eq!(b.len(), 3);
}

#[test]
fn linked_producers_make_a_linked_service_edge() {
    let edge = |store: &Store| {
        let a = tracetopo::analysis::Analysis::run(store, &Options { tolerance_ns: TOL });
        let g = &a.services.graph;
        let node = |n: &str| g.node_indices().find(|&k| g[k].name == n);
        let e = g.find_edge(node("order-svc").unwrap(), node("shipping-svc").unwrap());
        e.map(|e| g[e].clone())
    };
    let linked = edge(&batch_consumer(true)).expect("order-svc → shipping-svc");
    assert_eq!((linked.calls, linked.linked, linked.broken), (3, 3, 0));
    let broken = edge(&batch_consumer(false)).expect("order-svc → shipping-svc");
    assert_eq!((broken.calls, broken.linked, broken.broken), (3, 0, 3));
}

/// `api` serves a request (trace 1, span 1) during which a job starts as a new trace
/// (trace 2): linked to `link` (the request), or with no link, started from
/// `context.Background()`.
fn async_job(link: Option<Ids>) -> Store {
    let mut d = kit();
    let a = d.service("api", "a1");
    d.span_ns(
        a,
        (1, 1, 0),
        SpanKind::Server,
        (0, 100 * MS),
        "POST /reports",
    );
    let j = d.span_ns(
        a,
        (2, 1, 0),
        SpanKind::Internal,
        (10 * MS, 900 * MS),
        "reports.Build",
    );
    if let Some(l) = link {
        d.links(j, &[l]);
    }
    d.span_ns(
        a,
        (2, 2, 1),
        SpanKind::Internal,
        (20 * MS, 800 * MS),
        "reports.Render",
    );
    d.store()
}

#[test]
fn an_async_job_linked_to_its_request_is_not_detached() {
    let store = async_job(Some((1, 1)));
    assert!(breaks_of(&store).is_empty());
    let store = async_job(None);
    let b = breaks_of(&store);
    assert_eq!(
        found(&store, &b, BreakKind::DetachedRoot),
        vec![((2, 1), Some((1, 1)))]
    );
    assert_eq!(b.len(), 1);
}

#[test]
fn a_link_to_a_span_that_is_not_loaded_is_no_break() {
    let store = async_job(Some((0xabc, 7)));
    assert!(breaks_of(&store).is_empty());
    let links = tracetopo::analysis::links::SpanLinks::build(&store);
    assert!(links.is_empty(), "the target is not loaded");
}

/// A Jaeger download: `frontend` serves a request (trace a1) and `worker` runs a job as its
/// own trace (b2) whose only reference is a FOLLOWS_FROM to the request; with `follows`
/// false the job has no reference at all.
fn jaeger_follows_from(follows: bool) -> Store {
    let refs = if follows {
        r#"[{"refType":"FOLLOWS_FROM","traceID":"000000000000000000000000000000a1","spanID":"00000000000000a1"}]"#
    } else {
        "[]"
    };
    let t0 = T0 / 1000;
    let doc = format!(
        r#"{{"data":[
 {{"traceID":"000000000000000000000000000000a1","processes":{{"p1":{{"serviceName":"frontend","tags":[]}}}},
  "spans":[{{"traceID":"000000000000000000000000000000a1","spanID":"00000000000000a1","operationName":"HTTP GET /dispatch",
    "references":[],"startTime":{t0},"duration":100000,"processID":"p1",
    "tags":[{{"key":"span.kind","type":"string","value":"server"}}]}}]}},
 {{"traceID":"000000000000000000000000000000b2","processes":{{"p1":{{"serviceName":"frontend","tags":[]}}}},
  "spans":[{{"traceID":"000000000000000000000000000000b2","spanID":"00000000000000b2","operationName":"dispatch.Async",
    "references":{refs},"startTime":{},"duration":500000,"processID":"p1","tags":[]}}]}}
]}}"#,
        t0 + 10_000
    );
    let mut store = Store::new();
    tracetopo::ingest::load_bytes(
        &mut store,
        "jaeger.json",
        doc.as_bytes(),
        &Default::default(),
    )
    .unwrap();
    store.build_index();
    store
}

#[test]
fn jaeger_follows_from_across_traces_is_a_link_not_a_detached_root() {
    let store = jaeger_follows_from(true);
    let job = store.find_span(0xb2, 0xb2).unwrap();
    assert_eq!(
        store.span(job).parent_id,
        0,
        "another trace's reference is no parent"
    );
    assert!(breaks_of(&store).is_empty());
    let store = jaeger_follows_from(false);
    let b = breaks_of(&store);
    assert_eq!(
        found(&store, &b, BreakKind::DetachedRoot),
        vec![((0xb2, 0xb2), Some((0xa1, 0xa1)))]
    );
}
