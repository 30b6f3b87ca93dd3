//! The fast path for OTLP/JSON: a hand-written byte scanner specialised for one
//! `ExportTraceServiceRequest` that fills a `Batch` exactly as the serde visitors of
//! `otlp_json` do (same spans, arenas, resources, interned strings in the same order, same
//! `Counts`), without serde_json's per-token machinery.
//!
//! It handles what real dumps contain (keys in any order, snake_case aliases, unknown keys
//! skipped, ints as strings or numbers, enums as ints or names, base64 ids, string escapes)
//! and bails out on anything else: a token it does not expect, a number it would have to
//! round, a key with an escape, deep nesting, and every error. A bail-out rolls the batch back
//! and `otlp_json::parse` runs serde_json over the same text, so errors and their positions
//! are serde_json's. Strings interned by an abandoned attempt stay in the interner (it is
//! append-only, as after a bad JSON line): nothing refers to them, and every kept `Sym`
//! still resolves to the same text.

use std::borrow::Cow;

use super::ids;
use super::otlp_json::{Ctx, Signal, Spans, resource_since};
use crate::json_write;
use crate::model::span::flags;
use crate::model::{
    ArenaRange, Attr, AttrType, BatchMark, Event, Link, Span, SpanKind, StatusCode, Sym,
};

/// Nesting deeper than this is left to serde_json (whose recursion limit is 128).
const MAX_DEPTH: u32 = 100;

/// `None` is a bail-out: serde_json reads this input instead.
type Scan<T> = Option<T>;

/// Parses one complete document (or JSON line) into `ctx`; false if it bailed out, with the
/// batch and the counts as they were before.
pub(crate) fn parse(ctx: &mut Ctx, text: &str) -> bool {
    let mark = BatchMark::of(ctx.batch);
    let counts = ctx.counts;
    let mut sc = Scanner {
        text,
        b: text.as_bytes(),
        pos: 0,
        depth: 0,
        ctx,
        buf: String::new(),
    };
    if sc.document().is_some() {
        return true;
    }
    mark.rollback(sc.ctx.batch);
    sc.ctx.counts = counts;
    false
}

/// An integer token as serde_json reads it: non-negative as u64, negative as i64.
enum Int {
    U(u64),
    I(i64),
}

struct Scanner<'t, 'c, 'b> {
    text: &'t str,
    b: &'t [u8],
    pos: usize,
    depth: u32,
    ctx: &'c mut Ctx<'b>,
    /// Reused for the JSON text of array and kvlist values.
    buf: String,
}

impl<'t> Scanner<'t, '_, '_> {
    // ---- tokens ----

