//! Loading trace files off the UI thread: a `LoadJob` reads every source with
//! `ingest::load_path`/`load_bytes` into one store, builds the `Session`, and reports progress
//! (bytes, spans) through atomics the UI polls; it can be cancelled.
//!
//! Several loads merge into one session by reloading: the app keeps the sources of the current
//! session and a new load reads them again together with the new ones into a fresh store (the
//! session is shared read-only, and the indexes and analysis cover everything at once). A
//! source that fails is left out entirely (none of its spans are kept) and reported.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::analysis::Options;
use crate::ingest::{self, LoadOptions};
use crate::model::{LoadError, Position, Store};

use super::state::Session;
use super::task::{Poll, Task};
use super::widgets::progress_with_cancel;

/// The bundled sample traces, embedded so the installed binary needs no sample folder:
/// (file name, bytes).
pub const SAMPLES: [(&str, &[u8]); 3] = [
    (
        "checkout-healthy.json",
        include_bytes!("../../sample-traces/checkout-healthy.json"),
    ),
    (
        "checkout-broken.json",
        include_bytes!("../../sample-traces/checkout-broken.json"),
    ),
    (
        "checkout-live.jsonl",
        include_bytes!("../../sample-traces/checkout-live.jsonl"),
    ),
];

/// One input to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    File(PathBuf),
    /// A bundled sample: its file name and bytes.
    Sample(&'static str, &'static [u8]),
}

impl Source {
    /// The sample called `name` (a file name of `SAMPLES`).
    pub fn sample(name: &str) -> Option<Source> {
        SAMPLES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(n, b)| Source::Sample(n, b))
    }

    /// How the source is named in the store, warnings and errors.
    pub fn name(&self) -> String {
        match self {
            Source::File(p) => p.display().to_string(),
            Source::Sample(n, _) => format!("sample:{n}"),
        }
    }

    /// Size in bytes for the progress bar (0 when a file cannot be inspected).
    fn size(&self) -> u64 {
        match self {
            Source::File(p) => std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
            Source::Sample(_, b) => b.len() as u64,
        }
    }
}

/// What a running load has done so far, written by the loader thread, read by the UI.
#[derive(Debug, Default)]
pub struct Progress {
    pub bytes_done: AtomicU64,
    pub bytes_total: AtomicU64,
    /// Spans read so far (updated after each file).
    pub spans: AtomicU64,
    /// Number of the file being read (0-based).
    pub file: AtomicU64,
    /// True once every file was read and the store is being indexed and analysed.
    pub analysing: AtomicBool,
}

/// The result of a load.
pub struct Outcome {
    /// `None` when nothing could be loaded or the load was cancelled.
    pub session: Option<Arc<Session>>,
    /// The sources the session holds (the failed ones left out).
    pub loaded: Vec<Source>,
    /// One per source that could not be read.
    pub errors: Vec<LoadError>,
    pub cancelled: bool,
}

