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
//! client as its parent; spans whose parent was that id move under the server half when they
//! run in its service and host (or in neither side's), since the caller's id was also the
//! callee's. The derived id is `ids::synthetic_id` of `<id>:server:<start>:<service>:<ip>`, so
//! identical copies of a half get the same id (and the store merges them) while distinct
//! servers sharing one client id (several consumers of one send) stay distinct.

use std::borrow::Cow;

use rustc_hash::{FxHashMap, FxHashSet};
use serde::Deserialize;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};

use super::ids;
use super::scalar::{Entries, ResourceCache, Scalar, json_error, micros_to_nanos, range_since};
use crate::model::span::flags;
use crate::model::{
    Batch, Event, LoadError, Position, Span, SpanKind, StatusCode, Sym, WarningKind,
};

#[derive(Deserialize)]
struct ZSpan<'a> {
    #[serde(rename = "traceId", default, borrow)]
    trace_id: Scalar<'a>,
    #[serde(default, borrow)]
    id: Scalar<'a>,
    #[serde(rename = "parentId", default, borrow)]
    parent_id: Scalar<'a>,
    #[serde(default, borrow)]
    name: Scalar<'a>,
    #[serde(default, borrow)]
    kind: Scalar<'a>,
    #[serde(default, borrow)]
    timestamp: Scalar<'a>,
    #[serde(default, borrow)]
    duration: Scalar<'a>,
    #[serde(rename = "localEndpoint", default, borrow)]
    local: Option<Endpoint<'a>>,
    #[serde(rename = "remoteEndpoint", default, borrow)]
    remote: Option<Endpoint<'a>>,
    #[serde(default, borrow)]
    annotations: Option<Vec<Annotation<'a>>>,
    #[serde(default, borrow)]
    tags: Entries<'a, Scalar<'a>>,
}

#[derive(Deserialize, Default)]
struct Endpoint<'a> {
    #[serde(rename = "serviceName", default, borrow)]
    service_name: Scalar<'a>,
    #[serde(default, borrow)]
    ipv4: Scalar<'a>,
    #[serde(default, borrow)]
    ipv6: Scalar<'a>,
    #[serde(default, borrow)]
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

#[derive(Deserialize)]
struct Annotation<'a> {
    #[serde(default, borrow)]
    timestamp: Scalar<'a>,
    #[serde(default, borrow)]
    value: Scalar<'a>,
}

/// The whole file: an array of spans, or one span (Zipkin's benchmark fixtures).
struct Top<'a>(Vec<ZSpan<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for Top<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Top<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an array of Zipkin spans or one span object")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                Vec::deserialize(SeqAccessDeserializer::new(seq)).map(Top)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                ZSpan::deserialize(MapAccessDeserializer::new(map)).map(|s| Top(vec![s]))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// Reads a Zipkin v2 JSON file. `input` names the file in errors and warnings.
pub fn read(input: &str, bytes: &[u8]) -> Result<Batch, LoadError> {
    let Top(spans) = serde_json::from_slice(bytes).map_err(|e| json_error(input, &e))?;
    let mut r = Reader {
        input,
        b: Batch::new(),
        resources: ResourceCache::default(),
        hosts: Vec::with_capacity(spans.len()),
    };
    for s in &spans {
        r.span(s);
    }
    r.split_shared();
    Ok(r.b)
}

struct Reader<'i> {
    input: &'i str,
    b: Batch,
    resources: ResourceCache,
    /// (local service, local IP) of each span in `b.spans`, to place children of shared ids.
    hosts: Vec<(Sym, Sym)>,
}

impl Reader<'_> {
    fn warn(&mut self, kind: WarningKind, message: &str) {
        self.b
            .diag
            .warn(kind, self.input, Position::Unknown, message);
    }

    fn span(&mut self, s: &ZSpan) {
        let text = |v: &Scalar| v.text().filter(|t| !t.is_empty()).map(Cow::into_owned);
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
        // Zipkin reads a zero timestamp as "not set".
        let Some(start) = s
            .timestamp
            .as_u64()
            .filter(|&t| t != 0)
            .and_then(micros_to_nanos)
        else {
            self.warn(
                WarningKind::SkippedSpan,
                "span without a usable timestamp (microseconds)",
            );
            return;
        };
        let dur = if s.duration.is_null() {
            Some(0)
        } else {
            s.duration.as_u64().and_then(micros_to_nanos)
        };
        let end = match dur.and_then(|d| start.checked_add(d)) {
            Some(e) => e,
            None => {
                self.warn(
                    WarningKind::SkippedField,
                    "duration is not a usable number of microseconds; read as 0",
                );
                start
            }
        };
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

        let ev_start = self.b.events.len() as u32;
        for a in s.annotations.as_deref().unwrap_or_default() {
            let Some(time) = a.timestamp.as_u64().and_then(micros_to_nanos) else {
                self.warn(
                    WarningKind::SkippedField,
                    "annotation without a usable timestamp (microseconds)",
                );
                continue;
            };
            let name = self.b.intern(&a.value.text().unwrap_or_default());
            let attrs = self.b.attrs_since(self.b.attr_mark());
            self.b.events.push(Event { time, name, attrs });
        }
        let events = range_since(ev_start, self.b.events.len());

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
