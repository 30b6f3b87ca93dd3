//! `propagation_break` and `unmatched_client`: CLIENT/PRODUCER spans whose call left no
//! SERVER/CONSUMER child in their own trace.
//!
//! Such a call is matched against the SERVER (CONSUMER) roots of other traces that started
//! during it: those roots are collected once, grouped by service and sorted by start, and each
//! call binary-searches its time window in the services its attributes allow. Choices where
//! spec §5 is silent:
//! - A database call (`db.*` attributes, or a vendor's: `cassandra.*`, `sql.query`, `redis.*`,
//!   …) is never matched and never an `unmatched_client`: databases are not traced services,
//!   their spans usually carry nothing that could rule a server root out (they would match
//!   whatever request happened to start meanwhile), and instrumentations put their own
//!   service as the database's peer name.
//! - A CLIENT span whose peer is its own service is a call to itself only with RPC or HTTP
//!   attributes; without them it is no `unmatched_client`.
//! - `server.address` names a service when it equals the service name or its first DNS label
//!   does (`user-svc:8080`, `user-svc.shop.svc.cluster.local`); an IP address or `localhost`
//!   says nothing about which service answered and is treated as absent.
//! - An `http.route` matches a path segment by segment: `{id}` and `:id` take one segment,
//!   `{rest...}`, `*` and a trailing `/` take the rest (Go `ServeMux` and common routers).
//! - Each call is matched on its own: two calls may name the same server root.

use std::cmp::Reverse;

use rayon::prelude::*;

use super::{Break, BreakKind, Ctx, Facts, brk, name, short_trace};
use crate::analysis::keys::Key;
use crate::analysis::links::is_linked_root;
use crate::analysis::peer::{TracedServices, url_path};
use crate::model::{SpanKind, Store, Sym, ops};

/// How long after a PRODUCER span ends its message may still be consumed (spec §5).
const PRODUCER_WINDOW_NS: u64 = 60_000_000_000;

/// Which span, when it started, and in which trace and service: a call and a root must differ
/// in trace and service and be near in time.
struct Place {
    idx: u32,
    start: u64,
    trace: u128,
    service: u32,
}

impl Place {
    fn of(store: &Store, i: u32) -> Place {
        let s = store.span(i);
        Place {
            idx: i,
            start: s.start,
            trace: s.trace_id,
            service: store.service_idx(i),
        }
    }
}

/// The operation a span names, as a call and as the root that answered it: each attribute
/// both name must agree.
struct Operation<'s> {
    rpc_service: Option<&'s str>,
    rpc_method: Option<&'s str>,
    path: Option<&'s str>,
    destination: Option<&'s str>,
}

/// What a SERVER/CONSUMER root offers for matching, read once.
struct Root<'s> {
    span: Place,
    op: Operation<'s>,
    route: Option<&'s str>,
}

/// What an unpaired CLIENT/PRODUCER span says about its callee.
struct Call<'s> {
    span: Place,
    kind: SpanKind,
    end: u64,
    database: bool,
    op: Operation<'s>,
    peer_service: Option<&'s str>,
    /// `peer.service` and `server.address` as interned, for an `unmatched_client`'s message.
    peer_syms: [Option<Sym>; 2],
    /// `server.address` when it names a host (see `address_host`).
    address_host: Option<&'s str>,
}

/// `propagation_break`s and `unmatched_client`s.
pub(super) fn find(ctx: &Ctx) -> Vec<Break> {
    let store = ctx.store;
    let n = store.spans.len() as u32;
    let mut servers: Vec<Root> = Vec::new();
    let mut consumers: Vec<Root> = Vec::new();
    for i in 0..n {
        let s = store.span(i);
        // A linked root names where it came from: it is nobody's lost server half.
        if s.parent_id != 0 || is_linked_root(store, i) {
            continue;
        }
        match s.kind {
            SpanKind::Server => servers.push(root(ctx, i)),
            SpanKind::Consumer => consumers.push(root(ctx, i)),
            _ => {}
        }
    }
    let services = store.index.services.len();
    let (servers, consumers) = (
        Buckets::new(servers, services),
        Buckets::new(consumers, services),
    );
    let traced = TracedServices::new(store);
    (0..n)
        .into_par_iter()
        .filter(|&i| is_unpaired_call(store, i) && !ctx.links.linked_from_other_trace(store, i))
        .filter_map(|i| {
            let call = call(ctx, i);
            let roots = if call.kind == SpanKind::Producer {
                &consumers
            } else {
                &servers
            };
            match best_root(ctx, &call, roots) {
                Some(s) => Some(propagation_break(&call, s)),
                None => unmatched_client(store, &call, &traced),
            }
        })
        .collect()
}

