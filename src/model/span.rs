//! The compact span record and its side tables (events, links, resources, processes).

use super::interner::Sym;

/// A half-open slice `[start, start+len)` of one of the store's arenas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ArenaRange {
    pub start: u32,
    pub len: u32,
}

impl ArenaRange {
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..(self.start + self.len) as usize
    }
    pub fn shifted(self, by: u32) -> Self {
        ArenaRange {
            start: self.start + by,
            len: self.len,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
#[repr(u8)]
pub enum SpanKind {
    #[default]
    Unspecified = 0,
    Internal = 1,
    Server = 2,
    Client = 3,
    Producer = 4,
    Consumer = 5,
}

impl SpanKind {
    pub fn from_i64(v: i64) -> Option<SpanKind> {
        Some(match v {
            0 => SpanKind::Unspecified,
            1 => SpanKind::Internal,
            2 => SpanKind::Server,
            3 => SpanKind::Client,
            4 => SpanKind::Producer,
            5 => SpanKind::Consumer,
            _ => return None,
        })
    }

    /// Accepts `SPAN_KIND_CLIENT`, `CLIENT` and `client` (Jaeger/Zipkin spell kinds in lowercase).
    pub fn from_name(s: &str) -> Option<SpanKind> {
        let s = s.strip_prefix("SPAN_KIND_").unwrap_or(s);
        Some(match s.to_ascii_uppercase().as_str() {
            "UNSPECIFIED" => SpanKind::Unspecified,
            "INTERNAL" => SpanKind::Internal,
            "SERVER" => SpanKind::Server,
            "CLIENT" => SpanKind::Client,
            "PRODUCER" => SpanKind::Producer,
            "CONSUMER" => SpanKind::Consumer,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SpanKind::Unspecified => "unspecified",
            SpanKind::Internal => "internal",
            SpanKind::Server => "server",
            SpanKind::Client => "client",
            SpanKind::Producer => "producer",
            SpanKind::Consumer => "consumer",
        }
    }

    /// CLIENT or PRODUCER: the calling half of a remote call.
    pub fn is_outgoing(self) -> bool {
        matches!(self, SpanKind::Client | SpanKind::Producer)
    }

    /// SERVER or CONSUMER: the receiving half of a remote call.
    pub fn is_incoming(self) -> bool {
        matches!(self, SpanKind::Server | SpanKind::Consumer)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum StatusCode {
    #[default]
    Unset = 0,
    Ok = 1,
    Error = 2,
}

impl StatusCode {
    pub fn from_i64(v: i64) -> Option<StatusCode> {
        Some(match v {
            0 => StatusCode::Unset,
            1 => StatusCode::Ok,
            2 => StatusCode::Error,
            _ => return None,
        })
    }

    /// Accepts `STATUS_CODE_ERROR`, `ERROR`, `error`.
    pub fn from_name(s: &str) -> Option<StatusCode> {
        let s = s.strip_prefix("STATUS_CODE_").unwrap_or(s);
        Some(match s.to_ascii_uppercase().as_str() {
            "UNSET" => StatusCode::Unset,
            "OK" => StatusCode::Ok,
            "ERROR" => StatusCode::Error,
            _ => return None,
        })
    }
}

/// Bits of `Span::flags`.
pub mod flags {
    /// The trace id was all zeros or not 16 bytes.
    pub const BAD_TRACE_ID: u8 = 1;
    /// The span id was all zeros or not 8 bytes.
    pub const BAD_SPAN_ID: u8 = 2;
    /// The parent span id was not 8 bytes (an all-zero parent is just "root").
    pub const BAD_PARENT_ID: u8 = 4;
    /// Another span with this trace and span id and different contents came first.
    pub const DUPLICATE: u8 = 8;
    /// Ids were base64 in the input (non-conformant OTLP/JSON).
    pub const BASE64_IDS: u8 = 16;
    /// `Span::gid` holds the goroutine the span ran on (set when stored, `model::derive`).
    pub const GOROUTINE: u8 = 32;
    /// `Span::conv` holds the types the span converts between (set when stored).
    pub const CONVERSION: u8 = 64;
    /// The source gave no start time (Zipkin spans known only by id and parent): the span is
    /// placed at its parent's start and its duration is unknown.
    pub const NO_TIMING: u8 = 128;
}

/// One span, 112 bytes. Strings are `Sym`s into the store's interner; attributes, events and
/// links are ranges into the store's arenas; `resource` indexes `Store::resources`. The
/// goroutine and conversion fields are derived from the attributes and the name when the span
/// is stored (`model::derive`): reading them later costs no scan of scattered attributes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Span {
    pub trace_id: u128,
    pub span_id: u64,
    /// 0 for a root span.
    pub parent_id: u64,
    /// Unix nanoseconds.
    pub start: u64,
    pub end: u64,
    pub name: Sym,
    pub resource: u32,
    pub scope: Sym,
    pub status_message: Sym,
    pub attrs: ArenaRange,
    pub events: ArenaRange,
    pub links: ArenaRange,
    /// See `flags::GOROUTINE` and `Span::goroutine`.
    pub gid: i64,
    /// `[from, to]`; see `flags::CONVERSION` and `Span::conversion`.
    pub conv: [Sym; 2],
    pub kind: SpanKind,
    pub status: StatusCode,
    pub flags: u8,
    /// Index into `Store::inputs` of the file (or receiver) the span came from.
    pub input: u16,
}

impl Span {
    pub fn duration(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }
    pub fn is_root(&self) -> bool {
        self.parent_id == 0
    }
    /// The goroutine the span ran on (spec §3), when known.
    pub fn goroutine(&self) -> Option<i64> {
        (self.flags & flags::GOROUTINE != 0).then_some(self.gid)
    }
    /// `[from, to]` when the span is a conversion step (spec §3).
    pub fn conversion(&self) -> Option<[Sym; 2]> {
        (self.flags & flags::CONVERSION != 0).then_some(self.conv)
    }
}

impl Default for Span {
    fn default() -> Self {
        Span {
            trace_id: 0,
            span_id: 0,
            parent_id: 0,
            start: 0,
            end: 0,
            name: Sym::EMPTY,
            resource: 0,
            scope: Sym::EMPTY,
            status_message: Sym::EMPTY,
            attrs: ArenaRange::default(),
            events: ArenaRange::default(),
            links: ArenaRange::default(),
            gid: 0,
            conv: [Sym::EMPTY; 2],
            kind: SpanKind::Unspecified,
            status: StatusCode::Unset,
            flags: 0,
            input: 0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Event {
    pub time: u64,
    pub name: Sym,
    pub attrs: ArenaRange,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Link {
    pub trace_id: u128,
    pub span_id: u64,
    pub attrs: ArenaRange,
}

/// A resource: the service and process that emitted spans, with its attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Resource {
    /// Service name, `namespace/` prefixed when `service.namespace` is set; `unknown_service` when missing.
    pub service: Sym,
    /// Index into `Store::processes`.
    pub process: u32,
    pub attrs: ArenaRange,
}

/// A process: (service, `service.instance.id`) or (service, `host.name`, `process.pid`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Process {
    pub service: Sym,
    /// The instance id, or `host/pid`, or empty when neither is known.
    pub key: Sym,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn span_stays_compact() {
        assert!(
            std::mem::size_of::<Span>() <= 112,
            "{}",
            std::mem::size_of::<Span>()
        );
    }

    #[test]
    fn kind_names() {
        assert_eq!(
            SpanKind::from_name("SPAN_KIND_CLIENT"),
            Some(SpanKind::Client)
        );
        assert_eq!(SpanKind::from_name("server"), Some(SpanKind::Server));
        assert_eq!(SpanKind::from_name("SPAN_KIND_INVALID_TYPE"), None);
        assert_eq!(
            StatusCode::from_name("STATUS_CODE_ERROR"),
            Some(StatusCode::Error)
        );
    }
}
