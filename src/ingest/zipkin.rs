//! Zipkin v2 JSON reader: an array of spans, or one span object.
//!
//! Times are microseconds. `localEndpoint` is the resource: `service.name`, `net.host.ip`,
//! `net.host.port`, and the IP again as `host.name` (Zipkin has no host name) so that two
//! instances of a service stay two processes. `remoteEndpoint.serviceName` becomes
//! `peer.service`; without a name its address becomes `server.address`/`server.port`
//! (`client.address`/`client.port` on a SERVER span, whose remote end is the caller).
//!
//! Shared spans: Zipkin's B3 lets a server reuse its client's span id. As Jaeger does, a
//! SERVER span whose id is also a CLIENT span's id in the same trace gets a derived id and the
//! client as its parent (the `shared` flag is not needed for this: Jaeger ignores it too, and
//! a shared server without its client keeps its ids); spans whose parent was that id move under the server half when they
//! run in its service and host (or in neither side's), since the caller's id was also the
//! callee's. The derived id is `ids::synthetic_id` of `<id>:server:<start>:<service>:<ip>`, so
//! identical copies of a half get the same id (and the store merges them) while distinct
//! servers sharing one client id (several consumers of one send) stay distinct.

use std::borrow::Cow;

use rustc_hash::{FxHashMap, FxHashSet};
use serde::Deserialize;

use super::ids;
use super::scalar::{
    Entries, ListOrOne, MicrosReader, Place, ResourceCache, Scalar, json_error, micros_to_nanos,
};
use crate::model::span::flags;
use crate::model::{Batch, LoadError, Span, SpanKind, StatusCode, Sym, WarningKind};

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase", bound(deserialize = "'de: 'a"))]
struct ZSpan<'a> {
    trace_id: Scalar<'a>,
    id: Scalar<'a>,
    parent_id: Scalar<'a>,
    name: Scalar<'a>,
    kind: Scalar<'a>,
    timestamp: Scalar<'a>,
    duration: Scalar<'a>,
    #[serde(rename = "localEndpoint")]
    local: Option<Endpoint<'a>>,
    #[serde(rename = "remoteEndpoint")]
    remote: Option<Endpoint<'a>>,
    annotations: Option<Vec<Annotation<'a>>>,
    tags: Entries<'a, Scalar<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase", bound(deserialize = "'de: 'a"))]
struct Endpoint<'a> {
    service_name: Scalar<'a>,
    ipv4: Scalar<'a>,
    ipv6: Scalar<'a>,
    port: Scalar<'a>,
}

impl Endpoint<'_> {
    fn service(&self) -> Option<Cow<'_, str>> {
        self.service_name.text().filter(|s| !s.is_empty())
    }
    fn ip(&self) -> Option<Cow<'_, str>> {
        self.ipv4
            .text()
            .filter(|s| !s.is_empty())
            .or_else(|| self.ipv6.text().filter(|s| !s.is_empty()))
    }
}

#[derive(Deserialize, Default)]
#[serde(default, bound(deserialize = "'de: 'a"))]
struct Annotation<'a> {
    timestamp: Scalar<'a>,
    value: Scalar<'a>,
}

/// Reads a Zipkin v2 JSON file. `input` names the file in errors and warnings.
pub fn read(input: &str, bytes: &[u8]) -> Result<Batch, LoadError> {
    // An array of spans, or one span (Zipkin's benchmark fixtures).
    let spans = match ListOrOne::from_slice(bytes, "an array of Zipkin spans or one span object")
        .map_err(|e| json_error(input, &e))?
    {
        ListOrOne::List(spans) => spans,
        ListOrOne::One(span) => vec![span],
    };
    let mut r = Reader {
        at: Place::new(input, bytes),
        b: Batch::new(),
        resources: ResourceCache::default(),
        hosts: Vec::with_capacity(spans.len()),
    };
    for s in &spans {
        r.span(s);
    }
    place_untimed(&mut r.b.spans);
    r.split_shared();
    Ok(r.b)
}

