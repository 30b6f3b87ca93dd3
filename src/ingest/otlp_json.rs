//! OTLP/JSON: one `ExportTraceServiceRequest` document, read with hand-written serde visitors
//! that write straight into a `Batch` (no generated types, no `serde_json::Value`, no `String`
//! per field: strings are interned from the borrowed input).
//!
//! Lenient the way spec §1 asks: lowerCamelCase or snake_case keys, 64-bit ints as strings or
//! numbers (never through f64), enums as integers or names, the `batches` (Tempo) and `result`
//! (Jaeger api_v3) wrappers, pre-1.0 `instrumentationLibrarySpans`, base64 ids (one warning per
//! input). An id that is neither hex nor base64, or an unknown enum name, fails the document.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::ids;
use super::otlp_scan;
use super::scalar::Text;
use crate::json_write;
use crate::model::span::flags;
use crate::model::{
    Attr, AttrType, Batch, Event, Link, LoadError, Position, Span, SpanKind, StatusCode, Sym,
    WarningKind,
};

/// What one parse noticed besides spans; folded into warnings once per input.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Counts {
    pub base64: bool,
    pub enum_names: bool,
    pub unknown_enums: u64,
    pub other_signals: u64,
}

/// The batch being filled and the counts of the current document (or line).
pub(crate) struct Ctx<'b> {
    pub batch: &'b mut Batch,
    pub counts: Counts,
}

impl Ctx<'_> {
    fn resource(&mut self, mark: u32) -> u32 {
        resource_since(self.batch, mark)
    }
}

/// Turns the attributes pushed since `mark` into a resource, reusing a recent identical one
/// (every line of a JSON lines file, every request of a stream, repeats its resources).
pub(crate) fn resource_since(b: &mut Batch, mark: u32) -> u32 {
    let new = &b.attrs[mark as usize..];
    let recent = b.resources.len().saturating_sub(8);
    for (i, r) in b.resources.iter().enumerate().skip(recent).rev() {
        if &b.res_attrs[r.attrs.range()] == new {
            b.attrs.truncate(mark as usize);
            return i as u32;
        }
    }
    b.add_resource(mark)
}

/// Where to add warnings for counts gathered over a whole input.
pub(crate) struct Tally {
    pub counts: Counts,
    base64_at: Option<Position>,
    enum_names_at: Option<Position>,
    unknown_enums_at: Option<Position>,
    other_signals_at: Option<Position>,
}

impl Tally {
    pub fn new() -> Self {
        Tally {
            counts: Counts::default(),
            base64_at: None,
            enum_names_at: None,
            unknown_enums_at: None,
            other_signals_at: None,
        }
    }

    /// Adds the counts of one parse that happened at `at`.
    pub fn add(&mut self, c: Counts, at: impl Fn() -> Position) {
        let first = |slot: &mut Option<Position>, hit: bool| {
            if hit && slot.is_none() {
                *slot = Some(at());
            }
        };
        first(&mut self.base64_at, c.base64);
        first(&mut self.enum_names_at, c.enum_names);
        first(&mut self.unknown_enums_at, c.unknown_enums > 0);
        first(&mut self.other_signals_at, c.other_signals > 0);
        self.counts.base64 |= c.base64;
        self.counts.enum_names |= c.enum_names;
        self.counts.unknown_enums += c.unknown_enums;
        self.counts.other_signals += c.other_signals;
    }

    /// Merges a later tally (a later part of the same input).
    pub fn merge(&mut self, o: Tally) {
        for (slot, other) in [
            (&mut self.base64_at, o.base64_at),
            (&mut self.enum_names_at, o.enum_names_at),
            (&mut self.unknown_enums_at, o.unknown_enums_at),
            (&mut self.other_signals_at, o.other_signals_at),
        ] {
            if slot.is_none() {
                *slot = other;
            }
        }
        self.counts.base64 |= o.counts.base64;
        self.counts.enum_names |= o.counts.enum_names;
        self.counts.unknown_enums += o.counts.unknown_enums;
        self.counts.other_signals += o.counts.other_signals;
    }

    pub fn emit(self, batch: &mut Batch, input: &str) {
        let d = &mut batch.diag;
        let pos = |p: Option<Position>| p.unwrap_or(Position::Unknown);
        if self.counts.base64 {
            d.warn(
                WarningKind::Base64Ids,
                input,
                pos(self.base64_at),
                "ids are base64 instead of hex (non-conformant OTLP/JSON); accepted",
            );
        }
        if self.counts.enum_names {
            d.warn(
                WarningKind::EnumValue,
                input,
                pos(self.enum_names_at),
                "enums are names instead of integers (non-conformant OTLP/JSON); accepted",
            );
        }
        d.warn_n(
            WarningKind::EnumValue,
            input,
            pos(self.unknown_enums_at),
            "unknown span kind or status code number read as unspecified",
            self.counts.unknown_enums,
        );
        d.warn_n(
            WarningKind::OtherSignal,
            input,
            pos(self.other_signals_at),
            "metrics or profiles in a trace file were not loaded",
            self.counts.other_signals,
        );
    }
}

/// Reads one OTLP/JSON document into a new batch.
pub fn read(input: &str, bytes: &[u8]) -> Result<Batch, LoadError> {
    let mut batch = Batch::new();
    let mut ctx = Ctx {
        batch: &mut batch,
        counts: Counts::default(),
    };
    parse(&mut ctx, bytes).map_err(|e| json_error(input, &e))?;
    let mut tally = Tally::new();
    tally.add(ctx.counts, || Position::Unknown);
    tally.emit(&mut batch, input);
    Ok(batch)
}

