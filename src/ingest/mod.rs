//! Readers: trace dumps in every supported format, decompressed and detected by content,
//! turned into `Batch`es and merged into a `Store`.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::model::{Batch, LoadError, Position, Store, WarningKind};

pub mod console;
pub mod decompress;
pub mod detect;
pub mod golog;
pub mod ids;
pub mod jaeger;
mod jsonl;
pub mod otlp_json;
pub mod otlp_proto;
pub mod otlp_proto_logs;
mod otlp_scan;
pub(crate) mod scalar;
pub mod zipkin;

/// A trace file format (after decompression).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    OtlpJson,
    OtlpJsonLines,
    OtlpProto,
    JaegerJson,
    ZipkinJson,
    /// The Go SDK's `stdouttrace` exporter (service output around it is skipped).
    GoStdout,
    /// The Python SDK's `ConsoleSpanExporter`.
    PythonConsole,
    /// A Go logger's JSON lines (zap, logrus, zerolog, slog): log records, no spans.
    GoLogs,
}

impl Format {
    /// The name used in reports (`inputs[].format`).
    pub fn name(self) -> &'static str {
        match self {
            Format::OtlpJson => "otlp-json",
            Format::OtlpJsonLines => "otlp-jsonl",
            Format::OtlpProto => "otlp-proto",
            Format::JaegerJson => "jaeger-json",
            Format::ZipkinJson => "zipkin-json",
            Format::GoStdout => "otel-go-stdout",
            Format::PythonConsole => "otel-python-console",
            Format::GoLogs => "json-logs",
        }
    }

    /// The format `name` names.
    pub fn from_name(name: &str) -> Option<Format> {
        [
            Format::OtlpJson,
            Format::OtlpJsonLines,
            Format::OtlpProto,
            Format::JaegerJson,
            Format::ZipkinJson,
            Format::GoStdout,
            Format::PythonConsole,
            Format::GoLogs,
        ]
        .into_iter()
        .find(|f| f.name() == name)
    }
}

/// How a load reports progress and can be cancelled (the app shows a progress bar).
#[derive(Default, Clone, Copy)]
pub struct LoadOptions<'a> {
    /// Called with the number of input bytes consumed so far (compressed bytes for .gz/.zst).
    pub progress: Option<&'a (dyn Fn(u64) + Sync)>,
    /// When set to true, the load stops and returns an error.
    pub cancel: Option<&'a AtomicBool>,
}

/// What one input contributed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    pub format: Format,
    pub spans: u64,
    pub warnings: u64,
}

/// Reads one file into `store` (call `Store::build_index` after the last file). A file
/// already read into this store (the same file by another name included) is not read again:
/// its first input counts a warning instead.
pub fn load_path(store: &mut Store, path: &Path, opts: &LoadOptions) -> Result<Loaded, LoadError> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path)
        .map_err(|e| LoadError::new(&name, Position::Unknown, format!("cannot open: {e}")))?;
    let canonical = std::fs::canonicalize(path).ok();
    if let Some(first) = canonical.as_ref().and_then(|c| store.input_of_file(c)) {
        let input = &mut store.inputs[first as usize];
        input.warnings += 1;
        let (first_name, format) = (input.path.clone(), input.format.clone());
        store.diag.warn(
            WarningKind::NothingLoaded,
            &first_name,
            Position::Unknown,
            "given more than once; loaded once",
        );
        return Ok(Loaded {
            format: Format::from_name(&format).unwrap_or(Format::OtlpJson),
            spans: 0,
            warnings: 1,
        });
    }
    let loaded = load_reader(store, &name, file, opts)?;
    if let Some(c) = canonical {
        store.set_input_file(c, (store.inputs.len() - 1) as u16);
    }
    Ok(loaded)
}

/// Reads one input from a stream (standard input); `input_name` names it in the store and in
/// messages.
pub fn load_read(
    store: &mut Store,
    input_name: &str,
    reader: impl Read + Send,
    opts: &LoadOptions,
) -> Result<Loaded, LoadError> {
    load_reader(store, input_name, reader, opts)
}

/// Reads one input held in memory; `input_name` names it in the store and in messages.
pub fn load_bytes(
    store: &mut Store,
    input_name: &str,
    bytes: &[u8],
    opts: &LoadOptions,
) -> Result<Loaded, LoadError> {
    load_reader(store, input_name, bytes, opts)
}