/// Gives each span without a timestamp its parent's start (through parents without one too),
/// or its trace's earliest start when no ancestor has one; a duration it gave is kept. Each
/// parent link is followed once, with no recursion, so deep chains and cycles cost O(n).
fn place_untimed(spans: &mut [Span]) {
    const OPEN: u8 = 0;
    const ON_PATH: u8 = 1;
    const PLACED: u8 = 2;
    if spans.iter().all(|s| s.flags & flags::NO_TIMING == 0) {
        return;
    }
    let mut by_id: FxHashMap<(u128, u64), usize> = FxHashMap::default();
    let mut trace_start: FxHashMap<u128, u64> = FxHashMap::default();
    let mut state = vec![OPEN; spans.len()];
    for (i, s) in spans.iter().enumerate() {
        by_id.entry((s.trace_id, s.span_id)).or_insert(i);
        if s.flags & flags::NO_TIMING == 0 {
            state[i] = PLACED;
            let t = trace_start.entry(s.trace_id).or_insert(s.start);
            *t = (*t).min(s.start);
        }
    }
    let mut path = Vec::new();
    for first in 0..spans.len() {
        if state[first] != OPEN {
            continue;
        }
        path.clear();
        let mut at = first;
        let base = loop {
            state[at] = ON_PATH;
            path.push(at);
            let s = spans[at];
            let fallback = trace_start.get(&s.trace_id).copied().unwrap_or(0);
            match by_id.get(&(s.trace_id, s.parent_id)) {
                Some(&p) if s.parent_id != 0 && state[p] == PLACED => break spans[p].start,
                Some(&p) if s.parent_id != 0 && state[p] == OPEN => at = p,
                // No parent, or a cycle back into this walk.
                _ => break fallback,
            }
        };
        for &k in &path {
            let s = &mut spans[k];
            // `end` holds the duration the span gave, if any (its start was 0).
            s.end = base.saturating_add(s.end);
            s.start = base;
            state[k] = PLACED;
        }
    }
}

struct Reader<'i> {
    at: Place<'i>,
    b: Batch,
    resources: ResourceCache,
    /// (local service, local IP) of each span in `b.spans`, to place children of shared ids.
    hosts: Vec<(Sym, Sym)>,
}

impl MicrosReader for Reader<'_> {
    fn parts(&mut self) -> (&Place<'_>, &mut Batch) {
        (&self.at, &mut self.b)
    }
}