/// Reads `sources` into one store and builds the session: the body of the loader thread,
/// also called directly by tests.
pub fn load_all(
    sources: &[Source],
    opts: Options,
    progress: &Progress,
    cancel: &AtomicBool,
) -> Outcome {
    let mut errors = Vec::new();
    let mut ok: Vec<Source> = Vec::with_capacity(sources.len());
    let mut store = Store::new();
    let total: u64 = sources.iter().map(Source::size).sum();
    progress.bytes_total.store(total, Ordering::Relaxed);
    let mut base = 0u64;
    // A failed source may have left some of its spans in the store (JSON lines are merged as
    // they are read), so after a failure the good sources are read again into a fresh store.
    let mut dirty = false;
    for (k, src) in sources.iter().enumerate() {
        progress.file.store(k as u64, Ordering::Relaxed);
        match read_one(&mut store, src, base, progress, cancel) {
            Ok(()) => ok.push(src.clone()),
            Err(_) if cancel.load(Ordering::Relaxed) => return cancelled(sources),
            Err(e) => {
                errors.push(e);
                dirty = true;
            }
        }
        base += src.size();
        progress.bytes_done.store(base, Ordering::Relaxed);
        progress
            .spans
            .store(store.spans.len() as u64, Ordering::Relaxed);
    }
    if dirty {
        store = Store::new();
        let total: u64 = ok.iter().map(Source::size).sum();
        progress.bytes_total.store(total, Ordering::Relaxed);
        let mut base = 0u64;
        let mut again = Vec::with_capacity(ok.len());
        for src in ok {
            let size = src.size();
            match read_one(&mut store, &src, base, progress, cancel) {
                Ok(()) => again.push(src),
                Err(_) if cancel.load(Ordering::Relaxed) => return cancelled(sources),
                // The file changed between the two reads.
                Err(e) => errors.push(e),
            }
            base += size;
        }
        ok = again;
    }
    if cancel.load(Ordering::Relaxed) {
        return cancelled(sources);
    }
    progress.analysing.store(true, Ordering::Relaxed);
    let session = (!ok.is_empty()).then(|| Session::build(store, opts));
    Outcome {
        session,
        loaded: ok,
        errors,
        cancelled: false,
    }
}

fn cancelled(sources: &[Source]) -> Outcome {
    Outcome {
        session: None,
        loaded: Vec::new(),
        errors: Vec::new(),
        cancelled: !sources.is_empty(),
    }
}

fn read_one(
    store: &mut Store,
    src: &Source,
    base: u64,
    progress: &Progress,
    cancel: &AtomicBool,
) -> Result<(), LoadError> {
    let report = |n: u64| progress.bytes_done.store(base + n, Ordering::Relaxed);
    let opts = LoadOptions {
        progress: Some(&report),
        cancel: Some(cancel),
    };
    match src {
        Source::File(p) => ingest::load_path(store, p, &opts).map(|_| ()),
        Source::Sample(_, bytes) => {
            ingest::load_bytes(store, &src.name(), bytes, &opts).map(|_| ())
        }
    }
}

/// A load running on its own thread.
pub struct LoadJob {
    pub progress: Arc<Progress>,
    /// How many sources are being read.
    pub files: usize,
    cancel: Arc<AtomicBool>,
    task: Task<Outcome>,
}

impl LoadJob {
    /// Starts reading `sources` on its own thread; `ctx` repaints when the outcome is ready.
    pub fn start(
        sources: Vec<Source>,
        opts: Options,
        ctx: &egui::Context,
    ) -> Result<LoadJob, LoadError> {
        let progress = Arc::new(Progress::default());
        let cancel = Arc::new(AtomicBool::new(false));
        let files = sources.len();
        let (p, c) = (progress.clone(), cancel.clone());
        let task = Task::spawn("load", ctx, move || load_all(&sources, opts, &p, &c))
            .map_err(|e| LoadError::new("tracetopo", Position::Unknown, e))?;
        Ok(LoadJob {
            progress,
            files,
            cancel,
            task,
        })
    }

