//! Completion for the query bar, from the loaded data: attribute names after `span.`,
//! `resource.` or `.`, the values an attribute (or `name`, the service) takes after a
//! comparison, and the intrinsics and scopes for a bare word.

use std::ops::Range;

use super::ast::{CmpOp, Intrinsic};
use super::lex::{Scope, Tok, tokens};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::model::{Attr, AttrType, Store, Sym};

/// Suggestions shown at most.
pub const MAX_SUGGESTIONS: usize = 12;

/// Distinct string values kept per attribute key (and of span names) for completion: a key
/// with more (ids, URLs) offers the first ones met, so memory stays bounded by the keys.
pub const MAX_VALUES: usize = 1_000;

/// The attribute names of a store, sorted, and the string values each takes (at most
/// `MAX_VALUES`): built once per session with its index, off the UI thread.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    pub span_keys: Vec<String>,
    pub resource_keys: Vec<String>,
    span_values: FxHashMap<Sym, Vec<Sym>>,
    resource_values: FxHashMap<Sym, Vec<Sym>>,
    names: Vec<Sym>,
}

/// Distinct values per key, each list capped at `MAX_VALUES`.
#[derive(Default)]
struct Values {
    by_key: FxHashMap<Sym, Vec<Sym>>,
    seen: FxHashSet<(Sym, Sym)>,
}

impl Values {
    fn add(&mut self, a: &Attr) {
        let list = self.by_key.entry(a.key).or_default();
        if a.ty == AttrType::Str && list.len() < MAX_VALUES {
            let v = Sym(a.raw as u32);
            if self.seen.insert((a.key, v)) {
                list.push(v);
            }
        }
    }

    /// The keys' names sorted, and the values by key.
    fn finish(self, store: &Store) -> (Vec<String>, FxHashMap<Sym, Vec<Sym>>) {
        let mut keys: Vec<String> = self
            .by_key
            .keys()
            .map(|&k| store.str(k).to_string())
            .collect();
        keys.sort();
        (keys, self.by_key)
    }
}

impl Vocabulary {
    /// One pass over the spans' attributes and the resources: the names spans and resources
    /// use (not those of events, links or logs) and their string values.
    pub fn build(store: &Store) -> Vocabulary {
        let mut span = Values::default();
        let mut names = FxHashSet::default();
        for s in &store.spans {
            for a in &store.attrs[s.attrs.range()] {
                span.add(a);
            }
            if names.len() < MAX_VALUES {
                names.insert(s.name);
            }
        }
        let mut resource = Values::default();
        for r in &store.resources {
            for a in &store.res_attrs[r.attrs.range()] {
                resource.add(a);
            }
        }
        let (span_keys, span_values) = span.finish(store);
        let (resource_keys, resource_values) = resource.finish(store);
        Vocabulary {
            span_keys,
            resource_keys,
            span_values,
            resource_values,
            names: names.into_iter().collect(),
        }
    }
}

/// What to offer at the cursor: replace `replace` (bytes of the query) with one of `items`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub replace: Range<usize>,
    pub items: Vec<String>,
}

/// The field a value is being typed for.
enum ValueOf {
    Attr(Scope, String),
    Name,
    Service,
}