/// Parses one complete document (or JSON line) into `ctx`.
pub(crate) fn parse(ctx: &mut Ctx, bytes: &[u8]) -> Result<(), serde_json::Error> {
    // One SIMD UTF-8 check of the whole text is far cheaper than serde_json's check of every
    // string from a byte slice; invalid text goes the slice way to get serde_json's position.
    match std::str::from_utf8(bytes) {
        // The hand-written scanner reads usual input several times faster; on anything it
        // does not handle it leaves the batch as it was, and serde_json reads the text.
        Ok(text) if otlp_scan::parse(ctx, text) => Ok(()),
        Ok(text) => parse_serde(ctx, text),
        Err(_) => {
            let mut de = serde_json::Deserializer::from_slice(bytes);
            RequestSeed { ctx }.deserialize(&mut de)?;
            de.end()
        }
    }
}

/// Parses one complete document with the serde visitors only.
pub(crate) fn parse_serde(ctx: &mut Ctx, text: &str) -> Result<(), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    RequestSeed { ctx }.deserialize(&mut de)?;
    de.end()
}

/// The message of a serde_json error without its " at line L column C" suffix.
pub(crate) fn error_message(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

fn json_error(input: &str, e: &serde_json::Error) -> LoadError {
    LoadError::new(
        input,
        Position::LineCol {
            line: e.line() as u64,
            column: e.column() as u64,
        },
        error_message(e),
    )
}

// ---- field names (camelCase, snake_case aliases, anything else ignored) ----

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum RequestField {
    #[serde(alias = "resource_spans", alias = "batches")]
    ResourceSpans,
    Result,
    #[serde(alias = "resource_logs")]
    ResourceLogs,
    #[serde(
        alias = "resource_metrics",
        alias = "resourceProfiles",
        alias = "resource_profiles"
    )]
    ResourceMetrics,
    #[serde(other)]
    Other,
}

/// The keys of a `resourceSpans` or `resourceLogs` item: each reads the scope list of its own
/// signal (`Signal::SCOPES`) and ignores the other's.
#[derive(Deserialize, PartialEq, Eq)]
#[serde(field_identifier, rename_all = "camelCase")]
pub(crate) enum ResourceField {
    Resource,
    #[serde(
        alias = "scope_spans",
        alias = "instrumentationLibrarySpans",
        alias = "instrumentation_library_spans"
    )]
    ScopeSpans,
    #[serde(
        alias = "scope_logs",
        alias = "instrumentationLibraryLogs",
        alias = "instrumentation_library_logs"
    )]
    ScopeLogs,
    #[serde(other)]
    Other,
}

