//! Log records, stored like spans: ids as integers, strings interned, attributes in the
//! shared arena, bodies in one byte arena (`Store::log_bytes`), so a million records cost
//! about what their text holds, not a `String` and a map each.

use super::interner::Sym;
use super::span::ArenaRange;

/// One log record, 80 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogRecord {
    /// 0: no usable trace id (absent, empty, zeros, or not a hex id such as "unknown").
    pub trace_id: u128,
    /// 0: none.
    pub span_id: u64,
    /// Unix nanoseconds: the record's time, or its observed time when it has none.
    pub time: u64,
    /// Unix nanoseconds when the collector or SDK saw it; 0 when not given.
    pub observed: u64,
    /// The body as UTF-8 text in the batch's or store's `log_bytes`; structured bodies are
    /// JSON text (`flags::JSON_BODY`).
    pub body: ArenaRange,
    pub attrs: ArenaRange,
    /// Index into the resources: the service that wrote it.
    pub resource: u32,
    /// The level as the source spelled it (`INFO`, `warn`, …).
    pub severity_text: Sym,
    /// OTLP `SeverityNumber` 0..=24 (0 unspecified); from the level text for JSON log files.
    pub severity: u8,
    pub flags: u8,
    /// Index into `Store::inputs`.
    pub input: u16,
}

/// Bits of `LogRecord::flags`.
pub mod flags {
    /// The body was a structured value, kept as JSON text.
    pub const JSON_BODY: u8 = 1;
}

impl Default for LogRecord {
    fn default() -> Self {
        LogRecord {
            trace_id: 0,
            span_id: 0,
            time: 0,
            observed: 0,
            body: ArenaRange::default(),
            attrs: ArenaRange::default(),
            resource: 0,
            severity_text: Sym::EMPTY,
            severity: 0,
            flags: 0,
            input: 0,
        }
    }
}

/// The coarse severity a record is filtered and coloured by (OTLP's ranges of 4 numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Unspecified,
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Fatal,
}

impl Level {
    pub const ALL: [Level; 7] = [
        Level::Unspecified,
        Level::Trace,
        Level::Debug,
        Level::Info,
        Level::Warn,
        Level::Error,
        Level::Fatal,
    ];

    pub fn of(number: u8) -> Level {
        match number {
            1..=4 => Level::Trace,
            5..=8 => Level::Debug,
            9..=12 => Level::Info,
            13..=16 => Level::Warn,
            17..=20 => Level::Error,
            21..=24 => Level::Fatal,
            _ => Level::Unspecified,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Level::Unspecified => "unspecified",
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
            Level::Fatal => "fatal",
        }
    }
}

/// The OTLP severity number of a logger's level text (zap, logrus, zerolog, slog, OTLP
/// names); 0 for a level it does not know. Case-insensitive.
pub fn severity_number(level: &str) -> u8 {
    let l = level.trim().to_ascii_lowercase();
    let l = l.strip_prefix("severity_number_").unwrap_or(&l);
    match l {
        "trace" | "trace1" => 1,
        "debug" | "debug1" => 5,
        "info" | "information" | "info1" | "notice" => 9,
        "warn" | "warning" | "warn1" => 13,
        "error" | "err" | "error1" => 17,
        "fatal" | "panic" | "dpanic" | "critical" | "crit" | "fatal1" | "emergency" | "alert" => 21,
        _ => 0,
    }
}

/// How a record was placed after loading (spec §5, issue 12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Join {
    /// Its trace and span ids name a loaded span.
    Span,
    /// Its trace id names a loaded trace, its span id none (placed on the innermost open
    /// span of its service when there is one).
    Trace,
    /// A well-formed trace id that matches no loaded trace.
    UnknownTrace,
    /// No usable trace id.
    WithoutTrace,
}

impl Join {
    pub fn name(self) -> &'static str {
        match self {
            Join::Span => "joined to span",
            Join::Trace => "joined to trace",
            Join::UnknownTrace => "unknown trace",
            Join::WithoutTrace => "without trace",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_stays_compact() {
        let n = std::mem::size_of::<LogRecord>();
        assert!(n <= 80, "{n}");
    }

    #[test]
    fn levels_of_go_loggers() {
        assert_eq!(Level::of(severity_number("INFO")), Level::Info);
        assert_eq!(Level::of(severity_number("warning")), Level::Warn);
        assert_eq!(Level::of(severity_number("dpanic")), Level::Fatal);
        assert_eq!(
            Level::of(severity_number("SEVERITY_NUMBER_ERROR")),
            Level::Error
        );
        assert_eq!(Level::of(severity_number("verbose")), Level::Unspecified);
    }
}