/// Reads one whole in-memory input (a trace backend's answer) into batches with the readers
/// files use, without a store: the caller merges them where and when it likes (the backend
/// client parses on its fetch threads). JSON lines are refused: no backend answers with them.
pub fn read_batches(input_name: &str, bytes: &[u8]) -> Result<(Format, Vec<Batch>), LoadError> {
    let format = match detect::detect(bytes, true) {
        detect::Detected::Format(f) => f,
        detect::Detected::Unknown(msg) => {
            return Err(LoadError::new(input_name, Position::Unknown, msg));
        }
        // Not said of a whole input; named for completeness.
        detect::Detected::NeedMore => {
            return Err(LoadError::new(
                input_name,
                Position::Unknown,
                "truncated input",
            ));
        }
    };
    let batches = match format {
        Format::OtlpJson => vec![otlp_json::read(input_name, bytes)?],
        Format::OtlpProto => otlp_proto::read(input_name, bytes)?,
        Format::JaegerJson => vec![jaeger::read(input_name, bytes)?],
        Format::ZipkinJson => vec![zipkin::read(input_name, bytes)?],
        Format::OtlpJsonLines | Format::GoStdout | Format::PythonConsole | Format::GoLogs => {
            return Err(LoadError::new(
                input_name,
                Position::Unknown,
                format!("a {} stream where one document was expected", format.name()),
            ));
        }
    };
    Ok((format, batches))
}

/// Bytes read ahead for detection (more when the first JSON value is longer).
const DETECT_BYTES: usize = 64 << 10;
/// Bytes read per step of a whole-file read, between progress reports.
const READ_STEP: usize = 8 << 20;
/// A JSON document is parsed whole (and detection reads a first JSON value whole, JSON lines
/// a line), so its decompressed text is held in memory. Trace JSON
/// compresses 5–20× (hex ids do not repeat); a document that grows past `WHOLE_FREE_BYTES`
/// and past `MAX_WHOLE_EXPANSION` times its compressed size holds mostly nothing (a
/// decompression bomb) and is refused before it costs more. JSON lines and protobuf are
/// streamed and need no such bound.
const WHOLE_FREE_BYTES: usize = 64 << 20;
const MAX_WHOLE_EXPANSION: u64 = 100;

/// The decompressed input being read, with what progress and errors need.
pub(crate) struct Source<'a> {
    name: &'a str,
    reader: Box<dyn Read + Send + 'a>,
    raw_bytes: Arc<AtomicU64>,
    opts: &'a LoadOptions<'a>,
}

impl Source<'_> {
    fn raw_offset(&self) -> u64 {
        self.raw_bytes.load(Ordering::Relaxed)
    }

    /// Reads into `buf` up to `target` bytes; true at the end of the input.
    fn fill(&mut self, buf: &mut Vec<u8>, target: usize) -> Result<bool, LoadError> {
        decompress::fill_to(&mut self.reader, buf, target).map_err(|e| {
            LoadError::new(
                self.name,
                Position::Byte {
                    offset: self.raw_offset(),
                },
                format!("read error: {e}"),
            )
        })
    }

    /// Reads into `buf` until it is full or the input ends; returns how many bytes came.
    fn read_into(&mut self, buf: &mut [u8]) -> Result<usize, LoadError> {
        decompress::read_full(&mut self.reader, buf).map_err(|e| {
            LoadError::new(
                self.name,
                Position::Byte {
                    offset: self.raw_offset(),
                },
                format!("read error: {e}"),
            )
        })
    }

    /// Refuses a decompression bomb among inputs held whole (see `MAX_WHOLE_EXPANSION`):
    /// `held` decompressed bytes in memory.
    pub(crate) fn check_expansion(&self, held: usize) -> Result<(), LoadError> {
        let raw = self.raw_offset();
        if held <= WHOLE_FREE_BYTES || held as u64 <= raw.saturating_mul(MAX_WHOLE_EXPANSION) {
            return Ok(());
        }
        Err(LoadError::new(
            self.name,
            Position::Byte { offset: raw },
            format!(
                "{} decompressed to over {} MiB of one JSON document or line (more than \
                 {MAX_WHOLE_EXPANSION}×): refused as a decompression bomb; decompress the file \
                 first to load it anyway",
                crate::units::count(raw, "compressed byte"),
                held >> 20,
            ),
        ))
    }

    fn report_progress(&self) {
        if let Some(p) = self.opts.progress {
            p(self.raw_offset());
        }
    }

    fn check_cancel(&self) -> Result<(), LoadError> {
        match self.opts.cancel {
            Some(c) if c.load(Ordering::Relaxed) => Err(LoadError::new(
                self.name,
                Position::Byte {
                    offset: self.raw_offset(),
                },
                "cancelled",
            )),
            _ => Ok(()),
        }
    }
}