/// The keys of a `scopeSpans` or `scopeLogs` item: likewise `Signal::ITEMS`.
#[derive(Deserialize, PartialEq, Eq)]
#[serde(field_identifier, rename_all = "camelCase")]
pub(crate) enum ScopeField {
    #[serde(alias = "instrumentationLibrary", alias = "instrumentation_library")]
    Scope,
    Spans,
    #[serde(alias = "log_records")]
    LogRecords,
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum SpanField {
    #[serde(alias = "trace_id")]
    TraceId,
    #[serde(alias = "span_id")]
    SpanId,
    #[serde(alias = "parent_span_id")]
    ParentSpanId,
    Name,
    Kind,
    #[serde(alias = "start_time_unix_nano")]
    StartTimeUnixNano,
    #[serde(alias = "end_time_unix_nano")]
    EndTimeUnixNano,
    Attributes,
    Events,
    Links,
    Status,
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum EventField {
    #[serde(alias = "time_unix_nano")]
    TimeUnixNano,
    Name,
    Attributes,
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum LinkField {
    #[serde(alias = "trace_id")]
    TraceId,
    #[serde(alias = "span_id")]
    SpanId,
    Attributes,
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum NamedField {
    Name,
    Attributes,
    Message,
    Code,
    Key,
    Value,
    Values,
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum AnyField {
    #[serde(alias = "string_value")]
    StringValue,
    #[serde(alias = "bool_value")]
    BoolValue,
    #[serde(alias = "int_value")]
    IntValue,
    #[serde(alias = "double_value")]
    DoubleValue,
    #[serde(alias = "bytes_value")]
    BytesValue,
    #[serde(alias = "array_value")]
    ArrayValue,
    #[serde(alias = "kvlist_value")]
    KvlistValue,
    #[serde(other)]
    Other,
}

// ---- seeds ----

/// A seed that is its own visitor, holding the context.
macro_rules! seed {
    ($name:ident $(<$s:ident: $bound:ident>)? -> $value:ty, $what:expr) => {
        struct $name<'c, 'b $(, $s)?> {
            ctx: &'c mut Ctx<'b>,
            $(of: PhantomData<$s>,)?
        }
        impl<'de $(, $s: $bound)?> DeserializeSeed<'de> for $name<'_, '_ $(, $s)?> {
            type Value = $value;
            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<$value, D::Error> {
                d.deserialize_any(self)
            }
        }
        impl<$($s: $bound)?> $name<'_, '_ $(, $s)?> {
            fn what(f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str($what)
            }
        }
    };
}

/// `DeserializeSeed` for a visitor without context that is its own seed, reading whatever
/// JSON type is there (`deserialize_any`).
macro_rules! self_seed {
    ($ty:ty) => {
        impl<'de> DeserializeSeed<'de> for $ty {
            type Value = <Self as Visitor<'de>>::Value;
            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }
        }
    };
}
pub(crate) use self_seed;

/// A list whose items are read by `$item` (which pushes into the batch); `null` is empty.
/// With `<S: Bound>` both are generic over `S`.
macro_rules! list {
    ($name:ident $(<$s:ident: $bound:ident>)?, $item:ident, $what:expr) => {
        seed!($name $(<$s: $bound>)? -> (), $what);
        impl<'de $(, $s: $bound)?> Visitor<'de> for $name<'_, '_ $(, $s)?> {
            type Value = ();
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                Self::what(f)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
                let ctx = self.ctx;
                while seq
                    .next_element_seed($item {
                        ctx: &mut *ctx,
                        $(of: PhantomData::<$s>,)?
                    })?
                    .is_some()
                {}
                Ok(())
            }
            fn visit_unit<E: de::Error>(self) -> Result<(), E> {
                Ok(())
            }
        }
    };
}

#[path = "otlp_json_logs.rs"]
mod logs;
pub(crate) use logs::Logs;

seed!(RequestSeed -> (), "an OTLP/JSON trace request object");
impl<'de> Visitor<'de> for RequestSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        Self::what(f)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(k) = map.next_key::<RequestField>()? {
            match k {
                RequestField::ResourceSpans => map.next_value_seed(ResourceList::<Spans> {
                    ctx: &mut *self.ctx,
                    of: PhantomData,
                })?,
                RequestField::Result => map.next_value_seed(RequestSeed {
                    ctx: &mut *self.ctx,
                })?,
                RequestField::ResourceLogs => logs::resource_logs(&mut map, &mut *self.ctx)?,
                RequestField::ResourceMetrics => {
                    map.next_value::<IgnoredAny>()?;
                    self.ctx.counts.other_signals += 1;
                }
                RequestField::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// What `resourceSpans` and `resourceLogs` differ in: their resource and scope levels are
/// read by the same visitors (and the same scanner methods, `otlp_scan`), monomorphised per
/// signal.
pub(crate) trait Signal {
    /// The key of the scope list in a resource item, and of the item list in a scope item.
    const SCOPES: ResourceField;
    const ITEMS: ScopeField;
    /// What the visitors expect: a resource list, a resource item, a scope list, a scope item.
    const WHAT: [&'static str; 4];
    /// How many items the batch holds.
    fn count(b: &Batch) -> usize;
    /// Gives the items from `first` on their resource and their scope.
    fn set_resource(b: &mut Batch, first: usize, resource: u32);
    fn set_scope(b: &mut Batch, first: usize, scope: Sym);
    /// Reads the value of the `ITEMS` key into the batch.
    fn items<'de, A: MapAccess<'de>>(map: &mut A, ctx: &mut Ctx) -> Result<(), A::Error>;
}

pub(crate) struct Spans;
impl Signal for Spans {
    const SCOPES: ResourceField = ResourceField::ScopeSpans;
    const ITEMS: ScopeField = ScopeField::Spans;
    const WHAT: [&'static str; 4] = [
        "a list of resource spans",
        "a resource spans object",
        "a list of scope spans",
        "a scope spans object",
    ];
    fn count(b: &Batch) -> usize {
        b.spans.len()
    }
    fn set_resource(b: &mut Batch, first: usize, resource: u32) {
        for s in &mut b.spans[first..] {
            s.resource = resource;
        }
    }
    fn set_scope(b: &mut Batch, first: usize, scope: Sym) {
        for s in &mut b.spans[first..] {
            s.scope = scope;
        }
    }
    fn items<'de, A: MapAccess<'de>>(map: &mut A, ctx: &mut Ctx) -> Result<(), A::Error> {
        map.next_value_seed(SpanList { ctx })
    }
}

list!(ResourceList<S: Signal>, ResourceItemSeed, S::WHAT[0]);

seed!(ResourceItemSeed<S: Signal> -> (), S::WHAT[1]);
impl<'de, S: Signal> Visitor<'de> for ResourceItemSeed<'_, '_, S> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        Self::what(f)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let first = S::count(self.ctx.batch);
        let mut resource = None;
        while let Some(k) = map.next_key::<ResourceField>()? {
            match k {
                ResourceField::Resource => {
                    resource = Some(map.next_value_seed(ResourceSeed {
                        ctx: &mut *self.ctx,
                    })?)
                }
                k if k == S::SCOPES => map.next_value_seed(ScopeList::<S> {
                    ctx: &mut *self.ctx,
                    of: PhantomData,
                })?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        // The resource may come after its items: assign it once the object is read.
        let r = match resource {
            Some(r) => r,
            None => {
                let mark = self.ctx.batch.attr_mark();
                self.ctx.resource(mark)
            }
        };
        S::set_resource(self.ctx.batch, first, r);
        Ok(())
    }
}

seed!(ResourceSeed -> u32, "a resource object");
impl<'de> Visitor<'de> for ResourceSeed<'_, '_> {
    type Value = u32;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        Self::what(f)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<u32, A::Error> {
        let mark = self.ctx.batch.attr_mark();
        while let Some(k) = map.next_key::<NamedField>()? {
            match k {
                NamedField::Attributes => map.next_value_seed(AttrList {
                    ctx: &mut *self.ctx,
                })?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(self.ctx.resource(mark))
    }
    fn visit_unit<E: de::Error>(self) -> Result<u32, E> {
        let mark = self.ctx.batch.attr_mark();
        Ok(self.ctx.resource(mark))
    }
}

list!(ScopeList<S: Signal>, ScopeItemSeed, S::WHAT[2]);

seed!(ScopeItemSeed<S: Signal> -> (), S::WHAT[3]);
impl<'de, S: Signal> Visitor<'de> for ScopeItemSeed<'_, '_, S> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        Self::what(f)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let first = S::count(self.ctx.batch);
        let mut scope = Sym::EMPTY;
        while let Some(k) = map.next_key::<ScopeField>()? {
            match k {
                ScopeField::Scope => {
                    scope = map.next_value_seed(ScopeSeed {
                        ctx: &mut *self.ctx,
                    })?
                }
                k if k == S::ITEMS => S::items(&mut map, self.ctx)?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        S::set_scope(self.ctx.batch, first, scope);
        Ok(())
    }
}

seed!(ScopeSeed -> Sym, "an instrumentation scope object");
impl<'de> Visitor<'de> for ScopeSeed<'_, '_> {
    type Value = Sym;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        Self::what(f)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Sym, A::Error> {
        let mut name = Sym::EMPTY;
        while let Some(k) = map.next_key::<NamedField>()? {
            match k {
                NamedField::Name => {
                    name = map.next_value_seed(SymSeed {
                        ctx: &mut *self.ctx,
                    })?
                }
                // Scope version and attributes have no place in the span model.
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(name)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Sym, E> {
        Ok(Sym::EMPTY)
    }
}

list!(SpanList, SpanSeed, "a list of spans");

seed!(SpanSeed -> (), "a span object");
impl<'de> Visitor<'de> for SpanSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        Self::what(f)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let ctx = self.ctx;
        let mut s = Span {
            // Absent ids are invalid ids (spec §5 invalid_id): the span is kept, flagged.
            flags: flags::BAD_TRACE_ID | flags::BAD_SPAN_ID,
            ..Span::default()
        };
        while let Some(k) = map.next_key::<SpanField>()? {
            match k {
                SpanField::TraceId => {
                    let d = map.next_value_seed(IdSeed {
                        ctx: &mut *ctx,
                        role: Role::Trace,
                    })?;
                    s.trace_id = d.value;
                    s.flags = (s.flags & !flags::BAD_TRACE_ID) | d.flags;
                }
                SpanField::SpanId => {
                    let d = map.next_value_seed(IdSeed {
                        ctx: &mut *ctx,
                        role: Role::Span,
                    })?;
                    s.span_id = d.value as u64;
                    s.flags = (s.flags & !flags::BAD_SPAN_ID) | d.flags;
                }
                SpanField::ParentSpanId => {
                    let d = map.next_value_seed(IdSeed {
                        ctx: &mut *ctx,
                        role: Role::Parent,
                    })?;
                    s.parent_id = d.value as u64;
                    s.flags |= d.flags;
                }
                SpanField::Name => s.name = map.next_value_seed(SymSeed { ctx: &mut *ctx })?,
                SpanField::Kind => {
                    s.kind = map.next_value_seed(EnumSeed {
                        ctx: &mut *ctx,
                        of: PhantomData,
                    })?
                }
                SpanField::StartTimeUnixNano => s.start = map.next_value_seed(U64Seed)?,
                SpanField::EndTimeUnixNano => s.end = map.next_value_seed(U64Seed)?,
                SpanField::Attributes => {
                    let mark = ctx.batch.attr_mark();
                    map.next_value_seed(AttrList { ctx: &mut *ctx })?;
                    s.attrs = ctx.batch.attrs_since(mark);
                }
                SpanField::Events => {
                    let from = ctx.batch.events.len();
                    map.next_value_seed(EventList { ctx: &mut *ctx })?;
                    s.events = range(from, ctx.batch.events.len());
                }
                SpanField::Links => {
                    let from = ctx.batch.links.len();
                    map.next_value_seed(LinkList { ctx: &mut *ctx })?;
                    s.links = range(from, ctx.batch.links.len());
                }
                SpanField::Status => {
                    (s.status, s.status_message) =
                        map.next_value_seed(StatusSeed { ctx: &mut *ctx })?
                }
                SpanField::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        ctx.batch.spans.push(s);
        Ok(())
    }
}

fn range(from: usize, to: usize) -> crate::model::ArenaRange {
    crate::model::ArenaRange {
        start: from as u32,
        len: (to - from) as u32,
    }
}

list!(EventList, EventSeed, "a list of span events");

seed!(EventSeed -> (), "a span event object");
impl<'de> Visitor<'de> for EventSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        Self::what(f)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let ctx = self.ctx;
        let mut e = Event {
            time: 0,
            name: Sym::EMPTY,
            attrs: Default::default(),
        };
        while let Some(k) = map.next_key::<EventField>()? {
            match k {
                EventField::TimeUnixNano => e.time = map.next_value_seed(U64Seed)?,
                EventField::Name => e.name = map.next_value_seed(SymSeed { ctx: &mut *ctx })?,
                EventField::Attributes => {
                    let mark = ctx.batch.attr_mark();
                    map.next_value_seed(AttrList { ctx: &mut *ctx })?;
                    e.attrs = ctx.batch.attrs_since(mark);
                }
                EventField::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        ctx.batch.events.push(e);
        Ok(())
    }
}

list!(LinkList, LinkSeed, "a list of span links");

seed!(LinkSeed -> (), "a span link object");
impl<'de> Visitor<'de> for LinkSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        Self::what(f)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let ctx = self.ctx;
        let mut l = Link {
            trace_id: 0,
            span_id: 0,
            attrs: Default::default(),
        };
        while let Some(k) = map.next_key::<LinkField>()? {
            match k {
                LinkField::TraceId => {
                    l.trace_id = map
                        .next_value_seed(IdSeed {
                            ctx: &mut *ctx,
                            role: Role::Trace,
                        })?
                        .value
                }
                LinkField::SpanId => {
                    l.span_id = map
                        .next_value_seed(IdSeed {
                            ctx: &mut *ctx,
                            role: Role::Span,
                        })?
                        .value as u64
                }
                LinkField::Attributes => {
                    let mark = ctx.batch.attr_mark();
                    map.next_value_seed(AttrList { ctx: &mut *ctx })?;
                    l.attrs = ctx.batch.attrs_since(mark);
                }
                LinkField::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        ctx.batch.links.push(l);
        Ok(())
    }
}

seed!(StatusSeed -> (StatusCode, Sym), "a status object");
impl<'de> Visitor<'de> for StatusSeed<'_, '_> {
    type Value = (StatusCode, Sym);
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        Self::what(f)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut code, mut msg) = (StatusCode::Unset, Sym::EMPTY);
        while let Some(k) = map.next_key::<NamedField>()? {
            match k {
                NamedField::Code => {
                    code = map.next_value_seed(EnumSeed {
                        ctx: &mut *self.ctx,
                        of: PhantomData,
                    })?
                }
                NamedField::Message => {
                    msg = map.next_value_seed(SymSeed {
                        ctx: &mut *self.ctx,
                    })?
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok((code, msg))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok((StatusCode::Unset, Sym::EMPTY))
    }
}

list!(AttrList, KeyValueSeed, "a list of attributes");

seed!(KeyValueSeed -> (), "an attribute {\"key\", \"value\"} object");
impl<'de> Visitor<'de> for KeyValueSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        Self::what(f)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let (mut key, mut value) = (Sym::EMPTY, (AttrType::Empty, 0));
        while let Some(k) = map.next_key::<NamedField>()? {
            match k {
                NamedField::Key => {
                    key = map.next_value_seed(SymSeed {
                        ctx: &mut *self.ctx,
                    })?
                }
                NamedField::Value => {
                    value = map.next_value_seed(AnyValueSeed {
                        ctx: &mut *self.ctx,
                    })?
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        self.ctx.batch.attrs.push(Attr {
            key,
            ty: value.0,
            raw: value.1,
        });
        Ok(())
    }
}

seed!(AnyValueSeed -> (AttrType, u64), "an AnyValue object");
impl<'de> Visitor<'de> for AnyValueSeed<'_, '_> {
    type Value = (AttrType, u64);
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        Self::what(f)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut v = (AttrType::Empty, 0);
        while let Some(k) = map.next_key::<AnyField>()? {
            v = match k {
                AnyField::StringValue => {
                    let s = map.next_value_seed(SymSeed {
                        ctx: &mut *self.ctx,
                    })?;
                    (AttrType::Str, s.0 as u64)
                }
                AnyField::BoolValue => (AttrType::Bool, map.next_value::<bool>()? as u64),
                AnyField::IntValue => (AttrType::Int, map.next_value_seed(I64Seed)? as u64),
                AnyField::DoubleValue => {
                    (AttrType::Double, map.next_value_seed(F64Seed)?.to_bits())
                }
                AnyField::BytesValue => {
                    let s = map.next_value_seed(SymSeed {
                        ctx: &mut *self.ctx,
                    })?;
                    (AttrType::Bytes, s.0 as u64)
                }
                AnyField::ArrayValue | AnyField::KvlistValue => {
                    let mut text = String::new();
                    let kv = matches!(k, AnyField::KvlistValue);
                    map.next_value_seed(ListText { out: &mut text, kv })?;
                    (AttrType::Json, self.ctx.batch.intern(&text).0 as u64)
                }
                AnyField::Other => {
                    map.next_value::<IgnoredAny>()?;
                    v
                }
            };
        }
        Ok(v)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok((AttrType::Empty, 0))
    }
}

seed!(SymSeed -> Sym, "a string");
impl<'de> Visitor<'de> for SymSeed<'_, '_> {
    type Value = Sym;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        Self::what(f)
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Sym, E> {
        Ok(self.ctx.batch.intern(s))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Sym, E> {
        Ok(Sym::EMPTY)
    }
}

#[derive(Clone, Copy)]
enum Role {
    Trace,
    Span,
    Parent,
}

struct IdSeed<'c, 'b> {
    ctx: &'c mut Ctx<'b>,
    role: Role,
}
self_seed!(IdSeed<'_, '_>);
impl<'de> Visitor<'de> for IdSeed<'_, '_> {
    type Value = ids::Decoded<u128>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a hex id string")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        let widen = |d: ids::Decoded<u64>| ids::Decoded {
            value: d.value as u128,
            flags: d.flags,
        };
        let (what, d) = match self.role {
            Role::Trace => ("trace id", ids::trace_id(s)),
            Role::Span => ("span id", ids::span_id(s).map(widen)),
            Role::Parent => ("parent span id", ids::parent_id(s).map(widen)),
        };
        let d = d.map_err(|e| E::custom(format_args!("invalid {what}: {e}")))?;
        if d.flags & flags::BASE64_IDS != 0 {
            self.ctx.counts.base64 = true;
        }
        Ok(d)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.visit_str("")
    }
}

/// An OTLP enum, which JSON writes as an integer or its name.
trait OtlpEnum: Sized + Default {
    /// The enum as errors name it, and what its seed expects.
    const NAME: &'static str;
    const WHAT: &'static str;
    fn from_i64(v: i64) -> Option<Self>;
    fn from_name(s: &str) -> Option<Self>;
}

macro_rules! otlp_enum {
    ($ty:ty, $name:literal) => {
        impl OtlpEnum for $ty {
            const NAME: &'static str = $name;
            const WHAT: &'static str = concat!("a ", $name, " (integer or name)");
            fn from_i64(v: i64) -> Option<Self> {
                <$ty>::from_i64(v)
            }
            fn from_name(s: &str) -> Option<Self> {
                <$ty>::from_name(s)
            }
        }
    };
}
otlp_enum!(SpanKind, "span kind");
otlp_enum!(StatusCode, "status code");

// An unknown number is counted and read as the default (unspecified, unset); an unknown
// name fails the document.
seed!(EnumSeed<T: OtlpEnum> -> T, T::WHAT);
impl<'de, T: OtlpEnum> Visitor<'de> for EnumSeed<'_, '_, T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        Self::what(f)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        self.visit_i64(v.min(i64::MAX as u64) as i64)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        Ok(T::from_i64(v).unwrap_or_else(|| {
            self.ctx.counts.unknown_enums += 1;
            T::default()
        }))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<T, E> {
        if let Ok(v) = s.parse::<i64>() {
            return self.visit_i64(v);
        }
        self.ctx.counts.enum_names = true;
        T::from_name(s).ok_or_else(|| E::custom(format_args!("unknown {} {s:?}", T::NAME)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        Ok(T::default())
    }
}

/// A 64-bit unsigned integer as a JSON number or a decimal string (never through f64).
struct U64Seed;
self_seed!(U64Seed);
impl<'de> Visitor<'de> for U64Seed {
    type Value = u64;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an unsigned 64-bit integer (number or decimal string)")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        u64::try_from(v).map_err(|_| E::custom(format_args!("negative timestamp {v}")))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<u64, E> {
        s.trim()
            .parse()
            .map_err(|_| E::custom(format_args!("{s:?} is not an unsigned 64-bit integer")))
    }
    fn visit_unit<E: de::Error>(self) -> Result<u64, E> {
        Ok(0)
    }
}

/// A 64-bit signed integer as a JSON number or a decimal string.
struct I64Seed;
self_seed!(I64Seed);
impl<'de> Visitor<'de> for I64Seed {
    type Value = i64;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a 64-bit integer (number or decimal string)")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::custom(format_args!("integer {v} is out of range")))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<i64, E> {
        s.trim()
            .parse()
            .map_err(|_| E::custom(format_args!("{s:?} is not a 64-bit integer")))
    }
}

/// A double as a JSON number, or the strings `"NaN"`, `"Infinity"`, `"-Infinity"` (or a
/// decimal string) the proto3 JSON mapping allows.
struct F64Seed;
self_seed!(F64Seed);
impl<'de> Visitor<'de> for F64Seed {
    type Value = f64;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a double (number, \"NaN\", \"Infinity\" or \"-Infinity\")")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        Ok(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<f64, E> {
        match s {
            "NaN" => Ok(f64::NAN),
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            _ => s
                .trim()
                .parse()
                .map_err(|_| E::custom(format_args!("{s:?} is not a double"))),
        }
    }
}

// ---- array and kvlist values as compact JSON text (see `json_write`) ----

/// `{"values": [...]}` of an ArrayValue (`kv` false) or a KeyValueList (`kv` true).
struct ListText<'s> {
    out: &'s mut String,
    kv: bool,
}
self_seed!(ListText<'_>);
impl<'de> Visitor<'de> for ListText<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object with \"values\"")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let (open, close) = if self.kv { ('{', '}') } else { ('[', ']') };
        self.out.push(open);
        while let Some(k) = map.next_key::<NamedField>()? {
            match k {
                NamedField::Values => map.next_value_seed(ItemsText {
                    out: &mut *self.out,
                    kv: self.kv,
                })?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        self.out.push(close);
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.out.push_str(if self.kv { "{}" } else { "[]" });
        Ok(())
    }
}

struct ItemsText<'s> {
    out: &'s mut String,
    kv: bool,
}
self_seed!(ItemsText<'_>);
impl<'de> Visitor<'de> for ItemsText<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of values")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut first = true;
        loop {
            let mark = self.out.len();
            if !first {
                self.out.push(',');
            }
            let more = if self.kv {
                seq.next_element_seed(KeyValueText {
                    out: &mut *self.out,
                })?
            } else {
                seq.next_element_seed(AnyText {
                    out: &mut *self.out,
                })?
            };
            if more.is_none() {
                self.out.truncate(mark);
                return Ok(());
            }
            first = false;
        }
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

/// One `{"key", "value"}` of a kvlist, written as `"key":value` (either order in the input).
struct KeyValueText<'s> {
    out: &'s mut String,
}
self_seed!(KeyValueText<'_>);
impl<'de> Visitor<'de> for KeyValueText<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a {\"key\", \"value\"} object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut key = String::new();
        let mut value = String::new();
        while let Some(k) = map.next_key::<NamedField>()? {
            match k {
                NamedField::Key => {
                    key.clear();
                    json_write::push_str(&mut key, &map.next_value::<Text>()?.0);
                }
                NamedField::Value => {
                    value.clear();
                    map.next_value_seed(AnyText { out: &mut value })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if key.is_empty() {
            key.push_str("\"\"");
        }
        if value.is_empty() {
            value.push_str("null");
        }
        self.out.push_str(&key);
        self.out.push(':');
        self.out.push_str(&value);
        Ok(())
    }
}

/// One AnyValue written as JSON text.
struct AnyText<'s> {
    out: &'s mut String,
}
self_seed!(AnyText<'_>);
impl<'de> Visitor<'de> for AnyText<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an AnyValue object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let out = self.out;
        let start = out.len();
        while let Some(k) = map.next_key::<AnyField>()? {
            // Exactly one key is expected; if there are more, the last wins.
            let before = out.len();
            match k {
                AnyField::StringValue | AnyField::BytesValue => {
                    let s = map.next_value::<Text>()?;
                    json_write::push_str(out, &s.0);
                }
                AnyField::BoolValue => json_write::push_bool(out, map.next_value()?),
                AnyField::IntValue => json_write::push_i64(out, map.next_value_seed(I64Seed)?),
                AnyField::DoubleValue => json_write::push_f64(out, map.next_value_seed(F64Seed)?),
                AnyField::ArrayValue | AnyField::KvlistValue => {
                    let kv = matches!(k, AnyField::KvlistValue);
                    map.next_value_seed(ListText { out: &mut *out, kv })?
                }
                AnyField::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            if out.len() > before && before > start {
                out.replace_range(start..before, "");
            }
        }
        if out.len() == start {
            out.push_str("null");
        }
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.out.push_str("null");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Value;

    const T: &str = "0af7651916cd43dd8448eb211c80319c";

    fn span_doc(span: &str) -> String {
        format!(
            r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"svc"}}}}]}},"scopeSpans":[{{"scope":{{"name":"lib"}},"spans":[{span}]}}]}}]}}"#
        )
    }

