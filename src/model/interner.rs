//! String interner: every distinct string is stored once in one arena and named by a `Sym`.
//!
//! Service names, span names, attribute keys and most attribute values repeat millions of times
//! in a dump; a `Sym` is 4 bytes where a `String` is 24 plus its heap block.

use hashbrown::HashTable;
use std::hash::{BuildHasher, Hasher};

/// Index of an interned string. `Sym::EMPTY` is the empty string and is always present.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Sym(pub u32);

impl Sym {
    pub const EMPTY: Sym = Sym(0);
}

#[derive(Default, Clone, Copy)]
struct FxBuild;
impl BuildHasher for FxBuild {
    type Hasher = rustc_hash::FxHasher;
    fn build_hasher(&self) -> Self::Hasher {
        rustc_hash::FxHasher::default()
    }
}

/// Append-only interner. Strings live in one `String` arena; `spans` holds (start, len) by
/// id, and the table holds the same with the id, so that a lookup compares bytes without
/// first fetching the id's span.
#[derive(Clone)]
pub struct Interner {
    arena: String,
    spans: Vec<(u32, u32)>,
    table: HashTable<Entry>,
}

#[derive(Clone, Copy)]
struct Entry {
    start: u32,
    len: u32,
    id: u32,
}

impl Default for Interner {
    fn default() -> Self {
        let mut i = Interner {
            arena: String::new(),
            spans: Vec::new(),
            table: HashTable::new(),
        };
        i.intern("");
        i
    }
}

impl Interner {
    pub fn new() -> Self {
        Self::default()
    }

    fn hash(s: &[u8]) -> u64 {
        let mut h = FxBuild.build_hasher();
        h.write(s);
        h.finish()
    }

    fn bytes<'a>(arena: &'a str, e: &Entry) -> &'a [u8] {
        &arena.as_bytes()[e.start as usize..(e.start + e.len) as usize]
    }

    /// Returns the `Sym` of `s`, adding it when new.
    pub fn intern(&mut self, s: &str) -> Sym {
        let b = s.as_bytes();
        let h = Self::hash(b);
        let arena = &self.arena;
        let eq = |e: &Entry| e.len as usize == b.len() && Self::bytes(arena, e) == b;
        if let Some(e) = self.table.find(h, eq) {
            return Sym(e.id);
        }
        let e = Entry {
            start: self.arena.len() as u32,
            len: s.len() as u32,
            id: self.spans.len() as u32,
        };
        self.arena.push_str(s);
        self.spans.push((e.start, e.len));
        let arena = &self.arena;
        self.table
            .insert_unique(h, e, |e| Self::hash(Self::bytes(arena, e)));
        Sym(e.id)
    }

    /// Looks `s` up without adding it.
    pub fn get(&self, s: &str) -> Option<Sym> {
        let b = s.as_bytes();
        self.table
            .find(Self::hash(b), |e| Self::bytes(&self.arena, e) == b)
            .map(|e| Sym(e.id))
    }

    pub fn resolve(&self, sym: Sym) -> &str {
        let (st, len) = self.spans[sym.0 as usize];
        &self.arena[st as usize..(st + len) as usize]
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.len() <= 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_once_and_resolves() {
        let mut i = Interner::new();
        let a = i.intern("order-svc");
        let b = i.intern("user-svc");
        assert_ne!(a, b);
        assert_eq!(i.intern("order-svc"), a);
        assert_eq!(i.resolve(a), "order-svc");
        assert_eq!(i.resolve(Sym::EMPTY), "");
        assert_eq!(i.get("user-svc"), Some(b));
        assert_eq!(i.get("nope"), None);
        assert_eq!(i.len(), 3);
    }
}
