//! The headless recorder: each request the receiver accepted becomes one OTLP JSON line, as
//! the Collector's file exporter writes them (so the file loads again in tracetopo or
//! anywhere else). Lines are flushed as they are written: an interrupted run keeps them all.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::thread::JoinHandle;

use tokio::sync::mpsc;

use crate::export::otlp_jsonl::{SpanData, push_line};
use crate::model::Batch;

/// What was written.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    pub spans: u64,
    pub requests: u64,
}

pub struct Recorder {
    thread: JoinHandle<io::Result<Recorded>>,
}

impl Recorder {
    /// Creates `path` and writes every batch `rx` yields until its senders are gone;
    /// `on_limit` runs once when `max_spans` have been written.
    pub fn start(
        path: &Path,
        mut rx: mpsc::Receiver<Batch>,
        max_spans: Option<u64>,
        on_limit: impl FnOnce() + Send + 'static,
    ) -> io::Result<Recorder> {
        let mut out = BufWriter::new(File::create(path)?);
        let thread = std::thread::Builder::new()
            .name("tracetopo-recorder".into())
            .spawn(move || {
                let mut done = Recorded::default();
                let mut on_limit = Some(on_limit);
                let mut line = String::new();
                while let Some(batch) = rx.blocking_recv() {
                    if batch.spans.is_empty() {
                        continue;
                    }
                    line.clear();
                    let data = SpanData::from(&batch);
                    push_line(&mut line, &data, 0..batch.spans.len() as u32);
                    out.write_all(line.as_bytes())?;
                    out.flush()?;
                    done.spans += batch.spans.len() as u64;
                    done.requests += 1;
                    if max_spans.is_some_and(|m| done.spans >= m)
                        && let Some(f) = on_limit.take()
                    {
                        f();
                    }
                }
                out.flush()?;
                Ok(done)
            })?;
        Ok(Recorder { thread })
    }

    /// Waits until everything sent was written (the senders must be gone).
    pub fn finish(self) -> io::Result<Recorded> {
        self.thread
            .join()
            .map_err(|_| io::Error::other("the recorder thread panicked"))?
    }
}
