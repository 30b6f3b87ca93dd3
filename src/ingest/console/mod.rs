//! The SDKs' console output: the Go `stdouttrace` exporter (`go`) and the Python
//! `ConsoleSpanExporter` (`python`), as files, pipes and files that grow.
//!
//! A service's stdout mixes its own lines with the exporter's JSON objects, so the stream is
//! cut into the objects that start a line and the other lines (`split`), and each object is
//! told apart by its keys: a Go span (`SpanContext`), a Python span (`context` and `name`), an
//! OTLP request (a Collector `file` exporter line, read by `otlp_json`), or another JSON
//! object (a log line). Other lines and objects are skipped and counted.

mod go;
mod python;
mod span;
pub mod split;
pub(crate) mod time;

use std::borrow::Cow;

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};

use super::detect::Detected;
use super::scalar::ResourceCache;
use super::{Format, Source, otlp_json};
use crate::model::{Batch, LoadError, Position, Store, WarningKind};
use split::{Piece, Splitter};

/// Detection looks this far into a text input for a first span object.
pub const SNIFF_BYTES: usize = 1 << 20;

/// What a JSON object that starts a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Go,
    Python,
    Otlp,
    Other,
}

/// The keys of a JSON object, without reading its values; `None` when it is not JSON.
fn top_keys(text: &[u8]) -> Option<Vec<Cow<'_, str>>> {
    struct Keys;
    impl<'de> Visitor<'de> for Keys {
        type Value = Vec<Cow<'de, str>>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
            let mut keys = Vec::new();
            while let Some(k) = m.next_key::<Cow<'de, str>>()? {
                m.next_value::<IgnoredAny>()?;
                keys.push(k);
            }
            Ok(keys)
        }
    }
    let mut de = serde_json::Deserializer::from_slice(text);
    de.deserialize_map(Keys).ok()
}

fn kind(text: &[u8]) -> Option<Kind> {
    let keys = top_keys(text)?;
    let has = |k: &str| keys.iter().any(|x| x == k);
    Some(if has("SpanContext") {
        Kind::Go
    } else if has("context") && has("name") {
        Kind::Python
    } else if keys.iter().any(|k| {
        k.starts_with("resourceSpans")
            || k.starts_with("resource_spans")
            || k.starts_with("resourceLogs")
            || k.starts_with("resource_logs")
            || k.starts_with("resourceMetrics")
            || k.starts_with("resource_metrics")
    }) {
        Kind::Otlp
    } else {
        Kind::Other
    })
}

/// Whether a text input holds console spans: called by `detect` when nothing else matched.
/// `None`: not console output (the caller's message stands).
pub fn sniff(buf: &[u8], eof: bool) -> Option<Detected> {
    let mut s = Splitter::new();
    s.push(&buf[..buf.len().min(SNIFF_BYTES)]);
    let mut found = None;
    s.drain(false, |p| {
        if let (None, Piece::Object { text, .. }) = (found, p) {
            found = match kind(text) {
                Some(Kind::Go) => Some(Format::GoStdout),
                Some(Kind::Python) => Some(Format::PythonConsole),
                _ => None,
            };
        }
    });
    match found {
        Some(f) => Some(Detected::Format(f)),
        None if eof || buf.len() >= SNIFF_BYTES => None,
        None => Some(Detected::NeedMore),
    }
}

/// Turns pieces of a console stream into batches: spans of the SDKs' objects, OTLP requests,
/// and a warning for everything skipped.
pub struct Decoder {
    input: String,
    batch: Batch,
    resources: ResourceCache,
    ready: Vec<Batch>,
    /// Spans in batches handed out so far and in `batch`.
    pub spans: u64,
}

impl Decoder {
    pub fn new(input: &str) -> Self {
        Decoder {
            input: input.to_string(),
            batch: Batch::new(),
            resources: ResourceCache::default(),
            ready: Vec::new(),
            spans: 0,
        }
    }

