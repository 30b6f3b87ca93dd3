//! String interner: every distinct string is stored once in one arena and named by a `Sym`.
//!
//! Service names, span names, attribute keys and most attribute values repeat millions of times
//! in a dump; a `Sym` is 4 bytes where a `String` is 24 plus its heap block.

use hashbrown::HashTable;
use std::hash::BuildHasher;

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

/// Append-only interner. Strings live in one `String` arena; `spans` holds (start, len).
#[derive(Clone)]
pub struct Interner {
    arena: String,
    spans: Vec<(u32, u32)>,
    table: HashTable<u32>,
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

    fn hash(s: &str) -> u64 {
        FxBuild.hash_one(s)
    }

    /// Returns the `Sym` of `s`, adding it when new.
    pub fn intern(&mut self, s: &str) -> Sym {
        let h = Self::hash(s);
        let (arena, spans) = (&self.arena, &self.spans);
        let eq = |&id: &u32| {
            let (st, len) = spans[id as usize];
            &arena[st as usize..(st + len) as usize] == s
        };
        if let Some(&id) = self.table.find(h, eq) {
            return Sym(id);
        }
        let id = self.spans.len() as u32;
        let start = self.arena.len() as u32;
        self.arena.push_str(s);
        self.spans.push((start, s.len() as u32));
        let (arena, spans) = (&self.arena, &self.spans);
        self.table.insert_unique(h, id, |&i| {
            let (st, len) = spans[i as usize];
            Self::hash(&arena[st as usize..(st + len) as usize])
        });
        Sym(id)
    }

    /// Looks `s` up without adding it.
    pub fn get(&self, s: &str) -> Option<Sym> {
        let h = Self::hash(s);
        self.table
            .find(h, |&id: &u32| self.resolve(Sym(id)) == s)
            .map(|&id| Sym(id))
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