/// Roots grouped by service, each group sorted by start: a call whose attributes name its
/// callee searches only that service's roots, and a call to an untraced peer searches none.
/// The roots are also listed by start across services: when fewer roots started during a call
/// than there are services, its window is searched there instead, so many services cost a
/// call no more than the roots that could answer it.
struct Buckets<'s> {
    roots: Vec<Root<'s>>,
    /// Roots of service `k` are `roots[bounds[k]..bounds[k + 1]]`.
    bounds: Vec<usize>,
    /// Positions in `roots`, by start.
    by_start: Vec<u32>,
}

impl<'s> Buckets<'s> {
    fn new(mut roots: Vec<Root<'s>>, services: usize) -> Self {
        roots.sort_unstable_by_key(|r| (r.span.service, r.span.start, r.span.idx));
        let bounds = (0..=services as u32)
            .map(|k| roots.partition_point(|r| r.span.service < k))
            .collect();
        let mut by_start: Vec<u32> = (0..roots.len() as u32).collect();
        by_start.sort_unstable_by_key(|&k| {
            let r = &roots[k as usize].span;
            (r.start, r.idx)
        });
        Buckets {
            roots,
            bounds,
            by_start,
        }
    }

    fn of(&self, service: usize) -> &[Root<'s>] {
        match (self.bounds.get(service), self.bounds.get(service + 1)) {
            (Some(&a), Some(&b)) => self.roots.get(a..b).unwrap_or_default(),
            _ => &[],
        }
    }

    /// The roots of every service that started in `lo..=hi`.
    fn started(&self, lo: u64, hi: u64) -> impl Iterator<Item = &Root<'s>> {
        let start = |k: &u32| self.roots[*k as usize].span.start;
        let a = self.by_start.partition_point(|k| start(k) < lo);
        let b = self.by_start.partition_point(|k| start(k) <= hi).max(a);
        self.by_start[a..b].iter().map(|&k| &self.roots[k as usize])
    }
}

/// A CLIENT/PRODUCER span with no SERVER/CONSUMER child.
fn is_unpaired_call(store: &Store, i: u32) -> bool {
    store.span(i).kind.is_outgoing()
        && !store
            .children(i)
            .iter()
            .any(|&c| store.span(c).kind.is_incoming())
}

fn root<'s>(ctx: &Ctx<'s>, i: u32) -> Root<'s> {
    let store = ctx.store;
    let a = ctx.keys.strs(store, i);
    let named = rpc_from_name(store.str(store.span(i).name));
    Root {
        span: Place::of(store, i),
        op: Operation {
            rpc_service: a.get(Key::RpcService).or(named.map(|n| n.0)),
            rpc_method: a.get(Key::RpcMethod).or(named.map(|n| n.1)),
            path: a
                .get(Key::UrlPath)
                .or_else(|| a.get(Key::HttpTarget))
                .map(url_path),
            destination: a.get(Key::MessagingDestination),
        },
        route: a.get(Key::HttpRoute),
    }
}

fn call<'s>(ctx: &Ctx<'s>, i: u32) -> Call<'s> {
    let store = ctx.store;
    let s = store.span(i);
    let a = ctx.keys.strs(store, i);
    let path = match a.get(Key::UrlFull).or_else(|| a.get(Key::HttpUrl)) {
        Some(url) => Some(match url_path(url) {
            "" => "/",
            p => p,
        }),
        None => a
            .get(Key::UrlPath)
            .or_else(|| a.get(Key::HttpTarget))
            .map(url_path),
    };
    let server_address = a.get(Key::ServerAddress);
    Call {
        span: Place::of(store, i),
        kind: s.kind,
        end: s.end,
        database: a.database().is_some(),
        op: Operation {
            rpc_service: a.get(Key::RpcService),
            rpc_method: a.get(Key::RpcMethod),
            path,
            destination: a.get(Key::MessagingDestination),
        },
        peer_service: a.get(Key::PeerService),
        peer_syms: [a.sym(Key::PeerService), a.sym(Key::ServerAddress)],
        address_host: server_address.and_then(address_host),
    }
}

