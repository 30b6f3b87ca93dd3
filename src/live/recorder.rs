//! The headless recorder: each request the receiver accepted becomes one OTLP JSON line, as
//! the Collector's file exporter writes them (so the file loads again in tracetopo or anywhere
//! else). A request is answered only once its line is written: a write error (a full disk) is
//! the request's error, the partial line is cut off so the file keeps whole lines, and
//! recording stops.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
use std::thread::JoinHandle;

use tokio::sync::mpsc;

use super::server::Delivery;
use crate::export::otlp_jsonl::{SpanData, push_line};
use crate::export::otlp_logs_jsonl::{LogData, push_logs_line};

/// The line buffer is reused up to this capacity (a request of ~20k spans).
const LINE_KEEP: usize = 8 << 20;

/// What was written.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    pub spans: u64,
    /// Log records written (`/v1/logs`, `LogsService/Export`).
    pub logs: u64,
    pub requests: u64,
}

/// Recording stopped on a write error, after `done` was written whole.
#[derive(Debug)]
pub struct Failed {
    pub error: io::Error,
    pub done: Recorded,
}

pub struct Recorder {
    thread: JoinHandle<Result<Recorded, Failed>>,
}

/// Appends `line` at `offset`; on error, cuts the file back to `offset` (whole lines only).
fn append(out: &mut File, offset: u64, line: &[u8]) -> io::Result<()> {
    out.write_all(line).inspect_err(|_| {
        // Cutting back can fail too (a device, not a file): the write error is what counts.
        let _ = out.set_len(offset);
    })
}

impl Recorder {
    /// Creates `path` and writes every delivery `rx` yields until its senders are gone;
    /// `on_limit` runs once when `max_spans` have been written, `on_failure` at once when a
    /// write fails (recording then stops; `finish` says what was kept).
    pub fn start(
        path: &Path,
        mut rx: mpsc::Receiver<Delivery>,
        max_spans: Option<u64>,
        on_limit: impl FnOnce() + Send + 'static,
        on_failure: impl FnOnce(String) + Send + 'static,
    ) -> io::Result<Recorder> {
        let mut out = File::create(path)?;
        let thread = std::thread::Builder::new()
            .name("tracetopo-recorder".into())
            .spawn(move || {
                let mut done = Recorded::default();
                let mut on_limit = Some(on_limit);
                let mut offset = 0u64;
                let mut line = String::new();
                while let Some(d) = rx.blocking_recv() {
                    let n = d.batch.spans.len() as u64;
                    // One line for the spans, one for the log records, each when there are any.
                    for logs in [false, true] {
                        line.clear();
                        let what = if !logs && n > 0 {
                            push_line(&mut line, &SpanData::from(&d.batch), 0..n as u32);
                            "spans"
                        } else if logs && !d.batch.logs.is_empty() {
                            push_logs_line(&mut line, &LogData::from(&d.batch));
                            "log records"
                        } else {
                            continue;
                        };
                        if let Err(error) = append(&mut out, offset, line.as_bytes()) {
                            let _ = d
                                .done
                                .send(Err(format!("cannot record the {what}: {error}")));
                            on_failure(error.to_string());
                            return Err(Failed { error, done });
                        }
                        offset += line.len() as u64;
                        if logs {
                            done.logs += d.batch.logs.len() as u64;
                        } else {
                            done.spans += n;
                        }
                        // A request is counted once, by its first line.
                        if !logs || n == 0 {
                            done.requests += 1;
                        }
                        // One huge request must not keep its line's memory for good.
                        if line.capacity() > LINE_KEEP {
                            line = String::new();
                        }
                    }
                    let _ = d.done.send(Ok(()));
                    if max_spans.is_some_and(|m| done.spans >= m)
                        && let Some(f) = on_limit.take()
                    {
                        f();
                    }
                }
                Ok(done)
            })?;
        Ok(Recorder { thread })
    }

    /// Waits until everything sent was written (the senders must be gone).
    pub fn finish(self) -> Result<Recorded, Failed> {
        self.thread.join().unwrap_or_else(|_| {
            Err(Failed {
                error: io::Error::other("the recorder thread panicked"),
                done: Recorded::default(),
            })
        })
    }
}