    fn one(span: &str) -> Batch {
        read("t.json", span_doc(span).as_bytes()).unwrap_or_else(|e| panic!("{e}"))
    }

    fn attr<'a>(b: &'a Batch, key: &str) -> Value<'a> {
        let k = b.strings.get(key).unwrap();
        b.attrs
            .iter()
            .find(|a| a.key == k)
            .map(|a| a.value(&b.strings))
            .unwrap()
    }

    #[test]
    fn camel_case_document() {
        let b = one(&format!(
            r#"{{"traceId":"{T}","spanId":"b7ad6b7169203331","parentSpanId":"00f067aa0ba902b7","name":"GET /","kind":2,
               "startTimeUnixNano":"1700000000123456789","endTimeUnixNano":"1700000000223456789",
               "status":{{"code":2,"message":"boom"}},"traceState":"x","flags":257,"droppedAttributesCount":0}}"#
        ));
        assert_eq!(b.spans.len(), 1);
        let s = b.spans[0];
        assert_eq!(s.trace_id, 0x0af7651916cd43dd8448eb211c80319c);
        assert_eq!(s.span_id, 0xb7ad6b7169203331);
        assert_eq!(s.parent_id, 0x00f067aa0ba902b7);
        assert_eq!(
            (s.start, s.end),
            (1_700_000_000_123_456_789, 1_700_000_000_223_456_789)
        );
        assert_eq!((s.kind, s.status), (SpanKind::Server, StatusCode::Error));
        assert_eq!(b.strings.resolve(s.status_message), "boom");
        assert_eq!(b.strings.resolve(s.name), "GET /");
        assert_eq!(b.strings.resolve(s.scope), "lib");
        assert_eq!(
            b.strings.resolve(b.resources[s.resource as usize].service),
            "svc"
        );
        assert_eq!(s.flags, 0);
        assert!(b.diag.warnings.is_empty());
    }

    #[test]
    fn snake_case_numbers_names_and_old_keys() {
        let doc = format!(
            r#"{{"resource_spans":[{{"instrumentation_library_spans":[{{"instrumentation_library":{{"name":"old"}},"spans":[
                {{"trace_id":"{T}","span_id":"b7ad6b7169203331","parent_span_id":"","kind":"SPAN_KIND_CLIENT",
                  "start_time_unix_nano":1700000000123456789,"end_time_unix_nano":"1700000000223456789",
                  "status":{{"code":"STATUS_CODE_OK"}}}}]}}]}}]}}"#
        );
        let b = read("t.json", doc.as_bytes()).unwrap();
        let s = b.spans[0];
        // A 19-digit number: exact, not rounded through f64.
        assert_eq!(s.start, 1_700_000_000_123_456_789);
        assert_eq!(
            (s.kind, s.status, s.parent_id),
            (SpanKind::Client, StatusCode::Ok, 0)
        );
        assert_eq!(b.strings.resolve(s.scope), "old");
        assert_eq!(b.strings.resolve(b.resources[0].service), "unknown_service");
        let w: Vec<_> = b.diag.warnings.iter().map(|w| (w.kind, w.count)).collect();
        assert_eq!(w, vec![(WarningKind::EnumValue, 1)]);
    }

    #[test]
    fn every_any_value_shape() {
        let b = one(&format!(
            r#"{{"traceId":"{T}","spanId":"b7ad6b7169203331","attributes":[
                {{"key":"s","value":{{"stringValue":"a\"b\u00e9"}}}},
                {{"value":{{"intValue":"-42"}},"key":"i"}},
                {{"key":"n","value":{{"intValue":7}}}},
                {{"key":"d","value":{{"doubleValue":0.25}}}},
                {{"key":"nan","value":{{"doubleValue":"NaN"}}}},
                {{"key":"inf","value":{{"double_value":"-Infinity"}}}},
                {{"key":"t","value":{{"boolValue":true}}}},
                {{"key":"raw","value":{{"bytesValue":"AQID"}}}},
                {{"key":"arr","value":{{"arrayValue":{{"values":[{{"stringValue":"x"}},{{"intValue":"2"}},{{}},{{"arrayValue":{{}}}}]}}}}}},
                {{"key":"kv","value":{{"kvlistValue":{{"values":[{{"value":{{"boolValue":false}},"key":"k"}},{{"key":"e"}}]}}}}}},
                {{"key":"empty","value":{{}}}},
                {{"key":"nul","value":null}}]}}"#
        ));
        assert_eq!(b.attrs.len(), 12);
        assert_eq!(attr(&b, "s"), Value::Str("a\"b\u{e9}"));
        assert_eq!(attr(&b, "i"), Value::Int(-42));
        assert_eq!(attr(&b, "n"), Value::Int(7));
        assert_eq!(attr(&b, "d"), Value::Double(0.25));
        assert!(matches!(attr(&b, "nan"), Value::Double(d) if d.is_nan()));
        assert_eq!(attr(&b, "inf"), Value::Double(f64::NEG_INFINITY));
        assert_eq!(attr(&b, "t"), Value::Bool(true));
        assert_eq!(attr(&b, "raw"), Value::Bytes("AQID"));
        assert_eq!(attr(&b, "arr"), Value::Json(r#"["x",2,null,[]]"#));
        assert_eq!(attr(&b, "kv"), Value::Json(r#"{"k":false,"e":null}"#));
        assert_eq!(attr(&b, "empty"), Value::Empty);
        assert_eq!(attr(&b, "nul"), Value::Empty);
        assert_eq!(b.spans[0].attrs.len, 12);
    }

    #[test]
    fn events_links_and_a_late_resource() {
        let doc = format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"{T}","spanId":"b7ad6b7169203331",
                "attributes":[{{"key":"a","value":{{"intValue":"1"}}}}],
                "events":[{{"timeUnixNano":"5","name":"exception","attributes":[{{"key":"exception.message","value":{{"stringValue":"x"}}}}]}},{{"timeUnixNano":"6"}}],
                "links":[{{"traceId":"{T}","spanId":"00f067aa0ba902b7","attributes":[{{"key":"l","value":{{"stringValue":"y"}}}}]}}],
                "status":{{}}}}]}}],
              "resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"late"}}}}]}}}}]}}"#
        );
        let b = read("t.json", doc.as_bytes()).unwrap();
        let s = b.spans[0];
        assert_eq!(
            b.strings.resolve(b.resources[s.resource as usize].service),
            "late"
        );
        assert_eq!(s.status, StatusCode::Unset);
        let k = |a: &Attr| b.strings.resolve(a.key).to_string();
        assert_eq!(k(&b.attrs[s.attrs.range()][0]), "a");
        assert_eq!(s.events.len, 2);
        let ev = &b.events[s.events.range()];
        assert_eq!(
            (ev[0].time, b.strings.resolve(ev[0].name)),
            (5, "exception")
        );
        assert_eq!(k(&b.attrs[ev[0].attrs.range()][0]), "exception.message");
        assert_eq!((ev[1].time, ev[1].attrs.len), (6, 0));
        let l = b.links[s.links.range()][0];
        assert_eq!((l.trace_id, l.span_id), (s.trace_id, 0x00f067aa0ba902b7));
        assert_eq!(k(&b.attrs[l.attrs.range()][0]), "l");
        assert_eq!(
            b.res_attrs.len(),
            1,
            "resource attributes left the span arena"
        );
    }

    #[test]
    fn base64_ids_warn_once() {
        let span =
            |id: &str| format!(r#"{{"traceId":"nXmxo38xgBzRGmcG+0DWvQ==","spanId":"{id}"}}"#);
        let b = one(&format!(
            "{},{}",
            span("SyPeJdH7ZkE="),
            span("3lYkOenBuCM=")
        ));
        assert_eq!(b.spans.len(), 2);
        assert!(b.spans.iter().all(|s| s.flags == flags::BASE64_IDS));
        let w: Vec<_> = b.diag.warnings.iter().map(|w| (w.kind, w.count)).collect();
        assert_eq!(w, vec![(WarningKind::Base64Ids, 1)]);
    }

    #[test]
    fn missing_or_zero_ids_are_kept_and_flagged() {
        let b = one(
            r#"{"name":"no ids"},{"traceId":"00000000000000000000000000000000","spanId":"0000000000000001"}"#,
        );
        assert_eq!(b.spans[0].flags, flags::BAD_TRACE_ID | flags::BAD_SPAN_ID);
        assert_eq!(b.spans[1].flags, flags::BAD_TRACE_ID);
    }

    #[test]
    fn unknown_enum_numbers_read_as_unspecified() {
        let b = one(&format!(
            r#"{{"traceId":"{T}","spanId":"b7ad6b7169203331","kind":9,"status":{{"code":7}}}}"#
        ));
        assert_eq!(
            (b.spans[0].kind, b.spans[0].status),
            (SpanKind::Unspecified, StatusCode::Unset)
        );
        let w: Vec<_> = b.diag.warnings.iter().map(|w| (w.kind, w.count)).collect();
        assert_eq!(w, vec![(WarningKind::EnumValue, 2)]);
    }

    #[test]
    fn other_signals_are_counted_not_loaded() {
        let b = read(
            "t.json",
            br#"{"resourceMetrics":[{"scopeMetrics":[]}],"resourceLogs":[{"scopeLogs":[]}],"resourceSpans":[]}"#,
        )
        .unwrap();
        assert!(b.spans.is_empty());
        assert!(b.logs.is_empty());
        let w: Vec<_> = b.diag.warnings.iter().map(|w| (w.kind, w.count)).collect();
        assert_eq!(w, vec![(WarningKind::OtherSignal, 1)]);
    }

    #[test]
    fn bad_documents_fail_with_line_and_column() {
        let cases = [
            (
                "{\"traceId\":\"zzz\",\"spanId\":\"b7ad6b7169203331\"}".to_string(),
                "invalid trace id",
            ),
            (
                format!(
                    "{{\"traceId\":\"{T}\",\n\"spanId\":\"b7ad6b7169203331\",\"kind\":\"SPAN_KIND_BOGUS\"}}"
                ),
                "unknown span kind \"SPAN_KIND_BOGUS\"",
            ),
            (
                format!("{{\"traceId\":\"{T}\",\n\"status\":{{\"code\":\"MAYBE\"}}}}"),
                "unknown status code",
            ),
            (
                format!("{{\"traceId\":\"{T}\",\n\"startTimeUnixNano\":1.5e18}}"),
                "invalid type: floating point",
            ),
            (
                format!("{{\"traceId\":\"{T}\",\n\"endTimeUnixNano\":\"soon\"}}"),
                "\"soon\" is not an unsigned 64-bit integer",
            ),
            (
                format!(
                    "{{\"traceId\":\"{T}\",\"attributes\":[{{\"key\":\"i\",\"value\":{{\"intValue\":\"x\"}}}}]}}"
                ),
                "is not a 64-bit integer",
            ),
            (format!("{{\"traceId\":\"{T}\"}}, oops"), "expected value"),
        ];
        for (span, want) in cases {
            let doc = span_doc(&span);
            let e = read("bad.json", doc.as_bytes()).map(|_| ()).unwrap_err();
            assert_eq!(e.input, "bad.json");
            assert!(e.message.contains(want), "{e} (wanted {want})");
            let Position::LineCol { line, column } = e.position else {
                panic!("{e}: no line/column");
            };
            let expect_line = 1 + span.matches('\n').count() as u64;
            assert_eq!(line, expect_line, "{e}");
            assert!(column > 0);
            assert!(!e.to_string().contains('\n'));
        }
        let e = read("x.json", b"[1,2]").map(|_| ()).unwrap_err();
        assert!(
            e.message
                .contains("expected an OTLP/JSON trace request object"),
            "{e}"
        );
        let e = read("x.json", b"{\"resourceSpans\": [")
            .map(|_| ())
            .unwrap_err();
        assert!(e.message.contains("EOF"), "{e}");
    }
}
