//! Following files as they grow (`tracetopo --follow FILE…`, File › Follow file…) and standard
//! input (`tracetopo -`): what is written is cut into pieces (`ingest::console`: the SDKs'
//! console spans, OTLP JSON lines, other lines skipped and counted) and the batches go to the
//! live store's sink, as the receiver's requests do.
//!
//! A file is read from its start, then polled: when the path names another file (renamed
//! away by `logrotate`), the old one is read to its end and the new one from its start; when
//! the file is shorter than what was read (copy-truncate), it is read again from its start.
//! A file that does not exist yet is waited for.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use super::server::{Delivery, Sink};
use super::stats::Stats;
use crate::ingest::console::Decoder;
use crate::ingest::console::split::Splitter;
use crate::model::{Batch, Position, WarningKind};

/// How often a file that has no new bytes is looked at again.
const POLL: Duration = Duration::from_millis(100);
/// Bytes read at a time.
const READ: usize = 256 << 10;

/// What is followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Followed {
    File(PathBuf),
    Stdin,
}

impl Followed {
    /// `-` is standard input.
    pub fn from_arg(p: &Path) -> Followed {
        if p.as_os_str() == "-" {
            Followed::Stdin
        } else {
            Followed::File(p.to_path_buf())
        }
    }

    /// The name batches and warnings carry.
    pub fn name(&self) -> String {
        match self {
            Followed::File(p) => p.display().to_string(),
            Followed::Stdin => crate::cli::STDIN_NAME.to_string(),
        }
    }
}

/// A following thread; dropping it stops a file's (standard input's thread ends with it).
pub struct Follower {
    pub what: Followed,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Follower {
    pub fn start(what: Followed, sink: Sink, stats: Arc<Stats>) -> io::Result<Follower> {
        match what {
            Followed::Stdin => Follower::start_reader(io::stdin(), sink, stats),
            Followed::File(p) => {
                let mut out = Out::new(&p.display().to_string(), sink, stats);
                let stop = Arc::new(AtomicBool::new(false));
                let thread = {
                    let (p, stop) = (p.clone(), Arc::clone(&stop));
                    std::thread::Builder::new()
                        .name("tracetopo-follow".into())
                        .spawn(move || follow_file(&p, &mut out, &stop))?
                };
                Ok(Follower {
                    what: Followed::File(p),
                    stop,
                    thread: Some(thread),
                })
            }
        }
    }

    /// Streams a pipe (standard input) to its end. A blocking read cannot be interrupted, so
    /// the thread is not waited for: it ends with the pipe or the process.
    pub fn start_reader(
        r: impl Read + Send + 'static,
        sink: Sink,
        stats: Arc<Stats>,
    ) -> io::Result<Follower> {
        let mut out = Out::new(&Followed::Stdin.name(), sink, stats);
        let stop = Arc::new(AtomicBool::new(false));
        {
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name("tracetopo-follow-stdin".into())
                .spawn(move || out.read_all(r, &stop))?;
        }
        Ok(Follower {
            what: Followed::Stdin,
            stop,
            thread: None,
        })
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Where bytes go: split, decoded, sent.
struct Out {
    sink: Sink,
    stats: Arc<Stats>,
    split: Splitter,
    dec: Decoder,
}

impl Out {
    fn new(name: &str, sink: Sink, stats: Arc<Stats>) -> Out {
        Out {
            sink,
            stats,
            split: Splitter::new(),
            dec: Decoder::new(name),
        }
    }

    /// Feeds bytes and sends what is complete; false when the live store is gone.
    fn feed(&mut self, bytes: &[u8], eof: bool) -> bool {
        self.split.push(bytes);
        let dec = &mut self.dec;
        self.split.drain(eof, |p| dec.piece(p));
        if eof {
            // The next bytes are another file's (or the same one's from its start).
            self.split = Splitter::new();
        }
        self.dec.take().into_iter().all(|b| self.send(b))
    }

    fn send(&self, batch: Batch) -> bool {
        let n = batch.spans.len() as u64;
        let (d, _kept) = Delivery::new(batch);
        if self.sink.blocking_send(d).is_err() {
            return false;
        }
        Stats::add(&self.stats.spans, n);
        true
    }

    /// Reads `r` to its end (standard input).
    fn read_all(&mut self, mut r: impl Read, stop: &AtomicBool) {
        let mut buf = vec![0u8; READ];
        while !stop.load(Ordering::Relaxed) {
            match r.read(&mut buf) {
                Ok(0) => {
                    self.feed(&[], true);
                    return;
                }
                Ok(n) => {
                    if !self.feed(&buf[..n], false) {
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    self.feed(&[], true);
                    return;
                }
            }
        }
    }
}

/// The file open now, with what says whether the path still names it.
struct Open {
    file: File,
    ino: (u64, u64),
    offset: u64,
}

fn open(p: &Path) -> io::Result<Open> {
    let file = File::open(p)?;
    let m = file.metadata()?;
    if m.is_dir() {
        return Err(io::Error::other("is a directory"));
    }
    Ok(Open {
        file,
        ino: (m.dev(), m.ino()),
        offset: 0,
    })
}

fn follow_file(p: &Path, out: &mut Out, stop: &AtomicBool) {
    let mut buf = vec![0u8; READ];
    let mut cur: Option<Open> = None;
    // Said once, then retried quietly: a file that cannot be opened (yet) may become readable.
    let mut told = false;
    while !stop.load(Ordering::Relaxed) {
        let Some(f) = cur.as_mut() else {
            match open(p) {
                Ok(o) => cur = Some(o),
                Err(e) => {
                    if e.kind() != io::ErrorKind::NotFound && !told {
                        told = true;
                        let mut b = Batch::new();
                        let name = p.display().to_string();
                        let message = format!("cannot open: {e}; tried again every 100 ms");
                        b.diag.warn(
                            WarningKind::NothingLoaded,
                            &name,
                            Position::Unknown,
                            message,
                        );
                        if !out.send(b) {
                            return;
                        }
                    }
                    std::thread::sleep(POLL);
                }
            }
            continue;
        };
        match f.file.read(&mut buf) {
            Ok(n) if n > 0 => {
                f.offset += n as u64;
                if !out.feed(&buf[..n], false) {
                    return;
                }
                continue;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            _ => {}
        }
        // At the end of what the open file holds: has it been rotated or truncated?
        let now = std::fs::metadata(p).ok();
        let renamed = now.as_ref().is_some_and(|m| (m.dev(), m.ino()) != f.ino);
        let truncated = f.file.metadata().is_ok_and(|m| m.len() < f.offset);
        if renamed {
            // What was written to the old file before the new one appeared, then its end: an
            // object left open there is cut.
            loop {
                match f.file.read(&mut buf) {
                    Ok(n) if n > 0 => {
                        if !out.feed(&buf[..n], false) {
                            return;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    _ => break,
                }
            }
            if !out.feed(&[], true) {
                return;
            }
            cur = None;
        } else if truncated {
            if !out.feed(&[], true) || f.file.seek(SeekFrom::Start(0)).is_err() {
                return;
            }
            f.offset = 0;
        } else {
            std::thread::sleep(POLL);
        }
    }
}