    #[inline(always)]
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.b.get(self.pos) {
            self.pos += 1;
        }
    }

    /// The next byte after whitespace, not consumed.
    #[inline(always)]
    fn peek(&mut self) -> Scan<u8> {
        self.ws();
        self.b.get(self.pos).copied()
    }

    #[inline(always)]
    fn eat(&mut self, c: u8) -> Scan<()> {
        (self.peek()? == c).then(|| self.pos += 1)
    }

    /// Consumes `word` if it comes next.
    #[inline(always)]
    fn word(&mut self, word: &[u8]) -> bool {
        self.ws();
        let hit = self.b.get(self.pos..).is_some_and(|r| r.starts_with(word));
        if hit {
            self.pos += word.len();
        }
        hit
    }

    #[inline(always)]
    fn null(&mut self) -> bool {
        self.word(b"null")
    }

    /// Reads `{` or `[`, counting the depth.
    #[inline(always)]
    fn open(&mut self, c: u8) -> Scan<()> {
        self.eat(c)?;
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    /// Before the next member of an object or array whose opening bracket was read: true if
    /// there is one, false (after reading `close`) if not. `first` is true on the first call.
    #[inline(always)]
    fn more(&mut self, first: &mut bool, close: u8) -> Scan<bool> {
        let c = self.peek()?;
        if c == close {
            self.pos += 1;
            self.depth -= 1;
            return Some(false);
        }
        if !std::mem::take(first) {
            if c != b',' {
                return None;
            }
            self.pos += 1;
        }
        Some(true)
    }

    /// An object, or `null` for none: each key handed to `field`, which reads its value.
    #[inline(always)]
    fn object_or_null(
        &mut self,
        mut field: impl FnMut(&mut Self, &'t [u8]) -> Scan<()>,
    ) -> Scan<()> {
        if self.null() {
            return Some(());
        }
        self.open(b'{')?;
        let mut first = true;
        while let Some(k) = self.key(&mut first)? {
            field(self, k)?;
        }
        Some(())
    }

    /// The next key of an object (and its `:`), or `None` after its `}`.
    #[inline(always)]
    fn key(&mut self, first: &mut bool) -> Scan<Option<&'t [u8]>> {
        if !self.more(first, b'}')? {
            return Some(None);
        }
        let k = self.raw_str()?;
        self.eat(b':')?;
        Some(Some(k))
    }

    /// A string with nothing to unescape, as the bytes between its quotes.
    #[inline(always)]
    fn raw_str(&mut self) -> Scan<&'t [u8]> {
        if self.peek()? != b'"' {
            return None;
        }
        let b = self.b;
        let start = self.pos + 1;
        let end = special(b, start);
        if b.get(end) != Some(&b'"') {
            return None;
        }
        self.pos = end + 1;
        b.get(start..end)
    }

    /// A string, borrowed from the input unless it has escapes.
    #[inline(always)]
    fn str(&mut self) -> Scan<Cow<'t, str>> {
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.pos + 1;
        let end = special(self.b, start);
        match self.b.get(end)? {
            b'"' => {
                self.pos = end + 1;
                self.text.get(start..end).map(Cow::Borrowed)
            }
            b'\\' => self.unescape(start, end).map(Cow::Owned),
            _ => None,
        }
    }

    /// The rest of a string from `start`, whose first escape is at `at`.
    fn unescape(&mut self, start: usize, mut at: usize) -> Scan<String> {
        let mut out = String::with_capacity(at - start + 16);
        let mut from = start;
        loop {
            out.push_str(self.text.get(from..at)?);
            match self.b.get(at)? {
                b'"' => {
                    self.pos = at + 1;
                    return Some(out);
                }
                b'\\' => {
                    let (c, next) = escape(self.b, at + 1)?;
                    out.push(c);
                    from = next;
                }
                _ => return None,
            }
            at = special(self.b, from);
        }
    }

    /// An integer token; fractions, exponents, `-0`, leading zeros and overflow bail out.
    fn int(&mut self) -> Scan<Int> {
        let neg = self.peek()? == b'-';
        if neg {
            self.pos += 1;
        }
        let start = self.pos;
        let mut v: u64 = 0;
        while let Some(&c) = self.b.get(self.pos) {
            if !c.is_ascii_digit() {
                break;
            }
            v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
            self.pos += 1;
        }
        let n = self.pos - start;
        if n == 0 || (n > 1 && self.b.get(start) == Some(&b'0')) {
            return None;
        }
        if let Some(b'.' | b'e' | b'E') = self.b.get(self.pos) {
            return None;
        }
        if !neg {
            return Some(Int::U(v));
        }
        // serde_json reads `-0` and magnitudes beyond i64 as floats.
        if v == 0 || v > 1 << 63 {
            return None;
        }
        Some(Int::I((v as i64).wrapping_neg()))
    }

    // ---- skipping (serde's IgnoredAny, with the same validation) ----

    fn skip(&mut self) -> Scan<()> {
        match self.peek()? {
            b'"' => self.skip_str(),
            b'{' => {
                self.open(b'{')?;
                let mut first = true;
                while self.more(&mut first, b'}')? {
                    if self.peek()? != b'"' {
                        return None;
                    }
                    self.skip_str()?;
                    self.eat(b':')?;
                    self.skip()?;
                }
                Some(())
            }
            b'[' => {
                self.open(b'[')?;
                let mut first = true;
                while self.more(&mut first, b']')? {
                    self.skip()?;
                }
                Some(())
            }
            b't' => self.word(b"true").then_some(()),
            b'f' => self.word(b"false").then_some(()),
            b'n' => self.null().then_some(()),
            _ => self.skip_number(),
        }
    }

    /// A string whose `"` is next, escapes checked.
    fn skip_str(&mut self) -> Scan<()> {
        let mut at = special(self.b, self.pos + 1);
        loop {
            match self.b.get(at)? {
                b'"' => {
                    self.pos = at + 1;
                    return Some(());
                }
                b'\\' => at = special(self.b, escape(self.b, at + 1)?.1),
                _ => return None,
            }
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, the JSON number grammar.
    fn skip_number(&mut self) -> Scan<()> {
        let b = self.b;
        let mut i = self.pos;
        let digits = |i: &mut usize| {
            let s = *i;
            while b.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i - s
        };
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        let first = b.get(i).copied();
        let n = digits(&mut i);
        if n == 0 || (n > 1 && first == Some(b'0')) {
            return None;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            if digits(&mut i) == 0 {
                return None;
            }
        }
        if let Some(b'e' | b'E') = b.get(i) {
            i += 1;
            if let Some(b'+' | b'-') = b.get(i) {
                i += 1;
            }
            if digits(&mut i) == 0 {
                return None;
            }
        }
        self.pos = i;
        Some(())
    }

    // ---- the request (mirrors the seeds of `otlp_json`, in the same order) ----

    fn document(&mut self) -> Scan<()> {
        self.request()?;
        self.ws();
        (self.pos == self.b.len()).then_some(())
    }

    fn list(&mut self, mut item: impl FnMut(&mut Self) -> Scan<()>) -> Scan<()> {
        if self.null() {
            return Some(());
        }
        self.open(b'[')?;
        let mut first = true;
        while self.more(&mut first, b']')? {
            item(self)?;
        }
        Some(())
    }

    fn request(&mut self) -> Scan<()> {
        self.open(b'{')?;
        let mut first = true;
        while let Some(k) = self.key(&mut first)? {
            match k {
                b"resourceSpans" | b"resource_spans" | b"batches" => {
                    self.list(Self::resource_spans)?
                }
                b"result" => self.request()?,
                b"resourceLogs" | b"resource_logs" => self.list(Self::resource_logs)?,
                b"resourceMetrics" | b"resource_metrics" | b"resourceProfiles"
                | b"resource_profiles" => {
                    self.skip()?;
                    self.ctx.counts.other_signals += 1;
                }
                _ => self.skip()?,
            }
        }
        Some(())
    }

    fn resource_spans(&mut self) -> Scan<()> {
        self.resource_item::<Spans>(
            [
                b"scopeSpans",
                b"scope_spans",
                b"instrumentationLibrarySpans",
                b"instrumentation_library_spans",
            ],
            Self::scope_spans,
        )
    }

    /// A `resourceSpans` or `resourceLogs` item: its scope list is under one of `scopes`,
    /// and `scope_item` reads each of its items.
    fn resource_item<S: Signal>(
        &mut self,
        scopes: [&[u8]; 4],
        mut scope_item: impl FnMut(&mut Self) -> Scan<()>,
    ) -> Scan<()> {
        self.open(b'{')?;
        let first_item = S::count(self.ctx.batch);
        let mut resource = None;
        let mut first = true;
        while let Some(k) = self.key(&mut first)? {
            match k {
                b"resource" => resource = Some(self.resource()?),
                k if scopes.contains(&k) => self.list(&mut scope_item)?,
                _ => self.skip()?,
            }
        }
        let batch = &mut *self.ctx.batch;
        // The resource may come after its items: assign it once the object is read.
        let r = match resource {
            Some(r) => r,
            None => {
                let mark = batch.attr_mark();
                resource_since(batch, mark)
            }
        };
        S::set_resource(batch, first_item, r);
        Some(())
    }

    fn resource(&mut self) -> Scan<u32> {
        let mark = self.ctx.batch.attr_mark();
        if !self.null() {
            self.open(b'{')?;
            let mut first = true;
            while let Some(k) = self.key(&mut first)? {
                match k {
                    b"attributes" => self.list(Self::key_value)?,
                    _ => self.skip()?,
                }
            }
        }
        Some(resource_since(self.ctx.batch, mark))
    }

    fn scope_spans(&mut self) -> Scan<()> {
        self.scope_item::<Spans>(&[b"spans"], Self::span)
    }

    /// A `scopeSpans` or `scopeLogs` item: its item list is under one of `items`, and `item`
    /// reads each of them.
    fn scope_item<S: Signal>(
        &mut self,
        items: &[&[u8]],
        mut item: impl FnMut(&mut Self) -> Scan<()>,
    ) -> Scan<()> {
        self.open(b'{')?;
        let first_item = S::count(self.ctx.batch);
        let mut scope = Sym::EMPTY;
        let mut first = true;
        while let Some(k) = self.key(&mut first)? {
            match k {
                b"scope" | b"instrumentationLibrary" | b"instrumentation_library" => {
                    scope = self.scope()?
                }
                k if items.contains(&k) => self.list(&mut item)?,
                _ => self.skip()?,
            }
        }
        S::set_scope(self.ctx.batch, first_item, scope);
        Some(())
    }

    fn scope(&mut self) -> Scan<Sym> {
        let mut name = Sym::EMPTY;
        self.object_or_null(|s, k| {
            match k {
                b"name" => name = s.sym()?,
                _ => s.skip()?,
            }
            Some(())
        })?;
        Some(name)
    }

    fn span(&mut self) -> Scan<()> {
        self.open(b'{')?;
        let mut s = Span {
            // Absent ids are invalid ids (spec §5 invalid_id): the span is kept, flagged.
            flags: flags::BAD_TRACE_ID | flags::BAD_SPAN_ID,
            ..Span::default()
        };
        let mut first = true;
        while let Some(k) = self.key(&mut first)? {
            match k {
                b"traceId" | b"trace_id" => {
                    let d = self.id(ids::trace_id)?;
                    s.trace_id = d.value;
                    s.flags = (s.flags & !flags::BAD_TRACE_ID) | d.flags;
                }
                b"spanId" | b"span_id" => {
                    let d = self.id(ids::span_id)?;
                    s.span_id = d.value;
                    s.flags = (s.flags & !flags::BAD_SPAN_ID) | d.flags;
                }
                b"parentSpanId" | b"parent_span_id" => {
                    let d = self.id(ids::parent_id)?;
                    s.parent_id = d.value;
                    s.flags |= d.flags;
                }
                b"name" => s.name = self.sym()?,
                b"kind" => s.kind = self.enumeration(SpanKind::from_i64, SpanKind::from_name)?,
                b"startTimeUnixNano" | b"start_time_unix_nano" => s.start = self.u64()?,
                b"endTimeUnixNano" | b"end_time_unix_nano" => s.end = self.u64()?,
                b"attributes" => s.attrs = self.attributes()?,
                b"events" => {
                    let from = self.ctx.batch.events.len();
                    self.list(Self::event)?;
                    s.events = range(from, self.ctx.batch.events.len());
                }
                b"links" => {
                    let from = self.ctx.batch.links.len();
                    self.list(Self::link)?;
                    s.links = range(from, self.ctx.batch.links.len());
                }
                b"status" => (s.status, s.status_message) = self.status()?,
                _ => self.skip()?,
            }
        }
        self.ctx.batch.spans.push(s);
        Some(())
    }

    fn attributes(&mut self) -> Scan<ArenaRange> {
        let mark = self.ctx.batch.attr_mark();
        self.list(Self::key_value)?;
        Some(self.ctx.batch.attrs_since(mark))
    }

    fn event(&mut self) -> Scan<()> {
        self.open(b'{')?;
        let mut e = Event {
            time: 0,
            name: Sym::EMPTY,
            attrs: ArenaRange::default(),
        };
        let mut first = true;
        while let Some(k) = self.key(&mut first)? {
            match k {
                b"timeUnixNano" | b"time_unix_nano" => e.time = self.u64()?,
                b"name" => e.name = self.sym()?,
                b"attributes" => e.attrs = self.attributes()?,
                _ => self.skip()?,
            }
        }
        self.ctx.batch.events.push(e);
        Some(())
    }

    fn link(&mut self) -> Scan<()> {
        self.open(b'{')?;
        let mut l = Link {
            trace_id: 0,
            span_id: 0,
            attrs: ArenaRange::default(),
        };
        let mut first = true;
        while let Some(k) = self.key(&mut first)? {
            match k {
                b"traceId" | b"trace_id" => l.trace_id = self.id(ids::trace_id)?.value,
                b"spanId" | b"span_id" => l.span_id = self.id(ids::span_id)?.value,
                b"attributes" => l.attrs = self.attributes()?,
                _ => self.skip()?,
            }
        }
        self.ctx.batch.links.push(l);
        Some(())
    }

    fn status(&mut self) -> Scan<(StatusCode, Sym)> {
        let (mut code, mut msg) = (StatusCode::Unset, Sym::EMPTY);
        self.object_or_null(|s, k| {
            match k {
                b"code" => code = s.enumeration(StatusCode::from_i64, StatusCode::from_name)?,
                b"message" => msg = s.sym()?,
                _ => s.skip()?,
            }
            Some(())
        })?;
        Some((code, msg))
    }

    fn key_value(&mut self) -> Scan<()> {
        let start = self.pos;
        let (key, (ty, raw)) = match self.compact_key_value() {
            Some(kv) => kv,
            None => {
                self.pos = start;
                self.general_key_value()?
            }
        };
        self.ctx.batch.attrs.push(Attr { key, ty, raw });
        Some(())
    }

    /// A key-value as exporters write it, `{"key":…,"value":{"<type>Value":…}}` with no
    /// spaces and one scalar value, read by matching the punctuation as literals: attributes
    /// are most of a dump, and this skips the general key dispatch. `None` when the text
    /// differs in any way (the caller rewinds and reads it the general way, which also
    /// reports what a bad value is).
    #[inline(always)]
    fn compact_key_value(&mut self) -> Scan<(Sym, (AttrType, u64))> {
        if self.depth + 2 > MAX_DEPTH {
            return None;
        }
        self.lit(b"{\"key\":")?;
        let key = self.sym()?;
        self.lit(b",\"value\":{\"")?;
        let value = if self.lit(b"stringValue\":").is_some() {
            (AttrType::Str, self.sym()?.0 as u64)
        } else if self.lit(b"intValue\":").is_some() {
            (AttrType::Int, self.i64()? as u64)
        } else if self.lit(b"boolValue\":").is_some() {
            (AttrType::Bool, self.bool()? as u64)
        } else {
            return None;
        };
        self.lit(b"}}")?;
        Some((key, value))
    }

    /// Consumes `word` if the text goes on with exactly it (no whitespace first).
    #[inline(always)]
    fn lit(&mut self, word: &[u8]) -> Scan<()> {
        self.b
            .get(self.pos..)?
            .starts_with(word)
            .then(|| self.pos += word.len())
    }

    fn general_key_value(&mut self) -> Scan<(Sym, (AttrType, u64))> {
        self.open(b'{')?;
        let (mut key, mut value) = (Sym::EMPTY, (AttrType::Empty, 0));
        let mut first = true;
        while let Some(k) = self.key(&mut first)? {
            match k {
                b"key" => key = self.sym()?,
                b"value" => value = self.any_value()?,
                _ => self.skip()?,
            }
        }
        Some((key, value))
    }

    fn any_value(&mut self) -> Scan<(AttrType, u64)> {
        let mut v = (AttrType::Empty, 0);
        self.object_or_null(|s, k| {
            // Exactly one key is expected; if there are more, the last wins (as in serde).
            match k {
                b"stringValue" | b"string_value" => v = (AttrType::Str, s.sym()?.0 as u64),
                b"boolValue" | b"bool_value" => v = (AttrType::Bool, s.bool()? as u64),
                b"intValue" | b"int_value" => v = (AttrType::Int, s.i64()? as u64),
                b"doubleValue" | b"double_value" => v = (AttrType::Double, s.f64()?.to_bits()),
                b"bytesValue" | b"bytes_value" => v = (AttrType::Bytes, s.sym()?.0 as u64),
                b"arrayValue" | b"array_value" | b"kvlistValue" | b"kvlist_value" => {
                    let mut text = std::mem::take(&mut s.buf);
                    text.clear();
                    s.list_text(&mut text, k.first() == Some(&b'k'))?;
                    v = (AttrType::Json, s.ctx.batch.intern(&text).0 as u64);
                    s.buf = text;
                }
                _ => s.skip()?,
            }
            Some(())
        })?;
        Some(v)
    }

    // ---- scalar values ----

    fn sym(&mut self) -> Scan<Sym> {
        if self.peek()? != b'"' {
            return self.null().then_some(Sym::EMPTY);
        }
        let s = self.str()?;
        Some(self.ctx.batch.intern(&s))
    }

    fn id<T>(
        &mut self,
        decode: fn(&str) -> Result<ids::Decoded<T>, ids::BadId>,
    ) -> Scan<ids::Decoded<T>> {
        let d = if self.null() {
            decode("")
        } else {
            decode(&self.str()?)
        }
        .ok()?;
        if d.flags & flags::BASE64_IDS != 0 {
            self.ctx.counts.base64 = true;
        }
        Some(d)
    }

    /// A span kind or status code: a number, a decimal string or a name.
    fn enumeration<E: Default>(
        &mut self,
        from_i64: fn(i64) -> Option<E>,
        from_name: fn(&str) -> Option<E>,
    ) -> Scan<E> {
        if self.null() {
            return Some(E::default());
        }
        let v = if self.peek()? == b'"' {
            let s = self.str()?;
            match s.parse::<i64>() {
                Ok(v) => v,
                Err(_) => {
                    self.ctx.counts.enum_names = true;
                    return from_name(&s);
                }
            }
        } else {
            match self.int()? {
                Int::U(v) => v.min(i64::MAX as u64) as i64,
                Int::I(v) => v,
            }
        };
        Some(from_i64(v).unwrap_or_else(|| {
            self.ctx.counts.unknown_enums += 1;
            E::default()
        }))
    }

    fn u64(&mut self) -> Scan<u64> {
        if self.null() {
            return Some(0);
        }
        if self.peek()? == b'"' {
            let s = self.str()?;
            return digits(s.as_bytes(), 19).or_else(|| s.trim().parse().ok());
        }
        match self.int()? {
            Int::U(v) => Some(v),
            Int::I(_) => None,
        }
    }

    fn i64(&mut self) -> Scan<i64> {
        if self.peek()? == b'"' {
            let s = self.str()?;
            return match digits(s.as_bytes(), 18) {
                Some(v) => Some(v as i64),
                None => s.trim().parse().ok(),
            };
        }
        match self.int()? {
            Int::U(v) => i64::try_from(v).ok(),
            Int::I(v) => Some(v),
        }
    }

    fn f64(&mut self) -> Scan<f64> {
        if self.peek()? == b'"' {
            let s = self.str()?;
            return match &*s {
                "NaN" => Some(f64::NAN),
                "Infinity" => Some(f64::INFINITY),
                "-Infinity" => Some(f64::NEG_INFINITY),
                _ => s.trim().parse().ok(),
            };
        }
        // serde_json's own float parser, so that every double rounds exactly as it would.
        let start = self.pos;
        self.skip_number()?;
        serde_json::from_str(self.text.get(start..self.pos)?).ok()
    }

    fn bool(&mut self) -> Scan<bool> {
        if self.word(b"true") {
            Some(true)
        } else if self.word(b"false") {
            Some(false)
        } else {
            None
        }
    }

    // ---- array and kvlist values as compact JSON text (see `json_write`) ----

    fn list_text(&mut self, out: &mut String, kv: bool) -> Scan<()> {
        if self.null() {
            out.push_str(if kv { "{}" } else { "[]" });
            return Some(());
        }
        self.open(b'{')?;
        out.push(if kv { '{' } else { '[' });
        let mut first = true;
        while let Some(k) = self.key(&mut first)? {
            match k {
                b"values" => self.items_text(out, kv)?,
                _ => self.skip()?,
            }
        }
        out.push(if kv { '}' } else { ']' });
        Some(())
    }

    fn items_text(&mut self, out: &mut String, kv: bool) -> Scan<()> {
        if self.null() {
            return Some(());
        }
        self.open(b'[')?;
        let (mut first, mut comma) = (true, false);
        while self.more(&mut first, b']')? {
            if std::mem::replace(&mut comma, true) {
                out.push(',');
            }
            if kv {
                self.kv_text(out)?
            } else {
                self.any_text(out)?
            }
        }
        Some(())
    }

    fn kv_text(&mut self, out: &mut String) -> Scan<()> {
        self.open(b'{')?;
        let (mut key, mut value) = (String::new(), String::new());
        let mut first = true;
        while let Some(k) = self.key(&mut first)? {
            match k {
                b"key" => {
                    key.clear();
                    json_write::push_str(&mut key, &self.str()?);
                }
                b"value" => {
                    value.clear();
                    self.any_text(&mut value)?;
                }
                _ => self.skip()?,
            }
        }
        if key.is_empty() {
            key.push_str("\"\"");
        }
        if value.is_empty() {
            value.push_str("null");
        }
        out.push_str(&key);
        out.push(':');
        out.push_str(&value);
        Some(())
    }

    fn any_text(&mut self, out: &mut String) -> Scan<()> {
        if self.null() {
            out.push_str("null");
            return Some(());
        }
        self.open(b'{')?;
        let start = out.len();
        let mut first = true;
        while let Some(k) = self.key(&mut first)? {
            // Exactly one key is expected; if there are more, the last wins.
            let before = out.len();
            match k {
                b"stringValue" | b"string_value" | b"bytesValue" | b"bytes_value" => {
                    json_write::push_str(out, &self.str()?)
                }
                b"boolValue" | b"bool_value" => json_write::push_bool(out, self.bool()?),
                b"intValue" | b"int_value" => json_write::push_i64(out, self.i64()?),
                b"doubleValue" | b"double_value" => json_write::push_f64(out, self.f64()?),
                b"arrayValue" | b"array_value" | b"kvlistValue" | b"kvlist_value" => {
                    self.list_text(out, k.first() == Some(&b'k'))?
                }
                _ => self.skip()?,
            }
            if out.len() > before && before > start {
                out.replace_range(start..before, "");
            }
        }
        if out.len() == start {
            out.push_str("null");
        }
        Some(())
    }
}

fn range(from: usize, to: usize) -> ArenaRange {
    ArenaRange {
        start: from as u32,
        len: (to - from) as u32,
    }
}

/// 1 to `max` decimal digits and nothing else (`max` ≤ 19 cannot overflow a u64).
fn digits(s: &[u8], max: usize) -> Option<u64> {
    if s.is_empty() || s.len() > max {
        return None;
    }
    s.iter().try_fold(0u64, |v, &c| {
        c.is_ascii_digit().then(|| v * 10 + u64::from(c - b'0'))
    })
}

/// The index of the first `"`, `\` or control character at or after `i` (or the end),
/// eight bytes at a time.
#[inline(always)]
fn special(b: &[u8], mut i: usize) -> usize {
    const LO: u64 = u64::from_ne_bytes([0x01; 8]);
    const HI: u64 = u64::from_ne_bytes([0x80; 8]);
    while let Some(w) = b.get(i..).and_then(|r| r.first_chunk::<8>()) {
        let w = u64::from_le_bytes(*w);
        let q = w ^ (LO * u64::from(b'"'));
        let e = w ^ (LO * u64::from(b'\\'));
        // The lowest flagged byte of each term is exact (borrows only run upwards).
        let m = ((q.wrapping_sub(LO) & !q)
            | (e.wrapping_sub(LO) & !e)
            | (w.wrapping_sub(LO * 0x20) & !w))
            & HI;
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if c == b'"' || c == b'\\' || c < 0x20 {
            break;
        }
        i += 1;
    }
    i
}

/// The escape whose letter is at `i` (after the `\`): its char and where the text goes on.
/// Lone or reversed surrogates bail out.
fn escape(b: &[u8], i: usize) -> Option<(char, usize)> {
    let c = match *b.get(i)? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let hi = hex4(b, i + 1)?;
            if (0xD800..0xDC00).contains(&hi) {
                if b.get(i + 5..i + 7)? != b"\\u" {
                    return None;
                }
                let lo = hex4(b, i + 7)?;
                if !(0xDC00..0xE000).contains(&lo) {
                    return None;
                }
                let c = char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))?;
                return Some((c, i + 11));
            }
            return Some((char::from_u32(hi)?, i + 5));
        }
        _ => return None,
    };
    Some((c, i + 1))
}

fn hex4(b: &[u8], i: usize) -> Option<u32> {
    b.get(i..i + 4)?
        .iter()
        .try_fold(0u32, |v, &c| Some(v * 16 + char::from(c).to_digit(16)?))
}

mod logs;

#[cfg(test)]
mod tests;