/// The root that best explains the call: in its window, in another service and trace, with no
/// disagreeing attribute; then most agreeing attributes, then closest start.
fn best_root<'r, 's>(ctx: &Ctx, c: &Call, roots: &'r Buckets<'s>) -> Option<&'r Root<'s>> {
    if c.database {
        return None;
    }
    let lo = c.span.start.saturating_sub(ctx.tolerance);
    let mut hi = c.end.saturating_add(ctx.tolerance);
    if c.kind == SpanKind::Producer {
        hi = hi.saturating_add(PRODUCER_WINDOW_NS);
    }
    let store = ctx.store;
    let services = &store.index.services;
    let agreement = |r: &Root| service_agreement(c, store.str(services[r.span.service as usize]));
    let across = roots.started(lo, hi);
    let candidates: Vec<(u32, &Root)> = if across.size_hint().0 < services.len() {
        across
            .inspect(|_| ops::count(1))
            .filter(|r| r.span.service != c.span.service && r.span.trace != c.span.trace)
            .filter_map(|r| Some((agreement(r)?, r)))
            .collect()
    } else {
        services
            .iter()
            .enumerate()
            .inspect(|_| ops::count(1))
            .filter(|&(k, _)| k as u32 != c.span.service)
            .filter_map(|(k, &name)| {
                // The window first: it is mostly empty, and then the names need no comparing.
                let bucket = roots.of(k);
                let a = bucket.partition_point(|r| r.span.start < lo);
                let b = bucket.partition_point(|r| r.span.start <= hi).max(a);
                let window = bucket.get(a..b).filter(|w| !w.is_empty())?;
                Some((window, service_agreement(c, store.str(name))?))
            })
            .flat_map(|(window, base)| {
                window
                    .iter()
                    .filter(|r| r.span.trace != c.span.trace)
                    .map(move |r| (base, r))
            })
            .collect()
    };
    candidates
        .into_iter()
        .filter_map(|(base, r)| Some((base + root_agreement(c, r)?, r)))
        .min_by_key(|(agree, r)| {
            let at = &r.span;
            (Reverse(*agree), at.start.abs_diff(c.span.start), at.idx)
        })
        .map(|(_, r)| r)
}

/// How many of the call's service-naming attributes (`peer.service`, `server.address`) name
/// `service`, or `None` when one names another.
fn service_agreement(c: &Call, service: &str) -> Option<u32> {
    tally([
        c.peer_service.map(|p| same_service(p, service)),
        c.address_host.map(|h| host_names(h, service)),
    ])
}

/// How many of the call's operation attributes the root agrees with, or `None` when one
/// disagrees.
fn root_agreement(c: &Call, r: &Root) -> Option<u32> {
    let (call, root) = (&c.op, &r.op);
    tally([
        call.rpc_service.zip(root.rpc_service).map(|(a, b)| a == b),
        call.rpc_method.zip(root.rpc_method).map(|(a, b)| a == b),
        call.path.and_then(|p| path_agrees(p, r.route, root.path)),
        call.destination.zip(root.destination).map(|(a, b)| a == b),
    ])
}

/// Counts agreeing verdicts; `None` as soon as one disagrees (absent attributes say nothing).
fn tally<const N: usize>(verdicts: [Option<bool>; N]) -> Option<u32> {
    let mut n = 0;
    for v in verdicts {
        match v {
            Some(false) => return None,
            Some(true) => n += 1,
            None => {}
        }
    }
    Some(n)
}

/// `pkg.Service/Method` (the gRPC span name) split into service and method.
fn rpc_from_name(name: &str) -> Option<(&str, &str)> {
    let (service, method) = name.split_once('/')?;
    let valid = |p: &str| !p.is_empty() && !p.contains(char::is_whitespace) && !p.contains('/');
    (valid(service) && valid(method)).then_some((service, method))
}

/// A peer name equals the service, or the service without its `namespace/` prefix.
fn same_service(peer: &str, service: &str) -> bool {
    peer == service
        || service
            .rsplit_once('/')
            .is_some_and(|(_, bare)| peer == bare)
}

/// The host of `server.address` without port; `None` for an IP address or `localhost`, which
/// say nothing about which service answered.
fn address_host(address: &str) -> Option<&str> {
    let host = match address.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None if address.matches(':').count() > 1 => address,
        None => address.split(':').next().unwrap_or(address),
    };
    let meaningless = host.is_empty()
        || host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::IpAddr>().is_ok();
    (!meaningless).then_some(host)
}

/// A host names a service when it, or its first DNS label, is the service's name (ignoring
/// ASCII case and the service's `namespace/` prefix).
fn host_names(host: &str, service: &str) -> bool {
    let bare = service.rsplit_once('/').map_or(service, |(_, b)| b);
    let label = host.split('.').next().unwrap_or(host);
    [host, label]
        .iter()
        .any(|h| h.eq_ignore_ascii_case(service) || h.eq_ignore_ascii_case(bare))
}

