//! The string attributes the analyses read (peers, spec §3; call matching, §5), their keys
//! looked up in the interner once per store, and their values read in one pass over a span's
//! attributes instead of one pass per key.

use crate::model::{AttrType, SpanKind, Store, Sym};

/// A string attribute an analysis reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    PeerService,
    DbSystem,
    DbSystemName,
    MessagingSystem,
    /// `messaging.destination.name`, else the older `messaging.destination`.
    MessagingDestination,
    RpcService,
    RpcMethod,
    ServerAddress,
    NetPeerName,
    UrlFull,
    HttpUrl,
    UrlPath,
    HttpTarget,
    HttpRoute,
}

const COUNT: usize = Key::HttpRoute as usize + 1;

/// Interned keys (`None` when no string in the store is that key).
#[derive(Debug, Clone, Copy)]
pub struct Keys {
    syms: [Option<Sym>; COUNT],
}

impl Keys {
    pub fn new(store: &Store) -> Self {
        let g = |k: &str| store.strings.get(k);
        let mut syms = [None; COUNT];
        for (key, name) in [
            (Key::PeerService, "peer.service"),
            (Key::DbSystem, "db.system"),
            (Key::DbSystemName, "db.system.name"),
            (Key::MessagingSystem, "messaging.system"),
            (Key::RpcService, "rpc.service"),
            (Key::RpcMethod, "rpc.method"),
            (Key::ServerAddress, "server.address"),
            (Key::NetPeerName, "net.peer.name"),
            (Key::UrlFull, "url.full"),
            (Key::HttpUrl, "http.url"),
            (Key::UrlPath, "url.path"),
            (Key::HttpTarget, "http.target"),
            (Key::HttpRoute, "http.route"),
        ] {
            syms[key as usize] = g(name);
        }
        syms[Key::MessagingDestination as usize] =
            g("messaging.destination.name").or_else(|| g("messaging.destination"));
        Keys { syms }
    }

    /// The keyed string attributes of span `i`, read in one pass over its attributes.
    pub fn strs<'s>(&self, store: &'s Store, i: u32) -> SpanStrs<'s> {
        let mut vals = [Sym::EMPTY; COUNT];
        let mut seen = 0u32;
        let mut db_vendor = None;
        // Only a CLIENT span calls a database; other spans skip the key's text.
        let mut db_unknown = store.span(i).kind == SpanKind::Client;
        for a in store.span_attrs(i) {
            let mut known = false;
            for (k, key) in self.syms.iter().enumerate() {
                // The first attribute of a key counts, whatever its type.
                if *key == Some(a.key) {
                    known = true;
                    if seen & (1 << k) == 0 {
                        seen |= 1 << k;
                        if a.ty == AttrType::Str {
                            vals[k] = Sym(a.raw as u32);
                        }
                    }
                }
            }
            if !known && db_unknown {
                db_vendor = database_vendor(store.str(a.key));
                db_unknown = db_vendor.is_none();
            }
        }
        SpanStrs {
            store,
            vals,
            db_vendor,
        }
    }
}

/// The database an attribute key says a span talks to, when it is a database attribute
/// other than `db.system`: the semantic conventions' `db.*`, and the vendor prefixes of the
/// Zipkin and Jaeger instrumentations (`cassandra.query`, `sql.query`, `redis.*`, …), which
/// name their database by the prefix and often put their own service as the remote peer.
fn database_vendor(key: &str) -> Option<&'static str> {
    const VENDORS: &[(&str, &str)] = &[
        ("db.", "database"),
        ("cassandra.", "cassandra"),
        ("sql.", "sql"),
        ("mongodb.", "mongodb"),
        ("redis.", "redis"),
        ("memcached.", "memcached"),
        ("elasticsearch.", "elasticsearch"),
        ("couchbase.", "couchbase"),
        ("mysql.", "mysql"),
        ("postgresql.", "postgresql"),
    ];
    VENDORS
        .iter()
        .find(|(prefix, _)| key.starts_with(prefix))
        .map(|&(_, name)| name)
}

/// The keyed string attributes of one span (see `Keys::strs`).
#[derive(Clone, Copy)]
pub struct SpanStrs<'s> {
    store: &'s Store,
    /// `Sym::EMPTY` when the key is absent, its value is empty or it is not a string.
    vals: [Sym; COUNT],
    /// The database a database attribute other than `db.system` names (`database_vendor`).
    db_vendor: Option<&'static str>,
}

impl<'s> SpanStrs<'s> {
    /// The value of `key` when it is a non-empty string.
    pub fn sym(&self, key: Key) -> Option<Sym> {
        Some(self.vals[key as usize]).filter(|&s| s != Sym::EMPTY)
    }

    /// The text of `sym(key)`.
    pub fn get(&self, key: Key) -> Option<&'s str> {
        self.sym(key).map(|s| self.store.str(s))
    }

    /// The database system the span calls, when it carries database attributes: `db.system`
    /// (`db.system.name`), else the vendor its other database attributes name.
    pub fn database(&self) -> Option<&'s str> {
        self.get(Key::DbSystem)
            .or_else(|| self.get(Key::DbSystemName))
            .or(self.db_vendor)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Kit, V};
    use super::*;
    use crate::model::SpanKind::Client;

    #[test]
    fn first_attribute_of_a_key_counts_and_only_non_empty_strings_read() {
        let (mut k, [svc]) = Kit::with_services([("api", "api-1")]);
        let attrs = [
            ("peer.service", V::S("users")),
            ("peer.service", V::S("orders")),
            ("db.system", V::S("")),
            ("rpc.service", V::I(3)),
            ("rpc.service", V::S("late")),
            ("messaging.destination", V::S("q")),
            ("http.route", V::S("/x")),
        ];
        k.span(svc, 1, 1, 0, (0, 9), Client, "call", &attrs);
        let store = k.store();
        let keys = Keys::new(&store);
        let s = keys.strs(&store, store.find_span(1, 1).unwrap());
        assert_eq!(s.get(Key::PeerService), Some("users"));
        assert_eq!(s.get(Key::DbSystem), None);
        assert_eq!(s.get(Key::RpcService), None);
        assert_eq!(s.get(Key::MessagingDestination), Some("q"));
        assert_eq!(s.get(Key::HttpRoute), Some("/x"));
        assert_eq!(s.get(Key::UrlFull), None);
        assert_eq!(s.sym(Key::PeerService), store.strings.get("users"));
    }
}
