//! Attribute keys the analysis reads, looked up in the interner once per store instead of
//! once per span.

use crate::model::{Store, Sym, Value};

/// Interned keys (`None` when no span or resource in the store uses that key).
#[derive(Debug, Clone, Copy)]
pub struct Keys {
    pub peer_service: Option<Sym>,
    pub db_system: Option<Sym>,
    pub db_system_name: Option<Sym>,
    pub messaging_system: Option<Sym>,
    pub messaging_destination: Option<Sym>,
    pub rpc_service: Option<Sym>,
    pub rpc_method: Option<Sym>,
    pub server_address: Option<Sym>,
    pub net_peer_name: Option<Sym>,
    pub url_full: Option<Sym>,
    pub http_url: Option<Sym>,
    pub url_path: Option<Sym>,
    pub http_target: Option<Sym>,
    pub http_route: Option<Sym>,
}

impl Keys {
    pub fn new(store: &Store) -> Self {
        let g = |k: &str| store.strings.get(k);
        Keys {
            peer_service: g("peer.service"),
            db_system: g("db.system"),
            db_system_name: g("db.system.name"),
            messaging_system: g("messaging.system"),
            messaging_destination: g("messaging.destination.name")
                .or_else(|| g("messaging.destination")),
            rpc_service: g("rpc.service"),
            rpc_method: g("rpc.method"),
            server_address: g("server.address"),
            net_peer_name: g("net.peer.name"),
            url_full: g("url.full"),
            http_url: g("http.url"),
            url_path: g("url.path"),
            http_target: g("http.target"),
            http_route: g("http.route"),
        }
    }
}

/// The value of span attribute `key` on span `i`.
pub fn span_attr(store: &Store, i: u32, key: Option<Sym>) -> Option<Value<'_>> {
    let key = key?;
    store
        .span_attrs(i)
        .iter()
        .find(|a| a.key == key)
        .map(|a| a.value(&store.strings))
}

/// A non-empty string attribute of span `i`.
pub fn span_str(store: &Store, i: u32, key: Option<Sym>) -> Option<&str> {
    span_attr(store, i, key)
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
}