    fn skip(&mut self, kind: WarningKind, line: u64, message: &str) {
        let position = Position::Line { line };
        self.batch.diag.warn(kind, &self.input, position, message);
    }

    /// Reads one piece of the stream.
    pub fn piece(&mut self, p: Piece<'_>) {
        match p {
            Piece::Text { line } => self.skip(
                WarningKind::SkippedLine,
                line,
                "line that is not part of a span object: skipped",
            ),
            Piece::Cut { line } => self.skip(
                WarningKind::SkippedLine,
                line,
                &format!(
                    "JSON object cut short by the end of the input or longer than {} MiB: skipped",
                    split::MAX_OBJECT >> 20
                ),
            ),
            Piece::Object { text, line } => self.object(text, line),
        }
    }

    fn object(&mut self, text: &[u8], line: u64) {
        match kind(text) {
            None => self.skip(
                WarningKind::SkippedLine,
                line,
                "line starting with { that is not a JSON object: skipped",
            ),
            // A Go logger's JSON line among the service's output: a log record.
            Some(Kind::Other) => {
                let read =
                    serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(text)
                        .is_ok_and(|o| super::golog::record(&mut self.batch, &o));
                if !read {
                    self.skip(
                        WarningKind::SkippedLine,
                        line,
                        "JSON object that is neither a span nor a log record: skipped",
                    )
                }
            }
            Some(Kind::Otlp) => match otlp_json::read(&self.input, text) {
                Ok(b) => {
                    self.spans += b.spans.len() as u64;
                    let done = std::mem::take(&mut self.batch);
                    self.resources = ResourceCache::default();
                    self.ready.push(done);
                    self.ready.push(b);
                }
                Err(e) => self.skip(
                    WarningKind::SkippedLine,
                    line,
                    &format!("OTLP request not read ({}): skipped", e.message),
                ),
            },
            Some(k) => {
                let Ok(serde_json::Value::Object(o)) = serde_json::from_slice(text) else {
                    return self.skip(
                        WarningKind::SkippedLine,
                        line,
                        "span object that is not valid JSON: skipped",
                    );
                };
                let before = self.batch.spans.len();
                let mut sink = span::Sink {
                    b: &mut self.batch,
                    resources: &mut self.resources,
                    input: &self.input,
                    line,
                };
                let dialect = if k == Kind::Go {
                    &go::DIALECT
                } else {
                    &python::DIALECT
                };
                span::read(&mut sink, &o, dialect);
                self.spans += (self.batch.spans.len() - before) as u64;
            }
        }
    }

    /// The batches complete so far (spans and warnings), in stream order.
    pub fn take(&mut self) -> Vec<Batch> {
        let last = std::mem::take(&mut self.batch);
        self.resources = ResourceCache::default();
        let mut out = std::mem::take(&mut self.ready);
        out.push(last);
        out.retain(|b| !b.spans.is_empty() || !b.logs.is_empty() || !b.diag.warnings.is_empty());
        out
    }
}

/// Bytes read per step of a file or pipe.
const STEP: usize = 1 << 20;

/// Streams the rest of a console input (`pending`: what detection read) into `store`.
pub(crate) fn load(
    store: &mut Store,
    src: &mut Source,
    format: Format,
    pending: Vec<u8>,
) -> Result<u16, LoadError> {
    let input = store.add_input(src.name, format.name());
    let mut split = Splitter::new();
    let mut dec = Decoder::new(src.name);
    split.push(&pending);
    drop(pending);
    let mut chunk = vec![0u8; STEP];
    loop {
        src.check_cancel()?;
        let n = src.read_into(&mut chunk)?;
        split.push(&chunk[..n]);
        let eof = n < chunk.len();
        split.drain(eof, |p| dec.piece(p));
        for b in dec.take() {
            store.add_batch(b, input);
        }
        src.report_progress();
        if eof {
            return Ok(input);
        }
    }
}

#[cfg(test)]
mod tests;