    /// The progress bar of the load, with its Cancel button.
    pub fn progress_ui(&self, ui: &mut egui::Ui) {
        use std::sync::atomic::Ordering::Relaxed;
        let job = self;
        let p = &job.progress;
        let (done, total) = (p.bytes_done.load(Relaxed), p.bytes_total.load(Relaxed));
        let stage = if p.analysing.load(Relaxed) {
            "Indexing and analysing".to_string()
        } else {
            format!(
                "Reading file {} of {}",
                (p.file.load(Relaxed) + 1).min(job.files as u64),
                job.files
            )
        };
        let text = format!(
            "{stage}: {:.1} of {:.1} MB, {} spans",
            done as f64 / 1e6,
            total as f64 / 1e6,
            p.spans.load(Relaxed)
        );
        let label = if job.is_cancelling() {
            "Cancelling…"
        } else {
            "Cancel"
        };
        if progress_with_cancel(ui, (done as f64, total as f64), 320.0, text, label) {
            job.cancel();
        }
        // Progress comes from another thread: keep redrawing while it runs.
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_millis(100));
    }

    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelling(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// The outcome once the thread finished.
    pub fn try_finish(&self) -> Option<Outcome> {
        match self.task.poll() {
            Poll::Ready(out) => Some(out),
            Poll::Pending => None,
            // The thread died without sending (a panic in a reader): report it, don't hang.
            Poll::Lost(e) => Some(Outcome {
                session: None,
                loaded: Vec::new(),
                errors: vec![LoadError::new("tracetopo", Position::Unknown, e)],
                cancelled: false,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn run(sources: &[Source]) -> (Outcome, Progress) {
        let progress = Progress::default();
        let out = load_all(
            sources,
            Options::default(),
            &progress,
            &AtomicBool::new(false),
        );
        (out, progress)
    }

    #[test]
    fn samples_merge_into_one_session() {
        let sources: Vec<Source> = ["checkout-healthy.json", "checkout-broken.json"]
            .iter()
            .filter_map(|n| Source::sample(n))
            .collect();
        assert_eq!(sources.len(), 2);
        let (out, progress) = run(&sources);
        let Some(session) = out.session else {
            panic!("no session: {:?}", out.errors);
        };
        assert!(out.errors.is_empty());
        assert_eq!(session.store.inputs.len(), 2);
        assert_eq!(session.store.inputs[0].path, "sample:checkout-healthy.json");
        // Both samples' traces are there: a healthy one and a broken one (sample README).
        assert!(
            session
                .store
                .trace(0x4bf92f3577b34da6a3ce929d0e0e4736)
                .is_some()
        );
        assert!(
            session
                .store
                .trace(0x6e0f1a2b3c4d4e5f8a9b0c1d2e3f4a51)
                .is_some()
        );
        let total = (SAMPLES[0].1.len() + SAMPLES[1].1.len()) as u64;
        assert_eq!(progress.bytes_total.load(Ordering::Relaxed), total);
        assert_eq!(progress.bytes_done.load(Ordering::Relaxed), total);
        assert_eq!(
            progress.spans.load(Ordering::Relaxed),
            session.store.spans.len() as u64
        );
        assert!(progress.analysing.load(Ordering::Relaxed));
    }

    #[test]
    fn a_bad_file_is_reported_and_left_out() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let bad = dir.path().join("bad.json");
        let good = dir.path().join("good.jsonl");
        std::fs::write(&bad, b"this is not a trace").unwrap_or_else(|e| panic!("{e}"));
        let mut f = std::fs::File::create(&good).unwrap_or_else(|e| panic!("{e}"));
        f.write_all(SAMPLES[2].1).unwrap_or_else(|e| panic!("{e}"));
        let sources = [Source::File(bad.clone()), Source::File(good.clone())];
        let (out, _) = run(&sources);
        assert_eq!(out.errors.len(), 1);
        assert!(
            out.errors[0]
                .to_string()
                .starts_with(&bad.display().to_string()),
            "{}",
            out.errors[0]
        );
        assert_eq!(out.loaded, [Source::File(good)]);
        let Some(session) = out.session else {
            panic!("the good file should load");
        };
        assert_eq!(session.store.inputs.len(), 1);
    }

    #[test]
    fn nothing_loadable_gives_no_session_and_cancel_stops() {
        let (out, _) = run(&[Source::File(PathBuf::from("/nonexistent/x.json"))]);
        assert!(out.session.is_none());
        assert_eq!(out.errors.len(), 1);
        assert!(out.errors[0].to_string().contains("/nonexistent/x.json"));

        let progress = Progress::default();
        let sources = [Source::sample("checkout-broken.json")
            .unwrap_or(Source::File(PathBuf::from("missing")))];
        let out = load_all(
            &sources,
            Options::default(),
            &progress,
            &AtomicBool::new(true),
        );
        assert!(out.cancelled);
        assert!(out.session.is_none());
        assert!(out.errors.is_empty());
    }
}