/// A reader of a whole in-memory input, giving one or more batches in input order.
type ReadWhole = fn(&str, &[u8]) -> Result<Vec<Batch>, LoadError>;

fn load_reader<'a>(
    store: &mut Store,
    name: &'a str,
    raw: impl Read + Send + 'a,
    opts: &'a LoadOptions<'a>,
) -> Result<Loaded, LoadError> {
    let (counting, raw_bytes) = decompress::Counting::new(raw);
    let (reader, _) = decompress::open(counting).map_err(|e| {
        // Nothing was decoded yet: the error has no position in the input.
        LoadError::new(name, Position::Unknown, format!("read error: {e}"))
    })?;
    let mut src = Source {
        name,
        reader,
        raw_bytes,
        opts,
    };
    let mut buf = Vec::new();
    let mut eof = false;
    let mut detector = detect::Detector::default();
    let format = loop {
        src.check_cancel()?;
        // Doubling keeps detection linear; the steps let a bomb be refused before it doubles.
        let target = buf.len() + DETECT_BYTES.max(buf.len());
        while !eof && buf.len() < target {
            let step = target.min(buf.len() + READ_STEP);
            eof = src.fill(&mut buf, step)?;
            src.check_expansion(buf.len())?;
        }
        match detector.detect(&buf, eof) {
            detect::Detected::Format(f) => break f,
            detect::Detected::NeedMore => {}
            detect::Detected::Unknown(msg) => {
                return Err(LoadError::new(name, Position::Unknown, msg));
            }
        }
    };
    // Every format but JSON lines and protobuf is read whole, then parsed.
    let whole: Option<ReadWhole> = match format {
        Format::OtlpJson => Some(|n, b| otlp_json::read(n, b).map(|b| vec![b])),
        Format::OtlpProto => None,
        Format::JaegerJson => Some(|n, b| jaeger::read(n, b).map(|b| vec![b])),
        Format::ZipkinJson => Some(|n, b| zipkin::read(n, b).map(|b| vec![b])),
        Format::GoLogs => Some(|n, b| Ok(vec![golog::read(n, b)])),
        Format::OtlpJsonLines | Format::GoStdout | Format::PythonConsole => None,
    };
    let input = match whole {
        None if format == Format::OtlpProto => {
            let input = store.add_input(name, format.name());
            let Source {
                reader,
                raw_bytes,
                opts,
                ..
            } = &mut src;
            let mut check = || {
                if let Some(p) = opts.progress {
                    p(raw_bytes.load(Ordering::Relaxed));
                }
                match opts.cancel {
                    Some(c) if c.load(Ordering::Relaxed) => Err(LoadError::new(
                        name,
                        Position::Byte {
                            offset: raw_bytes.load(Ordering::Relaxed),
                        },
                        "cancelled",
                    )),
                    _ => Ok(()),
                }
            };
            otlp_proto::stream(name, reader, buf, &mut check, &mut |b| {
                store.add_batch(b, input)
            })?;
            src.report_progress();
            input
        }
        None if format == Format::OtlpJsonLines => jsonl::load(store, &mut src, buf)?,
        None => console::load(store, &mut src, format, buf)?,
        Some(read) => {
            while !eof {
                src.check_cancel()?;
                let target = buf.len() + READ_STEP;
                eof = src.fill(&mut buf, target)?;
                src.report_progress();
                src.check_expansion(buf.len())?;
            }
            let batches = read(name, &buf)?;
            drop(buf);
            let input = store.add_input(name, format.name());
            for batch in batches {
                store.add_batch(batch, input);
            }
            src.report_progress();
            input
        }
    };
    if store.inputs[input as usize].spans == 0 && store.inputs[input as usize].logs == 0 {
        store.inputs[input as usize].warnings += 1;
        store.diag.warn(
            WarningKind::NothingLoaded,
            name,
            Position::Unknown,
            "no spans found",
        );
    }
    let info = &store.inputs[input as usize];
    Ok(Loaded {
        format,
        spans: info.spans,
        warnings: info.warnings,
    })
}