impl Reader<'_> {
    fn span(&mut self, s: &ZSpan) {
        let text = |v: &Scalar| v.text().filter(|t| !t.is_empty()).map(Cow::into_owned);
        self.at.near = text(&s.id).or_else(|| text(&s.name));
        let (Some(tid_text), Some(sid_text)) = (text(&s.trace_id), text(&s.id)) else {
            self.warn(WarningKind::SkippedSpan, "span without a traceId or id");
            return;
        };
        let (Ok(tid), Ok(sid)) = (ids::trace_id(&tid_text), ids::span_id(&sid_text)) else {
            self.warn(
                WarningKind::SkippedSpan,
                "span whose traceId or id is not a hex id",
            );
            return;
        };
        let mut span_flags = tid.flags | sid.flags;
        let parent_id = match text(&s.parent_id) {
            None => 0,
            Some(p) => match ids::parent_id(&p) {
                Ok(d) => {
                    span_flags |= d.flags;
                    d.value
                }
                Err(_) => {
                    // A parent we cannot name is still a parent: keep the span an orphan.
                    self.warn(
                        WarningKind::SkippedField,
                        "parentId is not a hex id; kept as an unresolvable parent",
                    );
                    span_flags |= flags::BAD_PARENT_ID;
                    ids::synthetic_id(&p)
                }
            },
        };
        if span_flags & flags::BASE64_IDS != 0 {
            self.warn(WarningKind::Base64Ids, "ids written as base64, accepted");
        }
        // Zipkin reads a zero timestamp as "not set". Such spans are kept (real captures
        // hold structural spans known only by id and parent) and placed by `place_untimed`.
        let start = if s.timestamp.is_null() || s.timestamp.as_u64() == Some(0) {
            self.warn(
                WarningKind::Timing,
                "span without a timestamp: placed at its parent's start, duration unknown",
            );
            span_flags |= flags::NO_TIMING;
            0
        } else if let Some(start) = s.timestamp.as_u64().and_then(micros_to_nanos) {
            start
        } else {
            self.warn(
                WarningKind::SkippedSpan,
                "span without a usable timestamp (microseconds)",
            );
            return;
        };
        let end = self.end_after(start, &s.duration);
        let kind = match s.kind.text() {
            None => SpanKind::Unspecified,
            Some(k) => match SpanKind::from_name(&k) {
                Some(k) => k,
                None => {
                    self.warn(
                        WarningKind::EnumValue,
                        "unknown span kind, read as unspecified",
                    );
                    SpanKind::Unspecified
                }
            },
        };

        let empty = Endpoint::default();
        let local = s.local.as_ref().unwrap_or(&empty);
        let resource = self.resource(local);
        let host = (
            self.b.intern(&local.service().unwrap_or_default()),
            self.b.intern(&local.ip().unwrap_or_default()),
        );

        let mut status = StatusCode::Unset;
        let mut status_message = Sym::EMPTY;
        let mark = self.b.attr_mark();
        for (key, value) in &s.tags.0 {
            let Some(v) = value.text() else {
                self.warn(WarningKind::SkippedField, "tag whose value is not a string");
                continue;
            };
            if key == "error" {
                status = StatusCode::Error;
                if !v.is_empty() {
                    status_message = self.b.intern(&v);
                }
            }
            self.b.push_str_attr(key, &v);
        }
        if let Some(remote) = &s.remote {
            self.remote(remote, kind);
        }
        let attrs = self.b.attrs_since(mark);

        let events = self.events(
            s.annotations.as_deref().unwrap_or_default(),
            |a| &a.timestamp,
            "annotation without a usable timestamp (microseconds)",
            |r, a| {
                let name = r.b.intern(&a.value.text().unwrap_or_default());
                (name, r.b.attrs_since(r.b.attr_mark()))
            },
        );

        let name = self.b.intern(&s.name.text().unwrap_or_default());
        self.b.spans.push(Span {
            trace_id: tid.value,
            span_id: sid.value,
            parent_id,
            start,
            end,
            name,
            resource,
            status_message,
            attrs,
            events,
            kind,
            status,
            flags: span_flags,
            ..Span::default()
        });
        self.hosts.push(host);
    }

    fn resource(&mut self, local: &Endpoint) -> u32 {
        let mark = self.b.attr_mark();
        if let Some(svc) = local.service() {
            self.b.push_str_attr("service.name", &svc);
        }
        let ip = local.ip();
        if let Some(ip) = &ip {
            self.b.push_str_attr("net.host.ip", ip);
        }
        self.port("net.host.port", &local.port);
        if let Some(ip) = &ip {
            self.b.push_str_attr("host.name", ip);
        }
        self.resources.resource_since(&mut self.b, mark)
    }

    fn remote(&mut self, remote: &Endpoint, kind: SpanKind) {
        if let Some(svc) = remote.service() {
            self.b.push_str_attr("peer.service", &svc);
            return;
        }
        let (addr, port) = if kind == SpanKind::Server {
            ("client.address", "client.port")
        } else {
            ("server.address", "server.port")
        };
        if let Some(ip) = remote.ip() {
            self.b.push_str_attr(addr, &ip);
        }
        self.port(port, &remote.port);
    }

    fn port(&mut self, key: &str, port: &Scalar) {
        if port.is_null() {
            return;
        }
        match port.as_i64() {
            Some(p) => self.b.push_int_attr(key, p),
            None => self.warn(WarningKind::SkippedField, "endpoint port is not a number"),
        }
    }

    /// Gives each SERVER half that shares its id with a CLIENT half a derived id, with the
    /// client as parent, and moves the server's children under it (see the module doc).
    fn split_shared(&mut self) {
        let spans = &mut self.b.spans;
        let mut used: FxHashSet<(u128, u64)> = FxHashSet::default();
        let mut clients: FxHashMap<(u128, u64), usize> = FxHashMap::default();
        for (i, s) in spans.iter().enumerate() {
            used.insert((s.trace_id, s.span_id));
            if s.kind == SpanKind::Client {
                clients.entry((s.trace_id, s.span_id)).or_insert(i);
            }
        }
        let mut derived: FxHashMap<(u128, String), u64> = FxHashMap::default();
        let mut servers: FxHashMap<(u128, u64), Vec<usize>> = FxHashMap::default();
        let mut moved = vec![false; spans.len()];
        for (i, s) in spans.iter_mut().enumerate() {
            let shared = (s.trace_id, s.span_id);
            if s.kind != SpanKind::Server || !clients.contains_key(&shared) {
                continue;
            }
            let (svc, ip) = self.hosts.get(i).copied().unwrap_or_default();
            let key = format!(
                "{:016x}:server:{}:{}:{}",
                s.span_id,
                s.start,
                self.b.strings.resolve(svc),
                self.b.strings.resolve(ip)
            );
            let new_id = *derived
                .entry((s.trace_id, key))
                .or_insert_with_key(|(trace, key)| {
                    let mut id = ids::synthetic_id(key);
                    let mut n = 0u32;
                    while used.contains(&(*trace, id)) {
                        n += 1;
                        id = ids::synthetic_id(&format!("{key}#{n}"));
                    }
                    used.insert((*trace, id));
                    id
                });
            s.parent_id = s.span_id;
            s.span_id = new_id;
            moved[i] = true;
            servers.entry(shared).or_default().push(i);
        }
        if servers.is_empty() {
            return;
        }
        let hosts = &self.hosts;
        let score = |a: usize, b: usize| -> u8 {
            match (hosts.get(a), hosts.get(b)) {
                (Some(x), Some(y)) => {
                    2 * u8::from(x.0 == y.0) + u8::from(x.1 == y.1 && x.1 != Sym::EMPTY)
                }
                _ => 0,
            }
        };
        let mut new_parents = Vec::new();
        for (i, s) in spans.iter().enumerate() {
            let shared = (s.trace_id, s.parent_id);
            if moved.get(i).copied().unwrap_or(true) {
                continue;
            }
            let (Some(halves), Some(&client)) = (servers.get(&shared), clients.get(&shared)) else {
                continue;
            };
            // The best-matching server half; ties go to the first, and to the server over
            // the client, as Jaeger moves all such children to the server.
            let Some(&best) = halves
                .iter()
                .max_by_key(|&&h| (score(i, h), std::cmp::Reverse(h)))
            else {
                continue;
            };
            if score(i, best) >= score(i, client)
                && let Some(server) = spans.get(best)
            {
                new_parents.push((i, server.span_id));
            }
        }
        for (i, p) in new_parents {
            if let Some(s) = spans.get_mut(i) {
                s.parent_id = p;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::scalar::read_back::{attr, named, one, resource_attr, service, warned};
    use crate::model::{Position, Value};

    fn load(json: &str) -> Batch {
        read("z.json", json.as_bytes()).unwrap()
    }

    #[test]
    fn fields_endpoints_tags_and_annotations() {
        let b = load(
            r#"[{"traceId":"86154a4ba6e91385","parentId":"86154a4ba6e91385","id":"4d1e00c0db9010db",
                 "kind":"CLIENT","name":"get /api","timestamp":1472470996199000,"duration":207000,
                 "localEndpoint":{"serviceName":"frontend","ipv4":"127.0.0.1","port":8080},
                 "remoteEndpoint":{"serviceName":"backend","ipv4":"192.168.99.101","port":9000},
                 "annotations":[{"timestamp":1472470996238000,"value":"ws"}],
                 "tags":{"http.method":"GET","http.path":"/api","error":"500 Internal"}},
                {"traceId":"86154a4ba6e91385","id":"0000000000000001","kind":"SERVER","name":"in",
                 "timestamp":1472470996100000,"localEndpoint":{"serviceName":"frontend"},
                 "remoteEndpoint":{"ipv4":"10.1.1.1","port":55000}},
                {"traceId":"86154a4ba6e91385","id":"0000000000000002","kind":"PRODUCER","name":"send",
                 "timestamp":1472470996100001,"duration":3,"localEndpoint":{"ipv4":"10.0.0.9"},
                 "remoteEndpoint":{"ipv6":"::1","port":9092}}]"#,
        );
        assert_eq!(b.spans.len(), 3);
        assert_eq!(b.diag.total(), 0, "{:?}", b.diag.warnings);
        let c = one(&b, "get /api");
        assert_eq!(c.trace_id, 0x86154a4ba6e91385, "64-bit trace id");
        assert_eq!(
            (c.span_id, c.parent_id),
            (0x4d1e00c0db9010db, 0x86154a4ba6e91385)
        );
        assert_eq!(c.kind, SpanKind::Client);
        assert_eq!(c.start, 1_472_470_996_199_000_000);
        assert_eq!(c.end - c.start, 207_000_000);
        assert_eq!(service(&b, c), "frontend");
        assert_eq!(
            resource_attr(&b, c, "net.host.ip"),
            Some(Value::Str("127.0.0.1"))
        );
        assert_eq!(
            resource_attr(&b, c, "net.host.port"),
            Some(Value::Int(8080))
        );
        let r = b.resources[c.resource as usize];
        assert_eq!(
            b.strings.resolve(b.processes[r.process as usize].key),
            "127.0.0.1/"
        );
        let get = |s: &Span, k| attr(&b, &b.attrs, s.attrs, k);
        assert_eq!(get(c, "peer.service"), Some(Value::Str("backend")));
        assert_eq!(
            get(c, "server.address"),
            None,
            "a named peer needs no address"
        );
        assert_eq!(get(c, "http.path"), Some(Value::Str("/api")));
        assert_eq!(get(c, "http.method"), Some(Value::Str("GET")));
        assert_eq!(c.status, StatusCode::Error);
        assert_eq!(b.strings.resolve(c.status_message), "500 Internal");
        let e = &b.events[c.events.range()];
        assert_eq!(e.len(), 1);
        assert_eq!(b.strings.resolve(e[0].name), "ws");
        assert_eq!(e[0].time, 1_472_470_996_238_000_000);

        let s = one(&b, "in");
        assert_eq!(s.end, s.start, "no duration: end = start");
        assert_eq!(s.status, StatusCode::Unset);
        assert_eq!(get(s, "client.address"), Some(Value::Str("10.1.1.1")));
        assert_eq!(get(s, "client.port"), Some(Value::Int(55000)));
        let p = one(&b, "send");
        assert_eq!(p.kind, SpanKind::Producer);
        assert_eq!(service(&b, p), "unknown_service");
        assert_eq!(get(p, "server.address"), Some(Value::Str("::1")));
        assert_eq!(get(p, "server.port"), Some(Value::Int(9092)));
    }

    #[test]
    fn single_span_object() {
        let b = load(
            r#"{"traceId":"5af7183fb1d4cf5f5af7183fb1d4cf5f","id":"352bff9a74ca9ad2","name":"查询",
                "timestamp":1,"localEndpoint":{"serviceName":"服务"}}"#,
        );
        assert_eq!(b.spans.len(), 1);
        assert_eq!(b.spans[0].trace_id, 0x5af7183fb1d4cf5f5af7183fb1d4cf5f);
        assert_eq!(b.strings.resolve(b.spans[0].name), "查询");
        assert_eq!(service(&b, &b.spans[0]), "服务");
    }

    const SHARED: &str = r#"[
      {"traceId":"00000000000000aa","id":"0000000000000001","name":"root","kind":"SERVER",
       "timestamp":10,"duration":100,"localEndpoint":{"serviceName":"a","ipv4":"1.1.1.1"}},
      {"traceId":"00000000000000aa","parentId":"0000000000000001","id":"0000000000000002","name":"call",
       "kind":"CLIENT","timestamp":20,"duration":50,"localEndpoint":{"serviceName":"a","ipv4":"1.1.1.1"}},
      {"traceId":"00000000000000aa","parentId":"0000000000000001","id":"0000000000000002","name":"handle",
       "kind":"SERVER","shared":true,"timestamp":25,"duration":40,
       "localEndpoint":{"serviceName":"b","ipv4":"2.2.2.2"}},
      {"traceId":"00000000000000aa","parentId":"0000000000000001","id":"0000000000000002","name":"handle",
       "kind":"SERVER","shared":true,"timestamp":25,"duration":40,
       "localEndpoint":{"serviceName":"b","ipv4":"2.2.2.2"}},
      {"traceId":"00000000000000aa","parentId":"0000000000000001","id":"0000000000000002","name":"handle",
       "kind":"SERVER","shared":true,"timestamp":26,"duration":40,
       "localEndpoint":{"serviceName":"b","ipv4":"3.3.3.3"}},
      {"traceId":"00000000000000aa","parentId":"0000000000000002","id":"0000000000000003","name":"db",
       "kind":"CLIENT","timestamp":30,"duration":5,"localEndpoint":{"serviceName":"b","ipv4":"3.3.3.3"}},
      {"traceId":"00000000000000aa","parentId":"0000000000000002","id":"0000000000000004","name":"retry",
       "timestamp":31,"duration":5,"localEndpoint":{"serviceName":"a","ipv4":"1.1.1.1"}},
      {"traceId":"00000000000000aa","parentId":"0000000000000077","id":"0000000000000005","name":"lonely",
       "kind":"SERVER","shared":true,"timestamp":40,"duration":5,"localEndpoint":{"serviceName":"c"}}
    ]"#;

    #[test]
    fn shared_server_halves_get_derived_ids_under_the_client() {
        let b = load(SHARED);
        assert_eq!(b.spans.len(), 8, "every half stays a span");
        let client = one(&b, "call");
        assert_eq!(
            (client.span_id, client.parent_id),
            (2, 1),
            "client untouched"
        );
        let servers = named(&b, "handle");
        assert_eq!(servers.len(), 3);
        for s in &servers {
            assert_eq!(s.parent_id, 2, "the client half is the parent");
            assert!(![1, 2, 3, 4, 5].contains(&s.span_id), "{:x}", s.span_id);
        }
        let key =
            |start_us: u64, ip: &str| format!("0000000000000002:server:{}:b:{ip}", start_us * 1000);
        assert_eq!(servers[0].span_id, ids::synthetic_id(&key(25, "2.2.2.2")));
        assert_eq!(
            servers[0].span_id, servers[1].span_id,
            "identical copies share the derived id, for the store to merge"
        );
        assert_eq!(servers[2].span_id, ids::synthetic_id(&key(26, "3.3.3.3")));
        // Children of the shared id: the one in b on 3.3.3.3 moves under that server half;
        // the one in the client's own service and host stays under the client.
        assert_eq!(one(&b, "db").parent_id, servers[2].span_id);
        assert_eq!(one(&b, "retry").parent_id, 2);
        // A shared server whose client is not in the file keeps its ids.
        let l = one(&b, "lonely");
        assert_eq!((l.span_id, l.parent_id), (5, 0x77));
    }

    #[test]
    fn derived_id_never_collides() {
        // A span already holds the id the server half would get: the next candidate is used.
        let taken = ids::synthetic_id("0000000000000002:server:25000:b:");
        let json = format!(
            r#"[{{"traceId":"aa","id":"2","name":"call","kind":"CLIENT","timestamp":20,
                 "localEndpoint":{{"serviceName":"a"}}}},
                {{"traceId":"aa","id":"2","name":"handle","kind":"SERVER","shared":true,"timestamp":25,
                 "localEndpoint":{{"serviceName":"b"}}}},
                {{"traceId":"aa","id":"{taken:016x}","name":"squatter","timestamp":30}}]"#
        );
        let b = load(&json);
        let s = one(&b, "handle");
        assert_ne!(s.span_id, taken);
        assert_eq!(
            s.span_id,
            ids::synthetic_id("0000000000000002:server:25000:b:#1")
        );
    }

    #[test]
    fn spans_without_timestamps_sit_at_their_parents_start() {
        let b = load(
            r#"[{"traceId":"aa","id":"1","name":"root","timestamp":100,"duration":50},
                {"traceId":"aa","id":"3","parentId":"2","name":"grandchild","duration":7},
                {"traceId":"aa","id":"2","parentId":"1","name":"structural"},
                {"traceId":"aa","id":"9","parentId":"8","name":"lost","timestamp":0},
                {"traceId":"aa","id":"5","parentId":"6","name":"loop-a"},
                {"traceId":"aa","id":"6","parentId":"5","name":"loop-b"},
                {"traceId":"bb","id":"1","name":"alone"}]"#,
        );
        assert_eq!(b.spans.len(), 7);
        let at = |name: &str| {
            let s = one(&b, name);
            (
                s.start / 1000,
                s.end / 1000,
                s.flags & flags::NO_TIMING != 0,
            )
        };
        assert_eq!(at("root"), (100, 150, false));
        assert_eq!(at("structural"), (100, 100, true));
        assert_eq!(at("grandchild"), (100, 107, true), "its own duration kept");
        // No placed ancestor: the trace's earliest start; no timed span at all: 0.
        assert_eq!(at("lost"), (100, 100, true));
        assert_eq!(at("loop-a"), (100, 100, true));
        assert_eq!(at("loop-b"), (100, 100, true));
        assert_eq!(at("alone"), (0, 0, true));
        let w: Vec<_> = b
            .diag
            .warnings
            .iter()
            .filter(|w| w.kind == WarningKind::Timing)
            .collect();
        assert_eq!(w.len(), 1, "one warning");
        assert_eq!(w[0].count, 6);
    }

    #[test]
    fn unusable_spans_and_fields_are_counted() {
        let b = load(
            r#"[{"traceId":"aa","id":"1","name":"no-time","localEndpoint":{"serviceName":"a"}},
                {"traceId":"aa","id":"zz-top","name":"bad-id","timestamp":5},
                {"id":"3","name":"no-trace","timestamp":5},
                {"traceId":"aa","id":"4","parentId":"not-hex","name":"kept","kind":"SIDEWAYS",
                 "timestamp":5,"duration":-1,"tags":{"a":{"nested":1},"b":"ok"},
                 "annotations":[{"value":"no-ts"}],"localEndpoint":{"serviceName":"a","port":"http"}}]"#,
        );
        assert_eq!(b.spans.len(), 2, "the span without a timestamp is kept");
        assert_eq!(warned(&b, WarningKind::SkippedSpan), 2);
        assert_eq!(warned(&b, WarningKind::Timing), 1);
        // parentId, duration, nested tag, annotation timestamp, port.
        assert_eq!(warned(&b, WarningKind::SkippedField), 5);
        assert_eq!(warned(&b, WarningKind::EnumValue), 1);
        let s = one(&b, "kept");
        assert_eq!(s.kind, SpanKind::Unspecified);
        assert_eq!(s.parent_id, ids::synthetic_id("not-hex"));
        assert_ne!(s.flags & flags::BAD_PARENT_ID, 0);
        assert_eq!(s.attrs.len, 1);
        assert_eq!(s.events.len, 0);
    }

    #[test]
    fn syntax_error_has_line_and_column() {
        let Err(e) = read("z.json", b"[\n {\"traceId\": \"aa\",,}\n]") else {
            panic!("syntax error accepted");
        };
        assert_eq!(
            e.position,
            Position::LineCol {
                line: 2,
                column: 19
            }
        );
        assert!(e.to_string().starts_with("z.json: line 2 column 19: "));
    }
}
