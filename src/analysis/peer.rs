//! Virtual peers: the uninstrumented callee of a CLIENT/PRODUCER span, named from its
//! attributes (spec §3), and what kind of thing it is (for drawing).

use rustc_hash::FxHashMap;
use serde::Serialize;

use super::keys::{Key, SpanStrs};
use crate::model::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeerKind {
    Service,
    Database,
    Queue,
    External,
}

/// A virtual peer's name and kind, from the first present of the database system (a span
/// with database attributes calls a database, whatever its `peer.service` says: Zipkin's
/// Cassandra instrumentation names its own service there), `peer.service`,
/// `messaging.system`, `rpc.service`, `server.address`, `net.peer.name`, the host of
/// `url.full`/`http.url`.
pub fn peer_of<'s>(s: &SpanStrs<'s>) -> Option<(&'s str, PeerKind)> {
    if let Some(d) = s.database() {
        return Some((d, PeerKind::Database));
    }
    if let Some(p) = s.get(Key::PeerService) {
        return Some((p, PeerKind::Service));
    }
    if let Some(m) = s.get(Key::MessagingSystem) {
        return Some((m, PeerKind::Queue));
    }
    if let Some(r) = s.get(Key::RpcService) {
        return Some((r, PeerKind::Service));
    }
    if let Some(a) = s
        .get(Key::ServerAddress)
        .or_else(|| s.get(Key::NetPeerName))
    {
        return Some((a, PeerKind::External));
    }
    s.get(Key::UrlFull)
        .or_else(|| s.get(Key::HttpUrl))
        .and_then(url_host)
        .map(|h| (h, PeerKind::External))
}

/// The traced services by name, to tell whether a peer name is one (a small table: names
/// are compared once per call, so string compares against every service would add up).
pub struct TracedServices<'s>(FxHashMap<&'s str, u32>);

impl<'s> TracedServices<'s> {
    pub fn new(store: &'s Store) -> Self {
        let names = store.index.services.iter().map(|&s| store.str(s));
        TracedServices(names.zip(0..).collect())
    }

    /// The number (into `store.index.services`) of the traced service called `name`.
    pub fn number(&self, name: &str) -> Option<u32> {
        self.0.get(name).copied()
    }
}

/// The host of an absolute URL (`https://api.example.com:443/x` → `api.example.com`).
pub fn url_host(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        host_port.split(':').next()?
    };
    (!host.is_empty()).then_some(host)
}

/// The path of an absolute or relative URL, without query.
pub fn url_path(url: &str) -> &str {
    let rest = url
        .split_once("://")
        .map_or(url, |(_, r)| r.find('/').map_or("", |k| &r[k..]));
    rest.split(['?', '#']).next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_paths() {
        assert_eq!(
            url_host("https://api.example.com:443/x?y"),
            Some("api.example.com")
        );
        assert_eq!(url_host("http://u:p@[::1]:80/"), Some("::1"));
        assert_eq!(url_host("/relative"), None);
        assert_eq!(url_path("http://h:1/orders/7?x=1"), "/orders/7");
        assert_eq!(url_path("/orders?x"), "/orders");
        assert_eq!(url_path("http://h"), "");
    }
}