/// Whether the client's path is the server's route or path; `None` when the server has neither.
fn path_agrees(client: &str, route: Option<&str>, path: Option<&str>) -> Option<bool> {
    if route.is_none() && path.is_none() {
        return None;
    }
    Some(
        route.is_some_and(|r| route_matches(r, client))
            || path.is_some_and(|p| segments(p).eq(segments(client))),
    )
}

fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

/// Matches a path against a route template (see the module notes for the syntax).
fn route_matches(route: &str, path: &str) -> bool {
    // Go 1.22 patterns may carry a method and a host: `GET example.com/users/{id}`.
    let route = route.rsplit(' ').next().unwrap_or(route);
    let route = route.find('/').map_or(route, |k| &route[k..]);
    let mut want = segments(route).peekable();
    let mut have = segments(path);
    while let Some(w) = want.next() {
        if w == "*" || (w.starts_with('*') && want.peek().is_none()) || w.ends_with("...}") {
            return true;
        }
        if w == "{$}" {
            return have.next().is_none();
        }
        let Some(h) = have.next() else {
            return false;
        };
        let param = (w.starts_with('{') && w.ends_with('}')) || w.starts_with(':');
        if !param && w != h {
            return false;
        }
    }
    route.ends_with('/') || have.next().is_none()
}

fn propagation_break(c: &Call, r: &Root) -> Break {
    brk(
        BreakKind::PropagationBreak,
        c.span.idx,
        Some(r.span.idx),
        Facts::None,
    )
}

/// A CLIENT call to a traced service whose server side is nowhere in the data.
fn unmatched_client(store: &Store, c: &Call, traced: &TracedServices) -> Option<Break> {
    if c.kind != SpanKind::Client || c.database {
        return None;
    }
    let (peer, number) = c
        .peer_syms
        .into_iter()
        .flatten()
        .find_map(|p| Some((p, traced.number(store.str(p))?)))?;
    let op = &c.op;
    let rpc_or_http = op.rpc_service.is_some() || op.rpc_method.is_some() || op.path.is_some();
    if number == c.span.service && !rpc_or_http {
        return None;
    }
    Some(brk(
        BreakKind::UnmatchedClient,
        c.span.idx,
        None,
        Facts::Peer(peer),
    ))
}

