//! Completion for the query bar, from the loaded data: attribute names after `span.`,
//! `resource.` or `.`, the values an attribute (or `name`, the service) takes after a
//! comparison, and the intrinsics and scopes for a bare word.

use std::ops::Range;

use super::ast::Intrinsic;
use super::lex::{Scope, Tok, tokens};
use crate::model::{AttrType, Store, Sym};

/// Suggestions shown at most.
pub const MAX_SUGGESTIONS: usize = 12;

/// The attribute names of a store, sorted: built once per session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vocabulary {
    pub span_keys: Vec<String>,
    pub resource_keys: Vec<String>,
}

impl Vocabulary {
    /// One pass over the spans' attribute ranges and the resources (marks by symbol, no
    /// hashing): the names spans and resources use, not those of events, links or logs.
    pub fn build(store: &Store) -> Vocabulary {
        let n = store.strings.len();
        let mut span_seen = vec![false; n];
        for s in &store.spans {
            for a in &store.attrs[s.attrs.range()] {
                if let Some(m) = span_seen.get_mut(a.key.0 as usize) {
                    *m = true;
                }
            }
        }
        let mut res_seen = vec![false; n];
        for r in &store.resources {
            for a in &store.res_attrs[r.attrs.range()] {
                if let Some(m) = res_seen.get_mut(a.key.0 as usize) {
                    *m = true;
                }
            }
        }
        let names = |seen: Vec<bool>| {
            let mut v: Vec<String> = (0..n)
                .filter(|&k| seen[k])
                .map(|k| store.str(Sym(k as u32)).to_string())
                .collect();
            v.sort();
            v
        };
        Vocabulary {
            span_keys: names(span_seen),
            resource_keys: names(res_seen),
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
        let items = values(store, &field, prefix);
        return nonempty(q..cursor, items.into_iter().map(|v| quote(&v)).collect());
    }
    // Right after a comparison: a value.
    if before.ends_with(|c: char| c.is_whitespace() || matches!(c, '=' | '~'))
        && let Some(field) = field_before(before)
    {
        let items = values(store, &field, "");
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
    if !matches!(op.tok, Tok::Eq | Tok::Ne | Tok::Re | Tok::Nre) {
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
/// `MAX_SUGGESTIONS`: one pass over the spans, marking symbols.
fn values(store: &Store, field: &ValueOf, prefix: &str) -> Vec<String> {
    let mut seen = vec![false; store.strings.len()];
    let mut mark = |s: Sym| {
        if let Some(m) = seen.get_mut(s.0 as usize) {
            *m = true;
        }
    };
    match field {
        ValueOf::Name => store.spans.iter().for_each(|s| mark(s.name)),
        ValueOf::Service => store.index.services.iter().for_each(|&s| mark(s)),
        ValueOf::Attr(scope, key) => {
            let Some(key) = store.strings.get(key) else {
                return Vec::new();
            };
            let mut take = |attrs: &[crate::model::Attr]| {
                for a in attrs
                    .iter()
                    .filter(|a| a.key == key && a.ty == AttrType::Str)
                {
                    mark(Sym(a.raw as u32));
                }
            };
            if *scope != Scope::Resource {
                store
                    .spans
                    .iter()
                    .for_each(|s| take(&store.attrs[s.attrs.range()]));
            }
            if *scope != Scope::Span {
                for r in &store.resources {
                    take(&store.res_attrs[r.attrs.range()]);
                }
            }
        }
    }
    let mut out: Vec<String> = (0..seen.len())
        .filter(|&k| seen[k])
        .map(|k| store.str(Sym(k as u32)))
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
