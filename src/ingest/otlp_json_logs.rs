//! OTLP/JSON `resourceLogs` (a `LogsData` document, an `ExportLogsServiceRequest`, or the
//! logs half of a Collector file exporter line): the serde visitors of `otlp_json`, writing
//! log records into the batch. A record's ids that are not well-formed hex ids are "no id"
//! (issue 12), not an error: a logger's placeholder must not fail the file.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{
    AnyField, AttrList, Ctx, F64Seed, I64Seed, ListText, ResourceField, ResourceList, ScopeField,
    Signal, SymSeed, U64Seed,
};
use crate::ingest::ids;
use crate::model::log::{LogRecord, flags, severity_number};
use crate::model::{Batch, Sym};

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum RecordField {
    #[serde(alias = "time_unix_nano")]
    TimeUnixNano,
    #[serde(alias = "observed_time_unix_nano")]
    ObservedTimeUnixNano,
    #[serde(alias = "severity_number")]
    SeverityNumber,
    #[serde(alias = "severity_text")]
    SeverityText,
    Body,
    Attributes,
    #[serde(alias = "trace_id")]
    TraceId,
    #[serde(alias = "span_id")]
    SpanId,
    #[serde(other)]
    Other,
}

/// Reads the value of a `resourceLogs` key.
pub(super) fn resource_logs<'de, A: MapAccess<'de>>(
    map: &mut A,
    ctx: &mut Ctx,
) -> Result<(), A::Error> {
    map.next_value_seed(ResourceList::<Logs> {
        ctx,
        of: PhantomData,
    })
}

pub(crate) struct Logs;
impl Signal for Logs {
    const SCOPES: ResourceField = ResourceField::ScopeLogs;
    const ITEMS: ScopeField = ScopeField::LogRecords;
    const WHAT: [&'static str; 4] = [
        "a list of resource logs",
        "a resource logs object",
        "a list of scope logs",
        "a scope logs object",
    ];
    fn count(b: &Batch) -> usize {
        b.logs.len()
    }
    fn set_resource(b: &mut Batch, first: usize, resource: u32) {
        for l in &mut b.logs[first..] {
            l.resource = resource;
        }
    }
    /// The scope name has no place in the log model (as for spans' events).
    fn set_scope(_: &mut Batch, _: usize, _: Sym) {}
    fn items<'de, A: MapAccess<'de>>(map: &mut A, ctx: &mut Ctx) -> Result<(), A::Error> {
        map.next_value_seed(RecordList { ctx })
    }
}

list!(RecordList, RecordSeed, "a list of log records");

seed!(RecordSeed -> (), "a log record object");
impl<'de> Visitor<'de> for RecordSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        Self::what(f)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let ctx = self.ctx;
        let mut l = LogRecord::default();
        let mut number = None;
        while let Some(k) = map.next_key::<RecordField>()? {
            match k {
                RecordField::TimeUnixNano => l.time = map.next_value_seed(U64Seed)?,
                RecordField::ObservedTimeUnixNano => l.observed = map.next_value_seed(U64Seed)?,
                RecordField::SeverityNumber => {
                    number = Some(map.next_value_seed(SeveritySeed)?);
                }
                RecordField::SeverityText => {
                    l.severity_text = map.next_value_seed(SymSeed { ctx: &mut *ctx })?
                }
                RecordField::Body => {
                    let (body, json) = map.next_value_seed(BodySeed { ctx: &mut *ctx })?;
                    l.body = body;
                    if json {
                        l.flags |= flags::JSON_BODY;
                    }
                }
                RecordField::Attributes => {
                    let mark = ctx.batch.attr_mark();
                    map.next_value_seed(AttrList { ctx: &mut *ctx })?;
                    l.attrs = ctx.batch.attrs_since(mark);
                }
                RecordField::TraceId => {
                    l.trace_id = ids::log_trace_id(&map.next_value::<IdText>()?.0);
                }
                RecordField::SpanId => {
                    l.span_id = ids::log_span_id(&map.next_value::<IdText>()?.0);
                }
                RecordField::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if l.time == 0 {
            l.time = l.observed;
        }
        l.severity =
            number.unwrap_or_else(|| severity_number(ctx.batch.strings.resolve(l.severity_text)));
        ctx.batch.logs.push(l);
        Ok(())
    }
}

/// An id as text; `null` is empty.
struct IdText(String);
impl<'de> Deserialize<'de> for IdText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(IdText(
            Option::<String>::deserialize(d)?.unwrap_or_default(),
        ))
    }
}

/// A severity number as an integer or its enum name (`SEVERITY_NUMBER_INFO`); numbers outside
/// 0..=24 read as 0 (unspecified).
struct SeveritySeed;
self_seed!(SeveritySeed);
impl<'de> Visitor<'de> for SeveritySeed {
    type Value = u8;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a severity number (integer or name)")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u8, E> {
        Ok(if v <= 24 { v as u8 } else { 0 })
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u8, E> {
        self.visit_u64(u64::try_from(v).unwrap_or(u64::MAX))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<u8, E> {
        match s.parse::<u64>() {
            Ok(v) => self.visit_u64(v),
            Err(_) => Ok(severity_number(s)),
        }
    }
    fn visit_unit<E: de::Error>(self) -> Result<u8, E> {
        Ok(0)
    }
}

seed!(BodySeed -> (crate::model::ArenaRange, bool), "a log body (AnyValue object)");
impl<'de> Visitor<'de> for BodySeed<'_, '_> {
    type Value = (crate::model::ArenaRange, bool);
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        Self::what(f)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut text = String::new();
        let mut json = false;
        while let Some(k) = map.next_key::<AnyField>()? {
            text.clear();
            json = true;
            match k {
                AnyField::StringValue => {
                    text = map.next_value::<Option<String>>()?.unwrap_or_default();
                    json = false;
                }
                AnyField::BoolValue => text = map.next_value::<bool>()?.to_string(),
                AnyField::IntValue => text = map.next_value_seed(I64Seed)?.to_string(),
                AnyField::DoubleValue => {
                    crate::json_write::push_f64(&mut text, map.next_value_seed(F64Seed)?)
                }
                AnyField::BytesValue => {
                    let b = map.next_value::<Option<String>>()?.unwrap_or_default();
                    crate::json_write::push_str(&mut text, &b);
                }
                AnyField::ArrayValue | AnyField::KvlistValue => {
                    let kv = matches!(k, AnyField::KvlistValue);
                    map.next_value_seed(ListText { out: &mut text, kv })?;
                }
                AnyField::Other => {
                    map.next_value::<IgnoredAny>()?;
                    json = false;
                }
            }
        }
        Ok((self.ctx.batch.push_body(text.as_bytes()), json))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok((Default::default(), false))
    }
}