pub(super) fn message(store: &Store, b: &Break) -> String {
    let c = b.span;
    if b.kind == BreakKind::UnmatchedClient {
        let peer = match b.facts {
            Facts::Peer(p) => store.str(p),
            _ => "",
        };
        return format!(
            "{} called {peer} (\"{}\"), a traced service, but no server span for the call is in \
             the data: the server did not export it, sampled it out, or was not loaded",
            store.service_name(c),
            name(store, c)
        );
    }
    let r = b.related.unwrap_or(c);
    let (a, b) = (store.service_name(c), store.service_name(r));
    let what = name(store, r);
    let trace = short_trace(store.span(r).trace_id);
    if store.span(c).kind == SpanKind::Producer {
        format!(
            "{a} published to {b} ({what}) but the consumer span started a new trace \
             ({trace}): context not injected by the producer or not extracted by the consumer"
        )
    } else {
        format!(
            "{a} called {b} ({what}) but the server span started a new trace ({trace}): context \
             not injected by the client or not extracted by the server"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Options;
    use crate::analysis::links::SpanLinks;
    use crate::analysis::testkit::{Kit, V};
    use crate::model::ops;

    /// n/2 services with one server root each and n/2 calls without peer attributes, each
    /// while one root starts: a call looks at the roots of its window, not at every service.
    fn many_services_steps(n: u64) -> u64 {
        let (mut kit, [caller]) = Kit::with_services([("caller", "c1")]);
        for k in 0..n / 2 {
            let svc = kit.service(&format!("svc{k}"), &format!("i{k}"));
            let t = 10 * k + 1000;
            kit.span(
                svc,
                u128::from(k) + 1,
                1,
                0,
                (t, t + 1),
                SpanKind::Server,
                "serve",
                &[],
            );
            let trace = u128::from(k) + 1 + (1 << 64);
            kit.span(
                caller,
                trace,
                1,
                0,
                (t, t + 1),
                SpanKind::Client,
                "call",
                &[],
            );
        }
        let store = kit.store();
        let (breaks, steps) = super::super::find_counted(&store, find);
        assert_eq!(breaks.len() as u64, n / 2, "every call finds its server");
        steps
    }

    /// Kinds of the breaks `find` reports for one CLIENT span of `api` (which is also a
    /// traced service, as is `users`) carrying `attrs`, with no server anywhere.
    fn unpaired_call_breaks(attrs: &[(&str, V)]) -> Vec<BreakKind> {
        let (mut kit, [api, users]) = Kit::with_services([("api", "a1"), ("users", "u1")]);
        kit.span(api, 1, 1, 0, (0, 100), SpanKind::Server, "GET /", &[]);
        kit.span(api, 1, 2, 1, (10, 20), SpanKind::Client, "call", attrs);
        kit.span(users, 2, 1, 0, (500, 600), SpanKind::Server, "later", &[]);
        let store = kit.store();
        let links = SpanLinks::build(&store);
        let ctx = super::super::Ctx::new(&store, &Options::default(), &links);
        find(&ctx).into_iter().map(|b| b.kind).collect()
    }

    #[test]
    fn database_calls_and_bare_self_calls_are_not_unmatched_clients() {
        let unmatched = vec![BreakKind::UnmatchedClient];
        assert_eq!(
            unpaired_call_breaks(&[("peer.service", V::S("users"))]),
            unmatched
        );
        // Database attributes of the conventions or of a vendor make it a database call.
        for db in [
            "db.statement",
            "cassandra.query",
            "sql.query",
            "redis.command",
        ] {
            let attrs = [("peer.service", V::S("users")), (db, V::S("x"))];
            assert_eq!(unpaired_call_breaks(&attrs), vec![], "{db}");
        }
        // Its own service as the peer: a call to itself only with RPC or HTTP attributes.
        assert_eq!(
            unpaired_call_breaks(&[("peer.service", V::S("api"))]),
            vec![]
        );
        let http = [("peer.service", V::S("api")), ("url.path", V::S("/x"))];
        assert_eq!(unpaired_call_breaks(&http), unmatched);
        let rpc = [("peer.service", V::S("api")), ("rpc.method", V::S("Get"))];
        assert_eq!(unpaired_call_breaks(&rpc), unmatched);
    }

    #[test]
    fn many_services_cost_n_log_n() {
        ops::assert_steps_n_log_n(
            "calls matched against roots of many services",
            many_services_steps,
        );
    }

    #[test]
    fn routes_match_paths() {
        assert!(route_matches("/users/{id}", "/users/42"));
        assert!(route_matches("GET /users/{id}", "/users/42/"));
        assert!(route_matches("/users/:id/orders", "/users/7/orders"));
        assert!(!route_matches("/users/{id}", "/users"));
        assert!(!route_matches("/users/{id}", "/users/42/orders"));
        assert!(!route_matches("/users/{id}", "/orders/42"));
        assert!(route_matches("/files/{path...}", "/files/a/b/c"));
        assert!(route_matches("/static/*", "/static/css/x.css"));
        assert!(route_matches("/static/", "/static/css/x.css"));
        assert!(route_matches("/", "/anything"));
        assert!(route_matches("/{$}", "/"));
        assert!(!route_matches("/{$}", "/x"));
        assert!(route_matches("GET example.com/users/{id}", "/users/1"));
    }

    #[test]
    fn addresses_name_services() {
        let names = |a: &str, s: &str| address_host(a).map(|h| host_names(h, s));
        assert_eq!(names("user-svc", "user-svc"), Some(true));
        assert_eq!(names("user-svc:8080", "user-svc"), Some(true));
        assert_eq!(
            names("User-Svc.shop.svc.cluster.local", "user-svc"),
            Some(true)
        );
        assert_eq!(names("user-svc", "shop/user-svc"), Some(true));
        assert_eq!(names("order-svc", "user-svc"), Some(false));
        assert_eq!(names("user-svc-2", "user-svc"), Some(false));
        assert_eq!(names("10.0.0.7:5432", "user-svc"), None);
        assert_eq!(names("[::1]:8080", "user-svc"), None);
        assert_eq!(names("::1", "user-svc"), None);
        assert_eq!(names("localhost:8080", "user-svc"), None);
    }

    #[test]
    fn grpc_names_split() {
        assert_eq!(
            rpc_from_name("user.UserService/GetUser"),
            Some(("user.UserService", "GetUser"))
        );
        assert_eq!(rpc_from_name("GET /users/{id}"), None);
        assert_eq!(rpc_from_name("/users/x"), None);
        assert_eq!(rpc_from_name("a/b/c"), None);
        assert_eq!(rpc_from_name("handler"), None);
    }

    #[test]
    fn paths_agree_with_route_or_path() {
        assert_eq!(path_agrees("/users/1", None, None), None);
        assert_eq!(
            path_agrees("/users/1", Some("/users/{id}"), None),
            Some(true)
        );
        assert_eq!(path_agrees("/users/1", None, Some("/users/1")), Some(true));
        assert_eq!(
            path_agrees("/users/1", Some("/orders/{id}"), Some("/orders/1")),
            Some(false)
        );
    }
}
