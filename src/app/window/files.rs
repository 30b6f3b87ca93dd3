//! The window's files: File › Open and Follow file… (their dialogs on threads of their own) and
//! File › Save (OTLP JSON lines, spans then log records).

use std::path::PathBuf;

use super::TracetopoApp;
use crate::app::format;
use crate::app::notice::Notice;
use crate::app::state::Session;
use crate::app::task::Task;

/// File › Save writes lines of about this many spans (whole traces), so that the file
/// streams and loads in parallel again.
const SAVE_SPANS_PER_LINE: usize = 1000;

impl TracetopoApp {
    pub fn is_saving(&self) -> bool {
        self.saving.is_some()
    }

    /// What the last File › Save did (`Saved N spans to PATH`, or why it failed).
    pub fn saved(&self) -> Option<&str> {
        self.saved.as_deref()
    }

    /// File › Save: asks where (on its own thread, like Open), then writes the session.
    pub(super) fn pick_save(&mut self) {
        let Some(session) = self.session.clone() else {
            return;
        };
        if self.saving.is_some() {
            return;
        }
        self.start_save(move || {
            let path = rfd::FileDialog::new()
                .set_title("Save traces as OTLP JSON lines")
                .set_file_name("traces.jsonl")
                .add_filter("OTLP JSON lines", &["jsonl"])
                .save_file()?;
            Some(write_jsonl(&session, &path))
        });
    }

    /// Writes the session as OTLP JSON lines to `path`, off the UI thread.
    pub fn save_to(&mut self, path: PathBuf) {
        let Some(session) = self.session.clone() else {
            return;
        };
        self.start_save(move || Some(write_jsonl(&session, &path)));
    }

    fn start_save(
        &mut self,
        job: impl FnOnce() -> Option<Result<String, String>> + Send + 'static,
    ) {
        match Task::spawn("save", &self.ctx, job) {
            Ok(task) => self.saving = Some(task),
            Err(e) => self.saved = Some(format!("cannot save: {e}")),
        }
    }

    /// File › Open: the dialog runs on its own thread so the UI keeps drawing.
    pub(super) fn pick_files(&mut self) {
        let dialog = || {
            rfd::FileDialog::new()
                .set_title("Open trace files")
                .add_filter(
                    "Trace files",
                    &["json", "jsonl", "ndjson", "pb", "bin", "otlp", "gz", "zst"],
                )
                .add_filter("All files", &["*"])
                .pick_files()
                .unwrap_or_default()
        };
        open_dialog(
            &self.ctx,
            &mut self.picker,
            &mut self.notice,
            "open",
            dialog,
        );
    }

    /// File › Follow file…: the file it gives is followed in live mode (`live::follow`).
    pub(super) fn pick_follow(&mut self) {
        let dialog = || {
            rfd::FileDialog::new()
                .set_title("Follow a file as it grows")
                .pick_file()
        };
        let slot = &mut self.follow_picker;
        open_dialog(&self.ctx, slot, &mut self.notice, "follow-dialog", dialog);
    }
}

/// Writes `session` to `path` as OTLP JSON lines; the message for the status line.
fn write_jsonl(session: &Session, path: &std::path::Path) -> Result<String, String> {
    use crate::export::otlp_jsonl::{SpanData, write_all};
    let fail = |e: std::io::Error| format!("cannot save {}: {e}", path.display());
    let file = std::fs::File::create(path).map_err(fail)?;
    let mut w = std::io::BufWriter::new(file);
    let store = &session.store;
    let n = write_all(&mut w, &SpanData::from(store), SAVE_SPANS_PER_LINE).map_err(fail)?;
    // Log records follow the spans, as `listen --headless` records them.
    let logs = crate::export::otlp_logs_jsonl::write_all_logs(
        &mut w,
        &crate::export::otlp_logs_jsonl::LogData::from(store),
        SAVE_SPANS_PER_LINE,
    )
    .and_then(|n| std::io::Write::flush(&mut w).map(|()| n))
    .map_err(fail)?;
    let logs = match logs {
        0 => String::new(),
        n => format!(" and {}", format::count(n, "log record")),
    };
    Ok(format!(
        "Saved {}{logs} to {}",
        format::count(n, "span"),
        path.display()
    ))
}

/// Runs a blocking file dialog as the task in `slot`, unless one is open there already; a
/// dialog that cannot start is a notice.
fn open_dialog<T: Send + 'static>(
    ctx: &egui::Context,
    slot: &mut Option<Task<T>>,
    notice: &mut Notice,
    name: &'static str,
    dialog: impl FnOnce() -> T + Send + 'static,
) {
    if slot.is_some() {
        return;
    }
    match Task::spawn(name, ctx, dialog) {
        Ok(task) => *slot = Some(task),
        Err(e) => notice.error(format!("cannot open the file dialog: {e}")),
    }
}