/// Suggestions for `text` with the cursor at byte `cursor`; `None` when there is nothing to
/// offer there.
pub fn suggest(store: &Store, vocab: &Vocabulary, text: &str, cursor: usize) -> Option<Suggestion> {
    let cursor = floor_char(text, cursor.min(text.len()));
    let before = &text[..cursor];
    // Inside an open string: a value.
    if let Some(q) = open_quote(before) {
        let field = field_before(&before[..q])?;
        let prefix = &before[q + 1..];
        let items = values(store, vocab, &field, prefix);
        return nonempty(q..cursor, items.into_iter().map(|v| quote(&v)).collect());
    }
    // Right after a comparison: a value.
    if before.ends_with(|c: char| c.is_whitespace() || matches!(c, '=' | '~'))
        && let Some(field) = field_before(before)
    {
        let items = values(store, vocab, &field, "");
        return nonempty(
            cursor..cursor,
            items.into_iter().map(|v| quote(&v)).collect(),
        );
    }
    let start = before
        .char_indices()
        .rev()
        .find(|&(_, c)| !is_word(c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let word = &before[start..];
    if word.is_empty() {
        return None;
    }
    let keys = |keys: &[String], scope: &str, prefix: &str| -> Vec<String> {
        keys.iter()
            .filter(|k| k.starts_with(prefix) && k.as_str() != prefix)
            .map(|k| format!("{scope}{}", attr_text(k)))
            .collect()
    };
    let items = if let Some(p) = word.strip_prefix("span.") {
        keys(&vocab.span_keys, "span.", p)
    } else if let Some(p) = word.strip_prefix("resource.") {
        keys(&vocab.resource_keys, "resource.", p)
    } else if let Some(p) = word.strip_prefix('.') {
        let mut all = keys(&vocab.span_keys, ".", p);
        all.extend(keys(&vocab.resource_keys, ".", p));
        all.sort();
        all.dedup();
        all
    } else {
        let words = Intrinsic::NAMES.iter().map(|(n, _)| *n).chain([
            "conversion.from",
            "conversion.to",
            "span.",
            "resource.",
        ]);
        words
            .filter(|w| w.starts_with(word) && *w != word)
            .map(str::to_string)
            .collect()
    };
    nonempty(start..cursor, items)
}

fn nonempty(replace: Range<usize>, mut items: Vec<String>) -> Option<Suggestion> {
    items.truncate(MAX_SUGGESTIONS);
    (!items.is_empty()).then_some(Suggestion { replace, items })
}

/// Characters of a word being completed: an attribute name's, without the operators.
fn is_word(c: char) -> bool {
    !c.is_whitespace()
        && !matches!(
            c,
            '{' | '}' | '(' | ')' | '=' | '~' | '!' | '<' | '>' | '&' | '|' | '^' | ',' | '"'
        )
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The byte of the `"` that opens a string still open at the end of `s`.
fn open_quote(s: &str) -> Option<usize> {
    let mut open = None;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match (c, open) {
            ('\\', Some(_)) if !escaped => escaped = true,
            ('"', None) => open = Some(i),
            ('"', Some(_)) if !escaped => open = None,
            _ => escaped = false,
        }
    }
    open
}

/// The field compared in `s`, which ends with `FIELD OP` (and blanks).
fn field_before(s: &str) -> Option<ValueOf> {
    let toks = tokens(s).ok()?;
    let [.., field, op] = toks.as_slice() else {
        return None;
    };
    if !matches!(
        op.tok,
        Tok::Cmp(CmpOp::Eq | CmpOp::Ne | CmpOp::Re | CmpOp::Nre)
    ) {
        return None;
    }
    match &field.tok {
        Tok::Attr { scope, name } => match (scope, name.as_str()) {
            (Scope::Resource | Scope::Unscoped, "service.name") => Some(ValueOf::Service),
            (Scope::Span | Scope::Resource | Scope::Unscoped, _) => {
                Some(ValueOf::Attr(*scope, name.clone()))
            }
            _ => None,
        },
        Tok::Ident(w) => match Intrinsic::from_name(w)? {
            Intrinsic::Name | Intrinsic::RootName => Some(ValueOf::Name),
            Intrinsic::RootServiceName => Some(ValueOf::Service),
            _ => None,
        },
        _ => None,
    }
}

/// Distinct string values of the field that start with `prefix`, sorted, at most
/// `MAX_SUGGESTIONS`.
fn values(store: &Store, vocab: &Vocabulary, field: &ValueOf, prefix: &str) -> Vec<String> {
    let mut syms: Vec<Sym> = match field {
        ValueOf::Name => vocab.names.clone(),
        ValueOf::Service => store.index.services.clone(),
        ValueOf::Attr(scope, key) => {
            let Some(key) = store.strings.get(key) else {
                return Vec::new();
            };
            let mut v = Vec::new();
            if *scope != Scope::Resource {
                v.extend(vocab.span_values.get(&key).into_iter().flatten());
            }
            if *scope != Scope::Span {
                v.extend(vocab.resource_values.get(&key).into_iter().flatten());
            }
            v
        }
    };
    syms.sort_unstable();
    syms.dedup();
    let mut out: Vec<String> = syms
        .into_iter()
        .map(|k| store.str(k))
        .filter(|v| v.starts_with(prefix))
        .map(str::to_string)
        .collect();
    out.sort();
    out.truncate(MAX_SUGGESTIONS);
    out
}

/// A value as a TraceQL string literal.
fn quote(v: &str) -> String {
    let mut s = String::with_capacity(v.len() + 2);
    s.push('"');
    for c in v.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\t' => s.push_str("\\t"),
            '\r' => s.push_str("\\r"),
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

/// An attribute name as it can be written after its scope: quoted where it holds characters
/// that would end it.
fn attr_text(k: &str) -> String {
    if k.chars().all(is_word) {
        k.to_string()
    } else {
        quote(k)
    }
}
